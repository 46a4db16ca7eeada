#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# dp_controller_gone: flows are programmed, then three controllers are
# killed (SIGKILL) while guest A pings guest B (300 pings at 10 ms): one
# with an open flow transaction, one halfway through sending a message,
# one subscribed to packet-in. The datapath must keep forwarding with the
# rules it has (no ping lost), abort the dead client's transaction (a new
# client can commit), and still answer.
#
#   ns A               host                                ns B
#   eth0 --veth-- hA [port 1] sluice-dp [port 2] hB --veth-- eth0
#   10.203.0.1/24                                          10.203.0.2/24
#                                  | unix socket
#                        ctl_client.py x3 (killed), sluicectl
. "$(dirname "$0")/../lib/netns.sh"

mode=${1:-af_packet}
here=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 -c 'import socket' 2>/dev/null || nt_skip "needs /usr/bin/python3"
nt_init
nt_ns_add A
nt_ns_add B
nt_veth A eth0 10.203.0.1/24 "${NT_ID}A"
nt_veth B eth0 10.203.0.2/24 "${NT_ID}B"

nt_dp_start --port "p1=$mode:${NT_ID}A" --port "p2=$mode:${NT_ID}B"
nt_ctl dp add-flows - <<'FLOWS'
table=0,priority=10,in_port=1,actions=output:2
table=0,priority=10,in_port=2,actions=output:1
FLOWS
nt_ping_wait A 10.203.0.2
nt_ping A 10.203.0.2 2 -i 0.1

nt_exec A ping -n -c 300 -i 0.01 -w 30 10.203.0.2 >"$NT_TMP/ping.out" 2>&1 &
ping_pid=$!
NT_PIDS+=("$ping_pid")
for m in begin partial sub; do
	/usr/bin/python3 "$here/ctl_client.py" "$NT_SOCK" "$m" \
		>"$NT_TMP/client.$m" 2>&1 &
	pid=$!
	NT_PIDS+=("$pid")
	for i in $(seq 50); do
		grep -q ready "$NT_TMP/client.$m" && break
		kill -0 "$pid" 2>/dev/null ||
			{ cat "$NT_TMP/client.$m" >&2; nt_fail "client $m died"; }
		sleep 0.1
	done
	grep -q ready "$NT_TMP/client.$m" || nt_fail "client $m not ready"
	sleep 0.3
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	nt_log "killed controller '$m'"
done
wait "$ping_pid" || { cat "$NT_TMP/ping.out" >&2; nt_fail "ping failed"; }
tail -2 "$NT_TMP/ping.out"
nt_ping_answered "$NT_TMP/ping.out" 300 ||
	nt_fail "pings were lost while controllers died"
nt_dp_alive || nt_fail "sluice-dp died"

# The dead client's transaction was aborted: a new one commits.
nt_ctl dp add-flow 'table=0,priority=5,cookie=0x77,ip,actions=drop' ||
	nt_fail "a new transaction could not commit after the client died"
nt_ctl dp dump-flows | grep -q 'cookie=0x77' || nt_fail "new rule missing"
[ "$(nt_ctl dp dump-flows | grep -c 'in_port=')" = 2 ] ||
	nt_fail "the port rules changed"
nt_ping A 10.203.0.2 3 -i 0.1
nt_dp_stop
