/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "netargs.h"
#include "protocol.h"

#define SB_UIO_MAXIOV 1024

/* n bytes at addr, appended to na's buffer. */
static int append(sb_netargs_read_fn read, void *ctx, struct sb_netargs *na, uint64_t addr,
		  size_t n, int full)
{
	size_t used = na->addr_len + na->data_len;
	if (na->cap - used < n)
		return full;
	return read(ctx, addr, na->buf + used, n);
}

/* connect, bind, sendto: an address and its length in registers, sendto's bytes at arg1. */
static int copy_sockaddr(const struct sb_shape *sh, const uint64_t args[6], sb_netargs_read_fn read,
			 void *ctx, struct sb_netargs *na)
{
	uint64_t addr = args[sh->in_arg];
	uint64_t alen = (uint32_t)args[sh->size_arg];
	int r;

	if ((int32_t)alen < 0 || alen > SB_MAX_ADDR)
		return -EINVAL;
	if (sh->in_kind == SB_IN_SOCKADDR && !addr && alen)
		return -EFAULT;
	if (addr && alen) {
		r = append(read, ctx, na, addr, (size_t)alen, -ENAMETOOLONG);
		if (r < 0)
			return r;
		na->addr_len = (size_t)alen;
	}
	if (sh->in_kind == SB_IN_SOCKADDR || args[2] == 0)
		return 0;
	if (args[2] > SB_MAX_DATA)
		return -EMSGSIZE;
	if (!args[1])
		return -EFAULT;
	r = append(read, ctx, na, args[1], (size_t)args[2], -ENAMETOOLONG);
	if (r == 0)
		na->data_len = (size_t)args[2];
	return r;
}

/* sendmsg, and the first message of sendmmsg: the name and the bytes of the iovecs. */
static int copy_msghdr(const struct sb_shape *sh, const uint64_t args[6], sb_netargs_read_fn read,
		       void *ctx, struct sb_netargs *na)
{
	struct msghdr mh;
	uint64_t alen;
	int r;

	if ((sh->flags & SB_SHAPE_FIRST_MSG) && (uint32_t)args[sh->size_arg] == 0)
		return 0; /* nothing to send: the broker answers 0 */
	if (!args[sh->in_arg])
		return -EFAULT;
	r = read(ctx, args[sh->in_arg], &mh, sizeof(mh));
	if (r < 0)
		return r;
	if (mh.msg_controllen)
		return -EOPNOTSUPP;
	alen = mh.msg_name ? (uint32_t)mh.msg_namelen : 0;
	if ((int32_t)alen < 0)
		return -EINVAL;
	if (alen > SB_MAX_ADDR)
		alen = SB_MAX_ADDR; /* the kernel truncates it too */
	if (alen) {
		r = append(read, ctx, na, (uint64_t)(uintptr_t)mh.msg_name, (size_t)alen,
			   -ENAMETOOLONG);
		if (r < 0)
			return r;
		na->addr_len = (size_t)alen;
	}
	if (mh.msg_iovlen > SB_UIO_MAXIOV)
		return -EMSGSIZE;
	if (mh.msg_iovlen && !mh.msg_iov)
		return -EFAULT;
	for (size_t i = 0; i < mh.msg_iovlen; i++) {
		struct iovec v;
		r = read(ctx, (uint64_t)(uintptr_t)(mh.msg_iov + i), &v, sizeof(v));
		if (r < 0)
			return r;
		if (v.iov_len > SB_MAX_DATA - na->data_len)
			return -EMSGSIZE;
		if (!v.iov_len)
			continue;
		if (!v.iov_base)
			return -EFAULT;
		r = append(read, ctx, na, (uint64_t)(uintptr_t)v.iov_base, v.iov_len, -EMSGSIZE);
		if (r < 0)
			return r;
		na->data_len += v.iov_len;
	}
	return 0;
}

int sb_netargs_copy(const struct sb_shape *sh, const uint64_t args[6], sb_netargs_read_fn read,
		    void *ctx, struct sb_netargs *na)
{
	na->addr_len = na->data_len = 0;
	switch (sh->in_kind) {
	case SB_IN_SOCKADDR:
	case SB_IN_SENDTO:
		return copy_sockaddr(sh, args, read, ctx, na);
	case SB_IN_MSGHDR:
	case SB_IN_MMSGHDR:
		return copy_msghdr(sh, args, read, ctx, na);
	default:
		return 0; /* SB_IN_SOCKET: only the fd */
	}
}
