/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `sysbroker audit`: the reader of audit logs, and what it makes of them.
 *
 * Every line is parsed on its own and checked field by field; anything else (not JSON, not an
 * object, a field of the wrong type, a schema this reader does not know, a line cut short) is
 * reported with its line number and skipped. Denials are grouped in a hash table by program,
 * syscall, target, decision, errno and rule; suggestions are built from the same records.
 */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "macro.h"
#include "policy.h"
#include "report.h"
#include "suggest.h"
#include "syscalls.h"

/* A directory with at least this many denied names becomes one glob. */
#define GLOB_MIN 3

/* --- one record ------------------------------------------------------------------------------ */

void sb_audit_rec_clear(struct sb_audit_rec *r)
{
	json_object_put(r->json);
	memset(r, 0, sizeof(*r));
	r->pid = -1;
}

static int take_string(json_object *o, const char *key, const char **out, char *why, size_t whysize)
{
	json_object *f;
	if (!json_object_object_get_ex(o, key, &f) || json_object_is_type(f, json_type_null))
		return 0;
	if (!json_object_is_type(f, json_type_string)) {
		snprintf(why, whysize, "field \"%s\" is not a string", key);
		return -EINVAL;
	}
	const char *s = json_object_get_string(f);
	size_t n = (size_t)json_object_get_string_len(f);
	/* An embedded NUL would cut the string: refuse rather than read something else. */
	if (memchr(s, 0, n)) {
		snprintf(why, whysize, "field \"%s\" holds a NUL byte", key);
		return -EINVAL;
	}
	*out = s; /* the object lives as long as the record */
	return 0;
}

/* "args": six strings "0x..." (docs/sysbroker-audit.5). */
static int take_args(json_object *f, struct sb_audit_rec *rec)
{
	if (!json_object_is_type(f, json_type_array) || json_object_array_length(f) != 6)
		return -EINVAL;
	for (size_t i = 0; i < 6; i++) {
		json_object *e = json_object_array_get_idx(f, i);
		const char *s =
			json_object_is_type(e, json_type_string) ? json_object_get_string(e) : NULL;
		if (!s || strncmp(s, "0x", 2) != 0 || !s[2] || strlen(s) > 18 ||
		    strspn(s + 2, "0123456789abcdefABCDEF") != strlen(s + 2))
			return -EINVAL;
		rec->args[i] = strtoull(s + 2, NULL, 16);
	}
	rec->has_args = true;
	return 0;
}

int sb_audit_parse_line(const char *line, size_t len, struct sb_audit_rec *rec, char *why,
			size_t whysize)
{
	static const struct {
		const char *key;
		size_t off;
	} fields[] = {
#define F(k, m) { k, offsetof(struct sb_audit_rec, m) }
		F("time", time),     F("sandbox", sandbox),   F("exe", exe),
		F("argv0", argv0),   F("syscall", syscall),   F("path", path),
		F("path2", path2),   F("addr", addr),         F("perm", perm),
		F("perms", perms),   F("decision", decision), F("errno", err),
		F("rule", rule),     F("limit", limit),       F("transport", transport),
		F("action", action), F("error", error),       F("policy", policy),
#undef F
	};
	memset(rec, 0, sizeof(*rec));
	rec->pid = -1;
	why[0] = 0;
	if (len > SB_AUDIT_MAX_LINE) {
		snprintf(why, whysize, "line longer than %ld bytes", SB_AUDIT_MAX_LINE);
		return -EINVAL;
	}
	/* One tokener for every line (the command is single-threaded): reset, not remade. */
	static json_tokener *tok;
	if (!tok && !(tok = json_tokener_new()))
		return -ENOMEM;
	json_tokener_reset(tok);
	json_object *o = json_tokener_parse_ex(tok, line, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t used = o ? json_tokener_get_parse_end(tok) : 0;
	int r = 0;
	if (!o) {
		snprintf(why, whysize, "not JSON (%s)",
			 e == json_tokener_continue ? "cut short" : json_tokener_error_desc(e));
		return -EINVAL;
	}
	for (size_t i = used; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
			snprintf(why, whysize, "text after the record");
			r = -EINVAL;
			goto out;
		}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(why, whysize, "not a JSON object");
		r = -EINVAL;
		goto out;
	}
	json_object *f;
	if (!json_object_object_get_ex(o, "v", &f) || !json_object_is_type(f, json_type_int)) {
		snprintf(why, whysize, "no schema version \"v\"");
		r = -EINVAL;
		goto out;
	}
	int64_t v = json_object_get_int64(f);
	if (v != 1 && v != 2) {
		snprintf(why, whysize, "unknown schema version %lld", (long long)v);
		r = -EINVAL;
		goto out;
	}
	rec->v = (int)v;
	if (json_object_object_get_ex(o, "pid", &f)) {
		int64_t p = json_object_is_type(f, json_type_int) ? json_object_get_int64(f) : -1;
		if (p < 0 || p > INT32_MAX) {
			snprintf(why, whysize, "field \"pid\" is not a pid");
			r = -EINVAL;
			goto out;
		}
		rec->pid = (long)p;
	}
	static const char *const counts[] = { "count", "lost" };
	for (size_t i = 0; i < ELEMENTSOF(counts); i++) {
		if (!json_object_object_get_ex(o, counts[i], &f))
			continue;
		int64_t n = json_object_is_type(f, json_type_int) ? json_object_get_int64(f) : -1;
		if (n < 0 || n > INT32_MAX) {
			snprintf(why, whysize, "field \"%s\" is not a count", counts[i]);
			r = -EINVAL;
			goto out;
		}
		*(i ? &rec->lost : &rec->count) = (long)n;
	}
	if (json_object_object_get_ex(o, "args", &f) && take_args(f, rec) < 0) {
		snprintf(why, whysize, "field \"args\" is not 6 hexadecimal strings");
		r = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < ELEMENTSOF(fields) && r == 0; i++)
		r = take_string(o, fields[i].key, (const char **)((char *)rec + fields[i].off), why,
				whysize);
	if (r == 0 && !rec->decision) {
		snprintf(why, whysize, "no \"decision\"");
		r = -EINVAL;
	}
out:
	rec->json = o;
	if (r < 0)
		sb_audit_rec_clear(rec);
	if (r == -ENOMEM && !why[0])
		snprintf(why, whysize, "out of memory");
	return r;
}

/* --- times --------------------------------------------------------------------------------- */

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return days[m - 1] + (m == 2 && leap);
}

/* What ends a time: nothing or Z (UTC), or +HH:MM, +HHMM, +HH (or -): seconds east of UTC. */
static int parse_utc_offset(const char *p, long *ret)
{
	char d[4];
	size_t n = 0;
	if (*p == 0 || strcmp(p, "Z") == 0)
		return 0;
	if (*p != '+' && *p != '-')
		return -EINVAL;
	for (const char *q = p + 1; *q; q++) {
		if (*q == ':' && q == p + 3 && q[1])
			continue;
		if (!isdigit((unsigned char)*q) || n == sizeof(d))
			return -EINVAL;
		d[n++] = *q;
	}
	if (n != 2 && n != 4)
		return -EINVAL;
	int oh = (d[0] - '0') * 10 + (d[1] - '0');
	int om = n == 4 ? (d[2] - '0') * 10 + (d[3] - '0') : 0;
	if (oh > 23 || om > 59)
		return -EINVAL;
	*ret = (*p == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
	return 0;
}

int sb_audit_parse_time(const char *s, char *out, size_t size)
{
	int Y, M, D, h = 0, m = 0, sec = 0, ms = 0, n = 0;
	char unit;
	long long amount;

	if (!s || size < 32)
		return -EINVAL;
	if (sscanf(s, "%lld%c%n", &amount, &unit, &n) == 2 && s[n] == 0 && amount >= 0 &&
	    amount < 100LL * 365 * 86400 && strchr("smhd", unit)) {
		long long mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400;
		time_t t = time(NULL) - (time_t)(amount * mult);
		struct tm tm;
		if (!gmtime_r(&t, &tm))
			return -EINVAL;
		strftime(out, size, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
		return 0;
	}
	n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &n) != 3 || n != 10)
		return -EINVAL;
	const char *p = s + 10;
	if (*p == 'T' || *p == ' ') {
		int k = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &h, &m, &k) != 2 || k != 5)
			return -EINVAL;
		p += 6;
		if (*p == ':') {
			if (sscanf(p + 1, "%2d%n", &sec, &k) != 1 || k != 2)
				return -EINVAL;
			p += 3;
			if (*p == '.') {
				if (sscanf(p + 1, "%3d%n", &ms, &k) != 1 || k != 3)
					return -EINVAL;
				p += 4;
			}
		}
	}
	long off = 0;
	if (parse_utc_offset(p, &off) < 0 || M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) ||
	    h > 23 || m > 59 || sec > 60 || Y < 0 || h < 0 || m < 0 || sec < 0 || ms < 0)
		return -EINVAL;
	/* To UTC, as the log is: 10:00+01:00 is 09:00Z. */
	struct tm tm = { .tm_year = Y - 1900,
			 .tm_mon = M - 1,
			 .tm_mday = D,
			 .tm_hour = h,
			 .tm_min = m,
			 .tm_sec = sec };
	time_t t = timegm(&tm) - (time_t)off;
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		return -EINVAL;
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return 0;
}

/* --- aggregation --------------------------------------------------------------------------- */

/*
 * The fields a group is keyed on, in its key's order (G_PROG: the exe, or argv0 without one), then
 * the ones it keeps from its first record.
 */
enum {
	G_PROG,
	G_SYSCALL,
	G_TARGET,
	G_PERMS,
	G_DECISION,
	G_ERR,
	G_RULE,
	G_LIMIT,
	G_KEY,
	G_EXE = G_KEY,
	G_ARGV0,
	G_N
};

struct group {
	char *key;     /* the G_N fields, each ended by a NUL: one allocation */
	size_t keylen; /* the G_KEY fields of it, with their NULs */
	const char *exe, *argv0, *syscall, *target, *perms, *decision, *err, *rule, *limit;
	bool is_addr;
	unsigned long count;
	char first[32], last[32]; /* times as the log wrote them (ISO 8601 UTC: compare as text) */
};

/* How a suggested path came from the logged ones. */
enum { GEN_EXACT, GEN_PROC, GEN_TEMP };

/* One path the suggestions must grant. */
struct spath {
	char *path; /* the name; for GEN_TEMP the pattern, its literal part and "*" */
	uint32_t perms;
	unsigned long count;
	char *orig; /* a path as the log named it, for checking the line against --policy */
	char *rule; /* what refused it (its first record), or NULL */
	long pid;   /* its record's pid */
	unsigned char gen;
	bool folded;         /* taken into a GEN_TEMP pattern */
	unsigned long names; /* GEN_TEMP: the names it was made of */
};

/* Why a syscall is not suggested. */
enum { NOTE_NONE, NOTE_BUILTIN, NOTE_NOARGS };

/* One net grant or one syscall. */
struct sother {
	char *what; /* "net ADDR OP" or "allow NAME [if argN == V]"; for a note, the call */
	unsigned long count;
	int nr; /* the syscall, -1 for a net line */
	bool has_args;
	uint64_t args[6];
	char *rule; /* what decided its first record */
	unsigned char note;
};

/*
 * An open-addressing index over an array of named items: slot[i] is 1 + the item's index, 0 for
 * a free slot. Lookups are linear in the name's length, whatever the number of items.
 */
struct sindex {
	size_t *slot;
	size_t size; /* a power of two, at least twice the items */
};

struct sb_audit {
	struct sb_audit_opts o;
	unsigned long records, malformed, matched, denials, reloads, reload_errors, protocol,
		killed, suppressed, lost;
	char *last_reload_error;
	struct group **tab; /* open addressing */
	size_t tabsize, ngroups;
	struct spath *paths;
	size_t npaths, cpaths;
	struct sindex path_index;
	struct sother *others;
	size_t nothers, cothers;
	struct sindex other_index;
	struct sb_suggest_base base; /* --policy, or none (text NULL) */
	/* denials the suggestions leave out, and why */
	unsigned long skipped_builtin, skipped_limit, skipped_nopath, skipped_family, skipped_proc;
};

/*
 * The tables take the low bits of the hash. FNV-1a's low bits depend only on the low bits of
 * its state, so a hostile log could build any number of keys that share them, block by block,
 * and make every insert walk one probe chain (quadratic). A seed per process hides the state,
 * and murmur3's finaliser brings every bit of it down to the low ones.
 */
static uint64_t hash_seed;

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ hash_seed;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

int sb_audit_new(const struct sb_audit_opts *opts, struct sb_audit **ret)
{
	struct sb_audit *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	/* Without entropy yet the finaliser alone still spreads the keys (hash). */
	if (!hash_seed && getrandom(&hash_seed, sizeof(hash_seed), GRND_NONBLOCK) < 0)
		hash_seed = 0;
	a->o = *opts;
	if (!a->o.decisions)
		a->o.decisions = SB_AUDIT_D_DENY | SB_AUDIT_D_WOULD_DENY | SB_AUDIT_D_SUPPRESSED;
	a->tabsize = 256;
	a->tab = calloc(a->tabsize, sizeof(*a->tab));
	if (!a->tab) {
		free(a);
		return -ENOMEM;
	}
	*ret = a;
	return 0;
}

static void group_free(struct group *g)
{
	if (!g)
		return;
	free(g->key);
	free(g);
}

struct sb_audit *sb_audit_free(struct sb_audit *a)
{
	if (!a)
		return NULL;
	for (size_t i = 0; i < a->tabsize; i++)
		group_free(a->tab[i]);
	free(a->tab);
	for (size_t i = 0; i < a->npaths; i++) {
		free(a->paths[i].path);
		free(a->paths[i].orig);
		free(a->paths[i].rule);
	}
	free(a->paths);
	for (size_t i = 0; i < a->nothers; i++) {
		free(a->others[i].what);
		free(a->others[i].rule);
	}
	sb_suggest_base_done(&a->base);
	free(a->others);
	free(a->path_index.slot);
	free(a->other_index.slot);
	free(a->last_reload_error);
	free(a);
	return NULL;
}

int sb_audit_use_policy(struct sb_audit *a, const char *file, char *why, size_t whysize)
{
	return sb_suggest_base_read(file, &a->base, why, whysize);
}

unsigned long sb_audit_malformed(const struct sb_audit *a)
{
	return a->malformed;
}

static unsigned decision_bit(const char *d)
{
	if (strcmp(d, "allow") == 0)
		return SB_AUDIT_D_ALLOW;
	if (strcmp(d, "deny") == 0)
		return SB_AUDIT_D_DENY;
	if (strcmp(d, "would-deny") == 0)
		return SB_AUDIT_D_WOULD_DENY;
	if (strcmp(d, "reload") == 0)
		return SB_AUDIT_D_RELOAD;
	if (strcmp(d, "reload-error") == 0)
		return SB_AUDIT_D_RELOAD_ERROR;
	if (strcmp(d, "protocol-error") == 0)
		return SB_AUDIT_D_PROTOCOL_ERROR;
	if (strcmp(d, "killed") == 0)
		return SB_AUDIT_D_KILLED;
	if (strcmp(d, "suppressed") == 0)
		return SB_AUDIT_D_SUPPRESSED;
	if (strcmp(d, "log-error") == 0)
		return SB_AUDIT_D_LOG_ERROR;
	return SB_AUDIT_D_OTHER;
}

static char *dup0(const char *s)
{
	return strdup(s ? s : "");
}

static int tab_grow(struct sb_audit *a)
{
	size_t n = a->tabsize * 2;
	struct group **t = calloc(n, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < a->tabsize; i++) {
		if (!a->tab[i])
			continue;
		size_t k = hash(a->tab[i]->key, a->tab[i]->keylen) & (n - 1);
		while (t[k])
			k = (k + 1) & (n - 1);
		t[k] = a->tab[i];
	}
	free(a->tab);
	a->tab = t;
	a->tabsize = n;
	return 0;
}

/* The record's group key into a new buffer: its G_N fields, each ended by a NUL. */
static char *group_key(const struct sb_audit_rec *r, size_t *keylen)
{
	const char *target = r->path ? r->path : r->addr ? r->addr : "";
	const char *parts[G_N] = {
		[G_PROG] = r->exe ? r->exe : r->argv0,
		[G_SYSCALL] = r->syscall,
		[G_TARGET] = target,
		[G_PERMS] = r->perms ? r->perms : r->perm,
		[G_DECISION] = r->decision,
		[G_ERR] = r->err,
		[G_RULE] = r->rule,
		[G_LIMIT] = r->limit,
		[G_EXE] = r->exe,
		[G_ARGV0] = r->argv0,
	};
	size_t n = 0;
	for (size_t i = 0; i < G_N; i++)
		n += (parts[i] ? strlen(parts[i]) : 0) + 1;
	char *key = malloc(n);
	if (!key)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < G_N; i++) {
		size_t l = parts[i] ? strlen(parts[i]) : 0;
		memcpy(key + o, parts[i] ? parts[i] : "", l);
		o += l;
		key[o++] = 0;
		if (i + 1 == G_KEY)
			*keylen = o;
	}
	return key;
}

static struct group *group_new(char *key, size_t keylen, const struct sb_audit_rec *r)
{
	struct group *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	const char *prog;
	const char **f[G_N] = { &prog,   &g->syscall, &g->target, &g->perms, &g->decision,
				&g->err, &g->rule,    &g->limit,  &g->exe,   &g->argv0 };
	const char *p = key;
	for (size_t i = 0; i < G_N; i++) {
		*f[i] = p;
		p += strlen(p) + 1;
	}
	g->key = key;
	g->keylen = keylen;
	g->is_addr = !r->path && r->addr;
	return g;
}

/* A time as the group keeps it (cut to its buffer: times are compared as text anyway). */
static void set_time(char dst[32], const char *t)
{
	snprintf(dst, 32, "%s", t);
}

/* Count the record (weight times) in its group. */
static int add_group(struct sb_audit *a, const struct sb_audit_rec *r, unsigned long weight)
{
	size_t keylen = 0;
	_cleanup_free_ char *key = group_key(r, &keylen);
	if (!key)
		return -ENOMEM;
	if (2 * (a->ngroups + 1) > a->tabsize && tab_grow(a) < 0)
		return -ENOMEM;
	size_t k = hash(key, keylen) & (a->tabsize - 1);
	while (a->tab[k] &&
	       (a->tab[k]->keylen != keylen || memcmp(a->tab[k]->key, key, keylen) != 0))
		k = (k + 1) & (a->tabsize - 1);
	struct group *g = a->tab[k];
	if (!g) {
		g = group_new(key, keylen, r);
		if (!g)
			return -ENOMEM;
		key = NULL; /* the group's now */
		a->tab[k] = g;
		a->ngroups++;
		if (r->time) {
			set_time(g->first, r->time);
			set_time(g->last, r->time);
		}
	}
	g->count += weight;
	if (r->time) {
		if (!g->first[0] || strcmp(r->time, g->first) < 0)
			set_time(g->first, r->time);
		if (strcmp(r->time, g->last) > 0)
			set_time(g->last, r->time);
	}
	return 0;
}

static uint32_t perm_bits(const char *words)
{
	static const char *const names[] = { "stat",   "read", "write", "create",
					     "delete", "exec", "list" };
	uint32_t bits = 0;
	if (!words)
		return 0;
	for (const char *p = words; *p;) {
		size_t n = strcspn(p, " ");
		for (size_t i = 0; i < ELEMENTSOF(names); i++)
			if (strlen(names[i]) == n && strncmp(p, names[i], n) == 0)
				bits |= 1u << i;
		p += n;
		p += strspn(p, " ");
	}
	return bits;
}

static const char *path_name(const void *items, size_t i)
{
	return ((const struct spath *)items)[i].path;
}

static const char *other_name(const void *items, size_t i)
{
	return ((const struct sother *)items)[i].what;
}

/* Where name is in x, or where it would go: *slot is 0 there. */
static size_t *sindex_slot(const struct sindex *x, const char *name,
			   const char *(*name_of)(const void *, size_t), const void *items)
{
	size_t k = hash(name, strlen(name)) & (x->size - 1);
	while (x->slot[k] && strcmp(name_of(items, x->slot[k] - 1), name) != 0)
		k = (k + 1) & (x->size - 1);
	return &x->slot[k];
}

/* Room for one more item in x, which indexes n items. */
static int sindex_reserve(struct sindex *x, size_t n, const char *(*name_of)(const void *, size_t),
			  const void *items)
{
	if (2 * (n + 1) <= x->size)
		return 0;
	struct sindex y = { .size = x->size ? x->size * 2 : 64 };
	y.slot = calloc(y.size, sizeof(*y.slot));
	if (!y.slot)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		*sindex_slot(&y, name_of(items, i), name_of, items) = i + 1;
	free(x->slot);
	*x = y;
	return 0;
}

/* Grow a vector of items of size sz to hold one more. */
static int vec_reserve(void **v, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 16;
	void *w = reallocarray(*v, c, sz);
	if (!w)
		return -ENOMEM;
	*v = w;
	*cap = c;
	return 0;
}

/* Count a path (or a pattern, with a count and the perms of the names it takes in). */
static int add_path(struct sb_audit *a, const char *path, const struct spath *from)
{
	if (sindex_reserve(&a->path_index, a->npaths, path_name, a->paths) < 0)
		return -ENOMEM;
	size_t *slot = sindex_slot(&a->path_index, path, path_name, a->paths);
	if (*slot) {
		a->paths[*slot - 1].perms |= from->perms;
		a->paths[*slot - 1].count += from->count;
		a->paths[*slot - 1].names++;
		return 0;
	}
	char *p = strdup(path), *o = strdup(from->orig),
	     *rule = from->rule ? strdup(from->rule) : NULL;
	if (!p || !o || (from->rule && !rule) ||
	    vec_reserve((void **)&a->paths, a->npaths, &a->cpaths, sizeof(*a->paths)) < 0) {
		free(p);
		free(o);
		free(rule);
		return -ENOMEM;
	}
	a->paths[a->npaths] = *from;
	a->paths[a->npaths].path = p;
	a->paths[a->npaths].orig = o;
	a->paths[a->npaths].rule = rule;
	a->paths[a->npaths].names = 1;
	*slot = ++a->npaths;
	return 0;
}

/* Count a net line or a syscall's line (r: its record, NULL for a net line). */
static int add_other(struct sb_audit *a, const char *what, const struct sb_audit_rec *r, int nr,
		     unsigned note)
{
	if (sindex_reserve(&a->other_index, a->nothers, other_name, a->others) < 0)
		return -ENOMEM;
	size_t *slot = sindex_slot(&a->other_index, what, other_name, a->others);
	if (*slot) {
		a->others[*slot - 1].count++;
		return 0;
	}
	char *w = strdup(what), *rule = r && r->rule ? strdup(r->rule) : NULL;
	if (!w || (r && r->rule && !rule) ||
	    vec_reserve((void **)&a->others, a->nothers, &a->cothers, sizeof(*a->others)) < 0) {
		free(w);
		free(rule);
		return -ENOMEM;
	}
	struct sother *o = &a->others[a->nothers];
	*o = (struct sother){ .what = w, .count = 1, .nr = nr, .rule = rule, .note = note };
	if (r && r->has_args) {
		o->has_args = true;
		memcpy(o->args, r->args, sizeof(o->args));
	}
	*slot = ++a->nothers;
	return 0;
}

/* A syscall name as the policy would name it: letters, digits and '_' only. */
static bool plain_name(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static bool plain_addr(const char *s)
{
	if (strncmp(s, "tcp:", 4) != 0 && strncmp(s, "udp:", 4) != 0 && strncmp(s, "unix:", 5) != 0)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '"' || *s == '#' || *s == '\\' ||
		    (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* "/<digits>" at s followed by '/' or the end: the number, and *rest after it; else -1. */
static long proc_number(const char *s, const char **rest)
{
	long v = 0;
	if (s[0] != '/' || s[1] < '0' || s[1] > '9')
		return -1;
	for (s++; *s >= '0' && *s <= '9'; s++)
		if ((v = v * 10 + (*s - '0')) > INT32_MAX)
			return -1;
	*rest = s;
	return *s == '/' || *s == 0 ? v : -1;
}

/*
 * A path under /proc as a policy can grant it: the caller's own /proc/PID (the record's pid) as
 * /proc/self, and its thread's /proc/TGID/task/PID (notify records name the thread) as
 * /proc/thread-self; out gets the path. Returns 1 when it wrote out, 0 for a path outside
 * /proc/PID, -1 for one a rule must not grant: another process's or thread's entries, which
 * change with every run and are never the caller's business, and the literal /proc/self, which
 * names the broker.
 */
static int proc_own(const char *path, long pid, char *out, size_t size)
{
	const char *rest, *trest;
	if (strncmp(path, "/proc/", 6) != 0)
		return 0;
	if (sb_glob_proc_self(path) != SB_SELF_NONE)
		return -1;
	long n = proc_number(path + 5, &rest);
	if (n < 0)
		return 0;
	long t = strncmp(rest, "/task", 5) == 0 ? proc_number(rest + 5, &trest) : -1;
	if (pid > 0 && t == pid)
		snprintf(out, size, "/proc/thread-self%s", trest);
	else if (pid > 0 && n == pid && strncmp(rest, "/task", 5) != 0)
		snprintf(out, size, "/proc/self%s", rest);
	else
		return -1;
	return 1;
}

/*
 * A syscall's line: "allow NAME", with a condition on the argument that says what the call was
 * where an unconditional line would allow far more (sb_suggest_cond_arg), or a note when no line
 * may be suggested: the built-in dangerous set refuses the call (no suggestion lifts it), or the
 * record lacks the arguments the condition needs.
 */
static int suggest_syscall(struct sb_audit *a, const struct sb_audit_rec *r, bool builtin)
{
	int nr = sb_syscall_nr(r->syscall);
	int arg = sb_suggest_cond_arg(r->syscall);
	unsigned note = NOTE_NONE;
	char what[160], value[40] = "";
	if (builtin || (nr >= 0 && sb_dangerous_matches(nr, r->has_args ? r->args : NULL)))
		note = NOTE_BUILTIN;
	else if (arg >= 0 && !r->has_args)
		note = NOTE_NOARGS;
	if (arg >= 0 && r->has_args)
		sb_suggest_value(r->syscall, r->args[arg], value, sizeof(value));
	if (value[0])
		snprintf(what, sizeof(what), "allow %s if arg%d == %s", r->syscall, arg, value);
	else
		snprintf(what, sizeof(what), "allow %s", r->syscall);
	return add_other(a, what, r, nr, note);
}

/* What a denial contributes to the suggestions. */
static int suggest_from(struct sb_audit *a, const struct sb_audit_rec *r)
{
	if (r->rule && strcmp(r->rule, "builtin") == 0) {
		if (!r->perm && !r->perms && !r->addr && !r->path && plain_name(r->syscall))
			return suggest_syscall(a, r, true);
		a->skipped_builtin++;
		return 0;
	}
	if (r->limit) {
		a->skipped_limit++;
		return 0;
	}
	if (r->addr) {
		const char *op = NULL, *s = r->syscall ? r->syscall : "";
		if (strcmp(s, "connect") == 0)
			op = "connect";
		else if (strcmp(s, "bind") == 0 || strcmp(s, "listen") == 0)
			op = "bind";
		else if (strncmp(s, "send", 4) == 0)
			op = "send";
		if (!op || !plain_addr(r->addr)) {
			a->skipped_family++;
			return 0;
		}
		char what[512];
		if ((size_t)snprintf(what, sizeof(what), "net %s %s", r->addr, op) >=
		    sizeof(what)) {
			a->skipped_family++;
			return 0;
		}
		return add_other(a, what, NULL, -1, NOTE_NONE);
	}
	if (r->perm || r->perms) {
		if (!r->path || r->path[0] != '/' || strlen(r->path) >= PATH_MAX) {
			a->skipped_nopath++;
			return 0;
		}
		char own[PATH_MAX + 32];
		int k = proc_own(r->path, r->pid, own, sizeof(own));
		if (k < 0) {
			a->skipped_proc++;
			return 0;
		}
		uint32_t bits = perm_bits(r->perms) | perm_bits(r->perm);
		struct spath from = { .perms = bits ? bits : 1,
				      .count = 1,
				      .orig = (char *)r->path,
				      .rule = (char *)r->rule,
				      .pid = r->pid,
				      .gen = k ? GEN_PROC : GEN_EXACT };
		return add_path(a, k ? own : r->path, &from);
	}
	if (!plain_name(r->syscall)) {
		a->skipped_nopath++;
		return 0;
	}
	return suggest_syscall(a, r, false);
}

static bool wanted(const struct sb_audit *a, const struct sb_audit_rec *r)
{
	if (!(decision_bit(r->decision) & a->o.decisions))
		return false;
	if (a->o.pid >= 0 && r->pid != a->o.pid)
		return false;
	if (a->o.syscall && (!r->syscall || strcmp(r->syscall, a->o.syscall) != 0))
		return false;
	if (a->o.since && (!r->time || strcmp(r->time, a->o.since) < 0))
		return false;
	return true;
}

static int consume(struct sb_audit *a, const struct sb_audit_rec *r)
{
	unsigned bit = decision_bit(r->decision);
	a->records++;
	if (bit == SB_AUDIT_D_RELOAD)
		a->reloads++;
	if (bit == SB_AUDIT_D_PROTOCOL_ERROR)
		a->protocol++;
	if (bit == SB_AUDIT_D_KILLED)
		a->killed++;
	/* The records the broker's rate limiter left out: a count, no call. */
	unsigned long weight = 1;
	if (bit == SB_AUDIT_D_LOG_ERROR)
		a->lost += r->lost > 0 ? (unsigned long)r->lost : 0;
	if (bit == SB_AUDIT_D_SUPPRESSED) {
		weight = r->count > 0 ? (unsigned long)r->count : 0;
		a->suppressed += weight;
	}
	if (bit == SB_AUDIT_D_RELOAD_ERROR) {
		a->reload_errors++;
		free(a->last_reload_error);
		a->last_reload_error = dup0(r->error);
	}
	if (!wanted(a, r))
		return 0;
	a->matched++;
	if (bit & (SB_AUDIT_D_DENY | SB_AUDIT_D_WOULD_DENY))
		a->denials++;
	int e = add_group(a, r, weight);
	if (e == 0 && a->o.suggest && (bit & (SB_AUDIT_D_DENY | SB_AUDIT_D_WOULD_DENY)))
		e = suggest_from(a, r);
	return e;
}

/*
 * Lines of a stream with memory bounded by the line limit: a line longer than SB_AUDIT_MAX_LINE
 * is skipped to its newline without being kept, whatever the input (a stream of zeros with no
 * newline costs one buffer).
 */
struct reader {
	FILE *in;
	char *buf;
	size_t start, end; /* the unread bytes */
	bool eof;
};

#define READER_CAP (2 * (size_t)SB_AUDIT_MAX_LINE + 2)

/* More bytes after the unread ones (moved to the front). 0, or -errno. */
static int reader_fill(struct reader *r)
{
	memmove(r->buf, r->buf + r->start, r->end - r->start);
	r->end -= r->start;
	r->start = 0;
	size_t n = fread(r->buf + r->end, 1, READER_CAP - r->end, r->in);
	r->end += n;
	if (n == 0) {
		if (ferror(r->in))
			return -(errno ? errno : EIO);
		r->eof = true;
	}
	return 0;
}

/*
 * The next line, without its newline, at *line (len bytes; *newline: it had one). Returns 1, 0 at
 * the end, 2 for a line over the limit (skipped whole, *line unset), or -errno.
 */
static int reader_next(struct reader *r, const char **line, size_t *len, bool *newline)
{
	bool skipping = false;
	for (;;) {
		char *p = memchr(r->buf + r->start, '\n', r->end - r->start);
		size_t avail = p ? (size_t)(p - (r->buf + r->start)) : r->end - r->start;
		if (!skipping && avail > SB_AUDIT_MAX_LINE)
			skipping = true;
		if (p || (r->eof && avail > 0)) {
			*line = r->buf + r->start;
			*len = avail;
			*newline = p != NULL;
			r->start += avail + (p ? 1 : 0);
			return skipping ? 2 : 1;
		}
		if (r->eof)
			return skipping ? 2 : 0;
		if (skipping)
			r->start = r->end; /* drop what was read of the long line */
		int e = reader_fill(r);
		if (e < 0)
			return e;
	}
}

int sb_audit_feed(struct sb_audit *a, FILE *in, const char *name, FILE *err)
{
	_cleanup_free_ char *buf =
		calloc(1, READER_CAP); /* zeroed: analysers cannot see fread fill it */
	struct reader rd = { .in = in, .buf = buf };
	unsigned long lineno = 0;
	const char *line;
	size_t len;
	bool newline;
	char why[128];

	if (!buf)
		return -ENOMEM;
	for (;;) {
		int k = reader_next(&rd, &line, &len, &newline);
		if (k <= 0)
			return k;
		lineno++;
		struct sb_audit_rec rec;
		int r;
		if (k == 2) {
			snprintf(why, sizeof(why), "line longer than %ld bytes", SB_AUDIT_MAX_LINE);
			r = -EINVAL;
			newline = true;
		} else {
			size_t blank = 0;
			while (blank < len &&
			       (line[blank] == ' ' || line[blank] == '\t' || line[blank] == '\r'))
				blank++;
			if (blank == len)
				continue;
			r = sb_audit_parse_line(line, len, &rec, why, sizeof(why));
		}
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			a->malformed++;
			if (err)
				fprintf(err, "sysbroker audit: %s:%lu: skipped: %s%s\n", name,
					lineno, why,
					newline ? ""
						: " (no newline: the last record was cut short?)");
			continue;
		}
		r = consume(a, &rec);
		sb_audit_rec_clear(&rec);
		if (r < 0)
			return r;
	}
}

/* --- reports ------------------------------------------------------------------------------- */

static int cmp_group(const void *x, const void *y)
{
	const struct group *a = *(const struct group *const *)x,
			   *b = *(const struct group *const *)y;
	int c = strcmp(a->exe[0] ? a->exe : a->argv0, b->exe[0] ? b->exe : b->argv0);
	if (c)
		return c;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	c = strcmp(a->syscall, b->syscall);
	if (c)
		return c;
	c = memcmp(a->key, b->key, a->keylen < b->keylen ? a->keylen : b->keylen);
	return c ? c : (a->keylen > b->keylen) - (a->keylen < b->keylen);
}

static struct group **sorted_groups(const struct sb_audit *a)
{
	struct group **v = calloc(a->ngroups + 1, sizeof(*v));
	if (!v)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < a->tabsize; i++)
		if (a->tab[i])
			v[n++] = a->tab[i];
	qsort(v, n, sizeof(*v), cmp_group);
	return v;
}

static void json_add_str(json_object *o, const char *k, const char *v)
{
	if (v && v[0])
		json_object_object_add(o, k, json_object_new_string(v));
}

/* One group as a JSON object on one line. */
static int put_group_json(const struct group *g, FILE *out)
{
	json_object *e = json_object_new_object();
	if (!e)
		return -ENOMEM;
	json_add_str(e, "exe", g->exe);
	json_add_str(e, "argv0", g->argv0);
	json_add_str(e, "syscall", g->syscall);
	json_add_str(e, g->is_addr ? "addr" : "path", g->target);
	json_add_str(e, "perms", g->perms);
	json_add_str(e, "decision", g->decision);
	json_add_str(e, "errno", g->err);
	json_add_str(e, "limit", g->limit);
	json_add_str(e, "rule", g->rule);
	json_object_object_add(e, "count", json_object_new_int64((int64_t)g->count));
	json_add_str(e, "first", g->first);
	json_add_str(e, "last", g->last);
	fputs(json_object_to_json_string_ext(e, JSON_C_TO_STRING_NOSLASHESCAPE |
							JSON_C_TO_STRING_SPACED),
	      out);
	json_object_put(e);
	return 0;
}

/* Streamed, a group at a time: memory is the groups', not a second copy as a JSON tree. */
static int report_json(const struct sb_audit *a, struct group **v, FILE *out)
{
	const struct {
		const char *k;
		unsigned long n;
	} counts[] = {
		{ "records", a->records },       { "malformed", a->malformed },
		{ "matched", a->matched },       { "denials", a->denials },
		{ "suppressed", a->suppressed }, { "lost", a->lost },
		{ "reloads", a->reloads },       { "reload_errors", a->reload_errors },
		{ "killed", a->killed },
	};
	fputs("{\n", out);
	for (size_t i = 0; i < ELEMENTSOF(counts); i++)
		fprintf(out, "  \"%s\": %lu,\n", counts[i].k, counts[i].n);
	fputs("  \"groups\": [", out);
	for (size_t i = 0; i < a->ngroups; i++) {
		fputs(i ? ",\n    " : "\n    ", out);
		if (put_group_json(v[i], out) < 0)
			return -ENOMEM;
	}
	fputs(a->ngroups ? "\n  ]\n}\n" : "]\n}\n", out);
	return 0;
}

/*
 * Where a valid UTF-8 sequence starts at p (not ASCII): its length, or 0 for a byte that starts
 * none (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF).
 */
static size_t utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n = c >= 0xc2 && c <= 0xdf   ? 2
		   : c >= 0xe0 && c <= 0xef ? 3
		   : c >= 0xf0 && c <= 0xf4 ? 4
					    : 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)))
		return 0;
	if (n == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)))
		return 0;
	return n;
}

/* The C1 controls U+0080..U+009F, and the bidirectional overrides and isolates. */
static bool unsafe_code(const unsigned char *p, size_t n)
{
	if (n == 2)
		return p[0] == 0xc2 && p[1] <= 0x9f;
	if (n == 3 && p[0] == 0xe2 && p[1] == 0x80)
		return p[2] >= 0xaa && p[2] <= 0xae; /* U+202A..U+202E */
	if (n == 3 && p[0] == 0xe2 && p[1] == 0x81)
		return p[2] >= 0xa6 && p[2] <= 0xa9; /* U+2066..U+2069 */
	return false;
}

/*
 * Printable on a terminal: C0 controls, DEL, the C1 controls (0xc2 0x9b is a CSI, which drives a
 * terminal as ESC [ does), the bidirectional overrides and isolates (text that reads otherwise
 * than it is) and every byte outside valid UTF-8 are written as \xNN, so a hostile log can
 * neither drive nor fool the terminal.
 */
static void put_safe(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	while (*p) {
		size_t n = *p < 0x80 ? 1 : utf8_len(p);
		if (*p >= 0x20 && *p != 0x7f && n && !unsafe_code(p, n)) {
			p += n;
			continue;
		}
		fwrite(run, 1, (size_t)(p - run), out);
		for (size_t i = 0, k = n ? n : 1; i < k; i++)
			fprintf(out, "\\x%02x", *p++);
		run = p;
	}
	fwrite(run, 1, (size_t)(p - run), out);
}

static int report_text(const struct sb_audit *a, struct group **v, FILE *out)
{
	fprintf(out, "%lu records, %lu matched", a->records, a->matched);
	if (a->malformed)
		fprintf(out, ", %lu malformed lines skipped", a->malformed);
	if (a->reloads || a->reload_errors)
		fprintf(out, ", %lu reloads, %lu failed reloads", a->reloads, a->reload_errors);
	if (a->protocol)
		fprintf(out, ", %lu protocol errors", a->protocol);
	if (a->killed)
		fprintf(out, ", %lu processes killed by SIGSYS", a->killed);
	if (a->suppressed)
		fprintf(out, ", %lu more records left out by the broker's rate limit",
			a->suppressed);
	if (a->lost)
		fprintf(out, ", %lu records lost (the log could not be written)", a->lost);
	fputs("\n", out);
	if (a->last_reload_error) {
		fputs("last failed reload: ", out);
		put_safe(out, a->last_reload_error);
		fputs("\n", out);
	}
	const char *prog = NULL;
	for (size_t i = 0; i < a->ngroups; i++) {
		const struct group *g = v[i];
		const char *p = g->exe[0] ? g->exe : g->argv0;
		if (!prog || strcmp(prog, p) != 0) {
			prog = p;
			fputs("\n", out);
			bool limit = strcmp(g->decision, "suppressed") == 0;
			put_safe(out, p[0]    ? p
				      : limit ? "(left out by the rate limit)"
					      : "(unknown program)");
			if (g->exe[0] && g->argv0[0] && strcmp(g->exe, g->argv0) != 0) {
				fputs(" (", out);
				put_safe(out, g->argv0);
				fputs(")", out);
			}
			fputs("\n", out);
		}
		fprintf(out, "  %6lu  %-10s ", g->count, g->decision);
		put_safe(out, g->syscall[0] ? g->syscall : "-");
		if (g->target[0]) {
			fputs(" ", out);
			put_safe(out, g->target);
		}
		if (g->perms[0]) {
			fputs(" [", out);
			put_safe(out, g->perms);
			fputs("]", out);
		}
		if (g->err[0]) {
			fputs(" ", out);
			put_safe(out, g->err);
		}
		if (g->limit[0]) {
			fputs(" over '", out);
			put_safe(out, g->limit);
			fputs("'", out);
		}
		fputs(" by ", out);
		put_safe(out, g->rule[0] ? g->rule : "?");
		if (g->first[0]) {
			fputs("  ", out);
			put_safe(out, g->first);
			if (strcmp(g->first, g->last) != 0) {
				fputs(" .. ", out);
				put_safe(out, g->last);
			}
		}
		fputs("\n", out);
	}
	return 0;
}

/* A path pattern as one word of the policy language. Wildcards in a name become '?'. */
static void put_pattern(FILE *out, const char *dir, const char *tail)
{
	char buf[PATH_MAX + 8];
	bool quote = false;
	size_t n = 0;
	for (const char *p = dir; *p && n < PATH_MAX; p++)
		buf[n++] = *p == '*' ? '?' : *p;
	snprintf(buf + n, sizeof(buf) - n, "%s", tail);
	for (char *p = buf; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("/._+-@,:~%*?", *p)))
			quote = true;
	if (!quote) {
		fputs(buf, out);
		return;
	}
	fputc('"', out);
	for (char *p = buf; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		if ((unsigned char)*p < 0x20)
			fputc('?', out); /* a control byte cannot be written; '?' matches it */
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void put_perms(FILE *out, uint32_t bits)
{
	static const char *const names[] = { "stat",   "read", "write", "create",
					     "delete", "exec", "list" };
	bool any = false;
	for (size_t i = 1; i < ELEMENTSOF(names); i++)
		if (bits & (1u << i)) {
			fprintf(out, " %s", names[i]);
			any = true;
		}
	if (!any)
		fputs(" stat", out);
}

static size_t parent_len(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? (size_t)(s - p) : 0;
}

/* By directory, then by name: the names of one directory are next to each other. */
static int cmp_path(const void *x, const void *y)
{
	const char *a = ((const struct spath *)x)->path, *b = ((const struct spath *)y)->path;
	size_t la = parent_len(a), lb = parent_len(b);
	int c = memcmp(a, b, la < lb ? la : lb);
	if (c == 0 && la != lb)
		c = la < lb ? -1 : 1;
	return c ? c : strcmp(a, b);
}

static unsigned depth(const char *p, size_t len)
{
	unsigned d = 0;
	for (size_t i = 0; i < len; i++)
		d += p[i] == '/';
	return d;
}

/* The lines written, and the denials they cover. */
struct tally {
	unsigned long lines, covered;
};

/*
 * One suggested line with its comment, checked first against --policy when given: a line the
 * policy with it appended does not let the calls through (a more specific rule of the policy
 * outranks it, such as runtime.policy's W^X deny for mprotect) is written as a comment that says
 * so, since appending it would change nothing. Without --policy, a call that a rule (not a
 * default) refused gets a note that the line may not win.
 */
static void emit(struct sb_audit *a, FILE *out, const char *line, const struct sb_suggest_call *c,
		 size_t nc, const char *rule, const char *comment, unsigned long count,
		 struct tally *t)
{
	char why[600] = "";
	int k = 1;
	for (size_t i = 0; i < nc && a->base.text && k == 1; i++)
		k = sb_suggest_probe(&a->base, line, &c[i], why, sizeof(why));
	if (k < 0) {
		fprintf(out, "# not suggested, %s would not load with it (%s): ", a->base.name,
			why);
		put_safe(out, line);
		fputs("\n", out);
		return;
	}
	if (k == 0) {
		fputs("# not suggested, it would change nothing: ", out);
		put_safe(out, line);
		fputs(" is outranked by ", out);
		put_safe(out, why);
		fputs(" (a more specific rule, or a later one)\n", out);
		return;
	}
	char by[600];
	int deny = nc ? sb_suggest_rule_denies(&a->base, rule, c, by, sizeof(by)) : 0;
	if (deny != 0) {
		fputs(deny > 0 ? "# not suggested, it would lift the deny rule "
			       : "# check first: if the call was refused by a deny rule (not a "
				 "default), "
				 "this line lifts ",
		      out);
		put_safe(out, by);
		fputs(deny > 0 ? " (uncomment it only if that is meant): " : " (pass --policy): ",
		      out);
		put_safe(out, line);
		fputs("\n", out);
		if (deny > 0)
			return;
	}
	fprintf(out, "%s    # %lu denial%s%s%s\n", line, count, count == 1 ? "" : "s",
		comment[0] ? "; " : "", comment);
	t->lines++;
	t->covered += count;
}

/* "path PATTERN PERMS" (or "path PATTERN WORDS") into a new string. */
static char *path_line(const char *dir, const char *tail, uint32_t perms, const char *words)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	fputs("path ", f);
	put_pattern(f, dir, tail);
	if (words)
		fputs(words, f);
	else
		put_perms(f, perms);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The call of a path suggestion (none for one the evaluator cannot place: a thread's /proc). */
static size_t path_call(const struct spath *s, struct sb_suggest_call *c)
{
	if (s->gen == GEN_PROC && strstr(s->orig, "/task/"))
		return 0;
	*c = (struct sb_suggest_call){ .path = s->orig, .pid = s->pid, .perms = s->perms };
	return 1;
}

static bool read_only(const struct spath *s)
{
	return s->gen == GEN_EXACT && !s->folded &&
	       !(s->perms & ~(uint32_t)(SB_PERM_STAT | SB_PERM_READ | SB_PERM_LIST));
}

/* A path line for one name or pattern (never a glob over unseen names). */
static void suggest_one_path(struct sb_audit *a, FILE *out, const struct spath *s, struct tally *t)
{
	char comment[PATH_MAX + 160] = "";
	const char *base = strrchr(s->orig, '/');
	if (s->gen == GEN_PROC && strstr(s->orig, "/task/"))
		snprintf(comment, sizeof(comment),
			 "generalised: the calling thread's own /proc entry (tid %ld) as "
			 "/proc/thread-self",
			 s->pid);
	else if (s->gen == GEN_PROC)
		snprintf(comment, sizeof(comment),
			 "generalised: the caller's own /proc entry (pid %ld) as /proc/self",
			 s->pid);
	else if (s->gen == GEN_TEMP)
		snprintf(comment, sizeof(comment),
			 "generalised: %lu temporary name%s with a random suffix, such as %s, "
			 "that the program created",
			 s->names, s->names == 1 ? "" : "s", base ? base + 1 : s->orig);
	struct stat st;
	bool absent =
		a->o.absent_enoent && read_only(s) && lstat(s->path, &st) < 0 && errno == ENOENT;
	if (absent)
		snprintf(comment, sizeof(comment),
			 "no such file now: refused as missing, as the program found it, "
			 "granting nothing");
	_cleanup_free_ char *tmp =
		s->gen == GEN_TEMP ? strndup(s->path, strlen(s->path) - 1) : NULL;
	_cleanup_free_ char *line = path_line(tmp ? tmp : s->path, s->gen == GEN_TEMP ? "*" : "",
					      s->perms, absent ? " deny errno ENOENT nolog" : NULL);
	struct sb_suggest_call c;
	if (line && absent) {
		emit(a, out, line, &c, 0, NULL, comment, s->count, t);
		return;
	}
	if (line && (s->gen != GEN_TEMP || tmp))
		emit(a, out, line, &c, path_call(s, &c), s->rule, comment, s->count, t);
}

/*
 * Names in a temporary directory with a random suffix that the program created (gcc's
 * /tmp/ccTvkLMT.s, .o, .res) become one pattern per prefix (/tmp/cc*), with the permissions the
 * names were used with: the next run draws other names.
 */
static int fold_temps(struct sb_audit *a)
{
	size_t n = a->npaths;
	/* First the names that look random; then the rest of their prefix (a random suffix of
	 * lower case letters only, once in 180). */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			char pre[PATH_MAX + 2];
			struct spath from = a->paths[i];
			if (from.gen != GEN_EXACT || from.folded ||
			    !(from.perms & SB_PERM_CREATE) ||
			    !sb_suggest_temp_prefix(from.path, pass == 0, pre, sizeof(pre) - 1))
				continue;
			strcat(pre, "*");
			if (pass == 1 && !*sindex_slot(&a->path_index, pre, path_name, a->paths))
				continue;
			a->paths[i].folded = true;
			from.gen = GEN_TEMP;
			if (add_path(a, pre, &from) < 0)
				return -ENOMEM;
		}
	return 0;
}

/* Whether the program listed dir (a `list` denial on it): a glob then shows nothing new. */
static bool listed(const struct sb_audit *a, const char *dir)
{
	struct spath key = { .path = (char *)dir };
	const struct spath *s = bsearch(&key, a->paths, a->npaths, sizeof(*a->paths), cmp_path);
	return s && (s->perms & SB_PERM_LIST);
}

/*
 * The read-only names of one directory as one glob, DIR + "/" + "*": GLOB_MIN or more names
 * read (stat, read, list only) in a directory at least two levels deep that the program listed,
 * and in which it wrote, created, deleted and executed nothing. Never for a name written,
 * created, deleted or executed: those keep a line each, so a glob never hands out such a
 * permission on a name that was not seen; and a directory the program works in (writes) keeps a
 * line per name, so that another file in it (a secret beside the outputs) stays refused. Returns
 * whether it wrote one.
 */
static bool suggest_glob(struct sb_audit *a, FILE *out, size_t i, size_t j, size_t pl,
			 struct tally *t)
{
	const char *p = a->paths[i].path;
	char dir[PATH_MAX], comment[640];
	size_t ro = 0, nc = 0, o = 0;
	uint32_t perms = 0;
	unsigned long count = 0;
	snprintf(dir, sizeof(dir), "%.*s", (int)pl, p);
	for (size_t k = i; k < j; k++) {
		if (a->paths[k].gen == GEN_EXACT && !read_only(&a->paths[k]))
			return false; /* a work directory: its other names are not the program's */
		ro += read_only(&a->paths[k]);
	}
	if (ro < GLOB_MIN || depth(p, pl) < 2 || !listed(a, dir))
		return false;
	_cleanup_free_ struct sb_suggest_call *c = calloc(ro, sizeof(*c));
	if (!c)
		return false;
	o = (size_t)snprintf(comment, sizeof(comment),
			     "a glob for the %zu names read in this directory, which the program "
			     "listed (any other name in it too):",
			     ro);
	for (size_t k = i; k < j; k++) {
		if (!read_only(&a->paths[k]))
			continue;
		perms |= a->paths[k].perms;
		count += a->paths[k].count;
		nc += path_call(&a->paths[k], &c[nc]);
		if (o + 64 < sizeof(comment))
			o += (size_t)snprintf(comment + o, sizeof(comment) - o, " %s",
					      a->paths[k].path + pl + 1);
		else if (o + 5 < sizeof(comment))
			o += (size_t)snprintf(comment + o, sizeof(comment) - o, " ...");
	}
	_cleanup_free_ char *line = path_line(dir, "/*", perms, NULL);
	if (line)
		emit(a, out, line, c, nc, a->paths[i].rule, comment, count, t);
	return line != NULL;
}

/* The path lines, by directory (linear after the sort). */
static int suggest_paths(struct sb_audit *a, FILE *out, struct tally *t)
{
	if (fold_temps(a) < 0)
		return -ENOMEM;
	if (a->npaths)
		qsort(a->paths, a->npaths, sizeof(*a->paths), cmp_path);
	for (size_t i = 0, j; i < a->npaths; i = j) {
		const char *p = a->paths[i].path;
		size_t pl = parent_len(p);
		for (j = i; j < a->npaths && parent_len(a->paths[j].path) == pl &&
			    memcmp(a->paths[j].path, p, pl) == 0;
		     j++)
			;
		bool glob = suggest_glob(a, out, i, j, pl, t);
		for (size_t k = i; k < j; k++)
			if (!a->paths[k].folded && !(glob && read_only(&a->paths[k])))
				suggest_one_path(a, out, &a->paths[k], t);
	}
	return 0;
}

/* A syscall or net line, or the note that says why there is none. */
static void suggest_other(struct sb_audit *a, FILE *out, const struct sother *o, struct tally *t)
{
	const char *name = o->what + (strncmp(o->what, "allow ", 6) == 0 ? 6 : 0);
	if (o->note == NOTE_BUILTIN) {
		fputs("# not suggested: ", out);
		put_safe(out, name);
		fprintf(out,
			" (%lu call%s): the built-in dangerous set refuses it, and no suggestion "
			"lifts that\n",
			o->count, o->count == 1 ? "" : "s");
		return;
	}
	if (o->note == NOTE_NOARGS) {
		fputs("# not suggested: ", out);
		put_safe(out, o->what);
		fprintf(out,
			" (%lu call%s): the records carry no arguments, and without a condition "
			"the line would allow every call; write 'allow %s if argN == VALUE' for "
			"the values the program needs\n",
			o->count, o->count == 1 ? "" : "s", name);
		return;
	}
	struct sb_suggest_call c = { .nr = o->nr, .args = o->args };
	emit(a, out, o->what, &c, o->nr >= 0 ? 1 : 0, o->rule, "", o->count, t);
}

static int report_suggest(struct sb_audit *a, FILE *out)
{
	struct tally t = { 0 };
	fputs("# sysbroker audit --suggest: policy lines that allow what was denied.\n"
	      "# Review them, then append them to the policy (a file of its own needs a\n"
	      "# 'sysbroker-policy 1' line first, and an include).\n",
	      out);
	if (suggest_paths(a, out, &t) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < a->nothers; i++)
		suggest_other(a, out, &a->others[i], &t);
	fprintf(out, "# %lu line%s covering %lu denial%s\n", t.lines, t.lines == 1 ? "" : "s",
		t.covered, t.covered == 1 ? "" : "s");
	if (a->skipped_builtin)
		fprintf(out,
			"# not suggested: %lu denials by the built-in dangerous set (no suggestion "
			"lifts it)\n",
			a->skipped_builtin);
	if (a->skipped_limit)
		fprintf(out, "# not suggested: %lu calls over a limit (raise the rule's limit)\n",
			a->skipped_limit);
	if (a->skipped_nopath)
		fprintf(out, "# not suggested: %lu denials without a path or syscall name\n",
			a->skipped_nopath);
	if (a->skipped_proc)
		fprintf(out,
			"# not suggested: %lu denials in another process's or thread's /proc "
			"directory (a rule names only the caller's own: /proc/self, "
			"/proc/thread-self)\n",
			a->skipped_proc);
	if (a->skipped_family)
		fprintf(out,
			"# not suggested: %lu network denials of an address family or call net "
			"rules do not name\n",
			a->skipped_family);
	return 0;
}

int sb_audit_report(struct sb_audit *a, FILE *out)
{
	if (a->o.suggest)
		return report_suggest(a, out) < 0 || ferror(out) ? -EIO : 0;
	_cleanup_free_ struct group **v = sorted_groups(a);
	if (!v)
		return -ENOMEM;
	int r = a->o.json ? report_json(a, v, out) : report_text(a, v, out);
	return r < 0 || ferror(out) ? -EIO : 0;
}

/* --- the command ----------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("Usage: sysbroker audit [OPTIONS] [LOG...]\n"
	      "\n"
	      "Read audit logs (JSON Lines; standard input for none or -) and print the denials,\n"
	      "grouped by program, syscall and path or address, with counts, first and last time\n"
	      "and the deciding rule.\n"
	      "\n"
	      "  -j, --json            print the groups as JSON\n"
	      "  -s, --suggest         print policy lines that would allow what was denied\n"
	      "  -p, --policy FILE     with --suggest: check each line against the policy FILE\n"
	      "                        (the one the log was made with); a line a rule of it\n"
	      "                        outranks is written as a comment that says so\n"
	      "  -S, --since TIME      only records from TIME on (2024-05-01, 2024-05-01T10:00,\n"
	      "                        2024-05-01T10:00+02:00, or 30s, 10m, 2h, 1d ago); a\n"
	      "                        time without an offset is UTC\n"
	      "  -P, --pid PID         only records of this pid\n"
	      "  -c, --syscall NAME    only records of this syscall\n"
	      "  -d, --decision LIST   only these decisions (comma-separated: deny, would-deny,\n"
	      "                        allow, reload, reload-error, protocol-error,\n"
	      "                        killed); default\n"
	      "                        deny,would-deny\n"
	      "  -h, --help            show this help and exit\n"
	      "\n"
	      "Lines that are not records are reported on standard error with their line number\n"
	      "and skipped. Exit status: 0 done; 1 a LOG could not be read; 2 bad command line.\n"
	      "See sysbroker(1) and sysbroker-audit(5).\n",
	      f);
}

/* --decision LIST into *bits. Returns 0, or the exit status to stop with. */
static int parse_decisions(const char *arg, unsigned *bits)
{
	_cleanup_free_ char *list = strdup(arg);
	char *save = NULL;
	if (!list)
		return EXIT_USAGE;
	for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		unsigned bit = decision_bit(w);
		if (bit == SB_AUDIT_D_OTHER) {
			fprintf(stderr, "sysbroker audit: unknown decision '%s'\n", w);
			return EXIT_USAGE;
		}
		*bits |= bit;
	}
	if (!*bits) {
		fprintf(stderr, "sysbroker audit: --decision wants a list\n");
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * The command line into o (since: room for --since, normalised). Returns -1 to go on, or the
 * exit status to stop with.
 */
static int parse_args(int argc, char **argv, struct sb_audit_opts *o, char since[40])
{
	struct cli_opts opts;
	int c;

	cli_opts_init(&opts, "audit",
		      (const char *const[]){ "json", "suggest", "policy", "since", "pid", "syscall",
					     "decision", "help", NULL });
	while ((c = cli_opts_next(&opts, argc, argv)) != -1) {
		switch (c) {
		case 'S':
			if (sb_audit_parse_time(optarg, since, 40) < 0) {
				fprintf(stderr, "sysbroker audit: not a time: '%s'\n", optarg);
				return EXIT_USAGE;
			}
			o->since = since;
			break;
		case 'P':
			if (cli_parse_long(optarg, 0, INT32_MAX, &o->pid) < 0) {
				fprintf(stderr, "sysbroker audit: not a pid: '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			o->syscall = optarg;
			break;
		case 'd':
			if (parse_decisions(optarg, &o->decisions) != 0)
				return EXIT_USAGE;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 's':
			o->suggest = true;
			o->absent_enoent = true;
			break;
		case 'p':
			o->policy = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (o->json && o->suggest) {
		fprintf(stderr, "sysbroker audit: --json and --suggest exclude each other\n");
		cli_usage_hint("audit");
		return EXIT_USAGE;
	}
	if (o->policy && !o->suggest) {
		fprintf(stderr, "sysbroker audit: --policy goes with --suggest\n");
		cli_usage_hint("audit");
		return EXIT_USAGE;
	}
	return -1;
}

/* Feed every log (standard input for "-"). Returns 0, or 1 when one could not be read. */
static int feed_logs(struct sb_audit *a, char **logs)
{
	int ret = 0;
	for (; *logs; logs++) {
		bool is_stdin = strcmp(*logs, "-") == 0;
		FILE *f = is_stdin ? stdin : fopen(*logs, "re");
		if (!f) {
			fprintf(stderr, "sysbroker audit: %s: %s\n", *logs, strerror(errno));
			ret = 1;
			continue;
		}
		int r = sb_audit_feed(a, f, is_stdin ? "(stdin)" : *logs, stderr);
		if (r < 0) {
			fprintf(stderr, "sysbroker audit: %s: %s\n", *logs, strerror(-r));
			ret = 1;
		}
		if (!is_stdin)
			fclose(f);
	}
	return ret;
}

int sb_cmd_audit(int argc, char **argv)
{
	struct sb_audit_opts o = { .pid = -1 };
	char since[40];
	int ret = parse_args(argc, argv, &o, since);
	if (ret >= 0)
		return ret;
	struct sb_audit *a = NULL;
	if (sb_audit_new(&o, &a) < 0) {
		fprintf(stderr, "sysbroker audit: out of memory\n");
		return 1;
	}
	char why[700];
	if (o.policy && sb_audit_use_policy(a, o.policy, why, sizeof(why)) < 0) {
		fprintf(stderr, "sysbroker audit: %s\n", why);
		sb_audit_free(a);
		return 1;
	}
	char *stdin_only[] = { "-", NULL };
	ret = feed_logs(a, optind < argc ? argv + optind : stdin_only);
	if (sb_audit_report(a, stdout) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "sysbroker audit: cannot write the report\n");
		ret = 1;
	}
	sb_audit_free(a);
	return ret;
}
