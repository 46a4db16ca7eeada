#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# netns_tenants.sh: two projects with the same 10.0.0.0/24 on one sluice-dp,
# programmed by control/net (compiler, reconciler, binder, DHCP responder)
# through ctlnet_nettest, no sluiced. Guests are network namespaces on
# veths, with addresses from DHCP via busybox udhcpc.
#
#   ns A1 eth0 fa:16:3e:00:0a:01 ---- veth ---+
#   ns A2 eth0 fa:16:3e:00:0a:02 ---- veth ---+  sluice-dp   project P1 net A
#   ns B1 eth0 fa:16:3e:00:0b:01 ---- veth ---+  (af_packet  (seg 101): A1 .11
#   ns B2 eth0 fa:16:3e:00:0b:02 ---- veth ---+   ports)     A2 .12
#                                                project P2 net B (seg 202):
#                                                B1 .11  B2 .22
#
# Checks: DHCP gives each guest its port's address; ping inside a project
# works; A1 cannot reach B2 (10.0.0.22 exists only in B), not even with a
# static neighbour entry for B2's MAC; a spoofed source IP or MAC from A1 is
# dropped; restarting the controller changes zero rules and loses no ping;
# a restarted (empty) sluice-dp is fully reprogrammed and traffic returns.
#
# Env: NETTEST (ctlnet_nettest), SLUICE_DP (sluice-dp; else looked for
# beside the build), PORT_TYPE (af_packet, the default, or af_xdp: how the
# guests' veths are attached). Exit 77 when this machine cannot run it.
set -euo pipefail

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; dump_logs; exit 1; }
step() { echo "--- $*"; }

[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, AF_PACKET)"
command -v ip >/dev/null || skip "iproute2 missing"
UDHCPC=$(command -v udhcpc || true)
if [ -z "$UDHCPC" ] && busybox udhcpc --help >/dev/null 2>&1; then
	UDHCPC="busybox udhcpc"
fi
[ -n "$UDHCPC" ] || skip "no udhcpc (apt-get install udhcpc)"
NETTEST=${NETTEST:-}
[ -x "$NETTEST" ] || skip "NETTEST (ctlnet_nettest) not built"
if [ -z "${SLUICE_DP:-}" ]; then
	cand="$(dirname "$NETTEST")/../../datapath/dpdk/sluice-dp"
	[ -x "$cand" ] && SLUICE_DP=$cand
fi
[ -x "${SLUICE_DP:-}" ] || skip "sluice-dp not built (set SLUICE_DP)"

id=$(( $$ % 100000 ))
tmp=$(mktemp -d /tmp/ctlnet-netns.XXXXXX)
sock=$tmp/dp.sock
dp_pid=
ctl_pid=
guests="A1 A2 B1 B2"

ns() { echo "ctlnet$id-$1"; }
hif() { echo "c$id$1" | tr 'A-Z' 'a-z'; }	# host end, <= 15 chars
# Only the guest and cleanup helpers: the controller here is no sluiced.
. "$(dirname "$0")/../../../tests/lib/sluice.sh"
. "$(dirname "$0")/../../../tests/lib/guest.sh"

cleanup() {
	set +e
	sluice_stop
	sluice_guests_del
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM

dump_logs() {
	for f in "$tmp"/*.log; do
		[ -f "$f" ] || continue
		echo "=== $f"; tail -n 30 "$f"
	done
}

declare -A MAC=( [A1]=fa:16:3e:00:0a:01 [A2]=fa:16:3e:00:0a:02
		 [B1]=fa:16:3e:00:0b:01 [B2]=fa:16:3e:00:0b:02 )
declare -A IP=( [A1]=10.0.0.11 [A2]=10.0.0.12 [B1]=10.0.0.11 [B2]=10.0.0.22 )
declare -A NET=( [A1]=netA [A2]=netA [B1]=netB [B2]=netB )

step "topology: 4 guests in namespaces on veths (${PORT_TYPE:-af_packet})"
for g in $guests; do
	guest_veth "$(ns $g)" "$(hif $g)" "${MAC[$g]}"
done

step "sluice-dp on $sock"
ulimit -l unlimited 2>/dev/null || true
"$SLUICE_DP" --socket "$sock" --file-prefix "ctlnet$id" --mem 128 \
	--log-level warn >"$tmp/dp.log" 2>&1 &
dp_pid=$!

ctl_args=(--socket "$sock"
	--net "netA:P1:101:10.0.0.0/24:10.0.0.1"
	--net "netB:P2:202:10.0.0.0/24:10.0.0.1")
case "${PORT_TYPE:-af_packet}" in
af_packet) ;;
af_xdp) ctl_args+=(--xdp) ;;
*) fail "PORT_TYPE must be af_packet or af_xdp" ;;
esac
for g in $guests; do
	ctl_args+=(--port "port$g:${NET[$g]}:${MAC[$g]}:${IP[$g]}:$(hif $g)")
done

start_ctl() {
	rm -f "$tmp/ready"
	"$NETTEST" "${ctl_args[@]}" --ready "$tmp/ready" >>"$tmp/ctl.log" 2>&1 &
	ctl_pid=$!
	for _ in $(seq 150); do
		[ -f "$tmp/ready" ] && return 0
		kill -0 "$ctl_pid" 2>/dev/null || fail "controller exited"
		kill -0 "$dp_pid" 2>/dev/null || fail "sluice-dp exited"
		sleep 0.1
	done
	fail "controller not ready in 15 s"
}
stop_ctl() {
	kill "$ctl_pid"; wait "$ctl_pid" || true; ctl_pid=
}

step "controller: bind, compile, reconcile, serve DHCP"
start_ctl
grep -q "reconcile added=[1-9]" "$tmp/ctl.log" ||
	fail "first reconcile added nothing"

cat >"$tmp/udhcpc.sh" <<'EOF'
#!/bin/sh
case "$1" in
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	echo "$ip/$mask router=$router mtu=$mtu" >"$LEASE_FILE"
	;;
esac
exit 0
EOF
chmod +x "$tmp/udhcpc.sh"

step "DHCP: every guest gets its port's fixed IP"
for g in $guests; do
	LEASE_FILE=$tmp/lease.$g ip netns exec "$(ns $g)" \
		env LEASE_FILE="$tmp/lease.$g" $UDHCPC -i eth0 -n -q -t 5 \
		-T 1 -s "$tmp/udhcpc.sh" >"$tmp/udhcpc.$g.log" 2>&1 ||
		fail "$g: no DHCP lease"
	grep -q "^${IP[$g]}/24 router=10.0.0.1 mtu=1500" "$tmp/lease.$g" ||
		fail "$g: lease $(cat "$tmp/lease.$g") is not ${IP[$g]}/24"
	echo "$g: $(cat "$tmp/lease.$g")"
done

pingok() { ip netns exec "$(ns $1)" ping -q -c 2 -i 0.2 -W 1 "$2" >/dev/null; }
pingno() { ! ip netns exec "$(ns $1)" ping -q -c 2 -i 0.2 -W 1 "$2" >/dev/null; }

step "within a project: reachable"
pingok A1 10.0.0.12 || fail "A1 -> A2"
pingok A2 10.0.0.11 || fail "A2 -> A1"
pingok B1 10.0.0.22 || fail "B1 -> B2"
pingok B2 10.0.0.11 || fail "B2 -> B1"

# Guest-side echo counters (tests/lib/icmp_seen.sh).
. "$(dirname "$0")/../../../tests/lib/icmp_seen.sh"
unseen() { local g=$1; shift; nt_unseen "$(ns "$g")" "$@"; }

step "across projects: unreachable"
unseen B2 pingok A1 10.0.0.22 || fail "A1 reached B2's address"
ip -n "$(ns A1)" neigh replace 10.0.0.22 lladdr "${MAC[B2]}" dev eth0
unseen B2 pingok A1 10.0.0.22 || fail "A1 reached B2 by its MAC"
ip -n "$(ns A1)" neigh del 10.0.0.22 dev eth0
ip -n "$(ns B2)" neigh replace 10.0.0.12 lladdr "${MAC[A2]}" dev eth0
unseen A2 pingok B2 10.0.0.12 || fail "B2 reached A2 by its MAC"
ip -n "$(ns B2)" neigh del 10.0.0.12 dev eth0

step "spoofing: forged source IP and MAC are dropped"
ip -n "$(ns A1)" addr add 10.0.0.99/24 dev eth0
unseen A2 ip netns exec "$(ns A1)" ping -q -c 2 -i 0.2 -W 1 -I 10.0.0.99 \
	10.0.0.12 || fail "A1 spoofing 10.0.0.99 got through"
ip -n "$(ns A1)" addr del 10.0.0.99/24 dev eth0
ip -n "$(ns A1)" link set eth0 address 02:00:00:00:66:66
ip -n "$(ns A1)" neigh replace 10.0.0.12 lladdr "${MAC[A2]}" dev eth0
unseen A2 pingok A1 10.0.0.12 || fail "A1 with a forged MAC got through"
ip -n "$(ns A1)" link set eth0 address "${MAC[A1]}"
ip -n "$(ns A1)" neigh flush dev eth0
ip -n "$(ns A2)" neigh flush dev eth0
pingok A1 10.0.0.12 || fail "A1 -> A2 after restoring its MAC"
! unseen A2 pingok A1 10.0.0.12 || fail "the echo counter does not count"

step "controller restart: zero rule changes, no ping lost"
ip netns exec "$(ns A1)" ping -q -c 30 -i 0.1 -W 1 10.0.0.12 \
	>"$tmp/ping-restart.log" 2>&1 &
ping_pid=$!
sleep 0.5
stop_ctl
"$NETTEST" "${ctl_args[@]}" --once >"$tmp/once.log" 2>&1 ||
	fail "controller --once failed"
grep reconcile "$tmp/once.log"
grep -q "reconcile added=0 deleted=0 same=[1-9]" "$tmp/once.log" ||
	fail "restart changed rules"
: >"$tmp/ctl.log"
start_ctl
grep -q "reconcile added=0 deleted=0 same=[1-9]" "$tmp/ctl.log" ||
	fail "second controller start changed rules"
wait "$ping_pid" || true
grep -q " 0% packet loss" "$tmp/ping-restart.log" ||
	fail "ping lost packets across the restart: $(grep loss "$tmp/ping-restart.log")"

step "sluice-dp kill -9 and restart: the controller reprograms it by itself"
kill -9 "$dp_pid"; wait "$dp_pid" 2>/dev/null || true
t0=$(date +%s%N)
"$SLUICE_DP" --socket "$sock" --file-prefix "ctlnet$id" --mem 128 \
	--log-level warn >>"$tmp/dp.log" 2>&1 &
dp_pid=$!
# Traffic all along: frames that reach the new datapath before its rules
# must not stay dropped once the rules are in.
ok=
for _ in $(seq 100); do
	if ip netns exec "$(ns A1)" ping -q -c 1 -W 0.1 10.0.0.12 \
		>/dev/null 2>&1; then
		ok=1; break
	fi
done
t2=$(date +%s%N)
[ -n "$ok" ] || fail "A1 -> A2 after the datapath restart"
# nettest prints the reconcile on its next 20 ms tick, which can come
# after the first ping through the reprogrammed datapath: wait for it.
for _ in $(seq 100); do
	grep -q "reconcile added=[1-9][0-9]* deleted=0 same=0" \
		"$tmp/ctl.log" && break
	sleep 0.02
done
grep -q "reconcile added=[1-9][0-9]* deleted=0 same=0" "$tmp/ctl.log" ||
	fail "the new datapath was not fully reprogrammed"
grep "programmed in" "$tmp/ctl.log" | tail -1
echo "traffic back $(( (t2 - t0) / 1000000 )) ms after starting sluice-dp"
unseen B2 pingok A1 10.0.0.22 || fail "isolation after the datapath restart"
pingok B1 10.0.0.22 || fail "B1 -> B2 after the datapath restart"
stop_ctl
grep "dhcp replies" "$tmp/ctl.log" | tail -1
echo "PASS"
