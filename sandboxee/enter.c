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

/*
 * What the handler itself needs from the kernel, above every policy rule. None of it reaches
 * beyond the sandbox: a send without an address goes where the socket is already connected
 * (connect is brokered), receiving and closing are harmless, and SIGSYS can be neither replaced
 * nor ignored (blocking it only gets the process killed at its next trap). No rule trusts an fd
 * number but the exec fd's, whose residual docs/design.md describes.
 */
static int runtime_rules(struct sb_sysrule *out, size_t max)
{
	const struct {
		const char *name;
		enum sb_verdict v;
		int err;
		unsigned ncond;
		struct sb_cond cond[2];
	} rules[] = {
		{ "sendto", SB_ALLOW, 0, 1, { { 4, SB_CMP_EQ, UINT64_MAX, 0 } } },
		{ "recvmsg", SB_ALLOW, 0, 0, { { 0 } } },
		{ "close", SB_ALLOW, 0, 0, { { 0 } } },
		{ "gettid", SB_ALLOW, 0, 0, { { 0 } } },
		{ "fstat", SB_ALLOW, 0, 0, { { 0 } } },
		{ "getpid", SB_ALLOW, 0, 0, { { 0 } } },
		/* Signal 0 only: "is this thread still alive", to reclaim dead threads' channels.
		 */
		{ "tgkill", SB_ALLOW, 0, 1, { { 2, SB_CMP_EQ, UINT64_MAX, 0 } } },
		{ "fchdir", SB_ALLOW, 0, 0, { { 0 } } }, /* into a directory it holds an fd to */
		{ "rt_sigreturn", SB_ALLOW, 0, 0, { { 0 } } },
		{ "exit_group", SB_ALLOW, 0, 0, { { 0 } } },
		{ "fcntl", SB_ALLOW, 0, 1, { { 1, SB_CMP_EQ, UINT64_MAX, F_SETFD } } },
		{ "fcntl", SB_ALLOW, 0, 1, { { 1, SB_CMP_EQ, UINT64_MAX, F_GETFD } } },
		{ "dup3", SB_ALLOW, 0, 1, { { 1, SB_CMP_EQ, UINT64_MAX, SB_EXEC_FD } } },
		/*
		 * The checked exec. Residual: a program may put any fd it holds at SB_EXEC_FD and
		 * exec it (or a name relative to it, if it is a directory) without the broker. Exec
		 * is not a boundary against code the program can read anyway (it can map it
		 * PROT_EXEC, or run it through the dynamic loader); docs/design.md says so.
		 * One condition per rule: the kernel must answer these itself, since a syscall the
		 * handler makes must never trap (SIGSYS is blocked there, and that kills).
		 */
		{ "execveat", SB_ALLOW, 0, 1, { { 0, SB_CMP_EQ, UINT64_MAX, SB_EXEC_FD } } },
		{ "rt_sigaction",
		  SB_DENY,
		  EPERM,
		  2,
		  { { 0, SB_CMP_EQ, UINT64_MAX, SIGSYS }, { 1, SB_CMP_NE, UINT64_MAX, 0 } } },
	};
	size_t n = 0;
	for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
		int nr = seccomp_syscall_resolve_name(rules[i].name);
		if (nr < 0)
			continue;
		if (n >= max)
			return -E2BIG;
		out[n] = (struct sb_sysrule){
			.c = { .verdict = rules[i].v, .err = rules[i].err, .id = UINT32_MAX },
			.nr = nr,
			.tier = SB_TIER_RUNTIME,
			.ncond = rules[i].ncond,
		};
		memcpy(out[n].cond, rules[i].cond, sizeof(rules[i].cond));
		n++;
	}
	return (int)n;
}

int sb_trap_enter(const struct sb_policy *policy, int ctrl_fd)
{
	struct sb_sysrule extra[16];
	struct sb_plan *plan = NULL;
	scmp_filter_ctx main_ctx = NULL, guard_ctx = NULL;
	struct sigaction sa = { .sa_sigaction = sb_sigsys, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct sigaction old;
	int r;

	if (!policy || ctrl_fd < 0)
		return -EINVAL;
	int nextra = runtime_rules(extra, ELEMENTSOF(extra));
	if (nextra < 0)
		return nextra;
	r = nextra;
	struct sb_policy copy = *policy;
	_cleanup_free_ struct sb_sysrule *sys = calloc(policy->nsys + (size_t)r, sizeof(*sys));
	if (!sys)
		return -ENOMEM;
	memcpy(sys, policy->sys, policy->nsys * sizeof(*sys));
	memcpy(sys + policy->nsys, extra, (size_t)r * sizeof(*sys));
	copy.sys = sys;
	copy.nsys = policy->nsys + (size_t)r;

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
