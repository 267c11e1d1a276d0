// SPDX-License-Identifier: GPL-2.0
/*
 * Shortest paths: hand-made graphs (line, diamond, ECMP square, an
 * excluded zone, hop bounds making nodes unreachable or forcing a
 * costlier shorter path), then thousands of random graphs against two
 * references written independently of the code under test: every simple
 * path enumerated (small graphs: costs, hops and ECMP first hops), and a
 * hop-layered Bellman-Ford (bigger graphs: costs and hops).
 */
#include <errno.h>

#include "../sim/refgraph.h"
#include "tap.h"

/* ---- building graphs ---- */

static void graph_parse(struct xm_graph *g, const char *spec)
{
	if (xm_graph_parse(g, spec)) {
		fprintf(stderr, "bad graph: %s\n", spec);
		exit(2);
	}
}

static uint32_t idx(const struct xm_graph *g, uint32_t id)
{
	long i = xm_graph_find(g, id);

	if (i < 0) {
		fprintf(stderr, "no node %u\n", id);
		exit(2);
	}
	return (uint32_t)i;
}

/* Cost from the root to node id, or XM_COST_INF. */
static uint32_t cost_to(const struct xm_graph *g, const struct xm_spf *r,
			uint32_t id)
{
	return r->cost[idx(g, id)];
}

/* The path to node id as "1 2 3". */
static const char *path_str(const struct xm_graph *g, const struct xm_spf *r,
			    uint32_t id)
{
	static char buf[256];
	uint32_t p[64];
	int n = xm_spf_path(r, idx(g, id), p, 64), i;
	size_t len = 0;

	if (n < 0)
		return n == -ENOENT ? "unreachable" : "error";
	buf[0] = '\0';
	for (i = 0; i <= n; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%u",
				i ? " " : "", g->node[p[i]].id);
	return buf;
}

/* The neighbor ids the root's ECMP first hops lead to, as "2 3". */
static const char *first_hops_str(const struct xm_graph *g,
				  const struct xm_spf *r, uint32_t root,
				  uint32_t id)
{
	static char buf[256];
	const struct xm_gnode *rn = &g->node[idx(g, root)];
	uint64_t fh = r->first_hops[idx(g, id)];
	size_t len = 0;
	uint32_t i;

	buf[0] = '\0';
	for (i = 0; i < rn->n_edges && i < 64; i++)
		if (fh & (1ull << i))
			len += snprintf(buf + len, sizeof(buf) - len, "%s%u",
					len ? " " : "",
					g->node[g->edge[rn->first_edge + i].to].id);
	return buf;
}

static void spf(const struct xm_graph *g, uint32_t root, uint8_t max_hops,
		struct xm_spf *r)
{
	if (xm_spf_run(g, idx(g, root), max_hops, r)) {
		fprintf(stderr, "xm_spf_run failed\n");
		exit(2);
	}
}

/* ---- hand-made graphs ---- */

static void line(void)
{
	struct xm_graph g;
	struct xm_spf r;

	graph_parse(&g, "1-2:10 2-3:10 3-4:10 4-5:10");
	spf(&g, 1, 0, &r);
	is_int(cost_to(&g, &r, 5), 40, "line: cost to the far end");
	is_int(r.hops[idx(&g, 5)], 4, "line: 4 hops");
	is_str(path_str(&g, &r, 5), "1 2 3 4 5", "line: path");
	is_str(path_str(&g, &r, 1), "1", "line: the root's path is itself");
	is_int(r.parent[idx(&g, 1)], idx(&g, 1), "line: root's parent");
	is_str(first_hops_str(&g, &r, 1, 4), "2", "line: first hop");
	xm_spf_free(&r);
	spf(&g, 3, 0, &r);
	is_int(cost_to(&g, &r, 1) + cost_to(&g, &r, 5), 40,
	       "line from the middle: both ends at 20");
	xm_spf_free(&r);
	spf(&g, 1, 3, &r);
	is_int(cost_to(&g, &r, 5), XM_COST_INF,
	       "line, max 3 hops: the 4th node is unreachable");
	is_int(cost_to(&g, &r, 4), 30, "line, max 3 hops: the 3rd is not");
	is_int(r.parent[idx(&g, 5)], UINT32_MAX,
	       "unreachable: parent UINT32_MAX");
	is_str(path_str(&g, &r, 5), "unreachable",
	       "unreachable: no path");
	xm_spf_free(&r);
	xm_graph_free(&g);
}

static void diamond(void)
{
	struct xm_graph g;
	struct xm_spf r;

	/* 1 -> 2 -> 4 costs 20, 1 -> 3 -> 4 costs 25 */
	graph_parse(&g, "1-2:10 2-4:10 1-3:5 3-4:20");
	spf(&g, 1, 0, &r);
	is_int(cost_to(&g, &r, 4), 20, "diamond: the cheaper side");
	is_str(path_str(&g, &r, 4), "1 2 4", "diamond: path");
	is_str(first_hops_str(&g, &r, 1, 4), "2", "diamond: one first hop");
	xm_spf_free(&r);
	xm_graph_free(&g);
}

static void ecmp_square(void)
{
	struct xm_graph g;
	struct xm_spf r;

	graph_parse(&g, "1-2:10 2-4:10 1-3:10 3-4:10 4-5:1");
	spf(&g, 1, 0, &r);
	is_int(cost_to(&g, &r, 4), 20, "square: cost");
	is_str(first_hops_str(&g, &r, 1, 4), "2 3",
	       "square: both first hops (ECMP)");
	is_str(first_hops_str(&g, &r, 1, 5), "2 3",
	       "square: ECMP carries on past the join");
	is_str(first_hops_str(&g, &r, 1, 2), "2", "square: a neighbor");
	xm_spf_free(&r);
	/* Equal cost, different hop counts: fewest hops for the path. */
	xm_graph_free(&g);
	graph_parse(&g, "1-2:10 2-3:10 3-4:10 1-4:30");
	spf(&g, 1, 0, &r);
	is_str(first_hops_str(&g, &r, 1, 4), "2 4",
	       "equal cost over 1 and 3 hops: both first hops");
	is_int(r.hops[idx(&g, 4)], 1, "the path has the fewer hops");
	xm_spf_free(&r);
	/* Under 2 hops only the direct edge qualifies. */
	spf(&g, 1, 2, &r);
	is_str(first_hops_str(&g, &r, 1, 4), "4",
	       "max 2 hops: only the first hop of the short path");
	xm_spf_free(&r);
	xm_graph_free(&g);
	/* Parallel edges (two links to one neighbor). */
	graph_parse(&g, "1>2:10 1>2:10 1>2:11 2>3:1");
	spf(&g, 1, 0, &r);
	is_int(r.first_hops[idx(&g, 3)], 3,
	       "parallel equal edges: both bits, not the costlier one");
	xm_spf_free(&r);
	xm_graph_free(&g);
}

static void excluded_zone(void)
{
	struct xm_graph g;
	struct xm_spf r;

	/* 3 is cheap to go through but excluded; 5 is behind it only. */
	graph_parse(&g, "1-2:50 2-4:50 1-3:1 3-4:1 3-5:1 !3");
	spf(&g, 1, 0, &r);
	is_int(cost_to(&g, &r, 4), 100, "excluded node: not a way through");
	is_int(cost_to(&g, &r, 3), 1, "excluded node: still a destination");
	is_int(cost_to(&g, &r, 5), XM_COST_INF,
	       "excluded node: what lies only behind it is unreachable");
	xm_spf_free(&r);
	spf(&g, 3, 0, &r);
	is_int(cost_to(&g, &r, 5), 1, "an excluded root reaches out");
	is_int(cost_to(&g, &r, 2), 51, "an excluded root: beyond too");
	xm_spf_free(&r);
	xm_graph_free(&g);
}

static void max_hops_costlier(void)
{
	struct xm_graph g;
	struct xm_spf r;

	/* 1-2-3-4-5 costs 4; 1-6-5 costs 100. */
	graph_parse(&g, "1-2:1 2-3:1 3-4:1 4-5:1 1-6:50 6-5:50 5-7:1");
	spf(&g, 1, 0, &r);
	is_int(cost_to(&g, &r, 5), 4, "no bound: the long cheap path");
	xm_spf_free(&r);
	spf(&g, 1, 3, &r);
	is_int(cost_to(&g, &r, 5), 100, "max 3 hops: the costlier short one");
	is_str(path_str(&g, &r, 5), "1 6 5", "max 3 hops: its path");
	is_int(cost_to(&g, &r, 7), 101, "max 3 hops: and beyond it");
	is_str(path_str(&g, &r, 7), "1 6 5 7",
	       "path exact although 5's parent chain is no tree");
	is_int(cost_to(&g, &r, 4), 3, "max 3 hops: 4 the cheap way");
	xm_spf_free(&r);
	/* A bound that cannot bind is no bound. */
	spf(&g, 1, 200, &r);
	is_int(cost_to(&g, &r, 5), 4, "max 200 hops: the cheap path");
	ok(r.state_parent == NULL, "a bound above n - 1 runs unbounded");
	xm_spf_free(&r);
	xm_graph_free(&g);
}

static void parse_errors(void)
{
	struct xm_graph g;

	is_int(xm_graph_parse(&g, "1-2:3 x"), -EINVAL, "graph spec: junk");
	is_int(xm_graph_parse(&g, "1-2:3 !4"), -EINVAL,
	       "graph spec: no_transit of an unknown node");
	is_int(xm_graph_parse(&g, "1*2:3"), -EINVAL, "graph spec: bad edge");
}

static void odd_graphs(void)
{
	struct xm_graph_edge e[100];
	uint32_t ids[101], i;
	struct xm_graph g;
	struct xm_spf r;

	/* A root with more edges than first_hops has bits. */
	for (i = 0; i <= 100; i++)
		ids[i] = i + 1;
	for (i = 0; i < 100; i++)
		e[i] = (struct xm_graph_edge){ 1, i + 2, 5 };
	xm_graph_build(&g, ids, 101, e, 100);
	spf(&g, 1, 0, &r);
	ok(r.cost[idx(&g, 101)] == 5 && r.first_hops[idx(&g, 65)] != 0 &&
	   r.first_hops[idx(&g, 66)] == 0,
	   "100 root edges: all reached, the first 64 have bits");
	xm_spf_free(&r);
	xm_graph_free(&g);
	/* A huge metric saturates, it does not wrap. */
	graph_parse(&g, "1>2:4294967295 2>3:4294967295 1>4:1");
	spf(&g, 1, 0, &r);
	is_int(cost_to(&g, &r, 3), XM_COST_INF - 1,
	       "huge metrics saturate below XM_COST_INF");
	xm_spf_free(&r);
	xm_graph_free(&g);
	graph_parse(&g, "7");
	spf(&g, 7, 0, &r);
	ok(r.n == 1 && r.cost[0] == 0, "a graph of one node");
	xm_spf_free(&r);
	xm_graph_free(&g);
}

/* ---- references ---- */

#define RMAX	10

struct ref {
	uint32_t cost[RMAX];
	uint8_t hops[RMAX];
	uint64_t fh[RMAX];
};

static void dfs(const struct xm_graph *g, uint32_t root, uint32_t v,
		uint64_t cost, unsigned int hops, uint64_t fh, bool *on,
		int bound, struct ref *x)
{
	const struct xm_gnode *gv = &g->node[v];
	uint32_t i;

	if (cost < x->cost[v]) {
		x->cost[v] = (uint32_t)cost;
		x->hops[v] = (uint8_t)hops;
		x->fh[v] = fh;
	} else if (cost == x->cost[v]) {
		if (hops < x->hops[v])
			x->hops[v] = (uint8_t)hops;
		x->fh[v] |= fh;
	}
	if ((v != root && gv->no_transit) || (bound >= 0 && (int)hops >= bound))
		return;
	for (i = 0; i < gv->n_edges; i++) {
		const struct xm_gedge *e = &g->edge[gv->first_edge + i];

		if (on[e->to])
			continue;
		on[e->to] = true;
		dfs(g, root, e->to, cost + e->metric, hops + 1,
		    v == root ? 1ull << i : fh, on, bound, x);
		on[e->to] = false;
	}
}

/* Every simple path from root. */
static void brute(const struct xm_graph *g, uint32_t root, int bound,
		  struct ref *x)
{
	bool on[RMAX] = { 0 };
	uint32_t v;

	for (v = 0; v < g->n_nodes; v++) {
		x->cost[v] = XM_COST_INF;
		x->hops[v] = 0;
		x->fh[v] = 0;
	}
	on[root] = true;
	dfs(g, root, root, 0, 0, 0, on, bound, x);
}

static uint64_t rng = 42;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((rng >> 33) % n);
}

static void random_graph(struct xm_graph *g, uint32_t n, unsigned int pct,
			 uint32_t max_metric, bool symmetric)
{
	struct xm_graph_edge *e = malloc(n * n * 2 * sizeof(*e) + 1);
	uint32_t ids[512], a, b;
	size_t ne = 0;

	for (a = 0; a < n; a++)
		ids[a] = 1000 - 7 * a;	/* sorted differently than built */
	for (a = 0; a < n; a++)
		for (b = symmetric ? a + 1 : 0; b < n; b++) {
			uint32_t m = 1 + rnd(max_metric);

			if (a == b || rnd(100) >= pct)
				continue;
			e[ne++] = (struct xm_graph_edge){ ids[a], ids[b], m };
			if (symmetric)
				e[ne++] = (struct xm_graph_edge){ ids[b], ids[a],
								  m };
		}
	if (xm_graph_build(g, ids, n, e, ne))
		exit(2);
	for (a = 0; a < n; a++)
		g->node[a].no_transit = rnd(100) < 15;
	free(e);
}

/* Walk the path xm_spf_path() gives: a real path of the cost it says. */
static bool path_valid(const struct xm_graph *g, const struct xm_spf *r,
		       uint32_t root, uint32_t v, int bound)
{
	uint32_t p[600];
	uint64_t cost = 0;
	int n = xm_spf_path(r, v, p, 600), i;

	if (n < 0 || p[0] != root || p[n] != v || n != r->hops[v] ||
	    (bound >= 0 && n > bound))
		return false;
	for (i = 0; i < n; i++) {
		const struct xm_gnode *a = &g->node[p[i]];
		uint32_t best = XM_COST_INF, k;

		if (i > 0 && a->no_transit)
			return false;
		for (k = 0; k < a->n_edges; k++) {
			const struct xm_gedge *e = &g->edge[a->first_edge + k];

			if (e->to == p[i + 1] && e->metric < best)
				best = e->metric;
		}
		if (best == XM_COST_INF)
			return false;
		cost += best;
	}
	return cost == r->cost[v];
}

static void random_small(void)
{
	unsigned int cases = 0, bad_cost = 0, bad_hops = 0, bad_fh = 0,
		     bad_path = 0, t;

	for (t = 0; t < 6000; t++) {
		uint32_t n = 1 + rnd(RMAX), root = rnd(n), v;
		uint8_t max_hops = rnd(3) ? 0 : (uint8_t)rnd(n + 1);
		int bound = max_hops ? max_hops : -1;
		struct xm_graph g;
		struct xm_spf r;
		struct ref x;

		random_graph(&g, n, 20 + rnd(60), 1 + rnd(6), rnd(2));
		spf(&g, g.node[root].id, max_hops, &r);
		brute(&g, root, bound, &x);
		for (v = 0; v < n; v++) {
			cases++;
			bad_cost += r.cost[v] != x.cost[v];
			if (x.cost[v] == XM_COST_INF)
				continue;
			bad_hops += r.hops[v] != x.hops[v];
			bad_fh += r.first_hops[v] != x.fh[v];
			bad_path += !path_valid(&g, &r, root, v, bound);
		}
		xm_spf_free(&r);
		xm_graph_free(&g);
	}
	ok(bad_cost == 0, "random small graphs: costs as every simple path "
	   "says (%u nodes, %u wrong)", cases, bad_cost);
	ok(bad_hops == 0, "random small graphs: fewest hops of the least "
	   "cost (%u wrong)", bad_hops);
	ok(bad_fh == 0, "random small graphs: ECMP first hops exact "
	   "(%u wrong)", bad_fh);
	ok(bad_path == 0, "random small graphs: xm_spf_path() a real path of "
	   "that cost and hops, within the bound (%u wrong)", bad_path);
}

static void random_big(void)
{
	unsigned int cases = 0, bad_cost = 0, bad_hops = 0, bad_path = 0, t;
	unsigned int bad_costs = 0, costs_cases = 0;
	struct xm_spf_ws w;
	uint32_t *cost;

	for (t = 0; t < 300; t++) {
		uint32_t n = 20 + rnd(180), root = rnd(n), v, layers;
		uint8_t max_hops = rnd(2) ? 0 : (uint8_t)(1 + rnd(12));
		int bound = max_hops ? max_hops : -1;
		struct xm_graph g;
		struct xm_spf r;
		uint64_t *d;

		/* Metrics up to 10^3, or up to 2^24 (beyond the bucket
		 * queue's window; 200 hops of them below XM_COST_INF). */
		random_graph(&g, n, 1 + rnd(6),
			     rnd(4) ? 1 + rnd(1000) : 1 + rnd(1u << 24), rnd(2));
		layers = max_hops ? max_hops + 1u : n;
		d = malloc((size_t)layers * n * sizeof(*d));
		spf(&g, g.node[root].id, max_hops, &r);
		xm_ref_distances(&g, root, layers, d);
		for (v = 0; v < n; v++) {
			uint64_t want = d[(size_t)(layers - 1) * n + v];
			unsigned int h = 0;

			cases++;
			if (want == UINT64_MAX) {
				bad_cost += r.cost[v] != XM_COST_INF;
				continue;
			}
			bad_cost += r.cost[v] != want;
			while (d[(size_t)h * n + v] != want)
				h++;
			bad_hops += r.hops[v] != h;
			bad_path += !path_valid(&g, &r, root, v, bound);
		}
		/* The costs-only runs of the alternates: the same costs. */
		if (!max_hops) {
			cost = malloc(n * sizeof(*cost));
			if (xm_spf_ws_init(&w, n, 1) ||
			    xm_spf_costs_init(&w, &g))
				exit(2);
			xm_spf_costs(&g, root, &w, cost);
			for (v = 0; v < n; v++, costs_cases++)
				bad_costs += cost[v] != r.cost[v];
			xm_spf_ws_free(&w);
			free(cost);
		}
		free(d);
		xm_spf_free(&r);
		xm_graph_free(&g);
	}
	ok(bad_costs == 0 && costs_cases > 10000,
	   "random graphs: xm_spf_costs() as xm_spf_run() (%u nodes, %u "
	   "wrong)", costs_cases, bad_costs);
	ok(bad_cost == 0, "random graphs of 20-200 nodes: costs as Bellman-"
	   "Ford's (%u nodes, %u wrong)", cases, bad_cost);
	ok(bad_hops == 0, "random graphs: hops as Bellman-Ford's (%u wrong)",
	   bad_hops);
	ok(bad_path == 0, "random graphs: paths valid (%u wrong)", bad_path);
}

static void transpose(void)
{
	struct xm_graph g, t;
	struct xm_spf r;

	graph_parse(&g, "1>2:1 2>3:1 3>1:10 1>3:50");
	xm_graph_transpose(&g, &t);
	spf(&t, 1, 0, &r);
	is_int(cost_to(&t, &r, 3), 10,
	       "reversed graph: distance 3 -> 1 is 10 (not 1 -> 3's 50)");
	is_int(cost_to(&t, &r, 2), 11, "reversed graph: 2 -> 1 is 11");
	xm_spf_free(&r);
	xm_graph_free(&t);
	xm_graph_free(&g);
}

int main(void)
{
	line();
	diamond();
	ecmp_square();
	excluded_zone();
	max_hops_costlier();
	parse_errors();
	odd_graphs();
	transpose();
	random_small();
	random_big();
	return tap_done();
}
