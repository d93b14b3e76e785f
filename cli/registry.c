/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The registry of running sandboxes (RUNDIR/ID) and `sysbroker reload`, which finds a broker
 * through it (or by pid) and sends it the reload signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "macro.h"
#include "proc.h"
#include "registry.h"

int sb_registry_dir(char *buf, size_t size, bool create)
{
	const char *env = getenv("SYSBROKER_RUNDIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (env && *env)
		snprintf(buf, size, "%s", env);
	else if (geteuid() == 0)
		snprintf(buf, size, "/run/sysbroker");
	else if (xdg && *xdg == '/')
		snprintf(buf, size, "%s/sysbroker", xdg);
	else
		snprintf(buf, size, "/tmp/sysbroker-%u", (unsigned)geteuid());
	if (create && mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	/* Ours alone: a directory (not a symlink) that we own, not writable by others. */
	struct stat st;
	if (lstat(buf, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM;
	return 0;
}

unsigned long long sb_process_start_time(pid_t pid)
{
	char buf[1024];
	if (sb_proc_read(pid, "stat", buf, sizeof(buf)) <= 0)
		return 0;
	/* Field 22; the fields after comm's last ')' start with field 3. */
	char *p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/*
 * RUNDIR/ID holds "PID STARTTIME": enough for `reload --sandbox` to find this process and to
 * tell it from a later process with the same pid. Best effort: without it, --pid still works.
 */
void registry_add(const char *id, char *path, size_t size)
{
	char dir[PATH_MAX], line[64];
	path[0] = 0;
	if (sb_registry_dir(dir, sizeof(dir), true) < 0)
		return;
	if ((size_t)snprintf(path, size, "%.*s/%s", (int)(size - SB_SANDBOX_ID_LEN - 2), dir, id) >=
	    size)
		return;
	_cleanup_close_ int fd =
		open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int n = snprintf(line, sizeof(line), "%d %llu\n", (int)getpid(),
			 sb_process_start_time(getpid()));
	if (fd < 0 || write(fd, line, (size_t)n) != n) {
		if (fd >= 0)
			unlink(path);
		path[0] = 0;
	}
}

#define EXIT_RELOAD_REFUSED 3
#define EXIT_RELOAD_UNKNOWN 4
/* How long `sysbroker reload` waits for the broker's answer. */
#define RELOAD_WAIT_MS 10000
/* Connections queued for an answer; beyond, a client cannot connect and says so. */
#define RELOAD_BACKLOG 16

static int reload_addr(pid_t pid, struct sockaddr_un *sa)
{
	char dir[PATH_MAX];
	int r = sb_registry_dir(dir, sizeof(dir), false);
	if (r < 0)
		return r;
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/reload-%d", dir, (int)pid) >=
	    sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

int registry_reload_listen(struct reload_chan *ch)
{
	struct sockaddr_un sa;
	char dir[PATH_MAX];
	ch->fd = -1;
	int r = sb_registry_dir(dir, sizeof(dir), true);
	if (r == 0)
		r = reload_addr(getpid(), &sa);
	if (r < 0)
		return r;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A stale socket of an earlier process with our pid (it could not remove it). */
	unlink(sa.sun_path);
	mode_t old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (r == 0 && listen(fd, RELOAD_BACKLOG) < 0) {
		r = -errno;
		unlink(sa.sun_path);
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	snprintf(ch->path, sizeof(ch->path), "%s", sa.sun_path);
	ch->fd = fd;
	return 0;
}

/* Hold connection c of pid until its signal; the oldest goes when full. */
static void reload_hold(struct reload_chan *ch, int c, pid_t pid)
{
	if (ch->n == RELOAD_HELD) {
		close(ch->held[0]);
		memmove(ch->held, ch->held + 1, (RELOAD_HELD - 1) * sizeof(ch->held[0]));
		memmove(ch->pid, ch->pid + 1, (RELOAD_HELD - 1) * sizeof(ch->pid[0]));
		ch->n--;
	}
	ch->held[ch->n] = c;
	ch->pid[ch->n++] = pid;
}

void registry_reload_answer(struct reload_chan *ch, pid_t pid, const char *msg)
{
	char line[CLI_POLICY_ERROR_MAX + 16];
	int n = msg ? snprintf(line, sizeof(line), "error %s\n", msg)
		    : snprintf(line, sizeof(line), "ok\n");
	if (n < 0 || (size_t)n >= sizeof(line))
		n = snprintf(line, sizeof(line), "error (a reason too long to say)\n");
	/* What is queued joins what is held (a bounded number: the backlog's). */
	for (int i = 0; ch->fd >= 0 && i < RELOAD_BACKLOG; i++) {
		int c = accept4(ch->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c < 0)
			break;
		struct ucred cr = { 0 };
		socklen_t len = sizeof(cr);
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.pid <= 0)
			close(c);
		else
			reload_hold(ch, c, cr.pid);
	}
	/* The sender's connections are answered; any other waits for its own signal. */
	unsigned k = 0;
	for (unsigned i = 0; i < ch->n; i++) {
		if (ch->pid[i] != pid) {
			ch->held[k] = ch->held[i];
			ch->pid[k++] = ch->pid[i];
			continue;
		}
		(void)!send(ch->held[i], line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
		close(ch->held[i]);
	}
	ch->n = k;
}

void registry_reload_close(struct reload_chan *ch)
{
	for (unsigned i = 0; i < ch->n; i++)
		close(ch->held[i]);
	ch->n = 0;
	if (ch->fd >= 0 && ch->path[0])
		unlink(ch->path);
	ch->fd = safe_close(ch->fd);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The broker's answer on s, within RELOAD_WAIT_MS: its length (0: none), in buf. */
static size_t reload_read_answer(int s, char *buf, size_t size)
{
	size_t got = 0;
	long end = now_ms() + RELOAD_WAIT_MS;
	while (got + 1 < size) {
		long left = end - now_ms();
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			return 0;
		ssize_t k = read(s, buf + got, size - 1 - got);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	buf[got] = 0;
	return got;
}

/*
 * Ask broker pid to reload and wait for its answer: connect first (to a socket that must be that
 * pid's: SO_PEERCRED, which the kernel sets), then signal, then read. The exit status.
 */
static int reload_ask(pid_t pid)
{
	struct sockaddr_un sa;
	struct ucred cr = { 0 };
	socklen_t len = sizeof(cr);
	char buf[CLI_POLICY_ERROR_MAX + 16];
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int r = s < 0 ? -errno : reload_addr(pid, &sa);
	if (r == 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = -errno;
	if (r == 0 && getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		r = -errno;
	if (r == 0 && cr.pid != pid) {
		fprintf(stderr, "sysbroker reload: %s is not %d's: not asked\n", sa.sun_path,
			(int)pid);
		return 1;
	}
	if (kill(pid, SB_RELOAD_SIGNAL) < 0) {
		fprintf(stderr, "sysbroker reload: %d: %s\n", (int)pid, strerror(errno));
		return 1;
	}
	if (r < 0) {
		fprintf(stderr,
			"sysbroker reload: asked %d, but cannot wait for its answer (%s); its "
			"audit "
			"log says how the reload went\n",
			(int)pid, strerror(-r));
		return EXIT_RELOAD_UNKNOWN;
	}
	size_t n = reload_read_answer(s, buf, sizeof(buf));
	buf[strcspn(buf, "\n")] = 0;
	for (char *k = buf; *k; k++)
		if ((unsigned char)*k < 0x20 || *k == 0x7f)
			*k = '?';
	if (n > 0 && strcmp(buf, "ok") == 0)
		return 0;
	if (n > 0 && strncmp(buf, "error ", 6) == 0) {
		fprintf(stderr, "sysbroker reload: %s (the policy in force stays)\n", buf + 6);
		return EXIT_RELOAD_REFUSED;
	}
	fprintf(stderr,
		"sysbroker reload: %d did not answer within %d s; its audit log says how the "
		"reload went\n",
		(int)pid, RELOAD_WAIT_MS / 1000);
	return EXIT_RELOAD_UNKNOWN;
}

static void reload_usage(FILE *f)
{
	fputs("Usage: sysbroker reload (-P PID | -I ID)\n"
	      "\n"
	      "Make the broker of a running 'sysbroker run' read its policy files again.\n"
	      "\n"
	      "  -P, --pid PID         the broker's pid (the 'sysbroker run' process)\n"
	      "  -I, --sandbox ID      the sandbox id of its audit records (SYSBROKER_SANDBOX)\n"
	      "  -h, --help            show this help and exit\n"
	      "\n"
	      "Waits for the broker's answer (at most 10 s); a refused policy's reason goes to\n"
	      "standard error. The audit log has a \"reload\" or a \"reload-error\" record.\n"
	      "Exit status: 0 the new policy is in force; 1 no such broker; 2 bad command line;\n"
	      "3 the broker refused the policy (the one in force stays); 4 no answer.\n",
	      f);
}

/* Whether pid is a sysbroker process (its comm), started at start (0: any). */
static bool is_broker(pid_t pid, unsigned long long start)
{
	char comm[32];
	if (sb_proc_read(pid, "comm", comm, sizeof(comm)) <= 0)
		return false;
	comm[strcspn(comm, "\n")] = 0;
	if (strcmp(comm, "sysbroker") != 0)
		return false;
	return start == 0 || sb_process_start_time(pid) == start;
}

/* The broker registered as sandbox id: *pid and *start. Returns 0, or the exit status. */
static int find_sandbox(const char *id, pid_t *pid, unsigned long long *start)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], line[64];
	bool hex = strlen(id) == SB_SANDBOX_ID_LEN;
	for (const char *k = id; hex && *k; k++)
		hex = (*k >= '0' && *k <= '9') || (*k >= 'a' && *k <= 'f');
	if (!hex) {
		fprintf(stderr, "sysbroker reload: not a sandbox id: '%s' (16 hex digits)\n", id);
		return EXIT_USAGE;
	}
	int r = sb_registry_dir(dir, sizeof(dir), false);
	snprintf(path, sizeof(path), "%s/%s", dir, id);
	_cleanup_close_ int fd = r < 0 ? -1 : open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, line, sizeof(line) - 1) : -1;
	int p = 0;
	if (n > 0) {
		line[n] = 0;
		if (sscanf(line, "%d %llu", &p, start) != 2)
			p = 0;
	}
	if (p <= 0 || *start == 0) {
		fprintf(stderr, "sysbroker reload: no sandbox %s\n", id);
		return 1;
	}
	*pid = p;
	return 0;
}

int sb_cmd_reload(int argc, char **argv)
{
	struct cli_opts opts;
	const char *pid_s = NULL, *id = NULL;
	int c;

	cli_opts_init(&opts, "reload", (const char *const[]){ "pid", "sandbox", "help", NULL });
	while ((c = cli_opts_next(&opts, argc, argv)) != -1) {
		if (c == 'P') {
			pid_s = optarg;
		} else if (c == 'I') {
			id = optarg;
		} else if (c == 'h') {
			reload_usage(stdout);
			return 0;
		} else {
			return EXIT_USAGE;
		}
	}
	if (optind < argc || !pid_s == !id) {
		fprintf(stderr, "sysbroker reload: give exactly one of --pid and --sandbox\n"
				"Try 'sysbroker reload --help'.\n");
		return EXIT_USAGE;
	}
	pid_t pid = 0;
	unsigned long long start = 0;
	if (pid_s) {
		long v;
		if (cli_parse_long(pid_s, 1, INT32_MAX, &v) < 0) {
			fprintf(stderr, "sysbroker reload: not a pid: '%s'\n", pid_s);
			return EXIT_USAGE;
		}
		pid = (pid_t)v;
	} else {
		int ret = find_sandbox(id, &pid, &start);
		if (ret != 0)
			return ret;
	}
	if (!is_broker(pid, start)) {
		fprintf(stderr, "sysbroker reload: %d is not a running sysbroker%s\n", (int)pid,
			id ? " (the sandbox has ended)" : "");
		return 1;
	}
	return reload_ask(pid);
}
