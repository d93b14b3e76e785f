/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/openat2.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "audit.h"
#include "macro.h"

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

int sb_audit_write(int fd, const struct sb_call *call, const struct sb_result *res)
{
	struct timespec ts;
	struct tm tm;
	char tbuf[64], rule[PATH_MAX + 32], fbuf[256];
	_cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, call->nr);
	json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(tbuf + n, sizeof(tbuf) - n, ".%03ldZ", ts.tv_nsec / 1000000);

	const struct sb_decision *d = &res->decision;
	bool denied = res->ret < 0 && d->verdict == SB_DENY;
	json_object_object_add(o, "v", json_object_new_int(SB_AUDIT_SCHEMA));
	json_object_object_add(o, "time", json_object_new_string(tbuf));
	json_object_object_add(o, "pid", json_object_new_int(call->pid));
	json_object_object_add(o, "syscall", json_object_new_string(name ? name : "?"));
	if (res->path[0])
		json_object_object_add(o, "path", json_object_new_string(res->path));
	if (res->path2[0])
		json_object_object_add(o, "path2", json_object_new_string(res->path2));
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
	if (res->perm)
		json_object_object_add(o, "perm",
				       json_object_new_string(sb_perm_name(res->perm)
								      ? sb_perm_name(res->perm)
								      : "?"));
	json_object_object_add(o, "decision", json_object_new_string(denied ? "deny" : "allow"));
	if (res->ret < 0)
		json_object_object_add(o, "errno",
				       json_object_new_string(sb_errno_name((int)-res->ret)));
	json_object_object_add(o, "rule",
			       json_object_new_string(sb_decision_rule(d, rule, sizeof(rule))));
	json_object_object_add(
		o, "transport",
		json_object_new_string(call->transport == SB_TRANSPORT_TRAP ? "trap" : "notify"));

	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	/* One write per record, newline included: O_APPEND writers never interleave. */
	_cleanup_free_ char *line = malloc(len + 2);
	int r = 0;
	if (!line)
		r = -ENOMEM;
	else {
		memcpy(line, s, len);
		line[len] = '\n';
		ssize_t w = write(fd, line, len + 1);
		if (w < 0)
			r = -errno;
		else if ((size_t)w != len + 1)
			r = -EIO;
	}
	json_object_put(o);
	return r;
}
