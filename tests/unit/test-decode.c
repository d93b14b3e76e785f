/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The request decoder against well-formed, truncated, oversized and forged messages. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "arch.h"
#include "decode.h"

static uint8_t buf[SB_MAX_REQ + 64];

/* Build a request with the given items; returns its length. */
static size_t build(int nr, const char *p0, const char *p1, const char *str, const void *in,
		    size_t in_len)
{
	struct sb_req *r = (struct sb_req *)buf;
	const void *items[SB_ITEM_MAX] = { p0, p1, str, in };
	size_t lens[SB_ITEM_MAX] = { p0 ? strlen(p0) + 1 : 0, p1 ? strlen(p1) + 1 : 0,
				     str ? strlen(str) + 1 : 0, in_len };
	uint8_t *p = buf + sizeof(*r);

	memset(buf, 0, sizeof(buf));
	*r = (struct sb_req){ .magic = SB_PROTO_MAGIC_REQ,
			      .version = SB_PROTO_VERSION,
			      .type = SB_REQ_SYSCALL,
			      .arch = SB_AUDIT_ARCH,
			      .nr = nr,
			      .seq = 7 };
	for (int i = 0; i < SB_ITEM_MAX; i++) {
		r->len[i] = (uint32_t)lens[i];
		if (lens[i])
			memcpy(p, items[i], lens[i]);
		p += lens[i];
	}
	return (size_t)(p - buf);
}

static void test_good(void **state)
{
	struct sb_decoded d;
	size_t n = build(SYS_openat, "/etc/passwd", NULL, NULL, NULL, 0);
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), 0);
	assert_string_equal(d.item[SB_ITEM_PATH0], "/etc/passwd");
	assert_null(d.item[SB_ITEM_PATH1]);
	assert_int_equal(d.shape->nr, SYS_openat);

	n = build(SYS_renameat2, "a", "b", NULL, NULL, 0);
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), 0);
	assert_string_equal(d.item[SB_ITEM_PATH1], "b");

	n = build(SYS_symlinkat, "linkname", NULL, "target", NULL, 0);
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), 0);
	assert_string_equal(d.item[SB_ITEM_STRING], "target");

	/* utimensat with a NULL path has no path item; with times it has the in item. */
	uint8_t times[2 * sizeof(struct timespec)] = { 0 };
	n = build(SYS_utimensat, NULL, NULL, NULL, times, sizeof(times));
	struct sb_req *r = (struct sb_req *)buf;
	r->args[2] = 0x1000; /* non-NULL times pointer */
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), 0);

	uint8_t how[24] = { 0 };
	n = build(SYS_openat2, "x", NULL, NULL, how, sizeof(how));
	r->args[2] = 0x1000;
	r->args[3] = sizeof(how);
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), 0);
}

static void test_hostile(void **state)
{
	struct sb_decoded d;
	struct sb_req *r = (struct sb_req *)buf;
	size_t n;

	/* Truncated anywhere. */
	n = build(SYS_openat, "/etc/passwd", NULL, NULL, NULL, 0);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(sb_decode_request(buf, k, SB_AUDIT_ARCH, &d), -EPROTO);
	/* One byte too many. */
	assert_int_equal(sb_decode_request(buf, n + 1, SB_AUDIT_ARCH, &d), -EPROTO);
	/* Oversized. */
	assert_int_equal(sb_decode_request(buf, SB_MAX_REQ + 1, SB_AUDIT_ARCH, &d), -EPROTO);

	/* Wrong magic, version, type, arch, syscall. */
	n = build(SYS_openat, "/x", NULL, NULL, NULL, 0);
	r->magic ^= 1;
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), -EPROTO);
	n = build(SYS_openat, "/x", NULL, NULL, NULL, 0);
	r->version = 99;
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), -EPROTO);
	n = build(SYS_openat, "/x", NULL, NULL, NULL, 0);
	r->type = SB_REQ_CHANNEL;
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), -EPROTO);
	n = build(SYS_openat, "/x", NULL, NULL, NULL, 0);
	r->arch = AUDIT_ARCH_I386;
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), -EAFNOSUPPORT);
	n = build(SYS_getpid, NULL, NULL, NULL, NULL, 0);
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), 0);
	assert_null(d.shape);
	n = build(SYS_getpid, "/x", NULL, NULL, NULL, 0);
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), -EPROTO);

	/* A path missing, or an extra one. */
	n = build(SYS_openat, NULL, NULL, NULL, NULL, 0);
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), -EPROTO);
	n = build(SYS_openat, "/x", "/y", NULL, NULL, 0);
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), -EPROTO);

	/* A NUL inside the path (it would alias a shorter path), and no NUL at its end. */
	n = build(SYS_openat, "/etc/passwdXtail", NULL, NULL, NULL, 0);
	buf[sizeof(*r) + 11] = 0;
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), -EPROTO);
	n = build(SYS_openat, "/x", NULL, NULL, NULL, 0);
	buf[sizeof(*r) + 2] = 'y';
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), -EPROTO);

	/* Lengths that overflow when added up. */
	n = build(SYS_openat, "/x", NULL, NULL, NULL, 0);
	r->len[SB_ITEM_PATH1] = UINT32_MAX;
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), -EPROTO);

	/* An input struct of the wrong size. */
	uint8_t how[32] = { 0 };
	n = build(SYS_openat2, "x", NULL, NULL, how, 24);
	r->args[2] = 0x1000;
	r->args[3] = 32;
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), -EPROTO);

	/* Random garbage never decodes into anything but an error or a checked request. */
	unsigned seed = 1;
	for (int it = 0; it < 100000; it++) {
		size_t len = sizeof(*r) + (size_t)(seed % 64);
		for (size_t k = 0; k < len; k++) {
			seed = seed * 1103515245 + 12345;
			buf[k] = (uint8_t)(seed >> 16);
		}
		if (it % 2) {
			r->magic = SB_PROTO_MAGIC_REQ;
			r->version = SB_PROTO_VERSION;
			r->type = SB_REQ_SYSCALL;
			r->arch = SB_AUDIT_ARCH;
			r->nr = SYS_openat;
		}
		if (sb_decode_request(buf, len, SB_AUDIT_ARCH, &d) == 0 && d.shape)
			assert_true(d.item[SB_ITEM_PATH0] &&
				    strlen(d.item[SB_ITEM_PATH0]) + 1 == d.item_len[SB_ITEM_PATH0]);
	}
}

/* Append a DATA item (the last one) to the request of n bytes built above. */
static size_t add_data(size_t n, const void *data, size_t len)
{
	memcpy(buf + n, data, len);
	((struct sb_req *)buf)->len[SB_ITEM_DATA] = (uint32_t)len;
	return n + len;
}

/* A value set travels as the DATA item, exactly as long as the arguments say. */
static void test_xattr(void **state)
{
	struct sb_decoded d;
	struct sb_req *r = (struct sb_req *)buf;
	size_t n = build(SYS_setxattr, "/f", NULL, "user.k", NULL, 0);

	r->args[2] = 0x1000;
	r->args[3] = 3;
	assert_int_equal(sb_decode_request(buf, add_data(n, "val", 3), SB_AUDIT_ARCH, &d), 0);
	assert_memory_equal(d.item[SB_ITEM_DATA], "val", 3);
	assert_int_equal(d.item_len[SB_ITEM_DATA], 3);
	/* Shorter, longer, absent, or over SB_MAX_XATTR: refused. */
	n = build(SYS_setxattr, "/f", NULL, "user.k", NULL, 0);
	r->args[2] = 0x1000;
	r->args[3] = 4;
	assert_int_equal(sb_decode_request(buf, add_data(n, "val", 3), SB_AUDIT_ARCH, &d), -EPROTO);
	n = build(SYS_setxattr, "/f", NULL, "user.k", NULL, 0);
	r->args[2] = 0x1000;
	r->args[3] = 2;
	assert_int_equal(sb_decode_request(buf, add_data(n, "val", 3), SB_AUDIT_ARCH, &d), -EPROTO);
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), -EPROTO);
	static uint8_t big[SB_MAX_XATTR + 1];
	r->args[3] = sizeof(big);
	assert_int_equal(sb_decode_request(buf, add_data(n, big, sizeof(big)), SB_AUDIT_ARCH, &d),
			 -EPROTO);
	/* A get carries no value; a name is a string item. */
	n = build(SYS_getxattr, "/f", NULL, "user.k", NULL, 0);
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), 0);
	assert_int_equal(sb_decode_request(buf, add_data(n, "v", 1), SB_AUDIT_ARCH, &d), -EPROTO);
	n = build(SYS_getxattr, "/f", NULL, NULL, NULL, 0);
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), -EPROTO);

	/* setxattrat: the struct as the IN item (16..64 bytes), its value as DATA. */
	struct sb_xattr_args xa = { .value = 0x2000, .size = 2 };
	n = build(SYS_setxattrat, "f", NULL, "user.k", &xa, sizeof(xa));
	r->args[1] = 0x3000; /* a path; NULL would act on the dirfd */
	r->args[4] = 0x1000;
	r->args[5] = sizeof(xa);
	assert_int_equal(sb_decode_request(buf, add_data(n, "at", 2), SB_AUDIT_ARCH, &d), 0);
	assert_int_equal(sb_decode_request(buf, add_data(n, "a", 1), SB_AUDIT_ARCH, &d), -EPROTO);
	n = build(SYS_getxattrat, "f", NULL, "user.k", &xa, 8);
	r->args[1] = 0x3000;
	r->args[4] = 0x1000;
	r->args[5] = 8;
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), -EPROTO);
	/* A NULL path acts on the dirfd: no path item. */
	n = build(SYS_getxattrat, NULL, NULL, "user.k", &xa, sizeof(xa));
	r->args[4] = 0x1000;
	r->args[5] = sizeof(xa);
	assert_int_equal(sb_decode_request(buf, n, SB_AUDIT_ARCH, &d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_xattr),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
