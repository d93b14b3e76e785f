/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The handler's own syscalls (sandboxee/handler-syscalls.h) against its code and the runtime's
 * kernel rules: a raw syscall the handler makes that the trap filters refuse kills the process
 * (SIGSYS is blocked in the handler).
 *   1. every raw syscall in a file marked async-signal-safe (sandboxee/, common/) is listed:
 *      a call of raw(), syscall() or the wire client's msg_raw*() with a SYS_ name;
 *   2. every listed syscall the handler makes on a trap is allowed by the runtime's rules of
 *      every trap filter, and those of sb_sandbox_enter's privilege drop by its filter's.
 *     check-handler-syscalls SOURCE_ROOT
 */
#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "handler-syscalls.h"
#include "kgcookie.h"
#include "macro.h"

static int tap_n, tap_fail;

static void tap(bool ok, const char *fmt, const char *a, const char *b)
{
	printf("%s %d - ", ok ? "ok" : "not ok", ++tap_n);
	printf(fmt, a, b);
	printf("\n");
	tap_fail |= !ok;
}

static const struct sb_handler_syscall *listed(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(sb_handler_syscalls); i++)
		if (strcmp(sb_handler_syscalls[i].name, name) == 0)
			return &sb_handler_syscalls[i];
	return NULL;
}

/* Whether the identifier that ends just before s names a raw syscall helper. */
static bool raw_caller(const char *start, const char *s)
{
	const char *e = s;
	while (e > start && isspace((unsigned char)e[-1]))
		e--;
	if (e == start || e[-1] != '(')
		return false;
	e--;
	const char *b = e;
	while (b > start && (isalnum((unsigned char)b[-1]) || b[-1] == '_'))
		b--;
	size_t n = (size_t)(e - b);
	return (n == 3 && strncmp(b, "raw", 3) == 0) || (n == 7 && strncmp(b, "syscall", 7) == 0) ||
	       (n >= 7 && strncmp(b, "msg_raw", 7) == 0);
}

/* Check every raw syscall of one file; returns how many it makes, or -1 when not marked. */
static int scan(const char *path, const char *rel)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	static char text[1 << 20];
	size_t len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = 0;
	if (strncmp(text, "/* async-signal-safe */", 23) != 0)
		return -1;
	int calls = 0;
	for (const char *s = strstr(text, "SYS_"); s; s = strstr(s + 4, "SYS_")) {
		if (!raw_caller(text, s))
			continue;
		char name[64];
		size_t k = 0;
		for (const char *p = s + 4; (isalnum((unsigned char)*p) || *p == '_') && k < 63;
		     p++)
			name[k++] = *p;
		name[k] = 0;
		calls++;
		if (!listed(name))
			tap(false, "%s: raw syscall %s is not in sandboxee/handler-syscalls.h", rel,
			    name);
	}
	return calls;
}

static void scan_dir(const char *root, const char *dir, int *files, int *calls)
{
	char path[4096], rel[512];
	snprintf(path, sizeof(path), "%s/%s", root, dir);
	DIR *d = opendir(path);
	if (!d) {
		tap(false, "cannot read %s%s", path, "");
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 3 || de->d_name[n - 2] != '.' ||
		    (de->d_name[n - 1] != 'c' && de->d_name[n - 1] != 'h'))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", dir, de->d_name);
		snprintf(path, sizeof(path), "%s/%s", root, rel);
		int c = scan(path, rel);
		if (c >= 0) {
			(*files)++;
			*calls += c;
		}
	}
	closedir(d);
}

/* Whether the runtime's rules for mode allow nr (under some condition). */
static bool allowed(long nr, const struct sb_runtime_mode *mode)
{
	struct sb_sysrule rules[64];
	int n = sb_runtime_rules_for(rules, ELEMENTSOF(rules), mode);
	for (int i = 0; i < n; i++)
		if (rules[i].nr == nr && rules[i].c.verdict == SB_ALLOW)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const struct sb_runtime_mode trap = { .for_trap = true };
	const struct sb_runtime_mode embed = { .for_trap = true,
					       .embed = true,
					       .checked_exec = true };
	const struct sb_runtime_mode exec = { .for_trap = true, .checked_exec = true };
	int files = 0, calls = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: check-handler-syscalls SOURCE_ROOT\n");
		return 2;
	}
	scan_dir(argv[1], "sandboxee", &files, &calls);
	scan_dir(argv[1], "common", &files, &calls);
	/* The scan must find the handler: a rename must not make this test pass by finding none. */
	tap(files >= 5 && calls >= 20, "the signal-context files%s%s make raw syscalls", "", "");
	for (size_t i = 0; i < ELEMENTSOF(sb_handler_syscalls); i++) {
		const struct sb_handler_syscall *h = &sb_handler_syscalls[i];
		if (h->when == SB_HANDLER_DYING || h->when == SB_HANDLER_NEVER) {
			printf("ok %d - %s (%s) # SKIP need not be let through\n", ++tap_n, h->name,
			       h->why);
			continue;
		}
		if (h->when == SB_HANDLER_KGRANT) {
			struct sock_filter p[SB_KG_PREFIX_LEN];
			sb_kg_prefix(p);
			tap(p[3].k == (uint32_t)h->nr &&
				    p[SB_KG_PREFIX_LEN - 1].k == SECCOMP_RET_ALLOW,
			    "%s (%s) is let through by the kernel grants' prefix", h->name, h->why);
			continue;
		}
		bool ok = h->when == SB_HANDLER_TRAP
				  ? allowed(h->nr, &trap) && allowed(h->nr, &embed)
			  : h->when == SB_HANDLER_EXEC
				  ? allowed(h->nr, &exec) && allowed(h->nr, &embed)
				  : allowed(h->nr, &embed);
		tap(ok, "%s (%s) is let through by the runtime's trap rules", h->name, h->why);
	}
	printf("1..%d\n", tap_n);
	return tap_fail;
}
