/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Calls that wait, completed from the event loop (pending.c). The broker has one thread: a call
 * that cannot complete now (a connect in progress, a send on a full socket, an open held by a
 * lease) becomes a job that keeps its detached reply. Its own epoll set (one fd in the loop's)
 * says when a job's socket is writable; a tick retries the jobs that wait on nothing the kernel
 * can signal and drops the jobs whose caller went away.
 */
#pragma once

#include <stdbool.h>

/* Jobs waiting at most; beyond, a call that would need one fails with EAGAIN. */
#define SB_PENDING_MAX 64
/* How often the tick retries and checks that callers still wait. */
#define SB_PENDING_TICK_MS 20

struct sb_reply;
struct sb_job;

/*
 * The lifetime of a policy that calls are decided under (a reload's; the first policy outlives
 * the broker and needs none). refs counts the broker's uses: one while it is the policy in force,
 * one per job decided under it (a waiting call's result points into it: its rule's origin and
 * limits, for the record written when the call completes). release, called when refs drops to
 * 0, frees the policy. The owner sets refs to 0 before handing it over.
 */
struct sb_policy_hold {
	unsigned refs;
	void (*release)(struct sb_policy_hold *h);
};

struct sb_job_ops {
	/* Try the call again: true when it is answered (the job is then freed), false to wait. */
	bool (*retry)(struct sb_job *j);
	/* Free the job and its reply, answered or not. */
	void (*free)(struct sb_job *j);
};

struct sb_job {
	const struct sb_job_ops *ops;
	struct sb_job *next, *prev;
	struct sb_reply *rp; /* the job's own (ops->detach): the caller's, for the answer */
	int fd; /* watched for EPOLLOUT (one-shot), or -1: retried on every tick (borrowed) */
	struct sb_policy_hold *hold; /* the policy it was decided under (sb_pending_add), or NULL */
};

struct sb_pending;

/* An empty set. 0 or -errno. */
int sb_pending_new(struct sb_pending **ret);
/* Drops every job unanswered. NULL: nothing. */
struct sb_pending *sb_pending_free(struct sb_pending *p);
/* The fd to watch for EPOLLIN in the loop; then call sb_pending_run. */
int sb_pending_fd(const struct sb_pending *p);
/* Jobs waiting now (for tests and the cap). */
unsigned sb_pending_count(const struct sb_pending *p);
/*
 * Take j over: from now on it is retried when j->fd is writable (or on the tick) and freed when
 * answered or when its caller no longer waits. 0, or -EAGAIN (SB_PENDING_MAX jobs wait) or
 * -errno, and j is still the caller's.
 */
int sb_pending_add(struct sb_pending *p, struct sb_job *j);
/*
 * Calls are decided under h's policy from now on: each job added holds it until freed, and the
 * set holds it until the next call or sb_pending_free. NULL: a policy that outlives the set.
 */
void sb_pending_set_hold(struct sb_pending *p, struct sb_policy_hold *h);
/* Drop, unanswered, the jobs whose reply answers through owner (a connection going away). */
void sb_pending_drop_owner(struct sb_pending *p, const void *owner);
/* Retry what is ready, drop what nobody waits for. Never blocks. */
void sb_pending_run(struct sb_pending *p);
