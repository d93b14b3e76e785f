/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `sysbroker run`: the sandboxee's side of the fork (fds, directory, user, capabilities,
 * no_new_privs, the three filters, exec) and the launcher's side of its report.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "compile.h"
#include "launch.h"
#include "macro.h"
#include "run.h"

/* Report a failure before exec to the launcher (one line on the status pipe) and exit. */
__attribute__((noreturn, format(printf, 2, 3))) static void child_fail(int pipe_w, const char *fmt,
								       ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + 1, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	buf[0] = 'E';
	if (n > 0) {
		size_t len = (size_t)n + 1 < sizeof(buf) ? (size_t)n + 1 : sizeof(buf);
		if (write(pipe_w, buf, len) < 0) {
			/* The launcher sees the exit status anyway. */
		}
	}
	_exit(EXIT_FAIL);
}

/* Close every descriptor from 3 up but keep1 and keep2 (either may be -1). */
static void close_except(int keep1, int keep2)
{
	unsigned lo = 3;
	int k[2] = { keep1 < keep2 ? keep1 : keep2, keep1 < keep2 ? keep2 : keep1 };
	for (int i = 0; i < 2; i++) {
		if (k[i] < (int)lo)
			continue;
		if ((unsigned)k[i] > lo)
			close_range(lo, (unsigned)k[i] - 1, 0);
		lo = (unsigned)k[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

__attribute__((noreturn)) void child_main(struct child_args *a)
{
	char msg[32];

	/*
	 * The signals as sysbroker's invoker left them, as an exec without the sandbox would pass
	 * them on: sysbroker sets no handler before this fork, only its mask, and SIGCHLD back to
	 * default for itself (nohup's ignored SIGHUP, an ignored SIGCHLD, a blocked signal: all
	 * reach the program).
	 */
	if (a->chld_ign)
		signal(SIGCHLD, SIG_IGN);
	sigprocmask(SIG_SETMASK, &a->mask, NULL);
	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(a->pipe_w, "PR_SET_PDEATHSIG: %s", strerror(errno));

	/*
	 * Only stdin, stdout, stderr and the control socket reach the program: any other fd
	 * sysbroker inherited (an open file, a socket) would hand it access the policy never
	 * granted. Close-on-exec rather than closed: the status pipe is still needed.
	 */
	if (a->ctrl >= 3) {
		if (a->ctrl > 3)
			close_range(3, (unsigned)a->ctrl - 1, CLOSE_RANGE_CLOEXEC);
		close_range((unsigned)a->ctrl + 1, ~0U, CLOSE_RANGE_CLOEXEC);
	} else {
		close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	}
	if (a->o->cwd && chdir(a->o->cwd) < 0)
		child_fail(a->pipe_w, "cannot change directory to %s: %s", a->o->cwd,
			   strerror(errno));
	/*
	 * The resource limits, while this process may still raise a hard limit (root's
	 * CAP_SYS_RESOURCE, gone with the uid change and the capability drop below). A nofile
	 * limit counts descriptors by number: sysbroker's own, close-on-exec above, would leave
	 * the seccomp listener none below a small limit, so they are closed, but for the status
	 * pipe and the control socket.
	 */
	if (a->o->limits[RLIMIT_NOFILE].set)
		close_except(a->pipe_w, a->ctrl);
	int res;
	int e = sb_rlimits_apply(a->o->limits, &res);
	if (e < 0)
		child_fail(a->pipe_w, "cannot set limit %s: %s", sb_rlimit_name(res), strerror(-e));
	/*
	 * What we were given, whatever our uid, made usable; then the bounding set, before the uid
	 * changes (after it, CAP_SETPCAP is gone). Without CAP_SETPCAP it stays as it is: the empty
	 * sets below and no_new_privs are what keep an exec from gaining anything
	 * (docs/threat-model.md).
	 */
	e = caps_raise();
	if (e == 0)
		e = caps_bound_to(NULL, 0);
	if (e < 0)
		child_fail(a->pipe_w, "cannot shrink the bounding set: %s", strerror(-e));
	if (a->as_user) {
		if (setgroups((size_t)a->ngroups, a->groups) < 0 ||
		    setresgid(a->gid, a->gid, a->gid) < 0 || setresuid(a->uid, a->uid, a->uid) < 0)
			child_fail(a->pipe_w, "cannot become uid %u: %s", (unsigned)a->uid,
				   strerror(errno));
		/*
		 * Changing uid made us non-dumpable, which hands /proc/PID to root: the broker,
		 * acting with the user's fsuid, could not read our memory. Dumpable is what any
		 * process of that user is.
		 */
		if (prctl(PR_SET_DUMPABLE, 1) < 0)
			child_fail(a->pipe_w, "PR_SET_DUMPABLE: %s", strerror(errno));
	}
	/* Every capability of every other set, held or not. */
	e = caps_keep(NULL, 0);
	if (e < 0)
		child_fail(a->pipe_w, "cannot drop capabilities: %s", strerror(-e));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(a->pipe_w, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	/* Landlock before the filters: their direct-try prefix is safe only under its domain. */
	if (a->kg)
		kg_child(a->kg, &a->main, a->envp, a->pipe_w);

	/*
	 * The listener lands on the lowest free fd. Tell the launcher which one it will be before
	 * loading: after loading, sending it would take a syscall the filter may send to the
	 * broker, which does not have the listener yet. The launcher fetches it with pidfd_getfd
	 * once this pipe is closed; close(2) is one of the runtime's own kernel rules.
	 */
	int probe = fcntl(a->pipe_w, F_DUPFD_CLOEXEC, 0);
	if (probe < 0)
		child_fail(a->pipe_w, "fcntl: %s%s", strerror(errno),
			   errno == EMFILE && a->o->limits[RLIMIT_NOFILE].set
				   ? " (the nofile limit leaves no descriptor for the seccomp "
				     "listener)"
				   : "");
	close(probe);
	int n = snprintf(msg, sizeof(msg), "L%d", probe);
	if (write(a->pipe_w, msg, (size_t)n + 1) < 0)
		_exit(EXIT_FAIL);
	/* The launcher's and the guard first: the main filter may refuse seccomp(2) itself. */
	int r = seccomp_load(a->launcher);
	if (r == 0 && a->guard)
		r = seccomp_load(a->guard);
	if (r == 0)
		r = sb_program_load(&a->main, SECCOMP_FILTER_FLAG_NEW_LISTENER);
	if (r < 0)
		child_fail(a->pipe_w, "cannot load the seccomp filter: %s", strerror(-r));
	if (r != probe)
		_exit(EXIT_FAIL); /* the launcher says what went wrong */
	close(a->pipe_w);

	execve(a->prog, a->o->argv, a->envp);
	/*
	 * Checked by the broker, then failed in the kernel (E2BIG: the sandbox's variables took
	 * the arguments over the limit; ENOEXEC; ETXTBSY...) or refused by the policy. The status
	 * pipe is gone: say it on stderr (write(2) is one of runtime.policy's rules; a policy
	 * without it loses only the message).
	 */
	int err = errno;
	char m[PATH_MAX + 160];
	int k = snprintf(m, sizeof(m), "sysbroker run: cannot execute %s: %s\n", a->prog,
			 strerror(err));
	if (k > 0)
		(void)!write(STDERR_FILENO, m, (size_t)k < sizeof(m) ? (size_t)k : sizeof(m) - 1);
	_exit(err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

bool is_listener(int fd)
{
	char p[64], link[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = 0;
	return strcmp(link, "anon_inode:seccomp notify") == 0;
}

int take_listener(int pipe_r, pid_t child, int *pidfd, int *kg)
{
	char buf[600];
	size_t got = 0, skip = 0;
	for (;;) {
		ssize_t k = read(pipe_r, buf + got, sizeof(buf) - 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
		if (got >= sizeof(buf) - 1)
			break;
	}
	buf[got] = 0;
	if (got > 1 && buf[0] == 'K') {
		*kg = atoi(buf + 1);
		skip = strlen(buf) + 1;
		got -= skip < got ? skip : got;
		memmove(buf, buf + skip, got + 1);
	}
	int listener_no = -1;
	if (got > 1 && buf[0] == 'L')
		listener_no = atoi(buf + 1);
	const char *tail = got > 0 ? buf + strlen(buf) + 1 : buf;
	if (tail < buf + got && tail[0] == 'E') {
		say("%s", tail + 1);
		return -1;
	}
	if (got > 0 && buf[0] == 'E') {
		say("%s", buf + 1);
		return -1;
	}
	*pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	int listener = listener_no >= 0 && *pidfd >= 0
			       ? (int)syscall(SYS_pidfd_getfd, *pidfd, listener_no, 0)
			       : -1;
	if (listener < 0 || !is_listener(listener)) {
		say("cannot take over the sandbox's seccomp listener: %s",
		    listener < 0 ? strerror(errno) : "not a listener");
		safe_close(listener);
		return -1;
	}
	fcntl(listener, F_SETFD, FD_CLOEXEC);
	return listener;
}
