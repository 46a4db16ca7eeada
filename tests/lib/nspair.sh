# SPDX-License-Identifier: BSD-2-Clause
# nspair.sh: two namespaces on one veth, the topology of the IKE tests
# that run their peers in namespaces without a datapath
# (tests/vpn/sluice_pair.sh, strongswan_interop.sh, sluiced_ike_test.sh;
# sourced).
#
# nspair_add NS_A NS_B IF_A IF_B ADDR_A ADDR_B: make namespaces NS_A and
#   NS_B (lo up) joined by a veth, IF_A in NS_A and IF_B in NS_B, each up
#   with its address (ADDR/LEN). For an IPv6 address IPv6 is turned on
#   in both namespaces and the address has no duplicate detection.
# nspair_stop PID...: for a cleanup: SIGTERM to each PID given (empty
#   ones are skipped), 0.3 s for them to go, then SIGKILL to the rest.
# nspair_del NS_A NS_B DIR: for a cleanup: delete both namespaces (their
#   veth goes with them), then DIR, or with KEEP_LOGS set say where DIR
#   is kept.

nspair_add() {
	local a=$1 b=$2 ns
	ip netns add "$a"
	ip netns add "$b"
	ip link add "$3" type veth peer name "$4"
	ip link set "$3" netns "$a"
	ip link set "$4" netns "$b"
	case $5 in
	*:*)
		for ns in "$a" "$b"; do
			ip netns exec "$ns" sysctl -qw \
				net.ipv6.conf.all.disable_ipv6=0 \
				net.ipv6.conf.default.disable_ipv6=0
		done
		ip -n "$a" addr add "$5" dev "$3" nodad
		ip -n "$b" addr add "$6" dev "$4" nodad
		;;
	*)
		ip -n "$a" addr add "$5" dev "$3"
		ip -n "$b" addr add "$6" dev "$4"
		;;
	esac
	for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
	ip -n "$a" link set "$3" up
	ip -n "$b" link set "$4" up
}

nspair_stop() {
	local p
	for p in "$@"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in "$@"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null; done
	return 0
}

nspair_del() {
	ip netns del "$1" 2>/dev/null
	ip netns del "$2" 2>/dev/null
	if [ -n "${KEEP_LOGS:-}" ]; then
		echo "logs kept in $3"
	else
		rm -rf "$3"
	fi
}
