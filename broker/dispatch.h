/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one decision path for a brokered call, whichever transport brought it: the syscall rules
 * (with their limits and learn mode), the refusals (kill, deny, ENOSYS for a call the rules leave
 * to the broker but the broker does not serve), the caller's dirfds, the executor (or the network
 * executor, broker/net.c), the audit record, and only then the answer. A transport receives,
 * checks what the kernel vouches for, fills a struct sb_call and calls sb_dispatch with a
 * struct sb_reply: how to fetch the call's memory arguments and how to answer it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "executor.h"
#include "netargs.h"
#include "protocol.h"

struct sb_audit_log;
struct sb_limits;
struct sb_reply;
struct sb_pending;
struct sb_notify_state;

/* How an answer goes. */
enum sb_answer {
	SB_ANSWER_REFUSE,   /* res->ret, an error decided before anything was performed */
	SB_ANSWER_RESULT,   /* what was performed: res->ret, the out bytes, the fd */
	SB_ANSWER_CONTINUE, /* the kernel runs the call itself (only where can_continue) */
};

struct sb_reply_ops {
	/*
	 * Before a brokered call's arguments are looked at: notify opens what the call needs
	 * opened by pid (its memory when results go back into it, a network call's pidfd) and
	 * checks that the notification is still the caller's. 1 to go on, 0 when nobody waits any
	 * more (no answer), -errno to answer with. NULL: nothing to do.
	 */
	int (*prepare)(struct sb_reply *rp, const struct sb_call *call);
	/* The memory arguments of a file call into call (path, string, in); NULL: already there. */
	int (*fetch)(struct sb_reply *rp, struct sb_call *call);
	/*
	 * The address and the bytes of a network call: their lengths in na, where they are in
	 * item[0] and item[1]. A copy goes to na->buf (the dispatcher's); the trap transport
	 * points into its request instead.
	 */
	int (*fetch_net)(struct sb_reply *rp, const struct sb_call *call, struct sb_netargs *na,
			 const void *item[2]);
	/*
	 * The caller's pidfd in rp->pidfd, for a file call that fetches one of its fds: opened now
	 * by a transport that waits until a call needs it (notify), and checked to be the
	 * caller's before it is returned. The fd, or -errno. NULL: rp->pidfd is already there.
	 */
	int (*pidfd)(struct sb_reply *rp, const struct sb_call *call);
	/*
	 * Whether the copies and the fds fetched are still the caller's (notify: ID_VALID); false
	 * drops the call unanswered. NULL: always.
	 */
	bool (*valid)(struct sb_reply *rp);
	/* Answer; res->ret ends up as what the caller sees. 0, or -errno of a refused answer. */
	int (*answer)(struct sb_reply *rp, const struct sb_call *call, struct sb_result *res,
		      enum sb_answer how);
	/* SIGKILL the caller (a kill rule), if it is still the one that asked. */
	void (*kill)(struct sb_reply *rp, const struct sb_call *call);
	/*
	 * A reply of its own for a call that waits in the loop (pending.h), which answers later
	 * through it: its fds (and pidfd) duplicated. NULL with errno set on failure.
	 */
	struct sb_reply *(*detach)(struct sb_reply *rp);
	/*
	 * A detached reply's caller still waits for its answer (notify: the notification is
	 * still valid; trap: the channel is open and the process alive). NULL: always.
	 */
	bool (*waiting)(struct sb_reply *rp);
	/* Free a detached reply. */
	void (*free)(struct sb_reply *rp);
	/* The kernel can run a call the syscall rules allow on its integers (notify). */
	bool can_continue;
};

struct sb_reply {
	const struct sb_reply_ops *ops;
	int pidfd; /* the caller's process (trap: its channel's; notify: ops->pidfd), or -1 */
	/*
	 * A detached reply that still answers through the transport's connection (trap: the
	 * channel's reply slot): that connection, whose end drops the call (sb_pending_drop_owner).
	 */
	const void *owner;
};

/* Everything the decision path keeps between calls; the loop thread's only. */
struct sb_dispatch {
	struct sb_audit_log *log;       /* audit records (borrowed; NULL: none) */
	struct sb_pending *pending;     /* calls that wait, completed from the loop (pending.h) */
	struct sb_limits *limits;       /* the net rules' `at most` and rate counters */
	struct sb_notify_state *notify; /* the notify transport's buffers, made on first use */
	struct sb_result res;
	/*
	 * Whether a brokered call's caller (the kernel's pid) is one this broker may serve:
	 * `sysbroker agent` checks that its root is the container's. It may run before the
	 * transport has checked that the call is still its caller's (notify: ID_VALID), so it has
	 * no side effects of its own: false refuses the call with EPERM, and caller_refused (if
	 * set) records that once the transport says the caller still waits. NULL: every caller.
	 */
	bool (*caller_ok)(void *data, pid_t pid);
	void (*caller_refused)(void *data, pid_t pid);
	void *caller_data;
	/* A network call's address and bytes, copied from the caller's memory (notify). */
	_Alignas(8) uint8_t netbuf[SB_MAX_ADDR + SB_MAX_DATA];
};

/* A decision path writing its records to log (borrowed; NULL: none). 0 or -ENOMEM. */
int sb_dispatch_new(struct sb_audit_log *log, struct sb_dispatch **ret);
struct sb_dispatch *sb_dispatch_free(struct sb_dispatch *d);

/**
 * Decide, perform, record and answer one call. call->shape is its row (sb_shape_lookup: NULL
 * for a call the broker does not serve); call->dirfd[] are -1 and closed on return.
 *
 * @return 0 when the call was answered (or dropped: its caller is gone), or the -errno of an
 *         answer the transport could not give.
 */
int sb_dispatch(struct sb_dispatch *d, const struct sb_policy *policy, struct sb_call *call,
		struct sb_reply *rp);
