// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family EXEFLOW: initial netns only (netnsok = false),
 * every command GENL_ADMIN_PERM (CAP_NET_ADMIN in the initial user
 * namespace, for both the socket opener and the sender), strict
 * validation (resv_start_op left 0). The protocol is documented in
 * include/uapi/exeflow.h.
 */
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <uapi/exeflow.h>

#include "compat.h"
#include "export.h"
#include "flowtable.h"
#include "genl.h"
#include "record.h"
#include "stats.h"

/* Requests carry no attributes today; anything else is rejected. */
static const struct nla_policy ef_policy[EXEFLOW_A_MAX + 1] = {
	[EXEFLOW_A_FLOW]	= { .type = NLA_REJECT },
	[EXEFLOW_A_STATS]	= { .type = NLA_REJECT },
	[EXEFLOW_A_VERSION]	= { .type = NLA_U32 },
	[EXEFLOW_A_LISTENER]	= { .type = NLA_REJECT },
	[EXEFLOW_A_LAST_SEQ]	= { .type = NLA_REJECT },
};

static int ef_put_stats(struct sk_buff *skb, u32 listener)
{
	u64 v[__EXEFLOW_S_MAX];
	struct nlattr *nest;
	int i;

	ef_stats_read(v);
	if (nla_put_u32(skb, EXEFLOW_A_VERSION, EXEFLOW_GENL_VERSION) ||
	    nla_put_u32(skb, EXEFLOW_A_LISTENER, listener) ||
	    nla_put_u64_64bit(skb, EXEFLOW_A_LAST_SEQ, ef_export_last_seq(),
			      EXEFLOW_A_PAD))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, EXEFLOW_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = EXEFLOW_S_PAD + 1; i < __EXEFLOW_S_MAX; i++)
		if (nla_put_u64_64bit(skb, i, v[i], EXEFLOW_S_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int ef_reply_stats(struct genl_info *info, u32 listener)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put_reply(skb, info, &ef_family, 0,
				info->genlhdr->cmd);
	if (!hdr || ef_put_stats(skb, listener)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
}

/*
 * Reply first, then start exporting: records must not fill the socket
 * before the reply is queued (sends never block, a lost reply would look
 * like a failed REGISTER).
 */
static int ef_cmd_register(struct sk_buff *skb, struct genl_info *info)
{
	int err = ef_reply_stats(info, info->snd_portid);

	if (!err)
		ef_export_register(info->snd_portid);
	return err;
}

static int ef_cmd_unregister(struct sk_buff *skb, struct genl_info *info)
{
	ef_export_unregister(info->snd_portid);
	return 0;
}

static int ef_cmd_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	return ef_reply_stats(info, ef_export_listener());
}

static int ef_cmd_flush(struct sk_buff *skb, struct genl_info *info)
{
	ef_export_flush();
	return ef_reply_stats(info, ef_export_listener());
}

struct ef_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	void *hdr;
	unsigned int n;
};

static int ef_dump_one(const struct ef_flow *f, void *arg)
{
	struct ef_dump *d = arg;

	if (!d->hdr) {
		d->hdr = genlmsg_put(d->skb, NETLINK_CB(d->cb->skb).portid,
				     d->cb->nlh->nlmsg_seq, &ef_family,
				     NLM_F_MULTI, EXEFLOW_CMD_GET_FLOWS);
		if (!d->hdr)
			return -EMSGSIZE;
	}
	if (ef_record_put(d->skb, f, EXEFLOW_EV_LIVE, 0))
		return -EMSGSIZE;
	d->n++;
	return 0;
}

/* Many flows per message; the cursor (bucket, index) is in cb->args. */
static int ef_cmd_get_flows(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long cursor[2] = { cb->args[0], cb->args[1] };
	struct ef_dump d = { .skb = skb, .cb = cb };
	int ret;

	ret = ef_flowtable_walk(cursor, ef_dump_one, &d);
	cb->args[0] = cursor[0];
	cb->args[1] = cursor[1];
	if (d.hdr) {
		if (d.n)
			genlmsg_end(skb, d.hdr);
		else
			genlmsg_cancel(skb, d.hdr);
	}
	if (ret && !d.n)
		return ret;	/* one record larger than the dump buffer */
	return skb->len;
}

static const struct genl_small_ops ef_ops[] = {
	{
		.cmd	= EXEFLOW_CMD_REGISTER,
		.doit	= ef_cmd_register,
		.flags	= GENL_ADMIN_PERM,
	}, {
		.cmd	= EXEFLOW_CMD_UNREGISTER,
		.doit	= ef_cmd_unregister,
		.flags	= GENL_ADMIN_PERM,
	}, {
		.cmd	= EXEFLOW_CMD_GET_FLOWS,
		.dumpit	= ef_cmd_get_flows,
		.flags	= GENL_ADMIN_PERM,
	}, {
		.cmd	= EXEFLOW_CMD_GET_STATS,
		.doit	= ef_cmd_get_stats,
		.flags	= GENL_ADMIN_PERM,
	}, {
		.cmd	= EXEFLOW_CMD_FLUSH,
		.doit	= ef_cmd_flush,
		.flags	= GENL_ADMIN_PERM,
	},
};

struct genl_family ef_family = {
	.name		= EXEFLOW_GENL_NAME,
	.version	= EXEFLOW_GENL_VERSION,
	.hdrsize	= 0,
	.maxattr	= EXEFLOW_A_MAX,
	.policy		= ef_policy,
	.netnsok	= false,
	.parallel_ops	= true,		/* handlers lock for themselves */
	.module		= THIS_MODULE,
	.small_ops	= ef_ops,
	.n_small_ops	= ARRAY_SIZE(ef_ops),
};

/* A closed listener socket stops being the export target at once. */
static int ef_netlink_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC &&
	    net_eq(n->net, &init_net))
		ef_export_unregister(n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block ef_netlink_nb = {
	.notifier_call = ef_netlink_event,
};

int ef_genl_init(void)
{
	int err;

	err = netlink_register_notifier(&ef_netlink_nb);
	if (err)
		return err;
	err = genl_register_family(&ef_family);
	if (err)
		netlink_unregister_notifier(&ef_netlink_nb);
	return err;
}

void ef_genl_exit(void)
{
	genl_unregister_family(&ef_family);
	netlink_unregister_notifier(&ef_netlink_nb);
}
