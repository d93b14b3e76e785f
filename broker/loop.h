/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The broker's event loop: control sockets (new per-thread channels arrive there) and channels
 * (one request, one reply), all in one epoll set. The pid of a request comes from
 * SCM_CREDENTIALS, never from the message.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"

struct sb_broker;
struct sb_audit_log;

/* log_fd: where audit records go (-1: nowhere). The policy must outlive the broker. */
int sb_broker_new(const struct sb_policy *policy, int log_fd, struct sb_broker **ret);
/* Serve a control socket (SOCK_SEQPACKET); the broker owns ctrl_fd from now on. */
int sb_broker_add_control(struct sb_broker *b, int ctrl_fd);
/*
 * Serve until no control socket and no channel is left open. Returns 0 or -errno. Sets the
 * process umask to 0: the executor applies each caller's own umask to what it creates.
 */
int sb_broker_run(struct sb_broker *b);
struct sb_broker *sb_broker_free(struct sb_broker *b);

/* Serve a seccomp listener (SECCOMP_RET_USER_NOTIF); the broker owns it from now on. */
int sb_broker_add_notify(struct sb_broker *b, int listener);
/* Watch one of the caller's fds (signalfd, timerfd...); the broker owns it from now on. */
typedef void (*sb_fd_cb)(struct sb_broker *b, int fd, uint32_t events, void *data);
int sb_broker_add_fd(struct sb_broker *b, int fd, sb_fd_cb cb, void *data);
struct sb_policy_hold;
/*
 * Decide every later call with policy (a reload). hold (pending.h) is the new policy's lifetime:
 * the broker holds it while the policy is in force and while a call decided under it waits in
 * the loop, and releases it after both; NULL for a policy that outlives the broker. The previous
 * policy's hold is dropped here (released now if no waiting call holds it).
 */
void sb_broker_set_policy(struct sb_broker *b, const struct sb_policy *policy,
			  struct sb_policy_hold *hold);
/*
 * The broker's audit log (audit.h): for the caller's own records (a reload), its sandbox id and
 * its last "suppressed" record. NULL for a NULL broker.
 */
struct sb_audit_log *sb_broker_log(struct sb_broker *b);
/*
 * Serve brokered calls only of the callers ok(data, pid) accepts; refused(data, pid) records a
 * refusal (dispatch.h: caller_ok, caller_refused; refused may be NULL).
 */
void sb_broker_set_caller_check(struct sb_broker *b, bool (*ok)(void *data, pid_t pid),
				void (*refused)(void *data, pid_t pid), void *data);
/*
 * Every process this broker serves holds the Landlock domain of its kernel grants: the trap
 * filters it builds from now on let the handler's direct try through (docs/design.md, "Kernel
 * grants"). Never call it otherwise: without the domain the try would bypass the broker.
 */
void sb_broker_set_kgrants(struct sb_broker *b, bool on);
/* Make sb_broker_run return after the current event. */
void sb_broker_stop(struct sb_broker *b);
