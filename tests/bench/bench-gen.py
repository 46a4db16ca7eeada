#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""bench-gen.py: traffic and rule files for tests/bench/dp-bench.sh.

  bench-gen.py pcap  --flows N [--frames M] OUT
      A classic pcap (microsecond, Ethernet) of M (default max(N, 100000))
      60-byte frames (64 on the wire with the FCS): Ethernet/IPv4/UDP,
      02:00:00:00:00:01 -> 02:00:00:00:00:02, 10.0.0.0+i -> 192.168.0.1,
      UDP 1024+(i % 50000) -> 5001, where flow i = frame % N. So there are
      N distinct 5-tuples and flow i is the only one with source 10.0.0.0+i.

  bench-gen.py rules --kind simple|l3|exact [--n N] OUT
      One rule a line in the ovs-ofctl syntax both sluicectl and
      ovs-ofctl read: simple is in_port=1 -> output:2; l3 is
      ip,in_port=1,nw_dst=192.168.0.1 -> output:2; exact is N rules
      ip,in_port=1,nw_src=10.0.0.0+i -> output:2, i < N (matching flow i
      of the pcap above).

No scapy: the frames are built byte by byte with struct, checksums
included, so any python3 runs it.
"""
import argparse
import struct
import sys

SMAC = bytes.fromhex('020000000001')
DMAC = bytes.fromhex('020000000002')
DST = bytes([192, 168, 0, 1])
PAYLOAD = 18  # 14 + 20 + 8 + 18 = 60 bytes


def ip_csum(hdr):
    s = sum(struct.unpack('!%dH' % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def src_addr(i):
    return (10 << 24) | (i & 0xffffff)


def dotted(a):
    return '%d.%d.%d.%d' % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


def frame(i):
    udp_len = 8 + PAYLOAD
    ip = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + udp_len, 0,
                               0, 64, 17, 0,
                               struct.pack('!I', src_addr(i)), DST))
    struct.pack_into('!H', ip, 10, ip_csum(bytes(ip)))
    # UDP checksum 0: "not computed", valid for IPv4.
    udp = struct.pack('!HHHH', 1024 + (i % 50000), 5001, udp_len, 0)
    pkt = DMAC + SMAC + b'\x08\x00' + bytes(ip) + udp + bytes(PAYLOAD)
    assert len(pkt) == 60
    return pkt


def cmd_pcap(a):
    if a.flows < 1 or a.flows > 1 << 24:
        sys.exit('bench-gen: --flows must be in 1..16777216')
    frames = a.frames if a.frames else max(a.flows, 100000)
    cache = {}
    with open(a.out, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for j in range(frames):
            i = j % a.flows
            pkt = cache.get(i) if a.flows <= 4096 else None
            if pkt is None:
                pkt = frame(i)
                if a.flows <= 4096:
                    cache[i] = pkt
            f.write(struct.pack('<IIII', j // 1000000, j % 1000000,
                                len(pkt), len(pkt)))
            f.write(pkt)


def cmd_rules(a):
    with open(a.out, 'w') as f:
        if a.kind == 'simple':
            f.write('table=0,priority=10,in_port=1,actions=output:2\n')
        elif a.kind == 'l3':
            f.write('table=0,priority=10,ip,in_port=1,nw_dst=192.168.0.1,'
                    'actions=output:2\n')
        else:
            line = 'table=0,priority=10,ip,in_port=1,nw_src=%s,actions=output:2\n'
            f.writelines(line % dotted(src_addr(i)) for i in range(a.n))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    pc = sub.add_parser('pcap')
    pc.add_argument('--flows', type=int, required=True)
    pc.add_argument('--frames', type=int, default=0)
    pc.add_argument('out')
    ru = sub.add_parser('rules')
    ru.add_argument('--kind', choices=('simple', 'l3', 'exact'),
                    required=True)
    ru.add_argument('--n', type=int, default=1)
    ru.add_argument('out')
    a = p.parse_args()
    if a.cmd == 'pcap':
        cmd_pcap(a)
    else:
        cmd_rules(a)


if __name__ == '__main__':
    main()
