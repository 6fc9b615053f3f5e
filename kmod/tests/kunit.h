/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exeflow's KUnit suites. Each tests/<unit>_kunit.c is included at the end
 * of kmod/<unit>.c (to reach its static functions) when built with
 * EXEFLOW_KUNIT=1 (make check-debug) for a kernel with CONFIG_KUNIT;
 * suites.c registers the suites, which KUnit runs when the module
 * is loaded. A kernel whose KUnit predates module suites (before 6.0, where
 * kunit_test_suites() defined module_init itself) gets no tests.
 *
 * Some kernels (6.1) run the suites before the module's init function,
 * newer ones after it. Tests that need the flow table set up a private
 * one, and skip when the module's own table is already live.
 */
#ifndef EXEFLOW_TESTS_KUNIT_H
#define EXEFLOW_TESTS_KUNIT_H

#include <kunit/test.h>

#include "../compat.h"

#ifdef EF_HAVE_KUNIT_SUITES
struct ef_key;

extern struct kunit_suite ef_key_suite;
extern struct kunit_suite ef_timeout_suite;
extern struct kunit_suite ef_record_suite;
extern struct kunit_suite ef_export_suite;

/* flowtable.c's ef_hash(), for the key suite */
u32 ef_kunit_hash(const struct ef_key *k);
#endif

#endif /* EXEFLOW_TESTS_KUNIT_H */
