/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The direct try of kernel grants (docs/design.md, "Kernel grants"): under a Landlock domain
 * that holds the plan, a trapped read-only open or stat of a path under a grant is first made by
 * the handler itself, openat with SB_KG_COOKIE, which every filter of the process lets through
 * (common/kgcookie.h), so that Landlock decides it in the kernel. On any error the call goes to
 * the broker exactly as before: its decision, errno and record are unchanged. A stat never goes
 * through directly (Landlock does not check stat): it is an open of the file, fstat, close.
 * Signal context: raw syscalls and static memory written before the filter was armed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kgcookie.h"
#include "landlock.h"
#include "raw.h"

bool sb_kg_on;
/* The prefixes, ':'-separated (landlock.h); written once by sb_kg_set before arming. */
static char sb_kg_paths_buf[SB_KG_PATHS_MAX];

void sb_kg_set(const char *paths)
{
	size_t n = paths ? sb_strnlen(paths, SB_KG_PATHS_MAX) : 0;
	if (n == 0 || n >= SB_KG_PATHS_MAX)
		return;
	sb_memcpy(sb_kg_paths_buf, paths, n + 1);
	sb_kg_on = true;
}

/*
 * Whether path lies under one of the prefixes: a tree "P/" holds P and P/...; else P alone. The
 * entries are sorted: the first one greater than the path ends the search.
 */
static bool under_plan(const char *path)
{
	const char *e = sb_kg_paths_buf;
	while (*e) {
		size_t n = 0;
		while (e[n] && e[n] != ':')
			n++;
		bool tree = n > 0 && e[n - 1] == '/';
		size_t k = 0;
		while (k < n && path[k] && path[k] == e[k])
			k++;
		if (k == n && (tree || path[k] == 0))
			return true;
		if (tree && k == n - 1 && path[k] == 0)
			return true; /* the tree's root itself */
		/*
		 * Sorted (sb_kg_paths): past the path, no entry can be a prefix of it. Entries the
		 * path is a prefix of (a tree's root "P" before "P/") sort after it: go on there.
		 */
		if (k < n && path[k] && (unsigned char)e[k] > (unsigned char)path[k])
			return false;
		e += n;
		if (*e == ':')
			e++;
	}
	return false;
}

enum kind { OPEN, STAT };

/* The call's dirfd, path, open flags and stat buffer, if it is one the try may serve. */
static bool decode(long nr, const uint64_t a[6], long *dirfd, const char **path, long *flags,
		   uint64_t *buf)
{
	const long stat_flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	*dirfd = AT_FDCWD;
	*buf = 0;
	switch (nr) {
	case SYS_openat:
		*dirfd = (long)a[0];
		*path = (const char *)(uintptr_t)a[1];
		*flags = (long)(int)a[2];
		break;
#ifdef SYS_open
	case SYS_open:
		*path = (const char *)(uintptr_t)a[0];
		*flags = (long)(int)a[1];
		break;
	case SYS_stat:
	case SYS_lstat:
		*path = (const char *)(uintptr_t)a[0];
		*buf = a[1];
		*flags = stat_flags | (nr == SYS_lstat ? O_NOFOLLOW : 0);
		break;
#endif
	case SYS_newfstatat:
		/* AT_EMPTY_PATH, AT_NO_AUTOMOUNT and the rest: the broker's. */
		if (a[3] & ~(uint64_t)AT_SYMLINK_NOFOLLOW)
			return false;
		*dirfd = (long)a[0];
		*path = (const char *)(uintptr_t)a[1];
		*buf = a[2];
		*flags = stat_flags | (a[3] ? O_NOFOLLOW : 0);
		break;
	default:
		return false;
	}
	/* What the filters let through: read-only, nothing created, truncated or O_PATH. */
	if ((*flags & SB_KG_FLAGS_MASK) != O_RDONLY)
		return false;
	/* Relative names depend on a directory the handler does not know: the broker's. */
	return *path && (*path)[0] == '/' && under_plan(*path);
}

bool sb_kg_try(long nr, const uint64_t args[6], long *ret)
{
	long dirfd, flags;
	const char *path;
	uint64_t buf;

	if (!sb_kg_on || !decode(nr, args, &dirfd, &path, &flags, &buf))
		return false;
	long fd = raw(SYS_openat, dirfd, (long)path, flags, (long)SB_KG_COOKIE, 0, 0);
	if (fd < 0)
		return false;
	if (nr == SYS_openat
#ifdef SYS_open
	    || nr == SYS_open
#endif
	) {
		*ret = fd;
		return true;
	}
	long r = buf ? raw(SYS_fstat, fd, (long)buf, 0, 0, 0, 0) : -EFAULT;
	raw(SYS_close, fd, 0, 0, 0, 0, 0);
	if (r < 0)
		return false;
	*ret = 0;
	return true;
}
