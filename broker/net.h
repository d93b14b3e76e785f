/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The network executor: connect, bind, listen, and sends with an address, decided by the net
 * rules on the broker's own copy of the address and performed by the broker on the sandboxee's
 * own socket (pidfd_getfd), for both transports. A call that has to wait (a connect in progress, a
 * send on a blocking socket whose buffer is full) waits in the event loop (pending.h), which gives
 * the answer and writes the audit record when the socket is ready: the broker's one thread never
 * waits for a peer.
 */
#pragma once

#include <stdint.h>

#include "executor.h"

struct sb_dispatch;
struct sb_reply;

/*
 * Serve a network call that the syscall rules left to the net rules (sd): fetch the address and
 * the bytes through rp, check that they are still the caller's, decide, perform, write the audit
 * record when it logs (or sd does) and answer through rp, now or from the loop (pending.h, through
 * a reply detached from rp; SB_PENDING_MAX calls wait at most, beyond that one fails with EAGAIN).
 * Returns 0, or the -errno of an answer the transport could not give (as sb_dispatch).
 */
int sb_net_serve(struct sb_dispatch *d, const struct sb_policy *policy, const struct sb_call *call,
		 const struct sb_decision *sd, struct sb_reply *rp);

/*
 * Whether any layer of the policy has a rule that grants bind on a TCP or UDP port below 1024:
 * only then does `sysbroker run` keep CAP_NET_BIND_SERVICE for the broker, which binds.
 */
bool sb_net_policy_binds_privileged(const struct sb_policy *policy);

/* "tcp:127.0.0.1:8080", "udp:[::1]:53", "unix:/run/x.sock", "unix:@name" into buf. */
const char *sb_net_target_str(const struct sb_net_target *t, char *buf, size_t size);
