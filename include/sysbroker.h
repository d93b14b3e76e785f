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
 * @param path       policy file; includes are resolved relative to its directory
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

#ifdef __cplusplus
}
#endif
