/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The building blocks of a brokered call, measured on this machine: the syscalls the broker
 * makes for one call, and the ways two processes can hand a request to each other (a socketpair
 * that sleeps, one that polls, and a shared-memory word that spins), on one CPU and across two.
 * docs/performance.md explains the fast path's choices with these numbers.
 *
 *     build/tests/bench/bench-costs [ITERATIONS]
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long iters = 100000;

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

#define MEASURE(name, stmt)                                                                        \
	do {                                                                                       \
		double t0_ = now_ns();                                                             \
		for (long i_ = 0; i_ < iters; i_++) {                                              \
			stmt;                                                                      \
		}                                                                                  \
		printf("%-44s %9.0f ns\n", name, (now_ns() - t0_) / (double)iters);                \
	} while (0)

static void pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof(s), &s) < 0) {
		perror("sched_setaffinity");
		exit(1);
	}
}

enum mode { SLEEP, POLL, SPIN, SHM, HYBRID };

/* A round trip between two processes: the parent asks, the child answers. */
static void pingpong(const char *name, enum mode mode, int cpu_a, int cpu_b)
{
	int sv[2];
	long n = iters / 10;
	_Atomic int *word =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (word == MAP_FAILED || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) {
		perror("setup");
		exit(1);
	}
	atomic_store(word, 0);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	char c = 0;
	int flags = mode == SLEEP ? 0 : MSG_DONTWAIT;
	if (pid == 0) {
		pin(cpu_b);
		for (long i = 0; i < n; i++) {
			if (mode == SHM) {
				while (atomic_load_explicit(word, memory_order_acquire) != 1)
					;
				atomic_store_explicit(word, 2, memory_order_release);
				continue;
			}
			while (recv(sv[1], &c, 1, flags) < 0 && errno == EAGAIN)
				if (mode == POLL)
					sched_yield();
			if (mode == HYBRID)
				atomic_store_explicit(word, 2, memory_order_release);
			else if (send(sv[1], &c, 1, 0) < 0)
				_exit(1);
		}
		_exit(0);
	}
	pin(cpu_a);
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		if (mode == SHM || mode == HYBRID) {
			atomic_store_explicit(word, 1, memory_order_release);
			if (mode == HYBRID && send(sv[0], &c, 1, 0) < 0)
				break;
			while (atomic_load_explicit(word, memory_order_acquire) != 2)
				;
			continue;
		}
		if (send(sv[0], &c, 1, 0) < 0)
			break;
		while (recv(sv[0], &c, 1, flags) < 0 && errno == EAGAIN)
			if (mode == POLL)
				sched_yield();
	}
	printf("%-44s %9.0f ns\n", name, (now_ns() - t0) / (double)n);
	waitpid(pid, NULL, 0);
	close(sv[0]);
	close(sv[1]);
	munmap((void *)word, 4096);
}

int main(int argc, char **argv)
{
	struct stat st;
	char buf[4096];
	const char *file = "/etc/hostname";

	if (argc > 1)
		iters = strtol(argv[1], NULL, 10);
	if (iters < 100) {
		fprintf(stderr, "bench-costs: ITERATIONS must be at least 100\n");
		return 2;
	}
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	int fds = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fds < 0) {
		perror(file);
		return 1;
	}
	char link[64], name[16];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	snprintf(name, sizeof(name), "%d", fd);
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	pin(0);
	printf("# one CPU, %ld iterations each; per operation\n", iters);
	MEASURE("getppid", syscall(SYS_getppid));
	MEASURE("newfstatat", fstatat(AT_FDCWD, file, &st, 0));
	MEASURE("openat + close", close(open(file, O_RDONLY | O_CLOEXEC)));
	MEASURE("pread 4 KiB", (void)!pread(fd, buf, sizeof(buf), 0));
	MEASURE("openat2 O_PATH + close (broker: resolve)",
		close((int)syscall(SYS_openat2, AT_FDCWD, file, &how, sizeof(how))));
	MEASURE("readlink /proc/self/fd/N (canonical path)",
		(void)!readlink(link, buf, sizeof(buf)));
	MEASURE("readlinkat(/proc/self/fd, N)", (void)!readlinkat(fds, name, buf, sizeof(buf)));
	MEASURE("open /proc/self/fd/N + close (reopen)", close(open(link, O_RDONLY | O_CLOEXEC)));
	MEASURE("openat(/proc/self/fd, N) + close", close(openat(fds, name, O_RDONLY | O_CLOEXEC)));
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		return 1;
	}
	MEASURE("recv, nothing there (one poll)", (void)!recv(sv[0], buf, 1, MSG_DONTWAIT));
	MEASURE("sched_yield, nothing else to run", sched_yield());

	printf("# round trips between two processes\n");
	pingpong("socketpair, sleeping, same CPU", SLEEP, 0, 0);
	pingpong("socketpair, polling + yield, same CPU", POLL, 0, 0);
	if (ncpu > 1) {
		pingpong("socketpair, sleeping, two CPUs", SLEEP, 0, 1);
		pingpong("socketpair, polling + yield, two CPUs", POLL, 0, 1);
		pingpong("socketpair, polling, two CPUs", SPIN, 0, 1);
		pingpong("request on socketpair, answer in memory", HYBRID, 0, 1);
		pingpong("shared memory, spinning, two CPUs", SHM, 0, 1);
	} else {
		printf("# one CPU online: no cross-CPU rows\n");
	}
	return 0;
}
