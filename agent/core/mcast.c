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

_Static_assert(sizeof(((struct xm_fib_mroute *)0)->neigh) ==
	       XMESH_MAX_MROUTE_NEIGHS * sizeof(uint32_t),
	       "a fib mroute holds what a kernel one does");

bool xm_mcast_group_valid(const struct xm_addr *a)
{
	if (a->family == AF_INET)
		return (ntohl(a->v4.s_addr) >> 24) == 239;
	if (a->family == AF_INET6)
		return a->v6.s6_addr[0] == 0xff &&
		       (a->v6.s6_addr[1] & 0x0f) >= 3;
	return false;
}

const char *xm_mgroups_check(const struct xm_mgroup *g, unsigned int n)
{
	unsigned int i, j;

	if (n > XM_MGROUP_MAX)
		return "more than XM_MGROUP_MAX (8) groups";
	for (i = 0; i < n; i++) {
		if (!xm_mcast_group_valid(&g[i].group))
			return "a group is not in 239.0.0.0/8 or IPv6 multicast of scope 3 or wider";
		if (!g[i].flags || (g[i].flags & ~XM_MGROUP_FLAGS))
			return "a group's flags are not receive, send or both";
		for (j = 0; j < i; j++)
			if (xm_addr_eq(&g[i].group, &g[j].group))
				return "a group is given twice";
	}
	return NULL;
}

static int addr_cmp(const struct xm_addr *a, const struct xm_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->raw, b->raw, xm_addr_len(a->family));
}

int xm_fib_mroute_cmp(const struct xm_fib_mroute *a,
			const struct xm_fib_mroute *b)
{
	if (a->root != b->root)
		return a->root < b->root ? -1 : 1;
	return addr_cmp(&a->group, &b->group);
}

bool xm_fib_mroute_same(const struct xm_fib_mroute *a,
			  const struct xm_fib_mroute *b)
{
	return !xm_fib_mroute_cmp(a, b) && a->local == b->local &&
	       a->upstream == b->upstream && a->shared_root == b->shared_root &&
	       a->n_neighs == b->n_neighs &&
	       !memcmp(a->neigh, b->neigh, a->n_neighs * sizeof(a->neigh[0]));
}

static int entry_qsort_cmp(const void *a, const void *b)
{
	return xm_fib_mroute_cmp(a, b);
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
	return (m->flags & XM_MGROUP_RECV) && !addr_cmp(&m->group, group);
}

/* The tree of root_idx to the members of group with a flag of mask. */
static long tree_mark(const struct xm_graph *g, const struct xm_spf *spf,
		      uint32_t root_idx, const struct xm_addr *group,
		      uint8_t mask, const struct xm_mcast_member *m,
		      size_t n_m, bool *on_tree, uint64_t *cost)
{
	long edges = 0;
	size_t i;

	memset(on_tree, 0, g->n_nodes * sizeof(*on_tree));
	on_tree[root_idx] = true;
	*cost = 0;
	for (i = 0; i < n_m; i++) {
		long v;

		if (!(m[i].flags & mask) || addr_cmp(&m[i].group, group))
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

long xm_mcast_tree(const struct xm_graph *g, const struct xm_spf *spf,
		   uint32_t root_idx, const struct xm_addr *group,
		   const struct xm_mcast_member *m, size_t n_m,
		   bool *on_tree, uint64_t *cost)
{
	return tree_mark(g, spf, root_idx, group, XM_MGROUP_RECV, m, n_m,
			 on_tree, cost);
}

long xm_mcast_shared_tree(const struct xm_graph *g, const struct xm_spf *spf,
			  uint32_t core_idx, const struct xm_addr *group,
			  const struct xm_mcast_member *m, size_t n_m,
			  bool *on_tree, uint64_t *cost)
{
	return tree_mark(g, spf, core_idx, group,
			 XM_MGROUP_RECV | XM_MGROUP_SEND, m, n_m, on_tree,
			 cost);
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
	struct xm_fib_mroute *e;
	size_t n, cap;
};

/* A new zeroed entry of (root, group), or NULL without memory. */
static struct xm_fib_mroute *entry_new(struct mcast_run *r, uint32_t root,
				       const struct xm_addr *group)
{
	struct xm_fib_mroute *e;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;

		e = realloc(r->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		r->e = e;
		r->cap = cap;
	}
	e = &r->e[r->n++];
	memset(e, 0, sizeof(*e));
	e->root = root;
	e->group = *group;
	return e;
}

/* A branch to the tree node of index v, if self has an adjacency to it. */
static void branch_add(const struct mcast_run *r, struct xm_fib_mroute *e,
		       uint32_t v)
{
	uint32_t neigh = adj_to(r->adj, r->n_adj, r->g->node[v].id);

	if (!neigh)
		return;
	if (e->n_neighs < XMESH_MAX_MROUTE_NEIGHS)
		e->neigh[e->n_neighs++] = neigh;
	else
		e->n_cut++;	/* the kernel's limit: counted */
}

/* Whether self receives group. */
static bool self_receives(const struct mcast_run *r,
			  const struct xm_addr *group)
{
	uint32_t self = r->g->node[r->self_idx].id;
	size_t i;

	for (i = 0; i < r->n_m; i++)
		if (r->m[i].node == self && receives(&r->m[i], group))
			return true;
	return false;
}

/* Self's children in the tree marked in r->on_tree. */
static void children_add(const struct mcast_run *r, struct xm_fib_mroute *e)
{
	uint32_t v;

	for (v = 0; v < r->g->n_nodes; v++)
		if (v != r->self_idx && r->on_tree[v] &&
		    r->spf->parent[v] == r->self_idx)
			branch_add(r, e, v);
}

/* Self's entry of the tree of (root, group), if self is on it. */
static int mcast_entry(struct mcast_run *r, const struct xm_addr *group)
{
	const struct xm_graph *g = r->g;
	struct xm_fib_mroute *e;
	uint64_t cost;

	if (xm_mcast_tree(g, r->spf, r->root_idx, group, r->m, r->n_m,
			  r->on_tree, &cost) < 0)
		return -ENOMEM;
	if (!r->on_tree[r->self_idx])
		return 0;
	e = entry_new(r, g->node[r->root_idx].id, group);
	if (!e)
		return -ENOMEM;
	e->local = self_receives(r, group) && r->self_idx != r->root_idx;
	/* The reverse-path check's node: frames come from the parent. */
	if (r->self_idx != r->root_idx)
		e->upstream = g->node[r->spf->parent[r->self_idx]].id;
	children_add(r, e);
	return 0;
}

/*
 * Self's entries of the shared tree of group rooted at r->root_idx (the
 * core), if self is on it: (core, group) with every tree neighbor as a
 * branch, and, on a sender other than the core, (self, group) alike for
 * its own frames, which name the core as their tree's root.
 */
static int shared_entry(struct mcast_run *r, const struct xm_addr *group)
{
	const struct xm_graph *g = r->g;
	uint32_t core = g->node[r->root_idx].id;
	struct xm_fib_mroute *e;
	uint64_t cost;
	size_t i;

	if (xm_mcast_shared_tree(g, r->spf, r->root_idx, group, r->m, r->n_m,
				 r->on_tree, &cost) < 0)
		return -ENOMEM;
	if (!r->on_tree[r->self_idx])
		return 0;
	e = entry_new(r, core, group);
	if (!e)
		return -ENOMEM;
	e->shared_root = core;
	e->local = self_receives(r, group);
	if (r->self_idx != r->root_idx)
		branch_add(r, e, r->spf->parent[r->self_idx]);
	children_add(r, e);
	for (i = 0; i < r->n_m; i++) {
		if (r->m[i].node != g->node[r->self_idx].id ||
		    r->self_idx == r->root_idx ||
		    !(r->m[i].flags & XM_MGROUP_SEND) ||
		    addr_cmp(&r->m[i].group, group))
			continue;
		e = entry_new(r, g->node[r->self_idx].id, group);
		if (!e)
			return -ENOMEM;
		*e = r->e[r->n - 2];	/* the (core, group) entry */
		e->root = g->node[r->self_idx].id;
		e->local = false;
		break;
	}
	return 0;
}

/* Whether member i is the first (root, group) sender entry of its kind. */
static bool first_sender(const struct xm_mcast_member *m, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if ((m[j].flags & XM_MGROUP_SEND) && m[j].node == m[i].node &&
		    !addr_cmp(&m[j].group, &m[i].group))
			return false;
	return true;
}

/* Whether member i is the first sender entry of its node. */
static bool first_root(const struct xm_mcast_member *m, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if ((m[j].flags & XM_MGROUP_SEND) && m[j].node == m[i].node)
			return false;
	return true;
}

/* Whether member i is the first one of its group. */
static bool first_of_group(const struct xm_mcast_member *m, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (!addr_cmp(&m[j].group, &m[i].group))
			return false;
	return true;
}

bool xm_mcast_shared(const struct xm_graph *g,
		     const struct xm_mcast_member *m, size_t n_m,
		     const struct xm_addr *group, uint32_t *core)
{
	unsigned int senders = 0;
	size_t i;

	*core = 0;
	for (i = 0; i < n_m; i++) {
		if (addr_cmp(&m[i].group, group) ||
		    xm_graph_find(g, m[i].node) < 0)
			continue;
		if ((m[i].flags & XM_MGROUP_SEND) && first_sender(m, i))
			senders++;
		if (!*core || m[i].node < *core)
			*core = m[i].node;
	}
	return senders >= XM_MCAST_SHARED_SENDERS;
}

/* Whether group of member j (a sender's) goes on a source tree. */
static bool source_group(const struct mcast_run *r, size_t j)
{
	uint32_t core;

	return xm_mcast_group_valid(&r->m[j].group) &&
	       !xm_mcast_shared(r->g, r->m, r->n_m, &r->m[j].group, &core);
}

/* Whether the sender of member i has a group on a source tree. */
static bool sends_source_tree(const struct mcast_run *r, size_t i)
{
	size_t j;

	for (j = i; j < r->n_m; j++)
		if ((r->m[j].flags & XM_MGROUP_SEND) &&
		    r->m[j].node == r->m[i].node && source_group(r, j))
			return true;
	return false;
}

/* The SPF from node index root into r, and the entries of fn for it. */
static int from_root(struct mcast_run *r, long root,
		     int (*fn)(struct mcast_run *, const struct xm_addr *),
		     const struct xm_addr *group, size_t first)
{
	struct xm_spf spf;
	int err = 0;
	size_t j;

	if (root < 0)
		return 0;
	if (xm_spf_run(r->g, (uint32_t)root, 0, &spf))
		return -ENOMEM;
	r->spf = &spf;
	r->root_idx = (uint32_t)root;
	if (spf.cost[r->self_idx] == XM_COST_INF)
		goto out;
	if (group) {
		err = fn(r, group);
		goto out;
	}
	/* Every source-tree group of the sender of member first. */
	for (j = first; !err && j < r->n_m; j++)
		if ((r->m[j].flags & XM_MGROUP_SEND) &&
		    r->m[j].node == r->m[first].node &&
		    first_sender(r->m, j) && source_group(r, j))
			err = fn(r, &r->m[j].group);
out:
	xm_spf_free(&spf);
	r->spf = NULL;
	return err;
}

int xm_mcast_compute(const struct xm_graph *g, uint32_t self,
		     const struct xm_local_adj *adj, size_t n_adj,
		     const struct xm_mcast_member *m, size_t n_m,
		     struct xm_fib_mroute **out, size_t *n_out)
{
	struct mcast_run r = {
		.g = g, .adj = adj, .n_adj = n_adj, .m = m, .n_m = n_m,
	};
	long self_idx = xm_graph_find(g, self);
	int err = 0;
	size_t i;

	*out = NULL;
	*n_out = 0;
	if (self_idx < 0 || !g->n_nodes)
		return 0;
	r.self_idx = (uint32_t)self_idx;
	r.on_tree = calloc(g->n_nodes, sizeof(*r.on_tree));
	if (!r.on_tree)
		return -ENOMEM;

	/* Source trees: one SPF per sender serves all its groups. */
	for (i = 0; !err && i < n_m; i++)
		if ((m[i].flags & XM_MGROUP_SEND) && first_root(m, i) &&
		    sends_source_tree(&r, i))
			err = from_root(&r, xm_graph_find(g, m[i].node),
					mcast_entry, NULL, i);
	/* Shared trees: one SPF per group, from its core. */
	for (i = 0; !err && i < n_m; i++) {
		uint32_t core;

		if (first_of_group(m, i) && xm_mcast_group_valid(&m[i].group) &&
		    xm_mcast_shared(g, m, n_m, &m[i].group, &core))
			err = from_root(&r, xm_graph_find(g, core),
					shared_entry, &m[i].group, i);
	}
	free(r.on_tree);
	if (err) {
		free(r.e);
		return err;
	}
	if (r.n)
		qsort(r.e, r.n, sizeof(*r.e), entry_qsort_cmp);
	*out = r.e;
	*n_out = r.n;
	return 0;
}

/* ---- the fib's multicast routes ---- */

void xm_mroutes_sort(struct xm_fib *f)
{
	if (f->n_mroutes)
		qsort(f->mroutes, f->n_mroutes, sizeof(*f->mroutes),
		      entry_qsort_cmp);
}

int xm_mroutes_copy(struct xm_fib *dst, const struct xm_fib *src)
{
	dst->mroutes = malloc((src->n_mroutes + 1) * sizeof(*dst->mroutes));
	if (!dst->mroutes)
		return -ENOMEM;
	if (src->n_mroutes)
		memcpy(dst->mroutes, src->mroutes,
		       src->n_mroutes * sizeof(*dst->mroutes));
	dst->n_mroutes = src->n_mroutes;
	return 0;
}

int xm_mroutes_from_kernel(const struct xm_entry *e, size_t n,
			   struct xm_fib *f)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += e[i].type == XMESH_A_MROUTE;
	f->mroutes = calloc(k + 1, sizeof(*f->mroutes));
	if (!f->mroutes)
		return -ENOMEM;
	f->n_mroutes = 0;
	for (i = 0; i < n; i++) {
		const struct xm_mroute *m = &e[i].mroute;
		struct xm_fib_mroute *r;

		if (e[i].type != XMESH_A_MROUTE)
			continue;
		r = &f->mroutes[f->n_mroutes++];
		r->root = m->root;
		r->group = m->group;
		r->local = m->local;
		r->upstream = m->upstream;
		r->shared_root = m->shared_root;
		r->n_neighs = m->n_neighs < XMESH_MAX_MROUTE_NEIGHS ?
			      m->n_neighs : XMESH_MAX_MROUTE_NEIGHS;
		memcpy(r->neigh, m->neigh, r->n_neighs * sizeof(r->neigh[0]));
	}
	xm_mroutes_sort(f);
	return 0;
}

static bool neigh_wanted(const struct xm_fib *want, uint32_t id)
{
	size_t i;

	for (i = 0; i < want->n_neighs; i++)
		if (want->neighs[i].id == id)
			return true;
	return false;
}

/* The entry w with only the neighbors want has. */
static void mroute_wanted(const struct xm_fib *want,
			  const struct xm_fib_mroute *w,
			  struct xm_fib_mroute *out)
{
	unsigned int i;

	*out = *w;
	out->n_neighs = 0;
	for (i = 0; i < w->n_neighs && i < XMESH_MAX_MROUTE_NEIGHS; i++)
		if (neigh_wanted(want, w->neigh[i]))
			out->neigh[out->n_neighs++] = w->neigh[i];
}

static int mroute_change(struct xm_change **v, size_t *n, size_t *cap,
			 uint32_t ifindex, const struct xm_fib_mroute *r,
			 bool del)
{
	struct xm_change *c;
	struct xm_mroute *k;

	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 16;

		c = realloc(*v, nc * sizeof(*c));
		if (!c)
			return -ENOMEM;
		*v = c;
		*cap = nc;
	}
	c = &(*v)[(*n)++];
	memset(c, 0, sizeof(*c));
	c->cmd = del ? XMESH_CMD_MROUTE_DEL : XMESH_CMD_MROUTE_NEW;
	c->replace = !del;
	c->ifindex = ifindex;
	c->e.type = XMESH_A_MROUTE;
	k = &c->e.mroute;
	k->root = r->root;
	k->group = r->group;
	XM_SET(k, XMESH_MROUTE_A_ROOT);
	XM_SET(k, XMESH_MROUTE_A_FAMILY);
	XM_SET(k, XMESH_MROUTE_A_GROUP);
	if (del)
		return 0;
	k->local = r->local;
	k->upstream = r->upstream;
	if (r->upstream)
		XM_SET(k, XMESH_MROUTE_A_UPSTREAM);
	k->shared_root = r->shared_root;
	if (r->shared_root)
		XM_SET(k, XMESH_MROUTE_A_SHARED_ROOT);
	k->n_neighs = r->n_neighs;
	memcpy(k->neigh, r->neigh, r->n_neighs * sizeof(k->neigh[0]));
	return 0;
}

int xm_mroutes_diff(const struct xm_fib *want, const struct xm_fib *have,
		    uint32_t ifindex, struct xm_change **out, size_t *n)
{
	struct xm_change *v = NULL;
	size_t i = 0, j = 0, nv = 0, cap = 0;
	int err = 0;

	while (!err && (i < want->n_mroutes || j < have->n_mroutes)) {
		const struct xm_fib_mroute *w = i < want->n_mroutes ?
						&want->mroutes[i] : NULL;
		const struct xm_fib_mroute *h = j < have->n_mroutes ?
						&have->mroutes[j] : NULL;
		int c = !w ? 1 : !h ? -1 : xm_fib_mroute_cmp(w, h);
		struct xm_fib_mroute r;

		if (c > 0) {
			j++;
			err = mroute_change(&v, &nv, &cap, ifindex, h, true);
			continue;
		}
		i++;
		j += !c;
		mroute_wanted(want, w, &r);
		if (c || !xm_fib_mroute_same(&r, h))
			err = mroute_change(&v, &nv, &cap, ifindex, &r, false);
	}
	if (!err && nv) {
		struct xm_change *all = realloc(*out,
						(*n + nv) * sizeof(**out));

		if (!all) {
			err = -ENOMEM;
		} else {
			memcpy(all + *n, v, nv * sizeof(*v));
			*out = all;
			*n += nv;
		}
	}
	free(v);
	return err;
}
