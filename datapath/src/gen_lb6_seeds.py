# SPDX-License-Identifier: BSD-2-Clause
# Seeds of pipeline_fuzz for its IPv6 pool (port 4 -> pool 2, replies on
# port 5): a TCP SYN from [2001:db8:c::1]:40000 to [2001:db8::10]:80, and
# an ICMPv6 port unreachable from member 2001:db8:2::a about that SYN as
# translated (source 2001:db8:1::1 port 40000, destination the member's
# 8080). Writes fuzz-corpus/parse/lb6_*.bin (committed; run again after a
# change here).
import os, struct

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def a6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed

def ip6(src, dst, nh, payload):
    return struct.pack('!IHBB', 0x60000000, len(payload), nh, 64) + src + dst

def tcp6(src, dst, sport, dport, flags):
    t = struct.pack('!HHIIBBHHH', sport, dport, 1000, 0, 5 << 4, flags, 8192, 0, 0)
    ph = src + dst + struct.pack('!IxxxB', len(t), 6)
    t = t[:16] + struct.pack('!H', csum(ph + t)) + t[18:]
    return ip6(src, dst, 6, t) + t

eth = bytes.fromhex('020000000002020000000001') + b'\x86\xdd'
client, vip = a6('2001:db8:c::1'), a6('2001:db8::10')
lb, member = a6('2001:db8:1::1'), a6('2001:db8:2::a')
syn = eth + tcp6(client, vip, 40000, 80, 0x02)
inner = tcp6(lb, member, 40000, 8080, 0x02)
icmp = struct.pack('!BBHI', 1, 4, 0, 0) + inner
ph = member + lb + struct.pack('!IxxxB', len(icmp), 58)
icmp = icmp[:2] + struct.pack('!H', csum(ph + icmp)) + icmp[4:]
err = eth + ip6(member, lb, 58, icmp) + icmp
d = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fuzz-corpus',
                 'parse')
open(os.path.join(d, 'lb6_syn.bin'), 'wb').write(syn)
open(os.path.join(d, 'lb6_icmp6_err.bin'), 'wb').write(err)
print('2 seeds')
