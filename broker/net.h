/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The network executor: connect, bind, listen, and sends with an address, decided by the net
 * rules on the broker's own copy of the address and performed by the broker on the sandboxee's
 * own socket (pidfd_getfd), for both transports. A call that could block (a connect or a send on
 * a blocking socket) runs in a worker thread, which gives the answer and writes the audit record
 * itself, so the single-threaded loop never waits for a peer.
 */
#pragma once

#include <stdint.h>

#include "decode.h"
#include "executor.h"

/* Worker threads in flight at most; beyond, a call that would need one fails with EAGAIN. */
#define SB_NET_MAX_WORKERS 64

/*
 * Serve a network request that came over the trap transport on channel chan_fd from process pid
 * (pidfd: its pidfd): decide, perform, write the audit record when it logs (or sd does: the
 * syscall rules' decision, which left the call to the net rules) and reply on chan_fd, now or
 * from a worker thread. Never fails: every outcome is a reply.
 */
void sb_net_serve_trap(const struct sb_policy *policy, int chan_fd, pid_t pid, int pidfd,
		       const struct sb_decoded *dec, const struct sb_decision *sd, int log_fd);

/*
 * The same for a notification (id on listener) of task tid, whose process is pidfd and whose
 * memory is mem (both opened and validated by the caller): copy the address and the bytes from
 * mem, check the notification again, then as above. Returns 0, or the -errno of an answer the
 * kernel refused (as sb_notify_serve).
 */
int sb_net_serve_notify(const struct sb_policy *policy, int listener, uint64_t id, int pidfd,
			int mem, const struct sb_call *call, const struct sb_decision *sd,
			int log_fd);

/*
 * Whether any layer of the policy has a rule that grants bind on a TCP or UDP port below 1024:
 * only then does `sysbroker run` keep CAP_NET_BIND_SERVICE for the broker, which binds.
 */
bool sb_net_policy_binds_privileged(const struct sb_policy *policy);

/* "tcp:127.0.0.1:8080", "udp:[::1]:53", "unix:/run/x.sock", "unix:@name" into buf. */
const char *sb_net_target_str(const struct sb_net_target *t, char *buf, size_t size);

/* Worker threads in flight now (for tests). */
unsigned sb_net_workers(void);
