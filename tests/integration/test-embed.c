/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sb_sandbox_enter() under the real kernel, through the public library only: each case runs in
 * a forked process that sandboxes itself and reports back; this process checks what it can see
 * from outside (the entered process's /proc status, the audit log, which processes are left).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "protocol.h"
#include "sysbroker.h"

static char root[PATH_MAX];
static int ntest, failures;
static bool is_root;
/*
 * What this process was given decides, not its uid: root in a container may lack CAP_SETPCAP
 * (the bounding set then stays) or CAP_SYS_ADMIN (no_new_privs then comes first).
 */
static bool has_setpcap, has_sys_admin;

/* In a case's process: report the failing line as the exit status (1..255), or 0. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			dprintf(2, "check failed at line %d: %s (errno %d)\n", __LINE__, #cond,    \
				errno);                                                            \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

static void tap(bool ok, const char *what)
{
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++ntest, what);
	fflush(stdout);
	failures += !ok;
}

static void path_of(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", root, rel);
}

static void writefile(const char *rel, const char *content)
{
	char p[PATH_MAX + 64];
	path_of(p, sizeof(p), rel);
	FILE *f = fopen(p, "w");
	if (!f || fputs(content, f) < 0 || fclose(f) != 0) {
		perror(p);
		exit(1);
	}
}

/* The base policy: the test's own needs, the granted tree, and extra lines. */
static struct sb_policy *policy_with(const char *extra, const char *name)
{
	char text[6 * PATH_MAX];
	struct sb_policy *p = NULL;
	struct sb_policy_error err;
	int n = snprintf(text, sizeof(text),
			 "sysbroker-policy 1\n"
			 "default syscall deny errno ENOSYS\n"
			 "allow @default-runtime @process @signal @memory @ipc @time @file-read\n"
			 "path \"%s/granted/**\" read write create delete list\n"
			 "path \"%s/granted\" stat list\n"
			 "%s",
			 root, root, extra ? extra : "");
	if (sb_policy_load_string(text, (size_t)n, name, &p, &err) < 0) {
		fprintf(stderr, "%s:%u:%u: %s\n", err.file, err.line, err.column, err.message);
		exit(1);
	}
	return p;
}

/* The log's path is set in this process before the fork, so that both sides know it. */
static void log_path(const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", root, name);
}

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

static struct sb_enter_opts log_opts(int fd)
{
	struct sb_enter_opts o;
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.flags = SB_ENTER_LOG;
	o.log_fd = fd;
	return o;
}

/* open(2) as the sandbox answers it: the fd, or -errno. */
static int try_open(const char *rel)
{
	char p[PATH_MAX + 64];
	if (rel[0] == '/')
		snprintf(p, sizeof(p), "%s", rel);
	else
		path_of(p, sizeof(p), rel);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static bool reads(const char *rel, const char *want)
{
	char buf[128];
	int fd = try_open(rel);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = 0;
	return strcmp(buf, want) == 0;
}

static int count_lines(const char *path, const char *a, const char *b, const char *c)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	int n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, a) && (!b || strstr(line, b)) && (!c || strstr(line, c)))
			n++;
	fclose(f);
	return n;
}

/* Run fn in a new process (its own process group); returns its wait status. */
static int run(void (*fn)(void *), void *arg, pid_t *ret_pid)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		setpgid(0, 0);
		fn(arg);
		_exit(0);
	}
	if (ret_pid)
		*ret_pid = pid;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			exit(1);
	return status;
}

static bool exited_ok(int status)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "case process: status %#x\n", status);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* --- what is visible from outside ------------------------------------------------------------ */

/* A field of /proc/PID[/task/TID]/status, as text ("" if absent). */
static void status_field(const char *dir, const char *field, char *out, size_t size)
{
	char p[PATH_MAX], line[512];
	size_t flen = strlen(field);
	snprintf(p, sizeof(p), "%s/status", dir);
	out[0] = 0;
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			char *v = line + flen + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = 0;
			snprintf(out, size, "%s", v);
			break;
		}
	fclose(f);
}

/* Every thread of pid: filtered, no_new_privs, no capability (and no bounding set as root). */
static bool confined(pid_t pid, int want_threads)
{
	char dir[PATH_MAX], v[128];
	int n = 0;
	bool ok = true;
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char t[PATH_MAX + 300];
		snprintf(t, sizeof(t), "%s/%s", dir, de->d_name);
		n++;
		const char *want[][2] = { { "Seccomp", "2" },
					  { "NoNewPrivs", "1" },
					  { "CapInh", "0000000000000000" },
					  { "CapPrm", "0000000000000000" },
					  { "CapEff", "0000000000000000" },
					  { "CapAmb", "0000000000000000" },
					  { "CapBnd", "0000000000000000" } };
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			if (!has_setpcap && strcmp(want[i][0], "CapBnd") == 0)
				continue; /* only CAP_SETPCAP can lower it */
			status_field(t, want[i][0], v, sizeof(v));
			if (strcmp(v, want[i][1]) != 0) {
				fprintf(stderr, "thread %s: %s is %s, not %s\n", de->d_name,
					want[i][0], v, want[i][1]);
				ok = false;
			}
		}
	}
	closedir(d);
	if (n != want_threads) {
		fprintf(stderr, "%d threads, not %d\n", n, want_threads);
		ok = false;
	}
	return ok;
}

/* Live processes of a process group, other than `except`. */
static int group_members(pid_t pgid, pid_t except)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;
	while (d && (de = readdir(d))) {
		char p[300], buf[512];
		if (de->d_name[0] < '0' || de->d_name[0] > '9' || atoi(de->d_name) == except)
			continue;
		snprintf(p, sizeof(p), "/proc/%s/stat", de->d_name);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t k = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (k <= 0)
			continue;
		buf[k] = 0;
		char *rp = strrchr(buf, ')'), st;
		int ppid, pgrp;
		if (rp && sscanf(rp + 1, " %c %d %d", &st, &ppid, &pgrp) == 3 && st != 'Z' &&
		    pgrp == pgid)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* Poll until the group has `want` members besides `except`, for up to two seconds. */
static bool group_settles(pid_t pgid, pid_t except, int want)
{
	for (int i = 0; i < 200; i++) {
		if (group_members(pgid, except) == want)
			return true;
		usleep(10000);
	}
	fprintf(stderr, "group %d: %d members\n", (int)pgid, group_members(pgid, except));
	return false;
}

/*
 * Everything of the calling process that entering could change, as text: its fds, its SIGSYS
 * disposition, its signal mask, dumpability, its thread's seccomp, no_new_privs and
 * capabilities, and the other processes of its group (a broker left behind).
 */
static void snapshot(char *out, size_t size)
{
	struct sigaction sa;
	sigset_t mask;
	char fds[1024] = "", v[7][128], self[64];
	size_t used = 0;

	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
			used += (size_t)snprintf(fds + used, sizeof(fds) - used, "%s,", de->d_name);
	if (d)
		closedir(d);
	sigaction(SIGSYS, NULL, &sa);
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	snprintf(self, sizeof(self), "/proc/self/task/%ld", (long)syscall(SYS_gettid));
	const char *fields[] = { "Seccomp", "NoNewPrivs", "CapInh", "CapPrm",
				 "CapEff",  "CapAmb",     "CapBnd" };
	for (int i = 0; i < 7; i++)
		status_field(self, fields[i], v[i], sizeof(v[i]));
	unsigned long m;
	memcpy(&m, &mask, sizeof(m));
	snprintf(out, size,
		 "fds=%s sigsys=%s/%#x mask=%#lx dumpable=%d seccomp=%s nnp=%s caps=%s/%s/%s/%s/%s "
		 "others=%d",
		 fds,
		 sa.sa_handler == SIG_DFL   ? "dfl"
		 : sa.sa_handler == SIG_IGN ? "ign"
					    : "handler",
		 (unsigned)sa.sa_flags & ~0x04000000u /* SA_RESTORER: glibc's own */, m,
		 prctl(PR_GET_DUMPABLE), v[0], v[1], v[2], v[3], v[4], v[5], v[6],
		 group_members(getpgrp(), getpid()));
}

static bool unchanged(const char *before)
{
	char after[4096];
	/* A broker that was stopped may take a moment to be gone from its group. */
	for (int i = 0; i < 200; i++) {
		snapshot(after, sizeof(after));
		if (strcmp(before, after) == 0)
			return true;
		usleep(10000);
	}
	fprintf(stderr, "before: %s\nafter:  %s\n", before, after);
	return false;
}

/* --- the cases ------------------------------------------------------------------------------- */

struct gate {
	int ready[2]; /* the case process says "entered" */
	int go[2];    /* this process says "go on" */
};

static void gate_open(struct gate *g)
{
	if (pipe2(g->ready, O_CLOEXEC) < 0 || pipe2(g->go, O_CLOEXEC) < 0)
		exit(1);
}

static void gate_wait_go(struct gate *g)
{
	char c;
	CHECK(write(g->ready[1], "r", 1) == 1);
	CHECK(read(g->go[0], &c, 1) == 1);
}

static char log_single[PATH_MAX + 64];

static void single(void *arg)
{
	struct gate *g = arg;
	struct sb_policy *p = policy_with("allow socket setsockopt\n", "embed.policy");
	int logfd = open_log(log_single);
	CHECK(logfd >= 0);
	struct sb_enter_opts o = log_opts(logfd);
	CHECK(sb_sandbox_enter(p, &o) == 0);
	sb_policy_free(p);
	close(logfd); /* the broker has its own; the sandboxed code may not forge records */
	CHECK(reads("granted/a.txt", "hello\n"));
	CHECK(try_open("secret.txt") == -EACCES);
	CHECK(try_open("/etc/shadow") == -EACCES);
	CHECK(try_open("granted/missing") == -ENOENT);
	/* A routing header would send a granted address's packets elsewhere: refused, logged. */
	int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;
	uint8_t rthdr[40] = { 0, 4, 4, 1, 1 }; /* segment routing, two segments */
	CHECK(s >= 0);
	CHECK(setsockopt(s, IPPROTO_IPV6, IPV6_RTHDR, rthdr, sizeof(rthdr)) == -1 &&
	      errno == EPERM);
	CHECK(setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == 0);
	close(s);
	gate_wait_go(g);
	_exit(0);
}

/*
 * The log on /dev/full. arg: the policy's log-failure line. stop (the default): the broker ends
 * at the first record it cannot write, so the denied call and every later brokered call fail
 * with EIO; continue: the sandbox goes on, with the policy's answers.
 */
static void full_log(void *arg)
{
	const char *line = arg;
	bool stop = strstr(line, "stop") != NULL;
	struct sb_policy *p = policy_with(line, "full.policy");
	int logfd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	CHECK(logfd >= 0);
	struct sb_enter_opts o = log_opts(logfd);
	CHECK(sb_sandbox_enter(p, &o) == 0);
	sb_policy_free(p);
	close(logfd);
	CHECK(reads("granted/a.txt", "hello\n")); /* an allow leaves no record */
	CHECK(try_open("secret.txt") == (stop ? -EIO : -EACCES));
	if (stop)
		CHECK(try_open("granted/a.txt") == -EIO);
	else
		CHECK(reads("granted/a.txt", "hello\n"));
	_exit(0);
}

static void test_single(void)
{
	struct gate g;
	gate_open(&g);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		single(&g);
	}
	close(g.ready[1]);
	close(g.go[0]);
	char c = 0;
	bool entered = read(g.ready[0], &c, 1) == 1;
	tap(entered && confined(pid, 1), "single-threaded: entered; filtered, no_new_privs, no "
					 "capabilities left");
	if (write(g.go[1], "g", 1) != 1)
		exit(1);
	int status;
	waitpid(pid, &status, 0);
	tap(exited_ok(status),
	    "single-threaded: allowed opens work, others get the policy's errno");
	/* json-c writes "/" as "\/": match on the names. */
	tap(count_lines(log_single, "\"decision\":\"deny\"", "secret.txt",
			"\"transport\":\"trap\"") == 1 &&
		    count_lines(log_single, "shadow", "\"errno\":\"EACCES\"", NULL) == 1,
	    "single-threaded: each denial is in the log, once");
	tap(count_lines(log_single, "\"syscall\":\"setsockopt\"", "\"errno\":\"EPERM\"",
			"\"transport\":\"trap\"") == 1,
	    "single-threaded: setsockopt IPV6_RTHDR is refused, and in the log");
	/* The broker ends with the application. */
	tap(group_settles(pid, 0, 0), "the broker exits once the application is gone");
}

/* Threads started before entering, each waiting for its turn. */
struct worker {
	pthread_t t;
	int go[2];
	int result; /* 0 ok, else the failing step */
	int id;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char c;
	char name[64], want[64];
	if (read(w->go[0], &c, 1) != 1) {
		w->result = 1;
		return NULL;
	}
	snprintf(name, sizeof(name), "granted/t%d.txt", w->id);
	snprintf(want, sizeof(want), "thread %d", w->id);
	if (!reads(name, want))
		w->result = 2;
	else if (try_open("secret.txt") != -EACCES) /* root could read it without the sandbox */
		w->result = 3;
	else if (try_open("/etc/shadow") != -EACCES)
		w->result = 4;
	return NULL;
}

static char log_threads[PATH_MAX + 64];

static void threaded(void *arg)
{
	struct gate *g = arg;
	struct worker w[3];
	for (int i = 0; i < 3; i++) {
		w[i] = (struct worker){ .id = i };
		CHECK(pipe2(w[i].go, O_CLOEXEC) == 0);
		CHECK(pthread_create(&w[i].t, NULL, worker_main, &w[i]) == 0);
	}
	struct sb_policy *p = policy_with(NULL, "embed.policy");
	int logfd = open_log(log_threads);
	struct sb_enter_opts o = log_opts(logfd);
	int r = sb_sandbox_enter(p, &o);
	if (r < 0)
		dprintf(2, "sb_sandbox_enter: %s\n", strerror(-r));
	CHECK(r == 0);
	close(logfd);
	gate_wait_go(g);
	for (int i = 0; i < 3; i++) {
		CHECK(write(w[i].go[1], "g", 1) == 1);
		CHECK(pthread_join(w[i].t, NULL) == 0);
		if (w[i].result)
			dprintf(2, "thread %d failed at step %d\n", i, w[i].result);
		CHECK(w[i].result == 0);
	}
	_exit(0);
}

static void test_threads(void)
{
	struct gate g;
	gate_open(&g);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		threaded(&g);
	}
	close(g.ready[1]);
	close(g.go[0]);
	char c = 0;
	bool entered = read(g.ready[0], &c, 1) == 1;
	tap(entered && confined(pid, 4),
	    "multi-threaded: threads started before entering are filtered and lost their "
	    "privileges too");
	if (write(g.go[1], "g", 1) != 1)
		exit(1);
	int status;
	waitpid(pid, &status, 0);
	tap(exited_ok(status), "multi-threaded: a thread started before entering is decided by the "
			       "policy");
	tap(count_lines(log_threads, "\"decision\":\"deny\"", "secret.txt", NULL) == 3,
	    "multi-threaded: the threads' denials are in the log");
}

static char log_fork[PATH_MAX + 64];

static void forked(void *arg)
{
	struct sb_policy *p = policy_with(NULL, "embed.policy");
	int logfd = open_log(log_fork);
	struct sb_enter_opts o = log_opts(logfd);
	CHECK(sb_sandbox_enter(p, &o) == 0);
	close(logfd);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK(reads("granted/a.txt", "hello\n"));
		CHECK(try_open("secret.txt") == -EACCES);
		_exit(0);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(dprintf(*(int *)arg, "%d", (int)pid) > 0);
	_exit(0);
}

static void test_fork(void)
{
	int pfd[2];
	char buf[32] = "";
	if (pipe2(pfd, O_CLOEXEC) < 0)
		exit(1);
	int status = run(forked, &pfd[1], NULL);
	close(pfd[1]);
	if (read(pfd[0], buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	close(pfd[0]);
	char pidfield[64];
	snprintf(pidfield, sizeof(pidfield), "\"pid\":%s,", buf);
	tap(exited_ok(status) && buf[0] && count_lines(log_fork, pidfield, "secret.txt", NULL) == 1,
	    "fork after entering: the child's calls are brokered and decided by the policy");
}

/* --- failing to enter changes nothing -------------------------------------------------------- */

static void bad_opts(void *arg)
{
	char before[4096];
	struct sb_policy *p = policy_with(NULL, "embed.policy");
	struct {
		struct sb_enter_opts o;
		char more[16];
	} big;
	struct sb_enter_opts o;
	snapshot(before, sizeof(before));
	memset(&o, 0, sizeof(o));
	o.size = 3;
	CHECK(sb_sandbox_enter(p, &o) == -EINVAL);
	o.size = sizeof(o);
	o.flags = 1u << 7;
	CHECK(sb_sandbox_enter(p, &o) == -EINVAL);
	o.flags = SB_ENTER_SIGSYS_KILL;
	o.sigsys_errno = EPERM;
	CHECK(sb_sandbox_enter(p, &o) == -EINVAL);
	o.flags = SB_ENTER_LOG;
	o.sigsys_errno = 0;
	o.log_fd = 1000;
	CHECK(sb_sandbox_enter(p, &o) == -EBADF);
	memset(&big, 0, sizeof(big));
	big.o.size = sizeof(big);
	big.more[3] = 1;
	CHECK(sb_sandbox_enter(p, &big.o) == -E2BIG);
	CHECK(sb_sandbox_enter(NULL, NULL) == -EINVAL);
	CHECK(unchanged(before));
	/* Trailing zeros are fine: a newer caller with nothing new to say. */
	big.more[3] = 0;
	CHECK(sb_sandbox_enter(p, &big.o) == 0);
	CHECK(try_open("secret.txt") == -EACCES);
	_exit(0);
}

static void bad_policy(void *arg)
{
	char before[4096];
	/* fcntl is one of the handler's own syscalls: the broker would have to judge it. */
	struct sb_policy *p =
		policy_with("deny fcntl errno EINVAL nolog if arg1 == F_SETFL\n", "bad.policy");
	snapshot(before, sizeof(before));
	CHECK(sb_sandbox_enter(p, NULL) == -EOPNOTSUPP);
	CHECK(unchanged(before));
	_exit(0);
}

static void *own_filter(void *arg)
{
	int *go = arg;
	struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_fprog prog = { .len = 1, .filter = allow };
	char c;
	/* A filter of this thread's own: the rest of the process cannot be synchronised to it. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return (void *)1;
	if (write(go[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
		return (void *)1;
	return NULL;
}

static void tsync_fails(void *arg)
{
	char before[4096];
	int a[2], b[2], go[2];
	pthread_t t;
	struct sb_policy *p = policy_with(NULL, "embed.policy");
	CHECK(pipe2(a, O_CLOEXEC) == 0 && pipe2(b, O_CLOEXEC) == 0);
	go[0] = b[0];
	go[1] = a[1];
	CHECK(pthread_create(&t, NULL, own_filter, go) == 0);
	char c;
	CHECK(read(a[0], &c, 1) == 1);
	/* Without CAP_SYS_ADMIN no_new_privs comes first and stays (documented): expect it. */
	if (!has_sys_admin)
		CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	snapshot(before, sizeof(before));
	CHECK(sb_sandbox_enter(p, NULL) == -ESRCH);
	CHECK(unchanged(before));
	CHECK(write(b[1], "g", 1) == 1);
	void *res;
	CHECK(pthread_join(t, &res) == 0 && res == NULL);
	_exit(0);
}

static void *blocks_sigsys(void *arg)
{
	int *go = arg;
	sigset_t all;
	char c;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (write(go[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
		return (void *)1;
	return NULL;
}

static void privileged_blocker(void *arg)
{
	char before[4096];
	int a[2], b[2], go[2];
	pthread_t t;
	struct sb_policy *p = policy_with(NULL, "embed.policy");
	CHECK(pipe2(a, O_CLOEXEC) == 0 && pipe2(b, O_CLOEXEC) == 0);
	go[0] = b[0];
	go[1] = a[1];
	CHECK(pthread_create(&t, NULL, blocks_sigsys, go) == 0);
	char c;
	CHECK(read(a[0], &c, 1) == 1);
	snapshot(before, sizeof(before));
	CHECK(sb_sandbox_enter(p, NULL) == -EBUSY);
	CHECK(unchanged(before));
	CHECK(write(b[1], "g", 1) == 1);
	CHECK(pthread_join(t, NULL) == 0);
	_exit(0);
}

/* --- SIGSYS belongs to the sandbox ----------------------------------------------------------- */

static void on_sigsys(int sig)
{
}

static void sigsys_refused(void *arg)
{
	const int *how = arg; /* 0: default, else the errno asked for */
	struct sb_policy *p = policy_with(NULL, "embed.policy");
	struct sb_enter_opts o;
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.sigsys_errno = *how;
	CHECK(sb_sandbox_enter(p, &o) == 0);
	struct sigaction sa = { .sa_handler = on_sigsys }, old;
	errno = 0;
	CHECK(sigaction(SIGSYS, &sa, NULL) == -1 && errno == (*how ? *how : EPERM));
	CHECK(signal(SIGSYS, SIG_IGN) == SIG_ERR);
	CHECK(sigaction(SIGSYS, NULL, &old) == 0 && old.sa_handler != on_sigsys);
	/* The sandbox's handler is still the one: brokered calls still work. */
	CHECK(reads("granted/a.txt", "hello\n"));
	CHECK(try_open("secret.txt") == -EACCES);
	_exit(0);
}

static void sigsys_kills(void *arg)
{
	struct sb_policy *p = policy_with(NULL, "embed.policy");
	struct sb_enter_opts o;
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.flags = SB_ENTER_SIGSYS_KILL;
	CHECK(sb_sandbox_enter(p, &o) == 0);
	CHECK(reads("granted/a.txt", "hello\n"));
	struct sigaction sa = { .sa_handler = on_sigsys };
	sigaction(SIGSYS, &sa, NULL);
	_exit(3); /* not reached */
}

/* --- layers ---------------------------------------------------------------------------------- */

static char log_layers[PATH_MAX + 64];

static void loosen(void *arg)
{
	char extra[3 * PATH_MAX];
	struct sb_policy *first = policy_with(NULL, "first.policy");
	int logfd = open_log(log_layers);
	struct sb_enter_opts o = log_opts(logfd);
	CHECK(sb_sandbox_enter(first, &o) == 0);
	close(logfd);
	/* The second layer grants the secret, and takes b.txt and getppid(2) away. */
	snprintf(extra, sizeof(extra),
		 "path \"%s/secret.txt\" read\n"
		 "path \"%s/granted/b.txt\" deny errno ENOENT\n"
		 "deny getppid errno EPERM nolog\n",
		 root, root);
	struct sb_policy *second = policy_with(extra, "second.policy");
	CHECK(reads("granted/b.txt", "b\n"));
	CHECK(sb_sandbox_enter(second, NULL) == 0);
	CHECK(try_open("secret.txt") == -EACCES);
	CHECK(reads("granted/a.txt", "hello\n"));
	CHECK(try_open("granted/b.txt") == -ENOENT);
	errno = 0;
	CHECK(syscall(SYS_getppid) == -1 && errno == EPERM);
	/* A third layer cannot bring back what the second took. */
	struct sb_policy *third = policy_with(NULL, "third.policy");
	CHECK(sb_sandbox_enter(third, NULL) == 0);
	CHECK(try_open("granted/b.txt") == -ENOENT);
	errno = 0;
	CHECK(syscall(SYS_getppid) == -1 && errno == EPERM);
	/* Nor may a later call move the log. */
	o = log_opts(2);
	CHECK(sb_sandbox_enter(third, &o) == -EINVAL);
	_exit(0);
}

/* A layer the broker cannot load: the call fails, and nothing changes, in the broker or the
 * kernel. */
static void unloadable(void *arg)
{
	char path[PATH_MAX + 64];
	int fd = *(int *)arg;
	struct sb_policy *first = policy_with(NULL, "first.policy");
	path_of(path, sizeof(path), "layer.policy");
	struct sb_policy_error err;
	struct sb_policy *layer = NULL;
	/* Loaded while it may be read; the broker reads it again, with its own access. */
	CHECK(sb_policy_load_file(path, &layer, &err) == 0);
	CHECK(sb_sandbox_enter(first, NULL) == 0);
	/* Tell the parent to break the file, then try. */
	char c;
	CHECK(write(fd, "r", 1) == 1);
	CHECK(read(fd, &c, 1) == 1);
	CHECK(sb_sandbox_enter(layer, NULL) == -EINVAL);
	CHECK(reads("granted/a.txt", "hello\n"));
	CHECK(write(fd, "r", 1) == 1);
	CHECK(read(fd, &c, 1) == 1);
	/* Repaired, it loads, and the layer holds. */
	CHECK(sb_sandbox_enter(layer, NULL) == 0);
	CHECK(try_open("granted/a.txt") == -ENOENT);
	_exit(0);
}

static void test_unloadable(void)
{
	int sv[2];
	char c, v1[64], v2[64], dir[64], path[PATH_MAX + 64];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		exit(1);
	/* base.policy is the same as policy_with()'s text, as a file the layer includes. */
	char text[3 * PATH_MAX];
	snprintf(text, sizeof(text),
		 "sysbroker-policy 1\n"
		 "default syscall deny errno ENOSYS\n"
		 "allow @default-runtime @process @signal @memory @ipc @time @file-read\n"
		 "path \"%s/granted/**\" read write create delete list\n"
		 "path \"%s/granted\" stat list\n",
		 root, root);
	writefile("base.policy", text);
	char layer[3 * PATH_MAX];
	snprintf(layer, sizeof(layer),
		 "sysbroker-policy 1\ninclude %s/base.policy\n"
		 "path \"%s/granted/a.txt\" deny errno ENOENT\n",
		 root, root);
	writefile("layer.policy", layer);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		unloadable(&sv[1]);
	}
	close(sv[1]);
	bool ok = read(sv[0], &c, 1) == 1;
	snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	status_field(dir, "Seccomp_filters", v1, sizeof(v1));
	path_of(path, sizeof(path), "base.policy");
	writefile("base.policy", "sysbroker-policy 1\nthis is not a policy\n");
	ok = ok && write(sv[0], "g", 1) == 1 && read(sv[0], &c, 1) == 1;
	status_field(dir, "Seccomp_filters", v2, sizeof(v2));
	bool same = strcmp(v1, v2) == 0;
	writefile("base.policy", text);
	ok = ok && write(sv[0], "g", 1) == 1;
	int status;
	waitpid(pid, &status, 0);
	close(sv[0]);
	tap(ok && same && exited_ok(status),
	    "a later layer the broker cannot load fails and changes nothing (no new filter)");
}

/*
 * A compromised application speaks the protocol itself: it finds the control socket (the one
 * socket entering added), makes a channel and sends layer and privilege-drop requests of its own.
 * Malformed ones are refused; a layer that would grant more grants nothing; a layer sent without
 * its kernel filter still tightens what the broker decides.
 */
static long raw_call(int fd, struct sb_req *req, const void *payload, size_t len, int *ret_fd)
{
	uint8_t buf[SB_MAX_REQ];
	struct sb_rep rep;
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)
	};
	req->magic = SB_PROTO_MAGIC_REQ;
	req->version = SB_PROTO_VERSION;
	req->arch = SB_AUDIT_ARCH;
	memcpy(buf, req, sizeof(*req));
	if (len)
		memcpy(buf + sizeof(*req), payload, len);
	if (send(fd, buf, sizeof(*req) + len, MSG_NOSIGNAL) < 0 ||
	    recvmsg(fd, &mh, MSG_CMSG_CLOEXEC) != sizeof(rep))
		return -1000;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (ret_fd)
		*ret_fd = c && c->cmsg_type == SCM_RIGHTS ? *(int *)CMSG_DATA(c) : -1;
	return (long)rep.ret;
}

static void hostile_layers(void *arg)
{
	char text[3 * PATH_MAX], name[] = "hostile";
	bool before[256];
	struct sb_policy *p = policy_with(NULL, "embed.policy");
	for (int fd = 0; fd < 256; fd++)
		before[fd] = fcntl(fd, F_GETFD) >= 0;
	CHECK(sb_sandbox_enter(p, NULL) == 0);
	int ctrl = -1;
	for (int fd = 0; fd < 256 && ctrl < 0; fd++)
		if (!before[fd] && fcntl(fd, F_GETFD) >= 0)
			ctrl = fd;
	CHECK(ctrl >= 0);
	int ch;
	struct sb_req req = { .type = SB_REQ_CHANNEL };
	CHECK(raw_call(ctrl, &req, NULL, 0, &ch) == 0 && ch >= 0);

	/* Malformed: an unknown step, an unknown kind, a stray item, a privdrop with arguments. */
	req = (struct sb_req){ .type = SB_REQ_LAYER, .args = { 9 } };
	CHECK(raw_call(ch, &req, NULL, 0, NULL) == -EPROTO);
	req = (struct sb_req){ .type = SB_REQ_LAYER, .args = { SB_LAYER_PREPARE, 7 } };
	req.len[SB_ITEM_PATH0] = sizeof(name);
	CHECK(raw_call(ch, &req, name, sizeof(name), NULL) == -EPROTO);
	req.args[1] = SB_LAYER_FILE;
	req.len[SB_ITEM_PATH1] = sizeof(name);
	memcpy(text, name, sizeof(name));
	memcpy(text + sizeof(name), name, sizeof(name));
	CHECK(raw_call(ch, &req, text, 2 * sizeof(name), NULL) == -EPROTO);
	req = (struct sb_req){ .type = SB_REQ_PRIVDROP, .args = { 0, 1 } };
	CHECK(raw_call(ch, &req, NULL, 0, NULL) == -EPROTO);
	req = (struct sb_req){ .type = SB_REQ_PRIVDROP };
	CHECK(raw_call(ch, &req, NULL, 0, NULL) == 0); /* every thread is unprivileged */
	/* Well-formed but wrong: a file that is not there, a commit without a layer. */
	static const char missing[] = "/nonexistent/layer.policy";
	req = (struct sb_req){ .type = SB_REQ_LAYER, .args = { SB_LAYER_PREPARE, SB_LAYER_FILE } };
	req.len[SB_ITEM_PATH0] = sizeof(missing);
	CHECK(raw_call(ch, &req, missing, sizeof(missing), NULL) == -ENOENT);
	req = (struct sb_req){ .type = SB_REQ_LAYER, .args = { SB_LAYER_COMMIT } };
	CHECK(raw_call(ch, &req, NULL, 0, NULL) == -ENOENT);

	/* A layer that grants the secret and takes b.txt away, committed without a filter. */
	memcpy(text, name, sizeof(name));
	int n = snprintf(text + sizeof(name), sizeof(text) - sizeof(name),
			 "sysbroker-policy 1\nallow @default-runtime\npath /** read write\n"
			 "path \"%s/granted/b.txt\" deny errno ENOENT\n",
			 root);
	req = (struct sb_req){ .type = SB_REQ_LAYER, .args = { SB_LAYER_PREPARE, SB_LAYER_TEXT } };
	req.len[SB_ITEM_PATH0] = sizeof(name);
	req.len[SB_ITEM_STRING] = (uint32_t)n;
	CHECK(raw_call(ch, &req, text, sizeof(name) + (size_t)n, NULL) == 0);
	req = (struct sb_req){ .type = SB_REQ_LAYER, .args = { SB_LAYER_COMMIT } };
	CHECK(raw_call(ch, &req, NULL, 0, NULL) == 0);
	CHECK(try_open("secret.txt") == -EACCES);
	CHECK(try_open("/etc/shadow") == -EACCES);
	CHECK(try_open("granted/b.txt") == -ENOENT);
	CHECK(reads("granted/a.txt", "hello\n"));
	_exit(0);
}

/* The broker must outlive the thread that started it. */
static void *enter_in_thread(void *arg)
{
	struct sb_policy *p = arg;
	return (void *)(long)sb_sandbox_enter(p, NULL);
}

static void from_thread(void *arg)
{
	struct sb_policy *p = policy_with(NULL, "embed.policy");
	pthread_t t;
	void *res;
	CHECK(pthread_create(&t, NULL, enter_in_thread, p) == 0);
	CHECK(pthread_join(t, &res) == 0 && res == NULL);
	usleep(100000);
	CHECK(reads("granted/a.txt", "hello\n"));
	CHECK(try_open("secret.txt") == -EACCES);
	_exit(0);
}

int main(void)
{
	char tmpl[] = "/tmp/sb-test-embed-XXXXXX";

	printf("1..22\n");
	fflush(stdout);
	is_root = geteuid() == 0;
	char eff[32];
	status_field("/proc/self", "CapEff", eff, sizeof(eff));
	unsigned long long capeff = strtoull(eff, NULL, 16);
	has_setpcap = capeff >> 8 & 1;    /* CAP_SETPCAP */
	has_sys_admin = capeff >> 21 & 1; /* CAP_SYS_ADMIN */
	if (!mkdtemp(tmpl) || !realpath(tmpl, root))
		return 1;
	char p[PATH_MAX + 64];
	path_of(p, sizeof(p), "granted");
	mkdir(p, 0700);
	writefile("granted/a.txt", "hello\n");
	writefile("granted/b.txt", "b\n");
	writefile("secret.txt", "secret\n");
	for (int i = 0; i < 3; i++) {
		char rel[64], content[64];
		snprintf(rel, sizeof(rel), "granted/t%d.txt", i);
		snprintf(content, sizeof(content), "thread %d", i);
		writefile(rel, content);
	}
	log_path("single.log", log_single, sizeof(log_single));
	log_path("threads.log", log_threads, sizeof(log_threads));
	log_path("fork.log", log_fork, sizeof(log_fork));
	log_path("layers.log", log_layers, sizeof(log_layers));
	/* Brokers are nobody's child: become their reaper, so that none is left a zombie. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGCHLD, SIG_DFL);

	test_single();  /* 1-4 */
	test_threads(); /* 5-7 */
	test_fork();    /* 8 */

	tap(exited_ok(run(bad_opts, NULL, NULL)),
	    "invalid options (size, flags, errno, log fd): -EINVAL/-E2BIG/-EBADF, nothing changed");
	tap(exited_ok(run(bad_policy, NULL, NULL)),
	    "a policy the trap path cannot serve: -EOPNOTSUPP, nothing changed");
	tap(exited_ok(run(tsync_fails, NULL, NULL)),
	    "a thread that cannot be synchronised: -ESRCH, nothing changed, no broker left");
	if (is_root)
		tap(exited_ok(run(privileged_blocker, NULL, NULL)),
		    "a privileged thread that blocks SIGSYS: -EBUSY, nothing changed");
	else
		printf("ok %d - # SKIP not root: no thread holds a privilege\n", ++ntest);

	int how = 0;
	tap(exited_ok(run(sigsys_refused, &how, NULL)),
	    "installing a SIGSYS handler fails with EPERM; the sandbox keeps working");
	how = EBUSY;
	tap(exited_ok(run(sigsys_refused, &how, NULL)),
	    "with sigsys_errno = EBUSY it fails with EBUSY");
	int st = run(sigsys_kills, NULL, NULL);
	tap(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	    "with SB_ENTER_SIGSYS_KILL the attempt kills the process");

	st = run(loosen, NULL, NULL);
	tap(exited_ok(st) &&
		    count_lines(log_layers, "secret.txt", "\"rule\":\"default\"", NULL) == 1,
	    "a later layer only tightens: what the first denied stays denied, what it takes away "
	    "is gone");
	test_unloadable();
	tap(exited_ok(run(full_log, "log-failure stop\n", NULL)),
	    "a record that cannot be written (log-failure stop): that call and every later "
	    "brokered call fail with EIO");
	tap(exited_ok(run(full_log, "log-failure continue\n", NULL)),
	    "log-failure continue: the sandbox goes on with the policy's answers");
	tap(exited_ok(run(from_thread, NULL, NULL)),
	    "entered from a thread that exits: the broker stays");
	tap(exited_ok(run(hostile_layers, NULL, NULL)),
	    "raw requests: malformed ones are refused, a layer sent by hand only tightens");

	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (!failures) {
		char cmd[PATH_MAX + 32];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			return 1;
	} else {
		fprintf(stderr, "tree and logs kept in %s\n", root);
	}
	return failures ? 1 : 0;
}
