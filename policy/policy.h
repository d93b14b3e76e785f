/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy as the broker and the compiler see it: an immutable rule table built by the parser
 * (parse.c), queried by the evaluator (eval.c) and turned into kernel filters by the compiler
 * (compile.c). Internal to sysbroker; the public face is include/sysbroker.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sysbroker.h"
#include "syscalls.h"

#define SB_POLICY_FORMAT 1
#define SB_MAX_INCLUDE_DEPTH 16
#define SB_MAX_POLICY_FILE (1u << 20) /* 1 MiB per file */
#define SB_MAX_TOKEN 4096

/* What happens to a call. SB_BROKER means "decided by path or network rules in the broker". */
enum sb_verdict {
	SB_ALLOW,
	SB_DENY,
	SB_KILL,
	SB_BROKER,
};

enum sb_cmp {
	SB_CMP_EQ,
	SB_CMP_NE,
	SB_CMP_LT,
	SB_CMP_LE,
	SB_CMP_GT,
	SB_CMP_GE,
	SB_CMP_MASKED_EQ, /* (arg & mask) == value */
	SB_CMP_MASKED_NE, /* (arg & mask) != value */
};

/* Where a rule came from. file points into the policy's file table. */
struct sb_origin {
	const char *file;
	unsigned line;
};

struct sb_cond {
	unsigned arg;
	enum sb_cmp op;
	uint64_t mask;
	uint64_t value;
};

/* Stateful limits; enforced by the broker (a later stage), parsed and carried here. */
struct sb_limit {
	uint64_t at_most;   /* 0: no quota */
	uint64_t rate_n;    /* 0: no rate */
	uint64_t rate_secs; /* window of the rate, seconds */
};

/* Fields every rule has. */
struct sb_rule_common {
	enum sb_verdict verdict; /* SB_ALLOW, SB_DENY or SB_KILL as written */
	int err;                 /* errno for SB_DENY, and for allow rules over their limit */
	bool log;
	struct sb_limit limit;
	struct sb_origin origin;
	unsigned id;  /* index of the statement, shared by every syscall a statement names */
	unsigned seq; /* position in policy order; later wins among equals */
	/*
	 * The statement's identity across a reload: a hash of its file's name and its words
	 * (comments and blanks aside). The broker keys the counters of limits by it, so a
	 * statement that is still there, unchanged, keeps its count when the policy is read again.
	 */
	uint64_t key;
};

/* How specific a syscall rule is: a higher tier wins. */
enum sb_tier {
	SB_TIER_GROUP = 0,   /* named through an @group */
	SB_TIER_BUILTIN = 1, /* the built-in dangerous set: above groups, so that its conditional
			      * entries (clone's namespace flags) bind a group's allow too */
	SB_TIER_NAME = 2,    /* named explicitly, unconditionally */
	SB_TIER_COND = 3,    /* named explicitly, with argument conditions */
	SB_TIER_RUNTIME = 4, /* the sandboxee runtime's own channel to the broker */
};

#define SB_MAX_CONDS 6

struct sb_sysrule {
	struct sb_rule_common c;
	int nr;
	enum sb_tier tier;
	const char *group; /* static group name for SB_TIER_GROUP, else NULL */
	unsigned ncond;
	struct sb_cond cond[SB_MAX_CONDS];
};

/* Path permissions. */
enum {
	SB_PERM_STAT = 1u << 0,
	SB_PERM_READ = 1u << 1,
	SB_PERM_WRITE = 1u << 2,
	SB_PERM_CREATE = 1u << 3,
	SB_PERM_DELETE = 1u << 4,
	SB_PERM_EXEC = 1u << 5,
	SB_PERM_LIST = 1u << 6,
};

/* Specificity of a glob pattern; see sb_glob_specificity(). */
struct sb_glob_rank {
	bool exact;        /* no wildcard at all */
	unsigned literals; /* characters that are not wildcards */
	unsigned dstars;   /* number of "**" components */
	unsigned stars;    /* number of '*' and '?' outside "**" */
	/*
	 * Not a rank: the length of the pattern's literal directory prefix (up to the last '/'
	 * before its first wildcard, the whole pattern if it has none, trailing slashes cut), which
	 * every path it matches starts with, followed by '/' or the end. 0: no such prefix (the
	 * pattern has none, or has "//" in it). sb_glob_could_match() checks it.
	 */
	unsigned prefix;
};

struct sb_pathrule {
	struct sb_rule_common c;
	char *pattern;
	uint32_t perms;
	struct sb_glob_rank rank;
};

enum sb_net_kind {
	SB_NET_UNIX,     /* unix:/path (glob) */
	SB_NET_ABSTRACT, /* unix:@name (glob on the name) */
	SB_NET_TCP,
	SB_NET_UDP,
};

enum {
	SB_NET_CONNECT = 1u << 0,
	SB_NET_BIND = 1u << 1,
	SB_NET_SEND = 1u << 2,
};

struct sb_netrule {
	struct sb_rule_common c;
	enum sb_net_kind kind;
	uint32_t ops;
	char *pattern;            /* unix kinds */
	struct sb_glob_rank rank; /* unix kinds */
	int family;               /* tcp/udp: AF_INET, AF_INET6, or AF_UNSPEC for any host */
	uint8_t addr[16];         /* network byte order */
	unsigned prefix;          /* CIDR prefix length */
	uint16_t port_lo, port_hi;
};

struct sb_default {
	enum sb_verdict verdict;
	int err;
	bool log;
	struct sb_origin origin; /* line of the `default` statement; file NULL if built in */
};

struct sb_policy {
	char **files; /* every file read, in order; origins point here */
	size_t nfiles;
	struct sb_sysrule *sys;
	size_t nsys;
	struct sb_pathrule *paths;
	size_t npaths;
	struct sb_netrule *nets;
	size_t nnets;
	struct sb_default def_sys, def_path, def_net;
	unsigned nstatements;
	/*
	 * Where the policy came from, so that a broker can load it again (a later layer of
	 * sb_sandbox_enter travels as source, never as memory): the text of a policy loaded from
	 * memory and the name it was given, or the path of a file (absolute where it could be
	 * resolved). Exactly one of source_text and source_path is set by the loaders.
	 */
	char *source_text;
	size_t source_len;
	char *source_name;
	char *source_path;
	/*
	 * The next, later layer (broker side only; NULL for a single policy). The evaluator
	 * decides every call on every layer and keeps the strictest answer, so a layer can only
	 * tighten: see sb_policy_eval_syscall(). The compiler ignores it (each layer has a kernel
	 * filter of its own).
	 */
	const struct sb_policy *next;
	/*
	 * Learn mode (`sysbroker run --learn`): the compiler sends every learnable denial
	 * (sb_sysrule_learnable) to the broker instead of answering it in the kernel, and the
	 * broker lets it run and logs it as "would-deny". The evaluator ignores it.
	 */
	bool learn;
	/*
	 * After a reload: the policy the sandbox's kernel filters were built from. Filters cannot
	 * be removed, so what that policy decides in the kernel (a kill, a deny that is not logged)
	 * still stands; sb_policy_eval_syscall answers with it, and trap filters are built from it.
	 */
	const struct sb_policy *kernel;
};

/* The answer of the evaluator. origin is NULL when a default (or the built-in set) decided. */
struct sb_decision {
	enum sb_verdict verdict;
	int err;
	bool log;
	bool builtin; /* decided by the built-in dangerous set */
	const struct sb_origin *origin;
	const struct sb_limit *limit; /* the deciding rule's limits, NULL if none */
	int limit_err;                /* errno once over a limit (with limit) */
	uint64_t key;                 /* the deciding statement's key (sb_rule_common.key), or 0 */
	int rule_id;                  /* statement id, -1 for defaults and built-ins */
	bool runtime;                 /* decided by a runtime or launcher rule (SB_TIER_RUNTIME) */
};

/* parse.c: text to rules. include_cb loads and parses an included file (NULL: includes fail). */
struct sb_parser;
typedef int (*sb_include_fn)(struct sb_parser *p, const char *path, void *userdata,
			     struct sb_policy_error *err);
int sb_parse_buffer(struct sb_policy *policy, const char *text, size_t len, const char *file,
		    unsigned depth, sb_include_fn include_cb, void *userdata,
		    struct sb_policy_error *err);
unsigned sb_parser_depth(const struct sb_parser *p);
/* For include callbacks: report an error at the include statement and return error. */
int sb_parser_fail(struct sb_parser *p, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct sb_policy *sb_parser_policy(struct sb_parser *p);
const char *sb_parser_file(const struct sb_parser *p);
struct sb_policy *sb_policy_new(void);
/* Adds the built-in rules and checks that the kernel plan compiles. */
int sb_policy_finalize(struct sb_policy *policy, struct sb_policy_error *err);
int sb_policy_add_file(struct sb_policy *policy, const char *name, const char **ret_name);

/*
 * eval.c. Each function decides on the policy and on every layer chained behind it (next): the
 * most severe answer wins (kill, then deny, then "the broker decides by path or address", then
 * allow), and among answers of the same severity the latest layer's, which is the kernel's own
 * rule for stacked filters (the newest filter's errno wins a tie). A decision logs when any
 * layer's does.
 */
int sb_policy_eval_syscall(const struct sb_policy *policy, int nr, const uint64_t args[6],
			   struct sb_decision *ret);
int sb_policy_eval_path(const struct sb_policy *policy, const char *path, uint32_t perm,
			struct sb_decision *ret);
/* A socket address, decoded. name: unix path (absolute, canonical) or abstract name. */
struct sb_net_target {
	enum sb_net_kind kind;
	int family; /* tcp/udp: AF_INET or AF_INET6 (v4-mapped v6 addresses become AF_INET) */
	uint8_t addr[16];
	uint16_t port;
	char name[110];
};
int sb_net_target_from_sockaddr(const struct sockaddr *sa, socklen_t len, int sotype,
				struct sb_net_target *ret);
int sb_policy_eval_net(const struct sb_policy *policy, uint32_t op, const struct sb_net_target *t,
		       struct sb_decision *ret);
bool sb_sysrule_matches(const struct sb_sysrule *r, const uint64_t args[6]);
bool sb_sysrule_beats(const struct sb_sysrule *a, const struct sb_sysrule *b);
/*
 * Learn mode. A kernel rule the compiler may hand to the broker when learning: a logged deny or
 * a kill written in the policy (not the built-in set, not the runtime's or launcher's rules) on a
 * syscall that is not brokered. The broker still enforces a learnable decision when the call
 * also matches the built-in dangerous set (sb_syscall_learnable).
 */
bool sb_sysrule_learnable(const struct sb_sysrule *r);
/* Whether the default syscall decision is learnable: a logged deny, or kill. */
bool sb_default_learnable(const struct sb_default *def);
/* Whether the broker may let a call the syscall rules refused run in learn mode. */
bool sb_syscall_learnable(int nr, const uint64_t args[6], const struct sb_decision *d);
/* Whether a path or net denial may run in learn mode: logged, and not built in. */
bool sb_decision_learnable(const struct sb_decision *d);
/* Whether the built-in dangerous set refuses this call (its conditions included). */
bool sb_dangerous_matches(int nr, const uint64_t args[6]);

/* "FILE:LINE", "builtin" or "default" into buf. */
const char *sb_decision_rule(const struct sb_decision *d, char *buf, size_t size);

/* glob.c */
bool sb_glob_match(const char *pattern, const char *path);
/* A cheap test that can only say no: false when pattern (ranked as r) cannot match path. */
bool sb_glob_could_match(const char *pattern, const struct sb_glob_rank *r, const char *path);
/* '*' and '?' over the whole string, '/' not special (abstract socket names). */
bool sb_glob_match_flat(const char *pattern, const char *name);
struct sb_glob_rank sb_glob_specificity(const char *pattern);
int sb_glob_compare(const struct sb_glob_rank *a, const struct sb_glob_rank *b);

/* names.c: syscalls, errno names, constants, groups, the brokered and dangerous sets. */
int sb_errno_from_name(const char *name);
const char *sb_errno_name(int err);
int sb_constant_lookup(const char *name, uint64_t *ret);
struct sb_group {
	const char *name; /* with the leading '@' */
	const char *description;
	const char *const *members;
};
const struct sb_group *sb_group_lookup(const char *name);
const struct sb_group *sb_groups(size_t *ret_n);

enum sb_brokered_kind sb_syscall_brokered(int nr);
/* The i-th brokered syscall name, NULL past the end. */
const char *sb_brokered_name(size_t i, enum sb_brokered_kind *ret_kind);
struct sb_dangerous {
	const char *name;
	int err;
	unsigned cond_arg;  /* with cond_mask != 0: only when (arg & cond_mask) != 0 */
	uint64_t cond_mask; /* 0: always */
};
const struct sb_dangerous *sb_dangerous(size_t *ret_n);
const char *sb_perm_name(uint32_t perm);
const char *sb_verdict_name(enum sb_verdict v);
