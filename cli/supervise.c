/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `sysbroker run`, the broker's side once the program runs: its privileges, the signals it
 * forwards, the policy it reads again on reload, the timeout, reaping and killing the tree.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit.h"
#include "caps.h"
#include "cli.h"
#include "filters.h"
#include "macro.h"
#include "net.h"
#include "run.h"
#include "supervise.h"
#include "syscalls.h"

/*
 * Kill every process below us, repeatedly, until none is left: forks cannot outrun SIGKILL.
 * Needs no new fd for the directory (/proc was opened at start, before the sandbox could use up
 * the broker's fds) and no fixed table. Each victim is signalled through a pidfd after its
 * parent was read again through that pidfd's /proc entry, so a pid reused between the scan
 * and the kill is never signalled.
 */
struct proc_entry {
	pid_t pid, ppid;
	bool mark;
};

static pid_t read_ppid(int proc_fd, pid_t pid)
{
	char path[32], buf[512];
	snprintf(path, sizeof(path), "%d/stat", (int)pid);
	int fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t k = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (k <= 0)
		return -1;
	buf[k] = 0;
	/* "pid (comm) state ppid ...": comm may hold anything but its last ')'. */
	char *rp = strrchr(buf, ')');
	char st;
	int ppid;
	if (!rp || sscanf(rp + 1, " %c %d", &st, &ppid) != 2 || st == 'Z' || st == 'X')
		return -1;
	return ppid;
}

void kill_tree(const struct loop_ctx *lc)
{
	int proc_fd = lc->proc_fd;
	pid_t self = lc->self;

	if (proc_fd < 0)
		return;
	for (int round = 0; round < 1000; round++) {
		_cleanup_free_ struct proc_entry *v = NULL;
		size_t n = 0, cap = 0;
		bool any = false;
		int dfd = fcntl(proc_fd, F_DUPFD_CLOEXEC, 3);
		DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
		if (!d) {
			safe_close(dfd);
			return;
		}
		rewinddir(d);
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			pid_t pid = atoi(de->d_name);
			pid_t ppid = read_ppid(proc_fd, pid);
			if (ppid < 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				struct proc_entry *nv = reallocarray(v, cap, sizeof(*nv));
				if (!nv)
					break;
				v = nv;
			}
			v[n++] = (struct proc_entry){ pid, ppid, false };
		}
		closedir(d);
		/* Descendants of self, marked transitively. */
		for (bool grew = true; grew;) {
			grew = false;
			for (size_t i = 0; i < n; i++) {
				if (v[i].mark)
					continue;
				bool child = v[i].ppid == self;
				for (size_t j = 0; j < n && !child; j++)
					child = v[j].mark && v[j].pid == v[i].ppid;
				if (child)
					v[i].mark = grew = true;
			}
		}
		for (size_t i = 0; i < n; i++) {
			if (!v[i].mark)
				continue;
			int pfd = (int)syscall(SYS_pidfd_open, v[i].pid, 0);
			if (pfd < 0)
				continue;
			/* Still the process we saw (same parent, not reaped and reused)? */
			if (read_ppid(proc_fd, v[i].pid) == v[i].ppid) {
				syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
				any = true;
			}
			close(pfd);
		}
		if (!any)
			return;
		usleep(1000);
	}
}

/* Forget l: off lc->loaded (once linked there), and free it with its policy. */
static struct loaded *loaded_release_one(struct loaded *l)
{
	if (!l)
		return NULL;
	struct loop_ctx *lc = l->lc;
	if (l->prev)
		l->prev->next = l->next;
	else if (lc)
		lc->loaded = l->next;
	if (l->next)
		l->next->prev = l->prev;
	if (lc)
		lc->nloaded--;
	free(l->rules);
	sb_policy_free(l->policy);
	free(l);
	return NULL;
}

/* The broker no longer decides with it and no waiting call points into it. */
static void loaded_release(struct sb_policy_hold *h)
{
	loaded_release_one((struct loaded *)h);
}

/* The policy files read again, as the broker would decide with them: 0, or -errno and msg. */
static int reload_read(struct loop_ctx *lc, struct loaded **ret, char *msg, size_t size)
{
	struct sb_policy_error err;
	struct loaded *l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(msg, size, "out of memory");
		return -ENOMEM;
	}
	int r = sb_policy_load_file(lc->policy_path, &l->policy, &err);
	if (r < 0)
		cli_policy_error(&err, msg, size);
	else if (allow_runtime(l->policy, lc->preload) < 0) {
		snprintf(msg, size, "the runtime's path %s cannot be granted", lc->preload);
		r = -EINVAL;
	}
	if (r == 0) {
		l->policy->learn = lc->learn;
		size_t nlauncher = 0;
		r = effective_policy(l->policy, lc->self, &l->eff, &l->rules, &nlauncher);
		if (r < 0)
			snprintf(msg, size, "%s", strerror(-r));
	}
	if (r < 0) {
		loaded_release_one(l);
		return r;
	}
	l->eff.kernel = lc->kernel;
	l->hold = (struct sb_policy_hold){ .refs = 0, .release = loaded_release };
	l->lc = lc;
	l->next = lc->loaded;
	if (l->next)
		l->next->prev = l;
	lc->loaded = l;
	lc->nloaded++;
	*ret = l;
	return 0;
}

/*
 * A kernel grant (Landlock) cannot be taken back from a running process: a reload that narrows
 * one ends the sandbox, with a record naming the grant, and `run` fails (sysbroker(1)). The
 * broker already decides by the new policy, so nothing it serves before the end is wider.
 */
static void reload_narrows(struct sb_broker *b, struct loop_ctx *lc, const struct sb_policy *p)
{
	const struct sb_kgrant *w = NULL;
	char what[PATH_MAX + 160], rule[PATH_MAX + 80] = "";

	if (!lc->kplan || sb_kgrant_plan_within(lc->kplan, p, &w) || !w)
		return;
	/* Or a rule on a call the handler's direct try answers without reading it. */
	const struct sb_sysrule *sr = sb_kgrant_ruled_call(p);
	if (sr) {
		const char *name = sb_syscall_name(sr->nr);
		snprintf(rule, sizeof(rule), "a rule on %s (%s:%u)", name ? name : "?",
			 sr->c.origin.file ? sr->c.origin.file : "?", sr->c.origin.line);
		snprintf(what, sizeof(what), "%s: the reload of %s adds %s", w->path,
			 lc->policy_path, rule);
	} else
		snprintf(what, sizeof(what), "%s (%s:%u), narrowed by the reload of %s", w->path,
			 w->origin.file ? w->origin.file : "?", w->origin.line, lc->policy_path);
	sb_audit_event(sb_broker_log(b), 0, "reload-kill", "grant", what);
	if (!lc->st->narrowed && sr)
		say("a reload added %s, which the kernel grants would pass over: the sandbox is "
		    "ended (kernel-grants off keeps a program through such reloads)",
		    rule);
	else if (!lc->st->narrowed)
		say("a reload narrowed the kernel grant %s: the sandbox is ended (kernel-grants "
		    "off keeps a program through such reloads)",
		    what);
	lc->st->narrowed = true;
	kill_tree(lc);
}

/*
 * Read the policy files again. A valid policy decides every later brokered call (the kernel's
 * decisions of the first one stay: sb_policy.kernel), and the one it replaces is freed once no
 * waiting call was decided under it; an invalid one changes nothing. Either way the log says so.
 */
static void reload(struct sb_broker *b, struct loop_ctx *lc, pid_t asker)
{
	struct loaded *l = NULL;
	char msg[CLI_POLICY_ERROR_MAX];
	int r = reload_read(lc, &l, msg, sizeof(msg));
	if (r < 0) {
		if (lc->log_fd >= 0)
			sb_audit_event(sb_broker_log(b), 0, "reload-error", "error", msg);
		else
			say("reload: %s (the policy in force stays)", msg);
	} else {
		sb_broker_set_policy(b, &l->eff, &l->hold);
		if (lc->log_fd >= 0)
			sb_audit_event(sb_broker_log(b), 0, "reload", "policy", lc->policy_path);
		reload_narrows(b, lc, l->policy);
	}
	registry_reload_answer(&lc->answer, asker, r < 0 ? msg : NULL);
}

void loaded_free(struct loop_ctx *lc)
{
	while (lc->loaded)
		loaded_release_one(lc->loaded);
}

/*
 * Job control as without the sandbox: the program's group has the terminal, so ^Z (or a read
 * from the terminal in the background) stops the program, not sysbroker, whom the shell waits
 * for. sysbroker follows: it takes the terminal back, stops itself with the same signal (the
 * shell sees the job stopped and prints its prompt), and when the shell continues it (fg, bg)
 * gives the terminal back to the program if it is in the foreground and continues the program's
 * group. While stopped, the broker serves nobody: a sandboxed process outside the program's
 * group waits for its brokered calls until then.
 */
static void follow_stop(struct loop_ctx *lc, int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	bool fg = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == lc->st->child;
	if (fg)
		tcsetpgrp(STDIN_FILENO, getpgrp()); /* SIGTTOU is ignored */
	sigaction(sig, &dfl, &old);
	raise(sig);
	/* Continued (fg or bg). */
	sigaction(sig, &old, NULL);
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp())
		lc->st->tty = tcsetpgrp(STDIN_FILENO, lc->st->child) == 0;
	kill(-lc->st->child, SIGCONT);
}

void reap(struct sb_broker *b, struct loop_ctx *lc)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG | __WALL | WUNTRACED);
		if (pid == 0)
			return;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			/* ECHILD: the last process of the tree is gone. */
			sb_broker_stop(b);
			return;
		}
		/*
		 * SIGSYS is the sandbox's own mechanism: a kernel rule's kill, or a trap with
		 * SIGSYS blocked or ignored. Nothing else records it (the broker's kills for a
		 * kill verdict are SIGKILL, after their decision record).
		 */
		if (WIFSTOPPED(status)) {
			/*
			 * Only a terminal's stop, and only with a terminal: without one nobody
			 * could continue the broker, and --timeout must still fire.
			 */
			int sig = WSTOPSIG(status);
			if (pid == lc->st->child && isatty(STDIN_FILENO) &&
			    (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU))
				follow_stop(lc, sig);
			continue;
		}
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
			sb_audit_event(sb_broker_log(b), pid, "killed", "error", "SIGSYS");
		if (pid == lc->st->child) {
			lc->st->status = status;
			lc->st->child_done = true;
		}
	}
}

void on_signal(struct sb_broker *b, int fd, uint32_t events, void *data)
{
	struct loop_ctx *lc = data;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if ((int)si.ssi_signo == lc->reload_sig) {
			reload(b, lc, (pid_t)si.ssi_pid);
			continue;
		}
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(b, lc);
			break;
		default:
			/*
			 * Forward to the program's group, which outlives its leader while any
			 * member is left. Daemons that left the group are not signalled, but the
			 * broker still waits for them.
			 */
			kill(-lc->st->child, (int)si.ssi_signo);
			break;
		}
	}
}

void on_timeout(struct sb_broker *b, int fd, uint32_t events, void *data)
{
	struct loop_ctx *lc = data;
	uint64_t ticks;
	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	lc->st->timed_out = true;
	kill_tree(lc);
	reap(b, lc);
}

void on_log_failure(void *data, int err, bool first)
{
	struct loop_ctx *lc = data;
	bool stop = lc->log_failure == SB_LOG_FAILURE_STOP;
	if (first && !lc->st->log_stopped)
		say("cannot write the audit log %s: %s; %s", lc->log_name, strerror(err),
		    stop ? "stopping the sandbox (log-failure stop)"
			 : "the sandbox goes on and lost records are counted (log-failure "
			   "continue)");
	if (stop) {
		/*
		 * Before the call is answered: the program never acts on a call the log did not
		 * get. Again at every later failure, in case a kill could not reach everyone.
		 */
		lc->st->log_stopped = true;
		kill_tree(lc);
	}
}

/* Keep only what acting for the sandboxee needs; with --user, act with its file identity. */
int drop_broker_privileges(const struct child_args *a, const struct sb_policy *policy)
{
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return -errno;
	if (caps_none_held())
		return 0; /* an unprivileged broker holds nothing to drop */
	/*
	 * What is kept is what acting for the sandboxee needs and this process holds (root in a
	 * container lacks some: CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE; caps_refusal has already
	 * refused a run that needs one it lacks).
	 * Without --user the sandbox is uid 0 with no capabilities, which the kernel lets the
	 * broker ptrace (pidfd_getfd, /proc/PID/mem) without CAP_SYS_PTRACE: same uid, and its
	 * (empty) capabilities are a subset of ours. Keeping CAP_SYS_PTRACE there would let the
	 * broker open, for the sandbox, /proc/PID files of every other root process (a policy
	 * granting read of everything under /proc would then hand out their environ): a review
	 * found exactly that.
	 * With --user, the sandbox's uid differs from ours and CAP_SYS_PTRACE is what reaches it,
	 * while the user's fsuid keeps other users' /proc files closed.
	 */
	cap_value_t keep[] = { CAP_KILL,   CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
			       CAP_FOWNER, CAP_FSETID,       0,
			       0 };
	size_t nkeep = ELEMENTSOF(keep) - 2;
	if (a->as_user) {
		/* Files are opened and created as the user: no DAC overrides. */
		if (setgroups((size_t)a->ngroups, a->groups) < 0)
			return -errno;
		setfsgid(a->gid);
		setfsuid(a->uid);
		if ((uid_t)setfsuid((uid_t)-1) != a->uid)
			return -EPERM;
		keep[0] = CAP_SYS_PTRACE;
		keep[1] = CAP_KILL;
		nkeep = 2;
	}
	/*
	 * The broker binds for the sandboxee: a port below 1024 needs CAP_NET_BIND_SERVICE, kept
	 * only when a net rule grants bind on such a port (broker/net.c).
	 */
	if (sb_net_policy_binds_privileged(policy))
		keep[nkeep++] = CAP_NET_BIND_SERVICE;
	/*
	 * The bounding set first: it takes CAP_SETPCAP, which goes next. Without CAP_SETPCAP it
	 * stays, and no_new_privs keeps an exec (the broker makes none) from gaining from it.
	 */
	int r = caps_bound_to(keep, nkeep);
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return r < 0 ? r : caps_keep(keep, nkeep);
}

int exit_status(const struct run_state *st)
{
	if (st->timed_out)
		return EXIT_TIMEOUT;
	if (st->narrowed)
		return EXIT_FAIL;
	if (!st->child_done)
		return EXIT_FAIL;
	if (WIFEXITED(st->status))
		return WEXITSTATUS(st->status);
	if (WIFSIGNALED(st->status))
		return 128 + WTERMSIG(st->status);
	return EXIT_FAIL;
}
