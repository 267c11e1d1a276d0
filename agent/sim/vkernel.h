/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A node's kernel tables as xmesh.ko keeps them, changed the way
 * xmnl_apply(XM_APPLY_MERGED) changes them: each run of changes of one
 * command is one message, checked whole against the tables before it
 * (uapi/linux/xmesh.h: -EEXIST, -ENOENT, -EINVAL as the module answers)
 * and applied all or nothing; a refused run leaves the others applied.
 */
#ifndef XM_VKERNEL_H
#define XM_VKERNEL_H

#include "fib.h"

struct xm_vkernel {
	uint32_t node_id;		/* routes to it are refused */
	struct xm_fib t;		/* sorted as struct xm_fib says */
	uint64_t changes;		/* entries applied */
	uint64_t fwd_changes;		/* of them, changes of forwarding:
					 * routes, prefixes, a neighbor
					 * going up or down (not a down one
					 * added or removed) */
	uint64_t messages;		/* runs applied */
	uint64_t refused;		/* runs refused */
	uint64_t dangling;		/* times a route named a missing
					 * neighbor after a message */
	int last_err;
	char last_error[160];
	size_t cap_neighs, cap_routes, cap_prefixes, cap_mroutes;
};

void xm_vkernel_init(struct xm_vkernel *k, uint32_t node_id);
void xm_vkernel_free(struct xm_vkernel *k);

/* Apply c[0..n); 0 or the first run's error (each c[i].err set). */
int xm_vkernel_apply(struct xm_vkernel *k, struct xm_change *c, size_t n);

/* Bring the tables to want with xm_fib_diff(); 0 or an error. */
int xm_vkernel_sync(struct xm_vkernel *k, const struct xm_fib *want);

/* XMESH_CMD_NEIGH_SET of one neighbor's state; false if none. */
bool xm_vkernel_neigh_state(struct xm_vkernel *k, uint32_t id, bool up);

const struct xm_fib_neigh *xm_vkernel_neigh(const struct xm_vkernel *k,
					    uint32_t id);
/* The default route to dst; a traffic class's (1 bulk .. 4). */
const struct xm_fib_route *xm_vkernel_route(const struct xm_vkernel *k,
					    uint32_t dst);
const struct xm_fib_route *xm_vkernel_class_route(const struct xm_vkernel *k,
						  uint32_t dst, uint8_t tclass);

/* The tables as a dump would return them (types XMESH_A_*). */
int xm_vkernel_dump(const struct xm_vkernel *k, struct xm_entry **e,
		    size_t *n);

#endif /* XM_VKERNEL_H */
