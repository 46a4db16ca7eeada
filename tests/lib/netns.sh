# SPDX-License-Identifier: BSD-2-Clause
# tests/lib/netns.sh: shared helpers for the root integration tests that run
# in network namespaces (tests/netns/ and others). Source it from a bash
# script:
#
#   . "$(dirname "$0")/../lib/netns.sh"
#   nt_init                       # root, tools, names, trap cleanup
#   nt_ns_add A                   # namespace "$NT_ID-A", lo up
#   nt_veth A eth0 10.9.0.1/24 h0 # veth: eth0 in A, h0 on the host
#   nt_dp_start --port p1=af_packet:h0 ...   # sluice-dp on $NT_SOCK
#   nt_ctl dp add-flow 'in_port=1,actions=output:2'
#   nt_exec A ping -c 1 10.9.0.2
#   nt_dp_stop                    # SIGTERM, expects a clean exit
#
# Everything created is named after NT_ID (unique per run, short enough
# for 15-character interface names) and removed by the EXIT trap, even on
# failure; processes started here are ended by their PID only.
#
# Environment: SLUICE_DP, SLUICECTL (paths to the programs, set by meson).
# Exit codes: 0 pass, 1 fail (nt_fail), 77 skip (nt_skip).

set -euo pipefail

NT_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

NT_NAMESPACES=()
NT_LINKS=()
NT_PIDS=()
NT_FILES=()
NT_CLEANUPS=()
NT_DP_PID=
NT_DP_LOG=
NT_SOCK=

nt_log() { echo "# $*" >&2; }
nt_fail() { echo "FAIL: $*" >&2; nt_dump_dp_log; exit 1; }
nt_skip() { echo "SKIP: $*" >&2; exit 77; }

nt_dump_dp_log() {
	if [ -n "$NT_DP_LOG" ] && [ -f "$NT_DP_LOG" ]; then
		echo "--- sluice-dp log (last ${NT_LOG_LINES:-30} lines) ---" >&2
		tail -n "${NT_LOG_LINES:-30}" "$NT_DP_LOG" >&2 || true
	fi
}

# Run "cmd args" at cleanup time (last registered runs first).
nt_on_exit() { NT_CLEANUPS+=("$*"); }

nt_cleanup() {
	local rc=$? i pid
	set +e
	for ((i = ${#NT_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${NT_CLEANUPS[$i]}" >/dev/null 2>&1
	done
	for pid in "${NT_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${NT_PIDS[@]}"; do
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for l in "${NT_LINKS[@]}"; do
		ip link del "$l" 2>/dev/null
	done
	for ns in "${NT_NAMESPACES[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	for f in "${NT_FILES[@]}"; do
		rm -rf "$f"
	done
	exit "$rc"
}

# Check root and tools; pick NT_ID; install the trap.
nt_init() {
	[ "$(id -u)" = 0 ] || nt_skip "needs root"
	command -v ip >/dev/null || nt_skip "needs iproute2"
	ip netns list >/dev/null 2>&1 || nt_skip "no network namespaces"
	[ -n "${SLUICE_DP:-}" ] && [ -x "$SLUICE_DP" ] ||
		nt_fail "SLUICE_DP is not set to the sluice-dp program"
	# For an ASan build of sluice-dp: known third-party leaks only.
	export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$NT_LIB/lsan.supp"
	# AF_XDP pins its UMEM: memlock, or root's CAP_IPC_LOCK when a
	# container refuses to raise the limit (as here).
	ulimit -l unlimited 2>/dev/null || true
	# 4 characters of the PID plus 2 random: unique among parallel runs.
	NT_ID=$(printf 'n%04x%02x' $(($$ & 0xffff)) $((RANDOM & 0xff)))
	NT_TMP=$(mktemp -d "/tmp/sluice-$NT_ID.XXXX")
	NT_FILES+=("$NT_TMP")
	NT_SOCK="$NT_TMP/dp.sock"
	trap nt_cleanup EXIT
	trap 'exit 1' INT TERM
}

# Namespace "$NT_ID-$1" with loopback up. Prints nothing.
nt_ns() { echo "$NT_ID-$1"; }
nt_ns_add() {
	local ns
	ns=$(nt_ns "$1")
	ip netns add "$ns" || nt_fail "ip netns add $ns"
	NT_NAMESPACES+=("$ns")
	ip -n "$ns" link set lo up
}

nt_exec() { local ns; ns=$(nt_ns "$1"); shift; ip netns exec "$ns" "$@"; }

# nt_veth NS IFNAME ADDR/LEN HOSTIF [MAC]: a veth pair with IFNAME in the
# namespace (address set, up) and HOSTIF on the host (up, no address).
# Offloads are turned off on both ends: a userspace switch forwards whole,
# checksummed frames, not TSO/GSO super-frames with partial checksums.
nt_veth() {
	local ns=$(nt_ns "$1") ifn=$2 addr=$3 host=$4 mac=${5:-}
	ip link add "$host" type veth peer name "$ifn" netns "$ns" ||
		nt_fail "ip link add $host"
	NT_LINKS+=("$host")
	[ -n "$mac" ] && ip -n "$ns" link set "$ifn" address "$mac"
	ip -n "$ns" addr add "$addr" dev "$ifn"
	nt_offloads_off "$host"
	ip netns exec "$ns" bash -c "$(declare -f nt_offloads_off); nt_offloads_off $ifn"
	ip -n "$ns" link set "$ifn" up
	ip link set "$host" up
}

nt_offloads_off() {
	ethtool -K "$1" tx off rx off tso off gso off gro off sg off \
		>/dev/null 2>&1 || true
	ethtool -K "$1" tx-checksumming off >/dev/null 2>&1 || true
}

# Start sluice-dp in the background with "$@" plus --socket "$NT_SOCK" and
# a unique --file-prefix; waits until its socket exists.
nt_dp_start() {
	NT_DP_LOG="$NT_TMP/dp.log"
	"$SLUICE_DP" --socket "$NT_SOCK" --file-prefix "sl-$NT_ID" "$@" \
		>"$NT_DP_LOG" 2>&1 &
	NT_DP_PID=$!
	NT_PIDS+=("$NT_DP_PID")
	local i
	for i in $(seq 100); do
		kill -0 "$NT_DP_PID" 2>/dev/null ||
			nt_fail "sluice-dp exited at start"
		if [ -S "$NT_SOCK" ] && grep -q 'running:' "$NT_DP_LOG"; then
			return 0
		fi
		sleep 0.1
	done
	nt_fail "sluice-dp did not come up in 10 s"
}

nt_dp_alive() { kill -0 "$NT_DP_PID" 2>/dev/null; }

# SIGTERM sluice-dp; fail unless it exits 0 within 10 s and removed its
# socket.
nt_dp_stop() {
	local i rc=0
	[ -n "$NT_DP_PID" ] || return 0
	kill -TERM "$NT_DP_PID" 2>/dev/null || nt_fail "sluice-dp is not running"
	for i in $(seq 100); do
		kill -0 "$NT_DP_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$NT_DP_PID" 2>/dev/null && nt_fail "sluice-dp ignored SIGTERM"
	wait "$NT_DP_PID" || rc=$?
	NT_DP_PID=
	[ "$rc" = 0 ] || nt_fail "sluice-dp exited with $rc"
	[ -e "$NT_SOCK" ] && nt_fail "sluice-dp left its socket $NT_SOCK"
	return 0
}

# sluicectl against this test's sluice-dp.
nt_ctl() {
	[ -n "${SLUICECTL:-}" ] && [ -x "$SLUICECTL" ] ||
		nt_fail "SLUICECTL is not set to the sluicectl program"
	"$SLUICECTL" -s "$NT_SOCK" "$@"
}

# Write flows (one per line, stdin) to a file in NT_TMP; prints its path.
nt_flows_file() {
	local f="$NT_TMP/flows.$RANDOM"
	cat >"$f"
	echo "$f"
}

# nt_ping NS DST COUNT [extra ping args]: fails on any loss.
nt_ping() {
	local ns=$1 dst=$2 count=$3 out
	shift 3
	out=$(nt_exec "$ns" ping -n -c "$count" "$@" "$dst" 2>&1) || {
		echo "$out" >&2
		nt_fail "ping $dst from $ns failed"
	}
	echo "$out" | grep -q " 0% packet loss" || {
		echo "$out" >&2
		nt_fail "ping $dst from $ns lost packets"
	}
}
