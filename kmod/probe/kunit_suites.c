// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit runs a module's kunit_test_suites() when the module loads (6.0+,
 * with CONFIG_KUNIT): the suites sit in a section that struct module
 * points at. Before, kunit_test_suites() defined module_init itself.
 */
#include <linux/module.h>

int probe_fn(const struct module *mod);
int probe_fn(const struct module *mod)
{
	return mod->num_kunit_suites;
}
