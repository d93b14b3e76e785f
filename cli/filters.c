/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `sysbroker run`: the policy as the sandbox lives under it, and the three filters its first
 * process loads (the launcher's, the guard and the main filter).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "compile.h"
#include "filters.h"
#include "macro.h"

/*
 * The runtime library must be loadable whatever the policy says about its directory: an exact
 * rule for it (the most specific kind), read and stat only.
 */
int allow_runtime(struct sb_policy *p, const char *path)
{
	for (const char *c = path; *c; c++)
		if (strchr("*?[]{}\\", *c))
			return -EINVAL; /* would be read as a glob */
	struct sb_pathrule *v = reallocarray(p->paths, p->npaths + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->paths = v;
	char *pat = strdup(path);
	if (!pat)
		return -ENOMEM;
	v[p->npaths++] = (struct sb_pathrule){
		.c = { .verdict = SB_ALLOW,
		       .origin = { .file = "(sysbroker runtime)", .line = 0 },
		       .id = p->nstatements,
		       .seq = p->nstatements },
		.pattern = pat,
		.perms = SB_PERM_READ | SB_PERM_STAT,
		.rank = sb_glob_specificity(pat),
	};
	p->nstatements++;
	return 0;
}

/*
 * The broker's own protection, as kernel rules above the policy. The sandboxee may share the
 * broker's uid (or be uid 0 without capabilities, which the kernel lets signal every root
 * process), so it must not name the broker as a signal target in any of the ways the kernel
 * offers: kill(2) and friends on its pid, its process group or everyone (-1); joining its
 * process group (then kill(0) would reach it); making it the owner of an fd's SIGIO
 * (F_SETOWN, FIOSETOWN/SIOCSPGRP, with F_SETSIG choosing SIGKILL); and no signal through a
 * pidfd at all, since a pidfd may be a /proc directory the filter cannot tell apart. Nor may it
 * set (or read) the broker's resource limits with prlimit64 on its pid: `cpu 1` would have the
 * kernel kill the broker, `nofile 4` wedge it. Also refused: pushing input into the terminal
 * (TIOCSTI, TIOCLINUX), which the sandbox shares with the user's shell. Arguments are ints: compare
 * their low 32 bits only, so that stray upper bits cannot slip past.
 */
static int launcher_rules(pid_t broker, pid_t broker_pgrp, struct sb_sysrule *out, size_t max)
{
	const uint64_t lo = 0xffffffffu;
	const struct {
		const char *name;
		int ncond; /* 0: every call */
		unsigned arg;
		uint64_t value;
	} rules[] = {
		{ "kill", 1, 0, (uint32_t)broker },
		{ "kill", 1, 0, (uint32_t)-1 },
		{ "kill", 1, 0, (uint32_t)-broker_pgrp },
		{ "tkill", 1, 0, (uint32_t)broker },
		{ "tgkill", 1, 0, (uint32_t)broker },
		{ "rt_sigqueueinfo", 1, 0, (uint32_t)broker },
		{ "rt_tgsigqueueinfo", 1, 0, (uint32_t)broker },
		{ "pidfd_open", 1, 0, (uint32_t)broker },
		{ "prlimit64", 1, 0, (uint32_t)broker },
		{ "setpgid", 1, 1, (uint32_t)broker_pgrp },
		{ "pidfd_send_signal", 0, 0, 0 },
		{ "fcntl", 1, 1, F_SETOWN },
		{ "fcntl", 1, 1, F_SETOWN_EX },
		{ "fcntl", 1, 1, F_SETSIG },
		{ "ioctl", 1, 1, FIOSETOWN },
		{ "ioctl", 1, 1, SIOCSPGRP },
		{ "ioctl", 1, 1, TIOCSTI },
		{ "ioctl", 1, 1, TIOCLINUX },
	};
	size_t n = 0;
	for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
		int nr = seccomp_syscall_resolve_name(rules[i].name);
		if (nr < 0)
			continue;
		if (n >= max)
			return -E2BIG;
		out[n++] = (struct sb_sysrule){
			.c = { .verdict = SB_DENY, .err = EPERM, .id = UINT32_MAX },
			.nr = nr,
			.tier = SB_TIER_RUNTIME,
			.ncond = (unsigned)rules[i].ncond,
			.cond = { { rules[i].arg, SB_CMP_MASKED_EQ, lo, rules[i].value } },
		};
	}
	return (int)n;
}

/*
 * The launcher's rules go into a filter of their own, stacked under the policy's: inside the
 * policy's chains they would turn plain kernel decisions (every ioctl, every fcntl) into chains
 * only the broker could judge. Every rule is "refuse with EPERM", so stacking is exact: the
 * kernel applies the most restrictive answer of all filters.
 */
static int launcher_filter(const struct sb_sysrule *rules, size_t n, scmp_filter_ctx *ret)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = ctx ? 0 : -ENOMEM;
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct scmp_arg_cmp cmp =
			SCMP_CMP((unsigned)rules[i].cond[0].arg, SCMP_CMP_MASKED_EQ,
				 rules[i].cond[0].mask, rules[i].cond[0].value);
		r = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ERRNO(EPERM), rules[i].nr,
						 rules[i].ncond, &cmp);
	}
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

/*
 * The policy as the sandbox lives under it: the file's rules, the runtime's (base filter
 * variant) and the launcher's. The broker evaluates syscall rules on this very set, so that a
 * chain the kernel hands to it ("broker evaluates") is judged as the filters would have.
 * *copy points into policy; *ret_rules is its rule array, for the caller to free; the
 * launcher's rules are its last *ret_nlauncher entries.
 */
int effective_policy(const struct sb_policy *p, pid_t broker, struct sb_policy *copy,
		     struct sb_sysrule **ret_rules, size_t *ret_nlauncher)
{
	_cleanup_free_ struct sb_sysrule *rt = NULL;
	int r = sb_policy_with_runtime(p, false, copy, &rt);
	if (r < 0)
		return r;
	struct sb_sysrule extra[32];
	int ne = launcher_rules(broker, getpgrp(), extra, ELEMENTSOF(extra));
	if (ne < 0)
		return ne;
	struct sb_sysrule *all = calloc(copy->nsys + (size_t)ne, sizeof(*all));
	if (!all)
		return -ENOMEM;
	memcpy(all, copy->sys, copy->nsys * sizeof(*all));
	memcpy(all + copy->nsys, extra, (size_t)ne * sizeof(*all));
	copy->sys = all;
	copy->nsys += (size_t)ne;
	*ret_rules = all;
	*ret_nlauncher = (size_t)ne;
	return 0;
}

/* The base filter: the policy and the runtime's rules; brokered calls go to notify. */
int base_filter(const struct sb_policy *eff, size_t nlauncher, struct sock_fprog *main,
		scmp_filter_ctx *guard, scmp_filter_ctx *launcher)
{
	struct sb_plan *plan = NULL;
	struct sb_policy without = *eff;
	without.nsys -= nlauncher;
	int r = sb_plan_build_for(&without, false, &plan);
	if (r == 0)
		r = sb_plan_program(plan, false, SCMP_ACT_NOTIFY, main);
	if (r == 0) {
		r = sb_plan_filter(plan, true, SCMP_ACT_NOTIFY, guard);
		if (r < 0) {
			free(main->filter);
			main->filter = NULL;
		}
	}
	if (r == 0) {
		r = launcher_filter(eff->sys + without.nsys, nlauncher, launcher);
		if (r < 0) {
			free(main->filter);
			main->filter = NULL;
			if (*guard)
				seccomp_release(*guard);
		}
	}
	sb_plan_free(plan);
	return r;
}
