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

/*
 * The socket address (IN item) and the bytes sent (DATA item) of a network call, copied with the
 * bounds of sandboxee/protocol.h. Where the kernel would refuse the call before looking at the
 * socket, so do we, with its errno (EINVAL for an address length out of range, EFAULT for a NULL
 * buffer with a length); EMSGSIZE past SB_MAX_DATA and EOPNOTSUPP for control data are ours
 * (docs/protocol.md). The broker checks every item again.
 */
static inline long add_net(const struct sb_shape *sh, const uint64_t args[6], uint8_t **p,
			   uint8_t *end, struct sb_req *req)
{
	const struct msghdr *mh;
	uint64_t addr = 0, alen = 0;
	long r;

	switch (sh->in_kind) {
	case SB_IN_SOCKADDR:
	case SB_IN_SENDTO:
		addr = args[sh->in_arg];
		alen = (uint32_t)args[sh->size_arg];
		if ((int32_t)alen < 0 || alen > SB_MAX_ADDR)
			return -EINVAL;
		if (sh->in_kind == SB_IN_SOCKADDR && !addr && alen)
			return -EFAULT;
		if (addr && alen) {
			r = add_item(p, end, &req->len[SB_ITEM_IN], (const void *)(uintptr_t)addr,
				     (size_t)alen);
			if (r < 0)
				return r;
		}
		if (sh->in_kind == SB_IN_SOCKADDR || args[2] == 0)
			return 0;
		if (args[2] > SB_MAX_DATA)
			return -EMSGSIZE;
		if (!args[1])
			return -EFAULT;
		return add_item(p, end, &req->len[SB_ITEM_DATA], (const void *)(uintptr_t)args[1],
				(size_t)args[2]);
	case SB_IN_MSGHDR:
	case SB_IN_MMSGHDR:
		if (sh->in_kind == SB_IN_MMSGHDR && (uint32_t)args[2] == 0)
			return 0; /* nothing to send: the broker answers 0 */
		mh = (const struct msghdr *)(uintptr_t)args[sh->in_arg];
		if (!mh)
			return -EFAULT;
		if (mh->msg_controllen)
			return -EOPNOTSUPP;
		alen = mh->msg_name ? (uint32_t)mh->msg_namelen : 0;
		if ((int32_t)alen < 0)
			return -EINVAL;
		if (alen > SB_MAX_ADDR)
			alen = SB_MAX_ADDR; /* the kernel truncates it too */
		if (alen) {
			r = add_item(p, end, &req->len[SB_ITEM_IN], mh->msg_name, (size_t)alen);
			if (r < 0)
				return r;
		}
		if (mh->msg_iovlen > 1024 /* UIO_MAXIOV */)
			return -EMSGSIZE;
		if (mh->msg_iovlen && !mh->msg_iov)
			return -EFAULT;
		size_t total = 0;
		for (size_t i = 0; i < mh->msg_iovlen; i++) {
			const struct iovec *v = &mh->msg_iov[i];
			if (v->iov_len > SB_MAX_DATA - total)
				return -EMSGSIZE;
			if (!v->iov_len)
				continue;
			if (!v->iov_base)
				return -EFAULT;
			if ((size_t)(end - *p) < v->iov_len)
				return -EMSGSIZE;
			sb_memcpy(*p, v->iov_base, v->iov_len);
			*p += v->iov_len;
			total += v->iov_len;
		}
		req->len[SB_ITEM_DATA] = (uint32_t)total;
		return 0;
	}
	return 0; /* SB_IN_SOCKET: only the fd */
}

/* The path, string and IN items of a file call. */
static inline long add_file_items(const struct sb_shape *sh, long nr, const uint64_t args[6],
				  uint8_t **p, uint8_t *end, struct sb_req *req)
{
	long r;

	for (int i = 0; i < 2; i++) {
		if (sh->path[i] == SB_NOARG)
			continue;
		/* utimensat(fd, NULL, ...) acts on the fd itself: no path. */
		if (nr == SYS_utimensat && args[sh->path[i]] == 0)
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
	if (sh->in_kind != SB_IN_NONE && args[sh->in_arg]) {
		size_t n = sh->in_kind == SB_IN_OPEN_HOW ? (size_t)args[sh->size_arg]
							 : 2 * sizeof(struct timespec);
		if (n > SB_MAX_IN)
			return -E2BIG;
		r = add_item(p, end, &req->len[SB_ITEM_IN],
			     (const void *)(uintptr_t)args[sh->in_arg], n);
		if (r < 0)
			return r;
	}
	return 0;
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
		r = sh ? add_file_items(sh, nr, args, &p, end, req) : 0;
	return r < 0 ? r : (long)(p - buf);
}
