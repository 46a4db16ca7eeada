#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# sluiced_ike_test.sh: the IKEv2 engine running inside sluiced, driven by
# the VPNaaS API, against strongSwan's charon (kernel-libipsec, as in
# strongswan_interop.sh). The connection's status must tell the truth:
# ACTIVE once the child SA is up (and the vpnservice ACTIVE with it), DOWN
# with "authentication failed" after a wrong PSK, ACTIVE again as a
# response-only responder when charon initiates, and DOWN with "peer not
# responding (DPD)" after charon is killed.
#
#   ns "$NS_A": sluiced (API on 127.0.0.1)    ns "$NS_B": charon
#   198.51.100.10/24 [veth va] ------------- [veth vb] 198.51.100.2/24
#   router gateway (external_v4_ip)            protects 10.20.0.0/24
#   router interface subnet 10.10.0.0/24
#
# With SLUICE_DP and SLUICECTL set (meson does), sluice-dp runs in ns A
# too and the negotiated child SAs must show up in it as ESP SAs (one in,
# one out, the SPIs charon uses) and leave it when the tunnel goes down.
# Traffic through the tunnel is checked by sluice_tunnel_test.sh (the
# gateway address here is on a host veth, not in the datapath).
#
# With "ipv6" as the second argument (meson test sluiced_ike_ipv6) the
# veth carries only IPv6 (gateway 2001:db8:64::10, charon 2001:db8:64::2,
# the external subnet 2001:db8:64::/64): the same cases with sluiced's
# IKE sockets bound to an IPv6 address (socket mode over IPv6).
#
# usage: [SLUICE_DP=.. SLUICECTL=..] sluiced_ike_test.sh path/to/sluiced
#        [ipv6]
set -euo pipefail
SLUICED=$(readlink -f "${1:?usage: $0 path/to/sluiced}")
MODE=${2:-ipv4}

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for b in openstack curl jq; do
	command -v "$b" >/dev/null || { echo "SKIP: $b missing"; exit 77; }
done
. "$(dirname "$0")/../lib/charon.sh"
charon_need
. "$(dirname "$0")/../lib/nspair.sh"

TAG=vk$$
NS_A=${TAG}a
NS_B=${TAG}b
D=$(mktemp -d /tmp/sluiced-ike.XXXXXX)
charon_pid=
SLUICED_PID=
DP_PID=
PSK="sluiced-ike-psk-$$"
GW=198.51.100.10
PEER=198.51.100.2
EXT_NET=198.51.100.0/24
EXT_ARGS=()
if [ "$MODE" = ipv6 ]; then
	GW=2001:db8:64::10
	PEER=2001:db8:64::2
	EXT_NET=2001:db8:64::/64
	EXT_ARGS=(--ip-version 6)
fi

cleanup() {
	set +e
	nspair_stop "$SLUICED_PID" "$charon_pid"
	[ -n "$DP_PID" ] && kill "$DP_PID" 2>/dev/null && wait "$DP_PID"
	nspair_del "$NS_A" "$NS_B" "$D"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	echo "--- sluiced log (tail)"; grep -v 'debug: api' "$D/sluiced.log" | tail -n 40
	echo "--- charon log (tail)"; tail -n 30 "$D/charon.log" 2>/dev/null
	exit 1
}
ok() { echo "ok - $*"; }

A() { ip netns exec "$NS_A" "$@"; }
swan() { ip netns exec "$NS_B" swanctl "$@" --uri "unix://$D/charon.vici"; }

# Topology.
plen=24
[ "$MODE" = ipv6 ] && plen=64
nspair_add "$NS_A" "$NS_B" "${TAG}va" "${TAG}vb" $GW/$plen $PEER/$plen
ip -n "$NS_B" addr add 10.20.0.1/32 dev lo

# charon in B.
charon_conf_write "$D" retransmit_tries=2 retransmit_timeout=1.0 log.ike=2
start_charon() {
	charon_start "$NS_B" "$D" || fail "charon did not start"
	cat >"$D/swanctl.conf" <<EOF
connections { b-a {
  version = 2
  local_addrs = $PEER
  remote_addrs = $GW
  proposals = aes128-sha256-modp2048
  mobike = no
  dpd_delay = 0
  local { auth = psk
          id = $PEER }
  remote { auth = psk
           id = $GW }
  children { net {
    local_ts = 10.20.0.0/24
    remote_ts = 10.10.0.0/24
    mode = tunnel
    esp_proposals = aes128-sha256-modp2048
    start_action = none } } } }
secrets { ike-ab { id-a = $PEER
                   id-b = $GW
                   secret = "$PSK" } }
EOF
	swan --load-all --file "$D/swanctl.conf" >/dev/null 2>&1 ||
		fail "swanctl --load-all"
}
start_charon

# sluice-dp in A when given.
ESP=none
if [ -n "${SLUICE_DP:-}" ] && [ -x "${SLUICE_DP:-}" ] &&
	[ -x "${SLUICECTL:-}" ]; then
	ulimit -l unlimited 2>/dev/null || true
	ip netns exec "$NS_A" "$SLUICE_DP" --socket "$D/dp.sock" \
		--file-prefix "sd$TAG" --mem 128 --log-level warn \
		>"$D/dp.log" 2>&1 &
	DP_PID=$!
	for _ in $(seq 1 500); do
		[ -S "$D/dp.sock" ] && "$SLUICECTL" -s "$D/dp.sock" dp sa-list \
			>/dev/null 2>&1 && break
		kill -0 "$DP_PID" 2>/dev/null || fail "sluice-dp exited"
		sleep 0.02
	done
	ESP=datapath
fi
dp_sas() { "$SLUICECTL" -s "$D/dp.sock" -o json dp sa-list; }

# sluiced in A.
cat >"$D/sluice.conf" <<EOF
[api]
listen = 127.0.0.1:9696
[store]
path = $D/sluice.db
[datapath]
socket = $D/dp.sock
[log]
level = debug
[vpn]
ike_port = 500
natt_port = 4500
esp = $ESP
EOF
ip netns exec "$NS_A" "$SLUICED" -c "$D/sluice.conf" >"$D/sluiced.log" 2>&1 &
SLUICED_PID=$!
URL=http://127.0.0.1:9696
for _ in $(seq 1 100); do
	A curl -sf -o /dev/null "$URL/" && break
	sleep 0.05
done
export OS_AUTH_TYPE=none OS_ENDPOINT=$URL
os() { A openstack "$@" 2>"$D/os.err"; }
api() { # api METHOD PATH [BODY]
	A curl -s -X "$1" -H 'Content-Type: application/json' \
		${3:+--data-binary "$3"} "$URL$2"
}

# The router: from the routers API when served, else from ports.
os network create ext --external >/dev/null || fail "ext: $(cat "$D/os.err")"
os subnet create --network ext --subnet-range $EXT_NET "${EXT_ARGS[@]}" \
	ext-sub >/dev/null ||
	fail "ext-sub: $(cat "$D/os.err")"
os network create priv >/dev/null || fail "priv"
os subnet create --network priv --subnet-range 10.10.0.0/24 priv-sub \
	>/dev/null || fail "priv-sub"
if os router create r1 >/dev/null &&
	os router set --external-gateway ext \
		--fixed-ip subnet=ext-sub,ip-address=$GW r1 &&
	os router add subnet r1 priv-sub; then
	ROUTER=$(os router show r1 -f value -c id)
else
	ROUTER=$(cat /proc/sys/kernel/random/uuid)
	os port create --network ext --device-owner network:router_gateway \
		--device "$ROUTER" --fixed-ip subnet=ext-sub,ip-address=$GW gw \
		>/dev/null || fail "gateway port: $(cat "$D/os.err")"
	os port create --network priv --device-owner network:router_interface \
		--device "$ROUTER" \
		--fixed-ip subnet=priv-sub,ip-address=10.10.0.1 rif \
		>/dev/null || fail "interface port: $(cat "$D/os.err")"
fi
os vpn ike policy create ike1 >/dev/null || fail "ike1: $(cat "$D/os.err")"
os vpn ipsec policy create esp1 >/dev/null || fail "esp1"
SVC=$(api POST /v2.0/vpn/vpnservices \
	"{\"vpnservice\": {\"router_id\": \"$ROUTER\", \"name\": \"svc1\"}}" |
	jq -r .vpnservice.id)
[ -n "$SVC" ] && [ "$SVC" != null ] || fail "vpn service create"

# wait_status ID STATUS PATTERN SECONDS
wait_status() {
	local j i t0
	t0=$(date +%s%N)
	for ((i = 0; i < $4 * 5; i++)); do
		j=$(api GET "/v2.0/vpn/ipsec-site-connections/$1")
		if [ "$(jq -r .ipsec_site_connection.status <<<"$j")" = "$2" ] &&
			jq -r .ipsec_site_connection.status_description <<<"$j" |
			grep -q -- "$3"; then
			echo "# $(jq -c '.ipsec_site_connection | {status, status_description}' <<<"$j")" \
				"after $((($(date +%s%N) - t0) / 1000000)) ms"
			return 0
		fi
		sleep 0.2
	done
	fail "connection $1: wanted $2 ($3), have: $j"
}
svc_status() {
	api GET "/v2.0/vpn/vpnservices/$SVC" | jq -r .vpnservice.status
}

# 1. sluiced initiates with the right PSK.
C=$(os vpn ipsec site connection create --vpnservice svc1 --ikepolicy ike1 \
	--ipsecpolicy esp1 --peer-address $PEER --peer-id $PEER --psk "$PSK" \
	--peer-cidr 10.20.0.0/24 --dpd action=clear,interval=2,timeout=6 \
	conn1 -f value -c ID) || fail "connection create: $(cat "$D/os.err")"
wait_status "$C" ACTIVE "tunnel up" 20
[ "$(svc_status)" = ACTIVE ] || fail "service not ACTIVE"
swan --list-sas | grep -q INSTALLED || fail "charon has no child SA"
ok "sluiced initiates: ACTIVE, the service ACTIVE, charon has the child SA"
if [ "$MODE" = ipv6 ]; then
	swan --list-sas | grep -qF "remote '$GW' @ ${GW}[4500]" ||
		fail "charon's IKE SA is not with [$GW]:4500: $(swan --list-sas)"
	ok "IKE over IPv6: charon's IKE SA with [$GW]:4500"
fi
if [ $ESP = datapath ]; then
	j=$(dp_sas) || fail "sa-list"
	[ "$(jq length <<<"$j")" = 2 ] || fail "datapath SAs: $j"
	sas=$(swan --list-sas)
	for dir in in out; do
		spi=$(jq -r ".[] | select(.dir == \"$dir\") | .spi" <<<"$j")
		# charon's in is our out and the other way round.
		grep -qi "$(printf '%08x' "$spi")" <<<"$sas" ||
			fail "SPI $spi ($dir) not in charon's SAs: $sas"
	done
	ok "the child SA is in sluice-dp: two ESP SAs with charon's SPIs"
	jq -e --arg g $GW --arg p $PEER '[.[] | select(.dir == "out" and
		.src == $g and .dst == $p)] | length == 1' <<<"$j" \
		>/dev/null || fail "the out SA is not $GW -> $PEER: $j"
	ok "the out SA: $GW -> $PEER"
	# A new mtu reaches sluice-dp: the child SAs are rekeyed and the
	# new ones carry it (the old ones go).
	old_spis=$(jq -r '.[].spi' <<<"$j" | sort | tr '\n' ' ')
	api PUT "/v2.0/vpn/ipsec-site-connections/$C" \
		'{"ipsec_site_connection": {"mtu": 1400}}' >/dev/null
	for ((i = 0; i < 50; i++)); do
		j=$(dp_sas) || fail "sa-list"
		[ "$(jq length <<<"$j")" = 2 ] &&
			[ "$(jq '[.[] | select(.mtu == 1400)] | length' <<<"$j")" = 2 ] &&
			break
		sleep 0.2
	done
	[ "$(jq '[.[] | select(.mtu == 1400)] | length' <<<"$j")" = 2 ] &&
		[ "$(jq length <<<"$j")" = 2 ] ||
		fail "mtu 1400 not in sluice-dp's SAs: $j"
	[ "$(jq -r '.[].spi' <<<"$j" | sort | tr '\n' ' ')" != "$old_spis" ] ||
		fail "the SPIs did not change: $j"
	wait_status "$C" ACTIVE "" 10
	ok "mtu 1400 set: child SAs rekeyed, both new SAs carry mtu 1400"
fi

# 2. A wrong PSK: DOWN with the reason.
api PUT "/v2.0/vpn/ipsec-site-connections/$C" \
	'{"ipsec_site_connection": {"psk": "not-the-right-one"}}' >/dev/null
wait_status "$C" DOWN "authentication failed" 30
[ "$(svc_status)" = DOWN ] || fail "service not DOWN"
ok "wrong PSK: DOWN, authentication failed; service DOWN"
if [ $ESP = datapath ]; then
	[ "$(dp_sas | jq length)" = 0 ] || fail "SAs left in sluice-dp: $(dp_sas)"
	ok "the old child's ESP SAs left sluice-dp"
fi
grep -q -- "not-the-right-one\|$PSK" "$D/sluiced.log" && fail "a PSK in the log"
ok "no PSK in the log"

# 3. Right PSK again, response-only: charon initiates.
api PUT "/v2.0/vpn/ipsec-site-connections/$C" \
	"{\"ipsec_site_connection\": {\"psk\": \"$PSK\", \"initiator\": \"response-only\"}}" \
	>/dev/null
wait_status "$C" DOWN "waiting for the peer" 10
swan --initiate --child net --timeout 20 >/dev/null 2>&1 ||
	fail "charon could not initiate"
wait_status "$C" ACTIVE "tunnel up" 20
ok "response-only: charon initiates, ACTIVE"

# 4. Kill charon: DPD notices.
kill -9 "$charon_pid"
charon_pid=
wait_status "$C" DOWN "peer not responding" 40
ok "killed peer: DOWN, peer not responding (DPD)"

# sluiced stops cleanly.
kill "$SLUICED_PID"
wait "$SLUICED_PID" || fail "sluiced exit status $?"
SLUICED_PID=
grep -q 'Sanitizer\|runtime error:' "$D/sluiced.log" &&
	fail "sanitizer report"
echo PASS
