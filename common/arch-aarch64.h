/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AArch64 register map for the SIGSYS handler: where a SECCOMP_RET_TRAP'd system call keeps its
 * number, arguments and return value in the signal frame. Include "arch.h", not this file.
 *
 * Only static inline accessors, no libc calls and no globals: safe in SIGSYS context.
 *
 * The number is in x8, the arguments in x0..x5, and x0 is also the return register. The entry
 * code (el0_svc_common() in arch/arm64/kernel/syscall.c) copies x0 into pt_regs->orig_x0
 * before anything can overwrite it, and the kernel's own view of the arguments,
 * syscall_get_arguments(), which populate_seccomp_data() uses to fill seccomp_data.args,
 * takes argument 0 from orig_x0 (arch/arm64/include/asm/syscall.h). orig_x0 is not part of
 * the signal frame, but nothing needs it: on SECCOMP_RET_TRAP, __seccomp_filter() first calls
 * syscall_rollback() ("Show the handler the original registers"), which on arm64 is
 * regs->regs[0] = regs->orig_x0, and only then forces SIGSYS (kernel/seccomp.c). So in the
 * frame regs[0] is the original first argument, not -ENOSYS (the entry code writes -ENOSYS
 * into x0 only for the number -1, NO_SYSCALL, which the BPF filter never sees as a real call).
 * Chromium reads all six arguments straight from regs[0]..regs[5] and the number from regs[8]
 * (SECCOMP_PARM1..6 and SECCOMP_SYSCALL in sandbox/linux/bpf_dsl/seccomp_macros.h, used by
 * Trap::SigSys() in sandbox/linux/seccomp-bpf/trap.cc); so do we.
 *
 * The map is valid only when sb_si_arch() == SB_AUDIT_ARCH: an AArch32 (compat) task reports
 * AUDIT_ARCH_ARM, with the number in r7.
 */
#pragma once

#include <linux/audit.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ucontext.h>
#include <ucontext.h>

#include "arch-siginfo.h"

#define SB_AUDIT_ARCH AUDIT_ARCH_AARCH64

/* x8. The handler acts on sb_si_syscall(); this is for a consistency check. */
static inline long sb_uc_syscall_nr(const ucontext_t *uc)
{
	return (long)uc->uc_mcontext.regs[8];
}

/* Argument i (0..5): x0..x5, x0 being the original argument (see above). 0 for i > 5. */
static inline uint64_t sb_uc_arg(const ucontext_t *uc, unsigned i)
{
	return i <= 5 ? (uint64_t)uc->uc_mcontext.regs[i] : 0;
}

/* What the interrupted system call returns once the handler returns: a value or -errno. */
static inline void sb_uc_set_return(ucontext_t *uc, long ret)
{
	uc->uc_mcontext.regs[0] = (uint64_t)ret;
}

/* The program counter (just after the svc instruction), for diagnostics. */
static inline uint64_t sb_uc_ip(const ucontext_t *uc)
{
	return (uint64_t)uc->uc_mcontext.pc;
}

/* A spinning thread's pause between two looks at shared memory. */
static inline void sb_cpu_relax(void)
{
	__asm__ __volatile__("yield" ::: "memory");
}
