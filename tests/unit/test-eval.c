/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Evaluator: a table of policy + call -> decision + deciding rule. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <cmocka.h>
#include <seccomp.h>

#include "policy.h"

static const char policy_text[] =
	"sysbroker-policy 1\n"                                            /* 1 */
	"allow @default-runtime\n"                                        /* 2 */
	"allow socket if arg0 == AF_UNIX\n"                               /* 3 */
	"allow socket if arg0 == AF_INET and arg1 & 0xf == SOCK_STREAM\n" /* 4 */
	"deny socket errno EAFNOSUPPORT nolog\n"                          /* 5 */
	"deny write errno EBADF if arg0 == 99\n"                          /* 6 */
	"deny clone errno EPERM if arg0 & CLONE_NEWUSER\n"                /* 7 */
	"allow clone\n"                                                   /* 8 */
	"deny openat errno EROFS if arg2 & O_ACCMODE != O_RDONLY\n"       /* 9 */
	"allow ptrace\n"                                                  /* 10 */
	"allow getpid at most 5\n"                                        /* 11 */
	"kill getppid\n"                                                  /* 12 */
	"deny getppid\n"                                                  /* 13 */
	"path /usr/** read exec list\n"                                   /* 14 */
	"path /usr/bin/secret deny errno ENOENT\n"                        /* 15 */
	"path /usr/lib/*.so read\n"                                       /* 16 */
	"path /usr/lib/*.so read write\n"                                 /* 17 */
	"path /home/**/work/** read write create delete\n"                /* 18 */
	"path /home/u/work/ro/** read\n"                                  /* 19 */
	"path /** stat\n"                                                 /* 20 */
	"net tcp:127.0.0.0/8:* connect\n"                                 /* 21 */
	"net tcp:127.0.0.1:22 deny errno ECONNREFUSED\n"                  /* 22 */
	"net tcp:*:1024-65535 bind\n"                                     /* 23 */
	"net udp:[::1]:53 send\n"                                         /* 24 */
	"net unix:/run/app/*.sock connect\n"                              /* 25 */
	"net unix:@app-* connect\n";                                      /* 26 */

static struct sb_policy *P;

static int setup(void **state)
{
	struct sb_policy_error e;
	int r = sb_policy_load_string(policy_text, sizeof(policy_text) - 1, "e.policy", &P, &e);
	if (r < 0)
		fprintf(stderr, "%s:%u:%u: %s\n", e.file, e.line, e.column, e.message);
	return r;
}

static int teardown(void **state)
{
	sb_policy_free(P);
	return 0;
}

static void expect(const struct sb_decision *d, enum sb_verdict v, int err, const char *rule,
		   const char *what)
{
	char buf[128];
	sb_decision_rule(d, buf, sizeof(buf));
	if (d->verdict != v || d->err != err || strcmp(buf, rule) != 0)
		fail_msg("%s: got %s %s %s, want %s %s %s", what, sb_verdict_name(d->verdict),
			 d->err ? sb_errno_name(d->err) : "-", buf, sb_verdict_name(v),
			 err ? sb_errno_name(err) : "-", rule);
}

static void test_syscalls(void **state)
{
	static const struct {
		const char *name;
		uint64_t args[6];
		enum sb_verdict v;
		int err;
		const char *rule;
	} cases[] = {
		{ "read", { 0 }, SB_ALLOW, 0, "e.policy:2" },
		{ "socket", { AF_UNIX, SOCK_STREAM }, SB_ALLOW, 0, "e.policy:3" },
		{ "socket", { AF_INET, SOCK_STREAM | SOCK_CLOEXEC }, SB_ALLOW, 0, "e.policy:4" },
		{ "socket", { AF_INET, SOCK_DGRAM }, SB_DENY, EAFNOSUPPORT, "e.policy:5" },
		{ "socket", { AF_INET6, SOCK_STREAM }, SB_DENY, EAFNOSUPPORT, "e.policy:5" },
		/* A conditional rule naming the syscall beats the group. */
		{ "write", { 99 }, SB_DENY, EBADF, "e.policy:6" },
		{ "write", { 1 }, SB_ALLOW, 0, "e.policy:2" },
		{ "clone", { CLONE_NEWUSER | CLONE_VM }, SB_DENY, EPERM, "e.policy:7" },
		{ "clone", { CLONE_VM | CLONE_THREAD }, SB_ALLOW, 0, "e.policy:8" },
		/* Brokered: a kernel deny applies, otherwise path rules decide. */
		{ "openat", { 0, 0, O_WRONLY }, SB_DENY, EROFS, "e.policy:9" },
		{ "openat", { 0, 0, O_RDONLY }, SB_BROKER, 0, "default" },
		{ "stat", { 0 }, SB_BROKER, 0, "default" },
		{ "connect", { 0 }, SB_BROKER, 0, "default" },
		/* The dangerous set: built-in deny unless named; ptrace is named. */
		{ "ptrace", { 0 }, SB_ALLOW, 0, "e.policy:10" },
		{ "bpf", { 0 }, SB_DENY, EPERM, "builtin" },
		{ "io_uring_setup", { 0 }, SB_DENY, EPERM, "builtin" },
		{ "clone3", { 0 }, SB_DENY, ENOSYS, "builtin" },
		{ "seccomp", { 1, 8 }, SB_DENY, EPERM, "builtin" },
		{ "seccomp", { 1, 1 }, SB_DENY, ENOSYS, "default" },
		{ "getpid", { 0 }, SB_ALLOW, 0, "e.policy:11" },
		/* Equally specific: the later rule wins. */
		{ "getppid", { 0 }, SB_DENY, EPERM, "e.policy:13" },
		{ "uname", { 0 }, SB_ALLOW, 0, "e.policy:2" },
		{ "sync", { 0 }, SB_DENY, ENOSYS, "default" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sb_decision d;
		int nr = seccomp_syscall_resolve_name(cases[i].name);
		assert_true(nr >= 0);
		assert_int_equal(sb_policy_eval_syscall(P, nr, cases[i].args, &d), 0);
		char what[64];
		snprintf(what, sizeof(what), "case %zu (%s)", i, cases[i].name);
		expect(&d, cases[i].v, cases[i].err, cases[i].rule, what);
	}
	struct sb_decision d;
	uint64_t args[6] = { 0 };
	assert_int_equal(
		sb_policy_eval_syscall(P, seccomp_syscall_resolve_name("getpid"), args, &d), 0);
	assert_non_null(d.limit);
	assert_int_equal(d.limit->at_most, 5);
	assert_int_equal(d.rule_id, 9);
	/* Denials log by default, allows do not. */
	assert_false(d.log);
	assert_int_equal(sb_policy_eval_syscall(P, seccomp_syscall_resolve_name("sync"), args, &d),
			 0);
	assert_true(d.log);
}

static void test_paths(void **state)
{
	static const struct {
		const char *path;
		uint32_t perm;
		enum sb_verdict v;
		int err;
		const char *rule;
	} cases[] = {
		{ "/usr/bin/ls", SB_PERM_EXEC, SB_ALLOW, 0, "e.policy:14" },
		{ "/usr", SB_PERM_LIST, SB_ALLOW, 0, "e.policy:14" },
		{ "/usr/bin/ls", SB_PERM_WRITE, SB_DENY, EACCES, "e.policy:14" },
		{ "/usr/bin/secret", SB_PERM_READ, SB_DENY, ENOENT, "e.policy:15" },
		{ "/usr/bin/secret", SB_PERM_STAT, SB_DENY, ENOENT, "e.policy:15" },
		/* Equally specific: the later rule wins (write granted by 17). */
		{ "/usr/lib/libc.so", SB_PERM_WRITE, SB_ALLOW, 0, "e.policy:17" },
		{ "/usr/lib/x/libc.so", SB_PERM_WRITE, SB_DENY, EACCES, "e.policy:14" },
		{ "/home/u/work/a/b", SB_PERM_CREATE, SB_ALLOW, 0, "e.policy:18" },
		{ "/home/u/v/work/a", SB_PERM_DELETE, SB_ALLOW, 0, "e.policy:18" },
		{ "/home/u/work/ro/x", SB_PERM_WRITE, SB_DENY, EACCES, "e.policy:19" },
		{ "/home/u/work/ro/x", SB_PERM_READ, SB_ALLOW, 0, "e.policy:19" },
		{ "/etc/passwd", SB_PERM_STAT, SB_ALLOW, 0, "e.policy:20" },
		{ "/etc/passwd", SB_PERM_READ, SB_DENY, EACCES, "e.policy:20" },
		{ "/", SB_PERM_STAT, SB_ALLOW, 0, "e.policy:20" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sb_decision d;
		assert_int_equal(sb_policy_eval_path(P, cases[i].path, cases[i].perm, &d), 0);
		char what[96];
		snprintf(what, sizeof(what), "case %zu (%s)", i, cases[i].path);
		expect(&d, cases[i].v, cases[i].err, cases[i].rule, what);
	}
	struct sb_decision d;
	assert_int_equal(sb_policy_eval_path(P, "relative", SB_PERM_READ, &d), -EINVAL);

	/* No rule at all: the default. */
	struct sb_policy *empty = NULL;
	struct sb_policy_error e;
	assert_int_equal(
		sb_policy_load_string("sysbroker-policy 1\ndefault path deny errno ENOENT\n", 50,
				      "x", &empty, &e),
		0);
	assert_int_equal(sb_policy_eval_path(empty, "/etc", SB_PERM_STAT, &d), 0);
	expect(&d, SB_DENY, ENOENT, "x:2", "default path");
	sb_policy_free(empty);
}

/*
 * /proc/self and /proc/thread-self rules: the caller's own /proc/<tgid> and
 * /proc/<tgid>/task/<tid>, nothing of another process, ranked as written.
 */
static void test_proc_self(void **state)
{
	static const char text[] = "sysbroker-policy 1\n"
				   "path /proc/** stat\n"                   /* 2 */
				   "path /proc/self/** read list\n"         /* 3 */
				   "path /proc/*/status deny errno EPERM\n" /* 4 */
				   "path /proc/self/status read\n"          /* 5 */
				   "path /proc/thread-self/** read write\n" /* 6 */
				   "path /proc/*/maps deny errno EPERM\n"   /* 7 */
				   "path /proc/self deny errno ENOENT\n";   /* 8 */
	static const struct sb_caller me = { .pid = 100, .tid = 102 }, proc_only = { .pid = 100 };
	static const struct {
		const struct sb_caller *who;
		const char *path;
		uint32_t perm;
		enum sb_verdict v;
		int err;
		const char *rule;
	} cases[] = {
		{ &me, "/proc/100/environ", SB_PERM_READ, SB_ALLOW, 0, "p:3" },
		{ &me, "/proc/100/fd", SB_PERM_LIST, SB_ALLOW, 0, "p:3" },
		/* "/proc/self" exactly: the directory itself; the exact rule is most specific. */
		{ &me, "/proc/100", SB_PERM_STAT, SB_DENY, ENOENT, "p:8" },
		/* Another process, or a pid that only starts like the caller's. */
		{ &me, "/proc/200/environ", SB_PERM_READ, SB_DENY, EACCES, "p:2" },
		{ &me, "/proc/1000/environ", SB_PERM_READ, SB_DENY, EACCES, "p:2" },
		{ &me, "/proc/10/environ", SB_PERM_READ, SB_DENY, EACCES, "p:2" },
		{ &me, "/proc/1002/environ", SB_PERM_READ, SB_DENY, EACCES, "p:2" },
		/* The thread's own /proc/<tid> is not its process's directory. */
		{ &me, "/proc/102/environ", SB_PERM_READ, SB_DENY, EACCES, "p:2" },
		/* Unknown caller: the self rules match nothing. */
		{ NULL, "/proc/100/environ", SB_PERM_READ, SB_DENY, EACCES, "p:2" },
		/* The literal name is the broker's symlink, never the caller's directory. */
		{ &me, "/proc/self/environ", SB_PERM_READ, SB_DENY, EACCES, "p:2" },
		{ &me, "/proc/thread-self/comm", SB_PERM_WRITE, SB_DENY, EACCES, "p:2" },
		/* Not a canonical path: no self view, whatever "**" would say. */
		{ &me, "/proc/100/../200/environ", SB_PERM_READ, SB_DENY, EACCES, "p:2" },
		/* Most specific wins: exact /proc/self/status over the glob on status... */
		{ &me, "/proc/100/status", SB_PERM_READ, SB_ALLOW, 0, "p:5" },
		{ &me, "/proc/200/status", SB_PERM_READ, SB_DENY, EPERM, "p:4" },
		/* ...and the glob on maps (as many letters, no double star) over self. */
		{ &me, "/proc/100/maps", SB_PERM_READ, SB_DENY, EPERM, "p:7" },
		/* thread-self: the calling thread only. */
		{ &me, "/proc/100/task/102/comm", SB_PERM_WRITE, SB_ALLOW, 0, "p:6" },
		{ &me, "/proc/100/task/102", SB_PERM_WRITE, SB_ALLOW, 0, "p:6" },
		{ &me, "/proc/100/task/101/comm", SB_PERM_WRITE, SB_DENY, EACCES, "p:3" },
		{ &me, "/proc/100/task/101/comm", SB_PERM_READ, SB_ALLOW, 0, "p:3" },
		{ &me, "/proc/100/task/1020/comm", SB_PERM_WRITE, SB_DENY, EACCES, "p:3" },
		{ &me, "/proc/200/task/102/comm", SB_PERM_WRITE, SB_DENY, EACCES, "p:2" },
		/* Thread not known (trap, several threads): thread-self matches nothing. */
		{ &proc_only, "/proc/100/task/102/comm", SB_PERM_WRITE, SB_DENY, EACCES, "p:3" },
		{ &proc_only, "/proc/100/task/0/comm", SB_PERM_WRITE, SB_DENY, EACCES, "p:3" },
	};
	struct sb_policy *p = NULL;
	struct sb_policy_error e;
	assert_int_equal(sb_policy_load_string(text, sizeof(text) - 1, "p", &p, &e), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sb_decision d;
		assert_int_equal(
			sb_policy_eval_path_as(p, cases[i].who, cases[i].path, cases[i].perm, &d),
			0);
		char what[96];
		snprintf(what, sizeof(what), "case %zu (%s)", i, cases[i].path);
		expect(&d, cases[i].v, cases[i].err, cases[i].rule, what);
	}
	/* Without a caller, sb_policy_eval_path is the same as an unknown one. */
	struct sb_decision d;
	assert_int_equal(sb_policy_eval_path(p, "/proc/100/status", SB_PERM_READ, &d), 0);
	expect(&d, SB_DENY, EPERM, "p:4", "no caller");
	sb_policy_free(p);

	assert_int_equal(sb_glob_proc_self("/proc/self"), SB_SELF_PROCESS);
	assert_int_equal(sb_glob_proc_self("/proc/self/**"), SB_SELF_PROCESS);
	assert_int_equal(sb_glob_proc_self("/proc/thread-self/x"), SB_SELF_THREAD);
	assert_int_equal(sb_glob_proc_self("/proc/selfish/x"), SB_SELF_NONE);
	assert_int_equal(sb_glob_proc_self("/proc/*/x"), SB_SELF_NONE);
	assert_int_equal(sb_glob_proc_self("/proc"), SB_SELF_NONE);
}

static void test_net(void **state)
{
	struct sb_net_target t;
	struct sb_decision d;
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(8080) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(53) };
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	assert_int_equal(sb_net_target_from_sockaddr((void *)&in, sizeof(in), SOCK_STREAM, &t), 0);
	assert_int_equal(sb_policy_eval_net(P, SB_NET_CONNECT, &t, &d), 0);
	expect(&d, SB_ALLOW, 0, "e.policy:21", "tcp 127.0.0.1:8080");
	/* The /32 rule beats the /8, so port 22 is refused. */
	in.sin_port = htons(22);
	sb_net_target_from_sockaddr((void *)&in, sizeof(in), SOCK_STREAM, &t);
	sb_policy_eval_net(P, SB_NET_CONNECT, &t, &d);
	expect(&d, SB_DENY, ECONNREFUSED, "e.policy:22", "tcp 127.0.0.1:22");
	/* UDP is not TCP. */
	in.sin_port = htons(8080);
	sb_net_target_from_sockaddr((void *)&in, sizeof(in), SOCK_DGRAM, &t);
	sb_policy_eval_net(P, SB_NET_CONNECT, &t, &d);
	expect(&d, SB_DENY, EACCES, "default", "udp 127.0.0.1:8080");
	/* Another address: the most specific rule is the bind rule, which does not grant connect.
	 */
	inet_pton(AF_INET, "10.1.2.3", &in.sin_addr);
	sb_net_target_from_sockaddr((void *)&in, sizeof(in), SOCK_STREAM, &t);
	sb_policy_eval_net(P, SB_NET_CONNECT, &t, &d);
	expect(&d, SB_DENY, EACCES, "e.policy:23", "tcp 10.1.2.3:8080");
	in.sin_port = htons(80);
	sb_net_target_from_sockaddr((void *)&in, sizeof(in), SOCK_STREAM, &t);
	sb_policy_eval_net(P, SB_NET_CONNECT, &t, &d);
	expect(&d, SB_DENY, EACCES, "default", "tcp 10.1.2.3:80");
	in.sin_port = htons(8080);
	sb_net_target_from_sockaddr((void *)&in, sizeof(in), SOCK_STREAM, &t);
	/* Bind on a high port anywhere; connect there is not granted by the bind rule. */
	sb_policy_eval_net(P, SB_NET_BIND, &t, &d);
	expect(&d, SB_ALLOW, 0, "e.policy:23", "bind 10.1.2.3:8080");

	/* An IPv4-mapped IPv6 address is decided as the IPv4 address it reaches. */
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);
	in6.sin6_port = htons(22);
	sb_net_target_from_sockaddr((void *)&in6, sizeof(in6), SOCK_STREAM, &t);
	assert_int_equal(t.family, AF_INET);
	sb_policy_eval_net(P, SB_NET_CONNECT, &t, &d);
	expect(&d, SB_DENY, ECONNREFUSED, "e.policy:22", "mapped ::ffff:127.0.0.1:22");
	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	in6.sin6_port = htons(53);
	sb_net_target_from_sockaddr((void *)&in6, sizeof(in6), SOCK_DGRAM, &t);
	sb_policy_eval_net(P, SB_NET_SEND, &t, &d);
	expect(&d, SB_ALLOW, 0, "e.policy:24", "udp [::1]:53");

	/* Unix sockets: path globs and abstract names. */
	strcpy(un.sun_path, "/run/app/db.sock");
	socklen_t len =
		(socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(un.sun_path) + 1);
	assert_int_equal(sb_net_target_from_sockaddr((void *)&un, len, SOCK_STREAM, &t), 0);
	sb_policy_eval_net(P, SB_NET_CONNECT, &t, &d);
	expect(&d, SB_ALLOW, 0, "e.policy:25", "unix /run/app/db.sock");
	memcpy(un.sun_path, "\0app-bus", 8);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 8);
	assert_int_equal(sb_net_target_from_sockaddr((void *)&un, len, SOCK_STREAM, &t), 0);
	sb_policy_eval_net(P, SB_NET_CONNECT, &t, &d);
	expect(&d, SB_ALLOW, 0, "e.policy:26", "abstract app-bus");
	memcpy(un.sun_path, "\0other", 6);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 6);
	sb_net_target_from_sockaddr((void *)&un, len, SOCK_STREAM, &t);
	sb_policy_eval_net(P, SB_NET_CONNECT, &t, &d);
	expect(&d, SB_DENY, EACCES, "default", "abstract other");
	/* An abstract name with an embedded NUL could alias another name: refused. */
	memcpy(un.sun_path, "\0app-\0x", 7);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 7);
	assert_int_equal(sb_net_target_from_sockaddr((void *)&un, len, SOCK_STREAM, &t), -EINVAL);
	/* A relative unix path is taken as written; the broker resolves it (broker/net.c). */
	strcpy(un.sun_path, "rel.sock");
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 9);
	assert_int_equal(sb_net_target_from_sockaddr((void *)&un, len, SOCK_STREAM, &t), 0);
	assert_int_equal(t.kind, SB_NET_UNIX);
	assert_string_equal(t.name, "rel.sock");
	/* Truncated addresses. */
	assert_int_equal(sb_net_target_from_sockaddr((void *)&in, 4, SOCK_STREAM, &t), -EINVAL);
	assert_int_equal(sb_net_target_from_sockaddr((void *)&in6, sizeof(in), SOCK_STREAM, &t),
			 -EINVAL);
}

/* The built-in set ranks above groups: a group's allow does not let clone make namespaces. */
static void test_builtin_over_group(void **state)
{
	static const char text[] = "sysbroker-policy 1\nallow @process\nkill getppid\n"
				   "net unix:@****** connect\nnet unix:@dbus-* deny\n";
	struct sb_policy *p = NULL;
	struct sb_policy_error e;
	struct sb_decision d;
	uint64_t args[6] = { CLONE_NEWUSER | SIGCHLD };

	assert_int_equal(sb_policy_load_string(text, sizeof(text) - 1, "g", &p, &e), 0);
	int nr = seccomp_syscall_resolve_name("clone");
	assert_int_equal(sb_policy_eval_syscall(p, nr, args, &d), 0);
	expect(&d, SB_DENY, EPERM, "builtin", "clone CLONE_NEWUSER under @process");
	args[0] = CLONE_VM | CLONE_THREAD;
	assert_int_equal(sb_policy_eval_syscall(p, nr, args, &d), 0);
	expect(&d, SB_ALLOW, 0, "g:2", "clone thread under @process");
	/* kill is never logged (the kernel does it). */
	assert_int_equal(
		sb_policy_eval_syscall(p, seccomp_syscall_resolve_name("getppid"), args, &d), 0);
	assert_false(d.log);
	/* Abstract names: wildcards are not literal characters. */
	struct sb_net_target t = { .kind = SB_NET_ABSTRACT };
	strcpy(t.name, "dbus-x");
	assert_int_equal(sb_policy_eval_net(p, SB_NET_CONNECT, &t, &d), 0);
	expect(&d, SB_DENY, EACCES, "g:5", "abstract dbus-x");
	sb_policy_free(p);
}

/*
 * Socket options that route packets elsewhere: refused and logged over every rule, even one that
 * names setsockopt with these very arguments; level and optname by their low 32 bits, both.
 */
static void test_route_options(void **state)
{
	static const char text[] = "sysbroker-policy 1\nallow setsockopt\n"
				   "allow setsockopt if arg1 == 41 and arg2 == 57\n";
	static const struct {
		uint64_t level, optname;
		enum sb_verdict v;
	} cases[] = {
		{ IPPROTO_IPV6, IPV6_RTHDR, SB_DENY },
		{ IPPROTO_IPV6 | 1ULL << 32, IPV6_RTHDR | 7ULL << 40, SB_DENY },
		{ IPPROTO_IPV6, IPV6_2292RTHDR, SB_DENY },
		{ IPPROTO_IPV6, IPV6_2292PKTOPTIONS, SB_DENY },
		{ IPPROTO_IP, IP_OPTIONS, SB_DENY },
		{ IPPROTO_IP, IP_RETOPTS, SB_DENY },
		{ IPPROTO_IP, IP_HDRINCL, SB_DENY },
		{ IPPROTO_IPV6, IPV6_XFRM_POLICY, SB_DENY },
		{ IPPROTO_IPV6, IPV6_V6ONLY, SB_ALLOW },
		{ IPPROTO_IPV6, IPV6_DSTOPTS, SB_ALLOW },
		{ IPPROTO_IP, IPV6_RTHDR, SB_ALLOW }, /* another level, same number */
		{ IPPROTO_IPV6, IP_OPTIONS, SB_ALLOW },
		{ IPPROTO_IP, IP_TTL, SB_ALLOW },
	};
	struct sb_policy *p = NULL;
	struct sb_policy_error e;
	struct sb_decision d;
	int nr = seccomp_syscall_resolve_name("setsockopt");

	assert_int_equal(sb_policy_load_string(text, sizeof(text) - 1, "r", &p, &e), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t args[6] = { 3, cases[i].level, cases[i].optname };
		assert_int_equal(sb_policy_eval_syscall(p, nr, args, &d), 0);
		assert_int_equal(d.verdict, cases[i].v);
		if (cases[i].v == SB_DENY) {
			assert_int_equal(d.err, EPERM);
			assert_true(d.log && d.builtin);
		}
	}
	uint64_t args[6] = { 3, IPPROTO_IPV6, IPV6_RTHDR };
	assert_int_equal(
		sb_policy_eval_syscall(p, seccomp_syscall_resolve_name("getsockopt"), args, &d), 0);
	assert_int_equal(d.verdict, SB_DENY); /* the default, not the built-in refusal */
	assert_false(d.builtin);
	sb_policy_free(p);
}

/*
 * Layers (sb_sandbox_enter called again): every layer decides, the most severe answer wins, a tie
 * goes to the later layer, and a decision logs when any layer's does.
 */
static void test_layers(void **state)
{
	static const char a_text[] = "sysbroker-policy 1\n"               /* 1 */
				     "allow @default-runtime\n"           /* 2 */
				     "deny truncate errno EACCES nolog\n" /* 3 */
				     "kill getppid\n"                     /* 4 */
				     "path /data/** read log\n"           /* 5 */
				     "path /data/open/** read write\n"    /* 6 */
				     "net tcp:127.0.0.1:80 connect\n";    /* 7 */
	static const char b_text[] =
		"sysbroker-policy 1\n"                                      /* 1 */
		"allow @default-runtime\n"                                  /* 2 */
		"deny write errno EPERM nolog if arg0 == 7\n"               /* 3 */
		"deny truncate errno EROFS nolog\n"                         /* 4 */
		"deny getppid\n"                                            /* 5 */
		"deny openat errno EROFS if arg2 & O_ACCMODE != O_RDONLY\n" /* 6 */
		"path /data/** read write\n"                                /* 7 */
		"path /data/secret deny errno ENOENT nolog\n"               /* 8 */
		"path /etc/passwd read\n";                                  /* 9 */
	static const char c_text[] = "sysbroker-policy 1\nallow @default-runtime\n"
				     "path /** read write\nnet tcp:*:* connect\n";
	struct sb_policy *a = NULL, *b = NULL, *c = NULL;
	struct sb_policy_error e;
	struct sb_decision d;
	uint64_t args[6] = { 0 };

	assert_int_equal(sb_policy_load_string(a_text, sizeof(a_text) - 1, "a", &a, &e), 0);
	assert_int_equal(sb_policy_load_string(b_text, sizeof(b_text) - 1, "b", &b, &e), 0);
	assert_int_equal(sb_policy_load_string(c_text, sizeof(c_text) - 1, "c", &c, &e), 0);
	/* The loaders keep the source, for the broker to load a layer again. */
	assert_non_null(a->source_text);
	assert_int_equal(a->source_len, sizeof(a_text) - 1);
	assert_memory_equal(a->source_text, a_text, sizeof(a_text) - 1);
	assert_string_equal(a->source_name, "a");
	assert_null(a->source_path);
	a->next = b;
	b->next = c;

	/* Syscalls. */
	int wr = seccomp_syscall_resolve_name("write");
	args[0] = 7;
	assert_int_equal(sb_policy_eval_syscall(a, wr, args, &d), 0);
	expect(&d, SB_DENY, EPERM, "b:3", "write(7): the second layer refuses");
	args[0] = 1;
	assert_int_equal(sb_policy_eval_syscall(a, wr, args, &d), 0);
	assert_int_equal(d.verdict, SB_ALLOW);
	assert_int_equal(
		sb_policy_eval_syscall(a, seccomp_syscall_resolve_name("truncate"), args, &d), 0);
	expect(&d, SB_DENY, EROFS, "b:4", "two denials: the later layer's errno, as the kernel's");
	assert_int_equal(
		sb_policy_eval_syscall(a, seccomp_syscall_resolve_name("getppid"), args, &d), 0);
	expect(&d, SB_KILL, 0, "a:4", "kill beats a later deny");
	int op = seccomp_syscall_resolve_name("openat");
	args[2] = O_RDONLY;
	assert_int_equal(sb_policy_eval_syscall(a, op, args, &d), 0);
	expect(&d, SB_BROKER, 0, "default", "openat read: the path rules of every layer decide");
	args[2] = O_RDWR;
	assert_int_equal(sb_policy_eval_syscall(a, op, args, &d), 0);
	expect(&d, SB_DENY, EROFS, "b:6", "openat for writing: the second layer's kernel rule");

	/* Paths: what one layer denies stays denied. */
	assert_int_equal(sb_policy_eval_path(a, "/data/x", SB_PERM_READ, &d), 0);
	assert_int_equal(d.verdict, SB_ALLOW);
	assert_true(d.log); /* the first layer logs it */
	assert_int_equal(sb_policy_eval_path(a, "/data/x", SB_PERM_WRITE, &d), 0);
	expect(&d, SB_DENY, EACCES, "a:5", "write granted by later layers only");
	assert_int_equal(sb_policy_eval_path(a, "/data/open/x", SB_PERM_WRITE, &d), 0);
	expect(&d, SB_ALLOW, 0, "c:3", "granted by every layer");
	assert_int_equal(sb_policy_eval_path(a, "/data/secret", SB_PERM_READ, &d), 0);
	expect(&d, SB_DENY, ENOENT, "b:8", "taken away by the second layer");
	assert_true(d.log); /* nolog there, but the first layer logs all of /data */
	assert_int_equal(sb_policy_eval_path(a, "/etc/passwd", SB_PERM_READ, &d), 0);
	expect(&d, SB_DENY, EACCES, "default", "granted later, denied first: still denied");

	/* Network. */
	struct sb_net_target t = { .kind = SB_NET_TCP, .family = AF_INET, .port = 80 };
	inet_pton(AF_INET, "127.0.0.1", t.addr);
	assert_int_equal(sb_policy_eval_net(a, SB_NET_CONNECT, &t, &d), 0);
	expect(&d, SB_DENY, EACCES, "default", "the second layer has no net rule");
	b->next = NULL;
	a->next = c;
	assert_int_equal(sb_policy_eval_net(a, SB_NET_CONNECT, &t, &d), 0);
	expect(&d, SB_ALLOW, 0, "c:4", "every layer allows");

	sb_policy_free(a);
	sb_policy_free(b);
	sb_policy_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscalls),           cmocka_unit_test(test_paths),
		cmocka_unit_test(test_proc_self),          cmocka_unit_test(test_net),
		cmocka_unit_test(test_builtin_over_group), cmocka_unit_test(test_layers),
		cmocka_unit_test(test_route_options),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
