/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `limit RESOURCE VALUE`: a table of statements and the limits (or the error's place) they give. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "policy.h"

#define H "sysbroker-policy 1\n"
#define INF SB_RLIM_INFINITY

static const struct {
	const char *text;
	int resource;
	uint64_t soft, hard;
} good[] = {
	{ H "limit nofile 256\n", RLIMIT_NOFILE, 256, 256 },
	{ H "limit as 2G\n", RLIMIT_AS, 2ULL << 30, 2ULL << 30 },
	{ H "limit data 512M\n", RLIMIT_DATA, 512ULL << 20, 512ULL << 20 },
	{ H "limit stack 8192K\n", RLIMIT_STACK, 8ULL << 20, 8ULL << 20 },
	{ H "limit fsize 1T\n", RLIMIT_FSIZE, 1ULL << 40, 1ULL << 40 },
	{ H "limit cpu 60\n", RLIMIT_CPU, 60, 60 },
	{ H "limit cpu 2m\n", RLIMIT_CPU, 120, 120 },
	{ H "limit cpu 1h\n", RLIMIT_CPU, 3600, 3600 },
	{ H "limit cpu 5s\n", RLIMIT_CPU, 5, 5 },
	{ H "limit nproc 64\n", RLIMIT_NPROC, 64, 64 },
	{ H "limit core 0\n", RLIMIT_CORE, 0, 0 },
	{ H "limit memlock unlimited\n", RLIMIT_MEMLOCK, INF, INF },
	{ H "limit nofile 256:1024\n", RLIMIT_NOFILE, 256, 1024 },
	{ H "limit core 0:unlimited\n", RLIMIT_CORE, 0, INF },
	{ H "limit nice 40\n", RLIMIT_NICE, 40, 40 },
	/* The last one read wins. */
	{ H "limit nofile 10\nlimit nofile 20 # again\n", RLIMIT_NOFILE, 20, 20 },
};

static const struct {
	const char *text;
	unsigned line, col;
	const char *msg;
} bad[] = {
	{ H "limit nofiles 3\n", 2, 7, "unknown resource 'nofiles'" },
	{ H "limit\n", 2, 1, "expected 'limit RESOURCE VALUE'" },
	{ H "limit nofile\n", 2, 7, "expected 'limit RESOURCE VALUE'" },
	{ H "limit nofile 3 4\n", 2, 16, "expected end of line" },
	{ H "limit as 2Q\n", 2, 10, "invalid value '2Q' for as" },
	{ H "limit nofile 2K\n", 2, 14, "invalid value '2K' for nofile" },
	{ H "limit cpu 1G\n", 2, 11, "invalid value '1G' for cpu" },
	{ H "limit cpu -1\n", 2, 11, "invalid value" },
	{ H "limit as 99999999999T\n", 2, 10, "invalid value" },
	{ H "limit nofile 5:3\n", 2, 14, "soft limit of nofile is above its hard limit" },
	{ H "limit nofile 5:\n", 2, 14, "invalid value" },
	{ H "limit nice 41\n", 2, 12, "out of range for nice" },
	{ H "limit nofile unlimited\n", 2, 14, "out of range for nofile" },
};

static void test_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct sb_policy *p = NULL;
		struct sb_policy_error e;
		if (sb_policy_load_string(good[i].text, strlen(good[i].text), "t.policy", &p, &e) <
		    0)
			fail_msg("case %zu: %s:%u:%u: %s", i, e.file, e.line, e.column, e.message);
		const struct sb_rlimit *l = &p->rlimits[good[i].resource];
		assert_true(l->set);
		assert_int_equal(l->soft, good[i].soft);
		assert_int_equal(l->hard, good[i].hard);
		assert_string_equal(l->file, "t.policy");
		for (int r = 0; r < SB_RLIMIT_COUNT; r++)
			assert_true(r == good[i].resource || !p->rlimits[r].set);
		sb_policy_free(p);
	}
}

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sb_policy *p = NULL;
		struct sb_policy_error e;
		int r = sb_policy_load_string(bad[i].text, strlen(bad[i].text), "t.policy", &p, &e);
		if (r >= 0 || e.line != bad[i].line || e.column != bad[i].col ||
		    !strstr(e.message, bad[i].msg))
			fail_msg("case %zu %s: got r=%d %u:%u: %s; want %u:%u: %s", i, bad[i].text,
				 r, e.line, e.column, e.message, bad[i].line, bad[i].col,
				 bad[i].msg);
		assert_null(p);
	}
}

/* The command line's words (run --limit) go through the same parser. */
static void test_format(void **state)
{
	(void)state;
	struct sb_rlimit l[SB_RLIMIT_COUNT] = { 0 };
	char why[256], buf[32];
	bool bad_value;
	assert_int_equal(sb_rlimit_parse("as", "3072M", l, why, sizeof(why), &bad_value),
			 RLIMIT_AS);
	sb_rlimit_format(RLIMIT_AS, l[RLIMIT_AS].soft, buf, sizeof(buf));
	assert_string_equal(buf, "3G");
	sb_rlimit_format(RLIMIT_CPU, 90, buf, sizeof(buf));
	assert_string_equal(buf, "90s");
	sb_rlimit_format(RLIMIT_NOFILE, INF, buf, sizeof(buf));
	assert_string_equal(buf, "unlimited");
	assert_int_equal(sb_rlimit_parse("bogus", "1", l, why, sizeof(why), &bad_value), -EINVAL);
	assert_false(bad_value);
	assert_string_equal(sb_rlimit_name(RLIMIT_NPROC), "nproc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
