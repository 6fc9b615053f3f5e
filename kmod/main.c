// SPDX-License-Identifier: GPL-2.0
/*
 * exeflow: endpoint flow records attributed to the owning process.
 * Module init and exit; the exit order matters (kernel-notes §3.4):
 * stop every producer before the structures they feed go away, and
 * free every object before its cache is destroyed.
 */
#include <linux/module.h>
#include <linux/workqueue.h>

#include "acceptprobe.h"
#include "export.h"
#include "flowtable.h"
#include "genl.h"
#include "ifname.h"
#include "main.h"
#include "netns.h"
#include "params.h"
#include "proc.h"
#include "sockowner.h"
#include "stats.h"

#define EXEFLOW_VERSION	"0.1.0"

struct workqueue_struct *ef_wq;

static int __init ef_init(void)
{
	int err;

	err = ef_stats_init();
	if (err)
		return err;
	err = -ENOMEM;
	ef_wq = alloc_workqueue("exeflow", WQ_UNBOUND, 0);
	if (!ef_wq)
		goto err_stats;
	err = ef_flowtable_init(ef_param(hash_size));
	if (err)
		goto err_wq;
	err = ef_proc_init();
	if (err)
		goto err_flowtable;
	err = ef_sockowner_init(ef_param(max_owners));
	if (err)
		goto err_proc;
	err = ef_genl_init();
	if (err)
		goto err_sockowner;
	ef_export_start();
	err = ef_netns_init();		/* packets start flowing in */
	if (err)
		goto err_genl;
	err = ef_ifname_init();		/* needs the namespaces' ids */
	if (err)
		goto err_netns;
	ef_acceptprobe_init();
	pr_info("exeflow " EXEFLOW_VERSION " loaded (accept probe %s)\n",
		ef_param(accept_probe) ? "on" : "off");
	return 0;

err_netns:
	ef_netns_exit();
err_genl:
	ef_genl_exit();
	ef_export_stop();
	flush_workqueue(ef_wq);
	ef_export_exit();
	ef_ifname_exit();
err_sockowner:
	ef_sockowner_exit();
err_proc:
	ef_proc_exit();
err_flowtable:
	ef_flowtable_exit();
err_wq:
	destroy_workqueue(ef_wq);
err_stats:
	ef_stats_exit();
	return err;
}

static void __exit ef_exit(void)
{
	/* producers: the accept probe, then the hooks of every netns */
	ef_acceptprobe_exit();
	ef_ifname_stop();		/* names kept for the last records */
	ef_netns_exit();		/* unhooks, RCU grace, ends all flows */
	ef_export_final();		/* last non-blocking send */
	ef_genl_exit();			/* no command runs after this */
	ef_export_stop();		/* no exporter run after this */
	destroy_workqueue(ef_wq);	/* drains the exe resolver */
	/* consumers, in dependency order */
	ef_export_exit();		/* backlog records */
	ef_ifname_exit();
	ef_sockowner_exit();
	ef_flowtable_exit();		/* flow cache (records use it too) */
	ef_proc_exit();			/* process records, last */
	ef_stats_exit();
	pr_info("exeflow unloaded\n");
}

module_init(ef_init);
module_exit(ef_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("exeflow authors");
MODULE_DESCRIPTION("Endpoint flow records attributed to the owning process");
MODULE_VERSION(EXEFLOW_VERSION);
