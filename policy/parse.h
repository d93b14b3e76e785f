/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* parse.c: policy text to rules. */
#pragma once

#include "policy.h"

/* parse.c: text to rules. include_cb loads and parses an included file (NULL: includes fail). */
struct sb_parser;
typedef int (*sb_include_fn)(struct sb_parser *p, const char *path, void *userdata,
			     struct sb_policy_error *err);
int sb_parse_buffer(struct sb_policy *policy, const char *text, size_t len, const char *file,
		    unsigned depth, sb_include_fn include_cb, void *userdata,
		    struct sb_policy_error *err);
unsigned sb_parser_depth(const struct sb_parser *p);
/* For include callbacks: report an error at the include statement and return error. */
int sb_parser_fail(struct sb_parser *p, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct sb_policy *sb_parser_policy(struct sb_parser *p);
const char *sb_parser_file(const struct sb_parser *p);
