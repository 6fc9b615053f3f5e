/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Client side of the EXEFLOW generic netlink family (libnl-genl-3).
 *
 * Two sockets, because a registered socket receives unsolicited RECORDS
 * batches at any time, and a request/reply exchange on that socket would
 * have to step around them:
 *   - the command socket: GET_STATS, GET_FLOWS, FLUSH (blocking, with a
 *     timeout so a wedged module cannot hang the caller forever);
 *   - the event socket (EF_OPEN_EVENTS only): REGISTER/UNREGISTER and the
 *     record stream, non-blocking, with a large receive buffer, for poll().
 *
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure; ef_strerror() turns those into sentences. Errors the kernel
 * reports are passed through as they came (-EPERM, -ENOENT, ...).
 */
#ifndef EXEFLOW_NLCLIENT_H
#define EXEFLOW_NLCLIENT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "recparse.h"

struct ef_client;

/* ef_client_open() flags */
#define EF_OPEN_EVENTS	(1u << 0)	/* also open the event socket */

/* Distinct results worth a branch in the caller. */
#define EF_ENOTLOADED	(-ENOENT)	/* family EXEFLOW not found */
#define EF_EPERM	(-EPERM)	/* needs CAP_NET_ADMIN */
#define EF_EOVERRUN	(-ENOBUFS)	/* event socket overran: records lost */
#define EF_EDUMPINTR	(-EINTR)	/* table changed during a dump */

struct ef_client_opts {
	unsigned int flags;		/* EF_OPEN_* */
	int rcvbuf;			/* event socket buffer, 0 = 16 MiB */
	int timeout_ms;			/* per request, 0 = 10 s */
};

/* Local counters (not the module's: those are struct ef_stats). */
struct ef_client_counters {
	uint64_t records;	/* delivered to a callback */
	uint64_t malformed;	/* records rejected by the parser */
	uint64_t overruns;	/* ENOBUFS seen on the event socket */
	uint64_t ignored;	/* messages with an unexpected command */
};

/*
 * opts may be NULL (command socket only, defaults). Fails with EF_ENOTLOADED
 * when the module is absent (or we are outside the initial netns).
 */
int ef_client_open(struct ef_client **out, const struct ef_client_opts *opts);
void ef_client_close(struct ef_client *c);

/*
 * Adopt sockets the caller set up (connected and non-blocking, or with
 * libnl send/recv overrides, as the unit tests do) and a resolved family
 * id. Ownership passes to the client on success; ev may be NULL.
 */
struct nl_sock;
int ef_client_wrap(struct ef_client **out, struct nl_sock *cmd,
		   struct nl_sock *ev, int family,
		   const struct ef_client_opts *opts);

int ef_client_family_id(const struct ef_client *c);
/* Event socket fd for poll(POLLIN), or -1 without EF_OPEN_EVENTS. */
int ef_client_event_fd(const struct ef_client *c);
/* Netlink port id of the event socket: what GET_STATS reports as listener. */
uint32_t ef_client_event_portid(const struct ef_client *c);
void ef_client_counters(const struct ef_client *c,
			struct ef_client_counters *out);

/*
 * Make the event socket the export target. From here on records go to fn
 * (also those that race with the REGISTER reply). st, if non-NULL, gets the
 * counters from the reply. The record fn gets (here and from get_flows)
 * lives in the client until fn returns: fn must not call
 * ef_client_recv() or ef_client_get_flows() on the same client.
 */
int ef_client_register(struct ef_client *c, ef_record_fn fn, void *arg,
		       struct ef_stats *st);
int ef_client_unregister(struct ef_client *c);

/*
 * Drain the event socket (call when poll() reports POLLIN): every record of
 * every RECORDS message goes to the registered fn. Returns the number of
 * records delivered (0 if nothing was waiting), or EF_EOVERRUN once per
 * overrun (records were lost: resync with get_stats/get_flows, then keep
 * calling), or another negative errno.
 */
int ef_client_recv(struct ef_client *c);

int ef_client_get_stats(struct ef_client *c, struct ef_stats *st);

/*
 * Dump the live table, fn once per flow. Returns the number of records, or
 * EF_EDUMPINTR after delivering them all if the table changed meanwhile
 * (some flows may be missing or repeated).
 */
int ef_client_get_flows(struct ef_client *c, ef_record_fn fn, void *arg);

/* End every live flow now; their END records go to the listener first. */
int ef_client_flush(struct ef_client *c, struct ef_stats *st);

/* Sentence for a negative return value of the functions above. */
const char *ef_strerror(int err);

#endif
