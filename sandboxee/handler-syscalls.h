/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every syscall the SIGSYS handler makes: the raw syscalls of the files marked
 * async-signal-safe (sandboxee/ and the wire client, common/msg.*). The handler runs with SIGSYS
 * blocked, so a syscall of its own that a filter traps kills the process: each one must be let
 * through by the runtime's own kernel rules (policy/runtime.c) of every trap filter. The unit
 * test handler-syscalls checks both: that the handler makes no raw syscall missing here, and
 * that the runtime's rules allow every syscall listed. A new syscall in the handler lands here
 * and in policy/runtime.c together.
 */
#pragma once

#include <sys/syscall.h>

/* When the handler makes it, and so which rules must let it through. */
enum sb_handler_when {
	SB_HANDLER_TRAP,  /* on any trap: the rules of every trap filter */
	SB_HANDLER_EXEC,  /* only on a checked exec: sb_trap_enter's and sb_sandbox_enter's filters
			     (`sysbroker run` execs over notify) */
	SB_HANDLER_EMBED, /* only when sb_sandbox_enter's broker asks a thread to drop its
			     privileges */
	SB_HANDLER_DYING, /* only on the way out (DIE): if refused, the process dies all the same */
	SB_HANDLER_KGRANT, /* only under kernel grants: let through by their prefix
			      (common/kgcookie.h), never by a rule of the policy's chains */
	SB_HANDLER_NEVER,  /* in the wire client, never on the handler's path (see its reason) */
};

struct sb_handler_syscall {
	const char *name;
	long nr;
	enum sb_handler_when when;
	const char *why;
};

#define SB_HANDLER_SYSCALL(n, w, why)                                                              \
	{                                                                                          \
#n, SYS_##n, SB_HANDLER_##w, why                                                   \
	}
static const struct sb_handler_syscall sb_handler_syscalls[] = {
	SB_HANDLER_SYSCALL(sendto, TRAP, "a request: a plain send, no address"),
	SB_HANDLER_SYSCALL(recvmsg, TRAP, "a reply, with its fd"),
	SB_HANDLER_SYSCALL(close, TRAP, "an fd not kept, a channel of a dead thread"),
	SB_HANDLER_SYSCALL(gettid, TRAP, "whose channel this is"),
	SB_HANDLER_SYSCALL(getpid, TRAP, "whose caches these are (a vfork child's are not)"),
	SB_HANDLER_SYSCALL(fstat, TRAP, "an fd is still the channel that was recorded"),
	SB_HANDLER_SYSCALL(sched_yield, TRAP, "between polls while waiting"),
	SB_HANDLER_SYSCALL(tgkill, TRAP, "signal 0: is a thread still alive"),
	SB_HANDLER_SYSCALL(fchdir, TRAP, "chdir into the directory the broker checked"),
	SB_HANDLER_SYSCALL(fcntl, TRAP, "exec fd F_GETFD; F_SETFD, F_DUPFD_CLOEXEC of new fds"),
	SB_HANDLER_SYSCALL(dup3, EXEC, "the checked file onto the exec fd"),
	SB_HANDLER_SYSCALL(execveat, EXEC, "the checked exec"),
	SB_HANDLER_SYSCALL(rt_sigprocmask, TRAP, "the program's mask for the checked exec"),
	SB_HANDLER_SYSCALL(rt_sigreturn, TRAP, "leaving the handler (the C library's restorer)"),
	SB_HANDLER_SYSCALL(exit_group, TRAP, "DIE"),
	SB_HANDLER_SYSCALL(write, DYING, "DIE's message on stderr"),
	SB_HANDLER_SYSCALL(openat, KGRANT, "the direct try of a read-only open or stat"),
	SB_HANDLER_SYSCALL(prctl, EMBED, "bounding and ambient sets, no_new_privs"),
	SB_HANDLER_SYSCALL(capset, EMBED, "every other capability set"),
	SB_HANDLER_SYSCALL(sendmsg, NEVER,
			   "sb_msg_send with an fd or several buffers: broker only"),
};
#undef SB_HANDLER_SYSCALL
