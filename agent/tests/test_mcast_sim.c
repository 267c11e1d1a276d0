// SPDX-License-Identifier: GPL-2.0
/*
 * Multicast trees in the simulator (sim/), in virtual time: a random
 * geometric mesh converges, one node joins a group as a sender and a
 * random set as receivers, and the trees the agents install in their
 * (model) kernels deliver each packet to every receiver exactly once,
 * following the multicast routes hop by hop as xmesh.ko would (its
 * reverse-path check included: a converged tree has no copy dropped by
 * it, and every non-root route names its upstream); then a
 * link of the tree fails and the time until every receiver is reached
 * exactly once again is measured, then another link of it falls silent.
 * The tree's cost (the metric of every link a packet crosses) is printed
 * against the sum of the receivers' shortest paths (what N unicast copies
 * cost; the tree must cost no more) and a Steiner-tree heuristic.
 *
 * 200 nodes and 20 receivers in make check; XMESH_MCAST_SIM_NODES,
 * XMESH_MCAST_SIM_RECEIVERS and XMESH_MCAST_SIM_SEED change them
 * (scripts/bench-sim.sh runs 1000 nodes).
 */
#include <errno.h>
#include <stdlib.h>

#include "../core/mcast.h"
#include "../core/spf.h"
#include "../sim/refgraph.h"
#include "../sim/sim.h"
#include "../sim/vkernel.h"
#include "tap.h"

#define S	XM_SIM_S
#define MS	XM_SIM_MS

enum { NODES = 200, RECEIVERS = 20, SEED = 7 };

struct run {
	struct xm_sim *s;
	uint32_t n;
	uint32_t root;			/* node index of the sender */
	uint32_t *id;			/* node index -> node id */
	bool *recv;			/* node index: a receiver */
	struct xm_addr group;
	struct xm_graph truth;		/* the up links, for copies */
	unsigned int rpf_drops;		/* of the last deliver_once() */
	uint64_t cost;			/* of the last deliver_once(): the
					 * metric of every link crossed */
	char why[200];
};

static long index_of(const struct run *r, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < r->n; i++)
		if (r->id[i] == id)
			return i;
	return -1;
}

static const struct xm_fib_mroute *route_of(const struct run *r, uint32_t u)
{
	const struct xm_vkernel *k = xm_sim_kernel(r->s, u);
	size_t i;

	for (i = 0; i < k->t.n_mroutes; i++)
		if (k->t.mroutes[i].root == r->id[r->root] &&
		    xm_addr_eq(&k->t.mroutes[i].group, &r->group))
			return &k->t.mroutes[i];
	return NULL;
}

/* Is there an up link u -> v in the true graph (node indexes)? */
static bool link_up(const struct run *r, uint32_t u, uint32_t v)
{
	long a = xm_graph_find(&r->truth, r->id[u]);
	long b = xm_graph_find(&r->truth, r->id[v]);
	uint32_t i;

	if (a < 0 || b < 0)
		return false;
	for (i = 0; i < r->truth.node[a].n_edges; i++)
		if (r->truth.edge[r->truth.node[a].first_edge + i].to ==
		    (uint32_t)b)
			return true;
	return false;
}

/* The least metric of an up link u -> v in the true graph (indexes). */
static uint32_t link_metric(const struct run *r, uint32_t u, uint32_t v)
{
	long a = xm_graph_find(&r->truth, r->id[u]);
	long b = xm_graph_find(&r->truth, r->id[v]);
	uint32_t i, best = XM_COST_INF;

	if (a < 0 || b < 0)
		return best;
	for (i = 0; i < r->truth.node[a].n_edges; i++) {
		const struct xm_gedge *x =
			&r->truth.edge[r->truth.node[a].first_edge + i];

		if (x->to == (uint32_t)b && x->metric < best)
			best = x->metric;
	}
	return best;
}

/*
 * One packet from the root down the installed routes: a copy to each
 * neighbor of each route, over up links only. True when every receiver
 * got it once, nobody else did, and no node got two copies.
 */
static bool deliver_once(struct run *r)
{
	uint32_t *copies = calloc(r->n, sizeof(*copies));
	uint32_t *queue = calloc(r->n, sizeof(*queue));
	uint32_t *got = calloc(r->n, sizeof(*got));
	uint32_t head = 0, tail = 0, u;
	bool ok = true;

	r->why[0] = '\0';
	r->rpf_drops = 0;
	r->cost = 0;
	queue[tail++] = r->root;
	copies[r->root] = 1;
	while (head < tail) {
		const struct xm_fib_mroute *m, *mv;
		unsigned int k;

		u = queue[head++];
		m = route_of(r, u);
		if (!m)
			continue;
		got[u] += m->local && u != r->root;
		for (k = 0; k < m->n_neighs; k++) {
			const struct xm_fib_neigh *nb =
				xm_vkernel_neigh(xm_sim_kernel(r->s, u),
						 m->neigh[k]);
			long v = nb ? index_of(r, nb->node) : -1;

			if (v < 0 || !nb->up || !link_up(r, u, (uint32_t)v))
				continue;	/* the copy is lost */
			r->cost += link_metric(r, u, (uint32_t)v);
			mv = route_of(r, (uint32_t)v);
			if (mv && mv->upstream && mv->upstream != r->id[u]) {
				r->rpf_drops++;	/* the kernel's mcast_rpf */
				continue;
			}
			if (copies[v]++) {
				snprintf(r->why, sizeof(r->why),
					 "node %u got two copies", r->id[v]);
				ok = false;
				continue;
			}
			queue[tail++] = (uint32_t)v;
		}
	}
	for (u = 0; ok && u < r->n; u++) {
		bool want = r->recv[u] && u != r->root;

		if (got[u] != (want ? 1u : 0u)) {
			snprintf(r->why, sizeof(r->why), "node %u delivered %u",
				 r->id[u], got[u]);
			ok = false;
		}
	}
	free(copies);
	free(queue);
	free(got);
	return ok;
}

/* Nodes other than the root whose route does not name its upstream. */
static unsigned int without_upstream(const struct run *r)
{
	unsigned int u, n = 0;

	for (u = 0; u < r->n; u++) {
		const struct xm_fib_mroute *m = route_of(r, u);

		n += m && u != r->root && !m->upstream;
	}
	return n;
}

/* Step until deliver_once() holds, at most until deadline; the time. */
static uint64_t until_delivered(struct run *r, uint64_t deadline)
{
	while (xm_sim_now(r->s) < deadline) {
		if (deliver_once(r))
			return xm_sim_now(r->s);
		xm_sim_run(r->s, xm_sim_now(r->s) + 5 * MS);
	}
	return 0;
}

/* The sim link between node indexes u and v, or -1. */
static long link_between(const struct run *r, uint32_t u, uint32_t v)
{
	uint32_t l, ends[8];
	unsigned int n;

	for (l = 0; l < xm_sim_n_links(r->s); l++) {
		n = xm_sim_link_ends(r->s, l, ends, 8);
		if (n == 2 && ((ends[0] == u && ends[1] == v) ||
			       (ends[0] == v && ends[1] == u)))
			return l;
	}
	return -1;
}

/* The sim link of node index u's first tree branch, or -1. */
static long branch_link(const struct run *r, uint32_t u)
{
	const struct xm_fib_mroute *m = route_of(r, u);
	const struct xm_fib_neigh *nb = m && m->n_neighs ?
		xm_vkernel_neigh(xm_sim_kernel(r->s, u), m->neigh[0]) : NULL;
	long v = nb ? index_of(r, nb->node) : -1;

	return v >= 0 ? link_between(r, u, (uint32_t)v) : -1;
}

/*
 * The Steiner heuristic's cost over the true graph, from the root to the
 * receivers (the optimum costs at least half of it).
 */
static uint64_t steiner_cost(const struct run *r)
{
	const struct xm_graph *g = &r->truth;
	uint32_t *recv = calloc(r->n, sizeof(*recv));
	long root = xm_graph_find(g, r->id[r->root]), x;
	uint64_t cost = 0;
	size_t n = 0;
	uint32_t i;

	if (!recv || root < 0)
		exit(2);
	for (i = 0; i < r->n; i++) {
		x = xm_graph_find(g, r->id[i]);
		if (r->recv[i] && x >= 0 && x != root)
			recv[n++] = (uint32_t)x;
	}
	if (xm_ref_steiner_cost(g, (uint32_t)root, recv, n, &cost))
		exit(2);
	free(recv);
	return cost;
}

/* The receivers' shortest paths from the root summed, true graph. */
static uint64_t paths_sum(const struct run *r)
{
	long root = xm_graph_find(&r->truth, r->id[r->root]), x;
	struct xm_spf spf;
	uint64_t sum = 0;
	uint32_t i;

	if (root < 0 || xm_spf_run(&r->truth, (uint32_t)root, 0, &spf))
		return 0;
	for (i = 0; i < r->n; i++) {
		x = xm_graph_find(&r->truth, r->id[i]);
		if (r->recv[i] && i != r->root && x >= 0 &&
		    spf.cost[x] != XM_COST_INF)
			sum += spf.cost[x];
	}
	xm_spf_free(&spf);
	return sum;
}

/* An unsigned from the environment, or def. */
static uint32_t env_u32(const char *name, uint32_t def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long x;

	if (!v || !*v)
		return def;
	x = strtoul(v, &end, 10);
	return *end || !x || x > 100000 ? def : (uint32_t)x;
}

/* Fail link now and measure until every receiver is reached again. */
static void repair(struct run *r, uint32_t link, bool silent,
		   const char *what)
{
	uint64_t t0, t1;

	if (silent)
		xm_sim_link_silent(r->s, link, true);
	else
		xm_sim_link_carrier(r->s, link, false);
	xm_graph_free(&r->truth);
	if (xm_sim_true_graph(r->s, &r->truth))
		exit(2);
	t0 = xm_sim_now(r->s);
	ok(!deliver_once(r), "%s: right after it some receiver is cut off",
	   what);
	t1 = until_delivered(r, t0 + 30 * S);
	ok(t1, "%s: every receiver reached exactly once again (%s)", what,
	   r->why[0] ? r->why : "ok");
	ok(t1 && !r->rpf_drops && !without_upstream(r),
	   "%s: the repaired routes' upstreams hold (%u rpf drops)", what,
	   r->rpf_drops);
	printf("# %s: tree repaired %.0f ms after the failure (virtual time)\n",
	       what, t1 ? (double)(t1 - t0) / MS : -1.0);
}

int main(void)
{
	uint32_t nodes = env_u32("XMESH_MCAST_SIM_NODES", NODES);
	uint32_t receivers = env_u32("XMESH_MCAST_SIM_RECEIVERS", RECEIVERS);
	struct xm_sim_conf conf = {
		.seed = env_u32("XMESH_MCAST_SIM_SEED", SEED) };
	struct xm_sim_convergence c;
	struct run r = { 0 };
	uint64_t t0, t1, sp, st;
	struct xm_mgroup g;
	char topo[32];
	uint32_t i, k;
	long link = -1;

	snprintf(topo, sizeof(topo), "rgg:%u", nodes);
	r.s = xm_sim_new(&conf);
	if (!r.s || xm_sim_topo(r.s, topo) || xm_sim_start(r.s)) {
		fprintf(stderr, "cannot build the mesh\n");
		return 2;
	}
	ok(!xm_sim_converge(r.s, 120 * S, 3 * S, 10 * MS, &c),
	   "%u nodes converge", nodes);
	r.n = xm_sim_n_nodes(r.s);
	r.id = calloc(r.n, sizeof(*r.id));
	r.recv = calloc(r.n, sizeof(*r.recv));
	for (i = 0; i < r.n; i++)
		r.id[i] = xm_core_node_id(xm_sim_core(r.s, i));

	memset(&r.group, 0, sizeof(r.group));
	r.group.family = AF_INET;
	r.group.v4.s_addr = htonl(0xef010203);
	g.group = r.group;
	r.root = 0;
	g.flags = XM_MGROUP_SEND;
	xm_core_set_mgroups(xm_sim_core(r.s, r.root), xm_sim_now(r.s) / MS,
			    &g, 1);
	g.flags = XM_MGROUP_RECV;
	if (receivers >= r.n)
		receivers = r.n - 1;
	for (k = 0, i = r.n - 1; k < receivers && i > 0;
	     k++, i -= r.n / receivers) {
		r.recv[i] = true;
		xm_core_set_mgroups(xm_sim_core(r.s, i), xm_sim_now(r.s) / MS,
				    &g, 1);
	}
	if (xm_sim_true_graph(r.s, &r.truth))
		return 2;

	t0 = xm_sim_now(r.s);
	t1 = until_delivered(&r, t0 + 30 * S);
	if (!ok(t1, "joins: every receiver reached exactly once (%s)",
		r.why[0] ? r.why : "ok"))
		return tap_done();
	printf("# trees in place %.0f ms after the joins (virtual time)\n",
	       (double)(t1 - t0) / MS);
	ok(!r.rpf_drops && !without_upstream(&r),
	   "joins: every route off the root names its upstream, and no copy "
	   "of the tree fails the reverse-path check (%u)", r.rpf_drops);

	/*
	 * The cost over the true metrics. The optimum Steiner tree is NP-hard
	 * at this size; the heuristic bounds it: optimum >= heuristic / 2, so
	 * the tree costs at most 2x its ratio to the heuristic times it.
	 */
	sp = paths_sum(&r);
	st = steiner_cost(&r);
	printf("# %u nodes, %u receivers: tree cost %llu; sum of shortest paths %llu (%.2fx the tree); Steiner heuristic %llu (tree %.2fx it, so at most %.2fx the optimum)\n",
	       r.n, receivers, (unsigned long long)r.cost,
	       (unsigned long long)sp, r.cost ? (double)sp / (double)r.cost : 0,
	       (unsigned long long)st, st ? (double)r.cost / (double)st : 0,
	       st ? 2.0 * (double)r.cost / (double)st : 0);
	ok(r.cost && r.cost <= sp && st <= sp,
	   "joins: the tree costs no more than the shortest paths summed");

	/* Fail the root's first branch (carrier lost): a link the tree uses. */
	link = branch_link(&r, r.root);
	if (!ok(link >= 0, "a link of the tree found"))
		return tap_done();
	repair(&r, (uint32_t)link, false, "link down");

	/*
	 * Then a link further down falls silent (no carrier news: the
	 * probes find it): the first branch of the first other tree node.
	 */
	for (i = 0, link = -1; i < r.n && link < 0; i++)
		if (i != r.root)
			link = branch_link(&r, i);
	if (!ok(link >= 0, "another link of the tree found"))
		return tap_done();
	repair(&r, (uint32_t)link, true, "link silent");

	xm_graph_free(&r.truth);
	free(r.id);
	free(r.recv);
	xm_sim_free(r.s);
	return tap_done();
}
