/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* eval.c: the evaluator, the exact meaning of a policy. */
#pragma once

#include <sys/types.h>

#include "policy.h"

/*
 * eval.c. Each function decides on the policy and on every layer chained behind it (next): the
 * most severe answer wins (kill, then deny, then "the broker decides by path or address", then
 * allow), and among answers of the same severity the latest layer's, which is the kernel's own
 * rule for stacked filters (the newest filter's errno wins a tie). A decision logs when any
 * layer's does.
 */
int sb_policy_eval_syscall(const struct sb_policy *policy, int nr, const uint64_t args[6],
			   struct sb_decision *ret);
int sb_policy_eval_path(const struct sb_policy *policy, const char *path, uint32_t perm,
			struct sb_decision *ret);
/*
 * Who asks, as the kernel vouched for it: the process (its tgid) whose /proc directory rules
 * written /proc/self/... grant, and the thread (its tid, under /proc/<tgid>/task) that rules
 * written /proc/thread-self/... grant. 0: not known, and such rules match nothing.
 */
struct sb_caller {
	pid_t pid;
	pid_t tid;
};
/*
 * sb_policy_eval_path for a caller: the same decision, with the /proc/self and /proc/thread-self
 * rules matched against the caller's own directories (who NULL: they match nothing, which is what
 * sb_policy_eval_path does). The decision depends on the canonical path only, never on how the
 * caller spelled it.
 */
int sb_policy_eval_path_as(const struct sb_policy *policy, const struct sb_caller *who,
			   const char *path, uint32_t perm, struct sb_decision *ret);
/* A socket address, decoded. name: unix path (absolute, canonical) or abstract name. */
struct sb_net_target {
	enum sb_net_kind kind;
	int family; /* tcp/udp: AF_INET or AF_INET6 (v4-mapped v6 addresses become AF_INET) */
	uint8_t addr[16];
	uint16_t port;
	char name[110];
};
int sb_net_target_from_sockaddr(const struct sockaddr *sa, socklen_t len, int sotype,
				struct sb_net_target *ret);
int sb_policy_eval_net(const struct sb_policy *policy, uint32_t op, const struct sb_net_target *t,
		       struct sb_decision *ret);
bool sb_sysrule_matches(const struct sb_sysrule *r, const uint64_t args[6]);
bool sb_sysrule_beats(const struct sb_sysrule *a, const struct sb_sysrule *b);
/*
 * Whether path rule a outranks b where both match: more specific, then written later, then
 * earlier in the array (a total order, so the winner never depends on the order of visits).
 */
bool sb_pathrule_beats(const struct sb_pathrule *a, const struct sb_pathrule *b);
/*
 * Learn mode. A kernel rule the compiler may hand to the broker when learning: a logged deny or
 * a kill written in the policy (not the built-in set, not the runtime's or launcher's rules) on a
 * syscall that is not brokered. The broker still enforces a learnable decision when the call
 * also matches the built-in dangerous set (sb_syscall_learnable).
 */
bool sb_sysrule_learnable(const struct sb_sysrule *r);
/* Whether the default syscall decision is learnable: a logged deny, or kill. */
bool sb_default_learnable(const struct sb_default *def);
/* Whether the broker may let a call the syscall rules refused run in learn mode. */
bool sb_syscall_learnable(int nr, const uint64_t args[6], const struct sb_decision *d);
/* Whether a path or net denial may run in learn mode: logged, and not built in. */
bool sb_decision_learnable(const struct sb_decision *d);
/* Whether the built-in dangerous set refuses this call (its conditions included). */
bool sb_dangerous_matches(int nr, const uint64_t args[6]);

/* "FILE:LINE", "builtin" or "default" into buf. */
const char *sb_decision_rule(const struct sb_decision *d, char *buf, size_t size);
