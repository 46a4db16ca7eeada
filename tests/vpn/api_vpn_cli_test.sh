#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# api_vpn_cli_test.sh: the Neutron VPNaaS API of sluiced driven by the
# real `openstack vpn ...` commands (auth none) and curl: IKE and IPsec
# policies, endpoint groups, VPN services, IPsec site connections; the
# whole lifecycle and every error case (IKEv1, algorithms the engine
# cannot do, lifetimes, dpd, peer_cidrs XOR endpoint groups, fixed
# attributes, in-use 409s, router without gateway), the write-only PSK
# (never in a response nor in the log), filters and fields, truthful
# statuses, and persistence across a restart.
#
#   openstack CLI / curl --HTTP--> sluiced (127.0.0.1:free port, temp DB,
#                                  vpn.ike_port = 0: no IKE sockets)
#
# The router a VPN service hangs off comes from the routers API when
# sluiced serves it; otherwise the test builds the same thing from ports
# (device_owner network:router_gateway / network:router_interface with
# the router's id as device_id), which is how Neutron represents a
# router's gateway and interfaces and all the VPN code reads.
#
# usage: api_vpn_cli_test.sh path/to/sluiced
SLUICED=$1
. "$(dirname "$0")/../control/lib.sh"
need openstack
need curl
need jq

write_conf "[vpn]" "ike_port = 0"
start_sluiced
export OS_AUTH_TYPE=none OS_ENDPOINT=$URL
os() { openstack "$@" 2>"$WORK/os.err"; }
# os_fails WHAT PATTERN CMD...: the command must fail with PATTERN.
os_fails() {
	local what=$1 pat=$2
	shift 2
	if os "$@" >/dev/null; then fail "$what: succeeded"; fi
	grep -q -- "$pat" "$WORK/os.err" || fail "$what: $(cat "$WORK/os.err")"
	ok "$what refused"
}
body() { echo "${1#* }"; }

# Extensions.
expect_status "$(http GET /v2.0/extensions/vpnaas)" 200 "extension vpnaas"
expect_status "$(http GET /v2.0/extensions/vpn-endpoint-groups)" 200 \
	"extension vpn-endpoint-groups"

# The networks: an external one for the gateway, a private one behind it.
os network create ext --external >/dev/null || fail "ext: $(cat "$WORK/os.err")"
os subnet create --network ext --subnet-range 198.51.100.0/24 ext-sub \
	>/dev/null || fail "ext-sub: $(cat "$WORK/os.err")"
os network create priv >/dev/null || fail "priv"
j=$(os subnet create --network priv --subnet-range 10.10.0.0/24 priv-sub \
	-f json) || fail "priv-sub: $(cat "$WORK/os.err")"
PRIV_SUB=$(jget "$j" .id)
os network create priv2 >/dev/null || fail "priv2"
j=$(os subnet create --network priv2 --subnet-range 10.11.0.0/24 priv2-sub \
	-f json) || fail "priv2-sub: $(cat "$WORK/os.err")"
PRIV2_SUB=$(jget "$j" .id)

if os router create r1 >/dev/null &&
	os router set --external-gateway ext r1 &&
	os router add subnet r1 priv-sub &&
	os router create r2 >/dev/null; then
	MODE=api
	ROUTER=$(os router show r1 -f value -c id)
	ROUTER2=$(os router show r2 -f value -c id)
	GW=$(os router show r1 -f json | jq -r \
		'.external_gateway_info.external_fixed_ips[0].ip_address')
else
	MODE=ports
	ROUTER=$(cat /proc/sys/kernel/random/uuid)
	ROUTER2=$(cat /proc/sys/kernel/random/uuid)
	GW=198.51.100.10
	os port create --network ext --device-owner network:router_gateway \
		--device "$ROUTER" --fixed-ip subnet=ext-sub,ip-address=$GW \
		gw >/dev/null || fail "gateway port: $(cat "$WORK/os.err")"
	os port create --network priv --device-owner network:router_interface \
		--device "$ROUTER" \
		--fixed-ip subnet=priv-sub,ip-address=10.10.0.1 rif \
		>/dev/null || fail "interface port: $(cat "$WORK/os.err")"
	os port create --network priv2 --device-owner network:router_interface \
		--device "$ROUTER2" \
		--fixed-ip subnet=priv2-sub,ip-address=10.11.0.1 rif2 \
		>/dev/null || fail "interface port 2: $(cat "$WORK/os.err")"
fi
echo "# routers from: $MODE (gateway $GW)"

# IKE policies.
j=$(os vpn ike policy create ike1 -f json) || fail "ike create: $(cat "$WORK/os.err")"
[ "$(jget "$j" '."IKE Version"')" = v2 ] || fail "default ike_version: $j"
[ "$(jget "$j" '."Authentication Algorithm"')" = sha256 ] || fail "auth: $j"
[ "$(jget "$j" '."Perfect Forward Secrecy (PFS)"')" = group14 ] || fail "pfs: $j"
[ "$(jget "$j" .Lifetime.value)" = 3600 ] || fail "lifetime: $j"
IKE1=$(jget "$j" .ID)
ok "ike policy create (Sluice defaults: v2, sha256, group14)"
j=$(os vpn ike policy create ike2 --encryption-algorithm aes-256 \
	--auth-algorithm sha512 --lifetime units=seconds,value=7200 -f json) ||
	fail "ike2: $(cat "$WORK/os.err")"
[ "$(jget "$j" .Lifetime.value)" = 7200 ] || fail "ike2 lifetime: $j"
ok "ike policy create aes-256/sha512/7200 s"
os_fails "ike_version v1" "IKEv2 only" vpn ike policy create bad --ike-version v1
os_fails "auth sha1" "sha1 is not supported by Sluice" \
	vpn ike policy create bad --auth-algorithm sha1
os_fails "encryption 3des" "3des is not supported by Sluice" \
	vpn ike policy create bad --encryption-algorithm 3des
os_fails "encryption aes-192" "aes-192 is not supported" \
	vpn ike policy create bad --encryption-algorithm aes-192
os_fails "pfs group5" "group5 is not supported" \
	vpn ike policy create bad --pfs group5
os_fails "aggressive mode" "IKEv2 only" \
	vpn ike policy create bad --phase1-negotiation-mode aggressive
r=$(http POST /v2.0/vpn/ikepolicies '{"ikepolicy": {"lifetime": {"units": "seconds", "value": 59}}}')
expect_status "$r" 400 "ike lifetime 59 s"
r=$(http POST /v2.0/vpn/ikepolicies '{"ikepolicy": {"lifetime": {"units": "kilobytes", "value": 1000}}}')
expect_status "$r" 400 "lifetime in kilobytes"
r=$(http POST /v2.0/vpn/ikepolicies '{"ikepolicy": {"encryption_algorithm": "aes-256-gcm-16", "lifetime": {"value": "600"}}}')
expect_status "$r" 201 "ike policy aes-256-gcm-16, lifetime as a string"
IKEG=$(jget "$(body "$r")" .ikepolicy.id)
expect_status "$(http DELETE /v2.0/vpn/ikepolicies/$IKEG)" 204 "delete unused ike policy"
r=$(http POST /v2.0/vpn/ikepolicies '{"ikepolicy": {"bogus": 1}}')
expect_status "$r" 400 "unknown attribute"
r=$(http POST /v2.0/vpn/ikepolicies '{"ikepolicy": {"encryption_algorithm": "rot13"}}')
expect_status "$r" 400 "unknown algorithm"
r=$(http PUT /v2.0/vpn/ikepolicies/$IKE1 '{"ikepolicy": {"id": "x"}}')
expect_status "$r" 400 "update of id"
os vpn ike policy set --description "main office" ike1 ||
	fail "ike set: $(cat "$WORK/os.err")"
[ "$(os vpn ike policy show ike1 -f value -c Description)" = "main office" ] ||
	fail "ike set description"
ok "ike policy set/show by name"
if os vpn ike policy show nosuch; then fail "show nosuch"; fi
r=$(http GET /v2.0/vpn/ikepolicies/nosuch)
expect_status "$r" 404 "GET ikepolicies/<name>"
[ "$(jget "$(body "$r")" .NeutronError.type)" = IKEPolicyNotFound ] || fail "$r"

# IPsec policies.
j=$(os vpn ipsec policy create esp1 -f json) || fail "esp1: $(cat "$WORK/os.err")"
[ "$(jget "$j" '."Encapsulation Mode"')" = tunnel ] || fail "esp1: $j"
[ "$(jget "$j" '."Transform Protocol"')" = esp ] || fail "esp1: $j"
ESP1=$(jget "$j" .ID)
ok "ipsec policy create"
os_fails "transport mode" "transport is not supported" \
	vpn ipsec policy create bad --encapsulation-mode transport
os_fails "transform ah" "ah is not supported" \
	vpn ipsec policy create bad --transform-protocol ah
os_fails "ipsec auth sha1" "sha1 is not supported" \
	vpn ipsec policy create bad --auth-algorithm sha1
os vpn ipsec policy set --pfs group14 --lifetime units=seconds,value=1800 esp1 ||
	fail "esp set: $(cat "$WORK/os.err")"
[ "$(os vpn ipsec policy show esp1 -f json | jq .Lifetime.value)" = 1800 ] ||
	fail "esp set lifetime"
ok "ipsec policy set lifetime"

# Endpoint groups.
j=$(os vpn endpoint group create --type subnet --value "$PRIV_SUB" lepg -f json) ||
	fail "lepg: $(cat "$WORK/os.err")"
LEPG=$(jget "$j" .ID)
j=$(os vpn endpoint group create --type cidr --value 10.20.0.0/24 \
	--value 10.21.0.0/24 pepg -f json) || fail "pepg: $(cat "$WORK/os.err")"
PEPG=$(jget "$j" .ID)
[ "$(jget "$j" '.Endpoints | length')" = 2 ] || fail "pepg endpoints: $j"
ok "endpoint group create (subnet, cidr)"
os_fails "cidr with host bits" "not a valid CIDR" \
	vpn endpoint group create --type cidr --value 10.20.0.1/24 bad
os_fails "endpoint type network" "type network is not supported" \
	vpn endpoint group create --type network --value "$PRIV_SUB" bad
r=$(http POST /v2.0/vpn/endpoint-groups '{"endpoint_group": {"type": "subnet", "endpoints": ["3f1c2b9a-0000-4000-8000-000000000000"]}}')
expect_status "$r" 400 "unknown subnet endpoint"
r=$(http PUT /v2.0/vpn/endpoint-groups/$PEPG '{"endpoint_group": {"endpoints": ["10.30.0.0/24"]}}')
expect_status "$r" 400 "endpoints are fixed after create"
r=$(http PUT /v2.0/vpn/endpoint-groups/$PEPG '{"endpoint_group": {"type": "subnet"}}')
expect_status "$r" 400 "type is fixed after create"
r=$(http GET /v2.0/vpn/endpoint-groups/$PEPG)
expect_status "$r" 200 "GET endpoint group"
[ "$(jget "$(body "$r")" .endpoint_group.type)" = cidr ] || fail "$r"

# VPN services.
r=$(http POST /v2.0/vpn/vpnservices "{\"vpnservice\": {\"router_id\": \"$ROUTER2\"}}")
expect_status "$r" 400 "router without an external gateway"
jget "$(body "$r")" .NeutronError.message | grep -q "no external gateway" ||
	fail "$r"
r=$(http POST /v2.0/vpn/vpnservices '{"vpnservice": {"router_id": "3f1c2b9a-0000-4000-8000-000000000000"}}')
expect_status "$r" 404 "unknown router"
r=$(http POST /v2.0/vpn/vpnservices "{\"vpnservice\": {\"router_id\": \"$ROUTER\", \"subnet_id\": \"$PRIV2_SUB\"}}")
expect_status "$r" 400 "subnet not on the router"
if [ $MODE = api ]; then
	j=$(os vpn service create --router r1 svc1 -f json) ||
		fail "service create: $(cat "$WORK/os.err")"
	SVC=$(jget "$j" .ID)
else
	r=$(http POST /v2.0/vpn/vpnservices "{\"vpnservice\": {\"router_id\": \"$ROUTER\", \"name\": \"svc1\"}}")
	expect_status "$r" 201 "service create (curl: no routers API)"
	SVC=$(jget "$(body "$r")" .vpnservice.id)
fi
j=$(os vpn service show svc1 -f json) || fail "service show: $(cat "$WORK/os.err")"
[ "$(jget "$j" '."Router"')" = "$ROUTER" ] || fail "service router: $j"
r=$(http GET /v2.0/vpn/vpnservices/$SVC)
[ "$(jget "$(body "$r")" .vpnservice.external_v4_ip)" = "$GW" ] ||
	fail "external_v4_ip: $r"
[ "$(jget "$(body "$r")" .vpnservice.status)" = DOWN ] || fail "status: $r"
ok "vpn service: external_v4_ip is the router's gateway, DOWN"
r=$(http PUT /v2.0/vpn/vpnservices/$SVC "{\"vpnservice\": {\"router_id\": \"$ROUTER2\"}}")
expect_status "$r" 400 "router_id is fixed after create"
os vpn service set --description "to branch" svc1 || fail "service set"
ok "vpn service set"
if [ $MODE = api ]; then
	# The service follows its router's gateway.
	os router unset --external-gateway r1 || fail "unset gateway"
	r=$(http GET /v2.0/vpn/vpnservices/$SVC)
	[ "$(jget "$(body "$r")" .vpnservice.external_v4_ip)" = null ] ||
		fail "external_v4_ip without a gateway: $r"
	os router set --external-gateway ext \
		--fixed-ip subnet=ext-sub,ip-address=198.51.100.77 r1 ||
		fail "set gateway: $(cat "$WORK/os.err")"
	r=$(http GET /v2.0/vpn/vpnservices/$SVC)
	[ "$(jget "$(body "$r")" .vpnservice.external_v4_ip)" = 198.51.100.77 ] ||
		fail "external_v4_ip after a gateway change: $r"
	ok "vpn service follows its router's gateway"
fi

# IPsec site connections.
PSK=Sup3r-s3cret-psk-$$
conn_body() { # conn_body EXTRA_JSON_MEMBERS
	echo "{\"ipsec_site_connection\": {\"vpnservice_id\": \"$SVC\", \"ikepolicy_id\": \"$IKE1\", \"ipsecpolicy_id\": \"$ESP1\", \"peer_address\": \"203.0.113.2\", \"peer_id\": \"203.0.113.2\", \"psk\": \"$PSK\"$1}}"
}
j=$(os vpn ipsec site connection create --vpnservice svc1 --ikepolicy ike1 \
	--ipsecpolicy esp1 --peer-address 203.0.113.2 --peer-id 203.0.113.2 \
	--psk "$PSK" --peer-cidr 10.20.0.0/24 conn1 -f json) ||
	fail "connection create: $(cat "$WORK/os.err")"
CONN1=$(jget "$j" .ID)
[ "$(jget "$j" .Status)" = DOWN ] || fail "new connection status: $j"
[ "$(jget "$j" '."Route Mode"')" = static ] || fail "route mode: $j"
[ "$(jget "$j" '."MTU"')" = 1500 ] || fail "mtu: $j"
grep -q -- "$PSK" <<<"$j" && fail "psk in the create answer"
ok "connection create (peer_cidrs): DOWN, defaults"
r=$(http GET /v2.0/vpn/ipsec-site-connections/$CONN1)
grep -q -- "$PSK" <<<"$r" && fail "psk in GET"
jget "$(body "$r")" .ipsec_site_connection | jq -e 'has("psk") | not' \
	>/dev/null || fail "psk key in GET: $r"
[ "$(jget "$(body "$r")" .ipsec_site_connection.status_description)" = \
	"IKE is off (vpn.ike_port = 0)" ] || fail "status_description: $r"
[ "$(jget "$(body "$r")" .ipsec_site_connection.dpd.timeout)" = 120 ] ||
	fail "dpd defaults: $r"
ok "PSK never returned; status_description says why DOWN"
r=$(http GET "/v2.0/vpn/ipsec-site-connections?fields=psk")
expect_status "$r" 200 "fields=psk"
grep -q -- "$PSK" <<<"$r" && fail "psk via fields"
expect_status "$(http GET "/v2.0/vpn/ipsec-site-connections?psk=$PSK")" 400 \
	"filter on psk"

r=$(http POST /v2.0/vpn/ipsec-site-connections "$(conn_body ', "peer_cidrs": ["10.20.0.0/24"], "dpd": {"interval": 30, "timeout": 30}')")
expect_status "$r" 400 "dpd timeout == interval"
r=$(http POST /v2.0/vpn/ipsec-site-connections "$(conn_body ", \"peer_cidrs\": [\"10.20.0.0/24\"], \"local_ep_group_id\": \"$LEPG\", \"peer_ep_group_id\": \"$PEPG\"")")
expect_status "$r" 400 "peer_cidrs and endpoint groups"
r=$(http POST /v2.0/vpn/ipsec-site-connections "$(conn_body '')")
expect_status "$r" 400 "neither peer_cidrs nor endpoint groups"
r=$(http POST /v2.0/vpn/ipsec-site-connections "$(conn_body ", \"local_ep_group_id\": \"$LEPG\"")")
expect_status "$r" 400 "local endpoint group alone"
r=$(http POST /v2.0/vpn/ipsec-site-connections "$(conn_body ", \"local_ep_group_id\": \"$PEPG\", \"peer_ep_group_id\": \"$PEPG\"")")
expect_status "$r" 400 "local endpoint group of type cidr"
r=$(http POST /v2.0/vpn/ipsec-site-connections "$(conn_body ', "peer_cidrs": ["10.10.0.0/16"]')")
expect_status "$r" 400 "peer CIDR overlapping the local subnet"
r=$(http POST /v2.0/vpn/ipsec-site-connections "$(conn_body ', "peer_cidrs": ["10.20.0.0/24"], "mtu": 10')")
expect_status "$r" 400 "mtu 10"
r=$(http POST /v2.0/vpn/ipsec-site-connections "$(conn_body ', "peer_cidrs": ["10.20.0.0/24"], "initiator": "sometimes"')")
expect_status "$r" 400 "bad initiator"
r=$(http POST /v2.0/vpn/ipsec-site-connections "$(conn_body ', "peer_cidrs": ["10.20.0.0/24"], "psk": ""')")
expect_status "$r" 400 "empty psk"
r=$(http POST /v2.0/vpn/ipsec-site-connections "{\"ipsec_site_connection\": {\"vpnservice_id\": \"$SVC\", \"ikepolicy_id\": \"$IKE1\", \"ipsecpolicy_id\": \"$ESP1\", \"peer_address\": \"vpn.example.com\", \"peer_id\": \"x\", \"psk\": \"k\", \"peer_cidrs\": [\"10.20.0.0/24\"]}}")
expect_status "$r" 400 "peer_address FQDN"
r=$(http POST /v2.0/vpn/ipsec-site-connections "{\"ipsec_site_connection\": {\"vpnservice_id\": \"$SVC\", \"ikepolicy_id\": \"$IKE1\", \"ipsecpolicy_id\": \"$ESP1\", \"peer_address\": \"2001:db8::2\", \"peer_id\": \"x\", \"psk\": \"k\", \"peer_cidrs\": [\"2001:db8:20::/64\"]}}")
expect_status "$r" 400 "IPv6 peer without an IPv6 gateway"
r=$(http POST /v2.0/vpn/ipsec-site-connections "{\"ipsec_site_connection\": {\"vpnservice_id\": \"$SVC\", \"ikepolicy_id\": \"3f1c2b9a-0000-4000-8000-000000000000\", \"ipsecpolicy_id\": \"$ESP1\", \"peer_address\": \"203.0.113.2\", \"peer_id\": \"x\", \"psk\": \"k\", \"peer_cidrs\": [\"10.20.0.0/24\"]}}")
expect_status "$r" 404 "unknown ikepolicy"
r=$(http POST /v2.0/vpn/ipsec-site-connections "{\"ipsec_site_connection\": {\"vpnservice_id\": \"$SVC\", \"ikepolicy_id\": \"$IKE1\", \"ipsecpolicy_id\": \"$ESP1\", \"peer_address\": \"203.0.113.2\", \"peer_id\": \"x\", \"peer_cidrs\": [\"10.20.0.0/24\"]}}")
expect_status "$r" 400 "missing psk"
r=$(http POST /v2.0/vpn/ipsec-site-connections "$(conn_body ', "peer_cidrs": ["10.20.0.0/24"], "status": "ACTIVE"')")
expect_status "$r" 400 "status is read-only"

j=$(os vpn ipsec site connection create --vpnservice svc1 --ikepolicy ike2 \
	--ipsecpolicy esp1 --peer-address 203.0.113.3 --peer-id @branch2 \
	--psk "$PSK" --local-endpoint-group lepg --peer-endpoint-group pepg \
	--initiator response-only --dpd action=restart,interval=10,timeout=40 \
	conn2 -f json) || fail "connection 2: $(cat "$WORK/os.err")"
CONN2=$(jget "$j" .ID)
[ "$(jget "$j" '."Peer Endpoint Group ID"')" = "$PEPG" ] || fail "pepg: $j"
ok "connection create (endpoint groups, response-only, dpd restart)"

r=$(http PUT /v2.0/vpn/ipsec-site-connections/$CONN1 "{\"ipsec_site_connection\": {\"vpnservice_id\": \"$SVC\"}}")
expect_status "$r" 400 "vpnservice_id is fixed"
r=$(http PUT /v2.0/vpn/ipsec-site-connections/$CONN1 "{\"ipsec_site_connection\": {\"ikepolicy_id\": \"$IKE1\"}}")
expect_status "$r" 400 "ikepolicy_id is fixed"
r=$(http PUT /v2.0/vpn/ipsec-site-connections/$CONN1 '{"ipsec_site_connection": {"dpd": {"interval": 200}}}')
expect_status "$r" 400 "dpd interval above the stored timeout"
r=$(http PUT /v2.0/vpn/ipsec-site-connections/$CONN1 '{"ipsec_site_connection": {"psk": "an0ther-key"}}')
expect_status "$r" 200 "psk update"
grep -q an0ther-key <<<"$r" && fail "psk in the update answer"
os vpn ipsec site connection set --dpd action=clear,interval=5,timeout=15 \
	--mtu 1400 conn1 || fail "connection set: $(cat "$WORK/os.err")"
j=$(os vpn ipsec site connection show conn1 -f json) || fail "show conn1"
[ "$(jget "$j" .MTU)" = 1400 ] || fail "mtu after set: $j"
[ "$(jget "$j" .dpd.action)" = clear ] ||
	fail "dpd after set: $j"
ok "connection set dpd and mtu"
os vpn ipsec site connection set --disable conn2 || fail "disable conn2"
r=$(http GET /v2.0/vpn/ipsec-site-connections/$CONN2)
[ "$(jget "$(body "$r")" .ipsec_site_connection.status_description)" = \
	"administratively down" ] || fail "disabled status: $r"
ok "disabled connection says administratively down"

# Lists, filters, fields.
j=$(os vpn ipsec site connection list -f json) || fail "connection list"
[ "$(jget "$j" 'length')" = 2 ] || fail "list: $j"
r=$(http GET "/v2.0/vpn/ipsec-site-connections?name=conn1&fields=id&fields=status")
[ "$(jget "$(body "$r")" '.ipsec_site_connections | length')" = 1 ] || fail "$r"
[ "$(jget "$(body "$r")" '.ipsec_site_connections[0] | keys | join(",")')" = \
	id,status ] || fail "fields: $r"
r=$(http GET "/v2.0/vpn/ipsec-site-connections?initiator=response-only")
[ "$(jget "$(body "$r")" '.ipsec_site_connections[0].id')" = "$CONN2" ] ||
	fail "filter initiator: $r"
r=$(http GET "/v2.0/vpn/ikepolicies?sort_key=name&sort_dir=desc")
[ "$(jget "$(body "$r")" '[.ikepolicies[].name] | join(",")')" = ike2,ike1 ] ||
	fail "sort: $r"
expect_status "$(http GET "/v2.0/vpn/ikepolicies?nosuch=1")" 400 \
	"filter on an unknown attribute"
j=$(os vpn endpoint group list -f json) || fail "endpoint group list"
[ "$(jget "$j" 'length')" = 2 ] || fail "epg list: $j"
ok "lists, filters, fields, sorting"

# In use: 409.
os_fails "delete ike policy in use" "in use" vpn ike policy delete ike1
r=$(http DELETE /v2.0/vpn/ikepolicies/$IKE1)
expect_status "$r" 409 "ike policy in use"
[ "$(jget "$(body "$r")" .NeutronError.type)" = IKEPolicyInUse ] || fail "$r"
expect_status "$(http DELETE /v2.0/vpn/ipsecpolicies/$ESP1)" 409 \
	"ipsec policy in use"
expect_status "$(http DELETE /v2.0/vpn/vpnservices/$SVC)" 409 \
	"vpn service with connections"
expect_status "$(http DELETE /v2.0/vpn/endpoint-groups/$PEPG)" 409 \
	"endpoint group in use"

# The PSK never reached the log.
grep -q -- "$PSK" "$WORK/sluiced.log" && fail "the PSK is in the log"
grep -q an0ther-key "$WORK/sluiced.log" && fail "the new PSK is in the log"
ok "no PSK in the log"

# Persistence.
stop_sluiced
start_sluiced
j=$(os vpn ipsec site connection show conn1 -f json) ||
	fail "show after restart: $(cat "$WORK/os.err")"
[ "$(jget "$j" .MTU)" = 1400 ] || fail "mtu after restart: $j"
[ "$(os vpn ike policy show ike1 -f value -c Description)" = "main office" ] ||
	fail "ike policy after restart"
ok "everything survives a restart"

# A router a VPN service uses is not deleted (Neutron: 409).
if [ $MODE = api ]; then
	r=$(http DELETE /v2.0/routers/$ROUTER)
	expect_status "$r" 409 "delete the VPN service's router"
	jget "$(body "$r")" .NeutronError.message | grep -q "VPNService $SVC" ||
		fail "router delete: $r"
	ok "the VPN service's router is not deleted (409, names the service)"
fi

# Delete in order.
os vpn ipsec site connection delete conn1 conn2 || fail "delete connections"
os vpn service delete svc1 || fail "delete service: $(cat "$WORK/os.err")"
os vpn endpoint group delete lepg pepg || fail "delete endpoint groups"
os vpn ike policy delete ike1 ike2 || fail "delete ike policies"
os vpn ipsec policy delete esp1 || fail "delete ipsec policy"
for c in ikepolicies ipsecpolicies vpnservices endpoint-groups \
	ipsec-site-connections; do
	r=$(http GET /v2.0/vpn/$c)
	[ "$(body "$r" | jq '.[] | length')" = 0 ] || fail "$c not empty: $r"
done
expect_status "$(http DELETE /v2.0/vpn/ikepolicies/$IKE1)" 404 \
	"delete a deleted policy"
ok "delete everything"
echo "PASS"
