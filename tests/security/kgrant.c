/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The attacks on kernel grants (test-kgrants.sh): each step makes one call for real and prints
 * "NAME ret=R errno=E" and, for an fd it got, "NAME data=BYTES" with what it could read.
 *     kgrant STEP...   a STEP is one of
 *       asm NAME PATH FLAGS COOKIE   openat from this program's own code (inline syscall)
 *       libc NAME PATH FLAGS COOKIE  openat through the C library's syscall(), the site the
 *                                    runtime's handler makes its own calls from
 *       stat-libc NAME PATH COOKIE   newfstatat through syscall() (a cookie in its 4th argument)
 *       open NAME PATH               open(2) as a program calls it
 *       stat NAME PATH               stat(2) as a program calls it
 *       rename NAME FROM TO, link NAME FROM TO
 * "@PPID" in a PATH is this program's parent's pid (the broker, under `sysbroker run`).
 * FLAGS: r, rw, path, creat, trunc, tmpfile, dir. COOKIE: 1 for the runtime's cookie, 0 for none.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kgcookie.h"

static long asm_openat(const char *path, long flags, uint64_t mode)
{
	long ret;
	register long r10 __asm__("r10") = (long)mode;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_openat), "D"((long)AT_FDCWD), "S"(path), "d"(flags),
			   "r"(r10)
			 : "rcx", "r11", "memory");
	return ret < 0 && ret > -4096 ? (errno = (int)-ret, -1) : ret;
}

static long flags_of(const char *f)
{
	static const struct {
		const char *name;
		long flags;
	} t[] = { { "r", O_RDONLY },
		  { "rw", O_RDWR },
		  { "path", O_PATH },
		  { "creat", O_RDONLY | O_CREAT },
		  { "trunc", O_RDONLY | O_TRUNC },
		  { "tmpfile", O_RDWR | O_TMPFILE },
		  { "dir", O_RDONLY | O_DIRECTORY } };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(f, t[i].name) == 0)
			return t[i].flags;
	fprintf(stderr, "bad flags %s\n", f);
	exit(2);
}

static void report(const char *name, long r, int err, int fd)
{
	printf("%s ret=%ld errno=%s\n", name, r, r < 0 ? strerrorname_np(err) : "0");
	if (fd && r >= 0) {
		char buf[256];
		ssize_t n = read((int)r, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = 0;
			buf[strcspn(buf, "\n")] = 0;
			printf("%s data=%s\n", name, buf);
		}
		close((int)r);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct stat st;
	for (int i = 1; i < argc;) {
		const char *op = argv[i], *name = i + 1 < argc ? argv[i + 1] : "?";
		int need =
			!strcmp(op, "asm") || !strcmp(op, "libc") ? 5
			: !strcmp(op, "stat-libc") || !strcmp(op, "rename") || !strcmp(op, "link")
				? 4
				: 3;
		if (!strcmp(op, "symlink"))
			need = 4;
		if (i + need > argc) {
			fprintf(stderr, "missing arguments for %s\n", op);
			return 2;
		}
		const char *a = argv[i + 2], *b = need > 3 ? argv[i + 3] : NULL;
		char path[256];
		const char *at = strstr(a, "@PPID");
		if (at) {
			/* The broker's pid: this program's parent under `sysbroker run`. */
			snprintf(path, sizeof(path), "%.*s%d%s", (int)(at - a), a, (int)getppid(),
				 at + 5);
			a = path;
		}
		const char *c = need == 5 ? argv[i + 4] : !strcmp(op, "stat-libc") ? b : "0";
		uint64_t cookie = c[0] == '1' ? SB_KG_COOKIE : 0;
		long r;
		errno = 0;
		if (!strcmp(op, "asm"))
			r = asm_openat(a, flags_of(b), cookie);
		else if (!strcmp(op, "libc"))
			r = syscall(SYS_openat, AT_FDCWD, a, flags_of(b), cookie);
		else if (!strcmp(op, "stat-libc"))
			r = syscall(SYS_newfstatat, AT_FDCWD, a, &st, 0, cookie);
		else if (!strcmp(op, "open"))
			r = open(a, O_RDONLY);
		else if (!strcmp(op, "stat"))
			r = stat(a, &st);
		else if (!strcmp(op, "rename"))
			r = rename(a, b);
		else if (!strcmp(op, "link"))
			r = link(a, b);
		else if (!strcmp(op, "symlink"))
			r = symlink(a, b);
		else {
			fprintf(stderr, "bad step %s\n", op);
			return 2;
		}
		int e = errno;
		report(name, r, e,
		       !strcmp(op, "asm") || !strcmp(op, "libc") || !strcmp(op, "open"));
		i += need;
	}
	return 0;
}
