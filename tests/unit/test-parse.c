/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parser: a table of policy texts and the exact result (rules, or the error's position). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "policy.h"

#define H "sysbroker-policy 1\n"

struct bad {
	const char *text;
	unsigned line, col;
	const char *msg; /* substring of the message */
};

static const struct bad bad_cases[] = {
	{ "", 1, 1, "must start with 'sysbroker-policy 1'" },
	{ "# only a comment\n", 1, 1, "must start with" },
	{ "allow read\n", 1, 1, "must start with 'sysbroker-policy 1'" },
	{ "sysbroker-policy 2\n", 1, 18, "unsupported policy format 2" },
	{ "sysbroker-policy\n", 1, 1, "expected a format version" },
	{ H "sysbroker-policy 1\n", 2, 1, "given twice" },
	{ H "frobnicate read\n", 2, 1, "unknown statement 'frobnicate'" },
	{ H "allow\n", 2, 1, "expected syscall names" },
	{ H "allow read, nosuchcall\n", 2, 13, "unknown syscall 'nosuchcall'" },
	{ H "allow read,nosuchcall\n", 2, 12, "unknown syscall 'nosuchcall'" },
	{ H "allow Read\n", 2, 7, "invalid syscall name" },
	{ H "allow @nosuch\n", 2, 7, "unknown group '@nosuch'" },
	{ H "allow openat\n", 2, 7, "'openat' is brokered: path rules" },
	{ H "allow connect\n", 2, 7, "'connect' is brokered: net rules" },
	{ H "allow @network if arg0 == 1\n", 2, 7, "need syscall names, not groups" },
	{ H "allow socket if arg9 == 1\n", 2, 17, "expected an argument arg0" },
	{ H "allow socket if arg0 ~ 1\n", 2, 22, "expected an operator" },
	{ H "allow socket if arg0 == AF_NOPE\n", 2, 25, "unknown constant 'AF_NOPE'" },
	{ H "allow socket if arg0 == 12x\n", 2, 25, "invalid number '12x'" },
	{ H "allow socket if arg0 ==\n", 2, 22, "expected a number or a constant at end of line" },
	{ H "allow socket if arg0 & 0 == 0\n", 2, 24, "mask of 0" },
	{ H "allow socket if arg0 & 1 == 2\n", 2, 29, "bits outside the mask" },
	{ H "allow socket if arg0 == 1 if arg1 == 1\n", 2, 27, "'if' given twice" },
	{ H "deny ptrace errno ENOPE\n", 2, 19, "unknown errno name 'ENOPE'" },
	{ H "deny ptrace errno EPERM errno EPERM\n", 2, 25, "'errno' given twice" },
	{ H "deny ptrace log nolog\n", 2, 17, "given twice" },
	{ H "kill ptrace log\n", 2, 13, "cannot be logged" },
	{ H "kill ptrace errno EPERM\n", 2, 13, "unexpected word" },
	{ H "allow read errno EPERM\n", 2, 12, "needs 'at most' or 'per'" },
	{ H "deny ptrace at most 3\n", 2, 13, "unexpected word" },
	{ H "allow read at least 3\n", 2, 15, "expected 'most'" },
	{ H "allow read at most 0\n", 2, 20, "expected a count after 'at most'" },
	{ H "allow read 5 per 0\n", 2, 18, "number of seconds" },
	{ H "path relative/x read\n", 2, 6, "must be an absolute path" },
	{ H "path /a//b read\n", 2, 8, "empty component" },
	{ H "path /a/../b read\n", 2, 9, "'.' or '..'" },
	{ H "path /a/ read\n", 2, 8, "must not end with '/'" },
	{ H "path /a/b** read\n", 2, 10, "'**' must be a whole component" },
	{ H "path /a read fly\n", 2, 14, "expected a permission" },
	{ H "path /a\n", 2, 6, "expected permissions" },
	{ H "path /a deny read\n", 2, 14, "unexpected word" },
	{ H "path \"/a b\n", 2, 6, "unterminated quoted string" },
	{ H "path \"/a\"x read\n", 2, 10, "followed by a blank" },
	{ H "net tcp:1.2.3.4 connect\n", 2, 9, "expected HOST:PORTS" },
	{ H "net tcp:1.2.3.4:99999 connect\n", 2, 17, "invalid port '99999'" },
	{ H "net tcp:1.2.3.4:90-80 connect\n", 2, 17, "is empty" },
	{ H "net tcp:example.com:80 connect\n", 2, 9, "host names are not resolved" },
	{ H "net tcp:10.0.0.1/8:80 connect\n", 2, 9, "bits set beyond its /8 prefix" },
	{ H "net tcp:10.0.0.0/33:80 connect\n", 2, 18, "invalid prefix length" },
	{ H "net tcp:[::1:80 connect\n", 2, 9, "missing ']'" },
	{ H "net tcp:*/8:80 connect\n", 2, 9, "takes no prefix" },
	{ H "net tcp:[::ffff:10.0.0.1]:80 connect\n", 2, 9, "decided as IPv4" },
	{ H "net sctp:1.2.3.4:1 connect\n", 2, 5, "unix:, tcp: or udp:" },
	{ H "net unix:rel connect\n", 2, 10, "must be an absolute path" },
	{ H "net unix:@ connect\n", 2, 11, "empty abstract" },
	{ H "net tcp:*:80 listen\n", 2, 14, "expected connect, bind, send" },
	{ H "default nothing deny\n", 2, 9, "expected 'syscall', 'path' or 'net'" },
	{ H "default path allow\n", 2, 14, "expected 'deny'" },
	{ H "default syscall kill log\n", 2, 22, "cannot be logged" },
	{ H "kernel-grants\n", 2, 1, "expected 'on' or 'off' after 'kernel-grants'" },
	{ H "kernel-grants maybe\n", 2, 15, "expected 'on' or 'off' after 'kernel-grants'" },
	{ H "kernel-grants on off\n", 2, 18, "expected end of line" },
	{ H "include\n", 2, 1, "expected a file name" },
	{ H "include a b\n", 2, 11, "expected end of line" },
	{ H "include /nonexistent/sysbroker.policy\n", 2, 9, "cannot include" },
	{ H "include <\n", 2, 9, "expected a file name after 'include <'" },
	{ H "include <a\n", 2, 10, "expected '>'" },
	{ H "include <a> b\n", 2, 13, "expected end of line" },
	{ H "include <../a>\n", 2, 10, "no '..'" },
	{ H "include <a/../b>\n", 2, 10, "no '..'" },
	{ H "include </etc/a>\n", 2, 10, "no '/' at its start" },
	{ H "include <sysbroker-nonexistent.policy>\n", 2, 9,
	  "not found in the policy search path" },
	{ H "allow read\n\0allow write\n", 3, 1, "NUL byte" },
};

static void test_bad(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad *b = &bad_cases[i];
		size_t len = strlen(b->text);
		/* The NUL case: the text continues past the embedded NUL. */
		if (strstr(b->text, "allow read\n") && strstr(b->msg, "NUL"))
			len = strlen(b->text) + 1 + strlen("allow write\n");
		struct sb_policy *p = NULL;
		struct sb_policy_error e;
		int r = sb_policy_load_string(b->text, len, "t.policy", &p, &e);
		if (r >= 0 || e.line != b->line || e.column != b->col || !strstr(e.message, b->msg))
			fail_msg("case %zu %s: got r=%d %s:%u:%u: %s; want %u:%u: %s", i, b->text,
				 r, e.file, e.line, e.column, e.message, b->line, b->col, b->msg);
		assert_null(p);
		assert_string_equal(e.file, "t.policy");
	}
}

static struct sb_policy *load(const char *text)
{
	struct sb_policy *p = NULL;
	struct sb_policy_error e;
	int r = sb_policy_load_string(text, strlen(text), "t.policy", &p, &e);
	if (r < 0)
		fail_msg("load failed: %s:%u:%u: %s", e.file, e.line, e.column, e.message);
	return p;
}

static size_t count_user_sysrules(const struct sb_policy *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nsys; i++)
		n += p->sys[i].tier != SB_TIER_BUILTIN;
	return n;
}

static void test_good(void **state)
{
	struct sb_policy *p =
		load(H "# comment\n"
		       "  allow read, write close   # trailing comment\r\n"
		       "deny socket errno EAFNOSUPPORT if arg0 != AF_UNIX nolog\n"
		       "allow mmap if arg2 & PROT_WRITE|PROT_EXEC != PROT_WRITE|PROT_EXEC "
		       "and arg3 == -1\n"
		       "allow ioctl if arg1 == TCGETS at most 10 times 5 per 2 seconds\n"
		       "kill ptrace nolog\n"
		       "path \"/with space/**\" read list\n"
		       "path /etc/shadow deny errno ENOENT nolog\n"
		       "net tcp:[fd00::]/8:1-1024 connect bind send log\n"
		       "net unix:@foo* deny\n"
		       "default syscall allow\n"
		       "default path deny errno ENOENT nolog\n");
	(void)p;
	sb_policy_free(p);

	p = load(H "allow read write close\n"
		   "deny socket errno EAFNOSUPPORT if arg0 != AF_UNIX nolog\n"
		   "allow mmap if arg2 & PROT_WRITE|PROT_EXEC != PROT_WRITE|PROT_EXEC and arg3 == "
		   "-1\n"
		   "kill ptrace\n"
		   "allow riscv_flush_icache\n" /* another architecture's syscall: ignored */
		   "path /etc/shadow deny errno ENOENT\n"
		   "path /usr/** read exec\n");
	assert_int_equal(count_user_sysrules(p), 6);
	const struct sb_sysrule *s = &p->sys[3];
	assert_int_equal(s->tier, SB_TIER_COND);
	assert_int_equal(s->c.verdict, SB_DENY);
	assert_int_equal(s->c.err, EAFNOSUPPORT);
	assert_false(s->c.log);
	assert_int_equal(s->ncond, 1);
	assert_int_equal(s->cond[0].op, SB_CMP_NE);
	assert_int_equal(s->cond[0].value, 1);
	s = &p->sys[4];
	assert_int_equal(s->ncond, 2);
	assert_int_equal(s->cond[0].op, SB_CMP_MASKED_NE);
	assert_int_equal(s->cond[0].mask, 6);
	assert_int_equal(s->cond[0].value, 6);
	assert_int_equal(s->cond[1].value, UINT64_MAX);
	assert_int_equal(p->sys[5].c.verdict, SB_KILL);
	assert_int_equal(p->npaths, 2);
	assert_int_equal(p->paths[0].c.err, ENOENT);
	assert_true(p->paths[0].c.log);
	assert_int_equal(p->paths[0].c.origin.line, 7);
	assert_string_equal(p->paths[0].c.origin.file, "t.policy");
	assert_int_equal(p->paths[1].perms, SB_PERM_READ | SB_PERM_EXEC | SB_PERM_STAT);
	sb_policy_free(p);

	/* Limits carry their errno: EDQUOT for a quota, EAGAIN for a rate alone. */
	p = load(H "allow getpid at most 3\nallow getppid 2 per 5\n"
		   "allow gettid at most 1 errno EPERM\n");
	assert_int_equal(p->sys[0].c.limit.at_most, 3);
	assert_int_equal(p->sys[0].c.err, EDQUOT);
	assert_int_equal(p->sys[1].c.limit.rate_n, 2);
	assert_int_equal(p->sys[1].c.limit.rate_secs, 5);
	assert_int_equal(p->sys[1].c.err, EAGAIN);
	assert_int_equal(p->sys[2].c.err, EPERM);
	sb_policy_free(p);

	/* Defaults. */
	p = load(H);
	assert_int_equal(p->def_sys.verdict, SB_DENY);
	assert_int_equal(p->def_sys.err, ENOSYS);
	assert_true(p->def_sys.log);
	assert_int_equal(p->def_path.err, EACCES);
	assert_int_equal(p->def_net.err, EACCES);
	sb_policy_free(p);
	p = load(H "default syscall kill\ndefault net deny errno ECONNREFUSED nolog\n");
	assert_int_equal(p->def_sys.verdict, SB_KILL);
	assert_false(p->def_sys.log);
	assert_int_equal(p->def_net.err, ECONNREFUSED);
	assert_false(p->def_net.log);
	sb_policy_free(p);
}

static void test_net(void **state)
{
	struct sb_policy *p = load(H "net tcp:127.0.0.1:8080 connect\n"
				     "net udp:*:53 send\n"
				     "net tcp:[::1]:1000-2000 bind\n"
				     "net tcp:10.0.0.0/8:* deny\n"
				     "net unix:/run/*.sock connect\n"
				     "net unix:@name connect\n");
	assert_int_equal(p->nnets, 6);
	assert_int_equal(p->nets[0].kind, SB_NET_TCP);
	assert_int_equal(p->nets[0].family, AF_INET);
	assert_int_equal(p->nets[0].prefix, 32);
	assert_int_equal(p->nets[0].port_lo, 8080);
	assert_int_equal(p->nets[0].port_hi, 8080);
	assert_int_equal(p->nets[1].kind, SB_NET_UDP);
	assert_int_equal(p->nets[1].family, AF_UNSPEC);
	assert_int_equal(p->nets[1].ops, SB_NET_SEND);
	assert_int_equal(p->nets[2].family, AF_INET6);
	assert_int_equal(p->nets[2].prefix, 128);
	assert_int_equal(p->nets[2].port_lo, 1000);
	assert_int_equal(p->nets[3].c.verdict, SB_DENY);
	assert_int_equal(p->nets[3].prefix, 8);
	assert_int_equal(p->nets[4].kind, SB_NET_UNIX);
	assert_string_equal(p->nets[4].pattern, "/run/*.sock");
	assert_int_equal(p->nets[5].kind, SB_NET_ABSTRACT);
	assert_string_equal(p->nets[5].pattern, "name");
	sb_policy_free(p);
}

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_include(void **state)
{
	char path[256];
	struct sb_policy *p = NULL;
	struct sb_policy_error e;

	strcpy(tmpdir, "/tmp/sb-test-parse-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	assert_int_equal(mkdir(strcat(strcpy(path, tmpdir), "/sub"), 0700), 0);

	/* Relative to the including file, not to the current directory. */
	write_file("main.policy", H "include sub/base.policy\nallow getpid\n");
	write_file("sub/base.policy", H "include more.policy\nallow read\n");
	write_file("sub/more.policy", H "allow write\n");
	snprintf(path, sizeof(path), "%s/main.policy", tmpdir);
	assert_int_equal(sb_policy_load_file(path, &p, &e), 0);
	assert_int_equal(p->nfiles, 3);
	assert_int_equal(count_user_sysrules(p), 3);
	p = sb_policy_free(p);

	/* A cycle is an error at the include that closes it. */
	write_file("a.policy", H "include b.policy\n");
	write_file("b.policy", H "allow read\ninclude a.policy\n");
	snprintf(path, sizeof(path), "%s/a.policy", tmpdir);
	assert_int_equal(sb_policy_load_file(path, &p, &e), -ELOOP);
	assert_null(p);
	assert_non_null(strstr(e.file, "b.policy"));
	assert_int_equal(e.line, 3);
	assert_int_equal(e.column, 9);
	assert_non_null(strstr(e.message, "include cycle"));

	/* Self-include. */
	write_file("self.policy", H "include self.policy\n");
	snprintf(path, sizeof(path), "%s/self.policy", tmpdir);
	assert_int_equal(sb_policy_load_file(path, &p, &e), -ELOOP);

	/* An error inside an included file names that file. */
	write_file("bad.policy", H "\n\nallow nosuchcall\n");
	write_file("inc-bad.policy", H "include bad.policy\n");
	snprintf(path, sizeof(path), "%s/inc-bad.policy", tmpdir);
	assert_int_equal(sb_policy_load_file(path, &p, &e), -EINVAL);
	assert_non_null(strstr(e.file, "/bad.policy"));
	assert_int_equal(e.line, 4);
	assert_int_equal(e.column, 7);

	/* A missing top-level file. */
	snprintf(path, sizeof(path), "%s/missing.policy", tmpdir);
	assert_int_equal(sb_policy_load_file(path, &p, &e), -ENOENT);
	assert_int_equal(e.line, 0);
	/* A directory. */
	assert_int_equal(sb_policy_load_file(tmpdir, &p, &e), -EISDIR);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
}

/*
 * include <NAME> searches $SYSBROKER_POLICY_PATH, then the installed directory; the first
 * directory that holds NAME wins, and a plain include keeps its meaning (relative to the file).
 */
static void test_search_include(void **state)
{
	char path[256], env[512];
	struct sb_policy *p = NULL;
	struct sb_policy_error e;

	strcpy(tmpdir, "/tmp/sb-test-parse-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	assert_int_equal(mkdir(strcat(strcpy(path, tmpdir), "/one"), 0700), 0);
	assert_int_equal(mkdir(strcat(strcpy(path, tmpdir), "/two"), 0700), 0);
	assert_int_equal(mkdir(strcat(strcpy(path, tmpdir), "/two/sub"), 0700), 0);
	snprintf(env, sizeof(env), "%s/none::%s/one:%s/two", tmpdir, tmpdir, tmpdir);
	assert_int_equal(setenv("SYSBROKER_POLICY_PATH", env, 1), 0);

	write_file("one/a.policy", H "allow read\n");
	write_file("two/a.policy", H "allow write\n");
	/* A searched file's own plain include is relative to that file. */
	write_file("two/b.policy", H "include sub/c.policy\n");
	write_file("two/sub/c.policy", H "allow getpid\n");
	write_file("main.policy", H "include <a.policy>\ninclude <b.policy>\n");
	snprintf(path, sizeof(path), "%s/main.policy", tmpdir);
	assert_int_equal(sb_policy_load_file(path, &p, &e), 0);
	assert_int_equal(count_user_sysrules(p), 2);
	assert_int_equal(p->nfiles, 4);
	assert_non_null(strstr(p->files[1], "/one/a.policy"));
	assert_non_null(strstr(p->files[3], "/two/sub/c.policy"));
	p = sb_policy_free(p);

	/* From a string too: the search does not depend on an including file. */
	const char *text = H "include <sub/c.policy>\n";
	assert_int_equal(sb_policy_load_string(text, strlen(text), "s", &p, &e), 0);
	p = sb_policy_free(p);

	/* A plain include is not searched. */
	write_file("plain.policy", H "include a.policy\n");
	snprintf(path, sizeof(path), "%s/plain.policy", tmpdir);
	assert_int_equal(sb_policy_load_file(path, &p, &e), -ENOENT);

	/* Not found: FILE:LINE:COL and every directory tried. */
	write_file("missing.policy", H "\ninclude <zz.policy>\n");
	snprintf(path, sizeof(path), "%s/missing.policy", tmpdir);
	assert_int_equal(sb_policy_load_file(path, &p, &e), -ENOENT);
	assert_non_null(strstr(e.file, "missing.policy"));
	assert_int_equal(e.line, 3);
	assert_int_equal(e.column, 9);
	assert_non_null(strstr(e.message, "<zz.policy>"));
	assert_non_null(strstr(e.message, env));
	assert_non_null(strstr(e.message, SB_POLICY_DIR));

	/* A cycle through the search path is found like any other. */
	write_file("one/loop.policy", H "include <loop.policy>\n");
	snprintf(path, sizeof(path), "%s/one/loop.policy", tmpdir);
	assert_int_equal(sb_policy_load_file(path, &p, &e), -ELOOP);

	assert_int_equal(unsetenv("SYSBROKER_POLICY_PATH"), 0);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
}

/* kernel-grants on|off: off by the last line read, on by default. */
static void test_kernel_grants(void **state)
{
	struct sb_policy *p = load(H "allow read\n");
	assert_false(p->kernel_grants_off);
	sb_policy_free(p);
	p = load(H "kernel-grants off\n");
	assert_true(p->kernel_grants_off);
	sb_policy_free(p);
	p = load(H "kernel-grants off\nkernel-grants on   # again\n");
	assert_false(p->kernel_grants_off);
	sb_policy_free(p);
}

/* Every byte sequence either loads or fails cleanly; run a cheap deterministic fuzz. */
static void test_garbage(void **state)
{
	static const char *const words[] = { "allow",   "deny",     "kill",
					     "path",    "net",      "default",
					     "if",      "arg0",     "==",
					     "&",       "|",        "errno",
					     "EPERM",   "at",       "most",
					     "per",     "3",        "\"",
					     "#",       "/a/**",    "read",
					     "tcp:*:1", "unix:@x",  "log",
					     "nolog",   "\n",       ",",
					     "syscall", "@network", "read,write",
					     "\xff",    "include",  "0x",
					     "-",       "arg5",     "!=",
					     "<",       "O_RDONLY", "sysbroker-policy",
					     "1" };
	unsigned seed = 12345;
	char buf[512];

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = 0;
		if (iter % 2)
			len = (size_t)snprintf(buf, sizeof(buf), H);
		while (len < sizeof(buf) - 40) {
			seed = seed * 1103515245 + 12345;
			unsigned r = (seed >> 16) % 64;
			if (r < sizeof(words) / sizeof(words[0])) {
				len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s ",
							words[r]);
			} else {
				buf[len++] = (char)(seed >> 8);
			}
			if (((seed >> 4) & 31) == 0)
				break;
		}
		struct sb_policy *p = NULL;
		struct sb_policy_error e;
		int r = sb_policy_load_string(buf, len, "fuzz", &p, &e);
		if (r < 0) {
			assert_null(p);
			assert_true(e.message[0] != 0);
		}
		sb_policy_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_net),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_search_include),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_kernel_grants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
