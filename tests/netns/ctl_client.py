#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# ctl_client.py SOCKET MODE: a controller that connects to sluice-dp's
# socket (dp_proto.h framing) and then hangs, to be killed by the test:
#   begin    opens a flow transaction (FLOW_BEGIN) and waits
#   partial  sends the first bytes of a FLOW_ADD message and waits
#   sub      subscribes to packet-in and waits
# Prints "ready" once its messages are sent.
import socket
import struct
import sys
import time

MAGIC, VERSION = 0x534C4350, 1
HDR = struct.Struct("=IHHIIII")


def msg(mtype, body=b"", xid=1, length=None):
    n = HDR.size + len(body) if length is None else length
    return HDR.pack(MAGIC, VERSION, mtype, n, xid, 0, 0) + body


path, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
if mode == "begin":
    s.sendall(msg(20))
    reply = s.recv(4096)
    magic, _, rtype = struct.unpack_from("=IHH", reply)
    if magic != MAGIC or rtype != 2:
        sys.exit("FLOW_BEGIN not acknowledged (type %d)" % rtype)
elif mode == "partial":
    s.sendall(msg(21, length=100000)[:HDR.size] + b"\x00" * 40)
elif mode == "sub":
    s.sendall(msg(50))
    s.recv(4096)
else:
    sys.exit("mode begin, partial or sub")
print("ready", flush=True)
while True:
    time.sleep(1)
