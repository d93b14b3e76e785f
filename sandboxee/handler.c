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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "handler.h"
#include "protocol.h"
#include "shape.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp trap; only <asm-generic/siginfo.h> names it */
#endif

int sb_ctrl_fd = -1;
int sb_privdrop_from;
int sb_spin_polls = SB_SPIN_POLLS_DEFAULT;

/* One channel per thread. Initial-exec TLS is allocated with the thread, never lazily. */
struct sb_thread {
	int fd_plus1; /* 0: no channel yet */
	long tid;     /* the thread that made the channel; differs after fork */
	dev_t dev;    /* the channel socket's identity, to tell it from a reused fd number */
	ino_t ino;
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

/* Receive one reply; *ret_fd gets a passed fd (close-on-exec) or -1. */
static long recv_reply(int fd, void *buf, size_t size, int *ret_fd, bool poll)
{
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	long n;

	*ret_fd = -1;
	do
		n = raw(SYS_recvmsg, fd, (long)&mh, MSG_CMSG_CLOEXEC | (poll ? MSG_DONTWAIT : 0), 0,
			0, 0);
	while (n == -EINTR);
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			sb_memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return -EPROTO;
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

static void reclaim(void)
{
	long pid = raw(SYS_getpid, 0, 0, 0, 0, 0, 0);
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
 * This thread's channel, made on first use (and again in a forked child). The broker makes the
 * socketpair and hands one end back on the control socket; the request is a plain send, so the
 * kernel filter needs no rule that trusts an fd number. Replies on the control socket are
 * interchangeable (each carries a fresh channel, bound to whichever process uses it first), so
 * threads and processes that share it may take each other's without harm.
 */
static int channel(void)
{
	struct sb_thread *t = &sb_thread;
	long tid = raw(SYS_gettid, 0, 0, 0, 0, 0, 0);
	struct stat st;
	int fd;

	if (t->fd_plus1 && t->tid == tid)
		return t->fd_plus1 - 1;
	/*
	 * Made by another thread: our parent's before a fork (close the inherited copy), or a
	 * vfork child's, which wrote into our memory but never into our fd table (then the
	 * number may be one of the program's own fds: close it only if it is that socket).
	 */
	if (t->fd_plus1 && raw(SYS_fstat, t->fd_plus1 - 1, (long)&st, 0, 0, 0, 0) == 0 &&
	    st.st_dev == t->dev && st.st_ino == t->ino)
		raw(SYS_close, t->fd_plus1 - 1, 0, 0, 0, 0, 0);
	t->fd_plus1 = 0;
	if (sb_ctrl_fd < 0)
		return -ENOTCONN;
	reclaim();

	struct sb_req req;
	sb_memzero(&req, sizeof(req));
	req.magic = SB_PROTO_MAGIC_REQ;
	req.version = SB_PROTO_VERSION;
	req.type = SB_REQ_CHANNEL;
	req.arch = SB_AUDIT_ARCH;
	long r = send_msg(sb_ctrl_fd, &req, sizeof(req));
	if (r < 0)
		return (int)r;
	struct sb_rep *rep = (struct sb_rep *)t->rep;
	r = recv_reply(sb_ctrl_fd, t->rep, sizeof(t->rep), &fd, false);
	if (r == 0)
		r = -ECONNRESET;
	else if (r > 0 && ((size_t)r != sizeof(*rep) || rep->magic != SB_PROTO_MAGIC_REP ||
			   rep->ret != 0 || fd < 0))
		r = -EPROTO;
	if (r < 0) {
		if (fd >= 0)
			raw(SYS_close, fd, 0, 0, 0, 0, 0);
		return (int)r;
	}
	if (raw(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) == 0) {
		t->dev = st.st_dev;
		t->ino = st.st_ino;
		track(tid, fd, st.st_dev, st.st_ino);
	}
	t->fd_plus1 = fd + 1;
	t->tid = tid;
	return fd;
}

/*
 * Outside signal context too: the preloaded runtime asks for its filter on the thread's channel
 * before the trap is armed, so that the first trap finds the channel made.
 */
int sb_channel_get(void)
{
	return channel();
}

void sb_channel_close(void)
{
	struct sb_thread *t = &sb_thread;
	long tid = raw(SYS_gettid, 0, 0, 0, 0, 0, 0);
	int fd = t->fd_plus1 - 1;

	if (!t->fd_plus1 || t->tid != tid)
		return;
	/* Forget its slot: only this thread writes slots that hold its tid. */
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

static long trap_call(long nr, const uint64_t args[6], const void *exec_mask)
{
	const struct sb_shape *sh = sb_shape_lookup(nr);
	struct sb_thread *t = &sb_thread;
	struct sb_req *req = (struct sb_req *)t->req;
	uint8_t *p = t->req + sizeof(*req), *end = t->req + sizeof(t->req);
	long r;
	int fd;

	int ch = channel();
	if (ch < 0)
		return -EIO; /* no broker, no access: fail closed */

	sb_memzero(req, sizeof(*req));
	req->magic = SB_PROTO_MAGIC_REQ;
	req->version = SB_PROTO_VERSION;
	req->type = SB_REQ_SYSCALL;
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

	r = send_msg(ch, t->req, (size_t)(p - t->req));
	if (r < 0)
		return -EIO;
	struct sb_rep *rep = (struct sb_rep *)t->rep;
	for (int polls = sb_spin_polls;;) {
		r = recv_reply(ch, t->rep, sizeof(t->rep), &fd, polls > 0);
		if (r == -EAGAIN && polls > 0) {
			polls--;
			raw(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
			continue;
		}
		if (r <= 0)
			return -EIO; /* the broker is gone: fail closed */
		if ((size_t)r < sizeof(*rep) || rep->magic != SB_PROTO_MAGIC_REP ||
		    rep->outlen > (size_t)r - sizeof(*rep)) {
			if (fd >= 0)
				raw(SYS_close, fd, 0, 0, 0, 0, 0);
			return -EIO;
		}
		if (rep->seq == req->seq)
			break;
		/* A stale reply (a request abandoned earlier): drop it. */
		if (fd >= 0)
			raw(SYS_close, fd, 0, 0, 0, 0, 0);
	}

	if (rep->outlen && sh && sh->out_kind != SB_OUT_NONE) {
		size_t cap = rep->outlen;
		if (sh->out_kind == SB_OUT_READLINK && cap > args[sh->size_arg])
			cap = (size_t)args[sh->size_arg];
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
