/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The broker's bound on a call the sandboxee could make wait (nowait.h). A timer, not a thread:
 * the broker has no thread besides its main one (docs/threat-model.md, promise 4). The timer and
 * the handler are per thread (SIGEV_THREAD_ID), so that a test running brokers on threads of one
 * process interrupts only the broker that armed it.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "nowait.h"

static __thread timer_t timer;
static __thread bool ready;

static void on_signal(int sig)
{
	(void)sig;
}

static int nowait_signal(void)
{
	return SIGRTMIN + 4;
}

static int mask(int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, nowait_signal());
	return -pthread_sigmask(how, &s, NULL);
}

static int setup(void)
{
	/* No SA_RESTART: the interrupted call must return. */
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = nowait_signal() };

	if (ready)
		return 0;
	ev._sigev_un._tid = gettid(); /* sigev_notify_thread_id: glibc 2.41 */
	sigemptyset(&sa.sa_mask);
	int r = mask(SIG_BLOCK);
	if (r < 0)
		return r;
	if (sigaction(nowait_signal(), &sa, NULL) < 0 ||
	    timer_create(CLOCK_MONOTONIC, &ev, &timer) < 0)
		return -errno;
	ready = true;
	return 0;
}

int sb_nowait_begin(void)
{
	const long ns = SB_NOWAIT_PERIOD_US * 1000L;
	struct itimerspec its = { .it_value.tv_nsec = ns, .it_interval.tv_nsec = ns };

	int r = setup();
	if (r < 0)
		return r;
	/* Periodic: an expiry that comes before the call only runs the handler; the next one
	 * interrupts it. */
	if (timer_settime(timer, 0, &its, NULL) < 0)
		return -errno;
	r = mask(SIG_UNBLOCK);
	if (r < 0)
		sb_nowait_end();
	return r;
}

void sb_nowait_end(void)
{
	struct itimerspec off = { 0 };
	mask(SIG_BLOCK);
	timer_settime(timer, 0, &off, NULL);
}

int sb_close_fetched(int fd)
{
	struct linger l = { 0 };
	socklen_t len = sizeof(l);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) < 0 || !l.l_onoff)
		return safe_close(fd);
	/*
	 * If this is the last reference, a lingering close waits for the peer to take the data:
	 * interrupted, the close still completes (the kernel keeps sending in the background).
	 * If the timer cannot be armed, the close happens unbounded (noted in the threat model).
	 */
	bool armed = sb_nowait_begin() == 0;
	safe_close(fd);
	if (armed)
		sb_nowait_end();
	return -1;
}
