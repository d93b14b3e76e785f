/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the broker's policy evaluator costs per decision.
 *
 *     build/tests/bench/bench-eval POLICY PATH [ITERATIONS]
 *
 * a path decision and a syscall decision for a policy file and a path, averaged over many calls
 * (docs/performance.md compares the bundled policies with it), and
 *
 *     build/tests/bench/bench-eval --scale N MIX [RUNS]
 *
 * a generated policy of N path rules (MIX: literal, glob, mixed, or onedir: every rule a glob in
 * one directory), written as files of at most 1 MiB joined by include lines and loaded with
 * sb_policy_load_file: the load time, and ns per path decision over a cycle of paths that hit
 * and miss the rules, as median (min-max) of RUNS runs (default 5).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"

#define NQUERIES 64
#define RULES_PER_FILE 20000

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Rule i of a mix; directories hold 100 rules each. */
static void rule_text(const char *mix, long i, char *buf, size_t size)
{
	long d = i / 100;
	if (strcmp(mix, "onedir") == 0)
		snprintf(buf, size, "path /data/f%ld* read\n", i);
	else if (strcmp(mix, "literal") == 0 || (strcmp(mix, "mixed") == 0 && i % 2 == 0))
		snprintf(buf, size, "path /data/d%ld/f%ld read%s\n", d, i,
			 i % 7 == 0 ? " write" : "");
	else if (i % 3 == 0)
		snprintf(buf, size, "path /data/d%ld/f%ld* read\n", d, i);
	else if (i % 3 == 1)
		snprintf(buf, size, "path /data/d%ld/*.e%ld read write\n", d, i);
	else
		snprintf(buf, size, "path /data/d%ld/**/g%ld deny\n", d, i);
}

static int write_policy(const char *dir, long n, const char *mix, char *top, size_t size)
{
	long nfiles = (n + RULES_PER_FILE - 1) / RULES_PER_FILE;
	char name[4096], line[256];

	snprintf(top, size, "%s/top.policy", dir);
	FILE *t = fopen(top, "w");
	if (!t)
		return -errno;
	fprintf(t, "sysbroker-policy 1\npath /** stat\npath /usr/** read list\n");
	for (long f = 0; f < nfiles; f++) {
		snprintf(name, sizeof(name), "%s/part%ld.policy", dir, f);
		fprintf(t, "include %s\n", name);
		FILE *o = fopen(name, "w");
		if (!o)
			return -errno;
		fprintf(o, "sysbroker-policy 1\n");
		for (long i = f * RULES_PER_FILE; i < n && i < (f + 1) * RULES_PER_FILE; i++) {
			rule_text(mix, i, line, sizeof(line));
			fputs(line, o);
		}
		fclose(o);
	}
	fclose(t);
	return 0;
}

static void remove_policy(const char *dir, long n)
{
	char name[4096];
	for (long f = 0; f < (n + RULES_PER_FILE - 1) / RULES_PER_FILE; f++) {
		snprintf(name, sizeof(name), "%s/part%ld.policy", dir, f);
		unlink(name);
	}
	snprintf(name, sizeof(name), "%s/top.policy", dir);
	unlink(name);
	rmdir(dir);
}

/* Paths that hit a literal rule, a glob rule, a deny under "**", or nothing but /usr or /. */
static void make_queries(long n, char q[NQUERIES][128])
{
	unsigned s = 12345;
	for (int k = 0; k < NQUERIES; k++) {
		s = s * 1103515245u + 12345u;
		long i = n ? (long)(s >> 8) % n : 0, d = i / 100;
		switch (k % 4) {
		case 0:
			snprintf(q[k], 128, "/data/d%ld/f%ld", d, i);
			break;
		case 1:
			snprintf(q[k], 128, "/data/d%ld/x/y/g%ld", d, i);
			break;
		case 2:
			snprintf(q[k], 128, "/data/f%ld.txt", i);
			break;
		default:
			snprintf(q[k], 128, "/usr/lib/x86_64-linux-gnu/libc.so.%d", k);
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int scale(long n, const char *mix, int runs)
{
	char dir[] = "/tmp/bench-eval.XXXXXX", top[4200], q[NQUERIES][128];
	double load[32], dec[32];
	struct sb_decision d;

	if (!mkdtemp(dir) || write_policy(dir, n, mix, top, sizeof(top)) < 0) {
		perror("bench-eval: cannot write the policy");
		return 1;
	}
	make_queries(n, q);
	for (int r = 0; r < runs; r++) {
		struct sb_policy *p;
		struct sb_policy_error e;
		double t0 = now_ns();
		if (sb_policy_load_file(top, &p, &e) < 0) {
			fprintf(stderr, "%s:%u:%u: %s\n", e.file, e.line, e.column, e.message);
			remove_policy(dir, n);
			return 1;
		}
		double t1 = now_ns();
		/* About 0.1 s of decisions, at least one cycle. */
		long iters = NQUERIES;
		for (int k = 0; k < NQUERIES; k++)
			sb_policy_eval_path(p, q[k], SB_PERM_READ, &d);
		double probe = (now_ns() - t1) / NQUERIES;
		if (probe * (double)iters < 1e8)
			iters = (long)(1e8 / (probe + 1)) / NQUERIES * NQUERIES + NQUERIES;
		double t2 = now_ns();
		for (long i = 0; i < iters; i++)
			sb_policy_eval_path(p, q[i % NQUERIES], SB_PERM_READ, &d);
		double t3 = now_ns();
		load[r] = (t1 - t0) / 1e6;
		dec[r] = (t3 - t2) / (double)iters;
		sb_policy_free(p);
	}
	remove_policy(dir, n);
	qsort(load, (size_t)runs, sizeof(double), cmp_double);
	qsort(dec, (size_t)runs, sizeof(double), cmp_double);
	printf("%-8s %8ld rules: load %.1f ms (%.1f-%.1f), path %.0f ns (%.0f-%.0f) per decision, "
	       "median (min-max) of %d\n",
	       mix, n, load[runs / 2], load[0], load[runs - 1], dec[runs / 2], dec[0],
	       dec[runs - 1], runs);
	return 0;
}

static int one_policy(const char *file, const char *path, long n)
{
	struct sb_policy *p;
	struct sb_policy_error e;
	struct sb_decision d;
	uint64_t args[6] = { 0 };

	if (sb_policy_load_file(file, &p, &e) < 0) {
		fprintf(stderr, "%s:%u:%u: %s\n", e.file, e.line, e.column, e.message);
		return 1;
	}
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		sb_policy_eval_path(p, path, SB_PERM_READ, &d);
	double t1 = now_ns();
	for (long i = 0; i < n; i++)
		sb_policy_eval_syscall(p, SYS_newfstatat, args, &d);
	double t2 = now_ns();
	printf("%s: %zu path rules, %zu syscall rules; path %.0f ns, syscall %.0f ns per "
	       "decision\n",
	       file, p->npaths, p->nsys, (t1 - t0) / (double)n, (t2 - t1) / (double)n);
	sb_policy_free(p);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && argc <= 5 && strcmp(argv[1], "--scale") == 0) {
		long n = strtol(argv[2], NULL, 10);
		int runs = argc == 5 ? atoi(argv[4]) : 5;
		if (n < 0 || runs < 1 || runs > 32) {
			fprintf(stderr, "bench-eval: N must be >= 0 and RUNS within 1..32\n");
			return 2;
		}
		return scale(n, argv[3], runs);
	}
	if (argc < 3 || argc > 4 || argv[2][0] != '/') {
		fprintf(stderr, "usage: bench-eval POLICY /ABSOLUTE/PATH [ITERATIONS]\n"
				"       bench-eval --scale N literal|glob|mixed|onedir [RUNS]\n");
		return 2;
	}
	long n = argc == 4 ? strtol(argv[3], NULL, 10) : 200000;
	if (n < 1) {
		fprintf(stderr, "bench-eval: ITERATIONS must be positive\n");
		return 2;
	}
	return one_policy(argv[1], argv[2], n);
}
