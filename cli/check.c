/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `sysbroker check`: validate policy files, and with --explain print the compiled plan. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "compile.h"
#include "lint.h"
#include "kgrant.h"
#include "macro.h"
#include "policy.h"

static void print_cond(const struct sb_cond *c, FILE *f)
{
	static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=" };
	if (c->op == SB_CMP_MASKED_EQ || c->op == SB_CMP_MASKED_NE)
		fprintf(f, "arg%u & %#llx %s %#llx", c->arg, (unsigned long long)c->mask,
			c->op == SB_CMP_MASKED_EQ ? "==" : "!=", (unsigned long long)c->value);
	else
		fprintf(f, "arg%u %s %#llx", c->arg, ops[c->op], (unsigned long long)c->value);
}

static const char *kd_str(struct sb_kdecision d, char *buf, size_t size)
{
	switch (d.action) {
	case SB_K_ALLOW:
		return "allow";
	case SB_K_KILL:
		return "kill";
	case SB_K_ERRNO:
		snprintf(buf, size, "deny %s", sb_errno_name(d.err));
		return buf;
	case SB_K_BROKER:
		if (d.err)
			snprintf(buf, size, "deny %s via broker (logged)", sb_errno_name(d.err));
		else
			snprintf(buf, size, "broker");
		return buf;
	}
	return "?";
}

static const char *origin_str(const struct sb_sysrule *r, int nr, char *buf, size_t size)
{
	if (!r)
		return sb_syscall_brokered(nr) != SB_BROKERED_NO ? "brokered" : "default";
	if (r->tier == SB_TIER_BUILTIN)
		return "builtin";
	snprintf(buf, size, "%s:%u%s%s", r->c.origin.file, r->c.origin.line, r->group ? " " : "",
		 r->group ? r->group : "");
	return buf;
}

static const char *brokered_note(int nr)
{
	switch (sb_syscall_brokered(nr)) {
	case SB_BROKERED_PATH:
		return " (path rules)";
	case SB_BROKERED_EXEC:
		return " (path rules, exec)";
	case SB_BROKERED_NET:
		return " (net rules)";
	default:
		return "";
	}
}

static void print_perms(uint32_t perms, FILE *f)
{
	bool first = true;
	/* stat is implied by every other permission; print it only when it is alone. */
	for (uint32_t b = SB_PERM_READ; b <= SB_PERM_LIST; b <<= 1)
		if (perms & b) {
			fprintf(f, "%s%s", first ? "" : " ", sb_perm_name(b));
			first = false;
		}
	if (first)
		fputs("stat", f);
}

static void print_limit(const struct sb_limit *l, FILE *f)
{
	if (l->at_most)
		fprintf(f, " at most %llu", (unsigned long long)l->at_most);
	if (l->rate_n)
		fprintf(f, " %llu per %llu", (unsigned long long)l->rate_n,
			(unsigned long long)l->rate_secs);
}

static int cmp_paths(const void *a, const void *b)
{
	const struct sb_pathrule *x = *(const struct sb_pathrule *const *)a;
	const struct sb_pathrule *y = *(const struct sb_pathrule *const *)b;
	int c = sb_glob_compare(&x->rank, &y->rank);
	if (c)
		return -c;
	return x->c.seq > y->c.seq ? -1 : x->c.seq < y->c.seq;
}

static void print_default(const char *what, const struct sb_default *d, FILE *f)
{
	fprintf(f, "default %-8s %s", what, sb_verdict_name(d->verdict));
	if (d->verdict == SB_DENY)
		fprintf(f, " %s", sb_errno_name(d->err));
	fprintf(f, "%s", d->log ? ", logged" : "");
	if (d->origin.file)
		fprintf(f, "   [%s:%u]\n", d->origin.file, d->origin.line);
	else
		fputs("   [built in]\n", f);
}

/* The kernel's decision per syscall, in the plan's order. */
static void explain_syscalls(const struct sb_plan *plan, FILE *f)
{
	char b1[128], b2[PATH_MAX + 64];

	fputs("\nsyscalls (every syscall not listed: default syscall; a number sysbroker's table "
	      "does "
	      "not know: deny ENOSYS via broker (logged) [builtin]):\n",
	      f);
	for (size_t i = 0; i < plan->nsys; i++) {
		const struct sb_plan_sys *ps = &plan->sys[i];
		const char *name = sb_syscall_name(ps->nr);
		for (unsigned k = 0; k < ps->nchain; k++) {
			fprintf(f, "  %-20s if ", k == 0 ? (name ? name : "?") : "");
			for (unsigned c = 0; c < ps->chain[k]->ncond; c++) {
				if (c)
					fputs(" and ", f);
				print_cond(&ps->chain[k]->cond[c], f);
			}
			fprintf(f, ": %s   [%s]\n", kd_str(ps->chain_d[k], b1, sizeof(b1)),
				origin_str(ps->chain[k], ps->nr, b2, sizeof(b2)));
		}
		fprintf(f, "  %-20s %s%s%s   [%s]", ps->nchain ? "" : (name ? name : "?"),
			ps->nchain ? "else: " : "", kd_str(ps->fallback, b1, sizeof(b1)),
			ps->fallback.action == SB_K_BROKER && !ps->fallback.err &&
					!ps->fallback_rule
				? brokered_note(ps->nr)
				: "",
			origin_str(ps->fallback_rule, ps->nr, b2, sizeof(b2)));
		if (ps->how != SB_PLAN_SIMPLE)
			fprintf(f, " {%s}", sb_plan_how_name(ps->how));
		fputc('\n', f);
	}
}

/* The path rules in the order they are tried. */
static int explain_paths(const struct sb_policy *p, FILE *f)
{
	fputs("\npath rules, in the order they are tried (most specific first):\n", f);
	_cleanup_free_ const struct sb_pathrule **pr = calloc(p->npaths + 1, sizeof(*pr));
	if (!pr)
		return -ENOMEM;
	for (size_t i = 0; i < p->npaths; i++)
		pr[i] = &p->paths[i];
	qsort(pr, p->npaths, sizeof(*pr), cmp_paths);
	for (size_t i = 0; i < p->npaths; i++) {
		fprintf(f, "  %-40s ", pr[i]->pattern);
		if (pr[i]->c.verdict == SB_DENY)
			fprintf(f, "deny %s", sb_errno_name(pr[i]->c.err));
		else
			print_perms(pr[i]->perms, f);
		print_limit(&pr[i]->c.limit, f);
		fprintf(f, "%s   [%s:%u]\n", pr[i]->c.log ? ", logged" : "", pr[i]->c.origin.file,
			pr[i]->c.origin.line);
	}
	if (!p->npaths)
		fputs("  (none)\n", f);

	return 0;
}

static void explain_nets(const struct sb_policy *p, FILE *f)
{
	char b2[PATH_MAX + 64];

	fputs("\nnet rules (the most specific matching rule decides):\n", f);
	for (size_t i = 0; i < p->nnets; i++) {
		const struct sb_netrule *n = &p->nets[i];
		char addr[64] = "*";
		if (n->kind == SB_NET_UNIX || n->kind == SB_NET_ABSTRACT)
			snprintf(b2, sizeof(b2), "unix:%s%s", n->kind == SB_NET_ABSTRACT ? "@" : "",
				 n->pattern);
		else {
			if (n->family != AF_UNSPEC)
				inet_ntop(n->family, n->addr, addr, sizeof(addr));
			snprintf(b2, sizeof(b2), "%s:%s%s%s/%u:%u-%u",
				 n->kind == SB_NET_TCP ? "tcp" : "udp",
				 n->family == AF_INET6 ? "[" : "", addr,
				 n->family == AF_INET6 ? "]" : "", n->prefix, n->port_lo,
				 n->port_hi);
		}
		fprintf(f, "  %-40s ", b2);
		if (n->c.verdict == SB_DENY)
			fprintf(f, "deny %s", sb_errno_name(n->c.err));
		else
			fprintf(f, "%s%s%s", n->ops & SB_NET_CONNECT ? "connect " : "",
				n->ops & SB_NET_BIND ? "bind " : "",
				n->ops & SB_NET_SEND ? "send" : "");
		print_limit(&n->c.limit, f);
		fprintf(f, "%s   [%s:%u]\n", n->c.log ? ", logged" : "", n->c.origin.file,
			n->c.origin.line);
	}
	if (!p->nnets)
		fputs("  (none)\n", f);
}

/* The kernel grant plan (kgrant.h), from the file system as it is now. */
static int explain_kgrants(const struct sb_policy *p, FILE *f)
{
	struct sb_kgrant_plan plan = { 0 };
	int r = sb_kgrant_plan(p, &plan);
	if (r < 0)
		return r;
	fputs("\nkernel grants (read-only, enforced by the kernel where it can; the broker "
	      "decides everything else):\n",
	      f);
	char why[PATH_MAX + 160];
	if (sb_kgrant_off(p, why, sizeof(why)))
		fprintf(f, "  (none: %s)\n", why);
	else if (!plan.n)
		fputs("  (none)\n", f);
	for (size_t i = 0; i < plan.n; i++) {
		const struct sb_kgrant *g = &plan.grants[i];
		fprintf(f, "  %-40s %s %s%s%s   [%s:%u]\n", g->path, g->tree ? "tree" : "file",
			g->access & SB_KGRANT_READ ? "read" : "",
			g->access == (SB_KGRANT_READ | SB_KGRANT_LIST) ? " " : "",
			g->access & SB_KGRANT_LIST ? "list" : "", g->origin.file, g->origin.line);
	}
	fprintf(f, "grant rules left to the broker: %u\n", plan.skipped);
	if (plan.ndirs)
		fputs("directories whose readlink the runtime answers (stat allowed, fixed in "
		      "place):\n",
		      f);
	for (size_t i = 0; i < plan.ndirs; i++) {
		const struct sb_kgrant *g = &plan.dirs[i];
		if (g->origin.file)
			fprintf(f, "  %-40s [%s:%u]\n", g->path, g->origin.file, g->origin.line);
		else
			fprintf(f, "  %-40s [default]\n", g->path);
	}
	sb_kgrant_plan_free(&plan);
	return 0;
}

/* The `limit` statements, as `sysbroker run` sets them (its --limit wins). */
static void explain_limits(const struct sb_policy *p, FILE *f)
{
	char soft[32], hard[32];
	for (int res = 0; res < SB_RLIMIT_COUNT; res++) {
		const struct sb_rlimit *l = &p->rlimits[res];
		if (!l->set)
			continue;
		sb_rlimit_format(res, l->soft, soft, sizeof(soft));
		sb_rlimit_format(res, l->hard, hard, sizeof(hard));
		fprintf(f, "limit %-10s soft %s, hard %s   [%s:%u]\n", sb_rlimit_name(res), soft,
			hard, l->file, l->line);
	}
}

static int explain(const struct sb_policy *p, FILE *f)
{
	struct sb_plan *plan = NULL;
	int r = sb_plan_build(p, &plan);
	if (r < 0)
		return r;

	fputs("files:", f);
	for (size_t i = 0; i < p->nfiles; i++)
		fprintf(f, " %s", p->files[i]);
	fputc('\n', f);
	print_default("syscall", &p->def_sys, f);
	print_default("path", &p->def_path, f);
	print_default("net", &p->def_net, f);
	explain_limits(p, f);
	fprintf(f, "kernel filter: %zu rules%s", plan->nmain, plan->nguard ? "" : "\n");
	if (plan->nguard)
		fprintf(f, ", guard filter: %zu rules\n", plan->nguard);

	explain_syscalls(plan, f);
	sb_plan_free(plan);
	r = explain_paths(p, f);
	if (r < 0)
		return r;
	explain_nets(p, f);
	return explain_kgrants(p, f);
}

static void usage(FILE *f)
{
	fputs("Usage: sysbroker check [-E] [--strict] [--] FILE...\n"
	      "\n"
	      "Load each FILE as a policy (with its includes and the built-in rules) and check\n"
	      "that its kernel filters can be built; print 'FILE: ok', or the first error as\n"
	      "FILE:LINE:COL: error: MESSAGE on standard error.\n"
	      "A valid policy is also checked for likely mistakes, each reported as\n"
	      "FILE:LINE:COL: warning: MESSAGE: a rule that lifts a built-in protection, clone,\n"
	      "ioctl or socket allowed without conditions, a path whose literal directory does\n"
	      "not exist, a rule a more specific one outranks for a permission it grants, and a\n"
	      "deny that changes nothing.\n"
	      "\n"
	      "  -E, --explain         print the compiled plan of each valid FILE instead of ok\n"
	      "      --strict          report the warnings as errors, and exit 1 for them\n"
	      "  -h, --help            show this help and exit\n"
	      "\n"
	      "Exit status: 0 every FILE is valid (warnings allowed without --strict); 1 a FILE\n"
	      "could not be read, or --strict and a warning; 2 a policy is invalid or the command\n"
	      "line is wrong. See sysbroker(1) and sysbroker.policy(5).\n",
	      f);
}

/* One FILE: load, lint, print. Returns its exit status (0, 1 or EXIT_USAGE). */
static int check_one(const char *file, bool do_explain, bool strict, bool many)
{
	struct sb_policy *p = NULL;
	struct sb_policy_error err;
	int r = sb_policy_load_file(file, &p, &err);
	if (r < 0) {
		char msg[CLI_POLICY_ERROR_MAX];
		cli_policy_error(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		/* An unreadable top-level file is an I/O problem, not an invalid policy. */
		bool io = err.line == 0 && strcmp(err.file, file) == 0 &&
			  strncmp(err.message, "cannot read", 11) == 0;
		return io ? 1 : EXIT_USAGE;
	}
	int ret = 0;
	int warnings = sb_policy_lint(p, strict, stderr);
	if (strict && warnings > 0)
		ret = 1;
	if (do_explain) {
		if (many)
			printf("== %s\n", file);
		r = explain(p, stdout);
		if (r < 0) {
			fprintf(stderr, "%s: error: cannot explain: %s\n", file, strerror(-r));
			ret = EXIT_USAGE;
		}
	} else if (ret == 0) {
		printf("%s: ok\n", file);
	}
	sb_policy_free(p);
	return ret;
}

int sb_cmd_check(int argc, char **argv)
{
	struct cli_opts o;
	bool do_explain = false, strict = false;
	int c, ret = 0;

	cli_opts_init(&o, "check", (const char *const[]){ "explain", "strict", "help", NULL });
	while ((c = cli_opts_next(&o, argc, argv)) != -1) {
		if (c == 'E') {
			do_explain = true;
		} else if (c == cli_opt_value("strict")) {
			strict = true;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs("sysbroker check: no policy file given\n", stderr);
		cli_usage_hint("check");
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		int r = check_one(argv[i], do_explain, strict, argc - optind > 1);
		/* An invalid policy outranks an unreadable file. */
		if (r > ret)
			ret = r;
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "sysbroker check: write error: %s\n", strerror(errno));
		return ret ? ret : 1;
	}
	return ret;
}
