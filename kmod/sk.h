/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_SK_H
#define EXEFLOW_SK_H

#include <linux/net.h>
#include <linux/types.h>
#include <net/request_sock.h>
#include <net/sock.h>

/* Socket identity helpers; all safe in softirq context. */

/* The full socket of @sk: a request sock answers for its listener. */
static inline struct sock *ef_sk_full(struct sock *sk)
{
	if (sk_fullsock(sk))
		return sk;
	if (sk->sk_state == TCP_NEW_SYN_RECV)
		return inet_reqsk(sk)->rsk_listener;
	return NULL;
}

/*
 * A socket opened by a process (it has a file), not a kernel socket.
 * Inline: the hook asks for every packet with a socket.
 */
static inline bool ef_sk_user(struct sock *sk)
{
	struct socket *sock;

	sk = ef_sk_full(sk);
	if (!sk)
		return false;
	sock = READ_ONCE(sk->sk_socket);
	return sock && READ_ONCE(sock->file);
}

u64 ef_sk_cookie(struct sock *sk);
bool ef_sk_creds(struct sock *sk, u32 *uid, u64 *cgid);

#endif /* EXEFLOW_SK_H */
