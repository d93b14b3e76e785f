/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Building a request from the syscall table (syscalls.h): the header, then the items the broker
 * needs besides the registers (paths, a string, an IN item, a network call's address and data),
 * copied out of the caller's memory with the bounds of protocol.h. The broker checks every item
 * again. Static inline: on the path of every brokered call (call.c), where a call per request
 * would be one more than the handler made before it was split.
 */
#pragma once

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>

#include "arch.h"
#include "protocol.h"
#include "raw.h"
#include "netargs.h"
#include "syscalls.h"

static inline long add_item(uint8_t **p, uint8_t *end, uint32_t *len, const void *src, size_t n)
{
	if ((size_t)(end - *p) < n)
		return -ENAMETOOLONG;
	sb_memcpy(*p, src, n);
	*p += n;
	*len = (uint32_t)n;
	return 0;
}

static inline long add_string(uint8_t **p, uint8_t *end, uint32_t *len, uint64_t ptr)
{
	const char *s = (const char *)(uintptr_t)ptr;
	if (!s)
		return -EFAULT;
	size_t n = sb_strnlen(s, PATH_MAX);
	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	return add_item(p, end, len, s, n + 1);
}

/* The handler reads its own memory: a plain copy (a bad pointer faults, as the call would). */
static inline int read_own(void *ctx, uint64_t addr, void *buf, size_t size)
{
	sb_memcpy(buf, (const void *)(uintptr_t)addr, size);
	return 0;
}

/*
 * The socket address (IN item) and the bytes sent (DATA item) of a network call, checked and
 * copied as the notify transport does (common/netargs.c); the broker checks every item again.
 */
static inline long add_net(const struct sb_shape *sh, const uint64_t args[6], uint8_t **p,
			   uint8_t *end, struct sb_req *req)
{
	struct sb_netargs na = { .buf = *p, .cap = (size_t)(end - *p) };
	int r = sb_netargs_copy(sh, args, read_own, NULL, &na);
	if (r < 0)
		return r;
	req->len[SB_ITEM_IN] = (uint32_t)na.addr_len;
	req->len[SB_ITEM_DATA] = (uint32_t)na.data_len;
	*p += na.addr_len + na.data_len;
	return 0;
}

/* The value a setxattr call sets, as the DATA item. */
static inline long add_xattr_value(const struct sb_shape *sh, const uint64_t args[6],
				   const void *in, size_t in_len, uint8_t **p, uint8_t *end,
				   struct sb_req *req)
{
	uint64_t addr;
	size_t n;
	long r = sb_xattr_value(sh, args, in, in_len, &addr, &n);
	if (r < 0 || n == 0)
		return r;
	return add_item(p, end, &req->len[SB_ITEM_DATA], (const void *)(uintptr_t)addr, n);
}

/* The path, string, IN and DATA items of a file call. */
static inline long add_file_items(const struct sb_shape *sh, const uint64_t args[6], uint8_t **p,
				  uint8_t *end, struct sb_req *req)
{
	long r;

	for (int i = 0; i < 2; i++) {
		/* No such argument, or a NULL one that acts on the dirfd itself (utimensat). */
		if (sb_shape_no_path(sh, i, args))
			continue;
		r = add_string(p, end, &req->len[SB_ITEM_PATH0 + i], args[sh->path[i]]);
		if (r < 0)
			return r;
	}
	if (sh->string != SB_NOARG) {
		r = add_string(p, end, &req->len[SB_ITEM_STRING], args[sh->string]);
		if (r < 0)
			return r;
	}
	const void *in = NULL;
	if (sh->in_kind != SB_IN_NONE && sh->in_kind != SB_IN_XATTR_VALUE && args[sh->in_arg]) {
		uint64_t n = sb_shape_in_size(sh, args);
		if (n > SB_MAX_IN)
			return -E2BIG;
		if (sh->in_kind == SB_IN_XATTR_ARGS && n < SB_XATTR_ARGS_SIZE_VER0)
			return -EINVAL;
		in = *p;
		r = add_item(p, end, &req->len[SB_ITEM_IN],
			     (const void *)(uintptr_t)args[sh->in_arg], (size_t)n);
		if (r < 0)
			return r;
	}
	return add_xattr_value(sh, args, in, req->len[SB_ITEM_IN], p, end, req);
}

/*
 * The request for syscall nr (sh: its row in the table, or NULL) in buf: for a reply slot (slot)
 * or on the socket, with sequence number seq. Returns its length, or the -errno the call fails
 * with before it reaches the broker.
 */
static inline long sb_request_build(uint8_t *buf, size_t cap, const struct sb_shape *sh, long nr,
				    const uint64_t args[6], bool slot, uint64_t seq)
{
	struct sb_req *req = (struct sb_req *)buf;
	uint8_t *p = buf + sizeof(*req), *end = buf + cap;
	long r;

	sb_memzero(req, sizeof(*req));
	req->magic = SB_PROTO_MAGIC_REQ;
	req->version = SB_PROTO_VERSION;
	req->type = slot ? SB_REQ_SYSCALL_SLOT : SB_REQ_SYSCALL;
	req->arch = SB_AUDIT_ARCH;
	req->nr = (int32_t)nr;
	for (int i = 0; i < 6; i++)
		req->args[i] = args[i];
	req->seq = seq;
	if (sb_shape_is_net(sh))
		r = add_net(sh, args, &p, end, req);
	else
		r = sh ? add_file_items(sh, args, &p, end, req) : 0;
	return r < 0 ? r : (long)(p - buf);
}
