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

#include "rlimits.h"
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
	unsigned column; /* of the statement's target (a syscall name, a pattern), from 1 */
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

/*
 * A path pattern that starts with /proc/self or /proc/thread-self names the calling process's
 * (thread's) own /proc directory: it is matched against the canonical path with the caller's
 * /proc/<tgid> (/proc/<tgid>/task/<tid>) written back as /proc/self (/proc/thread-self), and
 * matches nothing else. See sb_policy_eval_path_as().
 */
enum sb_proc_self {
	SB_SELF_NONE,
	SB_SELF_PROCESS, /* /proc/self, /proc/self/... */
	SB_SELF_THREAD,  /* /proc/thread-self, /proc/thread-self/... */
};

struct sb_pathrule {
	struct sb_rule_common c;
	char *pattern;
	uint32_t perms;
	struct sb_glob_rank rank;
	enum sb_proc_self self;
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
	size_t pattern_bytes; /* of every path and net pattern, bounded by the parser */
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
	/* `log-failure stop|continue`: what a log that cannot be written does (enum). */
	uint8_t log_failure;
	/*
	 * `kernel-grants off`: no kernel grant plan (kgrant.h); every path call goes to the broker.
	 * false (the default, `kernel-grants on`): the plan holds what the kernel can enforce.
	 */
	bool kernel_grants_off;
	/*
	 * After a reload: the policy the sandbox's kernel filters were built from. Filters cannot
	 * be removed, so what that policy decides in the kernel (a kill, a deny that is not logged)
	 * still stands; sb_policy_eval_syscall answers with it, and trap filters are built from it.
	 */
	const struct sb_policy *kernel;
	/*
	 * The rule index (index.c): built by sb_policy_finalize, freed with the policy, shared
	 * read-only by copies of the struct. NULL: the evaluator scans every rule.
	 */
	struct sb_policy_index *index;
	/* `limit` statements (rlimits.c), by RLIMIT_* number; applied by `sysbroker run` only. */
	struct sb_rlimit rlimits[SB_RLIMIT_COUNT];
};

/* What happens when an audit record cannot be written (`log-failure`, `run --log-failure`). */
enum sb_log_failure {
	SB_LOG_FAILURE_UNSET = 0,
	SB_LOG_FAILURE_STOP,     /* the sandbox is killed before the call is answered (default) */
	SB_LOG_FAILURE_CONTINUE, /* records are counted, reported, and the sandbox runs on */
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

/*
 * The API of each file of the policy layer, in a header of its own. Included here so that a part
 * which uses the policy layer as a whole needs one include.
 */
#include "eval.h"  /* IWYU pragma: export */
#include "glob.h"  /* IWYU pragma: export */
#include "index.h" /* IWYU pragma: export */
#include "load.h"  /* IWYU pragma: export */
#include "names.h" /* IWYU pragma: export */
#include "parse.h" /* IWYU pragma: export */
