#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# dp-bench.sh: the datapath benchmark. In one invocation, on the same
# traffic and with one forwarding core each (CPU 1; CPU 0 holds everything
# else), it runs Sluice's sluice-dp, dpdk-testpmd io forwarding (the I/O
# ceiling) and Open vSwitch with its DPDK datapath (a private instance),
# each on a net_pcap port replaying a pcap of 64-byte Eth/IPv4/UDP frames
# forever into a net_null sink, and prints one line per case:
#
#   case=NAME sluice_mpps=X ovs_mpps=Y testpmd_mpps=Z vs_ovs=X/Y vs_ceiling=X/Z
#
# then rule install times, time back to full rate after a cache flush under
# load, callgrind instructions per packet of the pipeline, and resident
# memory with 1M rules. See docs/benchmarks.md.
#
# Usage: dp-bench.sh [--build DIR] [--seconds N] [--quick]
#                    [--only sluice|ovs|testpmd] [--cases "C1 C2"] [--keep]
# --build: the meson build tree with sluice-dp, sluicectl, dp-pipeline-bench
# and dp-bench-sample (default $SLUICE_BUILD or /work/main/build).
# Cases: simple l3-1flow l3-100kflows exact-100k ct-snat-100k lb-100k
# (default all; --quick: simple l3-100kflows, 3 s each, no 1M rules).
# ct-snat-100k: the 100k flows through ct(commit,nat(src=8 addresses))
# then output, on both switches (docs/conntrack.md). lb-100k: the 100k
# flows to a VIP balanced over 8 members: Sluice's lb_select (full NAT)
# beside OVS doing what OVN programs for a load balancer (ct(nat) to a
# select group whose buckets ct(commit,nat(dst=member)); DNAT only)
# (docs/lbaas.md). --keep keeps the work dir.
# Needs root, hugepages, dpdk-testpmd (dpdk-dev), openvswitch-switch-dpdk,
# valgrind. Cleans up exactly what it started.

set -u

BUILD=${SLUICE_BUILD:-/work/main/build}
SECS=
QUICK=0
ONLY=all
KEEP=0
CASES_OPT=
HERE=$(cd "$(dirname "$0")" && pwd)
GEN="/usr/bin/python3 $HERE/bench-gen.py"
OVS_VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk

usage() {
	sed -n '/^# Usage/,/^# valgrind/p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift ;;
	--seconds) SECS=$2; shift ;;
	--quick) QUICK=1 ;;
	--only) ONLY=$2; shift ;;
	--keep) KEEP=1 ;;
	--cases) CASES_OPT=$2; shift ;;
	-h|--help) usage 0 ;;
	*) echo "dp-bench: unknown option $1" >&2; usage 2 ;;
	esac
	shift
done
case $ONLY in all|sluice|ovs|testpmd) ;; *) usage 2 ;; esac
[ -n "$SECS" ] || { [ "$QUICK" = 1 ] && SECS=3 || SECS=10; }
case $SECS in ''|*[!0-9]*) echo "dp-bench: --seconds takes an integer" >&2
	exit 2 ;; esac
[ "$SECS" -ge 2 ] || SECS=2

# Quick mode: shorter runs, two cases, no 1M rules, OVS install skipped.
if [ "$QUICK" = 1 ]; then
	CASES="simple l3-100kflows"
	OVS_INSTALL_BOUND=60
	FLUSH_BOUND_OVS=8
	CG_PACKETS="100000 300000"
	BIG_RULES=0
else
	CASES="simple l3-1flow l3-100kflows exact-100k lb-100k ct-snat-100k"
	OVS_INSTALL_BOUND=240
	FLUSH_BOUND_OVS=30
	CG_PACKETS="500000 1500000"
	BIG_RULES=1000000
fi
FLUSH_BOUND_SL=5
SETTLE_BOUND=$(( QUICK ? 10 : 60 ))
if [ -n "$CASES_OPT" ]; then
	for c in $CASES_OPT; do
		case $c in simple|l3-1flow|l3-100kflows|exact-100k|ct-snat-100k|lb-100k) ;;
		*) echo "dp-bench: unknown case $c" >&2; exit 2 ;;
		esac
	done
	CASES=$CASES_OPT
fi
WARM=3			# seconds of traffic before measuring a case

SLUICE_DP=$BUILD/datapath/dpdk/sluice-dp
SLUICECTL=$BUILD/control/sluicectl/sluicectl
PIPEBENCH=$BUILD/datapath/src/dp-pipeline-bench
LBBENCH=$BUILD/datapath/src/dp-lb-bench
SAMPLER=$BUILD/tests/bench/dp-bench-sample
[ -x "$SAMPLER" ] || SAMPLER=$HERE/dp-bench-sample
[ -x "$SAMPLER" ] || SAMPLER=

log() { echo "# $*" >&2; }
die() { echo "dp-bench: $*" >&2; exit 1; }
want() { [ "$ONLY" = all ] || [ "$ONLY" = "$1" ]; }
now_ns() { date +%s%N; }

[ "$(id -u)" -eq 0 ] || { echo "dp-bench: needs root" >&2; exit 77; }

# Everything this script runs itself stays on CPU 0; the forwarding
# processes place their own worker on CPU 1.
taskset -pc 0 $$ >/dev/null 2>&1 || true

WORK=$(mktemp -d /tmp/dp-bench.XXXXXX) || die "mktemp failed"
HUGE=$WORK/huge
PFX=dpb$$
HUGE_ORIG=$(cat /proc/sys/vm/nr_hugepages)
HUGE_MOUNTED=0
HUGE_SET=
PIDS=()
AUTOGROUP_NICE=
OVS_UP=0
BR=dpb$$
SL_PID=
SL_SOCK=$WORK/sluice.sock

forget_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# Stop one process we started: TERM, then KILL after a bounded wait.
stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { forget_pid "$pid"; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	forget_pid "$pid"
}

cleanup() {
	local p
	trap - EXIT INT TERM
	[ -n "$SL_PID" ] && stop_pid "$SL_PID"
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	if [ "$OVS_UP" = 1 ]; then
		ovs_stop
	fi
	if [ "$HUGE_MOUNTED" = 1 ]; then
		umount "$HUGE" 2>/dev/null || umount -l "$HUGE"
	fi
	# Back to the value at start, unless someone else changed it since.
	if [ -n "$HUGE_SET" ] &&
	   [ "$(cat /proc/sys/vm/nr_hugepages)" = "$HUGE_SET" ]; then
		echo "$HUGE_ORIG" > /proc/sys/vm/nr_hugepages
	fi
	if [ -n "$AUTOGROUP_NICE" ]; then
		echo "$AUTOGROUP_NICE" > /proc/$$/autogroup 2>/dev/null
	fi
	rm -rf /var/run/dpdk/"$PFX"-*
	if [ "$KEEP" = 1 ]; then
		log "kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# With autogroup scheduling (Debian's default) `nice` only ranks threads
# within one session: a nice -20 busy loop on CPU 1 got 37 % of it beside
# a nice 0 fuzzer from another session, and 98 % once its session's
# autogroup was at -20. So the session runs at -20 for the benchmark and
# goes back to its value at exit.
AUTOGROUP_NICE=
if [ -w /proc/$$/autogroup ]; then
	AUTOGROUP_NICE=$(awk '{print $NF}' /proc/$$/autogroup)
	echo -20 > /proc/$$/autogroup 2>/dev/null || AUTOGROUP_NICE=
fi

# bg CMD...: run CMD as a tracked child and wait for it, so a signal to
# the script is acted on at once (bash runs traps only between foreground
# commands, and some of these take minutes). Returns CMD's status.
bg() {
	local pid rc
	"$@" &
	pid=$!
	PIDS+=("$pid")
	wait "$pid"
	rc=$?
	forget_pid "$pid"
	return $rc
}

# --- statistics helpers -------------------------------------------------

# Median of the numbers on stdin ("-" if none).
median() {
	sort -g | awk '{v[NR]=$1} END {
		if (NR == 0) { print "-"; exit }
		m = NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2
		printf "%.2f\n", m }'
}

# ratio A B: A/B to two decimals, "-" when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || a == "" || b == "" || b+0 == 0)
			print "-"; else printf "%.2f\n", a/b }'
}

# Nominal TSC frequency in MHz (a constant-TSC VM reports it as cpu MHz).
TSC_MHZ=$(awk -F: '/^cpu MHz/ {printf "%.0f", $2; exit}' /proc/cpuinfo)
[ -n "$TSC_MHZ" ] || TSC_MHZ=2600
cpp() {	# cycles/packet of one busy core at Mpps $1
	awk -v m="$1" -v f="$TSC_MHZ" 'BEGIN {
		if (m == "-" || m+0 == 0) print "-"; else printf "%.0f\n", f/m }'
}

# rate_median FN SECS: call FN (prints a tx packet counter) every second
# for SECS seconds; print the median Mpps over the 1 s windows.
rate_median() {
	local fn=$1 n=$2 i c0 t0 c1 t1
	c0=$($fn) t0=$(now_ns)
	for i in $(seq "$n"); do
		sleep 1
		c1=$($fn) t1=$(now_ns)
		case $c0$c1 in *[!0-9]*|'') ;;
		*) awk -v d=$((c1 - c0)) -v t=$((t1 - t0)) \
			'BEGIN {printf "%.3f\n", d * 1000 / t}' ;;
		esac
		c0=$c1 t0=$t1
	done | median
}

# The forwarding thread of a process (DPDK worker lcore, OVS PMD):
# prints /proc/PID/task/TID, or nothing.
fwd_task() {
	local t p
	for t in /proc/"$1"/task/*; do
		case $(cat "$t/comm" 2>/dev/null) in
		lcore-worker-1|rte-worker-1|pmd-c01*) echo "$t"; return ;;
		esac
	done
	# Behind timeout(1): look at the children.
	for p in $(cat /proc/"$1"/task/"$1"/children 2>/dev/null); do
		fwd_task "$p"
	done
}
# ns the thread has run (schedstat field 1) and now, "CPU_NS WALL_NS".
cpu_mark() {
	local c=0
	[ -n "$1" ] && read -r c _ < "$1/schedstat" 2>/dev/null
	echo "${c:-0} $(now_ns)"
}
# cpu_share "C0 W0" "C1 W1": the share of wall time the thread ran.
cpu_share() {
	echo "$1 $2" | awk '{ if ($1 == 0 || $4 <= $2) print "-";
		else printf "%.2f\n", ($3 - $1) / ($4 - $2) }'
}
# per_core MPPS SHARE: Mpps per second of forwarding-thread CPU.
per_core() {
	awk -v m="$1" -v s="$2" 'BEGIN {
		if (m == "-" || s == "-" || s + 0 <= 0) print "-";
		else printf "%.2f\n", m / s }'
}

# settle FN BOUND [READY]: after a warm-up, wait (at most BOUND seconds)
# until READY (a command, if given) succeeds and the rate is steady: 5
# consecutive 1 s windows within 30 % of each other. Prints the seconds
# it took. OVS needs READY with 100k exact rules: its megaflow limit
# starts at 10k and grows 1-2k a second, and the rate sits on a steady
# plateau of upcalls (0.17 Mpps here) until the 100k megaflows fit, then
# jumps (1.2-1.4 Mpps here, after about 40 s).
settle() {
	local fn=$1 bound=$2 ready=${3:-} i c0 t0 c1 t1 w=""
	c0=$($fn) t0=$(now_ns)
	for i in $(seq "$bound"); do
		sleep 1
		if [ -n "$ready" ] && ! $ready; then
			c0=$($fn) t0=$(now_ns) w=""
			continue
		fi
		c1=$($fn) t1=$(now_ns)
		case $c0$c1 in *[!0-9]*|'') c0=$c1 t0=$t1; continue ;; esac
		w="$w $(( (c1 - c0) * 1000 / ((t1 - t0) / 1000000) ))"
		c0=$c1 t0=$t1
		# shellcheck disable=SC2086
		set -- $w
		[ $# -gt 5 ] && shift $(( $# - 5 ))
		w="$*"
		[ $# -eq 5 ] && echo "$w" | awk '{
			mn = $1; mx = $1
			for (i = 2; i <= NF; i++) {
				if ($i < mn) mn = $i; if ($i > mx) mx = $i }
			exit !(mn > 0 && mx <= 1.3 * mn) }' && break
	done
	echo "$i"
}

# recovery FN FLUSHCMD BOUND: sample FN every 100 ms, run FLUSHCMD after
# 1.5 s, keep sampling BOUND seconds; print "SECONDS MIN_MPPS BASE_MPPS":
# SECONDS from the flush until the rate, averaged over 0.5 s, is back to
# 90 % of the mean before the flush (">BOUND" if it never was); MIN_MPPS
# the lowest 100 ms window after the flush, until then.
recovery() {
	local fn=$1 flush=$2 bound=$3 tf end c
	local samples=$WORK/recovery.$fn.$RANDOM
	: > "$samples"
	end=$(( $(now_ns) + (bound * 1000 + 1500) * 1000000 ))
	(
		while [ "$(now_ns)" -lt "$end" ]; do
			c=$($fn)
			echo "$(now_ns) $c"
			sleep 0.1
		done > "$samples"
	) &
	local spid=$!
	PIDS+=("$spid")
	sleep 1.5
	tf=$(now_ns)
	$flush >/dev/null 2>&1
	wait "$spid"
	forget_pid "$spid"
	echo "# flush_at $tf" >> "$samples"
	recovery_eval "$samples" "$bound"
}

# recovery_eval FILE BOUND: lines "TIME_NS COUNT" and "# flush_at TIME_NS".
recovery_eval() {
	local samples=$1 bound=$2 tf
	tf=$(awk '$2 == "flush_at" {print $3}' "$samples")
	[ -n "$tf" ] || { echo "- - -"; return; }
	awk -v tf="$tf" -v bound="$bound" '
		$2 !~ /^[0-9]+$/ { next }
		{ n++; t[n] = $1; c[n] = $2 }
		END {
			# base: mean rate before the flush
			for (i = 1; i <= n && t[i] <= tf; i++) last = i
			if (last < 2) { print "- - -"; exit }
			base = (c[last] - c[1]) * 1000 / (t[last] - t[1])
			# window k covers (t[k-1], t[k]]; the first post-flush
			# window is the one that ends after tf. Recovered at the
			# start of the first 0.5 s (5 windows) whose mean is
			# back to 90 % of base: a mean, because 100 ms windows
			# swing with the scheduler on a shared machine.
			rec = -1; min = -1
			for (k = last + 1; k <= n; k++) {
				r = (c[k] - c[k-1]) * 1000 / (t[k] - t[k-1])
				if (min < 0 || r < min) min = r
				if (k + 4 > n) break
				m = (c[k+4] - c[k-1]) * 1000 / (t[k+4] - t[k-1])
				if (m >= 0.9 * base) { rec = t[k-1]; break }
			}
			if (rec < 0) s = ">" bound
			else s = sprintf("%.1f", rec > tf ? (rec - tf) / 1e9 : 0)
			printf "%s %.3f %.3f\n", s, min, base
		}' "$samples"
}

# --- set-up -------------------------------------------------------------

setup_huge() {
	# One program at a time uses hugepages: 1024 MB (512 pages) each,
	# so 768 free 2 MB pages, with room. Other users' pages are left be.
	local need=768 free
	free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "${free:-0}" -lt "$need" ]; then
		echo $((HUGE_ORIG + need - ${free:-0})) > /proc/sys/vm/nr_hugepages
		HUGE_SET=$(cat /proc/sys/vm/nr_hugepages)
	fi
	mkdir -p "$HUGE"
	mount -t hugetlbfs -o pagesize=2M nodev "$HUGE" ||
		die "cannot mount hugetlbfs on $HUGE"
	HUGE_MOUNTED=1
	free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
	[ "${free:-0}" -ge "$need" ] ||
		die "could not reserve $need free 2 MB hugepages (${free:-0} free)"
}

gen_traffic() {
	log "generating traffic and rules in $WORK"
	$GEN pcap --flows 1 --frames 100000 "$WORK/flows1.pcap" &&
	$GEN pcap --flows 100000 "$WORK/flows100k.pcap" &&
	$GEN rules --kind simple "$WORK/simple.rules" &&
	$GEN rules --kind l3 "$WORK/l3.rules" &&
	$GEN rules --kind exact --n 100000 "$WORK/exact100k.rules" ||
		die "traffic generation failed"
	# Connection tracking with source NAT: one syntax for both switches.
	cat >"$WORK/ct-snat.rules" <<-'RULES'
	table=0,priority=10,ip,in_port=1,actions=ct(zone=1,commit,nat(src=203.0.113.1-203.0.113.8),table=1)
	table=1,priority=10,ct_state=+trk-inv,ip,actions=output:2
	RULES
	# A load balancer: VIP 192.168.0.1:5001 (the pcap's destination),
	# 8 members 10.9.0.1-8:80. Sluice: lb_select with full NAT (source
	# to 203.0.113.1, the pool is set by sl_lb_pool). OVS: OVN's flows
	# for a load balancer (logical flows ct_lb): ct(nat) restores known
	# connections, a new one goes to a select group (dp_hash, OVN's
	# default) whose bucket commits it with nat(dst=member).
	cat >"$WORK/lb-sluice.rules" <<-'RULES'
	table=0,priority=10,udp,in_port=1,nw_dst=192.168.0.1,tp_dst=5001,actions=lb_select(pool=1,zone=1,table=1)
	table=1,priority=10,ct_state=+trk-inv,ip,actions=output:2
	RULES
	cat >"$WORK/lb-ovs.rules" <<-'RULES'
	table=0,priority=10,udp,in_port=1,nw_dst=192.168.0.1,tp_dst=5001,actions=ct(zone=1,nat,table=1)
	table=1,priority=20,ct_state=+new+trk,ip,actions=group:1
	table=1,priority=10,ct_state=+est+trk,ip,actions=output:2
	table=2,priority=10,ip,actions=output:2
	RULES
	{
		printf 'group_id=1,type=select,selection_method=dp_hash'
		for i in 1 2 3 4 5 6 7 8; do
			printf ',bucket=weight:100,actions=ct(commit,zone=1,nat(dst=10.9.0.%s:80),table=2)' "$i"
		done
		echo
	} >"$WORK/lb-ovs.groups"
	if [ "$BIG_RULES" -gt 0 ]; then
		$GEN rules --kind exact --n "$BIG_RULES" "$WORK/exact1m.rules" ||
			die "rule generation failed"
	fi
}

case_pcap() {
	case $1 in
	simple|l3-1flow) echo "$WORK/flows1.pcap" ;;
	*) echo "$WORK/flows100k.pcap" ;;
	esac
}
case_rules() {
	case $1 in
	simple) echo "$WORK/simple.rules" ;;
	l3-*) echo "$WORK/l3.rules" ;;
	exact-100k) echo "$WORK/exact100k.rules" ;;
	ct-snat-100k) echo "$WORK/ct-snat.rules" ;;
	lb-100k) echo "$WORK/lb-sluice.rules" ;;
	esac
}

# The pool of case lb-100k in sluice-dp (before its rules).
sl_lb_pool() {
	local m=() i
	for i in 1 2 3 4 5 6 7 8; do m+=("member=10.9.0.$i:80"); done
	sl_ctl dp lb-set id=1 alg=source_ip_port src=203.0.113.1 "${m[@]}" \
		>/dev/null
}

declare -A RES	# RES[system.case] = Mpps
declare -A EXTRA # free-form result lines by key
declare -A SHARE # SHARE[system.case] = CPU share of the forwarding thread

# --- testpmd: the I/O ceiling --------------------------------------------

tp_case() {
	local c=$1 pcap log pid
	pcap=$(case_pcap "$c")
	log=$WORK/testpmd.$c.log
	timeout -k 5 -s INT $((SECS + WARM + 15)) \
		nice -n -20 dpdk-testpmd -l 0,1 --main-lcore 0 --no-pci \
		--huge-dir "$HUGE" --file-prefix "$PFX-tp" --huge-unlink \
		-m 1024 --vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" \
		--vdev "net_null0,no-rx=1" -- --nb-cores=1 --forward-mode=io \
		--total-num-mbufs=200000 --stats-period=1 \
		</dev/null >"$log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	# Stop it once WARM + SECS non-zero samples of port 1 are in; the
	# worker's CPU share is taken over the SECS samples kept.
	local n task="" m0="" m1=""
	while kill -0 "$pid" 2>/dev/null; do
		sleep 0.5
		n=$(awk '/NIC statistics for port/ { port = $(NF-1) }
			/Tx-pps/ && port == 1 && $2 > 0 { n++ }
			END { print n + 0 }' "$log")
		[ -n "$task" ] || task=$(fwd_task "$pid")
		[ -z "$m0" ] && [ "$n" -ge $((WARM - 1)) ] &&
			m0=$(cpu_mark "$task")
		if [ "$n" -ge $((WARM + SECS - 1)) ]; then
			m1=$(cpu_mark "$task")
			kill -INT "$pid" 2>/dev/null
			break
		fi
	done
	[ -n "$m0" ] && [ -n "$m1" ] && SHARE[testpmd.$c]=$(cpu_share "$m0" "$m1")
	wait "$pid"
	forget_pid "$pid"
	# Tx-pps of port 1 (the null sink) once a second; drop the seconds
	# before traffic and the warm-up, keep SECS windows.
	RES[testpmd.$c]=$(awk -v warm="$WARM" -v secs="$SECS" '
		/NIC statistics for port/ { port = $(NF-1) }
		/Tx-pps/ && port == 1 {
			if ($2 == 0 && !started) next
			started = 1
			if (++n > warm - 1 && k < secs) { k++
				printf "%.2f\n", $2 / 1e6 }
		}' "$log" | median)
	log "testpmd $c: ${RES[testpmd.$c]} Mpps"
}

# --- Open vSwitch with its DPDK datapath -------------------------------

OVS_DIR=$WORK/ovs
OVS_PCAP=
OVS_VDEV=0
OVS_PIDS=
ovsctl() { timeout 60 ovs-vsctl "$@"; }
ofctl() { timeout 60 ovs-ofctl "$@"; }
ovsapp() { timeout 30 ovs-appctl -t ovs-vswitchd-dpdk "$@"; }

ovs_start() {
	local i
	mkdir -p "$OVS_DIR"
	export OVS_RUNDIR=$OVS_DIR OVS_LOGDIR=$OVS_DIR OVS_DBDIR=$OVS_DIR \
		OVS_SYSCONFDIR=$OVS_DIR
	ovsdb-tool create "$OVS_DIR/conf.db" \
		/usr/share/openvswitch/vswitch.ovsschema || return 1
	OVS_UP=1
	# Not --detach: they stay our children, stopped and reaped by PID.
	ovsdb-server "$OVS_DIR/conf.db" --remote="punix:$OVS_DIR/db.sock" \
		--pidfile --log-file -vconsole:off >/dev/null 2>&1 &
	OVS_PIDS="$!"
	for i in $(seq 50); do
		[ -S "$OVS_DIR/db.sock" ] && break
		sleep 0.1
	done
	ovsctl --no-wait init || return 1
	ovsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
		other_config:dpdk-socket-mem=1024 \
		other_config:pmd-cpu-mask=0x2 \
		other_config:dpdk-extra="--no-pci --huge-dir=$HUGE --file-prefix=$PFX-ovs" ||
		return 1
	"$OVS_VSWITCHD" --pidfile --log-file -vconsole:off >/dev/null 2>&1 &
	OVS_PIDS="$OVS_PIDS $!"
	for i in $(seq 100); do
		ovsapp version >/dev/null 2>&1 && break
		sleep 0.2
	done
	ovsctl add-br "$BR" -- set bridge "$BR" datapath_type=netdev \
		fail_mode=secure || return 1
	ovsctl add-port "$BR" p1 -- set Interface p1 type=dpdk \
		ofport_request=2 options:dpdk-devargs="net_null0,no-rx=1" ||
		return 1
	local p t
	p=${OVS_PIDS##* }
	for t in /proc/"$p"/task/*; do
		renice -n -20 -p "${t##*/}" >/dev/null
	done
}

ovs_stop() {
	local p
	[ "$OVS_UP" = 1 ] || return 0
	OVS_UP=0
	ovsctl --timeout=10 del-br "$BR" >/dev/null 2>&1
	ovsapp exit >/dev/null 2>&1
	timeout 10 ovs-appctl -t ovsdb-server exit >/dev/null 2>&1
	for p in $OVS_PIDS; do stop_pid "$p"; done
	OVS_PIDS=
	ip link del "$BR" >/dev/null 2>&1
	rm -rf /var/run/dpdk/"$PFX"-ovs
}

# Attach the pcap of a case as ofport 1 (a fresh vdev name each time);
# "" detaches it.
ovs_pcap() {
	local pcap=$1 i
	[ "$OVS_PCAP" = "$pcap" ] && return 0
	if [ -n "$OVS_PCAP" ]; then
		ovsctl del-port "$BR" p0 || return 1
		OVS_PCAP=
	fi
	[ -n "$pcap" ] || return 0
	OVS_VDEV=$((OVS_VDEV + 1))
	ovsctl add-port "$BR" p0 -- set Interface p0 type=dpdk \
		ofport_request=1 \
		options:dpdk-devargs="net_pcap$OVS_VDEV,rx_pcap=$pcap,infinite_rx=1" ||
		return 1
	OVS_PCAP=$pcap
	for i in $(seq 20); do
		[ "$(ovsctl get Interface p0 ofport)" = 1 ] && return 0
		sleep 0.5
	done
	log "ovs: p0 did not come up: $(ovsctl get Interface p0 error)"
	return 1
}

ovs_tx() {
	ofctl dump-ports "$BR" 2 2>/dev/null |
		awk -F'[=,]' '/tx pkts/ {print $2 + 0}'
}
ovs_count() {
	ofctl dump-aggregate "$BR" 2>/dev/null |
		sed -n 's/.*flow_count=\([0-9]*\).*/\1/p'
}
ovs_flush() { ovsapp dpctl/del-flows; }
# At least 95 % of the 100k megaflows installed.
ovs_megaflows_ready() {
	local n
	n=$(ovsapp upcall/show 2>/dev/null |
		sed -n 's/.*flows *: *(current \([0-9]*\)).*/\1/p' | head -1)
	[ "${n:-0}" -ge 95000 ]
}

ovs_measure() {
	local c=$1 t
	sleep "$WARM"
	if [ "$c" = exact-100k ]; then
		t=$(settle ovs_tx $((SETTLE_BOUND * 2)) ovs_megaflows_ready)
	else
		t=$(settle ovs_tx "$SETTLE_BOUND")
	fi
	EXTRA[ovs-settle.$c]=$t
	ovsapp dpif-netdev/pmd-stats-clear >/dev/null
	local task m0
	task=$(fwd_task "${OVS_PIDS##* }")
	m0=$(cpu_mark "$task")
	RES[ovs.$c]=$(rate_median ovs_tx "$SECS")
	SHARE[ovs.$c]=$(cpu_share "$m0" "$(cpu_mark "$task")")
	EXTRA[ovs-pmd.$c]=$(ovsapp dpif-netdev/pmd-stats-show |
		sed -n '/core_id 1:/,/^main thread/p' |
		grep -E 'simple match hits|emc hits|smc hits|megaflow hits|upcalls|processing cycles' |
		sed 's/(.*//; s/^ *//; s/ *$//' | tr -s ' ' | paste -sd ';')
	log "ovs $c: ${RES[ovs.$c]} Mpps (${EXTRA[ovs-pmd.$c]})"
}

ovs_all() {
	local c t0 t1 n
	log "ovs: starting a private instance in $OVS_DIR"
	if ! ovs_start; then
		log "ovs: failed to start (see $OVS_DIR/*.log)"
		ovs_stop
		return 1
	fi
	for c in $CASES; do
		ofctl del-flows "$BR"
		if [ "$c" = exact-100k ]; then
			# Install with no traffic (under load, with every flow
			# mod revalidating 100k megaflows, it managed about
			# 100 rules/s here), bounded; report what it gave.
			ovs_pcap "" || break
			log "ovs: installing 100k rules (bound ${OVS_INSTALL_BOUND}s)"
			t0=$(now_ns)
			bg timeout "$OVS_INSTALL_BOUND" ovs-ofctl add-flows \
				"$BR" "$(case_rules "$c")"
			local rc=$?
			t1=$(now_ns)
			n=$(ovs_count)
			if [ $rc = 0 ]; then
				EXTRA[ovs.install100k]=$(awk -v d=$((t1 - t0)) \
					'BEGIN {printf "%.1f", d / 1e9}')
			else
				EXTRA[ovs.install100k]=">$OVS_INSTALL_BOUND(${n:-?}_rules_in)"
			fi
			log "ovs: install 100k: ${EXTRA[ovs.install100k]} s, $n rules"
		elif [ "$c" = lb-100k ]; then
			ofctl del-groups "$BR"
			ofctl -O OpenFlow15 add-groups "$BR" "$WORK/lb-ovs.groups" &&
			ofctl -O OpenFlow15 add-flows "$BR" "$WORK/lb-ovs.rules" ||
				log "ovs: lb-100k groups or flows refused"
		else
			ofctl add-flows "$BR" "$(case_rules "$c")"
		fi
		ovs_pcap "$(case_pcap "$c")" || break
		ovs_measure "$c"
	done
	# Cache flush under load on the last (largest) case.
	c=${CASES##* }
	log "ovs: dpctl/del-flows under load ($c, bound ${FLUSH_BOUND_OVS}s)"
	EXTRA[ovs.flush]=$(recovery ovs_tx ovs_flush "$FLUSH_BOUND_OVS")
	EXTRA[flushcase]=$c
	log "ovs: flush recovery (s min_mpps base_mpps): ${EXTRA[ovs.flush]}"
	ovs_stop
}

# --- Sluice ---------------------------------------------------------------

sl_ctl() { timeout 120 "$SLUICECTL" -s "$SL_SOCK" "$@"; }

# tx packets of port 2 (the null sink): dp-bench-sample keeps one
# connection and costs a request, where sluicectl -o json and jq took up
# to 300 ms a sample on the loaded machine.
sl_tx() {
	if [ -n "$SAMPLER" ]; then
		timeout 10 "$SAMPLER" -s "$SL_SOCK" -p 2 2>/dev/null |
			awk '{print $2}'
	else
		sl_ctl -o json dp ports 2>/dev/null | jq -r '
			[.[] | select(.port_no == 2)][0].tx_packets // empty' \
			2>/dev/null
	fi
}
sl_flush() { sl_ctl dp cache-flush; }

# sl_recovery BOUND: sample every 100 ms in one process, flush at 1.5 s;
# same output as recovery().
sl_recovery() {
	local bound=$1
	if [ -z "$SAMPLER" ]; then
		recovery sl_tx sl_flush "$bound"
		return
	fi
	bg timeout $((bound + 30)) "$SAMPLER" -s "$SL_SOCK" -p 2 -i 100 \
		-d $((bound * 1000 + 1500)) -f 1500 > "$WORK/recovery.sluice"
	recovery_eval "$WORK/recovery.sluice" "$bound"
}

sl_start() {
	local pcap=$1 i extra=()
	# With ct a flow takes two cache entries (before and after ct).
	case ${2:-} in
	ct-snat-100k|lb-100k) extra=(--cache-entries 1048576) ;;
	esac
	rm -f "$SL_SOCK"
	nice -n -20 "$SLUICE_DP" --socket "$SL_SOCK" --main-cpu 0 "${extra[@]}" \
		--worker-cpus 1 --hugepages --huge-dir "$HUGE" --mem 1024 \
		--file-prefix "$PFX-sl" \
		--port "p0=devargs:net_pcap0,rx_pcap=$pcap,infinite_rx=1" \
		--port "p1=devargs:net_null0,no-rx=1" \
		>>"$WORK/sluice-dp.log" 2>&1 &
	SL_PID=$!
	for i in $(seq 100); do
		if ! kill -0 "$SL_PID" 2>/dev/null; then
			log "sluice-dp exited early (see $WORK/sluice-dp.log)"
			tail -5 "$WORK/sluice-dp.log" >&2
			SL_PID=
			return 1
		fi
		[ -S "$SL_SOCK" ] && [ -n "$(sl_tx)" ] && return 0
		sleep 0.2
	done
	log "sluice-dp: no socket or port counters after 20 s"
	tail -5 "$WORK/sluice-dp.log" >&2
	sl_stop
	return 1
}

sl_stop() {
	[ -n "$SL_PID" ] || return 0
	stop_pid "$SL_PID"
	SL_PID=
	rm -rf /var/run/dpdk/"$PFX"-sl
}

# sl_install FILE: prints the seconds add-flows took, or "fail".
sl_install() {
	local t0 t1
	t0=$(now_ns)
	if bg sl_ctl dp add-flows "$1" >"$WORK/sluicectl.out" 2>&1; then
		t1=$(now_ns)
		awk -v d=$((t1 - t0)) 'BEGIN {printf "%.3f\n", d / 1e9}'
	else
		log "sluicectl dp add-flows $1 failed: $(tail -2 "$WORK/sluicectl.out")"
		echo fail
	fi
}

rss_kb() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status 2>/dev/null; }

sl_all() {
	local c r m0 m1 task
	if [ ! -x "$SLUICE_DP" ] || [ ! -x "$SLUICECTL" ]; then
		log "sluice: $SLUICE_DP or $SLUICECTL not built; skipped"
		return 1
	fi
	for c in $CASES; do
		sl_start "$(case_pcap "$c")" "$c" || continue
		if [ "$c" = lb-100k ] && ! sl_lb_pool; then
			log "sluice: lb-set failed"
			sl_stop
			continue
		fi
		r=$(sl_install "$(case_rules "$c")")
		[ "$c" = exact-100k ] && EXTRA[sl.install100k]=$r
		sleep "$WARM"
		EXTRA[sl-settle.$c]=$(settle sl_tx "$SETTLE_BOUND")
		task=$(fwd_task "$SL_PID")
		m0=$(cpu_mark "$task")
		RES[sluice.$c]=$(rate_median sl_tx "$SECS")
		SHARE[sluice.$c]=$(cpu_share "$m0" "$(cpu_mark "$task")")
		log "sluice $c: ${RES[sluice.$c]} Mpps (install $r s)"
		if [ "$c" = "${CASES##* }" ]; then
			log "sluice: cache-flush under load ($c)"
			EXTRA[sl.flush]=$(sl_recovery "$FLUSH_BOUND_SL")
			log "sluice: flush recovery (s min_mpps base_mpps): ${EXTRA[sl.flush]}"
		fi
		EXTRA[sl-stats.$c]=$(sl_ctl dp stats 2>/dev/null |
			grep -E '^(rules|cache|classifier)' | tr -s ' \n' ' ')
		sl_stop
	done
	if [ -z "${EXTRA[sl.install100k]:-}" ]; then
		sl_start "$WORK/flows100k.pcap" &&
		EXTRA[sl.install100k]=$(sl_install "$WORK/exact100k.rules")
		sl_stop
	fi
	if [ "$BIG_RULES" -gt 0 ] && sl_start "$WORK/flows100k.pcap"; then
		m0=$(rss_kb "$SL_PID")
		EXTRA[sl.install1m]=$(sl_install "$WORK/exact1m.rules")
		sleep 1
		m1=$(rss_kb "$SL_PID")
		EXTRA[sl.mem]=$(awk -v a="$m0" -v b="$m1" -v n="$BIG_RULES" \
			'BEGIN {printf "sluice_rss_mb=%.1f rss_before_mb=%.1f bytes_per_rule=%.0f",
				b / 1024, a / 1024, (b - a) * 1024 / n}')
		sl_stop
	fi
}

# Callgrind instructions per packet of the pipeline alone: two packet
# counts, difference over the packet difference (set-up cancels).
cg_all() {
	local c n ir out i
	[ -x "$PIPEBENCH" ] || { log "no $PIPEBENCH; callgrind skipped"; return 1; }
	command -v valgrind >/dev/null || { log "no valgrind"; return 1; }
	for c in l3-1 l3-100k exact-100k ct-snat-100k; do
		out=
		for n in $CG_PACKETS; do
			bg timeout 900 valgrind --tool=callgrind \
				--callgrind-out-file="$WORK/cg.out" \
				"$PIPEBENCH" --case "$c" --packets "$n" \
				>/dev/null 2>"$WORK/cg.log"
			ir=$(sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' \
				"$WORK/cg.log")
			out="$out ${ir:-x}"
		done
		EXTRA[cg.$c]=$(echo "$CG_PACKETS $out" | awk '{
			if ($3 !~ /^[0-9]+$/ || $4 !~ /^[0-9]+$/) { print "-"; exit }
			printf "%.1f\n", ($4 - $3) / ($2 - $1) }')
		log "callgrind $c: ${EXTRA[cg.$c]} instructions/packet"
	done
	# lb_select alone, established packets of 262,144 connections
	# (dp-lb-bench; the same two-count method, docs/lbaas.md).
	if [ -x "$LBBENCH" ]; then
		out=
		for n in 300000 600000; do
			bg timeout 900 valgrind --tool=callgrind \
				--callgrind-out-file="$WORK/cg.out" \
				"$LBBENCH" --conns 262144 --packets "$n" \
				>/dev/null 2>"$WORK/cg.log"
			ir=$(sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' \
				"$WORK/cg.log")
			out="$out ${ir:-x}"
		done
		EXTRA[cg.lb-262k]=$(echo "300000 600000 $out" | awk '{
			if ($3 !~ /^[0-9]+$/ || $4 !~ /^[0-9]+$/) { print "-"; exit }
			printf "%.1f\n", ($4 - $3) / ($2 - $1) }')
		log "callgrind lb-262k: ${EXTRA[cg.lb-262k]} instructions/packet"
	fi
	rm -f "$WORK/cg.out"
}

# --- main ---------------------------------------------------------------

if want testpmd; then
	command -v dpdk-testpmd >/dev/null ||
		die "dpdk-testpmd missing: apt-get install -y dpdk-dev"
fi
if want ovs; then
	[ -x "$OVS_VSWITCHD" ] ||
		die "$OVS_VSWITCHD missing: apt-get install -y openvswitch-switch-dpdk"
fi
if want sluice && [ -z "$SAMPLER" ]; then
	command -v jq >/dev/null || die "jq missing: apt-get install -y jq"
fi

T_START=$(now_ns)
log "dp-bench: cases '$CASES', ${SECS}s each, build $BUILD, TSC ${TSC_MHZ} MHz"
setup_huge
gen_traffic

if want testpmd; then
	for c in $CASES; do tp_case "$c"; done
fi
if want sluice; then
	sl_all
	cg_all
fi
if want ovs; then
	ovs_all
fi

# --- report -------------------------------------------------------------

g() { echo "${RES[$1]:-${EXTRA[$1]:--}}"; }
for c in $CASES; do
	s=$(g "sluice.$c") o=$(g "ovs.$c") t=$(g "testpmd.$c")
	echo "case=$c sluice_mpps=$s ovs_mpps=$o testpmd_mpps=$t" \
		"vs_ovs=$(ratio "$s" "$o") vs_ceiling=$(ratio "$s" "$t")"
done
# The same normalised by the CPU share each forwarding thread got: on a
# machine shared with other work this is the steadier comparison.
for c in $CASES; do
	s=$(per_core "$(g "sluice.$c")" "${SHARE[sluice.$c]:--}")
	o=$(per_core "$(g "ovs.$c")" "${SHARE[ovs.$c]:--}")
	t=$(per_core "$(g "testpmd.$c")" "${SHARE[testpmd.$c]:--}")
	echo "case-per-core=$c sluice_mpps=$s ovs_mpps=$o testpmd_mpps=$t" \
		"vs_ovs=$(ratio "$s" "$o") vs_ceiling=$(ratio "$s" "$t")" \
		"cpu_share=${SHARE[sluice.$c]:--}/${SHARE[ovs.$c]:--}/${SHARE[testpmd.$c]:--}"
done
# Cycles per packet: TSC MHz over the per-core rate (the forwarding
# thread's own CPU time), over the wall-clock rate when no share is known.
pc() {
	local m
	m=$(per_core "$(g "$1")" "${SHARE[$1]:--}")
	[ "$m" = - ] && m=$(g "$1")
	cpp "$m"
}
for c in $CASES; do
	echo "cycles case=$c tsc_mhz=$TSC_MHZ sluice_cpp=$(pc "sluice.$c")" \
		"ovs_cpp=$(pc "ovs.$c") testpmd_cpp=$(pc "testpmd.$c")"
done
echo "install rules=100000 sluice_s=$(g sl.install100k) ovs_s=$(g ovs.install100k)"
[ "$BIG_RULES" -gt 0 ] &&
	echo "install rules=$BIG_RULES sluice_s=$(g sl.install1m)"
set -- ${EXTRA[sl.flush]:-- - -}
sf=$1 smin=$2 sbase=$3
set -- ${EXTRA[ovs.flush]:-- - -}
echo "flush case=${CASES##* } sluice_recovery_s=$sf sluice_min_mpps=$smin" \
	"sluice_base_mpps=$sbase ovs_recovery_s=$1 ovs_min_mpps=$2 ovs_base_mpps=$3"
for c in l3-1 l3-100k exact-100k ct-snat-100k lb-262k; do
	echo "callgrind case=$c sluice_instr_per_packet=$(g "cg.$c")"
done
[ "$BIG_RULES" -gt 0 ] &&
	echo "memory rules=$BIG_RULES $(g sl.mem)"
for c in $CASES; do
	echo "settle case=$c sluice_s=$(g "sl-settle.$c") ovs_s=$(g "ovs-settle.$c")"
done
for c in $CASES; do
	[ -n "${EXTRA[sl-stats.$c]:-}" ] &&
		echo "sluice-stats case=$c ${EXTRA[sl-stats.$c]}"
done
for c in $CASES; do
	[ -n "${EXTRA[ovs-pmd.$c]:-}" ] &&
		echo "ovs-pmd case=$c ${EXTRA[ovs-pmd.$c]}"
done
# The bar of issue 2, where this run measured it.
bar() {	# NAME VALUE OP LIMIT
	awk -v n="$1" -v v="$2" -v op="$3" -v l="$4" 'BEGIN {
		x = v; sub(/^>/, "", x)
		if (v == "-" || v == "") r = "not-measured"
		else if (op == ">=") r = (v + 0 >= l) ? "pass" : "FAIL"
		else r = (v !~ /^>/ && v + 0 < l) ? "pass" : "FAIL"
		printf "bar %s=%s need%s%s %s\n", n, v, op, l, r }'
}
vr() { ratio "$(g "sluice.$1")" "$(g "$2.$1")"; }
bar exact-100k_vs_ovs "$(vr exact-100k ovs)" ">=" 3
bar simple_vs_ovs "$(vr simple ovs)" ">=" 1.5
bar simple_vs_ceiling "$(vr simple testpmd)" ">=" 0.5
bar install100k_s "$(g sl.install100k)" "<" 1
bar flush_recovery_s "${sf}" "<" 1
echo "elapsed_s=$(( ($(now_ns) - T_START) / 1000000000 ))"
exit 0
