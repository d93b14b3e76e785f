/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `sysbroker agent`: the seccomp agent of an OCI runtime (runc >= 1.1, crun). A runtime started
 * with `linux.seccomp.listenerPath` connects to the agent's socket once per container and sends
 * the container's seccomp listener (SCM_RIGHTS) with its state, the runtime-spec's
 * ContainerProcessState:
 *
 *   {"ociVersion":..., "fds":["seccompFd"], "pid":N, "metadata":"LISTENER-METADATA",
 *    "state":{"id":"ID", "pid":N, "bundle":..., "status":..., "annotations":{...}}}
 *
 * The agent accepts and forks: each container is served by a process of its own, which picks the
 * policy (metadata, else the annotation org.sysbroker.policy), enters the container's mount
 * namespace so that every path is resolved beneath the container's root (never the host's), and
 * runs the broker's event loop (loop.h) on the listener, with the same dispatcher, executor and
 * audit record as `sysbroker run`. A container that floods or stalls its broker stalls only its
 * own process. The connection's process exits when the container's last process is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "audit.h"
#include "cli.h"
#include "launch.h"
#include "loop.h"
#include "macro.h"

/* A state message larger than this is refused (runc's are about 1 KiB). */
#define STATE_MAX 65536
/* The runtime sends its state at once; a connection silent this long is dropped (and one that
 * has not sent it all in twice this long). */
#define STATE_TIMEOUT_S 5
#define FDS_MAX 8
#define POLICY_ANNOTATION "org.sysbroker.policy"

struct agent_opts {
	const char *listen;
	const char *policy_dir;
	const char *log;
	long max_containers;
};

/* One connection: what the runtime said, and what the agent made of it. */
struct container {
	char buf[STATE_MAX + 1];
	size_t len;
	int fds[FDS_MAX];
	size_t nfds;
	int listener; /* the seccompFd, taken out of fds */
	pid_t pid;
	char id[SB_CONTAINER_ID_LEN + 1];
	char policy[NAME_MAX + 1];
	struct sb_policy *pol;
	struct sb_audit_log *log; /* the refusal records (the broker has its own) */
	struct stat root;         /* the container's root, which every caller must have */
	unsigned long foreign;    /* callers refused for another root */
};

static int agent_usage(FILE *f)
{
	fputs("Usage: sysbroker agent --listen SOCKET [--policy-dir DIR] [--log FILE|-]\n"
	      "                       [--max-containers N]\n"
	      "\n"
	      "Serve the seccomp listeners an OCI runtime (runc, crun) sends to SOCKET for the\n"
	      "containers whose config.json names it as linux.seccomp.listenerPath. Each "
	      "container's\n"
	      "policy is DIR/NAME.policy, NAME from its listenerMetadata or, if that is empty, "
	      "its\n"
	      "annotation " POLICY_ANNOTATION "; its paths are resolved in its own root.\n"
	      "\n"
	      "      --listen SOCKET     the unix socket to create (an old socket there is "
	      "replaced)\n"
	      "      --policy-dir DIR    where policies are found (default /etc/sysbroker)\n"
	      "  -l, --log FILE|-        audit records (JSON Lines) to FILE, or '-' for stderr\n"
	      "      --max-containers N  containers served at once; more are refused (default "
	      "256)\n"
	      "  -h, --help              show this help and exit\n"
	      "\n"
	      "Exit status: 0 after SIGTERM or SIGINT, 1 when the socket cannot be served, 2 for "
	      "a\n"
	      "wrong command line. See sysbroker(1) and docs/containers.md.\n",
	      f);
	return 0;
}

static int parse_args(int argc, char **argv, struct agent_opts *o)
{
	struct cli_opts co;
	int c;

	cli_opts_init(&co, "agent",
		      (const char *const[]){ "listen", "policy-dir", "log", "max-containers",
					     "help", NULL });
	while ((c = cli_opts_next(&co, argc, argv)) != -1) {
		if (c == 'h') {
			agent_usage(stdout);
			return -1;
		} else if (c == 'l') {
			o->log = optarg;
		} else if (c == cli_opt_value("listen")) {
			o->listen = optarg;
		} else if (c == cli_opt_value("policy-dir")) {
			o->policy_dir = optarg;
		} else if (c == cli_opt_value("max-containers")) {
			if (cli_parse_long(optarg, 1, 65536, &o->max_containers) < 0) {
				fprintf(stderr, "sysbroker agent: bad --max-containers '%s'\n",
					optarg);
				cli_usage_hint("agent");
				return EXIT_USAGE;
			}
		} else {
			return EXIT_USAGE; /* cli_opts_next said why */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sysbroker agent: unexpected argument '%s'\n", argv[optind]);
		cli_usage_hint("agent");
		return EXIT_USAGE;
	}
	if (!o->listen) {
		fputs("sysbroker agent: --listen SOCKET is required\n", stderr);
		cli_usage_hint("agent");
		return EXIT_USAGE;
	}
	if (strlen(o->listen) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fprintf(stderr, "sysbroker agent: socket path too long: %s\n", o->listen);
		return EXIT_USAGE;
	}
	return 0;
}

/* A record of the agent's own ("agent-refused", "agent-serve"), with the container's id. */
static void agent_record(struct container *ct, const char *decision, const char *key,
			 const char *value)
{
	sb_audit_log_set_container(ct->log, ct->id);
	sb_audit_event(ct->log, ct->pid, decision, key, value);
}

/* Refuse the connection: a record naming why; closing the listener fails the brokered calls. */
static int refuse(struct container *ct, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct container *ct, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	agent_record(ct, "agent-refused", "reason", why);
	fprintf(stderr, "sysbroker agent: container %s refused: %s\n", ct->id[0] ? ct->id : "?",
		why);
	return 1;
}

/* Whether buf holds a whole JSON value (a message sent in several pieces is read on). */
static bool json_complete(const char *buf, size_t len)
{
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return false;
	json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
	bool done = o || json_tokener_get_error(tok) != json_tokener_continue;
	json_object_put(o);
	json_tokener_free(tok);
	return done;
}

/*
 * Wait for the next piece of the state until the deadline (CLOCK_MONOTONIC): at most
 * STATE_TIMEOUT_S of silence, and no piece after the deadline. -EAGAIN when the time is up.
 */
static int state_timeout(int conn, const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long left = (deadline->tv_sec - now.tv_sec) * 1000000LL +
			 (deadline->tv_nsec - now.tv_nsec) / 1000;
	if (left <= 0)
		return -EAGAIN;
	if (left > STATE_TIMEOUT_S * 1000000LL)
		left = STATE_TIMEOUT_S * 1000000LL;
	struct timeval tv = { .tv_sec = left / 1000000, .tv_usec = left % 1000000 };
	return setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ? -errno : 0;
}

/*
 * The state and the fds: one JSON object (the runtime sends it at once) or up to EOF. A runtime
 * silent for STATE_TIMEOUT_S, or that trickles it for twice that, is refused with a record.
 */
static int read_state(int conn, struct container *ct)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)STATE_TIMEOUT_S * 2;
	for (;;) {
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int) * FDS_MAX)];
		} u;
		struct iovec iov = { ct->buf + ct->len, STATE_MAX - ct->len };
		struct msghdr m = { .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = u.b,
				    .msg_controllen = sizeof(u.b) };
		if (ct->len >= STATE_MAX)
			return -E2BIG;
		int e = state_timeout(conn, &deadline);
		if (e < 0)
			return e;
		ssize_t n = recvmsg(conn, &m, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (ct->nfds < FDS_MAX)
					ct->fds[ct->nfds++] = fd;
				else
					close(fd);
			}
		}
		if (m.msg_flags & MSG_CTRUNC)
			return -EMSGSIZE;
		if (n == 0)
			break;
		ct->len += (size_t)n;
		/* runc keeps its end open: the message ends where its JSON object does. */
		if (json_complete(ct->buf, ct->len))
			break;
	}
	ct->buf[ct->len] = 0;
	return 0;
}

/*
 * A string member. One with a NUL inside ("a\u0000/../x") is given as "\x01", which no check
 * accepts: it must not read as its first part, nor as missing (the annotation would then pick).
 */
static const char *json_str(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	const char *s = json_object_get_string(v);
	return strlen(s) == (size_t)json_object_get_string_len(v) ? s : "\x01";
}

/* A container id as runtimes make them: printable, no quotes or controls, not too long. */
static bool good_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SB_CONTAINER_ID_LEN)
		return false;
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p > '~' || *p == '"' || *p == '\\')
			return false;
	return true;
}

/* A policy name: a printable file name in the policy directory, nothing that leaves it. */
static bool good_policy_name(const char *s)
{
	size_t n = strlen(s);
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p > '~')
			return false;
	return n > 0 && n <= NAME_MAX - 7 && !strchr(s, '/') && !strstr(s, "..") && s[0] != '.';
}

/* The fields the agent uses; a message without them is refused. */
static int parse_state(struct container *ct, const char **why)
{
	json_object *root = json_tokener_parse(ct->buf), *v, *state = NULL, *ann = NULL;
	int r = -EINVAL;

	*why = "the state is not a JSON object";
	if (!root || !json_object_is_type(root, json_type_object))
		goto out;
	json_object_object_get_ex(root, "state", &state);
	if (state)
		json_object_object_get_ex(state, "annotations", &ann);
	const char *id = json_str(state, "id");
	if (id && good_id(id))
		snprintf(ct->id, sizeof(ct->id), "%s", id);
	*why = "the state names no pid";
	if (!json_object_object_get_ex(root, "pid", &v) || !json_object_is_type(v, json_type_int))
		goto out;
	int64_t pid = json_object_get_int64(v);
	if (pid <= 0 || pid > INT32_MAX)
		goto out;
	ct->pid = (pid_t)pid;
	*why = "the state has no valid container id";
	if (!ct->id[0])
		goto out;
	/* The listener: the fd at the index of "seccompFd" in fds. */
	*why = "the state names no seccompFd among the fds sent";
	json_object *fds = NULL;
	json_object_object_get_ex(root, "fds", &fds);
	size_t nf = fds && json_object_is_type(fds, json_type_array) ? json_object_array_length(fds)
								     : 0;
	for (size_t i = 0; i < nf && i < ct->nfds; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(fds, i));
		if (s && strcmp(s, "seccompFd") == 0 && ct->listener < 0) {
			ct->listener = ct->fds[i];
			ct->fds[i] = -1;
		}
	}
	if (ct->listener < 0)
		goto out;
	const char *name = json_str(root, "metadata");
	if (!name || !*name)
		name = json_str(ann, POLICY_ANNOTATION);
	*why = "no policy named (listenerMetadata or annotation " POLICY_ANNOTATION ")";
	if (!name || !*name)
		goto out;
	snprintf(ct->policy, sizeof(ct->policy), "%s", name);
	*why = "the policy name is not a plain file name";
	if (!good_policy_name(name))
		goto out;
	r = 0;
out:
	json_object_put(root);
	return r;
}

static int load_policy(struct container *ct, const struct agent_opts *o)
{
	char path[PATH_MAX];
	struct sb_policy_error err;
	char msg[CLI_POLICY_ERROR_MAX];

	snprintf(path, sizeof(path), "%s/%s.policy", o->policy_dir, ct->policy);
	if (sb_policy_load_file(path, &ct->pol, &err) < 0) {
		cli_policy_error(&err, msg, sizeof(msg));
		return refuse(ct, "policy %s: %s", ct->policy, msg);
	}
	return 0;
}

/*
 * Enter the container's mount namespace, in a private copy of it with the host's /proc on /proc
 * (the pids the kernel reports to the agent are the agent's pid namespace's), so that the
 * broker's root is the container's: absolute paths, `..` and symlinks all stop at the
 * container's root, and the canonical paths the policy sees are the container's. The root is
 * the one of the process the state names, taken through a pidfd so that a reused pid is not
 * entered: the mount namespace and root are opened, then the pidfd is checked to be alive.
 */
static int enter_root(struct container *ct)
{
	char p[64];
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, ct->pid, 0);
	if (pidfd < 0)
		return refuse(ct, "pid %d: %s", (int)ct->pid, strerror(errno));
	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)ct->pid);
	_cleanup_close_ int mntns = open(p, O_RDONLY | O_CLOEXEC);
	snprintf(p, sizeof(p), "/proc/%d/root", (int)ct->pid);
	_cleanup_close_ int root = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mntns < 0 || root < 0)
		return refuse(ct, "pid %d: cannot open its root: %s", (int)ct->pid,
			      strerror(errno));
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		return refuse(ct, "pid %d exited before it was served", (int)ct->pid);
	struct stat want, got;
	if (fstat(root, &want) < 0 || setns(mntns, CLONE_NEWNS) < 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || chdir("/") < 0)
		return refuse(ct, "cannot enter its mount namespace: %s", strerror(errno));
	/* A process chrooted inside its namespace: its root is not the namespace's. */
	if (stat("/", &got) < 0 || got.st_dev != want.st_dev || got.st_ino != want.st_ino)
		return refuse(ct, "its root is not its mount namespace's root");
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return refuse(ct, "cannot mount /proc in its root: %s", strerror(errno));
	ct->root = got;
	return 0;
}

/*
 * Every caller is resolved for in the container's root: a caller whose root is another (a
 * process of the container that chrooted or pivoted its own mount namespace, or any process the
 * runtime's pid or listener did not belong to) is refused, with one record per caller pid
 * (caller_refused).
 */
static bool caller_in_root(void *data, pid_t pid)
{
	struct container *ct = data;
	char p[64];
	struct stat st;

	snprintf(p, sizeof(p), "/proc/%d/root", (int)pid);
	return stat(p, &st) == 0 && st.st_dev == ct->root.st_dev && st.st_ino == ct->root.st_ino;
}

static void caller_refused(void *data, pid_t pid)
{
	struct container *ct = data;
	char v[32];

	if (ct->foreign++ < 16) {
		snprintf(v, sizeof(v), "%d", (int)pid);
		agent_record(ct, "agent-refused", "caller", v);
	}
}

static int serve(struct container *ct, int log_fd)
{
	struct sb_broker *b = NULL;
	if (sb_broker_new(ct->pol, log_fd, &b) < 0)
		return refuse(ct, "out of memory");
	sb_audit_log_set_container(sb_broker_log(b), ct->id);
	sb_broker_set_caller_check(b, caller_in_root, caller_refused, ct);
	int r = sb_broker_add_notify(b, ct->listener);
	ct->listener = -1;
	if (r < 0) {
		sb_broker_free(b);
		return refuse(ct, "cannot watch its listener: %s", strerror(-r));
	}
	agent_record(ct, "agent-serve", "policy", ct->policy);
	r = sb_broker_run(b);
	sb_audit_flush(sb_broker_log(b));
	sb_broker_free(b);
	return r < 0 ? 1 : 0;
}

/* One connection, in a process of its own; returns its exit status. */
static int serve_connection(int conn, const struct agent_opts *o, int log_fd)
{
	static struct container ct;
	const char *why = NULL;

	ct.listener = -1;
	if (sb_audit_log_new(log_fd, &ct.log) < 0)
		return 1;
	prctl(PR_SET_DUMPABLE, 0);
	int r = read_state(conn, &ct);
	safe_close(conn);
	if (r < 0)
		return refuse(&ct, "cannot read the runtime's state: %s", strerror(-r));
	if (parse_state(&ct, &why) < 0)
		return refuse(&ct, "%s", why);
	for (size_t i = 0; i < ct.nfds; i++)
		safe_close(ct.fds[i]);
	if (!is_listener(ct.listener))
		return refuse(&ct, "the seccompFd is not a seccomp listener");
	if (load_policy(&ct, o) || enter_root(&ct))
		return 1;
	return serve(&ct, log_fd);
}

static int open_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* A socket left by an earlier agent is replaced; anything else there is not. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	mode_t old = umask(0077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 64) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Only the runtime (root, or the agent's own uid) may hand the agent a container. */
static bool peer_trusted(int conn)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	return cr.uid == 0 || cr.uid == geteuid();
}

static void accept_one(int lfd, int sfd, const struct agent_opts *o, int log_fd, long *nchildren)
{
	int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0) {
		/* Out of fds: the connection stays queued; do not spin on it. */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			usleep(100000);
		return;
	}
	struct container ct = { .listener = -1 };
	sb_audit_log_new(log_fd, &ct.log);
	if (!peer_trusted(conn))
		refuse(&ct, "the connecting process is neither root nor the agent's user");
	else if (*nchildren >= o->max_containers)
		refuse(&ct, "%ld containers are served already (--max-containers)", *nchildren);
	else {
		pid_t pid = fork();
		if (pid == 0) {
			close(lfd);
			close(sfd);
			sigset_t none;
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			_exit(serve_connection(conn, o, log_fd));
		}
		if (pid > 0)
			(*nchildren)++;
		else
			refuse(&ct, "cannot fork: %s", strerror(errno));
	}
	sb_audit_log_unref(ct.log);
	close(conn);
}

static int agent_loop(int lfd, const struct agent_opts *o, int log_fd)
{
	sigset_t mask;
	long nchildren = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	_cleanup_close_ int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		return -errno;
	for (;;) {
		struct pollfd pf[2] = { { .fd = lfd, .events = POLLIN },
					{ .fd = sfd, .events = POLLIN } };
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			return -errno;
		if (pf[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD)
				return 0;
			while (waitpid(-1, NULL, WNOHANG) > 0)
				nchildren--;
		}
		if (pf[0].revents & POLLIN)
			accept_one(lfd, sfd, o, log_fd, &nchildren);
	}
}

int sb_cmd_agent(int argc, char **argv)
{
	struct agent_opts o = { .policy_dir = "/etc/sysbroker", .max_containers = 256 };
	int r = parse_args(argc, argv, &o);
	if (r || !o.listen)
		return r < 0 ? 0 : EXIT_USAGE;

	_cleanup_close_ int log_fd = -1;
	if (o.log) {
		log_fd = strcmp(o.log, "-") == 0
				 ? fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)
				 : open(o.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			fprintf(stderr, "sysbroker agent: cannot open the log %s: %s\n", o.log,
				strerror(errno));
			return 1;
		}
	}
	/* A broken log pipe is the log's failure, not the agent's death. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	_cleanup_close_ int lfd = open_socket(o.listen);
	if (lfd < 0) {
		fprintf(stderr, "sysbroker agent: %s: %s\n", o.listen, strerror(-lfd));
		return 1;
	}
	r = agent_loop(lfd, &o, log_fd);
	unlink(o.listen);
	if (r < 0) {
		fprintf(stderr, "sysbroker agent: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
