# SPDX-License-Identifier: BSD-2-Clause
# Generates the seed corpus of dp_ctl_fuzz under fuzz-corpus/ (the files
# are committed; run again after a wire format change).
import struct, os
M = 0x534c4350
def msg(t, body=b'', xid=1, ver=1):
    return struct.pack('<IHHIIII', M, ver, t, 24 + len(body), xid, 0, 0) + body
def key(**kw):
    k = bytearray(128)
    if 'in_port' in kw: struct.pack_into('<I', k, 0, kw['in_port'])
    if 'eth_type' in kw: struct.pack_into('>H', k, 22, kw['eth_type'])
    return bytes(k)
def action(t, u=b''):
    return struct.pack('<HH', t, 0) + u.ljust(36, b'\0')
def rule(cookie=1, prio=1, table=0, match=None, mask=None, acts=()):
    body = struct.pack('<QIBBH', cookie, prio, table, len(acts), 0)
    body += (match or key()) + (mask or key())
    a = b''.join(acts)
    return body + a.ljust(16 * 40, b'\0')
def batch(rules):
    return struct.pack('<II', len(rules), 0) + b''.join(rules)
hello = struct.pack('<IIQ', 1, 0, 0) + b'fuzz'.ljust(32, b'\0')
out2 = action(1, struct.pack('<I', 2))
r1 = rule(cookie=0x10, prio=10, match=key(in_port=1), mask=key(in_port=0xffffffff), acts=[out2])
r2 = rule(cookie=0x20, prio=5, table=0, acts=[action(9, struct.pack('<I', 1))])
r3 = rule(cookie=0x30, prio=5, table=1, match=key(eth_type=0x0800), mask=key(eth_type=0xffff), acts=[action(6), out2])
dump_all = struct.pack('<iIQQ', -1, 0, 0, 0)
del_cookie = struct.pack('<iIQQ', -1, 0, 0x10, 0xff) + rule()
del_strict = struct.pack('<iIQQ', 0, 1, 0, 0) + r1
eth = bytes.fromhex('020000000002020000000001') + b'\x08\x00'
ip = bytes.fromhex('45000024000000004011') + b'\0\0' + bytes([10,0,0,1,10,0,0,2])
udp = struct.pack('>HHHH', 1234, 53, 16, 0) + b'sluice!\0'
frame = eth + ip + udp
frame = frame.ljust(60, b'\0')
pkt = struct.pack('<IIII', 1, 1, 0, len(frame)) + frame
spec = b'p0'.ljust(32, b'\0') + struct.pack('<II', 1, 3) + b'veth0'.ljust(256, b'\0')
ref = struct.pack('<II', 3, 0) + b''.ljust(32, b'\0')
# An IPv6 pool (flags 1): the 60-byte head, then two 24-byte members.
v6 = lambda last: bytes.fromhex('20010db8000200000000000000000000')[:15] + bytes([last])
lb6_pool = struct.pack('<IIBBxxIHHIIIII16sI', 4, 2, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0,
                       bytes.fromhex('20010db8000100000000000000000001'), 0)
lb6_pool += b''.join(struct.pack('<16sHHB3x', v6(10 + i), 0x5000, 1, 1) for i in range(2))
seeds = {
 'hello': msg(1, hello),
 'add_dump': msg(1, hello) + msg(21, batch([r1, r2, r3]), 2) + msg(25, dump_all, 3),
 'txn_commit': msg(20) + msg(21, batch([r1]), 2) + msg(22, del_cookie, 3) + msg(23, b'', 4) + msg(25, dump_all, 5),
 'txn_open': msg(20) + msg(21, batch([r1, r3]), 2) + msg(22, del_strict, 3),
 'txn_abort': msg(20) + msg(21, batch([r2]), 2) + msg(24, b'', 3) + msg(23, b'', 4),
 'trace': msg(21, batch([r1, r2, r3])) + msg(40, pkt, 2),
 'ports_packets': msg(10, spec) + msg(12, b'', 2) + msg(11, ref, 3) + msg(52, pkt, 4) + msg(50, b'', 5) + msg(30, b'', 6) + msg(32, b'', 7),
 'garbage': b'GET / HTTP/1.0\r\nHost: sluice\r\n\r\n',
 'bad_then_good': msg(1, b'abc') + msg(77, b'') + msg(32, b'', 3, ver=2) + msg(32, b'', 4),
 'oversized': struct.pack('<IHHIIII', M, 1, 21, 5 << 20, 1, 0, 0),
 'lb6_pool_set_stats_del': msg(70, lb6_pool) + msg(72, struct.pack('<II', 4, 0), 2) + msg(72, struct.pack('<II', 0, 0), 3) + msg(71, struct.pack('<II', 4, 0), 4),
}
d = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fuzz-corpus')
for n, b in seeds.items():
    open(os.path.join(d, n), 'wb').write(b)
print(len(seeds), 'seeds')
