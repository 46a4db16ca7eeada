#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# dp_garbage: guest A sends malformed frames (cut VLAN tags, ARP, IPv4,
# IPv6, UDP headers; bad IHL, version, total length, payload length, TCP
# data offset) through a raw packet socket while it pings guest B. Every
# malformed frame must be dropped and counted under its own reason
# (sluicectl dp stats, exact counts), the ping must lose nothing, and
# sluice-dp must still run and stop cleanly.
#
#   ns A               host                                ns B
#   eth0 --veth-- hA [port 1] sluice-dp [port 2] hB --veth-- eth0
#   10.201.0.1/24                                          10.201.0.2/24
#    ^ garbage.py (raw socket)
#
#   table=0 in_port=1 -> output:2, in_port=2 -> output:1
. "$(dirname "$0")/../lib/netns.sh"

mode=${1:-af_xdp}
n=200
here=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 -c 'import socket' 2>/dev/null || nt_skip "needs /usr/bin/python3"
nt_init
nt_ns_add A
nt_ns_add B
nt_veth A eth0 10.201.0.1/24 "${NT_ID}A"
nt_veth B eth0 10.201.0.2/24 "${NT_ID}B"

nt_dp_start --port "p1=$mode:${NT_ID}A" --port "p2=$mode:${NT_ID}B"
nt_ctl dp add-flows - <<'FLOWS'
table=0,priority=10,in_port=1,actions=output:2
table=0,priority=10,in_port=2,actions=output:1
FLOWS
nt_ping_wait A 10.201.0.2
nt_ping A 10.201.0.2 2 -i 0.1

drops() { # reason -> count
	nt_ctl dp stats | awk -v r="$1" '$1 == r { print $2 }'
}
reasons="trunc_vlan trunc_arp bad_ipv4 bad_ipv6 trunc_l4 bad_tcp"
declare -A before expect
for r in $reasons; do
	before[$r]=$(drops "$r")
	[ -n "${before[$r]}" ] || nt_fail "dp stats shows no counter '$r'"
	expect[$r]=0
done

nt_exec A ping -n -c 100 -i 0.02 -w 30 10.201.0.2 >"$NT_TMP/ping.out" 2>&1 &
ping_pid=$!
NT_PIDS+=("$ping_pid")
sleep 0.2
kinds=$(nt_exec A /usr/bin/python3 "$here/garbage.py" eth0 "$n") ||
	nt_fail "garbage.py failed"
while read -r kind reason; do
	expect[$reason]=$((expect[$reason] + n))
done <<<"$kinds"
wait "$ping_pid" || { cat "$NT_TMP/ping.out" >&2; nt_fail "ping failed"; }
nt_ping_answered "$NT_TMP/ping.out" 100 ||
	{ cat "$NT_TMP/ping.out" >&2; nt_fail "ping lost packets"; }
nt_log "ping: 100/100 during the garbage"
nt_dp_alive || nt_fail "sluice-dp died"

for r in $reasons; do
	now=$(drops "$r")
	got=$((now - before[$r]))
	printf '%-12s +%d (expected +%d)\n' "$r" "$got" "${expect[$r]}"
	[ "$got" = "${expect[$r]}" ] ||
		nt_fail "drop reason $r rose by $got, expected ${expect[$r]}"
done
nt_ping A 10.201.0.2 3 -i 0.1
nt_dp_stop
