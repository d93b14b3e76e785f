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
 * How many times the handler polls its channel for the broker's answer, yielding the CPU between
 * polls, before it sleeps on it; 0: sleep at once. A poll costs about 0.6 µs here, and a sleeping
 * wake-up across CPUs about 25 µs: 40 polls spin about as long as the wake-up they may save,
 * which bounds the waste at twice the best choice (docs/performance.md). SYSBROKER_SPIN_POLLS
 * overrides it when the trap is armed.
 */
#define SB_SPIN_POLLS_DEFAULT 40
extern int sb_spin_polls;
void sb_spin_setup(void); /* not signal context: reads the environment */

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
