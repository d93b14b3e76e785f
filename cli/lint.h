/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `sysbroker check`'s warnings: rules of a valid policy that are probably a mistake. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "policy.h"

/*
 * Print one "FILE:LINE:COL: warning: MESSAGE" line on out for each rule of p that lifts a
 * built-in protection, allows clone, ioctl or socket without conditions, names a path whose
 * literal prefix does not exist, is outranked by a more specific rule that grants less, or is a
 * deny that changes nothing ("error" instead of "warning" when strict). Returns the number of
 * warnings, or -EIO when out could not be written.
 */
int sb_policy_lint(const struct sb_policy *p, bool strict, FILE *out);
