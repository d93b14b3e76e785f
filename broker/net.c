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
 *     -> the audit record, then the answer; from a worker thread when the call can block.
 *
 * The socket is the sandboxee's own (pidfd_getfd shares the open file), so what the broker
 * does to it is what the sandboxee would have done: it stays connected, bound or listening.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
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
#include "macro.h"
#include "net.h"
#include "notify.h"
#include "quota.h"
#include "protocol.h"
#include "resolve.h"

#define K_SOCK_TYPE_MASK 0xf

static atomic_uint workers;

unsigned sb_net_workers(void)
{
	return atomic_load(&workers);
}

/* Everything one call needs; on the heap, since a worker may take it over. */
struct job {
	struct sb_call call; /* for the audit record */
	enum sb_transport transport;
	int answer_fd; /* the channel (trap) or the listener (notify) */
	uint64_t tag;  /* trap: the request's seq; notify: the notification id */
	int mem;       /* notify: the caller's memory, for sendmmsg's msg_len; -1 */
	int pidfd;     /* the caller's process (borrowed; owned by the job in a worker) */
	int log_fd;    /* borrowed: the broker's log stays open while it runs */
	bool log;      /* the syscall rules asked for a record */
	bool owns;     /* answer_fd, mem and pidfd are the job's own (a worker's) */
	int sock;      /* the caller's socket */
	int path_fd;   /* an O_PATH fd a unix path goes through, or -1 */
	int sotype;
	bool send;                    /* a send rather than a connect */
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
	safe_close(j->sock);
	safe_close(j->path_fd);
	if (j->owns) {
		safe_close(j->answer_fd);
		safe_close(j->mem);
		safe_close(j->pidfd);
	}
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

/* The caller's umask, for the socket file a unix bind creates (the broker's own is 0). */
static mode_t caller_umask(pid_t pid)
{
	char p[64], buf[2048];
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 077;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 077;
	buf[n] = 0;
	const char *u = strstr(buf, "\nUmask:");
	return u ? (mode_t)strtoul(u + 7, NULL, 8) & 0777 : 077;
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
	int r = sb_relative_base(j->call.pid, j->pidfd, name, false, 0, &base);
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
	struct sb_result *res = &j->res;
	int64_t ret = res->ret;

	if (sb_audit_wanted(res, j->log) && j->log_fd >= 0)
		sb_audit_write(j->log_fd, &j->call, res);
	if (j->transport == SB_TRANSPORT_TRAP) {
		struct sb_rep rep = { .magic = SB_PROTO_MAGIC_REP,
				      .version = SB_PROTO_VERSION,
				      .seq = j->tag,
				      .ret = ret };
		struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		return sendmsg(j->answer_fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? -errno : 0;
	}
	const uint64_t *a = j->call.args;
	if (j->call.nr == SYS_sendmmsg && ret >= 0 && (uint32_t)a[2] > 0) {
		/* The first message went: its length into its msg_len, and one message sent. */
		unsigned len = (unsigned)ret;
		off_t at = (off_t)(a[1] + offsetof(struct mmsghdr, msg_len));
		ret = pwrite(j->mem, &len, sizeof(len), at) == sizeof(len) ? 1 : -EFAULT;
	}
	return sb_notify_send(j->answer_fd, j->tag, ret, 0);
}

/* The blocking part: connect, or a send that found the socket's buffer full. */
static int64_t perform(struct job *j, bool may_block)
{
	ssize_t n;

	if (!j->send) {
		n = connect(j->sock, j->has_addr ? (struct sockaddr *)&j->addr : NULL, j->addr_len);
		return n < 0 ? -errno : 0;
	}
	struct iovec iov = { .iov_base = j->data, .iov_len = j->data_len };
	struct msghdr mh = { .msg_name = j->has_addr ? &j->addr : NULL,
			     .msg_namelen = j->has_addr ? j->addr_len : 0,
			     .msg_iov = &iov,
			     .msg_iovlen = 1 };
	/* Never SIGPIPE the broker; the caller gets its SIGPIPE below. */
	int flags = j->flags | MSG_NOSIGNAL | (may_block ? 0 : MSG_DONTWAIT);
	do
		n = sendmsg(j->sock, &mh, flags);
	while (n < 0 && errno == EINTR && may_block);
	if (n < 0 && errno == EPIPE && !(j->flags & MSG_NOSIGNAL))
		syscall(SYS_pidfd_send_signal, j->pidfd, SIGPIPE, NULL, 0);
	return n < 0 ? -errno : n;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	j->res.ret = perform(j, true);
	answer(j);
	job_free(j);
	atomic_fetch_sub(&workers, 1);
	return NULL;
}

/* Hand the job to a worker thread, which answers. Returns 0, or -errno and the job is still ours.
 */
static int start_worker(struct job *j)
{
	if (atomic_fetch_add(&workers, 1) >= SB_NET_MAX_WORKERS) {
		atomic_fetch_sub(&workers, 1);
		return -EAGAIN;
	}
	int fds[3] = { -1, -1, -1 };
	const int src[3] = { j->answer_fd, j->mem, j->pidfd };
	for (int i = 0; i < 3; i++)
		if (src[i] >= 0 && (fds[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3)) < 0) {
			int r = -errno;
			for (int k = 0; k < i; k++)
				safe_close(fds[k]);
			atomic_fetch_sub(&workers, 1);
			return r;
		}
	j->answer_fd = fds[0];
	j->mem = fds[1];
	j->pidfd = fds[2];
	j->owns = true;

	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int r = pthread_attr_init(&attr);
	if (r == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, (size_t)256 * 1024);
		/* Signals stay with the loop (its signalfd): workers start with all blocked. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		r = pthread_create(&t, &attr, worker, j);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&attr);
	}
	if (r != 0) {
		/* Back to borrowed fds: the caller answers. */
		for (int i = 0; i < 3; i++)
			safe_close(fds[i]);
		j->answer_fd = src[0];
		j->mem = src[1];
		j->pidfd = src[2];
		j->owns = false;
		atomic_fetch_sub(&workers, 1);
		return -r;
	}
	return 0;
}

/*
 * Decide and perform. Returns true when a worker took the job over (it answers), false when
 * j->res.ret holds the answer.
 */
static bool execute(const struct sb_policy *policy, struct job *j, const void *addr,
		    size_t addr_len, const void *data, size_t data_len)
{
	struct sb_result *res = &j->res;
	const uint64_t *a = j->call.args;
	int nr = j->call.nr;
	struct sb_net_target t;
	struct sb_decision d;
	uint32_t op;
	int r;

	if (nr == SYS_sendmmsg && (uint32_t)a[2] == 0) {
		res->ret = 0; /* nothing to send; the kernel answers 0 too */
		return false;
	}
	j->sock = (int)syscall(SYS_pidfd_getfd, j->pidfd, (int)a[0], 0);
	if (j->sock < 0) {
		res->ret = errno == EBADF ? -EBADF : -EIO;
		return false;
	}
	struct stat st;
	socklen_t sl = sizeof(j->sotype);
	if (fstat(j->sock, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		res->ret = -ENOTSOCK;
		return false;
	}
	if (getsockopt(j->sock, SOL_SOCKET, SO_TYPE, &j->sotype, &sl) < 0) {
		res->ret = -errno;
		return false;
	}

	switch (nr) {
	case SYS_connect:
		op = SB_NET_CONNECT;
		break;
	case SYS_bind:
	case SYS_listen:
		op = SB_NET_BIND;
		break;
	default:
		op = SB_NET_SEND;
		j->send = true;
		j->flags = (int)(nr == SYS_sendto ? a[3] : nr == SYS_sendmsg ? a[2] : a[3]);
		break;
	}
	if (j->send) {
		j->data = malloc(data_len ? data_len : 1);
		if (!j->data) {
			res->ret = -ENOMEM;
			return false;
		}
		if (data_len)
			memcpy(j->data, data, data_len);
		j->data_len = data_len;
	}

	if (nr == SYS_listen) {
		/*
		 * listen(2) on a socket bound to nothing binds it to every address and a free
		 * port: it is decided as bind to the address the socket has (0.0.0.0:0, [::]:0 or
		 * an unnamed unix socket: see below). A unix socket with a path was bound through
		 * the broker, which decided that path then.
		 */
		sl = sizeof(j->addr);
		if (getsockname(j->sock, (struct sockaddr *)&j->addr, &sl) < 0) {
			res->ret = -errno;
			return false;
		}
		addr = &j->addr;
		addr_len = sl;
		if (j->addr.ss_family == AF_UNIX && sl > offsetof(struct sockaddr_un, sun_path) &&
		    ((struct sockaddr_un *)&j->addr)->sun_path[0] != 0) {
			snprintf(res->addr, sizeof(res->addr), "unix:%s",
				 ((struct sockaddr_un *)&j->addr)->sun_path);
			goto do_listen;
		}
	} else if (addr_len) {
		memcpy(&j->addr, addr, addr_len);
		j->addr_len = (socklen_t)addr_len;
		j->has_addr = true;
		addr = &j->addr; /* aligned, and the broker's own copy from here on */
	}

	if (!addr_len && nr != SYS_listen) {
		if (!j->send) {
			res->ret = -EINVAL; /* as the kernel: an address shorter than its family */
			return false;
		}
		/* A send without an address goes where the socket is connected: no decision. */
		goto do_send;
	}
	if (((const struct sockaddr *)addr)->sa_family == AF_UNSPEC && nr == SYS_connect) {
		/* Dissolves the association (a datagram socket's peer): reaches nobody. */
		res->ret = connect(j->sock, addr, (socklen_t)addr_len) < 0 ? -errno : 0;
		return false;
	}
	r = sb_net_target_from_sockaddr(addr, (socklen_t)addr_len, j->sotype, &t);
	if (r == -EINVAL && ((const struct sockaddr *)addr)->sa_family == AF_UNIX &&
	    addr_len == sizeof(sa_family_t) && op == SB_NET_BIND) {
		/* Auto-bind: the kernel picks an abstract name of five hex digits. */
		memset(&t, 0, sizeof(t));
		t.kind = SB_NET_ABSTRACT;
		r = 0;
	}
	if (r == -EINVAL) {
		res->ret = -EINVAL; /* a malformed address: the kernel would refuse it too */
		return false;
	}
	int kernel_err = 0;
	if (r == 0 && t.kind == SB_NET_UNIX && nr != SYS_listen) {
		r = unix_target(j, op, &t, &kernel_err);
		if (r < 0) {
			res->ret = r;
			return false;
		}
	}
	if (r < 0) {
		/* A family or socket type no net rule names (netlink, raw): the default. */
		default_decision(policy, &d);
		snprintf(res->addr, sizeof(res->addr), "family:%d",
			 ((const struct sockaddr *)addr)->sa_family);
	} else {
		sb_net_target_str(&t, res->addr, sizeof(res->addr));
		if (sb_policy_eval_net(policy, op, &t, &d) < 0)
			default_decision(policy, &d);
		/* TCP Fast Open connects too. */
		if (d.verdict == SB_ALLOW && j->send && (j->flags & MSG_FASTOPEN) &&
		    sb_policy_eval_net(policy, SB_NET_CONNECT, &t, &d) < 0)
			default_decision(policy, &d);
	}
	if (d.verdict == SB_ALLOW && d.limit) {
		int e = sb_limits_take(&d, res->limit, sizeof(res->limit));
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
	r = decision_errno(&d);
	if (r < 0 || kernel_err) {
		res->ret = r < 0 ? r : kernel_err;
		return false;
	}

	switch (nr) {
	case SYS_bind: {
		bool file = t.kind == SB_NET_UNIX;
		mode_t old = file ? umask(caller_umask(j->call.pid)) : 0;
		res->ret = bind(j->sock, (struct sockaddr *)&j->addr, j->addr_len) < 0 ? -errno : 0;
		if (file)
			umask(old);
		return false;
	}
	case SYS_listen:
	do_listen:
		res->ret = listen(j->sock, (int)a[1]) < 0 ? -errno : 0;
		return false;
	case SYS_connect: {
		int fl = fcntl(j->sock, F_GETFL);
		if (fl >= 0 && (fl & O_NONBLOCK)) {
			res->ret = perform(j, false); /* EINPROGRESS, as the kernel answers */
			return false;
		}
		r = start_worker(j);
		if (r == 0)
			return true;
		res->ret = r;
		return false;
	}
	}
do_send:
	res->ret = perform(j, false);
	if (res->ret == -EAGAIN && !(j->flags & MSG_DONTWAIT)) {
		int fl = fcntl(j->sock, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK)) {
			/* A blocking socket whose buffer is full: wait in a worker. */
			r = start_worker(j);
			if (r == 0)
				return true;
			res->ret = r;
		}
	}
	return false;
}

static struct job *job_new(const struct sb_call *call, const struct sb_decision *sd)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->call = *call;
	j->call.dirfd[0] = j->call.dirfd[1] = -1;
	j->sock = j->path_fd = j->mem = -1;
	j->log = sd->log;
	j->res.fd = -1;
	j->res.decision = *sd;
	return j;
}

void sb_net_serve_trap(const struct sb_policy *policy, int chan_fd, pid_t pid, int pidfd,
		       const struct sb_decoded *dec, const struct sb_decision *sd, int log_fd)
{
	const struct sb_req *req = dec->req;
	struct sb_call call = {
		.nr = req->nr, .pid = pid, .transport = SB_TRANSPORT_TRAP, .shape = dec->shape
	};
	memcpy(call.args, req->args, sizeof(call.args));
	struct job *j = job_new(&call, sd);
	if (!j) {
		struct sb_rep rep = { .magic = SB_PROTO_MAGIC_REP,
				      .version = SB_PROTO_VERSION,
				      .seq = req->seq,
				      .ret = -ENOMEM };
		if (send(chan_fd, &rep, sizeof(rep), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* The caller is gone or not listening: nothing else to tell it. */
		}
		return;
	}
	j->transport = SB_TRANSPORT_TRAP;
	j->answer_fd = chan_fd;
	j->tag = req->seq;
	j->pidfd = pidfd;
	j->log_fd = log_fd;
	if (execute(policy, j, dec->item[SB_ITEM_IN], dec->item_len[SB_ITEM_IN],
		    dec->item[SB_ITEM_DATA], dec->item_len[SB_ITEM_DATA]))
		return;
	answer(j);
	job_free(j);
}

/* The items the trap handler would send (sandboxee/handler.c, add_net), from the caller's memory.
 */
static int copy_net_args(int mem, const struct sb_call *call, uint8_t *addr, size_t *addr_len,
			 uint8_t *data, size_t *data_len)
{
	const struct sb_shape *sh = call->shape;
	const uint64_t *args = call->args;
	uint64_t a = 0, alen = 0;
	int r;

	*addr_len = *data_len = 0;
	switch (sh->in_kind) {
	case SB_IN_SOCKADDR:
	case SB_IN_SENDTO:
		a = args[sh->in_arg];
		alen = (uint32_t)args[sh->size_arg];
		if ((int32_t)alen < 0 || alen > SB_MAX_ADDR)
			return -EINVAL;
		if (sh->in_kind == SB_IN_SOCKADDR && !a && alen)
			return -EFAULT;
		if (a && alen) {
			r = sb_notify_read(mem, a, addr, (size_t)alen);
			if (r < 0)
				return r;
			*addr_len = (size_t)alen;
		}
		if (sh->in_kind == SB_IN_SOCKADDR || args[2] == 0)
			return 0;
		if (args[2] > SB_MAX_DATA)
			return -EMSGSIZE;
		if (!args[1])
			return -EFAULT;
		r = sb_notify_read(mem, args[1], data, (size_t)args[2]);
		if (r == 0)
			*data_len = (size_t)args[2];
		return r;
	case SB_IN_MSGHDR:
	case SB_IN_MMSGHDR: {
		struct msghdr mh;
		if (sh->in_kind == SB_IN_MMSGHDR && (uint32_t)args[2] == 0)
			return 0;
		if (!args[sh->in_arg])
			return -EFAULT;
		r = sb_notify_read(mem, args[sh->in_arg], &mh, sizeof(mh));
		if (r < 0)
			return r;
		if (mh.msg_controllen)
			return -EOPNOTSUPP;
		alen = mh.msg_name ? (uint32_t)mh.msg_namelen : 0;
		if ((int32_t)alen < 0)
			return -EINVAL;
		if (alen > SB_MAX_ADDR)
			alen = SB_MAX_ADDR;
		if (alen) {
			r = sb_notify_read(mem, (uint64_t)(uintptr_t)mh.msg_name, addr,
					   (size_t)alen);
			if (r < 0)
				return r;
			*addr_len = (size_t)alen;
		}
		if (mh.msg_iovlen > 1024)
			return -EMSGSIZE;
		if (mh.msg_iovlen && !mh.msg_iov)
			return -EFAULT;
		size_t total = 0;
		for (size_t i = 0; i < mh.msg_iovlen; i++) {
			struct iovec v;
			r = sb_notify_read(mem, (uint64_t)(uintptr_t)(mh.msg_iov + i), &v,
					   sizeof(v));
			if (r < 0)
				return r;
			if (v.iov_len > SB_MAX_DATA - total)
				return -EMSGSIZE;
			if (!v.iov_len)
				continue;
			if (!v.iov_base)
				return -EFAULT;
			r = sb_notify_read(mem, (uint64_t)(uintptr_t)v.iov_base, data + total,
					   v.iov_len);
			if (r < 0)
				return r;
			total += v.iov_len;
		}
		*data_len = total;
		return 0;
	}
	default:
		return 0;
	}
}

int sb_net_serve_notify(const struct sb_policy *policy, int listener, uint64_t id, int pidfd,
			int mem, const struct sb_call *call, const struct sb_decision *sd,
			int log_fd)
{
	static uint8_t addr[SB_MAX_ADDR], data[SB_MAX_DATA]; /* the loop thread's only */
	size_t addr_len, data_len;
	struct job *j = job_new(call, sd);
	if (!j) {
		return sb_notify_send(listener, id, -ENOMEM, 0);
	}
	j->transport = SB_TRANSPORT_NOTIFY;
	j->answer_fd = listener;
	j->tag = id;
	j->mem = mem;
	j->pidfd = pidfd;
	j->log_fd = log_fd;
	int r = copy_net_args(mem, call, addr, &addr_len, data, &data_len);
	/* The copies must be the caller's: check again before acting on them. */
	if (!sb_notify_id_valid(listener, id)) {
		job_free(j);
		return 0;
	}
	if (r < 0) {
		j->res.ret = r;
	} else if (execute(policy, j, addr_len ? addr : NULL, addr_len, data, data_len)) {
		return 0;
	}
	r = answer(j);
	job_free(j);
	return r;
}
