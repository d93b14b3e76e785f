/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Acting with the caller's file identity. The broker performs calls with its own credentials,
 * which may be root's while the caller is not; for a call whose permission the kernel checks
 * against the acting thread alone (chown: the owner, the caller's groups, CAP_CHOWN), the broker
 * thread takes the caller's fsuid, fsgid, supplementary groups and, where the caller lacks it,
 * gives up CAP_CHOWN for the duration of the call. Credentials are per thread in the kernel; the
 * switch uses the raw syscalls (the C library's setgroups would change every thread).
 */
#pragma once

#include <linux/capability.h>
#include <stdbool.h>
#include <sys/types.h>

#define SB_MAX_GROUPS 256

struct sb_creds_saved {
	bool switched;
	bool groups_set;
	uid_t fsuid;
	gid_t fsgid;
	int ngroups;
	gid_t groups[SB_MAX_GROUPS];
	struct __user_cap_data_struct caps[2];
};

/*
 * Take the file identity of pid (from /proc/PID/status) on this thread, saving ours in s. Returns
 * 0 (sb_creds_leave() must follow) or -errno: -EPERM when the broker cannot become the caller
 * (it lacks the privilege to), -EIO for a status it cannot parse, or the error reading it.
 */
int sb_creds_enter(pid_t pid, struct sb_creds_saved *s);

/* Restore what sb_creds_enter() saved. */
void sb_creds_leave(struct sb_creds_saved *s);
