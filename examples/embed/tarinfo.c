/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tarinfo: list the members of a tar archive, inside a sandbox it enters itself.
 *
 *     tarinfo [--log FILE] [--no-sandbox] ARCHIVE.tar
 *
 * It opens what it needs first (the archive, the log), then calls sb_sandbox_enter() with a
 * policy built from a string, and only then reads the archive: from there on the parser, which
 * handles hostile input, can open nothing but what the policy grants (the archive's directory,
 * read-only) and cannot reach the network.
 *
 * The parser has two weaknesses on purpose, to show what the sandbox stops:
 *   - for a symbolic link it opens the link's target on this machine to report its size (a
 *     classic bug of archive tools): a link to /etc/shadow makes it open /etc/shadow;
 *   - a member named SBDEMO-PHONE-HOME stands for code an attacker got to run in the parser:
 *     it connects to the HOST:PORT in the member's data.
 * Run it with --no-sandbox to see what they do without the sandbox.
 *
 * Build against the installed library:
 *     cc -o tarinfo tarinfo.c $(pkg-config --cflags --libs sysbroker)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_PATH */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sysbroker.h>

#define BLOCK 512

/* The policy, built around the archive's directory. */
static const char policy_fmt[] =
	"sysbroker-policy 1\n"
	"# tarinfo once its input is open: it reads, it writes to stdout, nothing more.\n"
	"default syscall deny errno ENOSYS\n"
	"default path deny errno EACCES\n"
	"default net deny errno EACCES\n"
	"allow @default-runtime\n"
	"# stdio asks whether stdout is a terminal; the answer 'no' is fine and not worth a log "
	"line\n"
	"deny ioctl errno ENOTTY nolog\n"
	"# a socket alone reaches nothing; tarinfo never talks to the network\n"
	"allow socket\n"
	"deny connect bind errno EACCES\n"
	"# link targets inside the archive's directory may be looked at\n"
	"path \"%s/**\" read stat\n"
	"path \"%s\" stat list\n";

struct header {
	char name[100], mode[8], uid[8], gid[8], size[12], mtime[12], chksum[8], typeflag,
		linkname[100], magic[6], version[2], uname[32], gname[32], devmajor[8], devminor[8],
		prefix[155], pad[12];
};

static unsigned long long octal(const char *p, size_t n)
{
	unsigned long long v = 0;
	for (size_t i = 0; i < n && p[i]; i++) {
		if (p[i] == ' ')
			continue;
		if (p[i] < '0' || p[i] > '7')
			break;
		v = v * 8 + (unsigned)(p[i] - '0');
	}
	return v;
}

static bool read_block(int fd, void *buf)
{
	size_t got = 0;
	while (got < BLOCK) {
		ssize_t n = read(fd, (char *)buf + got, BLOCK - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/* Weakness 1: the size of what a link points to, looked up on this machine. */
static void report_target(int dirfd, const char *target)
{
	struct stat st;
	int fd = openat(dirfd, target, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("  (target: %s)\n", strerror(errno));
		return;
	}
	if (fstat(fd, &st) == 0)
		printf("  (target: %lld bytes on this system)\n", (long long)st.st_size);
	close(fd);
}

/* Weakness 2: stands for an attacker's code that made it into the parser. */
static void phone_home(const char *data)
{
	char host[64];
	unsigned port;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	if (sscanf(data, "%63[^:]:%u", host, &port) != 2 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return;
	sa.sin_port = htons((uint16_t)port);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fprintf(stderr, "tarinfo: phoning home to %s:%u: %s\n", host, port,
			strerror(errno));
	else
		fprintf(stderr, "tarinfo: phoned home to %s:%u\n", host, port);
	if (s >= 0)
		close(s);
}

static int list(int fd, int dirfd)
{
	union {
		struct header h;
		char b[BLOCK];
	} u;
	int members = 0;

	while (read_block(fd, u.b)) {
		if (u.h.name[0] == 0)
			return members; /* the end-of-archive block */
		if (memcmp(u.h.magic, "ustar", 5) != 0) {
			fprintf(stderr, "tarinfo: not a ustar archive\n");
			return -1;
		}
		char name[256 + 2], link[101];
		unsigned long long size = octal(u.h.size, sizeof(u.h.size));
		if (u.h.prefix[0])
			snprintf(name, sizeof(name), "%.155s/%.100s", u.h.prefix, u.h.name);
		else
			snprintf(name, sizeof(name), "%.100s", u.h.name);
		snprintf(link, sizeof(link), "%.100s", u.h.linkname);
		char type = u.h.typeflag ? u.h.typeflag : '0';
		const char *kind = type == '0' || type == '7' ? "file"
				   : type == '5'              ? "dir"
				   : type == '2'              ? "symlink"
				   : type == '1'              ? "hardlink"
							      : "other";
		printf("%-8s %10llu  %s%s%s\n", kind, size, name, type == '2' ? " -> " : "",
		       type == '2' ? link : "");
		if (type == '2')
			report_target(dirfd, link);
		members++;

		/* The member's data: kept for the demo member, skipped otherwise. */
		char data[BLOCK + 1] = "";
		for (unsigned long long left = (size + BLOCK - 1) / BLOCK; left > 0; left--) {
			char b[BLOCK];
			if (!read_block(fd, b)) {
				fprintf(stderr, "tarinfo: truncated archive\n");
				return -1;
			}
			if (data[0] == 0 && size < BLOCK) {
				memcpy(data, b, size);
				data[size] = 0;
			}
		}
		if (strcmp(name, "SBDEMO-PHONE-HOME") == 0)
			phone_home(data);
	}
	return members;
}

int main(int argc, char **argv)
{
	const char *log = NULL, *archive = NULL;
	bool sandbox = true;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
			log = argv[++i];
		else if (strcmp(argv[i], "--no-sandbox") == 0)
			sandbox = false;
		else if (argv[i][0] != '-' && !archive)
			archive = argv[i];
		else {
			fprintf(stderr, "usage: tarinfo [--log FILE] [--no-sandbox] ARCHIVE.tar\n");
			return 2;
		}
	}
	if (!archive) {
		fprintf(stderr, "usage: tarinfo [--log FILE] [--no-sandbox] ARCHIVE.tar\n");
		return 2;
	}

	/* Everything the policy will not grant, opened first. */
	char dir[PATH_MAX], *slash;
	if (!realpath(archive, dir)) {
		fprintf(stderr, "tarinfo: %s: %s\n", archive, strerror(errno));
		return 1;
	}
	int fd = open(dir, O_RDONLY | O_CLOEXEC);
	slash = strrchr(dir, '/');
	*(slash == dir ? slash + 1 : slash) = 0;
	int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int logfd = log ? open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
	if (fd < 0 || dirfd < 0 || (log && logfd < 0)) {
		fprintf(stderr, "tarinfo: %s: %s\n",
			fd < 0 ? archive
			: log  ? log
			       : dir,
			strerror(errno));
		return 1;
	}

	if (sandbox) {
		char text[sizeof(policy_fmt) + 2 * PATH_MAX];
		struct sb_policy *policy = NULL;
		struct sb_policy_error err;
		struct sb_enter_opts opts;
		int n = snprintf(text, sizeof(text), policy_fmt, strcmp(dir, "/") ? dir : "", dir);
		int r = sb_policy_load_string(text, (size_t)n, "tarinfo-policy", &policy, &err);
		if (r < 0) {
			fprintf(stderr, "tarinfo: %s:%u:%u: %s\n", err.file, err.line, err.column,
				err.message);
			return 1;
		}
		memset(&opts, 0, sizeof(opts));
		opts.size = sizeof(opts);
		if (logfd >= 0) {
			opts.flags = SB_ENTER_LOG;
			opts.log_fd = logfd;
		}
		r = sb_sandbox_enter(policy, &opts);
		sb_policy_free(policy);
		if (r < 0) {
			fprintf(stderr, "tarinfo: cannot enter the sandbox: %s\n", strerror(-r));
			return 1;
		}
		/* The broker has its own copy; the parser must not be able to forge records. */
		if (logfd >= 0)
			close(logfd);
	}

	int members = list(fd, dirfd);
	if (members < 0)
		return 1;
	printf("%d members\n", members);
	return 0;
}
