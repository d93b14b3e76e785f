/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The trap transport: control sockets (a request for a new per-thread channel arrives there),
 * channels (one request, one reply, on the socket or in the channel's reply slot) and the reply
 * slots of each sandboxee process. A syscall request is decoded, checked against what the kernel
 * vouches for (SCM_CREDENTIALS: never the pid in the message) and handed to the decision path
 * (dispatch.h) with a reply that answers on the channel.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "audit.h"
#include "broker.h"
#include "decode.h"
#include "dispatch.h"
#include "layers.h"
#include "macro.h"
#include "msg.h"
#include "privdrop.h"
#include "proc.h"
#include "trapfilter.h"

/*
 * One process gets at most MAX_PER_PROCESS channels (one per thread), so that one flooding
 * process cannot starve the others.
 */
#define MAX_PER_PROCESS 512

/* A hostile or broken message: say so in the log, never crash. */
static void log_protocol(struct sb_broker *b, pid_t pid, const char *what)
{
	/* Nothing better to do with a failing log than to keep serving. */
	sb_audit_event(b->log, pid, "protocol-error", "error", what);
}

/* One message with its credentials; fds that arrive (requests carry none) come back in fds[]. */
static ssize_t receive(int fd, void *buf, size_t size, struct ucred *cred, bool *has_cred, int *fds,
		       int *nfds, bool *trunc)
{
	struct sb_msg_anc anc = { .maxfds = SB_MSG_MAX_FDS, .want_cred = true };
	long n = sb_msg_recv1(fd, buf, size, &anc, MSG_DONTWAIT);
	/*
	 * Credentials that name the broker itself came with a send it made for the sandboxee (a
	 * send without an address is the broker's to make, net.c): they vouch for no sandboxee
	 * process, and taken at their word would bind a channel to the broker.
	 */
	*has_cred = anc.has_cred && anc.cred.pid != sb_self_pid();
	*cred = anc.cred;
	*nfds = anc.nfds;
	memcpy(fds, anc.fds, sizeof(anc.fds));
	*trunc = anc.msg_flags != 0;
	return n;
}

static int send_reply(int fd, const struct sb_rep *rep, const void *out, int pass_fd)
{
	struct iovec iov[2] = { { .iov_base = (void *)rep, .iov_len = sizeof(*rep) },
				{ .iov_base = (void *)out, .iov_len = rep->outlen } };
	long r = sb_msg_send(fd, iov, rep->outlen ? 2 : 1, pass_fd, MSG_NOSIGNAL | MSG_DONTWAIT);
	return r < 0 ? (int)r : 0;
}

/*
 * A process's reply slots: a memfd sealed at its size (so that the sandboxee can neither shrink
 * it under the broker's mapping nor grow it), mapped here too.
 */
static struct region *region_new(struct sb_broker *b, pid_t pid)
{
	if (b->nconns + 2 * (b->nregions + 1) > b->max_conns)
		return NULL; /* no fds to spare: calls go over the sockets alone */
	struct region *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->pid = pid;
	g->memfd = -1;
	g->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (g->pidfd < 0)
		goto fail;
	g->memfd = memfd_create("sysbroker-slots", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (g->memfd < 0 || ftruncate(g->memfd, SB_REGION_SIZE) < 0 ||
	    fcntl(g->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail;
	g->map = mmap(NULL, SB_REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, g->memfd, 0);
	if (g->map == MAP_FAILED)
		goto fail;
	g->next = b->regions;
	b->regions = g;
	g->found = true;
	b->nregions++;
	return g;
fail:
	safe_close(g->memfd);
	safe_close(g->pidfd);
	free(g);
	return NULL;
}

static void region_unlist(struct sb_broker *b, struct region *g)
{
	if (!g->found)
		return;
	for (struct region **pp = &b->regions; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	g->found = false;
}

/*
 * The region of process pid. One whose owner has exited is taken off the list (it lives on
 * while channels hold slots in it): a later process with the same pid must never get memory
 * that a process sharing the dead one's memory (clone with CLONE_VM) can still reach.
 */
static struct region *region_find(struct sb_broker *b, pid_t pid)
{
	for (struct region *g = b->regions, *next; g; g = next) {
		next = g->next;
		if (g->pid != pid)
			continue;
		if (syscall(SYS_pidfd_send_signal, g->pidfd, 0, NULL, 0) == 0)
			return g;
		region_unlist(b, g);
	}
	return NULL;
}

/* Give channel c a free slot of region g: 0, or -ENOSPC when all are taken. */
static int slot_take(struct region *g, struct conn *c)
{
	/* Not sent yet and no slot given: nobody has written it, and a new memfd reads as zeros. */
	bool fresh = g->refs == 0 && g->memfd >= 0;
	for (unsigned i = 0; i < SB_REGION_SLOTS; i++) {
		if (g->used & (1ULL << i))
			continue;
		g->used |= 1ULL << i;
		g->refs++;
		c->region = g;
		c->slot_idx = i;
		c->slot = (struct sb_slot *)(g->map + (size_t)i * SB_SLOT_SIZE);
		/* A slot starts clean: nothing of its last user's answers is left in it. */
		if (!fresh)
			memset(c->slot, 0, SB_SLOT_SIZE);
		return 0;
	}
	return -ENOSPC;
}

static void region_free(struct sb_broker *b, struct region *g)
{
	region_unlist(b, g);
	munmap(g->map, SB_REGION_SIZE);
	safe_close(g->memfd);
	safe_close(g->pidfd);
	free(g);
	b->nregions--;
}

void sb_slot_release(struct sb_broker *b, struct conn *c)
{
	struct region *g = c->region;
	if (!g)
		return;
	g->used &= ~(1ULL << c->slot_idx);
	c->region = NULL;
	c->slot = NULL;
	if (--g->refs == 0)
		region_free(b, g);
}

/*
 * Answer a syscall request: in the channel's slot when it asked for that (and then the fd, if
 * any, over the socket), else on the socket. The broker only writes the slot; of what the
 * sandboxee may have scribbled there it reads `waiting`, to send at most one wake-up, and the
 * CPU hint, to decide whether to spin.
 */
static int answer(struct sb_broker *b, struct conn *c, bool in_slot, const struct sb_rep *rep,
		  const void *out, int pass_fd)
{
	struct sb_slot *s = c->slot;
	if (!in_slot || !s)
		return send_reply(c->fd, rep, out, pass_fd);
	int r = 0;
	memcpy(s->rep, rep, sizeof(*rep));
	if (rep->outlen)
		memcpy(s->rep + sizeof(*rep), out, rep->outlen);
	int cpu = sched_getcpu();
	__atomic_store_n(&s->broker_cpu, cpu >= 0 ? (uint32_t)cpu + 1 : 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->done, rep->seq, __ATOMIC_SEQ_CST);
	bool waiting = __atomic_exchange_n(&s->waiting, 0, __ATOMIC_SEQ_CST);
	if (pass_fd >= 0) {
		/* The fd, after done: it is the wake-up too. */
		struct sb_rep h = *rep;
		h.outlen = 0;
		r = send_reply(c->fd, &h, NULL, pass_fd);
	} else if (waiting) {
		struct sb_rep wake = { .magic = SB_PROTO_MAGIC_REP,
				       .version = SB_PROTO_VERSION,
				       .flags = SB_REP_WAKE };
		r = send_reply(c->fd, &wake, NULL, -1);
	}
	b->peer_cpu = __atomic_load_n(&s->client_cpu, __ATOMIC_RELAXED);
	return r;
}

/* Count a protocol error on a connection; a peer that keeps sending garbage is cut off. */
#define MAX_PROTOCOL_ERRORS 64
static bool hostile(struct sb_broker *b, struct conn *c, pid_t pid, const char *what)
{
	if (c->errors < MAX_PROTOCOL_ERRORS)
		log_protocol(b, pid, what);
	return ++c->errors >= MAX_PROTOCOL_ERRORS;
}

/*
 * A request for a new channel. The broker makes the socketpair itself (it never adopts a socket
 * the sandboxee made, which could be unconnected or looped back to the broker), turns on
 * SO_PASSCRED before the other end leaves, and answers every request, malformed or not, with
 * exactly one reply, so that threads waiting on the shared control socket never starve.
 */
void sb_channel_on_control(struct sb_broker *b, struct conn *c)
{
	struct ucred cred;
	bool has_cred, trunc;
	int fds[SB_MSG_MAX_FDS], nfds;
	ssize_t n = receive(c->fd, b->req, sizeof(b->req), &cred, &has_cred, fds, &nfds, &trunc);

	for (int i = 0; i < nfds; i++)
		close(fds[i]); /* nothing travels this way but requests */
	if (n == -EAGAIN || n == -EINTR)
		return;
	if (n < 0 || (n == 0 && nfds == 0)) {
		sb_conn_drop(b, c);
		return;
	}
	const struct sb_req *req = (const struct sb_req *)b->req;
	struct sb_rep rep = { .magic = SB_PROTO_MAGIC_REP, .version = SB_PROTO_VERSION };
	bool ok = !trunc && has_cred && nfds == 0 && (size_t)n == sizeof(*req) &&
		  req->magic == SB_PROTO_MAGIC_REQ && req->version == SB_PROTO_VERSION &&
		  req->type == SB_REQ_CHANNEL;
	int sv[2] = { -1, -1 };
	if (!ok) {
		rep.ret = -EPROTO;
		bool cut = hostile(b, c, has_cred ? cred.pid : 0, "malformed channel request");
		send_reply(c->fd, &rep, NULL, -1);
		if (cut)
			sb_conn_drop(b, c);
		return;
	}
	size_t mine = 0;
	for (struct conn *k = b->conns; k; k = k->next)
		mine += k->kind == CONN_CHANNEL && k->creator == cred.pid;
	int r = mine >= MAX_PER_PROCESS ? -EMFILE : 0;
	if (r == 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		r = -errno;
	struct conn *nc = NULL;
	if (r == 0)
		r = sb_conn_add(b, CONN_CHANNEL, sv[0], &nc);
	if (r == 0 && nc)
		nc->creator = cred.pid;
	/* Without a slot the channel still works, over the socket alone. */
	struct region *g =
		r == 0 && nc && (req->args[0] & SB_CHANNEL_SLOT) ? region_find(b, cred.pid) : NULL;
	if (g && slot_take(g, nc) == 0) {
		rep.ret = (int64_t)nc->slot_idx + 1;
		/* Whose region: the reply may reach another process that shares the socket. */
		rep.seq = (uint64_t)cred.pid;
	}
	if (r < 0) {
		safe_close(sv[0]);
		safe_close(sv[1]);
		log_protocol(b, cred.pid, "cannot make a channel");
		rep.ret = r;
		send_reply(c->fd, &rep, NULL, -1);
		return;
	}
	send_reply(c->fd, &rep, NULL, sv[1]);
	safe_close(sv[1]);
}

/*
 * The reply slots of channel c's process (made on its first request) and a slot there for c: 0
 * with *ret the region, whose memfd the caller sends and then closes, or -errno.
 */
static int region_grant(struct sb_broker *b, struct conn *c, struct region **ret)
{
	struct region *g = region_find(b, c->pid);
	/*
	 * Handed out already: this is a new image of the process (after execve) or a second
	 * request. Either way a fresh region; the old one lives on for its channels.
	 */
	if (g && g->memfd < 0) {
		region_unlist(b, g);
		g = NULL;
	}
	if (!g)
		g = region_new(b, c->pid);
	if (!g)
		return -ENOMEM;
	/* A slot of another process's region (its channel reply came to this one): swap it. */
	if (c->region && c->region != g)
		sb_slot_release(b, c);
	int r = c->slot ? 0 : slot_take(g, c);
	if (g->refs == 0) {
		region_free(b, g); /* made for nothing */
		return r < 0 ? r : -ENOMEM;
	}
	*ret = g;
	return r;
}

/* SB_REQ_REGION: the sender's reply slots (made on its first request), and one for this channel. */
static void on_region(struct sb_broker *b, struct conn *c, size_t n, bool ok)
{
	const struct sb_req *req = (const struct sb_req *)b->req;
	struct sb_rep rep = { .magic = SB_PROTO_MAGIC_REP,
			      .version = SB_PROTO_VERSION,
			      .seq = req->seq };
	bool empty = n == sizeof(*req) && req->nr == 0 && req->seq == SB_REGION_SEQ;
	for (int i = 0; i < 6; i++)
		empty = empty && req->args[i] == 0;
	for (int i = 0; i < SB_ITEM_MAX; i++)
		empty = empty && req->len[i] == 0;
	int r = ok && empty && req->arch == SB_AUDIT_ARCH ? 0 : -EPROTO;
	if (r == -EPROTO && hostile(b, c, c->pid, "malformed region request")) {
		sb_conn_drop(b, c);
		return;
	}
	struct region *g = NULL;
	if (r == 0)
		r = region_grant(b, c, &g);
	rep.ret = r == 0 ? (int64_t)c->slot_idx : r;
	send_reply(c->fd, &rep, NULL, r == 0 ? g->memfd : -1);
	/* The memfd goes out once, to the image that maps it: the mappings keep it. */
	if (r == 0)
		g->memfd = safe_close(g->memfd);
}

/* The preloaded runtime asks for its trap filter, scoped to its own text. */
static void on_filter(struct sb_broker *b, struct conn *c, size_t n, bool ok)
{
	const struct sb_req *req = (const struct sb_req *)b->req;
	struct sb_rep rep = { .magic = SB_PROTO_MAGIC_REP,
			      .version = SB_PROTO_VERSION,
			      .seq = req->seq };
	_cleanup_free_ void *out = NULL;
	size_t outlen = 0;
	int r = ok ? sb_filter_reply(b->policy->kernel ? b->policy->kernel : b->policy,
				     &b->trap_bodies, c->pid, b->req, n, &out, &outlen)
		   : -EPROTO;
	/*
	 * The reply slots in the same round trip: once per channel, before any other filter
	 * and before the channel holds a slot. A duplicate or late one is refused outright.
	 */
	bool region = r == 0 && (req->args[0] & SB_FILTER_REGION);
	if (region && (c->filtered || c->slot))
		r = -EPROTO;
	/* Without room for it the runtime finds no prefix, and brokers every call. */
	if (r == 0 && b->kgrants)
		(void)sb_filter_add_kg(&out, &outlen);
	if (r == -EPROTO && hostile(b, c, c->pid, "malformed filter request")) {
		sb_conn_drop(b, c);
		return;
	}
	if (r == 0 && outlen > UINT32_MAX)
		r = -E2BIG;
	c->filtered = c->filtered || r == 0;
	/* Without the region the filter still holds: calls go over the socket alone. */
	struct region *g = NULL;
	if (r == 0 && region && region_grant(b, c, &g) == 0) {
		rep.flags = SB_REP_FD;
		rep.aux = c->slot_idx + 1;
	}
	rep.ret = r;
	rep.outlen = r == 0 ? (uint32_t)outlen : 0;
	if (send_reply(c->fd, &rep, out, g ? g->memfd : -1) < 0) {
		/* Never leave the runtime waiting: it stays on notify. */
		log_protocol(b, c->pid, "cannot send the filter");
		rep.ret = -EMSGSIZE;
		rep.outlen = 0;
		rep.flags = 0;
		rep.aux = 0;
		send_reply(c->fd, &rep, NULL, -1);
	}
	/* Sent once, like SB_REQ_REGION's (or not at all): the mappings keep the memory. */
	if (g)
		g->memfd = safe_close(g->memfd);
}

/* sb_sandbox_enter's requests: a stricter layer (layers.c), dropping privileges (privdrop.c). */
static void on_embed(struct sb_broker *b, struct conn *c, size_t n, bool ok)
{
	const struct sb_req *req = (const struct sb_req *)b->req;
	struct sb_rep rep = { .magic = SB_PROTO_MAGIC_REP,
			      .version = SB_PROTO_VERSION,
			      .seq = req->seq };
	int r = !ok ? -EPROTO
		: req->type == SB_REQ_LAYER
			? sb_layers_request(&b->layers, &b->policy, c->pid, b->req, n)
			: sb_privdrop_request(c->pid, c->pidfd, b->req, n);
	if (ok && req->type == SB_REQ_LAYER)
		sb_trap_bodies_clear(&b->trap_bodies); /* new processes get the new layers */
	if (r == -EPROTO && hostile(b, c, c->pid, "malformed request")) {
		sb_conn_drop(b, c);
		return;
	}
	rep.ret = r;
	send_reply(c->fd, &rep, NULL, -1);
}

/* A channel's request on its way through the dispatcher (dispatch.h). */
struct chan_reply {
	struct sb_reply rp;
	struct sb_broker *b;          /* NULL in a detached copy */
	struct conn *c;               /* NULL in a detached copy */
	const struct sb_decoded *dec; /* the request, whose items are the arguments */
	bool in_slot;                 /* answer in the channel's slot */
	bool log_failure;             /* log an answer that cannot be sent */
	int fd;                       /* a detached copy: the channel */
	uint64_t seq;
};

/* The items the handler sent are the memory arguments, already checked by sb_decode_request. */
static int chan_fetch(struct sb_reply *rp, struct sb_call *call)
{
	const struct sb_decoded *dec = ((struct chan_reply *)rp)->dec;
	call->path[0] = dec->item[SB_ITEM_PATH0];
	call->path[1] = dec->item[SB_ITEM_PATH1];
	call->string = dec->item[SB_ITEM_STRING];
	call->in = dec->item[SB_ITEM_IN];
	call->in_len = dec->item_len[SB_ITEM_IN];
	call->data = dec->item[SB_ITEM_DATA];
	call->data_len = dec->item_len[SB_ITEM_DATA];
	return 0;
}

static int chan_fetch_net(struct sb_reply *rp, const struct sb_call *call, struct sb_netargs *na,
			  const void *item[2])
{
	const struct sb_decoded *dec = ((struct chan_reply *)rp)->dec;
	(void)call;
	item[0] = dec->item[SB_ITEM_IN];
	item[1] = dec->item[SB_ITEM_DATA];
	na->addr_len = dec->item_len[SB_ITEM_IN];
	na->data_len = dec->item_len[SB_ITEM_DATA];
	return 0;
}

static int chan_answer(struct sb_reply *rp, const struct sb_call *call, struct sb_result *res,
		       enum sb_answer how)
{
	struct chan_reply *cr = (struct chan_reply *)rp;
	struct sb_rep rep = { .magic = SB_PROTO_MAGIC_REP,
			      .version = SB_PROTO_VERSION,
			      .seq = cr->seq,
			      .ret = res->ret };
	int pass_fd = -1;
	(void)call;
	if (how == SB_ANSWER_RESULT) {
		rep.outlen = (uint32_t)(res->outlen <= SB_MAX_OUT_WIRE ? res->outlen : 0);
		if (res->fd >= 0)
			rep.flags |= SB_REP_FD | (res->cloexec ? SB_REP_CLOEXEC : 0);
		pass_fd = res->fd;
	}
	if (!cr->c)
		return send_reply(cr->fd, &rep, res->out, pass_fd);
	int r = answer(cr->b, cr->c, cr->in_slot, &rep, res->out, pass_fd);
	if (r < 0 && how == SB_ANSWER_RESULT && cr->log_failure)
		log_protocol(cr->b, cr->c->pid, "cannot send reply");
	return r;
}

static void chan_kill(struct sb_reply *rp, const struct sb_call *call)
{
	(void)call;
	syscall(SYS_pidfd_send_signal, rp->pidfd, SIGKILL, NULL, 0);
}

static void chan_free(struct sb_reply *rp)
{
	struct chan_reply *cr = (struct chan_reply *)rp;
	if (!cr)
		return;
	safe_close(cr->fd);
	safe_close(rp->pidfd);
	free(cr);
}

static const struct sb_reply_ops chan_ops;

/*
 * A waiting call's own: the channel and the pidfd duplicated; it answers on the socket, or in the
 * slot when the caller waits there.
 */
static struct sb_reply *chan_detach(struct sb_reply *rp)
{
	const struct chan_reply *from = (const struct chan_reply *)rp;
	struct chan_reply *cr = calloc(1, sizeof(*cr));
	if (!cr)
		return NULL;
	*cr = (struct chan_reply){ .rp = { .ops = &chan_ops, .pidfd = -1 }, .seq = from->seq };
	if (from->in_slot && from->c) {
		/*
		 * The caller waits on its slot: answer there, through the channel, which the loop
		 * keeps until it drops the call with the channel (sb_pending_drop_owner).
		 */
		cr->b = from->b;
		cr->c = from->c;
		cr->in_slot = true;
		cr->log_failure = from->log_failure;
		cr->rp.owner = from->c;
	}
	cr->fd = fcntl(from->c ? from->c->fd : from->fd, F_DUPFD_CLOEXEC, 3);
	if (cr->fd >= 0 && rp->pidfd >= 0)
		cr->rp.pidfd = fcntl(rp->pidfd, F_DUPFD_CLOEXEC, 3);
	if (cr->fd < 0 || (rp->pidfd >= 0 && cr->rp.pidfd < 0)) {
		int e = errno;
		chan_free(&cr->rp);
		errno = e;
		return NULL;
	}
	return &cr->rp;
}

/* The channel is still open at the other end and its process alive. */
static bool chan_waiting(struct sb_reply *rp)
{
	const struct chan_reply *cr = (const struct chan_reply *)rp;
	struct pollfd p[2] = { { .fd = cr->c ? cr->c->fd : cr->fd, .events = POLLRDHUP },
			       { .fd = rp->pidfd, .events = POLLIN } };
	if (poll(p, 2, 0) < 0)
		return true;
	return !(p[0].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) &&
	       !(p[1].revents & (POLLIN | POLLHUP));
}

static const struct sb_reply_ops chan_ops = {
	.fetch = chan_fetch,
	.fetch_net = chan_fetch_net,
	.answer = chan_answer,
	.kill = chan_kill,
	.detach = chan_detach,
	.waiting = chan_waiting,
	.free = chan_free,
};

/* The requests that are not syscalls: a filter, reply slots, sb_sandbox_enter's. True if one. */
static bool on_other(struct sb_broker *b, struct conn *c, size_t n, bool ok)
{
	const struct sb_req *req = (const struct sb_req *)b->req;
	if (n < sizeof(*req))
		return false;
	switch (req->type) {
	case SB_REQ_FILTER:
		on_filter(b, c, n, ok);
		return true;
	case SB_REQ_REGION:
		on_region(b, c, n, ok);
		return true;
	case SB_REQ_LAYER:
	case SB_REQ_PRIVDROP:
		on_embed(b, c, n, ok);
		return true;
	default:
		return false;
	}
}

void sb_channel_on_request(struct sb_broker *b, struct conn *c)
{
	struct ucred cred;
	bool has_cred, trunc;
	int fds[SB_MSG_MAX_FDS], nfds;
	struct sb_decoded dec;
	ssize_t n = receive(c->fd, b->req, sizeof(b->req), &cred, &has_cred, fds, &nfds, &trunc);

	for (int i = 0; i < nfds; i++)
		close(fds[i]); /* requests carry no fds */
	if (n == -EAGAIN || n == -EINTR)
		return;
	if (n < 0 || (n == 0 && nfds == 0)) {
		sb_conn_drop(b, c);
		return;
	}
	if (has_cred && c->pid == 0) {
		/* The channel belongs to the first process that speaks on it. */
		c->pidfd = (int)syscall(SYS_pidfd_open, cred.pid, 0);
		if (c->pidfd >= 0)
			c->pid = cred.pid;
	}
	if (!trunc && on_other(b, c, (size_t)n, has_cred && nfds == 0 && cred.pid == c->pid))
		return;

	const struct sb_req *req = (const struct sb_req *)b->req;
	bool in_slot = !trunc && (size_t)n >= sizeof(*req) && req->type == SB_REQ_SYSCALL_SLOT;
	int r = trunc ? -EPROTO : sb_decode_request(b->req, (size_t)n, SB_AUDIT_ARCH, &dec);
	if (r == 0 && in_slot && !c->slot)
		r = -EPROTO;
	if (r == 0 && (nfds || !has_cred))
		r = -EPROTO;
	/* Another process on a channel already in use: not how the runtime works. */
	if (r == 0 && cred.pid != c->pid)
		r = -EPROTO;
	if (r < 0) {
		struct sb_rep rep = { .magic = SB_PROTO_MAGIC_REP,
				      .version = SB_PROTO_VERSION,
				      .seq = (size_t)n >= sizeof(*req) ? req->seq : 0,
				      .ret = -EPROTO };
		bool cut = hostile(b, c, has_cred ? cred.pid : 0, "malformed request");
		answer(b, c, in_slot, &rep, NULL, -1);
		if (cut)
			sb_conn_drop(b, c);
		return;
	}

	bool net = sb_shape_is_net(dec.shape);
	struct chan_reply cr = {
		.rp = { .ops = &chan_ops, .pidfd = c->pidfd },
		.b = b,
		.c = c,
		.dec = &dec,
		/* Network answers go on the socket, as a waiting call's must. */
		.in_slot = in_slot && !net,
		.log_failure = !net,
		.fd = -1,
		.seq = req->seq,
	};
	struct sb_call call = {
		.nr = req->nr,
		.pid = c->pid,
		.transport = SB_TRANSPORT_TRAP,
		.shape = dec.shape,
		.dirfd = { -1, -1 },
	};
	memcpy(call.args, req->args, sizeof(call.args));
	sb_dispatch(b->disp, b->policy, &call, &cr.rp);
}
