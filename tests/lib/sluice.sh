# SPDX-License-Identifier: BSD-2-Clause
# sluice.sh: sluice-dp + sluiced for the namespace tests (sourced).
#
# The caller sets `set -e...`, defines fail MSG (print its diagnostics,
# exit 1) and has SLUICE_DP, SLUICED and SLUICECTL set; the functions
# here call fail on an error.
#
# sluice_test_init NAME NSTAG HIFTAG [TOOL...]: the common start of a
#   namespace test. Skip unless root, with ip, openstack, jq, ethtool and
#   each TOOL on PATH and the binaries given (sluice_need_bins); set
#   PORT_TYPE (af_packet unless given), id (the PID mod 100000), tmp (a
#   new directory in /tmp whose name ends in -sluice-NAME, mode 755:
#   nginx's workers read files there), sock ($tmp/dp.sock), dp_pid and
#   ctl_pid (empty); define
#   `ns G` (NSTAG<id>-G, guest G's namespace) and `hif G` (HIFTAG<id>g,
#   its host link, lower case: keep HIFTAG short for 15 characters) and
#   source guest.sh.
# sluice_guests_add: guest_veth for each name G in $guests, in `ns G`
#   on `hif G` with MAC ${MAC[G]} (the caller's associative array).
# run G CMD...: CMD in guest G's namespace.
# sluice_cleanup: sluice_stop, sluice_guests_del, remove $tmp: the end of
#   the caller's cleanup (its own processes first).
# skip MSG / step MSG: print "SKIP: MSG" and exit 77 / print "--- MSG";
#   defined here unless the caller has its own.
# ok MSG: print "ok - MSG".
# wait_for WHAT SECONDS CMD...: run CMD every 0.1 s until it succeeds;
#   fail "WHAT (after SECONDS s)" when it never does.
# os ARGS...: the openstack CLI; fail with its stderr (kept in
#   $tmp/os.err) when it fails. A test with another login redefines it.
# sluice_free_port: print a free TCP port on 127.0.0.1.
# sluice_dp_start SOCK PREFIX LOG [ARGS...]: start sluice-dp on control
#   socket SOCK with DPDK file prefix PREFIX (unique per test and PID)
#   and extra ARGS, output appended to LOG; set dp_pid; wait (20 s at
#   most) until `sluicectl dp ports` answers; fail if sluice-dp exits or
#   does not answer by then. Started by sluice_dp_spawn (dp_spawn.sh):
#   again when its af_packet port met a fanout group clash.
# sluice_conf_write FILE PORT DIR SOCK [PORT_TYPE]: write a sluiced
#   config: API on 127.0.0.1:PORT, store DIR/sluice.db, datapath SOCK with
#   PORT_TYPE (af_packet) and vhost dir DIR/vhost, info log to stderr.
#   Append other sections to FILE after it.
# sluice_ctl_start CONF LOG URL: start sluiced on CONF, output appended
#   to LOG; set ctl_pid; wait (10 s) until URL/ answers; fail if sluiced
#   exits.
# sluice_wait_up PID NAME SECONDS CMD...: run CMD every 10 ms until it
#   succeeds; fail "NAME exited" when PID is gone, "NAME not up in
#   SECONDS s" when it never does.
#
# sluice_need_bins: skip (the caller's skip MSG, exit 77) unless $SLUICED,
#   $SLUICE_DP and $SLUICECTL are executables.
# sluice_stop: kill sluiced ($ctl_pid), then sluice-dp ($dp_pid), and wait
#   for each; for the caller's cleanup (under set +e).
# sluice_guests_del: for each name in $guests, kill what runs in the
#   caller's namespace `ns NAME`, delete it and the host link `hif NAME`;
#   for the caller's cleanup (under set +e).
# sluice_lbns LB / sluice_lbveth LB: the service namespace and its host
#   veth that lbaas/lb_netns.c names after load balancer id LB.
# sluice_lb_del LB...: delete those of each LB (what sluiced could not
#   remove); for the caller's cleanup (under set +e).
# sluice_dump SOCK [LINES]: for a caller's fail: the datapath's ports,
#   non-zero counters and rules (lines prefixed "dp: ", the last LINES of
#   them when given) if SOCK exists, then the last 25 lines of each
#   $tmp/*.log.

. "$(dirname "${BASH_SOURCE[0]}")/dp_spawn.sh"

declare -F skip >/dev/null || skip() {
	echo "SKIP: $*"
	exit 77
}
declare -F step >/dev/null || step() { echo "--- $*"; }
ok() { echo "ok - $*"; }

sluice_test_init() {
	local name=$1 nstag=$2 hiftag=$3 c
	shift 3
	[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, AF_PACKET)"
	for c in ip openstack jq ethtool "$@"; do
		command -v "$c" >/dev/null || skip "$c missing"
	done
	sluice_need_bins
	PORT_TYPE=${PORT_TYPE:-af_packet}
	id=$(($$ % 100000))
	tmp=$(mktemp -d -p /tmp --suffix "-sluice-$name")
	chmod 755 "$tmp"
	sock=$tmp/dp.sock
	dp_pid=
	ctl_pid=
	eval "ns() { echo \"$nstag$id-\$1\"; }"
	eval "hif() { echo \"$hiftag$id\$1\" | tr 'A-Z' 'a-z'; }"
	. "$(dirname "${BASH_SOURCE[0]}")/guest.sh"
}

sluice_guests_add() {
	local g
	for g in $guests; do
		guest_veth "$(ns "$g")" "$(hif "$g")" "${MAC[$g]}"
	done
}

run() {
	local g=$1
	shift
	ip netns exec "$(ns "$g")" "$@"
}

sluice_cleanup() {
	sluice_stop
	sluice_guests_del
	[ -n "${tmp:-}" ] && rm -rf "$tmp"
}

wait_for() {
	local what=$1 n=$(($2 * 10))
	shift 2
	for _ in $(seq "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "$what (after $((n / 10)) s)"
}

os() {
	openstack "$@" 2>"$tmp/os.err" ||
		fail "openstack $*: $(cat "$tmp/os.err")"
}

sluice_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket();
s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

sluice_dp_start() {
	sluice_dp_spawn "$@"
	sluice_wait_up "$dp_pid" sluice-dp 20 sluice_dp_answers "$1"
}

sluice_dp_answers() {
	[ -S "$1" ] && "$SLUICECTL" -s "$1" dp ports
}

sluice_wait_up() {
	local pid=$1 name=$2 secs=$3
	shift 3
	for _ in $(seq $((secs * 100))); do
		"$@" >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || fail "$name exited"
		sleep 0.01
	done
	fail "$name not up in $secs s"
}

sluice_conf_write() {
	cat >"$1" <<CONF
[api]
listen = 127.0.0.1:$2
[store]
path = $3/sluice.db
[datapath]
socket = $4
port_type = ${5:-af_packet}
vhost_dir = $3/vhost
[log]
level = info
target = stderr
CONF
}

sluice_ctl_start() {
	"$SLUICED" -c "$1" >>"$2" 2>&1 &
	ctl_pid=$!
	sluice_wait_up "$ctl_pid" sluiced 10 curl -sf -o /dev/null "$3/"
}

sluice_need_bins() {
	[ -x "${SLUICED:-}" ] || skip "sluiced not given"
	[ -x "${SLUICE_DP:-}" ] || skip "sluice-dp not built (SLUICE_DP)"
	[ -x "${SLUICECTL:-}" ] || skip "sluicectl not built (SLUICECTL)"
}

sluice_stop() {
	[ -n "${ctl_pid:-}" ] && kill "$ctl_pid" 2>/dev/null && wait "$ctl_pid"
	[ -n "${dp_pid:-}" ] && kill "$dp_pid" 2>/dev/null && wait "$dp_pid"
}

sluice_guests_del() {
	local g
	for g in $guests; do
		ip netns pids "$(ns "$g")" 2>/dev/null |
			xargs -r kill 2>/dev/null
		ip netns del "$(ns "$g")" 2>/dev/null
		ip link del "$(hif "$g")" 2>/dev/null
	done
}

sluice_lbns() { echo "sluice-lb-$(tr -d - <<<"$1" | head -c 8)"; }
sluice_lbveth() { echo "lbv-$(tr -d - <<<"$1" | head -c 8)"; }

sluice_lb_del() {
	local lb
	for lb in "$@"; do
		ip link del "$(sluice_lbveth "$lb")" 2>/dev/null
		ip netns del "$(sluice_lbns "$lb")" 2>/dev/null
	done
}

sluice_dump() {
	local f
	if [ -S "$1" ]; then
		"$SLUICECTL" -s "$1" dp ports
		"$SLUICECTL" -s "$1" dp stats | grep -v " 0$"
		"$SLUICECTL" -s "$1" dp dump-flows
	fi 2>&1 | sed 's/^/dp: /' | tail -n "${2:-+1}"
	for f in "$tmp"/*.log; do
		[ -f "$f" ] || continue
		echo "=== $f"
		tail -n 25 "$f"
	done
}
