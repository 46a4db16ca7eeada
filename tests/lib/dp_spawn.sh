# SPDX-License-Identifier: BSD-2-Clause
# dp_spawn.sh: start sluice-dp for a test, past DPDK's af_packet fanout
# group clash (sourced by sluice.sh and netns.sh; the one place of that
# retry, docs/runtime.md "Fanout group clashes").
#
# sluice_dp_spawn SOCK PREFIX LOG [ARGS...]: start $SLUICE_DP on control
#   socket SOCK with DPDK file prefix PREFIX and extra ARGS, its output
#   appended to LOG; set dp_pid; wait (30 s at most) until SOCK exists or
#   sluice-dp exited. DPDK 22.11's af_packet driver joins fanout group
#   (pid ^ ifindex) & 0xffff, which another sluice-dp in this namespace
#   can hold: when sluice-dp exited and its part of LOG says so, start it
#   again (a new PID, another group), three tries in all. Returns 0; the
#   caller then waits for sluice-dp to answer and fails if it exited.

sluice_dp_spawn() {
	local sock=$1 prefix=$2 log=$3 at
	shift 3
	ulimit -l unlimited 2>/dev/null || true
	for _ in 1 2 3; do
		at=1
		[ -f "$log" ] && at=$(($(wc -l <"$log") + 1))
		"$SLUICE_DP" --socket "$sock" --file-prefix "$prefix" "$@" \
			>>"$log" 2>&1 &
		dp_pid=$!
		for _ in $(seq 3000); do
			[ -S "$sock" ] || ! kill -0 "$dp_pid" 2>/dev/null &&
				break
			sleep 0.01
		done
		kill -0 "$dp_pid" 2>/dev/null ||
			! tail -n "+$at" "$log" |
			grep -q 'could not set PACKET_FANOUT' || continue
		break
	done
	return 0
}
