/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Brokering one trapped syscall: the request (request.h) on this thread's channel (channel.c),
 * the wait for the answer (wait.h), and the answer made the syscall's result: the data copied
 * out, an fd kept, a directory entered or a checked file executed. Signal context with every
 * signal blocked: raw syscalls, the thread's own buffers, no locks, no allocation. The handler
 * is a convenience, never a boundary: the broker trusts nothing it sends.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "channel.h"
#include "handler.h"
#include "protocol.h"
#include "raw.h"
#include "request.h"
#include "syscalls.h"
#include "wait.h"

long sb_spin_iters;
long sb_spin_polls;

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

static long call_on(int ch, struct sb_slot *slot, long nr, const uint64_t args[6],
		    const void *exec_mask)
{
	const struct sb_shape *sh = sb_shape_lookup(nr);
	struct sb_thread *t = &sb_thread;
	uint64_t seq = ++t->seq;
	long r;
	int fd;

	/* Network calls may be answered later, from the broker's workers: on the socket. */
	if (sb_shape_is_net(sh))
		slot = NULL;
	long len = sb_request_build(t->req, sizeof(t->req), sh, nr, args, slot != NULL, seq);
	if (len < 0)
		return len;

	int cpu = slot ? sb_my_cpu() : -1;
	if (slot) {
		/* A hint for the broker: spinning for our next request is useless on our CPU. */
		__atomic_store_n(&slot->client_cpu, cpu >= 0 ? (uint32_t)cpu + 1 : 0,
				 __ATOMIC_RELAXED);
	}
	r = sb_channel_send(ch, t->req, (size_t)len);
	if (r < 0)
		return -EIO;
	struct sb_rep *rep = (struct sb_rep *)t->rep;
	r = slot ? sb_wait_slot(t, ch, slot, seq, cpu, &fd) : sb_wait_socket(t, ch, seq, &fd);
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
		if (sh->out_kind == SB_OUT_STATFS && cap > sizeof(struct statfs))
			cap = sizeof(struct statfs);
		uint64_t to = args[sh->out_arg];
		if (sh->out_kind == SB_OUT_XATTR_ARGS) {
			/* getxattrat: the buffer the caller's struct xattr_args names. */
			const struct sb_xattr_args *xa = (const void *)(uintptr_t)to;
			to = xa ? xa->value : 0;
			if (xa && cap > xa->size)
				cap = xa->size;
		}
		if (to == 0)
			return -EFAULT;
		sb_memcpy((void *)(uintptr_t)to, t->rep + sizeof(*rep), cap);
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

long sb_trap_call_masked(long nr, const uint64_t args[6], const void *exec_mask)
{
	bool temp;
	int ch = sb_channel_for_call(&temp);
	if (ch < 0)
		return -EIO; /* no broker, no access: fail closed */
	long r = call_on(ch, temp ? NULL : sb_thread.slot, nr, args, exec_mask);
	if (temp)
		raw(SYS_close, ch, 0, 0, 0, 0, 0);
	return r;
}

long sb_trap_call(long nr, const uint64_t args[6])
{
	return sb_trap_call_masked(nr, args, NULL);
}
