/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* glob.c: path globs. */
#pragma once

#include "policy.h"

/* glob.c */
bool sb_glob_match(const char *pattern, const char *path);
/* A cheap test that can only say no: false when pattern (ranked as r) cannot match path. */
bool sb_glob_could_match(const char *pattern, const struct sb_glob_rank *r, const char *path);
/*
 * Whether pattern could match path or some path beneath it: false only when no such path can
 * match (kernel grants, kgrant.c, ask which rules reach into a tree).
 */
bool sb_glob_could_match_beneath(const char *pattern, const char *path);
/* '*' and '?' over the whole string, '/' not special (abstract socket names). */
bool sb_glob_match_flat(const char *pattern, const char *name);
struct sb_glob_rank sb_glob_specificity(const char *pattern);
/* Whether pattern starts with the component /proc/self or /proc/thread-self (enum sb_proc_self). */
enum sb_proc_self sb_glob_proc_self(const char *pattern);
int sb_glob_compare(const struct sb_glob_rank *a, const struct sb_glob_rank *b);
