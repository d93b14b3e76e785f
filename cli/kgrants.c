/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `sysbroker run` and kernel grants: kgrants.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kaudit.h"
#include "kgcookie.h"
#include "kgrants.h"
#include "landlock.h"

#define ENVKEY "SYSBROKER_KGRANTS="

int kg_prepare(struct kgrants *kg, const struct sb_policy *policy, struct sock_fprog *main)
{
	kg->applied = -EOPNOTSUPP;
	kg->abi = sb_landlock_abi();
	int r = sb_kgrant_plan(policy, &kg->plan);
	if (r < 0)
		return r;
	if (kg->plan.n == 0) {
		if (!sb_kgrant_off(policy, kg->why, sizeof(kg->why)))
			snprintf(kg->why, sizeof(kg->why), "%s",
				 "the policy has no static read or list grant");
		return 0;
	}
	if (kg->abi < 0) {
		snprintf(kg->why, sizeof(kg->why), "Landlock is not available (%s)",
			 strerror(-kg->abi));
		return 0;
	}
	const struct sb_pathrule *why = NULL;
	r = sb_kg_exec_plan(policy, &kg->plan, &kg->exec, &why);
	if (r == -EOPNOTSUPP) {
		snprintf(kg->why, sizeof(kg->why),
			 "the exec rule %s (%s:%u) is a pattern outside every kernel read grant, "
			 "in a directory where new names can appear",
			 why->pattern, why->c.origin.file ? why->c.origin.file : "?",
			 why->c.origin.line);
		return 0;
	}
	if (r < 0)
		return r;
	if (main->len + SB_KG_PREFIX_LEN > BPF_MAXINSNS) {
		snprintf(kg->why, sizeof(kg->why), "the seccomp filter is too large");
		return 0;
	}
	struct sock_filter *f = calloc(main->len + SB_KG_PREFIX_LEN, sizeof(*f));
	if (!f)
		return -ENOMEM;
	/*
	 * While the kernel writes its Landlock records (the system's audit is on), a try the kernel
	 * refuses leaves a record of a denial the broker then overrules: "+k" keeps the runtime to
	 * the tries the plan's prefixes say can succeed (no relative names; trees that read and
	 * list).
	 */
	bool records = sb_kaudit_enabled() == 1;
	char *paths = sb_kg_paths(&kg->plan, &kg->exec, records);
	if (paths && asprintf(&kg->envvar, ENVKEY "%s%s", paths, records ? ":+k" : "") < 0)
		kg->envvar = NULL;
	free(paths);
	sb_kg_prefix(f);
	memcpy(f + SB_KG_PREFIX_LEN, main->filter, main->len * sizeof(*f));
	free(main->filter);
	main->filter = f;
	main->len = (unsigned short)(main->len + SB_KG_PREFIX_LEN);
	kg->prepared = true;
	return 0;
}

void kg_child(struct kgrants *kg, struct sock_fprog *main, char **envp, int pipe_w)
{
	char msg[32];
	int n = kg->prepared ? sb_landlock_apply(&kg->plan, &kg->exec, kg->abi) : -EOPNOTSUPP;
	if (kg->prepared && n < 0) {
		/*
		 * No domain: the prefix would let the program open what it likes. The program
		 * behind it is whole (its jumps are relative), so start past it.
		 */
		main->filter += SB_KG_PREFIX_LEN;
		main->len = (unsigned short)(main->len - SB_KG_PREFIX_LEN);
		for (char **e = envp; e && *e; e++)
			if (strncmp(*e, ENVKEY, sizeof(ENVKEY) - 1) == 0) {
				char **d = e;
				do
					d[0] = d[1];
				while (*++d);
				break;
			}
	}
	int k = snprintf(msg, sizeof(msg), "K%d", n);
	if (write(pipe_w, msg, (size_t)k + 1) < 0) {
		/* The launcher then counts no grants, and fails on the missing "L" report. */
	}
}

bool kg_on(const struct kgrants *kg, char *line, size_t size)
{
	if (kg->prepared && kg->applied > 0) {
		snprintf(line, size, "kernel grants: %d (Landlock ABI %d)", kg->applied, kg->abi);
		return true;
	}
	if (kg->prepared)
		snprintf(line, size, "no kernel grants: Landlock refused them (%s)",
			 kg->applied == -ENOENT ? "no grant path could be opened"
						: strerror(-kg->applied));
	else
		snprintf(line, size, "no kernel grants: %s", kg->why);
	return false;
}

void kg_free(struct kgrants *kg)
{
	sb_kgrant_plan_free(&kg->plan);
	sb_kgrant_plan_free(&kg->exec);
	free(kg->envvar);
	kg->envvar = NULL;
}
