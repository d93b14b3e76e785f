/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SIGSYS handler's entry: a seccomp trap is brokered (call.c), the broker's privilege-drop
 * signal drops this thread's privileges (dropcaps.c), anything else ends the process. Runs with
 * every signal blocked; errno is saved and restored around all of it.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <ucontext.h>

#include "arch.h"
#include "handler.h"
#include "raw.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp trap; only <asm-generic/siginfo.h> names it */
#endif

/* A seccomp trap: the syscall's registers in, its result out. */
static void trap(siginfo_t *si, ucontext_t *uc)
{
	uint64_t args[6];

	if (si->si_code != SYS_SECCOMP || si->si_arch != SB_AUDIT_ARCH)
		DIE("sysbroker: SIGSYS that is not a seccomp trap of this architecture\n");
	for (unsigned i = 0; i < 6; i++)
		args[i] = sb_uc_arg(uc, i);
	/* The first 64 bits of uc_sigmask are the kernel's sigset_t. */
	sb_uc_set_return(uc, sb_trap_call_masked(sb_si_syscall(si), args, &uc->uc_sigmask));
}

void sb_sigsys(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;

	if (sb_privdrop_requested(si))
		sb_privdrop_self();
	else
		trap(si, uc);
	errno = saved_errno;
}
