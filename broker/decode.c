/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "decode.h"

int sb_decode_request(const void *buf, size_t len, unsigned audit_arch, struct sb_decoded *out)
{
	const struct sb_req *req = buf;
	size_t total = sizeof(*req);

	memset(out, 0, sizeof(*out));
	if (len < sizeof(*req) || len > SB_MAX_REQ)
		return -EPROTO;
	if (req->magic != SB_PROTO_MAGIC_REQ || req->version != SB_PROTO_VERSION ||
	    (req->type != SB_REQ_SYSCALL && req->type != SB_REQ_SYSCALL_SLOT))
		return -EPROTO;
	if (req->arch != audit_arch)
		return -EAFNOSUPPORT;
	for (int i = 0; i < SB_ITEM_MAX; i++) {
		if (req->len[i] > SB_MAX_PAYLOAD)
			return -EPROTO;
		total += req->len[i];
	}
	if (total != len)
		return -EPROTO;

	const struct sb_shape *sh = sb_shape_lookup(req->nr);
	if (!sh) {
		/* A call the executor does not serve (a logged denial, say): no payload. */
		if (total != sizeof(*req))
			return -EPROTO;
		out->req = req;
		return 0;
	}

	if (sb_shape_is_net(sh)) {
		/*
		 * A network call: at most an address (IN) and the bytes sent (DATA), no string.
		 * Where they come from memory the broker cannot see over the trap (a msghdr), the
		 * items are optional; broker/net.c decides on them as they are.
		 */
		const char *p = (const char *)(req + 1);
		uint64_t a4 = sh->size_arg != SB_NOARG ? (uint32_t)req->args[sh->size_arg] : 0;
		if (req->len[SB_ITEM_PATH0] || req->len[SB_ITEM_PATH1] || req->len[SB_ITEM_STRING])
			return -EPROTO;
		if (req->len[SB_ITEM_IN] > SB_MAX_ADDR || req->len[SB_ITEM_DATA] > SB_MAX_DATA)
			return -EPROTO;
		switch (sh->in_kind) {
		case SB_IN_SOCKET:
			if (req->len[SB_ITEM_IN] || req->len[SB_ITEM_DATA])
				return -EPROTO;
			break;
		case SB_IN_SOCKADDR:
		case SB_IN_SENDTO:
			if (req->len[SB_ITEM_IN] && req->len[SB_ITEM_IN] != a4)
				return -EPROTO;
			if (sh->in_kind == SB_IN_SOCKADDR && req->len[SB_ITEM_DATA])
				return -EPROTO;
			if (sh->in_kind == SB_IN_SENDTO && req->len[SB_ITEM_DATA] != req->args[2])
				return -EPROTO;
			break;
		default:
			break;
		}
		for (int i = SB_ITEM_IN; i <= SB_ITEM_DATA; i++) {
			out->item[i] = req->len[i] ? p : NULL;
			out->item_len[i] = req->len[i];
			p += req->len[i];
		}
		out->req = req;
		out->shape = sh;
		return 0;
	}

	/* Each item is present exactly when the shape (and the arguments) call for it. */
	bool want[SB_ITEM_MAX] = {
		[SB_ITEM_PATH0] = !sb_shape_no_path(sh, 0, req->args),
		[SB_ITEM_PATH1] = !sb_shape_no_path(sh, 1, req->args),
		[SB_ITEM_STRING] = sh->string != SB_NOARG,
		[SB_ITEM_IN] = sh->in_kind != SB_IN_NONE && sh->in_kind != SB_IN_XATTR_VALUE &&
			       req->args[sh->in_arg] != 0,
	};
	const char *p = (const char *)(req + 1);
	for (int i = 0; i < SB_ITEM_MAX; i++) {
		size_t n = req->len[i];
		if (i == SB_ITEM_DATA) {
			/* A value set (setxattr): exactly the size its arguments say. */
			uint64_t addr;
			size_t vlen;
			if (sb_xattr_value(sh, req->args, out->item[SB_ITEM_IN],
					   out->item_len[SB_ITEM_IN], &addr, &vlen) < 0 ||
			    n != vlen)
				return -EPROTO;
			out->item[i] = n ? p : NULL;
			out->item_len[i] = n;
			p += n;
			continue;
		}
		if ((n != 0) != want[i])
			return -EPROTO;
		if (n == 0)
			continue;
		if (i != SB_ITEM_IN) {
			/* A string: NUL-terminated exactly at its end, no NUL inside, bounded. */
			if (n > PATH_MAX || p[n - 1] != 0 || strlen(p) != n - 1)
				return -EPROTO;
		} else {
			if (n != sb_shape_in_size(sh, req->args) || n > SB_MAX_IN ||
			    (sh->in_kind == SB_IN_XATTR_ARGS && n < SB_XATTR_ARGS_SIZE_VER0))
				return -EPROTO;
		}
		out->item[i] = p;
		out->item_len[i] = n;
		p += n;
	}
	out->req = req;
	out->shape = sh;
	return 0;
}
