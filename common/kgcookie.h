/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The direct read-only open of kernel grants (docs/design.md, "Kernel grants"). Where the
 * process's Landlock domain is in place, the handler first tries a read-only open itself:
 * openat(dirfd, path, flags, SB_KG_COOKIE). The cookie sits in the mode argument, which the
 * kernel ignores without O_CREAT or O_TMPFILE (fs/open.c, build_open_how: how.mode = 0 unless
 * WILL_CREATE). Every filter of such a process lets exactly that call through (the prefix
 * below, put in front of each program), so that Landlock alone decides it. The cookie is no
 * secret: a program that makes the call itself gets what Landlock grants, a subset of the
 * policy. So the prefix must only ever be loaded after landlock_restrict_self succeeded.
 */
#pragma once

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "arch.h"

/* The kernel's own O_TMPFILE bit (the C library's __O_TMPFILE includes O_DIRECTORY). */
#define SB_KG_O_TMPFILE_BIT 020000000

#define SB_KG_COOKIE 0x5b6b67c0011e5e7dULL
/*
 * The flags bits that must be clear besides a read-only access mode: each makes the broker ask
 * for more than read (O_CREAT, O_TRUNC and O_APPEND: write or create, whatever the access mode,
 * open_perms() in broker/executor.c) or makes an open Landlock does not check (O_PATH), where
 * Landlock checks the access mode alone.
 */
#define SB_KG_FLAGS_MASK (O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | O_PATH | SB_KG_O_TMPFILE_BIT)
#define SB_KG_PREFIX_LEN 12

/*
 * The prefix: openat with the cookie in arg3 (both words) and, in the low word of arg2, a
 * read-only access mode without O_CREAT, O_TRUNC, O_APPEND, O_PATH (Landlock does not check
 * O_PATH opens) or __O_TMPFILE -> allowed; anything else falls through to the program behind it.
 * Other architectures (x32 numbers carry a bit, so they differ from SYS_openat) fall through too.
 */
static inline void sb_kg_prefix(struct sock_filter out[SB_KG_PREFIX_LEN])
{
	const uint32_t a2 = (uint32_t)offsetof(struct seccomp_data, args[2]);
	const uint32_t a3 = (uint32_t)offsetof(struct seccomp_data, args[3]);
	const struct sock_filter p[SB_KG_PREFIX_LEN] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SB_AUDIT_ARCH, 0, 10),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 8),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, a3),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)SB_KG_COOKIE, 0, 6),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, a3 + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(SB_KG_COOKIE >> 32), 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, a2),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, SB_KG_FLAGS_MASK),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, O_RDONLY, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	for (size_t i = 0; i < SB_KG_PREFIX_LEN; i++)
		out[i] = p[i];
}

/*
 * The same test answering ret instead of allowing: a later filter layer stacked with it refuses
 * the cookie (SECCOMP_RET_ERRNO | EACCES), which outranks the first filter's allow.
 */
static inline void sb_kg_prefix_ret(struct sock_filter out[SB_KG_PREFIX_LEN], uint32_t ret)
{
	sb_kg_prefix(out);
	out[SB_KG_PREFIX_LEN - 1].k = ret;
}

/*
 * Every trapped call the handler's direct try may answer without the broker (sandboxee/direct.c
 * serves only these). The try never reads the policy's syscall rules, so a policy in which any
 * rule names one of them gets no kernel grants (sb_kgrant_ruled_call()): the try would pass over
 * a `deny newfstatat if ...` that the broker would apply.
 */
static const long sb_kg_direct_calls[] = {
	SYS_openat,     SYS_newfstatat, SYS_readlinkat, SYS_faccessat,
#ifdef SYS_faccessat2
	SYS_faccessat2,
#endif
#ifdef SYS_open
	SYS_open,       SYS_stat,       SYS_lstat,      SYS_readlink,  SYS_access,
#endif
};

static inline int sb_kg_direct_call(long nr)
{
	for (size_t i = 0; i < sizeof(sb_kg_direct_calls) / sizeof(sb_kg_direct_calls[0]); i++)
		if (sb_kg_direct_calls[i] == nr)
			return 1;
	return 0;
}

/* Whether prog starts with the prefix (the runtime checks the filter the broker sent). */
static inline int sb_kg_has_prefix(const struct sock_filter *prog, size_t len)
{
	struct sock_filter p[SB_KG_PREFIX_LEN];
	if (len < SB_KG_PREFIX_LEN)
		return 0;
	sb_kg_prefix(p);
	for (size_t i = 0; i < SB_KG_PREFIX_LEN; i++)
		if (p[i].code != prog[i].code || p[i].jt != prog[i].jt || p[i].jf != prog[i].jf ||
		    p[i].k != prog[i].k)
			return 0;
	return 1;
}
