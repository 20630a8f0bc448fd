/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CUnit runner every unit test binary shares: register suites from a table, run them,
 * return the number of failures (so that `meson test` sees a failure).
 */
#ifndef UT_H
#define UT_H

#include <stdio.h>

#include <CUnit/Basic.h>

struct ut_test {
	const char *name;
	CU_TestFunc fn;
};

struct ut_suite {
	const char *name;
	CU_InitializeFunc init;
	CU_CleanupFunc cleanup;
	const struct ut_test *tests;      /* terminated by { NULL, NULL } */
};

/* Runs the suites (terminated by { NULL }); returns the failure count, or 1 when CUnit fails. */
static inline int
ut_run(const struct ut_suite *suites)
{
	unsigned int failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	for (const struct ut_suite *s = suites; s->name != NULL; s++) {
		CU_pSuite suite = CU_add_suite(s->name, s->init, s->cleanup);

		if (suite == NULL)
			goto fail;
		for (const struct ut_test *t = s->tests; t->name != NULL; t++)
			if (CU_add_test(suite, t->name, t->fn) == NULL)
				goto fail;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto fail;
	failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failures > 255 ? 255 : (int)failures;
fail:
	fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
	CU_cleanup_registry();
	return 1;
}

#endif /* UT_H */
