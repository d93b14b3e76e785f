/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The handler's side of kernel grants without a filter: the hint made from a plan (sorted,
 * outermost trees only) and which calls the direct try makes (sandboxee/direct.c). Without a
 * filter the cookie is just an ignored mode, so a try that is made succeeds on an existing file.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "landlock.h"

static char root[64];

static void grant(struct sb_kgrant *g, const char *rel, bool tree)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s%s", root, rel) > 0);
	*g = (struct sb_kgrant){ .path = p, .tree = tree, .access = SB_KGRANT_READ };
}

static void test_hint(void **state)
{
	(void)state;
	struct sb_kgrant g[5];
	grant(&g[0], "/etc/a", true);
	grant(&g[1], "/etc/a.conf", false);
	grant(&g[2], "/usr", true);
	grant(&g[3], "/usr/lib", true);  /* covered by /usr/ */
	grant(&g[4], "/etc/b:c", false); /* ':' cannot be in the hint */
	struct sb_kgrant_plan plan = { .grants = g, .n = 5 };
	char *h = sb_kg_paths(&plan, NULL, false);
	char *want = NULL;
	assert_true(asprintf(&want, "%s/etc/a.conf:%s/etc/a/:%s/usr/:+r:+e", root, root, root) > 0);
	assert_non_null(h);
	assert_string_equal(h, want);
	free(want);
	free(h);
	/* Refusals recorded: only trees that read and list (these read only), and files alone. */
	h = sb_kg_paths(&plan, NULL, true);
	assert_true(asprintf(&want, "%s/etc/a.conf:+r:+e", root) > 0);
	assert_non_null(h);
	assert_string_equal(h, want);
	free(want);
	free(h);
	for (int i = 0; i < 5; i++)
		free(g[i].path);
	assert_null(sb_kg_paths(&(struct sb_kgrant_plan){ 0 }, NULL, false));
}

/* Whether the direct try answered the call (it exists, so a try that is made succeeds). */
static bool tried(long nr, const char *rel, long flags)
{
	char p[128];
	struct stat st;
	long ret = -1;
	snprintf(p, sizeof(p), "%s%s", root, rel);
	uint64_t a[6] = { 0 };
	if (nr == SYS_openat)
		a[0] = (uint64_t)AT_FDCWD, a[1] = (uintptr_t)p, a[2] = (uint64_t)flags;
	else
		a[0] = (uint64_t)AT_FDCWD, a[1] = (uintptr_t)p, a[2] = (uintptr_t)&st,
		a[3] = (uint64_t)flags;
	bool r = sb_kg_try(nr, a, &ret);
	if (r && nr == SYS_openat)
		close((int)ret);
	return r;
}

static void test_try(void **state)
{
	(void)state;
	char hint[512];
	snprintf(hint, sizeof(hint), "%s/etc/a.conf:%s/etc/a/:%s/usr/:+e", root, root, root);
	sb_kg_set(hint);
	assert_true(sb_kg_on);
	assert_true(tried(SYS_openat, "/etc/a/x", O_RDONLY));
	assert_true(tried(SYS_openat, "/etc/a", O_RDONLY | O_DIRECTORY)); /* a tree's root */
	assert_true(tried(SYS_openat, "/etc/a.conf", O_RDONLY));
	assert_true(tried(SYS_openat, "/usr/lib/y", O_RDONLY));
	assert_true(tried(SYS_newfstatat, "/usr/lib/y", 0));
	assert_true(tried(SYS_newfstatat, "/usr/lib/y", AT_SYMLINK_NOFOLLOW));
	/* Not under the hint: no try. */
	assert_false(tried(SYS_openat, "/etc/ab", O_RDONLY));
	assert_false(tried(SYS_openat, "/etc/a.confx", O_RDONLY));
	assert_false(tried(SYS_openat, "/etc", O_RDONLY));
	/* Flags the filter refuses, and flags of stat the try does not serve: no try. */
	assert_false(tried(SYS_openat, "/etc/a/x", O_RDWR));
	assert_false(tried(SYS_openat, "/etc/a/x", O_RDONLY | O_TRUNC));
	assert_false(tried(SYS_openat, "/etc/a/x", O_PATH));
	assert_false(tried(SYS_openat, "/etc/a/x", O_RDONLY | O_CREAT));
	assert_false(tried(SYS_newfstatat, "/usr/lib/y", AT_EMPTY_PATH));
	/* A symlink with lstat's O_NOFOLLOW: ELOOP, so the broker's. */
	assert_false(tried(SYS_newfstatat, "/usr/link", AT_SYMLINK_NOFOLLOW));
	assert_true(tried(SYS_newfstatat, "/usr/link", 0));
	/*
	 * A relative name is tried from a directory the kernel lets the program list (listed_base;
	 * with no domain here, any: security/kgrants tries /proc), and a name with ".." is the
	 * broker's, since it may climb into /proc, whose magic links the broker never follows.
	 */
	long ret;
	int dir = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(dir >= 0);
	uint64_t a[6] = { (uint64_t)dir, (uintptr_t) "etc/a/x", O_RDONLY };
	assert_true(sb_kg_try(SYS_openat, a, &ret));
	close((int)ret);
	a[1] = (uintptr_t) "etc/../etc/a/x";
	assert_false(sb_kg_try(SYS_openat, a, &ret));
	a[1] = (uintptr_t) "etc/a/x";
	a[0] = (uint64_t)AT_FDCWD; /* from the build directory: no such file, and no "+r" */
	assert_false(sb_kg_try(SYS_openat, a, &ret));
	a[1] = (uintptr_t) "";
	assert_false(sb_kg_try(SYS_openat, a, &ret));
	close(dir);
	assert_false(tried(SYS_openat, "/usr/../usr/lib/y", O_RDONLY));
	assert_false(tried(SYS_openat, "/usr/lib/..", O_RDONLY | O_DIRECTORY));
	assert_false(tried(SYS_newfstatat, "/usr/lib/../lib/y", 0));
	assert_true(tried(SYS_newfstatat, "/usr/lib/./y", 0));
	assert_true(tried(SYS_openat, "/usr/lib/..y", O_RDONLY)); /* a name, not ".." */
}

/* readlink: EINVAL for a name the open reaches without following it; the rest is the broker's. */
static bool readlinked(long nr, const char *rel, long size, long *ret)
{
	char p[128], buf[64];
	snprintf(p, sizeof(p), "%s%s", root, rel);
	uint64_t a[6] = { (uintptr_t)p, (uintptr_t)buf, (uint64_t)size };
	if (nr == SYS_readlinkat)
		a[0] = (uint64_t)AT_FDCWD, a[1] = (uintptr_t)p, a[2] = (uintptr_t)buf,
		a[3] = (uint64_t)size;
	*ret = 1;
	return sb_kg_try(nr, a, ret);
}

static void test_readlink(void **state)
{
	(void)state;
	long ret;
	char hint[512];
	snprintf(hint, sizeof(hint), "%s/etc/a.conf:%s/etc/a/:%s/usr/:+e", root, root, root);
	sb_kg_set(hint);
	assert_true(readlinked(SYS_readlinkat, "/usr/lib/y", 64, &ret));
	assert_int_equal(ret, -EINVAL);
	assert_true(readlinked(SYS_readlinkat, "/usr/lib", 64, &ret)); /* a directory */
	assert_int_equal(ret, -EINVAL);
#ifdef SYS_readlink
	assert_true(readlinked(SYS_readlink, "/etc/a.conf", 64, &ret));
	assert_int_equal(ret, -EINVAL);
#endif
	/* A symlink (its target is the broker's to give), a missing name, outside, a bad size. */
	assert_false(readlinked(SYS_readlinkat, "/usr/link", 64, &ret));
	/* A missing name in a directory that opens: ENOENT (missing() in direct.c). */
	assert_true(readlinked(SYS_readlinkat, "/usr/missing", 64, &ret));
	assert_int_equal(ret, -ENOENT);
	assert_false(readlinked(SYS_readlinkat, "/etc/ab/z", 64, &ret));
	assert_false(readlinked(SYS_readlinkat, "/usr/lib/y", 0, &ret));
	assert_false(readlinked(SYS_readlinkat, "/usr/lib/y", -1, &ret));
	/* "name/" follows a symlink: the broker's. */
	assert_false(readlinked(SYS_readlinkat, "/usr/lib/", 64, &ret));
}

/* A known directory's readlink is EINVAL without a call; the hint's other parts. */
static void test_known_dir(void **state)
{
	(void)state;
	long ret;
	char hint[512];
	snprintf(hint, sizeof(hint), "%s/usr/:=%s:=%s/nowhere:+r:+e", root, root, root);
	sb_kg_set(hint);
	assert_true(readlinked(SYS_readlinkat, "", 64, &ret)); /* the root itself */
	assert_int_equal(ret, -EINVAL);
	/* Known without a call: even a name that is not there now answers so (the plan's). */
	assert_true(readlinked(SYS_readlinkat, "/nowhere", 64, &ret));
	assert_int_equal(ret, -EINVAL);
	assert_false(readlinked(SYS_readlinkat, "/nowher", 64, &ret));
	assert_false(readlinked(SYS_readlinkat, "/nowhere/", 64, &ret));
	assert_false(readlinked(SYS_readlinkat, "/nowhere", 0, &ret));
}

/* What a failed try may still answer: ENOENT, proved in a directory that opens. */
static bool missing_at(long nr, const char *rel, long *ret)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s%s", root, rel);
	uint64_t a[6] = { (uint64_t)AT_FDCWD, (uintptr_t)p, O_RDONLY };
	if (nr == SYS_newfstatat)
		a[2] = (uintptr_t)&st, a[3] = 0;
	*ret = 1;
	bool r = sb_kg_try(nr, a, ret);
	if (r && *ret >= 0 && nr == SYS_openat)
		close((int)*ret);
	return r;
}

static void test_missing(void **state)
{
	(void)state;
	long ret;
	char hint[512];
	snprintf(hint, sizeof(hint), "%s/usr/:+r:+e", root);
	sb_kg_set(hint);
	assert_true(missing_at(SYS_newfstatat, "/usr/none", &ret));
	assert_int_equal(ret, -ENOENT);
	assert_true(missing_at(SYS_openat, "/usr/none", &ret));
	assert_int_equal(ret, -ENOENT);
	/* Up to four missing components, each parent tried in turn; a fifth is the broker's. */
	assert_true(missing_at(SYS_openat, "/usr/a/b/c/d", &ret));
	assert_int_equal(ret, -ENOENT);
	assert_false(missing_at(SYS_openat, "/usr/a/b/c/d/e", &ret));
	/* A dangling symlink, "." and "..", a file as a directory: the broker's. */
	assert_false(missing_at(SYS_newfstatat, "/usr/dangling", &ret));
	assert_false(missing_at(SYS_newfstatat, "/usr/none/..", &ret));
	assert_false(missing_at(SYS_newfstatat, "/usr/lib/y/z", &ret));
	/* Without "+r" a listed directory proves nothing about read: opens are the broker's. */
	snprintf(hint, sizeof(hint), "%s/usr/:+e", root);
	sb_kg_set(hint);
	assert_false(missing_at(SYS_openat, "/usr/none", &ret));
	assert_true(missing_at(SYS_newfstatat, "/usr/none", &ret));
	/* A single relative name: its parent is the directory it is relative to. */
	int dir = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(dir >= 0);
	struct stat st;
	uint64_t a[6] = { (uint64_t)dir, (uintptr_t) "none", (uintptr_t)&st, 0 };
	assert_true(sb_kg_try(SYS_newfstatat, a, &ret));
	assert_int_equal(ret, -ENOENT);
	close(dir);
}

/* access with F_OK or R_OK is an open for reading; W_OK and X_OK are the broker's. */
static void test_access(void **state)
{
	(void)state;
	char hint[512], p[128];
	long ret = 1;
	snprintf(hint, sizeof(hint), "%s/usr/:+e", root);
	sb_kg_set(hint);
	snprintf(p, sizeof(p), "%s/usr/lib/y", root);
	uint64_t a[6] = { (uint64_t)AT_FDCWD, (uintptr_t)p, R_OK, 0 };
	assert_true(sb_kg_try(SYS_faccessat, a, &ret));
	assert_int_equal(ret, 0);
	a[2] = F_OK;
	assert_true(sb_kg_try(SYS_faccessat2, a, &ret));
	a[3] = AT_EACCESS | AT_SYMLINK_NOFOLLOW;
	assert_true(sb_kg_try(SYS_faccessat2, a, &ret));
	a[3] = AT_EMPTY_PATH;
	assert_false(sb_kg_try(SYS_faccessat2, a, &ret));
	a[3] = 0;
	a[2] = W_OK;
	assert_false(sb_kg_try(SYS_faccessat, a, &ret));
	a[2] = X_OK | R_OK;
	assert_false(sb_kg_try(SYS_faccessat, a, &ret));
	/* A symlink not followed: ELOOP, the broker's; followed: its file. */
	snprintf(p, sizeof(p), "%s/usr/link", root);
	a[2] = F_OK, a[3] = AT_SYMLINK_NOFOLLOW;
	assert_false(sb_kg_try(SYS_faccessat2, a, &ret));
	a[3] = 0;
	assert_true(sb_kg_try(SYS_faccessat2, a, &ret));
	/* A missing name: ENOENT, the broker's answer before any rule. */
	snprintf(p, sizeof(p), "%s/usr/none", root);
	assert_true(sb_kg_try(SYS_faccessat, a, &ret));
	assert_int_equal(ret, -ENOENT);
#ifdef SYS_access
	uint64_t b[6] = { (uintptr_t)p, R_OK };
	assert_true(sb_kg_try(SYS_access, b, &ret));
	assert_int_equal(ret, -ENOENT);
#endif
}

/* newfstatat(fd, "", AT_EMPTY_PATH), the C library's fstat: fstat of the caller's fd. */
static void test_fstat(void **state)
{
	(void)state;
	char hint[512], p[128];
	struct stat st, want;
	long ret = 1;
	snprintf(hint, sizeof(hint), "%s/usr/:+e", root);
	sb_kg_set(hint);
	snprintf(p, sizeof(p), "%s/etc/ab/z", root); /* outside the hint: the fd is the caller's */
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0 && fstat(fd, &want) == 0);
	uint64_t a[6] = { (uint64_t)fd, (uintptr_t) "", (uintptr_t)&st, AT_EMPTY_PATH };
	assert_true(sb_kg_try(SYS_newfstatat, a, &ret));
	assert_int_equal(ret, 0);
	assert_int_equal(st.st_ino, want.st_ino);
	a[3] = AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW;
	assert_true(sb_kg_try(SYS_newfstatat, a, &ret));
	/* A NULL path (the broker answers EFAULT, Linux 6.11 the fd's stat): the broker's. */
	a[1] = 0;
	assert_false(sb_kg_try(SYS_newfstatat, a, &ret));
	a[1] = (uintptr_t) "";
	a[2] = 0; /* a buffer the kernel cannot write: the broker's */
	assert_false(sb_kg_try(SYS_newfstatat, a, &ret));
	a[2] = (uintptr_t)&st;
	close(fd);
	a[3] = AT_EMPTY_PATH;
	assert_false(sb_kg_try(SYS_newfstatat, a, &ret)); /* a closed fd: the broker's */
	/* The cwd (AT_FDCWD), a path, unknown flags: the broker's. */
	a[0] = (uint64_t)AT_FDCWD;
	assert_false(sb_kg_try(SYS_newfstatat, a, &ret));
	a[0] = 0, a[1] = (uintptr_t) "x";
	assert_false(sb_kg_try(SYS_newfstatat, a, &ret));
	a[1] = (uintptr_t) "", a[3] = AT_EMPTY_PATH | 0x10000000;
	assert_false(sb_kg_try(SYS_newfstatat, a, &ret));
}

/* The exec plan's files: every one named ("!DEV.INO") before "+e", and none answered. */
static void test_exec_files(void **state)
{
	(void)state;
	char hint[512], p[128];
	struct stat st;
	snprintf(p, sizeof(p), "%s/usr/lib/y", root);
	assert_int_equal(stat(p, &st), 0);
	/* Without "+e" (a hint cut short, or forged) the handler tries nothing. */
	snprintf(hint, sizeof(hint), "%s/usr/", root);
	sb_kg_set(hint);
	assert_false(sb_kg_on);
	snprintf(hint, sizeof(hint), "%s/usr/:!zz.1:+e", root);
	sb_kg_set(hint);
	assert_false(sb_kg_on);
	snprintf(hint, sizeof(hint), "%s/usr/:!%llx.%llx:+e", root, (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	sb_kg_set(hint);
	assert_true(sb_kg_on);
	assert_false(tried(SYS_openat, "/usr/lib/y", O_RDONLY));
	assert_false(tried(SYS_newfstatat, "/usr/lib/y", 0));
	assert_false(tried(SYS_newfstatat, "/usr/link", 0)); /* through a symlink too */
	assert_true(tried(SYS_openat, "/usr/lib/..y", O_RDONLY));
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/sb-kgd.%d", (int)getpid());
	setenv("R", root, 1);
	if (system("mkdir -p \"$R\"/etc/a \"$R\"/etc/ab \"$R\"/usr/lib && cd \"$R\" && "
		   "touch etc/a/x etc/a.conf etc/a.confx etc/ab/z usr/lib/y usr/lib/..y && "
		   "ln -s lib/y usr/link && ln -s none usr/dangling") != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hint),     cmocka_unit_test(test_try),
		cmocka_unit_test(test_readlink), cmocka_unit_test(test_known_dir),
		cmocka_unit_test(test_missing),  cmocka_unit_test(test_fstat),
		cmocka_unit_test(test_access),   cmocka_unit_test(test_exec_files)
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	(void)!system("rm -rf \"$R\"");
	return r;
}
