/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsysbroker-preload.so: the runtime that `sysbroker run` preloads into every dynamically
 * linked image. The launcher's base filter already sends every brokered call to the broker over
 * seccomp notify; this arms the faster trap path for the image it is loaded into: it asks the
 * broker, on the thread's own channel, for a trap filter scoped to the code of this image's C
 * library, installs the SIGSYS handler and loads the filter (docs/design.md, "The trap path
 * under sysbroker run").
 *
 * It must never break the program: on any failure it leaves everything on notify, says nothing
 * (one line on stderr with SYSBROKER_DEBUG set), keeps errno, and never exits.
 */
#include <dlfcn.h>
#include <elf.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "arm.h"
#include "handler.h"
#include "kgcookie.h"
#include "landlock.h"
#include "msg.h"
#include "protocol.h"
#include "runtime.h"

_Static_assert(sizeof(struct sock_filter) == SB_FILTER_INSN_SIZE, "wire size of an instruction");

/*
 * SYSBROKER_FD: "FD:INODE", two decimal numbers. The inode tells the broker's socket from one
 * the program made after closing ours, which the number alone could not: asking that one for a
 * channel would wait forever.
 */
static int parse_fd(const char *s, unsigned long long *ino)
{
	long v = 0;
	const char *p = s;

	if (!s || !*s)
		return -EBADF;
	for (; *p && *p != ':'; p++) {
		if (*p < '0' || *p > '9' || p - s >= 10)
			return -EBADF;
		v = v * 10 + (*p - '0');
	}
	if (p == s || *p != ':' || !p[1])
		return -EBADF;
	*ino = 0;
	for (const char *q = p + 1; *q; q++) {
		if (*q < '0' || *q > '9' || q - p > 20)
			return -EBADF;
		*ino = *ino * 10 + (unsigned long long)(*q - '0');
	}
	return v <= INT_MAX ? (int)v : -EBADF;
}

/*
 * The control socket is the broker's socket. Nothing more is asked of the kernel: fstat(2) is
 * one of the runtime's own rules, while getsockopt(2) could be a call the policy kills. The
 * fstat syscall itself, not the C library's fstat(), which is newfstatat(fd, "", AT_EMPTY_PATH)
 * here: a path call that the base filter sends to the broker, one more round trip per process.
 */
static int check_socket(int fd, unsigned long long ino)
{
	struct stat st;

	if (syscall(SYS_fstat, fd, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	return (unsigned long long)st.st_ino == ino ? 0 : -ESTALE;
}

/* Where the C library's code is: the executable PT_LOAD segments of the object `syscall` is in. */
struct find_text {
	uintptr_t probe;
	struct sb_text_range *rg;
	size_t n;
	bool found;
};

static int find_text_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct find_text *f = data;
	bool here = false;

	for (size_t i = 0; i < info->dlpi_phnum && !here; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		here = ph->p_type == PT_LOAD && f->probe >= start && f->probe - start < ph->p_memsz;
	}
	if (!here)
		return 0;
	f->found = true;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || ph->p_memsz == 0)
			continue;
		if (f->n >= SB_MAX_TEXT_RANGES)
			return -E2BIG;
		uint64_t start = info->dlpi_addr + ph->p_vaddr;
		uint64_t end = start + ph->p_memsz;
		start &= ~(SB_TEXT_ALIGN - 1);
		end = (end + SB_TEXT_ALIGN - 1) & ~(SB_TEXT_ALIGN - 1);
		f->rg[f->n++] = (struct sb_text_range){ start, end };
	}
	return 1;
}

static int text_ranges(struct sb_text_range *rg, size_t *n)
{
	struct find_text f = { .probe = (uintptr_t)&syscall, .rg = rg };
	int r = dl_iterate_phdr(find_text_cb, &f);
	if (r < 0)
		return r;
	if (!f.found || f.n == 0)
		return -ENOENT;
	*n = f.n;
	return 0;
}

/* The reply slots that came with the filter (SB_FILTER_REGION): the memfd, or -1 and none left. */
static int region_fd(const struct sb_rep *rep, struct sb_msg_anc *anc, unsigned *slot)
{
	if (!(rep->flags & SB_REP_FD) || anc->nfds != 1 || anc->fds[0] < 0 || rep->aux == 0 ||
	    rep->aux > SB_REGION_SLOTS) {
		sb_msg_anc_close(anc);
		return -1;
	}
	*slot = rep->aux - 1;
	return anc->fds[0];
}

/*
 * Ask for the filter and the reply slots (SB_FILTER_REGION) on our own channel, in one round
 * trip, and wait for the answer: buf gets the whole reply, *len its size, *memfd the slots'
 * memfd (or -1) and *slot the channel's. A plain send (no address) and recvmsg are the runtime's
 * own kernel rules.
 */
static int ask_filter(int ch, const struct sb_text_range *rg, size_t n, uint8_t *buf, size_t cap,
		      size_t *len, int *memfd, unsigned *slot)
{
	struct {
		struct sb_req req;
		struct sb_text_range rg[SB_MAX_TEXT_RANGES];
	} msg;
	struct sb_msg_anc anc = { .maxfds = 1 }; /* the memfd of the reply slots */
	long k;

	memset(&msg, 0, sizeof(msg));
	msg.req.magic = SB_PROTO_MAGIC_REQ;
	msg.req.version = SB_PROTO_VERSION;
	msg.req.type = SB_REQ_FILTER;
	msg.req.arch = SB_AUDIT_ARCH;
	msg.req.args[0] = SB_FILTER_REGION;
	msg.req.seq = 1;
	msg.req.len[SB_ITEM_IN] = (uint32_t)(n * sizeof(*rg));
	memcpy(msg.rg, rg, n * sizeof(*rg));
	k = sb_msg_send1(ch, &msg, sizeof(msg.req) + n * sizeof(*rg), -1, MSG_NOSIGNAL);
	if (k < 0)
		return (int)k;
	k = sb_msg_recv1(ch, buf, cap, &anc, 0);
	if (k < 0)
		return (int)k;
	const struct sb_rep *rep = (const struct sb_rep *)buf;
	int r = 0;
	if ((size_t)k < sizeof(*rep) || (anc.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    rep->magic != SB_PROTO_MAGIC_REP || rep->version != SB_PROTO_VERSION ||
	    rep->seq != msg.req.seq)
		r = -EPROTO;
	else if (rep->ret < 0)
		r = rep->ret < -4095 ? -EPROTO : (int)rep->ret;
	else if (rep->outlen != (size_t)k - sizeof(*rep))
		r = -EPROTO;
	if (r < 0) {
		sb_msg_anc_close(&anc);
		return r;
	}
	*memfd = region_fd(rep, &anc, slot);
	*len = (size_t)k;
	return 0;
}

/* The two programs in the reply (docs/protocol.md); they point into buf. */
static int parse_reply(uint8_t *buf, size_t len, struct sock_fprog *main_prog,
		       struct sock_fprog *guard)
{
	const struct sb_rep *rep = (const struct sb_rep *)buf;
	struct sb_filter_hdr h;

	if (len < sizeof(*rep) + sizeof(h) || rep->outlen < sizeof(h))
		return -EPROTO;
	memcpy(&h, buf + sizeof(*rep), sizeof(h));
	if (h.main_len == 0 || h.main_len > SB_MAX_FILTER_INSNS ||
	    h.guard_len > SB_MAX_FILTER_INSNS ||
	    rep->outlen != sizeof(h) + (size_t)(h.main_len + h.guard_len) * SB_FILTER_INSN_SIZE)
		return -EPROTO;
	struct sock_filter *insns = (struct sock_filter *)(buf + sizeof(*rep) + sizeof(h));
	*main_prog = (struct sock_fprog){ .len = (unsigned short)h.main_len, .filter = insns };
	*guard = (struct sock_fprog){ .len = (unsigned short)h.guard_len,
				      .filter = insns + h.main_len };
	return 0;
}

static int arm(const char **what)
{
	struct sb_text_range rg[SB_MAX_TEXT_RANGES];
	struct sock_fprog main, guard;
	size_t n = 0, len = 0;
	int r;

	const char *env = getenv("SYSBROKER_FD");
	if (!env)
		return 0; /* not under `sysbroker run`, or the program cleared its environment */
	unsigned long long ino = 0;
	int fd = parse_fd(env, &ino);
	*what = "SYSBROKER_FD";
	if (fd < 0)
		return fd;
	r = check_socket(fd, ino);
	if (r < 0)
		return r;
	/*
	 * Started with SIGSYS blocked (by whoever executed it): the first trap would kill it.
	 * rt_sigprocmask is one of the runtime's own rules, answered by every filter.
	 */
	sigset_t mask;
	*what = "SIGSYS is blocked";
	if (sigprocmask(SIG_BLOCK, NULL, &mask) < 0)
		return -errno;
	if (sigismember(&mask, SIGSYS))
		return -EBUSY;
	*what = "finding the C library's code";
	r = text_ranges(rg, &n);
	if (r < 0)
		return r;

	*what = "getting a channel";
	int old_fd = sb_ctrl_fd;
	sb_ctrl_fd = fd;
	int ch = sb_channel_get();
	if (ch < 0) {
		sb_ctrl_fd = old_fd;
		return ch;
	}
	*what = "asking for the filter";
	uint8_t *buf = malloc(SB_MAX_FILTER_REP);
	int memfd = -1;
	unsigned slot = 0;
	r = buf ? ask_filter(ch, rg, n, buf, SB_MAX_FILTER_REP, &len, &memfd, &slot) : -ENOMEM;
	if (r == 0)
		r = parse_reply(buf, len, &main, &guard);
	/*
	 * Kernel grants: the broker put the direct try's prefix in front of the filter only if
	 * this process holds their Landlock domain. Which paths to try is only a hint (the
	 * environment): a path left out is brokered, a path added is refused by Landlock.
	 */
	if (r == 0 && sb_kg_has_prefix(main.filter, main.len))
		sb_kg_set(getenv("SYSBROKER_KGRANTS"));
	/* The reply slots, before the filter: mapping memory is not the handler's business. */
	bool mapped = false;
	if (r == 0 && memfd >= 0)
		mapped = sb_region_map(memfd, slot);
	else if (memfd >= 0)
		close(memfd);
	if (r == 0) {
		*what = "loading the filter";
		r = sb_trap_arm(fd, &main, guard.len ? &guard : NULL);
	}
	free(buf);
	if (r < 0) {
		if (mapped)
			sb_region_drop();
		sb_channel_close();
		sb_ctrl_fd = old_fd;
	}
	return r < 0 ? r : 1;
}

/*
 * ---- WARNING: the exported wrappers below run in ANY context --------------------------------
 * sigaction, sigprocmask and pthread_sigmask replace the C library's for the whole program. They
 * are called from any thread, from the program's signal handlers (async-signal context), between
 * fork and exec, before this library's constructor (from another library's), armed or not. They
 * exist only to keep SIGSYS out of every mask the program sets (below). So they must never
 * allocate, lock, print, or call anything that is not async-signal-safe (dlsym only before our
 * constructor, when nothing else runs yet); never make a syscall besides the real function's
 * (one a filter traps while SIGSYS is blocked kills); never touch errno but through the real
 * call; and never fail where the real function would not.
 * ----------------------------------------------------------------------------------------------
 *
 * SIGSYS must never be blocked once the trap is armed: a trap with SIGSYS blocked kills the
 * process. Programs block every signal for good reasons (a worker thread that must not take
 * signals, a handler installed with a full mask), so the C library's mask functions are wrapped
 * to leave SIGSYS out of every mask they set. The C library's own rt_sigprocmask (its internal
 * blocking, as in posix_spawn's child) traps once the filter is armed, and the handler keeps
 * SIGSYS out of the mask it sets (sigsys.c): that covers what the mask wrappers do, which are
 * kept as a second line. sigaction's is still needed, since a handler's sa_mask is applied by
 * the kernel at delivery, without a syscall the filter could trap. A raw rt_sigprocmask from the
 * program's own code is not covered: docs/threat-model.md. The real functions are looked up in the
 * constructor, never later: the wrappers may be called from signal handlers, where dlsym is not
 * safe.
 */
typedef int (*mask_fn)(int how, const sigset_t *set, sigset_t *old);
typedef int (*action_fn)(int sig, const struct sigaction *act, struct sigaction *old);
static mask_fn real_sigprocmask, real_pthread_sigmask;
static action_fn real_sigaction;
static bool trap_armed;

static bool resolve_wrapped(void);

static int wrap_mask(mask_fn *realp, int how, const sigset_t *set, sigset_t *old)
{
	/* Called before our constructor (another library's): look them up now. */
	if (!*realp)
		resolve_wrapped();
	mask_fn real = *realp;
	if (!real)
		return errno = ENOSYS, -1; /* only if the C library lacks it; then never armed */
	if (!trap_armed || !set || how == SIG_UNBLOCK)
		return real(how, set, old);
	sigset_t copy = *set;
	sigdelset(&copy, SIGSYS);
	return real(how, &copy, old);
}

__attribute__((visibility("default"))) int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	return wrap_mask(&real_sigprocmask, how, set, old);
}

__attribute__((visibility("default"))) int pthread_sigmask(int how, const sigset_t *set,
							   sigset_t *old)
{
	return wrap_mask(&real_pthread_sigmask, how, set, old);
}

__attribute__((visibility("default"))) int sigaction(int sig, const struct sigaction *act,
						     struct sigaction *old)
{
	if (!real_sigaction)
		resolve_wrapped();
	if (!real_sigaction)
		return errno = ENOSYS, -1;
	if (!trap_armed || !act || sig == SIGSYS)
		return real_sigaction(sig, act, old);
	struct sigaction copy = *act;
	sigdelset(&copy.sa_mask, SIGSYS);
	return real_sigaction(sig, &copy, old);
}

static bool resolve_wrapped(void)
{
	/* dlsym returns an object pointer; POSIX guarantees it converts to a function's. */
	void *p[3] = { dlsym(RTLD_NEXT, "sigprocmask"), dlsym(RTLD_NEXT, "pthread_sigmask"),
		       dlsym(RTLD_NEXT, "sigaction") };
	memcpy(&real_sigprocmask, &p[0], sizeof(p[0]));
	memcpy(&real_pthread_sigmask, &p[1], sizeof(p[1]));
	memcpy(&real_sigaction, &p[2], sizeof(p[2]));
	return real_sigprocmask && real_pthread_sigmask && real_sigaction;
}

__attribute__((constructor(101))) static void sb_preload_init(void)
{
	int saved_errno = errno;
	const char *what = NULL;

	/* Without the real functions SIGSYS cannot be kept unblocked: stay on notify. */
	int r = resolve_wrapped() ? arm(&what) : 0;
	trap_armed = r > 0;
	if (r < 0 && what && getenv("SYSBROKER_DEBUG")) {
		char line[256];
		int k = snprintf(line, sizeof(line), "sysbroker: trap path not armed (%s): %s\n",
				 what, strerror(-r));
		if (k > 0 && write(STDERR_FILENO, line,
				   (size_t)k < sizeof(line) ? (size_t)k : sizeof(line) - 1) < 0) {
			/* Nowhere to say it: stay quiet. */
		}
	}
	errno = saved_errno;
}
