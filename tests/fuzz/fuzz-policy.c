/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the policy parser, the built-in rules, the compiler (sb_policy_finalize
 * builds the kernel plan), and the evaluator on what came out. Includes are refused (no include
 * callback), so a run never reads a file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "compile.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_policy *p = sb_policy_new();
	struct sb_policy_error err;
	if (!p)
		return 0;
	if (sb_parse_buffer(p, (const char *)data, size, "fuzz", 0, NULL, NULL, &err) == 0 &&
	    sb_policy_finalize(p, &err) == 0) {
		static const char *const paths[] = { "/", "/etc/passwd", "/srv/data/a/b.txt",
						     "/tmp/x", "/proc/self/mem" };
		struct sb_decision d;
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			for (uint32_t perm = 1; perm <= SB_PERM_LIST; perm <<= 1)
				sb_policy_eval_path(p, paths[i], perm, &d);
		const uint64_t args[6] = { 0, 1, 2, 0x6, UINT64_MAX, 0x80000 };
		for (int nr = 0; nr < 460; nr += 7)
			sb_policy_eval_syscall(p, nr, args, &d);
		struct sb_net_target t = { .kind = SB_NET_TCP, .family = AF_INET, .port = 8080 };
		t.addr[0] = 127, t.addr[3] = 1;
		sb_policy_eval_net(p, SB_NET_CONNECT, &t, &d);
		struct sb_plan *plan = NULL;
		if (sb_plan_build_for(p, true, &plan) == 0)
			sb_plan_free(plan);
	}
	sb_policy_free(p);
	return 0;
}
