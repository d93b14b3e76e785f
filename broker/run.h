/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `sysbroker run`. */
#pragma once

/* argv[0] is "run". Returns the exit status (the program's, or 124-127). */
int sb_cmd_run(int argc, char **argv);
