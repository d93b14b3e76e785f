/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The syscall walk (test-walk.sh): call every syscall number from LO to HI, each in a fresh
 * child (a call may exit, block, fork, kill or unmap its caller), with its arguments pointing at
 * a victim outside every grant in each of the layouts below, and report what each call answered.
 * Built twice: dynamic (calls go through the C library's syscall(), which runs in libc's text:
 * trapped once the preloaded runtime arms) and static (notify only).
 *
 *   walk LO HI VICTIM NEW
 *
 * fd 0 is the victim, an O_PATH fd opened outside the sandbox (the parent watches it with fstat
 * after every child: a change of content, mode, owner, times or xattrs moves ctime or atime, so
 * that a change is pinned on the call that made it); fd 2 is the victim's directory (the dirfd of
 * the "dirfd" layouts; its listing is watched too). The current directory is the granted work tree,
 * where "link" is a symlink to VICTIM (restored when a call removed it). NEW is a name beside the
 * victim that must never appear. Output, one line per call:
 *
 *   NR LAYOUT ret=0|+ errno=E | sig=S | timeout
 *   NR LAYOUT changed WHAT
 *
 * Numbers that would end the walker in a way that says nothing are skipped: exit, exit_group,
 * rt_sigreturn, vfork.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VICTIM_FD 0
#define DIR_FD 2
#define CHILD_MS 150

/* Writable: some calls write into their "path" (getcwd, readlink's buffer, listxattr). */
static char abs_victim[4096], abs_new[4096];
static char rel_victim[] = "victim", rel_new[] = "new", rel_link[] = "link";
static char xname[] = "user.walk", xvalue[] = "x";
static _Alignas(16) unsigned char zeros[4096];
static struct {
	uint64_t value;
	uint32_t size, flags;
} xargs;

enum { A_ABS, A_NEW, A_REL, A_RNEW, A_LNK, A_XN, A_XV, A_Z, A_XARGS, A_CWD, A_DFD, A_NARGS };

#define TRUNC (O_WRONLY | O_CREAT | O_TRUNC)
/* Each layout: six argument values, an A_* placeholder (tagged) or a plain integer. */
#define P(x) (0x5b000000L | (x))
static const struct {
	const char *name;
	long a[6];
} layouts[] = {
	{ "path", { P(A_ABS), TRUNC, 0, 0, 0, 0 } },
	{ "path,0", { P(A_ABS), 0, 0, 0, 0, 0 } },
	{ "path,buf", { P(A_ABS), P(A_Z), P(A_Z), 0, 0, 0 } },
	{ "path,new", { P(A_ABS), P(A_NEW), 0, 0, 0, 0 } },
	{ "path,xattr", { P(A_ABS), P(A_XN), P(A_XV), 1, 0, 0 } },
	{ "at", { P(A_CWD), P(A_ABS), TRUNC, 0666, 0, 0 } },
	{ "at,0", { P(A_CWD), P(A_ABS), 0, 0, 0, 0 } },
	{ "at,buf", { P(A_CWD), P(A_ABS), P(A_Z), 0, 0, 0 } },
	{ "at,new", { P(A_CWD), P(A_ABS), P(A_CWD), P(A_NEW), 0, 0 } },
	{ "str,at,new", { P(A_ABS), P(A_CWD), P(A_NEW), 0, 0, 0 } },
	{ "dirfd", { P(A_DFD), P(A_REL), 0, 0, 0, 0 } },
	{ "dirfd,trunc", { P(A_DFD), P(A_REL), TRUNC, 0666, 0, 0 } },
	{ "dirfd,new", { P(A_DFD), P(A_REL), P(A_DFD), P(A_RNEW), 0, 0 } },
	{ "xattrat", { P(A_CWD), P(A_ABS), 0, P(A_XN), P(A_XARGS), sizeof(xargs) } },
	{ "dirfd,xattrat", { P(A_DFD), P(A_REL), 0, P(A_XN), P(A_XARGS), sizeof(xargs) } },
	{ "fileattr", { P(A_CWD), P(A_ABS), P(A_Z), 24, 0, 0 } },
	{ "link", { P(A_LNK), TRUNC, 0, 0, 0, 0 } },
	{ "link,xattr", { P(A_LNK), P(A_XN), P(A_XV), 1, 0, 0 } },
	{ "at,link", { P(A_CWD), P(A_LNK), 0, 0, 0, 0 } },
	{ "at,link,trunc", { P(A_CWD), P(A_LNK), TRUNC, 0666, 0, 0 } },
};

static long arg_value(long a)
{
	if ((a & ~0xffL) != 0x5b000000L)
		return a;
	switch (a & 0xff) {
	case A_ABS:
		return (long)abs_victim;
	case A_NEW:
		return (long)abs_new;
	case A_REL:
		return (long)rel_victim;
	case A_RNEW:
		return (long)rel_new;
	case A_LNK:
		return (long)rel_link;
	case A_XN:
		return (long)xname;
	case A_XV:
		return (long)xvalue;
	case A_Z:
		return (long)zeros;
	case A_XARGS:
		return (long)&xargs;
	case A_CWD:
		return AT_FDCWD;
	case A_DFD:
		return DIR_FD;
	}
	return a;
}

/* What the parent watches: the victim's inode and its directory. */
struct snap {
	struct stat st;
	char names[1024];
};

static void dir_names(char *buf, size_t size)
{
	char d[4096];
	size_t o = 0;
	buf[0] = 0;
	lseek(DIR_FD, 0, SEEK_SET);
	for (;;) {
		long n = syscall(SYS_getdents64, DIR_FD, d, sizeof(d));
		if (n <= 0)
			break;
		for (long p = 0; p < n;) {
			struct dirent64 *e = (struct dirent64 *)(d + p);
			o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "%s ", e->d_name);
			p += e->d_reclen;
		}
	}
}

static void take(struct snap *s)
{
	memset(s, 0, sizeof(*s));
	fstat(VICTIM_FD, &s->st);
	dir_names(s->names, sizeof(s->names));
}

static bool ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/*
 * The first difference, or NULL. No read of the content (it would move atime): a write moves
 * ctime, which no caller can set.
 */
static const char *diff(const struct snap *a, const struct snap *b)
{
	if (a->st.st_mode != b->st.st_mode)
		return "mode";
	if (a->st.st_uid != b->st.st_uid || a->st.st_gid != b->st.st_gid)
		return "owner";
	if (a->st.st_nlink != b->st.st_nlink)
		return "nlink";
	if (a->st.st_size != b->st.st_size)
		return "size";
	if (!ts_eq(a->st.st_mtim, b->st.st_mtim))
		return "mtime";
	if (!ts_eq(a->st.st_ctim, b->st.st_ctim))
		return "ctime";
	if (strcmp(a->names, b->names) != 0)
		return "directory";
	if (!ts_eq(a->st.st_atim, b->st.st_atim))
		return "atime"; /* read: never changes on a noatime mount */
	return NULL;
}

/* The child: its own process group (the parent kills the group), then the call. */
static _Noreturn void child(long nr, size_t l)
{
	long a[6];
	setpgid(0, 0);
	for (int i = 0; i < 6; i++)
		a[i] = arg_value(layouts[l].a[i]);
	long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	int e = errno;
	_exit(r < 0 ? (e > 0 && e < 250 ? e : 250) : r == 0 ? 0 : 254);
}

/* Wait CHILD_MS for the child (SIGCHLD is blocked), then kill its group. */
static void report(long nr, size_t l, pid_t pid)
{
	sigset_t chld;
	int st = 0;
	struct timespec left = { 0, CHILD_MS * 1000000L }, t0, t1;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (left.tv_sec < 0 || (left.tv_sec == 0 && left.tv_nsec <= 0) ||
		    (sigtimedwait(&chld, NULL, &left) < 0 && errno == EAGAIN)) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			printf("%ld %s timeout\n", nr, layouts[l].name);
			return;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
		ns = left.tv_sec * 1000000000L + left.tv_nsec - ns;
		left = (struct timespec){ ns / 1000000000L, ns % 1000000000L };
	}
	kill(-pid, SIGKILL); /* whatever it forked */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (WIFSIGNALED(st))
		printf("%ld %s sig=%d\n", nr, layouts[l].name, WTERMSIG(st));
	else if (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 254)
		printf("%ld %s ret=%s\n", nr, layouts[l].name, WEXITSTATUS(st) ? "+" : "0");
	else
		printf("%ld %s errno=%d\n", nr, layouts[l].name, WEXITSTATUS(st));
}

static bool skipped(long nr)
{
	return nr == SYS_exit || nr == SYS_exit_group || nr == SYS_rt_sigreturn || nr == SYS_vfork;
}

static void relink(void)
{
	char t[4096];
	ssize_t n = readlink(rel_link, t, sizeof(t) - 1);
	if (n >= 0 && (size_t)n == strlen(abs_victim) && memcmp(t, abs_victim, (size_t)n) == 0)
		return;
	unlink(rel_link);
	rmdir(rel_link);
	if (symlink(abs_victim, rel_link) < 0)
		printf("# cannot restore link: %s\n", strerror(errno));
}

int main(int argc, char **argv)
{
	if (argc != 6 || strcmp(argv[1], "walk") != 0) {
		fprintf(stderr, "usage: walk walk LO HI VICTIM NEW\n");
		return 2;
	}
	long lo = atol(argv[2]), hi = atol(argv[3]);
	snprintf(abs_victim, sizeof(abs_victim), "%s", argv[4]);
	snprintf(abs_new, sizeof(abs_new), "%s", argv[5]);
	xargs = (typeof(xargs)){ .value = (uint64_t)(uintptr_t)xvalue, .size = 1 };
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	struct snap before, after;
	take(&before);
	for (long nr = lo; nr <= hi; nr++) {
		if (skipped(nr))
			continue;
		for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++) {
			relink();
			fflush(stdout);
			pid_t pid = fork();
			if (pid == 0)
				child(nr, l);
			if (pid > 0)
				setpgid(pid, pid);
			if (pid < 0) {
				printf("%ld %s fork errno=%d\n", nr, layouts[l].name, errno);
				continue;
			}
			report(nr, l, pid);
			take(&after);
			const char *what = diff(&before, &after);
			if (what)
				printf("%ld %s changed %s\n", nr, layouts[l].name, what);
			before = after;
		}
	}
	printf("done\n");
	return 0;
}
