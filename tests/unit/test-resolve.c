/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Path resolution from the broker's side, on a real tree: the canonical path is what the kernel
 * resolved, so ".." and symlinks cannot make a denied object look like a granted one, and magic
 * links are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy.h"
#include "proc.h"
#include "resolve.h"

static char root[PATH_MAX]; /* canonical temp dir */
static int rootfd = -1;

static void mk(const char *rel, const char *link_target)
{
	char p[2 * PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (link_target)
		assert_int_equal(symlink(link_target, p), 0);
	else if (rel[strlen(rel) - 1] == '/')
		assert_int_equal(mkdir(p, 0700), 0);
	else {
		int fd = open(p, O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/sb-test-resolve-XXXXXX";
	if (!mkdtemp(tmpl) || !realpath(tmpl, root))
		return -1;
	mk("granted/", NULL);
	mk("granted/a.txt", NULL);
	mk("granted/sub/", NULL);
	mk("granted/sub/b.txt", NULL);
	mk("granted/up", "..");
	mk("granted/abs", "/etc/passwd");
	mk("granted/rel", "sub/b.txt");
	mk("granted/loop", "loop");
	mk("granted/self", "/proc/self/root/etc");
	mk("outside.txt", NULL);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return rootfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];
	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void expect(const char *path, enum sb_resolve_mode mode, int want_r, const char *want_rel,
		   const char *want_last)
{
	struct sb_resolved res;
	char want[2 * PATH_MAX];
	int r = sb_resolve(rootfd, path, mode, 0, &res);
	if (r != want_r)
		fail_msg("%s (mode %d): returned %d (%s), want %d", path, mode, r, strerror(-r),
			 want_r);
	if (r < 0)
		return;
	if (want_rel[0] == '/')
		snprintf(want, sizeof(want), "%s", want_rel);
	else
		snprintf(want, sizeof(want), "%s%s%s", root, want_rel[0] ? "/" : "", want_rel);
	if (strcmp(res.path, want) != 0)
		fail_msg("%s (mode %d): canonical %s, want %s", path, mode, res.path, want);
	if (want_last)
		assert_string_equal(res.last, want_last);
	assert_true(res.fd >= 0);
	close(res.fd);
}

static void test_follow(void **state)
{
	expect("granted/a.txt", SB_RESOLVE_FOLLOW, 0, "granted/a.txt", NULL);
	expect("granted/sub/../a.txt", SB_RESOLVE_FOLLOW, 0, "granted/a.txt", NULL);
	expect("granted//sub/./b.txt", SB_RESOLVE_FOLLOW, 0, "granted/sub/b.txt", NULL);
	/* ".." through a symlink leaves the tree: the canonical path says so. */
	expect("granted/up/outside.txt", SB_RESOLVE_FOLLOW, 0, "outside.txt", NULL);
	expect("granted/../outside.txt", SB_RESOLVE_FOLLOW, 0, "outside.txt", NULL);
	expect("granted/abs", SB_RESOLVE_FOLLOW, 0, "/etc/passwd", NULL);
	expect("granted/rel", SB_RESOLVE_FOLLOW, 0, "granted/sub/b.txt", NULL);
	expect("granted/loop", SB_RESOLVE_FOLLOW, -ELOOP, NULL, NULL);
	expect("granted/missing", SB_RESOLVE_FOLLOW, -ENOENT, NULL, NULL);
	expect("granted/a.txt/x", SB_RESOLVE_FOLLOW, -ENOTDIR, NULL, NULL);
	expect("", SB_RESOLVE_FOLLOW, -ENOENT, NULL, NULL);
	expect("/", SB_RESOLVE_FOLLOW, 0, "/", NULL);
	/* An absolute path ignores the dirfd. */
	expect("/etc/../etc/passwd", SB_RESOLVE_FOLLOW, 0, "/etc/passwd", NULL);
}

static void test_nofollow(void **state)
{
	expect("granted/abs", SB_RESOLVE_NOFOLLOW, 0, "granted/abs", NULL);
	expect("granted/loop", SB_RESOLVE_NOFOLLOW, 0, "granted/loop", NULL);
	/* Only the last component is not followed. */
	expect("granted/up/outside.txt", SB_RESOLVE_NOFOLLOW, 0, "outside.txt", NULL);
}

static void test_magic_links(void **state)
{
	/* Magic links name objects, not paths: refused, wherever they appear. */
	expect("/proc/self/root/etc/passwd", SB_RESOLVE_FOLLOW, -ELOOP, NULL, NULL);
	expect("/proc/self/cwd", SB_RESOLVE_FOLLOW, -ELOOP, NULL, NULL);
	expect("/proc/self/fd/0", SB_RESOLVE_FOLLOW, -ELOOP, NULL, NULL);
	expect("/proc/self/exe", SB_RESOLVE_FOLLOW, -ELOOP, NULL, NULL);
	expect("granted/self/passwd", SB_RESOLVE_FOLLOW, -ELOOP, NULL, NULL);
	/* As a last component to create or remove, a magic link is only a name. */
	char want[64];
	snprintf(want, sizeof(want), "/proc/%d/root", (int)getpid());
	expect("/proc/self/root", SB_RESOLVE_PARENT, 0, want, "root");
}

static void test_parent(void **state)
{
	expect("granted/new.txt", SB_RESOLVE_PARENT, 0, "granted/new.txt", "new.txt");
	expect("granted/sub/", SB_RESOLVE_PARENT, 0, "granted/sub", "sub");
	expect("granted/up/new", SB_RESOLVE_PARENT, 0, "new", "new");
	/* The last component is not followed: a symlink is named, not its target. */
	expect("granted/abs", SB_RESOLVE_PARENT, 0, "granted/abs", "abs");
	expect("new", SB_RESOLVE_PARENT, 0, "new", "new");
	expect("/x", SB_RESOLVE_PARENT, 0, "/x", "x");
	expect("/", SB_RESOLVE_PARENT, -EINVAL, NULL, NULL);
	expect("granted/..", SB_RESOLVE_PARENT, -EINVAL, NULL, NULL);
	expect("granted/.", SB_RESOLVE_PARENT, -EINVAL, NULL, NULL);
	expect("granted/abs/x", SB_RESOLVE_PARENT, -ENOTDIR, NULL, NULL);
	expect("granted/missing/x", SB_RESOLVE_PARENT, -ENOENT, NULL, NULL);
	char longname[NAME_MAX + 10];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	expect(longname, SB_RESOLVE_PARENT, -ENAMETOOLONG, NULL, NULL);
}

/* The policy decides on the canonical path: an escape through a symlink meets the default. */
/* The caller's own fd, named the ways procfs names it, and nothing that merely looks like it. */
static void test_own_fd_number(void **state)
{
	static const struct {
		const char *path;
		int n;
	} cases[] = {
		{ "/proc/self/fd/3", 3 },
		{ "/proc/thread-self/fd/12", 12 },
		{ "/proc/1234/fd/0", 0 },
		{ "/proc/1234/fd/2147483647", 2147483647 },
		{ "/proc/1234/fd/2147483648", -1 },
		{ "/proc/1235/fd/4", -1 },
		{ "/proc/12345/fd/4", -1 },
		{ "/proc/self/fd/03", -1 },
		{ "/proc/self/fd/3/", -1 },
		{ "/proc/self/fd/3/x", -1 },
		{ "/proc/self/fd/", -1 },
		{ "/proc/self/fd/-1", -1 },
		{ "/proc/self/fdinfo/3", -1 },
		{ "/proc//self/fd/3", -1 },
		{ "proc/self/fd/3", -1 },
		{ "/dev/fd/3", -1 },
		{ "", -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (sb_own_fd_number(cases[i].path, 1234) != cases[i].n)
			fail_msg("%s: %d, want %d", cases[i].path,
				 sb_own_fd_number(cases[i].path, 1234), cases[i].n);
	assert_int_equal(sb_own_fd_number(NULL, 1234), -1);
}

/*
 * The broker's own pid and fd table, kept between calls: a child of fork(2) must see its own,
 * never its parent's (the builtin refusal of the broker's /proc and the fd names depend on it).
 */
static void test_self_after_fork(void **state)
{
	assert_int_equal(sb_self_pid(), getpid());
	int dir = sb_self_fds();
	assert_true(dir >= 0);
	struct stat st;
	assert_int_equal(fstatat(dir, "900", &st, 0), -1);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int ok = sb_self_pid() == getpid();
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		ok = ok && fd >= 0 && dup2(fd, 900) == 900;
		int cdir = sb_self_fds();
		ok = ok && cdir >= 0 && fstatat(cdir, "900", &st, 0) == 0 && S_ISCHR(st.st_mode);
		_exit(ok ? 0 : 1);
	}
	int status = -1;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(sb_self_pid(), getpid());
	assert_int_equal(sb_self_fds(), dir);
}

static void test_with_policy(void **state)
{
	char text[PATH_MAX + 64];
	struct sb_policy *p = NULL;
	struct sb_policy_error e;
	struct sb_resolved res;
	struct sb_decision d;

	int n = snprintf(text, sizeof(text), "sysbroker-policy 1\npath \"%s/granted/**\" read\n",
			 root);
	assert_int_equal(sb_policy_load_string(text, (size_t)n, "r.policy", &p, &e), 0);
	assert_int_equal(sb_resolve(rootfd, "granted/rel", SB_RESOLVE_FOLLOW, 0, &res), 0);
	assert_int_equal(sb_policy_eval_path(p, res.path, SB_PERM_READ, &d), 0);
	assert_int_equal(d.verdict, SB_ALLOW);
	close(res.fd);
	assert_int_equal(sb_resolve(rootfd, "granted/up/outside.txt", SB_RESOLVE_FOLLOW, 0, &res),
			 0);
	assert_int_equal(sb_policy_eval_path(p, res.path, SB_PERM_READ, &d), 0);
	assert_int_equal(d.verdict, SB_DENY);
	close(res.fd);
	assert_int_equal(sb_resolve(rootfd, "granted/abs", SB_RESOLVE_FOLLOW, 0, &res), 0);
	assert_int_equal(sb_policy_eval_path(p, res.path, SB_PERM_READ, &d), 0);
	assert_int_equal(d.verdict, SB_DENY);
	close(res.fd);
	sb_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follow),          cmocka_unit_test(test_nofollow),
		cmocka_unit_test(test_magic_links),     cmocka_unit_test(test_parent),
		cmocka_unit_test(test_with_policy),     cmocka_unit_test(test_own_fd_number),
		cmocka_unit_test(test_self_after_fork),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
