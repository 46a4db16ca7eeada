#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# bench_l3.sh: time sluiced's router, floating IP and security group
# operations through the REST API and print latency percentiles. Not a
# test: it prints figures.
#
#   bench_l3.sh path/to/sluiced [N=200]
#
# One external network, N tenant networks with a /24 each and one port,
# then one request at a time over one keep-alive connection: N
# add_router_interface on one router, N floating IP creates with port_id
# (each finds its router through the interfaces), N rules in one group,
# the list of that group's rules, and N port creates that each join the
# default group (so each is checked against the group).
SLUICED=$1
N=${2:-200}
. "$(dirname "$0")/lib.sh"

write_conf
sed -i 's/level = debug/level = warn/' "$WORK/sluice.conf"
start_sluiced
$PY - "$URL" "$N" <<'PY'
import http.client, json, sys, time
url, n = sys.argv[1], int(sys.argv[2])
host, port = url.split("//")[1].split(":")
c = http.client.HTTPConnection(host, int(port))
def req(m, p, body=None, want=None):
    c.request(m, p, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    out = json.loads(data) if data else None
    if want is not None and r.status != want:
        sys.exit("%s %s: %d %s" % (m, p, r.status, out))
    return out
def timed(label, calls):
    lat = []
    t0 = time.monotonic()
    for f in calls:
        t = time.monotonic()
        f()
        lat.append((time.monotonic() - t) * 1000)
    total = time.monotonic() - t0
    lat.sort()
    print("%-34s n=%d %.0f/s p50 %.2f ms p99 %.2f ms" % (label, len(lat),
          len(lat) / total, lat[len(lat) // 2], lat[int(len(lat) * .99)]))
ext = req("POST", "/v2.0/networks", {"network": {"name": "ext",
          "router:external": True}}, 201)["network"]["id"]
req("POST", "/v2.0/subnets", {"subnet": {"network_id": ext,
    "ip_version": 4, "cidr": "100.64.0.0/16"}}, 201)
r = req("POST", "/v2.0/routers", {"router": {"name": "r",
        "external_gateway_info": {"network_id": ext}}}, 201)["router"]["id"]
subs, ports = [], []
for i in range(n):
    net = req("POST", "/v2.0/networks", {"network": {"name": "n%d" % i}},
              201)["network"]["id"]
    subs.append(req("POST", "/v2.0/subnets", {"subnet": {"network_id": net,
                "ip_version": 4, "cidr": "10.%d.%d.0/24" % (i // 256,
                i % 256)}}, 201)["subnet"]["id"])
    ports.append(req("POST", "/v2.0/ports", {"port": {"network_id": net}},
                 201)["port"]["id"])
timed("add_router_interface (subnet)",
      [lambda s=s: req("PUT", "/v2.0/routers/%s/add_router_interface" % r,
                       {"subnet_id": s}, 200) for s in subs])
timed("floatingip create with port_id",
      [lambda p=p: req("POST", "/v2.0/floatingips", {"floatingip": {
          "floating_network_id": ext, "port_id": p}}, 201) for p in ports])
sg = req("POST", "/v2.0/security-groups", {"security_group": {
         "name": "big"}}, 201)["security_group"]["id"]
timed("security_group_rule create",
      [lambda i=i: req("POST", "/v2.0/security-group-rules", {
          "security_group_rule": {"security_group_id": sg,
          "direction": "ingress", "protocol": "tcp",
          "port_range_min": 1000 + i, "port_range_max": 1000 + i}}, 201)
       for i in range(n)])
timed("security group show (%d rules)" % (n + 2),
      [lambda: req("GET", "/v2.0/security-groups/%s" % sg, None, 200)
       for _ in range(20)])
net = req("POST", "/v2.0/networks", {"network": {"name": "many"}},
          201)["network"]["id"]
req("POST", "/v2.0/subnets", {"subnet": {"network_id": net,
    "ip_version": 4, "cidr": "172.16.0.0/16"}}, 201)
timed("port create (default group)",
      [lambda: req("POST", "/v2.0/ports", {"port": {"network_id": net}}, 201)
       for _ in range(n)])
PY
