/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The direct try of kernel grants (docs/design.md, "Kernel grants"): under a Landlock domain
 * that holds the plan, a trapped read-only open, stat or readlink is first made by the handler
 * itself, openat with SB_KG_COOKIE, which every filter of the process lets through
 * (common/kgcookie.h), so that Landlock decides it in the kernel. On any error the call goes to
 * the broker exactly as before: its decision, errno and record are unchanged. A stat never goes
 * through directly (Landlock does not check stat): it is an open of the file, fstat, close. A
 * readlink is an open that does not follow the name: if it succeeds, the name is no symlink and
 * the answer is EINVAL, which the broker would give (a symlink fails the open: the broker reads
 * it). Relative names and names with ".." are the broker's (decode()). And
 * newfstatat(fd, "", AT_EMPTY_PATH), the C library's fstat, is fstat(fd): the broker answers it
 * so, without a check, for the fd the caller holds.
 * Signal context: raw syscalls and static memory written before the filter was armed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* Whether path has a ".." component. */
static bool has_dotdot(const char *path)
{
	for (const char *p = path; *p; p++)
		if (p[0] == '.' && p[1] == '.' && (p == path || p[-1] == '/') &&
		    (p[2] == 0 || p[2] == '/'))
			return true;
	return false;
}

enum kind { OPEN, STAT, FSTAT, READLINK };

/* A call the try may serve: where it names, the open that proves access, where the answer goes. */
struct
try {
	enum kind kind;
	long dirfd;
	const char *path;
	long flags;
	uint64_t buf;
};

#define SB_KG_STAT_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

/* newfstatat: by path as stat and lstat, or (AT_EMPTY_PATH, "" or NULL) the caller's own fd. */
static bool decode_fstatat(const uint64_t a[6], struct try *t)
{
	const uint64_t empty = AT_EMPTY_PATH, nofollow = AT_SYMLINK_NOFOLLOW;
	t->dirfd = (long)a[0];
	t->path = (const char *)(uintptr_t)a[1];
	t->buf = a[2];
	if ((a[3] & empty) && t->path && !t->path[0]) {
		/*
		 * The fd the caller holds: the broker stats it without a check, and fstat is the
		 * runtime's own call in every filter. AT_FDCWD (the cwd) is the broker's, and so is
		 * a NULL path (the broker answers EFAULT, where Linux 6.11 stats the fd).
		 */
		t->kind = FSTAT;
		return (a[3] & ~(empty | nofollow | (uint64_t)AT_NO_AUTOMOUNT)) == 0 &&
		       (int)a[0] >= 0;
	}
	/* AT_NO_AUTOMOUNT and the rest: the broker's (an open would trigger the automount). */
	if (a[3] & ~nofollow)
		return false;
	t->kind = STAT;
	t->flags = SB_KG_STAT_FLAGS | (a[3] ? O_NOFOLLOW : 0);
	return true;
}

/* readlink of a name that is no symlink: EINVAL, once the open proves "stat" on it. */
static bool decode_readlink(long dirfd, uint64_t path, uint64_t size, struct try *t)
{
	t->kind = READLINK;
	t->dirfd = dirfd;
	t->path = (const char *)(uintptr_t)path;
	t->flags = SB_KG_STAT_FLAGS | O_NOFOLLOW;
	return (int)size > 0;
}

/* The call's arguments, if it is one the try may serve (sb_kg_direct_calls, no other). */
static bool decode(long nr, const uint64_t a[6], struct try *t)
{
	*t = (struct try){ .kind = OPEN, .dirfd = AT_FDCWD };
	if (!sb_kg_direct_call(nr))
		return false;
	switch (nr) {
	case SYS_openat:
		t->dirfd = (long)a[0];
		t->path = (const char *)(uintptr_t)a[1];
		t->flags = (long)(int)a[2];
		break;
#ifdef SYS_open
	case SYS_open:
		t->path = (const char *)(uintptr_t)a[0];
		t->flags = (long)(int)a[1];
		break;
	case SYS_stat:
	case SYS_lstat:
		t->kind = STAT;
		t->path = (const char *)(uintptr_t)a[0];
		t->buf = a[1];
		t->flags = SB_KG_STAT_FLAGS | (nr == SYS_lstat ? O_NOFOLLOW : 0);
		break;
	case SYS_readlink:
		if (!decode_readlink(AT_FDCWD, a[0], a[2], t))
			return false;
		break;
#endif
	case SYS_readlinkat:
		if (!decode_readlink((long)a[0], a[1], a[3], t))
			return false;
		break;
	case SYS_newfstatat:
		if (!decode_fstatat(a, t))
			return false;
		if (t->kind == FSTAT)
			return true;
		break;
	default:
		return false;
	}
	/* What the filters let through: read-only, nothing created, truncated or O_PATH. */
	if ((t->flags & SB_KG_FLAGS_MASK) != O_RDONLY || !t->path || !t->path[0])
		return false;
	/* readlink "name/" follows a symlink the name is: the broker's. */
	if (t->kind == READLINK && t->path[sb_strnlen(t->path, PATH_MAX) - 1] == '/')
		return false;
	/*
	 * A relative name is the broker's: it may start in /proc ("exe" from /proc/self), where
	 * the kernel follows the magic links (exe, root, cwd, fd/N) to a granted file the broker
	 * never follows (ELOOP, or EACCES and a record for its own /proc that "self" names there),
	 * and a try that Landlock refuses leaves a kernel record of a denial (rule "kernel") of a
	 * call the broker may then allow: from any directory outside the grants, every relative
	 * call would. ".." may climb out of a grant into /proc likewise. And an absolute name
	 * outside every grant would only be refused.
	 */
	return t->path[0] == '/' && !has_dotdot(t->path) && under_plan(t->path);
}

bool sb_kg_try(long nr, const uint64_t args[6], long *ret)
{
	struct try t;

	if (!sb_kg_on || !decode(nr, args, &t))
		return false;
	if (t.kind == FSTAT) {
		/* A closed fd, a buffer the kernel could not write: the broker's answer. */
		*ret = raw(SYS_fstat, t.dirfd, (long)t.buf, 0, 0, 0, 0);
		return *ret == 0;
	}
	long fd = raw(SYS_openat, t.dirfd, (long)t.path, t.flags, (long)SB_KG_COOKIE, 0, 0);
	if (fd < 0)
		return false;
	if (t.kind == OPEN) {
		*ret = fd;
		return true;
	}
	long r = t.kind == READLINK ? -EINVAL : raw(SYS_fstat, fd, (long)t.buf, 0, 0, 0, 0);
	raw(SYS_close, fd, 0, 0, 0, 0, 0);
	/* A stat buffer the kernel could not write: the broker answers (EFAULT, as before). */
	if (t.kind == STAT && r < 0)
		return false;
	*ret = t.kind == READLINK ? r : 0;
	return true;
}
