/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `sysbroker run`: the broker's side while the program runs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "launch.h"
#include "loop.h"
#include "pending.h"
#include "policy.h"
#include "registry.h"

struct run_state {
	pid_t child;
	int status; /* the program's wait status, valid once child_done */
	bool child_done;
	bool timed_out;
	bool tty;         /* we handed the terminal to the program's group */
	bool log_stopped; /* a record could not be written under log-failure stop: tree killed */
	bool narrowed;    /* a reload narrowed a kernel grant: tree killed */
	int ttyfd;
};

/*
 * A policy read by a reload. The broker holds it (pending.h) while it is in force and while a call
 * decided under it waits; its release frees it. The first policy is not one: the kernel's
 * decisions stay its (lc->kernel), so it lives to the end.
 */
struct loaded {
	struct sb_policy_hold hold; /* first: its release gets the struct */
	struct loaded *next, *prev; /* lc->loaded: what is not released yet */
	struct loop_ctx *lc;
	struct sb_policy *policy;
	struct sb_policy eff;
	struct sb_sysrule *rules;
};

struct loop_ctx {
	struct run_state *st;
	pid_t self;
	int proc_fd; /* /proc, opened before the sandbox could use up our fds: kill_tree */
	/* reload */
	int reload_sig;
	const char *policy_path; /* absolute: the broker never changes directory, but be sure */
	const char *preload;
	bool learn;
	const struct sb_policy *kernel;     /* the policy the filters were built from */
	const struct sb_kgrant_plan *kplan; /* the kernel grants in force, or NULL */
	int log_fd;
	struct reload_chan answer; /* where `sysbroker reload` waits */
	struct loaded *loaded;
	size_t nloaded; /* not released yet */
	/* the audit log: what a record that cannot be written does, and the log's name */
	uint8_t log_failure; /* enum sb_log_failure, never UNSET here */
	const char *log_name;
};

/* Kill every process below lc->self until none is left. */
void kill_tree(const struct loop_ctx *lc);
/* Reap whatever exited; the loop stops once the last process of the tree is gone. */
void reap(struct sb_broker *b, struct loop_ctx *lc);
/* The loop's handlers: the signalfd (forward, reap, reload) and the --timeout timerfd. */
void on_signal(struct sb_broker *b, int fd, uint32_t events, void *data);
void on_timeout(struct sb_broker *b, int fd, uint32_t events, void *data);
/* The audit log's failure hook (sb_audit_fail_fn): say it once, and stop the tree if asked. */
void on_log_failure(void *data, int err, bool first);
/* The reloaded policies the broker has not released (none once it is freed). */
void loaded_free(struct loop_ctx *lc);
/* Keep only what acting for the sandboxee needs. Returns 0 or -errno. */
int drop_broker_privileges(const struct child_args *a, const struct sb_policy *policy);
/* The exit status of `run`: the program's, 128+N for signal N, 124 on timeout, else 125. */
int exit_status(const struct run_state *st);
