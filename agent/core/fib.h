/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bringing the kernel's tables in line with the core's desired ones: the
 * difference as one list of changes (agent/lib's xm_change) that
 * xmnl_apply() sends in as few round trips as it can, in an order that
 * never leaves a route pointing at a missing neighbor: neighbors added
 * or replaced, routes added or replaced, prefixes added, then prefixes,
 * routes and neighbors deleted. An entry that is already as wanted
 * produces no change, so a restarted agent causes no churn.
 */
#ifndef XM_FIB_H
#define XM_FIB_H

#include "core.h"
#include "xmesh_change.h"

/*
 * want: the core's; have: read back from the kernel (xm_fib_from_kernel).
 * Appends to *out (realloc'd; *n its length). ifindex: the xmesh device.
 * 0 or -ENOMEM.
 */
int xm_fib_diff(const struct xm_fib *want, const struct xm_fib *have,
		uint32_t ifindex, struct xm_change **out, size_t *n);

/*
 * One kernel neighbor or route (a dump's, or a change's) as a fib entry:
 * a port not given is the default one, a state not given is down.
 */
void xm_fib_neigh_from_kernel(const struct xm_neigh *k,
			      struct xm_fib_neigh *n);
void xm_fib_route_from_kernel(const struct xm_route *k,
			      struct xm_fib_route *r);
/* Kernel dump entries (XMESH_A_NEIGH/ROUTE/PREFIX) into a sorted fib. */
int xm_fib_from_kernel(const struct xm_entry *e, size_t n,
		       struct xm_fib *out);
void xm_fib_free(struct xm_fib *f);
/* Sort the three tables into the order struct xm_fib documents. */
void xm_fib_sort(struct xm_fib *f);
/* The order of routes: destination, then class (the default table first). */
int xm_fib_route_cmp(const struct xm_fib_route *a,
		     const struct xm_fib_route *b);
/* That order of prefixes: family, address, length. */
int xm_fib_prefix_cmp(const struct xm_fib_prefix *a,
		      const struct xm_fib_prefix *b);

#endif /* XM_FIB_H */
