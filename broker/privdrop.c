/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SB_REQ_PRIVDROP: find the threads of a process that still hold a privilege, and signal them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "macro.h"
#include "proc.h"
#include "privdrop.h"
#include "protocol.h"

/* From a thread's status file: does it hold a privilege? Threads that are dead hold none. */
static int privileged(int taskfd, const char *tid)
{
	struct sb_thread_status ts;
	int r = sb_proc_thread_status(taskfd, tid, &ts);
	if (r < 0 || ts.dead)
		return r;
	/* Kernels before 4.10 do not say whether it has no_new_privs: then ask anyway, the
	 * handler sets it. */
	return ts.caps || ts.nnp != 1;
}

int sb_privdrop_request(pid_t pid, int pidfd, const void *msg, size_t len)
{
	struct sb_req req;
	char path[64];
	int count = 0;

	if (!msg || len != sizeof(req))
		return -EPROTO;
	memcpy(&req, msg, sizeof(req));
	if (req.magic != SB_PROTO_MAGIC_REQ || req.version != SB_PROTO_VERSION ||
	    req.type != SB_REQ_PRIVDROP)
		return -EPROTO;
	if (req.arch != SB_AUDIT_ARCH)
		return -EAFNOSUPPORT;
	if (req.nr != 0 || req.args[0] >= SB_PRIVDROP_ROUNDS)
		return -EPROTO;
	for (size_t i = 1; i < 6; i++)
		if (req.args[i])
			return -EPROTO;
	for (size_t i = 0; i < SB_ITEM_MAX; i++)
		if (req.len[i])
			return -EPROTO;
	if (pid <= 0 || pidfd < 0)
		return -ESRCH;
	if (req.args[0] > 0)
		usleep(SB_PRIVDROP_WAIT_US); /* the threads signalled last round are running */

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	_cleanup_close_ int taskfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (taskfd < 0)
		return -errno;
	/* Alive after the open: the directory is that process's, not a reused pid's. */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		return -ESRCH;
	DIR *d = sb_opendir_dup(taskfd);
	if (!d)
		return -errno;
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		int p = privileged(taskfd, de->d_name);
		if (p < 0) {
			r = p;
			break;
		}
		if (!p)
			continue;
		/* A thread that exited meanwhile: ESRCH, nothing to do. */
		if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
			r = -ESRCH;
			break;
		}
		if (syscall(SYS_tgkill, pid, atoi(de->d_name), SIGSYS) == 0)
			count++;
	}
	closedir(d);
	return r < 0 ? r : count;
}
