/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rule index changes no decision. Random policies (literal and glob path rules of every
 * kind the language has, deny exceptions, permission sets, limits, log, /proc/self and
 * /proc/thread-self rules, layers, rules appended after the index was built; syscall rules with
 * conditions) and random canonical paths: the indexed evaluator must return exactly what the
 * linear evaluator it replaced returns, kept below as the reference. One fixed seed, then one
 * random seed per run, printed (SB_INDEX_SEED=N repeats a run).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <cmocka.h>

#include "compile.h"
#include "macro.h"
#include "policy.h"
#include "views.h"

/* ---- The reference: the linear path evaluator as it was before the index. ---- */

static void ref_from_default(const struct sb_default *def, struct sb_decision *d)
{
	*d = (struct sb_decision){
		.verdict = def->verdict,
		.err = def->verdict == SB_DENY ? def->err : 0,
		.log = def->log,
		.origin = def->origin.file ? &def->origin : NULL,
		.rule_id = -1,
	};
}

static void ref_path_one(const struct sb_policy *p, const struct views *v, uint32_t perm,
			 struct sb_decision *ret)
{
	const struct sb_pathrule *best = NULL;
	for (size_t i = 0; i < p->npaths; i++) {
		const struct sb_pathrule *r = &p->paths[i];
		if (!path_rule_matches(r, v))
			continue;
		if (!best) {
			best = r;
			continue;
		}
		int c = sb_glob_compare(&r->rank, &best->rank);
		if (c > 0 || (c == 0 && r->c.seq > best->c.seq))
			best = r;
	}
	if (!best) {
		ref_from_default(&p->def_path, ret);
		return;
	}
	const struct sb_rule_common *c = &best->c;
	bool limited = c->limit.at_most || c->limit.rate_n;
	*ret = (struct sb_decision){
		.verdict = c->verdict,
		.err = c->verdict == SB_DENY ? c->err : 0,
		.log = c->log,
		.origin = &c->origin,
		.limit = limited ? &c->limit : NULL,
		.limit_err = limited ? c->err : 0,
		.key = c->key,
		.rule_id = (int)c->id,
	};
	if (c->verdict == SB_ALLOW && (best->perms & perm) != perm) {
		ret->verdict = SB_DENY;
		ret->err = EACCES;
		ret->log = true;
		ret->limit = NULL;
	}
}

static int severity(enum sb_verdict v)
{
	return v == SB_ALLOW ? 0 : v == SB_BROKER ? 1 : v == SB_DENY ? 2 : 3;
}

static void ref_path(const struct sb_policy *p, const struct sb_caller *who, const char *path,
		     uint32_t perm, struct sb_decision *ret)
{
	struct views v;
	make_views(who, path, &v);
	ref_path_one(p, &v, perm, ret);
	for (const struct sb_policy *l = p->next; l; l = l->next) {
		struct sb_decision d;
		ref_path_one(l, &v, perm, &d);
		bool log = ret->log || d.log;
		if (severity(d.verdict) >= severity(ret->verdict))
			*ret = d;
		ret->log = log;
	}
}

/* ---- Random policies and paths. ---- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)((rng_state >> 11) % n);
}

static const char *const names[] = { "a",    "b",    "ab",   "usr",   "lib",   "x.so",
				     "proc", "self", "1234", "task",  "5678",  "status",
				     "fd",   "ba",   "abc",  "lib64", "x.sox", "thread-self" };
static const char *const wilds[] = { "*",  "**",  "?",   "a*", "*b",  "a?b", "*.so",
				     "x*", "*a*", "ab*", "?b", "li*", "*64", "**" };

static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
}

static void random_pattern(char *buf, size_t size)
{
	buf[0] = 0;
	unsigned r = rnd(10);
	if (r == 0)
		append(buf, size, "/proc/self");
	else if (r == 1)
		append(buf, size, "/proc/thread-self");
	unsigned n = rnd(6);
	if (n == 0 && !buf[0]) {
		append(buf, size, "/");
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		bool wild = rnd(3) == 0;
		append(buf, size, "/%s",
		       wild ? wilds[rnd(ELEMENTSOF(wilds))] : names[rnd(ELEMENTSOF(names))]);
	}
}

static void random_rule(char *buf, size_t size)
{
	static const char *const perms[] = { "read", "write", "create", "delete",
					     "exec", "list",  "stat" };
	char pat[512];
	random_pattern(pat, sizeof(pat));
	snprintf(buf, size, "path %s", pat);
	if (rnd(4) == 0) {
		append(buf, size, " deny");
		if (rnd(2))
			append(buf, size, " errno %s", rnd(2) ? "ENOENT" : "EPERM");
	} else {
		unsigned k = 1 + rnd(3);
		for (unsigned i = 0; i < k; i++)
			append(buf, size, " %s", perms[rnd(ELEMENTSOF(perms))]);
		unsigned m = rnd(6);
		if (m == 0)
			append(buf, size, " at most %u", 1 + rnd(9));
		else if (m == 1)
			append(buf, size, " at most 5 errno EMFILE");
		else if (m == 2)
			append(buf, size,
			       rnd(2) ? " 3 per 1 seconds" : " 4 per 2 seconds errno EBUSY");
	}
	unsigned l = rnd(5);
	if (l == 0)
		append(buf, size, " log");
	else if (l == 1)
		append(buf, size, " nolog");
	append(buf, size, "\n");
}

static void random_path(char *buf, size_t size)
{
	buf[0] = 0;
	unsigned r = rnd(4);
	if (r == 0)
		append(buf, size, "/proc/1234");
	else if (r == 1)
		append(buf, size, "/proc/1234/task/5678");
	unsigned n = rnd(7);
	if (n == 0 && !buf[0])
		append(buf, size, "/");
	for (unsigned i = 0; i < n; i++)
		append(buf, size, "/%s", names[rnd(ELEMENTSOF(names))]);
}

static struct sb_policy *random_policy(unsigned nrules)
{
	size_t size = 64 + (size_t)nrules * 160;
	char *text = malloc(size), line[700];
	assert_non_null(text);
	snprintf(text, size, "sysbroker-policy 1\n");
	if (rnd(2))
		append(text, size, "default path deny errno %s\n", rnd(2) ? "ENOENT" : "EACCES");
	for (unsigned i = 0; i < nrules; i++) {
		random_rule(line, sizeof(line));
		append(text, size, "%s", line);
	}
	struct sb_policy *p = NULL;
	struct sb_policy_error e;
	int r = sb_policy_load_string(text, strlen(text), "random.policy", &p, &e);
	if (r < 0)
		fprintf(stderr, "%s:%u:%u: %s\n", e.file, e.line, e.column, e.message);
	assert_int_equal(r, 0);
	assert_non_null(p->index);
	free(text);
	return p;
}

static unsigned long compared, by_rule;

static void assert_same(const struct sb_decision *a, const struct sb_decision *b, const char *what)
{
	if (a->verdict != b->verdict || a->err != b->err || a->log != b->log ||
	    a->builtin != b->builtin || a->origin != b->origin || a->limit != b->limit ||
	    a->limit_err != b->limit_err || a->key != b->key || a->rule_id != b->rule_id ||
	    a->runtime != b->runtime) {
		fprintf(stderr, "differs for %s: verdict %d/%d err %d/%d rule %d/%d log %d/%d\n",
			what, a->verdict, b->verdict, a->err, b->err, a->rule_id, b->rule_id,
			a->log, b->log);
		fail();
	}
	compared++;
	by_rule += a->rule_id >= 0;
}

static void check_paths(const struct sb_policy *p, unsigned npaths)
{
	static const struct sb_caller callers[] = { { 1234, 5678 }, { 1234, 999 }, { 77, 78 } };
	static const uint32_t perms[] = { SB_PERM_READ,  SB_PERM_STAT,
					  SB_PERM_WRITE, SB_PERM_READ | SB_PERM_WRITE,
					  SB_PERM_EXEC,  SB_PERM_LIST | SB_PERM_CREATE };
	char path[512];
	for (unsigned i = 0; i < npaths; i++) {
		random_path(path, sizeof(path));
		uint32_t perm = perms[rnd(ELEMENTSOF(perms))];
		for (int c = -1; c < (int)ELEMENTSOF(callers); c++) {
			const struct sb_caller *who = c < 0 ? NULL : &callers[c];
			struct sb_decision got, want;
			assert_int_equal(sb_policy_eval_path_as(p, who, path, perm, &got), 0);
			ref_path(p, who, path, perm, &want);
			assert_same(&got, &want, path);
		}
	}
}

static uint64_t seeds[2];

static void seed(unsigned k)
{
	rng_state = seeds[k] ? seeds[k] : 1;
}

static void run_paths(unsigned k)
{
	seed(k);
	for (unsigned round = 0; round < 150; round++) {
		/* Mostly small, some past the index's first hash table (1024 slots). */
		unsigned n = round % 25 == 0 ? 1500 + rnd(1500) : 1 + rnd(80);
		struct sb_policy *p = random_policy(n);
		check_paths(p, 60);
		/* Layers: each has its own index. */
		struct sb_policy *l = random_policy(1 + rnd(40));
		p->next = l;
		check_paths(p, 40);
		p->next = NULL;
		sb_policy_free(l);
		sb_policy_free(p);
	}
}

static void test_paths_fixed(void **state)
{
	(void)state;
	run_paths(0);
}

static void test_paths_random(void **state)
{
	(void)state;
	run_paths(1);
}

/* A rule appended after the index was built (as the launcher's runtime rule is) still counts. */
static void test_appended(void **state)
{
	(void)state;
	for (unsigned k = 0; k < 2; k++) {
		seed(k);
		for (unsigned round = 0; round < 40; round++) {
			struct sb_policy *p = random_policy(1 + rnd(60));
			for (unsigned extra = 1 + rnd(3); extra > 0; extra--) {
				char pat[512];
				random_pattern(pat, sizeof(pat));
				struct sb_pathrule *v =
					reallocarray(p->paths, p->npaths + 1, sizeof(*v));
				assert_non_null(v);
				p->paths = v;
				v[p->npaths++] = (struct sb_pathrule){
					.c = { .verdict = SB_ALLOW,
					       .id = p->nstatements,
					       .seq = p->nstatements },
					.pattern = strdup(pat),
					.perms = SB_PERM_READ | SB_PERM_STAT,
					.rank = sb_glob_specificity(pat),
					.self = sb_glob_proc_self(pat),
				};
				p->nstatements++;
			}
			check_paths(p, 60);
			sb_policy_free(p);
		}
	}
}

/* ---- Syscall rules: indexed against the same policy with its index taken away. ---- */

static void check_syscalls(struct sb_policy *p, const int *nrs, size_t nnrs)
{
	for (unsigned i = 0; i < 300; i++) {
		uint64_t args[6];
		for (int a = 0; a < 6; a++)
			args[a] = rnd(4);
		int nr = nrs[rnd((uint32_t)nnrs)];
		struct sb_decision got, want;
		assert_int_equal(sb_policy_eval_syscall(p, nr, args, &got), 0);
		struct sb_policy_index *x = p->index;
		p->index = NULL;
		assert_int_equal(sb_policy_eval_syscall(p, nr, args, &want), 0);
		p->index = x;
		assert_same(&got, &want, "syscall");
	}
}

static void test_syscalls(void **state)
{
	static const char *const sys[] = { "getpid",   "getppid", "ioctl",  "mmap",
					   "mprotect", "kill",    "dup",    "dup2",
					   "socket",   "clone",   "ptrace", "personality" };
	static const char *const ops[] = { "==", "!=", "<", ">=" };
	static const char *const verbs[] = { "allow", "deny", "kill" };
	int nrs[ELEMENTSOF(sys) + 2];
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(sys); i++)
		nrs[i] = sb_syscall_nr(sys[i]);
	nrs[ELEMENTSOF(sys)] = 5000; /* not a syscall */
	nrs[ELEMENTSOF(sys) + 1] = sb_syscall_nr("unshare");
	for (unsigned k = 0; k < 2; k++) {
		seed(k);
		for (unsigned round = 0; round < 60; round++) {
			char text[16384] = "sysbroker-policy 1\nallow @default-runtime\n";
			for (unsigned n = rnd(40); n > 0; n--) {
				append(text, sizeof(text), "%s %s", verbs[rnd(3)],
				       sys[rnd(ELEMENTSOF(sys))]);
				if (rnd(2))
					append(text, sizeof(text), " if arg%u %s %u", rnd(3),
					       ops[rnd(4)], rnd(4));
				append(text, sizeof(text), "\n");
			}
			struct sb_policy *p = NULL;
			struct sb_policy_error e;
			int r = sb_policy_load_string(text, strlen(text), "s.policy", &p, &e);
			if (r < 0)
				fprintf(stderr, "%s:%u: %s\n", e.file, e.line, e.message);
			assert_int_equal(r, 0);
			check_syscalls(p, nrs, ELEMENTSOF(nrs));
			/* A copy with the runtime's rules appended, as the broker evaluates. */
			struct sb_policy copy;
			struct sb_sysrule *rules = NULL;
			assert_true(sb_policy_with_runtime(p, rnd(2), &copy, &rules) >= 0);
			check_syscalls(&copy, nrs, ELEMENTSOF(nrs));
			free(rules);
			sb_policy_free(p);
		}
	}
}

/* The bounds that replaced 65536 rules: an error at the file and line of the first rule over. */
static void parse_many(const char *rule_fmt, size_t rules, unsigned want_line, const char *want)
{
	size_t size = 32 + rules * (strlen(rule_fmt) + 16);
	char *text = malloc(size);
	assert_non_null(text);
	size_t n = (size_t)snprintf(text, size, "sysbroker-policy 1\n");
	for (size_t i = 0; i < rules; i++)
		n += (size_t)snprintf(text + n, size - n, rule_fmt, i);
	struct sb_policy *p = sb_policy_new();
	struct sb_policy_error e;
	assert_non_null(p);
	assert_int_equal(sb_parse_buffer(p, text, n, "big.policy", 0, NULL, NULL, &e), -EINVAL);
	assert_string_equal(e.file, "big.policy");
	assert_int_equal(e.line, want_line);
	assert_non_null(strstr(e.message, want));
	sb_policy_free(p);
	free(text);
}

static void test_bounds(void **state)
{
	char fmt[4100] = "path /";
	(void)state;
	parse_many("path /a/b%zu read\n", (1u << 20) + 1, (1u << 20) + 2,
		   "too many rules (at most 1048576");
	/* 64 MiB of patterns of 4000 bytes: the 16774th is one too many. */
	memset(fmt + 6, 'x', 3994);
	strcpy(fmt + 6 + 3994, "%05zu read\n");
	parse_many(fmt, 16774, 16775, "patterns too long in total (at most 64 MiB)");
}

int main(void)
{
	const char *s = getenv("SB_INDEX_SEED");
	seeds[0] = 0x5eed5eedULL;
	if (s && *s)
		seeds[1] = strtoull(s, NULL, 0);
	else if (getrandom(&seeds[1], sizeof(seeds[1]), 0) != sizeof(seeds[1]))
		seeds[1] = 42;
	printf("# seeds: fixed %#llx, this run %#llx (SB_INDEX_SEED=%#llx repeats it)\n",
	       (unsigned long long)seeds[0], (unsigned long long)seeds[1],
	       (unsigned long long)seeds[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths_fixed), cmocka_unit_test(test_paths_random),
		cmocka_unit_test(test_appended),    cmocka_unit_test(test_syscalls),
		cmocka_unit_test(test_bounds),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	printf("# %lu decisions compared, %lu of them decided by a rule\n", compared, by_rule);
	return r;
}
