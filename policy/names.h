/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* names.c: the names the policy language knows. */
#pragma once

#include "policy.h"

/* names.c: syscalls, errno names, constants, groups, the brokered and dangerous sets. */
int sb_errno_from_name(const char *name);
const char *sb_errno_name(int err);
int sb_constant_lookup(const char *name, uint64_t *ret);
struct sb_group {
	const char *name; /* with the leading '@' */
	const char *description;
	const char *const *members;
};
const struct sb_group *sb_group_lookup(const char *name);
const struct sb_group *sb_groups(size_t *ret_n);

enum sb_brokered_kind sb_syscall_brokered(int nr);
/* The i-th brokered syscall name, NULL past the end. */
const char *sb_brokered_name(size_t i, enum sb_brokered_kind *ret_kind);
struct sb_dangerous {
	const char *name;
	int err;
	unsigned cond_arg;  /* with cond_mask != 0: only when (arg & cond_mask) != 0 */
	uint64_t cond_mask; /* 0: always */
};
const struct sb_dangerous *sb_dangerous(size_t *ret_n);
/* A socket option refused whatever the policy says (setsockopt, level and optname). */
struct sb_sockopt {
	int level, optname;
};
const struct sb_sockopt *sb_route_options(size_t *ret_n);
/* Whether this call sets one of them: setsockopt, its level and optname (low 32 bits). */
bool sb_route_option_matches(int nr, const uint64_t args[6]);
const char *sb_perm_name(uint32_t perm);
const char *sb_verdict_name(enum sb_verdict v);
