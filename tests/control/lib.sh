# SPDX-License-Identifier: BSD-2-Clause
# tests/control/lib.sh: shared helpers of the sluiced API tests. Sourced,
# not run. Each test starts its own sluiced on a free 127.0.0.1 port with
# a temporary database and stops it (by PID) on exit.
#
#   SLUICED=path/to/sluiced   (first argument of every test script)

set -eu

PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/sluiced-test.XXXXXX)
SLUICED_PID=
PORT=
URL=

cleanup() {
	if [ -n "$SLUICED_PID" ] && kill -0 "$SLUICED_PID" 2>/dev/null; then
		kill "$SLUICED_PID" 2>/dev/null || true
		wait "$SLUICED_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$WORK/sluiced.log" ]; then
		echo "--- sluiced log (tail)" >&2
		tail -20 "$WORK/sluiced.log" >&2
	fi
	exit 1
}

ok() { echo "ok - $*"; }

need() {
	command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 not installed"; exit 77; }
}

free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# write_conf EXTRA_LINES...: the config for this test in $WORK/sluice.conf
write_conf() {
	PORT=$(free_port)
	URL="http://127.0.0.1:$PORT"
	{
		echo "[api]"
		echo "listen = 127.0.0.1:$PORT"
		echo "[store]"
		echo "path = $WORK/sluice.db"
		# A socket nobody serves: an API test must never program a
		# sluice-dp that happens to run on this host (the demo's).
		echo "[datapath]"
		echo "socket = $WORK/dp.sock"
		echo "[log]"
		echo "level = debug"
		echo "target = stderr"
		for l in "$@"; do echo "$l"; done
	} > "$WORK/sluice.conf"
}

# start_sluiced: run it in the background, wait until GET / answers.
start_sluiced() {
	"$SLUICED" -c "$WORK/sluice.conf" >>"$WORK/sluiced.log" 2>&1 &
	SLUICED_PID=$!
	for _ in $(seq 1 100); do
		if curl -sf -o /dev/null "$URL/"; then
			return 0
		fi
		kill -0 "$SLUICED_PID" 2>/dev/null || fail "sluiced exited at start"
		sleep 0.05
	done
	fail "sluiced did not answer on $URL"
}

stop_sluiced() {
	kill "$SLUICED_PID"
	wait "$SLUICED_PID" || fail "sluiced exit status $? after SIGTERM"
	SLUICED_PID=
}

# jget JSON-FILE-OR-STRING FILTER: jq -r
jget() { jq -r "$2" <<<"$1"; }

# http METHOD PATH [BODY] [extra curl args...]: prints "STATUS BODY"
http() {
	local m=$1 p=$2 body=${3:-}
	shift 2; [ $# -gt 0 ] && shift
	local out
	if [ -n "$body" ]; then
		out=$(curl -s -o "$WORK/body" -w '%{http_code}' -X "$m" \
			-H 'Content-Type: application/json' --data-binary "$body" \
			"$@" "$URL$p")
	else
		out=$(curl -s -o "$WORK/body" -w '%{http_code}' -X "$m" "$@" "$URL$p")
	fi
	echo "$out $(cat "$WORK/body")"
}

# expect_status "STATUS BODY" CODE WHAT
expect_status() {
	local got=${1%% *}
	[ "$got" = "$2" ] || fail "$3: expected HTTP $2, got: $1"
	ok "$3 ($2)"
}
