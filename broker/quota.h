/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The counters of `at most N` and `N per SECONDS`. One table per broker process, keyed by the
 * statement's key (sb_rule_common.key), so that a reloaded policy whose statement is unchanged
 * finds its count again. Only the broker's loop thread decides, so the table needs no lock.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* A table of counters; the broker owns one (dispatch.h). 0 or -ENOMEM. */
struct sb_limits;
int sb_limits_new(struct sb_limits **ret);
struct sb_limits *sb_limits_free(struct sb_limits *l);

/*
 * Count one call that the limited rule of d allows, in table t. Returns 0 when it is within every
 * limit of the rule (and counts it), or the errno for the caller (d->limit_err) when a limit is
 * reached (or t is NULL: nothing to count in), with the limit described in what ("at most 3", "2
 * per 10 seconds"); the call is then not counted. A decision without limits returns 0.
 */
int sb_limits_take_in(struct sb_limits *t, const struct sb_decision *d, char *what, size_t size);
