/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SIGSYS handler: turn a trapped syscall into a request on this thread's channel, wait for
 * the broker's answer, and make it the syscall's return value. Everything here runs in signal
 * context with every signal blocked: raw syscalls, the thread's own static buffers, no locks, no
 * allocation, errno saved and restored. The handler is a convenience, never a boundary: the
 * broker trusts nothing it sends.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "handler.h"
#include "protocol.h"
#include "syscalls.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp trap; only <asm-generic/siginfo.h> names it */
#endif

int sb_ctrl_fd = -1;
int sb_privdrop_from;
long sb_spin_iters;
long sb_spin_polls;
int sb_owner_pid;
struct sb_slot *sb_region;
int sb_region_pid;

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
static __thread struct sb_thread sb_thread __attribute__((tls_model("initial-exec")));

static void *sb_memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
}

static void sb_memzero(void *dst, size_t n)
{
	volatile uint8_t *d = dst;
	while (n--)
		*d++ = 0;
}

static size_t sb_strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

static long raw(long nr, long a, long b, long c, long d, long e, long f)
{
	long r = syscall(nr, a, b, c, d, e, f);
	return r < 0 ? -errno : r;
}

static void sb_die(const char *msg, size_t len)
{
	raw(SYS_write, 2, (long)msg, (long)len, 0, 0, 0);
	raw(SYS_exit_group, 127, 0, 0, 0, 0, 0);
	for (;;)
		;
}
#define DIE(s) sb_die(s, sizeof(s) - 1)

/* A plain send carries no address: the kernel filter allows it without the broker. */
static long send_msg(int fd, const void *buf, size_t len)
{
	return raw(SYS_sendto, fd, (long)buf, (long)len, MSG_NOSIGNAL, 0, 0);
}

/*
 * Receive one message; fds[0..1] get the fds passed with it (close-on-exec) or -1, and *lost
 * says whether an fd was dropped on the way. With poll, -EAGAIN when there is none yet.
 */
static long recv_msg(int fd, void *buf, size_t size, int fds[2], bool poll, bool *lost)
{
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	long n;

	fds[0] = fds[1] = -1;
	do
		n = raw(SYS_recvmsg, fd, (long)&mh, MSG_CMSG_CLOEXEC | (poll ? MSG_DONTWAIT : 0), 0,
			0, 0);
	while (n == -EINTR);
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int)) &&
		    c->cmsg_len <= CMSG_LEN(2 * sizeof(int)))
			sb_memcpy(fds, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0));
	if (mh.msg_flags & MSG_TRUNC)
		return -EPROTO;
	/* An fd came but could not be installed (RLIMIT_NOFILE, an LSM): the kernel dropped it. */
	*lost = (mh.msg_flags & MSG_CTRUNC) != 0;
	return n;
}

static void close_fds(int fds[2])
{
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			raw(SYS_close, fds[i], 0, 0, 0, 0, 0);
	fds[0] = fds[1] = -1;
}

/*
 * One reply and at most one fd (more is a protocol error: closed, -EPROTO); *lost as for
 * recv_msg().
 */
static long recv_reply(int fd, void *buf, size_t size, int *ret_fd, bool poll, bool *lost)
{
	int fds[2];
	long n = recv_msg(fd, buf, size, fds, poll, lost);
	if (fds[1] >= 0) {
		close_fds(fds);
		return n < 0 ? n : -EPROTO;
	}
	*ret_fd = fds[0];
	return n;
}

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
 * Only in the owner process (see channel()): a vfork child shares this array with its parent and
 * must not free the parent's entries.
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
	long r = send_msg(sb_ctrl_fd, &req, sizeof(req));
	if (r < 0)
		return (int)r;
	struct sb_rep *rep = (struct sb_rep *)t->rep;
	bool lost = false;
	r = recv_msg(sb_ctrl_fd, t->rep, sizeof(t->rep), fds, false, &lost);
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
		close_fds(fds);
		return (int)r;
	}
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
static int channel(bool *temp)
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
	int fd = channel(&temp);
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

static long add_item(uint8_t **p, uint8_t *end, uint32_t *len, const void *src, size_t n)
{
	if ((size_t)(end - *p) < n)
		return -ENAMETOOLONG;
	sb_memcpy(*p, src, n);
	*p += n;
	*len = (uint32_t)n;
	return 0;
}

static long add_string(uint8_t **p, uint8_t *end, uint32_t *len, uint64_t ptr)
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
static long add_net(const struct sb_shape *sh, const uint64_t args[6], uint8_t **p, uint8_t *end,
		    struct sb_req *req)
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

/*
 * Run the file the broker checked: the decision binds to that inode, not to a path that could
 * change before the exec. Returns only on failure. The new image inherits the signal mask: it
 * gets the interrupted code's (mask, in the kernel's format; NULL: unknown), as a native execve
 * would, not the handler's, which blocks every signal (SIGSYS too, so that the new image's
 * first trap would kill it).
 */
static long exec_checked(int fd, uint64_t argv, uint64_t envp, const void *mask)
{
	uint64_t saved;
	long r = raw(SYS_fcntl, SB_EXEC_FD, F_GETFD, 0, 0, 0, 0);
	if (r >= 0) {
		/* The program uses that fd itself: do not clobber it. */
		raw(SYS_close, fd, 0, 0, 0, 0, 0);
		return -EMFILE;
	}
	r = raw(SYS_dup3, fd, SB_EXEC_FD, 0, 0, 0, 0);
	raw(SYS_close, fd, 0, 0, 0, 0, 0);
	if (r < 0)
		return r;
	/*
	 * Until the exec, the program's own handlers may run nested in this one; they may trap
	 * too, which is safe: this frame is done with the thread's buffers.
	 */
	bool set = mask && raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)mask, (long)&saved,
			       sizeof(saved), 0, 0) == 0;
	r = raw(SYS_execveat, SB_EXEC_FD, (long)"", (long)argv, (long)envp, AT_EMPTY_PATH, 0);
	if (set)
		raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&saved, 0, sizeof(saved), 0, 0);
	raw(SYS_close, SB_EXEC_FD, 0, 0, 0, 0, 0);
	return r;
}

/* The CPU this thread runs on (glibc's rseq area), or -1. */
static int my_cpu(void)
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
static long wait_socket(struct sb_thread *t, int ch, uint64_t seq, int *ret_fd)
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

static bool slot_done(const struct sb_slot *s, uint64_t seq)
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
static long slot_sleep(int ch, uint64_t seq, int *fd, struct sb_rep *answer, bool poll)
{
	/* Big enough for a header; anything longer is truncated, so stale. */
	_Alignas(8) uint8_t buf[sizeof(struct sb_rep) + 8];
	struct sb_rep *m = (struct sb_rep *)buf;
	int fds[2];
	bool lost = false;
	long r = recv_msg(ch, buf, sizeof(buf), fds, poll, &lost);

	if (r == -EAGAIN && poll)
		return 4;
	if (r <= 0 && r != -EPROTO) {
		close_fds(fds);
		return -EIO;
	}
	if (r < (long)sizeof(*m) || m->magic != SB_PROTO_MAGIC_REP || fds[1] >= 0) {
		close_fds(fds);
		return 0;
	}
	if (m->flags & SB_REP_WAKE) {
		close_fds(fds);
		return 1;
	}
	if (m->seq == seq && (m->flags & SB_REP_FD) && lost) {
		close_fds(fds);
		return 5; /* this call's fd, dropped on the way */
	}
	if (m->seq == seq && !(m->flags & SB_REP_FD) && m->outlen == 0 && fds[0] < 0) {
		/* Answered on the socket after all (a request the broker refused outright). */
		*answer = *m;
		return 3;
	}
	if (m->seq != seq || !(m->flags & SB_REP_FD) || fds[0] < 0) {
		close_fds(fds);
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
static long wait_slot(struct sb_thread *t, int ch, struct sb_slot *s, uint64_t seq, int cpu,
		      int *ret_fd)
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

static long call_on(int ch, struct sb_slot *slot, long nr, const uint64_t args[6],
		    const void *exec_mask)
{
	const struct sb_shape *sh = sb_shape_lookup(nr);
	struct sb_thread *t = &sb_thread;
	struct sb_req *req = (struct sb_req *)t->req;
	uint8_t *p = t->req + sizeof(*req), *end = t->req + sizeof(t->req);
	long r;
	int fd;

	/* Network calls may be answered later, from the broker's workers: on the socket. */
	if (sb_shape_is_net(sh))
		slot = NULL;
	sb_memzero(req, sizeof(*req));
	req->magic = SB_PROTO_MAGIC_REQ;
	req->version = SB_PROTO_VERSION;
	req->type = slot ? SB_REQ_SYSCALL_SLOT : SB_REQ_SYSCALL;
	req->arch = SB_AUDIT_ARCH;
	req->nr = (int32_t)nr;
	for (int i = 0; i < 6; i++)
		req->args[i] = args[i];
	req->seq = ++t->seq;
	if (sb_shape_is_net(sh)) {
		r = add_net(sh, args, &p, end, req);
		if (r < 0)
			return r;
	} else if (sh) {
		for (int i = 0; i < 2; i++) {
			if (sh->path[i] == SB_NOARG)
				continue;
			/* utimensat(fd, NULL, ...) acts on the fd itself: no path. */
			if (nr == SYS_utimensat && args[sh->path[i]] == 0)
				continue;
			r = add_string(&p, end, &req->len[SB_ITEM_PATH0 + i], args[sh->path[i]]);
			if (r < 0)
				return r;
		}
		if (sh->string != SB_NOARG) {
			r = add_string(&p, end, &req->len[SB_ITEM_STRING], args[sh->string]);
			if (r < 0)
				return r;
		}
		if (sh->in_kind != SB_IN_NONE && args[sh->in_arg]) {
			size_t n = sh->in_kind == SB_IN_OPEN_HOW ? (size_t)args[sh->size_arg]
								 : 2 * sizeof(struct timespec);
			if (n > SB_MAX_IN)
				return -E2BIG;
			r = add_item(&p, end, &req->len[SB_ITEM_IN],
				     (const void *)(uintptr_t)args[sh->in_arg], n);
			if (r < 0)
				return r;
		}
	}

	int cpu = slot ? my_cpu() : -1;
	if (slot) {
		/* A hint for the broker: spinning for our next request is useless on our CPU. */
		__atomic_store_n(&slot->client_cpu, cpu >= 0 ? (uint32_t)cpu + 1 : 0,
				 __ATOMIC_RELAXED);
	}
	r = send_msg(ch, t->req, (size_t)(p - t->req));
	if (r < 0)
		return -EIO;
	struct sb_rep *rep = (struct sb_rep *)t->rep;
	r = slot ? wait_slot(t, ch, slot, req->seq, cpu, &fd) : wait_socket(t, ch, req->seq, &fd);
	if (r == -EMFILE)
		return r;
	if (r < 0)
		return -EIO; /* the broker is gone: fail closed */

	if (rep->outlen && sh && sh->out_kind != SB_OUT_NONE) {
		/* Never more than the caller's object, whatever the answer says. */
		size_t cap = rep->outlen;
		if (sh->out_kind == SB_OUT_READLINK && cap > args[sh->size_arg])
			cap = (size_t)args[sh->size_arg];
		if (sh->out_kind == SB_OUT_STAT && cap > sizeof(struct stat))
			cap = sizeof(struct stat);
		if (sh->out_kind == SB_OUT_STATX && cap > sizeof(struct statx))
			cap = sizeof(struct statx);
		if (args[sh->out_arg] == 0)
			return -EFAULT;
		sb_memcpy((void *)(uintptr_t)args[sh->out_arg], t->rep + sizeof(*rep), cap);
	}
	if (rep->flags & SB_REP_FD) {
		if (fd < 0)
			return -EIO;
		if (nr == SYS_chdir) {
			/* The broker checked the directory; move there by the fd, not the name. */
			long r2 = raw(SYS_fchdir, fd, 0, 0, 0, 0, 0);
			raw(SYS_close, fd, 0, 0, 0, 0, 0);
			return r2;
		}
		if (nr == SYS_execve || nr == SYS_execveat)
			return exec_checked(fd, nr == SYS_execve ? args[1] : args[2],
					    nr == SYS_execve ? args[2] : args[3], exec_mask);
		/* Received close-on-exec; keep it only where the program asked for it. */
		if (!(rep->flags & SB_REP_CLOEXEC))
			raw(SYS_fcntl, fd, F_SETFD, 0, 0, 0, 0);
		return fd;
	}
	if (fd >= 0)
		raw(SYS_close, fd, 0, 0, 0, 0, 0);
	if (nr == SYS_sendmmsg && rep->ret >= 0 && (uint32_t)args[2] > 0) {
		/* The broker sent the first message: its length, and one message sent. */
		((struct mmsghdr *)(uintptr_t)args[1])->msg_len = (unsigned)rep->ret;
		return 1;
	}
	return (long)rep->ret;
}

static long trap_call(long nr, const uint64_t args[6], const void *exec_mask)
{
	bool temp;
	int ch = channel(&temp);
	if (ch < 0)
		return -EIO; /* no broker, no access: fail closed */
	long r = call_on(ch, temp ? NULL : sb_thread.slot, nr, args, exec_mask);
	if (temp)
		raw(SYS_close, ch, 0, 0, 0, 0, 0);
	return r;
}

long sb_trap_call(long nr, const uint64_t args[6])
{
	return trap_call(nr, args, NULL);
}

/*
 * Capabilities belong to each thread: sb_sandbox_enter drops its own with libcap, and the broker
 * asks every other thread that still holds one (SB_REQ_PRIVDROP) with a SIGSYS. Lower the
 * bounding set (possible only with CAP_SETPCAP, which comes last), empty the ambient set, then
 * every other set, and set no_new_privs. Each step only lowers; none can fail in a way that
 * leaves more than before.
 */
static void drop_privileges(void)
{
	struct {
		uint32_t version;
		int pid;
	} hdr = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 };
	struct {
		uint32_t effective, permitted, inheritable;
	} data[2];

	for (long cap = 0; cap < 64; cap++)
		if (raw(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0, 0) < 0)
			break; /* EINVAL past the last capability, EPERM without CAP_SETPCAP */
	raw(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0, 0);
	sb_memzero(data, sizeof(data));
	raw(SYS_capset, (long)&hdr, (long)data, 0, 0, 0, 0);
	raw(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
}

void sb_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	int saved_errno = errno;
	uint64_t args[6];

	/* tgkill(2) from the broker: only it can send SI_TKILL with its own pid to us. */
	if (si->si_code == SI_TKILL && sb_privdrop_from > 0 && si->si_pid == sb_privdrop_from) {
		drop_privileges();
		errno = saved_errno;
		return;
	}
	if (si->si_code != SYS_SECCOMP || si->si_arch != SB_AUDIT_ARCH)
		DIE("sysbroker: SIGSYS that is not a seccomp trap of this architecture\n");
	for (unsigned i = 0; i < 6; i++)
		args[i] = sb_uc_arg(uc, i);
	/* The first 64 bits of uc_sigmask are the kernel's sigset_t. */
	sb_uc_set_return(uc, trap_call(sb_si_syscall(si), args, &uc->uc_sigmask));
	errno = saved_errno;
}
