/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Escape attempts, run under `sysbroker run` by test-run-escapes.sh. Each subcommand tries one
 * way out with raw syscalls (so no C library wrapper can soften it) and prints one line per
 * attempt: "NAME ret=R errno=E". The script decides what counts as held.
 *
 *   escape signals BROKER_PID BROKER_PGRP   every way to signal the broker
 *   escape setown BROKER_PID                make the broker the SIGIO owner of an fd
 *   escape fds FD...                        are these inherited fds open here?
 *   escape tiocsti                          push input into the terminal
 *   escape listen                           listen on an unbound socket
 *   escape flood                            ask for channels until refused, then spin
 *   escape opens N PATH                     N denied opens of PATH
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "protocol.h"

static void report(const char *what, long r)
{
	printf("%s ret=%ld errno=%s\n", what, r, r < 0 ? strerrorname_np(errno) : "0");
	fflush(stdout);
}

#define TRY(what, ...) report(what, syscall(__VA_ARGS__))

static int ctrl_fd(void)
{
	const char *e = getenv("SYSBROKER_FD");
	return e ? atoi(e) : 1000;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *cmd = argv[1];
	if (strcmp(cmd, "signals") == 0 && argc == 4) {
		long broker = atol(argv[2]), pgrp = atol(argv[3]);
		TRY("kill-broker", SYS_kill, broker, 0);
		TRY("kill-broker-high-bits", SYS_kill, broker | 0x100000000L, 0);
		TRY("kill-broker-group", SYS_kill, -pgrp, 0);
		TRY("kill-everyone", SYS_kill, -1L, 0);
		TRY("tkill-broker", SYS_tkill, broker, 0);
		TRY("tgkill-broker", SYS_tgkill, broker, broker, 0);
		TRY("sigqueue-broker", SYS_rt_sigqueueinfo, broker, 0, NULL);
		TRY("pidfd-open-broker", SYS_pidfd_open, broker, 0);
		int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
		TRY("pidfd-send-signal", SYS_pidfd_send_signal, self, 0, NULL, 0);
		TRY("join-broker-group", SYS_setpgid, 0, pgrp);
		/* Had the join worked, this would reach the broker. */
		TRY("kill-own-group", SYS_kill, 0, 0);
		return 0;
	}
	if (strcmp(cmd, "setown") == 0 && argc == 3) {
		long broker = atol(argv[2]);
		int fd = ctrl_fd();
		TRY("f-setown", SYS_fcntl, fd, F_SETOWN, broker);
		struct f_owner_ex ex = { F_OWNER_PID, (pid_t)broker };
		TRY("f-setown-ex", SYS_fcntl, fd, F_SETOWN_EX, &ex);
		TRY("f-setsig", SYS_fcntl, fd, F_SETSIG, SIGKILL);
		int pid = (int)broker;
		TRY("fiosetown", SYS_ioctl, fd, FIOSETOWN, &pid);
		TRY("siocspgrp", SYS_ioctl, fd, SIOCSPGRP, &pid);
		/* Had any worked, this would make the kernel signal the broker. */
		long fl = syscall(SYS_fcntl, fd, F_GETFL);
		syscall(SYS_fcntl, fd, F_SETFL, fl | O_ASYNC);
		TRY("send-junk", SYS_sendto, fd, "junk", 4, 0, NULL, 0);
		usleep(200000);
		return 0;
	}
	if (strcmp(cmd, "fds") == 0) {
		for (int i = 2; i < argc; i++) {
			char what[32];
			snprintf(what, sizeof(what), "fd-%s", argv[i]);
			TRY(what, SYS_fcntl, atoi(argv[i]), F_GETFD);
		}
		return 0;
	}
	if (strcmp(cmd, "tiocsti") == 0) {
		char c = 'x';
		TRY("tiocsti", SYS_ioctl, 0, TIOCSTI, &c);
		TRY("tioclinux", SYS_ioctl, 0, TIOCLINUX, &c);
		return 0;
	}
	if (strcmp(cmd, "listen") == 0) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		TRY("listen-unbound", SYS_listen, s, 8);
		return 0;
	}
	if (strcmp(cmd, "opens") == 0 && argc == 4) {
		/* Denied opens in a loop: the log must not take them all. */
		long n = atol(argv[2]), denied = 0;
		for (long i = 0; i < n; i++)
			denied += syscall(SYS_openat, AT_FDCWD, argv[3], O_RDONLY, 0) < 0;
		printf("opens denied=%ld\n", denied);
		return 0;
	}
	if (strcmp(cmd, "flood") == 0) {
		struct sb_req req = { .magic = SB_PROTO_MAGIC_REQ,
				      .version = SB_PROTO_VERSION,
				      .type = SB_REQ_CHANNEL,
				      .arch = SB_AUDIT_ARCH };
		int fd = ctrl_fd(), got = 0;
		long last = 0;
		for (int i = 0; i < 100000; i++) {
			char buf[256];
			union {
				char b[CMSG_SPACE(sizeof(int))];
				struct cmsghdr a;
			} u;
			struct iovec iov = { buf, sizeof(buf) };
			struct msghdr mh = { .msg_iov = &iov,
					     .msg_iovlen = 1,
					     .msg_control = u.b,
					     .msg_controllen = sizeof(u.b) };
			if (syscall(SYS_sendto, fd, &req, sizeof(req), 0, NULL, 0) < 0)
				break;
			last = syscall(SYS_recvmsg, fd, &mh, 0);
			if (last < (long)sizeof(struct sb_rep))
				break;
			struct sb_rep rep;
			memcpy(&rep, buf, sizeof(rep));
			last = rep.ret;
			if (rep.ret < 0 || !CMSG_FIRSTHDR(&mh))
				break;
			got++;
		}
		printf("flood channels=%d last=%ld\n", got, last);
		fflush(stdout);
		for (;;)
			;
	}
	return 2;
}
