# SPDX-License-Identifier: BSD-2-Clause
# tests/lib/netns.sh: shared helpers for the root integration tests that run
# in network namespaces (tests/netns/ and others). Source it from a bash
# script:
#
#   . "$(dirname "$0")/../lib/netns.sh"
#   nt_init                       # root, names, trap cleanup, NT_TMP
#   nt_ns_add A                   # namespace "$NT_ID-A" (nt_ns A), lo up
#   nt_veth A eth0 10.9.0.1/24 h0 [MAC]  # eth0 in A, h0 on the host
#   nt_dp_start --port p1=af_packet:h0 ...   # sluice-dp on $NT_SOCK
#   nt_ctl dp add-flows - <<EOF ... EOF      # sluicectl -s $NT_SOCK
#   nt_ping_wait A 10.9.0.2       # settle (ARP); fail after 30 s
#   nt_ping A 10.9.0.2 5 -i 0.1   # fail on any loss
#   nt_exec A cmd ...             # run in a namespace
#   cmd & NT_PIDS+=($!)           # background process ended at exit
#   nt_on_exit "cmd"              # extra cleanup at exit
#   nt_hugepages 160              # pages reserved + private mount in
#                                 # NT_HUGE_DIR, given back at exit
#   nt_dp_stop                    # SIGTERM, expects exit 0, socket gone
#
set -euo pipefail

NT_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$NT_LIB/dp_spawn.sh"

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

# Run "cmd args" at cleanup time, after the processes started here were
# ended and before links and namespaces go (last registered runs first).
nt_on_exit() { NT_CLEANUPS+=("$*"); }

nt_cleanup() {
	local rc=$? i pid
	set +e
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
	for ((i = ${#NT_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${NT_CLEANUPS[$i]}" >/dev/null 2>&1
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
# a unique --file-prefix (again on a fanout group clash: sluice_dp_spawn,
# dp_spawn.sh); waits (up to 30 s: a loaded machine) until its socket
# exists and it logged that it runs.
nt_dp_start() {
	[ -n "${SLUICE_DP:-}" ] && [ -x "$SLUICE_DP" ] ||
		nt_fail "SLUICE_DP is not set to the sluice-dp program"
	NT_DP_LOG="$NT_TMP/dp.log"
	: >"$NT_DP_LOG"
	# sluice-dp removes its EAL runtime directory itself, unless it crashed.
	nt_on_exit "rm -rf /var/run/dpdk/sl-$NT_ID"
	sluice_dp_spawn "$NT_SOCK" "sl-$NT_ID" "$NT_DP_LOG" "$@"
	NT_DP_PID=$dp_pid
	NT_PIDS+=("$NT_DP_PID")

	local i
	for i in $(seq 300); do
		kill -0 "$NT_DP_PID" 2>/dev/null ||
			nt_fail "sluice-dp exited at start"
		if [ -S "$NT_SOCK" ] && grep -q 'running:' "$NT_DP_LOG"; then
			return 0
		fi
		sleep 0.1
	done
	nt_fail "sluice-dp did not come up in 30 s"
}

nt_dp_alive() { kill -0 "$NT_DP_PID" 2>/dev/null; }

# SIGTERM sluice-dp; fail unless it exits 0 within 30 s and removed its
# socket.
nt_dp_stop() {
	local i rc=0
	[ -n "$NT_DP_PID" ] || return 0
	kill -TERM "$NT_DP_PID" 2>/dev/null || nt_fail "sluice-dp is not running"
	# Well under a second normally; allow for a starved worker lcore on
	# a loaded machine (it must run to leave its loop).
	for i in $(seq 300); do
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

# nt_ping_wait NS DST: wait (up to 30 s) until DST answers one ping; the
# first packets of a path also resolve ARP and may be lost or late on a
# loaded machine, so tests settle with this before counting losses.
nt_ping_wait() {
	local i
	for i in $(seq 10); do
		nt_exec "$1" ping -n -c 1 -W 3 "$2" >/dev/null 2>&1 && return 0
	done
	nt_ctl dp ports >&2 || true
	nt_ctl dp stats >&2 || true
	nt_fail "no answer from $2 in $1 within 30 s"
}

# nt_ping_answered FILE N: true when ping's output FILE shows a reply to
# every one of the requests icmp_seq 1..N. Run ping with -c N -w DEADLINE:
# it then waits for replies instead of giving up 2 RTTs after its last
# send; it may send more than N while replies are late (a loaded machine),
# which is not a loss.
nt_ping_answered() {
	local got
	got=$(grep -o 'icmp_seq=[0-9]*' "$1" | cut -d= -f2 | sort -n -u |
		awk -v n="$2" '$1 >= 1 && $1 <= n' | wc -l)
	[ "$got" = "$2" ]
}

# nt_iperf3 FROM TO ADDR LABEL: a 3 s iperf3 TCP run from namespace FROM
# to a one-shot server on ADDR in TO; prints "iperf3 TCP LABEL: R Mbit/s"
# and fails under 1 Mbit/s (it proves TCP flows on a loaded CI machine,
# not speed).
nt_iperf3() {
	local from=$1 to=$2 addr=$3 label=$4 out rate
	nt_exec "$to" iperf3 -s -1 -B "$addr" >/dev/null 2>&1 &
	NT_PIDS+=($!)
	sleep 0.5
	out=$(nt_exec "$from" iperf3 -c "$addr" -t 3 -f m) || {
		echo "$out" >&2
		nt_fail "iperf3 $label failed"
	}
	rate=$(echo "$out" | awk '/receiver/ { print $(NF-2) }')
	echo "iperf3 TCP $label: $rate Mbit/s"
	awk -v r="$rate" 'BEGIN { exit !(r > 1) }' ||
		nt_fail "iperf3 $label: $rate Mbit/s is under 1 Mbit/s"
}

# nt_ping NS DST COUNT [extra ping args]: fails unless every request is
# answered.
nt_ping() {
	local ns=$1 dst=$2 count=$3 f
	shift 3
	f="$NT_TMP/ping.$RANDOM"
	nt_exec "$ns" ping -n -c "$count" -w $((count + 30)) "$@" "$dst" \
		>"$f" 2>&1 || true
	nt_ping_answered "$f" "$count" || {
		cat "$f" >&2
		nt_fail "ping $dst from $ns: not all $count requests answered"
	}
}

# nt_hugepages N: make N free 2 MiB hugepages available and mount a private
# hugetlbfs of N pages at NT_HUGE_DIR (call it directly, not in $(...): the
# cleanup it registers must reach the test's shell). Pages reserved here
# are given back at exit. Skips (77) when the kernel cannot reserve them.
nt_hugepages() {
	local n=$1 f=/proc/sys/vm/nr_hugepages total free
	total=$(cat "$f")
	free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	if [ "$free" -lt "$n" ]; then
		nt_on_exit "echo $total > $f"
		echo $((total + n - free)) >"$f" 2>/dev/null || true
		free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
		[ "$free" -ge "$n" ] ||
			nt_skip "cannot reserve $n hugepages ($free free)"
	fi
	NT_HUGE_DIR="$NT_TMP/huge"
	mkdir -p "$NT_HUGE_DIR"
	mount -t hugetlbfs -o "pagesize=2M,size=$((n * 2))M" nodev \
		"$NT_HUGE_DIR" || nt_skip "cannot mount hugetlbfs"
	nt_on_exit "umount $NT_HUGE_DIR"
}

# Hugepages of NT_HUGE_DIR's mount in use (by any process, files unlinked
# or not): other tests on the machine do not disturb this count.
nt_hugepages_used() {
	stat -f -c '%b %f' "$NT_HUGE_DIR" | awk '{ print $1 - $2 }'
}
