/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The registry of running sandboxes, and `sysbroker reload`. */
#pragma once

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
/*
 * Register this process as sandbox id: path (of size bytes) gets the entry's path, or "" when
 * it could not be made (best effort).
 */
void registry_add(const char *id, char *path, size_t size);
