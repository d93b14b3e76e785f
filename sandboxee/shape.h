/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shape of every brokered syscall: which arguments are paths, which are directory fds,
 * which point to an input struct (or a socket address, or a message) the broker needs, and which
 * receive a result the sandboxee's handler copies back. Shared by the SIGSYS handler (what to copy
 * into a request, where to copy a reply) and the broker (how to decode and execute), so the two
 * cannot disagree. Pure constant data and one lookup: safe in signal context.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#define SB_NOARG 0xff

enum sb_out_kind {
	SB_OUT_NONE = 0,
	SB_OUT_STAT,     /* struct stat at out_arg */
	SB_OUT_STATX,    /* struct statx at out_arg */
	SB_OUT_READLINK, /* bytes at out_arg, capacity in size_arg; ret is the length */
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
};

struct sb_shape {
	int nr;
	uint8_t path[2];  /* argument index of each path, SB_NOARG if none */
	uint8_t dirfd[2]; /* argument index of the dirfd each path is relative to, or SB_NOARG */
	uint8_t string;   /* a string that is not a path to resolve (symlink target), or SB_NOARG */
	uint8_t in_kind, in_arg;
	uint8_t out_kind, out_arg;
	uint8_t size_arg; /* capacity (readlink) or struct size (openat2), or SB_NOARG */
};

#define N SB_NOARG
/* clang-format off */
static const struct sb_shape sb_shapes[] = {
#ifdef SYS_open
	{ SYS_open,       { 0, N }, { N, N }, N, 0, N, 0, N, N },
#endif
	{ SYS_openat,     { 1, N }, { 0, N }, N, 0, N, 0, N, N },
	{ SYS_openat2,    { 1, N }, { 0, N }, N, SB_IN_OPEN_HOW, 2, 0, N, 3 },
#ifdef SYS_creat
	{ SYS_creat,      { 0, N }, { N, N }, N, 0, N, 0, N, N },
#endif
#ifdef SYS_stat
	{ SYS_stat,       { 0, N }, { N, N }, N, 0, N, SB_OUT_STAT, 1, N },
	{ SYS_lstat,      { 0, N }, { N, N }, N, 0, N, SB_OUT_STAT, 1, N },
#endif
	{ SYS_newfstatat, { 1, N }, { 0, N }, N, 0, N, SB_OUT_STAT, 2, N },
	{ SYS_statx,      { 1, N }, { 0, N }, N, 0, N, SB_OUT_STATX, 4, N },
#ifdef SYS_access
	{ SYS_access,     { 0, N }, { N, N }, N, 0, N, 0, N, N },
#endif
	{ SYS_faccessat,  { 1, N }, { 0, N }, N, 0, N, 0, N, N },
	{ SYS_faccessat2, { 1, N }, { 0, N }, N, 0, N, 0, N, N },
#ifdef SYS_readlink
	{ SYS_readlink,   { 0, N }, { N, N }, N, 0, N, SB_OUT_READLINK, 1, 2 },
#endif
	{ SYS_readlinkat, { 1, N }, { 0, N }, N, 0, N, SB_OUT_READLINK, 2, 3 },
#ifdef SYS_mkdir
	{ SYS_mkdir,      { 0, N }, { N, N }, N, 0, N, 0, N, N },
#endif
	{ SYS_mkdirat,    { 1, N }, { 0, N }, N, 0, N, 0, N, N },
#ifdef SYS_unlink
	{ SYS_unlink,     { 0, N }, { N, N }, N, 0, N, 0, N, N },
	{ SYS_rmdir,      { 0, N }, { N, N }, N, 0, N, 0, N, N },
	{ SYS_rename,     { 0, 1 }, { N, N }, N, 0, N, 0, N, N },
	{ SYS_link,       { 0, 1 }, { N, N }, N, 0, N, 0, N, N },
	{ SYS_symlink,    { 1, N }, { N, N }, 0, 0, N, 0, N, N },
	{ SYS_chmod,      { 0, N }, { N, N }, N, 0, N, 0, N, N },
#endif
	{ SYS_unlinkat,   { 1, N }, { 0, N }, N, 0, N, 0, N, N },
#ifdef SYS_renameat
	{ SYS_renameat,   { 1, 3 }, { 0, 2 }, N, 0, N, 0, N, N },
#endif
	{ SYS_renameat2,  { 1, 3 }, { 0, 2 }, N, 0, N, 0, N, N },
	{ SYS_linkat,     { 1, 3 }, { 0, 2 }, N, 0, N, 0, N, N },
	{ SYS_symlinkat,  { 2, N }, { 1, N }, 0, 0, N, 0, N, N },
	{ SYS_fchmodat,   { 1, N }, { 0, N }, N, 0, N, 0, N, N },
	{ SYS_truncate,   { 0, N }, { N, N }, N, 0, N, 0, N, N },
	{ SYS_utimensat,  { 1, N }, { 0, N }, N, SB_IN_TIMES, 2, 0, N, N },
	{ SYS_execve,     { 0, N }, { N, N }, N, 0, N, 0, N, N },
	{ SYS_chdir,      { 0, N }, { N, N }, N, 0, N, 0, N, N },
	{ SYS_execveat,   { 1, N }, { 0, N }, N, 0, N, 0, N, N },
	{ SYS_connect,    { N, N }, { N, N }, N, SB_IN_SOCKADDR, 1, 0, N, 2 },
	{ SYS_bind,       { N, N }, { N, N }, N, SB_IN_SOCKADDR, 1, 0, N, 2 },
	{ SYS_sendto,     { N, N }, { N, N }, N, SB_IN_SENDTO, 4, 0, N, 5 },
	{ SYS_sendmsg,    { N, N }, { N, N }, N, SB_IN_MSGHDR, 1, 0, N, N },
	{ SYS_sendmmsg,   { N, N }, { N, N }, N, SB_IN_MMSGHDR, 1, 0, N, 2 },
	{ SYS_listen,     { N, N }, { N, N }, N, SB_IN_SOCKET, N, 0, N, N },
};
/* clang-format on */
#undef N

static inline bool sb_shape_is_net(const struct sb_shape *sh)
{
	return sh && sh->in_kind >= SB_IN_SOCKADDR;
}

static inline const struct sb_shape *sb_shape_lookup(long nr)
{
	for (size_t i = 0; i < sizeof(sb_shapes) / sizeof(sb_shapes[0]); i++)
		if (sb_shapes[i].nr == nr)
			return &sb_shapes[i];
	return NULL;
}
