/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The executor: decides one brokered file syscall with the path rules and, when they allow it,
 * performs it on the sandboxee's behalf.
 *
 * Three rules hold everywhere:
 *
 * - The decision is made on the canonical path of what the kernel resolved (broker/resolve.c), and
 *   the operation then goes through that very fd: an O_PATH fd on the object, or on its parent
 *   directory plus a last component for calls that create or remove a name. The path string is
 *   never resolved a second time, so swapping a symlink between the check and the use changes
 *   nothing.
 * - The kernel's own answers are kept (ENOENT, ENOTDIR, EEXIST, ELOOP, EISDIR...), but only where
 *   the policy lets the caller learn them: an error says something about the file system, so it is
 *   returned only after the policy allowed at least "stat" on the most precise canonical path we
 *   can name for it (see refused()).
 * - Flags and numbers are validated the way the kernel validates them, before anything happens.
 *
 * Known residuals: the broker acts with its own credentials, so access()
 * answers, O_NOATIME, ownership of new files and explicit utimensat times reflect the broker; the
 * run command is to drop the broker's privileges to the caller's where it can. New files get the
 * caller's umask applied here; the broker process itself must run with umask 0 (or each worker
 * thread with its own fs_struct and umask 0) or its own umask is applied on top.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "creds.h"
#include "executor.h"
#include "macro.h"
#include "proc.h"
#include "quota.h"
#include "resolve.h"
#include "util.h"

/* The kernel's own values where glibc's differ (glibc's O_LARGEFILE is 0 on 64-bit, and its
 * O_TMPFILE includes O_DIRECTORY). */
#if defined(__x86_64__)
#define K_O_LARGEFILE 0100000
#elif defined(__aarch64__)
#define K_O_LARGEFILE 0400000
#else
#error "unsupported architecture"
#endif
#define K_O_TMPFILE (O_TMPFILE & ~O_DIRECTORY)
#define VALID_OPEN_FLAGS                                                                           \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |     \
	 O_SYNC | O_ASYNC | O_DIRECT | K_O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |      \
	 O_CLOEXEC | O_PATH | K_O_TMPFILE)
#define O_PATH_FLAGS (O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)
#define VALID_RESOLVE_FLAGS                                                                        \
	(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH |         \
	 RESOLVE_IN_ROOT | RESOLVE_CACHED)
#ifndef OPEN_HOW_SIZE_VER0
#define OPEN_HOW_SIZE_VER0 24
#endif
#ifndef STATX__RESERVED
#define STATX__RESERVED 0x80000000U
#endif
#define SB_PAGE_SIZE 4096 /* the kernel's limit on an extensible struct (openat2) */
#define SB_MAXSYMLINKS 40 /* the kernel's limit on symlinks followed in one lookup */

/* Permissions on the object itself, as opposed to on its name (create, delete). */
#define OBJECT_PERMS (SB_PERM_STAT | SB_PERM_READ | SB_PERM_WRITE | SB_PERM_EXEC | SB_PERM_LIST)

struct ctx {
	const struct sb_policy *policy;
	struct sb_limits *limits; /* the broker's counters */
	const struct sb_call *call;
	const struct sb_shape *sh; /* the call's row of the syscall table */
	struct sb_result *res;
	bool denied;         /* res->decision is a denial: keep it for the audit record */
	uint64_t counted[4]; /* statements whose limits this call was counted against */
	unsigned ncounted;
	const char *path[2];   /* the path arguments with /proc/self rewritten, or NULL */
	char buf[2][PATH_MAX]; /* storage for path[] */
	struct sb_caller who;  /* what /proc/self and /proc/thread-self are: see caller() */
	bool who_read;
};

static void resolved_close(struct sb_resolved *r)
{
	r->fd = safe_close(r->fd);
}
#define _cleanup_resolved_ _cleanup_(resolved_close)

static void copy_path(char dst[PATH_MAX], const char *src)
{
	size_t n = strnlen(src, PATH_MAX - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

static void fd_link(int fd, char buf[32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

/*
 * The process and thread that /proc/self and /proc/thread-self mean for this call, read once,
 * when a path needs them. notify: the kernel names the thread, and its status the process it
 * belongs to. trap: SCM_CREDENTIALS names the process, not the thread, so the thread is known
 * only while the process has no other (then it is the one); else thread-self names nothing.
 * What cannot be read is 0: the policy's /proc/self rules then match nothing.
 */
static const struct sb_caller *caller(struct ctx *c)
{
	char buf[4096];
	pid_t pid = c->call->pid;

	if (c->who_read)
		return &c->who;
	c->who_read = true;
	uint64_t tgid = 0, threads = 0;
	bool ok = sb_proc_status(pid, buf, sizeof(buf)) > 0;
	if (ok && sb_proc_status_number(buf, "Tgid", 10, &tgid) < 0)
		tgid = 0;
	if (c->call->transport == SB_TRANSPORT_NOTIFY) {
		bool known = tgid > 0 && tgid <= INT32_MAX;
		c->who = (struct sb_caller){ .pid = known ? (pid_t)tgid : 0,
					     .tid = known ? pid : 0 };
	} else {
		if (ok && sb_proc_status_number(buf, "Threads", 10, &threads) < 0)
			threads = 0;
		c->who = (struct sb_caller){ .pid = pid,
					     .tid = threads == 1 && tgid == (uint64_t)pid ? pid
											  : 0 };
	}
	return &c->who;
}

/*
 * The broker resolves in its own process, where /proc/self and /proc/thread-self name the broker:
 * give the caller its own (caller()); the policy decides on the result, so spelling a path
 * /proc/self/x or /proc/PID/x makes no difference. A trap caller whose thread is not known gets
 * its main thread's directory for thread-self. Paths that reach /proc/self some other way (a
 * symlink, a relative path from /proc) still land in the broker's directory, which
 * builtin_denied() refuses.
 */
static int rewrite_proc_self(struct ctx *c, const char *in, char out[PATH_MAX])
{
	const char *p = in;
	int n = -1;

	if (*p == '/') {
		while (*p == '/')
			p++;
		if (strncmp(p, "proc/", 5) == 0) {
			p += 5;
			while (*p == '/')
				p++;
			bool self = strncmp(p, "self", 4) == 0 && (p[4] == '/' || p[4] == 0);
			bool thread =
				strncmp(p, "thread-self", 11) == 0 && (p[11] == '/' || p[11] == 0);
			/* trap: the caller's pid is its process; the status tells only the thread
			 */
			bool trap = c->call->transport != SB_TRANSPORT_NOTIFY;
			if (self && trap) {
				n = snprintf(out, PATH_MAX, "/proc/%d%s", (int)c->call->pid, p + 4);
			} else if (self || thread) {
				const struct sb_caller *w = caller(c);
				pid_t pid = w->pid ? w->pid : c->call->pid;
				n = self ? snprintf(out, PATH_MAX, "/proc/%d%s", (int)pid, p + 4)
					 : snprintf(out, PATH_MAX, "/proc/%d/task/%d%s", (int)pid,
						    (int)(w->tid ? w->tid : pid), p + 11);
			}
		}
	}
	if (n < 0) {
		size_t len = strnlen(in, PATH_MAX);
		if (len >= PATH_MAX)
			return -ENAMETOOLONG;
		memcpy(out, in, len + 1);
		return 0;
	}
	return n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* The last component of a path, the way the kernel's parent lookup splits it. */
enum last_kind {
	LAST_NORM,
	LAST_DOT,
	LAST_DOTDOT,
	LAST_ROOT,
};

struct split {
	size_t dirlen;  /* bytes before the last component (0: the starting directory) */
	size_t lastlen; /* length of the last component, without trailing slashes */
	bool trailing;  /* the last component is followed by '/' */
	enum last_kind kind;
};

static void split_path(const char *path, struct split *s)
{
	size_t len = strlen(path), end = len;

	while (end > 0 && path[end - 1] == '/')
		end--;
	*s = (struct split){ 0 };
	if (end == 0) {
		s->kind = len > 0 ? LAST_ROOT : LAST_NORM; /* "" is refused with ENOENT elsewhere */
		return;
	}
	size_t start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	s->dirlen = start;
	s->lastlen = end - start;
	s->trailing = end < len;
	if (s->lastlen == 1 && path[start] == '.')
		s->kind = LAST_DOT;
	else if (s->lastlen == 2 && path[start] == '.' && path[start + 1] == '.')
		s->kind = LAST_DOTDOT;
	else
		s->kind = LAST_NORM;
}

/*
 * The name to act on in the parent directory. sb_resolve() drops trailing slashes from it, but
 * they matter to the kernel (unlink("f/") is ENOTDIR, mkdir("d/") is fine), so they go back.
 */
static void act_name(const struct sb_resolved *r, const char *path, char name[NAME_MAX + 2])
{
	struct split s;
	size_t n = strnlen(r->last, NAME_MAX);

	split_path(path, &s);
	memcpy(name, r->last, n);
	if (s.trailing)
		name[n++] = '/';
	name[n] = 0;
}

/* "/proc/<digits>" followed by the end or "/"; returns the rest, or NULL. */
static const char *skip_proc_pid(const char *p)
{
	if (strncmp(p, "/proc/", 6) != 0)
		return NULL;
	p += 6;
	if (*p < '0' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == '/' || *p == 0 ? p : NULL;
}

static bool is_proc_mem(const char *path)
{
	const char *p = skip_proc_pid(path);
	if (!p)
		return false;
	if (strncmp(p, "/task/", 6) == 0) {
		p += 6;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return strcmp(p, "/mem") == 0;
}

/* Whether /proc/N names a thread of the broker's thread group (its Tgid is the broker's pid). */
static bool broker_task(long n, pid_t me)
{
	char status[4096];
	uint64_t tgid;

	if (n == (long)me)
		return true;
	if (n <= 0 || n > INT_MAX || sb_proc_read((pid_t)n, "status", status, sizeof(status)) < 0)
		return false; /* no such task: nothing of the broker's to reach */
	return sb_proc_status_number(status, "Tgid", 10, &tgid) == 0 && tgid == (uint64_t)me;
}

/*
 * Objects no policy grants through the broker: the broker's own /proc directory (reached through
 * a symlink to /proc/self, or a relative path from /proc: its environment, memory and fds are the
 * broker's, not the caller's) by its pid or any thread's id (/proc/TID, /proc/N/task/TID: keyed
 * on the thread group, though the broker has no thread besides its main one), and the memory of
 * any process beyond a stat (the broker's credentials would let it write another process's
 * memory; see shared/DESIGN.md).
 */
static bool builtin_denied(const struct ctx *c, const char *path, uint32_t perm)
{
	pid_t me = sb_self_pid();

	if (c->call->pid != me && strncmp(path, "/proc/", 6) == 0) {
		const char *p = skip_proc_pid(path);
		if (p && broker_task(strtol(path + 6, NULL, 10), me))
			return true;
		if (p && strncmp(p, "/task/", 6) == 0 && p[6] >= '0' && p[6] <= '9' &&
		    broker_task(strtol(p + 6, NULL, 10), me))
			return true;
	}
	return (perm & ~SB_PERM_STAT) && is_proc_mem(path);
}

static void evaluate(struct ctx *c, const char *path, uint32_t perm, struct sb_decision *d)
{
	static const struct sb_decision builtin_deny = {
		.verdict = SB_DENY,
		.err = EACCES,
		.log = true,
		.builtin = true,
		.rule_id = -1,
	};

	/* Only a path under /proc can be the caller's own directory. */
	const struct sb_caller *who = strncmp(path, "/proc/", 6) == 0 ? caller(c) : NULL;
	if (builtin_denied(c, path, perm) ||
	    sb_policy_eval_path_as(c->policy, who, path, perm, d) < 0)
		*d = builtin_deny;
}

static int decision_errno(const struct sb_decision *d)
{
	if (d->verdict == SB_ALLOW)
		return 0;
	return -(d->err > 0 ? d->err : EACCES);
}

/* Keep the first denial (or else the latest decision) and the paths for the audit record. */
static void record(struct ctx *c, int slot, const char *path, uint32_t perm, uint32_t perms,
		   const struct sb_decision *d)
{
	copy_path(slot ? c->res->path2 : c->res->path, path);
	if (c->denied)
		return;
	c->res->decision = *d;
	c->res->perm = perm;
	c->res->perms = perms;
	c->denied = d->verdict != SB_ALLOW;
}

/*
 * Learn mode: a denial the policy may learn is let through, and kept for its "would-deny"
 * record (the same path and permissions once per call). Returns true when it was.
 */
static bool learn(struct ctx *c, const char *path, uint32_t perm, uint32_t perms,
		  const struct sb_decision *d)
{
	struct sb_result *res = c->res;
	if (!c->policy->learn || !sb_decision_learnable(d))
		return false;
	for (unsigned i = 0; i < res->nlearned; i++)
		if (res->learned[i].perms == perms && strcmp(res->learned[i].path, path) == 0)
			return true;
	if (res->nlearned < SB_MAX_LEARNED) {
		struct sb_learned *l = &res->learned[res->nlearned++];
		l->decision = *d;
		l->perm = perm;
		l->perms = perms;
		copy_path(l->path, path);
	}
	return true;
}

/*
 * Limits: an allow by a limited rule counts once per call and statement; over a limit the call
 * is refused with the rule's errno and the record names the limit.
 */
static void apply_limits(struct ctx *c, struct sb_decision *d)
{
	if (d->verdict != SB_ALLOW || !d->limit)
		return;
	for (unsigned i = 0; i < c->ncounted; i++)
		if (c->counted[i] == d->key)
			return;
	char what[sizeof(c->res->limit)];
	int e = sb_limits_take_in(c->limits, d, what, sizeof(what));
	if (e == 0) {
		if (c->ncounted < ELEMENTSOF(c->counted))
			c->counted[c->ncounted++] = d->key;
		return;
	}
	d->verdict = SB_DENY;
	d->err = -e;
	d->log = true;
	if (!c->denied)
		sb_strlcpy(c->res->limit, what, sizeof(c->res->limit));
}

/*
 * Decide perm (one or several SB_PERM_* bits, all needed) on a canonical path. Returns 0 or the
 * errno for the caller. The audit record names a single permission: the first one missing, or
 * the first one asked for, in the order that says most about the operation.
 */
static int decide(struct ctx *c, int slot, const char *path, uint32_t perm)
{
	static const uint32_t order[] = { SB_PERM_CREATE, SB_PERM_DELETE, SB_PERM_EXEC,
					  SB_PERM_READ,   SB_PERM_LIST,   SB_PERM_WRITE,
					  SB_PERM_STAT };
	struct sb_decision d;
	uint32_t named = 0;

	evaluate(c, path, perm, &d);
	for (size_t i = 0; i < ELEMENTSOF(order); i++) {
		struct sb_decision one;
		if (!(perm & order[i]))
			continue;
		if (!named)
			named = order[i];
		if (d.verdict == SB_ALLOW)
			break;
		evaluate(c, path, order[i], &one);
		if (one.verdict != SB_ALLOW) {
			named = order[i];
			break;
		}
	}
	apply_limits(c, &d);
	if (d.verdict != SB_ALLOW && learn(c, path, named, perm, &d)) {
		copy_path(slot ? c->res->path2 : c->res->path, path);
		return 0;
	}
	record(c, slot, path, named, perm, &d);
	return decision_errno(&d);
}

/* A decision without a path: objects that have no name (memfd, deleted or O_TMPFILE files) and
 * lookups that fail before any directory resolves meet `default path`, which always denies. */
static int decide_default(struct ctx *c, uint32_t perm)
{
	const struct sb_default *def = &c->policy->def_path;
	struct sb_decision d = {
		.verdict = def->verdict,
		.err = def->verdict == SB_DENY ? def->err : 0,
		.log = def->log,
		.origin = def->origin.file ? &def->origin : NULL,
		.rule_id = -1,
	};

	if (d.verdict != SB_ALLOW && learn(c, "", perm, perm, &d))
		return 0;
	if (!c->denied) {
		c->res->decision = d;
		c->res->perm = perm;
		c->res->perms = perm;
		c->denied = d.verdict != SB_ALLOW;
	}
	return decision_errno(&d);
}

/* For the audit record of a call on the caller's own fd, which needs no decision. */
static void note_fd(struct ctx *c, int fd)
{
	char p[PATH_MAX];
	if (sb_fd_path(fd, p, sizeof(p)) == 0)
		copy_path(c->res->path, p);
}

/*
 * The kernel refused to resolve path with err. Its error tells the caller something about the
 * file system (this name does not exist, that one is not a directory, this is a magic link), so
 * it may only learn it where it may stat: decide "stat" on the most precise canonical path we
 * can name for the place the kernel stopped. That is the failing path's parent plus its last
 * component; if the parent does not resolve either, the deepest prefix whose parent does. Where
 * that component is a symlink the kernel followed, the failure is in its target: follow it (one
 * link at a time, from the link's directory, at most 40) and look again, or a symlink in a
 * granted directory pointing anywhere would tell whether anything exists there. Magic links
 * (procfs) are not followed: the kernel's ELOOP is about the link itself. If nothing resolves
 * (the caller's directory was deleted), the default decides. A denial returns the policy's
 * errno, so a name outside the policy looks the same whether it exists or not.
 */
static int refused(struct ctx *c, int slot, const char *path, int dirfd, enum sb_resolve_mode mode,
		   int err)
{
	char cur[PATH_MAX], buf[PATH_MAX], target[PATH_MAX], next[PATH_MAX];
	_cleanup_close_ int linkdir = -1; /* the directory of the last symlink followed */
	bool follow_last = mode == SB_RESOLVE_FOLLOW;
	int hops = 0;

	copy_path(cur, path);
	for (;;) {
		_cleanup_resolved_ struct sb_resolved pr = { .fd = -1 };
		struct split s;
		struct stat st;
		struct statfs sfs;
		size_t n = strlen(cur);

		memcpy(buf, cur, n + 1);
		while (sb_resolve(dirfd, buf, SB_RESOLVE_PARENT, 0, &pr) < 0) {
			split_path(buf, &s);
			if (s.kind == LAST_ROOT || s.dirlen == 0)
				goto nothing;
			n = s.dirlen;
			while (n > 1 && buf[n - 1] == '/')
				n--;
			if (n == 1 && buf[0] == '/')
				goto nothing; /* "/" always resolves: nothing above to try */
			buf[n] = 0;
		}
		split_path(buf, &s);
		bool followed = cur[n] != 0 || follow_last || s.trailing;
		if (followed && ++hops <= SB_MAXSYMLINKS &&
		    fstatat(pr.fd, pr.last, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
		    fstatfs(pr.fd, &sfs) == 0 && sfs.f_type != PROC_SUPER_MAGIC) {
			ssize_t l = readlinkat(pr.fd, pr.last, target, sizeof(target) - 1);
			if (l > 0) {
				target[l] = 0;
				if (rewrite_proc_self(c, target, next) == 0 &&
				    strlen(next) + strlen(cur + n) < sizeof(next)) {
					/* A link's own target is always followed to its end. */
					if (cur[n] == 0)
						follow_last = true;
					strcat(next, cur + n);
					memcpy(cur, next, strlen(next) + 1);
					safe_close(linkdir);
					linkdir = TAKE_FD(pr.fd);
					dirfd = linkdir;
					continue;
				}
			}
		}
		int r = decide(c, slot, pr.path, SB_PERM_STAT);
		return r < 0 ? r : err;
	}
nothing:;
	int r = decide_default(c, SB_PERM_STAT);
	return r < 0 ? r : err;
}

/* Resolve path (relative to dirfd unless absolute). Returns 0 with ret filled, or the errno for the
 * caller (refused() decided whether it may learn the kernel's). Nothing is decided on success. */
static int lookup(struct ctx *c, int slot, const char *path, int dirfd, enum sb_resolve_mode mode,
		  uint64_t rflags, struct sb_resolved *ret)
{
	if (!path)
		return -EFAULT;
	if (path[0] == 0)
		return -ENOENT; /* "" without AT_EMPTY_PATH: says nothing about any file */
	if (path[0] != '/' && dirfd < 0)
		return -EBADF;
	int r = sb_resolve(dirfd, path, mode, rflags, ret);
	return r < 0 ? refused(c, slot, path, dirfd, mode, r) : 0;
}

/* Resolve, then decide perm on the canonical path: the first step of most calls. */
static int lookup_decide(struct ctx *c, int slot, const char *path, int dirfd,
			 enum sb_resolve_mode mode, uint64_t rflags, uint32_t perm,
			 struct sb_resolved *ret)
{
	int e = lookup(c, slot, path, dirfd, mode, rflags, ret);
	if (e < 0)
		return e;
	return decide(c, slot, ret->path, perm);
}

/* For a last component of ".", ".." or "/", which the kernel refuses to create or remove with an
 * error of its own: the object exists, so that error needs "stat" on it. */
static int exists_error(struct ctx *c, int slot, int err)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	int e = lookup(c, slot, c->path[slot], c->call->dirfd[slot], SB_RESOLVE_FOLLOW, 0, &r);
	if (e < 0)
		return e;
	e = decide(c, slot, r.path, SB_PERM_STAT);
	return e < 0 ? e : -err;
}

/*
 * Each object permission the new name would grant must already be granted at a name the object
 * has: a hard link (or a rename) must never widen access to an object. "create" and "delete" are
 * about names, not the object (removing the new name leaves the old one), so they are not
 * compared.
 */
static int no_widening(struct ctx *c, int from_slot, const char *from, const char *to)
{
	for (uint32_t bit = 1; bit <= SB_PERM_LIST; bit <<= 1) {
		struct sb_decision at_to, at_from;
		if (!(bit & OBJECT_PERMS))
			continue;
		evaluate(c, to, bit, &at_to);
		if (at_to.verdict != SB_ALLOW)
			continue;
		evaluate(c, from, bit, &at_from);
		if (at_from.verdict != SB_ALLOW) {
			if (learn(c, from, bit, bit, &at_from))
				continue;
			record(c, from_slot, from, bit, bit, &at_from);
			return decision_errno(&at_from);
		}
	}
	copy_path(from_slot ? c->res->path2 : c->res->path, from);
	return 0;
}

/* --- open, openat, openat2, creat --------------------------------------------------------------
 *
 * Reading a file needs "read", reading a directory (getdents) "list", writing, truncating or
 * appending "write", all of those asked for at once; O_PATH needs only "stat". A name that does
 * not exist yet needs "create" on it, plus what the new fd allows. Existing objects are reopened
 * from the resolved O_PATH fd through /proc/self/fd; new files are created in the resolved parent
 * with O_EXCL|O_NOFOLLOW, so the object opened is always the one decided on.
 */

static uint32_t open_perms(int flags, bool dir)
{
	uint32_t need = 0;
	int acc = flags & O_ACCMODE;

	if (acc != O_WRONLY) /* O_RDONLY, O_RDWR and 3 (ioctl-only: the kernel wants both) */
		need |= dir ? SB_PERM_LIST : SB_PERM_READ;
	if (acc != O_RDONLY)
		need |= SB_PERM_WRITE;
	if (flags & (O_TRUNC | O_APPEND))
		need |= SB_PERM_WRITE;
	return need;
}

/*
 * Open the resolved file rt->fd with rt->flags (O_NONBLOCK among them), then give back what the
 * caller asked for: O_NONBLOCK cleared unless it asked for it, or the truncate done. A regular
 * file's open fails with EWOULDBLOCK while a lease conflicts (the kernel starts breaking it):
 * 1, the call waits (only when the caller did not ask for O_NONBLOCK). Else 0, res->ret set.
 */
static int open_once(const struct sb_retry *rt, struct sb_result *res, bool lease)
{
	char name[16];
	int fds = sb_fd_name(rt->fd, name);
	if (fds < 0) {
		res->ret = fds;
		return 0;
	}
	_cleanup_close_ int fd = openat(fds, name, rt->flags);
	if (fd < 0 && errno == EWOULDBLOCK && lease && !rt->nonblock)
		return 1;
	/* A FIFO opened for writing waits for its reader, as the kernel's open does. */
	if (fd < 0 && errno == ENXIO && rt->fifo && !rt->nonblock)
		return 1;
	res->ret = fd < 0 ? -errno : 0;
	if (fd < 0)
		return 0;
	if (rt->truncate) {
		res->ret = ftruncate(fd, (off_t)rt->length) < 0 ? -errno : 0;
		return 0;
	}
	if (!rt->nonblock) {
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
			res->ret = -errno;
			return 0;
		}
	}
	res->fd = TAKE_FD(fd);
	return 0;
}

/* open_once, and when a lease holds a regular file, res->retry for the loop (dispatch.c). */
static int open_nowait(struct sb_result *res, const struct sb_retry *rt, bool regular)
{
	if (open_once(rt, res, regular) == 0)
		return (int)res->ret;
	res->retry = *rt;
	res->retry.fd = fcntl(rt->fd, F_DUPFD_CLOEXEC, 3);
	if (res->retry.fd < 0)
		return -errno;
	res->retry.pending = true;
	return -EWOULDBLOCK;
}

int sb_execute_retry(struct sb_result *res)
{
	struct sb_retry *rt = &res->retry;
	if (open_once(rt, res, true) > 0)
		return 1;
	rt->fd = safe_close(rt->fd);
	rt->pending = false;
	return 0;
}

static int open_existing(struct ctx *c, struct sb_resolved *r, int flags)
{
	struct stat st;
	int err = 0, e;

	if (fstat(r->fd, &st) < 0)
		return -errno;
	/* The kernel's order (do_open, then may_open). */
	bool dir = S_ISDIR(st.st_mode);
	if ((flags & O_CREAT) && dir)
		err = EISDIR;
	else if ((flags & O_DIRECTORY) && !dir)
		err = ENOTDIR;
	else if (S_ISLNK(st.st_mode))
		err = ELOOP; /* O_NOFOLLOW on a trailing symlink */
	if (err) {
		e = decide(c, 0, r->path, SB_PERM_STAT);
		return e < 0 ? e : -err;
	}
	e = decide(c, 0, r->path, open_perms(flags, dir));
	if (e < 0)
		return e;

	/*
	 * Nothing is opened in a way that can block (open_nowait): a FIFO or a device opened
	 * O_NONBLOCK does not wait for its peer (read: no writer yet, read() sees EOF; write: no
	 * reader, ENXIO). O_NOCTTY always: a tty must never become the broker's.
	 */
	struct sb_retry rt = { .fd = r->fd,
			       .flags = (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW | O_DIRECTORY)) |
					O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
			       .nonblock = flags & O_NONBLOCK,
			       .fifo = S_ISFIFO(st.st_mode) };
	return open_nowait(c->res, &rt, S_ISREG(st.st_mode) || rt.fifo);
}

/* Setuid and setgid bits are not passed on: the broker's files are the broker's (often root's),
 * and a setuid-root file made for the sandboxee would be a way out for anyone. */
static mode_t create_mode(unsigned mode, mode_t umask_)
{
	return (mode_t)(mode & 07777 & ~umask_ & ~(S_ISUID | S_ISGID));
}

static int open_create(struct ctx *c, int flags, unsigned mode, uint64_t rflags)
{
	const char *path = c->path[0];
	int dirfd = c->call->dirfd[0];
	_cleanup_close_ int hopfd = -1; /* the directory of a dangling symlink being followed */
	char target[PATH_MAX], hop[PATH_MAX];
	int hops = 0, retried = 0, e;
	mode_t um = 0;
	bool have_um = false;

	for (;;) {
		_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
		struct split s;

		split_path(path, &s);
		if (path[0] != 0 && s.kind != LAST_NORM) {
			/* ".", ".." or "/" always exist: EEXIST with O_EXCL, else EISDIR. */
			e = lookup(c, 0, path, dirfd, SB_RESOLVE_FOLLOW, rflags, &r);
			if (e < 0)
				return e;
			if (flags & O_EXCL) {
				e = decide(c, 0, r.path, SB_PERM_STAT);
				return e < 0 ? e : -EEXIST;
			}
			return open_existing(c, &r, flags);
		}
		if (!(flags & O_EXCL)) {
			/* An existing object is opened as such: O_CREAT changes nothing then. */
			enum sb_resolve_mode m =
				flags & O_NOFOLLOW ? SB_RESOLVE_NOFOLLOW : SB_RESOLVE_FOLLOW;
			if (path[0] == 0)
				return -ENOENT;
			if (path[0] != '/' && dirfd < 0)
				return -EBADF;
			e = sb_resolve(dirfd, path, m, rflags, &r);
			if (e == 0)
				return open_existing(c, &r, flags);
			if (e != -ENOENT)
				return refused(c, 0, path, dirfd, m, e);
		}

		e = lookup(c, 0, path, dirfd, SB_RESOLVE_PARENT, rflags, &r);
		if (e < 0)
			return e;
		e = decide(c, 0, r.path, SB_PERM_CREATE | open_perms(flags & ~O_TRUNC, false));
		if (e < 0)
			return e;
		if (!have_um) {
			e = sb_proc_umask(c->call->pid, &um);
			if (e < 0)
				return e;
			have_um = true;
		}
		char name[NAME_MAX + 2];
		act_name(&r, path, name);
		int fd = openat(r.fd, name,
				flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
				create_mode(mode, um));
		if (fd >= 0) {
			c->res->fd = fd;
			return 0;
		}
		if (errno != EEXIST || (flags & O_EXCL))
			return -errno;

		/*
		 * The name exists after all. A dangling symlink, which the kernel follows to create
		 * its target: do the same, one link at a time, each target resolved from the link's
		 * directory and decided on its own canonical path. Otherwise the name appeared
		 * since we looked: decide again, once.
		 */
		ssize_t n = -1;
		if (!(flags & O_NOFOLLOW))
			n = readlinkat(r.fd, r.last, target, sizeof(target) - 1);
		if (n >= 0) {
			if (rflags & RESOLVE_NO_SYMLINKS)
				return -ELOOP;
			if (rflags & (RESOLVE_BENEATH | RESOLVE_IN_ROOT))
				return -EXDEV; /* would restart at the caller's root: refused */
			if (++hops > SB_MAXSYMLINKS)
				return -ELOOP;
			target[n] = 0;
			e = rewrite_proc_self(c, target, hop);
			if (e < 0)
				return e;
			safe_close(hopfd);
			hopfd = TAKE_FD(r.fd);
			dirfd = hopfd;
			path = hop;
			continue;
		}
		if (retried++)
			return -EEXIST;
	}
}

/* O_TMPFILE: an unnamed file in a directory; "create" there, plus what the fd allows. */
static int open_tmpfile(struct ctx *c, int flags, unsigned mode, uint64_t rflags)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	struct stat st;
	mode_t um = 0;
	int e = lookup(c, 0, c->path[0], c->call->dirfd[0], SB_RESOLVE_FOLLOW, rflags, &r);

	if (e < 0)
		return e;
	if (fstat(r.fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		e = decide(c, 0, r.path, SB_PERM_STAT);
		return e < 0 ? e : -ENOTDIR;
	}
	e = decide(c, 0, r.path, SB_PERM_CREATE | open_perms(flags, false));
	if (e < 0)
		return e;
	e = sb_proc_umask(c->call->pid, &um);
	if (e < 0)
		return e;
	int fd = openat(r.fd, ".", (flags & ~O_NOFOLLOW) | O_CLOEXEC | O_NOCTTY,
			create_mode(mode, um));
	if (fd < 0)
		return -errno;
	c->res->fd = fd;
	return 0;
}

/*
 * /proc/self/fd/N (sb_call.own_fd): the kernel opens again the object the caller's fd N names
 * (runc's init opens its exec FIFO so); so does the broker, deciding on that object's path. An fd
 * that names no path (a pipe, a socket, a memfd, a deleted file) is refused with ENXIO and a
 * record: the kernel would reopen some of those, the broker has no path to decide on.
 */
static int reopen_own(struct ctx *c, int flags)
{
	static const struct sb_decision nameless = {
		.verdict = SB_DENY,
		.err = ENXIO,
		.log = true,
		.builtin = true,
		.rule_id = -1,
	};
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	int e = sb_fd_path(c->call->dirfd[0], r.path, sizeof(r.path));
	if (e == -ENOENT) {
		/* No name to decide on (a pipe, a socket, a memfd, a deleted file): refused, and
		 * recorded under the name the caller gave. */
		uint32_t need = open_perms(flags, false);
		record(c, 0, c->path[0], need & SB_PERM_READ ? SB_PERM_READ : SB_PERM_WRITE, need,
		       &nameless);
		return -ENXIO;
	}
	if (e < 0)
		return e;
	r.fd = fcntl(c->call->dirfd[0], F_DUPFD_CLOEXEC, 3);
	return r.fd < 0 ? -errno : open_existing(c, &r, flags);
}

static int do_open(struct ctx *c, int flags, unsigned mode, uint64_t rflags)
{
	if (!c->path[0])
		return -EFAULT;
	c->res->cloexec = flags & O_CLOEXEC;
	if (flags & O_PATH) {
		_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
		struct stat st;
		enum sb_resolve_mode m =
			flags & O_NOFOLLOW ? SB_RESOLVE_NOFOLLOW : SB_RESOLVE_FOLLOW;
		int e = lookup(c, 0, c->path[0], c->call->dirfd[0], m, rflags, &r);
		if (e < 0)
			return e;
		if (fstat(r.fd, &st) < 0)
			return -errno;
		e = decide(c, 0, r.path, SB_PERM_STAT);
		if (e < 0)
			return e;
		if ((flags & O_DIRECTORY) && !S_ISDIR(st.st_mode))
			return -ENOTDIR;
		c->res->fd = TAKE_FD(r.fd); /* already O_PATH|O_CLOEXEC, on the decided object */
		return 0;
	}
	if (flags & K_O_TMPFILE)
		return open_tmpfile(c, flags, mode, rflags);
	if (c->call->own_fd[0] && !(flags & (O_CREAT | O_NOFOLLOW)))
		return reopen_own(c, flags);
	if (flags & O_CREAT)
		return open_create(c, flags, mode, rflags);

	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	enum sb_resolve_mode m = flags & O_NOFOLLOW ? SB_RESOLVE_NOFOLLOW : SB_RESOLVE_FOLLOW;
	int e = lookup(c, 0, c->path[0], c->call->dirfd[0], m, rflags, &r);
	if (e < 0)
		return e;
	return open_existing(c, &r, flags);
}

/* The checks the kernel makes on flags and mode (build_open_how/build_open_flags). */
static int open_flags(uint64_t flags64, uint64_t mode64, bool strict, int *ret_flags,
		      unsigned *ret_mode)
{
	int flags;
	unsigned mode;

	if (strict) {
		/* openat2 refuses what the older calls silently drop. */
		if (flags64 & ~(uint64_t)VALID_OPEN_FLAGS)
			return -EINVAL;
		flags = (int)flags64;
		if (flags & (O_CREAT | K_O_TMPFILE)) {
			if (mode64 & ~(uint64_t)07777)
				return -EINVAL;
		} else if (mode64 != 0)
			return -EINVAL;
		mode = (unsigned)mode64;
	} else {
		flags = (int)flags64 & VALID_OPEN_FLAGS;
		mode = (unsigned)mode64 & 07777;
		if (flags & O_PATH)
			flags &= O_PATH_FLAGS; /* O_PATH beats everything else */
		if (!(flags & (O_CREAT | K_O_TMPFILE)))
			mode = 0;
	}
	if ((flags & (O_DIRECTORY | O_CREAT)) == (O_DIRECTORY | O_CREAT))
		return -EINVAL;
	if (flags & K_O_TMPFILE) {
		if (!(flags & O_DIRECTORY) || (flags & O_ACCMODE) == O_RDONLY)
			return -EINVAL;
	}
	if ((flags & O_PATH) && (flags & ~(O_PATH_FLAGS)))
		return -EINVAL;
	*ret_flags = flags;
	*ret_mode = mode;
	return 0;
}

static int sys_open(struct ctx *c, uint64_t flags64, uint64_t mode64)
{
	int flags;
	unsigned mode;
	int e = open_flags(flags64, mode64, false, &flags, &mode);
	return e < 0 ? e : do_open(c, flags, mode, 0);
}

/*
 * openat2: the struct is checked like copy_struct_from_user() does (too small: EINVAL; larger
 * than ours: E2BIG unless the rest is zero). The caller's RESOLVE_* flags are honoured by adding
 * them to the broker's own lookup; RESOLVE_CACHED is only a hint (the broker does the lookup
 * anyway) beyond the EAGAIN the kernel gives it with O_CREAT, O_TRUNC or O_TMPFILE.
 * RESOLVE_IN_ROOT with an absolute path needs the caller's dirfd, which the transport does not
 * fetch for absolute paths: refused with EINVAL.
 */
static int sys_openat2(struct ctx *c)
{
	const struct sb_call *call = c->call;
	uint64_t usize = call->args[3];
	struct open_how how = { 0 };
	int flags;
	unsigned mode;

	if (usize < OPEN_HOW_SIZE_VER0)
		return -EINVAL;
	if (usize > SB_PAGE_SIZE)
		return -E2BIG;
	if (!call->in || call->in_len < (usize < sizeof(how) ? usize : sizeof(how)))
		return -EFAULT;
	memcpy(&how, call->in, usize < sizeof(how) ? usize : sizeof(how));
	if (usize > sizeof(how)) {
		const uint8_t *extra = (const uint8_t *)call->in + sizeof(how);
		if (call->in_len < usize)
			return -E2BIG; /* the rest was not copied: it cannot be shown to be zero */
		for (size_t i = 0; i < usize - sizeof(how); i++)
			if (extra[i])
				return -E2BIG;
	}
	int e = open_flags(how.flags, how.mode, true, &flags, &mode);
	if (e < 0)
		return e;
	if (how.resolve & ~(uint64_t)VALID_RESOLVE_FLAGS)
		return -EINVAL;
	if ((how.resolve & RESOLVE_BENEATH) && (how.resolve & RESOLVE_IN_ROOT))
		return -EINVAL;
	if ((how.resolve & RESOLVE_CACHED) && (flags & (O_TRUNC | O_CREAT | K_O_TMPFILE)))
		return -EAGAIN;
	if ((how.resolve & RESOLVE_IN_ROOT) && c->path[0] && c->path[0][0] == '/' &&
	    call->dirfd[0] < 0)
		return -EINVAL;
	return do_open(c, flags, mode,
		       how.resolve & ~(uint64_t)(RESOLVE_NO_MAGICLINKS | RESOLVE_CACHED));
}

/* --- stat, lstat, newfstatat, statx ------------------------------------------------------------
 *
 * "stat" on the object (NOFOLLOW for lstat and AT_SYMLINK_NOFOLLOW), then stat the resolved fd.
 * An empty path with AT_EMPTY_PATH names the caller's own fd, which it already holds: no check.
 */

static int do_stat(struct ctx *c, int flags, bool is_statx, unsigned mask)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	const char *path = c->path[0];
	int fd;

	if ((!path || !path[0]) && (flags & AT_EMPTY_PATH)) {
		fd = c->call->dirfd[0];
		if (fd < 0)
			return -EBADF;
		note_fd(c, fd);
	} else {
		enum sb_resolve_mode m =
			flags & AT_SYMLINK_NOFOLLOW ? SB_RESOLVE_NOFOLLOW : SB_RESOLVE_FOLLOW;
		int e = lookup_decide(c, 0, path, c->call->dirfd[0], m, 0, SB_PERM_STAT, &r);
		if (e < 0)
			return e;
		fd = r.fd;
	}
	if (is_statx) {
		struct statx stx;
		if (statx(fd, "", AT_EMPTY_PATH | (flags & (AT_STATX_SYNC_TYPE | AT_NO_AUTOMOUNT)),
			  mask, &stx) < 0)
			return -errno;
		memcpy(c->res->out, &stx, sizeof(stx));
		c->res->outlen = sizeof(stx);
	} else {
		struct stat st;
		if (fstatat(fd, "", &st, AT_EMPTY_PATH) < 0)
			return -errno;
		memcpy(c->res->out, &st, sizeof(st));
		c->res->outlen = sizeof(st);
	}
	return 0;
}

static int sys_newfstatat(struct ctx *c, int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return -EINVAL;
	return do_stat(c, flags, false, 0);
}

static int sys_statx(struct ctx *c, int flags, unsigned mask)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (mask & STATX__RESERVED)
		return -EINVAL;
	return do_stat(c, flags, true, mask);
}

/* --- access, faccessat, faccessat2 -------------------------------------------------------------
 *
 * F_OK needs "stat"; R_OK "read" ("list" for a directory, whose reading is listing); W_OK "write";
 * X_OK "exec" (for a directory X_OK is search, which the broker never decides: path traversal is
 * the kernel's, so "stat" is enough). The answer then comes from faccessat2() on the resolved fd,
 * so it reflects the broker's credentials, not the caller's: a residual until the run command
 * drops the broker's privileges to the caller's.
 */

static int do_access(struct ctx *c, int mode, int flags)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	const char *path = c->path[0];
	int fd;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((!path || !path[0]) && (flags & AT_EMPTY_PATH)) {
		fd = c->call->dirfd[0]; /* the caller's own fd */
		if (fd < 0)
			return -EBADF;
		note_fd(c, fd);
	} else {
		struct stat st;
		enum sb_resolve_mode m =
			flags & AT_SYMLINK_NOFOLLOW ? SB_RESOLVE_NOFOLLOW : SB_RESOLVE_FOLLOW;
		int e = lookup(c, 0, path, c->call->dirfd[0], m, 0, &r);
		if (e < 0)
			return e;
		if (fstat(r.fd, &st) < 0)
			return -errno;
		bool dir = S_ISDIR(st.st_mode);
		uint32_t need = SB_PERM_STAT;
		if (mode & R_OK)
			need |= dir ? SB_PERM_LIST : SB_PERM_READ;
		if (mode & W_OK)
			need |= SB_PERM_WRITE;
		if ((mode & X_OK) && !dir)
			need |= SB_PERM_EXEC;
		e = decide(c, 0, r.path, need);
		if (e < 0)
			return e;
		fd = r.fd;
	}
	/*
	 * AT_EACCESS always: without it the kernel checks with the broker's real uid (root, with
	 * the capabilities it kept), not the file system identity it takes for the caller with
	 * --user. The sandboxee has no set-id bits, so its real and effective ids are the same.
	 */
	if (syscall(SYS_faccessat2, fd, "", mode, AT_EMPTY_PATH | AT_EACCESS) < 0)
		return -errno;
	return 0;
}

/* --- readlink, readlinkat: "stat" on the link itself (NOFOLLOW); EINVAL if it is not one. ------
 */

static int64_t do_readlink(struct ctx *c, uint64_t size64)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	const char *path = c->path[0];
	int size = (int)size64, fd;

	if (size <= 0)
		return -EINVAL;
	if (!path)
		return -EFAULT;
	if (!path[0]) {
		/* The caller's own fd (an O_PATH fd on a symlink): the kernel answers, no check. */
		fd = c->call->dirfd[0];
		if (fd < 0)
			return -EBADF;
		note_fd(c, fd);
	} else {
		struct stat st;
		int e = lookup_decide(c, 0, path, c->call->dirfd[0], SB_RESOLVE_NOFOLLOW, 0,
				      SB_PERM_STAT, &r);
		if (e < 0)
			return e;
		if (fstat(r.fd, &st) < 0)
			return -errno;
		if (!S_ISLNK(st.st_mode))
			return -EINVAL;
		fd = r.fd;
	}
	ssize_t n = readlinkat(fd, "", (char *)c->res->out,
			       (size_t)size < SB_MAX_OUT ? (size_t)size : SB_MAX_OUT);
	if (n < 0)
		return -errno;
	c->res->outlen = (size_t)n;
	return n;
}

/* --- mkdir, mkdirat, unlink, unlinkat, rmdir ---------------------------------------------------
 *
 * They create or remove a name, so they are decided on the name: the parent resolved (following
 * symlinks) plus the last component (not followed: unlink removes a symlink, not its target).
 * "create" for mkdir, "delete" for unlink and rmdir, and the call acts in the resolved parent.
 */

/*
 * The new name of mkdir and symlink: "create" where the parent resolves, and the name to act on
 * in it. A last component of ".", ".." or "/" always exists: EEXIST, as the kernel says.
 */
static int new_name(struct ctx *c, struct sb_resolved *r, char name[NAME_MAX + 2])
{
	struct split s;

	split_path(c->path[0], &s);
	if (c->path[0][0] && s.kind != LAST_NORM)
		return exists_error(c, 0, EEXIST);
	int e = lookup_decide(c, 0, c->path[0], c->call->dirfd[0], SB_RESOLVE_PARENT, 0,
			      SB_PERM_CREATE, r);
	if (e < 0)
		return e;
	act_name(r, c->path[0], name);
	return 0;
}

static int do_mkdir(struct ctx *c, unsigned mode)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	char name[NAME_MAX + 2];
	mode_t um = 0;

	if (!c->path[0])
		return -EFAULT;
	int e = new_name(c, &r, name);
	if (e < 0)
		return e;
	e = sb_proc_umask(c->call->pid, &um);
	if (e < 0)
		return e;
	if (mkdirat(r.fd, name, (mode_t)(mode & 07777 & ~um)) < 0)
		return -errno;
	return 0;
}

static int do_unlink(struct ctx *c, int flags)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	struct split s;
	char name[NAME_MAX + 2];

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	if (!c->path[0])
		return -EFAULT;
	split_path(c->path[0], &s);
	if (c->path[0][0] && s.kind != LAST_NORM) {
		/* The kernel's answers: rmdir(".") EINVAL, rmdir("..") ENOTEMPTY, rmdir("/") EBUSY,
		 * unlink of any of them EISDIR. */
		int err = !(flags & AT_REMOVEDIR) ? EISDIR
			  : s.kind == LAST_DOT    ? EINVAL
			  : s.kind == LAST_DOTDOT ? ENOTEMPTY
						  : EBUSY;
		return exists_error(c, 0, err);
	}
	int e = lookup_decide(c, 0, c->path[0], c->call->dirfd[0], SB_RESOLVE_PARENT, 0,
			      SB_PERM_DELETE, &r);
	if (e < 0)
		return e;
	act_name(&r, c->path[0], name);
	if (unlinkat(r.fd, name, flags) < 0)
		return -errno;
	return 0;
}

/* --- rename, renameat, renameat2 ---------------------------------------------------------------
 *
 * Both names are decided as names (parents resolved): "delete" at the source, "create" at the
 * target, plus "delete" there when an existing target is replaced (RENAME_EXCHANGE: both, both
 * ways). When the target does not exist the rename is done with RENAME_NOREPLACE, so a target
 * that appears meanwhile is never replaced undecided: it is decided again, once. A moved object
 * must not gain access at its new name, like a hard link (no_widening()). RENAME_WHITEOUT needs
 * CAP_MKNOD, which the sandboxee does not have: EPERM, as the kernel would say.
 */

static int do_rename(struct ctx *c, unsigned flags)
{
	_cleanup_resolved_ struct sb_resolved src = { .fd = -1 }, dst = { .fd = -1 };
	struct split s0, s1;
	char n0[NAME_MAX + 2], n1[NAME_MAX + 2];
	bool exchange = flags & RENAME_EXCHANGE;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) && exchange)
		return -EINVAL;
	if (flags & RENAME_WHITEOUT)
		return -EPERM;
	if (!c->path[0] || !c->path[1])
		return -EFAULT;
	split_path(c->path[0], &s0);
	split_path(c->path[1], &s1);
	if (c->path[0][0] && s0.kind != LAST_NORM)
		return exists_error(c, 0, EBUSY);
	if (c->path[1][0] && s1.kind != LAST_NORM)
		return exists_error(c, 1, (flags & RENAME_NOREPLACE) ? EEXIST : EBUSY);
	int e = lookup(c, 0, c->path[0], c->call->dirfd[0], SB_RESOLVE_PARENT, 0, &src);
	if (e < 0)
		return e;
	e = lookup(c, 1, c->path[1], c->call->dirfd[1], SB_RESOLVE_PARENT, 0, &dst);
	if (e < 0)
		return e;
	act_name(&src, c->path[0], n0);
	act_name(&dst, c->path[1], n1);

	for (int attempt = 0;; attempt++) {
		struct stat st;
		bool dst_exists = fstatat(dst.fd, dst.last, &st, AT_SYMLINK_NOFOLLOW) == 0;
		uint32_t at_dst = SB_PERM_CREATE;
		if (exchange || (dst_exists && !(flags & RENAME_NOREPLACE)))
			at_dst |= SB_PERM_DELETE;

		e = decide(c, 0, src.path, SB_PERM_DELETE | (exchange ? SB_PERM_CREATE : 0));
		if (e < 0)
			return e;
		e = decide(c, 1, dst.path, at_dst);
		if (e < 0)
			return e;
		e = no_widening(c, 0, src.path, dst.path);
		if (e < 0)
			return e;
		if (exchange) {
			e = no_widening(c, 1, dst.path, src.path);
			if (e < 0)
				return e;
		}

		bool added = !exchange && !dst_exists && !(flags & RENAME_NOREPLACE);
		if (renameat2(src.fd, n0, dst.fd, n1, flags | (added ? RENAME_NOREPLACE : 0)) == 0)
			return 0;
		if (!added)
			return -errno;
		if (errno == EEXIST && attempt == 0)
			continue; /* the target appeared: decide again with it */
		if (errno != EINVAL)
			return -errno;
		/* The file system cannot promise RENAME_NOREPLACE: a plain rename may replace a
		 * target, so it needs "delete" there too. */
		e = decide(c, 1, dst.path, SB_PERM_CREATE | SB_PERM_DELETE);
		if (e < 0)
			return e;
		if (renameat2(src.fd, n0, dst.fd, n1, flags) < 0)
			return -errno;
		return 0;
	}
}

/* --- link, linkat ------------------------------------------------------------------------------
 *
 * The source is the object (its trailing symlink followed only with AT_SYMLINK_FOLLOW, as the
 * kernel does), the target a new name: "create" there, and no_widening() between them. With
 * AT_EMPTY_PATH and an empty path the source is the caller's fd, decided on its canonical path
 * (one without a name, such as an O_TMPFILE file, meets the default). The link is made from the
 * resolved fd: linkat(AT_EMPTY_PATH) works for the fd's opener (Linux >= 6.10) or with
 * CAP_DAC_READ_SEARCH, else through /proc/self/fd/N.
 */

static int do_link(struct ctx *c, int flags)
{
	_cleanup_resolved_ struct sb_resolved src = { .fd = -1 }, dst = { .fd = -1 };
	char fdpath[PATH_MAX], n1[NAME_MAX + 2], link[32];
	const char *srcpath;
	struct split s1;
	int srcfd, e;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (!c->path[0] || !c->path[1])
		return -EFAULT;
	if (!c->path[0][0] && (flags & AT_EMPTY_PATH)) {
		srcfd = c->call->dirfd[0];
		if (srcfd < 0)
			return -EBADF;
		if (sb_fd_path(srcfd, fdpath, sizeof(fdpath)) < 0) {
			e = decide_default(c, SB_PERM_STAT);
			return e < 0 ? e : -ENOENT;
		}
		srcpath = fdpath;
	} else {
		enum sb_resolve_mode m =
			flags & AT_SYMLINK_FOLLOW ? SB_RESOLVE_FOLLOW : SB_RESOLVE_NOFOLLOW;
		e = lookup(c, 0, c->path[0], c->call->dirfd[0], m, 0, &src);
		if (e < 0)
			return e;
		srcfd = src.fd;
		srcpath = src.path;
	}
	split_path(c->path[1], &s1);
	if (c->path[1][0] && s1.kind != LAST_NORM)
		return exists_error(c, 1, EEXIST);
	e = lookup(c, 1, c->path[1], c->call->dirfd[1], SB_RESOLVE_PARENT, 0, &dst);
	if (e < 0)
		return e;
	e = decide(c, 1, dst.path, SB_PERM_CREATE);
	if (e < 0)
		return e;
	e = no_widening(c, 0, srcpath, dst.path);
	if (e < 0)
		return e;
	act_name(&dst, c->path[1], n1);
	if (linkat(srcfd, "", dst.fd, n1, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT && errno != EPERM)
		return -errno;
	fd_link(srcfd, link);
	if (linkat(AT_FDCWD, link, dst.fd, n1, AT_SYMLINK_FOLLOW) < 0)
		return -errno;
	return 0;
}

/* --- symlink, symlinkat: the target is a string, never resolved or checked here (symlinks are
 * checked where they are used); the new name needs "create". ------------------------------------
 */

static int do_symlink(struct ctx *c)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	char name[NAME_MAX + 2];

	if (!c->call->string || !c->path[0])
		return -EFAULT;
	if (!c->call->string[0])
		return -ENOENT;
	int e = new_name(c, &r, name);
	if (e < 0)
		return e;
	if (symlinkat(c->call->string, r.fd, name) < 0)
		return -errno;
	return 0;
}

/* --- chmod, fchmodat, fchmodat2, chown, truncate, utimensat, utime, utimes ------------------
 *
 * They change an existing object: "write" on it, then act through the resolved fd
 * (/proc/self/fd/N for chmod and truncate, AT_EMPTY_PATH for the others, which then also work on
 * a symlink). chmod refuses setuid/setgid on anything but a directory (see create_mode()). A
 * path /proc/self/fd/N (a SB_SHAPE_FD_PATH row, followed) names the caller's own fd N, which the
 * transport fetched: the call is decided on the canonical path of what that fd names, as
 * AT_EMPTY_PATH is. The C library's fchmodat(AT_SYMLINK_NOFOLLOW) goes that way.
 */

/* perm on what the caller's own fd names; an fd without a name meets the default. */
static int decide_on_fd(struct ctx *c, int fd, uint32_t perm)
{
	char p[PATH_MAX];
	if (sb_fd_path(fd, p, sizeof(p)) < 0)
		return decide_default(c, perm);
	return decide(c, 0, p, perm);
}

/*
 * The object a call changes, decided with perm: the caller's own fd (AT_EMPTY_PATH with an empty
 * path, or a /proc/self/fd/N path) or the path resolved (its trailing symlink followed unless
 * AT_SYMLINK_NOFOLLOW). *fd is the one to act on; r holds what the lookup opened.
 */
static int object_decide(struct ctx *c, int flags, uint32_t perm, struct sb_resolved *r, int *fd)
{
	const struct sb_call *call = c->call;
	bool nofollow = flags & AT_SYMLINK_NOFOLLOW;

	if (!c->path[0])
		return -EFAULT;
	if ((!c->path[0][0] && (flags & AT_EMPTY_PATH)) || (call->own_fd[0] && !nofollow)) {
		*fd = call->dirfd[0];
		return *fd < 0 ? -EBADF : decide_on_fd(c, *fd, perm);
	}
	enum sb_resolve_mode m = nofollow ? SB_RESOLVE_NOFOLLOW : SB_RESOLVE_FOLLOW;
	int e = lookup_decide(c, 0, c->path[0], call->dirfd[0], m, 0, perm, r);
	*fd = r->fd;
	return e;
}

static int do_chmod(struct ctx *c, unsigned mode, int flags)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	struct stat st;
	char name[16];
	int fd;

	mode &= 07777;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	int e = object_decide(c, flags, SB_PERM_WRITE, &r, &fd);
	if (e < 0)
		return e;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -EOPNOTSUPP; /* the kernel's answer for a symlink's mode (fchmodat2) */
	if (!S_ISDIR(st.st_mode) && (mode & (S_ISUID | S_ISGID)))
		return -EPERM;
	/* Through the magic link, as chmod("/proc/self/fd/N") but one lookup in /proc (resolve.c).
	 */
	int fds = sb_fd_name(fd, name);
	if (fds < 0)
		return fds;
	if (fchmodat(fds, name, (mode_t)mode, 0) < 0)
		return -errno;
	return 0;
}

/*
 * chown, lchown, fchownat: "write" on the file. The kernel decides who may give a file to whom
 * by the acting thread's identity, so the broker acts with the caller's (creds.c): a non-owner's
 * chown, or a file given away, fails as it would natively.
 */
static int do_chown(struct ctx *c, int flags)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	const uint64_t *a = c->call->args;
	uid_t uid = (uid_t)a[c->sh->path[0] + 1];
	gid_t gid = (gid_t)a[c->sh->path[0] + 2];
	struct sb_creds_saved saved;
	int fd;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	int e = object_decide(c, flags, SB_PERM_WRITE, &r, &fd);
	if (e < 0)
		return e;
	e = sb_creds_enter(c->call->pid, &saved);
	if (e < 0)
		return e;
	e = fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0 ? -errno : 0;
	sb_creds_leave(&saved);
	return e;
}

/*
 * truncate(path) breaks a lease by waiting for it: the broker opens the file O_NONBLOCK for
 * writing instead (open_nowait: a lease makes the call wait in the loop) and truncates the fd.
 * The kernel's own checks first: a directory is EISDIR, anything but a regular file EINVAL; the
 * open then gives the permission, EROFS, append-only (EPERM) and ETXTBSY errors truncate would.
 */
static int do_truncate(struct ctx *c, int64_t length)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	struct stat st;

	if (length < 0)
		return -EINVAL;
	int e = lookup_decide(c, 0, c->path[0], c->call->dirfd[0], SB_RESOLVE_FOLLOW, 0,
			      SB_PERM_WRITE, &r);
	if (e < 0)
		return e;
	if (fstat(r.fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	struct sb_retry rt = { .fd = r.fd,
			       .flags = O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
			       .truncate = true,
			       .length = length };
	return open_nowait(c->res, &rt, true);
}

/*
 * The times of the IN item as utimensat's timespec[2] in ts, *ret NULL for "now": utime's struct
 * utimbuf and utimes' struct timeval[2] are converted, checked as the kernel checks them.
 */
static int call_times(const struct ctx *c, struct timespec ts[2], struct timespec **ret)
{
	const struct sb_call *call = c->call;
	size_t need = (size_t)sb_shape_in_size(c->sh, call->args);

	*ret = NULL;
	if (!call->args[c->sh->in_arg])
		return 0;
	if (!call->in || call->in_len < need)
		return -EFAULT;
	if (c->sh->in_kind == SB_IN_UTIMBUF) {
		struct utimbuf u;
		memcpy(&u, call->in, sizeof(u)); /* the copy may be unaligned */
		ts[0] = (struct timespec){ .tv_sec = u.actime };
		ts[1] = (struct timespec){ .tv_sec = u.modtime };
	} else if (c->sh->in_kind == SB_IN_TIMEVAL) {
		struct timeval tv[2];
		memcpy(tv, call->in, sizeof(tv));
		for (int i = 0; i < 2; i++) {
			if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
				return -EINVAL;
			ts[i] = (struct timespec){ .tv_sec = tv[i].tv_sec,
						   .tv_nsec = tv[i].tv_usec * 1000 };
		}
	} else
		memcpy(ts, call->in, 2 * sizeof(*ts));
	*ret = ts;
	return 0;
}

static int do_utimensat(struct ctx *c, int flags)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	const struct sb_call *call = c->call;
	struct timespec ts[2], *times;
	int fd;

	int e = call_times(c, ts, &times);
	if (e < 0)
		return e;
	if (!call->path[0]) {
		/*
		 * A NULL path names the dirfd itself (futimens). Holding an fd is not holding the
		 * right to change the file: the broker acts with its own credentials, so decide
		 * "write" on the fd's name (an unnamed fd meets the default).
		 */
		if ((int)call->args[0] == AT_FDCWD)
			return -EFAULT;
		if (flags)
			return -EINVAL;
		if (call->dirfd[0] < 0)
			return -EBADF;
		e = decide_on_fd(c, call->dirfd[0], SB_PERM_WRITE);
		if (e < 0)
			return e;
		if (syscall(SYS_utimensat, call->dirfd[0], NULL, times, 0) < 0)
			return -errno;
		return 0;
	}
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	e = object_decide(c, flags, SB_PERM_WRITE, &r, &fd);
	if (e < 0)
		return e;
	if (utimensat(fd, "", times, AT_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/*
 * mknod, mknodat: a FIFO, a socket or an empty regular file is a new name ("create"), made with
 * the caller's umask. Device nodes are refused with EPERM whatever the policy says, and logged:
 * a device made by a broker that may be root would open a way around every rule.
 */
static int do_mknod(struct ctx *c, unsigned mode)
{
	static const struct sb_decision device = {
		.verdict = SB_DENY,
		.err = EPERM,
		.log = true,
		.builtin = true,
		.rule_id = -1,
	};
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	char name[NAME_MAX + 2];
	mode_t um = 0;
	mode_t type = mode & S_IFMT;

	if (type == S_IFDIR)
		return -EPERM;
	if (type != 0 && type != S_IFREG && type != S_IFIFO && type != S_IFSOCK &&
	    type != S_IFCHR && type != S_IFBLK)
		return -EINVAL;
	if (!c->path[0])
		return -EFAULT;
	int e = new_name(c, &r, name);
	if (e < 0)
		return e;
	if (type == S_IFCHR || type == S_IFBLK) {
		/* On the canonical name the rules were asked about: the record says where. */
		record(c, 0, r.path, SB_PERM_CREATE, SB_PERM_CREATE, &device);
		return -EPERM;
	}
	e = sb_proc_umask(c->call->pid, &um);
	if (e < 0)
		return e;
	if (mknodat(r.fd, name, (type ? type : S_IFREG) | create_mode(mode, um), 0) < 0)
		return -errno;
	return 0;
}

/* "stat" on what the path names, its trailing symlink followed (statfs, chdir). */
static int lookup_stat(struct ctx *c, struct sb_resolved *r)
{
	if (!c->path[0])
		return -EFAULT;
	return lookup_decide(c, 0, c->path[0], c->call->dirfd[0], SB_RESOLVE_FOLLOW, 0,
			     SB_PERM_STAT, r);
}

/* statfs: "stat" on the file; the struct goes back as the OUT item. */
static int do_statfs(struct ctx *c)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	struct statfs sfs;

	int e = lookup_stat(c, &r);
	if (e < 0)
		return e;
	if (fstatfs(r.fd, &sfs) < 0)
		return -errno;
	memcpy(c->res->out, &sfs, sizeof(sfs));
	c->res->outlen = sizeof(sfs);
	return 0;
}

/* --- execve, execveat --------------------------------------------------------------------------
 *
 * "exec" on the canonical path the kernel resolved (following symlinks, as exec does). On allow
 * the executor returns ret 0 and the resolved object as an O_PATH fd: the transport execs it
 * with execveat(fd, "", AT_EMPTY_PATH), so the decision binds to the inode, not to a path that
 * could be swapped before the exec. O_PATH rather than O_RDONLY: exec needs no read permission,
 * and opening a FIFO named as a program would block the broker. With AT_EMPTY_PATH and an empty
 * path the caller's own fd is decided on its canonical path (an unnamed one, a memfd, meets the
 * default).
 */

static int do_exec(struct ctx *c, int flags)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	struct stat st;
	int e;

	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	if (!c->path[0])
		return -EFAULT;
	c->res->cloexec = true; /* the transport execs it; it must not leak into the new image */
	if (!c->path[0][0] && (flags & AT_EMPTY_PATH)) {
		char fdpath[PATH_MAX];
		int fd = c->call->dirfd[0];
		if (fd < 0)
			return -EBADF;
		e = sb_fd_path(fd, fdpath, sizeof(fdpath)) < 0 ? decide_default(c, SB_PERM_EXEC)
							       : decide(c, 0, fdpath, SB_PERM_EXEC);
		if (e < 0)
			return e;
		int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (dup < 0)
			return -errno;
		c->res->fd = dup;
		return 0;
	}
	enum sb_resolve_mode m =
		flags & AT_SYMLINK_NOFOLLOW ? SB_RESOLVE_NOFOLLOW : SB_RESOLVE_FOLLOW;
	e = lookup(c, 0, c->path[0], c->call->dirfd[0], m, 0, &r);
	if (e < 0)
		return e;
	if (fstat(r.fd, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode)) {
		e = decide(c, 0, r.path, SB_PERM_STAT);
		return e < 0 ? e : -ELOOP;
	}
	e = decide(c, 0, r.path, SB_PERM_EXEC);
	if (e < 0)
		return e;
	c->res->fd = TAKE_FD(r.fd);
	return 0;
}

/* --- chdir: "stat" on the directory; the transport fchdir()s into the fd returned. ------------ */

static int do_chdir(struct ctx *c)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	struct stat st;

	int e = lookup_stat(c, &r);
	if (e < 0)
		return e;
	if (fstat(r.fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	c->res->cloexec = true;
	c->res->fd = TAKE_FD(r.fd);
	return 0;
}

/* --- the object of an xattr or watch call ------------------------------------------------------
 *
 * Either a path, resolved (following a final symlink or not), or the caller's own fd: a NULL path
 * (the *xattrat calls, fanotify_mark) or "" with AT_EMPTY_PATH. Holding an fd is not holding the
 * right the call needs (the broker acts with its own credentials), so perm is decided on the
 * fd's name too (an unnamed fd meets the default). With by_type, "read" becomes "list" on a
 * directory, whose reading is listing.
 */

static int decide_object(struct ctx *c, const char *path, int fd, uint32_t perm, bool by_type)
{
	struct stat st;

	if (by_type) {
		if (fstat(fd, &st) < 0)
			return -errno;
		if (S_ISDIR(st.st_mode))
			perm = SB_PERM_LIST;
	}
	return path ? decide(c, 0, path, perm) : decide_default(c, perm);
}

static int object_fd(struct ctx *c, bool own, bool follow, uint32_t perm, bool by_type,
		     struct sb_resolved *r, int *fd)
{
	char p[PATH_MAX];

	if (own) {
		*fd = c->call->dirfd[0];
		if (*fd < 0)
			return -EBADF;
		return decide_object(c, sb_fd_path(*fd, p, sizeof(p)) == 0 ? p : NULL, *fd, perm,
				     by_type);
	}
	int e = lookup(c, 0, c->path[0], c->call->dirfd[0],
		       follow ? SB_RESOLVE_FOLLOW : SB_RESOLVE_NOFOLLOW, 0, r);
	if (e < 0)
		return e;
	*fd = r->fd;
	return decide_object(c, r->path, r->fd, perm, by_type);
}

/* A refusal that is the broker's, not the policy's: logged, with the path it concerned. */
static int refuse_builtin(struct ctx *c, const char *path, uint32_t perm, int err)
{
	const struct sb_decision d = {
		.verdict = SB_DENY, .err = err, .log = true, .builtin = true, .rule_id = -1
	};
	record(c, 0, path, perm, perm, &d);
	return -err;
}

/* --- getxattr, listxattr, setxattr, removexattr: their l* and *xattrat forms --------------------
 *
 * Reading (get, list) is reading metadata: "stat"; changing (set, remove) needs "write". The l*
 * forms and AT_SYMLINK_NOFOLLOW do not follow a final symlink. The broker acts through
 * /proc/self/fd/N of the fd it resolved, with the calls that follow: the f* calls refuse O_PATH
 * fds, and that magic link leads to the very inode resolved (a symlink itself where that is
 * what was resolved; the jump lands on it and does not follow it again). A rename racing with
 * the call changes the name only: the call still acts on the inode decided on, under the name
 * it had then, as chmod does.
 *
 * The broker's credentials are not the caller's: it refuses the privileged namespaces the
 * caller (no capabilities) could not use. Setting or removing trusted.* or security.* is EPERM,
 * reading trusted.* ENODATA, and a list leaves trusted.* names out, as the kernel does for an
 * unprivileged caller. Values travel in a request or a reply: at most SB_MAX_XATTR bytes, E2BIG
 * beyond (docs/protocol.md).
 */

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int xattr_name(const char *name)
{
	if (!name)
		return -EFAULT;
	size_t n = strnlen(name, SB_XATTR_NAME_MAX + 1);
	return n == 0 || n > SB_XATTR_NAME_MAX ? -ERANGE : 0;
}

/* The struct xattr_args of setxattrat and getxattrat, checked as the kernel checks it. */
static int xattr_args(const struct sb_call *call, struct sb_xattr_args *xa)
{
	const uint8_t *in = call->in;

	if (!in || call->in_len < sizeof(*xa))
		return -EFAULT;
	for (size_t i = sizeof(*xa); i < call->in_len; i++)
		if (in[i])
			return -E2BIG;
	memcpy(xa, in, sizeof(*xa));
	return 0;
}

/* The object of an xattr call: flags are AT_* flags (the l* forms imply AT_SYMLINK_NOFOLLOW). */
static int xattr_object(struct ctx *c, int flags, uint32_t perm, struct sb_resolved *r,
			char link[32])
{
	const char *path = c->path[0];
	int fd;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	bool own = !path || (!path[0] && (flags & AT_EMPTY_PATH));
	if (own && c->sh->dirfd[0] == SB_NOARG)
		return -EFAULT; /* a call without a dirfd always has a path */
	/* The kernel takes the fd itself: not the cwd, not an O_PATH fd. */
	if (own && ((int)c->call->args[c->sh->dirfd[0]] == AT_FDCWD ||
		    (fcntl(c->call->dirfd[0], F_GETFL) & O_PATH)))
		return -EBADF;
	int e = object_fd(c, own, !(flags & AT_SYMLINK_NOFOLLOW), perm, false, r, &fd);
	if (e < 0)
		return e;
	fd_link(fd, link);
	return 0;
}

static int64_t do_getxattr(struct ctx *c, int flags)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	const char *name = c->call->string;
	struct sb_xattr_args xa = { .size = 0 };
	char link[32];
	uint64_t size;

	int e = xattr_name(name);
	if (e == 0 && c->sh->in_kind == SB_IN_XATTR_ARGS) {
		e = xattr_args(c->call, &xa);
		if (e == 0 && xa.flags)
			e = -EINVAL;
	}
	if (e < 0)
		return e;
	size = c->sh->in_kind == SB_IN_XATTR_ARGS ? xa.size : c->call->args[c->sh->size_arg];
	e = xattr_object(c, flags, SB_PERM_STAT, &r, link);
	if (e < 0)
		return e;
	if (has_prefix(name, "trusted."))
		return -ENODATA;
	if (size > SB_XATTR_SIZE_MAX)
		size = SB_XATTR_SIZE_MAX;
	/* A size of 0 asks for the value's size: no copy. */
	ssize_t n = getxattr(link, name, size ? c->res->out : NULL,
			     size < SB_MAX_OUT ? size : SB_MAX_OUT);
	if (n < 0)
		return errno == ERANGE && size > SB_MAX_OUT ? -E2BIG : -errno;
	c->res->outlen = size ? (size_t)n : 0;
	return n;
}

/* The names of list (n bytes) without trusted.* ones, in place; returns the bytes kept. */
static size_t xattr_filter(char *list, size_t n)
{
	size_t kept = 0;

	for (size_t at = 0; at < n;) {
		size_t len = strnlen(list + at, n - at) + 1;
		if (!has_prefix(list + at, "trusted.")) {
			memmove(list + kept, list + at, len);
			kept += len;
		}
		at += len;
	}
	return kept;
}

static int64_t do_listxattr(struct ctx *c, int flags)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	uint64_t size = c->call->args[c->sh->size_arg];
	char link[32];

	int e = xattr_object(c, flags, SB_PERM_STAT, &r, link);
	if (e < 0)
		return e;
	/* The whole list, filtered, then answered as the kernel answers for its size. */
	_cleanup_free_ char *list = malloc(SB_XATTR_SIZE_MAX);
	if (!list)
		return -ENOMEM;
	ssize_t n = listxattr(link, list, SB_XATTR_SIZE_MAX);
	if (n < 0)
		return -errno;
	size_t kept = xattr_filter(list, (size_t)n);
	if (size == 0)
		return (int64_t)kept;
	if (kept > size)
		return -ERANGE;
	if (kept > SB_MAX_OUT)
		return -E2BIG;
	memcpy(c->res->out, list, kept);
	c->res->outlen = kept;
	return (int64_t)kept;
}

static int do_setxattr(struct ctx *c, int flags, unsigned xflags)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	const char *name = c->call->string;
	struct sb_xattr_args xa = { .flags = xflags };
	char link[32];

	int e = xattr_name(name);
	if (e == 0 && c->sh->in_kind == SB_IN_XATTR_ARGS)
		e = xattr_args(c->call, &xa);
	xflags = xa.flags;
	if (e < 0)
		return e;
	if (xflags & ~(unsigned)(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	e = xattr_object(c, flags, SB_PERM_WRITE, &r, link);
	if (e < 0)
		return e;
	if (has_prefix(name, "trusted.") || has_prefix(name, "security."))
		return refuse_builtin(c, c->res->path, SB_PERM_WRITE, EPERM);
	if (setxattr(link, name, c->call->data, c->call->data_len, (int)xflags) < 0)
		return -errno;
	return 0;
}

static int do_removexattr(struct ctx *c, int flags)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	const char *name = c->call->string;
	char link[32];

	int e = xattr_name(name);
	if (e == 0)
		e = xattr_object(c, flags, SB_PERM_WRITE, &r, link);
	if (e < 0)
		return e;
	if (has_prefix(name, "trusted.") || has_prefix(name, "security."))
		return refuse_builtin(c, c->res->path, SB_PERM_WRITE, EPERM);
	if (removexattr(link, name) < 0)
		return -errno;
	return 0;
}

/* --- inotify_add_watch, fanotify_mark ----------------------------------------------------------
 *
 * A watch reports what happens to an object, its names and (for a directory) its entries:
 * "read" on a file, "list" on a directory. The broker fetches the caller's notification fd,
 * checks that it is one (EINVAL otherwise, as the kernel), and adds the watch through
 * /proc/self/fd/N of the object it resolved (see the xattr calls above): the watch is on that
 * inode, the same one the caller's own watch on the name would have been on. fanotify marks on
 * a mount or a file system reach beyond any grant: refused with EPERM, logged.
 */

/* The caller's notification fd (arg0), or -EBADF; -EINVAL if it is not what (its fd link). */
static int notification_fd(const struct ctx *c, const char *what)
{
	char name[16], link[64];
	int fd = c->call->dirfd[1];
	if (fd < 0)
		return -EBADF;
	int dir = sb_fd_name(fd, name);
	ssize_t n = dir < 0 ? -1 : readlinkat(dir, name, link, sizeof(link) - 1);
	if (n < 0)
		return -EINVAL;
	link[n] = 0;
	return strcmp(link, what) == 0 ? fd : -EINVAL;
}

static int64_t do_inotify(struct ctx *c, uint32_t mask)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	int ifd = notification_fd(c, "anon_inode:inotify"), fd;
	char link[32];

	if (ifd < 0)
		return ifd;
	if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
		return -EINVAL;
	int e = object_fd(c, false, !(mask & IN_DONT_FOLLOW), SB_PERM_READ, true, &r, &fd);
	if (e < 0)
		return e;
	fd_link(fd, link);
	/* Not IN_DONT_FOLLOW: that would watch the magic link, not what it leads to. */
	int wd = inotify_add_watch(ifd, link, mask & ~(uint32_t)IN_DONT_FOLLOW);
	return wd < 0 ? -errno : wd;
}

static int do_fanotify(struct ctx *c, unsigned flags, uint64_t mask)
{
	_cleanup_resolved_ struct sb_resolved r = { .fd = -1 };
	int ffd = notification_fd(c, "anon_inode:[fanotify]"), fd;
	char link[32];

	if (ffd < 0)
		return ffd;
	if ((flags & (FAN_MARK_ADD | FAN_MARK_REMOVE | FAN_MARK_FLUSH)) == FAN_MARK_FLUSH &&
	    !(flags & (FAN_MARK_MOUNT | FAN_MARK_FILESYSTEM))) {
		/* Removes the caller's own inode marks: no object, nothing to decide. */
		return fanotify_mark(ffd, flags, mask, AT_FDCWD, NULL) < 0 ? -errno : 0;
	}
	const char *path = c->path[0];
	int e = object_fd(c, !path, !(flags & FAN_MARK_DONT_FOLLOW), SB_PERM_READ, true, &r, &fd);
	if (e < 0)
		return e;
	if (flags & (FAN_MARK_MOUNT | FAN_MARK_FILESYSTEM))
		return refuse_builtin(c, c->res->path, c->res->perm, EPERM);
	fd_link(fd, link);
	if (fanotify_mark(ffd, flags & ~(unsigned)FAN_MARK_DONT_FOLLOW, mask, AT_FDCWD, link) < 0)
		return -errno;
	return 0;
}

/*
 * The operations of the syscall table (common/syscalls.h), one function each. A row gives the
 * operation its integer arguments: v0 is the first (or'ed with what the syscall implies: lstat's
 * AT_SYMLINK_NOFOLLOW, rmdir's AT_REMOVEDIR, creat's open flags), v1 the second.
 */
typedef int64_t (*op_fn)(struct ctx *c, uint64_t v0, uint64_t v1);

static int64_t op_open(struct ctx *c, uint64_t flags, uint64_t mode)
{
	return sys_open(c, flags, mode);
}
static int64_t op_openat2(struct ctx *c, uint64_t v0, uint64_t v1)
{
	return sys_openat2(c);
}
static int64_t op_stat(struct ctx *c, uint64_t flags, uint64_t v1)
{
	return sys_newfstatat(c, (int)flags);
}
static int64_t op_statx(struct ctx *c, uint64_t flags, uint64_t mask)
{
	return sys_statx(c, (int)flags, (unsigned)mask);
}
static int64_t op_access(struct ctx *c, uint64_t mode, uint64_t flags)
{
	return do_access(c, (int)mode, (int)flags);
}
static int64_t op_readlink(struct ctx *c, uint64_t v0, uint64_t v1)
{
	return do_readlink(c, c->call->args[c->sh->size_arg]);
}
static int64_t op_mkdir(struct ctx *c, uint64_t mode, uint64_t v1)
{
	return do_mkdir(c, (unsigned)mode);
}
static int64_t op_unlink(struct ctx *c, uint64_t flags, uint64_t v1)
{
	return do_unlink(c, (int)flags);
}
static int64_t op_rename(struct ctx *c, uint64_t flags, uint64_t v1)
{
	return do_rename(c, (unsigned)flags);
}
static int64_t op_link(struct ctx *c, uint64_t flags, uint64_t v1)
{
	return do_link(c, (int)flags);
}
static int64_t op_symlink(struct ctx *c, uint64_t v0, uint64_t v1)
{
	return do_symlink(c);
}
static int64_t op_chmod(struct ctx *c, uint64_t mode, uint64_t flags)
{
	return do_chmod(c, (unsigned)mode, (int)flags);
}
static int64_t op_truncate(struct ctx *c, uint64_t length, uint64_t v1)
{
	return do_truncate(c, (int64_t)length);
}
static int64_t op_utimens(struct ctx *c, uint64_t flags, uint64_t v1)
{
	return do_utimensat(c, (int)flags);
}
static int64_t op_exec(struct ctx *c, uint64_t flags, uint64_t v1)
{
	return do_exec(c, (int)flags);
}
static int64_t op_chdir(struct ctx *c, uint64_t v0, uint64_t v1)
{
	return do_chdir(c);
}
static int64_t op_getxattr(struct ctx *c, uint64_t flags, uint64_t v1)
{
	return do_getxattr(c, (int)flags);
}
static int64_t op_listxattr(struct ctx *c, uint64_t flags, uint64_t v1)
{
	return do_listxattr(c, (int)flags);
}
static int64_t op_setxattr(struct ctx *c, uint64_t flags, uint64_t xflags)
{
	return do_setxattr(c, (int)flags, (unsigned)xflags);
}
static int64_t op_removexattr(struct ctx *c, uint64_t flags, uint64_t v1)
{
	return do_removexattr(c, (int)flags);
}
static int64_t op_inotify(struct ctx *c, uint64_t mask, uint64_t v1)
{
	return do_inotify(c, (uint32_t)mask);
}
static int64_t op_fanotify(struct ctx *c, uint64_t flags, uint64_t mask)
{
	return do_fanotify(c, (unsigned)flags, mask);
}
static int64_t op_chown(struct ctx *c, uint64_t flags, uint64_t v1)
{
	return do_chown(c, (int)flags);
}
static int64_t op_mknod(struct ctx *c, uint64_t mode, uint64_t dev)
{
	return do_mknod(c, (unsigned)mode); /* dev: only for the devices it refuses */
}
static int64_t op_statfs(struct ctx *c, uint64_t v0, uint64_t v1)
{
	return do_statfs(c);
}

static const op_fn ops[] = {
	[SB_OP_OPEN] = op_open,         [SB_OP_OPENAT2] = op_openat2,
	[SB_OP_STAT] = op_stat,         [SB_OP_STATX] = op_statx,
	[SB_OP_ACCESS] = op_access,     [SB_OP_READLINK] = op_readlink,
	[SB_OP_MKDIR] = op_mkdir,       [SB_OP_UNLINK] = op_unlink,
	[SB_OP_RENAME] = op_rename,     [SB_OP_LINK] = op_link,
	[SB_OP_SYMLINK] = op_symlink,   [SB_OP_CHMOD] = op_chmod,
	[SB_OP_TRUNCATE] = op_truncate, [SB_OP_UTIMENS] = op_utimens,
	[SB_OP_EXEC] = op_exec,         [SB_OP_CHDIR] = op_chdir,
	[SB_OP_GETXATTR] = op_getxattr, [SB_OP_LISTXATTR] = op_listxattr,
	[SB_OP_SETXATTR] = op_setxattr, [SB_OP_REMOVEXATTR] = op_removexattr,
	[SB_OP_INOTIFY] = op_inotify,   [SB_OP_FANOTIFY] = op_fanotify,
	[SB_OP_CHOWN] = op_chown,       [SB_OP_MKNOD] = op_mknod,
	[SB_OP_STATFS] = op_statfs,
};

/* Every operation but the network's (broker/net.c) and the refused one has its function here. */
_Static_assert(ELEMENTSOF(ops) == SB_OP_NET, "an operation of common/syscalls.h has no function");

static uint64_t iarg(const struct sb_call *call, const struct sb_shape *sh, int i)
{
	return sh->iarg[i] == SB_NOARG ? 0 : call->args[sh->iarg[i]];
}

static int64_t dispatch(struct ctx *c)
{
	const struct sb_shape *sh = c->sh;
	op_fn fn = sh->op < ELEMENTSOF(ops) ? ops[sh->op] : NULL;
	if (!fn)
		return -ENOSYS; /* a network row, or one not served */
	return fn(c, iarg(c->call, sh, 0) | sh->ifixed, iarg(c->call, sh, 1));
}

enum sb_verdict sb_syscall_carry(const struct sb_policy *policy, struct sb_limits *limits, int nr,
				 const uint64_t args[6], struct sb_decision *sd,
				 struct sb_result *res)
{
	if (sd->verdict == SB_ALLOW && sd->limit) {
		int e = sb_limits_take_in(limits, sd, res->limit, sizeof(res->limit));
		if (e < 0) {
			sd->verdict = SB_DENY;
			sd->err = -e;
			sd->log = true;
		}
	}
	if ((sd->verdict == SB_DENY || sd->verdict == SB_KILL) && policy->learn &&
	    sb_syscall_learnable(nr, args, sd)) {
		res->learned[0] = (struct sb_learned){ .decision = *sd };
		res->nlearned = 1;
		res->limit[0] = 0;
		*sd = (struct sb_decision){ .verdict = SB_ALLOW, .rule_id = -1 };
	}
	res->decision = *sd;
	return sd->verdict;
}

void sb_result_reset(struct sb_result *res, const struct sb_decision *d)
{
	res->ret = 0;
	res->retry = (struct sb_retry){ .fd = -1 };
	res->fd = -1;
	res->cloexec = false;
	res->outlen = 0;
	res->decision = d ? *d : (struct sb_decision){ 0 };
	res->perm = res->perms = 0;
	res->path[0] = res->path2[0] = res->addr[0] = 0;
	res->limit[0] = 0;
	res->nlearned = 0;
}

int sb_execute(const struct sb_policy *policy, struct sb_limits *limits, const struct sb_call *call,
	       struct sb_result *res)
{
	res->ret = 0;
	res->retry = (struct sb_retry){ .fd = -1 };
	res->fd = -1;
	res->cloexec = false;
	res->outlen = 0;
	res->decision = (struct sb_decision){ .verdict = SB_ALLOW, .rule_id = -1 };
	res->perm = res->perms = 0;
	res->path[0] = res->path2[0] = 0;
	res->addr[0] = 0;
	res->limit[0] = 0;
	res->nlearned = 0;
	if (!policy || !call) {
		res->ret = -EIO;
		return -EINVAL;
	}

	/* The transport found the row already (decode.c, notify.c); a bare call looks it up. */
	const struct sb_shape *sh =
		call->shape && call->shape->nr == call->nr && call->shape->op != SB_OP_NONE
			? call->shape
			: sb_shape_lookup(call->nr);
	if (!sh) {
		res->ret = -ENOSYS;
		return -ENOSYS;
	}

	/* Heap-free but large (two PATH_MAX buffers): fine on the broker's stack. */
	struct ctx c = { .policy = policy, .limits = limits, .call = call, .sh = sh, .res = res };
	for (int i = 0; i < 2; i++) {
		if (!call->path[i])
			continue;
		int r = rewrite_proc_self(&c, call->path[i], c.buf[i]);
		if (r < 0) {
			res->ret = r;
			return 0;
		}
		c.path[i] = c.buf[i];
	}

	int64_t ret = dispatch(&c);
	if (ret < 0)
		res->fd = safe_close(res->fd);
	res->ret = ret;
	return 0;
}
