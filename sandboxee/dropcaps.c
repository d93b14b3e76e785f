/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The broker's request to drop this thread's privileges (SB_REQ_PRIVDROP), which comes as a
 * SIGSYS it sends with tgkill(2): one of the two things the SIGSYS handler does (sigsys.c).
 * Signal context: raw syscalls only.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "handler.h"
#include "raw.h"

int sb_privdrop_from;

/* tgkill(2) from the broker: only it can send SI_TKILL with its own pid to us. */
bool sb_privdrop_requested(const siginfo_t *si)
{
	return si->si_code == SI_TKILL && sb_privdrop_from > 0 && si->si_pid == sb_privdrop_from;
}

/*
 * Capabilities belong to each thread: sb_sandbox_enter drops its own with libcap, and the broker
 * asks every other thread that still holds one (SB_REQ_PRIVDROP) with a SIGSYS. Lower the
 * bounding set (possible only with CAP_SETPCAP, which comes last), empty the ambient set, then
 * every other set, and set no_new_privs. Each step only lowers; none can fail in a way that
 * leaves more than before.
 */
void sb_privdrop_self(void)
{
	struct {
		uint32_t version;
		int pid;
	} hdr = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 };
	struct {
		uint32_t effective, permitted, inheritable;
	} data[2];

	for (long cap = 0; cap < 64; cap++)
		if (raw(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0, 0) < 0)
			break; /* EINVAL past the last capability, EPERM without CAP_SETPCAP */
	raw(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0, 0);
	sb_memzero(data, sizeof(data));
	raw(SYS_capset, (long)&hdr, (long)data, 0, 0, 0, 0);
	raw(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
}
