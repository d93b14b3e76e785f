/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The memory arguments of a network call (connect, bind, sendto, sendmsg, sendmmsg): the socket
 * address and the bytes sent, checked and copied the one way both transports use. The SIGSYS
 * handler copies its own memory into its request; the notify transport reads the caller's
 * memory through /proc/PID/mem. Only the read differs, so it is a callback. No allocation, no
 * libc: safe in signal context.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "syscalls.h"

/* Copy size bytes at addr (in the caller) into buf: 0, or -EFAULT. */
typedef int (*sb_netargs_read_fn)(void *ctx, uint64_t addr, void *buf, size_t size);

struct sb_netargs {
	uint8_t *buf;    /* in: where the address goes, the bytes right after it */
	size_t cap;      /* in: bytes at buf */
	size_t addr_len; /* out: the address, at buf */
	size_t data_len; /* out: the bytes sent, at buf + addr_len */
};

/**
 * Copy the address (at most SB_MAX_ADDR bytes) and the bytes sent (at most SB_MAX_DATA) of a
 * network call with row sh and arguments args, as the kernel would read them.
 *
 * @return 0, or the errno the kernel would answer: -EINVAL (a negative or too long address
 *         length), -EFAULT (a NULL pointer, or read failed), -EMSGSIZE (too many bytes or
 *         iovecs), -EOPNOTSUPP (control data), -ENAMETOOLONG (no room left in buf).
 */
int sb_netargs_copy(const struct sb_shape *sh, const uint64_t args[6], sb_netargs_read_fn read,
		    void *ctx, struct sb_netargs *na);
