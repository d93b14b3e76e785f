/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The event loop (loop.h): every connection in one epoll set, dispatched by kind. The trap
 * transport's control sockets and channels are channel.c's; a notify listener is served by
 * notify.c; both decide through the broker's struct sb_dispatch (dispatch.c).
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "broker.h"
#include "dispatch.h"
#include "layers.h"
#include "macro.h"
#include "notify.h"
#include "pending.h"

/*
 * Connections are fds: never so many that the broker runs out of them (the launcher needs a few
 * to kill the tree, the executor a few per call).
 */
#define MAX_CONNS 4096
#define FD_RESERVE 64UL
/*
 * After answering, poll for the next request this long before sleeping in epoll_wait: about the
 * cost of the cross-CPU wake-up it saves (docs/performance.md). SYSBROKER_SPIN_NS overrides it.
 */
#define SB_BROKER_SPIN_NS 25000L
#define SB_BROKER_SPIN_MAX_NS 10000000L

int sb_broker_new(const struct sb_policy *policy, int log_fd, struct sb_broker **ret)
{
	struct sb_broker *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->policy = policy;
	b->spin_ns = SB_BROKER_SPIN_NS;
	b->sync_wake = !getenv("SYSBROKER_NO_SYNC_WAKE");
	const char *e = getenv("SYSBROKER_SPIN_NS");
	if (e && *e) {
		char *end;
		errno = 0;
		long v = strtol(e, &end, 10);
		if (errno == 0 && *end == 0 && v >= 0 && v <= SB_BROKER_SPIN_MAX_NS)
			b->spin_ns = v;
	}
	struct rlimit rl;
	b->max_conns = MAX_CONNS;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < MAX_CONNS + FD_RESERVE)
		b->max_conns = rl.rlim_cur > 2 * FD_RESERVE ? rl.rlim_cur - FD_RESERVE : FD_RESERVE;
	int r = sb_audit_log_new(log_fd, &b->log);
	if (r == 0)
		r = sb_dispatch_new(b->log, &b->disp);
	if (r < 0) {
		sb_audit_log_unref(b->log);
		free(b);
		return r;
	}
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	/* Calls that wait are completed by this loop: its one thread (pending.h). */
	b->pending = (struct conn){ .kind = CONN_PENDING, .fd = -1, .pidfd = -1 };
	struct epoll_event pev = { .events = EPOLLIN, .data.ptr = &b->pending };
	if (b->epfd >= 0 &&
	    epoll_ctl(b->epfd, EPOLL_CTL_ADD, sb_pending_fd(b->disp->pending), &pev) < 0)
		b->epfd = safe_close(b->epfd);
	if (b->epfd < 0) {
		r = -errno;
		sb_dispatch_free(b->disp);
		sb_audit_log_unref(b->log);
		free(b);
		return r;
	}
	*ret = b;
	return 0;
}

int sb_conn_add(struct sb_broker *b, enum conn_kind kind, int fd, struct conn **ret)
{
	if (b->nconns >= b->max_conns)
		return -EMFILE;
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = (struct conn){ .kind = kind, .fd = fd, .pidfd = -1 };
	int one = 1;
	if ((kind == CONN_CONTROL || kind == CONN_CHANNEL) &&
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		goto fail;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto fail;
	c->next = b->conns;
	if (b->conns)
		b->conns->prev = c;
	b->conns = c;
	b->nconns++;
	if (ret)
		*ret = c;
	return 0;
fail:;
	int r = -errno;
	safe_close(c->pidfd);
	free(c);
	return r;
}

static int add_conn(struct sb_broker *b, enum conn_kind kind, int fd)
{
	return sb_conn_add(b, kind, fd, NULL);
}

void sb_conn_drop(struct sb_broker *b, struct conn *c)
{
	/* A call waiting to answer in this channel's slot goes with it. */
	if (b->disp && c->kind == CONN_CHANNEL)
		sb_pending_drop_owner(b->disp->pending, c);
	epoll_ctl(b->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->prev)
		c->prev->next = c->next;
	else
		b->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	safe_close(c->fd);
	safe_close(c->pidfd);
	sb_slot_release(b, c);
	free(c);
	b->nconns--;
	b->dropped = true;
}

int sb_broker_add_control(struct sb_broker *b, int ctrl_fd)
{
	int r = add_conn(b, CONN_CONTROL, ctrl_fd);
	if (r < 0)
		safe_close(ctrl_fd);
	return r;
}

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS _IOW('!', 4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

int sb_broker_add_notify(struct sb_broker *b, int listener)
{
	/*
	 * Since Linux 6.6 the kernel can hand a notification and its answer over on the waker's
	 * CPU, as a same-CPU switch instead of a wake-up across CPUs. Older kernels refuse the
	 * flag (EINVAL); the wake-ups are then ordinary.
	 */
	if (b->sync_wake && ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
				  (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0)
		b->notify_sync = true;
	int r = add_conn(b, CONN_NOTIFY, listener);
	if (r < 0)
		safe_close(listener);
	return r;
}

int sb_broker_add_fd(struct sb_broker *b, int fd, sb_fd_cb cb, void *data)
{
	struct conn *c = NULL;
	int r = sb_conn_add(b, CONN_CALLBACK, fd, &c);
	if (r < 0 || !c) {
		safe_close(fd);
		return r;
	}
	c->cb = cb;
	c->data = data;
	return 0;
}

void sb_broker_set_policy(struct sb_broker *b, const struct sb_policy *policy,
			  struct sb_policy_hold *hold)
{
	/* Layers committed on the old policy stay behind the new one. */
	b->policy = sb_layers_rehead(b->layers, policy);
	sb_trap_bodies_clear(&b->trap_bodies);
	sb_pending_set_hold(b->disp->pending, hold);
}

void sb_broker_set_kgrants(struct sb_broker *b, bool on)
{
	b->kgrants = on;
}

struct sb_audit_log *sb_broker_log(struct sb_broker *b)
{
	return b ? b->log : NULL;
}

void sb_broker_set_caller_check(struct sb_broker *b, bool (*ok)(void *data, pid_t pid),
				void (*refused)(void *data, pid_t pid), void *data)
{
	b->disp->caller_ok = ok;
	b->disp->caller_refused = refused;
	b->disp->caller_data = data;
}

void sb_broker_stop(struct sb_broker *b)
{
	b->stop = true;
}

static void on_notify(struct sb_broker *b, struct conn *c, uint32_t events)
{
	if (events & EPOLLIN) {
		int r = sb_notify_serve(b->disp, b->policy, c->fd);
		if (r == 0 || r == -EAGAIN || r == -EINTR)
			return;
	}
	/* Every process that used the filter is gone (EPOLLHUP), or the listener broke. */
	sb_conn_drop(b, c);
}

static long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/*
 * Spin, then block: right after answering a thread, its next request is likely to follow soon,
 * and a sleeping wake-up across CPUs costs far more than polling for a few microseconds.
 */
static int wait_events(struct sb_broker *b, struct epoll_event *ev, int max)
{
	/* Not when the thread we answered runs on this CPU: it could not ask while we spin. */
	int cpu = b->peer_cpu ? sched_getcpu() : -1;
	bool same_cpu = cpu >= 0 && b->peer_cpu == (uint32_t)cpu + 1;
	if (b->served && b->spin_ns > 0 && !same_cpu) {
		long deadline = now_ns() + b->spin_ns;
		do {
			int n = epoll_wait(b->epfd, ev, max, 0);
			if (n != 0)
				return n;
			sched_yield();
		} while (now_ns() < deadline);
	}
	return epoll_wait(b->epfd, ev, max, -1);
}

int sb_broker_run(struct sb_broker *b)
{
	struct epoll_event ev[16];

	umask(0);
	while (b->nconns > 0 && !b->stop) {
		int n = wait_events(b, ev, ELEMENTSOF(ev));
		b->served = false;
		b->peer_cpu = 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n; i++) {
			struct conn *c = ev[i].data.ptr;
			switch (c->kind) {
			case CONN_CONTROL:
				sb_channel_on_control(b, c);
				break;
			case CONN_CHANNEL:
				sb_channel_on_request(b, c);
				b->served = true;
				break;
			case CONN_NOTIFY:
				on_notify(b, c, ev[i].events);
				/*
				 * A synchronous hand-over puts the caller on this CPU: spinning
				 * here would only keep it from running.
				 */
				b->served = b->served || !b->notify_sync;
				break;
			case CONN_CALLBACK:
				c->cb(b, c->fd, ev[i].events, c->data);
				break;
			case CONN_PENDING:
				sb_pending_run(b->disp->pending);
				break;
			}
			/* A connection dropped above may be named by a later event: stop here. */
			if (b->stop || b->dropped)
				break;
		}
		b->dropped = false;
	}
	return 0;
}

struct sb_broker *sb_broker_free(struct sb_broker *b)
{
	if (!b)
		return NULL;
	while (b->conns)
		sb_conn_drop(b, b->conns);
	sb_layers_free(b->layers);
	sb_trap_bodies_clear(&b->trap_bodies);
	sb_dispatch_free(b->disp);
	sb_audit_log_unref(b->log);
	safe_close(b->epfd);
	free(b);
	return NULL;
}
