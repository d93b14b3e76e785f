/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sandboxee's runtime: installing the trap path (not signal context). */
#pragma once

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
