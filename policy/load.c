/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading policies: files, includes (relative or searched, cycle-safe), built-in rules, the public
 * API. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile.h"
#include "config.h"
#include "macro.h"
#include "policy.h"
#include "util.h"

struct sb_policy *sb_policy_new(void)
{
	struct sb_policy *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->def_sys = (struct sb_default){ .verdict = SB_DENY, .err = ENOSYS, .log = true };
	p->def_path = (struct sb_default){ .verdict = SB_DENY, .err = EACCES, .log = true };
	p->def_net = (struct sb_default){ .verdict = SB_DENY, .err = EACCES, .log = true };
	return p;
}

SB_API struct sb_policy *sb_policy_free(struct sb_policy *p)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	for (size_t i = 0; i < p->npaths; i++)
		free(p->paths[i].pattern);
	for (size_t i = 0; i < p->nnets; i++)
		free(p->nets[i].pattern);
	free(p->files);
	free(p->source_text);
	free(p->source_name);
	free(p->source_path);
	free(p->sys);
	free(p->paths);
	free(p->nets);
	sb_policy_index_free(p->index);
	free(p);
	return NULL;
}

/* The files being parsed, outermost first: an include of one of them is a cycle. */
struct include_stack {
	unsigned n;
	dev_t dev[SB_MAX_INCLUDE_DEPTH + 2];
	ino_t ino[SB_MAX_INCLUDE_DEPTH + 2];
};

/*
 * The policy search path of `include <NAME>`: the directories of $SYSBROKER_POLICY_PATH
 * (colon-separated; how a build tree finds its examples/policies, see meson.build), then the
 * installed policies. Returns a malloc'ed string.
 */
static char *search_path(void)
{
	const char *env = secure_getenv("SYSBROKER_POLICY_PATH");
	if (env && env[0])
		return sb_asprintf("%s:%s", env, SB_POLICY_DIR);
	return strdup(SB_POLICY_DIR);
}

/* The file "<NAME>" names: the first directory of the search path holding NAME. */
static int search_include(struct sb_parser *parser, const char *bracketed, char **ret_path)
{
	_cleanup_free_ char *dirs = search_path();
	_cleanup_free_ char *name = strndup(bracketed + 1, strlen(bracketed) - 2);
	size_t n;

	if (!dirs || !name)
		return -ENOMEM;
	for (const char *d = dirs; *d; d += n + (d[n] == ':')) {
		n = strcspn(d, ":");
		if (n == 0)
			continue;
		_cleanup_free_ char *path = sb_asprintf("%.*s/%s", (int)n, d, name);
		if (!path)
			return -ENOMEM;
		if (access(path, F_OK) == 0) {
			*ret_path = TAKE_PTR(path);
			return 0;
		}
	}
	sb_parser_fail(parser, -ENOENT,
		       "cannot include %s: not found in the policy search path %s "
		       "(SYSBROKER_POLICY_PATH names more directories to search first)",
		       bracketed, dirs);
	return -ENOENT;
}

static int load_include(struct sb_parser *parser, const char *path, void *userdata,
			struct sb_policy_error *err)
{
	struct include_stack *st = userdata;
	unsigned depth = sb_parser_depth(parser) + 1;
	_cleanup_free_ char *data = NULL, *found = NULL;
	size_t len;
	struct stat s;
	int r;

	if (depth > SB_MAX_INCLUDE_DEPTH)
		return sb_parser_fail(parser, -ELOOP, "includes nested deeper than %d",
				      SB_MAX_INCLUDE_DEPTH);
	if (path[0] == '<') {
		r = search_include(parser, path, &found);
		if (r < 0)
			return r;
		path = found;
	}
	if (stat(path, &s) < 0)
		return sb_parser_fail(parser, -errno, "cannot include '%s': %s", path,
				      strerror(errno));
	for (unsigned i = 0; i < st->n; i++)
		if (st->dev[i] == s.st_dev && st->ino[i] == s.st_ino)
			return sb_parser_fail(parser, -ELOOP, "include cycle: '%s' includes itself",
					      path);
	r = sb_read_file(path, SB_MAX_POLICY_FILE, &data, &len);
	if (r < 0)
		return sb_parser_fail(parser, r, "cannot include '%s': %s%s", path, strerror(-r),
				      r == -EFBIG ? " (policy files are limited to 1 MiB)" : "");
	st->dev[st->n] = s.st_dev;
	st->ino[st->n] = s.st_ino;
	st->n++;
	r = sb_parse_buffer(sb_parser_policy(parser), data, len, path, depth, load_include, st,
			    err);
	st->n--;
	return r;
}

static void error_at_file(struct sb_policy_error *err, const char *file, const char *fmt, int r)
{
	if (!err)
		return;
	memset(err, 0, sizeof(*err));
	sb_strlcpy(err->file, file, sizeof(err->file));
	snprintf(err->message, sizeof(err->message), fmt, strerror(-r));
}

int sb_policy_finalize(struct sb_policy *p, struct sb_policy_error *err)
{
	size_t n;
	const struct sb_dangerous *d = sb_dangerous(&n);

	for (size_t i = 0; i < n; i++) {
		int nr = sb_syscall_nr(d[i].name);
		if (nr < 0)
			continue;
		struct sb_sysrule *s = reallocarray(p->sys, p->nsys + 1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		p->sys = s;
		s[p->nsys++] = (struct sb_sysrule){
			/* clone3's ENOSYS is routine (libc falls back to clone) and happens with
			 * every signal blocked inside pthread_create(): answer it in the kernel,
			 * since a trap with SIGSYS blocked kills the process. */
			.c = { .verdict = SB_DENY,
			       .err = d[i].err,
			       .log = d[i].err != ENOSYS,
			       .id = UINT32_MAX },
			.nr = nr,
			.tier = SB_TIER_BUILTIN,
			.ncond = d[i].cond_mask ? 1 : 0,
			.cond = { { .arg = d[i].cond_arg,
				    .op = SB_CMP_MASKED_NE,
				    .mask = d[i].cond_mask,
				    .value = 0 } },
		};
	}

	/* Prove the kernel plan builds, so a policy that loads is a policy that can run. */
	struct sb_plan *plan = NULL;
	int r = sb_plan_build(p, &plan);
	if (r < 0) {
		if (err) {
			memset(err, 0, sizeof(*err));
			sb_strlcpy(err->file, p->nfiles ? p->files[0] : "<policy>",
				   sizeof(err->file));
			snprintf(err->message, sizeof(err->message),
				 "cannot compile the kernel filter: %s", strerror(-r));
		}
		return r;
	}
	sb_plan_free(plan);
	/* Last: the index covers every rule the policy has now, the built-in ones included. */
	return sb_policy_index_build(p);
}

static int load(const char *text, size_t len, const char *name, struct include_stack *st,
		struct sb_policy **ret, struct sb_policy_error *err)
{
	struct sb_policy *p = sb_policy_new();
	int r;

	if (!p)
		return -ENOMEM;
	r = sb_parse_buffer(p, text, len, name, 0, load_include, st, err);
	if (r >= 0)
		r = sb_policy_finalize(p, err);
	if (r < 0) {
		sb_policy_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

SB_API int sb_policy_load_file(const char *path, struct sb_policy **ret_policy,
			       struct sb_policy_error *ret_error)
{
	struct include_stack st = { 0 };
	_cleanup_free_ char *data = NULL;
	struct stat s;
	size_t len;
	int r;

	if (!path || !ret_policy)
		return -EINVAL;
	if (ret_error)
		memset(ret_error, 0, sizeof(*ret_error));
	r = sb_read_file(path, SB_MAX_POLICY_FILE, &data, &len);
	if (r < 0) {
		error_at_file(ret_error, path,
			      r == -EFBIG ? "cannot read: %s (policy files are limited to 1 MiB)"
					  : "cannot read: %s",
			      r);
		return r;
	}
	if (stat(path, &s) == 0) {
		st.dev[0] = s.st_dev;
		st.ino[0] = s.st_ino;
		st.n = 1;
	}
	/* Absolute, so that a broker with another working directory finds the same file. */
	_cleanup_free_ char *source = realpath(path, NULL);
	if (!source)
		source = strdup(path);
	if (!source)
		return -ENOMEM;
	struct sb_policy *p = NULL;
	r = load(data, len, path, &st, &p, ret_error);
	if (r < 0)
		return r;
	p->source_path = TAKE_PTR(source);
	*ret_policy = p;
	return 0;
}

SB_API int sb_policy_load_string(const char *text, size_t len, const char *name,
				 struct sb_policy **ret_policy, struct sb_policy_error *ret_error)
{
	struct include_stack st = { 0 };

	if (!text || !ret_policy)
		return -EINVAL;
	if (ret_error)
		memset(ret_error, 0, sizeof(*ret_error));
	if (len > SB_MAX_POLICY_FILE) {
		error_at_file(ret_error, name ? name : "<string>",
			      "cannot read: %s (policies are limited to 1 MiB)", -EFBIG);
		return -EFBIG;
	}
	_cleanup_free_ char *source = malloc(len + 1);
	_cleanup_free_ char *source_name = strdup(name ? name : "<string>");
	if (!source || !source_name)
		return -ENOMEM;
	memcpy(source, text, len);
	source[len] = 0;
	struct sb_policy *p = NULL;
	int r = load(text, len, source_name, &st, &p, ret_error);
	if (r < 0)
		return r;
	p->source_text = TAKE_PTR(source);
	p->source_len = len;
	p->source_name = TAKE_PTR(source_name);
	*ret_policy = p;
	return 0;
}

SB_API const char *sb_version(void)
{
	return SB_VERSION;
}
