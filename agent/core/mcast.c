// SPDX-License-Identifier: GPL-2.0
/*
 * Overlay multicast distribution trees (mcast.h): one sender-rooted
 * shortest-path tree per (sender, group), pruned to the receivers, and
 * this node's part of each.
 *
 * One SPF per sender serves all of its groups; a tree is the union of the
 * SPF paths from the root to each receiver, found by walking parents up
 * from every receiver until the walk meets the tree. Every node computes
 * the same trees: the SPF is deterministic over the same graph.
 */
#include "mcast.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool xm_mcast_group_valid(const struct xm_addr *a)
{
	if (a->family == AF_INET)
		return (ntohl(a->v4.s_addr) >> 24) == 239;
	if (a->family == AF_INET6)
		return a->v6.s6_addr[0] == 0xff &&
		       (a->v6.s6_addr[1] & 0x0f) >= 3;
	return false;
}

static int addr_cmp(const struct xm_addr *a, const struct xm_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->raw, b->raw, xm_addr_len(a->family));
}

int xm_mroute_entry_cmp(const struct xm_mroute_entry *a,
			const struct xm_mroute_entry *b)
{
	if (a->root != b->root)
		return a->root < b->root ? -1 : 1;
	return addr_cmp(&a->group, &b->group);
}

bool xm_mroute_entry_same(const struct xm_mroute_entry *a,
			  const struct xm_mroute_entry *b)
{
	return !xm_mroute_entry_cmp(a, b) && a->local == b->local &&
	       a->n_neighs == b->n_neighs &&
	       !memcmp(a->neigh, b->neigh, a->n_neighs * sizeof(a->neigh[0]));
}

static int entry_qsort_cmp(const void *a, const void *b)
{
	return xm_mroute_entry_cmp(a, b);
}

void xm_mroute_set_free(struct xm_mroute_set *s)
{
	free(s->e);
	s->e = NULL;
	s->n = 0;
}

/* The metric of edge u -> v (indexes), 0 if none. */
static uint32_t edge_metric(const struct xm_graph *g, uint32_t u, uint32_t v)
{
	const struct xm_gnode *n = &g->node[u];
	uint32_t i;

	for (i = 0; i < n->n_edges; i++)
		if (g->edge[n->first_edge + i].to == v)
			return g->edge[n->first_edge + i].metric;
	return 0;
}

static bool receives(const struct xm_mcast_member *m,
		     const struct xm_addr *group)
{
	return (m->flags & XM_MCAST_RECV) && !addr_cmp(&m->group, group);
}

long xm_mcast_tree(const struct xm_graph *g, const struct xm_spf *spf,
		   uint32_t root_idx, const struct xm_addr *group,
		   const struct xm_mcast_member *m, size_t n_m,
		   bool *on_tree, uint64_t *cost)
{
	long edges = 0;
	size_t i;

	memset(on_tree, 0, g->n_nodes * sizeof(*on_tree));
	on_tree[root_idx] = true;
	*cost = 0;
	for (i = 0; i < n_m; i++) {
		long v;

		if (!receives(&m[i], group))
			continue;
		v = xm_graph_find(g, m[i].node);
		if (v < 0 || spf->cost[v] == XM_COST_INF)
			continue;
		while (!on_tree[v]) {
			uint32_t p = spf->parent[v];

			on_tree[v] = true;
			*cost += edge_metric(g, p, (uint32_t)v);
			edges++;
			v = p;
		}
	}
	return edges;
}

/* The kernel neighbor of least metric to node id, 0 if none. */
static uint32_t adj_to(const struct xm_local_adj *adj, size_t n_adj,
		       uint32_t node)
{
	uint32_t best = 0, metric = 0;
	size_t i;

	for (i = 0; i < n_adj; i++) {
		if (adj[i].node != node)
			continue;
		if (!best || adj[i].metric < metric ||
		    (adj[i].metric == metric && adj[i].neigh < best)) {
			best = adj[i].neigh;
			metric = adj[i].metric;
		}
	}
	return best;
}

struct mcast_run {
	const struct xm_graph *g;
	const struct xm_spf *spf;
	uint32_t self_idx, root_idx;
	const struct xm_local_adj *adj;
	size_t n_adj;
	const struct xm_mcast_member *m;
	size_t n_m;
	bool *on_tree;
	struct xm_mroute_set *out;
	size_t cap;
};

/* Self's entry of the tree of (root, group), if self is on it. */
static int mcast_entry(struct mcast_run *r, const struct xm_addr *group)
{
	const struct xm_graph *g = r->g;
	struct xm_mroute_entry *e;
	uint64_t cost;
	uint32_t v;
	size_t i;
	bool local = false;

	if (xm_mcast_tree(g, r->spf, r->root_idx, group, r->m, r->n_m,
			  r->on_tree, &cost) < 0)
		return -ENOMEM;
	if (!r->on_tree[r->self_idx])
		return 0;
	if (r->out->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct xm_mroute_entry *n = realloc(r->out->e,
						    cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->out->e = n;
		r->cap = cap;
	}
	for (i = 0; i < r->n_m; i++)
		if (r->m[i].node == g->node[r->self_idx].id &&
		    receives(&r->m[i], group))
			local = true;
	e = &r->out->e[r->out->n];
	memset(e, 0, sizeof(*e));
	e->root = g->node[r->root_idx].id;
	e->group = *group;
	e->local = local && r->self_idx != r->root_idx;
	for (v = 0; v < g->n_nodes; v++) {
		uint32_t neigh;

		if (v == r->self_idx || !r->on_tree[v] ||
		    r->spf->parent[v] != r->self_idx)
			continue;
		neigh = adj_to(r->adj, r->n_adj, g->node[v].id);
		if (neigh && e->n_neighs < XMESH_MAX_MROUTE_NEIGHS)
			e->neigh[e->n_neighs++] = neigh;
	}
	r->out->n++;
	return 0;
}

/* Whether member i is the first (root, group) sender entry of its kind. */
static bool first_sender(const struct xm_mcast_member *m, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if ((m[j].flags & XM_MCAST_SEND) && m[j].node == m[i].node &&
		    !addr_cmp(&m[j].group, &m[i].group))
			return false;
	return true;
}

/* Whether member i is the first sender entry of its node. */
static bool first_root(const struct xm_mcast_member *m, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if ((m[j].flags & XM_MCAST_SEND) && m[j].node == m[i].node)
			return false;
	return true;
}

int xm_mcast_compute(const struct xm_graph *g, uint32_t self,
		     const struct xm_local_adj *adj, size_t n_adj,
		     const struct xm_mcast_member *m, size_t n_m,
		     struct xm_mroute_set *out)
{
	struct mcast_run r = {
		.g = g, .adj = adj, .n_adj = n_adj, .m = m, .n_m = n_m,
		.out = out,
	};
	long self_idx = xm_graph_find(g, self);
	int err = 0;
	size_t i, j;

	memset(out, 0, sizeof(*out));
	if (self_idx < 0 || !g->n_nodes)
		return 0;
	r.self_idx = (uint32_t)self_idx;
	r.on_tree = calloc(g->n_nodes, sizeof(*r.on_tree));
	if (!r.on_tree)
		return -ENOMEM;

	for (i = 0; !err && i < n_m; i++) {
		struct xm_spf spf;
		long root;

		if (!(m[i].flags & XM_MCAST_SEND) || !first_root(m, i))
			continue;
		root = xm_graph_find(g, m[i].node);
		if (root < 0)
			continue;
		if (xm_spf_run(g, (uint32_t)root, 0, &spf)) {
			err = -ENOMEM;
			break;
		}
		r.spf = &spf;
		r.root_idx = (uint32_t)root;
		if (spf.cost[r.self_idx] != XM_COST_INF) {
			for (j = i; !err && j < n_m; j++)
				if ((m[j].flags & XM_MCAST_SEND) &&
				    m[j].node == m[i].node &&
				    xm_mcast_group_valid(&m[j].group) &&
				    first_sender(m, j))
					err = mcast_entry(&r, &m[j].group);
		}
		xm_spf_free(&spf);
	}
	free(r.on_tree);
	if (err) {
		xm_mroute_set_free(out);
		return err;
	}
	if (out->n)
		qsort(out->e, out->n, sizeof(*out->e), entry_qsort_cmp);
	return 0;
}
