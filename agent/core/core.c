// SPDX-License-Identifier: GPL-2.0
/*
 * The protocol core's glue (core.h): configuration, links, the receive
 * path (framing and tag, replay window, then the decoder of the type),
 * the SPF throttle, the desired kernel tables and the action queue.
 * neigh.c and lsdb.c do the protocol; core_run() runs whatever came due.
 */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core_priv.h"
#include "export.h"
#include "classes.h"
#include "fib.h"
#include "mcast.h"

void xm_timers_default(struct xm_timers *t)
{
	*t = (struct xm_timers){
		.hello_ms = 1000,
		.dead_ms = 3500,
		.probe_ms = 50,
		.probe_miss = 3,
		.holddown_ms = 2000,
		.holddown_max_ms = 30000,
		.spf_initial_ms = 0,
		.spf_hold_ms = 50,
		.spf_max_ms = 5000,
		.lsa_min_ms = 100,
		.lsa_refresh_s = 1800,
		.lsa_max_age_s = 3600,
		.rexmit_ms = 500,
		.purge_after_s = 60,
		.sync_hold_ms = 4000,
		.lsa_max_ms = 5000,
	};
}

const char *xm_timers_check(const struct xm_timers *t)
{
	if (!t->hello_ms)
		return "hello_ms must not be 0";
	if (t->dead_ms <= t->hello_ms)
		return "dead_ms must be greater than hello_ms";
	if (!t->probe_ms)
		return "probe_ms must not be 0";
	if (!t->probe_miss)
		return "probe_miss must not be 0";
	if (!t->rexmit_ms)
		return "rexmit_ms must not be 0";
	if (!t->lsa_refresh_s)
		return "lsa_refresh_s must not be 0";
	if (t->lsa_refresh_s >= t->lsa_max_age_s)
		return "lsa_max_age_s must be greater than lsa_refresh_s";
	if (t->lsa_max_age_s > UINT16_MAX)
		return "lsa_max_age_s must fit in 16 bits (65535)";
	if (!t->purge_after_s)
		return "purge_after_s must not be 0";
	return NULL;
}

const char *xm_prefixes_check(const struct xm_prefix4or6 *p, unsigned int n)
{
	unsigned int i;

	if (n > XM_PREFIX_MAX)
		return "more than XM_PREFIX_MAX (16) prefixes";
	for (i = 0; i < n; i++) {
		if (!xm_addr_len(p[i].addr.family))
			return "a prefix is of no address family";
		if (p[i].len > xm_addr_bits(p[i].addr.family))
			return "a prefix length is longer than its address";
		if (xm_addr_has_host_bits(&p[i].addr, p[i].len))
			return "a prefix has host bits set";
	}
	return NULL;
}

const char *xm_core_config_check(const struct xm_core_config *cfg)
{
	const char *why;

	if (!cfg->node_id)
		return "node_id must not be 0";
	if (cfg->origin && !cfg->kx)
		return "origin needs kx: origin keys come from certificates";
	/* A rotation waits for the switch of the one before. */
	if (cfg->origin && cfg->origin_rekey_ms <= XM_ORIGIN_SWITCH_MS)
		return "origin_rekey_ms must be greater than 5000";
	why = xm_timers_check(&cfg->timers);
	if (!why)
		why = xm_mgroups_check(cfg->mgroups, cfg->n_mgroups);
	return why ? why : xm_prefixes_check(cfg->prefixes, cfg->n_prefixes);
}

/* ---- small services for neigh.c and lsdb.c ---- */

/* splitmix64: deterministic jitter, seeded by the node id. */
uint32_t core_rand(struct xm_core *c, uint32_t below)
{
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return below ? (uint32_t)(z % below) : 0;
}

struct xm_link *core_link(struct xm_core *c, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < XM_LINK_MAX; i++)
		if (c->link[i].used && c->link[i].info.ifindex == ifindex)
			return &c->link[i];
	return NULL;
}

/*
 * A new action at the queue's tail, or NULL (counted): events beyond
 * XM_EVENTS_MAX are dropped unless summary (the refusal report that
 * counts them), and only the FIB sync may take the last slot.
 */
static struct xm_action *action_new(struct xm_core *c, enum xm_action_type t,
				    bool summary)
{
	struct xm_action *a;

	if (t == XM_ACT_EVENT && !summary && c->q_events >= XM_EVENTS_MAX) {
		c->st.events_dropped++;
		return NULL;
	}
	if (t != XM_ACT_FIB && c->q_len >= XM_ACTION_MAX - 1) {
		if (t == XM_ACT_EVENT)
			c->st.events_dropped++;
		else
			core_limit(c, limit_actions);
		return NULL;
	}
	if (c->q_head + c->q_len == c->q_cap) {
		if (c->q_head) {
			memmove(c->q, c->q + c->q_head, c->q_len * sizeof(*a));
			c->q_head = 0;
		} else {
			size_t cap = c->q_cap ? 2 * c->q_cap : 64;

			if (cap > XM_ACTION_MAX)
				cap = XM_ACTION_MAX;
			if (cap == c->q_cap) {
				core_limit(c, limit_actions);
				return NULL;
			}
			a = realloc(c->q, cap * sizeof(*a));
			if (!a) {
				core_limit(c, nomem);
				return NULL;
			}
			c->q = a;
			c->q_cap = cap;
		}
	}
	a = &c->q[c->q_head + c->q_len++];
	memset(a, 0, offsetof(struct xm_action, msg));
	a->type = t;
	a->neigh = 0;
	a->seq = 0;
	a->text[0] = '\0';
	if (t == XM_ACT_EVENT)
		c->q_events++;
	return a;
}

struct xm_action *core_action_new(struct xm_core *c, enum xm_action_type t)
{
	return action_new(c, t, false);
}

static void event_add(struct xm_core *c, enum xm_event_level level,
		      bool summary, const char *fmt, va_list ap)
{
	struct xm_action *a = action_new(c, XM_ACT_EVENT, summary);

	if (!a)
		return;
	a->level = level;
	vsnprintf(a->text, sizeof(a->text), fmt, ap);
}

void core_event(struct xm_core *c, enum xm_event_level level,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	event_add(c, level, false, fmt, ap);
	va_end(ap);
}

/* The refusal report: past the events' bound (it counts what that drops). */
static void core_event_summary(struct xm_core *c, enum xm_event_level level,
			       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	event_add(c, level, true, fmt, ap);
	va_end(ap);
}

struct xm_action *core_send_begin(struct xm_core *c, struct xm_msg_writer *w,
				  enum xm_msg_type type, uint32_t ifindex,
				  const struct xm_addr *dst)
{
	struct xm_action *a = core_action_new(c, XM_ACT_SEND);

	if (!a)
		return NULL;
	a->ifindex = ifindex;
	if (dst)
		a->dst = *dst;
	xm_msg_begin(w, a->msg, sizeof(a->msg), type, 0, c->cfg.node_id,
		     ++c->msg_seq);
	return a;
}

void core_send_cancel(struct xm_core *c)
{
	/* The message being built is the newest action. */
	c->q_len--;
	if (!c->q_len)
		c->q_head = 0;
}

void core_send_finish(struct xm_core *c, struct xm_action *a,
		      struct xm_msg_writer *w)
{
	int len = xm_msg_finish(w, c->cfg.site_key);

	if (len < 0) {
		core_send_cancel(c);
		return;
	}
	a->len = (uint16_t)len;
	c->st.tx_msgs++;
}

/*
 * The FIB sync is never lost: it has the queue's last slot, and without
 * memory for it, it is owed (xm_core_action() gives it once the queue is
 * empty).
 */
static void fib_changed(struct xm_core *c)
{
	if (c->fib_queued)
		return;
	c->fib_queued = true;
	if (!core_action_new(c, XM_ACT_FIB))
		c->fib_owed = true;
}

/* ---- desired tables ---- */

static bool neigh_eq(const void *x, const void *y)
{
	const struct xm_fib_neigh *a = x, *b = y;

	return a->id == b->id && a->node == b->node &&
	       a->ifindex == b->ifindex && a->port == b->port &&
	       a->up == b->up && xm_addr_eq(&a->local, &b->local) &&
	       xm_addr_eq(&a->remote, &b->remote);
}

static bool route_eq(const void *x, const void *y)
{
	const struct xm_fib_route *a = x, *b = y;
	unsigned int i;

	if (a->dst != b->dst || a->tclass != b->tclass ||
	    a->n_nexthops != b->n_nexthops)
		return false;
	for (i = 0; i < a->n_nexthops && i < 8; i++)
		if (a->nexthop[i].neigh != b->nexthop[i].neigh ||
		    a->nexthop[i].priority != b->nexthop[i].priority)
			return false;
	return true;
}

static bool prefix_eq(const void *x, const void *y)
{
	const struct xm_fib_prefix *a = x, *b = y;

	return a->node == b->node && a->prefix.len == b->prefix.len &&
	       xm_addr_eq(&a->prefix.addr, &b->prefix.addr);
}

/* Two sorted tables, entry by entry. */
static bool table_eq(const void *a, size_t na, const void *b, size_t nb,
		     size_t size, bool (*eq)(const void *, const void *))
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!eq((const char *)a + i * size, (const char *)b + i * size))
			return false;
	return true;
}

/* The kernel neighbors: every neighbor that has been two-way. */
static void fib_update_neighs(struct xm_core *c)
{
	struct xm_fib_neigh *v;
	size_t i, n = 0;

	v = calloc(c->n_neigh + 1, sizeof(*v));
	if (!v) {
		core_limit(c, nomem);
		return;
	}
	for (i = 0; i < c->n_neigh; i++) {
		const struct xm_core_neigh *x = c->neigh[i];

		if (!x->in_fib)
			continue;
		v[n++] = (struct xm_fib_neigh){
			.id = x->id, .node = x->node, .ifindex = x->ifindex,
			.local = x->local, .remote = x->remote,
			.port = x->port, .up = x->state == XM_NEIGH_UP,
		};
	}
	if (table_eq(v, n, c->fib.neighs, c->fib.n_neighs, sizeof(*v),
		     neigh_eq)) {
		free(v);
		return;
	}
	free(c->fib.neighs);
	c->fib.neighs = v;
	c->fib.n_neighs = n;
	fib_changed(c);
}

struct prefix_cand {
	struct xm_fib_prefix p;
	struct xm_advertiser adv;
};

static int cand_cmp(const void *x, const void *y)
{
	const struct prefix_cand *a = x, *b = y;
	const struct xm_addr *u = &a->p.prefix.addr, *w = &b->p.prefix.addr;
	int d;

	if (u->family != w->family)
		return u->family < w->family ? -1 : 1;
	d = memcmp(u->raw, w->raw, xm_addr_len(u->family));
	if (d)
		return d;
	if (a->p.prefix.len != b->p.prefix.len)
		return a->p.prefix.len < b->p.prefix.len ? -1 : 1;
	return xm_advertiser_cmp(&a->adv, &b->adv);
}

static bool own_prefix(const struct xm_core *c, const struct xm_prefix4or6 *p)
{
	unsigned int i;

	for (i = 0; i < c->cfg.n_prefixes; i++)
		if (c->cfg.prefixes[i].len == p->len &&
		    xm_addr_eq(&c->cfg.prefixes[i].addr, &p->addr))
			return true;
	return false;
}

/*
 * The prefixes of every node reachable under the policy, ours aside; a
 * prefix two nodes advertise goes to the better priority (export.h), then
 * the nearer, then the lower id.
 */
static int prefixes_build(struct xm_core *c, struct xm_fib_prefix **out,
			  size_t *n_out)
{
	struct prefix_cand *cand;
	struct xm_fib_prefix *v;
	size_t i, n = 0, k = 0;
	unsigned int j;

	for (i = 0; i < c->n_lsa; i++)
		n += c->lsa[i]->adv->n_prefixes;
	cand = calloc(n + 1, sizeof(*cand));
	v = calloc(n + 1, sizeof(*v));
	if (!cand || !v) {
		free(cand);
		free(v);
		return -ENOMEM;
	}
	n = 0;
	for (i = 0; i < c->n_lsa; i++) {
		const struct xm_lsa *l = c->lsa[i];

		if (!l->reachable || l->adv->originator == c->cfg.node_id)
			continue;
		for (j = 0; j < l->adv->n_prefixes; j++) {
			if (own_prefix(c, &l->adv->prefixes[j]))
				continue;	/* ours: never elsewhere */
			cand[n++] = (struct prefix_cand){
				.p = { .prefix = l->adv->prefixes[j],
				       .node = l->adv->originator },
				.adv = { .node = l->adv->originator,
					 .priority = l->adv->prefix_prio[j],
					 .cost = l->cost, .reachable = true },
			};
		}
	}
	qsort(cand, n, sizeof(*cand), cand_cmp);
	for (i = 0; i < n; i++)
		if (!k || v[k - 1].prefix.len != cand[i].p.prefix.len ||
		    !xm_addr_eq(&v[k - 1].prefix.addr, &cand[i].p.prefix.addr))
			v[k++] = cand[i].p;
	free(cand);
	*out = v;
	*n_out = k;
	return 0;
}

/* ---- SPF ---- */

/*
 * RFC 8405's intervals: SHORT_WAIT lasts XM_SPF_LEARN_MS after the first
 * news of a quiet mesh (the news of one failure or change), and the mesh
 * is quiet again after XM_SPF_HOLDDOWN_MS without news.
 */
#define XM_SPF_LEARN_MS		1000
#define XM_SPF_HOLDDOWN_MS(t)	((t)->spf_max_ms > 5000 ? (t)->spf_max_ms : 5000)

void core_spf_schedule(struct xm_core *c, xm_time now,
		       enum xm_spf_news news)
{
	const struct xm_timers *t = &c->cfg.timers;
	xm_time delay = t->spf_initial_ms;

	/*
	 * An adjacency lost or gained runs after the initial delay alone,
	 * whatever the backoff: until SPF has run, traffic into a lost
	 * adjacency is dropped wherever the kernel holds no backup, and a
	 * node cut off stays unreachable until a new one is used. The first
	 * hold still spaces news after news: when a mesh starts, adverts
	 * with new adjacencies arrive by the hundred. Metrics (which move
	 * all the time) keep the backoff.
	 */
	if (news == XM_SPF_ADJACENCY) {
		if (c->spf_news != XM_NEVER &&
		    c->spf_news + t->spf_hold_ms > now + delay)
			delay = c->spf_news + t->spf_hold_ms - now;
		if (now + delay < c->spf_due) {
			c->spf_due = now + delay;
			c->spf_news = c->spf_due;
		}
		return;
	}
	/*
	 * The rest (metrics, prefixes, zones) backs off as RFC 8405 says:
	 * the first news of a quiet mesh runs after the initial delay, news
	 * within XM_SPF_LEARN_MS of it after spf_hold_ms, later news after
	 * spf_max_ms, until XM_SPF_HOLDDOWN_MS pass without news. Every
	 * delay counts from the news, and the state moves with the news,
	 * which reach every node within a flood: all nodes compute at about
	 * the same time. Between a node that has moved its routes and a
	 * neighbor that has not, packets loop; FRR's throttle (a hold from
	 * the node's own last run, doubled) put nodes seconds apart.
	 */
	if (c->spf_state != XM_SPF_QUIET && now >= c->spf_quiet_at)
		c->spf_state = XM_SPF_QUIET;
	if (c->spf_state == XM_SPF_SHORT_WAIT && now >= c->spf_learn_end)
		c->spf_state = XM_SPF_LONG_WAIT;
	switch (c->spf_state) {
	case XM_SPF_QUIET:
		c->spf_state = XM_SPF_SHORT_WAIT;
		c->spf_learn_end = now + XM_SPF_LEARN_MS;
		break;
	case XM_SPF_SHORT_WAIT:
		delay = t->spf_hold_ms;
		break;
	case XM_SPF_LONG_WAIT:
		delay = t->spf_max_ms;
		break;
	}
	c->spf_quiet_at = now + XM_SPF_HOLDDOWN_MS(t);
	if (c->spf_due == XM_NEVER)
		c->spf_due = now + delay;
}

static bool zone_excluded(const struct xm_core *c, const char *zone)
{
	unsigned int i;

	for (i = 0; i < c->cfg.policy.n_excluded_zones && i < 8; i++)
		if (c->cfg.policy.excluded_zones[i][0] &&
		    !strncmp(zone, c->cfg.policy.excluded_zones[i],
			     XM_NAME_MAX))
			return true;
	return false;
}

uint32_t xm_policy_adj_metric(const struct xm_policy *p, uint32_t node,
			      uint32_t measured)
{
	unsigned int i;

	if (p->drained)
		return XM_METRIC_MAX;
	for (i = 0; i < p->n_overrides && i < XM_METRIC_OVERRIDE_MAX; i++)
		if (p->overrides[i].node == node && p->overrides[i].metric)
			return p->overrides[i].metric < XM_METRIC_MAX ?
			       p->overrides[i].metric : XM_METRIC_MAX;
	return measured;
}

/* Our UP adjacencies: per node, the cheapest link's metric. */
static size_t local_adjs(const struct xm_core *c, struct xm_local_adj *adj)
{
	size_t i, n = 0;

	for (i = 0; i < c->n_neigh; i++) {
		const struct xm_core_neigh *x = c->neigh[i];

		if (x->state == XM_NEIGH_UP)
			adj[n++] = (struct xm_local_adj){
				.node = x->node, .neigh = x->id,
				.metric = xm_policy_adj_metric(
					&c->adv_policy, x->node,
					x->metric ? x->metric : 1),
			};
	}
	return n;
}

static uint32_t local_metric(const struct xm_local_adj *adj, size_t n,
			     uint32_t node)
{
	uint32_t m = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (adj[i].node == node && (!m || adj[i].metric < m))
			m = adj[i].metric;
	return m;
}

static long lsa_index(const struct xm_core *c, uint32_t node)
{
	size_t lo = 0, hi = c->n_lsa;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->lsa[mid]->adv->originator == node)
			return (long)mid;
		if (c->lsa[mid]->adv->originator < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * The graph SPF runs on: node i is c->lsa[i]; an edge only when both ends
 * list each other, ours from the live neighbor table.
 */
static int graph_build(struct xm_core *c, const struct xm_local_adj *adj,
		       size_t n_adj)
{
	struct xm_graph *g = &c->graph;
	uint32_t self = c->cfg.node_id;
	size_t i, k = 0, max;

	lsdb_tidy(c);		/* n_edges up to date */
	max = c->n_edges + n_adj;

	g->node = calloc(c->n_lsa + 1, sizeof(*g->node));
	g->edge = calloc(max + 1, sizeof(*g->edge));
	if (!g->node || !g->edge)
		return -ENOMEM;
	g->n_nodes = (uint32_t)c->n_lsa;
	for (i = 0; i < c->n_lsa; i++) {
		const struct xm_lsa *l = c->lsa[i];
		const struct xm_advert *a = l->adv;
		struct xm_gnode *v = &g->node[i];
		unsigned int j;

		v->id = a->originator;
		v->no_transit = a->originator != self &&
				zone_excluded(c, a->caps.zone);
		v->first_edge = (uint32_t)k;
		for (j = 0; j < (a->originator == self ? 0 : a->n_adj); j++) {
			long to = lsa_index(c, a->adj[j].node);
			bool back = a->adj[j].node == self ?
				    local_metric(adj, n_adj, a->originator) :
				    to >= 0 && lsdb_lists(c->lsa[to],
							  a->originator);

			if (to < 0 || !back)
				continue;
			g->edge[k++] = (struct xm_gedge){
				.to = (uint32_t)to,
				.metric = a->adj[j].metric < XM_METRIC_MAX ?
					  a->adj[j].metric : XM_METRIC_MAX,
			};
		}
		if (a->originator == self) {
			/* One edge per neighbor node, adjacencies sorted. */
			size_t x;

			for (x = 0; x < n_adj; x++) {
				long to = lsa_index(c, adj[x].node);
				uint32_t m = local_metric(adj, n_adj,
							  adj[x].node);
				size_t y;

				for (y = 0; y < x && adj[y].node != adj[x].node;
				     y++)
					;
				if (y < x || to < 0 ||
				    !lsdb_lists(c->lsa[to], self))
					continue;
				g->edge[k++] = (struct xm_gedge){
					.to = (uint32_t)to,
					.metric = m < XM_METRIC_MAX ? m :
						  XM_METRIC_MAX,
				};
			}
		}
		v->n_edges = (uint32_t)k - v->first_edge;
	}
	g->n_edges = (uint32_t)k;
	return 0;
}

static void spf_clear(struct xm_core *c)
{
	if (c->spf_valid)
		xm_spf_free(&c->spf);
	c->spf_valid = false;
	free(c->graph.node);
	free(c->graph.edge);
	memset(&c->graph, 0, sizeof(c->graph));
}

static bool mroute_eq(const void *x, const void *y)
{
	return xm_fib_mroute_same(x, y);
}

/*
 * This node's multicast routes (Documentation/multicast.md): the groups
 * of every reachable node, ours included, made into trees.
 */
static int mroutes_build(struct xm_core *c, const struct xm_local_adj *adj,
			 size_t n_adj, struct xm_fib *nf)
{
	struct xm_mcast_member *m;
	size_t i, n = 0;
	unsigned int j;
	int err;

	for (i = 0; i < c->n_lsa; i++)
		n += c->lsa[i]->adv->n_mgroups;
	if (!n)
		return 0;
	m = calloc(n, sizeof(*m));
	if (!m)
		return -ENOMEM;
	n = 0;
	for (i = 0; i < c->n_lsa; i++) {
		const struct xm_advert *a = c->lsa[i]->adv;

		if (!c->lsa[i]->reachable && a->originator != c->cfg.node_id)
			continue;
		for (j = 0; j < a->n_mgroups; j++)
			m[n++] = (struct xm_mcast_member){
				a->originator, a->mgroups[j].group,
				a->mgroups[j].flags,
			};
	}
	err = xm_mcast_compute(&c->graph, c->cfg.node_id, adj, n_adj, m, n,
			       &nf->mroutes, &nf->n_mroutes);
	free(m);
	return err;
}

/*
 * The tables of the classes with paths of their own (core/classes.h),
 * appended to nf; nothing to compute while no class has any.
 */
static int class_routes(const struct xm_core *c,
			const struct xm_local_adj *adj, size_t n_adj,
			struct xm_fib *nf)
{
	const struct xm_policy *p = &c->cfg.policy;
	struct xm_class_topo t;
	unsigned int k;
	int err;

	for (k = 0; k < XM_CLASSES && !xm_class_path_own(&p->classes[k]); k++)
		;
	if (k == XM_CLASSES)
		return 0;
	err = xm_class_topo_init(&t, c, &xm_class_core_source,
				 c->cfg.node_id, p->max_hops);
	if (err)
		return err == -ENOENT ? 0 : err;
	err = xm_class_routes_all(&t, p, adj, n_adj, nf);
	xm_class_topo_free(&t);
	return err;
}

static void spf_run(struct xm_core *c, xm_time now)
{
	struct xm_local_adj *adj;
	struct xm_fib nf = { 0 };
	size_t n_adj, reachable = 0, i;
	long root;
	int err;

	c->spf_due = XM_NEVER;
	c->st.spf_runs++;
	spf_clear(c);
	adj = calloc(c->n_neigh + 1, sizeof(*adj));
	n_adj = adj ? local_adjs(c, adj) : 0;
	if (!adj || graph_build(c, adj, n_adj)) {
		free(adj);
		spf_clear(c);
		core_limit(c, nomem);
		return;
	}
	root = lsa_index(c, c->cfg.node_id);
	c->spf_valid = root >= 0 &&
		       !xm_spf_run(&c->graph, (uint32_t)root,
				   c->cfg.policy.max_hops, &c->spf);
	err = xm_routes_compute(&c->graph, c->cfg.node_id, adj, n_adj,
				c->cfg.policy.max_hops, &nf);
	if (!err)
		err = class_routes(c, adj, n_adj, &nf);
	lsdb_spf_done(c, now);
	if (err == -ENOMEM || prefixes_build(c, &nf.prefixes,
					     &nf.n_prefixes) ||
	    mroutes_build(c, adj, n_adj, &nf)) {
		/* Keep what the kernel has; try again on the next change. */
		free(adj);
		free(nf.routes);
		free(nf.prefixes);
		core_limit(c, nomem);
		return;
	}
	free(adj);
	if (err) {
		free(nf.routes);	/* no SPF (yet): no routes */
		nf.routes = NULL;
		nf.n_routes = 0;
	}
	xm_fib_sort(&nf);
	for (i = 0; i < c->n_lsa; i++)
		reachable += c->lsa[i]->reachable &&
			     c->lsa[i]->adv->originator != c->cfg.node_id;
	core_event(c, XM_EV_DEBUG, "spf: %zu nodes, %zu reachable, %zu routes, %zu prefixes",
		   c->n_lsa, reachable, nf.n_routes, nf.n_prefixes);
	if (table_eq(nf.routes, nf.n_routes, c->fib.routes, c->fib.n_routes,
		     sizeof(*nf.routes), route_eq) &&
	    table_eq(nf.prefixes, nf.n_prefixes, c->fib.prefixes,
		     c->fib.n_prefixes, sizeof(*nf.prefixes), prefix_eq) &&
	    table_eq(nf.mroutes, nf.n_mroutes, c->fib.mroutes,
		     c->fib.n_mroutes, sizeof(*nf.mroutes), mroute_eq)) {
		free(nf.routes);
		free(nf.prefixes);
		free(nf.mroutes);
		return;
	}
	free(c->fib.routes);
	free(c->fib.prefixes);
	free(c->fib.mroutes);
	c->fib.mroutes = nf.mroutes;
	c->fib.n_mroutes = nf.n_mroutes;
	c->fib.routes = nf.routes;
	c->fib.n_routes = nf.n_routes;
	c->fib.prefixes = nf.prefixes;
	c->fib.n_prefixes = nf.n_prefixes;
	fib_changed(c);
}

/* ---- running what is due ---- */

/*
 * The database looks complete: every two-way neighbor sent us all it has,
 * every adopted kernel neighbor is UP again, SPF has run over it all, and
 * reaches every such neighbor. The last is for a restart that outlasted
 * the neighbors' dead interval: they took us down, and their adverts list
 * us again only a flood after we are back; tables written before then
 * would route nowhere and wipe what the kernel still forwards with.
 */
static bool lsdb_complete(const struct xm_core *c)
{
	size_t i, k = 0;

	if (neigh_adopted_pending(c) || c->spf_due != XM_NEVER)
		return false;
	for (i = 0; i < c->n_neigh; i++) {
		const struct xm_core_neigh *n = c->neigh[i];
		const struct xm_lsa *l;

		if (!neigh_floods(n))
			continue;
		l = lsdb_find(c, n->node);
		if (!n->db_end_rx || !l || !l->reachable)
			return false;
		k++;
	}
	return k > 0;
}

/*
 * A two-way, authenticated neighbor's database is still on its way; or,
 * after a restart, a neighbor the kernel still has is heard again but
 * not UP yet (its key exchange, its probes: seconds on a loaded machine).
 * Tables written without it route around a link the kernel forwards
 * over, and can loop: seen in 78-soak as the source's packets coming
 * back to it (drop reason loop) for 1.7 s.
 */
static bool lsdb_awaited(const struct xm_core *c)
{
	size_t i;

	for (i = 0; i < c->n_neigh; i++) {
		const struct xm_core_neigh *n = c->neigh[i];

		if ((neigh_floods(n) && !n->db_end_rx) ||
		    (c->restarting && n->alive && c->ident[n->ident].adopted))
			return true;
	}
	return false;
}

/* The sync hold's end: after a restart, at least a dead interval. */
static xm_time hold_end(const struct xm_core *c)
{
	uint32_t hold = c->cfg.timers.sync_hold_ms;

	if (c->restarting && c->cfg.timers.dead_ms > hold)
		hold = c->cfg.timers.dead_ms;
	return xm_min(c->hold_from + hold, c->start + XM_HOLD_MAX_MS);
}

/*
 * Whether the tables may be written, the database complete or not: once
 * the sync hold has passed and no neighbor's database is on its way, or
 * after a minute whatever comes. After a restart the hold is at least a
 * dead interval: the kernel forwards with the tables it has meanwhile,
 * and a neighbor it still lists gets the time the others give us to be
 * heard again. Tables written earlier, on a database that lacked a
 * neighbor slow to answer or to send (a loaded machine: seconds for
 * hellos, the key exchange and the database), withdrew routes the kernel
 * was forwarding with.
 */
static bool tables_due(const struct xm_core *c, xm_time now)
{
	return now >= c->start + XM_HOLD_MAX_MS ||
	       (now >= hold_end(c) && !lsdb_awaited(c));
}

/*
 * What the core refused, and what it let go to make room (not a refusal:
 * state forgotten, cut or dropped), counted since the last report.
 */
static const struct refusal {
	size_t off;
	const char *what;
	bool let_go;
} refusals[] = {
#define R(f, w) { offsetof(struct xm_core_stats, f), w, false }
#define L(f, w) { offsetof(struct xm_core_stats, f), w, true }
	R(rx_bad_auth, "with a bad tag"),
	R(rx_replayed, "replayed"),
	R(rx_malformed, "malformed"),
	R(rx_bad_version, "of another version"),
	R(rx_own, "with our own node id"),
	R(lsa_bad_sig, "adverts not signed by their originator"),
	R(lsa_bad_claim, "adverts claiming beyond their certificate (claim_mismatch)"),
	/* limit_hits, split: its sum */
	R(limit_neighbors, "neighbors (table full)"),
	R(limit_lsdb, "originators (database full)"),
	R(limit_actions, "actions (queue full)"),
	R(limit_kx_keys, "keys (slots full)"),
	R(limit_links, "links (XM_LINK_MAX)"),
	R(limit_seq, "originations (sequence exhausted)"),
	R(limit_advert, "adverts too big to send"),
	R(nomem, "for lack of memory"),
	L(lsdb_evicted, "unreachable originators forgotten (database full)"),
	L(replay_evicted, "replay window senders forgotten"),
	L(adj_cut, "adjacencies cut from our advert"),
	L(events_dropped, "events dropped (queue full)"),
#undef R
#undef L
};

static uint64_t stat_at(const struct xm_core_stats *st, size_t off)
{
	return *(const uint64_t *)((const char *)st + off);
}

static bool refusals_pending(const struct xm_core *c)
{
	size_t i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (stat_at(&c->st, refusals[i].off) !=
		    stat_at(&c->warned, refusals[i].off))
			return true;
	return false;
}

/* One WARN event per XM_WARN_MS at most, whatever the burst. */
static void refusals_report(struct xm_core *c, xm_time now)
{
	char text[sizeof(((struct xm_action *)0)->text)];
	size_t i, len = 0;
	bool let_go = false;

	if (!refusals_pending(c) ||
	    (c->warn_last != XM_NEVER && now < c->warn_last + XM_WARN_MS))
		return;
	text[0] = '\0';
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *r = &refusals[i];
		uint64_t d = stat_at(&c->st, r->off) -
			     stat_at(&c->warned, r->off);
		const char *part = len ? ", " : "refused: ";

		if (!d || len >= sizeof(text))
			continue;
		if (r->let_go && !let_go) {	/* the table's second part */
			part = len ? "; let go: " : "let go: ";
			let_go = true;
		}
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%s%llu %s", part,
					(unsigned long long)d, r->what);
	}
	c->warn_last = now;
	core_event_summary(c, XM_EV_WARN, "%s", text);
	/* The event itself may not fit: counted, not reported again. */
	c->warned = c->st;
}

/*
 * Do what is due. Only the timer (expire) declares probes lost and
 * neighbors dead: an input event may be the first the I/O shell handles
 * after a stall, with the answers that were in time still queued behind
 * it (the shell reads input before it runs the timer).
 */
static void core_run(struct xm_core *c, xm_time now, bool expire)
{
	xm_time t;

	neigh_run(c, now, expire);
	kx_core_run(c, now);
	/*
	 * A run due now goes before our origination due now: the metrics
	 * that advert commits reach the others a flood later, and are news
	 * to them; here too (the install schedules a run for them).
	 */
	if (c->spf_due <= now)
		spf_run(c, now);
	lsdb_run(c, now);
	origin_core_run(c, now);
	neigh_gc(c);
	fib_update_neighs(c);
	if (!c->ready && (tables_due(c, now) || lsdb_complete(c))) {
		c->ready = true;
		core_event(c, XM_EV_INFO, "tables ready");
		/*
		 * The shell syncs only once ready: a FIB action it took
		 * before is asked again (one still queued or owed serves).
		 */
		fib_changed(c);
		if (c->restarting) {
			c->restarting = false;
			lsdb_restart_done(c, now);
			lsdb_run(c, now);
		}
	}
	refusals_report(c, now);
	lsdb_tidy(c);
	t = xm_min(neigh_next_timer(c), lsdb_next_timer(c));
	t = xm_min(t, c->spf_due);
	t = xm_min(t, kx_core_next_timer(c));
	t = xm_min(t, origin_core_next_timer(c));
	if (refusals_pending(c))
		t = xm_min(t, c->warn_last + XM_WARN_MS);
	/* Past the hold, a database awaited comes as input (or not). */
	if (!c->ready)
		t = xm_min(t, now < hold_end(c) ? hold_end(c) :
					c->start + XM_HOLD_MAX_MS);
	/* Whatever could not be done now (a full queue) waits a little. */
	c->next_timer = t > now ? t : now + 1;
}

/* The clock never goes back, whatever the caller passes. */
static xm_time enter(struct xm_core *c, xm_time now)
{
	if (now < c->now)
		now = c->now;
	c->now = now;
	return now;
}

/* ---- core.h ---- */

struct xm_core *xm_core_new(const struct xm_core_config *cfg, xm_time now)
{
	struct xm_core *c;

	if (xm_core_config_check(cfg)) {
		errno = EINVAL;
		return NULL;
	}
	if (sodium_init() < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cfg = *cfg;
	/* The site key: locked against swapping (best effort), wiped at
	 * the end. */
	sodium_mlock(c->cfg.site_key, sizeof(c->cfg.site_key));
	xm_caps_sanitize(&c->cfg.caps);
	if (c->cfg.policy.n_excluded_zones > 8)
		c->cfg.policy.n_excluded_zones = 8;
	c->adv_policy = c->cfg.policy;
	c->start = now;
	c->hold_from = now;
	c->now = now;
	c->rng = cfg->node_id;
	c->msg_seq = (cfg->boot_id & UINT32_MAX) << 32;
	c->spf_due = XM_NEVER;
	c->spf_news = XM_NEVER;
	c->own_news = XM_NEVER;
	c->warn_last = XM_NEVER;
	origin_core_init(c, now);
	if (xm_replay_init(&c->replay, XM_REPLAY_MAX) ||
	    lsdb_init(c, now) || kx_core_init(c)) {
		xm_core_free(c);
		errno = ENOMEM;
		return NULL;
	}
	core_run(c, now, false);
	return c;
}

void xm_core_free(struct xm_core *c)
{
	if (!c)
		return;
	neigh_free_all(c);
	kx_core_free(c);
	origin_core_free(c);
	lsdb_free(c);
	spf_clear(c);
	xm_replay_free(&c->replay);
	xm_fib_free(&c->fib);
	free(c->q);
	sodium_munlock(c->cfg.site_key, sizeof(c->cfg.site_key)); /* wipes */
	free(c);
}

int xm_core_link_set(struct xm_core *c, xm_time now,
		     const struct xm_link_info *link)
{
	struct xm_link *l = core_link(c, link->ifindex);
	bool carrier;
	size_t i;

	now = enter(c, now);
	if (!link->ifindex)
		return -EINVAL;
	if (!l) {
		for (i = 0; i < XM_LINK_MAX && c->link[i].used; i++)
			;
		if (i == XM_LINK_MAX) {
			core_limit(c, limit_links);
			return -ENOSPC;
		}
		l = &c->link[i];
		*l = (struct xm_link){
			.used = true, .next_hello = XM_NEVER,
			.last_hello_tx = XM_NEVER,
		};
		/* Links flapping by delete and add hold the tables back
		 * no longer than XM_HOLD_MAX_MS in all (tables_due()). */
		if (!c->ready)
			c->hold_from = now;
	}
	carrier = l->info.carrier;
	l->info = *link;
	l->info.ifname[sizeof(l->info.ifname) - 1] = '\0';
	l->info.carrier = carrier;
	if (link->carrier != carrier)
		xm_core_link_carrier(c, now, link->ifindex, link->carrier);
	else
		core_run(c, now, false);
	return 0;
}

void xm_core_link_carrier(struct xm_core *c, xm_time now, uint32_t ifindex,
			  bool up)
{
	struct xm_link *l = core_link(c, ifindex);

	now = enter(c, now);
	if (l && l->info.carrier != up) {
		l->info.carrier = up;
		if (up) {
			neigh_hello_news(c, now, l);
		} else {
			l->next_hello = XM_NEVER;
			neigh_link_down(c, now, ifindex, "carrier lost");
		}
	}
	core_run(c, now, false);
}

void xm_core_link_del(struct xm_core *c, xm_time now, uint32_t ifindex)
{
	struct xm_link *l = core_link(c, ifindex);

	now = enter(c, now);
	if (l) {
		neigh_link_down(c, now, ifindex, "link removed");
		memset(l, 0, sizeof(*l));
	}
	core_run(c, now, false);
}

static void recv_msg(struct xm_core *c, xm_time now, struct xm_link *l,
		     const struct xm_addr *from, const struct xm_msg *m)
{
	struct xm_ack acks[XM_LSACK_MAX];
	struct xm_hello h;
	struct xm_core_neigh *n;
	int k;

	switch (m->hdr.type) {
	case XM_MSG_HELLO:
		if (xm_hello_decode(m, &h)) {
			c->st.rx_malformed++;
			return;
		}
		neigh_hello_rx(c, now, l, from, &m->hdr, &h);
		return;
	case XM_MSG_LSU:
	case XM_MSG_LSACK:
		break;
	case XM_MSG_KX:
		kx_core_recv(c, now, l, from, m);
		return;
	default:
		c->st.rx_malformed++;
		return;
	}
	/*
	 * From a neighbor whose hellos we hear; by address, else (a peer
	 * sending from another of its addresses) by node on this link.
	 */
	n = neigh_find(c, l->info.ifindex, m->hdr.sender, from);
	for (k = 0; (!n || !n->alive) && (size_t)k < c->n_neigh; k++)
		if (c->neigh[k]->ifindex == l->info.ifindex &&
		    c->neigh[k]->node == m->hdr.sender &&
		    neigh_floods(c->neigh[k]))
			n = c->neigh[k];
	if (n && (!n->alive || !n->auth))
		n = NULL;
	if (m->hdr.type == XM_MSG_LSU) {
		if (lsdb_lsu_rx(c, now, n, m))
			c->st.rx_malformed++;
		return;
	}
	k = xm_lsack_decode(m, acks);
	if (k < 0)
		c->st.rx_malformed++;
	else
		lsdb_ack_rx(c, n, acks, k);
}

void xm_core_recv(struct xm_core *c, xm_time now, uint32_t ifindex,
		  const struct xm_addr *from, const void *buf, size_t len)
{
	struct xm_link *l = core_link(c, ifindex);
	struct xm_msg m;

	now = enter(c, now);
	c->st.rx_msgs++;
	if (!from || !buf) {
		c->st.rx_malformed++;
		return;
	}
	if (!l) {
		c->st.rx_unknown_link++;
		return;
	}
	/* The tag first; the sequence next; only then the content. */
	switch (xm_msg_open(buf, len, c->cfg.site_key, &m)) {
	case XM_MSG_OK:
		break;
	case XM_MSG_BAD_VERSION:
		c->st.rx_bad_version++;
		return;
	case XM_MSG_BAD_AUTH:
		c->st.rx_bad_auth++;
		return;
	default:
		c->st.rx_malformed++;
		return;
	}
	if (m.hdr.sender == c->cfg.node_id) {
		c->st.rx_own++;
		return;
	}
	switch (xm_replay_check(&c->replay, m.hdr.sender, ifindex,
				m.hdr.seq, now)) {
	case XM_REPLAY_SEEN:
		c->st.rx_replayed++;
		return;
	case XM_REPLAY_EVICTED:
		core_limit(c, replay_evicted);
		break;
	default:
		break;
	}
	recv_msg(c, now, l, from, &m);
	core_run(c, now, false);
}

void xm_core_key_counter(struct xm_core *c, xm_time now, uint32_t neigh,
			 uint8_t key_id, uint64_t counter)
{
	now = enter(c, now);
	kx_core_key_counter(c, now, neigh, key_id, counter);
	core_run(c, now, false);
}

void xm_core_key_refused(struct xm_core *c, xm_time now, uint32_t neigh,
			 uint8_t key_id, uint8_t key_dir)
{
	now = enter(c, now);
	kx_core_key_refused(c, now, neigh, key_id, key_dir);
	core_run(c, now, false);
}

void xm_core_kx_recheck(struct xm_core *c, xm_time now)
{
	now = enter(c, now);
	kx_core_recheck(c, now, false);
	core_run(c, now, false);
}

void xm_core_kx_restart(struct xm_core *c, xm_time now)
{
	now = enter(c, now);
	kx_core_recheck(c, now, true);
	core_run(c, now, false);
}

void xm_core_probe_reply(struct xm_core *c, xm_time now, uint32_t neigh,
			 uint32_t seq, uint32_t rtt_us)
{
	now = enter(c, now);
	neigh_probe_reply(c, now, neigh, seq, rtt_us);
	core_run(c, now, false);
}

void xm_core_probe_unsent(struct xm_core *c, xm_time now, uint32_t neigh,
			  uint32_t seq)
{
	now = enter(c, now);
	neigh_probe_unsent(c, neigh, seq);
	core_run(c, now, false);
}

/* What names the node (as opposed to load and free space). */
static bool caps_identity_eq(const struct xm_caps *a, const struct xm_caps *b)
{
	unsigned int i;

	if (strcmp(a->name, b->name) || strcmp(a->zone, b->zone) ||
	    a->n_roles != b->n_roles || a->cpu_cores != b->cpu_cores ||
	    a->mem_total_mb != b->mem_total_mb ||
	    a->disk_total_gb != b->disk_total_gb)
		return false;
	for (i = 0; i < a->n_roles; i++)
		if (strcmp(a->roles[i], b->roles[i]))
			return false;
	return true;
}

void xm_core_set_caps(struct xm_core *c, xm_time now,
		      const struct xm_caps *caps)
{
	struct xm_caps x = *caps;
	bool identity;
	size_t i;

	now = enter(c, now);
	xm_caps_sanitize(&x);
	identity = !caps_identity_eq(&x, &c->cfg.caps);
	c->cfg.caps = x;
	lsdb_caps_changed(c, now, identity);
	for (i = 0; identity && i < XM_LINK_MAX; i++)
		if (c->link[i].used && c->link[i].info.carrier)
			neigh_hello_news(c, now, &c->link[i]);
	core_run(c, now, false);
}

void xm_core_set_policy(struct xm_core *c, xm_time now,
			const struct xm_policy *p)
{
	now = enter(c, now);
	bool advert = p->drained != c->cfg.policy.drained ||
		      p->n_overrides != c->cfg.policy.n_overrides ||
		      memcmp(p->overrides, c->cfg.policy.overrides,
			     sizeof(p->overrides));

	c->cfg.policy = *p;
	if (c->cfg.policy.n_excluded_zones > 8)
		c->cfg.policy.n_excluded_zones = 8;
	if (c->cfg.policy.n_overrides > XM_METRIC_OVERRIDE_MAX)
		c->cfg.policy.n_overrides = XM_METRIC_OVERRIDE_MAX;
	/* What this node advertises changed: at once, as adjacency news. */
	if (advert)
		lsdb_local_adjacency(c, now);
	core_spf_schedule(c, now, advert ? XM_SPF_ADJACENCY : XM_SPF_CHANGE);
	core_run(c, now, false);
}

int xm_core_set_timers(struct xm_core *c, xm_time now,
		       const struct xm_timers *t)
{
	struct xm_timers old = c->cfg.timers;
	size_t i;

	now = enter(c, now);
	if (xm_timers_check(t))
		return -EINVAL;
	c->cfg.timers = *t;
	for (i = 0; i < XM_LINK_MAX; i++) {
		struct xm_link *l = &c->link[i];

		if (!l->used || !l->info.carrier)
			continue;
		if (t->hello_ms != old.hello_ms || t->dead_ms != old.dead_ms)
			neigh_hello_trigger(c, now, l);
		else if (l->next_hello > now + t->hello_ms)
			l->next_hello = now + t->hello_ms;
	}
	neigh_timers_changed(c, now);
	/* The throttles start again from their new initial values. */
	c->spf_state = XM_SPF_QUIET;
	c->own_hold_ms = t->lsa_min_ms;
	if (c->spf_due != XM_NEVER && c->spf_due > now + t->spf_max_ms)
		c->spf_due = now + t->spf_max_ms;
	/* Ages and purges go by the new limits. */
	c->lsa_deadline = now;
	core_run(c, now, false);
	return 0;
}

int xm_core_set_prefixes(struct xm_core *c, xm_time now,
			 const struct xm_prefix4or6 *p, unsigned int n)
{
	return xm_core_set_prefixes_prio(c, now, p, NULL, n);
}

/* Is one of the old prefixes gone (bad news) from p[0..n)? */
static bool prefix_withdrawn(const struct xm_core_config *old,
			     const struct xm_prefix4or6 *p, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < old->n_prefixes; i++) {
		for (j = 0; j < n; j++)
			if (xm_prefix_eq(&old->prefixes[i].addr,
					 old->prefixes[i].len, &p[j].addr,
					 p[j].len))
				break;
		if (j == n)
			return true;
	}
	return false;
}

int xm_core_set_prefixes_prio(struct xm_core *c, xm_time now,
			      const struct xm_prefix4or6 *p,
			      const uint16_t *prio, unsigned int n)
{
	bool withdrawn;

	now = enter(c, now);
	if (xm_prefixes_check(p, n))
		return -EINVAL;
	withdrawn = prefix_withdrawn(&c->cfg, p, n);
	memset(c->cfg.prefixes, 0, sizeof(c->cfg.prefixes));
	memcpy(c->cfg.prefixes, p, n * sizeof(*p));
	memset(c->cfg.prefix_prio, 0, sizeof(c->cfg.prefix_prio));
	if (prio)
		memcpy(c->cfg.prefix_prio, prio, n * sizeof(*prio));
	c->cfg.n_prefixes = n;
	/* A withdrawn export must not draw traffic a moment longer than
	 * the bad-news rules allow: advertised as a lost adjacency is. */
	if (withdrawn)
		lsdb_local_adjacency(c, now);
	else
		lsdb_local_changed(c, now);
	/* Ours are never routed elsewhere: the tables change too. */
	core_spf_schedule(c, now, XM_SPF_CHANGE);
	core_run(c, now, false);
	return 0;
}

int xm_core_set_mgroups(struct xm_core *c, xm_time now,
			const struct xm_mgroup *g, unsigned int n)
{
	now = enter(c, now);
	if (xm_mgroups_check(g, n))
		return -EINVAL;
	memset(c->cfg.mgroups, 0, sizeof(c->cfg.mgroups));
	memcpy(c->cfg.mgroups, g, n * sizeof(*g));
	c->cfg.n_mgroups = n;
	lsdb_local_changed(c, now);
	/* Our own trees change at once, not when the advert comes back. */
	core_spf_schedule(c, now, XM_SPF_CHANGE);
	core_run(c, now, false);
	return 0;
}

void xm_core_adopt_neigh(struct xm_core *c, const struct xm_fib_neigh *n)
{
	neigh_adopt(c, n);
	if (c->n_adopted && !c->ready)
		c->restarting = true;
}

void xm_core_timer(struct xm_core *c, xm_time now)
{
	core_run(c, enter(c, now), true);
}

xm_time xm_core_next_timer(const struct xm_core *c)
{
	return c->next_timer;
}

bool xm_core_action(struct xm_core *c, struct xm_action *a)
{
	struct xm_action *x;

	if (!c->q_len) {
		if (!c->fib_owed)
			return false;
		memset(a, 0, offsetof(struct xm_action, msg));
		a->type = XM_ACT_FIB;
		a->neigh = 0;
		a->seq = 0;
		a->text[0] = '\0';
		c->fib_owed = false;
		c->fib_queued = false;
		return true;
	}
	x = &c->q[c->q_head];
	/* The message bytes only as far as they go. */
	memcpy(a, x, offsetof(struct xm_action, msg));
	memcpy(a->msg, x->msg, x->type == XM_ACT_SEND ? x->len : 0);
	a->neigh = x->neigh;
	a->seq = x->seq;
	memcpy(a->text, x->text, sizeof(a->text));
	if (x->type == XM_ACT_FIB)
		c->fib_queued = false;
	if (x->type == XM_ACT_EVENT)
		c->q_events--;
	c->q_head++;
	if (!--c->q_len)
		c->q_head = 0;
	return true;
}

const struct xm_fib *xm_core_fib(const struct xm_core *c)
{
	return &c->fib;
}

bool xm_core_fib_ready(const struct xm_core *c, xm_time now)
{
	return c->ready || tables_due(c, now);
}

const struct xm_core_stats *xm_core_stats(const struct xm_core *c)
{
	return &c->st;
}

uint32_t xm_core_node_id(const struct xm_core *c)
{
	return c->cfg.node_id;
}

/* The metric of the graph's edge u -> v. */
static uint32_t edge_metric(const struct xm_graph *g, uint32_t u, uint32_t v)
{
	uint32_t i, m = XM_COST_INF;

	for (i = 0; i < g->node[u].n_edges; i++) {
		const struct xm_gedge *e = &g->edge[g->node[u].first_edge + i];

		if (e->to == v && e->metric < m)
			m = e->metric;
	}
	return m;
}

const struct xm_graph *xm_core_graph(const struct xm_core *c)
{
	return c->spf_valid ? &c->graph : NULL;
}

const struct xm_policy *xm_core_policy(const struct xm_core *c)
{
	return &c->cfg.policy;
}

bool xm_core_path(const struct xm_core *c, uint32_t node, struct xm_path *out)
{
	uint32_t idx[XM_PATH_MAX + 1];
	long v = c->spf_valid ? xm_graph_find(&c->graph, node) : -1;
	int n, i;

	memset(out, 0, sizeof(*out));
	if (v < 0)
		return false;
	n = xm_spf_path(&c->spf, (uint32_t)v, idx, XM_PATH_MAX + 1);
	if (n < 0)
		return false;
	out->n_hops = (unsigned int)n;
	for (i = 0; i <= n; i++) {
		out->node[i] = c->graph.node[idx[i]].id;
		out->cost[i] = !i ? 0 : out->cost[i - 1] +
			       edge_metric(&c->graph, idx[i - 1], idx[i]);
	}
	return true;
}
