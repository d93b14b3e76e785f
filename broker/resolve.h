/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Resolving a sandboxee's path from the broker's side, the way the kernel would, so that the
 * policy decides on what the kernel resolved and the operation then uses that very object.
 *
 * The broker never acts on a path string twice: it opens the object (or its parent, for calls
 * that create or remove a name) as an O_PATH fd with openat2(RESOLVE_NO_MAGICLINKS), reads the
 * canonical path of that fd back from the kernel, lets the policy decide on it, and performs the
 * call through the fd. A symlink or ".." can lead anywhere, but only to an object whose
 * canonical path the policy then has to grant; magic links (/proc/PID/root, /proc/PID/fd/N,
 * /proc/PID/cwd) are refused with ELOOP because their targets are not paths.
 *
 * Resolution happens in the broker, so /proc/self and /proc/thread-self name the broker: the
 * executor must decide those prefixes for the sandboxee's own pid before calling this.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

enum sb_resolve_mode {
	SB_RESOLVE_FOLLOW,   /* the object, following a trailing symlink (open, stat, ...) */
	SB_RESOLVE_NOFOLLOW, /* the object, not following a trailing symlink (lstat, readlink) */
	SB_RESOLVE_PARENT,   /* the parent directory, plus the last component (mkdir, unlink) */
};

struct sb_resolved {
	int fd;                  /* O_PATH fd: the object, or the parent for SB_RESOLVE_PARENT */
	char path[PATH_MAX];     /* canonical path of the object (parent + "/" + last for PARENT) */
	char last[NAME_MAX + 1]; /* SB_RESOLVE_PARENT: the final component */
};

/*
 * Resolve path relative to dirfd (an fd on the sandboxee's cwd or dirfd; ignored for an absolute
 * path unless rflags has RESOLVE_IN_ROOT). rflags: RESOLVE_* flags an openat2 caller asked for;
 * they only narrow the lookup, so they are added to the broker's own. Returns 0 and fills ret
 * (close ret->fd), or -errno: the kernel's own error for a path that does not resolve (-ENOENT,
 * -ENOTDIR, -ELOOP, -EACCES...), -ENAMETOOLONG, -EINVAL for an empty path or, with
 * SB_RESOLVE_PARENT, a last component of "." or "..".
 */
int sb_resolve(int dirfd, const char *path, enum sb_resolve_mode mode, uint64_t rflags,
	       struct sb_resolved *ret);

/*
 * The broker's /proc/PID/fd directory (O_PATH, kept open; reopened after a fork), or -errno. Do
 * not close it. sb_fd_name() writes fd's name in it ("7") to buf and returns the directory: an
 * openat(dir, buf, ...) then reopens fd's object as /proc/self/fd/N would.
 */
int sb_self_fds(void);
int sb_fd_name(int fd, char buf[16]);

/* The canonical path of an open fd, as the kernel names it. -ENOENT if it was deleted. */
int sb_fd_path(int fd, char *buf, size_t size);

/*
 * The fd number N that path names as the caller's own: "/proc/self/fd/N",
 * "/proc/thread-self/fd/N" or "/proc/<pid>/fd/N", exactly (N without leading zeros, as procfs
 * spells it). -1 for any other path.
 */
int sb_own_fd_number(const char *path, pid_t pid);

/*
 * The fd a sandboxee's path is relative to, in *ret: -1 for an absolute path; its cwd
 * (/proc/PID/cwd) for AT_FDCWD or a call without a dirfd argument; else its dirfd, fetched with
 * pidfd_getfd. Returns 0 or -errno (EBADF for a negative dirfd other than AT_FDCWD).
 */
int sb_relative_base(pid_t pid, int pidfd, const char *path, bool has_dirfd, uint64_t dirfd_arg,
		     int *ret);
