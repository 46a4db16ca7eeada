#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# bench_ports.sh: create ports through sluiced's REST API and print the
# rate and the latency percentiles. Not a test: it prints figures.
#
#   bench_ports.sh path/to/sluiced [N=1000] [PRELOAD=0]
#
# One network with a /16 subnet; PRELOAD ports are created first (bulk
# requests of 500, not timed), then N ports one request at a time over one
# keep-alive HTTP connection, each acknowledged only after its SQLite
# transaction is durable (WAL, synchronous=FULL).
SLUICED=$1
N=${2:-1000}
PRELOAD=${3:-0}
. "$(dirname "$0")/lib.sh"

write_conf
sed -i 's/level = debug/level = warn/' "$WORK/sluice.conf"
start_sluiced
$PY - "$URL" "$N" "$PRELOAD" <<'PY'
import http.client, json, sys, time
url, n, preload = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
host, port = url.split("//")[1].split(":")
c = http.client.HTTPConnection(host, int(port))
def req(m, p, body=None):
    c.request(m, p, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    return r.status, json.loads(data) if data else None
s, net = req("POST", "/v2.0/networks", {"network": {"name": "bench"}})
assert s == 201, net
nid = net["network"]["id"]
s, sub = req("POST", "/v2.0/subnets", {"subnet": {"network_id": nid,
             "ip_version": 4, "cidr": "10.64.0.0/16"}})
assert s == 201, sub
left = preload
while left > 0:
    k = min(500, left)
    s, b = req("POST", "/v2.0/ports",
               {"ports": [{"network_id": nid} for _ in range(k)]})
    assert s == 201, b
    left -= k
lat = []
t0 = time.perf_counter()
for i in range(n):
    t = time.perf_counter()
    s, b = req("POST", "/v2.0/ports", {"port": {"network_id": nid,
                                                "name": "p%d" % i}})
    lat.append(time.perf_counter() - t)
    assert s == 201, b
total = time.perf_counter() - t0
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(p / 100.0 * len(lat)))] * 1000
print("bench_ports: %d ports (%d already present): %.0f ports/s, "
      "latency p50 %.2f ms, p99 %.2f ms, max %.2f ms"
      % (n, preload, n / total, pct(50), pct(99), lat[-1] * 1000))
t = time.perf_counter()
s, b = req("GET", "/v2.0/ports?fields=id")
print("bench_ports: list of %d ports: %.1f ms" % (len(b["ports"]),
      (time.perf_counter() - t) * 1000))
PY
stop_sluiced
