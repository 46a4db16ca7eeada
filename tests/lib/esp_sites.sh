# SPDX-License-Identifier: BSD-2-Clause
# esp_sites.sh: the two-site topology of the datapath ESP tests (dp_esp.sh,
# dp_vnet_esp.sh); sourced after netns.sh and sluice.sh.
#
#   ns GA          host (site A)              ns T       host (site B)          ns GB
#   eth0 --veth-- <id>gA [sluice-dp] <id>uA --veth-- br0 --veth-- <id>uB [sluice-dp] <id>gB --veth-- eth0
#   10.61.1.2/24                                                                          10.61.2.2/24
#
#   esp_sites_setup TYPE  the namespaces and veths; guests at MTU 1400
#                         with a default route and a static neighbour for
#                         their gateway (rmacA, rmacB). TYPE is the
#                         sluice-dp port type: for vnet every veth keeps
#                         TSO, GSO and checksum offload on (the guests'
#                         turned back on), for af_packet/af_xdp they are
#                         off. Sets gmacA gmacB rmacA rmacB umacA umacB.
#   dp_start SITE         a sluice-dp with ports guest (1) and uplink (2)
#                         of that type, its own socket SOCK[SITE] and EAL
#                         prefix; PID[SITE]
#   ctl SITE ARGS...      sluicectl against that sluice-dp
#   fail MSG              sluice.sh's helpers report here: the logs' tails,
#                         then nt_fail

ESP_SITES_TYPE=af_packet
declare -A SOCK PID

esp_sites_on() {
	ethtool -K "$1" tx on sg on tso on gso on >/dev/null ||
		nt_fail "ethtool -K $1 offloads on"
}

esp_sites_setup() {
	local g n
	ESP_SITES_TYPE=$1
	for n in GA GB T; do nt_ns_add $n; done
	# No IPv6 chatter (router solicitations, MLD) on the transit link.
	nt_exec T sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	nt_exec T sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	nt_exec T ip link add br0 type bridge
	nt_exec T ip link set br0 up
	gmacA=02:61:00:00:01:02
	gmacB=02:61:00:00:02:02
	rmacA=02:61:00:00:01:01 # site A's router MAC towards its guest
	rmacB=02:61:00:00:02:01
	nt_veth GA eth0 10.61.1.2/24 "${NT_ID}gA" $gmacA
	nt_veth GB eth0 10.61.2.2/24 "${NT_ID}gB" $gmacB
	for g in A B; do
		if [ "$ESP_SITES_TYPE" = vnet ]; then
			esp_sites_on "${NT_ID}g$g"
			nt_exec G$g ethtool -K eth0 tx on sg on tso on gso on \
				gro on >/dev/null || nt_fail "offloads on in G$g"
		fi
		ip link add "${NT_ID}u$g" type veth peer name "t$g" \
			netns "$(nt_ns T)"
		NT_LINKS+=("${NT_ID}u$g")
		sysctl -qw "net.ipv6.conf.${NT_ID}u$g.disable_ipv6=1"
		if [ "$ESP_SITES_TYPE" = vnet ]; then
			esp_sites_on "${NT_ID}u$g"
		else
			nt_offloads_off "${NT_ID}u$g"
		fi
		nt_exec T ip link set "t$g" master br0
		nt_exec T ip link set "t$g" up
		ip link set "${NT_ID}u$g" up
	done
	nt_exec GA ip link set eth0 mtu 1400
	nt_exec GB ip link set eth0 mtu 1400
	nt_exec GA ip route add default via 10.61.1.1
	nt_exec GB ip route add default via 10.61.2.1
	nt_exec GA ip neigh add 10.61.1.1 lladdr $rmacA dev eth0
	nt_exec GB ip neigh add 10.61.2.1 lladdr $rmacB dev eth0
	umacA=$(cat "/sys/class/net/${NT_ID}uA/address")
	umacB=$(cat "/sys/class/net/${NT_ID}uB/address")
}

fail() {
	NT_PIDS+=(${dp_pid:-})
	tail -n 20 "$NT_TMP"/dp-*.log >&2 || true
	nt_fail "$*"
}

# Two datapaths: their own sockets and EAL file prefixes, started by
# sluice.sh's sluice_dp_start (again on an af_packet fanout group clash:
# the two sluice-dp share the root namespace).
dp_start() {
	local s=$1
	SOCK[$s]="$NT_TMP/dp-$s.sock"
	nt_on_exit "rm -rf /var/run/dpdk/sl-$NT_ID-$s"
	sluice_dp_start "${SOCK[$s]}" "sl-$NT_ID-$s" "$NT_TMP/dp-$s.log" \
		--port "guest=$ESP_SITES_TYPE:${NT_ID}g$s" \
		--port "uplink=$ESP_SITES_TYPE:${NT_ID}u$s"
	PID[$s]=$dp_pid
	NT_PIDS+=("$dp_pid")
}

ctl() { local s=$1; shift; "$SLUICECTL" -s "${SOCK[$s]}" "$@"; }
