/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The compiler: policy -> kernel plan -> libseccomp filters.
 *
 * Per syscall the evaluator's meaning is a chain "first matching of (conditions -> action)
 * pairs, else fallback". The kernel takes what libseccomp can express exactly:
 *   - no conditions: one action;
 *   - conditions with one action more restrictive than the fallback: the fallback in the main
 *     filter, the conditions in a stacked guard filter (the kernel applies the most
 *     restrictive answer of all filters);
 *   - conditions whose fallback is the filter's default: the conditions in the main filter;
 *   - one condition whose negation is expressible: both halves in the main filter;
 * and anything else is sent to the broker, which evaluates the chain on the integer arguments.
 */
#pragma once

#include <linux/filter.h>
#include <seccomp.h>

#include "policy.h"

enum sb_kaction {
	SB_K_ALLOW,
	SB_K_ERRNO,
	SB_K_KILL,
	SB_K_BROKER, /* notify or trap, chosen when the filter is built */
};

struct sb_kdecision {
	enum sb_kaction action;
	int err;
};

/* One libseccomp rule: a conjunction of comparisons. */
struct sb_krule {
	int nr;
	struct sb_kdecision d;
	unsigned ncmp;
	struct scmp_arg_cmp cmp[SB_MAX_CONDS];
};

enum sb_plan_how {
	SB_PLAN_SIMPLE,   /* one action for every call */
	SB_PLAN_GUARD,    /* fallback in main, conditions in the guard filter */
	SB_PLAN_COND,     /* conditions in main, else the filter default */
	SB_PLAN_SPLIT,    /* condition and its negation in main */
	SB_PLAN_EVALUATE, /* the broker evaluates the chain */
};

/* The plan for one syscall, kept for `sysbroker check --explain`. */
struct sb_plan_sys {
	int nr;
	enum sb_plan_how how;
	struct sb_kdecision fallback;
	const struct sb_sysrule *fallback_rule; /* NULL: default or brokered */
	unsigned nchain;                 /* as the evaluator sees it; the kernel may need fewer */
	const struct sb_sysrule **chain; /* conditional rules, in the order they are tried */
	struct sb_kdecision *chain_d;
};

struct sb_plan {
	bool trap;  /* built for the trap transport: logged or limited allows stay in the kernel */
	bool learn; /* policy->learn: learnable denials go to the broker (or, over the trap, on to
		     * the base filter, which sends them to the broker) */
	struct sb_kdecision def;
	struct sb_plan_sys *sys; /* sorted by syscall number */
	size_t nsys;
	struct sb_krule *main, *guard;
	size_t nmain, nguard;
};

int sb_plan_build(const struct sb_policy *policy, struct sb_plan **ret_plan);
/*
 * For the trap transport the broker cannot perform an allowed syscall that is not a path call,
 * so a logged or limited allow is made by the kernel, unlogged and uncounted (the notify
 * transport keeps them); logged denials still go to the broker.
 */
int sb_plan_build_for(const struct sb_policy *policy, bool trap, struct sb_plan **ret_plan);
struct sb_plan *sb_plan_free(struct sb_plan *plan);

/*
 * Build a libseccomp filter: the main filter, or the guard filter (*ret NULL when the plan needs
 * none). broker_action is SCMP_ACT_NOTIFY or SCMP_ACT_TRAP. Load the guard first: it allows
 * everything it does not refuse, so loading the main filter after it still works, whereas the
 * main filter may refuse seccomp(2) itself.
 */
int sb_plan_filter(const struct sb_plan *plan, bool guard, uint32_t broker_action,
		   scmp_filter_ctx *ret);

/* The libseccomp action for a decision. */
/*
 * The filter as a program to load (ret->filter is malloc'd; len 0 for an empty guard): the main
 * filter is libseccomp's behind a prefix that gives every syscall number the table
 * (common/syscalls.h) does not classify broker_action, for the broker to refuse with ENOSYS and
 * a record. Returns 0 or -errno.
 */
int sb_plan_program(const struct sb_plan *plan, bool guard, uint32_t broker_action,
		    struct sock_fprog *ret);
/* seccomp(SECCOMP_SET_MODE_FILTER, flags, prog): what the kernel returns (a listener fd with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER, else 0), or -errno. */
/* libseccomp's program for ctx (*ret malloc'd, *ret_len instructions). Returns 0 or -errno. */
int sb_filter_export(scmp_filter_ctx ctx, struct sock_filter **ret, size_t *ret_len);
int sb_program_load(const struct sock_fprog *prog, unsigned flags);
uint32_t sb_kaction_to_scmp(struct sb_kdecision d, uint32_t broker_action);
const char *sb_plan_how_name(enum sb_plan_how how);

/* Which filter the runtime's own rules are for. */
struct sb_runtime_mode {
	bool for_trap; /* the trap filter (else the base filter of `sysbroker run`) */
	/*
	 * sb_sandbox_enter: the trap filter of an application that sandboxes itself. Adds what
	 * entering does once the filter is loaded (dropping capabilities, no_new_privs) and what a
	 * later, stricter layer needs (loading one more filter for every thread), and refuses
	 * rt_sigaction(SIGSYS) the way the application chose.
	 */
	bool embed;
	/*
	 * The handler execs the file the broker checked itself (sb_trap_enter, sb_sandbox_enter):
	 * the exec fd's rules. Not for `sysbroker run`, whose programs exec over notify.
	 */
	bool checked_exec;
	int sigsys_err;   /* embed: errno of that refusal; 0 means EPERM */
	bool sigsys_kill; /* embed: kill the process instead */
};

/*
 * The runtime's own syscalls (policy/runtime.c), at SB_TIER_RUNTIME above every policy rule.
 * for_trap adds what only the trap filter refuses (rt_sigaction of SIGSYS). Returns the number
 * of rules written, or -E2BIG.
 */
int sb_runtime_rules(struct sb_sysrule *out, size_t max, bool for_trap);
int sb_runtime_rules_for(struct sb_sysrule *out, size_t max, const struct sb_runtime_mode *mode);
/*
 * *copy = policy plus the runtime rules; *ret_rules is the new rule array, which the caller
 * frees (the rest of *copy still points into policy). Returns the number of runtime rules.
 */
int sb_policy_with_runtime(const struct sb_policy *policy, bool for_trap, struct sb_policy *copy,
			   struct sb_sysrule **ret_rules);
int sb_policy_with_runtime_for(const struct sb_policy *policy, const struct sb_runtime_mode *mode,
			       struct sb_policy *copy, struct sb_sysrule **ret_rules);
