/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's denial records (kaudit.h). One audit event is several netlink messages with one
 * serial: LANDLOCK_ACCESS (the domain, what blocked, the path), LANDLOCK_DOMAIN once per domain
 * (status=allocated and the pid that restricted itself), SYSCALL (the pid and the syscall), EOE.
 * The broker keeps the domains allocated by the processes it watches and writes a record when an
 * event of one of them ends. The text comes from the kernel, but the names in it (the path) are
 * the sandbox's: parsed with fixed bounds, and written through json-c like every other record.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kaudit.h"
#include "macro.h"

#ifndef AUDIT_LANDLOCK_ACCESS
#define AUDIT_LANDLOCK_ACCESS 1423
#define AUDIT_LANDLOCK_DOMAIN 1424
#endif
#ifndef AUDIT_NLGRP_READLOG
#define AUDIT_NLGRP_READLOG 1
#endif

#define MAX_WATCH 16
#define MAX_DOMAINS 64
#define MAX_EVENTS 32
#define MAX_PER_READ 256

struct event {
	uint64_t serial; /* 0: free */
	uint64_t domain;
	bool access;
	pid_t pid;
	int nr;
	char blockers[64];
	char path[PATH_MAX];
};

struct sb_kaudit {
	struct sb_audit_log *log;
	int fd;
	pid_t watch[MAX_WATCH];
	size_t nwatch;
	uint64_t domains[MAX_DOMAINS];
	size_t ndomains;
	struct event ev[MAX_EVENTS];
	unsigned long lost;
	char exe[PATH_MAX]; /* this program: the one that made the sandbox's domain */
};

int sb_kaudit_enabled(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (fd < 0)
		return -errno;
	struct nlmsghdr req = { .nlmsg_len = NLMSG_LENGTH(0),
				.nlmsg_type = AUDIT_GET,
				.nlmsg_flags = NLM_F_REQUEST,
				.nlmsg_seq = 1 };
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	int r = -EPROTO;
	if (sendto(fd, &req, req.nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		r = -errno;
	union {
		struct nlmsghdr h;
		char b[1024];
	} ans;
	for (int i = 0; r == -EPROTO && i < 4; i++) {
		ssize_t n = recv(fd, &ans, sizeof(ans), 0);
		if (n < 0) {
			r = -errno;
		} else if ((size_t)n >= NLMSG_LENGTH(sizeof(struct audit_status)) &&
			   ans.h.nlmsg_type == AUDIT_GET) {
			const struct audit_status *s = NLMSG_DATA(&ans.h);
			r = s->enabled != 0;
		} else if ((size_t)n >= NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
			   ans.h.nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(&ans.h);
			if (e->error)
				r = e->error;
		}
	}
	close(fd);
	return r;
}

int sb_kaudit_open(struct sb_audit_log *log, struct sb_kaudit **ret)
{
	int on = sb_kaudit_enabled();
	if (on <= 0)
		return on == 0 ? -ENOTCONN : on;
	struct sb_kaudit *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->log = log;
	ssize_t n = readlink("/proc/self/exe", k->exe, sizeof(k->exe) - 1);
	k->exe[n > 0 ? n : 0] = 0;
	k->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1) };
	if (k->fd < 0 || bind(k->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		sb_kaudit_free(k);
		return r;
	}
	*ret = k;
	return 0;
}

struct sb_kaudit *sb_kaudit_free(struct sb_kaudit *k)
{
	if (k) {
		if (k->fd >= 0)
			close(k->fd);
		free(k);
	}
	return NULL;
}

int sb_kaudit_fd(const struct sb_kaudit *k)
{
	return k->fd;
}

int sb_kaudit_watch(struct sb_kaudit *k, pid_t pid)
{
	if (k->nwatch >= MAX_WATCH)
		return -E2BIG;
	k->watch[k->nwatch++] = pid;
	return 0;
}

/*
 * The value of " key=" in text (NUL-terminated) into out: a quoted string as written, an unquoted
 * one as written, or decoded from hex when hex is set and it is all hex digits (the kernel writes
 * a name that needs escaping as hex). false: no such field, or it does not fit.
 */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool field(const char *text, const char *key, bool hex, char *out, size_t size)
{
	size_t kl = strlen(key);
	const char *p = text;
	while ((p = strstr(p, key)) && !(p > text && p[-1] == ' ' && p[kl] == '='))
		p += kl;
	if (!p)
		return false;
	p += kl + 1;
	size_t n = 0;
	if (*p == '"') {
		const char *e = strchr(++p, '"');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n >= size)
			return false;
		memcpy(out, p, n);
		out[n] = 0;
		return true;
	}
	n = strcspn(p, " ");
	bool all_hex = hex && n % 2 == 0;
	for (size_t i = 0; all_hex && i < n; i++)
		all_hex = hexval(p[i]) >= 0;
	if (all_hex) {
		if (n / 2 >= size)
			return false;
		for (size_t i = 0; i < n / 2; i++) {
			int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);
			if (hi < 0 || lo < 0)
				return false;
			out[i] = (char)((unsigned)hi << 4 | (unsigned)lo);
		}
		out[n / 2] = 0;
		return memchr(out, 0, n / 2) == NULL; /* a NUL inside: not a name */
	}
	if (n >= size)
		return false;
	memcpy(out, p, n);
	out[n] = 0;
	return true;
}

static bool num(const char *text, const char *key, int base, uint64_t *ret)
{
	char b[32], *end;
	if (!field(text, key, false, b, sizeof(b)) || !b[0])
		return false;
	errno = 0;
	*ret = strtoull(b, &end, base);
	return errno == 0 && *end == 0;
}

static struct event *event_for(struct sb_kaudit *k, uint64_t serial)
{
	struct event *free_slot = NULL, *oldest = &k->ev[0];
	for (size_t i = 0; i < MAX_EVENTS; i++) {
		if (k->ev[i].serial == serial)
			return &k->ev[i];
		if (!k->ev[i].serial && !free_slot)
			free_slot = &k->ev[i];
		if (k->ev[i].serial < oldest->serial)
			oldest = &k->ev[i];
	}
	/* An event whose end never came is dropped for the newest (serials only grow). */
	struct event *e = free_slot ? free_slot : oldest;
	*e = (struct event){ .serial = serial, .nr = -1 };
	return e;
}

static bool ours(const struct sb_kaudit *k, uint64_t domain)
{
	for (size_t i = 0; i < k->ndomains; i++)
		if (k->domains[i] == domain)
			return true;
	return false;
}

static void on_domain(struct sb_kaudit *k, const char *text)
{
	char status[32];
	static char exe[PATH_MAX];
	uint64_t domain, pid;
	if (!field(text, "status", false, status, sizeof(status)) ||
	    strcmp(status, "allocated") != 0 || !num(text, "domain", 16, &domain) ||
	    !num(text, "pid", 10, &pid) || ours(k, domain))
		return;
	/*
	 * The sandbox's domain is made by the first process before it runs the program, so by this
	 * program's code. A domain the program makes itself (a nested one, same pid after exec)
	 * names the program: its refusals are not the policy's.
	 */
	if (!k->exe[0] || !field(text, "exe", true, exe, sizeof(exe)) || strcmp(exe, k->exe) != 0)
		return;
	for (size_t i = 0; i < k->nwatch; i++)
		if ((uint64_t)k->watch[i] == pid && k->ndomains < MAX_DOMAINS)
			k->domains[k->ndomains++] = domain;
}

static void on_end(struct sb_kaudit *k, struct event *e)
{
	if (e->access && ours(k, e->domain))
		sb_audit_kernel_deny(k->log, e->pid, e->nr, e->path, e->blockers);
	e->serial = 0;
}

/* One message: "audit(SECONDS.MILLIS:SERIAL): fields". */
static void on_message(struct sb_kaudit *k, int type, char *text)
{
	const char *s = strchr(text, ':');
	char *end;
	if (strncmp(text, "audit(", 6) != 0 || !s)
		return;
	uint64_t serial = strtoull(s + 1, &end, 10);
	if (end == s + 1 || *end != ')' || serial == 0)
		return;
	if (type == AUDIT_LANDLOCK_DOMAIN) {
		on_domain(k, end);
		return;
	}
	if (type != AUDIT_LANDLOCK_ACCESS && type != AUDIT_SYSCALL && type != AUDIT_EOE)
		return;
	struct event *e = event_for(k, serial);
	uint64_t v;
	if (type == AUDIT_LANDLOCK_ACCESS && !e->access && num(end, "domain", 16, &e->domain)) {
		e->access = field(end, "blockers", false, e->blockers, sizeof(e->blockers));
		if (!field(end, "path", true, e->path, sizeof(e->path)))
			e->path[0] = 0;
	} else if (type == AUDIT_SYSCALL) {
		if (num(end, "pid", 10, &v))
			e->pid = (pid_t)v;
		if (num(end, "syscall", 10, &v))
			e->nr = (int)v;
	} else if (type == AUDIT_EOE) {
		on_end(k, e);
	}
}

void sb_kaudit_read(struct sb_kaudit *k)
{
	/*
	 * A record's path is the sandbox's name, written as hex when it holds a space or a quote:
	 * up to 2 * PATH_MAX characters, past 8 KiB with the other fields. MSG_TRUNC returns the
	 * message's whole length, so one that still does not fit is counted, never dropped
	 * silently.
	 */
	static char buf[4 * PATH_MAX + 4096 + 1];
	for (int i = 0; i < MAX_PER_READ; i++) {
		ssize_t n = recv(k->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT | MSG_TRUNC);
		if ((n < 0 && errno == ENOBUFS) || n >= (ssize_t)sizeof(buf)) {
			/* The socket overflowed, or a record was cut: a denial lost its record. */
			if (k->lost++ == 0)
				sb_audit_event(k->log, 0, "log-error", "error",
					       n < 0 ? "kernel denial records dropped (ENOBUFS)"
						     : "kernel denial record too long, dropped");
			continue;
		}
		if (n <= 0)
			return;
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		if ((size_t)n < NLMSG_HDRLEN || h->nlmsg_len < NLMSG_HDRLEN ||
		    h->nlmsg_len > (size_t)n)
			continue;
		size_t len = h->nlmsg_len - NLMSG_HDRLEN;
		char *text = buf + NLMSG_HDRLEN;
		text[len] = 0;
		on_message(k, h->nlmsg_type, text);
	}
}

void sb_kaudit_drain(struct sb_kaudit *k, int quiet_ms)
{
	struct pollfd p = { .fd = k->fd, .events = POLLIN };
	for (int i = 0; i < 20 && poll(&p, 1, quiet_ms) > 0; i++)
		sb_kaudit_read(k);
}
