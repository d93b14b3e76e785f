/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `sysbroker run` and capabilities: what this process holds decides what it keeps and what it
 * can do, never its uid (uid 0 in a container holds a subset, often without CAP_SETPCAP).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/capability.h>

struct sb_policy;

/* Whether the permitted set holds cap (what this process was given, raised or not). */
bool caps_held(cap_value_t cap);
/* Whether the permitted set holds nothing at all: the usual unprivileged user. */
bool caps_none_held(void);
/* Make the effective set the permitted set, so that what was given can be used. 0 or -errno. */
int caps_raise(void);
/*
 * Shrink the bounding set to keep[0..n). Returns 1 when done, 0 when it cannot be shrunk (no
 * CAP_SETPCAP: it stays as it is), -errno when a drop that was allowed failed.
 */
int caps_bound_to(const cap_value_t *keep, size_t n);
/*
 * Keep, in the permitted and effective sets, those of keep[0..n) that are held; the inheritable
 * and ambient sets end up empty. Returns 0 or -errno.
 */
int caps_keep(const cap_value_t *keep, size_t n);
/*
 * The run's refusals, before anything starts: NULL when this process can do what the options and
 * the policy ask for, else a one-line reason naming the capability it lacks (a static buffer).
 */
const char *caps_refusal(bool as_user, const struct sb_policy *policy);
