/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The calling thread's channel to the broker (channel.c) and its per-thread buffers, shared by
 * the files of the SIGSYS handler. handler.h has what the rest of the runtime uses.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "msg.h"
#include "protocol.h"
#include "raw.h"

/* One channel per thread. Initial-exec TLS is allocated with the thread, never lazily. */
struct sb_thread {
	int fd_plus1; /* 0: no channel yet */
	long tid;     /* the thread that made the channel; differs after fork */
	dev_t dev;    /* the channel socket's identity, to tell it from a reused fd number */
	ino_t ino;
	struct sb_slot *slot; /* the channel's reply slot, or NULL */
	uint64_t seq;
	_Alignas(8) uint8_t req[SB_MAX_REQ];
	_Alignas(8) uint8_t rep[SB_MAX_REP];
};
extern __thread struct sb_thread sb_thread __attribute__((tls_model("initial-exec")));

/*
 * This thread's channel, made on first use (and again in a forked child), with its reply slot in
 * sb_thread.slot when it has one: the fd, or -errno. *temp: a channel for this one call, without
 * a slot, which the caller closes after it (a process that does not own the caches: channel.c).
 */
int sb_channel_for_call(bool *temp);

/*
 * Receive one message; fds[0..1] get the fds passed with it (close-on-exec) or -1, and *lost
 * says whether an fd was dropped on the way. With poll, -EAGAIN when there is none yet; -EPROTO
 * (fds filled) for a message cut short.
 */
static inline long sb_channel_recv(int fd, void *buf, size_t size, int fds[2], bool poll,
				   bool *lost)
{
	struct sb_msg_anc anc = { .maxfds = 2 };
	long n = sb_msg_recv1(fd, buf, size, &anc, poll ? MSG_DONTWAIT : 0);

	fds[0] = anc.fds[0];
	fds[1] = anc.fds[1];
	if (n < 0)
		return n;
	if (anc.msg_flags & MSG_TRUNC)
		return -EPROTO;
	/* An fd came but could not be installed (RLIMIT_NOFILE, an LSM): the kernel dropped it. */
	*lost = (anc.msg_flags & MSG_CTRUNC) != 0;
	return n;
}

/* A plain send carries no address: the kernel filter allows it without the broker. */
static inline long sb_channel_send(int fd, const void *buf, size_t len)
{
	return sb_msg_send1(fd, buf, len, -1, MSG_NOSIGNAL);
}

static inline void sb_close_fds(int fds[2])
{
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			raw(SYS_close, fds[i], 0, 0, 0, 0, 0);
	fds[0] = fds[1] = -1;
}
