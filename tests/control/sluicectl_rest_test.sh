#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# sluicectl_rest_test.sh: drive sluiced with sluicectl's REST groups
# (network, subnet, port: list, show, create, delete), with text tables and
# -o json (checked with jq), name resolution (404 by name, ambiguous
# names), a 409 duplicate fixed IP, --token, connection refused and usage
# errors (exit 2).
#
#   sluicectl --HTTP--> sluiced (127.0.0.1:free port, temp DB)
#
# usage: sluicectl_rest_test.sh path/to/sluiced path/to/sluicectl
SLUICED=$1
SLUICECTL=$2
. "$(dirname "$0")/lib.sh"
need curl
need jq

write_conf
start_sluiced
export SLUICE_API=$URL
unset SLUICE_TOKEN SLUICE_URL
sc() { "$SLUICECTL" "$@" 2>"$WORK/sc.err"; }
# expect_fail CODE WHAT CMD...: the command exits CODE
expect_fail() {
	local code=$1 what=$2 rc=0
	shift 2
	sc "$@" >"$WORK/sc.out" || rc=$?
	[ "$rc" = "$code" ] || fail "$what: exit $rc, expected $code: $(cat "$WORK/sc.err")"
}

# Networks.
j=$(sc -o json network create net1 --mtu 1400 --project p1) ||
	fail "network create: $(cat "$WORK/sc.err")"
[ "$(jget "$j" .name)" = net1 ] || fail "name: $j"
[ "$(jget "$j" .mtu)" = 1400 ] || fail "mtu: $j"
[ "$(jget "$j" .project_id)" = p1 ] || fail "project: $j"
NET1=$(jget "$j" .id)
ok "network create -o json"
out=$(sc network create net2) || fail "network create net2: $(cat "$WORK/sc.err")"
grep -q '^| name  *| net2  *|$' <<<"$out" || fail "create table: $out"
ok "network create prints a Field/Value table"
out=$(sc network list) || fail "network list"
grep -q "| $NET1 | net1 " <<<"$out" || fail "list table: $out"
j=$(sc -o json network list) || fail "network list -o json"
[ "$(jget "$j" 'map(.name) | sort | join(",")')" = net1,net2 ] || fail "list: $j"
j=$(sc -o json network list --filter name=net2) || fail "list --filter"
[ "$(jget "$j" 'length')" = 1 ] && [ "$(jget "$j" '.[0].name')" = net2 ] ||
	fail "filter: $j"
# limit=1: two pages, the next link is followed.
j=$(sc -o json network list --filter limit=1) || fail "list limit=1"
[ "$(jget "$j" 'length')" = 2 ] || fail "pagination: $j"
ok "network list (table, json, --filter, next links followed)"
[ "$(sc -o json network show net1 | jq -r .id)" = "$NET1" ] || fail "show by name"
[ "$(sc -o json network show "$NET1" | jq -r .name)" = net1 ] || fail "show by id"
ok "network show by name and by id"

# 404 by name: clear message, exit 1.
expect_fail 1 "show nosuch" network show nosuch
grep -q "No Network found for nosuch" "$WORK/sc.err" || fail "$(cat "$WORK/sc.err")"
grep -q "404" "$WORK/sc.err" || fail "no status: $(cat "$WORK/sc.err")"
ok "network show nosuch -> exit 1, 'No Network found' (404)"

# Subnets.
j=$(sc -o json subnet create sub1 --network net1 --cidr 10.0.0.0/24 \
	--dns 10.0.0.53 --dns 10.0.0.54 --gateway 10.0.0.254) ||
	fail "subnet create: $(cat "$WORK/sc.err")"
[ "$(jget "$j" .network_id)" = "$NET1" ] || fail "subnet network: $j"
[ "$(jget "$j" .gateway_ip)" = 10.0.0.254 ] || fail "gateway: $j"
[ "$(jget "$j" '.dns_nameservers | join(",")')" = 10.0.0.53,10.0.0.54 ] ||
	fail "dns: $j"
[ "$(jget "$j" .enable_dhcp)" = true ] || fail "dhcp: $j"
[ "$(jget "$j" .ip_version)" = 4 ] || fail "ip_version: $j"
SUB1=$(jget "$j" .id)
j=$(sc -o json subnet create sub6 --network net2 --cidr fd00::/64 \
	--gateway none --no-dhcp) || fail "subnet create v6: $(cat "$WORK/sc.err")"
[ "$(jget "$j" .ip_version)" = 6 ] || fail "v6: $j"
[ "$(jget "$j" .gateway_ip)" = null ] || fail "gateway none: $j"
[ "$(jget "$j" .enable_dhcp)" = false ] || fail "no-dhcp: $j"
ok "subnet create (v4 with dns/gateway, v6 gateway none no-dhcp)"
out=$(sc subnet list) || fail "subnet list"
grep -q "| $SUB1 | sub1 .*| 10.0.0.0/24 " <<<"$out" || fail "subnet table: $out"
[ "$(sc -o json subnet show sub1 | jq -r .cidr)" = 10.0.0.0/24 ] || fail "subnet show"
ok "subnet list and show"
expect_fail 1 "subnet on a missing network" subnet create x --network nosuch \
	--cidr 10.9.0.0/24
grep -q "No Network found for nosuch" "$WORK/sc.err" || fail "$(cat "$WORK/sc.err")"
ok "subnet create --network nosuch -> exit 1"

# Ports.
j=$(sc -o json port create p1 --network net1 \
	--fixed-ip subnet=sub1,ip=10.0.0.5 --mac fa:16:3e:00:00:05 \
	--interface veth-p1 --no-port-security) ||
	fail "port create: $(cat "$WORK/sc.err")"
[ "$(jget "$j" '.fixed_ips[0].ip_address')" = 10.0.0.5 ] || fail "ip: $j"
[ "$(jget "$j" '.fixed_ips[0].subnet_id')" = "$SUB1" ] || fail "subnet: $j"
[ "$(jget "$j" .mac_address)" = fa:16:3e:00:00:05 ] || fail "mac: $j"
[ "$(jget "$j" '."binding:profile".interface')" = veth-p1 ] || fail "profile: $j"
[ "$(jget "$j" .port_security_enabled)" = false ] || fail "psec: $j"
P1=$(jget "$j" .id)
j=$(sc -o json port create p2 --network net1) || fail "port create p2"
[ "$(jget "$j" '.fixed_ips | length')" = 1 ] || fail "auto ip: $j"
ok "port create (fixed ip, mac, interface, no port security; auto IP)"

# 409: the same fixed IP twice.
expect_fail 1 "duplicate fixed ip" port create p3 --network net1 \
	--fixed-ip subnet=sub1,ip=10.0.0.5
grep -q "HTTP 409" "$WORK/sc.err" || fail "409: $(cat "$WORK/sc.err")"
grep -q "10.0.0.5" "$WORK/sc.err" || fail "409 message: $(cat "$WORK/sc.err")"
ok "duplicate fixed IP -> exit 1, HTTP 409 with the server's message"

out=$(sc port list) || fail "port list"
grep -q "| $P1 | p1 .*| 10.0.0.5 " <<<"$out" || fail "port table: $out"
j=$(sc -o json port list --filter network_id="$NET1") || fail "port list json"
[ "$(jget "$j" 'map(.name) | sort | join(",")')" = p1,p2 ] || fail "ports: $j"
[ "$(sc -o json port show p1 | jq -r .id)" = "$P1" ] || fail "port show"
ok "port list (table, json filter) and show"

# Ambiguous name.
sc network create net2 >/dev/null || fail "second net2"
expect_fail 1 "ambiguous name" network show net2
grep -q "More than one network" "$WORK/sc.err" || fail "$(cat "$WORK/sc.err")"
ok "ambiguous name -> exit 1, use the ID"

# Deletes (by name and by id; several at once).
sc port delete p1 p2 || fail "port delete: $(cat "$WORK/sc.err")"
[ "$(sc -o json port list | jq length)" = 0 ] || fail "ports left"
expect_fail 1 "delete a deleted port" port delete p1
grep -q "No Port found for p1" "$WORK/sc.err" || fail "$(cat "$WORK/sc.err")"
sc subnet delete sub1 sub6 || fail "subnet delete: $(cat "$WORK/sc.err")"
for id in $(sc -o json network list | jq -r '.[].id'); do
	sc network delete "$id" || fail "network delete $id: $(cat "$WORK/sc.err")"
done
[ "$(sc -o json network list | jq length)" = 0 ] || fail "networks left"
ok "delete ports, subnets, networks (by name, by id, several)"

# Usage errors exit 2 before any request.
expect_fail 2 "create without name" network create
expect_fail 2 "bad mtu" network create n --mtu abc
grep -q -- "--mtu abc" "$WORK/sc.err" || fail "$(cat "$WORK/sc.err")"
expect_fail 2 "subnet without cidr" subnet create s --network net1
expect_fail 2 "unknown option" port list --bogus
expect_fail 2 "bad filter" port list --filter nokey
expect_fail 2 "bad fixed ip" port create p --network n --fixed-ip foo=1
expect_fail 2 "bad -o" -o yaml network list
expect_fail 2 "unknown command" network frob
expect_fail 2 "empty name" network show ""
expect_fail 2 "empty option value" subnet create s --network "" --cidr 10.1.0.0/24
ok "usage errors exit 2"

# Connection refused names the URL.
DEAD="http://127.0.0.1:$(free_port)"
expect_fail 1 "connection refused" --api "$DEAD" network list
grep -q "$DEAD" "$WORK/sc.err" || fail "refused: $(cat "$WORK/sc.err")"
ok "connection refused -> exit 1 naming $DEAD"

# Token: with auth configured, no token is refused and the admin token works.
stop_sluiced
write_conf "[auth]" "mode = token" "admin_token = admin-s3cret-01"
start_sluiced
export SLUICE_API=$URL
expect_fail 1 "no token" network list
grep -q "HTTP 401" "$WORK/sc.err" || fail "401: $(cat "$WORK/sc.err")"
sc --token admin-s3cret-01 network create tnet >/dev/null ||
	fail "--token: $(cat "$WORK/sc.err")"
[ "$(SLUICE_TOKEN=admin-s3cret-01 sc -o json network list | jq -r '.[0].name')" = tnet ] ||
	fail "SLUICE_TOKEN: $(cat "$WORK/sc.err")"
ok "--token and SLUICE_TOKEN send X-Auth-Token; none -> 401"

echo "sluicectl_rest_test: all passed"
