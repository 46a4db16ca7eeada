#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# esp-bench.sh: ESP encrypt and decrypt through the pipeline on one worker
# core (dp-esp-bench, datapath/src/pipeline_esp_bench.c) beside the crypto
# ceiling of the same core, `openssl speed -aead -evp CIPHER -bytes SIZE`
# (and -decrypt), run back to back on the same CPU, at 64 and 1400 bytes
# for AES-GCM-128 and ChaCha20-Poly1305. One line per case:
#
#   esp cipher=C size=S dir=encrypt|decrypt sluice_mpps=X sluice_gbps=Y
#       openssl_gbps=Z ratio=Y/Z evp_gbps=E evp_ratio=Y/E
#
# E is the AEAD alone through OpenSSL's plain per-message EVP calls on the
# same buffers (dp-esp-bench --evp: nonce, AAD, payload, tag per packet),
# the ceiling per ESP packet; `openssl speed -aead` seals no message per
# operation for ChaCha20-Poly1305 (one EVP_EncryptUpdate) and so is not one.
#
# then the grouping of bursts per SA (docs/esp.md), AES-GCM-128 encrypt
# with it and without it (dp-esp-bench --no-group), on one worker and on
# two workers sending into the same SA at once:
#
#   esp_group size=S workers=W grouped_mpps=X ungrouped_mpps=Y gain=X/Y
#
# then callgrind instructions per packet of the timed part (parse, cache,
# rule, transform, crypto, output) for AES-GCM-128, and for encrypt
# without the grouping:
#
#   callgrind cipher=C size=S dir=D instr_per_packet=N
#
# Each figure is the best of --rounds runs (default 3), Sluice and openssl
# interleaved, so that a busy machine's noise hurts both alike. Both count
# CPU time, not wall-clock time (`openssl speed` its user time unless
# -elapsed, dp-esp-bench the worker thread's CPU time unless --wall): on a
# shared core wall-clock time counts other processes' turns too
# (docs/esp.md, "Encrypt against decrypt"). dp-esp-bench's decrypt passes
# run back to back like its encrypt passes, on one SA that is never
# re-added (docs/esp.md, "Decrypt against encrypt: the benchmark's steady
# state"). The load average is printed first and last:
#
#   load start=L1 ... load end=L2
#
# Usage: esp-bench.sh [--build DIR] [--seconds N] [--rounds N] [--cpu N]
#                     [--no-callgrind]
# --build: the meson build tree with datapath/src/dp-esp-bench (default
# $SLUICE_BUILD or /work/main/build). Needs openssl(1); valgrind for the
# instruction counts. Gb/s counts the frame's bytes (SIZE) for Sluice and
# the buffer's bytes for openssl. See docs/esp.md.

set -u

BUILD=${SLUICE_BUILD:-/work/main/build}
SECS=3
CPU=1
CALLGRIND=1
ROUNDS=3
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--cpu) CPU=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--no-callgrind) CALLGRIND=0; shift ;;
	*) echo "usage: $0 [--build DIR] [--seconds N] [--cpu N]" \
		"[--no-callgrind]" >&2; exit 2 ;;
	esac
done
BENCH=$BUILD/datapath/src/dp-esp-bench
[ -x "$BENCH" ] || { echo "no $BENCH (ninja -C $BUILD)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "needs openssl" >&2; exit 1; }
PIN=
command -v taskset >/dev/null && PIN="taskset -c $CPU"

# openssl speed's result for one size, in Gb/s ("k" = 1000 bytes/s).
ossl_gbps() { # cipher size [-decrypt]
	$PIN openssl speed -seconds "$SECS" ${3:-} -aead -evp "$1" -bytes "$2" \
		2>/dev/null | awk 'END { v = $NF; sub(/k$/, "", v);
			# a timer glitch under load prints "inf": no figure
			if (v !~ /^[0-9.]+$/) v = 0;
			printf "%.3f", v * 1000 * 8 / 1e9 }'
}

max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }

echo "load start=$(cut -d' ' -f1 /proc/loadavg)"
trap 'echo "load end=$(cut -d" " -f1 /proc/loadavg)"' EXIT
declare -A OSSL=([aes-gcm-128]=aes-128-gcm
	[chacha20-poly1305]=chacha20-poly1305)
for c in aes-gcm-128 chacha20-poly1305; do
	for s in 64 1400; do
		declare -A MP=() GB=() OG=() EG=()
		for r in $(seq "$ROUNDS"); do
			out=$($PIN "$BENCH" --cipher "$c" --size "$s" \
				--seconds "$SECS" 2>/dev/null) || {
				echo "dp-esp-bench $c $s failed" >&2
				exit 1
			}
			evp=$($PIN "$BENCH" --evp --cipher "$c" --size "$s" \
				--seconds "$SECS" 2>/dev/null)
			for d in encrypt decrypt; do
				set -- $(echo "$out" | awk -v d="$d:" \
					'$4 == d { print $5, $7 }')
				eg=$(echo "$evp" | awk -v d="evp-$d:" \
					'$4 == d { print $7 }')
				flag=
				[ "$d" = decrypt ] && flag=-decrypt
				og=$(ossl_gbps "${OSSL[$c]}" "$s" $flag)
				MP[$d]=$(max "${MP[$d]:-0}" "$1")
				GB[$d]=$(max "${GB[$d]:-0}" "$2")
				OG[$d]=$(max "${OG[$d]:-0}" "$og")
				EG[$d]=$(max "${EG[$d]:-0}" "${eg:-0}")
			done
		done
		for d in encrypt decrypt; do
			mpps=${MP[$d]} gbps=${GB[$d]} og=${OG[$d]} eg=${EG[$d]}
			ratio=$(awk -v a="$gbps" -v b="$og" \
				'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
			eratio=$(awk -v a="$gbps" -v b="$eg" \
				'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
			echo "esp cipher=$c size=$s dir=$d sluice_mpps=$mpps" \
				"sluice_gbps=$gbps openssl_gbps=$og ratio=$ratio" \
				"evp_gbps=$eg evp_ratio=$eratio"
		done
	done
done

# Grouping: the two variants interleaved, best of the rounds. Two workers
# need two CPUs: not pinned.
for w in 1 2; do
	for s in 64 1400; do
		g=0 u=0
		for r in $(seq "$ROUNDS"); do
			for v in grouped ungrouped; do
				flag=
				[ "$v" = ungrouped ] && flag=--no-group
				pin=$PIN
				[ "$w" -gt 1 ] && pin=
				x=$($pin "$BENCH" --size "$s" --seconds "$SECS" \
					--workers "$w" $flag 2>/dev/null |
					awk '/encrypt/ { for (i = 1; i < NF; i++)
						if ($(i + 1) == "Mpps") print $i }')
				if [ "$v" = grouped ]; then
					g=$(max "$g" "${x:-0}")
				else
					u=$(max "$u" "${x:-0}")
				fi
			done
		done
		echo "esp_group size=$s workers=$w grouped_mpps=$g" \
			"ungrouped_mpps=$u gain=$(awk -v a="$g" -v b="$u" \
			'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
	done
done

[ "$CALLGRIND" = 1 ] || exit 0
command -v valgrind >/dev/null || { echo "no valgrind: no counts" >&2; exit 0; }
tmp=$(mktemp -d /tmp/esp-bench.XXXX)
trap 'rm -rf "$tmp"; echo "load end=$(cut -d" " -f1 /proc/loadavg)"' EXIT
for s in 64 1400; do
	for d in encrypt decrypt; do
		valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" \
			"--toggle-collect=pass_$d*" "$BENCH" --size "$s" \
			--packets 4096 >/dev/null 2>"$tmp/log" || continue
		ir=$(awk '/Collected/ { print $4 }' "$tmp/log")
		echo "callgrind cipher=aes-gcm-128 size=$s dir=$d" \
			"instr_per_packet=$(awk -v i="$ir" \
			'BEGIN { printf "%.0f", i / 4096 }')"
	done
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" \
		"--toggle-collect=pass_encrypt*" "$BENCH" --size "$s" \
		--packets 4096 --no-group >/dev/null 2>"$tmp/log" || continue
	ir=$(awk '/Collected/ { print $4 }' "$tmp/log")
	echo "callgrind cipher=aes-gcm-128 size=$s dir=encrypt-no-group" \
		"instr_per_packet=$(awk -v i="$ir" \
		'BEGIN { printf "%.0f", i / 4096 }')"
done
