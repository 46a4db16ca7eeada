# SPDX-License-Identifier: BSD-2-Clause
# vnet.sh: helpers of the tests of sluice-dp's vnet ports (dp_vnet.sh,
# dp_vnet_esp.sh); sourced after netns.sh.
#
#   vnet_blob              16 MiB of random bytes in $NT_TMP/blob; its
#                          sha256 in VNET_WANT
#   vnet_xfer FROM TO ADDR the blob over one TCP connection (nc) from
#                          namespace FROM to a listener on ADDR in TO;
#                          fails unless it arrives whole
#   vnet_line LOG PORT F   a figure of sluice-dp's closing line for vnet
#                          port PORT in LOG: rx, super, rx_refused,
#                          nombuf, tx, gso_frames, gso_runs, tx_refused
#                          ("rx R frames from S super-frames, E refused,
#                          N without an mbuf; tx T frames, F of them in G
#                          GSO runs, X refused")

vnet_blob() {
	head -c $((16 << 20)) /dev/urandom >"$NT_TMP/blob"
	VNET_WANT=$(sha256sum <"$NT_TMP/blob" | cut -d' ' -f1)
}

vnet_xfer() {
	local from=$1 to=$2 addr=$3 got lp
	rm -f "$NT_TMP/got-$to"
	nt_exec "$to" timeout 60 nc -l "$addr" 5301 >"$NT_TMP/got-$to" &
	lp=$!
	NT_PIDS+=("$lp")
	sleep 0.3
	nt_exec "$from" timeout 60 nc -N "$addr" 5301 <"$NT_TMP/blob" ||
		nt_fail "nc $from -> $to failed"
	wait "$lp" || true
	got=$(sha256sum <"$NT_TMP/got-$to" | cut -d' ' -f1)
	[ "$got" = "$VNET_WANT" ] ||
		nt_fail "16 MiB $from -> $to: $(stat -c %s "$NT_TMP/got-$to") bytes arrived, sha256 differs"
	nt_log "16 MiB $from -> $to over TCP: intact"
}

vnet_line() {
	sed -n "s/.*port $2: vnet [^:]*: //p" "$1" | tail -1 |
		awk -v f="$3" '{
			v["rx"] = $2; v["super"] = $5; v["rx_refused"] = $7
			v["nombuf"] = $9; v["tx"] = $14; v["gso_frames"] = $16
			v["gso_runs"] = $20; v["tx_refused"] = $23
			print v[f] }'
}
