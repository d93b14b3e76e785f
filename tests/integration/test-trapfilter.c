/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The trap filter of `sysbroker run` (broker/trapfilter.c) and the preloaded runtime that arms it
 * (sandboxee/preload.c, sandboxee/arm.c). The instruction-pointer prefix is checked twice: by a
 * small cBPF interpreter here (exact boundaries, ranges across a 4 GiB boundary, the policy
 * behind it) and by the real kernel in forked children (a call through the C library traps, the
 * same call from this program's own text does not). Then the SB_REQ_FILTER request's validation,
 * the ASLR refusal, and the preloaded runtime end to end against a real broker loop.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch.h"
#include "handler.h"
#include "inline-syscall.h"
#include "kgcookie.h"
#include "loop.h"
#include "policy.h"
#include "protocol.h"
#include "runtime.h"
#include "trapfilter.h"

static int test_no;
static int failures;
static char root[PATH_MAX];
static const char *preload_path, *probe_path, *sigmask_probe;

static void ok(bool cond, const char *what)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++test_no, what);
	fflush(stdout);
	if (!cond)
		failures++;
}

/* In a forked child: report the failing line on stderr and exit with a non-zero status. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			dprintf(2, "# check failed at line %d: %s (errno %d)\n", __LINE__, #cond,  \
				errno);                                                            \
			_exit(100);                                                                \
		}                                                                                  \
	} while (0)

/* In this process: say which check failed and count it against the current test. */
#define EXPECT(cond)                                                                               \
	__extension__({                                                                            \
		bool _c = (cond);                                                                  \
		if (!_c)                                                                           \
			printf("# line %d: %s\n", __LINE__, #cond);                                \
		_c;                                                                                \
	})

static struct sb_policy *load_policy(const char *text)
{
	struct sb_policy *p = NULL;
	struct sb_policy_error err;
	if (sb_policy_load_string(text, strlen(text), "trapfilter.policy", &p, &err) < 0) {
		fprintf(stderr, "%s:%u:%u: %s\n", err.file, err.line, err.column, err.message);
		exit(1);
	}
	return p;
}

/* ---- the C library's code, found the way the preloaded runtime finds it ---- */

struct text {
	uintptr_t probe;
	struct sb_text_range r[SB_MAX_TEXT_RANGES];
	size_t n;
};

static int find_text(struct dl_phdr_info *info, size_t size, void *data)
{
	struct text *t = data;
	bool hit = false;
	for (int i = 0; i < info->dlpi_phnum && !hit; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		hit = ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && t->probe >= start &&
		      t->probe - start < ph->p_memsz;
	}
	if (!hit)
		return 0;
	for (int i = 0; i < info->dlpi_phnum && t->n < SB_MAX_TEXT_RANGES; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		uint64_t s = info->dlpi_addr + ph->p_vaddr;
		t->r[t->n++] = (struct sb_text_range){ s & ~(SB_TEXT_ALIGN - 1),
						       (s + ph->p_memsz + SB_TEXT_ALIGN - 1) &
							       ~(SB_TEXT_ALIGN - 1) };
	}
	return 1;
}

static struct text libc_text(void)
{
	struct text t = { .probe = (uintptr_t)&syscall };
	if (dl_iterate_phdr(find_text, &t) != 1 || t.n == 0) {
		fprintf(stderr, "cannot find the C library's code\n");
		exit(1);
	}
	return t;
}

/* ---- a small cBPF interpreter, for the programs as the kernel would run them ---- */

struct run {
	uint32_t ret;
	bool bad; /* the program did something the kernel's checker would refuse */
};

static uint32_t load_word(const struct seccomp_data *d, uint32_t k, bool *bad)
{
	uint32_t w;
	if (k % 4 || k + 4 > sizeof(*d)) {
		*bad = true;
		return 0;
	}
	memcpy(&w, (const uint8_t *)d + k, 4);
	return w;
}

static struct run bpf_run(const struct sock_filter *f, size_t n, const struct seccomp_data *d)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };
	struct run r = { 0, false };

	for (size_t pc = 0, steps = 0; pc < n && steps < 100000; pc++, steps++) {
		const struct sock_filter *i = &f[pc];
		uint32_t src = BPF_SRC(i->code) == BPF_X ? X : i->k;
		switch (BPF_CLASS(i->code)) {
		case BPF_LD:
			if (i->code == (BPF_LD | BPF_W | BPF_ABS))
				A = load_word(d, i->k, &r.bad);
			else if (i->code == (BPF_LD | BPF_IMM))
				A = i->k;
			else if (i->code == (BPF_LD | BPF_MEM) && i->k < BPF_MEMWORDS)
				A = M[i->k];
			else
				r.bad = true;
			break;
		case BPF_LDX:
			if (i->code == (BPF_LDX | BPF_IMM))
				X = i->k;
			else if (i->code == (BPF_LDX | BPF_MEM) && i->k < BPF_MEMWORDS)
				X = M[i->k];
			else
				r.bad = true;
			break;
		case BPF_ST:
		case BPF_STX:
			if (i->k >= BPF_MEMWORDS)
				r.bad = true;
			else
				M[i->k] = BPF_CLASS(i->code) == BPF_ST ? A : X;
			break;
		case BPF_ALU:
			switch (BPF_OP(i->code)) {
			case BPF_ADD:
				A += src;
				break;
			case BPF_SUB:
				A -= src;
				break;
			case BPF_MUL:
				A *= src;
				break;
			case BPF_AND:
				A &= src;
				break;
			case BPF_OR:
				A |= src;
				break;
			case BPF_XOR:
				A ^= src;
				break;
			case BPF_LSH:
				A = src < 32 ? A << src : 0;
				break;
			case BPF_RSH:
				A = src < 32 ? A >> src : 0;
				break;
			case BPF_NEG:
				A = -A;
				break;
			default:
				r.bad = true;
			}
			break;
		case BPF_JMP: {
			if (BPF_OP(i->code) == BPF_JA) {
				pc += i->k;
				break;
			}
			bool t;
			switch (BPF_OP(i->code)) {
			case BPF_JEQ:
				t = A == src;
				break;
			case BPF_JGT:
				t = A > src;
				break;
			case BPF_JGE:
				t = A >= src;
				break;
			case BPF_JSET:
				t = (A & src) != 0;
				break;
			default:
				r.bad = true;
				t = false;
			}
			pc += t ? i->jt : i->jf;
			break;
		}
		case BPF_RET:
			r.ret = BPF_RVAL(i->code) == BPF_A ? A : i->k;
			return r;
		case BPF_MISC:
			if (BPF_MISCOP(i->code) == BPF_TAX)
				X = A;
			else
				A = X;
			break;
		default:
			r.bad = true;
		}
		if (r.bad)
			return r;
	}
	r.bad = true; /* ran off the end */
	return r;
}

/* Every jump of the program lands inside it (what the kernel's checker requires). */
static bool jumps_in_range(const struct sock_filter *f, size_t n)
{
	for (size_t pc = 0; pc < n; pc++) {
		if (BPF_CLASS(f[pc].code) != BPF_JMP)
			continue;
		if (BPF_OP(f[pc].code) == BPF_JA) {
			if (f[pc].k >= n - pc - 1)
				return false;
		} else if (pc + 1 + f[pc].jt >= n || pc + 1 + f[pc].jf >= n) {
			return false;
		}
	}
	return BPF_CLASS(f[n - 1].code) == BPF_RET;
}

/*
 * What the kernel finds when it fills its action cache as it loads a filter: the program run
 * knowing only the syscall number and the architecture. True if it reaches "allow" without
 * reading anything else; the kernel then lets the call through without running the filter.
 * Stricter than the kernel's own check (no ALU), so it never claims more than the kernel.
 */
static bool const_allow(const struct sock_filter *f, size_t n, int nr)
{
	uint32_t A = 0;

	for (size_t pc = 0, steps = 0; pc < n && steps < 100000; pc++, steps++) {
		const struct sock_filter *i = &f[pc];
		bool t;
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k == offsetof(struct seccomp_data, nr))
				A = (uint32_t)nr;
			else if (i->k == offsetof(struct seccomp_data, arch))
				A = SB_AUDIT_ARCH;
			else
				return false;
			continue;
		case BPF_RET | BPF_K:
			return i->k == SECCOMP_RET_ALLOW;
		case BPF_JMP | BPF_JA:
			pc += i->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
			t = A == i->k;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			t = A >= i->k;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			t = A > i->k;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			t = (A & i->k) != 0;
			break;
		default:
			return false;
		}
		pc += t ? i->jt : i->jf;
	}
	return false;
}

struct progs {
	struct sock_filter *main, *guard;
	size_t nmain, nguard;
};

static void progs_free(struct progs *p)
{
	free(p->main);
	free(p->guard);
	*p = (struct progs){ 0 };
}

static struct seccomp_data call(int nr, uint64_t ip, uint64_t a0, uint64_t a1, uint64_t a2,
				uint64_t a3, uint64_t a4)
{
	return (struct seccomp_data){ .nr = nr,
				      .arch = SB_AUDIT_ARCH,
				      .instruction_pointer = ip,
				      .args = { a0, a1, a2, a3, a4, 0 } };
}

/* The answer of the stack made of the guard and the main program: the more restrictive. */
static uint32_t both(const struct progs *p, const struct seccomp_data *d, bool *bad)
{
	struct run m = bpf_run(p->main, p->nmain, d);
	struct run g = p->guard ? bpf_run(p->guard, p->nguard, d)
				: (struct run){ SECCOMP_RET_ALLOW, false };
	*bad = *bad || m.bad || g.bad;
	uint32_t am = m.ret & SECCOMP_RET_ACTION_FULL, ag = g.ret & SECCOMP_RET_ACTION_FULL;
	return (int32_t)am < (int32_t)ag ? m.ret : (int32_t)ag < (int32_t)am ? g.ret : m.ret;
}

/* ---- the kernel: a child with only these filters, and a SIGSYS handler that records ---- */

static volatile sig_atomic_t traps;
static volatile int trap_nr;
static volatile uint64_t trap_ip;

static void recorder(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	traps++;
	trap_nr = sb_si_syscall(si);
	trap_ip = sb_uc_ip(uc);
	sb_uc_set_return(uc, -ENOSYS);
}

static void child_load(const struct progs *p)
{
	struct sigaction sa = { .sa_sigaction = recorder, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigfillset(&sa.sa_mask);
	CHECK(sigaction(SIGSYS, &sa, NULL) == 0);
	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	struct sock_fprog g = { (unsigned short)p->nguard, p->guard };
	struct sock_fprog m = { (unsigned short)p->nmain, p->main };
	if (p->guard)
		CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &g) == 0);
	CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &m) == 0);
}

/* Run fn in a child; true when it exits 0. */
static bool in_child(void (*fn)(const void *), const void *arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return false;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("# child: status 0x%x\n", st);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static bool in_text(const struct text *t, uint64_t ip)
{
	for (size_t i = 0; i < t->n; i++)
		if (ip >= t->r[i].start && ip < t->r[i].end)
			return true;
	return false;
}

static void child_libc_traps(const void *arg)
{
	const struct progs *p = arg;
	struct text t = libc_text();
	struct stat st;
	child_load(p);
	errno = 0;
	long r = syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0);
	CHECK(r == -1 && errno == ENOSYS);
	CHECK(traps == 1 && trap_nr == SYS_newfstatat);
	CHECK(in_text(&t, trap_ip));
	/* A call the policy leaves to the kernel does not trap. */
	CHECK(syscall(SYS_getpid) == getpid() && traps == 1);
}

static void child_own_text(const void *arg)
{
	const struct progs *p = arg;
	struct stat st;
	child_load(p);
	long r = inline_syscall4(SYS_newfstatat, AT_FDCWD, (long)"/", (long)&st, 0);
	CHECK(r == 0 && S_ISDIR(st.st_mode));
	CHECK(traps == 0);
	r = inline_syscall4(SYS_openat, AT_FDCWD, (long)"/", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	CHECK(r >= 0 && traps == 0);
	/* And through the C library it traps (the filter is in place). */
	CHECK(syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0) == -1 && traps == 1);
}

static void child_guard(const void *arg)
{
	const struct progs *p = arg;
	child_load(p);
	/* deny umask errno EROFS if arg0 == 511: the guard, scoped like the main program. */
	errno = 0;
	CHECK(syscall(SYS_umask, 511) == -1 && errno == EROFS);
	long r = inline_syscall4(SYS_umask, 511, 0, 0, 0);
	CHECK(r >= 0);
	inline_syscall4(SYS_umask, r, 0, 0, 0);
	CHECK(syscall(SYS_umask, 022) >= 0);
	/* The runtime's rule: SIGSYS cannot be taken over through the C library. */
	struct sigaction sa = { .sa_handler = SIG_DFL };
	errno = 0;
	CHECK(sigaction(SIGSYS, &sa, NULL) == -1 && errno == EPERM);
	CHECK(traps == 0);
}

static void child_elsewhere(const void *arg)
{
	const struct progs *p = arg;
	struct stat st;
	child_load(p);
	CHECK(syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0) == 0 && S_ISDIR(st.st_mode));
	long old = syscall(SYS_umask, 511);
	CHECK(old >= 0);
	syscall(SYS_umask, old);
	CHECK(traps == 0);
}

/* ---- SB_REQ_FILTER messages ---- */

struct filter_msg {
	struct sb_req req;
	struct sb_text_range r[SB_MAX_TEXT_RANGES + 2];
};

static size_t make_msg(struct filter_msg *m, const struct sb_text_range *r, size_t n)
{
	memset(m, 0, sizeof(*m));
	m->req = (struct sb_req){ .magic = SB_PROTO_MAGIC_REQ,
				  .version = SB_PROTO_VERSION,
				  .type = SB_REQ_FILTER,
				  .arch = SB_AUDIT_ARCH,
				  .seq = 7 };
	m->req.len[SB_ITEM_IN] = (uint32_t)(n * sizeof(*r));
	memcpy(m->r, r, n * sizeof(*r));
	return sizeof(m->req) + n * sizeof(*r);
}

static int reply(const struct sb_policy *p, pid_t pid, const void *msg, size_t len)
{
	void *out = NULL;
	size_t outlen = 0;
	int r = sb_filter_reply(p, NULL, pid, msg, len, &out, &outlen);
	free(out);
	return r;
}

/* ---- the preloaded runtime against a real broker loop ---- */

struct probe_result {
	int status;
	char out[256], err[1024];
};

/* TAP diagnostics: every line of text behind "# ". */
static void diag(const char *what, const char *text)
{
	for (const char *l = text; *l;) {
		size_t n = strcspn(l, "\n");
		printf("# %s: %.*s\n", what, (int)n, l);
		l += n + (l[n] == '\n');
	}
}

static void read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t k;
	while (n + 1 < size && (k = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = 0;
}

static struct probe_result run_probe(const struct sb_policy *policy, const char *fd_env,
				     bool no_aslr, bool debug, bool block_sigsys)
{
	struct probe_result res = { .status = -1 };
	int sv[2], out[2], err[2];
	char denied[PATH_MAX + 16], granted[PATH_MAX + 32], fdvar[64], ldvar[PATH_MAX + 16];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return res;
	snprintf(denied, sizeof(denied), "%s/secret.txt", root);
	snprintf(granted, sizeof(granted), "%s/granted/a.txt", root);
	/* NULL: the real thing (fd 100, the socket's inode); "101": the inode, on a non-socket. */
	struct stat sst;
	if (fstat(sv[1], &sst) < 0)
		return res;
	if (!fd_env || strcmp(fd_env, "101") == 0)
		snprintf(fdvar, sizeof(fdvar), "SYSBROKER_FD=%s:%llu", fd_env ? fd_env : "100",
			 (unsigned long long)sst.st_ino);
	else
		snprintf(fdvar, sizeof(fdvar), "SYSBROKER_FD=%s", fd_env);
	snprintf(ldvar, sizeof(ldvar), "LD_PRELOAD=%s", preload_path);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return res;
	if (pid == 0) {
		char *argv[] = { (char *)probe_path, denied, granted, NULL };
		char *envp[] = { fdvar, ldvar, debug ? "SYSBROKER_DEBUG=1" : "X=1", NULL };
		CHECK(dup2(sv[1], 100) == 100);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		CHECK(nul >= 0 && dup2(nul, 101) == 101); /* not a socket */
		CHECK(dup2(out[1], 1) == 1 && dup2(err[1], 2) == 2);
		CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
		if (no_aslr)
			CHECK(personality(ADDR_NO_RANDOMIZE) >= 0);
		if (block_sigsys) {
			sigset_t sys;
			sigemptyset(&sys);
			sigaddset(&sys, SIGSYS);
			CHECK(sigprocmask(SIG_BLOCK, &sys, NULL) == 0);
		}
		execve(probe_path, argv, envp);
		_exit(127);
	}
	close(sv[1]);
	close(out[1]);
	close(err[1]);
	struct sb_broker *b = NULL;
	if (sb_broker_new(policy, -1, &b) == 0 && sb_broker_add_control(b, sv[0]) == 0)
		sb_broker_run(b);
	sb_broker_free(b);
	read_all(out[0], res.out, sizeof(res.out));
	read_all(err[0], res.err, sizeof(res.err));
	close(out[0]);
	close(err[0]);
	waitpid(pid, &res.status, 0);
	return res;
}

static void child_arm(const void *arg)
{
	const struct progs *p = arg;
	struct sigaction sa;
	struct stat st;
	int sv[2];
	struct sock_filter bogus[] = { BPF_STMT(0xffff, 0) };
	struct sock_fprog bad = { 1, bogus };
	struct sock_fprog m = { (unsigned short)p->nmain, p->main };
	struct sock_fprog g = { (unsigned short)p->nguard, p->guard };

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(sb_trap_arm(-1, &m, NULL) == -EINVAL);
	CHECK(sb_trap_arm(sv[0], NULL, NULL) == -EINVAL);
	/* Without no_new_privs the kernel refuses; the handler is taken back. */
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0 && geteuid() != 0)
		CHECK(sb_trap_arm(sv[0], &m, NULL) == -EACCES);
	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	CHECK(sb_trap_arm(sv[0], &bad, NULL) == -EINVAL);
	CHECK(sigaction(SIGSYS, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL && sb_ctrl_fd == -1);
	CHECK(sb_trap_arm(sv[0], &m, p->guard ? &g : NULL) == 0);
	CHECK(sigaction(SIGSYS, NULL, &sa) == 0 && sa.sa_sigaction == sb_sigsys);
	CHECK(sb_ctrl_fd == sv[0]);
	/* A brokered call through the C library now goes to the (absent) broker: EIO... */
	close(sv[1]);
	errno = 0;
	CHECK(syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0) == -1 && errno == EIO);
	/* ...and from this program's own text to the kernel. */
	CHECK(inline_syscall4(SYS_newfstatat, AT_FDCWD, (long)"/", (long)&st, 0) == 0);
}

struct trap_exec {
	const struct sb_policy *policy;
	int ctrl;
};

/* sb_trap_enter, then exec a program that reports its signal mask: the exec is the handler's. */
static void child_trap_exec(const void *arg)
{
	const struct trap_exec *a = arg;
	sigset_t intr;
	sigemptyset(&intr);
	sigaddset(&intr, SIGINT);
	CHECK(sigprocmask(SIG_UNBLOCK, &intr, NULL) == 0);
	CHECK(sb_trap_enter(a->policy, a->ctrl) == 0);
	char *argv[] = { "sigmask-probe", NULL };
	syscall(SYS_execve, sigmask_probe, argv, environ);
	dprintf(2, "# exec of %s failed: %d\n", sigmask_probe, errno);
	_exit(3);
}

static void child_no_aslr(const void *arg)
{
	const int *fds = arg; /* down[0], up[1], down[1] */
	char c = 0;
	close(fds[2]);
	CHECK(personality(ADDR_NO_RANDOMIZE) >= 0);
	CHECK(write(fds[1], "r", 1) == 1);
	CHECK(read(fds[0], &c, 1) >= 0);
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/sb-test-trapfilter-XXXXXX", text[4 * PATH_MAX], p[PATH_MAX + 32];
	struct text libc;
	struct progs pr = { 0 };
	bool bad = false, good;
	int r;

	printf("1..21\n");
	if (argc != 4) {
		fprintf(stderr, "usage: test-trapfilter PRELOAD PROBE SIGMASK-PROBE\n");
		return 2;
	}
	preload_path = argv[1];
	probe_path = argv[2];
	sigmask_probe = argv[3];
	if (!mkdtemp(tmpl) || !realpath(tmpl, root))
		return 1;
	snprintf(p, sizeof(p), "%s/granted", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/granted/a.txt", root);
	FILE *f = fopen(p, "w");
	if (!f || fputs("granted\n", f) < 0 || fclose(f) != 0)
		return 1;
	snprintf(p, sizeof(p), "%s/secret.txt", root);
	f = fopen(p, "w");
	if (!f || fputs("secret\n", f) < 0 || fclose(f) != 0)
		return 1;
	snprintf(text, sizeof(text),
		 "sysbroker-policy 1\n"
		 "default syscall deny errno ENOSYS nolog\n"
		 "allow @default-runtime @process @signal @memory @ipc\n"
		 "path \"%s/granted/**\" read list\n"
		 "path \"/\" stat\n"
		 "deny umask if arg0 == 511 errno EROFS nolog\n",
		 root);
	struct sb_policy *policy = load_policy(text);
	/* A logged default denial (the broker's), and a runtime syscall only the broker can judge.
	 */
	struct sb_policy *logged = load_policy("sysbroker-policy 1\n"
					       "default syscall deny errno EPERM log\n"
					       "allow @default-runtime\n"
					       "deny fcntl errno EPERM if arg2 == 77\n");
	libc = libc_text();

	/* 1 */
	r = sb_trap_programs(policy, NULL, libc.r, libc.n, &pr.main, &pr.nmain, &pr.guard,
			     &pr.nguard);
	good = EXPECT(r == 0) && EXPECT(pr.main && pr.nmain > 7 && pr.nmain <= BPF_MAXINSNS) &&
	       EXPECT(pr.guard && pr.nguard > 7 && pr.nguard <= BPF_MAXINSNS) &&
	       EXPECT(jumps_in_range(pr.main, pr.nmain)) &&
	       EXPECT(jumps_in_range(pr.guard, pr.nguard));
	ok(good, "programs for a policy: main and guard, jumps in range");

	/* 1b: the bodies kept for the next process: the same programs, and a policy's own */
	{
		struct sb_trap_bodies cache = { 0 };
		struct progs a = { 0 }, b = { 0 }, c = { 0 };
		const struct sb_text_range other[] = { { 0x7f0000000000ULL, 0x7f0000100000ULL } };
		good = EXPECT(sb_trap_programs(policy, &cache, libc.r, libc.n, &a.main, &a.nmain,
					       &a.guard, &a.nguard) == 0) &&
		       EXPECT(cache.policy == policy) &&
		       EXPECT(sb_trap_programs(policy, &cache, libc.r, libc.n, &b.main, &b.nmain,
					       &b.guard, &b.nguard) == 0) &&
		       EXPECT(a.nmain == pr.nmain && b.nmain == pr.nmain &&
			      b.nguard == pr.nguard) &&
		       EXPECT(!memcmp(a.main, pr.main, pr.nmain * sizeof(*pr.main)) &&
			      !memcmp(b.main, pr.main, pr.nmain * sizeof(*pr.main)) &&
			      !memcmp(b.guard, pr.guard, pr.nguard * sizeof(*pr.guard)));
		/* Another process's text (one piece): the same answers, there instead of here. */
		progs_free(&b);
		good = good &&
		       EXPECT(sb_trap_programs(policy, &cache, other, 1, &b.main, &b.nmain,
					       &b.guard, &b.nguard) == 0) &&
		       EXPECT(jumps_in_range(b.main, b.nmain));
		for (int nr = 0; good && nr < 512; nr++) {
			const uint64_t av[][3] = {
				{ 0, 0, 0 }, { AT_FDCWD, 1, O_RDONLY }, { 3, 511, 1 }, { 77, 1, 2 }
			};
			for (size_t k = 0; good && k < sizeof(av) / sizeof(av[0]); k++) {
				struct seccomp_data here = call(nr, libc.r[0].start + 16, av[k][0],
								av[k][1], av[k][2], 0, 0);
				struct seccomp_data there = here;
				there.instruction_pointer = other[0].start + 16;
				bool bad2 = false;
				good = EXPECT(both(&pr, &here, &bad2) == both(&b, &there, &bad2)) &&
				       EXPECT(!bad2);
				if (!good)
					printf("# nr %d\n", nr);
			}
		}
		/* Another policy: its own programs, never the kept ones. */
		good = good &&
		       EXPECT(sb_trap_programs(logged, &cache, libc.r, libc.n, &c.main, &c.nmain,
					       &c.guard, &c.nguard) == 0) &&
		       EXPECT(cache.policy == logged) &&
		       EXPECT(c.nmain != pr.nmain ||
			      memcmp(c.main, pr.main, pr.nmain * sizeof(*pr.main)) != 0);
		progs_free(&a);
		progs_free(&b);
		progs_free(&c);
		sb_trap_bodies_clear(&cache);
		ok(good,
		   "the bodies kept for a policy give the same programs; another policy's own");
	}

	/* 2: the prefix alone, across a 4 GiB boundary, exactly at every edge and at random */
	{
		struct progs x = { 0 };
		const struct sb_text_range rs[] = { { 0x1ffffe000ULL, 0x200002000ULL },
						    { 0x7f0000000000ULL, 0x7f0000100000ULL },
						    { 0x3fffff000ULL, 0x400000000ULL } };
		r = sb_trap_programs(policy, NULL, rs, 3, &x.main, &x.nmain, &x.guard, &x.nguard);
		good = EXPECT(r == 0) && EXPECT(jumps_in_range(x.main, x.nmain));
		const struct {
			uint64_t ip;
			bool in;
		} edges[] = {
			{ 0x1ffffdfffULL, false },        { 0x1ffffe000ULL, true },
			{ 0x1ffffffffULL, true },         { 0x200000000ULL, true },
			{ 0x200001fffULL, true },         { 0x200002000ULL, false },
			{ 0x0ffffe000ULL, false },        { 0x0ffffffffULL, false },
			{ 0x100000000ULL, false },        { 0x2ffffe000ULL, false },
			{ 0x300000000ULL, false },        { 0x000000000ULL, false },
			{ 0x7effffffffffULL, false },     { 0x7f0000000000ULL, true },
			{ 0x7f00000fffffULL, true },      { 0x7f0000100000ULL, false },
			{ 0x3fffff000ULL, true },         { 0x3ffffffffULL, true },
			{ 0x400000000ULL, false },        { 0x3ffffefffULL, false },
			{ 0xffffffffffffffffULL, false }, { 0x7f0100000000ULL, false },
		};
		for (size_t i = 0; good && i < sizeof(edges) / sizeof(edges[0]); i++) {
			struct seccomp_data d = call(SYS_newfstatat, edges[i].ip, 0, 0, 0, 0, 0);
			struct run m = bpf_run(x.main, x.nmain, &d);
			uint32_t want = edges[i].in ? SECCOMP_RET_TRAP : SECCOMP_RET_ALLOW;
			good = EXPECT(!m.bad) && EXPECT(m.ret == want);
			if (!good)
				printf("# ip 0x%llx\n", (unsigned long long)edges[i].ip);
		}
		srand(1);
		for (int i = 0; good && i < 200000; i++) {
			uint64_t base = rs[rand() % 3].start;
			uint64_t ip = base + (uint64_t)(rand() % 0x20000) - 0x10000 +
				      ((uint64_t)(rand() % 3) << 32) - (1ULL << 32);
			bool in = false;
			for (size_t k = 0; k < 3; k++)
				in = in || (ip >= rs[k].start && ip < rs[k].end);
			struct seccomp_data d = call(SYS_newfstatat, ip, 0, 0, 0, 0, 0);
			struct run m = bpf_run(x.main, x.nmain, &d);
			good = EXPECT(!m.bad) &&
			       EXPECT(m.ret == (in ? SECCOMP_RET_TRAP : SECCOMP_RET_ALLOW));
			if (!good)
				printf("# ip 0x%llx\n", (unsigned long long)ip);
		}
		progs_free(&x);
		ok(good, "the prefix compares ranges exactly, across 4 GiB boundaries");
	}

	/* 3: behind the prefix, the policy; the handler's own calls never trap */
	{
		uint64_t in = libc.r[0].start + 16, out = 0x1000;
		struct {
			struct seccomp_data d;
			uint32_t want;
		} cases[] = {
			/* brokered calls the trap serves */
			{ call(SYS_newfstatat, in, AT_FDCWD, 1, 2, 0, 0), SECCOMP_RET_TRAP },
			{ call(SYS_openat, in, AT_FDCWD, 1, O_RDONLY, 0, 0), SECCOMP_RET_TRAP },
			{ call(SYS_chdir, in, 1, 0, 0, 0, 0), SECCOMP_RET_TRAP },
			{ call(SYS_fchownat, in, AT_FDCWD, 1, 0, 0, 0), SECCOMP_RET_TRAP },
			{ call(SYS_removexattrat, in, AT_FDCWD, 1, 0, 0, 0), SECCOMP_RET_TRAP },
			/* network calls (broker/net.c): a send with an address, listen */
			{ call(SYS_connect, in, 3, 1, 16, 0, 0), SECCOMP_RET_TRAP },
			{ call(SYS_sendto, in, 3, 1, 2, 0, 5), SECCOMP_RET_TRAP },
			{ call(SYS_sendmsg, in, 3, 1, 0, 0, 0), SECCOMP_RET_TRAP },
			{ call(SYS_listen, in, 3, 8, 0, 0, 0), SECCOMP_RET_TRAP },
			/* exec: left to the base filter (the handler cannot exec for the caller) */
			{ call(SYS_execve, in, 1, 2, 3, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_execveat, in, AT_FDCWD, 1, 2, 3, 0), SECCOMP_RET_ALLOW },
			/* the policy's kernel decisions, in range */
			{ call(SYS_umask, in, 511, 0, 0, 0, 0), SECCOMP_RET_ERRNO | EROFS },
			{ call(SYS_umask, in, 022, 0, 0, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_getpid, in, 0, 0, 0, 0, 0), SECCOMP_RET_ALLOW },
			/* a logged denial (the built-in dangerous set): the broker answers, and
			   logs */
			{ call(SYS_ptrace, in, 0, 0, 0, 0, 0), SECCOMP_RET_TRAP },
			{ call(SYS_rt_sigaction, in, SIGSYS, 1, 0, 8, 0),
			  SECCOMP_RET_ERRNO | EPERM },
			{ call(SYS_rt_sigaction, in, SIGSYS, 0, 1, 8, 0), SECCOMP_RET_ALLOW },
			/* the handler's own calls */
			{ call(SYS_sendto, in, 5, 1, 10, MSG_NOSIGNAL, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_recvmsg, in, 5, 1, MSG_CMSG_CLOEXEC, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_close, in, 5, 0, 0, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_gettid, in, 0, 0, 0, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_fstat, in, 5, 1, 0, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_tgkill, in, 1, 2, 0, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_fchdir, in, 5, 0, 0, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_rt_sigreturn, in, 0, 0, 0, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_exit_group, in, 127, 0, 0, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_fcntl, in, SB_EXEC_FD, F_GETFD, 0, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_fcntl, in, 5, F_SETFD, 0, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_dup3, in, 5, SB_EXEC_FD, 0, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_execveat, in, SB_EXEC_FD, 1, 2, 3, AT_EMPTY_PATH),
			  SECCOMP_RET_ALLOW },
			{ call(SYS_write, in, 2, 1, 10, 0, 0), SECCOMP_RET_ALLOW },
			/* out of range, everything is the other filters' business */
			{ call(SYS_newfstatat, out, AT_FDCWD, 1, 2, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_umask, out, 511, 0, 0, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_ptrace, out, 0, 0, 0, 0, 0), SECCOMP_RET_ALLOW },
		};
		good = true;
		for (size_t i = 0; good && i < sizeof(cases) / sizeof(cases[0]); i++) {
			uint32_t got = both(&pr, &cases[i].d, &bad);
			good = EXPECT(!bad) && EXPECT(got == cases[i].want);
			if (!good)
				printf("# case %zu: nr %d got 0x%x want 0x%x\n", i, cases[i].d.nr,
				       got, cases[i].want);
		}
		/* Another architecture: killed in range, the base filter's business elsewhere. */
		struct seccomp_data d = call(SYS_getpid, in, 0, 0, 0, 0, 0);
		d.arch = SB_AUDIT_ARCH ^ 1;
		good = good && EXPECT(both(&pr, &d, &bad) == SECCOMP_RET_KILL_PROCESS);
		d.instruction_pointer = out;
		good = good && EXPECT(both(&pr, &d, &bad) == SECCOMP_RET_ALLOW) && EXPECT(!bad);

		/* A logged default (the broker's) traps unnamed calls, but never deferred ones. */
		struct progs l = { 0 };
		r = sb_trap_programs(logged, NULL, libc.r, libc.n, &l.main, &l.nmain, &l.guard,
				     &l.nguard);
		good = good && EXPECT(r == 0);
		const struct {
			struct seccomp_data d;
			uint32_t want;
		} lcases[] = {
			{ call(SYS_getpriority, in, 0, 0, 0, 0, 0), SECCOMP_RET_TRAP },
			{ call(SYS_openat, in, AT_FDCWD, 1, 0, 0, 0), SECCOMP_RET_TRAP },
			{ call(SYS_connect, in, 3, 1, 16, 0, 0), SECCOMP_RET_TRAP },
			{ call(SYS_execve, in, 1, 2, 3, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_getpid, in, 0, 0, 0, 0, 0), SECCOMP_RET_ALLOW },
			/* fcntl: only the broker can judge it, and the handler makes it */
			{ call(SYS_fcntl, in, 3, F_SETFL, 77, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_fcntl, in, 5, F_SETFD, 0, 0, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_sendto, in, 5, 1, 10, MSG_NOSIGNAL, 0), SECCOMP_RET_ALLOW },
			{ call(SYS_getpriority, out, 0, 0, 0, 0, 0), SECCOMP_RET_ALLOW },
		};
		for (size_t i = 0; good && r == 0 && i < sizeof(lcases) / sizeof(lcases[0]); i++) {
			uint32_t got = both(&l, &lcases[i].d, &bad);
			good = EXPECT(!bad) && EXPECT(got == lcases[i].want);
			if (!good)
				printf("# logged case %zu: nr %d got 0x%x want 0x%x\n", i,
				       lcases[i].d.nr, got, lcases[i].want);
		}
		progs_free(&l);
		ok(good, "behind the prefix: the policy, and the handler's own calls never trap");
	}

	/* 4-7: the kernel */
	ok(in_child(child_libc_traps, &pr),
	   "kernel: a brokered call through libc's syscall() traps");
	ok(in_child(child_own_text, &pr),
	   "kernel: the same call from this program's own text reaches the kernel");
	ok(in_child(child_guard, &pr), "kernel: the guard program is scoped the same way");
	{
		struct progs x = { 0 };
		const struct sb_text_range rs[] = { { 0x1ffffe000ULL, 0x200002000ULL } };
		r = sb_trap_programs(policy, NULL, rs, 1, &x.main, &x.nmain, &x.guard, &x.nguard);
		ok(r == 0 && in_child(child_elsewhere, &x),
		   "kernel: ranges across 4 GiB that exclude libc trap nothing");
		progs_free(&x);
	}

	/* 8: malformed requests */
	{
		struct filter_msg m;
		size_t len;
		const struct sb_text_range one = { 0x7f0000000000ULL, 0x7f0000200000ULL };
		struct sb_text_range many[SB_MAX_TEXT_RANGES + 1];
		for (size_t i = 0; i < SB_MAX_TEXT_RANGES + 1; i++)
			many[i] = (struct sb_text_range){ 0x7f0000000000ULL + i * 0x1000000ULL,
							  0x7f0000001000ULL + i * 0x1000000ULL };
		pid_t self = getpid();
		good = true;

		len = make_msg(&m, &one, 1);
		good &= EXPECT(reply(policy, self, &m, len) == 0);
		m.req.magic ^= 1;
		good &= EXPECT(reply(policy, self, &m, len) == -EPROTO);
		len = make_msg(&m, &one, 1);
		m.req.version++;
		good &= EXPECT(reply(policy, self, &m, len) == -EPROTO);
		len = make_msg(&m, &one, 1);
		m.req.type = SB_REQ_SYSCALL;
		good &= EXPECT(reply(policy, self, &m, len) == -EPROTO);
		len = make_msg(&m, &one, 1);
		m.req.arch ^= 1;
		good &= EXPECT(reply(policy, self, &m, len) == -EAFNOSUPPORT);
		len = make_msg(&m, &one, 1);
		m.req.nr = SYS_openat;
		good &= EXPECT(reply(policy, self, &m, len) == -EPROTO);
		len = make_msg(&m, &one, 1);
		m.req.args[5] = 1;
		good &= EXPECT(reply(policy, self, &m, len) == -EPROTO);
		len = make_msg(&m, &one, 1);
		m.req.len[SB_ITEM_PATH0] = 1;
		good &= EXPECT(reply(policy, self, &m, len) == -EPROTO);
		/* 0 and 9 ranges */
		len = make_msg(&m, &one, 0);
		good &= EXPECT(reply(policy, self, &m, len) == -EPROTO);
		len = make_msg(&m, many, SB_MAX_TEXT_RANGES);
		good &= EXPECT(reply(policy, self, &m, len) == 0);
		len = make_msg(&m, many, SB_MAX_TEXT_RANGES + 1);
		good &= EXPECT(reply(policy, self, &m, len) == -EPROTO);
		/* empty, reversed, unaligned, too long, beyond user space */
		const struct sb_text_range bad_ranges[] = {
			{ 0x7f0000000000ULL, 0x7f0000000000ULL },
			{ 0x7f0000001000ULL, 0x7f0000000000ULL },
			{ 0x7f0000000010ULL, 0x7f0000001000ULL },
			{ 0x7f0000000000ULL, 0x7f0000001010ULL },
			{ 0x7f0000000000ULL, 0x7f0000000000ULL + SB_MAX_TEXT_SPAN + 0x1000 },
			{ SB_MAX_TEXT_END, SB_MAX_TEXT_END + 0x1000 },
			{ 0xfffffffffffff000ULL, 0xffffffffffffffffULL },
		};
		for (size_t i = 0; i < sizeof(bad_ranges) / sizeof(bad_ranges[0]); i++) {
			struct sb_text_range two[2] = { one, bad_ranges[i] };
			len = make_msg(&m, two, 2);
			bool b = EXPECT(reply(policy, self, &m, len) == -EPROTO);
			if (!b)
				printf("# bad range %zu\n", i);
			good &= b;
		}
		/* truncated, trailing bytes, a length that is not whole ranges, no message */
		len = make_msg(&m, &one, 1);
		good &= EXPECT(reply(policy, self, &m, len - 8) == -EPROTO);
		good &= EXPECT(reply(policy, self, &m, sizeof(m.req) - 1) == -EPROTO);
		good &= EXPECT(reply(policy, self, &m, 0) == -EPROTO);
		good &= EXPECT(reply(policy, self, &m, len + 16) == -EPROTO);
		m.req.len[SB_ITEM_IN] = 24;
		good &= EXPECT(reply(policy, self, &m, sizeof(m.req) + 24) == -EPROTO);
		good &= EXPECT(reply(policy, self, NULL, len) == -EPROTO);
		ok(good, "sb_filter_reply refuses malformed requests");
	}

	/* 9: the reply's payload */
	{
		struct filter_msg m;
		size_t len = make_msg(&m, libc.r, libc.n), outlen = 0;
		void *out = NULL;
		struct sb_filter_hdr hdr;
		r = sb_filter_reply(policy, NULL, getpid(), &m, len, &out, &outlen);
		good = EXPECT(r == 0) && EXPECT(outlen >= sizeof(hdr)) &&
		       EXPECT(outlen <= SB_MAX_FILTER_OUT);
		if (good) {
			memcpy(&hdr, out, sizeof(hdr));
			const uint8_t *insns = (const uint8_t *)out + sizeof(hdr);
			good = EXPECT(hdr.main_len == pr.nmain) &&
			       EXPECT(hdr.guard_len == pr.nguard) &&
			       EXPECT(outlen == sizeof(hdr) + (pr.nmain + pr.nguard) * 8) &&
			       EXPECT(memcmp(insns, pr.main, pr.nmain * 8) == 0) &&
			       EXPECT(memcmp(insns + pr.nmain * 8, pr.guard, pr.nguard * 8) == 0);
		}
		free(out);
		ok(good, "sb_filter_reply: header, then the main and the guard program");
	}

	/* 10: ASLR off for the asking process */
	{
		int up[2], down[2];
		struct filter_msg m;
		size_t len = make_msg(&m, libc.r, libc.n);
		char c;
		good = false;
		if (pipe(up) == 0 && pipe(down) == 0) {
			int fds[3] = { down[0], up[1], down[1] };
			fflush(stdout);
			pid_t pid = fork();
			if (pid == 0) {
				child_no_aslr(fds);
				_exit(0);
			}
			if (pid > 0 && read(up[0], &c, 1) == 1) {
				good = EXPECT(reply(policy, pid, &m, len) == -EOPNOTSUPP);
				close(down[1]);
				waitpid(pid, NULL, 0);
			}
			/* A process that is gone, or never was: no confirmation, no filter. */
			good = good && EXPECT(reply(policy, pid, &m, len) == -EOPNOTSUPP) &&
			       EXPECT(reply(policy, 0, &m, len) == -EOPNOTSUPP);
		}
		ok(good, "sb_filter_reply refuses a process without ASLR (ADDR_NO_RANDOMIZE)");
	}

	/* 11: sb_trap_arm */
	ok(in_child(child_arm, &pr), "sb_trap_arm: refuses bad arguments, takes the handler back, "
				     "arms the trap");

	/* 12-16: the preloaded runtime, against a real broker loop */
	{
		struct probe_result res = run_probe(policy, NULL, false, true, false);
		diag("probe", res.out);
		diag("stderr", res.err);
		ok(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0 &&
			   strcmp(res.out, "armed=1 libc=13 inline=0 granted=0\n") == 0 &&
			   res.err[0] == 0,
		   "preload: armed; libc's open goes to the broker (denied), the program's own "
		   "to the kernel; granted files open");

		res = run_probe(policy, NULL, true, true, false);
		diag("probe", res.out);
		diag("stderr", res.err);
		ok(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0 &&
			   strcmp(res.out, "armed=0 libc=0 inline=0 granted=0\n") == 0 &&
			   strstr(res.err, "not armed") && strstr(res.err, "not supported"),
		   "preload: without ASLR the broker refuses; the program runs, one debug line");

		res = run_probe(policy, "1x", false, true, false);
		diag("probe", res.out);
		diag("stderr", res.err);
		ok(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0 &&
			   strcmp(res.out, "armed=0 libc=0 inline=0 granted=0\n") == 0 &&
			   strstr(res.err, "SYSBROKER_FD"),
		   "preload: an invalid SYSBROKER_FD leaves the program alone");

		res = run_probe(policy, "100:1", false, true, false);
		diag("probe", res.out);
		diag("stderr", res.err);
		ok(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0 &&
			   strcmp(res.out, "armed=0 libc=0 inline=0 granted=0\n") == 0 &&
			   strstr(res.err, "SYSBROKER_FD"),
		   "preload: a socket that is not the broker's (another inode) is left alone");

		res = run_probe(policy, "101", false, false, false);
		diag("probe", res.out);
		diag("stderr", res.err);
		ok(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0 &&
			   strcmp(res.out, "armed=0 libc=0 inline=0 granted=0\n") == 0 &&
			   res.err[0] == 0,
		   "preload: a descriptor that is not a socket leaves it alone, silently");

		res = run_probe(policy, NULL, false, true, true);
		diag("probe", res.out);
		diag("stderr", res.err);
		ok(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0 &&
			   strcmp(res.out, "armed=0 libc=0 inline=0 granted=0\n") == 0 &&
			   strstr(res.err, "SIGSYS is blocked"),
		   "preload: started with SIGSYS blocked, it does not arm (a trap would kill)");
	}

	/* 17: the handler's checked exec (sb_trap_enter) passes on the program's signal mask */
	{
		char ptext[PATH_MAX + 256];
		snprintf(ptext, sizeof(ptext),
			 "sysbroker-policy 1\n"
			 "default syscall deny errno ENOSYS nolog\n"
			 "allow @default-runtime @process @signal @memory\n"
			 "path \"%s\" exec\n",
			 sigmask_probe);
		struct sb_policy *ep = load_policy(ptext);
		struct sb_broker *b = NULL;
		int sv[2], st = -1;
		good = false;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0) {
			struct trap_exec a = { ep, sv[1] };
			fflush(stdout);
			pid_t pid = fork();
			if (pid == 0) {
				close(sv[0]);
				child_trap_exec(&a);
			}
			close(sv[1]);
			if (sb_broker_new(ep, -1, &b) == 0 && sb_broker_add_control(b, sv[0]) == 0)
				sb_broker_run(b);
			sb_broker_free(b);
			good = pid > 0 && waitpid(pid, &st, 0) == pid && EXPECT(WIFEXITED(st)) &&
			       EXPECT(WEXITSTATUS(st) == 0);
			if (!good)
				printf("# status 0x%x\n", st);
		}
		sb_policy_free(ep);
		ok(good, "sb_trap_enter: a checked exec gives the new image the program's signal "
			 "mask");
	}

	/*
	 * 18: a syscall the plan allows outright is decided on its number alone, with or without
	 * the kernel grants' prefix: the kernel caches it and runs no trap filter for it. Exactly
	 * the syscalls the body allows so: the scoping adds none and takes none away.
	 */
	{
		struct sb_trap_bodies cache = { 0 };
		struct progs a = { 0 };
		void *rep = NULL;
		size_t nrep = 0, nconst = 0;
		struct filter_msg m;
		size_t mlen = make_msg(&m, libc.r, libc.n);
		good = EXPECT(sb_trap_programs(policy, &cache, libc.r, libc.n, &a.main, &a.nmain,
					       &a.guard, &a.nguard) == 0) &&
		       EXPECT(cache.guarded && a.guard) &&
		       EXPECT(sb_filter_reply(policy, NULL, getpid(), &m, mlen, &rep, &nrep) ==
			      0) &&
		       EXPECT(sb_filter_add_kg(&rep, &nrep) == 0);
		struct sb_filter_hdr hdr = { 0 };
		if (good)
			memcpy(&hdr, rep, sizeof(hdr));
		const struct sock_filter *kg =
			(const struct sock_filter *)(void *)((uint8_t *)rep + sizeof(hdr));
		for (int nr = 0; good && nr < 1024; nr++) {
			bool body = const_allow(cache.main, cache.nmain, nr);
			nconst += body;
			good = EXPECT(const_allow(a.main, a.nmain, nr) == body) &&
			       EXPECT(const_allow(a.guard, a.nguard, nr) ==
				      const_allow(cache.guard, cache.nguard, nr)) &&
			       EXPECT(const_allow(kg, hdr.main_len, nr) ==
				      (body && nr != SYS_openat));
			if (!good)
				printf("# nr %d\n", nr);
		}
		/* And every answer is the old layout's: inside the text the body's, outside allow.
		 */
		srand(18);
		for (int i = 0; good && i < 200000; i++) {
			int nr = i < 2048 ? i / 2 : rand() % 1024;
			bool in = i < 2048 ? i % 2 : rand() % 2;
			uint64_t ip = in ? libc.r[0].start + (uint64_t)rand() % (libc.r[0].end -
										 libc.r[0].start)
					 : (uint64_t)rand() << 12;
			uint64_t v[] = { 0,   1,  AT_FDCWD,         O_RDONLY,
					 511, 77, (uint64_t)rand(), SB_KG_COOKIE };
			struct seccomp_data d = call(nr, ip, v[rand() % 8], v[rand() % 8],
						     v[rand() % 8], v[rand() % 8], v[rand() % 8]);
			for (size_t k = 0; k < libc.n; k++)
				in = in || (ip >= libc.r[k].start && ip < libc.r[k].end);
			struct run body = bpf_run(cache.main, cache.nmain, &d);
			struct run gbody = bpf_run(cache.guard, cache.nguard, &d);
			struct run sm = bpf_run(a.main, a.nmain, &d);
			struct run sg = bpf_run(a.guard, a.nguard, &d);
			good = EXPECT(!body.bad && !gbody.bad && !sm.bad && !sg.bad) &&
			       EXPECT(sm.ret == (in ? body.ret : SECCOMP_RET_ALLOW)) &&
			       EXPECT(sg.ret == (in ? gbody.ret : SECCOMP_RET_ALLOW));
			if (!good)
				printf("# nr %d ip 0x%llx\n", nr, (unsigned long long)ip);
		}
		const int hot[] = { SYS_getppid, SYS_read,  SYS_write, SYS_close,
				    SYS_fstat,   SYS_futex, SYS_mmap,  SYS_brk };
		for (size_t k = 0; good && k < sizeof(hot) / sizeof(hot[0]); k++) {
			good = EXPECT(const_allow(a.main, a.nmain, hot[k]) &&
				      const_allow(a.guard, a.nguard, hot[k]));
			if (!good)
				printf("# nr %d\n", hot[k]);
		}
		good = good && EXPECT(nconst > 100) &&
		       EXPECT(!const_allow(a.main, a.nmain, SYS_newfstatat)) &&
		       EXPECT(!const_allow(a.main, a.nmain, SYS_umask) ||
			      !const_allow(a.guard, a.nguard, SYS_umask));
		printf("# %zu syscalls decided on their number alone\n", nconst);
		free(rep);
		progs_free(&a);
		sb_trap_bodies_clear(&cache);
		ok(good, "a syscall the plan allows outright is decided on its number alone");
	}

	/*
	 * 21: every image of an exec chain stacks these programs, and the kernel caps a process's
	 * filters together (32768 instructions): scoping costs one range check, and two
	 * instructions per distinct answer, however many answers the plan has (a check per answer
	 * cost 8 each: with 120 errnos an exec chain ran out of room, for the trap path and for the
	 * program's own filters, at 17 images instead of 48). The answers stay the old layout's.
	 */
	{
		static const char *const denied[] = {
			"acct",        "swapon",        "swapoff",  "reboot",
			"sethostname", "setdomainname", "iopl",     "ioperm",
			"init_module", "delete_module", "quotactl", "syslog"
		};
		static const char *const errs[] = { "EPERM", "EROFS",  "EBUSY",  "ENODEV",
						    "EIO",   "ENXIO",  "E2BIG",  "ENOEXEC",
						    "EBADF", "ECHILD", "EAGAIN", "ENOMEM" };
		char t[4096];
		int o = snprintf(t, sizeof(t),
				 "sysbroker-policy 1\n"
				 "default syscall deny errno ENOSYS nolog\n"
				 "allow @default-runtime @process @signal @memory @ipc\n");
		for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
			o += snprintf(t + o, sizeof(t) - (size_t)o, "deny %s errno %s nolog\n",
				      denied[i], errs[i]);
		struct sb_policy *many = load_policy(t);
		const struct sb_text_range one[] = { { 0x7f0000000000ULL, 0x7f0000100000ULL } };
		struct sb_trap_bodies cache = { 0 };
		struct progs a = { 0 };
		good = EXPECT(sb_trap_programs(many, &cache, one, 1, &a.main, &a.nmain, &a.guard,
					       &a.nguard) == 0) &&
		       EXPECT(jumps_in_range(a.main, a.nmain));
		uint32_t seen[64];
		size_t nseen = 0;
		for (size_t i = 0; good && i < cache.nmain; i++) {
			const struct sock_filter *ins = &cache.main[i];
			if (BPF_CLASS(ins->code) != BPF_RET || ins->k == SECCOMP_RET_ALLOW)
				continue;
			size_t k = 0;
			while (k < nseen && seen[k] != ins->k)
				k++;
			if (k == nseen && nseen < 64)
				seen[nseen++] = ins->k;
		}
		printf("# %zu answers, body %zu, scoped %zu\n", nseen, cache.nmain, a.nmain);
		/* One piece: a check of 6 + 1, then A = X and the return. */
		good = good && EXPECT(nseen >= 12) &&
		       EXPECT(a.nmain <= cache.nmain + 2 * nseen + 9);
		srand(21);
		for (int i = 0; good && i < 100000; i++) {
			bool in = rand() % 2;
			uint64_t ip =
				in ? one[0].start + (uint64_t)rand() % (one[0].end - one[0].start)
				   : (uint64_t)rand() << 12;
			in = ip >= one[0].start && ip < one[0].end;
			struct seccomp_data d = call(rand() % 1024, ip, (uint64_t)rand() % 4,
						     (uint64_t)rand(), 0, 0, 0);
			struct run body = bpf_run(cache.main, cache.nmain, &d);
			struct run scoped = bpf_run(a.main, a.nmain, &d);
			good = EXPECT(!body.bad && !scoped.bad) &&
			       EXPECT(scoped.ret == (in ? body.ret : SECCOMP_RET_ALLOW));
			if (!good)
				printf("# nr %d ip 0x%llx\n", d.nr, (unsigned long long)ip);
		}
		progs_free(&a);
		sb_trap_bodies_clear(&cache);
		sb_policy_free(many);
		ok(good, "scoping costs one check and two instructions per answer");
	}

	progs_free(&pr);
	sb_policy_free(policy);
	sb_policy_free(logged);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	if (system(p) != 0)
		failures++;
	return failures ? 1 : 0;
}
