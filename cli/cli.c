/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the commands of the sysbroker program share: option parsing and messages. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "macro.h"

void cli_opts_init(struct cli_opts *o, const char *shortopts, const char *const *names, bool quiet)
{
	size_t n = 0;

	*o = (struct cli_opts){ 0 };
	bool plus = shortopts[0] == '+';
	int w = snprintf(o->shortopts, sizeof(o->shortopts), "%s:%s", plus ? "+" : "",
			 shortopts + (plus ? 1 : 0) + (shortopts[plus] == ':'));
	assert(w > 0 && (size_t)w < sizeof(o->shortopts));
	(void)w;
	for (const char *s = shortopts; *s; s++) {
		if (*s == '+' || *s == ':')
			continue;
		/* The last entry stays zero: the table's end. */
		assert(n + 1 < ELEMENTSOF(o->table));
		o->table[n] =
			(struct option){ names[n], s[1] == ':' ? required_argument : no_argument,
					 NULL, *s };
		n++;
	}
	optind = 1;
	if (quiet)
		opterr = 0;
}

int cli_opts_next(struct cli_opts *o, int argc, char **argv)
{
	return getopt_long(argc, argv, o->shortopts, o->table, NULL);
}

void cli_bad_option(const char *cmd, int c, char **argv)
{
	if (c == ':')
		fprintf(stderr, "sysbroker %s: option '%s' needs an argument\n", cmd,
			argv[optind - 1]);
	else
		fprintf(stderr, "sysbroker %s: unknown option '%s'\n", cmd, argv[optind - 1]);
	fprintf(stderr, "Try 'sysbroker %s --help'.\n", cmd);
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
