/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rule index: what makes a decision cost the rules that could match, not every rule.
 *
 * Syscall rules are grouped by number. Path rules hang in a trie of path components: a pattern
 * sits at the node of its leading literal components (those before its first wildcard), as an
 * exact rule when it has no wildcard (checked only for a path that ends at that node), in the
 * node's residual list when its next component starts with a wildcard or is "**", and else in a
 * bucket keyed by the literal head of that component (the characters before its first '*' or
 * '?'), which every component it matches starts with. A path walks the trie along its
 * components and visits the lists on its way: a superset of the rules that match, which the
 * evaluator then checks exactly as it always has. Components are split on runs of '/', as
 * sb_glob_match() splits them, so the trie never leaves out a rule that matches.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"

#define NONE UINT32_MAX
#define SYS_SLOTS 1024 /* syscall numbers below this have a slot; others share the last one */
#define MAX_DEPTH 8    /* literal components indexed; deeper ones go to the depth-8 residual */
#define MAX_KEY 64     /* characters of a bucket's key; longer ones are cut (still a superset) */

struct node {
	uint32_t exact, glob; /* list ids */
	uint32_t keys;        /* id of the node's struct keys, NONE when it has no buckets */
	uint32_t table;       /* id of the node's table of edges, NONE when it has none */
};

/* Bit L-1 of a mask: some bucket of that kind at the node has a key of L characters. */
struct keys {
	uint64_t heads;     /* the next component starts with the key */
	uint64_t tails;     /* the path's last component ends with the key */
	uint64_t lastheads; /* the path's last component starts with the key */
};

/* A trie edge (child) or a bucket, keyed by kind and characters, in its node's table. */
struct slot {
	const char *s;   /* points into a rule's pattern; NULL: free */
	uint32_t len;    /* a KEY_* bit for a bucket, none for a child */
	uint32_t target; /* child node id, or list id */
	uint32_t hash;
};

/*
 * The edges of one node: an open-addressed table of its own, so that a node's children, which
 * a policy usually lists together, are added and found in memory close together.
 */
struct table {
	uint32_t used, mask; /* mask + 1 slots, a power of two */
	struct slot slot[];
};

struct span {
	uint32_t start, n;
};

struct sb_policy_index {
	size_t nsys, npaths; /* rules covered */
	struct sb_sysrule last_sys;
	const char *last_pattern;
	uint32_t sys_start[SYS_SLOTS + 2];
	uint32_t *sys_rules;
	struct node *nodes;
	size_t nnodes, cnodes;
	struct keys *keys;
	size_t nkeys, ckeys;
	struct table **tables;
	size_t ntables, ctables;
	struct span *lists;
	size_t nlists, clists;
	uint32_t *path_rules;
};

#define HEAD_BIT 0x80000000u
#define TAIL_BIT 0x40000000u
#define LAST_BIT 0x20000000u
#define KEY_BITS (HEAD_BIT | TAIL_BIT | LAST_BIT)

static uint32_t hash_key(uint32_t len, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ len;
	for (uint32_t i = 0; i < (len & ~KEY_BITS); i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
	/* FNV's low bits depend on little of the input; mix before using them as an index. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

/* The slot of (len, s) in t: the one that holds it, or the free one where it would go. */
static struct slot *probe(struct table *t, uint32_t h, uint32_t len, const char *s)
{
	for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
		struct slot *e = &t->slot[i];
		if (!e->s ||
		    (e->hash == h && e->len == len && memcmp(e->s, s, len & ~KEY_BITS) == 0))
			return e;
	}
}

static const struct slot *lookup(const struct sb_policy_index *x, uint32_t node, uint32_t len,
				 const char *s)
{
	uint32_t t = x->nodes[node].table;
	if (t == NONE)
		return NULL;
	const struct slot *e = probe(x->tables[t], hash_key(len, s), len, s);
	return e->s ? e : NULL;
}

/* The table of node, with room for one more edge. */
static struct table *node_table(struct sb_policy_index *x, uint32_t node)
{
	uint32_t id = x->nodes[node].table;
	struct table *t = id == NONE ? NULL : x->tables[id];
	if (t && (t->used + 1) * 2 <= t->mask + 1)
		return t;
	if (id == NONE && x->ntables == x->ctables) {
		size_t c = x->ctables ? x->ctables * 2 : 64;
		struct table **v = reallocarray(x->tables, c, sizeof(*v));
		if (!v)
			return NULL;
		x->tables = v;
		x->ctables = c;
	}
	uint32_t n = t ? (t->mask + 1) * 2 : 4;
	struct table *g = calloc(1, sizeof(*g) + n * sizeof(g->slot[0]));
	if (!g)
		return NULL;
	g->mask = n - 1;
	for (uint32_t i = 0; t && i <= t->mask; i++)
		if (t->slot[i].s) {
			*probe(g, t->slot[i].hash, t->slot[i].len, t->slot[i].s) = t->slot[i];
			g->used++;
		}
	free(t);
	if (id == NONE) {
		id = (uint32_t)x->ntables++;
		x->nodes[node].table = id;
	}
	x->tables[id] = g;
	return g;
}

static int new_list(struct sb_policy_index *x, uint32_t *ret)
{
	if (x->nlists == x->clists) {
		size_t c = x->clists ? x->clists * 2 : 256;
		struct span *l = reallocarray(x->lists, c, sizeof(*l));
		if (!l)
			return -ENOMEM;
		x->lists = l;
		x->clists = c;
	}
	x->lists[x->nlists] = (struct span){ 0 };
	*ret = (uint32_t)x->nlists++;
	return 0;
}

static int new_node(struct sb_policy_index *x, uint32_t *ret)
{
	if (x->nnodes == x->cnodes) {
		size_t c = x->cnodes ? x->cnodes * 2 : 256;
		struct node *n = reallocarray(x->nodes, c, sizeof(*n));
		if (!n)
			return -ENOMEM;
		x->nodes = n;
		x->cnodes = c;
	}
	x->nodes[x->nnodes] =
		(struct node){ .exact = NONE, .glob = NONE, .keys = NONE, .table = NONE };
	*ret = (uint32_t)x->nnodes++;
	return 0;
}

/* The child of parent for a component (or a bucket when len has a KEY_* bit), made if new. */
static int edge(struct sb_policy_index *x, uint32_t parent, uint32_t len, const char *s,
		uint32_t *ret)
{
	struct table *t = node_table(x, parent);
	if (!t)
		return -ENOMEM;
	uint32_t h = hash_key(len, s);
	struct slot *e = probe(t, h, len, s);
	if (e->s) {
		*ret = e->target;
		return 0;
	}
	uint32_t target;
	int r = len & KEY_BITS ? new_list(x, &target) : new_node(x, &target);
	if (r < 0)
		return r;
	*e = (struct slot){ .s = s, .len = len, .target = target, .hash = h };
	t->used++;
	*ret = target;
	return 0;
}

static int node_list(struct sb_policy_index *x, uint32_t node, bool exact, uint32_t *ret)
{
	uint32_t *l = exact ? &x->nodes[node].exact : &x->nodes[node].glob;
	if (*l == NONE) {
		uint32_t id;
		int r = new_list(x, &id);
		if (r < 0)
			return r;
		l = exact ? &x->nodes[node].exact : &x->nodes[node].glob; /* nodes did not move */
		*l = id;
	}
	*ret = *l;
	return 0;
}

/* The key masks of a node, made if new. */
static struct keys *node_keys(struct sb_policy_index *x, uint32_t node)
{
	if (x->nodes[node].keys != NONE)
		return &x->keys[x->nodes[node].keys];
	if (x->nkeys == x->ckeys) {
		size_t c = x->ckeys ? x->ckeys * 2 : 64;
		struct keys *k = reallocarray(x->keys, c, sizeof(*k));
		if (!k)
			return NULL;
		x->keys = k;
		x->ckeys = c;
	}
	x->keys[x->nkeys] = (struct keys){ 0 };
	x->nodes[node].keys = (uint32_t)x->nkeys;
	return &x->keys[x->nkeys++];
}

/* A bucket of n characters of kind bit at node (len for edge()), marked in the node's masks. */
static int key_len(struct sb_policy_index *x, uint32_t node, size_t n, uint32_t bit, uint32_t *ret)
{
	struct keys *k = node_keys(x, node);
	if (!k)
		return -ENOMEM;
	if (n > MAX_KEY)
		n = MAX_KEY;
	uint64_t *mask = bit == HEAD_BIT ? &k->heads : bit == TAIL_BIT ? &k->tails : &k->lastheads;
	*mask |= 1ULL << (n - 1);
	*ret = (uint32_t)n | bit;
	return 0;
}

/*
 * A pattern whose next component at node starts with a wildcard: unless its last component is
 * "**", that component matches the path's last one, so it keys on its literal tail (the
 * characters after its last wildcard), or failing that on its literal head.
 */
static int place_residual(struct sb_policy_index *x, uint32_t node, const char *pat, uint32_t *ret)
{
	const char *end = pat + strlen(pat);
	while (end > pat && end[-1] == '/')
		end--;
	const char *last = end;
	while (last > pat && last[-1] != '/')
		last--;
	size_t len = (size_t)(end - last), tail = 0, head = 0;
	if (len == 2 && last[0] == '*' && last[1] == '*')
		return node_list(x, node, false, ret);
	while (tail < len && last[len - 1 - tail] != '*' && last[len - 1 - tail] != '?')
		tail++;
	while (head < len && last[head] != '*' && last[head] != '?')
		head++;
	uint32_t key;
	if (tail > 0) {
		int r = key_len(x, node, tail, TAIL_BIT, &key);
		return r < 0 ? r : edge(x, node, key, end - (key & ~KEY_BITS), ret);
	}
	if (head > 0) {
		int r = key_len(x, node, head, LAST_BIT, &key);
		return r < 0 ? r : edge(x, node, key, last, ret);
	}
	return node_list(x, node, false, ret);
}

/* The list a pattern belongs in. */
static int place(struct sb_policy_index *x, const char *pat, uint32_t *ret)
{
	uint32_t node = 0;
	const char *c = pat;

	if (pat[0] != '/' || strnlen(pat, PATH_MAX + 1) > PATH_MAX)
		return node_list(x, 0, false, ret); /* matches nothing; kept to be checked */
	for (unsigned depth = 0;; depth++) {
		while (*c == '/')
			c++;
		if (!*c)
			return node_list(x, node, true, ret);
		size_t len = strcspn(c, "/"), head = strcspn(c, "*?");
		if (head < len) {
			if (head == 0)
				return place_residual(x, node, pat, ret);
			uint32_t key;
			int r = key_len(x, node, head, HEAD_BIT, &key);
			return r < 0 ? r : edge(x, node, key, c, ret);
		}
		if (depth == MAX_DEPTH)
			return place_residual(x, node, pat, ret);
		int r = edge(x, node, (uint32_t)len, c, &node);
		if (r < 0)
			return r;
		c += len;
	}
}

/* Rule ids grouped by key (keys[i] < nkeys), in rule order within a group. */
static int group(const uint32_t *keys, size_t n, size_t nkeys, uint32_t *start, uint32_t **ret)
{
	uint32_t *out = malloc((n ? n : 1) * sizeof(*out));
	if (!out)
		return -ENOMEM;
	memset(start, 0, (nkeys + 1) * sizeof(*start));
	for (size_t i = 0; i < n; i++)
		start[keys[i] + 1]++;
	for (size_t k = 0; k < nkeys; k++)
		start[k + 1] += start[k];
	for (size_t i = 0; i < n; i++)
		out[start[keys[i]]++] = (uint32_t)i;
	for (size_t k = nkeys; k > 0; k--)
		start[k] = start[k - 1];
	start[0] = 0;
	*ret = out;
	return 0;
}

static int build_sys(struct sb_policy_index *x, const struct sb_policy *p)
{
	uint32_t *keys = calloc(p->nsys ? p->nsys : 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < p->nsys; i++) {
		int nr = p->sys[i].nr;
		keys[i] = nr >= 0 && nr < SYS_SLOTS ? (uint32_t)nr : SYS_SLOTS;
	}
	int r = group(keys, p->nsys, SYS_SLOTS + 1, x->sys_start, &x->sys_rules);
	free(keys);
	x->nsys = p->nsys;
	if (p->nsys)
		x->last_sys = p->sys[p->nsys - 1];
	return r;
}

static int build_paths(struct sb_policy_index *x, const struct sb_policy *p)
{
	uint32_t root;
	int r = new_node(x, &root);
	uint32_t *keys = calloc(p->npaths ? p->npaths : 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < p->npaths; i++)
		r = place(x, p->paths[i].pattern, &keys[i]);
	uint32_t *start = r == 0 ? malloc((x->nlists + 1) * sizeof(*start)) : NULL;
	if (r == 0 && !start)
		r = -ENOMEM;
	if (r == 0)
		r = group(keys, p->npaths, x->nlists, start, &x->path_rules);
	for (size_t k = 0; r == 0 && k < x->nlists; k++)
		x->lists[k] = (struct span){ start[k], start[k + 1] - start[k] };
	free(start);
	free(keys);
	x->npaths = p->npaths;
	if (p->npaths)
		x->last_pattern = p->paths[p->npaths - 1].pattern;
	return r;
}

void sb_policy_index_free(struct sb_policy_index *x)
{
	if (!x)
		return;
	free(x->sys_rules);
	free(x->nodes);
	free(x->keys);
	for (size_t i = 0; i < x->ntables; i++)
		free(x->tables[i]);
	free(x->tables);
	free(x->lists);
	free(x->path_rules);
	free(x);
}

int sb_policy_index_build(struct sb_policy *p)
{
	if (p->nsys >= NONE || p->npaths >= NONE)
		return -E2BIG;
	struct sb_policy_index *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	int r = build_sys(x, p);
	if (r == 0)
		r = build_paths(x, p);
	if (r < 0) {
		sb_policy_index_free(x);
		return r;
	}
	sb_policy_index_free(p->index);
	p->index = x;
	return 0;
}

/* A cheap check that a copy of the policy still starts with the rules the index covers. */
static bool same_sysrule(const struct sb_sysrule *a, const struct sb_sysrule *b)
{
	return a->nr == b->nr && a->tier == b->tier && a->ncond == b->ncond &&
	       a->c.verdict == b->c.verdict && a->c.err == b->c.err && a->c.seq == b->c.seq &&
	       a->c.id == b->c.id && a->c.key == b->c.key;
}

bool sb_policy_index_sys(const struct sb_policy *p, int nr, const uint32_t **ret, size_t *ret_n,
			 size_t *ret_covered)
{
	const struct sb_policy_index *x = p->index;
	if (!x || p->nsys < x->nsys ||
	    (x->nsys && !same_sysrule(&p->sys[x->nsys - 1], &x->last_sys)))
		return false;
	size_t k = nr >= 0 && nr < SYS_SLOTS ? (size_t)nr : SYS_SLOTS;
	*ret = x->sys_rules + x->sys_start[k];
	*ret_n = x->sys_start[k + 1] - x->sys_start[k];
	*ret_covered = x->nsys;
	return true;
}

static void visit_list(const struct sb_policy_index *x, uint32_t list, sb_index_visit_fn visit,
		       void *userdata)
{
	if (list == NONE)
		return;
	const struct span *l = &x->lists[list];
	for (uint32_t i = 0; i < l->n; i++)
		visit(x->path_rules[l->start + i], userdata);
}

struct walk {
	const struct sb_policy_index *x;
	sb_index_visit_fn visit;
	void *userdata;
};

/*
 * The buckets of kind bit at node keyed by the first L characters of s[0, len), or by its last
 * L for TAIL_BIT, for every L in mask, longest key first: a longer key is a longer literal, so
 * the rules it holds tend to be the more specific ones, and once the evaluator has seen them it
 * can skip matching the less specific rules of the shorter keys (pick_path() in eval.c).
 */
static void visit_buckets(const struct walk *w, uint32_t node, uint64_t mask, uint32_t bit,
			  const char *s, size_t len)
{
	if (len < 64)
		mask &= (1ULL << len) - 1;
	for (; mask; mask &= ~(1ULL << (63 - __builtin_clzll(mask)))) {
		uint32_t l = (uint32_t)(64 - __builtin_clzll(mask));
		const struct slot *e =
			lookup(w->x, node, l | bit, bit == TAIL_BIT ? s + len - l : s);
		if (e)
			visit_list(w->x, e->target, w->visit, w->userdata);
	}
}

bool sb_policy_index_paths(const struct sb_policy *p, const char *path, sb_index_visit_fn visit,
			   void *userdata, size_t *ret_covered)
{
	const struct sb_policy_index *x = p->index;
	if (!x || p->npaths < x->npaths ||
	    (x->npaths && p->paths[x->npaths - 1].pattern != x->last_pattern))
		return false;
	*ret_covered = x->npaths;
	const struct walk w = { .x = x, .visit = visit, .userdata = userdata };
	/* The path's last component, which place_residual() keys on. */
	const char *end = path + strlen(path), *last;
	while (end > path && end[-1] == '/')
		end--;
	for (last = end; last > path && last[-1] != '/';)
		last--;
	uint32_t node = 0;
	const char *c = path;
	for (;;) {
		const struct node *n = &x->nodes[node];
		const struct keys *k = n->keys != NONE ? &x->keys[n->keys] : NULL;
		visit_list(x, n->glob, visit, userdata);
		if (k) {
			visit_buckets(&w, node, k->tails, TAIL_BIT, last, (size_t)(end - last));
			visit_buckets(&w, node, k->lastheads, LAST_BIT, last, (size_t)(end - last));
		}
		while (*c == '/')
			c++;
		if (!*c) {
			visit_list(x, n->exact, visit, userdata);
			return true;
		}
		size_t len = strcspn(c, "/");
		if (k)
			visit_buckets(&w, node, k->heads, HEAD_BIT, c, len);
		const struct slot *e = len < LAST_BIT ? lookup(x, node, (uint32_t)len, c) : NULL;
		if (!e)
			return true;
		node = e->target;
		c += len;
	}
}
