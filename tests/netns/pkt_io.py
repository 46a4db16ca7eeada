#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# pkt_io.py: helpers of dp_packet_io.sh.
#   frame SRCMAC DSTMAC SRCIP DSTIP DPORT PAYLOAD  print an Eth/IPv4/UDP
#                                                  frame in hex
#   listen ADDR PORT N TIMEOUT     print the payloads of N UDP datagrams
#   sub SOCKET N TIMEOUT           subscribe to packet-in on sluice-dp's
#                                  socket (dp_proto.h); print "ready", then
#                                  "port in_port reason len hexframe" for
#                                  N packet-ins
import socket
import struct
import sys

MAGIC, VERSION = 0x534C4350, 1
HDR = struct.Struct("=IHHIIII")
PKT = struct.Struct("=IIII")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(smac, dmac, sip, dip, dport, payload):
    udp = struct.pack("!HHHH", 40000, int(dport), 8 + len(payload), 0)
    udp += payload.encode()
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0x4000,
                     64, 17, 0, socket.inet_aton(sip), socket.inet_aton(dip))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    mac = lambda m: bytes.fromhex(m.replace(":", ""))
    return mac(dmac) + mac(smac) + b"\x08\x00" + ip + udp


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            sys.exit("sluice-dp closed the connection")
        b += chunk
    return b


def main():
    cmd = sys.argv[1]
    if cmd == "frame":
        print(frame(*sys.argv[2:8]).hex())
    elif cmd == "listen":
        addr, port, n, t = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
            float(sys.argv[5])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, port))
        s.settimeout(t)
        print("ready", flush=True)
        for _ in range(n):
            data, _ = s.recvfrom(65535)
            print(data.decode(errors="replace"), flush=True)
    elif cmd == "sub":
        path, n, t = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(t)
        s.connect(path)
        s.sendall(HDR.pack(MAGIC, VERSION, 50, HDR.size, 1, 0, 0))
        got = 0
        while got < n:
            magic, ver, mtype, mlen, xid, flags, _ = HDR.unpack(
                recv_exact(s, HDR.size))
            if magic != MAGIC or mlen < HDR.size:
                sys.exit("bad message from sluice-dp")
            body = recv_exact(s, mlen - HDR.size)
            if mtype == 2:
                print("ready", flush=True)
            elif mtype == 51:
                port, in_port, reason, flen = PKT.unpack_from(body)
                fr = body[PKT.size:PKT.size + flen]
                print(port, in_port, reason, flen, fr.hex(), flush=True)
                got += 1
            elif mtype == 3:
                sys.exit("sluice-dp refused the subscription")
    else:
        sys.exit("usage: pkt_io.py frame|listen|sub ...")


main()
