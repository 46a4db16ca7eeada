#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# netns_lb_traffic.sh: packets to a load balancer's VIP reach its members
# through sluice-dp, with the flow rules sluiced compiles for the VIP
# (control/net/compiler_lb.c, docs/lbaas.md "Flow rules"):
#
#   ns C  (client)  10.77.0.10 --+
#   ns D  (client)  10.77.0.11 --+
#   ns M0 (member)  10.77.0.20 --+  sluice-dp  <- sluiced (REST on
#   ns M1 (member)  10.77.0.21 --+  (af_packet)   127.0.0.1, openstack CLI)
#   ns M2 (member)  10.77.0.22 --+
#   network lbnet 10.77.0.0/24; members in security group "web" that
#   allows TCP 8080 from the VIP only; the clients without groups.
#
# Checks: 300 curl requests to VIP:80 land within 10% of even across the
# three python3 http.server members (counted from their logs); member m2
# set to weight 0 gets none of the next 60. allowed_cidrs (C's address and
# an IPv6 prefix): C connects, D does not (curl times out, the listener's
# drop rule counts it); unset, D connects. timeout_client_data 2000 ms: a
# connection idle 1 s is answered, one idle 3.6 s is gone from `dp
# ct-dump` and its request goes unanswered; `listener unset` restores
# 50000. A UDP listener (VIP:53, members on 5353): 300 datagrams, each
# from a new socket, are answered from the VIP within 10% of even. An
# IPv6 member in the IPv4 load balancer's pool is refused (400) by the
# real CLI.
#
# usage: netns_lb_traffic.sh path/to/sluiced   (SLUICE_DP, SLUICECTL in env)
set -euo pipefail
SLUICED=${1:-}
. "$(dirname "$0")/../lib/sluice.sh"
sluice_test_init lbtraffic lt l curl
PY=/usr/bin/python3
guests="C D M0 M1 M2"
declare -A SRV=()

cleanup() {
	set +e
	for p in "${SRV[@]}"; do kill "$p" 2>/dev/null && wait "$p"; done
	sluice_cleanup
}
trap cleanup EXIT
fail() {
	{
		echo "FAIL: $*"
		if [ -S "$sock" ]; then
			"$SLUICECTL" -s "$sock" dp lb-stats
			"$SLUICECTL" -s "$sock" dp stats | grep -v " 0$"
			"$SLUICECTL" -s "$sock" dp dump-flows
		fi 2>&1 | sed 's/^/dp: /'
		for f in "$tmp"/*.log; do
			[ -f "$f" ] || continue
			echo "=== $f"
			tail -n 25 "$f"
		done
	} >&2
	exit 1
}

declare -A MAC=([C]=fa:16:3e:77:00:10 [D]=fa:16:3e:77:00:11
	[M0]=fa:16:3e:77:00:20 [M1]=fa:16:3e:77:00:21 [M2]=fa:16:3e:77:00:22)
declare -A IP=([C]=10.77.0.10 [D]=10.77.0.11 [M0]=10.77.0.20
	[M1]=10.77.0.21 [M2]=10.77.0.22)
for g in $guests; do
	guest_veth "$(ns $g)" "$(hif $g)" "${MAC[$g]}"
	ip -n "$(ns $g)" addr add "${IP[$g]}/24" dev eth0
done

mkdir -p "$tmp/www"
echo hello >"$tmp/www/index.html"
for i in 0 1 2; do
	ip netns exec "$(ns M$i)" $PY -m http.server 8080 \
		--bind "${IP[M$i]}" --directory "$tmp/www" \
		>"$tmp/srv$i.out" 2>&1 &
	SRV[$i]=$!
done

sluice_dp_start "$sock" "lt$id" "$tmp/dp.log" --mem 128 --log-level warn
api_port=$(sluice_free_port)
sluice_conf_write "$tmp/sluice.conf" "$api_port" "$tmp" "$sock"
export OS_AUTH_TYPE=none OS_ENDPOINT=http://127.0.0.1:$api_port
sluice_ctl_start "$tmp/sluice.conf" "$tmp/sluiced.log" "$OS_ENDPOINT"

os network create lbnet -f value -c id >/dev/null
SUB=$(os subnet create --network lbnet --subnet-range 10.77.0.0/24 \
	--gateway 10.77.0.1 --no-dhcp lbsub -f value -c id)
j=$(os loadbalancer create --name lb1 --vip-subnet-id "$SUB" -f json)
LB=$(jq -r .id <<<"$j")
VIP=$(jq -r .vip_address <<<"$j")
os security group create web -f value -c id >/dev/null
os security group rule create --ingress --protocol tcp --dst-port 8080 \
	--remote-ip "$VIP/32" web >/dev/null
for g in C D; do
	os port create --network lbnet --mac-address "${MAC[$g]}" \
		--fixed-ip "subnet=lbsub,ip-address=${IP[$g]}" \
		--no-security-group \
		--binding-profile "interface=$(hif $g)" port$g >/dev/null
done
for i in 0 1 2; do
	os port create --network lbnet --mac-address "${MAC[M$i]}" \
		--fixed-ip "subnet=lbsub,ip-address=${IP[M$i]}" \
		--security-group web \
		--binding-profile "interface=$(hif M$i)" portM$i >/dev/null
done
LI=$(os loadbalancer listener create --name l1 --protocol TCP \
	--protocol-port 80 "$LB" -f value -c id)
POOL=$(os loadbalancer pool create --name p1 --protocol TCP \
	--lb-algorithm ROUND_ROBIN --listener "$LI" -f value -c id)
for i in 0 1 2; do
	os loadbalancer member create --name m$i --address "${IP[M$i]}" \
		--protocol-port 8080 --subnet-id "$SUB" "$POOL" >/dev/null
done
ok "openstack: 5 ports, LB $LB (VIP $VIP), TCP listener, pool, 3 members"
wait_for "3 members up in the datapath" 10 bash -c \
	"[ \$('$SLUICECTL' -s '$sock' dp lb-stats | grep -c ' up ') = 3 ]"
wait_for "VIP rules installed" 10 bash -c \
	"'$SLUICECTL' -s '$sock' dp dump-flows | grep -q 'lb_select'"
wait_for "client reaches a member through the VIP" 10 \
	ip netns exec "$(ns C)" curl -sf -o /dev/null --max-time 1 \
	"http://$VIP/"

count() { grep -c '"GET / HTTP' "$tmp/srv$1.out" || true; }
declare -A BASE=()
for i in 0 1 2; do BASE[$i]=$(count $i); done
n_err=0
for _ in $(seq 300); do
	ip netns exec "$(ns C)" curl -sf -o /dev/null --max-time 2 \
		"http://$VIP/" || n_err=$((n_err + 1))
done
[ "$n_err" -eq 0 ] || fail "$n_err of 300 requests failed"
for i in 0 1 2; do
	n=$(($(count $i) - BASE[$i]))
	echo "member m$i: $n of 300"
	[ "$n" -ge 90 ] && [ "$n" -le 110 ] ||
		fail "member m$i served $n of 300 (not within 10% of 100)"
done
ok "300 requests through the VIP, even across 3 members"

os loadbalancer member set --weight 0 "$POOL" m2
wait_for "m2 drained in the datapath" 10 bash -c \
	"[ \$('$SLUICECTL' -s '$sock' dp lb-stats | grep -c ' up ') -le 2 ] ||
	 '$SLUICECTL' -s '$sock' dp lb-stats | grep -q 'weight=0'"
sleep 0.5
for i in 0 1 2; do BASE[$i]=$(count $i); done
for _ in $(seq 60); do
	ip netns exec "$(ns C)" curl -sf -o /dev/null --max-time 2 \
		"http://$VIP/" || fail "request after drain failed"
done
n2=$(($(count 2) - BASE[2]))
[ "$n2" -eq 0 ] || fail "m2 at weight 0 served $n2 new requests"
echo "after drain: m0 $(($(count 0) - BASE[0])), m1 $(($(count 1) - BASE[1])), m2 $n2"
ok "a member at weight 0 gets no new requests"

# allowed_cidrs: only C (and an IPv6 prefix, which no IPv4 client
# matches) may open connections to l1; D's SYNs are dropped in the
# datapath and counted by the listener's drop rule (table 8).
curl_ok() {
	ip netns exec "$(ns "$1")" curl -sf -o /dev/null --max-time 2 \
		"http://$VIP/"
}
denied_pkts() {
	"$SLUICECTL" -s "$sock" -o json dp dump-flows --table 8 |
		jq '[.[] | select(.priority == 50) | .n_packets] | add // 0'
}
curl_ok D || fail "D cannot reach the VIP before allowed_cidrs"
os loadbalancer listener set --allowed-cidr "${IP[C]}/32" \
	--allowed-cidr fd00:77::/64 l1
wait_for "allowed_cidrs rules installed" 10 bash -c \
	"'$SLUICECTL' -s '$sock' dp dump-flows | grep -q 'nw_src=${IP[C]}.*lb_select'"
for _ in 1 2 3; do curl_ok C || fail "C (allowed) cannot reach the VIP"; done
t0=$(date +%s%N)
if ip netns exec "$(ns D)" curl -sf -o /dev/null --connect-timeout 1 \
	"http://$VIP/"; then
	fail "D (outside allowed_cidrs) reached the VIP"
fi
echo "D refused after $((($(date +%s%N) - t0) / 1000000)) ms (curl's timeout)"
n=$(denied_pkts)
[ "$n" -ge 1 ] || fail "no drop counted for D (table 8 priority 50: $n)"
echo "listener drop rule: $n packets"
ok "allowed_cidrs: C connects, D is dropped and counted ($n packets)"
os loadbalancer listener unset --allowed-cidrs l1
wait_for "allowed_cidrs cleared" 10 bash -c \
	"! '$SLUICECTL' -s '$sock' dp dump-flows | grep -q 'nw_src=${IP[C]}.*lb_select'"
curl_ok D || fail "D cannot reach the VIP after allowed_cidrs were cleared"
ok "allowed_cidrs cleared: D connects again"

# timeout_client_data 2000 ms (the datapath's idle timeout: 2 s rounded
# up, plus one for its 1-second clock): a connection idle 1 s still gets
# its answer; one idle 3.6 s is gone from the connection table and its
# request is not answered. Prints: expires at the start, answered after
# 1 s; expires at the start, at 1 s, at 3.6 s (none: gone), answered.
os loadbalancer listener set --timeout-client-data 2000 l1
[ "$(os loadbalancer listener show l1 -f value -c timeout_client_data)" = 2000 ] ||
	fail "timeout_client_data not stored"
sleep 0.5 # the driver's pass (10 ms)
out=$(ip netns exec "$(ns C)" $PY -c '
import socket, subprocess, sys, time
vip, ctl, sock = sys.argv[1:4]

def expires(sport):
    out = subprocess.run([ctl, "-s", sock, "dp", "ct-dump"],
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "src=10.77.0.10 dst=%s sport=%d dport=80 " % (vip, sport) in line:
            return int(line.rsplit("expires=", 1)[1])
    return None

def conn(sport):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.77.0.10", sport))
    s.settimeout(2)
    s.connect((vip, 80))
    return s

def ask(s):
    try:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        return s.recv(64).startswith(b"HTTP/1.0 200")
    except (socket.timeout, OSError):
        return False

s = conn(41001)
e0 = expires(41001)
time.sleep(1.0)
print(e0, ask(s))
s.close()
s = conn(41002)
e0 = expires(41002)
time.sleep(1.0)
e1 = expires(41002)
time.sleep(2.6)
print(e0, e1, expires(41002), ask(s))
s.close()
' "$VIP" "$SLUICECTL" "$sock") || fail "idle client: $out"
echo "$out" | sed 's/^/idle: /'
read -r e0 a1 <<<"$(sed -n 1p <<<"$out")"
read -r f0 f1 f2 a2 <<<"$(sed -n 2p <<<"$out")"
[ "$e0" != None ] && [ "$e0" -le 3 ] && [ "$a1" = True ] ||
	fail "idle 1 s: expires $e0 (want <= 3), answered $a1"
[ "$f0" != None ] && [ "$f0" -le 3 ] && [ "$f1" != None ] &&
	[ "$f2" = None ] && [ "$a2" = False ] ||
	fail "idle 3.6 s: expires $f0 / $f1 / $f2, answered $a2"
ok "timeout_client_data 2000: idle 1 s answered, idle 3.6 s gone"
os loadbalancer listener unset --timeout-client-data l1
[ "$(os loadbalancer listener show l1 -f value -c timeout_client_data)" = 50000 ] ||
	fail "listener unset --timeout-client-data did not restore 50000"
curl_ok C || fail "C cannot reach the VIP after the timeouts were reset"
ok "listener unset: timeout_client_data back to 50000"

# UDP: a listener on VIP:53, members answering on 5353 with their name.
# Each datagram from a new socket is a new connection (new source port).
for i in 0 1 2; do
	ip netns exec "$(ns M$i)" $PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5353))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(sys.argv[2].encode() + b" " + d, a)
' "${IP[M$i]}" "m$i" >"$tmp/udp$i.out" 2>&1 &
	SRV[u$i]=$!
done
os security group rule create --ingress --protocol udp --dst-port 5353 \
	--remote-ip "$VIP/32" web >/dev/null
LU=$(os loadbalancer listener create --name l53 --protocol UDP \
	--protocol-port 53 "$LB" -f value -c id)
PU=$(os loadbalancer pool create --name p53 --protocol UDP \
	--lb-algorithm ROUND_ROBIN --listener "$LU" -f value -c id)
for i in 0 1 2; do
	os loadbalancer member create --name u$i --address "${IP[M$i]}" \
		--protocol-port 5353 --subnet-id "$SUB" "$PU" >/dev/null
done
wait_for "UDP listener rules installed" 10 bash -c \
	"[ \$('$SLUICECTL' -s '$sock' dp dump-flows | grep -c 'lb_select') -ge 2 ]"
# Prints "name count" per member; a reply must come from VIP:53.
udp_run() {
	ip netns exec "$(ns C)" $PY -c '
import socket, sys, collections
vip, n = sys.argv[1], int(sys.argv[2])
seen, lost = collections.Counter(), 0
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    s.sendto(b"q%d" % i, (vip, 53))
    try:
        d, a = s.recvfrom(2048)
    except socket.timeout:
        lost += 1
        s.close()
        continue
    if a != (vip, 53) or not d.endswith(b" q%d" % i):
        print("bad reply", a, d)
        sys.exit(1)
    seen[d.split()[0].decode()] += 1
    s.close()
for k in sorted(seen):
    print(k, seen[k])
print("lost", lost)
' "$VIP" "$1"
}
up=
for _ in $(seq 10); do
	udp_run 1 | grep -q '^m' && { up=1; break; }
done
[ -n "$up" ] || fail "no UDP datagram through the VIP answered in 10 s"
out=$(udp_run 300) || fail "UDP client: $out"
echo "$out" | sed 's/^/udp: /'
[ "$(awk '$1 == "lost" {print $2}' <<<"$out")" -eq 0 ] ||
	fail "UDP datagrams unanswered: $out"
for i in 0 1 2; do
	n=$(awk -v m="m$i" '$1 == m {print $2}' <<<"$out")
	[ "${n:-0}" -ge 90 ] && [ "${n:-0}" -le 110 ] ||
		fail "UDP member m$i answered ${n:-0} of 300 (not within 10% of 100)"
done
ok "300 UDP flows through VIP:53, even across 3 members, replies from the VIP"

# A member of the other IP version than the VIP (an IPv6 address in
# this IPv4 load balancer's pool; docs/lbaas.md "IPv6"): the real CLI
# gets the 400 and its message, and no member is stored.
SUB6=$(os subnet create --network lbnet --ip-version 6 \
	--subnet-range fd00:77::/64 --no-dhcp lbsub6 -f value -c id)
if out=$(openstack loadbalancer member create --address fd00:77::20 \
	--protocol-port 8080 --subnet-id "$SUB6" "$POOL" 2>&1); then
	fail "an IPv6 member of an IPv4 load balancer was accepted: $out"
fi
grep -q "Member address fd00:77::20 is IPv6 but load balancer $LB has an IPv4 VIP" <<<"$out" ||
	fail "IPv6 member refused without the reason: $out"
[ "$(os loadbalancer member list "$POOL" -f value -c id | wc -l)" -eq 3 ] ||
	fail "a member was stored for the IPv6 address"
ok "an IPv6 member of an IPv4 load balancer is refused with a 400 naming it"
echo "netns_lb_traffic: ok"
