/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_MAIN_H
#define EXEFLOW_MAIN_H

struct workqueue_struct;

/* The module's own unbound workqueue: exporter and exe resolver. */
extern struct workqueue_struct *ef_wq;

#endif /* EXEFLOW_MAIN_H */
