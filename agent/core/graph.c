// SPDX-License-Identifier: GPL-2.0
/* The topology SPF runs over: lookups and the reversed graph. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"

long xm_graph_find(const struct xm_graph *g, uint32_t id)
{
	uint32_t lo = 0, hi = g->n_nodes;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (g->node[mid].id == id)
			return mid;
		if (g->node[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int id_cmp(const void *a, const void *b)
{
	const struct xm_gnode *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int xm_graph_build(struct xm_graph *g, const uint32_t *ids, size_t n,
		   const struct xm_graph_edge *e, size_t n_e)
{
	uint32_t *from, *fill;
	size_t i;

	memset(g, 0, sizeof(*g));
	if (n > UINT32_MAX || n_e > UINT32_MAX)
		return -E2BIG;
	g->node = calloc(n + 1, sizeof(*g->node));
	g->edge = calloc(n_e + 1, sizeof(*g->edge));
	from = calloc(n_e + 1, sizeof(*from));
	fill = calloc(n + 1, sizeof(*fill));
	if (!g->node || !g->edge || !from || !fill) {
		free(from);
		free(fill);
		xm_graph_free(g);
		return -ENOMEM;
	}
	g->n_nodes = (uint32_t)n;
	for (i = 0; i < n; i++)
		g->node[i].id = ids[i];
	qsort(g->node, n, sizeof(*g->node), id_cmp);
	/* Resolve the ids once, count per source, then place. */
	for (i = 0; i < n_e; i++) {
		long f = xm_graph_find(g, e[i].from);
		long t = xm_graph_find(g, e[i].to);

		from[i] = f < 0 || t < 0 ? UINT32_MAX : (uint32_t)f;
		if (from[i] != UINT32_MAX)
			g->node[f].n_edges++;
	}
	for (i = 0; i < n; i++) {
		g->node[i].first_edge = g->n_edges;
		g->n_edges += g->node[i].n_edges;
	}
	for (i = 0; i < n_e; i++) {
		struct xm_gedge *x;

		if (from[i] == UINT32_MAX)
			continue;
		x = &g->edge[g->node[from[i]].first_edge + fill[from[i]]++];
		x->to = (uint32_t)xm_graph_find(g, e[i].to);
		x->metric = e[i].metric;
	}
	free(from);
	free(fill);
	return 0;
}

int xm_graph_transpose(const struct xm_graph *g, struct xm_graph *t)
{
	uint32_t n = g->n_nodes, v, i, *fill;

	memset(t, 0, sizeof(*t));
	t->node = calloc(n + 1, sizeof(*t->node));
	t->edge = calloc(g->n_edges + 1, sizeof(*t->edge));
	fill = calloc(n + 1, sizeof(*fill));
	if (!t->node || !t->edge || !fill) {
		free(fill);
		xm_graph_free(t);
		return -ENOMEM;
	}
	t->n_nodes = n;
	for (v = 0; v < n; v++) {
		t->node[v].id = g->node[v].id;
		t->node[v].no_transit = g->node[v].no_transit;
	}
	/* Count the edges into each node, then place them: a counting sort. */
	for (v = 0; v < n; v++)
		for (i = 0; i < g->node[v].n_edges; i++) {
			uint32_t to = g->edge[g->node[v].first_edge + i].to;

			if (to < n)
				t->node[to].n_edges++;
		}
	for (v = 0; v < n; v++) {
		t->node[v].first_edge = t->n_edges;
		t->n_edges += t->node[v].n_edges;
	}
	for (v = 0; v < n; v++)
		for (i = 0; i < g->node[v].n_edges; i++) {
			const struct xm_gedge *e =
				&g->edge[g->node[v].first_edge + i];
			struct xm_gedge *r;

			if (e->to >= n)
				continue;
			r = &t->edge[t->node[e->to].first_edge +
				     fill[e->to]++];
			r->to = v;
			r->metric = e->metric;
		}
	free(fill);
	return 0;
}

void xm_graph_free(struct xm_graph *g)
{
	free(g->node);
	free(g->edge);
	memset(g, 0, sizeof(*g));
}
