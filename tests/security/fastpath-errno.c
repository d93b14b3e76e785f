/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A call that succeeds leaves errno alone, as the C library's does: the stat family, access and
 * readlink on DIR's names "f" (a file), "ln" (a symlink to it) and "sock" (a socket), each with
 * errno set to a marker before. Under kernel grants the direct try's failed opens (ELOOP for the
 * symlink, ENXIO for the socket) must not leak into errno. Prints one line per call, "ok NAME"
 * or "bad NAME ret errno", and exits 1 if any was bad.
 *     fastpath-errno DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARK 4242

static int bad;

static void check(const char *what, long r)
{
	int e = errno;
	if (r >= 0 && e == MARK) {
		printf("ok %s\n", what);
		return;
	}
	printf("bad %s %ld %d\n", what, r, e);
	bad = 1;
}

#define T(what, call)                                                                              \
	do {                                                                                       \
		errno = MARK;                                                                      \
		check(what, (call));                                                               \
	} while (0)

int main(int argc, char **argv)
{
	struct stat st;
	char buf[64];

	if (argc != 2 || chdir(argv[1]) < 0)
		return 2;
	T("stat f", stat("f", &st));
	T("stat ln", stat("ln", &st));
	T("lstat ln", lstat("ln", &st));
	T("stat sock", stat("sock", &st));
	T("lstat sock", lstat("sock", &st));
	T("fstatat ln nofollow", fstatat(AT_FDCWD, "ln", &st, AT_SYMLINK_NOFOLLOW));
	T("readlink ln", readlink("ln", buf, sizeof(buf)));
	T("readlinkat ln", readlinkat(AT_FDCWD, "ln", buf, sizeof(buf)));
	T("access sock", access("sock", F_OK));
	T("faccessat ln nofollow", faccessat(AT_FDCWD, "ln", F_OK, AT_SYMLINK_NOFOLLOW));
	T("faccessat sock", faccessat(AT_FDCWD, "sock", F_OK, 0));
	fflush(stdout);
	return bad;
}
