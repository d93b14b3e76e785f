/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The broker applies the caller's umask to what it creates, read from the caller's /proc status,
 * which it keeps open between calls (common/proc.c). What it reads must be the caller's umask as
 * it is now: after the caller changed it, and when a new process has taken a finished one's pid.
 *     caller-status DIR same|reuse
 * same: umask changes within one process. reuse: a finished process's pid taken by a new one
 * (run in a pid namespace with a small pid_max, or the pid comes back too rarely: exit 77).
 * leader-gone: the main thread has exited (pthread_exit) and another thread creates, by a name
 * relative to the cwd and to a dirfd, while the process's own status is its zombie leader's,
 * which has no umask, no cwd and no fd table.
 * Exit 0, or 1 with the reason on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int fails;

static void expect_mode(const char *name, mode_t want)
{
	struct stat st;
	if (stat(name, &st) < 0) {
		fprintf(stderr, "%s: %s\n", name, strerror(errno));
		fails++;
	} else if ((st.st_mode & 07777) != want) {
		fprintf(stderr, "%s: mode %o, want %o\n", name, st.st_mode & 07777, want);
		fails++;
	}
}

/* Create file NAME (0666) and directory NAME.d (0777) under umask um. */
static int create_pair(const char *name, mode_t um)
{
	char dir[64];
	umask(um);
	int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(dir, sizeof(dir), "%s.d", name);
	return mkdir(dir, 0777);
}

static void check_pair(const char *name, mode_t um)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "%s.d", name);
	expect_mode(name, 0666 & ~um);
	expect_mode(dir, 0777 & ~um);
}

static int same(void)
{
	static const mode_t masks[] = { 077, 0, 027, 022, 007 };
	char name[32];
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		snprintf(name, sizeof(name), "same%zu", i);
		if (create_pair(name, masks[i]) < 0) {
			fprintf(stderr, "%s: %s\n", name, strerror(errno));
			return 1;
		}
		check_pair(name, masks[i]);
	}
	return fails ? 1 : 0;
}

/*
 * Fork children until one has pid want (want 0: any pid from 300 up, where a pid namespace's pids
 * wrap around to) and run fn there: its pid, 0 if no such pid came, -1 if fn failed.
 */
static pid_t in_child(pid_t want, int (*fn)(void))
{
	for (int i = 0; i < 5000; i++) {
		pid_t p = fork();
		if (p < 0)
			return -1;
		if (p == 0) {
			bool mine = want ? getpid() == want : getpid() >= 300;
			_exit(!mine ? 3 : fn() == 0 ? 0 : 1);
		}
		int status;
		if (waitpid(p, &status, 0) < 0 || !WIFEXITED(status))
			return -1;
		if (WEXITSTATUS(status) == 3)
			continue;
		return WEXITSTATUS(status) == 0 ? p : -1;
	}
	return 0;
}

static int first(void)
{
	return create_pair("first", 077);
}

static int second(void)
{
	return create_pair("second", 0);
}

static int reuse(void)
{
	pid_t p = in_child(0, first);
	if (p <= 0) {
		fprintf(stderr, "first: failed\n");
		return 1;
	}
	pid_t q = in_child(p, second);
	if (q == 0) {
		fprintf(stderr, "pid %d did not come back\n", (int)p);
		return 77;
	}
	if (q < 0) {
		fprintf(stderr, "second (pid %d): failed\n", (int)p);
		return 1;
	}
	check_pair("first", 077);
	check_pair("second", 0);
	return fails ? 1 : 0;
}

/* Whether the main thread of this process is a zombie (it has exited, the process has not). */
static bool leader_dead(void)
{
	char p[64], st[256];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)getpid());
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, st, sizeof(st) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	st[n] = 0;
	const char *e = strrchr(st, ')');
	return e && e[1] == ' ' && e[2] == 'Z';
}

static void *after_leader(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000 && !leader_dead(); i++)
		usleep(10000);
	if (!leader_dead()) {
		fprintf(stderr, "the main thread did not exit\n");
		exit(1);
	}
	if (create_pair("gone", 027) < 0) {
		fprintf(stderr, "gone: %s\n", strerror(errno));
		exit(1);
	}
	check_pair("gone", 027);
	/* Relative to a dirfd: the broker takes it from the fd table the threads share. */
	int d = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = d < 0 ? -1 : openat(d, "gone-at", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		fprintf(stderr, "gone-at: %s\n", strerror(errno));
		exit(1);
	}
	close(fd);
	close(d);
	expect_mode("gone-at", 0666 & ~027);
	exit(fails ? 1 : 0);
}

static int leader_gone(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, after_leader, NULL) != 0)
		return 1;
	pthread_exit(NULL);
}

int main(int argc, char **argv)
{
	if (argc != 3 || chdir(argv[1]) < 0)
		return 2;
	if (strcmp(argv[2], "same") == 0)
		return same();
	if (strcmp(argv[2], "reuse") == 0)
		return reuse();
	if (strcmp(argv[2], "leader-gone") == 0)
		return leader_gone();
	return 2;
}
