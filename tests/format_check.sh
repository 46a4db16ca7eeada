#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/format_check.sh SRCDIR: every C file of the tree is formatted as
# .clang-format says (STYLE.md section 9). Prints the files that are not;
# fix them with: clang-format -i FILE
set -uo pipefail
top=${1:?usage: format_check.sh SRCDIR}
command -v clang-format >/dev/null || { echo "clang-format missing (Debian package clang-format)"; exit 77; }
cd "$top"
bad=0
while IFS= read -r -d '' f; do
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f"
		bad=$((bad + 1))
	fi
done < <(find datapath control vpnaas lbaas tests -name '*.[ch]' -print0)
echo "$bad file(s) not formatted"
[ "$bad" -eq 0 ]
