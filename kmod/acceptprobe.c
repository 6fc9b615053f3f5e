// SPDX-License-Identifier: GPL-2.0
/*
 * The accept probe. Its return handler runs in the accepting task (task
 * context, preemption disabled, must not sleep) and only reads the return
 * value, so the 6.10 change of inet_csk_accept()'s arguments does not
 * matter. The child socket's cookie equals the one its SYN-ACK (request
 * sock) carried, so the flow created in softirq finds the owner.
 *
 * The tables it feeds use _bh spinlocks, whose unlock may run softirqs:
 * fine with interrupts enabled (the rethook-based kretprobes of 5.19+),
 * not where the handler runs under an irqsave lock (5.10's kretprobe hash
 * lock). There the probe is not offered (compat.h: EF_KRETPROBE_USABLE)
 * and attribution falls back to the server's first send.
 */
#include <linux/irqflags.h>
#include <linux/kprobes.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <net/sock.h>

#include "acceptprobe.h"
#include "compat.h"
#include "params.h"
#include "proc.h"
#include "sk.h"
#include "sockowner.h"
#include "stats.h"

static DEFINE_MUTEX(ef_ap_lock);
static bool ef_ap_ready;	/* between init and exit: apply changes */

#ifdef EF_KRETPROBE_USABLE

static struct kretprobe ef_ap;
static bool ef_ap_registered;

static int ef_ap_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct sock *sk = (struct sock *)regs_return_value(regs);
	struct ef_proc *p;

	if (IS_ERR_OR_NULL(sk) || !in_task() || irqs_disabled() ||
	    (current->flags & PF_KTHREAD) || !sk_fullsock(sk))
		return 0;
	p = ef_proc_get_current();
	if (!p)
		return 0;
	if (ef_sockowner_set(ef_sk_cookie(sk), p, true))
		ef_stat_inc(EXEFLOW_S_ACCEPT_PROBE);
	ef_proc_put(p);
	return 0;
}

static int ef_ap_apply(bool on)
{
	int err;

	if (on == ef_ap_registered)
		return 0;
	if (!on) {
		unregister_kretprobe(&ef_ap);
		if (ef_ap.nmissed)
			pr_info("exeflow: accept probe missed %d calls\n",
				ef_ap.nmissed);
		ef_ap_registered = false;
		return 0;
	}
	/* a kretprobe may be registered again only from a clean state */
	memset(&ef_ap, 0, sizeof(ef_ap));
	ef_ap.kp.symbol_name = "inet_csk_accept";
	ef_ap.handler = ef_ap_ret;
	ef_ap.maxactive = 64 + 2 * num_possible_cpus();
	err = register_kretprobe(&ef_ap);
	if (err) {
		pr_warn("exeflow: accept probe unavailable (%d)\n", err);
		return err;
	}
	ef_ap_registered = true;
	return 0;
}

#else /* !EF_KRETPROBE_USABLE */

static int ef_ap_apply(bool on)
{
	if (!on)
		return 0;
	pr_info("exeflow: accept probe not supported on this kernel\n");
	return -EOPNOTSUPP;
}

#endif /* EF_KRETPROBE_USABLE */

int ef_acceptprobe_set(unsigned int on)
{
	int err = 0;

	mutex_lock(&ef_ap_lock);
	if (ef_ap_ready)
		err = ef_ap_apply(on);
	if (!err)
		WRITE_ONCE(ef_p_accept_probe.val, on);
	mutex_unlock(&ef_ap_lock);
	return err;
}

/*
 * Never fails the load: without the probe, accepted sockets are attributed
 * when the server first sends.
 */
int ef_acceptprobe_init(void)
{
	mutex_lock(&ef_ap_lock);
	ef_ap_ready = true;
	if (ef_param(accept_probe) && ef_ap_apply(true))
		WRITE_ONCE(ef_p_accept_probe.val, 0);
	mutex_unlock(&ef_ap_lock);
	return 0;
}

void ef_acceptprobe_exit(void)
{
	mutex_lock(&ef_ap_lock);
	ef_ap_ready = false;
	ef_ap_apply(false);
	mutex_unlock(&ef_ap_lock);
}
