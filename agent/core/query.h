/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capability queries: "the nearest N nodes with role R, at least C free
 * cores, M MB of free memory and G GB of free disk, in zone Z", over the
 * capabilities the nodes advertise and the path costs of SPF. Pure: the
 * control socket's "find" (daemon/ctl.c) hands it the candidates, and
 * libxmesh and `xmesh node find` both ask through that one command
 * (Documentation/libxmesh.md).
 *
 * Free cores = cores x (1 - load per core) = cores - 1-minute load
 * average, at least 0: what is left of the node's CPUs. Kept in
 * hundredths of a core, as the load is advertised.
 */
#ifndef XM_QUERY_H
#define XM_QUERY_H

#include "core.h"

#define XM_QUERY_COUNT_MAX	64	/* nodes one query may return */

struct xm_query {
	const char *role;		/* NULL: any */
	const char *zone;		/* NULL: any */
	unsigned int count;		/* at most this many; 0 counts as 1 */
	uint32_t min_cores;		/* CPUs, busy or not */
	uint32_t min_free_centicores;	/* free cores x 100 */
	uint32_t min_free_mem_mb;
	uint32_t min_free_disk_gb;
};

struct xm_query_candidate {
	uint32_t node;
	const struct xm_caps *caps;
	uint32_t cost;			/* path cost; UINT32_MAX: unreachable */
};

/* A node's free cores x 100 (above). */
uint32_t xm_caps_free_centicores(const struct xm_caps *c);

/* The node advertises role (roles compare as whole strings). */
bool xm_caps_has_role(const struct xm_caps *c, const char *role);

/* c passes every filter of q (reachability aside). */
bool xm_query_fits(const struct xm_query *q, const struct xm_caps *c);

/*
 * The answer to q among cand[0..n): reorders cand so that its first k
 * entries are the reachable ones that fit, nearest first (ties: more free
 * cores first, then the lower node id), k at most q->count; returns k.
 */
size_t xm_query_select(const struct xm_query *q,
		       struct xm_query_candidate *cand, size_t n);

#endif /* XM_QUERY_H */
