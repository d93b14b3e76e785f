/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel grants applied with Landlock (landlock.h). sb_landlock_apply runs between fork and exec
 * in `sysbroker run`'s first process and in sb_sandbox_enter: syscalls and the stack only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/landlock.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <linux/seccomp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kgcookie.h"
#include "glob.h"
#include "landlock.h"
#include "macro.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
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

/*
 * path opened with flags (O_PATH or O_DIRECTORY, O_CLOEXEC added) by a walk that follows no
 * symlink, magic or not: a rule, or the listing of an exec pattern's directory, must be on the
 * file the path names itself, never on one a link the sandbox may have planted leads to. -errno
 * (ELOOP for a symlink on the way).
 */
static int open_plain(const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	return (int)sys(SYS_openat2, AT_FDCWD, (long)path, (long)&how, sizeof(how));
}

/*
 * One grant's rule: 1 added, 0 left to the broker, or -errno. An exec plan's entry (exec) gets
 * its rule only on the regular file the plan found at its path, by dev and inode.
 */
static int add_grant(int ruleset, const struct sb_kgrant *g, bool exec)
{
	struct stat st;
	int fd = open_plain(g->path, O_PATH);
	if (fd < 0)
		return 0; /* gone, a symlink on the way, or out of this user's reach: the broker's
			   */
	int r = (int)sys(SYS_fstat, fd, (long)&st, 0, 0);
	struct landlock_path_beneath_attr pb = { .parent_fd = fd };
	if (r == 0 && exec) {
		if (S_ISREG(st.st_mode) && (uint64_t)st.st_dev == g->dev &&
		    (uint64_t)st.st_ino == g->ino)
			pb.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE;
	} else if (r == 0 && S_ISDIR(st.st_mode)) {
		/* A rule on a directory holds everything beneath: a directory alone cannot be. */
		if (g->tree) /* a list-only tree lets no file be read */
			pb.allowed_access =
				((g->access & SB_KGRANT_READ) ? LANDLOCK_ACCESS_FS_READ_FILE : 0) |
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

int sb_landlock_ruleset(const struct sb_kgrant_plan *plan, const struct sb_kgrant_plan *exec,
			int abi, int *ret_n)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = HANDLED };
	int n = 0;

	if (!plan || !ret_n)
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
		r = add_grant(rs, &plan->grants[i], false);
		n += r > 0;
	}
	for (size_t i = 0; r >= 0 && exec && i < exec->n; i++)
		r = add_grant(rs, &exec->grants[i], true) < 0 ? -1 : 0;
	if (r >= 0 && n == 0)
		r = -ENOENT;
	if (r < 0) {
		sys(SYS_close, rs, 0, 0, 0);
		return r;
	}
	*ret_n = n;
	return rs;
}

int sb_landlock_restrict(int ruleset, int abi)
{
	/* Denials in the images this one executes are in the kernel's audit log too (ABI 7). */
	int r = (int)sys(SYS_landlock_restrict_self, ruleset,
			 abi >= 7 ? LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON : 0, 0, 0);
	sys(SYS_close, ruleset, 0, 0, 0);
	return r;
}

int sb_landlock_apply(const struct sb_kgrant_plan *plan, const struct sb_kgrant_plan *exec, int abi)
{
	int n = 0;
	int rs = sb_landlock_ruleset(plan, exec, abi, &n);
	if (rs < 0)
		return rs;
	int r = sb_landlock_restrict(rs, abi);
	return r < 0 ? r : n;
}

/* Whether dir (a path, or a pattern's literal directory) lies in a tree the plan lets read. */
static bool read_covered(const struct sb_kgrant_plan *plan, const char *dir, size_t len)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct sb_kgrant *g = &plan->grants[i];
		size_t n = strlen(g->path);
		if (!(g->access & SB_KGRANT_READ))
			continue;
		if (!g->tree) {
			if (n == len && strncmp(g->path, dir, len) == 0)
				return true;
			continue;
		}
		if (n == 1 ||
		    (n <= len && strncmp(g->path, dir, n) == 0 && (len == n || dir[n] == '/')))
			return true;
	}
	return false;
}

/* An entry for the regular file st describes, at path. */
static int exec_add(struct sb_kgrant_plan *ret, const char *path, const struct stat *st,
		    const struct sb_pathrule *r)
{
	struct sb_kgrant *v = reallocarray(ret->grants, ret->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	ret->grants = v;
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	v[ret->n++] = (struct sb_kgrant){ .path = p,
					  .access = SB_KGRANT_READ,
					  .origin = r->c.origin,
					  .dev = (uint64_t)st->st_dev,
					  .ino = (uint64_t)st->st_ino };
	return 0;
}

/*
 * A literal exec rule's file: an entry only if its path names a regular file without a symlink
 * on the way. The broker decides an exec on the canonical path, so a rule naming a symlink lets
 * nothing run there, and a rule for the file it leads to would read whatever the link points at
 * (one the sandbox made, in a place it may write, at the next start).
 */
static int exec_literal(struct sb_kgrant_plan *ret, const char *path, const struct sb_pathrule *r)
{
	struct stat st;
	int fd = open_plain(path, O_PATH);
	if (fd < 0)
		return 0;
	int e = (int)sys(SYS_fstat, fd, (long)&st, 0, 0);
	sys(SYS_close, fd, 0, 0, 0);
	return e == 0 && S_ISREG(st.st_mode) ? exec_add(ret, path, &st, r) : 0;
}

/*
 * A pattern whose wildcards are in its last component, in directory dir (its literal head,
 * len bytes of r->pattern) that no kernel grant lets read: each regular file it matches now
 * gets a rule of its own, when no new name can appear there (sb_kgrant_no_new_names(), so the
 * files there now are all it will ever match). 0, -EOPNOTSUPP (left to today's answer: no kernel
 * grants) or -ENOMEM.
 */
static int exec_expand(const struct sb_policy *policy, const struct sb_pathrule *r, size_t len,
		       struct sb_kgrant_plan *ret)
{
	char dir[PATH_MAX];
	if (len == 0 || len >= sizeof(dir) || strchr(r->pattern + len + 1, '/') ||
	    strstr(r->pattern, "**"))
		return -EOPNOTSUPP;
	memcpy(dir, r->pattern, len);
	dir[len] = 0;
	if (!sb_kgrant_no_new_names(policy, dir))
		return -EOPNOTSUPP;
	/* The directory itself, not one a symlink on the way leads to (exec_literal()). */
	int dfd = open_plain(dir, O_RDONLY | O_DIRECTORY);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return 0; /* nothing there now, nor later, or not the directory it names */
	}
	int e = 0;
	for (struct dirent *de; e == 0 && (de = readdir(d));) {
		char path[PATH_MAX];
		struct stat st;
		if (snprintf(path, sizeof(path), "%s/%s", len > 1 ? dir : "", de->d_name) >=
			    (int)sizeof(path) ||
		    !sb_glob_match(r->pattern, path) ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		e = exec_add(ret, path, &st, r);
	}
	closedir(d);
	return e;
}

int sb_kg_exec_plan(const struct sb_policy *policy, const struct sb_kgrant_plan *plan,
		    struct sb_kgrant_plan *ret, const struct sb_pathrule **why)
{
	int e = 0;
	*ret = (struct sb_kgrant_plan){ 0 };
	for (const struct sb_policy *l = policy; e == 0 && l; l = l->next)
		for (size_t i = 0; e == 0 && i < l->npaths; i++) {
			const struct sb_pathrule *r = &l->paths[i];
			if (r->c.verdict != SB_ALLOW || !(r->perms & SB_PERM_EXEC) ||
			    r->pattern[0] != '/')
				continue;
			size_t lit = strcspn(r->pattern, "*?[{\\");
			if (r->pattern[lit] == 0) {
				/* A literal file: readable under the plan, or a rule of its own. */
				if (!read_covered(plan, r->pattern, lit))
					e = exec_literal(ret, r->pattern, r);
				continue;
			}
			/* A pattern: its literal directory read-granted, or its files listed. */
			while (lit > 0 && r->pattern[lit - 1] != '/')
				lit--;
			size_t dlen = lit > 1 ? lit - 1 : lit;
			if (!read_covered(plan, r->pattern, dlen))
				e = exec_expand(policy, r, dlen, ret);
			if (e == -EOPNOTSUPP)
				*why = r;
		}
	if (e < 0) {
		sb_kgrant_plan_free(ret);
		*ret = (struct sb_kgrant_plan){ 0 };
	}
	return e;
}

/* The hint's form of a grant: "P/" for a tree (so that "/a" never covers "/ab"), "P" alone. */
static char *hint_entry(const struct sb_kgrant *g)
{
	char *e = NULL;
	bool slash = g->tree && strcmp(g->path, "/") != 0;
	if (strchr(g->path, ':') || asprintf(&e, "%s%s", g->path, slash ? "/" : "") < 0)
		return NULL; /* ':' separates: such a grant is only slower (brokered) */
	return e;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether tree entry t ("P/") covers entry e: the hint needs only the outermost. */
static bool covers(const char *t, const char *e)
{
	size_t n = strlen(t);
	return n > 0 && t[n - 1] == '/' && strncmp(t, e, n) == 0;
}

/*
 * Appends ":" (unless first) and e to the hint s of length *o; false if it does not fit below
 * max bytes.
 */
static bool hint_add(char *s, size_t *o, const char *e, size_t max)
{
	size_t len = strlen(e);
	if (*o + len + 2 > max)
		return false;
	if (*o)
		s[(*o)++] = ':';
	memcpy(s + *o, e, len + 1);
	*o += len;
	return true;
}

/*
 * "!DEV.INO" for each file the domain lets the kernel read only because the policy lets it be
 * executed (the exec plan), then "+e" once all are there, into x (SB_KG_EXEC_ROOM bytes): the
 * handler answers no call whose open lands on one of them (the broker refuses to read it, and
 * may refuse to stat it), and none at all without "+e". Its length, reserved in the hint.
 */
static size_t hint_exec(const struct sb_kgrant_plan *exec, char *x)
{
	char e[40];
	size_t n = 0, o = 0;
	x[0] = 0;
	for (size_t i = 0; exec && i < exec->n; i++) {
		/* The file the plan found: add_grant() puts a rule on it or on none. */
		snprintf(e, sizeof(e), "!%llx.%llx", (unsigned long long)exec->grants[i].dev,
			 (unsigned long long)exec->grants[i].ino);
		if (++n > SB_KG_EXEC_MAX || !hint_add(x, &o, e, SB_KG_EXEC_ROOM))
			return 0;
	}
	hint_add(x, &o, "+e", SB_KG_EXEC_ROOM);
	return o;
}

/*
 * After the paths: "=D" for each of plan.dirs, and "+r" when every grant that lists also reads
 * (a directory the kernel lets the program open then lies in a tree where the policy allows read
 * too, which the handler's proof of a missing name needs for an open).
 */
static void hint_tail(const struct sb_kgrant_plan *plan, char *s, size_t *o, size_t max)
{
	char e[PATH_MAX + 2];
	bool list_reads = true;
	for (size_t i = 0; i < plan->n; i++) {
		uint32_t a = plan->grants[i].access;
		if ((a & SB_KGRANT_LIST) && !(a & SB_KGRANT_READ))
			list_reads = false;
	}
	for (size_t i = 0; i < plan->ndirs; i++)
		if (!strchr(plan->dirs[i].path, ':') &&
		    snprintf(e, sizeof(e), "=%s", plan->dirs[i].path) < (int)sizeof(e))
			hint_add(s, o, e, max);
	if (list_reads)
		hint_add(s, o, "+r", max);
}

/*
 * Whether the handler should try names under g. While the kernel's refusals are recorded
 * (records), a try must not be refused for the kind of file it meets: a tree that only reads
 * refuses to open a directory, one that only lists refuses a file, and the try cannot know which
 * it will meet.
 */
static bool hinted(const struct sb_kgrant *g, bool records)
{
	const uint32_t both = SB_KGRANT_READ | SB_KGRANT_LIST;
	return !records || !g->tree || (g->access & both) == both;
}

char *sb_kg_paths(const struct sb_kgrant_plan *plan, const struct sb_kgrant_plan *exec,
		  bool records)
{
	size_t n = 0, o = 0;
	char x[SB_KG_EXEC_ROOM];
	const size_t max = SB_KG_PATHS_MAX;
	if (!plan || plan->n == 0)
		return NULL;
	/* The exec files and "+e" after the rest (SB_KG_HINT_MAX keeps room for ":+k"). */
	size_t xn = hint_exec(exec, x);
	char **v = calloc(plan->n, sizeof(*v));
	char *s = calloc(1, SB_KG_HINT_MAX);
	for (size_t i = 0; v && s && i < plan->n; i++)
		if (hinted(&plan->grants[i], records) && (v[n] = hint_entry(&plan->grants[i])))
			n++;
	if (v && s && xn) {
		/*
		 * Sorted, so that the handler can stop at the first entry past the path, and
		 * without entries a tree before them covers; what does not fit is left out.
		 */
		qsort(v, n, sizeof(*v), entry_cmp);
		const char *last = NULL;
		for (size_t i = 0; i < n; i++) {
			if (last && covers(last, v[i]))
				continue;
			if (hint_add(s, &o, v[i], max))
				last = v[i];
		}
		if (o) {
			hint_tail(plan, s, &o, max);
			hint_add(s, &o, x, SB_KG_HINT_MAX - 8);
		}
	}
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
	if (o == 0) {
		free(s);
		return NULL;
	}
	return s;
}

bool sb_kg_embedded;

int sb_kg_prefix_prog(struct sock_fprog *main, uint32_t ret)
{
	if (main->len + SB_KG_PREFIX_LEN > BPF_MAXINSNS)
		return -E2BIG;
	struct sock_filter *f = calloc(main->len + SB_KG_PREFIX_LEN, sizeof(*f));
	if (!f)
		return -ENOMEM;
	sb_kg_prefix_ret(f, ret);
	memcpy(f + SB_KG_PREFIX_LEN, main->filter, main->len * sizeof(*f));
	free(main->filter);
	main->filter = f;
	main->len = (unsigned short)(main->len + SB_KG_PREFIX_LEN);
	return 0;
}

/* The number of threads of this process, as /proc/self/task lists them; -errno. */
static int threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	if (!d)
		return -errno;
	for (struct dirent *de; (de = readdir(d));)
		n += de->d_name[0] >= '0' && de->d_name[0] <= '9';
	closedir(d);
	return n;
}

int sb_kg_embed_prepare(const struct sb_policy *policy, struct sb_kg_embed *k,
			struct sock_fprog *main)
{
	int n = 0;
	*k = (struct sb_kg_embed){ .abi = sb_landlock_abi(), .ruleset = -1 };
	if (k->abi < 1 || threads() != 1)
		return 0;
	int r = sb_kgrant_plan(policy, &k->plan);
	if (r < 0 || k->plan.n == 0)
		return r;
	/* Everything but restrict_self now, while every syscall is still ours to make. */
	const struct sb_pathrule *why = NULL;
	if (sb_kg_exec_plan(policy, &k->plan, &k->exec, &why) < 0)
		return 0;
	k->ruleset = sb_landlock_ruleset(&k->plan, &k->exec, k->abi, &n);
	if (k->ruleset < 0)
		return 0;
	r = sb_kg_prefix_prog(main, SECCOMP_RET_ALLOW);
	return r == -E2BIG ? 0 : r < 0 ? r : 1;
}

int sb_kg_embed_commit(struct sb_kg_embed *k)
{
	int r = sb_landlock_restrict(k->ruleset, k->abi);
	k->ruleset = -1;
	if (r == 0) {
		char *paths = sb_kg_paths(&k->plan, &k->exec, false); /* no kernel records read */
		sb_kg_set(paths);
		free(paths);
		sb_kg_embedded = true;
		return 0;
	}
	/* No domain: close what the prefix opened, before anything else runs. */
	struct sock_filter f[SB_KG_PREFIX_LEN + 1];
	sb_kg_prefix_ret(f, SECCOMP_RET_ERRNO | EACCES);
	f[SB_KG_PREFIX_LEN] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = SB_KG_PREFIX_LEN + 1, .filter = f };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
		return errno ? -errno : -EBUSY;
	return 0;
}

void sb_kg_embed_release(struct sb_kg_embed *k)
{
	if (k->ruleset >= 0)
		sys(SYS_close, k->ruleset, 0, 0, 0);
	k->ruleset = -1;
	sb_kgrant_plan_free(&k->plan);
	sb_kgrant_plan_free(&k->exec);
	k->plan = k->exec = (struct sb_kgrant_plan){ 0 };
}
