/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `sysbroker check`'s warnings. A policy that loads can still say something its author did not
 * mean: a rule that opens what sysbroker refuses by itself, a path that is misspelt, a rule that
 * a more specific one silently outranks, a deny that changes nothing. Each check looks at the
 * rule table as the evaluator will use it (policy/eval.c: the most specific path rule decides
 * alone; among syscall rules the higher tier, then the later rule, wins) and only warns where it
 * is sure: where it cannot tell (two globs that may overlap), it says nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lint.h"
#include "macro.h"
#include "policy.h"

/* One warning, kept until every check has run: they are printed in file and line order. */
struct note {
	size_t file; /* index in the policy's file table (its first entry of that name) */
	unsigned line, column, seq;
	char *text;
};

struct lint {
	const struct sb_policy *p;
	struct note *notes;
	size_t n, cap;
	bool oom;
};

/* Where a file was first read: the same file included twice sorts (and is printed) once. */
static size_t file_index(const struct sb_policy *p, const char *file)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i], file) == 0)
			return i;
	return 0;
}

__attribute__((format(printf, 3, 4))) static void warn(struct lint *l, const struct sb_origin *o,
						       const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct note *v = reallocarray(l->notes, cap, sizeof(*v));
		if (!v) {
			l->oom = true;
			return;
		}
		l->notes = v;
		l->cap = cap;
	}
	va_start(ap, fmt);
	int r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0) {
		l->oom = true;
		return;
	}
	l->notes[l->n] = (struct note){ .file = file_index(l->p, o->file),
					.line = o->line,
					.column = o->column ? o->column : 1,
					.seq = (unsigned)l->n,
					.text = text };
	l->n++;
}

static int cmp_notes(const void *a, const void *b)
{
	const struct note *x = a, *y = b;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	int c = strcmp(x->text, y->text);
	return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Print the notes in order, once each (a file included twice gives its warnings twice). */
static int print_notes(struct lint *l, const char *kind, FILE *out)
{
	int printed = 0;
	if (!l->notes)
		return 0;
	qsort(l->notes, l->n, sizeof(*l->notes), cmp_notes);
	for (size_t i = 0; i < l->n; i++) {
		const struct note *w = &l->notes[i];
		bool dup = i > 0 && w->file == w[-1].file && w->line == w[-1].line &&
			   w->column == w[-1].column && strcmp(w->text, w[-1].text) == 0;
		if (!dup) {
			fprintf(out, "%s:%u:%u: %s: %s\n", l->p->files[w->file], w->line, w->column,
				kind, w->text);
			printed++;
		}
	}
	for (size_t i = 0; i < l->n; i++)
		free(l->notes[i].text);
	free(l->notes);
	return printed;
}

/* A rule of the policy's own files (not a built-in or the runtime's channel). */
static bool written(const struct sb_rule_common *c)
{
	return c->origin.file != NULL;
}

/* --- syscall rules --------------------------------------------------------------------------- */

/* Whether one of r's conditions proves (arg & mask) == 0 for every call it matches. */
static bool conds_exclude(const struct sb_sysrule *r, unsigned arg, uint64_t mask)
{
	uint64_t low = mask & -mask;
	for (unsigned i = 0; i < r->ncond; i++) {
		const struct sb_cond *c = &r->cond[i];
		if (c->arg != arg)
			continue;
		if ((c->op == SB_CMP_EQ && (c->value & mask) == 0) ||
		    (c->op == SB_CMP_MASKED_EQ && (c->mask & mask) == mask &&
		     (c->value & mask) == 0) ||
		    (c->op == SB_CMP_LT && c->value <= low) ||
		    (c->op == SB_CMP_LE && c->value < low))
			return true;
	}
	return false;
}

/* An explicit allow of a syscall of the built-in denied set outranks it (SB_TIER_BUILTIN). */
static bool lint_lifts(struct lint *l, const struct sb_sysrule *r)
{
	size_t n;
	const struct sb_dangerous *d = sb_dangerous(&n);
	const char *name = sb_syscall_name(r->nr);

	if (r->c.verdict != SB_ALLOW || r->tier < SB_TIER_NAME || r->tier == SB_TIER_RUNTIME)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (sb_syscall_nr(d[i].name) != r->nr)
			continue;
		if (!d[i].cond_mask) {
			warn(l, &r->c.origin,
			     "'allow %s' lifts a built-in protection: without it %s is denied (%s) "
			     "whatever else the policy allows (see BUILT-IN DENIED SYSCALLS in "
			     "sysbroker.policy(5))",
			     name, name, sb_errno_name(d[i].err));
			return true;
		}
		/* clone(2)'s low byte is the exit signal: CLONE_NEWTIME there is not a flag. */
		uint64_t mask = d[i].cond_mask & (strcmp(name, "clone") == 0 ? ~0xffULL : ~0ULL);
		if (conds_exclude(r, d[i].cond_arg, mask))
			return false;
		warn(l, &r->c.origin,
		     "'allow %s' lifts a built-in protection: %s with arg%u & %#llx != 0 (%s) is "
		     "denied unless a rule allows it; add 'if arg%u & %#llx == 0' to this rule",
		     name, name, d[i].cond_arg, (unsigned long long)mask,
		     strcmp(name, "clone") == 0 ? "namespace flags" : "a new listener",
		     d[i].cond_arg, (unsigned long long)mask);
		return true;
	}
	return false;
}

/* allow clone, ioctl or socket with no condition: every flag, request or address family. */
static void lint_unconditional(struct lint *l, const struct sb_sysrule *r)
{
	static const struct {
		const char *name, *what, *example;
	} wide[] = {
		{ "clone", "every flag", "if arg0 & CLONE_NEWUSER|CLONE_NEWNET == 0" },
		{ "ioctl", "every request of every device", "if arg1 == TCGETS" },
		{ "socket", "every address family (netlink, packet, ...)", "if arg0 == AF_INET" },
	};
	if (r->c.verdict != SB_ALLOW || r->tier != SB_TIER_NAME)
		return;
	for (size_t i = 0; i < ELEMENTSOF(wide); i++)
		if (sb_syscall_nr(wide[i].name) == r->nr)
			warn(l, &r->c.origin,
			     "'allow %s' without conditions allows %s; name what the program "
			     "needs, as in 'allow %s %s'",
			     wide[i].name, wide[i].what, wide[i].name, wide[i].example);
}

static bool same_decision(const struct sb_rule_common *a, enum sb_verdict v, int err, bool log)
{
	return a->verdict == v && (v != SB_DENY || a->err == err) && a->log == log;
}

/*
 * Unconditional rules naming one syscall: only the last one decides (equals: the later wins),
 * and a last deny that says what the default says changes nothing. r is the rule at index i.
 */
static void lint_named(struct lint *l, size_t i)
{
	const struct sb_policy *p = l->p;
	const struct sb_sysrule *r = &p->sys[i];
	const char *name = sb_syscall_name(r->nr);
	bool lower = false;

	if (r->tier != SB_TIER_NAME)
		return;
	for (size_t k = 0; k < p->nsys; k++) {
		const struct sb_sysrule *o = &p->sys[k];
		if (k == i || o->nr != r->nr)
			continue;
		lower |= o->tier < SB_TIER_NAME;
		/* A later file that overrides an included one does so on purpose. */
		if (o->tier == SB_TIER_NAME && o->c.seq > r->c.seq && written(&o->c) &&
		    strcmp(o->c.origin.file, r->c.origin.file) == 0 &&
		    !same_decision(&o->c, r->c.verdict, r->c.err, r->c.log)) {
			warn(l, &r->c.origin,
			     "'%s %s' never decides: the later rule at %s:%u (%s) is as specific "
			     "and wins",
			     sb_verdict_name(r->c.verdict), name, o->c.origin.file,
			     o->c.origin.line, sb_verdict_name(o->c.verdict));
			return;
		}
	}
	/* Another rule below it (a group's allow, the built-in set) is what it overrides. */
	if (lower || r->c.verdict == SB_ALLOW || sb_syscall_class(r->nr) != SB_CLASS_PATH_FREE)
		return;
	for (size_t k = 0; k < p->nsys; k++)
		if (k != i && p->sys[k].nr == r->nr && p->sys[k].tier == SB_TIER_NAME &&
		    p->sys[k].c.seq > r->c.seq)
			return;
	const struct sb_default *d = &p->def_sys;
	if (same_decision(&r->c, d->verdict, d->err, d->log))
		warn(l, &r->c.origin,
		     "'%s %s' changes nothing: the default (%s) already %s it the same way",
		     sb_verdict_name(r->c.verdict), name,
		     d->origin.file ? "'default syscall'" : "built in",
		     r->c.verdict == SB_KILL ? "kills" : "denies");
}

/* --- path rules ------------------------------------------------------------------------------ */

/* Whether a outranks b: the evaluator's order (more specific, then later). */
static bool outranks(const struct sb_pathrule *a, const struct sb_pathrule *b)
{
	int c = sb_glob_compare(&a->rank, &b->rank);
	return c ? c > 0 : a->c.seq > b->c.seq;
}

/* Whether every path inner's pattern matches is one outer's matches (inner's text as a path). */
static bool within(const struct sb_pathrule *inner, const struct sb_pathrule *outer)
{
	return inner->self == outer->self && sb_glob_match(outer->pattern, inner->pattern);
}

static void perm_names(uint32_t perms, char *buf, size_t size)
{
	size_t k = 0;
	buf[0] = 0;
	for (uint32_t b = SB_PERM_READ; b <= SB_PERM_LIST; b <<= 1)
		if (perms & b)
			k += (size_t)snprintf(buf + k, size - k, "%s%s", k ? " " : "",
					      sb_perm_name(b));
	if (!k)
		snprintf(buf, size, "stat");
}

/*
 * Whether s is the literal directory P of r's pattern, P then a last "**": a rule that keeps P from
 * being deleted or renamed, so that the tree can be a kernel grant (sysbroker.policy(5)).
 */
static bool keeps_root(const struct sb_pathrule *s, const struct sb_pathrule *r)
{
	size_t n = strlen(s->pattern);
	return s->rank.exact && strncmp(r->pattern, s->pattern, n) == 0 &&
	       strcmp(r->pattern + n, "/**") == 0;
}

/* r (an allow) against every more specific rule s that decides paths r matches. */
static void lint_shadowed(struct lint *l, const struct sb_pathrule *r)
{
	const struct sb_policy *p = l->p;
	char lost[64], has[64];

	for (size_t k = 0; k < p->npaths; k++) {
		const struct sb_pathrule *s = &p->paths[k];
		if (s == r || !outranks(s, r) || !within(s, r))
			continue;
		bool all = within(r, s);
		if (s->c.verdict == SB_DENY) {
			if (all)
				warn(l, &r->c.origin,
				     "'path %s' never decides: the rule at %s:%u denies every path "
				     "it matches",
				     r->pattern, s->c.origin.file, s->c.origin.line);
			continue;
		}
		uint32_t missing = r->perms & ~s->perms & ~(uint32_t)SB_PERM_STAT;
		if (!missing || (missing == SB_PERM_DELETE && keeps_root(s, r)))
			continue;
		perm_names(missing, lost, sizeof(lost));
		perm_names(s->perms, has, sizeof(has));
		warn(l, &r->c.origin,
		     "'path %s' grants %s, but %s%s the more specific rule at %s:%u decides and "
		     "grants only %s: %s is refused there",
		     r->pattern, lost, all ? "for every path it matches" : "under ",
		     all ? "" : s->pattern, s->c.origin.file, s->c.origin.line, has, lost);
	}
}

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;
	return m < c ? m : c;
}

/* Edits from a to b (insert, delete, replace, swap two neighbours), for names of a directory. */
static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned rows[3][NAME_MAX + 2];
	if (la > NAME_MAX || lb > NAME_MAX)
		return UINT_MAX;
	for (size_t j = 0; j <= lb; j++)
		rows[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned *cur = rows[i % 3], *prev = rows[(i - 1) % 3], *prev2 = rows[(i + 1) % 3];
		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1,
				      prev[j - 1] + (a[i - 1] != b[j - 1]));
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < cur[j])
				cur[j] = prev2[j - 2] + 1;
		}
	}
	return rows[la % 3][lb];
}

/*
 * dir does not exist: find its first missing component, and in the directory above it a name
 * at most two edits away (/usr/lbi: lib). Returns where that component starts in dir (its '/'),
 * with the name in near, or near left empty.
 */
static const char *nearest_existing(char *dir, char *near, size_t size)
{
	char *slash = dir;
	struct stat st;
	/* The first component that does not exist. */
	for (char *next; (next = strchr(slash + 1, '/')); slash = next) {
		*next = 0;
		bool there = stat(dir, &st) == 0;
		*next = '/';
		if (!there)
			break;
	}
	char *end = strchr(slash + 1, '/');
	char want[NAME_MAX + 1];
	snprintf(want, sizeof(want), "%.*s", end ? (int)(end - slash - 1) : NAME_MAX, slash + 1);
	*slash = 0;
	DIR *d = opendir(slash == dir ? "/" : dir);
	*slash = '/';
	/* One edit for a short name, two for a longer one: more is another name. */
	unsigned best = strlen(want) <= 4 ? 2 : 3;
	for (struct dirent *e; d && (e = readdir(d));) {
		unsigned dist = e->d_name[0] == '.' ? UINT_MAX : edit_distance(want, e->d_name);
		if (dist < best) {
			best = dist;
			snprintf(near, size, "%s", e->d_name);
		}
	}
	if (d)
		closedir(d);
	return slash;
}

/* The literal directory a rule's paths lie in, which must exist (a create: its parent). */
static void lint_prefix(struct lint *l, const struct sb_pathrule *r)
{
	char dir[PATH_MAX];
	struct stat st;

	/* A deny with ENOENT says the path is absent: the probes a program makes. */
	if (r->self != SB_SELF_NONE || r->rank.prefix == 0 || r->rank.prefix >= sizeof(dir) ||
	    (r->c.verdict == SB_DENY && r->c.err == ENOENT))
		return;
	memcpy(dir, r->pattern, r->rank.prefix);
	dir[r->rank.prefix] = 0;
	/* An exact path, or one the rule lets the program create, may not exist yet. */
	int up = (r->rank.exact ? 1 : 0) + (r->perms & SB_PERM_CREATE ? 1 : 0);
	for (; up > 0; up--) {
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return;
		*slash = 0;
	}
	if (stat(dir, &st) == 0 || (errno != ENOENT && errno != ENOTDIR))
		return;
	char near[NAME_MAX + 1] = "";
	const char *at = nearest_existing(dir, near, sizeof(near));
	const char *rest = strchr(at + 1, '/');
	if (near[0])
		warn(l, &r->c.origin,
		     "'path %s': %s does not exist, so the rule matches nothing (did you mean "
		     "%.*s/%s%s?)",
		     r->pattern, dir, (int)(at - dir), dir, near, rest ? rest : "");
	else
		warn(l, &r->c.origin,
		     "'path %s': %s does not exist, so the rule matches nothing (misspelt?)",
		     r->pattern, dir);
}

/* The literal prefix of a rule, as a directory its paths lie under ("/proc" for /proc/self). */
static size_t rule_prefix(const struct sb_pathrule *r, const char **ret)
{
	*ret = r->self != SB_SELF_NONE ? "/proc" : r->pattern;
	return r->self != SB_SELF_NONE ? 5 : r->rank.prefix;
}

/* Whether two rules may match a common path: unless their literal prefixes part ways. */
static bool may_overlap(const struct sb_pathrule *a, const struct sb_pathrule *b)
{
	const char *pa, *pb;
	size_t la = rule_prefix(a, &pa), lb = rule_prefix(b, &pb);
	if (!la || !lb)
		return true;
	size_t m = la < lb ? la : lb;
	if (strncmp(pa, pb, m) != 0)
		return false;
	char next = la > lb ? pa[m] : pb[m];
	return la == lb || next == '/' || m == 1;
}

/* A deny where nothing else decides a path and the default already denies the same way. */
static void lint_unreachable_deny(struct lint *l, const struct sb_pathrule *r)
{
	const struct sb_policy *p = l->p;
	const struct sb_default *d = &p->def_path;

	if (!same_decision(&r->c, d->verdict, d->err, d->log))
		return;
	for (size_t k = 0; k < p->npaths; k++) {
		const struct sb_pathrule *o = &p->paths[k];
		if (o != r && may_overlap(o, r) &&
		    !same_decision(&o->c, SB_DENY, r->c.err, r->c.log))
			return;
	}
	warn(l, &r->c.origin,
	     "'path %s deny' changes nothing: no rule allows anything there, and the default "
	     "(%s) already denies it with %s",
	     r->pattern, d->origin.file ? "'default path'" : "built in", sb_errno_name(r->c.err));
}

int sb_policy_lint(const struct sb_policy *p, bool strict, FILE *out)
{
	struct lint l = { .p = p };

	for (size_t i = 0; i < p->nsys; i++) {
		const struct sb_sysrule *r = &p->sys[i];
		if (!written(&r->c))
			continue;
		if (!lint_lifts(&l, r))
			lint_unconditional(&l, r);
		lint_named(&l, i);
	}
	for (size_t i = 0; i < p->npaths; i++) {
		const struct sb_pathrule *r = &p->paths[i];
		if (!written(&r->c))
			continue;
		lint_prefix(&l, r);
		if (r->c.verdict == SB_ALLOW)
			lint_shadowed(&l, r);
		else
			lint_unreachable_deny(&l, r);
	}
	int n = print_notes(&l, strict ? "error" : "warning", out);
	if (l.oom)
		return -ENOMEM;
	return ferror(out) ? -EIO : n;
}
