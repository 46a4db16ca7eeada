#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# api_cli_test.sh: drive sluiced with the real openstack CLI (auth none)
# and with curl: networks, subnets (IPAM), ports (MAC/IP allocation,
# fixed IPs, pairs, binding), errors (404 by name, 409 duplicate IP,
# 409 network in use, 400 bad CIDR / bad JSON / wrong type, 412 If-Match),
# filters, fields, sorting, pagination, bulk all-or-nothing, tags.
#
#   openstack CLI / curl --HTTP--> sluiced (127.0.0.1:free port, temp DB)
#
# usage: api_cli_test.sh path/to/sluiced
SLUICED=$1
. "$(dirname "$0")/lib.sh"
need openstack
need curl
need jq

write_conf
start_sluiced
export OS_AUTH_TYPE=none OS_ENDPOINT=$URL
os() { openstack "$@" 2>"$WORK/os.err"; }

# Version discovery and extensions.
r=$(http GET /)
expect_status "$r" 200 "GET / version discovery"
[ "$(jget "${r#* }" '.versions[0].links[0].href')" = "$URL/v2.0/" ] ||
	fail "version href: $r"
expect_status "$(http GET /v2.0/extensions/tag-ports-during-bulk-creation)" \
	404 "unknown extension"
r=$(http GET /v2.0/extensions/binding)
expect_status "$r" 200 "extension binding"

# Networks.
j=$(os network create net1 -f json) || fail "network create: $(cat "$WORK/os.err")"
[ "$(jget "$j" .status)" = ACTIVE ] || fail "network status: $j"
[ "$(jget "$j" .mtu)" = 1450 ] || fail "network mtu: $j"
[ "$(jget "$j" '."provider:network_type"')" = vxlan ] || fail "type: $j"
NET1=$(jget "$j" .id)
ok "network create"
os network set --mtu 1400 net1 || fail "network set: $(cat "$WORK/os.err")"
j=$(os network show net1 -f json) || fail "network show"
[ "$(jget "$j" .mtu)" = 1400 ] || fail "mtu after set: $j"
[ "$(jget "$j" .revision_number)" = 2 ] || fail "revision after set: $j"
ok "network set --mtu (string number) bumps revision_number"
if os network show nosuch; then fail "show nosuch succeeded"; fi
grep -q "No Network found for nosuch" "$WORK/os.err" || fail "$(cat "$WORK/os.err")"
r=$(http GET /v2.0/networks/nosuch)
expect_status "$r" 404 "GET /v2.0/networks/<name>"
[ "$(jget "${r#* }" .NeutronError.type)" = NetworkNotFound ] || fail "$r"

# --project without Keystone: the CLI resolves it with GET /projects/P.
j=$(os network create --project demo-p1 netp -f json) ||
	fail "network create --project: $(cat "$WORK/os.err")"
[ "$(jget "$j" .project_id)" = demo-p1 ] || fail "project: $j"
j=$(os network list --project demo-p1 -f json) || fail "list --project"
[ "$(jget "$j" '[.[].Name] | join(",")')" = netp ] || fail "list --project: $j"
os network delete netp || fail "delete netp"
ok "network create/list --project (identity shim)"

# Subnets.
j=$(os subnet create --network net1 --subnet-range 10.0.0.0/24 \
	--allocation-pool start=10.0.0.10,end=10.0.0.100 \
	--dns-nameserver 10.0.0.53 \
	--host-route destination=192.168.0.0/16,gateway=10.0.0.1 \
	sub1 -f json) || fail "subnet create: $(cat "$WORK/os.err")"
[ "$(jget "$j" .gateway_ip)" = 10.0.0.1 ] || fail "gateway: $j"
[ "$(jget "$j" '.allocation_pools[0].start')" = 10.0.0.10 ] || fail "pool: $j"
[ "$(jget "$j" '.dns_nameservers[0]')" = 10.0.0.53 ] || fail "dns: $j"
[ "$(jget "$j" '.host_routes[0].nexthop')" = 10.0.0.1 ] || fail "route: $j"
[ "$(jget "$j" .enable_dhcp)" = true ] || fail "dhcp: $j"
SUB1=$(jget "$j" .id)
ok "subnet create with pools, dns, routes"
if os subnet create --network net1 --subnet-range 10.1.0.300/24 bad; then
	fail "bad CIDR accepted"
fi
grep -q "400" "$WORK/os.err" || fail "bad cidr: $(cat "$WORK/os.err")"
ok "subnet create bad CIDR -> 400"
if os subnet create --network net1 --subnet-range 10.0.0.128/25 ovl; then
	fail "overlapping subnet accepted"
fi
ok "overlapping subnet refused"
j=$(os subnet create --network net1 --ip-version 6 \
	--subnet-range 2001:db8::/64 --no-dhcp sub6 -f json) ||
	fail "v6 subnet: $(cat "$WORK/os.err")"
[ "$(jget "$j" .gateway_ip)" = 2001:db8::1 ] || fail "v6 gateway: $j"
ok "IPv6 subnet"

# Ports.
j=$(os port create --network net1 port1 -f json) ||
	fail "port create: $(cat "$WORK/os.err")"
[ "$(jget "$j" .status)" = DOWN ] || fail "port status: $j"
jget "$j" .mac_address | grep -Eq '^fa:16:3e:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$' ||
	fail "mac: $j"
[ "$(jget "$j" '.fixed_ips | length')" = 2 ] || fail "v4+v6 fixed ips: $j"
[ "$(jget "$j" '.fixed_ips[0].ip_address')" = 10.0.0.10 ] || fail "ip: $j"
[ "$(jget "$j" '.binding_vif_type')" = unbound ] || fail "vif_type: $j"
ok "port create: DOWN, fa:16:3e MAC, first pool address"
if os port create --network net1 --fixed-ip subnet=sub1,ip-address=10.0.0.10 dup; then
	fail "duplicate fixed IP accepted"
fi
grep -q "409" "$WORK/os.err" || fail "dup ip: $(cat "$WORK/os.err")"
ok "duplicate fixed IP -> 409"
j=$(os port create --network net1 --fixed-ip subnet=sub1,ip-address=10.0.0.50 \
	--allowed-address ip-address=10.0.0.0/24 \
	--binding-profile interface=veth9 --host host1 \
	--device-owner compute:nova port2 -f json) ||
	fail "port2: $(cat "$WORK/os.err")"
[ "$(jget "$j" '.fixed_ips[0].ip_address')" = 10.0.0.50 ] || fail "ip: $j"
[ "$(jget "$j" '.allowed_address_pairs[0].ip_address')" = 10.0.0.0/24 ] || fail "aap: $j"
[ "$(jget "$j" '.binding_profile.interface')" = veth9 ] || fail "profile: $j"
[ "$(jget "$j" '.binding_host_id')" = host1 ] || fail "host: $j"
ok "port with fixed IP, allowed address pair, binding profile and host"
j=$(os port list --network net1 -f json) || fail "port list"
[ "$(jget "$j" length)" = 2 ] || fail "port list: $j"
ok "port list --network (fields=, network_id filter)"
os port set --name port1b --no-security-group port1 || fail "port set: $(cat "$WORK/os.err")"
j=$(os port show port1b -f json) || fail "port show by new name"
[ "$(jget "$j" .revision_number)" = 2 ] || fail "port revision: $j"
if os port show nosuch; then fail "port show nosuch"; fi
ok "port set / show by name / 404 by name"

# Network in use.
if os network delete net1; then fail "network with ports deleted"; fi
r=$(http DELETE /v2.0/networks/$NET1)
expect_status "$r" 409 "delete network with ports"
[ "$(jget "${r#* }" .NeutronError.type)" = NetworkInUse ] || fail "$r"
r=$(http DELETE /v2.0/subnets/$SUB1)
expect_status "$r" 409 "delete subnet with allocations"

# curl: bad bodies and types change nothing.
expect_status "$(http POST /v2.0/networks '{"network": {')" 400 "bad JSON body"
r=$(http POST /v2.0/networks '{"network": {"mtu": "abc"}}')
expect_status "$r" 400 "wrong field type (mtu)"
[ "$(jget "${r#* }" .NeutronError.type)" = InvalidInput ] || fail "$r"
expect_status "$(http POST /v2.0/networks '{"network": {"admin_state_up": "maybe"}}')" \
	400 "wrong field type (bool)"
expect_status "$(http POST /v2.0/networks '{"network": {"status": "DOWN"}}')" \
	400 "read-only attribute in POST"
expect_status "$(http POST /v2.0/networks '{"network": {"bogus": 1}}')" \
	400 "unknown attribute"
expect_status "$(http POST /v2.0/networks '{"netwrk": {}}')" 400 "wrong wrapper"
expect_status "$(http PUT /v2.0/networks/$NET1 '{"network": {"id": "x"}}')" \
	400 "PUT read-only attribute"
r=$(http POST /v2.0/ports "{\"port\": {\"network_id\": \"$NET1\", \"mac_address\": \"01:00:5e:00:00:01\"}}")
expect_status "$r" 400 "multicast MAC"
r=$(http POST /v2.0/ports "{\"port\": {\"network_id\": \"$NET1\", \"fixed_ips\": [{\"ip_address\": \"10.9.9.9\"}]}}")
expect_status "$r" 400 "IP outside every subnet"

# If-Match.
r=$(http POST /v2.0/networks '{"network": {"name": "rev", "mtu": "1300", "shared": "true"}}')
expect_status "$r" 201 "create with strings for number and boolean"
REV=$(jget "${r#* }" .network.id)
[ "$(jget "${r#* }" .network.shared)" = true ] || fail "shared: $r"
r=$(http PUT /v2.0/networks/$REV '{"network": {"name": "rev2"}}' -H 'If-Match: revision_number=7')
expect_status "$r" 412 "If-Match mismatch"
[ "$(jget "${r#* }" .NeutronError.type)" = RevisionNumberConstraintFailed ] || fail "$r"
r=$(http PUT /v2.0/networks/$REV '{"network": {"name": "rev2"}}' -H 'If-Match: revision_number=1')
expect_status "$r" 200 "If-Match match"
[ "$(jget "${r#* }" .network.revision_number)" = 2 ] || fail "$r"
expect_status "$(http DELETE /v2.0/networks/$REV '' -H 'If-Match: revision_number=1')" \
	412 "DELETE If-Match mismatch"

# Bulk: all or nothing.
before=$(http GET /v2.0/networks | cut -d' ' -f2- | jq '.networks | length')
r=$(http POST /v2.0/networks '{"networks": [{"name": "b1"}, {"name": "b2", "mtu": 5}]}')
expect_status "$r" 400 "bulk with one bad object"
after=$(http GET /v2.0/networks | cut -d' ' -f2- | jq '.networks | length')
[ "$before" = "$after" ] || fail "bulk partially applied ($before -> $after)"
r=$(http POST /v2.0/ports "{\"ports\": [{\"network_id\": \"$NET1\", \"fixed_ips\": [{\"ip_address\": \"10.0.0.70\"}]}, {\"network_id\": \"$NET1\", \"fixed_ips\": [{\"ip_address\": \"10.0.0.70\"}]}]}")
expect_status "$r" 409 "bulk ports with a duplicate IP"
r=$(http GET "/v2.0/ports?fixed_ips=ip_address%3D10.0.0.70")
[ "$(jget "${r#* }" '.ports | length')" = 0 ] || fail "bulk port leaked: $r"
r=$(http POST /v2.0/networks '{"networks": [{"name": "p1"}, {"name": "p2"}, {"name": "p3"}, {"name": "p4"}, {"name": "p5"}]}')
expect_status "$r" 201 "bulk create of 5"

# Filters, fields, sorting, pagination.
r=$(http GET "/v2.0/networks?name=p1&name=p3&fields=name&fields=id&sort_key=name&sort_dir=desc")
[ "$(jget "${r#* }" '[.networks[].name] | join(",")')" = "p3,p1" ] || fail "filter/sort: $r"
[ "$(jget "${r#* }" '.networks[0] | keys | join(",")')" = "id,name" ] || fail "fields: $r"
ok "repeated filter key ORs, fields, sort"
r=$(http GET "/v2.0/networks?shared=True")
[ "$(jget "${r#* }" '[.networks[].name] | join(",")')" = "rev2" ] || fail "bool filter: $r"
expect_status "$(http GET '/v2.0/networks?colour=red')" 400 "unknown filter"
seen=""
next="/v2.0/networks?limit=3&sort_key=name"
pages=0
while [ -n "$next" ]; do
	r=$(http GET "$next")
	seen="$seen$(jget "${r#* }" '[.networks[].name] | join(",")'),"
	next=$(jget "${r#* }" '(.networks_links // [])[] | select(.rel=="next") | .href' | sed "s#^$URL##")
	pages=$((pages + 1))
	[ $pages -lt 10 ] || fail "pagination does not end"
done
[ "$seen" = "net1,p1,p2,p3,p4,p5,rev2," ] || fail "pages: $seen"
ok "pagination with networks_links next ($pages pages)"

# Tags.
os network set --tag red --tag blue p1 || fail "tags: $(cat "$WORK/os.err")"
j=$(os network list --tags red -f json) || fail "list --tags"
[ "$(jget "$j" '[.[].Name] | join(",")')" = p1 ] || fail "tag filter: $j"
ok "tags set and filtered"

# Clean up through the CLI.
os port delete port1b port2 || fail "port delete: $(cat "$WORK/os.err")"
os subnet delete sub1 sub6 || fail "subnet delete: $(cat "$WORK/os.err")"
os network delete net1 || fail "network delete: $(cat "$WORK/os.err")"
r=$(http GET /v2.0/ports)
[ "$(jget "${r#* }" '.ports | length')" = 0 ] || fail "ports left: $r"
ok "delete port, subnet, network"
stop_sluiced
ok "SIGTERM: clean exit"
