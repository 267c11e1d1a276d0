// SPDX-License-Identifier: GPL-2.0
/*
 * Multicast trees (core/mcast.c): the five-node mesh of the guest tests,
 * by hand (branches, local delivery, a node off the tree, the repair after
 * a link fails, a second sender); then a 1000-node random graph where
 * every node computes its own routes and a replay of the data plane
 * checks that every receiver gets each packet of every sender exactly
 * once and that no node gets a copy twice, with the tree's cost against
 * the sum of the shortest paths and against a Steiner heuristic.
 */
#include <arpa/inet.h>
#include <errno.h>

#include "../core/mcast.h"
#include "../core/msg.h"
#include "../sim/refgraph.h"
#include "tap.h"

static struct xm_addr v4(const char *s)
{
	struct xm_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	inet_pton(AF_INET, s, &a.v4);
	return a;
}

static void graph_parse(struct xm_graph *g, const char *spec)
{
	if (xm_graph_parse(g, spec)) {
		fprintf(stderr, "bad graph: %s\n", spec);
		exit(2);
	}
}

/* Node self's routes as "root/neighs[/L] ..." (neighs comma-separated). */
static const char *routes_str(const struct xm_graph *g, uint32_t self,
			      const struct xm_local_adj *adj, size_t n_adj,
			      const struct xm_mcast_member *m, size_t n_m)
{
	static char buf[512];
	struct xm_fib_mroute *e;
	size_t i, n, len = 0;
	unsigned int j;

	buf[0] = '\0';
	if (xm_mcast_compute(g, self, adj, n_adj, m, n_m, &e, &n))
		return "error";
	for (i = 0; i < n; i++) {
		len += snprintf(buf + len, sizeof(buf) - len, "%s%u/",
				i ? " " : "", e[i].root);
		for (j = 0; j < e[i].n_neighs; j++)
			len += snprintf(buf + len, sizeof(buf) - len, "%s%u",
					j ? "," : "", e[i].neigh[j]);
		if (e[i].local)
			len += snprintf(buf + len, sizeof(buf) - len, "/L");
	}
	free(e);
	return buf;
}

/*
 *   [1]--ul1--[2]--ul2--[3]--ul3--[4]       (6 hangs off 1, ul6)
 *              |                   |
 *             ul4                 ul5
 *              +-------[5]---------+
 *
 * Neighbor ids are the link numbers, as in tests/guest/mesh.sh.
 */
static const struct xm_local_adj mesh_adj[][3] = {
	[1] = { { 2, 1, 10 }, { 6, 6, 10 } },
	[2] = { { 1, 1, 10 }, { 3, 2, 10 }, { 5, 4, 10 } },
	[3] = { { 2, 2, 10 }, { 4, 3, 10 } },
	[4] = { { 3, 3, 10 }, { 5, 5, 15 } },
	[5] = { { 2, 4, 10 }, { 4, 5, 15 } },
	[6] = { { 1, 6, 10 } },
};

static const char *mesh_routes(const struct xm_graph *g, uint32_t self,
			       const struct xm_mcast_member *m, size_t n_m)
{
	return routes_str(g, self, mesh_adj[self], 3, m, n_m);
}

static void test_mesh(void)
{
	struct xm_mcast_member m[] = {
		{ 1, v4("239.1.2.3"), XM_MGROUP_SEND },
		{ 3, v4("239.1.2.3"), XM_MGROUP_RECV },
		{ 4, v4("239.1.2.3"), XM_MGROUP_RECV },
		{ 5, v4("239.1.2.3"), XM_MGROUP_RECV },
		{ 4, v4("239.9.9.9"), XM_MGROUP_RECV },	/* nobody sends */
	};
	struct xm_graph g;

	graph_parse(&g, "1-2:10 2-3:10 3-4:10 2-5:10 5-4:15 1-6:10");
	is_str(mesh_routes(&g, 1, m, 5), "1/1", "root: one branch, to 2");
	is_str(mesh_routes(&g, 2, m, 5), "1/2,4", "2: copies to 3 and 5");
	is_str(mesh_routes(&g, 3, m, 5), "1/3/L", "3: member, copies to 4");
	is_str(mesh_routes(&g, 4, m, 5), "1//L", "4: a leaf");
	is_str(mesh_routes(&g, 5, m, 5), "1//L", "5: a leaf");
	is_str(mesh_routes(&g, 6, m, 5), "", "6: off the tree, nothing");
	xm_graph_free(&g);

	/* Link 3-4 fails: 4 hangs off 5 now. */
	graph_parse(&g, "1-2:10 2-3:10 2-5:10 5-4:15 1-6:10");
	is_str(mesh_routes(&g, 3, m, 5), "1//L", "repair: 3 a leaf");
	is_str(mesh_routes(&g, 5, m, 5), "1/5/L", "repair: 5 copies to 4");
	is_str(mesh_routes(&g, 2, m, 5), "1/2,4", "repair: 2 unchanged");
	xm_graph_free(&g);

	/* No receiver: the root keeps an empty route, nobody else any. */
	graph_parse(&g, "1-2:10 2-3:10 3-4:10 2-5:10 5-4:15 1-6:10");
	is_str(mesh_routes(&g, 1, m, 1), "1/", "root without receivers");
	is_str(mesh_routes(&g, 2, m, 1), "", "no receiver: no transit");

	/* A second sender, 4, of the same group: its own tree. */
	{
		struct xm_mcast_member m2[] = {
			{ 1, v4("239.1.2.3"), XM_MGROUP_SEND },
			{ 4, v4("239.1.2.3"), XM_MGROUP_SEND | XM_MGROUP_RECV },
			{ 6, v4("239.1.2.3"), XM_MGROUP_RECV },
		};

		is_str(mesh_routes(&g, 1, m2, 3), "1/1,6 4/6",
		       "two roots: 1 sends to 6, and passes 4's on to 6");
		is_str(mesh_routes(&g, 2, m2, 3), "1/2 4/1",
		       "2 carries 1's to 4 and 4's to 1");
		is_str(mesh_routes(&g, 4, m2, 3), "1//L 4/3",
		       "4 receives 1's, roots its own");
	}
	xm_graph_free(&g);

	ok(!xm_mcast_group_valid(&(struct xm_addr){ .family = AF_INET }),
	   "0.0.0.0 is no group");
	{
		struct xm_addr a = v4("224.0.0.22");

		ok(!xm_mcast_group_valid(&a), "224.0.0.22 is link-local");
		a = v4("239.255.0.1");
		ok(xm_mcast_group_valid(&a), "239.255.0.1 is a group");
	}
}

/* ---- the MGROUPS TLV of adverts ---- */

static int lsu_round_trip(const struct xm_advert *a, struct xm_advert *got)
{
	static const uint8_t key[XM_SITE_KEY_LEN] = { 7 };
	uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;
	struct xm_msg m;
	size_t off = 0;
	int len, err;

	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 9, 1);
	err = xm_lsu_put(&w, a, 1);
	if (err)
		return err;
	len = xm_msg_finish(&w, key);
	if (len < 0 || xm_msg_open(buf, (size_t)len, key, &m) != XM_MSG_OK)
		return -EBADMSG;
	return xm_lsu_next(&m, &off, got) == 1 ? 0 : -EBADMSG;
}

static void test_tlv(void)
{
	struct xm_advert *a = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	struct xm_advert *got = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	struct xm_addr g6;

	memset(&g6, 0, sizeof(g6));
	g6.family = AF_INET6;
	inet_pton(AF_INET6, "ff05::123", &g6.v6);
	a->originator = 4;
	a->seq = 2;
	a->n_mgroups = 2;
	a->mgroups[0] = (struct xm_mgroup){ v4("239.1.2.3"), XM_MGROUP_RECV };
	a->mgroups[1] = (struct xm_mgroup){ g6,
					    XM_MGROUP_RECV | XM_MGROUP_SEND };
	is_int(lsu_round_trip(a, got), 0, "advert with groups: round trip");
	is_int(got->n_mgroups, 2, "advert: both groups back");
	ok(xm_addr_eq(&got->mgroups[1].group, &g6) &&
	   got->mgroups[1].flags == (XM_MGROUP_RECV | XM_MGROUP_SEND) &&
	   got->mgroups[0].flags == XM_MGROUP_RECV,
	   "advert: groups and flags as sent");

	/* What the wire must not carry is refused before it is sent. */
	a->mgroups[1].group = v4("10.0.0.1");
	is_int(lsu_round_trip(a, got), -EINVAL, "a unicast group is not sent");
	a->mgroups[1] = a->mgroups[0];
	is_int(lsu_round_trip(a, got), -EINVAL, "a group twice is not sent");
	a->mgroups[1].group = g6;
	a->mgroups[1].flags = 4;
	is_int(lsu_round_trip(a, got), -EINVAL, "unknown flags are not sent");
	ok(xm_mgroups_check(a->mgroups, XM_MGROUP_MAX + 1) != NULL,
	   "more than XM_MGROUP_MAX groups refused");
	free(a);
	free(got);
}

/* ---- 1000 nodes ---- */

static uint64_t rng = 0x6d63617374ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/*
 * A connected random graph: a ring plus chords, metrics 1..100; its
 * directed edges (both ways of each link, in pairs) into *edges, their
 * number into *n_edges, if edges is not NULL.
 */
static int random_graph_edges(struct xm_graph *g, uint32_t n, uint32_t chords,
			      struct xm_graph_edge **edges, size_t *n_edges)
{
	struct xm_graph_edge *e = calloc(2 * (n + chords), sizeof(*e));
	uint32_t *ids = calloc(n, sizeof(*ids));
	size_t k = 0;
	uint32_t i;
	int err;

	if (!e || !ids)
		exit(2);
	for (i = 0; i < n; i++)
		ids[i] = i + 1;
	for (i = 0; i < n + chords; i++) {
		uint32_t a = i < n ? i : rnd() % n;
		uint32_t b = i < n ? (i + 1) % n : rnd() % n;
		uint32_t w = 1 + rnd() % 100;

		if (a == b)
			continue;
		e[k++] = (struct xm_graph_edge){ a + 1, b + 1, w };
		e[k++] = (struct xm_graph_edge){ b + 1, a + 1, w };
	}
	err = xm_graph_build(g, ids, n, e, k);
	free(ids);
	if (edges) {
		*edges = e;
		*n_edges = k;
	} else {
		free(e);
	}
	return err;
}

static int random_graph(struct xm_graph *g, uint32_t n, uint32_t chords)
{
	return random_graph_edges(g, n, chords, NULL, NULL);
}

/* The adjacencies of node id: the kernel neighbor id is the peer's id. */
static size_t node_adj(const struct xm_graph *g, uint32_t id,
		       struct xm_local_adj *adj, size_t max)
{
	const struct xm_gnode *nd = &g->node[xm_graph_find(g, id)];
	size_t i, n = 0;

	for (i = 0; i < nd->n_edges && n < max; i++) {
		const struct xm_gedge *x = &g->edge[nd->first_edge + i];

		adj[n++] = (struct xm_local_adj){ g->node[x->to].id,
						  g->node[x->to].id,
						  x->metric };
	}
	return n;
}

static void test_random(void)
{
	enum { N = 1000, CHORDS = 1500, RECV = 60, SEND = 3 };
	struct xm_mcast_member m[RECV + SEND];
	struct xm_fib *routes = calloc(N + 1, sizeof(*routes));
	uint32_t *copies = calloc(N + 1, sizeof(*copies));
	uint32_t *delivered = calloc(N + 1, sizeof(*delivered));
	uint32_t *queue = calloc(N + 1, sizeof(*queue));
	bool *is_recv = calloc(N + 1, sizeof(*is_recv));
	struct xm_addr grp = v4("239.0.0.7");
	struct xm_local_adj adj[64];
	bool *on_tree = calloc(N, sizeof(*on_tree));
	uint32_t recv_idx[RECV];
	bool all_once = true, none_twice = true, none_else = true;
	unsigned int s, i;
	struct xm_graph g;

	if (random_graph(&g, N, CHORDS))
		exit(2);
	for (i = 0; i < RECV; i++) {
		uint32_t id;

		do
			id = 1 + rnd() % N;
		while (is_recv[id]);
		is_recv[id] = true;
		m[i] = (struct xm_mcast_member){ id, grp, XM_MGROUP_RECV };
		recv_idx[i] = (uint32_t)xm_graph_find(&g, id);
	}
	for (s = 0; s < SEND; s++)
		m[RECV + s] = (struct xm_mcast_member){ 1 + rnd() % N, grp,
							XM_MGROUP_SEND };

	/* Every node its own routes, from the same database. */
	for (i = 1; i <= N; i++) {
		size_t n_adj = node_adj(&g, i, adj, 64);

		if (xm_mcast_compute(&g, i, adj, n_adj, m, RECV + SEND,
				     &routes[i].mroutes, &routes[i].n_mroutes))
			exit(2);
	}

	for (s = 0; s < SEND; s++) {
		uint32_t root = m[RECV + s].node, head = 0, tail = 0;
		uint32_t root_idx = (uint32_t)xm_graph_find(&g, root);
		uint64_t steiner;
		struct xm_spf spf;
		uint64_t tree_cost, sp_sum = 0;
		long edges;

		/* Replay: a copy to each neighbor of each node's route. */
		memset(copies, 0, (N + 1) * sizeof(*copies));
		memset(delivered, 0, (N + 1) * sizeof(*delivered));
		queue[tail++] = root;
		copies[root] = 1;
		while (head < tail) {
			uint32_t u = queue[head++];
			const struct xm_fib_mroute *e = NULL;
			size_t k;

			for (k = 0; k < routes[u].n_mroutes; k++)
				if (routes[u].mroutes[k].root == root)
					e = &routes[u].mroutes[k];
			if (!e)
				continue;
			if (e->local)
				delivered[u]++;
			for (k = 0; k < e->n_neighs; k++) {
				uint32_t v = e->neigh[k];

				if (copies[v]++) {
					none_twice = false;
					continue;
				}
				queue[tail++] = v;
			}
		}
		for (i = 1; i <= N; i++) {
			if (is_recv[i] && i != root && delivered[i] != 1)
				all_once = false;
			if ((!is_recv[i] || i == root) && delivered[i])
				none_else = false;
		}

		/* Cost: the tree against shortest paths and a Steiner tree. */
		if (xm_spf_run(&g, root_idx, 0, &spf))
			exit(2);
		edges = xm_mcast_tree(&g, &spf, root_idx, &grp, m, RECV + SEND,
				      on_tree, &tree_cost);
		for (i = 0; i < RECV; i++)
			sp_sum += spf.cost[recv_idx[i]];
		if (xm_ref_steiner_cost(&g, root_idx, recv_idx, RECV,
					&steiner))
			exit(2);
		printf("# root %u: tree %ld edges cost %llu; sum of shortest paths %llu (%.2fx tree);"
		       " Steiner heuristic %llu (tree %.2fx it)\n",
		       root, edges, (unsigned long long)tree_cost,
		       (unsigned long long)sp_sum,
		       (double)sp_sum / (double)tree_cost,
		       (unsigned long long)steiner,
		       (double)tree_cost / (double)steiner);
		ok(tree_cost <= sp_sum, "root %u: tree no costlier than the paths summed",
		   root);
		xm_spf_free(&spf);
	}
	ok(all_once, "1000 nodes, %d senders: every receiver got each packet once",
	   SEND);
	ok(none_twice, "no node got a copy twice");
	ok(none_else, "no delivery to a non-member or the sender");

	for (i = 0; i <= N; i++)
		free(routes[i].mroutes);
	free(routes);
	free(copies);
	free(delivered);
	free(queue);
	free(is_recv);
	free(on_tree);
	xm_graph_free(&g);
}

/* ---- shared trees at 1000 nodes ---- */

enum { SH_N = 1000, SH_CHORDS = 1500, SH_RECV = 60, SH_SEND = 10 };

/* Every node's routes (routes[id]) from graph g and members m. */
static void all_routes(const struct xm_graph *g, struct xm_fib *routes,
		       const struct xm_mcast_member *m, size_t n_m)
{
	struct xm_local_adj adj[64];
	uint32_t i;

	for (i = 1; i <= SH_N; i++) {
		size_t n_adj = node_adj(g, i, adj, 64);

		free(routes[i].mroutes);
		if (xm_mcast_compute(g, i, adj, n_adj, m, n_m,
				     &routes[i].mroutes, &routes[i].n_mroutes))
			exit(2);
	}
}

static const struct xm_fib_mroute *shared_route(const struct xm_fib *f,
						uint32_t root)
{
	size_t k;

	for (k = 0; k < f->n_mroutes; k++)
		if (f->mroutes[k].root == root && f->mroutes[k].shared_root)
			return &f->mroutes[k];
	return NULL;
}

/* The metric of the link from node id u to node id v (0: none). */
static uint32_t metric_between(const struct xm_graph *g, uint32_t u,
			       uint32_t v)
{
	const struct xm_gnode *nd = &g->node[xm_graph_find(g, u)];
	long to = xm_graph_find(g, v);
	uint32_t i;

	for (i = 0; i < nd->n_edges; i++)
		if (g->edge[nd->first_edge + i].to == (uint32_t)to)
			return g->edge[nd->first_edge + i].metric;
	return 0;
}

struct replay {
	uint32_t delivered[SH_N + 1], copies[SH_N + 1];
	uint32_t queue[SH_N + 1], came_from[SH_N + 1];
	unsigned int rpf_drops, twice;
	uint64_t cost;			/* metrics of the links crossed */
};

/*
 * One packet of sender down the shared tree of core as xmesh.ko carries
 * it: the sender's own route, then at each node the route (core, group),
 * taken only from a branch's node (neighbor ids are node ids here), a
 * copy to every other branch.
 */
static void shared_replay(const struct xm_graph *g,
			  const struct xm_fib *routes, uint32_t sender,
			  uint32_t core, struct replay *p)
{
	uint32_t head = 0, tail = 0;

	memset(p, 0, sizeof(*p));
	p->queue[tail++] = sender;
	p->copies[sender] = 1;
	while (head < tail) {
		uint32_t u = p->queue[head++], from = p->came_from[u];
		const struct xm_fib_mroute *e =
			shared_route(&routes[u], u == sender ? sender : core);
		unsigned int k;
		bool ok_from = u == sender;

		if (!e)
			continue;
		for (k = 0; k < e->n_neighs; k++)
			ok_from |= e->neigh[k] == from;
		if (!ok_from) {
			p->rpf_drops++;
			continue;
		}
		if (e->local && u != sender)
			p->delivered[u]++;
		for (k = 0; k < e->n_neighs; k++) {
			uint32_t v = e->neigh[k];

			if (v == from || !metric_between(g, u, v))
				continue;	/* back, or over a link gone */
			p->cost += metric_between(g, u, v);
			if (p->copies[v]++) {
				p->twice++;
				continue;
			}
			p->came_from[v] = u;
			p->queue[tail++] = v;
		}
	}
}

/* Every sender's packets reach every receiver once: failures counted. */
static unsigned int shared_check(const struct xm_graph *g,
				 const struct xm_fib *routes,
				 const struct xm_mcast_member *m,
				 const bool *is_recv, uint32_t core,
				 struct replay *p, uint64_t *cost)
{
	unsigned int s, bad = 0;
	uint32_t i;

	*cost = 0;
	for (s = 0; s < SH_SEND; s++) {
		uint32_t sender = m[SH_RECV + s].node;

		shared_replay(g, routes, sender, core, p);
		*cost += p->cost;
		bad += p->rpf_drops + p->twice;
		for (i = 1; i <= SH_N; i++)
			bad += p->delivered[i] !=
			       (is_recv[i] && i != sender ? 1u : 0u);
	}
	return bad;
}

static size_t routes_total(const struct xm_fib *routes)
{
	size_t n = 0;
	uint32_t i;

	for (i = 1; i <= SH_N; i++)
		n += routes[i].n_mroutes;
	return n;
}

/*
 * 10 senders and 60 receivers of one group on a 1000-node random graph:
 * one shared tree, rooted at the lowest member, instead of 10 source
 * trees; every sender's packets reach every receiver exactly once with
 * the reverse-path check; its cost and route count against the source
 * trees'; a link of the tree fails and the recomputed tree delivers
 * exactly once again.
 */
static void test_shared(void)
{
	struct xm_mcast_member m[SH_RECV + SH_SEND];
	struct xm_fib *routes = calloc(SH_N + 1, sizeof(*routes));
	bool *is_recv = calloc(SH_N + 1, sizeof(*is_recv));
	bool *on_tree = calloc(SH_N, sizeof(*on_tree));
	struct replay *p = calloc(1, sizeof(*p));
	struct xm_addr grp = v4("239.0.0.8");
	struct xm_graph_edge *edges;
	uint64_t src_cost = 0, src_sent = 0, sh_cost, sh_sent;
	size_t n_edges, src_routes = 0, k;
	uint32_t core, i, a, b;
	struct xm_graph g;
	struct xm_spf spf;
	unsigned int s;
	long core_idx;

	if (!routes || !is_recv || !on_tree || !p ||
	    random_graph_edges(&g, SH_N, SH_CHORDS, &edges, &n_edges))
		exit(2);
	for (i = 0; i < SH_RECV; i++) {
		uint32_t id;

		do
			id = 1 + rnd() % SH_N;
		while (is_recv[id]);
		is_recv[id] = true;
		m[i] = (struct xm_mcast_member){ id, grp, XM_MGROUP_RECV };
	}
	for (s = 0; s < SH_SEND; s++)
		m[SH_RECV + s] = (struct xm_mcast_member){
			1 + rnd() % SH_N, grp, XM_MGROUP_SEND };
	ok(xm_mcast_shared(&g, m, SH_RECV + SH_SEND, &grp, &core),
	   "shared: %d senders make the group a shared tree", SH_SEND);
	for (i = 0, a = UINT32_MAX; i < SH_RECV + SH_SEND; i++)
		a = m[i].node < a ? m[i].node : a;
	ok(core == a, "shared: its core is the lowest member id (%u)", core);

	/* The source trees it replaces: their cost and their routes. */
	for (s = 0; s < SH_SEND; s++) {
		uint32_t r = (uint32_t)xm_graph_find(&g, m[SH_RECV + s].node);
		uint64_t c;

		if (xm_spf_run(&g, r, 0, &spf))
			exit(2);
		src_routes += (size_t)xm_mcast_tree(&g, &spf, r, &grp, m,
						    SH_RECV + SH_SEND,
						    on_tree, &c) + 1;
		src_cost += c;
		src_sent += c;
		xm_spf_free(&spf);
	}

	all_routes(&g, routes, m, SH_RECV + SH_SEND);
	ok(!shared_check(&g, routes, m, is_recv, core, p, &sh_sent),
	   "shared: each of %d senders' packets reaches each of %d receivers "
	   "exactly once, no copy twice, none dropped by the reverse-path check",
	   SH_SEND, SH_RECV);
	core_idx = xm_graph_find(&g, core);
	if (xm_spf_run(&g, (uint32_t)core_idx, 0, &spf))
		exit(2);
	xm_mcast_shared_tree(&g, &spf, (uint32_t)core_idx, &grp, m,
			     SH_RECV + SH_SEND, on_tree, &sh_cost);
	printf("# shared tree: cost %llu, %zu routes on 1000 nodes; the %d "
	       "source trees: cost %llu (%.2fx), %zu routes (%.2fx); a packet "
	       "crosses %.0f of metric on the shared tree, %.0f on its own "
	       "source tree\n",
	       (unsigned long long)sh_cost, routes_total(routes), SH_SEND,
	       (unsigned long long)src_cost,
	       (double)src_cost / (double)sh_cost, src_routes,
	       (double)src_routes / (double)routes_total(routes),
	       (double)sh_sent / SH_SEND, (double)src_sent / SH_SEND);
	ok(routes_total(routes) < src_routes,
	   "shared: fewer routes than the source trees (%zu < %zu)",
	   routes_total(routes), src_routes);

	/* A link of the tree fails: the core's first branch. */
	a = core;
	b = shared_route(&routes[core], core)->neigh[0];
	for (k = 0; k < n_edges; k++)
		if ((edges[k].from == a && edges[k].to == b) ||
		    (edges[k].from == b && edges[k].to == a))
			edges[k].metric = 0;	/* marked: left out below */
	for (i = 0, k = 0; i < n_edges; i++)
		if (edges[i].metric)
			edges[k++] = edges[i];
	xm_spf_free(&spf);
	xm_graph_free(&g);
	{
		uint32_t *ids = calloc(SH_N, sizeof(*ids));

		for (i = 0; i < SH_N; i++)
			ids[i] = i + 1;
		if (xm_graph_build(&g, ids, SH_N, edges, k))
			exit(2);
		free(ids);
	}
	ok(shared_check(&g, routes, m, is_recv, core, p, &sh_sent) != 0,
	   "repair: with link %u-%u gone the old routes lose packets", a, b);
	all_routes(&g, routes, m, SH_RECV + SH_SEND);
	ok(!shared_check(&g, routes, m, is_recv, core, p, &sh_sent),
	   "repair: recomputed, every receiver gets every sender's packets "
	   "exactly once again");

	for (i = 0; i <= SH_N; i++)
		free(routes[i].mroutes);
	free(routes);
	free(is_recv);
	free(on_tree);
	free(p);
	free(edges);
	xm_graph_free(&g);
}

/* Node self's route of the tree rooted at root (zeroed if none). */
static struct xm_fib_mroute route_of(const struct xm_graph *g, uint32_t self,
				     const struct xm_local_adj *adj,
				     size_t n_adj,
				     const struct xm_mcast_member *m,
				     size_t n_m, uint32_t root)
{
	struct xm_fib_mroute *e, r;
	size_t i, n;

	memset(&r, 0, sizeof(r));
	if (xm_mcast_compute(g, self, adj, n_adj, m, n_m, &e, &n))
		return r;
	for (i = 0; i < n; i++)
		if (e[i].root == root)
			r = e[i];
	free(e);
	return r;
}

/*
 * The reverse-path check's upstream: each route names its parent in the
 * tree (the node its frames come from), the root's none; it follows a
 * repair. A node with more children than the kernel's 16 branches: the
 * rest are counted in n_cut.
 */
static void test_upstream(void)
{
	struct xm_mcast_member m[] = {
		{ 1, v4("239.1.2.3"), XM_MGROUP_SEND },
		{ 4, v4("239.1.2.3"), XM_MGROUP_RECV },
		{ 5, v4("239.1.2.3"), XM_MGROUP_RECV },
	};
	struct xm_mcast_member star_m[21];
	struct xm_local_adj star_adj[20];
	char spec[512];
	size_t len = 0;
	struct xm_graph g;
	struct xm_fib_mroute r;
	unsigned int i;

	graph_parse(&g, "1-2:10 2-3:10 3-4:10 2-5:10 5-4:15 1-6:10");
	r = route_of(&g, 1, mesh_adj[1], 3, m, 3, 1);
	ok(r.root == 1 && !r.upstream, "upstream: none at the root");
	r = route_of(&g, 2, mesh_adj[2], 3, m, 3, 1);
	is_int(r.upstream, 1, "upstream: 2's parent is the root");
	r = route_of(&g, 4, mesh_adj[4], 3, m, 3, 1);
	is_int(r.upstream, 3, "upstream: 4 takes the tree's frames from 3");
	xm_graph_free(&g);
	graph_parse(&g, "1-2:10 2-3:10 2-5:10 5-4:15 1-6:10");
	r = route_of(&g, 4, mesh_adj[4], 3, m, 3, 1);
	is_int(r.upstream, 5, "upstream: from 5 once 3-4 failed");
	xm_graph_free(&g);

	/* A star: root 1 with 20 receivers around it. */
	star_m[0] = (struct xm_mcast_member){ 1, v4("239.1.2.3"),
					      XM_MGROUP_SEND };
	for (i = 0; i < 20; i++) {
		star_m[i + 1] = (struct xm_mcast_member){
			i + 2, v4("239.1.2.3"), XM_MGROUP_RECV };
		star_adj[i] = (struct xm_local_adj){ i + 2, 100 + i, 10 };
		len += snprintf(spec + len, sizeof(spec) - len, "%s1-%u:10",
				i ? " " : "", i + 2);
	}
	graph_parse(&g, spec);
	r = route_of(&g, 1, star_adj, 20, star_m, 21, 1);
	ok(r.n_neighs == XMESH_MAX_MROUTE_NEIGHS && r.n_cut == 4,
	   "20 children: 16 branches, 4 counted as cut (%u, %u)",
	   r.n_neighs, r.n_cut);
	xm_graph_free(&g);
}

int main(void)
{
	test_mesh();
	test_upstream();
	test_tlv();
	test_random();
	test_shared();
	return tap_done();
}
