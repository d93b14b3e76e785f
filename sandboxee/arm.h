/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Getting the trap path ready (arm.c). NOT signal context: these read the environment, register
 * a fork handler, map and unmap memory. They run before the filter is loaded (or when loading it
 * failed), never from the SIGSYS handler.
 */
#pragma once

#include <stdbool.h>

/*
 * How long the handler spins before it sleeps (sb_spin_iters, sb_spin_polls in handler.h, from
 * SYSBROKER_SPIN_NS), and this process as the owner of the handler's caches (sb_owner_pid).
 */
void sb_spin_setup(void);
/* Map this process's reply slots (true if it did), or unmap them again. */
bool sb_region_setup(void);
void sb_region_drop(void);
/*
 * Map the reply slots that came as memfd (always closed here), the calling thread's channel's
 * being slot: true if it did. sb_region_setup() ends here; SB_FILTER_REGION's reply too.
 */
bool sb_region_map(int memfd, unsigned slot);
