#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# dp_packet_io: packet-in and packet-out through sluice-dp's main lcore.
#   packet-in: a rule punts UDP to port 9999 from port 1 (reason 7); a
#     subscribed client (pkt_io.py sub) must receive each frame A sent,
#     whole, with in_port 1 and reason 7, and B must not.
#   packet-out: a frame injected out of port 2 (sluicectl dp packet-out 2)
#     and one injected through the tables as if received on port 1
#     (packet-out --in-port 1 tables) must both reach a UDP socket in B.
#
#   ns A               host                                ns B
#   eth0 --veth-- hA [port 1] sluice-dp [port 2] hB --veth-- eth0
#   10.204.0.1/24         |  unix socket                  10.204.0.2/24
#                 pkt_io.py sub, sluicectl packet-out
. "$(dirname "$0")/../lib/netns.sh"

mode=${1:-af_packet}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
$py -c 'import socket' 2>/dev/null || nt_skip "needs /usr/bin/python3"
nt_init
nt_ns_add A
nt_ns_add B
nt_veth A eth0 10.204.0.1/24 "${NT_ID}A" 02:00:00:00:04:01
nt_veth B eth0 10.204.0.2/24 "${NT_ID}B" 02:00:00:00:04:02

nt_dp_start --port "p1=$mode:${NT_ID}A" --port "p2=$mode:${NT_ID}B"
nt_ctl dp add-flows - <<'FLOWS'
table=0,priority=20,udp,in_port=1,tp_dst=9999,actions=controller:7
table=0,priority=10,in_port=1,actions=output:2
table=0,priority=10,in_port=2,actions=output:1
FLOWS
nt_ping_wait A 10.204.0.2
nt_ping A 10.204.0.2 2 -i 0.1

# Packet-in: 5 datagrams to B:9999 are punted, not forwarded.
$py "$here/pkt_io.py" sub "$NT_SOCK" 5 10 >"$NT_TMP/pin" 2>&1 &
sub_pid=$!
NT_PIDS+=("$sub_pid")
nt_exec B $py "$here/pkt_io.py" listen 10.204.0.2 9999 1 3 \
	>"$NT_TMP/b9999" 2>&1 &
b_pid=$!
NT_PIDS+=("$b_pid")
for i in $(seq 50); do
	grep -q ready "$NT_TMP/pin" && grep -q ready "$NT_TMP/b9999" && break
	sleep 0.1
done
grep -q ready "$NT_TMP/pin" || nt_fail "packet-in subscription failed"
for i in 1 2 3 4 5; do
	nt_exec A bash -c "echo sluice-in-$i > /dev/udp/10.204.0.2/9999"
	sleep 0.05
done
wait "$sub_pid" || { cat "$NT_TMP/pin" >&2; nt_fail "packet-in: not 5 frames"; }
grep -v ready "$NT_TMP/pin"
n=0
while read -r port in_port reason len hex; do
	[ "$port" = ready ] && continue
	[ "$reason" = 7 ] || nt_fail "packet-in reason $reason, expected 7"
	[ "$in_port" = 1 ] || [ "$port" = 1 ] ||
		nt_fail "packet-in from port $port/$in_port, expected 1"
	# "sluice-in-" in hex
	echo "$hex" | grep -q 736c756963652d696e2d ||
		nt_fail "packet-in frame lacks its payload"
	[ "$len" = $((${#hex} / 2)) ] || nt_fail "packet-in length $len"
	n=$((n + 1))
done <"$NT_TMP/pin"
[ "$n" = 5 ] || nt_fail "$n packet-ins, expected 5"
wait "$b_pid" && nt_fail "B received a punted datagram"
nt_log "packet-in: 5/5, none forwarded"

# Packet-out: straight out of port 2, then through the tables.
nt_exec B $py "$here/pkt_io.py" listen 10.204.0.2 7777 2 5 \
	>"$NT_TMP/b7777" 2>&1 &
b_pid=$!
NT_PIDS+=("$b_pid")
for i in $(seq 50); do grep -q ready "$NT_TMP/b7777" && break; sleep 0.1; done
f1=$($py "$here/pkt_io.py" frame 02:00:00:00:04:01 02:00:00:00:04:02 \
	10.204.0.1 10.204.0.2 7777 sluice-out-port)
f2=$($py "$here/pkt_io.py" frame 02:00:00:00:04:01 02:00:00:00:04:02 \
	10.204.0.1 10.204.0.2 7777 sluice-out-tables)
nt_ctl dp packet-out 2 --hex "$f1" || nt_fail "packet-out 2"
nt_ctl dp packet-out --in-port 1 tables --hex "$f2" ||
	nt_fail "packet-out through the tables"
wait "$b_pid" || { cat "$NT_TMP/b7777" >&2; nt_fail "B did not get both"; }
cat "$NT_TMP/b7777"
grep -q sluice-out-port "$NT_TMP/b7777" || nt_fail "port packet-out lost"
grep -q sluice-out-tables "$NT_TMP/b7777" || nt_fail "tables packet-out lost"
nt_ctl dp packet-out 9 --hex "$f1" 2>/dev/null &&
	nt_fail "packet-out to a missing port succeeded"
nt_dp_alive || nt_fail "sluice-dp died"
nt_dp_stop
