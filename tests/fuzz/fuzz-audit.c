/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: any bytes as an audit log, through every report of `sysbroker audit`. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sb_audit_opts modes[] = {
		{ .pid = -1 },
		{ .pid = -1, .json = true },
		{ .pid = -1, .suggest = true },
		{ .pid = 7,
		  .syscall = "openat",
		  .since = "2024-01-01T00:00:00.000Z",
		  .decisions = 0x7f },
	};
	if (size == 0)
		return 0;
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		FILE *in = fmemopen((void *)data, size, "r");
		FILE *sink = fopen("/dev/null", "w");
		struct sb_audit *a = NULL;
		if (in && sink && sb_audit_new(&modes[m], &a) == 0) {
			sb_audit_feed(a, in, "fuzz", sink);
			sb_audit_report(a, sink);
		}
		sb_audit_free(a);
		if (in)
			fclose(in);
		if (sink)
			fclose(sink);
	}
	return 0;
}
