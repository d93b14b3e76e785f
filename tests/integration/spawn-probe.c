/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Path calls made where the SIGSYS handler cannot run by default: glibc's posix_spawn blocks
 * every signal and runs its file actions in a vfork child, and system() and popen() spawn the
 * same way. Each mode runs /bin/cat on FILE and prints what happened:
 *     spawn-probe addopen|addchdir|system|popen FILE
 * "spawn=E" is posix_spawn's own answer (0 or an errno name), "status=..." the child's end;
 * the contents of FILE go to stdout when it may be read.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void status(int st)
{
	if (WIFSIGNALED(st))
		printf("status=signal %d\n", WTERMSIG(st));
	else
		printf("status=exit %d\n", WEXITSTATUS(st));
}

static int spawn(const char *file, bool chdir_first)
{
	posix_spawn_file_actions_t fa;
	char dir[4096], name[4096];
	char *argv[] = { "cat", NULL };
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s", file);
	snprintf(name, sizeof(name), "%s", file);
	posix_spawn_file_actions_init(&fa);
	if (chdir_first) {
		posix_spawn_file_actions_addchdir_np(&fa, dirname(dir));
		posix_spawn_file_actions_addopen(&fa, 0, basename(name), O_RDONLY, 0);
	} else {
		posix_spawn_file_actions_addopen(&fa, 0, file, O_RDONLY, 0);
	}
	fflush(stdout);
	int e = posix_spawn(&pid, "/bin/cat", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	printf("spawn=%s\n", e ? strerrorname_np(e) : "0");
	if (e)
		return 0;
	int st;
	waitpid(pid, &st, 0);
	status(st);
	return 0;
}

int main(int argc, char **argv)
{
	char cmd[4200];

	if (argc != 3)
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(argv[1], "addopen") == 0 || strcmp(argv[1], "addchdir") == 0)
		return spawn(argv[2], strcmp(argv[1], "addchdir") == 0);
	snprintf(cmd, sizeof(cmd), "exec /bin/cat '%s'", argv[2]);
	if (strcmp(argv[1], "system") == 0) {
		status(system(cmd));
		return 0;
	}
	if (strcmp(argv[1], "popen") == 0) {
		char buf[256];
		FILE *f = popen(cmd, "r");
		if (!f) {
			printf("popen=%s\n", strerrorname_np(errno));
			return 0;
		}
		while (fgets(buf, sizeof(buf), f))
			fputs(buf, stdout);
		status(pclose(f));
		return 0;
	}
	return 2;
}
