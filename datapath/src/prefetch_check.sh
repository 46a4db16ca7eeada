#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# prefetch_check.sh BINARY: the connection table's prefetch stage is in
# the machine code of BINARY (dp-lb-bench). GCC 12 was seen dropping every
# __builtin_prefetch() of pl_ct_prefetch_conn() without a word when the
# code around it changed shape (a loop; a second prefetch under a
# condition: docs/conntrack.md, "Hot and cold parts"); the
# tests still pass then and only the speed at 1M connections shows it.
# The prefetch instructions are counted by the source function the debug
# line table gives them (objdump -dl), so the check holds whether the
# functions stay out of line or are inlined into the worker (the
# link-time optimised build). Exits 77 where objdump, the line table or
# the architecture's prefetch mnemonic is missing.
set -u
bin=${1:?usage: prefetch_check.sh BINARY}
command -v objdump >/dev/null 2>&1 || { echo "SKIP: no objdump"; exit 77; }
case $(uname -m) in
x86_64 | i?86) pat='prefetch' ;;
aarch64) pat='prfm' ;;
*) echo "SKIP: prefetch mnemonic of $(uname -m) unknown"; exit 77 ;;
esac
dis=$(objdump -dl --no-show-raw-insn "$bin") || { echo "FAIL: objdump $bin"; exit 1; }
if ! printf '%s\n' "$dis" | grep -q '^/.*\.c:[0-9]'; then
	echo "SKIP: $bin has no line table (built without -g)"
	exit 77
fi
# Each prefetch instruction as the source function it comes from.
counts=$(printf '%s\n' "$dis" |
	awk -v pat="$pat" '/^[A-Za-z_][A-Za-z_0-9.]*\(\):$/ { fn = $1; next }
		$0 ~ ":[ \t]+" pat { n[fn]++ }
		END { for (f in n) print f, n[f] }')
rc=0
# source function:least number of prefetch instructions
# (pl_ct_prefetch_conn()'s are in ct_prefetch_line(), its asm statement)
for f in pl_ct_prefetch_group:1 ct_prefetch_line:2; do
	name=${f%:*}
	want=${f#*:}
	n=$(printf '%s\n' "$counts" | awk -v f="$name():" '$1 == f { print $2 }')
	n=${n:-0}
	if [ "$n" -lt "$want" ]; then
		echo "FAIL: $name() has $n prefetch instructions in $bin, want at least $want"
		rc=1
	else
		echo "ok: $name() has $n prefetch instructions"
	fi
done
exit $rc
