/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * suggest.c: the rules `sysbroker audit --suggest` follows so that a suggested line never weakens
 * the sandbox: which argument a syscall's line must be conditioned on, which names are the random
 * temporaries of mkstemp(3), and whether a line, appended to the policy, would decide the call it
 * is for (or be outranked by a rule already there).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The argument a suggested `allow NAME` must carry a condition on, one line per value seen (clone's
 * flags, ioctl's request, socket's family, and the argument the built-in set looks at), or -1 for
 * a syscall allowed by name alone.
 */
int sb_suggest_cond_arg(const char *syscall);

/* v as a policy VALUE for syscall's argument: a constant where one is known, else hexadecimal. */
void sb_suggest_value(const char *syscall, uint64_t v, char *buf, size_t size);

/*
 * Whether path is a temporary file with a mkstemp-style random suffix in a temporary directory
 * (/tmp/ccTvkLMT.s): then *out gets the stable pattern's literal part (/tmp/cc), to which the
 * suggestion adds "*". The caller asks only for names the program created. need_random: the
 * suffix must also look random (an upper case letter or a digit); without, any name of that
 * shape, for a prefix that another name proved random.
 */
bool sb_suggest_temp_prefix(const char *path, bool need_random, char *out, size_t size);

struct sb_policy;

/* A policy file the suggestions are checked against (audit --policy). */
struct sb_suggest_base {
	char *text;
	size_t len;
	const char *name;
	struct sb_policy *policy; /* the file as loaded */
};

/* Read and load FILE once (errors as FILE:LINE:COL: error: ... into why). 0 or -errno. */
int sb_suggest_base_read(const char *file, struct sb_suggest_base *b, char *why, size_t whysize);
void sb_suggest_base_done(struct sb_suggest_base *b);

struct sb_policy;

/* One call a suggested line is for. */
struct sb_suggest_call {
	const char *path; /* a path call, as the log named it, or NULL for a syscall */
	long pid;         /* the caller (for /proc/PID paths) */
	uint32_t perms;   /* SB_PERM_* the path call needed */
	int nr;           /* a syscall */
	const uint64_t *args;
};

/*
 * Whether line, appended to the base policy, allows the call. Returns 1 it does, 0 it does not
 * (why: the rule that still decides, FILE:LINE or builtin or default), or -EINVAL when the policy
 * with the line does not load (why: the error).
 */
int sb_suggest_probe(const struct sb_suggest_base *b, const char *line,
		     const struct sb_suggest_call *c, char *why, size_t whysize);

/*
 * Whether the call was refused by a deny (or kill) rule of the policy rather than by a default:
 * then a suggested line would lift a rule someone wrote on purpose (runtime.policy's W^X, its
 * ioctl list). Decided on the base policy when there is one; else from the line rule (the log's
 * FILE:LINE) names, read from that file. by gets the rule. Returns 1, 0, or -1 when it cannot
 * tell.
 */
int sb_suggest_rule_denies(const struct sb_suggest_base *b, const char *rule,
			   const struct sb_suggest_call *c, char *by, size_t bysize);
