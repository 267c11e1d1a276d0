// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel routes of one node: for each destination D the adjacencies
 * on a least-cost path (priority 0, ECMP), then loop-free alternates
 * (RFC 5286): a neighbor N whose own least-cost path to D cannot come
 * back through this node S, because
 *
 *	dist(N, D) < dist(N, S) + dist(S, D)		(inequality 1)
 *
 * Both are judged from the neighbors' point of view: an SPF from every
 * neighbor gives dist(N, D) for all D at once, and dist(N, S) with them
 * (or, when those runs cannot tell it, an SPF over the reversed graph for
 * all N), and one from S gives dist(S, D). The neighbors' runs start
 * warm from what is known, and most of their work is skipped.
 *
 * Under a hop bound H the path through N may use H - 1 more hops, so
 * dist(N, D) is N's H - 1 bounded distance; the right-hand side stays
 * unbounded, a lower bound of any path N -> S -> D, which keeps the
 * inequality a proof that N's path avoids S. Every node choosing its
 * H-bounded least cost makes that cost fall strictly at each hop, so
 * hop-by-hop forwarding cannot loop (the path may then be longer than H
 * hops, never a loop).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"

/* One usable adjacency of S: to a neighbor node with an edge from S. */
struct cand {
	const struct xm_local_adj *adj;
	uint32_t nb;			/* index into the neighbor list */
	uint64_t cost;			/* to D through it */
	bool protects;			/* avoids every primary node too */
};

struct routes_ctx {
	const struct xm_graph *g;
	uint32_t root, n_nb;
	uint32_t *nb_node;		/* neighbor node indexes */
	uint32_t *nb_of;		/* per node: its neighbor index, or
					 * >= n_nb */
	uint32_t *via;			/* n_nb x n: dist(N, D) */
	uint32_t *from_root;		/* dist(S, D), unbounded */
	uint32_t *to_root;		/* dist(N, S), unbounded */
	struct cand *cand;
	size_t n_cand;
	bool reference;			/* xm_routes_compute_ref() */
};

static inline uint32_t via(const struct routes_ctx *x, uint32_t nb,
			   uint32_t d)
{
	return x->via[(size_t)nb * x->g->n_nodes + d];
}

static inline uint64_t adj_metric(const struct xm_local_adj *a)
{
	return a->metric ? a->metric : 1;
}

/* Inequality 1 for neighbor nb and destination d. */
static bool loop_free(const struct routes_ctx *x, uint32_t nb, uint32_t d)
{
	uint32_t n = x->nb_node[nb];

	if (x->g->node[x->root].no_transit)
		return true;	/* nobody's path goes through S */
	return (uint64_t)via(x, nb, d) <
	       (uint64_t)x->to_root[n] + x->from_root[d];
}

/*
 * Node protection (RFC 5286 inequality 3), preferred among alternates:
 * N's path avoids each primary neighbor P as well, as far as the
 * distances known here tell.
 */
static bool protects(const struct routes_ctx *x, uint32_t nb, uint32_t d,
		     const struct cand *prim, size_t n_prim)
{
	size_t i;

	for (i = 0; i < n_prim; i++) {
		uint32_t p = prim[i].nb, pn = x->nb_node[p];

		if (pn == d)
			continue;	/* D itself: nothing to protect against */
		if (p == nb)
			return false;	/* another link to the same node */
		if ((uint64_t)via(x, nb, d) >=
		    (uint64_t)via(x, nb, pn) + via(x, p, d))
			return false;
	}
	return true;
}

static int cmp_primary(const struct cand *x, const struct cand *y)
{
	if (x->cost != y->cost)
		return x->cost < y->cost ? -1 : 1;
	return x->adj->neigh < y->adj->neigh ? -1 :
	       x->adj->neigh > y->adj->neigh;
}

static int cmp_alternate(const struct cand *x, const struct cand *y)
{
	if (x->protects != y->protects)
		return x->protects ? -1 : 1;
	return cmp_primary(x, y);
}

/*
 * Insertion sort: a handful of candidates per destination, ten thousand
 * destinations; both orders are total (neighbor ids are distinct), so any
 * sort gives the same result.
 */
static void sort_cands(struct cand *c, size_t n,
		       int (*cmp)(const struct cand *, const struct cand *))
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		struct cand t = c[i];

		for (j = i; j > 0 && cmp(&t, &c[j - 1]) < 0; j--)
			c[j] = c[j - 1];
		c[j] = t;
	}
}

/* The route to d into rt; false if d is unreachable. */
static bool route_to(struct routes_ctx *x, uint32_t d,
		     struct xm_fib_route *rt)
{
	struct cand *c = x->cand;
	size_t i, n_prim = 0, n_alt, max = sizeof(rt->nexthop) /
					   sizeof(rt->nexthop[0]);
	uint64_t best = UINT64_MAX;
	uint8_t prio;

	for (i = 0; i < x->n_cand; i++) {
		uint32_t dist = via(x, c[i].nb, d);

		c[i].cost = dist == XM_COST_INF ? UINT64_MAX :
			    adj_metric(c[i].adj) + dist;
		if (c[i].cost < best)
			best = c[i].cost;
	}
	if (best == UINT64_MAX)
		return false;
	/* Primaries first, then alternates, then the rest. */
	for (i = 0; i < x->n_cand; i++) {
		if (c[i].cost == best) {
			struct cand t = c[n_prim];

			c[n_prim++] = c[i];
			c[i] = t;
		}
	}
	sort_cands(c, n_prim, cmp_primary);
	n_alt = n_prim;
	for (i = n_prim; i < x->n_cand; i++) {
		if (c[i].cost != UINT64_MAX && loop_free(x, c[i].nb, d)) {
			struct cand t = c[n_alt];

			c[n_alt] = c[i];
			c[i] = t;
			c[n_alt].protects = protects(x, c[n_alt].nb, d, c,
						     n_prim);
			n_alt++;
		}
	}
	sort_cands(c + n_prim, n_alt - n_prim, cmp_alternate);

	rt->dst = x->g->node[d].id;
	rt->n_nexthops = 0;
	prio = 0;
	for (i = 0; i < n_alt && rt->n_nexthops < max; i++) {
		/* Equally good alternates share a priority: ECMP again. */
		if (i == n_prim ||
		    (i > n_prim && (c[i].cost != c[i - 1].cost ||
				    c[i].protects != c[i - 1].protects)))
			prio++;
		rt->nexthop[rt->n_nexthops].neigh = c[i].adj->neigh;
		rt->nexthop[rt->n_nexthops].priority = prio;
		rt->n_nexthops++;
	}
	return true;
}

static void ctx_free(struct routes_ctx *x)
{
	free(x->nb_node);
	free(x->nb_of);
	free(x->via);
	free(x->from_root);
	free(x->to_root);
	free(x->cand);
}

/* The neighbor nodes S has both an adjacency and a graph edge to. */
static int find_candidates(struct routes_ctx *x,
			   const struct xm_local_adj *adj, size_t n_adj)
{
	const struct xm_graph *g = x->g;
	const struct xm_gnode *r = &g->node[x->root];
	uint32_t *nb_of, i;
	size_t a;

	nb_of = x->nb_of = malloc(g->n_nodes * sizeof(*nb_of) + 1);
	x->nb_node = malloc(n_adj * sizeof(*x->nb_node) + 1);
	x->cand = malloc(n_adj * sizeof(*x->cand) + 1);
	if (!nb_of || !x->nb_node || !x->cand)
		return -ENOMEM;
	memset(nb_of, 0xff, g->n_nodes * sizeof(*nb_of));
	/* UINT32_MAX - 1: S has an edge to it, no neighbor index yet. */
	for (i = 0; i < r->n_edges; i++) {
		uint32_t to = g->edge[r->first_edge + i].to;

		if (to < g->n_nodes && to != x->root)
			nb_of[to] = UINT32_MAX - 1;
	}
	for (a = 0; a < n_adj; a++) {
		long v = xm_graph_find(g, adj[a].node);
		size_t j;

		if (v < 0 || nb_of[v] == UINT32_MAX)
			continue;
		for (j = 0; j < x->n_cand; j++)
			if (x->cand[j].adj->neigh == adj[a].neigh)
				break;
		if (j < x->n_cand)
			continue;	/* listed twice */
		if (nb_of[v] == UINT32_MAX - 1) {
			nb_of[v] = x->n_nb;
			x->nb_node[x->n_nb++] = (uint32_t)v;
		}
		x->cand[x->n_cand].adj = &adj[a];
		x->cand[x->n_cand].nb = nb_of[v];
		x->n_cand++;
	}
	return 0;
}

/*
 * dist(N, S) for each neighbor N from a run over the reversed graph: only
 * needed when the neighbors' own runs cannot tell it, because they are
 * bounded by the hop limit (a bounded distance may exceed the true one,
 * which would pass an alternate that loops) or a neighbor is no transit
 * (its run is not made); and by the reference.
 */
static bool reverse_needed(const struct routes_ctx *x, int bound)
{
	uint32_t k;

	if (bound >= 0 || x->reference)
		return true;
	for (k = 0; k < x->n_nb; k++)
		if (x->g->node[x->nb_node[k]].no_transit)
			return true;
	return false;
}

/* A costs-only run: the reference's on the binary heap, cold. */
static int costs(const struct routes_ctx *x, const struct xm_graph *g,
		 uint32_t root, struct xm_spf_ws *w, uint32_t *out)
{
	int err;

	if (x->reference) {
		xm_spf_engine(g, root, XM_SPF_UNBOUNDED, w, out, NULL, NULL,
			      NULL);
		return 0;
	}
	err = xm_spf_costs_init(w, g);
	if (!err)
		xm_spf_costs(g, root, w, out);
	return err;
}

static int reverse_distances(struct routes_ctx *x, struct xm_spf_ws *w)
{
	struct xm_graph rev;
	int err = xm_graph_transpose(x->g, &rev);

	if (err)
		return err;
	err = costs(x, &rev, x->root, w, x->to_root);
	xm_graph_free(&rev);
	return err;
}

/*
 * dist(N, D) for all D, unbounded, for the k-th neighbor N (transit).
 * Warm start: for each edge N -> X to a node whose distances are known,
 * S or a neighbor done before it (both transit), the walk N -> X -> D
 * costs metric(N, X) + dist(X, D); the least of them bounds dist(N, D),
 * closed along the edges as each is (xm_spf_costs_below()). Only the
 * destinations N reaches more cheaply than through any such X are
 * queued; the others keep their bound, their exact distance. Through S
 * alone that leaves out the destinations inequality 1 refuses N for (10 %
 * of them in rgg:10000); through the neighbors done as well, every
 * destination whose least-cost path from N starts with such a hop (29 %).
 */
static void neighbor_costs(const struct routes_ctx *x, uint32_t k,
			   struct xm_spf_ws *w, uint32_t *out)
{
	const struct xm_graph *g = x->g;
	const struct xm_gnode *gn = &g->node[x->nb_node[k]];
	uint32_t n = g->n_nodes, i, d;

	for (d = 0; d < n; d++)
		out[d] = XM_COST_INF;
	for (i = 0; i < gn->n_edges; i++) {
		const struct xm_gedge *e = &g->edge[gn->first_edge + i];
		uint32_t m = e->metric ? e->metric : 1, to = e->to;
		const uint32_t *known;

		if (to >= n || g->node[to].no_transit)
			continue;	/* no way through it */
		if (to == x->root)
			known = x->from_root;
		else if (x->nb_of[to] < k)
			known = x->via + (size_t)x->nb_of[to] * n;
		else
			continue;
		for (d = 0; d < n; d++) {
			uint32_t c = known[d] == XM_COST_INF ? XM_COST_INF :
				     xm_cost_add(m, known[d]);

			out[d] = c < out[d] ? c : out[d];
		}
	}
	xm_spf_costs_below(g, x->nb_node[k], w, out);
}

/* dist(S, D), dist(N, D) and dist(N, S) for all N, D. */
static int distances(struct routes_ctx *x, uint8_t max_hops)
{
	const struct xm_graph *g = x->g;
	int bound = xm_spf_bound(g, max_hops ? max_hops - 1 :
					       XM_SPF_UNBOUNDED);
	bool reverse = reverse_needed(x, bound);
	uint32_t n = g->n_nodes, k;
	struct xm_spf_ws w;
	int err;

	x->via = malloc((size_t)x->n_nb * n * sizeof(*x->via) + 1);
	x->from_root = malloc(n * sizeof(*x->from_root) + 1);
	x->to_root = malloc(n * sizeof(*x->to_root) + 1);
	if (!x->via || !x->from_root || !x->to_root)
		return -ENOMEM;
	err = xm_spf_ws_init(&w, n, xm_spf_layers(bound));
	if (!err && reverse)
		err = reverse_distances(x, &w);
	/* Last, so that the queue is sized for g's runs below. */
	if (!err)
		err = costs(x, g, x->root, &w, x->from_root);
	for (k = 0; !err && k < x->n_nb; k++) {
		uint32_t nn = x->nb_node[k], *out = x->via + (size_t)k * n, d;

		if (g->node[nn].no_transit) {
			/* Only itself can be reached through it. */
			for (d = 0; d < n; d++)
				out[d] = XM_COST_INF;
			out[nn] = 0;
			continue;
		}
		if (bound >= 0)
			xm_spf_engine(g, nn, bound, &w, out, NULL, NULL, NULL);
		else if (x->reference)
			err = costs(x, g, nn, &w, out);
		else
			neighbor_costs(x, k, &w, out);
		/* Unbounded, from N: its distance to S is here. */
		if (!reverse)
			x->to_root[nn] = out[x->root];
	}
	xm_spf_ws_free(&w);
	return err;
}

static int routes_compute(const struct xm_graph *g, uint32_t self,
			  const struct xm_local_adj *adj, size_t n_adj,
			  uint8_t max_hops, bool reference, struct xm_fib *fib)
{
	struct routes_ctx x = { .g = g, .reference = reference };
	long root = xm_graph_find(g, self);
	uint32_t d;
	int err;

	fib->routes = NULL;
	fib->n_routes = 0;
	if (root < 0)
		return 0;
	x.root = (uint32_t)root;
	err = find_candidates(&x, adj, n_adj);
	if (!err && x.n_cand)
		err = distances(&x, max_hops);
	if (err || !x.n_cand)
		goto out;
	fib->routes = calloc(g->n_nodes, sizeof(*fib->routes));
	if (!fib->routes) {
		err = -ENOMEM;
		goto out;
	}
	/* Graph order is node id order: the routes come out sorted. */
	for (d = 0; d < g->n_nodes; d++)
		if (d != x.root && route_to(&x, d, &fib->routes[fib->n_routes]))
			fib->n_routes++;
out:
	ctx_free(&x);
	return err;
}

int xm_routes_compute(const struct xm_graph *g, uint32_t self,
		      const struct xm_local_adj *adj, size_t n_adj,
		      uint8_t max_hops, struct xm_fib *fib)
{
	return routes_compute(g, self, adj, n_adj, max_hops, false, fib);
}

int xm_routes_compute_ref(const struct xm_graph *g, uint32_t self,
			  const struct xm_local_adj *adj, size_t n_adj,
			  uint8_t max_hops, struct xm_fib *fib)
{
	return routes_compute(g, self, adj, n_adj, max_hops, true, fib);
}
