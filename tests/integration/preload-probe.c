/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A dynamically linked program for test-trapfilter, run with libsysbroker-preload.so: it reports
 * whether the runtime armed the trap path, and what open(2) answers for FILE through the C
 * library and from this program's own text, and whether GRANTED reads back as "granted\n".
 * Usage: preload-probe FILE GRANTED. Output: one line, "armed=A libc=E inline=E granted=E".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "inline-syscall.h"

int main(int argc, char **argv)
{
	struct sigaction sa;
	char line[128], buf[32];

	if (argc != 3)
		return 2;
	int armed = sigaction(SIGSYS, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL;

	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	int libc = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);

	long r = inline_syscall4(SYS_openat, AT_FDCWD, (long)argv[1], O_RDONLY | O_CLOEXEC, 0);
	int own = r < 0 ? (int)-r : 0;
	if (r >= 0)
		close((int)r);

	int granted = 0;
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		granted = errno;
	} else {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		granted = strcmp(buf, "granted\n") == 0 ? 0 : EIO;
		close(fd);
	}

	int k = snprintf(line, sizeof(line), "armed=%d libc=%d inline=%d granted=%d\n", armed, libc,
			 own, granted);
	return write(1, line, (size_t)k) == k ? 0 : 1;
}
