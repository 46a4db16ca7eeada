#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# netns_dhcp6_test.sh: sluiced's DHCPv6 server (docs/compiler.md
# "DHCPv6") with a real client, ISC dhclient, in guest namespaces.
#
#   net6: 2001:db8:6::/64, ipv6_ra_mode and ipv6_address_mode
#     dhcpv6-stateful, DNS 2001:db8:6::53; guest G1
#   netl: 2001:db8:7::/64, dhcpv6-stateless, DNS 2001:db8:7::53 and
#     2001:db8:7::54; guest G2
#   router R on both subnets (the DHCPv6 server is its interface)
#
# G1 (dhclient -6) gets exactly its port's API address, from a server
# whose DUID-LL is the router interface's MAC, and pings the router's
# 2001:db8:6::1 with it. G2 (dhclient -6 -S, Information-Request) gets
# the stateless subnet's DNS servers. The dhclient script here only
# records what it got and adds the address: no resolv.conf is touched.
#
#   netns_dhcp6_test.sh SLUICED    env: SLUICE_DP, SLUICECTL, PORT_TYPE
set -euo pipefail

SLUICED=${1:-}
. "$(dirname "$0")/../lib/sluice.sh"
sluice_test_init dhcp6 d6 d6 dhclient
guests="G1 G2"

cleanup() {
	set +e
	local g
	for g in $guests; do # the dhclients started here, by pid file
		[ -s "$tmp/$g.pid" ] && kill "$(cat "$tmp/$g.pid")" 2>/dev/null
	done
	sluice_cleanup
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	sluice_dump "$sock" 100
	exit 1
}

declare -A MAC=([G1]=fa:16:3e:06:00:01 [G2]=fa:16:3e:06:00:02)

step "topology: 2 namespaces on veths ($PORT_TYPE)"
sluice_guests_add
for g in $guests; do
	run "$g" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.eth0.disable_ipv6=1
	run "$g" sysctl -qw net.ipv6.conf.all.forwarding=0 \
		net.ipv6.conf.eth0.addr_gen_mode=0 \
		net.ipv6.conf.eth0.use_tempaddr=0 \
		net.ipv6.conf.eth0.accept_ra=2 \
		net.ipv6.conf.eth0.autoconf=0 \
		net.ipv6.conf.eth0.accept_dad=0
done

# The client's script for guest G (dhclient clears the environment): what
# it was given, to $tmp/G.out; the address added.
write_script() {
	cat >"$tmp/script-$1.sh" <<EOF
#!/bin/sh
env | grep -E '^(reason|new_ip6_|new_dhcp6_)' >>"$tmp/$1.out"
echo "--" >>"$tmp/$1.out"
case "\$reason" in
BOUND6 | RENEW6 | REBIND6)
	[ -n "\$new_ip6_address" ] &&
		ip -6 addr replace "\$new_ip6_address/64" dev "\$interface" nodad
	;;
esac
exit 0
EOF
	chmod +x "$tmp/script-$1.sh"
}
for g in $guests; do
	write_script "$g"
done

sluice_dp_start "$sock" "d6$id" "$tmp/dp.log" --mem 128 --log-level warn
api_port=$(sluice_free_port)
sluice_conf_write "$tmp/sluice.conf" "$api_port" "$tmp" "$sock" "$PORT_TYPE"
URL=http://127.0.0.1:$api_port
sluice_ctl_start "$tmp/sluice.conf" "$tmp/sluiced.log" "$URL"
export OS_AUTH_TYPE=none OS_ENDPOINT=$URL

step "intent: net6 (stateful), netl (stateless), router R"
os network create net6 -f value -c id >/dev/null
os subnet create --network net6 --ip-version 6 \
	--subnet-range 2001:db8:6::/64 --ipv6-ra-mode dhcpv6-stateful \
	--ipv6-address-mode dhcpv6-stateful --dns-nameserver 2001:db8:6::53 \
	sub6 -f value -c id >/dev/null
os network create netl -f value -c id >/dev/null
os subnet create --network netl --ip-version 6 \
	--subnet-range 2001:db8:7::/64 --ipv6-ra-mode dhcpv6-stateless \
	--ipv6-address-mode dhcpv6-stateless \
	--dns-nameserver 2001:db8:7::53 --dns-nameserver 2001:db8:7::54 \
	subl -f value -c id >/dev/null
os router create R -f value -c id >/dev/null
os router add subnet R sub6
os router add subnet R subl
os port create --network net6 --mac-address "${MAC[G1]}" \
	--binding-profile "interface=$(hif G1)" portG1 -f value -c id \
	>/dev/null
os port create --network netl --mac-address "${MAC[G2]}" \
	--binding-profile "interface=$(hif G2)" portG2 -f value -c id \
	>/dev/null
IP1=$(os port show portG1 -f json | jq -r '.fixed_ips[0].ip_address')
[[ $IP1 == 2001:db8:6:* ]] || fail "port G1's address: $IP1"
RMAC=$(curl -sf "$URL/v2.0/ports" | jq -r '.ports[] |
	select(any(.fixed_ips[]; .ip_address == "2001:db8:6::1")) |
	.mac_address')
[ -n "$RMAC" ] || fail "no router interface with 2001:db8:6::1"
echo "G1's port: $IP1; router interface MAC $RMAC"
port_active() { [ "$(os port show "port$1" -f value -c status)" = ACTIVE ]; }
for g in $guests; do
	wait_for "port $g ACTIVE" 10 port_active "$g"
	run "$g" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0
done

# dhclient G ARGS...: one try, 30 s at most; backgrounds once bound.
dhclient6() {
	local g=$1
	shift
	run "$g" timeout 30 dhclient -6 -1 -v "$@" -sf "$tmp/script-$g.sh" \
		-lf "$tmp/$g.lease" -pf "$tmp/$g.pid" eth0 \
		>>"$tmp/dhclient-$g.log" 2>&1
}

step "G1: dhclient -6 on the stateful subnet"
dhclient6 G1 || fail "G1: dhclient -6: $(tail -5 "$tmp/dhclient-G1.log")"
grep -q "^reason=BOUND6" "$tmp/G1.out" ||
	fail "G1: not bound: $(cat "$tmp/G1.out")"
got=$(sed -n 's/^new_ip6_address=//p' "$tmp/G1.out" | head -1)
[ "$got" = "$IP1" ] || fail "G1 got '$got', the API says $IP1"
grep -q "^new_dhcp6_name_servers=2001:db8:6::53$" "$tmp/G1.out" ||
	fail "G1: DNS servers: $(grep name_servers "$tmp/G1.out")"
# The server's DUID: DUID-LL (type 3, hardware type 1) of the router's MAC.
duid="0:3:0:1:$(sed 's/\b0\([0-9a-f]\)/\1/g' <<<"$RMAC")"
grep -qix "new_dhcp6_server_id=$duid" "$tmp/G1.out" ||
	fail "G1: server id is not $duid: $(grep server_id "$tmp/G1.out")"
has_addr() { run G1 ip -6 addr show dev eth0 scope global | grep -q "$IP1/"; }
wait_for "G1 has $IP1" 5 has_addr
run G1 ping -6 -c 2 -i 0.2 -W 2 2001:db8:6::1 >/dev/null ||
	fail "G1 ($IP1) -> router 2001:db8:6::1"
ok "G1 got $IP1 by DHCPv6 from $duid, pings the router"

step "G2: dhclient -6 -S (Information-Request) on the stateless subnet"
dhclient6 G2 -S ||
	fail "G2: dhclient -6 -S: $(tail -5 "$tmp/dhclient-G2.log")"
grep -q "^new_dhcp6_name_servers=2001:db8:7::53 2001:db8:7::54$" \
	"$tmp/G2.out" || fail "G2: DNS servers: $(cat "$tmp/G2.out")"
grep -q "^new_ip6_address=" "$tmp/G2.out" &&
	fail "G2 got an address on a stateless subnet"
ok "G2 got DNS 2001:db8:7::53 2001:db8:7::54"
grep -q "dhcpv6 reply" "$tmp/sluiced.log" &&
	fail "sluiced logged a failed DHCPv6 reply"
echo "PASS"
