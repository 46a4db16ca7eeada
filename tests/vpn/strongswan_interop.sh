#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/vpn/strongswan_interop.sh: sluice-ike against strongSwan's charon
# (charon-systemd with kernel-libipsec, ../shared/peers/strongswan.md).
#
#   ns "$NS_A" (sluice-ike)                 ns "$NS_B" (charon)
#   10.99.0.1/24 [veth va] ------------- [veth vb] 10.99.0.2/24
#   protects 10.99.1.0/24                   protects 10.99.2.0/24 (lo)
#
# Usage: strongswan_interop.sh /path/to/sluice-ike [case ...]
# Cases (default: all): init-<suite>, resp-<suite> for the suites below
# (establish, child rekey and IKE rekey from each side), dpd (sluice
# notices a killed charon and applies its action: clear, restart),
# narrow (traffic selector narrowing, each side), invalid-ke
# (INVALID_KE_PAYLOAD retry, each side), cookie (COOKIE
# demanded by sluice-ike), collide (both sides rekey at once), charon-dpd (charon
# notices a killed sluice-ike), psk-init, psk-resp (wrong PSK fails on both
# sides). Stops at the first failure; exit 77 when strongSwan or netns is
# missing. Prints one "PASS name" / "FAIL name" line per case.
set -euo pipefail

SLUICE_IKE=${1:?usage: $0 /path/to/sluice-ike [case ...]}
shift
SLUICE_IKE=$(readlink -f "$SLUICE_IKE")

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
. "$(dirname "$0")/../lib/charon.sh"
charon_need
. "$(dirname "$0")/../lib/nspair.sh"

# Proposal suites: name ike-proposals esp-proposals (strongSwan syntax;
# sluice-ike parses the same syntax).
SUITES=(
	"gcm aes128gcm16-prfsha256-ecp256 aes128gcm16"
	"cbc aes256-sha256-modp2048 aes256-sha256-modp2048"
	"chacha chacha20poly1305-prfsha512-curve25519 chacha20poly1305"
)
PSK="sluice-interop-psk-$$"

TAG=iv$$
NS_A=${TAG}a
NS_B=${TAG}b
D=$(mktemp -d /tmp/sluice-interop.XXXXXX)
charon_pid=
SLUICE_PID=

cleanup() {
	set +e
	nspair_stop "$SLUICE_PID" "$charon_pid"
	nspair_del "$NS_A" "$NS_B" "$D"
}
trap cleanup EXIT

fail() {
	echo "FAIL $CASE: $*"
	echo "--- sluice-ike stdout"; tail -n 30 "$D/sluice.out" 2>/dev/null
	echo "--- sluice-ike stderr"; tail -n 30 "$D/sluice.err" 2>/dev/null
	echo "--- charon log"; tail -n 60 "$D/charon.log" 2>/dev/null
	echo "--- swanctl --list-sas"; sas 2>/dev/null
	exit 1
}

# wait_for FILE PATTERN COUNT SECONDS: until COUNT lines match.
wait_for() {
	local f=$1 pat=$2 n=$3 t=$4 i c
	for ((i = 0; i < t * 10; i++)); do
		c=$(grep -c -E -- "$pat" "$f" 2>/dev/null || true)
		[ "${c:-0}" -ge "$n" ] && return 0
		sleep 0.1
	done
	return 1
}

count() { grep -c -E -- "$2" "$1" 2>/dev/null || true; }

swan() { ip netns exec "$NS_B" swanctl "$@" --uri "unix://$D/charon.vici"; }
sas() { swan --list-sas 2>/dev/null; }

topology() {
	nspair_add "$NS_A" "$NS_B" "${TAG}va" "${TAG}vb" 10.99.0.1/24 \
		10.99.0.2/24
	ip -n "$NS_A" addr add 10.99.1.1/32 dev lo
	ip -n "$NS_B" addr add 10.99.2.1/32 dev lo
}

start_charon() {
	charon_conf_write "$D" retransmit_tries=3 retransmit_timeout=1.0 \
		retransmit_base=1.4 log.ike=2 log.knl=1 log.esp=1
	charon_start "$NS_B" "$D" && return 0
	echo "charon did not start"; cat "$D/charon.stdout"; exit 1
}

# charon_conf IKE ESP PSK START DPD_DELAY [REMOTE_TS]
charon_conf() {
	cat >"$D/swanctl.conf" <<EOF
connections { b-a {
  version = 2
  local_addrs = 10.99.0.2
  remote_addrs = 10.99.0.1
  proposals = $1
  encap = yes
  mobike = no
  dpd_delay = $5
  rekey_time = 0
  local { auth = psk
          id = 10.99.0.2 }
  remote { auth = psk
           id = 10.99.0.1 }
  children { net {
    local_ts = 10.99.2.0/24
    remote_ts = ${6:-10.99.1.0/24}
    mode = tunnel
    esp_proposals = $2
    rekey_time = 0
    dpd_action = clear
    start_action = none } } } }
secrets { ike-ab { id-a = 10.99.0.2
                   id-b = 10.99.0.1
                   secret = "$3" } }
EOF
	swan --terminate --ike b-a --force --timeout 2 >/dev/null 2>&1 || true
	swan --load-all --clear --file "$D/swanctl.conf" >/dev/null 2>&1 ||
		fail "swanctl --load-all"
}

# start_sluice MODE IKE ESP PSK [extra options]
start_sluice() {
	local mode=$1 ike=$2 esp=$3 psk=$4 pts=10.99.2.0/24
	shift 4
	if [ "${1:-}" = --peer-ts ]; then
		pts=$2
		shift 2
	fi
	printf '%s\n' "$psk" >"$D/psk"
	chmod 600 "$D/psk"
	: >"$D/sluice.out"
	: >"$D/sluice.err"
	ip netns exec "$NS_A" "$SLUICE_IKE" --name s-a \
		--local 10.99.0.1 --peer 10.99.0.2 \
		--local-id 10.99.0.1 --peer-id 10.99.0.2 --psk-file "$D/psk" \
		--ike "$ike" --esp "$esp" \
		--local-ts 10.99.1.0/24 --peer-ts "$pts" \
		--retransmit-base-ms 1000 --retransmit-tries 3 \
		"--$mode" "$@" >"$D/sluice.out" 2>"$D/sluice.err" &
	SLUICE_PID=$!
}

# Checks sluice-ike's exit status (sanitizer builds report there) and
# stderr for sanitizer reports.
reap_sluice() { # expected exit status
	local rc=0
	wait "$SLUICE_PID" 2>/dev/null || rc=$?
	SLUICE_PID=
	[ "$rc" -eq "$1" ] || fail "sluice-ike exited with $rc, not $1"
	if grep -q 'ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer' \
		"$D/sluice.err"; then
		fail "sanitizer report from sluice-ike"
	fi
}

stop_sluice() {
	[ -n "$SLUICE_PID" ] || return 0
	kill -TERM "$SLUICE_PID" 2>/dev/null || true
	reap_sluice 0
}

# The SPIs of sluice's newest installed child SA.
last_spis() {
	grep '^child-install' "$D/sluice.out" | tail -n 1 |
		sed -E 's/.*spi_in=([0-9a-f]+) spi_out=([0-9a-f]+).*/\1 \2/'
}

check_both_up() {
	local what=$1 spis in out
	wait_for "$D/sluice.out" '^child-install' "${2:-1}" 20 ||
		fail "$what: sluice-ike installed no child SA"
	spis=$(last_spis)
	in=${spis% *}
	out=${spis#* }
	local i ok=
	for ((i = 0; i < 50; i++)); do
		if sas | grep -q ESTABLISHED && sas | grep -q INSTALLED &&
			sas | grep -q "in  $out" && sas | grep -q "out $in"; then
			ok=1
			break
		fi
		sleep 0.1
	done
	[ -n "$ok" ] || fail "$what: charon does not show child $out/$in"
}

# The IKE SPIs of sluice's newest IKE SA as charon prints them.
check_ike_spis() {
	local line si sr
	line=$(grep -E '^event (ike-up|ike-rekeyed)' "$D/sluice.out" | tail -n 1)
	si=$(echo "$line" | sed -E 's/.*spi_i=([0-9a-f]+).*/\1/')
	sr=$(echo "$line" | sed -E 's/.*spi_r=([0-9a-f]+).*/\1/')
	local i
	for ((i = 0; i < 50; i++)); do
		sas | grep -q "${si}_i.* ${sr}_r" && return 0
		sleep 0.1
	done
	fail "charon does not show IKE SA ${si}_i ${sr}_r"
}

rekeys() {
	local n
	# Child rekey from sluice-ike.
	n=$(count "$D/sluice.out" '^child-install')
	kill -USR1 "$SLUICE_PID"
	check_both_up "child rekey by sluice" $((n + 1))
	wait_for "$D/sluice.out" '^child-remove' $((n)) 10 ||
		fail "old child not removed after sluice rekey"
	# Child rekey from charon.
	n=$(count "$D/sluice.out" '^child-install')
	swan --rekey --child net >/dev/null || fail "swanctl --rekey --child"
	check_both_up "child rekey by charon" $((n + 1))
	wait_for "$D/sluice.out" '^child-remove' $((n)) 10 ||
		fail "old child not removed after charon rekey"
	# IKE rekey from sluice-ike.
	n=$(count "$D/sluice.out" '^event ike-rekeyed')
	kill -USR2 "$SLUICE_PID"
	wait_for "$D/sluice.out" '^event ike-rekeyed' $((n + 1)) 20 ||
		fail "IKE rekey by sluice"
	check_ike_spis
	# IKE rekey from charon.
	n=$(count "$D/sluice.out" '^event ike-rekeyed')
	swan --rekey --ike b-a >/dev/null || fail "swanctl --rekey --ike"
	wait_for "$D/sluice.out" '^event ike-rekeyed' $((n + 1)) 20 ||
		fail "IKE rekey by charon"
	check_ike_spis
	# The children survived both IKE rekeys: one more child rekey.
	n=$(count "$D/sluice.out" '^child-install')
	kill -USR1 "$SLUICE_PID"
	check_both_up "child rekey after IKE rekeys" $((n + 1))
	grep -q '^event ike-down' "$D/sluice.out" &&
		fail "IKE SA went down during rekeys"
	[ "$(sas | grep -c ESTABLISHED)" -eq 1 ] ||
		fail "charon has more than one IKE SA"
	return 0
}

case_init() { # suite-fields...
	local ike=$2 esp=$3
	charon_conf "$ike" "$esp" "$PSK" start 30s
	start_sluice initiate "$ike" "$esp" "$PSK"
	check_both_up "initiator establish"
	check_ike_spis
	rekeys
	stop_sluice
	wait_for "$D/sluice.out" '^event ike-down .*reason=local-delete' 1 5 ||
		fail "no local delete on exit"
	local i
	for ((i = 0; i < 30; i++)); do
		sas | grep -q ESTABLISHED || return 0
		sleep 0.1
	done
	fail "charon still has the IKE SA after sluice-ike's delete"
}

case_resp() {
	local ike=$2 esp=$3
	charon_conf "$ike" "$esp" "$PSK" none 30s
	start_sluice responder "$ike" "$esp" "$PSK"
	sleep 0.3
	timeout 20 ip netns exec "$NS_B" swanctl --initiate --child net \
		--uri "unix://$D/charon.vici" --timeout 15 >/dev/null ||
		fail "swanctl --initiate"
	check_both_up "responder establish"
	check_ike_spis
	rekeys
	# Charon deletes: sluice-ike reports the peer's delete.
	swan --terminate --ike b-a --timeout 5 >/dev/null ||
		fail "swanctl --terminate"
	wait_for "$D/sluice.out" '^event ike-down .*reason=peer-deleted' 1 10 ||
		fail "sluice-ike did not see charon's delete"
	stop_sluice
}

case_dpd() {
	local ike=aes128gcm16-prfsha256-ecp256 esp=aes128gcm16
	charon_conf "$ike" "$esp" "$PSK" none 30s
	start_sluice initiate "$ike" "$esp" "$PSK" --dpd-interval 2 \
		--dpd-timeout 8 --dpd-action clear
	check_both_up "dpd establish"
	# Liveness checks answered while charon lives.
	sleep 5
	grep -q '^event ike-down' "$D/sluice.out" && fail "down while alive"
	kill -9 "$charon_pid"
	wait "$charon_pid" 2>/dev/null || true
	charon_pid=
	wait_for "$D/sluice.out" \
		'^event ike-down .*reason=peer-dead .*action=clear' 1 30 ||
		fail "DPD did not declare the peer dead"
	wait_for "$D/sluice.out" '^child-remove' 1 5 ||
		fail "child not removed by the clear action"
	stop_sluice
	start_charon
}

case_dpd_restart() {
	local ike=aes128gcm16-prfsha256-ecp256 esp=aes128gcm16
	charon_conf "$ike" "$esp" "$PSK" none 30s
	start_sluice initiate "$ike" "$esp" "$PSK" --dpd-interval 2 \
		--dpd-timeout 8 --dpd-action restart
	check_both_up "dpd-restart establish"
	kill -9 "$charon_pid"
	wait "$charon_pid" 2>/dev/null || true
	charon_pid=
	wait_for "$D/sluice.out" \
		'^event ike-down .*reason=peer-dead .*action=restart' 1 30 ||
		fail "DPD did not declare the peer dead"
	start_charon
	charon_conf "$ike" "$esp" "$PSK" none 30s
	wait_for "$D/sluice.out" '^event ike-up' 2 40 ||
		fail "restart action did not bring the SA back"
	check_both_up "after restart" 2
	stop_sluice
}

case_charon_dpd() {
	local ike=aes128gcm16-prfsha256-ecp256 esp=aes128gcm16
	charon_conf "$ike" "$esp" "$PSK" none 2s
	start_sluice initiate "$ike" "$esp" "$PSK" --dpd-interval 0
	check_both_up "charon-dpd establish"
	kill -9 "$SLUICE_PID"
	wait "$SLUICE_PID" 2>/dev/null || true
	SLUICE_PID=
	local i
	for ((i = 0; i < 300; i++)); do
		sas | grep -q ESTABLISHED || break
		sleep 0.1
	done
	sas | grep -q ESTABLISHED && fail "charon kept the SA of a dead peer"
	grep -q 'giving up after' "$D/charon.log" ||
		fail "charon log shows no DPD give-up"
}

case_psk_init() {
	local ike=aes128gcm16-prfsha256-ecp256 esp=aes128gcm16
	charon_conf "$ike" "$esp" "$PSK-other" none 30s
	start_sluice initiate "$ike" "$esp" "$PSK" --exit-on-down
	wait_for "$D/sluice.out" \
		'^event ike-down .*reason=peer-refused-authentication' 1 20 ||
		fail "sluice-ike did not report the refused AUTH"
	grep -q '^child-install' "$D/sluice.out" && fail "child installed"
	grep -q 'state=DOWN reason=peer-refused-authentication' \
		"$D/sluice.out" || fail "status does not say why"
	sas | grep -q ESTABLISHED && fail "charon established with bad PSK"
	grep -q 'MAC mismatched\|authentication of .* failed\|verification failed' \
		"$D/charon.log" || fail "charon did not fail the AUTH"
	reap_sluice 3
}

# status_line: asks sluice-ike for its status line (SIGHUP) and prints it.
status_line() {
	local n
	n=$(count "$D/sluice.out" '^status ')
	kill -HUP "$SLUICE_PID"
	wait_for "$D/sluice.out" '^status ' $((n + 1)) 5 || fail "no status line"
	grep '^status ' "$D/sluice.out" | tail -n 1
}

# The two sides prefer different DH groups: the responder answers
# INVALID_KE_PAYLOAD and the initiator retries with the group asked for.
case_invalid_ke() {
	local esp=aes128gcm16
	# Sluice responds, charon's first KE (ecp256) is not acceptable.
	charon_conf aes128gcm16-prfsha256-ecp256-modp2048 "$esp" "$PSK" none 30s
	start_sluice responder aes128gcm16-prfsha256-modp2048 "$esp" "$PSK"
	sleep 0.3
	timeout 20 ip netns exec "$NS_B" swanctl --initiate --child net \
		--uri "unix://$D/charon.vici" --timeout 15 >/dev/null ||
		fail "swanctl --initiate"
	check_both_up "invalid-ke, sluice responder"
	status_line | grep -q 'invalid_ke_sent=1' ||
		fail "sluice-ike sent no INVALID_KE_PAYLOAD"
	grep -q 'peer didn.t accept DH group ECP_256, it requested MODP_2048' \
		"$D/charon.log" || fail "charon did not see INVALID_KE_PAYLOAD"
	stop_sluice
	# Sluice initiates with ecp256 first; charon only takes modp2048.
	: >"$D/charon.log"
	charon_conf aes128gcm16-prfsha256-modp2048 "$esp" "$PSK" none 30s
	start_sluice initiate aes128gcm16-prfsha256-ecp256-modp2048 "$esp" \
		"$PSK"
	check_both_up "invalid-ke, sluice initiator"
	status_line | grep -q 'invalid_ke_rcvd=1' ||
		fail "sluice-ike did not retry after INVALID_KE_PAYLOAD"
	sas | grep -q MODP_2048 || fail "charon did not settle on MODP_2048"
	stop_sluice
}

# Traffic selector narrowing: each side asks for more than the other allows.
case_narrow() {
	local ike=aes128gcm16-prfsha256-ecp256 esp=aes128gcm16
	# Sluice asks for 10.99.0.0/16 behind charon; charon narrows to /24.
	charon_conf "$ike" "$esp" "$PSK" none 30s
	start_sluice initiate "$ike" "$esp" "$PSK" --peer-ts 10.99.0.0/16
	check_both_up "narrow, sluice initiator"
	grep '^child-install' "$D/sluice.out" | tail -n 1 |
		grep -q 'remote_ts=10.99.2.0-10.99.2.255 ' ||
		fail "sluice-ike did not take charon's narrowed selector"
	stop_sluice
	# Charon asks for 10.99.0.0/16 behind Sluice; Sluice narrows to /24.
	charon_conf "$ike" "$esp" "$PSK" none 30s 10.99.0.0/16
	start_sluice responder "$ike" "$esp" "$PSK"
	sleep 0.3
	timeout 20 ip netns exec "$NS_B" swanctl --initiate --child net \
		--uri "unix://$D/charon.vici" --timeout 15 >/dev/null ||
		fail "swanctl --initiate"
	check_both_up "narrow, sluice responder"
	sas | grep -q 'remote 10.99.1.0/24' ||
		fail "charon did not get the narrowed selector"
	stop_sluice
}

# Sluice demands a COOKIE from every initiator (threshold 1).
case_cookie() {
	local ike=aes128gcm16-prfsha256-ecp256 esp=aes128gcm16
	charon_conf "$ike" "$esp" "$PSK" none 30s
	start_sluice responder "$ike" "$esp" "$PSK" --cookie-threshold 1
	sleep 0.3
	timeout 20 ip netns exec "$NS_B" swanctl --initiate --child net \
		--uri "unix://$D/charon.vici" --timeout 15 >/dev/null ||
		fail "swanctl --initiate"
	check_both_up "cookie"
	status_line | grep -q 'cookies_sent=1' || fail "no COOKIE sent"
	grep -q 'received COOKIE\|N(COOKIE)' "$D/charon.log" ||
		fail "charon did not see the COOKIE"
	stop_sluice
}

# Both sides rekey the child SA and then the IKE SA at the same moment.
case_collide() {
	local ike=aes128gcm16-prfsha256-ecp256 esp=aes128gcm16 n i rk
	charon_conf "$ike" "$esp" "$PSK" none 30s
	start_sluice initiate "$ike" "$esp" "$PSK"
	check_both_up "collide establish"
	for i in 1 2; do
		n=$(count "$D/sluice.out" '^child-install')
		kill -USR1 "$SLUICE_PID"
		swan --rekey --child net >/dev/null 2>&1 &
		rk=$!
		check_both_up "simultaneous child rekey $i" $((n + 1))
		wait "$rk" || true
		sleep 8
		check_both_up "after simultaneous child rekey $i" $((n + 1))
		[ "$(sas | grep -c INSTALLED)" -eq 1 ] ||
			fail "charon keeps redundant child SAs"
	done
	n=$(count "$D/sluice.out" '^event ike-rekeyed')
	kill -USR2 "$SLUICE_PID"
	swan --rekey --ike b-a >/dev/null 2>&1 &
	rk=$!
	wait_for "$D/sluice.out" '^event ike-rekeyed' $((n + 1)) 20 ||
		fail "simultaneous IKE rekey"
	wait "$rk" || true
	sleep 8
	check_ike_spis
	[ "$(sas | grep -c ESTABLISHED)" -eq 1 ] ||
		fail "charon keeps redundant IKE SAs"
	grep -q '^event ike-down' "$D/sluice.out" && fail "IKE SA went down"
	stop_sluice
}

case_psk_resp() {
	local ike=aes128gcm16-prfsha256-ecp256 esp=aes128gcm16
	charon_conf "$ike" "$esp" "$PSK-other" none 30s
	start_sluice responder "$ike" "$esp" "$PSK"
	sleep 0.3
	timeout 20 ip netns exec "$NS_B" swanctl --initiate --child net \
		--uri "unix://$D/charon.vici" --timeout 10 >/dev/null 2>&1 &&
		fail "charon initiated with a wrong PSK"
	wait_for "$D/sluice.out" \
		'^event ike-down .*reason=authentication-failed' 1 10 ||
		fail "sluice-ike did not report the failed AUTH"
	grep -q '^child-install' "$D/sluice.out" && fail "child installed"
	grep -q 'received AUTHENTICATION_FAILED' "$D/charon.log" ||
		fail "charon did not get AUTHENTICATION_FAILED"
	sas | grep -q ESTABLISHED && fail "charon established with bad PSK"
	stop_sluice
}

CASES=("$@")
if [ ${#CASES[@]} -eq 0 ]; then
	for s in "${SUITES[@]}"; do
		set -- $s
		CASES+=("init-$1" "resp-$1")
	done
	CASES+=(narrow invalid-ke cookie collide dpd dpd-restart charon-dpd psk-init psk-resp)
fi

topology
start_charon
passed=0
for CASE in "${CASES[@]}"; do
	: >"$D/charon.log"
	case $CASE in
	init-* | resp-*)
		name=${CASE#*-}
		found=
		for s in "${SUITES[@]}"; do
			set -- $s
			[ "$1" = "$name" ] && found="$s"
		done
		[ -n "$found" ] || { echo "unknown case $CASE"; exit 2; }
		set -- $found
		if [ "${CASE%%-*}" = init ]; then
			case_init "$@"
		else
			case_resp "$@"
		fi
		;;
	dpd) case_dpd ;;
	dpd-restart) case_dpd_restart ;;
	charon-dpd) case_charon_dpd ;;
	psk-init) case_psk_init ;;
	psk-resp) case_psk_resp ;;
	collide) case_collide ;;
	invalid-ke) case_invalid_ke ;;
	cookie) case_cookie ;;
	narrow) case_narrow ;;
	*) echo "unknown case $CASE"; exit 2 ;;
	esac
	echo "PASS $CASE"
	passed=$((passed + 1))
done
echo "$passed passed, 0 failed"
