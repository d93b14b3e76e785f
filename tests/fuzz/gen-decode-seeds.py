#!/usr/bin/env python3
"""Writes the decoder's seed corpus: well-formed requests of every shape (x86_64), which the
fuzzer then mutates. Run from tests/fuzz: ./gen-decode-seeds.py"""
import struct

MAGIC, VERSION, ARCH = 0x51524253, 3, 0xC000003E  # sandboxee/protocol.h


def req(typ, nr, args, items):
    lens = [len(i) for i in items] + [0] * (5 - len(items))  # PATH0 PATH1 STRING IN DATA
    # sizeof(struct sb_req) is 96: 92 bytes of fields, padded to 8.
    head = struct.pack("<IHHIi6QQ5I4x", MAGIC, VERSION, typ, ARCH, nr, *args, 1, *lens)
    return head + b"".join(items)


seeds = {
    "openat": req(1, 257, [2**32 - 100, 0, 0o2101, 0o644, 0, 0], [b"/etc/passwd\0"]),
    "newfstatat": req(1, 262, [3, 0, 0, 0x100, 0, 0], [b"rel/path\0"]),
    # SB_REQ_SYSCALL_SLOT: the same call, answered in the channel's reply slot.
    "newfstatat-slot": req(6, 262, [2**32 - 100, 0, 0, 0, 0, 0], [b"/etc/hostname\0"]),
    "renameat2": req(1, 316, [2**32 - 100, 0, 5, 0, 1, 0], [b"a\0", b"/b/c\0"]),
    "symlinkat": req(1, 266, [0x1000, 2**32 - 100, 0x2000, 0, 0, 0], [b"link\0", b"", b"target\0"]),
    "openat2": req(1, 437, [2**32 - 100, 0x1000, 0x2000, 24, 0, 0],
                   [b"/x\0", b"", b"", struct.pack("<QQQ", 0o100, 0o600, 0x8)]),
    "utimensat": req(1, 280, [2**32 - 100, 0x1000, 0x2000, 0, 0, 0],
                     [b"f\0", b"", b"", struct.pack("<4q", 1, 2, 3, 4)]),
    "getpid": req(1, 39, [0] * 6, []),
    "connect": req(1, 42, [3, 0, 16, 0, 0, 0],
                   [b"", b"", b"", struct.pack("<HH4s8x", 2, 0x901F, bytes([127, 0, 0, 1]))]),
    "sendto": req(1, 44, [3, 0, 5, 0, 0, 16],
                  [b"", b"", b"", struct.pack("<HH4s8x", 2, 0x3500, bytes([10, 0, 0, 1])),
                   b"hello"]),
    "channel": req(2, 0, [0] * 6, []),  # refused on a channel: a negative seed
}
for name, data in seeds.items():
    with open("corpus/decode/" + name, "wb") as f:
        f.write(data)
