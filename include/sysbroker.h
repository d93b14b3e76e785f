/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sysbroker: a privilege-separated seccomp syscall broker.
 *
 * Every function that can fail returns an int: >= 0 on success, -errno on failure.
 * Handles are opaque; out-parameters (ret_*) are written only on success.
 * See libsysbroker(3) and sysbroker.policy(5).
 */
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A loaded, validated and compiled policy. Opaque; free with sb_policy_free(). */
struct sb_policy;

/** Where and why a policy failed to load. */
struct sb_policy_error {
	char file[256];    /**< file the error is in ("<string>" for sb_policy_load_string) */
	unsigned line;     /**< 1-based line, 0 when the error is not tied to a line */
	unsigned column;   /**< 1-based column, 0 when the error is not tied to a column */
	char message[256]; /**< one-line human-readable reason */
};

/**
 * Load a policy file, following its includes, and compile it.
 *
 * @param path       policy file; includes are resolved relative to its directory, and
 *                   include <NAME> in $SYSBROKER_POLICY_PATH, then the installed policies
 * @param ret_policy on success, the new policy (free with sb_policy_free())
 * @param ret_error  optional; on failure, filled with the position and reason
 * @return 0, or -EINVAL (syntax or semantic error, see ret_error), -ENOENT / -EACCES / -EISDIR /
 *         -EFBIG / -ELOOP (a file could not be read; ELOOP for an include cycle or too deep
 *         nesting), -ENOMEM.
 */
int sb_policy_load_file(const char *path, struct sb_policy **ret_policy,
			struct sb_policy_error *ret_error);

/**
 * Load a policy from memory. Includes are resolved relative to the current directory.
 *
 * @param text       policy text (need not be NUL-terminated)
 * @param len        length of @text in bytes
 * @param name       name used in error messages and rule origins (NULL: "<string>")
 * @param ret_policy on success, the new policy
 * @param ret_error  optional; on failure, filled with the position and reason
 * @return 0, or the errors of sb_policy_load_file().
 */
int sb_policy_load_string(const char *text, size_t len, const char *name,
			  struct sb_policy **ret_policy, struct sb_policy_error *ret_error);

/**
 * Free a policy. Accepts NULL.
 *
 * @return NULL, so callers can write p = sb_policy_free(p).
 */
struct sb_policy *sb_policy_free(struct sb_policy *policy);

/** The library's version string, e.g. "0.1.0". Never fails. */
const char *sb_version(void);

/** sb_enter_opts.flags: write audit records (JSON Lines) to log_fd; without it, no log. */
#define SB_ENTER_LOG (1u << 0)
/** sb_enter_opts.flags: kill the process when it tries to install a SIGSYS handler. */
#define SB_ENTER_SIGSYS_KILL (1u << 1)

/**
 * Options of sb_sandbox_enter(). Zero every byte, then set size to sizeof(struct sb_enter_opts):
 * a zero field means its default, so that a program built against this version keeps working
 * with a later library whose struct has grown, and the other way round.
 */
struct sb_enter_opts {
	size_t size;      /**< sizeof(struct sb_enter_opts), at least SB_ENTER_OPTS_SIZE_VER0 */
	unsigned flags;   /**< SB_ENTER_LOG, SB_ENTER_SIGSYS_KILL */
	int log_fd;       /**< with SB_ENTER_LOG: an fd open for writing; the broker keeps a copy */
	int sigsys_errno; /**< errno of a refused attempt to install a SIGSYS handler; 0: EPERM */
};

/** The size of the first version of struct sb_enter_opts. */
#define SB_ENTER_OPTS_SIZE_VER0 (offsetof(struct sb_enter_opts, sigsys_errno) + sizeof(int))

/**
 * Sandbox the calling process: start a broker process that keeps the process's access, then
 * confine every thread of the process to the policy, for good. From then on the kernel decides
 * the system calls it can, and every call that names a file or an address goes to the broker,
 * which decides it by path and performs it. Entering drops every capability of every thread and
 * sets no_new_privs. Call it after opening what the policy does not grant (the input, the log),
 * before touching hostile data. See libsysbroker(3).
 *
 * A later call adds the policy as one more layer: every call is then decided by all layers and
 * the strictest answer wins, so a later call can only take access away, never give it back.
 *
 * @param policy the policy (sb_policy_load_file() or sb_policy_load_string()); the caller may
 *               free it afterwards
 * @param opts   options, or NULL for the defaults (no log; EPERM for a SIGSYS handler)
 * @return 0, or -errno and nothing observable changed: -EINVAL (policy NULL, unknown flags, a
 *         sigsys_errno outside 1..4095 or given with SB_ENTER_SIGSYS_KILL, opts->size below
 *         SB_ENTER_OPTS_SIZE_VER0, a log on a later call, a policy without source), -E2BIG
 *         (opts->size above this version's with non-zero bytes past it, or above 4096; a later
 *         layer's text above 8 KiB), -ENAMETOOLONG (a later layer's file name or policy name of
 *         PATH_MAX or more), -EBADF (log_fd not open for writing), -EOPNOTSUPP (the policy needs
 *         the broker to judge a syscall the trap transport cannot serve), -EBUSY (another thread
 *         is entering; the calling thread blocks SIGSYS; a privileged thread blocks SIGSYS),
 *         -ESRCH (a thread has a seccomp filter of its own and cannot be synchronised), -ENOENT
 *         (/proc is not mounted), -EPERM or -EACCES (loading the filter was refused), -ENOMEM,
 *         -EAGAIN, -EMFILE or -ENFILE (the broker or its sockets could not be made), -EIO (the
 *         broker failed); on a later call also -EPROTO (the broker refused the request) and the
 *         errors of loading the layer again in the broker (those of sb_policy_load_file()).
 * Exceptions: no_new_privs stays set when the filter fails to load, and -ETIMEDOUT says that the
 * sandbox is in place but a thread did not drop its privileges in time (the process should exit).
 */
int sb_sandbox_enter(const struct sb_policy *policy, const struct sb_enter_opts *opts);

#ifdef __cplusplus
}
#endif
