/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What siginfo says of a SECCOMP_RET_TRAP'd system call: the same fields on every architecture.
 * Included by each register map (arch-*.h); include "arch.h", not this file.
 */
#pragma once

#include <signal.h>
#include <stdint.h>

/* The system call number as the kernel saw it (seccomp_data.nr). */
static inline int sb_si_syscall(const siginfo_t *si)
{
	return si->si_syscall;
}

/* The AUDIT_ARCH_* of the calling convention used; compare with SB_AUDIT_ARCH first. */
static inline unsigned int sb_si_arch(const siginfo_t *si)
{
	return si->si_arch;
}

/* The address after the system call instruction: equals sb_uc_ip() for a seccomp trap. */
static inline uint64_t sb_si_call_addr(const siginfo_t *si)
{
	return (uint64_t)(uintptr_t)si->si_call_addr;
}
