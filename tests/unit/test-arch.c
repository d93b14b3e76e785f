/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SIGSYS register map (sandboxee/arch.h) against the real kernel: a forked child traps
 * getpriority with SECCOMP_RET_TRAP, its handler reads the call back through the accessors
 * only and answers a chosen value, and the parent checks what the handler saw and what the
 * call returned.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmocka.h>
#include <seccomp.h>

#include "arch.h"

#define ANSWER 777        /* not in -4095..-1, so syscall() passes it through */
#define ERRNO_MARK EL3HLT /* an errno no step of the test sets */
#define KEPT_MARK 0x5eedc0de5eedc0deULL

/* si_code of a seccomp SIGSYS: <asm-generic/siginfo.h> has it, glibc's headers do not. */
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

/* Six distinctive 64-bit arguments, no two alike; the last one has the top bit set. */
static const uint64_t args[6] = {
	0x1111111111111111ULL, 0x2222222222222222ULL, 0x3333333333333333ULL,
	0x4444444444444444ULL, 0x5555555555555555ULL, 0xfedcba9876543210ULL,
};

/* What the handler saw, written in SIGSYS context. */
struct seen {
	int calls;
	int si_code;
	int nr;            /* sb_si_syscall() */
	unsigned int arch; /* sb_si_arch() */
	long uc_nr;        /* sb_uc_syscall_nr() */
	uint64_t args[7];  /* sb_uc_arg(0..6); 6 is out of range and must read 0 */
	uint64_t ip;       /* sb_uc_ip() */
	uint64_t call_addr;
};

/* What the child reports through the pipe. */
struct report {
	struct seen seen;
	long ret;        /* what the trapped call returned */
	int errno_after; /* errno right after it */
	uint64_t kept;   /* the callee-saved register after the call (raw calls only) */
	uint64_t after;  /* the address just after the syscall instruction (raw calls only) */
};

static volatile long answer = ANSWER;
static volatile int seen_calls, seen_code, seen_nr;
static volatile unsigned int seen_arch;
static volatile long seen_uc_nr;
static volatile uint64_t seen_args[7], seen_ip, seen_call_addr;

static void on_sigsys(int sig, siginfo_t *si, void *uc_)
{
	int saved_errno = errno;
	ucontext_t *uc = uc_;

	seen_calls++;
	seen_code = si->si_code;
	seen_nr = sb_si_syscall(si);
	seen_arch = sb_si_arch(si);
	seen_call_addr = sb_si_call_addr(si);
	seen_uc_nr = sb_uc_syscall_nr(uc);
	for (unsigned i = 0; i < 7; i++)
		seen_args[i] = sb_uc_arg(uc, i);
	seen_ip = sb_uc_ip(uc);
	sb_uc_set_return(uc, answer);
	errno = saved_errno;
}

/* In the child: trap getpriority, allow everything else. */
static void enter(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	scmp_filter_ctx ctx;

	if (sigaction(SIGSYS, &sa, NULL) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(90);
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(getpriority), 0) < 0 ||
	    seccomp_load(ctx) < 0)
		_exit(91);
	seccomp_release(ctx);
}

/* Run body in a sandboxed child that answers ret, and collect its report. */
static void run(void (*body)(struct report *), long ret, struct report *out)
{
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct report r;
		memset(&r, 0, sizeof(r));
		close(pfd[0]);
		answer = ret;
		enter();
		body(&r);
		r.seen.calls = seen_calls;
		r.seen.si_code = seen_code;
		r.seen.nr = seen_nr;
		r.seen.arch = seen_arch;
		r.seen.uc_nr = seen_uc_nr;
		for (unsigned i = 0; i < 7; i++)
			r.seen.args[i] = seen_args[i];
		r.seen.ip = seen_ip;
		r.seen.call_addr = seen_call_addr;
		if (write(pfd[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(93);
		_exit(0);
	}
	close(pfd[1]);
	ssize_t n = read(pfd[0], out, sizeof(*out));
	close(pfd[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child: %s %d", WIFSIGNALED(status) ? "signal" : "exit status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	assert_int_equal(n, sizeof(*out));
}

/* What every trapped getpriority must have shown the handler. */
static void check_seen(const struct seen *s)
{
	assert_int_equal(s->calls, 1);
	assert_int_equal(s->si_code, SYS_SECCOMP);
	assert_int_equal(s->nr, SYS_getpriority);
	assert_int_equal(s->uc_nr, SYS_getpriority);
	assert_int_equal(s->arch, SB_AUDIT_ARCH);
	for (unsigned i = 0; i < 6; i++)
		if (s->args[i] != args[i])
			fail_msg("arg%u: handler read %#llx, want %#llx", i,
				 (unsigned long long)s->args[i], (unsigned long long)args[i]);
	assert_int_equal(s->args[6], 0);
	assert_true(s->ip != 0);
	assert_int_equal(s->ip, s->call_addr);
}

static void call_libc(struct report *r)
{
	errno = ERRNO_MARK;
	r->ret = syscall(SYS_getpriority, args[0], args[1], args[2], args[3], args[4], args[5]);
	r->errno_after = errno;
}

/* Through glibc's syscall(): the handler's value comes back, errno stays as it was. */
static void test_libc_answer(void **state)
{
	struct report r;
	run(call_libc, ANSWER, &r);
	check_seen(&r.seen);
	assert_int_equal(r.ret, ANSWER);
	assert_int_equal(r.errno_after, ERRNO_MARK);
}

/* A negative answer is an error: syscall() returns -1 and sets errno from it. */
static void test_libc_error(void **state)
{
	struct report r;
	run(call_libc, -EL2HLT, &r);
	check_seen(&r.seen);
	assert_int_equal(r.ret, -1);
	assert_int_equal(r.errno_after, EL2HLT);
}

/*
 * The same call made by hand, so that every register is known: the handler sees exactly the
 * argument registers of the kernel convention, the instruction pointer is just after the
 * syscall instruction, and setting the return value leaves a callee-saved register alone.
 */
static void call_raw(struct report *r)
{
	const uint64_t mark = KEPT_MARK;
	uint64_t kept, after;
#if defined(__x86_64__)
	register uint64_t r10 __asm__("r10") = args[3];
	register uint64_t r8 __asm__("r8") = args[4];
	register uint64_t r9 __asm__("r9") = args[5];
	long ret = SYS_getpriority;

	__asm__ volatile("lea 1f(%%rip), %[after]\n\t"
			 "mov %[mark], %%r12\n\t"
			 "syscall\n"
			 "1:\n\t"
			 "mov %%r12, %[kept]"
			 : "+a"(ret), [after] "=&r"(after), [kept] "=&r"(kept)
			 : "D"(args[0]), "S"(args[1]), "d"(args[2]), "r"(r10), "r"(r8),
			   "r"(r9), [mark] "r"(mark)
			 : "rcx", "r11", "r12", "memory", "cc");
#elif defined(__aarch64__)
	register uint64_t x0 __asm__("x0") = args[0];
	register uint64_t x1 __asm__("x1") = args[1];
	register uint64_t x2 __asm__("x2") = args[2];
	register uint64_t x3 __asm__("x3") = args[3];
	register uint64_t x4 __asm__("x4") = args[4];
	register uint64_t x5 __asm__("x5") = args[5];
	register uint64_t x8 __asm__("x8") = SYS_getpriority;

	__asm__ volatile("adr %[after], 1f\n\t"
			 "mov x19, %[mark]\n\t"
			 "svc #0\n"
			 "1:\n\t"
			 "mov %[kept], x19"
			 : "+r"(x0), [after] "=&r"(after), [kept] "=&r"(kept)
			 : "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5), "r"(x8), [mark] "r"(mark)
			 : "x19", "memory", "cc");
	long ret = (long)x0;
#endif
	r->ret = ret;
	r->kept = kept;
	r->after = after;
}

static void test_raw_registers(void **state)
{
	struct report r;
	run(call_raw, ANSWER, &r);
	check_seen(&r.seen);
	assert_int_equal(r.ret, ANSWER);
	assert_int_equal(r.seen.ip, r.after);
	assert_int_equal(r.kept, KEPT_MARK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libc_answer),
		cmocka_unit_test(test_libc_error),
		cmocka_unit_test(test_raw_registers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
