/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The trap filter of one process of a `sysbroker run` sandbox, built by the broker for the
 * preloaded runtime (SB_REQ_FILTER): the policy's trap plan, scoped to the text of the process's
 * C library (docs/design.md, "The trap path under sysbroker run").
 */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "policy.h"
#include "protocol.h"

/*
 * The bodies of the trap programs for one policy, without the checks that scope them to a
 * process's text: they depend on the policy alone, so the broker keeps them for the next process
 * (building them takes libseccomp some 400 us). The owner clears them whenever its policy
 * changes (a reload, a layer); policy guards against a different one.
 */
struct sb_trap_bodies {
	const struct sb_policy *policy; /* whose bodies these are; NULL: none */
	struct sock_filter *main, *guard;
	size_t nmain, nguard;
	bool guarded; /* the policy has a guard program */
};
void sb_trap_bodies_clear(struct sb_trap_bodies *c);

/**
 * Build the trap programs of one process: the policy's trap plan plus the runtime's own rules, in
 * which brokered calls the trap transport serves return SECCOMP_RET_TRAP and every call only the
 * broker could judge but cannot serve over the trap is let through to the base (notify) filter;
 * every answer but SECCOMP_RET_ALLOW holds only for a call made inside the ranges, and any
 * other call is let through (SECCOMP_RET_ALLOW, so that the other filters on the stack decide
 * it). The instruction pointer is read only on the way to such an answer, so that a syscall the
 * plan allows outright stays one the kernel's action cache can skip the filter for.
 *
 * @param p          the policy
 * @param cache      the bodies kept from an earlier call (rebuilt if they are another
 *                   policy's), or NULL to build them for this call alone
 * @param r          1..SB_MAX_TEXT_RANGES ranges [start, end), SB_TEXT_ALIGN-aligned, each at
 *                   most SB_MAX_TEXT_SPAN long and ending at most at SB_MAX_TEXT_END
 * @param nr         number of ranges
 * @param ret_main   the main program (malloc'd, the caller frees it)
 * @param ret_main_len its number of instructions
 * @param ret_guard  the guard program (malloc'd), or NULL when the plan needs none; load it
 *                   first
 * @param ret_guard_len its number of instructions, 0 without a guard
 * @return 0, or -EINVAL (bad ranges), -E2BIG (a program longer than BPF_MAXINSNS), -ENOMEM, or
 *         an error of libseccomp or of writing and reading back its program (memfd).
 */
int sb_trap_programs(const struct sb_policy *p, struct sb_trap_bodies *cache,
		     const struct sb_text_range *r, size_t nr, struct sock_filter **ret_main,
		     size_t *ret_main_len, struct sock_filter **ret_guard, size_t *ret_guard_len);

/**
 * Answer one SB_REQ_FILTER request received on a process's channel.
 *
 * @param p      the policy
 * @param cache  the programs' bodies kept from the last request (sb_trap_programs), or NULL
 * @param pid    the sender, as the kernel vouched for it (SCM_CREDENTIALS)
 * @param msg    the whole message: struct sb_req and its ranges
 * @param len    its size in bytes
 * @param out    on success, the reply's payload (malloc'd; struct sb_filter_hdr, then the
 *               programs), to send after a struct sb_rep with ret 0 and outlen *outlen
 * @param outlen its size, at most SB_MAX_FILTER_OUT
 * @return 0; -EPROTO for a malformed request (wrong size, magic, version or type, a non-zero
 *         field that must be zero, 0 or more than SB_MAX_TEXT_RANGES ranges, a range that is
 *         empty, unaligned, too long or beyond user space); -EAFNOSUPPORT for another
 *         architecture; -EOPNOTSUPP when address-space randomization is off for that process
 *         (or cannot be confirmed), since a new image's C library would then land at the same
 *         address and trap before it has a handler; else an error of sb_trap_programs().
 */
/*
 * Put the kernel grants' prefix (common/kgcookie.h) in front of the main program of a reply of
 * sb_filter_reply, in place. Returns 0, or -E2BIG / -ENOMEM with the reply unchanged.
 */
int sb_filter_add_kg(void **reply, size_t *len);
int sb_filter_reply(const struct sb_policy *p, struct sb_trap_bodies *cache, pid_t pid,
		    const void *msg, size_t len, void **out, size_t *outlen);
