/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Under kernel grants the C library's stat family is answered without a trap
 * (sandboxee/fastpath.c). This program blocks SIGSYS for real, with rt_sigprocmask made by an
 * instruction of its own (no trap filter covers its text), so that any call that traps now kills
 * it. Then it makes, through the C library, the calls the fast path answers, on FILE (a granted
 * file), DIR (a granted directory) and MISSING (a missing name in it), and prints their results:
 * reaching the end proves that none of them trapped.
 *     fastpath-probe FILE DIR MISSING
 * With -r, it blocks nothing and prints what realpath and canonicalize_file_name answer for each
 * NAME, and errno and what is left in the buffer it was given, to be compared with native runs.
 *     fastpath-probe -r NAME...
 * With -f, it opens FIFO (no writer) for reading with a SIGALRM handler installed without
 * SA_RESTART and an alarm in a second, and prints what the open returned: natively EINTR.
 *     fastpath-probe -f FIFO
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h> /* snprintf */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "inline-syscall.h"

static char out[4096];
static size_t used;

/*
 * Kept until the end and written with an instruction of this program's own: the C library's
 * stdio would fstat stdout by its internal call, which no wrapper sees (and which traps).
 */
static void note(const char *what, long r)
{
	int k = snprintf(out + used, sizeof(out) - used, "%s %ld %s\n", what, r,
			 r < 0 ? strerror(errno) : "-");
	if (k > 0 && (size_t)k < sizeof(out) - used)
		used += (size_t)k;
}

/* realpath's answers for each name, as -r prints them. */
static int resolve_names(int n, char **names)
{
	for (int i = 0; i < n; i++) {
		char buf[PATH_MAX] = "untouched";
		errno = 0;
		char *a = realpath(names[i], NULL);
		int ea = errno;
		errno = 0;
		char *b = realpath(names[i], buf);
		int eb = errno;
		errno = 0;
		char *c = canonicalize_file_name(names[i]);
		int ec = errno;
		printf("realpath %s: %s (%s) | %s (%s) buf %s | %s (%s)\n", names[i],
		       a ? a : "NULL", strerror(ea), b ? b : "NULL", strerror(eb), buf,
		       c ? c : "NULL", strerror(ec));
		free(a);
		free(c);
	}
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* open of a FIFO nobody writes, interrupted by a handler that does not restart it. */
static int open_fifo(const char *fifo)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		return 2;
	alarm(1);
	errno = 0;
	int fd = open(fifo, O_RDONLY | O_CLOEXEC);
	int e = errno;
	alarm(0);
	printf("open fifo: %d %s\n", fd < 0 ? -1 : 0, fd < 0 ? strerror(e) : "-");
	return 0;
}

int main(int argc, char **argv)
{
	struct stat st;
	char buf[64], path[PATH_MAX];

	if (argc >= 2 && strcmp(argv[1], "-r") == 0)
		return resolve_names(argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "-f") == 0)
		return open_fifo(argv[2]);
	if (argc != 4)
		return 2;
	unsigned long set = 1UL << (SIGSYS - 1);
	if (inline_syscall4(SYS_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, sizeof(set)) != 0)
		return 3;
	note("stat file", stat(argv[1], &st));
	note("lstat file", lstat(argv[1], &st));
	note("stat dir", stat(argv[2], &st));
	note("stat missing", stat(argv[3], &st));
	note("fstatat", fstatat(AT_FDCWD, argv[1], &st, AT_SYMLINK_NOFOLLOW));
	note("fstat", fstat(STDIN_FILENO, &st));
	note("access file", access(argv[1], R_OK));
	note("faccessat file", faccessat(AT_FDCWD, argv[1], F_OK, 0));
	note("access missing", access(argv[3], F_OK));
	note("readlink file", readlink(argv[1], buf, sizeof(buf)));
	note("readlinkat missing", readlinkat(AT_FDCWD, argv[3], buf, sizeof(buf)));
	long fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	note("open file", fd < 0 ? fd : 0);
	if (fd >= 0)
		close((int)fd);
	fd = openat(AT_FDCWD, argv[2], O_RDONLY | O_DIRECTORY);
	note("openat dir", fd < 0 ? fd : 0);
	if (fd >= 0)
		close((int)fd);
	/* The C library's realpath calls its own readlink, which no wrapper sees. */
	note("realpath file", realpath(argv[1], path) ? 0 : -1);
	note("realpath dir", realpath(argv[2], path) ? 0 : -1);
	note("realpath missing", realpath(argv[3], path) ? 0 : -1);
	return inline_syscall4(SYS_write, STDOUT_FILENO, (long)out, (long)used, 0) == (long)used
		       ? 0
		       : 4;
}
