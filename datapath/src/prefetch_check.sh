#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# prefetch_check.sh BINARY: the connection table's prefetch stage is in
# the machine code of BINARY (dp-lb-bench). GCC 12 was seen dropping every
# __builtin_prefetch() of pl_ct_prefetch_conn() without a word when the
# code around it changed shape (a loop; a second prefetch under a
# condition: docs/conntrack.md, "Hot and cold parts"); the
# tests still pass then and only the speed at 1M connections shows it.
# Exits 77 where objdump or the architecture's prefetch mnemonic is
# unknown.
set -u
bin=${1:?usage: prefetch_check.sh BINARY}
command -v objdump >/dev/null 2>&1 || { echo "SKIP: no objdump"; exit 77; }
case $(uname -m) in
x86_64 | i?86) pat='prefetch' ;;
aarch64) pat='prfm' ;;
*) echo "SKIP: prefetch mnemonic of $(uname -m) unknown"; exit 77 ;;
esac
dis=$(objdump -d --no-show-raw-insn "$bin") || { echo "FAIL: objdump $bin"; exit 1; }
rc=0
# function:least number of prefetch instructions
for f in pl_ct_prefetch_group:1 pl_ct_prefetch_conn:2; do
	name=${f%:*}
	want=${f#*:}
	if ! printf '%s\n' "$dis" | grep -q "<$name>:"; then
		echo "FAIL: $name not found in $bin"
		rc=1
		continue
	fi
	n=$(printf '%s\n' "$dis" |
		awk -v h="<$name>:" '$2 == h { p = 1; next } p && /^$/ { p = 0 } p' |
		grep -cE ":[[:space:]]+$pat")
	if [ "$n" -lt "$want" ]; then
		echo "FAIL: $name has $n prefetch instructions, want at least $want"
		rc=1
	else
		echo "ok: $name has $n prefetch instructions"
	fi
done
exit $rc
