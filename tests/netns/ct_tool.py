#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# ct_tool.py: the endpoints of dp_conntrack.sh, run inside namespaces.
#   serve ADDR PORT LOG    accept TCP connections, echo lines back, append
#                          each peer's address to LOG (one a line)
#   connect ADDR PORT [T]  connect, send a line, expect it back: exit 0,
#                          else 1 (T: timeout in seconds, default 3)
#   hold ADDR PORT READY GO N
#                          connect and echo one line (then touch READY);
#                          wait for the file GO, then echo N more lines on
#                          the same connection: exit 0 when all came back
#   flood DST PORT N       N UDP datagrams, each from its own source port
import os
import socket
import sys
import threading
import time


def echo_one(s, f, msg):
    s.sendall(msg)
    return f.readline() == msg


def serve(addr, port, log):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, int(port)))
    ls.listen(64)

    def handle(c):
        with c, c.makefile('rb') as f:
            for line in f:
                c.sendall(line)

    while True:
        c, peer = ls.accept()
        with open(log, 'a') as lf:
            lf.write(peer[0] + '\n')
        threading.Thread(target=handle, args=(c,), daemon=True).start()


def connect(addr, port, timeout='3'):
    try:
        s = socket.create_connection((addr, int(port)),
                                     timeout=float(timeout))
        with s, s.makefile('rb') as f:
            return 0 if echo_one(s, f, b'hello\n') else 1
    except OSError:
        return 1


def hold(addr, port, ready, go, n):
    s = socket.create_connection((addr, int(port)), timeout=10)
    f = s.makefile('rb')
    if not echo_one(s, f, b'first\n'):
        return 1
    open(ready, 'w').close()
    for _ in range(600):
        if os.path.exists(go):
            break
        time.sleep(0.1)
    for i in range(int(n)):
        if not echo_one(s, f, b'line %d\n' % i):
            return 1
        time.sleep(0.05)
    return 0


def flood(dst, port, n):
    for i in range(int(n)):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('', 20000 + i))
        s.sendto(b'x' * 16, (dst, int(port)))
        s.close()
    return 0


if __name__ == '__main__':
    cmd = {'serve': serve, 'connect': connect, 'hold': hold,
           'flood': flood}[sys.argv[1]]
    sys.exit(cmd(*sys.argv[2:]))
