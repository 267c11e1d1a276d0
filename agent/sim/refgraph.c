// SPDX-License-Identifier: GPL-2.0
/* Graphs from text, and reference distances (refgraph.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refgraph.h"

static int add_id(uint32_t **ids, size_t *n, uint32_t id)
{
	uint32_t *p;
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*ids)[i] == id)
			return 0;
	p = realloc(*ids, (*n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	p[(*n)++] = id;
	*ids = p;
	return 0;
}

int xm_graph_parse(struct xm_graph *g, const char *spec)
{
	uint32_t *ids = NULL, *no_transit = NULL;
	struct xm_graph_edge *e = NULL;
	size_t n = 0, ne = 0, nt = 0, i;
	char *buf = strdup(spec), *tok, *save;
	int err = buf ? 0 : -ENOMEM;

	memset(g, 0, sizeof(*g));
	for (tok = buf ? strtok_r(buf, " ", &save) : NULL; tok && !err;
	     tok = strtok_r(NULL, " ", &save)) {
		unsigned int a, b, m;
		char op, end;

		if (sscanf(tok, "!%u%c", &a, &end) == 1) {
			err = add_id(&no_transit, &nt, a);
		} else if (sscanf(tok, "%u%c%u:%u%c", &a, &op, &b, &m,
				  &end) == 4 && (op == '-' || op == '>')) {
			struct xm_graph_edge *p = realloc(e, (ne + 2) *
							  sizeof(*e));

			if (!p) {
				err = -ENOMEM;
				break;
			}
			e = p;
			e[ne++] = (struct xm_graph_edge){ a, b, m };
			if (op == '-')
				e[ne++] = (struct xm_graph_edge){ b, a, m };
			err = add_id(&ids, &n, a);
			if (!err)
				err = add_id(&ids, &n, b);
		} else if (sscanf(tok, "%u%c", &a, &end) == 1) {
			err = add_id(&ids, &n, a);
		} else {
			err = -EINVAL;
		}
	}
	if (!err)
		err = xm_graph_build(g, ids, n, e, ne);
	for (i = 0; !err && i < nt; i++) {
		long v = xm_graph_find(g, no_transit[i]);

		if (v < 0)
			err = -EINVAL;
		else
			g->node[v].no_transit = true;
	}
	if (err)
		xm_graph_free(g);
	free(buf);
	free(ids);
	free(no_transit);
	free(e);
	return err;
}

void xm_ref_distances(const struct xm_graph *g, uint32_t root,
		      unsigned int layers, uint64_t *d)
{
	uint32_t n = g->n_nodes, v, i;
	unsigned int h;

	for (v = 0; v < n; v++)
		d[v] = v == root ? 0 : UINT64_MAX;
	for (h = 1; h < layers; h++) {
		const uint64_t *prev = d + (size_t)(h - 1) * n;
		uint64_t *cur = d + (size_t)h * n;

		memcpy(cur, prev, n * sizeof(*cur));
		for (v = 0; v < n; v++) {
			const struct xm_gnode *gv = &g->node[v];

			if (prev[v] == UINT64_MAX ||
			    (v != root && gv->no_transit))
				continue;
			for (i = 0; i < gv->n_edges; i++) {
				const struct xm_gedge *e =
					&g->edge[gv->first_edge + i];
				uint64_t c = prev[v] + (e->metric ? e->metric :
							1);

				if (e->to < n && c < cur[e->to])
					cur[e->to] = c;
			}
		}
	}
}

/* Least cost from the set in[] (cost 0) to every node, and each node's
 * predecessor: plain Dijkstra, O(n^2), as a reference needs no heap. */
static void dist_from_set(const struct xm_graph *g, const bool *in,
			  bool *done, uint64_t *d, uint32_t *from)
{
	uint32_t i, k;

	for (i = 0; i < g->n_nodes; i++) {
		d[i] = in[i] ? 0 : UINT64_MAX;
		from[i] = i;
		done[i] = false;
	}
	for (k = 0; k < g->n_nodes; k++) {
		uint32_t u = UINT32_MAX;

		for (i = 0; i < g->n_nodes; i++)
			if (!done[i] && d[i] != UINT64_MAX &&
			    (u == UINT32_MAX || d[i] < d[u]))
				u = i;
		if (u == UINT32_MAX)
			break;
		done[u] = true;
		for (i = 0; i < g->node[u].n_edges; i++) {
			const struct xm_gedge *x =
				&g->edge[g->node[u].first_edge + i];

			if (d[u] + x->metric < d[x->to]) {
				d[x->to] = d[u] + x->metric;
				from[x->to] = u;
			}
		}
	}
}

int xm_ref_steiner_cost(const struct xm_graph *g, uint32_t root,
			const uint32_t *recv, size_t n, uint64_t *cost)
{
	bool *in = calloc(g->n_nodes, sizeof(*in));
	bool *done = calloc(g->n_nodes, sizeof(*done));
	uint64_t *d = calloc(g->n_nodes, sizeof(*d));
	uint32_t *from = calloc(g->n_nodes, sizeof(*from));
	int err = in && done && d && from ? 0 : -ENOMEM;
	size_t i;

	*cost = 0;
	if (!err)
		in[root] = true;
	while (!err) {
		uint32_t best = UINT32_MAX, v;

		dist_from_set(g, in, done, d, from);
		for (i = 0; i < n; i++)
			if (!in[recv[i]] && d[recv[i]] != UINT64_MAX &&
			    (best == UINT32_MAX || d[recv[i]] < d[best]))
				best = recv[i];
		if (best == UINT32_MAX)
			break;
		*cost += d[best];
		for (v = best; !in[v]; v = from[v])
			in[v] = true;
	}
	free(in);
	free(done);
	free(d);
	free(from);
	return err;
}
