/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `sysbroker audit`: reads JSON Lines audit logs (schema 1 and 2, docs/sysbroker-audit.5) and
 * prints a summary of the denials, the same as JSON, or the policy lines that would allow them.
 * Any input is read without crashing: a line that is not a record is reported and skipped.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The fields of a record that the command uses; strings are NULL when absent. */
struct sb_audit_rec {
	int v;
	long pid;   /* -1 when absent */
	long count; /* a "suppressed" record's count; 0 when absent */
	long lost;  /* a "log-error" record's count of lost records; 0 when absent */
	/* Borrowed from the parsed line (json), which sb_audit_rec_clear releases. */
	const char *time, *sandbox, *exe, *argv0, *syscall, *path, *path2, *addr, *perm, *perms,
		*decision, *err, *rule, *limit, *transport, *action, *error, *policy;
	bool has_args; /* args holds the call's raw arguments (syscall rule records) */
	uint64_t args[6];
	void *json;
};

/* Longest line read; a longer one is reported as malformed. */
#define SB_AUDIT_MAX_LINE (64 * 1024L)

/*
 * Parse one line (without its newline). Returns 0 and fills rec (free with
 * sb_audit_rec_clear), or -EINVAL with the reason in why.
 */
int sb_audit_parse_line(const char *line, size_t len, struct sb_audit_rec *rec, char *why,
			size_t whysize);
void sb_audit_rec_clear(struct sb_audit_rec *rec);

enum {
	SB_AUDIT_D_ALLOW = 1u << 0,
	SB_AUDIT_D_DENY = 1u << 1,
	SB_AUDIT_D_WOULD_DENY = 1u << 2,
	SB_AUDIT_D_RELOAD = 1u << 3,
	SB_AUDIT_D_RELOAD_ERROR = 1u << 4,
	SB_AUDIT_D_PROTOCOL_ERROR = 1u << 5,
	SB_AUDIT_D_OTHER = 1u << 6,
	SB_AUDIT_D_KILLED = 1u << 7,
	SB_AUDIT_D_SUPPRESSED = 1u << 8,
	SB_AUDIT_D_LOG_ERROR = 1u << 9,
};

struct sb_audit_opts {
	bool json;
	bool suggest;
	const char *since; /* normalised: YYYY-MM-DDTHH:MM:SS.mmmZ, or NULL */
	long pid;          /* -1: any */
	const char *syscall;
	unsigned decisions; /* SB_AUDIT_D_* to report; 0: deny, would-deny and suppressed */
	const char *policy; /* --suggest checks each line against this policy file, or NULL */
	/*
	 * --suggest: a name only read that does not exist when the suggestions are written gets
	 * "deny errno ENOENT nolog" (what the program found, granting nothing) instead of a grant.
	 * Looks at this machine's files: the command sets it, a caller with a log from elsewhere
	 * does not.
	 */
	bool absent_enoent;
};

struct sb_audit;
int sb_audit_new(const struct sb_audit_opts *opts, struct sb_audit **ret);
struct sb_audit *sb_audit_free(struct sb_audit *a);
/*
 * Read a log; name is how error messages call it. Malformed lines go to err as
 * "NAME:LINE: WHY" and are counted. Returns 0, or -errno when the stream failed.
 */
int sb_audit_feed(struct sb_audit *a, FILE *in, const char *name, FILE *err);
/* The report the options ask for. Returns 0 or -EIO. */
int sb_audit_report(struct sb_audit *a, FILE *out);
/*
 * Check the suggestions against the policy FILE (--policy): loaded once here, then with each
 * suggested line appended. Returns 0, or -errno with the reason (FILE:LINE:COL: ...) in why.
 */
int sb_audit_use_policy(struct sb_audit *a, const char *file, char *why, size_t whysize);
/* Malformed lines seen so far. */
unsigned long sb_audit_malformed(const struct sb_audit *a);

/* "2024-05-01", "2024-05-01T10:00", "... 10:00:00Z", "...T10:00+01:00" (an offset from UTC:
 * +HH:MM, +HHMM, +HH or -), or "30s"/"10m"/"2h"/"1d" ago, into out (at least 32 bytes) as
 * YYYY-MM-DDTHH:MM:SS.mmmZ in UTC. A date that does not exist (02-31) is -EINVAL. */
int sb_audit_parse_time(const char *s, char *out, size_t size);

/* `sysbroker audit`. argv[0] is "audit". */
int sb_cmd_audit(int argc, char **argv);
