/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `sysbroker audit` on a table of logs, good and broken: what it reports, what it suggests, and
 * which lines it skips (by number). The reader runs on real streams (fmemopen/open_memstream).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"
#include "macro.h"

#define R(fields) "{\"v\":2,\"time\":\"2024-05-01T10:00:00.000Z\"," fields "}\n"
#define DENY_OPEN(path, perm)                                                                      \
	R("\"pid\":7,\"exe\":\"/usr/bin/"                                                          \
	  "app\",\"argv0\":\"app\",\"syscall\":\"openat\",\"path\":\"" path "\",\"perm\":\"" perm  \
	  "\",\"perms\":\"" perm "\",\"decision\":\"deny\","                                       \
	  "\"errno\":\"EACCES\",\"rule\":\"default\",\"transport\":\"trap\"")

struct run {
	char *out, *err;
	unsigned long malformed;
	int feed;
};

static struct run audit(const char *log, const struct sb_audit_opts *o)
{
	struct run r = { 0 };
	size_t ol = 0, el = 0;
	FILE *in = fmemopen((void *)log, strlen(log), "r");
	FILE *out = open_memstream(&r.out, &ol), *err = open_memstream(&r.err, &el);
	struct sb_audit *a = NULL;
	assert_non_null(in);
	assert_int_equal(sb_audit_new(o, &a), 0);
	r.feed = sb_audit_feed(a, in, "log", err);
	assert_int_equal(sb_audit_report(a, out), 0);
	r.malformed = sb_audit_malformed(a);
	sb_audit_free(a);
	fclose(in);
	fclose(out);
	fclose(err);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* The table: a log, options, and what must (and must not) appear. */
struct row {
	const char *name;
	const char *log;
	struct sb_audit_opts o;
	unsigned long malformed;
	const char *out[6];    /* substrings of the report */
	const char *notout[5]; /* not in the report */
	const char *err[3];    /* substrings of the error output */
};

static const struct row rows[] = {
	{ "empty", "", { .pid = -1 }, 0, { "0 records, 0 matched" }, { NULL }, { NULL } },
	{ "blank lines only", "\n  \n\t\n", { .pid = -1 }, 0, { "0 records" }, { NULL }, { NULL } },
	{ "one denial",
	  DENY_OPEN("/etc/shadow", "read"),
	  { .pid = -1 },
	  0,
	  { "1 records, 1 matched", "/usr/bin/app (app)",
	    "1  deny       openat /etc/shadow [read] EACCES by default" },
	  { NULL },
	  { NULL } },
	{ "counts and first/last",
	  DENY_OPEN("/etc/a", "read") DENY_OPEN(
		  "/etc/a",
		  "read") "{\"v\":2,\"time\":\"2024-05-01T11:00:00.000Z\",\"pid\":7,\"exe\":\"/usr/"
			  "bin/app\","
			  "\"syscall\":\"openat\",\"path\":\"/etc/"
			  "a\",\"perm\":\"read\",\"perms\":\"read\","
			  "\"decision\":\"deny\",\"errno\":\"EACCES\",\"rule\":\"default\"}\n",
	  { .pid = -1 },
	  0,
	  { "3  deny", "2024-05-01T10:00:00.000Z .. 2024-05-01T11:00:00.000Z" },
	  { NULL },
	  { NULL } },
	{ "allows are not denials",
	  R("\"pid\":1,\"syscall\":\"openat\",\"path\":\"/"
	    "x\",\"decision\":\"allow\",\"rule\":\"a:1\""),
	  { .pid = -1 },
	  0,
	  { "1 records, 0 matched" },
	  { "/x" },
	  { NULL } },
	{ "schema 1 records are read",
	  "{\"v\":1,\"time\":\"2024-01-01T00:00:00.000Z\",\"pid\":3,\"syscall\":\"openat\","
	  "\"path\":\"/old\",\"perm\":\"read\",\"decision\":\"deny\",\"errno\":\"EACCES\","
	  "\"rule\":\"p:2\",\"transport\":\"notify\"}\n"
	  "{\"v\":1,\"pid\":3,\"decision\":\"protocol-error\",\"error\":\"malformed request\"}\n",
	  { .pid = -1 },
	  0,
	  { "2 records, 1 matched", "/old [read] EACCES by p:2", "1 protocol errors" },
	  { NULL },
	  { NULL } },
	{ "broken lines: numbered, skipped, the rest read",
	  "not json\n" DENY_OPEN(
		  "/etc/b",
		  "read") "[1,2]\n{\"v\":2}\n{\"v\":9,\"decision\":\"deny\"}\n"
			  "{\"v\":2,\"decision\":3}\n{\"v\":2,\"decision\":\"deny\",\"pid\":-4}\n"
			  "{\"v\":2,\"decision\":\"deny\"} "
			  "trailing\n{\"v\":2,\"decision\":\"deny\",\"path\":\"a\\u0000b\"}\n"
			  "{\"v\":2,\"decision\":\"deny\",\"syscall\":\"open",
	  { .pid = -1 },
	  9,
	  { "1 records, 1 matched", "/etc/b" },
	  { NULL },
	  { "log:1: skipped: not JSON", "log:3: skipped: not a JSON object",
	    "log:10: skipped: not JSON (cut short) (no newline" } },
	{ "a line too long is refused, not read",
	  "{\"v\":2,\"decision\":\"deny\",\"path\":\"/"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}"
	  "\n",
	  { .pid = -1 },
	  0,
	  { "1 records" },
	  { NULL },
	  { NULL } },
	{ "control bytes are escaped in the summary",
	  R("\"pid\":1,\"syscall\":\"openat\",\"path\":\"/t/\\u001b[2Jx\",\"perm\":\"read\","
	    "\"decision\":\"deny\",\"errno\":\"EACCES\",\"rule\":\"default\""),
	  { .pid = -1 },
	  0,
	  { "/t/\\x1b[2Jx" },
	  { "\x1b" },
	  { NULL } },
	{ "filters: pid",
	  DENY_OPEN("/etc/c", "read")
		  R("\"pid\":8,\"syscall\":\"openat\",\"path\":\"/etc/d\","
		    "\"perm\":\"read\",\"decision\":\"deny\",\"rule\":\"default\""),
	  { .pid = 8 },
	  0,
	  { "2 records, 1 matched", "/etc/d" },
	  { "/etc/c" },
	  { NULL } },
	{ "filters: syscall and decision",
	  DENY_OPEN("/etc/c", "read") R("\"pid\":8,\"syscall\":\"getdents64\",\"decision\":"
					"\"would-deny\",\"errno\":\"ENOSYS\",\"rule\":\"p:3\""),
	  { .pid = -1, .syscall = "getdents64", .decisions = SB_AUDIT_D_WOULD_DENY },
	  0,
	  { "1 matched", "would-deny getdents64 ENOSYS by p:3" },
	  { "/etc/c" },
	  { NULL } },
	{ "filters: since",
	  DENY_OPEN(
		  "/etc/early",
		  "read") "{\"v\":2,\"time\":\"2024-06-01T00:00:00.000Z\",\"pid\":1,\"syscall\":"
			  "\"openat\","
			  "\"path\":\"/etc/"
			  "late\",\"perm\":\"read\",\"decision\":\"deny\",\"rule\":\"default\"}\n",
	  { .pid = -1, .since = "2024-05-15T00:00:00.000Z" },
	  0,
	  { "1 matched", "/etc/late" },
	  { "/etc/early" },
	  { NULL } },
	{ "reload events are counted",
	  R("\"decision\":\"reload\",\"policy\":\"/p\"")
		  R("\"decision\":\"reload-error\",\"error\":\"p:2:3: error: bad\""),
	  { .pid = -1 },
	  0,
	  { "1 reloads, 1 failed reloads", "last failed reload: p:2:3: error: bad" },
	  { NULL },
	  { NULL } },
	{ "json",
	  DENY_OPEN("/etc/j", "read"),
	  { .pid = -1, .json = true },
	  0,
	  { "\"records\": 1", "\"path\": \"/etc/j\"", "\"count\": 1" },
	  { NULL },
	  { NULL } },
	{ "suggest: a listed directory of names read becomes one glob, saying what it covers",
	  DENY_OPEN("/srv/w/in/a", "read") DENY_OPEN("/srv/w/in/b", "read")
		  DENY_OPEN("/srv/w/in/c", "read") DENY_OPEN("/srv/w/in/c", "read")
			  DENY_OPEN("/srv/w/in", "list"),
	  { .pid = -1, .suggest = true },
	  0,
	  { "path /srv/w/in/* read    # 4 denials; a glob for the 3 names read in this directory, "
	    "which the program listed (any other name in it too): a b c",
	    "path /srv/w/in list    # 1 denial", "# 2 lines covering 5 denials" },
	  { "/srv/w/in/a " },
	  { NULL } },
	{ "suggest: no glob for a directory not listed",
	  DENY_OPEN("/srv/w/in/a", "read") DENY_OPEN("/srv/w/in/b", "read")
		  DENY_OPEN("/srv/w/in/c", "read"),
	  { .pid = -1, .suggest = true },
	  0,
	  { "path /srv/w/in/a read    # 1 denial", "# 3 lines covering 3 denials" },
	  { "*" },
	  { NULL } },
	/* The secret.txt case: an attempt on one name never merges with other names' writes. */
	{ "suggest: a directory written in keeps a line per name, writes are never a glob",
	  DENY_OPEN("/srv/w/out", "list") DENY_OPEN("/srv/w/out/secret.txt", "read")
		  DENY_OPEN("/srv/w/out/a", "read") DENY_OPEN("/srv/w/out/b", "read")
			  DENY_OPEN("/srv/w/out/r0", "write create")
				  DENY_OPEN("/srv/w/out/r1", "write create"),
	  { .pid = -1, .suggest = true },
	  0,
	  { "path /srv/w/out/secret.txt read    # 1 denial",
	    "path /srv/w/out/r0 write create    # 1 denial", "# 6 lines covering 6 denials" },
	  { "*" },
	  { NULL } },
	{ "suggest: exec is never a glob",
	  DENY_OPEN("/usr/bin", "list") DENY_OPEN("/usr/bin/a", "exec")
		  DENY_OPEN("/usr/bin/b", "read exec") DENY_OPEN("/usr/bin/c", "exec"),
	  { .pid = -1, .suggest = true },
	  0,
	  { "path /usr/bin/a exec    # 1 denial", "path /usr/bin/b read exec    # 1 denial" },
	  { "*" },
	  { NULL } },
	{ "suggest: mkstemp temporaries the program made become one pattern per prefix",
	  DENY_OPEN("/tmp/ccTvkLMT.s", "write create") DENY_OPEN("/tmp/ccTvkLMT.s", "read")
		  DENY_OPEN("/tmp/ccTvkLMT.s", "delete")
			  DENY_OPEN("/tmp/cca0b1c2.o", "write create")
				  DENY_OPEN("/tmp/ccqwerty.res", "write create")
					  DENY_OPEN("/tmp/outputs.txt", "write create")
						  DENY_OPEN("/tmp/ccQwErTy.res", "read"),
	  { .pid = -1, .suggest = true },
	  0,
	  { "path /tmp/cc* read write create delete    # 5 denials; generalised: 3 temporary names "
	    "with a random suffix, such as ccTvkLMT.s, that the program created",
	    "path /tmp/outputs.txt write create    # 1 denial",
	    "path /tmp/ccQwErTy.res read    # 1 denial", "# 3 lines covering 7 denials" },
	  { "ccTvkLMT.s read", "cca0b1c2", "ccqwerty" },
	  { NULL } },
	{ "suggest: clone, ioctl and socket carry their arguments, the built-in set is never "
	  "lifted",
	  R("\"pid\":1,\"syscall\":\"clone\",\"args\":[\"0x1200011\",\"0x0\",\"0x0\",\"0x0\","
	    "\"0x0\",\"0x0\"],\"decision\":\"would-deny\",\"rule\":\"default\"")
		  R("\"pid\":1,\"syscall\":\"clone\",\"args\":[\"0x10000011\",\"0x0\",\"0x0\","
		    "\"0x0\",\"0x0\",\"0x0\"],\"decision\":\"deny\",\"rule\":\"builtin\"")
			  R("\"pid\":1,\"syscall\":\"ioctl\",\"args\":[\"0x1\",\"0x5413\",\"0x0\","
			    "\"0x0\",\"0x0\",\"0x0\"],\"decision\":\"would-deny\",\"rule\":"
			    "\"default\"")
				  R("\"pid\":1,\"syscall\":\"socket\",\"args\":[\"0x2\",\"0x1\","
				    "\"0x0\",\"0x0\",\"0x0\",\"0x0\"],\"decision\":\"would-deny\","
				    "\"rule\":\"default\"")
					  R("\"pid\":1,\"syscall\":\"socket\",\"decision\":"
					    "\"would-deny\",\"rule\":\"default\""),
	  { .pid = -1, .suggest = true },
	  0,
	  { "allow clone if arg0 == 0x1200011    # 1 denial",
	    "# not suggested: clone if arg0 == 0x10000011 (1 call): the built-in dangerous set "
	    "refuses it",
	    "allow ioctl if arg1 == TIOCGWINSZ    # 1 denial",
	    "allow socket if arg0 == AF_INET    # 1 denial",
	    "# not suggested: allow socket (1 call): the records carry no arguments" },
	  { "\nallow clone  ", "\nallow socket  " },
	  { NULL } },
	{ "suggest: a name only read that does not exist is refused as missing, not granted",
	  DENY_OPEN("/nonexistent-sysbroker-test/x", "stat") DENY_OPEN("/etc/passwd", "read")
		  DENY_OPEN("/nonexistent-sysbroker-test/y", "write create"),
	  { .pid = -1, .suggest = true, .absent_enoent = true },
	  0,
	  { "path /nonexistent-sysbroker-test/x deny errno ENOENT nolog    # 1 denial; no such "
	    "file now",
	    "path /etc/passwd read    # 1 denial",
	    "path /nonexistent-sysbroker-test/y write create    # 1 denial" },
	  { "path /nonexistent-sysbroker-test/x stat" },
	  { NULL } },
	{ "args must be six hexadecimal strings",
	  R("\"syscall\":\"clone\",\"args\":[\"0x1\"],\"decision\":\"deny\"")
		  R("\"syscall\":\"clone\",\"args\":[\"1\",\"0x0\",\"0x0\",\"0x0\",\"0x0\","
		    "\"0x0\"],\"decision\":\"deny\"")
			  R("\"syscall\":\"clone\",\"args\":[\"0x-1\",\"0x0\",\"0x0\",\"0x0\","
			    "\"0x0\",\"0x0\"],\"decision\":\"deny\""),
	  { .pid = -1 },
	  3,
	  { "0 records" },
	  { NULL },
	  { "log:1: skipped: field \"args\" is not 6 hexadecimal strings", "log:3:" } },
	{ "suggest: two names stay exact",
	  DENY_OPEN("/srv/w/a", "read") DENY_OPEN("/srv/w/b", "create write"),
	  { .pid = -1, .suggest = true },
	  0,
	  { "path /srv/w/a read    # 1 denial", "path /srv/w/b write create    # 1 denial" },
	  { "*" },
	  { NULL } },
	{ "suggest: never a glob on / or a top-level directory",
	  DENY_OPEN("/a", "read") DENY_OPEN("/b", "read") DENY_OPEN("/c", "read") DENY_OPEN(
		  "/etc/x", "read") DENY_OPEN("/etc/y", "read") DENY_OPEN("/etc/z", "read"),
	  { .pid = -1, .suggest = true },
	  0,
	  { "path /a read", "path /etc/z read", "# 6 lines covering 6 denials" },
	  { "*" },
	  { NULL } },
	{ "suggest: syscalls, net, built-ins, limits",
	  R("\"pid\":1,\"syscall\":\"getdents64\",\"decision\":\"would-deny\",\"errno\":"
	    "\"ENOSYS\",\"rule\":\"default\"")
		  R("\"pid\":1,\"syscall\":\"getdents64\",\"decision\":\"deny\",\"errno\":"
		    "\"ENOSYS\",\"rule\":\"default\"")
			  R("\"pid\":1,\"syscall\":\"connect\",\"addr\":\"tcp:127.0.0.1:8080\","
			    "\"decision\":\"deny\",\"errno\":\"EACCES\",\"rule\":\"default\"")
				  R("\"pid\":1,\"syscall\":\"ptrace\",\"decision\":\"deny\","
				    "\"errno\":\"EPERM\",\"rule\":\"builtin\"")
					  R("\"pid\":1,\"syscall\":\"openat\",\"path\":\"/q/x\","
					    "\"perm\":\"create\",\"decision\":\"deny\",\"errno\":"
					    "\"EDQUOT\",\"limit\":\"at most 3\",\"rule\":\"p:4\"")
						  R("\"pid\":1,\"syscall\":\"connect\",\"addr\":"
						    "\"family:16\",\"decision\":\"deny\","
						    "\"rule\":\"default\""),
	  { .pid = -1, .suggest = true },
	  0,
	  { "allow getdents64    # 2 denials", "net tcp:127.0.0.1:8080 connect    # 1 denial",
	    "# not suggested: ptrace (1 call): the built-in dangerous set refuses it",
	    "1 calls over a limit" },
	  { "ptrace\n", "/q/x" },
	  { NULL } },
	{ "suggest: odd names are quoted, wildcards narrowed",
	  DENY_OPEN("/srv/w/my file #1", "read") DENY_OPEN("/srv/w/star*name", "read"),
	  { .pid = -1, .suggest = true },
	  0,
	  { "path \"/srv/w/my file #1\" read", "path /srv/w/star?name read" },
	  { NULL },
	  { NULL } },
	/* DENY_OPEN's pid is 7: its own /proc entries are /proc/self, its thread's thread-self. */
	{ "suggest: the caller's own /proc directory is /proc/self",
	  DENY_OPEN("/proc/7/status", "read") DENY_OPEN("/proc/7/maps", "read")
		  DENY_OPEN("/proc/7", "list") DENY_OPEN("/proc/7/task/7/comm", "read write")
			  DENY_OPEN("/proc/9/task/7/stat", "read"),
	  { .pid = -1, .suggest = true },
	  0,
	  { "path /proc/self/maps read    # 1 denial", "path /proc/self/status read    # 1 denial",
	    "path /proc/self list    # 1 denial",
	    "path /proc/thread-self/comm read write    # 1 denial",
	    "path /proc/thread-self/stat read    # 1 denial", "# 5 lines covering 5 denials" },
	  { "/proc/7", "/proc/9", "/proc/*", "not suggested" },
	  { NULL } },
	{ "suggest: its own names stay exact under /proc/self, never /proc/*, and say so",
	  DENY_OPEN("/proc/7/status", "read") DENY_OPEN("/proc/7/maps", "read")
		  DENY_OPEN("/proc/7/environ", "read") DENY_OPEN("/proc/7", "list"),
	  { .pid = -1, .suggest = true },
	  0,
	  { "path /proc/self/environ read    # 1 denial; generalised: the caller's own "
	    "/proc entry (pid 7) as /proc/self" },
	  { "/proc/self/*", "/proc/* " },
	  { NULL } },
	{ "suggest: never another process's or thread's /proc entries",
	  DENY_OPEN("/proc/8/environ", "read") DENY_OPEN("/proc/70/maps", "read")
		  DENY_OPEN("/proc/7/task/8/comm", "read") DENY_OPEN("/proc/self", "stat")
			  DENY_OPEN("/proc/77", "list") DENY_OPEN("/proc/cpuinfo", "read"),
	  { .pid = -1, .suggest = true },
	  0,
	  { "path /proc/cpuinfo read    # 1 denial", "# 1 line covering 1 denial",
	    "# not suggested: 5 denials in another process's or thread's /proc directory" },
	  { "/proc/8", "/proc/70", "/proc/7", "path /proc/self", "/proc/*" },
	  { NULL } },
	/* The rate limiter's records count what they stand for, in the summary and the groups. */
	{ "suppressed records are counted",
	  DENY_OPEN("/etc/a", "read")
		  R("\"sandbox\":\"s1\",\"decision\":\"suppressed\",\"count\":269443")
			  R("\"decision\":\"suppressed\",\"count\":7"),
	  { .pid = -1 },
	  0,
	  { "3 records, 3 matched", "269450 more records left out by the broker's rate limit",
	    "(left out by the rate limit)", "269450  suppressed" },
	  { NULL },
	  { NULL } },
	{ "records the broker could not write are counted",
	  R("\"decision\":\"log-error\",\"lost\":201,\"error\":\"ENOSPC\"")
		  DENY_OPEN("/etc/a", "read"),
	  { .pid = -1 },
	  0,
	  { "2 records, 1 matched", "201 records lost (the log could not be written)" },
	  { NULL },
	  { NULL } },
	{ "--decision suppressed alone",
	  DENY_OPEN("/etc/a", "read") R("\"decision\":\"suppressed\",\"count\":5"),
	  { .pid = -1, .decisions = SB_AUDIT_D_SUPPRESSED },
	  0,
	  { "2 records, 1 matched", "5  suppressed" },
	  { "/etc/a" },
	  { NULL } },
	{ "a suppressed record's count must be a count",
	  R("\"decision\":\"suppressed\",\"count\":-4")
		  R("\"decision\":\"suppressed\",\"count\":\"9\""),
	  { .pid = -1 },
	  2,
	  { "0 records" },
	  { NULL },
	  { "log:1: skipped: field \"count\" is not a count", "log:2:" } },
	/* C0, C1 (a CSI in UTF-8) and bidi overrides never reach the terminal. */
	{ "terminal controls are escaped, other UTF-8 is kept",
	  DENY_OPEN("/tmp/\\u009b31m/\\u202egnp.exe/\\u001b[2J/caf\\u00e9", "read")
		  R("\"exe\":\"/x\\u0085y\",\"syscall\":\"openat\",\"decision\":\"deny\""),
	  { .pid = -1 },
	  0,
	  { "/tmp/\\xc2\\x9b31m/\\xe2\\x80\\xaegnp.exe/\\x1b[2J/caf\xc3\xa9", "/x\\xc2\\x85y" },
	  { "\xc2\x9b", "\xe2\x80\xae", "\x1b", "\xc2\x85" },
	  { NULL } },
	/* Names of one directory group even when a subdirectory's names sort between them. */
	{ "suggest: a directory's names group around a subdirectory",
	  DENY_OPEN("/srv/d/a", "read") DENY_OPEN("/srv/d/a/x", "read") DENY_OPEN(
		  "/srv/d/b", "read") DENY_OPEN("/srv/d/c", "read") DENY_OPEN("/srv/d", "list"),
	  { .pid = -1, .suggest = true },
	  0,
	  { "path /srv/d/* read    # 3 denials; a glob for the 3 names",
	    "path /srv/d/a/x read    # 1 denial", "# 3 lines covering 5 denials" },
	  { "path /srv/d/a read" },
	  { NULL } },
	/* Found by fuzz-audit on its first run: --suggest sorted an empty list (qsort(NULL, 0)). */
	{ "suggest: an empty log",
	  "",
	  { .pid = -1, .suggest = true },
	  0,
	  { "# 0 lines covering 0 denials" },
	  { NULL },
	  { NULL } },
	{ "suggest: hostile syscall names are not policy",
	  R("\"pid\":1,\"syscall\":\"read\\nallow ptrace\",\"decision\":\"deny\",\"rule\":\"d\""),
	  { .pid = -1, .suggest = true },
	  0,
	  { "1 denials without a path or syscall name" },
	  { "allow ptrace" },
	  { NULL } },
};

static void test_table(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		const struct row *t = &rows[i];
		struct run r = audit(t->log, &t->o);
		print_message("# %s\n", t->name);
		if (r.feed != 0 || r.malformed != t->malformed)
			fail_msg("%s: feed %d, %lu malformed (want %lu)\n%s", t->name, r.feed,
				 r.malformed, t->malformed, r.err);
		for (size_t k = 0; k < ELEMENTSOF(t->out) && t->out[k]; k++)
			if (!strstr(r.out, t->out[k]))
				fail_msg("%s: no '%s' in:\n%s", t->name, t->out[k], r.out);
		for (size_t k = 0; k < ELEMENTSOF(t->notout) && t->notout[k]; k++)
			if (strstr(r.out, t->notout[k]))
				fail_msg("%s: '%s' in:\n%s", t->name, t->notout[k], r.out);
		for (size_t k = 0; k < ELEMENTSOF(t->err) && t->err[k]; k++)
			if (!strstr(r.err, t->err[k]))
				fail_msg("%s: no '%s' in errors:\n%s", t->name, t->err[k], r.err);
		run_free(&r);
	}
}

/* A line longer than the limit is skipped with its number, and the next one is read. */
static void test_long_line(void **state)
{
	size_t n = SB_AUDIT_MAX_LINE + 100;
	static const char head[] = "{\"v\":2,\"decision\":\"deny\",\"path\":\"/";
	static const char tail[] = "\"}\n" DENY_OPEN("/after", "read");
	char *log = calloc(1, sizeof(head) + n + sizeof(tail));
	assert_non_null(log);
	memcpy(log, head, sizeof(head) - 1);
	for (size_t i = 0; i < n; i++)
		log[sizeof(head) - 1 + i] = 'a';
	memcpy(log + sizeof(head) - 1 + n, tail, sizeof(tail));
	struct sb_audit_opts o = { .pid = -1 };
	struct run r = audit(log, &o);
	assert_int_equal(r.malformed, 1);
	assert_non_null(strstr(r.err, "log:1: skipped: line longer than"));
	assert_non_null(strstr(r.out, "/after"));
	run_free(&r);
	free(log);
}

/* A line over the limit at the end of the stream, with no newline: skipped, and nothing kept. */
static void test_long_last_line(void **state)
{
	size_t n = 3 * SB_AUDIT_MAX_LINE;
	static const char head[] = DENY_OPEN("/before", "read");
	char *log = calloc(1, sizeof(head) + n);
	assert_non_null(log);
	memcpy(log, head, sizeof(head) - 1);
	memset(log + sizeof(head) - 1, 'z', n);
	struct sb_audit_opts o = { .pid = -1 };
	struct run r = audit(log, &o);
	assert_int_equal(r.malformed, 1);
	assert_non_null(strstr(r.err, "log:2: skipped: line longer than"));
	assert_non_null(strstr(r.out, "/before"));
	run_free(&r);
	free(log);
}

static void test_parse_time(void **state)
{
	char t[40];
	assert_int_equal(sb_audit_parse_time("2024-05-01", t, sizeof(t)), 0);
	assert_string_equal(t, "2024-05-01T00:00:00.000Z");
	assert_int_equal(sb_audit_parse_time("2024-05-01T10:20", t, sizeof(t)), 0);
	assert_string_equal(t, "2024-05-01T10:20:00.000Z");
	assert_int_equal(sb_audit_parse_time("2024-05-01 10:20:30.456Z", t, sizeof(t)), 0);
	assert_string_equal(t, "2024-05-01T10:20:30.456Z");
	assert_int_equal(sb_audit_parse_time("10m", t, sizeof(t)), 0);
	assert_int_equal(strlen(t), 24);
	/* An offset from UTC is applied: the log's times are UTC. */
	assert_int_equal(sb_audit_parse_time("2026-02-01T10:00:00+01:00", t, sizeof(t)), 0);
	assert_string_equal(t, "2026-02-01T09:00:00.000Z");
	assert_int_equal(sb_audit_parse_time("2026-03-01 00:30-0100", t, sizeof(t)), 0);
	assert_string_equal(t, "2026-03-01T01:30:00.000Z");
	assert_int_equal(sb_audit_parse_time("2026-01-01T00:15+02", t, sizeof(t)), 0);
	assert_string_equal(t, "2025-12-31T22:15:00.000Z");
	assert_int_equal(sb_audit_parse_time("2024-02-29", t, sizeof(t)), 0);
	const char *bad[] = { "",
			      "yesterday",
			      "2024-13-01",
			      "2024-05-01T25:00",
			      "2024-05-01X",
			      "10y",
			      "-5m",
			      "2024-5-1",
			      "2026-02-31",
			      "2026-02-29",
			      "2026-04-31",
			      "2026-02-01T10:00+1:00",
			      "2026-02-01T10:00+01:",
			      "2026-02-01T10:00+24:00",
			      "2026-02-01T10:00Z+01" };
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (sb_audit_parse_time(bad[i], t, sizeof(t)) == 0)
			fail_msg("'%s' was taken as a time", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_long_last_line),
		cmocka_unit_test(test_parse_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
