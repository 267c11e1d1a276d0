// SPDX-License-Identifier: GPL-2.0
/*
 * The link-state database and its reliable flooding
 * (Documentation/protocol.md): one advert per originator, the newer by
 * sequence number; every new one is sent to every two-way neighbor but
 * the one(s) it came from and resent every rexmit_ms until acknowledged;
 * a new adjacency gets the whole database at two-way. This node's own
 * advert is originated when its content changes (at most once per
 * lsa_min_ms), refreshed every lsa_refresh_s; adverts age out at
 * lsa_max_age_s, or are purged once their originator has been
 * disconnected for purge_after_s.
 */
#include <errno.h>
#include <stdlib.h>

#include "core_priv.h"
#include "util.h"

/* ---- lookups ---- */

static size_t lsa_pos(const struct xm_core *c, uint32_t node)
{
	size_t lo = 0, hi = c->n_lsa;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->lsa[mid]->adv->originator < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct xm_lsa *lsdb_find(const struct xm_core *c, uint32_t node)
{
	size_t i = lsa_pos(c, node);

	return i < c->n_lsa && c->lsa[i]->adv->originator == node ?
	       c->lsa[i] : NULL;
}

bool lsdb_lists(const struct xm_lsa *l, uint32_t node)
{
	const struct xm_advert *a = l->adv;
	size_t i = xm_lower_bound_u32(a->adj, a->n_adj, sizeof(a->adj[0]),
				      offsetof(struct xm_adj, node), node);

	return i < a->n_adj && a->adj[i].node == node;
}

static uint16_t max_age(const struct xm_core *c)
{
	uint32_t m = c->cfg.timers.lsa_max_age_s;

	return m > UINT16_MAX ? UINT16_MAX : (uint16_t)m;
}

uint16_t lsdb_age(const struct xm_core *c, const struct xm_lsa *l,
		  xm_time now)
{
	uint64_t age = l->rx_age + (now - l->rx_time) / 1000;

	return age > max_age(c) ? max_age(c) : (uint16_t)age;
}

/* ---- per-neighbor lists ---- */

static size_t rexmit_pos(const struct xm_core_neigh *n, uint32_t originator)
{
	return xm_lower_bound_u32(n->rexmit, n->n_rexmit, sizeof(*n->rexmit),
				  offsetof(struct xm_rexmit, originator),
				  originator);
}

static void rexmit_put(struct xm_core *c, struct xm_core_neigh *n,
		       uint32_t originator, uint32_t seq)
{
	size_t i = rexmit_pos(n, originator);

	if (i == n->n_rexmit || n->rexmit[i].originator != originator) {
		if (xm_grow((void **)&n->rexmit, &n->cap_rexmit,
			    n->n_rexmit + 1, sizeof(*n->rexmit))) {
			core_limit(c, nomem);
			return;
		}
		memmove(&n->rexmit[i + 1], &n->rexmit[i],
			(n->n_rexmit - i) * sizeof(*n->rexmit));
		n->n_rexmit++;
	}
	n->rexmit[i] = (struct xm_rexmit){
		.originator = originator, .seq = seq, .sent = XM_NEVER,
	};
	n->rexmit_due = 0;	/* at once */
}

static void rexmit_remove_at(struct xm_core_neigh *n, size_t i)
{
	memmove(&n->rexmit[i], &n->rexmit[i + 1],
		(n->n_rexmit - i - 1) * sizeof(*n->rexmit));
	if (!--n->n_rexmit)
		n->dbx = false;
}

/* n has (originator, seq) or newer: stop sending it what is older. */
static bool rexmit_done(struct xm_core_neigh *n, uint32_t originator,
			uint32_t seq)
{
	size_t i = rexmit_pos(n, originator);

	if (i == n->n_rexmit || n->rexmit[i].originator != originator ||
	    n->rexmit[i].seq > seq)
		return false;
	rexmit_remove_at(n, i);
	return true;
}

/*
 * Acknowledgements wait up to XM_ACK_DELAY_MS, so that a burst of LSUs is
 * answered by one LSACK (well within rexmit_ms); a full one goes at once.
 */
static void ack_put(struct xm_core *c, xm_time now, struct xm_core_neigh *n,
		    uint32_t originator, uint32_t seq)
{
	if (!n->n_acks)
		n->ack_due = now + XM_ACK_DELAY_MS;
	if (n->n_acks + 1 >= XM_LSACK_MAX)
		n->ack_due = now;
	if (xm_grow((void **)&n->acks, &n->cap_acks, n->n_acks + 1,
		    sizeof(*n->acks))) {
		core_limit(c, nomem);
		return;
	}
	n->acks[n->n_acks++] = (struct xm_ack){ originator, seq };
}

void lsdb_neigh_start(struct xm_core *c, struct xm_core_neigh *n)
{
	size_t i;

	for (i = 0; i < c->n_lsa; i++)
		rexmit_put(c, n, c->lsa[i]->adv->originator,
			   c->lsa[i]->adv->seq);
	n->dbx = n->n_rexmit > 0;
}

void lsdb_neigh_stop(struct xm_core *c, struct xm_core_neigh *n)
{
	(void)c;
	n->n_rexmit = 0;
	n->n_acks = 0;
	n->dbx = false;
}

/* To every two-way neighbor except those of node `except` (they have it). */
static void flood(struct xm_core *c, const struct xm_advert *a,
		  uint32_t except)
{
	size_t i;

	for (i = 0; i < c->n_neigh; i++) {
		struct xm_core_neigh *n = c->neigh[i];

		if (!neigh_floods(n))
			continue;
		if (n->node == except)
			rexmit_done(n, a->originator, a->seq);
		else
			rexmit_put(c, n, a->originator, a->seq);
	}
}

/* ---- the database ---- */

/* When l ages out or is purged; XM_NEVER for our own. */
static xm_time lsa_deadline(const struct xm_core *c, const struct xm_lsa *l)
{
	xm_time t = XM_NEVER;

	if (l->adv->originator == c->cfg.node_id)
		return t;
	t = l->rx_time;
	if (l->rx_age < max_age(c))
		t += (xm_time)(max_age(c) - l->rx_age) * 1000;
	if (l->unreach_since != XM_NEVER)
		t = xm_min(t, l->unreach_since +
			   (xm_time)c->cfg.timers.purge_after_s * 1000);
	return t;
}

/* The earliest of them all (an early guess only costs a look). */
static void deadlines_update(struct xm_core *c)
{
	xm_time next = XM_NEVER;
	size_t i;

	for (i = 0; i < c->n_lsa; i++)
		next = xm_min(next, lsa_deadline(c, c->lsa[i]));
	c->lsa_deadline = next;
}

static int cmp_adj(const void *x, const void *y)
{
	const struct xm_adj *a = x, *b = y;

	return a->node < b->node ? -1 : a->node > b->node;
}

static bool caps_eq(const struct xm_caps *a, const struct xm_caps *b)
{
	unsigned int i;

	if (strncmp(a->name, b->name, XM_NAME_MAX) ||
	    strncmp(a->zone, b->zone, XM_NAME_MAX) ||
	    a->n_roles != b->n_roles || a->cpu_cores != b->cpu_cores ||
	    a->cpu_load != b->cpu_load ||
	    a->mem_total_mb != b->mem_total_mb ||
	    a->mem_free_mb != b->mem_free_mb ||
	    a->disk_total_gb != b->disk_total_gb ||
	    a->disk_free_gb != b->disk_free_gb)
		return false;
	for (i = 0; i < a->n_roles && i < XM_ROLE_MAX; i++)
		if (strncmp(a->roles[i], b->roles[i], XM_NAME_MAX))
			return false;
	return true;
}

static bool prefixes_eq(const struct xm_advert *a, const struct xm_advert *b)
{
	unsigned int i;

	if (a->n_prefixes != b->n_prefixes)
		return false;
	for (i = 0; i < a->n_prefixes; i++)
		if (!xm_prefix_eq(&a->prefixes[i].addr, a->prefixes[i].len,
				  &b->prefixes[i].addr, b->prefixes[i].len) ||
		    a->prefix_prio[i] != b->prefix_prio[i])
			return false;
	return true;
}

static bool mgroups_eq(const struct xm_advert *a, const struct xm_advert *b)
{
	unsigned int i;

	if (a->n_mgroups != b->n_mgroups)
		return false;
	for (i = 0; i < a->n_mgroups; i++)
		if (a->mgroups[i].flags != b->mgroups[i].flags ||
		    !xm_addr_eq(&a->mgroups[i].group, &b->mgroups[i].group))
			return false;
	return true;
}

/* What SPF and the tables depend on: adjacencies, prefixes, groups, zone. */
static bool topology_eq(const struct xm_advert *a, const struct xm_advert *b)
{
	unsigned int i;

	if (a->n_adj != b->n_adj || !prefixes_eq(a, b) || !mgroups_eq(a, b) ||
	    strncmp(a->caps.zone, b->caps.zone, XM_NAME_MAX))
		return false;
	for (i = 0; i < a->n_adj; i++)
		if (a->adj[i].node != b->adj[i].node ||
		    a->adj[i].metric != b->adj[i].metric)
			return false;
	return true;
}

static bool adj_dead(const struct xm_adj *a)
{
	return a->metric >= XM_METRIC_MAX;
}

/* A prefix of old that new no longer lists (a withdrawn export). */
static bool prefix_gone(const struct xm_advert *old,
			const struct xm_advert *new)
{
	unsigned int i, k;

	for (i = 0; i < old->n_prefixes; i++) {
		for (k = 0; k < new->n_prefixes; k++)
			if (xm_prefix_eq(&old->prefixes[i].addr,
					 old->prefixes[i].len,
					 &new->prefixes[k].addr,
					 new->prefixes[k].len))
				break;
		if (k == new->n_prefixes)
			return true;
	}
	return false;
}

/*
 * A new instance's news: an adjacency gone or new, or its link dead-ish
 * (xm_metric()) or alive again, or a prefix withdrawn (traffic to it must
 * move at once). Both are sorted by neighbor node.
 */
static enum xm_spf_news topology_news(const struct xm_advert *old,
				      const struct xm_advert *new)
{
	unsigned int i, k;

	if (old->n_adj != new->n_adj || prefix_gone(old, new))
		return XM_SPF_ADJACENCY;
	for (i = 0, k = 0; i < old->n_adj; i++, k++)
		if (new->adj[k].node != old->adj[i].node ||
		    adj_dead(&new->adj[k]) != adj_dead(&old->adj[i]))
			return XM_SPF_ADJACENCY;
	return XM_SPF_CHANGE;
}

/* Same content, adjacencies in the same (sorted) order. */
static bool content_eq(const struct xm_advert *a, const struct xm_advert *b)
{
	unsigned int i;

	if (!topology_eq(a, b) || !caps_eq(&a->caps, &b->caps) ||
	    a->cert_len != b->cert_len ||
	    (a->cert_len && memcmp(a->cert, b->cert, a->cert_len)) ||
	    a->has_origin_gen != b->has_origin_gen ||
	    a->origin_gen != b->origin_gen ||
	    a->unknown_len != b->unknown_len || a->n_unknown != b->n_unknown ||
	    memcmp(a->unknown, b->unknown, a->unknown_len) ||
	    memcmp(a->unknown_at, b->unknown_at, a->n_unknown))
		return false;
	for (i = 0; i < a->n_adj; i++)
		if (a->adj[i].rtt_us != b->adj[i].rtt_us ||
		    a->adj[i].loss_ppm != b->adj[i].loss_ppm ||
		    a->adj[i].bandwidth_mbps != b->adj[i].bandwidth_mbps)
			return false;
	return true;
}

void lsdb_tidy(struct xm_core *c)
{
	size_t i, k = 0;

	if (!c->edges_dirty)
		return;
	c->edges_dirty = false;

	for (i = 0; i < c->n_lsa; i++) {
		c->lsa[i]->edge_base = k;
		k += c->lsa[i]->adv->n_adj;
	}
	c->n_edges = k;
}

static void lsa_remove(struct xm_core *c, xm_time now, size_t i,
		       const char *why);

/*
 * The database is full and a new originator comes: forget the one that
 * has been unreachable the longest (it would be purged purge_after_s
 * after it became so) rather than refuse the newcomer, which would be
 * learned only at its next change or refresh (the refused advert is
 * acknowledged all the same). One unreachable for less than spf_max_ms
 * may only be waiting for SPF: kept. False when none qualifies.
 */
static bool lsdb_evict(struct xm_core *c, xm_time now)
{
	xm_time min_ms = c->cfg.timers.spf_max_ms;
	size_t i, k = c->n_lsa;

	for (i = 0; i < c->n_lsa; i++) {
		const struct xm_lsa *l = c->lsa[i];

		if (l->adv->originator == c->cfg.node_id ||
		    l->unreach_since == XM_NEVER ||
		    now - l->unreach_since < min_ms)
			continue;
		if (k == c->n_lsa ||
		    l->unreach_since < c->lsa[k]->unreach_since)
			k = i;
	}
	if (k == c->n_lsa)
		return false;
	core_limit(c, lsdb_evicted);
	lsa_remove(c, now, k, "database full, unreachable the longest");
	return true;
}

/* Install a copy of a, newer than what we have: 0, or -ENOSPC/-ENOMEM. */
static int install(struct xm_core *c, xm_time now, const struct xm_advert *a)
{
	size_t i = lsa_pos(c, a->originator);
	struct xm_advert *copy;
	struct xm_lsa *l;
	enum xm_spf_news news = XM_SPF_CHANGE;
	bool changed = true;

	/* Allocated first: a failure must not have evicted anyone for nothing. */
	copy = xm_advert_dup(a);
	if (!copy) {
		core_limit(c, nomem);
		return -ENOMEM;
	}
	if ((i == c->n_lsa || c->lsa[i]->adv->originator != a->originator) &&
	    c->n_lsa >= XM_LSDB_MAX) {
		if (!lsdb_evict(c, now)) {
			free(copy);
			core_limit(c, limit_lsdb);
			return -ENOSPC;
		}
		i = lsa_pos(c, a->originator);
	}
	qsort(copy->adj, copy->n_adj, sizeof(copy->adj[0]), cmp_adj);
	if (i < c->n_lsa && c->lsa[i]->adv->originator == a->originator) {
		l = c->lsa[i];
		changed = !topology_eq(l->adv, copy);
		news = topology_news(l->adv, copy);
		free(l->adv);
	} else {
		l = calloc(1, sizeof(*l));
		if (!l || xm_grow_by_count((void **)&c->lsa, c->n_lsa,
					   sizeof(*c->lsa))) {
			free(l);
			free(copy);
			core_limit(c, nomem);
			return -ENOMEM;
		}
		memmove(&c->lsa[i + 1], &c->lsa[i],
			(c->n_lsa - i) * sizeof(*c->lsa));
		c->lsa[i] = l;
		c->n_lsa++;
		l->cost = XM_COST_INF;
		/* Unknown to SPF so far: purge if it stays unconnected. */
		l->unreach_since = now;
		/* Its adjacencies are new ones: a node joins. */
		if (copy->n_adj)
			news = XM_SPF_ADJACENCY;
	}
	l->adv = copy;
	l->rx_time = now;
	l->rx_age = a->age_s;
	c->edges_dirty = true;
	c->lsa_deadline = xm_min(c->lsa_deadline, lsa_deadline(c, l));
	if (changed)
		core_spf_schedule(c, now, news);
	return 0;
}

static void lsa_remove(struct xm_core *c, xm_time now, size_t i,
		       const char *why)
{
	struct xm_lsa *l = c->lsa[i];

	core_event(c, XM_EV_INFO, "node %u forgotten: %s", l->adv->originator,
		   why);
	c->st.lsa_purged++;
	free(l->adv);
	free(l);
	memmove(&c->lsa[i], &c->lsa[i + 1],
		(c->n_lsa - i - 1) * sizeof(*c->lsa));
	c->n_lsa--;
	c->edges_dirty = true;
	core_spf_schedule(c, now, XM_SPF_ADJACENCY);
}

/*
 * Compare a received instance with ours: > 0 newer, 0 the same, < 0 older.
 * At equal sequence numbers, ages only tell apart two instances when they
 * differ by more than XM_AGE_DIFF_S: transit and storage age copies of
 * one instance differently, and these must not chase each other.
 */
static int compare(const struct xm_core *c, const struct xm_advert *a,
		   const struct xm_lsa *l, xm_time now)
{
	uint16_t age = lsdb_age(c, l, now);

	if (a->seq != l->adv->seq)
		return a->seq > l->adv->seq ? 1 : -1;
	if (a->age_s + XM_AGE_DIFF_S < age)
		return 1;
	if (age + XM_AGE_DIFF_S < a->age_s)
		return -1;
	return 0;
}

/* While restarting, our old advert's metrics are kept where still right. */
static void keep_prev_own(struct xm_core *c, xm_time now,
			  const struct xm_advert *a)
{
	size_t i;

	if (c->prev_own && c->prev_own->seq >= a->seq)
		return;
	free(c->prev_own);
	c->prev_own = xm_advert_dup(a);
	if (!c->prev_own)
		return;
	for (i = 0; i < c->n_neigh; i++)
		if (c->neigh[i]->state == XM_NEIGH_UP)
			neigh_metric_keep(c, c->neigh[i]);
	core_spf_schedule(c, now, XM_SPF_CHANGE);
}

/*
 * A copy of our advert at its sequence number that lacks TLVs ours has,
 * or keeps only the first of its unknown ones: an agent on the way knows
 * fewer TLVs (older) or keeps fewer (bounded), and floods what it kept.
 * It is ours as far as that agent can tell: outnumbering it would only
 * bring it back stripped again, a flood storm.
 */
static bool own_stripped(const struct xm_advert *a,
			 const struct xm_advert *own)
{
	struct xm_advert *x;
	unsigned int i;
	bool same;

	if ((a->n_mgroups && !mgroups_eq(a, own)) ||
	    a->unknown_len > own->unknown_len ||
	    memcmp(a->unknown, own->unknown, a->unknown_len))
		return false;
	for (i = 0; i < a->n_prefixes; i++)
		if (a->prefix_prio[i] && a->prefix_prio[i] != own->prefix_prio[i])
			return false;
	x = malloc(xm_advert_size(a->n_adj));
	if (!x)
		return false;
	memcpy(x, a, xm_advert_size(a->n_adj));
	x->n_mgroups = own->n_mgroups;
	memcpy(x->mgroups, own->mgroups, sizeof(x->mgroups));
	memcpy(x->prefix_prio, own->prefix_prio, sizeof(x->prefix_prio));
	x->unknown_len = own->unknown_len;
	x->n_unknown = own->n_unknown;
	memcpy(x->unknown, own->unknown, sizeof(x->unknown));
	memcpy(x->unknown_at, own->unknown_at, sizeof(x->unknown_at));
	x->cert_len = own->cert_len;
	x->cert = own->cert;
	same = content_eq(x, own);
	free(x);
	return same;
}

/* A copy of our own advert came back. */
static void own_rx(struct xm_core *c, xm_time now, struct xm_core_neigh *n,
		   const struct xm_advert *a)
{
	struct xm_lsa *own = lsdb_find(c, c->cfg.node_id);

	if (!own)
		return;
	/* While restarting, any other instance is the mesh's from before. */
	if (c->restarting && a->seq != own->adv->seq)
		keep_prev_own(c, now, a);
	if (a->seq > own->adv->seq ||
	    (a->seq == own->adv->seq && !content_eq(a, own->adv) &&
	     !own_stripped(a, own->adv))) {
		/* An instance from before a restart: outnumber it. */
		if (a->seq > c->own_seq)
			c->own_seq = a->seq;
		c->own_force = true;
		c->own_due = now;
		return;
	}
	if (a->seq < own->adv->seq)
		rexmit_put(c, n, own->adv->originator, own->adv->seq);
	else if (rexmit_done(n, a->originator, a->seq))
		c->st.lsa_acked++;
}

static void advert_rx(struct xm_core *c, xm_time now, struct xm_core_neigh *n,
		      uint32_t sender, struct xm_advert *a)
{
	struct xm_lsa *l;
	int cmp;

	c->st.lsa_rx++;
	/* Acknowledged whatever we make of it: resending would not help. */
	ack_put(c, now, n, a->originator, a->seq);
	/*
	 * With certificates, an advert is checked (kx_core_advert_ok())
	 * before anything is made of it but the acknowledgement: one that
	 * claims to be ours as much as another node's (a forged one with a
	 * higher sequence number would have us outnumber it). Another's
	 * that is not newer than what we hold is not: it changes nothing,
	 * and each copy (one per neighbor) would cost two signature checks.
	 */
	if (a->originator == c->cfg.node_id) {
		if (kx_core_advert_ok(c, now, sender, a))
			own_rx(c, now, n, a);
		return;
	}
	l = lsdb_find(c, a->originator);
	if (a->age_s >= max_age(c)) {
		c->st.lsa_stale++;
		return;
	}
	cmp = l ? compare(c, a, l, now) : 1;
	if (cmp < 0) {
		/* It has an old one: send it ours. */
		c->st.lsa_stale++;
		rexmit_put(c, n, l->adv->originator, l->adv->seq);
		return;
	}
	if (!cmp) {
		if (rexmit_done(n, a->originator, a->seq))
			c->st.lsa_acked++;	/* implicitly */
		return;
	}
	if (!kx_core_advert_ok(c, now, sender, a) || install(c, now, a))
		return;
	flood(c, a, sender);
}

int lsdb_lsu_rx(struct xm_core *c, xm_time now, struct xm_core_neigh *n,
		const struct xm_msg *m)
{
	size_t off = 0;

	/* All of it valid before any of it is used. */
	if (xm_lsu_check(m, c->scratch) < 0)
		return -EBADMSG;
	if (!n) {
		c->st.rx_no_neigh++;	/* no hello yet: it will send again */
		return 0;
	}
	while (xm_lsu_next(m, &off, c->scratch) > 0)
		advert_rx(c, now, n, m->hdr.sender, c->scratch);
	if (m->hdr.flags & XM_MSG_F_DB_END)
		n->db_end_rx = true;
	return 0;
}

void lsdb_ack_rx(struct xm_core *c, struct xm_core_neigh *n,
		 const struct xm_ack *acks, int n_acks)
{
	size_t i;
	int k;

	if (!n) {
		c->st.rx_no_neigh++;
		return;
	}
	for (k = 0; k < n_acks; k++) {
		i = rexmit_pos(n, acks[k].originator);
		if (i < n->n_rexmit &&
		    n->rexmit[i].originator == acks[k].originator &&
		    n->rexmit[i].seq == acks[k].seq) {
			rexmit_remove_at(n, i);
			c->st.lsa_acked++;
		}
	}
}

/* ---- this node's advert ---- */

/* Re-advertising load and free space: steps of 0.5 (x100), of a tenth. */
#define XM_CAPS_LOAD_STEP	50
#define XM_CAPS_FREE_STEPS	10

/*
 * Origination backoff, as the SPF throttle: a change after a quiet hold
 * is advertised at once and resets the hold to lsa_min_ms; a change within
 * the hold of the last origination waits out the rest of it and doubles
 * the hold, up to lsa_max_ms. A node whose neighbors keep coming up (a
 * mesh starting) so sends a few adverts, not one per lsa_min_ms.
 */
void lsdb_local_changed(struct xm_core *c, xm_time now)
{
	const struct xm_timers *t = &c->cfg.timers;
	uint32_t max = t->lsa_max_ms > t->lsa_min_ms ? t->lsa_max_ms :
		       t->lsa_min_ms;

	if (c->own_due != XM_NEVER)
		return;		/* the scheduled one will carry it */
	if (now - c->own_last < c->own_hold_ms) {
		c->own_due = c->own_last + c->own_hold_ms;
		c->own_hold_ms = c->own_hold_ms > max / 2 ? max :
				 2 * c->own_hold_ms;
	} else {
		c->own_due = now;
		c->own_hold_ms = t->lsa_min_ms;
	}
}

/*
 * An adjacency lost or gained is advertised at once, whatever the
 * backoff: until it is, other nodes route into a lost one, and a node
 * that only a new one reaches stays cut off. News after news waits
 * lsa_min_ms: a starting node's adjacencies come up one after the other,
 * and must not each be flooded.
 */
void lsdb_local_adjacency(struct xm_core *c, xm_time now)
{
	xm_time at = now;

	if (c->own_news != XM_NEVER &&
	    c->own_news + c->cfg.timers.lsa_min_ms > now)
		at = c->own_news + c->cfg.timers.lsa_min_ms;
	if (at < c->own_due) {
		c->own_due = at;
		c->own_news = at;
	}
}

/* |a - b| > limit */
static bool moved(uint32_t a, uint32_t b, uint32_t limit)
{
	return (a > b ? a - b : b - a) > limit;
}

/*
 * Load and free space worth advertising again: the load by more than
 * max(0.5, a quarter of the advertised one), free memory or disk by more
 * than a tenth of the total. Readings jitter; an advert costs a flood.
 */
static bool caps_moved(const struct xm_caps *adv, const struct xm_caps *now)
{
	uint32_t load_step = adv->cpu_load / 4 > XM_CAPS_LOAD_STEP ?
			     adv->cpu_load / 4 : XM_CAPS_LOAD_STEP;

	return moved(now->cpu_load, adv->cpu_load, load_step) ||
	       moved(now->mem_free_mb, adv->mem_free_mb,
		     now->mem_total_mb / XM_CAPS_FREE_STEPS) ||
	       moved(now->disk_free_gb, adv->disk_free_gb,
		     now->disk_total_gb / XM_CAPS_FREE_STEPS);
}

void lsdb_caps_changed(struct xm_core *c, xm_time now, bool identity)
{
	const struct xm_lsa *own = lsdb_find(c, c->cfg.node_id);
	xm_time at = c->own_last + XM_CAPS_MIN_MS;

	if (identity) {
		lsdb_local_changed(c, now);
		return;
	}
	/* Back within the hysteresis, a pending re-advert has no news. */
	if (own && !caps_moved(&own->adv->caps, &c->cfg.caps)) {
		c->caps_due = XM_NEVER;
		return;
	}
	c->caps_due = xm_min(c->caps_due, at > now ? at : now);
}

/* One adjacency per UP neighbor node, its best link's. */
static void own_adjacencies(struct xm_core *c, struct xm_advert *a)
{
	size_t i;
	unsigned int k;

	for (i = 0; i < c->n_neigh; i++) {
		const struct xm_core_neigh *n = c->neigh[i];
		struct xm_link *lk = core_link(c, n->ifindex);
		struct xm_adj j;

		if (n->state != XM_NEIGH_UP)
			continue;
		j = (struct xm_adj){
			.node = n->node,
			.metric = xm_policy_adj_metric(&c->adv_policy,
						       n->node, n->metric),
			.rtt_us = n->srtt_us, .loss_ppm = neigh_loss_ppm(n),
			.bandwidth_mbps = lk && lk->info.bandwidth_mbps ?
					  lk->info.bandwidth_mbps : 1000,
		};
		for (k = 0; k < a->n_adj && a->adj[k].node < j.node; k++)
			;
		if (k < a->n_adj && a->adj[k].node == j.node) {
			if (j.metric < a->adj[k].metric)
				a->adj[k] = j;
			continue;
		}
		if (a->n_adj == XM_ADVERT_ADJ_MAX) {
			core_limit(c, adj_cut);
			continue;
		}
		memmove(&a->adj[k + 1], &a->adj[k],
			(a->n_adj - k) * sizeof(a->adj[0]));
		a->adj[k] = j;
		a->n_adj++;
	}
}

/* Too big for one message: the costliest adjacencies stay out. */
static void own_fit(struct xm_core *c, struct xm_advert *a)
{
	bool cut = false;

	while (a->n_adj &&
	       xm_advert_wire_len(a) + XM_MSG_MIN_LEN > XM_PDU_MAX) {
		unsigned int k, worst = 0;

		for (k = 1; k < a->n_adj; k++)
			if (a->adj[k].metric >= a->adj[worst].metric)
				worst = k;
		memmove(&a->adj[worst], &a->adj[worst + 1],
			(a->n_adj - worst - 1) * sizeof(a->adj[0]));
		a->n_adj--;
		cut = true;
	}
	if (cut)
		core_limit(c, adj_cut);
}

static void originate(struct xm_core *c, xm_time now)
{
	struct xm_lsa *own = lsdb_find(c, c->cfg.node_id);
	struct xm_advert *a = c->scratch;

	c->own_due = XM_NEVER;
	if (c->restarting)
		return;		/* lsdb_restart_done() brings it back */
	neigh_metrics_commit(c);
	memset(a, 0, sizeof(*a));
	a->originator = c->cfg.node_id;
	a->caps = c->cfg.caps;
	a->n_prefixes = c->cfg.n_prefixes;
	memcpy(a->prefixes, c->cfg.prefixes, sizeof(a->prefixes));
	memcpy(a->prefix_prio, c->cfg.prefix_prio, sizeof(a->prefix_prio));
	a->n_mgroups = c->cfg.n_mgroups;
	memcpy(a->mgroups, c->cfg.mgroups, sizeof(a->mgroups));
	own_adjacencies(c, a);
	kx_core_advert_cert(c, a);	/* fitted with its certificate */
	origin_core_advert(c, a);
	own_fit(c, a);
	if (own && !c->own_force && content_eq(a, own->adv))
		return;
	if (own && own->adv->seq > c->own_seq)
		c->own_seq = own->adv->seq;
	if (c->own_seq == UINT32_MAX) {
		/* 4 billion originations: not in this node's lifetime. */
		core_limit(c, limit_seq);
		return;
	}
	a->seq = ++c->own_seq;
	if (!kx_core_advert_sign(c, a)) {
		core_limit(c, limit_advert);
		return;
	}
	if (install(c, now, a))
		return;
	c->own_last = now;
	c->own_force = false;
	c->caps_due = XM_NEVER;
	c->st.lsa_originated++;
	flood(c, a, 0);
}

void lsdb_restart_done(struct xm_core *c, xm_time now)
{
	free(c->prev_own);
	c->prev_own = NULL;
	c->own_force = true;
	c->own_due = now;
}

int lsdb_init(struct xm_core *c, xm_time now)
{
	c->scratch = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	if (!c->scratch)
		return -ENOMEM;
	/* Seeded by the boot id, a restart's instances are usually newer. */
	c->own_seq = (uint32_t)(c->cfg.boot_id & 0x7fffffff);
	c->own_due = XM_NEVER;
	c->own_hold_ms = c->cfg.timers.lsa_min_ms;
	c->caps_due = XM_NEVER;
	c->own_force = true;
	c->lsa_deadline = XM_NEVER;
	originate(c, now);
	return lsdb_find(c, c->cfg.node_id) ? 0 : -ENOMEM;
}

void lsdb_free(struct xm_core *c)
{
	size_t i;

	for (i = 0; i < c->n_lsa; i++) {
		free(c->lsa[i]->adv);
		free(c->lsa[i]);
	}
	free(c->lsa);
	free(c->scratch);
	free(c->prev_own);
	c->lsa = NULL;
	c->n_lsa = 0;
}

/* ---- sending ---- */

static void flush_lsus(struct xm_core *c, xm_time now, struct xm_core_neigh *n)
{
	uint32_t rexmit_ms = c->cfg.timers.rexmit_ms;
	struct xm_action *a = NULL;
	struct xm_msg_writer w;
	size_t i = 0;

	while (i < n->n_rexmit) {
		struct xm_rexmit *r = &n->rexmit[i];
		struct xm_lsa *l;
		uint16_t age;
		int ret;

		/*
		 * Not due yet: skip before the database lookup, which is what
		 * a flush costs in a large mesh. An entry gone or superseded
		 * meanwhile is dropped when it comes due.
		 */
		if ((r->sent != XM_NEVER && now < r->sent + rexmit_ms) ||
		    (c->restarting && r->originator == c->cfg.node_id)) {
			i++;
			continue;
		}
		l = lsdb_find(c, r->originator);
		if (!l || l->adv->seq != r->seq) {
			rexmit_remove_at(n, i);	/* gone or superseded */
			continue;
		}
		if (!a) {
			a = core_send_begin(c, &w, XM_MSG_LSU, n->ifindex,
					    &n->remote);
			if (!a)
				return;
		}
		/* One second in transit, as OSPF's InfTransDelay. */
		age = lsdb_age(c, l, now);
		ret = xm_lsu_put(&w, l->adv, age < max_age(c) ? age + 1 : age);
		if (ret == -EMSGSIZE && w.n_items) {
			core_send_finish(c, a, &w);
			a = NULL;
			continue;
		}
		if (ret) {
			core_limit(c, limit_advert);
			rexmit_remove_at(n, i);
			continue;
		}
		c->st.lsa_tx++;
		if (r->sent != XM_NEVER)
			c->st.lsa_rexmit++;
		r->sent = now;
		i++;
	}
	if (a && !w.n_items) {
		core_send_cancel(c);
	} else if (a) {
		if (n->dbx)
			xm_msg_set_flags(&w, XM_MSG_F_DB_END);
		core_send_finish(c, a, &w);
	}
	/* When something is due next (held adverts of ours are not). */
	n->rexmit_due = XM_NEVER;
	for (i = 0; i < n->n_rexmit; i++)
		if (n->rexmit[i].sent != XM_NEVER)
			n->rexmit_due = xm_min(n->rexmit_due,
					       n->rexmit[i].sent + rexmit_ms);
		else if (!c->restarting ||
			 n->rexmit[i].originator != c->cfg.node_id)
			n->rexmit_due = 0;
}

static void flush_acks(struct xm_core *c, struct xm_core_neigh *n)
{
	struct xm_action *a = NULL;
	struct xm_msg_writer w;
	size_t i = 0;

	while (i < n->n_acks) {
		if (!a) {
			a = core_send_begin(c, &w, XM_MSG_LSACK, n->ifindex,
					    &n->remote);
			if (!a)
				break;
		}
		if (xm_lsack_put(&w, n->acks[i].originator, n->acks[i].seq)) {
			if (w.n_items)
				core_send_finish(c, a, &w);
			else
				core_send_cancel(c);	/* cannot be sent */
			i += !w.n_items;
			a = NULL;
			continue;
		}
		i++;
	}
	if (a)
		core_send_finish(c, a, &w);
	n->n_acks = 0;
}

/* ---- timers ---- */

void lsdb_run(struct xm_core *c, xm_time now)
{
	const struct xm_timers *t = &c->cfg.timers;
	bool due = now >= c->lsa_deadline;
	size_t i = c->n_lsa;

	while (due && i--) {
		struct xm_lsa *l = c->lsa[i];

		if (l->adv->originator == c->cfg.node_id)
			continue;
		if (lsdb_age(c, l, now) >= max_age(c))
			lsa_remove(c, now, i, "advert aged out");
		else if (l->unreach_since != XM_NEVER &&
			 now - l->unreach_since >=
			 (xm_time)t->purge_after_s * 1000)
			lsa_remove(c, now, i, "unreachable");
	}
	if (due)
		deadlines_update(c);
	if (now - c->own_last >= (xm_time)t->lsa_refresh_s * 1000) {
		core_event(c, XM_EV_DEBUG, "own advert refreshed (every %u s)",
			   t->lsa_refresh_s);
		c->own_force = true;
		c->own_due = now;
	}
	if (c->caps_due <= now) {
		c->caps_due = XM_NEVER;
		lsdb_local_changed(c, now);
	}
	if (c->own_due <= now)
		originate(c, now);
	for (i = 0; i < c->n_neigh; i++) {
		struct xm_core_neigh *n = c->neigh[i];

		if (neigh_floods(n) && n->rexmit_due <= now)
			flush_lsus(c, now, n);
		if (!n->alive)
			n->n_acks = 0;
		else if (n->n_acks && n->ack_due <= now)
			flush_acks(c, n);
	}
}

xm_time lsdb_next_timer(const struct xm_core *c)
{
	const struct xm_timers *t = &c->cfg.timers;
	xm_time next = xm_min(c->own_due, c->caps_due);
	size_t i;

	next = xm_min(next, c->own_last + (xm_time)t->lsa_refresh_s * 1000);
	next = xm_min(next, c->lsa_deadline);
	for (i = 0; i < c->n_neigh; i++) {
		const struct xm_core_neigh *n = c->neigh[i];

		if (n->n_acks)
			next = xm_min(next, n->ack_due);
		if (neigh_floods(n) && n->n_rexmit)
			next = xm_min(next, n->rexmit_due);
	}
	return next;
}

/* ---- after SPF ---- */

/*
 * Reachability under the policy comes from SPF; purging goes by plain
 * connectivity (two-way edges, no policy), so that a node the policy
 * keeps out of paths is not forgotten. c->graph's node i is c->lsa[i].
 */
void lsdb_spf_done(struct xm_core *c, xm_time now)
{
	const struct xm_graph *g = &c->graph;
	uint32_t *queue, head = 0, tail = 0, v;
	bool *seen;
	size_t i;

	queue = calloc(g->n_nodes + 1, sizeof(*queue));
	seen = calloc(g->n_nodes + 1, sizeof(*seen));
	if (queue && seen) {
		for (v = 0; v < g->n_nodes; v++)
			if (g->node[v].id == c->cfg.node_id) {
				seen[v] = true;
				queue[tail++] = v;
			}
		while (head < tail) {
			const struct xm_gnode *x = &g->node[queue[head++]];

			for (i = 0; i < x->n_edges; i++) {
				uint32_t to = g->edge[x->first_edge + i].to;

				if (to < g->n_nodes && !seen[to]) {
					seen[to] = true;
					queue[tail++] = to;
				}
			}
		}
	}
	for (i = 0; i < c->n_lsa && i < g->n_nodes; i++) {
		struct xm_lsa *l = c->lsa[i];
		bool self = l->adv->originator == c->cfg.node_id;
		bool was = l->reachable;

		l->cost = c->spf_valid ? c->spf.cost[i] : self ? 0 :
			  XM_COST_INF;
		l->hops = c->spf_valid ? c->spf.hops[i] : 0;
		l->reachable = l->cost != XM_COST_INF;
		if (!queue || !seen || seen[i])
			l->unreach_since = XM_NEVER;
		else if (l->unreach_since == XM_NEVER)
			l->unreach_since = now;
		if (self || was == l->reachable)
			continue;
		core_event(c, XM_EV_INFO, "node %u %s", l->adv->originator,
			   l->reachable ? "reachable" : "unreachable");
	}
	free(queue);
	free(seen);
	deadlines_update(c);
}

/* ---- readers ---- */

bool xm_core_node(const struct xm_core *c, size_t i,
		  struct xm_node_status *out)
{
	const struct xm_lsa *l;

	if (i >= c->n_lsa)
		return false;
	l = c->lsa[i];
	*out = (struct xm_node_status){
		.node = l->adv->originator, .caps = l->adv->caps,
		.lsa_seq = l->adv->seq, .lsa_age_s = lsdb_age(c, l, c->now),
		.reachable = l->reachable, .cost = l->cost, .hops = l->hops,
		.n_prefixes = l->adv->n_prefixes,
		.n_mgroups = l->adv->n_mgroups,
	};
	memcpy(out->prefixes, l->adv->prefixes, sizeof(out->prefixes));
	memcpy(out->prefix_prio, l->adv->prefix_prio,
	       sizeof(out->prefix_prio));
	memcpy(out->mgroups, l->adv->mgroups, sizeof(out->mgroups));
	return true;
}

bool xm_core_edge(const struct xm_core *c, size_t i, struct xm_edge *out)
{
	size_t lo = 0, hi = c->n_lsa;
	const struct xm_lsa *l;
	const struct xm_adj *j;

	if (i >= c->n_edges)
		return false;
	/* The last advert whose first edge is at or before i. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->lsa[mid]->edge_base <= i)
			lo = mid;
		else
			hi = mid;
	}
	l = c->lsa[lo];
	while (i - l->edge_base >= l->adv->n_adj)
		l = c->lsa[++lo];	/* past adverts without edges */
	j = &l->adv->adj[i - l->edge_base];
	*out = (struct xm_edge){
		.from = l->adv->originator, .to = j->node,
		.metric = j->metric, .rtt_us = j->rtt_us,
		.loss_ppm = j->loss_ppm, .bandwidth_mbps = j->bandwidth_mbps,
	};
	return true;
}
