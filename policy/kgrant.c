/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kgrant.c: the kernel grant plan (see kgrant.h). Every grant is proved a subset of the policy
 * structurally, on the rules, never by walking the paths beneath it:
 *
 *  - Allowed: in every layer, the most specific rule that matches the whole tree (its "anchor",
 *    else the default) and every rule that could match a path in the tree and beats the anchor
 *    allow the access without a log and without a limit. Whatever rule decides a path in the
 *    tree is one of those, so every path in it is allowed so.
 *  - Immutable: for each of write, create and delete some layer refuses it in the whole tree by
 *    the same argument, and every ancestor of the tree refuses delete (no rename away). So no
 *    name in a granted tree can be made, moved or linked from the sandbox: the inodes the kernel
 *    grant follows stay at the paths the policy decided on.
 *  - Not /proc, /sys or /dev (by name or by file system): the broker refuses some of /proc on
 *    its own (its own /proc directory, any process's memory: builtin_denied() in
 *    broker/executor.c), which a kernel grant would bypass; its other built-in refusals (device
 *    nodes, trusted.* and security.* attributes, fanotify mount marks) are about making and
 *    changing, never a read-only open or a listing.
 *
 * A tree whose proof fails on a rule (not on its anchor) is decomposed: each entry of it is tried
 * on its own, directories as trees and regular files alone, so that a deny exception, a logged
 * or limited rule, or a writable place inside a tree only takes its own branch to the broker.
 * Symlinks and special files are never granted (the broker decides on canonical paths).
 *
 * Learn mode: the broker lets a logged denial run, so a write or a delete the policy refuses with
 * a log is not refused, and no tree is immutable: a learning policy (any layer) has an empty plan.
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
#include <sys/statfs.h>
#include <unistd.h>

#include "kgrant.h"
#include "macro.h"
#include "util.h"

#define MAX_GRANTS 4096 /* grants in one plan; past it, rules are left to the broker */
#define MAX_TRIES 16384 /* trees and files tried in one plan, decompositions included */

/* What every rule that may decide a path of the tree must answer. */
struct want {
	bool refuse; /* refuse perms (one bit); else allow perms, unlogged and unlimited */
	uint32_t perms;
};

struct planner {
	const struct sb_policy *policy;
	struct sb_kgrant_plan *plan;
	unsigned tries;
	bool full; /* a bound was reached */
};

enum verdict_kind {
	PROVED,
	FAILED,    /* nothing beneath can be granted either */
	DECOMPOSE, /* a rule beneath spoils the tree: try its entries */
};

static bool is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1)
		return true; /* "/" */
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == 0);
}

/* /proc, /sys, /dev: the path is in one (FAILED) or one is beneath it (DECOMPOSE). */
static enum verdict_kind special_place(const char *path)
{
	static const char *const places[] = { "/proc", "/sys", "/dev" };
	enum verdict_kind k = PROVED;
	for (size_t i = 0; i < ELEMENTSOF(places); i++) {
		if (is_under(path, places[i]))
			return FAILED;
		if (is_under(places[i], path))
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

/* Does a beat b? As the evaluator ranks them: specificity, then written last, then array order. */
static bool beats(const struct sb_pathrule *a, const struct sb_pathrule *b)
{
	int c = sb_glob_compare(&a->rank, &b->rank);
	if (c != 0)
		return c > 0;
	if (a->c.seq != b->c.seq)
		return a->c.seq > b->c.seq;
	return a < b;
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

/* Whether r may decide some path at or beneath path. A /proc/self rule never does (not /proc). */
static bool reaches(const struct sb_pathrule *r, const char *path)
{
	if (r->self != SB_SELF_NONE)
		return false;
	size_t n = r->rank.prefix;
	/* The cheap test first: the rule's literal prefix and path must lie on one branch. */
	if (n && !sb_glob_could_match(r->pattern, &r->rank, path) &&
	    !(strncmp(r->pattern, path, strlen(path)) == 0 &&
	      (r->pattern[strlen(path)] == '/' || strcmp(path, "/") == 0)))
		return false;
	return sb_glob_could_match_beneath(r->pattern, path);
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

/*
 * Whether layer l decides every path at or beneath path as w wants. On false, *culprit is the
 * rule beneath that answers otherwise, or NULL when the tree's own anchor (or default) does.
 */
static bool layer_uniform(const struct sb_policy *l, const char *path, const struct want *w,
			  const struct sb_pathrule **culprit)
{
	const struct sb_pathrule *anchor = NULL;
	*culprit = NULL;
	for (size_t i = 0; i < l->npaths; i++)
		if (covers(&l->paths[i], path) && (!anchor || beats(&l->paths[i], anchor)))
			anchor = &l->paths[i];
	if (anchor ? !rule_answers(anchor, w)
		   : !answers(l->def_path.verdict, l->def_path.log, false, ~0u, w))
		return false;
	for (size_t i = 0; i < l->npaths; i++) {
		const struct sb_pathrule *r = &l->paths[i];
		if (r == anchor || (anchor && !beats(r, anchor)) || rule_answers(r, w) ||
		    !reaches(r, path))
			continue;
		*culprit = r;
		return false;
	}
	return true;
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

/* Every ancestor of path refuses delete: the tree cannot be renamed away. */
static bool ancestors_fixed(const struct sb_policy *p, const char *path)
{
	char a[PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(a))
		return false;
	memcpy(a, path, n + 1);
	while (n > 1) {
		while (n > 1 && a[n - 1] != '/')
			n--;
		a[n > 1 ? n - 1 : 1] = 0;
		n = strlen(a);
		struct sb_decision d;
		if (sb_policy_eval_path(p, a, SB_PERM_DELETE, &d) < 0 || d.verdict == SB_ALLOW)
			return false;
	}
	return true;
}

static enum verdict_kind try_tree(const struct sb_policy *p, const char *path, uint32_t access)
{
	enum verdict_kind k = special_place(path);
	if (k == FAILED || !ancestors_fixed(p, path))
		return FAILED;
	const struct sb_pathrule *culprit = NULL, *first = NULL;
	const struct want allow = { .perms = needed(access) };
	for (const struct sb_policy *l = p; l; l = l->next)
		if (!layer_uniform(l, path, &allow, &culprit))
			return culprit ? DECOMPOSE : FAILED;
	for (size_t c = 0; c < ELEMENTSOF(changes); c++) {
		const struct want refuse = { .refuse = true, .perms = changes[c] };
		bool held = false;
		first = NULL;
		for (const struct sb_policy *l = p; l && !held; l = l->next) {
			held = layer_uniform(l, path, &refuse, &culprit);
			if (!held && !first)
				first = culprit;
		}
		if (!held)
			return first ? DECOMPOSE : FAILED;
	}
	return k;
}

/* A file alone: the evaluator answers for the one path. */
static bool file_proved(const struct sb_policy *p, const char *path)
{
	struct sb_decision d;
	if (special_place(path) != PROVED || !ancestors_fixed(p, path))
		return false;
	uint32_t need = needed(SB_KGRANT_READ);
	for (uint32_t b = 1; b && b <= need; b <<= 1) {
		if (!(need & b))
			continue;
		if (sb_policy_eval_path(p, path, b, &d) < 0 || d.verdict != SB_ALLOW || d.log ||
		    d.limit)
			return false;
	}
	for (size_t c = 0; c < ELEMENTSOF(changes); c++)
		if (sb_policy_eval_path(p, path, changes[c], &d) < 0 || d.verdict == SB_ALLOW ||
		    d.verdict == SB_BROKER)
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
			return 0;
		}
	if (plan->n >= MAX_GRANTS) {
		k->full = true;
		return 0;
	}
	struct sb_kgrant *g = reallocarray(plan->grants, plan->n + 1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	plan->grants = g;
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	g[plan->n++] = (struct sb_kgrant){
		.path = copy, .tree = tree, .access = access, .origin = *origin
	};
	return 0;
}

static int plan_tree(struct planner *k, const char *path, uint32_t access,
		     const struct sb_origin *origin);

/* The entries of a directory whose tree could not be granted whole, each on its own. */
static int decompose(struct planner *k, const char *dir, uint32_t access,
		     const struct sb_origin *origin)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	DIR *d = fdopendir(fd);
	if (!d)
		return 0;
	fd = -1; /* the stream owns it now */
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
			 ++k->tries <= MAX_TRIES && file_proved(k->policy, child))
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
	switch (try_tree(k->policy, path, access)) {
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

/* A rule's grants; returns how many it added (0: left to the broker), or -errno. */
static int plan_rule(struct planner *k, const struct sb_pathrule *r)
{
	uint32_t access = (r->perms & SB_PERM_READ ? SB_KGRANT_READ : 0) |
			  (r->perms & SB_PERM_LIST ? SB_KGRANT_LIST : 0);
	size_t before = k->plan->n;
	size_t n = strlen(r->pattern);
	struct stat st;
	int e = 0;

	if (r->rank.exact) {
		if (canonical(r->pattern, &st) && S_ISREG(st.st_mode) &&
		    (access & SB_KGRANT_READ) && ++k->tries <= MAX_TRIES &&
		    file_proved(k->policy, r->pattern))
			e = add_grant(k, r->pattern, false, SB_KGRANT_READ, &r->c.origin);
	} else if (n >= 3 && strcmp(r->pattern + n - 3, "/**") == 0 && n - 3 < PATH_MAX) {
		char g[PATH_MAX] = "/"; /* "/" then "**": the root */
		if (n > 3) {
			memcpy(g, r->pattern, n - 3);
			g[n - 3] = 0;
		}
		if (!strpbrk(g, "*?")) {
			if (canonical(g, &st) && S_ISDIR(st.st_mode))
				e = plan_tree(k, g, access, &r->c.origin);
		} else if (!strstr(g, "**")) {
			e = plan_glob(k, g, access, &r->c.origin);
		}
	}
	return e < 0 ? e : (int)(k->plan->n - before);
}

/* Rules the kernel could grant: allow read or list, unlogged, unlimited, not /proc/self. */
static bool candidate(const struct sb_pathrule *r)
{
	return r->c.verdict == SB_ALLOW && !r->c.log && !r->c.limit.at_most && !r->c.limit.rate_n &&
	       r->self == SB_SELF_NONE && (r->perms & (SB_PERM_READ | SB_PERM_LIST)) &&
	       r->pattern[0] == '/';
}

/* Whether any layer turns the plan off, or learns (see the top of this file). */
static bool plan_off(const struct sb_policy *policy)
{
	for (const struct sb_policy *l = policy; l; l = l->next)
		if (l->kernel_grants_off || l->learn)
			return true;
	return false;
}

int sb_kgrant_plan(const struct sb_policy *policy, struct sb_kgrant_plan *ret)
{
	struct sb_kgrant_plan plan = { 0 };
	struct planner k = { .policy = policy, .plan = &plan };

	if (!policy || !ret)
		return -EINVAL;
	if (!plan_off(policy)) {
		/* Candidates come from every layer; each grant is proved against all of them. */
		for (const struct sb_policy *l = policy; l; l = l->next)
			for (size_t i = 0; i < l->npaths; i++) {
				if (!candidate(&l->paths[i]))
					continue;
				if (k.full) {
					plan.skipped++;
					continue;
				}
				int r = plan_rule(&k, &l->paths[i]);
				if (r < 0) {
					sb_kgrant_plan_free(&plan);
					return r;
				}
				if (r == 0 || k.full)
					plan.skipped++;
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
	*plan = (struct sb_kgrant_plan){ 0 };
}

bool sb_kgrant_plan_within(const struct sb_kgrant_plan *old, const struct sb_policy *policy,
			   const struct sb_kgrant **which)
{
	if (which)
		*which = NULL;
	if (!old)
		return true;
	bool learning = false;
	for (const struct sb_policy *l = policy; l; l = l->next)
		learning |= l->learn;
	for (size_t i = 0; i < old->n; i++) {
		const struct sb_kgrant *g = &old->grants[i];
		bool ok = !learning && policy &&
			  (g->tree ? try_tree(policy, g->path, g->access) == PROVED
				   : file_proved(policy, g->path));
		if (!ok) {
			if (which)
				*which = g;
			return false;
		}
	}
	return true;
}
