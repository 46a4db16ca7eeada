#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# garbage.py IFACE COUNT: send COUNT frames of each malformed kind out of
# IFACE through a raw packet socket, then print "kind expected_reason" per
# kind. Used by dp_garbage.sh (run inside a guest namespace).
import socket
import struct
import sys
import time

iface, count = sys.argv[1], int(sys.argv[2])
dst = b"\xff\xff\xff\xff\xff\xff"
src = b"\x02\x00\x00\x00\x00\x99"


def eth(etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def ipv4(proto, l4, ihl=5, tot=None):
    hdr_len = ihl * 4
    tot = tot if tot is not None else 20 + len(l4)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, 1, 0, 64, proto,
                      0, socket.inet_aton("10.201.0.1"),
                      socket.inet_aton("10.201.0.2"))
    if hdr_len > 20:
        hdr += b"\x01" * (hdr_len - 20)
    return hdr[:max(hdr_len, 20)] + l4


kinds = [
    # (name, frame, drop reason it must be counted under)
    # (A frame shorter than an Ethernet header cannot leave a veth: the
    # kernel refuses it, so trunc_eth is covered by the unit tests only.)
    ("vlan_cut", eth(0x8100, b"\x00"), "trunc_vlan"),
    ("arp_cut", eth(0x0806, b"\x00\x01\x08\x00\x06\x04"), "trunc_arp"),
    ("ipv4_cut", eth(0x0800, b"\x45\x00\x00"), "bad_ipv4"),
    ("ipv4_ihl3", eth(0x0800, ipv4(17, b"\x00" * 8)[:0] +
                      struct.pack("!BBH", 0x43, 0, 28) + b"\x00" * 24),
     "bad_ipv4"),
    ("ipv4_totlen", eth(0x0800, ipv4(17, b"\x00" * 8, tot=1400)),
     "bad_ipv4"),
    ("ipv4_ver6", eth(0x0800, b"\x65" + ipv4(17, b"\x00" * 8)[1:]),
     "bad_ipv4"),
    ("udp_cut", eth(0x0800, ipv4(17, b"\x00\x35\x00")), "trunc_l4"),
    ("tcp_doff2", eth(0x0800, ipv4(6, struct.pack("!HHIIBBHHH", 1, 2, 0, 0,
                                                   0x20, 0x02, 0, 0, 0))),
     "bad_tcp"),
    ("ipv6_cut", eth(0x86dd, b"\x60\x00\x00\x00\x00\x08\x11\x40" + b"\x00" * 8),
     "bad_ipv6"),
    ("ipv6_plen", eth(0x86dd, b"\x60\x00\x00\x00\x05\x00\x11\x40" +
                      b"\x00" * 32 + b"\x00" * 8), "bad_ipv6"),
]

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
for name, frame, reason in kinds:
    for i in range(count):
        s.send(frame)
        # Paced: a veth in XDP mode drops what overflows its NAPI ring,
        # and the test counts every frame.
        if i % 8 == 7:
            time.sleep(0.002)
    print(name, reason)
