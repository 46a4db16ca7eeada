# SPDX-License-Identifier: BSD-2-Clause
# guest.sh: a guest for the sluiced namespace tests (sourced).
#
# guest_veth NS HOSTIF MAC: make namespace NS with eth0 (MAC, up, IPv6
# off) on a veth whose host end HOSTIF is up; the caller records both for
# its cleanup. Guest-side offloads go off: a userspace switch gets no
# checksums filled in nor TSO split (docs/runtime.md), and NAT would
# rewrite such frames wrongly.
guest_veth() {
	local ns=$1 hif=$2 mac=$3
	ip netns add "$ns"
	ip link add "$hif" type veth peer name eth0 netns "$ns"
	sysctl -qw "net.ipv6.conf.$hif.disable_ipv6=1" || true
	ip link set "$hif" up
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "$ns" link set eth0 address "$mac"
	ip -n "$ns" link set eth0 up
	ip netns exec "$ns" ethtool -K eth0 tx off tso off gso off \
		sg off >/dev/null 2>&1 || true
}
