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
	/*
	 * xm_spf_costs()'s bucket queue (xm_spf_costs_init()): per node its
	 * state and links in its bucket's list; the window's buckets, a
	 * bit per non-empty one; the costs beyond the window in a heap.
	 */
	uint32_t q_nodes, q_shift, q_window, far_cap, n_far;
	uint32_t *qnext, *qprev, *qhead;
	uint8_t *qstate;		/* enum xm_spf_qstate */
	uint64_t *qbits;
	struct xm_spf_far {
		uint32_t cost, node;
	} *far;
	uint64_t q_pushes, q_pops;	/* insertions, expansions: figures */
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

/* A node's place in xm_spf_costs()'s queue, left in qstate after a run. */
enum xm_spf_qstate {
	XM_SPF_Q_OUT,		/* never queued: its cost is what it came with */
	XM_SPF_Q_WINDOW,	/* in a bucket of the window */
	XM_SPF_Q_FAR,		/* beyond the window, in the heap */
	XM_SPF_Q_DONE,		/* expanded: its cost is final */
};

static inline uint32_t xm_cost_add(uint32_t a, uint32_t b)
{
	uint64_t s = (uint64_t)a + b;

	/* Saturate below "unreachable": a huge cost still reaches. */
	return s < XM_COST_INF ? (uint32_t)s : XM_COST_INF - 1;
}

/*
 * Size w's bucket queue for g (its nodes, edges and metrics), before
 * xm_spf_costs() and xm_spf_costs_below() over g. 0 or -ENOMEM.
 */
int xm_spf_costs_init(struct xm_spf_ws *w, const struct xm_graph *g);

/*
 * xm_spf_engine() without a bound and with costs only (what the
 * alternates need, many times over): the same costs, from a bucket queue.
 */
void xm_spf_costs(const struct xm_graph *g, uint32_t root,
		  struct xm_spf_ws *w, uint32_t *cost);

/*
 * The same from a warm start: cost[] comes in with upper bounds U, a
 * real walk's cost from root (XM_COST_INF: none known), and closed along
 * the edges the search follows: U(t) <= U(v) + metric(v, t) for every
 * edge (v, t) out of a node v that may be a way through (not no_transit,
 * U(v) finite). metric(root, X) + the costs from X (X transit) are, and
 * so is the least of several such. Only nodes whose cost beats its bound
 * are queued: the others keep it, their own least cost (see spf.c).
 */
void xm_spf_costs_below(const struct xm_graph *g, uint32_t root,
			struct xm_spf_ws *w, uint32_t *cost);

/*
 * xm_routes_compute()'s routes the slow, plain way: every distance from a
 * full binary-heap Dijkstra (one per neighbor, one over the reversed
 * graph), no warm start, no bucket queue. The reference the tests and
 * xmesh-bench --verify hold the fast one to.
 */
int xm_routes_compute_ref(const struct xm_graph *g, uint32_t self,
			  const struct xm_local_adj *adj, size_t n_adj,
			  uint8_t max_hops, struct xm_fib *fib);

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
