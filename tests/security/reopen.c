/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reopening the caller's own fd N through /proc/self/fd/N, tried for real under `sysbroker run`
 * (test-reopen.sh). The kernel reopens what fd N names with whatever access the file's mode
 * gives the caller, whatever fd N's own access was; the broker must decide that reopen on the
 * object's canonical path, with the access asked for, as an open of that path.
 *
 *     reopen ROOT: fd 0 is a file outside every grant (the shell opened it read-only). ROOT holds
 *     ro/file.txt (read), rw/ (read write create delete; rw/locked is root's, 0444), drop/
 *     (create write, no read), dir/ (list).
 *
 * Each attempt prints "NAME ret=R errno=E" (ret 0 on success: the fd is closed again).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static char root[2048];

static const char *at(const char *rel)
{
	static char buf[2][4096];
	static int i;
	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", root, rel);
	return buf[i];
}

static void report(const char *name, long r)
{
	int e = errno;
	if (r >= 0)
		printf("%s ret=0\n", name);
	else
		printf("%s ret=-1 errno=%s\n", name, strerrorname_np(e));
	fflush(stdout);
}

/* open("/proc/self/fd/FD", flags) through the C library's openat; reported as NAME. */
static void reopen(const char *name, int fd, int flags)
{
	char link[64];
	if (fd < 0) {
		printf("%s ret=-1 errno=SETUP\n", name);
		fflush(stdout);
		return;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	int r = openat(AT_FDCWD, link, flags, 0644);
	report(name, r);
	if (r >= 0)
		close(r);
}

static void anonymous_fds(void)
{
	int p[2] = { -1, -1 }, s[2] = { -1, -1 };
	if (pipe2(p, O_CLOEXEC) < 0)
		p[0] = p[1] = -1;
	reopen("pipe-read-end-rdwr", p[0], O_RDWR);
	reopen("pipe-write-end-rdonly", p[1], O_RDONLY);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) < 0)
		s[0] = -1;
	reopen("socket-rdwr", s[0], O_RDWR);
	reopen("memfd-rdwr", (int)syscall(SYS_memfd_create, "m", MFD_CLOEXEC), O_RDWR);
	reopen("eventfd-rdwr", eventfd(0, EFD_CLOEXEC), O_RDWR);
	reopen("pidfd-rdonly", (int)syscall(SYS_pidfd_open, getpid(), 0), O_RDONLY);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	snprintf(root, sizeof(root), "%s", argv[1]);

	/* A file granted read-only: an fd for reading is not one for writing. */
	int ro = open(at("ro/file.txt"), O_RDONLY | O_CLOEXEC);
	report("open-ro", ro);
	reopen("ro-reopen-rdwr", ro, O_RDWR);
	reopen("ro-reopen-wronly-trunc", ro, O_WRONLY | O_TRUNC);
	reopen("ro-reopen-append", ro, O_WRONLY | O_APPEND);
	reopen("ro-reopen-creat", ro, O_RDWR | O_CREAT);
	reopen("ro-reopen-rdonly", ro, O_RDONLY);

	/* A file the policy lets the caller write that its mode does not (root's, 0444). */
	int lk = open(at("rw/locked"), O_RDONLY | O_CLOEXEC);
	report("open-locked", lk);
	reopen("locked-reopen-rdwr", lk, O_RDWR);

	/* fd 0, the secret: readable through the fd it was given, but no new open of it. */
	reopen("secret-reopen-rdonly", 0, O_RDONLY);
	reopen("secret-reopen-rdwr", 0, O_RDWR);
	reopen("secret-reopen-nofollow", 0, O_RDONLY | O_NOFOLLOW);
	reopen("secret-reopen-path", 0, O_PATH);

	/* A directory fd: no file made "in" it through its magic link, no write open. */
	int dir = open(at("dir"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	report("open-dir", dir);
	reopen("dir-reopen-creat", dir, O_RDWR | O_CREAT);
	reopen("dir-reopen-creat-excl", dir, O_RDWR | O_CREAT | O_EXCL);
	reopen("dir-reopen-rdwr", dir, O_RDWR);

	/* A file opened under a writable path, moved to one that grants no read. */
	int w = open(at("rw/moving"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	report("open-moving", w);
	report("rename-moving", rename(at("rw/moving"), at("drop/moved")));
	reopen("moved-reopen-rdonly", w, O_RDONLY);
	reopen("moved-reopen-wronly", w, O_WRONLY);

	/* A file unlinked after it was opened: no name, no reopen. */
	int d = open(at("rw/gone"), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
	report("open-gone", d);
	report("unlink-gone", unlink(at("rw/gone")));
	reopen("deleted-reopen-rdwr", d, O_RDWR);

	anonymous_fds();
	return 0;
}
