// SPDX-License-Identifier: GPL-2.0
/*
 * Up to 5.10: kretprobe instances sit in a per-task hash, and return
 * handlers run under its lock taken with irqsave (5.11 made it lockless,
 * 5.19 moved x86 to rethook). Detected by the instance's task member.
 */
#include <linux/kprobes.h>
#include <linux/stddef.h>

int probe_off = offsetof(struct kretprobe_instance, task);
