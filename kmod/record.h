/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_RECORD_H
#define EXEFLOW_RECORD_H

#include <linux/types.h>

struct ef_flow;
struct sk_buff;

/* Room for one record with the longest path (sizing a lone record). */
#define EF_RECORD_MAX	(PATH_MAX + 1024)

/* Append one nested EXEFLOW_A_FLOW; -EMSGSIZE (nothing added) if full. */
int ef_record_put(struct sk_buff *skb, const struct ef_flow *f, u8 event,
		  u64 seq);

#endif /* EXEFLOW_RECORD_H */
