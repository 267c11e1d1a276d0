/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The controller's growing arrays: one helper for every array that grows
 * by doubling (the telemetry's nodes and rates, the remediation engine's
 * targets, the server's connection and body tables...), so that each
 * grows the same way and none can overflow its size computation. The
 * agent has its own (agent/core/util.c, xm_grow()); the controller does
 * not link agent/core.
 */
#ifndef XM_CTL_GROW_H
#define XM_CTL_GROW_H

#include <stddef.h>

/*
 * Make room for need elements of size bytes in the array *p of *cap
 * elements: nothing if it has it, else a capacity of twice *cap (first
 * 16), or need if that is more. 0, or -1 (out of memory, or need * size
 * would overflow) with *p and *cap unchanged.
 */
int xm_ctl_grow(void **p, size_t *cap, size_t need, size_t size);

#endif /* XM_CTL_GROW_H */
