#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# netns_lb_ipv6.sh: an IPv6 load balancer made with the real `openstack
# loadbalancer` CLI against sluiced, served by sluice-dp (an IPv6
# datapath pool, lb_select on ipv6_dst = VIP, the VIP's neighbour
# solicitations answered) to three Debian nginx members listening on
# IPv6, with a TCP health monitor probing them over IPv6 from the load
# balancer's service namespace (docs/lbaas.md "IPv6 load balancers"):
#
#   ns C  fd00:71::10 ----+  network lb6net, subnet fd00:71::/64 (IPv6
#   ns M0 fd00:71::20 ----+  only, gateway fd00:71::1)
#   ns M1 fd00:71::21 ----+  VIP: allocated by IPAM on the subnet
#   ns M2 fd00:71::22 ----+  sluice-lb-<8 hex of the LB id>: the health
#                         +  port's address
#                         +  router R: fd00:71::1 and fd00:72::1
#   ns D  fd00:72::10 ------ network cnet, subnet fd00:72::/64 (routed)
#   all ports bound to one sluice-dp (af_packet); members in a group that
#   allows TCP 80 from the VIP and the health port's address only.
#
# Checks, each a hard assertion:
#   - the VIP and the health port are IPv6, the namespace holds the
#     health port's address; an IPv4 member is refused (400 naming both);
#   - every member ONLINE (TCP monitor over IPv6);
#   - 30 `curl -6` requests from C through the VIP: each member serves
#     8-12 of them (ROUND_ROBIN), the members see the VIP as the client;
#     30 from D through router R: all answered, by every member;
#   - M1's nginx stopped: ERROR within delay x max_retries_down + 1 s,
#     down in the datapath, the next 30 requests all answered and none
#     by M1 (bodies, and its datapath `total` unchanged);
#   - `openstack loadbalancer stats show` counts the connections and
#     bytes both ways; M1 restarted: ONLINE and serving again;
#   - the load balancer deleted: its namespace and pool are gone.
#
# usage: netns_lb_ipv6.sh path/to/sluiced   (SLUICE_DP, SLUICECTL in env)
set -euo pipefail
SLUICED=${1:-}
. "$(dirname "$0")/../lib/sluice.sh"
sluice_test_init lb6 l6 s curl nginx
. "$(dirname "$0")/lb_nginx.sh"
guests="C D M0 M1 M2"
LB=
declare -A NGX=()

cleanup() {
	set +e
	ngx_reap
	# What sluiced made for the load balancer, if it could not.
	sluice_lb_del $LB
	sluice_cleanup
}
trap cleanup EXIT
fail() {
	{
		echo "FAIL: $*"
		[ -S "$sock" ] && "$SLUICECTL" -s "$sock" dp lb-stats 2>&1 |
			sed 's/^/dp: /'
		sluice_dump "$sock" 80
	} >&2
	exit 1
}
now_ms() { date +%s%3N; }

declare -A MAC=([C]=fa:16:3e:71:00:10 [D]=fa:16:3e:72:00:10
	[M0]=fa:16:3e:71:00:20 [M1]=fa:16:3e:71:00:21 [M2]=fa:16:3e:71:00:22)
declare -A IP=([C]=fd00:71::10 [D]=fd00:72::10 [M0]=fd00:71::20
	[M1]=fd00:71::21 [M2]=fd00:71::22)
for g in $guests; do
	guest_veth "$(ns $g)" "$(hif $g)" "${MAC[$g]}"
	# guest_veth turns IPv6 off: on again, no DAD, RA or RS.
	ip netns exec "$(ns $g)" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.eth0.disable_ipv6=0 \
		net.ipv6.conf.eth0.accept_dad=0 net.ipv6.conf.eth0.accept_ra=0 \
		net.ipv6.conf.eth0.router_solicitations=0
	ip -n "$(ns $g)" addr add "${IP[$g]}/64" dev eth0 nodad
done
ip -n "$(ns D)" -6 route add default via fd00:72::1 dev eth0

# nginx per member (lb_nginx.sh), on its IPv6 address.
for g in M0 M1 M2; do
	ngx_conf "$g" "[${IP[$g]}]:80"
	ngx_start "$g" "http://[${IP[$g]}]/id"
done
ok "3 nginx members listening on IPv6"

sluice_dp_start "$sock" "l6$id" "$tmp/dp.log" --mem 128 --log-level warn
api_port=$(sluice_free_port)
sluice_conf_write "$tmp/sluice.conf" "$api_port" "$tmp" "$sock"
cat >>"$tmp/sluice.conf" <<CONF
[lbaas]
probe_netns = on
CONF
export OS_AUTH_TYPE=none OS_ENDPOINT=http://127.0.0.1:$api_port
sluice_ctl_start "$tmp/sluice.conf" "$tmp/sluiced.log" "$OS_ENDPOINT"

os network create lb6net -f value -c id >/dev/null
SUB=$(os subnet create --network lb6net --ip-version 6 \
	--subnet-range fd00:71::/64 --gateway fd00:71::1 --no-dhcp lb6sub \
	-f value -c id)
j=$(os loadbalancer create --name lb6 --vip-subnet-id "$SUB" -f json)
LB=$(jq -r .id <<<"$j")
VIP=$(jq -r .vip_address <<<"$j")
case $VIP in fd00:71::*) ;; *) fail "VIP $VIP is not on fd00:71::/64" ;; esac
os security group create web -f value -c id >/dev/null
os security group rule create --ethertype IPv6 --ingress --protocol tcp \
	--dst-port 80 --remote-ip "$VIP/128" web >/dev/null
os port create --network lb6net --mac-address "${MAC[C]}" \
	--fixed-ip "subnet=lb6sub,ip-address=${IP[C]}" --no-security-group \
	--binding-profile "interface=$(hif C)" portC >/dev/null
os network create cnet -f value -c id >/dev/null
os subnet create --network cnet --ip-version 6 --subnet-range fd00:72::/64 \
	--gateway fd00:72::1 --no-dhcp csub -f value -c id >/dev/null
os router create R -f value -c id >/dev/null
os router add subnet R lb6sub
os router add subnet R csub
os port create --network cnet --mac-address "${MAC[D]}" \
	--fixed-ip "subnet=csub,ip-address=${IP[D]}" --no-security-group \
	--binding-profile "interface=$(hif D)" portD >/dev/null
for g in M0 M1 M2; do
	os port create --network lb6net --mac-address "${MAC[$g]}" \
		--fixed-ip "subnet=lb6sub,ip-address=${IP[$g]}" \
		--security-group web \
		--binding-profile "interface=$(hif $g)" "port$g" >/dev/null
done
LI=$(os loadbalancer listener create --name l6 --protocol TCP \
	--protocol-port 80 "$LB" -f value -c id)
POOL=$(os loadbalancer pool create --name p6 --protocol TCP \
	--lb-algorithm ROUND_ROBIN --listener "$LI" -f value -c id)
for g in M0 M1 M2; do
	os loadbalancer member create --name "m$g" --address "${IP[$g]}" \
		--protocol-port 80 --subnet-id "$SUB" "$POOL" >/dev/null
done
if out=$(openstack loadbalancer member create --address 10.71.0.5 \
	--protocol-port 80 "$POOL" 2>&1); then
	fail "an IPv4 member of an IPv6 load balancer was accepted: $out"
fi
grep -q "Member address 10.71.0.5 is IPv4 but load balancer $LB has an IPv6 VIP ($VIP)" <<<"$out" ||
	fail "IPv4 member refused without the reason: $out"
[ "$(os loadbalancer member list "$POOL" -f value -c id | wc -l)" = 3 ] ||
	fail "a member was stored for the IPv4 address"
ok "IPv6 LB $LB (VIP $VIP), 3 IPv6 members; an IPv4 member refused"

os loadbalancer healthmonitor create --name hm6 --type TCP --delay 2 \
	--timeout 1 --max-retries 2 --max-retries-down 2 "$POOL" >/dev/null
j=$(os port list --device-owner Octavia:health --device-id "$LB" -f json \
	--long)
[ "$(jq length <<<"$j")" = 1 ] || fail "health ports: $j"
HP=$(jq -r '.[0]["Fixed IP Addresses"][0].ip_address' <<<"$j")
case $HP in fd00:71::*) ;; *) fail "health port address $HP" ;; esac
os security group rule create --ethertype IPv6 --ingress --protocol tcp \
	--dst-port 80 --remote-ip "$HP/128" web >/dev/null
wait_for "namespace $(sluice_lbns "$LB") with $HP" 10 bash -c \
	"ip -n '$(sluice_lbns "$LB")' -6 addr show dev eth0 | grep -q 'inet6 $HP/64'"
ok "probes leave from $HP in $(sluice_lbns "$LB")"

# status: the status tree; mstatus ADDR: one member's operating_status.
status() { curl -sf "$OS_ENDPOINT/v2.0/lbaas/loadbalancers/$LB/status"; }
mstatus() {
	status | jq -r --arg a "$1" '.statuses.loadbalancer.listeners[]
		.pools[].members[] | select(.address == $a) | .operating_status'
}
n_online() {
	[ "$(status | jq '[.statuses.loadbalancer.listeners[].pools[]
		.members[] | select(.operating_status == "ONLINE")] |
		length')" = "$1" ]
}
wait_for "3 members ONLINE" 15 n_online 3
ok "every member ONLINE (TCP monitor over IPv6)"
wait_for "3 members up in the datapath" 10 bash -c \
	"[ \$('$SLUICECTL' -s '$sock' dp lb-stats | grep -c ' up ') = 3 ]"
wait_for "the VIP answers" 10 ip netns exec "$(ns C)" \
	curl -6 -sf -o /dev/null --max-time 1 "http://[$VIP]/id"

# ask N [GUEST]: N requests from GUEST (C) through the VIP; the bodies
# counted per member into $tmp/bodies, failed ones as "fail".
ask() {
	: >"$tmp/bodies"
	for _ in $(seq "$1"); do
		ip netns exec "$(ns "${2:-C}")" curl -6 -sf --max-time 2 \
			"http://[$VIP]/id" >>"$tmp/bodies" ||
			echo fail >>"$tmp/bodies"
	done
}
served() { grep -c "^$1\$" "$tmp/bodies" || true; }
ask 30
[ "$(served fail)" = 0 ] || fail "$(served fail) of 30 requests failed"
for g in M0 M1 M2; do
	n=$(served "$g")
	[ "$n" -ge 8 ] && [ "$n" -le 12 ] ||
		fail "$g served $n of 30 (ROUND_ROBIN: 10 each)"
done
grep -q "^$VIP GET /id" "$tmp/ngx-M0/access.log" ||
	fail "M0 did not see the VIP as the client: $(tail -n 3 "$tmp/ngx-M0/access.log")"
ok "30 requests through [$VIP]:80: $(served M0) / $(served M1) / $(served M2), from the VIP"
wait_for "D reaches the VIP through R" 10 ip netns exec "$(ns D)" \
	curl -6 -sf -o /dev/null --max-time 1 "http://[$VIP]/id"
ask 30 D
[ "$(served fail)" = 0 ] || fail "$(served fail) of 30 routed requests failed"
for g in M0 M1 M2; do
	[ "$(served "$g")" -ge 5 ] || fail "$g served $(served "$g") of 30 routed"
done
ok "30 routed requests from D: $(served M0) / $(served M1) / $(served M2)"

# mtotal G: the datapath's `total` of member G.
mtotal() {
	"$SLUICECTL" -s "$sock" dp lb-stats | grep -F "[${IP[$1]}]:80 " |
		sed 's/.*total=\([0-9]*\).*/\1/'
}
t0=$(now_ms)
ngx_stop M1
bound=$((2 * 2 * 1000 + 1000))
down=
while [ $(($(now_ms) - t0)) -le $((bound + 2000)) ]; do
	s=$(mstatus "${IP[M1]}")
	if [ "$s" = ERROR ] || [ "$s" = OFFLINE ]; then
		down=$(($(now_ms) - t0))
		break
	fi
	sleep 0.05
done
[ -n "$down" ] || fail "M1 not down after $((bound + 2000)) ms"
echo "member M1 down after $down ms (bound $bound ms)"
[ "$down" -le "$bound" ] || fail "M1 down after $down ms > $bound ms"
wait_for "M1 down in the datapath" 5 bash -c \
	"'$SLUICECTL' -s '$sock' dp lb-stats | grep -F '[${IP[M1]}]:80 ' | grep -q down"
tot=$(mtotal M1)
ask 30
[ "$(served fail)" = 0 ] || fail "$(served fail) of 30 failed with M1 down"
[ "$(served M1)" = 0 ] || fail "M1 (stopped) answered $(served M1)"
[ "$(mtotal M1)" = "$tot" ] || fail "M1 got new connections: $tot -> $(mtotal M1)"
ok "M1 stopped: ERROR in $down ms, the next 30 requests $(served M0) / 0 / $(served M2)"

j=$(os loadbalancer stats show "$LB" -f json)
echo "stats: $(jq -c . <<<"$j")"
[ "$(jq .total_connections <<<"$j")" -ge 90 ] || fail "stats: $j"
[ "$(jq .bytes_in <<<"$j")" -gt 0 ] && [ "$(jq .bytes_out <<<"$j")" -gt 0 ] ||
	fail "stats without bytes: $j"
ok "loadbalancer stats show: $(jq .total_connections <<<"$j") connections, $(jq .bytes_in <<<"$j") bytes in, $(jq .bytes_out <<<"$j") out"

t0=$(now_ms)
ngx_start M1 "http://[${IP[M1]}]/id"
wait_for "M1 ONLINE again" 10 n_online 3
echo "member M1 ONLINE again after $(($(now_ms) - t0)) ms"
wait_for "M1 up in the datapath" 5 bash -c \
	"'$SLUICECTL' -s '$sock' dp lb-stats | grep -F '[${IP[M1]}]:80 ' | grep -q ' up '"
ask 30
[ "$(served M1)" -ge 5 ] || fail "M1 served $(served M1) of 30 after its restart"
ok "M1 restarted: ONLINE, served $(served M1) of 30"

os loadbalancer delete --cascade "$LB"
wait_for "namespace $(sluice_lbns "$LB") removed" 5 bash -c \
	"! ip netns list | grep -q '^$(sluice_lbns "$LB")\\b'"
wait_for "the datapath pool deleted" 5 bash -c \
	"! '$SLUICECTL' -s '$sock' dp lb-stats | grep -q ."
ok "LB deleted: namespace and datapath pool gone"
echo "netns_lb_ipv6: ok"
