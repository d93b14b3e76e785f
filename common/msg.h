/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One wire client for every part: a message and the fds or credentials that come with it, over
 * the broker's SOCK_SEQPACKET sockets (docs/protocol.md). Raw syscalls only, no libc state but
 * errno (which syscall(2) sets; a caller in signal context saves and restores it), so that the
 * SIGSYS handler, the preloaded runtime, the embedding library and the broker share it.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* The most fds one message may bring (the broker's need; the handler wants two at most). */
#define SB_MSG_MAX_FDS 8

/*
 * Send one message; pass_fd >= 0 goes with it (SCM_RIGHTS). One buffer and no fd is a plain
 * send, sendto(2) without an address: the only send the runtime's kernel rules let through (the
 * handler never sends more). Anything else is sendmsg(2). flags: MSG_NOSIGNAL, MSG_DONTWAIT...
 * Retries on EINTR. Returns the bytes sent, or -errno.
 */
long sb_msg_send(int fd, const struct iovec *iov, size_t iovcnt, int pass_fd, int flags);

/* What came with a message (sb_msg_recv()). */
struct sb_msg_anc {
	/* in */
	int maxfds;     /* keep at most this many fds (0 .. SB_MSG_MAX_FDS); the rest are closed */
	bool want_cred; /* make room for SCM_CREDENTIALS (the socket has SO_PASSCRED) */
	/* out */
	int nfds;                /* fds kept */
	int fds[SB_MSG_MAX_FDS]; /* the fds kept, close-on-exec; -1 past nfds */
	bool has_cred;           /* cred holds the sender's credentials */
	struct ucred cred;
	int msg_flags; /* the message's MSG_TRUNC (data cut) and MSG_CTRUNC (an fd or the
			* credentials dropped: no room, or the fd table full) */
};

/*
 * Receive one message into iov, with MSG_CMSG_CLOEXEC always added to flags. The control buffer
 * holds anc->maxfds fds (and the credentials with want_cred): more fds are dropped by the kernel
 * (MSG_CTRUNC) or, where it rounded the room up, closed here. Retries on EINTR. Returns the
 * message's length (0: the peer is gone), or -errno (-EAGAIN with MSG_DONTWAIT and nothing
 * there); on failure anc says nothing came.
 */
long sb_msg_recv(int fd, const struct iovec *iov, size_t iovcnt, struct sb_msg_anc *anc, int flags);

/* sb_msg_recv() of one buffer. */
static inline long sb_msg_recv1(int fd, void *buf, size_t size, struct sb_msg_anc *anc, int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	return sb_msg_recv(fd, &iov, 1, anc, flags);
}

/*
 * sb_msg_send() of one buffer. Without an fd, inline: the handler sends one request per brokered
 * call, and this keeps that send as direct as a raw sendto(2).
 */
static inline long sb_msg_send1(int fd, const void *buf, size_t len, int pass_fd, int flags)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	long r;

	if (pass_fd >= 0)
		return sb_msg_send(fd, &iov, 1, pass_fd, flags);
	do
		r = syscall(SYS_sendto, (long)fd, buf, len, (long)flags, 0L, 0L);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* Close every fd anc holds (raw close(2)) and forget them. */
void sb_msg_anc_close(struct sb_msg_anc *anc);
