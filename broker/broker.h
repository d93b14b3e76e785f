/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The broker's insides, shared by the event loop (loop.c: connections, the epoll set, the notify
 * listeners) and the trap transport (channel.c: control sockets, channels and reply slots).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"
#include "protocol.h"
#include "trapfilter.h"

enum conn_kind {
	CONN_CONTROL,
	CONN_CHANNEL,
	CONN_NOTIFY,   /* a seccomp listener */
	CONN_CALLBACK, /* the embedder's own fd (signals, timers) */
	CONN_PENDING,  /* the calls that wait (pending.h); not counted in nconns */
};

struct conn {
	struct conn *next, *prev; /* every connection, so that freeing the broker frees them */
	enum conn_kind kind;
	int fd;
	pid_t pid; /* channel: the process that uses it (its first sender, as the kernel said) */
	pid_t creator;         /* channel: the process that asked for it */
	int pidfd;             /* channel: that process, for pidfd_getfd */
	struct sb_slot *slot;  /* channel: its reply slot (shared with the sandboxee), or NULL */
	struct region *region; /* channel: the region slot is in */
	unsigned slot_idx;
	bool filtered; /* channel: a filter was sent on it (SB_FILTER_REGION comes first or never)
			*/
	unsigned errors;
	sb_fd_cb cb; /* callback */
	void *data;
};

/* The reply slots of one sandboxee process (SB_REQ_REGION), shared by its channels. */
struct region {
	struct region *next;
	pid_t pid;
	int pidfd;  /* its owner: a region is never found for a later process of the same pid */
	bool found; /* still on the list (its owner was alive when last looked up) */
	int memfd;  /* until sent (once); then the mappings keep the memory */
	uint8_t *map;
	uint64_t used; /* a bit per slot */
	unsigned refs; /* channels with a slot here, plus none: freed with the last */
};
_Static_assert(SB_REGION_SLOTS <= 64, "a bit per slot");

struct sb_broker {
	const struct sb_policy *policy;
	struct sb_audit_log *log; /* where records go, with the sandbox id and the rate limit */
	int epfd;
	struct conn *conns;
	size_t nconns, max_conns;
	bool stop;
	bool dropped;      /* a connection was freed while handling this batch of events */
	bool served;       /* a channel's request was answered in this batch */
	long spin_ns;      /* how long to poll for the next request before sleeping */
	bool sync_wake;    /* notify: hand over on the waker's CPU */
	bool notify_sync;  /* a listener took SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP */
	uint32_t peer_cpu; /* the last answered thread's CPU + 1, as its slot says (a hint) */
	struct region *regions;
	size_t nregions; /* each holds a pidfd (and a memfd until sent): counted as connections */
	/* Later layers sent by sb_sandbox_enter (layers.c). */
	struct sb_layers *layers;
	_Alignas(8) uint8_t req[SB_MAX_REQ + 1];
	_Alignas(8) uint8_t rep[SB_MAX_REP];
	struct sb_dispatch *disp; /* the decision path, for both transports */
	struct conn pending;      /* its waiting calls' epoll fd in ours (never on the list) */
	bool kgrants; /* every process holds the Landlock domain of kernel grants: trap filters
			 let the direct try through (common/kgcookie.h) */
	/* The trap programs' bodies for the policy new processes get (cleared when it changes). */
	struct sb_trap_bodies trap_bodies;
};

/* Watch fd (kind) in the broker's epoll set; *ret (if not NULL) the new connection. 0 or -errno. */
int sb_conn_add(struct sb_broker *b, enum conn_kind kind, int fd, struct conn **ret);
/* Close a connection and forget it (its slot too); sets b->dropped. */
void sb_conn_drop(struct sb_broker *b, struct conn *c);

/* channel.c: a request for a new channel on a control socket. */
void sb_channel_on_control(struct sb_broker *b, struct conn *c);
/* channel.c: a request on a channel (a syscall, a filter, a region, sb_sandbox_enter's). */
void sb_channel_on_request(struct sb_broker *b, struct conn *c);
/* channel.c: give back channel c's reply slot, if it has one. */
void sb_slot_release(struct sb_broker *b, struct conn *c);
