/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * POSIX record locks and the direct try's open and close (sandboxee/direct.c, sb_kg_no_files()).
 * Each mode prints a line to compare with a native run.
 *     lock-probe -F FILE
 * A second thread stats FILE in a loop; the main thread forks 10 times, and each child takes a
 * read lock on FILE and exits. Prints how many children were still running 2 s later (killed
 * then): natively none.
 *     lock-probe -p FILE FIFO
 * A second thread opens FIFO (no writer yet) for reading; the main thread locks FILE, then opens
 * FIFO for writing, which lets the reader in. Prints each step: natively both opens succeed.
 *     lock-probe -s FILE RUNS
 * RUNS times, a child stats FILE in a loop until a SIGALRM handler (an itimer a few
 * milliseconds away) has taken a read lock on FILE; then a process of its own asks whether the
 * lock is still held. Prints in how many runs it was gone: natively none.
 *     lock-probe -j FILE FIFO
 * A second thread opens FIFO (no writer) for reading with a timeout: alarm(1) and a SIGALRM
 * handler that siglongjmps out of the open. Once it is done, the main thread locks FILE. Prints
 * each step: natively both.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *file;
static volatile int stop;

static void *statter(void *a)
{
	struct stat st;
	while (!stop)
		stat(file, &st);
	return a;
}

/* Whether pid ended within ms milliseconds (else it is killed). */
static int ended(pid_t pid, int ms)
{
	int st;
	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return 1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 0;
}

static int fork_lock(void)
{
	pthread_t t;
	int stuck = 0;
	if (pthread_create(&t, NULL, statter, NULL))
		return 2;
	usleep(50000);
	for (int i = 0; i < 10; i++) {
		pid_t p = fork();
		if (p == 0) {
			int fd = open(file, O_RDONLY);
			struct flock l = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
			_exit(fcntl(fd, F_SETLK, &l) == 0 ? 0 : 1);
		}
		if (p > 0 && !ended(p, 2000))
			stuck++;
	}
	stop = 1;
	pthread_join(t, NULL);
	printf("children stuck in their lock: %d\n", stuck);
	return 0;
}

static const char *fifo;

static void *fifo_reader(void *a)
{
	int fd = open(fifo, O_RDONLY);
	printf("reader: open %s\n", fd >= 0 ? "ok" : strerror(errno));
	fflush(stdout);
	return a;
}

static int fifo_lock(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, fifo_reader, NULL))
		return 2;
	usleep(300000); /* the reader waits for a writer */
	int fd = open(file, O_RDONLY);
	struct flock l = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	int r = fcntl(fd, F_SETLK, &l);
	int w = open(fifo, O_WRONLY);
	pthread_join(t, NULL);
	printf("lock: %s\nwriter: open %s\n", r == 0 ? "ok" : "failed", w >= 0 ? "ok" : "failed");
	return 0;
}

static int lock_fd;
static volatile sig_atomic_t locked;

static void on_alarm(int sig)
{
	struct flock l = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	(void)sig;
	if (fcntl(lock_fd, F_SETLK, &l) == 0)
		locked = 1;
}

/* Whether another process is refused a write lock on file. */
static int held(void)
{
	int st;
	pid_t p = fork();
	if (p == 0) {
		int fd = open(file, O_RDONLY);
		struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		if (fd < 0 || fcntl(fd, F_GETLK, &l) < 0)
			_exit(2);
		_exit(l.l_type != F_UNLCK ? 0 : 1);
	}
	waitpid(p, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int signal_lock(int runs)
{
	int lost = 0;
	for (int i = 0; i < runs; i++) {
		int st;
		pid_t p = fork();
		if (p == 0) {
			struct stat sb;
			struct itimerval it = { .it_value = { 0, 1000 + (i * 137) % 4000 } };
			lock_fd = open(file, O_RDONLY);
			signal(SIGALRM, on_alarm);
			setitimer(ITIMER_REAL, &it, NULL);
			while (!locked)
				stat(file, &sb);
			_exit(held() ? 0 : 1);
		}
		waitpid(p, &st, 0);
		lost += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	printf("lock gone after a stat in %d of %d runs\n", lost, runs);
	return 0;
}

static sigjmp_buf timed_out;

static void on_timeout(int sig)
{
	(void)sig;
	siglongjmp(timed_out, 1);
}

static void *fifo_timed(void *a)
{
	sigset_t m;
	struct sigaction sa = { .sa_handler = on_timeout };
	sigemptyset(&m);
	sigaddset(&m, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &m, NULL);
	sigaction(SIGALRM, &sa, NULL);
	if (sigsetjmp(timed_out, 1) == 0) {
		alarm(1);
		open(fifo, O_RDONLY);
	}
	printf("reader: open timed out\n");
	fflush(stdout);
	return a;
}

static int fifo_jump(void)
{
	pthread_t t;
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &m, NULL); /* the alarm is the reader's */
	if (pthread_create(&t, NULL, fifo_timed, NULL))
		return 2;
	pthread_join(t, NULL);
	int fd = open(file, O_RDONLY);
	struct flock l = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	printf("lock: %s\n", fcntl(fd, F_SETLK, &l) == 0 ? "ok" : "failed");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "-F") == 0) {
		file = argv[2];
		return fork_lock();
	}
	if (argc == 4 && strcmp(argv[1], "-p") == 0) {
		file = argv[2];
		fifo = argv[3];
		return fifo_lock();
	}
	if (argc == 4 && strcmp(argv[1], "-s") == 0) {
		file = argv[2];
		return signal_lock(atoi(argv[3]));
	}
	if (argc == 4 && strcmp(argv[1], "-j") == 0) {
		file = argv[2];
		fifo = argv[3];
		return fifo_jump();
	}
	fprintf(stderr, "usage: lock-probe -F FILE | -p FILE FIFO | -s FILE RUNS | -j FILE FIFO\n");
	return 2;
}
