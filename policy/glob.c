/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Path globs of the policy language: '*' and '?' match within one component, a component that
 * is exactly "**" matches zero or more whole components. Matching is O(pattern x path) with no
 * allocation and no recursion, so hostile paths cannot make the broker slow.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"

#define MAX_COMPONENTS (PATH_MAX / 2 + 1)

struct comp {
	unsigned short off, len;
};

/* Split "/a/b" into components; "/" has none. Returns -1 when there are too many. */
static int split(const char *s, size_t len, struct comp *out)
{
	int n = 0;
	size_t i = 0;

	while (i < len) {
		while (i < len && s[i] == '/')
			i++;
		if (i >= len)
			break;
		size_t start = i;
		while (i < len && s[i] != '/')
			i++;
		if (n >= MAX_COMPONENTS)
			return -1;
		out[n].off = (unsigned short)start;
		out[n].len = (unsigned short)(i - start);
		n++;
	}
	return n;
}

/* '*' and '?' within one component; the classic linear backtracking match. */
static bool match_component(const char *p, size_t plen, const char *s, size_t slen)
{
	size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;

	while (si < slen) {
		if (pi < plen && (p[pi] == '?' || p[pi] == s[si])) {
			pi++;
			si++;
		} else if (pi < plen && p[pi] == '*') {
			star_p = pi++;
			star_s = si;
		} else if (star_p != SIZE_MAX) {
			pi = star_p + 1;
			si = ++star_s;
		} else {
			return false;
		}
	}
	while (pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

static bool is_dstar(const char *p, const struct comp *c)
{
	return c->len == 2 && p[c->off] == '*' && p[c->off + 1] == '*';
}

bool sb_glob_match(const char *pattern, const char *path)
{
	size_t plen = strnlen(pattern, PATH_MAX + 1), slen = strnlen(path, PATH_MAX + 1);
	struct comp pc[MAX_COMPONENTS], sc[MAX_COMPONENTS];
	bool row[MAX_COMPONENTS + 1], next[MAX_COMPONENTS + 1];

	if (plen > PATH_MAX || slen > PATH_MAX || pattern[0] != '/' || path[0] != '/')
		return false;
	int np = split(pattern, plen, pc), ns = split(path, slen, sc);
	if (np < 0 || ns < 0)
		return false;

	/* row[j]: pattern components [i, np) match path components [j, ns). Filled from the end. */
	for (int j = 0; j <= ns; j++)
		row[j] = j == ns;
	for (int i = np - 1; i >= 0; i--) {
		if (is_dstar(pattern, &pc[i])) {
			/* "**" matches zero or more: next[j] = row[j] || next[j+1]. */
			next[ns] = row[ns];
			for (int j = ns - 1; j >= 0; j--)
				next[j] = row[j] || next[j + 1];
		} else {
			next[ns] = false;
			for (int j = ns - 1; j >= 0; j--)
				next[j] = row[j + 1] &&
					  match_component(pattern + pc[i].off, pc[i].len,
							  path + sc[j].off, sc[j].len);
		}
		memcpy(row, next, sizeof(bool) * (size_t)(ns + 1));
	}
	return row[0];
}

struct sb_glob_rank sb_glob_specificity(const char *pattern)
{
	struct sb_glob_rank r = { .exact = true };
	size_t len = strlen(pattern);

	for (size_t i = 0; i < len; i++) {
		bool comp_start = i == 0 || pattern[i - 1] == '/';
		if (comp_start && pattern[i] == '*' && i + 1 < len && pattern[i + 1] == '*' &&
		    (i + 2 == len || pattern[i + 2] == '/')) {
			r.dstars++;
			r.exact = false;
			i++;
		} else if (pattern[i] == '*' || pattern[i] == '?') {
			r.stars++;
			r.exact = false;
		} else {
			r.literals++;
		}
	}
	/* The literal directory prefix: cut at the first wildcard, then back to a '/'. */
	size_t lit = strcspn(pattern, "*?");
	if (lit < len)
		while (lit > 0 && pattern[lit] != '/')
			lit--;
	while (lit > 0 && pattern[lit - 1] == '/')
		lit--;
	/* Components are split on runs of slashes; a byte compare would not be. */
	if (memmem(pattern, lit, "//", 2) == NULL && lit <= UINT16_MAX)
		r.prefix = (unsigned)lit;
	return r;
}

enum sb_proc_self sb_glob_proc_self(const char *pattern)
{
	if (strncmp(pattern, "/proc/", 6) != 0)
		return SB_SELF_NONE;
	const char *p = pattern + 6;
	if (strncmp(p, "self", 4) == 0 && (p[4] == '/' || p[4] == 0))
		return SB_SELF_PROCESS;
	if (strncmp(p, "thread-self", 11) == 0 && (p[11] == '/' || p[11] == 0))
		return SB_SELF_THREAD;
	return SB_SELF_NONE;
}

bool sb_glob_could_match(const char *pattern, const struct sb_glob_rank *r, const char *path)
{
	size_t n = r->prefix;
	return n == 0 || (strncmp(pattern, path, n) == 0 && (path[n] == '/' || path[n] == 0));
}

int sb_glob_compare(const struct sb_glob_rank *a, const struct sb_glob_rank *b)
{
	if (a->exact != b->exact)
		return a->exact ? 1 : -1;
	if (a->literals != b->literals)
		return a->literals > b->literals ? 1 : -1;
	if (a->dstars != b->dstars)
		return a->dstars < b->dstars ? 1 : -1;
	if (a->stars != b->stars)
		return a->stars < b->stars ? 1 : -1;
	return 0;
}

bool sb_glob_match_flat(const char *pattern, const char *name)
{
	return match_component(pattern, strlen(pattern), name, strlen(name));
}

bool sb_glob_could_match_beneath(const char *pattern, const char *path)
{
	size_t plen = strnlen(pattern, PATH_MAX + 1), slen = strnlen(path, PATH_MAX + 1);
	struct comp pc[MAX_COMPONENTS], sc[MAX_COMPONENTS];

	if (plen > PATH_MAX || slen > PATH_MAX || pattern[0] != '/' || path[0] != '/')
		return false;
	int np = split(pattern, plen, pc), ns = split(path, slen, sc);
	if (np < 0 || ns < 0)
		return false;
	/* path's components, one by one, until a "**" that could take the rest and more. */
	for (int i = 0; i < ns; i++) {
		if (i >= np)
			return false; /* the pattern names only ancestors of path */
		if (is_dstar(pattern, &pc[i]))
			return true;
		if (!match_component(pattern + pc[i].off, pc[i].len, path + sc[i].off, sc[i].len))
			return false;
	}
	return true; /* path itself, or names beneath it that its remaining components can take */
}
