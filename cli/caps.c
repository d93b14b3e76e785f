/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What `sysbroker run` may do with the capabilities it was given: the sets it holds, read with
 * libcap, decide; its uid does not. Root in a container typically holds a subset (no
 * CAP_SETPCAP, CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH), an unprivileged user holds none.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "macro.h"
#include "policy.h"

bool caps_held(cap_value_t cap)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t now = cap_get_proc();
	if (now && cap_get_flag(now, cap, CAP_PERMITTED, &v) < 0)
		v = CAP_CLEAR;
	cap_free(now);
	return v == CAP_SET;
}

bool caps_none_held(void)
{
	for (cap_value_t cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (caps_held(cap))
			return false;
	return true;
}

int caps_raise(void)
{
	cap_t now = cap_get_proc();
	int r = now ? 0 : -errno;
	for (cap_value_t cap = 0; r == 0 && cap <= CAP_LAST_CAP; cap++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(now, cap, CAP_PERMITTED, &v) == 0 && v == CAP_SET &&
		    cap_set_flag(now, CAP_EFFECTIVE, 1, &cap, CAP_SET) < 0)
			r = -errno;
	}
	if (r == 0 && cap_set_proc(now) < 0)
		r = -errno;
	cap_free(now);
	return r;
}

static bool listed(cap_value_t cap, const cap_value_t *keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == cap)
			return true;
	return false;
}

int caps_bound_to(const cap_value_t *keep, size_t n)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t now = cap_get_proc();
	if (!now)
		return -errno;
	int r = cap_get_flag(now, CAP_SETPCAP, CAP_EFFECTIVE, &v);
	cap_free(now);
	if (r < 0 || v != CAP_SET)
		return 0;
	/* CAP_SETPCAP goes last (unless kept): every earlier drop needs it. */
	for (cap_value_t cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (cap != CAP_SETPCAP && !listed(cap, keep, n) && cap_drop_bound(cap) < 0 &&
		    errno != EINVAL)
			return -errno;
	if (!listed(CAP_SETPCAP, keep, n) && cap_drop_bound(CAP_SETPCAP) < 0)
		return -errno;
	return 1;
}

int caps_keep(const cap_value_t *keep, size_t n)
{
	cap_value_t held[CAP_LAST_CAP + 1];
	int nheld = 0;
	for (size_t i = 0; i < n; i++)
		if (caps_held(keep[i]))
			held[nheld++] = keep[i];
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return -errno;
	cap_t caps = cap_init();
	if (!caps)
		return -errno;
	int r = nheld == 0 ? 0 : cap_set_flag(caps, CAP_PERMITTED, nheld, held, CAP_SET);
	if (r == 0 && nheld > 0)
		r = cap_set_flag(caps, CAP_EFFECTIVE, nheld, held, CAP_SET);
	if (r == 0)
		r = cap_set_proc(caps);
	r = r < 0 ? -errno : 0;
	cap_free(caps);
	return r;
}

/* "CAP_SYS_PTRACE" for cap_sys_ptrace, in buf. */
static const char *cap_name(cap_value_t cap, char *buf, size_t size)
{
	char *name = cap_to_name(cap);
	snprintf(buf, size, "%s", name ? name : "?");
	cap_free(name);
	for (char *p = buf; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return buf;
}

/* The first port a process without CAP_NET_BIND_SERVICE may bind (1024 unless lowered). */
static unsigned unprivileged_port_start(void)
{
	unsigned start = 1024;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	if (f) {
		if (fscanf(f, "%u", &start) != 1)
			start = 1024;
		fclose(f);
	}
	return start;
}

/* An allow rule whose every port needs CAP_NET_BIND_SERVICE (port 0, any free port, does not). */
static const struct sb_netrule *privileged_bind(const struct sb_policy *p)
{
	unsigned start = unprivileged_port_start();
	for (; p; p = p->next)
		for (size_t i = 0; i < p->nnets; i++) {
			const struct sb_netrule *r = &p->nets[i];
			if (r->c.verdict == SB_ALLOW && (r->ops & SB_NET_BIND) &&
			    (r->kind == SB_NET_TCP || r->kind == SB_NET_UDP) && r->port_lo > 0 &&
			    r->port_hi < start)
				return r;
		}
	return NULL;
}

const char *caps_refusal(bool as_user, const struct sb_policy *policy)
{
	/*
	 * --user: changing identity takes CAP_SETUID and CAP_SETGID; the broker then reaches a
	 * sandbox of another uid only with CAP_SYS_PTRACE (its listener and fds, its memory) and
	 * CAP_KILL (forwarded signals, --timeout).
	 */
	static const cap_value_t user_needs[] = { CAP_SETUID, CAP_SETGID, CAP_SYS_PTRACE,
						  CAP_KILL };
	static char msg[256];
	char name[64];

	for (size_t i = 0; as_user && i < ELEMENTSOF(user_needs); i++)
		if (!caps_held(user_needs[i])) {
			snprintf(msg, sizeof(msg),
				 "--user needs %s, which this process does not hold",
				 cap_name(user_needs[i], name, sizeof(name)));
			return msg;
		}
	const struct sb_netrule *r = privileged_bind(policy);
	if (r && !caps_held(CAP_NET_BIND_SERVICE)) {
		snprintf(msg, sizeof(msg),
			 "%s:%u: binding port %u needs CAP_NET_BIND_SERVICE, which this process "
			 "does "
			 "not hold",
			 r->c.origin.file ? r->c.origin.file : "policy", r->c.origin.line,
			 (unsigned)r->port_lo);
		return msg;
	}
	return NULL;
}
