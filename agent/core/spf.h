/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal to core/: the shortest-path engine behind xm_spf_run() and
 * xm_routes_compute(), with scratch space that many runs over one graph
 * share.
 */
#ifndef XM_SPF_H
#define XM_SPF_H

#include "graph.h"

#define XM_SPF_UNBOUNDED	(-1)

/*
 * A run's states: one per node without a hop bound, one per (node, hops)
 * pair with one. Sized for the largest run it will serve.
 */
struct xm_spf_ws {
	uint32_t n, layers;
	uint32_t *scost;	/* per state: best cost found */
	uint32_t *spar;		/* per state: predecessor state */
	uint64_t *sfh;		/* per state: root edges starting it */
	uint8_t *shops;		/* per state: hops (saturated at 255) */
	uint32_t *pos;		/* per state: index in heap, or a mark */
	struct xm_heap_slot {
		uint64_t key;	/* cost << 8 | hops: no lookup to compare */
		uint32_t s;
	} *heap;		/* states, a binary min-heap */
	uint32_t n_heap;
	/* Per node, under a bound: the pruning of dominated states. */
	uint32_t *last_cost;
	uint16_t *hmin_below, *hmin_at;
	/* xm_spf_costs()'s radix heap: 33 buckets of entries, linked. */
	struct xm_radix_entry {
		uint32_t key, node, next;
	} *radix;
	uint32_t radix_cap, radix_used, radix_last;
	uint32_t bucket[33];
};

/* A bound that cannot bind (>= n - 1 hops) becomes XM_SPF_UNBOUNDED. */
int xm_spf_bound(const struct xm_graph *g, int bound);
static inline uint32_t xm_spf_layers(int bound)
{
	return bound < 0 ? 1 : (uint32_t)bound + 1;
}

int xm_spf_ws_init(struct xm_spf_ws *w, uint32_t n, uint32_t layers);
void xm_spf_ws_free(struct xm_spf_ws *w);

/*
 * Least costs from root over paths of at most bound hops (after
 * xm_spf_bound()), never through a no_transit node other than the root.
 * Fills cost, and whichever of the other per-node outputs are not NULL.
 */
void xm_spf_engine(const struct xm_graph *g, uint32_t root, int bound,
		   struct xm_spf_ws *w, uint32_t *cost, uint8_t *hops,
		   uint32_t *parent, uint64_t *first_hops);

/*
 * xm_spf_engine() without a bound and with costs only (what the
 * alternates need, many times over): the same costs, from a radix heap.
 * 0 or -ENOMEM.
 */
int xm_spf_costs(const struct xm_graph *g, uint32_t root,
		 struct xm_spf_ws *w, uint32_t *cost);

/* A directed edge between node ids, to build a graph from. */
struct xm_graph_edge {
	uint32_t from, to, metric;
};

/*
 * The graph of nodes ids[0..n) (any order, no duplicates) and edges
 * (those naming an unknown id are left out); no node no_transit.
 * xm_graph_free(). 0 or -ENOMEM.
 */
int xm_graph_build(struct xm_graph *g, const uint32_t *ids, size_t n,
		   const struct xm_graph_edge *e, size_t n_e);

/* g with every edge reversed: distances *to* a root. xm_graph_free(). */
int xm_graph_transpose(const struct xm_graph *g, struct xm_graph *t);
void xm_graph_free(struct xm_graph *g);

#endif /* XM_SPF_H */
