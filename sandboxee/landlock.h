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
int sb_landlock_apply(const struct sb_kgrant_plan *plan, int abi);

/*
 * The handler's view of the plan: the absolute path prefixes it tries directly (an optimisation:
 * a path outside them goes to the broker without a try). sb_kg_set() copies them (not signal
 * context; before the filter is armed) and turns the direct try on; sb_kg_on says whether it is.
 * paths: prefixes separated by ':'; a prefix ending in '/' is a tree, others the file alone.
 */
#define SB_KG_PATHS_MAX 4096
extern bool sb_kg_on;
void sb_kg_set(const char *paths);
/* The same list, as the launcher puts it in SYSBROKER_KGRANTS, from a plan. NULL: none fit. */
char *sb_kg_paths(const struct sb_kgrant_plan *plan);
/*
 * The direct try of a trapped call (signal context): returns true with *ret set when the kernel
 * answered it (the call succeeded); false to broker it as before.
 */
bool sb_kg_try(long nr, const uint64_t args[6], long *ret);
