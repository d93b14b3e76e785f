/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rules behind `sysbroker audit --suggest` that keep a suggestion from weakening the sandbox.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "macro.h"
#include "policy.h"
#include "suggest.h"
#include "syscalls.h"
#include "util.h"

/*
 * Syscalls whose line carries a condition: an unconditional allow of one of these hands out far
 * more than the program used (every namespace, every ioctl such as TIOCSTI, every address family).
 */
static const struct {
	const char *name;
	int arg;
	const char *const *consts; /* the constants its values are named by */
} cond_args[] = {
	{ "clone", 0, NULL },
	{ "ioctl", 1,
	  (const char *const[]){ "TCGETS", "TCSETS", "TCSETSW", "TCSETSF", "TIOCGWINSZ",
				 "TIOCSWINSZ", "TIOCGPGRP", "TIOCSPGRP", "FIOCLEX", "FIONCLEX",
				 "FIONBIO", "FIONREAD", NULL } },
	{ "socket", 0,
	  (const char *const[]){ "AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET",
				 NULL } },
	{ "socketpair", 0, (const char *const[]){ "AF_UNIX", NULL } },
};

int sb_suggest_cond_arg(const char *syscall)
{
	for (size_t i = 0; i < ELEMENTSOF(cond_args); i++)
		if (strcmp(cond_args[i].name, syscall) == 0)
			return cond_args[i].arg;
	/* Any other syscall the built-in set refuses only with some argument bits (seccomp). */
	size_t n;
	const struct sb_dangerous *d = sb_dangerous(&n);
	for (size_t i = 0; i < n; i++)
		if (d[i].cond_mask && strcmp(d[i].name, syscall) == 0)
			return (int)d[i].cond_arg;
	return -1;
}

void sb_suggest_value(const char *syscall, uint64_t v, char *buf, size_t size)
{
	for (size_t i = 0; i < ELEMENTSOF(cond_args); i++) {
		if (strcmp(cond_args[i].name, syscall) != 0 || !cond_args[i].consts)
			continue;
		for (const char *const *c = cond_args[i].consts; *c; c++) {
			uint64_t k;
			if (sb_constant_lookup(*c, &k) == 0 && k == v) {
				snprintf(buf, size, "%s", *c);
				return;
			}
		}
	}
	snprintf(buf, size, "0x%llx", (unsigned long long)v);
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * mkstemp(3) and gcc's make_temp_file() end a name's stem with 6 random letters and digits
 * (ccTvkLMT.s: prefix "cc", suffix "TvkLMT", extension ".s"). A stable prefix of two or more
 * characters is kept, so the pattern never becomes the whole directory. With need_random, a
 * suffix without an upper case letter or a digit is taken for a word (outputs.txt), not a random
 * one; a random one looks like that once in 180, and the caller then folds it by its prefix.
 */
bool sb_suggest_temp_prefix(const char *path, bool need_random, char *out, size_t size)
{
	static const char *const dirs[] = { "/tmp/", "/var/tmp/", "/dev/shm/" };
	const char *name = NULL;
	for (size_t i = 0; i < ELEMENTSOF(dirs) && !name; i++)
		if (strncmp(path, dirs[i], strlen(dirs[i])) == 0)
			name = path + strlen(dirs[i]);
	if (!name || strchr(name, '/') || name[0] == '.')
		return false;
	size_t stem = strcspn(name, ".");
	if (stem < 8)
		return false;
	bool random = false;
	for (size_t i = stem - 6; i < stem; i++) {
		if (!is_alnum(name[i]))
			return false;
		random |= (name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= '0' && name[i] <= '9');
	}
	if (need_random && !random)
		return false;
	size_t keep = (size_t)(name - path) + stem - 6;
	if (keep + 1 > size)
		return false;
	for (size_t i = (size_t)(name - path); i < keep; i++)
		if (path[i] == '*' || path[i] == '?' || path[i] == '[')
			return false;
	memcpy(out, path, keep);
	out[keep] = 0;
	return true;
}

int sb_suggest_base_read(const char *file, struct sb_suggest_base *b, char *why, size_t whysize)
{
	struct sb_policy *p = NULL;
	struct sb_policy_error err;
	memset(b, 0, sizeof(*b));
	int r = sb_policy_load_file(file, &p, &err);
	if (r < 0) {
		cli_policy_error(&err, why, whysize);
		return r;
	}
	b->policy = p;
	r = sb_read_file(file, SB_MAX_POLICY_FILE, &b->text, &b->len);
	if (r < 0) {
		snprintf(why, whysize, "%s: %s", file, strerror(-r));
		return r;
	}
	b->name = file;
	return 0;
}

void sb_suggest_base_done(struct sb_suggest_base *b)
{
	free(b->text);
	sb_policy_free(b->policy);
	memset(b, 0, sizeof(*b));
}

/* The decision under p, allowed or not; why gets the deciding rule when not. */
static bool decides_allow(const struct sb_policy *p, const struct sb_suggest_call *c, char *why,
			  size_t whysize)
{
	struct sb_decision d;
	if (!c->path) {
		if (sb_policy_eval_syscall(p, c->nr, c->args, &d) < 0)
			return false;
		if (d.verdict == SB_ALLOW)
			return true;
		sb_decision_rule(&d, why, whysize);
		return false;
	}
	struct sb_caller who = { .pid = (pid_t)c->pid, .tid = (pid_t)c->pid };
	for (uint32_t bit = SB_PERM_STAT; bit <= SB_PERM_LIST; bit <<= 1) {
		if (!(c->perms & bit))
			continue;
		if (sb_policy_eval_path_as(p, &who, c->path, bit, &d) < 0)
			return false;
		if (d.verdict != SB_ALLOW) {
			sb_decision_rule(&d, why, whysize);
			return false;
		}
	}
	return true;
}

int sb_suggest_probe(const struct sb_suggest_base *b, const char *line,
		     const struct sb_suggest_call *c, char *why, size_t whysize)
{
	size_t ll = strlen(line);
	_cleanup_free_ char *text = malloc(b->len + ll + 3);
	if (!text)
		return -ENOMEM;
	memcpy(text, b->text, b->len);
	text[b->len] = '\n';
	memcpy(text + b->len + 1, line, ll);
	text[b->len + 1 + ll] = '\n';
	struct sb_policy *p = NULL;
	struct sb_policy_error err;
	/* Named as the file, so that its includes resolve as they do for the file itself. */
	if (sb_policy_load_string(text, b->len + ll + 2, b->name, &p, &err) < 0) {
		snprintf(why, whysize, "%s", err.message);
		return -EINVAL;
	}
	why[0] = 0;
	bool ok = decides_allow(p, c, why, whysize);
	sb_policy_free(p);
	return ok ? 1 : 0;
}

/* Whether line n (from 1) of text starts with the word "default"; -1 without such a line. */
static int line_is_default(const char *text, size_t len, unsigned long n)
{
	const char *p = text, *end = text + len;
	for (unsigned long i = 1; i < n && p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	if (p >= end)
		return -1;
	p += strspn(p, " \t");
	return strncmp(p, "default", 7) == 0 && (p[7] == ' ' || p[7] == '\t');
}

int sb_suggest_rule_denies(const struct sb_suggest_base *b, const char *rule,
			   const struct sb_suggest_call *c, char *by, size_t bysize)
{
	snprintf(by, bysize, "%s", rule ? rule : "?");
	if (b->policy) {
		struct sb_decision d;
		int r = c->path ? sb_policy_eval_path_as(
					  b->policy,
					  &(struct sb_caller){ (pid_t)c->pid, (pid_t)c->pid },
					  c->path, c->perms & -c->perms, &d)
				: sb_policy_eval_syscall(b->policy, c->nr, c->args, &d);
		if (r < 0)
			return -1;
		sb_decision_rule(&d, by, bysize);
		return d.verdict != SB_ALLOW && d.rule_id >= 0 && !d.builtin;
	}
	if (!rule || strcmp(rule, "default") == 0 || strcmp(rule, "builtin") == 0)
		return 0;
	const char *colon = strrchr(rule, ':');
	char *end;
	if (!colon || colon == rule)
		return -1;
	unsigned long line = strtoul(colon + 1, &end, 10);
	_cleanup_free_ char *file = strndup(rule, (size_t)(colon - rule));
	_cleanup_free_ char *text = NULL;
	size_t len;
	/* A regular file only: the name comes from the log, and a FIFO would hang the command. */
	struct stat st;
	if (!file || *end || line == 0 || stat(file, &st) < 0 || !S_ISREG(st.st_mode) ||
	    sb_read_file(file, SB_MAX_POLICY_FILE, &text, &len) < 0)
		return -1;
	int k = line_is_default(text, len, line);
	return k < 0 ? -1 : !k;
}
