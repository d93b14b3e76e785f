/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rlimits.c: resource limits (`limit RESOURCE VALUE`, `sysbroker run --limit RES=VALUE`), set with
 * setrlimit(2) in the program's first process before it execs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Indexed by the RLIMIT_* number; RLIM_NLIMITS is 16 on every Linux architecture. */
#define SB_RLIMIT_COUNT 16
#define SB_RLIM_INFINITY UINT64_MAX

struct sb_rlimit {
	bool set;
	uint64_t soft, hard; /* SB_RLIM_INFINITY: unlimited */
	const char *file;    /* where it was written (a policy file), NULL: the command line */
	unsigned line;
};

/*
 * Parse RESOURCE and VALUE (N, N with a unit, `unlimited`, or SOFT:HARD) into ret[resource].
 * Returns the RLIMIT_* number, or -EINVAL with a one-line reason in why; *bad_value tells whether
 * the value (not the resource name) was wrong.
 */
int sb_rlimit_parse(const char *resource, const char *value, struct sb_rlimit *ret, char *why,
		    size_t whylen, bool *bad_value);
/* The policy's name of an RLIMIT_* number ("nofile"), or NULL. */
const char *sb_rlimit_name(int resource);
/* "256", "2G", "60s", "unlimited": the value as the policy could write it. */
void sb_rlimit_format(int resource, uint64_t v, char *buf, size_t size);
/*
 * setrlimit(2) for every set limit. Returns 0, or -errno with *ret_resource the limit that
 * failed. Async-signal-safe: for a child between fork and exec.
 */
int sb_rlimits_apply(const struct sb_rlimit *limits, int *ret_resource);
