#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# dp_lb: the load balancer's datapath half (lb_select) with real servers.
# A client guest and three member guests running nginx (Debian; each with
# its own configuration in a temp directory, bound to its address) on
# af_packet ports of one sluice-dp; rules by sluicectl dp add-flows, the
# pool by sluicectl dp lb-set (ROUND_ROBIN, equal weights):
#
#   ns C  10.210.0.1 --- [port 1]                [port 2] --- ns M1 10.210.0.11
#                             sluice-dp          [port 3] --- ns M2 10.210.0.12
#   VIP 10.210.0.100:80       LB address         [port 4] --- ns M3 10.210.0.13
#                             10.210.0.200 (source NAT towards members)
#
# The guests reach the VIP and the LB address through static neighbour
# entries (the fake MAC 02:00:00:21:00:fe); sluice-dp rewrites MACs.
# 1. 300 curl requests to the VIP land within 10% of even across the
#    members (counted from the nginx access logs), each member sees only
#    the LB address as its peer.
# 2. A long rate-limited transfer runs from one member; another member's
#    nginx is stopped and the member set down: 60 new requests all succeed
#    on the remaining members, none reaches the stopped one, and the long
#    transfer completes whole.
. "$(dirname "$0")/../lib/netns.sh"

command -v nginx >/dev/null || nt_skip "needs nginx"
command -v curl >/dev/null || nt_skip "needs curl"
VIP=10.210.0.100
LBA=10.210.0.200
FAKE=02:00:00:21:00:fe
nt_init
nt_ns_add C
nt_veth C eth0 10.210.0.1/24 "${NT_ID}C" 02:00:00:21:00:01
for i in 1 2 3; do
	nt_ns_add "M$i"
	nt_veth "M$i" eth0 "10.210.0.1$i/24" "${NT_ID}M$i" "02:00:00:21:00:1$i"
	nt_exec "M$i" ip neigh replace $LBA lladdr $FAKE dev eth0
done
nt_exec C ip neigh replace $VIP lladdr $FAKE dev eth0
nt_dp_start --ct-max 10000 --port "p1=af_packet:${NT_ID}C" \
	--port "p2=af_packet:${NT_ID}M1" --port "p3=af_packet:${NT_ID}M2" \
	--port "p4=af_packet:${NT_ID}M3"

# nginx in each member: its own prefix, config, logs and a 24 MiB file
# served at 4 MiB/s (the long transfer).
head -c $((24 << 20)) /dev/zero >"$NT_TMP/big"
# nginx's workers run as nobody: they must read the files.
chmod 755 "$NT_TMP"
chmod 644 "$NT_TMP/big"
declare -A NGINX_PID
start_nginx() {
	local i=$1 d="$NT_TMP/nginx$1"
	mkdir -p -m 755 "$d" "$d/logs" "$d/www"
	echo "member $i" >"$d/www/index.html"
	chmod 644 "$d/www/index.html"
	ln -sf "$NT_TMP/big" "$d/www/big"
	cat >"$d/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log;
events { worker_connections 256; }
http {
	access_log $d/logs/access.log;
	client_body_temp_path $d/tmp_body;
	proxy_temp_path $d/tmp_proxy;
	fastcgi_temp_path $d/tmp_fcgi;
	uwsgi_temp_path $d/tmp_uwsgi;
	scgi_temp_path $d/tmp_scgi;
	keepalive_timeout 0;
	server {
		listen 10.210.0.1$i:80;
		root $d/www;
		location /big { limit_rate 4m; }
	}
}
EOF
	nt_exec "M$i" nginx -p "$d" -c "$d/nginx.conf" 2>"$d/logs/start.log" &
	NGINX_PID[$i]=$!
	NT_PIDS+=("${NGINX_PID[$i]}")
}
for i in 1 2 3; do start_nginx $i; done

nt_ctl dp add-flows - <<FLOWS
table=0,priority=10,tcp,in_port=1,nw_dst=$VIP,tp_dst=80,actions=lb_select(pool=1,zone=9,table=1)
table=0,priority=10,ip,in_port=2,actions=ct(zone=9,nat,table=2)
table=0,priority=10,ip,in_port=3,actions=ct(zone=9,nat,table=2)
table=0,priority=10,ip,in_port=4,actions=ct(zone=9,nat,table=2)
table=1,priority=20,ct_state=+inv,actions=drop
table=1,priority=10,ip,nw_dst=10.210.0.11,actions=set_field:$FAKE->eth_src,set_field:02:00:00:21:00:11->eth_dst,output:2
table=1,priority=10,ip,nw_dst=10.210.0.12,actions=set_field:$FAKE->eth_src,set_field:02:00:00:21:00:12->eth_dst,output:3
table=1,priority=10,ip,nw_dst=10.210.0.13,actions=set_field:$FAKE->eth_src,set_field:02:00:00:21:00:13->eth_dst,output:4
table=2,priority=10,ct_state=+est,ip,nw_dst=10.210.0.1,actions=set_field:$FAKE->eth_src,set_field:02:00:00:21:00:01->eth_dst,output:1
FLOWS
members="member=10.210.0.11:80 member=10.210.0.12:80 member=10.210.0.13:80"
# shellcheck disable=SC2086
nt_ctl dp lb-set id=1 alg=round_robin src=$LBA $members

# Wait for the servers (through the VIP: the whole path).
for i in $(seq 100); do
	ok=0
	for j in 1 2 3; do
		[ -s "$NT_TMP/nginx$j/nginx.pid" ] && ok=$((ok + 1))
	done
	[ $ok = 3 ] && nt_exec C curl -sf -o /dev/null --max-time 2 \
		"http://$VIP/" && break
	sleep 0.2
done
[ "$i" -lt 100 ] || nt_fail "no answer through the VIP in 20 s"

count() {
	local n
	n=$(grep -c '" 200 ' "$NT_TMP/nginx$1/logs/access.log" 2>/dev/null) ||
		true
	echo "${n:-0}"
}
declare -A base
for j in 1 2 3; do base[$j]=$(count $j); done

# 1. 300 requests, one connection each.
fails=0
for i in $(seq 300); do
	nt_exec C curl -sf -o /dev/null --max-time 5 "http://$VIP/" ||
		fails=$((fails + 1))
done
[ $fails = 0 ] || nt_fail "$fails of 300 requests failed"
for j in 1 2 3; do
	n=$(($(count $j) - base[$j]))
	echo "member $j: $n of 300 requests"
	[ $n -ge 90 ] && [ $n -le 110 ] ||
		nt_fail "member $j got $n of 300 (bound 90..110)"
	peers=$(awk '{ print $1 }' "$NT_TMP/nginx$j/logs/access.log" | sort -u)
	[ "$peers" = $LBA ] || nt_fail "member $j saw peers: $peers"
done
nt_ctl dp lb-stats 1

# 2. A long transfer, then another member stopped and set down.
nt_exec C curl -sf -o "$NT_TMP/big.got" --max-time 60 "http://$VIP/big" &
long=$!
NT_PIDS+=("$long")
serving=
for i in $(seq 50); do
	for j in 1 2 3; do
		conns=$(nt_exec "M$j" ss -Htn state established \
			'( sport = :80 )') || true
		[ -n "$conns" ] && serving=$j
	done
	[ -n "$serving" ] && break
	sleep 0.1
done
[ -n "$serving" ] || nt_fail "the long transfer has no member"
stop=$((serving % 3 + 1))
nt_log "long transfer on member $serving; stopping member $stop"
kill "${NGINX_PID[$stop]}"
wait "${NGINX_PID[$stop]}" 2>/dev/null || true
down=""
for j in 1 2 3; do
	if [ $j = $stop ]; then
		down="$down member=10.210.0.1$j:80,down"
	else
		down="$down member=10.210.0.1$j:80"
	fi
done
# shellcheck disable=SC2086
nt_ctl dp lb-set id=1 alg=round_robin src=$LBA $down
for j in 1 2 3; do base[$j]=$(count $j); done
fails=0
for i in $(seq 60); do
	nt_exec C curl -sf -o /dev/null --max-time 5 "http://$VIP/" ||
		fails=$((fails + 1))
done
[ $fails = 0 ] || nt_fail "$fails of 60 requests failed with member $stop down"
for j in 1 2 3; do
	n=$(($(count $j) - base[$j]))
	echo "member $j: $n of 60 requests after member $stop went down"
	if [ $j = $stop ]; then
		[ $n = 0 ] || nt_fail "stopped member $j got $n requests"
	else
		[ $n -ge 25 ] || nt_fail "member $j got only $n of 60"
	fi
done
kill -0 $long 2>/dev/null || nt_log "long transfer already done"
wait $long || nt_fail "the long transfer failed"
got=$(stat -c %s "$NT_TMP/big.got")
[ "$got" = $((24 << 20)) ] || nt_fail "long transfer: $got bytes"
nt_log "long transfer on member $serving completed: $got bytes"
stats=$(nt_ctl dp lb-stats 1)
echo "$stats"
echo "$stats" | grep -q "member 10.210.0.1$stop:80 weight=1 down" ||
	nt_fail "lb-stats does not show member $stop down"
nt_dp_stop
echo "dp_lb: ok"
