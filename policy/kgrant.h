/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kgrant.c: kernel grants. The part of a policy the kernel can enforce by itself (Landlock): the
 * static, unlogged, unlimited read/list grants of trees whose own directory the sandbox cannot
 * move (their contents may change; kgrant.c says why that is enough). The
 * plan is always a subset of what the policy allows: every (path, access) in it is allowed by
 * sb_policy_eval_path for every path beneath it, without a log and without a limit. Whatever
 * the kernel refuses still reaches the broker, which decides, logs and performs as before; so the
 * plan changes speed, never meaning.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* Access a grant gives, in the policy's words (mapped to Landlock's rights where applied). */
enum {
	SB_KGRANT_READ = 1u << 0, /* open a file read-only (and so stat it) */
	SB_KGRANT_LIST = 1u << 1, /* open a directory (and so list and stat it) */
	SB_KGRANT_STAT = 1u << 2, /* a directory the runtime knows is one (plan.dirs) */
};

struct sb_kgrant {
	char *path;      /* absolute, canonical, existing when the plan was made */
	bool tree;       /* the path and everything beneath it; false: the path alone, which is
			  * always a regular file (a directory alone is not something Landlock can
			  * grant: a rule on a directory covers what is beneath it) with one name,
			  * planned only under a policy that lets nothing be created (a rule on a
			  * file holds at every name of its inode, and a link makes one) */
	uint32_t access; /* SB_KGRANT_* */
	struct sb_origin origin; /* the policy rule it comes from */
	/*
	 * The exec plan's entries (sandboxee/landlock.c): the regular file the path named when
	 * the plan was made, reached without a symlink. Its rule goes on that file or on none.
	 */
	uint64_t dev, ino;
};

struct sb_kgrant_plan {
	/* Sorted by path; none is given already by a tree grant at or above it. */
	struct sb_kgrant *grants;
	size_t n;
	/*
	 * Directories whose readlink the runtime answers itself (EINVAL, no call): each tree
	 * grant's own directory and its ancestors where every layer allows stat without a log
	 * and without a limit, which cannot be moved (the grant's proof) and which anyone may
	 * reach (every directory above them searchable by all). Sorted by path; access is
	 * SB_KGRANT_STAT, origin the rule that allows the stat (none: the default).
	 */
	struct sb_kgrant *dirs;
	size_t ndirs;
	/* Why the plan is empty or smaller than the policy's grants, for check --explain. */
	unsigned skipped; /* grant rules left to the broker */
};

/*
 * The plan for a policy (and every layer chained behind it), from the file system as it is now.
 * Returns 0, or -errno (ENOMEM). An empty plan is a valid plan.
 */
int sb_kgrant_plan(const struct sb_policy *policy, struct sb_kgrant_plan *ret);
void sb_kgrant_plan_free(struct sb_kgrant_plan *plan);
/*
 * Whether a policy (any layer) has no kernel grants whatever its paths, with the reason in why:
 * kernel-grants off, learn mode, or a syscall rule naming a call the direct try answers.
 */
bool sb_kgrant_off(const struct sb_policy *policy, char *why, size_t size);
/* The first syscall rule (any layer) that names a call the direct try answers, or NULL. */
const struct sb_sysrule *sb_kgrant_ruled_call(const struct sb_policy *policy);
/*
 * Whether every grant of old is still allowed by policy (same test as the plan's subset rule).
 * false: a reload to policy narrows a grant the kernel already enforces; *which names the first.
 */
bool sb_kgrant_plan_within(const struct sb_kgrant_plan *old, const struct sb_policy *policy,
			   const struct sb_kgrant **which);
/*
 * Whether no name can appear or disappear at or beneath the directory dir from the sandbox: some
 * layer refuses create, and some delete, everywhere there, and dir and its ancestors refuse
 * delete (the plan's own proof; false for a learning policy or without memory). The files that
 * are in dir now are then all it will hold.
 */
bool sb_kgrant_no_new_names(const struct sb_policy *policy, const char *dir);
