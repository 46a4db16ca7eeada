# SPDX-License-Identifier: BSD-2-Clause
# tests/lib/icmp_seen.sh: source it. Isolation checks for netns tests: a
# failed ping alone proves nothing (a reply may just not find its way
# back), so these count the echo requests the target's own stack received.

# Echo requests received in namespace NS so far (its /proc/net/snmp).
nt_in_echos() {
	ip netns exec "$1" awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF;
		i++) if ($i == "InEchos") c = i; h = 1 } else print $c }' \
		/proc/net/snmp
}

# Echo replies received in namespace NS so far (its /proc/net/snmp),
# whether or not the ping that asked was still waiting for them.
nt_in_echo_reps() {
	ip netns exec "$1" awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF;
		i++) if ($i == "InEchoReps") c = i; h = 1 } else print $c }' \
		/proc/net/snmp
}

# nt_unseen NS CMD...: true when CMD delivered no echo request to NS.
nt_unseen() {
	local target=$1 before
	shift
	before=$(nt_in_echos "$target")
	"$@" >/dev/null 2>&1 || true
	[ "$(nt_in_echos "$target")" = "$before" ]
}
