#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# setup.sh: the one entry point on a fresh Debian 12 machine, run as root.
#
#   ./setup.sh demo    install packages, build, start sluice-dp and sluiced
#                      with the demo topology, and leave them running
#   ./setup.sh test    install packages, build, run the whole test suite;
#                      ends with "N passed, N failed, N skipped"
#   ./setup.sh deps    only install the Debian packages
#   ./setup.sh build   only build (build/)
#   ./setup.sh stop    stop what "demo" started
#
# It needs root (apt-get, namespaces, BPF, hugepages); there is no sudo.
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

die() { echo "setup.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run me as root (apt-get, netns, BPF and hugepages need it)"

# Build and test dependencies, all Debian packages.
PKGS_BUILD="meson ninja-build pkg-config gcc clang llvm libdpdk-dev dpdk
 libbpf-dev libxdp-dev bpftool xdp-tools libnl-3-dev libnl-route-3-dev
 libssl-dev openssl libcmocka-dev libmicrohttpd-dev libjansson-dev
 libsqlite3-dev sqlite3 libevent-dev liburcu-dev libclang-rt-14-dev valgrind
 clang-format
 libcurl4-openssl-dev"
PKGS_TEST="iproute2 iputils-ping iperf3 tcpdump python3-scapy netcat-openbsd ethtool
 busybox udhcpc isc-dhcp-client curl jq python3-openstackclient python3-neutronclient
 python3-octaviaclient nginx-light wrk haproxy strongswan-charon
 strongswan-swanctl charon-systemd libcharon-extra-plugins
 libstrongswan-extra-plugins libstrongswan-standard-plugins
 openvswitch-switch-dpdk dpdk-dev nftables"

deps() {
	local missing=() p
	for p in $PKGS_BUILD $PKGS_TEST; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "setup.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q || die "apt-get update failed"
	apt-get install -y -q "${missing[@]}" ||
		die "apt-get install failed for: ${missing[*]}"
}

build() {
	if [ ! -f build/build.ninja ]; then
		meson setup build >/dev/null || die "meson setup failed"
	fi
	ninja -C build || die "build failed"
}

case "${1:-}" in
deps) deps ;;
build) deps; build ;;
test) deps; exec bash tests/run-all.sh ;;
demo) deps; build; exec bash configs/demo/demo.sh start ;;
stop) exec bash configs/demo/demo.sh stop ;;
*) echo "usage: ./setup.sh demo|test|deps|build|stop" >&2; exit 2 ;;
esac
