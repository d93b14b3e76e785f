/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <signal.h>
#include <stdint.h>

/* The control socket to the broker; set once before the filter is loaded. */
extern int sb_ctrl_fd;
/*
 * The broker's pid, once sb_sandbox_enter has loaded its filter: a SIGSYS that this pid sent with
 * tgkill(2) asks the thread to drop its privileges (SB_REQ_PRIVDROP). 0: never.
 */
extern int sb_privdrop_from;

/*
 * This thread's channel to the broker, made on first use through sb_ctrl_fd (which must be set):
 * the fd, or -errno. sb_channel_close() closes it again (when arming the trap failed).
 */
int sb_channel_get(void);
void sb_channel_close(void);

/* Broker one call on this thread's channel; returns the value or -errno. */
long sb_trap_call(long nr, const uint64_t args[6]);

/* The SIGSYS handler (SA_SIGINFO). */
void sb_sigsys(int sig, siginfo_t *si, void *uc);
