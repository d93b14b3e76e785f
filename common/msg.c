/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The wire client (msg.h). Runs in SIGSYS context too: raw syscalls, the caller's buffers and the
 * stack, no libc state but errno. The cmsg headers are walked here rather than with CMSG_NXTHDR,
 * which may be a call into the C library.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "msg.h"

static long msg_raw(long nr, long a, long b, long c, long d)
{
	/* No call here takes more than four arguments; the rest are 0 (sendto: no address). */
	long r = syscall(nr, a, b, c, d, 0L, 0L);
	return r < 0 ? -errno : r;
}

/* The same, again after a signal: sending and receiving start over, close(2) never does. */
static long msg_raw_restart(long nr, long a, long b, long c, long d)
{
	long r;
	do
		r = msg_raw(nr, a, b, c, d);
	while (r == -EINTR);
	return r;
}

static void copy_bytes(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	while (n--)
		*d++ = *s++;
}

/* CMSG_NXTHDR, without a call: the next header, or NULL past the buffer. */
static struct cmsghdr *next_hdr(const struct msghdr *mh, struct cmsghdr *c)
{
	const uint8_t *end = (const uint8_t *)mh->msg_control + mh->msg_controllen;
	if (c->cmsg_len < sizeof(*c))
		return NULL;
	uint8_t *n = (uint8_t *)c + CMSG_ALIGN(c->cmsg_len);
	if (n + sizeof(struct cmsghdr) > end ||
	    n + CMSG_ALIGN(((struct cmsghdr *)(void *)n)->cmsg_len) > end)
		return NULL;
	return (struct cmsghdr *)(void *)n;
}

long sb_msg_send(int fd, const struct iovec *iov, size_t iovcnt, int pass_fd, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = iovcnt };

	if (pass_fd < 0 && iovcnt == 1)
		return msg_raw_restart(SYS_sendto, fd, (long)iov[0].iov_base, (long)iov[0].iov_len,
				       flags);
	if (pass_fd >= 0) {
		for (size_t i = 0; i < sizeof(u.buf); i++)
			u.buf[i] = 0;
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		copy_bytes(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	return msg_raw_restart(SYS_sendmsg, fd, (long)&mh, flags, 0);
}

/* Keep the fds of one SCM_RIGHTS header up to anc->maxfds; close the rest. */
static void take_fds(struct sb_msg_anc *anc, const struct cmsghdr *c)
{
	size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	for (size_t i = 0; i < k; i++) {
		int fd;
		copy_bytes(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		if (anc->nfds < anc->maxfds)
			anc->fds[anc->nfds++] = fd;
		else
			msg_raw(SYS_close, fd, 0, 0, 0);
	}
}

long sb_msg_recv(int fd, const struct iovec *iov, size_t iovcnt, struct sb_msg_anc *anc, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred)) +
			 CMSG_SPACE(sizeof(int) * SB_MSG_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = iovcnt };

	if (anc->maxfds < 0 || anc->maxfds > SB_MSG_MAX_FDS)
		anc->maxfds = SB_MSG_MAX_FDS;
	anc->nfds = 0;
	for (int i = 0; i < SB_MSG_MAX_FDS; i++)
		anc->fds[i] = -1;
	anc->has_cred = false;
	anc->msg_flags = 0;
	size_t room = (anc->want_cred ? CMSG_SPACE(sizeof(struct ucred)) : 0) +
		      (anc->maxfds ? CMSG_SPACE(sizeof(int) * (size_t)anc->maxfds) : 0);
	if (room) {
		mh.msg_control = u.buf;
		mh.msg_controllen = room;
	}
	long n = msg_raw_restart(SYS_recvmsg, fd, (long)&mh, flags | MSG_CMSG_CLOEXEC, 0);
	if (n < 0)
		return n;
	for (struct cmsghdr *c = room ? CMSG_FIRSTHDR(&mh) : NULL; c; c = next_hdr(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(0))
			take_fds(anc, c);
		else if (c->cmsg_type == SCM_CREDENTIALS &&
			 c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
			copy_bytes(&anc->cred, CMSG_DATA(c), sizeof(anc->cred));
			anc->has_cred = true;
		}
	}
	anc->msg_flags = mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC);
	return n;
}

void sb_msg_anc_close(struct sb_msg_anc *anc)
{
	for (int i = 0; i < anc->nfds; i++)
		msg_raw(SYS_close, anc->fds[i], 0, 0, 0);
	for (int i = 0; i < SB_MSG_MAX_FDS; i++)
		anc->fds[i] = -1;
	anc->nfds = 0;
}
