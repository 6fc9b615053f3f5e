/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding of EXEFLOW generic netlink payloads into plain C, with no socket
 * in sight, so that it can be unit-tested and fuzzed on messages built in
 * memory.
 *
 * Policy: strict about what we understand, silent about what we do not.
 * Unknown attribute ids are skipped (the uapi is append-only); a known id
 * with the wrong payload length, a string without its NUL, an address whose
 * length does not match the family, or a record missing its identity
 * (event, flow id, family, proto, addresses) rejects the record.
 */
#ifndef EXEFLOW_RECPARSE_H
#define EXEFLOW_RECPARSE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <netlink/attr.h>
#include <linux/netlink.h>

#include "record.h"
#include "uapi/exeflow.h"

/* Why a record was rejected; attr/proc_attr say where (0 = not applicable). */
struct ef_perr {
	uint16_t attr;		/* EXEFLOW_F_* */
	uint16_t proc_attr;	/* EXEFLOW_P_* when attr == EXEFLOW_F_PROC */
	const char *why;	/* static string */
};

/*
 * Decode one EXEFLOW_A_FLOW. The caller guarantees that the nested header
 * itself lies inside the buffer (nla_ok() on the parent, as the
 * nla_for_each_* macros do); everything inside it is checked here.
 * Returns 0, or -EINVAL with *out in an unspecified state.
 */
int ef_parse_flow(const struct nlattr *nested, struct ef_record *out);
int ef_parse_flow_ex(const struct nlattr *nested, struct ef_record *out,
		     struct ef_perr *err);

/* Counters as reported by GET_STATS, REGISTER and FLUSH replies. */
struct ef_stats {
	uint32_t version;	/* EXEFLOW_A_VERSION */
	uint32_t listener;	/* EXEFLOW_A_LISTENER portid, 0 = none */
	uint64_t last_seq;	/* EXEFLOW_A_LAST_SEQ, 0 = none */
	bool has_last_seq;	/* an older module does not send it */
	uint64_t counter[EXEFLOW_S_MAX + 1];	/* indexed by enum exeflow_stat */
	bool has[EXEFLOW_S_MAX + 1];	/* an older module may lack some */
};

/*
 * Decode a whole generic netlink message. Both check the genl header and
 * walk the top-level attributes themselves (nlh->nlmsg_len is trusted to lie
 * inside the buffer, as libnl guarantees for received messages).
 */
int ef_parse_stats_msg(struct nlmsghdr *nlh, struct ef_stats *out);

typedef void (*ef_record_fn)(const struct ef_record *rec, void *arg);

/*
 * Calls fn for every well-formed EXEFLOW_A_FLOW in a RECORDS message or a
 * GET_FLOWS dump part. A malformed record is skipped (one bad record must
 * not cost the rest of the batch) and counted in *malformed if non-NULL.
 * Returns the number of records delivered, or -EINVAL for a broken header.
 */
int ef_parse_records_msg(struct nlmsghdr *nlh, ef_record_fn fn, void *arg,
			 unsigned int *malformed);

/*
 * The record ef_parse_records_buf() decodes into, kept by a caller that
 * parses message after message (nlclient): between records only what the
 * previous one wrote is cleared, not the whole 4.4 KB once per message.
 * What fn gets is the same as from ef_parse_records_msg(). Not for two
 * parses at once (fn must not parse into the same buffer).
 */
struct ef_parse_buf {
	struct ef_record rec;
	size_t path_used;	/* bytes of rec.proc.exe_path not known zero */
};

void ef_parse_buf_init(struct ef_parse_buf *b);
int ef_parse_records_buf(struct nlmsghdr *nlh, struct ef_parse_buf *b,
			 ef_record_fn fn, void *arg, unsigned int *malformed);

/*
 * Names for humans and JSON. Enum lookups return "unknown" for values this
 * build does not know (a newer module may append some); ef_stat_name returns
 * NULL for ids that are not counters, so it doubles as an iterator filter.
 */
const char *ef_event_name(uint8_t ev);
const char *ef_direction_name(uint8_t dir);
const char *ef_end_reason_name(uint8_t reason);
const char *ef_method_name(uint8_t method);
const char *ef_stat_name(unsigned int stat);
bool ef_stat_is_drop(unsigned int stat);	/* a record or flow was lost */
bool ef_stat_is_gauge(unsigned int stat);	/* a level, not a running total */
const char *ef_proto_name(uint8_t proto);	/* NULL if not a common one */

#endif
