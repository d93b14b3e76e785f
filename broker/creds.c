/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "creds.h"
#include "macro.h"
#include "proc.h"

struct caller {
	uid_t fsuid;
	gid_t fsgid;
	bool cap_chown;
	int ngroups;
	gid_t groups[SB_MAX_GROUPS];
};

static int read_caller(pid_t pid, struct caller *c)
{
	char buf[16384];
	uint64_t v[SB_MAX_GROUPS];
	ssize_t len = sb_proc_status(pid, buf, sizeof(buf));
	if (len < 0)
		return (int)len;
	if (sb_proc_status_numbers(buf, "Uid", 10, v, 4) != 4)
		return -EIO;
	c->fsuid = (uid_t)v[3];
	if (sb_proc_status_numbers(buf, "Gid", 10, v, 4) != 4)
		return -EIO;
	c->fsgid = (gid_t)v[3];
	if (sb_proc_status_numbers(buf, "CapEff", 16, v, 1) != 1)
		return -EIO;
	c->cap_chown = v[0] & (1ULL << CAP_CHOWN);
	int n = sb_proc_status_numbers(buf, "Groups", 10, v, SB_MAX_GROUPS);
	if (n < 0)
		return -EIO;
	c->ngroups = n;
	for (int i = 0; i < n; i++)
		c->groups[i] = (gid_t)v[i];
	return 0;
}

static bool same_groups(const gid_t *a, int na, const gid_t *b, int nb)
{
	if (na != nb)
		return false;
	for (int i = 0; i < na; i++) {
		bool found = false;
		for (int j = 0; j < nb && !found; j++)
			found = a[i] == b[j];
		if (!found)
			return false;
	}
	return true;
}

static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	return syscall(SYS_capget, &h, data) < 0 ? -errno : 0;
}

static int caps_set(const struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	return syscall(SYS_capset, &h, data) < 0 ? -errno : 0;
}

int sb_creds_enter(pid_t pid, struct sb_creds_saved *s)
{
	struct caller c = { 0 };
	int e = read_caller(pid, &c);

	s->switched = s->groups_set = false;
	if (e < 0)
		return e;
	s->fsuid = (uid_t)setfsuid((uid_t)-1);
	s->fsgid = (gid_t)setfsgid((gid_t)-1);
	s->ngroups = (int)syscall(SYS_getgroups, SB_MAX_GROUPS, s->groups);
	if (s->ngroups < 0)
		return -errno;
	e = caps_get(s->caps);
	if (e < 0)
		return e;
	bool groups_ok = same_groups(c.groups, c.ngroups, s->groups, s->ngroups);
	bool cap_ok = c.cap_chown || !(s->caps[0].effective & (1u << CAP_CHOWN));
	if (s->fsuid == c.fsuid && s->fsgid == c.fsgid && groups_ok && cap_ok)
		return 0;

	s->switched = true;
	if (!groups_ok) {
		if (syscall(SYS_setgroups, c.ngroups, c.groups) < 0)
			goto fail;
		s->groups_set = true;
	}
	setfsgid(c.fsgid);
	setfsuid(c.fsuid);
	if ((uid_t)setfsuid((uid_t)-1) != c.fsuid || (gid_t)setfsgid((gid_t)-1) != c.fsgid)
		goto fail;
	if (!c.cap_chown) {
		/* A caller with fsuid 0 keeps our fs capabilities: give up CAP_CHOWN itself. */
		struct __user_cap_data_struct now[2];
		if (caps_get(now) < 0)
			goto fail;
		now[0].effective &= ~(1u << CAP_CHOWN);
		if (caps_set(now) < 0)
			goto fail;
	}
	return 0;
fail:
	sb_creds_leave(s);
	return -EPERM;
}

void sb_creds_leave(struct sb_creds_saved *s)
{
	if (!s->switched)
		return;
	setfsuid(s->fsuid);
	setfsgid(s->fsgid);
	if (s->groups_set)
		(void)syscall(SYS_setgroups, s->ngroups, s->groups);
	/* Back to fsuid 0 raises every permitted fs capability: restore the effective set too. */
	(void)caps_set(s->caps);
	s->switched = false;
}
