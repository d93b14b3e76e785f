/* async-signal-safe */
/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The handler's small helpers: byte copies, a raw syscall, the fatal exit. Static inline: they
 * are on the path of every brokered call, and the C library's versions may be instrumented or
 * not async-signal-safe. Every syscall made through raw() is listed in handler-syscalls.h.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void *sb_memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
}

static inline void sb_memzero(void *dst, size_t n)
{
	volatile uint8_t *d = dst;
	while (n--)
		*d++ = 0;
}

static inline size_t sb_strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

/* A syscall: its value or -errno (errno itself is the handler's to save). */
static inline long raw(long nr, long a, long b, long c, long d, long e, long f)
{
	long r = syscall(nr, a, b, c, d, e, f);
	return r < 0 ? -errno : r;
}

/* Say why on stderr, then end the process: the handler's fatal error. */
__attribute__((noreturn)) static inline void sb_die(const char *msg, size_t len)
{
	raw(SYS_write, 2, (long)msg, (long)len, 0, 0, 0);
	raw(SYS_exit_group, 127, 0, 0, 0, 0, 0);
	for (;;)
		;
}
#define DIE(s) sb_die(s, sizeof(s) - 1)
