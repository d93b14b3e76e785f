/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A preloaded library that wraps stat, as fakeroot's does: every size it reports is 4242. Under
 * `sysbroker run` it comes after the runtime in LD_PRELOAD, and a program must still see what
 * this library says, kernel grants or not (test-kgrants.sh).
 */
#undef _FILE_OFFSET_BITS /* both names are defined here */
#include <dlfcn.h>
#include <string.h>
#include <sys/stat.h>

static int fake(const char *name, const char *path, void *buf, off_t *size)
{
	void *p = dlsym(RTLD_NEXT, name);
	int (*next)(const char *, void *);
	memcpy(&next, &p, sizeof(next));
	int r = next ? next(path, buf) : -1;
	if (r == 0)
		*size = 4242;
	return r;
}

__attribute__((visibility("default"))) int stat(const char *path, struct stat *buf)
{
	return fake("stat", path, buf, &buf->st_size);
}

__attribute__((visibility("default"))) int stat64(const char *path, struct stat64 *buf)
{
	return fake("stat64", path, buf, (off_t *)&buf->st_size);
}
