#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
#
# lb_client.py: the client side of tests/lbaas/netns_lb_nginx.sh.
#
#   lb_client.py load HOST PORT N THREADS
#       N HTTP/1.0 GETs of /, one per TCP connection, from THREADS
#       threads; the body names the member that answered. Prints one JSON
#       object: {"counts": {name: n}, "errors": e, "seconds": s}.
#   lb_client.py hold HOST PORT WANT STATUS
#       GET /big until a connection lands on member WANT (first body
#       line), then read it to the end (the server sends it slowly);
#       writes "landed" then "complete BYTES" (or "error ...") to STATUS.
import json
import socket
import sys
import threading
import time

REQ = b"GET %s HTTP/1.0\r\nHost: vip\r\n\r\n"


def get(host, port, path, timeout=5.0):
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(REQ % path.encode())
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    finally:
        s.close()
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError("status: %r" % head[:40])
    return body


def load(host, port, n, threads):
    counts = {}
    errors = [0]
    samples = []
    lock = threading.Lock()
    per = [n // threads + (1 if i < n % threads else 0)
           for i in range(threads)]

    def worker(k):
        local = {}
        err = 0
        for _ in range(k):
            try:
                name = get(host, port, "/").strip().decode()
                local[name] = local.get(name, 0) + 1
            except (OSError, RuntimeError, UnicodeDecodeError) as e:
                err += 1
                if len(samples) < 5:
                    samples.append("%s: %s" % (type(e).__name__, e))
        with lock:
            for name, c in local.items():
                counts[name] = counts.get(name, 0) + c
            errors[0] += err

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(k,)) for k in per]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(json.dumps({"counts": counts, "errors": errors[0],
                      "seconds": round(time.monotonic() - t0, 2),
                      "error_samples": samples}))


def hold(host, port, want, status):
    out = open(status, "w", buffering=1)
    for _ in range(200):
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(REQ % b"/big")
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep and b"\n" in body:
                break
        head, _, body = data.partition(b"\r\n\r\n")
        if body.split(b"\n", 1)[0].decode(errors="replace") != want:
            s.close()
            continue
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        out.write("landed\n")
        got = len(body)
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += len(b)
        except OSError as e:
            out.write("error %s after %d\n" % (e, got))
            return 1
        s.close()
        if got != length:
            out.write("error short %d of %d\n" % (got, length))
            return 1
        out.write("complete %d\n" % got)
        return 0
    out.write("error never landed on %s\n" % want)
    return 1


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "load":
        load(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
             int(sys.argv[5]))
        return 0
    if len(sys.argv) == 6 and sys.argv[1] == "hold":
        return hold(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    print(__doc__ or "usage: see the header", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
