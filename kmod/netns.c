// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace life cycle. .init gives the namespace its id and
 * hooks (namespaces created later are covered too); .pre_exit unhooks;
 * the core runs synchronize_rcu() before .exit, so no hook is still
 * running when .exit ends the namespace's flows (END_REASON FLUSH).
 * Flows hold no reference on the namespace, only its id.
 */
#include <linux/atomic.h>
#include <linux/netfilter.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "export.h"
#include "hook.h"
#include "netns.h"

static unsigned int ef_net_id __read_mostly;
static atomic64_t ef_netns_ids = ATOMIC64_INIT(0);

static int __net_init ef_net_init(struct net *net)
{
	struct ef_net *en = net_generic(net, ef_net_id);
	int i;

	en->id = atomic64_inc_return(&ef_netns_ids);
	memcpy(en->ops, ef_hook_ops, sizeof(en->ops));
	for (i = 0; i < EF_NHOOKS; i++)
		en->ops[i].priv = en;
	return nf_register_net_hooks(net, en->ops, EF_NHOOKS);
}

static void __net_exit ef_net_pre_exit(struct net *net)
{
	struct ef_net *en = net_generic(net, ef_net_id);

	nf_unregister_net_hooks(net, en->ops, EF_NHOOKS);
}

static void __net_exit ef_net_exit(struct net *net)
{
	struct ef_net *en = net_generic(net, ef_net_id);

	ef_export_end_netns(en->id);
}

static struct pernet_operations ef_net_ops = {
	.init		= ef_net_init,
	.pre_exit	= ef_net_pre_exit,
	.exit		= ef_net_exit,
	.id		= &ef_net_id,
	.size		= sizeof(struct ef_net),
};

u64 ef_netns_id(const struct net *net)
{
	const struct ef_net *en = net_generic(net, ef_net_id);

	/* 0 (no id) before our .init ran for @net */
	return en ? en->id : 0;
}

int ef_netns_init(void)
{
	return register_pernet_subsys(&ef_net_ops);
}

void ef_netns_exit(void)
{
	unregister_pernet_subsys(&ef_net_ops);
}
