/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch.h"
#include "compile.h"
#include "macro.h"

#define MAX_EXPANSION 64

static struct sb_kdecision kdecision(enum sb_verdict v, int err, bool log, bool limited, bool trap)
{
	switch (v) {
	case SB_ALLOW:
		/* A logged or limited allow needs the broker to count and record it. */
		if ((log || limited) && !trap)
			return (struct sb_kdecision){ SB_K_BROKER, 0 };
		return (struct sb_kdecision){ SB_K_ALLOW, 0 };
	case SB_DENY:
		/* A logged denial is made by the broker so that it can write the record. */
		if (log)
			return (struct sb_kdecision){ SB_K_BROKER, err };
		return (struct sb_kdecision){ SB_K_ERRNO, err };
	case SB_KILL:
		return (struct sb_kdecision){ SB_K_KILL, 0 };
	case SB_BROKER:
		return (struct sb_kdecision){ SB_K_BROKER, 0 };
	}
	return (struct sb_kdecision){ SB_K_KILL, 0 };
}

static struct sb_kdecision rule_kdecision(const struct sb_plan *plan, const struct sb_sysrule *r)
{
	/* Learning: the broker lets the call run and logs it as "would-deny". */
	if (plan->learn && sb_sysrule_learnable(r))
		return kdecision(SB_ALLOW, 0, true, false, plan->trap);
	return kdecision(r->c.verdict, r->c.err, r->c.log,
			 r->c.limit.at_most != 0 || r->c.limit.rate_n != 0, plan->trap);
}

static bool kd_equal(struct sb_kdecision a, struct sb_kdecision b)
{
	if (a.action != b.action)
		return false;
	return a.action != SB_K_ERRNO || a.err == b.err;
}

uint32_t sb_kaction_to_scmp(struct sb_kdecision d, uint32_t broker_action)
{
	switch (d.action) {
	case SB_K_ALLOW:
		return SCMP_ACT_ALLOW;
	case SB_K_ERRNO:
		return SCMP_ACT_ERRNO((uint32_t)d.err);
	case SB_K_KILL:
		return SCMP_ACT_KILL_PROCESS;
	case SB_K_BROKER:
		return broker_action;
	}
	return SCMP_ACT_KILL_PROCESS;
}

/* Kernel precedence: a smaller signed action value wins (seccomp(2), "Filter return values"). */
static bool more_restrictive(struct sb_kdecision a, struct sb_kdecision b, uint32_t broker)
{
	int32_t x = (int32_t)(sb_kaction_to_scmp(a, broker) & 0xffff0000U);
	int32_t y = (int32_t)(sb_kaction_to_scmp(b, broker) & 0xffff0000U);
	return x < y;
}

static struct scmp_arg_cmp to_scmp(const struct sb_cond *c)
{
	static const enum scmp_compare ops[] = {
		[SB_CMP_EQ] = SCMP_CMP_EQ,
		[SB_CMP_NE] = SCMP_CMP_NE,
		[SB_CMP_LT] = SCMP_CMP_LT,
		[SB_CMP_LE] = SCMP_CMP_LE,
		[SB_CMP_GT] = SCMP_CMP_GT,
		[SB_CMP_GE] = SCMP_CMP_GE,
		[SB_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
	};
	if (c->op == SB_CMP_MASKED_EQ)
		return (struct scmp_arg_cmp){ c->arg, SCMP_CMP_MASKED_EQ, c->mask, c->value };
	return (struct scmp_arg_cmp){ c->arg, ops[c->op], c->value, 0 };
}

/*
 * Turn one condition into a disjunction of libseccomp comparisons. libseccomp has no "masked
 * not equal", so (a & m) != v becomes "some bit of m differs from v": one alternative per bit.
 */
static int cond_alternatives(const struct sb_cond *c, struct scmp_arg_cmp *out, unsigned max)
{
	if (c->op != SB_CMP_MASKED_NE) {
		out[0] = to_scmp(c);
		return 1;
	}
	unsigned n = 0;
	for (unsigned b = 0; b < 64; b++) {
		uint64_t bit = 1ULL << b;
		if (!(c->mask & bit))
			continue;
		if (n >= max)
			return -E2BIG;
		out[n++] =
			(struct scmp_arg_cmp){ c->arg, SCMP_CMP_MASKED_EQ, bit, ~c->value & bit };
	}
	return (int)n;
}

static struct sb_cond negate(const struct sb_cond *c)
{
	static const enum sb_cmp neg[] = {
		[SB_CMP_EQ] = SB_CMP_NE,
		[SB_CMP_NE] = SB_CMP_EQ,
		[SB_CMP_LT] = SB_CMP_GE,
		[SB_CMP_LE] = SB_CMP_GT,
		[SB_CMP_GT] = SB_CMP_LE,
		[SB_CMP_GE] = SB_CMP_LT,
		[SB_CMP_MASKED_EQ] = SB_CMP_MASKED_NE,
		[SB_CMP_MASKED_NE] = SB_CMP_MASKED_EQ,
	};
	struct sb_cond n = *c;
	n.op = neg[c->op];
	return n;
}

struct krules {
	struct sb_krule *v;
	size_t n;
};

static int push(struct krules *k, const struct sb_krule *r)
{
	if ((k->n & (k->n - 1)) == 0 || k->n == 0) {
		struct sb_krule *v = reallocarray(k->v, k->n ? k->n * 2 : 16, sizeof(*v));
		if (!v)
			return -ENOMEM;
		k->v = v;
	}
	k->v[k->n++] = *r;
	return 0;
}

/*
 * Expand a conjunction of conditions into libseccomp rules (a disjunction of conjunctions).
 * Returns -E2BIG when it would take too many rules and -EINVAL when libseccomp cannot express
 * it (two comparisons of one argument in one rule).
 */
static int expand(int nr, const struct sb_cond *conds, unsigned n, struct sb_kdecision d,
		  struct krules *out)
{
	struct scmp_arg_cmp alt[SB_MAX_CONDS][MAX_EXPANSION];
	unsigned nalt[SB_MAX_CONDS], idx[SB_MAX_CONDS] = { 0 };
	unsigned total = 1;

	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			if (conds[i].arg == conds[j].arg)
				return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		int k = cond_alternatives(&conds[i], alt[i], MAX_EXPANSION);
		if (k < 0)
			return k;
		nalt[i] = (unsigned)k;
		total *= (unsigned)k;
		if (total > MAX_EXPANSION)
			return -E2BIG;
	}
	for (unsigned t = 0; t < total; t++) {
		struct sb_krule r = { .nr = nr, .d = d, .ncmp = n };
		for (unsigned i = 0; i < n; i++)
			r.cmp[i] = alt[i][idx[i]];
		int e = push(out, &r);
		if (e < 0)
			return e;
		for (unsigned i = 0; i < n; i++) {
			if (++idx[i] < nalt[i])
				break;
			idx[i] = 0;
		}
	}
	return 0;
}

static bool same_conditions(const struct sb_sysrule *a, const struct sb_sysrule *b)
{
	if (a->ncond != b->ncond)
		return false;
	for (unsigned i = 0; i < a->ncond; i++) {
		bool found = false;
		for (unsigned j = 0; j < b->ncond && !found; j++)
			found = a->cond[i].arg == b->cond[j].arg &&
				a->cond[i].op == b->cond[j].op &&
				a->cond[i].mask == b->cond[j].mask &&
				a->cond[i].value == b->cond[j].value;
		if (!found)
			return false;
	}
	return true;
}

static int cmp_rule_ptr(const void *a, const void *b)
{
	const struct sb_sysrule *x = *(const struct sb_sysrule *const *)a;
	const struct sb_sysrule *y = *(const struct sb_sysrule *const *)b;
	if (x->nr != y->nr)
		return x->nr < y->nr ? -1 : 1;
	/* Within a syscall, the order the evaluator tries them: winners first. */
	if (sb_sysrule_beats(x, y))
		return -1;
	if (sb_sysrule_beats(y, x))
		return 1;
	return 0;
}

static int plan_one(struct sb_plan *plan, struct sb_plan_sys *ps, const struct sb_sysrule **rules,
		    size_t n, struct krules *main, struct krules *guard)
{
	size_t k;
	int r;

	/* The chain: conditional rules up to the first unconditional one, which is the fallback. */
	for (k = 0; k < n && rules[k]->ncond > 0; k++)
		;
	if (k < n) {
		ps->fallback = rule_kdecision(plan, rules[k]);
		ps->fallback_rule = rules[k];
	} else if (sb_syscall_brokered(ps->nr) != SB_BROKERED_NO) {
		ps->fallback = (struct sb_kdecision){ SB_K_BROKER, 0 };
	} else if (sb_syscall_class(ps->nr) == SB_CLASS_REFUSED) {
		ps->fallback = kdecision(SB_DENY, ENOSYS, true, false, plan->trap);
	} else {
		ps->fallback = plan->def;
	}
	ps->chain = calloc(k ? k : 1, sizeof(*ps->chain));
	ps->chain_d = calloc(k ? k : 1, sizeof(*ps->chain_d));
	if (!ps->chain || !ps->chain_d)
		return -ENOMEM;
	size_t kept = 0;
	for (size_t i = 0; i < k; i++) {
		/* A rule with the very conditions of one tried before it can never decide. */
		bool shadowed = false;
		for (size_t j = 0; j < kept && !shadowed; j++)
			shadowed = same_conditions(ps->chain[j], rules[i]);
		if (shadowed)
			continue;
		ps->chain[kept] = rules[i];
		ps->chain_d[kept++] = rule_kdecision(plan, rules[i]);
	}
	k = kept;
	ps->nchain = (unsigned)k;
	/* For the kernel, trailing links that end where the fallback does change nothing. */
	while (k > 0 && kd_equal(ps->chain_d[k - 1], ps->fallback))
		k--;

	struct sb_kdecision F = ps->fallback;
	if (k == 0) {
		ps->how = SB_PLAN_SIMPLE;
		if (kd_equal(F, plan->def))
			return 0;
		return push(main, &(struct sb_krule){ .nr = ps->nr, .d = F });
	}

	struct sb_kdecision A = ps->chain_d[0];
	bool same = true;
	for (size_t i = 1; i < k; i++)
		same = same && kd_equal(ps->chain_d[i], A);

	if (same) {
		/* Whether the guard is right depends on the broker action; require both to agree.
		 */
		/*
		 * Never the broker in the guard: a process may have one seccomp listener only, and
		 * it belongs to the main filter.
		 */
		bool guardable = A.action != SB_K_BROKER &&
				 more_restrictive(A, F, SCMP_ACT_NOTIFY) &&
				 more_restrictive(A, F, SCMP_ACT_TRAP);
		size_t mark_main = main->n, mark_guard = guard->n;
		if (guardable) {
			ps->how = SB_PLAN_GUARD;
			r = 0;
			for (size_t i = 0; i < k && r == 0; i++)
				r = expand(ps->nr, ps->chain[i]->cond, ps->chain[i]->ncond, A,
					   guard);
			if (r == 0 && !kd_equal(F, plan->def))
				r = push(main, &(struct sb_krule){ .nr = ps->nr, .d = F });
			if (r == 0)
				return 0;
		} else if (kd_equal(F, plan->def)) {
			ps->how = SB_PLAN_COND;
			r = 0;
			for (size_t i = 0; i < k && r == 0; i++)
				r = expand(ps->nr, ps->chain[i]->cond, ps->chain[i]->ncond, A,
					   main);
			if (r == 0)
				return 0;
		} else if (k == 1 && ps->chain[0]->ncond == 1) {
			ps->how = SB_PLAN_SPLIT;
			struct sb_cond neg = negate(&ps->chain[0]->cond[0]);
			r = expand(ps->nr, ps->chain[0]->cond, 1, A, main);
			if (r == 0)
				r = expand(ps->nr, &neg, 1, F, main);
			if (r == 0)
				return 0;
		} else {
			r = -EINVAL;
		}
		if (r == -ENOMEM)
			return r;
		main->n = mark_main;
		guard->n = mark_guard;
	}
	/* Not expressible in the kernel: the broker evaluates the chain on the arguments. */
	ps->how = SB_PLAN_EVALUATE;
	return push(main, &(struct sb_krule){ .nr = ps->nr, .d = { SB_K_BROKER, 0 } });
}

/* A syscall whose fallback is never the default: brokered or refused. */
static bool needs_plan(int nr)
{
	enum sb_syscall_class c = sb_syscall_class(nr);
	return c == SB_CLASS_BROKERED || c == SB_CLASS_REFUSED;
}

int sb_plan_build(const struct sb_policy *p, struct sb_plan **ret)
{
	return sb_plan_build_for(p, false, ret);
}

int sb_plan_build_for(const struct sb_policy *p, bool trap, struct sb_plan **ret)
{
	struct krules main = { 0 }, guard = { 0 };
	struct sb_plan *plan = calloc(1, sizeof(*plan));
	_cleanup_free_ const struct sb_sysrule **sorted = NULL;
	size_t nsorted = p->nsys;
	int r = 0;

	if (!plan)
		return -ENOMEM;
	plan->trap = trap;
	plan->learn = p->learn;
	if (p->learn && sb_default_learnable(&p->def_sys))
		plan->def = kdecision(SB_ALLOW, 0, true, false, trap);
	else
		plan->def =
			kdecision(p->def_sys.verdict, p->def_sys.err, p->def_sys.log, false, trap);

	/* Every brokered or refused syscall gets a plan even if no rule names it. */
	size_t nb = 0;
	for (int nr = 0; nr < SB_NR_LIMIT; nr++)
		nb += needs_plan(nr);
	sorted = calloc(nsorted + nb + 1, sizeof(*sorted));
	if (!sorted) {
		sb_plan_free(plan);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->nsys; i++)
		sorted[i] = &p->sys[i];
	qsort(sorted, nsorted, sizeof(*sorted), cmp_rule_ptr);

	/* Syscall numbers with rules, then brokered ones without. */
	plan->sys = calloc(nsorted + nb + 1, sizeof(*plan->sys));
	if (!plan->sys)
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < nsorted;) {
		size_t j = i;
		while (j < nsorted && sorted[j]->nr == sorted[i]->nr)
			j++;
		struct sb_plan_sys *ps = &plan->sys[plan->nsys++];
		ps->nr = sorted[i]->nr;
		r = plan_one(plan, ps, sorted + i, j - i, &main, &guard);
		i = j;
	}
	for (int nr = 0; r == 0 && nr < SB_NR_LIMIT; nr++) {
		if (!needs_plan(nr))
			continue;
		bool seen = false;
		for (size_t i = 0; !seen && i < plan->nsys; i++)
			seen = plan->sys[i].nr == nr;
		if (seen)
			continue;
		struct sb_plan_sys *ps = &plan->sys[plan->nsys++];
		ps->nr = nr;
		r = plan_one(plan, ps, NULL, 0, &main, &guard);
	}
	plan->main = main.v;
	plan->nmain = main.n;
	plan->guard = guard.v;
	plan->nguard = guard.n;
	if (r < 0) {
		sb_plan_free(plan);
		return r;
	}
	*ret = plan;
	return 0;
}

struct sb_plan *sb_plan_free(struct sb_plan *plan)
{
	if (!plan)
		return NULL;
	for (size_t i = 0; i < plan->nsys; i++) {
		free(plan->sys[i].chain);
		free(plan->sys[i].chain_d);
	}
	free(plan->sys);
	free(plan->main);
	free(plan->guard);
	free(plan);
	return NULL;
}

int sb_plan_filter(const struct sb_plan *plan, bool guard, uint32_t broker_action,
		   scmp_filter_ctx *ret)
{
	const struct sb_krule *rules = guard ? plan->guard : plan->main;
	size_t n = guard ? plan->nguard : plan->nmain;
	uint32_t def = guard ? SCMP_ACT_ALLOW : sb_kaction_to_scmp(plan->def, broker_action);
	int r;

	if (guard && n == 0) {
		*ret = NULL;
		return 0;
	}
	scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx)
		return -ENOMEM;
	/* Another ABI (i386 int 0x80, x32) is never what the policy describes: kill. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	for (size_t i = 0; r == 0 && i < n; i++) {
		uint32_t act = sb_kaction_to_scmp(rules[i].d, broker_action);
		if (act == def)
			continue;
		r = seccomp_rule_add_exact_array(ctx, act, rules[i].nr, rules[i].ncmp,
						 rules[i].cmp);
	}
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

int sb_filter_export(scmp_filter_ctx ctx, struct sock_filter **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = memfd_create("sysbroker-filter", MFD_CLOEXEC);
	_cleanup_free_ struct sock_filter *prog = NULL;
	if (fd < 0)
		return -errno;
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	off_t size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		return -errno;
	if (size == 0 || (size_t)size % sizeof(*prog))
		return -EIO;
	if ((size_t)size > BPF_MAXINSNS * sizeof(*prog))
		return -E2BIG;
	prog = malloc((size_t)size);
	if (!prog)
		return -ENOMEM;
	for (size_t got = 0; got < (size_t)size;) {
		ssize_t n = pread(fd, (uint8_t *)prog + got, (size_t)size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		got += (size_t)n;
	}
	*ret_len = (size_t)size / sizeof(*prog);
	*ret = TAKE_PTR(prog);
	return 0;
}

/*
 * The highest number a call of this architecture's own ABI can have: on x86_64 the x32 ABI
 * sets bit 30, and libseccomp's program kills such calls as another architecture.
 */
#ifdef __x86_64__
#define NR_HIGHEST 0x3fffffffU
#else
#define NR_HIGHEST 0xffffffffU
#endif
#define INSNS_PER_RANGE 3

/*
 * The prefix that sends every syscall number the table does not classify to the broker: per
 * range of unknown numbers, "at least lo and at most hi: return action". Other architectures'
 * calls go on to libseccomp's program, which refuses them. Returns the instructions written to
 * out (NULL: only counts them).
 */
static size_t unknown_prefix(uint32_t action, struct sock_filter *out)
{
	size_t k = 0;
#define EMIT(insn)                                                                                 \
	do {                                                                                       \
		if (out)                                                                           \
			out[k] = (struct sock_filter)insn;                                         \
		k++;                                                                               \
	} while (0)
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	size_t skip_at = k;
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SB_AUDIT_ARCH, 0, 0)); /* jf set below */
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
	for (uint32_t nr = 0; nr < SB_NR_LIMIT;) {
		if (sb_syscall_class((int)nr) != SB_CLASS_UNKNOWN) {
			nr++;
			continue;
		}
		uint32_t lo = nr;
		while (nr < SB_NR_LIMIT && sb_syscall_class((int)nr) == SB_CLASS_UNKNOWN)
			nr++;
		uint32_t hi = nr == SB_NR_LIMIT ? NR_HIGHEST : nr - 1;
		EMIT(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, lo, 0, 2));
		EMIT(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, hi, 1, 0));
		EMIT(BPF_STMT(BPF_RET | BPF_K, action));
	}
#undef EMIT
	if (out) /* another architecture: straight on to the program, after the prefix */
		out[skip_at].jf = (uint8_t)(k - skip_at - 1);
	return k;
}

static void put(struct sock_filter *out, size_t *k, struct sock_filter insn)
{
	if (out)
		out[*k] = insn;
	(*k)++;
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i) ((uint32_t)offsetof(struct seccomp_data, args[i]))
#else
#define ARG_LO(i) ((uint32_t)offsetof(struct seccomp_data, args[i]) + 4)
#endif

/*
 * The prefix that sends a setsockopt of a route option (sb_route_options) to the broker, which
 * refuses it on the record. In front of libseccomp's program, because inside it these rules would
 * share setsockopt's chain with the policy's, and libseccomp has no order among the rules of one
 * syscall: "allow setsockopt" would need the complement of every pair, which no plan fits. In the
 * main filter, because only its answer reaches the listener. Exact: the native architecture,
 * setsockopt's number, then level and optname by their low 32 bits (ints: all the kernel reads),
 * both equal to one pair. Returns the instructions written to out (NULL: only counts them).
 */
static size_t route_prefix(uint32_t action, struct sock_filter *out)
{
#define LD_W(off) ((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(off)))
#define JEQ(v, jt, jf)                                                                             \
	((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(v), (uint8_t)(jt),     \
				      (uint8_t)(jf)))
	size_t n, k = 0;
	const struct sb_sockopt *o = sb_route_options(&n);
	int nr = sb_syscall_nr("setsockopt");
	if (nr < 0 || n == 0)
		return 0;
	size_t ret_at = 5 + 4 * n, end = ret_at + 1; /* the body follows at end */
	put(out, &k, LD_W(offsetof(struct seccomp_data, arch)));
	put(out, &k, JEQ(SB_AUDIT_ARCH, 0, end - k - 1));
	put(out, &k, LD_W(offsetof(struct seccomp_data, nr)));
	put(out, &k, JEQ(nr, 0, end - k - 1));
	for (size_t i = 0; i < n; i++) {
		put(out, &k, LD_W(ARG_LO(1)));
		put(out, &k, JEQ(o[i].level, 0, 2)); /* else on to the next pair */
		put(out, &k, LD_W(ARG_LO(2)));
		put(out, &k, JEQ(o[i].optname, ret_at - k - 1, 0));
	}
	put(out, &k, (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 1));
	put(out, &k, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action));
	return k;
#undef LD_W
#undef JEQ
}

int sb_plan_program(const struct sb_plan *plan, bool guard, uint32_t broker_action,
		    struct sock_fprog *ret)
{
	scmp_filter_ctx ctx = NULL;
	_cleanup_free_ struct sock_filter *body = NULL;
	size_t nbody = 0;

	int r = sb_plan_filter(plan, guard, broker_action, &ctx);
	if (r < 0)
		return r;
	if (!ctx) {
		*ret = (struct sock_fprog){ 0 };
		return 0;
	}
	r = sb_filter_export(ctx, &body, &nbody);
	seccomp_release(ctx);
	if (r < 0)
		return r;
	if (!body || nbody == 0)
		return -EIO;
	/* The guard filter only tightens; what is unknown is the main filter's to refuse. */
	size_t npre = guard ? 0 : unknown_prefix(broker_action, NULL);
	size_t nroute = guard ? 0 : route_prefix(broker_action, NULL);
	if (npre > 255 || nbody > BPF_MAXINSNS - npre - nroute)
		return -E2BIG;
	struct sock_filter *prog = calloc(npre + nroute + nbody, sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	if (npre)
		unknown_prefix(broker_action, prog);
	if (nroute)
		route_prefix(broker_action, prog + npre);
	memcpy(prog + npre + nroute, body, nbody * sizeof(*body));
	*ret = (struct sock_fprog){ .len = (unsigned short)(npre + nroute + nbody),
				    .filter = prog };
	return 0;
}

int sb_program_load(const struct sock_fprog *prog, unsigned flags)
{
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
	return r < 0 ? -errno : (int)r;
}

const char *sb_plan_how_name(enum sb_plan_how how)
{
	switch (how) {
	case SB_PLAN_SIMPLE:
		return "kernel";
	case SB_PLAN_GUARD:
		return "kernel (guard filter)";
	case SB_PLAN_COND:
		return "kernel (conditions)";
	case SB_PLAN_SPLIT:
		return "kernel (condition and its negation)";
	case SB_PLAN_EVALUATE:
		return "broker evaluates the arguments";
	}
	return "?";
}
