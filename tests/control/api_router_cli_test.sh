#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# api_router_cli_test.sh: drive sluiced's routers, floating IPs and
# security groups with the real openstack CLI (auth none), unmodified:
# router create/set --external-gateway/add subnet/add port/set --route/
# remove subnet/remove port/unset --external-gateway/delete, floating ip
# create/set --port/unset --port/delete/list, security group create/
# list/delete, rule create (--protocol, --dst-port, --remote-ip,
# --remote-group, --ethertype, --ingress/--egress)/list/delete, the error
# cases with their status and NeutronError type, and everything still
# there after a restart of sluiced.
#
#   openstack CLI / curl --HTTP--> sluiced (127.0.0.1:free port, temp DB)
#
# usage: api_router_cli_test.sh path/to/sluiced
SLUICED=$1
. "$(dirname "$0")/lib.sh"
need openstack
need curl
need jq

write_conf
start_sluiced
export OS_AUTH_TYPE=none OS_ENDPOINT=$URL
os() { openstack "$@" 2>"$WORK/os.err"; }
# must_fail STATUS TYPE-OR-TEXT WHAT -- CLI ARGS...: the CLI fails with it
must_fail() {
	local st=$1 txt=$2 what=$3
	shift 4
	if os "$@" >/dev/null; then fail "$what: succeeded"; fi
	grep -q "$st" "$WORK/os.err" || fail "$what: not $st: $(cat "$WORK/os.err")"
	grep -q -- "$txt" "$WORK/os.err" || fail "$what: no '$txt': $(cat "$WORK/os.err")"
	ok "$what ($st)"
}
# api_err "STATUS BODY" CODE TYPE WHAT: a NeutronError of that type
api_err() {
	expect_status "$1" "$2" "$4"
	[ "$(jget "${1#* }" .NeutronError.type)" = "$3" ] || fail "$4: $1"
}

for e in router ext-gw-mode extraroute security-group; do
	expect_status "$(http GET /v2.0/extensions/$e)" 200 "extension $e"
done

# The tenant side: two networks, an external network.
os network create --external ext >/dev/null || fail "ext: $(cat "$WORK/os.err")"
EXT=$(os network show ext -f value -c id)
os subnet create --network ext --subnet-range 203.0.113.0/24 extsub >/dev/null ||
	fail "extsub"
os network create n1 >/dev/null && os network create n2 >/dev/null || fail "nets"
os subnet create --network n1 --subnet-range 10.0.0.0/24 s1 >/dev/null || fail s1
S1=$(os subnet show s1 -f value -c id)
os subnet create --network n1 --subnet-range 10.0.1.0/24 --gateway none s1b \
	>/dev/null || fail s1b
os subnet create --network n2 --subnet-range 10.0.0.128/25 s2 >/dev/null || fail s2
os subnet create --network n2 --subnet-range 10.2.0.0/24 s3 >/dev/null || fail s3

# Routers and interfaces.
j=$(os router create r1 -f json) || fail "router create: $(cat "$WORK/os.err")"
[ "$(jget "$j" .status)" = ACTIVE ] || fail "router status: $j"
R1=$(jget "$j" .id)
ok "router create"
os router add subnet r1 s1 || fail "add subnet: $(cat "$WORK/os.err")"
j=$(os port list --device-owner network:router_interface -f json --long)
[ "$(jget "$j" 'length')" = 1 ] || fail "interface port: $j"
[ "$(jget "$j" '.[0]."Fixed IP Addresses"[0].ip_address')" = 10.0.0.1 ] ||
	fail "interface IP is not the gateway: $j"
IFP=$(jget "$j" '.[0].ID')
ok "router add subnet: port network:router_interface on the gateway IP"
must_fail 409 "already has a port" "add the same subnet again" -- \
	router add subnet r1 s1
must_fail 409 overlaps "add an overlapping subnet" -- router add subnet r1 s2
must_fail 400 "does not have a gateway IP" "add a subnet without gateway" -- \
	router add subnet r1 s1b
os router create r2 >/dev/null || fail r2
must_fail 409 "already attached" "add a subnet of another router" -- \
	router add subnet r2 s1
os port create --network n2 --fixed-ip subnet=s3 rp >/dev/null || fail rp
os router add port r1 rp || fail "add port: $(cat "$WORK/os.err")"
[ "$(os port show rp -f value -c device_owner)" = network:router_interface ] ||
	fail "port not taken over"
ok "router add port takes the port over"
must_fail 409 "has owner" "add a port another router owns" -- \
	router add port r2 rp
r=$(http PUT "/v2.0/routers/$R1/add_router_interface" \
	"{\"subnet_id\":\"$S1\",\"port_id\":\"$IFP\"}")
api_err "$r" 400 HTTPBadRequest "add_router_interface with both ids"

# In-use rules around interfaces.
must_fail 409 "cannot be deleted directly" "delete an interface port" -- \
	port delete "$IFP"
must_fail 409 "IP allocation" "delete a subnet with an interface" -- \
	subnet delete s1
must_fail 409 "still has ports" "delete a router with interfaces" -- \
	router delete r1
r=$(http DELETE "/v2.0/networks/$(os network show n1 -f value -c id)")
api_err "$r" 409 NetworkInUse "delete a network with a router interface"

# Gateway and static routes.
os router set --external-gateway ext r1 || fail "gateway: $(cat "$WORK/os.err")"
j=$(os router show r1 -f json)
[ "$(jget "$j" .external_gateway_info.enable_snat)" = true ] || fail "snat: $j"
[ "$(jget "$j" '.external_gateway_info.external_fixed_ips[0].ip_address')" = \
	203.0.113.2 ] || fail "gateway IP: $j"
[ "$(os port list --device-owner network:router_gateway -f value | wc -l)" = 1 ] ||
	fail "gateway port"
ok "router set --external-gateway: gateway port on the external network"
os router set --external-gateway ext --disable-snat r1 || fail "disable snat"
[ "$(os router show r1 -f json | jq -r .external_gateway_info.enable_snat)" = \
	false ] || fail "snat off"
ok "router set --disable-snat"
must_fail 400 "not a valid external network" "gateway on a tenant network" \
	-- router set --external-gateway n2 r2
os router set --route destination=192.168.0.0/16,gateway=10.0.0.5 r1 ||
	fail "route: $(cat "$WORK/os.err")"
[ "$(os router show r1 -f json | jq -r '.routes[0].nexthop')" = 10.0.0.5 ] ||
	fail "route not kept"
ok "router set --route"
must_fail 400 "not connected" "route via an unconnected nexthop" -- \
	router set --route destination=172.16.0.0/12,gateway=10.9.9.9 r1
must_fail 409 "required by one or more routes" "remove an interface a route needs" -- \
	router remove subnet r1 s1

# Floating IPs.
os port create --network n1 vm1 >/dev/null || fail vm1
os port create --network n2 --fixed-ip subnet=s2 vm2 >/dev/null || fail vm2
j=$(os floating ip create ext -f json) || fail "fip create: $(cat "$WORK/os.err")"
FIP=$(jget "$j" .id)
FIPADDR=$(jget "$j" .floating_ip_address)
[ "$(jget "$j" .status)" = DOWN ] || fail "fip status: $j"
case $FIPADDR in 203.0.113.*) ;; *) fail "fip address: $j" ;; esac
[ "$(os port list --device-owner network:floatingip -f value | wc -l)" = 1 ] ||
	fail "fip port"
ok "floating ip create: $FIPADDR from the external subnet"
must_fail 400 "not a valid external network" "floating ip on a tenant network" \
	-- floating ip create n1
os floating ip set --port vm1 "$FIP" || fail "fip set: $(cat "$WORK/os.err")"
j=$(os floating ip show "$FIP" -f json)
[ "$(jget "$j" .status)" = ACTIVE ] || fail "fip active: $j"
[ "$(jget "$j" .router_id)" = "$R1" ] || fail "fip router: $j"
[ "$(jget "$j" .fixed_ip_address)" = 10.0.0.2 ] || fail "fip fixed: $j"
ok "floating ip set --port: ACTIVE through r1"
[ "$(os floating ip list -f json | jq -r '.[0]."Fixed IP Address"')" = 10.0.0.2 ] ||
	fail "fip list"
ok "floating ip list"
must_fail 404 "not reachable" "floating ip for a port no router reaches" -- \
	floating ip create --port vm2 ext
r=$(http POST /v2.0/floatingips \
	"{\"floatingip\":{\"floating_network_id\":\"$EXT\",\"port_id\":\"$(os port show vm2 -f value -c id)\"}}")
api_err "$r" 404 ExternalGatewayForFloatingIPNotFound "the same, NeutronError type"
must_fail 409 "already has a floating IP" "a second floating ip on the same fixed IP" \
	-- floating ip create --port vm1 ext
must_fail 409 "required by one or more floating IPs" "clear a gateway floating IPs use" \
	-- router unset --external-gateway r1
must_fail 409 "ports still in use" "delete the external network" -- network delete ext
os floating ip unset --port "$FIP" || fail "fip unset: $(cat "$WORK/os.err")"
j=$(os floating ip show "$FIP" -f json)
[ "$(jget "$j" .status)" = DOWN ] && [ "$(jget "$j" .port_id)" = null ] ||
	fail "fip after unset: $j"
ok "floating ip unset --port: DOWN, no port"
os floating ip set --port vm1 "$FIP" || fail "fip set again"
os router set --external-gateway ext \
	--fixed-ip subnet=extsub,ip-address=203.0.113.50 r1 ||
	fail "gateway address change: $(cat "$WORK/os.err")"
[ "$(os router show r1 -f json |
	jq -r '.external_gateway_info.external_fixed_ips[0].ip_address')" = \
	203.0.113.50 ] || fail "gateway address not changed"
[ "$(os floating ip show "$FIP" -f value -c status)" = ACTIVE ] ||
	fail "fip after the gateway address change"
ok "router set --fixed-ip: a new gateway address, floating IPs kept"
j=$(os router create --external-gateway ext --disable-snat \
	--fixed-ip subnet=extsub,ip-address=203.0.113.77 r3 -f json) ||
	fail "router create --external-gateway: $(cat "$WORK/os.err")"
[ "$(jget "$j" '.external_gateway_info.external_fixed_ips[0].ip_address')" = \
	203.0.113.77 ] && [ "$(jget "$j" .external_gateway_info.enable_snat)" = false ] ||
	fail "router create with gateway: $j"
j=$(os floating ip create --subnet extsub --floating-ip-address 203.0.113.88 \
	ext -f json) || fail "fip with address: $(cat "$WORK/os.err")"
[ "$(jget "$j" .floating_ip_address)" = 203.0.113.88 ] || fail "fip address: $j"
must_fail 409 "already allocated" "a floating ip address that is taken" -- \
	floating ip create --floating-ip-address 203.0.113.88 ext
os floating ip delete "$(jget "$j" .id)" && os router delete r3 ||
	fail "r3 cleanup: $(cat "$WORK/os.err")"
ok "router create --external-gateway --fixed-ip --disable-snat; floating ip --floating-ip-address"

# Security groups.
j=$(os security group list -f json) || fail "sg list"
[ "$(jget "$j" '[.[] | select(.Name == "default")] | length')" = 1 ] ||
	fail "default group: $j"
ok "security group list: the project's default group"
j=$(os port show vm1 -f json)
DEF=$(os security group show default -f value -c id)
[ "$(jget "$j" '.security_group_ids[0]')" = "$DEF" ] || fail "port sg: $j"
ok "a port gets the default group"
j=$(os security group show default -f json)
[ "$(jget "$j" '.rules | length')" = 4 ] || fail "default rules: $j"
j=$(os security group create web -f json) || fail "sg create"
WEB=$(jget "$j" .id)
[ "$(os security group rule list web -f value | wc -l)" = 2 ] || fail "new group rules"
ok "security group create: two egress rules"
j=$(os security group rule create --protocol tcp --dst-port 22 --ingress web -f json) ||
	fail "rule tcp: $(cat "$WORK/os.err")"
[ "$(jget "$j" .port_range_min)" = 22 ] && [ "$(jget "$j" .remote_ip_prefix)" = 0.0.0.0/0 ] ||
	fail "rule: $j"
RULE=$(jget "$j" .id)
os security group rule create --protocol tcp --dst-port 80:81 --remote-ip 10.0.0.0/8 web \
	>/dev/null || fail "rule range: $(cat "$WORK/os.err")"
os security group rule create --protocol icmp --remote-group default web \
	>/dev/null || fail "rule remote group: $(cat "$WORK/os.err")"
os security group rule create --ethertype IPv6 --protocol ipv6-icmp web \
	>/dev/null || fail "rule v6: $(cat "$WORK/os.err")"
os security group rule create --egress --protocol 132 web >/dev/null ||
	fail "rule by number: $(cat "$WORK/os.err")"
[ "$(os security group rule list web -f value | wc -l)" = 7 ] || fail "rule count"
ok "security group rule create: tcp port/range, remote ip, remote group, IPv6, number"
must_fail 409 "already exists" "a duplicate rule" -- \
	security group rule create --protocol tcp --dst-port 22 --ingress web
must_fail 400 "Conflicting value ethertype" "ethertype against the prefix" -- \
	security group rule create --ethertype IPv4 --remote-ip ::/0 web
must_fail 400 "not supported" "an unknown protocol" -- \
	security group rule create --protocol bogus web
r=$(http POST /v2.0/security-group-rules \
	"{\"security_group_rule\":{\"security_group_id\":\"$WEB\",\"direction\":\"ingress\",\"remote_ip_prefix\":\"10.0.0.0/8\",\"remote_group_id\":\"$WEB\"}}")
api_err "$r" 400 HTTPBadRequest "remote_ip_prefix and remote_group_id"
r=$(http POST /v2.0/security-group-rules \
	"{\"security_group_rule\":{\"security_group_id\":\"$WEB\",\"direction\":\"ingress\",\"protocol\":\"tcp\",\"port_range_min\":90,\"port_range_max\":80}}")
api_err "$r" 400 InvalidInput "port_range_min > port_range_max"
os port set --security-group web vm1 || fail "port set sg"
[ "$(os port show vm1 -f json | jq -r '.security_group_ids | length')" = 2 ] ||
	fail "port groups"
ok "port set --security-group"
must_fail 409 "in use" "delete a group in use" -- security group delete web
must_fail 409 "default security group" "delete the default group" -- \
	security group delete default
r=$(http PUT "/v2.0/ports/$(os port show vm1 -f value -c id)" \
	'{"port":{"port_security_enabled":false}}')
api_err "$r" 409 PortSecurityAndIPRequiredForSecurityGroups \
	"port security off with groups"
os security group rule delete "$RULE" || fail "rule delete"
[ "$(os security group rule list web -f value | wc -l)" = 6 ] || fail "after rule delete"
ok "security group rule delete"
r=$(http GET "/v2.0/security-group-rules?security_group_id=$WEB&direction=ingress&fields=id&sort_key=protocol")
expect_status "$r" 200 "rule list with filters, fields, sort"
[ "$(jget "${r#* }" '.security_group_rules | length')" = 3 ] || fail "filtered: $r"
[ "$(jget "${r#* }" '.security_group_rules[0] | keys | join(",")')" = id ] ||
	fail "fields: $r"
r=$(http GET "/v2.0/routers?limit=1")
[ "$(jget "${r#* }" '.routers_links[0].rel')" = next ] || fail "pagination: $r"
ok "routers pagination"

# Persistence across a restart.
before=$(os router show r1 -f json | jq -S 'del(.interfaces_info)')
nrules=$(os security group rule list -f value | wc -l)
stop_sluiced
start_sluiced
after=$(os router show r1 -f json | jq -S 'del(.interfaces_info)')
[ "$before" = "$after" ] || fail "router changed across restart: $before / $after"
[ "$(os security group rule list -f value | wc -l)" = "$nrules" ] ||
	fail "rules across restart"
[ "$(os floating ip show "$FIP" -f value -c status)" = ACTIVE ] ||
	fail "fip across restart"
grep -q "2 routers, 1 floating IPs, 2 security groups" "$WORK/sluiced.log" ||
	fail "dpsync did not load the documents: $(grep 'intent loaded' "$WORK/sluiced.log")"
ok "routers, floating IPs and groups survive a restart (and reach the view)"

# Tear down in Neutron's order.
os floating ip delete "$FIP" || fail "fip delete: $(cat "$WORK/os.err")"
[ "$(os port list --device-owner network:floatingip -f value | wc -l)" = 0 ] ||
	fail "fip port left"
ok "floating ip delete removes its port"
os router unset --route destination=192.168.0.0/16,gateway=10.0.0.5 r1 ||
	fail "unset route: $(cat "$WORK/os.err")"
os router remove subnet r1 s1 || fail "remove subnet: $(cat "$WORK/os.err")"
os router remove port r1 rp || fail "remove port: $(cat "$WORK/os.err")"
[ "$(os port list --device-owner network:router_interface -f value | wc -l)" = 0 ] ||
	fail "interfaces left"
ok "router remove subnet / remove port"
os router unset --external-gateway r1 || fail "unset gw: $(cat "$WORK/os.err")"
[ "$(os port list --device-owner network:router_gateway -f value | wc -l)" = 0 ] ||
	fail "gateway port left"
ok "router unset --external-gateway"
os router delete r1 r2 || fail "router delete: $(cat "$WORK/os.err")"
os port set --no-security-group --security-group default vm1 || fail "port sg reset"
os security group delete web || fail "sg delete: $(cat "$WORK/os.err")"
os network delete ext || fail "ext delete: $(cat "$WORK/os.err")"
ok "router, group and external network delete"
echo "PASS"
