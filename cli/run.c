/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `sysbroker run`: launch an unmodified program under a policy file.
 *
 * The launcher is the broker. It forks the program's first process, which drops every
 * capability, sets no_new_privs, installs the base filter (kernel decisions, and
 * SECCOMP_RET_USER_NOTIF for every brokered call) and execs the program with the runtime
 * preloaded. The broker fetches the filter's listener with pidfd_getfd, serves notify and trap
 * requests from one event loop, forwards signals to the program's process group, reaps every
 * process of the tree (it is their subreaper) and exits with the program's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <linux/sockios.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <dirent.h>
#include <linux/close_range.h>
#include <unistd.h>

#include "audit.h"
#include "compile.h"
#include "config.h"
#include "loop.h"
#include "macro.h"
#include "net.h"
#include "policy.h"
#include "protocol.h"
#include "run.h"

/* The env(1)/timeout(1) convention. */
#define EXIT_TIMEOUT 124
#define EXIT_FAIL 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

/* Where the runtime sits for the sandboxee; SYSBROKER_PRELOAD overrides. */
#define PRELOAD_NAME "libsysbroker-preload.so"
#define CTRL_FD_MIN 1000 /* out of the way of the program's own fds (shells use 0-9) */

struct run_opts {
	const char *policy;
	const char *log;
	const char *user;
	const char *cwd;
	char **env;
	size_t nenv;
	bool clearenv;
	double timeout;
	bool learn;
	char **argv;
};

struct run_state {
	pid_t child;
	int status; /* the program's wait status, valid once child_done */
	bool child_done;
	bool timed_out;
	bool tty; /* we handed the terminal to the program's group */
	int ttyfd;
};

static void usage(FILE *f)
{
	fputs("Usage: sysbroker run -p POLICY [OPTIONS] [--] PROG [ARGS...]\n"
	      "\n"
	      "Run PROG under the policy, with every brokered call decided by this process.\n"
	      "\n"
	      "  -p, --policy FILE     the policy (sysbroker.policy(5)); required\n"
	      "  -l, --log FILE|-      append audit records (JSON Lines) to FILE, or stderr for -\n"
	      "  -u, --user USER       run PROG as USER (name or uid; needs root)\n"
	      "  -C, --cwd DIR         start PROG in DIR\n"
	      "  -e, --env KEY=VAL     set a variable in PROG's environment (repeatable)\n"
	      "  -i, --clearenv        start PROG with an empty environment (before --env)\n"
	      "  -t, --timeout SECS    kill the whole sandboxed tree after SECS seconds\n"
	      "  -L, --learn           learn mode: let what the policy would deny run, and log it\n"
	      "                        as \"would-deny\" (the built-in dangerous set stays "
	      "denied)\n"
	      "  -h, --help            show this help and exit\n"
	      "\n"
	      "The audit log's records carry a sandbox id (also in PROG's environment as\n"
	      "SYSBROKER_SANDBOX); 'sysbroker reload --sandbox ID' or '--pid PID' makes this\n"
	      "process read the policy again. SIGHUP is forwarded to PROG.\n"
	      "\n"
	      "Exit status: PROG's; 128+N if it was killed by signal N; 124 on --timeout;\n"
	      "125 if sysbroker failed (bad command line or policy, cannot set up);\n"
	      "126 if PROG cannot be executed or the policy does not allow it; 127 if PROG\n"
	      "was not found. See sysbroker(1).\n",
	      f);
}

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	va_list ap;
	fputs("sysbroker run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'l' },
		{ "user", required_argument, NULL, 'u' },
		{ "cwd", required_argument, NULL, 'C' },
		{ "env", required_argument, NULL, 'e' },
		{ "clearenv", no_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "learn", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct run_opts){ .timeout = 0 };
	o->env = calloc((size_t)argc + 1, sizeof(char *));
	if (!o->env)
		return EXIT_FAIL;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:l:u:C:e:it:Lh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->policy = optarg;
			break;
		case 'l':
			o->log = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'C':
			o->cwd = optarg;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				say("--env wants KEY=VALUE, not '%s'", optarg);
				return EXIT_FAIL;
			}
			o->env[o->nenv++] = optarg;
			break;
		case 'i':
			o->clearenv = true;
			break;
		case 'L':
			o->learn = true;
			break;
		case 't': {
			char *end;
			errno = 0;
			o->timeout = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->timeout > 0) ||
			    !isfinite(o->timeout) || o->timeout > 1e9) {
				say("--timeout wants a positive number of seconds, not '%s'",
				    optarg);
				return EXIT_FAIL;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			say("option '%s' needs an argument\nTry 'sysbroker run --help'.",
			    argv[optind - 1]);
			return EXIT_FAIL;
		default:
			say("unknown option '%s'\nTry 'sysbroker run --help'.", argv[optind - 1]);
			return EXIT_FAIL;
		}
	}
	if (!o->policy) {
		say("no policy given (-p FILE)\nTry 'sysbroker run --help'.");
		return EXIT_FAIL;
	}
	if (optind >= argc) {
		say("no program given\nTry 'sysbroker run --help'.");
		return EXIT_FAIL;
	}
	o->argv = argv + optind;
	return -1;
}

/* --- the program's environment and path ------------------------------------------------ */

static int env_set(char ***envp, size_t *n, const char *kv)
{
	size_t klen = (size_t)(strchr(kv, '=') - kv) + 1;
	for (size_t i = 0; i < *n; i++)
		if (strncmp((*envp)[i], kv, klen) == 0) {
			(*envp)[i] = (char *)kv;
			return 0;
		}
	char **v = realloc(*envp, (*n + 2) * sizeof(char *));
	if (!v)
		return -ENOMEM;
	v[(*n)++] = (char *)kv;
	v[*n] = NULL;
	*envp = v;
	return 0;
}

static const char *env_get(char **envp, size_t n, const char *key)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], key, klen) == 0 && envp[i][klen] == '=')
			return envp[i] + klen + 1;
	return NULL;
}

/*
 * PROG as execvp(3) would find it, with the PATH PROG will see. Returns 0, or the exit status
 * to fail with (126 found but not executable, 127 not found).
 */
static int find_program(const char *prog, const char *path, char *out, size_t size)
{
	struct stat st;
	int err = ENOENT;

	if (strchr(prog, '/')) {
		if (strlen(prog) >= size)
			return say("%s: %s", prog, strerror(ENAMETOOLONG)), EXIT_NOT_FOUND;
		strcpy(out, prog);
		if (stat(out, &st) < 0)
			return say("%s: %s", prog, strerror(errno)),
			       errno == ENOENT || errno == ENOTDIR ? EXIT_NOT_FOUND
								   : EXIT_CANNOT_EXEC;
		if (S_ISDIR(st.st_mode) || access(out, X_OK) < 0)
			return say("%s: %s", prog, strerror(S_ISDIR(st.st_mode) ? EISDIR : EACCES)),
			       EXIT_CANNOT_EXEC;
		return 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;; p++) {
		const char *colon = strchrnul(p, ':');
		int n = colon == p ? snprintf(out, size, "./%s", prog)
				   : snprintf(out, size, "%.*s/%s", (int)(colon - p), p, prog);
		if (n > 0 && (size_t)n < size && stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			err = EACCES;
		}
		if (!*colon)
			break;
		p = colon;
	}
	say("%s: %s", prog, err == ENOENT ? "command not found" : strerror(err));
	return err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}

static char *preload_path(void)
{
	const char *env = getenv("SYSBROKER_PRELOAD");
	char exe[PATH_MAX], buf[PATH_MAX + 64];
	ssize_t n;

	if (env && *env)
		return realpath(env, NULL);
	/* Run from the build tree: cli/sysbroker next to sandboxee/. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			snprintf(buf, sizeof(buf), "%s/../sandboxee/%s", exe, PRELOAD_NAME);
			if (access(buf, R_OK) == 0)
				return realpath(buf, NULL);
		}
	}
	return realpath(SB_PRELOAD_DIR "/" PRELOAD_NAME, NULL);
}

/*
 * The runtime library must be loadable whatever the policy says about its directory: an exact
 * rule for it (the most specific kind), read and stat only.
 */
static int allow_runtime(struct sb_policy *p, const char *path)
{
	for (const char *c = path; *c; c++)
		if (strchr("*?[]{}\\", *c))
			return -EINVAL; /* would be read as a glob */
	struct sb_pathrule *v = reallocarray(p->paths, p->npaths + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->paths = v;
	char *pat = strdup(path);
	if (!pat)
		return -ENOMEM;
	v[p->npaths++] = (struct sb_pathrule){
		.c = { .verdict = SB_ALLOW,
		       .origin = { .file = "(sysbroker runtime)", .line = 0 },
		       .id = p->nstatements,
		       .seq = p->nstatements },
		.pattern = pat,
		.perms = SB_PERM_READ | SB_PERM_STAT,
		.rank = sb_glob_specificity(pat),
	};
	p->nstatements++;
	return 0;
}

/* --- the sandboxee's side of the fork ------------------------------------------------------- */

/* Report a failure before exec to the launcher (one line on the status pipe) and exit. */
__attribute__((noreturn, format(printf, 2, 3))) static void child_fail(int pipe_w, const char *fmt,
								       ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + 1, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	buf[0] = 'E';
	if (n > 0) {
		size_t len = (size_t)n + 1 < sizeof(buf) ? (size_t)n + 1 : sizeof(buf);
		if (write(pipe_w, buf, len) < 0) {
			/* The launcher sees the exit status anyway. */
		}
	}
	_exit(EXIT_FAIL);
}

struct child_args {
	const struct run_opts *o;
	const char *prog;
	char **envp;
	scmp_filter_ctx main, guard, launcher;
	int pipe_w;
	int ctrl; /* our end of the control socket, already at its final number */
	bool as_user;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
};

/* Every capability of every set. The bounding set went first, while CAP_SETPCAP was there. */
static void drop_capabilities(int pipe_w)
{
	if (cap_reset_ambient() < 0 && errno != EINVAL && errno != EPERM)
		child_fail(pipe_w, "cannot clear the ambient capabilities: %s", strerror(errno));
	cap_t none = cap_init();
	if (!none || cap_set_proc(none) < 0)
		child_fail(pipe_w, "cannot drop capabilities: %s", strerror(errno));
	cap_free(none);
}

__attribute__((noreturn)) static void child_main(struct child_args *a)
{
	sigset_t all;
	char msg[32];

	/* Leave the launcher's signal setup behind. */
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(a->pipe_w, "PR_SET_PDEATHSIG: %s", strerror(errno));

	/*
	 * Only stdin, stdout, stderr and the control socket reach the program: any other fd
	 * sysbroker inherited (an open file, a socket) would hand it access the policy never
	 * granted. Close-on-exec rather than closed: the status pipe is still needed.
	 */
	if (a->ctrl >= 3) {
		if (a->ctrl > 3)
			close_range(3, (unsigned)a->ctrl - 1, CLOSE_RANGE_CLOEXEC);
		close_range((unsigned)a->ctrl + 1, ~0U, CLOSE_RANGE_CLOEXEC);
	} else {
		close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	}
	if (a->o->cwd && chdir(a->o->cwd) < 0)
		child_fail(a->pipe_w, "cannot change directory to %s: %s", a->o->cwd,
			   strerror(errno));
	bool privileged = geteuid() == 0;
	if (privileged) {
		/* Before the uid changes: after it, CAP_SETPCAP is gone. */
		for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
			if (cap_drop_bound((cap_value_t)cap) < 0 && errno != EINVAL)
				child_fail(a->pipe_w, "cannot shrink the bounding set: %s",
					   strerror(errno));
	}
	if (a->as_user) {
		if (setgroups((size_t)a->ngroups, a->groups) < 0 ||
		    setresgid(a->gid, a->gid, a->gid) < 0 || setresuid(a->uid, a->uid, a->uid) < 0)
			child_fail(a->pipe_w, "cannot become uid %u: %s", (unsigned)a->uid,
				   strerror(errno));
		/*
		 * Changing uid made us non-dumpable, which hands /proc/PID to root: the broker,
		 * acting with the user's fsuid, could not read our memory. Dumpable is what any
		 * process of that user is.
		 */
		if (prctl(PR_SET_DUMPABLE, 1) < 0)
			child_fail(a->pipe_w, "PR_SET_DUMPABLE: %s", strerror(errno));
	}
	drop_capabilities(a->pipe_w);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(a->pipe_w, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));

	/*
	 * The listener lands on the lowest free fd. Tell the launcher which one it will be before
	 * loading: after loading, sending it would take a syscall the filter may send to the
	 * broker, which does not have the listener yet. The launcher fetches it with pidfd_getfd
	 * once this pipe is closed; close(2) is one of the runtime's own kernel rules.
	 */
	int probe = fcntl(a->pipe_w, F_DUPFD_CLOEXEC, 0);
	if (probe < 0)
		child_fail(a->pipe_w, "fcntl: %s", strerror(errno));
	close(probe);
	int n = snprintf(msg, sizeof(msg), "L%d", probe);
	if (write(a->pipe_w, msg, (size_t)n + 1) < 0)
		_exit(EXIT_FAIL);
	/* The launcher's and the guard first: the main filter may refuse seccomp(2) itself. */
	int r = seccomp_load(a->launcher);
	if (r == 0 && a->guard)
		r = seccomp_load(a->guard);
	if (r == 0)
		r = seccomp_load(a->main);
	if (r < 0)
		child_fail(a->pipe_w, "cannot load the seccomp filter: %s", strerror(-r));
	if (seccomp_notify_fd(a->main) != probe)
		_exit(EXIT_FAIL); /* the launcher says what went wrong */
	close(a->pipe_w);

	execve(a->prog, a->o->argv, a->envp);
	/* Served by the broker: its answer is the policy's. The launcher already named PROG. */
	_exit(errno == ENOENT || errno == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

/* --- the broker's side ---------------------------------------------------------------------- */

/*
 * The broker's own protection, as kernel rules above the policy. The sandboxee may share the
 * broker's uid (or be uid 0 without capabilities, which the kernel lets signal every root
 * process), so it must not name the broker as a signal target in any of the ways the kernel
 * offers: kill(2) and friends on its pid, its process group or everyone (-1); joining its
 * process group (then kill(0) would reach it); making it the owner of an fd's SIGIO
 * (F_SETOWN, FIOSETOWN/SIOCSPGRP, with F_SETSIG choosing SIGKILL); and no signal through a
 * pidfd at all, since a pidfd may be a /proc directory the filter cannot tell apart. Also
 * refused: pushing input into the terminal (TIOCSTI, TIOCLINUX), which the sandbox shares with
 * the user's shell. Arguments are ints: compare their low 32 bits only, so that stray upper
 * bits cannot slip past.
 */
static int launcher_rules(pid_t broker, pid_t broker_pgrp, struct sb_sysrule *out, size_t max)
{
	const uint64_t lo = 0xffffffffu;
	const struct {
		const char *name;
		int ncond; /* 0: every call */
		unsigned arg;
		uint64_t value;
	} rules[] = {
		{ "kill", 1, 0, (uint32_t)broker },
		{ "kill", 1, 0, (uint32_t)-1 },
		{ "kill", 1, 0, (uint32_t)-broker_pgrp },
		{ "tkill", 1, 0, (uint32_t)broker },
		{ "tgkill", 1, 0, (uint32_t)broker },
		{ "rt_sigqueueinfo", 1, 0, (uint32_t)broker },
		{ "rt_tgsigqueueinfo", 1, 0, (uint32_t)broker },
		{ "pidfd_open", 1, 0, (uint32_t)broker },
		{ "setpgid", 1, 1, (uint32_t)broker_pgrp },
		{ "pidfd_send_signal", 0, 0, 0 },
		{ "fcntl", 1, 1, F_SETOWN },
		{ "fcntl", 1, 1, F_SETOWN_EX },
		{ "fcntl", 1, 1, F_SETSIG },
		{ "ioctl", 1, 1, FIOSETOWN },
		{ "ioctl", 1, 1, SIOCSPGRP },
		{ "ioctl", 1, 1, TIOCSTI },
		{ "ioctl", 1, 1, TIOCLINUX },
	};
	size_t n = 0;
	for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
		int nr = seccomp_syscall_resolve_name(rules[i].name);
		if (nr < 0)
			continue;
		if (n >= max)
			return -E2BIG;
		out[n++] = (struct sb_sysrule){
			.c = { .verdict = SB_DENY, .err = EPERM, .id = UINT32_MAX },
			.nr = nr,
			.tier = SB_TIER_RUNTIME,
			.ncond = (unsigned)rules[i].ncond,
			.cond = { { rules[i].arg, SB_CMP_MASKED_EQ, lo, rules[i].value } },
		};
	}
	return (int)n;
}

/*
 * The launcher's rules go into a filter of their own, stacked under the policy's: inside the
 * policy's chains they would turn plain kernel decisions (every ioctl, every fcntl) into chains
 * only the broker could judge. Every rule is "refuse with EPERM", so stacking is exact: the
 * kernel applies the most restrictive answer of all filters.
 */
static int launcher_filter(const struct sb_sysrule *rules, size_t n, scmp_filter_ctx *ret)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = ctx ? 0 : -ENOMEM;
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct scmp_arg_cmp cmp =
			SCMP_CMP((unsigned)rules[i].cond[0].arg, SCMP_CMP_MASKED_EQ,
				 rules[i].cond[0].mask, rules[i].cond[0].value);
		r = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ERRNO(EPERM), rules[i].nr,
						 rules[i].ncond, &cmp);
	}
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

/*
 * The policy as the sandbox lives under it: the file's rules, the runtime's (base filter
 * variant) and the launcher's. The broker evaluates syscall rules on this very set, so that a
 * chain the kernel hands to it ("broker evaluates") is judged as the filters would have.
 * *copy points into policy; *ret_rules is its rule array, for the caller to free; the
 * launcher's rules are its last *ret_nlauncher entries.
 */
static int effective_policy(const struct sb_policy *p, pid_t broker, struct sb_policy *copy,
			    struct sb_sysrule **ret_rules, size_t *ret_nlauncher)
{
	_cleanup_free_ struct sb_sysrule *rt = NULL;
	int r = sb_policy_with_runtime(p, false, copy, &rt);
	if (r < 0)
		return r;
	struct sb_sysrule extra[32];
	int ne = launcher_rules(broker, getpgrp(), extra, ELEMENTSOF(extra));
	if (ne < 0)
		return ne;
	struct sb_sysrule *all = calloc(copy->nsys + (size_t)ne, sizeof(*all));
	if (!all)
		return -ENOMEM;
	memcpy(all, copy->sys, copy->nsys * sizeof(*all));
	memcpy(all + copy->nsys, extra, (size_t)ne * sizeof(*all));
	copy->sys = all;
	copy->nsys += (size_t)ne;
	*ret_rules = all;
	*ret_nlauncher = (size_t)ne;
	return 0;
}

/* The base filter: the policy and the runtime's rules; brokered calls go to notify. */
static int base_filter(const struct sb_policy *eff, size_t nlauncher, scmp_filter_ctx *main,
		       scmp_filter_ctx *guard, scmp_filter_ctx *launcher)
{
	struct sb_plan *plan = NULL;
	struct sb_policy without = *eff;
	without.nsys -= nlauncher;
	int r = sb_plan_build_for(&without, false, &plan);
	if (r == 0)
		r = sb_plan_filter(plan, false, SCMP_ACT_NOTIFY, main);
	if (r == 0) {
		r = sb_plan_filter(plan, true, SCMP_ACT_NOTIFY, guard);
		if (r < 0)
			seccomp_release(*main);
	}
	if (r == 0) {
		r = launcher_filter(eff->sys + without.nsys, nlauncher, launcher);
		if (r < 0) {
			seccomp_release(*main);
			if (*guard)
				seccomp_release(*guard);
		}
	}
	sb_plan_free(plan);
	return r;
}

/*
 * Kill every process below us, repeatedly, until none is left: forks cannot outrun SIGKILL.
 * Needs no new fd for the directory (/proc was opened at start, before the sandbox could use up
 * the broker's fds) and no fixed table. Each victim is signalled through a pidfd after its
 * parent was read again through that pidfd's /proc entry, so a pid reused between the scan
 * and the kill is never signalled.
 */
static int proc_fd = -1;

struct proc_entry {
	pid_t pid, ppid;
	bool mark;
};

static pid_t read_ppid(pid_t pid)
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

static void kill_tree(pid_t self)
{
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
			pid_t ppid = read_ppid(pid);
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
			if (read_ppid(v[i].pid) == v[i].ppid) {
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

/* A policy read by a reload, kept until the end (a network worker may still point into it). */
struct loaded {
	struct sb_policy *policy;
	struct sb_policy eff;
	struct sb_sysrule *rules;
};

struct loop_ctx {
	struct run_state *st;
	pid_t self;
	/* reload */
	int reload_sig;
	const char *policy_path; /* absolute: the broker never changes directory, but be sure */
	const char *preload;
	bool learn;
	const struct sb_policy *kernel; /* the policy the filters were built from */
	int log_fd;
	struct loaded *loaded;
	size_t nloaded;
};

/*
 * Read the policy files again. A valid policy decides every later brokered call (the kernel's
 * decisions of the first one stay: sb_policy.kernel); an invalid one changes nothing. Either way
 * the log says so.
 */
static void reload(struct sb_broker *b, struct loop_ctx *lc)
{
	struct sb_policy *np = NULL;
	struct sb_policy_error err;
	char msg[sizeof(err.file) + sizeof(err.message) + 64];
	int r = sb_policy_load_file(lc->policy_path, &np, &err);
	if (r < 0) {
		if (err.line)
			snprintf(msg, sizeof(msg), "%s:%u:%u: error: %s", err.file, err.line,
				 err.column, err.message);
		else
			snprintf(msg, sizeof(msg), "%s: error: %s", err.file, err.message);
	} else if (allow_runtime(np, lc->preload) < 0) {
		snprintf(msg, sizeof(msg), "the runtime's path %s cannot be granted", lc->preload);
		r = -EINVAL;
	}
	struct loaded *v = r < 0 ? NULL : reallocarray(lc->loaded, lc->nloaded + 1, sizeof(*v));
	if (r == 0 && !v) {
		snprintf(msg, sizeof(msg), "out of memory");
		r = -ENOMEM;
	}
	if (r == 0) {
		lc->loaded = v;
		struct loaded *l = &v[lc->nloaded];
		*l = (struct loaded){ .policy = np };
		np->learn = lc->learn;
		size_t nlauncher = 0;
		r = effective_policy(np, lc->self, &l->eff, &l->rules, &nlauncher);
		if (r < 0)
			snprintf(msg, sizeof(msg), "%s", strerror(-r));
	}
	if (r < 0) {
		sb_policy_free(np);
		if (lc->log_fd >= 0)
			sb_audit_event(sb_broker_log(b), 0, "reload-error", "error", msg);
		else
			say("reload: %s (the policy in force stays)", msg);
		return;
	}
	struct loaded *l = &lc->loaded[lc->nloaded++];
	l->eff.kernel = lc->kernel;
	sb_broker_set_policy(b, &l->eff);
	if (lc->log_fd >= 0)
		sb_audit_event(sb_broker_log(b), 0, "reload", "policy", lc->policy_path);
}

static void loaded_free(struct loop_ctx *lc)
{
	for (size_t i = 0; i < lc->nloaded; i++) {
		free(lc->loaded[i].rules);
		sb_policy_free(lc->loaded[i].policy);
	}
	free(lc->loaded);
	lc->loaded = NULL;
	lc->nloaded = 0;
}

static void reap(struct sb_broker *b, struct loop_ctx *lc)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);
		if (pid == 0)
			return;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			/* ECHILD: the last process of the tree is gone. */
			sb_broker_stop(b);
			return;
		}
		if (pid == lc->st->child) {
			lc->st->status = status;
			lc->st->child_done = true;
		}
	}
}

static void on_signal(struct sb_broker *b, int fd, uint32_t events, void *data)
{
	struct loop_ctx *lc = data;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if ((int)si.ssi_signo == lc->reload_sig) {
			reload(b, lc);
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

static void on_timeout(struct sb_broker *b, int fd, uint32_t events, void *data)
{
	struct loop_ctx *lc = data;
	uint64_t ticks;
	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	lc->st->timed_out = true;
	kill_tree(lc->self);
	reap(b, lc);
}

/* Keep only what acting for the sandboxee needs; with --user, act with its file identity. */
static int drop_broker_privileges(const struct child_args *a, const struct sb_policy *policy)
{
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return -errno;
	if (geteuid() != 0)
		return 0; /* an unprivileged broker holds nothing to drop */
	/*
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
	/*
	 * The broker binds for the sandboxee: a port below 1024 needs CAP_NET_BIND_SERVICE, kept
	 * only when a net rule grants bind on such a port (broker/net.c).
	 */
	bool bind_low = sb_net_policy_binds_privileged(policy);
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
	if (bind_low)
		keep[nkeep++] = CAP_NET_BIND_SERVICE;
	/* The bounding set first: it takes CAP_SETPCAP, which goes next. */
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
		bool kept = false;
		for (size_t i = 0; i < nkeep; i++)
			kept = kept || keep[i] == cap;
		if (!kept && cap_drop_bound((cap_value_t)cap) < 0 && errno != EINVAL)
			return -errno;
	}
	cap_t caps = cap_init();
	if (!caps)
		return -errno;
	int r = cap_set_flag(caps, CAP_PERMITTED, (int)nkeep, keep, CAP_SET);
	if (r == 0)
		r = cap_set_flag(caps, CAP_EFFECTIVE, (int)nkeep, keep, CAP_SET);
	if (r == 0)
		r = cap_set_proc(caps);
	r = r < 0 ? -errno : 0;
	cap_free(caps);
	return r;
}

static int exit_status(const struct run_state *st)
{
	if (st->timed_out)
		return EXIT_TIMEOUT;
	if (!st->child_done)
		return EXIT_FAIL;
	if (WIFEXITED(st->status))
		return WEXITSTATUS(st->status);
	if (WIFSIGNALED(st->status))
		return 128 + WTERMSIG(st->status);
	return EXIT_FAIL;
}

static int resolve_user(const char *user, struct child_args *a)
{
	struct passwd *pw = getpwnam(user);
	char *end;
	if (!pw) {
		errno = 0;
		unsigned long uid = strtoul(user, &end, 10);
		if (!errno && *user && !*end && uid < UINT32_MAX)
			pw = getpwuid((uid_t)uid);
		if (!pw) {
			say("unknown user '%s'", user);
			return EXIT_FAIL;
		}
	}
	a->as_user = true;
	a->uid = pw->pw_uid;
	a->gid = pw->pw_gid;
	int n = 64;
	for (;;) {
		gid_t *g = reallocarray(a->groups, (size_t)n, sizeof(gid_t));
		if (!g)
			return EXIT_FAIL;
		a->groups = g;
		int want = n;
		if (getgrouplist(pw->pw_name, pw->pw_gid, a->groups, &want) >= 0) {
			a->ngroups = want;
			return 0;
		}
		if (want <= n)
			return say("cannot list the groups of '%s'", user), EXIT_FAIL;
		n = want;
	}
}

static bool is_listener(int fd)
{
	char p[64], link[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = 0;
	return strcmp(link, "anon_inode:seccomp notify") == 0;
}

static int make_sandbox_id(char id[SB_SANDBOX_ID_LEN + 1])
{
	uint8_t raw[SB_SANDBOX_ID_LEN / 2];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -errno;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* --- the registry of running sandboxes, for `sysbroker reload --sandbox` -------------------- */

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
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = 0;
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
static void registry_add(const char *id, char *path, size_t size)
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

int sb_cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct child_args a = { .pipe_w = -1, .ctrl = -1 };
	struct run_state st = { .ttyfd = -1 };
	struct sb_policy *policy = NULL, eff;
	_cleanup_free_ struct sb_sysrule *eff_rules = NULL;
	struct sb_policy_error err;
	struct sb_broker *b = NULL;
	char prog[PATH_MAX], canon[PATH_MAX];
	int ret = EXIT_FAIL, r;
	int sv[2] = { -1, -1 }, pfd[2] = { -1, -1 }, log_fd = -1, pidfd = -1, sfd = -1, tfd = -1;
	char **envp = NULL, *ldvar = NULL;
	size_t nenv = 0;
	_cleanup_free_ char *preload = NULL;
	sigset_t mask, oldmask;
	rlim_t nofile_soft = 1024;
	struct loop_ctx lc = { .st = &st, .self = getpid(), .log_fd = -1 };
	_cleanup_free_ char *policy_abs = NULL;
	char sandbox[SB_SANDBOX_ID_LEN + 1], sbvar[64], registry[PATH_MAX] = "";

	r = parse_args(argc, argv, &o);
	if (r >= 0) {
		free(o.env);
		return r;
	}
	if (o.user && geteuid() != 0) {
		say("--user needs root");
		goto out;
	}
	if (o.user && resolve_user(o.user, &a) != 0)
		goto out;

	r = sb_policy_load_file(o.policy, &policy, &err);
	if (r < 0) {
		if (err.line)
			fprintf(stderr, "%s:%u:%u: error: %s\n", err.file, err.line, err.column,
				err.message);
		else
			fprintf(stderr, "%s: error: %s\n", err.file, err.message);
		goto out;
	}

	policy->learn = o.learn;
	policy_abs = realpath(o.policy, NULL);
	if (!policy_abs || make_sandbox_id(sandbox) < 0) {
		say("%s: %s", o.policy, strerror(errno));
		goto out;
	}
	snprintf(sbvar, sizeof(sbvar), "SYSBROKER_SANDBOX=%s", sandbox);

	/* The program's environment: PATH decides where PROG is found, as with env(1). */
	if (!o.clearenv)
		for (char **e = environ; *e; e++)
			if (strchr(*e, '=') && env_set(&envp, &nenv, *e) < 0)
				goto oom;
	for (size_t i = 0; i < o.nenv; i++)
		if (env_set(&envp, &nenv, o.env[i]) < 0)
			goto oom;
	if (env_set(&envp, &nenv, sbvar) < 0)
		goto oom;
	ret = find_program(o.argv[0], env_get(envp, nenv, "PATH"), prog, sizeof(prog));
	if (ret != 0)
		goto out;
	ret = EXIT_FAIL;
	if (!realpath(prog, canon)) {
		say("%s: %s", prog, strerror(errno));
		ret = EXIT_NOT_FOUND;
		goto out;
	}
	struct sb_decision d;
	if ((sb_policy_eval_path(policy, canon, SB_PERM_EXEC, &d) < 0 || d.verdict != SB_ALLOW) &&
	    !(o.learn && sb_decision_learnable(&d))) {
		char rule[PATH_MAX + 32];
		say("%s: the policy does not allow exec (%s)", canon,
		    sb_decision_rule(&d, rule, sizeof(rule)));
		ret = EXIT_CANNOT_EXEC;
		goto out;
	}

	preload = preload_path();
	if (!preload) {
		say("cannot find the runtime %s (set SYSBROKER_PRELOAD)", PRELOAD_NAME);
		goto out;
	}
	if (allow_runtime(policy, preload) < 0) {
		say("the runtime's path %s cannot be granted", preload);
		goto out;
	}

	if (o.log) {
		log_fd = strcmp(o.log, "-") == 0
				 ? fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)
				 : open(o.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			say("cannot open the log %s: %s", o.log, strerror(errno));
			goto out;
		}
	}

	size_t nlauncher = 0;
	r = effective_policy(policy, getpid(), &eff, &eff_rules, &nlauncher);
	if (r == 0)
		r = base_filter(&eff, nlauncher, &a.main, &a.guard, &a.launcher);
	if (r < 0) {
		say("cannot build the seccomp filter: %s", strerror(-r));
		goto out;
	}

	/* The control socket: its sandboxee end survives exec, at a number out of the way. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(pfd, O_CLOEXEC) < 0) {
		say("cannot make sockets: %s", strerror(errno));
		goto out;
	}
	a.ctrl = fcntl(sv[1], F_DUPFD, CTRL_FD_MIN);
	char fdvar[64];
	if (a.ctrl >= 0) {
		struct stat sst;
		if (fstat(a.ctrl, &sst) < 0) {
			say("fstat: %s", strerror(errno));
			goto out;
		}
		snprintf(fdvar, sizeof(fdvar), "SYSBROKER_FD=%d:%llu", a.ctrl,
			 (unsigned long long)sst.st_ino);
		const char *old = env_get(envp, nenv, "LD_PRELOAD");
		if (asprintf(&ldvar, "LD_PRELOAD=%s%s%s", preload, old && *old ? ":" : "",
			     old ? old : "") < 0 ||
		    env_set(&envp, &nenv, fdvar) < 0 || env_set(&envp, &nenv, ldvar) < 0)
			goto oom;
	}
	/* Without a control fd (RLIMIT_NOFILE too low) every call goes over notify. */
	safe_close(sv[1]);

	r = sb_broker_new(&eff, log_fd, &b);
	if (r < 0)
		goto oom;
	sb_audit_log_set_sandbox(sb_broker_log(b), sandbox);

	/*
	 * The broker's own resources: every fd it may need (a channel per sandboxed thread) up to
	 * the hard limit, /proc opened now so that killing the tree never needs a new fd for the
	 * directory, and the terminal's stop signals ignored (the sandbox shares the terminal and
	 * could hand its foreground to the broker's group, then stop it with ^Z).
	 */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		nofile_soft = rl.rlim_cur;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		struct rlimit raised = { rl.rlim_max, rl.rlim_max };
		setrlimit(RLIMIT_NOFILE, &raised);
	}
	proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0) {
		say("cannot open /proc: %s", strerror(errno));
		goto out;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		say("cannot become a subreaper: %s", strerror(errno));
		goto out;
	}
	sigemptyset(&mask);
	for (const int *s = (const int[]){ SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH,
					   SIGUSR1, SIGUSR2, 0 };
	     *s; s++)
		sigaddset(&mask, *s);
	/* Reload: the broker's own signal, never forwarded (SIGHUP belongs to the program). */
	lc.reload_sig = SB_RELOAD_SIGNAL;
	sigaddset(&mask, lc.reload_sig);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);

	a.o = &o;
	a.prog = prog;
	a.envp = envp ? envp : (char *[]){ NULL };
	a.pipe_w = pfd[1];
	fflush(NULL);
	st.child = fork();
	if (st.child < 0) {
		say("fork: %s", strerror(errno));
		goto out_mask;
	}
	if (st.child == 0) {
		/* The program gets sysbroker's own soft limit on fds, not the raised one. */
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == rl.rlim_max)
			setrlimit(RLIMIT_NOFILE, &(struct rlimit){ nofile_soft, rl.rlim_max });
		child_main(&a);
	}
	signal(SIGTSTP, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	setpgid(st.child, st.child);
	safe_close(pfd[1]);
	a.pipe_w = -1;
	safe_close(a.ctrl);

	/* The terminal follows the program, as a shell would hand it over. */
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp()) {
		signal(SIGTTOU, SIG_IGN);
		if (tcsetpgrp(STDIN_FILENO, st.child) == 0)
			st.tty = true;
	}

	/* The child's report: "L<fd>" once the filter is about to load, or "E<reason>". */
	char buf[600];
	size_t got = 0;
	for (;;) {
		ssize_t k = read(pfd[0], buf + got, sizeof(buf) - 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
		if (got >= sizeof(buf) - 1)
			break;
	}
	buf[got] = 0;
	int listener_no = -1;
	if (got > 1 && buf[0] == 'L')
		listener_no = atoi(buf + 1);
	const char *tail = got > 0 ? buf + strlen(buf) + 1 : buf;
	if (tail < buf + got && tail[0] == 'E') {
		say("%s", tail + 1);
		goto kill_child;
	}
	if (got > 0 && buf[0] == 'E') {
		say("%s", buf + 1);
		goto kill_child;
	}
	pidfd = (int)syscall(SYS_pidfd_open, st.child, 0);
	int listener = listener_no >= 0 && pidfd >= 0
			       ? (int)syscall(SYS_pidfd_getfd, pidfd, listener_no, 0)
			       : -1;
	if (listener < 0 || !is_listener(listener)) {
		say("cannot take over the sandbox's seccomp listener: %s",
		    listener < 0 ? strerror(errno) : "not a listener");
		safe_close(listener);
		goto kill_child;
	}
	fcntl(listener, F_SETFD, FD_CLOEXEC);
	r = sb_broker_add_notify(b, listener);
	if (r == 0) {
		r = sb_broker_add_control(b, sv[0]);
		sv[0] = -1;
	}
	lc.policy_path = policy_abs;
	lc.preload = preload;
	lc.learn = o.learn;
	lc.kernel = &eff;
	lc.log_fd = log_fd;
	registry_add(sandbox, registry, sizeof(registry));
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (r == 0 && sfd >= 0) {
		r = sb_broker_add_fd(b, sfd, on_signal, &lc);
		sfd = -1;
	} else if (r == 0) {
		r = -errno;
	}
	if (r == 0 && o.timeout > 0) {
		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		time_t secs = (time_t)o.timeout;
		struct itimerspec its = {
			.it_value = { .tv_sec = secs,
				      .tv_nsec = (long)((o.timeout - (double)secs) * 1e9) }
		};
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
		if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0)
			r = -errno;
		else
			r = sb_broker_add_fd(b, tfd, on_timeout, &lc);
		tfd = -1;
	}
	if (r < 0) {
		say("cannot start the broker: %s", strerror(-r));
		goto kill_child;
	}
	r = drop_broker_privileges(&a, &eff);
	if (r < 0) {
		say("cannot drop the broker's privileges: %s", strerror(-r));
		goto kill_child;
	}

	/* Children that exited before the signalfd existed. */
	reap(b, &lc);
	r = sb_broker_run(b);
	sb_audit_flush(sb_broker_log(b));
	if (r < 0) {
		say("broker failed: %s", strerror(-r));
		goto kill_child;
	}
	/* The loop ends when the tree is gone; reap whatever it could not wait for. */
	kill_tree(lc.self);
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
	ret = exit_status(&st);
	goto out_tty;

kill_child:
	kill_tree(getpid());
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
	ret = EXIT_FAIL;
out_tty:
	if (st.tty)
		tcsetpgrp(STDIN_FILENO, getpgrp());
out_mask:
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	goto out;
oom:
	say("out of memory");
	ret = EXIT_FAIL;
out:
	sb_broker_free(b);
	if (registry[0]) {
		/*
		 * With --user the broker's file identity is the user's, who cannot remove an entry
		 * from root's registry: take back our own (the euid is still ours, so no
		 * capability is needed for that).
		 */
		if (a.as_user)
			setfsuid(geteuid());
		unlink(registry);
	}
	loaded_free(&lc);
	safe_close(sv[0]);
	safe_close(sv[1]);
	safe_close(pfd[0]);
	safe_close(pfd[1]);
	safe_close(log_fd);
	safe_close(pidfd);
	safe_close(sfd);
	safe_close(tfd);
	proc_fd = safe_close(proc_fd);
	if (a.main)
		seccomp_release(a.main);
	if (a.guard)
		seccomp_release(a.guard);
	if (a.launcher)
		seccomp_release(a.launcher);
	free(a.groups);
	free(envp);
	free(ldvar);
	free(o.env);
	sb_policy_free(policy);
	return ret;
}

/* --- sysbroker reload ------------------------------------------------------------------------ */

static void reload_usage(FILE *f)
{
	fputs("Usage: sysbroker reload (--pid PID | --sandbox ID)\n"
	      "\n"
	      "Make the broker of a running 'sysbroker run' read its policy files again.\n"
	      "\n"
	      "  -p, --pid PID         the broker's pid (the 'sysbroker run' process)\n"
	      "  -s, --sandbox ID      the sandbox id of its audit records (SYSBROKER_SANDBOX)\n"
	      "  -h, --help            show this help and exit\n"
	      "\n"
	      "The outcome is in the audit log: a \"reload\" or a \"reload-error\" record.\n"
	      "Exit status: 0 the broker was asked; 1 no such broker; 2 bad command line.\n",
	      f);
}

/* Whether pid is a sysbroker process (its comm), started at start (0: any). */
static bool is_broker(pid_t pid, unsigned long long start)
{
	char path[64], comm[32];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, comm, sizeof(comm) - 1);
	if (n <= 0)
		return false;
	comm[n] = 0;
	comm[strcspn(comm, "\n")] = 0;
	if (strcmp(comm, "sysbroker") != 0)
		return false;
	return start == 0 || sb_process_start_time(pid) == start;
}

int sb_cmd_reload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "sandbox", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pid_s = NULL, *id = NULL;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pid_s = optarg;
			break;
		case 's':
			id = optarg;
			break;
		case 'h':
			reload_usage(stdout);
			return 0;
		default:
			fprintf(stderr,
				"sysbroker reload: %s '%s'\nTry 'sysbroker reload --help'.\n",
				c == ':' ? "option needs an argument:" : "unknown option",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc || !pid_s == !id) {
		fprintf(stderr, "sysbroker reload: give exactly one of --pid and --sandbox\n"
				"Try 'sysbroker reload --help'.\n");
		return 2;
	}
	pid_t pid = 0;
	unsigned long long start = 0;
	if (pid_s) {
		char *end;
		errno = 0;
		long v = strtol(pid_s, &end, 10);
		if (errno || end == pid_s || *end || v <= 0 || v > INT32_MAX) {
			fprintf(stderr, "sysbroker reload: not a pid: '%s'\n", pid_s);
			return 2;
		}
		pid = (pid_t)v;
	} else {
		char dir[PATH_MAX], path[PATH_MAX + 32], line[64];
		bool hex = strlen(id) == SB_SANDBOX_ID_LEN;
		for (const char *k = id; hex && *k; k++)
			hex = (*k >= '0' && *k <= '9') || (*k >= 'a' && *k <= 'f');
		if (!hex) {
			fprintf(stderr,
				"sysbroker reload: not a sandbox id: '%s' (16 hex digits)\n", id);
			return 2;
		}
		int r = sb_registry_dir(dir, sizeof(dir), false);
		snprintf(path, sizeof(path), "%s/%s", dir, id);
		_cleanup_close_ int fd = r < 0 ? -1 : open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, line, sizeof(line) - 1) : -1;
		int p = 0;
		if (n > 0) {
			line[n] = 0;
			if (sscanf(line, "%d %llu", &p, &start) != 2)
				p = 0;
		}
		if (p <= 0 || start == 0) {
			fprintf(stderr, "sysbroker reload: no sandbox %s\n", id);
			return 1;
		}
		pid = p;
	}
	if (!is_broker(pid, start)) {
		fprintf(stderr, "sysbroker reload: %d is not a running sysbroker%s\n", (int)pid,
			id ? " (the sandbox has ended)" : "");
		return 1;
	}
	if (kill(pid, SB_RELOAD_SIGNAL) < 0) {
		fprintf(stderr, "sysbroker reload: %d: %s\n", (int)pid, strerror(errno));
		return 1;
	}
	return 0;
}
