#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# demo.sh: the demo of README command one (./setup.sh demo).
#
#   bash configs/demo/demo.sh start    start sluice-dp and sluiced, apply
#                                      configs/demo/topology through the
#                                      openstack CLI, show who reaches whom,
#                                      leave it running
#   bash configs/demo/demo.sh status   what runs, guests and their addresses
#   bash configs/demo/demo.sh stop     stop exactly what start started
#
#   project demo-p1: demo-p1-net 10.0.0.0/24      project demo-p2: demo-p2-net
#     ns sdemo-a1 10.0.0.11  ns sdemo-a2 .12        ns sdemo-b1 .11  ns sdemo-b2 .22
#            \ veth              / veth                   \ veth        / veth
#             +------------ sluice-dp (AF_PACKET ports) ------------+
#                              ^ dp socket
#                           sluiced  <- REST 127.0.0.1:9696 <- openstack CLI
#
# Needs root and the build in build/ (./setup.sh build). Everything it
# makes is recorded under $STATE (pid files, the list of namespaces and
# links), and "stop" undoes only that.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
STATE=${STATE:-/run/sluice-demo}
TOPOLOGY=${TOPOLOGY:-$top/configs/demo/topology}
API=${API:-http://127.0.0.1:9696}
SLUICE_DP=$BUILD/datapath/dpdk/sluice-dp
SLUICED=$BUILD/control/sluiced
SLUICECTL=$BUILD/control/sluicectl/sluicectl
DP_SOCK=$STATE/dp.sock

# sluiced reads a configuration file (INI, see configs/ and conf.h); the
# demo writes its own under $STATE. Extra "-o section.key=value" options
# may be given in SLUICED_ARGS.
listen=${API#http://}
write_conf() {
	cat >"$STATE/sluice.conf" <<EOC
# Written by configs/demo/demo.sh for the demo; removed by "stop".
[api]
listen = $listen
[auth]
mode = none
[store]
path = $STATE/sluice.db
[datapath]
socket = $DP_SOCK
[log]
level = info
EOC
}
read -r -a sluiced_args <<<"${SLUICED_ARGS:-}"

os() { openstack --os-auth-type none --os-endpoint "$API" "$@"; }
die() { echo "demo: $*" >&2; exit 1; }
say() { printf '\033[1m%s\033[0m\n' "$*"; }

is_running() {	# pidfile
	[ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

record() { echo "$*" >>"$STATE/created"; }

# Start a daemon in the background, remember its pid.
spawn() {	# name log cmd...
	local name=$1 log=$2
	shift 2
	"$@" >"$log" 2>&1 &
	echo $! >"$STATE/$name.pid"
}

wait_for() {	# seconds what cmd...
	local n=$(( $1 * 10 )) what=$2
	shift 2
	for _ in $(seq "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "$what did not come up (logs in $STATE)"
}

# Read the topology into arrays.
declare -a net_names net_projects net_cidrs net_gws
declare -a guests guest_nets guest_ips
read_topology() {
	local kind a b c d
	while read -r kind a b c d; do
		case "$kind" in
		network) net_projects+=("$a"); net_names+=("$b")
			 net_cidrs+=("$c"); net_gws+=("$d") ;;
		guest) guest_nets+=("$a"); guests+=("$b"); guest_ips+=("$c") ;;
		''|\#*) ;;
		*) die "$TOPOLOGY: unknown line '$kind'" ;;
		esac
	done <"$TOPOLOGY"
}

make_guest() {	# guest
	local g=$1 ns=sdemo-$1 hif=sdemo-$1
	ip netns add "$ns"; record netns "$ns"
	ip link add "$hif" type veth peer name eth0 netns "$ns"
	record link "$hif"
	sysctl -qw "net.ipv6.conf.$hif.disable_ipv6=1" || true
	ip link set "$hif" up
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || true
}

dhcp_script() {
	cat >"$STATE/udhcpc.sh" <<'EOS'
#!/bin/sh
case "$1" in
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	[ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
	;;
esac
exit 0
EOS
	chmod +x "$STATE/udhcpc.sh"
}

# Projects: with auth "none" the CLI resolves --project through the same
# endpoint; when that is not served, the networks go to the default
# project (isolation is per network either way).
net_create() {	# project name
	os network create --project "$1" -f value -c id "$2" 2>/dev/null ||
		os network create -f value -c id "$2"
}

start() {
	[ "$(id -u)" -eq 0 ] || die "run me as root"
	for b in "$SLUICE_DP" "$SLUICED"; do
		[ -x "$b" ] || die "$b is not built (./setup.sh build)"
	done
	command -v openstack >/dev/null || die "no openstack CLI (./setup.sh deps)"
	if is_running "$STATE/sluiced.pid" || is_running "$STATE/sluice-dp.pid"; then
		echo "demo: already running"; status; return 0
	fi
	[ -f "$STATE/created" ] && stop >/dev/null 2>&1 || true
	mkdir -p "$STATE"
	: >"$STATE/created"
	read_topology
	dhcp_script
	ulimit -l unlimited 2>/dev/null || true

	say "1. sluice-dp (datapath) on $DP_SOCK"
	spawn sluice-dp "$STATE/sluice-dp.log" "$SLUICE_DP" --socket "$DP_SOCK" \
		--file-prefix sluice-demo --mem 256
	wait_for 20 sluice-dp test -S "$DP_SOCK"

	say "2. sluiced (control daemon), API on $API"
	write_conf
	spawn sluiced "$STATE/sluiced.log" "$SLUICED" -c "$STATE/sluice.conf" \
		${sluiced_args[@]+"${sluiced_args[@]}"}
	wait_for 20 sluiced curl -sf "$API/"

	say "3. guests: network namespaces on veths"
	for g in "${guests[@]}"; do make_guest "$g"; done

	say "4. networks, subnets and ports through the openstack CLI"
	declare -A net_id subnet_id
	for i in "${!net_names[@]}"; do
		local n=${net_names[$i]}
		echo "+ openstack network create $n  (project ${net_projects[$i]})"
		net_id[$n]=$(net_create "${net_projects[$i]}" "$n")
		echo "+ openstack subnet create --network $n --subnet-range ${net_cidrs[$i]} ${n%-net}-subnet"
		subnet_id[$n]=$(os subnet create --network "${net_id[$n]}" \
			--subnet-range "${net_cidrs[$i]}" \
			--gateway "${net_gws[$i]}" --dns-nameserver "${net_gws[$i]}" \
			-f value -c id "${n%-net}-subnet")
	done
	for i in "${!guests[@]}"; do
		local g=${guests[$i]} n=${guest_nets[$i]} pid mac
		echo "+ openstack port create --network $n --fixed-ip ip-address=${guest_ips[$i]} --binding-profile interface=sdemo-$g port-$g"
		pid=$(os port create --network "${net_id[$n]}" \
			--fixed-ip "subnet=${subnet_id[$n]},ip-address=${guest_ips[$i]}" \
			--binding-profile "interface=sdemo-$g" \
			-f value -c id "port-$g")
		mac=$(os port show "$pid" -f value -c mac_address)
		# The guest's NIC carries its port's MAC (port security).
		ip -n "sdemo-$g" link set eth0 address "$mac"
		ip -n "sdemo-$g" link set eth0 up
	done

	# sluiced binds a port to its veth and reports it ACTIVE once the
	# datapath port is up.
	local st=
	for _ in $(seq 30); do
		st=$(os port show port-${guests[0]} -f value -c status 2>/dev/null || true)
		[ "$st" = ACTIVE ] && break
		sleep 0.2
	done
	[ "$st" = ACTIVE ] || echo "demo: warning: port-${guests[0]} is $st," \
		"not ACTIVE: sluiced has not bound it to the datapath"

	say "5. guests ask for addresses by DHCP (busybox udhcpc)"
	for g in "${guests[@]}"; do
		local addr=
		for _ in 1 2 3; do
			ip netns exec "sdemo-$g" udhcpc -i eth0 -n -q -t 5 -T 1 \
				-s "$STATE/udhcpc.sh" >>"$STATE/udhcpc.log" 2>&1 && break
		done
		addr=$(ip -n "sdemo-$g" -4 -o addr show dev eth0 | awk '{print $4}')
		printf '   %-4s eth0 %s\n' "$g" "${addr:-(no lease)}"
	done

	say "6. who reaches whom (a reply counts when it comes from the target's MAC)"
	local fails=0 i j
	for i in "${!guests[@]}"; do
		for j in "${!guests[@]}"; do
			local gi=${guests[$i]} gj=${guests[$j]} ipj=${guest_ips[$j]}
			local want=no got=no tmac nmac mark=ok
			[ "$i" = "$j" ] && continue
			# A twin address in the other project cannot be pinged
			# from its own holder; nothing to show there.
			[ "${guest_ips[$i]}" = "$ipj" ] && continue
			[ "${guest_nets[$i]}" = "${guest_nets[$j]}" ] && want=yes
			tmac=$(ip -n "sdemo-$gj" link show eth0 |
				awk '/ether/ {print $2}')
			if ip netns exec "sdemo-$gi" ping -q -c 1 -W 1 "$ipj" \
				>/dev/null 2>&1; then
				nmac=$(ip -n "sdemo-$gi" neigh show "$ipj" dev eth0 |
					awk '{for (k = 1; k < NF; k++)
						if ($k == "lladdr") print $(k + 1)}')
				[ "$nmac" = "$tmac" ] && got=yes
			fi
			[ "$want" = "$got" ] || { mark=UNEXPECTED; fails=$((fails + 1)); }
			printf '   %-3s -> %-3s %-10s reached: %-3s expected: %-3s %s\n' \
				"$gi" "$gj" "$ipj" "$got" "$want" "$mark"
		done
	done
	[ "$fails" -eq 0 ] || echo "demo: $fails unexpected results (logs in $STATE)"

	say "Sluice is running."
	cat <<EOM
   API:       $API   (openstack --os-auth-type none --os-endpoint $API ...)
   datapath:  $DP_SOCK    logs: $STATE/*.log

   Try:
     export OS_AUTH_TYPE=none OS_ENDPOINT=$API
     openstack network list
     openstack port list --long
     ip netns exec sdemo-a1 ping -c 3 10.0.0.12      # same project: works
     ip netns exec sdemo-a1 ping -c 3 10.0.0.22      # other project: no
     $SLUICECTL -s $DP_SOCK dp dump-flows   # the compiled tables
     $SLUICECTL -s $DP_SOCK dp ports        # guests as datapath ports
     bash configs/demo/demo.sh status
     bash configs/demo/demo.sh stop                  # or ./setup.sh stop
EOM
}

status() {
	for d in sluiced sluice-dp; do
		if is_running "$STATE/$d.pid"; then
			echo "$d: running, pid $(cat "$STATE/$d.pid")"
		else
			echo "$d: not running"
		fi
	done
	if [ -f "$STATE/created" ]; then
		awk '$1 == "netns" {print $2}' "$STATE/created" | while read -r ns; do
			printf '%s: %s\n' "$ns" "$(ip -n "$ns" -4 -o addr show dev eth0 2>/dev/null |
				awk '{print $4}')"
		done
	fi
	is_running "$STATE/sluiced.pid" && echo "API: $API"
	return 0
}

stop() {
	local d pid
	for d in sluiced sluice-dp; do
		[ -f "$STATE/$d.pid" ] || continue
		pid=$(cat "$STATE/$d.pid")
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid"
			for _ in $(seq 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
			echo "stopped $d ($pid)"
		fi
		rm -f "$STATE/$d.pid"
	done
	if [ -f "$STATE/created" ]; then
		tac "$STATE/created" | while read -r kind name; do
			case "$kind" in
			netns) ip netns del "$name" 2>/dev/null || true ;;
			link) ip link del "$name" 2>/dev/null || true ;;
			esac
		done
		rm -f "$STATE/created"
		echo "removed the demo namespaces"
	fi
	rm -f "$DP_SOCK" "$STATE/udhcpc.sh" "$STATE/sluice.conf" "$STATE/sluice.db"*
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
