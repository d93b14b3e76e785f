/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit log: one JSON object per line, written with a single write(2). */
#pragma once

/* At most SB_AUDIT_RATE records a second, in bursts of SB_AUDIT_BURST; the rest are counted
 * in a "suppressed" record. */
#define SB_AUDIT_RATE 2000.0
#define SB_AUDIT_BURST 20000.0
/* Records identical to the one before (a refused call retried in a loop): at most
 * SB_AUDIT_REPEAT of them a second are written, the rest counted in a "suppressed" record. */
#define SB_AUDIT_REPEAT 10

#include "executor.h"

/* The record format, docs/sysbroker-audit.5. 2: sandbox, exe, argv0, perms, limit, action, and
 * the decisions "would-deny", "reload" and "reload-error". */
#define SB_AUDIT_SCHEMA 2
#define SB_SANDBOX_ID_LEN 16
/* The longest container id a record carries (runtimes use 64 hex digits; longer ones are cut). */
#define SB_CONTAINER_ID_LEN 128

/*
 * A log: where records go (an fd, borrowed), the sandbox id they carry and the rate limit they
 * share, used by the broker's one thread. A log on fd -1 writes nothing. sb_audit_log_new returns
 * 0 or -ENOMEM.
 */
struct sb_audit_log;
int sb_audit_log_new(int fd, struct sb_audit_log **ret);
/* Free it (not its fd). Accepts NULL, returns NULL. */
struct sb_audit_log *sb_audit_log_unref(struct sb_audit_log *l);
/* The sandbox id every record carries ("" for none); set before records are written. */
void sb_audit_log_set_sandbox(struct sb_audit_log *l, const char *id);
/* The container id every record carries (`sysbroker agent`; "" for none). */
void sb_audit_log_set_container(struct sb_audit_log *l, const char *id);
/* Whether records go anywhere (l is not NULL and has an fd). */
bool sb_audit_log_on(const struct sb_audit_log *l);
/*
 * A record that cannot be written (a full file system, /dev/full, a closed pipe) is counted,
 * and fn(data, errno, first) is called before the call it belongs to is answered (first: the
 * first failure since the log last worked). When the log works again, a "log-error" record
 * with the count and the error comes before the next record.
 */
typedef void (*sb_audit_fail_fn)(void *data, int err, bool first);
void sb_audit_log_on_fail(struct sb_audit_log *l, sb_audit_fail_fn fn, void *data);
/* Records lost in all (and the first error in *err, if not NULL). */
unsigned long sb_audit_log_lost(const struct sb_audit_log *l, int *err);

/*
 * Append the records of one brokered call to l: one "would-deny" record per denial let through
 * in learn mode (res->learned), then the call's own. Returns 0 or -errno.
 */
int sb_audit_write(struct sb_audit_log *l, const struct sb_call *call, const struct sb_result *res);
/* Write the "suppressed" record of what the rate limit left out and has not reported yet. */
void sb_audit_flush(struct sb_audit_log *l);
/* Whether a call leaves records: its rule logs (log), it was over a limit, or it learned. */
static inline bool sb_audit_wanted(const struct sb_result *res, bool log)
{
	return log || res->decision.log || res->limit[0] || res->nlearned;
}
/* A record that is not a call: {"v","time","sandbox","pid","decision",KEY:VALUE}. */
int sb_audit_event(struct sb_audit_log *l, pid_t pid, const char *decision, const char *key,
		   const char *value);

/*
 * A denial the kernel made by itself (kaudit.h): a Landlock refusal of a call that never reached
 * the broker. Its rule is "kernel", its transport "kernel", blockers the kernel's words for
 * what was missing (e.g. "fs.read_file").
 */
int sb_audit_kernel_deny(struct sb_audit_log *l, pid_t pid, int nr, const char *path,
			 const char *blockers);

/*
 * A record about the sandbox, not about a call (kernel-grants): written if the log takes it,
 * never counted as lost and never a reason to stop the sandbox. Returns 0 or -errno.
 */
int sb_audit_note(struct sb_audit_log *l, const char *decision, const char *key, const char *value);

/* "O_WRONLY|O_CREAT|O_CLOEXEC" for open(2) flags, into buf. */
const char *sb_open_flags_str(uint64_t flags, char *buf, size_t size);
