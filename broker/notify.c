/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The notify transport (notify.h), one notification at a time. This file receives and checks
 * the architecture; the decision path (dispatch.c) calls back into the reply below:
 *
 *   RECV -> architecture -> the syscall rules, on the integer arguments the kernel copied
 *        -> notify_prepare: what the call needs opened by pid (/proc/PID/mem where results
 *           are written back, a pidfd for a network call), THEN ID_VALID: each names the
 *           notifying task, not a task that reused its pid
 *        -> notify_fetch: paths, symlink target and input struct copied from the caller's
 *           memory (by pid; notify_fetch_net: the address and bytes, common/netargs.c),
 *           dirfds fetched (pidfd_getfd, the pidfd opened then) or the cwd opened
 *        -> notify_valid: ID_VALID again, so everything read or opened by pid since is the
 *           caller's -> sb_execute -> the audit record -> notify_answer.
 *
 * The caller's memory is read once, into the broker's own buffers, and everything is decided on
 * that copy; the kernel is never told to continue a call whose decision depended on memory the
 * caller can still change, except exec and chdir (see answer()).
 *
 * Arguments are read by pid (process_vm_readv: no fd to open, and no FOLL_FORCE; see mem_read()
 * for where that differs from the kernel's own copy): a read that lands in another process
 * after the caller died is thrown away, since the caller's notification is then gone and the
 * ID_VALID after it fails.
 * Results are written through /proc/PID/mem, opened and validated in prepare, never by pid: by
 * the time the call has been performed the pid may name someone else.
 *
 * Residual: /proc/PID/mem writes like ptrace does (FOLL_FORCE), so a result can land in the
 * caller's read-only mappings where the kernel would answer EFAULT. That only concerns the
 * caller's own memory, which it could change anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "dispatch.h"
#include "macro.h"
#include "proc.h"
#include "netargs.h"
#include "notify.h"
#include "protocol.h"
#include "syscalls.h"

#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1) /* Linux 5.14 */
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9 */
#endif

/* Everything one call needs beyond the stack (and the dispatcher's result), allocated once. */
struct sb_notify_state {
	char path[2][PATH_MAX];
	char string[PATH_MAX];
	_Alignas(8) uint8_t in[SB_MAX_IN];
	uint8_t data[SB_MAX_XATTR]; /* the value a setxattr call sets */
	size_t notif_size; /* bytes of notif[]: the larger of the kernel's and our struct */
	uint64_t notif[];
};

static int get_state(struct sb_dispatch *d, struct sb_notify_state **ret)
{
	if (!d->notify) {
		struct seccomp_notif_sizes sizes = { 0 };
		if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
			return -errno;
		/* RECV writes the kernel's struct, and wants that much zeroed memory. */
		size_t n = sizes.seccomp_notif > sizeof(struct seccomp_notif)
				   ? sizes.seccomp_notif
				   : sizeof(struct seccomp_notif);
		n = (n + sizeof(uint64_t) - 1) & ~(sizeof(uint64_t) - 1);
		struct sb_notify_state *st = calloc(1, sizeof(*st) + n);
		if (!st)
			return -ENOMEM;
		st->notif_size = n;
		d->notify = st;
	}
	*ret = d->notify;
	return 0;
}

void sb_notify_state_free(struct sb_notify_state *st)
{
	free(st);
}

bool sb_notify_id_valid(int listener, uint64_t id)
{
	int r;
	do
		r = ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id);
	while (r < 0 && errno == EINTR);
	return r == 0;
}

int sb_notify_send(int listener, uint64_t id, int64_t ret, uint32_t flags)
{
	struct seccomp_notif_resp resp = { .id = id, .flags = flags };
	int r;

	if (!(flags & SECCOMP_USER_NOTIF_FLAG_CONTINUE)) {
		if (ret < 0)
			resp.error = (int32_t)ret;
		else
			resp.val = ret;
	}
	do
		r = ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	while (r < 0 && errno == EINTR);
	/* ENOENT: the task died or a signal interrupted its call; nobody is waiting. */
	if (r < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/*
 * A pidfd on the calling task. A thread's own where the kernel has them (its fd table and cwd
 * may be its own); before Linux 6.9 its process's, found through /proc/TID/status. Read before
 * ID_VALID, so a reused TID makes the notification invalid rather than naming someone else.
 */
static int open_pidfd(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, PIDFD_THREAD);
	if (fd >= 0 || errno != EINVAL)
		return fd >= 0 ? fd : -errno;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0 || errno != EINVAL)
		return fd >= 0 ? fd : -errno;

	char buf[1024];
	uint64_t tgid = 0;
	ssize_t n = sb_proc_read(pid, "status", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (sb_proc_status_number(buf, "Tgid", 10, &tgid) < 0 || tgid == 0 || tgid > INT32_MAX)
		return -ESRCH;
	fd = (int)syscall(SYS_pidfd_open, (pid_t)tgid, 0);
	return fd >= 0 ? fd : -errno;
}

/*
 * Up to n bytes at addr in the caller, by pid: a short count at an unmapped page, -1 with errno.
 * Read without FOLL_FORCE (unlike /proc/PID/mem): the mapping must have PROT_READ, so a path in
 * PROT_NONE memory is EFAULT, as it is natively. Not quite the kernel's own copy, which goes by
 * what the CPU can read: memory mapped write-only or exec-only (x86 without protection keys), or
 * a VM_IO/VM_PFNMAP mapping such as [vvar], is read natively but EFAULT here. Fails closed,
 * and only on the caller's own odd mappings.
 */
static ssize_t mem_read(pid_t pid, void *buf, size_t n, uint64_t addr)
{
	struct iovec local = { buf, n }, remote = { (void *)(uintptr_t)addr, n };
	return process_vm_readv(pid, &local, 1, &remote, 1, 0);
}

/*
 * A NUL-terminated string of at most PATH_MAX bytes (NUL included) at addr in the caller, read
 * one page at a time as the kernel reads it: a name that ends before an unmapped page is read.
 */
static int read_string(pid_t pid, uint64_t addr, char buf[PATH_MAX])
{
	/* 4 KiB divides every page size: a read never crosses into another page. */
	const uint64_t chunk = 4096;
	size_t got = 0;

	if (!addr)
		return -EFAULT;
	while (got < PATH_MAX) {
		uint64_t at = addr + got;
		if (at < addr)
			return -EFAULT;
		size_t want = (size_t)(chunk - at % chunk);
		if (want > PATH_MAX - got)
			want = PATH_MAX - got;
		ssize_t n = mem_read(pid, buf + got, want, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EFAULT;
		if (memchr(buf + got, 0, (size_t)n))
			return 0;
		got += (size_t)n;
	}
	return -ENAMETOOLONG;
}

int sb_notify_read(pid_t pid, uint64_t addr, void *buf, size_t size)
{
	for (size_t got = 0; got < size;) {
		if (addr + got < addr)
			return -EFAULT;
		ssize_t n = mem_read(pid, (uint8_t *)buf + got, size - got, addr + got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EFAULT;
		got += (size_t)n;
	}
	return 0;
}

static int write_exact(int mem, uint64_t addr, const void *buf, size_t size)
{
	for (size_t put = 0; put < size;) {
		ssize_t n =
			pwrite(mem, (const uint8_t *)buf + put, size - put, (off_t)(addr + put));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || addr + put < addr)
			return -EFAULT;
		put += (size_t)n;
	}
	return 0;
}

/* The value a setxattr call sets (the trap handler's DATA item). */
static int copy_xattr_value(pid_t pid, const struct sb_shape *sh, struct sb_notify_state *st,
			    struct sb_call *call)
{
	uint64_t addr;
	size_t n;
	int r = sb_xattr_value(sh, call->args, call->in, call->in_len, &addr, &n);
	if (r < 0 || n == 0)
		return r;
	r = sb_notify_read(pid, addr, st->data, n);
	if (r < 0)
		return r;
	call->data = st->data;
	call->data_len = n;
	return 0;
}

/* The shape's memory arguments, copied into st; the same items, in the same order, as the trap
 * handler sends (sandboxee/request.h), so both transports answer alike. */
static int copy_args(pid_t pid, const struct sb_shape *sh, struct sb_notify_state *st,
		     struct sb_call *call)
{
	const uint64_t *args = call->args;
	int r;

	for (int i = 0; i < 2; i++) {
		/* No such argument, or a NULL one that acts on the dirfd itself (utimensat). */
		if (sb_shape_no_path(sh, i, args))
			continue;
		r = read_string(pid, args[sh->path[i]], st->path[i]);
		if (r < 0)
			return r;
		call->path[i] = st->path[i];
	}
	if (sh->string != SB_NOARG) {
		r = read_string(pid, args[sh->string], st->string);
		if (r < 0)
			return r;
		call->string = st->string;
	}
	if (sh->in_kind != SB_IN_NONE && sh->in_kind != SB_IN_XATTR_VALUE && args[sh->in_arg]) {
		uint64_t n = sb_shape_in_size(sh, args);
		if (n > SB_MAX_IN)
			return -E2BIG;
		if (sh->in_kind == SB_IN_XATTR_ARGS && n < SB_XATTR_ARGS_SIZE_VER0)
			return -EINVAL;
		r = sb_notify_read(pid, args[sh->in_arg], st->in, (size_t)n);
		if (r < 0)
			return r;
		call->in = n ? st->in : NULL;
		call->in_len = (size_t)n;
	}
	return copy_xattr_value(pid, sh, st, call);
}

/* Turn the executor's result into the answer; res->ret ends up as what the caller sees. */
static int answer(int listener, uint64_t id, int mem, const struct sb_call *call,
		  struct sb_result *res)
{
	const struct sb_shape *sh = call->shape;

	if (res->fd >= 0 && sh->op == SB_OP_EXEC) {
		/*
		 * The one memory-dependent decision we let the kernel carry out: the notify
		 * interface cannot run an exec for the caller (there is no execveat on its behalf,
		 * and the new image would have to replace the caller's). The kernel resolves the
		 * path again, so a racing thread can swap the path (or a symlink in it) between
		 * our check and the exec: the same class as the exec-fd residual in
		 * docs/design.md. Exec is not a boundary against code the program can read anyway,
		 * and no_new_privs means the new image gains no privilege.
		 */
		res->fd = safe_close(res->fd);
		return sb_notify_send(listener, id, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
	}
	if (res->fd >= 0 && sh->op == SB_OP_CHDIR) {
		/*
		 * The kernel changes the directory by the name, which may have been swapped since
		 * we checked it. The cwd is not a boundary: every later path is resolved by the
		 * broker (relative ones from /proc/PID/cwd) and decided on its canonical path, so
		 * standing in another directory grants nothing.
		 */
		res->fd = safe_close(res->fd);
		return sb_notify_send(listener, id, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
	}
	int fl = res->fd >= 0 ? fcntl(res->fd, F_GETFL) : 0;
	if (fl < 0 || (fl & O_PATH)) {
		/*
		 * ADDFD takes the file with fget(), which refuses O_PATH files (EBADF), and letting
		 * the kernel redo the open (CONTINUE) would let a racing thread swap the path after
		 * our check: an O_PATH fd on any file would leak its metadata and symlink target
		 * and could be exec'd through the exec fd's rule. Refuse it; the trap transport,
		 * which passes fds with SCM_RIGHTS, serves O_PATH.
		 */
		res->fd = safe_close(res->fd);
		res->ret = -EOPNOTSUPP;
		return sb_notify_send(listener, id, res->ret, 0);
	}
	if (res->fd >= 0) {
		/* Install and answer in one step: the fd number is the syscall's result. */
		struct seccomp_notif_addfd add = {
			.id = id,
			.flags = SECCOMP_ADDFD_FLAG_SEND,
			.srcfd = (uint32_t)res->fd,
			.newfd_flags = res->cloexec ? O_CLOEXEC : 0,
		};
		int fd;
		do
			fd = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
		while (fd < 0 && errno == EINTR);
		if (fd >= 0) {
			res->ret = fd;
			return 0;
		}
		if (errno == ENOENT)
			return 0;
		/* Not installed (EMFILE...): the notification is still ours to answer. */
		res->ret = -errno;
		int r = sb_notify_send(listener, id, res->ret, 0);
		/* EINPROGRESS: an interrupted ADDFD+SEND already answered it. */
		return r == -EINPROGRESS ? 0 : r;
	}
	if (res->ret >= 0 && res->outlen > 0 && sh->out_kind != SB_OUT_NONE) {
		size_t len = res->outlen < sizeof(res->out) ? res->outlen : sizeof(res->out);
		uint64_t addr = call->args[sh->out_arg];
		/* Never past the caller's buffer. */
		if (sh->out_kind == SB_OUT_READLINK && len > call->args[sh->size_arg])
			len = (size_t)call->args[sh->size_arg];
		if (sh->out_kind == SB_OUT_XATTR_ARGS) {
			/* getxattrat: the buffer named by the struct the decision was made on. */
			struct sb_xattr_args xa = { 0 };
			if (call->in && call->in_len >= sizeof(xa))
				memcpy(&xa, call->in, sizeof(xa));
			addr = xa.value;
			if (len > xa.size)
				len = xa.size;
		}
		if (!addr || write_exact(mem, addr, res->out, len) < 0)
			res->ret = -EFAULT;
	}
	const uint64_t *a = call->args;
	if ((sh->flags & SB_SHAPE_FIRST_MSG) && res->ret >= 0 && (uint32_t)a[sh->size_arg] > 0) {
		/* The first message went: its length into its msg_len, and one message sent. */
		unsigned len = (unsigned)res->ret;
		off_t at = (off_t)(a[sh->in_arg] + offsetof(struct mmsghdr, msg_len));
		res->ret = pwrite(mem, &len, sizeof(len), at) == sizeof(len) ? 1 : -EFAULT;
	}
	return sb_notify_send(listener, id, res->ret, 0);
}

/* A notification's way through the dispatcher (dispatch.h). */
struct notify_reply {
	struct sb_reply rp;
	struct sb_notify_state *st; /* NULL in a detached copy */
	int listener;
	uint64_t id;
	int mem; /* /proc/PID/mem, from prepare when results go back into it; else -1 */
	pid_t pid;
};

/* Whether the answer writes into the caller's memory (answer()), or a network call's might. */
static bool writes_back(const struct sb_shape *sh)
{
	return sh->out_kind != SB_OUT_NONE || (sh->flags & SB_SHAPE_FIRST_MSG) ||
	       sb_shape_is_net(sh);
}

static int notify_prepare(struct sb_reply *rp, const struct sb_call *call)
{
	struct notify_reply *nr = (struct notify_reply *)rp;
	bool net = sb_shape_is_net(call->shape), out = writes_back(call->shape);

	/*
	 * What is opened by pid is validated before it is used: from here it names the caller.
	 * A file call's pidfd waits until a dirfd must be fetched (notify_pidfd); most calls name
	 * absolute paths and need none. The network path uses its pidfd throughout. With nothing
	 * opened there is nothing to check yet: the ID_VALID after the fetch covers what was read.
	 */
	nr->pid = call->pid;
	if (!net && !out)
		return 1;
	if (net)
		rp->pidfd = open_pidfd(call->pid);
	if (out) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/mem", (int)call->pid);
		nr->mem = open(p, O_RDWR | O_CLOEXEC);
	}
	if (!sb_notify_id_valid(nr->listener, nr->id))
		return 0;
	if ((net && rp->pidfd < 0) || (out && nr->mem < 0))
		return -EIO; /* cannot see it: fail closed */
	return 1;
}

/*
 * Opened on first use, and then checked like what prepare opens: pidfd_getfd through it takes a
 * file from its process, which must be the caller and not a process that took its pid after it
 * died (reads by pid are harmless until the ID_VALID after the fetch; taking a file is not).
 */
static int notify_pidfd(struct sb_reply *rp, const struct sb_call *call)
{
	struct notify_reply *nr = (struct notify_reply *)rp;

	if (rp->pidfd >= 0)
		return rp->pidfd;
	int fd = open_pidfd(call->pid);
	if (!sb_notify_id_valid(nr->listener, nr->id)) {
		safe_close(fd);
		return -ESRCH; /* nobody waits for the answer */
	}
	if (fd < 0)
		return -EIO;
	rp->pidfd = fd;
	return fd;
}

static int notify_fetch(struct sb_reply *rp, struct sb_call *call)
{
	struct notify_reply *nr = (struct notify_reply *)rp;
	return copy_args(nr->pid, call->shape, nr->st, call);
}

static int read_mem(void *ctx, uint64_t addr, void *buf, size_t size)
{
	return sb_notify_read(*(const pid_t *)ctx, addr, buf, size);
}

/* The items the trap handler would send (sandboxee/request.h), from the caller's memory. */
static int notify_fetch_net(struct sb_reply *rp, const struct sb_call *call, struct sb_netargs *na,
			    const void *item[2])
{
	struct notify_reply *nr = (struct notify_reply *)rp;
	int r = sb_netargs_copy(call->shape, call->args, read_mem, &nr->pid, na);
	item[0] = na->buf;
	item[1] = na->buf + na->addr_len;
	return r;
}

static bool notify_valid(struct sb_reply *rp)
{
	struct notify_reply *nr = (struct notify_reply *)rp;
	return sb_notify_id_valid(nr->listener, nr->id);
}

static int notify_answer(struct sb_reply *rp, const struct sb_call *call, struct sb_result *res,
			 enum sb_answer how)
{
	struct notify_reply *nr = (struct notify_reply *)rp;
	switch (how) {
	case SB_ANSWER_CONTINUE:
		return sb_notify_send(nr->listener, nr->id, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
	case SB_ANSWER_REFUSE:
		return sb_notify_send(nr->listener, nr->id, res->ret, 0);
	case SB_ANSWER_RESULT:
		break;
	}
	return answer(nr->listener, nr->id, nr->mem, call, res);
}

static void notify_kill(struct sb_reply *rp, const struct sb_call *call)
{
	struct notify_reply *nr = (struct notify_reply *)rp;
	_cleanup_close_ int pidfd = open_pidfd(call->pid);
	if (pidfd >= 0 && sb_notify_id_valid(nr->listener, nr->id))
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

static void notify_free(struct sb_reply *rp)
{
	struct notify_reply *nr = (struct notify_reply *)rp;
	if (!nr)
		return;
	safe_close(nr->listener);
	safe_close(nr->mem);
	safe_close(rp->pidfd);
	free(nr);
}

static int dup_fd(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static const struct sb_reply_ops notify_ops;

/* A waiting call's own: the listener, the memory and the pidfd duplicated. */
static struct sb_reply *notify_detach(struct sb_reply *rp)
{
	const struct notify_reply *from = (const struct notify_reply *)rp;
	struct notify_reply *nr = calloc(1, sizeof(*nr));
	if (!nr)
		return NULL;
	*nr = (struct notify_reply){ .rp = { .ops = &notify_ops, .pidfd = dup_fd(rp->pidfd) },
				     .listener = dup_fd(from->listener),
				     .id = from->id,
				     .mem = dup_fd(from->mem),
				     .pid = from->pid };
	if (nr->listener < 0 || (from->mem >= 0 && nr->mem < 0) ||
	    (rp->pidfd >= 0 && nr->rp.pidfd < 0)) {
		int e = errno;
		notify_free(&nr->rp);
		errno = e;
		return NULL;
	}
	return &nr->rp;
}

static const struct sb_reply_ops notify_ops = {
	.prepare = notify_prepare,
	.fetch = notify_fetch,
	.fetch_net = notify_fetch_net,
	.pidfd = notify_pidfd,
	.valid = notify_valid,
	.answer = notify_answer,
	.kill = notify_kill,
	.detach = notify_detach,
	.waiting = notify_valid,
	.free = notify_free,
	.can_continue = true,
};

int sb_notify_serve(struct sb_dispatch *d, const struct sb_policy *policy, int listener)
{
	struct sb_notify_state *st = NULL;
	int r = get_state(d, &st);
	if (r < 0 || !st)
		return r < 0 ? r : -ENOMEM;

	/* RECV blocks while the filter has users and nothing is pending: look first. */
	struct pollfd pfd = { .fd = listener, .events = POLLIN };
	if (poll(&pfd, 1, 0) < 0)
		return -errno;
	if (pfd.revents & POLLNVAL)
		return -EBADF;
	if (!(pfd.revents & POLLIN))
		return pfd.revents & (POLLHUP | POLLERR) ? -EPIPE : -EAGAIN;

	struct seccomp_notif *n = (struct seccomp_notif *)st->notif;
	memset(n, 0, st->notif_size);
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, n) < 0)
		return errno == ENOENT ? 0 : -errno; /* ENOENT: its task is already gone */

	if (n->data.arch != SB_AUDIT_ARCH)
		return sb_notify_send(listener, n->id, -ENOSYS, 0);

	struct sb_call call = {
		.nr = n->data.nr,
		.pid = (pid_t)n->pid,
		.transport = SB_TRANSPORT_NOTIFY,
		.shape = sb_shape_lookup(n->data.nr),
		.dirfd = { -1, -1 },
	};
	memcpy(call.args, n->data.args, sizeof(call.args));
	struct notify_reply nr = { .rp = { .ops = &notify_ops, .pidfd = -1 },
				   .st = st,
				   .listener = listener,
				   .id = n->id,
				   .mem = -1,
				   .pid = (pid_t)n->pid };
	r = sb_dispatch(d, policy, &call, &nr.rp);
	safe_close(nr.mem);
	safe_close(nr.rp.pidfd);
	return r;
}
