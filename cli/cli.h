/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the commands of the sysbroker program share: option parsing and messages. */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

/* Exit status for a wrong command line (run: 125, so as not to be taken for PROG's own). */
#define EXIT_USAGE 2

/* Room for a policy error as cli_policy_error() writes it. */
#define CLI_POLICY_ERROR_MAX                                                                       \
	(sizeof(((struct sb_policy_error *)0)->file) +                                             \
	 sizeof(((struct sb_policy_error *)0)->message) + 64)

/*
 * A command's options, from the one table of every option of every command (cli.c): a letter
 * means the same in every command, so a command names its options by their long names only.
 */
struct cli_opts {
	const char *cmd;    /* for messages: "sysbroker CMD: ..." */
	char shortopts[64]; /* "+:" and the letters */
	struct option table[16];
};

/* What cli_opts_next() returns for an option without a letter: this plus its table index. */
#define CLI_LONG_ONLY 0x100

/*
 * Fill o for argv[1..] (argv[0] is the command's name) with the options named in names
 * (NULL-terminated long names, each in cli.c's table). cmd: the command for messages, NULL for
 * the sysbroker command itself.
 */
void cli_opts_init(struct cli_opts *o, const char *cmd, const char *const *names);
/*
 * The next option (its letter, or cli_opt_value() of a long-only one; optarg holds its
 * argument), -1 when the options end at optind, or '?' for a wrong option or a missing argument,
 * once "sysbroker CMD: ..." and the --help hint are on stderr.
 */
int cli_opts_next(struct cli_opts *o, int argc, char **argv);
/* What cli_opts_next() returns for the option of this long name. */
int cli_opt_value(const char *name);
/* "Try 'sysbroker CMD --help'." on stderr. Returns '?'. */
int cli_usage_hint(const char *cmd);

/* "Try 'sysbroker --help'." on stderr, after msg (may be NULL). Returns EXIT_USAGE. */
int cli_try_help(const char *msg);

/* s as a whole decimal number in [lo, hi]. Returns 0 or -EINVAL. */
int cli_parse_long(const char *s, long lo, long hi, long *ret);

/* "FILE:LINE:COL: error: MESSAGE", or "FILE: error: MESSAGE" for an error without a line. */
void cli_policy_error(const struct sb_policy_error *err, char *buf, size_t size);
