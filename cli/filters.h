/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `sysbroker run`: the policy as the sandbox lives under it, and the filters built from it. */
#pragma once

#include <linux/filter.h>
#include <seccomp.h>
#include <sys/types.h>

#include "policy.h"

/*
 * The runtime library must be loadable whatever the policy says about its directory: an exact
 * rule for it (the most specific kind), read and stat only. Returns 0 or -errno.
 */
int allow_runtime(struct sb_policy *p, const char *path);
/*
 * The file's rules, the runtime's (base filter variant) and the launcher's, which protect the
 * broker. *copy points into p; *ret_rules is its rule array, for the caller to free; the
 * launcher's rules are its last *ret_nlauncher entries. Returns 0 or -errno.
 */
int effective_policy(const struct sb_policy *p, pid_t broker, struct sb_policy *copy,
		     struct sb_sysrule **ret_rules, size_t *ret_nlauncher);
/* The main, guard (may be NULL) and launcher filters of eff. Returns 0 or -errno. */
int base_filter(const struct sb_policy *eff, size_t nlauncher, struct sock_fprog *main,
		scmp_filter_ctx *guard, scmp_filter_ctx *launcher);
