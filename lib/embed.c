/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sb_sandbox_enter(): an application sandboxes itself (docs/design.md, "Embedding").
 *
 * Everything that can fail is built first (the trap filters, the sockets). Then the broker is
 * forked, twice so that it is not the application's child (the application's wait(2) never meets
 * it): it keeps the application's access, runs sysbroker's event loop on the policy it inherited
 * and nothing of the application's. Then the application installs the SIGSYS handler, sets
 * no_new_privs unless it holds CAP_SYS_ADMIN, and loads the filters for every thread
 * (SECCOMP_FILTER_FLAG_TSYNC). Up to here a failure undoes everything but no_new_privs. Only then
 * are privileges dropped, for good: the calling thread's with libcap, every other thread's by the
 * broker's SIGSYS (capabilities belong to each thread).
 *
 * A later call stacks one more layer: the broker loads the policy again from its source (a file,
 * or text) and decides every call by all layers; the kernel stacks one more filter.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit.h"
#include "arch.h"
#include "compile.h"
#include "handler.h"
#include "landlock.h"
#include "loop.h"
#include "macro.h"
#include "proc.h"
#include "msg.h"
#include "policy.h"
#include "protocol.h"
#include "runtime.h"
#include "sysbroker.h"

/* What the first successful call set up; a later call adds a layer to it. */
static bool entered;
/* One call at a time: a second concurrent one gets EBUSY. */
static atomic_int busy;

#define MAX_OPTS_SIZE 4096

static int copy_opts(const struct sb_enter_opts *in, struct sb_enter_opts *o)
{
	*o = (struct sb_enter_opts){ .size = sizeof(*o), .log_fd = -1 };
	if (!in)
		return 0;
	if (in->size < SB_ENTER_OPTS_SIZE_VER0)
		return -EINVAL;
	if (in->size > MAX_OPTS_SIZE)
		return -E2BIG;
	/* Fields of a later version that this one does not know must be zero, as in openat2(2). */
	for (size_t i = sizeof(*o); i < in->size; i++)
		if (((const unsigned char *)in)[i])
			return -E2BIG;
	memcpy(o, in, in->size < sizeof(*o) ? in->size : sizeof(*o));
	if (o->flags & ~(SB_ENTER_LOG | SB_ENTER_SIGSYS_KILL))
		return -EINVAL;
	if (o->sigsys_errno < 0 || o->sigsys_errno > 4095 ||
	    (o->sigsys_errno && (o->flags & SB_ENTER_SIGSYS_KILL)))
		return -EINVAL;
	if (!(o->flags & SB_ENTER_LOG)) {
		o->log_fd = -1;
		return 0;
	}
	int fl = fcntl(o->log_fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	return 0;
}

/* --- threads ------------------------------------------------------------------------------- */

/* The fields of a thread's /proc status that say what it may do. */
struct thread_state {
	bool privileged; /* holds a capability, or lacks no_new_privs */
	bool blocks_sigsys;
	bool dead;
};

static int thread_state(int taskfd, const char *tid, bool nnp_given, struct thread_state *ts)
{
	struct sb_thread_status st;
	int r = sb_proc_thread_status(taskfd, tid, &st);

	*ts = (struct thread_state){ .dead = st.dead };
	if (r < 0 || st.dead)
		return r;
	ts->privileged = st.caps || (st.nnp == 0 && !nnp_given);
	ts->blocks_sigsys = (st.sigblk >> (SIGSYS - 1)) & 1;
	return 0;
}

/*
 * Can every thread follow? The calling thread must not block SIGSYS (its first trap would kill
 * it), and a thread that will still hold a privilege once the filter is loaded must not either:
 * the broker asks it to drop its privileges with a SIGSYS. nnp_given: the load gives every thread
 * no_new_privs (the caller has it then, and TSYNC passes it on). -EBUSY for a thread that blocks
 * SIGSYS, -errno when /proc cannot be read.
 */
static int check_threads_once(bool nnp_given)
{
	char self[32];

	/* The broker needs /proc too: for relative paths and for the other threads. */
	_cleanup_close_ int taskfd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (taskfd < 0)
		return -errno;
	DIR *d = sb_opendir_dup(taskfd);
	if (!d)
		return -errno;
	snprintf(self, sizeof(self), "%ld", (long)syscall(SYS_gettid));
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		struct thread_state ts;
		if (de->d_name[0] < '0' || de->d_name[0] > '9' || strcmp(de->d_name, self) == 0)
			continue;
		r = thread_state(taskfd, de->d_name, nnp_given, &ts);
		if (r == 0 && !ts.dead && ts.privileged && ts.blocks_sigsys)
			r = -EBUSY;
	}
	closedir(d);
	return r;
}

static int check_threads(bool nnp_given)
{
	sigset_t mask;

	if (pthread_sigmask(SIG_BLOCK, NULL, &mask) != 0 || sigismember(&mask, SIGSYS))
		return -EBUSY;
	/* A thread being born blocks every signal until it starts: give it 100 ms. */
	int r = check_threads_once(nnp_given);
	for (int i = 0; r == -EBUSY && i < 100; i++) {
		usleep(1000);
		r = check_threads_once(nnp_given);
	}
	return r;
}

static int caller_has_sys_admin(bool *ret)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t caps = cap_get_proc();
	if (!caps)
		return -errno;
	int r = cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &v) < 0 ? -errno : 0;
	cap_free(caps);
	*ret = v == CAP_SET;
	return r;
}

/*
 * The calling thread's privileges, with libcap: the bounding set first (it needs CAP_SETPCAP,
 * which goes next), the ambient set, every other set, then no_new_privs. none is an empty
 * capability set made before the filter was loaded, so that nothing here allocates.
 */
static int drop_own_privileges(cap_t none)
{
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (cap_drop_bound((cap_value_t)cap) < 0)
			break; /* EPERM without CAP_SETPCAP: the bounding set stays, harmless */
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return -errno;
	if (cap_set_proc(none) < 0)
		return -errno;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}

/* --- talking to the broker ----------------------------------------------------------------- */

/*
 * Receive one reply and at most one fd (close-on-exec). A channel reply may bring a reply slot
 * too (it may be the answer to a handler's request, on the shared control socket): closed.
 */
static ssize_t recv_reply(int fd, struct sb_rep *rep, int *ret_fd)
{
	struct sb_msg_anc anc = { .maxfds = 2 };
	long n = sb_msg_recv1(fd, rep, sizeof(*rep), &anc, 0);

	*ret_fd = anc.fds[0];
	safe_close(anc.fds[1]);
	if (n < 0)
		return n;
	if (n == 0)
		return -EIO; /* the broker is gone */
	if ((size_t)n != sizeof(*rep) || rep->magic != SB_PROTO_MAGIC_REP ||
	    (anc.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		*ret_fd = safe_close(*ret_fd);
		return -EIO;
	}
	return n;
}

/*
 * A channel of our own for entering's requests: the thread's own channel belongs to its SIGSYS
 * handler, which drops replies it did not ask for.
 */
static int open_channel(int ctrl)
{
	struct sb_req req = { .magic = SB_PROTO_MAGIC_REQ,
			      .version = SB_PROTO_VERSION,
			      .type = SB_REQ_CHANNEL,
			      .arch = SB_AUDIT_ARCH };
	struct sb_rep rep;
	int fd;

	/* A plain send: the kernel filter allows it (sendmsg would go to the broker). */
	long n = sb_msg_send1(ctrl, &req, sizeof(req), -1, MSG_NOSIGNAL);
	if (n < 0)
		return (int)n;
	n = recv_reply(ctrl, &rep, &fd);
	if (n < 0)
		return (int)n;
	/* ret > 0 names a reply slot: this reply answered a handler's request. Not used here. */
	if (rep.ret < 0 || fd < 0) {
		safe_close(fd);
		return rep.ret < 0 ? (int)rep.ret : -EIO;
	}
	return fd;
}

/* One request on our channel; returns the reply's ret. */
static long call(int ch, struct sb_req *req, const void *payload, size_t len)
{
	static uint64_t seq;
	uint8_t buf[SB_MAX_REQ];
	struct sb_rep rep;
	int fd;

	if (sizeof(*req) + len > sizeof(buf))
		return -E2BIG;
	req->magic = SB_PROTO_MAGIC_REQ;
	req->version = SB_PROTO_VERSION;
	req->arch = SB_AUDIT_ARCH;
	req->seq = ++seq;
	memcpy(buf, req, sizeof(*req));
	if (len)
		memcpy(buf + sizeof(*req), payload, len);
	long n = sb_msg_send1(ch, buf, sizeof(*req) + len, -1, MSG_NOSIGNAL);
	if (n < 0)
		return n;
	n = recv_reply(ch, &rep, &fd);
	safe_close(fd);
	if (n < 0)
		return n;
	return rep.seq == req->seq ? (long)rep.ret : -EIO;
}

/*
 * Every other thread's privileges: the broker signals each thread that still holds one, and
 * is asked again until none does.
 */
static int drop_all_privileges(int ctrl)
{
	_cleanup_close_ int ch = open_channel(ctrl);
	long r = -ETIMEDOUT;

	if (ch < 0)
		return ch;
	for (uint64_t round = 0; round < SB_PRIVDROP_ROUNDS; round++) {
		struct sb_req req = { .type = SB_REQ_PRIVDROP, .args = { round } };
		r = call(ch, &req, NULL, 0);
		if (r <= 0)
			break;
		r = -ETIMEDOUT;
	}
	return (int)r;
}

/* --- the broker's process ------------------------------------------------------------------ */

/* Close every fd from 3 up but keep[0] and keep[1] (either may be -1). */
static void close_others(int a, int b)
{
	int keep[2] = { a < b ? a : b, a < b ? b : a };
	unsigned lo = 3;

	for (int i = 0; i < 2; i++) {
		if (keep[i] < (int)lo)
			continue;
		if ((unsigned)keep[i] > lo && syscall(SYS_close_range, lo, keep[i] - 1, 0) < 0)
			for (int fd = (int)lo; fd < keep[i]; fd++)
				close(fd);
		lo = (unsigned)keep[i] + 1;
	}
	if (syscall(SYS_close_range, lo, ~0U, 0) < 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = lo; fd < (max > 0 ? max : 65536); fd++)
			close((int)fd);
	}
}

/* Tell the application we are ready (ret: our pid, with a pidfd for us) or why not. */
static void hello(int ctrl, int err)
{
	struct sb_rep rep = { .magic = SB_PROTO_MAGIC_REP,
			      .version = SB_PROTO_VERSION,
			      .seq = SB_HELLO_SEQ,
			      .ret = err < 0 ? err : getpid() };
	int pidfd = err < 0 ? -1 : (int)syscall(SYS_pidfd_open, getpid(), 0);

	if (err >= 0 && pidfd < 0)
		rep.ret = -errno;
	if (sb_msg_send1(ctrl, &rep, sizeof(rep), pidfd, MSG_NOSIGNAL) < 0)
		_exit(1);
	safe_close(pidfd);
	if (rep.ret < 0)
		_exit(1);
}

/*
 * The broker, in the grandchild. Nothing of the application runs from here on: its signal
 * handlers are reset before the signals blocked around fork(2) are let in (its pthread_atfork(3)
 * child handlers did run, in fork(2) itself), its fds are closed, and the process ends with
 * _exit, never through its atexit(3) handlers.
 */
/*
 * log-failure stop (the default): a record that cannot be written ends the broker before the call
 * is answered; that call and every later brokered call of the application then fail with EIO
 * (the handler's answer when the broker is gone): the application never acts on a call the log did
 * not get (a call the broker made itself has been made, only its record is missing).
 */
static void log_failed(void *data, int err, bool first)
{
	_exit(1);
}

__attribute__((noreturn)) static void broker_main(const struct sb_policy *eff, int ctrl, int log)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, ign = { .sa_handler = SIG_IGN };
	struct sb_broker *b = NULL;
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL); /* SIGKILL, SIGSTOP and libc's own refuse: fine */
	/*
	 * The broker lives as long as the application's processes hold a socket to it, and ends
	 * when they are gone. Signals meant for the application's process group (^C, a hangup,
	 * job control, a supervisor's SIGTERM) must not end it first: the application may still
	 * be cleaning up.
	 */
	for (const int *s = (const int[]){ SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGXFSZ,
					   SIGTSTP, SIGTTIN, SIGTTOU, 0 };
	     *s; s++)
		sigaction(*s, &ign, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_NAME, "sysbroker");
	/* The application cannot read or trace it (it holds the application's access). */
	int r = prctl(PR_SET_DUMPABLE, 0) < 0 ? -errno : 0;

	/*
	 * The application's fds stay the application's: a pipe it closes must reach EOF. Keep
	 * the control socket and the log, and put /dev/null on 0-2 (sanitizer builds keep
	 * stderr, for their reports).
	 */
	int c2 = fcntl(ctrl, F_DUPFD_CLOEXEC, 3);
	int l2 = log >= 0 ? fcntl(log, F_DUPFD_CLOEXEC, 3) : -1;
	if (r == 0 && (c2 < 0 || (log >= 0 && l2 < 0)))
		r = -errno;
	if (c2 < 0)
		_exit(1);
	close_others(c2, l2);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
	const int nstd = 2;
#else
	const int nstd = 3;
#endif
	for (int fd = 0; fd < nstd; fd++)
		if (null < 0 || dup2(null, fd) < 0)
			close(fd);
	if (null > 2)
		close(null);

	if (r == 0)
		r = sb_broker_new(eff, l2, &b);
	if (r == 0 && eff->log_failure != SB_LOG_FAILURE_CONTINUE)
		sb_audit_log_on_fail(sb_broker_log(b), log_failed, NULL);
	if (r == 0) {
		r = sb_broker_add_control(b, c2);
		c2 = r < 0 ? -1 : c2;
	}
	hello(c2, r);
	r = sb_broker_run(b);
	sb_audit_flush(sb_broker_log(b));
	_exit(r < 0 ? 1 : 0);
}

/*
 * Fork the broker (twice: the middle process exits at once, so the broker is nobody's child in
 * the application) and wait until it says it is ready. ctrl[0] is the broker's end; it is
 * closed here. On success *ret_pid and *ret_pidfd name the broker.
 */
static int start_broker(const struct sb_policy *eff, int ctrl[2], int log_fd, pid_t *ret_pid,
			int *ret_pidfd)
{
	sigset_t all, old;
	struct sb_rep rep;
	int status, pidfd;

	/* No handler of the application may run in the children before they reset them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t mid = fork();
	if (mid == 0) {
		pid_t pid = fork();
		if (pid == 0)
			broker_main(eff, ctrl[0], log_fd);
		_exit(pid < 0 ? errno : 0);
	}
	int err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	ctrl[0] = safe_close(ctrl[0]);
	if (mid < 0)
		return -err;
	/* ECHILD: the application reaps its children itself (SIGCHLD ignored, or its handler). */
	pid_t w;
	do
		w = waitpid(mid, &status, 0);
	while (w < 0 && errno == EINTR);
	/* The middle process's exit status is fork's errno when the broker never started. */
	int fork_err = w == mid && WIFEXITED(status) ? WEXITSTATUS(status) : 0;
	ssize_t n = recv_reply(ctrl[1], &rep, &pidfd);
	if (n < 0)
		return fork_err ? -fork_err : (int)n;
	if (rep.seq != SB_HELLO_SEQ || rep.ret <= 0 || pidfd < 0) {
		safe_close(pidfd);
		return rep.ret < 0 ? (int)rep.ret : -EIO;
	}
	*ret_pid = (pid_t)rep.ret;
	*ret_pidfd = pidfd;
	return 0;
}

static void stop_broker(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	if (pidfd < 0)
		return;
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	/* Readable once it has exited. */
	while (poll(&p, 1, 10000) < 0 && errno == EINTR)
		;
	safe_close(pidfd);
}

/*
 * Yama's ptrace_scope 1 lets a process trace its descendants only; the broker is none of ours,
 * and needs pidfd_getfd(2) on us. The exception replaces any the application had set.
 */
static bool allow_broker_ptrace(pid_t pid)
{
	char buf[8] = { 0 };
	_cleanup_close_ int fd = open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0 || buf[0] != '1')
		return false;
	return prctl(PR_SET_PTRACER, pid, 0, 0, 0) == 0;
}

/* --- entering ------------------------------------------------------------------------------ */

static struct sb_trap_opts trap_opts(const struct sb_enter_opts *o)
{
	return (struct sb_trap_opts){
		.mode = { .embed = true,
			  .sigsys_err = o->sigsys_errno,
			  .sigsys_kill = (o->flags & SB_ENTER_SIGSYS_KILL) != 0 },
		.tsync = true,
	};
}

static int enter_first(const struct sb_policy *policy, const struct sb_enter_opts *o)
{
	struct sb_trap_opts to = trap_opts(o);
	struct sb_trap_filters f = { 0 };
	int ctrl[2] = { -1, -1 }, pidfd = -1;
	bool admin = false, ptracer = false;
	pid_t pid = 0;
	cap_t none = NULL;

	int r = caller_has_sys_admin(&admin);
	if (r < 0)
		return r;
	/* no_new_privs is the one change a failed load leaves: only where the kernel needs it. */
	to.no_new_privs = !admin;
	to.handler = true;
	r = check_threads(to.no_new_privs || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
	if (r == 0)
		r = sb_trap_build(policy, &to, &f);
	/* Kernel grants (landlock.h): the direct try's prefix, made good after the load. */
	struct sb_kg_embed kg;
	int kg_on = r == 0 ? sb_kg_embed_prepare(policy, &kg, &f.main) : 0;
	if (kg_on < 0) {
		sb_kg_embed_release(&kg);
		sb_trap_filters_release(&f);
		r = kg_on;
	}
	if (r < 0)
		return r;
	none = cap_init();
	if (!none)
		r = -ENOMEM;
	if (r == 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctrl) < 0)
		r = -errno;
	if (r == 0)
		r = start_broker(&f.eff, ctrl, o->log_fd, &pid, &pidfd);
	/*
	 * From the load (the cookie allowed) to the domain, no handler of the program may run on
	 * this thread: it could make the cookie call without Landlock. SIGSYS stays open for the
	 * trap.
	 */
	sigset_t quiet, old;
	sigfillset(&quiet);
	sigdelset(&quiet, SIGSYS);
	bool masked = kg_on > 0 && pthread_sigmask(SIG_BLOCK, &quiet, &old) == 0;
	if (r == 0) {
		ptracer = allow_broker_ptrace(pid);
		r = sb_trap_install(&f, ctrl[1], &to);
	}
	if (r == 0 && kg_on > 0)
		r = sb_kg_embed_commit(&kg);
	if (masked)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (kg_on >= 0)
		sb_kg_embed_release(&kg);
	sb_trap_filters_release(&f);
	if (r < 0) {
		stop_broker(pidfd);
		if (ptracer)
			prctl(PR_SET_PTRACER, 0, 0, 0, 0);
		safe_close(ctrl[0]);
		safe_close(ctrl[1]);
		if (none)
			cap_free(none);
		return r;
	}

	/* The filters are in place: nothing from here on can be taken back. */
	entered = true;
	safe_close(pidfd);
	sb_privdrop_from = pid;
	r = drop_own_privileges(none);
	if (r == 0)
		r = drop_all_privileges(ctrl[1]);
	cap_free(none);
	return r;
}

/* A later call: one more layer, in the broker and in the kernel, or nothing at all. */
static int add_layer(const struct sb_policy *policy, const struct sb_enter_opts *o)
{
	struct sb_trap_opts to = trap_opts(o);
	struct sb_trap_filters f;
	struct sb_req req = { .type = SB_REQ_LAYER, .args = { SB_LAYER_PREPARE } };
	const char *item0, *text = NULL;
	size_t text_len = 0;

	if (o->flags & SB_ENTER_LOG)
		return -EINVAL; /* the broker's log was chosen on entering */
	if (policy->source_path) {
		req.args[1] = SB_LAYER_FILE;
		item0 = policy->source_path;
	} else if (policy->source_text && policy->source_name) {
		req.args[1] = SB_LAYER_TEXT;
		item0 = policy->source_name;
		text = policy->source_text;
		text_len = policy->source_len;
		if (text_len > SB_MAX_LAYER_TEXT)
			return -E2BIG;
	} else {
		return -EINVAL;
	}
	size_t item0_len = strlen(item0) + 1;
	if (item0_len > PATH_MAX)
		return -ENAMETOOLONG;
	req.args[2] = (uint64_t)o->sigsys_errno;
	req.args[3] = (o->flags & SB_ENTER_SIGSYS_KILL) != 0;
	req.len[SB_ITEM_PATH0] = (uint32_t)item0_len;
	req.len[SB_ITEM_STRING] = (uint32_t)text_len;

	int r = sb_trap_build(policy, &to, &f);
	/* The plan may not be a subset of this layer: the kernel's grants end here (landlock.h). */
	if (r == 0 && sb_kg_embedded)
		r = sb_kg_prefix_prog(&f.main, SECCOMP_RET_ERRNO | EACCES);
	if (r < 0)
		return r;
	_cleanup_close_ int ch = open_channel(sb_ctrl_fd);
	_cleanup_free_ char *payload = malloc(item0_len + text_len);
	if (ch < 0 || !payload) {
		sb_trap_filters_release(&f);
		return ch < 0 ? ch : -ENOMEM;
	}
	memcpy(payload, item0, item0_len);
	if (text_len)
		memcpy(payload + item0_len, text, text_len);
	r = (int)call(ch, &req, payload, item0_len + text_len);
	if (r == 0) {
		r = sb_trap_install(&f, -1, &to);
		if (r == 0)
			sb_kg_on = false;
		req = (struct sb_req){ .type = SB_REQ_LAYER,
				       .args = { r == 0 ? SB_LAYER_COMMIT : SB_LAYER_ABORT } };
		long c = call(ch, &req, NULL, 0);
		if (r == 0)
			r = (int)c;
	}
	sb_trap_filters_release(&f);
	return r;
}

SB_API int sb_sandbox_enter(const struct sb_policy *policy, const struct sb_enter_opts *opts)
{
	struct sb_enter_opts o;
	int idle = 0;

	if (!policy)
		return -EINVAL;
	int r = copy_opts(opts, &o);
	if (r < 0)
		return r;
	if (!atomic_compare_exchange_strong(&busy, &idle, 1))
		return -EBUSY;
	r = entered ? add_layer(policy, &o) : enter_first(policy, &o);
	atomic_store(&busy, 0);
	return r;
}
