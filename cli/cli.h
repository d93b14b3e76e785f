/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the commands of the sysbroker program share: option parsing and messages. */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

/* Exit status of check, audit and reload for a wrong command line. */
#define EXIT_USAGE 2

/* Room for a policy error as cli_policy_error() writes it. */
#define CLI_POLICY_ERROR_MAX                                                                       \
	(sizeof(((struct sb_policy_error *)0)->file) +                                             \
	 sizeof(((struct sb_policy_error *)0)->message) + 64)

/*
 * A command's options: its getopt string ("+p:h", a ':' after each letter that takes an
 * argument) and the long name of each letter, in the same order. One table built from the two
 * keeps a command's letters and names side by side, in one line.
 */
struct cli_opts {
	char shortopts[64]; /* as given, with ':' after a leading '+' (getopt: a missing argument
			     * is ':', not '?') */
	struct option table[16];
};

/*
 * Fill o for argv[1..] (argv[0] is the command's name). quiet: leave error messages to the
 * caller, which gets '?' for an unknown option and ':' for a missing argument.
 */
void cli_opts_init(struct cli_opts *o, const char *shortopts, const char *const *names, bool quiet);
/* The next option letter (optarg holds its argument), or -1 when the options end at optind. */
int cli_opts_next(struct cli_opts *o, int argc, char **argv);
/* "sysbroker CMD: unknown option 'X'" (or a missing argument, for c == ':') and the --help hint. */
void cli_bad_option(const char *cmd, int c, char **argv);

/* "Try 'sysbroker --help'." on stderr, after msg (may be NULL). Returns EXIT_USAGE. */
int cli_try_help(const char *msg);

/* s as a whole decimal number in [lo, hi]. Returns 0 or -EINVAL. */
int cli_parse_long(const char *s, long lo, long hi, long *ret);

/* "FILE:LINE:COL: error: MESSAGE", or "FILE: error: MESSAGE" for an error without a line. */
void cli_policy_error(const struct sb_policy_error *err, char *buf, size_t size);
