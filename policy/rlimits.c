/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Resource limits: the policy's `limit` statement and `run --limit`. Parsing is a pure function
 * of the words; applying is setrlimit(2) in the program's first process (cli/launch.c).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "rlimits.h"
#include "macro.h"

_Static_assert(RLIM_NLIMITS <= SB_RLIMIT_COUNT, "RLIM_NLIMITS grew");

enum unit {
	U_COUNT,   /* a plain number */
	U_BYTES,   /* K, M, G, T (powers of 1024) */
	U_SECONDS, /* s, m, h */
};

static const struct {
	const char *name;
	int resource;
	enum unit unit;
	uint64_t max; /* 0: no bound beyond unlimited */
} resources[] = {
	{ "as", RLIMIT_AS, U_BYTES, 0 },
	{ "core", RLIMIT_CORE, U_BYTES, 0 },
	{ "cpu", RLIMIT_CPU, U_SECONDS, 0 },
	{ "data", RLIMIT_DATA, U_BYTES, 0 },
	{ "fsize", RLIMIT_FSIZE, U_BYTES, 0 },
	{ "locks", RLIMIT_LOCKS, U_COUNT, 0 },
	{ "memlock", RLIMIT_MEMLOCK, U_BYTES, 0 },
	{ "msgqueue", RLIMIT_MSGQUEUE, U_BYTES, 0 },
	{ "nice", RLIMIT_NICE, U_COUNT, 40 },
	{ "nofile", RLIMIT_NOFILE, U_COUNT, 1u << 30 },
	{ "nproc", RLIMIT_NPROC, U_COUNT, 0 },
	{ "rss", RLIMIT_RSS, U_BYTES, 0 },
	{ "rtprio", RLIMIT_RTPRIO, U_COUNT, 99 },
	{ "rttime", RLIMIT_RTTIME, U_COUNT, 0 },
	{ "sigpending", RLIMIT_SIGPENDING, U_COUNT, 0 },
	{ "stack", RLIMIT_STACK, U_BYTES, 0 },
};

const char *sb_rlimit_name(int resource)
{
	for (size_t i = 0; i < ELEMENTSOF(resources); i++)
		if (resources[i].resource == resource)
			return resources[i].name;
	return NULL;
}

static uint64_t unit_factor(enum unit u, const char *suffix)
{
	static const struct {
		enum unit unit;
		const char *s;
		uint64_t f;
	} units[] = {
		{ U_BYTES, "", 1 },           { U_BYTES, "K", 1ULL << 10 },
		{ U_BYTES, "M", 1ULL << 20 }, { U_BYTES, "G", 1ULL << 30 },
		{ U_BYTES, "T", 1ULL << 40 }, { U_SECONDS, "", 1 },
		{ U_SECONDS, "s", 1 },        { U_SECONDS, "m", 60 },
		{ U_SECONDS, "h", 3600 },     { U_COUNT, "", 1 },
	};
	for (size_t i = 0; i < ELEMENTSOF(units); i++)
		if (units[i].unit == u && strcmp(units[i].s, suffix) == 0)
			return units[i].f;
	return 0;
}

static const char *unit_help(enum unit u)
{
	switch (u) {
	case U_BYTES:
		return "bytes, or a number with K, M, G or T";
	case U_SECONDS:
		return "seconds, or a number with s, m or h";
	default:
		return "a number";
	}
}

/* One side of a value: N[unit] or unlimited. */
static int parse_one(const char *s, size_t len, size_t k, uint64_t *ret)
{
	char buf[64];
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = 0;
	if (strcmp(buf, "unlimited") == 0 || strcmp(buf, "infinity") == 0) {
		*ret = SB_RLIM_INFINITY;
		return resources[k].max ? -ERANGE : 0; /* nofile: the kernel refuses it */
	}
	if (!isdigit((unsigned char)buf[0]))
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	uint64_t f = unit_factor(resources[k].unit, end);
	if (errno || f == 0 || v > (SB_RLIM_INFINITY - 1) / f)
		return -EINVAL;
	v *= f;
	if (resources[k].max && v > resources[k].max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int sb_rlimit_parse(const char *resource, const char *value, struct sb_rlimit *ret, char *why,
		    size_t whylen, bool *bad_value)
{
	size_t k;
	for (k = 0; k < ELEMENTSOF(resources); k++)
		if (strcmp(resources[k].name, resource) == 0)
			break;
	*bad_value = k < ELEMENTSOF(resources);
	if (k == ELEMENTSOF(resources)) {
		snprintf(why, whylen,
			 "unknown resource '%.40s' (expected as, core, cpu, data, fsize, locks, "
			 "memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending "
			 "or stack)",
			 resource);
		return -EINVAL;
	}
	const char *colon = strchr(value, ':');
	size_t soft_len = colon ? (size_t)(colon - value) : strlen(value);
	uint64_t soft, hard;
	int r = parse_one(value, soft_len, k, &soft);
	if (r == 0)
		r = colon ? parse_one(colon + 1, strlen(colon + 1), k, &hard) : (hard = soft, 0);
	if (r == -ERANGE) {
		snprintf(why, whylen, "'%.40s' is out of range for %s (at most %" PRIu64 ")", value,
			 resource, resources[k].max);
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(why, whylen,
			 "invalid value '%.40s' for %s (expected %s, 'unlimited', or SOFT:HARD)",
			 value, resource, unit_help(resources[k].unit));
		return -EINVAL;
	}
	if (soft > hard) {
		snprintf(why, whylen, "the soft limit of %s is above its hard limit in '%.40s'",
			 resource, value);
		return -EINVAL;
	}
	ret[resources[k].resource] = (struct sb_rlimit){ .set = true, .soft = soft, .hard = hard };
	return resources[k].resource;
}

void sb_rlimit_format(int resource, uint64_t v, char *buf, size_t size)
{
	enum unit u = U_COUNT;
	for (size_t i = 0; i < ELEMENTSOF(resources); i++)
		if (resources[i].resource == resource)
			u = resources[i].unit;
	if (v == SB_RLIM_INFINITY)
		snprintf(buf, size, "unlimited");
	else if (u == U_BYTES && v && v % (1ULL << 30) == 0)
		snprintf(buf, size, "%" PRIu64 "G", v >> 30);
	else if (u == U_BYTES && v && v % (1ULL << 20) == 0)
		snprintf(buf, size, "%" PRIu64 "M", v >> 20);
	else if (u == U_BYTES && v && v % (1ULL << 10) == 0)
		snprintf(buf, size, "%" PRIu64 "K", v >> 10);
	else
		snprintf(buf, size, "%" PRIu64 "%s", v, u == U_SECONDS ? "s" : "");
}

int sb_rlimits_apply(const struct sb_rlimit *limits, int *ret_resource)
{
	for (int res = 0; res < SB_RLIMIT_COUNT; res++) {
		if (!limits[res].set)
			continue;
		struct rlimit rl = {
			.rlim_cur = limits[res].soft == SB_RLIM_INFINITY ? RLIM_INFINITY
									 : limits[res].soft,
			.rlim_max = limits[res].hard == SB_RLIM_INFINITY ? RLIM_INFINITY
									 : limits[res].hard,
		};
		if (setrlimit((__rlimit_resource_t)res, &rl) < 0) {
			*ret_resource = res;
			return -errno;
		}
	}
	return 0;
}
