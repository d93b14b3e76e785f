/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * x86_64 register map for the SIGSYS handler: where a SECCOMP_RET_TRAP'd system call keeps its
 * number, arguments and return value in the signal frame. Include "arch.h", not this file.
 *
 * Only static inline accessors, no libc calls and no globals: safe in SIGSYS context.
 *
 * What the kernel leaves in the frame: on SECCOMP_RET_TRAP, __seccomp_filter() calls
 * syscall_rollback() ("Show the handler the original registers"), which on x86 is
 * regs->ax = regs->orig_ax, before it forces SIGSYS (kernel/seccomp.c,
 * arch/x86/include/asm/syscall.h). So at handler entry gregs[REG_RAX] holds the system call
 * number again, not -ENOSYS, and the argument registers are untouched. Chromium relies on
 * this: its Trap::SigSys() dies unless si_syscall == SECCOMP_SYSCALL(ctx), which is REG_RAX
 * (sandbox/linux/seccomp-bpf/trap.cc, sandbox/linux/bpf_dsl/seccomp_macros.h). seccomp(2)
 * only promises "an architecture-dependent value" in the return register, though, so the
 * number the handler acts on comes from siginfo (sb_si_syscall()); sb_uc_syscall_nr() is for
 * a Chromium-style consistency check only.
 *
 * The map is valid only when sb_si_arch() == SB_AUDIT_ARCH: an int 0x80 call from a 64-bit
 * task reports AUDIT_ARCH_I386 and passes its arguments in ebx, ecx, edx, esi, edi, ebp. An x32
 * call reports AUDIT_ARCH_X86_64 too, with __X32_SYSCALL_BIT set in the number; callers must
 * refuse those numbers rather than look them up.
 */
#pragma once

#include <linux/audit.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ucontext.h>
#include <ucontext.h>

#include "arch-siginfo.h"

#if !defined(REG_RDI)
#error "common/arch-x86_64.h needs _GNU_SOURCE for the REG_* register names"
#endif

#define SB_AUDIT_ARCH AUDIT_ARCH_X86_64

/* rax after syscall_rollback(): the number again. Cross-check only; see the top comment. */
static inline long sb_uc_syscall_nr(const ucontext_t *uc)
{
	return (long)uc->uc_mcontext.gregs[REG_RAX];
}

/*
 * Argument i (0..5) in the x86_64 system call convention: rdi, rsi, rdx, r10, r8, r9 (r10, not
 * the function-call rcx, which the syscall instruction overwrites with the return address).
 * Returns 0 for i > 5.
 */
static inline uint64_t sb_uc_arg(const ucontext_t *uc, unsigned i)
{
	const greg_t *g = uc->uc_mcontext.gregs;

	switch (i) {
	case 0:
		return (uint64_t)g[REG_RDI];
	case 1:
		return (uint64_t)g[REG_RSI];
	case 2:
		return (uint64_t)g[REG_RDX];
	case 3:
		return (uint64_t)g[REG_R10];
	case 4:
		return (uint64_t)g[REG_R8];
	case 5:
		return (uint64_t)g[REG_R9];
	default:
		return 0;
	}
}

/* What the interrupted system call returns once the handler returns: a value or -errno. */
static inline void sb_uc_set_return(ucontext_t *uc, long ret)
{
	uc->uc_mcontext.gregs[REG_RAX] = (greg_t)ret;
}

/* The instruction pointer (just after the syscall instruction), for diagnostics. */
static inline uint64_t sb_uc_ip(const ucontext_t *uc)
{
	return (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
}

/* A spinning thread's pause between two looks at shared memory. */
static inline void sb_cpu_relax(void)
{
	__builtin_ia32_pause();
}
