#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# sluicectl_test.sh: the "sluicectl dp" commands end to end against
# dp_ctl_testd (the real pipeline and protocol server, fake ports):
# add-flows / dump-flows / replace-flows / del-flows, errors naming the
# file line (parser and datapath), trace, ports, packet-out, stats in JSON,
# and exit codes (2 usage, 1 failure); the usage of the REST "lb health".
#
# usage: sluicectl_test.sh SLUICECTL DP_CTL_TESTD
set -euo pipefail

ctl=$1
testd=$2
dir=$(mktemp -d /tmp/sluicectl_test.XXXXXX)
sock=$dir/dp.sock
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" || true; fi
	rm -rf "$dir"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
s() { "$ctl" -s "$sock" "$@"; }
# expect CODE CMD...: run, check the exit code, keep stdout+stderr in $out
expect() {
	local want=$1 rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, expected $want: $out"
}
contains() { grep -qF -- "$1" <<<"$out" || fail "output lacks '$1': $out"; }

"$testd" "$sock" 50 &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || fail "dp_ctl_testd did not start"

# add-flows: one transaction from a file, comments and blank lines skipped.
cat >"$dir/flows" <<'F'
# two ports bridged, owned by cookie 0x1
table=0,priority=10,cookie=0x1,in_port=1,actions=output:2
table=0,priority=10,cookie=0x1,in_port=2,actions=output:1

table=0,priority=20,cookie=0x2,in_port=1,udp,tp_dst=53,actions=goto_table:1
table=1,priority=1,cookie=0x2,actions=dec_ttl,output:3
F
expect 0 s dp add-flows "$dir/flows"
expect 0 s dp dump-flows
[ "$(wc -l <<<"$out")" -eq 4 ] || fail "dump-flows: $out"
contains "table=0,priority=20,cookie=0x2,n_packets=0,n_bytes=0,udp,in_port=1,tp_dst=53,actions=goto_table:1"
expect 0 s dp dump-flows --table 1
[ "$(wc -l <<<"$out")" -eq 1 ] || fail "dump-flows --table 1: $out"
expect 0 s -o json dp dump-flows --cookie 0x1
python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==2 and d[0]["cookie"]=="0x1", d' <<<"$out"

# The dump is valid input: feed it back (same rules, replaced in place).
s dp dump-flows >"$dir/dump"
expect 0 s dp add-flows - <"$dir/dump"
expect 0 s dp dump-flows
[ "$(wc -l <<<"$out")" -eq 4 ] || fail "re-added dump: $out"

# A parse error names the file, line and column; nothing is applied.
printf 'in_port=5,actions=output:6\n#\nin_port=6,nw_dst=1.2.3,actions=output:5\n' >"$dir/bad"
expect 1 s dp add-flows "$dir/bad"
contains "$dir/bad: line 3, column 18: near '1.2.3': expected an IPv4 address for nw_dst"
expect 0 s dp dump-flows
[ "$(wc -l <<<"$out")" -eq 4 ] || fail "bad file applied: $out"

# A rule the datapath refuses (rules_max 50): the error names its line.
for i in $(seq 60); do echo "priority=$i,cookie=0x9,in_port=$((i + 10)),actions=output:1"; done >"$dir/many"
expect 1 s dp add-flows "$dir/many"
contains "$dir/many:47: rejected"
expect 0 s dp dump-flows --cookie 0x9
[ -z "$out" ] || fail "partial add-flows applied: $out"

# replace-flows: the cookie's rules swapped atomically, others kept.
echo "table=0,priority=10,cookie=0x1,in_port=1,actions=output:4" >"$dir/repl"
expect 0 s dp replace-flows "$dir/repl" --cookie 0x1/0xff
expect 0 s dp dump-flows --cookie 0x1
[ "$(wc -l <<<"$out")" -eq 1 ] || fail "replace-flows: $out"
contains "in_port=1,actions=output:4"
expect 0 s dp dump-flows --cookie 0x2
[ "$(wc -l <<<"$out")" -eq 2 ] || fail "replace-flows touched cookie 0x2: $out"

# trace: the key, each table, the rule hit, the outputs.
expect 0 s dp trace 1 "udp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=53"
contains "key: udp,in_port=1,"
contains "table 0: hit table=0,priority=20,cookie=0x2,udp,in_port=1,tp_dst=53,actions=goto_table:1"
contains "table 1: hit table=1,priority=1,cookie=0x2,actions=dec_ttl,output:3"
contains "outputs: 3"
expect 0 s dp trace 7 --hex "$(printf '02%.0s' $(seq 60))"
contains "table 0: miss"
contains "verdict: drop (no_match)"
expect 0 s -o json dp trace 1 "tcp,tp_dst=22"
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["outputs"]==["4"], d' <<<"$out"

# del-flows by cookie, then everything.
expect 0 s dp del-flows --cookie 0x2
expect 0 s dp dump-flows
[ "$(wc -l <<<"$out")" -eq 1 ] || fail "del-flows --cookie: $out"
expect 0 s dp add-flow "priority=1,arp,actions=controller:3"
expect 0 s dp del-flows
expect 0 s dp dump-flows
[ -z "$out" ] || fail "del-flows: $out"

# Ports and packet-out through the runtime.
expect 0 s dp port-add vm1 vhost-user /tmp/vm1.sock --port-no 7
contains "vm1"
expect 0 s dp port-add tap0 tap tap0
expect 1 s dp port-add vm1 vhost-user /tmp/vm1.sock
contains "PORT_ADD vm1: port exists"
expect 0 s -o json dp ports
python3 -c 'import json,sys; d=json.load(sys.stdin); assert sorted(p["name"] for p in d)==["tap0","vm1"], d' <<<"$out"
expect 0 s dp packet-out 7 "udp,tp_dst=9"
expect 1 s dp packet-out 9 "udp,tp_dst=9"
contains "no port 9"
expect 0 s dp port-del vm1
expect 0 s dp port-del 8
expect 1 s dp port-del 8

# Counters and cache flush.
expect 0 s dp cache-flush
expect 0 s -o json dp stats
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["rules"]==0 and "no_match" in d["drops"], d' <<<"$out"

# Usage errors: exit 2, naming the bad argument.
expect 2 s dp add-flow "in_port=1,actoins=drop"
contains "near 'actoins=drop'"
expect 2 s dp port-add p0 vhost p
contains "port type 'vhost'"
expect 2 s dp dump-flows --table x
contains "--table 'x'"
expect 2 s dp trace 1
contains "give a FLOWSPEC or --hex HEX"
expect 2 s dp frobnicate
# "lb health" is listed in the help and takes no argument (exit 2 before
# any request: no server needed).
expect 0 "$ctl" --help
contains "  lb health "
expect 2 "$ctl" lb health extra
contains "unexpected argument 'extra'"
expect 2 "$ctl" lb frobnicate
contains "usage: sluicectl"
expect 2 s -o yaml dp ports
expect 1 "$ctl" -s "$dir/nothing.sock" dp ports
contains "is sluice-dp running?"

# LB pools (docs/lbaas.md, "Datapath"): set, stats (text, JSON), del.
expect 0 s dp lb-set id=3 alg=least_connections src=10.0.0.1 \
	member=10.0.0.2:80,weight=5 member=10.0.0.3:80,backup \
	member=10.0.0.4:81,down persist=10 ports=2000-3000
expect 0 s dp lb-stats 3
contains "member 10.0.0.3:80 weight=1 up backup"
contains "member 10.0.0.4:81 weight=1 down"
out=$(s -o json dp lb-stats)
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[0]["id"]==3 and d[0]["members"][0]["table_entries"]==65537, d' <<<"$out"
expect 0 s dp lb-set id=3 alg=round_robin src=10.0.0.1 limit=100 \
	member=10.0.0.2:80
expect 0 s dp lb-stats 3
contains "conn_limit=100 limit=0"
expect 1 s dp lb-set id=3 alg=round_robin src=10.0.0.1 \
	member=10.0.0.2:80 member=10.0.0.2:80
contains "listed twice"
expect 2 s dp lb-set id=3 alg=bogus src=10.0.0.1
expect 0 s dp lb-del 3
expect 1 s dp lb-del 3
contains "pool 3"
# An IPv6 pool: [ADDR]:PORT members, stats naming them, families kept apart.
expect 0 s dp lb-set id=5 alg=source_ip src=2001:db8:1::1 \
	member=[2001:db8:2::a]:8080,weight=3 member=[2001:db8:2::b]:8080,backup
expect 0 s dp lb-stats 5
contains "pool 5 ipv6 alg=source_ip"
contains "member [2001:db8:2::b]:8080 weight=1 up backup"
out=$(s -o json dp lb-stats 5)
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[0]["ipv6"] and d[0]["members"][0]["address"]=="2001:db8:2::a" and d[0]["members"][0]["weight"]==3, d' <<<"$out"
expect 2 s dp lb-set id=5 alg=round_robin src=2001:db8:1::1 member=10.0.0.2:80
contains "a pool is of one family"
expect 2 s dp lb-set id=5 alg=round_robin src=2001:db8:1::1 \
	member=[2001:db8:2::a]:80 member=10.0.0.2:80
contains "IPv4 and IPv6 members in one pool"
expect 1 s dp lb-set id=5 alg=round_robin src=ff02::1 member=[2001:db8:2::a]:80
contains "IPv6 source address is multicast"
expect 0 s dp lb-del 5

# The stand-in datapath shuts down cleanly (and leak-free under ASan).
kill "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" -eq 0 ] || fail "dp_ctl_testd exited $rc"
[ ! -e "$sock" ] || fail "socket file left behind"

echo "sluicectl_test: all passed"
