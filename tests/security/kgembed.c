/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sb_sandbox_enter with kernel grants, attacked from a signal handler (test-kgembed.sh): the
 * filters allow the runtime's cookie openat, and the Landlock domain that makes that safe comes
 * with the same call. A handler of the program that runs on the calling thread while
 * sb_sandbox_enter works, once a filter is in place, makes the cookie call on a secret the policy
 * refuses. It must never read a byte.
 *     kgembed DIR ROUNDS   DIR holds g/file.txt (granted) and secret (refused)
 * TAP output; exit 77 where the kernel has no Landlock.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kgcookie.h"
#include "sysbroker.h"

static char secret[4096], granted[4096];
static int status_fd = -1;
static const uint64_t cookie = SB_KG_COOKIE;
static volatile sig_atomic_t leaked, tries;

static long raw_openat(const char *path, uint64_t mode)
{
	long ret;
	register long r10 __asm__("r10") = (long)mode;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_openat), "D"((long)AT_FDCWD), "S"(path),
			   "d"((long)O_RDONLY), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Whether a seccomp filter is on this thread: "Seccomp:\t2" in /proc/self/status. */
static int filtered(void)
{
	char b[4096];
	ssize_t n = pread(status_fd, b, sizeof(b) - 1, 0);
	if (n <= 0)
		return 0;
	b[n] = 0;
	const char *s = strstr(b, "\nSeccomp:");
	return s && strchr(s + 9, '2') == s + 10;
}

static void on_alarm(int sig)
{
	(void)sig;
	int e = errno;
	if (filtered()) {
		tries = tries + 1;
		long fd = raw_openat(secret, cookie);
		if (fd >= 0) {
			char c;
			if (read((int)fd, &c, 1) == 1)
				leaked = 1;
			close((int)fd);
		}
	}
	errno = e;
}

static int round_child(const char *dir)
{
	char pol[8192];
	snprintf(pol, sizeof(pol),
		 "sysbroker-policy 1\ndefault syscall deny errno ENOSYS\n"
		 "allow @default-runtime @process @signal @memory @ipc @time @file-read\n"
		 "default path deny errno EACCES\n"
		 "path %s/g read list stat\npath %s/g/** read list stat\n",
		 dir, dir);
	struct sb_policy *p = NULL;
	struct sb_policy_error err;
	if (sb_policy_load_string(pol, strlen(pol), "<kgembed>", &p, &err) < 0) {
		fprintf(stderr, "policy: %s\n", err.message);
		return 3;
	}
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { .it_interval = { 0, 20 }, .it_value = { 0, 20 } };
	setitimer(ITIMER_REAL, &it, NULL);
	int r = sb_sandbox_enter(p, NULL);
	struct itimerval off = { 0 };
	setitimer(ITIMER_REAL, &off, NULL);
	if (r < 0) {
		fprintf(stderr, "sb_sandbox_enter: %s\n", strerror(-r));
		return 3;
	}
	/* Afterwards the domain is in place: the same call is refused (else the test is wrong). */
	long fd = raw_openat(secret, SB_KG_COOKIE);
	if (fd >= 0 || raw_openat(granted, SB_KG_COOKIE) < 0) {
		fprintf(stderr, "after sb_sandbox_enter: the cookie call on the secret %s\n",
			fd >= 0 ? "succeeded" : "failed, and on the granted file too");
		return 4;
	}
	return leaked ? 1 : tries ? 0 : 2;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	long ver = syscall(SYS_landlock_create_ruleset, NULL, 0, 1UL);
	if (ver < 1) {
		printf("1..0 # SKIP no Landlock in this kernel\n");
		return 77;
	}
	snprintf(secret, sizeof(secret), "%s/secret", argv[1]);
	snprintf(granted, sizeof(granted), "%s/g/file.txt", argv[1]);
	status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	int rounds = atoi(argv[2]), leaks = 0, hit = 0, failed = 0;
	for (int i = 0; i < rounds; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			close(status_fd);
			status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
			_exit(round_child(argv[1]));
		}
		int st = 0;
		waitpid(pid, &st, 0);
		int code = WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
		leaks += code == 1;
		hit += code == 0 || code == 1;
		failed += code > 2;
	}
	printf("1..3\n");
	printf("%s 1 - every round entered the sandbox (%d failed)\n", failed ? "not ok" : "ok",
	       failed);
	printf("%s 2 - a handler ran with a filter in place in %d of %d rounds\n",
	       hit ? "ok" : "not ok", hit, rounds);
	printf("%s 3 - no round read the secret through the cookie (%d did)\n",
	       leaks ? "not ok" : "ok", leaks);
	return leaks || failed || !hit;
}
