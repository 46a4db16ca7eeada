#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# dp_lb6: lb_select with an IPv6 pool and real servers. A client guest
# and two member guests running Python's http.server on af_packet ports of
# one sluice-dp; rules by sluicectl dp add-flows, the pool by sluicectl dp
# lb-set with an IPv6 source address and [ADDR]:PORT members
# (ROUND_ROBIN):
#
#   ns C  fd00:216::1 --- [port 1]                [port 2] --- ns M1 fd00:216::11
#                              sluice-dp          [port 3] --- ns M2 fd00:216::12
#   VIP [fd00:216::100]:80     LB address fd00:216::200 (source NAT
#                              towards the members)
#
# The guests reach the VIP and the LB address through static neighbour
# entries (the fake MAC 02:00:00:21:60:fe); sluice-dp rewrites MACs. DAD
# is off in the guests (the addresses are usable at once).
# 1. 100 curl requests to the VIP: every one answered, within 20% of even
#    across the members, each member seeing only the LB address as its
#    peer (the servers' access logs).
# 2. Member 2 set down: 20 new requests all reach member 1; lb-stats names
#    the members as [ADDR]:PORT and shows member 2 down.
. "$(dirname "$0")/../lib/netns.sh"

command -v curl >/dev/null || nt_skip "needs curl"
PFX=fd00:216:
VIP=${PFX}:100
LBA=${PFX}:200
FAKE=02:00:00:21:60:fe
nt_init
guest() { # NAME ADDR HOSTIF MAC
	nt_ns_add "$1"
	nt_exec "$1" sysctl -qw net.ipv6.conf.default.accept_dad=0
	nt_veth "$1" eth0 "$2/64" "$3" "$4"
}
guest C ${PFX}:1 "${NT_ID}C" 02:00:00:21:60:01
nt_exec C ip -6 neigh replace $VIP lladdr $FAKE dev eth0
for i in 1 2; do
	guest "M$i" "${PFX}:1$i" "${NT_ID}M$i" "02:00:00:21:60:1$i"
	nt_exec "M$i" ip -6 neigh replace $LBA lladdr $FAKE dev eth0
done
nt_dp_start --ct-max 10000 --port "p1=af_packet:${NT_ID}C" \
	--port "p2=af_packet:${NT_ID}M1" --port "p3=af_packet:${NT_ID}M2"

# A web server in each member: Python's http.server on the member's
# address, its access log on stderr.
declare -A WEB_PID
for i in 1 2; do
	d="$NT_TMP/www$i"
	mkdir -p "$d"
	echo "member $i" >"$d/index.html"
	nt_exec "M$i" python3 -m http.server --bind "${PFX}:1$i" \
		--directory "$d" 80 2>"$NT_TMP/access$i.log" &
	WEB_PID[$i]=$!
	NT_PIDS+=("${WEB_PID[$i]}")
done

nt_ctl dp add-flows - <<FLOWS
table=0,priority=10,tcp6,in_port=1,ipv6_dst=$VIP,tp_dst=80,actions=lb_select(pool=1,zone=9,table=1)
table=0,priority=10,ipv6,in_port=2,actions=ct(zone=9,nat,table=2)
table=0,priority=10,ipv6,in_port=3,actions=ct(zone=9,nat,table=2)
table=1,priority=20,ct_state=+inv,actions=drop
table=1,priority=10,ipv6,ipv6_dst=${PFX}:11,actions=set_field:$FAKE->eth_src,set_field:02:00:00:21:60:11->eth_dst,output:2
table=1,priority=10,ipv6,ipv6_dst=${PFX}:12,actions=set_field:$FAKE->eth_src,set_field:02:00:00:21:60:12->eth_dst,output:3
table=2,priority=10,ct_state=+est,ipv6,ipv6_dst=${PFX}:1,actions=set_field:$FAKE->eth_src,set_field:02:00:00:21:60:01->eth_dst,output:1
FLOWS
nt_ctl dp lb-set id=1 alg=round_robin src=$LBA \
	"member=[${PFX}:11]:80" "member=[${PFX}:12]:80"

# Wait for both servers to listen (in their guests: no request, which
# the peers check below would see), then for the whole path through the
# VIP. One answer through the VIP proves only the member that gave it:
# round robin sends the next connection to the other, whose server may
# still be starting on a loaded machine (its RSTs failed requests 1, 3
# and 5 of the 100 below; dp_lb.sh waits for nginx's pid files likewise).
for i in $(seq 100); do
	up=0
	for j in 1 2; do
		[ -n "$(nt_exec "M$j" ss -Hltn "( sport = :80 )")" ] &&
			up=$((up + 1))
	done
	[ $up = 2 ] && nt_exec C curl -gsf -o /dev/null --max-time 2 \
		"http://[$VIP]/" && break
	sleep 0.2
done
[ "$i" -lt 100 ] ||
	nt_fail "members or the IPv6 VIP not answering in 20 s ($up of 2 up)"

count() {
	local n
	n=$(grep -c '" 200 ' "$NT_TMP/access$1.log" 2>/dev/null) || true
	echo "${n:-0}"
}
declare -A base
for j in 1 2; do base[$j]=$(count $j); done

# 1. 100 requests, one connection each.
fails=0
for i in $(seq 100); do
	nt_exec C curl -gsf -o /dev/null --max-time 5 "http://[$VIP]/" ||
		fails=$((fails + 1))
done
[ $fails = 0 ] || nt_fail "$fails of 100 requests failed"
for j in 1 2; do
	n=$(($(count $j) - base[$j]))
	echo "member $j: $n of 100 requests"
	[ $n -ge 40 ] && [ $n -le 60 ] ||
		nt_fail "member $j got $n of 100 (bound 40..60)"
	peers=$(awk '/" 200 / { print $1 }' "$NT_TMP/access$j.log" | sort -u)
	[ "$peers" = $LBA ] || nt_fail "member $j saw peers: $peers"
done

# 2. Member 2 down: the new requests go to member 1 only.
nt_ctl dp lb-set id=1 alg=round_robin src=$LBA \
	"member=[${PFX}:11]:80" "member=[${PFX}:12]:80,down"
for j in 1 2; do base[$j]=$(count $j); done
for i in $(seq 20); do
	nt_exec C curl -gsf -o /dev/null --max-time 5 "http://[$VIP]/" ||
		nt_fail "request $i failed with member 2 down"
done
[ $(($(count 1) - base[1])) = 20 ] || nt_fail "member 1 got $(($(count 1) - base[1])) of 20"
[ $(($(count 2) - base[2])) = 0 ] || nt_fail "member 2 (down) got requests"
stats=$(nt_ctl dp lb-stats 1)
echo "$stats"
echo "$stats" | grep -q "^pool 1 ipv6 " || nt_fail "lb-stats: not an IPv6 pool"
echo "$stats" | grep -q "member \[${PFX}:12\]:80 weight=1 down" ||
	nt_fail "lb-stats does not show member 2 down"
drops=$(nt_ctl dp stats | awk '$1 == "lb_family" {print $2}')
[ "${drops:-0}" = 0 ] || nt_fail "lb_family drops: $drops"
nt_dp_stop
echo "dp_lb6: ok"
