/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The worker of the side-by-side benchmark (tests/bench/run-bench.sh, driven by bench.py): one
 * long-lived process per scenario, which times system calls one by one and sends the samples
 * back (after the driver has read the CPU counters, so that copying them is not counted).
 * It reads commands, one per line, on stdin and answers on stdout (the only descriptors
 * `sysbroker run` lets through):
 *
 *     hello                -> "OK <pid>"
 *     warm OP N            -> "OK 0"                 N calls, untimed
 *     run OP N             -> "OK N"                 N timed calls
 *     send                 -> "OK N" + N x uint32    the samples of the last run: ns from the
 *                                                    end of one call to the end of the next
 *                                                    (the call + one clock read + the loop)
 *     threads T N          -> "OK <wall ns>"         T pool threads make N newfstatat each
 *     quit
 *
 * An error is answered "ERR <text>", and every call is checked: a failing or wrong call is an
 * error, so that a broken sandbox cannot pass for a fast one. OP is none (the timing loop
 * alone: the clock overhead), getppid, stat (fstatat(AT_FDCWD, DATA/bench.dat, &st, 0)), open
 * (openat O_RDONLY|O_CLOEXEC + close) or read4k (pread of 4 KiB at offset 0 of an fd opened
 * before any sandbox).
 *
 *     sbbench native DATADIR            plain process
 *     sbbench allowall DATADIR          own filter of one instruction, SECCOMP_RET_ALLOW (the
 *                                       kernel's cost of having a filter at all)
 *     sbbench trapfloor DATADIR         own filter: getppid -> SECCOMP_RET_TRAP, answered by a
 *                                       SIGSYS handler (the trap mechanism, no broker)
 *     sbbench embed DATADIR POLICY LOG  sb_sandbox_enter(POLICY); single-threaded
 *     sbbench embed-threads DATADIR POLICY LOG   the same, then a pool of 4 threads
 *     sbbench sandboxed DATADIR [DENIED] already sandboxed (under `sysbroker run`); DENIED is
 *                                       the ungranted file checked (default DATADIR/denied.dat)
 *
 * Built twice: dynamically with libsysbroker, and with -static -DSB_BENCH_STATIC (no library:
 * under `sysbroker run` every brokered call of a static program goes over seccomp notify).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SB_BENCH_STATIC
#include <pthread.h>

#include "sysbroker.h"
#endif

#define MAX_CALLS (1u << 20)
#define POOL_THREADS 4
/* What the trap-floor handler answers for getppid: no real parent has this pid. */
#define TRAP_MAGIC 0x7ffff00dL

enum op { OP_NONE, OP_GETPPID, OP_STAT, OP_OPEN, OP_READ4K };

static const char *const op_names[] = { "none", "getppid", "stat", "open", "read4k" };

static char bench_path[4096];
static int read_fd = -1;
static long expected_ppid;
static uint32_t *samples;
static char errbuf[512];

static void die(const char *what)
{
	dprintf(1, "ERR %s: %s\n", what, strerror(errno));
	_exit(1);
}

static void set_error(const char *op, long ret, int err)
{
	snprintf(errbuf, sizeof(errbuf), "%s returned %ld (%s)", op, ret, strerror(err));
}

/* One call, checked. 0, or -1 with errbuf set. */
static inline int do_op(enum op op)
{
	struct stat st;
	char buf[4096];
	long r;

	switch (op) {
	case OP_NONE:
		return 0;
	case OP_GETPPID:
		r = getppid();
		if (r != expected_ppid) {
			set_error("getppid", r, errno);
			return -1;
		}
		return 0;
	case OP_STAT:
		r = fstatat(AT_FDCWD, bench_path, &st, 0);
		if (r != 0 || st.st_size < 4096) {
			set_error("newfstatat", r, errno);
			return -1;
		}
		return 0;
	case OP_OPEN:
		r = openat(AT_FDCWD, bench_path, O_RDONLY | O_CLOEXEC);
		if (r < 0) {
			set_error("openat", r, errno);
			return -1;
		}
		if (close((int)r) != 0) {
			set_error("close", -1, errno);
			return -1;
		}
		return 0;
	case OP_READ4K:
		r = pread(read_fd, buf, sizeof(buf), 0);
		if (r != (long)sizeof(buf)) {
			set_error("pread", r, errno);
			return -1;
		}
		return 0;
	}
	return 0;
}

static uint64_t ns_of(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

/*
 * Time n calls back to back: each sample runs from the clock read that ended the previous call
 * to the one that ends this call, so one clock read per call (the driver subtracts the median
 * of OP_NONE, measured by this same loop).
 */
static int run_timed(enum op op, size_t n, uint32_t *out)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (size_t i = 0; i < n; i++) {
		if (do_op(op) < 0)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		uint64_t d = ns_of(&b) - ns_of(&a);
		out[i] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
		a = b;
	}
	return 0;
}

static int run_untimed(enum op op, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (do_op(op) < 0)
			return -1;
	return 0;
}

static void write_all(const void *p, size_t len)
{
	const char *c = p;
	while (len > 0) {
		ssize_t w = write(1, c, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(1);
		c += w;
		len -= (size_t)w;
	}
}

/* --- trap floor: the mechanism alone ------------------------------------------------------ */

static void floor_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	if (si->si_syscall != __NR_getppid)
		_exit(3);
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = TRAP_MAGIC;
#elif defined(__aarch64__)
	uc->uc_mcontext.regs[0] = TRAP_MAGIC;
#else
#error "trap floor: add this architecture's return register"
#endif
}

static void trap_floor_enter(void)
{
#if defined(__x86_64__)
	const uint32_t arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
	const uint32_t arch = AUDIT_ARCH_AARCH64;
#endif
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	struct sigaction sa = { .sa_sigaction = floor_handler, .sa_flags = SA_SIGINFO };

	if (sigaction(SIGSYS, &sa, NULL) < 0)
		die("sigaction");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("no_new_privs");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		die("seccomp");
	expected_ppid = TRAP_MAGIC;
	if (getppid() != TRAP_MAGIC) {
		dprintf(1, "ERR trap floor: getppid was not trapped\n");
		_exit(1);
	}
}

/*
 * The kernel's own floor for any seccomp sandbox: one filter of one instruction that allows
 * everything. A task with a filter enters every syscall through the slow path, whatever the
 * filter says; the "filter" rows cost this much more than native before a single rule runs.
 */
static void allow_all_enter(void)
{
	struct sock_filter f[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_fprog prog = { .len = 1, .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("no_new_privs");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		die("seccomp");
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 2) {
		dprintf(1, "ERR allow-all: no filter in place\n");
		_exit(1);
	}
}

/* --- embedded sandbox, and its thread pool ------------------------------------------------- */

#ifndef SB_BENCH_STATIC
static pthread_barrier_t pool_start, pool_end;
static bool pool_start_ready;
static size_t pool_active, pool_calls;
static int pool_failed;
static char pool_err[512];

static void *pool_main(void *arg)
{
	size_t idx = (size_t)(uintptr_t)arg;
	struct stat st;

	for (;;) {
		pthread_barrier_wait(&pool_start);
		if (idx < pool_active) {
			for (size_t i = 0; i < pool_calls; i++) {
				int r = fstatat(AT_FDCWD, bench_path, &st, 0);
				if (r != 0 &&
				    !__atomic_exchange_n(&pool_failed, 1, __ATOMIC_SEQ_CST)) {
					snprintf(pool_err, sizeof(pool_err),
						 "thread %zu: newfstatat returned %d (%s)", idx, r,
						 strerror(errno));
					break;
				}
			}
		}
		pthread_barrier_wait(&pool_end);
	}
	return NULL;
}

static void pool_run(size_t nthreads, size_t n)
{
	struct timespec a, b;

	pool_active = nthreads;
	pool_calls = n;
	pool_failed = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pthread_barrier_wait(&pool_start);
	pthread_barrier_wait(&pool_end);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (pool_failed)
		dprintf(1, "ERR %s\n", pool_err);
	else
		dprintf(1, "OK %llu\n", (unsigned long long)(ns_of(&b) - ns_of(&a)));
}

static void embed_enter(const char *policy_path, const char *log_path, bool pool)
{
	struct sb_policy *policy = NULL;
	struct sb_policy_error perr;
	int r = sb_policy_load_file(policy_path, &policy, &perr);
	if (r < 0) {
		dprintf(1, "ERR %s:%u:%u: %s\n", perr.file, perr.line, perr.column, perr.message);
		_exit(1);
	}
	int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log_fd < 0)
		die(log_path);
	struct sb_enter_opts opts = { .size = sizeof(opts),
				      .flags = SB_ENTER_LOG,
				      .log_fd = log_fd };
	r = sb_sandbox_enter(policy, &opts);
	if (r < 0) {
		dprintf(1, "ERR sb_sandbox_enter: %s\n", strerror(-r));
		_exit(1);
	}
	sb_policy_free(policy);
	close(log_fd);
	/*
	 * Only the threads scenario has a pool: in a process with threads every fd lookup takes a
	 * reference (the fd table is shared), which would charge the filter rows for it.
	 */
	if (!pool)
		return;
	pthread_barrier_init(&pool_start, NULL, POOL_THREADS + 1);
	pthread_barrier_init(&pool_end, NULL, POOL_THREADS + 1);
	for (size_t i = 0; i < POOL_THREADS; i++) {
		pthread_t t;
		r = pthread_create(&t, NULL, pool_main, (void *)(uintptr_t)i);
		if (r != 0) {
			errno = r;
			die("pthread_create");
		}
	}
	pool_start_ready = true;
}
#endif

/*
 * In a sandbox, denied (NULL: DATA/denied.dat) exists (the driver made it, the native worker
 * stats DATA/denied.dat) but no rule grants it: the call must come back EACCES, the policy's
 * default. A 0 would mean that the calls are not brokered at all.
 */
static void check_brokered(const char *data, const char *denied)
{
	char p[4200];
	struct stat st;

	snprintf(p, sizeof(p), "%s/denied.dat", data);
	int r = fstatat(AT_FDCWD, denied ? denied : p, &st, 0);
	if (r == 0 || errno != EACCES) {
		dprintf(1,
			"ERR sanity check: newfstatat of an ungranted file returned %d (%s), "
			"expected EACCES from the policy\n",
			r, r == 0 ? "success" : strerror(errno));
		_exit(1);
	}
}

static void check_native(const char *data)
{
	char p[4200];
	struct stat st;

	snprintf(p, sizeof(p), "%s/denied.dat", data);
	if (fstatat(AT_FDCWD, p, &st, 0) != 0)
		die(p);
}

static bool parse_op(const char *s, enum op *ret)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (strcmp(s, op_names[i]) == 0) {
			*ret = (enum op)i;
			return true;
		}
	return false;
}

static void serve(void)
{
	char line[256];
	size_t nsamples = 0;

	/* stdin is read with stdio; stdout is written with write(2) only. */
	while (fgets(line, sizeof(line), stdin)) {
		char cmd[32] = "", arg[32] = "";
		unsigned long n = 0;
		enum op op;
		int k = sscanf(line, "%31s %31s %lu", cmd, arg, &n);

		if (k >= 1 && strcmp(cmd, "hello") == 0) {
			dprintf(1, "OK %ld\n", (long)getpid());
		} else if (k >= 1 && strcmp(cmd, "quit") == 0) {
			return;
		} else if (k == 3 && strcmp(cmd, "warm") == 0 && parse_op(arg, &op)) {
			if (run_untimed(op, n) < 0)
				dprintf(1, "ERR %s\n", errbuf);
			else
				dprintf(1, "OK 0\n");
		} else if (k == 3 && strcmp(cmd, "run") == 0 && parse_op(arg, &op) &&
			   n <= MAX_CALLS) {
			nsamples = 0;
			if (run_timed(op, n, samples) < 0) {
				dprintf(1, "ERR %s\n", errbuf);
			} else {
				nsamples = n;
				dprintf(1, "OK %lu\n", n);
			}
		} else if (k >= 1 && strcmp(cmd, "send") == 0) {
			dprintf(1, "OK %zu\n", nsamples);
			write_all(samples, nsamples * sizeof(samples[0]));
#ifndef SB_BENCH_STATIC
		} else if (k == 3 && strcmp(cmd, "threads") == 0) {
			unsigned long t = strtoul(arg, NULL, 10);
			if (!pool_start_ready)
				dprintf(1, "ERR threads: no pool (mode embed-threads has one)\n");
			else if (t < 1 || t > POOL_THREADS)
				dprintf(1, "ERR threads: 1..%d\n", POOL_THREADS);
			else
				pool_run(t, n);
#endif
		} else {
			dprintf(1, "ERR bad command: %s", line);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr,
			"usage: %s native|trapfloor|allowall|embed|embed-threads|sandboxed DATADIR "
			"[POLICY LOG | DENIED]\n",
			argv[0]);
		return 2;
	}
	const char *mode = argv[1], *data = argv[2];
	if ((size_t)snprintf(bench_path, sizeof(bench_path), "%s/bench.dat", data) >=
	    sizeof(bench_path))
		return 2;
	samples = calloc(MAX_CALLS, sizeof(*samples));
	if (!samples)
		die("calloc");
	read_fd = open(bench_path, O_RDONLY | O_CLOEXEC);
	if (read_fd < 0)
		die(bench_path);
	expected_ppid = getppid();

	if (strcmp(mode, "native") == 0) {
		check_native(data);
	} else if (strcmp(mode, "trapfloor") == 0) {
		trap_floor_enter();
	} else if (strcmp(mode, "allowall") == 0) {
		allow_all_enter();
	} else if (strcmp(mode, "sandboxed") == 0 && argc <= 4) {
		check_brokered(data, argc == 4 ? argv[3] : NULL);
#ifndef SB_BENCH_STATIC
	} else if ((strcmp(mode, "embed") == 0 || strcmp(mode, "embed-threads") == 0) &&
		   argc == 5) {
		embed_enter(argv[3], argv[4], strcmp(mode, "embed-threads") == 0);
		check_brokered(data, NULL);
#endif
	} else {
		fprintf(stderr, "%s: unknown mode %s\n", argv[0], mode);
		return 2;
	}
	serve();
	return 0;
}
