/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Policy layers: a later sb_sandbox_enter sends a stricter policy, as source, to the broker
 * that the first one started; the broker loads it itself and decides every call by all layers
 * (policy.h: sb_policy_eval_syscall and friends keep the strictest answer).
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "policy.h"

struct sb_layers;

/**
 * Serve one SB_REQ_LAYER request (sandboxee/protocol.h, docs/protocol.md).
 *
 * @param layers  the broker's layer state, created on first use
 * @param policy  the policy the broker decides by; the first COMMIT makes it point at a copy
 *                of itself that heads the chain of layers, which *layers owns
 * @param pid     the sender, as the kernel vouched for it
 * @param msg     the request
 * @param len     its size
 * @return the reply's ret: 0, or -EPROTO (malformed), -EAFNOSUPPORT (another architecture),
 *         -EBUSY (too many processes with a layer pending), -ENOENT (COMMIT without PREPARE), or
 *         the error of loading the layer (sb_policy_load_file/sb_policy_load_string: -EINVAL,
 *         -ENOENT, -EACCES, -EFBIG, -ELOOP, -ENOMEM, -EOPNOTSUPP...).
 */
int sb_layers_request(struct sb_layers **layers, const struct sb_policy **policy, pid_t pid,
		      const void *msg, size_t len);

/* Free the layers, pending or committed. Accepts NULL; returns NULL. */
/*
 * The policy to decide by once policy replaces the first one (a reload): policy itself when no
 * layer was committed, else the chain's head made from it, with every committed layer still
 * behind it (a reload must not drop a layer: layers only tighten).
 */
const struct sb_policy *sb_layers_rehead(struct sb_layers *ls, const struct sb_policy *policy);
struct sb_layers *sb_layers_free(struct sb_layers *layers);
