#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# netns_lb_nginx.sh: a load balancer made with the real `openstack
# loadbalancer` CLI against sluiced, its VIP served by sluice-dp to three
# Debian nginx members, reached from a client on another subnet through
# a router and from the external network through a floating IP
# (control/net/compiler_lb.c, docs/lbaas.md "Flow rules"):
#
#   ns M0 10.78.0.20 --+ lbnet 10.78.0.0/24 (VIP)  router R: lbsub, csub,
#   ns M1 10.78.0.21 --+                            gateway on public
#   ns M2 10.78.0.22 --+
#   ns C  10.79.0.10 ---- cnet 10.79.0.0/24 (routed client)
#   ns X  172.25.4.100 -- public 172.25.4.0/24 (external; floating IP on
#                         the VIP port)
#
# Each member runs its own nginx (config, pid, logs under the temp dir)
# on 8080 (body: its name) and 8081 (body "mb": the backup member, on
# M0). Pool SOURCE_IP_PORT (Maglev). Checks, each a hard assertion:
#   - equal weights: 10,000 connections from C land within 10% of even
#     (bodies, and the access logs agree); the backup gets none;
#   - the floating IP from X answers (300 connections, all three members);
#   - weights 1:2:3: 6,000 connections, each member within 10% of its
#     share (1/6, 2/6, 3/6);
#   - weight 0 on m2: a slow 6 MB download already on m2 completes, and
#     m2 gets none of 1,500 new connections;
#   - backup: all primaries admin-state down, every connection goes to
#     the backup member; back up, the backup gets nothing again.
# No health monitor (probes would leave sluiced's namespace).
#
# usage: netns_lb_nginx.sh path/to/sluiced   (SLUICE_DP, SLUICECTL in env)
set -euo pipefail
SLUICED=${1:-}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/sluice.sh"
sluice_test_init lbnginx ln n curl nginx
PY=/usr/bin/python3
CL="$HERE/lb_client.py"
N_EVEN=${LB_NGINX_N:-10000}
hold_pid=
guests="C X M0 M1 M2"
declare -A NGX=()

cleanup() {
	set +e
	[ -n "$hold_pid" ] && kill "$hold_pid" 2>/dev/null && wait "$hold_pid"
	for p in "${NGX[@]}"; do kill "$p" 2>/dev/null && wait "$p"; done
	sluice_cleanup
}
trap cleanup EXIT
fail() {
	{
		echo "FAIL: $*"
		if [ -S "$sock" ]; then
			"$SLUICECTL" -s "$sock" dp lb-stats
			"$SLUICECTL" -s "$sock" dp stats | grep -v " 0$"
			"$SLUICECTL" -s "$sock" dp ct-stats
			"$SLUICECTL" -s "$sock" dp dump-flows |
				grep -E "lb_select|actions=drop" |
				grep -v "n_packets=0,"
		fi 2>&1 | sed 's/^/dp: /'
		for f in "$tmp"/*.log "$tmp"/*/error.log; do
			[ -f "$f" ] || continue
			echo "=== $f"
			tail -n 25 "$f"
		done
	} >&2
	exit 1
}
lbstats() { "$SLUICECTL" -s "$sock" dp lb-stats; }

declare -A MAC=([C]=fa:16:3e:78:00:10 [X]=fa:16:3e:78:00:99
	[M0]=fa:16:3e:78:00:20 [M1]=fa:16:3e:78:00:21
	[M2]=fa:16:3e:78:00:22)
declare -A IP=([C]=10.79.0.10 [X]=172.25.4.100 [M0]=10.78.0.20
	[M1]=10.78.0.21 [M2]=10.78.0.22)
declare -A GW=([C]=10.79.0.1 [M0]=10.78.0.1 [M1]=10.78.0.1
	[M2]=10.78.0.1)
for g in $guests; do
	guest_veth "$(ns $g)" "$(hif $g)" "${MAC[$g]}"
	ip -n "$(ns $g)" addr add "${IP[$g]}/24" dev eth0
	[ -z "${GW[$g]:-}" ] ||
		ip -n "$(ns $g)" route add default via "${GW[$g]}"
done

# nginx per member: its own prefix, config, pid and logs.
for i in 0 1 2; do
	d=$tmp/m$i
	mkdir -p "$d/www" "$d/wwwb" "$d/tmp"
	echo "m$i" >"$d/www/index.html"
	echo "mb" >"$d/wwwb/index.html"
	{
		echo "m$i"
		head -c 6000000 /dev/zero | tr '\0' x
	} >"$d/www/big"
	cat >"$d/nginx.conf" <<CONF
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
daemon off;
events { worker_connections 1024; }
http {
	access_log $d/access.log;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	keepalive_timeout 0;
	default_type text/plain;
	server {
		listen ${IP[M$i]}:8080 backlog=4096;
		root $d/www;
		location = /big { limit_rate 1m; }
	}
	server {
		listen ${IP[M$i]}:8081;
		root $d/wwwb;
		access_log $d/access-b.log;
	}
}
CONF
	chmod -R a+rX "$d"
	# Not through run(): $! must be nginx's own PID (ip netns exec
	# execs it), not a subshell's, or cleanup leaves nginx running.
	ip netns exec "$(ns M$i)" nginx -e "$d/error.log" -p "$d" \
		-c "$d/nginx.conf" >"$tmp/nginx$i.log" 2>&1 &
	NGX[$i]=$!
done
for i in 0 1 2; do
	wait_for "nginx m$i answers" 10 run M$i curl -sf -o /dev/null \
		"http://${IP[M$i]}:8080/"
done
ok "nginx on 3 members"

sluice_dp_start "$sock" "ln$id" "$tmp/dp.log" --mem 256 --log-level warn
api_port=$(sluice_free_port)
sluice_conf_write "$tmp/sluice.conf" "$api_port" "$tmp" "$sock"
export OS_AUTH_TYPE=none OS_ENDPOINT=http://127.0.0.1:$api_port
sluice_ctl_start "$tmp/sluice.conf" "$tmp/sluiced.log" "$OS_ENDPOINT"

os network create --external public -f value -c id >/dev/null
os subnet create --network public --subnet-range 172.25.4.0/24 \
	--gateway 172.25.4.1 --no-dhcp subpublic -f value -c id >/dev/null
os network create lbnet -f value -c id >/dev/null
SUB=$(os subnet create --network lbnet --subnet-range 10.78.0.0/24 \
	--gateway 10.78.0.1 --no-dhcp lbsub -f value -c id)
os network create cnet -f value -c id >/dev/null
os subnet create --network cnet --subnet-range 10.79.0.0/24 \
	--gateway 10.79.0.1 --no-dhcp csub -f value -c id >/dev/null
os router create R -f value -c id >/dev/null
os router add subnet R lbsub
os router add subnet R csub
os router set R --external-gateway public
j=$(os loadbalancer create --name lb1 --vip-subnet-id "$SUB" -f json)
LB=$(jq -r .id <<<"$j")
VIP=$(jq -r .vip_address <<<"$j")
VIP_PORT=$(jq -r .vip_port_id <<<"$j")
[ -n "$VIP_PORT" ] && [ "$VIP_PORT" != null ] || fail "no vip_port_id"
os security group create web -f value -c id >/dev/null
os security group rule create --ingress --protocol tcp --dst-port 8080:8081 \
	--remote-ip "$VIP/32" web >/dev/null
os port create --network cnet --mac-address "${MAC[C]}" \
	--fixed-ip "subnet=csub,ip-address=${IP[C]}" --no-security-group \
	--binding-profile "interface=$(hif C)" portC >/dev/null
os port create --network public --mac-address "${MAC[X]}" \
	--fixed-ip "subnet=subpublic,ip-address=${IP[X]}" \
	--disable-port-security --no-security-group \
	--binding-profile "interface=$(hif X)" portX >/dev/null
for i in 0 1 2; do
	os port create --network lbnet --mac-address "${MAC[M$i]}" \
		--fixed-ip "subnet=lbsub,ip-address=${IP[M$i]}" \
		--security-group web \
		--binding-profile "interface=$(hif M$i)" portM$i >/dev/null
done
LI=$(os loadbalancer listener create --name l1 --protocol TCP \
	--protocol-port 80 "$LB" -f value -c id)
POOL=$(os loadbalancer pool create --name p1 --protocol TCP \
	--lb-algorithm SOURCE_IP_PORT --listener "$LI" -f value -c id)
for i in 0 1 2; do
	os loadbalancer member create --name m$i --address "${IP[M$i]}" \
		--protocol-port 8080 --subnet-id "$SUB" "$POOL" >/dev/null
done
os loadbalancer member create --name mb --address "${IP[M0]}" \
	--protocol-port 8081 --subnet-id "$SUB" --enable-backup "$POOL" >/dev/null
FIP=$(os floating ip create public -f value -c floating_ip_address)
os floating ip set --port "$VIP_PORT" "$FIP"
ok "openstack: router R (lbsub, csub, gateway public), LB $LB (VIP $VIP," \
	"port $VIP_PORT), TCP listener, SOURCE_IP_PORT pool, 3 members +" \
	"1 backup, floating IP $FIP on the VIP"
wait_for "4 members up in the datapath" 20 bash -c \
	"[ \$('$SLUICECTL' -s '$sock' dp lb-stats | grep -c ' up') = 4 ]"
wait_for "VIP rules installed" 10 bash -c \
	"'$SLUICECTL' -s '$sock' dp dump-flows | grep -q 'lb_select'"
wait_for "C reaches a member through the VIP (routed)" 20 \
	run C curl -sf -o /dev/null --max-time 1 "http://$VIP/"
wait_for "X reaches a member through the floating IP" 20 \
	run X curl -sf -o /dev/null --max-time 1 "http://$FIP/"

# load NS HOST N -> $tmp/load.json; fails on any error.
load() {
	run "$1" $PY "$CL" load "$2" 80 "$3" 8 >"$tmp/load.json" ||
		fail "client in $1 failed"
	[ "$(jq .errors "$tmp/load.json")" -eq 0 ] ||
		fail "$(jq .errors "$tmp/load.json") of $3 connections" \
			"failed: $(jq -c .error_samples "$tmp/load.json")"
}
got() { jq -r ".counts.$1 // 0" "$tmp/load.json"; }
alog() { wc -l <"$tmp/m$1/access.log"; }
# within NAME N EXPECT: |N - EXPECT| <= EXPECT / 10
within() {
	local d=$(($2 - $3))
	[ "${d#-}" -le $(($3 / 10)) ] ||
		fail "$1: $2, not within 10% of $3"
}
shares() {
	echo "m0 $(got m0) m1 $(got m1) m2 $(got m2) mb $(got mb)" \
		"($(jq .seconds "$tmp/load.json") s)"
}

# 1. Equal weights, routed client.
declare -A A0=()
for i in 0 1 2; do A0[$i]=$(alog $i); done
load C "$VIP" "$N_EVEN"
echo "equal weights, $N_EVEN connections from C (routed): $(shares)"
for i in 0 1 2; do
	within "m$i" "$(got m$i)" $((N_EVEN / 3))
	[ $(($(alog $i) - A0[$i])) -eq "$(got m$i)" ] ||
		fail "m$i's access log has $(($(alog $i) - A0[$i])) new" \
			"lines, the bodies say $(got m$i)"
done
[ "$(got mb)" -eq 0 ] || fail "the backup served $(got mb) with primaries up"
ok "$N_EVEN connections through the VIP from another subnet, even"

# The API's stats count both directions apart: requests in, the
# members' responses (un-NATed by ct, not lb_select) out.
st=$(os loadbalancer stats show "$LB" -f json)
[ "$(jq .bytes_in <<<"$st")" -gt 0 ] && [ "$(jq .bytes_out <<<"$st")" -gt 0 ] &&
	[ "$(jq .total_connections <<<"$st")" -ge "$N_EVEN" ] ||
	fail "stats show after $N_EVEN connections: $st"
ok "loadbalancer stats show: bytes_in $(jq .bytes_in <<<"$st")," \
	"bytes_out $(jq .bytes_out <<<"$st")," \
	"total_connections $(jq .total_connections <<<"$st")"

# 2. The floating IP from the external network.
load X "$FIP" 300
echo "300 connections from X to the floating IP: $(shares)"
for i in 0 1 2; do
	[ "$(got m$i)" -gt 0 ] || fail "m$i got nothing through the FIP"
done
ok "floating IP of the VIP answers from the external network"

# 2b. wrk (one connection per request) from the external network
# through the floating IP and from the routed client through the VIP:
# no socket error, no non-2xx, every member serves.
if command -v wrk >/dev/null; then
	for src in "X $FIP" "C $VIP"; do
		read -r g addr <<<"$src"
		for i in 0 1 2; do A0[$i]=$(alog $i); done
		run "$g" wrk -t1 -c8 -d2s -H 'Connection: close' \
			"http://$addr/" >"$tmp/wrk.out" 2>&1 ||
			fail "wrk from $g: $(cat "$tmp/wrk.out")"
		! grep -q "Socket errors\|Non-2xx" "$tmp/wrk.out" ||
			fail "wrk from $g to $addr: $(cat "$tmp/wrk.out")"
		echo "wrk from $g to $addr: $(awk '/Requests\/sec/ {print $2}' \
			"$tmp/wrk.out") requests/s, members" \
			"$(($(alog 0) - A0[0]))/$(($(alog 1) - A0[1]))/$(($(alog 2) - A0[2]))"
		for i in 0 1 2; do
			[ $(($(alog $i) - A0[$i])) -gt 0 ] ||
				fail "wrk from $g: m$i served nothing"
		done
	done
	ok "wrk through the floating IP and the VIP: no errors, all members"
else
	echo "wrk missing: wrk check left out"
fi

# 3. Weights 1:2:3.
os loadbalancer member set --weight 2 "$POOL" m1
os loadbalancer member set --weight 3 "$POOL" m2
wait_for "weights 1:2:3 in the datapath" 10 bash -c \
	"'$SLUICECTL' -s '$sock' dp lb-stats | grep -q '${IP[M2]}:8080 weight=3'"
load C "$VIP" 6000
echo "weights 1:2:3, 6000 connections: $(shares)"
for i in 0 1 2; do
	within "m$i (weight $((i + 1)))" "$(got m$i)" $((1000 * (i + 1)))
done
ok "weights 1:2:3 shift the share in proportion"

# 4. Drain: weight 0 on m2 while a slow download from it runs.
os loadbalancer member set --weight 1 "$POOL" m1
os loadbalancer member set --weight 1 "$POOL" m2
ip netns exec "$(ns C)" $PY "$CL" hold "$VIP" 80 m2 "$tmp/hold.status" &
hold_pid=$! # the client's own PID (not through run()), for cleanup
wait_for "a download lands on m2" 20 grep -q landed "$tmp/hold.status"
os loadbalancer member set --weight 0 "$POOL" m2
wait_for "m2 at weight 0 in the datapath" 10 bash -c \
	"'$SLUICECTL' -s '$sock' dp lb-stats | grep -q '${IP[M2]}:8080 weight=0'"
! grep -q complete "$tmp/hold.status" ||
	fail "the download ended before the drain (too fast)"
load C "$VIP" 1500
echo "m2 at weight 0, 1500 connections: $(shares)"
[ "$(got m2)" -eq 0 ] || fail "m2 at weight 0 got $(got m2) new connections"
wait "$hold_pid" || fail "download from m2: $(cat "$tmp/hold.status")"
hold_pid=
grep -q "^complete 6000003$" "$tmp/hold.status" ||
	fail "download from m2: $(cat "$tmp/hold.status")"
ok "weight 0 drains m2: its download completed, no new connection"

# 5. Backup: all primaries admin-state down.
os loadbalancer member set --weight 1 --disable "$POOL" m2
for i in 0 1; do os loadbalancer member set --disable "$POOL" m$i; done
wait_for "primaries down in the datapath" 10 bash -c \
	"[ \$('$SLUICECTL' -s '$sock' dp lb-stats | grep -c ':8080 .* down') = 3 ]"
load C "$VIP" 300
echo "primaries down, 300 connections: $(shares)"
[ "$(got mb)" -eq 300 ] || fail "the backup got $(got mb) of 300"
for i in 0 1 2; do os loadbalancer member set --enable "$POOL" m$i; done
wait_for "primaries up in the datapath" 10 bash -c \
	"[ \$('$SLUICECTL' -s '$sock' dp lb-stats | grep -c ':8080 .* up') = 3 ]"
load X "$FIP" 300
echo "primaries up again, 300 connections via the floating IP: $(shares)"
[ "$(got mb)" -eq 0 ] || fail "the backup got $(got mb) with primaries up"
ok "backup member: everything with all primaries down, nothing otherwise"
echo "netns_lb_nginx: ok"
