#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# netns_router_test.sh: routers, SNAT, floating IPs and security groups end
# to end. sluiced + sluice-dp, driven by the real openstack CLI; guests are
# network namespaces on veths named in binding:profile.
#
#   project P1: netA1 10.1.0.0/24  A1 10.1.0.11 (SGs default, web, srv)
#               netA2 10.1.1.0/24  A2 10.1.1.11 (default)
#                                  A3 10.1.1.12 (web; later + clients)
#               router R1: netA1 + netA2, gateway on public (SNAT)
#   project P2: netB  10.2.0.0/24  B1 10.2.0.11, router R2 (gateway, SNAT)
#   public (router:external) 172.24.4.0/24: X 172.24.4.100, an "external
#   host" (a port with port security off)
#
# Checks: ping, TCP (nc), iperf3 (3 s) across R1; a TTL-1 ping gets "time
# exceeded" from the router's interface address; A1 and B1 reach X from
# their routers' gateway addresses (X's server sees them); X's ICMP port
# unreachable comes back to A1 through SNAT; a floating IP on A1 is reached
# from X (ping, TCP), A1's own connections to X leave from it, and it is
# gone when disassociated; a live TCP stream from X to A1 stops when the
# security-group rule allowing it is deleted and resumes when it is
# created again; A3 reaches A1's port 9000 only once it joins the group
# that A1's rule names as remote group.
#
#   netns_router_test.sh SLUICED    env: SLUICE_DP, SLUICECTL, PORT_TYPE
set -euo pipefail

SLUICED=${1:-}
. "$(dirname "$0")/../lib/sluice.sh"
sluice_test_init router sr r udhcpc iperf3 busybox curl
PY=/usr/bin/python3
bg_pids=
guests="A1 A2 A3 B1 X"

cleanup() {
	set +e
	for p in $bg_pids; do kill "$p" 2>/dev/null; done
	sluice_cleanup
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	sluice_dump "$sock" 3000
	exit 1
}

declare -A MAC=( [A1]=fa:16:3e:01:0a:01 [A2]=fa:16:3e:01:0a:02
		 [A3]=fa:16:3e:01:0a:03 [B1]=fa:16:3e:01:0b:01
		 [X]=fa:16:3e:01:ee:01 )
declare -A IP=( [A1]=10.1.0.11 [A2]=10.1.1.11 [A3]=10.1.1.12
		[B1]=10.2.0.11 [X]=172.24.4.100 )
declare -A NET=( [A1]=netA1 [A2]=netA2 [A3]=netA2 [B1]=netB [X]=public )
declare -A PROJ=( [A1]=P1 [A2]=P1 [A3]=P1 [B1]=P2 [X]=admin )

step "topology: 5 namespaces on veths ($PORT_TYPE)"
for g in $guests; do
	guest_veth "$(ns $g)" "$(hif $g)" "${MAC[$g]}"
done
# A1's link takes jumbo frames (A2's does not): the path MTU case below.
ip link set "$(hif A1)" mtu 9000

sluice_dp_start "$sock" "sr$id" "$tmp/dp.log" --mem 128 --log-level warn
api_port=$(sluice_free_port)
sluice_conf_write "$tmp/sluice.conf" "$api_port" "$tmp" "$sock" "$PORT_TYPE"
sluice_ctl_start "$tmp/sluice.conf" "$tmp/sluiced.log" \
	"http://127.0.0.1:$api_port"
os() {	# not sluice.sh's: no login, no fail
	openstack --os-auth-type none \
		--os-endpoint "http://127.0.0.1:$api_port" "$@" 2>>"$tmp/os.log"
}
curl -sf "http://127.0.0.1:$api_port/v2.0/extensions" >"$tmp/ext.json" ||
	fail "GET /v2.0/extensions"
for e in router security-group; do
	jq -e --arg a "$e" '.extensions[] | select(.alias == $a)' \
		"$tmp/ext.json" >/dev/null ||
		skip "sluiced does not offer the $e API yet"
done

step "intent: two projects, routers, an external network"
os network create --external public -f value -c id >/dev/null ||
	fail "network create public"
os subnet create --network public --subnet-range 172.24.4.0/24 \
	--gateway 172.24.4.1 --no-dhcp subpublic -f value -c id >/dev/null ||
	fail "subnet create public"
mknet() {
	os network create --project "$2" "$1" -f value -c id >/dev/null ||
		fail "network create $1"
	os subnet create --project "$2" --network "$1" --subnet-range "$3" \
		"sub$1" -f value -c id >/dev/null || fail "subnet create $1"
}
mknet netA1 P1 10.1.0.0/24
mknet netA2 P1 10.1.1.0/24
mknet netB P2 10.2.0.0/24
os router create --project P1 R1 -f value -c id >/dev/null ||
	fail "router create R1"
os router create --project P2 R2 -f value -c id >/dev/null ||
	fail "router create R2"
os router add subnet R1 subnetA1 || fail "R1 + subnetA1"
os router add subnet R1 subnetA2 || fail "R1 + subnetA2"
os router add subnet R2 subnetB || fail "R2 + subnetB"
os router set R1 --external-gateway public || fail "R1 gateway"
os router set R2 --external-gateway public || fail "R2 gateway"
gw_ip() {
	os router show "$1" -f json |
		jq -r '.external_gateway_info.external_fixed_ips[0].ip_address'
}
GW1=$(gw_ip R1)
GW2=$(gw_ip R2)
echo "R1 gateway $GW1, R2 gateway $GW2"
[[ $GW1 == 172.24.4.* && $GW2 == 172.24.4.* ]] || fail "gateway addresses"

step "security groups: web (icmp, tcp 8080 in), srv (tcp 9000 from clients)"
os security group create --project P1 web -f value -c id >"$tmp/sg.web"
os security group create --project P1 srv -f value -c id >"$tmp/sg.srv"
os security group create --project P1 clients -f value -c id \
	>"$tmp/sg.clients"
SG_WEB=$(cat "$tmp/sg.web")
SG_SRV=$(cat "$tmp/sg.srv")
SG_CLI=$(cat "$tmp/sg.clients")
os security group rule create --ingress --protocol icmp "$SG_WEB" \
	-f value -c id >/dev/null || fail "rule icmp"
rule8080() {
	os security group rule create --ingress --protocol tcp \
		--dst-port 8080 "$SG_WEB" -f value -c id
}
R8080=$(rule8080) || fail "rule tcp 8080"
os security group rule create --ingress --protocol tcp --dst-port 9000 \
	--remote-group "$SG_CLI" "$SG_SRV" -f value -c id >/dev/null ||
	fail "rule tcp 9000 from clients"

create_port() {
	local g=$1; shift
	os port create --project "${PROJ[$g]}" --network "${NET[$g]}" \
		--mac-address "${MAC[$g]}" \
		--fixed-ip "ip-address=${IP[$g]}" \
		--binding-profile "interface=$(hif $g)" "$@" "port$g" \
		-f value -c id >/dev/null || fail "port create port$g"
}
create_port A2
DEF1=$(os port show portA2 -f json | jq -r '.security_group_ids[0]')
[ -n "$DEF1" ] && [ "$DEF1" != null ] || fail "portA2 has no default group"
create_port A1 --security-group "$DEF1" --security-group "$SG_WEB" \
	--security-group "$SG_SRV"
create_port A3 --security-group "$SG_WEB"
create_port B1
create_port X --disable-port-security --no-security-group

for g in A1 A2 A3 B1 X; do
	st=
	for _ in $(seq 50); do
		st=$(os port show "port$g" -f value -c status)
		[ "$st" = ACTIVE ] && break
		sleep 0.1
	done
	[ "$st" = ACTIVE ] || fail "port$g status $st, not ACTIVE"
done

cat >"$tmp/udhcpc.sh" <<'EOF'
#!/bin/sh
case "$1" in
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	[ -n "$router" ] && ip route replace default via "$router"
	echo "$ip/$mask router=$router" >"$LEASE_FILE"
	;;
esac
exit 0
EOF
chmod +x "$tmp/udhcpc.sh"
step "DHCP for the tenant guests; X is configured by hand"
for g in A1 A2 A3 B1; do
	ip netns exec "$(ns $g)" env LEASE_FILE="$tmp/lease.$g" \
		udhcpc -i eth0 -n -q -t 5 -T 1 -s "$tmp/udhcpc.sh" \
		>"$tmp/udhcpc.$g.out" 2>&1 || fail "$g: no DHCP lease"
	grep -q "^${IP[$g]}/24 router=" "$tmp/lease.$g" ||
		fail "$g: lease $(cat "$tmp/lease.$g")"
	echo "$g: $(cat "$tmp/lease.$g")"
done
ip -n "$(ns X)" addr add 172.24.4.100/24 dev eth0

pingok() { run "$1" ping -q -c 3 -i 0.2 -W 2 "$2" >/dev/null; }

# A TCP server in namespace $1 on port $2 that writes each peer's address
# and every line it reads to $3.
serve() {
	run "$1" $PY -u -c '
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(8)
out = open(sys.argv[2], "a", buffering=1)
def one(c, a):
	out.write("peer %s\n" % a[0])
	f = c.makefile()
	for line in f:
		out.write(line)
while True:
	c, a = s.accept()
	threading.Thread(target=one, args=(c, a), daemon=True).start()
' "$2" "$3" >/dev/null 2>&1 &
	bg_pids="$bg_pids $!"
	sleep 0.3
}
# Connect from namespace $1 to $2:$3, send "hello", print nothing; 0 if
# the connection was made within 2 s.
connect() {
	run "$1" $PY -c '
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
c.sendall(b"hello\n"); c.close()' "$2" "$3" 2>/dev/null
}

step "across R1: ping, TCP, iperf3 (3 s)"
pingok A1 10.1.1.11 || fail "A1 -> A2 ping"
pingok A2 10.1.0.11 || fail "A2 -> A1 ping"
run A1 ping -c 1 -W 2 10.1.0.1 >/dev/null || fail "A1 -> its gateway"
serve A2 7000 "$tmp/a2.out"
connect A1 10.1.1.11 7000 || fail "A1 -> A2 TCP"
sleep 0.3
grep -q "peer 10.1.0.11" "$tmp/a2.out" || fail "A2 did not see A1's address"
run A2 iperf3 -s -1 -p 5201 >"$tmp/iperf-s.log" 2>&1 &
bg_pids="$bg_pids $!"
sleep 0.5
run A1 iperf3 -c 10.1.1.11 -p 5201 -t 3 -J >"$tmp/iperf.json" ||
	fail "iperf3 A1 -> A2"
bps=$(jq '.end.sum_received.bits_per_second' "$tmp/iperf.json")
echo "iperf3 A1 -> A2 across R1: $(jq -n "$bps / 1e6 | floor") Mbit/s"

step "TTL 1 across R1: time exceeded from the router"
out=$(run A1 ping -c 1 -t 1 -W 2 10.1.1.11 2>&1 || true)
echo "$out" | grep -m1 "exceeded" || true
grep -q "From 10.1.0.1.*Time to live exceeded" <<<"$out" ||
	fail "no time exceeded from 10.1.0.1: $out"

step "path MTU across R1: A1's 9000-byte link to A2's 1500"
# DF set: sluice-dp cannot send it out of A2's port; the router answers
# with fragmentation needed (mtu 1500) and A1's kernel learns the path MTU.
ip -n "$(ns A1)" link set eth0 mtu 9000
out=$(run A1 ping -c 1 -M do -s 3000 -W 2 10.1.1.11 2>&1 || true)
grep -q "From 10.1.0.1.*Frag needed and DF set (mtu = 1500)" <<<"$out" ||
	fail "no fragmentation needed from 10.1.0.1: $out"
run A1 ip route get 10.1.1.11 | grep -q "mtu 1500" ||
	fail "A1 did not learn the path MTU: $(run A1 ip route get 10.1.1.11)"
# Now A1 fragments at the source (DF on the fragments is not set).
run A1 ping -q -c 2 -M want -s 3000 -W 2 10.1.1.11 >/dev/null ||
	fail "A1 -> A2 3000 bytes after learning the path MTU"
ip -n "$(ns A1)" link set eth0 mtu 1500
echo "A1 -> A2, 3000 bytes with DF: $(grep -m1 "Frag needed" <<<"$out")"

step "SNAT: A1 and B1 reach X from their routers' gateway addresses"
serve X 8000 "$tmp/x.out"
connect A1 172.24.4.100 8000 || fail "A1 -> X TCP"
connect B1 172.24.4.100 8000 || fail "B1 -> X TCP"
pingok A1 172.24.4.100 || fail "A1 -> X ping"
sleep 0.3
grep -q "peer $GW1\$" "$tmp/x.out" || fail "X did not see R1's $GW1"
grep -q "peer $GW2\$" "$tmp/x.out" || fail "X did not see R2's $GW2"
! grep -q "peer 10\." "$tmp/x.out" || fail "a tenant address reached X"
echo "X saw: $(grep peer "$tmp/x.out" | tr '\n' ' ')"

step "ICMP port unreachable from X comes back through SNAT"
run A1 $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect(("172.24.4.100", 9)); s.send(b"x")
try:
	s.recv(10)
except ConnectionRefusedError:
	raise SystemExit(0)
raise SystemExit(1)' || fail "A1 got no port unreachable from X"
echo "A1: connection refused (ICMP port unreachable translated back)"

step "floating IP on A1: reached from X, A1 leaves from it, gone when unset"
FIP=$(os floating ip create --project P1 public -f value \
	-c floating_ip_address) || fail "floating ip create"
os floating ip set --port portA1 "$FIP" || fail "floating ip set"
echo "floating IP $FIP -> A1"
for _ in $(seq 20); do pingok X "$FIP" && break; sleep 0.1; done
pingok X "$FIP" || fail "X -> $FIP ping"
serve A1 8080 "$tmp/a1.out"
connect X "$FIP" 8080 || fail "X -> $FIP:8080 TCP"
sleep 0.3
grep -q "peer 172.24.4.100" "$tmp/a1.out" || fail "A1 did not see X"
: >"$tmp/x.out"
connect A1 172.24.4.100 8000 || fail "A1 -> X with a floating IP"
sleep 0.3
grep -q "peer $FIP\$" "$tmp/x.out" || fail "X did not see $FIP"

step "security group rule deleted and re-created under a live TCP stream"
: >"$tmp/a1.out"
run X $PY -u -c '
import socket, sys, time
c = socket.create_connection((sys.argv[1], 8080), timeout=3)
c.settimeout(None)
for i in range(600):
	c.sendall(b"tick %d\n" % i); time.sleep(0.05)' "$FIP" \
	>"$tmp/stream.log" 2>&1 &
stream_pid=$!
bg_pids="$bg_pids $stream_pid"
sleep 1.5
t1=$(grep -c tick "$tmp/a1.out" || true)
[ "$t1" -gt 10 ] || fail "the stream does not flow ($t1 lines)"
os security group rule delete "$R8080" || fail "rule delete"
sleep 0.5
t2=$(grep -c tick "$tmp/a1.out" || true)
sleep 2
t3=$(grep -c tick "$tmp/a1.out" || true)
echo "stream: $t1 lines before the delete, $t2 0.5 s after it," \
	"$t3 2 s later"
[ "$t3" -le $((t2 + 1)) ] || fail "the stream went on without its rule"
R8080=$(rule8080) || fail "rule re-create"
for _ in $(seq 100); do
	t4=$(grep -c tick "$tmp/a1.out" || true)
	[ "$t4" -gt "$t3" ] && break
	sleep 0.1
done
echo "rule back: $t4 lines"
[ "$t4" -gt "$t3" ] || fail "the stream did not resume with its rule"
kill "$stream_pid" 2>/dev/null || true

step "remote group: A3 reaches A1:9000 only as a member of clients"
serve A1 9000 "$tmp/a1-9000.out"
! connect A3 10.1.0.11 9000 || fail "A3 reached A1:9000 outside clients"
os port set --security-group "$SG_CLI" portA3 || fail "A3 joins clients"
ok=
for _ in $(seq 20); do
	connect A3 10.1.0.11 9000 && { ok=1; break; }
	sleep 0.1
done
[ -n "$ok" ] || fail "A3 (now in clients) cannot reach A1:9000"
echo "A3 -> A1:9000 refused, then accepted after joining clients"

step "default route: the next hop (X as 172.24.4.1) is resolved by ARP"
ip -n "$(ns X)" addr add 172.24.4.1/24 dev eth0
ip -n "$(ns X)" addr add 198.51.100.1/32 dev lo
ok=
for _ in $(seq 20); do
	run A2 ping -c 1 -W 1 198.51.100.1 >/dev/null 2>&1 && { ok=1; break; }
done
[ -n "$ok" ] || fail "A2 -> 198.51.100.1 via the default route"
grep -q "next hop 172.24.4.1 is ${MAC[X]}" "$tmp/sluiced.log" ||
	fail "no neighbour learned for 172.24.4.1"
grep "next hop 172.24.4.1" "$tmp/sluiced.log" | head -1

step "sluiced restarted: zero rule changes, learned next hop kept"
n0=$(grep -c 'reconciled:' "$tmp/sluiced.log" || true)
kill -9 "$ctl_pid"; wait "$ctl_pid" 2>/dev/null || true
ctl_pid=
"$SLUICED" -c "$tmp/sluice.conf" >>"$tmp/sluiced.log" 2>&1 &
ctl_pid=$!
line=
for _ in $(seq 300); do
	if [ "$(grep -c 'reconciled:' "$tmp/sluiced.log")" -gt "$n0" ]; then
		line=$(grep 'reconciled:' "$tmp/sluiced.log" | tail -1)
		break
	fi
	sleep 0.02
done
echo "restarted sluiced: $line"
grep -q "reconciled: 0 rules added, 0 deleted, [1-9][0-9]* unchanged" \
	<<<"$line" || fail "sluiced restart changed rules: $line"
pingok A2 198.51.100.1 || fail "A2 -> 198.51.100.1 after the restart"
for _ in $(seq 100); do
	curl -sf -o /dev/null "http://127.0.0.1:$api_port/" && break
	sleep 0.05
done

step "floating IP unset: gone"
os floating ip unset --port "$FIP" || fail "floating ip unset"
sleep 0.3
! pingok X "$FIP" || fail "$FIP still answers after unset"
! connect X "$FIP" 8080 || fail "$FIP:8080 still reachable after unset"
echo "PASS"
