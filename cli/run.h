/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `sysbroker run`. */
#pragma once

/* argv[0] is "run". Returns the exit status (the program's, or 124-127). */
int sb_cmd_run(int argc, char **argv);

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * The broker of `sysbroker run` reads its policy again on this signal, which it never forwards
 * to the program (SIGHUP is the program's). `sysbroker reload` sends it.
 */
#define SB_RELOAD_SIGNAL (SIGRTMIN + 2)

/* `sysbroker reload --pid PID | --sandbox ID`. argv[0] is "reload". */
int sb_cmd_reload(int argc, char **argv);

/*
 * Where `run` registers its sandbox id (RUNDIR/ID holds "PID STARTTIME"): $SYSBROKER_RUNDIR,
 * /run/sysbroker as root, $XDG_RUNTIME_DIR/sysbroker, or /tmp/sysbroker-UID. Must be a directory
 * of ours that nobody else can write. Returns 0 or -errno.
 */
int sb_registry_dir(char *buf, size_t size, bool create);
/* The start time of a process (field 22 of /proc/PID/stat), 0 if unknown. */
unsigned long long sb_process_start_time(pid_t pid);
