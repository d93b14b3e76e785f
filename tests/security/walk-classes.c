/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The syscall table's view of every number below SB_NR_LIMIT, for the walk (test-walk.sh):
 *
 *   NR CLASS NAME      (CLASS: unknown, path-free, brokered, refused; NAME "-" if none)
 *   highest NR         (the highest number the table classifies)
 */
#include <stdio.h>

#include "syscalls.h"

int main(void)
{
	static const char *const names[] = {
		[SB_CLASS_UNKNOWN] = "unknown",
		[SB_CLASS_PATH_FREE] = "path-free",
		[SB_CLASS_BROKERED] = "brokered",
		[SB_CLASS_REFUSED] = "refused",
	};
	int highest = -1;
	for (int nr = 0; nr < SB_NR_LIMIT; nr++) {
		enum sb_syscall_class c = sb_syscall_class(nr);
		const char *name = sb_syscall_name(nr);
		if (c != SB_CLASS_UNKNOWN)
			highest = nr;
		printf("%d %s %s\n", nr, names[c], name ? name : "-");
	}
	printf("highest %d\n", highest);
	return 0;
}
