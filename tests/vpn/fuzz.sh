#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/vpn/fuzz.sh FUZZER CORPUS [SECONDS]: a bounded libFuzzer run over a
# copy of the committed seed corpus (new inputs go to a scratch directory,
# never into the tree). Fails on any crash, leak or sanitizer report.
set -euo pipefail
fuzzer=$(readlink -f "$1") corpus=$(readlink -f "$2") secs=${3:-20}
work=$(mktemp -d /tmp/sluice-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/new"
cd "$work"
"$fuzzer" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=1 "$work/new" "$corpus"
