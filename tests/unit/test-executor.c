/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The executor against the kernel. The "sandboxee" is this test process (call.pid = getpid(),
 * dirfds opened here), so every brokered call can be compared with the native one:
 *
 * - read-only calls run natively and through the executor on one tree, and must agree on the
 *   return value, errno, stat/statx fields (dev and ino included), readlink bytes, and what an
 *   opened fd is and reads;
 * - calls that change the tree run natively on twin A and through the executor on twin B; both
 *   twins must then be identical (names, types, modes, sizes, link counts, contents, targets);
 * - under a policy that grants part of a tree: denials return the policy's errno and change
 *   nothing, and symlinks, "..", dirfds, /proc/self and magic links cannot reach past it;
 * - thousands of calls leave the number of open fds unchanged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <linux/openat2.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <cmocka.h>

#include "executor.h"
#include "policy.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)
#endif

#define SHORT 1024              /* our own paths are short; PATH_MAX bounds what is built */
static char base[SHORT];        /* canonical temp dir */
static char twin[2][SHORT + 8]; /* base/A, base/B */
static struct sb_policy *allow; /* grants everything */

/* The directory fds a case can name, per twin. */
enum dsel {
	D_CWD,  /* AT_FDCWD natively; the twin's root for the executor (the transport's cwd fd) */
	D_DIR,  /* O_PATH on twin/dir */
	D_FILE, /* O_RDONLY on twin/file.txt (the caller's own fd for AT_EMPTY_PATH, NULL paths) */
	D_LINK, /* O_PATH|O_NOFOLLOW on twin/link */
	D_EXE,  /* O_RDONLY on twin/exe.sh, not close-on-exec (fexecve of a script needs it) */
	D_MAX,
};
static int dfd[2][D_MAX];

static void xwrite(const char *root, const char *rel, const char *content, mode_t mode)
{
	char p[2 * PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	int fd = open(p, O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void xmkdir(const char *root, const char *rel)
{
	char p[2 * PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void xsymlink(const char *root, const char *target, const char *rel)
{
	char p[2 * PATH_MAX], t[2 * PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	/* "@" stands for the tree's root, so absolute links stay inside their own twin. */
	if (target[0] == '@')
		snprintf(t, sizeof(t), "%s%s", root, target + 1);
	else
		snprintf(t, sizeof(t), "%s", target);
	assert_int_equal(symlink(t, p), 0);
}

/* Fixed times on everything but directories, so the tree comparison can check mtimes. */
static int fix_times(const char *root)
{
	char cmd[2 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "find '%s' ! -type d -exec touch -h -d @1000000000 {} +", root);
	return system(cmd);
}

static void build_tree(const char *root)
{
	assert_int_equal(mkdir(root, 0755), 0);
	xwrite(root, "file.txt", "hello\n", 0644);
	xwrite(root, "empty", "", 0600);
	xwrite(root, "ro.txt", "ro\n", 0444);
	xwrite(root, "exe.sh", "#!/bin/sh\nexit 7\n", 0755);
	xwrite(root, "trunc.txt", "some content\n", 0644);
	xwrite(root, "hard1", "hard\n", 0644);
	xwrite(root, "r1", "r1\n", 0644);
	xwrite(root, "r5", "r5\n", 0644);
	xwrite(root, "r6", "r6\n", 0600);
	xmkdir(root, "dir");
	xwrite(root, "dir/inner.txt", "inner\n", 0640);
	xmkdir(root, "dir/sub");
	xwrite(root, "dir/sub/deep.txt", "deep\n", 0600);
	xmkdir(root, "emptydir");
	xmkdir(root, "mvdir");
	xwrite(root, "mvdir/f", "f\n", 0644);
	xsymlink(root, "file.txt", "link");
	xsymlink(root, "dir", "dlink");
	xsymlink(root, "nothere", "dangling");
	xsymlink(root, "nothere2", "dangling2");
	xsymlink(root, "dangling", "dangling3"); /* a chain of two, ending nowhere */
	xsymlink(root, "@/file.txt", "abslink");
	xsymlink(root, "loop", "loop");
	xsymlink(root, "..", "uplink");
	xsymlink(root, "exe.sh", "exelink");
	char p[2 * PATH_MAX], q[2 * PATH_MAX];
	snprintf(p, sizeof(p), "%s/fifo", root);
	assert_int_equal(mkfifo(p, 0644), 0);
	snprintf(p, sizeof(p), "%s/hard1", root);
	snprintf(q, sizeof(q), "%s/hard2", root);
	assert_int_equal(link(p, q), 0);
	assert_int_equal(fix_times(root), 0);
}

static int open_dfds(int t)
{
	char p[2 * PATH_MAX];
	snprintf(p, sizeof(p), "%s/dir", twin[t]);
	/* Not close-on-exec: execveat() of a script relative to it names it /dev/fd/N/... */
	dfd[t][D_DIR] = open(p, O_PATH | O_DIRECTORY);
	snprintf(p, sizeof(p), "%s/file.txt", twin[t]);
	dfd[t][D_FILE] = open(p, O_RDONLY | O_CLOEXEC);
	snprintf(p, sizeof(p), "%s/link", twin[t]);
	dfd[t][D_LINK] = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	snprintf(p, sizeof(p), "%s/exe.sh", twin[t]);
	dfd[t][D_EXE] = open(p, O_RDONLY);
	dfd[t][D_CWD] = open(twin[t], O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < D_MAX; i++)
		if (dfd[t][i] < 0)
			return -1;
	return 0;
}

static struct sb_policy *load_policy(const char *fmt, ...)
{
	char text[8192];
	struct sb_policy *p = NULL;
	struct sb_policy_error e;
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	if (sb_policy_load_string(text, (size_t)n, "test.policy", &p, &e) < 0)
		fail_msg("policy: %u:%u: %s\n%s", e.line, e.column, e.message, text);
	return p;
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/sb-test-executor-XXXXXX", real[PATH_MAX];
	if (!mkdtemp(tmpl) || !realpath(tmpl, real) || strlen(real) >= sizeof(base))
		return -1;
	strcpy(base, real);
	umask(022);
	snprintf(twin[0], sizeof(twin[0]), "%s/A", base);
	snprintf(twin[1], sizeof(twin[1]), "%s/B", base);
	build_tree(twin[0]);
	build_tree(twin[1]);
	if (open_dfds(0) < 0 || open_dfds(1) < 0)
		return -1;
	if (chdir(twin[0]) < 0)
		return -1;
	allow = load_policy("sysbroker-policy 1\n"
			    "path /** read write create delete exec list\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];
	for (int t = 0; t < 2; t++)
		for (int i = 0; i < D_MAX; i++)
			close(dfd[t][i]);
	sb_policy_free(allow);
	if (chdir("/") < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd);
}

/* ---- one case, natively and through the executor ---- */

struct tcase {
	int nr;
	const char *p[2]; /* paths; "@" = the twin's root; NULL = a NULL pointer */
	enum dsel dir[2]; /* what each dirfd argument names */
	uint64_t a[6];    /* the other arguments (flags, modes, sizes) */
	const char *str;  /* symlink target ("@" expands) */
	const void *in;   /* open_how / timespec[2], or NULL */
	size_t in_len;
};

static void expand(const char *p, int t, char out[PATH_MAX])
{
	if (p[0] == '@')
		snprintf(out, PATH_MAX, "%s%s", twin[t], p + 1);
	else
		snprintf(out, PATH_MAX, "%s", p);
}

static const char *describe(const struct tcase *t, char *buf, size_t size)
{
	snprintf(buf, size, "nr %d (%s%s%s) a=%#llx,%#llx,%#llx,%#llx", t->nr,
		 t->p[0] ? t->p[0] : "NULL", t->p[1] ? ", " : "", t->p[1] ? t->p[1] : "",
		 (unsigned long long)t->a[1], (unsigned long long)t->a[2],
		 (unsigned long long)t->a[3], (unsigned long long)t->a[4]);
	return buf;
}

static bool is_open(int nr)
{
	switch (nr) {
#ifdef SYS_open
	case SYS_open:
	case SYS_creat:
#endif
	case SYS_openat:
	case SYS_openat2:
		return true;
	}
	return false;
}

static bool is_exec(int nr)
{
	return nr == SYS_execve || nr == SYS_execveat;
}

static void compare_fds(int nfd, int efd, bool same, const char *what)
{
	struct stat a, b;
	assert_int_equal(fstat(nfd, &a), 0);
	assert_int_equal(fstat(efd, &b), 0);
	if (a.st_mode != b.st_mode || a.st_nlink != b.st_nlink || a.st_uid != b.st_uid ||
	    a.st_gid != b.st_gid || a.st_size != b.st_size)
		fail_msg("%s: fds differ: mode %o/%o nlink %lu/%lu size %ld/%ld", what, a.st_mode,
			 b.st_mode, (unsigned long)a.st_nlink, (unsigned long)b.st_nlink,
			 (long)a.st_size, (long)b.st_size);
	if (same && (a.st_dev != b.st_dev || a.st_ino != b.st_ino))
		fail_msg("%s: fds name different objects", what);
	int mask = O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH | O_DIRECT | O_NOATIME | O_DSYNC;
	int fa = fcntl(nfd, F_GETFL), fb = fcntl(efd, F_GETFL);
	if ((fa & mask) != (fb & mask))
		fail_msg("%s: file flags %#o, executor %#o", what, fa, fb);
	if (S_ISREG(a.st_mode) && !(fa & O_PATH) && (fa & O_ACCMODE) != O_WRONLY) {
		char ba[256], bb[256];
		ssize_t na = pread(nfd, ba, sizeof(ba), 0), nb = pread(efd, bb, sizeof(bb), 0);
		if (na != nb || (na > 0 && memcmp(ba, bb, (size_t)na) != 0))
			fail_msg("%s: contents differ (%zd/%zd bytes)", what, na, nb);
	}
}

/* Exit status of a child that runs the native exec, or execveat() on the executor's fd. */
static int exec_status(int nr, const uint64_t *na, int fd, int err)
{
	if (err)
		return 100 + err;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (fd >= 0) {
			char *argv[] = { (char *)"x", NULL }, *envp[] = { NULL };
			fcntl(fd, F_SETFD, 0);
			syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
		} else
			syscall(nr, na[0], na[1], na[2], na[3], na[4], na[5]);
		_exit(100 + errno);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

/*
 * Run t natively on twin A and through the executor on twin `et` (A for read-only cases, B for
 * ones that change the tree) and compare what the caller would see.
 */
static void run_case(const struct tcase *t, int et, bool same)
{
	const struct sb_shape *sh = sb_shape_lookup(t->nr);
	char np[2][PATH_MAX], ep[2][PATH_MAX], ns[PATH_MAX], es[PATH_MAX], what[PATH_MAX];
	uint64_t na[6], ea[6];
	static uint8_t nout[SB_MAX_OUT];
	static struct sb_result res;
	char *argv[] = { (char *)"x", NULL }, *envp[] = { NULL };
	struct sb_call call = {
		.nr = t->nr,
		.pid = getpid(),
		.transport = SB_TRANSPORT_TRAP,
		.shape = sh,
		.dirfd = { -1, -1 },
		.in = t->in,
		.in_len = t->in_len,
	};

	describe(t, what, sizeof(what));
	assert_non_null(sh);
	memcpy(na, t->a, sizeof(na));
	memcpy(ea, t->a, sizeof(ea));
	for (int i = 0; i < 2; i++) {
		if (sh->path[i] == SB_NOARG)
			continue;
		if (sh->dirfd[i] != SB_NOARG) {
			na[sh->dirfd[i]] = t->dir[i] == D_CWD ? (uint64_t)AT_FDCWD
							      : (uint64_t)dfd[0][t->dir[i]];
			ea[sh->dirfd[i]] = t->dir[i] == D_CWD ? (uint64_t)AT_FDCWD
							      : (uint64_t)dfd[et][t->dir[i]];
		}
		if (!t->p[i]) {
			na[sh->path[i]] = ea[sh->path[i]] = 0;
			call.dirfd[i] = dfd[et][t->dir[i]];
			continue;
		}
		expand(t->p[i], 0, np[i]);
		expand(t->p[i], et, ep[i]);
		na[sh->path[i]] = (uintptr_t)np[i];
		call.path[i] = ep[i];
		/* As the transport does: an fd for relative paths, -1 for absolute ones. */
		call.dirfd[i] = ep[i][0] == '/' ? -1 : dfd[et][t->dir[i]];
	}
	if (sh->string != SB_NOARG) {
		expand(t->str, 0, ns);
		expand(t->str, et, es);
		na[sh->string] = (uintptr_t)ns;
		call.string = es;
	}
	if (sh->in_kind != SB_IN_NONE)
		na[sh->in_arg] = ea[sh->in_arg] = (uintptr_t)t->in;
	if (sh->out_kind != SB_OUT_NONE)
		na[sh->out_arg] = (uintptr_t)nout;
	if (t->nr == SYS_execve) {
		na[1] = (uintptr_t)argv;
		na[2] = (uintptr_t)envp;
	} else if (t->nr == SYS_execveat) {
		na[2] = (uintptr_t)argv;
		na[3] = (uintptr_t)envp;
	}
	memcpy(call.args, ea, sizeof(ea));

	memset(&res, 0x5a, sizeof(res));
	assert_int_equal(sb_execute(allow, NULL, &call, &res), 0);

	if (is_exec(t->nr)) {
		int s_native = exec_status(t->nr, na, -1, 0);
		int s_exec = exec_status(t->nr, NULL, res.ret < 0 ? -1 : res.fd,
					 res.ret < 0 ? (int)-res.ret : 0);
		if (res.ret == 0)
			assert_true(res.fd >= 0);
		if (res.fd >= 0)
			close(res.fd);
		if (s_native != s_exec)
			fail_msg("%s: native exit %d, executor %d", what, s_native, s_exec);
		return;
	}

	memset(nout, 0, sizeof(nout));
	errno = 0;
	long r = syscall(t->nr, na[0], na[1], na[2], na[3], na[4], na[5]);
	long nret = r < 0 ? -errno : r;

	if (is_open(t->nr)) {
		if (nret < 0) {
			if (res.ret != nret)
				fail_msg("%s: native %ld (%s), executor %lld (%s)", what, nret,
					 strerror((int)-nret), (long long)res.ret,
					 strerror((int)-res.ret));
			assert_int_equal(res.fd, -1);
			return;
		}
		if (res.ret != 0 || res.fd < 0)
			fail_msg("%s: native fd, executor %lld (%s)", what, (long long)res.ret,
				 strerror((int)-res.ret));
		int fdflags = fcntl((int)nret, F_GETFD);
		assert_int_equal(!!(fdflags & FD_CLOEXEC), res.cloexec);
		assert_true(fcntl(res.fd, F_GETFD) & FD_CLOEXEC); /* the broker's copy always */
		compare_fds((int)nret, res.fd, same, what);
		close((int)nret);
		close(res.fd);
		return;
	}
	if (res.ret != nret)
		fail_msg("%s: native %ld (%s), executor %lld (%s)", what, nret,
			 nret < 0 ? strerror((int)-nret) : "ok", (long long)res.ret,
			 res.ret < 0 ? strerror((int)-res.ret) : "ok");
	assert_int_equal(res.fd, -1);
	if (nret < 0)
		return;
	switch (sh->out_kind) {
	case SB_OUT_STAT: {
		struct stat a, b;
		memcpy(&a, nout, sizeof(a));
		assert_int_equal(res.outlen, sizeof(b));
		memcpy(&b, res.out, sizeof(b));
		if (a.st_dev != b.st_dev || a.st_ino != b.st_ino || a.st_mode != b.st_mode ||
		    a.st_nlink != b.st_nlink || a.st_uid != b.st_uid || a.st_gid != b.st_gid ||
		    a.st_size != b.st_size || a.st_rdev != b.st_rdev)
			fail_msg("%s: struct stat differs (ino %lu/%lu mode %o/%o)", what,
				 (unsigned long)a.st_ino, (unsigned long)b.st_ino, a.st_mode,
				 b.st_mode);
		break;
	}
	case SB_OUT_STATX: {
		struct statx a, b;
		memcpy(&a, nout, sizeof(a));
		assert_int_equal(res.outlen, sizeof(b));
		memcpy(&b, res.out, sizeof(b));
		if (a.stx_mask != b.stx_mask || a.stx_ino != b.stx_ino ||
		    a.stx_mode != b.stx_mode || a.stx_nlink != b.stx_nlink ||
		    a.stx_uid != b.stx_uid || a.stx_gid != b.stx_gid || a.stx_size != b.stx_size ||
		    a.stx_dev_major != b.stx_dev_major || a.stx_dev_minor != b.stx_dev_minor ||
		    a.stx_attributes != b.stx_attributes)
			fail_msg("%s: struct statx differs", what);
		break;
	}
	case SB_OUT_STATFS: {
		struct statfs a, b;
		memcpy(&a, nout, sizeof(a));
		assert_int_equal(res.outlen, sizeof(b));
		memcpy(&b, res.out, sizeof(b));
		if (a.f_type != b.f_type || a.f_bsize != b.f_bsize || a.f_namelen != b.f_namelen ||
		    a.f_flags != b.f_flags || memcmp(&a.f_fsid, &b.f_fsid, sizeof(a.f_fsid)) != 0)
			fail_msg("%s: struct statfs differs", what);
		break;
	}
	case SB_OUT_READLINK:
		assert_int_equal(res.outlen, (size_t)nret);
		if (memcmp(nout, res.out, (size_t)nret) != 0)
			fail_msg("%s: readlink bytes differ", what);
		break;
	default:
		assert_int_equal(res.outlen, 0);
	}
}

/* ---- the twins must stay identical ---- */

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t list_dir(const char *p, char **names, size_t max)
{
	DIR *d = opendir(p);
	struct dirent *e;
	size_t n = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		assert_true(n < max);
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmpstr);
	return n;
}

static void compare_trees(const char *a, const char *b, const char *ctx)
{
	char *na[128], *nb[128];
	size_t ca = list_dir(a, na, 128), cb = list_dir(b, nb, 128);

	for (size_t i = 0; i < ca || i < cb; i++)
		if (i >= ca || i >= cb || strcmp(na[i], nb[i]) != 0)
			fail_msg("after %s: %s and %s list different names (%s / %s)", ctx, a, b,
				 i < ca ? na[i] : "-", i < cb ? nb[i] : "-");
	for (size_t i = 0; i < ca; i++) {
		char pa[PATH_MAX], pb[PATH_MAX];
		struct stat sa, sb;
		snprintf(pa, sizeof(pa), "%s/%s", a, na[i]);
		snprintf(pb, sizeof(pb), "%s/%s", b, nb[i]);
		assert_int_equal(lstat(pa, &sa), 0);
		assert_int_equal(lstat(pb, &sb), 0);
		if (sa.st_mode != sb.st_mode || sa.st_nlink != sb.st_nlink ||
		    sa.st_uid != sb.st_uid || sa.st_gid != sb.st_gid ||
		    (!S_ISDIR(sa.st_mode) && sa.st_size != sb.st_size))
			fail_msg("after %s: %s: mode %o/%o nlink %lu/%lu size %ld/%ld", ctx, pa,
				 sa.st_mode, sb.st_mode, (unsigned long)sa.st_nlink,
				 (unsigned long)sb.st_nlink, (long)sa.st_size, (long)sb.st_size);
		if (!S_ISDIR(sa.st_mode) && labs(sa.st_mtim.tv_sec - sb.st_mtim.tv_sec) > 2)
			fail_msg("after %s: %s: mtime %ld/%ld", ctx, pa, (long)sa.st_mtim.tv_sec,
				 (long)sb.st_mtim.tv_sec);
		if (S_ISLNK(sa.st_mode)) {
			char ta[PATH_MAX], tb[PATH_MAX], xa[PATH_MAX];
			ssize_t la = readlink(pa, ta, sizeof(ta) - 1),
				lb = readlink(pb, tb, sizeof(tb) - 1);
			assert_true(la >= 0 && lb >= 0);
			ta[la] = tb[lb] = 0;
			/* Absolute targets point into their own twin. */
			size_t tl = strlen(twin[0]);
			if (strncmp(ta, twin[0], tl) == 0)
				snprintf(xa, sizeof(xa), "%s%s", twin[1], ta + tl);
			else
				snprintf(xa, sizeof(xa), "%s", ta);
			if (strcmp(xa, tb) != 0)
				fail_msg("after %s: %s -> %s / %s", ctx, pa, ta, tb);
		} else if (S_ISREG(sa.st_mode)) {
			char ba[256], bb[256];
			int fa = open(pa, O_RDONLY | O_CLOEXEC),
			    fb = open(pb, O_RDONLY | O_CLOEXEC);
			assert_true(fa >= 0 && fb >= 0);
			ssize_t ra = read(fa, ba, sizeof(ba)), rb = read(fb, bb, sizeof(bb));
			close(fa);
			close(fb);
			if (ra != rb || (ra > 0 && memcmp(ba, bb, (size_t)ra) != 0))
				fail_msg("after %s: %s: contents differ", ctx, pa);
		} else if (S_ISDIR(sa.st_mode))
			compare_trees(pa, pb, ctx);
	}
	for (size_t i = 0; i < ca; i++)
		free(na[i]);
	for (size_t i = 0; i < cb; i++)
		free(nb[i]);
}

/* ---- the tables ---- */

#define O(...)                                                                                     \
	{                                                                                          \
		__VA_ARGS__                                                                        \
	}
static struct open_how how_rd = { .flags = O_RDONLY };
static struct open_how how_creat = { .flags = O_CREAT | O_WRONLY, .mode = 0640 };
static struct open_how how_badmode = { .flags = O_CREAT | O_WRONLY, .mode = 010644 };
static struct open_how how_modenocreat = { .flags = O_RDONLY, .mode = 0644 };
static struct open_how how_badflag = { .flags = 1ull << 40 };
static struct open_how how_badresolve = { .flags = O_RDONLY, .resolve = 0x1000 };
static struct open_how how_both = { .flags = O_RDONLY,
				    .resolve = RESOLVE_BENEATH | RESOLVE_IN_ROOT };
static struct open_how how_beneath = { .flags = O_RDONLY, .resolve = RESOLVE_BENEATH };
static struct open_how how_nosym = { .flags = O_RDONLY, .resolve = RESOLVE_NO_SYMLINKS };
static struct open_how how_inroot = { .flags = O_RDONLY, .resolve = RESOLVE_IN_ROOT };
static struct open_how how_noxdev = { .flags = O_RDONLY, .resolve = RESOLVE_NO_XDEV };
static struct open_how how_nomagic = { .flags = O_RDONLY, .resolve = RESOLVE_NO_MAGICLINKS };
static struct open_how how_cached = { .flags = O_RDONLY, .resolve = RESOLVE_CACHED };
static struct open_how how_cached_creat = { .flags = O_CREAT | O_WRONLY,
					    .mode = 0600,
					    .resolve = RESOLVE_CACHED };
static struct open_how how_opath_rdwr = { .flags = O_PATH | O_RDWR };
static struct open_how how_nosym_creat = { .flags = O_CREAT | O_WRONLY,
					   .mode = 0600,
					   .resolve = RESOLVE_NO_SYMLINKS };
static uint8_t how_big_zero[32], how_big_dirty[32];

static const struct tcase read_only[] = {
	/* statfs: "stat" on the file; the struct goes back */
	{ SYS_statfs, .p = { "file.txt" } },
	{ SYS_statfs, .p = { "dir" } },
	{ SYS_statfs, .p = { "dlink" } },
	{ SYS_statfs, .p = { "missing" } },
	{ SYS_statfs, .p = { "dangling" } },
	{ SYS_statfs, .p = { "" } },
	{ SYS_statfs, .p = { "file.txt/x" } },
#ifdef SYS_open
	/* open */
	{ SYS_open, .p = { "file.txt" }, .a = O(0, O_RDONLY) },
	{ SYS_open, .p = { "file.txt" }, .a = O(0, O_RDWR | O_CLOEXEC) },
	{ SYS_open, .p = { "@/file.txt" }, .a = O(0, O_RDONLY | O_CLOEXEC) },
	{ SYS_open, .p = { "link" }, .a = O(0, O_RDONLY) },
	{ SYS_open, .p = { "abslink" }, .a = O(0, O_RDONLY) },
	{ SYS_open, .p = { "link" }, .a = O(0, O_RDONLY | O_NOFOLLOW) },
	{ SYS_open, .p = { "link" }, .a = O(0, O_PATH | O_NOFOLLOW) },
	{ SYS_open, .p = { "link" }, .a = O(0, O_PATH | O_NOFOLLOW | O_DIRECTORY) },
	{ SYS_open, .p = { "link" }, .a = O(0, O_PATH | O_RDWR) }, /* O_PATH beats the rest */
	{ SYS_open, .p = { "dir" }, .a = O(0, O_RDONLY | O_DIRECTORY) },
	{ SYS_open, .p = { "dlink" }, .a = O(0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) },
	{ SYS_open, .p = { "dir/" }, .a = O(0, O_RDONLY) },
	{ SYS_open, .p = { "." }, .a = O(0, O_RDONLY) },
	{ SYS_open, .p = { "/" }, .a = O(0, O_RDONLY | O_PATH) },
	{ SYS_open, .p = { "file.txt" }, .a = O(0, O_RDONLY | O_DIRECTORY) },
	{ SYS_open, .p = { "file.txt/" }, .a = O(0, O_RDONLY) },
	{ SYS_open, .p = { "dir" }, .a = O(0, O_WRONLY) },
	{ SYS_open, .p = { "dir" }, .a = O(0, O_RDONLY | O_CREAT, 0644) },
	{ SYS_open, .p = { "." }, .a = O(0, O_RDONLY | O_CREAT | O_EXCL, 0644) },
	{ SYS_open, .p = { "file.txt" }, .a = O(0, O_RDONLY | O_CREAT | O_DIRECTORY, 0644) },
	{ SYS_open, .p = { "file.txt" }, .a = O(0, O_RDONLY | O_CREAT, 0644) },
	{ SYS_open, .p = { "link" }, .a = O(0, O_RDONLY | O_CREAT | O_NOFOLLOW, 0644) },
	{ SYS_open, .p = { "dir" }, .a = O(0, O_TMPFILE | O_RDONLY, 0600) },
	{ SYS_open, .p = { "missing" }, .a = O(0, O_RDONLY) },
	{ SYS_open, .p = { "missing/x" }, .a = O(0, O_RDONLY) },
	{ SYS_open, .p = { "missing/x" }, .a = O(0, O_RDONLY | O_CREAT, 0644) },
	{ SYS_open, .p = { "file.txt/x" }, .a = O(0, O_RDONLY) },
	{ SYS_open, .p = { "loop" }, .a = O(0, O_RDONLY) },
	{ SYS_open, .p = { "dangling" }, .a = O(0, O_RDONLY) },
	{ SYS_open, .p = { "" }, .a = O(0, O_RDONLY) },
	{ SYS_open, .p = { "dir/../file.txt" }, .a = O(0, O_RDONLY) },
	{ SYS_open, .p = { "uplink/A/dir/inner.txt" }, .a = O(0, O_RDONLY) },
	{ SYS_open, .p = { "fifo" }, .a = O(0, O_RDONLY | O_NONBLOCK) },
	{ SYS_open, .p = { "fifo" }, .a = O(0, O_WRONLY | O_NONBLOCK) },
	{ SYS_open, .p = { "ro.txt" }, .a = O(0, O_RDONLY | O_APPEND) },
	{ SYS_open, .p = { "/dev/null" }, .a = O(0, O_RDWR) },
#endif
	{ SYS_openat, .p = { "inner.txt" }, .dir = { D_DIR }, .a = O(0, 0, O_RDONLY) },
	{ SYS_openat, .p = { "../file.txt" }, .dir = { D_DIR }, .a = O(0, 0, O_RDONLY) },
	{ SYS_openat, .p = { "@/file.txt" }, .dir = { D_DIR }, .a = O(0, 0, O_RDONLY) },
	{ SYS_openat, .p = { "sub/deep.txt" }, .dir = { D_DIR },
	  .a = O(0, 0, O_RDONLY | O_NOATIME) },
	{ SYS_openat, .p = { "sub" }, .dir = { D_DIR }, .a = O(0, 0, O_RDONLY | O_DIRECTORY) },
	/* openat2: the struct, the flags and the caller's RESOLVE_* flags */
	{ SYS_openat2, .p = { "file.txt" }, .a = O(0, 0, 0, 24), .in = &how_rd, .in_len = 24 },
	{ SYS_openat2, .p = { "file.txt" }, .a = O(0, 0, 0, 16), .in = &how_rd, .in_len = 16 },
	{ SYS_openat2, .p = { "file.txt" }, .a = O(0, 0, 0, 32), .in = how_big_zero, .in_len = 32 },
	{ SYS_openat2, .p = { "file.txt" }, .a = O(0, 0, 0, 32), .in = how_big_dirty,
	  .in_len = 32 },
	{ SYS_openat2, .p = { "file.txt" }, .a = O(0, 0, 0, 24), .in = &how_badflag, .in_len = 24 },
	{ SYS_openat2, .p = { "file.txt" }, .a = O(0, 0, 0, 24), .in = &how_badresolve,
	  .in_len = 24 },
	{ SYS_openat2, .p = { "file.txt" }, .a = O(0, 0, 0, 24), .in = &how_both, .in_len = 24 },
	{ SYS_openat2, .p = { "file.txt" }, .a = O(0, 0, 0, 24), .in = &how_badmode, .in_len = 24 },
	{ SYS_openat2, .p = { "file.txt" }, .a = O(0, 0, 0, 24), .in = &how_modenocreat,
	  .in_len = 24 },
	{ SYS_openat2, .p = { "file.txt" }, .a = O(0, 0, 0, 24), .in = &how_opath_rdwr,
	  .in_len = 24 },
	{ SYS_openat2, .p = { "../file.txt" }, .dir = { D_DIR }, .a = O(0, 0, 0, 24),
	  .in = &how_beneath, .in_len = 24 },
	{ SYS_openat2, .p = { "sub/deep.txt" }, .dir = { D_DIR }, .a = O(0, 0, 0, 24),
	  .in = &how_beneath, .in_len = 24 },
	{ SYS_openat2, .p = { "@/file.txt" }, .dir = { D_DIR }, .a = O(0, 0, 0, 24),
	  .in = &how_beneath, .in_len = 24 },
	{ SYS_openat2, .p = { "link" }, .a = O(0, 0, 0, 24), .in = &how_nosym, .in_len = 24 },
	{ SYS_openat2, .p = { "dlink/inner.txt" }, .a = O(0, 0, 0, 24), .in = &how_nosym,
	  .in_len = 24 },
	{ SYS_openat2, .p = { "file.txt" }, .a = O(0, 0, 0, 24), .in = &how_nosym, .in_len = 24 },
	{ SYS_openat2, .p = { "../inner.txt" }, .dir = { D_DIR }, .a = O(0, 0, 0, 24),
	  .in = &how_inroot, .in_len = 24 },
	{ SYS_openat2, .p = { "/proc/self/status" }, .a = O(0, 0, 0, 24), .in = &how_noxdev,
	  .in_len = 24 },
	{ SYS_openat2, .p = { "link" }, .a = O(0, 0, 0, 24), .in = &how_nomagic, .in_len = 24 },
	{ SYS_openat2, .p = { "file.txt" }, .a = O(0, 0, 0, 24), .in = &how_cached, .in_len = 24 },
	{ SYS_openat2, .p = { "new" }, .a = O(0, 0, 0, 24), .in = &how_cached_creat, .in_len = 24 },
	{ SYS_openat2, .p = { "dangling" }, .a = O(0, 0, 0, 24), .in = &how_nosym_creat,
	  .in_len = 24 },
#ifdef SYS_stat
	/* stat, lstat */
	{ SYS_stat, .p = { "file.txt" } },
	{ SYS_stat, .p = { "link" } },
	{ SYS_lstat, .p = { "link" } },
	{ SYS_stat, .p = { "dangling" } },
	{ SYS_lstat, .p = { "dangling" } },
	{ SYS_stat, .p = { "missing" } },
	{ SYS_stat, .p = { "dir/" } },
	{ SYS_stat, .p = { "dlink/" } },
	{ SYS_lstat, .p = { "dlink/" } },
	{ SYS_stat, .p = { "file.txt/" } },
	{ SYS_stat, .p = { "" } },
	{ SYS_stat, .p = { "loop" } },
	{ SYS_lstat, .p = { "loop" } },
	{ SYS_stat, .p = { "fifo" } },
	{ SYS_stat, .p = { "/" } },
	{ SYS_stat, .p = { "/dev/null" } },
	{ SYS_stat, .p = { "@/dir/sub" } },
	{ SYS_stat, .p = { "/proc/self/status" } },
	{ SYS_lstat, .p = { "/proc/self/exe" } },
#endif
	{ SYS_newfstatat, .p = { "link" }, .a = O(0, 0, 0, AT_SYMLINK_NOFOLLOW) },
	{ SYS_newfstatat, .p = { "inner.txt" }, .dir = { D_DIR } },
	{ SYS_newfstatat, .p = { "" }, .dir = { D_FILE }, .a = O(0, 0, 0, AT_EMPTY_PATH) },
	{ SYS_newfstatat, .p = { "" }, .dir = { D_LINK }, .a = O(0, 0, 0, AT_EMPTY_PATH) },
	{ SYS_newfstatat, .p = { "" }, .dir = { D_CWD }, .a = O(0, 0, 0, AT_EMPTY_PATH) },
	{ SYS_newfstatat, .p = { "" }, .dir = { D_CWD } },
	{ SYS_newfstatat, .p = { "file.txt" }, .a = O(0, 0, 0, 1) },
	{ SYS_newfstatat, .p = { "file.txt" }, .a = O(0, 0, 0, AT_NO_AUTOMOUNT) },
	{ SYS_statx, .p = { "file.txt" }, .a = O(0, 0, 0, STATX_BASIC_STATS) },
	{ SYS_statx, .p = { "link" }, .a = O(0, 0, AT_SYMLINK_NOFOLLOW, STATX_ALL) },
	{ SYS_statx, .p = { "link" }, .a = O(0, 0, AT_STATX_DONT_SYNC, STATX_INO | STATX_SIZE) },
	{ SYS_statx, .p = { "" }, .dir = { D_FILE },
	  .a = O(0, 0, AT_EMPTY_PATH, STATX_BASIC_STATS) },
	{ SYS_statx, .p = { "missing" }, .a = O(0, 0, 0, STATX_BASIC_STATS) },
	{ SYS_statx, .p = { "file.txt" }, .a = O(0, 0, AT_STATX_SYNC_TYPE, STATX_BASIC_STATS) },
	{ SYS_statx, .p = { "file.txt" }, .a = O(0, 0, 0, STATX__RESERVED) },
	{ SYS_statx, .p = { "file.txt" }, .a = O(0, 0, 1, STATX_BASIC_STATS) },
#ifdef SYS_access
	/* access (as root here, like the broker: the answers agree) */
	{ SYS_access, .p = { "file.txt" }, .a = O(0, F_OK) },
	{ SYS_access, .p = { "file.txt" }, .a = O(0, R_OK | W_OK) },
	{ SYS_access, .p = { "file.txt" }, .a = O(0, X_OK) },
	{ SYS_access, .p = { "exe.sh" }, .a = O(0, X_OK) },
	{ SYS_access, .p = { "exelink" }, .a = O(0, R_OK | X_OK) },
	{ SYS_access, .p = { "dir" }, .a = O(0, R_OK | X_OK) },
	{ SYS_access, .p = { "missing" }, .a = O(0, F_OK) },
	{ SYS_access, .p = { "dangling" }, .a = O(0, F_OK) },
	{ SYS_access, .p = { "file.txt" }, .a = O(0, 8) },
#endif
	{ SYS_faccessat, .p = { "inner.txt" }, .dir = { D_DIR }, .a = O(0, 0, R_OK) },
	{ SYS_faccessat2, .p = { "dangling" }, .a = O(0, 0, F_OK, AT_SYMLINK_NOFOLLOW) },
	{ SYS_faccessat2, .p = { "link" }, .a = O(0, 0, W_OK, AT_EACCESS) },
	{ SYS_faccessat2, .p = { "file.txt" }, .a = O(0, 0, F_OK, 1) },
	{ SYS_faccessat2, .p = { "" }, .dir = { D_FILE }, .a = O(0, 0, R_OK, AT_EMPTY_PATH) },
	{ SYS_faccessat2, .p = { "" }, .dir = { D_FILE }, .a = O(0, 0, R_OK) },
#ifdef SYS_readlink
	/* readlink */
	{ SYS_readlink, .p = { "link" }, .a = O(0, 0, 100) },
	{ SYS_readlink, .p = { "link" }, .a = O(0, 0, 3) },
	{ SYS_readlink, .p = { "link" }, .a = O(0, 0, 0) },
	{ SYS_readlink, .p = { "link" }, .a = O(0, 0, (uint64_t)-1) },
	{ SYS_readlink, .p = { "abslink" }, .a = O(0, 0, 4096) },
	{ SYS_readlink, .p = { "loop" }, .a = O(0, 0, 100) },
	{ SYS_readlink, .p = { "file.txt" }, .a = O(0, 0, 100) },
	{ SYS_readlink, .p = { "missing" }, .a = O(0, 0, 100) },
	{ SYS_readlink, .p = { "dir/" }, .a = O(0, 0, 100) },
	{ SYS_readlink, .p = { "link/" }, .a = O(0, 0, 100) },
	{ SYS_readlink, .p = { "/proc/self/exe" }, .a = O(0, 0, 4096) },
	{ SYS_readlink, .p = { "/proc/self/fd/0" }, .a = O(0, 0, 4096) },
#endif
	{ SYS_readlinkat, .p = { "dlink" }, .a = O(0, 0, 0, 100) },
	{ SYS_readlinkat, .p = { "../link" }, .dir = { D_DIR }, .a = O(0, 0, 0, 100) },
	{ SYS_readlinkat, .p = { "" }, .dir = { D_LINK }, .a = O(0, 0, 0, 100) },
	{ SYS_readlinkat, .p = { "" }, .dir = { D_FILE }, .a = O(0, 0, 0, 100) },
	/* execve: the executor's fd, exec'd, must give what exec of the path gives */
	{ SYS_execve, .p = { "exe.sh" } },
	{ SYS_execve, .p = { "exelink" } },
	{ SYS_execve, .p = { "@/exe.sh" } },
	{ SYS_execve, .p = { "file.txt" } },
	{ SYS_execve, .p = { "dir" } },
	{ SYS_execve, .p = { "missing" } },
	{ SYS_execve, .p = { "" } },
	{ SYS_execveat, .p = { "exe.sh" }, .a = O(0, 0, 0, 0, 0) },
	{ SYS_execveat, .p = { "exelink" }, .a = O(0, 0, 0, 0, AT_SYMLINK_NOFOLLOW) },
	{ SYS_execveat, .p = { "../exe.sh" }, .dir = { D_DIR }, .a = O(0, 0, 0, 0, 0) },
	{ SYS_execveat, .p = { "" }, .dir = { D_EXE }, .a = O(0, 0, 0, 0, AT_EMPTY_PATH) },
	{ SYS_execveat, .p = { "exe.sh" }, .a = O(0, 0, 0, 0, 1) },
};

static struct timespec times_fixed[2] = { { 1500000000, 5 }, { 1600000000, 7 } };
static struct timespec times_now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
static struct timespec times_omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
static struct timespec times_bad[2] = { { 0, 2000000000 }, { 0, 0 } };
#ifdef SYS_utime
static struct utimbuf utimbuf_fixed = { 1400000000, 1450000000 };
#endif
static struct timeval tv_fixed[2] = { { 1300000000, 5 }, { 1350000000, 999999 } };
static struct timeval tv_bad[2] = { { 0, 1000000 }, { 0, 0 } };
static struct open_how how_creat_excl = { .flags = O_CREAT | O_EXCL | O_RDWR, .mode = 0600 };

static const struct tcase mutating[] = {
#ifdef SYS_open
	/* open with O_CREAT, O_TRUNC, O_TMPFILE, creat */
	{ SYS_open, .p = { "new1" }, .a = O(0, O_CREAT | O_WRONLY, 0644) },
	{ SYS_open, .p = { "new1" }, .a = O(0, O_CREAT | O_WRONLY | O_EXCL, 0644) },
	{ SYS_open, .p = { "new1" }, .a = O(0, O_CREAT | O_RDWR | O_TRUNC, 0600) },
	{ SYS_open, .p = { "trunc.txt" }, .a = O(0, O_WRONLY | O_TRUNC) },
	{ SYS_open, .p = { "dangling" }, .a = O(0, O_CREAT | O_WRONLY, 0640) },
	{ SYS_open, .p = { "dangling3" }, .a = O(0, O_CREAT | O_WRONLY, 0640) },
	{ SYS_open, .p = { "dangling2" }, .a = O(0, O_CREAT | O_EXCL | O_WRONLY, 0640) },
	{ SYS_open, .p = { "dangling2" }, .a = O(0, O_CREAT | O_NOFOLLOW | O_WRONLY, 0640) },
	{ SYS_open, .p = { "newdir/" }, .a = O(0, O_CREAT | O_WRONLY, 0644) },
	{ SYS_open, .p = { "dir/new2" }, .a = O(0, O_CREAT | O_WRONLY | O_APPEND, 0666) },
	{ SYS_open, .p = { "dlink/new3" }, .a = O(0, O_CREAT | O_RDONLY | O_CLOEXEC, 0777) },
	{ SYS_open, .p = { "@/new4" }, .a = O(0, O_CREAT | O_WRONLY | O_EXCL, 01755) },
	{ SYS_open, .p = { "dir" }, .a = O(0, O_TMPFILE | O_RDWR, 0600) },
	{ SYS_open, .p = { "file.txt" }, .a = O(0, O_TMPFILE | O_RDWR, 0600) },
	{ SYS_creat, .p = { "creat.txt" }, .a = O(0, 0600) },
	{ SYS_creat, .p = { "dir" }, .a = O(0, 0600) },
#endif
	{ SYS_openat, .p = { "new5" }, .dir = { D_DIR }, .a = O(0, 0, O_CREAT | O_RDWR, 0600) },
	{ SYS_openat2, .p = { "new6" }, .a = O(0, 0, 0, 24), .in = &how_creat, .in_len = 24 },
	{ SYS_openat2, .p = { "new6" }, .a = O(0, 0, 0, 24), .in = &how_creat_excl, .in_len = 24 },
	{ SYS_openat2, .p = { "new7" }, .a = O(0, 0, 0, 24), .in = &how_badmode, .in_len = 24 },
/* mkdir */
#ifdef SYS_mkdir
	{ SYS_mkdir, .p = { "nd" }, .a = O(0, 0755) },
	{ SYS_mkdir, .p = { "nd" }, .a = O(0, 0755) },
	{ SYS_mkdir, .p = { "nd2/" }, .a = O(0, 0700) },
	{ SYS_mkdir, .p = { "nd4" }, .a = O(0, 0777) },
	{ SYS_mkdir, .p = { "missing/x" }, .a = O(0, 0755) },
	{ SYS_mkdir, .p = { "." }, .a = O(0, 0755) },
	{ SYS_mkdir, .p = { ".." }, .a = O(0, 0755) },
	{ SYS_mkdir, .p = { "/" }, .a = O(0, 0755) },
	{ SYS_mkdir, .p = { "file.txt/x" }, .a = O(0, 0755) },
	{ SYS_mkdir, .p = { "dlink/vialink" }, .a = O(0, 0700) },
	{ SYS_mkdir, .p = { "link" }, .a = O(0, 0700) },
	{ SYS_mkdir, .p = { "" }, .a = O(0, 0700) },
#endif
	{ SYS_mkdirat, .p = { "nd3" }, .dir = { D_DIR }, .a = O(0, 0, 02777) },
/* unlink, rmdir, unlinkat */
#ifdef SYS_unlink
	{ SYS_unlink, .p = { "new1" } },
	{ SYS_unlink, .p = { "new1" } },
	{ SYS_unlink, .p = { "nd" } },
	{ SYS_unlink, .p = { "." } },
	{ SYS_unlink, .p = { "empty/" } },
	{ SYS_unlink, .p = { "dlink/" } },
	{ SYS_unlink, .p = { "dangling" } },
	{ SYS_rmdir, .p = { "nd" } },
	{ SYS_rmdir, .p = { "emptydir/." } },
	{ SYS_rmdir, .p = { "dir/.." } },
	{ SYS_rmdir, .p = { "/" } },
	{ SYS_rmdir, .p = { "dir" } },
	{ SYS_rmdir, .p = { "file.txt" } },
	{ SYS_rmdir, .p = { "dlink" } },
	{ SYS_rmdir, .p = { "nd2/" } },
#endif
	{ SYS_unlinkat, .p = { "new5" }, .dir = { D_DIR } },
	{ SYS_unlinkat, .p = { "sub" }, .dir = { D_DIR }, .a = O(0, 0, AT_REMOVEDIR) },
	{ SYS_unlinkat, .p = { "emptydir" }, .a = O(0, 0, AT_REMOVEDIR) },
	{ SYS_unlinkat, .p = { "creat.txt" }, .a = O(0, 0, 1) },
/* rename */
#ifdef SYS_rename
	{ SYS_rename, .p = { "r1", "r2" } },
	{ SYS_rename, .p = { "r2", "dir/r3" } },
	{ SYS_rename, .p = { "missing", "x" } },
	{ SYS_rename, .p = { ".", "x" } },
	{ SYS_rename, .p = { "r5", ".." } },
	{ SYS_rename, .p = { "nd4", "nd4/sub" } },
	{ SYS_rename, .p = { "mvdir", "mvdir2" } },
	{ SYS_rename, .p = { "r5/", "x" } },
#endif
#ifdef SYS_renameat
	{ SYS_renameat, .p = { "r3", "r4" }, .dir = { D_DIR, D_CWD } },
#endif
	{ SYS_renameat2, .p = { "r5", "r6" }, .a = O(0, 0, 0, 0, RENAME_NOREPLACE) },
	{ SYS_renameat2, .p = { "r5", ".." }, .a = O(0, 0, 0, 0, RENAME_NOREPLACE) },
	{ SYS_renameat2, .p = { "r5", "r6" }, .a = O(0, 0, 0, 0, RENAME_EXCHANGE) },
	{ SYS_renameat2, .p = { "r5", "r7" }, .a = O(0, 0, 0, 0, RENAME_EXCHANGE) },
	{ SYS_renameat2, .p = { "r5", "r6" },
	  .a = O(0, 0, 0, 0, RENAME_EXCHANGE | RENAME_NOREPLACE) },
	{ SYS_renameat2, .p = { "r5", "r6" }, .a = O(0, 0, 0, 0, 8) },
	{ SYS_renameat2, .p = { "r5", "r6" }, .a = O(0, 0, 0, 0, 0) },
/* link, linkat */
#ifdef SYS_link
	{ SYS_link, .p = { "hard1", "hard3" } },
	{ SYS_link, .p = { "hard1", "hard3" } },
	{ SYS_link, .p = { "link", "linkhard" } },
	{ SYS_link, .p = { "dir", "dirlink" } },
	{ SYS_link, .p = { "missing", "x" } },
	{ SYS_link, .p = { "hard1", "missing/x" } },
	{ SYS_link, .p = { "hard1", "." } },
#endif
	{ SYS_linkat, .p = { "link", "linkfollow" }, .a = O(0, 0, 0, 0, AT_SYMLINK_FOLLOW) },
	{ SYS_linkat, .p = { "inner.txt", "innerlink" }, .dir = { D_DIR, D_CWD } },
	{ SYS_linkat, .p = { "", "flink" }, .dir = { D_FILE, D_CWD },
	  .a = O(0, 0, 0, 0, AT_EMPTY_PATH) },
	{ SYS_linkat, .p = { "", "flink2" }, .dir = { D_FILE, D_CWD } },
	{ SYS_linkat, .p = { "hard1", "h4" }, .a = O(0, 0, 0, 0, 1) },
/* symlink, symlinkat */
#ifdef SYS_symlink
	{ SYS_symlink, .p = { "sl1" }, .str = "target" },
	{ SYS_symlink, .p = { "sl2" }, .str = "@/file.txt" },
	{ SYS_symlink, .p = { "sl1" }, .str = "x" },
	{ SYS_symlink, .p = { "sl3" }, .str = "" },
	{ SYS_symlink, .p = { "missing/x" }, .str = "t" },
	{ SYS_symlink, .p = { "." }, .str = "t" },
	{ SYS_symlink, .p = { "sl5/" }, .str = "t" },
#endif
	{ SYS_symlinkat, .p = { "sl4" }, .dir = { D_DIR }, .str = "../file.txt" },
/* chmod, fchmodat */
#ifdef SYS_chmod
	{ SYS_chmod, .p = { "file.txt" }, .a = O(0, 0600) },
	{ SYS_chmod, .p = { "link" }, .a = O(0, 0640) },
	{ SYS_chmod, .p = { "missing" }, .a = O(0, 0640) },
	{ SYS_chmod, .p = { "dir" }, .a = O(0, 02755) },
	{ SYS_chmod, .p = { "dir" }, .a = O(0, 0755) },
#endif
	{ SYS_fchmodat, .p = { "inner.txt" }, .dir = { D_DIR }, .a = O(0, 0, 0700) },
	/* truncate */
	{ SYS_truncate, .p = { "trunc.txt" }, .a = O(0, 0) },
	{ SYS_truncate, .p = { "hard1" }, .a = O(0, 3) },
	{ SYS_truncate, .p = { "link" }, .a = O(0, 100) },
	{ SYS_truncate, .p = { "dir" }, .a = O(0, 0) },
	{ SYS_truncate, .p = { "missing" }, .a = O(0, 0) },
	{ SYS_truncate, .p = { "file.txt" }, .a = O(0, (uint64_t)-1) },
	/* utimensat */
	{ SYS_utimensat, .p = { "file.txt" }, .in = times_fixed, .in_len = sizeof(times_fixed) },
	{ SYS_utimensat, .p = { "link" }, .a = O(0, 0, 0, AT_SYMLINK_NOFOLLOW), .in = times_fixed,
	  .in_len = sizeof(times_fixed) },
	{ SYS_utimensat, .p = { "ro.txt" }, .in = times_now, .in_len = sizeof(times_now) },
	{ SYS_utimensat, .p = { "empty" } },
	{ SYS_utimensat, .p = { "hard1" }, .in = times_omit, .in_len = sizeof(times_omit) },
	{ SYS_utimensat, .p = { "hard1" }, .in = times_bad, .in_len = sizeof(times_bad) },
	{ SYS_utimensat, .p = { NULL }, .dir = { D_FILE }, .in = times_fixed,
	  .in_len = sizeof(times_fixed) },
	{ SYS_utimensat, .p = { NULL }, .dir = { D_FILE }, .a = O(0, 0, 0, AT_SYMLINK_NOFOLLOW),
	  .in = times_fixed, .in_len = sizeof(times_fixed) },
	{ SYS_utimensat, .p = { "" }, .dir = { D_LINK }, .a = O(0, 0, 0, AT_EMPTY_PATH),
	  .in = times_fixed, .in_len = sizeof(times_fixed) },
	{ SYS_utimensat, .p = { "" }, .in = times_fixed, .in_len = sizeof(times_fixed) },
	{ SYS_utimensat, .p = { "missing" }, .in = times_fixed, .in_len = sizeof(times_fixed) },
	{ SYS_utimensat, .p = { "file.txt" }, .a = O(0, 0, 0, 1), .in = times_fixed,
	  .in_len = sizeof(times_fixed) },
/* utime, utimes, futimesat: utimensat's rule, their own structs */
#ifdef SYS_utime
	{ SYS_utime, .p = { "file.txt" }, .in = &utimbuf_fixed, .in_len = sizeof(utimbuf_fixed) },
	{ SYS_utime, .p = { "link" }, .in = &utimbuf_fixed, .in_len = sizeof(utimbuf_fixed) },
	{ SYS_utime, .p = { "ro.txt" } },
	{ SYS_utime, .p = { "missing" } },
	{ SYS_utimes, .p = { "hard1" }, .in = tv_fixed, .in_len = sizeof(tv_fixed) },
	{ SYS_utimes, .p = { "hard1" }, .in = tv_bad, .in_len = sizeof(tv_bad) },
	{ SYS_utimes, .p = { "empty" } },
	{ SYS_futimesat, .p = { "inner.txt" }, .dir = { D_DIR }, .in = tv_fixed,
	  .in_len = sizeof(tv_fixed) },
	{ SYS_futimesat, .p = { NULL }, .dir = { D_FILE }, .in = tv_fixed,
	  .in_len = sizeof(tv_fixed) },
#endif
	/* fchmodat2: fchmodat with flags; a symlink's mode is EOPNOTSUPP */
	{ SYS_fchmodat2, .p = { "file.txt" }, .a = O(0, 0, 0640, 0) },
	{ SYS_fchmodat2, .p = { "link" }, .a = O(0, 0, 0600, AT_SYMLINK_NOFOLLOW) },
	{ SYS_fchmodat2, .p = { "link" }, .a = O(0, 0, 0604, 0) },
	{ SYS_fchmodat2, .p = { "dir" }, .a = O(0, 0, 0750, AT_SYMLINK_NOFOLLOW) },
	{ SYS_fchmodat2, .p = { "" }, .dir = { D_FILE }, .a = O(0, 0, 0660, AT_EMPTY_PATH) },
	{ SYS_fchmodat2, .p = { "" }, .dir = { D_LINK }, .a = O(0, 0, 0660, AT_EMPTY_PATH) },
	{ SYS_fchmodat2, .p = { "" }, .a = O(0, 0, 0660, 0) },
	{ SYS_fchmodat2, .p = { "missing" }, .a = O(0, 0, 0660, AT_SYMLINK_NOFOLLOW) },
	{ SYS_fchmodat2, .p = { "file.txt" }, .a = O(0, 0, 0660, 1) },
/* chown, lchown, fchownat (root here: the kernel lets both give files away) */
#ifdef SYS_chown
	{ SYS_chown, .p = { "file.txt" }, .a = O(0, 65534, 65534) },
	{ SYS_chown, .p = { "link" }, .a = O(0, 1, 2) },
	{ SYS_chown, .p = { "file.txt" }, .a = O(0, (uint32_t)-1, 3) },
	{ SYS_chown, .p = { "missing" }, .a = O(0, 1, 1) },
	{ SYS_lchown, .p = { "link" }, .a = O(0, 4, 4) },
	{ SYS_lchown, .p = { "dangling" }, .a = O(0, 5, 5) },
#endif
	{ SYS_fchownat, .p = { "inner.txt" }, .dir = { D_DIR }, .a = O(0, 0, 6, 6, 0) },
	{ SYS_fchownat, .p = { "link" }, .a = O(0, 0, 7, 7, AT_SYMLINK_NOFOLLOW) },
	{ SYS_fchownat, .p = { "" }, .dir = { D_FILE }, .a = O(0, 0, 8, 8, AT_EMPTY_PATH) },
	{ SYS_fchownat, .p = { "" }, .dir = { D_LINK }, .a = O(0, 0, 9, 9, AT_EMPTY_PATH) },
	{ SYS_fchownat, .p = { "" }, .a = O(0, 0, 9, 9, 0) },
	{ SYS_fchownat, .p = { "file.txt" }, .a = O(0, 0, 9, 9, 1) },
/* mknod, mknodat: FIFOs, sockets and regular files, with the umask */
#ifdef SYS_mknod
	{ SYS_mknod, .p = { "fifo2" }, .a = O(0, S_IFIFO | 0666, 0) },
	{ SYS_mknod, .p = { "fifo2" }, .a = O(0, S_IFIFO | 0666, 0) },
	{ SYS_mknod, .p = { "sock" }, .a = O(0, S_IFSOCK | 0644, 0) },
	{ SYS_mknod, .p = { "reg" }, .a = O(0, S_IFREG | 0640, 0) },
	{ SYS_mknod, .p = { "plain" }, .a = O(0, 0604, 0) },
	{ SYS_mknod, .p = { "missing/x" }, .a = O(0, S_IFIFO | 0644, 0) },
	{ SYS_mknod, .p = { "." }, .a = O(0, S_IFIFO | 0644, 0) },
	{ SYS_mknod, .p = { "dangling" }, .a = O(0, S_IFIFO | 0644, 0) },
	{ SYS_mknod, .p = { "mdir" }, .a = O(0, S_IFDIR | 0755, 0) },
	{ SYS_mknod, .p = { "mbad" }, .a = O(0, 0170000 | 0644, 0) },
#endif
	{ SYS_mknodat, .p = { "fifo3" }, .dir = { D_DIR }, .a = O(0, 0, S_IFIFO | 0600, 0) },
};

static void test_read_only(void **state)
{
	memcpy(how_big_zero, &how_rd, sizeof(how_rd));
	memcpy(how_big_dirty, &how_rd, sizeof(how_rd));
	how_big_dirty[30] = 1;
	for (size_t i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++)
		run_case(&read_only[i], 0, true);
	compare_trees(twin[0], twin[1], "the read-only cases"); /* they changed nothing */
}

static void test_mutating(void **state)
{
	for (size_t i = 0; i < sizeof(mutating) / sizeof(mutating[0]); i++) {
		char what[PATH_MAX];
		run_case(&mutating[i], 1, false);
		compare_trees(twin[0], twin[1], describe(&mutating[i], what, sizeof(what)));
	}
}

/* A FIFO opened without O_NONBLOCK must not block the broker, and the fd must not keep it. */
static void test_fifo(void **state)
{
	static struct sb_result res;
	struct sb_call call = {
		.nr = SYS_openat,
		.args = { AT_FDCWD, 0, O_RDONLY },
		.pid = getpid(),
		.shape = sb_shape_lookup(SYS_openat),
		.path = { "fifo" },
		.dirfd = { dfd[0][D_CWD], -1 },
	};
	assert_int_equal(sb_execute(allow, NULL, &call, &res), 0);
	assert_int_equal(res.ret, 0);
	assert_true(res.fd >= 0);
	assert_false(fcntl(res.fd, F_GETFL) & O_NONBLOCK);
	close(res.fd);
}

/* What the broker refuses to pass on even when it is allowed, where the kernel would not. */
static void test_broker_specific(void **state)
{
	static struct sb_result res;
	struct stat st;
	char p[PATH_MAX];
	struct sb_call call = {
		.nr = SYS_openat,
		.args = { AT_FDCWD, 0, O_CREAT | O_WRONLY | O_EXCL, 04755 },
		.pid = getpid(),
		.shape = sb_shape_lookup(SYS_openat),
		.path = { "suid" },
		.dirfd = { dfd[1][D_CWD], -1 },
	};

	/* No setuid/setgid files: the broker's would be root's. */
	assert_int_equal(sb_execute(allow, NULL, &call, &res), 0);
	assert_int_equal(res.ret, 0);
	assert_int_equal(fstat(res.fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	close(res.fd);
	call.nr = SYS_fchmodat;
	call.shape = sb_shape_lookup(SYS_fchmodat);
	call.args[2] = 02755;
	assert_int_equal(sb_execute(allow, NULL, &call, &res), 0);
	assert_int_equal(res.ret, -EPERM);
	snprintf(p, sizeof(p), "%s/suid", twin[1]);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(unlink(p), 0);

	/* RENAME_WHITEOUT needs CAP_MKNOD, which the sandboxee does not have. */
	call = (struct sb_call){
		.nr = SYS_renameat2,
		.args = { AT_FDCWD, 0, AT_FDCWD, 0, RENAME_WHITEOUT },
		.pid = getpid(),
		.shape = sb_shape_lookup(SYS_renameat2),
		.path = { "hard1", "hw" },
		.dirfd = { dfd[1][D_CWD], dfd[1][D_CWD] },
	};
	assert_int_equal(sb_execute(allow, NULL, &call, &res), 0);
	assert_int_equal(res.ret, -EPERM);

	/* An unknown syscall is the decoder's bug. */
	call.nr = SYS_getpid;
	assert_int_equal(sb_execute(allow, NULL, &call, &res), -ENOSYS);
	assert_int_equal(res.ret, -ENOSYS);
	assert_int_equal(res.fd, -1);
}

/* ---- under a policy that grants part of a tree ---- */

static char ptree[SHORT + 32];
static int pfd = -1, pgranted = -1;
static struct sb_policy *part;

static void make_ptree(void)
{
	snprintf(ptree, sizeof(ptree), "%s/P", base);
	assert_int_equal(mkdir(ptree, 0755), 0);
	xmkdir(ptree, "granted");
	xwrite(ptree, "granted/a.txt", "granted\n", 0644);
	xwrite(ptree, "granted/tool.sh", "#!/bin/sh\nexit 3\n", 0755);
	xmkdir(ptree, "granted/sub");
	xmkdir(ptree, "granted/ro");
	xwrite(ptree, "granted/ro/b.txt", "b\n", 0644);
	xmkdir(ptree, "granted/rd");
	xwrite(ptree, "granted/rd/c.txt", "c\n", 0644);
	xmkdir(ptree, "granted/drop");
	xsymlink(ptree, "..", "granted/up");
	xsymlink(ptree, "../secret/s.txt", "granted/out");
	xsymlink(ptree, "@/secret/s.txt", "granted/abs");
	xsymlink(ptree, "@/secret", "granted/sdir");
	xsymlink(ptree, "/proc/self/root", "granted/self");
	xsymlink(ptree, "/proc/self/status", "granted/me");
	xsymlink(ptree, "../secret/new", "granted/dangle");
	xmkdir(ptree, "secret");
	xwrite(ptree, "secret/s.txt", "secret\n", 0644);
	xwrite(ptree, "secret/tool.sh", "#!/bin/sh\nexit 4\n", 0755);
	xmkdir(ptree, "hidden");
	xwrite(ptree, "hidden/h.txt", "h\n", 0644);
	pfd = open(ptree, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(pfd >= 0);
	snprintf(ptree + strlen(ptree), 16, "/granted");
	pgranted = open(ptree, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ptree[strlen(ptree) - 8] = 0;
	assert_true(pgranted >= 0);
	int pid = (int)getpid();
	part = load_policy("sysbroker-policy 1\n"
			   "path \"%s/granted/**\" read write create delete list\n"
			   "path \"%s/granted/tool.sh\" read exec\n"
			   "path \"%s/granted/ro/**\" read list\n"
			   "path \"%s/granted/rd/**\" read delete list\n"
			   "path \"%s/granted/drop/**\" read create list\n"
			   "path \"%s/hidden/**\" deny errno ENOENT\n"
			   "path /proc/%d/** stat\n"
			   "path /proc/%d/status read\n"
			   "path /proc/%d/task/%d/status read\n",
			   ptree, ptree, ptree, ptree, ptree, ptree, pid, pid, pid, pid);
}

static bool pexists(const char *rel)
{
	char p[2 * PATH_MAX];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", ptree, rel);
	return lstat(p, &st) == 0;
}

/* Run one call under `policy`, the first path relative to dirfd (the P tree unless given). */
static int64_t pcall(const struct sb_policy *policy, struct sb_result *res, int nr, const char *p0,
		     const char *p1, uint64_t a2, uint64_t a3, uint64_t a4, pid_t pid, int dirfd)
{
	const struct sb_shape *sh = sb_shape_lookup(nr);
	struct sb_call call = {
		.nr = nr,
		.pid = pid ? pid : getpid(),
		.shape = sh,
		.dirfd = { -1, -1 },
	};
	assert_non_null(sh);
	const char *ps[2] = { p0, p1 };
	for (int i = 0; i < 2; i++) {
		if (sh->path[i] == SB_NOARG)
			continue;
		call.path[i] = ps[i];
		if (ps[i] && ps[i][0] != '/')
			call.dirfd[i] = dirfd >= 0 && i == 0 ? dirfd : pfd;
		if (sh->dirfd[i] != SB_NOARG)
			call.args[sh->dirfd[i]] = (uint64_t)AT_FDCWD;
	}
	/* Flags go where each call has them. */
	switch (nr) {
	case SYS_openat:
		call.args[2] = a2;
		call.args[3] = a3;
		break;
	case SYS_symlinkat:
		call.string = p1;
		call.path[1] = NULL;
		call.dirfd[1] = -1;
		break;
	default:
		call.args[2] = a2;
		call.args[3] = a3;
		call.args[4] = a4;
	}
	assert_int_equal(sb_execute(policy, NULL, &call, res), 0);
	return res->ret;
}

static void expect_denied(struct sb_result *res, int64_t ret, int err, const char *rel_or_abs)
{
	char want[PATH_MAX];
	if (ret != -err)
		fail_msg("%s: got %lld (%s), want -%s", rel_or_abs, (long long)ret,
			 ret < 0 ? strerror((int)-ret) : "ok", strerror(err));
	assert_int_equal(res->fd, -1);
	assert_int_equal(res->decision.verdict, SB_DENY);
	if (rel_or_abs) {
		if (rel_or_abs[0] == '/')
			snprintf(want, sizeof(want), "%s", rel_or_abs);
		else
			snprintf(want, sizeof(want), "%s/%s", ptree, rel_or_abs);
		if (strcmp(res->path, want) != 0 && strcmp(res->path2, want) != 0)
			fail_msg("decided on %s / %s, want %s", res->path, res->path2, want);
	}
}

static void expect_ok_fd(struct sb_result *res, int64_t ret, const char *content)
{
	char buf[64] = { 0 };
	if (ret != 0)
		fail_msg("got %lld (%s)", (long long)ret, strerror((int)-ret));
	assert_true(res->fd >= 0);
	if (content) {
		assert_true(pread(res->fd, buf, sizeof(buf) - 1, 0) >= 0);
		assert_string_equal(buf, content);
	}
	close(res->fd);
}

static void test_policy_paths(void **state)
{
	static struct sb_result res;
	int64_t r;

	make_ptree();
	/* Granted. */
	r = pcall(part, &res, SYS_openat, "granted/a.txt", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_ok_fd(&res, r, "granted\n");
	assert_int_equal(res.decision.verdict, SB_ALLOW);
	assert_int_equal(res.perm, SB_PERM_READ);
	/* Outside, by name, "..", symlinks (relative, absolute, to a directory), dirfd. */
	r = pcall(part, &res, SYS_openat, "secret/s.txt", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	assert_int_equal(res.perm, SB_PERM_READ);
	r = pcall(part, &res, SYS_openat, "granted/../secret/s.txt", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_openat, "granted/up/secret/s.txt", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_openat, "granted/out", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_openat, "granted/abs", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_openat, "granted/sdir/s.txt", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_openat, "../secret/s.txt", NULL, O_RDONLY, 0, 0, 0, pgranted);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_openat, "a.txt", NULL, O_RDONLY, 0, 0, 0, pgranted);
	expect_ok_fd(&res, r, "granted\n");
	/* O_PATH needs only stat, which the default does not grant either. */
	r = pcall(part, &res, SYS_openat, "secret/s.txt", NULL, O_PATH, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	assert_int_equal(res.perm, SB_PERM_STAT);
	/* A permission the deciding rule lacks: EACCES; the rule's own errno for deny rules. */
	r = pcall(part, &res, SYS_openat, "granted/ro/b.txt", NULL, O_RDWR, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "granted/ro/b.txt");
	assert_int_equal(res.perm, SB_PERM_WRITE);
	r = pcall(part, &res, SYS_openat, "granted/ro/b.txt", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_ok_fd(&res, r, "b\n");
	r = pcall(part, &res, SYS_openat, "granted/ro/b.txt", NULL, O_RDONLY | O_TRUNC, 0, 0, 0,
		  -1);
	expect_denied(&res, r, EACCES, "granted/ro/b.txt");
	r = pcall(part, &res, SYS_openat, "hidden/h.txt", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_denied(&res, r, ENOENT, "hidden/h.txt");
	/* Listing a directory needs "list". */
	r = pcall(part, &res, SYS_openat, "granted/sub", NULL, O_RDONLY | O_DIRECTORY, 0, 0, 0, -1);
	expect_ok_fd(&res, r, NULL);
	assert_int_equal(res.perm, SB_PERM_LIST);
	r = pcall(part, &res, SYS_openat, "secret", NULL, O_RDONLY | O_DIRECTORY, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret");
	assert_int_equal(res.perm, SB_PERM_LIST);
}

/* A name that does not resolve: the kernel's error only where the policy lets the caller stat. */
static void test_policy_existence(void **state)
{
	static struct sb_result res;
	int64_t r;

	r = pcall(part, &res, SYS_openat, "granted/missing", NULL, O_RDONLY, 0, 0, 0, -1);
	assert_int_equal(r, -ENOENT);
	r = pcall(part, &res, SYS_openat, "granted/missing/x/y", NULL, O_RDONLY, 0, 0, 0, -1);
	assert_int_equal(r, -ENOENT);
	r = pcall(part, &res, SYS_openat, "granted/a.txt/x", NULL, O_RDONLY, 0, 0, 0, -1);
	assert_int_equal(r, -ENOTDIR);
	/* Outside: missing and present look the same. */
	r = pcall(part, &res, SYS_openat, "secret/missing", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/missing");
	r = pcall(part, &res, SYS_openat, "secret/nodir/x/y", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/nodir");
	r = pcall(part, &res, SYS_openat, "secret/s.txt/x", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_newfstatat, "secret/missing", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/missing");
	r = pcall(part, &res, SYS_newfstatat, "hidden/missing", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, ENOENT, "hidden/missing");
	r = pcall(part, &res, SYS_newfstatat, "granted/up/secret/missing", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/missing");
	/* A dangling link out of the granted tree says nothing about where it points: the
	 * failure is decided there, as is creating through it. */
	r = pcall(part, &res, SYS_openat, "granted/dangle", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/new");
	r = pcall(part, &res, SYS_openat, "granted/dangle/x", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/new");
	r = pcall(part, &res, SYS_mkdirat, "granted/dangle/x", NULL, 0700, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/new");
	r = pcall(part, &res, SYS_newfstatat, "granted/dangle", NULL, 0, AT_SYMLINK_NOFOLLOW, 0, 0,
		  -1);
	assert_int_equal(r, 0); /* the link itself is granted */
	r = pcall(part, &res, SYS_openat, "granted/dangle", NULL, O_CREAT | O_WRONLY, 0600, 0, 0,
		  -1);
	expect_denied(&res, r, EACCES, "secret/new");
	assert_false(pexists("secret/new"));
	/* Stat is granted where read is, and refused outside. */
	r = pcall(part, &res, SYS_newfstatat, "granted/a.txt", NULL, 0, 0, 0, 0, -1);
	assert_int_equal(r, 0);
	assert_int_equal(res.outlen, sizeof(struct stat));
	r = pcall(part, &res, SYS_newfstatat, "granted/out", NULL, 0, AT_SYMLINK_NOFOLLOW, 0, 0,
		  -1);
	assert_int_equal(r, 0);
	r = pcall(part, &res, SYS_newfstatat, "granted/out", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	assert_int_equal(res.outlen, 0);
}

static void test_policy_changes(void **state)
{
	static struct sb_result res;
	int64_t r;

	/* Creating: allowed in granted, nowhere else, and a denial creates nothing. */
	r = pcall(part, &res, SYS_openat, "granted/new.txt", NULL, O_CREAT | O_WRONLY, 0600, 0, 0,
		  -1);
	expect_ok_fd(&res, r, NULL);
	assert_true(pexists("granted/new.txt"));
	r = pcall(part, &res, SYS_openat, "secret/new.txt", NULL, O_CREAT | O_WRONLY, 0600, 0, 0,
		  -1);
	expect_denied(&res, r, EACCES, "secret/new.txt");
	assert_int_equal(res.perm, SB_PERM_CREATE);
	assert_false(pexists("secret/new.txt"));
	r = pcall(part, &res, SYS_openat, "granted/ro/new.txt", NULL, O_CREAT | O_RDONLY, 0600, 0,
		  0, -1);
	expect_denied(&res, r, EACCES, "granted/ro/new.txt");
	assert_false(pexists("granted/ro/new.txt"));
	r = pcall(part, &res, SYS_openat, "hidden/new.txt", NULL, O_CREAT | O_RDWR, 0600, 0, 0, -1);
	expect_denied(&res, r, ENOENT, "hidden/new.txt");
	assert_false(pexists("hidden/new.txt"));
	r = pcall(part, &res, SYS_mkdirat, "secret/d", NULL, 0755, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/d");
	assert_false(pexists("secret/d"));
	r = pcall(part, &res, SYS_mkdirat, "granted/up/secret/d", NULL, 0755, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/d");
	assert_false(pexists("secret/d"));
	r = pcall(part, &res, SYS_mkdirat, "granted/d", NULL, 0755, 0, 0, 0, -1);
	assert_int_equal(r, 0);
	assert_true(pexists("granted/d"));
	/* Removing. */
	r = pcall(part, &res, SYS_unlinkat, "secret/s.txt", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	assert_int_equal(res.perm, SB_PERM_DELETE);
	assert_true(pexists("secret/s.txt"));
	r = pcall(part, &res, SYS_unlinkat, "granted/ro/b.txt", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "granted/ro/b.txt");
	assert_true(pexists("granted/ro/b.txt"));
	/* A symlink is removed, not what it points to. */
	r = pcall(part, &res, SYS_unlinkat, "granted/out", NULL, 0, 0, 0, 0, -1);
	assert_int_equal(r, 0);
	assert_false(pexists("granted/out"));
	assert_true(pexists("secret/s.txt"));
	r = pcall(part, &res, SYS_unlinkat, "granted/d", NULL, AT_REMOVEDIR, 0, 0, 0, -1);
	assert_int_equal(r, 0);
	/* Renaming needs delete at the source and create at the target. */
	r = pcall(part, &res, SYS_renameat2, "granted/a.txt", "secret/a.txt", 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/a.txt");
	assert_true(pexists("granted/a.txt"));
	assert_false(pexists("secret/a.txt"));
	r = pcall(part, &res, SYS_renameat2, "secret/s.txt", "granted/s.txt", 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	assert_true(pexists("secret/s.txt"));
	r = pcall(part, &res, SYS_renameat2, "granted/new.txt", "granted/sub/new.txt", 0, 0, 0, 0,
		  -1);
	assert_int_equal(r, 0);
	assert_int_equal(strcmp(res.path2 + strlen(ptree), "/granted/sub/new.txt"), 0);
	/* Replacing an existing target needs delete there too. */
	r = pcall(part, &res, SYS_renameat2, "granted/sub/new.txt", "granted/ro/b.txt", 0, 0, 0, 0,
		  -1);
	expect_denied(&res, r, EACCES, "granted/ro/b.txt");
	assert_true(pexists("granted/sub/new.txt"));
	/* A rename must not widen access to what it moves: rd grants no write, granted does. */
	r = pcall(part, &res, SYS_renameat2, "granted/rd/c.txt", "granted/c.txt", 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "granted/rd/c.txt");
	assert_int_equal(res.perm, SB_PERM_WRITE);
	assert_true(pexists("granted/rd/c.txt"));
	assert_false(pexists("granted/c.txt"));
	/* Symlinks: the target is never checked, the new name needs create. */
	r = pcall(part, &res, SYS_symlinkat, "granted/pw", "/etc/passwd", 0, 0, 0, 0, -1);
	assert_int_equal(r, 0);
	r = pcall(part, &res, SYS_openat, "granted/pw", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "/etc/passwd");
	r = pcall(part, &res, SYS_symlinkat, "secret/pw", "x", 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/pw");
	assert_false(pexists("secret/pw"));
	/* Changing an object needs write on it. */
	r = pcall(part, &res, SYS_fchmodat, "secret/s.txt", NULL, 0600, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_truncate, "granted/abs", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_utimensat, "granted/ro/b.txt", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "granted/ro/b.txt");
	char p[2 * PATH_MAX];
	struct stat st;
	snprintf(p, sizeof(p), "%s/secret/s.txt", ptree);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_size, 7);
	/* access: each mode bit needs its permission. */
	r = pcall(part, &res, SYS_faccessat2, "granted/ro/b.txt", NULL, R_OK, 0, 0, 0, -1);
	assert_int_equal(r, 0);
	r = pcall(part, &res, SYS_faccessat2, "granted/ro/b.txt", NULL, W_OK, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "granted/ro/b.txt");
	r = pcall(part, &res, SYS_faccessat2, "granted/a.txt", NULL, X_OK, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "granted/a.txt");
	assert_int_equal(res.perm, SB_PERM_EXEC);
	r = pcall(part, &res, SYS_faccessat2, "secret/s.txt", NULL, F_OK, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	/* exec */
	r = pcall(part, &res, SYS_execveat, "granted/tool.sh", NULL, 0, 0, 0, 0, -1);
	assert_int_equal(r, 0);
	assert_true(res.fd >= 0);
	struct stat a, b;
	snprintf(p, sizeof(p), "%s/granted/tool.sh", ptree);
	assert_int_equal(fstat(res.fd, &a), 0);
	assert_int_equal(stat(p, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	close(res.fd);
	r = pcall(part, &res, SYS_execveat, "secret/tool.sh", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/tool.sh");
	assert_int_equal(res.perm, SB_PERM_EXEC);
	r = pcall(part, &res, SYS_execveat, "granted/a.txt", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "granted/a.txt");
}

/* chown, mknod, statfs, utime(s), fchmodat2 under the policy: allow, deny, ".." and symlinks. */
static void test_policy_new_calls(void **state)
{
	static struct sb_result res;
	struct stat st;
	char p[2 * PATH_MAX];
	int64_t r;

	snprintf(p, sizeof(p), "%s/secret/s.txt", ptree);
	/* chown: "write" on the file; a symlink or ".." out of the grant is decided where it leads.
	 */
	r = pcall(part, &res, SYS_fchownat, "granted/a.txt", NULL, 1, 1, 0, 0, -1);
	assert_int_equal(r, 0);
	r = pcall(part, &res, SYS_fchownat, "secret/s.txt", NULL, 1, 1, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_fchownat, "granted/abs", NULL, 1, 1, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_fchownat, "granted/up/secret/s.txt", NULL, 1, 1, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_fchownat, "granted/ro/b.txt", NULL, 1, 1, 0, 0, -1);
	expect_denied(&res, r, EACCES, "granted/ro/b.txt");
	assert_int_equal(res.perm, SB_PERM_WRITE);
	/* With AT_SYMLINK_NOFOLLOW the link itself, which is in the grant. */
	r = pcall(part, &res, SYS_fchownat, "granted/abs", NULL, 2, 2, AT_SYMLINK_NOFOLLOW, 0, -1);
	assert_int_equal(r, 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 0);
	/* fchmodat2 */
	r = pcall(part, &res, SYS_fchmodat2, "granted/abs", NULL, 0600, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_fchmodat2, "granted/abs", NULL, 0600, AT_SYMLINK_NOFOLLOW, 0, 0,
		  -1);
	assert_int_equal(r, -EOPNOTSUPP);
	r = pcall(part, &res, SYS_fchmodat2, "granted/up/secret/s.txt", NULL, 0600, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* utimes, futimesat (NULL times: now) */
#ifdef SYS_utimes
	r = pcall(part, &res, SYS_utimes, "granted/abs", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_utime, "granted/ro/b.txt", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "granted/ro/b.txt");
	r = pcall(part, &res, SYS_futimesat, "granted/up/secret/s.txt", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = pcall(part, &res, SYS_utimes, "granted/a.txt", NULL, 0, 0, 0, 0, -1);
	assert_int_equal(r, 0);
#endif
	/* mknodat: "create" on the new name. */
	r = pcall(part, &res, SYS_mknodat, "granted/fifo", NULL, S_IFIFO | 0644, 0, 0, 0, -1);
	assert_int_equal(r, 0);
	assert_true(pexists("granted/fifo"));
	r = pcall(part, &res, SYS_mknodat, "secret/fifo", NULL, S_IFIFO | 0644, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/fifo");
	assert_int_equal(res.perm, SB_PERM_CREATE);
	r = pcall(part, &res, SYS_mknodat, "granted/up/secret/f", NULL, S_IFIFO, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/f");
	r = pcall(part, &res, SYS_mknodat, "granted/sdir/f", NULL, S_IFSOCK, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/f");
	r = pcall(part, &res, SYS_mknodat, "granted/ro/f", NULL, S_IFREG, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "granted/ro/f");
	assert_false(pexists("secret/fifo") || pexists("secret/f") || pexists("granted/ro/f"));
	/* A device node: refused whatever the policy, and logged. */
	r = pcall(allow, &res, SYS_mknodat, "granted/null", NULL, S_IFCHR | 0666, makedev(1, 3), 0,
		  0, -1);
	assert_int_equal(r, -EPERM);
	assert_int_equal(res.decision.verdict, SB_DENY);
	assert_true(res.decision.log);
	assert_false(pexists("granted/null"));
	/* statfs: "stat". */
	r = pcall(part, &res, SYS_statfs, "granted/a.txt", NULL, 0, 0, 0, 0, -1);
	assert_int_equal(r, 0);
	assert_int_equal(res.outlen, sizeof(struct statfs));
	r = pcall(part, &res, SYS_statfs, "granted/abs", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	assert_int_equal(res.outlen, 0);
	r = pcall(part, &res, SYS_statfs, "hidden/h.txt", NULL, 0, 0, 0, 0, -1);
	expect_denied(&res, r, ENOENT, "hidden/h.txt");
}

/*
 * /proc/self/fd/N names the caller's own fd, which the transport fetched (own_fd): the call is
 * decided on the canonical path of what the fd names, never on where a magic link could lead.
 */
static int64_t own_fd_call(const struct sb_policy *policy, struct sb_result *res, int nr, int fd,
			   uint64_t a1, uint64_t a2)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct sb_call call = {
		.nr = nr,
		.args = { 0, a1, a2 },
		.pid = getpid(),
		.shape = sb_shape_lookup(nr),
		.path = { path },
		.dirfd = { fcntl(fd, F_DUPFD_CLOEXEC, 3), -1 },
		.own_fd = { true, false },
	};
	if (call.shape->path[0] == 1) { /* fchmodat, fchownat, utimensat: a dirfd first */
		call.args[0] = (uint64_t)AT_FDCWD;
		call.args[2] = a1;
		call.args[3] = a2;
	}
	assert_non_null(call.shape);
	assert_true(call.dirfd[0] >= 0);
	assert_int_equal(sb_execute(policy, NULL, &call, res), 0);
	close(call.dirfd[0]);
	return res->ret;
}

static void test_policy_own_fd(void **state)
{
	static struct sb_result res;
	char p[2 * PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/granted/a.txt", ptree);
	int ok = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	snprintf(p, sizeof(p), "%s/secret/s.txt", ptree);
	int out = open(p, O_RDONLY | O_CLOEXEC);
	snprintf(p, sizeof(p), "%s/granted/abs", ptree);
	int link = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	assert_true(ok >= 0 && out >= 0 && link >= 0);

	/* The C library's fchmodat(AT_SYMLINK_NOFOLLOW): chmod of /proc/self/fd/N. */
	assert_int_equal(own_fd_call(part, &res, SYS_fchmodat, ok, 0640, 0), 0);
	assert_int_equal(fstat(ok, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* An fd on a file outside the grant changes nothing, and the record names that file. */
	int64_t r = own_fd_call(part, &res, SYS_fchmodat, out, 0600, 0);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = own_fd_call(part, &res, SYS_fchownat, out, 1, 1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	r = own_fd_call(part, &res, SYS_utimensat, out, 0, 0);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	assert_int_equal(fstat(out, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_uid, 0);
	/* An O_PATH fd on a granted symlink is the link, not where it points. */
	r = own_fd_call(part, &res, SYS_fchmodat, link, 0600, 0);
	assert_int_equal(r, -EOPNOTSUPP);
	assert_int_equal(fstat(out, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* Without the transport's fd, the magic link is refused as before. */
	struct sb_call call = {
		.nr = SYS_fchmodat,
		.args = { (uint64_t)AT_FDCWD, 0, 0600 },
		.pid = getpid(),
		.shape = sb_shape_lookup(SYS_fchmodat),
		.path = { p },
		.dirfd = { -1, -1 },
	};
	snprintf(p, sizeof(p), "/proc/self/fd/%d", out);
	assert_int_equal(sb_execute(part, NULL, &call, &res), 0);
	assert_true(res.ret < 0);
	assert_int_equal(fstat(out, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	close(ok);
	close(out);
	close(link);
}

/* A child that becomes uid/gid 65534 with no groups (or, with root, uid 0 without capabilities)
 * and waits to be killed: the caller whose identity chown must use. */
static pid_t identity_child(bool root_nocaps)
{
	int pfds[2];
	char c;
	assert_int_equal(pipe(pfds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		bool ok = prctl(PR_SET_PDEATHSIG, SIGKILL) == 0;
		if (root_nocaps) {
			struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
			struct __user_cap_data_struct d[2] = { 0 };
			ok = ok && syscall(SYS_capset, &h, d) == 0;
		} else
			ok = ok && setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0 &&
			     setresuid(65534, 65534, 65534) == 0;
		if (!ok || write(pfds[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfds[1]);
	assert_int_equal(read(pfds[0], &c, 1), 1);
	close(pfds[0]);
	return pid;
}

static void kill_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* chown acts with the caller's identity: what it could not do natively, it cannot do here. */
static void test_chown_identity(void **state)
{
	static struct sb_result res;
	char p[2 * PATH_MAX];
	struct stat st;
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct before[2], after[2];

	if (geteuid() != 0)
		skip();
	xwrite(ptree, "granted/mine", "m\n", 0644);
	snprintf(p, sizeof(p), "%s/granted/mine", ptree);
	assert_int_equal(chown(p, 65534, 65534), 0);
	snprintf(p, sizeof(p), "%s/granted/a.txt", ptree);
	assert_int_equal(chown(p, 0, 0), 0);
	snprintf(p, sizeof(p), "%s/granted/mine", ptree);
	assert_int_equal(syscall(SYS_capget, &h, before), 0);
	int ngroups = getgroups(0, NULL);
	pid_t nobody = identity_child(false);
	/* A file of someone else's; giving one's own away; a group one is not in. */
	assert_int_equal(
		pcall(part, &res, SYS_fchownat, "granted/a.txt", NULL, 65534, 65534, 0, nobody, -1),
		-EPERM);
	assert_int_equal(
		pcall(part, &res, SYS_fchownat, "granted/mine", NULL, 0, -1, 0, nobody, -1),
		-EPERM);
	assert_int_equal(
		pcall(part, &res, SYS_fchownat, "granted/mine", NULL, -1, 0, 0, nobody, -1),
		-EPERM);
	/* Its own file to its own group: fine. */
	assert_int_equal(
		pcall(part, &res, SYS_fchownat, "granted/mine", NULL, 65534, 65534, 0, nobody, -1),
		0);
	kill_child(nobody);
	/* uid 0 without CAP_CHOWN may not give a file away either. */
	pid_t nocaps = identity_child(true);
	assert_int_equal(
		pcall(part, &res, SYS_fchownat, "granted/a.txt", NULL, 65534, -1, 0, nocaps, -1),
		-EPERM);
	kill_child(nocaps);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	snprintf(p, sizeof(p), "%s/granted/a.txt", ptree);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 0);
	/* The broker thread is itself again. */
	assert_int_equal(setfsuid((uid_t)-1), 0);
	assert_int_equal(setfsgid((gid_t)-1), 0);
	assert_int_equal(syscall(SYS_capget, &h, after), 0);
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(getgroups(0, NULL), ngroups);
}

/* A hard link is a new name for an existing object: it must not grant more than the old one. */
static void test_policy_hardlinks(void **state)
{
	static struct sb_result res;
	int64_t r;

	r = pcall(part, &res, SYS_linkat, "secret/s.txt", "granted/h1", 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	assert_false(pexists("granted/h1"));
	r = pcall(part, &res, SYS_linkat, "granted/abs", "granted/h1", 0, 0, AT_SYMLINK_FOLLOW, 0,
		  -1);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	assert_false(pexists("granted/h1"));
	/* ro grants no write; granted does. */
	r = pcall(part, &res, SYS_linkat, "granted/ro/b.txt", "granted/h2", 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "granted/ro/b.txt");
	assert_int_equal(res.perm, SB_PERM_WRITE);
	assert_false(pexists("granted/h2"));
	/* Same rule both sides. */
	r = pcall(part, &res, SYS_linkat, "granted/a.txt", "granted/h3", 0, 0, 0, 0, -1);
	assert_int_equal(r, 0);
	assert_true(pexists("granted/h3"));
	/* Fewer permissions at the new name: fine (drop grants read and create). */
	r = pcall(part, &res, SYS_linkat, "granted/a.txt", "granted/drop/h4", 0, 0, 0, 0, -1);
	assert_int_equal(r, 0);
	assert_true(pexists("granted/drop/h4"));
	/* The target needs create. */
	r = pcall(part, &res, SYS_linkat, "granted/a.txt", "granted/ro/h5", 0, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "granted/ro/h5");
	assert_int_equal(res.perm, SB_PERM_CREATE);
	assert_false(pexists("granted/ro/h5"));
	/* The caller's own fd (AT_EMPTY_PATH) is decided on its canonical path. */
	char p[2 * PATH_MAX];
	snprintf(p, sizeof(p), "%s/secret/s.txt", ptree);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	r = pcall(part, &res, SYS_linkat, "", "granted/h6", 0, 0, AT_EMPTY_PATH, 0, fd);
	expect_denied(&res, r, EACCES, "secret/s.txt");
	assert_false(pexists("granted/h6"));
	close(fd);
}

/* /proc/self is the caller's, not the broker's; magic links are refused. */
static void test_policy_proc(void **state)
{
	static struct sb_result res;
	char want[64], buf[4096], link[PATH_MAX];
	int64_t r;
	int pid = (int)getpid();

	r = pcall(part, &res, SYS_openat, "/proc/self/status", NULL, O_RDONLY, 0, 0, 0, -1);
	assert_int_equal(r, 0);
	snprintf(want, sizeof(want), "/proc/%d/status", pid);
	assert_string_equal(res.path, want);
	ssize_t n = read(res.fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = 0;
	snprintf(want, sizeof(want), "\nPid:\t%d\n", pid);
	assert_non_null(strstr(buf, want));
	close(res.fd);
	r = pcall(part, &res, SYS_openat, "/proc/thread-self/status", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_ok_fd(&res, r, NULL);
	r = pcall(part, &res, SYS_openat, "//proc//self/status", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_ok_fd(&res, r, NULL);
	r = pcall(part, &res, SYS_openat, "/proc/self/environ", NULL, O_RDONLY, 0, 0, 0, -1);
	snprintf(want, sizeof(want), "/proc/%d/environ", pid);
	expect_denied(&res, r, EACCES, want);
	/* Magic links: ELOOP where the caller may stat them, wherever they appear. */
	r = pcall(part, &res, SYS_openat, "/proc/self/exe", NULL, O_RDONLY, 0, 0, 0, -1);
	assert_int_equal(r, -ELOOP);
	r = pcall(part, &res, SYS_openat, "/proc/self/root/etc/passwd", NULL, O_RDONLY, 0, 0, 0,
		  -1);
	assert_int_equal(r, -ELOOP);
	r = pcall(part, &res, SYS_openat, "/proc/self/fd/0", NULL, O_RDONLY, 0, 0, 0, -1);
	assert_int_equal(r, -ELOOP);
	r = pcall(part, &res, SYS_openat, "/proc/self/cwd/granted/a.txt", NULL, O_RDONLY, 0, 0, 0,
		  -1);
	assert_int_equal(r, -ELOOP);
	r = pcall(part, &res, SYS_openat, "granted/self/etc/passwd", NULL, O_RDONLY, 0, 0, 0, -1);
	assert_int_equal(r, -ELOOP);
	/* ...and the policy's errno where it may not. */
	r = pcall(part, &res, SYS_openat, "/proc/1/root/etc/passwd", NULL, O_RDONLY, 0, 0, 0, -1);
	expect_denied(&res, r, EACCES, "/proc/1/root");
	/* A magic link is still a link to readlink (stat). */
	r = pcall(part, &res, SYS_readlinkat, "/proc/self/exe", NULL, 0, 4096, 0, 0, -1);
	n = readlink("/proc/self/exe", link, sizeof(link));
	assert_int_equal(r, n);
	assert_memory_equal(res.out, link, (size_t)n);
}

/* With a caller that is not the broker: /proc/self is the caller's, and the broker's own /proc
 * and any process's memory stay out of reach whatever the policy says. */
/* A thread of this process (the "broker") for test_policy_broker_tid: its TID, then it waits. */
static int tid_pipe[2], tid_done[2];
static void *tid_thread(void *arg)
{
	pid_t tid = gettid();
	char c;
	(void)arg;
	assert_true(write(tid_pipe[1], &tid, sizeof(tid)) == sizeof(tid));
	while (read(tid_done[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/*
 * /proc/TID of a thread of the broker's, and /proc/PID/task/TID, are the broker's too: refused
 * for another caller by thread group (Tgid), not by the number alone.
 */
static void test_policy_broker_tid(void **state)
{
	static struct sb_result res;
	char p[96];
	pthread_t t;
	pid_t tid, me = getpid(), other = getppid();
	struct sb_policy *open_proc = load_policy("sysbroker-policy 1\n"
						  "path /proc/** read list\n");
	(void)state;
	assert_int_equal(pipe2(tid_pipe, O_CLOEXEC), 0);
	assert_int_equal(pipe2(tid_done, O_CLOEXEC), 0);
	assert_int_equal(pthread_create(&t, NULL, tid_thread, NULL), 0);
	assert_true(read(tid_pipe[0], &tid, sizeof(tid)) == sizeof(tid));
	assert_int_not_equal(tid, me);
	static const char *const fmt[] = { "/proc/%d/environ", "/proc/%d/maps", "/proc/%d/fd" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), fmt[i], (int)tid);
		int64_t r = pcall(open_proc, &res, SYS_openat, p, NULL, O_RDONLY, 0, 0, other, -1);
		expect_denied(&res, r, EACCES, p);
		assert_true(res.decision.builtin);
		snprintf(p, sizeof(p), "/proc/%d/task/%d/environ", (int)other, (int)tid);
		r = pcall(open_proc, &res, SYS_openat, p, NULL, O_RDONLY, 0, 0, other, -1);
		assert_true(r < 0); /* no such task under another process: ENOENT or refused */
	}
	snprintf(p, sizeof(p), "/proc/%d/task/%d/environ", (int)me, (int)tid);
	int64_t r = pcall(open_proc, &res, SYS_openat, p, NULL, O_RDONLY, 0, 0, other, -1);
	expect_denied(&res, r, EACCES, p);
	assert_true(res.decision.builtin);
	/* The control: another process's own /proc is the policy's to grant. */
	snprintf(p, sizeof(p), "/proc/%d/status", (int)other);
	expect_ok_fd(&res, pcall(open_proc, &res, SYS_openat, p, NULL, O_RDONLY, 0, 0, other, -1),
		     NULL);
	assert_true(write(tid_done[1], "x", 1) == 1);
	pthread_join(t, NULL);
	for (int i = 0; i < 2; i++) {
		close(tid_pipe[i]);
		close(tid_done[i]);
	}
	sb_policy_free(open_proc);
}

static void test_policy_other_caller(void **state)
{
	static struct sb_result res;
	char want[64], buf[4096];
	struct sb_policy *open_proc = load_policy("sysbroker-policy 1\n"
						  "path /proc/** read write list\n"
						  "path \"%s/**\" read write create delete list\n",
						  ptree);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* Never outlive the test, even when an assertion ends it early. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(0);
		close(STDOUT_FILENO);
		close(STDERR_FILENO);
		pause();
		_exit(0);
	}

	int64_t r = pcall(open_proc, &res, SYS_openat, "/proc/self/status", NULL, O_RDONLY, 0, 0,
			  child, -1);
	assert_int_equal(r, 0);
	ssize_t n = read(res.fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = 0;
	snprintf(want, sizeof(want), "\nPid:\t%d\n", (int)child);
	assert_non_null(strstr(buf, want));
	close(res.fd);
	/* A symlink to /proc/self resolves in the broker: to the broker's own directory. */
	r = pcall(open_proc, &res, SYS_openat, "granted/me", NULL, O_RDONLY, 0, 0, child, -1);
	snprintf(want, sizeof(want), "/proc/%d/status", (int)getpid());
	expect_denied(&res, r, EACCES, want);
	assert_true(res.decision.builtin);
	r = pcall(open_proc, &res, SYS_openat, "/proc/self/mem", NULL, O_RDWR, 0, 0, child, -1);
	snprintf(want, sizeof(want), "/proc/%d/mem", (int)child);
	expect_denied(&res, r, EACCES, want);
	r = pcall(open_proc, &res, SYS_openat, "/proc/thread-self/mem", NULL, O_RDONLY, 0, 0, child,
		  -1);
	snprintf(want, sizeof(want), "/proc/%d/task/%d/mem", (int)child, (int)child);
	expect_denied(&res, r, EACCES, want);
	r = pcall(open_proc, &res, SYS_newfstatat, "/proc/self/mem", NULL, 0, 0, 0, child, -1);
	assert_int_equal(r, 0);

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	sb_policy_free(open_proc);
}

/* --- extended attributes and watches ---------------------------------------------------------- */

/* One xattr or watch call: args as the caller passed them, items as a transport copied them. */
struct xc {
	int nr;
	const char *path, *name;
	uint64_t args[6];
	const void *in, *data;
	size_t in_len, data_len;
	int own; /* the caller's fd for a NULL or empty path (0: none) */
	int nfd; /* the caller's notification fd, fetched (0: none) */
};

static int64_t xcall(const struct sb_policy *policy, struct sb_result *res, const struct xc *x)
{
	const struct sb_shape *sh = sb_shape_lookup(x->nr);
	struct sb_call call = {
		.nr = x->nr,
		.pid = getpid(),
		.shape = sh,
		.dirfd = { x->own ? x->own : (x->path && x->path[0] != '/' ? pfd : -1),
			   x->nfd ? x->nfd : -1 },
		.string = x->name,
		.in = x->in,
		.in_len = x->in_len,
		.data = x->data,
		.data_len = x->data_len,
	};
	assert_non_null(sh);
	memcpy(call.args, x->args, sizeof(call.args));
	call.path[0] = x->path;
	if (sh->dirfd[0] != SB_NOARG)
		call.args[sh->dirfd[0]] = x->own ? (uint64_t)x->own : (uint64_t)AT_FDCWD;
	assert_int_equal(sb_execute(policy, NULL, &call, res), 0);
	return res->ret;
}

static void expect_ret(const struct sb_result *res, int64_t want, uint32_t perm)
{
	if (res->ret != want)
		fail_msg("got %lld, want %lld (%s)", (long long)res->ret, (long long)want,
			 res->path);
	if (perm)
		assert_int_equal(res->perm, perm);
}

static ssize_t native_get(const char *rel, const char *name, char *buf, size_t size)
{
	char p[2 * PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", ptree, rel);
	return lgetxattr(p, name, buf, size);
}

static void test_policy_xattr(void **state)
{
	static struct sb_result res;
	char buf[64];

	/* A secret of their own: earlier tests changed the tree's links. */
	xwrite(ptree, "secret/x.txt", "x\n", 0644);
	xsymlink(ptree, "../secret/x.txt", "granted/xout");
	xsymlink(ptree, "@/secret/x.txt", "granted/xabs");
	/* Set, read (size 0 asks for the size; too small is ERANGE), list, remove: granted. */
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_setxattr,
			    .path = "granted/a.txt",
			    .name = "user.k",
			    .data = "val",
			    .data_len = 3,
			    .args = { [3] = 3 } });
	expect_ret(&res, 0, SB_PERM_WRITE);
	assert_int_equal(native_get("granted/a.txt", "user.k", buf, sizeof(buf)), 3);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_getxattr,
			    .path = "granted/a.txt",
			    .name = "user.k",
			    .args = { [3] = 64 } });
	expect_ret(&res, 3, SB_PERM_STAT);
	assert_int_equal(res.outlen, 3);
	assert_memory_equal(res.out, "val", 3);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_getxattr, .path = "granted/a.txt", .name = "user.k" });
	expect_ret(&res, 3, SB_PERM_STAT);
	assert_int_equal(res.outlen, 0);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_getxattr,
			    .path = "granted/a.txt",
			    .name = "user.k",
			    .args = { [3] = 1 } });
	expect_ret(&res, -ERANGE, 0);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_setxattr,
			    .path = "granted/a.txt",
			    .name = "user.k",
			    .data = "x",
			    .data_len = 1,
			    .args = { [3] = 1, [4] = XATTR_CREATE } });
	expect_ret(&res, -EEXIST, 0);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_listxattr, .path = "granted/a.txt", .args = { [2] = 64 } });
	expect_ret(&res, 7, SB_PERM_STAT);
	assert_memory_equal(res.out, "user.k", 7);
	/* A name beyond XATTR_NAME_MAX, bad flags: the kernel's errors. */
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_getxattr, .path = "granted/a.txt", .name = longname });
	expect_ret(&res, -ERANGE, 0);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_setxattr,
			    .path = "granted/a.txt",
			    .name = "user.k",
			    .args = { [4] = 8 } });
	expect_ret(&res, -EINVAL, 0);

	/* Outside the grant: by name, through "..", through symlinks. Nothing changes. */
	static const char *const out[] = { "secret/x.txt", "granted/../secret/x.txt",
					   "granted/up/secret/x.txt", "granted/xout",
					   "granted/xabs" };
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		xcall(part, &res,
		      &(struct xc){ .nr = SYS_getxattr,
				    .path = out[i],
				    .name = "user.k",
				    .args = { [3] = 64 } });
		expect_denied(&res, res.ret, EACCES, "secret/x.txt");
		assert_int_equal(res.outlen, 0);
		xcall(part, &res,
		      &(struct xc){ .nr = SYS_listxattr, .path = out[i], .args = { [2] = 64 } });
		expect_denied(&res, res.ret, EACCES, "secret/x.txt");
		xcall(part, &res,
		      &(struct xc){ .nr = SYS_setxattr,
				    .path = out[i],
				    .name = "user.k",
				    .data = "x",
				    .data_len = 1,
				    .args = { [3] = 1 } });
		expect_denied(&res, res.ret, EACCES, "secret/x.txt");
		xcall(part, &res,
		      &(struct xc){ .nr = SYS_removexattr, .path = out[i], .name = "user.k" });
		expect_denied(&res, res.ret, EACCES, "secret/x.txt");
	}
	assert_true(native_get("secret/x.txt", "user.k", buf, sizeof(buf)) < 0);
	/* The l* forms decide on the link itself, which is in the grant. */
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_lgetxattr,
			    .path = "granted/xout",
			    .name = "user.k",
			    .args = { [3] = 64 } });
	assert_int_equal(res.decision.verdict, SB_ALLOW);
	assert_string_equal(res.path + strlen(ptree), "/granted/xout");
	/* Read-only: no changes. Privileged namespaces: EPERM, the broker's own denial. */
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_setxattr,
			    .path = "granted/ro/b.txt",
			    .name = "user.k",
			    .data = "x",
			    .data_len = 1,
			    .args = { [3] = 1 } });
	expect_denied(&res, res.ret, EACCES, "granted/ro/b.txt");
	assert_int_equal(res.perm, SB_PERM_WRITE);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_setxattr,
			    .path = "granted/a.txt",
			    .name = "trusted.k",
			    .data = "x",
			    .data_len = 1,
			    .args = { [3] = 1 } });
	expect_denied(&res, res.ret, EPERM, "granted/a.txt");
	assert_true(res.decision.builtin);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_removexattr, .path = "granted/a.txt", .name = "user.k" });
	expect_ret(&res, 0, SB_PERM_WRITE);
	assert_true(native_get("granted/a.txt", "user.k", buf, sizeof(buf)) < 0);
}

static void test_policy_xattrat(void **state)
{
	static struct sb_result res;
	struct sb_xattr_args xa = { .size = 64 }, xset = { .size = 2 }, xbad = { .flags = 1 };
	uint8_t big[24] = { 0 };
	char buf[64];

	xcall(part, &res,
	      &(struct xc){ .nr = SYS_setxattrat,
			    .path = "granted/a.txt",
			    .name = "user.at",
			    .in = &xset,
			    .in_len = sizeof(xset),
			    .data = "at",
			    .data_len = 2 });
	expect_ret(&res, 0, SB_PERM_WRITE);
	assert_int_equal(native_get("granted/a.txt", "user.at", buf, sizeof(buf)), 2);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_getxattrat,
			    .path = "granted/a.txt",
			    .name = "user.at",
			    .in = &xa,
			    .in_len = sizeof(xa) });
	expect_ret(&res, 2, SB_PERM_STAT);
	assert_memory_equal(res.out, "at", 2);
	/* The struct as the kernel checks it: flags, trailing bytes, absent. */
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_getxattrat,
			    .path = "granted/a.txt",
			    .name = "user.at",
			    .in = &xbad,
			    .in_len = sizeof(xbad) });
	expect_ret(&res, -EINVAL, 0);
	big[20] = 1;
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_getxattrat,
			    .path = "granted/a.txt",
			    .name = "user.at",
			    .in = big,
			    .in_len = sizeof(big) });
	expect_ret(&res, -E2BIG, 0);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_getxattrat, .path = "granted/a.txt", .name = "user.at" });
	expect_ret(&res, -EFAULT, 0);
	xcall(part, &res,
	      &(struct xc){
		      .nr = SYS_listxattrat, .path = "granted/a.txt", .args = { [2] = 0x4 } });
	expect_ret(&res, -EINVAL, 0);
	/* Escapes, and the caller's own fd on the secret (AT_EMPTY_PATH, a NULL path). */
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_getxattrat,
			    .path = "granted/up/secret/x.txt",
			    .name = "user.at",
			    .in = &xa,
			    .in_len = sizeof(xa) });
	expect_denied(&res, res.ret, EACCES, "secret/x.txt");
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_listxattrat, .path = "granted/xout", .args = { [4] = 64 } });
	expect_denied(&res, res.ret, EACCES, "secret/x.txt");
	int sfd = openat(pfd, "secret/x.txt", O_RDONLY | O_CLOEXEC);
	assert_true(sfd >= 0);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_setxattrat,
			    .path = "",
			    .own = sfd,
			    .name = "user.at",
			    .in = &xset,
			    .in_len = sizeof(xset),
			    .data = "at",
			    .data_len = 2,
			    .args = { [2] = AT_EMPTY_PATH } });
	expect_denied(&res, res.ret, EACCES, "secret/x.txt");
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_removexattrat, .path = NULL, .own = sfd, .name = "user.at" });
	expect_denied(&res, res.ret, EACCES, "secret/x.txt");
	close(sfd);
	/* AT_SYMLINK_NOFOLLOW decides on the link. */
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_removexattrat,
			    .path = "granted/xout",
			    .name = "user.at",
			    .args = { [2] = AT_SYMLINK_NOFOLLOW } });
	assert_int_equal(res.decision.verdict, SB_ALLOW);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_removexattrat, .path = "granted/a.txt", .name = "user.at" });
	expect_ret(&res, 0, SB_PERM_WRITE);
}

static void test_policy_watches(void **state)
{
	static struct sb_result res;
	int ifd = inotify_init1(IN_CLOEXEC);
	int ffd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_REPORT_FID, O_RDONLY);

	assert_true(ifd >= 0);
	/* A directory needs list, a file read; the watch is on the object. */
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_inotify_add_watch,
			    .path = "granted/sub",
			    .nfd = ifd,
			    .args = { [2] = IN_CREATE } });
	assert_true(res.ret > 0);
	assert_int_equal(res.perm, SB_PERM_LIST);
	xwrite(ptree, "granted/sub/new", "", 0644);
	_Alignas(struct inotify_event) char evbuf[512];
	const struct inotify_event *ev = (const void *)evbuf;
	assert_true(read(ifd, evbuf, sizeof(evbuf)) > (ssize_t)sizeof(*ev));
	assert_int_equal(ev->wd, res.ret);
	assert_true(ev->mask & IN_CREATE);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_inotify_add_watch,
			    .path = "granted/a.txt",
			    .nfd = ifd,
			    .args = { [2] = IN_MODIFY } });
	assert_true(res.ret > 0);
	assert_int_equal(res.perm, SB_PERM_READ);
	/* Outside: by name, "..", symlinks; the link itself with IN_DONT_FOLLOW. */
	static const char *const out[] = { "secret/x.txt", "granted/../secret/x.txt",
					   "granted/xout", "granted/xabs" };
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		xcall(part, &res,
		      &(struct xc){ .nr = SYS_inotify_add_watch,
				    .path = out[i],
				    .nfd = ifd,
				    .args = { [2] = IN_MODIFY } });
		expect_denied(&res, res.ret, EACCES, "secret/x.txt");
		if (ffd < 0)
			continue;
		xcall(part, &res,
		      &(struct xc){ .nr = SYS_fanotify_mark,
				    .path = out[i],
				    .nfd = ffd,
				    .args = { [1] = FAN_MARK_ADD, [2] = FAN_MODIFY } });
		expect_denied(&res, res.ret, EACCES, "secret/x.txt");
	}
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_inotify_add_watch,
			    .path = "granted/up",
			    .nfd = ifd,
			    .args = { [2] = IN_CREATE } });
	expect_denied(&res, res.ret, EACCES, ptree);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_inotify_add_watch,
			    .path = "granted/xout",
			    .nfd = ifd,
			    .args = { [2] = IN_ATTRIB | IN_DONT_FOLLOW } });
	assert_true(res.ret > 0);
	/* Not an inotify fd: EINVAL, as the kernel. */
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_inotify_add_watch,
			    .path = "granted/a.txt",
			    .nfd = pfd,
			    .args = { [2] = IN_MODIFY } });
	expect_ret(&res, -EINVAL, 0);
	close(ifd);
	if (ffd < 0)
		return; /* the kernel lacks fanotify */
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_fanotify_mark,
			    .path = "granted/sub",
			    .nfd = ffd,
			    .args = { [1] = FAN_MARK_ADD, [2] = FAN_CREATE } });
	expect_ret(&res, 0, SB_PERM_LIST);
	/* Mount and file-system marks reach beyond any grant. */
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_fanotify_mark,
			    .path = "granted/sub",
			    .nfd = ffd,
			    .args = { [1] = FAN_MARK_ADD | FAN_MARK_MOUNT, [2] = FAN_OPEN } });
	expect_denied(&res, res.ret, EPERM, "granted/sub");
	assert_true(res.decision.builtin);
	xcall(part, &res,
	      &(struct xc){ .nr = SYS_fanotify_mark,
			    .path = "granted/a.txt",
			    .nfd = ifd,
			    .args = { [1] = FAN_MARK_ADD, [2] = FAN_MODIFY } });
	expect_ret(&res, -EINVAL, 0);
	close(ffd);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own */
}

static void test_no_fd_leak(void **state)
{
	static struct sb_result res;
	int before = count_fds();

	struct sb_call how_call = {
		.nr = SYS_openat2,
		.args = { AT_FDCWD, 0, 1, sizeof(struct open_how) },
		.pid = getpid(),
		.shape = sb_shape_lookup(SYS_openat2),
		.dirfd = { pfd, -1 },
		.in = &how_beneath,
		.in_len = sizeof(struct open_how),
	};

	for (int i = 0; i < 2000; i++) {
		int64_t r;
		how_call.path[0] = "granted/a.txt";
		assert_int_equal(sb_execute(part, NULL, &how_call, &res), 0);
		assert_int_equal(res.ret, 0);
		close(res.fd);
		how_call.path[0] = "granted/up/../secret/s.txt";
		assert_int_equal(sb_execute(part, NULL, &how_call, &res), 0);
		assert_int_equal(res.ret, -EACCES);
		how_call.path[0] = "../x";
		assert_int_equal(sb_execute(part, NULL, &how_call, &res), 0);
		assert_int_equal(res.ret, -EACCES); /* the default decides what is above the tree */
		r = pcall(part, &res, SYS_openat, "granted", NULL, O_TMPFILE | O_RDWR, 0600, 0, 0,
			  -1);
		assert_int_equal(r, 0);
		close(res.fd);
		r = pcall(part, &res, SYS_openat, "granted/dangle/x", NULL, O_RDONLY, 0, 0, 0, -1);
		assert_int_equal(r, -EACCES);
		r = pcall(part, &res, SYS_openat, "granted/a.txt", NULL, O_RDONLY, 0, 0, 0, -1);
		assert_int_equal(r, 0);
		close(res.fd);
		pcall(part, &res, SYS_openat, "secret/s.txt", NULL, O_RDONLY, 0, 0, 0, -1);
		pcall(part, &res, SYS_openat, "secret/nodir/x", NULL, O_RDONLY, 0, 0, 0, -1);
		pcall(part, &res, SYS_openat, "granted/up/secret/s.txt", NULL, O_RDWR, 0, 0, 0, -1);
		pcall(part, &res, SYS_openat, "/proc/self/root/x", NULL, O_RDONLY, 0, 0, 0, -1);
		r = pcall(part, &res, SYS_openat, "granted/tmp", NULL, O_CREAT | O_RDWR, 0600, 0, 0,
			  -1);
		assert_int_equal(r, 0);
		close(res.fd);
		r = pcall(part, &res, SYS_openat, "granted/dangle", NULL, O_CREAT | O_RDWR, 0600, 0,
			  0, -1);
		assert_int_equal(r, -EACCES);
		r = pcall(part, &res, SYS_linkat, "granted/tmp", "granted/tmp2", 0, 0, 0, 0, -1);
		assert_int_equal(r, 0);
		r = pcall(part, &res, SYS_renameat2, "granted/tmp2", "granted/tmp3", 0, 0, 0, 0,
			  -1);
		assert_int_equal(r, 0);
		pcall(part, &res, SYS_linkat, "secret/s.txt", "granted/h", 0, 0, 0, 0, -1);
		pcall(part, &res, SYS_newfstatat, "granted/a.txt", NULL, 0, 0, 0, 0, -1);
		pcall(part, &res, SYS_statx, "granted/sub", NULL, 0, STATX_BASIC_STATS, 0, 0, -1);
		pcall(part, &res, SYS_readlinkat, "granted/abs", NULL, 0, 100, 0, 0, -1);
		pcall(part, &res, SYS_faccessat2, "granted/a.txt", NULL, R_OK, 0, 0, 0, -1);
		pcall(part, &res, SYS_mkdirat, "granted/dd", NULL, 0700, 0, 0, 0, -1);
		pcall(part, &res, SYS_unlinkat, "granted/dd", NULL, AT_REMOVEDIR, 0, 0, 0, -1);
		pcall(part, &res, SYS_symlinkat, "granted/sl", "x", 0, 0, 0, 0, -1);
		pcall(part, &res, SYS_unlinkat, "granted/sl", NULL, 0, 0, 0, 0, -1);
		pcall(part, &res, SYS_fchmodat, "granted/tmp", NULL, 0600, 0, 0, 0, -1);
		pcall(part, &res, SYS_truncate, "granted/tmp", NULL, 0, 0, 0, 0, -1);
		pcall(part, &res, SYS_utimensat, "granted/tmp", NULL, 0, 0, 0, 0, -1);
		pcall(part, &res, SYS_fchownat, "granted/tmp", NULL, 0, 0, 0, 0, -1);
		pcall(part, &res, SYS_fchownat, "granted/abs", NULL, 0, 0, 0, 0, -1);
		pcall(part, &res, SYS_fchmodat2, "granted/abs", NULL, 0600, AT_SYMLINK_NOFOLLOW, 0,
		      0, -1);
		pcall(part, &res, SYS_statfs, "granted/tmp", NULL, 0, 0, 0, 0, -1);
		pcall(part, &res, SYS_mknodat, "granted/tmpfifo", NULL, S_IFIFO, 0, 0, 0, -1);
		pcall(part, &res, SYS_unlinkat, "granted/tmpfifo", NULL, 0, 0, 0, 0, -1);
		own_fd_call(part, &res, SYS_fchmodat, pgranted, 0755, 0);
		r = pcall(part, &res, SYS_execveat, "granted/tool.sh", NULL, 0, 0, 0, 0, -1);
		assert_int_equal(r, 0);
		close(res.fd);
		pcall(part, &res, SYS_execveat, "secret/tool.sh", NULL, 0, 0, 0, 0, -1);
		r = pcall(part, &res, SYS_unlinkat, "granted/tmp", NULL, 0, 0, 0, 0, -1);
		assert_int_equal(r, 0);
		r = pcall(part, &res, SYS_unlinkat, "granted/tmp3", NULL, 0, 0, 0, 0, -1);
		assert_int_equal(r, 0);
	}
	assert_int_equal(count_fds(), before);
	close(pfd);
	close(pgranted);
	sb_policy_free(part);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_mutating),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_broker_specific),
		cmocka_unit_test(test_policy_paths),
		cmocka_unit_test(test_policy_existence),
		cmocka_unit_test(test_policy_changes),
		cmocka_unit_test(test_policy_hardlinks),
		cmocka_unit_test(test_policy_proc),
		cmocka_unit_test(test_policy_other_caller),
		cmocka_unit_test(test_policy_broker_tid),
		cmocka_unit_test(test_policy_xattr),
		cmocka_unit_test(test_policy_xattrat),
		cmocka_unit_test(test_policy_watches),
		cmocka_unit_test(test_policy_new_calls),
		cmocka_unit_test(test_policy_own_fd),
		cmocka_unit_test(test_chown_identity),
		cmocka_unit_test(test_no_fd_leak),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
