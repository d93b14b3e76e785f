/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <linux/openat2.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "macro.h"
#include "syscalls.h"

const char *sb_open_flags_str(uint64_t flags, char *buf, size_t size)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} bits[] = {
		{ O_CREAT, "O_CREAT" },       { O_EXCL, "O_EXCL" },
		{ O_NOCTTY, "O_NOCTTY" },     { O_TRUNC, "O_TRUNC" },
		{ O_APPEND, "O_APPEND" },     { O_NONBLOCK, "O_NONBLOCK" },
		{ O_DSYNC, "O_DSYNC" },       { O_DIRECTORY, "O_DIRECTORY" },
		{ O_NOFOLLOW, "O_NOFOLLOW" }, { O_CLOEXEC, "O_CLOEXEC" },
		{ O_PATH, "O_PATH" },         { O_NOATIME, "O_NOATIME" },
		{ O_DIRECT, "O_DIRECT" },     { O_LARGEFILE, "O_LARGEFILE" },
	};
	const char *acc = (flags & O_ACCMODE) == O_RDONLY   ? "O_RDONLY"
			  : (flags & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
			  : (flags & O_ACCMODE) == O_RDWR   ? "O_RDWR"
							    : "O_ACCMODE";
	uint64_t rest = flags & ~(uint64_t)O_ACCMODE;
	size_t o = (size_t)snprintf(buf, size, "%s", acc);
	if ((flags & O_TMPFILE) == O_TMPFILE) {
		o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "|O_TMPFILE");
		rest &= ~(uint64_t)O_TMPFILE;
	}
	for (size_t i = 0; i < ELEMENTSOF(bits); i++)
		if (rest & bits[i].bit) {
			o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "|%s",
					      bits[i].name);
			rest &= ~bits[i].bit;
		}
	if (rest)
		snprintf(buf + o, o < size ? size - o : 0, "|%#llx", (unsigned long long)rest);
	return buf;
}

/* Where the flags and mode of an open-like call are. */
static void open_args(const struct sb_call *c, bool *has, uint64_t *flags, uint64_t *mode)
{
	*has = true;
	switch (c->nr) {
#ifdef SYS_open
	case SYS_open:
		*flags = c->args[1];
		*mode = c->args[2];
		return;
#endif
#ifdef SYS_creat
	case SYS_creat:
		*flags = O_CREAT | O_WRONLY | O_TRUNC;
		*mode = c->args[1];
		return;
#endif
	case SYS_openat:
		*flags = c->args[2];
		*mode = c->args[3];
		return;
	case SYS_openat2:
		if (c->in && c->in_len >= sizeof(struct open_how)) {
			/* A copy: the item sits in the request wherever the paths before it end. */
			struct open_how how;
			memcpy(&how, c->in, sizeof(how));
			*flags = how.flags;
			*mode = how.mode;
			return;
		}
		break;
	}
	*has = false;
}

/*
 * The log's rate: a sandbox that makes denied calls in a loop must not fill the disk or keep the
 * broker writing instead of serving. A token bucket of SB_AUDIT_BURST records refilled at
 * SB_AUDIT_RATE per second; what does not fit is counted, and a record that fits is preceded,
 * at most once a second, by one "suppressed" record with the count so far. The broker's one thread
 * is its only user: no lock.
 */
struct sb_audit_log {
	int fd;       /* borrowed */
	bool regular; /* a regular file: space is reserved before a write, a cut write undone */
	char sandbox[SB_SANDBOX_ID_LEN + 1];
	char container[SB_CONTAINER_ID_LEN + 1]; /* the agent's: the runtime's container id */
	double rate_tokens;
	struct timespec rate_last;
	unsigned long rate_dropped;
	time_t rate_reported;
	/* Records that could not be written since the last "log-error" record, and why. */
	unsigned long lost, lost_total;
	int lost_err;
	bool cut; /* a write was cut short and could not be undone: start the next on a new line */
	/*
	 * The record written last, as a key (every field but the time and the program: pid, call,
	 * decision, errno, permission, rule, paths, address), how many identical records were
	 * written in its second, and how many more were only counted (with what they were).
	 */
	char rep_key[4 * PATH_MAX + 256], rep_new[4 * PATH_MAX + 256];
	time_t rep_sec;
	unsigned rep_n;
	unsigned long rep_dropped;
	pid_t rep_pid;
	int rep_nr;
	char rep_rule[PATH_MAX + 32], rep_path[PATH_MAX];
	sb_audit_fail_fn on_fail;
	void *fail_data;
};

int sb_audit_log_new(int fd, struct sb_audit_log **ret)
{
	struct sb_audit_log *l = calloc(1, sizeof(*l));
	struct stat st;
	if (!l)
		return -ENOMEM;
	l->fd = fd;
	l->regular = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	l->rate_tokens = SB_AUDIT_BURST;
	*ret = l;
	return 0;
}

void sb_audit_log_on_fail(struct sb_audit_log *l, sb_audit_fail_fn fn, void *data)
{
	l->on_fail = fn;
	l->fail_data = data;
}

unsigned long sb_audit_log_lost(const struct sb_audit_log *l, int *err)
{
	if (err)
		*err = l ? l->lost_err : 0;
	return l ? l->lost_total : 0;
}

struct sb_audit_log *sb_audit_log_unref(struct sb_audit_log *l)
{
	free(l);
	return NULL;
}

void sb_audit_log_set_sandbox(struct sb_audit_log *l, const char *id)
{
	if (l)
		snprintf(l->sandbox, sizeof(l->sandbox), "%s", id ? id : "");
}

void sb_audit_log_set_container(struct sb_audit_log *l, const char *id)
{
	if (l)
		snprintf(l->container, sizeof(l->container), "%s", id ? id : "");
}

bool sb_audit_log_on(const struct sb_audit_log *l)
{
	return l && l->fd >= 0;
}

static void now_str(char *tbuf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(tbuf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(tbuf + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* The fields every record starts with. */
static json_object *record_new(const struct sb_audit_log *l)
{
	char tbuf[64];
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	now_str(tbuf, sizeof(tbuf));
	json_object_object_add(o, "v", json_object_new_int(SB_AUDIT_SCHEMA));
	json_object_object_add(o, "time", json_object_new_string(tbuf));
	if (l->sandbox[0])
		json_object_object_add(o, "sandbox", json_object_new_string(l->sandbox));
	if (l->container[0])
		json_object_object_add(o, "container", json_object_new_string(l->container));
	return o;
}

static bool rate_take(struct sb_audit_log *l, unsigned long *ret_dropped)
{
	struct timespec now;
	bool ok;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (l->rate_last.tv_sec || l->rate_last.tv_nsec) {
		double dt = (double)(now.tv_sec - l->rate_last.tv_sec) +
			    (double)(now.tv_nsec - l->rate_last.tv_nsec) / 1e9;
		l->rate_tokens += dt * SB_AUDIT_RATE;
		if (l->rate_tokens > SB_AUDIT_BURST)
			l->rate_tokens = SB_AUDIT_BURST;
	}
	l->rate_last = now;
	ok = l->rate_tokens >= 1.0;
	*ret_dropped = 0;
	if (ok) {
		l->rate_tokens -= 1.0;
		/* One "suppressed" record a second at most, or it would double the flood. */
		if (l->rate_dropped && now.tv_sec != l->rate_reported) {
			*ret_dropped = l->rate_dropped;
			l->rate_dropped = 0;
			l->rate_reported = now.tv_sec;
		}
	} else {
		l->rate_dropped++;
	}
	return ok;
}

/*
 * Write buf (len bytes, one record and its newline) whole or not at all. On a regular file the
 * space is reserved first (a full file system fails here, before a byte is written), and a
 * write cut short anyway is undone when the file still ends where that write left it (another
 * writer may have appended since: then the next record starts on a new line, so the cut one
 * stays a line of its own that readers skip). Returns 0 or -errno.
 */
static int write_whole(struct sb_audit_log *l, const char *buf, size_t len)
{
	struct stat st;
	off_t start = -1;
	if (l->regular && fstat(l->fd, &st) == 0) {
		start = st.st_size;
		int e = fallocate(l->fd, FALLOC_FL_KEEP_SIZE, start, (off_t)len);
		if (e < 0 && (errno == ENOSPC || errno == EDQUOT || errno == EFBIG))
			return -errno;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(l->fd, buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? -errno : -EIO;
			if (done == 0)
				return e;
			if (start >= 0 && fstat(l->fd, &st) == 0 &&
			    st.st_size == start + (off_t)done && ftruncate(l->fd, start) == 0)
				return e;
			l->cut = true;
			return e;
		}
		done += (size_t)w;
	}
	return 0;
}

/* o on one line of its own (after a newline if the last write was cut), whole or not at all. */
static int put_line(struct sb_audit_log *l, json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	_cleanup_free_ char *line = malloc(len + 3);
	if (!line)
		return -ENOMEM;
	size_t at = 0;
	if (l->cut)
		line[at++] = '\n';
	memcpy(line + at, s, len);
	at += len;
	line[at++] = '\n';
	int r = write_whole(l, line, at);
	if (r == 0)
		l->cut = false;
	return r;
}

/* The record a log writes before its first record after failures: what was lost, and why. */
static int put_lost(struct sb_audit_log *l)
{
	json_object *o = record_new(l);
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "decision", json_object_new_string("log-error"));
	json_object_object_add(o, "lost", json_object_new_int64((int64_t)l->lost));
	json_object_object_add(o, "error", json_object_new_string(sb_errno_name(l->lost_err)));
	int r = put_line(l, o);
	json_object_put(o);
	if (r == 0)
		l->lost = 0;
	return r;
}

/* One record on one line, whole or not at all; a failure is counted and reported. */
static int line_write(struct sb_audit_log *l, json_object *o)
{
	int r = l->lost ? put_lost(l) : 0;
	if (r == 0)
		r = put_line(l, o);
	json_object_put(o);
	if (r < 0) {
		if (!l->lost++)
			l->lost_err = -r;
		l->lost_total++;
		if (l->on_fail)
			l->on_fail(l->fail_data, -r, l->lost == 1);
	}
	return r;
}

static void write_suppressed(struct sb_audit_log *l, unsigned long n)
{
	json_object *s = record_new(l);
	if (!s)
		return;
	json_object_object_add(s, "decision", json_object_new_string("suppressed"));
	json_object_object_add(s, "count", json_object_new_int64((int64_t)n));
	line_write(l, s);
}

static int record_write_n(struct sb_audit_log *l, json_object *o, bool control,
			  unsigned long weight);

/* The identical records only counted, in a "suppressed" record that says what they were. */
static void repeat_flush(struct sb_audit_log *l)
{
	unsigned long n = l->rep_dropped;
	if (!n)
		return;
	l->rep_dropped = 0;
	json_object *o = record_new(l);
	if (!o)
		return;
	const char *name = sb_syscall_name(l->rep_nr);
	json_object_object_add(o, "pid", json_object_new_int(l->rep_pid));
	json_object_object_add(o, "syscall", json_object_new_string(name ? name : "?"));
	json_object_object_add(o, "nr", json_object_new_int(l->rep_nr));
	if (l->rep_path[0])
		json_object_object_add(o, "path", json_object_new_string(l->rep_path));
	json_object_object_add(o, "decision", json_object_new_string("suppressed"));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "rule", json_object_new_string(l->rep_rule));
	record_write_n(l, o, false, n);
}

void sb_audit_flush(struct sb_audit_log *l)
{
	if (!l)
		return;
	repeat_flush(l);
	unsigned long n = l->rate_dropped;
	l->rate_dropped = 0;
	if (n && l->fd >= 0)
		write_suppressed(l, n);
	/* What the last failures lost, if the log can be written again. */
	if (l->lost && l->fd >= 0)
		put_lost(l);
}

/*
 * One write per record, newline included: O_APPEND writers never interleave. A call's record
 * passes the rate limit; a control record (control: reload, reload-error) never waits for it
 * and is never left out.
 */
static int record_write_n(struct sb_audit_log *l, json_object *o, bool control,
			  unsigned long weight)
{
	unsigned long dropped = 0;
	if (!control && !rate_take(l, &dropped)) {
		/* A record that stood for several calls is counted as that many. */
		l->rate_dropped += weight - 1;
		json_object_put(o);
		return 0;
	}
	if (dropped)
		write_suppressed(l, dropped);
	return line_write(l, o);
}

static int record_write(struct sb_audit_log *l, json_object *o, bool control)
{
	repeat_flush(l);
	return record_write_n(l, o, control, 1);
}

/*
 * Is this call's record the same as the record before it, in a second that already has
 * SB_AUDIT_REPEAT of them? Then it is only counted: no /proc read, no JSON, no write. Exact
 * fields, not a hash: a path made to collide cannot hide behind another one's count.
 */
static bool repeat_drop(struct sb_audit_log *l, const struct sb_call *call, const char *decision,
			int err, uint32_t perm, const char *rule, const char *path,
			const char *path2, const char *addr)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int n = snprintf(l->rep_new, sizeof(l->rep_new), "%d %d %s %d %u %zu:%s%zu:%s%zu:%s%zu:%s",
			 (int)call->pid, call->nr, decision, err, perm, strlen(rule), rule,
			 strlen(path ? path : ""), path ? path : "", strlen(path2 ? path2 : ""),
			 path2 ? path2 : "", strlen(addr), addr);
	bool same = n > 0 && (size_t)n < sizeof(l->rep_new) && strcmp(l->rep_new, l->rep_key) == 0;
	if (same && now.tv_sec == l->rep_sec && l->rep_n >= SB_AUDIT_REPEAT) {
		if (!l->rep_dropped++) {
			l->rep_pid = call->pid;
			l->rep_nr = call->nr;
			snprintf(l->rep_rule, sizeof(l->rep_rule), "%s", rule);
			snprintf(l->rep_path, sizeof(l->rep_path), "%s", path ? path : "");
		}
		return true;
	}
	repeat_flush(l);
	if (!same || now.tv_sec != l->rep_sec)
		l->rep_n = 0;
	l->rep_n++;
	l->rep_sec = now.tv_sec;
	/* A key cut short by the buffer never equals another: such records are all written. */
	bool whole = n > 0 && (size_t)n < sizeof(l->rep_new);
	memcpy(l->rep_key, l->rep_new, whole ? (size_t)n + 1 : 0);
	if (!whole)
		l->rep_key[0] = 0;
	return false;
}

/*
 * The program behind a pid, as the kernel names it: /proc/PID/exe, and argv[0] from
 * /proc/PID/cmdline (the program's own memory: it may say anything). Read for every record, not
 * cached: an exec keeps the pid and its start time but changes both.
 */
static void add_program(json_object *o, pid_t pid)
{
	char p[64], buf[PATH_MAX];
	snprintf(p, sizeof(p), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(p, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		json_object_object_add(o, "exe", json_object_new_string(buf));
	}
	snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pid);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		/* Not valid UTF-8 would still be a JSON string: json-c escapes control bytes only.
		 */
		json_object_object_add(o, "argv0", json_object_new_string(buf));
	}
}

static void perms_str(uint32_t perms, char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = 0;
	for (uint32_t b = SB_PERM_READ; b <= SB_PERM_LIST; b <<= 1)
		if ((perms & b) && sb_perm_name(b))
			o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "%s%s",
					      o ? " " : "", sb_perm_name(b));
	if (o == 0)
		snprintf(buf, size, "stat");
}

/*
 * The raw arguments of a call a syscall rule decided, as hexadecimal strings (a JSON number cannot
 * hold every 64-bit value): what `sysbroker audit --suggest` writes the conditions of a suggested
 * rule from (clone's flags, ioctl's request, socket's family).
 */
static void add_args(json_object *o, const struct sb_call *call)
{
	json_object *a = json_object_new_array();
	char buf[24];
	if (!a)
		return;
	for (size_t i = 0; i < ELEMENTSOF(call->args); i++) {
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)call->args[i]);
		json_object_array_add(a, json_object_new_string(buf));
	}
	json_object_object_add(o, "args", a);
}

/* One record: decision is "allow", "deny" or "would-deny". */
static int write_one(struct sb_audit_log *l, const struct sb_call *call,
		     const struct sb_result *res, const struct sb_decision *d, const char *decision,
		     int err, const char *path, const char *path2, uint32_t perm, uint32_t perms,
		     const char *limit)
{
	char rule[PATH_MAX + 32], fbuf[256];
	const char *name = sb_syscall_name(call->nr);

	sb_decision_rule(d, rule, sizeof(rule));
	if (repeat_drop(l, call, decision, err, perm, rule, path, path2, res->addr))
		return 0;
	json_object *o = record_new(l);
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "pid", json_object_new_int(call->pid));
	add_program(o, call->pid);
	json_object_object_add(o, "syscall", json_object_new_string(name ? name : "?"));
	json_object_object_add(o, "nr", json_object_new_int(call->nr));
	if (path && path[0])
		json_object_object_add(o, "path", json_object_new_string(path));
	if (path2 && path2[0])
		json_object_object_add(o, "path2", json_object_new_string(path2));
	if (res->addr[0])
		json_object_object_add(o, "addr", json_object_new_string(res->addr));
	bool has;
	uint64_t flags = 0, mode = 0;
	open_args(call, &has, &flags, &mode);
	if (has) {
		json_object_object_add(
			o, "flags",
			json_object_new_string(sb_open_flags_str(flags, fbuf, sizeof(fbuf))));
		if (flags & O_CREAT) {
			snprintf(fbuf, sizeof(fbuf), "%04llo", (unsigned long long)(mode & 07777));
			json_object_object_add(o, "mode", json_object_new_string(fbuf));
		}
	}
	if (!perm && !(path && path[0]) && !res->addr[0])
		add_args(o, call);
	if (perm) {
		json_object_object_add(
			o, "perm",
			json_object_new_string(sb_perm_name(perm) ? sb_perm_name(perm) : "?"));
		perms_str(perms ? perms : perm, fbuf, sizeof(fbuf));
		json_object_object_add(o, "perms", json_object_new_string(fbuf));
	}
	json_object_object_add(o, "decision", json_object_new_string(decision));
	if (err > 0)
		json_object_object_add(o, "errno", json_object_new_string(sb_errno_name(err)));
	if (d->verdict == SB_KILL)
		json_object_object_add(o, "action", json_object_new_string("kill"));
	if (limit && limit[0])
		json_object_object_add(o, "limit", json_object_new_string(limit));
	json_object_object_add(o, "rule", json_object_new_string(rule));
	json_object_object_add(
		o, "transport",
		json_object_new_string(call->transport == SB_TRANSPORT_TRAP ? "trap" : "notify"));
	return record_write_n(l, o, false, 1);
}

int sb_audit_write(struct sb_audit_log *l, const struct sb_call *call, const struct sb_result *res)
{
	int r = 0;
	if (!sb_audit_log_on(l))
		return 0;
	for (unsigned i = 0; i < res->nlearned && i < SB_MAX_LEARNED; i++) {
		const struct sb_learned *w = &res->learned[i];
		int err = w->decision.verdict == SB_DENY
				  ? (w->decision.err > 0 ? w->decision.err
							 : (w->perm ? EACCES : EPERM))
				  : 0;
		int e = write_one(l, call, res, &w->decision, "would-deny", err, w->path, NULL,
				  w->perm, w->perms, NULL);
		if (e < 0 && r == 0)
			r = e;
	}
	const struct sb_decision *d = &res->decision;
	/* A call let through in learn mode has its records; its allow is logged only if asked. */
	if (res->nlearned && !d->log && !res->limit[0])
		return r;
	bool denied = res->ret < 0 && d->verdict == SB_DENY;
	int e = write_one(l, call, res, d, denied ? "deny" : "allow",
			  res->ret < 0 ? (int)-res->ret : 0, res->path, res->path2, res->perm,
			  res->perms, res->limit);
	return r < 0 ? r : e;
}

int sb_audit_event(struct sb_audit_log *l, pid_t pid, const char *decision, const char *key,
		   const char *value)
{
	if (!sb_audit_log_on(l))
		return 0;
	json_object *o = record_new(l);
	if (!o)
		return -ENOMEM;
	if (pid > 0)
		json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "decision", json_object_new_string(decision));
	if (key && value)
		json_object_object_add(o, key, json_object_new_string(value));
	/*
	 * The sandboxee makes protocol-error and killed records at will (a fresh channel per 64
	 * malformed messages, a fork per kill): they pass the rate limit like its calls' records,
	 * or it could fill the log's file system at the broker's full speed.
	 */
	bool sandboxee = strcmp(decision, "protocol-error") == 0 || strcmp(decision, "killed") == 0;
	return record_write(l, o, !sandboxee);
}

int sb_audit_kernel_deny(struct sb_audit_log *l, pid_t pid, int nr, const char *path,
			 const char *blockers)
{
	if (!sb_audit_log_on(l))
		return 0;
	json_object *o = record_new(l);
	if (!o)
		return -ENOMEM;
	const char *name = nr >= 0 ? sb_syscall_name(nr) : NULL;
	if (pid > 0) {
		json_object_object_add(o, "pid", json_object_new_int(pid));
		add_program(o, pid);
	}
	json_object_object_add(o, "syscall", json_object_new_string(name ? name : "?"));
	json_object_object_add(o, "nr", json_object_new_int(nr));
	if (path && path[0])
		json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "decision", json_object_new_string("deny"));
	json_object_object_add(o, "errno", json_object_new_string("EACCES"));
	json_object_object_add(o, "rule", json_object_new_string("kernel"));
	if (blockers && blockers[0])
		json_object_object_add(o, "blockers", json_object_new_string(blockers));
	json_object_object_add(o, "transport", json_object_new_string("kernel"));
	/* The sandbox makes these at will, like its calls' records: rate limited with them. */
	return record_write(l, o, false);
}

int sb_audit_note(struct sb_audit_log *l, const char *decision, const char *key, const char *value)
{
	if (!sb_audit_log_on(l))
		return 0;
	json_object *o = record_new(l);
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "decision", json_object_new_string(decision));
	json_object_object_add(o, key, json_object_new_string(value));
	/* Nothing the sandbox did is lost with it: not counted, never stops the sandbox. */
	int r = put_line(l, o);
	json_object_put(o);
	return r;
}
