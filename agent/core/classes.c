// SPDX-License-Identifier: GPL-2.0
/* Per-class paths: the class graphs, their routes and paths. */
#include "classes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"

static const char *const metric_names[] = XM_CLASS_METRIC_NAMES;

const char *xm_class_metric_name(uint8_t metric)
{
	return metric < sizeof(metric_names) / sizeof(metric_names[0]) ?
	       metric_names[metric] : NULL;
}

int xm_class_metric_parse(const char *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(metric_names) / sizeof(metric_names[0]); i++)
		if (!strcmp(s, metric_names[i]))
			return (int)i;
	return -1;
}

const char *xm_class_path_check(const struct xm_class_path *cp)
{
	unsigned int i;

	if (!xm_class_metric_name(cp->metric))
		return "the metric is not default, latency, bandwidth or mix";
	if (cp->latency_weight > 100)
		return "the latency weight is above 100 (percent)";
	if (cp->n_zones > XM_CLASS_ZONES_MAX)
		return "more than 8 zones";
	for (i = 0; i < cp->n_zones; i++)
		if (!cp->zones[i][0] ||
		    !memchr(cp->zones[i], '\0', XM_NAME_MAX))
			return "a zone name is empty or too long";
	return NULL;
}

bool xm_class_path_own(const struct xm_class_path *cp)
{
	return cp->metric != XM_CLASS_METRIC_DEFAULT || cp->max_hops ||
	       cp->n_zones;
}

uint32_t xm_class_metric(const struct xm_class_path *cp,
			 const struct xm_edge *e)
{
	unsigned int lat;

	if (e->metric >= XM_METRIC_MAX)
		return XM_METRIC_MAX;
	switch (cp->metric) {
	case XM_CLASS_METRIC_LATENCY:
		lat = 100;
		break;
	case XM_CLASS_METRIC_BANDWIDTH:
		lat = 0;
		break;
	case XM_CLASS_METRIC_MIX:
		lat = cp->latency_weight <= 100 ? cp->latency_weight : 100;
		break;
	default:
		return e->metric ? e->metric : 1;
	}
	return xm_metric_weighted(e->rtt_us, e->loss_ppm, e->bandwidth_mbps,
				  lat, 100 - lat);
}

/* ---- the topology ---- */

static int edge_cmp(const void *a, const void *b)
{
	const struct xm_edge *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return (x->to > y->to) - (x->to < y->to);
}

static const struct xm_edge *edge_find(const struct xm_class_topo *t,
				       uint32_t from, uint32_t to)
{
	struct xm_edge key = { .from = from, .to = to };

	return t->n_edges ? bsearch(&key, t->edge, t->n_edges,
				    sizeof(*t->edge), edge_cmp) : NULL;
}

const struct xm_class_source xm_class_core_source = {
	.graph = xm_core_graph,
	.node = xm_core_node,
	.edge = xm_core_edge,
};

int xm_class_topo_init(struct xm_class_topo *t, const struct xm_core *c,
		       const struct xm_class_source *src, uint32_t self,
		       uint8_t max_hops)
{
	struct xm_node_status st;
	struct xm_edge e;
	size_t i, cap = 0;

	memset(t, 0, sizeof(*t));
	t->base = src->graph(c);
	if (!t->base)
		return -ENOENT;
	t->self = self;
	t->max_hops = max_hops;
	t->zone = calloc(t->base->n_nodes + 1, sizeof(*t->zone));
	if (!t->zone)
		return -ENOMEM;
	for (i = 0; src->node(c, i, &st); i++) {
		long v = xm_graph_find(t->base, st.node);

		if (v >= 0)
			memcpy(t->zone[v], st.caps.zone, XM_NAME_MAX - 1);
	}
	for (i = 0; src->edge(c, i, &e); i++) {
		if (t->n_edges == cap) {
			struct xm_edge *x;

			cap = cap ? 2 * cap : 64;
			x = realloc(t->edge, cap * sizeof(*x));
			if (!x) {
				xm_class_topo_free(t);
				return -ENOMEM;
			}
			t->edge = x;
		}
		t->edge[t->n_edges++] = e;
	}
	if (t->n_edges)
		qsort(t->edge, t->n_edges, sizeof(*t->edge), edge_cmp);
	return 0;
}

void xm_class_topo_free(struct xm_class_topo *t)
{
	free(t->zone);
	free(t->edge);
	memset(t, 0, sizeof(*t));
}

/* ---- the class's graph, routes, paths ---- */

static bool zone_allowed(const struct xm_class_path *cp, const char *zone)
{
	unsigned int i;

	if (!cp->n_zones)
		return true;
	for (i = 0; i < cp->n_zones && i < XM_CLASS_ZONES_MAX; i++)
		if (!strncmp(zone, cp->zones[i], XM_NAME_MAX))
			return true;
	return false;
}

/* The class's cost of the adjacency from -> to whose base cost is base. */
static uint32_t class_cost(const struct xm_class_topo *t,
			   const struct xm_class_path *cp, uint32_t from,
			   uint32_t to, uint32_t base)
{
	const struct xm_edge *e;

	if (cp->metric == XM_CLASS_METRIC_DEFAULT)
		return base;
	if (base >= XM_METRIC_MAX)
		return XM_METRIC_MAX;
	/* Every base edge is advertised, ours too; a fresh one may not be
	 * yet: its default cost until it is. */
	e = edge_find(t, from, to);
	return e ? xm_class_metric(cp, e) : base;
}

int xm_class_graph(const struct xm_class_topo *t,
		   const struct xm_class_path *cp, struct xm_graph *out)
{
	const struct xm_graph *b = t->base;
	uint32_t v, i;

	memset(out, 0, sizeof(*out));
	out->node = calloc(b->n_nodes + 1, sizeof(*out->node));
	out->edge = calloc(b->n_edges + 1, sizeof(*out->edge));
	if (!out->node || !out->edge) {
		xm_graph_free(out);
		return -ENOMEM;
	}
	out->n_nodes = b->n_nodes;
	out->n_edges = b->n_edges;
	memcpy(out->node, b->node, b->n_nodes * sizeof(*out->node));
	memcpy(out->edge, b->edge, b->n_edges * sizeof(*out->edge));
	for (v = 0; v < b->n_nodes; v++) {
		struct xm_gnode *n = &out->node[v];

		if (n->id != t->self && !zone_allowed(cp, t->zone[v]))
			n->no_transit = true;
		for (i = 0; i < n->n_edges; i++) {
			struct xm_gedge *e = &out->edge[n->first_edge + i];

			if (e->to < b->n_nodes)
				e->metric = class_cost(t, cp, n->id,
						       b->node[e->to].id,
						       e->metric);
		}
	}
	return 0;
}

static uint8_t class_hops(const struct xm_class_topo *t,
			  const struct xm_class_path *cp)
{
	return cp->max_hops ? cp->max_hops : t->max_hops;
}

int xm_class_routes(const struct xm_class_topo *t,
		    const struct xm_class_path *cp, uint8_t tclass,
		    const struct xm_local_adj *adj, size_t n_adj,
		    struct xm_fib *fib)
{
	struct xm_fib cf = { 0 };
	struct xm_local_adj *ca;
	struct xm_fib_route *r;
	struct xm_graph g;
	size_t i;
	int err;

	ca = calloc(n_adj + 1, sizeof(*ca));
	if (!ca)
		return -ENOMEM;
	for (i = 0; i < n_adj; i++) {
		ca[i] = adj[i];
		ca[i].metric = class_cost(t, cp, t->self, adj[i].node,
					  adj[i].metric);
	}
	err = xm_class_graph(t, cp, &g);
	if (!err)
		err = xm_routes_compute(&g, t->self, ca, n_adj,
					class_hops(t, cp), &cf);
	free(ca);
	xm_graph_free(&g);
	if (err == -ENOMEM) {
		free(cf.routes);
		return err;
	}
	if (err || !cf.n_routes) {	/* not in the graph: no routes */
		free(cf.routes);
		return 0;
	}
	r = realloc(fib->routes, (fib->n_routes + cf.n_routes) * sizeof(*r));
	if (!r) {
		free(cf.routes);
		return -ENOMEM;
	}
	for (i = 0; i < cf.n_routes; i++) {
		cf.routes[i].tclass = tclass;
		r[fib->n_routes + i] = cf.routes[i];
	}
	fib->routes = r;
	fib->n_routes += cf.n_routes;
	free(cf.routes);
	return 0;
}

int xm_class_routes_all(const struct xm_class_topo *t,
			const struct xm_policy *p,
			const struct xm_local_adj *adj, size_t n_adj,
			struct xm_fib *fib)
{
	unsigned int k;
	int err;

	for (k = 0; k < XM_CLASSES; k++) {
		const struct xm_class_path *cp = &p->classes[k];

		if (!xm_class_path_own(cp) || xm_class_path_check(cp))
			continue;
		err = xm_class_routes(t, cp, (uint8_t)(k + 1), adj, n_adj,
				      fib);
		if (err)
			return err;
	}
	return 0;
}

/* The least metric of an edge u -> v of g. */
static uint32_t graph_edge_metric(const struct xm_graph *g, uint32_t u,
				  uint32_t v)
{
	uint32_t i, m = XM_COST_INF;

	for (i = 0; i < g->node[u].n_edges; i++) {
		const struct xm_gedge *e = &g->edge[g->node[u].first_edge + i];

		if (e->to == v && e->metric < m)
			m = e->metric;
	}
	return m == XM_COST_INF ? 0 : (m ? m : 1);
}

int xm_class_path_to(const struct xm_class_topo *t,
		     const struct xm_class_path *cp, uint32_t node,
		     struct xm_path *out)
{
	uint32_t idx[XM_PATH_MAX + 1];
	struct xm_graph g;
	struct xm_spf r;
	long root, v;
	int n, i, err;

	memset(out, 0, sizeof(*out));
	err = xm_class_graph(t, cp, &g);
	if (err)
		return err;
	root = xm_graph_find(&g, t->self);
	v = xm_graph_find(&g, node);
	if (root < 0 || v < 0) {
		xm_graph_free(&g);
		return -ENOENT;
	}
	err = xm_spf_run(&g, (uint32_t)root, class_hops(t, cp), &r);
	if (err) {
		xm_graph_free(&g);
		return err;
	}
	n = xm_spf_path(&r, (uint32_t)v, idx, XM_PATH_MAX + 1);
	if (n >= 0) {
		out->n_hops = (unsigned int)n;
		for (i = 0; i <= n; i++) {
			out->node[i] = g.node[idx[i]].id;
			out->cost[i] = !i ? 0 : out->cost[i - 1] +
				       graph_edge_metric(&g, idx[i - 1],
							 idx[i]);
		}
	}
	xm_spf_free(&r);
	xm_graph_free(&g);
	return n < 0 ? -ENOENT : 0;
}
