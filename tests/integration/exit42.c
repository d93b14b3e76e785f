/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program for exec tests that makes no system call but exit: even a static glibc program asks
 * readlink("/proc/self/exe") at start-up, which is brokered, and after an exec the trap
 * transport's handler is gone (sysbroker run serves new images over notify). Exits 42 when its
 * only argument is "42", so the test also knows argv arrived.
 */
#if defined(__x86_64__)
__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start_c\n");
static void sys_exit(long code)
{
	__asm__ volatile("syscall" : : "a"(231L), "D"(code) : "rcx", "r11", "memory");
}
#elif defined(__aarch64__)
__asm__(".globl _start\n_start:\n\tmov x0, sp\n\tbl start_c\n");
static void sys_exit(long code)
{
	register long x0 __asm__("x0") = code;
	register long x8 __asm__("x8") = 94;
	__asm__ volatile("svc 0" : : "r"(x0), "r"(x8) : "memory");
}
#else
#error "exit42: unsupported architecture"
#endif

void start_c(long *sp);

void start_c(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	int ok = argc == 2 && argv[1][0] == '4' && argv[1][1] == '2' && argv[1][2] == 0;
	sys_exit(ok ? 42 : 1);
	for (;;)
		;
}
