/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Installing the trap path: handler, runtime rules, filters. Not signal context. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <stdint.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "compile.h"
#include "arm.h"
#include "handler.h"
#include "protocol.h"
#include "macro.h"
#include "runtime.h"

void sb_trap_filters_release(struct sb_trap_filters *f)
{
	if (!f)
		return;
	free(f->main.filter);
	if (f->guard)
		seccomp_release(f->guard);
	free(f->eff_rules);
	*f = (struct sb_trap_filters){ 0 };
}

int sb_trap_build(const struct sb_policy *policy, const struct sb_trap_opts *o,
		  struct sb_trap_filters *ret)
{
	struct sb_trap_filters f = { 0 };
	struct sb_plan *plan = NULL;
	struct sb_runtime_mode mode = o->mode;
	int r;

	if (!policy || !ret)
		return -EINVAL;
	mode.for_trap = true;
	mode.checked_exec = true; /* no notify filter behind this one: the handler execs */
	int nextra = sb_policy_with_runtime_for(policy, &mode, &f.eff, &f.eff_rules);
	if (nextra < 0)
		return nextra;
	const struct sb_sysrule *extra = f.eff_rules + policy->nsys;

	r = sb_plan_build_for(&f.eff, true, &plan);
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
		r = sb_plan_program(plan, false, SCMP_ACT_TRAP, &f.main);
	if (r == 0)
		r = sb_plan_filter(plan, true, SCMP_ACT_TRAP, &f.guard);
	/* Every thread of the process, or none: the load fails (ESRCH) if one cannot follow. */
	if (r == 0 && o->tsync && f.guard)
		r = seccomp_attr_set(f.guard, SCMP_FLTATR_CTL_TSYNC, 1);
	sb_plan_free(plan);
	if (r < 0) {
		sb_trap_filters_release(&f);
		return r;
	}
	*ret = f;
	return 0;
}

int sb_trap_install(const struct sb_trap_filters *f, int ctrl_fd, const struct sb_trap_opts *o)
{
	struct sigaction sa = { .sa_sigaction = sb_sigsys, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct sigaction old;
	int old_fd = sb_ctrl_fd;
	bool had_channel = false, mapped = false;
	int r;

	if (!f || !f->main.len || (o->handler && ctrl_fd < 0))
		return -EINVAL;
	if (o->handler) {
		/* Every signal blocked while the handler runs: it owns this thread's buffers. */
		sigfillset(&sa.sa_mask);
		if (sigaction(SIGSYS, &sa, &old) < 0)
			return -errno;
		sb_ctrl_fd = ctrl_fd;
		sb_spin_setup();
		had_channel = sb_channel_cached();
		mapped = sb_region_setup();
	}
	if (o->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		goto restore;
	}
	/* The guard first: the main filter may refuse seccomp(2) itself. */
	r = f->guard ? seccomp_load(f->guard) : 0;
	if (r == 0) {
		unsigned flags =
			o->tsync ? SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH : 0;
		r = sb_program_load(&f->main, flags);
		/* Without TSYNC_ESRCH (before Linux 5.7) the kernel names the thread instead. */
		if (r > 0)
			r = -ESRCH;
	}
	if (r == 0)
		return 0;
restore:
	if (o->handler) {
		/* The reply slots and the channel asked for them: gone again. */
		if (mapped)
			sb_region_drop();
		if (!had_channel)
			sb_channel_close();
		sigaction(SIGSYS, &old, NULL);
		sb_ctrl_fd = old_fd;
	}
	return r;
}

int sb_trap_enter(const struct sb_policy *policy, int ctrl_fd)
{
	const struct sb_trap_opts o = { .handler = true, .no_new_privs = true };
	struct sb_trap_filters f;

	if (!policy || ctrl_fd < 0)
		return -EINVAL;
	int r = sb_trap_build(policy, &o, &f);
	if (r < 0)
		return r;
	r = sb_trap_install(&f, ctrl_fd, &o);
	sb_trap_filters_release(&f);
	return r;
}
