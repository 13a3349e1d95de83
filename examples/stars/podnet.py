#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Servers and probes for the Stars demo (demo.sh), run as root.

  podnet.py serve PORT...
      In a pod's network namespace: answer every TCP connection on the
      ports with a greeting; runs until killed.
  podnet.py wait SECONDS ADDR:PORT...
      Until every server answers (from the caller's namespace).
  podnet.py probe STEP_TITLE PREDICTION.json POD...
      POD is LETTER=NETNS=NS/NAME=ADDR:PORT. Every pod connects to every
      other pod's port at the same time, each socket opened in its pod's
      network namespace (setns); the grid of what worked is printed as the
      management UI shows it, each cell checked against the prediction
      (`netpol matrix -o json`). Exit status 0 when they all agree, 1 when
      any differs.
"""
import ctypes
import errno
import json
import os
import select
import socket
import sys
import time

CLONE_NEWNET = 0x40000000
GREETING = b"stars\n"
TIMEOUT = 0.5           # seconds: the first try of every connection
RETRY = 2.0             # a cell that disagrees gets a second, slower try


def serve(ports):
    socks = []
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(64)
        socks.append(s)
    while True:
        ready, _, _ = select.select(socks, [], [])
        for s in ready:
            try:
                c, _ = s.accept()
                c.sendall(GREETING)
                c.close()
            except OSError:
                pass


def connect_all(probes, timeout):
    """probes: [(netns or None, addr, port)] -> [bool], all at once."""
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    socks = []
    try:
        for netns, addr, port in probes:
            if netns:
                fd = os.open("/run/netns/" + netns, os.O_RDONLY)
                r = libc.setns(fd, CLONE_NEWNET)
                os.close(fd)
                if r:
                    raise OSError(ctypes.get_errno(), "setns " + netns)
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex((addr, port))
            if err not in (0, errno.EINPROGRESS):
                s.close()
                s = None
            socks.append(s)
    finally:
        libc.setns(home, CLONE_NEWNET)
        os.close(home)
    result = [False] * len(probes)
    state = {}      # fileno -> (index, socket, connected)
    for i, s in enumerate(socks):
        if s:
            state[s.fileno()] = (i, s, False)
    poll = select.poll()
    for fd in state:
        poll.register(fd, select.POLLOUT)
    deadline = time.monotonic() + timeout
    while state:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        for fd, ev in poll.poll(left * 1000):
            i, s, connected = state[fd]
            done = True
            if not connected:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    state[fd] = (i, s, True)
                    poll.modify(fd, select.POLLIN)
                    done = False
            else:
                try:
                    result[i] = s.recv(64) == GREETING
                except OSError:
                    pass
            if done:
                poll.unregister(fd)
                del state[fd]
    for s in socks:
        if s:
            s.close()
    return result


def wait(seconds, targets):
    deadline = time.monotonic() + seconds
    while True:
        up = connect_all([(None, a, p) for a, p in targets], 0.3)
        if all(up):
            return 0
        if time.monotonic() > deadline:
            down = [f"{a}:{p}" for (a, p), u in zip(targets, up) if not u]
            print("podnet: no server on " + " ".join(down), file=sys.stderr)
            return 1
        time.sleep(0.05)


def addr_port(s):
    a, p = s.rsplit(":", 1)
    return a, int(p)


def probe(title, prediction, pods):
    pods = [p.split("=") for p in pods]          # letter, netns, name, ap
    predicted = {}
    for c in json.load(open(prediction)):
        predicted[(c["from"], c["to"], c["protocol"], c["port"])] = \
            c["allowed"]
    cells = [(f, t) for f in range(len(pods)) for t in range(len(pods))
             if f != t]
    want = []
    for f, t in cells:
        key = (pods[f][2], pods[t][2], "TCP", addr_port(pods[t][3])[1])
        if key not in predicted:
            print(f"podnet: netpol matrix has no cell {key}",
                  file=sys.stderr)
            return 2
        want.append(predicted[key])
    probes = [(pods[f][1],) + addr_port(pods[t][3]) for f, t in cells]
    got = connect_all(probes, TIMEOUT)
    again = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
    if again:
        for i, g in zip(again, connect_all([probes[i] for i in again],
                                           RETRY)):
            got[i] = g
    utf8 = (sys.stdout.encoding or "").lower().replace("-", "") == "utf8"
    color = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None
    yes, no, same = ("✓", "✗", "·") if utf8 else (".", "X", "-")

    def paint(s, code):
        return f"\033[{code}m{s}\033[0m" if color else s

    print(paint(title, "1"))
    letters = [p[0] for p in pods]
    print("    from \\ to  " + "  ".join(letters))
    res = dict(zip(cells, zip(got, want)))
    wrong = []
    for f in range(len(pods)):
        row = []
        for t in range(len(pods)):
            if f == t:
                row.append(same)
                continue
            g, w = res[(f, t)]
            mark = paint(yes, "32") if g else paint(no, "31")
            if g != w:
                mark = paint(yes if g else no, "1;7;33")
                wrong.append((f, t, g))
            row.append(mark)
        print(f"        {letters[f]}      " + "  ".join(row))
    n = len(cells)
    if not wrong:
        print(f"    all {n} connections as `netpol matrix` predicts "
              f"({sum(got)} allowed, {n - sum(got)} denied)")
    for f, t, g in wrong:
        print(f"    MISMATCH {letters[f]} -> {letters[t]} "
              f"({pods[t][3]}): the connection "
              f"{'worked' if g else 'failed'}, `netpol matrix` says "
              f"{'denied' if g else 'allowed'}")
    print()
    return 1 if wrong else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "serve":
        serve([int(p) for p in argv[2:]])
    elif len(argv) >= 3 and argv[1] == "wait":
        return wait(float(argv[2]), [addr_port(a) for a in argv[3:]])
    elif len(argv) >= 5 and argv[1] == "probe":
        return probe(argv[2], argv[3], argv[4:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except KeyboardInterrupt:
        sys.exit(130)
