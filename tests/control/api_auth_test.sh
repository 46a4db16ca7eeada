#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# api_auth_test.sh: token authentication. sluiced runs with an admin token
# and two project tokens; the openstack CLI authenticates with
# --os-auth-type admin_token. A project sees and changes only its own
# resources; the admin sees all; no or a wrong token is 401. Then the same
# daemon over HTTPS (a throw-away self-signed certificate), and the strict
# configuration parser (exit 2 naming file:line and key).
#
#   openstack --os-auth-type admin_token --os-token T --> sluiced (token)
#
# usage: api_auth_test.sh path/to/sluiced
SLUICED=$1
. "$(dirname "$0")/lib.sh"
need openstack
need curl
need jq

ADMIN=admin-secret-0001
TA=token-project-a-01
TB=token-project-b-01
write_conf "[auth]" "mode = token" "admin_token = $ADMIN" \
	"project_token = projA:$TA" "project_token = projB:$TB"
start_sluiced
unset OS_AUTH_TYPE OS_ENDPOINT OS_TOKEN
os() { # token, args...
	local t=$1; shift
	openstack --os-auth-type admin_token --os-endpoint "$URL" \
		--os-token "$t" "$@" 2>"$WORK/os.err"
}

expect_status "$(http GET /v2.0/networks)" 401 "no token"
expect_status "$(http GET /v2.0/networks '' -H 'X-Auth-Token: wrong-token-1')" \
	401 "wrong token"
expect_status "$(http GET /)" 200 "version discovery needs no token"

j=$(os "$TA" network create netA -f json) || fail "A create: $(cat "$WORK/os.err")"
[ "$(jget "$j" .project_id)" = projA ] || fail "project of A's network: $j"
NETA=$(jget "$j" .id)
j=$(os "$TB" network create netB -f json) || fail "B create: $(cat "$WORK/os.err")"
ok "projects create networks with their tokens"

j=$(os "$TB" network list -f json) || fail "B list"
[ "$(jget "$j" '[.[].Name] | join(",")')" = netB ] || fail "B sees: $j"
ok "project B does not see project A's network"
if os "$TB" network show netA; then fail "B shows netA"; fi
if os "$TB" network show "$NETA"; then fail "B shows netA by id"; fi
r=$(http DELETE "/v2.0/networks/$NETA" '' -H "X-Auth-Token: $TB")
expect_status "$r" 404 "B deletes A's network"
r=$(http POST /v2.0/ports "{\"port\": {\"network_id\": \"$NETA\"}}" -H "X-Auth-Token: $TB")
expect_status "$r" 404 "B creates a port on A's network"
r=$(http POST /v2.0/networks '{"network": {"name": "x", "project_id": "projA"}}' \
	-H "X-Auth-Token: $TB")
expect_status "$r" 403 "B creates in project A"
r=$(http POST /v2.0/networks '{"network": {"name": "x", "shared": true}}' \
	-H "X-Auth-Token: $TB")
expect_status "$r" 403 "B creates a shared network"

j=$(os "$ADMIN" network list -f json) || fail "admin list"
[ "$(jget "$j" '[.[].Name] | sort | join(",")')" = netA,netB ] || fail "admin sees: $j"
ok "admin sees every project"
r=$(http POST /v2.0/networks '{"network": {"name": "forA", "project_id": "projA"}}' \
	-H "X-Auth-Token: $ADMIN")
expect_status "$r" 201 "admin creates in project A"
j=$(os "$TA" network list -f json) || fail "A list"
[ "$(jget "$j" '[.[].Name] | sort | join(",")')" = forA,netA ] || fail "A sees: $j"
os "$TA" network delete netA || fail "A delete: $(cat "$WORK/os.err")"
ok "project A deletes its own network"
stop_sluiced

# HTTPS with the same tokens.
need openssl
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" \
	-out "$WORK/cert.pem" -days 1 -subj /CN=127.0.0.1 2>/dev/null ||
	fail "openssl req"
printf '[api]\ntls_cert = %s\ntls_key = %s\n' "$WORK/cert.pem" "$WORK/key.pem" \
	>> "$WORK/sluice.conf"
# Merge: the file now has [api] twice, which is fine (sections may repeat).
URL_HTTP=$URL
URL=https://127.0.0.1:$PORT
"$SLUICED" -c "$WORK/sluice.conf" >>"$WORK/sluiced.log" 2>&1 &
SLUICED_PID=$!
for _ in $(seq 1 100); do
	curl -skf -o /dev/null "$URL/" && break
	sleep 0.05
done
r=$(http GET / '' -k)
expect_status "$r" 200 "HTTPS version discovery"
[ "$(jget "${r#* }" '.versions[0].links[0].href')" = "$URL/v2.0/" ] ||
	fail "https href: $r"
j=$(openstack --insecure --os-auth-type admin_token --os-endpoint "$URL" \
	--os-token "$TB" network list -f json 2>"$WORK/os.err") ||
	fail "CLI over HTTPS: $(cat "$WORK/os.err")"
[ "$(jget "$j" '[.[].Name] | join(",")')" = netB ] || fail "B over https: $j"
ok "openstack CLI over HTTPS with a project token"
if curl -sf -o /dev/null "$URL_HTTP/"; then fail "plain HTTP answered on the TLS port"; fi
stop_sluiced

# Strict configuration: unknown key, bad value, repeated key -> exit 2.
printf '[api]\nlisten = 127.0.0.1:1\n[auth]\nmode = tokens\n' > "$WORK/bad.conf"
set +e
"$SLUICED" -t -c "$WORK/bad.conf" 2>"$WORK/conf.err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "bad mode: exit $rc"
grep -q "bad.conf:4: \[auth\] mode: expected none or token" "$WORK/conf.err" ||
	fail "message: $(cat "$WORK/conf.err")"
printf '[store]\npath = /x\nwal = on\n' > "$WORK/bad.conf"
set +e
"$SLUICED" -c "$WORK/bad.conf" 2>"$WORK/conf.err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "unknown key: exit $rc"
grep -q "bad.conf:3: \[store\] wal: unknown key" "$WORK/conf.err" ||
	fail "message: $(cat "$WORK/conf.err")"
printf '[log]\nlevel = info\nlevel = debug\n' > "$WORK/bad.conf"
set +e
"$SLUICED" -t -c "$WORK/bad.conf" 2>"$WORK/conf.err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "repeated key: exit $rc"
"$SLUICED" -t -c "$(dirname "$0")/../../configs/sluice.conf" >/dev/null ||
	fail "configs/sluice.conf does not pass -t"
ok "strict configuration: file:line and key, exit 2; configs/sluice.conf valid"
