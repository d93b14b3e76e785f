/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `sysbroker oci-seccomp`: the policy's kernel plan (compile.c, the one the filters of `run` are
 * built from, built-in denials included) as the `linux.seccomp` section of an OCI runtime's
 * config.json, with what the broker decides as SCMP_ACT_NOTIFY for the agent behind
 * listenerPath. A runtime loads one filter from it, so what `run` splits over a guard filter,
 * and what it sends to the broker by a BPF prefix (numbers its table does not know, setsockopt's
 * route options), is said here with the names and actions the JSON has: see sysbroker(1).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compile.h"
#include "macro.h"
#include "oci.h"
#include "policy.h"

#define DEFAULT_LISTENER "/run/sysbroker/agent.sock"

#if defined(__x86_64__)
#define OCI_ARCH "SCMP_ARCH_X86_64"
#elif defined(__aarch64__)
#define OCI_ARCH "SCMP_ARCH_AARCH64"
#else
#error "no OCI architecture name for this architecture"
#endif

struct oci {
	const struct sb_plan *plan;
	struct sb_kdecision def; /* the JSON's defaultAction: never the broker */
	bool def_broker;         /* the plan's default is the broker's, which JSON cannot say */
	json_object *syscalls;
	json_object *uncond; /* action key -> entry of unconditional names */
	const char *policy;
};

static const char *action_name(struct sb_kdecision d)
{
	switch (d.action) {
	case SB_K_ALLOW:
		return "SCMP_ACT_ALLOW";
	case SB_K_ERRNO:
		return "SCMP_ACT_ERRNO";
	case SB_K_KILL:
		return "SCMP_ACT_KILL_PROCESS";
	case SB_K_BROKER:
		return "SCMP_ACT_NOTIFY";
	}
	return "SCMP_ACT_KILL_PROCESS";
}

static const char *op_name(enum scmp_compare op)
{
	static const char *const names[] = {
		[SCMP_CMP_NE] = "SCMP_CMP_NE",
		[SCMP_CMP_LT] = "SCMP_CMP_LT",
		[SCMP_CMP_LE] = "SCMP_CMP_LE",
		[SCMP_CMP_EQ] = "SCMP_CMP_EQ",
		[SCMP_CMP_GE] = "SCMP_CMP_GE",
		[SCMP_CMP_GT] = "SCMP_CMP_GT",
		[SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
	};
	return (size_t)op < ELEMENTSOF(names) && names[op] ? names[op] : "SCMP_CMP_EQ";
}

/* What the kernel does without the broker: a logged denial unlogged, a logged allow unlogged. */
static struct sb_kdecision without_broker(struct sb_kdecision d)
{
	if (d.action != SB_K_BROKER)
		return d;
	return d.err ? (struct sb_kdecision){ SB_K_ERRNO, d.err }
		     : (struct sb_kdecision){ SB_K_ALLOW, 0 };
}

static bool kd_same(struct sb_kdecision a, struct sb_kdecision b)
{
	return a.action == b.action && (a.action != SB_K_ERRNO || a.err == b.err);
}

static json_object *new_entry(struct sb_kdecision d)
{
	json_object *e = json_object_new_object();
	json_object_object_add(e, "names", json_object_new_array());
	json_object_object_add(e, "action", json_object_new_string(action_name(d)));
	if (d.action == SB_K_ERRNO)
		json_object_object_add(e, "errnoRet", json_object_new_int(d.err));
	return e;
}

/* An unconditional decision: the name joins the entry of its action. */
static void add_uncond(struct oci *o, const char *name, struct sb_kdecision d)
{
	char key[32];
	if (kd_same(d, o->def))
		return;
	snprintf(key, sizeof(key), "%d/%d", (int)d.action, d.action == SB_K_ERRNO ? d.err : 0);
	json_object *e;
	if (!json_object_object_get_ex(o->uncond, key, &e)) {
		e = new_entry(d);
		json_object_object_add(o->uncond, key, e);
		json_object_array_add(o->syscalls, json_object_get(e));
	}
	json_object_object_get_ex(e, "names", &e);
	json_object_array_add(e, json_object_new_string(name));
}

static void add_cond(struct oci *o, const char *name, const struct sb_krule *k,
		     struct sb_kdecision d)
{
	json_object *e = new_entry(d), *names, *args = json_object_new_array();
	json_object_object_get_ex(e, "names", &names);
	json_object_array_add(names, json_object_new_string(name));
	for (unsigned i = 0; i < k->ncmp; i++) {
		json_object *a = json_object_new_object();
		json_object_object_add(a, "index", json_object_new_int((int)k->cmp[i].arg));
		json_object_object_add(a, "value", json_object_new_uint64(k->cmp[i].datum_a));
		json_object_object_add(a, "valueTwo", json_object_new_uint64(k->cmp[i].datum_b));
		json_object_object_add(a, "op", json_object_new_string(op_name(k->cmp[i].op)));
		json_object_array_add(args, a);
	}
	json_object_object_add(e, "args", args);
	json_object_array_add(o->syscalls, e);
}

static const struct sb_plan_sys *plan_of(const struct sb_plan *plan, int nr)
{
	for (size_t i = 0; i < plan->nsys; i++)
		if (plan->sys[i].nr == nr)
			return &plan->sys[i];
	return NULL;
}

/* Does the main filter's share of nr cover every call, with nothing left to the default? */
static bool needs_whole_notify(const struct oci *o, const struct sb_plan_sys *ps, size_t nmain)
{
	if (ps && ps->how == SB_PLAN_GUARD)
		return true; /* one filter cannot say "the stricter of two" */
	if (!o->def_broker)
		return false;
	/* What the main filter leaves to the default is the broker's. */
	return nmain == 0 || (ps && ps->how == SB_PLAN_COND);
}

/*
 * write(2): runtimes refuse SCMP_ACT_NOTIFY for it (they write to their own sync pipes under
 * the filter). Its decision without the broker, said on stderr when that loses something.
 */
static void add_write(struct oci *o, int nr, const struct sb_plan_sys *ps, size_t nmain)
{
	struct sb_kdecision d = ps ? ps->fallback : o->plan->def, k = without_broker(d);
	if (d.action == SB_K_BROKER || nmain > 1 || (ps && ps->how != SB_PLAN_SIMPLE))
		fprintf(stderr,
			"sysbroker oci-seccomp: %s: a runtime cannot hand write(2) to an agent: "
			"the kernel decides it (%s%s), unlogged and without its conditions\n",
			o->policy,
			k.action == SB_K_ALLOW  ? "allow"
			: k.action == SB_K_KILL ? "kill"
						: "errno ",
			k.action == SB_K_ERRNO ? sb_errno_name(k.err) : "");
	add_uncond(o, sb_syscall_name(nr), k);
}

static void add_syscall(struct oci *o, int nr)
{
	const char *name = sb_syscall_name(nr);
	const struct sb_plan_sys *ps = plan_of(o->plan, nr);
	size_t nmain = 0;
	for (size_t i = 0; i < o->plan->nmain; i++)
		nmain += o->plan->main[i].nr == nr;
	if (strcmp(name, "write") == 0) {
		add_write(o, nr, ps, nmain);
		return;
	}
	/* setsockopt's route options go to the broker, which refuses them (compile.c's prefix). */
	size_t nroute = 0;
	bool route = strcmp(name, "setsockopt") == 0 && sb_route_options(&nroute) && nroute;
	if (route || needs_whole_notify(o, ps, nmain)) {
		add_uncond(o, name, (struct sb_kdecision){ SB_K_BROKER, 0 });
		return;
	}
	for (size_t i = 0; i < o->plan->nmain; i++) {
		const struct sb_krule *k = &o->plan->main[i];
		if (k->nr != nr)
			continue;
		if (k->ncmp == 0)
			add_uncond(o, name, k->d);
		else
			add_cond(o, name, k, k->d);
	}
}

static json_object *build(const char *policy, const struct sb_plan *plan, const char *listener,
			  const char *metadata)
{
	struct oci o = {
		.plan = plan,
		.def = without_broker(plan->def),
		.def_broker = plan->def.action == SB_K_BROKER,
		.syscalls = json_object_new_array(),
		.uncond = json_object_new_object(),
		.policy = policy,
	};
	for (int nr = 0; nr < SB_NR_LIMIT; nr++)
		if (sb_syscall_class(nr) != SB_CLASS_UNKNOWN && sb_syscall_name(nr))
			add_syscall(&o, nr);
	json_object_put(o.uncond);

	json_object *s = json_object_new_object();
	json_object_object_add(s, "defaultAction", json_object_new_string(action_name(o.def)));
	if (o.def.action == SB_K_ERRNO)
		json_object_object_add(s, "defaultErrnoRet", json_object_new_int(o.def.err));
	json_object *arches = json_object_new_array();
	json_object_array_add(arches, json_object_new_string(OCI_ARCH));
	json_object_object_add(s, "architectures", arches);
	json_object_object_add(s, "listenerPath", json_object_new_string(listener));
	if (metadata)
		json_object_object_add(s, "listenerMetadata", json_object_new_string(metadata));
	json_object_object_add(s, "syscalls", o.syscalls);
	return s;
}

static void usage(FILE *f)
{
	fputs("Usage: sysbroker oci-seccomp POLICY [--listener-path PATH] [--listener-metadata "
	      "STR]\n"
	      "\n"
	      "Print the linux.seccomp section of an OCI runtime's config.json for POLICY: its\n"
	      "kernel rules, the built-in denials, and every call the broker decides as\n"
	      "SCMP_ACT_NOTIFY for the seccomp agent listening on PATH.\n"
	      "\n"
	      "      --listener-path PATH      the agent's socket (default " DEFAULT_LISTENER ")\n"
	      "      --listener-metadata STR   passed to the agent with each container\n"
	      "  -h, --help                    show this help and exit\n"
	      "\n"
	      "Exit status: 0 done, 1 the output could not be written, 2 the policy is invalid\n"
	      "or the command line is wrong. See sysbroker(1).\n",
	      f);
}

/* "sysbroker oci-seccomp: MSG" and the help hint. Returns EXIT_USAGE. */
static int usage_error(const char *msg)
{
	fprintf(stderr, "sysbroker oci-seccomp: %s\n", msg);
	cli_usage_hint("oci-seccomp");
	return EXIT_USAGE;
}

int sb_cmd_oci_seccomp(int argc, char **argv)
{
	const char *listener = DEFAULT_LISTENER, *metadata = NULL, *file = NULL;
	struct cli_opts o;
	int c;

	cli_opts_init(&o, "oci-seccomp",
		      (const char *const[]){ "listener-path", "listener-metadata", "help", NULL });
	/* The policy may come before the options too, as the synopsis writes it. */
	for (;;) {
		while ((c = cli_opts_next(&o, argc, argv)) != -1) {
			if (c == 'h') {
				usage(stdout);
				return 0;
			} else if (c == cli_opt_value("listener-path")) {
				listener = optarg;
			} else if (c == cli_opt_value("listener-metadata")) {
				metadata = optarg;
			} else {
				return EXIT_USAGE; /* cli_opts_next said why */
			}
		}
		if (optind >= argc)
			break;
		if (file)
			return usage_error("one policy only");
		file = argv[optind++];
	}
	if (!file)
		return usage_error("no policy given");
	if (listener[0] != '/')
		return usage_error("--listener-path wants an absolute path");
	struct sb_policy *p = NULL;
	struct sb_policy_error err;
	if (sb_policy_load_file(file, &p, &err) < 0) {
		char msg[CLI_POLICY_ERROR_MAX];
		cli_policy_error(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return EXIT_USAGE;
	}
	struct sb_plan *plan = NULL;
	int r = sb_plan_build_for(p, false, &plan);
	if (r < 0) {
		fprintf(stderr, "sysbroker oci-seccomp: %s: %s\n", file, strerror(-r));
		sb_policy_free(p);
		return EXIT_USAGE;
	}
	json_object *s = build(file, plan, listener, metadata);
	puts(json_object_to_json_string_ext(s, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(s);
	sb_plan_free(plan);
	sb_policy_free(p);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "sysbroker oci-seccomp: write error: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
