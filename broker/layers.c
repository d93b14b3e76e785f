/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Policy layers (SB_REQ_LAYER). A layer arrives as source and is loaded here, with the broker's
 * own access: the application's memory is never trusted to hold a policy. PREPARE loads it and
 * keeps it for the sender; COMMIT, sent once the sender's kernel filter for the layer is loaded,
 * chains it behind the others; ABORT forgets it. So a failure anywhere leaves nothing changed.
 *
 * Anyone on a channel may send a layer, a compromised application too: a layer can only tighten
 * (the evaluator keeps the strictest answer of all layers), so the worst it can do is deny itself
 * more. Layers belong to the broker, not to a process: a layer tightens what the broker decides
 * for every process it serves.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "compile.h"
#include "layers.h"
#include "macro.h"
#include "protocol.h"

struct layer {
	struct layer *next;
	struct sb_policy *loaded;
	struct sb_policy eff; /* loaded plus the runtime's rules; chained through eff.next */
	struct sb_sysrule *rules;
};

struct pending {
	pid_t pid;
	int pidfd; /* to tell whether the sender is still alive */
	struct layer *layer;
};

struct sb_layers {
	struct sb_policy head; /* the broker's first policy, copied, heading the chain */
	bool chained;
	struct layer *first, *last;
	struct pending pending[SB_MAX_PENDING_LAYERS];
	size_t npending;
};

static struct layer *layer_free(struct layer *l)
{
	if (!l)
		return NULL;
	free(l->rules);
	sb_policy_free(l->loaded);
	free(l);
	return NULL;
}

static void pending_drop(struct sb_layers *ls, size_t i)
{
	layer_free(ls->pending[i].layer);
	safe_close(ls->pending[i].pidfd);
	ls->pending[i] = ls->pending[--ls->npending];
}

static struct pending *pending_find(struct sb_layers *ls, pid_t pid)
{
	for (size_t i = 0; i < ls->npending; i++)
		if (ls->pending[i].pid == pid)
			return &ls->pending[i];
	return NULL;
}

/* A string item: NUL-terminated exactly at its end, no NUL inside, at most PATH_MAX. */
static bool string_ok(const char *p, size_t n)
{
	return n > 0 && n <= PATH_MAX && p[n - 1] == 0 && strlen(p) == n - 1;
}

static int decode(const void *msg, size_t len, struct sb_req *req, const char **item0,
		  const char **text)
{
	if (!msg || len < sizeof(*req) || len > SB_MAX_REQ)
		return -EPROTO;
	memcpy(req, msg, sizeof(*req));
	if (req->magic != SB_PROTO_MAGIC_REQ || req->version != SB_PROTO_VERSION ||
	    req->type != SB_REQ_LAYER)
		return -EPROTO;
	if (req->arch != SB_AUDIT_ARCH)
		return -EAFNOSUPPORT;
	size_t total = sizeof(*req);
	for (size_t i = 0; i < SB_ITEM_MAX; i++) {
		/* Only the name and the text travel with a layer. */
		if (req->len[i] > SB_MAX_PAYLOAD ||
		    (req->len[i] && i != SB_ITEM_PATH0 && i != SB_ITEM_STRING))
			return -EPROTO;
		total += req->len[i];
	}
	if (req->nr != 0 || total != len || req->args[4] || req->args[5])
		return -EPROTO;
	if (req->args[0] != SB_LAYER_PREPARE) {
		/* COMMIT and ABORT carry nothing else. */
		if ((req->args[0] != SB_LAYER_COMMIT && req->args[0] != SB_LAYER_ABORT) ||
		    req->args[1] || req->args[2] || req->args[3] || total != sizeof(*req))
			return -EPROTO;
		return 0;
	}
	const char *p = (const char *)msg + sizeof(*req);
	bool file = req->args[1] == SB_LAYER_FILE;
	if ((!file && req->args[1] != SB_LAYER_TEXT) || req->args[2] > 4095 || req->args[3] > 1 ||
	    !string_ok(p, req->len[SB_ITEM_PATH0]) ||
	    (file ? req->len[SB_ITEM_STRING] != 0 : req->len[SB_ITEM_STRING] > SB_MAX_LAYER_TEXT))
		return -EPROTO;
	*item0 = p;
	*text = p + req->len[SB_ITEM_PATH0];
	return 0;
}

static int prepare(struct sb_layers *ls, pid_t pid, const struct sb_req *req, const char *item0,
		   const char *text)
{
	/* Forget the layers of senders that died between PREPARE and COMMIT. */
	for (size_t i = 0; i < ls->npending;)
		if (syscall(SYS_pidfd_send_signal, ls->pending[i].pidfd, 0, NULL, 0) < 0)
			pending_drop(ls, i);
		else
			i++;
	struct pending *pd = pending_find(ls, pid);
	if (!pd && ls->npending >= SB_MAX_PENDING_LAYERS)
		return -EBUSY;

	struct layer *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	int r = req->args[1] == SB_LAYER_FILE
			? sb_policy_load_file(item0, &l->loaded, NULL)
			: sb_policy_load_string(text, req->len[SB_ITEM_STRING], item0, &l->loaded,
						NULL);
	/* As the sender's filter for this layer: the handler's own syscalls, entering's. */
	const struct sb_runtime_mode mode = {
		.for_trap = true,
		.embed = true,
		.sigsys_err = (int)req->args[2],
		.sigsys_kill = req->args[3] != 0,
	};
	if (r == 0)
		r = sb_policy_with_runtime_for(l->loaded, &mode, &l->eff, &l->rules);
	if (r < 0) {
		layer_free(l);
		return r;
	}
	l->eff.next = NULL;
	if (pd) {
		layer_free(pd->layer);
		pd->layer = l;
		return 0;
	}
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		r = -errno;
		layer_free(l);
		return r;
	}
	ls->pending[ls->npending++] = (struct pending){ .pid = pid, .pidfd = pidfd, .layer = l };
	return 0;
}

static int commit(struct sb_layers *ls, const struct sb_policy **policy, pid_t pid)
{
	struct pending *pd = pending_find(ls, pid);
	if (!pd)
		return -ENOENT;
	struct layer *l = TAKE_PTR(pd->layer);
	pending_drop(ls, (size_t)(pd - ls->pending));
	if (!ls->chained) {
		/* Ours to chain from: a copy that shares the first policy's rules. */
		ls->head = **policy;
		ls->head.next = NULL;
		*policy = &ls->head;
		ls->chained = true;
	}
	/* Released whole: a reader that sees the link sees the layer behind it. */
	__atomic_store_n(ls->last ? &ls->last->eff.next : &ls->head.next, &l->eff,
			 __ATOMIC_RELEASE);
	if (!ls->first)
		ls->first = l;
	else
		ls->last->next = l;
	ls->last = l;
	return 0;
}

const struct sb_policy *sb_layers_rehead(struct sb_layers *ls, const struct sb_policy *policy)
{
	if (!ls || !ls->chained)
		return policy;
	/* The broker's one thread is the only reader: the head is rewritten in place. */
	ls->head = *policy;
	ls->head.next = ls->first ? &ls->first->eff : NULL;
	return &ls->head;
}

int sb_layers_request(struct sb_layers **layers, const struct sb_policy **policy, pid_t pid,
		      const void *msg, size_t len)
{
	struct sb_req req;
	const char *item0 = NULL, *text = NULL;

	if (!layers || !policy || !*policy || pid <= 0)
		return -EINVAL;
	int r = decode(msg, len, &req, &item0, &text);
	if (r < 0)
		return r;
	if (!*layers) {
		*layers = calloc(1, sizeof(**layers));
		if (!*layers)
			return -ENOMEM;
	}
	struct sb_layers *ls = *layers;
	switch (req.args[0]) {
	case SB_LAYER_PREPARE:
		return prepare(ls, pid, &req, item0, text);
	case SB_LAYER_COMMIT:
		return commit(ls, policy, pid);
	default: {
		struct pending *pd = pending_find(ls, pid);
		if (pd)
			pending_drop(ls, (size_t)(pd - ls->pending));
		return 0;
	}
	}
}

struct sb_layers *sb_layers_free(struct sb_layers *ls)
{
	if (!ls)
		return NULL;
	while (ls->npending)
		pending_drop(ls, 0);
	for (struct layer *l = ls->first; l;) {
		struct layer *n = l->next;
		layer_free(l);
		l = n;
	}
	free(ls);
	return NULL;
}
