#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# gen_ct_corpus.py: writes the seed frames of pipeline_ct_fuzz into
# fuzz-corpus/ct/: TCP, UDP and ICMP echo through the NAT rules of the
# fuzzer (pipeline_ct_fuzz.c), and ICMP errors quoting them (whole, cut,
# nested, IPv6). Run once; the files are committed.
import os
import sys

from scapy.all import (ICMP, IP, TCP, UDP, Ether, ICMPv6DestUnreach,
                       ICMPv6EchoRequest, IPv6, raw)

out = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])),
                   'fuzz-corpus', 'ct')
os.makedirs(out, exist_ok=True)
E = Ether(dst='02:00:00:00:00:02', src='02:00:00:00:00:01')
A, B, NAT, RTR = '10.0.0.1', '198.51.100.2', '203.0.113.5', '198.51.100.254'
seeds = {
    'tcp_syn': E / IP(src=A, dst=B) / TCP(sport=1000, dport=80, flags='S'),
    'tcp_synack': E / IP(src=B, dst=NAT) / TCP(sport=80, dport=1000,
                                                flags='SA'),
    'udp': E / IP(src=A, dst=B) / UDP(sport=1000, dport=53) / (b'q' * 8),
    'udp_reply': E / IP(src=B, dst=NAT) / UDP(sport=53, dport=1000),
    'echo': E / IP(src=A, dst=B) / ICMP(type=8, id=7),
    'echo_reply': E / IP(src=B, dst=NAT) / ICMP(type=0, id=7),
    'err_tcp': E / IP(src=RTR, dst=NAT) / ICMP(type=11) /
    raw(IP(src=NAT, dst=B) / TCP(sport=1000, dport=80, flags='S'))[:28],
    'err_tcp_full': E / IP(src=RTR, dst=NAT) / ICMP(type=3, code=4) /
    raw(IP(src=NAT, dst=B) / TCP(sport=1000, dport=80, flags='S')),
    'err_udp': E / IP(src=B, dst=NAT) / ICMP(type=3, code=3) /
    raw(IP(src=NAT, dst=B) / UDP(sport=1000, dport=53)),
    'err_echo': E / IP(src=RTR, dst=NAT) / ICMP(type=11) /
    raw(IP(src=NAT, dst=B) / ICMP(type=8, id=7)),
    'err_cut': E / IP(src=RTR, dst=NAT) / ICMP(type=11) /
    raw(IP(src=NAT, dst=B) / TCP(sport=1000, dport=80))[:23],
    'err_nested': E / IP(src=RTR, dst=NAT) / ICMP(type=11) /
    raw(IP(src=NAT, dst=B) / ICMP(type=3) / (b'x' * 28)),
    'err_v6': E / IPv6(src='fd00::9', dst='fd00::1') /
    ICMPv6DestUnreach() /
    raw(IPv6(src='fd00::1', dst='fd00::2') / ICMPv6EchoRequest(id=3)),
    'dnat_syn': E / IP(src=B, dst=NAT) / TCP(sport=5555, dport=80,
                                              flags='S'),
}
for name, pkt in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(raw(pkt))
