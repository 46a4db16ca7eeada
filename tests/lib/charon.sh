# SPDX-License-Identifier: BSD-2-Clause
# charon.sh: strongSwan's charon as the IPsec peer of the VPN namespace
# tests and benchmarks (sourced).
#
# charon_conf_write DIR [KEY=VALUE...]: write DIR/strongswan.conf for a
#   charon with kernel-libipsec (ESP in userspace on a TUN device, so it
#   works in a namespace on any kernel), its vici socket at DIR/charon.vici
#   and its log in DIR/charon.log (time stamps, default level 1, flushed
#   per line), the journal off. KEY=VALUE: a setting of the charon section
#   (retransmit_tries=3), or with a "log." prefix of the log (log.ike=2).
# charon_start NS DIR: start charon-systemd in namespace NS on
#   DIR/strongswan.conf, in a session of its own, its output in
#   DIR/charon.stdout; set charon_pid; wait (10 s at most) for its vici
#   socket; return 1 when it does not come.
# charon_need: print "SKIP: ..." and exit 77 unless charon-systemd,
#   swanctl, the kernel-libipsec plugin and /dev/net/tun are there.

charon_conf_write() {
	local d=$1 kv opts= logs=
	shift
	for kv in "$@"; do
		case $kv in
		log.*) kv=${kv#log.}
		       logs+="                  ${kv%%=*} = ${kv#*=}"$'\n' ;;
		*) opts+="  ${kv%%=*} = ${kv#*=}"$'\n' ;;
		esac
	done
	cat >"$d/strongswan.conf" <<CONF
charon {
  load_modular = yes
$opts  plugins {
    include /etc/strongswan.d/charon/*.conf
    kernel-libipsec { load = yes }
    vici { socket = unix://$d/charon.vici }
  }
  filelog { log { path = $d/charon.log
                  time_format = %T
                  default = 1
$logs                  flush_line = yes } }
}
charon-systemd { journal { default = -1 } }
CONF
}

charon_need() {
	local b
	for b in /usr/sbin/charon-systemd /usr/sbin/swanctl; do
		[ -x "$b" ] || {
			echo "SKIP: $b missing (strongswan packages)"
			exit 77
		}
	done
	[ -f /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
		{ echo "SKIP: kernel-libipsec plugin missing"; exit 77; }
	[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
}

charon_start() {
	rm -f "$2/charon.vici"
	setsid ip netns exec "$1" env STRONGSWAN_CONF="$2/strongswan.conf" \
		/usr/sbin/charon-systemd >"$2/charon.stdout" 2>&1 </dev/null &
	charon_pid=$!
	for _ in $(seq 100); do
		[ -S "$2/charon.vici" ] && return 0
		sleep 0.1
	done
	return 1
}
