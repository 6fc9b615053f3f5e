// SPDX-License-Identifier: GPL-2.0
/* EXlabel encoder/decoder. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "label.h"

static const char *const keys[] = {
	"pid", "ppid", "uid", "gid", "euid", "user", "comm", "exe", "md5",
	"sha256", "fg", "cgroup", "netns", "how",
};

START_TEST(all_unknown)
{
	struct lbl_proc p = { .fg = -1 };
	char b[LBL_MAX];

	ck_assert_int_gt(lbl_encode(b, sizeof(b), &p), 0);
	ck_assert_str_eq(b, "pid=- ppid=- uid=- gid=- euid=- user=- comm=- "
			 "exe=- md5=- sha256=- fg=- cgroup=- netns=- how=-");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char v[8] = "x";

		ck_assert_int_eq(lbl_get(b, keys[i], v, sizeof(v)), 0);
		ck_assert_str_eq(v, "");
	}
}
END_TEST

START_TEST(all_known_in_order)
{
	struct lbl_proc p = {
		.have = LBL_PID | LBL_PPID | LBL_UID | LBL_GID | LBL_EUID |
			LBL_CGROUP | LBL_NETNS,
		.pid = 4242, .ppid = 1, .uid = 1000, .gid = 100, .euid = 0,
		.cgroup = 18446744073709551615ull, .netns = 4026531840ull,
		.fg = 1, .user = "alice", .comm = "curl", .exe = "/usr/bin/curl",
		.md5 = "d41d8cd98f00b204e9800998ecf8427e",
		.sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		.how = "socket-creds",
	};
	char b[LBL_MAX];
	int n = lbl_encode(b, sizeof(b), &p);

	ck_assert_str_eq(b, "pid=4242 ppid=1 uid=1000 gid=100 euid=0 user=alice "
			 "comm=curl exe=/usr/bin/curl "
			 "md5=d41d8cd98f00b204e9800998ecf8427e "
			 "sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 "
			 "fg=1 cgroup=18446744073709551615 netns=4026531840 how=socket-creds");
	ck_assert_int_eq(n, (int)strlen(b));
	p.fg = 0;
	lbl_encode(b, sizeof(b), &p);
	ck_assert_ptr_nonnull(strstr(b, " fg=0 "));
}
END_TEST

/* Each tricky value must come back byte for byte, and the label must stay
 * one line of plain tokens: no '"', no '\', no byte outside 0x20..0x7e. */
START_TEST(roundtrip_tricky)
{
	static const char *const vals[] = {
		"Web Content", "a\"b\\c", "100%", "k=v", "x y=z%20",
		"d\xc3\xb6m\xc3\xa4in\\us er", "\t\n\r\x01\x7f\x80\xff", "=",
		"%", " ", "--", "a-", "/opt/my app/bin/\"quoted\"",
	};
	char b[LBL_MAX], v[LBL_MAX];

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		struct lbl_proc p = { .fg = -1, .user = vals[i], .comm = vals[i],
				      .exe = vals[i], .how = "task" };
		size_t spaces = 0;

		ck_assert_int_gt(lbl_encode(b, sizeof(b), &p), 0);
		for (const unsigned char *c = (const unsigned char *)b; *c; c++) {
			ck_assert_msg(*c >= 0x20 && *c < 0x7f && *c != '"' &&
				      *c != '\\', "byte 0x%02x in %s", *c, b);
			spaces += *c == ' ';
		}
		ck_assert_uint_eq(spaces, 13);	/* 14 pairs */
		ck_assert_int_eq(lbl_get(b, "user", v, sizeof(v)), 1);
		ck_assert_str_eq(v, vals[i]);
		ck_assert_int_eq(lbl_get(b, "comm", v, sizeof(v)), 1);
		ck_assert_str_eq(v, vals[i]);
		ck_assert_int_eq(lbl_get(b, "exe", v, sizeof(v)), 1);
		ck_assert_str_eq(v, vals[i]);
		ck_assert_int_eq(lbl_get(b, "how", v, sizeof(v)), 1);
		ck_assert_str_eq(v, "task");
	}
}
END_TEST

START_TEST(escapes_exact)
{
	struct lbl_proc p = { .fg = -1, .comm = "a b\"c\\d%e=f\x7f\xff!~" };
	char b[LBL_MAX];

	lbl_encode(b, sizeof(b), &p);
	ck_assert_ptr_nonnull(strstr(b, " comm=a%20b%22c%5Cd%25e%3Df%7F%FF!~ "));
}
END_TEST

START_TEST(dash_is_not_unknown)
{
	struct lbl_proc p = { .fg = -1, .user = "-", .comm = "" };
	char b[LBL_MAX], v[8];

	lbl_encode(b, sizeof(b), &p);
	ck_assert_ptr_nonnull(strstr(b, "user=%2D "));
	ck_assert_ptr_nonnull(strstr(b, "comm=- "));
	ck_assert_int_eq(lbl_get(b, "user", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "-");
	ck_assert_int_eq(lbl_get(b, "comm", v, sizeof(v)), 0);
}
END_TEST

START_TEST(too_small)
{
	struct lbl_proc p = { .have = LBL_PID, .pid = 7, .fg = 1, .comm = "sh" };
	char b[LBL_MAX], s[LBL_MAX];
	int n = lbl_encode(b, sizeof(b), &p);

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(lbl_encode(s, (size_t)n + 1, &p), n);
	ck_assert_str_eq(s, b);
	errno = 0;
	ck_assert_int_eq(lbl_encode(s, (size_t)n, &p), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(lbl_encode(s, 0, &p), -1);
}
END_TEST

/* The documented worst case fits LBL_MAX. */
START_TEST(worst_case_fits)
{
	char *exe = malloc(4096), *user = malloc(256), *b = malloc(LBL_MAX);
	char *v = malloc(LBL_MAX);
	struct lbl_proc p = {
		.have = ~0u, .pid = 4294967295u, .ppid = 4294967295u,
		.uid = 4294967295u, .gid = 4294967295u, .euid = 4294967295u,
		.cgroup = ~0ull, .netns = ~0ull, .fg = 1, .comm = "%%%%%%%%%%%%%%%",
		.md5 = "d41d8cd98f00b204e9800998ecf8427e",
		.sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		.how = "socket-creds",
	};

	memset(exe, 0xff, 4095);
	exe[4095] = 0;
	memset(user, ' ', 255);
	user[255] = 0;
	p.exe = exe;
	p.user = user;
	ck_assert_int_gt(lbl_encode(b, LBL_MAX, &p), 4095 * 3);
	ck_assert_int_eq(lbl_get(b, "exe", v, LBL_MAX), 1);
	ck_assert_str_eq(v, exe);
	ck_assert_int_eq(lbl_get(b, "exe", v, 4095), -1);	/* no room */
	free(exe);
	free(user);
	free(b);
	free(v);
}
END_TEST

START_TEST(decoder_rejects)
{
	char v[64];

	ck_assert_int_eq(lbl_get("pid=1 uid=2", "gid", v, sizeof(v)), -1);
	ck_assert_int_eq(lbl_get("ppid=1", "pid", v, sizeof(v)), -1);
	ck_assert_int_eq(lbl_get("pid=1 ppid=2", "ppid", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "2");
	ck_assert_int_eq(lbl_get("comm=a%4", "comm", v, sizeof(v)), -1);
	ck_assert_int_eq(lbl_get("comm=a%4g", "comm", v, sizeof(v)), -1);
	ck_assert_int_eq(lbl_get("comm=a%00", "comm", v, sizeof(v)), -1);
	ck_assert_int_eq(lbl_get("garbage comm=x", "comm", v, sizeof(v)), -1);
	ck_assert_int_eq(lbl_get("", "comm", v, sizeof(v)), -1);
	ck_assert_int_eq(lbl_get("comm=%41%62", "comm", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "Ab");
	ck_assert_int_eq(lbl_get("comm=", "comm", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("label");
	TCase *t = tcase_create("core");

	tcase_add_test(t, all_unknown);
	tcase_add_test(t, all_known_in_order);
	tcase_add_test(t, roundtrip_tricky);
	tcase_add_test(t, escapes_exact);
	tcase_add_test(t, dash_is_not_unknown);
	tcase_add_test(t, too_small);
	tcase_add_test(t, worst_case_fits);
	tcase_add_test(t, decoder_rejects);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
