/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The decoder's fuzz seeds (tests/fuzz/corpus/decode) must stay well-formed requests as the
 * protocol changes, or the fuzzer starts from nothing: every seed decodes, except the ones
 * named "channel" (a control-socket request, refused on a channel on purpose).
 *     check-decode-seeds SEED...
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "decode.h"

int main(int argc, char **argv)
{
	int fail = 0;
	printf("1..%d\n", argc - 1);
	for (int i = 1; i < argc; i++) {
		static _Alignas(8) uint8_t buf[SB_MAX_REQ + 1];
		struct sb_decoded out;
		FILE *f = fopen(argv[i], "rb");
		size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
		if (f)
			fclose(f);
		const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		int want_ok = strcmp(base, "channel") != 0;
		int r = n ? sb_decode_request(buf, n, SB_AUDIT_ARCH, &out) : -1;
		int good = want_ok ? r == 0 : r < 0;
		printf("%s %d - seed %s %s\n", good ? "ok" : "not ok", i, base,
		       want_ok ? "decodes" : "is refused");
		fail |= !good;
	}
	return fail;
}
