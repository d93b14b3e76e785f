/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one syscall table (common/syscalls.h) is consistent with itself, with the kernel's
 * numbering as libseccomp knows it, and with what the policy layer derives from it.
 */
#include <seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"
#include "syscalls.h"

static bool arg_ok(uint8_t a)
{
	return a == SB_NOARG || a < 6;
}

/* Each row names the syscall its number is, once, with argument indexes that exist. */
static void test_rows(void **state)
{
	for (size_t i = 0; i < SB_NSHAPES; i++) {
		const struct sb_shape *sh = &sb_shapes[i];
		print_message("# %s\n", sh->name);
		assert_int_equal(sb_syscall_nr(sh->name), sh->nr);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(sb_shapes[j].nr, sh->nr);
		assert_ptr_equal(sb_syscall_lookup(sh->nr), sh);
		for (int k = 0; k < 2; k++) {
			assert_true(arg_ok(sh->path[k]) && arg_ok(sh->dirfd[k]));
			assert_true(arg_ok(sh->iarg[k]));
			/* A dirfd is the base of a path. */
			if (sh->dirfd[k] != SB_NOARG)
				assert_int_not_equal(sh->path[k], SB_NOARG);
		}
		assert_true(arg_ok(sh->string) && arg_ok(sh->in_arg) && arg_ok(sh->out_arg) &&
			    arg_ok(sh->size_arg));
		assert_int_not_equal(sh->kind, SB_BROKERED_NO);
		/* The kind and the operation agree. */
		assert_int_equal(sh->kind == SB_BROKERED_NET, sh->op == SB_OP_NET);
		assert_int_equal(sh->kind == SB_BROKERED_EXEC, sh->op == SB_OP_EXEC);
		if (sh->kind == SB_BROKERED_NET)
			assert_int_not_equal(sh->in_kind, SB_IN_NONE);
		/* A NULL path can only mean "the dirfd itself" where there is one. */
		if (sh->flags & SB_SHAPE_NULL_PATH)
			assert_int_not_equal(sh->dirfd[0], SB_NOARG);
		/* Served rows are found by sb_shape_lookup, refused ones are not. */
		assert_int_equal(sb_shape_lookup(sh->nr) != NULL, sh->op != SB_OP_NONE);
	}
}

/* The policy layer's brokered set is the table: the same kinds, nothing more, nothing less. */
static void test_brokered_set(void **state)
{
	size_t n = 0;
	enum sb_brokered_kind kind;
	const char *name;

	while ((name = sb_brokered_name(n, &kind))) {
		int nr = sb_syscall_nr(name);
		assert_ptr_not_equal(sb_syscall_lookup(nr), NULL);
		assert_int_equal(sb_syscall_lookup(nr)->kind, kind);
		n++;
	}
	assert_int_equal(n, SB_NSHAPES);
	for (int nr = 0; nr < 1024; nr++) {
		const struct sb_shape *sh = sb_syscall_lookup(nr);
		assert_int_equal(sb_syscall_brokered(nr), sh ? sh->kind : SB_BROKERED_NO);
	}
}

/*
 * Every number libseccomp can name on this architecture is classified, under the same name:
 * a newer libseccomp that knows a syscall this table does not fails here, not in a sandbox.
 */
static void test_classified(void **state)
{
	int known = 0;
	for (int nr = 0; nr < SB_NR_LIMIT; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (!name) {
			/* Unknown to libseccomp: classified only if the table names it itself. */
			if (sb_syscall_class(nr) != SB_CLASS_UNKNOWN)
				assert_int_equal(sb_syscall_nr(sb_syscall_name(nr)), nr);
			continue;
		}
		print_message("# %d %s\n", nr, name);
		assert_int_not_equal(sb_syscall_class(nr), SB_CLASS_UNKNOWN);
		assert_string_equal(sb_syscall_name(nr), name);
		free(name);
		known++;
	}
	assert_true(known > 250);
	assert_int_equal(sb_syscall_class(-1), SB_CLASS_UNKNOWN);
	assert_int_equal(sb_syscall_class(SB_NR_LIMIT), SB_CLASS_UNKNOWN);
	/* Brokered rows are the brokered class; the rest of the table is not. */
	for (size_t i = 0; i < SB_NSHAPES; i++)
		assert_int_equal(sb_syscall_class(sb_shapes[i].nr), SB_CLASS_BROKERED);
	/* The names libseccomp 2.5 lacks come from the table, on every architecture alike. */
	assert_int_equal(sb_syscall_nr("setxattrat"), 463);
	assert_int_equal(sb_syscall_nr("file_setattr"), 469);
	assert_int_equal(sb_syscall_class(469), SB_CLASS_REFUSED);
	assert_int_equal(sb_syscall_class(470), SB_CLASS_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_brokered_set),
		cmocka_unit_test(test_classified),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
