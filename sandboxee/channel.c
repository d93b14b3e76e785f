/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-thread channel to the broker: made on first use by asking on the control socket,
 * cached in the thread's storage, and tracked so that the channels of threads that have exited
 * are closed. Runs in SIGSYS context (and before the trap is armed): raw syscalls, no locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "arch.h"
#include "channel.h"
#include "handler.h"
#include "protocol.h"
#include "raw.h"

int sb_ctrl_fd = -1;
int sb_owner_pid;
struct sb_slot *sb_region;
int sb_region_pid;

__thread struct sb_thread sb_thread __attribute__((tls_model("initial-exec")));

/*
 * Every live channel of the process, so that the channels of threads that have exited can be
 * closed: a thread cannot run code when it dies, so the next thread that makes a channel
 * reclaims them. Lock-free (a slot's tid is claimed by compare-and-swap: 0 free, -1 busy), and
 * an fd is closed only if it is still the very socket that was recorded, since a vfork child
 * writes here too and its fd numbers mean other things in its parent.
 */
#define SB_TRACKED 256
static struct {
	_Atomic long tid;
	int fd;
	dev_t dev;
	ino_t ino;
} sb_slots[SB_TRACKED];

/*
 * Only in the owner process (see sb_channel_for_call()): a vfork child shares this array with its
 * parent and must not free the parent's entries.
 */
static void reclaim(long pid)
{
	struct stat st;

	for (int i = 0; i < SB_TRACKED; i++) {
		long tid = atomic_load(&sb_slots[i].tid);
		if (tid <= 0 || raw(SYS_tgkill, pid, tid, 0, 0, 0, 0) != -ESRCH)
			continue;
		if (!atomic_compare_exchange_strong(&sb_slots[i].tid, &tid, -1))
			continue; /* another thread took it first */
		int fd = sb_slots[i].fd;
		if (raw(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) == 0 &&
		    st.st_dev == sb_slots[i].dev && st.st_ino == sb_slots[i].ino)
			raw(SYS_close, fd, 0, 0, 0, 0, 0);
		atomic_store(&sb_slots[i].tid, 0);
	}
}

/* Record a new channel; when every slot is taken it simply is not tracked (and not reclaimed). */
static void track(long tid, int fd, dev_t dev, ino_t ino)
{
	for (int i = 0; i < SB_TRACKED; i++) {
		long free_ = 0;
		if (!atomic_compare_exchange_strong(&sb_slots[i].tid, &free_, -1))
			continue;
		sb_slots[i].fd = fd;
		sb_slots[i].dev = dev;
		sb_slots[i].ino = ino;
		atomic_store(&sb_slots[i].tid, tid);
		return;
	}
}

/*
 * A new channel from the broker, and in *ret_slot its reply slot in this process's region (NULL
 * for none; asked for with want_slot). The broker makes the socketpair itself and hands one end
 * back on the control socket; the request is a plain send, so the kernel filter needs no rule
 * that trusts an fd number. Replies on the control socket are interchangeable (each carries a
 * fresh channel, bound to whichever process uses it first), so threads and processes that share
 * it may take each other's without harm: a slot is used only by a thread that asked for one.
 */
static int new_channel(struct sb_thread *t, bool want_slot, struct sb_slot **ret_slot)
{
	struct sb_req req;
	int fds[2];

	*ret_slot = NULL;
	sb_memzero(&req, sizeof(req));
	req.magic = SB_PROTO_MAGIC_REQ;
	req.version = SB_PROTO_VERSION;
	req.type = SB_REQ_CHANNEL;
	req.arch = SB_AUDIT_ARCH;
	req.args[0] = want_slot ? SB_CHANNEL_SLOT : 0;
	long r = sb_channel_send(sb_ctrl_fd, &req, sizeof(req));
	if (r < 0)
		return (int)r;
	struct sb_rep *rep = (struct sb_rep *)t->rep;
	bool lost = false;
	r = sb_channel_recv(sb_ctrl_fd, t->rep, sizeof(t->rep), fds, false, &lost);
	if (r == 0)
		r = -ECONNRESET;
	else if (r > 0 && lost)
		r = -EMFILE;
	else if (r > 0 && (size_t)r == sizeof(*rep) && rep->magic == SB_PROTO_MAGIC_REP &&
		 rep->ret < 0 && fds[0] < 0)
		r = rep->ret < -4095 ? -EPROTO : rep->ret; /* the broker's refusal, as it said */
	else if (r > 0 && ((size_t)r != sizeof(*rep) || rep->magic != SB_PROTO_MAGIC_REP ||
			   rep->ret < 0 || rep->ret > SB_REGION_SLOTS || fds[0] < 0 || fds[1] >= 0))
		r = -EPROTO;
	if (r < 0) {
		sb_close_fds(fds);
		return (int)r;
	}
	/* Out of the program's way (SB_CHANNEL_FD_MIN): never 0, 1 or 2. */
	long moved = raw(SYS_fcntl, fds[0], F_DUPFD_CLOEXEC, SB_CHANNEL_FD_MIN, 0, 0, 0);
	if (moved < 0)
		moved = raw(SYS_fcntl, fds[0], F_DUPFD_CLOEXEC, 3, 0, 0, 0);
	raw(SYS_close, fds[0], 0, 0, 0, 0, 0);
	if (moved < 0)
		return (int)moved;
	fds[0] = (int)moved;
	/* A slot in our region only: the reply may have been meant for another process. */
	if (want_slot && rep->ret > 0 && rep->seq == (uint64_t)sb_region_pid)
		*ret_slot = (struct sb_slot *)((uint8_t *)sb_region +
					       (size_t)(rep->ret - 1) * SB_SLOT_SIZE);
	return fds[0];
}

/*
 * This thread's channel, made on first use (and again in a forked child), with its reply slot in
 * t->slot when it has one.
 *
 * Channels are cached in the thread's own storage, which a vfork child (posix_spawn) shares with
 * its parent: such a child must leave that storage and the tracking array alone. It cannot be
 * told from a forked child by its memory, so the process that owns the memory is named in
 * sb_owner_pid, set when the trap is armed and by the fork handler in a forked child (arm.c).
 * Anyone else (a vfork child, or a child of a raw clone) gets a channel for the one call,
 * without a slot, and closes it after (*temp). Slots are for the process that mapped the region
 * (a forked child has none: the region is not inherited).
 */
int sb_channel_for_call(bool *temp)
{
	struct sb_thread *t = &sb_thread;
	long tid = raw(SYS_gettid, 0, 0, 0, 0, 0, 0);
	struct sb_slot *slot;
	struct stat st;
	int fd;

	*temp = false;
	if (t->fd_plus1 && t->tid == tid)
		return t->fd_plus1 - 1;
	if (sb_ctrl_fd < 0)
		return -ENOTCONN;
	long pid = raw(SYS_getpid, 0, 0, 0, 0, 0, 0);
	if (pid != __atomic_load_n(&sb_owner_pid, __ATOMIC_RELAXED)) {
		*temp = true;
		return new_channel(t, false, &slot);
	}
	/*
	 * Made by another thread: our parent's before a fork (close the inherited copy), or a dead
	 * thread's whose storage glibc gave us. The number may be one of the program's own fds by
	 * now: close it only if it is that socket.
	 */
	if (t->fd_plus1 && raw(SYS_fstat, t->fd_plus1 - 1, (long)&st, 0, 0, 0, 0) == 0 &&
	    st.st_dev == t->dev && st.st_ino == t->ino)
		raw(SYS_close, t->fd_plus1 - 1, 0, 0, 0, 0, 0);
	t->fd_plus1 = 0;
	t->slot = NULL;
	reclaim(pid);

	bool want_slot = __atomic_load_n(&sb_region_pid, __ATOMIC_ACQUIRE) == pid && sb_region;
	fd = new_channel(t, want_slot, &slot);
	if (fd < 0)
		return fd;
	if (raw(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) == 0) {
		t->dev = st.st_dev;
		t->ino = st.st_ino;
		track(tid, fd, st.st_dev, st.st_ino);
	}
	t->slot = slot;
	t->fd_plus1 = fd + 1;
	t->tid = tid;
	/* Sequence numbers of their own: a slot given to another thread never matches ours. */
	t->seq = (uint64_t)tid << 32;
	return fd;
}

bool sb_channel_cached(void)
{
	return sb_thread.fd_plus1 && sb_thread.tid == raw(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

/* The calling thread's channel got slot from SB_REQ_REGION (arm.c). */
void sb_channel_set_slot(struct sb_slot *slot)
{
	sb_thread.slot = slot;
}

/*
 * Outside signal context too: the preloaded runtime asks for its filter on the thread's channel
 * before the trap is armed, so that the first trap finds the channel made.
 */
int sb_channel_get(void)
{
	bool temp;
	if (!__atomic_load_n(&sb_owner_pid, __ATOMIC_RELAXED))
		__atomic_store_n(&sb_owner_pid, (int)raw(SYS_getpid, 0, 0, 0, 0, 0, 0),
				 __ATOMIC_RELAXED);
	int fd = sb_channel_for_call(&temp);
	if (fd >= 0 && temp) {
		raw(SYS_close, fd, 0, 0, 0, 0, 0);
		return -EBUSY; /* not this process's to keep */
	}
	return fd;
}

void sb_channel_close(void)
{
	struct sb_thread *t = &sb_thread;
	long tid = raw(SYS_gettid, 0, 0, 0, 0, 0, 0);
	int fd = t->fd_plus1 - 1;

	if (!t->fd_plus1 || t->tid != tid)
		return;
	/* Forget its entry: only this thread writes entries that hold its tid. */
	for (int i = 0; i < SB_TRACKED; i++) {
		long cur = tid;
		if (!atomic_compare_exchange_strong(&sb_slots[i].tid, &cur, -1))
			continue;
		bool mine = sb_slots[i].fd == fd;
		atomic_store(&sb_slots[i].tid, mine ? 0 : tid);
		if (mine)
			break;
	}
	raw(SYS_close, fd, 0, 0, 0, 0, 0);
	t->slot = NULL;
	t->fd_plus1 = 0;
}
