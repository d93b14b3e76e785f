/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The evaluator: the exact meaning of a policy. The kernel filter (compile.c) is an
 * optimisation of it, and the broker asks it about everything the filter sends up.
 *
 * One principle everywhere: the most specific matching rule decides, and among equally specific
 * rules the one written last wins.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "policy.h"
#include "views.h"

static bool cond_holds(const struct sb_cond *c, const uint64_t args[6])
{
	uint64_t a = args[c->arg];
	switch (c->op) {
	case SB_CMP_EQ:
		return a == c->value;
	case SB_CMP_NE:
		return a != c->value;
	case SB_CMP_LT:
		return a < c->value;
	case SB_CMP_LE:
		return a <= c->value;
	case SB_CMP_GT:
		return a > c->value;
	case SB_CMP_GE:
		return a >= c->value;
	case SB_CMP_MASKED_EQ:
		return (a & c->mask) == c->value;
	case SB_CMP_MASKED_NE:
		return (a & c->mask) != c->value;
	}
	return false;
}

bool sb_sysrule_matches(const struct sb_sysrule *r, const uint64_t args[6])
{
	for (unsigned i = 0; i < r->ncond; i++)
		if (!cond_holds(&r->cond[i], args))
			return false;
	return true;
}

/* Does a beat b? Higher tier, then later in the policy. Built-ins keep table order. */
bool sb_sysrule_beats(const struct sb_sysrule *a, const struct sb_sysrule *b)
{
	if (a->tier != b->tier)
		return a->tier > b->tier;
	return a->c.seq > b->c.seq;
}

static void from_rule(const struct sb_rule_common *c, bool builtin, struct sb_decision *d)
{
	bool limited = c->limit.at_most || c->limit.rate_n;
	*d = (struct sb_decision){
		.verdict = c->verdict,
		.err = c->verdict == SB_DENY ? c->err : 0,
		.log = c->log,
		.builtin = builtin,
		.origin = builtin ? NULL : &c->origin,
		.limit = limited ? &c->limit : NULL,
		.limit_err = limited ? c->err : 0,
		.key = c->key,
		.rule_id = builtin ? -1 : (int)c->id,
	};
}

static void from_default(const struct sb_default *def, struct sb_decision *d)
{
	*d = (struct sb_decision){
		.verdict = def->verdict,
		.err = def->verdict == SB_DENY ? def->err : 0,
		.log = def->log,
		.origin = def->origin.file ? &def->origin : NULL,
		.rule_id = -1,
	};
}

static void consider_sysrule(const struct sb_sysrule *r, int nr, const uint64_t args[6],
			     const struct sb_sysrule **best)
{
	if (r->nr != nr || !sb_sysrule_matches(r, args))
		return;
	if (!*best || sb_sysrule_beats(r, *best))
		*best = r;
}

static int eval_syscall_one(const struct sb_policy *p, int nr, const uint64_t args[6],
			    struct sb_decision *ret)
{
	const struct sb_sysrule *best = NULL;

	if (!p || !args || !ret)
		return -EINVAL;
	/* The rules naming nr, then those the index does not cover: policy order either way. */
	const uint32_t *named = NULL;
	size_t nnamed = 0, from = 0;
	if (sb_policy_index_sys(p, nr, &named, &nnamed, &from))
		for (size_t k = 0; k < nnamed; k++)
			consider_sysrule(&p->sys[named[k]], nr, args, &best);
	for (size_t i = from; i < p->nsys; i++)
		consider_sysrule(&p->sys[i], nr, args, &best);
	if (best) {
		from_rule(&best->c, best->tier == SB_TIER_BUILTIN, ret);
		ret->runtime = best->tier == SB_TIER_RUNTIME;
		return 0;
	}
	switch (sb_syscall_class(nr)) {
	case SB_CLASS_BROKERED:
		*ret = (struct sb_decision){ .verdict = SB_BROKER, .rule_id = -1 };
		return 0;
	case SB_CLASS_UNKNOWN:
	case SB_CLASS_REFUSED:
		/*
		 * Whatever the default says: a number the table does not know may be a syscall
		 * newer than it, which could reach what path rules confine. Refused, on the record.
		 */
		*ret = (struct sb_decision){ .verdict = SB_DENY,
					     .err = ENOSYS,
					     .log = true,
					     .builtin = true,
					     .rule_id = -1 };
		return 0;
	case SB_CLASS_PATH_FREE:
		break;
	}
	from_default(&p->def_sys, ret);
	return 0;
}

/*
 * Does a beat b? Ranked as written (/proc/self counts its own letters, never the caller's pid),
 * then written last; the rule earlier in the array among rules of one position, as a scan in
 * array order keeps the first. A total order: the winner does not depend on the order of visits.
 */
bool sb_pathrule_beats(const struct sb_pathrule *a, const struct sb_pathrule *b)
{
	int c = sb_glob_compare(&a->rank, &b->rank);
	if (c != 0)
		return c > 0;
	if (a->c.seq != b->c.seq)
		return a->c.seq > b->c.seq;
	return a < b;
}

struct pick {
	const struct sb_policy *p;
	const struct views *v;
	enum sb_proc_self kind; /* the view the index is walked with */
	const struct sb_pathrule *best;
};

/* The rank is checked first: it is cheap, and a rule that cannot win needs no match. */
static void pick_path(struct pick *k, const struct sb_pathrule *r)
{
	if ((!k->best || sb_pathrule_beats(r, k->best)) && path_rule_matches(r, k->v))
		k->best = r;
}

static void pick_indexed(uint32_t rule, void *userdata)
{
	struct pick *k = userdata;
	const struct sb_pathrule *r = &k->p->paths[rule];
	if (r->self == k->kind)
		pick_path(k, r);
}

static int eval_path_one(const struct sb_policy *p, const struct views *v, uint32_t perm,
			 struct sb_decision *ret)
{

	if (!p || !v->path || v->path[0] != '/' || !ret || perm == 0)
		return -EINVAL;
	struct pick k = { .p = p, .v = v, .kind = SB_SELF_NONE };
	size_t from = 0;
	/* Each view walks the index for the rules of its kind; a rule matches in its own view. */
	if (sb_policy_index_paths(p, v->path, pick_indexed, &k, &from)) {
		k.kind = SB_SELF_PROCESS;
		if (v->self)
			sb_policy_index_paths(p, v->self, pick_indexed, &k, &from);
		k.kind = SB_SELF_THREAD;
		if (v->thread)
			sb_policy_index_paths(p, v->thread, pick_indexed, &k, &from);
	}
	for (size_t i = from; i < p->npaths; i++)
		pick_path(&k, &p->paths[i]);
	const struct sb_pathrule *best = k.best;
	if (!best) {
		from_default(&p->def_path, ret);
		return 0;
	}
	from_rule(&best->c, false, ret);
	if (best->c.verdict == SB_ALLOW && (best->perms & perm) != perm) {
		/* The most specific rule decides, and it does not grant this permission. */
		ret->verdict = SB_DENY;
		ret->err = EACCES;
		ret->log = true;
		ret->limit = NULL;
	}
	return 0;
}

static bool prefix_match(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;
	if (memcmp(a, net, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t m = (uint8_t)(0xff << (8 - rest));
	return (a[full] & m) == (net[full] & m);
}

static bool net_matches(const struct sb_netrule *r, const struct sb_net_target *t)
{
	if (r->kind != t->kind)
		return false;
	switch (t->kind) {
	case SB_NET_UNIX:
		return sb_glob_match(r->pattern, t->name);
	case SB_NET_ABSTRACT:
		return sb_glob_match_flat(r->pattern, t->name);
	case SB_NET_TCP:
	case SB_NET_UDP:
		if (t->port < r->port_lo || t->port > r->port_hi)
			return false;
		if (r->family == AF_UNSPEC)
			return true;
		return r->family == t->family && prefix_match(t->addr, r->addr, r->prefix);
	}
	return false;
}

/* >0 when a is more specific than b. */
static int net_compare(const struct sb_netrule *a, const struct sb_netrule *b)
{
	if (a->kind == SB_NET_TCP || a->kind == SB_NET_UDP) {
		int pa = a->family == AF_UNSPEC ? -1 : (int)a->prefix;
		int pb = b->family == AF_UNSPEC ? -1 : (int)b->prefix;
		/* An IPv4 /32 and an IPv6 /128 both name one host. */
		if (a->family == AF_INET)
			pa += 96;
		if (b->family == AF_INET)
			pb += 96;
		if (pa != pb)
			return pa > pb ? 1 : -1;
		unsigned wa = (unsigned)(a->port_hi - a->port_lo),
			 wb = (unsigned)(b->port_hi - b->port_lo);
		if (wa != wb)
			return wa < wb ? 1 : -1;
		return 0;
	}
	return sb_glob_compare(&a->rank, &b->rank);
}

static int eval_net_one(const struct sb_policy *p, uint32_t op, const struct sb_net_target *t,
			struct sb_decision *ret)
{
	const struct sb_netrule *best = NULL;

	if (!p || !t || !ret || (op != SB_NET_CONNECT && op != SB_NET_BIND && op != SB_NET_SEND))
		return -EINVAL;
	for (size_t i = 0; i < p->nnets; i++) {
		const struct sb_netrule *r = &p->nets[i];
		if (!net_matches(r, t))
			continue;
		if (!best) {
			best = r;
			continue;
		}
		int c = net_compare(r, best);
		if (c > 0 || (c == 0 && r->c.seq > best->c.seq))
			best = r;
	}
	if (!best) {
		from_default(&p->def_net, ret);
		return 0;
	}
	from_rule(&best->c, false, ret);
	if (best->c.verdict == SB_ALLOW && !(best->ops & op)) {
		ret->verdict = SB_DENY;
		ret->err = EACCES;
		ret->log = true;
		ret->limit = NULL;
	}
	return 0;
}

/*
 * Layers. A later layer can only tighten: the most severe verdict wins, a tie goes to the later
 * layer (as the kernel answers with the newest filter's errno when stacked filters tie), and the
 * decision logs when any layer's does.
 */
static int severity(enum sb_verdict v)
{
	switch (v) {
	case SB_ALLOW:
		return 0;
	case SB_BROKER:
		return 1;
	case SB_DENY:
		return 2;
	case SB_KILL:
		return 3;
	}
	return 3;
}

static void combine(struct sb_decision *acc, const struct sb_decision *d)
{
	bool log = acc->log || d->log;
	if (severity(d->verdict) >= severity(acc->verdict))
		*acc = *d;
	acc->log = log;
}

int sb_policy_eval_syscall(const struct sb_policy *p, int nr, const uint64_t args[6],
			   struct sb_decision *ret)
{
	if (!ret)
		return -EINVAL;
	if (sb_route_option_matches(nr, args)) {
		/* Above every rule and every layer: the kernel's filter sent it here to be
		 * refused on the record (sb_plan_program). */
		*ret = (struct sb_decision){ .verdict = SB_DENY,
					     .err = EPERM,
					     .log = true,
					     .builtin = true,
					     .rule_id = -1 };
		return 0;
	}
	if (p && p->kernel) {
		/* A reloaded policy: the kernel's own decisions of the first one stand. */
		struct sb_decision k = { 0 };
		int r = sb_policy_eval_syscall(p->kernel, nr, args, &k);
		bool in_kernel = k.verdict == SB_KILL || (k.verdict == SB_DENY && !k.log);
		if (r == 0 && in_kernel &&
		    !(p->kernel->learn && sb_syscall_learnable(nr, args, &k))) {
			*ret = k;
			return 0;
		}
	}
	int r = eval_syscall_one(p, nr, args, ret);
	for (const struct sb_policy *l = p ? p->next : NULL; r == 0 && l; l = l->next) {
		struct sb_decision d;
		r = eval_syscall_one(l, nr, args, &d);
		if (r == 0)
			combine(ret, &d);
	}
	return r;
}

int sb_policy_eval_path_as(const struct sb_policy *p, const struct sb_caller *who, const char *path,
			   uint32_t perm, struct sb_decision *ret)
{
	struct views v;
	if (!path)
		return -EINVAL;
	make_views(who, path, &v);
	int r = eval_path_one(p, &v, perm, ret);
	for (const struct sb_policy *l = p ? p->next : NULL; r == 0 && l; l = l->next) {
		struct sb_decision d;
		r = eval_path_one(l, &v, perm, &d);
		if (r == 0)
			combine(ret, &d);
	}
	return r;
}

int sb_policy_eval_path(const struct sb_policy *p, const char *path, uint32_t perm,
			struct sb_decision *ret)
{
	return sb_policy_eval_path_as(p, NULL, path, perm, ret);
}

int sb_policy_eval_net(const struct sb_policy *p, uint32_t op, const struct sb_net_target *t,
		       struct sb_decision *ret)
{
	int r = eval_net_one(p, op, t, ret);
	for (const struct sb_policy *l = p ? p->next : NULL; r == 0 && l; l = l->next) {
		struct sb_decision d;
		r = eval_net_one(l, op, t, &d);
		if (r == 0)
			combine(ret, &d);
	}
	return r;
}

int sb_net_target_from_sockaddr(const struct sockaddr *sa, socklen_t len, int sotype,
				struct sb_net_target *t)
{
	memset(t, 0, sizeof(*t));
	if (!sa || len < sizeof(sa_family_t))
		return -EINVAL;
	switch (sa->sa_family) {
	case AF_UNIX: {
		const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
		size_t n = len - offsetof(struct sockaddr_un, sun_path);
		if (len > sizeof(*un) || n == 0)
			return -EINVAL; /* unnamed: nothing to decide on */
		if (un->sun_path[0] == 0) {
			/* Abstract: the name is every byte; an embedded NUL could alias a name. */
			if (n < 2 || memchr(un->sun_path + 1, 0, n - 1))
				return -EINVAL;
			t->kind = SB_NET_ABSTRACT;
			memcpy(t->name, un->sun_path + 1, n - 1);
			t->name[n - 1] = 0;
			return 0;
		}
		size_t l = strnlen(un->sun_path, n);
		if (l == n && l == sizeof(un->sun_path))
			return -EINVAL;
		t->kind = SB_NET_UNIX;
		memcpy(t->name, un->sun_path, l);
		t->name[l] = 0;
		return 0; /* relative or not: the broker resolves it before any rule sees it */
	}
	case AF_INET: {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		if (len < sizeof(*in))
			return -EINVAL;
		t->family = AF_INET;
		memcpy(t->addr, &in->sin_addr, 4);
		t->port = ntohs(in->sin_port);
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		if (len < sizeof(*in6))
			return -EINVAL;
		t->port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			/* ::ffff:a.b.c.d reaches a.b.c.d: decide it as IPv4. */
			t->family = AF_INET;
			memcpy(t->addr, in6->sin6_addr.s6_addr + 12, 4);
		} else {
			t->family = AF_INET6;
			memcpy(t->addr, &in6->sin6_addr, 16);
		}
		break;
	}
	default:
		return -EAFNOSUPPORT;
	}
	if ((sotype & 0xf) == SOCK_STREAM)
		t->kind = SB_NET_TCP;
	else if ((sotype & 0xf) == SOCK_DGRAM)
		t->kind = SB_NET_UDP;
	else
		return -EPROTONOSUPPORT;
	return 0;
}

bool sb_sysrule_learnable(const struct sb_sysrule *r)
{
	if (r->tier != SB_TIER_GROUP && r->tier != SB_TIER_NAME && r->tier != SB_TIER_COND)
		return false;
	if (!((r->c.verdict == SB_DENY && r->c.log) || r->c.verdict == SB_KILL))
		return false;
	return sb_syscall_brokered(r->nr) == SB_BROKERED_NO;
}

bool sb_default_learnable(const struct sb_default *def)
{
	return (def->verdict == SB_DENY && def->log) || def->verdict == SB_KILL;
}

bool sb_syscall_learnable(int nr, const uint64_t args[6], const struct sb_decision *d)
{
	if (d->builtin || d->runtime)
		return false;
	if (!((d->verdict == SB_DENY && d->log) || d->verdict == SB_KILL))
		return false;
	if (sb_syscall_brokered(nr) != SB_BROKERED_NO)
		return false;
	/* A policy rule naming a dangerous syscall decides it, but learning never opens one. */
	return !sb_dangerous_matches(nr, args);
}

bool sb_decision_learnable(const struct sb_decision *d)
{
	return d->verdict == SB_DENY && d->log && !d->builtin && !d->runtime;
}

const char *sb_decision_rule(const struct sb_decision *d, char *buf, size_t size)
{
	if (d->builtin)
		snprintf(buf, size, "builtin");
	else if (!d->origin)
		snprintf(buf, size, "default");
	else
		snprintf(buf, size, "%s:%u", d->origin->file, d->origin->line);
	return buf;
}
