/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The executor: performs one brokered file syscall on a sandboxee's behalf, as the policy
 * decides. Transport-neutral: the trap and notify paths both decode into struct sb_call and
 * turn struct sb_result into their replies.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"
#include "syscalls.h"

#define SB_MAX_OUT 4096 /* largest result copied back: readlink buffer; stat/statx are smaller */

enum sb_transport {
	SB_TRANSPORT_TRAP,
	SB_TRANSPORT_NOTIFY,
};

/* A decoded request. Everything here is the broker's own copy. */
struct sb_limits; /* quota.h */

struct sb_call {
	int nr;
	uint64_t args[6]; /* raw register values; pointers are meaningless here */
	pid_t pid;        /* the caller, as the kernel vouched (SCM_CREDENTIALS/notif) */
	enum sb_transport transport;
	const struct sb_shape *shape;
	const char *path[2]; /* copies of the path arguments (NULL if the call has none) */
	int dirfd[2];        /* fds for the dirfd arguments, already fetched from the caller
			      * (pidfd_getfd) or opened on /proc/PID/cwd for AT_FDCWD and
			      * relative paths; -1 when the path is absolute or absent. For a
			      * SB_SHAPE_FD_ARG0 row, dirfd[1] is the caller's fd arg0 */
	bool own_fd[2];      /* path[i] is /proc/self/fd/N of a SB_SHAPE_FD_PATH row: dirfd[i]
			      * is the caller's fd N, fetched */
	const char *string;  /* symlink target (not resolved), or NULL */
	const void *in;      /* copy of the input struct (open_how, timespec[2]) or NULL */
	size_t in_len;
	const void *data; /* copy of the value a setxattr call sets, or NULL */
	size_t data_len;
};

/* Learn mode: a denial the broker let through, for its "would-deny" audit record. */
#define SB_MAX_LEARNED 4
struct sb_learned {
	struct sb_decision decision;
	uint32_t perm;  /* the permission that was missing (SB_PERM_*), 0 for a syscall rule */
	uint32_t perms; /* every permission the call needed there */
	char path[PATH_MAX];
};

/*
 * An open or truncate of a regular file that a lease holds (the kernel is breaking it): what to
 * retry (sb_execute_retry) instead of blocking the broker for lease-break-time.
 */
struct sb_retry {
	bool pending;  /* the call waits; res->ret is -EWOULDBLOCK meanwhile */
	int fd;        /* the resolved file (O_PATH), owned, when pending */
	int flags;     /* the open's flags, O_NONBLOCK included */
	bool nonblock; /* the caller asked for O_NONBLOCK (else it is cleared after the open) */
	bool fifo;     /* a FIFO: opened for writing before a reader comes, it waits (ENXIO) */
	bool truncate; /* a truncate: open for writing, then ftruncate to length */
	int64_t length;
};

struct sb_result {
	int64_t ret;             /* the syscall's return value, or -errno */
	struct sb_retry retry;   /* a lease held the call: retry it (sb_execute_retry) */
	int fd;                  /* an fd to hand back, or -1; the executor gives up ownership */
	bool cloexec;            /* the caller asked for O_CLOEXEC */
	char addr[160];          /* network calls: the address decided on (audit "addr"), or "" */
	uint8_t out[SB_MAX_OUT]; /* bytes to copy to args[shape->out_arg], outlen of them */
	size_t outlen;
	/* for the audit record */
	struct sb_decision decision;
	uint32_t perm;        /* the permission that was checked (SB_PERM_*), 0 if none */
	char path[PATH_MAX];  /* the canonical path decided on, "" if none */
	char path2[PATH_MAX]; /* second path (rename, link), "" if none */
	uint32_t perms;       /* every permission asked for with perm, 0 if none */
	char limit[48];       /* the limit the call was over ("at most 3"), "" if none */
	/* Learn mode: the denials let through; each gets a "would-deny" record. */
	struct sb_learned learned[SB_MAX_LEARNED];
	unsigned nlearned;
};

/*
 * Decide and perform the call. Always fills res (res->fd = -1 unless an fd is returned);
 * returns 0, or -errno only for internal failures (then res->ret is -EIO... never a success).
 */
int sb_execute(const struct sb_policy *policy, struct sb_limits *limits, const struct sb_call *call,
	       struct sb_result *res);

/*
 * Try res->retry again: 1 while the lease still holds it, 0 when res->ret (and res->fd) is the
 * answer; res->retry.fd is then closed. Never blocks on a lease.
 */
int sb_execute_retry(struct sb_result *res);

/*
 * A call the syscall rules decided (sd, from sb_policy_eval_syscall): counts it against the
 * deciding rule's limits (over a limit, *sd becomes the rule's denial and res->limit says which)
 * and, in learn mode, turns a learnable denial into an allow noted in res->learned. Returns the
 * verdict to carry out; res->decision is *sd. Call after sb_result_reset(res, sd).
 */
enum sb_verdict sb_syscall_carry(const struct sb_policy *policy, struct sb_limits *limits, int nr,
				 const uint64_t args[6], struct sb_decision *sd,
				 struct sb_result *res);

/* Forget the previous call (every field but the out buffer's bytes): res->fd -1, no paths. */
void sb_result_reset(struct sb_result *res, const struct sb_decision *d);
