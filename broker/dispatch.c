/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The decision path (dispatch.h):
 *
 *   the syscall rules, on the integer arguments (the kernel copied them, or the request says
 *   them: a hand-made request may name any syscall)
 *     -> not left to the broker, or not served: limits and learn mode (sb_syscall_carry), then
 *        allow (notify: CONTINUE; trap: ENOSYS, the broker cannot make it for someone else),
 *        deny, or kill -> the audit record -> the answer
 *     -> served: the transport's prepare (notify: what the call needs opened by pid, its
 *        memory for results and a network call's pidfd, then ID_VALID) -> the network
 *        executor (broker/net.c, which may answer from the loop: pending.h), or the memory
 *        arguments copied, the dirfds fetched (a pidfd opened for that) -> valid again ->
 *        sb_execute -> the audit record -> the answer.
 *
 * The record is always written before the answer: it is on disk before the program can act on
 * what it was told.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "audit.h"
#include "dispatch.h"
#include "macro.h"
#include "net.h"
#include "notify.h"
#include "nowait.h"
#include "pending.h"
#include "proc.h"
#include "quota.h"
#include "resolve.h"

int sb_dispatch_new(struct sb_audit_log *log, struct sb_dispatch **ret)
{
	struct sb_dispatch *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->log = log;
	d->res.fd = -1;
	int r = sb_pending_new(&d->pending);
	if (r == 0 && sb_limits_new(&d->limits) < 0)
		r = -ENOMEM;
	if (r < 0) {
		sb_pending_free(d->pending);
		free(d);
		return r;
	}
	*ret = d;
	return 0;
}

struct sb_dispatch *sb_dispatch_free(struct sb_dispatch *d)
{
	if (!d)
		return NULL;
	sb_pending_free(d->pending);
	sb_limits_free(d->limits);
	sb_notify_state_free(d->notify);
	free(d);
	return NULL;
}

static void record(struct sb_dispatch *d, const struct sb_call *call, const struct sb_result *res,
		   bool log)
{
	if (sb_audit_wanted(res, log))
		sb_audit_write(d->log, call, res);
}

/* A call the syscall rules decide alone, or a brokered call the executor does not serve. */
static int by_rule(struct sb_dispatch *d, const struct sb_policy *policy,
		   const struct sb_call *call, struct sb_decision *sd, struct sb_reply *rp)
{
	struct sb_result *res = &d->res;
	enum sb_answer how = SB_ANSWER_REFUSE;

	if (sd->verdict == SB_BROKER || (sd->verdict == SB_ALLOW && !rp->ops->can_continue)) {
		/*
		 * Brokered but not a call the broker can make for someone else (a row it does not
		 * serve), or allowed where the kernel may not run it: refused, and like every
		 * refusal, on the record.
		 */
		*sd = (struct sb_decision){ .verdict = SB_DENY,
					    .err = ENOSYS,
					    .log = true,
					    .builtin = true,
					    .rule_id = -1 };
	}
	sb_result_reset(res, sd);
	if (sd->verdict != SB_BROKER)
		sb_syscall_carry(policy, d->limits, call->nr, call->args, sd, res);
	switch (sd->verdict) {
	case SB_ALLOW:
		/*
		 * Decided on the integer arguments the kernel copied: nothing the caller can
		 * change afterwards was looked at, so the kernel may run the call.
		 */
		how = SB_ANSWER_CONTINUE;
		break;
	case SB_DENY:
		res->ret = -(sd->err ? sd->err : EPERM);
		break;
	case SB_KILL:
		rp->ops->kill(rp, call);
		res->ret = -EPERM;
		break;
	case SB_BROKER:
		break; /* made a refusal above */
	}
	/* The record first: it is on disk before the program can act on the answer. */
	record(d, call, res, sd->log);
	return rp->ops->answer(rp, call, res, how);
}

static int refuse(struct sb_dispatch *d, const struct sb_call *call, struct sb_reply *rp, int err)
{
	sb_result_reset(&d->res, NULL);
	d->res.ret = err;
	return rp->ops->answer(rp, call, &d->res, SB_ANSWER_REFUSE);
}

/* The caller's pidfd: -errno if it cannot be had. */
static int reply_pidfd(struct sb_reply *rp, const struct sb_call *call)
{
	if (rp->ops->pidfd)
		return rp->ops->pidfd(rp, call);
	return rp->pidfd >= 0 ? rp->pidfd : -EIO;
}

/* The caller's dirfds (pidfd_getfd), or its cwd for a relative path. */
static int fetch_dirfds(struct sb_call *call, struct sb_reply *rp)
{
	const struct sb_shape *sh = call->shape;
	int r = 0, pidfd;

	for (int i = 0; i < 2 && r == 0; i++) {
		bool has_dirfd = sh->dirfd[i] != SB_NOARG;
		if (sh->path[i] == SB_NOARG)
			continue;
		int own = sh->flags & SB_SHAPE_FD_PATH ? sb_own_fd_number(call->path[i], call->pid)
						       : -1;
		if (own >= 0) {
			/* Fetched as a dirfd is: the object the caller's fd names (executor.c). */
			if ((pidfd = reply_pidfd(rp, call)) < 0)
				return pidfd;
			call->dirfd[i] = sb_pidfd_getfd(call->pid, pidfd, own);
			call->own_fd[i] = call->dirfd[i] >= 0;
			r = call->dirfd[i] >= 0 ? 0 : errno == EBADF ? -ENOENT : -errno;
			continue;
		}
		uint64_t dfd = has_dirfd ? call->args[sh->dirfd[i]] : 0;
		pidfd = -1;
		/*
		 * Only a real dirfd is fetched: absolute paths, the cwd (AT_FDCWD) and a negative
		 * dirfd (EBADF in sb_relative_base) need no pidfd.
		 */
		if ((!call->path[i] || call->path[i][0] != '/') && has_dirfd && (int)dfd >= 0 &&
		    (pidfd = reply_pidfd(rp, call)) < 0)
			return pidfd;
		r = sb_relative_base(call->pid, pidfd, call->path[i], has_dirfd, dfd,
				     &call->dirfd[i]);
	}
	if (r == 0 && (sh->flags & SB_SHAPE_FD_ARG0)) {
		/* The notification fd a watch goes to (inotify, fanotify): the caller's own. */
		int fd = (int)call->args[0];
		if (fd < 0)
			return -EBADF;
		if ((pidfd = reply_pidfd(rp, call)) < 0)
			return pidfd;
		call->dirfd[1] = sb_pidfd_getfd(call->pid, pidfd, fd);
		r = call->dirfd[1] < 0 ? -errno : 0;
	}
	return r;
}

/*
 * A file call a lease holds (executor.h, struct sb_retry): it waits in the loop, retried on the
 * tick until the kernel has broken the lease (lease-break-time at most), then recorded and
 * answered as it would have been at once.
 */
struct file_job {
	struct sb_job job;
	struct sb_audit_log *log; /* borrowed: the dispatcher's, which outlives its jobs */
	struct sb_call call;      /* its integers, for the record and the answer */
	bool log_wanted;
	struct sb_result res;
};

static bool file_retry(struct sb_job *j)
{
	struct file_job *f = (struct file_job *)j;
	if (sb_execute_retry(&f->res) > 0)
		return false;
	if (sb_audit_wanted(&f->res, f->log_wanted))
		sb_audit_write(f->log, &f->call, &f->res);
	j->rp->ops->answer(j->rp, &f->call, &f->res, SB_ANSWER_RESULT);
	return true;
}

static void file_free(struct sb_job *j)
{
	struct file_job *f = (struct file_job *)j;
	safe_close(f->res.fd);
	safe_close(f->res.retry.fd);
	j->rp->ops->free(j->rp);
	free(f);
}

static const struct sb_job_ops file_job_ops = { .retry = file_retry, .free = file_free };

/* Hand res (a lease holds the call) to the loop: 0, or -errno and res is still the caller's. */
static int file_wait(struct sb_dispatch *d, const struct sb_call *call, struct sb_result *res,
		     bool log, struct sb_reply *rp)
{
	struct file_job *f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	struct sb_reply *own = rp->ops->detach(rp);
	if (!own) {
		free(f);
		return -ENOMEM;
	}
	*f = (struct file_job){ .job = { .ops = &file_job_ops, .rp = own, .fd = -1 },
				.log = d->log,
				.call = *call,
				.log_wanted = log,
				.res = *res };
	f->call.path[0] = f->call.path[1] = f->call.string = NULL;
	f->call.in = f->call.data = NULL;
	f->call.dirfd[0] = f->call.dirfd[1] = -1;
	int r = sb_pending_add(d->pending, &f->job);
	if (r < 0) {
		own->ops->free(own);
		free(f);
		return r;
	}
	res->retry = (struct sb_retry){ .fd = -1 }; /* the job's now */
	return 0;
}

/* A served file call: its arguments, its dirfds, the executor, the record, the answer. */
static int serve_file(struct sb_dispatch *d, const struct sb_policy *policy, struct sb_call *call,
		      const struct sb_decision *sd, struct sb_reply *rp)
{
	struct sb_result *res = &d->res;
	int r = rp->ops->fetch ? rp->ops->fetch(rp, call) : 0;

	if (r == 0)
		r = fetch_dirfds(call, rp);
	if (r < 0)
		return refuse(d, call, rp, r);
	/* The cwd was opened by pid too, and the copies must be the caller's: check again. */
	if (rp->ops->valid && !rp->ops->valid(rp))
		return 0;

	sb_result_reset(res, sd);
	sb_execute(policy, d->limits, call, res);
	if (res->retry.pending) {
		r = file_wait(d, call, res, sd->log, rp);
		if (r == 0)
			return 0; /* the loop answers */
		res->ret = r;
		res->retry.fd = safe_close(res->retry.fd);
	}
	/*
	 * The record first. It says what was decided; a failure to deliver the answer afterwards
	 * (the caller's buffer unwritable, its fd table full) is the caller's.
	 */
	record(d, call, res, sd->log);
	r = rp->ops->answer(rp, call, res, SB_ANSWER_RESULT);
	res->fd = safe_close(res->fd);
	return r;
}

int sb_dispatch(struct sb_dispatch *d, const struct sb_policy *policy, struct sb_call *call,
		struct sb_reply *rp)
{
	struct sb_decision sd;
	int r;

	/*
	 * The kernel rules first: the filter sends some of their decisions here (logged denials,
	 * arguments only the broker can judge), and a hand-made request may name any syscall.
	 */
	sb_policy_eval_syscall(policy, call->nr, call->args, &sd);
	if (sd.verdict != SB_BROKER || !call->shape)
		return by_rule(d, policy, call, &sd, rp);

	r = rp->ops->prepare ? rp->ops->prepare(rp, call) : 1;
	if (r <= 0)
		return r == 0 ? 0 : refuse(d, call, rp, r);
	if (d->caller_ok && !d->caller_ok(d->caller_data, call->pid)) {
		/*
		 * The check looked at the caller by pid, maybe before any ID_VALID (prepare opens
		 * nothing for most file calls): only a caller still waiting was the one looked at,
		 * and only its refusal goes on the record. An accepted caller is vouched for by the
		 * valid() after the fetch.
		 */
		if (rp->ops->valid && !rp->ops->valid(rp))
			return 0;
		if (d->caller_refused)
			d->caller_refused(d->caller_data, call->pid);
		return refuse(d, call, rp, -EPERM);
	}
	if (sb_shape_is_net(call->shape))
		return sb_net_serve(d, policy, call, &sd, rp);
	r = serve_file(d, policy, call, &sd, rp);
	/* The caller's own fds among them may be lingering sockets: never a waiting close. */
	call->dirfd[0] = sb_close_fetched(call->dirfd[0]);
	call->dirfd[1] = sb_close_fetched(call->dirfd[1]);
	return r;
}
