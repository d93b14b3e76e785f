/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "proc.h"
#include "resolve.h"

static int openat2_path(int dirfd, const char *path, bool follow, bool directory, uint64_t rflags)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW) |
			 (directory ? O_DIRECTORY : 0),
		.resolve = RESOLVE_NO_MAGICLINKS | rflags,
	};
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/*
 * The broker's own /proc/PID/fd, opened once per process: naming "N" in it costs one lookup,
 * where "/proc/self/fd/N" walks four components and a symlink on every call (about 1 µs of the
 * 2.6 µs a readlink of it takes here; docs/performance.md). The broker's one thread is its only
 * user: no lock.
 */
static int self_fds = -1;
static pid_t self_fds_pid;

int sb_self_fds(void)
{
	pid_t me = sb_self_pid();
	int fd;

	if (self_fds >= 0 && self_fds_pid != me) {
		/* Inherited across a fork: it names the parent's table. */
		close(self_fds);
		self_fds = -1;
	}
	if (self_fds < 0) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/fd", (int)me);
		self_fds = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		self_fds_pid = me;
	}
	fd = self_fds < 0 ? -errno : self_fds;
	return fd;
}

int sb_fd_name(int fd, char buf[16])
{
	int dir = sb_self_fds();
	if (dir < 0)
		return dir;
	snprintf(buf, 16, "%d", fd);
	return dir;
}

int sb_fd_path(int fd, char *buf, size_t size)
{
	char name[16];
	int dir = sb_fd_name(fd, name);
	if (dir < 0)
		return dir;
	ssize_t n = readlinkat(dir, name, buf, size);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = 0;
	/* Only absolute names are paths; "pipe:[...]", "anon_inode:..." and deleted files are not.
	 */
	if (buf[0] != '/')
		return -ENOENT;
	/*
	 * The kernel marks a file whose name is gone with " (deleted)"; a name may end so too. It
	 * is the file's own only if the name, not followed, is that file now.
	 */
	if (n > 10 && strcmp(buf + n - 10, " (deleted)") == 0) {
		struct stat a, b;
		if (fstat(fd, &a) < 0 || fstatat(AT_FDCWD, buf, &b, AT_SYMLINK_NOFOLLOW) < 0 ||
		    a.st_dev != b.st_dev || a.st_ino != b.st_ino)
			return -ENOENT;
	}
	return 0;
}

int sb_resolve(int dirfd, const char *path, enum sb_resolve_mode mode, uint64_t rflags,
	       struct sb_resolved *ret)
{
	_cleanup_close_ int fd = -1;
	size_t len = strnlen(path, PATH_MAX);
	int r;

	if (len == 0)
		return -ENOENT; /* the kernel's answer for "" without AT_EMPTY_PATH */
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	if (path[0] == '/' && !(rflags & RESOLVE_IN_ROOT))
		dirfd = AT_FDCWD;

	if (mode != SB_RESOLVE_PARENT) {
		fd = openat2_path(dirfd, path, mode == SB_RESOLVE_FOLLOW, false, rflags);
		if (fd < 0)
			return fd;
		r = sb_fd_path(fd, ret->path, sizeof(ret->path));
		if (r < 0)
			return r;
		ret->last[0] = 0;
		ret->fd = TAKE_FD(fd);
		return 0;
	}

	/* Split off the last component; trailing slashes belong to it ("a/b/" names b). */
	char dir[PATH_MAX];
	memcpy(dir, path, len + 1);
	while (len > 1 && dir[len - 1] == '/')
		dir[--len] = 0;
	char *slash = strrchr(dir, '/');
	const char *last = slash ? slash + 1 : dir;
	size_t llen = strlen(last);
	if (llen == 0)
		return -EINVAL; /* "/" has no parent to create in */
	if (llen > NAME_MAX)
		return -ENAMETOOLONG;
	if ((llen == 1 && last[0] == '.') || (llen == 2 && last[0] == '.' && last[1] == '.'))
		return -EINVAL;
	memcpy(ret->last, last, llen + 1);
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		strcpy(dir, "/");
	else
		*slash = 0;

	fd = openat2_path(dirfd, dir, true, true, rflags);
	if (fd < 0)
		return fd;
	r = sb_fd_path(fd, ret->path, sizeof(ret->path));
	if (r < 0)
		return r;
	size_t plen = strlen(ret->path);
	if (plen + 1 + llen >= sizeof(ret->path))
		return -ENAMETOOLONG;
	if (plen > 1)
		ret->path[plen++] = '/';
	memcpy(ret->path + plen, ret->last, llen + 1);
	ret->fd = TAKE_FD(fd);
	return 0;
}

int sb_own_fd_number(const char *path, pid_t pid)
{
	char self[32];
	const char *p = path;
	size_t n;

	if (!p || strncmp(p, "/proc/", 6) != 0)
		return -1;
	p += 6;
	snprintf(self, sizeof(self), "%d/fd/", (int)pid);
	if (strncmp(p, "self/fd/", 8) == 0)
		p += 8;
	else if (strncmp(p, "thread-self/fd/", 15) == 0)
		p += 15;
	else if (strncmp(p, self, (n = strlen(self))) == 0)
		p += n;
	else
		return -1;
	if (p[0] < '0' || p[0] > '9' || (p[0] == '0' && p[1] != 0))
		return -1;
	long v = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return -1;
	}
	return *p == 0 ? (int)v : -1;
}

/* The cwd of thread tid of process pid into *(int *)arg: 0, or -ENOENT to try the next. */
static int task_cwd(pid_t pid, const char *tid, void *arg)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/task/%.16s/cwd", (int)pid, tid);
	*(int *)arg = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return *(int *)arg < 0 ? -ENOENT : 0;
}

/* The fd a path is relative to: the caller's dirfd, or its cwd. -1 for absolute paths. */
int sb_relative_base(pid_t pid, int pidfd, const char *path, bool has_dirfd, uint64_t dirfd_arg,
		     int *ret)
{
	*ret = -1;
	if (path && path[0] == '/')
		return 0;
	int dfd = (int)dirfd_arg;
	if (!has_dirfd || dfd == AT_FDCWD) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/cwd", (int)pid);
		*ret = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		/*
		 * A trap caller names its process, whose main thread may have exited (pthread_exit)
		 * and left no cwd: its other threads share the process's (CLONE_FS).
		 */
		if (*ret < 0 && errno == ENOENT && sb_proc_each_task(pid, task_cwd, ret) < 0)
			errno = ENOENT;
	} else {
		if (dfd < 0)
			return -EBADF;
		*ret = sb_pidfd_getfd(pid, pidfd, dfd);
	}
	return *ret < 0 ? -errno : 0;
}
