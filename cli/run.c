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
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit.h"
#include "caps.h"
#include "cli.h"
#include "filters.h"
#include "kaudit.h"
#include "kgrants.h"
#include "launch.h"
#include "loop.h"
#include "macro.h"
#include "program.h"
#include "protocol.h"
#include "registry.h"
#include "run.h"
#include "supervise.h"

static void usage(FILE *f)
{
	fputs("Usage: sysbroker run -p POLICY [OPTIONS] [--] PROG [ARGS...]\n"
	      "\n"
	      "Run PROG under the policy, with every brokered call decided by this process.\n"
	      "\n"
	      "  -p, --policy FILE     the policy (sysbroker.policy(5)); required\n"
	      "  -l, --log FILE|-      append audit records (JSON Lines) to FILE, or stderr for -\n"
	      "  -u, --user USER       run PROG as USER (name or uid; needs root's capabilities)\n"
	      "  -C, --cwd DIR         start PROG in DIR\n"
	      "  -e, --env KEY=VAL     set a variable in PROG's environment (repeatable)\n"
	      "  -i, --clearenv        start PROG with an empty environment (before --env)\n"
	      "  -t, --timeout SECS    kill the whole sandboxed tree after SECS seconds\n"
	      "  -L, --learn           learn mode: let what the policy would deny run, and log it\n"
	      "                        as \"would-deny\" (the built-in dangerous set stays "
	      "denied);\n"
	      "                        needs --log\n"
	      "  -F, --log-failure stop|continue\n"
	      "                        when a record cannot be written: kill the sandbox (stop,\n"
	      "                        the default unless the policy says) or count and go on\n"
	      "  -R, --limit RES=VALUE set a resource limit of PROG (repeatable; e.g. nofile=256,\n"
	      "                        as=2G, cpu=60s, nproc=64, SOFT:HARD); it wins over the\n"
	      "                        policy's 'limit' for that resource\n"
	      "  -h, --help            show this help and exit\n"
	      "\n"
	      "The audit log's records carry a sandbox id (also in PROG's environment as\n"
	      "SYSBROKER_SANDBOX); 'sysbroker reload --sandbox ID' or '--pid PID' makes this\n"
	      "process read the policy again. SIGHUP is forwarded to PROG.\n"
	      "\n"
	      "Exit status: PROG's; 128+N if it was killed by signal N; 124 on --timeout;\n"
	      "125 if sysbroker failed (bad command line or policy, cannot set up) or audit\n"
	      "records could not be written;\n"
	      "126 if PROG cannot be executed or the policy does not allow it; 127 if PROG\n"
	      "was not found. See sysbroker(1).\n",
	      f);
}

void say(const char *fmt, ...)
{
	va_list ap;
	fputs("sysbroker run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --limit RES=VALUE */
static int parse_limit_opt(const char *arg, struct sb_rlimit *limits)
{
	char why[256], res[32];
	bool bad_value;
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(res)) {
		say("--limit wants RESOURCE=VALUE (e.g. nofile=256), not '%s'", arg);
		return -EINVAL;
	}
	snprintf(res, sizeof(res), "%.*s", (int)(eq - arg), arg);
	if (sb_rlimit_parse(res, eq + 1, limits, why, sizeof(why), &bad_value) < 0) {
		say("--limit: %s", why);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	struct cli_opts opts;
	int c, npolicy = 0;

	*o = (struct run_opts){ .timeout = 0 };
	o->env = calloc((size_t)argc + 1, sizeof(char *));
	if (!o->env)
		return EXIT_FAIL;
	cli_opts_init(&opts, "run",
		      (const char *const[]){ "policy", "log", "user", "cwd", "env", "clearenv",
					     "timeout", "learn", "log-failure", "limit", "help",
					     NULL });
	while ((c = cli_opts_next(&opts, argc, argv)) != -1) {
		switch (c) {
		case 'p':
			/* Two would read as layers, which a run does not make: say so. */
			if (npolicy++) {
				say("-p given twice: a run takes one policy file (one may include "
				    "the other)\nTry 'sysbroker run --help'.");
				return EXIT_FAIL;
			}
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
		case 'F':
			if (strcmp(optarg, "stop") == 0)
				o->log_failure = SB_LOG_FAILURE_STOP;
			else if (strcmp(optarg, "continue") == 0)
				o->log_failure = SB_LOG_FAILURE_CONTINUE;
			else {
				say("--log-failure wants 'stop' or 'continue', not '%s'", optarg);
				return EXIT_FAIL;
			}
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
		case 'R':
			if (parse_limit_opt(optarg, o->limits) < 0)
				return EXIT_FAIL;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
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
	/* Learn mode's only output is the log: without one it would run the program and learn
	 * nothing. */
	if (o->learn && !o->log) {
		say("--learn needs --log FILE: the log is what learn mode writes\nTry 'sysbroker "
		    "run --help'.");
		return EXIT_FAIL;
	}
	o->argv = argv + optind;
	return -1;
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

static int make_sandbox_id(char id[SB_SANDBOX_ID_LEN + 1])
{
	uint8_t raw[SB_SANDBOX_ID_LEN / 2];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -errno;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* What `sysbroker run` holds from the command line to the exit. */
struct run {
	struct run_opts o;
	struct child_args a;
	struct run_state st;
	struct loop_ctx lc;
	struct sb_policy *policy;
	struct sb_policy eff; /* what the filters and the broker start from: filters.c */
	struct sb_sysrule *eff_rules;
	size_t nlauncher;
	struct sb_broker *b;
	char **envp; /* PROG's environment, of nenv entries */
	size_t nenv;
	char *ldvar, *preload, *policy_abs;
	int sv[2];  /* the control socket: the broker's end, the sandboxee's */
	int pfd[2]; /* the child's status pipe */
	int log_fd, pidfd;
	sigset_t mask, oldmask;
	rlim_t nofile_soft; /* sysbroker's own soft limit on fds, which PROG gets back */
	char prog[PATH_MAX], canon[PATH_MAX];
	char sandbox[SB_SANDBOX_ID_LEN + 1], sbvar[64], fdvar[64], registry[PATH_MAX];
	struct kgrants kg;        /* kernel grants (kgrants.h) */
	struct sb_kaudit *kaudit; /* the kernel's own denial records (kaudit.h), or NULL */
	int kaudit_err;           /* why there is none: -errno of sb_kaudit_open */
};

static int oom(void)
{
	say("out of memory");
	return EXIT_FAIL;
}

static int check_user(struct run *r)
{
	if (r->o.user && resolve_user(r->o.user, &r->a) != 0)
		return EXIT_FAIL;
	return 0;
}

/* What the options and the policy need that this process's capabilities do not give. */
static int check_caps(struct run *r)
{
	/* The kernel never counts root's processes against RLIMIT_NPROC: a limit that is not one.
	 */
	if (r->o.limits[RLIMIT_NPROC].set && (r->a.as_user ? r->a.uid : getuid()) == 0) {
		say("limit nproc does not bind a program that runs as root (the kernel exempts "
		    "uid 0); run it with --user");
		return EXIT_FAIL;
	}
	const char *why = caps_refusal(r->a.as_user, r->policy);
	if (why) {
		say("%s", why);
		return EXIT_FAIL;
	}
	return 0;
}

static int load_policy(struct run *r)
{
	struct sb_policy_error err;
	char msg[CLI_POLICY_ERROR_MAX];

	if (sb_policy_load_file(r->o.policy, &r->policy, &err) < 0) {
		cli_policy_error(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return EXIT_FAIL;
	}
	r->policy->learn = r->o.learn;
	for (size_t i = 0; i < SB_RLIMIT_COUNT; i++)
		if (!r->o.limits[i].set)
			r->o.limits[i] = r->policy->rlimits[i];
	r->policy_abs = realpath(r->o.policy, NULL);
	if (!r->policy_abs || make_sandbox_id(r->sandbox) < 0) {
		say("%s: %s", r->o.policy, strerror(errno));
		return EXIT_FAIL;
	}
	snprintf(r->sbvar, sizeof(r->sbvar), "SYSBROKER_SANDBOX=%s", r->sandbox);
	return 0;
}

/* The program's environment: PATH decides where PROG is found, as with env(1). */
static int build_env(struct run *r)
{
	if (!r->o.clearenv)
		for (char **e = environ; *e; e++)
			if (strchr(*e, '=') && env_set(&r->envp, &r->nenv, *e) < 0)
				return oom();
	for (size_t i = 0; i < r->o.nenv; i++)
		if (env_set(&r->envp, &r->nenv, r->o.env[i]) < 0)
			return oom();
	if (env_set(&r->envp, &r->nenv, r->sbvar) < 0)
		return oom();
	return 0;
}

/* PROG found, and allowed to be executed by the policy. */
static int check_program(struct run *r)
{
	struct sb_decision d;
	int ret = find_program(r->o.argv[0], env_get(r->envp, r->nenv, "PATH"), r->prog,
			       sizeof(r->prog));
	if (ret != 0)
		return ret;
	if (!realpath(r->prog, r->canon)) {
		say("%s: %s", r->prog, strerror(errno));
		return EXIT_NOT_FOUND;
	}
	if ((sb_policy_eval_path(r->policy, r->canon, SB_PERM_EXEC, &d) < 0 ||
	     d.verdict != SB_ALLOW) &&
	    !(r->o.learn && sb_decision_learnable(&d))) {
		char rule[PATH_MAX + 32];
		say("%s: the policy does not allow exec (%s)", r->canon,
		    sb_decision_rule(&d, rule, sizeof(rule)));
		return EXIT_CANNOT_EXEC;
	}
	return 0;
}

static int find_runtime(struct run *r)
{
	r->preload = preload_path();
	if (!r->preload) {
		say("cannot find the runtime %s (set SYSBROKER_PRELOAD)", PRELOAD_NAME);
		return EXIT_FAIL;
	}
	if (allow_runtime(r->policy, r->preload) < 0) {
		say("the runtime's path %s cannot be granted", r->preload);
		return EXIT_FAIL;
	}
	return 0;
}

static int open_log(struct run *r)
{
	if (!r->o.log)
		return 0;
	r->log_fd = strcmp(r->o.log, "-") == 0
			    ? fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)
			    : open(r->o.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (r->log_fd < 0) {
		say("cannot open the log %s: %s", r->o.log, strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}

static int build_filters(struct run *r)
{
	int e = effective_policy(r->policy, getpid(), &r->eff, &r->eff_rules, &r->nlauncher);
	if (e == 0)
		e = base_filter(&r->eff, r->nlauncher, &r->a.main, &r->a.guard, &r->a.launcher);
	if (e == 0)
		e = kg_prepare(&r->kg, r->policy, &r->a.main);
	if (e == 0 && r->kg.envvar && env_set(&r->envp, &r->nenv, r->kg.envvar) < 0)
		e = -ENOMEM;
	r->a.kg = &r->kg;
	if (e < 0) {
		say("cannot build the seccomp filter: %s", strerror(-e));
		return EXIT_FAIL;
	}
	return 0;
}

/* The control socket: its sandboxee end survives exec, at a number out of the way. */
static int make_control(struct run *r)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->sv) < 0 ||
	    pipe2(r->pfd, O_CLOEXEC) < 0) {
		say("cannot make sockets: %s", strerror(errno));
		return EXIT_FAIL;
	}
	r->a.ctrl = fcntl(r->sv[1], F_DUPFD, CTRL_FD_MIN);
	if (r->a.ctrl >= 0) {
		struct stat sst;
		char *ldvar;
		if (fstat(r->a.ctrl, &sst) < 0) {
			say("fstat: %s", strerror(errno));
			return EXIT_FAIL;
		}
		snprintf(r->fdvar, sizeof(r->fdvar), "SYSBROKER_FD=%d:%llu", r->a.ctrl,
			 (unsigned long long)sst.st_ino);
		const char *old = env_get(r->envp, r->nenv, "LD_PRELOAD");
		if (asprintf(&ldvar, "LD_PRELOAD=%s%s%s", r->preload, old && *old ? ":" : "",
			     old ? old : "") < 0)
			return oom();
		r->ldvar = ldvar;
		if (env_set(&r->envp, &r->nenv, r->fdvar) < 0 ||
		    env_set(&r->envp, &r->nenv, r->ldvar) < 0)
			return oom();
	}
	/* Without a control fd (RLIMIT_NOFILE too low) every call goes over notify. */
	r->sv[1] = safe_close(r->sv[1]);
	return 0;
}

/*
 * The broker's own resources: every fd it may need (a channel per sandboxed thread) up to the
 * hard limit, /proc opened now so that killing the tree never needs a new fd for the
 * directory, and the signals it handles (blocked, for the signalfd).
 */
static int broker_resources(struct run *r)
{
	struct rlimit rl;

	if (sb_broker_new(&r->eff, r->log_fd, &r->b) < 0)
		return oom();
	sb_audit_log_set_sandbox(sb_broker_log(r->b), r->sandbox);
	/* The command line, then the policy; a log that cannot be written stops the sandbox. */
	r->lc.log_failure = r->o.log_failure         ? r->o.log_failure
			    : r->policy->log_failure ? r->policy->log_failure
						     : SB_LOG_FAILURE_STOP;
	r->lc.log_name = r->o.log;
	sb_audit_log_on_fail(sb_broker_log(r->b), on_log_failure, &r->lc);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		r->nofile_soft = rl.rlim_cur;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		struct rlimit raised = { rl.rlim_max, rl.rlim_max };
		setrlimit(RLIMIT_NOFILE, &raised);
	}
	r->lc.proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->lc.proc_fd < 0) {
		say("cannot open /proc: %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		say("cannot become a subreaper: %s", strerror(errno));
		return EXIT_FAIL;
	}
	sigemptyset(&r->mask);
	for (const int *s = (const int[]){ SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH,
					   SIGUSR1, SIGUSR2, 0 };
	     *s; s++)
		sigaddset(&r->mask, *s);
	/* Reload: the broker's own signal, never forwarded (SIGHUP belongs to the program). */
	r->lc.reload_sig = SB_RELOAD_SIGNAL;
	sigaddset(&r->mask, r->lc.reload_sig);
	return 0;
}

/*
 * Fork the program's first process (launch.c), then, in the broker: the terminal's stop signals
 * ignored (the sandbox shares the terminal and could hand its foreground to the broker's group,
 * then stop it with ^Z), and the terminal handed to the program's group.
 */
static int spawn(struct run *r)
{
	static char *no_env[] = { NULL };
	struct rlimit rl;

	r->a.o = &r->o;
	r->a.prog = r->prog;
	r->a.envp = r->envp ? r->envp : no_env;
	r->a.pipe_w = r->pfd[1];
	/* Before the program can make a call the kernel refuses: its records are read from then. */
	if (r->kg.prepared)
		r->kaudit_err = sb_kaudit_open(sb_broker_log(r->b), &r->kaudit);
	fflush(NULL);
	r->st.child = fork();
	if (r->st.child < 0) {
		say("fork: %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (r->st.child == 0) {
		/* The program gets sysbroker's own soft limit on fds, not the raised one. */
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == rl.rlim_max)
			setrlimit(RLIMIT_NOFILE, &(struct rlimit){ r->nofile_soft, rl.rlim_max });
		child_main(&r->a);
	}
	signal(SIGTSTP, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	/* The program may hand the terminal's foreground to our group and set O_ASYNC on it: the
	 * terminal's SIGIO then comes here, and its default action would end the broker. */
	signal(SIGIO, SIG_IGN);
	/* A log pipe whose reader left, or a log past RLIMIT_FSIZE: a write error the log counts
	 * (log-failure), never a signal that ends the broker without a word. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	setpgid(r->st.child, r->st.child);
	r->pfd[1] = safe_close(r->pfd[1]);
	r->a.pipe_w = -1;
	r->a.ctrl = safe_close(r->a.ctrl);

	/* The terminal follows the program, as a shell would hand it over. */
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp()) {
		signal(SIGTTOU, SIG_IGN);
		if (tcsetpgrp(STDIN_FILENO, r->st.child) == 0)
			r->st.tty = true;
	}
	return 0;
}

/* --timeout: the timerfd that kills the tree. Returns 0 or -errno. */
static int start_timer(struct run *r)
{
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	time_t secs = (time_t)r->o.timeout;
	struct itimerspec its = { .it_value = { .tv_sec = secs,
						.tv_nsec = (long)((r->o.timeout - (double)secs) *
								  1e9) } };
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;
	if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0) {
		int e = -errno;
		safe_close(tfd);
		return e;
	}
	return sb_broker_add_fd(r->b, tfd, on_timeout, &r->lc);
}

/* The broker's event sources: the listener, the control socket, signals, the timer. */
static int start_broker(struct run *r, int listener)
{
	int e = sb_broker_add_notify(r->b, listener);
	if (e == 0) {
		e = sb_broker_add_control(r->b, r->sv[0]);
		r->sv[0] = -1;
	}
	r->lc.policy_path = r->policy_abs;
	r->lc.preload = r->preload;
	r->lc.learn = r->o.learn;
	r->lc.kernel = &r->eff;
	r->lc.log_fd = r->log_fd;
	registry_add(r->sandbox, r->registry, sizeof(r->registry));
	registry_reload_listen(&r->lc.answer); /* best effort: `reload` then cannot wait */
	int sfd = signalfd(-1, &r->mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (e == 0 && sfd >= 0)
		e = sb_broker_add_fd(r->b, sfd, on_signal, &r->lc);
	else if (e == 0)
		e = -errno;
	else
		safe_close(sfd);
	if (e == 0 && r->o.timeout > 0)
		e = start_timer(r);
	if (e < 0) {
		say("cannot start the broker: %s", strerror(-e));
		return e;
	}
	return 0;
}

static void on_kaudit(struct sb_broker *b, int fd, uint32_t events, void *data)
{
	sb_kaudit_read(data);
}

/*
 * Under kernel grants, the kernel's records of what Landlock refused (kaudit.h): read from now on
 * if it writes them. Appends to line whether they are. Returns 0 or -errno (out of memory).
 */
static int kernel_records(struct run *r, char *line, size_t size)
{
	const char *how = "recorded from the kernel's audit log";
	int e = 0;
	if (!r->kaudit)
		how = r->kaudit_err == -ENOTCONN ? "not recorded, the system's audit is off"
						 : "not recorded, the audit log cannot be read";
	else
		e = sb_kaudit_watch(r->kaudit, r->st.child);
	if (r->kaudit && e == 0)
		e = sb_broker_add_fd(r->b, sb_kaudit_fd(r->kaudit), on_kaudit, r->kaudit);
	size_t n = strlen(line);
	snprintf(line + n, size - n, "; what the kernel refuses without the broker: %s", how);
	return e;
}

/* Serve the program until its tree is gone. Returns the exit status. */
static int serve(struct run *r)
{
	int listener = take_listener(r->pfd[0], r->st.child, &r->pidfd, &r->kg.applied);
	int e = listener < 0 ? -1 : start_broker(r, listener);
	if (e == 0) {
		/*
		 * One line either way: whether the kernel decides the static grants, and whether
		 * what it refuses alone has records.
		 */
		char line[PATH_MAX + 320];
		bool on = kg_on(&r->kg, line, sizeof(line));
		sb_broker_set_kgrants(r->b, on);
		r->lc.kplan = on ? &r->kg.plan : NULL;
		if (on)
			e = kernel_records(r, line, sizeof(line));
		sb_audit_note(sb_broker_log(r->b), "kernel-grants", "kernel", line);
	}
	if (e == 0) {
		e = drop_broker_privileges(&r->a, &r->eff);
		if (e < 0)
			say("cannot drop the broker's privileges: %s", strerror(-e));
	}
	if (e == 0) {
		/* Children that exited before the signalfd existed. */
		reap(r->b, &r->lc);
		e = sb_broker_run(r->b);
		if (r->kaudit && r->lc.kplan)
			sb_kaudit_drain(r->kaudit, 50);
		sb_audit_flush(sb_broker_log(r->b));
		if (e < 0)
			say("broker failed: %s", strerror(-e));
	}
	/* The loop ends when the tree is gone; reap whatever it could not wait for. */
	kill_tree(&r->lc);
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
	int err = 0;
	unsigned long lost = sb_audit_log_lost(sb_broker_log(r->b), &err);
	if (e == 0 && lost) {
		/* The log is incomplete: never the program's status alone (sysbroker(1)). */
		char why[64] = "the sandbox was stopped";
		if (!r->st.log_stopped)
			snprintf(why, sizeof(why), "the program's status was %d",
				 exit_status(&r->st));
		say("%lu audit record%s could not be written to %s (%s); %s", lost,
		    lost == 1 ? "" : "s", r->o.log, strerror(err), why);
		return EXIT_FAIL;
	}
	return e < 0 ? EXIT_FAIL : exit_status(&r->st);
}

/*
 * The handled signals stay blocked to the end: one that arrives after the loop (a reload while the
 * program exits, a ^C) is left pending and dropped at exit, never taking its default action
 * (which would end sysbroker with that signal instead of the program's status).
 */
static int run_sandbox(struct run *r)
{
	sigprocmask(SIG_BLOCK, &r->mask, &r->oldmask);
	int ret = spawn(r);
	if (ret == 0) {
		ret = serve(r);
		if (r->st.tty)
			tcsetpgrp(STDIN_FILENO, getpgrp());
	}
	return ret;
}

static void run_free(struct run *r)
{
	sb_broker_free(r->b);
	if (r->registry[0]) {
		/*
		 * With --user the broker's file identity is the user's, who cannot remove an entry
		 * from root's registry: take back our own (the euid is still ours, so no
		 * capability is needed for that).
		 */
		if (r->a.as_user)
			setfsuid(geteuid());
		unlink(r->registry);
	}
	registry_reload_close(&r->lc.answer);
	loaded_free(&r->lc);
	for (size_t i = 0; i < 2; i++) {
		safe_close(r->sv[i]);
		safe_close(r->pfd[i]);
	}
	safe_close(r->log_fd);
	safe_close(r->pidfd);
	safe_close(r->a.ctrl);
	safe_close(r->lc.proc_fd);
	free(r->a.main.filter);
	if (r->a.guard)
		seccomp_release(r->a.guard);
	if (r->a.launcher)
		seccomp_release(r->a.launcher);
	free(r->a.groups);
	free(r->envp);
	free(r->ldvar);
	free(r->o.env);
	free(r->eff_rules);
	free(r->preload);
	free(r->policy_abs);
	sb_policy_free(r->policy);
	kg_free(&r->kg);
	sb_kaudit_free(r->kaudit);
}

int sb_cmd_run(int argc, char **argv)
{
	static int (*const steps[])(struct run *) = {
		check_user,    load_policy,      check_caps,  build_env,
		check_program, find_runtime,     open_log,    build_filters,
		make_control,  broker_resources, run_sandbox,
	};
	struct run r = {
		.a = { .pipe_w = -1, .ctrl = -1 },
		.st = { .ttyfd = -1 },
		.lc = { .self = getpid(), .proc_fd = -1, .log_fd = -1, .answer = { .fd = -1 } },
		.sv = { -1, -1 },
		.pfd = { -1, -1 },
		.log_fd = -1,
		.pidfd = -1,
		.nofile_soft = 1024,
	};
	r.lc.st = &r.st;

	/*
	 * Reload is the broker's own signal, whose default action would end sysbroker: blocked
	 * from the start (the signalfd takes it once the broker runs), so a reload sent too early
	 * or too late is never fatal.
	 */
	sigset_t reload;
	sigemptyset(&reload);
	sigaddset(&reload, SB_RELOAD_SIGNAL);
	sigprocmask(SIG_BLOCK, &reload, &r.a.mask);
	/* The broker reaps its children: an ignored SIGCHLD (the program keeps it) would not. */
	struct sigaction chld;
	if (sigaction(SIGCHLD, NULL, &chld) == 0 && chld.sa_handler == SIG_IGN) {
		r.a.chld_ign = true;
		signal(SIGCHLD, SIG_DFL);
	}
	int ret = parse_args(argc, argv, &r.o);
	if (ret >= 0) {
		free(r.o.env);
		return ret;
	}
	/* Each step returns 0 to go on, or the exit status; run_sandbox returns the program's. */
	ret = 0;
	for (size_t i = 0; ret == 0 && i < ELEMENTSOF(steps); i++)
		ret = steps[i](&r);
	run_free(&r);
	return ret;
}
