/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-class paths (Documentation/classes.md): a traffic class may minimize
 * its own metric (latency, bandwidth or a mix of the two, from the
 * components every advert carries per adjacency), under its own hop limit
 * and over the zones it may cross. Each such class gets a route table of
 * its own, computed like the default one (xm_routes_compute() over a graph
 * weighted and pruned for the class) and installed with the class set
 * (XMESH_ROUTE_A_TCLASS); the kernel takes a packet's class route when
 * there is one, else the default route.
 *
 * Pure functions of their arguments, like graph.h.
 */
#ifndef XM_CLASSES_H
#define XM_CLASSES_H

#include "graph.h"

/* "default", "latency", "bandwidth", "mix"; NULL if none. */
const char *xm_class_metric_name(uint8_t metric);
/* By name; -1 if none. */
int xm_class_metric_parse(const char *s);

/* Why cp is not valid (a sentence), or NULL. */
const char *xm_class_path_check(const struct xm_class_path *cp);

/* Whether cp differs from the default paths: the class has its own table. */
bool xm_class_path_own(const struct xm_class_path *cp);

/*
 * The class's cost of one adjacency: e's advertised metric for the
 * default metric, else the class's from e's RTT, loss and bandwidth. A
 * drained or dead adjacency (metric XM_METRIC_MAX) stays so.
 */
uint32_t xm_class_metric(const struct xm_class_path *cp,
			 const struct xm_edge *e);

/* What a class's paths are computed over. */
struct xm_class_topo {
	const struct xm_graph *base;	/* the default SPF's graph */
	char (*zone)[XM_NAME_MAX];	/* per base node: its zone */
	struct xm_edge *edge;		/* the adverts', by (from, to) */
	size_t n_edges;
	uint32_t self;
	uint8_t max_hops;		/* the policy's */
};

/* The core's accessors the topology is read through (ctl.h's too). */
struct xm_core;
struct xm_class_source {
	const struct xm_graph *(*graph)(const struct xm_core *c);
	bool (*node)(const struct xm_core *c, size_t i,
		     struct xm_node_status *out);
	bool (*edge)(const struct xm_core *c, size_t i, struct xm_edge *out);
};
extern const struct xm_class_source xm_class_core_source;

/*
 * The topology of core c as read through src (the graph's nodes are the
 * database's, in its order). -ENOENT before the first SPF, -ENOMEM;
 * xm_class_topo_free() after 0.
 */
int xm_class_topo_init(struct xm_class_topo *t, const struct xm_core *c,
		       const struct xm_class_source *src, uint32_t self,
		       uint8_t max_hops);
void xm_class_topo_free(struct xm_class_topo *t);

/*
 * The graph one class runs on: the base graph's nodes and edges, each edge
 * at the class's metric, and every node outside the class's zones (but
 * self) no-transit. xm_graph_free(). 0 or -ENOMEM.
 */
int xm_class_graph(const struct xm_class_topo *t,
		   const struct xm_class_path *cp, struct xm_graph *out);

/*
 * The class's routes, tclass set, appended to fib->routes (realloc'd; the
 * caller sorts): xm_routes_compute() over the class graph, the local
 * adjacencies at the class's metric. 0 or -ENOMEM.
 */
int xm_class_routes(const struct xm_class_topo *t,
		    const struct xm_class_path *cp, uint8_t tclass,
		    const struct xm_local_adj *adj, size_t n_adj,
		    struct xm_fib *fib);

/*
 * The routes of every class of p with its own settings, appended to fib
 * (xm_class_routes()). 0 or -ENOMEM.
 */
int xm_class_routes_all(const struct xm_class_topo *t,
			const struct xm_policy *p,
			const struct xm_local_adj *adj, size_t n_adj,
			struct xm_fib *fib);

/*
 * The class's path to node: every hop and the cost so far at the class's
 * metric. 0, -ENOENT (unreachable for the class) or -ENOMEM.
 */
int xm_class_path_to(const struct xm_class_topo *t,
		     const struct xm_class_path *cp, uint32_t node,
		     struct xm_path *out);

#endif /* XM_CLASSES_H */
