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
 *       readlink NAME PATH           readlink(2) as a program calls it (the target printed)
 *       access NAME PATH             access(2) with R_OK as a program calls it
 *       chdir NAME DIR               chdir(2), for the relative names of the steps after it
 *       fstat-null NAME PATH         open(2) read-only, then newfstatat(fd, NULL, AT_EMPTY_PATH)
 *       rename NAME FROM TO, link NAME FROM TO
 *       rmdir NAME DIR               rmdir(2) (of the cwd, for the relative names after it)
 *       openat2 NAME PATH COOKIE     openat2 read-only (the cookie in the how's mode when 1)
 *       open-cookie NAME PATH COOKIE open(2) read-only with the cookie as its mode
 *       x32 NAME PATH COOKIE         openat by its x32 number (the x32 bit set)
 *       i386 NAME PATH COOKIE        openat through int 0x80 (the 32-bit table, path below 4 GiB)
 *       wronly NAME PATH             open(2) write-only, the fd kept (its number printed)
 *       execfd NAME PATH             open(2) read-only, then execveat(fd, "", AT_EMPTY_PATH)
 *       nest NAME -                  a Landlock domain of this program's own, refusing every
 *                                    read (its refusals are logged by the kernel, not the policy's)
 * "@FD" in a PATH is the fd the last wronly step kept. "@PPID" in a PATH is this program's parent's
 * pid (the broker, under `sysbroker run`). FLAGS: r, rw, path, creat, trunc, tmpfile, dir,
 * r-nonblock. COOKIE: 1 for the runtime's cookie, 0 for none.
 */
#include <errno.h>
#include <linux/landlock.h>
#include <linux/openat2.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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

/* openat by the x32 table's number (x86_64 arch, the x32 bit): no filter prefix matches it. */
static long x32_openat(const char *path, uint64_t mode)
{
	long ret;
	register long r10 __asm__("r10") = (long)mode;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)(SYS_openat | 0x40000000L)), "D"((long)AT_FDCWD), "S"(path),
			   "d"((long)O_RDONLY), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret < 0 && ret > -4096 ? (errno = (int)-ret, -1) : ret;
}

/* openat through int 0x80 (i386 openat is 295), the path copied below 4 GiB. */
static long i386_openat(const char *path, uint64_t mode)
{
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		return -1;
	snprintf(low, 4096, "%s", path);
	int ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "0"(295), "b"(AT_FDCWD), "c"((int)(uintptr_t)low), "d"(O_RDONLY),
			   "S"((int)mode)
			 : "memory");
	munmap(low, 4096);
	return ret < 0 && ret > -4096 ? (errno = -ret, -1) : ret;
}

static long openat2_ro(const char *path, uint64_t mode)
{
	struct open_how how = { .flags = O_RDONLY, .mode = mode };
	return syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

/* A nested domain of the program's own that refuses reading any file. */
static long nest(void)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE };
	long fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0)
		return fd;
	long r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (r == 0)
		r = syscall(SYS_landlock_restrict_self, fd, 0);
	close((int)fd);
	return r;
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
		  /* the broker asks "write" for O_APPEND whatever the access mode */
		  { "append", O_RDONLY | O_APPEND },
		  { "tmpfile", O_RDWR | O_TMPFILE },
		  { "dir", O_RDONLY | O_DIRECTORY },
		  { "r-nonblock", O_RDONLY | O_NONBLOCK },
		  /* bits above the 32 of the kernel's int flags: the filter reads the low word */
		  { "hi-r", (long)(1UL << 32) | O_RDONLY },
		  { "hi-rw", (long)(1UL << 32) | O_RDWR } };
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
	long last_fd = -1;
	for (int i = 1; i < argc;) {
		const char *op = argv[i], *name = i + 1 < argc ? argv[i + 1] : "?";
		int need = !strcmp(op, "asm") || !strcmp(op, "libc") ? 5
			   : !strcmp(op, "stat-libc") || !strcmp(op, "rename") ||
					   !strcmp(op, "link") || !strcmp(op, "openat2") ||
					   !strcmp(op, "open-cookie") || !strcmp(op, "x32") ||
					   !strcmp(op, "i386")
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
		const char *at = strstr(a, "@PPID"), *fdat = strstr(a, "@FD");
		if (fdat) {
			/* The fd the last wronly step kept. */
			snprintf(path, sizeof(path), "%.*s%ld%s", (int)(fdat - a), a, last_fd,
				 fdat + 3);
			a = path;
		} else if (at) {
			/* The broker's pid: this program's parent under `sysbroker run`. */
			snprintf(path, sizeof(path), "%.*s%d%s", (int)(at - a), a, (int)getppid(),
				 at + 5);
			a = path;
		}
		const char *c = need == 5 ? argv[i + 4] : need == 4 ? b : "0";
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
		else if (!strcmp(op, "access"))
			r = access(a, R_OK);
		else if (!strcmp(op, "readlink")) {
			char t[256];
			r = readlink(a, t, sizeof(t) - 1);
			if (r >= 0)
				printf("%s target=%.*s\n", name, (int)r, t);
		} else if (!strcmp(op, "chdir"))
			r = chdir(a);
		else if (!strcmp(op, "fstat-null")) {
			int fd = open(a, O_RDONLY | O_CLOEXEC);
			r = fd < 0 ? -1 : syscall(SYS_newfstatat, fd, NULL, &st, AT_EMPTY_PATH);
			if (fd >= 0)
				close(fd);
		} else if (!strcmp(op, "rmdir"))
			r = rmdir(a);
		else if (!strcmp(op, "rename"))
			r = rename(a, b);
		else if (!strcmp(op, "link"))
			r = link(a, b);
		else if (!strcmp(op, "execfd")) {
			char *const av[] = { (char *)a, "-u", NULL }, *const ev[] = { NULL };
			int fd = open(a, O_RDONLY | O_CLOEXEC);
			r = fd < 0 ? -1 : syscall(SYS_execveat, fd, "", av, ev, AT_EMPTY_PATH);
		} else if (!strcmp(op, "nest"))
			r = nest();
		else if (!strcmp(op, "openat2"))
			r = openat2_ro(a, cookie);
		else if (!strcmp(op, "open-cookie"))
			r = syscall(SYS_open, a, O_RDONLY, cookie);
		else if (!strcmp(op, "x32"))
			r = x32_openat(a, cookie);
		else if (!strcmp(op, "i386"))
			r = i386_openat(a, cookie);
		else if (!strcmp(op, "wronly")) {
			r = last_fd = open(a, O_WRONLY);
			printf("%s fd=%ld\n", name, r);
			i += need;
			continue;
		} else if (!strcmp(op, "symlink")) {
			r = symlink(a, b);
		} else {
			fprintf(stderr, "bad step %s\n", op);
			return 2;
		}
		int e = errno;
		report(name, r, e,
		       !strcmp(op, "asm") || !strcmp(op, "libc") || !strcmp(op, "open") ||
			       !strcmp(op, "openat2") || !strcmp(op, "open-cookie") ||
			       !strcmp(op, "x32") || !strcmp(op, "i386"));
		i += need;
	}
	return 0;
}
