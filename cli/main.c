/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sysbroker command: its usage, and the dispatch to check, run, reload and audit. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "config.h"
#include "macro.h"
#include "oci.h"
#include "registry.h"
#include "report.h"
#include "run.h"

void sb_usage(FILE *f)
{
	fputs("Usage: sysbroker [--help] [--version] COMMAND [ARGS...]\n"
	      "\n"
	      "A privilege-separated seccomp syscall broker.\n"
	      "\n"
	      "Commands:\n"
	      "  run -p POLICY [OPTIONS] [--] PROG [ARGS...]\n"
	      "                              run PROG under the policy; see 'sysbroker run "
	      "--help'\n"
	      "  audit [OPTIONS] [LOG...]    summarise audit logs; --suggest prints the policy\n"
	      "                              lines that would allow what was denied; see\n"
	      "                              'sysbroker audit --help'\n"
	      "  reload (--pid PID | --sandbox ID)\n"
	      "                              make a running broker read its policy again\n"
	      "  check [--explain] FILE...   validate policy files; with --explain, print the\n"
	      "                              compiled plan: the kernel's decision per syscall and\n"
	      "                              the path and network rules in the order they are "
	      "tried\n"
	      "  oci-seccomp POLICY [--listener-path PATH] [--listener-metadata STR]\n"
	      "                              print the linux.seccomp section of an OCI\n"
	      "                              config.json: the policy's kernel rules, and the\n"
	      "                              brokered calls as SCMP_ACT_NOTIFY for an agent\n"
	      "  import-seccomp PROFILE.json print a starting policy from a Docker/OCI seccomp\n"
	      "                              profile\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help                  show this help and exit\n"
	      "  -V, --version               show the version and exit\n"
	      "\n"
	      "Exit status of run: PROG's, or 124-127 for sysbroker's own failures (see run "
	      "--help).\n"
	      "Exit status of check: 0 when every file is valid, 1 when a file could not be read,\n"
	      "2 when a policy is invalid or the command line is wrong.\n"
	      "Exit status of audit and reload: 0 done, 1 a log could not be read or no such\n"
	      "broker, 2 the command line is wrong; reload: 3 the policy was refused, 4 no\n"
	      "answer (see reload --help).\n"
	      "See sysbroker(1) and sysbroker.policy(5).\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "check", sb_cmd_check },
		{ "run", sb_cmd_run },
		{ "reload", sb_cmd_reload },
		{ "audit", sb_cmd_audit },
		{ "oci-seccomp", sb_cmd_oci_seccomp },
		{ "import-seccomp", sb_cmd_import_seccomp },
	};
	struct cli_opts o;
	int c;

	cli_opts_init(&o, "+hV", (const char *const[]){ "help", "version" }, false);
	while ((c = cli_opts_next(&o, argc, argv)) != -1) {
		switch (c) {
		case 'h':
			sb_usage(stdout);
			return 0;
		case 'V':
			printf("sysbroker %s\n", SB_VERSION);
			return 0;
		default:
			return cli_try_help(NULL);
		}
	}
	if (optind >= argc)
		return cli_try_help("sysbroker: no command given\n");
	const char *cmd = argv[optind];
	for (size_t i = 0; i < ELEMENTSOF(cmds); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			return cmds[i].fn(argc - optind, argv + optind);
	if (strcmp(cmd, "help") == 0) {
		sb_usage(stdout);
		return 0;
	}
	fprintf(stderr, "sysbroker: unknown command '%s'\n", cmd);
	return cli_try_help(NULL);
}
