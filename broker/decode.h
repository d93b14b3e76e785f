/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Decoding a request from a sandboxee: a pure function, every field checked. */
#pragma once

#include <stddef.h>

#include "protocol.h"
#include "syscalls.h"

struct sb_decoded {
	const struct sb_req *req;
	const struct sb_shape *shape;
	const char *item[SB_ITEM_MAX]; /* pointers into the message, NULL when absent */
	size_t item_len[SB_ITEM_MAX];
};

/*
 * Check a message of len bytes received on a channel and point into it. Returns 0, -EPROTO for a
 * malformed message (wrong magic, version, type, sizes, unterminated strings...), -EAFNOSUPPORT
 * for another architecture. A syscall without a shape (not a path call) decodes with shape NULL
 * and no payload: the policy's syscall rules still decide it.
 */
int sb_decode_request(const void *buf, size_t len, unsigned audit_arch, struct sb_decoded *out);
