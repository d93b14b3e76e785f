/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel grant plan (policy/kgrant.c) over real temporary trees: what it grants, what it
 * decomposes, what it leaves to the broker, and that every path beneath a grant is allowed by the
 * evaluator, unlogged (a property test over random policies and trees).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "kgrant.h"
#include "policy.h"

static char root[64]; /* short: every path built from it fits */

static void mk(const char *rel, bool dir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (dir) {
		assert_int_equal(mkdir(p, 0755), 0);
	} else {
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
}

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/kgrant-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	/* root/{a/{secret,x/f,y.txt},b/g,c.txt} */
	mk("a", true);
	mk("a/secret", false);
	mk("a/x", true);
	mk("a/x/f", false);
	mk("a/y.txt", false);
	mk("b", true);
	mk("b/g", false);
	mk("c.txt", false);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* A policy from lines where "@" stands for the temporary root. */
static struct sb_policy *load(const char *body)
{
	char text[8192], *o = text;
	o += snprintf(o, sizeof(text), "sysbroker-policy 1\ndefault path deny errno EACCES log\n");
	for (const char *s = body; *s; s++) {
		if (*s == '@')
			o += snprintf(o, (size_t)(text + sizeof(text) - o), "%s", root);
		else
			*o++ = *s;
		assert_true(o < text + sizeof(text) - 1);
	}
	*o = 0;
	struct sb_policy *p = NULL;
	struct sb_policy_error err;
	if (sb_policy_load_string(text, strlen(text), "t.policy", &p, &err) < 0)
		fail_msg("%u:%u: %s", err.line, err.column, err.message);
	return p;
}

static struct sb_kgrant_plan plan_of(const struct sb_policy *p)
{
	struct sb_kgrant_plan plan;
	assert_int_equal(sb_kgrant_plan(p, &plan), 0);
	return plan;
}

/* The grant on root/rel (rel "" for root itself), or NULL. */
static const struct sb_kgrant *find(const struct sb_kgrant_plan *plan, const char *rel)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s%s%s", root, *rel ? "/" : "", rel);
	for (size_t i = 0; i < plan->n; i++)
		if (strcmp(plan->grants[i].path, p) == 0)
			return &plan->grants[i];
	return NULL;
}

/* Whether path is at or beneath some grant (a tree) or is one (a file). */
static const struct sb_kgrant *covering(const struct sb_kgrant_plan *plan, const char *path)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct sb_kgrant *g = &plan->grants[i];
		size_t n = strlen(g->path);
		if (strcmp(g->path, path) == 0 || (g->tree && strncmp(g->path, path, n) == 0 &&
						   (path[n] == '/' || strcmp(g->path, "/") == 0)))
			return g;
	}
	return NULL;
}

static void test_plain_tree(void **state)
{
	struct sb_policy *p = load("path @/** read list\n");
	struct sb_kgrant_plan plan = plan_of(p);
	assert_int_equal(plan.n, 1);
	const struct sb_kgrant *g = find(&plan, "");
	assert_non_null(g);
	assert_true(g->tree);
	assert_int_equal(g->access, SB_KGRANT_READ | SB_KGRANT_LIST);
	assert_string_equal(g->origin.file, "t.policy");
	assert_int_equal(g->origin.line, 3);
	assert_int_equal(plan.skipped, 0);
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);

	/* read alone, list alone, and a literal file. */
	p = load("path @/a/** read\npath @/b/** list\npath @/c.txt read\n");
	plan = plan_of(p);
	assert_int_equal(plan.n, 3);
	assert_int_equal(find(&plan, "a")->access, SB_KGRANT_READ);
	assert_int_equal(find(&plan, "b")->access, SB_KGRANT_LIST);
	assert_false(find(&plan, "c.txt")->tree);
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
}

static void test_deny_decomposed(void **state)
{
	struct sb_policy *p = load("path @/** read list\npath @/a/secret deny\n");
	struct sb_kgrant_plan plan = plan_of(p);
	char secret[PATH_MAX];
	snprintf(secret, sizeof(secret), "%s/a/secret", root);
	assert_null(covering(&plan, secret));
	assert_null(find(&plan, ""));
	assert_null(find(&plan, "a"));
	assert_true(find(&plan, "b") && find(&plan, "b")->tree);
	assert_true(find(&plan, "a/x") && find(&plan, "a/x")->tree);
	assert_true(find(&plan, "c.txt") && !find(&plan, "c.txt")->tree);
	assert_true(find(&plan, "a/y.txt") && !find(&plan, "a/y.txt")->tree);
	assert_int_equal(plan.n, 4);
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
}

static void test_log_or_limit_beneath(void **state)
{
	static const char *const spoilers[] = {
		"path @/a/** read list log\n", "path @/a/** read list at most 5 times\n",
		"path @/a/** read list 10 per 1 seconds\n",
		"path @/a/** list\n", /* read refused there */
	};
	for (size_t i = 0; i < sizeof(spoilers) / sizeof(spoilers[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "path @/** read list\n%s", spoilers[i]);
		struct sb_policy *p = load(text);
		struct sb_kgrant_plan plan = plan_of(p);
		assert_null(find(&plan, "a"));
		assert_null(find(&plan, "a/y.txt"));
		assert_non_null(find(&plan, "b"));
		assert_non_null(find(&plan, "c.txt"));
		if (i < 3) {
			assert_null(find(&plan, ""));
			assert_null(find(&plan, "a/x"));
			assert_int_equal(find(&plan, "b")->access, SB_KGRANT_READ | SB_KGRANT_LIST);
		} else {
			/* Only read is spoiled: list keeps the whole tree (that rule's own list
			 * grant on a is beneath it: pruned), read is decomposed. */
			assert_int_equal(find(&plan, "")->access, SB_KGRANT_LIST);
			assert_int_equal(find(&plan, "b")->access, SB_KGRANT_READ);
			assert_null(find(&plan, "a/x"));
		}
		sb_kgrant_plan_free(&plan);
		sb_policy_free(p);
	}
}

/*
 * A writable tree is granted: its rule is on its own directory, which must stay where it is
 * (delete refused there and above); what is beneath may change, every name there being readable.
 */
static void test_writable_tree(void **state)
{
	static const char *const changes[] = { "write", "create", "delete", "write create delete" };
	for (size_t i = 0; i < 4; i++) {
		char text[512];
		/* Anywhere beneath: the whole tree still. */
		snprintf(text, sizeof(text), "path @/** read list\npath @/a/x/** read list %s\n",
			 changes[i]);
		struct sb_policy *p = load(text);
		struct sb_kgrant_plan plan = plan_of(p);
		assert_int_equal(plan.n, 1);
		assert_true(find(&plan, "") && find(&plan, "")->tree);
		sb_kgrant_plan_free(&plan);
		sb_policy_free(p);
		/* At the top: the pattern matches the root itself, which may then go. */
		snprintf(text, sizeof(text), "path @/** read list %s\n", changes[i]);
		p = load(text);
		plan = plan_of(p);
		assert_int_equal(plan.n, i == 2 || i == 3 ? 0 : 1);
		sb_kgrant_plan_free(&plan);
		sb_policy_free(p);
		/* ... unless a rule of its own keeps it. */
		snprintf(text, sizeof(text), "path @/** read list %s\npath @ read list\n",
			 changes[i]);
		p = load(text);
		plan = plan_of(p);
		assert_int_equal(plan.n, 1);
		assert_true(find(&plan, "")->tree);
		sb_kgrant_plan_free(&plan);
		sb_policy_free(p);
	}
	/* A decomposed child whose own directory may go is not granted; its siblings are. */
	struct sb_policy *p =
		load("path @/** read list\npath @/a/secret deny\npath @/a/x read list delete\n");
	struct sb_kgrant_plan plan = plan_of(p);
	assert_null(find(&plan, "a/x"));
	assert_non_null(find(&plan, "b"));
	assert_non_null(find(&plan, "a/y.txt"));
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
	/* Delete on an ancestor: the tree could be renamed away. */
	p = load("path @/a/** read list\npath @ delete\n");
	plan = plan_of(p);
	assert_int_equal(plan.n, 0);
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
	p = load("path @/a/** read list\npath /tmp/** delete\n");
	plan = plan_of(p);
	assert_int_equal(plan.n, 0);
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
	/* A file alone keeps its strict rule: nothing may change it, nor make a name anywhere. */
	p = load("path @/** read list write\npath @ read list\npath @/b/** deny\n");
	plan = plan_of(p);
	assert_null(find(&plan, "c.txt"));
	assert_non_null(find(&plan, "a"));
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
}

/* No name can appear or go beneath a directory: the exec patterns' question. */
static void test_no_new_names(void **state)
{
	char a[PATH_MAX];
	snprintf(a, sizeof(a), "%s/a", root);
	struct sb_policy *p = load("path @/a/** stat\npath @/a/x* exec\n");
	assert_true(sb_kgrant_no_new_names(p, a));
	sb_policy_free(p);
	p = load("path @/a/** stat\npath @/a/x/** create\n");
	assert_false(sb_kgrant_no_new_names(p, a));
	sb_policy_free(p);
	p = load("path @/a/** stat\npath @/a/y.txt delete\n");
	assert_false(sb_kgrant_no_new_names(p, a));
	sb_policy_free(p);
	p = load("path @/a/** stat\npath @ delete\n"); /* a's parent: a may be renamed away */
	assert_false(sb_kgrant_no_new_names(p, a));
	sb_policy_free(p);
}

/*
 * A kernel rule on a file holds at every name of its inode: a file with a second name, or one the
 * sandbox could link elsewhere (it may create somewhere), is not granted alone.
 */
static void test_file_links(void **state)
{
	char a[PATH_MAX], b[PATH_MAX];
	snprintf(a, sizeof(a), "%s/c.txt", root);
	snprintf(b, sizeof(b), "%s/b/c-link", root);
	struct sb_policy *p =
		load("path @/c.txt read\npath @/** read list\npath @/a/secret deny\n");
	struct sb_kgrant_plan plan = plan_of(p);
	assert_non_null(find(&plan, "c.txt"));
	sb_kgrant_plan_free(&plan);
	assert_int_equal(link(a, b), 0);
	plan = plan_of(p);
	assert_null(find(&plan, "c.txt"));
	/* A tree's rule is on its directory: the name inside it is granted, the other is not. */
	assert_non_null(find(&plan, "b"));
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
	unlink(b);
	p = load("path @/c.txt read\npath /var/tmp/** read create\n");
	plan = plan_of(p);
	/* c.txt could be linked into /var/tmp; that tree is granted (it is readable everywhere). */
	assert_null(find(&plan, "c.txt"));
	assert_int_equal(plan.n, 1);
	assert_string_equal(plan.grants[0].path, "/var/tmp");
	assert_int_equal(plan.skipped, 1);
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
}

/* At most 4096 grants: past it, the rule is counted as left to the broker, and all is sound. */
static void test_bound(void **state)
{
	char rel[64];
	mk("many", true);
	for (int i = 0; i < 4200; i++) { /* files: a directory of them is quick to remove */
		snprintf(rel, sizeof(rel), "many/f%d", i);
		mk(rel, false);
	}
	struct sb_policy *p = load("path @/many/** read list\npath @/many/f7 deny\n");
	struct sb_kgrant_plan plan = plan_of(p);
	assert_int_equal(plan.n, 4096);
	assert_int_equal(plan.skipped, 1);
	assert_null(find(&plan, "many/f7"));
	assert_null(find(&plan, "many"));
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
}

static void test_symlink_skipped(void **state)
{
	char link[PATH_MAX], target[PATH_MAX];
	snprintf(link, sizeof(link), "%s/lnk", root);
	snprintf(target, sizeof(target), "%s/b", root);
	assert_int_equal(symlink(target, link), 0);
	struct sb_policy *p = load("path @/lnk/** read list\npath @/lnk read\n");
	struct sb_kgrant_plan plan = plan_of(p);
	assert_int_equal(plan.n, 0);
	assert_int_equal(plan.skipped, 2);
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
	/* A symlink inside a decomposed tree is not granted either. */
	p = load("path @/** read list\npath @/a/secret deny\n");
	plan = plan_of(p);
	assert_null(find(&plan, "lnk"));
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
	unlink(link);
}

static void test_special_never(void **state)
{
	struct sb_policy *p = load("path /proc/** read list\npath /sys/** read list\n"
				   "path /dev/** read list\npath /dev/null read\n"
				   "path /proc/cpuinfo read\npath /** read list\n");
	struct sb_kgrant_plan plan = plan_of(p);
	for (size_t i = 0; i < plan.n; i++) {
		const char *g = plan.grants[i].path;
		assert_true(strcmp(g, "/") != 0);
		assert_false(strncmp(g, "/proc", 5) == 0 && (g[5] == '/' || !g[5]));
		assert_false(strncmp(g, "/sys", 4) == 0 && (g[4] == '/' || !g[4]));
		assert_false(strncmp(g, "/dev", 4) == 0 && (g[4] == '/' || !g[4]));
	}
	assert_true(plan.n > 0); /* /usr, /etc... */
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
}

static void test_glob_expanded(void **state)
{
	mk("py3.1", true);
	mk("py3.2", true);
	mk("py3.2/lib", true);
	mk("py2", true);
	mk("py3.file", false);
	struct sb_policy *p = load("path @/py3*/** read list\n");
	struct sb_kgrant_plan plan = plan_of(p);
	assert_int_equal(plan.n, 2);
	assert_true(find(&plan, "py3.1") && find(&plan, "py3.1")->tree);
	assert_true(find(&plan, "py3.2") && find(&plan, "py3.2")->tree);
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
	p = load("path @/*/** read list\npath @/py3.2/lib deny\n");
	plan = plan_of(p);
	assert_non_null(find(&plan, "py3.1"));
	assert_null(find(&plan, "py3.2"));
	assert_non_null(find(&plan, "py2"));
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'/py3.1 '%s'/py3.2 '%s'/py2 '%s'/py3.file", root,
		 root, root, root);
	assert_int_equal(system(cmd), 0);
}

static void test_layers(void **state)
{
	struct sb_policy *p = load("path @/** read list\n");
	struct sb_policy *later = load("path @/** read list\npath @/a/** deny\n");
	p->next = later;
	struct sb_kgrant_plan plan = plan_of(p);
	assert_null(find(&plan, ""));
	assert_null(find(&plan, "a"));
	assert_non_null(find(&plan, "b"));
	sb_kgrant_plan_free(&plan);
	/* A later layer that grants nothing there: nothing. */
	struct sb_policy *none = load("path @/b/** read list\n");
	later->next = none;
	plan = plan_of(p);
	assert_null(find(&plan, "c.txt"));
	assert_non_null(find(&plan, "b"));
	sb_kgrant_plan_free(&plan);
	later->next = NULL;
	p->next = NULL;
	sb_policy_free(none);
	sb_policy_free(later);
	sb_policy_free(p);
}

static void test_off_and_learn(void **state)
{
	struct sb_policy *p = load("kernel-grants off\npath @/** read list\n");
	struct sb_kgrant_plan plan = plan_of(p);
	assert_int_equal(plan.n, 0);
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
	p = load("kernel-grants off\nkernel-grants on\npath @/** read list\n");
	plan = plan_of(p);
	assert_int_equal(plan.n, 1);
	sb_kgrant_plan_free(&plan);
	p->learn = true;
	plan = plan_of(p);
	assert_int_equal(plan.n, 0);
	sb_kgrant_plan_free(&plan);
	sb_policy_free(p);
}

static void test_within(void **state)
{
	struct sb_policy *old = load("path @/** read list\npath @/a/secret deny\n");
	struct sb_kgrant_plan plan = plan_of(old);
	const struct sb_kgrant *which = NULL;
	assert_true(sb_kgrant_plan_within(&plan, old, &which));
	assert_null(which);
	/* Wider: the exception gone, more perms elsewhere. */
	struct sb_policy *wide = load("path @/** read list\npath /usr/** read list\n");
	assert_true(sb_kgrant_plan_within(&plan, wide, &which));
	/* Narrower: a deny inside a granted tree. */
	struct sb_policy *narrow = load("path @/** read list\npath @/b/g deny\n");
	assert_false(sb_kgrant_plan_within(&plan, narrow, &which));
	assert_non_null(which);
	assert_string_equal(which->path, find(&plan, "b")->path);
	/* Logged now, or a file made writable. */
	struct sb_policy *logged = load("path @/** read list log\n");
	assert_false(sb_kgrant_plan_within(&plan, logged, &which));
	struct sb_policy *writable = load("path @/** read list\npath @/c.txt read write\n");
	assert_false(sb_kgrant_plan_within(&plan, writable, &which));
	assert_string_equal(which->path, find(&plan, "c.txt")->path);
	sb_kgrant_plan_free(&plan);
	sb_policy_free(writable);
	sb_policy_free(logged);
	sb_policy_free(narrow);
	sb_policy_free(wide);
	sb_policy_free(old);
}

/* --- The property: every path beneath a grant is allowed, unlogged; its own directory stays - */

#define PROP_MAX 64

struct rtree {
	char rel[PROP_MAX][32]; /* relative paths made, "" is the root */
	bool dir[PROP_MAX];
	size_t n;
};

/* A random tree of at most three levels: directories, files and a symlink or two. */
static void random_tree(struct rtree *t)
{
	t->n = 1;
	t->rel[0][0] = 0;
	t->dir[0] = true;
	for (size_t i = 0; i < t->n && t->n < PROP_MAX; i++) {
		if (!t->dir[i] || strlen(t->rel[i]) > 12)
			continue;
		int kids = rand() % 4;
		for (int c = 0; c < kids && t->n < PROP_MAX; c++) {
			int kind = rand() % 6; /* 0-2 dir, 3-4 file, 5 symlink */
			char *rel = t->rel[t->n];
			snprintf(rel, sizeof(t->rel[0]), "%s%s%c%d", t->rel[i],
				 *t->rel[i] ? "/" : "",
				 kind < 3   ? 'd'
				 : kind < 5 ? 'f'
					    : 'l',
				 c);
			char p[PATH_MAX];
			snprintf(p, sizeof(p), "%s/%s", root, rel);
			if (kind == 5) {
				assert_int_equal(symlink(root, p), 0);
				continue; /* not a place of its own */
			}
			mk(rel, kind < 3);
			t->dir[t->n++] = kind < 3;
		}
	}
}

static void random_rule(const struct rtree *t, char *out, size_t size)
{
	static const char *const perms[] = {
		"read list",
		"read",
		"list",
		"read list",
		"read write",
		"read create",
		"list delete",
		"deny",
		"read list log",
		"read list at most 3 times",
		"stat",
		"read list write create delete",
		"read list write create delete",
	};
	const char *rel = t->rel[rand() % t->n];
	const char *sep = *rel ? "/" : "";
	const char *perm = perms[rand() % (sizeof(perms) / sizeof(perms[0]))];
	switch (rand() % 5) {
	case 0:
	case 1:
		snprintf(out, size, "path @%s%s/** %s\n", sep, rel, perm);
		break;
	case 2:
		snprintf(out, size, "path @%s%s %s\n", sep, rel, perm);
		break;
	case 3:
		snprintf(out, size, "path @/*%c*/** %s\n", 'd' + rand() % 3, perm);
		break;
	default:
		snprintf(out, size, "path @/**/%c%d %s\n", "dfl"[rand() % 3], rand() % 3, perm);
		break;
	}
}

static struct sb_policy *random_policy(const struct rtree *t)
{
	char text[4096] = "path @/** read list\n";
	int n = rand() % 6;
	if (rand() % 4 == 0)
		text[0] = 0; /* no tree over everything */
	for (int i = 0; i < n; i++) {
		char rule[256];
		random_rule(t, rule, sizeof(rule));
		strcat(text, rule);
	}
	return load(text);
}

static void assert_allowed(const struct sb_policy *p, const char *path, uint32_t perm)
{
	struct sb_decision d;
	assert_int_equal(sb_policy_eval_path(p, path, perm, &d), 0);
	if (d.verdict != SB_ALLOW || d.log || d.limit)
		fail_msg("%s perm %#x: verdict %d log %d limit %d", path, perm, d.verdict, d.log,
			 d.limit != NULL);
}

static void assert_refused(const struct sb_policy *p, const char *path, uint32_t perm)
{
	struct sb_decision d;
	assert_int_equal(sb_policy_eval_path(p, path, perm, &d), 0);
	if (d.verdict == SB_ALLOW)
		fail_msg("%s perm %#x is allowed beneath a kernel grant", path, perm);
}

/* Every path of the tree beneath a grant, and a name that does not exist yet in each directory. */
static unsigned check_paths(const struct sb_policy *p, const struct sb_kgrant_plan *plan,
			    const struct rtree *t)
{
	unsigned covered = 0;
	for (size_t i = 0; i < t->n; i++) {
		char path[PATH_MAX], fresh[PATH_MAX + 8];
		snprintf(path, sizeof(path), "%s%s%s", root, *t->rel[i] ? "/" : "", t->rel[i]);
		snprintf(fresh, sizeof(fresh), "%s/new", path);
		const struct sb_kgrant *g = covering(plan, path);
		if (!g)
			continue;
		covered++;
		assert_false(!g->tree && t->dir[i]);
		assert_allowed(p, path, SB_PERM_STAT);
		if (g->access & SB_KGRANT_READ)
			assert_allowed(p, path, SB_PERM_READ);
		if ((g->access & SB_KGRANT_LIST) && t->dir[i])
			assert_allowed(p, path, SB_PERM_LIST);
		if (!g->tree) {
			assert_refused(p, path, SB_PERM_WRITE);
			assert_refused(p, path, SB_PERM_CREATE);
			assert_refused(p, path, SB_PERM_DELETE);
		}
		/* A name made there (or moved, or linked there) is allowed as the rest. */
		if (t->dir[i] && g->tree && (g->access & SB_KGRANT_READ))
			assert_allowed(p, fresh, SB_PERM_READ);
	}
	/* No grant, nor an ancestor of one, may be deleted (renamed away). */
	for (size_t i = 0; i < plan->n; i++) {
		struct stat st;
		if (!plan->grants[i].tree) {
			/* A file alone: one name, and no other can be made (linked) anywhere. */
			assert_int_equal(lstat(plan->grants[i].path, &st), 0);
			assert_int_equal(st.st_nlink, 1);
			for (size_t j = 0; j < t->n; j++) {
				char fresh[PATH_MAX];
				snprintf(fresh, sizeof(fresh), "%s/%s%snew", root, t->rel[j],
					 *t->rel[j] ? "/" : "");
				assert_refused(p, fresh, SB_PERM_CREATE);
			}
			assert_refused(p, "/var/tmp/new", SB_PERM_CREATE);
		}
		char a[PATH_MAX];
		snprintf(a, sizeof(a), "%s", plan->grants[i].path);
		assert_refused(p, a, SB_PERM_DELETE); /* the rule-bearing inode stays */
		for (char *s = strrchr(a, '/'); s && s != a; s = strrchr(a, '/')) {
			*s = 0;
			assert_refused(p, a, SB_PERM_DELETE);
		}
	}
	return covered;
}

static void test_property(void **state)
{
	unsigned seed = (unsigned)getpid(), covered = 0, grants = 0;
	const char *env = getenv("KGRANT_SEED");
	if (env)
		seed = (unsigned)strtoul(env, NULL, 10);
	printf("# property seed %u (KGRANT_SEED to repeat)\n", seed);
	srand(seed);
	for (int round = 0; round < 60; round++) {
		assert_int_equal(teardown(NULL), 0);
		assert_int_equal(mkdir(root, 0700), 0);
		struct rtree t;
		random_tree(&t);
		for (int k = 0; k < 10; k++) {
			struct sb_policy *p = random_policy(&t);
			struct sb_policy *later = rand() % 4 == 0 ? random_policy(&t) : NULL;
			p->next = later;
			struct sb_kgrant_plan plan = plan_of(p);
			grants += (unsigned)plan.n;
			covered += check_paths(p, &plan, &t);
			assert_true(sb_kgrant_plan_within(&plan, p, NULL));
			sb_kgrant_plan_free(&plan);
			p->next = NULL;
			sb_policy_free(later);
			sb_policy_free(p);
		}
	}
	printf("# %u grants covered %u paths\n", grants, covered);
	assert_true(grants > 0 && covered > 0); /* the test tested something */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deny_decomposed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_or_limit_beneath, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writable_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_new_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_never, setup, teardown),
		cmocka_unit_test_setup_teardown(test_glob_expanded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_and_learn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_within, setup, teardown),
		cmocka_unit_test_setup_teardown(test_property, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
