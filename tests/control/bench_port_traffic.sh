#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# bench_port_traffic.sh: time from the API call that creates and binds a
# port to traffic flowing for it, with PRELOAD ports already in the store
# (same network). Not a test: it prints figures.
#
#   bench_port_traffic.sh SLUICED SLUICE_DP [PRELOAD=10000] [K=5]
#
#   ns peer  10.64.250.1  --- veth ---+
#   ns new1  10.64.250.11 --- veth ---+  sluice-dp <- sluiced (PRELOAD
#   ...                               |               unbound ports + these)
#   ns newK  10.64.250.1K --- veth ---+
#
# Each new guest has a static address and static neighbour entries (no ARP
# retry timer in the measurement) and pings the peer every 5 ms from
# before the POST; the figure is POST sent -> first echo reply. Also
# printed: the POST's own latency and sluiced's reconcile time at start and
# at a restart with the store full.
set -euo pipefail

SLUICED=$1
SLUICE_DP=$2
PRELOAD=${3:-10000}
K=${4:-5}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
. "$(dirname "$0")/../lib/sluice.sh"
. "$(dirname "$0")/../lib/guest.sh"

id=$(( $$ % 100000 ))
tmp=$(mktemp -d /tmp/sluiced-bench.XXXXXX)
sock=$tmp/dp.sock
dp_pid=
ctl_pid=
guests="peer $(seq -s ' ' -f 'new%g' 1 "$K")"
ns() { echo "sb$id-$1"; }
hif() { echo "b$id$1" | cut -c1-15; }
mac() { [ "$1" = peer ] && echo fa:16:3e:64:00:01 ||
	printf 'fa:16:3e:64:01:%02x\n' "${1#new}"; }
ipof() { [ "$1" = peer ] && echo 10.64.250.1 ||
	echo "10.64.250.$((10 + ${1#new}))"; }

cleanup() {
	set +e
	sluice_stop
	sluice_guests_del
	rm -rf "$tmp"
}
trap cleanup EXIT

for g in $guests; do
	guest_veth "$(ns $g)" "$(hif $g)" "$(mac $g)"
	ip -n "$(ns $g)" addr add "$(ipof $g)/16" dev eth0
	if [ "$g" != peer ]; then
		ip -n "$(ns $g)" neigh replace 10.64.250.1 lladdr \
			"$(mac peer)" dev eth0
		ip -n "$(ns peer)" neigh replace "$(ipof $g)" lladdr \
			"$(mac $g)" dev eth0
	fi
done

ulimit -l unlimited 2>/dev/null || true
"$SLUICE_DP" --socket "$sock" --file-prefix "sb$id" --mem 128 \
	--log-level warn >"$tmp/dp.log" 2>&1 &
dp_pid=$!
for _ in $(seq 300); do [ -S "$sock" ] && break; sleep 0.01; done
api_port=$(sluice_free_port)
sluice_conf_write "$tmp/sluice.conf" "$api_port" "$tmp" "$sock"
start_ctl() {
	"$SLUICED" -c "$tmp/sluice.conf" >>"$tmp/sluiced.log" 2>&1 &
	ctl_pid=$!
	for _ in $(seq 600); do
		curl -sf -o /dev/null "http://127.0.0.1:$api_port/" && return 0
		sleep 0.05
	done
	echo "sluiced did not start"; tail "$tmp/sluiced.log"; exit 1
}
start_ctl

/usr/bin/python3 - "$api_port" "$PRELOAD" "$K" "$id" <<'PY'
import http.client, json, subprocess, sys, time
port, preload, k, tid = (int(sys.argv[1]), int(sys.argv[2]),
                         int(sys.argv[3]), sys.argv[4])
c = http.client.HTTPConnection("127.0.0.1", port)
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
sid = sub["subnet"]["id"]
t = time.perf_counter()
left = preload
while left > 0:
    n = min(500, left)
    s, b = req("POST", "/v2.0/ports",
               {"ports": [{"network_id": nid} for _ in range(n)]})
    assert s == 201, b
    left -= n
print("bench_port_traffic: %d ports preloaded in %.1f s"
      % (preload, time.perf_counter() - t))
def port(name, ifname, mac, ip):
    return {"port": {"network_id": nid, "name": name, "mac_address": mac,
                     "fixed_ips": [{"subnet_id": sid, "ip_address": ip}],
                     "binding:profile": {"interface": ifname}}}
def hif(g):
    return ("b%s%s" % (tid, g))[:15]
s, b = req("POST", "/v2.0/ports",
           port("peer", hif("peer"), "fa:16:3e:64:00:01", "10.64.250.1"))
assert s == 201, b
time.sleep(0.5)
api, flow = [], []
for i in range(1, k + 1):
    g = "new%d" % i
    ping = subprocess.Popen(["ip", "netns", "exec", "sb%s-%s" % (tid, g),
                             "ping", "-q", "-n", "-c", "1", "-w", "10",
                             "-i", "0.005", "10.64.250.1"],
                            stdout=subprocess.DEVNULL)
    time.sleep(0.1)          # the pinger runs before the call
    t0 = time.perf_counter()
    s, b = req("POST", "/v2.0/ports",
               port(g, hif(g), "fa:16:3e:64:01:%02x" % i,
                    "10.64.250.%d" % (10 + i)))
    t1 = time.perf_counter()
    assert s == 201, b
    rc = ping.wait()
    t2 = time.perf_counter()
    assert rc == 0, "no traffic for %s" % g
    api.append((t1 - t0) * 1000)
    flow.append((t2 - t0) * 1000)
    print("bench_port_traffic: %s: POST %.1f ms, traffic after %.1f ms"
          % (g, api[-1], flow[-1]))
api.sort()
flow.sort()
print("bench_port_traffic: %d new ports with %d in the store: POST p50 "
      "%.1f ms, API call -> traffic p50 %.1f ms, max %.1f ms"
      % (k, preload + 1 + k, api[len(api) // 2], flow[len(flow) // 2],
         flow[-1]))
PY
grep 'reconciled:' "$tmp/sluiced.log" | head -1 |
	sed 's/^/start (empty store): /'
kill "$ctl_pid"; wait "$ctl_pid" || true
: >"$tmp/sluiced.log"
t0=$(date +%s%N)
start_ctl
for _ in $(seq 500); do
	grep -q 'reconciled:' "$tmp/sluiced.log" && break
	sleep 0.02
done
up=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "restart with the full store: up and reconciled in $up ms;" \
	"$(grep -E 'intent loaded|reconciled:' "$tmp/sluiced.log" |
	sed 's/.*dpsync: //' | tr '\n' ';')"
