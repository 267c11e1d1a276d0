/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Graphs for tests and the simulator: written as text, and a reference
 * shortest-path computation independent of the SPF engine it checks.
 */
#ifndef XM_REFGRAPH_H
#define XM_REFGRAPH_H

#include "spf.h"

/*
 * "1-2:10 2-3:5 4>1:7 6 !3": '-' an edge both ways, '>' one way, a bare
 * id a node without edges, "!3" node 3 no_transit. 0, -EINVAL or
 * -ENOMEM. xm_graph_free().
 */
int xm_graph_parse(struct xm_graph *g, const char *spec);

/*
 * Hop-layered Bellman-Ford: d[h * n + v] = the least cost from root to v
 * over at most h hops (UINT64_MAX: none), for h < layers, never through a
 * no_transit node other than root.
 */
void xm_ref_distances(const struct xm_graph *g, uint32_t root,
		      unsigned int layers, uint64_t *d);

/*
 * Takahashi-Matsuyama: grow a tree from root by the receiver (graph
 * indexes recv[0..n)) nearest to it, each time; a 2-approximation of the
 * Steiner tree (the optimum costs at least half of it). Its cost, the
 * unreachable receivers left out, in *cost; 0 or -ENOMEM.
 */
int xm_ref_steiner_cost(const struct xm_graph *g, uint32_t root,
			const uint32_t *recv, size_t n, uint64_t *cost);

#endif /* XM_REFGRAPH_H */
