/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXEFLOW_ACCEPTPROBE_H
#define EXEFLOW_ACCEPTPROBE_H

/*
 * Optional kretprobe on inet_csk_accept(): records the accepting task as
 * the owner of the new socket, so inbound connections are attributed even
 * if the server never sends. Controlled by the accept_probe parameter.
 */
int ef_acceptprobe_init(void);
void ef_acceptprobe_exit(void);
int ef_acceptprobe_set(unsigned int on);

#endif /* EXEFLOW_ACCEPTPROBE_H */
