#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# args_test: sluice-dp's command line. Each bad argument must stop it
# before the EAL starts with exit status 2 and a message naming the
# argument; --help prints the usage and exits 0. Needs no privileges.
set -uo pipefail
dp=$1
fails=0

bad() { # expected-text args...
	local want=$1 out rc
	shift
	out=$("$dp" "$@" 2>&1)
	rc=$?
	if [ "$rc" != 2 ] || ! grep -qF -- "$want" <<<"$out"; then
		echo "FAIL: sluice-dp $* -> exit $rc, output: $out (want exit 2 and '$want')"
		fails=$((fails + 1))
	else
		echo "ok: $* -> $(head -1 <<<"$out")"
	fi
}

bad "--bogus" --bogus
bad "--mem" --mem
bad "--mem" --mem 12
bad "--mem" --mem abc
bad "--main-cpu" --main-cpu -1
bad "--worker-cpus" --worker-cpus 3-1
bad "--worker-cpus" --worker-cpus 1,x
bad "at most" --worker-cpus 0-15
bad "--port 'p1'" --port p1
bad "unknown type 'nic'" --port p1=nic:eth0
bad "port name" --port 'a,b=af_packet:eth0'
bad "ARGS" --port p1=af_packet:
bad "name used twice" --port p1=tap:t1 --port p1=tap:t2
bad "--cache-entries" --cache-entries 1000
bad "--ct-max" --ct-max 0
bad "--ct-max" --ct-max 999999999999
bad "--ct-max" --ct-max x
bad "--log-level" --log-level loud
bad "--huge-dir needs --hugepages" --huge-dir /dev/hugepages
bad "--file-prefix" --file-prefix 'a/b'
bad "unexpected argument" extra

out=$("$dp" --help 2>&1)
rc=$?
if [ "$rc" != 0 ] || ! grep -q -- '--worker-cpus' <<<"$out"; then
	echo "FAIL: --help -> exit $rc"
	fails=$((fails + 1))
fi
[ "$fails" = 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
