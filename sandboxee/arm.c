/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Arming the trap path with ready-made programs: the handler, then the filters. Not signal
 * context. Needs neither libseccomp nor the policy layer, so that the preloaded runtime can link
 * it (sb_trap_enter, in enter.c, builds its filters itself).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <unistd.h>

#include "handler.h"
#include "runtime.h"

/* SYSBROKER_SPIN_POLLS=N overrides how often the handler polls before it sleeps (handler.h). */
void sb_spin_setup(void)
{
	const char *e = getenv("SYSBROKER_SPIN_POLLS");
	char *end;
	long n;

	if (!e || !*e)
		return;
	errno = 0;
	n = strtol(e, &end, 10);
	if (errno == 0 && *end == 0 && n >= 0 && n <= 1000000)
		sb_spin_polls = (int)n;
}

static int load(const struct sock_fprog *prog)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0 ? -errno : 0;
}

int sb_trap_arm(int ctrl_fd, const struct sock_fprog *main, const struct sock_fprog *guard)
{
	struct sigaction sa = { .sa_sigaction = sb_sigsys, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct sigaction old;
	int old_fd = sb_ctrl_fd;
	int r;

	if (ctrl_fd < 0 || !main || main->len == 0 || !main->filter ||
	    (guard && guard->len > 0 && !guard->filter))
		return -EINVAL;
	/* Every signal blocked while the handler runs: it owns this thread's buffers. */
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, &old) < 0)
		return -errno;
	sb_ctrl_fd = ctrl_fd;
	sb_spin_setup();
	/* The guard first: the main program may refuse seccomp(2) itself. */
	r = guard && guard->len > 0 ? load(guard) : 0;
	if (r == 0)
		r = load(main);
	if (r == 0)
		return 0;
	/* Best effort: a guard that is in place may refuse it (see runtime.h). */
	sigaction(SIGSYS, &old, NULL);
	sb_ctrl_fd = old_fd;
	return r;
}
