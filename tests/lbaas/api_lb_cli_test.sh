#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# api_lb_cli_test.sh: the Octavia v2 API of sluiced driven by the real
# `openstack loadbalancer ...` commands (python3-octaviaclient, auth none)
# and curl: the whole life cycle (load balancer with a VIP port, TCP and
# UDP listeners, pools, members with weight/backup, an HTTP health
# monitor probing real python3 http.server members, status tree, stats,
# set, batch member update, persistence across a restart, cascade delete),
# the health counters (GET /v2.0/lbaas/sluice/health and `sluicectl lb
# health`: probes and refusals counted, the stopped member DOWN with its
# last failure; admin only, checked after a restart in token mode)
# and every error case (unsupported protocol, algorithm, persistence,
# member outside the project's subnets, timeout >= delay, bad
# expected_codes, retries out of range, 409 duplicates), each checked to
# store nothing.
#
#   openstack CLI / curl --HTTP--> sluiced (127.0.0.1:free port, temp DB)
#   sluiced --health probes--> http.server on 127.0.0.10 and 127.0.0.11
#
# The tenant subnet is 127.0.0.0/24 so that the monitors' probes stay on
# the loopback interface: `[lbaas] probe_netns = off` probes from
# sluiced's own namespace (members in guests, probed from the load
# balancer's service namespace, are netns_lb_health_dp.sh's).
#
# usage: api_lb_cli_test.sh path/to/sluiced   (SLUICECTL: path/to/sluicectl)
SLUICED=$1
. "$(dirname "$0")/../control/lib.sh"
need openstack
need curl
need jq
SLUICECTL=${SLUICECTL:-$(dirname "$SLUICED")/sluicectl/sluicectl}
[ -x "$SLUICECTL" ] || { echo "SKIP: no sluicectl at $SLUICECTL"; exit 77; }

SRV1_PID=
SRV2_PID=
lb_cleanup() {
	for p in $SRV1_PID $SRV2_PID; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	cleanup
}
trap lb_cleanup EXIT

write_conf "[lbaas]" "probe_netns = off" # members on loopback
start_sluiced
export OS_AUTH_TYPE=none OS_ENDPOINT=$URL
os() { openstack "$@" 2>"$WORK/os.err"; }
# expect_fail WHAT TEXT CMD...: the command fails and says TEXT.
expect_fail() {
	local what=$1 text=$2
	shift 2
	if openstack "$@" >"$WORK/os.out" 2>"$WORK/os.err"; then
		fail "$what: succeeded: $(cat "$WORK/os.out")"
	fi
	grep -qF -- "$text" "$WORK/os.err" ||
		fail "$what: no '$text' in: $(cat "$WORK/os.err")"
	ok "$what refused: $(head -c 150 "$WORK/os.err" | tr '\n' ' ')"
}
# count PATH KEY: objects in a list
count() { curl -s "$URL$1" | jq ".$2 | length"; }

# A member server: python3 http.server on ADDR:PORT serving /healthz.
mkdir -p "$WORK/www"
echo ok >"$WORK/www/healthz"
start_srv() {
	$PY -m http.server "$2" --bind "$1" --directory "$WORK/www" \
		>/dev/null 2>&1 &
	echo $!
}
PORT1=$(free_port)
PORT2=$(free_port)
SRV1_PID=$(start_srv 127.0.0.10 "$PORT1")

# The tenant network.
NET=$(os network create lbnet -f value -c id) || fail "network create"
SUB=$(os subnet create --network lbnet --subnet-range 127.0.0.0/24 \
	lbsub -f value -c id) || fail "subnet create: $(cat "$WORK/os.err")"
ok "tenant network and subnet"

# Load balancer: the VIP comes from the subnet, held by an Octavia port.
j=$(os loadbalancer create --name lb1 --vip-subnet-id "$SUB" -f json) ||
	fail "loadbalancer create: $(cat "$WORK/os.err")"
LB=$(jget "$j" .id)
VIP=$(jget "$j" .vip_address)
[ "$(jget "$j" .provisioning_status)" = ACTIVE ] || fail "lb status: $j"
[ "$(jget "$j" .vip_subnet_id)" = "$SUB" ] || fail "vip subnet: $j"
case $VIP in 127.0.0.*) ;; *) fail "VIP $VIP not in the subnet" ;; esac
[ "$(os port list --device-owner Octavia -f value -c fixed_ips | grep -c "$VIP")" = 1 ] ||
	fail "no Octavia port holds $VIP"
ok "loadbalancer create: VIP $VIP, port device_owner Octavia"
# The VIP address is taken: a second load balancer asking for it is 409.
expect_fail "second VIP on $VIP" "409" \
	loadbalancer create --name lb2 --vip-subnet-id "$SUB" --vip-address "$VIP"
[ "$(count /v2.0/lbaas/loadbalancers loadbalancers)" = 1 ] ||
	fail "a refused load balancer was stored"
# (The CLI looks the subnet up itself first; the API is asked directly.)
r=$(http POST /v2.0/lbaas/loadbalancers \
	'{"loadbalancer":{"vip_subnet_id":"11111111-1111-1111-1111-111111111111"}}')
expect_status "$r" 400 "VIP on an unknown subnet"
jget "${r#* }" .faultstring | grep -q "Subnet 1111.* not found" ||
	fail "message: $r"
[ "$(os loadbalancer show lb1 -f value -c name)" = lb1 ] || fail "show by name"
[ "$(os loadbalancer list -f value -c id)" = "$LB" ] || fail "list"
ok "loadbalancer show/list"

# Listeners.
L1=$(os loadbalancer listener create --name l1 --protocol TCP \
	--protocol-port 80 --connection-limit 1000 lb1 -f value -c id) ||
	fail "listener create: $(cat "$WORK/os.err")"
[ "$(os loadbalancer listener show l1 -f value -c connection_limit)" = 1000 ] ||
	fail "connection_limit"
os loadbalancer listener create --name u1 --protocol UDP --protocol-port 53 \
	lb1 -f value -c id >/dev/null || fail "UDP listener"
ok "listeners TCP:80 (connection_limit 1000) and UDP:53"
for p in HTTP HTTPS TERMINATED_HTTPS SCTP PROMETHEUS; do
	expect_fail "listener $p" \
		"protocol $p is not supported by the sluice provider" \
		loadbalancer listener create --protocol "$p" --protocol-port 81 lb1
done
expect_fail "duplicate listener port" "409" \
	loadbalancer listener create --protocol TCP --protocol-port 80 lb1
[ "$(count /v2.0/lbaas/listeners listeners)" = 2 ] ||
	fail "a refused listener was stored"

# Pools.
P1=$(os loadbalancer pool create --name p1 --lb-algorithm ROUND_ROBIN \
	--protocol TCP --listener l1 --session-persistence type=SOURCE_IP \
	-f value -c id) || fail "pool create: $(cat "$WORK/os.err")"
[ "$(os loadbalancer listener show l1 -f value -c default_pool_id)" = "$P1" ] ||
	fail "default pool"
for a in LEAST_CONNECTIONS SOURCE_IP SOURCE_IP_PORT; do
	os loadbalancer pool create --lb-algorithm $a --protocol UDP \
		--loadbalancer lb1 -f value -c id >/dev/null ||
		fail "pool $a: $(cat "$WORK/os.err")"
done
ok "pools: ROUND_ROBIN with SOURCE_IP persistence, the other algorithms"
expect_fail "HTTP_COOKIE persistence" \
	"HTTP_COOKIE is not supported by the sluice provider" \
	loadbalancer pool create --lb-algorithm ROUND_ROBIN --protocol TCP \
	--loadbalancer lb1 --session-persistence type=HTTP_COOKIE
expect_fail "HTTP pool" "protocol HTTP is not supported" \
	loadbalancer pool create --lb-algorithm ROUND_ROBIN --protocol HTTP \
	--loadbalancer lb1
expect_fail "second default pool" "already has a default pool" \
	loadbalancer pool create --lb-algorithm ROUND_ROBIN --protocol TCP \
	--listener l1
# The CLI checks the algorithm itself; the API is asked directly.
r=$(http POST /v2.0/lbaas/pools \
	"{\"pool\":{\"loadbalancer_id\":\"$LB\",\"protocol\":\"TCP\",\"lb_algorithm\":\"RANDOM\"}}")
expect_status "$r" 400 "unknown algorithm RANDOM"
[ "$(jget "${r#* }" .faultcode)" = Client ] || fail "fault body: $r"
jget "${r#* }" .faultstring | grep -q "lb_algorithm" || fail "message: $r"
[ "$(count /v2.0/lbaas/pools pools)" = 4 ] || fail "a refused pool was stored"

# Members.
M1=$(os loadbalancer member create --name m1 --address 127.0.0.10 \
	--protocol-port "$PORT1" --weight 10 --subnet-id "$SUB" p1 \
	-f value -c id) || fail "member create: $(cat "$WORK/os.err")"
M2=$(os loadbalancer member create --name m2 --address 127.0.0.11 \
	--protocol-port "$PORT2" --enable-backup p1 -f value -c id) ||
	fail "member m2: $(cat "$WORK/os.err")"
[ "$(os loadbalancer member show p1 m1 -f value -c weight)" = 10 ] ||
	fail "weight"
[ "$(os loadbalancer member show p1 m2 -f value -c backup)" = True ] ||
	fail "backup"
[ "$(os loadbalancer member show p1 m1 -f value -c operating_status)" = NO_MONITOR ] ||
	fail "a member without a monitor must be NO_MONITOR"
ok "members: weight 10, backup, NO_MONITOR without a monitor"
expect_fail "member outside the project's subnets" \
	"is outside every subnet of project" \
	loadbalancer member create --address 192.0.2.50 --protocol-port 80 p1
expect_fail "weight 257" "between 0 and 256" \
	loadbalancer member create --address 127.0.0.12 --protocol-port 80 \
	--weight 257 p1
expect_fail "duplicate member" "409" \
	loadbalancer member create --address 127.0.0.10 \
	--protocol-port "$PORT1" p1
[ "$(os loadbalancer member list p1 -f value -c id | wc -l)" = 2 ] ||
	fail "a refused member was stored"

# Health monitors: errors first, nothing stored.
expect_fail "timeout >= delay" "timeout (5) must be less than delay (5)" \
	loadbalancer healthmonitor create --delay 5 --timeout 5 \
	--max-retries 3 --type TCP p1
expect_fail "bad expected_codes" "expected_codes '2000' is not valid" \
	loadbalancer healthmonitor create --delay 5 --timeout 3 \
	--max-retries 3 --type HTTP --expected-codes 2000 p1
# (The CLI itself stops at 9; the API takes 1-10.)
r=$(http POST /v2.0/lbaas/healthmonitors \
	"{\"healthmonitor\":{\"pool_id\":\"$P1\",\"type\":\"TCP\",\"delay\":5,\"timeout\":3,\"max_retries\":11}}")
expect_status "$r" 400 "max_retries 11"
jget "${r#* }" .faultstring | grep -q "between 1 and 10" || fail "message: $r"
[ "$(count /v2.0/lbaas/healthmonitors healthmonitors)" = 0 ] ||
	fail "a refused monitor was stored"
# The real one: every 1 s, down after 2 failures, up after 1 success.
HM=$(os loadbalancer healthmonitor create --name hm1 --delay 1 --timeout 0 \
	--max-retries 1 --max-retries-down 2 --type HTTP --http-method GET \
	--url-path /healthz --expected-codes 200-204 p1 -f value -c id) ||
	fail "healthmonitor create: $(cat "$WORK/os.err")"
[ "$(os loadbalancer healthmonitor show hm1 -f value -c expected_codes)" = 200-204 ] ||
	fail "expected_codes"
expect_fail "second monitor on p1" "409" \
	loadbalancer healthmonitor create --delay 5 --timeout 3 \
	--max-retries 3 --type TCP p1
ok "healthmonitor HTTP GET /healthz 200-204"
# The health counters now, to see them move below.
hc() { # the "health" object of GET /v2.0/lbaas/sluice/health
	r=$(http GET /v2.0/lbaas/sluice/health)
	[ "${r%% *}" = 200 ] || fail "GET sluice/health: $r"
	jget "${r#* }" .health
}
H0=$(hc)

# Status from the probes: m1 (server up) ONLINE, m2 (none) ERROR.
wait_status() { # member want max_seconds
	local i
	for i in $(seq 1 $(($3 * 10))); do
		s=$(curl -s "$URL/v2.0/lbaas/pools/$P1/members/$1" |
			jq -r .member.operating_status)
		[ "$s" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_status "$M1" ONLINE 5 || fail "m1 not ONLINE: $s"
wait_status "$M2" ERROR 5 || fail "m2 not ERROR: $s"
[ "$(os loadbalancer pool show p1 -f value -c operating_status)" = DEGRADED ] ||
	fail "pool with one member down must be DEGRADED"
ok "probes: m1 ONLINE, m2 ERROR, pool DEGRADED"
SRV2_PID=$(start_srv 127.0.0.11 "$PORT2")
wait_status "$M2" ONLINE 5 || fail "m2 not back ONLINE: $s"
ok "m2 ONLINE once its server runs"
t0=$(date +%s%N)
kill "$SRV1_PID"; wait "$SRV1_PID" 2>/dev/null || true; SRV1_PID=
wait_status "$M1" ERROR 6 || fail "m1 not ERROR after its server stopped"
ms=$((($(date +%s%N) - t0) / 1000000))
# delay x max_retries_down + 1 s = 3 s, plus 0.1 s of polling.
[ "$ms" -le 3100 ] || fail "m1 went down after $ms ms (bound 3000)"
ok "m1 ERROR $ms ms after its server stopped (bound delay x retries_down + 1 s = 3000 ms)"

# The health counters: probes and refusals moved; m1 (stopped) DOWN with
# its failures counted as refused, m2 UP; the same through sluicectl.
H=$(hc)
[ "$(jget "$H" .running)" = true ] || fail "health not running: $H"
[ "$(jget "$H" .probes)" -gt "$(jget "$H0" .probes)" ] ||
	fail "probes did not move: $(jget "$H0" .probes) -> $H"
[ "$(jget "$H" .failures.refused)" -gt "$(jget "$H0" .failures.refused)" ] ||
	fail "refusals did not move: $(jget "$H0" .failures.refused) -> $H"
[ "$(jget "$H" .ok)" -gt 0 ] || fail "no success counted: $H"
hm() { jget "$H" ".members[] | select(.member_id==\"$1\") | $2"; }
[ "$(hm "$M1" .state)" = DOWN ] || fail "m1 not DOWN: $H"
[ "$(hm "$M1" .last_failure)" = refused ] || fail "m1 last failure: $H"
[ "$(hm "$M1" .consecutive_failures)" -ge 2 ] || fail "m1 failures: $H"
[ "$(hm "$M1" .pool_id)" = "$P1" ] || fail "m1 pool: $H"
[ "$(hm "$M1" .type)" = HTTP ] || fail "m1 type: $H"
[ "$(hm "$M2" .state)" = UP ] || fail "m2 not UP: $H"
[ "$(hm "$M2" .consecutive_failures)" = 0 ] || fail "m2 failures: $H"
ok "sluice/health: probes $(jget "$H0" .probes) -> $(jget "$H" .probes), refused $(jget "$H" .failures.refused), m1 DOWN (refused), m2 UP"
expect_status "$(http POST /v2.0/lbaas/sluice/health '{}')" 405 "POST sluice/health"
expect_status "$(http GET '/v2.0/lbaas/sluice/health?pool_id=x')" 400 "sluice/health with a filter"
ctl() { "$SLUICECTL" --api "$URL" "$@"; }
out=$(ctl lb health) || fail "sluicectl lb health: $out"
grep -E "^\| $M1 \| $P1 \| HTTP .*\| DOWN .*\| refused " <<<"$out" >/dev/null ||
	fail "sluicectl lb health: no DOWN/refused row for m1: $out"
grep -E "^\| failures\.refused +\| [1-9]" <<<"$out" >/dev/null ||
	fail "sluicectl lb health: refused not counted: $out"
out=$(ctl -o json lb health) || fail "sluicectl -o json lb health: $out"
[ "$(jget "$out" '.members | length')" = 2 ] && [ "$(jget "$out" .probes)" -ge "$(jget "$H" .probes)" ] ||
	fail "sluicectl -o json lb health: $out"
ok "sluicectl lb health: table and -o json"

# Status tree and stats.
j=$(os loadbalancer status show lb1) || fail "status show"
[ "$(jget "$j" '.loadbalancer.listeners[] | select(.id=="'"$L1"'") | .pools[0].members | length')" = 2 ] ||
	fail "status tree: $j"
[ "$(jget "$j" '.loadbalancer.listeners[] | select(.id=="'"$L1"'") | .pools[0].health_monitor.id')" = "$HM" ] ||
	fail "status tree monitor: $j"
ok "loadbalancer status show"
j=$(os loadbalancer stats show lb1 -f json) || fail "stats show"
[ "$(jget "$j" .active_connections)" = 0 ] || fail "stats: $j"
ok "loadbalancer stats show"

# Updates.
os loadbalancer member set --weight 0 p1 m1 || fail "member set"
[ "$(os loadbalancer member show p1 m1 -f value -c weight)" = 0 ] ||
	fail "weight 0"
os loadbalancer set --name lb1b lb1 || fail "loadbalancer set"
os loadbalancer listener set --connection-limit 5 l1 || fail "listener set"
os loadbalancer healthmonitor set --delay 2 hm1 || fail "healthmonitor set"
expect_fail "set timeout >= delay" "must be less than delay" \
	loadbalancer healthmonitor set --timeout 2 hm1
ok "set: member weight 0, lb name, connection limit, monitor delay"
# Batch update of the members: m1 stays, m2 goes, m3 comes.
r=$(http PUT "/v2.0/lbaas/pools/$P1/members" \
	"{\"members\":[{\"address\":\"127.0.0.10\",\"protocol_port\":$PORT1,\"weight\":3},{\"address\":\"127.0.0.13\",\"protocol_port\":80}]}")
expect_status "$r" 202 "batch member update"
[ "$(os loadbalancer member list p1 -f value -c address | sort | tr '\n' ' ')" = "127.0.0.10 127.0.0.13 " ] ||
	fail "batch result"
[ "$(os loadbalancer member show p1 "$M1" -f value -c weight)" = 3 ] ||
	fail "batch kept m1's id"

# Filters, sorting, pagination.
[ "$(count "/v2.0/lbaas/pools?lb_algorithm=SOURCE_IP" pools)" = 1 ] ||
	fail "filter"
r=$(http GET "/v2.0/lbaas/pools?limit=2&sort_key=id")
[ "$(jget "${r#* }" '.pools | length')" = 2 ] || fail "limit: $r"
[ "$(jget "${r#* }" '.pools_links[0].rel')" = next ] || fail "links: $r"
expect_status "$(http GET '/v2.0/lbaas/pools?nosuch=1')" 400 "unknown filter"
ok "filters, sorting, pagination"

# What a stop between two writes leaves (a VIP port is written before its
# load balancer and removed after it; a health port follows its monitor
# at the next sync): made here by hand, as the ports lbaas would have
# left. Each is removed at the next start; a port someone else named,
# with the same device_owner, is not.
mkport() { # owner device_id name -> port id
	r=$(http POST /v2.0/ports "{\"port\": {\"network_id\": \"$NET\",
		\"device_owner\": \"$1\", \"device_id\": \"$2\",
		\"name\": \"$3\"}}")
	expect_status "$r" 201 "port $3" >&2
	jget "${r#* }" .port.id
}
GONE=11111111-2222-4333-8444-555555555555
O_VIP=$(mkport Octavia $GONE octavia-lb-$GONE)
O_HEALTH=$(mkport Octavia:health $GONE octavia-health-$GONE)
O_SECOND=$(mkport Octavia "$LB" "octavia-lb-$LB") # not LB's vip_port_id
O_UNMON=$(mkport Octavia:health "$LB" "octavia-health-$LB") # probe_netns off
KEEP=$(mkport Octavia $GONE someone-elses-port)
VIP_PORT=$(os loadbalancer show "$LB" -f value -c vip_port_id)

# Persistence: the objects survive a restart.
stop_sluiced
start_sluiced
[ "$(os loadbalancer show "$LB" -f value -c name)" = lb1b ] ||
	fail "lb after restart"
[ "$(os loadbalancer member list p1 -f value -c id | wc -l)" = 2 ] ||
	fail "members after restart"
ok "objects persist across a sluiced restart"
for p in "$O_VIP" "$O_HEALTH" "$O_SECOND" "$O_UNMON"; do
	expect_status "$(http GET "/v2.0/ports/$p")" 404 "orphan port $p removed"
done
expect_status "$(http GET "/v2.0/ports/$KEEP")" 200 "another's port kept"
expect_status "$(http GET "/v2.0/ports/$VIP_PORT")" 200 "the VIP port kept"
n=$(grep -c "removed .* port .* of load balancer" "$WORK/sluiced.log")
[ "$n" = 4 ] || fail "$n orphan removals logged, not 4"
ok "orphan VIP and health ports removed at start, each logged; others kept"
expect_status "$(http DELETE "/v2.0/ports/$KEEP")" 204 "delete another's port"

# Delete: children block it; --cascade removes all and the VIP port.
expect_fail "delete with children" "it has children" loadbalancer delete lb1b
os loadbalancer delete --cascade lb1b || fail "cascade delete: $(cat "$WORK/os.err")"
for c in loadbalancers listeners pools healthmonitors; do
	[ "$(count /v2.0/lbaas/$c $c)" = 0 ] || fail "$c left after cascade"
done
[ -z "$(os port list --device-owner Octavia -f value -c id)" ] ||
	fail "VIP port left after cascade"
ok "delete --cascade: everything and the VIP port gone"

# The health counters are the admin's: restarted in token mode, a
# project token gets 403 (sluicectl: exit 1, the message), no token 401.
stop_sluiced
ADMIN=admin-token-lbcli PROJ=project-token-lbcli
write_conf "[lbaas]" "probe_netns = off" "[auth]" "mode = token" \
	"admin_token = $ADMIN" "project_token = proj1:$PROJ"
start_sluiced
expect_status "$(http GET /v2.0/lbaas/sluice/health "" -H "X-Auth-Token: $PROJ")" \
	403 "sluice/health with a project token"
expect_status "$(http GET /v2.0/lbaas/sluice/health)" 401 "sluice/health without a token"
expect_status "$(http GET /v2.0/lbaas/sluice/health "" -H "X-Auth-Token: $ADMIN")" \
	200 "sluice/health with the admin token"
rc=0
out=$(ctl --token "$PROJ" lb health 2>&1) || rc=$?
[ "$rc" = 1 ] && grep -q "HTTP 403 Forbidden: Policy does not allow" <<<"$out" ||
	fail "sluicectl lb health with a project token: exit $rc: $out"
out=$(ctl --token "$ADMIN" -o json lb health) ||
	fail "sluicectl lb health with the admin token: $out"
[ "$(jget "$out" '.members | length')" = 0 ] || fail "members left: $out"
ok "sluicectl lb health: project token refused (exit 1, 403), admin served"
echo "PASS"
