/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Escape attempts of issue 8, run under `sysbroker run` by test-attacks.sh, built twice: dynamic
 * (the preloaded runtime arms the trap: calls through the C library's syscall() take the fast
 * path) and static (no runtime: every brokered call goes over notify). Each subcommand tries one
 * family of escapes and prints one line per attempt:
 *
 *   NAME ret=R errno=E [data=FIRST-LINE-READ]
 *
 * sc() is the C library's syscall() (trapped in the dynamic build: it runs in libc's text),
 * asc() is a `syscall` instruction in this program's own text (outside the trap filter's range:
 * notify in both builds). The script decides what counts as held, and runs some subcommands
 * outside the sandbox as a control, where they must succeed.
 *
 *   paths ROOT SECRET            ".." and symlinks out of ROOT, reads and writes
 *   race ROOT SECRET ITER        open ROOT/flip while a thread flips it between a granted file
 *                                and SECRET
 *   flipper ROOT SECRET SECONDS  flip ROOT/flip natively (run outside the sandbox)
 *   proc ROOT SECRET BROKER      /proc magic links, /proc/PID/mem, the broker's /proc dir
 *   procself ROOT PID            another sandboxed process's environ and maps through every
 *                                spelling, under a policy granting only /proc/self and below
 *   threadself                   its own and a second thread's /proc/thread-self
 *   victim FILE                  write the pid to FILE and wait to be killed
 *   fds ROOT SECRET-NAME         openat and *at on fd 0, a directory outside the tree
 *   stdin-file ROOT              fd 0 is a forbidden file: link it, reopen it writable
 *   opath ROOT                   O_PATH + *at on a read-only granted file
 *   hardlink ROOT SECRET         hard links of forbidden files into the tree
 *   sig-mask|sig-ign|sig-ign-raw|sig-replace|sig-replace-raw|sigaltstack|sig-forge ROOT SECRET
 *   proto ROOT SECRET            hand-made requests on the control socket and a channel
 *   logflood CHANNELS            CHANNELS fresh channels, each sent garbage until the broker
 *                                cuts it off: one protocol-error record per message
 *   chanclose ROOT SECRET        close / dup2 over the channel and control fds
 *   fdlimit ROOT                 a brokered open with the fd table full
 *   slots ROOT SECRET            the reply slots: shrink them, read them from a forked child,
 *                                scribble over them while asking
 *   flood ROOT THREADS SECONDS   THREADS threads of brokered stats (SECONDS 0: forever)
 *   danger                       the built-in dangerous set
 *   danger-safe                  a harmless subset of it, for a native control run
 *   abi32 SECRET | x32 SECRET    the i386 and x32 system call ABIs
 *   exec PROG ARG...             execve PROG
 *   open PATH                    open and read PATH
 *   deathloop ROOT SECRET        fork a child; both loop on brokered calls until killed
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "protocol.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

/* Through the C library: trapped (fast path) in the dynamic build. Returns value or -errno. */
static long sc(long nr, long a, long b, long c, long d, long e)
{
	long r = syscall(nr, a, b, c, d, e, 0);
	return r < 0 ? -errno : r;
}

/* From this program's own text: never trapped, the base filter and notify decide. */
static long asc(long nr, long a, long b, long c, long d, long e)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

static const char *ename(long r)
{
	if (r >= 0)
		return "0";
	const char *n = strerrorname_np((int)-r);
	return n ? n : "?";
}

/* One line; for an fd, the first line read from it (and the fd is closed). */
static void report(const char *what, long r)
{
	char data[256] = "";
	if (r >= 0 && strstr(what, "open") != NULL) {
		ssize_t n = pread((int)r, data, sizeof(data) - 1, 0);
		data[n > 0 ? n : 0] = 0;
		data[strcspn(data, "\n")] = 0;
		close((int)r);
	}
	printf("%s ret=%ld errno=%s%s%s\n", what, r < 0 ? -1 : r, ename(r), *data ? " data=" : "",
	       data);
	fflush(stdout);
}

static char *cat(const char *a, const char *b)
{
	char *s;
	if (asprintf(&s, "%s%s", a, b) < 0)
		exit(2);
	return s;
}

#define OPEN(nr_fn, what, dirfd, path, flags)                                                      \
	report(what, nr_fn(SYS_openat, (long)(dirfd), (long)(path), (long)(flags), 0666, 0))

/* ---- paths: ".." and symlinks -------------------------------------------------------------- */

static int cmd_paths(const char *root, const char *secret)
{
	long d = sc(SYS_openat, AT_FDCWD, (long)root, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0);
	report("root-dirfd", d >= 0 ? 0 : d);
	OPEN(sc, "open-secret-abs", AT_FDCWD, secret, O_RDONLY);
	OPEN(sc, "open-dotdot-abs", AT_FDCWD, cat(root, "/../secret"), O_RDONLY);
	OPEN(sc, "open-dotdot-cwd", AT_FDCWD, "../secret", O_RDONLY);
	OPEN(sc, "open-dotdot-dirfd", d, "../secret", O_RDONLY);
	OPEN(sc, "open-dotdot-deep", d, cat("sub/../../../../../../../../..", secret), O_RDONLY);
	OPEN(sc, "open-link-rel", AT_FDCWD, cat(root, "/link"), O_RDONLY);
	OPEN(sc, "open-link-abs", AT_FDCWD, cat(root, "/alink"), O_RDONLY);
	OPEN(sc, "open-dirlink", d, "dlink/secret", O_RDONLY);
	report("symlink-made", sc(SYS_symlinkat, (long)secret, d, (long)"mylink", 0, 0));
	OPEN(sc, "open-mylink", d, "mylink", O_RDONLY);
	OPEN(asc, "open-mylink-asm", d, "mylink", O_RDONLY);
	OPEN(asc, "open-dotdot-asm", d, "../secret", O_RDONLY);
	/* openat2 with none of the RESOLVE_ flags: the broker's own resolution still binds. */
	struct open_how {
		uint64_t flags, mode, resolve;
	} how = { O_RDONLY, 0, 0 };
	report("open-openat2-dotdot",
	       sc(SYS_openat2, d, (long)"../secret", (long)&how, sizeof(how), 0));
	/* Writes out of the tree. */
	OPEN(sc, "open-write-link", AT_FDCWD, cat(root, "/link"), O_WRONLY | O_TRUNC);
	OPEN(sc, "open-create-dotdot", d, "../created", O_WRONLY | O_CREAT);
	OPEN(sc, "open-create-mylink-dir", d, "dlink/created2", O_WRONLY | O_CREAT);
	report("truncate-link", sc(SYS_truncate, (long)cat(root, "/link"), 0, 0, 0, 0));
	report("chmod-link", sc(SYS_fchmodat, d, (long)"link", 0777, 0, 0));
	report("mkdir-dotdot", sc(SYS_mkdirat, d, (long)"../madedir", 0755, 0, 0));
	report("unlink-dotdot", sc(SYS_unlinkat, d, (long)"../secret", 0, 0, 0));
	report("rename-out", sc(SYS_renameat, d, (long)"granted.txt", d, (long)"../moved", 0));
	report("rename-in", sc(SYS_renameat, d, (long)"../secret", d, (long)"stolen", 0));
	report("symlink-out", sc(SYS_symlinkat, (long)"x", d, (long)"../madelink", 0, 0));
	report("chown-link", sc(SYS_fchownat, d, (long)"link", 1, 1, 0));
	report("chown-dotdot", sc(SYS_fchownat, d, (long)"../secret", 1, 1, 0));
	report("fchmodat2-dotdot", sc(452, d, (long)"../secret", 0777, 0, 0));
	report("utimensat-link", sc(SYS_utimensat, d, (long)"link", 0, 0, 0));
#ifdef SYS_utimes
	report("utimes-link", sc(SYS_utimes, (long)cat(root, "/link"), 0, 0, 0, 0));
	report("futimesat-dotdot", sc(SYS_futimesat, d, (long)"../secret", 0, 0, 0));
#endif
	report("mknod-dotdot", sc(SYS_mknodat, d, (long)"../madefifo", S_IFIFO | 0644, 0, 0));
	char sfs[256];
	report("statfs-dotdot", sc(SYS_statfs, (long)cat(root, "/../secret"), (long)sfs, 0, 0, 0));
	/* The tree itself still works: the attempts above were not refused for want of rules. */
	OPEN(sc, "open-granted", d, "granted.txt", O_RDONLY);
	return 0;
}

/* ---- race: a symlink flipped during the call ----------------------------------------------- */

static const char *g_root, *g_secret;
static atomic_int stop;
static atomic_long flips;

static void *flip_thread(void *arg)
{
	(void)arg;
	char tmp[4096], flip[4096], granted[4096];
	snprintf(tmp, sizeof(tmp), "%s/.flip-tmp", g_root);
	snprintf(flip, sizeof(flip), "%s/flip", g_root);
	snprintf(granted, sizeof(granted), "%s/granted.txt", g_root);
	for (unsigned i = 0; !atomic_load(&stop); i++) {
		syscall(SYS_unlinkat, AT_FDCWD, tmp, 0);
		syscall(SYS_symlinkat, (i & 1) ? g_secret : granted, AT_FDCWD, tmp);
		syscall(SYS_renameat, AT_FDCWD, tmp, AT_FDCWD, flip);
		atomic_fetch_add(&flips, 1);
	}
	return NULL;
}

static int cmd_race(const char *root, const char *secret, long iter, bool inner)
{
	g_root = root;
	g_secret = secret;
	pthread_t t;
	if (inner && pthread_create(&t, NULL, flip_thread, NULL) != 0)
		return 2;
	char flip[4096];
	snprintf(flip, sizeof(flip), "%s/flip", root);
	long granted = 0, secret_read = 0, denied = 0, other = 0;
	/* A busy machine may not run the flipper at once: start when it has flipped twice, and
	 * let it run now and then, so that the race really is one. */
	while (inner && atomic_load(&flips) < 2)
		sched_yield();
	for (long i = 0; i < iter; i++) {
		if (inner && i % 64 == 63)
			sched_yield();
		long fd = sc(SYS_openat, AT_FDCWD, (long)flip, O_RDONLY, 0, 0);
		if (fd < 0) {
			if (fd == -EACCES)
				denied++;
			else
				other++;
			continue;
		}
		char buf[64] = "";
		ssize_t n = read((int)fd, buf, sizeof(buf) - 1);
		close((int)fd);
		buf[n > 0 ? n : 0] = 0;
		if (strstr(buf, "SECRET"))
			secret_read++;
		else
			granted++;
	}
	atomic_store(&stop, 1);
	if (inner)
		pthread_join(t, NULL);
	printf("race granted=%ld secret=%ld denied=%ld other=%ld\n", granted, secret_read, denied,
	       other);
	return 0;
}

static int cmd_flipper(const char *root, const char *secret, int seconds)
{
	char a[4096], b[4096], flip[4096], granted[4096];
	snprintf(a, sizeof(a), "%s/.ext-a", root);
	snprintf(b, sizeof(b), "%s/.ext-b", root);
	snprintf(flip, sizeof(flip), "%s/flip", root);
	snprintf(granted, sizeof(granted), "%s/granted.txt", root);
	time_t end = time(NULL) + seconds;
	while (time(NULL) < end) {
		for (int i = 0; i < 1000; i++) {
			unlink(a);
			unlink(b);
			if (symlink(secret, a) < 0 || symlink(granted, b) < 0)
				return 2;
			rename(a, flip);
			rename(b, flip);
		}
	}
	return 0;
}

/* ---- /proc ---------------------------------------------------------------------------------- */

static int cmd_proc(const char *root, const char *secret, long broker)
{
	char p[4096];
	pid_t me = getpid();
	(void)root;
	OPEN(sc, "open-proc-self-root", AT_FDCWD, cat("/proc/self/root", secret), O_RDONLY);
	snprintf(p, sizeof(p), "/proc/%d/root%s", (int)me, secret);
	OPEN(sc, "open-proc-pid-root", AT_FDCWD, p, O_RDONLY);
	OPEN(sc, "open-proc-thread-self-root", AT_FDCWD, cat("/proc/thread-self/root", secret),
	     O_RDONLY);
	snprintf(p, sizeof(p), "/proc/%d/cwd/../secret", (int)me);
	OPEN(sc, "open-proc-pid-cwd", AT_FDCWD, p, O_RDONLY);
	OPEN(sc, "open-proc-self-cwd", AT_FDCWD, "/proc/self/cwd/../secret", O_RDONLY);
	OPEN(sc, "open-proc-self-fd0", AT_FDCWD, "/proc/self/fd/0/secret", O_RDONLY);
	OPEN(asc, "open-proc-self-fd0-asm", AT_FDCWD, "/proc/self/fd/0/secret", O_RDONLY);
	OPEN(sc, "open-proc-self-exe", AT_FDCWD, "/proc/self/exe", O_RDONLY);
	OPEN(sc, "open-proc-self-mem-rw", AT_FDCWD, "/proc/self/mem", O_RDWR);
	OPEN(sc, "open-proc-self-mem-ro", AT_FDCWD, "/proc/self/mem", O_RDONLY);
	snprintf(p, sizeof(p), "/proc/%d/task/%d/mem", (int)me, (int)me);
	OPEN(sc, "open-proc-task-mem", AT_FDCWD, p, O_RDWR);
	snprintf(p, sizeof(p), "/proc/%ld/environ", broker);
	OPEN(sc, "open-proc-broker-environ", AT_FDCWD, p, O_RDONLY);
	snprintf(p, sizeof(p), "/proc/%ld/mem", broker);
	OPEN(sc, "open-proc-broker-mem", AT_FDCWD, p, O_RDWR);
	snprintf(p, sizeof(p), "/proc/%ld/root%s", broker, secret);
	OPEN(sc, "open-proc-broker-root", AT_FDCWD, p, O_RDONLY);
	/* The broker resolves in its own process: a relative "self" from a /proc dirfd, and a
	 * symlink to /proc/self, land in the broker's directory. */
	long proc = sc(SYS_openat, AT_FDCWD, (long)"/proc", O_RDONLY | O_DIRECTORY, 0, 0);
	report("proc-dirfd", proc >= 0 ? 0 : proc);
	OPEN(sc, "open-proc-rel-self-environ", proc, "self/environ", O_RDONLY);
	OPEN(sc, "open-proc-rel-self-root", proc, cat("self/root", secret), O_RDONLY);
	OPEN(sc, "open-plink-environ", AT_FDCWD, cat(root, "/plink/environ"), O_RDONLY);
	OPEN(sc, "open-plink-root", AT_FDCWD, cat(cat(root, "/plink/root"), secret), O_RDONLY);
	/* Control: its own environment is its own business. */
	OPEN(sc, "open-proc-self-environ", AT_FDCWD, "/proc/self/environ", O_RDONLY);
	return 0;
}

/*
 * /proc/self rules: a policy granting only /proc/self and below. Its own directory is allowed
 * however it is spelled; another sandboxed process's environ and maps are refused however they are
 * spelled.
 */
static void procself_other(const char *tag, const char *root, long victim)
{
	char p[4096], name[96];
	const char *const files[] = { "environ", "maps" };
	long proc = sc(SYS_openat, AT_FDCWD, (long)"/proc", O_RDONLY | O_DIRECTORY, 0, 0);
	long self = sc(SYS_openat, AT_FDCWD, (long)"/proc/self", O_RDONLY | O_DIRECTORY, 0, 0);
	report(cat(tag, "proc-dirfd"), proc >= 0 ? 0 : proc);
	report(cat(tag, "self-dirfd"), self >= 0 ? 0 : self);
	for (size_t i = 0; i < 2; i++) {
		const char *f = files[i];
		snprintf(name, sizeof(name), "%sopen-other-%s", tag, f);
		snprintf(p, sizeof(p), "/proc/%ld/%s", victim, f);
		OPEN(sc, name, AT_FDCWD, p, O_RDONLY);
		snprintf(name, sizeof(name), "%sopen-other-%s-asm", tag, f);
		OPEN(asc, name, AT_FDCWD, p, O_RDONLY);
		snprintf(name, sizeof(name), "%sopen-self-dotdot-%s", tag, f);
		snprintf(p, sizeof(p), "/proc/self/../%ld/%s", victim, f);
		OPEN(sc, name, AT_FDCWD, p, O_RDONLY);
		snprintf(name, sizeof(name), "%sopen-thread-self-dotdot-%s", tag, f);
		snprintf(p, sizeof(p), "/proc/thread-self/../../../%ld/%s", victim, f);
		OPEN(sc, name, AT_FDCWD, p, O_RDONLY);
		snprintf(name, sizeof(name), "%sopen-thread-self-dotdot2-%s", tag, f);
		snprintf(p, sizeof(p), "/proc/thread-self/../../%ld/%s", victim, f);
		OPEN(sc, name, AT_FDCWD, p, O_RDONLY);
		snprintf(name, sizeof(name), "%sopen-task-other-%s", tag, f);
		snprintf(p, sizeof(p), "/proc/%ld/task/%ld/%s", victim, victim, f);
		OPEN(sc, name, AT_FDCWD, p, O_RDONLY);
		snprintf(name, sizeof(name), "%sopen-link-other-%s", tag, f);
		snprintf(p, sizeof(p), "%s/vlink/%s", root, f);
		OPEN(sc, name, AT_FDCWD, p, O_RDONLY);
		snprintf(name, sizeof(name), "%sopen-proc-dirfd-other-%s", tag, f);
		snprintf(p, sizeof(p), "%ld/%s", victim, f);
		OPEN(sc, name, proc, p, O_RDONLY);
		snprintf(name, sizeof(name), "%sopen-self-dirfd-other-%s", tag, f);
		snprintf(p, sizeof(p), "../%ld/%s", victim, f);
		OPEN(sc, name, self, p, O_RDONLY);
	}
	/* Its own, however spelled. */
	OPEN(sc, cat(tag, "open-own-self-status"), AT_FDCWD, "/proc/self/status", O_RDONLY);
	snprintf(p, sizeof(p), "/proc/%d/status", (int)getpid());
	OPEN(sc, cat(tag, "open-own-pid-status"), AT_FDCWD, p, O_RDONLY);
	OPEN(asc, cat(tag, "open-own-pid-status-asm"), AT_FDCWD, p, O_RDONLY);
	OPEN(sc, cat(tag, "open-own-thread-self-status"), AT_FDCWD, "/proc/thread-self/status",
	     O_RDONLY);
	OPEN(sc, cat(tag, "open-own-self-dirfd-status"), self, "status", O_RDONLY);
	OPEN(sc, cat(tag, "open-own-link-status"), AT_FDCWD, cat(root, "/slink/status"), O_RDONLY);
	if (proc >= 0)
		close((int)proc);
	if (self >= 0)
		close((int)self);
}

static void *procself_thread(void *arg)
{
	const char *const *a = arg;
	procself_other("thread-", a[0], atol(a[1]));
	return NULL;
}

static int cmd_procself(const char *root, const char *victim)
{
	char p[4096], link[4096];
	snprintf(p, sizeof(p), "/proc/%s", victim);
	snprintf(link, sizeof(link), "%s/vlink", root);
	report("symlink-vlink", sc(SYS_symlinkat, (long)p, AT_FDCWD, (long)link, 0, 0));
	snprintf(p, sizeof(p), "/proc/%d", (int)getpid());
	snprintf(link, sizeof(link), "%s/slink", root);
	report("symlink-slink", sc(SYS_symlinkat, (long)p, AT_FDCWD, (long)link, 0, 0));
	procself_other("", root, atol(victim));
	/* The parent (sysbroker run, outside the sandbox). */
	snprintf(p, sizeof(p), "/proc/%d/status", (int)getppid());
	OPEN(sc, "open-parent-status", AT_FDCWD, p, O_RDONLY);
	/* A second thread: thread-self is its own directory, not the main thread's. */
	const char *a[2] = { root, victim };
	pthread_t t;
	if (pthread_create(&t, NULL, procself_thread, a) != 0)
		return 1;
	pthread_join(t, NULL);
	return 0;
}

/*
 * /proc/thread-self rules: a policy granting only /proc/thread-self and below. The main thread
 * reads its own directory while it is the only thread; a second thread reads its own over notify
 * (the kernel names the thread) and nothing over trap (only the process is vouched for), and
 * never its sibling's.
 */
static void *threadself_thread(void *arg)
{
	char p[128];
	pid_t main_tid = *(pid_t *)arg, me = getpid(), tid = (pid_t)syscall(SYS_gettid);
	snprintf(p, sizeof(p), "/proc/%d/task/%d/status", (int)me, (int)tid);
	OPEN(sc, "thread-own-task", AT_FDCWD, p, O_RDONLY);
	OPEN(asc, "thread-own-task-asm", AT_FDCWD, p, O_RDONLY);
	OPEN(sc, "thread-thread-self", AT_FDCWD, "/proc/thread-self/status", O_RDONLY);
	snprintf(p, sizeof(p), "/proc/%d/task/%d/status", (int)me, (int)main_tid);
	OPEN(sc, "thread-main-task", AT_FDCWD, p, O_RDONLY);
	OPEN(asc, "thread-main-task-asm", AT_FDCWD, p, O_RDONLY);
	return NULL;
}

static int cmd_threadself(void)
{
	pid_t main_tid = (pid_t)syscall(SYS_gettid);
	OPEN(sc, "main-thread-self", AT_FDCWD, "/proc/thread-self/status", O_RDONLY);
	OPEN(asc, "main-thread-self-asm", AT_FDCWD, "/proc/thread-self/status", O_RDONLY);
	OPEN(sc, "main-self-status", AT_FDCWD, "/proc/self/status", O_RDONLY);
	pthread_t t;
	if (pthread_create(&t, NULL, threadself_thread, &main_tid) != 0)
		return 1;
	pthread_join(t, NULL);
	return 0;
}

/* The victim: writes its pid to FILE and sleeps until killed. */
static int cmd_victim(const char *file)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	long fd = sc(SYS_openat, AT_FDCWD, (long)file, O_WRONLY | O_CREAT | O_TRUNC, 0644, 0);
	if (fd < 0 || write((int)fd, buf, (size_t)n) != n)
		return 1;
	close((int)fd);
	for (;;)
		pause();
}

/* ---- fds from outside the tree -------------------------------------------------------------- */

static int cmd_fds(const char *root, const char *name)
{
	/* fd 0 is a directory outside the tree, opened by the shell before the sandbox. */
	OPEN(sc, "open-fd0-secret", 0, name, O_RDONLY);
	OPEN(asc, "open-fd0-secret-asm", 0, name, O_RDONLY);
	OPEN(sc, "open-fd0-create", 0, "fd0-created", O_WRONLY | O_CREAT);
	OPEN(sc, "open-fd0-dot", 0, ".", O_RDONLY | O_DIRECTORY);
	report("mkdir-fd0", sc(SYS_mkdirat, 0, (long)"fd0-dir", 0755, 0, 0));
	report("symlink-fd0", sc(SYS_symlinkat, (long)"x", 0, (long)"fd0-link", 0, 0));
	report("unlink-fd0", sc(SYS_unlinkat, 0, (long)name, 0, 0, 0));
	report("link-fd0",
	       sc(SYS_linkat, 0, (long)name, AT_FDCWD, (long)cat(root, "/stolen-link"), 0));
	report("rename-fd0",
	       sc(SYS_renameat, 0, (long)name, AT_FDCWD, (long)cat(root, "/stolen-rename"), 0));
	struct stat st;
	report("stat-fd0-secret", sc(SYS_newfstatat, 0, (long)name, (long)&st, 0, 0));
	report("fchmodat-fd0", sc(SYS_fchmodat, 0, (long)name, 0666, 0, 0));
	/* The cwd (given by --cwd, outside the tree) is another directory from before. */
	OPEN(sc, "open-cwd-secret", AT_FDCWD, name, O_RDONLY);
	OPEN(asc, "open-cwd-secret-asm", AT_FDCWD, name, O_RDONLY);
	return 0;
}

static int cmd_stdin_file(const char *root)
{
	/* fd 0 is a forbidden file the shell opened read-only: the program may read it through the
	 * fd, but neither name it elsewhere nor reopen it for writing. */
	report("link-fd0-empty", sc(SYS_linkat, 0, (long)"", AT_FDCWD,
				    (long)cat(root, "/stolen-hard"), AT_EMPTY_PATH));
	OPEN(sc, "open-proc-fd0-rw", AT_FDCWD, "/proc/self/fd/0", O_RDWR);
	OPEN(asc, "open-proc-fd0-rw-asm", AT_FDCWD, "/proc/self/fd/0", O_RDWR);
	OPEN(sc, "open-proc-fd0-trunc", AT_FDCWD, "/proc/self/fd/0", O_WRONLY | O_TRUNC);
	report("chmod-fd0-empty", sc(SYS_fchmodat, 0, (long)"", 0666, AT_EMPTY_PATH, 0));
	report("write-fd0", sc(SYS_write, 0, (long)"x", 1, 0, 0));
	/*
	 * The metadata calls that take /proc/self/fd/N as the caller's own fd (the C library's
	 * fchmodat with AT_SYMLINK_NOFOLLOW goes that way): decided on what fd 0 names, the secret,
	 * through every spelling of the caller's own /proc directory.
	 */
	char mine[64], trailing[64], parent[64];
	snprintf(mine, sizeof(mine), "/proc/%d/fd/0", (int)getpid());
	snprintf(trailing, sizeof(trailing), "/proc/self/fd/0/");
	snprintf(parent, sizeof(parent), "/proc/self/fd/0/..");
	report("chmod-procfd0", sc(SYS_fchmodat, AT_FDCWD, (long)"/proc/self/fd/0", 0666, 0, 0));
	report("chmod-procfd0-pid", sc(SYS_fchmodat, AT_FDCWD, (long)mine, 0666, 0, 0));
	report("chmod-procfd0-thread",
	       sc(SYS_fchmodat, AT_FDCWD, (long)"/proc/thread-self/fd/0", 0666, 0, 0));
	report("chmod-procfd0-slash", sc(SYS_fchmodat, AT_FDCWD, (long)trailing, 0666, 0, 0));
	report("chmod-procfd0-dotdot", sc(SYS_fchmodat, AT_FDCWD, (long)parent, 0777, 0, 0));
	report("fchmodat2-procfd0-nofollow",
	       sc(452, AT_FDCWD, (long)"/proc/self/fd/0", 0666, AT_SYMLINK_NOFOLLOW, 0));
	report("chown-procfd0", sc(SYS_fchownat, AT_FDCWD, (long)"/proc/self/fd/0", 1, 1, 0));
	report("lchown-procfd0",
	       sc(SYS_fchownat, AT_FDCWD, (long)"/proc/self/fd/0", 1, 1, AT_SYMLINK_NOFOLLOW));
	report("utimensat-procfd0", sc(SYS_utimensat, AT_FDCWD, (long)"/proc/self/fd/0", 0, 0, 0));
#ifdef SYS_utimes
	report("utimes-procfd0", sc(SYS_utimes, (long)"/proc/self/fd/0", 0, 0, 0, 0));
#endif
	report("setxattr-procfd0",
	       sc(SYS_setxattr, (long)"/proc/self/fd/0", (long)"user.x", (long)"v", 1, 0));
	report("truncate-procfd0", sc(SYS_truncate, (long)"/proc/self/fd/0", 0, 0, 0, 0));
	return 0;
}

static int cmd_opath(const char *root)
{
	char ro[4096], rw[4096], link[64];
	snprintf(ro, sizeof(ro), "%s/ro/file.txt", root);
	snprintf(rw, sizeof(rw), "%s/opath-copy", root);
	long p = sc(SYS_openat, AT_FDCWD, (long)ro, O_PATH, 0, 0);
	report("opath-ro", p >= 0 ? 0 : p);
	if (p < 0) /* over notify O_PATH is refused (docs/design.md): use a read-only fd instead */
		p = sc(SYS_openat, AT_FDCWD, (long)ro, O_RDONLY, 0, 0);
	snprintf(link, sizeof(link), "/proc/self/fd/%ld", p);
	OPEN(sc, "open-opath-reopen-rw", AT_FDCWD, link, O_RDWR);
	OPEN(asc, "open-opath-reopen-rw-asm", AT_FDCWD, link, O_RDWR);
	OPEN(sc, "open-opath-reopen-wronly", AT_FDCWD, link, O_WRONLY | O_APPEND);
	/* Reading it again is what the grant allows: the same file, decided on its own path. */
	OPEN(sc, "open-opath-reopen-ro", AT_FDCWD, link, O_RDONLY);
	report("link-opath-empty", sc(SYS_linkat, p, (long)"", AT_FDCWD, (long)rw, AT_EMPTY_PATH));
	report("link-opath-proc",
	       sc(SYS_linkat, AT_FDCWD, (long)link, AT_FDCWD, (long)rw, AT_SYMLINK_FOLLOW));
	OPEN(sc, "open-opath-dotdot", p, "..", O_RDONLY);
	report("chmod-opath-empty", sc(SYS_fchmodat, p, (long)"", 0666, AT_EMPTY_PATH, 0));
	struct stat st;
	report("stat-opath-empty", sc(SYS_newfstatat, p, (long)"", (long)&st, AT_EMPTY_PATH, 0));
	report("write-opath", sc(SYS_write, p, (long)"x", 1, 0, 0));
	/* The caller's own fd by its /proc name: still only what the grant of the file allows. */
	report("chmod-opath-proc", sc(SYS_fchmodat, AT_FDCWD, (long)link, 0666, 0, 0));
	report("chown-opath-proc", sc(SYS_fchownat, AT_FDCWD, (long)link, 1, 1, 0));
	report("utimensat-opath-proc", sc(SYS_utimensat, AT_FDCWD, (long)link, 0, 0, 0));
	/* An O_PATH fd on a symlink in the tree that leads out: the broker never follows it. */
	char lpath[4096], llink[64];
	snprintf(lpath, sizeof(lpath), "%s/link", root);
	long l = sc(SYS_openat, AT_FDCWD, (long)lpath, O_PATH | O_NOFOLLOW, 0, 0);
	report("opath-symlink", l >= 0 ? 0 : l);
	if (l >= 0) {
		snprintf(llink, sizeof(llink), "/proc/self/fd/%ld", l);
		report("chmod-opath-symlink", sc(SYS_fchmodat, AT_FDCWD, (long)llink, 0666, 0, 0));
		report("chown-opath-symlink", sc(SYS_fchownat, AT_FDCWD, (long)llink, 1, 1, 0));
		report("utimes-opath-symlink", sc(SYS_utimensat, AT_FDCWD, (long)llink, 0, 0, 0));
	}
	/* The read-only file itself can be read: the attempts above are about write. */
	OPEN(sc, "open-ro-read", AT_FDCWD, ro, O_RDONLY);
	return 0;
}

/* ---- unix socket paths: relative, "..", symlinks ------------------------------------------ */

static long unix_call(int nr, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	long s = sc(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 0, 0);
	if (s < 0)
		return s;
	long r = sc(nr, s, (long)&a, sizeof(a), 0, 0);
	close((int)s);
	return r;
}

static long unix_sendto(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	long r = sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)) < 0 ? -errno : 0;
	close(s);
	return r;
}

/* The cwd is the granted tree; only names inside it may be bound or connected to. */
static int cmd_unix(const char *root)
{
	report("ubind-rel-dotdot", unix_call(SYS_bind, "../made.sock"));
	report("ubind-rel-dlink", unix_call(SYS_bind, "dlink/made.sock"));
	report("ubind-rel-deep", unix_call(SYS_bind, "sub/../../made.sock"));
	report("ubind-abs-dotdot", unix_call(SYS_bind, cat(root, "/../made.sock")));
	report("ubind-rel-link", unix_call(SYS_bind, "link"));
	report("uconnect-rel-link", unix_call(SYS_connect, "link"));
	report("uconnect-rel-dotdot", unix_call(SYS_connect, "../secret"));
	report("usendto-rel-dotdot", unix_sendto("../made.sock"));
	/* Inside the tree it works: the refusals above were about where, not about unix sockets. */
	report("ubind-rel-granted", unix_call(SYS_bind, "sub/ok.sock"));
	return 0;
}

/* ---- hard links ------------------------------------------------------------------------------ */

static int cmd_hardlink(const char *root, const char *secret)
{
	report("linkat-secret",
	       sc(SYS_linkat, AT_FDCWD, (long)secret, AT_FDCWD, (long)cat(root, "/hl-secret"), 0));
	report("link-secret", sc(SYS_link, (long)secret, (long)cat(root, "/hl-secret2"), 0, 0, 0));
	report("linkat-secret-asm", asc(SYS_linkat, AT_FDCWD, (long)secret, AT_FDCWD,
					(long)cat(root, "/hl-secret3"), 0));
	report("linkat-follow-link", sc(SYS_linkat, AT_FDCWD, (long)cat(root, "/link"), AT_FDCWD,
					(long)cat(root, "/hl-secret4"), AT_SYMLINK_FOLLOW));
	OPEN(sc, "open-hl-secret", AT_FDCWD, cat(root, "/hl-secret"), O_RDONLY);
	/* A read-only granted file under a name that grants write. */
	report("linkat-ro-to-rw", sc(SYS_linkat, AT_FDCWD, (long)cat(root, "/ro/file.txt"),
				     AT_FDCWD, (long)cat(root, "/hl-ro"), 0));
	OPEN(sc, "open-hl-ro-write", AT_FDCWD, cat(root, "/hl-ro"), O_WRONLY | O_TRUNC);
	report("rename-ro-to-rw", sc(SYS_renameat, AT_FDCWD, (long)cat(root, "/ro/file.txt"),
				     AT_FDCWD, (long)cat(root, "/moved-ro"), 0));
	return 0;
}

/* ---- SIGSYS ---------------------------------------------------------------------------------- */

struct ksigaction {
	unsigned long handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};
void attack_restorer(void);
__asm__(".text\n.globl attack_restorer\n.type attack_restorer,@function\nattack_restorer:\n"
	"\tmov $15, %rax\n\tsyscall\n\thlt\n");

static void own_handler(int sig, siginfo_t *si, void *ucv)
{
	/* Do the trapped call ourselves, from our own text: the broker still decides (notify). */
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	(void)sig;
	g[REG_RAX] = asc(si->si_syscall, g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8]);
}

static void both_opens(const char *root, const char *secret, const char *tag)
{
	char w[64];
	snprintf(w, sizeof(w), "open-secret-%s", tag);
	OPEN(sc, w, AT_FDCWD, secret, O_RDONLY);
	snprintf(w, sizeof(w), "open-granted-%s", tag);
	OPEN(sc, w, AT_FDCWD, cat(root, "/granted.txt"), O_RDONLY);
}

static atomic_int scribble;
static void *scribbler(void *arg)
{
	while (!atomic_load(&stop))
		memset(arg, atomic_fetch_add(&scribble, 1) & 0xff, 65536);
	return NULL;
}

static int cmd_sig(const char *cmd, const char *root, const char *secret)
{
	uint64_t set = 1ULL << (SIGSYS - 1);
	struct ksigaction ign = { (unsigned long)SIG_IGN, 0x04000000 /* SA_RESTORER */,
				  attack_restorer, 0 };
	struct ksigaction own = { (unsigned long)own_handler, SA_SIGINFO | 0x04000000,
				  attack_restorer, 0 };

	if (strcmp(cmd, "sig-mask") == 0) {
		report("mask-sigsys", asc(SYS_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, 8, 0));
		both_opens(root, secret, "masked");
	} else if (strcmp(cmd, "sig-mask-libc") == 0) {
		/* syscall(3) is the C library's code: the handler keeps SIGSYS unblocked. */
		report("mask-sigsys", sc(SYS_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, 8, 0));
		both_opens(root, secret, "masked");
	} else if (strcmp(cmd, "sig-ign") == 0) {
		report("ignore-sigsys", sc(SYS_rt_sigaction, SIGSYS, (long)&ign, 0, 8, 0));
		both_opens(root, secret, "ignored");
	} else if (strcmp(cmd, "sig-ign-raw") == 0) {
		report("ignore-sigsys-asm", asc(SYS_rt_sigaction, SIGSYS, (long)&ign, 0, 8, 0));
		both_opens(root, secret, "ignored");
	} else if (strcmp(cmd, "sig-replace") == 0) {
		report("replace-sigsys", sc(SYS_rt_sigaction, SIGSYS, (long)&own, 0, 8, 0));
		both_opens(root, secret, "replaced");
	} else if (strcmp(cmd, "sig-replace-raw") == 0) {
		report("replace-sigsys-asm", asc(SYS_rt_sigaction, SIGSYS, (long)&own, 0, 8, 0));
		both_opens(root, secret, "replaced");
	} else if (strcmp(cmd, "sigaltstack") == 0) {
		/* An alternate stack another thread scribbles over, then one that is unmapped. */
		void *mem = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
		stack_t ss = { .ss_sp = mem, .ss_size = 65536 };
		report("sigaltstack-scribbled", sc(SYS_sigaltstack, (long)&ss, 0, 0, 0, 0));
		pthread_t t;
		pthread_create(&t, NULL, scribbler, mem);
		for (int i = 0; i < 50; i++)
			both_opens(root, secret, "scribbled");
		atomic_store(&stop, 1);
		pthread_join(t, NULL);
		report("sigaltstack-unmapped", sc(SYS_sigaltstack, (long)&ss, 0, 0, 0, 0));
		munmap(mem, 65536);
		both_opens(root, secret, "unmapped");
	} else if (strcmp(cmd, "sig-forge") == 0) {
		/*
		 * A SIGSYS of our own making (si_code SYS_SECCOMP is allowed to oneself) that says
		 * "openat(2, PATH, O_RDONLY)": queue it while SIGSYS is blocked, then unblock it
		 * with rt_sigprocmask(SIG_SETMASK, PATH, NULL, 8), so that at delivery the
		 * argument registers hold exactly that openat. PATH starts "//./": its first 8
		 * bytes, read as the new mask, leave SIGSYS unblocked.
		 */
		const char *paths[2] = { secret, cat(root, "/granted.txt") };
		const char *names[2] = { "open-forged-secret", "open-forged-granted" };
		for (int i = 0; i < 2; i++) {
			char *p = cat("//.", paths[i]);
			if (strlen(p) < 8 || (p[3] & 0x40))
				return 2;
			report("forge-block",
			       asc(SYS_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, 8, 0));
			siginfo_t si;
			memset(&si, 0, sizeof(si));
			si.si_signo = SIGSYS;
			si.si_code = SYS_SECCOMP;
			si.si_syscall = SYS_openat;
			si.si_arch = SB_AUDIT_ARCH;
			report("forge-queue",
			       sc(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGSYS, (long)&si, 0));
			long r = asc(SYS_rt_sigprocmask, SIG_SETMASK, (long)p, 0, 8, 0);
			uint64_t none = 0;
			asc(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8, 0);
			report(names[i], r);
		}
		both_opens(root, secret, "after-forge");
	} else {
		return 2;
	}
	return 0;
}

/* ---- the protocol, spoken by hand ----------------------------------------------------------- */

static int ctrl_fd(void)
{
	const char *e = getenv("SYSBROKER_FD");
	return e ? atoi(e) : 1000;
}

/* One reply: its ret (or -EIO when none came), and the fd it carried (installed, or -1). */
static long get_reply(int fd, uint64_t *seq, int *rfd)
{
	uint8_t buf[SB_MAX_FILTER_REP];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr a;
	} u;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)
	};
	*rfd = -1;
	long n = asc(SYS_recvmsg, fd, (long)&mh, MSG_CMSG_CLOEXEC, 0, 0);
	if (n < (long)sizeof(struct sb_rep))
		return n < 0 ? n : -EIO;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(rfd, CMSG_DATA(c), sizeof(int));
	struct sb_rep rep;
	memcpy(&rep, buf, sizeof(rep));
	if (seq)
		*seq = rep.seq;
	return rep.magic == SB_PROTO_MAGIC_REP ? rep.ret : -EBADMSG;
}

/* Send len bytes of buf on fd and report the answer; an fd in the answer is read and closed. */
static void exchange(const char *what, int fd, const void *buf, size_t len)
{
	long s = asc(SYS_sendto, fd, (long)buf, (long)len, MSG_NOSIGNAL, 0);
	if (s < 0) {
		char w[96];
		snprintf(w, sizeof(w), "%s-send", what);
		report(w, s);
		return;
	}
	int rfd;
	long r = get_reply(fd, NULL, &rfd);
	if (rfd >= 0) {
		char w[96];
		snprintf(w, sizeof(w), "open-%s", what);
		report(w, rfd);
	} else {
		report(what, r);
	}
}

static size_t mkreq(uint8_t *buf, int nr, const char *path, uint64_t seq, uint64_t flags)
{
	struct sb_req r = { .magic = SB_PROTO_MAGIC_REQ,
			    .version = SB_PROTO_VERSION,
			    .type = SB_REQ_SYSCALL,
			    .arch = SB_AUDIT_ARCH,
			    .nr = nr,
			    .args = { (uint64_t)AT_FDCWD, 0, flags, 0644 },
			    .seq = seq };
	size_t n = strlen(path) + 1;
	r.len[SB_ITEM_PATH0] = (uint32_t)n;
	memcpy(buf, &r, sizeof(r));
	memcpy(buf + sizeof(r), path, n);
	return sizeof(r) + n;
}

static int cmd_proto(const char *root, const char *secret)
{
	static uint8_t buf[2 * SB_MAX_REQ];
	int ctrl = ctrl_fd();
	struct sb_req creq = { .magic = SB_PROTO_MAGIC_REQ,
			       .version = SB_PROTO_VERSION,
			       .type = SB_REQ_CHANNEL,
			       .arch = SB_AUDIT_ARCH };
	char *granted = cat(root, "/granted.txt");

	/* The control socket: garbage, a lying size, an oversized message, a wrong type. */
	memset(buf, 0xa5, sizeof(buf));
	exchange("ctrl-garbage", ctrl, buf, 17);
	exchange("ctrl-oversized", ctrl, buf, SB_MAX_REQ + 4096);
	struct sb_req bad = creq;
	bad.magic = 0x12345678;
	exchange("ctrl-bad-magic", ctrl, &bad, sizeof(bad));
	bad = creq;
	bad.type = SB_REQ_SYSCALL;
	size_t n = mkreq(buf, SYS_openat, secret, 1, O_RDONLY);
	((struct sb_req *)buf)->type = SB_REQ_SYSCALL;
	exchange("ctrl-syscall-secret", ctrl, buf, n);
	exchange("ctrl-truncated", ctrl, &creq, sizeof(creq) - 3);

	/* A channel of our own. */
	long s = asc(SYS_sendto, ctrl, (long)&creq, sizeof(creq), MSG_NOSIGNAL, 0);
	int ch = -1;
	long r = s < 0 ? s : get_reply(ctrl, NULL, &ch);
	report("channel", ch >= 0 ? 0 : (r < 0 ? r : -EIO));
	if (ch < 0)
		return 0;

	/* Well formed, straight to the broker: the policy decides, nothing else. */
	n = mkreq(buf, SYS_openat, secret, 10, O_RDONLY);
	exchange("forge-secret", ch, buf, n);
	exchange("forge-secret-replayed", ch, buf, n);
	n = mkreq(buf, SYS_openat, granted, 11, O_RDONLY);
	exchange("forge-granted", ch, buf, n);
	exchange("forge-granted-replayed", ch, buf, n);
	n = mkreq(buf, SYS_open, secret, 12, O_RDONLY);
	exchange("forge-open-secret", ch, buf, n);
	n = mkreq(buf, SYS_openat, secret, 13, O_WRONLY | O_TRUNC);
	exchange("forge-trunc-secret", ch, buf, n);
	n = mkreq(buf, SYS_openat, cat(root, "/../forged-created"), 14, O_WRONLY | O_CREAT);
	exchange("forge-create-outside", ch, buf, n);
	n = mkreq(buf, SYS_unlink, secret, 15, 0);
	exchange("forge-unlink-secret", ch, buf, n);
	/* Malformed: each refused, none acted on. */
	n = mkreq(buf, SYS_openat, secret, 20, O_RDONLY);
	((struct sb_req *)buf)->magic ^= 1;
	exchange("bad-magic", ch, buf, n);
	n = mkreq(buf, SYS_openat, secret, 21, O_RDONLY);
	((struct sb_req *)buf)->version = 99;
	exchange("bad-version", ch, buf, n);
	n = mkreq(buf, SYS_openat, secret, 22, O_RDONLY);
	((struct sb_req *)buf)->type = 77;
	exchange("bad-type", ch, buf, n);
	n = mkreq(buf, SYS_openat, secret, 23, O_RDONLY);
	((struct sb_req *)buf)->arch = 0x40000003; /* AUDIT_ARCH_I386 */
	exchange("bad-arch", ch, buf, n);
	n = mkreq(buf, SYS_openat, secret, 24, O_RDONLY);
	((struct sb_req *)buf)->len[SB_ITEM_PATH0] = 4000;
	exchange("len-too-long", ch, buf, n);
	n = mkreq(buf, SYS_openat, secret, 25, O_RDONLY);
	((struct sb_req *)buf)->len[SB_ITEM_PATH0] -= 3;
	exchange("len-too-short", ch, buf, n);
	n = mkreq(buf, SYS_openat, secret, 26, O_RDONLY);
	((struct sb_req *)buf)->len[SB_ITEM_PATH0] = 0xfffffff0u;
	exchange("len-huge", ch, buf, n);
	n = mkreq(buf, SYS_openat, secret, 27, O_RDONLY);
	buf[n - 1] = 'x'; /* no NUL at the end */
	exchange("missing-nul", ch, buf, n);
	n = mkreq(buf, SYS_openat, granted, 28, O_RDONLY);
	memcpy(buf + sizeof(struct sb_req) + strlen(granted) - 1, "\0", 1); /* NUL inside */
	exchange("interior-nul", ch, buf, n);
	n = mkreq(buf, SYS_openat, secret, 29, O_RDONLY);
	((struct sb_req *)buf)->len[SB_ITEM_STRING] = 5;
	memcpy(buf + n, "junk", 5);
	exchange("extra-item", ch, buf, n + 5);
	n = mkreq(buf, SYS_openat, secret, 30, O_RDONLY);
	exchange("truncated-payload", ch, buf, n - 4);
	memset(buf + sizeof(struct sb_req), 'A', SB_MAX_REQ + 1024);
	n = mkreq(buf, SYS_openat, secret, 31, O_RDONLY);
	((struct sb_req *)buf)->len[SB_ITEM_PATH0] = SB_MAX_PAYLOAD + 1024;
	exchange("oversized", ch, buf, sizeof(struct sb_req) + SB_MAX_PAYLOAD + 1024);
	n = mkreq(buf, SYS_getppid, secret, 32, 0);
	exchange("unbrokered-nr-with-payload", ch, buf, n);
	struct sb_req g = { .magic = SB_PROTO_MAGIC_REQ,
			    .version = SB_PROTO_VERSION,
			    .type = SB_REQ_SYSCALL,
			    .arch = SB_AUDIT_ARCH,
			    .nr = SYS_ptrace,
			    .args = { PTRACE_TRACEME },
			    .seq = 33 };
	exchange("forge-ptrace", ch, &g, sizeof(g));
	g.nr = -1;
	g.seq = 34;
	exchange("forge-nr-negative", ch, &g, sizeof(g));
	g.nr = SYS_openat | 0x40000000;
	g.seq = 35;
	exchange("forge-nr-x32", ch, &g, sizeof(g));
	g.nr = 0;
	g.type = SB_REQ_PRIVDROP;
	g.seq = 36;
	exchange("forge-privdrop", ch, &g, sizeof(g));
	g.type = SB_REQ_LAYER;
	g.args[0] = SB_LAYER_COMMIT;
	g.seq = 37;
	exchange("forge-layer-commit", ch, &g, sizeof(g));
	/* A dirfd that is the channel itself, and one that does not exist. */
	n = mkreq(buf, SYS_openat, "../secret", 38, O_RDONLY);
	((struct sb_req *)buf)->args[0] = (uint64_t)ch;
	exchange("forge-dirfd-channel", ch, buf, n);
	((struct sb_req *)buf)->args[0] = 987;
	exchange("forge-dirfd-bad", ch, buf, n);
	/* A request whose reply nobody reads, on a channel then closed. */
	n = mkreq(buf, SYS_openat, granted, 40, O_RDONLY);
	asc(SYS_sendto, ch, (long)buf, (long)n, MSG_NOSIGNAL, 0);
	close(ch);
	/* The broker is still there, and still decides. */
	both_opens(root, secret, "after-proto");
	return 0;
}

/* ---- the merged setup request (SB_REQ_FILTER with SB_FILTER_REGION), by hand ------------- */

static size_t mkfilter(uint8_t *buf, uint64_t flags, uint64_t seq)
{
	struct sb_req r = { .magic = SB_PROTO_MAGIC_REQ,
			    .version = SB_PROTO_VERSION,
			    .type = SB_REQ_FILTER,
			    .arch = SB_AUDIT_ARCH,
			    .args = { flags },
			    .seq = seq };
	/* Any page-aligned range will do: the ranges only narrow which calls trap. */
	struct sb_text_range rg = { 0x10000000, 0x10001000 };
	r.len[SB_ITEM_IN] = sizeof(rg);
	memcpy(buf, &r, sizeof(r));
	memcpy(buf + sizeof(r), &rg, sizeof(rg));
	return sizeof(r) + sizeof(rg);
}

/*
 * Send a request and say whether reply slots came back: with sendto (the kernel lets the
 * runtime's own send through), or with sendmsg (the broker sends it for the sandboxee, so the
 * credentials on it are the broker's), with pass_fd in SCM_RIGHTS when >= 0.
 */
static void setup_exchange(const char *what, int fd, const void *buf, size_t len, bool relay,
			   int pass_fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr a;
	} u;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (pass_fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.b;
		mh.msg_controllen = sizeof(u.b);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	long r = relay || pass_fd >= 0 ? asc(SYS_sendmsg, fd, (long)&mh, MSG_NOSIGNAL, 0, 0)
				       : asc(SYS_sendto, fd, (long)buf, (long)len, MSG_NOSIGNAL, 0);
	int rfd = -1;
	if (r >= 0)
		r = get_reply(fd, NULL, &rfd);
	printf("%s ret=%ld errno=%s region=%s\n", what, r < 0 ? -1 : r, ename(r),
	       rfd >= 0 ? "yes" : "no");
	fflush(stdout);
	if (rfd >= 0)
		close(rfd);
}

static int new_chan(int ctrl, uint64_t flags)
{
	struct sb_req creq = { .magic = SB_PROTO_MAGIC_REQ,
			       .version = SB_PROTO_VERSION,
			       .type = SB_REQ_CHANNEL,
			       .arch = SB_AUDIT_ARCH,
			       .args = { flags } };
	int ch = -1;
	long s = asc(SYS_sendto, ctrl, (long)&creq, sizeof(creq), MSG_NOSIGNAL, 0);
	if (s >= 0)
		get_reply(ctrl, NULL, &ch);
	return ch;
}

/*
 * The filter and the reply slots in one request: refused on the control socket, with a bad flag,
 * from another process than the channel's, twice, after a plain filter, on a channel that holds
 * a slot already, and with an fd attached. Only the first well-formed one gets the slots.
 */
static void setup_order(int ctrl)
{
	uint8_t buf[sizeof(struct sb_req) + sizeof(struct sb_text_range)];
	size_t n = mkfilter(buf, SB_FILTER_REGION, 1);

	setup_exchange("setup-on-control", ctrl, buf, n, false, -1);
	int ch = new_chan(ctrl, 0);
	printf("setup-channel %s\n", ch >= 0 ? "made" : "missing");
	mkfilter(buf, SB_FILTER_REGION | 2, 2);
	setup_exchange("setup-bad-flag", ch, buf, n, false, -1); /* the channel is ours now */
	pid_t pid = fork();
	if (pid == 0) {
		mkfilter(buf, SB_FILTER_REGION, 3);
		setup_exchange("setup-forged-child", ch, buf, n, false, -1);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	mkfilter(buf, SB_FILTER_REGION, 4);
	setup_exchange("setup-first", ch, buf, n, false, -1);
	mkfilter(buf, SB_FILTER_REGION, 5);
	setup_exchange("setup-duplicate", ch, buf, n, false, -1);
	int ch2 = new_chan(ctrl, 0);
	mkfilter(buf, 0, 6);
	setup_exchange("filter-plain", ch2, buf, n, false, -1);
	mkfilter(buf, SB_FILTER_REGION, 7);
	setup_exchange("setup-after-filter", ch2, buf, n, false, -1);
	int ch3 = new_chan(ctrl, SB_CHANNEL_SLOT);
	mkfilter(buf, SB_FILTER_REGION, 8);
	setup_exchange("setup-after-slot", ch3, buf, n, false, -1);
	int ch4 = new_chan(ctrl, 0);
	mkfilter(buf, SB_FILTER_REGION, 9);
	setup_exchange("setup-with-fd", ch4, buf, n, false, ctrl);
}

/*
 * Requests the broker itself is made to send (a send without an address is the broker's to
 * make): they carry the broker's credentials, which must name no one. On fresh channels, so that
 * the first message would bind them.
 */
static void setup_relayed(int ctrl, const char *granted)
{
	uint8_t buf[sizeof(struct sb_req) + PATH_MAX];
	size_t n = mkfilter(buf, SB_FILTER_REGION, 10);

	setup_exchange("relay-setup", new_chan(ctrl, 0), buf, n, true, -1);
	n = mkreq(buf, SYS_openat, granted, 11, O_RDONLY);
	setup_exchange("relay-open-granted", new_chan(ctrl, 0), buf, n, true, -1);
	struct sb_req g = { .magic = SB_PROTO_MAGIC_REQ,
			    .version = SB_PROTO_VERSION,
			    .type = SB_REQ_PRIVDROP,
			    .arch = SB_AUDIT_ARCH,
			    .seq = 12 };
	setup_exchange("relay-privdrop", new_chan(ctrl, 0), &g, sizeof(g), true, -1);
	struct sb_req creq = { .magic = SB_PROTO_MAGIC_REQ,
			       .version = SB_PROTO_VERSION,
			       .type = SB_REQ_CHANNEL,
			       .arch = SB_AUDIT_ARCH };
	setup_exchange("relay-channel", ctrl, &creq, sizeof(creq), true, -1);
}

static int cmd_setup(const char *root, const char *secret)
{
	int ctrl = ctrl_fd();
	setup_order(ctrl);
	setup_relayed(ctrl, cat(root, "/granted.txt"));
	both_opens(root, secret, "after-setup");
	return 0;
}

/*
 * A log flood the sandboxee drives: every malformed message is a protocol-error record, and a
 * channel is cut off only after many of them, so a fresh channel each time buys more records.
 */
static int cmd_logflood(long channels)
{
	int ctrl = ctrl_fd();
	struct sb_req creq = { .magic = SB_PROTO_MAGIC_REQ,
			       .version = SB_PROTO_VERSION,
			       .type = SB_REQ_CHANNEL,
			       .arch = SB_AUDIT_ARCH };
	struct sb_req bad = creq;
	bad.magic = 0x12345678;
	long sent = 0, made = 0;
	for (long i = 0; i < channels; i++) {
		int ch = -1;
		long s = asc(SYS_sendto, ctrl, (long)&creq, sizeof(creq), MSG_NOSIGNAL, 0);
		if (s < 0 || get_reply(ctrl, NULL, &ch) < 0 || ch < 0)
			break;
		made++;
		for (;;) {
			int rfd;
			if (asc(SYS_sendto, ch, (long)&bad, sizeof(bad), MSG_NOSIGNAL, 0) < 0)
				break;
			sent++;
			if (get_reply(ch, NULL, &rfd) != -EPROTO)
				break; /* cut off */
		}
		close(ch);
	}
	printf("logflood channels=%ld garbage=%ld\n", made, sent);
	return 0;
}

/* ---- the channel and control fds ------------------------------------------------------------- */

static int find_channel(int ctrl)
{
	for (int fd = 3; fd < 1100; fd++) {
		struct stat st;
		if (fd != ctrl && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
			return fd;
	}
	return -1;
}

static int cmd_chanclose(const char *root, const char *secret)
{
	int ctrl = ctrl_fd();
	both_opens(root, secret, "before");
	int ch = find_channel(ctrl);
	printf("channel fd=%d ctrl=%d\n", ch, ctrl);
	int null = open("/dev/null", O_RDWR);
	if (ch >= 0) {
		report("dup2-over-channel", sc(SYS_dup2, null, ch, 0, 0, 0));
		both_opens(root, secret, "channel-is-devnull");
		report("close-channel", sc(SYS_close, ch, 0, 0, 0, 0));
		both_opens(root, secret, "channel-closed");
		int sp[2];
		socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
		close(sp[1]); /* (with the peer open the handler would wait for a reply forever) */
		report("dup2-socketpair-over-channel", sc(SYS_dup2, sp[0], ch, 0, 0, 0));
		both_opens(root, secret, "channel-is-ours");
	}
	report("dup2-over-ctrl", sc(SYS_dup2, null, ctrl, 0, 0, 0));
	ch = find_channel(-1);
	if (ch >= 0)
		report("close-channel-again", sc(SYS_close, ch, 0, 0, 0, 0));
	both_opens(root, secret, "ctrl-is-devnull");
	report("close-ctrl", sc(SYS_close, ctrl, 0, 0, 0, 0));
	both_opens(root, secret, "ctrl-closed");
	return 0;
}

/* ---- slots: the reply slots shared with the broker ----------------------------------------
 */

static uint8_t *region_lo, *region_hi;

/* The reply slots' mapping, as /proc/self/maps names it. */
static int find_region(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (strstr(line, "sysbroker-slots") && sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
			region_lo = (uint8_t *)lo;
			region_hi = (uint8_t *)hi;
		}
	}
	if (f)
		fclose(f);
	return region_lo ? 0 : -ENOENT;
}

/* Random bytes over every slot, waiting and done words included, until told to stop. */
static void *slot_scribbler(void *arg)
{
	(void)arg;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	while (!atomic_load(&stop))
		for (uint8_t *p = region_lo; p + 8 <= region_hi; p += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			__atomic_store_n((uint64_t *)p, x, __ATOMIC_RELAXED);
		}
	return NULL;
}

static const char *slot_secret;
static void *slot_asker(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		long r = sc(SYS_openat, AT_FDCWD, (long)slot_secret, O_RDONLY, 0, 0);
		if (r >= 0)
			report("open-secret-forged", r);
	}
	return NULL;
}

static int cmd_slots(const char *root, const char *secret)
{
	both_opens(root, secret, "before");
	printf("region %s\n", find_region() == 0 ? "found" : "missing");
	fflush(stdout);
	if (!region_lo)
		return 0;
	/* An fd on the memfd, to shrink it under the broker's mapping: not without privilege. */
	char mf[128];
	snprintf(mf, sizeof(mf), "/proc/self/map_files/%lx-%lx", (unsigned long)region_lo,
		 (unsigned long)region_hi);
	long fd = sc(SYS_openat, AT_FDCWD, (long)mf, O_RDWR, 0, 0);
	report("map-files-open", fd);
	if (fd >= 0)
		report("map-files-truncate", sc(SYS_ftruncate, fd, 0, 0, 0, 0));
	/* A forked child does not get its parent's slots (it could forge the parent's answers). */
	pid_t pid = fork();
	if (pid == 0) {
		volatile uint8_t v = region_lo[0];
		(void)v;
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	printf("fork-child-reads-slots %s\n",
	       WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? "segv" : "read");
	/*
	 * Scribble over every slot while another thread keeps asking. That thread fools only
	 * itself: a forged answer names one of its own fds, never the secret (shown if it
	 * happens), and a forged "done" may leave it waiting for good; it is left behind.
	 */
	pthread_t t, a;
	atomic_store(&stop, 0);
	slot_secret = secret;
	if (pthread_create(&t, NULL, slot_scribbler, NULL) == 0 &&
	    pthread_create(&a, NULL, slot_asker, NULL) == 0) {
		struct timespec ts = { 0, 300 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		atomic_store(&stop, 1);
		pthread_join(t, NULL);
		pthread_detach(a);
	}
	both_opens(root, secret, "after-scribble");
	/* The broker still serves a fresh process. */
	pid = fork();
	if (pid == 0) {
		both_opens(root, secret, "child-after-scribble");
		_exit(0);
	}
	waitpid(pid, &st, 0);
	fflush(stdout);
	_exit(0); /* the asker may still wait */
}

/* ---- fdlimit: an fd the broker passes that the fd table has no room for ----------------------
 */

static int cmd_fdlimit(const char *root)
{
	struct rlimit rl = { 64, 64 };
	int fds[64], n = 0;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		printf("setrlimit failed: %s\n", strerror(errno));
		return 1;
	}
	while (n < 64 && (fds[n] = dup(0)) >= 0)
		n++;
	printf("table full after %d dups (%s)\n", n, n < 64 ? strerror(errno) : "no error");
	OPEN(sc, "open-granted-at-limit", AT_FDCWD, cat(root, "/granted.txt"), O_RDONLY);
	while (n > 0)
		close(fds[--n]);
	OPEN(sc, "open-granted-below-limit", AT_FDCWD, cat(root, "/granted.txt"), O_RDONLY);
	return 0;
}

/* ---- flood ------------------------------------------------------------------------------------
 */

static atomic_long answers, errors;
static const char *flood_path;

static void *flood_thread(void *arg)
{
	(void)arg;
	struct stat st;
	while (!atomic_load(&stop)) {
		long r = sc(SYS_newfstatat, AT_FDCWD, (long)flood_path, (long)&st, 0, 0);
		if (r == 0)
			atomic_fetch_add(&answers, 1);
		else
			atomic_fetch_add(&errors, 1);
	}
	return NULL;
}

static int cmd_flood(const char *root, int threads, int seconds)
{
	pthread_t t[256];
	flood_path = cat(root, "/granted.txt");
	if (threads > 256)
		threads = 256;
	int made = 0;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, flood_thread, NULL) == 0)
			made++;
	printf("flood threads=%d\n", made);
	fflush(stdout);
	long main_ok = 0, main_bad = 0;
	struct timespec end, now;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += seconds;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (seconds > 0 && (now.tv_sec > end.tv_sec ||
				    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec)))
			break;
		long fd = sc(SYS_openat, AT_FDCWD, (long)flood_path, O_RDONLY, 0, 0);
		char b[32] = "";
		if (fd >= 0 && read((int)fd, b, sizeof(b) - 1) > 0 && strstr(b, "granted"))
			main_ok++;
		else
			main_bad++;
		if (fd >= 0)
			close((int)fd);
		struct timespec ms = { 0, 10 * 1000 * 1000 };
		nanosleep(&ms, NULL);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("flood main-ok=%ld main-bad=%ld thread-answers=%ld thread-errors=%ld\n", main_ok,
	       main_bad, atomic_load(&answers), atomic_load(&errors));
	return 0;
}

/* ---- the dangerous set --------------------------------------------------------------------- */

static volatile long victim = 1234;

/* Harmless ones only, for a native control run (no capabilities needed): each succeeds there. */
static int cmd_danger_safe(void)
{
	struct io_uring_params iup;
	memset(&iup, 0, sizeof(iup));
	report("io_uring_setup", sc(SYS_io_uring_setup, 4, (long)&iup, 0, 0, 0));
	report("userfaultfd", sc(SYS_userfaultfd, 1 /* UFFD_USER_MODE_ONLY */, 0, 0, 0, 0));
	report("personality-query", sc(SYS_personality, 0xffffffff, 0, 0, 0, 0));
	long val = 0;
	struct iovec local = { &val, sizeof(val) }, remote = { (void *)&victim, sizeof(val) };
	report("process_vm_readv-self",
	       sc(SYS_process_vm_readv, getpid(), (long)&local, 1, (long)&remote, 1));
	return 0;
}

static int cmd_danger(void)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return 2;
	pid_t child = fork();
	if (child == 0) {
		char c;
		close(pfd[1]);
		(void)!read(pfd[0], &c, 1); /* until the parent is done */
		_exit(victim == 1234 ? 0 : 1);
	}
	close(pfd[0]);
	for (int k = 0; k < 2; k++) {
		long (*f)(long, long, long, long, long, long) = k ? asc : sc;
		const char *sfx = k ? "-asm" : "";
		char w[64];
#define D(name, ...)                                                                               \
	do {                                                                                       \
		snprintf(w, sizeof(w), "%s%s", name, sfx);                                         \
		report(w, f(__VA_ARGS__));                                                         \
	} while (0)
		struct io_uring_params iup;
		memset(&iup, 0, sizeof(iup));
		D("io_uring_setup", SYS_io_uring_setup, 4, (long)&iup, 0, 0, 0);
		D("ptrace-traceme", SYS_ptrace, PTRACE_TRACEME, 0, 0, 0, 0);
		D("ptrace-attach-sibling", SYS_ptrace, PTRACE_ATTACH, child, 0, 0, 0);
		D("ptrace-seize-sibling", SYS_ptrace, PTRACE_SEIZE, child, 0, 0, 0);
		long val = 999;
		struct iovec local = { &val, sizeof(val) },
			     remote = { (void *)&victim, sizeof(val) };
		D("process_vm_writev", SYS_process_vm_writev, child, (long)&local, 1, (long)&remote,
		  1);
		D("process_vm_readv", SYS_process_vm_readv, child, (long)&local, 1, (long)&remote,
		  1);
		D("userfaultfd", SYS_userfaultfd, 0, 0, 0, 0, 0);
		union bpf_attr ba;
		memset(&ba, 0, sizeof(ba));
		ba.map_type = BPF_MAP_TYPE_ARRAY;
		ba.key_size = 4;
		ba.value_size = 4;
		ba.max_entries = 1;
		D("bpf", SYS_bpf, BPF_MAP_CREATE, (long)&ba, sizeof(ba), 0, 0);
		struct perf_event_attr pa;
		memset(&pa, 0, sizeof(pa));
		pa.size = sizeof(pa);
		pa.type = PERF_TYPE_SOFTWARE;
		pa.config = PERF_COUNT_SW_CPU_CLOCK;
		D("perf_event_open", SYS_perf_event_open, (long)&pa, 0, -1, -1, 0);
		D("unshare-newuser", SYS_unshare, CLONE_NEWUSER, 0, 0, 0, 0);
		D("unshare-newns", SYS_unshare, CLONE_NEWNS, 0, 0, 0, 0);
		D("clone-newuser", SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
		D("clone-newpid-hibits", SYS_clone, CLONE_NEWPID | SIGCHLD | (1L << 40), 0, 0, 0,
		  0);
		D("setns", SYS_setns, 0, 0, 0, 0, 0);
		D("mount", SYS_mount, (long)"none", (long)"/tmp", (long)"tmpfs", 0, 0);
		D("umount2", SYS_umount2, (long)"/proc", 2 /* MNT_DETACH */, 0, 0, 0);
		D("pivot_root", SYS_pivot_root, (long)"/tmp", (long)"/tmp", 0, 0, 0);
		D("chroot", SYS_chroot, (long)"/tmp", 0, 0, 0, 0);
		D("personality-read-implies-exec", SYS_personality, READ_IMPLIES_EXEC, 0, 0, 0, 0);
		D("personality-addr-no-randomize", SYS_personality, ADDR_NO_RANDOMIZE, 0, 0, 0, 0);
		D("personality-query", SYS_personality, 0xffffffff, 0, 0, 0, 0);
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct sock_fprog prog = { 1, &allow };
		D("seccomp-new-listener", SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		  SECCOMP_FILTER_FLAG_NEW_LISTENER, (long)&prog, 0, 0);
		D("pidfd_getfd", SYS_pidfd_getfd, 0, 0, 0, 0, 0);
		D("kcmp", SYS_kcmp, getpid(), child, 0, 0, 0);
		D("keyctl", SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0, 0, 0);
		D("add_key", SYS_add_key, (long)"user", (long)"k", (long)"v", 1, -3);
		D("open_by_handle_at", SYS_open_by_handle_at, AT_FDCWD, 0, 0, 0, 0);
		D("name_to_handle_at", SYS_name_to_handle_at, AT_FDCWD, (long)"/etc", 0, 0, 0);
		D("finit_module", SYS_finit_module, 0, (long)"", 0, 0, 0);
		D("kexec_load", SYS_kexec_load, 0, 0, 0, 0, 0);
		D("iopl", SYS_iopl, 3, 0, 0, 0, 0);
		D("process_madvise", SYS_process_madvise, 0, 0, 0, 0, 0);
#undef D
	}
	close(pfd[1]);
	int st;
	waitpid(child, &st, 0);
	printf("sibling-memory ret=%d errno=%s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1,
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "0" : "CHANGED");
	return 0;
}

/* ---- the other ABIs ------------------------------------------------------------------------- */

static int cmd_abi32(const char *secret)
{
	/* int $0x80 takes 32-bit pointers: copy the path below 4 GiB. */
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		return 2;
	snprintf(low, 2048, "%s", secret);
	printf("abi32-start\n");
	fflush(stdout);
	long fd;
	__asm__ volatile("int $0x80"
			 : "=a"(fd)
			 : "a"(5L /* i386 open */), "b"(low), "c"(0L), "d"(0L)
			 : "memory");
	report("abi32-open", fd);
	if (fd >= 0) {
		long n;
		__asm__ volatile("int $0x80"
				 : "=a"(n)
				 : "a"(3L /* i386 read */), "b"(fd), "c"(low + 2048), "d"(1000L)
				 : "memory");
		if (n > 0) {
			low[2048 + n] = 0;
			printf("abi32-read data=%s\n", low + 2048);
		}
	}
	return 0;
}

static int cmd_x32(const char *secret)
{
	printf("x32-start\n");
	fflush(stdout);
	/* x32's open is x86_64's number with __X32_SYSCALL_BIT. */
	report("open-x32-openat",
	       asc(0x40000000L | SYS_openat, AT_FDCWD, (long)secret, O_RDONLY, 0, 0));
	report("open-x32-open", asc(0x40000000L | SYS_open, (long)secret, O_RDONLY, 0, 0, 0));
	return 0;
}

/* ---- the broker dying ------------------------------------------------------------------------ */

static void loop_calls(const char *who, const char *root, const char *secret)
{
	char *granted = cat(root, "/granted.txt");
	for (long i = 0;; i++) {
		long g = sc(SYS_openat, AT_FDCWD, (long)granted, O_RDONLY, 0, 0);
		char data[64] = "";
		if (g >= 0) {
			ssize_t n = read((int)g, data, sizeof(data) - 1);
			data[n > 0 ? n : 0] = 0;
			data[strcspn(data, "\n")] = 0;
			close((int)g);
		}
		long s = sc(SYS_openat, AT_FDCWD, (long)secret, O_RDONLY, 0, 0);
		char sdata[64] = "";
		if (s >= 0) {
			ssize_t n = read((int)s, sdata, sizeof(sdata) - 1);
			sdata[n > 0 ? n : 0] = 0;
			sdata[strcspn(sdata, "\n")] = 0;
			close((int)s);
		}
		long c = sc(SYS_mkdirat, AT_FDCWD, (long)cat(root, "/../made-after-death"), 0755, 0,
			    0);
		dprintf(1, "%s i=%ld granted=%s/%s secret=%s/%s mkdir-out=%s\n", who, i, ename(g),
			data, ename(s), sdata, ename(c));
		struct timespec ms = { 0, 20 * 1000 * 1000 };
		nanosleep(&ms, NULL);
	}
}

static int cmd_deathloop(const char *root, const char *secret)
{
	dprintf(1, "main pid=%d\n", (int)getpid());
	pid_t c = fork();
	if (c == 0) {
		dprintf(1, "child pid=%d\n", (int)getpid());
		loop_calls("child", root, secret);
	}
	loop_calls("main", root, secret);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* stdio's first write asks fstat (newfstatat, brokered): make it before any SIGSYS game. */
	printf("start %s\n", argc > 1 ? argv[1] : "");
	if (argc < 2)
		return 2;
	const char *cmd = argv[1];
	if (strcmp(cmd, "paths") == 0 && argc == 4)
		return cmd_paths(argv[2], argv[3]);
	if (strcmp(cmd, "race") == 0 && argc == 6)
		return cmd_race(argv[2], argv[3], atol(argv[4]), strcmp(argv[5], "inner") == 0);
	if (strcmp(cmd, "flipper") == 0 && argc == 5)
		return cmd_flipper(argv[2], argv[3], atoi(argv[4]));
	if (strcmp(cmd, "proc") == 0 && argc == 5)
		return cmd_proc(argv[2], argv[3], atol(argv[4]));
	if (strcmp(cmd, "procself") == 0 && argc == 4)
		return cmd_procself(argv[2], argv[3]);
	if (strcmp(cmd, "threadself") == 0)
		return cmd_threadself();
	if (strcmp(cmd, "victim") == 0 && argc == 3)
		return cmd_victim(argv[2]);
	if (strcmp(cmd, "fds") == 0 && argc == 4)
		return cmd_fds(argv[2], argv[3]);
	if (strcmp(cmd, "stdin-file") == 0 && argc == 3)
		return cmd_stdin_file(argv[2]);
	if (strcmp(cmd, "opath") == 0 && argc == 3)
		return cmd_opath(argv[2]);
	if (strcmp(cmd, "unix") == 0 && argc == 3)
		return cmd_unix(argv[2]);
	if (strcmp(cmd, "hardlink") == 0 && argc == 4)
		return cmd_hardlink(argv[2], argv[3]);
	if (strncmp(cmd, "sig", 3) == 0 && argc == 4)
		return cmd_sig(cmd, argv[2], argv[3]);
	if (strcmp(cmd, "setup") == 0 && argc == 4)
		return cmd_setup(argv[2], argv[3]);
	if (strcmp(cmd, "proto") == 0 && argc == 4)
		return cmd_proto(argv[2], argv[3]);
	if (strcmp(cmd, "logflood") == 0 && argc == 3)
		return cmd_logflood(atol(argv[2]));
	if (strcmp(cmd, "fdlimit") == 0 && argc == 3)
		return cmd_fdlimit(argv[2]);
	if (strcmp(cmd, "slots") == 0 && argc == 4)
		return cmd_slots(argv[2], argv[3]);
	if (strcmp(cmd, "chanclose") == 0 && argc == 4)
		return cmd_chanclose(argv[2], argv[3]);
	if (strcmp(cmd, "flood") == 0 && argc == 5)
		return cmd_flood(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (strcmp(cmd, "danger") == 0)
		return cmd_danger();
	if (strcmp(cmd, "danger-safe") == 0)
		return cmd_danger_safe();
	if (strcmp(cmd, "abi32") == 0 && argc == 3)
		return cmd_abi32(argv[2]);
	if (strcmp(cmd, "x32") == 0 && argc == 3)
		return cmd_x32(argv[2]);
	if (strcmp(cmd, "exec") == 0 && argc >= 3) {
		long r = sc(SYS_execve, (long)argv[2], (long)(argv + 2), (long)environ, 0, 0);
		report("exec", r);
		return 1;
	}
	if (strcmp(cmd, "uname") == 0) {
		struct utsname u;
		report("uname", sc(SYS_uname, (long)&u, 0, 0, 0, 0));
		return 0;
	}
	if (strcmp(cmd, "execfd") == 0 && argc == 3) {
		/*
		 * The exec fd of the runtime's checked exec: the kernel ignores the dirfd of an
		 * absolute path, and an fd planted there (stdin: a program not granted) runs with
		 * an empty one. Both must go to the broker, never straight to the kernel.
		 */
		char *args[] = { argv[2], NULL };
		long r = sc(SYS_execveat, 1019, (long)argv[2], (long)args, (long)environ, 0);
		report("execveat-exec-fd-abs", r);
		r = sc(SYS_execveat, 1019, (long)argv[2], (long)args, (long)environ, AT_EMPTY_PATH);
		report("execveat-exec-fd-abs-empty-flag", r);
		if (dup2(0, 1019) == 1019) {
			r = sc(SYS_execveat, 1019, (long)"", (long)args, (long)environ,
			       AT_EMPTY_PATH);
			report("execveat-planted-exec-fd", r);
		}
		return 0;
	}
	if (strcmp(cmd, "open") == 0 && argc == 3) {
		OPEN(sc, "open-path", AT_FDCWD, argv[2], O_RDONLY);
		return 0;
	}
	if (strcmp(cmd, "deathloop") == 0 && argc == 4)
		return cmd_deathloop(argv[2], argv[3]);
	return 2;
}
