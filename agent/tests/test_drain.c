// SPDX-License-Identifier: GPL-2.0
/*
 * Drain and reweight in the core (xm_policy's drained and overrides,
 * Documentation/policy.md): on a diamond A-B-D, A-C-D where the B side is
 * the cheaper, a drained link B-D, a reweighted link A-B or a drained
 * node B moves A's path to D onto C, B stays reachable, and lifting the
 * drain brings the path back. The advert carries the overridden metric.
 */
#include <string.h>

#include "graph.h"
#include "tap.h"
#include "test_core_net.h"

enum { A, B, C, D };

static void diamond(struct net *net)
{
	int ab[2] = { A, B }, bd[2] = { B, D }, ac[2] = { A, C },
	    cd[2] = { C, D }, i;

	net_init(net);
	for (i = 0; i < 4; i++)
		net_add_node(net, 100);
	net->wire[net_add_wire(net, 2, ab)].rtt_us = 200;
	net->wire[net_add_wire(net, 2, bd)].rtt_us = 200;
	net->wire[net_add_wire(net, 2, ac)].rtt_us = 2000;
	net->wire[net_add_wire(net, 2, cd)].rtt_us = 2000;
}

/* A's path to D goes through via (an index), and D's back too. */
struct via {
	int via;
};

static bool path_via(struct net *net, const void *arg)
{
	const struct via *v = arg;
	struct xm_path p, q;

	return xm_core_path(net->node[A].c, D + 1, &p) && p.n_hops == 2 &&
	       p.node[1] == (uint32_t)v->via + 1 &&
	       xm_core_path(net->node[D].c, A + 1, &q) && q.n_hops == 2 &&
	       q.node[1] == (uint32_t)v->via + 1;
}

/* Node i's own policy: the configuration's plus these. */
static void set(struct net *net, int i, bool drained, uint32_t to,
		uint32_t metric)
{
	struct xm_policy p = { .drained = drained };

	if (to) {
		p.n_overrides = 1;
		p.overrides[0] = (struct xm_metric_override){ to, metric };
	}
	xm_core_set_policy(net->node[i].c, net->now, &p);
}

/* The metric node i's advert, as node j has it, gives its edge to k. */
static uint32_t advertised(struct net *net, int j, int i, int k)
{
	struct xm_edge e;
	size_t n;

	for (n = 0; xm_core_edge(net->node[j].c, n, &e); n++)
		if (e.from == (uint32_t)i + 1 && e.to == (uint32_t)k + 1)
			return e.metric;
	return 0;
}

static void pure(void)
{
	struct xm_policy p = { .n_overrides = 2,
			       .overrides = { { 5, 700 }, { 6, UINT32_MAX } } };

	is_int(xm_policy_adj_metric(&p, 4, 60), 60, "pure: measured");
	is_int(xm_policy_adj_metric(&p, 5, 60), 700, "pure: reweighted");
	is_int(xm_policy_adj_metric(&p, 6, 60), XM_METRIC_MAX,
	       "pure: drained link, clamped to the maximum");
	p.drained = true;
	is_int(xm_policy_adj_metric(&p, 5, 60), XM_METRIC_MAX,
	       "pure: a drained node drains every adjacency, reweights too");
}

int main(void)
{
	struct net *net = calloc(1, sizeof(*net));
	struct via via_b = { B }, via_c = { C };
	struct xm_path p;

	pure();
	diamond(net);
	ok(net_until(net, 5000, net_converged, NULL), "diamond: converged");
	ok(net_until(net, 5000, path_via, &via_b), "A to D through B");

	set(net, B, false, D + 1, XM_METRIC_MAX);
	set(net, D, false, B + 1, XM_METRIC_MAX);
	ok(net_until(net, 3000, path_via, &via_c),
	   "drain link B-D at both ends: A to D through C");
	is_int(advertised(net, A, B, D), XM_METRIC_MAX,
	       "B's advert carries B-D at the maximum metric");
	ok(xm_core_path(net->node[A].c, B + 1, &p) && p.n_hops == 1,
	   "B stays reachable");
	set(net, B, false, 0, 0);
	set(net, D, false, 0, 0);
	ok(net_until(net, 3000, path_via, &via_b), "undrained: through B again");
	ok(advertised(net, A, B, D) < 10000, "B-D back at its measured metric");

	set(net, B, true, 0, 0);
	ok(net_until(net, 3000, path_via, &via_c),
	   "drain node B: no transit through it");
	ok(xm_core_path(net->node[A].c, B + 1, &p) && p.n_hops == 1 &&
	   xm_core_path(net->node[D].c, B + 1, &p) && p.n_hops == 1,
	   "drained B is reachable from both sides, directly");
	net->wire[2].cut = true;	/* A-C */
	ok(net_until(net, 8000, path_via, &via_b),
	   "the only path left is through drained B: used");
	net->wire[2].cut = false;
	ok(net_until(net, 15000, path_via, &via_c), "A-C back: through C");
	set(net, B, false, 0, 0);
	ok(net_until(net, 3000, path_via, &via_b), "B undrained: through B");

	set(net, A, false, B + 1, 100000);
	set(net, B, false, A + 1, 100000);
	ok(net_until(net, 3000, path_via, &via_c),
	   "reweight A-B to 100000: through C");
	is_int(advertised(net, D, A, B), 100000, "A advertises the new metric");
	set(net, A, false, 0, 0);
	set(net, B, false, 0, 0);
	ok(net_until(net, 3000, path_via, &via_b), "reweight lifted");

	net_free(net);
	free(net);
	return tap_done();
}
