#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# dp_replace_under_ping: guest A pings guest B 200 times at 10 ms while the
# whole rule set is replaced atomically (sluicectl dp replace-flows) 60
# times, alternating two different but equivalent rule sets (port rules;
# L3 rules with ARP rules). Not one ping may be lost: a commit publishes
# the new tables in one pointer swap, there is no moment without rules.
#
#   ns A               host                                ns B
#   eth0 --veth-- hA [port 1] sluice-dp [port 2] hB --veth-- eth0
#   10.202.0.1/24                                          10.202.0.2/24
. "$(dirname "$0")/../lib/netns.sh"

mode=${1:-af_xdp}
rounds=60
nt_init
nt_ns_add A
nt_ns_add B
nt_veth A eth0 10.202.0.1/24 "${NT_ID}A"
nt_veth B eth0 10.202.0.2/24 "${NT_ID}B"

set_a=$(nt_flows_file <<'FLOWS'
table=0,priority=10,cookie=0xa,in_port=1,actions=output:2
table=0,priority=10,cookie=0xa,in_port=2,actions=output:1
FLOWS
)
set_b=$(nt_flows_file <<'FLOWS'
table=0,priority=20,cookie=0xb,ip,in_port=1,nw_dst=10.202.0.2,actions=goto_table:1
table=0,priority=20,cookie=0xb,ip,in_port=2,nw_dst=10.202.0.1,actions=goto_table:1
table=0,priority=10,cookie=0xb,arp,in_port=1,actions=output:2
table=0,priority=10,cookie=0xb,arp,in_port=2,actions=output:1
table=1,priority=10,cookie=0xb,ip,nw_dst=10.202.0.2,actions=output:2
table=1,priority=10,cookie=0xb,ip,nw_dst=10.202.0.1,actions=output:1
FLOWS
)

nt_dp_start --port "p1=$mode:${NT_ID}A" --port "p2=$mode:${NT_ID}B"
nt_ctl dp replace-flows "$set_a"
nt_ping_wait A 10.202.0.2
nt_ping A 10.202.0.2 2 -i 0.1

nt_exec A ping -n -c 200 -i 0.01 -w 30 10.202.0.2 >"$NT_TMP/ping.out" 2>&1 &
ping_pid=$!
NT_PIDS+=("$ping_pid")
for i in $(seq "$rounds"); do
	if [ $((i % 2)) = 1 ]; then f=$set_b; else f=$set_a; fi
	nt_ctl dp replace-flows "$f" >/dev/null ||
		nt_fail "replace-flows round $i failed"
	sleep 0.02	# spread the replacements over the ping's 2 s
done
nt_log "$rounds atomic replacements done"
kill -0 "$ping_pid" 2>/dev/null ||
	nt_log "note: the ping ended before the replacements did"
wait "$ping_pid" || { cat "$NT_TMP/ping.out" >&2; nt_fail "ping failed"; }
tail -2 "$NT_TMP/ping.out"
nt_ping_answered "$NT_TMP/ping.out" 200 ||
	nt_fail "pings were lost during the replacements"

# The last set (A: rounds is even) is what the datapath holds.
flows=$(nt_ctl dp dump-flows)
echo "$flows"
[ "$(echo "$flows" | grep -c 'cookie=0xa')" = 2 ] ||
	nt_fail "expected the 2 rules of set A after the last replacement"
echo "$flows" | grep -q 'cookie=0xb' && nt_fail "rules of set B survived"
nt_dp_stop
