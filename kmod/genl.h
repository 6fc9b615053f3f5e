/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_GENL_H
#define EXEFLOW_GENL_H

#include <net/genetlink.h>

extern struct genl_family ef_family;

int ef_genl_init(void);
void ef_genl_exit(void);

#endif /* EXEFLOW_GENL_H */
