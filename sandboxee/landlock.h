/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Applying a plan of kernel grants (policy/kgrant.h) to the calling thread with Landlock, and
 * the handler's direct try of a read-only open or stat under it (direct.c). docs/design.md,
 * "Kernel grants".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

#include "kgrant.h"

/* The Landlock ABI this kernel offers (>= 1), or -errno (EOPNOTSUPP: disabled, ENOSYS: none). */
int sb_landlock_abi(void);
/*
 * Restrict the calling thread (and every process and thread it creates from now on) to the plan
 * for reading and listing: a ruleset that handles LANDLOCK_ACCESS_FS_READ_FILE|READ_DIR only, a
 * path-beneath rule per grant (a grant whose path is gone, or a grant of a directory alone, which
 * Landlock cannot express, is left out: the broker decides those), then landlock_restrict_self.
 * no_new_privs (or CAP_SYS_ADMIN) must be in place. Uses only syscalls and the stack: safe
 * between fork and exec. Returns the number of rules the domain holds (>= 1), or -errno:
 * ENOENT (no grant could be applied: nothing restricted), ENOSYS/EOPNOTSUPP (no Landlock), or
 * the failing call's errno. On failure nothing was restricted.
 */
int sb_landlock_apply(const struct sb_kgrant_plan *plan, const struct sb_kgrant_plan *exec,
		      int abi);
/* The same in two steps: the ruleset (its fd, *ret_n rules; -errno as above), then restricting
 * the thread with it (closes it; 0 or -errno). */
int sb_landlock_ruleset(const struct sb_kgrant_plan *plan, const struct sb_kgrant_plan *exec,
			int abi, int *ret_n);
/*
 * An exec opens the file for reading, and Landlock checks READ_FILE on it (and on an ELF or #!
 * interpreter the kernel opens), so a domain that handles READ_FILE must let the kernel read
 * every file the policy lets the program execute. *ret: the exec rules' files outside the plan's
 * read grants (literal paths, read-only rules of their own in the domain; the program may then
 * read such a file by its own direct call, as it may map it by executing it). A pattern outside
 * the plan's read grants, with wildcards in its last component only, in a directory where no
 * name can appear or go (sb_kgrant_no_new_names()), adds a rule for each regular file it matches
 * now. Returns 0, or -EOPNOTSUPP with *why set to an exec rule that is none of these, which
 * Landlock cannot express: no kernel grants then. -ENOMEM.
 */
int sb_kg_exec_plan(const struct sb_policy *policy, const struct sb_kgrant_plan *plan,
		    struct sb_kgrant_plan *ret, const struct sb_pathrule **why);
int sb_landlock_restrict(int ruleset, int abi);

/*
 * sb_sandbox_enter (single-threaded callers only: a Landlock domain binds the calling thread and
 * the threads it starts later, while the filter binds every thread). Before the filters load,
 * sb_kg_embed_prepare makes the plan and puts the prefix (ret: SECCOMP_RET_ALLOW) in front of
 * main; returns 1 when it did, 0 when there are no grants (none planned, no Landlock, several
 * threads), or -ENOMEM. Once the filters are in, sb_kg_embed_commit restricts the thread and
 * turns the direct try on; if Landlock refuses, it stacks a filter that refuses the cookie
 * instead (returns 0, or -errno if even that failed: the cookie is then open, which the caller
 * must treat as a failure to enter). A later layer gets the refusing prefix (ret EACCES) in
 * front of its own filter, and the direct try stops, since the plan may no longer be a subset of
 * every layer.
 */
struct sb_kg_embed {
	struct sb_kgrant_plan plan, exec;
	int abi;
	int ruleset; /* made before the load; only restrict_self comes after it */
};
int sb_kg_prefix_prog(struct sock_fprog *main, uint32_t ret);
int sb_kg_embed_prepare(const struct sb_policy *policy, struct sb_kg_embed *k,
			struct sock_fprog *main);
int sb_kg_embed_commit(struct sb_kg_embed *k);
void sb_kg_embed_release(struct sb_kg_embed *k);
/* Whether this process entered with kernel grants: its later layers refuse the cookie. */
extern bool sb_kg_embedded;

/*
 * The handler's view of the plan: the absolute path prefixes it tries directly (an optimisation:
 * a path outside them goes to the broker without a try). sb_kg_set() copies them (not signal
 * context; before the filter is armed) and turns the direct try on; sb_kg_on says whether it is.
 * paths: entries separated by ':'. "/..." a prefix (ending in '/': a tree, else the file alone);
 * "=/..." a directory of plan.dirs, whose readlink the handler answers (EINVAL); "+r": every
 * grant that lists also reads; "!DEV.INO" (hex) a file of the exec
 * plan, which the kernel reads only to execute it; "+e": every such file is listed (without it
 * the handler tries nothing). The prefixes come first and sorted.
 */
#define SB_KG_PATHS_MAX 4096 /* the paths, directories and flags */
#define SB_KG_EXEC_MAX 512   /* exec plan files the hint names; more: no direct try */
/* The whole hint: the paths, then "!DEV.INO" (34 bytes at most) for each exec file, "+e", "+k". */
#define SB_KG_EXEC_ROOM (SB_KG_EXEC_MAX * 35 + 8)
#define SB_KG_HINT_MAX (SB_KG_PATHS_MAX + SB_KG_EXEC_ROOM + 8)
extern bool sb_kg_on;
void sb_kg_set(const char *paths);
/*
 * The same list, as the launcher puts it in SYSBROKER_KGRANTS, from a plan and its exec plan.
 * NULL: none fit. records: the kernel's refusals are recorded, so only trees that both read and
 * list are hinted (a try must not be refused for meeting a file in a list-only tree, or a
 * directory in a read-only one).
 */
char *sb_kg_paths(const struct sb_kgrant_plan *plan, const struct sb_kgrant_plan *exec,
		  bool records);
/*
 * The direct try of a trapped call (signal context): returns true with *ret set when the kernel
 * answered it (the call succeeded); false to broker it as before.
 */
bool sb_kg_try(long nr, const uint64_t args[6], long *ret);
/* Whether the hint says the kernel records its refusals ("+k"): every refused try leaves one. */
bool sb_kg_recording(void);
/*
 * The program may take a POSIX record lock (fcntl F_SETLK, F_SETLKW; lockf): from now on the
 * direct try opens directories only, and this returns once no try of another thread can still
 * close a file. Closing any fd of a file drops every POSIX lock the process holds on it, so a stat
 * answered by an open and a close would drop the program's (docs/design.md). Any context.
 */
void sb_kg_no_files(void);
