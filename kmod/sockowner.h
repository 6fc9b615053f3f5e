/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_SOCKOWNER_H
#define EXEFLOW_SOCKOWNER_H

#include <linux/types.h>

struct ef_proc;

/*
 * Socket-owner map: socket cookie -> process record, filled when a task
 * sends on its own socket (attribution gate) or accept()s it (accept
 * probe). Flows born in softirq take their socket's owner from here.
 */
int ef_sockowner_init(unsigned int max);
void ef_sockowner_exit(void);
bool ef_sockowner_set(u64 cookie, struct ef_proc *p, bool accepted);
struct ef_proc *ef_sockowner_get(u64 cookie, u8 *method);
void ef_sockowner_del(u64 cookie);
void ef_sockowner_gc(void);
u32 ef_sockowner_gen(void);
unsigned int ef_sockowner_count(void);

#endif /* EXEFLOW_SOCKOWNER_H */
