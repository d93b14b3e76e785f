/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

static void test_match(void **state)
{
	static const struct {
		const char *pattern, *path;
		bool match;
	} cases[] = {
		{ "/", "/", true },
		{ "/a", "/a", true },
		{ "/a", "/ab", false },
		{ "/a", "/a/b", false },
		{ "/a/*", "/a/b", true },
		{ "/a/*", "/a", false },
		{ "/a/*", "/a/b/c", false },
		{ "/a/*.c", "/a/x.c", true },
		{ "/a/*.c", "/a/.c", true },
		{ "/a/*.c", "/a/x.h", false },
		{ "/a/?", "/a/x", true },
		{ "/a/?", "/a/xy", false },
		{ "/a/**", "/a", true },
		{ "/a/**", "/a/b/c/d", true },
		{ "/a/**", "/ab", false },
		{ "/**", "/", true },
		{ "/**", "/etc/passwd", true },
		{ "/a/**/z", "/a/z", true },
		{ "/a/**/z", "/a/b/c/z", true },
		{ "/a/**/z", "/a/b/c/zz", false },
		{ "/a/**/b/**/c", "/a/x/b/y/c", true },
		{ "/a/**/b/**/c", "/a/b/c", true },
		{ "/a/**/b/**/c", "/a/c", false },
		{ "/*/*/x", "/p/q/x", true },
		{ "/a*b*c", "/aXXbYYc", true },
		{ "/a*b*c", "/aXXbYY", false },
		{ "relative", "/relative", false },
		{ "/a", "relative", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (sb_glob_match(cases[i].pattern, cases[i].path) != cases[i].match)
			fail_msg("%s vs %s: want %d", cases[i].pattern, cases[i].path,
				 cases[i].match);
}

/*
 * The evaluator skips a rule when sb_glob_could_match() says no: it must never say no to a path
 * the pattern matches (checked on every pattern against every path), and it should say no to
 * paths outside the pattern's literal directory.
 */
static void test_could_match(void **state)
{
	static const char *const patterns[] = {
		"/",
		"/a",
		"/a/",
		"/a//b",
		"//a/b",
		"/a/b/",
		"/a/*",
		"/a/**",
		"/a/**/z",
		"/**",
		"/a*b*c",
		"/usr/bin/python3*",
		"/usr/lib/python3*/**",
		"/*/*/x",
		"/a/?",
		"/a/b?/c",
		"/a/b/c",
		"/ab",
		"/a/b//",
		"/etc/hostname",
	};
	static const char *const paths[] = {
		"/",
		"/a",
		"/ab",
		"/a/b",
		"/a/b/c",
		"/a/z",
		"/a/x/z",
		"/aXbYc",
		"/usr/bin/python3",
		"/usr/bin/python3.11",
		"/usr/bin/python",
		"/usr/lib/python3.11/os.py",
		"/p/q/x",
		"/a/x",
		"/a/bq/c",
		"/etc/hostname",
		"/etc/hostnames",
		"/etc",
	};
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		struct sb_glob_rank r = sb_glob_specificity(patterns[i]);
		for (size_t j = 0; j < sizeof(paths) / sizeof(paths[0]); j++)
			if (sb_glob_match(patterns[i], paths[j]) &&
			    !sb_glob_could_match(patterns[i], &r, paths[j]))
				fail_msg("%s matches %s but could_match says no", patterns[i],
					 paths[j]);
	}
	struct sb_glob_rank r = sb_glob_specificity("/etc/hostname");
	assert_false(sb_glob_could_match("/etc/hostname", &r, "/usr/lib/x"));
	assert_false(sb_glob_could_match("/etc/hostname", &r, "/etc/hostnames"));
	r = sb_glob_specificity("/usr/lib/python3*/**");
	assert_int_equal(r.prefix, strlen("/usr/lib"));
	assert_false(sb_glob_could_match("/usr/lib/python3*/**", &r, "/usr/libexec/x"));
	assert_true(sb_glob_could_match("/usr/lib/python3*/**", &r, "/usr/lib/python2/x"));
}

/* A hostile path against many "**" must stay fast (polynomial): this would hang otherwise. */
static void test_pathological(void **state)
{
	char path[PATH_MAX];
	size_t o = 0;
	while (o + 3 < sizeof(path) - 8) {
		path[o++] = '/';
		path[o++] = 'a';
	}
	path[o] = 0;
	for (int i = 0; i < 200; i++)
		assert_false(sb_glob_match("/**/**/**/**/**/**/**/**/**/**/**/**/b", path));
	assert_true(sb_glob_match("/**/**/**/**/**/**/**/**/**/**/**/**/a", path));
	char longp[PATH_MAX + 10];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	assert_false(sb_glob_match("/**", longp));
}

static void test_specificity(void **state)
{
	static const struct {
		const char *more, *less;
	} cases[] = {
		{ "/a", "/a/**" }, /* exact beats any wildcard */
		{ "/etc/shadow", "/etc/sh*" },
		{ "/a/b/*", "/a/*" }, /* more literal characters */
		{ "/a/*", "/a/**" },  /* same literals: fewer ** */
		{ "/a/x?", "/a/x*" }, /* equal: neither beats */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sb_glob_rank a = sb_glob_specificity(cases[i].more);
		struct sb_glob_rank b = sb_glob_specificity(cases[i].less);
		int want = i == 4 ? 0 : 1;
		assert_int_equal(sb_glob_compare(&a, &b), want);
		assert_int_equal(sb_glob_compare(&b, &a), -want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_pathological),
		cmocka_unit_test(test_could_match),
		cmocka_unit_test(test_specificity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
