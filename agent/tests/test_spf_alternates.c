// SPDX-License-Identifier: GPL-2.0
/*
 * The loop-free alternates' computation against a plain reference, over
 * graphs of several shapes and metric spreads (ties, a wide range, rare
 * huge metrics beyond the bucket queue's window, metric 0, sums
 * saturating below XM_COST_INF), with one-way links and excluded nodes:
 * - xm_spf_costs() on its bucket queue against the binary-heap engine,
 *   each node expanded once;
 * - the warm start xm_spf_costs_below(): the same costs, and exactly the
 *   nodes that beat their bound queued (the proof in spf.c);
 * - xm_routes_compute() against xm_routes_compute_ref() (a full Dijkstra
 *   per neighbor and over the reversed graph): the same routes, next
 *   hops and priorities, with hop limits, several adjacencies to one
 *   neighbor and adjacency metrics other than the graph's.
 */
#include "../sim/fibcmp.h"
#include "../sim/refgraph.h"
#include "tap.h"

static uint64_t rng = 2026;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((rng >> 33) % n);
}

enum shape { RANDOM, GRID, GEOMETRIC, LINE, STAR, N_SHAPES };
enum spread { TIES, WIDE, OUTLIERS, HUGE, N_SPREADS };

static const char *const shape_name[] = { "random", "grid", "geometric",
					  "line", "star" };

static uint32_t metric(enum spread s)
{
	switch (s) {
	case TIES:
		return rnd(4);			/* 0 counts as 1 */
	case WIDE:
		return 1 + rnd(100000);
	case OUTLIERS:
		/*
		 * Mostly 14..133 (the simulator's), a few dead-ish links,
		 * a few beyond what the core advertises.
		 */
		if (rnd(50))
			return 14 + rnd(120);
		return rnd(2) ? XM_METRIC_MAX : UINT32_MAX - rnd(100);
	default:
		return XM_METRIC_MAX - rnd(1000);	/* sums saturate */
	}
}

struct edges {
	struct xm_graph_edge *e;
	size_t n, cap;
};

/* Lines: no one-way links nor excluded nodes, for long paths. */
static bool plain;

/* An edge a -> b, and b -> a unless one way; the metric of either side. */
static void link2(struct edges *x, uint32_t a, uint32_t b, enum spread s)
{
	uint32_t m = metric(s);

	if (x->n + 2 > x->cap) {
		x->cap = 2 * x->cap + 64;
		x->e = realloc(x->e, x->cap * sizeof(*x->e));
		if (!x->e)
			exit(2);
	}
	x->e[x->n++] = (struct xm_graph_edge){ a, b, m };
	if (plain || rnd(10))
		x->e[x->n++] = (struct xm_graph_edge){
			b, a, rnd(3) ? m : metric(s) };
}

static uint32_t make_graph(struct xm_graph *g, enum shape sh, enum spread s)
{
	uint32_t n = 0, a, b, side, *ids;
	struct edges x = { 0 };
	double *px = NULL, *py = NULL;

	plain = sh == LINE && rnd(2);
	switch (sh) {
	case RANDOM:
		n = 2 + rnd(300);
		for (a = 0; a < n; a++)
			for (b = 0; b < 3; b++)
				link2(&x, a, rnd(n), s);
		break;
	case GRID:
		side = 2 + rnd(20);
		n = side * side;
		for (a = 0; a < n; a++) {
			if (a % side + 1 < side)
				link2(&x, a, a + 1, s);
			if (a + side < n)
				link2(&x, a, a + side, s);
		}
		break;
	case GEOMETRIC:
		n = 50 + rnd(400);
		px = malloc(n * sizeof(*px));
		py = malloc(n * sizeof(*py));
		for (a = 0; a < n; a++) {
			px[a] = rnd(1u << 20) / (double)(1u << 20);
			py[a] = rnd(1u << 20) / (double)(1u << 20);
		}
		for (a = 0; a < n; a++)
			for (b = a + 1; b < n; b++) {
				double dx = px[a] - px[b], dy = py[a] - py[b];

				if ((dx * dx + dy * dy) * n < 3.0)
					link2(&x, a, b, s);
			}
		free(px);
		free(py);
		break;
	case LINE:
		n = 2 + rnd(600);	/* past 256 hops of huge metrics */
		for (a = 0; a + 1 < n; a++)
			link2(&x, a, a + 1, s);
		break;
	default:
		n = 2 + rnd(100);
		for (a = 1; a < n; a++)
			link2(&x, 0, a, s);
		for (a = 0; a < n / 4; a++)
			link2(&x, 1 + rnd(n - 1), 1 + rnd(n - 1), s);
	}
	ids = malloc(n * sizeof(*ids));
	for (a = 0; a < n; a++)
		ids[a] = 5 + 3 * a;
	for (a = 0; a < x.n; a++) {
		x.e[a].from = ids[x.e[a].from];
		x.e[a].to = ids[x.e[a].to];
	}
	if (xm_graph_build(g, ids, n, x.e, x.n))
		exit(2);
	for (a = 0; a < n; a++)
		g->node[a].no_transit = !plain && rnd(100) < 8;
	free(ids);
	free(x.e);
	return n;
}

struct tally {
	unsigned int graphs, nodes, bad_cold, bad_warm, bad_queued, warm_runs;
	unsigned int bad_pops;
	uint64_t warm_nodes, pushes_cold, pushes_warm, saturated, far;
};

/*
 * From root, cold and warm: U(v) = metric(root, s) + d(s, v) through a
 * neighbor s (transit) of root, as the alternates use it.
 */
static void check_root(const struct xm_graph *g, uint32_t root,
		       struct xm_spf_ws *w, uint32_t *ref, uint32_t *cold,
		       uint32_t *from_s, uint32_t *warm, struct tally *t)
{
	const struct xm_gnode *r = &g->node[root];
	uint32_t n = g->n_nodes, v, i, s, back = XM_COST_INF;
	uint64_t before, pushes_cold, pops, reached = 0;

	xm_spf_engine(g, root, XM_SPF_UNBOUNDED, w, ref, NULL, NULL, NULL);
	before = w->q_pushes;
	pops = w->q_pops;
	xm_spf_costs(g, root, w, cold);
	pushes_cold = w->q_pushes - before;
	for (v = 0; v < n; v++) {
		t->nodes++;
		t->bad_cold += cold[v] != ref[v];
		t->saturated += ref[v] == XM_COST_INF - 1;
		reached += ref[v] != XM_COST_INF;
	}
	/* Each node expanded once, when final: none corrected later. */
	t->bad_pops += w->q_pops - pops != reached;
	if (!r->n_edges)
		return;
	i = rnd(r->n_edges);
	s = g->edge[r->first_edge + i].to;
	if (g->node[s].no_transit || s == root)
		return;
	for (i = 0; i < r->n_edges; i++) {
		const struct xm_gedge *e = &g->edge[r->first_edge + i];
		uint32_t m = e->metric ? e->metric : 1;

		if (e->to == s && m < back)
			back = m;
	}
	xm_spf_costs(g, s, w, from_s);
	for (v = 0; v < n; v++)
		warm[v] = from_s[v] == XM_COST_INF ? XM_COST_INF :
			  xm_cost_add(back, from_s[v]);
	before = w->q_pushes;
	xm_spf_costs_below(g, root, w, warm);
	t->pushes_warm += w->q_pushes - before;
	t->pushes_cold += pushes_cold;
	t->warm_nodes += n;
	t->warm_runs++;
	for (v = 0; v < n; v++) {
		uint32_t u = from_s[v] == XM_COST_INF ? XM_COST_INF :
			     xm_cost_add(back, from_s[v]);
		bool queued = w->qstate[v] != XM_SPF_Q_OUT;

		t->bad_warm += warm[v] != ref[v];
		/* Queued exactly when its least cost beats the bound. */
		if (v != root)
			t->bad_queued += queued != (ref[v] < u);
	}
}

struct route_tally {
	unsigned int computations, bounded, differ;
	uint64_t routes, backups;
};

/* The routes of root, fast and reference, over adjacencies made up. */
static void check_routes(const struct xm_graph *g, uint32_t root,
			 struct route_tally *t)
{
	const struct xm_gnode *r = &g->node[root];
	struct xm_local_adj *adj = malloc((2 * r->n_edges + 1) * sizeof(*adj));
	struct xm_fib fast = { 0 }, ref = { 0 };
	uint8_t max_hops = rnd(4) ? 0 : (uint8_t)(1 + rnd(8));
	size_t n_adj = 0, i;

	if (!adj)
		exit(2);
	for (i = 0; i < r->n_edges; i++) {
		const struct xm_gedge *e = &g->edge[r->first_edge + i];
		uint32_t m = e->metric;

		if (!rnd(5))
			m = metric(rnd(N_SPREADS));	/* not the graph's */
		adj[n_adj++] = (struct xm_local_adj){
			.node = g->node[e->to].id, .neigh = 1000 + (uint32_t)i,
			.metric = m };
		if (!rnd(6))	/* a second link to the same node */
			adj[n_adj++] = (struct xm_local_adj){
				.node = g->node[e->to].id,
				.neigh = 5000 + (uint32_t)i,
				.metric = rnd(2) ? m : 1 + rnd(200) };
	}
	if (xm_routes_compute(g, r->id, adj, n_adj, max_hops, &fast) ||
	    xm_routes_compute_ref(g, r->id, adj, n_adj, max_hops, &ref))
		exit(2);
	t->computations++;
	t->bounded += max_hops != 0;
	t->differ += !xm_fib_same(&fast, &ref);
	t->routes += fast.n_routes;
	for (i = 0; i < fast.n_routes; i++)
		t->backups += fast.routes[i].n_nexthops &&
			      fast.routes[i].nexthop[fast.routes[i].n_nexthops -
						     1].priority;
	free(fast.routes);
	free(ref.routes);
	free(adj);
}

int main(void)
{
	struct route_tally routes[N_SHAPES] = { 0 };
	struct tally by_shape[N_SHAPES] = { 0 }, all = { 0 };
	unsigned int k, sh, sp;

	for (k = 0; k < 400; k++) {
		sh = k % N_SHAPES;
		sp = (k / N_SHAPES) % N_SPREADS;
		{
			struct tally *t = &by_shape[sh];
			struct xm_graph g;
			struct xm_spf_ws w;
			uint32_t n = make_graph(&g, sh, sp), j, *buf;

			buf = malloc(4 * (size_t)n * sizeof(*buf) + 1);
			if (!buf || xm_spf_ws_init(&w, n, 1) ||
			    xm_spf_costs_init(&w, &g))
				exit(2);
			/* A metric the window cannot hold: the heap's. */
			for (j = 0; j < g.n_edges; j++)
				if ((g.edge[j].metric >> w.q_shift) + 2 >
				    w.q_window)
					break;
			t->far += j < g.n_edges;
			for (j = 0; j < 6; j++)
				check_root(&g, rnd(n), &w, buf, buf + n,
					   buf + 2 * n, buf + 3 * n, t);
			for (j = 0; j < 4; j++)
				check_routes(&g, rnd(n), &routes[sh]);
			t->graphs++;
			xm_spf_ws_free(&w);
			free(buf);
			xm_graph_free(&g);
		}
	}
	for (sh = 0; sh < N_SHAPES; sh++) {
		struct tally *t = &by_shape[sh];

		ok(t->bad_pops == 0, "%s graphs: every node reached expanded "
		   "exactly once (%u runs wrong)", shape_name[sh], t->bad_pops);
		ok(t->bad_cold == 0 && t->bad_warm == 0,
		   "%s graphs (%u): bucket queue's costs as the binary heap's, "
		   "cold and warm (%u nodes, %u and %u wrong)", shape_name[sh],
		   t->graphs, t->nodes, t->bad_cold, t->bad_warm);
		ok(t->bad_queued == 0, "%s graphs: warm start queues exactly "
		   "the nodes beating their bound (%u runs, %u wrong; queue "
		   "insertions %.2f per node cold, %.2f warm)", shape_name[sh],
		   t->warm_runs, t->bad_queued,
		   (double)t->pushes_cold / (t->warm_nodes ? t->warm_nodes : 1),
		   (double)t->pushes_warm / (t->warm_nodes ? t->warm_nodes : 1));
		ok(routes[sh].differ == 0 && routes[sh].backups > 0,
		   "%s graphs: routes as the reference's (%u computations, %u "
		   "with a hop limit, %u differ; %llu routes, %llu with a "
		   "backup)", shape_name[sh], routes[sh].computations,
		   routes[sh].bounded, routes[sh].differ,
		   (unsigned long long)routes[sh].routes,
		   (unsigned long long)routes[sh].backups);
		all.saturated += t->saturated;
		all.far += t->far;
		all.pushes_cold += t->pushes_cold;
		all.pushes_warm += t->pushes_warm;
	}
	ok(all.saturated > 0, "some costs saturate below XM_COST_INF (%llu)",
	   (unsigned long long)all.saturated);
	ok(all.far > 0, "some graphs have metrics beyond the window (%llu)",
	   (unsigned long long)all.far);
	ok(all.pushes_warm > 0 && all.pushes_warm < all.pushes_cold,
	   "the warm start queues fewer nodes");
	return tap_done();
}
