/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `sysbroker import-seccomp`: a Docker/OCI seccomp profile as a starting policy. Its kernel
 * rules become allow/deny/kill lines; what a policy cannot say (an entry for other
 * architectures or for processes holding a capability, a trace or trap action, an allow of a
 * call sysbroker brokers) becomes a comment that says why, so the output passes `check`.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "macro.h"
#include "oci.h"
#include "policy.h"

#if defined(__x86_64__)
static const char *const native_arches[] = { "amd64", "x86_64", "SCMP_ARCH_X86_64", NULL };
#elif defined(__aarch64__)
static const char *const native_arches[] = { "arm64", "aarch64", "SCMP_ARCH_AARCH64", NULL };
#else
#error "no OCI architecture name for this architecture"
#endif

static const char *str(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *arr(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

static bool has_native(json_object *arches)
{
	for (size_t i = 0; arches && i < json_object_array_length(arches); i++)
		for (const char *const *n = native_arches; *n; n++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(arches, i)),
				   *n) == 0)
				return true;
	return false;
}

/* "deny errno EPERM", "allow", "kill", "allow ... log"; NULL: no policy verb says it. */
static const char *verb(const char *action, int err, char *mods, size_t size)
{
	mods[0] = 0;
	if (!action)
		return NULL;
	if (strcmp(action, "SCMP_ACT_ALLOW") == 0)
		return "allow";
	if (strcmp(action, "SCMP_ACT_LOG") == 0) {
		snprintf(mods, size, " log");
		return "allow";
	}
	if (strcmp(action, "SCMP_ACT_ERRNO") == 0) {
		const char *e = sb_errno_name(err);
		if (!e)
			return NULL;
		snprintf(mods, size, " errno %s", e);
		return "deny";
	}
	if (strncmp(action, "SCMP_ACT_KILL", 13) == 0)
		return "kill";
	return NULL;
}

/* " if arg0 == 0x1 and ..." for an entry's args; false when a policy cannot say them. */
static bool conditions(json_object *args, char *buf, size_t size)
{
	static const struct {
		const char *op, *s;
	} ops[] = { { "SCMP_CMP_EQ", "==" }, { "SCMP_CMP_NE", "!=" }, { "SCMP_CMP_LT", "<" },
		    { "SCMP_CMP_LE", "<=" }, { "SCMP_CMP_GT", ">" },  { "SCMP_CMP_GE", ">=" } };
	size_t n = args ? json_object_array_length(args) : 0, o = 0;
	buf[0] = 0;
	if (n > SB_MAX_CONDS)
		return false;
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(args, i), *v;
		uint64_t val = 0, two = 0;
		int64_t idx = -1;
		if (json_object_object_get_ex(a, "index", &v))
			idx = json_object_get_int64(v);
		if (json_object_object_get_ex(a, "value", &v))
			val = json_object_get_uint64(v);
		if (json_object_object_get_ex(a, "valueTwo", &v))
			two = json_object_get_uint64(v);
		const char *op = str(a, "op");
		if (idx < 0 || idx > 5 || !op)
			return false;
		int k = -1;
		if (strcmp(op, "SCMP_CMP_MASKED_EQ") == 0) {
			if (val == 0 || (two & ~val))
				return false; /* constant: never or always */
			k = snprintf(buf + o, size - o,
				     "%s arg%" PRId64 " & %#" PRIx64 " == %#" PRIx64,
				     i ? " and" : " if", idx, val, two);
		}
		for (size_t j = 0; k < 0 && j < ELEMENTSOF(ops); j++)
			if (strcmp(op, ops[j].op) == 0)
				k = snprintf(buf + o, size - o, "%s arg%" PRId64 " %s %#" PRIx64,
					     i ? " and" : " if", idx, ops[j].s, val);
		if (k < 0 || (size_t)k >= size - o)
			return false;
		o += (size_t)k;
	}
	return true;
}

/* Why an entry cannot be a rule here, or NULL. */
static const char *entry_excluded(json_object *e, char *why, size_t size)
{
	json_object *inc = NULL, *exc = NULL, *caps;
	json_object_object_get_ex(e, "includes", &inc);
	json_object_object_get_ex(e, "excludes", &exc);
	if ((caps = arr(inc, "caps")) && json_object_array_length(caps)) {
		snprintf(why, size, "only for processes holding %s (a sandbox holds none)",
			 json_object_get_string(json_object_array_get_idx(caps, 0)));
		return why;
	}
	json_object *a = arr(inc, "arches");
	if (a && json_object_array_length(a) && !has_native(a))
		return "for other architectures";
	if (has_native(arr(exc, "arches")))
		return "excluded on this architecture";
	return NULL;
}

/* In sysbroker's built-in denied set, whatever the arguments. */
static bool always_denied(int nr)
{
	size_t n;
	const struct sb_dangerous *d = sb_dangerous(&n);
	for (size_t i = 0; i < n; i++)
		if (d[i].cond_mask == 0 && sb_syscall_nr(d[i].name) == nr)
			return true;
	return false;
}

/* prefix NAME... suffix, in lines of about 100 columns, each with the prefix and suffix. */
static void print_names(FILE *f, const char *prefix, const char *const *names, size_t n,
			const char *suffix)
{
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		if (col == 0)
			col = (size_t)fprintf(f, "%s", prefix);
		col += (size_t)fprintf(f, " %s", names[i]);
		if (i + 1 == n || col + strlen(names[i + 1]) + strlen(suffix) > 98) {
			fprintf(f, "%s\n", suffix);
			col = 0;
		}
	}
}

/* One entry of the profile. */
static void import_entry(FILE *f, json_object *e)
{
	char mods[64], conds[512], tail[600], why[128];
	json_object *names = arr(e, "names"), *v;
	size_t n = names ? json_object_array_length(names) : 0;
	/* Its names sorted into: imported, brokered, absent here, built-in denied. */
	_cleanup_free_ const char **sorted = calloc(4 * (n + 1), sizeof(*sorted));
	const char **lists[4];
	size_t counts[4] = { 0 };
	int err = EPERM; /* the runtime spec's default errnoRet */
	if (!sorted)
		return;
	for (size_t k = 0; k < 4; k++)
		lists[k] = sorted + k * (n + 1);
	if (json_object_object_get_ex(e, "errnoRet", &v))
		err = json_object_get_int(v);
	const char *action = str(e, "action");
	const char *vb = verb(action, err, mods, sizeof(mods));
	const char *excluded = entry_excluded(e, why, sizeof(why));
	bool cond_ok = conditions(arr(e, "args"), conds, sizeof(conds));
	bool allow = vb && strcmp(vb, "allow") == 0;
	for (size_t i = 0; i < n; i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(names, i));
		int nr = name ? sb_syscall_nr(name) : -1;
		size_t k = nr < 0 ? 2
			   : allow && (sb_syscall_brokered(nr) != SB_BROKERED_NO ||
				       sb_syscall_class(nr) == SB_CLASS_REFUSED)
				   ? 1
			   : allow && !excluded && cond_ok && always_denied(nr) ? 3
										: 0;
		lists[k][counts[k]++] = name ? name : "?";
	}
	const char *comment = str(e, "comment");
	if (comment && *comment)
		fprintf(f, "# %s\n", comment);
	snprintf(tail, sizeof(tail), "%s%s", conds, mods);
	if (counts[0] && (excluded || !vb || !cond_ok)) {
		fprintf(f, "# not imported (%s): %s\n",
			excluded ? excluded
			: !vb    ? "an action a policy has no verb for"
				 : "argument conditions a policy cannot say",
			action ? action : "no action");
		print_names(f, "#  ", lists[0], counts[0], "");
	} else {
		print_names(f, vb, lists[0], counts[0], tail);
	}
	if (counts[1])
		fputs("# decided by path and net rules, not allowed in the kernel:\n", f);
	print_names(f, "#  ", lists[1], counts[1], "");
	if (counts[2])
		fputs("# not on this architecture:\n", f);
	print_names(f, "#  ", lists[2], counts[2], "");
	if (counts[3])
		fputs("# sysbroker denies these unless a rule allows them (BUILT-IN DENIED "
		      "SYSCALLS "
		      "in\n# sysbroker.policy(5)); the profile allows them:\n",
		      f);
	print_names(f, "# allow", lists[3], counts[3], tail);
}

static int import(FILE *f, const char *file, json_object *prof)
{
	json_object *v;
	int def_err = EPERM;
	if (json_object_object_get_ex(prof, "defaultErrnoRet", &v))
		def_err = json_object_get_int(v);
	char mods[64];
	const char *action = str(prof, "defaultAction");
	const char *dv = verb(action, def_err, mods, sizeof(mods));
	if (!dv) {
		fprintf(stderr,
			"sysbroker import-seccomp: %s: defaultAction %s has no policy verb\n", file,
			action ? action : "(none)");
		return EXIT_USAGE;
	}
	fprintf(f,
		"sysbroker-policy 1\n"
		"# Imported from %s by sysbroker import-seccomp: a starting point. A seccomp\n"
		"# profile allows files and sockets in the kernel; here path and net rules decide\n"
		"# them (default: denied). Add them, e.g. from 'sysbroker run --learn' and\n"
		"# 'sysbroker audit --suggest'.\n"
		"\n"
		"default syscall %s%s\n",
		file, dv, mods);
	json_object *arches = arr(prof, "architectures");
	if (arches && json_object_array_length(arches) && !has_native(arches))
		fputs("# The profile does not list this architecture.\n", f);
	json_object *sys = arr(prof, "syscalls");
	for (size_t i = 0; sys && i < json_object_array_length(sys); i++) {
		json_object *e = json_object_array_get_idx(sys, i);
		/* An old profile names one syscall per entry in "name". */
		const char *one = str(e, "name");
		if (one && !arr(e, "names")) {
			json_object *names = json_object_new_array();
			json_object_array_add(names, json_object_new_string(one));
			json_object_object_add(e, "names", names);
		}
		import_entry(f, e);
	}
	return 0;
}

int sb_cmd_import_seccomp(int argc, char **argv)
{
	struct cli_opts o;
	int c;

	cli_opts_init(&o, "import-seccomp", (const char *const[]){ "help", NULL });
	while ((c = cli_opts_next(&o, argc, argv)) != -1) {
		if (c != 'h')
			return EXIT_USAGE; /* cli_opts_next said why */
		fputs("Usage: sysbroker import-seccomp PROFILE.json\n"
		      "\n"
		      "Print a starting policy (sysbroker.policy(5)) from a Docker/OCI seccomp\n"
		      "profile: its syscall rules, and a comment for every entry a policy cannot\n"
		      "say. Exit status: 0 done, 1 the profile cannot be read, 2 it is not a\n"
		      "profile or the command line is wrong. See sysbroker(1).\n"
		      "\n"
		      "  -h, --help    show this help and exit\n",
		      stdout);
		return 0;
	}
	if (optind + 1 != argc) {
		fputs(optind >= argc ? "sysbroker import-seccomp: no profile given\n"
				     : "sysbroker import-seccomp: one profile only\n",
		      stderr);
		cli_usage_hint("import-seccomp");
		return EXIT_USAGE;
	}
	const char *file = argv[optind];
	FILE *in = fopen(file, "re");
	if (!in) {
		fprintf(stderr, "sysbroker import-seccomp: %s: %s\n", file, strerror(errno));
		return 1;
	}
	fclose(in);
	json_object *prof = json_object_from_file(file);
	json_object *lin, *sec;
	/* A whole config.json: its linux.seccomp. */
	if (prof && json_object_object_get_ex(prof, "linux", &lin) &&
	    json_object_object_get_ex(lin, "seccomp", &sec)) {
		json_object_get(sec);
		json_object_put(prof);
		prof = sec;
	}
	if (!prof || !json_object_is_type(prof, json_type_object) || !str(prof, "defaultAction")) {
		fprintf(stderr, "sysbroker import-seccomp: %s: not a seccomp profile (%s)\n", file,
			prof ? "no defaultAction" : json_util_get_last_err());
		json_object_put(prof);
		return EXIT_USAGE;
	}
	int r = import(stdout, file, prof);
	json_object_put(prof);
	if (r == 0 && fflush(stdout) != 0) {
		fprintf(stderr, "sysbroker import-seccomp: write error: %s\n", strerror(errno));
		return 1;
	}
	return r;
}
