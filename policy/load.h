/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* load.c: policy files, includes, built-in rules. */
#pragma once

#include "policy.h"

/* load.c */
struct sb_policy *sb_policy_new(void);
/* Adds the built-in rules and checks that the kernel plan compiles. */
int sb_policy_finalize(struct sb_policy *policy, struct sb_policy_error *err);
