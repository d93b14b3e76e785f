/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the broker's policy evaluator costs per decision: a path decision and a syscall decision,
 * for a policy file and a path, averaged over many calls.
 *
 *     build/tests/bench/bench-eval POLICY PATH [ITERATIONS]
 *
 * docs/performance.md compares the bundled policies with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>

#include "policy.h"

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	struct sb_policy *p;
	struct sb_policy_error e;
	struct sb_decision d;
	uint64_t args[6] = { 0 };

	if (argc < 3 || argc > 4 || argv[2][0] != '/') {
		fprintf(stderr, "usage: bench-eval POLICY /ABSOLUTE/PATH [ITERATIONS]\n");
		return 2;
	}
	long n = argc == 4 ? strtol(argv[3], NULL, 10) : 200000;
	if (n < 1) {
		fprintf(stderr, "bench-eval: ITERATIONS must be positive\n");
		return 2;
	}
	if (sb_policy_load_file(argv[1], &p, &e) < 0) {
		fprintf(stderr, "%s:%u:%u: %s\n", e.file, e.line, e.column, e.message);
		return 1;
	}
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		sb_policy_eval_path(p, argv[2], SB_PERM_READ, &d);
	double t1 = now_ns();
	for (long i = 0; i < n; i++)
		sb_policy_eval_syscall(p, SYS_newfstatat, args, &d);
	double t2 = now_ns();
	printf("%s: %zu path rules, %zu syscall rules; path %.0f ns, syscall %.0f ns per "
	       "decision\n",
	       argv[1], p->npaths, p->nsys, (t1 - t0) / (double)n, (t2 - t1) / (double)n);
	sb_policy_free(p);
	return 0;
}
