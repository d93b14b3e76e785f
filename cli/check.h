/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `sysbroker check`. */
#pragma once

#include <stdio.h>

/* `sysbroker check [--explain] [--strict] FILE...`. argv[0] is "check". */
int sb_cmd_check(int argc, char **argv);

/* The sysbroker command's usage (main.c); `check --help` prints it. */
void sb_usage(FILE *f);
