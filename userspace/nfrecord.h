/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfdump 1.7 V3 record encoding: one flow, the NBAR application table and
 * the interface-name table, plus the stat arithmetic nfdump uses.
 *
 * All integers are written in host byte order, because nfdump reads them
 * natively (reference/nfdump-format.md §1). Encoders never produce a
 * zero-length element or an element ID that 1.7.1 does not know.
 */
#ifndef EXEFLOW_NFRECORD_H
#define EXEFLOW_NFRECORD_H

#include <stddef.h>
#include <stdint.h>

/* One flow, flat, numbers in host order. */
struct nfw_flow {
	uint64_t first_ms, last_ms, received_ms;	/* msec since epoch, UTC */
	uint8_t family;			/* AF_INET / AF_INET6 */
	uint8_t src[16], dst[16];	/* network order; v4 in the first 4 */
	uint16_t sport, dport;		/* ICMP: sport 0, dport type << 8 | code */
	uint8_t proto, tcp_flags, rev_tcp_flags;
	uint8_t dir;			/* 0 ingress (accepted), 1 egress (initiated) */
	uint8_t end_reason;		/* IPFIX flowEndReason 1..5, 0 = none */
	uint64_t in_pkts, in_bytes;	/* initiator -> responder */
	uint64_t out_pkts, out_bytes;	/* responder -> initiator */
	uint32_t in_if, out_if;		/* ifindex, 0 = none */
	/* Interface-name table entries for in_if/out_if; NULL = none. */
	const char *in_ifname, *out_ifname;
	const char *user;		/* EXnselUser, NULL = omit; cut to 65 */
	/* EXnbarApp, app_id_len 0 = omit. If app_name is set, the writer puts
	 * an NBAR table entry id -> app_name/app_desc in the file before this
	 * flow (once per file), so nfdump's %nbnam can name it. */
	const uint8_t *app_id;
	uint8_t app_id_len;		/* 1..15 */
	const char *app_name, *app_desc;
	const char *label;		/* EXlabel, NULL = omit */
};

/* stat_record_t: 18 u64 in exactly this order (nfdump.h). */
struct nff_stat {
	uint64_t numflows, numbytes, numpackets;
	uint64_t flows_tcp, flows_udp, flows_icmp, flows_other;
	uint64_t bytes_tcp, bytes_udp, bytes_icmp, bytes_other;
	uint64_t packets_tcp, packets_udp, packets_icmp, packets_other;
	uint64_t firstseen, lastseen;	/* msec */
	uint64_t sequence_failure;
};

#define NFR_TYPE_V3 11
#define NFR_TYPE_NBAR 12
#define NFR_TYPE_IFNAME 13
#define NFR_TYPE_IDENT 0x8001
#define NFR_TYPE_STAT 0x8002

#define NFR_USER_MAX 65		/* EXnselUser holds char[66] */
#define NFR_LABEL_MAX 32768	/* label bytes kept; longer ones are cut */
#define NFR_NBAR_STR_MAX 253	/* name_len + desc_len limit (nbar.c:180) */
#define NFR_IFNAME_LEN 16
#define NFR_APP_ID_LEN 8	/* what nfw_app_id() produces */
#define NFR_ENGINE_USER 6	/* RFC 6759 classification engine "USER-Defined" */

/* Upper bound of nfr_flow()'s output, for buffer sizing. */
#define NFR_FLOW_MAX (12 + 52 + 36 + 20 + 28 + 72 + 20 + 4 + NFR_LABEL_MAX)

/*
 * Encode @f as a V3 record into @buf. Returns the record length, or 0 if
 * @cap is too small or the flow is malformed (unknown family, app id length
 * over 15).
 */
size_t nfr_flow(uint8_t *buf, size_t cap, const struct nfw_flow *f);

struct nfr_app {
	const uint8_t *id;
	const char *name, *desc;
};

/*
 * An NbarRecord (type 12) of @n entries. nfdump stores it as an array, so
 * every entry shares @id_len/@name_len/@desc_len; strings are NUL padded and
 * cut to fit (a long desc keeps its tail after "..."). Returns the length,
 * 0 if it does not fit or the lengths break nfdump's limits.
 */
size_t nfr_nbar(uint8_t *buf, size_t cap, const struct nfr_app *a, unsigned n,
		uint8_t id_len, uint16_t name_len, uint16_t desc_len);

/* One-entry NbarRecord with lengths chosen to fit the strings and keep the
 * record a multiple of 4 bytes. */
size_t nfr_nbar1(uint8_t *buf, size_t cap, const uint8_t *id, uint8_t id_len,
		 const char *name, const char *desc);

struct nfr_ifname {
	uint32_t ifindex;
	const char *name;
};

/* An IfNameRecord (type 13): 16-byte names, as nfcapd writes them. */
size_t nfr_ifname(uint8_t *buf, size_t cap, const struct nfr_ifname *e,
		  unsigned n);

/*
 * Stable NBAR id for a program: engine 6 and a 7-byte SHA-256 prefix of
 * (comm, exe, extra). The same inputs give the same id on every host,
 * restart and file, with nothing stored; nfdump's NBAR table is global to a
 * run, so ids must never mean two things. 56 bits make accidental
 * collisions negligible and a chosen one costs ~2^56 hashes; a 3-byte
 * selector (which %nbid would print readably) would need a persistent
 * registry. %nbnam is right either way; %nbid prints the id oddly.
 * Pass @extra (e.g. the MD5) when the description contains it, so an id
 * never names two different texts. Returns 0, or -1 if hashing failed.
 */
int nfw_app_id(uint8_t id[NFR_APP_ID_LEN], const char *comm, const char *exe,
	       const char *extra);

/* An empty stat: no flows, first/last at their "unset" sentinels. */
void nfr_stat_init(struct nff_stat *s);
/* Add one flow the way nfdump's UpdateStat does: in+out into totals and the
 * protocol bucket; ICMP and ICMPv6 share one bucket. */
void nfr_stat_add_flow(struct nff_stat *s, const struct nfw_flow *f);
/* The same for an encoded record; non-V3 records are ignored. */
void nfr_stat_add_record(struct nff_stat *s, const uint8_t *rec, size_t len);
/* An empty file's window is its slot, as nfcapd writes it. */
void nfr_stat_finish(struct nff_stat *s, uint64_t slot_first_ms,
		     uint64_t slot_last_ms);

/*
 * Check that @len bytes hold exactly @nrec records nfdump 1.7.1 can walk
 * without exiting: sizes >= 4 that tile the block, V3 element lengths that
 * add up, array records that fit. Returns 1 if so, 0 if not; *@appendix is
 * set when an ident/stat record is present.
 */
int nfr_block_valid(const uint8_t *p, size_t len, uint32_t nrec, int *appendix);

#endif
