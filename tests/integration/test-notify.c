/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The notify transport end to end under the real kernel: a forked child loads a
 * SECCOMP_RET_USER_NOTIF filter built from a real policy and makes real file syscalls; this
 * process fetches the filter's listener with pidfd_getfd, the way `sysbroker run` does, and
 * serves it with sb_notify_serve. Allowed calls must behave like native ones, denied calls must
 * return the policy's errno and leave a log record, memory the child points at must be copied
 * like the kernel copies it (EFAULT, ENAMETOOLONG), and an allowed exec must run the program.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <limits.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit.h"
#include "compile.h"
#include "dispatch.h"
#include "notify.h"
#include "policy.h"

static char root[PATH_MAX];
static const char *exit42;    /* a static test program, granted exec */
static struct stat st_native; /* granted/a.txt as this process sees it, before the fork */
static pid_t parent_pid;

/* What the child found, one slot per group of checks, in memory shared with the parent. */
enum {
	G_OPEN,
	G_DENY,
	G_STAT,
	G_READLINK,
	G_WRITE,
	G_CLOEXEC,
	G_CHDIR,
	G_DIRFD,
	G_INPUT,
	G_FAULT,
	G_RULES,
	G_ENOSYS,
	G_THREADS,
	G_EXEC_DENIED,
	NGROUPS,
};
static const char *const group_names[NGROUPS] = {
	[G_OPEN] = "open of a granted file returns a working fd with the right content",
	[G_DENY] = "denied paths give the policy's errno, escapes included",
	[G_STAT] = "newfstatat and statx output match the file's real stat",
	[G_READLINK] = "readlinkat output is right and never goes past the caller's buffer",
	[G_WRITE] = "mkdir, create, unlink and rmdir under a write-granted directory",
	[G_CLOEXEC] = "O_CLOEXEC is honoured on returned fds, and only where asked for",
	[G_CHDIR] = "chdir is checked, and relative paths follow it",
	[G_DIRFD] = "openat and newfstatat relative to a dirfd the program holds",
	[G_INPUT] = "input structs: openat2's open_how and utimensat's times",
	[G_FAULT] = "bad pointers and overlong paths: EFAULT and ENAMETOOLONG like the kernel",
	[G_RULES] = "kernel rules: logged allow runs, conditional deny and kill are applied",
	[G_ENOSYS] = "a number the table does not know answers ENOSYS; net calls are served",
	[G_THREADS] = "calls from several threads are each answered for their own thread",
	[G_EXEC_DENIED] = "exec of a path without the exec permission gives the errno",
};
static struct result {
	int ran;
	int failed_line; /* first failing check, 0 if none */
} * results;
static int cur;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond) && !results[cur].failed_line) {                                        \
			results[cur].failed_line = __LINE__;                                       \
			dprintf(2, "child check failed at line %d: %s\n", __LINE__, #cond);        \
		}                                                                                  \
	} while (0)

/* A raw syscall so that the test sees exactly what the kernel (or the broker) answered. */
static long sc(long nr, long a, long b, long c, long d)
{
	long r = syscall(nr, a, b, c, d, 0, 0);
	return r < 0 ? -errno : r;
}

static void writefile(const char *rel, const char *content)
{
	char p[2 * PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	if (!f || fputs(content, f) < 0 || fclose(f) != 0) {
		perror(p);
		exit(1);
	}
}

static bool read_is(long fd, const char *want)
{
	char buf[256];
	if (fd < 0)
		return false;
	ssize_t n = read((int)fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return false;
	buf[n] = 0;
	return strcmp(buf, want) == 0;
}

static bool open_reads(long dirfd, const char *path, int flags, const char *want)
{
	long fd = sc(SYS_openat, dirfd, (long)path, flags, 0);
	bool ok = read_is(fd, want);
	if (fd >= 0)
		close((int)fd);
	return ok;
}

static void check_open(void)
{
	char abs[PATH_MAX + 32];
	snprintf(abs, sizeof(abs), "%s/granted/a.txt", root);
	CHECK(open_reads(AT_FDCWD, "granted/a.txt", O_RDONLY, "hello\n"));
	CHECK(open_reads(AT_FDCWD, abs, O_RDONLY, "hello\n"));
	long fd = sc(SYS_openat, AT_FDCWD, (long)"granted/t7.txt", O_RDWR | O_APPEND, 0);
	CHECK(fd >= 0 && write((int)fd, " more", 5) == 5);
	CHECK(fd >= 0 && lseek((int)fd, 0, SEEK_SET) == 0 && read_is(fd, "thread 7 more"));
	if (fd >= 0)
		close((int)fd);
}

static void check_deny(void)
{
	char abs[PATH_MAX + 32];
	snprintf(abs, sizeof(abs), "%s/secret.txt", root);
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"secret.txt", O_RDONLY, 0) == -EPERM);
	CHECK(sc(SYS_openat, AT_FDCWD, (long)abs, O_RDONLY, 0) == -EPERM);
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"/etc/passwd", O_RDONLY, 0) == -EACCES);
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"ro/r.txt", O_WRONLY, 0) == -EACCES);
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"ro/new", O_WRONLY | O_CREAT, 0600) == -EACCES);
	CHECK(open_reads(AT_FDCWD, "ro/r.txt", O_RDONLY, "read only\n"));
	/* "..", a symlink: decided on where they really lead. */
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"granted/../secret.txt", O_RDONLY, 0) == -EPERM);
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"granted/up/outside.txt", O_RDONLY, 0) == -EACCES);
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"/proc/self/root/etc/passwd", O_RDONLY, 0) < 0);
}

static void check_stat(void)
{
	struct stat st;
	struct statx stx;
	memset(&st, 0xa5, sizeof(st));
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"granted/a.txt", (long)&st, 0) == 0);
	CHECK(st.st_ino == st_native.st_ino && st.st_dev == st_native.st_dev &&
	      st.st_mode == st_native.st_mode && st.st_nlink == st_native.st_nlink &&
	      st.st_uid == st_native.st_uid && st.st_mtim.tv_sec == st_native.st_mtim.tv_sec &&
	      st.st_mtim.tv_nsec == st_native.st_mtim.tv_nsec);
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"granted/link", (long)&st, AT_SYMLINK_NOFOLLOW) ==
		      0 &&
	      S_ISLNK(st.st_mode));
	memset(&stx, 0, sizeof(stx));
	CHECK(syscall(SYS_statx, AT_FDCWD, "granted/a.txt", 0, STATX_BASIC_STATS, &stx) == 0 &&
	      stx.stx_ino == st_native.st_ino && stx.stx_mode == st_native.st_mode);
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"granted/nope", (long)&st, 0) == -ENOENT);
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"secret.txt", (long)&st, 0) == -EPERM);
	CHECK(sc(SYS_faccessat, AT_FDCWD, (long)"granted/a.txt", R_OK, 0) == 0);
}

static void check_readlink(void)
{
	char buf[PATH_MAX];
	memset(buf, 'Z', sizeof(buf));
	CHECK(sc(SYS_readlinkat, AT_FDCWD, (long)"granted/link", (long)buf, sizeof(buf)) == 5 &&
	      memcmp(buf, "a.txt", 5) == 0 && buf[5] == 'Z');
	memset(buf, 'Z', sizeof(buf));
	CHECK(sc(SYS_readlinkat, AT_FDCWD, (long)"granted/link", (long)buf, 3) == 3 &&
	      memcmp(buf, "a.tZ", 4) == 0);
	CHECK(sc(SYS_readlinkat, AT_FDCWD, (long)"granted/a.txt", (long)buf, sizeof(buf)) ==
	      -EINVAL);
}

static void check_write(void)
{
	struct stat st;
	CHECK(sc(SYS_mkdirat, AT_FDCWD, (long)"granted/dir", 0750, 0) == 0);
	CHECK(sc(SYS_mkdirat, AT_FDCWD, (long)"granted/dir", 0750, 0) == -EEXIST);
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"granted/dir", (long)&st, 0) == 0 &&
	      S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0750);
	long fd = sc(SYS_openat, AT_FDCWD, (long)"granted/dir/new.txt", O_WRONLY | O_CREAT | O_EXCL,
		     0640);
	CHECK(fd >= 0 && write((int)fd, "created\n", 8) == 8);
	if (fd >= 0)
		close((int)fd);
	CHECK(open_reads(AT_FDCWD, "granted/dir/new.txt", O_RDONLY, "created\n"));
	CHECK(sc(SYS_unlinkat, AT_FDCWD, (long)"granted/dir", AT_REMOVEDIR, 0) == -ENOTEMPTY);
	CHECK(sc(SYS_unlinkat, AT_FDCWD, (long)"granted/dir/new.txt", 0, 0) == 0);
	CHECK(sc(SYS_unlinkat, AT_FDCWD, (long)"granted/dir", AT_REMOVEDIR, 0) == 0);
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"granted/dir", (long)&st, 0) == -ENOENT);
	CHECK(sc(SYS_mkdirat, AT_FDCWD, (long)"ro/dir", 0700, 0) == -EACCES);
	CHECK(sc(SYS_unlinkat, AT_FDCWD, (long)"ro/r.txt", 0, 0) == -EACCES);
	CHECK(sc(SYS_symlinkat, (long)"a.txt", AT_FDCWD, (long)"granted/s2", 0) == 0);
	CHECK(sc(SYS_unlinkat, AT_FDCWD, (long)"granted/s2", 0, 0) == 0);
}

static void check_cloexec(void)
{
	long fd = sc(SYS_openat, AT_FDCWD, (long)"granted/a.txt", O_RDONLY, 0);
	CHECK(fd >= 0 && (fcntl((int)fd, F_GETFD) & FD_CLOEXEC) == 0);
	if (fd >= 0)
		close((int)fd);
	fd = sc(SYS_openat, AT_FDCWD, (long)"granted/a.txt", O_RDONLY | O_CLOEXEC, 0);
	CHECK(fd >= 0 && (fcntl((int)fd, F_GETFD) & FD_CLOEXEC));
	if (fd >= 0)
		close((int)fd);
	fd = sc(SYS_openat, AT_FDCWD, (long)"granted", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	CHECK(fd >= 0 && (fcntl((int)fd, F_GETFD) & FD_CLOEXEC));
	if (fd >= 0)
		close((int)fd);
	/* The kernel cannot install an O_PATH fd for the broker (ADDFD refuses them). */
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"granted", O_PATH | O_CLOEXEC, 0) == -EOPNOTSUPP);
}

static void check_chdir(void)
{
	char cwd[PATH_MAX], want[PATH_MAX + 16];
	CHECK(sc(SYS_chdir, (long)"granted", 0, 0, 0) == 0);
	snprintf(want, sizeof(want), "%s/granted", root);
	CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, want) == 0);
	CHECK(open_reads(AT_FDCWD, "a.txt", O_RDONLY, "hello\n"));
	CHECK(sc(SYS_openat, AT_FDCWD, (long)"../secret.txt", O_RDONLY, 0) == -EPERM);
	CHECK(sc(SYS_chdir, (long)"/etc", 0, 0, 0) == -EACCES);
	CHECK(sc(SYS_chdir, (long)"a.txt", 0, 0, 0) == -ENOTDIR);
	CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, want) == 0);
	CHECK(sc(SYS_chdir, (long)root, 0, 0, 0) == 0);
	CHECK(open_reads(AT_FDCWD, "granted/a.txt", O_RDONLY, "hello\n"));
}

static void check_dirfd(void)
{
	struct stat st;
	long dfd = sc(SYS_openat, AT_FDCWD, (long)"granted", O_RDONLY | O_DIRECTORY, 0);
	CHECK(dfd >= 0);
	CHECK(open_reads(dfd, "a.txt", O_RDONLY, "hello\n"));
	CHECK(sc(SYS_newfstatat, dfd, (long)"a.txt", (long)&st, 0) == 0 &&
	      st.st_ino == st_native.st_ino);
	CHECK(sc(SYS_openat, dfd, (long)"../secret.txt", O_RDONLY, 0) == -EPERM);
	CHECK(sc(SYS_openat, dfd, (long)"../outside.txt", O_RDONLY, 0) == -EACCES);
	if (dfd >= 0)
		close((int)dfd);
	CHECK(sc(SYS_openat, -5, (long)"a.txt", O_RDONLY, 0) == -EBADF);
	CHECK(sc(SYS_openat, 900, (long)"a.txt", O_RDONLY, 0) == -EBADF);
	/* An absolute path ignores the dirfd, even a bad one. */
	char abs[PATH_MAX + 32];
	snprintf(abs, sizeof(abs), "%s/granted/a.txt", root);
	CHECK(open_reads(900, abs, O_RDONLY, "hello\n"));
}

static void check_input(void)
{
	struct stat st;
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
	long fd = sc(SYS_openat2, AT_FDCWD, (long)"granted/a.txt", (long)&how, sizeof(how));
	CHECK(read_is(fd, "hello\n") && (fcntl((int)fd, F_GETFD) & FD_CLOEXEC));
	if (fd >= 0)
		close((int)fd);
	long r = sc(SYS_openat2, AT_FDCWD, (long)"granted/up/outside.txt", (long)&how, sizeof(how));
	CHECK(r == -EXDEV || r == -EACCES);
	CHECK(sc(SYS_openat2, AT_FDCWD, (long)"granted/a.txt", (long)&how, 8) == -EINVAL);
	CHECK(sc(SYS_openat2, AT_FDCWD, (long)"granted/a.txt", 0, sizeof(how)) == -EFAULT);

	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 5 } };
	CHECK(sc(SYS_utimensat, AT_FDCWD, (long)"granted/t0.txt", (long)ts, 0) == 0);
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"granted/t0.txt", (long)&st, 0) == 0 &&
	      st.st_mtim.tv_sec == 1000000000 && st.st_mtim.tv_nsec == 5);
	fd = sc(SYS_openat, AT_FDCWD, (long)"granted/t0.txt", O_WRONLY, 0);
	CHECK(fd >= 0 && sc(SYS_utimensat, fd, 0, 0, 0) == 0); /* NULL path: the fd itself */
	if (fd >= 0)
		close((int)fd);
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"granted/t0.txt", (long)&st, 0) == 0 &&
	      st.st_mtim.tv_sec != 1000000000);
	CHECK(sc(SYS_utimensat, AT_FDCWD, (long)"ro/r.txt", (long)ts, 0) == -EACCES);
}

static void check_fault(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct stat st;
	char *m = mmap(NULL, (size_t)(2 * pg), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	CHECK(m != MAP_FAILED);
	if (m == MAP_FAILED)
		return;
	/* Every byte mapped, no NUL in PATH_MAX bytes. */
	memset(m, 'a', (size_t)(2 * pg));
	CHECK(sc(SYS_openat, AT_FDCWD, (long)m, O_RDONLY, 0) == -ENAMETOOLONG);
	CHECK(munmap(m + pg, (size_t)pg) == 0);
	/* A path whose NUL is the last byte before an unmapped page: the short read is enough. */
	static const char rel[] = "granted/a.txt";
	char *s = m + pg - sizeof(rel);
	memcpy(s, rel, sizeof(rel));
	CHECK(open_reads(AT_FDCWD, s, O_RDONLY, "hello\n"));
	/* One byte short of its NUL: it runs into the unmapped page. */
	m[pg - 1] = 'x';
	CHECK(sc(SYS_openat, AT_FDCWD, (long)s, O_RDONLY, 0) == -EFAULT);
	CHECK(sc(SYS_openat, AT_FDCWD, 0, O_RDONLY, 0) == -EFAULT);
	CHECK(sc(SYS_openat, AT_FDCWD, (long)(m + pg), O_RDONLY, 0) == -EFAULT);
	CHECK(sc(SYS_openat, AT_FDCWD, -4096L, O_RDONLY, 0) == -EFAULT);
	/* Outputs: NULL, or an unmapped buffer. */
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"granted/a.txt", 0, 0) == -EFAULT);
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"granted/a.txt", (long)(m + pg), 0) == -EFAULT);
	CHECK(sc(SYS_readlinkat, AT_FDCWD, (long)"granted/link", (long)(m + pg), 16) == -EFAULT);
	/* A struct that straddles the end of the mapping. */
	struct open_how how = { .flags = O_RDONLY };
	memcpy(m + pg - 8, &how, 8);
	CHECK(sc(SYS_openat2, AT_FDCWD, (long)"granted/a.txt", (long)(m + pg - 8), sizeof(how)) ==
	      -EFAULT);
	CHECK(sc(SYS_openat2, AT_FDCWD, (long)"granted/a.txt", (long)m, 65) == -E2BIG);
	/* The symlink target is a string like a path. */
	CHECK(sc(SYS_symlinkat, (long)(m + pg), AT_FDCWD, (long)"granted/s3", 0) == -EFAULT);
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)"granted/s3", (long)&st, AT_SYMLINK_NOFOLLOW) ==
	      -ENOENT);
	/*
	 * A path in memory the caller cannot read is EFAULT, as natively, whether or not the call
	 * writes a result back: the broker reads with the caller's page protections.
	 */
	memcpy(m, rel, sizeof(rel));
	CHECK(mprotect(m, (size_t)pg, PROT_NONE) == 0);
	CHECK(sc(SYS_openat, AT_FDCWD, (long)m, O_RDONLY, 0) == -EFAULT);
	CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)m, (long)&st, 0) == -EFAULT);
	munmap(m, (size_t)pg);
}

static void check_rules(void)
{
	int status;
	/* A logged allow of a call that is not a path call: the kernel runs it. */
	CHECK(sc(SYS_getppid, 0, 0, 0, 0) == parent_pid);
	/* Conditions only the broker evaluates: allow, deny with errno, kill. */
	long prio = sc(SYS_getpriority, PRIO_PROCESS, 0, 0, 0);
	CHECK(prio >= 1 && prio <= 40);
	CHECK(sc(SYS_getpriority, 8, 0, 0, 0) == -EPERM);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		sc(SYS_getpriority, 7, 0, 0, 0);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	      WTERMSIG(status) == SIGKILL);
	/* A conditional, logged kernel deny of a path call. */
	CHECK(sc(SYS_truncate, (long)"granted/t1.txt", 7, 0, 0) == -EROFS);
	CHECK(sc(SYS_truncate, (long)"granted/t1.txt", 3, 0, 0) == 0);
}

static void check_enosys(void)
{
	/* Past every syscall this kernel has: refused by the broker, whatever the default. */
	CHECK(sc(600, AT_FDCWD, (long)"granted/a.txt", 0, 0) == -ENOSYS);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/nonexistent" };
	/* A network call is served (broker/net.c): no net rule names this path. */
	CHECK(sc(SYS_connect, s, (long)&sa, sizeof(sa), 0) == -EACCES);
	if (s >= 0)
		close(s);
}

static void *thread_main(void *arg)
{
	long id = (long)arg;
	char path[64], want[64];
	struct stat st;
	snprintf(path, sizeof(path), "granted/t%ld.txt", id);
	snprintf(want, sizeof(want), "thread %ld", id);
	for (int i = 0; i < 300; i++) {
		long fd = sc(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
		CHECK(read_is(fd, want));
		if (fd >= 0)
			close((int)fd);
		CHECK(sc(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st, 0) == 0 &&
		      st.st_size == (off_t)strlen(want));
	}
	return NULL;
}

static void check_threads(void)
{
	pthread_t th[4];
	for (long i = 0; i < 4; i++)
		CHECK(pthread_create(&th[i], NULL, thread_main, (void *)(i + 2)) == 0);
	for (int i = 0; i < 4; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
}

static void check_exec_denied(void)
{
	char *argv_true[] = { "true", NULL };
	CHECK(sc(SYS_execve, (long)"/bin/true", (long)argv_true, (long)environ, 0) == -EACCES);
	CHECK(sc(SYS_execve, (long)"granted/a.txt", (long)argv_true, (long)environ, 0) == -EACCES);
	CHECK(sc(SYS_execve, (long)"secret.txt", (long)argv_true, (long)environ, 0) == -EPERM);
	CHECK(sc(SYS_execveat, AT_FDCWD, (long)"granted/a.txt", (long)argv_true, (long)environ) ==
	      -EACCES);
}

static void (*const groups[NGROUPS])(void) = {
	[G_OPEN] = check_open,       [G_DENY] = check_deny,
	[G_STAT] = check_stat,       [G_READLINK] = check_readlink,
	[G_WRITE] = check_write,     [G_CLOEXEC] = check_cloexec,
	[G_CHDIR] = check_chdir,     [G_DIRFD] = check_dirfd,
	[G_INPUT] = check_input,     [G_FAULT] = check_fault,
	[G_RULES] = check_rules,     [G_ENOSYS] = check_enosys,
	[G_THREADS] = check_threads, [G_EXEC_DENIED] = check_exec_denied,
};

/*
 * Load the notify filter the way the launcher does: the listener lands on the lowest free fd, so
 * write that number to the pipe before loading, and close the pipe after (close(2) is one of
 * the runtime's own kernel rules). Sending the listener itself would take a syscall the filter
 * may send to a broker that does not have the listener yet.
 */
static void enter(const struct sb_policy *policy, int pipe_w)
{
	struct sb_policy copy;
	struct sb_sysrule *rules = NULL;
	struct sb_plan *plan = NULL;
	scmp_filter_ctx main_ctx = NULL, guard = NULL;

	if (sb_policy_with_runtime(policy, false, &copy, &rules) < 0 ||
	    sb_plan_build_for(&copy, false, &plan) < 0 ||
	    sb_plan_filter(plan, true, SCMP_ACT_NOTIFY, &guard) < 0 ||
	    sb_plan_filter(plan, false, SCMP_ACT_NOTIFY, &main_ctx) < 0) {
		dprintf(2, "cannot build the filters\n");
		_exit(97);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(97);
	int probe = fcntl(pipe_w, F_DUPFD_CLOEXEC, 0);
	if (probe < 0)
		_exit(97);
	close(probe);
	if (write(pipe_w, &probe, sizeof(probe)) != sizeof(probe))
		_exit(97);
	int r = guard ? seccomp_load(guard) : 0;
	if (r == 0)
		r = seccomp_load(main_ctx);
	if (r < 0 || seccomp_notify_fd(main_ctx) != probe) {
		dprintf(2, "seccomp_load: %d, listener %d, expected %d\n", r,
			seccomp_notify_fd(main_ctx), probe);
		_exit(98);
	}
	close(pipe_w);
}

static void child(const struct sb_policy *policy, int pipe_w)
{
	if (chdir(root) < 0)
		_exit(96);
	enter(policy, pipe_w);
	for (cur = 0; cur < NGROUPS; cur++) {
		groups[cur]();
		results[cur].ran = 1;
	}
	/* Last: an allowed exec runs the program (the kernel does it, the broker said yes). */
	char *argv42[] = { "exit42", "42", NULL };
	long e = sc(SYS_execve, (long)exit42, (long)argv42, (long)environ, 0);
	dprintf(2, "exec of %s failed: %ld\n", exit42, e);
	_exit(1);
}

static int count_lines(const char *path, const char *n1, const char *n2, const char *n3)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	int n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, n1) && (!n2 || strstr(line, n2)) && (!n3 || strstr(line, n3)))
			n++;
	fclose(f);
	return n;
}

static int tap_n, failures;

static void tap(bool ok, const char *what)
{
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++tap_n, what);
	failures += !ok;
}

/* Fetch the child's listener once it has loaded the filter (the pipe closes). */
static int fetch_listener(int pidfd, int pipe_r)
{
	int num = -1, extra;
	if (read(pipe_r, &num, sizeof(num)) != sizeof(num))
		return -1;
	if (read(pipe_r, &extra, sizeof(extra)) != 0) /* EOF: loaded */
		return -1;
	int fd = (int)syscall(SYS_pidfd_getfd, pidfd, num, 0);
	if (fd < 0)
		return -1;
	/* It must be a seccomp listener, not whatever the child had at that number. */
	char p[64], link[64] = { 0 };
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	if (readlink(p, link, sizeof(link) - 1) < 0 ||
	    strcmp(link, "anon_inode:seccomp notify") != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The parent's side of a child that loads a filter and reports on pp (enter()): the write end
 * closed, a pidfd on the child in *pidfd (-1 if there is none), and its listener, or -1.
 */
static int child_listener(pid_t pid, int pp[2], int *pidfd)
{
	close(pp[1]);
	*pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	int listener = *pidfd >= 0 ? fetch_listener(*pidfd, pp[0]) : -1;
	close(pp[0]);
	return listener;
}

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/*
 * The caller check (dispatch.h: caller_ok) looks at the caller by its pid, and a refusal is
 * recorded (caller_refused). A caller that dies during the check may have left its pid to another
 * process: its refusal must not be recorded against that pid. The child asks twice; the check
 * refuses both, and kills it during the second, waiting until it is gone.
 */
static int check_pidfd = -1, check_calls, check_refused;

static bool refuse_caller(void *data, pid_t pid)
{
	(void)data;
	(void)pid;
	if (++check_calls == 2) {
		siginfo_t si;
		syscall(SYS_pidfd_send_signal, check_pidfd, SIGKILL, NULL, 0);
		/* A zombie: its call has left the kernel's pending notifications. */
		waitid(P_PIDFD, (id_t)check_pidfd, &si, WEXITED | WNOWAIT);
	}
	return false;
}

static void count_refused(void *data, pid_t pid)
{
	(void)data;
	(void)pid;
	check_refused++;
}

static void caller_check_child(const struct sb_policy *policy, int pipe_w, int out_w)
{
	char abs[PATH_MAX + 32];

	if (chdir(root) < 0)
		_exit(96);
	snprintf(abs, sizeof(abs), "%s/granted/a.txt", root);
	enter(policy, pipe_w);
	long r = sc(SYS_openat, AT_FDCWD, (long)abs, O_RDONLY, 0);
	if (write(out_w, &r, sizeof(r)) != sizeof(r))
		_exit(95);
	sc(SYS_openat, AT_FDCWD, (long)abs, O_RDONLY, 0);
	_exit(0);
}

/* Serve a child's calls with a caller check that refuses every caller. */
static void check_caller_refusals(const struct sb_policy *policy)
{
	int pp[2], out[2];
	long first = 0;
	bool ok = pipe2(pp, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0;
	pid_t pid = ok ? fork() : -1;

	if (pid == 0) {
		close(pp[0]);
		close(out[0]);
		caller_check_child(policy, pp[1], out[1]);
	}
	close(out[1]);
	int listener = child_listener(pid, pp, &check_pidfd);
	struct sb_dispatch *disp = NULL;
	if (listener >= 0 && sb_dispatch_new(NULL, &disp) == 0) {
		disp->caller_ok = refuse_caller;
		disp->caller_refused = count_refused;
		for (;;) {
			struct pollfd pfd[2] = { { .fd = listener, .events = POLLIN },
						 { .fd = check_pidfd, .events = POLLIN } };
			int k = poll(pfd, 2, 60000);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			if (pfd[0].revents & POLLIN) {
				int r = sb_notify_serve(disp, policy, listener);
				if (r < 0 && r != -EAGAIN && r != -EINTR)
					break;
				continue;
			}
			if (pfd[1].revents & POLLIN || pfd[0].revents & (POLLHUP | POLLERR))
				break;
		}
		sb_dispatch_free(disp);
	}
	if (read(out[0], &first, sizeof(first)) != sizeof(first))
		first = 0;
	close(out[0]);
	if (check_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, check_pidfd, SIGKILL, NULL, 0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (listener >= 0)
		close(listener);
	if (check_pidfd >= 0)
		close(check_pidfd);
	if (first != -EPERM || check_calls != 2 || check_refused != 1)
		printf("# first answer %ld, %d checks, %d refusals recorded\n", first, check_calls,
		       check_refused);
	tap(first == -EPERM && check_calls == 2 && check_refused == 1,
	    "a caller refused by the caller check gets EPERM, on the record only if still waiting");
}

/*
 * The broker's syscall(2) calls go through this one, which counts the pidfd_getfd calls while
 * getfd_count is on: a file taken from a process is an action on that process. It passes on six
 * arguments whatever the caller gave, as the C library's own syscall() does: the ones not given
 * are read past the caller's (so not under AddressSanitizer, which would call that an underflow).
 */
static long (*real_syscall)(long, ...);
static volatile int getfd_count = -1;

__attribute__((no_sanitize("address"))) long syscall(long nr, ...)
{
	va_list ap;
	long a[6];
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_pidfd_getfd && getfd_count >= 0)
		getfd_count++;
	return real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/*
 * A caller killed after RECV whose pid another process takes at once (clone3 with set_tid
 * stands in for a pid that came round): its call, relative to a dirfd, is read and fetched by
 * pid. The other process holds the same fd number; the broker must not take it (pidfd_getfd)
 * before it has checked that the notification still waits.
 */
#define REUSE_FD 40
static pid_t reuse_victim, reuse_impostor;
static int reuse_pidfd = -1;
static const char *reuse_why;

static bool replace_caller(void *data, pid_t pid)
{
	int ready[2];
	char c;
	(void)data;
	if (pid != reuse_victim || reuse_impostor || pipe2(ready, O_CLOEXEC) < 0)
		return true;
	syscall(SYS_pidfd_send_signal, reuse_pidfd, SIGKILL, NULL, 0);
	waitpid(pid, NULL, 0);
	pid_t tid = pid;
	struct clone_args ca = { .exit_signal = SIGCHLD,
				 .set_tid = (uint64_t)(uintptr_t)&tid,
				 .set_tid_size = 1 };
	long r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r == 0) {
		/* Never outlive the test, whose end (even an abort) must end the run's output. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
			_exit(1);
		/* The same memory as the caller (both are this process's forks), another fd. */
		int fd = open(root, O_RDONLY | O_DIRECTORY);
		if (fd < 0 || dup2(fd, REUSE_FD) < 0 || write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	if (r < 0) {
		reuse_why = "clone3 with set_tid (needs CAP_SYS_ADMIN, Linux 5.5)";
	} else {
		reuse_impostor = (pid_t)r;
		if (read(ready[0], &c, 1) != 1)
			reuse_why = "the impostor did not start";
	}
	close(ready[0]);
	return true;
}

static void check_reused_pid(const struct sb_policy *policy)
{
	int pp[2];
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s/granted", root);
	if (pipe2(pp, O_CLOEXEC) < 0)
		return;
	reuse_victim = fork();
	if (reuse_victim == 0) {
		close(pp[0]);
		int fd = open(dir, O_RDONLY | O_DIRECTORY);
		if (fd < 0 || dup2(fd, REUSE_FD) < 0)
			_exit(96);
		enter(policy, pp[1]);
		sc(SYS_openat, REUSE_FD, (long)"a.txt", O_RDONLY, 0);
		_exit(0);
	}
	int listener = child_listener(reuse_victim, pp, &reuse_pidfd);
	struct sb_dispatch *disp = NULL;
	if (listener >= 0 && sb_dispatch_new(NULL, &disp) == 0) {
		disp->caller_ok = replace_caller;
		getfd_count = 0;
		/* One notification: the caller's openat; then it is gone. */
		struct pollfd pfd = { .fd = listener, .events = POLLIN };
		if (poll(&pfd, 1, 60000) == 1 && (pfd.revents & POLLIN))
			sb_notify_serve(disp, policy, listener);
		sb_dispatch_free(disp);
	}
	int n = getfd_count;
	getfd_count = -1;
	if (reuse_impostor > 0) {
		kill(reuse_impostor, SIGKILL);
		waitpid(reuse_impostor, NULL, 0);
	}
	if (reuse_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, reuse_pidfd, SIGKILL, NULL, 0);
	waitpid(reuse_victim, NULL, 0);
	if (listener >= 0)
		close(listener);
	if (reuse_pidfd >= 0)
		close(reuse_pidfd);
	if (reuse_why || !reuse_impostor) {
		printf("ok %d - a pid reused after RECV: no fd taken from its new process # SKIP "
		       "%s\n",
		       ++tap_n, reuse_why ? reuse_why : "the call did not reach the check");
		return;
	}
	if (n != 0)
		printf("# pidfd_getfd called %d times on the reused pid\n", n);
	tap(n == 0, "a pid reused after RECV: no fd taken from its new process");
}

/* What the transport needs beyond seccomp itself: NULL, or the missing feature. */
static const char *kernel_lacks(void)
{
	struct seccomp_notif_sizes sizes;
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return "SECCOMP_GET_NOTIF_SIZES (Linux 5.0)";
	long fd = syscall(SYS_pidfd_open, getpid(), 0);
	if (fd < 0)
		return "pidfd_open (Linux 5.3)";
	long r = syscall(SYS_pidfd_getfd, fd, 0, 0);
	close((int)fd);
	if (r < 0 && errno == ENOSYS)
		return "pidfd_getfd (Linux 5.6)";
	if (r >= 0)
		close((int)r);
	if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
	    (major < 5 || (major == 5 && minor < 14)))
		return "SECCOMP_ADDFD_FLAG_SEND (Linux 5.14)";
	return NULL;
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/sb-test-notify-XXXXXX", logpath[PATH_MAX + 16], text[4 * PATH_MAX];
	char p[2 * PATH_MAX];
	struct sb_policy *policy = NULL;
	struct sb_policy_error err;
	int pipefd[2];

	setvbuf(stdout, NULL, _IONBF, 0);
	void *sym = dlsym(RTLD_NEXT, "syscall");
	memcpy(&real_syscall, &sym, sizeof(sym));
	if (!real_syscall)
		return 1;
	const char *missing = kernel_lacks();
	if (missing) {
		printf("1..0 # SKIP the kernel lacks %s\n", missing);
		return 77;
	}
	printf("1..%d\n", NGROUPS + 9);
	if (argc != 2) {
		fprintf(stderr, "usage: test-notify PATH-TO-EXIT42\n");
		return 2;
	}
	exit42 = argv[1];
	if (!mkdtemp(tmpl) || !realpath(tmpl, root))
		return 1;
	snprintf(p, sizeof(p), "%s/granted", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/ro", root);
	mkdir(p, 0700);
	writefile("granted/a.txt", "hello\n");
	writefile("ro/r.txt", "read only\n");
	writefile("secret.txt", "secret\n");
	writefile("outside.txt", "outside\n");
	for (int i = 0; i < 8; i++) {
		char rel[64], content[64];
		snprintf(rel, sizeof(rel), "granted/t%d.txt", i);
		snprintf(content, sizeof(content), "thread %d", i);
		writefile(rel, content);
	}
	snprintf(p, sizeof(p), "%s/granted/link", root);
	if (symlink("a.txt", p) < 0)
		return 1;
	snprintf(p, sizeof(p), "%s/granted/up", root);
	if (symlink("..", p) < 0)
		return 1;
	snprintf(p, sizeof(p), "%s/granted/a.txt", root);
	if (stat(p, &st_native) < 0)
		return 1;

	/*
	 * getpriority's rules cannot be put in the kernel (two conditions with different actions
	 * beside an unconditional allow): the broker evaluates them on the integer arguments.
	 */
	int n = snprintf(text, sizeof(text),
			 "sysbroker-policy 1\n"
			 "default syscall deny errno ENOSYS nolog\n"
			 "allow @default-runtime @process @signal @memory @ipc\n"
			 "allow socket\n"
			 "allow getppid log\n"
			 "kill getpriority if arg0 == 7\n"
			 "deny getpriority errno EPERM nolog if arg0 == 8\n"
			 "allow getpriority\n"
			 "deny truncate errno EROFS if arg1 == 7\n"
			 "path \"%s/granted/**\" read write create delete list stat\n"
			 "path \"%s/ro/**\" read list\n"
			 "path \"%s/secret.txt\" deny errno EPERM\n"
			 "path \"%s\" stat list\n"
			 "path \"%s\" exec\n",
			 root, root, root, root, exit42);
	if (sb_policy_load_string(text, (size_t)n, "notify.policy", &policy, &err) < 0) {
		fprintf(stderr, "%s:%u:%u: %s\n", err.file, err.line, err.column, err.message);
		return 1;
	}
	snprintf(logpath, sizeof(logpath), "%s/broker.log", root);
	int logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0 || pipe2(pipefd, O_CLOEXEC) < 0)
		return 1;
	results = mmap(NULL, sizeof(*results) * NGROUPS, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (results == MAP_FAILED)
		return 1;
	parent_pid = getpid();

	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(pipefd[0]);
		child(policy, pipefd[1]);
	}
	int pidfd;
	int listener = child_listener(pid, pipefd, &pidfd);
	tap(listener >= 0, "the listener was fetched with pidfd_getfd after the child loaded");

	/* Serve until the child (and the program it execs) is gone. */
	int serve_err = 0, served = 0;
	struct sb_audit_log *log = NULL;
	struct sb_dispatch *disp = NULL;
	if (sb_audit_log_new(logfd, &log) < 0 || sb_dispatch_new(log, &disp) < 0)
		return 1;
	while (listener >= 0) {
		struct pollfd pfd[2] = { { .fd = listener, .events = POLLIN },
					 { .fd = pidfd, .events = POLLIN } };
		int k = poll(pfd, 2, 60000);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			serve_err = -ETIMEDOUT;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			int r = sb_notify_serve(disp, policy, listener);
			if (r < 0 && r != -EAGAIN && r != -EINTR) {
				serve_err = r;
				break;
			}
			served += r == 0;
			continue;
		}
		if (pfd[1].revents & POLLIN || pfd[0].revents & (POLLHUP | POLLERR))
			break;
	}
	sb_dispatch_free(disp);
	sb_audit_log_unref(log);
	if (serve_err)
		printf("# sb_notify_serve: %s after %d notifications\n", strerror(-serve_err),
		       served);
	if (serve_err || listener < 0)
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	int status = 0;
	waitpid(pid, &status, 0);
	tap(listener >= 0 && serve_err == 0 && served > 100,
	    "every notification was served, until the sandbox was gone");

	for (int g = 0; g < NGROUPS; g++) {
		if (!results[g].ran)
			printf("# not run\n");
		else if (results[g].failed_line)
			printf("# first failed check at line %d\n", results[g].failed_line);
		tap(results[g].ran && !results[g].failed_line, group_names[g]);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 42)
		printf("# child status %#x\n", status);
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 42,
	    "an allowed exec runs the program (exit status 42)");

	/* The side effects outside: the denied create did not happen. */
	snprintf(p, sizeof(p), "%s/ro/new", root);
	tap(access(p, F_OK) < 0 && errno == ENOENT, "a denied create created nothing");
	/* The log tells the story: denials with errno, rule and transport. */
	tap(count_lines(logpath, "\"transport\":\"notify\"", "secret.txt", "\"errno\":\"EPERM\"") >=
			    4 &&
		    count_lines(logpath, "\"transport\":\"notify\"", "passwd",
				"\"errno\":\"EACCES\"") >= 1 &&
		    count_lines(logpath, "\"rule\":\"notify.policy:12\"", "secret.txt", NULL) >= 1,
	    "denials are logged with their errno, rule and \"transport\":\"notify\"");
	tap(count_lines(logpath, "\"syscall\":\"getppid\"", "\"decision\":\"allow\"",
			"\"transport\":\"notify\"") == 1 &&
		    count_lines(logpath, "\"syscall\":\"truncate\"", "\"errno\":\"EROFS\"",
				"\"transport\":\"notify\"") == 1,
	    "logged kernel rules are recorded by the broker");
	tap(count_lines(logpath, "\"decision\":\"allow\"", NULL, NULL) == 1 &&
		    count_lines(logpath, "\"transport\":\"trap\"", NULL, NULL) == 0,
	    "allowed path calls are not logged by default");
	check_caller_refusals(policy);
	check_reused_pid(policy);

	sb_policy_free(policy);
	close(logfd);
	if (listener >= 0)
		close(listener);
	if (pidfd >= 0)
		close(pidfd);
	if (!failures) {
		snprintf(text, sizeof(text), "rm -rf '%s'", root);
		if (system(text) != 0)
			return 1;
	} else {
		fprintf(stderr, "tree and log kept in %s\n", root);
	}
	return failures ? 1 : 0;
}
