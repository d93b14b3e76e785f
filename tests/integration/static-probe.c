/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A statically linked program: no preloaded runtime can reach it, so every brokered call it
 * makes is served over notify. Prints each file it is given, or the error opening it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int ret = 0;
	for (int i = 1; i < argc; i++) {
		char buf[4096];
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			printf("%s: %s\n", argv[i], strerrorname_np(errno));
			ret = 1;
			continue;
		}
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, (size_t)n, stdout);
		close(fd);
	}
	return ret;
}
