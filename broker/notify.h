/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SECCOMP_RET_USER_NOTIF transport: a brokered call arrives on a seccomp listener, the broker
 * reads its arguments from the caller's memory (/proc/PID/mem), decides and acts through the
 * executor, and answers through the listener (an fd is installed with SECCOMP_IOCTL_NOTIF_ADDFD).
 * Only the notification's pid, syscall number, architecture and integer arguments are trusted:
 * the kernel vouches for those.
 */
#pragma once

#include "policy.h"

/**
 * Serve one pending notification on the seccomp listener fd `listener`.
 *
 * Not reentrant: the call state (about 25 KiB) lives in one buffer allocated on first use, so
 * every listener must be served from one thread (the broker's event loop is single-threaded).
 *
 * @param policy the policy that decides (its syscall rules first, then path rules)
 * @param listener a listener fd from SECCOMP_FILTER_FLAG_NEW_LISTENER; never blocks on it
 * @param log_fd audit records (-1: none)
 * @return 0 when a notification was handled (or was gone before we could answer: ENOENT),
 *         -EAGAIN/-EINTR if none was pending, or another -errno if the listener is unusable
 *         (caller drops it): -EPIPE when no task uses the filter any more, -ENOMEM, -EBADF,
 *         -ENOTTY (not a listener), or the errno of a reply the kernel refused.
 */
int sb_notify_serve(const struct sb_policy *policy, int listener, int log_fd);
