/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sysbroker command: its usage, and the dispatch to check, run, reload and audit. */
#include <stdio.h>
#include <string.h>

#include "agent.h"
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
	      "  reload (-P PID | -I ID)     make a running broker read its policy again\n"
	      "  check [-E] [--strict] FILE...\n"
	      "                              validate policy files and warn about likely\n"
	      "                              mistakes; with -E (--explain), print the compiled\n"
	      "                              plan\n"
	      "  agent --listen SOCKET [--policy-dir DIR] [--log FILE|-]\n"
	      "                              serve the seccomp listeners an OCI runtime sends\n"
	      "                              for its containers; see 'sysbroker agent --help'\n"
	      "  oci-seccomp POLICY [--listener-path PATH] [--listener-metadata STR]\n"
	      "                              print the linux.seccomp section of an OCI\n"
	      "                              config.json: the policy's kernel rules, and the\n"
	      "                              brokered calls as SCMP_ACT_NOTIFY for an agent\n"
	      "  import-seccomp PROFILE.json print a starting policy from a Docker/OCI seccomp\n"
	      "                              profile\n"
	      "\n"
	      "A short option means the same in every command (-p policy, -P pid, -I sandbox id,\n"
	      "-E explain, -e env, -s suggest, -S since); 'sysbroker COMMAND --help' lists a\n"
	      "command's options, as does 'sysbroker help COMMAND'.\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help                  show this help and exit\n"
	      "  -V, --version               show the version and exit\n"
	      "\n"
	      "Exit status of run: PROG's, or 124-127 for sysbroker's own failures (see run "
	      "--help).\n"
	      "Exit status of check: 0 when every file is valid, 1 when a file could not be read\n"
	      "(or --strict and a warning), 2 when a policy is invalid.\n"
	      "Exit status of audit and reload: 0 done, 1 a log could not be read or no such\n"
	      "broker; reload: 3 the policy was refused, 4 no answer (see reload --help).\n"
	      "A wrong command line exits with 2 (run: 125, as its own failures do).\n"
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
		{ "agent", sb_cmd_agent },
		{ "oci-seccomp", sb_cmd_oci_seccomp },
		{ "import-seccomp", sb_cmd_import_seccomp },
	};
	struct cli_opts o;
	int c;

	cli_opts_init(&o, NULL, (const char *const[]){ "help", "version", NULL });
	while ((c = cli_opts_next(&o, argc, argv)) != -1) {
		switch (c) {
		case 'h':
			sb_usage(stdout);
			return 0;
		case 'V':
			printf("sysbroker %s\n", SB_VERSION);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_try_help("sysbroker: no command given\n");
	const char *cmd = argv[optind];
	for (size_t i = 0; i < ELEMENTSOF(cmds); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			return cmds[i].fn(argc - optind, argv + optind);
	if (strcmp(cmd, "help") == 0) {
		/* help COMMAND: that command's --help. */
		for (size_t i = 0; optind + 1 < argc && i < ELEMENTSOF(cmds); i++)
			if (strcmp(argv[optind + 1], cmds[i].name) == 0)
				return cmds[i].fn(2,
						  (char *[]){ argv[optind + 1], "--help", NULL });
		sb_usage(stdout);
		return 0;
	}
	fprintf(stderr, "sysbroker: unknown command '%s'\n", cmd);
	return cli_try_help(NULL);
}
