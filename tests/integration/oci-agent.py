#!/usr/bin/env python3
"""A permissive seccomp agent for the runc test: takes the listener a runtime sends to the socket
argv[1] (with the container's state), answers every notification with
SECCOMP_USER_NOTIF_FLAG_CONTINUE until the container is gone, and says what it saw. It decides
nothing: it only shows that the runtime accepted and loaded the section sysbroker wrote."""
import array
import errno
import fcntl
import select
import socket
import struct
import sys

# _IOWR('!', 0, struct seccomp_notif), _IOWR('!', 1, struct seccomp_notif_resp)
RECV, SEND, CONTINUE = 0xC0502100, 0xC0182101, 1
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1])
srv.listen(1)
srv.settimeout(120)
print("listening", flush=True)
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, _, _ = conn.recvmsg(1 << 16, socket.CMSG_LEN(16 * fds.itemsize))
for level, typ, data in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
print("metadata", sys.argv[2] in msg.decode(errors="replace"), flush=True)
served = 0
while fds:
    # Hang-up alone: no task uses the filter any more, the container is gone. RECV fails with
    # ENOENT when the notifying task was interrupted (runc's init is Go, whose runtime preempts
    # with signals): that notification is gone, the next ones still come.
    p = select.poll()
    p.register(fds[0], select.POLLIN)
    ev = p.poll()[0][1]
    if not ev & select.POLLIN:
        break
    buf = bytearray(80)
    try:
        fcntl.ioctl(fds[0], RECV, buf)
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.EINTR):
            continue
        break
    served += 1
    try:
        fcntl.ioctl(fds[0], SEND, bytearray(struct.pack("QqiI", struct.unpack_from("Q", buf)[0], 0, 0, CONTINUE)))
    except OSError:
        pass
print("served", served, flush=True)
