/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Installing the trap path: handler, runtime rules, filters. Not signal context. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "compile.h"
#include "handler.h"
#include "protocol.h"
#include "macro.h"
#include "runtime.h"

int sb_trap_enter(const struct sb_policy *policy, int ctrl_fd)
{
	struct sb_plan *plan = NULL;
	scmp_filter_ctx main_ctx = NULL, guard_ctx = NULL;
	struct sigaction sa = { .sa_sigaction = sb_sigsys, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct sigaction old;
	int r;

	if (!policy || ctrl_fd < 0)
		return -EINVAL;
	struct sb_policy copy;
	_cleanup_free_ struct sb_sysrule *sys = NULL;
	int nextra = sb_policy_with_runtime(policy, true, &copy, &sys);
	if (nextra < 0)
		return nextra;
	const struct sb_sysrule *extra = sys + policy->nsys;

	r = sb_plan_build_for(&copy, true, &plan);
	/*
	 * Over the trap the broker can refuse a call but not make an arbitrary syscall for the
	 * caller, and a syscall the handler makes must never trap. So every syscall whose
	 * arguments only the broker could judge must be one the broker serves (a path call), and
	 * none of the handler's own.
	 */
	for (size_t i = 0; r == 0 && plan && i < plan->nsys; i++) {
		const struct sb_plan_sys *ps = &plan->sys[i];
		bool runtime = false;
		for (size_t k = 0; k < (size_t)nextra; k++)
			runtime = runtime || extra[k].nr == ps->nr;
		if (ps->how == SB_PLAN_EVALUATE &&
		    (runtime || sb_syscall_brokered(ps->nr) == SB_BROKERED_NO))
			r = -EOPNOTSUPP;
	}
	if (r == 0)
		r = sb_plan_filter(plan, false, SCMP_ACT_TRAP, &main_ctx);
	if (r == 0)
		r = sb_plan_filter(plan, true, SCMP_ACT_TRAP, &guard_ctx);
	sb_plan_free(plan);
	if (r < 0)
		goto out;

	/* Every signal blocked while the handler runs: it owns this thread's buffers. */
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, &old) < 0) {
		r = -errno;
		goto out;
	}
	sb_ctrl_fd = ctrl_fd;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		goto restore;
	}
	/* The guard first: the main filter may refuse seccomp(2) itself. */
	r = guard_ctx ? seccomp_load(guard_ctx) : 0;
	if (r == 0)
		r = seccomp_load(main_ctx);
	if (r == 0)
		goto out;
restore:
	sigaction(SIGSYS, &old, NULL);
	sb_ctrl_fd = -1;
out:
	seccomp_release(main_ctx);
	seccomp_release(guard_ctx);
	return r;
}
