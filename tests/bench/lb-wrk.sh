#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# lb-wrk.sh: HTTP requests per second with wrk through a Sluice load
# balancer's VIP beside Debian's HAProxy (mode tcp, roundrobin) in front of
# the same three nginx members, on the same tenant network, in one run
# (issue 5, docs/benchmarks.md "LB: wrk through the VIP vs HAProxy"):
#
#   ns C  client (wrk)      10.78.0.10 --+
#   ns M0 nginx member      10.78.0.20 --+
#   ns M1 nginx member      10.78.0.21 --+-- sluice-dp  <- sluiced (REST on
#   ns M2 nginx member      10.78.0.22 --+   (af_xdp)      127.0.0.1)
#   ns H  haproxy           10.78.0.30 --+
#   network lbwnet 10.78.0.0/24, VIP from the subnet; members in security
#   group "web": TCP 80 from the VIP, from H and from C (the direct case).
#
# Cases, each with the same wrk parameters (-t THREADS -c CONNS -d SECS
# --latency), once with keep-alive and once with `Connection: close` (one
# TCP connection per request, which exercises the LB's connection setup):
#   sluice   wrk -> VIP:80 (TCP listener, ROUND_ROBIN pool, 3 members)
#   haproxy  wrk -> H:80 (haproxy mode tcp, roundrobin, same 3 members;
#            H is an ordinary sluice-dp port, so its traffic crosses
#            sluice-dp twice: client->H and H->member)
#   direct   wrk -> M0:80 (no LB; context)
# One line per case and mode, then one summary line per mode:
#
#   case=NAME mode=keepalive|close rps=R lat_p50_ms=A lat_p99_ms=B
#       spread=n0/n1/n2 errors=0
#   lb-wrk mode=M sluice_rps=X haproxy_rps=Y vs_haproxy=X/Y
#
# Each figure is the best of --rounds rounds (sluice, haproxy and direct
# interleaved in every round so that a busy machine's noise hurts all
# alike). Spread: requests per member from nginx's stub_status; a case
# where a member got under 15% of an LB case's requests, where wrk
# reported socket errors or non-2xx responses, fails the run (exit 1)
# after printing them.
#
# Placement (2 cores): sluice-dp's worker lcore on CPU 1 (--worker-cpus);
# sluice-dp's main lcore, sluiced, wrk, the three nginx (one worker
# process each), haproxy (one thread) and this script on CPU 0.
#
# Usage: lb-wrk.sh [--build DIR] [--quick] [--seconds N] [--rounds N]
#                  [--threads N] [--conns N] [--port-type af_xdp|af_packet]
#                  [--cases "sluice haproxy direct"]
#                  [--modes "keepalive close"] [--client-ts 0|1|2]
#                  [--keep]
# --build: the meson build tree with sluice-dp, sluiced and sluicectl
# (default $SLUICE_BUILD or /work/main/build). --quick: 3 s runs, one
# round (default 10 s, 2 rounds). --cases/--modes: a subset. --client-ts:
# net.ipv4.tcp_timestamps for C and H (diagnosis of TIME_WAIT collisions
# only; docs/benchmarks.md). --keep keeps the work directory (logs,
# configs, wrk outputs, counter snapshots, flow dump). Needs root, wrk,
# nginx, haproxy, the openstack CLI, jq, curl; exits 77 without them.
# Cleans up exactly what it started.

set -u

BUILD=${SLUICE_BUILD:-/work/main/build}
QUICK=0
SECS=
ROUNDS=
THREADS=1
CONNS=32
PORT_TYPE=af_xdp
KEEP=0
CASES="sluice haproxy direct"
MODES="keepalive close"
CLIENT_TS=
HERE=$(cd "$(dirname "$0")" && pwd)

usage() {
	sed -n '/^# Usage/,/^# Cleans up/p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-0}"
}
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift ;;
	--quick) QUICK=1 ;;
	--seconds) SECS=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--threads) THREADS=$2; shift ;;
	--conns) CONNS=$2; shift ;;
	--port-type) PORT_TYPE=$2; shift ;;
	--keep) KEEP=1 ;;
	--cases) CASES=$2; shift ;;
	--modes) MODES=$2; shift ;;
	--client-ts) CLIENT_TS=$2; shift ;;
	-h|--help) usage 0 ;;
	*) echo "lb-wrk: unknown option $1" >&2; usage 2 ;;
	esac
	shift
done
[ -n "$SECS" ] || { [ "$QUICK" = 1 ] && SECS=3 || SECS=10; }
[ -n "$ROUNDS" ] || { [ "$QUICK" = 1 ] && ROUNDS=1 || ROUNDS=2; }
for v in "$SECS" "$ROUNDS" "$THREADS" "$CONNS"; do
	case $v in ''|*[!0-9]*|0) echo "lb-wrk: numbers must be" \
		"positive integers" >&2; exit 2 ;; esac
done
case $PORT_TYPE in af_xdp|af_packet) ;; *) usage 2 ;; esac
for c in $CASES; do
	case $c in sluice|haproxy|direct) ;; *) usage 2 ;; esac
done
for m in $MODES; do
	case $m in keepalive|close) ;; *) usage 2 ;; esac
done
WARM=$(( QUICK ? 1 : 2 ))

skip() { echo "SKIP: lb-wrk: $*"; exit 77; }
log() { echo "# $*" >&2; }
[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, AF_XDP)"
for c in ip wrk nginx haproxy openstack jq curl ethtool taskset; do
	command -v $c >/dev/null || skip "$c missing"
done
SLUICE_DP=$BUILD/datapath/dpdk/sluice-dp
SLUICED=$BUILD/control/sluiced
SLUICECTL=$BUILD/control/sluicectl/sluicectl
for b in "$SLUICE_DP" "$SLUICED" "$SLUICECTL"; do
	[ -x "$b" ] || { echo "lb-wrk: no $b (ninja -C $BUILD)" >&2; exit 1; }
done
[ -f "$HERE/../lib/guest.sh" ] ||
	{ echo "lb-wrk: run it from the source tree (tests/lib/guest.sh)" >&2
	exit 1; }
. "$HERE/../lib/guest.sh"
. "$HERE/../lib/sluice.sh"

# Everything this script starts stays on CPU 0; sluice-dp puts its worker
# on CPU 1.
NCPU=$(nproc)
CPU_OTHER=0
CPU_WORKER=$(( NCPU > 1 ? 1 : 0 ))
taskset -pc "$CPU_OTHER" $$ >/dev/null 2>&1 || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ulimit -l unlimited 2>/dev/null || true

id=$(($$ % 100000))
tmp=$(mktemp -d /tmp/lb-wrk.XXXXXX) || exit 1
chmod 755 "$tmp"	# nginx's workers (www-data) read www/
sock=$tmp/dp.sock
dp_pid=
ctl_pid=
hap_pid=
declare -A NGX=()
guests="C M0 M1 M2 H"
ns() { echo "lw$id-$1"; }
hif() { echo "w$id$1" | tr 'A-Z' 'a-z'; }

cleanup() {
	set +e
	for p in "${NGX[@]}" $hap_pid; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	sluice_stop
	sluice_guests_del
	if [ "$KEEP" = 1 ]; then
		echo "# kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
dpctl() { "$SLUICECTL" -s "$sock" dp "$@"; }
die() {
	{
		echo "lb-wrk: FAIL: $*"
		if [ -S "$sock" ]; then
			dpctl lb-stats
			dpctl stats | grep -v " 0$"
		fi 2>&1 | sed 's/^/dp: /'
		for f in "$tmp"/*.log "$tmp"/m*/error.log; do
			[ -s "$f" ] || continue
			echo "=== $f"
			tail -n 8 "$f"
		done
	} >&2
	exit 1
}
# sluice.sh's os, wait_for and sluice_* call fail.
fail() { die "$@"; }

# --- guests -----------------------------------------------------------------
declare -A MAC=([C]=fa:16:3e:78:00:10 [M0]=fa:16:3e:78:00:20
	[M1]=fa:16:3e:78:00:21 [M2]=fa:16:3e:78:00:22 [H]=fa:16:3e:78:00:30)
declare -A IP=([C]=10.78.0.10 [M0]=10.78.0.20 [M1]=10.78.0.21
	[M2]=10.78.0.22 [H]=10.78.0.30)
for g in $guests; do
	guest_veth "$(ns $g)" "$(hif $g)" "${MAC[$g]}"
	ip -n "$(ns $g)" addr add "${IP[$g]}/24" dev eth0
	# One connection per request at thousands a second: wide port
	# range and TIME_WAIT reuse on the connecting sides (C, H); deep
	# accept queues on the listening sides (M*, H).
	ip netns exec "$(ns $g)" sysctl -qw \
		net.ipv4.ip_local_port_range="1024 65535" \
		net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=4096 \
		net.ipv4.tcp_max_syn_backlog=4096 >/dev/null
done
# Diagnosis only (docs/benchmarks.md): the TCP timestamp mode of the
# connecting sides; 2 = no per-connection random offset.
if [ -n "$CLIENT_TS" ]; then
	for g in C H; do
		ip netns exec "$(ns $g)" sysctl -qw \
			net.ipv4.tcp_timestamps="$CLIENT_TS" >/dev/null
	done
fi

# --- nginx members ----------------------------------------------------------
mkdir -p "$tmp/www"
printf 'sluice lb-wrk %s\n' "$(head -c 48 /dev/zero | tr '\0' x)" \
	>"$tmp/www/index.html"
for i in 0 1 2; do
	d=$tmp/m$i
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 8192; }
http {
	access_log off;
	default_type text/plain;
	keepalive_requests 1000000;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	server {
		listen ${IP[M$i]}:80 backlog=4096;
		root $tmp/www;
	}
	server {
		listen 127.0.0.1:8081;
		location / { stub_status; }
	}
}
CONF
	ip netns exec "$(ns M$i)" taskset -c "$CPU_OTHER" nginx -p "$d" \
		-e "$d/error.log" -c "$d/nginx.conf" >"$d/out.log" 2>&1 &
	NGX[$i]=$!
done
# Requests served by member i so far (stub_status counts its own
# request too; a query per case is noise at these rates).
served() {
	ip netns exec "$(ns M$1)" curl -s --max-time 2 \
		http://127.0.0.1:8081/ | awk 'NR == 3 { print $3 }'
}
for i in 0 1 2; do
	wait_for "nginx m$i answers" 10 bash -c "[ -n \"\$(ip netns exec \
		$(ns M$i) curl -s --max-time 1 http://127.0.0.1:8081/)\" ]"
done

# --- haproxy ----------------------------------------------------------------
cat >"$tmp/haproxy.cfg" <<CONF
global
	nbthread 1
	maxconn 4000
	pidfile $tmp/haproxy.pid
defaults
	mode tcp
	timeout connect 2s
	timeout client 30s
	timeout server 30s
frontend fe
	bind ${IP[H]}:80 backlog 4096
	default_backend be
backend be
	balance roundrobin
	server m0 ${IP[M0]}:80
	server m1 ${IP[M1]}:80
	server m2 ${IP[M2]}:80
CONF
haproxy -c -q -f "$tmp/haproxy.cfg" || die "haproxy rejects its config"
ip netns exec "$(ns H)" taskset -c "$CPU_OTHER" haproxy -db \
	-f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
hap_pid=$!

# --- sluice-dp + sluiced ----------------------------------------------------
sluice_dp_start "$sock" "lw$id" "$tmp/dp.log" --mem 256 \
	--main-cpu "$CPU_OTHER" --worker-cpus "$CPU_WORKER" --log-level warn
api_port=$(sluice_free_port)
sluice_conf_write "$tmp/sluice.conf" "$api_port" "$tmp" "$sock" \
	"$PORT_TYPE"
export OS_AUTH_TYPE=none OS_ENDPOINT=http://127.0.0.1:$api_port
sluice_ctl_start "$tmp/sluice.conf" "$tmp/sluiced.log" "$OS_ENDPOINT"

# --- tenant network, ports, load balancer (no health monitor) ---------------
os network create lbwnet -f value -c id >/dev/null
SUB=$(os subnet create --network lbwnet --subnet-range 10.78.0.0/24 \
	--gateway 10.78.0.1 --no-dhcp lbwsub -f value -c id)
j=$(os loadbalancer create --name lbw --vip-subnet-id "$SUB" -f json)
LB=$(jq -r .id <<<"$j")
VIP=$(jq -r .vip_address <<<"$j")
os security group create web -f value -c id >/dev/null
for src in "$VIP" "${IP[H]}" "${IP[C]}"; do
	os security group rule create --ingress --protocol tcp \
		--dst-port 80 --remote-ip "$src/32" web >/dev/null
done
for g in C H; do
	os port create --network lbwnet --mac-address "${MAC[$g]}" \
		--fixed-ip "subnet=lbwsub,ip-address=${IP[$g]}" \
		--no-security-group --binding-profile "interface=$(hif $g)" \
		"port$g" >/dev/null
done
for i in 0 1 2; do
	os port create --network lbwnet --mac-address "${MAC[M$i]}" \
		--fixed-ip "subnet=lbwsub,ip-address=${IP[M$i]}" \
		--security-group web \
		--binding-profile "interface=$(hif M$i)" "portM$i" >/dev/null
done
LI=$(os loadbalancer listener create --name lw1 --protocol TCP \
	--protocol-port 80 "$LB" -f value -c id)
POOL=$(os loadbalancer pool create --name pw1 --protocol TCP \
	--lb-algorithm ROUND_ROBIN --listener "$LI" -f value -c id)
for i in 0 1 2; do
	os loadbalancer member create --name m$i --address "${IP[M$i]}" \
		--protocol-port 80 --subnet-id "$SUB" "$POOL" >/dev/null
done
wait_for "3 members up in the datapath" 15 bash -c \
	"[ \$('$SLUICECTL' -s '$sock' dp lb-stats | grep -c ' up ') = 3 ]"
wait_for "VIP rules installed" 15 bash -c \
	"'$SLUICECTL' -s '$sock' dp dump-flows | grep -q 'lb_select'"
inc() { ip netns exec "$(ns C)" curl -sf -o /dev/null --max-time 1 "$@"; }
wait_for "client reaches a member through the VIP" 15 inc "http://$VIP/"
wait_for "client reaches haproxy" 15 inc "http://${IP[H]}/"
wait_for "client reaches m0 directly" 15 inc "http://${IP[M0]}/"
log "LB $LB VIP $VIP, haproxy ${IP[H]}, members ${IP[M0]} ${IP[M1]}" \
	"${IP[M2]}, ports $PORT_TYPE"

echo "placement cpus=$NCPU sluice-dp_worker=cpu$CPU_WORKER" \
	"sluice-dp_main=cpu$CPU_OTHER sluiced=cpu$CPU_OTHER" \
	"wrk=cpu$CPU_OTHER nginx=cpu$CPU_OTHER(x3,1_worker_each)" \
	"haproxy=cpu$CPU_OTHER(nbthread_1) ports=$PORT_TYPE" \
	"${CLIENT_TS:+client_tcp_timestamps=$CLIENT_TS}"
echo "params wrk=-t$THREADS,-c$CONNS,-d${SECS}s,--latency rounds=$ROUNDS" \
	"body_bytes=$(stat -c %s "$tmp/www/index.html")"

# --- runs -------------------------------------------------------------------
# wrk's latency figure in ms (it prints us, ms, s or m).
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000
		else if (u == "m") n *= 60000
		printf "%.3f", n }'
}
declare -A TARGET=([sluice]=$VIP [haproxy]=${IP[H]} [direct]=${IP[M0]})
declare -A BEST_RPS=() BEST_P50=() BEST_P99=() SPREAD=()
ERRORS=0
run_wrk() { # target mode seconds outfile
	local hdr=()
	[ "$2" = close ] && hdr=(-H "Connection: close")
	ip netns exec "$(ns C)" taskset -c "$CPU_OTHER" timeout $(($3 + 30)) \
		wrk -t"$THREADS" -c"$CONNS" -d"$3"s --timeout 2s --latency \
		"${hdr[@]}" "http://$1/" >"$4" 2>&1
}
# Counters for the "why" of a case: the datapath's drop reasons, its
# ports' dropped/error counts, and TCP retransmissions, timeouts and
# accept-queue overflows in every guest. One "name value" a line.
snap() {
	dpctl stats 2>/dev/null |
		awk 'NF == 2 && $2 ~ /^[0-9]+$/ { print "dp_" $1, $2 }'
	dpctl ct-stats 2>/dev/null |
		awk 'NF == 2 && $2 ~ /^[0-9]+$/ { print "ct_inv_" $1, $2 }'
	"$SLUICECTL" -s "$sock" -o json dp ports 2>/dev/null | jq -r '.[] |
		"port_drop_\(.name) \(.rx_dropped + .rx_errors +
		.tx_dropped + .tx_errors)"' 2>/dev/null
	# Kernel drops: the veths (a full XDP ring on the host end shows as
	# the guest end's tx drops) and the per-CPU backlog (softnet_stat).
	for g in $guests; do
		ip -s -j link show "$(hif $g)" 2>/dev/null | jq -r --arg g "$g" \
			'.[0].stats64 | "veth_\($g)_host_drop \(.rx.dropped +
			.tx.dropped)"' 2>/dev/null
		ip -n "$(ns $g)" -s -j link show eth0 2>/dev/null | jq -r \
			--arg g "$g" '.[0].stats64 | "veth_\($g)_guest_drop
			\(.rx.dropped + .tx.dropped)"' 2>/dev/null
	done
	local c=0 l
	while read -r -a l; do
		echo "softnet_cpu${c}_drop $((16#${l[1]}))"
		c=$((c + 1))
	done </proc/net/softnet_stat
	for g in $guests; do
		ip netns exec "$(ns $g)" nstat -asz TcpRetransSegs \
			TcpExtTCPTimeouts TcpExtListenDrops 2>/dev/null |
			awk -v g="$g" '$1 !~ /^#/ { print g "_" $1, $2 }'
	done
}
# What grew between two snapshots, as "name+N ...".
grew() {
	awk 'NR == FNR { a[$1] = $2; next }
		$2 + 0 > a[$1] + 0 { printf "%s+%d ", $1, $2 - a[$1] }' "$1" "$2"
}
one_case() { # name mode round
	local name=$1 mode=$2 r=$3 out=$tmp/wrk-$1-$2-$3.txt
	local b0 b1 b2 a n0 n1 n2 tot rps p50 p99 err rc
	run_wrk "${TARGET[$name]}" "$mode" "$WARM" "$out.warm" ||
		log "warm-up $name $mode: wrk exit $?"
	b0=$(served 0) b1=$(served 1) b2=$(served 2)
	snap >"$out.c0"
	run_wrk "${TARGET[$name]}" "$mode" "$SECS" "$out" || {
		rc=$?
		echo "lb-wrk: $name $mode round $r: wrk exit $rc" \
			"$([ "$rc" = 124 ] && echo "(hung: killed after" \
			"$((SECS + 30)) s)")" >&2
		cat "$out" >&2
		ERRORS=$((ERRORS + 1))
		return
	}
	snap >"$out.c1"
	n0=$(($(served 0) - b0 - 1)) n1=$(($(served 1) - b1 - 1))
	n2=$(($(served 2) - b2 - 1))
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
	p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
	err=$(grep -E 'Socket errors|Non-2xx' "$out" | tr '\n' ';')
	tot=$((n0 + n1 + n2))
	a=$(grew "$out.c0" "$out.c1")
	log "$name $mode round $r counters: ${a:-none grew}"
	if [ -z "$rps" ]; then
		echo "lb-wrk: $name $mode round $r: no Requests/sec" >&2
		cat "$out" >&2
		ERRORS=$((ERRORS + 1))
		return
	fi
	if [ -n "$err" ]; then
		echo "lb-wrk: $name $mode round $r: wrk reported: $err" >&2
		ERRORS=$((ERRORS + 1))
	fi
	if [ "$name" = direct ]; then
		[ "$n1" -le 0 ] && [ "$n2" -le 0 ] && [ "$n0" -gt 0 ] || {
			echo "lb-wrk: direct $mode: m0/m1/m2 $n0/$n1/$n2" >&2
			ERRORS=$((ERRORS + 1))
		}
	else
		for n in $n0 $n1 $n2; do
			[ $((n * 100)) -ge $((tot * 15)) ] && [ "$tot" -gt 0 ] &&
				continue
			echo "lb-wrk: $name $mode round $r: uneven" \
				"m0/m1/m2 $n0/$n1/$n2" >&2
			ERRORS=$((ERRORS + 1))
			break
		done
	fi
	log "case=$name mode=$mode round=$r rps=$rps p50=$p50 p99=$p99" \
		"spread=$n0/$n1/$n2"
	local k=$name-$mode
	if awk -v a="$rps" -v b="${BEST_RPS[$k]:-0}" 'BEGIN { exit !(a > b) }'
	then
		BEST_RPS[$k]=$rps BEST_P50[$k]=$p50 BEST_P99[$k]=$p99
		SPREAD[$k]=$n0/$n1/$n2
	fi
}

for r in $(seq "$ROUNDS"); do
	for mode in $MODES; do
		for name in $CASES; do
			one_case "$name" "$mode" "$r"
		done
	done
done
dpctl lb-stats 2>&1 | sed 's/^/# /' >&2
dpctl dump-flows >"$tmp/flows.txt" 2>&1
dpctl ct-stats 2>&1 | sed 's/^/# ct: /' >&2
# Rules whose action is drop and that dropped something during the runs.
grep -E 'actions=drop' "$tmp/flows.txt" | grep -v 'n_packets=0[ ,]' |
	sed 's/^/# dropped by: /' >&2

for mode in $MODES; do
	for name in $CASES; do
		k=$name-$mode
		[ -n "${BEST_RPS[$k]:-}" ] || continue
		echo "case=$name mode=$mode rps=${BEST_RPS[$k]}" \
			"lat_p50_ms=${BEST_P50[$k]} lat_p99_ms=${BEST_P99[$k]}" \
			"spread=${SPREAD[$k]}"
	done
done
for mode in $MODES; do
	s=${BEST_RPS[sluice-$mode]:-0} h=${BEST_RPS[haproxy-$mode]:-0}
	echo "lb-wrk mode=$mode sluice_rps=$s haproxy_rps=$h vs_haproxy=$(awk \
		-v a="$s" -v b="$h" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
if [ "$ERRORS" -gt 0 ]; then
	echo "lb-wrk: $ERRORS case(s) with errors (above)" >&2
	exit 1
fi
exit 0
