/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The runtime's own syscalls, answered by the kernel above every policy rule. Shared by the
 * launcher's base (notify) filter, the preloaded runtime's trap filter, sb_trap_enter and
 * sb_sandbox_enter: a syscall the handler makes must be allowed by every filter on the stack,
 * since the kernel applies the most restrictive answer of all of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "compile.h"
#include "macro.h"
#include "protocol.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

/*
 * None of it reaches beyond the sandbox: a send without an address goes where the socket is
 * already connected (connect is brokered), receiving and closing are harmless, and SIGSYS can be
 * neither replaced nor ignored (blocking it only gets the process killed at its next trap). No
 * rule trusts an fd number but the exec fd's, whose residual docs/design.md describes.
 */
enum { EVERY, TRAP, BASE, EMBED, EXEC };
static const struct {
	const char *name;
	enum sb_verdict v;
	int err;
	int only; /* EVERY filter, the TRAP filters only, the BASE filter only, EMBED only,
		     EXEC: only where the handler execs a checked fd (checked_exec) */
	unsigned ncond;
	struct sb_cond cond[2];
} rules[] = {
	{ "sendto", SB_ALLOW, 0, 0, 1, { { 4, SB_CMP_EQ, UINT64_MAX, 0 } } },
	{ "recvmsg", SB_ALLOW, 0, 0, 0, { { 0 } } },
	{ "close", SB_ALLOW, 0, 0, 0, { { 0 } } },
	{ "gettid", SB_ALLOW, 0, 0, 0, { { 0 } } },
	{ "fstat", SB_ALLOW, 0, 0, 0, { { 0 } } },
	{ "getpid", SB_ALLOW, 0, 0, 0, { { 0 } } },
	/* Waiting for an answer: yield the CPU between polls (handler.h). */
	{ "sched_yield", SB_ALLOW, 0, 0, 0, { { 0 } } },
	/* Signal 0 only: "is this thread still alive", to reclaim dead threads' channels.
	 */
	{ "tgkill", SB_ALLOW, 0, 0, 1, { { 2, SB_CMP_EQ, UINT64_MAX, 0 } } },
	{ "fchdir", SB_ALLOW, 0, 0, 0, { { 0 } } }, /* into a directory it holds */
	{ "rt_sigreturn", SB_ALLOW, 0, 0, 0, { { 0 } } },
	/*
	 * A checked exec runs with the program's signal mask, not the handler's; the
	 * preloaded runtime reads the mask before it arms the trap.
	 */
	{ "rt_sigprocmask", SB_ALLOW, 0, 0, 0, { { 0 } } },
	{ "exit_group", SB_ALLOW, 0, 0, 0, { { 0 } } },
	{ "fcntl", SB_ALLOW, 0, 0, 1, { { 1, SB_CMP_EQ, UINT64_MAX, F_SETFD } } },
	{ "fcntl", SB_ALLOW, 0, 0, 1, { { 1, SB_CMP_EQ, UINT64_MAX, F_GETFD } } },
	/* A new channel moves out of the program's way (SB_CHANNEL_FD_MIN); a dup, nothing more. */
	{ "fcntl", SB_ALLOW, 0, 0, 1, { { 1, SB_CMP_EQ, UINT64_MAX, F_DUPFD_CLOEXEC } } },
	{ "dup3", SB_ALLOW, 0, EXEC, 1, { { 1, SB_CMP_EQ, UINT64_MAX, SB_EXEC_FD } } },
	/*
	 * The checked exec, only where the handler makes it (sb_trap_enter,
	 * sb_sandbox_enter; `sysbroker run` execs over notify, where the broker decides
	 * every execveat). Residual there: a program may put any fd it holds at SB_EXEC_FD
	 * and exec it, a name relative to it, or (the kernel ignores the dirfd then) an
	 * absolute path, without the broker: this kernel refuses execveat with a NULL path,
	 * and a filter cannot read the string (docs/threat-model.md, "The exec fd").
	 * One condition per rule: the kernel must answer these itself, since a syscall the
	 * handler makes must never trap (SIGSYS is blocked there, and that kills).
	 */
	{ "execveat", SB_ALLOW, 0, EXEC, 1, { { 0, SB_CMP_EQ, UINT64_MAX, SB_EXEC_FD } } },
	/*
	 * Arming the trap from the preloaded runtime: adding a filter only tightens, and
	 * flags 0 excludes SECCOMP_FILTER_FLAG_NEW_LISTENER (a listener of the sandboxee's
	 * own would see brokered calls before the broker).
	 */
	{ "seccomp", SB_ALLOW, 0, BASE, 1, { { 1, SB_CMP_EQ, UINT64_MAX, 0 } } },
	/* The application may not take SIGSYS over once the trap is armed. */
	{ "rt_sigaction",
	  SB_DENY,
	  EPERM,
	  TRAP,
	  2,
	  { { 0, SB_CMP_EQ, UINT64_MAX, SIGSYS }, { 1, SB_CMP_NE, UINT64_MAX, 0 } } },
	/*
	 * sb_sandbox_enter loads the filter first and drops privileges after, so that a
	 * failure to load leaves them in place: dropping capabilities (every set, the
	 * bounding set, the ambient set) and setting no_new_privs must be answered by the
	 * kernel. None of them can raise a privilege once the permitted set is empty, which
	 * entering makes it in every thread: capset(2) then only lowers (a new permitted
	 * set must be a subset of the old, a new inheritable set of the old inheritable and
	 * permitted sets), the bounding and ambient sets only shrink (raising an ambient
	 * capability needs it permitted), and no_new_privs cannot be unset.
	 */
	{ "capset", SB_ALLOW, 0, EMBED, 0, { { 0 } } },
	{ "prctl", SB_ALLOW, 0, EMBED, 1, { { 0, SB_CMP_EQ, UINT64_MAX, PR_CAPBSET_DROP } } },
	{ "prctl", SB_ALLOW, 0, EMBED, 1, { { 0, SB_CMP_EQ, UINT64_MAX, PR_CAP_AMBIENT } } },
	{ "prctl", SB_ALLOW, 0, EMBED, 1, { { 0, SB_CMP_EQ, UINT64_MAX, PR_SET_NO_NEW_PRIVS } } },
	/*
	 * Kernel grants (sandboxee/landlock.h): the Landlock domain is made before the load and
	 * entered after it. A domain only ever narrows what its thread may do.
	 */
	{ "landlock_restrict_self", SB_ALLOW, 0, EMBED, 0, { { 0 } } },
	/*
	 * A later sb_sandbox_enter stacks one more filter on every thread. A filter only
	 * tightens, and flags exactly TSYNC (with TSYNC_ESRCH where libseccomp finds the
	 * kernel has it) exclude SECCOMP_FILTER_FLAG_NEW_LISTENER.
	 */
	{ "seccomp",
	  SB_ALLOW,
	  0,
	  EMBED,
	  1,
	  { { 1, SB_CMP_EQ, UINT64_MAX, SECCOMP_FILTER_FLAG_TSYNC } } },
	{ "seccomp",
	  SB_ALLOW,
	  0,
	  EMBED,
	  1,
	  { { 1, SB_CMP_EQ, UINT64_MAX,
	      SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH } } },
};

int sb_runtime_rules_for(struct sb_sysrule *out, size_t max, const struct sb_runtime_mode *mode)
{
	size_t n = 0;
	for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
		int nr = sb_syscall_nr(rules[i].name);
		int only = rules[i].only;
		if (nr < 0 || (only == TRAP && !mode->for_trap) ||
		    (only == BASE && mode->for_trap) || (only == EMBED && !mode->embed) ||
		    (only == EXEC && !mode->checked_exec))
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
		if (only == TRAP && mode->embed) {
			/* The application chose how its attempts to take SIGSYS over end. */
			out[n].c.verdict = mode->sigsys_kill ? SB_KILL : SB_DENY;
			out[n].c.err = mode->sigsys_kill  ? 0
				       : mode->sigsys_err ? mode->sigsys_err
							  : EPERM;
		}
		n++;
	}
	return (int)n;
}

int sb_runtime_rules(struct sb_sysrule *out, size_t max, bool for_trap)
{
	return sb_runtime_rules_for(out, max, &(struct sb_runtime_mode){ .for_trap = for_trap });
}

int sb_policy_with_runtime(const struct sb_policy *p, bool for_trap, struct sb_policy *copy,
			   struct sb_sysrule **ret_rules)
{
	return sb_policy_with_runtime_for(p, &(struct sb_runtime_mode){ .for_trap = for_trap },
					  copy, ret_rules);
}

int sb_policy_with_runtime_for(const struct sb_policy *p, const struct sb_runtime_mode *mode,
			       struct sb_policy *copy, struct sb_sysrule **ret_rules)
{
	struct sb_sysrule extra[32];
	int n = sb_runtime_rules_for(extra, ELEMENTSOF(extra), mode);
	if (n < 0)
		return n;
	struct sb_sysrule *sys = calloc(p->nsys + (size_t)n, sizeof(*sys));
	if (!sys)
		return -ENOMEM;
	if (p->nsys)
		memcpy(sys, p->sys, p->nsys * sizeof(*sys));
	memcpy(sys + p->nsys, extra, (size_t)n * sizeof(*sys));
	*copy = *p;
	copy->sys = sys;
	copy->nsys = p->nsys + (size_t)n;
	*ret_rules = sys;
	return n;
}
