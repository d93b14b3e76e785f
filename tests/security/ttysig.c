/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A signal to the broker through the terminal, tried for real by test-tty-signal.sh. The
 * sandboxed program shares the user's terminal, and the broker's process group is in the
 * terminal's session: tcsetpgrp(2) may hand the foreground to that group (TIOCSPGRP takes a
 * pointer, which no filter can read), and O_ASYNC on the terminal then makes the foreground group
 * the owner of its SIGIO (the terminal sets it; no F_SETOWN needed). Any input the user types
 * then sends SIGIO, whose default action ends the process, to the broker.
 *
 *   ttysig     prints "tcsetpgrp ret=R errno=E", "async ret=R errno=E", then "armed", and waits
 *              up to 5 s for its parent (the broker) to go away: "broker alive" or "broker gone"
 *              (on stderr, which the test points at a file outside the terminal)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void report(const char *what, int r)
{
	dprintf(2, "%s ret=%d errno=%s\n", what, r, r < 0 ? strerrorname_np(errno) : "0");
}

int main(void)
{
	pid_t broker = getppid();
	pid_t group = getpgid(broker);

	signal(SIGTTOU, SIG_IGN); /* tcsetpgrp from the background */
	report("tcsetpgrp", tcsetpgrp(STDIN_FILENO, group));
	int fl = fcntl(STDIN_FILENO, F_GETFL);
	report("async", fcntl(STDIN_FILENO, F_SETFL, fl | O_ASYNC));
	dprintf(2, "armed\n");
	for (int i = 0; i < 50 && getppid() == broker; i++)
		usleep(100000);
	dprintf(2, "broker %s\n", getppid() == broker ? "alive" : "gone");
	return 0;
}
