/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Attacks on the broker's isolation (issue 16), run under `sysbroker run` by
 * test-broker-isolation.sh, built dynamic (trap) and static (notify). One line per attempt:
 *
 *   NAME ret=R errno=E [ms=ELAPSED]
 *
 *   threads ROOT HOST PORT         a child connects (blocking) to HOST:PORT, which never
 *                                  answers; meanwhile, once ROOT/go exists, SIGSTOP and SIGKILL
 *                                  every TID listed in ROOT/tids but the broker's pid (BROKER:
 *                                  the parent, `sysbroker run` itself), open
 *                                  /proc/TID/{environ,maps,fd} and /proc/BROKER/task/TID/environ
 *                                  for each, then a granted open; then wait to be ended
 *   churn HOST PORT N              N callers in turn start a connect to HOST:PORT and are killed
 *                                  while it waits; then one more connect must still be let wait
 *   lease FILE                     a read lease on FILE, then an open for writing and a truncate
 *                                  of FILE from two children and a thread of the holder's, and a
 *                                  stat from a third child
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void report(const char *what, long r, const struct timespec *t0)
{
	const char *e = r < 0 ? strerrorname_np((int)-r) : "0";
	if (t0)
		printf("%s ret=%ld errno=%s ms=%ld\n", what, r < 0 ? -1 : r, e ? e : "?",
		       ms_since(t0));
	else
		printf("%s ret=%ld errno=%s\n", what, r < 0 ? -1 : r, e ? e : "?");
	fflush(stdout);
}

static long ret(long r)
{
	return r < 0 ? -errno : r;
}

static void open_report(const char *what, const char *path, int flags)
{
	long r = ret(open(path, flags | O_CLOEXEC));
	report(what, r, NULL);
	if (r >= 0)
		close((int)r);
}

static pid_t connector(const char *host, int port)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, host, &a.sin_addr);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	report("connect", ret(connect(s, (struct sockaddr *)&a, sizeof(a))), NULL);
	_exit(0);
}

/* The TIDs the script listed, once it says go (a few seconds at most). */
static int wait_tids(const char *root, long *tids, int max)
{
	char p[4096];
	struct stat st;
	snprintf(p, sizeof(p), "%s/go", root);
	for (int i = 0; i < 200 && stat(p, &st) < 0; i++)
		usleep(50000);
	snprintf(p, sizeof(p), "%s/tids", root);
	FILE *f = fopen(p, "re");
	int n = 0;
	while (f && n < max && fscanf(f, "%ld", &tids[n]) == 1)
		n++;
	if (f)
		fclose(f);
	return n;
}

static void attack_tid(long broker, long tid)
{
	char w[96], p[96];
	/* A thread of the broker: stopping or killing it would stop or kill the broker. */
	if (tid != broker) {
		snprintf(w, sizeof(w), "kill-stop-tid-%ld", tid);
		report(w, ret(kill((pid_t)tid, SIGSTOP)), NULL);
		snprintf(w, sizeof(w), "tgkill-stop-tid-%ld", tid);
		report(w, ret(syscall(SYS_tgkill, broker, tid, SIGSTOP)), NULL);
		snprintf(w, sizeof(w), "kill-kill-tid-%ld", tid);
		report(w, ret(kill((pid_t)tid, SIGKILL)), NULL);
	}
	static const char *const what[] = { "environ", "maps", "fd" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "/proc/%ld/%s", tid, what[i]);
		snprintf(w, sizeof(w), "open-proc-tid-%s", what[i]);
		open_report(w, p, O_RDONLY);
		snprintf(p, sizeof(p), "/proc/%ld/task/%ld/%s", broker, tid, what[i]);
		snprintf(w, sizeof(w), "open-proc-task-tid-%s", what[i]);
		open_report(w, p, O_RDONLY);
	}
}

static int cmd_threads(const char *root, const char *host, int port)
{
	long broker = getppid();
	long tids[256];
	char p[4096];
	struct stat st;

	pid_t child = connector(host, port);
	/* Brokered calls while the connect waits: answered. */
	report("stat-while-connecting", ret(stat(root, &st)), NULL);
	printf("waiting-for-go\n");
	fflush(stdout);
	int n = wait_tids(root, tids, 256);
	printf("broker %ld\ntids %d\n", broker, n);
	for (int i = 0; i < n; i++)
		attack_tid(broker, tids[i]);
	snprintf(p, sizeof(p), "%s/granted.txt", root);
	open_report("open-after", p, O_RDONLY);
	printf("attacks-done\n");
	fflush(stdout);
	/* The connect still waits; --timeout ends both. */
	(void)child;
	for (;;)
		pause();
	return 0;
}

/* A sleep that the lease break's SIGIO does not cut short. */
static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * More callers than the broker lets wait at once (64) each start a connect that waits and die:
 * each waiting call must be dropped with its caller, or the last connect would get EAGAIN.
 */
static int cmd_churn(const char *host, int port, int n)
{
	for (int i = 0; i < n; i++) {
		pid_t c = connector(host, port);
		sleep_ms(40);
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
	}
	sleep_ms(100);
	pid_t last = connector(host, port);
	sleep_ms(500);
	printf("churn-done %d\n", n);
	fflush(stdout);
	kill(last, SIGKILL);
	waitpid(last, NULL, 0);
	return 0;
}

static void on_sigio(int sig)
{
	(void)sig;
}

static pid_t in_child(const char *what, const char *file, int kind)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	struct timespec t0;
	struct stat st;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long r = kind == 0   ? ret(open(file, O_WRONLY | O_CLOEXEC))
		 : kind == 1 ? ret(truncate(file, 3))
			     : ret(stat(file, &st));
	report(what, r, &t0);
	_exit(0);
}

static const char *lease_file;
/* A thread of the holder's own process (over the trap, it waits on its reply slot). */
static void *lease_thread(void *arg)
{
	struct timespec t0;
	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long r = ret(open(lease_file, O_WRONLY | O_CLOEXEC));
	report("open-write-leased-thread", r, &t0);
	if (r >= 0)
		close((int)r);
	return NULL;
}

static int cmd_lease(const char *file)
{
	pthread_t th;
	struct sigaction sa = { .sa_handler = on_sigio };
	sigaction(SIGIO, &sa, NULL);
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	report("open-lease-holder", fd, NULL);
	report("set-lease", ret(fcntl(fd, F_SETLEASE, F_RDLCK)), NULL);
	pid_t w = in_child("open-write-leased", file, 0);
	pid_t t = in_child("truncate-leased", file, 1);
	lease_file = file;
	report("thread", -pthread_create(&th, NULL, lease_thread, NULL), NULL);
	sleep_ms(300);
	/* The broker keeps serving meanwhile. */
	pid_t s = in_child("stat-during-lease", file, 2);
	waitpid(s, NULL, 0);
	/* Give the lease up, as a holder does when told: the writer's open completes. */
	sleep_ms(200);
	report("release-lease", ret(fcntl(fd, F_SETLEASE, F_UNLCK)), NULL);
	waitpid(w, NULL, 0);
	waitpid(t, NULL, 0);
	pthread_join(th, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("start %s\n", argc > 1 ? argv[1] : "");
	if (argc == 5 && strcmp(argv[1], "threads") == 0)
		return cmd_threads(argv[2], argv[3], atoi(argv[4]));
	if (argc == 5 && strcmp(argv[1], "churn") == 0)
		return cmd_churn(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 3 && strcmp(argv[1], "lease") == 0)
		return cmd_lease(argv[2]);
	return 2;
}
