#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# dp_vnet_esp: the ESP tunnel of dp_esp.sh (AES-GCM-128, ESP in UDP 4500)
# with every port a "vnet" port and every veth's offloads on: the guests
# hand sluice-dp A 64 KiB super-frames, A cuts and encrypts them and
# sends its ESP-in-UDP datagrams to B as UDP GSO runs, which cross the
# transit bridge as super-frames; B cuts them, decrypts, and hands guest
# B runs of TCP segments as GSO frames (docs/runtime.md, "vnet ports").
#
#   ns GA          ns RA (site A)           ns T      ns RB (site B)          ns GB
#   eth0 --veth-- gA [sluice-dp] uA --veth-- br0 --veth-- uB [sluice-dp] gB --veth-- eth0
#   10.61.1.2/24   10.61.1.1  192.0.2.1                192.0.2.2  10.61.2.1    10.61.2.2/24
#
# (the R namespaces are the root one here, as in dp_esp.sh). Checks: ping
# both ways; 16 MiB A -> B and B -> A over TCP intact (sha256); a 3 s
# iperf3; each SA's packets in equal the other site's out, with no
# authentication, replay or malformed drop; A's uplink sent its datagrams
# in UDP GSO runs that B's uplink received as super-frames, B's guest port
# sent GSO runs; no vnet port refused or lost a frame.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/sluice.sh"

command -v iperf3 >/dev/null || nt_skip "needs iperf3"
command -v nc >/dev/null || nt_skip "needs nc"
command -v jq >/dev/null || nt_skip "needs jq"
command -v ethtool >/dev/null || nt_skip "needs ethtool"
key1=$(printf '%040x' 1)
key2=$(printf '%040x' 2)

nt_init
for n in GA GB T; do nt_ns_add $n; done
nt_exec T sysctl -qw net.ipv6.conf.all.disable_ipv6=1
nt_exec T sysctl -qw net.ipv6.conf.default.disable_ipv6=1
nt_exec T ip link add br0 type bridge
nt_exec T ip link set br0 up

gmacA=02:61:00:00:01:02
gmacB=02:61:00:00:02:02
rmacA=02:61:00:00:01:01
rmacB=02:61:00:00:02:01
on() { ethtool -K "$1" tx on sg on tso on gso on >/dev/null ||
	nt_fail "ethtool -K $1 offloads on"; }
nt_veth GA eth0 10.61.1.2/24 "${NT_ID}gA" $gmacA
nt_veth GB eth0 10.61.2.2/24 "${NT_ID}gB" $gmacB
for g in A B; do
	on "${NT_ID}g$g"
	nt_exec G$g ethtool -K eth0 tx on sg on tso on gso on gro on \
		>/dev/null || nt_fail "offloads on in G$g"
	ip link add "${NT_ID}u$g" type veth peer name "t$g" netns "$(nt_ns T)"
	NT_LINKS+=("${NT_ID}u$g")
	sysctl -qw "net.ipv6.conf.${NT_ID}u$g.disable_ipv6=1"
	on "${NT_ID}u$g"
	nt_exec T ip link set "t$g" master br0
	nt_exec T ip link set "t$g" up
	ip link set "${NT_ID}u$g" up
done
nt_exec GA ip link set eth0 mtu 1400
nt_exec GB ip link set eth0 mtu 1400
nt_exec GA ip route add default via 10.61.1.1
nt_exec GB ip route add default via 10.61.2.1
nt_exec GA ip neigh add 10.61.1.1 lladdr $rmacA dev eth0
nt_exec GB ip neigh add 10.61.2.1 lladdr $rmacB dev eth0
umacA=$(cat "/sys/class/net/${NT_ID}uA/address")
umacB=$(cat "/sys/class/net/${NT_ID}uB/address")

# sluice.sh's start helpers report here.
fail() {
	NT_PIDS+=(${dp_pid:-})
	tail -n 20 "$NT_TMP"/dp-*.log >&2 || true
	nt_fail "$*"
}
declare -A SOCK PID
dp_start() {
	local s=$1
	SOCK[$s]="$NT_TMP/dp-$s.sock"
	nt_on_exit "rm -rf /var/run/dpdk/sl-$NT_ID-$s"
	sluice_dp_start "${SOCK[$s]}" "sl-$NT_ID-$s" "$NT_TMP/dp-$s.log" \
		--port "guest=vnet:${NT_ID}g$s" \
		--port "uplink=vnet:${NT_ID}u$s"
	PID[$s]=$dp_pid
	NT_PIDS+=("$dp_pid")
}
ctl() { local s=$1; shift; "$SLUICECTL" -s "${SOCK[$s]}" "$@"; }
dp_start A
dp_start B

ctl A dp sa-add id=1 spi=0x1001 dir=out cipher=aes-gcm-128 key=$key1 \
	src=192.0.2.1 dst=192.0.2.2 esn natt || nt_fail "sa-add A out"
ctl A dp sa-add id=2 spi=0x2001 dir=in cipher=aes-gcm-128 key=$key2 \
	esn natt || nt_fail "sa-add A in"
ctl B dp sa-add id=1 spi=0x2001 dir=out cipher=aes-gcm-128 key=$key2 \
	src=192.0.2.2 dst=192.0.2.1 esn natt || nt_fail "sa-add B out"
ctl B dp sa-add id=2 spi=0x1001 dir=in cipher=aes-gcm-128 key=$key1 \
	esn natt || nt_fail "sa-add B in"
flows() { # local subnet, peer subnet, guest MAC, router MAC, own uplink
	  # MAC, peer uplink MAC
	cat <<EOF
table=0,priority=10,in_port=1,ip,nw_dst=$2,actions=esp_encrypt(sa=1),set_field:$5->eth_src,set_field:$6->eth_dst,output:2
table=0,priority=10,in_port=2,udp,tp_dst=4500,actions=esp_decrypt(table=1)
table=0,priority=20,in_port=2,udp,tp_dst=4500,esp_spi=0,actions=drop
table=1,priority=10,reg1=2,ip,nw_dst=$1,actions=set_field:$4->eth_src,set_field:$3->eth_dst,output:1
EOF
}
flows 10.61.1.0/24 10.61.2.0/24 $gmacA $rmacA "$umacA" "$umacB" |
	ctl A dp add-flows - || nt_fail "flows A"
flows 10.61.2.0/24 10.61.1.0/24 $gmacB $rmacB "$umacB" "$umacA" |
	ctl B dp add-flows - || nt_fail "flows B"

nt_ping_wait GA 10.61.2.2
nt_ping GA 10.61.2.2 5 -i 0.1
nt_ping GB 10.61.1.2 5 -i 0.1
nt_log "ping both ways through the tunnel on vnet ports: 5/5"

head -c $((16 << 20)) /dev/urandom >"$NT_TMP/blob"
want=$(sha256sum <"$NT_TMP/blob" | cut -d' ' -f1)
xfer() { # FROM TO ADDR
	local from=$1 to=$2 addr=$3 got lp
	nt_exec "$to" timeout 60 nc -l "$addr" 5301 >"$NT_TMP/got-$to" &
	lp=$!
	NT_PIDS+=("$lp")
	sleep 0.3
	nt_exec "$from" timeout 60 nc -N "$addr" 5301 <"$NT_TMP/blob" ||
		nt_fail "nc $from -> $to failed"
	wait "$lp" || true
	got=$(sha256sum <"$NT_TMP/got-$to" | cut -d' ' -f1)
	[ "$got" = "$want" ] ||
		nt_fail "16 MiB $from -> $to: $(stat -c %s "$NT_TMP/got-$to") bytes arrived, sha256 differs"
	nt_log "16 MiB $from -> $to through the tunnel: intact"
}
xfer GA GB 10.61.2.2
xfer GB GA 10.61.1.2

nt_exec GB iperf3 -s -1 -B 10.61.2.2 >/dev/null 2>&1 &
NT_PIDS+=($!)
sleep 0.5
out=$(nt_exec GA iperf3 -c 10.61.2.2 -t 3 -f m) || {
	echo "$out" >&2
	nt_fail "iperf3 failed"
}
rate=$(echo "$out" | awk '/receiver/ { print $(NF-2) }')
echo "iperf3 TCP through the tunnel on vnet ports: $rate Mbit/s"
awk -v r="$rate" 'BEGIN { exit !(r > 1) }' ||
	nt_fail "iperf3 rate $rate Mbit/s is under 1 Mbit/s"

# Every datagram one site sealed the other opened, nothing refused.
sa() { ctl "$1" -o json dp sa-list "$2" | jq -r ".[0].$3"; }
for p in "A 1 B 2" "B 1 A 2"; do
	set -- $p
	out_n=$(sa $1 $2 packets) in_n=$(sa $3 $4 packets)
	[ "$out_n" -gt 1000 ] && [ "$out_n" = "$in_n" ] ||
		nt_fail "SA $1/$2 sealed $out_n, $3/$4 opened $in_n"
	for f in auth_fails replay_drops bad; do
		[ "$(sa $3 $4 $f)" = 0 ] ||
			nt_fail "SA $3/$4: $f $(sa $3 $4 $f)"
	done
done
nt_log "SAs: $(sa A 1 packets) sealed at A, opened at B; $(sa B 1 packets) the other way; no auth/replay/bad drop"

for s in A B; do
	kill -TERM "${PID[$s]}"
	wait "${PID[$s]}" || nt_fail "sluice-dp $s exited with $?"
	grep 'vnet' "$NT_TMP/dp-$s.log"
done
# vnet_line SITE PORT FIELD (sluice-dp's closing line for the port)
vnet_line() {
	sed -n "s/.*port $2: vnet [^:]*: //p" "$NT_TMP/dp-$1.log" | tail -1 |
		awk -v f="$3" '{
			v["rx"] = $2; v["super"] = $5; v["rx_refused"] = $7
			v["nombuf"] = $9; v["tx"] = $14; v["gso_frames"] = $16
			v["gso_runs"] = $20; v["tx_refused"] = $23
			print v[f] }'
}
for s in A B; do
	for p in guest uplink; do
		[ "$(vnet_line $s $p rx_refused)" = 0 ] &&
			[ "$(vnet_line $s $p tx_refused)" = 0 ] &&
			[ "$(vnet_line $s $p nombuf)" = 0 ] ||
			nt_fail "$s: port $p refused or lost frames"
	done
done
runs=$(vnet_line A uplink gso_runs) frames=$(vnet_line A uplink gso_frames)
[ "$runs" -gt 100 ] && [ "$frames" -gt $((runs * 4)) ] ||
	nt_fail "A's uplink sent $frames datagrams in $runs UDP GSO runs"
[ "$(vnet_line B uplink super)" -gt 100 ] ||
	nt_fail "B's uplink received $(vnet_line B uplink super) super-frames"
[ "$(vnet_line B guest gso_runs)" -gt 100 ] ||
	nt_fail "B's guest port sent $(vnet_line B guest gso_runs) GSO runs"
nt_log "A's uplink: $frames ESP datagrams in $runs UDP GSO runs; B's uplink: $(vnet_line B uplink super) super-frames cut into $(vnet_line B uplink rx)"
