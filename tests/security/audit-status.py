#!/usr/bin/env python3
# The system's audit status, for test-kernel-records.sh: `audit-status.py` prints 0 or 1 (the
# `enabled` of AUDIT_GET); `audit-status.py N` sets it to N (AUDIT_SET). Exit 77 where the audit
# netlink socket cannot be used (no audit in the kernel, no CAP_AUDIT_CONTROL).
import socket
import struct
import sys

AUDIT_GET, AUDIT_SET, AUDIT_STATUS_ENABLED = 1000, 1001, 1
NLM_F_REQUEST, NLM_F_ACK, NLMSG_ERROR = 1, 4, 2


def talk(kind, body):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)  # NETLINK_AUDIT
    s.bind((0, 0))
    s.send(struct.pack("IHHII", 16 + len(body), kind, NLM_F_REQUEST | NLM_F_ACK, 1, 0) + body)
    while True:
        d = s.recv(8192)
        _, ty = struct.unpack("IH", d[:6])
        if ty == NLMSG_ERROR:
            err = struct.unpack("i", d[16:20])[0]
            if err:
                raise OSError(-err, "audit netlink")
            if kind == AUDIT_SET:
                return None
        elif ty == AUDIT_GET:
            return struct.unpack("II", d[16:24])[1]


try:
    if len(sys.argv) > 1:
        talk(AUDIT_SET, struct.pack("IIIIIIII", AUDIT_STATUS_ENABLED, int(sys.argv[1]), 0, 0, 0,
                                    0, 0, 0) + b"\0" * 16)
    else:
        print(talk(AUDIT_GET, b""))
except OSError as e:
    print(f"audit netlink: {e}", file=sys.stderr)
    sys.exit(77)
