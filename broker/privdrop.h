/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capabilities and no_new_privs belong to each thread. sb_sandbox_enter drops its own thread's;
 * the broker finds the other threads that still hold a privilege and asks each, with a SIGSYS
 * from tgkill(2), to drop it (the handler does, sandboxee/dropcaps.c).
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/**
 * Serve one SB_REQ_PRIVDROP request (sandboxee/protocol.h, docs/protocol.md): in round > 0 wait
 * SB_PRIVDROP_WAIT_US, then signal every live thread of pid that holds a capability (inheritable,
 * permitted, effective or ambient) or lacks no_new_privs.
 *
 * @param pid   the sender's process, as the kernel vouched for it
 * @param pidfd a pidfd for it: a reused pid is never signalled
 * @param msg   the request
 * @param len   its size
 * @return the number of threads signalled (0: none holds a privilege), or -EPROTO (malformed),
 *         -EAFNOSUPPORT (another architecture), -ESRCH (the process is gone), or the -errno of
 *         reading its /proc directory.
 */
int sb_privdrop_request(pid_t pid, int pidfd, const void *msg, size_t len);
