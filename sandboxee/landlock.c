/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel grants applied with Landlock (landlock.h). sb_landlock_apply runs between fork and exec
 * in `sysbroker run`'s first process and in sb_sandbox_enter: syscalls and the stack only.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "landlock.h"
#include "macro.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#ifndef LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON
#define LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON (1U << 1)
#endif

#define HANDLED (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

/* The errno of a failed syscall(2), as -errno. */
static long sys(long nr, long a, long b, long c, long d)
{
	long r = syscall(nr, a, b, c, d);
	return r < 0 ? -errno : r;
}

int sb_landlock_abi(void)
{
	return (int)sys(SYS_landlock_create_ruleset, 0, 0, LANDLOCK_CREATE_RULESET_VERSION, 0);
}

/* One grant's rule: 1 added, 0 left to the broker, or -errno. */
static int add_grant(int ruleset, const struct sb_kgrant *g)
{
	struct stat st;
	int fd = (int)sys(SYS_openat, AT_FDCWD, (long)g->path, O_PATH | O_CLOEXEC, 0);
	if (fd < 0)
		return 0; /* gone, or out of this user's reach: the broker decides it */
	int r = (int)sys(SYS_fstat, fd, (long)&st, 0, 0);
	struct landlock_path_beneath_attr pb = { .parent_fd = fd };
	if (r == 0 && S_ISDIR(st.st_mode)) {
		/* A rule on a directory holds everything beneath: a directory alone cannot be. */
		if (g->tree)
			pb.allowed_access =
				LANDLOCK_ACCESS_FS_READ_FILE |
				((g->access & SB_KGRANT_LIST) ? LANDLOCK_ACCESS_FS_READ_DIR : 0);
	} else if (r == 0 && (g->access & SB_KGRANT_READ)) {
		pb.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE;
	}
	if (r == 0 && pb.allowed_access)
		r = (int)sys(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, (long)&pb,
			     0);
	sys(SYS_close, fd, 0, 0, 0);
	return r < 0 ? r : pb.allowed_access != 0;
}

int sb_landlock_apply(const struct sb_kgrant_plan *plan, int abi)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = HANDLED };
	int n = 0;

	if (!plan)
		return -EINVAL;
	if (abi < 1)
		return abi < 0 ? abi : -EOPNOTSUPP;
	/* The attribute's first member only: every ABI takes a shorter struct. */
	int rs = (int)sys(SYS_landlock_create_ruleset, (long)&attr, sizeof(attr.handled_access_fs),
			  0, 0);
	if (rs < 0)
		return rs;
	int r = 0;
	for (size_t i = 0; r >= 0 && i < plan->n; i++) {
		r = add_grant(rs, &plan->grants[i]);
		n += r > 0;
	}
	if (r >= 0 && n == 0)
		r = -ENOENT;
	/* Denials in the images this one executes are in the kernel's audit log too (ABI 7). */
	if (r >= 0)
		r = (int)sys(SYS_landlock_restrict_self, rs,
			     abi >= 7 ? LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON : 0, 0, 0);
	sys(SYS_close, rs, 0, 0, 0);
	return r < 0 ? r : n;
}

char *sb_kg_paths(const struct sb_kgrant_plan *plan)
{
	size_t cap = SB_KG_PATHS_MAX, o = 0;
	char *s = calloc(1, cap);
	if (!s || !plan) {
		free(s);
		return NULL;
	}
	for (size_t i = 0; i < plan->n; i++) {
		const struct sb_kgrant *g = &plan->grants[i];
		size_t len = strlen(g->path);
		bool root = len == 1;
		/* ':' separates; a grant whose name holds one is only slower (the broker's). */
		if (strchr(g->path, ':') || o + len + 3 > cap)
			continue;
		if (o)
			s[o++] = ':';
		memcpy(s + o, g->path, len);
		o += len;
		if (g->tree && !root)
			s[o++] = '/';
	}
	if (o == 0) {
		free(s);
		return NULL;
	}
	return s;
}
