/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exeflowd's log: one line per event on stderr, which systemd puts in the
 * journal. Repeated conditions (a full disk) are logged when they start
 * and when they end, not once per record.
 */
#ifndef EXEFLOW_LOG_H
#define EXEFLOW_LOG_H

__attribute__((format(printf, 1, 2)))
void ef_log(const char *fmt, ...);

#endif
