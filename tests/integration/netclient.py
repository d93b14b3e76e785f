#!/usr/bin/env python3
"""netclient.py OP... -- network calls for test-net.sh, one per argument, run in the sandbox.
Each prints "LABEL ok [DETAIL]" or "LABEL err ERRNO-NAME" on its own line:
  get:LABEL:URL               urllib.request GET, prints the body's first line
  tcp:LABEL:HOST:PORT         connect a TCP socket (IPv6 when HOST contains ':')
  tcpblock:LABEL:HOST:PORT    the same on a blocking socket (the broker connects in a thread)
  unix:LABEL:PATH             connect a unix stream socket (@NAME: abstract)
  ubind:LABEL:PATH            bind a unix stream socket to PATH (relative: from the cwd)
  bind:LABEL:HOST:PORT        bind a TCP socket, then listen
  listen:LABEL                listen on a TCP socket that was never bound
  udp:LABEL:HOST:PORT         sendto a datagram to the address
  udpmsg:LABEL:HOST:PORT      sendmsg a datagram to the address
"""
import errno
import socket
import sys
import urllib.request


def addr(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    return fam, (host, int(port))


def run(op):
    kind, label, rest = (op + "::").split(":", 2)
    rest = rest[:-2] if rest.endswith("::") else rest
    try:
        if kind == "get":
            with urllib.request.urlopen(rest, timeout=10) as r:
                return label, "ok " + r.read().decode().splitlines()[0]
        if kind == "unix":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect("\0" + rest[1:] if rest.startswith("@") else rest)
            return label, "ok " + s.recv(64).decode().strip()
        if kind == "ubind":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(rest)
            return label, "ok"
        if kind == "listen":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.listen(1)
            return label, "ok %s:%d" % s.getsockname()[:2]
        host, port = rest.rsplit(":", 1)
        fam, a = addr(host.strip("[]"), port)
        if kind in ("tcp", "tcpblock"):
            s = socket.socket(fam, socket.SOCK_STREAM)
            if kind == "tcp":
                s.settimeout(10)
            s.connect(a)
            return label, "ok"
        if kind == "bind":
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.bind(a)
            s.listen(1)
            return label, "ok %s:%d" % s.getsockname()[:2]
        if kind in ("udp", "udpmsg"):
            s = socket.socket(fam, socket.SOCK_DGRAM)
            if kind == "udp":
                n = s.sendto(b"hello " + label.encode(), a)
            else:
                n = s.sendmsg([b"hello ", label.encode()], [], 0, a)
            return label, "ok %d" % n
    except OSError as e:
        r = getattr(e, "reason", None)  # urllib wraps the OSError
        if e.errno is None and isinstance(r, OSError):
            e = r
        if e.errno is None:
            return label, "err " + repr(e)
        return label, "err " + errno.errorcode.get(e.errno, str(e.errno))
    return label, "err unknown-op"


for op in sys.argv[1:]:
    label, res = run(op)
    print(label, res, flush=True)
