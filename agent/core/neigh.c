// SPDX-License-Identifier: GPL-2.0
/*
 * Neighbors: discovery by hello, the two-way check, health by probes
 * through the kernel, and the state machine (Documentation/protocol.md):
 *
 *   INIT --its hello lists us--> TWOWAY --3 probe replies--> UP
 *   UP --probe loss, dead, one-way, carrier--> HOLDDOWN --hold over--> ...
 *
 * A neighbor is one (link, node, remote address). Its kernel id is bound
 * to that triple in the ident table, which outlives the neighbor entry so
 * that a returning neighbor keeps its id and its flap history (holddown).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core_priv.h"
#include "util.h"

const char *neigh_state_name(enum xm_neigh_state s)
{
	static const char *const name[] = {
		[XM_NEIGH_INIT] = "init",
		[XM_NEIGH_TWOWAY] = "twoway",
		[XM_NEIGH_UP] = "up",
		[XM_NEIGH_HOLDDOWN] = "holddown",
	};

	return (unsigned int)s < sizeof(name) / sizeof(name[0]) ? name[s] : "?";
}

static const char *ifname(struct xm_core *c, uint32_t ifindex)
{
	struct xm_link *l = core_link(c, ifindex);

	return l && l->info.ifname[0] ? l->info.ifname : "?";
}

/* ---- kernel neighbor ids ---- */

/* The lowest id no ident holds. */
static uint32_t ident_free_id(const struct xm_core *c)
{
	uint32_t ids[XM_IDENT_MAX], id = 1;
	size_t n = 0, i;

	for (i = 0; i < XM_IDENT_MAX; i++)
		if (c->ident[i].used)
			ids[n++] = c->ident[i].id;
	qsort(ids, n, sizeof(ids[0]), xm_cmp_u32);
	for (i = 0; i < n && ids[i] <= id; i++)
		if (ids[i] == id)
			id++;
	return id;
}

static long ident_find(const struct xm_core *c, uint32_t node,
		       uint32_t ifindex, const struct xm_addr *remote)
{
	long i;

	for (i = 0; i < XM_IDENT_MAX; i++) {
		const struct xm_ident *d = &c->ident[i];

		if (d->used && d->node == node && d->ifindex == ifindex &&
		    xm_addr_eq(&d->remote, remote))
			return i;
	}
	return -1;
}

/* A free slot, else the least recently used one no neighbor holds. */
static long ident_slot(const struct xm_core *c)
{
	long i, best = -1;

	for (i = 0; i < XM_IDENT_MAX; i++) {
		const struct xm_ident *d = &c->ident[i];

		if (!d->used)
			return i;
		if (!d->in_use &&
		    (best < 0 || d->last_used < c->ident[best].last_used))
			best = i;
	}
	return best;
}

/* An adopted ident is ours now: up, or no longer awaited. */
static void ident_unadopt(struct xm_core *c, struct xm_ident *d)
{
	if (d->adopted)
		c->n_adopted--;
	d->adopted = false;
}

static long ident_get(struct xm_core *c, xm_time now, uint32_t node,
		      uint32_t ifindex, const struct xm_addr *remote)
{
	long i = ident_find(c, node, ifindex, remote);
	struct xm_ident *d;

	if (i >= 0)
		return c->ident[i].in_use ? -1 : i;
	i = ident_slot(c);
	if (i < 0)
		return -1;
	d = &c->ident[i];
	ident_unadopt(c, d);
	*d = (struct xm_ident){
		.used = true, .node = node, .ifindex = ifindex,
		.remote = *remote, .last_used = now,
	};
	d->id = ident_free_id(c);
	return i;
}

void neigh_adopt(struct xm_core *c, const struct xm_fib_neigh *n)
{
	long i;

	if (!n->id || !n->node)
		return;
	for (i = 0; i < XM_IDENT_MAX; i++)
		if (c->ident[i].used && c->ident[i].id == n->id)
			return;		/* ours already; keep it */
	if (ident_find(c, n->node, n->ifindex, &n->remote) >= 0)
		return;
	i = ident_slot(c);
	if (i < 0)
		return;
	ident_unadopt(c, &c->ident[i]);
	c->n_adopted++;
	c->ident[i] = (struct xm_ident){
		.used = true, .adopted = true, .id = n->id, .node = n->node,
		.ifindex = n->ifindex, .remote = n->remote,
		.last_used = c->now,
	};
}

bool neigh_adopted_pending(const struct xm_core *c)
{
	return c->n_adopted > 0;
}

/*
 * n's key exchange refused it (a revoked or expired certificate, a false
 * claim): it comes up no sooner than a retry much later. A restart's
 * hold stops waiting for it if the kernel had it: held, the tables
 * would wait the whole minute for a neighbor that cannot come.
 */
void neigh_refused(struct xm_core *c, struct xm_core_neigh *n)
{
	ident_unadopt(c, &c->ident[n->ident]);
}

/* ---- the table ---- */

static size_t neigh_pos(const struct xm_core *c, uint32_t id)
{
	size_t lo = 0, hi = c->n_neigh;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->neigh[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct xm_core_neigh *neigh_by_id(const struct xm_core *c, uint32_t id)
{
	size_t i = neigh_pos(c, id);

	return i < c->n_neigh && c->neigh[i]->id == id ? c->neigh[i] : NULL;
}

struct xm_core_neigh *neigh_find(const struct xm_core *c, uint32_t ifindex,
			    uint32_t node, const struct xm_addr *remote)
{
	size_t i;

	for (i = 0; i < c->n_neigh; i++) {
		struct xm_core_neigh *n = c->neigh[i];

		if (n->ifindex == ifindex && n->node == node &&
		    xm_addr_eq(&n->remote, remote))
			return n;
	}
	return NULL;
}

bool neigh_floods(const struct xm_core_neigh *n)
{
	return n->alive && n->twoway && n->auth;
}

static bool probing(const struct xm_core_neigh *n)
{
	return n->alive && n->twoway && n->in_fib;
}

static size_t link_count(const struct xm_core *c, uint32_t ifindex)
{
	size_t i, k = 0;

	for (i = 0; i < c->n_neigh; i++)
		k += c->neigh[i]->ifindex == ifindex;
	return k;
}

static struct xm_core_neigh *neigh_new(struct xm_core *c, xm_time now,
				  struct xm_link *l, uint32_t node,
				  const struct xm_addr *remote)
{
	struct xm_core_neigh *n, **tab;
	long d;
	size_t i;

	if (c->n_neigh >= XM_NEIGH_MAX ||
	    link_count(c, l->info.ifindex) >= XM_HELLO_HEARD_MAX)
		goto full;
	d = ident_get(c, now, node, l->info.ifindex, remote);
	if (d < 0)
		goto full;
	n = calloc(1, sizeof(*n));
	tab = realloc(c->neigh, (c->n_neigh + 1) * sizeof(*tab));
	if (!n || !tab) {
		free(n);
		if (tab)
			c->neigh = tab;
		core_limit(c, nomem);
		return NULL;
	}
	c->neigh = tab;
	c->ident[d].in_use = true;
	c->ident[d].last_used = now;
	n->ident = (uint32_t)d;
	n->id = c->ident[d].id;
	n->node = node;
	n->ifindex = l->info.ifindex;
	n->remote = *remote;
	n->auth = !c->cfg.kx;	/* with certificates: once they verify */
	n->state = now < c->ident[d].hold_until ? XM_NEIGH_HOLDDOWN :
						   XM_NEIGH_INIT;
	n->up_since = XM_NEVER;
	n->next_probe = XM_NEVER;
	n->last_probe_reply = XM_NEVER;
	i = neigh_pos(c, n->id);
	memmove(&c->neigh[i + 1], &c->neigh[i],
		(c->n_neigh - i) * sizeof(*c->neigh));
	c->neigh[i] = n;
	c->n_neigh++;
	return n;
full:
	core_limit(c, limit_neighbors);
	return NULL;
}

static void neigh_free(struct xm_core *c, size_t i)
{
	struct xm_core_neigh *n = c->neigh[i];

	lsdb_neigh_stop(c, n);
	kx_core_neigh_free(c, n);
	c->ident[n->ident].in_use = false;
	c->ident[n->ident].last_used = c->now;
	free(n->rexmit);
	free(n->acks);
	free(n);
	memmove(&c->neigh[i], &c->neigh[i + 1],
		(c->n_neigh - i - 1) * sizeof(*c->neigh));
	c->n_neigh--;
}

void neigh_free_all(struct xm_core *c)
{
	while (c->n_neigh)
		neigh_free(c, c->n_neigh - 1);
	free(c->neigh);
	c->neigh = NULL;
}

/* A route still points at it: removing it would strand the route. */
static bool referenced(const struct xm_core *c, uint32_t id)
{
	size_t i, j;

	for (i = 0; i < c->fib.n_routes; i++)
		for (j = 0; j < c->fib.routes[i].n_nexthops; j++)
			if (c->fib.routes[i].nexthop[j].neigh == id)
				return true;
	return false;
}

void neigh_gc(struct xm_core *c)
{
	size_t i = c->n_neigh;

	while (i--)
		if (!c->neigh[i]->alive && !referenced(c, c->neigh[i]->id))
			neigh_free(c, i);
}

/* ---- state changes ---- */

void neigh_hello_trigger(struct xm_core *c, xm_time now, struct xm_link *l)
{
	xm_time gap = c->cfg.timers.hello_ms / 10, at = now;

	if (!l->info.carrier)
		return;
	if (l->last_hello_tx != XM_NEVER && l->last_hello_tx + gap > now)
		at = l->last_hello_tx + gap;
	l->next_hello = xm_min(l->next_hello, at);
}

/* Something for the link to hear: the next hellos go full, the first soon. */
void neigh_hello_news(struct xm_core *c, xm_time now, struct xm_link *l)
{
	l->full_hellos = XM_HELLO_FULL;
	neigh_hello_trigger(c, now, l);
}

static void went_down(struct xm_core *c, struct xm_core_neigh *n, xm_time now,
		      const char *why)
{
	const struct xm_timers *t = &c->cfg.timers;
	struct xm_ident *d = &c->ident[n->ident];
	struct xm_action *a = core_action_new(c, XM_ACT_NEIGH_DOWN);

	/* First of all: the kernel switches to its backups at once. */
	if (a)
		a->neigh = n->id;
	c->st.neigh_down++;
	d->flaps++;
	n->down_by_loss = false;
	/* Damping: doubled per flap, back to the start once it was stable
	 * (and so an undone flap leaves none before it: loss_undone()). */
	if (!d->hold_ms || now - n->up_since >= t->holddown_max_ms) {
		d->hold_ms_before = 0;
		d->hold_ms = t->holddown_ms;
	} else {
		d->hold_ms_before = d->hold_ms;
		d->hold_ms = d->hold_ms > t->holddown_max_ms / 2 ?
			     t->holddown_max_ms : d->hold_ms * 2;
	}
	d->hold_until = now + d->hold_ms;
	n->state = XM_NEIGH_HOLDDOWN;
	c->neigh_down_at = now;
	n->up_since = XM_NEVER;
	n->good_run = 0;
	n->unheard = false;
	core_event(c, XM_EV_INFO, "neigh %u node %u dev %s down: %s; holddown %u ms",
		   n->id, n->node, ifname(c, n->ifindex), why, d->hold_ms);
	lsdb_local_adjacency(c, now);
	core_spf_schedule(c, now, XM_SPF_ADJACENCY);
}

static void stop_probing(struct xm_core_neigh *n)
{
	n->next_probe = XM_NEVER;
	n->n_out = 0;
	n->good_run = 0;
	n->lost_run = 0;
	n->unheard = false;
}

static void set_twoway(struct xm_core *c, struct xm_core_neigh *n, xm_time now,
		       bool twoway, const char *why)
{
	if (twoway == n->twoway)
		return;
	n->twoway = twoway;
	if (twoway) {
		if (n->state == XM_NEIGH_INIT)
			n->state = XM_NEIGH_TWOWAY;
		n->in_fib = true;
		n->next_probe = now;
		/* The database goes over now, before the adjacency is up. */
		lsdb_neigh_start(c, n);
		return;
	}
	if (n->state == XM_NEIGH_UP)
		went_down(c, n, now, why);
	else if (n->state == XM_NEIGH_TWOWAY)
		n->state = XM_NEIGH_INIT;
	stop_probing(n);
	n->db_end_rx = false;
	lsdb_neigh_stop(c, n);
}

static void neigh_dead(struct xm_core *c, xm_time now, struct xm_core_neigh *n,
		       const char *why)
{
	struct xm_link *l = core_link(c, n->ifindex);

	if (!n->alive)
		return;
	n->alive = false;
	set_twoway(c, n, now, false, why);
	if (l)
		neigh_hello_trigger(c, now, l);
}

void neigh_link_down(struct xm_core *c, xm_time now, uint32_t ifindex,
		     const char *why)
{
	size_t i;

	for (i = 0; i < c->n_neigh; i++)
		if (c->neigh[i]->ifindex == ifindex)
			neigh_dead(c, now, c->neigh[i], why);
}

static uint32_t link_bandwidth(struct xm_core *c, uint32_t ifindex)
{
	struct xm_link *l = core_link(c, ifindex);

	return l && l->info.bandwidth_mbps ? l->info.bandwidth_mbps : 1000;
}

uint32_t neigh_loss_ppm(const struct xm_core_neigh *n)
{
	return n->loss_n ? (uint32_t)((uint64_t)n->loss_sum * 1000000 /
				      n->loss_n) : 0;
}

static uint32_t fresh_metric(struct xm_core *c, const struct xm_core_neigh *n)
{
	return xm_metric(n->srtt_us, neigh_loss_ppm(n),
			 link_bandwidth(c, n->ifindex));
}

/*
 * After a restart: the metric advertised before, if the fresh one is not
 * significantly different, so that the restart changes no path.
 */
void neigh_metric_keep(struct xm_core *c, struct xm_core_neigh *n)
{
	const struct xm_advert *a = c->prev_own;
	unsigned int i;

	for (i = 0; a && i < a->n_adj; i++)
		if (a->adj[i].node == n->node &&
		    !xm_metric_significant(a->adj[i].metric, n->metric))
			n->metric = a->adj[i].metric;
	n->metric_new = n->metric;
}

void neigh_metrics_commit(struct xm_core *c)
{
	size_t i;

	c->adv_policy = c->cfg.policy;
	for (i = 0; i < c->n_neigh; i++) {
		struct xm_core_neigh *n = c->neigh[i];

		if (n->state == XM_NEIGH_UP && n->metric_new)
			n->metric = n->metric_new;
	}
}

static void try_up(struct xm_core *c, struct xm_core_neigh *n, xm_time now)
{
	struct xm_ident *d = &c->ident[n->ident];

	if ((n->state != XM_NEIGH_TWOWAY && n->state != XM_NEIGH_HOLDDOWN) ||
	    !probing(n) || !n->auth || n->good_run < XM_UP_REPLIES ||
	    now < d->hold_until)
		return;
	n->state = XM_NEIGH_UP;
	n->up_since = now;
	n->metric = fresh_metric(c, n);
	neigh_metric_keep(c, n);
	ident_unadopt(c, d);
	c->st.neigh_up++;
	core_event(c, XM_EV_INFO, "neigh %u node %u dev %s up: rtt %u us, metric %u",
		   n->id, n->node, ifname(c, n->ifindex), n->srtt_us,
		   n->metric);
	lsdb_local_adjacency(c, now);
	core_spf_schedule(c, now, XM_SPF_ADJACENCY);
}

void neigh_auth_changed(struct xm_core *c, xm_time now,
			struct xm_core_neigh *n)
{
	if (n->auth) {
		/* The databases go over now; UP once probes answer. */
		if (n->alive && n->twoway)
			lsdb_neigh_start(c, n);
		try_up(c, n, now);
		return;
	}
	if (n->state == XM_NEIGH_UP)
		went_down(c, n, now, "its certificate no longer verifies");
	n->db_end_rx = false;
	lsdb_neigh_stop(c, n);
}

/*
 * Re-advertise the cost only when it moved enough (hysteresis). SPF sees
 * it when the advert goes out (neigh_metrics_commit()), as the rest of
 * the mesh does; a link turning dead-ish or alive again goes out at once,
 * as an adjacency lost or gained would.
 */
static void metric_update(struct xm_core *c, struct xm_core_neigh *n,
			  xm_time now)
{
	uint32_t m;

	if (n->state != XM_NEIGH_UP)
		return;
	m = fresh_metric(c, n);
	if (!xm_metric_significant(n->metric, m)) {
		n->metric_new = n->metric;	/* back: nothing to say */
		return;
	}
	n->metric_new = m;
	if ((m >= XM_METRIC_MAX) != (n->metric >= XM_METRIC_MAX))
		lsdb_local_adjacency(c, now);
	else
		lsdb_local_changed(c, now);
}

void neigh_hello_rx(struct xm_core *c, xm_time now, struct xm_link *l,
		    const struct xm_addr *from, const struct xm_msg_hdr *hdr,
		    const struct xm_hello *h)
{
	uint64_t boot = hdr->seq >> 32;
	struct xm_core_neigh *n;
	bool twoway = false;
	unsigned int i;

	if (!l->info.carrier) {
		c->st.rx_no_neigh++;	/* the link is going down */
		return;
	}
	if (h->has_caps)	/* not its certificate's: refused, counted */
		kx_core_claims_ok(c, hdr->sender, &h->caps, NULL, 0);
	n = neigh_find(c, l->info.ifindex, hdr->sender, from);
	if (!n) {
		n = neigh_new(c, now, l, hdr->sender, from);
		if (!n)
			return;
		n->boot = boot;
	}
	if (boot > n->boot && n->twoway) {
		/*
		 * Its agent restarted (and still hears us: it kept its kernel
		 * neighbors): the adjacency stays, the database goes again.
		 */
		core_event(c, XM_EV_INFO, "neigh %u node %u restarted: database sent again",
			   n->id, n->node);
		/* Our hello first, so that it knows us when the LSUs come. */
		l->next_hello = now;
		lsdb_neigh_start(c, n);
	}
	if (boot > n->boot)
		n->boot = boot;
	if (!n->alive) {
		n->alive = true;
		/* Our heard list changed, and n does not know us yet. */
		neigh_hello_news(c, now, l);
	}
	n->last_hello = now;
	n->hello_grace = false;
	n->local = l->info.local;
	n->port = h->data_port;
	n->peer_dead_ms = h->dead_ms < XM_DEAD_MIN_MS ? XM_DEAD_MIN_MS :
			  h->dead_ms > XM_DEAD_MAX_MS ? XM_DEAD_MAX_MS :
			  h->dead_ms;
	if (h->has_pubkey)
		memcpy(n->pubkey, h->pubkey, XM_PUBKEY_LEN);
	for (i = 0; i < h->n_heard; i++)
		twoway |= h->heard[i] == c->cfg.node_id;
	set_twoway(c, n, now, twoway, "one-way (it no longer hears us)");
	try_up(c, n, now);
}

/* ---- probes ---- */

static void loss_record(struct xm_core_neigh *n, bool lost)
{
	if (!n->replied)
		return;		/* the kernel may not know it yet */
	if (n->loss_n == XM_LOSS_WINDOW)
		n->loss_sum -= n->loss_ring[n->loss_pos];
	else
		n->loss_n++;
	n->loss_ring[n->loss_pos] = lost;
	n->loss_sum += lost;
	n->loss_pos = (n->loss_pos + 1) % XM_LOSS_WINDOW;
}

static void probe_drop_oldest(struct xm_core_neigh *n)
{
	memmove(&n->out[0], &n->out[1], (n->n_out - 1) * sizeof(n->out[0]));
	n->n_out--;
}

/*
 * Whether n's silence is n's own: another neighbor answered the probes
 * sent when n's run of losses began (its run of answers spans that
 * moment), or there is no other to hear. When every neighbor went silent
 * together, what stalled is more likely this node's own packet path (an
 * emulated guest whose packet processing stopped for tens of milliseconds
 * under load, at a qdisc change, was seen to take every adjacency of
 * every node down at once with probes every 10 ms) than all of its links
 * at one instant; and a node that lost them all has no other path to move
 * its traffic to anyway. So such a neighbor stays up while the silence is
 * shared, with a neighbor taken down since n's run of losses began or a
 * few probes before (its carrier lost: a link change stalls a guest's
 * packet path too). The answers after it do not count against n's probes lost
 * in it (they were sent later); each loss while n is kept moves the
 * moment judged to that probe (probe_lost()), so n's own next answers
 * end the doubt, or its next losses once the others answer again; and a
 * neighbor kept a dead interval without an answer goes down whatever
 * the others do.
 */
static bool silence_is_own(const struct xm_core *c,
			   const struct xm_core_neigh *n)
{
	bool others = false;
	size_t i;

	for (i = 0; i < c->n_neigh; i++) {
		const struct xm_core_neigh *m = c->neigh[i];

		if (m == n || !m->replied || !probing(m))
			continue;
		if (m->good_run && m->good_since <= n->lost_since &&
		    m->answered_sent >= n->lost_since)
			return true;
		others = true;
	}
	/* One taken down since, or a few probes before (its carrier lost,
	 * say; it may be forgotten already) fell silent with n: a link
	 * change stalls a guest's packet path too. */
	return !others && (!c->neigh_down_at ||
			   c->neigh_down_at + (xm_time)c->cfg.timers.probe_ms *
			   c->cfg.timers.probe_miss < n->lost_first);
}

static void probe_lost(struct xm_core *c, struct xm_core_neigh *n, xm_time now)
{
	xm_time sent = n->out[0].sent;

	if (!n->lost_run) {
		n->lost_first = n->lost_since = sent;
		n->lost_seq = n->out[0].seq;
	}
	probe_drop_oldest(n);
	c->st.probes_lost++;
	loss_record(n, true);
	n->good_run = 0;
	n->lost_run++;
	if (n->state != XM_NEIGH_UP ||
	    n->lost_run < c->cfg.timers.probe_miss) {
		metric_update(c, n, now);
	} else if (silence_is_own(c, n)) {
		went_down(c, n, now, n->unheard ?
			  "probes lost (others answered again)" :
			  "probes lost");
		n->down_by_loss = true;
	} else if (n->unheard &&
		   now - n->last_probe_reply >= n->peer_dead_ms) {
		/* Kept a dead interval without an answer: whatever the
		 * others do (their data paths dead too, hellos passing). */
		went_down(c, n, now, "probes lost for a dead interval");
		n->down_by_loss = true;
	} else {
		/* Judged from now on by the answers to the probes sent
		 * since this one: once the others answer again, n's next
		 * losses are its own. */
		n->lost_since = sent;
		metric_update(c, n, now);
		if (!n->unheard) {
			n->unheard = true;
			c->st.probes_unheard++;
			core_event(c, XM_EV_INFO, "neigh %u node %u: %u probes lost, but no neighbor answered meanwhile: kept up (this node's receive path stalled?)",
				   n->id, n->node, n->lost_run);
		}
	}
}

/*
 * A probe is lost when unanswered after the probe interval (when the next
 * one goes), or after srtt + 4 rttvar (RFC 6298's RTO) if that is longer.
 */
static xm_time probe_timeout(const struct xm_core *c,
			     const struct xm_core_neigh *n)
{
	uint64_t rto_us = (uint64_t)n->srtt_us + 4ull * n->rttvar_us;
	uint64_t rto = (rto_us + 999) / 1000;

	return rto > c->cfg.timers.probe_ms ? rto : c->cfg.timers.probe_ms;
}

/*
 * A probe's deadline came while the agent was not run (its timer fired
 * more than XM_STALL_MS, or half a probe interval, late): the host, or
 * the whole machine, stalled, and the answer may not even have been made
 * yet, the neighbor's kernel stalled too. Lost only after one more
 * timeout from now; once, so that an agent always late still finds a
 * dead link. Without it, a stall of three probe intervals (30 ms with
 * the fast profile) took every adjacency down at once.
 */
static void probe_expired(struct xm_core *c, struct xm_core_neigh *n,
			  xm_time now)
{
	struct xm_probe *p = &n->out[0];
	xm_time late = now - p->deadline;
	xm_time grace = c->cfg.timers.probe_ms / 2;

	if (!p->stalled && late > xm_max(grace, XM_STALL_MS)) {
		unsigned int i;

		/* All of them: the answers queue in order. */
		for (i = 0; i < n->n_out; i++) {
			n->out[i].deadline = xm_max(n->out[i].deadline,
						    now + probe_timeout(c, n));
			n->out[i].stalled = true;
		}
		c->st.probes_stalled++;
		return;
	}
	probe_lost(c, n, now);
}

static void probe_send(struct xm_core *c, struct xm_core_neigh *n, xm_time now)
{
	struct xm_action *a;

	if (n->n_out == XM_PROBE_OUTSTANDING)
		probe_lost(c, n, now);
	a = core_action_new(c, XM_ACT_PROBE);
	if (!a)
		return;
	if (!++n->probe_seq)
		n->probe_seq = 1;
	a->neigh = n->id;
	a->seq = n->probe_seq;
	n->out[n->n_out++] = (struct xm_probe){
		.seq = n->probe_seq, .sent = now,
		.deadline = now + probe_timeout(c, n),
	};
	c->st.probes_tx++;
}

/* Take probe seq off n's outstanding ones: false if it is not there;
 * when it was sent in *sent (if not NULL). */
static bool probe_take(struct xm_core_neigh *n, uint32_t seq, xm_time *sent)
{
	unsigned int i;

	for (i = 0; i < n->n_out && n->out[i].seq != seq; i++)
		;
	if (i == n->n_out)
		return false;	/* late (already lost), or never sent */
	if (sent)
		*sent = n->out[i].sent;
	memmove(&n->out[i], &n->out[i + 1],
		(n->n_out - i - 1) * sizeof(n->out[0]));
	n->n_out--;
	return true;
}

void neigh_probe_unsent(struct xm_core *c, uint32_t id, uint32_t seq)
{
	struct xm_core_neigh *n = neigh_by_id(c, id);

	if (n && probe_take(n, seq, NULL))
		c->st.probes_unsent++;
}

/* RFC 6298 smoothing, alpha 1/8, beta 1/4. */
static void rtt_sample(struct xm_core_neigh *n, uint32_t rtt_us)
{
	uint32_t err;

	if (!n->replied) {
		n->srtt_us = rtt_us;
		n->rttvar_us = rtt_us / 2;
	} else {
		err = n->srtt_us > rtt_us ? n->srtt_us - rtt_us :
					    rtt_us - n->srtt_us;
		n->rttvar_us = n->rttvar_us - n->rttvar_us / 4 + err / 4;
		n->srtt_us = n->srtt_us - n->srtt_us / 8 + rtt_us / 8;
	}
}

/*
 * The neighbor held down for the losses of a run of probes, one of which
 * is answered now, late: the link was slow, not dead (an emulated link's
 * delay queue stalled under load, a congested underlay). Its holddown is
 * lifted and the flap not counted, so that it is back as soon as its
 * probes are answered in time again (XM_UP_REPLIES, the RTO grown with
 * the late RTT meanwhile), rather than held down for a second or more,
 * doubled, when a real failure may need it as the backup. Once per
 * holddown_max at most: a link that is late again and again is damped as
 * any flapping one.
 */
static void loss_undone(struct xm_core *c, struct xm_core_neigh *n,
			uint32_t seq, uint32_t rtt_us, xm_time now)
{
	const struct xm_timers *t = &c->cfg.timers;
	struct xm_ident *d = &c->ident[n->ident];

	if (n->state != XM_NEIGH_HOLDDOWN || !n->down_by_loss ||
	    seq - n->lost_seq >= XM_PROBE_LATE || now >= d->hold_until ||
	    (d->undone_at && now - d->undone_at < t->holddown_max_ms))
		return;
	n->down_by_loss = false;
	d->undone_at = now;
	d->hold_until = now;
	d->hold_ms = d->hold_ms_before;
	d->flaps--;
	c->st.neigh_down_undone++;
	core_event(c, XM_EV_INFO, "neigh %u node %u: a probe taken for lost answered after %u us: slow, not dead; holddown lifted",
		   n->id, n->node, rtt_us);
}

/*
 * The answer to a probe already declared lost: the loss stands, but the
 * RTT it measured is taken, or a link whose RTT grew past the probe
 * timeout would lose every probe from then on, answered or not.
 */
static void probe_late(struct xm_core *c, struct xm_core_neigh *n,
		       uint32_t seq, uint32_t rtt_us, xm_time now)
{
	/* Ours and recent (the kernel answers each probe once). */
	if (!seq || n->probe_seq - seq >= XM_PROBE_LATE)
		return;
	rtt_sample(n, rtt_us);
	c->st.probes_late++;
	loss_undone(c, n, seq, rtt_us, now);
}

void neigh_probe_reply(struct xm_core *c, xm_time now, uint32_t id,
		       uint32_t seq, uint32_t rtt_us)
{
	struct xm_core_neigh *n = neigh_by_id(c, id);
	xm_time sent;

	if (!n)
		return;
	if (!probe_take(n, seq, &sent)) {
		probe_late(c, n, seq, rtt_us, now);
		return;
	}
	rtt_sample(n, rtt_us);
	n->replied = true;

	loss_record(n, false);
	n->last_probe_reply = now;
	if (!n->good_run)
		n->good_since = sent;
	n->answered_sent = xm_max(n->answered_sent, sent);
	n->lost_run = 0;
	n->unheard = false;
	n->good_run++;
	if (n->state == XM_NEIGH_UP)
		metric_update(c, n, now);
	else
		try_up(c, n, now);
}

/* ---- timers ---- */

static void heard_add(struct xm_hello *h, uint32_t node)
{
	unsigned int k;

	for (k = 0; k < h->n_heard && h->heard[k] < node; k++)
		;
	if ((k < h->n_heard && h->heard[k] == node) ||
	    h->n_heard == XM_HELLO_HEARD_MAX)
		return;
	memmove(&h->heard[k + 1], &h->heard[k],
		(h->n_heard - k) * sizeof(h->heard[0]));
	h->heard[k] = node;
	h->n_heard++;
}

static void hello_send(struct xm_core *c, xm_time now, struct xm_link *l)
{
	const struct xm_timers *t = &c->cfg.timers;
	bool full = l->full_hellos ||
		    l->short_hellos + 1 >= XM_HELLO_FULL_EVERY;
	struct xm_hello h = {
		.hello_ms = t->hello_ms, .dead_ms = t->dead_ms,
		.data_port = c->cfg.data_port,
		.has_caps = full, .caps = c->cfg.caps,
		.has_pubkey = full,
	};
	struct xm_msg_writer w;
	struct xm_action *a;
	size_t i;

	memcpy(h.pubkey, c->cfg.pubkey, XM_PUBKEY_LEN);
	if (full) {
		l->full_hellos -= !!l->full_hellos;
		l->short_hellos = 0;
	} else {
		l->short_hellos++;
	}
	/*
	 * The nodes heard here, each once, in id order; while restarting,
	 * also those the kernel still has as neighbors here, so that they
	 * keep us two-way and nothing moves.
	 */
	for (i = 0; i < c->n_neigh; i++) {
		const struct xm_core_neigh *n = c->neigh[i];

		if (n->ifindex == l->info.ifindex && n->alive)
			heard_add(&h, n->node);
	}
	for (i = 0; c->restarting && i < XM_IDENT_MAX; i++) {
		const struct xm_ident *d = &c->ident[i];

		if (d->used && d->adopted && d->ifindex == l->info.ifindex)
			heard_add(&h, d->node);
	}
	a = core_send_begin(c, &w, XM_MSG_HELLO, l->info.ifindex, NULL);
	if (a) {
		xm_hello_put(&w, &h);
		core_send_finish(c, a, &w);
	}
	l->last_hello_tx = now;
	l->next_hello = now + t->hello_ms - core_rand(c, t->hello_ms / 4 + 1);
}

/*
 * When n is dead for want of hellos. While its kernel answers our probes
 * (n is UP and its last probe was answered after its last hello), its
 * data plane forwards: its agent is restarting, or stuck, and the kernel
 * goes on with the tables it has. Taking n down would move traffic off a
 * working path and back again (an agent starting in an emulated guest
 * under load was seen to take longer than the dead interval), so it gets
 * XM_RESTART_GRACE dead intervals. A dead kernel is found by the probes.
 */
static xm_time neigh_dead_at(const struct xm_core_neigh *n)
{
	bool forwards = n->state == XM_NEIGH_UP && !n->lost_run &&
			n->last_probe_reply > n->last_hello;

	return n->last_hello +
	       (xm_time)n->peer_dead_ms * (forwards ? XM_RESTART_GRACE : 1);
}

static void neigh_expire_hello(struct xm_core *c, xm_time now,
			       struct xm_core_neigh *n)
{
	if (!n->alive || now < n->last_hello + n->peer_dead_ms)
		return;
	if (now >= neigh_dead_at(n)) {
		neigh_dead(c, now, n, "no hello");
		return;
	}
	if (!n->hello_grace) {
		n->hello_grace = true;
		core_event(c, XM_EV_INFO, "neigh %u node %u: no hello for %u ms, but its kernel answers probes: kept up to %u ms more (its agent restarting?)",
			   n->id, n->node, n->peer_dead_ms,
			   (XM_RESTART_GRACE - 1) * n->peer_dead_ms);
	}
}

void neigh_run(struct xm_core *c, xm_time now, bool expire)
{
	size_t i;

	for (i = 0; i < XM_LINK_MAX; i++) {
		struct xm_link *l = &c->link[i];

		if (l->used && l->info.carrier && l->next_hello <= now)
			hello_send(c, now, l);
	}
	for (i = 0; i < c->n_neigh; i++) {
		struct xm_core_neigh *n = c->neigh[i];

		if (expire)
			neigh_expire_hello(c, now, n);
		while (expire && n->n_out && n->out[0].deadline <= now)
			probe_expired(c, n, now);
		if (n->state == XM_NEIGH_HOLDDOWN &&
		    now >= c->ident[n->ident].hold_until)
			n->state = n->twoway ? XM_NEIGH_TWOWAY : XM_NEIGH_INIT;
		try_up(c, n, now);
		if (probing(n) && n->next_probe <= now) {
			probe_send(c, n, now);
			n->next_probe = now + c->cfg.timers.probe_ms;
		}
	}
}

/* New timers: probes at the new interval from now on. */
void neigh_timers_changed(struct xm_core *c, xm_time now)
{
	size_t i;

	for (i = 0; i < c->n_neigh; i++) {
		struct xm_core_neigh *n = c->neigh[i];

		if (probing(n))
			n->next_probe = xm_min(n->next_probe,
					       now + c->cfg.timers.probe_ms);
	}
}

xm_time neigh_next_timer(const struct xm_core *c)
{
	xm_time t = XM_NEVER;
	size_t i;

	for (i = 0; i < XM_LINK_MAX; i++)
		if (c->link[i].used && c->link[i].info.carrier)
			t = xm_min(t, c->link[i].next_hello);
	for (i = 0; i < c->n_neigh; i++) {
		const struct xm_core_neigh *n = c->neigh[i];

		if (n->alive)
			t = xm_min(t, neigh_dead_at(n));
		if (n->n_out)
			t = xm_min(t, n->out[0].deadline);
		if (n->state == XM_NEIGH_HOLDDOWN)
			t = xm_min(t, c->ident[n->ident].hold_until);
		if (probing(n))
			t = xm_min(t, n->next_probe);
	}
	return t;
}

/* ---- readers ---- */

bool xm_core_neigh(const struct xm_core *c, size_t i,
		   struct xm_neigh_status *out)
{
	const struct xm_core_neigh *n;

	if (i >= c->n_neigh)
		return false;
	n = c->neigh[i];
	*out = (struct xm_neigh_status){
		.id = n->id, .node = n->node, .ifindex = n->ifindex,
		.local = n->local, .remote = n->remote, .port = n->port,
		.state = n->state, .srtt_us = n->srtt_us,
		.rttvar_us = n->rttvar_us, .loss_ppm = neigh_loss_ppm(n),
		.metric = n->metric, .last_hello = n->last_hello,
		.last_probe_reply = n->last_probe_reply,
		.flaps = c->ident[n->ident].flaps,
		.authenticated = n->auth,
	};
	return true;
}
