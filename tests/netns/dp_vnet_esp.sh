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
# (the R namespaces are the root one here; tests/lib/esp_sites.sh). Checks: ping
# both ways; 16 MiB A -> B and B -> A over TCP intact (sha256); a 3 s
# iperf3; each SA's packets in equal the other site's out, with no
# authentication, replay or malformed drop; A's uplink sent its datagrams
# in UDP GSO runs that B's uplink received as super-frames, B's guest port
# sent GSO runs; no vnet port refused or lost a frame.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/sluice.sh"
. "$(dirname "$0")/../lib/esp_sites.sh"
. "$(dirname "$0")/../lib/vnet.sh"

command -v iperf3 >/dev/null || nt_skip "needs iperf3"
command -v nc >/dev/null || nt_skip "needs nc"
command -v jq >/dev/null || nt_skip "needs jq"
command -v ethtool >/dev/null || nt_skip "needs ethtool"
key1=$(printf '%040x' 1)
key2=$(printf '%040x' 2)

nt_init
esp_sites_setup vnet
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

vnet_blob
vnet_xfer GA GB 10.61.2.2
vnet_xfer GB GA 10.61.1.2

nt_iperf3 GA GB 10.61.2.2 "through the tunnel on vnet ports"

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
vl() { vnet_line "$NT_TMP/dp-$1.log" "$2" "$3"; } # SITE PORT FIELD
for s in A B; do
	for p in guest uplink; do
		[ "$(vl $s $p rx_refused)" = 0 ] &&
			[ "$(vl $s $p tx_refused)" = 0 ] &&
			[ "$(vl $s $p nombuf)" = 0 ] ||
			nt_fail "$s: port $p refused or lost frames"
	done
done
runs=$(vl A uplink gso_runs) frames=$(vl A uplink gso_frames)
[ "$runs" -gt 100 ] && [ "$frames" -gt $((runs * 4)) ] ||
	nt_fail "A's uplink sent $frames datagrams in $runs UDP GSO runs"
[ "$(vl B uplink super)" -gt 100 ] ||
	nt_fail "B's uplink received $(vl B uplink super) super-frames"
[ "$(vl B guest gso_runs)" -gt 100 ] ||
	nt_fail "B's guest port sent $(vl B guest gso_runs) GSO runs"
nt_log "A's uplink: $frames ESP datagrams in $runs UDP GSO runs; B's uplink: $(vl B uplink super) super-frames cut into $(vl B uplink rx)"
