/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the commands of the sysbroker program share: option parsing and messages. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "macro.h"

/*
 * Every option of every command, in one table: a letter means the same thing in every command
 * that takes it, and a long option keeps its name. A letter of 0 marks a long-only option.
 */
static const struct cli_optdef {
	const char *name;
	char letter;
	bool arg;
} optdefs[] = {
	{ "help", 'h', false },        { "version", 'V', false },
	{ "policy", 'p', true },       { "log", 'l', true },
	{ "user", 'u', true },         { "cwd", 'C', true },
	{ "env", 'e', true },          { "clearenv", 'i', false },
	{ "timeout", 't', true },      { "learn", 'L', false },
	{ "log-failure", 'F', true },  { "json", 'j', false },
	{ "suggest", 's', false },     { "since", 'S', true },
	{ "pid", 'P', true },          { "syscall", 'c', true },
	{ "decision", 'd', true },     { "sandbox", 'I', true },
	{ "explain", 'E', false },     { "strict", 0, false },
	{ "listen", 0, true },         { "policy-dir", 0, true },
	{ "max-containers", 0, true }, { "limit", 'R', true },
	{ "listener-path", 0, true },  { "listener-metadata", 0, true },
};

static const struct cli_optdef *optdef(const char *name, int *ret_val)
{
	for (size_t i = 0; i < ELEMENTSOF(optdefs); i++)
		if (strcmp(optdefs[i].name, name) == 0) {
			*ret_val = optdefs[i].letter ? optdefs[i].letter : CLI_LONG_ONLY + (int)i;
			return &optdefs[i];
		}
	return NULL;
}

int cli_opt_value(const char *name)
{
	int v = 0;
	const struct cli_optdef *d = optdef(name, &v);
	assert(d);
	(void)d;
	return v;
}

void cli_opts_init(struct cli_opts *o, const char *cmd, const char *const *names)
{
	size_t n = 0, k = 0;

	*o = (struct cli_opts){ .cmd = cmd };
	o->shortopts[k++] = '+'; /* options end at the first operand (run's PROG) */
	o->shortopts[k++] = ':'; /* a missing argument is ':', not '?' */
	for (; names[n]; n++) {
		int val = 0;
		const struct cli_optdef *d = optdef(names[n], &val);
		assert(d && n + 1 < ELEMENTSOF(o->table) && k + 3 < sizeof(o->shortopts));
		/* The last entry stays zero: the table's end. */
		o->table[n] = (struct option){ d->name, d->arg ? required_argument : no_argument,
					       NULL, val };
		if (d->letter) {
			o->shortopts[k++] = d->letter;
			if (d->arg)
				o->shortopts[k++] = ':';
		}
	}
	optind = 1;
	opterr = 0;
}

/*
 * The option as the user wrote it, for a message: a long one is the last word getopt read (up to
 * any '='), a short one its letter (optopt; the word may be a cluster such as -jz).
 */
static const char *opt_shown(char **argv, char buf[64])
{
	const char *w = argv[optind - 1];
	if (optopt > 0 && optopt < CLI_LONG_ONLY && strncmp(w, "--", 2) != 0) {
		snprintf(buf, 64, "-%c", optopt);
		return buf;
	}
	snprintf(buf, 64, "%.*s", (int)strcspn(w, "="), w);
	return buf;
}

int cli_opts_next(struct cli_opts *o, int argc, char **argv)
{
	char b[64];
	const char *sp = o->cmd ? " " : "", *cmd = o->cmd ? o->cmd : "";
	int c = getopt_long(argc, argv, o->shortopts, o->table, NULL);
	/* "-p -- PROG": "--" ends the options, it is never an option's argument. */
	if (c > 0 && c != '?' && c != ':' && optarg && strcmp(optarg, "--") == 0) {
		bool apart = strcmp(argv[optind - 1], "--") == 0;
		fprintf(stderr, "sysbroker%s%s: option '%s' needs an argument\n", sp, cmd,
			apart ? argv[optind - 2] : argv[optind - 1]);
		return cli_usage_hint(o->cmd);
	}
	if (c == ':')
		fprintf(stderr, "sysbroker%s%s: option '%s' needs an argument\n", sp, cmd,
			opt_shown(argv, b));
	else if (c == '?' && optopt && optopt < CLI_LONG_ONLY)
		fprintf(stderr, "sysbroker%s%s: unknown option '-%c'\n", sp, cmd, optopt);
	else if (c == '?')
		fprintf(stderr, "sysbroker%s%s: unknown option '%s'\n", sp, cmd,
			opt_shown(argv, b));
	if (c == ':' || c == '?')
		return cli_usage_hint(o->cmd);
	return c;
}

int cli_usage_hint(const char *cmd)
{
	fprintf(stderr, "Try 'sysbroker %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
	return '?';
}

int cli_try_help(const char *msg)
{
	if (msg)
		fputs(msg, stderr);
	fputs("Try 'sysbroker --help'.\n", stderr);
	return EXIT_USAGE;
}

int cli_parse_long(const char *s, long lo, long hi, long *ret)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*ret = v;
	return 0;
}

void cli_policy_error(const struct sb_policy_error *err, char *buf, size_t size)
{
	if (err->line)
		snprintf(buf, size, "%s:%u:%u: error: %s", err->file, err->line, err->column,
			 err->message);
	else
		snprintf(buf, size, "%s: error: %s", err->file, err->message);
}
