/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `sysbroker run`: PROG's environment, where PROG is found, and where the runtime is. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "program.h"
#include "run.h"

int env_set(char ***envp, size_t *n, const char *kv)
{
	size_t klen = (size_t)(strchr(kv, '=') - kv) + 1;
	for (size_t i = 0; i < *n; i++)
		if (strncmp((*envp)[i], kv, klen) == 0) {
			(*envp)[i] = (char *)kv;
			return 0;
		}
	char **v = realloc(*envp, (*n + 2) * sizeof(char *));
	if (!v)
		return -ENOMEM;
	v[(*n)++] = (char *)kv;
	v[*n] = NULL;
	*envp = v;
	return 0;
}

const char *env_get(char **envp, size_t n, const char *key)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], key, klen) == 0 && envp[i][klen] == '=')
			return envp[i] + klen + 1;
	return NULL;
}

/*
 * PROG as execvp(3) would find it, with the PATH PROG will see. Returns 0, or the exit status
 * to fail with (126 found but not executable, 127 not found).
 */
int find_program(const char *prog, const char *path, char *out, size_t size)
{
	struct stat st;
	int err = ENOENT;

	if (strchr(prog, '/')) {
		if (strlen(prog) >= size)
			return say("%s: %s", prog, strerror(ENAMETOOLONG)), EXIT_NOT_FOUND;
		strcpy(out, prog);
		if (stat(out, &st) < 0)
			return say("%s: %s", prog, strerror(errno)),
			       errno == ENOENT || errno == ENOTDIR ? EXIT_NOT_FOUND
								   : EXIT_CANNOT_EXEC;
		if (S_ISDIR(st.st_mode) || access(out, X_OK) < 0)
			return say("%s: %s", prog, strerror(S_ISDIR(st.st_mode) ? EISDIR : EACCES)),
			       EXIT_CANNOT_EXEC;
		return 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;; p++) {
		const char *colon = strchrnul(p, ':');
		int n = colon == p ? snprintf(out, size, "./%s", prog)
				   : snprintf(out, size, "%.*s/%s", (int)(colon - p), p, prog);
		if (n > 0 && (size_t)n < size && stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			err = EACCES;
		}
		if (!*colon)
			break;
		p = colon;
	}
	say("%s: %s", prog, err == ENOENT ? "command not found" : strerror(err));
	return err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}

char *preload_path(void)
{
	const char *env = getenv("SYSBROKER_PRELOAD");
	char exe[PATH_MAX], buf[PATH_MAX + 64];
	ssize_t n;

	if (env && *env)
		return realpath(env, NULL);
	/* Run from the build tree: cli/sysbroker next to sandboxee/. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			snprintf(buf, sizeof(buf), "%s/../sandboxee/%s", exe, PRELOAD_NAME);
			if (access(buf, R_OK) == 0)
				return realpath(buf, NULL);
		}
	}
	return realpath(SB_PRELOAD_DIR "/" PRELOAD_NAME, NULL);
}
