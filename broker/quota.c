/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quota.h"
#include "macro.h"

/*
 * A rate of at most N calls in any SECONDS seconds is exact up to RING calls: the times of the
 * last N allowed calls are kept, and a call is allowed when the oldest is SECONDS old. Beyond,
 * the window is fixed (it starts at the first call and restarts SECONDS later), which can let
 * up to 2N calls through across a window's edge.
 */
#define RING 1024

struct counter {
	uint64_t key;
	struct sb_limit limit; /* the limits counted, part of the identity */
	uint64_t used;         /* calls counted against the quota */
	uint64_t *times;       /* ring of allowed calls' times (ns), rate_n <= RING */
	size_t head, filled;
	uint64_t window_start, window_used; /* rate_n > RING */
};

struct sb_limits {
	struct counter *counters;
	size_t ncounters;
};

/* The executor's table, until sb_execute and sb_syscall_carry take the broker's. */

int sb_limits_new(struct sb_limits **ret)
{
	struct sb_limits *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	*ret = l;
	return 0;
}

static void forget(struct sb_limits *l)
{
	for (size_t i = 0; i < l->ncounters; i++)
		free(l->counters[i].times);
	free(l->counters);
	l->counters = NULL;
	l->ncounters = 0;
}

struct sb_limits *sb_limits_free(struct sb_limits *l)
{
	if (l) {
		forget(l);
		free(l);
	}
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct counter *find(struct sb_limits *t, uint64_t key, const struct sb_limit *l)
{
	for (size_t i = 0; i < t->ncounters; i++)
		if (t->counters[i].key == key && t->counters[i].limit.at_most == l->at_most &&
		    t->counters[i].limit.rate_n == l->rate_n &&
		    t->counters[i].limit.rate_secs == l->rate_secs)
			return &t->counters[i];
	struct counter *v = reallocarray(t->counters, t->ncounters + 1, sizeof(*v));
	if (!v)
		return NULL;
	t->counters = v;
	struct counter *c = &t->counters[t->ncounters];
	*c = (struct counter){ .key = key, .limit = *l };
	if (l->rate_n && l->rate_n <= RING) {
		c->times = calloc((size_t)l->rate_n, sizeof(uint64_t));
		if (!c->times)
			return NULL;
	}
	t->ncounters++;
	return c;
}

int sb_limits_take_in(struct sb_limits *t, const struct sb_decision *d, char *what, size_t size)
{
	const struct sb_limit *l = d->limit;
	if (what && size)
		what[0] = 0;
	if (!l || (!l->at_most && !l->rate_n))
		return 0;
	int err = d->limit_err > 0 ? d->limit_err : (l->at_most ? EDQUOT : EAGAIN);
	struct counter *c = t ? find(t, d->key, l) : NULL;
	if (!c)
		return -ENOMEM; /* fail closed: a limit we cannot count is reached */
	if (l->at_most && c->used >= l->at_most) {
		if (what)
			snprintf(what, size, "at most %llu", (unsigned long long)l->at_most);
		return -err;
	}
	uint64_t now = now_ns();
	uint64_t span = l->rate_secs * 1000000000ULL;
	if (l->rate_n && c->times) {
		/* Full ring: the oldest of the last N must be out of the window. */
		if (c->filled == l->rate_n && now - c->times[c->head] < span) {
			if (what)
				snprintf(what, size, "%llu per %llu seconds",
					 (unsigned long long)l->rate_n,
					 (unsigned long long)l->rate_secs);
			return -err;
		}
	} else if (l->rate_n) {
		if (c->window_used == 0 || now - c->window_start >= span) {
			c->window_start = now;
			c->window_used = 0;
		}
		if (c->window_used >= l->rate_n) {
			if (what)
				snprintf(what, size, "%llu per %llu seconds",
					 (unsigned long long)l->rate_n,
					 (unsigned long long)l->rate_secs);
			return -err;
		}
	}
	/* Within every limit: count it. */
	if (l->at_most)
		c->used++;
	if (l->rate_n && c->times) {
		c->times[c->head] = now;
		c->head = (c->head + 1) % (size_t)l->rate_n;
		if (c->filled < l->rate_n)
			c->filled++;
	} else if (l->rate_n) {
		c->window_used++;
	}
	return 0;
}
