#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/run-all.sh: build and run the whole test suite (called by
# "./setup.sh test" and so by .ci/run). Root, on Debian 12.
#
#   build/       normal build: unit tests, then netns integration tests
#   build-san/   ASan + UBSan build: the unit tests again
#   build-fuzz/  clang + libFuzzer: each fuzz target for a short bounded run
#
# Ends with one line "N passed, N failed, N skipped" over all of them and
# exits non-zero when anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ulimit -l unlimited 2>/dev/null || true

status=0
logs=()

setup_dir() { # dir, extra meson args...
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
			cat "$dir.setup.log" >&2
			echo "run-all: meson setup $dir failed" >&2
			return 1
		}
	fi
	ninja -C "$dir" || { echo "run-all: build of $dir failed" >&2; return 1; }
}

run_suite() { # dir, suite, extra meson test args...
	local dir=$1 suite=$2; shift 2
	echo "=== $dir: suite $suite"
	meson test -C "$dir" --no-rebuild --print-errorlogs --suite "$suite" "$@"
	local rc=$?
	[ $rc -ne 0 ] && status=1
	# Keep a copy of this run's log before the next suite overwrites it.
	if [ -f "$dir/meson-logs/testlog.json" ]; then
		cp "$dir/meson-logs/testlog.json" "$dir/meson-logs/testlog-$suite.json"
		logs+=("$dir/meson-logs/testlog-$suite.json")
	fi
}

build_failed=0
if setup_dir build; then
	run_suite build unit
else
	build_failed=$((build_failed + 1)); status=1
fi
if setup_dir build-san -Db_sanitize=address,undefined -Db_lundef=false; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_suite build-san unit
else
	build_failed=$((build_failed + 1)); status=1
fi
if CC=clang setup_dir build-fuzz -Dfuzz=true -Db_lundef=false; then
	run_suite build-fuzz fuzz
else
	build_failed=$((build_failed + 1)); status=1
fi
if [ -f build/build.ninja ]; then
	run_suite build netns
fi

python3 - "$build_failed" "${logs[@]}" <<'PY'
import json, sys
failed_builds = int(sys.argv[1])
p = f = s = 0
for path in sys.argv[2:]:
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line).get("result", "")
            if r in ("OK", "EXPECTEDFAIL"):
                p += 1
            elif r == "SKIP":
                s += 1
            else:
                f += 1
f += failed_builds
print(f"{p} passed, {f} failed, {s} skipped")
sys.exit(1 if f else 0)
PY
rc=$?
[ $rc -ne 0 ] && status=1
exit $status
