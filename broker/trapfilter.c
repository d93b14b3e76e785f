/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The trap filter of one process of a `sysbroker run` sandbox. Filters survive execve and signal
 * handlers do not, so the filter traps only calls made from the code of the C library that the
 * process's own runtime armed it for; a new image's library lands elsewhere and stays on the
 * base (notify) filter until its runtime arms a filter of its own. libseccomp cannot compare the
 * instruction pointer, so a hand-written check does, where the program libseccomp makes would
 * answer anything but "allow" (scoped_program()).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "compile.h"
#include "kgcookie.h"
#include "macro.h"
#include "syscalls.h"
#include "trapfilter.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the instruction-pointer check assumes the low word of a u64 comes first"
#endif

_Static_assert(sizeof(struct sock_filter) == SB_FILTER_INSN_SIZE, "wire size of an instruction");
_Static_assert(SB_MAX_FILTER_INSNS == BPF_MAXINSNS, "the kernel's limit per program");

#define IP_LO ((uint32_t)offsetof(struct seccomp_data, instruction_pointer))
#define IP_HI (IP_LO + 4)
#define INSNS_PER_PIECE 6
/* A range of at most SB_MAX_TEXT_SPAN crosses at most one 4 GiB boundary. */
#define MAX_PIECES (2 * SB_MAX_TEXT_RANGES)

static void plan_freep(struct sb_plan **p)
{
	sb_plan_free(*p);
}

static void ctx_releasep(scmp_filter_ctx *c)
{
	if (*c)
		seccomp_release(*c);
}

static bool ranges_valid(const struct sb_text_range *r, size_t nr)
{
	if (!r || nr < 1 || nr > SB_MAX_TEXT_RANGES)
		return false;
	for (size_t i = 0; i < nr; i++)
		if (r[i].start >= r[i].end || r[i].start % SB_TEXT_ALIGN ||
		    r[i].end % SB_TEXT_ALIGN || r[i].end > SB_MAX_TEXT_END ||
		    r[i].end - r[i].start > SB_MAX_TEXT_SPAN)
			return false;
	return true;
}

/* One part of a range within a single 4 GiB block: the high word is fixed, lo in [first, last]. */
struct piece {
	uint32_t hi, first, last;
};

/* Split the ranges at 4 GiB boundaries, so that each part compares two 32-bit words. */
static size_t split(const struct sb_text_range *r, size_t nr, struct piece *out)
{
	size_t n = 0;
	for (size_t i = 0; i < nr; i++) {
		uint64_t s = r[i].start, last = r[i].end - 1;
		for (;;) {
			uint64_t block_last = s | 0xffffffffULL;
			uint64_t piece_last = last < block_last ? last : block_last;
			out[n++] = (struct piece){ (uint32_t)(s >> 32), (uint32_t)s,
						   (uint32_t)piece_last };
			if (piece_last == last)
				break;
			s = piece_last + 1;
		}
	}
	return n;
}

/*
 * The range check: per piece, load the high word of the instruction pointer (on to the next
 * piece if it differs), then the low word (on to the next piece if below first or above last),
 * else jump to the instruction that follows the check; BPF_JA takes a 32-bit offset, the
 * conditional jumps only ever skip a few instructions. After the last piece: let the call
 * through, for the other filters to decide. Returns the number of instructions written,
 * INSNS_PER_PIECE * n + 1.
 */
static size_t range_check(const struct piece *pc, size_t n, struct sock_filter *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		out[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, IP_HI);
		out[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, pc[i].hi, 0, 4);
		out[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, IP_LO);
		out[k++] =
			(struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, pc[i].first, 0, 2);
		out[k++] =
			(struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, pc[i].last, 1, 0);
		/* From instruction 6i+5 to the one after the check, at 6n+1. */
		out[k++] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA,
							(uint32_t)(INSNS_PER_PIECE * (n - i) - 5));
	}
	out[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return k;
}

/*
 * The program for the pieces: the body first, with each return other than "allow" turned into
 * a jump to a stub of its own that puts that answer in X and goes on to the one range check
 * behind the stubs (range_check(), then A = X and return A): a call from inside the pieces gets
 * the answer, any other is let through. The result is the same for every call as the check in
 * front of the body, but a syscall the body allows outright is decided on its number alone: the
 * kernel's action cache then skips the filter for it, where a prefix that read the instruction
 * pointer first made every call run every trap filter stacked on the process (one or two per
 * image of its exec chain). One check for all the answers, not one per answer: every image of
 * an exec chain stacks these programs, and the kernel caps the instructions of a process's
 * filters together (32768, counted after its own translation), which also bounds the filters
 * the program may load itself.
 */
static int scoped_program(const struct piece *pc, size_t npc, const struct sock_filter *body,
			  size_t nbody, struct sock_filter **ret, size_t *ret_len)
{
	const size_t ncheck = INSNS_PER_PIECE * npc + 3;
	_cleanup_free_ uint32_t *answers = calloc(nbody ? nbody : 1, sizeof(*answers));
	size_t nanswers = 0;

	if (!answers)
		return -ENOMEM;
	for (size_t i = 0; i < nbody; i++) {
		if (BPF_CLASS(body[i].code) != BPF_RET)
			continue;
		/* libseccomp returns constants only. */
		if (BPF_RVAL(body[i].code) != BPF_K)
			return -EINVAL;
		if (body[i].k == SECCOMP_RET_ALLOW)
			continue;
		size_t k = 0;
		while (k < nanswers && answers[k] != body[i].k)
			k++;
		if (k == nanswers)
			answers[nanswers++] = body[i].k;
	}
	size_t len = nbody + (nanswers ? 2 * nanswers + ncheck : 0);
	if (nbody > BPF_MAXINSNS || nanswers > BPF_MAXINSNS || len > BPF_MAXINSNS)
		return -E2BIG;
	struct sock_filter *prog = calloc(len ? len : 1, sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	if (nbody)
		memcpy(prog, body, nbody * sizeof(*prog));
	for (size_t i = 0; i < nbody; i++) {
		if (BPF_CLASS(prog[i].code) != BPF_RET || prog[i].k == SECCOMP_RET_ALLOW)
			continue;
		size_t k = 0;
		while (answers[k] != prog[i].k)
			k++;
		prog[i] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA,
						       (uint32_t)(nbody + 2 * k - i - 1));
	}
	const size_t check = nbody + 2 * nanswers;
	for (size_t k = 0; k < nanswers; k++) {
		struct sock_filter *b = prog + nbody + 2 * k;
		b[0] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_W | BPF_IMM, answers[k]);
		b[1] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA,
						    (uint32_t)(check - (nbody + 2 * k + 1) - 1));
	}
	if (nanswers) {
		/* The range check loads A only: X still holds the answer. */
		size_t k = range_check(pc, npc, prog + check);
		prog[check + k] = (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TXA, 0);
		prog[check + k + 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
	}
	*ret = prog;
	*ret_len = len;
	return 0;
}

/*
 * Whether the trap filter leaves a syscall to the base filter altogether (lets it through)
 * instead of trapping what the plan sends to the broker:
 *  - a brokered call the trap transport cannot serve (no shape: xattrs, chown...): over
 *    the trap the broker could only answer ENOSYS;
 *  - exec: over notify the broker checks the file and the kernel runs it for the caller, so the
 *    new image starts with the program's own signal mask and without an exec fd, and a script's
 *    interpreter can read the script. The trap's checked exec (execveat of SB_EXEC_FD from the
 *    handler) leaves SB_EXEC_FD open in the new image, where the next checked exec would find it
 *    taken, and a script would be read through /dev/fd/1019, a magic link the broker refuses;
 *  - a call whose arguments only the broker can judge, when the broker cannot make it for the
 *    caller (not brokered: an allowed one would get ENOSYS) or when the handler makes it itself
 *    (a runtime rule: it would trap inside the handler, with SIGSYS blocked, which kills).
 * Over notify the broker decides all of them. sb_trap_enter, which has no notify filter behind
 * it, traps exec and refuses the last kind instead.
 */
static bool deferred(const struct sb_plan_sys *ps, const struct sb_sysrule *extra, size_t nextra)
{
	enum sb_brokered_kind kind = sb_syscall_brokered(ps->nr);

	if (kind == SB_BROKERED_EXEC || (kind != SB_BROKERED_NO && !sb_shape_lookup(ps->nr)))
		return true;
	if (ps->how != SB_PLAN_EVALUATE)
		return false;
	if (kind == SB_BROKERED_NO)
		return true;
	for (size_t i = 0; i < nextra; i++)
		if (extra[i].nr == ps->nr)
			return true;
	return false;
}

static const struct sb_plan_sys *plan_sys(const struct sb_plan *plan, int nr)
{
	for (size_t i = 0; i < plan->nsys; i++)
		if (plan->sys[i].nr == nr)
			return &plan->sys[i];
	return NULL;
}

/*
 * The main filter: the plan's main rules, but a deferred syscall gets one unconditional allow
 * (explicit, since the filter's default may be the broker: a logged default denial).
 */
static int main_filter(struct sb_plan *plan, const struct sb_sysrule *extra, size_t nextra,
		       scmp_filter_ctx *ret)
{
	_cleanup_free_ struct sb_krule *kept = calloc(plan->nmain + plan->nsys + 2, sizeof(*kept));
	size_t n = 0;

	if (!kept)
		return -ENOMEM;
	for (size_t i = 0; i < plan->nmain; i++) {
		const struct sb_plan_sys *ps = plan_sys(plan, plan->main[i].nr);
		if ((!ps || !deferred(ps, extra, nextra)) && plan->main[i].nr != SYS_rt_sigprocmask)
			kept[n++] = plan->main[i];
	}
	/*
	 * The C library's rt_sigprocmask traps: the handler does it on the saved mask, never
	 * blocking SIGSYS (sandboxee/sigsys.c). The C library blocks every signal by itself, as in
	 * posix_spawn's child, whose file actions then trap. The handler's own is not in these
	 * ranges.
	 */
	kept[n++] = (struct sb_krule){ .nr = SYS_rt_sigprocmask, .d = { SB_K_BROKER, 0 } };
	for (size_t i = 0; i < plan->nsys; i++)
		if (deferred(&plan->sys[i], extra, nextra))
			kept[n++] =
				(struct sb_krule){ .nr = plan->sys[i].nr, .d = { SB_K_ALLOW, 0 } };

	struct sb_krule *orig = plan->main;
	size_t norig = plan->nmain;
	plan->main = kept;
	plan->nmain = n;
	int r = sb_plan_filter(plan, false, SCMP_ACT_TRAP, ret);
	plan->main = orig;
	plan->nmain = norig;
	return r;
}

void sb_trap_bodies_clear(struct sb_trap_bodies *c)
{
	if (!c)
		return;
	free(c->main);
	free(c->guard);
	*c = (struct sb_trap_bodies){ 0 };
}

/* The bodies of the programs for p: libseccomp's programs of the plan, without the check. */
static int make_bodies(const struct sb_policy *p, struct sb_trap_bodies *ret)
{
	_cleanup_(plan_freep) struct sb_plan *plan = NULL;
	_cleanup_(ctx_releasep) scmp_filter_ctx main_ctx = NULL, guard_ctx = NULL;
	_cleanup_free_ struct sb_sysrule *sys = NULL;
	struct sb_trap_bodies b = { .policy = p };
	struct sb_policy copy;

	int nextra = sb_policy_with_runtime(p, true, &copy, &sys);
	if (nextra < 0)
		return nextra;
	int e = sb_plan_build_for(&copy, true, &plan);
	if (e == 0)
		e = main_filter(plan, sys + p->nsys, (size_t)nextra, &main_ctx);
	if (e == 0)
		e = sb_plan_filter(plan, true, SCMP_ACT_TRAP, &guard_ctx);
	if (e == 0)
		e = sb_filter_export(main_ctx, &b.main, &b.nmain);
	if (e == 0 && guard_ctx) {
		b.guarded = true;
		e = sb_filter_export(guard_ctx, &b.guard, &b.nguard);
	}
	if (e < 0) {
		sb_trap_bodies_clear(&b);
		return e;
	}
	*ret = b;
	return 0;
}

int sb_trap_programs(const struct sb_policy *p, struct sb_trap_bodies *cache,
		     const struct sb_text_range *r, size_t nr, struct sock_filter **ret_main,
		     size_t *ret_main_len, struct sock_filter **ret_guard, size_t *ret_guard_len)
{
	_cleanup_free_ struct sock_filter *main_prog = NULL, *guard_prog = NULL;
	struct sb_trap_bodies own = { 0 }, *b = cache ? cache : &own;
	size_t main_len = 0, guard_len = 0;
	struct piece pc[MAX_PIECES];

	if (!p || !ret_main || !ret_main_len || !ret_guard || !ret_guard_len ||
	    !ranges_valid(r, nr))
		return -EINVAL;
	size_t npc = split(r, nr, pc);

	/* The bodies depend on the policy alone: kept for the next process of the same one. */
	int e = 0;
	if (b->policy != p) {
		sb_trap_bodies_clear(b);
		e = make_bodies(p, b);
	}
	if (e == 0)
		e = scoped_program(pc, npc, b->main, b->nmain, &main_prog, &main_len);
	if (e == 0 && b->guarded)
		e = scoped_program(pc, npc, b->guard, b->nguard, &guard_prog, &guard_len);
	sb_trap_bodies_clear(&own);
	if (e < 0)
		return e;
	*ret_main = TAKE_PTR(main_prog);
	*ret_main_len = main_len;
	*ret_guard = TAKE_PTR(guard_prog);
	*ret_guard_len = guard_len;
	return 0;
}

/* Check an SB_REQ_FILTER message and copy its ranges out. */
static int decode_filter_request(const void *msg, size_t len, struct sb_text_range *r,
				 size_t *ret_nr)
{
	struct sb_req req;

	if (!msg || len < sizeof(req) || len > SB_MAX_REQ)
		return -EPROTO;
	memcpy(&req, msg, sizeof(req));
	if (req.magic != SB_PROTO_MAGIC_REQ || req.version != SB_PROTO_VERSION ||
	    req.type != SB_REQ_FILTER)
		return -EPROTO;
	if (req.arch != SB_AUDIT_ARCH)
		return -EAFNOSUPPORT;
	if (req.nr != 0)
		return -EPROTO;
	/* args[0]: SB_FILTER_REGION or nothing (the caller serves the region). */
	for (size_t i = 0; i < ELEMENTSOF(req.args); i++)
		if (req.args[i] != 0 && (i != 0 || req.args[0] != SB_FILTER_REGION))
			return -EPROTO;
	for (size_t i = 0; i < SB_ITEM_MAX; i++)
		if (i != SB_ITEM_IN && req.len[i] != 0)
			return -EPROTO;
	size_t in = req.len[SB_ITEM_IN];
	if (in == 0 || in % sizeof(*r) || in / sizeof(*r) > SB_MAX_TEXT_RANGES ||
	    len - sizeof(req) != in)
		return -EPROTO;
	memcpy(r, (const uint8_t *)msg + sizeof(req), in);
	if (!ranges_valid(r, in / sizeof(*r)))
		return -EPROTO;
	*ret_nr = in / sizeof(*r);
	return 0;
}

/* A small /proc file that holds one number in the given base. */
static int read_number(const char *path, int base, unsigned long *ret)
{
	char buf[64] = "";
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	char *end;
	errno = 0;
	unsigned long v = strtoul(buf, &end, base);
	if (errno || end == buf || (*end != 0 && *end != '\n'))
		return -EINVAL;
	*ret = v;
	return 0;
}

/*
 * Address-space randomization for the process and the images it will execute. Without it a new
 * image's C library lands where this one's is, inside the ranges of a filter it inherits, and
 * its first brokered call traps before its runtime has installed a handler: fatal. What cannot be
 * read counts as off.
 */
static int aslr_on(pid_t pid)
{
	char path[64];
	unsigned long v = 0;

	if (pid <= 0)
		return -EOPNOTSUPP;
	if (read_number("/proc/sys/kernel/randomize_va_space", 10, &v) < 0 || v == 0)
		return -EOPNOTSUPP;
	snprintf(path, sizeof(path), "/proc/%d/personality", (int)pid);
	if (read_number(path, 16, &v) < 0 || (v & ADDR_NO_RANDOMIZE))
		return -EOPNOTSUPP;
	return 0;
}

int sb_filter_reply(const struct sb_policy *p, struct sb_trap_bodies *cache, pid_t pid,
		    const void *msg, size_t len, void **out, size_t *outlen)
{
	struct sb_text_range r[SB_MAX_TEXT_RANGES];
	_cleanup_free_ struct sock_filter *main_prog = NULL, *guard_prog = NULL;
	size_t nr = 0, main_len = 0, guard_len = 0;

	if (!p || !out || !outlen)
		return -EINVAL;
	int e = decode_filter_request(msg, len, r, &nr);
	if (e == 0)
		e = aslr_on(pid);
	if (e == 0)
		e = sb_trap_programs(p, cache, r, nr, &main_prog, &main_len, &guard_prog,
				     &guard_len);
	if (e < 0)
		return e;

	struct sb_filter_hdr hdr = { .main_len = (uint32_t)main_len,
				     .guard_len = (uint32_t)guard_len };
	size_t size = sizeof(hdr) + (main_len + guard_len) * sizeof(struct sock_filter);
	uint8_t *buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, &hdr, sizeof(hdr));
	if (main_len)
		memcpy(buf + sizeof(hdr), main_prog, main_len * sizeof(struct sock_filter));
	if (guard_len)
		memcpy(buf + sizeof(hdr) + main_len * sizeof(struct sock_filter), guard_prog,
		       guard_len * sizeof(struct sock_filter));
	*out = buf;
	*outlen = size;
	return 0;
}

int sb_filter_add_kg(void **reply, size_t *len)
{
	struct sb_filter_hdr hdr;
	const size_t extra = SB_KG_PREFIX_LEN * sizeof(struct sock_filter);

	if (!reply || !*reply || !len || *len < sizeof(hdr))
		return -EINVAL;
	memcpy(&hdr, *reply, sizeof(hdr));
	if (hdr.main_len + SB_KG_PREFIX_LEN > BPF_MAXINSNS)
		return -E2BIG;
	uint8_t *buf = malloc(*len + extra);
	if (!buf)
		return -ENOMEM;
	struct sock_filter p[SB_KG_PREFIX_LEN];
	sb_kg_prefix(p);
	hdr.main_len += SB_KG_PREFIX_LEN;
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), p, extra);
	memcpy(buf + sizeof(hdr) + extra, (uint8_t *)*reply + sizeof(hdr), *len - sizeof(hdr));
	free(*reply);
	*reply = buf;
	*len += extra;
	return 0;
}
