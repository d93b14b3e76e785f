/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Calls that wait, completed from the event loop (pending.h). Nothing here blocks: a job is
 * retried when epoll says its socket is writable, or on the tick (a timerfd, armed only while
 * jobs wait); each tick also asks every job's reply whether its caller still waits
 * (ops->waiting: the notification is still valid, the trap channel still open and the process
 * alive) and drops the jobs nobody waits for.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "dispatch.h"
#include "macro.h"
#include "pending.h"

struct sb_pending {
	int epfd; /* the jobs' fds and the tick */
	int tfd;  /* the tick; armed while jobs wait */
	struct sb_job *jobs;
	unsigned n;
	struct sb_policy_hold *hold; /* the policy in force's, or NULL */
	char tick;                   /* its address marks the tick's events */
};

int sb_pending_new(struct sb_pending **ret)
{
	struct sb_pending *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &p->tick };
	if (p->epfd < 0 || p->tfd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->tfd, &ev) < 0) {
		int r = -errno;
		sb_pending_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

static struct sb_policy_hold *hold_ref(struct sb_policy_hold *h)
{
	if (h)
		h->refs++;
	return h;
}

static void hold_unref(struct sb_policy_hold *h)
{
	if (h && --h->refs == 0 && h->release)
		h->release(h);
}

void sb_pending_set_hold(struct sb_pending *p, struct sb_policy_hold *h)
{
	struct sb_policy_hold *old = p->hold;
	p->hold = hold_ref(h);
	hold_unref(old);
}

static void job_remove(struct sb_pending *p, struct sb_job *j)
{
	struct sb_policy_hold *h = j->hold;

	if (j->fd >= 0)
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, j->fd, NULL);
	if (j->prev)
		j->prev->next = j->next;
	else
		p->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	p->n--;
	j->ops->free(j);
	hold_unref(h); /* after the job, whose result points into the policy */
}

static void tick_arm(struct sb_pending *p, bool on)
{
	const long ns = SB_PENDING_TICK_MS * 1000000L;
	struct itimerspec its = { 0 };
	if (on)
		its.it_value.tv_nsec = its.it_interval.tv_nsec = ns;
	timerfd_settime(p->tfd, 0, &its, NULL);
}

struct sb_pending *sb_pending_free(struct sb_pending *p)
{
	if (!p)
		return NULL;
	while (p->jobs)
		job_remove(p, p->jobs);
	sb_pending_set_hold(p, NULL);
	safe_close(p->tfd);
	safe_close(p->epfd);
	free(p);
	return NULL;
}

int sb_pending_fd(const struct sb_pending *p)
{
	return p->epfd;
}

unsigned sb_pending_count(const struct sb_pending *p)
{
	return p ? p->n : 0;
}

int sb_pending_add(struct sb_pending *p, struct sb_job *j)
{
	if (p->n >= SB_PENDING_MAX)
		return -EAGAIN;
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLONESHOT, .data.ptr = j };
	if (j->fd >= 0 && epoll_ctl(p->epfd, EPOLL_CTL_ADD, j->fd, &ev) < 0)
		return -errno;
	j->hold = hold_ref(p->hold);
	j->prev = NULL;
	j->next = p->jobs;
	if (p->jobs)
		p->jobs->prev = j;
	p->jobs = j;
	if (p->n++ == 0)
		tick_arm(p, true);
	return 0;
}

void sb_pending_drop_owner(struct sb_pending *p, const void *owner)
{
	for (struct sb_job *j = p ? p->jobs : NULL, *next; j; j = next) {
		next = j->next;
		if (j->rp->owner == owner)
			job_remove(p, j);
	}
}

static bool waiting(struct sb_job *j)
{
	return !j->rp->ops->waiting || j->rp->ops->waiting(j->rp);
}

/* The tick: drop the jobs nobody waits for, retry those that wait on no fd. */
static void on_tick(struct sb_pending *p)
{
	uint64_t n;
	if (read(p->tfd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	for (struct sb_job *j = p->jobs, *next; j; j = next) {
		next = j->next;
		if (!waiting(j) || (j->fd < 0 && j->ops->retry(j)))
			job_remove(p, j);
	}
}

void sb_pending_run(struct sb_pending *p)
{
	struct epoll_event ev[16];
	bool tick = false;

	int n = epoll_wait(p->epfd, ev, ELEMENTSOF(ev), 0);
	for (int i = 0; i < n; i++) {
		if (ev[i].data.ptr == &p->tick) {
			tick = true;
			continue;
		}
		struct sb_job *j = ev[i].data.ptr;
		struct epoll_event again = { .events = EPOLLOUT | EPOLLONESHOT, .data.ptr = j };
		if (j->ops->retry(j))
			job_remove(p, j);
		else if (epoll_ctl(p->epfd, EPOLL_CTL_MOD, j->fd, &again) < 0)
			job_remove(p, j); /* cannot wait any more: nobody would answer */
	}
	if (tick)
		on_tick(p);
	if (p->n == 0)
		tick_arm(p, false);
}
