#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# netns_neigh_test.sh: next-hop aging and IPv6 router advertisements
# (docs/compiler.md "Next-hop aging", "Router advertisements"). sluiced +
# sluice-dp, driven by the openstack CLI; guests are namespaces on veths.
#
#   public (external): 172.24.4.0/24 and 2001:db8:e::/64; X is the next
#     hop: 172.24.4.1 and 2001:db8:e::1 (the subnets' gateways), with a
#     route back to the tenant's IPv6 subnet via the router's gateway.
#     Its port (port security off) has other fixed IPs (.100, ::100):
#     addresses of known ports are routed to directly, never learned.
#   net: 10.5.0.0/24 and 2001:db8:5::/64 (ipv6_ra_mode and
#     ipv6_address_mode slaac); G1, G2 guests; router R (both subnets,
#     gateway on public with SNAT)
#
# (b) G1 and G2 (accept_ra 2, autoconf 1) configure the EUI-64 address
# the API gave their ports from Sluice's router advertisement, with a
# default route via the router's link-local address; G1 pings the
# router's 2001:db8:5::1, G2, and X across the router.
# (a) G1 reaches X over IPv4 (SNAT) and IPv6, so R learns X's MACs. X's
# MAC changes: traffic recovers within the aging bound (reachable time +
# probes, set short here in sluice.conf) and sluiced logs the new MAC.
# X goes away: both neighbour rules are removed (counted and logged) when
# the probes go unanswered; X comes back and is learned again.
#
#   netns_neigh_test.sh SLUICED    env: SLUICE_DP, SLUICECTL, PORT_TYPE
set -euo pipefail

SLUICED=${1:-}
. "$(dirname "$0")/../lib/sluice.sh"
sluice_test_init neigh nb n python3
guests="G1 G2 X"
# Aging set short so that the test takes seconds: stale after 2 s, three
# probes 0.5 s apart, forgotten 3.5 s after the last answer (+ the
# driver's 0.5 s poll).
REACH_MS=2000
RETRANS_MS=500
PROBES=3
BOUND_S=8

trap 'set +e; sluice_cleanup' EXIT

fail() {
	echo "FAIL: $*"
	sluice_dump "$sock" 200
	echo "=== sluiced's next hops"
	grep -h "next hop\|neighbour" "$tmp/sluiced.log" | tail -20
	exit 1
}

declare -A MAC=([G1]=fa:16:3e:05:00:01 [G2]=fa:16:3e:05:00:02
	[X]=fa:16:3e:05:ee:01)
XMAC2=fa:16:3e:05:ee:02

step "topology: 3 namespaces on veths ($PORT_TYPE)"
sluice_guests_add
v6_on() { # v6_on G ACCEPT_RA
	run "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.eth0.disable_ipv6=1
	run "$1" sysctl -qw net.ipv6.conf.all.forwarding=0 \
		net.ipv6.conf.eth0.addr_gen_mode=0 \
		net.ipv6.conf.eth0.use_tempaddr=0 \
		net.ipv6.conf.eth0.accept_ra="$2" \
		net.ipv6.conf.eth0.autoconf="$2" \
		net.ipv6.conf.eth0.accept_dad=0
}
v6_on X 0
run X sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0
run X ip addr add 172.24.4.1/24 dev eth0
run X ip addr add 2001:db8:e::1/64 dev eth0 nodad

sluice_dp_start "$sock" "nb$id" "$tmp/dp.log" --mem 128 --log-level warn
api_port=$(sluice_free_port)
sluice_conf_write "$tmp/sluice.conf" "$api_port" "$tmp" "$sock" "$PORT_TYPE"
# [datapath] is the last section but one ([log]): append to it by key.
sed -i "/^\[datapath\]/a neigh_reachable_ms = $REACH_MS\nneigh_retrans_ms = $RETRANS_MS\nneigh_probes = $PROBES" \
	"$tmp/sluice.conf"
URL=http://127.0.0.1:$api_port
sluice_ctl_start "$tmp/sluice.conf" "$tmp/sluiced.log" "$URL"
os() {
	openstack --os-auth-type none --os-endpoint "$URL" "$@" \
		2>>"$tmp/os.log"
}

step "intent: public (v4 + v6), net (v4 + slaac v6), router R"
os network create --external public -f value -c id >/dev/null ||
	fail "network public"
os subnet create --network public --subnet-range 172.24.4.0/24 \
	--gateway 172.24.4.1 --no-dhcp pub4 -f value -c id >/dev/null ||
	fail "subnet pub4"
os subnet create --network public --ip-version 6 \
	--subnet-range 2001:db8:e::/64 --gateway 2001:db8:e::1 --no-dhcp \
	pub6 -f value -c id >/dev/null || fail "subnet pub6"
os network create net -f value -c id >/dev/null || fail "network net"
os subnet create --network net --subnet-range 10.5.0.0/24 --no-dhcp \
	sub4 -f value -c id >/dev/null || fail "subnet sub4"
os subnet create --network net --ip-version 6 \
	--subnet-range 2001:db8:5::/64 --ipv6-ra-mode slaac \
	--ipv6-address-mode slaac sub6 -f value -c id >/dev/null ||
	fail "subnet sub6 (slaac)"
os router create R -f value -c id >/dev/null || skip "no routers API"
os router add subnet R sub4 || fail "R + sub4"
os router add subnet R sub6 || fail "R + sub6"
os router set R --external-gateway public || fail "R gateway"
gw_ips() {
	os router show R -f json |
		jq -r '.external_gateway_info.external_fixed_ips[].ip_address'
}
GW4=$(gw_ips | grep -F . || true)
GW6=$(gw_ips | grep -F : || true)
[[ $GW4 == 172.24.4.* && $GW6 == 2001:db8:e:* ]] ||
	fail "gateway addresses: '$GW4' '$GW6'"
echo "R gateway $GW4 $GW6"
run X ip -6 route add 2001:db8:5::/64 via "$GW6"

for g in G1 G2; do
	os port create --network net --mac-address "${MAC[$g]}" \
		--binding-profile "interface=$(hif $g)" "port$g" \
		-f value -c id >/dev/null || fail "port $g"
done
os port create --network public --mac-address "${MAC[X]}" \
	--fixed-ip subnet=pub4,ip-address=172.24.4.100 \
	--fixed-ip subnet=pub6,ip-address=2001:db8:e::100 \
	--binding-profile "interface=$(hif X)" --disable-port-security \
	--no-security-group portX -f value -c id >/dev/null || fail "port X"
declare -A IP4 IP6
for g in G1 G2; do
	js=$(os port show "port$g" -f json) || fail "port show $g"
	IP4[$g]=$(jq -r '.fixed_ips[] | .ip_address | select(test("\\."))' \
		<<<"$js")
	IP6[$g]=$(jq -r '.fixed_ips[] | .ip_address | select(test(":"))' \
		<<<"$js")
done
# Neutron's slaac address: the modified EUI-64 of the MAC.
[ "${IP6[G1]}" = 2001:db8:5:0:f816:3eff:fe05:1 ] ||
	fail "port G1's slaac address is ${IP6[G1]}, not the EUI-64 one"
echo "G1 ${IP4[G1]} ${IP6[G1]}; G2 ${IP4[G2]} ${IP6[G2]}"
port_active() { [ "$(os port show "port$1" -f value -c status)" = ACTIVE ]; }
for g in $guests; do
	wait_for "port $g ACTIVE" 10 port_active "$g"
done
for g in G1 G2; do
	run "$g" ip addr add "${IP4[$g]}/24" dev eth0
	run "$g" ip route add default via 10.5.0.1
done

step "(b) router advertisements: G1, G2 autoconfigure (slaac)"
for g in G1 G2; do
	v6_on "$g" 2
	run "$g" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0
done
has_addr() { run "$1" ip -6 addr show dev eth0 scope global | grep -q "$2/64"; }
for g in G1 G2; do
	wait_for "$g: ${IP6[$g]} from the RA" 15 has_addr "$g" "${IP6[$g]}"
	route=$(run "$g" ip -6 route show default)
	echo "$g: $(run "$g" ip -6 addr show dev eth0 scope global |
		awk '/inet6/ {print $2}'), $route"
	grep -q "via fe80::" <<<"$route" || fail "$g: no default route: $route"
done
RLL=$(run G1 ip -6 route show default | awk '{print $3; exit}')
RPORT_MAC=$(curl -sf "$URL/v2.0/ports" | jq -r '.ports[] |
	select(any(.fixed_ips[]; .ip_address == "2001:db8:5::1")) |
	.mac_address')
[ "$RLL" = "$(python3 -c '
import sys, ipaddress
m = [int(x, 16) for x in sys.argv[1].split(":")]
m[0] ^= 2
print(ipaddress.IPv6Address(bytes([0xfe, 0x80] + [0] * 6 + m[:3] +
	[0xff, 0xfe] + m[3:])))' "$RPORT_MAC")" ] ||
	fail "default router $RLL is not the link-local of $RPORT_MAC"
run G1 ping -6 -c 2 -i 0.2 -W 2 2001:db8:5::1 >/dev/null ||
	fail "G1 -> router 2001:db8:5::1"
run G1 ping -6 -c 2 -i 0.2 -W 2 "${IP6[G2]}" >/dev/null ||
	fail "G1 -> G2 over IPv6"
run G1 ping -6 -c 2 -i 0.2 -W 2 2001:db8:e::1 >/dev/null ||
	fail "G1 -> X over IPv6 (via the router's link-local)"
grep -q "router advertisement" "$tmp/sluiced.log" &&
	fail "sluiced logged a failed advertisement"
ok "slaac from Sluice's RA: ${IP6[G1]}, default via $RLL; pings pass"

step "(a) next hops learned, then X's MAC changes"
run G1 ping -c 2 -i 0.2 -W 2 172.24.4.1 >/dev/null || fail "G1 -> X (v4)"
run G1 ping -6 -c 2 -i 0.2 -W 2 2001:db8:e::1 >/dev/null ||
	fail "G1 -> X (v6)"
learned() { grep -q "next hop $1 is ${2:-}" "$tmp/sluiced.log"; }
wait_for "172.24.4.1 learned" 5 learned 172.24.4.1 "${MAC[X]}"
wait_for "2001:db8:e::1 learned" 5 learned 2001:db8:e::1 "${MAC[X]}"
# Stays learned while X answers the probes (several reachable times).
sleep $((3 * REACH_MS / 1000))
grep -q "next hop 172.24.4.1 unanswered" "$tmp/sluiced.log" &&
	fail "172.24.4.1 forgotten while X answered"
run X ip link set dev eth0 address $XMAC2
t0=$(date +%s.%N)
recovered() {
	run G1 ping -c 1 -W 1 172.24.4.1 >/dev/null &&
		run G1 ping -6 -c 1 -W 1 2001:db8:e::1 >/dev/null
}
wait_for "traffic to X's new MAC" $BOUND_S recovered
since() { # seconds since $1 (date +%s.%N)
	python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - \
		float(sys.argv[1])))" "$1" "$(date +%s.%N)"
}
t=$(since "$t0")
wait_for "new MAC of 172.24.4.1 logged" 3 learned 172.24.4.1 "now $XMAC2"
wait_for "new MAC of 2001:db8:e::1 logged" 3 learned 2001:db8:e::1 \
	"now $XMAC2"
ok "X's new MAC used after $t s (bound $BOUND_S s)"

step "(a) X goes away: both neighbour rules are removed"
nrules() { # table 18 rules that send to X's MAC
	"$SLUICECTL" -s "$sock" dp dump-flows --table 18 2>/dev/null |
		grep -ci "$XMAC2" || true
}
before=$(nrules)
[ "$before" -gt 0 ] || fail "no table-18 rule sends to $XMAC2"
run X ip link set dev eth0 down
t0=$(date +%s.%N)
forgotten() {
	grep -q "next hop 172.24.4.1 unanswered" "$tmp/sluiced.log" &&
		grep -q "next hop 2001:db8:e::1 unanswered" "$tmp/sluiced.log"
}
wait_for "both next hops forgotten" $BOUND_S forgotten
[ "$(nrules)" -eq 0 ] || fail "rules with $XMAC2 left: $(nrules)"
ok "unanswered next hops removed $(since "$t0") s after X went down" \
	"(rules naming $XMAC2: $before -> 0)"
run X ip link set dev eth0 up
run X ip addr add 2001:db8:e::1/64 dev eth0 nodad 2>/dev/null || true
run X ip -6 route replace 2001:db8:5::/64 via "$GW6"
wait_for "X reachable again" $BOUND_S recovered
ok "X learned again after it came back"
echo "PASS"
