/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Waiting for the broker's answer (docs/performance.md): in this call's reply slot, spinning
 * then sleeping on the channel, or on the channel alone, polling then sleeping. Static inline:
 * on the path of every brokered call (call.c), where a call per wait would be one more than the
 * handler made before it was split.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/rseq.h>
#include <sys/syscall.h>

#include "arch.h"
#include "channel.h"
#include "handler.h"
#include "protocol.h"
#include "raw.h"

/*
 * One reply and at most one fd (more is a protocol error: closed, -EPROTO); *lost as for
 * sb_channel_recv().
 */
static inline long recv_reply(int fd, void *buf, size_t size, int *ret_fd, bool poll, bool *lost)
{
	int fds[2];
	long n = sb_channel_recv(fd, buf, size, fds, poll, lost);
	if (fds[1] >= 0) {
		sb_close_fds(fds);
		return n < 0 ? n : -EPROTO;
	}
	*ret_fd = fds[0];
	return n;
}

/* The CPU this thread runs on (glibc's rseq area), or -1. */
static inline int sb_my_cpu(void)
{
	if (__rseq_size < offsetof(struct rseq, cpu_id) + sizeof(uint32_t))
		return -1;
	const struct rseq *rs =
		(const struct rseq *)((const char *)__builtin_thread_pointer() + __rseq_offset);
	return (int)__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED);
}

/*
 * The answer on the socket: poll it sb_spin_polls times (yielding in between), then sleep on it.
 * Returns the message's length, with t->rep holding it and *ret_fd its fd, or -EIO.
 */
static inline long sb_wait_socket(struct sb_thread *t, int ch, uint64_t seq, int *ret_fd)
{
	struct sb_rep *rep = (struct sb_rep *)t->rep;
	long r;
	int fd;

	for (long polls = sb_spin_polls;;) {
		bool lost = false;
		r = recv_reply(ch, t->rep, sizeof(t->rep), &fd, polls > 0, &lost);
		if (r == -EAGAIN && polls > 0) {
			polls--;
			raw(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
			continue;
		}
		if (r <= 0)
			return -EIO;
		if ((size_t)r < sizeof(*rep) || rep->magic != SB_PROTO_MAGIC_REP ||
		    rep->outlen > (size_t)r - sizeof(*rep)) {
			if (fd >= 0)
				raw(SYS_close, fd, 0, 0, 0, 0, 0);
			return -EIO;
		}
		if (rep->seq == seq && !(rep->flags & SB_REP_WAKE) && lost) {
			if (fd >= 0)
				raw(SYS_close, fd, 0, 0, 0, 0, 0);
			return -EMFILE; /* our fd, dropped: as the kernel says when a table is full
					 */
		}
		if (rep->seq == seq && !(rep->flags & SB_REP_WAKE))
			break;
		/* A stale reply (a request abandoned earlier) or wake-up: drop it. */
		if (fd >= 0)
			raw(SYS_close, fd, 0, 0, 0, 0, 0);
	}
	*ret_fd = fd;
	return r;
}

#define SB_YIELD_EVERY 64 /* pauses; a power of two */

static inline bool slot_done(const struct sb_slot *s, uint64_t seq)
{
	return __atomic_load_n(&s->done, __ATOMIC_SEQ_CST) == seq;
}

/*
 * Sleep until one message comes on the channel: 1 for a wake-up, 2 for this call's fd (kept in
 * *fd: the broker sends it right after it marks the slot done), 3 for the whole answer (in
 * *answer),
 * 5 for this call's fd dropped on the way (the fd table is full), 0 for anything else (dropped),
 * -EIO when the broker is gone; with poll, 4 when nothing came.
 */
static inline long slot_sleep(int ch, uint64_t seq, int *fd, struct sb_rep *answer, bool poll)
{
	/* Big enough for a header; anything longer is truncated, so stale. */
	_Alignas(8) uint8_t buf[sizeof(struct sb_rep) + 8];
	struct sb_rep *m = (struct sb_rep *)buf;
	int fds[2];
	bool lost = false;
	long r = sb_channel_recv(ch, buf, sizeof(buf), fds, poll, &lost);

	if (r == -EAGAIN && poll)
		return 4;
	if (r <= 0 && r != -EPROTO) {
		sb_close_fds(fds);
		return -EIO;
	}
	if (r < (long)sizeof(*m) || m->magic != SB_PROTO_MAGIC_REP || fds[1] >= 0) {
		sb_close_fds(fds);
		return 0;
	}
	if (m->flags & SB_REP_WAKE) {
		sb_close_fds(fds);
		return 1;
	}
	if (m->seq == seq && (m->flags & SB_REP_FD) && lost) {
		sb_close_fds(fds);
		return 5; /* this call's fd, dropped on the way */
	}
	if (m->seq == seq && !(m->flags & SB_REP_FD) && m->outlen == 0 && fds[0] < 0) {
		/* Answered on the socket after all (a request the broker refused outright). */
		*answer = *m;
		return 3;
	}
	if (m->seq != seq || !(m->flags & SB_REP_FD) || fds[0] < 0) {
		sb_close_fds(fds);
		return 0;
	}
	if (*fd >= 0)
		raw(SYS_close, *fd, 0, 0, 0, 0, 0);
	*fd = fds[0];
	return 2;
}

/*
 * The answer in the slot: spin on it for sb_spin_iters pauses unless the broker last ran on this
 * very CPU (cpu: ours, or -1; it cannot answer while we spin there), then sleep on the socket.
 * Returns 0 with the answer in t->rep and *ret_fd its fd, or -EIO.
 *
 * Sleeping: set waiting, check done, sleep. The broker, once done, takes the flag; it then sends
 * a wake-up, or for an answer with an fd the fd itself (always sent, after done). "armed" is
 * whether our flag may still be up: if so once done, we take it back, or, when the broker took
 * it first, receive the wake-up it sent, so that none is left over for a later call.
 */
static inline long sb_wait_slot(struct sb_thread *t, int ch, struct sb_slot *s, uint64_t seq,
				int cpu, int *ret_fd)
{
	int fd = -1;
	struct sb_rep *rep = (struct sb_rep *)t->rep, other;
	bool armed = false;
	long r;

	*ret_fd = -1;
	bool spin = sb_spin_iters > 0 &&
		    !(cpu >= 0 &&
		      __atomic_load_n(&s->broker_cpu, __ATOMIC_RELAXED) == (uint32_t)cpu + 1);
	for (long i = 0; spin && i < sb_spin_iters && !slot_done(s, seq); i++) {
		sb_cpu_relax();
		/* Now and then let another thread of this CPU run: it may have work. */
		if ((i & (SB_YIELD_EVERY - 1)) == SB_YIELD_EVERY - 1)
			raw(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
	}
	while (!slot_done(s, seq)) {
		if (!armed) {
			__atomic_store_n(&s->waiting, 1, __ATOMIC_SEQ_CST);
			armed = true;
			continue; /* check done once more before sleeping */
		}
		r = slot_sleep(ch, seq, &fd, rep, false);
		if (r < 0 || r == 3 || r == 5) {
			__atomic_store_n(&s->waiting, 0, __ATOMIC_RELAXED);
			if (fd >= 0)
				raw(SYS_close, fd, 0, 0, 0, 0, 0);
			/* 3: answered on the socket; 5: our fd was dropped */
			return r == 3 ? 0 : r == 5 ? -EMFILE : -EIO;
		}
		if (r == 1 || r == 2)
			armed = false; /* the broker took the flag */
	}

	/* The answer, copied out of shared memory once, then checked. */
	sb_memcpy(rep, s->rep, sizeof(*rep));
	if (rep->magic != SB_PROTO_MAGIC_REP || rep->outlen > SB_MAX_OUT_WIRE || rep->seq != seq) {
		if (armed)
			__atomic_store_n(&s->waiting, 0, __ATOMIC_RELAXED);
		if (fd >= 0)
			raw(SYS_close, fd, 0, 0, 0, 0, 0);
		return -EIO;
	}
	sb_memcpy(t->rep + sizeof(*rep), s->rep + sizeof(*rep), rep->outlen);
	bool has_fd = rep->flags & SB_REP_FD;
	if (armed && __atomic_exchange_n(&s->waiting, 0, __ATOMIC_SEQ_CST))
		armed = false; /* taken back: nothing more comes */
	/*
	 * Still armed: the broker took the flag, and its wake-up (or the fd) is on the way. The fd
	 * follows done within microseconds: poll for it first, unless the broker is on this CPU.
	 */
	long polls = spin ? sb_spin_polls : 0;
	while ((armed && !has_fd) || (has_fd && fd < 0)) {
		r = slot_sleep(ch, seq, &fd, &other, polls > 0);
		if (r < 0 || r == 5) {
			if (fd >= 0)
				raw(SYS_close, fd, 0, 0, 0, 0, 0);
			return r == 5 ? -EMFILE : -EIO;
		}
		if (r == 1)
			armed = false;
		if (r == 4) {
			polls--;
			sb_cpu_relax();
		}
	}
	*ret_fd = fd;
	return 0;
}
