#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# dp_vhost: a vhost-user port with dpdk-testpmd as the guest (its
# net_virtio_user device) generating UDP frames (txonly); one rule sends
# them to a null sink. Every frame the guest sent must be received on the
# vhost-user port, hit the rule and leave the sink port.
#   server: sluice-dp owns the vhost-user socket (--port on the command
#           line), testpmd connects;
#   client: testpmd owns the socket, the port is hot-added through the
#           protocol (sluicectl dp port-add ... vhost-user-client) and
#           hot-removed under load at the end.
#
#   testpmd (guest)                          sluice-dp
#   net_virtio_user0 ==vhost-user socket== [port 1 vhost] -> [port 2 null]
#   txonly                                    in_port=1 -> output:2
. "$(dirname "$0")/../lib/netns.sh"

mode=${1:-server}
command -v dpdk-testpmd >/dev/null || nt_skip "needs dpdk-testpmd"
nt_init
sock="$NT_TMP/vhu.sock"
tp_prefix="tp-$NT_ID"
nt_on_exit "rm -rf /var/run/dpdk/$tp_prefix"

# The guest: --no-huge works for virtio_user only with
# --single-file-segments (memory in one memfd the backend can map).
start_guest() { # extra virtio_user devargs
	dpdk-testpmd --no-huge -m 256 --single-file-segments \
		--file-prefix "$tp_prefix" --lcores '0@0,1@0' --no-pci \
		--vdev "net_virtio_user0,path=$sock,queues=1$1" -- \
		--total-num-mbufs=8192 --forward-mode=txonly -a \
		--stats-period 1 >"$NT_TMP/testpmd.log" 2>&1 &
	tp_pid=$!
	NT_PIDS+=("$tp_pid")
}

stop_guest() {
	kill -INT "$tp_pid"
	wait "$tp_pid" || true
	# The last statistics block holds the totals.
	sent=$(grep -a 'TX-packets:' "$NT_TMP/testpmd.log" | tail -1 |
		awk '{ print $2 }')
	[ -n "$sent" ] || {
		tail "$NT_TMP/testpmd.log" >&2
		nt_fail "no testpmd totals"
	}
}

port_counter() { # port_no rx|tx
	nt_ctl dp ports | awk -v p="$1" -v d="$2:" '
		$1 == p { on = 1; next }
		on && $1 == d { print $2; exit }'
}

if [ "$mode" = server ]; then
	nt_dp_start --port "p1=vhost-user:$sock" \
		--port "p2=devargs:net_null_$NT_ID,no-rx=1"
	start_guest ""
else
	nt_dp_start
	start_guest ",server=1"
	for i in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	nt_ctl dp port-add p2 devargs "net_null_$NT_ID,no-rx=1" --port-no 2 ||
		nt_fail "port-add null"
	nt_ctl dp port-add p1 vhost-user-client "$sock" --port-no 1 ||
		nt_fail "port-add vhost-user-client"
fi
nt_ctl dp add-flow 'table=0,priority=10,in_port=1,actions=output:2'
# The guest starts slowly on a loaded machine: wait for traffic (15 s).
for i in $(seq 150); do
	rx=$(port_counter 1 rx)
	[ "${rx:-0}" -gt 100000 ] && break
	kill -0 "$tp_pid" 2>/dev/null ||
		{ tail "$NT_TMP/testpmd.log" >&2; nt_fail "testpmd exited"; }
	sleep 0.1
done
[ "${rx:-0}" -gt 100000 ] ||
	{ nt_ctl dp ports; nt_fail "vhost port received ${rx:-0} frames"; }

if [ "$mode" = client ]; then
	# Hot-remove the port while the guest still sends.
	nt_ctl dp port-del p1 || nt_fail "port-del p1 under load"
	nt_ctl dp ports | grep -q ' p1 ' && nt_fail "p1 still listed"
	nt_dp_alive || nt_fail "sluice-dp died removing a busy port"
	stop_guest
	echo "vhost-user-client: guest sent $sent;" \
		"port 1 received $rx before its removal"
	nt_dp_stop
	exit 0
fi

stop_guest
sleep 0.2
rx=$(port_counter 1 rx)
tx=$(port_counter 2 tx)
flows=$(nt_ctl dp dump-flows)
hit=$(echo "$flows" | sed -n 's/.*n_packets=\([0-9]*\).*/\1/p')
echo "vhost-user: guest sent $sent, port 1 rx $rx, rule $hit, port 2 tx $tx"
# testpmd counts its last bursts as sent even when it closes the device
# before the backend dequeued them: allow one ring (256) in flight.
[ "$rx" -le "$sent" ] && [ "$rx" -ge $((sent - 256)) ] ||
	nt_fail "port 1 received $rx of $sent"
[ "$hit" = "$rx" ] || nt_fail "the rule counted $hit of $rx received"
[ "$tx" = "$rx" ] || nt_fail "port 2 sent $tx of $rx received"
nt_dp_stop
