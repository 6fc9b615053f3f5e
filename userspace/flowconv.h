/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One module record plus its executable's hashes -> one nfdump flow in the
 * attribution profile (DESIGN.md §5): user in EXnselUser, comm and exe path
 * in the NBAR table, everything in the EXlabel.
 */
#ifndef EXEFLOW_FLOWCONV_H
#define EXEFLOW_FLOWCONV_H

#include <stdint.h>

#include "exehash.h"
#include "hashcache.h"
#include "label.h"
#include "nfrecord.h"
#include "record.h"
#include "username.h"

/*
 * Recent (comm, exe) -> NBAR app id. nfw_app_id() is a SHA-256 through
 * OpenSSL's EVP layer and cost a third of a flow's conversion, for an
 * answer that is the same for every flow of a program. Each key has two
 * slots to choose from (the least recently used one is replaced); both
 * strings are compared on a hit. Exe paths of FC_MEMO_PATH bytes or more
 * are not kept (their id is computed every time).
 */
#define FC_MEMO_SLOTS 128
#define FC_MEMO_PATH 256

struct fc_app_memo {
	uint64_t hash;		/* of comm and exe, never 0; 0 = empty slot */
	uint64_t used;		/* when last hit or filled (memo_clock) */
	uint8_t id[NFR_APP_ID_LEN];
	char comm[EF_COMM_LEN + 1];
	char exe[FC_MEMO_PATH];
};

/*
 * Recent processes -> their part of the label (lbl_encode_proc()). It is
 * the same for every flow of a process and was two thirds of a flow's
 * conversion (the hashes in hex, the path percent-encoded, numbers).
 * Keyed by everything that part is made of: a hit compares all of it.
 * Two slots per key as above; a part longer than FC_LBL_TEXT, or made of
 * strings too long for the slot, is encoded every time.
 */
#define FC_LBL_SLOTS 64
#define FC_LBL_TEXT 1024

struct fc_lbl_key {	/* compared with memcmp: build it zeroed */
	unsigned have;
	int fg;
	uint32_t pid, ppid, uid, gid, euid;
	uint32_t hashed;
	uint64_t cgroup;
	uint8_t md5[EXEHASH_MD5_LEN];
	uint8_t sha256[EXEHASH_SHA256_LEN];
};

struct fc_lbl_memo {
	uint64_t hash;		/* of the key's numbers, never 0; 0 = empty */
	uint64_t used;
	struct fc_lbl_key key;
	char user[EF_USER_LEN];
	char comm[EF_COMM_LEN + 1];
	char exe[FC_MEMO_PATH];
	size_t len;
	char text[FC_LBL_TEXT];
};

/* Storage the nfw_flow's pointers refer to, and the memos: must
 * start zeroed (static, calloc or = { 0 }) and live across flowconv()
 * calls. */
struct flowconv_buf {
	char label[LBL_MAX];
	char user[EF_USER_LEN];
	uint8_t app_id[NFR_APP_ID_LEN];
	char md5[2 * EXEHASH_MD5_LEN + 1];
	char sha256[2 * EXEHASH_SHA256_LEN + 1];
	struct fc_app_memo memo[FC_MEMO_SLOTS];
	struct fc_lbl_memo lbl[FC_LBL_SLOTS];
	uint64_t memo_clock;
};

/* @hash may be NULL (no hash known). Returns 0, or -1 if the label could
 * not be built (then the flow is still valid, without label). */
int flowconv(const struct ef_record *r, const struct hc_result *hash,
	     uint64_t now_ms, struct nfw_flow *f, struct flowconv_buf *b);

/* The executable identity of a record, or NULL if the module did not know
 * it (no process, or no executable). */
const struct hc_identity *flowconv_identity(const struct ef_record *r,
					    struct hc_identity *id);

#endif
