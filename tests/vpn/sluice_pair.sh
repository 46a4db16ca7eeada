#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/vpn/sluice_pair.sh: two sluice-ike processes, one per namespace,
# over real UDP sockets (NAT-T forced, so IKE runs on 4500 with the
# non-ESP marker after IKE_SA_INIT).
#
#   ns "$NS_A" (sluice-ike initiator)        ns "$NS_B" (sluice-ike responder)
#   10.98.0.1/24 [veth] ------------------- [veth] 10.98.0.2/24
#
# Checks: both sides install mirror child SAs (same SPI pairs), child and
# IKE rekeys started from each side complete, SIGTERM on one side is seen
# as a peer delete, and killing the responder makes the initiator's DPD
# report the peer dead. Usage: sluice_pair.sh /path/to/sluice-ike
set -euo pipefail

BIN=$(readlink -f "${1:?usage: $0 /path/to/sluice-ike}")
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }

TAG=sp$$
NS_A=${TAG}a
NS_B=${TAG}b
D=$(mktemp -d /tmp/sluice-pair.XXXXXX)
PA=
PB=

. "$(dirname "$0")/../lib/nspair.sh"
cleanup() {
	set +e
	nspair_stop "$PA" "$PB"
	nspair_del "$NS_A" "$NS_B" "$D"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for s in a b; do
		echo "--- $s stdout"; tail -n 20 "$D/$s.out"
		echo "--- $s stderr"; tail -n 20 "$D/$s.err"
	done
	exit 1
}

wait_for() { # file pattern count seconds
	local i c
	for ((i = 0; i < $4 * 10; i++)); do
		c=$(grep -c -E -- "$2" "$1" 2>/dev/null || true)
		[ "${c:-0}" -ge "${3:-1}" ] && return 0
		sleep 0.1
	done
	return 1
}

# The newest child-install line's "spi_in spi_out" of a side.
spis() {
	grep '^child-install' "$D/$1.out" | tail -n 1 |
		sed -E 's/.*spi_in=([0-9a-f]+) spi_out=([0-9a-f]+).*/\1 \2/'
}

mirror() { # what
	local a b
	a=$(spis a)
	b=$(spis b)
	[ -n "$a" ] && [ "$a" = "${b#* } ${b% *}" ] ||
		fail "$1: child SAs differ: a=($a) b=($b)"
	grep '^child-install' "$D/a.out" | tail -n 1 | grep -q 'encap=1 ports=4500/4500' ||
		fail "$1: not UDP-encapsulated"
}

nspair_add "$NS_A" "$NS_B" "${TAG}x" "${TAG}y" 10.98.0.1/24 10.98.0.2/24
printf 'pair-psk-%s\n' "$$" >"$D/psk"

run() { # side ns local peer lts pts extra...
	local s=$1 ns=$2 l=$3 p=$4 lt=$5 pt=$6
	shift 6
	ip netns exec "$ns" "$BIN" --name "pair-$s" --local "$l" --peer "$p" \
		--local-id "$l" --peer-id "$p" --psk-file "$D/psk" \
		--ike aes256gcm16-prfsha384-ecp384,aes128gcm16-prfsha256-ecp256 \
		--esp aes256gcm16-curve25519 --local-ts "$lt" --peer-ts "$pt" \
		--dpd-interval 2 --dpd-timeout 8 --retransmit-base-ms 500 \
		--retransmit-tries 3 "$@" >"$D/$s.out" 2>"$D/$s.err" &
}

run b "$NS_B" 10.98.0.2 10.98.0.1 10.98.2.0/24 10.98.1.0/24 --responder
PB=$!
sleep 0.3
run a "$NS_A" 10.98.0.1 10.98.0.2 10.98.1.0/24 10.98.2.0/24 --initiate \
	--force-encap
PA=$!
wait_for "$D/a.out" '^child-install' 1 10 || fail "initiator has no child"
wait_for "$D/b.out" '^child-install' 1 10 || fail "responder has no child"
mirror establish
echo "PASS establish"

for who in a b; do
	pid=$PA
	[ $who = b ] && pid=$PB
	n=$(grep -c '^child-install' "$D/a.out")
	kill -USR1 "$pid"
	wait_for "$D/a.out" '^child-install' $((n + 1)) 10 ||
		fail "child rekey from $who"
	wait_for "$D/b.out" '^child-remove' "$n" 10 ||
		fail "old child not removed after rekey from $who"
	sleep 0.2
	mirror "child rekey from $who"
	n=$(grep -c '^event ike-rekeyed' "$D/a.out" || true)
	kill -USR2 "$pid"
	wait_for "$D/a.out" '^event ike-rekeyed' $((n + 1)) 10 ||
		fail "IKE rekey from $who"
	wait_for "$D/b.out" '^event ike-rekeyed' $((n + 1)) 10 ||
		fail "IKE rekey from $who (responder)"
	[ "$(grep '^event ike-rekeyed' "$D/a.out" | tail -n 1 | cut -d' ' -f5-)" = \
	  "$(grep '^event ike-rekeyed' "$D/b.out" | tail -n 1 | cut -d' ' -f5-)" ] ||
		fail "IKE SPIs differ after rekey from $who"
	echo "PASS rekeys from $who"
done

# Liveness: a few DPD rounds keep it up.
sleep 5
grep -q '^event ike-down' "$D/a.out" "$D/b.out" && fail "went down while alive"
kill -9 "$PB"
wait "$PB" 2>/dev/null || true
PB=
wait_for "$D/a.out" '^event ike-down .*reason=peer-dead' 1 20 ||
	fail "initiator's DPD did not notice the dead responder"
echo "PASS dpd"

# Up again, then a clean delete seen by the peer.
run b "$NS_B" 10.98.0.2 10.98.0.1 10.98.2.0/24 10.98.1.0/24 --responder
PB=$!
kill -TERM "$PA"
wait "$PA" 2>/dev/null || true
run a "$NS_A" 10.98.0.1 10.98.0.2 10.98.1.0/24 10.98.2.0/24 --initiate
PA=$!
wait_for "$D/b.out" '^child-install' 1 10 || fail "re-establish"
kill -TERM "$PA"
wait "$PA" 2>/dev/null || fail "initiator exit status"
PA=
wait_for "$D/b.out" '^event ike-down .*reason=peer-deleted' 1 10 ||
	fail "responder did not see the delete"
echo "PASS delete"

# IPv6 outer addresses and selectors; the initiator asks for an extra IPv4
# selector that the responder narrows away.
ip -n "$NS_A" addr add fd00:98::1/64 dev "${TAG}x" nodad
ip -n "$NS_B" addr add fd00:98::2/64 dev "${TAG}y" nodad
kill -TERM "$PB" 2>/dev/null || true
wait "$PB" 2>/dev/null || true
run b "$NS_B" fd00:98::2 fd00:98::1 fd02::/64 fd01::/64 --responder
PB=$!
sleep 0.3
run a "$NS_A" fd00:98::1 fd00:98::2 fd01::/64,10.98.1.0/24 fd02::/64 \
	--initiate --force-encap
PA=$!
wait_for "$D/a.out" '^child-install' 1 10 || fail "IPv6: no child"
wait_for "$D/b.out" '^child-install' 1 10 || fail "IPv6: no child (b)"
mirror "IPv6 establish"
grep '^child-install' "$D/a.out" | tail -n 1 |
	grep -q 'local_ts=fd01::-fd01::ffff:ffff:ffff:ffff remote_ts=fd02::' ||
	fail "IPv6: selectors not narrowed to fd01::/64 === fd02::/64"
kill -USR1 "$PB"
wait_for "$D/a.out" '^child-install' 2 10 || fail "IPv6: child rekey"
sleep 0.2
mirror "IPv6 child rekey"
echo "PASS ipv6"
echo "5 passed, 0 failed"
