// SPDX-License-Identifier: GPL-2.0
/*
 * The simulator's properties (sim.h): packets follow the kernel tables
 * as xmesh.ko would forward them, compared with the true topology.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_priv.h"
#include "spf.h"
#include "util.h"

enum walk_result {
	WALK_OK,
	WALK_UNROUTED,		/* no route, or no usable next hop */
	WALK_BLACKHOLE,		/* a next hop leading nowhere */
	WALK_LOOP,
	WALK_TRANSIT,		/* through an excluded node */
};

struct walk {
	const struct xm_sim *s;
	uint32_t dst;			/* node index */
	uint8_t *state;			/* 0 new, 1 on the way, 2 done */
	uint8_t *res;			/* enum walk_result, when done */
	uint64_t *worst;		/* costliest branch to dst */
	uint32_t *hops;			/* longest branch */
	uint32_t *where;		/* the node the problem is at */
};

int xm_sim_true_graph(const struct xm_sim *s, struct xm_graph *g)
{
	struct xm_graph_edge *e = NULL;
	size_t ne = 0, cap = 0;
	uint32_t *ids, i;
	int err;

	ids = calloc(s->n_nodes + 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (i = 0; i < s->n_nodes; i++)
		ids[i] = s->node[i].id;
	for (i = 0; i < s->n_links; i++) {
		const struct sim_link *l = &s->link[i];
		unsigned int a, b;

		if (!l->carrier || l->silent)
			continue;
		for (a = 0; a < l->n_ends; a++)
			for (b = 0; b < l->n_ends; b++) {
				if (a == b || !s->node[l->end[a].node].alive ||
				    !s->node[l->end[b].node].alive)
					continue;
				if (xm_grow((void **)&e, &cap, ne + 1,
					    sizeof(*e))) {
					free(e);
					free(ids);
					return -ENOMEM;
				}
				e[ne++] = (struct xm_graph_edge){
					s->node[l->end[a].node].id,
					s->node[l->end[b].node].id,
					sim_link_metric(l) };
			}
	}
	err = xm_graph_build(g, ids, s->n_nodes, e, ne);
	for (i = 0; !err && i < s->n_nodes; i++)
		g->node[i].no_transit = sim_node_excluded(s, &s->node[i]);
	free(ids);
	free(e);
	return err;
}

/* Next hops the kernel of n would use now: the best usable priority. */
static unsigned int active_hops(const struct xm_sim *s,
				const struct sim_node *n,
				const struct xm_fib_route *r,
				const struct xm_fib_neigh **out)
{
	unsigned int i, k = 0;
	int best = 256;

	for (i = 0; i < r->n_nexthops; i++) {
		const struct xm_fib_neigh *kn =
			xm_vkernel_neigh(&n->k, r->nexthop[i].neigh);
		const struct sim_link *l;

		if (!kn || !kn->up || kn->ifindex < 2 ||
		    kn->ifindex - 2 >= n->n_ports)
			continue;
		l = &s->link[n->port[kn->ifindex - 2].link];
		if (!l->carrier)
			continue;
		if (r->nexthop[i].priority < best) {
			best = r->nexthop[i].priority;
			k = 0;
		}
		if (r->nexthop[i].priority == best)
			out[k++] = kn;
	}
	return k;
}

static enum walk_result visit(struct walk *w, uint32_t x, uint32_t origin)
{
	const struct xm_sim *s = w->s;
	const struct sim_node *n = &s->node[x];
	const struct xm_fib_neigh *hop[XMESH_MAX_NEXTHOPS];
	const struct xm_fib_route *r;
	enum walk_result res = WALK_OK;
	unsigned int k, i;

	if (x == w->dst) {
		w->worst[x] = 0;
		w->hops[x] = 0;
		return WALK_OK;
	}
	if (w->state[x] == 1) {
		w->where[x] = x;
		return WALK_LOOP;
	}
	if (w->state[x] == 2)
		return w->res[x];
	w->state[x] = 1;
	w->worst[x] = 0;
	w->hops[x] = 0;
	w->where[x] = x;
	r = xm_vkernel_route(&n->k, s->node[w->dst].id);
	k = r ? active_hops(s, n, r, hop) : 0;
	if (!k)
		res = WALK_UNROUTED;
	for (i = 0; i < k && res == WALK_OK; i++) {
		const struct sim_link *l;
		const struct sim_end *peer = sim_neigh_peer(s, n, hop[i], &l);
		const struct sim_port *p = &n->port[hop[i]->ifindex - 2];
		uint32_t y;

		if (!peer || !sim_kernel_accepts(s, &s->node[peer->node],
						 peer->ifindex,
						 &l->end[p->end].addr, n->id,
						 true)) {
			res = WALK_BLACKHOLE;
			break;
		}
		y = peer->node;
		if (y != w->dst && sim_node_excluded(s, &s->node[y])) {
			res = WALK_TRANSIT;
			w->where[x] = y;
			break;
		}
		res = visit(w, y, origin);
		if (res != WALK_OK) {
			w->where[x] = w->where[y];
			break;
		}
		if (w->worst[y] + sim_link_metric(l) > w->worst[x])
			w->worst[x] = w->worst[y] + sim_link_metric(l);
		if (w->hops[y] + 1 > w->hops[x])
			w->hops[x] = w->hops[y] + 1;
	}
	w->state[x] = 2;
	w->res[x] = (uint8_t)res;
	return res;
}

__attribute__((format(printf, 2, 3)))
static void problem(struct xm_sim_check *r, const char *fmt, ...)
{
	va_list ap;

	if (r->first[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->first, sizeof(r->first), fmt, ap);
	va_end(ap);
}

static int prefix_qcmp(const void *a, const void *b)
{
	return xm_fib_prefix_cmp(a, b);
}

static bool has_prefix(const struct sim_node *n, uint32_t id)
{
	struct xm_fib_prefix key = { .node = id };
	const struct xm_fib_prefix *f;

	sim_node_prefix(id, &key.prefix);
	f = n->k.t.n_prefixes ? bsearch(&key, n->k.t.prefixes,
					n->k.t.n_prefixes, sizeof(key),
					prefix_qcmp) : NULL;
	return f && f->node == id;
}

/*
 * Hysteresis lets each advertised metric a stand for a true one up to
 * max(a / 4, 20) away, so a path chosen on advertised metrics may cost
 * up to about 5/3 of the best plus a little per hop.
 */
static bool cost_ok(uint64_t cost, uint64_t best, uint32_t hops,
		    uint32_t best_hops)
{
	return cost * 3 <= best * 5 + 75ull * best_hops + 60ull * hops;
}

bool xm_sim_check(struct xm_sim *s, struct xm_sim_check *r, bool cost)
{
	static const char *const what[] = {
		[WALK_UNROUTED] = "no usable route",
		[WALK_BLACKHOLE] = "a next hop leading nowhere",
		[WALK_LOOP] = "a loop",
		[WALK_TRANSIT] = "transit through an excluded node",
	};
	uint32_t n = s->n_nodes, d, x;
	struct xm_graph g, rev;
	struct walk w = { .s = s };
	bool fail = false;

	memset(r, 0, sizeof(*r));
	if (xm_sim_true_graph(s, &g))
		return false;
	if (xm_graph_transpose(&g, &rev)) {
		xm_graph_free(&g);
		return false;
	}
	w.state = calloc(n + 1, 1);
	w.res = calloc(n + 1, 1);
	w.worst = calloc(n + 1, sizeof(*w.worst));
	w.hops = calloc(n + 1, sizeof(*w.hops));
	w.where = calloc(n + 1, sizeof(*w.where));
	for (d = 0; w.state && w.res && w.worst && w.hops && w.where &&
		    d < n && !fail; d++) {
		struct xm_spf to_d;

		if (!s->node[d].alive)
			continue;
		/* Distances to d: an SPF over the reversed graph. */
		if (xm_spf_run(&rev, d, s->conf.policy.max_hops, &to_d)) {
			fail = true;
			break;
		}
		memset(w.state, 0, n);
		w.dst = d;
		for (x = 0; x < n; x++) {
			enum walk_result res;

			if (x == d || !s->node[x].alive ||
			    to_d.cost[x] == XM_COST_INF)
				continue;
			r->pairs++;
			if (!has_prefix(&s->node[x], s->node[d].id)) {
				r->prefixes_missing++;
				problem(r, "n%u has no prefix of n%u",
					s->node[x].id, s->node[d].id);
			}
			res = visit(&w, x, x);
			switch (res) {
			case WALK_OK:
				r->delivered++;
				if (cost && !cost_ok(w.worst[x], to_d.cost[x],
						     w.hops[x], to_d.hops[x])) {
					r->suboptimal++;
					problem(r, "n%u -> n%u: cost %u",
						s->node[x].id, s->node[d].id,
						(uint32_t)w.worst[x]);
				}
				continue;
			case WALK_UNROUTED:
				r->unrouted++;
				break;
			case WALK_BLACKHOLE:
				r->blackholes++;
				break;
			case WALK_LOOP:
				r->loops++;
				break;
			case WALK_TRANSIT:
				r->transit++;
				break;
			}
			problem(r, "n%u -> n%u: %s at n%u", s->node[x].id,
				s->node[d].id, what[res], s->node[w.where[x]].id);
		}
		xm_spf_free(&to_d);
	}
	free(w.state);
	free(w.res);
	free(w.worst);
	free(w.hops);
	free(w.where);
	xm_graph_free(&rev);
	xm_graph_free(&g);
	return !fail && r->delivered == r->pairs && !r->suboptimal &&
	       !r->prefixes_missing;
}

int xm_sim_converge(struct xm_sim *s, uint64_t deadline, uint64_t quiet_us,
		    uint64_t check_us, struct xm_sim_convergence *c)
{
	uint64_t start = s->now, seen_changes = UINT64_MAX,
		 seen_topo = UINT64_MAX;
	bool repaired = false, converged = false;

	memset(c, 0, sizeof(*c));
	if (!check_us)
		check_us = 10 * XM_SIM_MS;
	for (;;) {
		bool fresh = s->st.fib_changes != seen_changes ||
			     s->topo_changes != seen_topo;

		/* Judge the tables once a burst of changes has settled. */
		if (fresh && (s->now - s->st.last_change >= check_us ||
			      s->st.last_change < start)) {
			uint64_t at = s->st.last_change > start ?
				      s->st.last_change : start;
			bool all = xm_sim_check(s, &c->last, true);
			bool routed = c->last.delivered == c->last.pairs;

			seen_changes = s->st.fib_changes;
			seen_topo = s->topo_changes;
			c->checks++;
			if (routed && !repaired)
				c->repaired_at = at;
			if (all && !converged)
				c->converged_at = at;
			repaired = routed;
			converged = all;
			fresh = false;
		}
		/* Quiet since the last change, and since the call: a failure
		 * just injected has yet to show. */
		c->settled_at = s->st.last_change > start ? s->st.last_change :
							    start;
		if (converged && !fresh && s->now - c->settled_at >= quiet_us)
			return 0;
		if (s->now >= deadline)
			return -ETIMEDOUT;
		xm_sim_run(s, s->now + check_us < deadline ?
			      s->now + check_us : deadline);
	}
}
