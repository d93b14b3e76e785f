/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The registry of running sandboxes (RUNDIR/ID) and `sysbroker reload`, which finds a broker
 * through it (or by pid) and sends it the reload signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "macro.h"
#include "proc.h"
#include "registry.h"

int sb_registry_dir(char *buf, size_t size, bool create)
{
	const char *env = getenv("SYSBROKER_RUNDIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (env && *env)
		snprintf(buf, size, "%s", env);
	else if (geteuid() == 0)
		snprintf(buf, size, "/run/sysbroker");
	else if (xdg && *xdg == '/')
		snprintf(buf, size, "%s/sysbroker", xdg);
	else
		snprintf(buf, size, "/tmp/sysbroker-%u", (unsigned)geteuid());
	if (create && mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	/* Ours alone: a directory (not a symlink) that we own, not writable by others. */
	struct stat st;
	if (lstat(buf, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM;
	return 0;
}

unsigned long long sb_process_start_time(pid_t pid)
{
	char buf[1024];
	if (sb_proc_read(pid, "stat", buf, sizeof(buf)) <= 0)
		return 0;
	/* Field 22; the fields after comm's last ')' start with field 3. */
	char *p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/*
 * RUNDIR/ID holds "PID STARTTIME": enough for `reload --sandbox` to find this process and to
 * tell it from a later process with the same pid. Best effort: without it, --pid still works.
 */
void registry_add(const char *id, char *path, size_t size)
{
	char dir[PATH_MAX], line[64];
	path[0] = 0;
	if (sb_registry_dir(dir, sizeof(dir), true) < 0)
		return;
	if ((size_t)snprintf(path, size, "%.*s/%s", (int)(size - SB_SANDBOX_ID_LEN - 2), dir, id) >=
	    size)
		return;
	_cleanup_close_ int fd =
		open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int n = snprintf(line, sizeof(line), "%d %llu\n", (int)getpid(),
			 sb_process_start_time(getpid()));
	if (fd < 0 || write(fd, line, (size_t)n) != n) {
		if (fd >= 0)
			unlink(path);
		path[0] = 0;
	}
}

static void reload_usage(FILE *f)
{
	fputs("Usage: sysbroker reload (--pid PID | --sandbox ID)\n"
	      "\n"
	      "Make the broker of a running 'sysbroker run' read its policy files again.\n"
	      "\n"
	      "  -p, --pid PID         the broker's pid (the 'sysbroker run' process)\n"
	      "  -s, --sandbox ID      the sandbox id of its audit records (SYSBROKER_SANDBOX)\n"
	      "  -h, --help            show this help and exit\n"
	      "\n"
	      "The outcome is in the audit log: a \"reload\" or a \"reload-error\" record.\n"
	      "Exit status: 0 the broker was asked; 1 no such broker; 2 bad command line.\n",
	      f);
}

/* Whether pid is a sysbroker process (its comm), started at start (0: any). */
static bool is_broker(pid_t pid, unsigned long long start)
{
	char comm[32];
	if (sb_proc_read(pid, "comm", comm, sizeof(comm)) <= 0)
		return false;
	comm[strcspn(comm, "\n")] = 0;
	if (strcmp(comm, "sysbroker") != 0)
		return false;
	return start == 0 || sb_process_start_time(pid) == start;
}

/* The broker registered as sandbox id: *pid and *start. Returns 0, or the exit status. */
static int find_sandbox(const char *id, pid_t *pid, unsigned long long *start)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], line[64];
	bool hex = strlen(id) == SB_SANDBOX_ID_LEN;
	for (const char *k = id; hex && *k; k++)
		hex = (*k >= '0' && *k <= '9') || (*k >= 'a' && *k <= 'f');
	if (!hex) {
		fprintf(stderr, "sysbroker reload: not a sandbox id: '%s' (16 hex digits)\n", id);
		return EXIT_USAGE;
	}
	int r = sb_registry_dir(dir, sizeof(dir), false);
	snprintf(path, sizeof(path), "%s/%s", dir, id);
	_cleanup_close_ int fd = r < 0 ? -1 : open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, line, sizeof(line) - 1) : -1;
	int p = 0;
	if (n > 0) {
		line[n] = 0;
		if (sscanf(line, "%d %llu", &p, start) != 2)
			p = 0;
	}
	if (p <= 0 || *start == 0) {
		fprintf(stderr, "sysbroker reload: no sandbox %s\n", id);
		return 1;
	}
	*pid = p;
	return 0;
}

int sb_cmd_reload(int argc, char **argv)
{
	struct cli_opts opts;
	const char *pid_s = NULL, *id = NULL;
	int c;

	cli_opts_init(&opts, "+p:s:h", (const char *const[]){ "pid", "sandbox", "help" }, true);
	while ((c = cli_opts_next(&opts, argc, argv)) != -1) {
		if (c == 'p') {
			pid_s = optarg;
		} else if (c == 's') {
			id = optarg;
		} else if (c == 'h') {
			reload_usage(stdout);
			return 0;
		} else {
			cli_bad_option("reload", c, argv);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || !pid_s == !id) {
		fprintf(stderr, "sysbroker reload: give exactly one of --pid and --sandbox\n"
				"Try 'sysbroker reload --help'.\n");
		return EXIT_USAGE;
	}
	pid_t pid = 0;
	unsigned long long start = 0;
	if (pid_s) {
		long v;
		if (cli_parse_long(pid_s, 1, INT32_MAX, &v) < 0) {
			fprintf(stderr, "sysbroker reload: not a pid: '%s'\n", pid_s);
			return EXIT_USAGE;
		}
		pid = (pid_t)v;
	} else {
		int ret = find_sandbox(id, &pid, &start);
		if (ret != 0)
			return ret;
	}
	if (!is_broker(pid, start)) {
		fprintf(stderr, "sysbroker reload: %d is not a running sysbroker%s\n", (int)pid,
			id ? " (the sandbox has ended)" : "");
		return 1;
	}
	if (kill(pid, SB_RELOAD_SIGNAL) < 0) {
		fprintf(stderr, "sysbroker reload: %d: %s\n", (int)pid, strerror(errno));
		return 1;
	}
	return 0;
}
