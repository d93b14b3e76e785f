/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `sysbroker agent`: the seccomp agent of an OCI runtime (agent.c). */
#pragma once

/* argv[0] is "agent". Returns the exit status. */
int sb_cmd_agent(int argc, char **argv);
