/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `sysbroker run`: PROG's environment, where PROG is found, and where the runtime is. */
#pragma once

#include <stddef.h>

/* Set KEY=VALUE (kv, kept by pointer) in *envp of *n entries. Returns 0 or -ENOMEM. */
int env_set(char ***envp, size_t *n, const char *kv);
/* The value of key in envp, or NULL. */
const char *env_get(char **envp, size_t n, const char *key);
/*
 * PROG as execvp(3) would find it, with the PATH PROG will see. Returns 0, or the exit status
 * to fail with (126 found but not executable, 127 not found).
 */
int find_program(const char *prog, const char *path, char *out, size_t size);
/* The runtime's canonical path (malloc'd), or NULL when it cannot be found. */
char *preload_path(void);
