/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit log's repeat rule (broker/audit.c): a call's record identical to the one before it
 * is written at most SB_AUDIT_REPEAT times a second, the rest counted in a "suppressed" record
 * that names the call; a record that differs in any field is written, and every call is in a
 * record or a count. Records go to a real temporary file and are read back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"

struct counts {
	unsigned long written, suppressed, nsup, lines;
};

static void deny(struct sb_audit_log *l, pid_t pid, const char *path)
{
	static const struct sb_origin origin = { .file = "t.policy", .line = 3 };
	static struct sb_result res;
	struct sb_call call = { .nr = SYS_openat, .pid = pid, .transport = SB_TRANSPORT_TRAP };

	memset(&res, 0, sizeof(res));
	res.ret = -EACCES;
	res.fd = -1;
	res.decision = (struct sb_decision){
		.verdict = SB_DENY, .err = EACCES, .log = true, .origin = &origin, .rule_id = -1
	};
	res.perm = SB_PERM_READ;
	snprintf(res.path, sizeof(res.path), "%s", path);
	assert_int_equal(sb_audit_write(l, &call, &res), 0);
}

/* The records in f for path: call records written, and the counts of suppressed ones. */
static struct counts count(FILE *f, const char *path)
{
	struct counts c = { 0 };
	char line[8192], want[512];
	snprintf(want, sizeof(want), "\"path\":\"%s\"", path);
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		c.lines++;
		if (!strstr(line, want))
			continue;
		const char *n = strstr(line, "\"count\":");
		if (strstr(line, "\"decision\":\"suppressed\"") && n) {
			c.suppressed += strtoul(n + 8, NULL, 10);
			c.nsup++;
			assert_non_null(strstr(line, "\"syscall\":\"openat\""));
			assert_non_null(strstr(line, "\"rule\":\"t.policy:3\""));
		} else {
			c.written++;
		}
	}
	return c;
}

static FILE *open_log(struct sb_audit_log **l)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(sb_audit_log_new(fileno(f), l), 0);
	return f;
}

static void test_repeat_bounded(void **state)
{
	struct sb_audit_log *l = NULL;
	FILE *f = open_log(&l);
	for (int i = 0; i < 100000; i++)
		deny(l, 42, "/srv/secret");
	sb_audit_flush(l);
	struct counts c = count(f, "/srv/secret");
	/* 10 a second at most; the loop takes well under a minute. */
	assert_true(c.written >= SB_AUDIT_REPEAT && c.written <= SB_AUDIT_REPEAT * 60);
	assert_int_equal(c.written + c.suppressed, 100000);
	assert_true(c.nsup >= 1 && c.nsup <= 60);
	assert_true(c.lines <= 2 * SB_AUDIT_REPEAT * 60);
	sb_audit_log_unref(l);
	fclose(f);
}

static void test_different_records_written(void **state)
{
	struct sb_audit_log *l = NULL;
	FILE *f = open_log(&l);
	/* Alternating paths: no record is identical to the one before it, none is counted. */
	for (int i = 0; i < 100; i++)
		deny(l, 42, i % 2 ? "/srv/a" : "/srv/b");
	/* Another pid, another path: each has its record, even in the middle of a repeat. */
	for (int i = 0; i < 50; i++)
		deny(l, 42, "/srv/c");
	deny(l, 43, "/srv/c");
	deny(l, 42, "/srv/d");
	for (int i = 0; i < 50; i++)
		deny(l, 42, "/srv/c");
	sb_audit_flush(l);
	assert_int_equal(count(f, "/srv/a").written, 50);
	assert_int_equal(count(f, "/srv/b").written, 50);
	assert_int_equal(count(f, "/srv/d").written, 1);
	struct counts c = count(f, "/srv/c");
	assert_int_equal(c.written + c.suppressed, 101);
	assert_true(c.nsup >= 1);
	sb_audit_log_unref(l);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repeat_bounded),
		cmocka_unit_test(test_different_records_written),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
