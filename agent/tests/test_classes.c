// SPDX-License-Identifier: GPL-2.0
/*
 * Per-class paths (core/classes.c): the class metrics, the class graph
 * (weights, zones), the class routes and paths on a square with a short
 * thin way and a long fat one, which classes get a table, and the kernel
 * diff of class tables (core/fib.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tap.h"
#include "classes.h"
#include "fib.h"
#include "spf.h"
#include "../daemon/config.h"
#include "policy.h"
#include "policy_agent.h"
#include "../sim/sim.h"

/*
 * Node 1 (this one) reaches 4 through 2 (2 ms RTT, 10 Mb/s a hop: short
 * and thin) or through 3 (40 ms, 1 Gb/s: long and fat). Per hop, the
 * default metric is 1000 + 10000 = 11000 through 2 and 20000 + 100 =
 * 20100 through 3, so the default and latency paths go through 2, the
 * bandwidth path through 3. Zones: 2 "edge", 3 "core".
 */
#define THIN_RTT	2000
#define THIN_MBPS	10
#define FAT_RTT		40000
#define FAT_MBPS	1000
#define NEIGH_TO_2	12
#define NEIGH_TO_3	13

struct square {
	struct xm_graph g;
	struct xm_class_topo t;
	struct xm_edge e[8];
	char zone[4][XM_NAME_MAX];
	struct xm_local_adj adj[2];
};

static void square_init(struct square *s)
{
	static const uint32_t ids[4] = { 1, 2, 3, 4 };
	static const uint32_t pairs[4][2] = { { 1, 2 }, { 2, 4 }, { 1, 3 },
					      { 3, 4 } };
	struct xm_graph_edge ge[8];
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < 8; i++) {
		bool thin = i / 2 < 2;
		uint32_t a = pairs[i / 2][i % 2], b = pairs[i / 2][!(i % 2)];

		s->e[i] = (struct xm_edge){
			.from = a, .to = b,
			.rtt_us = thin ? THIN_RTT : FAT_RTT,
			.bandwidth_mbps = thin ? THIN_MBPS : FAT_MBPS,
		};
		s->e[i].metric = xm_metric(s->e[i].rtt_us, 0,
					   s->e[i].bandwidth_mbps);
		ge[i] = (struct xm_graph_edge){ a, b, s->e[i].metric };
	}
	if (xm_graph_build(&s->g, ids, 4, ge, 8))
		abort();
	strcpy(s->zone[1], "edge");
	strcpy(s->zone[2], "core");
	s->t = (struct xm_class_topo){
		.base = &s->g, .zone = s->zone, .edge = s->e, .n_edges = 8,
		.self = 1,
	};
	/* By (from, to), as xm_class_topo_init() leaves them. */
	{
		struct xm_edge tmp[8];
		unsigned int k, n = 0;
		uint32_t from, to;

		for (from = 1; from <= 4; from++)
			for (to = 1; to <= 4; to++)
				for (k = 0; k < 8; k++)
					if (s->e[k].from == from &&
					    s->e[k].to == to)
						tmp[n++] = s->e[k];
		memcpy(s->e, tmp, sizeof(tmp));
	}
	s->adj[0] = (struct xm_local_adj){ .node = 2, .neigh = NEIGH_TO_2,
					   .metric = 11000 };
	s->adj[1] = (struct xm_local_adj){ .node = 3, .neigh = NEIGH_TO_3,
					   .metric = 20100 };
}

static struct xm_class_path class_of(uint8_t metric)
{
	return (struct xm_class_path){ .metric = metric,
				       .latency_weight = 50 };
}

/* The primary next hop of fib's route to (dst, tclass); 0 if none. */
static uint32_t primary(const struct xm_fib *f, uint32_t dst, uint8_t tclass)
{
	size_t i;
	unsigned int h;

	for (i = 0; i < f->n_routes; i++) {
		if (f->routes[i].dst != dst || f->routes[i].tclass != tclass)
			continue;
		for (h = 0; h < f->routes[i].n_nexthops; h++)
			if (!f->routes[i].nexthop[h].priority)
				return f->routes[i].nexthop[h].neigh;
	}
	return 0;
}

static void metrics(void)
{
	struct xm_class_path lat = class_of(XM_CLASS_METRIC_LATENCY);
	struct xm_class_path bw = class_of(XM_CLASS_METRIC_BANDWIDTH);
	struct xm_class_path mix = class_of(XM_CLASS_METRIC_MIX);
	struct xm_class_path def = class_of(XM_CLASS_METRIC_DEFAULT);
	struct xm_edge e = { .from = 1, .to = 2, .metric = 11000,
			     .rtt_us = THIN_RTT, .bandwidth_mbps = THIN_MBPS };
	uint32_t i, bad = 0;

	is_int(xm_class_metric(&lat, &e), 1000, "latency: half the RTT");
	is_int(xm_class_metric(&bw, &e), 10000, "bandwidth: 100000 / Mb/s");
	is_int(xm_class_metric(&mix, &e), 5500, "mix 50: half of each");
	mix.latency_weight = 90;
	is_int(xm_class_metric(&mix, &e), 1900, "mix 90: 900 + 1000");
	is_int(xm_class_metric(&def, &e), 11000, "default: as advertised");
	e.loss_ppm = 500000;
	is_int(xm_class_metric(&lat, &e), 2000, "half the probes lost: x2");
	e.metric = XM_METRIC_MAX;
	is_int(xm_class_metric(&lat, &e), XM_METRIC_MAX,
	       "a drained or dead adjacency stays so");
	e = (struct xm_edge){ .metric = 5, .rtt_us = 0,
			      .bandwidth_mbps = 100000 };
	ok(xm_class_metric(&bw, &e) >= 1 && xm_class_metric(&lat, &e) >= 1,
	   "never 0");
	/* The default metric is the (100, 100) weighting. */
	for (i = 0; i < 20000; i++) {
		uint32_t rtt = i * 7919u % 300000, loss = i * 104729u % 1000000;
		uint32_t mbps = i * 131u % 200000;

		bad += xm_metric(rtt, loss, mbps) !=
		       xm_metric_weighted(rtt, loss, mbps, 100, 100);
	}
	is_int(bad, 0, "xm_metric() = xm_metric_weighted(100, 100)");
}

static void settings(void)
{
	struct xm_class_path cp = class_of(XM_CLASS_METRIC_DEFAULT);

	cp.latency_weight = 0;
	ok(!xm_class_path_own(&cp), "default settings: no table of its own");
	cp.max_hops = 3;
	ok(xm_class_path_own(&cp), "a hop limit: its own table");
	cp = class_of(XM_CLASS_METRIC_LATENCY);
	ok(xm_class_path_own(&cp), "a metric: its own table");
	ok(!xm_class_path_check(&cp), "valid");
	cp.metric = 9;
	ok(xm_class_path_check(&cp) != NULL, "an unknown metric is refused");
	cp = class_of(XM_CLASS_METRIC_MIX);
	cp.latency_weight = 101;
	ok(xm_class_path_check(&cp) != NULL, "a weight above 100 is refused");
	cp = class_of(XM_CLASS_METRIC_LATENCY);
	cp.n_zones = 1;
	ok(xm_class_path_check(&cp) != NULL, "an empty zone is refused");
	is_int(xm_class_metric_parse("bandwidth"), XM_CLASS_METRIC_BANDWIDTH,
	       "metric names");
	is_int(xm_class_metric_parse("fast"), -1, "an unknown metric name");
	is_str(xm_class_metric_name(XM_CLASS_METRIC_MIX), "mix", "mix");
}

static void graph_weights(void)
{
	struct square s;
	struct xm_class_path bw = class_of(XM_CLASS_METRIC_BANDWIDTH);
	struct xm_graph g;
	uint32_t v, i, wrong = 0;

	square_init(&s);
	is_int(xm_class_graph(&s.t, &bw, &g), 0, "class graph built");
	is_int(g.n_edges, s.g.n_edges, "the same edges");
	for (v = 0; v < g.n_nodes; v++)
		for (i = 0; i < g.node[v].n_edges; i++) {
			const struct xm_gedge *e =
				&g.edge[g.node[v].first_edge + i];
			uint32_t a = g.node[v].id, b = g.node[e->to].id;
			bool thin = a == 2 || b == 2;

			wrong += e->metric != (thin ? 10000u : 100u);
		}
	is_int(wrong, 0, "every edge at the bandwidth metric");
	ok(!g.node[1].no_transit && !g.node[2].no_transit,
	   "no zones: every node may be crossed");
	xm_graph_free(&g);
	bw.n_zones = 1;
	strcpy(bw.zones[0], "edge");
	xm_class_graph(&s.t, &bw, &g);
	ok(!g.node[0].no_transit, "this node is never no-transit");
	ok(!g.node[1].no_transit, "zone edge may be crossed");
	ok(g.node[2].no_transit && g.node[3].no_transit,
	   "the other zones may not");
	xm_graph_free(&g);
	xm_graph_free(&s.g);
}

static void routes_per_class(void)
{
	struct xm_class_path lat = class_of(XM_CLASS_METRIC_LATENCY);
	struct xm_class_path bw = class_of(XM_CLASS_METRIC_BANDWIDTH);
	struct xm_fib def = { 0 }, f = { 0 };
	struct square s;
	size_t i;
	bool tagged = true;

	square_init(&s);
	is_int(xm_routes_compute(&s.g, 1, s.adj, 2, 0, &def), 0,
	       "default routes");
	is_int(primary(&def, 4, 0), NEIGH_TO_2,
	       "default metric: 4 through 2 (22000 against 40200)");
	free(def.routes);

	is_int(xm_class_routes(&s.t, &lat, XMESH_TC_REALTIME, s.adj, 2, &f), 0,
	       "latency class routes");
	is_int(xm_class_routes(&s.t, &bw, XMESH_TC_BULK, s.adj, 2, &f), 0,
	       "bandwidth class routes appended");
	is_int(f.n_routes, 6, "three destinations in each table");
	for (i = 0; i < f.n_routes; i++)
		tagged &= f.routes[i].tclass == (i < 3 ? XMESH_TC_REALTIME :
							 XMESH_TC_BULK);
	ok(tagged, "each route carries its class");
	is_int(primary(&f, 4, XMESH_TC_REALTIME), NEIGH_TO_2,
	       "latency: 4 through 2 (2000 against 40000)");
	is_int(primary(&f, 4, XMESH_TC_BULK), NEIGH_TO_3,
	       "bandwidth: 4 through 3 (200 against 20000)");
	is_int(primary(&f, 2, XMESH_TC_BULK), NEIGH_TO_2,
	       "bandwidth: a neighbor is still reached directly");
	free(f.routes);

	/* Latency, but zone edge may not be crossed: through 3. */
	memset(&f, 0, sizeof(f));
	lat.n_zones = 1;
	strcpy(lat.zones[0], "core");
	xm_class_routes(&s.t, &lat, XMESH_TC_REALTIME, s.adj, 2, &f);
	is_int(primary(&f, 4, XMESH_TC_REALTIME), NEIGH_TO_3,
	       "zones: latency avoids zone edge");
	is_int(primary(&f, 2, XMESH_TC_REALTIME), NEIGH_TO_2,
	       "zones: a node outside them is still a destination");
	free(f.routes);

	/* A hop limit of 1: only the neighbors. */
	memset(&f, 0, sizeof(f));
	lat.n_zones = 0;
	lat.max_hops = 1;
	xm_class_routes(&s.t, &lat, XMESH_TC_REALTIME, s.adj, 2, &f);
	is_int(f.n_routes, 2, "max-hops 1: routes to the neighbors only");
	is_int(primary(&f, 4, XMESH_TC_REALTIME), 0, "none to 4");
	free(f.routes);
	xm_graph_free(&s.g);
}

static void tables_of_policy(void)
{
	struct xm_policy p = { 0 };
	struct xm_fib f = { 0 };
	struct square s;
	size_t i, n[XM_CLASSES + 1] = { 0 };

	square_init(&s);
	p.classes[XMESH_TC_REALTIME - 1] = class_of(XM_CLASS_METRIC_LATENCY);
	p.classes[XMESH_TC_BULK - 1] = class_of(XM_CLASS_METRIC_BANDWIDTH);
	p.classes[XMESH_TC_INTERACTIVE - 1].latency_weight = 30;
	is_int(xm_class_routes_all(&s.t, &p, s.adj, 2, &f), 0,
	       "the policy's class tables");
	for (i = 0; i < f.n_routes; i++)
		n[f.routes[i].tclass <= XM_CLASSES ? f.routes[i].tclass : 0]++;
	ok(n[XMESH_TC_BULK] == 3 && n[XMESH_TC_REALTIME] == 3 &&
	   !n[XMESH_TC_INTERACTIVE] && !n[XMESH_TC_NETWORK_CONTROL] && !n[0],
	   "tables for the classes with settings of their own only");
	free(f.routes);
	xm_graph_free(&s.g);
}

static void paths(void)
{
	struct xm_class_path lat = class_of(XM_CLASS_METRIC_LATENCY);
	struct xm_class_path bw = class_of(XM_CLASS_METRIC_BANDWIDTH);
	struct xm_path p;
	struct square s;

	square_init(&s);
	is_int(xm_class_path_to(&s.t, &lat, 4, &p), 0, "latency path");
	ok(p.n_hops == 2 && p.node[0] == 1 && p.node[1] == 2 &&
	   p.node[2] == 4, "latency: 1 2 4");
	ok(p.cost[1] == 1000 && p.cost[2] == 2000, "latency costs 1000 a hop");
	is_int(xm_class_path_to(&s.t, &bw, 4, &p), 0, "bandwidth path");
	ok(p.n_hops == 2 && p.node[1] == 3 && p.cost[2] == 200,
	   "bandwidth: 1 3 4 at 100 a hop");
	is_int(xm_class_path_to(&s.t, &bw, 9, &p), -ENOENT,
	       "an unknown node: -ENOENT");
	lat.max_hops = 1;
	is_int(xm_class_path_to(&s.t, &lat, 4, &p), -ENOENT,
	       "beyond the class's hop limit: -ENOENT");
	xm_graph_free(&s.g);
}

/* ---- the kernel diff of class tables ---- */

static struct xm_fib_route route(uint32_t dst, uint8_t tclass, uint32_t via)
{
	return (struct xm_fib_route){
		.dst = dst, .tclass = tclass, .n_nexthops = 1,
		.nexthop = { { .neigh = via } },
	};
}

static const struct xm_change *find_change(const struct xm_change *c,
					   size_t n, uint8_t cmd, uint32_t dst,
					   uint8_t tclass)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i].cmd == cmd && c[i].e.type == XMESH_A_ROUTE &&
		    c[i].e.route.dst == dst &&
		    (XM_HAS(&c[i].e.route, XMESH_ROUTE_A_TCLASS) ?
		     c[i].e.route.tclass : 0) == tclass)
			return &c[i];
	return NULL;
}

static void fib_diff(void)
{
	struct xm_fib_neigh nb[2] = {
		{ .id = NEIGH_TO_2, .node = 2, .ifindex = 3, .port = 7600,
		  .up = true },
		{ .id = NEIGH_TO_3, .node = 3, .ifindex = 4, .port = 7600,
		  .up = true },
	};
	struct xm_fib_route wr[3] = {
		route(4, 0, NEIGH_TO_2), route(4, XMESH_TC_REALTIME, NEIGH_TO_2),
		route(4, XMESH_TC_BULK, NEIGH_TO_3),
	};
	struct xm_fib_route hr[2] = {
		route(4, 0, NEIGH_TO_2),
		route(4, XMESH_TC_INTERACTIVE, NEIGH_TO_3),
	};
	struct xm_fib want = { .n_neighs = 2, .neighs = nb, .n_routes = 3,
			       .routes = wr };
	struct xm_fib have = { .n_neighs = 2, .neighs = nb, .n_routes = 2,
			       .routes = hr };
	struct xm_change *c = NULL;
	const struct xm_change *x;
	struct xm_fib back = { 0 };
	struct xm_fib_neigh *own;
	struct xm_entry e[3];
	size_t n = 0, i;

	xm_fib_sort(&want);
	ok(want.routes[0].tclass == 0 &&
	   want.routes[1].tclass == XMESH_TC_BULK &&
	   want.routes[2].tclass == XMESH_TC_REALTIME,
	   "sorted by dst, then class, the default first");
	is_int(xm_fib_diff(&want, &have, 9, &c, &n), 0, "diff");
	is_int(n, 3, "three changes: two class routes in, one out");
	x = find_change(c, n, XMESH_CMD_ROUTE_NEW, 4, XMESH_TC_REALTIME);
	ok(x && x->e.route.nexthop[0].neigh == NEIGH_TO_2,
	   "realtime's route added with its class");
	ok(find_change(c, n, XMESH_CMD_ROUTE_NEW, 4, XMESH_TC_BULK) != NULL,
	   "bulk's route added with its class");
	ok(find_change(c, n, XMESH_CMD_ROUTE_DEL, 4, XMESH_TC_INTERACTIVE),
	   "interactive's stale route deleted by its class");
	ok(!find_change(c, n, XMESH_CMD_ROUTE_NEW, 4, 0) &&
	   !find_change(c, n, XMESH_CMD_ROUTE_DEL, 4, 0),
	   "the default route, as wanted, untouched");
	free(c);

	/* Read back from the kernel: the class comes with the route. */
	memset(e, 0, sizeof(e));
	for (i = 0; i < 3; i++) {
		e[i].type = XMESH_A_ROUTE;
		e[i].route.dst = 4;
		XM_SET(&e[i].route, XMESH_ROUTE_A_DST);
		e[i].route.n_nexthops = 1;
		e[i].route.nexthop[0].neigh = want.routes[i].nexthop[0].neigh;
		XM_SET(&e[i].route, XMESH_ROUTE_A_NEXTHOP);
		if (want.routes[i].tclass) {
			e[i].route.tclass = want.routes[i].tclass;
			XM_SET(&e[i].route, XMESH_ROUTE_A_TCLASS);
		}
	}
	is_int(xm_fib_from_kernel(e, 3, &back), 0, "from the kernel");
	own = back.neighs;	/* the routes are compared, not these */
	back.neighs = nb;
	back.n_neighs = 2;
	c = NULL;
	n = 0;
	xm_fib_diff(&want, &back, 9, &c, &n);
	is_int(n, 0, "tables in line: no change");
	free(c);
	back.neighs = own;
	xm_fib_free(&back);
}

/* ---- the cores in the simulator ---- */

/*
 * The neighbor node of the kernel's (dst, tclass) primary next hop, if it
 * is the only one (no ECMP); else 0.
 */
static uint32_t primary_node(const struct xm_vkernel *k, uint32_t dst,
			     uint8_t tclass)
{
	const struct xm_fib_route *r = xm_vkernel_class_route(k, dst, tclass);
	const struct xm_fib_neigh *n = NULL;
	unsigned int h, primaries = 0;

	for (h = 0; r && h < r->n_nexthops; h++)
		if (!r->nexthop[h].priority) {
			n = xm_vkernel_neigh(k, r->nexthop[h].neigh);
			primaries++;
		}
	return primaries == 1 && n ? n->node : 0;
}

/*
 * The square again, run by the real cores on virtual links: the measured
 * RTT, loss and bandwidth travel in the adverts, every node computes the
 * class tables, and the kernels (modeled) get them through xm_fib_diff().
 */
static void simulated(void)
{
	const struct xm_sim_link_conf thin = { .delay_us = 100,
					       .bandwidth_mbps = 10 };
	const struct xm_sim_link_conf fat = { .delay_us = 20000,
					      .bandwidth_mbps = 1000 };
	static const uint32_t ends[4][2] = { { 0, 1 }, { 1, 3 }, { 0, 2 },
					     { 2, 3 } };
	struct xm_sim_conf conf = { .seed = 45 };
	struct xm_sim_convergence c;
	const struct xm_vkernel *k1, *k4;
	struct xm_sim *s;
	bool tables = true;
	size_t i;

	conf.policy.classes[XMESH_TC_REALTIME - 1] =
		class_of(XM_CLASS_METRIC_LATENCY);
	conf.policy.classes[XMESH_TC_BULK - 1] =
		class_of(XM_CLASS_METRIC_BANDWIDTH);
	s = xm_sim_new(&conf);
	if (!s)
		abort();
	for (i = 0; i < 4; i++)
		xm_sim_add_node(s, "");
	for (i = 0; i < 4; i++)
		xm_sim_add_link(s, ends[i], 2, i < 2 ? &thin : &fat);
	if (!ok(!xm_sim_start(s), "sim: the cores start")) {
		xm_sim_free(s);
		return;
	}
	ok(!xm_sim_converge(s, xm_sim_now(s) + 60 * XM_SIM_S, 3 * XM_SIM_S,
			    10 * XM_SIM_MS, &c),
	   "sim: the square converges (default routes deliver everywhere)");
	k1 = xm_sim_kernel(s, 0);
	k4 = xm_sim_kernel(s, 3);
	is_int(primary_node(k1, 4, 0), 2, "sim: 1's default route to 4: via 2");
	is_int(primary_node(k1, 4, XMESH_TC_REALTIME), 2,
	       "sim: 1's realtime (latency) route to 4: via 2");
	is_int(primary_node(k1, 4, XMESH_TC_BULK), 3,
	       "sim: 1's bulk (bandwidth) route to 4: via 3");
	is_int(primary_node(k4, 1, XMESH_TC_BULK), 3,
	       "sim: 4's bulk route back to 1: via 3 too");
	ok(!xm_vkernel_class_route(k1, 4, XMESH_TC_INTERACTIVE),
	   "sim: no table for interactive (default settings)");
	for (i = 0; i < 4; i++) {
		const struct xm_vkernel *k = xm_sim_kernel(s, (uint32_t)i);

		tables &= k->t.n_routes == 9;	/* 3 destinations, 3 tables */
	}
	ok(tables, "sim: every kernel has 3 tables of 3 routes");
	xm_sim_free(s);
}

/* ---- xmeshd.conf's "class" ---- */

static struct xmd_config cfg;
static char err[512];

static int parse(const char *text)
{
	xmd_config_default(&cfg);
	err[0] = '\0';
	return xmd_config_parse(&cfg, "t.conf", text, err, sizeof(err));
}

static void refused(const char *text, const char *want)
{
	if (!ok(parse(text) == -1 && !strcmp(err, want), "refused: %s",
		want))
		printf("#   got \"%s\"\n", err);
}

static void config(void)
{
	const struct xm_class_path *rt, *bulk, *ia;

	is_int(parse("class realtime metric latency\n"
		     "class bulk metric bandwidth max-hops 3 zone a zone b\n"
		     "class interactive metric mix latency-weight 70\n"
		     "insecure-no-certificates yes\n"), 0,
	       "class lines parse");
	rt = &cfg.policy.classes[XMESH_TC_REALTIME - 1];
	bulk = &cfg.policy.classes[XMESH_TC_BULK - 1];
	ia = &cfg.policy.classes[XMESH_TC_INTERACTIVE - 1];
	ok(rt->metric == XM_CLASS_METRIC_LATENCY && !rt->max_hops &&
	   !rt->n_zones, "realtime: latency");
	ok(bulk->metric == XM_CLASS_METRIC_BANDWIDTH && bulk->max_hops == 3 &&
	   bulk->n_zones == 2 && !strcmp(bulk->zones[1], "b"),
	   "bulk: bandwidth, 3 hops, zones a and b");
	ok(ia->metric == XM_CLASS_METRIC_MIX && ia->latency_weight == 70,
	   "interactive: mix 70");
	ok(!xm_class_path_own(
		&cfg.policy.classes[XMESH_TC_NETWORK_CONTROL - 1]),
	   "a class not configured takes the default routes");
	is_int(parse("class rt metric mix\ninsecure-no-certificates yes\n"), 0,
	       "mix alone");
	is_int(cfg.policy.classes[XMESH_TC_REALTIME - 1].latency_weight, 50,
	       "mix weighs latency 50 % by default");
	refused("class gold metric latency\n",
		"t.conf:1: class \"gold\" is not bulk, interactive, realtime or network-control");
	refused("class bulk metric cheapest\n",
		"t.conf:1: metric must be default, latency, bandwidth or mix, not \"cheapest\"");
	refused("class bulk metric latency latency-weight 20\n",
		"t.conf:1: latency-weight goes with metric mix");
	refused("class bulk metric mix latency-weight 120\n",
		"t.conf:1: latency-weight 120 is out of range (0 to 100)");
	refused("class bulk max-hops 0\n",
		"t.conf:1: max-hops 0 is out of range (1 to 255)");
	refused("class bulk speed 3\n",
		"t.conf:1: class takes metric, latency-weight, max-hops and zone, not \"speed\"");
	refused("class bulk metric\n", "t.conf:1: \"metric\" needs a value");
	refused("class bulk metric latency\nclass bulk metric bandwidth\n",
		"t.conf:2: class bulk is given twice (first on line 1)");
}

/* ---- the controller's policy: "path" in a QoS class ---- */

static struct xm_site_policy *policy(const char *text,
				     struct xm_policy_error *e)
{
	memset(e, 0, sizeof(*e));
	return xm_policy_parse(text, strlen(text), e);
}

static void policy_refused(const char *text, const char *loc,
			   const char *reason)
{
	struct xm_policy_error e;
	struct xm_site_policy *p = policy(text, &e);

	if (!ok(!p && !strcmp(e.location, loc) && strstr(e.reason, reason),
		"policy refused at %s: %s", loc, reason))
		printf("#   got %s: %s\n", e.location, e.reason);
	xm_policy_free(p);
}

static void site_policy(void)
{
	struct xm_policy_error e;
	struct xm_site_policy *p;
	struct xm_policy path = { 0 };
	struct xm_timers t = { 0 };
	const struct xm_class_path *rt, *ia;

	path.classes[0].metric = XM_CLASS_METRIC_LATENCY;	/* the node's */
	p = policy("{\"qos\": {"
		   "\"realtime\": {\"rate\": \"10mbit\", \"path\": {"
		   "\"metric\": \"latency\", \"max_hops\": 3, "
		   "\"zones\": [\"edge\", \"core\"]}},"
		   "\"interactive\": {\"path\": {\"metric\": \"mix\", "
		   "\"latency_weight\": 80}}}}", &e);
	if (!ok(p != NULL, "a policy with class paths parses"))
		printf("#   %s: %s\n", e.location, e.reason);
	if (!p)
		return;
	rt = &p->class_path[XMESH_TC_REALTIME - 1];
	ia = &p->class_path[XMESH_TC_INTERACTIVE - 1];
	ok(rt->metric == XM_CLASS_METRIC_LATENCY && rt->max_hops == 3 &&
	   rt->n_zones == 2 && !strcmp(rt->zones[1], "core"),
	   "realtime: latency, 3 hops, zones edge and core");
	ok(ia->metric == XM_CLASS_METRIC_MIX && ia->latency_weight == 80 &&
	   !p->qos_rate[XMESH_TC_INTERACTIVE - 1],
	   "interactive: mix 80, a path and no rate: no cap");
	xm_policy_core_settings(p, &path, &t);
	ok(!memcmp(path.classes, p->class_path, sizeof(path.classes)),
	   "the policy's class paths go to the core");
	ok(!xm_class_path_own(&path.classes[0]),
	   "and replace the node's own (bulk: the default again)");
	xm_policy_free(p);

	policy_refused("{\"qos\": {\"bulk\": {\"path\": {\"metric\": \"fast\"}}}}",
		       "/qos/bulk/path/metric",
		       "is not default, latency, bandwidth or mix");
	policy_refused("{\"qos\": {\"bulk\": {\"path\": {\"metric\": \"latency\", "
		       "\"latency_weight\": 5}}}}",
		       "/qos/bulk/path/latency_weight", "goes with the metric mix");
	policy_refused("{\"qos\": {\"bulk\": {\"path\": {\"max_hops\": 0}}}}",
		       "/qos/bulk/path/max_hops", "out of range");
	policy_refused("{\"qos\": {\"bulk\": {\"path\": {\"zones\": [\"a b\"]}}}}",
		       "/qos/bulk/path/zones/0", "is not a name");
	policy_refused("{\"qos\": {\"bulk\": {\"path\": {\"hops\": 2}}}}",
		       "/qos/bulk/path/hops", "unknown member");
	policy_refused("{\"qos\": {\"bulk\": {\"burst\": 3000}}}",
		       "/qos/bulk", "\"rate\" is missing");
}

int main(void)
{
	simulated();
	config();
	site_policy();
	metrics();
	settings();
	graph_weights();
	routes_per_class();
	tables_of_policy();
	paths();
	fib_diff();
	return tap_done();
}
