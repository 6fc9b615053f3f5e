/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_SK_H
#define EXEFLOW_SK_H

#include <linux/types.h>

struct sock;

/* Socket identity helpers; all safe in softirq context. */
bool ef_sk_user(struct sock *sk);
u64 ef_sk_cookie(struct sock *sk);
bool ef_sk_creds(struct sock *sk, u32 *uid, u64 *cgid);

#endif /* EXEFLOW_SK_H */
