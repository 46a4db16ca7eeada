#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# demo.sh: the demo of README command one (./setup.sh demo).
#
#   bash configs/demo/demo.sh start    start sluice-dp and sluiced, apply
#                                      configs/demo/topology through the
#                                      openstack CLI, show who reaches whom,
#                                      leave it running
#   bash configs/demo/demo.sh status   what runs, guests and their addresses
#   bash configs/demo/demo.sh stop     stop exactly what start started
#
#   project demo-p1                                  project demo-p2
#   demo-p1-net 10.0.0.0/24   demo-p1-web 10.0.1.0/24  demo-p2-net 10.0.0.0/24
#     a1 .11   a2 .12           a3 .13 (+ floating IP,   b1 .11   b2 .22
#                               group "web": ssh/http/icmp in)
#     (a1, a2: members of load balancer web-lb, VIP on demo-p1-net,
#      + floating IP)
#        \___ demo-p1-router ___/                          demo-p2-router
#                  | SNAT                                   | SNAT
#   ---------- demo-public 203.0.113.0/24 (external) ---------------
#                  ext 203.0.113.100 (an "outside" host)
#
#   every guest and ext: a namespace on a veth, a port of sluice-dp
#   (AF_PACKET); sluice-dp <- dp socket <- sluiced <- REST 127.0.0.1:9696
#   <- openstack CLI. Routing, NAT and security groups run in sluice-dp.
#
# Needs root and the build in build/ (./setup.sh build). Everything it
# makes is recorded under $STATE (pid files, the list of namespaces and
# links), and "stop" undoes only that.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
STATE=${STATE:-/run/sluice-demo}
TOPOLOGY=${TOPOLOGY:-$top/configs/demo/topology}
API=${API:-http://127.0.0.1:9696}
SLUICE_DP=$BUILD/datapath/dpdk/sluice-dp
SLUICED=$BUILD/control/sluiced
SLUICECTL=$BUILD/control/sluicectl/sluicectl
DP_SOCK=$STATE/dp.sock

# sluiced reads a configuration file (INI, see configs/ and conf.h); the
# demo writes its own under $STATE. Extra "-o section.key=value" options
# may be given in SLUICED_ARGS.
listen=${API#http://}
write_conf() {
	cat >"$STATE/sluice.conf" <<EOC
# Written by configs/demo/demo.sh for the demo; removed by "stop".
[api]
listen = $listen
[auth]
mode = none
[store]
path = $STATE/sluice.db
[datapath]
socket = $DP_SOCK
[log]
level = info
EOC
}
read -r -a sluiced_args <<<"${SLUICED_ARGS:-}"

os() { openstack --os-auth-type none --os-endpoint "$API" "$@"; }
die() { echo "demo: $*" >&2; exit 1; }
say() { printf '\033[1m%s\033[0m\n' "$*"; }

is_running() {	# pidfile
	[ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

record() { echo "$*" >>"$STATE/created"; }

# Start a daemon in the background, remember its pid.
spawn() {	# name log cmd...
	local name=$1 log=$2
	shift 2
	"$@" >"$log" 2>&1 &
	echo $! >"$STATE/$name.pid"
}

wait_for() {	# seconds what cmd...
	local n=$(( $1 * 10 )) what=$2
	shift 2
	for _ in $(seq "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "$what did not come up (logs in $STATE)"
}

# Read the topology into arrays.
declare -a net_names net_projects net_cidrs net_gws
declare -a guests guest_nets guest_ips
declare -a ext_nets ext_cidrs ext_gws exthosts exthost_nets exthost_ips
declare -a routers router_projects router_nets fips sgs lbs
declare -A net_project
read_topology() {
	local kind a b c d
	while read -r kind a b c d; do
		case "$kind" in
		network) net_projects+=("$a"); net_names+=("$b")
			 net_cidrs+=("$c"); net_gws+=("$d")
			 net_project[$b]=$a ;;
		guest) guest_nets+=("$a"); guests+=("$b"); guest_ips+=("$c") ;;
		external) ext_nets+=("$a"); ext_cidrs+=("$b"); ext_gws+=("$c") ;;
		exthost) exthost_nets+=("$a"); exthosts+=("$b")
			 exthost_ips+=("$c") ;;
		router) router_projects+=("$a"); routers+=("$b")
			router_nets+=("$c${d:+ $d}") ;;
		fip) fips+=("$a") ;;
		sg) sgs+=("$a $b $c${d:+ $d}") ;;
		lb) lbs+=("$a $b $c${d:+ $d}") ;;
		''|\#*) ;;
		*) die "$TOPOLOGY: unknown line '$kind'" ;;
		esac
	done <"$TOPOLOGY"
}

guest_project() {	# guest
	local i
	for i in "${!guests[@]}"; do
		[ "${guests[$i]}" = "$1" ] &&
			{ echo "${net_project[${guest_nets[$i]}]}"; return; }
	done
}

guest_ip() {	# guest
	local i
	for i in "${!guests[@]}"; do
		[ "${guests[$i]}" = "$1" ] && { echo "${guest_ips[$i]}"; return; }
	done
}

# A small HTTP server in a namespace (python's http.server), recorded so
# "stop" ends it.
serve() {	# ns port
	(cd "$STATE" && exec ip netns exec "$1" /usr/bin/python3 -m http.server \
		"$2" >"$STATE/http-$1-$2.log" 2>&1) &
	echo $! >>"$STATE/servers"
}

make_guest() {	# guest
	local g=$1 ns=sdemo-$1 hif=sdemo-$1
	ip netns add "$ns"; record netns "$ns"
	ip link add "$hif" type veth peer name eth0 netns "$ns"
	record link "$hif"
	sysctl -qw "net.ipv6.conf.$hif.disable_ipv6=1" || true
	ip link set "$hif" up
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || true
	# A userspace switch gets CHECKSUM_PARTIAL and TSO frames from a veth
	# unfinished (docs/runtime.md); NAT would rewrite them wrongly. A
	# virtio guest on vhost-user negotiates this instead.
	ip netns exec "$ns" ethtool -K eth0 tx off tso off gso off sg off \
		>/dev/null 2>&1 || true
	ethtool -K "$hif" tx off tso off gso off sg off >/dev/null 2>&1 || true
}

dhcp_script() {
	cat >"$STATE/udhcpc.sh" <<'EOS'
#!/bin/sh
case "$1" in
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	[ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
	[ -n "$router" ] && ip route replace default via "${router%% *}"
	;;
esac
exit 0
EOS
	chmod +x "$STATE/udhcpc.sh"
}

# Projects: with auth "none" the CLI resolves --project through the same
# endpoint; when that is not served, the networks go to the default
# project (isolation is per network either way).
net_create() {	# project name
	os network create --project "$1" -f value -c id "$2" 2>/dev/null ||
		os network create -f value -c id "$2"
}

# Who answered: each member serves a page holding its own name.
answers() {	# ns url n -> "name count" lines
	local i
	for i in $(seq "$3"); do
		ip netns exec "$1" curl -s -m 2 "$2" || echo "(no answer)"
	done | sort | uniq -c | awk '{print $2, $1}' | paste -sd, - |
		sed 's/,/, /g'
}

# One "lb" line of the topology: the Octavia objects through the
# openstack CLI, the members' page servers, then who answers through the
# VIP from a routed guest of the project and from outside through the
# VIP's floating IP.
demo_lb() {	# "project lb network member..."
	local p name n members g vip vport lbid li pool sgid st=
	read -r p name n members <<<"$1"
	say "8. a load balancer: $name, VIP on $n, members $members, a floating IP"
	for g in $members; do
		mkdir -p "$STATE/www-$g"
		echo "$g" >"$STATE/www-$g/index.html"
		(exec ip netns exec "sdemo-$g" /usr/bin/python3 -m http.server 80 \
			--directory "$STATE/www-$g" >"$STATE/http-lb-$g.log" 2>&1) &
		echo $! >>"$STATE/servers"
	done
	echo "+ openstack loadbalancer create --name $name --vip-subnet-id ${n}-subnet"
	lbid=$(os loadbalancer create --name "$name" \
		--vip-subnet-id "${subnet_id[$n]}" -f value -c id)
	# sluiced keeps a load balancer's probe namespace across its own
	# restarts (docs/lbaas.md); "stop" removes it with the rest.
	record netns "sluice-lb-${lbid:0:8}"
	record link "lbv-${lbid:0:8}"
	vip=$(os loadbalancer show "$lbid" -f value -c vip_address)
	vport=$(os loadbalancer show "$lbid" -f value -c vip_port_id)
	echo "   VIP $vip"
	echo "+ openstack security group create $name-members; rule: tcp 80 from $vip/32"
	sgid=$(os security group create --project "$p" -f value -c id \
		"$name-members" 2>/dev/null ||
		os security group create -f value -c id "$name-members")
	os security group rule create --ingress --protocol tcp --dst-port 80 \
		--remote-ip "$vip/32" "$sgid" >/dev/null
	for g in $members; do
		os port set --security-group "$sgid" "${port_id[$g]}"
	done
	echo "+ openstack loadbalancer listener create --protocol TCP --protocol-port 80 $name"
	li=$(os loadbalancer listener create --name "$name-80" --protocol TCP \
		--protocol-port 80 "$lbid" -f value -c id)
	echo "+ openstack loadbalancer pool create --protocol TCP --lb-algorithm ROUND_ROBIN --listener $name-80"
	pool=$(os loadbalancer pool create --name "$name-pool" --protocol TCP \
		--lb-algorithm ROUND_ROBIN --listener "$li" -f value -c id)
	for g in $members; do
		echo "+ openstack loadbalancer member create --address $(guest_ip "$g") --protocol-port 80 $name-pool"
		os loadbalancer member create --name "$g" --address "$(guest_ip "$g")" \
			--protocol-port 80 --subnet-id "${subnet_id[$n]}" "$pool" \
			>/dev/null
	done
	echo "+ openstack loadbalancer healthmonitor create --type HTTP --delay 2 --timeout 1 --max-retries 2 $name-pool"
	os loadbalancer healthmonitor create --name "$name-hm" --type HTTP \
		--delay 2 --timeout 1 --max-retries 2 --url-path / "$pool" >/dev/null
	# Probes leave from the load balancer's own namespace, from the
	# address of its "Octavia:health" port (docs/lbaas.md): let them in.
	local hip=
	for _ in $(seq 50); do
		hip=$(os port list --device-owner Octavia:health \
			--device-id "$lbid" -f json -c fixed_ips 2>/dev/null |
			jq -r '.[0]["Fixed IP Addresses"][0].ip_address // empty' \
			2>/dev/null || true)
		[ -n "$hip" ] && break
		sleep 0.2
	done
	if [ -n "$hip" ]; then
		echo "   health probes from $hip (port Octavia:health); rule: tcp 80 from $hip/32"
		os security group rule create --ingress --protocol tcp \
			--dst-port 80 --remote-ip "$hip/32" "$sgid" >/dev/null
	else
		echo "demo: warning: no Octavia:health port for $name"
	fi
	echo "+ openstack floating ip create --port <VIP port> ${ext_nets[0]}"
	fip_of[$name]=$(os floating ip create --port "$vport" \
		-f value -c floating_ip_address "${net_id[${ext_nets[0]}]}")
	echo "   $name: floating IP ${fip_of[$name]}"
	for _ in $(seq 50); do
		st=$(os loadbalancer show "$lbid" -f value -c provisioning_status)
		[ "$st" = ACTIVE ] && break
		sleep 0.2
	done
	echo "   provisioning_status $st"
	local online=0
	for _ in $(seq 50); do
		online=$(os loadbalancer member list "$pool" -f value \
			-c operating_status | grep -c ONLINE || true)
		[ "$online" -ge "$(wc -w <<<"$members")" ] && break
		sleep 0.2
	done
	check "health monitor: all members ONLINE" yes \
		test "$online" -ge "$(wc -w <<<"$members")"
	# A guest of another network of the project (routed to the VIP), and
	# the outside host through the floating IP.
	local client=
	for g in "${guests[@]}"; do
		[ "$(guest_project "$g")" = "$p" ] || continue
		case " $members " in *" $g "*) continue ;; esac
		client=$g
		break
	done
	if [ -n "$client" ]; then
		check "$client -> $vip:80 (VIP, routed)" yes \
			ip netns exec "sdemo-$client" curl -sf -m 3 "http://$vip/"
		printf '   20 requests from %s answered by: %s\n' "$client" \
			"$(answers "sdemo-$client" "http://$vip/" 20)"
	fi
	local ext=${exthosts[0]}
	check "$ext -> ${fip_of[$name]}:80 ($name's floating IP)" yes \
		ip netns exec "sdemo-$ext" curl -sf -m 3 "http://${fip_of[$name]}/"
	printf '   20 requests from %s answered by: %s\n' "$ext" \
		"$(answers "sdemo-$ext" "http://${fip_of[$name]}/" 20)"
}

start() {
	[ "$(id -u)" -eq 0 ] || die "run me as root"
	for b in "$SLUICE_DP" "$SLUICED"; do
		[ -x "$b" ] || die "$b is not built (./setup.sh build)"
	done
	command -v openstack >/dev/null || die "no openstack CLI (./setup.sh deps)"
	if is_running "$STATE/sluiced.pid" || is_running "$STATE/sluice-dp.pid"; then
		echo "demo: already running"; status; return 0
	fi
	[ -f "$STATE/created" ] && stop >/dev/null 2>&1 || true
	mkdir -p "$STATE"
	: >"$STATE/created"
	read_topology
	dhcp_script
	ulimit -l unlimited 2>/dev/null || true

	say "1. sluice-dp (datapath) on $DP_SOCK"
	spawn sluice-dp "$STATE/sluice-dp.log" "$SLUICE_DP" --socket "$DP_SOCK" \
		--file-prefix sluice-demo --mem 256
	wait_for 20 sluice-dp test -S "$DP_SOCK"

	say "2. sluiced (control daemon), API on $API"
	write_conf
	spawn sluiced "$STATE/sluiced.log" "$SLUICED" -c "$STATE/sluice.conf" \
		${sluiced_args[@]+"${sluiced_args[@]}"}
	wait_for 20 sluiced curl -sf "$API/"

	say "3. guests: network namespaces on veths"
	for g in "${guests[@]}" "${exthosts[@]}"; do make_guest "$g"; done

	say "4. networks, subnets, routers and ports through the openstack CLI"
	declare -A net_id subnet_id port_id
	for i in "${!ext_nets[@]}"; do
		local n=${ext_nets[$i]}
		echo "+ openstack network create --external $n"
		net_id[$n]=$(os network create --external -f value -c id "$n")
		echo "+ openstack subnet create --network $n --subnet-range ${ext_cidrs[$i]} --no-dhcp ${n}-subnet"
		subnet_id[$n]=$(os subnet create --network "${net_id[$n]}" \
			--subnet-range "${ext_cidrs[$i]}" --gateway "${ext_gws[$i]}" \
			--no-dhcp -f value -c id "${n}-subnet")
	done
	for i in "${!net_names[@]}"; do
		local n=${net_names[$i]}
		echo "+ openstack network create $n  (project ${net_projects[$i]})"
		net_id[$n]=$(net_create "${net_projects[$i]}" "$n")
		echo "+ openstack subnet create --network $n --subnet-range ${net_cidrs[$i]} ${n}-subnet"
		subnet_id[$n]=$(os subnet create --network "${net_id[$n]}" \
			--subnet-range "${net_cidrs[$i]}" \
			--gateway "${net_gws[$i]}" --dns-nameserver "${net_gws[$i]}" \
			-f value -c id "${n}-subnet")
	done
	for i in "${!routers[@]}"; do
		local r=${routers[$i]} rid sn
		echo "+ openstack router create $r  (project ${router_projects[$i]})"
		rid=$(os router create --project "${router_projects[$i]}" \
			-f value -c id "$r" 2>/dev/null ||
			os router create -f value -c id "$r")
		for sn in ${router_nets[$i]}; do
			echo "+ openstack router add subnet $r ${sn}-subnet"
			os router add subnet "$rid" "${subnet_id[$sn]}"
		done
		echo "+ openstack router set --external-gateway ${ext_nets[0]} $r"
		os router set --external-gateway "${net_id[${ext_nets[0]}]}" "$rid"
	done
	for i in "${!guests[@]}"; do
		local g=${guests[$i]} n=${guest_nets[$i]} p
		p=${net_project[$n]}
		echo "+ openstack port create --network $n --fixed-ip ip-address=${guest_ips[$i]} --binding-profile interface=sdemo-$g port-$g"
		port_id[$g]=$(os port create --project "$p" --network "${net_id[$n]}" \
			--fixed-ip "subnet=${subnet_id[$n]},ip-address=${guest_ips[$i]}" \
			--binding-profile "interface=sdemo-$g" \
			-f value -c id "port-$g" 2>/dev/null ||
			os port create --network "${net_id[$n]}" \
			--fixed-ip "subnet=${subnet_id[$n]},ip-address=${guest_ips[$i]}" \
			--binding-profile "interface=sdemo-$g" \
			-f value -c id "port-$g")
	done
	for i in "${!exthosts[@]}"; do
		local g=${exthosts[$i]} n=${exthost_nets[$i]}
		echo "+ openstack port create --network $n --disable-port-security --fixed-ip ip-address=${exthost_ips[$i]} --binding-profile interface=sdemo-$g port-$g"
		port_id[$g]=$(os port create --network "${net_id[$n]}" \
			--disable-port-security \
			--fixed-ip "subnet=${subnet_id[$n]},ip-address=${exthost_ips[$i]}" \
			--binding-profile "interface=sdemo-$g" -f value -c id "port-$g")
	done
	for g in "${guests[@]}" "${exthosts[@]}"; do
		local mac
		mac=$(os port show "${port_id[$g]}" -f value -c mac_address)
		# The guest's NIC carries its port's MAC (port security).
		ip -n "sdemo-$g" link set eth0 address "$mac"
		ip -n "sdemo-$g" link set eth0 up
	done
	for i in "${!exthosts[@]}"; do
		local g=${exthosts[$i]} pfx=${ext_cidrs[0]#*/}
		ip -n "sdemo-$g" addr add "${exthost_ips[$i]}/$pfx" dev eth0
	done
	local spec
	for spec in "${sgs[@]}"; do
		local p g name rule sgid
		read -r p name g rule <<<"$spec"
		echo "+ openstack security group create $name  (project $p)"
		sgid=$(os security group create --project "$p" -f value -c id \
			"$name" 2>/dev/null || os security group create -f value -c id "$name")
		for rule in $rule; do
			case "$rule" in
			tcp:*) echo "+ openstack security group rule create --ingress --protocol tcp --dst-port ${rule#tcp:} $name"
			       os security group rule create --ingress --protocol tcp \
				       --dst-port "${rule#tcp:}" "$sgid" >/dev/null ;;
			icmp) echo "+ openstack security group rule create --ingress --protocol icmp $name"
			      os security group rule create --ingress --protocol icmp \
				      "$sgid" >/dev/null ;;
			*) die "$TOPOLOGY: unknown rule '$rule'" ;;
			esac
		done
		echo "+ openstack port set --security-group $name port-$g"
		os port set --security-group "$sgid" "${port_id[$g]}"
	done
	declare -A fip_of
	for g in "${fips[@]}"; do
		echo "+ openstack floating ip create --port port-$g ${ext_nets[0]}"
		fip_of[$g]=$(os floating ip create --port "${port_id[$g]}" \
			-f value -c floating_ip_address "${net_id[${ext_nets[0]}]}")
		echo "   $g: floating IP ${fip_of[$g]}"
	done

	# sluiced binds a port to its veth and reports it ACTIVE once the
	# datapath port is up.
	local st=
	for _ in $(seq 30); do
		st=$(os port show port-${guests[0]} -f value -c status 2>/dev/null || true)
		[ "$st" = ACTIVE ] && break
		sleep 0.2
	done
	[ "$st" = ACTIVE ] || echo "demo: warning: port-${guests[0]} is $st," \
		"not ACTIVE: sluiced has not bound it to the datapath"

	say "5. guests ask for addresses by DHCP (busybox udhcpc)"
	for g in "${guests[@]}"; do
		local addr=
		for _ in 1 2 3; do
			ip netns exec "sdemo-$g" udhcpc -i eth0 -n -q -t 5 -T 1 \
				-s "$STATE/udhcpc.sh" >>"$STATE/udhcpc.log" 2>&1 && break
		done
		addr=$(ip -n "sdemo-$g" -4 -o addr show dev eth0 | awk '{print $4}')
		printf '   %-4s eth0 %-14s via %s\n' "$g" "${addr:-(no lease)}" \
			"$(ip -n "sdemo-$g" route show default | awk '{print $3}')"
	done

	say "6. who reaches whom: a project's guests reach each other, routed across its networks; never the other project's"
	local fails=0 i j
	for i in "${!guests[@]}"; do
		for j in "${!guests[@]}"; do
			local gi=${guests[$i]} gj=${guests[$j]} ipj=${guest_ips[$j]}
			local want=no got=no mark=ok
			[ "$i" = "$j" ] && continue
			# A twin address in the other project cannot be pinged
			# from its own holder; nothing to show there.
			[ "${guest_ips[$i]}" = "$ipj" ] && continue
			# Nor where the address is also a guest's of the source's
			# own project (projects overlap): that guest answers.
			local k twin=no
			for k in "${!guests[@]}"; do
				[ "$k" != "$j" ] && [ "${guest_ips[$k]}" = "$ipj" ] &&
					[ "$(guest_project "${guests[$k]}")" = "$(guest_project "$gi")" ] &&
					twin=yes
			done
			[ "$twin" = yes ] && continue
			[ "$(guest_project "$gi")" = "$(guest_project "$gj")" ] && want=yes
			ip netns exec "sdemo-$gi" ping -q -c 1 -W 1 "$ipj" \
				>/dev/null 2>&1 && got=yes
			[ "$want" = "$got" ] || { mark=UNEXPECTED; fails=$((fails + 1)); }
			printf '   %-3s -> %-3s %-10s reached: %-3s expected: %-3s %s\n' \
				"$gi" "$gj" "$ipj" "$got" "$want" "$mark"
		done
	done

	say "7. the outside: SNAT out, the floating IP in, the security group on it"
	local ext=${exthosts[0]} extip=${exthost_ips[0]}
	serve "sdemo-$ext" 8000
	for g in "${fips[@]}"; do
		serve "sdemo-$g" 80
		serve "sdemo-$g" 8080
	done
	sleep 1
	check() {	# what want cmd...
		local what=$1 want=$2 got=no mark=ok
		shift 2
		"$@" >/dev/null 2>&1 && got=yes
		[ "$want" = "$got" ] || { mark=UNEXPECTED; fails=$((fails + 1)); }
		printf '   %-52s %-3s expected: %-3s %s\n' "$what" "$got" "$want" "$mark"
	}
	for g in "${guests[@]}"; do
		check "$g -> $ext $extip:8000 (http, SNAT)" yes \
			ip netns exec "sdemo-$g" curl -sf -m 3 "http://$extip:8000/"
	done
	# Datagrams over the MTU cross as IPv4 fragments, switched and
	# routed (AF_PACKET ports: docs/runtime.md).
	check "${guests[0]} -> ${guests[1]} ping of 3000 bytes (fragments)" yes \
		ip netns exec "sdemo-${guests[0]}" ping -q -c 2 -W 2 -M dont \
		-s 3000 "$(guest_ip "${guests[1]}")"
	printf '   %s saw these sources: %s\n' "$ext" \
		"$(awk '/^[0-9]/ {print $1}' "$STATE/http-sdemo-$ext-8000.log" | sort -u | tr '\n' ' ')"
	for g in "${fips[@]}"; do
		local f=${fip_of[$g]}
		check "$ext -> $f (floating IP of $g) ping" yes \
			ip netns exec "sdemo-$ext" ping -q -c 1 -W 1 "$f"
		check "$ext -> $f ping of 3000 bytes (fragments, NAT)" yes \
			ip netns exec "sdemo-$ext" ping -q -c 2 -W 2 -M dont \
			-s 3000 "$f"
		check "$ext -> $f:80 (http, allowed by group web)" yes \
			ip netns exec "sdemo-$ext" curl -sf -m 3 "http://$f/"
		check "$ext -> $f:8080 (not in group web)" no \
			ip netns exec "sdemo-$ext" curl -sf -m 3 "http://$f:8080/"
		check "$ext -> $(guest_ip "$g") (fixed IP, not routed from outside)" no \
			ip netns exec "sdemo-$ext" ping -q -c 1 -W 1 "$(guest_ip "$g")"
	done
	local spec_lb
	for spec_lb in "${lbs[@]}"; do
		demo_lb "$spec_lb"
	done
	[ "$fails" -eq 0 ] || echo "demo: $fails unexpected results (logs in $STATE)"

	say "Sluice is running."
	cat <<EOM
   API:       $API   (openstack --os-auth-type none --os-endpoint $API ...)
   datapath:  $DP_SOCK    logs: $STATE/*.log

   Try:
     export OS_AUTH_TYPE=none OS_ENDPOINT=$API
     openstack network list
     openstack port list --long
     ip netns exec sdemo-a1 ping -c 3 10.0.0.12      # same project: works
     ip netns exec sdemo-a1 ping -c 3 10.0.1.13      # routed to demo-p1-web
     ip netns exec sdemo-a1 ping -c 3 10.0.0.22      # other project: no
     ip netns exec sdemo-ext curl http://FIP/        # a3 through its floating IP
     openstack router list; openstack floating ip list
     openstack security group rule list web
     openstack loadbalancer status show web-lb       # the status tree
     ip netns exec sdemo-ext curl http://LB-FIP/     # a1 or a2, in turn
     $SLUICECTL -s $DP_SOCK dp lb-stats     # members, connections
     $SLUICECTL -s $DP_SOCK dp dump-flows   # the compiled tables
     $SLUICECTL -s $DP_SOCK dp ports        # guests as datapath ports
     bash configs/demo/demo.sh status
     bash configs/demo/demo.sh stop                  # or ./setup.sh stop
EOM
}

status() {
	for d in sluiced sluice-dp; do
		if is_running "$STATE/$d.pid"; then
			echo "$d: running, pid $(cat "$STATE/$d.pid")"
		else
			echo "$d: not running"
		fi
	done
	if [ -f "$STATE/created" ]; then
		awk '$1 == "netns" {print $2}' "$STATE/created" | while read -r ns; do
			printf '%s: %s\n' "$ns" "$(ip -n "$ns" -4 -o addr show dev eth0 2>/dev/null |
				awk '{print $4}')"
		done
	fi
	is_running "$STATE/sluiced.pid" && echo "API: $API"
	return 0
}

stop() {
	local d pid
	for d in sluiced sluice-dp; do
		[ -f "$STATE/$d.pid" ] || continue
		pid=$(cat "$STATE/$d.pid")
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid"
			for _ in $(seq 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
			echo "stopped $d ($pid)"
		fi
		rm -f "$STATE/$d.pid"
	done
	if [ -f "$STATE/servers" ]; then
		while read -r pid; do
			kill "$pid" 2>/dev/null || true
		done <"$STATE/servers"
		rm -f "$STATE/servers"
	fi
	if [ -f "$STATE/created" ]; then
		tac "$STATE/created" | while read -r kind name; do
			case "$kind" in
			netns) ip netns del "$name" 2>/dev/null || true ;;
			link) ip link del "$name" 2>/dev/null || true ;;
			esac
		done
		rm -f "$STATE/created"
		echo "removed the demo namespaces"
	fi
	rm -f "$DP_SOCK" "$STATE/udhcpc.sh" "$STATE/sluice.conf" "$STATE/sluice.db"*
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
