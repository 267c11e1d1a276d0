/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The topology as SPF sees it, and the computations over it: shortest
 * paths under a policy (Dijkstra on a binary heap), the kernel routes
 * with loop-free alternates, and the metric of one adjacency.
 *
 * Pure functions of their arguments: the core builds an xm_graph from its
 * link-state database (an edge only when both ends advertise it) and
 * calls xm_routes_compute() when the SPF throttle lets it.
 */
#ifndef XM_GRAPH_H
#define XM_GRAPH_H

#include "core.h"

#define XM_COST_INF	UINT32_MAX
/*
 * The largest adjacency cost, and the cost of a link losing nearly every
 * probe (xm_metric()): 255 hops of it still sum below XM_COST_INF.
 */
#define XM_METRIC_MAX	(XM_COST_INF / 256)

struct xm_gedge {
	uint32_t to;			/* index into xm_graph.node */
	uint32_t metric;		/* > 0 */
};

struct xm_gnode {
	uint32_t id;			/* node id */
	bool no_transit;		/* excluded zone: destination only */
	uint32_t first_edge, n_edges;	/* its slice of xm_graph.edge */
};

struct xm_graph {
	uint32_t n_nodes, n_edges;
	struct xm_gnode *node;		/* sorted by id */
	struct xm_gedge *edge;
};

/* Index of node id, or -1. */
long xm_graph_find(const struct xm_graph *g, uint32_t id);

/* Shortest paths from one root. */
struct xm_spf {
	uint32_t n;			/* = graph's n_nodes */
	uint32_t *cost;			/* XM_COST_INF if unreachable */
	uint8_t *hops;
	uint32_t *parent;		/* index; root's is itself;
					 * UINT32_MAX if unreachable */
	uint64_t *first_hops;		/* bit i: the root's i-th edge (up to
					 * 64) starts a shortest path: ECMP */
	/*
	 * Under max_hops the paths form no tree (a node's predecessor may
	 * be reached by a costlier path with fewer hops than its own best):
	 * the predecessor of every (node, hops) state, for xm_spf_path().
	 * 0 and NULL without a bound.
	 */
	uint32_t layers;
	uint32_t *state_parent;
};

/*
 * Dijkstra from root under max_hops (0: none; then the least-cost path of
 * at most max_hops hops), never through no_transit nodes. Allocates
 * r's arrays (xm_spf_free). 0 or -ENOMEM.
 */
int xm_spf_run(const struct xm_graph *g, uint32_t root, uint8_t max_hops,
	       struct xm_spf *r);
void xm_spf_free(struct xm_spf *r);

/*
 * The path to node index v: path[0] = the root ... path[n] = v, all
 * indexes. Exact under max_hops, where following parent[] is not.
 * Returns the hop count n, -ENOENT if v is unreachable, -E2BIG if more
 * than max nodes.
 */
int xm_spf_path(const struct xm_spf *r, uint32_t v, uint32_t *path,
		unsigned int max);

/* The root's adjacencies as the kernel knows them. */
struct xm_local_adj {
	uint32_t node;			/* neighbor node id */
	uint32_t neigh;			/* kernel neighbor id */
	uint32_t metric;
};

/*
 * The routes for every reachable destination: primaries (priority 0,
 * equal-cost next hops share it) and loop-free alternates (RFC 5286
 * inequality 1, priorities 1.. by cost) up to 8 next hops, through any
 * of the adjacencies to the same neighbor node. Fills fib->routes
 * (sorted by dst; caller frees). 0 or -ENOMEM.
 */
int xm_routes_compute(const struct xm_graph *g, uint32_t self,
		      const struct xm_local_adj *adj, size_t n_adj,
		      uint8_t max_hops, struct xm_fib *fib);

/*
 * The cost of an adjacency (Documentation/xmeshd-metric.md): latency
 * from the smoothed RTT, a bandwidth term, times an ETX-like loss factor.
 * Never 0; XM_METRIC_MAX for a link losing nearly every probe.
 */
uint32_t xm_metric(uint32_t srtt_us, uint32_t loss_ppm,
		   uint32_t bandwidth_mbps);
/*
 * The same with the latency and bandwidth terms weighted in percent:
 * xm_metric() is (100, 100); a traffic class's metric (core/classes.h)
 * weighs them its own way. Never 0 while a weight is not.
 */
uint32_t xm_metric_weighted(uint32_t srtt_us, uint32_t loss_ppm,
			    uint32_t bandwidth_mbps, unsigned int latency_pct,
			    unsigned int bandwidth_pct);
/* Hysteresis: advertise new instead of the advertised one? */
bool xm_metric_significant(uint32_t advertised, uint32_t fresh);

#endif /* XM_GRAPH_H */
