/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_HOOK_H
#define EXEFLOW_HOOK_H

#include <linux/netfilter.h>

#define EF_NHOOKS	4

/* Template: netns.c copies it per namespace with .priv = struct ef_net. */
extern const struct nf_hook_ops ef_hook_ops[EF_NHOOKS];

#endif /* EXEFLOW_HOOK_H */
