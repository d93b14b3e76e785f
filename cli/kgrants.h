/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `sysbroker run` and kernel grants (docs/design.md, "Kernel grants"): the plan made in the
 * launcher, applied by the sandbox's first process before its filters load, reported back and
 * logged once.
 */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>

#include "kgrant.h"

struct kgrants {
	struct sb_kgrant_plan plan;
	struct sb_kgrant_plan exec; /* exec rules' files the domain must let the kernel read */
	int abi;                    /* Landlock's ABI, or -errno */
	bool prepared;              /* the base filter starts with the direct try's prefix */
	char *envvar;               /* SYSBROKER_KGRANTS=...: the runtime's hint, or NULL */
	int applied;   /* the first process's report: rules in force (> 0), or -errno */
	char why[200]; /* why there are none, when there are none */
};

/*
 * The launcher: the plan for policy and, when Landlock can enforce it, the prefix in front of
 * the base program main (the first process drops it again if applying fails). Never fails the
 * run: without grants everything is brokered as before. Returns 0 or -ENOMEM.
 */
int kg_prepare(struct kgrants *kg, const struct sb_policy *policy, struct sock_fprog *main);
/*
 * The first process, after no_new_privs and before its filters: restrict itself, or take the
 * prefix off main and the hint out of envp. Reports "K<n>" on pipe_w (n as kg->applied).
 */
void kg_child(struct kgrants *kg, struct sock_fprog *main, char **envp, int pipe_w);
/* The launcher, after the report: whether grants are in force; the one line for the log. */
bool kg_on(const struct kgrants *kg, char *line, size_t size);
void kg_free(struct kgrants *kg);
