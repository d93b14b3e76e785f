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

/* Connections waiting for a reload's answer, at most; beyond, the oldest is closed. */
#define RELOAD_HELD 16

/*
 * The channel `sysbroker reload` gets the broker's answer on: a listening unix socket
 * RUNDIR/reload-PID (mode 0600), made by `run` before it drops its privileges. It is never
 * watched: a reload signal (which the sandbox cannot send, promise 4) accepts what is queued
 * and answers only the connection of the signal's sender (SO_PEERCRED); other connections are
 * held for their own signal. The client checks that the listener is the broker's pid.
 */
struct reload_chan {
	int fd; /* the listener, or -1 */
	char path[108];
	int held[RELOAD_HELD];
	pid_t pid[RELOAD_HELD];
	unsigned n;
};
/* Make the listener (best effort: ch->fd -1 without). Returns 0 or -errno. */
int registry_reload_listen(struct reload_chan *ch);
/* Answer the reload that pid asked for: msg NULL applied, else the reason it was refused. */
void registry_reload_answer(struct reload_chan *ch, pid_t pid, const char *msg);
/* Close the listener and what it holds, and remove the socket. */
void registry_reload_close(struct reload_chan *ch);
