/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kaudit.c: the kernel's own denial records. Under kernel grants (policy/kgrant.h) Landlock
 * refuses a direct open the sandbox makes without asking the broker; where the system's audit is
 * on, the kernel writes a record of it (Landlock ABI 7), which the broker reads from the audit
 * netlink socket's read-only log group and writes to its own log as a "deny" with rule "kernel".
 * Reading never changes the system's audit settings and never competes with an audit daemon.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "audit.h"

struct sb_kaudit;
/*
 * Open the reader. Returns 0, -ENOTCONN when the system's audit is off (the kernel writes no
 * records), or another -errno (no CAP_AUDIT_READ: -EPERM; no audit in the kernel).
 */
int sb_kaudit_open(struct sb_audit_log *log, struct sb_kaudit **ret);
/* The system's audit status (AUDIT_GET): 1 on, 0 off, or -errno. */
int sb_kaudit_enabled(void);
struct sb_kaudit *sb_kaudit_free(struct sb_kaudit *k);
/* The socket to wait on (readable: call sb_kaudit_read). */
int sb_kaudit_fd(const struct sb_kaudit *k);
/*
 * A process that restricted itself with the sandbox's Landlock domain: denials of every domain
 * it allocated are the sandbox's (its descendants and later images share the domain).
 */
int sb_kaudit_watch(struct sb_kaudit *k, pid_t pid);
/* Read what is there and write the sandbox's records. Never blocks. */
void sb_kaudit_read(struct sb_kaudit *k);
/*
 * After the sandbox is gone: the kernel hands its records to readers from a thread of its own,
 * so the last ones may come after the last process. Read until quiet_ms pass without one (at
 * most 20 times that in all).
 */
void sb_kaudit_drain(struct sb_kaudit *k, int quiet_ms);
