// SPDX-License-Identifier: GPL-2.0
/* Registers exeflow's KUnit suites (see kunit.h); they run at insmod. */
#include "kunit.h"

#ifdef EF_HAVE_KUNIT_SUITES
kunit_test_suites(&ef_key_suite, &ef_timeout_suite, &ef_record_suite,
		  &ef_export_suite);
#endif
