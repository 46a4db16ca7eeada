#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# dp_forward: two guests on veth pairs whose host ends are sluice-dp ports
# (AF_XDP or AF_PACKET, the first argument), two port rules programmed
# with sluicectl; ping and a 3 s iperf3 TCP run between the guests. Also
# measures the CPU an idle sluice-dp uses over 5 s. With "tap", sluice-dp
# creates two tap devices and the test moves them into the guests.
# Fragmented datagrams (ping -s 1900 .. 8000 over MTU 1500) pass every port
# type; on AF_PACKET, whose kernel socket reassembles them, sluice-dp
# fragments them again for the output port. Guest A and its host end have
# MTU 9000 (AF_PACKET mode), so A's unfragmented 3000-byte datagrams are
# fragmented by sluice-dp for B's MTU 1500, and one with DF is dropped and
# counted (tx_too_big) on AF_PACKET (docs/runtime.md).
#
#   ns A               host                                ns B
#   eth0 --veth-- hA [port 1] sluice-dp [port 2] hB --veth-- eth0
#   10.201.0.1/24                                          10.201.0.2/24
#
#   table=0 in_port=1 -> output:2, in_port=2 -> output:1
. "$(dirname "$0")/../lib/netns.sh"

mode=${1:-af_packet}
case $mode in af_xdp|af_packet|tap) ;; *) nt_fail "mode $mode";; esac
command -v iperf3 >/dev/null || nt_skip "needs iperf3"
nt_init
nt_ns_add A
nt_ns_add B
if [ "$mode" = tap ]; then
	nt_dp_start --port "p1=tap:${NT_ID}A" --port "p2=tap:${NT_ID}B"
	for g in A B; do
		ip link set "${NT_ID}$g" netns "$(nt_ns $g)" ||
			nt_fail "move tap ${NT_ID}$g into its guest"
	done
	nt_exec A ip addr add 10.201.0.1/24 dev "${NT_ID}A"
	nt_exec B ip addr add 10.201.0.2/24 dev "${NT_ID}B"
	nt_exec A ip link set "${NT_ID}A" up
	nt_exec B ip link set "${NT_ID}B" up
else
	nt_veth A eth0 10.201.0.1/24 "${NT_ID}A"
	nt_veth B eth0 10.201.0.2/24 "${NT_ID}B"
	# Before sluice-dp opens the port (it reads the MTU then). Not
	# AF_XDP: its frames are 4 KiB, and XDP on veth wants the MTU to fit.
	if [ "$mode" = af_packet ]; then
		nt_exec A ip link set eth0 mtu 9000
		ip link set "${NT_ID}A" mtu 9000 ||
			nt_fail "mtu 9000 on ${NT_ID}A"
	fi
	nt_dp_start --port "p1=$mode:${NT_ID}A" --port "p2=$mode:${NT_ID}B"
fi
nt_ctl dp add-flows - <<'FLOWS'
table=0,priority=10,in_port=1,actions=output:2
table=0,priority=10,in_port=2,actions=output:1
FLOWS

nt_ping_wait A 10.201.0.2
nt_ping A 10.201.0.2 5 -i 0.1
nt_log "ping through $mode ports: 5/5"

# Fragmented IPv4 both ways: B's replies (and, for tap, A's requests) are
# fragments of its MTU 1500. At most one of ten may be lost (a loaded
# machine); before the fix none of these arrived on AF_PACKET.
frag_ping() {	# SIZE [ping options]
	local s=$1 got
	shift
	got=$(nt_exec A ping -c 10 -i 0.1 -W 2 -s "$s" "$@" 10.201.0.2 |
		sed -n 's/.* \([0-9]*\) received.*/\1/p') || true
	echo "ping -s $s $*: ${got:-0}/10"
	[ "${got:-0}" -ge 9 ] || nt_fail "ping -s $s $*: ${got:-0} of 10 answered"
}
for s in 1900 3000 8000; do
	frag_ping "$s" -M dont
done
if [ "$mode" = af_packet ]; then
	before=$(nt_ctl dp stats | awk '$1 == "tx_too_big" {print $2}')
	out=$(nt_exec A ping -c 3 -i 0.2 -W 1 -s 3000 -M do 10.201.0.2 2>&1) || true
	echo "$out" | grep -q ' 0 received' ||
		nt_fail "a 3000-byte DF ping crossed into MTU 1500: $out"
	after=$(nt_ctl dp stats | awk '$1 == "tx_too_big" {print $2}')
	[ "${after:-0}" -ge $(( ${before:-0} + 3 )) ] ||
		nt_fail "tx_too_big went from ${before:-?} to ${after:-?}, not +3"
	nt_log "DF over the MTU: dropped and counted (tx_too_big $before -> $after)"
fi

nt_iperf3 A B 10.201.0.2 "through sluice-dp ($mode)"

# Rules were hit: counters show it.
flows=$(nt_ctl dp dump-flows)
echo "$flows"
echo "$flows" | grep -q 'in_port=1.*n_packets=[1-9]' ||
	echo "$flows" | grep -q 'n_packets=[1-9].*in_port=1' ||
	nt_fail "rule in_port=1 counted no packets"
ports=$(nt_ctl dp ports)
echo "$ports"

# Idle CPU over 5 s of no traffic: time on CPU of every thread, in ns
# (schedstat; tick-based utime/stime is too coarse for this).
cpu_ns() {
	cat /proc/"$NT_DP_PID"/task/*/schedstat | awk '{ t += $1 } END { print t }'
}
sleep 2
t0=$(cpu_ns)
sleep 5
t1=$(cpu_ns)
cpu=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 5e9 * 100 }')
echo "idle sluice-dp ($mode ports): $cpu% of one CPU over 5 s"
awk -v c="$cpu" 'BEGIN { exit !(c < 5) }' ||
	nt_fail "idle sluice-dp uses $cpu% CPU (bound 5%)"

nt_dp_stop
nt_log "sluice-dp stopped cleanly"
