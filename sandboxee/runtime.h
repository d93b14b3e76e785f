/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sandboxee's runtime: installing the trap path (not signal context). */
#pragma once

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>

#include "compile.h"
#include "policy.h"

/*
 * Enter trap mode in the calling (single-threaded) process: remember the control socket, install
 * the SIGSYS handler, set no_new_privs, and load the policy's filters with SECCOMP_RET_TRAP for
 * brokered calls, plus the runtime's own rules (talking to the broker). ctrl_fd is a
 * SOCK_SEQPACKET socket connected to the broker. Returns 0 or -errno; on failure nothing has
 * changed. -EOPNOTSUPP: the policy has a syscall whose arguments only the broker could judge and
 * that the trap transport cannot serve (see sysbroker check --explain, "broker evaluates").
 */
int sb_trap_enter(const struct sb_policy *policy, int ctrl_fd);

/* How to enter trap mode: sb_trap_enter's choices are every field false or zero but handler
 * and no_new_privs. */
struct sb_trap_opts {
	struct sb_runtime_mode mode; /* the runtime's own rules (for_trap is implied) */
	bool tsync;                  /* load for every thread (SECCOMP_FILTER_FLAG_TSYNC) */
	bool no_new_privs; /* set no_new_privs first (else the caller has CAP_SYS_ADMIN) */
	bool handler;      /* install the SIGSYS handler and the control socket */
};

/* The filters of one trap policy, and the policy the broker must decide by. */
struct sb_trap_filters {
	struct sock_fprog main; /* with the unknown-number prefix (sb_plan_program) */
	scmp_filter_ctx guard;  /* NULL when the plan needs none */
	struct sb_policy eff;   /* the policy plus the runtime's rules; points into it */
	struct sb_sysrule *eff_rules;
};

/*
 * Build everything that can fail without changing anything: the policy plus the runtime's rules,
 * its trap plan and filters. Returns 0, or -EOPNOTSUPP (as sb_trap_enter), -ENOMEM, or an error of
 * libseccomp. Release with sb_trap_filters_release().
 */
int sb_trap_build(const struct sb_policy *policy, const struct sb_trap_opts *o,
		  struct sb_trap_filters *ret);
/*
 * Install the handler (o->handler), set no_new_privs (o->no_new_privs) and load the guard filter,
 * then the main one. Returns 0 or -errno; on failure the handler and the control socket are put
 * back, while no_new_privs, and a guard filter loaded before the main one failed, stay.
 * With o->tsync, -ESRCH says that a thread could not be synchronised (it has a filter of its own).
 */
int sb_trap_install(const struct sb_trap_filters *f, int ctrl_fd, const struct sb_trap_opts *o);
void sb_trap_filters_release(struct sb_trap_filters *f);

/**
 * Arm the trap path with programs built elsewhere (by the broker, for the preloaded runtime):
 * install the SIGSYS handler (every signal blocked while it runs), remember the control socket,
 * then load the guard program (if any) and the main program with
 * seccomp(SECCOMP_SET_MODE_FILTER, 0), in that order: the main program may refuse seccomp(2)
 * itself. The caller has set no_new_privs (or holds CAP_SYS_ADMIN). The filters bind the calling
 * thread and the threads and processes it creates afterwards.
 *
 * @param ctrl_fd the SOCK_SEQPACKET control socket to the broker
 * @param main    the main program (non-empty)
 * @param guard   the guard program, or NULL (or empty) for none
 * @return 0, or -EINVAL (bad arguments), or the -errno of sigaction(2) or seccomp(2) (EACCES
 *         without no_new_privs, EINVAL for a program the kernel refuses, ENOMEM when the stack
 *         of filters would grow too long). On failure the handler is taken back and sb_ctrl_fd
 *         restored; a guard loaded before the main program failed stays, since filters cannot be
 *         removed (it only refuses what the policy refuses, but it may also refuse taking the
 *         handler back: then the handler stays, harmless without the main program).
 */
int sb_trap_arm(int ctrl_fd, const struct sock_fprog *main, const struct sock_fprog *guard);
