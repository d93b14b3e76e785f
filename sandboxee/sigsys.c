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
#include <sys/syscall.h>
#include <ucontext.h>

#include "arch.h"
#include "handler.h"
#include "landlock.h"
#include "raw.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp trap; only <asm-generic/siginfo.h> names it */
#endif

/*
 * rt_sigprocmask from the C library's code (the trap filter of `sysbroker run` traps it): done
 * on the mask the kernel saved for the interrupted code (the first 64 bits of uc_sigmask, the
 * kernel's sigset_t), which sigreturn installs, never with SIGSYS in it. The C library blocks
 * every signal internally (posix_spawn's child runs its file actions so): a trap with SIGSYS
 * blocked would kill. As the kernel: SIGKILL and SIGSTOP stay unblocked, and a bad `how` is
 * refused (EINVAL, the old mask unwritten) only with a set. A bad non-NULL pointer faults here
 * instead of returning EFAULT, as for every call the handler serves.
 */
static long sigprocmask_on(ucontext_t *uc, const uint64_t args[6])
{
	const uint64_t keep =
		(1ULL << (SIGSYS - 1)) | (1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1));
	uint64_t cur, set;

	if (args[3] != sizeof(cur))
		return -EINVAL;
	sb_memcpy(&cur, &uc->uc_sigmask, sizeof(cur));
	if (args[1]) {
		sb_memcpy(&set, (const void *)(uintptr_t)args[1], sizeof(set));
		if (args[0] > SIG_SETMASK)
			return -EINVAL;
		uint64_t next = args[0] == SIG_BLOCK     ? cur | set
				: args[0] == SIG_UNBLOCK ? cur & ~set
							 : set;
		next &= ~keep;
		sb_memcpy(&uc->uc_sigmask, &next, sizeof(next));
	}
	if (args[2])
		sb_memcpy((void *)(uintptr_t)args[2], &cur, sizeof(cur));
	return 0;
}

/* A seccomp trap: the syscall's registers in, its result out. */
static void trap(siginfo_t *si, ucontext_t *uc)
{
	uint64_t args[6];

	if (si->si_code != SYS_SECCOMP || si->si_arch != SB_AUDIT_ARCH)
		DIE("sysbroker: SIGSYS that is not a seccomp trap of this architecture\n");
	for (unsigned i = 0; i < 6; i++)
		args[i] = sb_uc_arg(uc, i);
	if (sb_si_syscall(si) == SYS_rt_sigprocmask) {
		sb_uc_set_return(uc, sigprocmask_on(uc, args));
		return;
	}
	/* Under a kernel grant the kernel may answer it by itself (direct.c). */
	long v;
	if (sb_kg_try(sb_si_syscall(si), args, &v)) {
		sb_uc_set_return(uc, v);
		return;
	}
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
