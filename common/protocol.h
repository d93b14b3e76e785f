/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The wire protocol between the sandboxee's runtime and the broker (docs/protocol.md).
 * Fixed-size little structs, no pointers: the broker validates every field of every message.
 */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define SB_PROTO_MAGIC_REQ 0x51524253u /* "SBRQ" */
#define SB_PROTO_MAGIC_REP 0x50524253u /* "SBRP" */
#define SB_PROTO_VERSION 3             /* 2: the DATA item (network calls); 3: reply slots */

enum sb_req_type {
	SB_REQ_SYSCALL = 1,  /* on a thread's channel: one brokered syscall */
	SB_REQ_CHANNEL = 2,  /* on the control socket: "here is my new channel" (SCM_RIGHTS) */
	SB_REQ_FILTER = 3,   /* on a process's channel: its trap filter, for its text ranges */
	SB_REQ_LAYER = 4,    /* sb_sandbox_enter, on a channel: a stricter policy layer */
	SB_REQ_PRIVDROP = 5, /* sb_sandbox_enter, on a channel: make every thread drop privileges */
	SB_REQ_SYSCALL_SLOT = 6, /* SB_REQ_SYSCALL, answered in the channel's reply slot */
	SB_REQ_REGION = 7,       /* on a channel: the process's reply slots, and one for it */
};

/*
 * Reply slots: memory the broker and one sandboxee thread share, so that the thread can spin on
 * its answer instead of sleeping on the socket. A process gets SB_REGION_SLOTS of them at once,
 * as one sealed memfd (SB_REQ_REGION, asked and mapped when the trap is armed, before the filter
 * is loaded: a handler never maps memory). The reply to SB_REQ_REGION has ret = the requesting
 * channel's slot index, or -errno, and the memfd. A SB_REQ_CHANNEL request with args[0] =
 * SB_CHANNEL_SLOT asks for a slot in the sender's region too: the reply's ret is then its index
 * + 1 and its seq the pid whose region it is in (the reply may reach another process sharing
 * the control socket, which must then not use the slot), or ret 0 for none (every slot taken, or
 * no region); without it ret is 0.
 *
 * The request still goes over the socket (its sender's pid is the kernel's word, not the
 * sandboxee's), and so do fds. The broker only ever writes a slot, except `waiting`, which it
 * reads as a hint (and the CPU hint): nothing the sandboxee scribbles there can make the broker
 * do more than send one message. For SB_REQ_SYSCALL_SLOT the broker
 *   1. writes the reply (struct sb_rep and its output) to rep, and its CPU to broker_cpu;
 *   2. stores the request's seq in done;
 *   3. clears waiting; then, when an fd comes with the answer, sends the reply's header with the
 *      fd over the socket, else, if waiting was set, a wake-up: a struct sb_rep with flags
 *      SB_REP_WAKE and seq 0.
 * A thread that stops spinning sets waiting, checks done again, and then sleeps on the socket.
 * A request the broker refuses outright (malformed, or asking for a slot the channel does not
 * have) may be answered on the socket instead.
 */
#define SB_CHANNEL_SLOT 1u
#define SB_REGION_SEQ 0x534c4f5453ULL /* "SLOTS": the seq of a SB_REQ_REGION request */

struct sb_slot {
	uint64_t done;       /* the seq of the reply in rep (written last) */
	uint32_t waiting;    /* set by the thread before it sleeps on the socket */
	uint32_t broker_cpu; /* hint: the CPU the broker answered on, plus 1 (0: unknown) */
	uint32_t client_cpu; /* hint: the CPU the thread asked from, plus 1 (0: unknown) */
	uint8_t pad[44];     /* the reply starts on its own cache line */
	uint8_t rep[];       /* struct sb_rep + output, at most SB_MAX_REP bytes */
};
#define SB_SLOT_SIZE 8192UL
#define SB_REGION_SLOTS 64
#define SB_REGION_SIZE (SB_REGION_SLOTS * SB_SLOT_SIZE)

/* Payload items, in this order, each present when its length is non-zero. */
enum {
	SB_ITEM_PATH0,
	SB_ITEM_PATH1,
	SB_ITEM_STRING,
	SB_ITEM_IN,   /* an input struct; for the network calls, the socket address */
	SB_ITEM_DATA, /* the bytes a network call sends (sendto, sendmsg, sendmmsg) */
	SB_ITEM_MAX,
};

struct sb_req {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t arch; /* AUDIT_ARCH_* of the trapped call */
	int32_t nr;
	uint64_t args[6];
	uint64_t seq;              /* echoed by the reply */
	uint32_t len[SB_ITEM_MAX]; /* paths and strings include their NUL */
};

#define SB_MAX_IN 64    /* largest input struct (open_how is 24, timespec[2] 32) */
#define SB_MAX_ADDR 128 /* a socket address: sizeof(struct sockaddr_storage) */
/*
 * The bytes one send with an address carries through the broker (sendto, sendmsg, the first
 * message of sendmmsg); beyond it the call fails with EMSGSIZE on both transports. It shares the
 * per-thread request buffer with the paths (a network call has none), so it costs the handler's
 * thread-local storage only 4 KiB more than the paths did.
 */
#define SB_MAX_DATA 16384
#define SB_MAX_PAYLOAD (SB_MAX_ADDR + SB_MAX_DATA)
_Static_assert(SB_MAX_PAYLOAD >= 3 * PATH_MAX + SB_MAX_IN, "paths fit the payload");
#define SB_MAX_REQ (sizeof(struct sb_req) + SB_MAX_PAYLOAD)

enum {
	SB_REP_FD =
		1u << 0, /* an fd rides along (SCM_RIGHTS); ret is meaningless until installed */
	SB_REP_CLOEXEC = 1u << 1, /* the program asked for O_CLOEXEC on it */
	SB_REP_WAKE = 1u << 2,    /* a wake-up for a thread sleeping on its slot; nothing else */
};

struct sb_rep {
	uint32_t magic;
	uint16_t version;
	uint16_t flags;
	uint64_t seq;
	int64_t ret;     /* return value or -errno */
	uint32_t outlen; /* bytes that follow, to copy to the call's output argument */
	uint32_t aux;    /* SB_REQ_FILTER with SB_FILTER_REGION: the channel's slot + 1 (0: none) */
};

#define SB_MAX_OUT_WIRE 4096

/*
 * An exec the broker allowed arrives as an fd on the checked file; the handler moves it to this
 * fixed number and execveat()s it with AT_EMPTY_PATH, the only execveat the kernel filter lets
 * the sandboxee make by itself. It stays open in the new image (a script's interpreter reads
 * the script through it).
 */
#define SB_EXEC_FD 1019
/*
 * Where the sandboxee's channels go: the broker's end arrives at the lowest free number, which may
 * be 0, 1 or 2 when the program closed them, and a program that then opens a file or checks
 * fstat(0) must find what it expects. Each channel moves to the lowest free number from here
 * (F_DUPFD_CLOEXEC), or from 3 where the fd limit is lower.
 */
#define SB_CHANNEL_FD_MIN 512
#define SB_MAX_REP (sizeof(struct sb_rep) + SB_MAX_OUT_WIRE)
_Static_assert(sizeof(struct sb_slot) + SB_MAX_REP <= SB_SLOT_SIZE, "the reply fits the slot");
_Static_assert(offsetof(struct sb_slot, rep) == 64, "the reply starts on its own cache line");

/*
 * SB_REQ_FILTER: the preloaded runtime asks, on its own channel, for the trap filter of its
 * process. The request is a struct sb_req (nr, args and every len but len[SB_ITEM_IN] zero)
 * followed by 1..SB_MAX_TEXT_RANGES ranges as the IN item: the code (r-x PT_LOAD) of the C
 * library the handler and the program's wrappers make their syscalls from, [start, end),
 * page-aligned. The filter traps brokered calls made from there only.
 */
struct sb_text_range {
	uint64_t start, end;
};
#define SB_MAX_TEXT_RANGES 8
#define SB_TEXT_ALIGN 4096ULL         /* the smallest page size */
#define SB_MAX_TEXT_SPAN (1ULL << 30) /* per range; a C library's code is a few MiB */
#define SB_MAX_TEXT_END (1ULL << 56)  /* the top of user space with 5-level paging */

/*
 * args[0] of SB_REQ_FILTER may be SB_FILTER_REGION: the process's reply slots too, in the same
 * round trip (otherwise SB_REQ_REGION's, which stays for sb_trap_enter). The broker accepts it
 * once per channel, as the channel's first filter request and before it holds a slot; a later,
 * duplicated or foreign one is refused (-EPROTO). When the filter is granted and the region can
 * be made, its memfd rides along (SB_REP_FD) and aux is the channel's slot index + 1; without
 * the fd (aux 0) the filter still holds, and calls go over the socket alone.
 */
#define SB_FILTER_REGION 1u

/*
 * The reply's payload: this header, main_len instructions of the main program, then guard_len
 * of the guard program (struct sock_filter, 8 bytes each, host order). main_len is
 * 1..SB_MAX_FILTER_INSNS, guard_len 0 (no guard) to SB_MAX_FILTER_INSNS. Load the guard first.
 */
struct sb_filter_hdr {
	uint32_t main_len;
	uint32_t guard_len;
};
#define SB_FILTER_INSN_SIZE 8
#define SB_MAX_FILTER_INSNS 4096 /* BPF_MAXINSNS */
#define SB_MAX_FILTER_OUT                                                                          \
	(sizeof(struct sb_filter_hdr) + 2UL * SB_MAX_FILTER_INSNS * SB_FILTER_INSN_SIZE)
#define SB_MAX_FILTER_REP (sizeof(struct sb_rep) + SB_MAX_FILTER_OUT)

/*
 * SB_REQ_LAYER (sb_sandbox_enter called again): a policy layer, as source, in three steps so
 * that a failure leaves nothing changed: PREPARE (the broker loads it and keeps it pending for
 * the sender), then the caller loads the layer's kernel filter, then COMMIT (the broker adds it to
 * the layers every call is decided by) or ABORT. args[0] is the step; for PREPARE args[1] is
 * the source's kind, args[2] the errno for rt_sigaction(SIGSYS) (0: EPERM) and args[3] non-zero to
 * kill instead; the PATH0 item is the file's path (SB_LAYER_FILE) or the policy's name
 * (SB_LAYER_TEXT), NUL-terminated, and for SB_LAYER_TEXT the STRING item is the text itself, at
 * most SB_MAX_LAYER_TEXT bytes and not NUL-terminated. Every other field is zero.
 */
enum {
	SB_LAYER_PREPARE = 1,
	SB_LAYER_COMMIT = 2,
	SB_LAYER_ABORT = 3,
};
enum {
	SB_LAYER_FILE = 1,
	SB_LAYER_TEXT = 2,
};
#define SB_MAX_LAYER_TEXT 8192
#define SB_MAX_PENDING_LAYERS 16 /* processes with a layer between PREPARE and COMMIT */

/*
 * SB_REQ_PRIVDROP: once its filter is loaded, sb_sandbox_enter asks the broker to find the
 * threads of the sender's process that still hold a capability or lack no_new_privs and to send
 * each a SIGSYS with tgkill(2); the handler of such a signal (SI_TKILL from the broker's pid)
 * drops the thread's privileges. args[0] is the round (0, 1, ...): from round 1 on the broker
 * waits SB_PRIVDROP_WAIT_US first. The reply's ret is the number of threads it signalled (0:
 * every thread is unprivileged) or -errno. Every other field is zero.
 */
#define SB_PRIVDROP_WAIT_US 1000
#define SB_PRIVDROP_ROUNDS 3000

/*
 * The broker sb_sandbox_enter starts says it is ready, once, on the control socket before
 * anything else: a struct sb_rep with seq = SB_HELLO_SEQ and ret its pid, with a pidfd for
 * itself (SCM_RIGHTS); or ret -errno and no fd when it could not start.
 */
#define SB_HELLO_SEQ 0x48454c4c4fULL /* "HELLO" */
