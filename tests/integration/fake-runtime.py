#!/usr/bin/env python3
"""A runtime that lies to `sysbroker agent` (test-agent.sh). It is not the agent's adversary (the
socket is root's), but what it says must not let a container's code reach what its root does not.

  fake-runtime.py call SOCK PIDKIND JAIL OTHERJAIL AGENTPID PATH
      chroots into JAIL ("-": stays in the host's root), loads a filter that notifies openat (with a listener), sends the
      listener with a state whose pid is: "self" (honest), "host1" (the host's pid 1), "agent"
      (the agent itself), "other" (a process chrooted in OTHERJAIL: another container's) or
      "dead" (a pid that has exited); then opens PATH and prints "open ok TEXT" or "open ERRNO".
      "flood" is "self" opening PATH in a loop for 6 s, then printing "flood N".
  fake-runtime.py state SOCK KIND
      a state the agent must refuse: "big" (over 64 KiB), "slow" (part of it, then silence),
      "trickle" (a byte every 2 s), "nul" (a NUL in the metadata), "long" (a 300-byte name),
      "notlistener" (an eventfd and a directory as the fds).
"""
import ctypes
import errno
import json
import os
import socket
import struct
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)


def state(pid, cid, meta="a"):
    return json.dumps({"ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": pid,
                       "metadata": meta,
                       "state": {"id": cid, "pid": pid, "status": "creating"}}).encode()


def listener():
    """Notify openat (x86_64 only, no arch check: a test), allow the rest; the listener fd."""
    def insn(code, jt, jf, k):
        return struct.pack("HBBI", code, jt, jf, k)
    prog = (insn(0x20, 0, 0, 0) + insn(0x15, 0, 1, 257) + insn(0x06, 0, 0, 0x7FC00000) +
            insn(0x06, 0, 0, 0x7FFF0000))
    buf = ctypes.create_string_buffer(prog, len(prog))

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    fp = Fprog(4, ctypes.addressof(buf))
    if libc.prctl(38, 1, 0, 0, 0) < 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl")
    fd = libc.syscall(317, 1, 1 << 3, ctypes.byref(fp))  # seccomp(SET_MODE_FILTER, NEW_LISTENER)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "seccomp")
    return fd


def sleeper(jail):
    """A process whose root is jail (another container's process), sleeping."""
    pid = os.fork()
    if pid == 0:
        os.chroot(jail)
        time.sleep(60)
        os._exit(0)
    return pid


def call(sock, kind, jail, other, agent, path):
    helper = sleeper(other) if kind == "other" else 0
    if kind == "dead":
        helper = os.fork()
        if helper == 0:
            os._exit(0)
        os.waitpid(helper, 0)
    pid = {"self": os.getpid(), "flood": os.getpid(), "host1": 1,
           "agent": int(agent)}.get(kind, helper)
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    if jail != "-":
        os.chroot(jail)
        os.chdir("/")
    fd = listener()
    socket.send_fds(s, [state(pid, "fake-" + kind)], [fd])
    os.close(fd)
    s.close()
    if kind == "flood":
        n, end = 0, time.monotonic() + 6
        while time.monotonic() < end:
            try:
                os.close(os.open(path, os.O_RDONLY))
            except OSError:
                pass
            n += 1
        print("flood", n, flush=True)
        return
    try:
        f = os.open(path, os.O_RDONLY)
        print("open ok", os.read(f, 100).decode().strip(), flush=True)
    except OSError as e:
        print("open", errno.errorcode[e.errno], flush=True)
    if kind == "other":
        os.kill(helper, 9)


def refused_state(sock, kind):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    r, w = os.pipe()
    body = state(os.getpid(), "fake-" + kind)
    if kind == "big":
        body = body[:-1] + b', "pad": "' + b"x" * 70000 + b'"}'
        socket.send_fds(s, [body[:4096]], [r])
        try:
            s.sendall(body[4096:])
        except OSError:
            pass  # the agent stopped reading: refused
    elif kind == "slow":
        socket.send_fds(s, [body[:10]], [r])
        time.sleep(8)
    elif kind == "trickle":
        socket.send_fds(s, [body[:1]], [r])
        for b in body[1:8]:
            time.sleep(2)
            try:
                s.send(bytes([b]))
            except OSError:
                break
    elif kind == "nul":
        socket.send_fds(s, [state(os.getpid(), "fake-nul", "a\u0000/../../x")], [r])
    elif kind == "long":
        socket.send_fds(s, [state(os.getpid(), "fake-long", "p" * 300)], [r])
    elif kind == "notlistener":
        ev = libc.eventfd(0, 0)
        d = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
        msg = json.loads(body)
        msg["fds"] = ["other", "seccompFd"]
        socket.send_fds(s, [json.dumps(msg).encode()], [ev, d])
    s.close()


if sys.argv[1] == "call":
    call(*sys.argv[2:8])
else:
    refused_state(sys.argv[2], sys.argv[3])
