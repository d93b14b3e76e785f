/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one syscall table. A row for every brokered syscall: its name, what kind of rule decides
 * it, which executor operation performs it, which arguments are paths, which are directory fds,
 * which point to an input struct (or a socket address, or a message) the broker needs, which
 * receive a result the sandboxee's handler copies back, and which integers the operation takes.
 * Everything else derives from it: the policy layer's brokered set (policy/names.c), the SIGSYS
 * handler's request builder, the broker's decoder, both transports and the executor's dispatch.
 * Pure constant data and lookups: safe in signal context.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <utime.h>

#define SB_NOARG 0xff

/*
 * Numbers the C library's headers may lack. Since 424 every architecture numbers new syscalls
 * alike; the two below it are x86_64's own.
 */
#if defined(__x86_64__) || defined(__aarch64__)
#ifndef SYS_cachestat
#define SYS_cachestat 451
#endif
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_map_shadow_stack
#define SYS_map_shadow_stack 453
#endif
#ifndef SYS_futex_wake
#define SYS_futex_wake 454
#endif
#ifndef SYS_futex_wait
#define SYS_futex_wait 455
#endif
#ifndef SYS_futex_requeue
#define SYS_futex_requeue 456
#endif
#ifndef SYS_statmount
#define SYS_statmount 457
#endif
#ifndef SYS_listmount
#define SYS_listmount 458
#endif
#ifndef SYS_lsm_get_self_attr
#define SYS_lsm_get_self_attr 459
#endif
#ifndef SYS_lsm_set_self_attr
#define SYS_lsm_set_self_attr 460
#endif
#ifndef SYS_lsm_list_modules
#define SYS_lsm_list_modules 461
#endif
#ifndef SYS_mseal
#define SYS_mseal 462
#endif
#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif
#ifndef SYS_getxattrat
#define SYS_getxattrat 464
#endif
#ifndef SYS_listxattrat
#define SYS_listxattrat 465
#endif
#ifndef SYS_removexattrat
#define SYS_removexattrat 466
#endif
#ifndef SYS_open_tree_attr
#define SYS_open_tree_attr 467
#endif
#ifndef SYS_file_getattr
#define SYS_file_getattr 468
#endif
#ifndef SYS_file_setattr
#define SYS_file_setattr 469
#endif
#endif
#if defined(__x86_64__) && !defined(SYS_uretprobe)
#define SYS_uretprobe 335
#endif
#if defined(__x86_64__) && !defined(SYS_uprobe)
#define SYS_uprobe 336
#endif

/*
 * Every syscall number is in one class (syscalls.c). Numbers at or above SB_NR_LIMIT, and any
 * below it the table does not name, are unknown: refused with ENOSYS and logged, whatever the
 * policy says, so that a kernel newer than this table cannot widen a sandbox.
 */
#define SB_NR_LIMIT 1024
enum sb_syscall_class {
	SB_CLASS_UNKNOWN = 0,
	SB_CLASS_PATH_FREE, /* kernel rules and the policy's default decide */
	SB_CLASS_BROKERED,  /* a row below: path or net rules decide, in the broker */
	SB_CLASS_REFUSED,   /* takes a path the broker does not serve: refused, logged */
};
/* Not for signal context. The number of a syscall on this architecture, or -1. */
int sb_syscall_nr(const char *name);
enum sb_syscall_class sb_syscall_class(int nr);
/* The name of a known syscall number, NULL for an unknown one. */
const char *sb_syscall_name(int nr);

/* What kind of rule decides a brokered syscall. */
enum sb_brokered_kind {
	SB_BROKERED_NO = 0, /* not brokered: kernel rules and the default decide */
	SB_BROKERED_PATH,   /* path rules */
	SB_BROKERED_EXEC,   /* path rules, exec permission (served over notify only) */
	SB_BROKERED_NET,    /* net rules (broker/net.c) */
};

/* The executor's operation for a row (broker/executor.c has one function per operation). */
enum sb_op {
	SB_OP_NONE = 0, /* brokered but not served: refused with ENOSYS */
	SB_OP_OPEN,     /* iarg: flags, mode */
	SB_OP_OPENAT2,  /* struct open_how in the IN item */
	SB_OP_STAT,     /* iarg: AT_* flags */
	SB_OP_STATX,    /* iarg: AT_* flags, mask */
	SB_OP_ACCESS,   /* iarg: mode, AT_* flags */
	SB_OP_READLINK, /* the capacity in size_arg */
	SB_OP_MKDIR,    /* iarg: mode */
	SB_OP_UNLINK,   /* iarg: AT_REMOVEDIR or 0 */
	SB_OP_RENAME,   /* iarg: RENAME_* flags */
	SB_OP_LINK,     /* iarg: AT_* flags */
	SB_OP_SYMLINK,  /* the target is the string */
	SB_OP_CHMOD,    /* iarg: mode */
	SB_OP_TRUNCATE, /* iarg: length */
	SB_OP_UTIMENS,  /* iarg: AT_* flags; the times in the IN item */
	SB_OP_EXEC,     /* iarg: AT_* flags */
	SB_OP_CHDIR,
	/*
	 * Extended attributes (the name is the string; iarg: AT_* flags, then XATTR_* for set) and
	 * watches (the caller's notification fd is arg0, SB_SHAPE_FD_ARG0; iarg: inotify's mask, or
	 * fanotify's flags and mask).
	 */
	SB_OP_GETXATTR,
	SB_OP_LISTXATTR,
	SB_OP_SETXATTR, /* the value is the DATA item */
	SB_OP_REMOVEXATTR,
	SB_OP_INOTIFY,
	SB_OP_FANOTIFY,
	SB_OP_CHOWN,  /* iarg: AT_* flags; the uid and gid are the two arguments after the path */
	SB_OP_MKNOD,  /* iarg: mode, dev */
	SB_OP_STATFS, /* the struct statfs goes back as the OUT item */
	SB_OP_NET,    /* broker/net.c, by in_kind */
};

/* Special cases, so that no consumer tests a syscall number. */
enum sb_shape_flag {
	SB_SHAPE_NULL_PATH = 1u << 0, /* a NULL path acts on the dirfd itself (utimensat) */
	SB_SHAPE_FIRST_MSG = 1u << 1, /* the first message of an array only (sendmmsg) */
	SB_SHAPE_FD_ARG0 = 1u << 2,   /* arg0 is an fd of the caller's the operation acts on: the
				       * broker fetches it (pidfd_getfd) into the call's dirfd[1] */
	/*
	 * A path /proc/self/fd/N (thread-self, or the caller's own pid) names the caller's fd N:
	 * the transport fetches it as dirfd (sb_call.own_fd) and the call acts on what it names.
	 */
	SB_SHAPE_FD_PATH = 1u << 3,
};

enum sb_out_kind {
	SB_OUT_NONE = 0,
	SB_OUT_STAT,     /* struct stat at out_arg */
	SB_OUT_STATX,    /* struct statx at out_arg */
	SB_OUT_READLINK, /* bytes at out_arg, capacity in size_arg; ret is the length */

	/*
	 * getxattrat: bytes at the value of the struct sb_xattr_args at in_arg, capacity its size;
	 * ret is the length. (getxattr and listxattr use SB_OUT_READLINK; a capacity of 0 copies
	 * nothing.)
	 */
	SB_OUT_XATTR_ARGS,
	SB_OUT_STATFS, /* struct statfs at out_arg */
};

enum sb_in_kind {
	SB_IN_NONE = 0,
	SB_IN_OPEN_HOW, /* struct open_how at in_arg, its size in size_arg (openat2) */
	SB_IN_TIMES,    /* struct timespec[2] at in_arg, may be NULL (utimensat) */
	/*
	 * The network calls (broker/net.c). The socket is always arg0; the address travels as
	 * the IN item (at most SB_MAX_ADDR bytes), the bytes sent as the DATA item (at most
	 * SB_MAX_DATA).
	 */
	SB_IN_SOCKADDR, /* a socket address at in_arg, its length in size_arg (connect, bind) */
	SB_IN_SENDTO,   /* sendto: the address as SB_IN_SOCKADDR (may be NULL), the bytes at
			 * arg1, their length in arg2 */
	SB_IN_MSGHDR,   /* sendmsg: a struct msghdr at in_arg; its name (may be NULL) and the
			 * bytes of its iovecs are sent, control data is refused (EOPNOTSUPP) */
	SB_IN_MMSGHDR,  /* sendmmsg: struct mmsghdr[size_arg] at in_arg; the first message only,
			 * as SB_IN_MSGHDR (a partial sendmmsg, which the caller must handle
			 * anyway); its msg_len is written back and the call returns 1 */
	SB_IN_SOCKET,   /* only the socket (listen) */
	SB_IN_UTIMBUF,  /* struct utimbuf at in_arg, may be NULL (utime) */
	SB_IN_TIMEVAL,  /* struct timeval[2] at in_arg, may be NULL (utimes, futimesat) */
	/*
	 * Extended attributes. The value set travels as the DATA item, at most SB_MAX_XATTR bytes
	 * (E2BIG beyond; sb_xattr_value() says where it is).
	 */
	SB_IN_XATTR_VALUE, /* the value at in_arg, its size in size_arg (setxattr); no IN item */
	SB_IN_XATTR_ARGS,  /* struct sb_xattr_args at in_arg, its size in size_arg, as the IN
			    * item (setxattrat, getxattrat); setxattrat's value is at its value */
};

/* struct xattr_args of Linux 6.13 (the *xattrat calls), which older headers lack. */
struct sb_xattr_args {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};
#define SB_XATTR_ARGS_SIZE_VER0 16
#define SB_XATTR_NAME_MAX 255   /* XATTR_NAME_MAX */
#define SB_XATTR_SIZE_MAX 65536 /* XATTR_SIZE_MAX */
/*
 * The broker's bound on an extended attribute's value, both ways: a value set travels in the
 * request (with a path and a name), a value or name list read in the reply (SB_MAX_OUT_WIRE).
 * Beyond it the call fails with E2BIG on both transports.
 */
#define SB_MAX_XATTR 4096

struct sb_shape {
	int nr;
	const char *name;
	uint8_t kind;     /* enum sb_brokered_kind */
	uint8_t op;       /* enum sb_op */
	uint8_t flags;    /* enum sb_shape_flag */
	uint8_t path[2];  /* argument index of each path, SB_NOARG if none */
	uint8_t dirfd[2]; /* argument index of the dirfd each path is relative to, or SB_NOARG */
	uint8_t string;   /* a string that is not a path to resolve (symlink target), or SB_NOARG */
	uint8_t in_kind, in_arg;
	uint8_t out_kind, out_arg;
	uint8_t size_arg; /* capacity (readlink) or struct size (openat2), or SB_NOARG */
	uint8_t iarg[2];  /* the integer arguments the operation takes, SB_NOARG for none (0) */
	uint32_t ifixed;  /* or'ed into the first: what the syscall implies (lstat, rmdir, creat) */
};

#define N SB_NOARG
#define P SB_BROKERED_PATH
#define X SB_BROKERED_EXEC
#define T SB_BROKERED_NET
#define F SB_SHAPE_FD_PATH
/*
 * name, kind, op, flags, paths, dirfds, string, in kind/arg, out kind/arg, size arg, iargs,
 * fixed flags. A row of op SB_OP_NONE is brokered (so kernel rules cannot allow it) but refused.
 */
#define R(name, kind, op, fl, p0, p1, d0, d1, str, ik, ia, ok, oa, sz, i0, i1, fixed)              \
	{                                                                                          \
		SYS_##name, #name, kind, op, fl, { p0, p1 }, { d0, d1 }, str, ik, ia, ok, oa, sz,  \
			{ i0, i1 }, fixed                                                          \
	}
/* clang-format off */
static const struct sb_shape sb_shapes[] = {
#ifdef SYS_open
	R(open,       P, SB_OP_OPEN,     F, 0, N, N, N, N, 0, N, 0, N, N, 1, 2, 0),
#endif
	R(openat,     P, SB_OP_OPEN,     F, 1, N, 0, N, N, 0, N, 0, N, N, 2, 3, 0),
	R(openat2,    P, SB_OP_OPENAT2,  0, 1, N, 0, N, N, SB_IN_OPEN_HOW, 2, 0, N, 3, N, N, 0),
#ifdef SYS_creat
	R(creat,      P, SB_OP_OPEN,     0, 0, N, N, N, N, 0, N, 0, N, N, N, 1,
	  O_CREAT | O_WRONLY | O_TRUNC),
#endif
#ifdef SYS_stat
	R(stat,       P, SB_OP_STAT,     0, 0, N, N, N, N, 0, N, SB_OUT_STAT, 1, N, N, N, 0),
	R(lstat,      P, SB_OP_STAT,     0, 0, N, N, N, N, 0, N, SB_OUT_STAT, 1, N, N, N,
	  AT_SYMLINK_NOFOLLOW),
#endif
	R(newfstatat, P, SB_OP_STAT,     0, 1, N, 0, N, N, 0, N, SB_OUT_STAT, 2, N, 3, N, 0),
	R(statx,      P, SB_OP_STATX,    0, 1, N, 0, N, N, 0, N, SB_OUT_STATX, 4, N, 2, 3, 0),
#ifdef SYS_access
	R(access,     P, SB_OP_ACCESS,   0, 0, N, N, N, N, 0, N, 0, N, N, 1, N, 0),
#endif
	R(faccessat,  P, SB_OP_ACCESS,   0, 1, N, 0, N, N, 0, N, 0, N, N, 2, N, 0),
	R(faccessat2, P, SB_OP_ACCESS,   0, 1, N, 0, N, N, 0, N, 0, N, N, 2, 3, 0),
#ifdef SYS_readlink
	R(readlink,   P, SB_OP_READLINK, 0, 0, N, N, N, N, 0, N, SB_OUT_READLINK, 1, 2, N, N, 0),
#endif
	R(readlinkat, P, SB_OP_READLINK, 0, 1, N, 0, N, N, 0, N, SB_OUT_READLINK, 2, 3, N, N, 0),
#ifdef SYS_mkdir
	R(mkdir,      P, SB_OP_MKDIR,    0, 0, N, N, N, N, 0, N, 0, N, N, 1, N, 0),
#endif
	R(mkdirat,    P, SB_OP_MKDIR,    0, 1, N, 0, N, N, 0, N, 0, N, N, 2, N, 0),
#ifdef SYS_unlink
	R(unlink,     P, SB_OP_UNLINK,   0, 0, N, N, N, N, 0, N, 0, N, N, N, N, 0),
	R(rmdir,      P, SB_OP_UNLINK,   0, 0, N, N, N, N, 0, N, 0, N, N, N, N, AT_REMOVEDIR),
	R(rename,     P, SB_OP_RENAME,   0, 0, 1, N, N, N, 0, N, 0, N, N, N, N, 0),
	R(link,       P, SB_OP_LINK,     0, 0, 1, N, N, N, 0, N, 0, N, N, N, N, 0),
	R(symlink,    P, SB_OP_SYMLINK,  0, 1, N, N, N, 0, 0, N, 0, N, N, N, N, 0),
	R(chmod,      P, SB_OP_CHMOD,    F, 0, N, N, N, N, 0, N, 0, N, N, 1, N, 0),
#endif
	R(unlinkat,   P, SB_OP_UNLINK,   0, 1, N, 0, N, N, 0, N, 0, N, N, 2, N, 0),
#ifdef SYS_renameat
	R(renameat,   P, SB_OP_RENAME,   0, 1, 3, 0, 2, N, 0, N, 0, N, N, N, N, 0),
#endif
	R(renameat2,  P, SB_OP_RENAME,   0, 1, 3, 0, 2, N, 0, N, 0, N, N, 4, N, 0),
	R(linkat,     P, SB_OP_LINK,     0, 1, 3, 0, 2, N, 0, N, 0, N, N, 4, N, 0),
	R(symlinkat,  P, SB_OP_SYMLINK,  0, 2, N, 1, N, 0, 0, N, 0, N, N, N, N, 0),
	R(fchmodat,   P, SB_OP_CHMOD,    F, 1, N, 0, N, N, 0, N, 0, N, N, 2, N, 0),
	R(truncate,   P, SB_OP_TRUNCATE, 0, 0, N, N, N, N, 0, N, 0, N, N, 1, N, 0),
	R(utimensat,  P, SB_OP_UTIMENS,  SB_SHAPE_NULL_PATH | F, 1, N, 0, N, N, SB_IN_TIMES, 2, 0,
	  N, N, 3, N, 0),
	R(execve,     X, SB_OP_EXEC,     0, 0, N, N, N, N, 0, N, 0, N, N, N, N, 0),
	R(chdir,      P, SB_OP_CHDIR,    0, 0, N, N, N, N, 0, N, 0, N, N, N, N, 0),
	R(execveat,   X, SB_OP_EXEC,     0, 1, N, 0, N, N, 0, N, 0, N, N, 4, N, 0),
	/* Extended attributes: the name is the string, the value a DATA item, the result OUT. */
	R(getxattr,   P, SB_OP_GETXATTR, 0, 0, N, N, N, 1, 0, N, SB_OUT_READLINK, 2, 3, N, N, 0),
	R(lgetxattr,  P, SB_OP_GETXATTR, 0, 0, N, N, N, 1, 0, N, SB_OUT_READLINK, 2, 3, N, N,
	  AT_SYMLINK_NOFOLLOW),
	R(listxattr,  P, SB_OP_LISTXATTR, 0, 0, N, N, N, N, 0, N, SB_OUT_READLINK, 1, 2, N, N, 0),
	R(llistxattr, P, SB_OP_LISTXATTR, 0, 0, N, N, N, N, 0, N, SB_OUT_READLINK, 1, 2, N, N,
	  AT_SYMLINK_NOFOLLOW),
	R(setxattr,   P, SB_OP_SETXATTR, 0, 0, N, N, N, 1, SB_IN_XATTR_VALUE, 2, 0, N, 3, N, 4, 0),
	R(lsetxattr,  P, SB_OP_SETXATTR, 0, 0, N, N, N, 1, SB_IN_XATTR_VALUE, 2, 0, N, 3, N, 4,
	  AT_SYMLINK_NOFOLLOW),
	R(removexattr, P, SB_OP_REMOVEXATTR, 0, 0, N, N, N, 1, 0, N, 0, N, N, N, N, 0),
	R(lremovexattr, P, SB_OP_REMOVEXATTR, 0, 0, N, N, N, 1, 0, N, 0, N, N, N, N,
	  AT_SYMLINK_NOFOLLOW),
	R(setxattrat, P, SB_OP_SETXATTR, SB_SHAPE_NULL_PATH, 1, N, 0, N, 3, SB_IN_XATTR_ARGS, 4, 0,
	  N, 5, 2, N, 0),
	R(getxattrat, P, SB_OP_GETXATTR, SB_SHAPE_NULL_PATH, 1, N, 0, N, 3, SB_IN_XATTR_ARGS, 4,
	  SB_OUT_XATTR_ARGS, 4, 5, 2, N, 0),
	R(listxattrat, P, SB_OP_LISTXATTR, SB_SHAPE_NULL_PATH, 1, N, 0, N, N, 0, N, SB_OUT_READLINK,
	  3, 4, 2, N, 0),
	R(removexattrat, P, SB_OP_REMOVEXATTR, SB_SHAPE_NULL_PATH, 1, N, 0, N, 3, 0, N, 0, N, N, 2,
	  N, 0),
	/* Watches: the caller's notification fd is fetched, the watch added on the object. */
	R(inotify_add_watch, P, SB_OP_INOTIFY, SB_SHAPE_FD_ARG0, 1, N, N, N, N, 0, N, 0, N, N, 2,
	  N, 0),
	R(fanotify_mark, P, SB_OP_FANOTIFY, SB_SHAPE_NULL_PATH | SB_SHAPE_FD_ARG0, 4, N, 3, N, N, 0,
	  N, 0, N, N, 1, 2, 0),
	R(connect,    T, SB_OP_NET,      0, N, N, N, N, N, SB_IN_SOCKADDR, 1, 0, N, 2, N, N, 0),
	R(bind,       T, SB_OP_NET,      0, N, N, N, N, N, SB_IN_SOCKADDR, 1, 0, N, 2, N, N, 0),
	R(sendto,     T, SB_OP_NET,      0, N, N, N, N, N, SB_IN_SENDTO, 4, 0, N, 5, N, N, 0),
	R(sendmsg,    T, SB_OP_NET,      0, N, N, N, N, N, SB_IN_MSGHDR, 1, 0, N, N, N, N, 0),
	R(sendmmsg,   T, SB_OP_NET,      SB_SHAPE_FIRST_MSG, N, N, N, N, N, SB_IN_MMSGHDR, 1, 0, N,
	  2, N, N, 0),
	R(listen,     T, SB_OP_NET,      0, N, N, N, N, N, SB_IN_SOCKET, N, 0, N, N, N, N, 0),
#ifdef SYS_utime
	R(utime,      P, SB_OP_UTIMENS,  F, 0, N, N, N, N, SB_IN_UTIMBUF, 1, 0, N, N, N, N, 0),
	R(utimes,     P, SB_OP_UTIMENS,  F, 0, N, N, N, N, SB_IN_TIMEVAL, 1, 0, N, N, N, N, 0),
	R(futimesat,  P, SB_OP_UTIMENS,  SB_SHAPE_NULL_PATH | F, 1, N, 0, N, N, SB_IN_TIMEVAL, 2, 0,
	  N, N, N, N, 0),
	R(chown,      P, SB_OP_CHOWN,    F, 0, N, N, N, N, 0, N, 0, N, N, N, N, 0),
	R(lchown,     P, SB_OP_CHOWN,    0, 0, N, N, N, N, 0, N, 0, N, N, N, N,
	  AT_SYMLINK_NOFOLLOW),
	R(mknod,      P, SB_OP_MKNOD,    0, 0, N, N, N, N, 0, N, 0, N, N, 1, 2, 0),
#endif
	R(fchownat,   P, SB_OP_CHOWN,    F, 1, N, 0, N, N, 0, N, 0, N, N, 4, N, 0),
	R(mknodat,    P, SB_OP_MKNOD,    0, 1, N, 0, N, N, 0, N, 0, N, N, 2, 3, 0),
	R(statfs,     P, SB_OP_STATFS,   0, 0, N, N, N, N, 0, N, SB_OUT_STATFS, 1, N, N, N, 0),
	R(fchmodat2,  P, SB_OP_CHMOD,    F, 1, N, 0, N, N, 0, N, 0, N, N, 2, 3, 0),
};
/* clang-format on */
#undef R
#undef F
#undef T
#undef X
#undef P
#undef N

#define SB_NSHAPES (sizeof(sb_shapes) / sizeof(sb_shapes[0]))

static inline bool sb_shape_is_net(const struct sb_shape *sh)
{
	return sh && sh->kind == SB_BROKERED_NET;
}

/* The row of syscall nr, served or not; NULL for a syscall that is not brokered. */
static inline const struct sb_shape *sb_syscall_lookup(long nr)
{
	for (size_t i = 0; i < SB_NSHAPES; i++)
		if (sb_shapes[i].nr == nr)
			return &sb_shapes[i];
	return NULL;
}

/* The row of a syscall the broker serves (its request is built, decoded and executed). */
static inline const struct sb_shape *sb_shape_lookup(long nr)
{
	const struct sb_shape *sh = sb_syscall_lookup(nr);
	return sh && sh->op != SB_OP_NONE ? sh : NULL;
}

/*
 * Where the value a setxattr call sets is: *addr and *len (0 and 0 for none, or for a call that
 * sets none). in is the struct sb_xattr_args copied for SB_IN_XATTR_ARGS (NULL if absent: the
 * executor answers that). Returns 0, -E2BIG beyond SB_MAX_XATTR, -EFAULT for a NULL value with a
 * size. The handler, the broker's decoder and the notify transport all ask it.
 */
static inline int sb_xattr_value(const struct sb_shape *sh, const uint64_t args[6], const void *in,
				 size_t in_len, uint64_t *addr, size_t *len)
{
	struct sb_xattr_args xa;
	uint64_t a, n;

	*addr = 0;
	*len = 0;
	if (sh->op != SB_OP_SETXATTR)
		return 0;
	if (sh->in_kind == SB_IN_XATTR_VALUE) {
		a = args[sh->in_arg];
		n = args[sh->size_arg];
	} else {
		if (!in || in_len < SB_XATTR_ARGS_SIZE_VER0)
			return 0;
		__builtin_memcpy(&xa, in, sizeof(xa));
		a = xa.value;
		n = xa.size;
	}
	if (n > SB_XATTR_SIZE_MAX || n > SB_MAX_XATTR)
		return -E2BIG;
	if (n && !a)
		return -EFAULT;
	*addr = a;
	*len = (size_t)n;
	return 0;
}

/*
 * The size of a file call's IN item where its pointer is not NULL (openat2's and the *xattrat
 * calls' is the caller's).
 */
static inline uint64_t sb_shape_in_size(const struct sb_shape *sh, const uint64_t args[6])
{
	switch (sh->in_kind) {
	case SB_IN_OPEN_HOW:
	case SB_IN_XATTR_ARGS:
		return args[sh->size_arg];
	case SB_IN_TIMES:
		return 2 * sizeof(struct timespec);
	case SB_IN_UTIMBUF:
		return sizeof(struct utimbuf);
	case SB_IN_TIMEVAL:
		return 2 * sizeof(struct timeval);
	default:
		return 0;
	}
}

/* Path i of a call is absent: no such argument, or a NULL one where the row allows it. */
static inline bool sb_shape_no_path(const struct sb_shape *sh, int i, const uint64_t args[6])
{
	return sh->path[i] == SB_NOARG ||
	       ((sh->flags & SB_SHAPE_NULL_PATH) && args[sh->path[i]] == 0);
}
