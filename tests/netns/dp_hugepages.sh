#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# dp_hugepages: sluice-dp with --hugepages on a private hugetlbfs mount
# (pages reserved for the test and given back): AF_XDP ports forward a
# ping, the pages are in use while it runs, and after a clean stop no
# hugepage file is left and every page is free again.
#
#   ns A               host                                ns B
#   eth0 --veth-- hA [port 1] sluice-dp [port 2] hB --veth-- eth0
#   10.205.0.1/24   (--hugepages --huge-dir tmp)          10.205.0.2/24
. "$(dirname "$0")/../lib/netns.sh"

mode=${1:-af_xdp}
nt_init
nt_hugepages 160
huge=$NT_HUGE_DIR
nt_ns_add A
nt_ns_add B
nt_veth A eth0 10.205.0.1/24 "${NT_ID}A"
nt_veth B eth0 10.205.0.2/24 "${NT_ID}B"

nt_dp_start --hugepages --huge-dir "$huge" --mem 256 \
	--port "p1=$mode:${NT_ID}A" --port "p2=$mode:${NT_ID}B"
grep -q 'running:.*, hugepages' "$NT_DP_LOG" ||
	nt_fail "sluice-dp does not say it runs on hugepages"
used=$(nt_hugepages_used)
echo "hugepages of the test's mount in use while running: $used"
[ "$used" -gt 0 ] || nt_fail "sluice-dp took no hugepage"
nt_ctl dp add-flows - <<'FLOWS'
table=0,priority=10,in_port=1,actions=output:2
table=0,priority=10,in_port=2,actions=output:1
FLOWS
nt_ping_wait A 10.205.0.2
nt_ping A 10.205.0.2 5 -i 0.1
nt_dp_stop
[ -z "$(ls -A "$huge")" ] || nt_fail "hugepage files left in $huge"
for i in $(seq 50); do	# the kernel may release them a moment later
	used=$(nt_hugepages_used)
	[ "$used" = 0 ] && break
	sleep 0.1
done
echo "hugepages in use after the stop: $used"
[ "$used" = 0 ] || nt_fail "$used hugepages not given back"
