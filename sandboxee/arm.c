/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Arming the trap path with ready-made programs: the handler, then the filters. Not signal
 * context. Needs neither libseccomp nor the policy layer, so that the preloaded runtime can link
 * it (sb_trap_enter, in enter.c, builds its filters itself).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"

#include "arm.h"
#include "handler.h"
#include "msg.h"
#include "protocol.h"
#include "runtime.h"

/* A poll of the socket (a recv that finds nothing, a sched_yield) costs about this much here:
 * tests/bench/bench-costs. Calls without a reply slot poll; so does a call waiting for its fd. */
#define SB_POLL_NS 600L
#define SB_SPIN_NS_MAX 10000000L

/* A forked child owns its copy of the memory; a vfork child never runs this. */
static void atfork_child(void)
{
	__atomic_store_n(&sb_owner_pid, (int)getpid(), __ATOMIC_RELAXED);
}

static long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/*
 * How long the handler spins before it sleeps: SYSBROKER_SPIN_NS (0 .. 10 s; default
 * SB_SPIN_NS_DEFAULT), turned into pauses by timing SB_PAUSES of them, since a pause costs from a
 * few to over a hundred cycles depending on the CPU (1000 took 11 us a process here; 128 are
 * timed to well within the clock's resolution). Also names this process as the owner of the
 * handler's caches (handler.h).
 */
#define SB_PAUSES 128
void sb_spin_setup(void)
{
	static bool registered;
	const char *e = getenv("SYSBROKER_SPIN_NS");
	long ns = SB_SPIN_NS_DEFAULT;

	if (e && *e) {
		char *end;
		errno = 0;
		long n = strtol(e, &end, 10);
		if (errno == 0 && *end == 0 && n >= 0 && n <= SB_SPIN_NS_MAX)
			ns = n;
	}
	__atomic_store_n(&sb_owner_pid, (int)getpid(), __ATOMIC_RELAXED);
	if (!registered)
		registered = pthread_atfork(NULL, NULL, atfork_child) == 0;
	long t0 = now_ns();
	for (int i = 0; i < SB_PAUSES; i++)
		sb_cpu_relax();
	long pause_ns = (now_ns() - t0) / SB_PAUSES;
	if (pause_ns < 1)
		pause_ns = 1;
	sb_spin_iters = ns / pause_ns;
	sb_spin_polls = ns / SB_POLL_NS;
}

/*
 * This process's reply slots (SB_REQ_REGION), asked for on the calling thread's channel and
 * mapped here, before the filter is loaded: the handler never maps memory, and the kernel filter
 * needs no rule for it. Kept from forked children (MADV_DONTFORK): a child could otherwise forge
 * its parent's answers. Without them every call goes over the socket alone, so a failure here
 * is not an error.
 */
bool sb_region_setup(void)
{
	int pid = (int)getpid();
	if (sb_region && sb_region_pid == pid)
		return false;
	int ch = sb_channel_get();
	if (ch < 0)
		return false;
	struct sb_req req = { .magic = SB_PROTO_MAGIC_REQ,
			      .version = SB_PROTO_VERSION,
			      .type = SB_REQ_REGION,
			      .arch = SB_AUDIT_ARCH,
			      .seq = SB_REGION_SEQ };
	if (sb_msg_send1(ch, &req, sizeof(req), -1, MSG_NOSIGNAL) != (long)sizeof(req))
		return false;
	struct sb_rep rep;
	struct sb_msg_anc anc = { .maxfds = 1 };
	long n;
	/* The channel may have carried calls before: skip what is left of them (wake-ups). */
	for (;;) {
		n = sb_msg_recv1(ch, &rep, sizeof(rep), &anc, 0);
		if (n <= 0 || (n == (long)sizeof(rep) && rep.seq == SB_REGION_SEQ))
			break;
		sb_msg_anc_close(&anc);
	}
	int memfd = anc.fds[0];
	if (n != (long)sizeof(rep) || rep.magic != SB_PROTO_MAGIC_REP || rep.seq != SB_REGION_SEQ ||
	    rep.ret < 0 || rep.ret >= SB_REGION_SLOTS || memfd < 0) {
		sb_msg_anc_close(&anc);
		return false;
	}
	return sb_region_map(memfd, (unsigned)rep.ret);
}

bool sb_region_map(int memfd, unsigned slot)
{
	int pid = (int)getpid();
	if ((sb_region && sb_region_pid == pid) || slot >= SB_REGION_SLOTS) {
		close(memfd);
		return false;
	}
	void *m = mmap(NULL, SB_REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	close(memfd);
	if (m == MAP_FAILED)
		return false;
	if (madvise(m, SB_REGION_SIZE, MADV_DONTFORK) < 0) {
		munmap(m, SB_REGION_SIZE);
		return false;
	}
	sb_region = m;
	__atomic_store_n(&sb_region_pid, pid, __ATOMIC_RELEASE); /* after sb_region */
	sb_channel_set_slot((struct sb_slot *)((uint8_t *)m + (size_t)slot * SB_SLOT_SIZE));
	return true;
}

/* Undo sb_region_setup() when arming fails: nothing may be left behind. */
void sb_region_drop(void)
{
	if (!sb_region || sb_region_pid != (int)getpid())
		return;
	sb_channel_set_slot(NULL);
	__atomic_store_n(&sb_region_pid, 0, __ATOMIC_RELEASE);
	munmap(sb_region, SB_REGION_SIZE);
	sb_region = NULL;
}

static int load(const struct sock_fprog *prog)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0 ? -errno : 0;
}

int sb_trap_arm(int ctrl_fd, const struct sock_fprog *main, const struct sock_fprog *guard)
{
	struct sigaction sa = { .sa_sigaction = sb_sigsys, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct sigaction old;
	int old_fd = sb_ctrl_fd;
	int r;

	if (ctrl_fd < 0 || !main || main->len == 0 || !main->filter ||
	    (guard && guard->len > 0 && !guard->filter))
		return -EINVAL;
	/* Every signal blocked while the handler runs: it owns this thread's buffers. */
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, &old) < 0)
		return -errno;
	sb_ctrl_fd = ctrl_fd;
	sb_spin_setup();
	/* The guard first: the main program may refuse seccomp(2) itself. */
	r = guard && guard->len > 0 ? load(guard) : 0;
	if (r == 0)
		r = load(main);
	if (r == 0)
		return 0;
	/* Best effort: a guard that is in place may refuse it (see runtime.h). */
	sigaction(SIGSYS, &old, NULL);
	sb_ctrl_fd = old_fd;
	return r;
}
