/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit log: one JSON object per line, written with a single write(2). */
#pragma once

#include "executor.h"

#define SB_AUDIT_SCHEMA 1

/* Append the record of one brokered call to fd. Returns 0 or -errno. */
int sb_audit_write(int fd, const struct sb_call *call, const struct sb_result *res);

/* "O_WRONLY|O_CREAT|O_CLOEXEC" for open(2) flags, into buf. */
const char *sb_open_flags_str(uint64_t flags, char *buf, size_t size);
