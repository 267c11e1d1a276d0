// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel routes with loop-free alternates: hand-made cases, then random
 * networks where every node computes its routes and forwarding is
 * followed hop by hop (every ECMP branch): primaries reach every
 * reachable destination without a loop at the least cost, and each
 * alternate neighbor's own forwarding never comes back through the node
 * that uses it (RFC 5286). Reference distances from Bellman-Ford.
 */
#include <errno.h>

#include "../sim/refgraph.h"
#include "tap.h"

/* Adjacencies of node `self`: one per graph edge, neighbor id = edge + 1. */
static size_t adjs_of(const struct xm_graph *g, uint32_t self,
		      struct xm_local_adj *adj)
{
	const struct xm_gnode *s = &g->node[self];
	uint32_t i;

	for (i = 0; i < s->n_edges; i++) {
		const struct xm_gedge *e = &g->edge[s->first_edge + i];

		adj[i].node = g->node[e->to].id;
		adj[i].neigh = s->first_edge + i + 1;
		adj[i].metric = e->metric;
	}
	return s->n_edges;
}

static void compute(const struct xm_graph *g, uint32_t self_id,
		    uint8_t max_hops, struct xm_fib *fib)
{
	struct xm_local_adj adj[256];
	long s = xm_graph_find(g, self_id);
	size_t n = s < 0 ? 0 : adjs_of(g, (uint32_t)s, adj);

	memset(fib, 0, sizeof(*fib));
	if (xm_routes_compute(g, self_id, adj, n, max_hops, fib)) {
		fprintf(stderr, "xm_routes_compute failed\n");
		exit(2);
	}
}

static const struct xm_fib_route *route(const struct xm_fib *f, uint32_t dst)
{
	size_t i;

	for (i = 0; i < f->n_routes; i++)
		if (f->routes[i].dst == dst)
			return &f->routes[i];
	return NULL;
}

/* "2/0 3/1": the next hops' neighbor nodes and priorities. */
static const char *hops_str(const struct xm_graph *g, const struct xm_fib *f,
			    uint32_t dst)
{
	static char buf[256];
	const struct xm_fib_route *r = route(f, dst);
	size_t len = 0;
	unsigned int i;

	if (!r)
		return "none";
	buf[0] = '\0';
	for (i = 0; i < r->n_nexthops; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%u/%u",
				i ? " " : "",
				g->node[g->edge[r->nexthop[i].neigh - 1].to].id,
				r->nexthop[i].priority);
	return buf;
}

static void graph(struct xm_graph *g, const char *spec)
{
	if (xm_graph_parse(g, spec)) {
		fprintf(stderr, "bad graph: %s\n", spec);
		exit(2);
	}
}

/* Routes from node 1 to dst on spec, as hops_str() writes them. */
static void check(const char *spec, uint8_t max_hops, uint32_t dst,
		  const char *want, const char *name)
{
	struct xm_graph g;
	struct xm_fib f;

	graph(&g, spec);
	compute(&g, 1, max_hops, &f);
	is_str(hops_str(&g, &f, dst), want, name);
	free(f.routes);
	xm_graph_free(&g);
}

/*
 * Node 1's routes on spec over the adjacencies adj (not one per edge):
 * n_routes of them, the one to dst with next hops want, "neigh/priority".
 */
static void check_adjs(const char *spec, const struct xm_local_adj *adj,
		       size_t n_adj, size_t n_routes, uint32_t dst,
		       const char *want, const char *name)
{
	const struct xm_fib_route *r;
	struct xm_graph g;
	struct xm_fib f;
	char buf[256] = "";
	size_t len = 0;
	unsigned int i;

	graph(&g, spec);
	xm_routes_compute(&g, 1, adj, n_adj, 0, &f);
	r = route(&f, dst);
	for (i = 0; r && i < r->n_nexthops; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%u/%u",
				i ? " " : "", r->nexthop[i].neigh,
				r->nexthop[i].priority);
	if (!ok(f.n_routes == n_routes && r && !strcmp(buf, want), "%s", name))
		printf("#   %zu routes, to %u: %s (want %zu, %s)\n", f.n_routes,
		       dst, buf, n_routes, want);
	free(f.routes);
	xm_graph_free(&g);
}

static void hand_made(void)
{
	static const struct xm_local_adj links2[] = {
		{ .node = 2, .neigh = 7, .metric = 10 },
		{ .node = 2, .neigh = 5, .metric = 10 },
		{ .node = 2, .neigh = 9, .metric = 15 },
		{ .node = 2, .neigh = 5, .metric = 10 },
	}, links24[] = {
		{ .node = 2, .neigh = 1, .metric = 10 },
		{ .node = 2, .neigh = 2, .metric = 12 },
		{ .node = 4, .neigh = 3, .metric = 10 },
	};
	struct xm_local_adj adj[4];
	struct xm_graph g;
	struct xm_fib f;
	size_t i;

	check("1-2:10 2-4:10 1-3:10 3-4:10", 0, 4, "2/0 3/0",
	      "square: two primaries (ECMP)");
	check("1-2:10 2-4:10 1-3:10 3-4:15", 0, 4, "2/0 3/1",
	      "diamond: the other side is an alternate");
	check("1-2:10 2-4:10 1-3:1 3-4:100", 0, 4, "2/0",
	      "a neighbor whose path comes back through us is none");
	check("1-2:10 2-4:10 1-3:1 3-4:20", 0, 4, "2/0 3/1",
	      "... it is once its own way is shorter");
	check("1-2:10 2-4:10 1-3:10 3-2:5 1-5:10 5-4:25", 0, 4,
	      "2/0 5/1 3/2",
	      "a node-protecting alternate before a cheaper link-protecting one");
	check("1-2:1 2-3:1 1-4:5 4-3:5 !2", 0, 3, "4/0",
	      "never through an excluded neighbor");
	check("1-2:1 2-3:1 1-4:5 4-3:1 !2", 0, 2, "2/0 4/1",
	      "an excluded neighbor is a destination");
	check("1-2:1 2-3:1 3-4:1 1-5:10 5-4:10", 0, 4, "2/0 5/1",
	      "no bound: the long cheap path, the short one as alternate");
	check("1-2:1 2-3:1 3-4:1 1-5:10 5-4:10", 2, 4, "5/0",
	      "max 2 hops: the short costly path, no alternate too long");
	check("1-2:1 2-3:1 3-4:1 1-5:10 5-4:10", 1, 4, "none",
	      "max 1 hop: unreachable");
	check("1-2:1 2-3:1 3-4:1 1-5:10 5-4:10", 1, 2, "2/0",
	      "max 1 hop: a neighbor is reachable");
	check("1-2:1 1-3:1 1-4:1 1-5:1 1-6:1 1-7:1 1-8:1 1-9:1 1-10:1 1-11:1 "
	      "2-20:1 3-20:1 4-20:1 5-20:1 6-20:1 7-20:1 8-20:1 9-20:1 "
	      "10-20:1 11-20:1", 0, 20, "2/0 3/0 4/0 5/0 6/0 7/0 8/0 9/0",
	      "ten equal paths: eight next hops");

	/* Several links to one neighbor node. */
	check_adjs("1-2:10 2-3:10", links2, 4, 2, 3, "5/0 7/0 9/1",
		   "two equal links to one neighbor share priority 0, the slower "
		   "one backs them up, a duplicate is dropped");
	/* A second link to the primary node protects the link only. */
	check_adjs("1-2:10 2-3:10 1-4:10 4-3:15", links24, 3, 3, 3,
		   "1/0 3/1 2/2",
		   "the other node before a cheaper second link to the primary one");
	graph(&g, "1-2:10 2-3:10");
	/* An adjacency the graph does not have an edge for is not used. */
	adj[0] = (struct xm_local_adj){ .node = 3, .neigh = 4, .metric = 1 };
	xm_routes_compute(&g, 1, adj, 1, 0, &f);
	is_int(f.n_routes, 0, "an adjacency without a graph edge is unused");
	free(f.routes);
	xm_routes_compute(&g, 99, adj, 1, 0, &f);
	ok(f.n_routes == 0 && !f.routes, "self not in the graph: no routes");
	xm_graph_free(&g);

	graph(&g, "5-3:1 3-9:1 9-1:1 1-7:1 7-5:1 2");
	compute(&g, 1, 0, &f);
	for (i = 1; i < f.n_routes; i++)
		if (f.routes[i - 1].dst >= f.routes[i].dst)
			break;
	ok(f.n_routes == 4 && i == f.n_routes && !route(&f, 1) &&
	   !route(&f, 2), "routes sorted by dst, none to self or the "
	   "unreachable");
	free(f.routes);
	xm_graph_free(&g);
}

/* ---- random networks ---- */

static uint64_t rng = 7;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((rng >> 33) % n);
}

#define NMAX	40

struct net {
	struct xm_graph g;
	uint8_t max_hops;
	unsigned int layers;
	struct xm_fib fib[NMAX];
	uint64_t *dist;		/* [root][h][v] */
};

static uint64_t dist(const struct net *x, uint32_t from, unsigned int h,
		     uint32_t to)
{
	uint32_t n = x->g.n_nodes;

	if (h >= x->layers)
		h = x->layers - 1;
	return x->dist[((size_t)from * x->layers + h) * n + to];
}

/* Distance under the bound that applies to a path of `used` hops so far. */
static uint64_t dist_left(const struct net *x, uint32_t from,
			  unsigned int used, uint32_t to)
{
	if (!x->max_hops)
		return dist(x, from, x->layers - 1, to);
	if (used > x->max_hops)
		return UINT64_MAX;
	return dist(x, from, x->max_hops - used, to);
}

static uint32_t neigh_node(const struct net *x, uint32_t neigh)
{
	return x->g.edge[neigh - 1].to;
}

static uint32_t neigh_metric(const struct net *x, uint32_t neigh)
{
	return x->g.edge[neigh - 1].metric;
}

struct walk_stats {
	unsigned int walks, loops, lost, transit, costly, through_s;
};

/*
 * Follow the primaries from v to d, every ECMP branch; on_path marks the
 * nodes of the current branch. avoid: a node the walk must not touch.
 */
static void walk(const struct net *x, uint32_t v, uint32_t d, uint64_t cost,
		 uint64_t budget, bool *on_path, uint32_t avoid, uint32_t origin,
		 struct walk_stats *st)
{
	const struct xm_fib_route *r;
	unsigned int i;

	if (v == avoid) {
		st->through_s++;
		return;
	}
	if (v == d) {
		st->walks++;
		st->costly += cost > budget;
		return;
	}
	if (on_path[v]) {
		st->loops++;
		return;
	}
	if (v != origin && x->g.node[v].no_transit)
		st->transit++;
	r = route(&x->fib[v], x->g.node[d].id);
	if (!r) {
		st->lost++;
		return;
	}
	on_path[v] = true;
	for (i = 0; i < r->n_nexthops && r->nexthop[i].priority == 0; i++)
		walk(x, neigh_node(x, r->nexthop[i].neigh), d,
		     cost + neigh_metric(x, r->nexthop[i].neigh), budget,
		     on_path, avoid, origin, st);
	on_path[v] = false;
}

struct route_stats {
	unsigned int routes, missing, extra, bad_primary, alternates,
		     bad_alternate, bad_order, too_many, dup;
};

/* The route of s to d against the reference distances. */
static void check_route(const struct net *x, uint32_t s, uint32_t d,
			struct route_stats *st, struct walk_stats *ws)
{
	const struct xm_fib_route *r = route(&x->fib[s], x->g.node[d].id);
	uint64_t best = dist_left(x, s, 0, d), prev_cost = 0;
	bool on_path[NMAX] = { 0 };
	unsigned int i, j, prev_prio = 0;

	if (best == UINT64_MAX) {
		st->extra += r != NULL;
		return;
	}
	if (!r) {
		st->missing++;
		return;
	}
	st->routes++;
	st->too_many += r->n_nexthops > 8;
	for (i = 0; i < r->n_nexthops; i++) {
		uint32_t nb = r->nexthop[i].neigh, n = neigh_node(x, nb);
		uint64_t via = dist_left(x, n, 1, d), cost;

		for (j = 0; j < i; j++)
			st->dup += r->nexthop[j].neigh == nb;
		if (n != d && x->g.node[n].no_transit)
			via = UINT64_MAX;
		cost = via == UINT64_MAX ? UINT64_MAX :
		       via + neigh_metric(x, nb);
		if (r->nexthop[i].priority == 0) {
			st->bad_primary += cost != best;
			continue;
		}
		st->alternates++;
		/* Inequality 1, on unbounded distances. */
		if (cost == UINT64_MAX || cost <= best ||
		    (!x->g.node[s].no_transit &&
		     via >= dist(x, n, x->layers - 1, s) +
			    dist(x, s, x->layers - 1, d)))
			st->bad_alternate++;
		/* The alternate's own forwarding never comes back to s. */
		walk(x, n, d, 0, UINT64_MAX, on_path, s, n, ws);
		if (r->nexthop[i].priority < prev_prio ||
		    (r->nexthop[i].priority == prev_prio && cost != prev_cost))
			st->bad_order++;
		prev_prio = r->nexthop[i].priority;
		prev_cost = cost;
	}
	/* The primaries from s: every branch arrives, at the least cost. */
	walk(x, s, d, 0, best, on_path, UINT32_MAX, s, ws);
}

static void random_networks(void)
{
	struct route_stats st = { 0 };
	struct walk_stats ws = { 0 };
	unsigned int t, bounded = 0;

	for (t = 0; t < 500; t++) {
		uint32_t n = 2 + rnd(NMAX - 1), s, d;
		struct xm_graph_edge e[NMAX * NMAX];
		uint32_t ids[NMAX];
		size_t ne = 0;
		struct net x;

		memset(&x, 0, sizeof(x));
		for (s = 0; s < n; s++)
			ids[s] = 1 + s * 3;
		/* Sparse, with small metrics for ties, some asymmetry. */
		for (s = 0; s < n; s++)
			for (d = s + 1; d < n; d++) {
				uint32_t m = 1 + rnd(8);

				if (rnd(n) >= 3 && !(d == s + 1 && rnd(3)))
					continue;
				e[ne++] = (struct xm_graph_edge){ ids[s], ids[d],
								  m };
				e[ne++] = (struct xm_graph_edge){
					ids[d], ids[s], rnd(4) ? m : 1 + rnd(8) };
			}
		xm_graph_build(&x.g, ids, n, e, ne);
		for (s = 0; s < n; s++)
			x.g.node[s].no_transit = rnd(100) < 10;
		x.max_hops = rnd(3) ? 0 : (uint8_t)(1 + rnd(6));
		bounded += x.max_hops != 0;
		x.layers = x.max_hops ? x.max_hops + 1u : n;
		if (x.layers < n)
			x.layers = n;	/* unbounded distances too */
		x.dist = malloc((size_t)n * x.layers * n * sizeof(*x.dist));
		for (s = 0; s < n; s++) {
			xm_ref_distances(&x.g, s, x.layers,
					 x.dist + (size_t)s * x.layers * n);
			compute(&x.g, ids[s], x.max_hops, &x.fib[s]);
		}
		for (s = 0; s < n; s++)
			for (d = 0; d < n; d++)
				if (s != d)
					check_route(&x, s, d, &st, &ws);
		for (s = 0; s < n; s++)
			free(x.fib[s].routes);
		free(x.dist);
		xm_graph_free(&x.g);
	}
	ok(st.missing == 0 && st.extra == 0, "500 random networks (%u with a "
	   "hop bound): a route exactly to each reachable destination "
	   "(%u routes, %u missing, %u extra)", bounded, st.routes,
	   st.missing, st.extra);
	ok(st.bad_primary == 0, "primaries: each on a least-cost path "
	   "(%u wrong)", st.bad_primary);
	ok(st.too_many == 0 && st.dup == 0, "at most 8 next hops, distinct");
	ok(st.alternates > 1000 && st.bad_alternate == 0, "alternates: each "
	   "meets inequality 1 and costs more (%u alternates, %u wrong)",
	   st.alternates, st.bad_alternate);
	ok(st.bad_order == 0, "alternates: priorities by cost, equal cost "
	   "equal priority (%u wrong)", st.bad_order);
	ok(ws.loops == 0 && ws.lost == 0, "hop-by-hop along primaries: every "
	   "branch arrives, no loop (%u branches, %u loops, %u lost)",
	   ws.walks, ws.loops, ws.lost);
	ok(ws.through_s == 0, "an alternate's forwarding never comes back "
	   "through the node using it (%u times)", ws.through_s);
	ok(ws.transit == 0, "no forwarding through an excluded node (%u)",
	   ws.transit);
	ok(ws.costly == 0, "hop-by-hop cost never above the computed one "
	   "(%u)", ws.costly);
}

int main(void)
{
	hand_made();
	random_networks();
	return tap_done();
}
