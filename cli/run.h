/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `sysbroker run`: run.c reads the command line and takes the steps; program.c finds PROG and
 * the runtime, filters.c builds the filters, launch.c is the sandboxee's side of the fork,
 * supervise.c the broker's while the program runs, registry.c the registry `reload` uses.
 */
#pragma once

#include <stdint.h>

#include <stdbool.h>
#include <stddef.h>

#include "rlimits.h"

/* argv[0] is "run". Returns the exit status (the program's, or 124-127). */
int sb_cmd_run(int argc, char **argv);

/* The env(1)/timeout(1) convention. */
#define EXIT_TIMEOUT 124
#define EXIT_FAIL 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

/* Where the runtime sits for the sandboxee; SYSBROKER_PRELOAD overrides. */
#define PRELOAD_NAME "libsysbroker-preload.so"
#define CTRL_FD_MIN 1000 /* out of the way of the program's own fds (shells use 0-9) */

struct run_opts {
	const char *policy;
	const char *log;
	const char *user;
	const char *cwd;
	char **env;
	size_t nenv;
	bool clearenv;
	double timeout;
	bool learn;
	uint8_t log_failure; /* --log-failure: enum sb_log_failure, UNSET if not given */
	/* --limit, then the policy's `limit` for what the command line left unset */
	struct sb_rlimit limits[SB_RLIMIT_COUNT];
	char **argv;
};

/* "sysbroker run: " and the message, on stderr. */
__attribute__((format(printf, 1, 2))) void say(const char *fmt, ...);
