#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# api_crash_test.sh: durability. Two writers stream port creates (single
# and bulk of 3) at sluiced and record every acknowledged (201) id; sluiced
# is killed with SIGKILL mid-stream and restarted on the same database.
# Every acknowledged port must be there, and nothing may be half-written:
# no port without its IP allocation row, no allocation without its port,
# every bulk either whole or absent, the database intact.
#
#   2 x curl loop --POST /v2.0/ports--> sluiced  <-- kill -9, restart
#
# usage: api_crash_test.sh path/to/sluiced
SLUICED=$1
. "$(dirname "$0")/lib.sh"
need curl
need jq
need sqlite3

N=300		# writes per writer
KILL_AFTER=120	# acknowledged writes before the kill

write_conf
start_sluiced
r=$(http POST /v2.0/networks '{"network": {"name": "crash"}}')
expect_status "$r" 201 "network"
NET=$(jget "${r#* }" .network.id)
r=$(http POST /v2.0/subnets "{\"subnet\": {\"network_id\": \"$NET\", \"ip_version\": 4, \"cidr\": \"10.20.0.0/16\"}}")
expect_status "$r" 201 "subnet"

writer() { # id
	local w=$1 i code
	for i in $(seq 1 $N); do
		if [ $((i % 10)) -eq 0 ]; then
			body="{\"ports\": [{\"network_id\": \"$NET\", \"name\": \"b$w-$i\"}, {\"network_id\": \"$NET\", \"name\": \"b$w-$i\"}, {\"network_id\": \"$NET\", \"name\": \"b$w-$i\"}]}"
		else
			body="{\"port\": {\"network_id\": \"$NET\", \"name\": \"p$w-$i\"}}"
		fi
		code=$(curl -s -o "$WORK/w$w.out" -w '%{http_code}' -m 5 -X POST \
			-H 'Content-Type: application/json' --data-binary "$body" \
			"$URL/v2.0/ports") || true
		if [ "$code" = 201 ]; then
			jq -r '(.port // empty | .id), (.ports // [] | .[].id)' \
				"$WORK/w$w.out" >> "$WORK/acked"
		fi
	done
}
: > "$WORK/acked"
writer 1 & W1=$!
writer 2 & W2=$!
for _ in $(seq 1 1500); do
	[ "$(wc -l < "$WORK/acked")" -ge $KILL_AFTER ] && break
	sleep 0.02
done
kill -9 "$SLUICED_PID"
wait "$SLUICED_PID" 2>/dev/null || true
SLUICED_PID=
acked=$(wc -l < "$WORK/acked")
wait $W1 $W2 || true
[ "$acked" -ge $KILL_AFTER ] || fail "only $acked writes acknowledged before the kill"
# Writes acknowledged after the kill cannot exist; count the final file.
acked=$(wc -l < "$WORK/acked")
ok "kill -9 after $acked acknowledged port writes"

start_sluiced
ok "restart on the same database"
missing=0
r=$(http GET "/v2.0/ports?fields=id")
jget "${r#* }" '.ports[].id' | sort > "$WORK/present"
sort -u "$WORK/acked" > "$WORK/acked.sorted"
missing=$(comm -23 "$WORK/acked.sorted" "$WORK/present" | wc -l)
[ "$missing" -eq 0 ] || fail "$missing acknowledged ports lost"
present=$(wc -l < "$WORK/present")
ok "all $acked acknowledged ports present ($present stored)"

db="$WORK/sluice.db"
[ "$(sqlite3 "$db" 'PRAGMA integrity_check;')" = ok ] || fail "integrity_check"
[ "$(sqlite3 "$db" 'PRAGMA foreign_key_check;' | wc -l)" = 0 ] || fail "foreign keys"
orphans=$(sqlite3 "$db" "SELECT count(*) FROM ports p WHERE NOT EXISTS
	(SELECT 1 FROM ip_allocations a WHERE a.port_id = p.id);")
[ "$orphans" = 0 ] || fail "$orphans ports without an IP allocation"
stray=$(sqlite3 "$db" "SELECT count(*) FROM ip_allocations a WHERE NOT EXISTS
	(SELECT 1 FROM ports p WHERE p.id = a.port_id);")
[ "$stray" = 0 ] || fail "$stray allocations without a port"
torn=$(sqlite3 "$db" "SELECT count(*) FROM (SELECT name, count(*) c FROM ports
	WHERE name LIKE 'b%' GROUP BY name HAVING c <> 3);")
[ "$torn" = 0 ] || fail "$torn bulk creates half-applied"
dupip=$(sqlite3 "$db" "SELECT count(*) FROM (SELECT ip FROM ip_allocations
	GROUP BY subnet_id, ip HAVING count(*) > 1);")
[ "$dupip" = 0 ] || fail "duplicate addresses"
# The API view agrees with the rows: each port's fixed IP is its row's.
r=$(http GET "/v2.0/ports?fields=fixed_ips")
n_api=$(jget "${r#* }" '[.ports[].fixed_ips[]] | length')
n_db=$(sqlite3 "$db" 'SELECT count(*) FROM ip_allocations;')
[ "$n_api" = "$n_db" ] || fail "fixed_ips ($n_api) vs allocation rows ($n_db)"
ok "nothing half-written: integrity ok, $n_db allocations match, bulks whole"
r=$(http POST /v2.0/ports "{\"port\": {\"network_id\": \"$NET\"}}")
expect_status "$r" 201 "writes continue after the restart"
stop_sluiced
