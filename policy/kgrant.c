/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kgrant.c: the kernel grant plan (see kgrant.h). Every grant is proved a subset of the policy
 * structurally, on the rules, never by walking the paths beneath it:
 *
 *  - Allowed: in every layer, the most specific rule that matches the whole tree (its "anchor",
 *    else the default) and every rule that could match a path in the tree and beats the anchor
 *    allow the access without a log and without a limit. Whatever rule decides a path in the
 *    tree is one of those, so every path in it is allowed so.
 *  - Fixed in place: the tree's own directory and every ancestor of it refuse delete, so no
 *    rename (delete at the source) moves it. Its contents may change. Why that is enough:
 *    Landlock's path-beneath check walks the CURRENT path of the file opened up to the root and
 *    grants if it meets a rule-bearing inode, and only the inodes that carry a rule (each
 *    grant's own directory) move with a rename. While those stay at the paths the plan proved,
 *    the kernel grants exactly the files whose current path is beneath one, and the policy
 *    allows every path beneath one, future names included (the rule-based proof above covers
 *    names that do not exist yet). So: a file or directory renamed or linked into the tree is
 *    readable there under the policy anyway (and the broker decided that move: delete at its
 *    source, create at its new name); one renamed out is no longer beneath the rule, and the
 *    broker decides it at its new place; a symlink resolves to its target's place, where the
 *    kernel grants only what a rule there grants. What immutability also protected, and still
 *    holds: each decomposed entry granted as a tree is rule-bearing too, and try_tree() asks
 *    the same of it (fixed()); a file granted alone keeps its strict rule (file_proved()), as
 *    its inode is the rule-bearing one and every hard link of it shares the rule. A pattern
 *    P then a last component "**" matches P itself, so such a rule with delete lets P go: no
 *    grant on P, unless a more specific rule for P refuses delete.
 *  - Not /proc, /sys or /dev (by name or by file system): the broker refuses some of /proc on
 *    its own (its own /proc directory, any process's memory: builtin_denied() in
 *    broker/executor.c), which a kernel grant would bypass; its other built-in refusals (device
 *    nodes, trusted.* and security.* attributes, fanotify mount marks) are about making and
 *    changing, never a read-only open or a listing.
 *  - Not aliased: a kernel rule holds on inodes, so at every place they show. A tree shown
 *    again by a bind mount is not granted, and a file alone only with one name, in a policy
 *    under which no name can be made (see file_proved()).
 *
 * A tree whose proof fails on a rule (not on its anchor) is decomposed: each entry of it is tried
 * on its own, directories as trees and regular files alone, so that a deny exception, a logged
 * or limited rule, or a writable place inside a tree only takes its own branch to the broker.
 * Symlinks and special files are never granted (the broker decides on canonical paths).
 *
 * Learn mode: the broker lets a logged denial run, so a delete the policy refuses with a log is
 * not refused, and no grant's directory is fixed: a learning policy (any layer) has an empty plan.
 * A policy with `kernel` set (a reload) changes nothing here: it carries the kernel's syscall
 * decisions of the first policy, which the path evaluator never reads; what the kernel grants of
 * the first policy still enforce is sb_kgrant_plan_within()'s question.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "kgcookie.h"
#include "kgrant.h"
#include "macro.h"
#include "syscalls.h"
#include "util.h"

#define MAX_GRANTS 4096 /* grants in one plan; past it, rules are left to the broker */
#define MAX_DIRS 256    /* directories in plan.dirs */
#define MAX_TRIES 16384 /* trees and files tried in one plan, decompositions included */

/* What every rule that may decide a path of the tree must answer. */
struct want {
	bool refuse; /* refuse perms (one bit); else allow perms, unlogged and unlimited */
	uint32_t perms;
};

/*
 * The path rules of one layer, ranked for the question "which rules could decide a path at or
 * beneath P": those with a literal directory prefix sorted by it (the rules at an ancestor of P
 * and those beneath P are then two kinds of ranges), and the loose ones, which may match
 * anywhere. Built once per plan, so that a try costs the rules near it, not every rule.
 */
struct layer_view {
	const struct sb_policy *l;
	const struct sb_pathrule **ranked;
	size_t nranked;
	const struct sb_pathrule **loose;
	size_t nloose;
};

struct mount {
	char *point; /* where it is mounted */
	char *root;  /* the directory of its file system shown there */
	unsigned long dev;
	bool kernel; /* a kernel file system (kernel_fs()) */
};

/* What a plan is proved from: the policy's layers and the mount points of kernel file systems. */
struct facts {
	const struct sb_policy *policy;
	struct layer_view *layers;
	size_t nlayers;
	struct mount *mounts; /* every mount, in /proc/self/mountinfo order */
	size_t nmounts;
	bool no_new_names; /* some layer refuses create everywhere (see file_proved()) */
};

struct planner {
	const struct facts *f;
	struct sb_kgrant_plan *plan;
	size_t cap; /* of plan->grants */
	unsigned tries;
	unsigned granted; /* add_grant() calls that made or widened a grant */
	bool full;        /* a bound was reached */
};

enum verdict_kind {
	PROVED,
	FAILED,    /* nothing beneath can be granted either */
	DECOMPOSE, /* something beneath spoils the tree: try its entries */
};

static bool is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1)
		return true; /* "/" */
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == 0);
}

static int cmp_prefix(const struct sb_pathrule *r, const char *key, size_t klen)
{
	size_t n = r->rank.prefix;
	int c = memcmp(r->pattern, key, n < klen ? n : klen);
	return c ? c : (n > klen) - (n < klen);
}

static int cmp_ranked(const void *a, const void *b)
{
	const struct sb_pathrule *x = *(const struct sb_pathrule *const *)a,
				 *y = *(const struct sb_pathrule *const *)b;
	return cmp_prefix(x, y->pattern, y->rank.prefix);
}

/* The first of v's ranked rules whose prefix is not below key[0, klen). */
static size_t lower_bound(const struct layer_view *v, const char *key, size_t klen)
{
	size_t lo = 0, hi = v->nranked;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_prefix(v->ranked[mid], key, klen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int view_build(const struct sb_policy *l, struct layer_view *v)
{
	*v = (struct layer_view){ .l = l };
	v->ranked = calloc(l->npaths + 1, sizeof(*v->ranked));
	v->loose = calloc(l->npaths + 1, sizeof(*v->loose));
	if (!v->ranked || !v->loose)
		return -ENOMEM;
	for (size_t i = 0; i < l->npaths; i++) {
		const struct sb_pathrule *r = &l->paths[i];
		if (r->self != SB_SELF_NONE)
			continue; /* matches only under /proc/<pid>, never granted */
		if (r->rank.prefix)
			v->ranked[v->nranked++] = r;
		else
			v->loose[v->nloose++] = r;
	}
	qsort(v->ranked, v->nranked, sizeof(*v->ranked), cmp_ranked);
	return 0;
}

typedef bool (*rule_fn)(const struct sb_pathrule *r, void *userdata); /* false: stop */

/*
 * Calls fn for a superset of the rules of v that could match path or a path beneath it: the
 * loose ones, those whose prefix is path or an ancestor, and those whose prefix is beneath it.
 * false when fn stopped.
 */
static bool visit_near(const struct layer_view *v, const char *path, rule_fn fn, void *userdata)
{
	char a[PATH_MAX + 1];
	size_t len = strlen(path);
	if (len >= PATH_MAX)
		return true;
	for (size_t i = 0; i < v->nloose; i++)
		if (!fn(v->loose[i], userdata))
			return false;
	memcpy(a, path, len + 1);
	for (size_t n = len; n > 1;) {
		for (size_t i = lower_bound(v, a, n); i < v->nranked; i++) {
			if (cmp_prefix(v->ranked[i], a, n) != 0)
				break;
			if (!fn(v->ranked[i], userdata))
				return false;
		}
		while (n > 1 && a[n - 1] != '/')
			n--;
		n = n > 1 ? n - 1 : 1;
	}
	/* Beneath: every prefix that starts with path and a '/'. */
	size_t klen = len == 1 ? 1 : len + 1;
	a[len] = '/';
	for (size_t i = lower_bound(v, a, klen); i < v->nranked; i++) {
		const struct sb_pathrule *r = v->ranked[i];
		if (r->rank.prefix < klen || memcmp(r->pattern, a, klen) != 0)
			break;
		if (!fn(r, userdata))
			return false;
	}
	return true;
}

/* Kernel file systems: the broker's own refusals live in procfs; the others are no better. */
static bool kernel_fs(const char *type)
{
	static const char *const types[] = {
		"proc",       "sysfs",   "devtmpfs",    "devpts", "debugfs",   "tracefs",
		"securityfs", "cgroup",  "cgroup2",     "bpf",    "configfs",  "efivarfs",
		"pstore",     "fusectl", "binfmt_misc", "mqueue", "hugetlbfs", "autofs",
	};
	for (size_t i = 0; i < ELEMENTSOF(types); i++)
		if (strcmp(type, types[i]) == 0)
			return true;
	return false;
}

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/* One line of /proc/self/mountinfo: "ID PARENT MAJ:MIN ROOT POINT ... - TYPE ...". */
static int parse_mount(const char *line, struct mount *m)
{
	char root[PATH_MAX + 1], point[PATH_MAX + 1], type[64];
	unsigned maj, min;
	const char *dash = strstr(line, " - ");
	if (!dash || sscanf(line, "%*s %*s %u:%u %4096s %4096s", &maj, &min, root, point) != 4 ||
	    sscanf(dash + 3, "%63s", type) != 1)
		return 0;
	unescape(root);
	unescape(point);
	if (point[0] != '/')
		return 0;
	*m = (struct mount){ .dev = makedev(maj, min), .kernel = kernel_fs(type) };
	m->point = strdup(point);
	m->root = strdup(root);
	return m->point && m->root ? 1 : -ENOMEM;
}

/*
 * Every mount, from /proc/self/mountinfo: kernel file systems are kept out of the plan, and a
 * file system shown at two places makes the tree it shows twice an alias (see aliased()).
 */
static int read_mounts(struct facts *f)
{
	FILE *m = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int r = 0;
	if (!m)
		return -errno; /* without it, aliases cannot be ruled out: no plan */
	while (r >= 0 && getline(&line, &cap, m) > 0) {
		struct mount *v = reallocarray(f->mounts, f->nmounts + 1, sizeof(*v));
		if (!v) {
			r = -ENOMEM;
			break;
		}
		f->mounts = v;
		v[f->nmounts] = (struct mount){ 0 };
		r = parse_mount(line, &v[f->nmounts]);
		if (r != 0)
			f->nmounts++; /* on -ENOMEM too: facts_free() frees what it holds */
	}
	free(line);
	fclose(m);
	return r < 0 ? r : 0;
}

static void facts_free(struct facts *f)
{
	for (size_t i = 0; i < f->nlayers; i++) {
		free(f->layers[i].ranked);
		free(f->layers[i].loose);
	}
	free(f->layers);
	for (size_t i = 0; i < f->nmounts; i++) {
		free(f->mounts[i].point);
		free(f->mounts[i].root);
	}
	free(f->mounts);
	*f = (struct facts){ 0 };
}

/* The layers' views alone (no mounts): enough for the rule-based proofs. */
static int layers_build(const struct sb_policy *policy, struct facts *f)
{
	*f = (struct facts){ .policy = policy };
	for (const struct sb_policy *l = policy; l; l = l->next)
		f->nlayers++;
	f->layers = calloc(f->nlayers + 1, sizeof(*f->layers));
	if (!f->layers)
		return -ENOMEM;
	size_t i = 0;
	for (const struct sb_policy *l = policy; l; l = l->next) {
		int r = view_build(l, &f->layers[i++]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int facts_build(const struct sb_policy *policy, struct facts *f)
{
	int r = layers_build(policy, f);
	return r < 0 ? r : read_mounts(f);
}

static bool layer_uniform(const struct layer_view *v, const char *path, const struct want *w,
			  const struct sb_pathrule **culprit);

/* Whether some layer refuses create at every path (then no name can be made, no link either). */
static bool no_new_names(const struct facts *f)
{
	const struct want refuse = { .refuse = true, .perms = SB_PERM_CREATE };
	const struct sb_pathrule *culprit;
	for (size_t i = 0; i < f->nlayers; i++)
		if (layer_uniform(&f->layers[i], "/", &refuse, &culprit))
			return true;
	return false;
}

/*
 * /proc, /sys, /dev and every mount of a kernel file system: path is in one (FAILED) or one is
 * beneath it (DECOMPOSE).
 */
static enum verdict_kind special_place(const struct facts *f, const char *path)
{
	static const char *const places[] = { "/proc", "/sys", "/dev" };
	enum verdict_kind k = PROVED;
	for (size_t i = 0; i < ELEMENTSOF(places) + f->nmounts; i++) {
		const char *p = i < ELEMENTSOF(places) ? places[i] : NULL;
		if (!p) {
			const struct mount *m = &f->mounts[i - ELEMENTSOF(places)];
			if (!m->kernel)
				continue;
			p = m->point;
		}
		if (is_under(path, p))
			return FAILED;
		if (is_under(p, path))
			k = DECOMPOSE;
	}
	struct statfs s;
	if (statfs(path, &s) < 0)
		return FAILED;
	switch (s.f_type) {
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
	case DEVPTS_SUPER_MAGIC:
		return FAILED;
	default:
		return k;
	}
}

/*
 * Whether what is at path can also be reached at another place: a bind mount (or a second
 * mount of the same file system) that shows path, or a part of what is beneath it, somewhere
 * else. A kernel grant follows the inodes, so it would hold there too, where the policy may
 * decide otherwise. The sandbox cannot mount; the mounts that exist now are what counts.
 */
static enum verdict_kind aliased(const struct facts *f, const char *path)
{
	const struct mount *c = NULL;
	char in_fs[2 * PATH_MAX + 2];
	for (size_t i = 0; i < f->nmounts; i++) /* the last, longest one is on top */
		if (is_under(path, f->mounts[i].point) &&
		    (!c || strlen(f->mounts[i].point) >= strlen(c->point)))
			c = &f->mounts[i];
	if (!c)
		return FAILED;
	const char *rest = path + (strcmp(c->point, "/") == 0 ? 0 : strlen(c->point));
	snprintf(in_fs, sizeof(in_fs), "%s%s", strcmp(c->root, "/") == 0 ? "" : c->root, rest);
	if (!in_fs[0])
		strcpy(in_fs, "/");
	enum verdict_kind k = PROVED;
	for (size_t i = 0; i < f->nmounts; i++) {
		const struct mount *m = &f->mounts[i];
		if (m == c || m->dev != c->dev)
			continue;
		if (is_under(in_fs, m->root))
			return FAILED; /* path itself is shown there */
		if (is_under(m->root, in_fs))
			k = DECOMPOSE; /* a part beneath it is */
	}
	return k;
}

/*
 * Whether r matches path and all beneath it: G then a last component "**", where G matches path
 * or one of its ancestors.
 */
static bool covers(const struct sb_pathrule *r, const char *path)
{
	char g[PATH_MAX], a[PATH_MAX];
	size_t n = strlen(r->pattern), len = strlen(path);
	if (r->self != SB_SELF_NONE || n < 3 || strcmp(r->pattern + n - 3, "/**") != 0 ||
	    n - 3 >= sizeof(g) || len >= sizeof(a))
		return false;
	if (n == 3)
		return true;
	memcpy(g, r->pattern, n - 3);
	g[n - 3] = 0;
	memcpy(a, path, len + 1);
	while (len > 1) {
		if (sb_glob_match(g, a))
			return true;
		while (len > 1 && a[len - 1] != '/')
			len--;
		len = len > 1 ? len - 1 : 1;
		a[len] = 0;
	}
	return sb_glob_match(g, a);
}

static bool answers(enum sb_verdict v, bool log, bool limited, uint32_t perms, const struct want *w)
{
	bool allowed = v == SB_ALLOW && (perms & w->perms) == w->perms;
	if (w->refuse)
		return !allowed && v != SB_BROKER;
	return allowed && !log && !limited;
}

static bool rule_answers(const struct sb_pathrule *r, const struct want *w)
{
	return answers(r->c.verdict, r->c.log, r->c.limit.at_most || r->c.limit.rate_n, r->perms,
		       w);
}

struct scan {
	const char *path;
	const struct want *w;
	const struct sb_pathrule *anchor;
	const struct sb_pathrule *culprit;
};

static bool find_anchor(const struct sb_pathrule *r, void *userdata)
{
	struct scan *s = userdata;
	if ((!s->anchor || sb_pathrule_beats(r, s->anchor)) && covers(r, s->path))
		s->anchor = r;
	return true;
}

static bool find_culprit(const struct sb_pathrule *r, void *userdata)
{
	struct scan *s = userdata;
	if (r == s->anchor || (s->anchor && !sb_pathrule_beats(r, s->anchor)) ||
	    rule_answers(r, s->w) || !sb_glob_could_match_beneath(r->pattern, s->path))
		return true;
	s->culprit = r;
	return false;
}

/*
 * Whether layer v decides every path at or beneath path as w wants. The rule that decides a
 * path there is the most specific rule that matches the whole tree (the anchor; else the
 * default) or one that beats it: all of them must answer as w wants. On false, *culprit is the
 * rule that answers otherwise, or NULL when the anchor (or default) does.
 */
static bool layer_uniform(const struct layer_view *v, const char *path, const struct want *w,
			  const struct sb_pathrule **culprit)
{
	struct scan s = { .path = path, .w = w };
	const struct sb_default *def = &v->l->def_path;
	*culprit = NULL;
	visit_near(v, path, find_anchor, &s);
	if (s.anchor ? !rule_answers(s.anchor, w) : !answers(def->verdict, def->log, false, ~0u, w))
		return false;
	if (visit_near(v, path, find_culprit, &s))
		return true;
	*culprit = s.culprit;
	return false;
}

/* The perms the policy must allow for a grant's access. */
static uint32_t needed(uint32_t access)
{
	uint32_t p = SB_PERM_STAT;
	if (access & SB_KGRANT_READ)
		p |= SB_PERM_READ;
	if (access & SB_KGRANT_LIST)
		p |= SB_PERM_LIST;
	return p;
}

static const uint32_t changes[] = { SB_PERM_WRITE, SB_PERM_CREATE, SB_PERM_DELETE };

/* Refuses delete (so rename away too) at a, learning aside (plan_off()). */
static bool stays(const struct sb_policy *p, const char *a)
{
	struct sb_decision d;
	return sb_policy_eval_path(p, a, SB_PERM_DELETE, &d) == 0 && d.verdict != SB_ALLOW &&
	       d.verdict != SB_BROKER;
}

/*
 * path and every ancestor of it refuse delete: the inode at path, the one a kernel rule is on,
 * cannot be renamed away from the place the policy decided on.
 */
static bool fixed(const struct sb_policy *p, const char *path)
{
	char a[PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(a) || !stays(p, path))
		return false;
	memcpy(a, path, n + 1);
	while (n > 1) {
		while (n > 1 && a[n - 1] != '/')
			n--;
		a[n > 1 ? n - 1 : 1] = 0;
		n = strlen(a);
		if (!stays(p, a))
			return false;
	}
	return true;
}

/*
 * A failure on a rule can be cut away by trying the tree's entries one by one only when the rule
 * is confined to the tree: its literal prefix at or beneath path. A rule with none (a leading
 * wildcard, "**" first) or above path would spoil every entry again.
 */
static enum verdict_kind failed_on(const struct sb_pathrule *culprit, const char *path)
{
	char prefix[PATH_MAX];
	size_t n = culprit ? culprit->rank.prefix : 0;
	if (n == 0 || n >= sizeof(prefix))
		return FAILED;
	memcpy(prefix, culprit->pattern, n);
	prefix[n] = 0;
	return is_under(prefix, path) ? DECOMPOSE : FAILED;
}

/* Whether some layer refuses perm everywhere at or beneath path. */
static enum verdict_kind refused_beneath(const struct facts *f, const char *path, uint32_t perm)
{
	const struct want refuse = { .refuse = true, .perms = perm };
	const struct sb_pathrule *culprit = NULL, *first = NULL;
	for (size_t i = 0; i < f->nlayers; i++) {
		if (layer_uniform(&f->layers[i], path, &refuse, &culprit))
			return PROVED;
		if (!first)
			first = culprit;
	}
	return failed_on(first, path);
}

static enum verdict_kind try_tree(const struct facts *f, const char *path, uint32_t access)
{
	enum verdict_kind k = special_place(f, path), a = aliased(f, path);
	if (k == FAILED || a == FAILED || !fixed(f->policy, path))
		return FAILED;
	if (a == DECOMPOSE)
		k = DECOMPOSE;
	const struct sb_pathrule *culprit = NULL;
	const struct want allow = { .perms = needed(access) };
	for (size_t i = 0; i < f->nlayers; i++)
		if (!layer_uniform(&f->layers[i], path, &allow, &culprit))
			return failed_on(culprit, path);
	/* Writes, creates and deletes beneath: see the top of this file. */
	return k;
}

/*
 * A file alone: the evaluator answers for the one path. A kernel rule on a file is a rule on its
 * inode, and holds at every name the inode has: so the file must have one name now, and the
 * sandbox must be unable to give it another. The broker links any file the sandbox may read to
 * wherever it may create (a link only must not widen what the new name grants), so that holds
 * only when no name can be made anywhere. A tree grant has no such limit: its rule is on the
 * directory, and a link made elsewhere to a file beneath it is not beneath it.
 */
static bool file_proved(const struct facts *f, const char *path)
{
	struct sb_decision d;
	struct stat st;
	if (!f->no_new_names || lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    special_place(f, path) != PROVED || aliased(f, path) != PROVED ||
	    !fixed(f->policy, path))
		return false;
	uint32_t need = needed(SB_KGRANT_READ);
	for (uint32_t b = 1; b && b <= need; b <<= 1) {
		if (!(need & b))
			continue;
		if (sb_policy_eval_path(f->policy, path, b, &d) < 0 || d.verdict != SB_ALLOW ||
		    d.log || d.limit)
			return false;
	}
	for (size_t c = 0; c < ELEMENTSOF(changes); c++)
		if (sb_policy_eval_path(f->policy, path, changes[c], &d) < 0 ||
		    d.verdict == SB_ALLOW || d.verdict == SB_BROKER)
			return false;
	return true;
}

static int add_grant(struct planner *k, const char *path, bool tree, uint32_t access,
		     const struct sb_origin *origin)
{
	struct sb_kgrant_plan *plan = k->plan;
	for (size_t i = 0; i < plan->n; i++)
		if (plan->grants[i].tree == tree && strcmp(plan->grants[i].path, path) == 0) {
			plan->grants[i].access |= access;
			k->granted++;
			return 0;
		}
	if (plan->n >= MAX_GRANTS) {
		k->full = true;
		return 0;
	}
	if (plan->n == k->cap) {
		size_t c = k->cap ? k->cap * 2 : 64;
		struct sb_kgrant *v = reallocarray(plan->grants, c, sizeof(*v));
		if (!v)
			return -ENOMEM;
		plan->grants = v;
		k->cap = c;
	}
	struct sb_kgrant *g = plan->grants;
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	g[plan->n++] = (struct sb_kgrant){
		.path = copy, .tree = tree, .access = access, .origin = *origin
	};
	k->granted++;
	return 0;
}

static int plan_tree(struct planner *k, const char *path, uint32_t access,
		     const struct sb_origin *origin);

/* The entries of a directory whose tree could not be granted whole, each on its own. */
static int decompose(struct planner *k, const char *dir, uint32_t access,
		     const struct sb_origin *origin)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	DIR *d = fdopendir(fd); /* owns fd from here */
	if (!d) {
		safe_close(fd);
		return 0;
	}
	int r = 0;
	struct dirent *e;
	while (r >= 0 && !k->full && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		_cleanup_free_ char *child =
			sb_asprintf("%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", e->d_name);
		struct stat st;
		if (!child) {
			r = -ENOMEM;
			break;
		}
		if (strlen(child) >= PATH_MAX || lstat(child, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			r = plan_tree(k, child, access, origin);
		else if (S_ISREG(st.st_mode) && (access & SB_KGRANT_READ) &&
			 ++k->tries <= MAX_TRIES && file_proved(k->f, child))
			r = add_grant(k, child, false, SB_KGRANT_READ, origin);
	}
	closedir(d);
	return r;
}

static int plan_tree(struct planner *k, const char *path, uint32_t access,
		     const struct sb_origin *origin)
{
	if (++k->tries > MAX_TRIES) {
		k->full = true;
		return 0;
	}
	switch (try_tree(k->f, path, access)) {
	case PROVED:
		return add_grant(k, path, true, access, origin);
	case DECOMPOSE:
		return decompose(k, path, access, origin);
	case FAILED:
		break;
	}
	return 0;
}

/* The canonical form of path is path itself, and it exists. */
static bool canonical(const char *path, struct stat *st)
{
	_cleanup_free_ char *real = realpath(path, NULL);
	return real && strcmp(real, path) == 0 && lstat(path, st) == 0;
}

static int expand(struct planner *k, const char *dir, const char *rest, uint32_t access,
		  const struct sb_origin *origin);

static int expand_into(struct planner *k, const char *dir, const char *name, const char *rest,
		       uint32_t access, const struct sb_origin *origin)
{
	struct stat st;
	_cleanup_free_ char *child =
		sb_asprintf("%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", name);
	if (!child)
		return -ENOMEM;
	/* lstat: a symlink is not followed, so every path reached stays canonical. */
	if (strlen(child) >= PATH_MAX || lstat(child, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return expand(k, child, rest, access, origin);
}

/*
 * The directories that match the components in rest, beneath the canonical directory dir, each
 * planned as a tree: the policy's own matcher decides, one component at a time.
 */
static int expand(struct planner *k, const char *dir, const char *rest, uint32_t access,
		  const struct sb_origin *origin)
{
	char comp[NAME_MAX + 2] = "/";
	while (*rest == '/')
		rest++;
	if (!*rest)
		return plan_tree(k, dir, access, origin);
	size_t n = strcspn(rest, "/");
	if (n > NAME_MAX || k->full)
		return 0;
	memcpy(comp + 1, rest, n);
	comp[n + 1] = 0;
	if (!strpbrk(comp, "*?"))
		return expand_into(k, dir, comp + 1, rest + n, access, origin);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int r = 0;
	struct dirent *e;
	char name[NAME_MAX + 2] = "/";
	while (r >= 0 && !k->full && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(name + 1, sizeof(name) - 1, "%s", e->d_name);
		if (sb_glob_match(comp, name))
			r = expand_into(k, dir, e->d_name, rest + n, access, origin);
	}
	closedir(d);
	return r;
}

/*
 * A pattern of a wildcard directory part G and a last component "**": the directories that match
 * G now, each as a tree, from G's literal directory prefix when that is canonical.
 */
static int plan_glob(struct planner *k, const char *g, uint32_t access,
		     const struct sb_origin *origin)
{
	char base[PATH_MAX];
	struct stat st;
	size_t lit = strcspn(g, "*?");
	while (lit > 0 && g[lit] != '/')
		lit--;
	memcpy(base, g, lit);
	base[lit] = 0;
	if (lit == 0)
		strcpy(base, "/");
	if (!canonical(base, &st) || !S_ISDIR(st.st_mode))
		return 0;
	return expand(k, base, g + lit, access, origin);
}

/* A tree pattern's directories (a literal one, or those a glob names now), for one access. */
static int plan_dirs(struct planner *k, const char *g, uint32_t access,
		     const struct sb_origin *origin)
{
	struct stat st;
	if (!strpbrk(g, "*?"))
		return canonical(g, &st) && S_ISDIR(st.st_mode) ? plan_tree(k, g, access, origin)
								: 0;
	return strstr(g, "**") ? 0 : plan_glob(k, g, access, origin);
}

/*
 * A rule's grants; returns how many grants it made or widened (0: left to the broker), or
 * -errno. A tree is planned for read and for list apart, so that a rule beneath that spoils
 * one (a `list` only rule refuses read) leaves the other whole.
 */
static int plan_rule(struct planner *k, const struct sb_pathrule *r)
{
	unsigned before = k->granted;
	size_t n = strlen(r->pattern);
	struct stat st;
	int e = 0;

	if (r->rank.exact) {
		if ((r->perms & SB_PERM_READ) && canonical(r->pattern, &st) &&
		    S_ISREG(st.st_mode) && ++k->tries <= MAX_TRIES && file_proved(k->f, r->pattern))
			e = add_grant(k, r->pattern, false, SB_KGRANT_READ, &r->c.origin);
	} else if (n >= 3 && strcmp(r->pattern + n - 3, "/**") == 0 && n - 3 < PATH_MAX) {
		char g[PATH_MAX] = "/"; /* "/" then "**": the root */
		if (n > 3) {
			memcpy(g, r->pattern, n - 3);
			g[n - 3] = 0;
		}
		if (r->perms & SB_PERM_READ)
			e = plan_dirs(k, g, SB_KGRANT_READ, &r->c.origin);
		if (e >= 0 && (r->perms & SB_PERM_LIST))
			e = plan_dirs(k, g, SB_KGRANT_LIST, &r->c.origin);
	}
	return e < 0 ? e : (int)(k->granted - before);
}

/* Rules the kernel could grant: allow read or list, unlogged, unlimited, not /proc/self. */
static bool candidate(const struct sb_pathrule *r)
{
	return r->c.verdict == SB_ALLOW && !r->c.log && !r->c.limit.at_most && !r->c.limit.rate_n &&
	       r->self == SB_SELF_NONE && (r->perms & (SB_PERM_READ | SB_PERM_LIST)) &&
	       r->pattern[0] == '/';
}

const struct sb_sysrule *sb_kgrant_ruled_call(const struct sb_policy *policy)
{
	for (const struct sb_policy *l = policy; l; l = l->next)
		for (size_t i = 0; i < l->nsys; i++)
			if (sb_kg_direct_call(l->sys[i].nr))
				return &l->sys[i];
	return NULL;
}

bool sb_kgrant_off(const struct sb_policy *policy, char *why, size_t size)
{
	const char *w = NULL;
	for (const struct sb_policy *l = policy; l && !w; l = l->next)
		w = l->kernel_grants_off ? "the policy says kernel-grants off"
		    : l->learn           ? "learn mode"
					 : NULL;
	if (w) {
		snprintf(why, size, "%s", w);
		return true;
	}
	const struct sb_sysrule *r = sb_kgrant_ruled_call(policy);
	if (!r)
		return false;
	const char *name = sb_syscall_name(r->nr);
	snprintf(why, size,
		 "the syscall rule for %s (%s:%u) would not be applied to the calls the kernel "
		 "answers",
		 name ? name : "?", r->c.origin.file ? r->c.origin.file : "?", r->c.origin.line);
	return true;
}

/* Whether any layer turns the plan off (see sb_kgrant_off()). */
static bool plan_off(const struct sb_policy *policy)
{
	char why[8];
	return sb_kgrant_off(policy, why, sizeof(why));
}

static int cmp_grants(const void *a, const void *b)
{
	const struct sb_kgrant *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	return c ? c : (int)y->tree - (int)x->tree; /* a tree before a file of the same path */
}

/* The tree grant on exactly path, in the sorted plan, or NULL. */
static const struct sb_kgrant *tree_at(const struct sb_kgrant_plan *plan, const char *path)
{
	size_t lo = 0, hi = plan->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sb_kgrant *g = &plan->grants[mid];
		int c = strcmp(g->path, path);
		if (c == 0)
			return g->tree ? g : NULL;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Whether a tree grant other than g, at g's path or above it, gives all g gives. */
static bool redundant(const struct sb_kgrant_plan *plan, const struct sb_kgrant *g)
{
	char a[PATH_MAX];
	size_t n = strlen(g->path);
	if (n >= sizeof(a))
		return false;
	memcpy(a, g->path, n + 1);
	for (;;) {
		const struct sb_kgrant *t = tree_at(plan, a);
		if (t && t != g && (t->access & g->access) == g->access)
			return true;
		if (n <= 1)
			return false;
		while (n > 1 && a[n - 1] != '/')
			n--;
		n = n > 1 ? n - 1 : 1;
		a[n] = 0;
	}
}

/* Sorted by path, without the grants another one already gives (fewer kernel rules). */
static int prune(struct sb_kgrant_plan *plan)
{
	if (plan->n == 0)
		return 0;
	qsort(plan->grants, plan->n, sizeof(*plan->grants), cmp_grants);
	_cleanup_free_ bool *drop = calloc(plan->n, sizeof(*drop));
	if (!drop)
		return -ENOMEM;
	for (size_t i = 0; i < plan->n; i++)
		drop[i] = redundant(plan, &plan->grants[i]);
	size_t o = 0;
	for (size_t i = 0; i < plan->n; i++) {
		if (drop[i])
			free(plan->grants[i].path);
		else
			plan->grants[o++] = plan->grants[i];
	}
	plan->n = o;
	return 0;
}

/* Candidates come from every layer; each grant is proved against all of them. */
static int plan_all(struct planner *k)
{
	for (const struct sb_policy *l = k->f->policy; l; l = l->next)
		for (size_t i = 0; i < l->npaths; i++) {
			if (!candidate(&l->paths[i]))
				continue;
			int r = k->full ? 0 : plan_rule(k, &l->paths[i]);
			if (r < 0)
				return r;
			if (r == 0 || k->full)
				k->plan->skipped++;
		}
	return 0;
}

/* Every layer allows stat on the directory path, without a log and without a limit. */
static bool stat_static(const struct sb_policy *p, const char *path, struct sb_decision *d)
{
	return sb_policy_eval_path(p, path, SB_PERM_STAT, d) == 0 && d->verdict == SB_ALLOW &&
	       !d->log && !d->limit;
}

/* Whether path is a directory that is no symlink, below directories anyone may search. */
static bool reachable_dir(const char *path)
{
	char a[PATH_MAX];
	struct stat st;
	size_t n = strlen(path);
	if (n >= sizeof(a) || lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	memcpy(a, path, n + 1);
	while (n > 1) {
		while (n > 1 && a[n - 1] != '/')
			n--;
		n = n > 1 ? n - 1 : 1;
		a[n] = 0;
		if (lstat(a, &st) < 0 || !S_ISDIR(st.st_mode) || !(st.st_mode & S_IXOTH))
			return false;
	}
	return true;
}

static bool dir_known(const struct sb_kgrant_plan *plan, const char *path)
{
	for (size_t i = 0; i < plan->ndirs; i++)
		if (strcmp(plan->dirs[i].path, path) == 0)
			return true;
	return false;
}

static int add_dir(struct sb_kgrant_plan *plan, const char *path, const struct sb_decision *d)
{
	struct sb_kgrant *v = reallocarray(plan->dirs, plan->ndirs + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	plan->dirs = v;
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	v[plan->ndirs++] =
		(struct sb_kgrant){ .path = p,
				    .access = SB_KGRANT_STAT,
				    .origin = d->origin ? *d->origin : (struct sb_origin){ 0 } };
	return 0;
}

/* plan.dirs (kgrant.h): each tree grant's directory and its ancestors, proved fixed with it. */
static int plan_known_dirs(const struct sb_policy *policy, struct sb_kgrant_plan *plan)
{
	char a[PATH_MAX];
	for (size_t i = 0; i < plan->n && plan->ndirs < MAX_DIRS; i++) {
		size_t n = strlen(plan->grants[i].path);
		if (!plan->grants[i].tree || n >= sizeof(a))
			continue;
		memcpy(a, plan->grants[i].path, n + 1);
		for (;;) {
			struct sb_decision d;
			if (!dir_known(plan, a) && stat_static(policy, a, &d) && stays(policy, a) &&
			    reachable_dir(a) && add_dir(plan, a, &d) < 0)
				return -ENOMEM;
			if (n <= 1)
				break;
			while (n > 1 && a[n - 1] != '/')
				n--;
			n = n > 1 ? n - 1 : 1;
			a[n] = 0;
		}
	}
	if (plan->ndirs)
		qsort(plan->dirs, plan->ndirs, sizeof(*plan->dirs), cmp_grants);
	return 0;
}

int sb_kgrant_plan(const struct sb_policy *policy, struct sb_kgrant_plan *ret)
{
	struct sb_kgrant_plan plan = { 0 };
	struct facts f = { 0 };
	struct planner k = { .f = &f, .plan = &plan };

	if (!policy || !ret)
		return -EINVAL;
	if (!plan_off(policy)) {
		int r = facts_build(policy, &f);
		f.no_new_names = r == 0 && no_new_names(&f);
		if (r == 0)
			r = plan_all(&k);
		facts_free(&f);
		if (r == 0)
			r = prune(&plan);
		if (r == 0)
			r = plan_known_dirs(policy, &plan);
		if (r < 0) {
			sb_kgrant_plan_free(&plan);
			return r;
		}
	}
	*ret = plan;
	return 0;
}

void sb_kgrant_plan_free(struct sb_kgrant_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->n; i++)
		free(plan->grants[i].path);
	free(plan->grants);
	for (size_t i = 0; i < plan->ndirs; i++)
		free(plan->dirs[i].path);
	free(plan->dirs);
	*plan = (struct sb_kgrant_plan){ 0 };
}

/*
 * The plan's own proof, on the new policy, for each grant the kernel already enforces. No
 * decomposition: a grant is within or it is not. Learning (the new policy or a layer) proves
 * nothing, as in the plan; out of memory answers false, the safe side for a caller.
 */
bool sb_kgrant_plan_within(const struct sb_kgrant_plan *old, const struct sb_policy *policy,
			   const struct sb_kgrant **which)
{
	struct facts f = { 0 };
	bool ok = true, learning = false;

	if (which)
		*which = NULL;
	if (!old || old->n == 0)
		return true;
	for (const struct sb_policy *l = policy; l; l = l->next)
		learning |= l->learn;
	/* The handler's direct try would pass over a syscall rule that names its calls. */
	if (!policy || learning || sb_kgrant_ruled_call(policy) || facts_build(policy, &f) < 0)
		ok = false;
	f.no_new_names = ok && no_new_names(&f);
	size_t i = 0;
	for (; ok && i < old->n; i++) {
		const struct sb_kgrant *g = &old->grants[i];
		for (uint32_t b = SB_KGRANT_READ; ok && b <= SB_KGRANT_LIST; b <<= 1)
			if (g->access & b)
				ok = g->tree ? try_tree(&f, g->path, b) == PROVED
					     : file_proved(&f, g->path);
	}
	facts_free(&f);
	if (!ok && which)
		*which = &old->grants[i ? i - 1 : 0];
	/* The directories whose readlink the runtime answers: stat must stay allowed so. */
	for (size_t j = 0; ok && j < old->ndirs; j++) {
		struct sb_decision d;
		ok = stat_static(policy, old->dirs[j].path, &d);
		if (!ok && which)
			*which = &old->dirs[j];
	}
	return ok;
}

bool sb_kgrant_no_new_names(const struct sb_policy *policy, const char *dir)
{
	struct facts f = { 0 };
	bool ok;
	if (!policy || !dir || dir[0] != '/' || plan_off(policy))
		return false;
	ok = layers_build(policy, &f) == 0;
	/* Nothing made or removed beneath dir, and dir itself stays where it is. */
	ok = ok && refused_beneath(&f, dir, SB_PERM_CREATE) == PROVED &&
	     refused_beneath(&f, dir, SB_PERM_DELETE) == PROVED && fixed(policy, dir);
	facts_free(&f);
	return ok;
}
