/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The path as each kind of path rule sees it (policy/eval.c; the index's equivalence test uses
 * the same views for its reference evaluator).
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "glob.h"
#include "policy.h"

/*
 * The path as each kind of path rule sees it: as it is; with the caller's /proc/<tgid> written
 * /proc/self; with its /proc/<tgid>/task/<tid> written /proc/thread-self. NULL where the path is
 * not under that directory, or the caller is not known.
 */
struct views {
	const char *path, *self, *thread;
	char self_buf[PATH_MAX + 16], thread_buf[PATH_MAX + 16];
};

/* The rest of path after "/<dir>/<id>" when it is followed by '/' or the end, else NULL. */
static inline const char *under_id(const char *path, const char *dir, pid_t id)
{
	char head[64];
	size_t dl = strlen(dir);
	if (id <= 0 || strncmp(path, dir, dl) != 0 || path[dl] != '/')
		return NULL; /* the common case, without formatting the id */
	int n = snprintf(head, sizeof(head), "%s/%d", dir, (int)id);
	if (strncmp(path, head, (size_t)n) != 0)
		return NULL;
	return path[n] == '/' || path[n] == 0 ? path + n : NULL;
}

static inline bool has_dot_component(const char *s)
{
	for (const char *c = strstr(s, "/."); c; c = strstr(c + 1, "/.")) {
		size_t n = strcspn(c + 1, "/");
		if (n == 1 || (n == 2 && c[2] == '.'))
			return true;
	}
	return false;
}

static inline void make_views(const struct sb_caller *who, const char *path, struct views *v)
{
	v->path = path;
	v->self = v->thread = NULL;
	const char *rest = who ? under_id(path, "/proc", who->pid) : NULL;
	/* Paths are canonical; one that is not would let "**" climb out of the caller's own. */
	if (!rest || strlen(rest) > PATH_MAX || has_dot_component(rest))
		return;
	snprintf(v->self_buf, sizeof(v->self_buf), "/proc/self%s", rest);
	v->self = v->self_buf;
	rest = under_id(rest, "/task", who->tid);
	if (!rest)
		return;
	snprintf(v->thread_buf, sizeof(v->thread_buf), "/proc/thread-self%s", rest);
	v->thread = v->thread_buf;
}

static inline bool path_rule_matches(const struct sb_pathrule *r, const struct views *v)
{
	const char *s = r->self == SB_SELF_PROCESS  ? v->self
			: r->self == SB_SELF_THREAD ? v->thread
						    : v->path;
	return s && sb_glob_could_match(r->pattern, &r->rank, s) && sb_glob_match(r->pattern, s);
}
