#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# sluice_tunnel_test.sh: traffic through a VPNaaS tunnel between a Sluice
# router and a strongSwan site (issue 6). sluiced + sluice-dp with IKE
# through the datapath ([vpn] ike = datapath: the gateway address exists
# only in sluice-dp, IKE is punted to sluiced and answered by packet-out)
# and the tunnel's flow rules (control/net/compiler_vpn.c).
#
#   sluice-dp (root ns)                     ns "x": charon (kernel-libipsec)
#   router r1: priv 10.10.0.0/24            172.24.4.100 on ext (a port,
#     guest G 10.10.0.11 (ns "g")           port security off); protects
#   gateway 172.24.4.10 on ext              10.20.0.0/24 (10.20.0.1 on lo)
#
# Case 0, IPv6 path MTU (before IKE): the tunnel rules are IPv4 only
# (docs/vpnaas.md), so an ESP SA pair (mtu 1400) and IPv6 rules are put
# into sluice-dp by hand: T17 fd02::/64 -> esp_encrypt out to ns "w",
# whose bridge sends every frame back (hairpin); sluice-dp decrypts it
# (the in SA) and hands the inner packet to x (fd02::1), whose replies go
# straight back to G. G's `ping -6 -M do -s 1400` gets ICMPv6 Packet Too
# Big (mtu 1346) from the router's fd01::1, its route cache learns it, and
# `ping -6 -s 1400` (fragmented by G) is answered.
#
# Case 1b, IPv6 inner subnets over the IPv4 gateways: a connection with
# peer CIDR fd02::/64 (r1's local subnet of that family: priv6-sub,
# fd01::/64; G's port holds fd01::11 too), Sluice initiating, charon's
# child net6 (fd02::/64 <-> fd01::/64) chosen by its selectors: ACTIVE,
# the negotiated IPv6 selectors in sluice-dp's tunnel rules, ping -6 both
# ways between G (fd01::11) and fd02::1, ESP SAs counting it.
#
# Cases: Sluice initiates (charon waits) and Sluice responds
# (response-only connection, charon initiates). Each: the connection
# ACTIVE, ping both ways between G and 10.20.0.1, iperf3 for 3 s from G
# through the tunnel, and the ESP SA counters in sluice-dp count it.
# After the first connection is deleted its SAs and rules are gone and
# the guests no longer reach each other. Then a rekey under traffic (ESP
# lifetime 60 s): the outbound SPI changes and a 5/s ping for 80 s loses
# nothing (SKIP_REKEY=1 leaves it out).
#
# With "ipv6gw" as the second argument (meson test sluice_tunnel_ipv6gw)
# the external network is IPv6 only (2001:db8:2::/64: r1's gateway ::10,
# charon's x ::100; no IPv4 outside at all) and cases 6-8 run: IKE
# over IPv6 through the datapath (neighbor discovery both ways), ESP in
# UDP 4500 over IPv6 (charon's kernel-libipsec knows no other ESP),
# inner IPv4 (10.20.0.0/24) and IPv6 (fd02::/64, charon's net6):
#  6a/6b. Sluice initiates the IPv4-inside, then the IPv6-inside
#     connection: ACTIVE, charon's IKE SA on [$GW]:4500, its child
#     TUNNEL-in-UDP, sluice-dp's out SA natt from ::10 to ::100; ping (or
#     ping -6) both ways, iperf3 2 s each way, the SAs count it.
#  6c. Sluice responds: both connections response-only at once; charon
#     initiates net6, then (a new IKE SA) net: Sluice picks each by its
#     selectors: ACTIVE, the same traffic.
#  On x's eth0 (tcpdump): at least 1000 ESP-in-UDP packets over IPv6 and
#  nothing but IKE, ESP in UDP and ICMPv6 (no IPv4 frame, no inner
#  address in clear).
#  7a/7b. Rekeys under a 5/s ping for 80 s, each side rekeying one SA:
#     7a Sluice initiates (IPv4 inside, ESP lifetime 60 s: Sluice rekeys
#     the child; charon's IKE rekey_time 45 s), 7b charon initiates net6
#     (ping -6; charon's child rekey_time 45 s; Sluice response-only
#     with an IKE lifetime of 60 s rekeys the IKE SA). 400 of 400
#     answered; sluice-dp's out SPI, charon's IKE and child SPIs all
#     new; sluiced logged child-rekeyed and ike-rekeyed; charon's log
#     shows which side sent each CREATE_CHILD_SA (SKIP_REKEY=1: no 7).
#  8. DPD clear, restart, hold (interval 2 s, timeout 6 s; Sluice
#     initiates, IPv4 inside): charon SIGKILLed: DOWN "peer not
#     responding (DPD)" within 12 s, the ESP SAs gone; charon started
#     again: clear stays DOWN, restart comes back ACTIVE by itself, hold
#     (its trap rule in table 17) stays DOWN until a ping from G hits
#     the trap, then ACTIVE; ping both ways after restart and hold.
#
# With "children" (meson test sluice_tunnel_children) only case 9 runs:
#  9. Two children on one IKE SA: charon's connection x-r1 has children
#     net (10.20.0.0/24) and net2 (10.21.0.0/24), both toward G's
#     10.10.0.0/24; Sluice has two ipsec-site-connections to charon with
#     the same policies, PSK and IDs, peer CIDRs 10.20.0.0/24 and
#     10.21.0.0/24 (how Neutron's own strongSwan driver would render
#     them: one peer, two children).
#     9a. Sluice initiates both at once: the second asks for its child
#     with CREATE_CHILD_SA on the first one's IKE SA. Both ACTIVE with
#     the same IKE SPIs in their status; charon lists ONE IKE SA with net
#     and net2 installed; ping both ways through each child; charon
#     rekeys net, then net2, under a 5/s ping to both sites: nothing
#     lost, sluice-dp's two out SPIs new. Deleting one connection deletes
#     its child only: charon's IKE SA and net stay, the other connection
#     stays ACTIVE and passes traffic, 10.21.0.1 is no longer reached.
#     9b. Sluice responds (both response-only, ESP lifetime 60 s):
#     charon initiates net, then net2 (CREATE_CHILD_SA on its IKE SA):
#     both ACTIVE on one IKE SA, ping through each; Sluice rekeys both
#     children (lifetime) under a 5/s ping to both sites for 75 s:
#     nothing lost.
#
#   sluice_tunnel_test.sh SLUICED [ipv6gw|children]   env: SLUICE_DP, SLUICECTL
set -euo pipefail

skip() { echo "SKIP: $*"; exit 77; }
step() { echo "--- $*"; }
SLUICED=$(readlink -f "${1:-}")
MODE=${2:-ipv4}
[ "$(id -u)" -eq 0 ] || skip "needs root"
. "$(dirname "$0")/../lib/sluice.sh"
sluice_need_bins
for b in openstack curl jq iperf3; do
	command -v "$b" >/dev/null || skip "$b missing"
done
. "$(dirname "$0")/../lib/charon.sh"
charon_need

id=$(($$ % 100000))
tmp=$(mktemp -d /tmp/sluice-tunnel.XXXXXX)
sock=$tmp/dp.sock
dp_pid=
ctl_pid=
charon_pid=
bg_pids=
GW=172.24.4.10
PEER=172.24.4.100
PSK=tunnel-test-psk-0123456789
guests="g x w"
if [ "$MODE" = ipv6gw ]; then
	command -v tcpdump >/dev/null || skip "tcpdump missing"
	GW=2001:db8:2::10
	PEER=2001:db8:2::100
	guests="g x"
fi
ns() { echo "st$id-$1"; }
hif() { echo "t$id$1"; }
. "$(dirname "$0")/../lib/guest.sh"
declare -A MAC=([g]=fa:16:3e:02:0a:01 [x]=fa:16:3e:02:ee:01
	[w]=fa:16:3e:02:ee:02)

cleanup() {
	set +e
	for p in $bg_pids $charon_pid; do kill "$p" 2>/dev/null; done
	sluice_stop
	sluice_guests_del
	[ -n "${KEEP_LOGS:-}" ] && echo "logs in $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	if [ -S "$sock" ]; then
		"$SLUICECTL" -s "$sock" dp sa-list
		"$SLUICECTL" -s "$sock" dp stats | grep -v " 0$"
		"$SLUICECTL" -s "$sock" dp dump-flows | grep -E "table=(2|12|17|18)," 
	fi 2>&1 | sed 's/^/dp: /' | tail -n 80
	for f in "$tmp"/sluiced.log "$tmp"/charon.log; do
		[ -f "$f" ] || continue
		echo "=== $f"; tail -n 30 "$f"
	done
	exit 1
}

step "namespaces g (guest) and x (strongSwan site) on veths"
for g in $guests; do
	guest_veth "$(ns $g)" "$(hif $g)" "${MAC[$g]}"
done
ip -n "$(ns g)" addr add 10.10.0.11/24 dev eth0
ip -n "$(ns g)" route add default via 10.10.0.1
if [ "$MODE" = ipv6gw ]; then
	ip netns exec "$(ns x)" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.eth0.disable_ipv6=0 net.ipv6.conf.eth0.accept_ra=0
	ip -n "$(ns x)" addr add $PEER/64 dev eth0 nodad
else
	ip -n "$(ns x)" addr add $PEER/24 dev eth0
fi
ip -n "$(ns x)" addr add 10.20.0.1/32 dev lo
ip -n "$(ns x)" addr add 10.21.0.1/32 dev lo

sluice_dp_start "$sock" "st$id" "$tmp/dp.log" --mem 128 --log-level warn
api_port=$(sluice_free_port)
sluice_conf_write "$tmp/sluice.conf" "$api_port" "$tmp" "$sock"
cat >>"$tmp/sluice.conf" <<EOF
[vpn]
ike_port = 500
natt_port = 4500
esp = datapath
ike = datapath
EOF
URL=http://127.0.0.1:$api_port
sluice_ctl_start "$tmp/sluice.conf" "$tmp/sluiced.log" "$URL"
os() {
	openstack --os-auth-type none --os-endpoint "$URL" "$@" \
		2>>"$tmp/os.log"
}
api() { # api METHOD PATH [BODY]
	curl -s -X "$1" -H 'Content-Type: application/json' \
		${3:+--data-binary "$3"} "$URL$2"
}

step "intent: router r1 (priv + gateway $GW on ext), ports G and X"
os network create --external ext -f value -c id >/dev/null ||
	fail "network ext"
if [ "$MODE" = ipv6gw ]; then
	os subnet create --network ext --ip-version 6 \
		--subnet-range 2001:db8:2::/64 --gateway 2001:db8:2::1 \
		--no-dhcp ext-sub -f value -c id >/dev/null ||
		fail "subnet ext (IPv6)"
else
	os subnet create --network ext --subnet-range 172.24.4.0/24 \
		--gateway 172.24.4.1 --no-dhcp ext-sub -f value -c id \
		>/dev/null || fail "subnet ext"
fi
os network create priv -f value -c id >/dev/null || fail "network priv"
os subnet create --network priv --subnet-range 10.10.0.0/24 --no-dhcp \
	priv-sub -f value -c id >/dev/null || fail "subnet priv"
os subnet create --network priv --ip-version 6 --subnet-range fd01::/64 \
	--gateway fd01::1 --no-dhcp priv6-sub -f value -c id >/dev/null ||
	fail "subnet priv6"
os router create r1 -f value -c id >/dev/null || skip "no routers API"
os router set r1 --external-gateway ext \
	--fixed-ip subnet=ext-sub,ip-address=$GW || fail "r1 gateway"
os router add subnet r1 priv-sub || fail "r1 + priv"
os router add subnet r1 priv6-sub || fail "r1 + priv6"
ROUTER=$(os router show r1 -f value -c id)
port() { # port NAME NET IP [MORE_ARGS...]
	local name=$1 net=$2 ip=$3
	shift 3
	os port create --network "$net" --mac-address "${MAC[$name]}" \
		--fixed-ip "ip-address=$ip" "$@" \
		--binding-profile "interface=$(hif $name)" \
		--disable-port-security --no-security-group "port$name" \
		-f value -c id >/dev/null || fail "port $name"
}
port g priv 10.10.0.11 --fixed-ip subnet=priv6-sub,ip-address=fd01::11
port x ext $PEER
[ "$MODE" = ipv6gw ] || port w ext 172.24.4.101
for g in $guests; do
	st=
	for _ in $(seq 100); do
		st=$(os port show "port$g" -f value -c status)
		[ "$st" = ACTIVE ] && break
		sleep 0.1
	done
	[ "$st" = ACTIVE ] || fail "port$g status $st"
done

swan() {
	ip netns exec "$(ns x)" swanctl "$@" --uri "unix://$tmp/charon.vici"
}
swan_load() { # START_ACTION [IKE_REKEY [CHILD_REKEY]]: x-r1 with children
	# net and net6; charon rekeys its IKE SA after IKE_REKEY, each child
	# after CHILD_REKEY (seconds; default 4 h and 1 h, so never here)
	cat >"$tmp/swanctl.conf" <<EOF
connections { x-r1 {
  version = 2
  local_addrs = $PEER
  remote_addrs = $GW
  proposals = aes128-sha256-modp2048
  encap = yes
  mobike = no
  dpd_delay = 0
  rekey_time = ${2:-14400}s
  local { auth = psk
          id = $PEER }
  remote { auth = psk
           id = $GW }
  children { net {
    local_ts = 10.20.0.0/24
    remote_ts = 10.10.0.0/24
    mode = tunnel
    esp_proposals = aes128-sha256-modp2048
    rekey_time = ${3:-3600}s
    start_action = $1 }
    net6 {
    local_ts = fd02::/64
    remote_ts = fd01::/64
    mode = tunnel
    esp_proposals = aes128-sha256-modp2048
    rekey_time = ${3:-3600}s
    start_action = none }
    net2 {
    local_ts = 10.21.0.0/24
    remote_ts = 10.10.0.0/24
    mode = tunnel
    esp_proposals = aes128-sha256-modp2048
    rekey_time = ${3:-3600}s
    start_action = none } } } }
secrets { ike-xr { id-a = $PEER
                   id-b = $GW
                   secret = "$PSK" } }
EOF
	swan --load-all --file "$tmp/swanctl.conf" >/dev/null 2>&1 ||
		fail "swanctl --load-all"
}
charon_up() { # charon in x, the IKE and IPsec policies, service svc1
	step "charon in x (kernel-libipsec, ESP in UDP)"
	charon_conf_write "$tmp" retransmit_tries=3 retransmit_timeout=1.0 \
		log.ike=2
	charon_start "$(ns x)" "$tmp" || fail "charon did not start"
	os vpn ike policy create ike1 >/dev/null || fail "ike policy"
	os vpn ipsec policy create esp1 >/dev/null || fail "ipsec policy"
	os vpn service create --router r1 svc1 >/dev/null ||
		fail "vpn service"
}

wait_active() { # ID SECONDS
	local j i
	for ((i = 0; i < $2 * 5; i++)); do
		j=$(api GET "/v2.0/vpn/ipsec-site-connections/$1")
		[ "$(jq -r .ipsec_site_connection.status <<<"$j")" = ACTIVE ] &&
			return 0
		sleep 0.2
	done
	fail "connection $1 not ACTIVE: $(jq -c '.ipsec_site_connection |
		{status, status_description}' <<<"$j")"
}
esp_packets() { # DIR: summed packets of the SAs of that direction
	"$SLUICECTL" -s "$sock" -o json dp sa-list |
		jq --arg d "$1" '[.[] | select(.dir == $d) | .packets] | add // 0'
}
sa_count() {
	"$SLUICECTL" -s "$sock" -o json dp sa-list | jq length
}
wait_no_sas() {
	for _ in $(seq 50); do
		[ "$(sa_count)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# pings CASE [6]: 3 pings each way between G and the site (ping -6
# between fd01::11 and fd02::1 with 6), all answered.
pings() {
	local site=10.20.0.1 g=10.10.0.11
	if [ "${2:-4}" = 6 ]; then
		site=fd02::1
		g=fd01::11
	fi
	ip netns exec "$(ns g)" ping -"${2:-4}" -c 3 -i 0.2 -W 2 $site \
		>"$tmp/ping1.$1" 2>&1 || fail "$1: G -> $site ping"
	ip netns exec "$(ns x)" ping -"${2:-4}" -c 3 -i 0.2 -W 2 -I $site $g \
		>"$tmp/ping2.$1" 2>&1 || fail "$1: $site -> G ping"
}

# traffic CASE [6]: ping both ways between G and the site (ping -6 between
# fd01::11 and fd02::1 with 6), iperf3 G -> site for 3 s (in ipv6gw mode
# 2 s each way), the ESP SAs count it.
traffic() {
	local f=${2:-4} site=10.20.0.1 secs=3 dirs=fwd d
	local in0 out0 in1 out1 min_in=6 rev
	[ "$f" = 6 ] && site=fd02::1
	if [ "$MODE" = ipv6gw ]; then
		secs=2
		dirs="fwd rev"
		min_in=100
	fi
	in0=$(esp_packets in)
	out0=$(esp_packets out)
	pings "$1" "$f"
	for d in $dirs; do
		rev=()
		[ $d = rev ] && rev=(-R)
		ip netns exec "$(ns x)" iperf3 -s -1 -B $site \
			>"$tmp/iperf-s.$1.$d" 2>&1 &
		bg_pids="$bg_pids $!"
		sleep 0.5
		ip netns exec "$(ns g)" iperf3 -c $site -t $secs -J \
			"${rev[@]}" >"$tmp/iperf.$1.$d.json" \
			2>"$tmp/iperf.$1.$d.err" ||
			fail "$1: iperf3 ($d): $(cat "$tmp/iperf.$1.$d.err")"
		GBPS=$(jq '.end.sum_received.bits_per_second / 1e9' \
			"$tmp/iperf.$1.$d.json")
		echo "$1: iperf3 G $([ $d = rev ] && echo "<-" || echo "->")" \
			"site ($site) through the tunnel, $secs s: $GBPS Gb/s"
	done
	in1=$(esp_packets in)
	out1=$(esp_packets out)
	echo "$1: ESP SA packets in $in0 -> $in1, out $out0 -> $out1"
	[ $((out1 - out0)) -ge 100 ] || fail "$1: outbound ESP SA did not count"
	[ $((in1 - in0)) -ge $min_in ] ||
		fail "$1: inbound ESP SA did not count"
}

# Case 6: IPv6 gateways (the ipv6gw mode's only case).
v6_conn() { # NAME PEER_CIDR [ARGS...]: create, print the id (policies
	# $IKEP and $ESPP, by default ike1 and esp1)
	local name=$1 cidr=$2
	shift 2
	os vpn ipsec site connection create --vpnservice svc1 \
		--ikepolicy "${IKEP:-ike1}" --ipsecpolicy "${ESPP:-esp1}" \
		--peer-address $PEER \
		--peer-id $PEER --psk "$PSK" --peer-cidr "$cidr" "$@" "$name" \
		-f value -c ID || fail "connection $name create"
}
v6_check_sas() { # CASE CHILD: charon's IKE SA over IPv6 in UDP 4500,
	# its child installed, sluice-dp's out SA natt over IPv6
	swan --list-sas >"$tmp/sas.$1" 2>&1
	grep -qF "remote '$GW' @ ${GW}[4500]" "$tmp/sas.$1" &&
		grep -A1 "^  $2: " "$tmp/sas.$1" |
		grep -q "INSTALLED, TUNNEL-in-UDP" ||
		fail "$1: charon's SAs: $(cat "$tmp/sas.$1")"
	"$SLUICECTL" -s "$sock" -o json dp sa-list |
		jq -e --arg s $GW --arg d $PEER '[.[] | select(.dir ==
			"out" and .natt and .src == $s and .dst == $d)] |
			length == 1' \
		>/dev/null || fail "$1: sluice-dp's out SA is not natt" \
		"$GW -> $PEER: $("$SLUICECTL" -s "$sock" dp sa-list)"
	echo "ok: $1: charon's IKE SA with [$GW]:4500, child $2" \
		"TUNNEL-in-UDP; sluice-dp's out SA natt $GW -> $PEER"
}
v6_del() { # ID
	os vpn ipsec site connection delete "$1" || fail "connection delete"
	wait_no_sas || fail "ESP SAs left after delete"
	swan --terminate --ike x-r1 >/dev/null 2>&1 || true
}
ipv6gw_case() {
	local c c4 c6 n_udp n_ip4 n_inner n_other
	for g in g x; do
		ip netns exec "$(ns $g)" sysctl -qw \
			net.ipv6.conf.all.disable_ipv6=0 \
			net.ipv6.conf.eth0.disable_ipv6=0 \
			net.ipv6.conf.eth0.accept_ra=0
	done
	ip -n "$(ns g)" addr add fd01::11/64 dev eth0 nodad
	ip -n "$(ns g)" -6 route add default via fd01::1
	ip -n "$(ns x)" addr add fd02::1/128 dev lo
	ip netns exec "$(ns x)" tcpdump -i eth0 -nn -s 96 -U \
		-w "$tmp/x.pcap" >"$tmp/tcpdump.log" 2>&1 &
	tcpdump_pid=$!
	bg_pids="$bg_pids $tcpdump_pid"
	charon_up
	swan_load none

	step "6a. IPv6 gateways, Sluice initiates: IPv4 inside"
	c=$(v6_conn c4 10.20.0.0/24)
	wait_active "$c" 30
	v6_check_sas 6a net
	traffic 6a
	v6_del "$c"
	echo "ok: 6a: IPv4 inside over IPv6 gateways (initiator)"

	step "6b. IPv6 gateways, Sluice initiates: IPv6 inside"
	c=$(v6_conn c6 fd02::/64)
	wait_active "$c" 30
	v6_check_sas 6b net6
	traffic 6b 6
	v6_del "$c"
	echo "ok: 6b: IPv6 inside over IPv6 gateways (initiator)"

	step "6c. IPv6 gateways, Sluice responds (both connections)"
	c4=$(v6_conn r4 10.20.0.0/24 --initiator response-only)
	c6=$(v6_conn r6 fd02::/64 --initiator response-only)
	sleep 1
	swan --initiate --child net6 >"$tmp/initiate6.out" 2>&1 ||
		fail "charon could not initiate net6:" \
			"$(tail -n 5 "$tmp/initiate6.out")"
	wait_active "$c6" 20
	v6_check_sas 6c-6 net6
	traffic 6c-6 6
	swan --terminate --ike x-r1 >/dev/null 2>&1 || true
	swan --initiate --child net >"$tmp/initiate4.out" 2>&1 ||
		fail "charon could not initiate net:" \
			"$(tail -n 5 "$tmp/initiate4.out")"
	wait_active "$c4" 20
	v6_check_sas 6c-4 net
	traffic 6c-4
	echo "ok: 6c: Sluice as responder picked r6, then r4, by selectors"
	os vpn ipsec site connection delete "$c4" || fail "delete r4"
	v6_del "$c6"

	sleep 0.5
	kill "$tcpdump_pid" 2>/dev/null
	wait "$tcpdump_pid" 2>/dev/null || true
	rd() { tcpdump -nn -r "$tmp/x.pcap" "$@" 2>/dev/null; }
	n_udp=$(rd "ip6 and udp port 4500" | wc -l)
	n_ip4=$(rd "ip or arp" | wc -l)
	n_inner=$(rd "net 10.10.0.0/24 or net 10.20.0.0/24 or" \
		"net fd01::/64 or net fd02::/64" | wc -l)
	n_other=$(rd "not (ip6 and (udp port 500 or udp port 4500 or" \
		"icmp6))" | wc -l)
	echo "x's eth0: $n_udp UDP 4500 over IPv6 (IKE and ESP), $n_ip4" \
		"IPv4 or ARP, $n_inner with an inner address, $n_other" \
		"neither IKE, ESP in UDP nor ICMPv6"
	[ "$n_udp" -ge 1000 ] || fail "x: too few ESP-in-UDP packets"
	[ "$n_ip4" = 0 ] && [ "$n_inner" = 0 ] && [ "$n_other" = 0 ] ||
		fail "x: other traffic: $(rd "not (udp port 4500)" | head -5)"
	echo "ok: on the wire only IPv6: IKE, ESP in UDP 4500, ICMPv6"
}
# Cases 7 and 8 (ipv6gw mode, after case 6): rekeys and DPD against
# charon over the IPv6 gateways.
conn_wait() { # ID STATUS SECONDS [REASON_REGEX]: print the seconds taken
	local j i t1 st why
	t1=$(date +%s.%N)
	for ((i = 0; i < $3 * 10; i++)); do
		j=$(api GET "/v2.0/vpn/ipsec-site-connections/$1")
		st=$(jq -r .ipsec_site_connection.status <<<"$j")
		why=$(jq -r .ipsec_site_connection.status_description <<<"$j")
		if [ "$st" = "$2" ] && grep -qE -- "${4:-.}" <<<"$why"; then
			echo "$t1 $(date +%s.%N)" |
				awk '{printf "%.1f", $2 - $1}'
			return 0
		fi
		sleep 0.1
	done
	fail "connection $1 not $2${4:+ ($4)} in $3 s: $(jq -c \
		'.ipsec_site_connection | {status, status_description}' \
		<<<"$j")"
}
out_spi() { # sluice-dp's outbound SPI(s), in hex as charon shows them
	local spi
	for spi in $("$SLUICECTL" -s "$sock" -o json dp sa-list |
		jq '.[] | select(.dir == "out") | .spi'); do
		printf '%08x ' "$spi"
	done
}
swan_spis() { # charon's IKE SPIs, then its children's in and out SPIs
	swan --list-sas 2>/dev/null | awk '/^x-r1: #/ { print $5, $6 }
		/^ +(in|out) +[0-9a-f]+,/ { print $1, $2 }' |
		tr -d ',*' | tr '\n' ' ' | sed 's/ $//'
}
events() { # ID EVENT: how many times sluiced logged EVENT for ID
	grep -c "vpn: connection $1: $2" "$tmp/sluiced.log" || true
}

# rekey_case CASE ROLE: under a 5/s ping for 80 s, the child and the IKE
# SA are rekeyed once each, one by each side. ROLE init: Sluice initiates
# an IPv4-inside connection and rekeys its child (ESP lifetime 60 s),
# charon rekeys the IKE SA (rekey_time 45 s). ROLE resp: charon
# initiates net6 (ping -6) and rekeys the child (rekey_time 45 s), Sluice
# (response-only, IKE lifetime 60 s) rekeys the IKE SA.
rekey_case() {
	local c f l0 s0 s1 w0 w1 ch ik who_ch who_ik rx_ch rx_ik sent recv
	# charon's log: who sent which CREATE_CHILD_SA request.
	l0=$(wc -l <"$tmp/charon.log")
	if [ "$2" = init ]; then
		step "$1. Sluice initiates; Sluice rekeys the child, charon" \
			"the IKE SA, under a 5/s ping for 80 s"
		f=4
		swan_load none 45
		c=$(ESPP=esp60 v6_conn k4 10.20.0.0/24)
		wait_active "$c" 30
		rx_ch=parsed
		rx_ik=generating
		who_ch=Sluice
		who_ik=charon
	else
		step "$1. charon initiates; charon rekeys the child, Sluice" \
			"the IKE SA, under a 5/s ping -6 for 80 s"
		f=6
		swan_load none "" 45
		c=$(IKEP=ike60 v6_conn k6 fd02::/64 --initiator response-only)
		sleep 1
		swan --initiate --child net6 >"$tmp/initiate.$1" 2>&1 ||
			fail "charon could not initiate net6:" \
				"$(tail -n 5 "$tmp/initiate.$1")"
		wait_active "$c" 20
		rx_ch=generating
		rx_ik=parsed
		who_ch=charon
		who_ik=Sluice
	fi
	s0=$(out_spi)
	w0=$(swan_spis)
	if [ "$f" = 6 ]; then
		ip netns exec "$(ns g)" ping -6 -c 400 -i 0.2 -W 1 fd02::1 \
			>"$tmp/ping.$1" 2>&1 || true
	else
		ip netns exec "$(ns g)" ping -c 400 -i 0.2 -W 1 10.20.0.1 \
			>"$tmp/ping.$1" 2>&1 || true
	fi
	s1=$(out_spi)
	w1=$(swan_spis)
	# A child rekey carries N(REKEY_SA) and selectors, an IKE rekey
	# neither.
	tail -n "+$((l0 + 1))" "$tmp/charon.log" |
		grep -E 'CREATE_CHILD_SA request [0-9]+ \[' >"$tmp/ccsa.$1" ||
		true
	ch=$(grep "$rx_ch" "$tmp/ccsa.$1" | grep -c 'REKEY_SA.*TSi' || true)
	ik=$(grep "$rx_ik" "$tmp/ccsa.$1" | grep -v TSi | grep -c ' KE ' ||
		true)
	echo "$1: sluice-dp's out SPI $s0-> $s1"
	echo "$1: charon's IKE SPIs and child SPIs $w0 -> $w1"
	echo "$1: sluiced: $(events "$c" child-rekeyed) child-rekeyed," \
		"$(events "$c" ike-rekeyed) ike-rekeyed; charon's log:" \
		"$ch child rekey(s) by $who_ch, $ik IKE rekey(s) by $who_ik"
	read -r sent recv < <(awk '/packets transmitted/ { print $1, $4 }' \
		"$tmp/ping.$1")
	echo "$1: ping -$f: $sent sent, $recv answered"
	[ "$s0" != "$s1" ] || fail "$1: sluice-dp's out SPI did not change"
	[ "$(awk '{ print $1, $2 }' <<<"$w0")" != \
		"$(awk '{ print $1, $2 }' <<<"$w1")" ] ||
		fail "$1: charon's IKE SPIs did not change"
	[ "$(cut -d' ' -f3- <<<"$w0")" != "$(cut -d' ' -f3- <<<"$w1")" ] ||
		fail "$1: charon's child SPIs did not change"
	[ "$(events "$c" child-rekeyed)" -ge 1 ] &&
		[ "$(events "$c" ike-rekeyed)" -ge 1 ] ||
		fail "$1: sluiced logged no child or no IKE rekey"
	[ "$ch" -ge 1 ] && [ "$ik" -ge 1 ] ||
		fail "$1: charon's log shows no child rekey by $who_ch or" \
			"no IKE rekey by $who_ik"
	[ "$sent" = 400 ] && [ "$recv" = 400 ] ||
		fail "$1: pings lost across the rekeys: $(tail -n 2 \
			"$tmp/ping.$1")"
	conn_wait "$c" ACTIVE 1 >/dev/null
	pings "$1-after" "$f"
	echo "ok: $1: child rekeyed by $who_ch, IKE SA by $who_ik, 400 of" \
		"400 pings answered, still ACTIVE"
	v6_del "$c"
}

charon_kill() {
	kill -9 "$charon_pid"
	wait "$charon_pid" 2>/dev/null || true
	charon_pid=
}
charon_back() { # charon started again, x-r1 loaded (it initiates nothing)
	charon_start "$(ns x)" "$tmp" || fail "charon did not start again"
	swan_load none
}
# dpd_case CASE ACTION: Sluice initiates with dpd ACTION (interval 2 s,
# timeout 6 s), charon is killed: DOWN "peer not responding (DPD)" in
# 12 s at most, the ESP SAs gone; then what ACTION does when charon is back.
dpd_case() {
	local c td tr
	step "$1. DPD $2: charon killed"
	c=$(v6_conn d-$2 10.20.0.0/24 --dpd action=$2,interval=2,timeout=6)
	wait_active "$c" 30
	pings "$1-before"
	charon_kill
	td=$(conn_wait "$c" DOWN 30 "DPD")
	echo "$1: DOWN \"$(api GET "/v2.0/vpn/ipsec-site-connections/$c" |
		jq -r .ipsec_site_connection.status_description)\" ${td} s" \
		"after charon was killed (interval 2 s, timeout 6 s)"
	awk -v t="$td" 'BEGIN { exit !(t <= 12) }' ||
		fail "$1: DPD took ${td} s"
	wait_no_sas || fail "$1: ESP SAs left after DPD"
	case $2 in
	clear)
		charon_back
		sleep 6
		[ "$(api GET "/v2.0/vpn/ipsec-site-connections/$c" |
			jq -r .ipsec_site_connection.status)" = DOWN ] ||
			fail "$1: clear came back by itself"
		echo "ok: $1: clear: SAs removed, still DOWN 6 s after" \
			"charon is back"
		;;
	restart)
		charon_back
		tr=$(conn_wait "$c" ACTIVE 60)
		pings "$1-after"
		echo "ok: $1: restart: ACTIVE ${tr} s after charon was" \
			"started again, ping both ways"
		;;
	hold)
		# (vpn_dp.c names the connection by its first 31 characters)
		grep -q "connection ${c:0:8}[^ ]*: trap installed (dpd action" \
			"$tmp/sluiced.log" || fail "$1: no trap logged"
		# (to a file: grep -q may leave before sluicectl is done)
		"$SLUICECTL" -s "$sock" dp dump-flows >"$tmp/flows.$1"
		grep -qE "table=17,.*nw_dst=10.20.0.0/24.*punt:17" \
			"$tmp/flows.$1" || fail "$1: no trap rule (table 17," \
			"punt 17)"
		charon_back
		sleep 6
		[ "$(api GET "/v2.0/vpn/ipsec-site-connections/$c" |
			jq -r .ipsec_site_connection.status)" = DOWN ] ||
			fail "$1: hold re-initiated without traffic"
		ip netns exec "$(ns g)" ping -c 10 -i 0.5 -W 1 10.20.0.1 \
			>"$tmp/ping.$1-hold" 2>&1 ||
			fail "$1: no ping answered after traffic hit the trap"
		grep -q "connection ${c:0:8}[^ ]*: traffic .* caught by the" \
			"$tmp/sluiced.log" ||
			fail "$1: the trap did not start a negotiation"
		conn_wait "$c" ACTIVE 10 >/dev/null
		pings "$1-after"
		echo "ok: $1: hold: the trap installed, still DOWN 6 s after" \
			"charon is back, then traffic renegotiated:" \
			"$(grep 'packets transmitted' "$tmp/ping.$1-hold")"
		;;
	esac
	v6_del "$c"
}
if [ "$MODE" = ipv6gw ]; then
	ipv6gw_case
	os vpn ike policy create --lifetime units=seconds,value=60 ike60 \
		>/dev/null || fail "ike policy ike60"
	os vpn ipsec policy create --lifetime units=seconds,value=60 esp60 \
		>/dev/null || fail "ipsec policy esp60"
	if [ -z "${SKIP_REKEY:-}" ]; then
		rekey_case 7a init
		rekey_case 7b resp
	fi
	for a in clear restart hold; do
		dpd_case "8-$a" $a
	done
	echo "PASS"
	exit 0
fi

# Case 9: two children on one IKE SA (the children mode's only case).
conn_desc() { # ID: the connection's status_description
	api GET "/v2.0/vpn/ipsec-site-connections/$1" |
		jq -r .ipsec_site_connection.status_description
}
out_spis() {
	"$SLUICECTL" -s "$sock" -o json dp sa-list |
		jq -r '[.[] | select(.dir == "out") | .spi] | sort | join(",")'
}
# children_check CASE ID1 ID2: both ACTIVE on one IKE SA (same SPIs in
# their status), charon has one IKE SA carrying net and net2, pings.
children_check() {
	local d1 d2 n
	wait_active "$2" 30
	wait_active "$3" 30
	d1=$(conn_desc "$2")
	d2=$(conn_desc "$3")
	[ "${d1##*IKE SPIs }" = "${d2##*IKE SPIs }" ] ||
		fail "$1: not one IKE SA: '$d1' / '$d2'"
	swan --list-sas >"$tmp/sas.$1" 2>&1
	n=$(grep -c "^x-r1: #" "$tmp/sas.$1" || true)
	[ "$n" = 1 ] || fail "$1: charon has $n IKE SAs: $(cat "$tmp/sas.$1")"
	grep -A1 "^  net: " "$tmp/sas.$1" | grep -q INSTALLED &&
		grep -A1 "^  net2: " "$tmp/sas.$1" | grep -q INSTALLED ||
		fail "$1: charon's children: $(cat "$tmp/sas.$1")"
	[ "$(sa_count)" = 4 ] || fail "$1: $(sa_count) ESP SAs in sluice-dp"
	echo "ok: $1: both ACTIVE on IKE SA ${d1##*IKE SPIs }; charon: one" 		"IKE SA, children net and net2 installed; 4 ESP SAs"
	pings "$1"
	ip netns exec "$(ns g)" ping -c 3 -i 0.2 -W 2 10.21.0.1 		>"$tmp/ping3.$1" 2>&1 || fail "$1: G -> 10.21.0.1 ping"
	ip netns exec "$(ns x)" ping -c 3 -i 0.2 -W 2 -I 10.21.0.1 10.10.0.11 		>"$tmp/ping4.$1" 2>&1 || fail "$1: 10.21.0.1 -> G ping"
	echo "ok: $1: ping both ways through net (10.20.0.1) and net2" 		"(10.21.0.1)"
}
# pings_bg CASE SECONDS: a 5/s ping from G to each site in the background
pings_bg() {
	local n=$(($2 * 5))
	ip netns exec "$(ns g)" ping -c $n -i 0.2 -W 1 10.20.0.1 		>"$tmp/pbg20.$1" 2>&1 &
	pbg1=$!
	ip netns exec "$(ns g)" ping -c $n -i 0.2 -W 1 10.21.0.1 		>"$tmp/pbg21.$1" 2>&1 &
	pbg2=$!
	bg_pids="$bg_pids $pbg1 $pbg2"
}
pings_bg_check() { # CASE
	wait "$pbg1" || true
	wait "$pbg2" || true
	echo "$1: 10.20.0.1: $(grep 'packets transmitted' "$tmp/pbg20.$1")"
	echo "$1: 10.21.0.1: $(grep 'packets transmitted' "$tmp/pbg21.$1")"
	grep -q ' 0% packet loss' "$tmp/pbg20.$1" &&
		grep -q ' 0% packet loss' "$tmp/pbg21.$1" ||
		fail "$1: packets lost across the rekeys"
}
children_case() {
	local c1 c2 spi0 spi1

	step "9a. two children on one IKE SA, Sluice initiates both"
	swan_load none
	c1=$(v6_conn c20 10.20.0.0/24)
	c2=$(v6_conn c21 10.21.0.0/24)
	children_check 9a "$c1" "$c2"
	spi0=$(out_spis)
	pings_bg 9a 12
	sleep 3
	swan --rekey --child net >/dev/null 2>&1 || fail "9a: rekey net"
	sleep 4
	swan --rekey --child net2 >/dev/null 2>&1 || fail "9a: rekey net2"
	pings_bg_check 9a
	spi1=$(out_spis)
	[ "$(comm -12 <(tr , '\n' <<<"$spi0" | sort) \
		<(tr , '\n' <<<"$spi1" | sort) | wc -l)" = 0 ] ||
		fail "9a: out SPIs $spi0 -> $spi1: not both rekeyed"
	echo "ok: 9a: charon rekeyed net and net2 under a 5/s ping to both:" 		"nothing lost; out SPIs $spi0 -> $spi1"
	children_check 9a-rekeyed "$c1" "$c2"
	os vpn ipsec site connection delete "$c2" || fail "delete c21"
	for _ in $(seq 50); do
		[ "$(sa_count)" = 2 ] && break
		sleep 0.1
	done
	[ "$(sa_count)" = 2 ] || fail "9a: $(sa_count) ESP SAs after a delete"
	swan --list-sas >"$tmp/sas.9a-del" 2>&1
	grep -A1 "^  net: " "$tmp/sas.9a-del" | grep -q INSTALLED &&
		! grep -q "^  net2: " "$tmp/sas.9a-del" ||
		fail "9a: charon after deleting c21: $(cat "$tmp/sas.9a-del")"
	wait_active "$c1" 5
	pings 9a-del
	ip netns exec "$(ns g)" ping -c 1 -W 1 10.21.0.1 >/dev/null 2>&1 &&
		fail "9a: 10.21.0.1 still reached after its connection's delete"
	echo "ok: 9a: c21 deleted: its child only; charon's IKE SA and net" 		"stay, c20 ACTIVE and passing traffic"
	v6_del "$c1"

	step "9b. two children on one IKE SA, charon initiates both"
	os vpn ipsec policy create --lifetime units=seconds,value=60 esp60 \
		>/dev/null || fail "ipsec policy esp60"
	swan_load none
	c1=$(ESPP=esp60 v6_conn r20 10.20.0.0/24 --initiator response-only)
	c2=$(ESPP=esp60 v6_conn r21 10.21.0.0/24 --initiator response-only)
	sleep 1
	swan --initiate --child net >"$tmp/initiate.9b" 2>&1 ||
		fail "9b: charon could not initiate net"
	swan --initiate --child net2 >"$tmp/initiate2.9b" 2>&1 ||
		fail "9b: charon could not initiate net2"
	children_check 9b "$c1" "$c2"
	spi0=$(out_spis)
	pings_bg 9b 75
	pings_bg_check 9b
	spi1=$(out_spis)
	[ "$(comm -12 <(tr , '\n' <<<"$spi0" | sort) \
		<(tr , '\n' <<<"$spi1" | sort) | wc -l)" = 0 ] ||
		fail "9b: out SPIs $spi0 -> $spi1: not both rekeyed in 75 s"
	echo "ok: 9b: Sluice rekeyed both children (60 s lifetime) under a" 		"5/s ping to both for 75 s: nothing lost; out SPIs $spi0 ->" 		"$spi1"
	children_check 9b-rekeyed "$c1" "$c2"
	os vpn ipsec site connection delete "$c2" || fail "delete r21"
	v6_del "$c1"
}
if [ "$MODE" = children ]; then
	charon_up
	children_case
	echo "PASS"
	exit 0
fi

step "0. IPv6 path MTU through an ESP SA (Packet Too Big)"
dp_port() { # NAME: the datapath port number of guest NAME's veth
	"$SLUICECTL" -s "$sock" -o json dp ports |
		jq --arg i "$(hif $1)" '[.[] | select(.args | contains($i)) |
			.port_no][0] // empty'
}
sa_field() { # ID FIELD
	"$SLUICECTL" -s "$sock" -o json dp sa-list |
		jq --argjson i "$1" --arg f "$2" '.[] | select(.id == $i) | .[$f]'
}
nstat6() { # NS COUNTER: an absolute counter of a namespace
	ip netns exec "$(ns $1)" nstat -az "$2" |
		awk -v c="$2" '$1 == c {print $2}'
}
PG=$(dp_port g)
PX=$(dp_port x)
PW=$(dp_port w)
[ -n "$PG" ] && [ -n "$PX" ] && [ -n "$PW" ] ||
	fail "datapath ports g=$PG x=$PX w=$PW"
for g in g x; do
	ip netns exec "$(ns $g)" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.eth0.accept_ra=0
done
ip -n "$(ns g)" addr add fd01::11/64 dev eth0 nodad
ip -n "$(ns g)" route add fd02::/64 via fd01::1
ip -n "$(ns x)" addr add fd02::1/128 dev lo
ip -n "$(ns x)" route add fd01::/64 dev eth0
ip -n "$(ns x)" neigh add fd01::11 lladdr 02:7e:57:00:00:0a dev eth0
ip -n "$(ns w)" link add br0 type bridge
ip -n "$(ns w)" link set eth0 master br0
ip netns exec "$(ns w)" bridge link set dev eth0 hairpin on
ip -n "$(ns w)" link set br0 up
K6=$(printf '%040x' 0x7e57)
"$SLUICECTL" -s "$sock" dp sa-add id=4000 spi=0x7e570001 dir=out \
	cipher=aes-gcm-128 key="$K6" src=$GW dst=172.24.4.101 mtu=1400 ||
	fail "sa-add out (mtu 1400)"
"$SLUICECTL" -s "$sock" dp sa-add id=4001 spi=0x7e570001 dir=in \
	cipher=aes-gcm-128 key="$K6" || fail "sa-add in"
C6=cookie=0x7e57000000000001
M6='set_field:02:7e:57:00:00:0a->eth_src'
to() { echo "set_field:$1->eth_dst,output:$2"; }
cat >"$tmp/v6.flows" <<EOF
table=17,priority=500,$C6,ipv6,ipv6_dst=fd02::/64,actions=dec_ttl,\
esp_encrypt(sa=4000),$M6,$(to 02:7e:57:00:00:0b "$PW")
table=0,priority=1000,$C6,in_port=$PW,esp,actions=esp_decrypt(table=61)
table=61,priority=10,$C6,reg1=4001,ipv6,actions=$M6,$(to "${MAC[x]}" "$PX")
table=0,priority=1000,$C6,in_port=$PX,ipv6,ipv6_dst=fd01::/64,\
actions=$M6,$(to "${MAC[g]}" "$PG")
EOF
"$SLUICECTL" -s "$sock" dp add-flows "$tmp/v6.flows" ||
	fail "IPv6 tunnel rules"
# 1448 bytes with the don't-fragment option: over the SA's 1346.
ip netns exec "$(ns g)" ping -6 -M do -s 1400 -c 2 -i 0.5 -W 2 fd02::1 \
	>"$tmp/ping6.ptb" 2>&1 || true
echo "ptb: $(grep -m1 -i 'too big' "$tmp/ping6.ptb" ||
	tail -n 2 "$tmp/ping6.ptb")"
grep -q 'From fd01::1 .*Packet too big: mtu=1346' "$tmp/ping6.ptb" ||
	fail "no Packet Too Big (mtu 1346) from fd01::1"
rt=$(ip -n "$(ns g)" -6 route get fd02::1)
echo "route cache: $rt"
grep -q 'mtu 1346' <<<"$rt" || fail "G's route to fd02::1 has no mtu 1346"
[ "$(sa_field 4000 too_big_punts)" -ge 1 ] ||
	fail "too_big_punts of the out SA: $(sa_field 4000 too_big_punts)"
echo "ok: ping -6 -M do -s 1400: Packet Too Big mtu=1346 from fd01::1," \
	"learned by G's route cache"
e0=$(nstat6 x Icmp6InEchos)
r0=$(nstat6 x Ip6ReasmOKs)
p0=$(sa_field 4000 packets)
tb0=$(sa_field 4000 too_big)
ip netns exec "$(ns g)" ping -6 -s 1400 -c 3 -i 0.2 -W 2 fd02::1 \
	>"$tmp/ping6.frag" 2>&1 ||
	fail "ping -6 -s 1400 through the SA: $(tail -n 3 "$tmp/ping6.frag")"
e1=$(nstat6 x Icmp6InEchos)
r1=$(nstat6 x Ip6ReasmOKs)
p1=$(sa_field 4000 packets)
echo "fragmented: ESP packets $p0 -> $p1, x reassembled $r0 -> $r1," \
	"echo requests $e0 -> $e1;" \
	"$(grep 'packets transmitted' "$tmp/ping6.frag")"
[ $((p1 - p0)) -ge 6 ] || fail "3 pings were not 6 ESP packets ($p0 -> $p1)"
[ $((r1 - r0)) -ge 3 ] && [ $((e1 - e0)) -ge 3 ] ||
	fail "x did not reassemble 3 echo requests"
[ "$(sa_field 4000 too_big)" = "$tb0" ] || fail "fragments were too big"
echo "ok: ping -6 -s 1400, fragmented by G to 1346, goes through the SA"
"$SLUICECTL" -s "$sock" dp del-flows --cookie 0x7e57000000000001 ||
	fail "del IPv6 tunnel rules"
"$SLUICECTL" -s "$sock" dp sa-del 4000 >/dev/null &&
	"$SLUICECTL" -s "$sock" dp sa-del 4001 >/dev/null || fail "sa-del"

charon_up

step "1. Sluice initiates (charon waits)"
swan_load none
C=$(os vpn ipsec site connection create --vpnservice svc1 \
	--ikepolicy ike1 --ipsecpolicy esp1 --peer-address $PEER \
	--peer-id $PEER --psk "$PSK" --peer-cidr 10.20.0.0/24 conn1 \
	-f value -c ID) || fail "connection create"
wait_active "$C" 30
swan --list-sas | grep INSTALLED >/dev/null || fail "charon has no child SA"
echo "ok: ACTIVE with Sluice as initiator (aes-128 + sha256, PFS group14)"
traffic init
echo "ok: ping both ways and iperf3 through the tunnel (initiator)"
os vpn ipsec site connection delete "$C" || fail "connection delete"
for _ in $(seq 50); do
	[ "$("$SLUICECTL" -s "$sock" -o json dp sa-list | jq length)" = 0 ] &&
		break
	sleep 0.1
done
[ "$("$SLUICECTL" -s "$sock" -o json dp sa-list | jq length)" = 0 ] ||
	fail "ESP SAs left after delete"
"$SLUICECTL" -s "$sock" dp dump-flows | grep "esp_encrypt" >/dev/null &&
	fail "encrypt rules left after delete"
ip netns exec "$(ns g)" ping -c 1 -W 1 10.20.0.1 >/dev/null 2>&1 &&
	fail "tunnel traffic still passes after delete"
echo "ok: deleted: SAs and tunnel rules gone, no traffic"

step "1b. IPv6 inner subnets (fd01::/64 <-> fd02::/64) over IPv4 gateways"
C=$(os vpn ipsec site connection create --vpnservice svc1 \
	--ikepolicy ike1 --ipsecpolicy esp1 --peer-address $PEER \
	--peer-id $PEER --psk "$PSK" --peer-cidr fd02::/64 conn6 \
	-f value -c ID) || fail "connection create (fd02::/64)"
wait_active "$C" 30
swan --list-sas >"$tmp/sas6" 2>&1
grep -A3 "net6:" "$tmp/sas6" | grep -q INSTALLED ||
	fail "charon has no child SA net6: $(cat "$tmp/sas6")"
"$SLUICECTL" -s "$sock" dp dump-flows >"$tmp/flows6"
grep -qE "table=17,.*ipv6,ipv6_src=fd01::/64,ipv6_dst=fd02::/64.*esp_encrypt" \
	"$tmp/flows6" || fail "no IPv6 encrypt rule"
grep -qE "table=12,.*ipv6,ipv6_src=fd02::/64,ipv6_dst=fd01::/64" \
	"$tmp/flows6" || fail "no IPv6 inner check"
echo "ok: ACTIVE with charon's child net6; tunnel rules ipv6 fd01::/64" \
	"<-> fd02::/64"
in0=$(esp_packets in)
out0=$(esp_packets out)
ip netns exec "$(ns g)" ping -6 -c 3 -i 0.2 -W 2 fd02::1 \
	>"$tmp/ping6.1b" 2>&1 || fail "G -> fd02::1 ping -6:" \
	"$(tail -n 2 "$tmp/ping6.1b")"
ip netns exec "$(ns x)" ping -6 -c 3 -i 0.2 -W 2 -I fd02::1 fd01::11 \
	>"$tmp/ping6.1b-x" 2>&1 || fail "fd02::1 -> G ping -6:" \
	"$(tail -n 2 "$tmp/ping6.1b-x")"
echo "ok: ping -6 both ways; ESP SA packets in $in0 -> $(esp_packets in)," \
	"out $out0 -> $(esp_packets out)"
[ $(($(esp_packets out) - out0)) -ge 6 ] &&
	[ $(($(esp_packets in) - in0)) -ge 6 ] ||
	fail "the ESP SAs did not count the IPv6 pings"
os vpn ipsec site connection delete "$C" || fail "connection delete"
swan --terminate --ike x-r1 >/dev/null 2>&1 || true
for _ in $(seq 50); do
	[ "$("$SLUICECTL" -s "$sock" -o json dp sa-list | jq length)" = 0 ] &&
		break
	sleep 0.1
done

step "2. Sluice responds (response-only, charon initiates)"
swan --terminate --ike x-r1 >/dev/null 2>&1 || true
swan_load none
C=$(os vpn ipsec site connection create --vpnservice svc1 \
	--ikepolicy ike1 --ipsecpolicy esp1 --peer-address $PEER \
	--peer-id $PEER --psk "$PSK" --peer-cidr 10.20.0.0/24 \
	--initiator response-only conn2 -f value -c ID) ||
	fail "connection create (response-only)"
sleep 1
swan --initiate --child net >"$tmp/initiate.out" 2>&1 ||
	fail "charon could not initiate: $(tail -n 5 "$tmp/initiate.out")"
wait_active "$C" 20
echo "ok: ACTIVE with Sluice as responder"
traffic resp
echo "ok: ping both ways and iperf3 through the tunnel (responder)"

if [ -n "${SKIP_REKEY:-}" ]; then
	echo "PASS (rekey skipped)"
	exit 0
fi
step "3. rekey under traffic (ESP lifetime 60 s, the API minimum)"
os vpn ipsec site connection delete "$C" || fail "connection delete"
swan --terminate --ike x-r1 >/dev/null 2>&1 || true
os vpn ipsec policy create --lifetime units=seconds,value=60 esp60 \
	>/dev/null || fail "ipsec policy esp60"
C=$(os vpn ipsec site connection create --vpnservice svc1 \
	--ikepolicy ike1 --ipsecpolicy esp60 --peer-address $PEER \
	--peer-id $PEER --psk "$PSK" --peer-cidr 10.20.0.0/24 conn3 \
	-f value -c ID) || fail "connection create (esp60)"
wait_active "$C" 30
spi0=$("$SLUICECTL" -s "$sock" -o json dp sa-list |
	jq -r '[.[] | select(.dir == "out") | .spi] | sort | join(",")')
ip netns exec "$(ns g)" ping -c 400 -i 0.2 -W 1 10.20.0.1 \
	>"$tmp/ping.rekey" 2>&1 || true
spi1=$("$SLUICECTL" -s "$sock" -o json dp sa-list |
	jq -r '[.[] | select(.dir == "out") | .spi] | sort | join(",")')
echo "rekey: outbound SPI(s) $spi0 -> $spi1; $(grep -E 'packets transmitted' "$tmp/ping.rekey")"
[ "$spi0" != "$spi1" ] || fail "no rekey in 80 s (SPI still $spi0)"
grep -q ' 0% packet loss' "$tmp/ping.rekey" ||
	fail "packets lost across the rekey: $(tail -n 2 "$tmp/ping.rekey")"
echo "ok: rekeyed under a 5/s ping for 80 s without a loss"
echo "PASS"
