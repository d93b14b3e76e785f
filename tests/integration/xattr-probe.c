/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The extended attribute and watch calls, one per run, for the tests: built dynamically linked
 * (the preloaded runtime traps them) and static (notify). Prints "ok RET [VALUE]" or the errno's
 * name; exits 0 either way (2 on a usage error).
 *     xattr-probe get|lget|get0|get1 PATH NAME      list|llist|list0 PATH
 *     xattr-probe set|lset|create PATH NAME VALUE   remove|lremove PATH NAME
 *     xattr-probe getat|setat|listat|removeat PATH [NAME [VALUE]] (AT_FDCWD, AT_SYMLINK_NOFOLLOW
 *                 when XATTR_PROBE_NOFOLLOW is set)
 *     xattr-probe inotify|inotify-nofollow|inotify-notfd PATH
 *     xattr-probe fanotify|fanotify-mount|fanotify-fs PATH
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

struct xattr_args_v0 {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

static char buf[8192];

static int report(long r, int show)
{
	if (r < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 0;
	}
	if (show)
		printf("ok %ld %.*s\n", r, (int)r, buf);
	else
		printf("ok %ld\n", r);
	return 0;
}

/* A list's NUL-separated names, printed with commas. */
static int report_list(long r)
{
	for (long i = 0; r > 0 && i < r; i++)
		if (buf[i] == 0)
			buf[i] = ',';
	return report(r, 1);
}

static int at_calls(const char *op, int argc, char **argv)
{
	unsigned fl = getenv("XATTR_PROBE_NOFOLLOW") ? AT_SYMLINK_NOFOLLOW : 0;
	struct xattr_args_v0 xa = { .value = (uintptr_t)buf, .size = sizeof(buf) };
	const char *path = argv[2];

	if (!strcmp(op, "getat") && argc == 4)
		return report(syscall(464, AT_FDCWD, path, fl, argv[3], &xa, sizeof(xa)), 1);
	if (!strcmp(op, "listat"))
		return report_list(syscall(465, AT_FDCWD, path, fl, buf, sizeof(buf)));
	if (!strcmp(op, "removeat") && argc == 4)
		return report(syscall(466, AT_FDCWD, path, fl, argv[3]), 0);
	if (!strcmp(op, "setat") && argc == 5) {
		xa.value = (uintptr_t)argv[4];
		xa.size = (uint32_t)strlen(argv[4]);
		return report(syscall(463, AT_FDCWD, path, fl, argv[3], &xa, sizeof(xa)), 0);
	}
	return 2;
}

static int watches(const char *op, const char *path)
{
	if (!strncmp(op, "inotify", 7)) {
		int fd = !strcmp(op, "inotify-notfd") ? 1 : inotify_init1(IN_CLOEXEC);
		uint32_t mask = IN_CREATE | (!strcmp(op, "inotify-nofollow") ? IN_DONT_FOLLOW : 0);
		if (fd < 0)
			return report(fd, 0);
		return report(inotify_add_watch(fd, path, mask), 0);
	}
	int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_REPORT_FID, O_RDONLY);
	if (fd < 0) {
		printf("init %s\n", strerrorname_np(errno));
		return 0;
	}
	unsigned fl = FAN_MARK_ADD;
	if (!strcmp(op, "fanotify-mount"))
		fl |= FAN_MARK_MOUNT;
	else if (!strcmp(op, "fanotify-fs"))
		fl |= FAN_MARK_FILESYSTEM;
	return report(fanotify_mark(fd, fl, FAN_OPEN, AT_FDCWD, path), 0);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	const char *op = argv[1], *path = argv[2], *name = argc > 3 ? argv[3] : "";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(op, "get"))
		return report(getxattr(path, name, buf, sizeof(buf)), 1);
	if (!strcmp(op, "lget"))
		return report(lgetxattr(path, name, buf, sizeof(buf)), 1);
	if (!strcmp(op, "get0"))
		return report(getxattr(path, name, NULL, 0), 0);
	if (!strcmp(op, "get1"))
		return report(getxattr(path, name, buf, 1), 0);
	if (!strcmp(op, "list"))
		return report_list(listxattr(path, buf, sizeof(buf)));
	if (!strcmp(op, "llist"))
		return report_list(llistxattr(path, buf, sizeof(buf)));
	if (!strcmp(op, "list0"))
		return report(listxattr(path, NULL, 0), 0);
	if (!strcmp(op, "remove"))
		return report(removexattr(path, name), 0);
	if (!strcmp(op, "lremove"))
		return report(lremovexattr(path, name), 0);
	if ((!strcmp(op, "set") || !strcmp(op, "lset") || !strcmp(op, "create")) && argc == 5) {
		int fl = !strcmp(op, "create") ? XATTR_CREATE : 0;
		size_t n = strlen(argv[4]);
		return report(op[0] == 'l' ? lsetxattr(path, name, argv[4], n, fl)
					   : setxattr(path, name, argv[4], n, fl),
			      0);
	}
	if (strstr(op, "at"))
		return at_calls(op, argc, argv);
	if (strstr(op, "notify"))
		return watches(op, path);
	return 2;
}
