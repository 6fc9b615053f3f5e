// SPDX-License-Identifier: GPL-2.0
/*
 * Socket identity: the cookie (the same value SO_COOKIE, ss -e and BPF
 * report; global, never reused) and the creator's uid and cgroup. Request
 * socks (SYN-ACK) answer for their listener, except the cookie, which the
 * accepted child inherits. Timewait socks have no creator data.
 */
#include <linux/cgroup.h>
#include <linux/net.h>
#include <linux/sock_diag.h>
#include <linux/uidgid.h>
#include <net/inet_sock.h>
#include <net/request_sock.h>
#include <net/sock.h>

#include "sk.h"

u64 ef_sk_cookie(struct sock *sk)
{
	u32 c[2];

	sock_diag_save_cookie(sk, c);
	return (u64)c[1] << 32 | c[0];
}

bool ef_sk_creds(struct sock *sk, u32 *uid, u64 *cgid)
{
	sk = ef_sk_full(sk);
	if (!sk)
		return false;
	*uid = from_kuid_munged(&init_user_ns, sock_net_uid(sock_net(sk), sk));
#ifdef CONFIG_SOCK_CGROUP_DATA
	*cgid = cgroup_id(sock_cgroup_ptr(&sk->sk_cgrp_data));
#else
	*cgid = 0;
#endif
	return true;
}
