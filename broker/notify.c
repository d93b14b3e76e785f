/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The notify transport (notify.h), one notification at a time:
 *
 *   RECV -> architecture -> the syscall rules, on the integer arguments the kernel copied
 *        -> a pidfd and /proc/PID/mem opened, THEN ID_VALID: both name the notifying task,
 *           not a task that reused its pid
 *        -> paths, symlink target and input struct copied from the caller's memory,
 *           dirfds fetched (pidfd_getfd) or the cwd opened
 *        -> ID_VALID again -> sb_execute -> the answer -> the audit record.
 *
 * The caller's memory is read once, into the broker's own buffers, and everything is decided on
 * that copy; the kernel is never told to continue a call whose decision depended on memory the
 * caller can still change, except exec and chdir (see answer()).
 *
 * Residual: /proc/PID/mem accesses memory like ptrace does (FOLL_FORCE), so it can read memory
 * the caller mapped without PROT_READ and write results into its read-only mappings where the
 * kernel would answer EFAULT. That only concerns the caller's own memory, which it could read
 * or change anyway.
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
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "audit.h"
#include "executor.h"
#include "macro.h"
#include "net.h"
#include "notify.h"
#include "protocol.h"
#include "resolve.h"
#include "syscalls.h"

#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1) /* Linux 5.14 */
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9 */
#endif

/* Everything one call needs beyond the stack, allocated once: the result alone is 12 KiB. */
struct notify_state {
	struct sb_result res;
	char path[2][PATH_MAX];
	char string[PATH_MAX];
	_Alignas(8) uint8_t in[SB_MAX_IN];
	size_t notif_size; /* bytes of notif[]: the larger of the kernel's and our struct */
	uint64_t notif[];
};

static struct notify_state *notify_state;

static int get_state(struct notify_state **ret)
{
	if (!notify_state) {
		struct seccomp_notif_sizes sizes = { 0 };
		if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
			return -errno;
		/* RECV writes the kernel's struct, and wants that much zeroed memory. */
		size_t n = sizes.seccomp_notif > sizeof(struct seccomp_notif)
				   ? sizes.seccomp_notif
				   : sizeof(struct seccomp_notif);
		n = (n + sizeof(uint64_t) - 1) & ~(sizeof(uint64_t) - 1);
		struct notify_state *st = calloc(1, sizeof(*st) + n);
		if (!st)
			return -ENOMEM;
		st->notif_size = n;
		notify_state = st;
	}
	*ret = notify_state;
	return 0;
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

	char p[64], buf[1024];
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	_cleanup_close_ int sfd = open(p, O_RDONLY | O_CLOEXEC);
	if (sfd < 0)
		return -errno;
	ssize_t n = read(sfd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	const char *t = strstr(buf, "\nTgid:");
	int tgid = t ? atoi(t + 6) : 0;
	if (tgid <= 0)
		return -ESRCH;
	fd = (int)syscall(SYS_pidfd_open, tgid, 0);
	return fd >= 0 ? fd : -errno;
}

/* A NUL-terminated string of at most PATH_MAX bytes (NUL included) at addr in the caller. */
static int read_string(int mem, uint64_t addr, char buf[PATH_MAX])
{
	size_t got = 0;

	if (!addr)
		return -EFAULT;
	while (got < PATH_MAX) {
		if (addr + got < addr)
			return -EFAULT;
		/* Short at an unmapped page; the next read there fails. */
		ssize_t n = pread(mem, buf + got, PATH_MAX - got, (off_t)(addr + got));
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

int sb_notify_read(int mem, uint64_t addr, void *buf, size_t size)
{
	for (size_t got = 0; got < size;) {
		if (addr + got < addr)
			return -EFAULT;
		ssize_t n = pread(mem, (uint8_t *)buf + got, size - got, (off_t)(addr + got));
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

/* The shape's memory arguments, copied into st; the same items, in the same order, as the trap
 * handler sends (sandboxee/handler.c), so both transports answer alike. */
static int copy_args(int mem, const struct sb_shape *sh, struct notify_state *st,
		     struct sb_call *call)
{
	const uint64_t *args = call->args;
	int r;

	for (int i = 0; i < 2; i++) {
		if (sh->path[i] == SB_NOARG)
			continue;
		/* utimensat(fd, NULL, ...) acts on the fd itself: no path. */
		if (call->nr == SYS_utimensat && args[sh->path[i]] == 0)
			continue;
		r = read_string(mem, args[sh->path[i]], st->path[i]);
		if (r < 0)
			return r;
		call->path[i] = st->path[i];
	}
	if (sh->string != SB_NOARG) {
		r = read_string(mem, args[sh->string], st->string);
		if (r < 0)
			return r;
		call->string = st->string;
	}
	if (sh->in_kind != SB_IN_NONE && args[sh->in_arg]) {
		uint64_t n = sh->in_kind == SB_IN_OPEN_HOW ? args[sh->size_arg]
							   : 2 * sizeof(struct timespec);
		if (n > SB_MAX_IN)
			return -E2BIG;
		r = sb_notify_read(mem, args[sh->in_arg], st->in, (size_t)n);
		if (r < 0)
			return r;
		call->in = n ? st->in : NULL;
		call->in_len = (size_t)n;
	}
	return 0;
}

/* Turn the executor's result into the answer; res->ret ends up as what the caller sees. */
static int answer(int listener, uint64_t id, int mem, const struct sb_call *call,
		  struct sb_result *res)
{
	const struct sb_shape *sh = call->shape;
	int nr = call->nr;

	if (res->fd >= 0 && (nr == SYS_execve || nr == SYS_execveat)) {
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
	if (res->fd >= 0 && nr == SYS_chdir) {
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
		if (!addr || write_exact(mem, addr, res->out, len) < 0)
			res->ret = -EFAULT;
	}
	return sb_notify_send(listener, id, res->ret, 0);
}

static void call_close(struct sb_call *call)
{
	call->dirfd[0] = safe_close(call->dirfd[0]);
	call->dirfd[1] = safe_close(call->dirfd[1]);
}

/* A call the syscall rules decide alone, or a brokered call the executor does not serve. */
static int serve_by_rule(const struct sb_policy *policy, int listener, uint64_t id,
			 const struct sb_decision *sd, const struct sb_call *call,
			 struct sb_result *res, int log_fd)
{
	uint32_t flags = 0;
	int r;
	struct sb_decision d = *sd;

	sb_result_reset(res, sd);
	if (d.verdict != SB_BROKER)
		sb_syscall_carry(policy, call->nr, call->args, &d, res);
	sd = &d;
	switch (sd->verdict) {
	case SB_ALLOW:
		/* Decided on the integer arguments the kernel copied: nothing the caller can
		 * change afterwards was looked at, so the kernel may run the call itself. */
		flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		break;
	case SB_DENY:
		res->ret = -(sd->err ? sd->err : EPERM);
		break;
	case SB_KILL: {
		_cleanup_close_ int pidfd = open_pidfd(call->pid);
		if (pidfd >= 0 && sb_notify_id_valid(listener, id))
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		res->ret = -EPERM;
		break;
	}
	case SB_BROKER:
		/* Brokered, but not a call the broker can make for someone else (network
		 * calls, path calls outside the executor's list). */
		res->ret = -ENOSYS;
		break;
	}
	/* The record first: it is on disk before the program can act on the answer. */
	if (sb_audit_wanted(res, sd->log) && log_fd >= 0)
		sb_audit_write(log_fd, call, res);
	r = sb_notify_send(listener, id, res->ret, flags);
	return r;
}

int sb_notify_serve(const struct sb_policy *policy, int listener, int log_fd)
{
	struct notify_state *st = NULL;
	char p[64];
	int r = get_state(&st);
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

	const uint64_t id = n->id;
	if (n->data.arch != SB_AUDIT_ARCH)
		return sb_notify_send(listener, id, -ENOSYS, 0);

	_cleanup_(call_close) struct sb_call call = {
		.nr = n->data.nr,
		.pid = (pid_t)n->pid,
		.transport = SB_TRANSPORT_NOTIFY,
		.dirfd = { -1, -1 },
	};
	memcpy(call.args, n->data.args, sizeof(call.args));
	struct sb_result *res = &st->res;

	/* The kernel rules first, exactly as the trap transport applies them. */
	struct sb_decision sd;
	sb_policy_eval_syscall(policy, call.nr, call.args, &sd);
	call.shape = sb_shape_lookup(call.nr);
	if (sd.verdict != SB_BROKER || !call.shape)
		return serve_by_rule(policy, listener, id, &sd, &call, res, log_fd);

	/* Both opened by pid, then validated: from here they name the caller. */
	_cleanup_close_ int pidfd = open_pidfd(call.pid);
	snprintf(p, sizeof(p), "/proc/%d/mem", (int)call.pid);
	_cleanup_close_ int mem = open(p, O_RDWR | O_CLOEXEC);
	if (!sb_notify_id_valid(listener, id))
		return 0;
	if (pidfd < 0 || mem < 0)
		return sb_notify_send(listener, id, -EIO,
				      0); /* cannot see its memory: fail closed */
	if (sb_shape_is_net(call.shape))
		return sb_net_serve_notify(policy, listener, id, pidfd, mem, &call, &sd, log_fd);

	r = copy_args(mem, call.shape, st, &call);
	for (int i = 0; i < 2 && r == 0; i++) {
		const struct sb_shape *sh = call.shape;
		bool has_dirfd = sh->dirfd[i] != SB_NOARG;
		if (sh->path[i] == SB_NOARG)
			continue;
		r = sb_relative_base(call.pid, pidfd, call.path[i], has_dirfd,
				     has_dirfd ? call.args[sh->dirfd[i]] : 0, &call.dirfd[i]);
	}
	if (r < 0)
		return sb_notify_send(listener, id, r, 0);
	/* The cwd was opened by pid too, and the copies must be the caller's: check again. */
	if (!sb_notify_id_valid(listener, id))
		return 0;

	sb_result_reset(res, &sd);
	sb_execute(policy, &call, res);
	/*
	 * The record first, as over the trap. It says what was decided; a failure to deliver the
	 * answer afterwards (the caller's buffer unwritable, its fd table full) is the caller's.
	 */
	if (sb_audit_wanted(res, sd.log) && log_fd >= 0)
		sb_audit_write(log_fd, &call, res);
	r = answer(listener, id, mem, &call, res);
	res->fd = safe_close(res->fd);
	return r;
}
