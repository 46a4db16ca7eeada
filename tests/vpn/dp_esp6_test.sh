#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# dp_esp6_test.sh: ESP tunnel mode between two sluice-dp gateways whose
# outer addresses are IPv6 (DP_SA_F_IPV6, docs/esp.md): SAs by
# "sluicectl dp sa-add" with IPv6 src/dst, each site's guests reached
# over inner IPv4 and inner IPv6. A capture on the transit bridge holds
# only IPv6 packets with next header 50 (ESP directly after the fixed
# header; "natt" as the first argument: UDP 4500 over IPv6 with a valid
# checksum) and hop limit 64, and shows no inner address; scapy decrypts
# A's packets from it with the SA's key; the SA counters agree and count
# no bad packet. Then A sends on an SA with
# mtu 1400: a 1400-byte inner IPv4 ping with DF clear is pre-fragmented
# (two ESP packets, reassembled by B's guest), with DF it is punted.
#
#   ns GA            site A            ns T            site B            ns GB
#   eth0 -- gA [1] dp-A [2] uA -- tA  br0  tB -- uB [2] dp-B [1] gB -- eth0
#   10.62.1.2/24     2001:db8:62::a          2001:db8:62::b     10.62.2.2/24
#   fd62:1::2/64     (outer, in the SAs only)                   fd62:2::2/64
#
#   A: table 0: in_port=1, inner to B's prefixes -> esp_encrypt(sa=1),
#               MACs, output:2
#      table 0: in_port=2, IPv6 ESP (or UDP 4500) -> esp_decrypt(table=1)
#      table 1: reg1=2, inner to A's prefixes -> MACs, output:1
#   B: the mirror image.
#
# The transit namespace has IPv6 off on its ports: nothing there answers
# or sends on its own; the gateways' addresses exist only in the SAs.
#
# With SLUICE_IKE set, the keys and SPIs are not fixed: two sluice-ike
# (the IKEv2 engine over kernel UDP sockets, --debug-keys) negotiate a
# child SA between the same two IPv6 addresses, on a veth of their own
# in namespaces IA and IB (not through the datapaths: sluiced's IKE
# through the datapath is IPv4 only, docs/vpnaas.md), and the SAs of
# both datapaths are set from what each side printed.
#
#   dp_esp6_test.sh [natt]     env: SLUICE_DP, SLUICECTL, [SLUICE_IKE]
set -euo pipefail

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
[ -x "${SLUICE_DP:-}" ] || skip "sluice-dp not built (SLUICE_DP)"
[ -x "${SLUICECTL:-}" ] || skip "sluicectl not built (SLUICECTL)"
for b in tcpdump iperf3 jq; do
	command -v "$b" >/dev/null || skip "$b missing"
done
. "$(dirname "$0")/../lib/sluice.sh"
. "$(dirname "$0")/../lib/guest.sh"

natt=${1:-}
id=$(($$ % 100000))
tmp=$(mktemp -d /tmp/sluice-esp6.XXXXXX)
guests="GA GB"
ns() { echo "e6$id-$1"; }
hif() { echo "e6${id}g${1#G}"; }
uif() { echo "e6${id}u$1"; }
T=$(ns T)
declare -A SOCK DPID
SOCK[A]=$tmp/dp-A.sock
SOCK[B]=$tmp/dp-B.sock
declare -A GMAC=([A]=02:62:00:00:01:02 [B]=02:62:00:00:02:02)
declare -A RMAC=([A]=02:62:00:00:01:01 [B]=02:62:00:00:02:01)
declare -A OUTER=([A]=2001:db8:62::a [B]=2001:db8:62::b)
declare -A NET4=([A]=10.62.1 [B]=10.62.2)
declare -A NET6=([A]=fd62:1: [B]=fd62:2:)
tcpdump_pid=

cleanup() {
	set +e
	[ -n "$tcpdump_pid" ] && kill "$tcpdump_pid" 2>/dev/null
	for s in A B; do
		[ -n "${DPID[$s]:-}" ] && kill "${DPID[$s]}" 2>/dev/null &&
			wait "${DPID[$s]}"
		rm -rf "/var/run/dpdk/e6-$id-$s"
		ip link del "$(uif $s)" 2>/dev/null
	done
	sluice_guests_del
	for n in "$T" "$(ns IA)" "$(ns IB)"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	[ -n "${KEEP_LOGS:-}" ] && echo "logs in $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for s in A B; do
		[ -S "${SOCK[$s]}" ] && "$SLUICECTL" -s "${SOCK[$s]}" dp sa-list |
			sed "s/^/$s: /"
		sluice_dump "${SOCK[$s]}" 40 | sed "s/^/$s: /"
	done
	exit 1
}
ctl() {
	local s=$1
	shift
	"$SLUICECTL" -s "${SOCK[$s]}" "$@"
}

# Guests, the transit bridge and the uplinks.
for s in A B; do
	guest_veth "$(ns G$s)" "$(hif G$s)" "${GMAC[$s]}"
	ip netns exec "$(ns G$s)" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
	ip netns exec "$(ns G$s)" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0
	ip -n "$(ns G$s)" addr add "${NET4[$s]}.2/24" dev eth0
	ip -n "$(ns G$s)" addr add "${NET6[$s]}:2/64" dev eth0 nodad
	ip -n "$(ns G$s)" link set eth0 mtu 1400
	ip -n "$(ns G$s)" route add default via "${NET4[$s]}.1"
	ip -n "$(ns G$s)" -6 route add default via "${NET6[$s]}:1"
	ip -n "$(ns G$s)" neigh add "${NET4[$s]}.1" lladdr "${RMAC[$s]}" \
		dev eth0
	ip -n "$(ns G$s)" -6 neigh add "${NET6[$s]}:1" lladdr "${RMAC[$s]}" \
		dev eth0
done
ip netns add "$T"
ip netns exec "$T" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$T" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
ip -n "$T" link add br0 type bridge
ip -n "$T" link set br0 up
for s in A B; do
	ip link add "$(uif $s)" type veth peer name "t$s" netns "$T"
	sysctl -qw "net.ipv6.conf.$(uif $s).disable_ipv6=1"
	ethtool -K "$(uif $s)" tx off tso off gso off sg off \
		>/dev/null 2>&1 || true
	ip -n "$T" link set "t$s" master br0
	ip -n "$T" link set "t$s" up
	ip link set "$(uif $s)" up
done
declare -A UMAC=([A]=$(cat "/sys/class/net/$(uif A)/address")
	[B]=$(cat "/sys/class/net/$(uif B)/address"))

for s in A B; do
	sluice_dp_start "${SOCK[$s]}" "e6-$id-$s" "$tmp/dp-$s.log" \
		--port "guest=af_packet:$(hif G$s)" \
		--port "uplink=af_packet:$(uif $s)"
	DPID[$s]=$dp_pid
done
dp_pid=
ok "two sluice-dp up"

# SAs: A->B SPI 0x6001 key1, B->A SPI 0x6002 key2, AES-GCM-128 + ESN;
# or what two sluice-ike negotiated (SLUICE_IKE).
key1=$(printf '%040x' 0x61)
key2=$(printf '%040x' 0x62)
spi1=0x6001
spi2=0x6002
esn=esn
nattw=
[ "$natt" = natt ] && nattw=natt
# The value of KEY= in the child-install line of sluice-ike side $1.
ike_val() {
	grep -m1 '^child-install' "$tmp/ike-$1.out" |
		tr ' ' '\n' | sed -n "s/^$2=//p"
}
if [ -n "${SLUICE_IKE:-}" ]; then
	[ -x "$SLUICE_IKE" ] || fail "SLUICE_IKE $SLUICE_IKE is not executable"
	ip netns add "$(ns IA)"
	ip netns add "$(ns IB)"
	ip link add "e6${id}ia" netns "$(ns IA)" type veth peer name \
		"e6${id}ib" netns "$(ns IB)"
	printf 'esp6-psk-%s\n' "$$" >"$tmp/psk"
	for s in A B; do
		n=$(ns I$s)
		ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
		ip -n "$n" link set lo up
		ip -n "$n" addr add "${OUTER[$s]}/64" \
			dev "e6${id}i${s,}" nodad
		ip -n "$n" link set "e6${id}i${s,}" up
	done
	for s in B A; do
		p=B
		[ $s = B ] && p=A
		ip netns exec "$(ns I$s)" "$SLUICE_IKE" --name "esp6-$s" \
			--local "${OUTER[$s]}" --peer "${OUTER[$p]}" \
			--local-id "${OUTER[$s]}" --peer-id "${OUTER[$p]}" \
			--psk-file "$tmp/psk" \
			--ike aes128gcm16-prfsha256-ecp256 --esp aes128gcm16 \
			--local-ts "${NET4[$s]}.0/24,${NET6[$s]}:/64" \
			--peer-ts "${NET4[$p]}.0/24,${NET6[$p]}:/64" \
			--debug-keys $([ $s = A ] &&
				echo --initiate ${nattw:+--force-encap} ||
				echo --responder) \
			>"$tmp/ike-$s.out" 2>"$tmp/ike-$s.log" &
		sleep 0.3
	done
	wait_for "child SAs negotiated over IPv6 by sluice-ike" 15 \
		grep -q '^child-install' "$tmp/ike-A.out" "$tmp/ike-B.out"
	wait_for "child SA on B" 5 grep -q '^child-install' "$tmp/ike-B.out"
	spi1=0x$(ike_val A spi_out)
	key1=$(ike_val A enc_out)
	spi2=0x$(ike_val B spi_out)
	key2=$(ike_val B enc_out)
	[ "$(ike_val B spi_in)" = "${spi1#0x}" ] &&
		[ "$(ike_val B enc_in)" = "$key1" ] ||
		fail "the two sides' child SAs differ"
	[ "$(ike_val A esn)" = 1 ] || esn=
	[ -z "$nattw" ] || [ "$(ike_val A encap)" = 1 ] ||
		fail "sluice-ike did not encapsulate"
	ok "sluice-ike negotiated a child SA over IPv6 (spi $spi1 / $spi2${esn:+, esn})"
fi
sa() { # site, peer, out key, in key, out spi, in spi
	ctl "$1" dp sa-add id=1 spi="$5" dir=out cipher=aes-gcm-128 key="$3" \
		src="${OUTER[$1]}" dst="${OUTER[$2]}" $esn $nattw ||
		fail "sa-add $1 out"
	ctl "$1" dp sa-add id=2 spi="$6" dir=in cipher=aes-gcm-128 key="$4" \
		$esn $nattw || fail "sa-add $1 in"
}
if [ -n "$nattw" ]; then
	esp_match="udp6,tp_dst=4500"
	esp_f="ip6 and ip6[6] == 17 and udp port 4500"
else
	esp_match="ipv6,nw_proto=50"
	esp_f="ip6 and ip6[6] == 50"
fi
flows() { # site, peer, outbound SA id, inbound SA id
	local s=$1 p=$2 own="${UMAC[$1]}" peer="${UMAC[$2]}" o=$3 i=$4
	cat <<EOF
table=0,priority=10,in_port=1,ip,nw_dst=${NET4[$p]}.0/24,actions=esp_encrypt(sa=$o),set_field:$own->eth_src,set_field:$peer->eth_dst,output:2
table=0,priority=10,in_port=1,ipv6,ipv6_dst=${NET6[$p]}:/64,actions=esp_encrypt(sa=$o),set_field:$own->eth_src,set_field:$peer->eth_dst,output:2
table=0,priority=10,in_port=2,$esp_match,actions=esp_decrypt(table=1)
table=1,priority=10,reg1=$i,ip,nw_dst=${NET4[$s]}.0/24,actions=set_field:${RMAC[$s]}->eth_src,set_field:${GMAC[$s]}->eth_dst,output:1
table=1,priority=10,reg1=$i,ipv6,ipv6_dst=${NET6[$s]}:/64,actions=set_field:${RMAC[$s]}->eth_src,set_field:${GMAC[$s]}->eth_dst,output:1
EOF
}
sa A B "$key1" "$key2" "$spi1" "$spi2"
sa B A "$key2" "$key1" "$spi2" "$spi1"
flows A B 1 2 | ctl A dp add-flows - || fail "flows A"
flows B A 1 2 | ctl B dp add-flows - || fail "flows B"
ctl A dp sa-list | grep "2001:db8:62::a -> 2001:db8:62::b" >/dev/null ||
	fail "sa-list does not show the IPv6 outer addresses"
ok "IPv6 outer SAs and rules installed${nattw:+ (NAT-T)}"

cap=$tmp/transit.pcap
ip netns exec "$T" tcpdump -i br0 -n -U -w "$cap" >/dev/null 2>&1 &
tcpdump_pid=$!
sleep 1

ga() { ip netns exec "$(ns GA)" "$@"; }
wait_for "ping GA -> GB over the IPv6 tunnel" 10 \
	ga ping -c 1 -W 1 10.62.2.2
ga ping -c 5 -i 0.1 -W 1 10.62.2.2 >/dev/null || fail "ping inner IPv4"
ok "inner IPv4 ping through ESP over IPv6: 5/5"
ga ping -6 -c 5 -i 0.1 -W 1 fd62:2::2 >/dev/null || fail "ping inner IPv6"
ok "inner IPv6 ping through ESP over IPv6: 5/5"
# Full-size packets: inner 1400 + 72 (80 with UDP) of ESP over IPv6,
# under the veths' 1500.
ga ping -c 3 -i 0.1 -W 1 -s 1372 -M do 10.62.2.2 >/dev/null ||
	fail "1400-byte inner packets"
ok "1400-byte inner packets (1472 bytes of outer IPv6, 1480 with UDP) pass"

ip netns exec "$(ns GB)" iperf3 -s -1 -B 10.62.2.2 >/dev/null 2>&1 &
sleep 0.5
out=$(ga iperf3 -c 10.62.2.2 -t 3 -f m) || {
	echo "$out"
	fail "iperf3"
}
rate=$(echo "$out" | awk '/receiver/ { print $(NF-2) }')
echo "iperf3 TCP through ESP over IPv6${nattw:+ (NAT-T)}: $rate Mbit/s"
awk -v r="$rate" 'BEGIN { exit !(r > 1) }' || fail "iperf3 rate $rate"

sleep 0.5
kill "$tcpdump_pid" 2>/dev/null || true
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=
n_esp=$(tcpdump -r "$cap" -n "$esp_f and ip6[7] == 64" 2>/dev/null | wc -l)
n_other=$(tcpdump -r "$cap" -n "not ($esp_f) and not igmp" 2>/dev/null |
	wc -l)
echo "transit capture: $n_esp IPv6 ESP packets (hop limit 64), $n_other others"
[ "$n_esp" -gt 100 ] || fail "only $n_esp ESP packets on the transit link"
if [ "$n_other" -ne 0 ]; then
	tcpdump -r "$cap" -n "not ($esp_f) and not igmp" 2>/dev/null | head
	fail "$n_other packets on the transit link are not IPv6 ESP"
fi
tcpdump -r "$cap" -n 2>/dev/null | grep -Eq '10\.62\.|fd62:' &&
	fail "an inner address shows on the transit link"
if [ -n "$nattw" ]; then
	# tcpdump verifies each UDP checksum over IPv6: "[udp sum ok]".
	n_sum=$(tcpdump -r "$cap" -nvv "$esp_f" 2>/dev/null |
		grep -c 'udp sum ok' || true)
	[ "$n_sum" -eq "$n_esp" ] ||
		fail "$((n_esp - n_sum)) of $n_esp UDP checksums not ok"
fi
ok "transit carried only ESP over IPv6${nattw:+ in UDP 4500}"
# An independent implementation (scapy) decrypts A's packets from the
# capture with the SA's key: inner packets from site A's guest.
if /usr/bin/python3 -c 'import scapy.layers.ipsec' 2>/dev/null; then
	n_dec=$(/usr/bin/python3 - "$cap" "$spi1" "$key1" "${esn:+1}" \
		"${nattw:+1}" "${OUTER[A]}" "${OUTER[B]}" <<'PY'
import sys
from scapy.all import PcapReader, IPv6, UDP, ESP
from scapy.layers.ipsec import SecurityAssociation
cap, spi, key, esn, natt, src, dst = sys.argv[1:8]
sa = SecurityAssociation(ESP, spi=int(spi, 16), crypt_algo="AES-GCM",
                         crypt_key=bytes.fromhex(key),
                         tunnel_header=IPv6(src=src, dst=dst),
                         nat_t_header=UDP(sport=4500, dport=4500)
                         if natt else None, esn_en=bool(esn))
n = 0
for p in PcapReader(cap):
    if ESP not in p or p[ESP].spi != int(spi, 16):
        continue
    inner = sa.decrypt(p[IPv6])
    s = inner.src
    assert s.startswith("10.62.1.") or s.startswith("fd62:1::"), s
    n += 1
    if n == 50:
        break
print(n)
PY
	) || fail "scapy could not decrypt A's ESP over IPv6"
	[ "$n_dec" -eq 50 ] || fail "scapy decrypted $n_dec of 50"
	ok "scapy decrypts A's ESP over IPv6 from the capture (50 of 50)"
fi

for s in A B; do
	ctl $s dp sa-list | sed "s/^/$s: /"
done
sent=$(ctl A -o json dp sa-list 1 | jq '.[0].packets')
read -r got bad < <(ctl B -o json dp sa-list 2 |
	jq -r '.[0] | "\(.packets) \(.auth_fails + .replay_drops + .bad)"')
echo "A sa 1 sent $sent, B sa 2 received $got, bad $bad"
[ "$bad" -eq 0 ] || fail "B counted $bad bad ESP packets"
[ "$got" -gt 100 ] || fail "B decrypted only $got packets"
ok "SA counters agree, no bad packets"

# Path MTU over the IPv6 outer: A's traffic moves to a new SA with mtu
# 1400 (inner limit 1400 - 72, 80 with UDP). A 1400-byte ping with DF
# clear leaves as two ESP packets (inner IPv4 pre-fragmentation) that
# B's guest reassembles; with DF it is punted (nobody answers here).
key3=$(printf '%040x' 0x63)
ctl A dp sa-add id=3 spi=0x6003 dir=out cipher=aes-gcm-128 key="$key3" \
	src="${OUTER[A]}" dst="${OUTER[B]}" esn $nattw mtu=1400 ||
	fail "sa-add A out mtu"
ctl B dp sa-add id=4 spi=0x6003 dir=in cipher=aes-gcm-128 key="$key3" \
	esn $nattw || fail "sa-add B in mtu"
flows B A 1 4 | ctl B dp replace-flows - || fail "flows B mtu"
flows A B 3 2 | ctl A dp replace-flows - || fail "flows A mtu"
ga ping -c 3 -i 0.2 -W 1 -s 1372 -M dont 10.62.2.2 >/dev/null ||
	fail "1400-byte ping (DF clear) over the mtu-1400 SA"
ga ping -c 2 -i 0.2 -W 1 -s 1372 -M do 10.62.2.2 >/dev/null 2>&1 &&
	fail "1400-byte ping with DF answered over the mtu-1400 SA"
read -r frags punts < <(ctl A -o json dp sa-list 3 |
	jq -r '.[0] | "\(.too_big_frags) \(.too_big_punts)"')
echo "A sa 3 (mtu 1400): too_big_frags $frags, too_big_punts $punts"
[ "$frags" -ge 3 ] || fail "A fragmented $frags packets, not 3"
[ "$punts" -ge 2 ] || fail "A punted $punts packets, not 2"
ok "mtu 1400 over IPv6: DF clear pre-fragmented and reassembled, DF punted"

for s in A B; do
	kill -TERM "${DPID[$s]}"
	wait "${DPID[$s]}" || fail "sluice-dp $s exited with $?"
	DPID[$s]=
done
ok "both datapaths stopped cleanly"
