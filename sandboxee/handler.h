/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SIGSYS handler, as the rest of the runtime sees it. Everything declared here is
 * async-signal-safe (raw syscalls, no locks, no allocation): sigsys.c, call.c, channel.c and
 * dropcaps.c define it. What arms the trap (it reads the environment, maps memory) is in arm.h.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* The control socket to the broker; set once before the filter is loaded. */
extern int sb_ctrl_fd;
/*
 * The broker's pid, once sb_sandbox_enter has loaded its filter: a SIGSYS that this pid sent with
 * tgkill(2) asks the thread to drop its privileges (SB_REQ_PRIVDROP). 0: never.
 */
extern int sb_privdrop_from;
/* Whether this SIGSYS is that request (dropcaps.c), and carrying it out for the calling thread. */
bool sb_privdrop_requested(const siginfo_t *si);
void sb_privdrop_self(void);
/*
 * Waiting for the broker: spin, then sleep (docs/performance.md). sb_spin_iters is how many
 * pauses a thread spins on its reply slot, sb_spin_polls how many times it polls its socket
 * (yielding in between) where it has no slot; both come from SYSBROKER_SPIN_NS (default
 * SB_SPIN_NS_DEFAULT, the cost of the cross-CPU wake-up they may save) in sb_spin_setup(), which
 * measures a pause (arm.h). sb_owner_pid is the process whose memory the handler's caches live in
 * (set there too, and in a forked child by a fork handler): any other process is a vfork child
 * sharing it, and leaves the caches alone.
 */
#define SB_SPIN_NS_DEFAULT 25000L
extern long sb_spin_iters;
extern long sb_spin_polls;
extern int sb_owner_pid;
/*
 * The reply slots of this process (SB_REGION_SLOTS of them), mapped by sb_region_setup() in
 * process sb_region_pid (arm.h), or NULL. sb_channel_set_slot() gives the calling thread's channel
 * its slot.
 */
struct sb_slot;
extern struct sb_slot *sb_region;
extern int sb_region_pid;
void sb_channel_set_slot(struct sb_slot *slot);
/* Whether the calling thread has a channel of its own. */
bool sb_channel_cached(void);

/*
 * This thread's channel to the broker, made on first use through sb_ctrl_fd (which must be set):
 * the fd, or -errno. sb_channel_close() closes it again (when arming the trap failed).
 */
int sb_channel_get(void);
void sb_channel_close(void);

/* Broker one call on this thread's channel; returns the value or -errno. */
long sb_trap_call(long nr, const uint64_t args[6]);
/*
 * The same for a trap: exec_mask is the interrupted code's signal mask (the kernel's format), which
 * a checked exec gives the new image; NULL for none.
 */
long sb_trap_call_masked(long nr, const uint64_t args[6], const void *exec_mask);

/* The SIGSYS handler (SA_SIGINFO). */
void sb_sigsys(int sig, siginfo_t *si, void *uc);
