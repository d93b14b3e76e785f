/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "proc.h"

static pid_t self_pid; /* 0: not read yet in this process */
static pthread_once_t self_pid_once = PTHREAD_ONCE_INIT;
static bool self_pid_kept;

static void self_pid_forget(void)
{
	__atomic_store_n(&self_pid, 0, __ATOMIC_RELAXED);
}

static void self_pid_register(void)
{
	self_pid_kept = pthread_atfork(NULL, NULL, self_pid_forget) == 0;
}

pid_t sb_self_pid(void)
{
	pthread_once(&self_pid_once, self_pid_register);
	if (!self_pid_kept)
		return getpid();
	pid_t me = __atomic_load_n(&self_pid, __ATOMIC_RELAXED);
	if (me == 0) {
		me = getpid();
		__atomic_store_n(&self_pid, me, __ATOMIC_RELAXED);
	}
	return me;
}

ssize_t sb_proc_read(pid_t pid, const char *name, char *buf, size_t size)
{
	char p[64];
	if (size == 0)
		return -EINVAL;
	snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, name);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return n;
}

/*
 * The status files of the last few callers, held open: a read of a held one costs the kernel's
 * formatting only, about a third less than opening /proc/PID/status again (its walk and the open
 * and close of a seq_file), on every create (the umask) and chown (the credentials). What it says
 * is read anew each time. The file belongs to the task, not to the number: once that task is
 * reaped a read fails with ESRCH, and the number, if a new task has it, is opened again. A
 * number cannot change hands while a zombie holds it. Direct-mapped by number; the broker's one
 * thread is its only user: no lock.
 */
#define STATUS_SLOTS 8
static struct {
	pid_t pid;   /* 0: empty */
	pid_t owner; /* the process that opened fd: a forked child must not use its parent's */
	int fd;
} status_held[STATUS_SLOTS];

static ssize_t read_held(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return n;
}

ssize_t sb_proc_status(pid_t pid, char *buf, size_t size)
{
	unsigned slot = (unsigned)pid % STATUS_SLOTS;
	pid_t me = sb_self_pid();
	char p[64];

	if (size == 0 || pid <= 0)
		return -EINVAL;
	if (status_held[slot].pid == pid && status_held[slot].owner == me) {
		ssize_t n = read_held(status_held[slot].fd, buf, size);
		if (n != -ESRCH)
			return n;
	}
	if (status_held[slot].pid != 0 && status_held[slot].owner == me)
		close(status_held[slot].fd);
	status_held[slot].pid = 0;
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ssize_t n = read_held(fd, buf, size);
	if (n < 0) {
		close(fd);
		return n;
	}
	status_held[slot].pid = pid;
	status_held[slot].owner = me;
	status_held[slot].fd = fd;
	return n;
}

/* Where the numbers of line "KEY:" start, or NULL (n: the length of the "\nKEY:" prefix). */
static const char *status_line(const char *status, const char *key)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "\n%s:", key);
	if (n < 0 || (size_t)n >= sizeof(line))
		return NULL;
	const char *at = strstr(status, line);
	return at ? at + n : NULL;
}

int sb_proc_status_number(const char *status, const char *key, int base, uint64_t *ret)
{
	const char *at = status_line(status, key);
	if (!at)
		return -ENOENT;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(at, &end, base);
	if (end == at || errno)
		return -EIO;
	*ret = v;
	return 0;
}

int sb_proc_status_numbers(const char *status, const char *key, int base, uint64_t *v, int max)
{
	const char *p = status_line(status, key);
	if (!p)
		return -ENOENT;
	for (int n = 0;; n++) {
		p += strspn(p, " \t");
		if (*p == '\n' || *p == 0)
			return n;
		char *end;
		errno = 0;
		unsigned long long x = strtoull(p, &end, base);
		if (end == p || errno || n >= max)
			return -EIO;
		v[n] = x;
		p = end;
	}
}

int sb_proc_each_task(pid_t pid, int (*fn)(pid_t pid, const char *tid, void *arg), void *arg)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/task", (int)pid);
	DIR *d = opendir(p);
	if (!d)
		return -errno;
	int r = -ENOENT;
	for (struct dirent *e; r == -ENOENT && (e = readdir(d));)
		if (e->d_name[0] != '.')
			r = fn(pid, e->d_name, arg);
	closedir(d);
	return r;
}

static int task_umask(pid_t pid, const char *tid, void *arg)
{
	char name[64], buf[1024];
	snprintf(name, sizeof(name), "task/%.16s/status", tid);
	ssize_t n = sb_proc_read(pid, name, buf, sizeof(buf));
	return n < 0 ? -ENOENT : sb_proc_status_number(buf, "Umask", 8, arg);
}

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9 */
#endif

/*
 * pidfd_getfd through thread tid of process pid: a[0] the fd, a[1] the copy. The thread is
 * pinned by /proc/PID/task/TID (a lookup in pid's own thread group) before its pidfd is made by
 * number, and found alive there after: a number that went to another process in between is
 * never used.
 */
static int task_getfd(pid_t pid, const char *tid, void *arg)
{
	int *a = arg;
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/task/%.16s", (int)pid, tid);
	_cleanup_close_ int dir = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int pfd =
		dir < 0 ? -1 : (int)syscall(SYS_pidfd_open, (pid_t)atoi(tid), PIDFD_THREAD);
	_cleanup_close_ int alive = pfd < 0 ? -1 : openat(dir, "stat", O_RDONLY | O_CLOEXEC);
	if (alive < 0)
		return -ENOENT;
	a[1] = (int)syscall(SYS_pidfd_getfd, pfd, a[0], 0);
	return a[1] >= 0 ? 0 : errno == ESRCH ? -ENOENT : -errno;
}

int sb_pidfd_getfd(pid_t pid, int pidfd, int fd)
{
	int r = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (r >= 0 || errno != ESRCH || pid <= 0)
		return r;
	/*
	 * A process whose main thread has exited (pthread_exit) while others run: its pidfd
	 * names that zombie, which holds no fd table. The fd table its threads share does.
	 */
	int a[2] = { fd, -1 };
	r = sb_proc_each_task(pid, task_getfd, a);
	if (r < 0) {
		errno = r == -ENOENT ? ESRCH : -r;
		return -1;
	}
	return a[1];
}

int sb_proc_umask(pid_t pid, mode_t *ret)
{
	char buf[1024];          /* "Umask:" is the second line */
	uint64_t v = UINT64_MAX; /* none read: EIO */
	ssize_t n = sb_proc_status(pid, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	int r = sb_proc_status_number(buf, "Umask", 8, &v);
	/*
	 * A process that goes on after its main thread exited (pthread_exit): that thread is a
	 * zombie without file system state, whose status has no umask. Its other threads share the
	 * process's (pthread_create clones with CLONE_FS): a live one tells.
	 */
	if (r == -ENOENT)
		r = sb_proc_each_task(pid, task_umask, &v);
	if (r < 0)
		return r == -ENOENT ? -EIO : r;
	if (v > 0777)
		return -EIO;
	*ret = (mode_t)v;
	return 0;
}

int sb_proc_thread_status(int taskfd, const char *tid, struct sb_thread_status *ret)
{
	char path[64], buf[4096];
	uint64_t v;

	*ret = (struct sb_thread_status){ .nnp = -1 };
	snprintf(path, sizeof(path), "%s/status", tid);
	_cleanup_close_ int fd = openat(taskfd, path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		ret->dead = errno == ENOENT || errno == ESRCH;
		return ret->dead ? 0 : -errno;
	}
	buf[n] = 0;
	const char *st = strstr(buf, "\nState:");
	if (st) {
		st += strlen("\nState:");
		st += strspn(st, " \t");
		ret->dead = *st == 'Z' || *st == 'X';
	}
	static const char *const caps[] = { "CapInh", "CapPrm", "CapEff", "CapAmb" };
	for (size_t i = 0; i < ELEMENTSOF(caps); i++)
		if (sb_proc_status_number(buf, caps[i], 16, &v) == 0 && v != 0)
			ret->caps = true;
	if (sb_proc_status_number(buf, "NoNewPrivs", 10, &v) == 0)
		ret->nnp = v != 0;
	if (sb_proc_status_number(buf, "SigBlk", 16, &v) == 0)
		ret->sigblk = v;
	return 0;
}

DIR *sb_opendir_dup(int fd)
{
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d && dfd >= 0) {
		int e = errno;
		close(dfd);
		errno = e;
	}
	return d;
}
