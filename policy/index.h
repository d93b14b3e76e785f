/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* index.c: the rule index the evaluator looks candidates up in. */
#pragma once

#include "policy.h"

/*
 * Built once per policy object (sb_policy_finalize), freed with it (sb_policy_free), read-only
 * after that. It covers the policy's first nsys syscall rules and first npaths path rules as they
 * were when it was built. Rules appended later (the runtime's and the launcher's rules, in
 * copies of the policy that keep the same first rules) are scanned one by one by the evaluator;
 * a policy whose covered rules are not those the index was built from is not indexed at all.
 */
struct sb_policy_index;

int sb_policy_index_build(struct sb_policy *p);
void sb_policy_index_free(struct sb_policy_index *x);

/*
 * The syscall rules of p that name nr, in policy order, as indexes into p->sys: *ret_n of them in
 * *ret, covering p->sys[0 .. *ret_covered). False when p has no usable index.
 */
bool sb_policy_index_sys(const struct sb_policy *p, int nr, const uint32_t **ret, size_t *ret_n,
			 size_t *ret_covered);

typedef void (*sb_index_visit_fn)(uint32_t rule, void *userdata);
/*
 * Calls visit for every path rule of p->paths[0 .. *ret_covered) whose pattern could match path
 * (a superset of those that do: the caller checks each), each once, in no defined order. False,
 * without a call, when p has no usable index.
 */
bool sb_policy_index_paths(const struct sb_policy *p, const char *path, sb_index_visit_fn visit,
			   void *userdata, size_t *ret_covered);
