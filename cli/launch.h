/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `sysbroker run`: the sandboxee's side of the fork, and the launcher's side of its report. */
#pragma once

#include <signal.h>

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <sys/types.h>

#include "kgrants.h"
#include "run.h"

/* What the sandboxee's first process needs between fork and exec. */
struct child_args {
	const struct run_opts *o;
	const char *prog;
	char **envp;
	struct sock_fprog main; /* the base filter, with the unknown-number prefix */
	scmp_filter_ctx guard, launcher;
	int pipe_w;
	int ctrl; /* our end of the control socket, already at its final number */
	bool as_user;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	/* What sysbroker's invoker left, which the program gets as it would without the sandbox */
	sigset_t mask;      /* the signal mask */
	bool chld_ign;      /* SIGCHLD was ignored (sysbroker itself needs it back to default) */
	struct kgrants *kg; /* kernel grants to apply before the filters (kgrants.h) */
};

/* Whether fd (of this process) is a seccomp listener, as /proc/self/fd says. */
bool is_listener(int fd);
/*
 * Become the program: signals, process group, fds, directory, user, capabilities,
 * no_new_privs, the three filters, exec. A failure before exec is reported on a->pipe_w.
 */
__attribute__((noreturn)) void child_main(struct child_args *a);
/*
 * Read the child's report from pipe_r ("K<n>", its kernel grants, into *kg; "L<fd>" once its
 * filter is about to load, or "E<reason>") and take its seccomp listener through a pidfd (into
 * *pidfd, for the caller to close). Returns the listener, or -1 once the reason was said.
 */
int take_listener(int pipe_r, pid_t child, int *pidfd, int *kg);
