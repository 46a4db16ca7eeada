#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# netns_lb_e2e.sh: the LB datapath driver (lbaas/lb_driver.c) between a
# real sluiced and a real sluice-dp: Octavia objects made with the real
# `openstack loadbalancer ...` commands become sluice-dp pools, read back
# with `sluicectl dp lb-stats`:
#
#   - one TCP listener + ROUND_ROBIN pool + 3 members + an HTTP monitor:
#     one datapath pool, 3 members up, source address = the VIP;
#     provisioning_status ACTIVE (the datapath accepted it);
#   - member weight 2 and backup reach the datapath;
#   - stopping one member's server: `member show` says ERROR and the
#     datapath member is down within delay x max_retries_down + 1 s
#     (+ the probe timeout, health.h's bound);
#   - weight 0 (drain) reaches the datapath; the server back: member up;
#   - SOURCE_IP persistence: alg source_ip;
#   - cascade delete removes the datapath pool;
#   - a pool no object holds (left in sluice-dp) is deleted at connect;
#   - `loadbalancer stats show` answers from the datapath's counters.
#
# Members are python3 http.server on 127.0.0.10-12 (tenant subnet
# 127.0.0.0/24), probed from sluiced's own namespace (`probe_netns =
# off`; members in guests are netns_lb_health_dp.sh's). Packets through the VIP are
# netns_lb_traffic.sh's (docs/lbaas.md, "Flow rules").
#
# usage: netns_lb_e2e.sh path/to/sluiced   (SLUICE_DP, SLUICECTL in env)
set -eu
SLUICED=${1:-}
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (sluice-dp)"
for c in openstack jq curl; do
	command -v $c >/dev/null || skip "$c missing"
done
. "$(dirname "$0")/../lib/sluice.sh"
sluice_need_bins
PY=/usr/bin/python3

id=$(($$ % 100000))
tmp=$(mktemp -d /tmp/sluice-lbe2e.XXXXXX)
sock=$tmp/dp.sock
dp_pid=
ctl_pid=
declare -A SRV=()

cleanup() {
	set +e
	for p in "${SRV[@]}"; do kill "$p" 2>/dev/null && wait "$p"; done
	sluice_stop
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	{
		echo "FAIL: $*"
		[ -S "$sock" ] && "$SLUICECTL" -s "$sock" dp lb-stats 2>&1 |
			sed 's/^/dp: /'
		for f in "$tmp"/*.log; do
			[ -f "$f" ] || continue
			echo "=== $f"
			tail -n 25 "$f"
		done
	} >&2
	exit 1
}
lbstats() { "$SLUICECTL" -s "$sock" dp lb-stats; }
stats_has() { lbstats | grep -qE -- "$1"; }

mkdir -p "$tmp/www"
echo ok >"$tmp/www/healthz"
MPORT=$(sluice_free_port)
start_srv() {
	$PY -m http.server "$MPORT" --bind "127.0.0.1$1" \
		--directory "$tmp/www" >/dev/null 2>&1 &
	SRV[$1]=$!
}
for i in 0 1 2; do start_srv $i; done

sluice_dp_start "$sock" "lbe$id" "$tmp/dp.log" --mem 128 --log-level warn

# A pool no object holds (as left by an earlier sluiced): pruned.
"$SLUICECTL" -s "$sock" dp lb-set id=77 alg=round_robin src=127.0.0.99 \
	member=127.0.0.98:80 >/dev/null || fail "sluicectl dp lb-set"
stats_has "^pool 77 " || fail "pool 77 not set"

api_port=$(sluice_free_port)
sluice_conf_write "$tmp/sluice.conf" "$api_port" "$tmp" "$sock"
cat >>"$tmp/sluice.conf" <<EOF
[lbaas]
probe_netns = off
EOF
export OS_AUTH_TYPE=none OS_ENDPOINT=http://127.0.0.1:$api_port
sluice_ctl_start "$tmp/sluice.conf" "$tmp/sluiced.log" "$OS_ENDPOINT"

os network create lbnet -f value -c id >/dev/null
SUB=$(os subnet create --network lbnet --subnet-range 127.0.0.0/24 \
	lbsub -f value -c id)
j=$(os loadbalancer create --name lb1 --vip-subnet-id "$SUB" -f json)
LB=$(jq -r .id <<<"$j")
VIP=$(jq -r .vip_address <<<"$j")
LI=$(os loadbalancer listener create --name l1 --protocol TCP \
	--protocol-port 80 "$LB" -f value -c id)
POOL=$(os loadbalancer pool create --name p1 --protocol TCP \
	--lb-algorithm ROUND_ROBIN --listener "$LI" -f value -c id)
declare -A MEM=()
for i in 0 1 2; do
	MEM[$i]=$(os loadbalancer member create --name m$i \
		--address 127.0.0.1$i --protocol-port "$MPORT" \
		--subnet-id "$SUB" "$POOL" -f value -c id)
done
os loadbalancer healthmonitor create --name hm --type HTTP --delay 2 \
	--timeout 1 --max-retries 1 --max-retries-down 2 \
	--url-path /healthz "$POOL" >/dev/null
wait_for "stale pool 77 pruned" 5 bash -c \
	"! '$SLUICECTL' -s '$sock' dp lb-stats | grep -q '^pool 77 '"
ok "a datapath pool no object holds was deleted"
ok "openstack: LB $LB (VIP $VIP), listener, pool, 3 members, monitor"

# 1. The pool in the datapath.
wait_for "3 members up in the datapath" 10 bash -c \
	"[ \$('$SLUICECTL' -s '$sock' dp lb-stats | grep -c ' up ') = 3 ]"
stats_has "^pool [0-9]+ alg=round_robin" || fail "pool alg"
ok "datapath pool: $(lbstats | head -1 | cut -d' ' -f1-3)"
for k in loadbalancer "loadbalancer listener" "loadbalancer pool"; do
	obj=$LB
	[ "$k" = "loadbalancer listener" ] && obj=$LI
	[ "$k" = "loadbalancer pool" ] && obj=$POOL
	# shellcheck disable=SC2086
	st=$(os $k show "$obj" -f value -c provisioning_status)
	[ "$st" = ACTIVE ] || fail "$k provisioning_status $st"
done
ok "provisioning_status ACTIVE (LB, listener, pool)"
wait_for "members ONLINE" 10 bash -c \
	"[ \"\$(openstack loadbalancer member show '$POOL' '${MEM[0]}' \
	-f value -c operating_status)\" = ONLINE ]"

st=$(os loadbalancer stats show "$LB" -f json)
[ "$(jq -r .total_connections <<<"$st")" = 0 ] ||
	fail "stats show: $st"
ok "loadbalancer stats show answers from the datapath (no traffic: 0)"

# 2. Weight and backup.
os loadbalancer member set --weight 2 "$POOL" "${MEM[1]}"
wait_for "weight 2 in the datapath" 5 stats_has \
	"member 127.0.0.11:$MPORT weight=2 up"
os loadbalancer member set --enable-backup "$POOL" "${MEM[2]}"
wait_for "backup in the datapath" 5 stats_has \
	"member 127.0.0.12:$MPORT weight=1 up backup"
os loadbalancer member set --disable-backup "$POOL" "${MEM[2]}"
ok "weight 2 and backup reached the datapath"

# 3. A member's server stops: down in the datapath within delay x
# max_retries_down + 1 s (2 x 2 + 1 = 5 s), polled every 0.1 s.
kill "${SRV[2]}"
wait "${SRV[2]}" 2>/dev/null || true
unset 'SRV[2]'
t0=$(date +%s%N)
down=
for _ in $(seq 100); do
	if stats_has "member 127.0.0.12:$MPORT weight=1 down"; then
		down=1
		break
	fi
	sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
[ -n "$down" ] || fail "datapath member 2 not down after $ms ms"
[ $ms -le 5000 ] || fail "down after $ms ms (bound 5000)"
st=$(os loadbalancer member show "$POOL" "${MEM[2]}" -f value \
	-c operating_status)
[ "$st" = ERROR ] || fail "member show: operating_status $st"
lbstats | grep -q "member 127.0.0.1[01]:$MPORT weight=[12] up" ||
	fail "other members not up"
ok "member 2 down in the datapath after $ms ms (bound 5000), member show ERROR"
os loadbalancer status show "$LB" >"$tmp/status.json"
jq -e '.. | objects | select(.id? == "'"${MEM[2]}"'") |
	select(.operating_status == "ERROR")' "$tmp/status.json" \
	>/dev/null || fail "status show: member 2 not ERROR"
ok "loadbalancer status show: member 2 ERROR"
start_srv 2
wait_for "member 2 back up" 15 stats_has \
	"member 127.0.0.12:$MPORT weight=1 up"
ok "member 2 back up"

# 4. Drain.
os loadbalancer member set --weight 0 "$POOL" "${MEM[0]}"
wait_for "weight 0 in the datapath" 5 stats_has \
	"member 127.0.0.10:$MPORT weight=0"
ok "weight 0 reached the datapath"

# 5. SOURCE_IP persistence.
os loadbalancer pool set --session-persistence type=SOURCE_IP "$POOL"
wait_for "source_ip in the datapath" 5 stats_has "alg=source_ip"
ok "SOURCE_IP persistence -> alg source_ip"

# 6. Cascade delete.
os loadbalancer delete --cascade "$LB"
wait_for "pool gone from the datapath" 5 bash -c \
	"! '$SLUICECTL' -s '$sock' dp lb-stats | grep -q '^pool'"
ok "cascade delete removed the datapath pool"
kill -0 "$dp_pid" || fail "sluice-dp died"
kill -0 "$ctl_pid" || fail "sluiced died"
echo "netns_lb_e2e: ok"
