/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy parser: bytes in, rules out. It is a pure function of its input (plus the include
 * callback the loader passes in), keeps no globals, and reports the first error as
 * FILE:LINE:COL. Every byte sequence either parses or yields an error; nothing else happens.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "policy.h"
#include "util.h"

#define MAX_TOKENS_PER_LINE 1024
/*
 * Bounds that keep a policy's memory in check (about 250 bytes per path rule with the index,
 * plus its pattern): rules of each kind after expanding groups, and the bytes of every path and
 * net pattern together. Documented in sysbroker.policy(5), LIMITS.
 */
#define MAX_RULES (1 << 20)
#define MAX_PATTERN_BYTES (64u << 20)

struct tok {
	char *s;
	unsigned col;
	bool quoted;
};

struct sb_parser {
	struct sb_policy *policy;
	const char *file; /* interned in policy->files */
	unsigned depth;
	sb_include_fn include_cb;
	void *userdata;
	struct sb_policy_error *err;
	unsigned line;
	bool seen_header;
	struct tok toks[MAX_TOKENS_PER_LINE];
	unsigned ntoks;
};

unsigned sb_parser_depth(const struct sb_parser *p)
{
	return p->depth;
}

struct sb_policy *sb_parser_policy(struct sb_parser *p)
{
	return p->policy;
}

const char *sb_parser_file(const struct sb_parser *p)
{
	return p->file;
}

/* Copy a token into an error message: printable, bounded. */
static const char *show(const char *s, char *buf, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; s[i] && o + 4 < size; i++)
		buf[o++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (s[0] && strlen(s) > o && o + 4 >= size) {
		buf[o++] = '.';
		buf[o++] = '.';
		buf[o++] = '.';
	}
	buf[o] = 0;
	return buf;
}

__attribute__((format(printf, 3, 4))) static int fail(struct sb_parser *p, unsigned col,
						      const char *fmt, ...)
{
	struct sb_policy_error *e = p->err;
	va_list ap;

	if (!e)
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	sb_strlcpy(e->file, p->file, sizeof(e->file));
	e->line = p->line;
	e->column = col;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int fail_tok(struct sb_parser *p, unsigned i, const char *what)
{
	char b[80];
	if (i >= p->ntoks)
		return fail(p, p->ntoks ? p->toks[p->ntoks - 1].col : 1, "%s at end of line", what);
	return fail(p, p->toks[i].col, "%s, got '%s'", what, show(p->toks[i].s, b, sizeof(b)));
}

static void free_tokens(struct sb_parser *p)
{
	for (unsigned i = 0; i < p->ntoks; i++)
		free(p->toks[i].s);
	p->ntoks = 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_op(char c)
{
	return c == '=' || c == '!' || c == '<' || c == '>' || c == '&' || c == '|';
}

static int push_token(struct sb_parser *p, const char *s, size_t len, unsigned col, bool quoted)
{
	if (p->ntoks >= MAX_TOKENS_PER_LINE)
		return fail(p, col, "too many words on one line (at most %d)", MAX_TOKENS_PER_LINE);
	if (len > SB_MAX_TOKEN)
		return fail(p, col, "word too long (at most %d bytes)", SB_MAX_TOKEN);
	char *c = strndup(s, len);
	if (!c)
		return -ENOMEM;
	p->toks[p->ntoks++] = (struct tok){ .s = c, .col = col, .quoted = quoted };
	return 0;
}

/* Split one line into words. Operators (== != < <= > >= & && |) are words of their own. */
static int tokenize(struct sb_parser *p, const char *line, size_t len)
{
	size_t i = 0;
	int r;

	while (i < len) {
		char c = line[i];
		unsigned col = (unsigned)i + 1;

		if (c == '\0')
			return fail(p, col, "NUL byte in policy text");
		if (is_blank(c)) {
			i++;
			continue;
		}
		if (c == '#')
			break;
		if (c == '"') {
			_cleanup_free_ char *buf = malloc(len - i + 1);
			size_t o = 0;
			if (!buf)
				return -ENOMEM;
			for (i++;; i++) {
				if (i >= len)
					return fail(p, col, "unterminated quoted string");
				if (line[i] == '\0')
					return fail(p, (unsigned)i + 1, "NUL byte in policy text");
				if (line[i] == '"')
					break;
				if (line[i] == '\\' && i + 1 < len &&
				    (line[i + 1] == '"' || line[i + 1] == '\\'))
					i++;
				buf[o++] = line[i];
			}
			i++;
			if (i < len && !is_blank(line[i]) && line[i] != '#')
				return fail(p, (unsigned)i + 1,
					    "a quoted string must be followed by a blank");
			if (o == 0)
				return fail(p, col, "empty quoted string");
			r = push_token(p, buf, o, col, true);
			if (r < 0)
				return r;
			continue;
		}
		size_t start = i;
		if (is_op(c)) {
			while (i < len && is_op(line[i]))
				i++;
		} else {
			while (i < len && line[i] && !is_blank(line[i]) && line[i] != '#' &&
			       line[i] != '"' && !is_op(line[i]))
				i++;
		}
		r = push_token(p, line + start, i - start, col, false);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool tok_is(const struct sb_parser *p, unsigned i, const char *word)
{
	return i < p->ntoks && !p->toks[i].quoted && strcmp(p->toks[i].s, word) == 0;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	bool neg = s[0] == '-';
	const char *digits = neg ? s + 1 : s;

	if (!isdigit((unsigned char)digits[0]))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(digits, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*ret = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	return 0;
}

/* A positive count or number of seconds. */
static int parse_count(struct sb_parser *p, unsigned i, const char *what, uint64_t *ret)
{
	uint64_t v;
	if (i >= p->ntoks || p->toks[i].s[0] == '-' || parse_u64(p->toks[i].s, &v) < 0 || v == 0 ||
	    v > UINT32_MAX) {
		char msg[96];
		snprintf(msg, sizeof(msg), "expected %s (a number from 1 to %u)", what, UINT32_MAX);
		return fail_tok(p, i, msg);
	}
	*ret = v;
	return 0;
}

/* VALUE := ATOM ('|' ATOM)*, ATOM := number | constant. */
static int parse_value(struct sb_parser *p, unsigned *i, uint64_t *ret)
{
	uint64_t v = 0;
	for (;;) {
		uint64_t a;
		if (*i >= p->ntoks)
			return fail_tok(p, *i, "expected a number or a constant");
		const char *s = p->toks[*i].s;
		if (parse_u64(s, &a) < 0 && sb_constant_lookup(s, &a) < 0) {
			char b[80];
			if (isdigit((unsigned char)s[0]) || s[0] == '-')
				return fail(p, p->toks[*i].col, "invalid number '%s'",
					    show(s, b, sizeof(b)));
			return fail(p, p->toks[*i].col,
				    "unknown constant '%s' (see CONSTANTS in sysbroker.policy(5))",
				    show(s, b, sizeof(b)));
		}
		v |= a;
		(*i)++;
		if (!tok_is(p, *i, "|"))
			break;
		(*i)++;
	}
	*ret = v;
	return 0;
}

static int parse_errno(struct sb_parser *p, unsigned i, int *ret)
{
	char b[80];
	if (i >= p->ntoks)
		return fail_tok(p, i, "expected an errno name such as EPERM");
	int e = sb_errno_from_name(p->toks[i].s);
	if (e < 0)
		return fail(p, p->toks[i].col, "unknown errno name '%s'",
			    show(p->toks[i].s, b, sizeof(b)));
	*ret = e;
	return 0;
}

/* COND := argN OP VALUE | argN & VALUE [(==|!=) VALUE] */
static int parse_cond(struct sb_parser *p, unsigned *i, struct sb_cond *c)
{
	const char *s = *i < p->ntoks ? p->toks[*i].s : "";
	if (strncmp(s, "arg", 3) != 0 || s[3] < '0' || s[3] > '5' || s[4] != 0)
		return fail_tok(p, *i, "expected an argument arg0 ... arg5");
	c->arg = (unsigned)(s[3] - '0');
	(*i)++;
	if (tok_is(p, *i, "&")) {
		(*i)++;
		int r = parse_value(p, i, &c->mask);
		if (r < 0)
			return r;
		if (c->mask == 0)
			return fail(p, p->toks[*i - 1].col, "a mask of 0 never matches anything");
		c->op = SB_CMP_MASKED_NE;
		c->value = 0;
		if (tok_is(p, *i, "==") || tok_is(p, *i, "!=")) {
			c->op = tok_is(p, *i, "==") ? SB_CMP_MASKED_EQ : SB_CMP_MASKED_NE;
			unsigned vcol = ++(*i) < p->ntoks ? p->toks[*i].col : 0;
			r = parse_value(p, i, &c->value);
			if (r < 0)
				return r;
			if (c->value & ~c->mask)
				return fail(p, vcol,
					    "value has bits outside the mask: the condition is "
					    "constant");
		}
		return 0;
	}
	static const struct {
		const char *s;
		enum sb_cmp op;
	} ops[] = { { "==", SB_CMP_EQ }, { "!=", SB_CMP_NE }, { "<", SB_CMP_LT },
		    { "<=", SB_CMP_LE }, { ">", SB_CMP_GT },  { ">=", SB_CMP_GE } };
	for (size_t k = 0; k < ELEMENTSOF(ops); k++)
		if (tok_is(p, *i, ops[k].s)) {
			c->op = ops[k].op;
			c->mask = UINT64_MAX;
			(*i)++;
			return parse_value(p, i, &c->value);
		}
	return fail_tok(p, *i, "expected an operator (== != < <= > >= &)");
}

/* The modifiers a rule may carry after its targets. */
struct mods {
	bool has_errno, has_log, has_limit;
	int err;
	bool log;
	struct sb_limit limit;
	unsigned ncond;
	struct sb_cond cond[SB_MAX_CONDS];
	unsigned errno_col, log_col, if_col, limit_col;
};

enum {
	MOD_ERRNO = 1 << 0,
	MOD_IF = 1 << 1,
	MOD_LIMIT = 1 << 2,
	MOD_LOG = 1 << 3,
};

static bool starts_modifier(const struct sb_parser *p, unsigned i)
{
	uint64_t v;
	return tok_is(p, i, "errno") || tok_is(p, i, "if") || tok_is(p, i, "at") ||
	       tok_is(p, i, "log") || tok_is(p, i, "nolog") ||
	       (i < p->ntoks && parse_u64(p->toks[i].s, &v) == 0 && tok_is(p, i + 1, "per"));
}

static int parse_mods(struct sb_parser *p, unsigned i, unsigned allowed, struct mods *m)
{
	int r;
	while (i < p->ntoks) {
		unsigned col = p->toks[i].col;
		uint64_t v;
		if (tok_is(p, i, "errno") && (allowed & MOD_ERRNO)) {
			if (m->has_errno)
				return fail(p, col, "'errno' given twice");
			r = parse_errno(p, i + 1, &m->err);
			if (r < 0)
				return r;
			m->has_errno = true;
			m->errno_col = col;
			i += 2;
		} else if ((tok_is(p, i, "log") || tok_is(p, i, "nolog")) && (allowed & MOD_LOG)) {
			if (m->has_log)
				return fail(p, col, "'log' or 'nolog' given twice");
			m->has_log = true;
			m->log = tok_is(p, i, "log");
			m->log_col = col;
			i++;
		} else if (tok_is(p, i, "if") && (allowed & MOD_IF)) {
			if (m->ncond)
				return fail(p, col, "'if' given twice; join conditions with 'and'");
			m->if_col = col;
			i++;
			for (;;) {
				if (m->ncond >= SB_MAX_CONDS)
					return fail(p, p->toks[i < p->ntoks ? i : p->ntoks - 1].col,
						    "at most %d conditions per rule", SB_MAX_CONDS);
				r = parse_cond(p, &i, &m->cond[m->ncond++]);
				if (r < 0)
					return r;
				if (!tok_is(p, i, "and") && !tok_is(p, i, "&&"))
					break;
				i++;
			}
		} else if (tok_is(p, i, "at") && (allowed & MOD_LIMIT)) {
			if (m->limit.at_most)
				return fail(p, col, "'at most' given twice");
			if (!tok_is(p, i + 1, "most"))
				return fail_tok(p, i + 1, "expected 'most' after 'at'");
			r = parse_count(p, i + 2, "a count after 'at most'", &m->limit.at_most);
			if (r < 0)
				return r;
			i += 3;
			if (tok_is(p, i, "times"))
				i++;
			m->has_limit = true;
			m->limit_col = col;
		} else if (i < p->ntoks && parse_u64(p->toks[i].s, &v) == 0 &&
			   tok_is(p, i + 1, "per") && (allowed & MOD_LIMIT)) {
			if (m->limit.rate_n)
				return fail(p, col, "a rate given twice");
			r = parse_count(p, i, "a count before 'per'", &m->limit.rate_n);
			if (r < 0)
				return r;
			r = parse_count(p, i + 2, "a number of seconds after 'per'",
					&m->limit.rate_secs);
			if (r < 0)
				return r;
			i += 3;
			if (tok_is(p, i, "seconds") || tok_is(p, i, "second"))
				i++;
			m->has_limit = true;
			m->limit_col = col;
		} else {
			char exp[128] = "unexpected word; expected";
			static const char *const names[] = { "errno", "if", "at most, N per",
							     "log, nolog" };
			bool first = true;
			for (int k = 0; k < 4; k++)
				if (allowed & (1 << k)) {
					strcat(exp, first ? " " : ", ");
					strcat(exp, names[k]);
					first = false;
				}
			if (first)
				strcpy(exp, "unexpected word at end of statement");
			return fail_tok(p, i, exp);
		}
	}
	return 0;
}

static int grow(void **array, size_t n, size_t elem)
{
	if (n >= MAX_RULES)
		return -E2BIG;
	/* Grow in powers of two. */
	if (n && (n & (n - 1)))
		return 0;
	size_t cap = n ? n * 2 : 16;
	void *a = reallocarray(*array, cap, elem);
	if (!a)
		return -ENOMEM;
	*array = a;
	return 0;
}

static int too_many(struct sb_parser *p, int r)
{
	if (r == -E2BIG)
		return fail(p, 1, "too many rules (at most %d after expanding groups)", MAX_RULES);
	return r;
}

/* Counts a pattern against MAX_PATTERN_BYTES. */
static int charge_pattern(struct sb_parser *p, const char *pattern, unsigned col)
{
	size_t n = strlen(pattern) + 1;
	if (p->policy->pattern_bytes + n > MAX_PATTERN_BYTES)
		return fail(p, col, "path and net patterns too long in total (at most %u MiB)",
			    MAX_PATTERN_BYTES >> 20);
	p->policy->pattern_bytes += n;
	return 0;
}

/* FNV-1a over the file's name and the statement's words: the statement's identity. */
static uint64_t statement_key(const struct sb_parser *p)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[2] = { p->file ? p->file : "", "\n" };
	for (size_t k = 0; k < 2; k++)
		for (const char *c = parts[k]; *c; c++)
			h = (h ^ (uint8_t)*c) * 0x100000001b3ULL;
	for (unsigned i = 0; i < p->ntoks; i++) {
		for (const char *c = p->toks[i].s; *c; c++)
			h = (h ^ (uint8_t)*c) * 0x100000001b3ULL;
		/* A separator no word holds, marked for quoted words. */
		h = (h ^ (p->toks[i].quoted ? 2u : 1u)) * 0x100000001b3ULL;
	}
	return h ? h : 1;
}

static struct sb_rule_common common(struct sb_parser *p, enum sb_verdict v, const struct mods *m,
				    int default_errno)
{
	return (struct sb_rule_common){
		.key = statement_key(p),
		.verdict = v,
		.err = m->has_errno ? m->err : default_errno,
		.log = m->has_log ? m->log : v == SB_DENY,
		.limit = m->limit,
		.origin = { .file = p->file,
			    .line = p->line,
			    .column = p->ntoks > 1 ? p->toks[1].col : p->toks[0].col },
		.id = p->policy->nstatements,
		.seq = p->policy->nstatements,
	};
}

static int add_sysrule(struct sb_parser *p, const struct sb_sysrule *rule)
{
	struct sb_policy *pol = p->policy;
	int r = grow((void **)&pol->sys, pol->nsys, sizeof(*pol->sys));
	if (r < 0)
		return too_many(p, r);
	pol->sys[pol->nsys++] = *rule;
	return 0;
}

static bool valid_syscall_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* Is the name a syscall on any architecture libseccomp knows? */
static bool known_elsewhere(const char *name)
{
	static const uint32_t arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64, SCMP_ARCH_X86,
					   SCMP_ARCH_ARM,    SCMP_ARCH_RISCV64, SCMP_ARCH_PPC64LE,
					   SCMP_ARCH_S390X };
	for (size_t i = 0; i < ELEMENTSOF(arches); i++)
		if (seccomp_syscall_resolve_name_arch(arches[i], name) != __NR_SCMP_ERROR)
			return true;
	return false;
}

/* allow|deny|kill TARGETS [modifiers] */
static int parse_kernel_rule(struct sb_parser *p)
{
	const char *verb = p->toks[0].s;
	enum sb_verdict v = strcmp(verb, "allow") == 0  ? SB_ALLOW
			    : strcmp(verb, "deny") == 0 ? SB_DENY
							: SB_KILL;
	unsigned i = 1;
	struct mods m = { 0 };
	int r;

	while (i < p->ntoks && !starts_modifier(p, i))
		i++;
	unsigned end_targets = i;
	if (end_targets == 1)
		return fail_tok(p, 1, "expected syscall names or @groups");

	unsigned allowed = MOD_IF | MOD_LOG;
	if (v == SB_DENY)
		allowed |= MOD_ERRNO;
	if (v == SB_ALLOW)
		allowed |= MOD_LIMIT | MOD_ERRNO;
	r = parse_mods(p, end_targets, allowed, &m);
	if (r < 0)
		return r;
	if (v == SB_KILL && m.has_log && m.log)
		return fail(p, m.log_col,
			    "'kill' is carried out by the kernel and cannot be logged by the "
			    "broker; use 'deny' to log");
	if (v == SB_ALLOW && m.has_errno && !m.has_limit)
		return fail(p, m.errno_col,
			    "'errno' on an allow rule needs 'at most' or 'per' (it is the errno "
			    "once the limit is reached)");

	struct sb_sysrule base = {
		.c = common(p, v, &m, v == SB_ALLOW ? EDQUOT : EPERM),
		.ncond = m.ncond,
	};
	if (v == SB_ALLOW && !m.has_errno && m.limit.rate_n && !m.limit.at_most)
		base.c.err = EAGAIN;
	memcpy(base.cond, m.cond, sizeof(m.cond));

	for (i = 1; i < end_targets; i++) {
		/* Targets may be separated by commas as well as blanks. */
		_cleanup_free_ char *list = strdup(p->toks[i].s);
		if (!list)
			return -ENOMEM;
		char *save = NULL;
		unsigned col = p->toks[i].col;
		for (char *name = strtok_r(list, ",", &save); name;
		     name = strtok_r(NULL, ",", &save)) {
			unsigned ncol = col + (unsigned)(name - list);
			char b[80];
			if (name[0] == '@') {
				const struct sb_group *g = sb_group_lookup(name);
				if (!g)
					return fail(p, ncol,
						    "unknown group '%s' (see GROUPS in "
						    "sysbroker.policy(5))",
						    show(name, b, sizeof(b)));
				if (m.ncond)
					return fail(p, ncol,
						    "argument conditions need syscall names, not "
						    "groups");
				for (size_t k = 0; g->members[k]; k++) {
					int nr = sb_syscall_nr(g->members[k]);
					if (nr < 0)
						continue; /* not on this architecture */
					struct sb_sysrule rule = base;
					rule.nr = nr;
					rule.tier = SB_TIER_GROUP;
					rule.group = g->name;
					rule.c.origin.column = ncol;
					r = add_sysrule(p, &rule);
					if (r < 0)
						return r;
				}
				continue;
			}
			if (!valid_syscall_name(name))
				return fail(p, ncol, "invalid syscall name '%s'",
					    show(name, b, sizeof(b)));
			int nr = sb_syscall_nr(name);
			if (nr == __NR_SCMP_ERROR) {
				if (known_elsewhere(name))
					continue; /* a syscall of another architecture */
				return fail(p, ncol, "unknown syscall '%s'",
					    show(name, b, sizeof(b)));
			}
			if (nr < 0)
				continue; /* libseccomp pseudo-syscall: not on this architecture */
			if (sb_syscall_class(nr) == SB_CLASS_REFUSED && v == SB_ALLOW)
				return fail(
					p, ncol,
					"'%s' takes a path the broker does not serve: it is "
					"always refused, a kernel rule may only deny or kill it",
					name);
			enum sb_brokered_kind k = sb_syscall_brokered(nr);
			if (k != SB_BROKERED_NO && v == SB_ALLOW)
				return fail(
					p, ncol,
					"'%s' is brokered: %s rules decide it, a kernel rule may "
					"only deny or kill it",
					name, k == SB_BROKERED_NET ? "net" : "path");
			struct sb_sysrule rule = base;
			rule.nr = nr;
			rule.tier = m.ncond ? SB_TIER_COND : SB_TIER_NAME;
			rule.c.origin.column = ncol;
			r = add_sysrule(p, &rule);
			if (r < 0)
				return r;
		}
	}
	p->policy->nstatements++;
	return 0;
}

/* Check an absolute path pattern; returns the 0-based offset of the first problem or -1. */
static int check_pattern(const char *s, const char **why)
{
	size_t len = strlen(s);
	if (s[0] != '/') {
		*why = "must be an absolute path";
		return 0;
	}
	if (len > PATH_MAX) {
		*why = "is longer than PATH_MAX";
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '/')
			continue;
		const char *c = s + i + 1;
		size_t clen = strcspn(c, "/");
		if (clen == 0 && i + 1 < len) {
			*why = "has an empty component ('//')";
			return (int)i;
		}
		if (clen == 0 && i > 0) {
			*why = "must not end with '/'";
			return (int)i;
		}
		if ((clen == 1 && c[0] == '.') || (clen == 2 && c[0] == '.' && c[1] == '.')) {
			*why = "must not contain '.' or '..' components";
			return (int)(i + 1);
		}
		const char *ds = memmem(c, clen, "**", 2);
		if (ds && clen != 2) {
			*why = "'**' must be a whole component";
			return (int)(ds - s);
		}
	}
	return -1;
}

static int parse_perms(struct sb_parser *p, unsigned *i, uint32_t *ret)
{
	static const struct {
		const char *name;
		uint32_t perm;
	} perms[] = { { "read", SB_PERM_READ },     { "write", SB_PERM_WRITE },
		      { "create", SB_PERM_CREATE }, { "delete", SB_PERM_DELETE },
		      { "exec", SB_PERM_EXEC },     { "list", SB_PERM_LIST },
		      { "stat", SB_PERM_STAT } };
	uint32_t set = 0;
	while (*i < p->ntoks && !starts_modifier(p, *i)) {
		size_t k;
		for (k = 0; k < ELEMENTSOF(perms); k++)
			if (tok_is(p, *i, perms[k].name))
				break;
		if (k == ELEMENTSOF(perms))
			return fail_tok(p, *i,
					"expected a permission (read write create delete exec list "
					"stat) or 'deny'");
		set |= perms[k].perm;
		(*i)++;
	}
	if (!set)
		return fail_tok(p, *i,
				"expected permissions (read write create delete exec list "
				"stat) or 'deny'");
	*ret = set | SB_PERM_STAT;
	return 0;
}

/* path PATTERN (PERM... | deny) [modifiers] */
static int parse_path_rule(struct sb_parser *p)
{
	struct sb_policy *pol = p->policy;
	struct mods m = { 0 };
	const char *why;
	unsigned i = 2;
	uint32_t perms = 0;
	int r;

	if (p->ntoks < 2)
		return fail_tok(p, 1, "expected a path pattern");
	const char *pat = p->toks[1].s;
	int bad = check_pattern(pat, &why);
	if (bad >= 0)
		return fail(p, p->toks[1].col + (unsigned)bad + (p->toks[1].quoted ? 1 : 0),
			    "path pattern %s", why);
	bool deny = tok_is(p, 2, "deny");
	if (deny)
		i++;
	else {
		r = parse_perms(p, &i, &perms);
		if (r < 0)
			return r;
	}
	r = parse_mods(p, i, deny ? MOD_ERRNO | MOD_LOG : MOD_LIMIT | MOD_ERRNO | MOD_LOG, &m);
	if (r < 0)
		return r;
	if (!deny && m.has_errno && !m.has_limit)
		return fail(p, m.errno_col,
			    "'errno' on an allow rule needs 'at most' or 'per' (it is the errno "
			    "once the limit is reached)");
	r = grow((void **)&pol->paths, pol->npaths, sizeof(*pol->paths));
	if (r < 0)
		return too_many(p, r);
	r = charge_pattern(p, pat, p->toks[1].col);
	if (r < 0)
		return r;
	struct sb_pathrule rule = {
		.c = common(p, deny ? SB_DENY : SB_ALLOW, &m, deny ? EACCES : EDQUOT),
		.perms = perms,
		.rank = sb_glob_specificity(pat),
		.self = sb_glob_proc_self(pat),
	};
	if (!deny && !m.has_errno && m.limit.rate_n && !m.limit.at_most)
		rule.c.err = EAGAIN;
	rule.pattern = strdup(pat);
	if (!rule.pattern)
		return -ENOMEM;
	pol->paths[pol->npaths++] = rule;
	pol->nstatements++;
	return 0;
}

static int parse_port(const char *s, uint16_t *ret)
{
	uint64_t v;
	if (!isdigit((unsigned char)s[0]) || parse_u64(s, &v) < 0 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

/* tcp:HOST[/PREFIX]:PORTS and udp:..., HOST = * | a.b.c.d | [v6] */
static int parse_inet(struct sb_parser *p, unsigned col, const char *s, struct sb_netrule *n)
{
	_cleanup_free_ char *buf = strdup(s);
	if (!buf)
		return -ENOMEM;
	char *colon = strrchr(buf, ':');
	if (!colon || colon == buf)
		return fail(p, col, "expected HOST:PORTS, e.g. tcp:127.0.0.1:8080 or tcp:[::1]:*");
	*colon = 0;
	const char *ports = colon + 1;
	unsigned pcol = col + (unsigned)(ports - buf);

	if (strcmp(ports, "*") == 0) {
		n->port_lo = 0;
		n->port_hi = 65535;
	} else {
		_cleanup_free_ char *pb = strdup(ports);
		if (!pb)
			return -ENOMEM;
		char *dash = strchr(pb, '-');
		if (dash)
			*dash = 0;
		if (parse_port(pb, &n->port_lo) < 0 ||
		    parse_port(dash ? dash + 1 : pb, &n->port_hi) < 0)
			return fail(p, pcol, "invalid port '%s' (expected *, N or N-M, 0-65535)",
				    ports);
		if (n->port_lo > n->port_hi)
			return fail(p, pcol, "port range '%s' is empty", ports);
	}

	char *host = buf;
	char *slash = NULL;
	if (host[0] == '[') {
		char *close = strchr(host, ']');
		if (!close)
			return fail(p, col, "missing ']' after an IPv6 address");
		*close = 0;
		host++;
		if (close[1] == '/')
			slash = close + 1;
		else if (close[1] != 0)
			return fail(p, col + (unsigned)(close + 1 - buf),
				    "expected '/' or ':' after ']'");
		n->family = AF_INET6;
	} else {
		slash = strchr(host, '/');
		if (slash)
			*slash = 0;
		n->family = strcmp(host, "*") == 0 ? AF_UNSPEC : AF_INET;
		if (slash)
			*slash = '/';
	}
	if (slash)
		*slash++ = 0;
	if (n->family == AF_UNSPEC) {
		if (slash)
			return fail(p, col, "'*' takes no prefix length");
		n->prefix = 0;
		return 0;
	}
	if (inet_pton(n->family, host, n->addr) != 1)
		return fail(p, col,
			    "invalid %s address '%s' (host names are not resolved; write an "
			    "address)",
			    n->family == AF_INET ? "IPv4" : "IPv6", host);
	if (n->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)n->addr))
		return fail(p, col,
			    "IPv4-mapped addresses are decided as IPv4: write the IPv4 address");
	unsigned maxp = n->family == AF_INET ? 32 : 128;
	n->prefix = maxp;
	if (slash) {
		uint64_t v;
		if (!isdigit((unsigned char)slash[0]) || parse_u64(slash, &v) < 0 || v > maxp)
			return fail(p, col + (unsigned)(slash - buf),
				    "invalid prefix length '%s' (0-%u)", slash, maxp);
		n->prefix = (unsigned)v;
	}
	for (unsigned b = n->prefix; b < maxp; b++)
		if (n->addr[b / 8] & (0x80 >> (b % 8)))
			return fail(p, col,
				    "address has bits set beyond its /%u prefix (did you mean the "
				    "network address?)",
				    n->prefix);
	return 0;
}

/* net ADDRESS (OP... | deny) [modifiers] */
static int parse_net_rule(struct sb_parser *p)
{
	struct sb_policy *pol = p->policy;
	struct sb_netrule n = { 0 };
	struct mods m = { 0 };
	unsigned i = 2;
	int r;

	if (p->ntoks < 2)
		return fail_tok(p, 1, "expected an address (unix:PATH, tcp:HOST:PORTS, udp:...)");
	const char *a = p->toks[1].s;
	unsigned col = p->toks[1].col + (p->toks[1].quoted ? 1 : 0);
	if (strncmp(a, "unix:", 5) == 0) {
		const char *why;
		if (a[5] == '@') {
			n.kind = SB_NET_ABSTRACT;
			if (a[6] == 0)
				return fail(p, col + 6, "empty abstract socket name");
			if (strlen(a + 6) > 107)
				return fail(p, col + 6, "abstract name longer than 107 bytes");
		} else {
			n.kind = SB_NET_UNIX;
			int bad = check_pattern(a + 5, &why);
			if (bad >= 0)
				return fail(p, col + 5 + (unsigned)bad, "unix socket path %s", why);
		}
		r = charge_pattern(p, a + 5, col);
		if (r < 0)
			return r;
		n.pattern = strdup(a + 5 + (n.kind == SB_NET_ABSTRACT));
		if (!n.pattern)
			return -ENOMEM;
		n.rank = sb_glob_specificity(n.kind == SB_NET_UNIX ? n.pattern : "/");
		if (n.kind == SB_NET_ABSTRACT) {
			/* The name is flat: '/' is an ordinary character, '*' and '?' are not. */
			n.rank = (struct sb_glob_rank){ .exact = true };
			for (const char *c = n.pattern; *c; c++) {
				bool wild = *c == '*' || *c == '?';
				n.rank.exact = n.rank.exact && !wild;
				n.rank.literals += !wild;
				n.rank.stars += wild;
			}
		}
	} else if (strncmp(a, "tcp:", 4) == 0 || strncmp(a, "udp:", 4) == 0) {
		n.kind = a[0] == 't' ? SB_NET_TCP : SB_NET_UDP;
		r = parse_inet(p, col + 4, a + 4, &n);
		if (r < 0)
			return r;
	} else {
		return fail(p, col, "expected an address starting with unix:, tcp: or udp:");
	}

	bool deny = tok_is(p, 2, "deny");
	if (deny)
		i++;
	else {
		while (i < p->ntoks && !starts_modifier(p, i)) {
			if (tok_is(p, i, "connect"))
				n.ops |= SB_NET_CONNECT;
			else if (tok_is(p, i, "bind"))
				n.ops |= SB_NET_BIND;
			else if (tok_is(p, i, "send"))
				n.ops |= SB_NET_SEND;
			else {
				free(n.pattern);
				return fail_tok(p, i, "expected connect, bind, send or 'deny'");
			}
			i++;
		}
		if (!n.ops) {
			free(n.pattern);
			return fail_tok(p, i, "expected connect, bind, send or 'deny'");
		}
	}
	r = parse_mods(p, i, deny ? MOD_ERRNO | MOD_LOG : MOD_LIMIT | MOD_ERRNO | MOD_LOG, &m);
	if (r == 0 && !deny && m.has_errno && !m.has_limit)
		r = fail(p, m.errno_col,
			 "'errno' on an allow rule needs 'at most' or 'per' (it is the errno once "
			 "the limit is reached)");
	if (r == 0)
		r = grow((void **)&pol->nets, pol->nnets, sizeof(*pol->nets));
	if (r < 0) {
		free(n.pattern);
		return too_many(p, r);
	}
	n.c = common(p, deny ? SB_DENY : SB_ALLOW, &m, deny ? EACCES : EDQUOT);
	if (!deny && !m.has_errno && m.limit.rate_n && !m.limit.at_most)
		n.c.err = EAGAIN;
	pol->nets[pol->nnets++] = n;
	pol->nstatements++;
	return 0;
}

/* default (syscall|path|net) ... */
static int parse_default(struct sb_parser *p)
{
	struct sb_default *d;
	struct mods m = { 0 };
	unsigned i = 3;
	int r;

	if (tok_is(p, 1, "syscall"))
		d = &p->policy->def_sys;
	else if (tok_is(p, 1, "path"))
		d = &p->policy->def_path;
	else if (tok_is(p, 1, "net"))
		d = &p->policy->def_net;
	else
		return fail_tok(p, 1, "expected 'syscall', 'path' or 'net' after 'default'");

	bool sys = d == &p->policy->def_sys;
	enum sb_verdict v;
	if (tok_is(p, 2, "deny"))
		v = SB_DENY;
	else if (sys && tok_is(p, 2, "allow"))
		v = SB_ALLOW;
	else if (sys && tok_is(p, 2, "kill"))
		v = SB_KILL;
	else
		return fail_tok(p, 2, sys ? "expected allow, deny or kill" : "expected 'deny'");

	r = parse_mods(p, i, (v == SB_DENY ? MOD_ERRNO : 0) | MOD_LOG, &m);
	if (r < 0)
		return r;
	if (v == SB_KILL && m.has_log && m.log)
		return fail(p, m.log_col,
			    "'kill' is carried out by the kernel and cannot be logged by the "
			    "broker");
	*d = (struct sb_default){
		.verdict = v,
		.err = m.has_errno ? m.err : (sys ? ENOSYS : EACCES),
		.log = m.has_log ? m.log : v == SB_DENY,
		.origin = { .file = p->file, .line = p->line },
	};
	return 0;
}

/* log-failure (stop|continue): the last one read wins, includes too. */
static int parse_log_failure(struct sb_parser *p)
{
	if (p->ntoks > 2)
		return fail_tok(p, 2, "expected end of line after 'stop' or 'continue'");
	if (tok_is(p, 1, "stop"))
		p->policy->log_failure = SB_LOG_FAILURE_STOP;
	else if (tok_is(p, 1, "continue"))
		p->policy->log_failure = SB_LOG_FAILURE_CONTINUE;
	else
		return fail_tok(p, 1, "expected 'stop' or 'continue' after 'log-failure'");
	return 0;
}

/*
 * include <NAME>: a file of the policy search path (load.c finds it), handed to the callback as
 * "<NAME>". NAME is relative to a directory of that path: no leading '/', no '..'.
 */
static int parse_search_include(struct sb_parser *p)
{
	if (p->ntoks < 3 || p->toks[2].quoted || is_op(p->toks[2].s[0]))
		return fail_tok(p, 2, "expected a file name after 'include <'");
	if (!tok_is(p, 3, ">"))
		return fail_tok(p, 3, "expected '>' after the file name");
	if (p->ntoks > 4)
		return fail_tok(p, 4, "expected end of line after '>'");
	const char *name = p->toks[2].s;
	bool dotdot = false;
	for (const char *c = name; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
		if (strncmp(c, "..", 2) == 0 && (c[2] == '/' || c[2] == 0))
			dotdot = true;
	if (name[0] == '/' || dotdot)
		return fail(p, p->toks[2].col,
			    "a name in <> is relative to the policy search path: no '/' at "
			    "its start, no '..'");
	if (!p->include_cb)
		return fail(p, p->toks[1].col, "include is not available here");
	_cleanup_free_ char *path = sb_asprintf("<%s>", name);
	if (!path)
		return -ENOMEM;
	return p->include_cb(p, path, p->userdata, p->err);
}

/* kernel-grants (on|off): the last one read wins, includes too. */
static int parse_kernel_grants(struct sb_parser *p)
{
	if (p->ntoks > 2)
		return fail_tok(p, 2, "expected end of line after 'on' or 'off'");
	if (tok_is(p, 1, "on"))
		p->policy->kernel_grants_off = false;
	else if (tok_is(p, 1, "off"))
		p->policy->kernel_grants_off = true;
	else
		return fail_tok(p, 1, "expected 'on' or 'off' after 'kernel-grants'");
	return 0;
}

/* limit RESOURCE VALUE: the last one read wins, includes too. */
static int parse_limit(struct sb_parser *p)
{
	char why[256];
	bool bad_value;
	if (p->ntoks != 3)
		return p->ntoks < 3 ? fail_tok(p, p->ntoks, "expected 'limit RESOURCE VALUE'")
				    : fail_tok(p, 3, "expected end of line after the value");
	int res = sb_rlimit_parse(p->toks[1].s, p->toks[2].s, p->policy->rlimits, why, sizeof(why),
				  &bad_value);
	if (res < 0)
		return fail(p, p->toks[bad_value ? 2 : 1].col, "%s", why);
	p->policy->rlimits[res].file = p->file;
	p->policy->rlimits[res].line = p->line;
	return 0;
}

static int parse_include(struct sb_parser *p)
{
	if (p->ntoks >= 2 && tok_is(p, 1, "<"))
		return parse_search_include(p);
	if (p->ntoks != 2)
		return p->ntoks < 2 ? fail_tok(p, 1, "expected a file name after 'include'")
				    : fail_tok(p, 2, "expected end of line after the file name");
	if (!p->include_cb)
		return fail(p, p->toks[1].col, "include is not available here");
	const char *name = p->toks[1].s;
	_cleanup_free_ char *path = NULL;
	if (name[0] == '/')
		path = strdup(name);
	else {
		const char *slash = strrchr(p->file, '/');
		if (slash)
			path = sb_asprintf("%.*s/%s", (int)(slash - p->file), p->file, name);
		else
			path = strdup(name);
	}
	if (!path)
		return -ENOMEM;
	return p->include_cb(p, path, p->userdata, p->err);
}

static int parse_statement(struct sb_parser *p)
{
	char b[80];
	const char *w = p->toks[0].s;

	if (p->toks[0].quoted)
		return fail(p, p->toks[0].col, "a statement must start with a keyword");
	if (strcmp(w, "sysbroker-policy") == 0) {
		uint64_t v;
		if (p->seen_header)
			return fail(p, p->toks[0].col, "'sysbroker-policy' given twice");
		if (p->ntoks != 2 || parse_u64(p->toks[1].s, &v) < 0)
			return fail_tok(p, 1, "expected a format version after 'sysbroker-policy'");
		if (v != SB_POLICY_FORMAT)
			return fail(p, p->toks[1].col,
				    "unsupported policy format %s (this sysbroker reads %d)",
				    show(p->toks[1].s, b, sizeof(b)), SB_POLICY_FORMAT);
		p->seen_header = true;
		return 0;
	}
	if (!p->seen_header)
		return fail(p, p->toks[0].col, "a policy must start with 'sysbroker-policy %d'",
			    SB_POLICY_FORMAT);
	if (strcmp(w, "include") == 0)
		return parse_include(p);
	if (strcmp(w, "default") == 0)
		return parse_default(p);
	if (strcmp(w, "allow") == 0 || strcmp(w, "deny") == 0 || strcmp(w, "kill") == 0)
		return parse_kernel_rule(p);
	if (strcmp(w, "path") == 0)
		return parse_path_rule(p);
	if (strcmp(w, "net") == 0)
		return parse_net_rule(p);
	if (strcmp(w, "log-failure") == 0)
		return parse_log_failure(p);
	if (strcmp(w, "kernel-grants") == 0)
		return parse_kernel_grants(p);
	if (strcmp(w, "limit") == 0)
		return parse_limit(p);
	return fail(p, p->toks[0].col,
		    "unknown statement '%s' (expected allow, deny, kill, path, net, default, "
		    "log-failure, kernel-grants, limit or include)",
		    show(w, b, sizeof(b)));
}

/* The policy keeps the name of every file it was read from, for its rules' origins. */
static int add_file(struct sb_policy *p, const char *name, const char **ret_name)
{
	char **f = reallocarray(p->files, p->nfiles + 1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	p->files = f;
	f[p->nfiles] = strdup(name);
	if (!f[p->nfiles])
		return -ENOMEM;
	*ret_name = f[p->nfiles++];
	return 0;
}

int sb_parse_buffer(struct sb_policy *policy, const char *text, size_t len, const char *file,
		    unsigned depth, sb_include_fn include_cb, void *userdata,
		    struct sb_policy_error *err)
{
	_cleanup_free_ struct sb_parser *p = calloc(1, sizeof(*p));
	const char *name;
	int r;

	if (!p)
		return -ENOMEM;
	r = add_file(policy, file, &name);
	if (r < 0)
		return r;
	*p = (struct sb_parser){
		.policy = policy,
		.file = name,
		.depth = depth,
		.include_cb = include_cb,
		.userdata = userdata,
		.err = err,
	};

	size_t off = 0;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t llen = nl ? (size_t)(nl - (text + off)) : len - off;
		p->line++;
		r = tokenize(p, text + off, llen);
		if (r == 0 && p->ntoks > 0)
			r = parse_statement(p);
		free_tokens(p);
		if (r < 0)
			return r;
		off += llen + 1;
	}
	if (!p->seen_header) {
		p->line = 1;
		return fail(p, 1, "empty policy: a policy must start with 'sysbroker-policy %d'",
			    SB_POLICY_FORMAT);
	}
	return 0;
}

int sb_parser_fail(struct sb_parser *p, int error, const char *fmt, ...)
{
	struct sb_policy_error *e = p->err;
	va_list ap;

	if (e) {
		memset(e, 0, sizeof(*e));
		sb_strlcpy(e->file, p->file, sizeof(e->file));
		e->line = p->line;
		e->column = p->ntoks > 1 ? p->toks[1].col : 1;
		va_start(ap, fmt);
		vsnprintf(e->message, sizeof(e->message), fmt, ap);
		va_end(ap);
	}
	return error;
}
