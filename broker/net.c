/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The network executor (net.h). One path for both transports:
 *
 *   the broker's copy of the address (and of the bytes to send)
 *     -> the caller's socket, fetched with pidfd_getfd: its type (SO_TYPE) and, for listen,
 *        the address it is bound to (getsockname)
 *     -> the target: tcp/udp by the socket's type and the address's family; a unix path
 *        resolved like a file path (the canonical path of the socket file, or of its parent
 *        plus the name for bind); an abstract name as it is
 *     -> the net rules decide (sb_policy_eval_net)
 *     -> the broker performs the call on that socket with the address it decided on: a unix
 *        path through /proc/self/fd/N of the O_PATH fd it resolved, so a path swapped after the
 *        decision changes nothing
 *     -> the audit record, then the answer; from the event loop when the call has to wait
 *        (pending.h: a connect in progress, a send on a full socket).
 *
 * The socket is the sandboxee's own (pidfd_getfd shares the open file), so what the broker
 * does to it is what the sandboxee would have done: it stays connected, bound or listening.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "audit.h"
#include "dispatch.h"
#include "macro.h"
#include "proc.h"
#include "net.h"
#include "nowait.h"
#include "pending.h"
#include "quota.h"
#include "protocol.h"
#include "resolve.h"

#define K_SOCK_TYPE_MASK 0xf

/* Everything one call needs; on the heap, since it may wait in the loop (pending.h). */
struct job {
	struct sb_job job;   /* first: the loop's handle; job.rp while it waits */
	struct sb_call call; /* for the audit record */
	struct sb_reply *rp; /* how to answer (borrowed; the job's own while it waits) */
	struct sb_pending *pending;
	struct sb_limits *limits; /* the broker's */
	struct sb_audit_log *log; /* borrowed */
	bool log_wanted;          /* the syscall rules asked for a record */
	bool owns;                /* rp is the job's own: detached from the transport's */
	int sock;                 /* the caller's socket */
	int path_fd;              /* an O_PATH fd a unix path goes through, or -1 */
	int sotype;
	bool send;                    /* a send rather than a connect */
	bool in_progress;             /* a connect the kernel goes on with: wait, then SO_ERROR */
	int flags;                    /* send flags, as the caller gave them */
	struct sockaddr_storage addr; /* the address to use (a unix path rewritten) */
	socklen_t addr_len;
	bool has_addr;
	uint8_t *data;
	size_t data_len;
	struct sb_result res;
};

static struct job *job_free(struct job *j)
{
	if (!j)
		return NULL;
	sb_close_fetched(j->sock);
	safe_close(j->path_fd);
	if (j->owns)
		j->rp->ops->free(j->rp);
	free(j->data);
	free(j);
	return NULL;
}

const char *sb_net_target_str(const struct sb_net_target *t, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "";
	const char *proto = t->kind == SB_NET_TCP ? "tcp" : "udp";

	switch (t->kind) {
	case SB_NET_UNIX:
		snprintf(buf, size, "unix:%s", t->name);
		break;
	case SB_NET_ABSTRACT:
		snprintf(buf, size, "unix:@%s", t->name);
		break;
	case SB_NET_TCP:
	case SB_NET_UDP:
		inet_ntop(t->family, t->addr, a, sizeof(a));
		if (t->family == AF_INET6)
			snprintf(buf, size, "%s:[%s]:%u", proto, a, t->port);
		else
			snprintf(buf, size, "%s:%s:%u", proto, a, t->port);
		break;
	}
	return buf;
}

bool sb_net_policy_binds_privileged(const struct sb_policy *p)
{
	for (; p; p = p->next)
		for (size_t i = 0; i < p->nnets; i++) {
			const struct sb_netrule *r = &p->nets[i];
			if (r->c.verdict == SB_ALLOW && (r->ops & SB_NET_BIND) &&
			    (r->kind == SB_NET_TCP || r->kind == SB_NET_UDP) && r->port_lo < 1024)
				return true;
		}
	return false;
}

/* The decision when no rule can look at the address (a family net rules do not name). */
static void default_decision(const struct sb_policy *p, struct sb_decision *d)
{
	const struct sb_default *def = &p->def_net;
	*d = (struct sb_decision){
		.verdict = def->verdict,
		.err = def->verdict == SB_DENY ? def->err : 0,
		.log = def->log,
		.origin = def->origin.file ? &def->origin : NULL,
		.rule_id = -1,
	};
}

static int decision_errno(const struct sb_decision *d)
{
	return d->verdict == SB_ALLOW ? 0 : -(d->err > 0 ? d->err : EACCES);
}

/* "/proc/self/fd/N" or "/proc/self/fd/N/NAME" as a unix address in j->addr. */
static int unix_via_fd(struct job *j, int fd, const char *name)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&j->addr;
	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	int n = name ? snprintf(un->sun_path, sizeof(un->sun_path), "/proc/self/fd/%d/%s", fd, name)
		     : snprintf(un->sun_path, sizeof(un->sun_path), "/proc/self/fd/%d", fd);
	if (n < 0 || (size_t)n >= sizeof(un->sun_path))
		return -ENAMETOOLONG;
	j->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n + 1);
	return 0;
}

/*
 * A unix path: resolved from the caller's cwd as a file path would be. connect and send go to
 * the socket file itself (a symlink to it is followed, as the kernel would): the decision is on
 * its canonical path and the call goes through an O_PATH fd on it. bind creates a name: the
 * decision is on the canonical parent plus the name, and the call goes through the parent's fd.
 * A name that does not resolve is decided on the canonical parent plus its last component, and
 * the kernel's error is returned only when the rules allow the call there.
 */
static int unix_target(struct job *j, uint32_t op, struct sb_net_target *t, int *kernel_err)
{
	_cleanup_close_ int base = -1;
	struct sb_resolved rs = { .fd = -1 };
	char name[sizeof(t->name)];

	*kernel_err = 0;
	memcpy(name, t->name, sizeof(name));
	int r = sb_relative_base(j->call.pid, j->rp->pidfd, name, false, 0, &base);
	if (r < 0)
		return r;
	if (op != SB_NET_BIND) {
		r = sb_resolve(base, name, SB_RESOLVE_FOLLOW, 0, &rs);
		if (r == 0) {
			if (strlen(rs.path) >= sizeof(t->name)) {
				safe_close(rs.fd);
				return -ENAMETOOLONG;
			}
			strcpy(t->name, rs.path);
			j->path_fd = rs.fd;
			return unix_via_fd(j, rs.fd, NULL);
		}
		*kernel_err = r;
	}
	r = sb_resolve(base, name, SB_RESOLVE_PARENT, 0, &rs);
	if (r < 0) {
		/* Not even the parent: decide on the name as written if it is absolute. */
		if (!*kernel_err)
			*kernel_err = r;
		return name[0] == '/' ? 0 : -ENOENT;
	}
	if (strlen(rs.path) >= sizeof(t->name)) {
		safe_close(rs.fd);
		return -ENAMETOOLONG;
	}
	strcpy(t->name, rs.path);
	j->path_fd = rs.fd;
	if (*kernel_err)
		return 0;
	return unix_via_fd(j, rs.fd, rs.last);
}

/* Audit record, then the answer. */
static int answer(struct job *j)
{
	if (sb_audit_wanted(&j->res, j->log_wanted))
		sb_audit_write(j->log, &j->call, &j->res);
	return j->rp->ops->answer(j->rp, &j->call, &j->res, SB_ANSWER_RESULT);
}

/*
 * A send, never waiting (MSG_DONTWAIT): a blocking socket's full buffer waits in the loop
 * instead. The caller gets its SIGPIPE, the broker never does.
 */
static int64_t send_once(struct job *j)
{
	struct iovec iov = { .iov_base = j->data, .iov_len = j->data_len };
	struct msghdr mh = { .msg_name = j->has_addr ? &j->addr : NULL,
			     .msg_namelen = j->has_addr ? j->addr_len : 0,
			     .msg_iov = &iov,
			     .msg_iovlen = 1 };
	ssize_t n = sendmsg(j->sock, &mh, j->flags | MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && errno == EPIPE && !(j->flags & MSG_NOSIGNAL))
		syscall(SYS_pidfd_send_signal, j->rp->pidfd, SIGPIPE, NULL, 0);
	return n < 0 ? -errno : n;
}

/* Whether an interrupted connect goes on in the kernel (TCP: wait for it) or was undone. */
static bool connect_goes_on(const struct job *j)
{
	sa_family_t f = j->has_addr ? j->addr.ss_family : AF_UNSPEC;
	return (f == AF_INET || f == AF_INET6) && (j->sotype & K_SOCK_TYPE_MASK) == SOCK_STREAM;
}

/*
 * A connect, bounded (nowait.h): whatever the socket's O_NONBLOCK says when it runs (the
 * sandboxee may change it at any moment), it returns within a millisecond. -EINTR: interrupted;
 * a TCP connect then goes on in the kernel (j->in_progress), another is retried on the tick.
 */
static int64_t connect_once(struct job *j)
{
	if (j->in_progress) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(j->sock, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			return -errno;
		return -err;
	}
	int r = sb_nowait_begin();
	if (r < 0)
		return r;
	r = connect(j->sock, j->has_addr ? (struct sockaddr *)&j->addr : NULL, j->addr_len) < 0
		    ? -errno
		    : 0;
	sb_nowait_end();
	if ((r == -EINTR || r == -EALREADY) && connect_goes_on(j))
		j->in_progress = true;
	return r;
}

/* The loop's retry (pending.h): true when answered. */
static bool job_retry(struct sb_job *sj)
{
	struct job *j = (struct job *)sj;
	int64_t r = j->send ? send_once(j) : connect_once(j);
	if (r == -EAGAIN || r == -EINTR || r == -EALREADY)
		return false;
	j->res.ret = r;
	answer(j);
	return true;
}

static void job_release(struct sb_job *sj)
{
	job_free((struct job *)sj);
}

static const struct sb_job_ops job_ops = { .retry = job_retry, .free = job_release };

/*
 * Hand the job to the loop, which answers when the socket is ready (or on the tick). Returns 0,
 * or -errno and the job is still ours.
 */
static int wait_in_loop(struct job *j, bool on_fd)
{
	struct sb_reply *own = j->rp->ops->detach(j->rp);
	if (!own)
		return -errno;
	j->job = (struct sb_job){ .ops = &job_ops, .rp = own, .fd = on_fd ? j->sock : -1 };
	int r = sb_pending_add(j->pending, &j->job);
	if (r < 0) {
		own->ops->free(own);
		return r;
	}
	j->rp = own;
	j->owns = true;
	return 0;
}

/* The caller's socket (arg0) and its type: 0, or the errno to answer. */
static int take_socket(struct job *j)
{
	struct stat st;
	socklen_t sl = sizeof(j->sotype);

	j->sock = sb_pidfd_getfd(j->call.pid, j->rp->pidfd, (int)j->call.args[0]);
	if (j->sock < 0)
		return errno == EBADF ? -EBADF : -EIO;
	if (fstat(j->sock, &st) < 0 || !S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	if (getsockopt(j->sock, SOL_SOCKET, SO_TYPE, &j->sotype, &sl) < 0)
		return -errno;
	return 0;
}

/* The net rules' operation; for a send its flags and the broker's own copy of the bytes. */
static int take_op(struct job *j, uint32_t *op, const void *data, size_t data_len)
{
	const uint64_t *a = j->call.args;
	int nr = j->call.nr;

	switch (nr) {
	case SYS_connect:
		*op = SB_NET_CONNECT;
		return 0;
	case SYS_bind:
	case SYS_listen:
		*op = SB_NET_BIND;
		return 0;
	default:
		*op = SB_NET_SEND;
		j->send = true;
		j->flags = (int)(nr == SYS_sendto ? a[3] : nr == SYS_sendmsg ? a[2] : a[3]);
		break;
	}
	j->data = malloc(data_len ? data_len : 1);
	if (!j->data)
		return -ENOMEM;
	if (data_len)
		memcpy(j->data, data, data_len);
	j->data_len = data_len;
	return 0;
}

enum step {
	STEP_DONE,   /* res->ret is the answer */
	STEP_DECIDE, /* decide on the address */
	STEP_LISTEN, /* listen on a unix path the broker decided when it bound it */
	STEP_SEND,   /* a send without an address: where the socket is connected */
};

/* The address to decide on, in *addr: the broker's own aligned copy in j->addr. */
static enum step take_address(struct job *j, const void **addr, size_t *addr_len)
{
	struct sb_result *res = &j->res;
	int nr = j->call.nr;

	if (nr == SYS_listen) {
		/*
		 * listen(2) on a socket bound to nothing binds it to every address and a free
		 * port: it is decided as bind to the address the socket has (0.0.0.0:0, [::]:0 or
		 * an unnamed unix socket: see below). A unix socket with a path was bound through
		 * the broker, which decided that path then.
		 */
		socklen_t sl = sizeof(j->addr);
		if (getsockname(j->sock, (struct sockaddr *)&j->addr, &sl) < 0) {
			res->ret = -errno;
			return STEP_DONE;
		}
		*addr = &j->addr;
		*addr_len = sl;
		if (j->addr.ss_family == AF_UNIX && sl > offsetof(struct sockaddr_un, sun_path) &&
		    ((struct sockaddr_un *)&j->addr)->sun_path[0] != 0) {
			snprintf(res->addr, sizeof(res->addr), "unix:%s",
				 ((struct sockaddr_un *)&j->addr)->sun_path);
			return STEP_LISTEN;
		}
		return STEP_DECIDE;
	}
	if (!*addr_len) {
		if (!j->send) {
			res->ret = -EINVAL; /* as the kernel: an address shorter than its family */
			return STEP_DONE;
		}
		/* A send without an address goes where the socket is connected: no decision. */
		return STEP_SEND;
	}
	memcpy(&j->addr, *addr, *addr_len);
	j->addr_len = (socklen_t)*addr_len;
	j->has_addr = true;
	*addr = &j->addr; /* aligned, and the broker's own copy from here on */
	if (j->addr.ss_family == AF_UNSPEC && nr == SYS_connect) {
		/* Dissolves the association (a datagram socket's peer): reaches nobody. */
		res->ret = connect(j->sock, *addr, (socklen_t)*addr_len) < 0 ? -errno : 0;
		return STEP_DONE;
	}
	return STEP_DECIDE;
}

/*
 * The target of the address, into t: 0, 1 for a family or socket type no net rule names, or the
 * errno to answer. A unix path is resolved (unix_target); *kernel_err is what the kernel would
 * answer if the rules allow the call.
 */
static int take_target(struct job *j, uint32_t op, const void *addr, size_t addr_len,
		       struct sb_net_target *t, int *kernel_err)
{
	int r = sb_net_target_from_sockaddr(addr, (socklen_t)addr_len, j->sotype, t);
	if (r == -EINVAL && ((const struct sockaddr *)addr)->sa_family == AF_UNIX &&
	    addr_len == sizeof(sa_family_t) && op == SB_NET_BIND) {
		/* Auto-bind: the kernel picks an abstract name of five hex digits. */
		memset(t, 0, sizeof(*t));
		t->kind = SB_NET_ABSTRACT;
		r = 0;
	}
	if (r == -EINVAL)
		return -EINVAL; /* a malformed address: the kernel would refuse it too */
	if (r == 0 && t->kind == SB_NET_UNIX && j->call.nr != SYS_listen) {
		r = unix_target(j, op, t, kernel_err);
		if (r < 0)
			return r;
	}
	return r == 0 ? 0 : 1;
}

/*
 * The net rules' decision on t (NULL: none names the address), with the limits and learn mode,
 * into res->decision. Returns 0 to perform the call, or the errno to answer.
 */
static int decide(const struct sb_policy *policy, struct job *j, uint32_t op,
		  const struct sb_net_target *t, const void *addr)
{
	struct sb_result *res = &j->res;
	struct sb_decision d;

	if (!t) {
		/* A family or socket type no net rule names (netlink, raw): the default. */
		default_decision(policy, &d);
		snprintf(res->addr, sizeof(res->addr), "family:%d",
			 ((const struct sockaddr *)addr)->sa_family);
	} else {
		sb_net_target_str(t, res->addr, sizeof(res->addr));
		if (sb_policy_eval_net(policy, op, t, &d) < 0)
			default_decision(policy, &d);
		/* TCP Fast Open connects too. */
		if (d.verdict == SB_ALLOW && j->send && (j->flags & MSG_FASTOPEN) &&
		    sb_policy_eval_net(policy, SB_NET_CONNECT, t, &d) < 0)
			default_decision(policy, &d);
	}
	if (d.verdict == SB_ALLOW && d.limit) {
		int e = sb_limits_take_in(j->limits, &d, res->limit, sizeof(res->limit));
		if (e < 0) {
			d.verdict = SB_DENY;
			d.err = -e;
			d.log = true;
		}
	}
	if (d.verdict != SB_ALLOW && policy->learn && sb_decision_learnable(&d)) {
		/* Learn mode: perform it, and record what would have been refused. */
		res->learned[0] = (struct sb_learned){ .decision = d };
		res->nlearned = 1;
		res->limit[0] = 0;
		d = (struct sb_decision){ .verdict = SB_ALLOW, .rule_id = -1 };
	}
	res->decision = d;
	return decision_errno(&d);
}

/* A send; a blocking socket whose buffer is full waits in the loop. True: the loop answers. */
static bool send_now(struct job *j)
{
	struct sb_result *res = &j->res;

	res->ret = send_once(j);
	if (res->ret == -EAGAIN && !(j->flags & MSG_DONTWAIT)) {
		int fl = fcntl(j->sock, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK)) {
			int r = wait_in_loop(j, true);
			if (r == 0)
				return true;
			res->ret = r;
		}
	}
	return false;
}

/* A connect; one that has to wait does so in the loop. True: the loop answers. */
static bool connect_now(struct job *j)
{
	struct sb_result *res = &j->res;

	res->ret = connect_once(j);
	if (res->ret != -EINTR)
		return false; /* done, or EINPROGRESS on a non-blocking socket, as the kernel */
	int r = wait_in_loop(j, j->in_progress);
	if (r == 0)
		return true;
	res->ret = r;
	return false;
}

/* Perform the decided call (file: a unix path bind creates). True: the loop answers. */
static bool act(struct job *j, bool file)
{
	struct sb_result *res = &j->res;

	switch (j->call.nr) {
	case SYS_bind: {
		/* The socket file gets the caller's umask (the broker's own is 0). */
		mode_t um = 077;
		if (file && sb_proc_umask(j->call.pid, &um) < 0)
			um = 077;
		mode_t old = file ? umask(um) : 0;
		res->ret = bind(j->sock, (struct sockaddr *)&j->addr, j->addr_len) < 0 ? -errno : 0;
		if (file)
			umask(old);
		return false;
	}
	case SYS_listen:
		res->ret = listen(j->sock, (int)j->call.args[1]) < 0 ? -errno : 0;
		return false;
	case SYS_connect:
		return connect_now(j);
	}
	return send_now(j);
}

/*
 * Decide and perform. Returns true when the loop took the job over (it answers), false when
 * j->res.ret holds the answer.
 */
static bool execute(const struct sb_policy *policy, struct job *j, const void *addr,
		    size_t addr_len, const void *data, size_t data_len)
{
	struct sb_result *res = &j->res;
	const struct sb_shape *sh = j->call.shape;
	struct sb_net_target t;
	uint32_t op = 0;
	int kernel_err = 0;

	if ((sh->flags & SB_SHAPE_FIRST_MSG) && (uint32_t)j->call.args[sh->size_arg] == 0) {
		res->ret = 0; /* nothing to send; the kernel answers 0 too */
		return false;
	}
	int r = take_socket(j);
	if (r == 0)
		r = take_op(j, &op, data, data_len);
	if (r < 0) {
		res->ret = r;
		return false;
	}
	switch (take_address(j, &addr, &addr_len)) {
	case STEP_DONE:
		return false;
	case STEP_LISTEN:
		return act(j, false);
	case STEP_SEND:
		return send_now(j);
	case STEP_DECIDE:
		break;
	}
	int named = take_target(j, op, addr, addr_len, &t, &kernel_err);
	if (named < 0) {
		res->ret = named;
		return false;
	}
	r = decide(policy, j, op, named == 0 ? &t : NULL, addr);
	if (r < 0 || kernel_err) {
		res->ret = r < 0 ? r : kernel_err;
		return false;
	}
	return act(j, named == 0 && t.kind == SB_NET_UNIX);
}

static struct job *job_new(struct sb_dispatch *d, const struct sb_call *call,
			   const struct sb_decision *sd, struct sb_reply *rp)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->call = *call;
	j->call.dirfd[0] = j->call.dirfd[1] = -1;
	j->rp = rp;
	j->pending = d->pending;
	j->limits = d->limits;
	j->log = d->log;
	j->sock = j->path_fd = -1;
	j->log_wanted = sd->log;
	j->res.fd = -1;
	j->res.decision = *sd;
	return j;
}

int sb_net_serve(struct sb_dispatch *d, const struct sb_policy *policy, const struct sb_call *call,
		 const struct sb_decision *sd, struct sb_reply *rp)
{
	struct sb_netargs na = { .buf = d->netbuf, .cap = sizeof(d->netbuf) };
	const void *item[2] = { NULL, NULL };
	struct job *j = job_new(d, call, sd, rp);
	if (!j) {
		sb_result_reset(&d->res, NULL);
		d->res.ret = -ENOMEM;
		return rp->ops->answer(rp, call, &d->res, SB_ANSWER_REFUSE);
	}
	int r = rp->ops->fetch_net(rp, call, &na, item);
	/* The copies must be the caller's: check again before acting on them. */
	if (rp->ops->valid && !rp->ops->valid(rp)) {
		job_free(j);
		return 0;
	}
	if (r < 0) {
		j->res.ret = r;
		/* Control data (common/netargs.c): refused, and on the record. */
		if (r == -EOPNOTSUPP)
			j->res.decision = (struct sb_decision){ .verdict = SB_DENY,
								.err = EOPNOTSUPP,
								.log = true,
								.builtin = true,
								.rule_id = -1 };
	} else if (execute(policy, j, na.addr_len ? item[0] : NULL, na.addr_len, item[1],
			   na.data_len)) {
		return 0; /* the loop answers */
	}
	r = answer(j);
	job_free(j);
	return r;
}
