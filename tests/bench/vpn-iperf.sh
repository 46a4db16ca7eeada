#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# vpn-iperf.sh: iperf3 TCP through a Sluice-to-Sluice ESP tunnel beside a
# strongSwan-to-strongSwan tunnel, on the same namespaces, addresses and
# subnets, in one run (issue 6; docs/benchmarks.md, "VPN: iperf3 Sluice
# pair vs strongSwan pair").
#
#   ns GA            ns RA (site A)            ns T        ns RB (site B)            ns GB
#   eth0 --veth-- gA  [gateway]  uA --veth-- tA br0 tB --veth-- uB  [gateway]  gB --veth-- eth0
#   10.61.1.2/24     10.61.1.1   192.0.2.1                192.0.2.2   10.61.2.1     10.61.2.2/24
#
# The gateway in RA and RB is, case after case:
#   sluice-esp    two sluice-dp (own sockets, EAL prefixes), ports gX and
#                 uX; ESP tunnel mode AES-GCM-128 in UDP 4500 (NAT-T, as
#                 strongSwan's libipsec sends it; --esp-encap esp for
#                 ESP as IP protocol 50) with SAs installed by
#                 "sluicectl dp sa-add" and hand rules, as
#                 tests/netns/dp_esp.sh (no IKE: the datapath work is the
#                 same as under sluiced's IKEv2)
#   sluice-plain  the same two sluice-dp forwarding without ESP (MAC
#                 rewrite and output): the I/O path alone
#   linux-fwd     the kernel routing between the same interfaces (context)
#   strongswan    charon-systemd with kernel-libipsec in RA and RB
#                 (../shared/peers/strongswan.md), PSK, ESP aes128gcm16 (in
#                 UDP 4500: libipsec 5.9.8 does nothing else)
# Each is measured with iperf3 TCP from GA to GB, 1 and 4 streams, and
# `openssl speed -aead -evp aes-128-gcm -bytes 1400` gives the crypto
# ceiling of one core. Guests have MTU 1400. sluice-dp's ports are "vnet"
# ports by default (--guest-port and --port-type): AF_PACKET with
# virtio-net headers, so the guests and every veth keep their offloads on
# (TSO, GSO, checksum offload, the kernel's defaults) in every case;
# sluice-dp cuts the guests' 64 KiB super-frames into segments and sends
# runs of one flow's frames as one GSO frame (TCP to the far guest, the
# ESP-in-UDP datagrams to the far gateway; docs/runtime.md, "vnet
# ports"). With --guest-port af_xdp|af_packet or --port-type
# af_xdp|af_packet those ports are of that type and the offloads of their
# veths (and the guests', for guest ports) are off, as before 2026-11-27
# (those drivers need finished checksums and whole frames). The transit
# bridge in T does not call iptables on bridged frames
# (bridge-nf-call-*=0 in T, when br_netfilter is loaded): it stands for a
# wire, and with the calls on it spent 20% of the tunnel's CPU in
# netfilter hooks (docs/benchmarks.md). Output:
#
#   case=NAME streams=N gbps=X retrans=R
#   openssl aes-128-gcm bytes=1400 gbps=X
#   vpn-iperf sluice_gbps=X strongswan_gbps=Y vs_strongswan=X/Y
#
# (the summary takes the better of 1 and 4 streams of each pair), and on
# stderr ("# ...") for the Sluice cases the drop reasons that are not
# zero, the SA counters, frames lost in the ports' rx rings and CPU
# seconds by thread.
#
# Usage: vpn-iperf.sh [--build DIR] [--quick] [--seconds N]
#                     [--port-type vnet|af_xdp|af_packet]
#                     [--guest-port vnet|af_xdp|af_packet]
#                     [--esp-encap udp|esp] [--cases "C1 C2"]
#                     [--port-args ",DEVARGS"] [--cpus-a M,W]
#                     [--cpus-b M,W] [--keep]
# --build: meson build tree with sluice-dp and sluicectl (default
# $SLUICE_BUILD or /work/main/build). --quick: 3 s runs instead of 10.
# --port-type: sluice-dp's uplink ports (default vnet; dp_esp.sh uses
# af_packet); --guest-port: the guest ports' type (default vnet);
# --esp-encap: ESP in UDP 4500 (udp, default) or IP protocol 50 (esp);
# --port-args: appended to each af_xdp/af_packet port's ARGS
# (",framecnt=512").
# --cpus-a/--cpus-b: main lcore and worker CPU of site A's / B's sluice-dp
# (default 0,1 and 0,0: the two workers on different CPUs). --keep keeps
# the work dir (logs). Needs root, iperf3, charon-systemd and swanctl.

set -u

BUILD=${SLUICE_BUILD:-/work/main/build}
SECS=
QUICK=0
PTYPE=vnet
GTYPE=vnet
ENCAP=udp
PARGS=
CASES="sluice-plain sluice-esp linux-fwd strongswan"
CPUS_A=0,1
CPUS_B=0,0
KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift ;;
	--quick) QUICK=1 ;;
	--seconds) SECS=$2; shift ;;
	--port-type) PTYPE=$2; shift ;;
	--guest-port) GTYPE=$2; shift ;;
	--esp-encap) ENCAP=$2; shift ;;
	--port-args) PARGS=$2; shift ;;
	--cases) CASES=$2; shift ;;
	--cpus-a) CPUS_A=$2; shift ;;
	--cpus-b) CPUS_B=$2; shift ;;
	--keep) KEEP=1 ;;
	-h | --help)
		sed -n '/^# Usage/,/^# the work dir/p' "$0" | sed 's/^# \{0,1\}//'
		exit 0 ;;
	*) echo "vpn-iperf: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$SECS" ] || { [ "$QUICK" = 1 ] && SECS=3 || SECS=10; }
case $SECS in '' | *[!0-9]*) echo "vpn-iperf: --seconds N" >&2; exit 2 ;; esac
case $PTYPE in vnet | af_packet | af_xdp) ;; *)
	echo "vpn-iperf: --port-type vnet|af_packet|af_xdp" >&2; exit 2 ;;
esac
case $ENCAP in udp | esp) ;; *)
	echo "vpn-iperf: --esp-encap udp|esp" >&2; exit 2 ;;
esac
case $GTYPE in vnet | af_packet | af_xdp) ;; *)
	echo "vpn-iperf: --guest-port vnet|af_packet|af_xdp" >&2; exit 2 ;;
esac
for c in $CASES; do
	case $c in sluice-plain | sluice-esp | linux-fwd | strongswan) ;;
	*) echo "vpn-iperf: unknown case $c" >&2; exit 2 ;;
	esac
done

GARGS=$PARGS UARGS=$PARGS
[ "$GTYPE" = vnet ] && GARGS= # an interface name, no options
[ "$PTYPE" = vnet ] && UARGS=
NATTW= ESPM=esp
[ "$ENCAP" = udp ] && NATTW=natt ESPM=udp,tp_dst=4500
SLUICE_DP=$BUILD/datapath/dpdk/sluice-dp
SLUICECTL=$BUILD/control/sluicectl/sluicectl
[ "$(id -u)" -eq 0 ] || { echo "vpn-iperf: needs root" >&2; exit 77; }
for b in "$SLUICE_DP" "$SLUICECTL"; do
	[ -x "$b" ] || { echo "vpn-iperf: no $b (ninja -C $BUILD)" >&2; exit 1; }
done
for b in iperf3 openssl /usr/sbin/charon-systemd swanctl ethtool; do
	command -v "$b" >/dev/null ||
		{ echo "vpn-iperf: needs $b" >&2; exit 77; }
done
HERE=$(cd "$(dirname "$0")" && pwd)
[ -f "$HERE/../lib/charon.sh" ] ||
	{ echo "vpn-iperf: run it from the source tree (tests/lib/charon.sh)" >&2
	exit 1; }
. "$HERE/../lib/charon.sh"
ulimit -l unlimited 2>/dev/null || true

log() { echo "# $*" >&2; }
die() { echo "vpn-iperf: $*" >&2; exit 1; }

# Names: a tag unique to this run (PID plus random).
ID=$(printf 'v%04x%02x' $(($$ & 0xffff)) $((RANDOM & 0xff)))
WORK=$(mktemp -d "/tmp/vpn-iperf.XXXXXX") || die "mktemp"
NSS=()
PIDS=()

cleanup() {
	local pid i ns
	set +e
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${NSS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "/var/run/dpdk/vi-$ID-A" "/var/run/dpdk/vi-$ID-B"
	if [ "$KEEP" = 1 ]; then
		echo "# work dir kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ns() { echo "$ID-$1"; }
nsx() { local n; n=$(ns "$1"); shift; ip netns exec "$n" "$@"; }
offloads_off() { # ns if
	nsx "$1" ethtool -K "$2" tx off rx off tso off gso off gro off sg off \
		>/dev/null 2>&1 || true
}

for n in GA GB RA RB T; do
	ip netns add "$(ns $n)" || die "ip netns add"
	NSS+=("$(ns $n)")
	nsx $n ip link set lo up
	nsx $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	nsx $n sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
nsx T ip link add br0 type bridge
nsx T ip link set br0 up
# A wire, not a firewall: no iptables calls for bridged frames (the
# sysctls exist per namespace once br_netfilter is loaded).
for k in iptables ip6tables arptables; do
	f=/proc/sys/net/bridge/bridge-nf-call-$k
	nsx T test -e $f && nsx T sysctl -qw net.bridge.bridge-nf-call-$k=0
done

gmacA=02:61:00:00:01:02
gmacB=02:61:00:00:02:02
rmacA=02:61:00:00:01:01 # the gateway's MAC towards its guest
rmacB=02:61:00:00:02:01
declare -A GMAC=([A]=$gmacA [B]=$gmacB) RMAC=([A]=$rmacA [B]=$rmacB)
declare -A GNET=([A]=10.61.1 [B]=10.61.2) OUTER=([A]=192.0.2.1 [B]=192.0.2.2)
for s in A B; do
	ip link add g$s netns "$(ns R$s)" type veth peer name eth0 \
		netns "$(ns G$s)" || die "veth g$s"
	ip link add u$s netns "$(ns R$s)" type veth peer name t$s \
		netns "$(ns T)" || die "veth u$s"
	nsx G$s ip link set eth0 address "${GMAC[$s]}"
	nsx G$s ip addr add "${GNET[$s]}.2/24" dev eth0
	nsx G$s ip link set eth0 mtu 1400
	[ "$PTYPE" = vnet ] || offloads_off R$s u$s
	# vnet guest ports: the guest and the host end keep their offloads.
	[ "$GTYPE" = vnet ] || offloads_off R$s g$s
	for i in g$s u$s; do
		nsx R$s ip link set $i up
	done
	nsx R$s ip link set g$s address "${RMAC[$s]}"
	[ "$GTYPE" = vnet ] || offloads_off G$s eth0
	nsx G$s ip link set eth0 up
	nsx G$s ip route add default via "${GNET[$s]}.1"
	nsx G$s ip neigh replace "${GNET[$s]}.1" lladdr "${RMAC[$s]}" dev eth0
	nsx T ip link set t$s master br0
	nsx T ip link set t$s up
done
umacA=$(nsx RA cat /sys/class/net/uA/address)
umacB=$(nsx RB cat /sys/class/net/uB/address)

# --- iperf3 ---------------------------------------------------------------
IPERF_SRV=
iperf_server() {
	ip netns exec "$(ns GB)" iperf3 -s -B 10.61.2.2 \
		>"$WORK/iperf3-server.log" 2>&1 &
	IPERF_SRV=$!
	PIDS+=("$IPERF_SRV")
	sleep 0.5
}
iperf_server

# run_iperf CASE STREAMS: one iperf3 run GA -> GB; prints the case line,
# records the rate in RATE[CASE,STREAMS].
declare -A RATE
run_iperf() {
	local c=$1 p=$2 j="$WORK/iperf-$1-$2.json" gbps rt
	nsx GA timeout $((SECS + 30)) iperf3 -c 10.61.2.2 -t "$SECS" -P "$p" \
		-J >"$j" 2>&1
	read -r gbps rt < <(/usr/bin/python3 - "$j" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    e = d["end"]
    print("%.3f %d" % (e["sum_received"]["bits_per_second"] / 1e9,
                       e["sum_sent"].get("retransmits", 0)))
except Exception:
    print("0 -1")
EOF
	)
	RATE[$c,$p]=$gbps
	echo "case=$c streams=$p gbps=$gbps retrans=$rt"
}

# --- sluice-dp ------------------------------------------------------------
declare -A SOCK DPPID
dp_start() { # site
	local s=$1 lg="$WORK/dp-$1.log" cpus m w i
	[ "$s" = A ] && cpus=$CPUS_A || cpus=$CPUS_B
	m=${cpus%,*} w=${cpus#*,}
	SOCK[$s]="$WORK/dp-$s.sock"
	# ip netns exec execs the program: $! is sluice-dp itself.
	ip netns exec "$(ns R$s)" "$SLUICE_DP" --socket "${SOCK[$s]}" \
		--file-prefix "vi-$ID-$s" \
		--main-cpu "$m" --worker-cpus "$w" \
		--port "guest=$GTYPE:g$s$GARGS" \
		--port "uplink=$PTYPE:u$s$UARGS" \
		>"$lg" 2>&1 &
	DPPID[$s]=$!
	PIDS+=("${DPPID[$s]}")
	KRX0[$s]=$(kernel_rx $s)
	for i in $(seq 300); do
		kill -0 "${DPPID[$s]}" 2>/dev/null ||
			{ cat "$lg" >&2; die "sluice-dp $s exited at start"; }
		[ -S "${SOCK[$s]}" ] && grep -q 'running:' "$lg" && return 0
		sleep 0.1
	done
	die "sluice-dp $s did not come up in 30 s"
}
dp_stop() {
	local s
	for s in A B; do
		kill -TERM "${DPPID[$s]}" 2>/dev/null
		wait "${DPPID[$s]}" 2>/dev/null ||
			log "sluice-dp $s exited with $?"
		rm -rf "/var/run/dpdk/vi-$ID-$s"
	done
}
ctl() { local s=$1; shift; "$SLUICECTL" -s "${SOCK[$s]}" "$@"; }

# flows SITE ESP(0|1): dp_esp.sh's rules, or the same without ESP.
flows() {
	local s=$1 esp=$2 o l p um pm
	[ "$s" = A ] && o=B || o=A
	l=${GNET[$s]}.0/24 p=${GNET[$o]}.0/24
	[ "$s" = A ] && um=$umacA pm=$umacB || um=$umacB pm=$umacA
	if [ "$esp" = 1 ]; then
		cat <<EOF
table=0,priority=10,in_port=1,ip,nw_dst=$p,actions=esp_encrypt(sa=1),set_field:$um->eth_src,set_field:$pm->eth_dst,output:2
table=0,priority=10,in_port=2,$ESPM,actions=esp_decrypt(table=1)
table=1,priority=10,reg1=2,ip,nw_dst=$l,actions=set_field:${RMAC[$s]}->eth_src,set_field:${GMAC[$s]}->eth_dst,output:1
EOF
	else
		cat <<EOF
table=0,priority=10,in_port=1,ip,nw_dst=$p,actions=set_field:$um->eth_src,set_field:$pm->eth_dst,output:2
table=0,priority=10,in_port=2,ip,nw_dst=$l,actions=set_field:${RMAC[$s]}->eth_src,set_field:${GMAC[$s]}->eth_dst,output:1
EOF
	fi
}

ping_wait() {
	local i
	for i in $(seq 10); do
		nsx GA ping -n -c 1 -W 3 10.61.2.2 >/dev/null 2>&1 && return 0
	done
	return 1
}

# dp_stats CASE: drop reasons that are not zero, port counters and SA
# counters after a Sluice case (all of it in the work dir).
dp_stats() {
	local s f
	for s in A B; do
		f="$WORK/stats-$1-$s.txt"
		{ ctl $s dp stats; ctl $s dp ports; ctl $s dp sa-list
		  nsx R$s ip -s link; } >"$f" 2>&1
		awk '/^drops:/ { d = 1; next }
			d && NF == 2 && $2 ~ /^[0-9]+$/ && $2 != 0 ||
			/^sa /' "$f" | sed "s/^/# $1 $s: /" >&2
		# Frames the kernel delivered to the port's interface that
		# sluice-dp never received: lost in the socket's ring.
		local k p
		k=$(( $(kernel_rx $s) - ${KRX0[$s]} ))
		p=$(ctl $s -o json dp ports | /usr/bin/python3 -c '
import json, sys
print(sum(p["rx_packets"] for p in json.load(sys.stdin)
          if p.get("type") not in ("vnet", 7)))')
		[ "$GTYPE$PTYPE" = vnetvnet ] ||
			echo "# $1 $s: kernel rx $k, sluice-dp rx $p," \
				"lost in the rx rings $((k - p))" >&2
		echo "# $1 $s: CPU seconds by thread over the case:" \
			"$(dp_cpu "${DPPID[$s]}")" >&2
	done
}

# kernel_rx SITE: frames the kernel delivered to site's gX and uX so far
# (not those of vnet ports: the kernel counts a super-frame once,
# sluice-dp each of its segments).
kernel_rx() {
	nsx R$1 ip -j -s link | /usr/bin/python3 -c '
import json, sys
vnet = {"g": sys.argv[1] == "vnet", "u": sys.argv[2] == "vnet"}
print(sum(l["stats64"]["rx"]["packets"] for l in json.load(sys.stdin)
          if l["ifname"] != "lo" and not vnet.get(l["ifname"][0])))' \
		"$GTYPE" "$PTYPE"
}
declare -A KRX0

# dp_cpu PID: CPU seconds (user+system) of each thread, by thread name.
dp_cpu() {
	local t n
	for t in /proc/$1/task/*; do
		n=$(tr ' ' _ <"$t/comm")
		awk -v n="$n" -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, "")
			c = ($12 + $13) / hz; if (c >= 0.1) printf "%s=%.1f ", n, c }' \
			"$t/stat"
	done
}

sluice_case() { # esp(0|1)
	local esp=$1 c s
	[ "$esp" = 1 ] && c=sluice-esp || c=sluice-plain
	dp_start A
	dp_start B
	if [ "$esp" = 1 ]; then
		k1=$(printf '%040x' 1) k2=$(printf '%040x' 2)
		ctl A dp sa-add id=1 spi=0x1001 dir=out cipher=aes-gcm-128 \
			key="$k1" src=192.0.2.1 dst=192.0.2.2 esn $NATTW >/dev/null &&
			ctl A dp sa-add id=2 spi=0x2001 dir=in cipher=aes-gcm-128 \
				key="$k2" esn $NATTW >/dev/null &&
			ctl B dp sa-add id=1 spi=0x2001 dir=out \
				cipher=aes-gcm-128 key="$k2" src=192.0.2.2 \
				dst=192.0.2.1 esn $NATTW >/dev/null &&
			ctl B dp sa-add id=2 spi=0x1001 dir=in cipher=aes-gcm-128 \
				key="$k1" esn $NATTW >/dev/null || die "sa-add"
	fi
	for s in A B; do
		flows $s "$esp" | ctl $s dp add-flows - >/dev/null ||
			die "flows $s"
	done
	ping_wait || { dp_stats $c; die "$c: no ping through"; }
	log "$c: $GTYPE guest ports, $PTYPE uplinks, ESP in $ENCAP; sluice-dp A" \
		"main,worker CPU $CPUS_A, B $CPUS_B"
	for p in 1 4; do run_iperf $c $p; done
	dp_stats $c
	dp_stop
	# vnet ports' closing lines: super-frames cut, GSO runs sent.
	for s in A B; do
		sed -n 's/^sluice-dp: info: port \(guest\|uplink\): vnet [gu].: /# '"$c $s"' \1: /p' \
			"$WORK/dp-$s.log" >&2
	done
}

# --- the kernel as the gateway --------------------------------------------
linux_gw() { # up|down
	local s
	for s in A B; do
		if [ "$1" = up ]; then
			nsx R$s ip addr add "${GNET[$s]}.1/24" dev g$s
			nsx R$s ip addr add "${OUTER[$s]}/24" dev u$s
			nsx R$s sysctl -qw net.ipv4.ip_forward=1
		fi
	done
}
LINUX_GW=0
linux_case() {
	[ "$LINUX_GW" = 1 ] || { linux_gw up; LINUX_GW=1; }
	nsx RA ip route add 10.61.2.0/24 via 192.0.2.2
	nsx RB ip route add 10.61.1.0/24 via 192.0.2.1
	ping_wait || die "linux-fwd: no ping through"
	for p in 1 4; do run_iperf linux-fwd $p; done
	nsx RA ip route del 10.61.2.0/24
	nsx RB ip route del 10.61.1.0/24
}

# --- strongSwan -----------------------------------------------------------
declare -A CHPID
site_charon() { # site
	local s=$1 o d="$WORK/charon-$1" rc start
	[ "$s" = A ] && o=B || o=A
	[ "$s" = A ] && start=start || start=none
	mkdir -p "$d"
	charon_conf_write "$d" log.esp=0
	cat >"$d/swanctl.conf" <<EOF
connections { vpn {
  version = 2
  local_addrs = ${OUTER[$s]}
  remote_addrs = ${OUTER[$o]}
  proposals = aes128gcm16-prfsha256-ecp256
  encap = yes
  mobike = no
  local { auth = psk
          id = ${OUTER[$s]} }
  remote { auth = psk
           id = ${OUTER[$o]} }
  children { net {
    local_ts = ${GNET[$s]}.0/24
    remote_ts = ${GNET[$o]}.0/24
    mode = tunnel
    esp_proposals = aes128gcm16
    start_action = $start } } } }
secrets { ike-ab { id-a = 192.0.2.1
                   id-b = 192.0.2.2
                   secret = "vpn-iperf-bench-psk-$ID" } }
EOF
	charon_start "$(ns R$s)" "$d"
	rc=$?
	PIDS+=("$charon_pid")
	CHPID[$s]=$charon_pid
	[ "$rc" = 0 ] || die "charon $s did not start"
}
swan() { # site args
	local s=$1
	shift
	nsx R$s swanctl "$@" --uri "unix://$WORK/charon-$s/charon.vici"
}
swan_case() {
	local i s
	[ "$LINUX_GW" = 1 ] || { linux_gw up; LINUX_GW=1; }
	site_charon B
	site_charon A
	# (swanctl complains about the credential folders it does not find)
	swan B --load-all --file "$WORK/charon-B/swanctl.conf" >/dev/null \
		2>&1 || die "swanctl B"
	swan A --load-all --file "$WORK/charon-A/swanctl.conf" >/dev/null \
		2>&1 || die "swanctl A"
	for i in $(seq 100); do
		swan A --list-sas 2>/dev/null | grep -q INSTALLED && break
		sleep 0.2
	done
	swan A --list-sas | grep -q INSTALLED ||
		die "strongswan: no child SA (see $WORK/charon-A/charon.log)"
	ping_wait || die "strongswan: no ping through"
	log "strongswan: $(swan A --list-sas | grep -m1 -o 'AES_GCM[^ ]*.*')"
	for p in 1 4; do run_iperf strongswan $p; done
	for s in A B; do
		log "strongswan $s: CPU seconds of charon's threads:" \
			"$(dp_cpu "${CHPID[$s]}")"
	done
}

openssl_ceiling() {
	local g
	g=$(openssl speed -seconds 3 -aead -evp aes-128-gcm -bytes 1400 \
		2>/dev/null | awk 'END { v = $NF; sub(/k$/, "", v);
			printf "%.2f", v * 1000 * 8 / 1e9 }')
	echo "openssl aes-128-gcm bytes=1400 gbps=$g"
}

log "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); ${SECS} s runs"
# A busy process above normal priority (another benchmark's nice -20
# DPDK worker) starves the workers: the figures are then the machine's.
hiprio() {
	ps -eo pid=,ni=,pcpu=,comm= | awk '$2 ~ /^-[0-9]/ && $3 > 20 {
		printf "%s pid %s nice %s %s%% CPU; ", $4, $1, $2, $3 }'
}
for c in $CASES; do
	h=$(hiprio)
	[ -z "$h" ] || log "warning: busy high-priority processes: $h"
	case $c in
	sluice-plain) sluice_case 0 ;;
	sluice-esp) sluice_case 1 ;;
	linux-fwd) linux_case ;;
	strongswan) swan_case ;;
	esac
done
openssl_ceiling

best() { # case
	awk -v a="${RATE[$1,1]:-0}" -v b="${RATE[$1,4]:-0}" \
		'BEGIN { printf "%.3f", (a > b ? a : b) }'
}
sl=$(best sluice-esp)
sw=$(best strongswan)
echo "vpn-iperf sluice_gbps=$sl strongswan_gbps=$sw" \
	"vs_strongswan=$(awk -v a="$sl" -v b="$sw" \
		'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b
			 else printf "n/a" }')"
