/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers with no side effects beyond their arguments, shared by every part. */
#pragma once

#include <stddef.h>

/* Copy at most size-1 bytes and always terminate; returns strlen(src). */
size_t sb_strlcpy(char *dst, const char *src, size_t size);

/* asprintf() that returns the string, or NULL when out of memory. */
char *sb_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Read a whole regular file of at most max bytes. Returns 0 and a NUL-terminated buffer, or
 * -errno (-EFBIG when larger than max, -EISDIR for a directory, -EINVAL for other non-regular
 * files).
 */
int sb_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len);
