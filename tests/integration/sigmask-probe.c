/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program for exec tests that makes no system call but rt_sigprocmask and exit (see exit42.c
 * for why): exits 0 when neither SIGINT nor SIGSYS is blocked, 1 when one is, 2 when it cannot
 * tell. A checked exec runs from the SIGSYS handler, where every signal is blocked; the new image
 * must start with the program's own mask.
 */
#if defined(__x86_64__)
#define NR_RT_SIGPROCMASK 14
#define NR_EXIT_GROUP 231
__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start_c\n");
static long sys4(long nr, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
#define NR_RT_SIGPROCMASK 135
#define NR_EXIT_GROUP 94
__asm__(".globl _start\n_start:\n\tmov x0, sp\n\tbl start_c\n");
static long sys4(long nr, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}
#else
#error "sigmask-probe: unsupported architecture"
#endif

void start_c(long *sp);

void start_c(long *sp)
{
	unsigned long mask = ~0UL;
	const unsigned long watched = (1UL << (2 - 1)) | (1UL << (31 - 1)); /* SIGINT, SIGSYS */
	(void)sp;
	/* SIG_BLOCK (0) with no set: only read the mask. */
	long r = sys4(NR_RT_SIGPROCMASK, 0, 0, (long)&mask, sizeof(mask));
	sys4(NR_EXIT_GROUP, r != 0 ? 2 : (mask & watched) ? 1 : 0, 0, 0, 0);
	for (;;)
		;
}
