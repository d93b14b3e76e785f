/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Compiler: build the filters of a policy, load them in a forked child under the real kernel,
 * and check the kernel's actual answer. Brokered calls use SECCOMP_RET_TRAP here, with a
 * handler that answers a marker value, so the test needs no broker.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmocka.h>

#include "compile.h"
#include "policy.h"

#define BROKERED_MARK 4000 /* the handler answers -4000: an errno no syscall uses */

static const char policy_text[] =
	"sysbroker-policy 1\n"
	"default syscall deny errno ENOSYS nolog\n"
	"allow @default-runtime\n"
	"deny getppid errno EL2HLT nolog\n"
	"kill getpgrp\n"
	"allow socket if arg0 == AF_UNIX\n"
	"deny socket errno EAFNOSUPPORT nolog\n"
	"deny clone errno EPERM nolog if arg0 & CLONE_NEWUSER|CLONE_NEWNET\n"
	"allow clone\n"
	"allow getsid if arg0 == 1\n"
	"allow getsid if arg1 == 2\n"
	"deny getgid errno EIO\n"      /* logged: the broker decides */
	"allow setpgid if arg0 == 5\n" /* mixed chain below: evaluate */
	"deny setpgid errno EPERM nolog if arg1 == 6\n"
	"deny sethostname nolog\n"  /* dangerous, named: kernel errno */
	"allow getpid at most 3\n"; /* limited: the broker counts */

static struct sb_policy *P;
static struct sb_plan *plan;

static int setup(void **state)
{
	struct sb_policy_error e;
	int r = sb_policy_load_string(policy_text, sizeof(policy_text) - 1, "c.policy", &P, &e);
	if (r < 0) {
		fprintf(stderr, "%s:%u:%u: %s\n", e.file, e.line, e.column, e.message);
		return r;
	}
	return sb_plan_build(P, &plan);
}

static int teardown(void **state)
{
	sb_plan_free(plan);
	sb_policy_free(P);
	return 0;
}

static void on_sigsys(int sig, siginfo_t *info, void *uc_)
{
	ucontext_t *uc = uc_;
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -BROKERED_MARK;
#elif defined(__aarch64__)
	uc->uc_mcontext.regs[0] = (uint64_t)-BROKERED_MARK;
#endif
}

/* In the child: install the filters the way the launcher will (guard, then main). */
static void enter(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	scmp_filter_ctx main_ctx = NULL, guard_ctx = NULL;

	if (sigaction(SIGSYS, &sa, NULL) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(90);
	if (sb_plan_filter(plan, false, SCMP_ACT_TRAP, &main_ctx) < 0 ||
	    sb_plan_filter(plan, true, SCMP_ACT_TRAP, &guard_ctx) < 0)
		_exit(91);
	/* The guard first: it allows everything else, including loading the main filter. */
	int r = guard_ctx ? seccomp_load(guard_ctx) : 0;
	if (r == 0)
		r = seccomp_load(main_ctx);
	if (r < 0) {
		fprintf(stderr, "seccomp_load: %s\n", strerror(-r));
		_exit(92);
	}
	seccomp_release(main_ctx);
	seccomp_release(guard_ctx);
}

/* The raw kernel answer: the return value, or -errno. */
static long raw(long nr, long a0, long a1, long a2)
{
	long r = syscall(nr, a0, a1, a2, 0, 0, 0);
	return r < 0 ? -errno : r;
}

struct probe {
	const char *what;
	long nr, a0, a1, a2;
	long want; /* >= 0: success (any value >= 0 if 0), < 0: -errno or -BROKERED_MARK */
};

static const struct probe probes[] = {
	{ "getppid: kernel errno", SYS_getppid, 0, 0, 0, -EL2HLT },
	{ "socket AF_UNIX: allowed", SYS_socket, AF_UNIX, SOCK_STREAM, 0, 0 },
	{ "socket AF_INET: negated condition", SYS_socket, AF_INET, SOCK_STREAM, 0, -EAFNOSUPPORT },
	{ "clone CLONE_NEWUSER: guard", SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, -EPERM },
	{ "clone CLONE_NEWNET: guard", SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, -EPERM },
	{ "getsid arg0=1: condition", SYS_getsid, 1, 0, 0, 0 },
	{ "getsid arg1=2: condition", SYS_getsid, 0, 2, 0, 0 },
	{ "getsid otherwise: default", SYS_getsid, 0, 0, 0, -ENOSYS },
	{ "getgid: logged deny goes to the broker", SYS_getgid, 0, 0, 0, -BROKERED_MARK },
	{ "setpgid: mixed chain, broker evaluates", SYS_setpgid, 5, 0, 0, -BROKERED_MARK },
	{ "sethostname: named dangerous, kernel errno", SYS_sethostname, 0, 0, 0, -EPERM },
	{ "bpf: built-in, logged", SYS_bpf, 0, 0, 0, -BROKERED_MARK },
	{ "getpid: limited, broker counts", SYS_getpid, 0, 0, 0, -BROKERED_MARK },
	{ "openat: brokered", SYS_openat, AT_FDCWD, (long)"/etc/passwd", O_RDONLY, -BROKERED_MARK },
	{ "connect: brokered", SYS_connect, 0, 0, 0, -BROKERED_MARK },
	{ "sync: default", SYS_sync, 0, 0, 0, -ENOSYS },
	{ "gettid: group", SYS_gettid, 0, 0, 0, 0 },
};

static void test_kernel_answers(void **state)
{
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		enter();
		for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			long r = raw(probes[i].nr, probes[i].a0, probes[i].a1, probes[i].a2);
			if (probes[i].nr == SYS_clone && r == 0)
				_exit(0); /* a clone that should have been refused */
			if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
				_exit(93);
		}
		_exit(0);
	}
	close(pfd[1]);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		long r;
		if (read(pfd[0], &r, sizeof(r)) != sizeof(r))
			fail_msg("child stopped before probe %zu (%s)", i, probes[i].what);
		if (probes[i].want == 0 ? r < 0 : r != probes[i].want)
			fail_msg("%s: kernel answered %ld, want %ld", probes[i].what, r,
				 probes[i].want);
	}
	close(pfd[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int run_killed(long nr)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		enter();
		syscall(nr, 0, 0, 0);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) ? WTERMSIG(status) : -WEXITSTATUS(status);
}

static void test_kill(void **state)
{
	/* `kill getpgrp`: the kernel kills the whole process with SIGSYS. */
	assert_int_equal(run_killed(SYS_getpgrp), SIGSYS);
}

#if defined(__x86_64__)
/* The 32-bit ABI (int 0x80) is not what the policy describes: the process dies. */
static void test_other_abi(void **state)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		enter();
		long r = 20; /* i386 getpid */
		__asm__ volatile("int $0x80" : "+a"(r) : : "memory");
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}
#endif

/* The plan says which way each syscall went; the explain output relies on it. */
static void test_plan_shape(void **state)
{
	static const struct {
		const char *name;
		enum sb_plan_how how;
	} cases[] = {
		{ "getppid", SB_PLAN_SIMPLE },   { "socket", SB_PLAN_SPLIT },
		{ "clone", SB_PLAN_GUARD },      { "getsid", SB_PLAN_COND },
		{ "setpgid", SB_PLAN_EVALUATE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int nr = seccomp_syscall_resolve_name(cases[i].name);
		const struct sb_plan_sys *ps = NULL;
		for (size_t k = 0; k < plan->nsys; k++)
			if (plan->sys[k].nr == nr)
				ps = &plan->sys[k];
		assert_non_null(ps);
		if (ps->how != cases[i].how)
			fail_msg("%s: plan %s, want %s", cases[i].name, sb_plan_how_name(ps->how),
				 sb_plan_how_name(cases[i].how));
	}
	/* Overriding a conditional rule by repeating its condition keeps it in the kernel. */
	static const char over[] = "sysbroker-policy 1\nallow mmap\n"
				   "deny mmap errno EACCES nolog if arg2 & PROT_EXEC\n"
				   "allow mmap if arg2 & PROT_EXEC\n";
	struct sb_policy *p2 = NULL;
	struct sb_plan *plan2 = NULL;
	struct sb_policy_error e;
	assert_int_equal(sb_policy_load_string(over, sizeof(over) - 1, "o", &p2, &e), 0);
	assert_int_equal(sb_plan_build(p2, &plan2), 0);
	for (size_t k = 0; k < plan2->nsys; k++)
		if (plan2->sys[k].nr == seccomp_syscall_resolve_name("mmap"))
			assert_int_equal(plan2->sys[k].how, SB_PLAN_SIMPLE);
	sb_plan_free(plan2);
	sb_policy_free(p2);

	/* The notify flavour builds too. */
	scmp_filter_ctx ctx = NULL;
	assert_int_equal(sb_plan_filter(plan, false, SCMP_ACT_NOTIFY, &ctx), 0);
	seccomp_release(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_answers),
		cmocka_unit_test(test_kill),
#if defined(__x86_64__)
		cmocka_unit_test(test_other_abi),
#endif
		cmocka_unit_test(test_plan_shape),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
