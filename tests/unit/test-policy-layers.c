/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Policy layers in the broker (broker/layers.c): a layer committed by hand only tightens, and a
 * reload that replaces the first policy keeps every committed layer behind the new one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch.h"
#include "eval.h"
#include "layers.h"
#include "load.h"
#include "policy.h"
#include "protocol.h"

static struct sb_policy *load(const char *text)
{
	struct sb_policy *p = NULL;
	struct sb_policy_error err;
	if (sb_policy_load_string(text, strlen(text), "t.policy", &p, &err) < 0)
		fail_msg("%u:%u: %s", err.line, err.column, err.message);
	return p;
}

/* A layer message as sb_sandbox_enter sends it: PREPARE with its text, or COMMIT. */
static size_t layer_msg(uint8_t *buf, uint64_t what, const char *text)
{
	struct sb_req req = {
		.magic = SB_PROTO_MAGIC_REQ,
		.version = SB_PROTO_VERSION,
		.type = SB_REQ_LAYER,
		.arch = SB_AUDIT_ARCH,
		.args = { what },
	};
	static const char name[] = "layer.policy";
	size_t n = sizeof(req);
	if (what == SB_LAYER_PREPARE) {
		req.args[1] = SB_LAYER_TEXT;
		req.len[SB_ITEM_PATH0] = sizeof(name);
		req.len[SB_ITEM_STRING] = (uint32_t)strlen(text);
		memcpy(buf + n, name, sizeof(name));
		n += sizeof(name);
		memcpy(buf + n, text, strlen(text));
		n += strlen(text);
	}
	memcpy(buf, &req, sizeof(req));
	return n;
}

static enum sb_verdict verdict(const struct sb_policy *p, const char *path)
{
	struct sb_decision d;
	if (sb_policy_eval_path(p, path, SB_PERM_READ, &d) < 0)
		return SB_DENY;
	return d.verdict;
}

static void test_reload_keeps_layers(void **state)
{
	struct sb_policy *first = load("sysbroker-policy 1\npath /srv/** read\n");
	struct sb_policy *reloaded =
		load("sysbroker-policy 1\npath /srv/** read\npath /opt/** read\n");
	const struct sb_policy *policy = first;
	struct sb_layers *ls = NULL;
	static uint8_t buf[8192];

	/* Before any layer, a reload is the new policy itself. */
	assert_ptr_equal(sb_layers_rehead(ls, reloaded), reloaded);

	size_t n = layer_msg(buf, SB_LAYER_PREPARE,
			     "sysbroker-policy 1\npath /srv/** read\npath /srv/secret deny\n"
			     "path /opt/** read\n");
	assert_int_equal(sb_layers_request(&ls, &policy, getpid(), buf, n), 0);
	n = layer_msg(buf, SB_LAYER_COMMIT, NULL);
	assert_int_equal(sb_layers_request(&ls, &policy, getpid(), buf, n), 0);
	assert_int_equal(verdict(policy, "/srv/a"), SB_ALLOW);
	assert_int_equal(verdict(policy, "/srv/secret"), SB_DENY);

	/* The reload grants /opt too; the layer's deny of /srv/secret stays. */
	policy = sb_layers_rehead(ls, reloaded);
	assert_ptr_not_equal(policy, reloaded);
	assert_int_equal(verdict(policy, "/srv/a"), SB_ALLOW);
	assert_int_equal(verdict(policy, "/opt/x"), SB_ALLOW);
	assert_int_equal(verdict(policy, "/srv/secret"), SB_DENY);
	/* And what neither grants stays denied. */
	assert_int_equal(verdict(policy, "/etc/passwd"), SB_DENY);

	sb_layers_free(ls);
	sb_policy_free(first);
	sb_policy_free(reloaded);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_keeps_layers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
