/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SECCOMP_RET_USER_NOTIF transport: a brokered call arrives on a seccomp listener, the broker
 * reads its arguments from the caller's memory (/proc/PID/mem), decides and acts through the
 * executor, and answers through the listener (an fd is installed with SECCOMP_IOCTL_NOTIF_ADDFD).
 * Only the notification's pid, syscall number, architecture and integer arguments are trusted:
 * the kernel vouches for those.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"

struct sb_dispatch;
struct sb_notify_state;

/**
 * Serve one pending notification on the seccomp listener fd `listener`: receive it, check its
 * architecture, and hand it to the decision path (dispatch.h) with a reply that reads the
 * caller's memory and answers through the listener.
 *
 * Not reentrant: the call state (about 13 KiB) lives in d, allocated on first use, so every
 * listener of one d must be served from one thread (the broker's event loop is single-threaded).
 *
 * @param d the decision path, with its audit log
 * @param policy the policy that decides (its syscall rules first, then path rules)
 * @param listener a listener fd from SECCOMP_FILTER_FLAG_NEW_LISTENER; never blocks on it
 * @return 0 when a notification was handled (or was gone before we could answer: ENOENT),
 *         -EAGAIN/-EINTR if none was pending, or another -errno if the listener is unusable
 *         (caller drops it): -EPIPE when no task uses the filter any more, -ENOMEM, -EBADF,
 *         -ENOTTY (not a listener), or the errno of a reply the kernel refused.
 */
int sb_notify_serve(struct sb_dispatch *d, const struct sb_policy *policy, int listener);
/* The state sb_notify_serve allocated in a struct sb_dispatch (NULL: none). */
void sb_notify_state_free(struct sb_notify_state *st);

/* Whether the notification still waits for its answer, i.e. its task is the one that asked. */
bool sb_notify_id_valid(int listener, uint64_t id);
/*
 * Answer with a value, an error (ret < 0), or "let the kernel run it" (flags CONTINUE).
 * Returns 0, also when nobody waits any more (ENOENT), or -errno. Safe from any thread.
 */
int sb_notify_send(int listener, uint64_t id, int64_t ret, uint32_t flags);
/*
 * size bytes at addr in task pid (process_vm_readv): 0 or -EFAULT. Only what an ID_VALID after
 * it vouches for is the notifying task's.
 */
int sb_notify_read(pid_t pid, uint64_t addr, void *buf, size_t size);
