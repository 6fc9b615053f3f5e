/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A private scratch directory per test (under $TMPDIR), removed with
 * everything in it afterwards. Header-only: shared by the writer tests.
 */
#ifndef EXEFLOW_TEST_TMPDIR_H
#define EXEFLOW_TEST_TMPDIR_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static char tmpdir[256];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(p);
}

/* @prefix names the test in leftover directories after a crash. */
static void mk_tmp_named(const char *prefix)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/%s.XXXXXX", t && *t ? t : "/tmp",
		 prefix);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmp(void)
{
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
