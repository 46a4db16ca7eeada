#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# dp_vnet: two guests whose veths keep their offloads ON (TSO, GSO,
# checksum offload: the kernel's defaults), on sluice-dp's "vnet" ports
# (AF_PACKET with virtio-net headers, datapath/dpdk/rt_vnet.c). The guests
# hand sluice-dp 64 KiB TCP super-frames with partial checksums; sluice-dp
# cuts them into wire segments with whole checksums, and sends runs of one
# flow's segments to a guest as one GSO frame (vnet_seg.c).
#
#   ns A               host                                ns B
#   eth0 --veth-- hA [port 1] sluice-dp [port 2] hB --veth-- eth0
#   10.202.0.1/24                                          10.202.0.2/24
#
# Two rounds, sluice-dp started afresh for each:
#   tso    the host ends hA, hB with TSO on: runs go out as GSO frames
#   notso  the host ends with offloads off (as nt_veth leaves them): the
#          kernel would refuse GSO frames there, so frames go one by one
# Checks in each: ping; 16 MiB of random bytes A -> B and B -> A over TCP
# arrive intact (sha256); a 3 s iperf3; sluice-dp's closing line for each
# port: more frames received than super-frames (they were cut), GSO runs
# sent in round tso and none in notso, nothing refused. Then a missing
# interface and an argument with options are refused with their reason.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/vnet.sh"

command -v iperf3 >/dev/null || nt_skip "needs iperf3"
command -v nc >/dev/null || nt_skip "needs nc"
command -v ethtool >/dev/null || nt_skip "needs ethtool"
nt_init
nt_ns_add A
nt_ns_add B
nt_veth A eth0 10.202.0.1/24 "${NT_ID}A"
nt_veth B eth0 10.202.0.2/24 "${NT_ID}B"
# Offloads back on in the guests (nt_veth turned them off).
for g in A B; do
	nt_exec $g ethtool -K eth0 tx on sg on tso on gso on gro on >/dev/null ||
		nt_fail "ethtool -K eth0 offloads on in $g"
	nt_exec $g ethtool -k eth0 | grep -q '^tcp-segmentation-offload: on' ||
		nt_fail "TSO is not on in guest $g"
done

vnet_blob
vl() { vnet_line "$NT_DP_LOG" "$@"; } # PORT FIELD

round() { # tso|notso
	local r=$1 h p
	for h in "${NT_ID}A" "${NT_ID}B"; do
		if [ "$r" = tso ]; then
			ethtool -K "$h" tx on sg on tso on gso on >/dev/null ||
				nt_fail "ethtool -K $h tso on"
		else
			nt_offloads_off "$h"
		fi
	done
	nt_dp_start --port "p1=vnet:${NT_ID}A" --port "p2=vnet:${NT_ID}B"
	nt_ctl dp add-flows - <<'FLOWS'
table=0,priority=10,in_port=1,actions=output:2
table=0,priority=10,in_port=2,actions=output:1
FLOWS
	nt_ping_wait A 10.202.0.2
	nt_ping A 10.202.0.2 5 -i 0.1
	nt_log "$r: ping through vnet ports: 5/5"
	vnet_xfer A B 10.202.0.2
	vnet_xfer B A 10.202.0.1

	nt_iperf3 A B 10.202.0.2 "$r: A -> B through vnet ports"
	nt_ctl dp ports
	grep -q "port p1: vnet on ${NT_ID}A: .* GSO frames: $([ "$r" = tso ] && echo yes || echo no)" \
		"$NT_DP_LOG" || nt_fail "$r: sluice-dp did not say what it sends"
	nt_dp_stop
	grep 'vnet' "$NT_DP_LOG"

	for p in p1 p2; do
		[ "$(vl $p rx_refused)" = 0 ] &&
			[ "$(vl $p tx_refused)" = 0 ] &&
			[ "$(vl $p nombuf)" = 0 ] ||
			nt_fail "$r: port $p refused or lost frames"
	done
	# A's port received A's super-frames and cut them.
	[ "$(vl p1 super)" -gt 100 ] &&
		[ "$(vl p1 rx)" -gt $(($(vl p1 super) * 4)) ] ||
		nt_fail "$r: port p1 cut $(vl p1 super) super-frames into $(vl p1 rx) frames"
	if [ "$r" = tso ]; then
		[ "$(vl p2 gso_runs)" -gt 100 ] &&
			[ "$(vl p2 gso_frames)" -gt $(($(vl p2 gso_runs) * 2)) ] ||
			nt_fail "$r: port p2 sent $(vl p2 gso_frames) frames in $(vl p2 gso_runs) GSO runs"
	else
		[ "$(vl p2 gso_runs)" = 0 ] ||
			nt_fail "$r: port p2 sent GSO runs on an interface without TSO"
	fi
	nt_log "$r: p1 cut $(vl p1 super) super-frames into $(vl p1 rx) frames; p2 sent $(vl p2 gso_frames) of $(vl p2 tx) frames in $(vl p2 gso_runs) GSO runs"
}

round tso
round notso

# Bad arguments: a clear error, and sluice-dp goes on.
nt_dp_start
out=$(nt_ctl dp port-add p9 vnet "${NT_ID}none" 2>&1) &&
	nt_fail "a vnet port on a missing interface was added: $out"
echo "$out" | grep -q "interface ${NT_ID}none: No such device" ||
	nt_fail "missing interface: unclear error: $out"
out=$(nt_ctl dp port-add p9 vnet "${NT_ID}A,x=1" 2>&1) &&
	nt_fail "a vnet port with options was added: $out"
echo "$out" | grep -q "vnet wants a kernel interface name" ||
	nt_fail "options: unclear error: $out"
nt_ctl dp port-add p1 vnet "${NT_ID}A" >/dev/null ||
	nt_fail "port-add after the errors"
nt_ctl dp ports | grep -q ' p1 .*vnet' || nt_fail "port p1 not listed"
nt_dp_stop
nt_log "bad vnet arguments: refused with the reason named"
