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
 * exactly once again is measured.
 */
#include <errno.h>

#include "../core/mcast.h"
#include "../core/spf.h"
#include "../sim/sim.h"
#include "../sim/vkernel.h"
#include "tap.h"

#define S	XM_SIM_S
#define MS	XM_SIM_MS

enum { NODES = 200, RECEIVERS = 20 };

struct run {
	struct xm_sim *s;
	uint32_t n;
	uint32_t root;			/* node index of the sender */
	uint32_t *id;			/* node index -> node id */
	bool *recv;			/* node index: a receiver */
	struct xm_addr group;
	struct xm_graph truth;		/* the up links, for copies */
	unsigned int rpf_drops;		/* of the last deliver_once() */
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

int main(void)
{
	struct xm_sim_conf conf = { .seed = 7 };
	struct xm_sim_convergence c;
	struct run r = { 0 };
	struct xm_mgroup g;
	uint64_t t0, t1;
	uint32_t i, k;
	long link = -1;

	r.s = xm_sim_new(&conf);
	if (!r.s || xm_sim_topo(r.s, "rgg:200") || xm_sim_start(r.s)) {
		fprintf(stderr, "cannot build the mesh\n");
		return 2;
	}
	ok(!xm_sim_converge(r.s, 120 * S, 3 * S, 10 * MS, &c),
	   "%d nodes converge", NODES);
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
	for (k = 0, i = r.n - 1; k < RECEIVERS && i > 0; k++, i -= r.n / RECEIVERS) {
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

	/* Fail the root's first branch: a link the tree uses. */
	{
		const struct xm_fib_mroute *m = route_of(&r, r.root);
		const struct xm_fib_neigh *nb = m && m->n_neighs ?
			xm_vkernel_neigh(xm_sim_kernel(r.s, r.root),
					 m->neigh[0]) : NULL;
		long v = nb ? index_of(&r, nb->node) : -1;

		if (v >= 0)
			link = link_between(&r, r.root, (uint32_t)v);
	}
	if (!ok(link >= 0, "a link of the tree found"))
		return tap_done();
	xm_sim_link_carrier(r.s, (uint32_t)link, false);
	xm_graph_free(&r.truth);
	if (xm_sim_true_graph(r.s, &r.truth))
		return 2;
	t0 = xm_sim_now(r.s);
	ok(!deliver_once(&r), "right after the failure some receiver is cut off");
	t1 = until_delivered(&r, t0 + 30 * S);
	ok(t1, "link down: every receiver reached exactly once again (%s)",
	   r.why[0] ? r.why : "ok");
	ok(t1 && !r.rpf_drops && !without_upstream(&r),
	   "link down: the repaired routes' upstreams hold (%u rpf drops)",
	   r.rpf_drops);
	printf("# tree repaired %.0f ms after the link failed (virtual time)\n",
	       t1 ? (double)(t1 - t0) / MS : -1.0);

	xm_graph_free(&r.truth);
	free(r.id);
	free(r.recv);
	xm_sim_free(r.s);
	return tap_done();
}
