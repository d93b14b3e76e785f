/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the broker's request decoder, which sees every byte a sandboxee sends on its
 * channel. The input is one message, as recvmsg would have returned it.
 */
#include <stdint.h>
#include <string.h>

#include "arch.h"
#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The broker receives into an aligned buffer of SB_MAX_REQ + 1 bytes. */
	static _Alignas(8) uint8_t buf[SB_MAX_REQ + 1];
	struct sb_decoded out;
	if (size > sizeof(buf))
		size = sizeof(buf);
	memcpy(buf, data, size);
	if (sb_decode_request(buf, size, SB_AUDIT_ARCH, &out) == 0) {
		/* Touch every item the decoder vouched for, as the executor will. */
		volatile uint8_t sink = 0;
		for (int i = 0; i < SB_ITEM_MAX; i++)
			for (size_t k = 0; out.item[i] && k < out.item_len[i]; k++)
				sink ^= (uint8_t)out.item[i][k];
		(void)sink;
	}
	return 0;
}
