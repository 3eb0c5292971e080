#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Misbehaving clients for eacctd's /metrics endpoint (eacctd_metrics_test.sh).

drip PORT GIVEUP
    Sends a request that never ends, one byte every 1.9 s (under the old
    server's 2 s per recv), until the server closes the connection or
    GIVEUP seconds pass. Prints "cut after S s (N bytes)" or "still open
    after S s (N bytes)"; exits 0 when cut.

idle PORT N SOURCES READY GIVEUP
    Opens N connections to 127.0.0.1:PORT, spread over the comma-separated
    SOURCES addresses, and sends nothing. Once all are open it writes their
    count to the file READY, then waits for the server to close them or for
    GIVEUP seconds. Prints "opened N, closed by the server C, the first
    after S s, the last after S s"; exits 0 when the server closed them all.
"""
import os
import select
import socket
import sys
import time

DRIP = 1.9
REQUEST = b"GET /metrics HTTP/1.1\r\nHost: eacct\r\nX-Drip: "


def closed_by_peer(s):
    """True when the peer has closed: EOF or a reset (data is read and dropped)."""
    try:
        return s.recv(65536) == b""
    except (ConnectionError, OSError):
        return True


def drip(port, giveup):
    s = socket.create_connection(("127.0.0.1", port))
    t0 = time.monotonic()
    sent = 0
    while time.monotonic() - t0 < giveup:
        byte = REQUEST[sent:sent + 1] or b"a"
        try:
            s.send(byte)
            sent += 1
        except OSError:
            break
        r, _, _ = select.select([s], [], [], DRIP)
        if r and closed_by_peer(s):
            break
    else:
        print("still open after %.1f s (%d bytes)" % (time.monotonic() - t0, sent))
        return 1
    print("cut after %.1f s (%d bytes)" % (time.monotonic() - t0, sent))
    return 0


def idle(port, n, sources, ready, giveup):
    # Connect all at once, not one by one: a server that stops accepting
    # fills its backlog, and a blocking connect would then wait out SYN
    # retries instead of reporting it.
    pending = {}
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((sources[i % len(sources)], 0))
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        pending[s] = None
    socks, opened = [], []
    t0 = time.monotonic()
    while pending and time.monotonic() - t0 < 3:
        _, w, _ = select.select([], list(pending), [], 0.2)
        for s in w:
            del pending[s]
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                socks.append(s)
                opened.append(time.monotonic())
            else:
                s.close()
    for s in pending:
        s.close()
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % len(socks))
    os.rename(ready + ".tmp", ready)
    t0 = time.monotonic()
    live = dict(zip(socks, opened))
    closed = []
    while live and time.monotonic() - t0 < giveup:
        r, _, _ = select.select(list(live), [], [], 0.2)
        for s in r:
            if closed_by_peer(s):
                closed.append(time.monotonic() - live.pop(s))
                s.close()
    if closed:
        print("opened %d, closed by the server %d, the first after %.1f s, the last after %.1f s"
              % (len(socks), len(closed), min(closed), max(closed)))
    else:
        print("opened %d, closed by the server 0" % len(socks))
    return 0 if not live else 1


def main(argv):
    if len(argv) == 4 and argv[1] == "drip":
        return drip(int(argv[2]), float(argv[3]))
    if len(argv) == 7 and argv[1] == "idle":
        return idle(int(argv[2]), int(argv[3]), argv[4].split(","), argv[5], float(argv[6]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
