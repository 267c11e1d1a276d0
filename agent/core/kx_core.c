// SPDX-License-Identifier: GPL-2.0
/*
 * The key exchange in the core (kx.h, Documentation/protocol.md, "Key
 * exchange"): with certificates in use, each two-way neighbor gets a kx
 * peer; its KX messages go out as agent messages to the neighbor's
 * address, its kernel keys as XM_ACT_KEY actions (the bytes wait here, in
 * locked memory, until the user installed them), and its verdict sets
 * n->auth: only an authenticated neighbor comes UP and floods. The zone
 * and roles a neighbor claims, and the prefixes it advertises as its own,
 * must be its certificate's (xm_kx_claims_match()).
 */
#include <sodium.h>
#include <stdio.h>

#include "core_priv.h"
#include "kx.h"

/* Kernel keys waiting to be installed: a few per neighbor at most. */
#define KX_KEYS_MAX		256
/* Certificates checked again (expiry) every. */
#define KX_RECHECK_MS		60000

struct kx_key_slot {
	bool used, origin;
	uint32_t neigh;			/* or with origin: the remote node */
	uint8_t id, dir;
	uint8_t key[XM_KX_KEY_LEN];
};

int kx_core_init(struct xm_core *c)
{
	if (!c->cfg.kx)
		return 0;
	c->kx_keys = sodium_malloc(KX_KEYS_MAX * sizeof(*c->kx_keys));
	if (!c->kx_keys)
		return -1;
	sodium_memzero(c->kx_keys, KX_KEYS_MAX * sizeof(*c->kx_keys));
	c->kx_recheck_at = c->start + KX_RECHECK_MS;
	return 0;
}

void kx_core_free(struct xm_core *c)
{
	if (c->kx_keys)
		sodium_free(c->kx_keys);	/* wipes */
	c->kx_keys = NULL;
}

static uint64_t unix_now(const struct xm_core *c, xm_time now)
{
	return c->cfg.unix_s + (now - c->start) / 1000;
}

static struct kx_key_slot *slot_find(struct xm_core *c, uint32_t neigh,
				     bool origin, uint8_t id, uint8_t dir)
{
	size_t i;

	for (i = 0; c->kx_keys && i < KX_KEYS_MAX; i++)
		if (c->kx_keys[i].used && c->kx_keys[i].neigh == neigh &&
		    c->kx_keys[i].origin == origin &&
		    c->kx_keys[i].id == id && c->kx_keys[i].dir == dir)
			return &c->kx_keys[i];
	return NULL;
}

static void slot_clear(struct kx_key_slot *s)
{
	sodium_memzero(s, sizeof(*s));
}

void core_key_queue(struct xm_core *c, uint32_t owner, bool origin,
		    uint8_t id, uint8_t dir, const uint8_t *key)
{
	bool del = !key;
	struct kx_key_slot *s = slot_find(c, owner, origin, id, dir);
	struct xm_action *act;
	size_t i;

	if (!del && !s) {
		for (i = 0; i < KX_KEYS_MAX && !s; i++)
			if (!c->kx_keys[i].used)
				s = &c->kx_keys[i];
		if (!s) {
			core_limit(c, limit_kx_keys);
			return;
		}
	}
	if (del) {
		if (s)
			slot_clear(s);
	} else {
		s->used = true;
		s->origin = origin;
		s->neigh = owner;
		s->id = id;
		s->dir = dir;
		memcpy(s->key, key, sizeof(s->key));
	}
	act = core_action_new(c, XM_ACT_KEY);
	if (!act)
		return;
	act->neigh = owner;
	act->key_origin = origin;
	act->key_id = id;
	act->key_dir = dir;
	act->key_del = del;
}

static void key_action(struct xm_core *c, const struct xm_core_neigh *n,
		       const struct xm_kx_action *a)
{
	core_key_queue(c, n->id, false, a->key_id, a->dir,
		       a->type == XM_KX_ACT_KEY_DEL ? NULL : a->key);
}

/* Carry out what n's peer asks. */
static void drain(struct xm_core *c, xm_time now, struct xm_core_neigh *n)
{
	struct xm_kx_action a;
	struct xm_msg_writer w;
	struct xm_action *sa;

	while (xm_kx_peer_action(n->kx, &a)) {
		switch (a.type) {
		case XM_KX_ACT_SEND:
			sa = core_send_begin(c, &w, XM_MSG_KX, n->ifindex,
					     &n->remote);
			if (!sa)
				break;
			if (xm_kx_msg_put(&w, &a.msg))
				core_send_cancel(c);
			else
				core_send_finish(c, sa, &w);
			break;
		case XM_KX_ACT_KEY_ADD:
		case XM_KX_ACT_KEY_DEL:
			key_action(c, n, &a);
			break;
		case XM_KX_ACT_UP:
		case XM_KX_ACT_DOWN:
			/* Its claims are checked as its hellos and adverts
			 * come: the database it sends at once, the next
			 * hello (not a copy we hold: it may predate a new
			 * certificate). */
			n->auth = a.type == XM_KX_ACT_UP;
			neigh_auth_changed(c, now, n);
			break;
		case XM_KX_ACT_REFUSED:
			neigh_refused(c, n);
			break;
		case XM_KX_ACT_EVENT:
			core_event(c, a.level, "%s", a.text);
			break;
		}
		xm_kx_action_wipe(&a);
	}
}

/* n's peer, created on first need; NULL (counted) without memory. */
static struct xm_kx_peer *peer_of(struct xm_core *c, struct xm_core_neigh *n)
{
	if (!n->kx) {
		n->kx = xm_kx_peer_new(c->cfg.kx, n->node, n->id);
		if (!n->kx)
			core_limit(c, nomem);
	}
	return n->kx;
}

void kx_core_recv(struct xm_core *c, xm_time now, struct xm_link *l,
		  const struct xm_addr *from, const struct xm_msg *m)
{
	struct xm_core_neigh *n;
	struct xm_kx_msg k;

	if (xm_kx_msg_decode(m, &k)) {
		c->st.rx_malformed++;
		return;
	}
	/* Only a two-way neighbor: the kernel has it, its keys can go in. */
	n = neigh_find(c, l->info.ifindex, m->hdr.sender, from);
	if (!c->cfg.kx || !n || !n->alive || !n->twoway || !peer_of(c, n)) {
		c->st.rx_no_neigh++;
		return;
	}
	xm_kx_peer_recv(n->kx, now, unix_now(c, now), &k);
	drain(c, now, n);
}

void kx_core_neigh_free(struct xm_core *c, struct xm_core_neigh *n)
{
	size_t i;

	xm_kx_peer_free(n->kx);
	n->kx = NULL;
	/* Its kernel keys go with the kernel neighbor. */
	for (i = 0; c->kx_keys && i < KX_KEYS_MAX; i++)
		if (c->kx_keys[i].used && !c->kx_keys[i].origin &&
		    c->kx_keys[i].neigh == n->id)
			slot_clear(&c->kx_keys[i]);
}

void kx_core_run(struct xm_core *c, xm_time now)
{
	bool recheck = c->cfg.kx && c->kx_recheck_at <= now;
	struct xm_core_neigh *n;
	size_t i;

	if (!c->cfg.kx)
		return;
	if (recheck)
		c->kx_recheck_at = now + KX_RECHECK_MS;
	for (i = 0; i < c->n_neigh; i++) {
		n = c->neigh[i];
		if (!n->kx && n->alive && n->twoway && peer_of(c, n))
			xm_kx_peer_start(n->kx, now);
		if (!n->kx)
			continue;
		if (recheck)
			xm_kx_peer_recheck(n->kx, now, unix_now(c, now));
		if (xm_kx_peer_next_timer(n->kx) <= now)
			xm_kx_peer_timer(n->kx, now, unix_now(c, now));
		drain(c, now, n);
	}
}

xm_time kx_core_next_timer(const struct xm_core *c)
{
	xm_time t;
	size_t i;

	if (!c->cfg.kx)
		return XM_NEVER;
	t = c->kx_recheck_at;
	for (i = 0; i < c->n_neigh; i++)
		if (c->neigh[i]->kx)
			t = xm_min(t, xm_kx_peer_next_timer(c->neigh[i]->kx));
	return t;
}

/* Does n's certificate (if known) give what it claims? If not, n is
 * refused (its session cut, counted, logged). */
static bool claims_check(struct xm_core *c, xm_time now,
			 struct xm_core_neigh *n,
			 const struct xm_kx_claims *claims)
{
	const struct xm_cert *cert = n->kx ? xm_kx_peer_cert(n->kx) : NULL;
	char why[XM_KX_WHY_MAX];

	if (!cert || xm_kx_claims_match(cert, claims, why, sizeof(why)))
		return true;
	core_event(c, XM_EV_WARN, "node %u %s", n->node, why);
	xm_kx_peer_refuse(n->kx, now, XM_KX_REFUSED_CLAIM);
	drain(c, now, n);
	return false;
}

bool kx_core_claims_ok(struct xm_core *c, uint32_t node,
		       const struct xm_caps *caps,
		       const struct xm_prefix4or6 *prefixes,
		       unsigned int n_prefixes)
{
	const struct xm_kx_claims claims = {
		.caps = caps, .prefixes = prefixes, .n_prefixes = n_prefixes,
	};
	bool good = true;
	size_t i;

	if (!c->cfg.kx)
		return true;
	/* Every adjacency with the node: each has its certificate. */
	for (i = 0; i < c->n_neigh; i++)
		if (c->neigh[i]->node == node &&
		    !claims_check(c, c->now, c->neigh[i], &claims))
			good = false;
	return good;
}

void kx_core_advert_cert(struct xm_core *c, struct xm_advert *a)
{
	if (c->cfg.kx)
		xm_kx_advert_cert(c->cfg.kx, a);
}

bool kx_core_advert_sign(struct xm_core *c, struct xm_advert *a)
{
	return !c->cfg.kx || !xm_kx_advert_sign(c->cfg.kx, a);
}

bool kx_core_advert_ok(struct xm_core *c, xm_time now, uint32_t sender,
		       const struct xm_advert *a)
{
	char why[XM_KX_WHY_MAX];
	uint64_t *count, warned;
	unsigned int r;

	if (!c->cfg.kx)
		return true;
	r = xm_kx_advert_check(c->cfg.kx, a, unix_now(c, now), why,
			       sizeof(why));
	if (r == XM_CERT_OK)
		return true;
	/*
	 * Its originator signed a false claim: a neighbor is refused, as for
	 * its hellos. Only then: an unsigned or forged advert must not get
	 * an honest neighbor refused.
	 */
	if (r == XM_KX_REFUSED_CLAIM)
		kx_core_claims_ok(c, a->originator, &a->caps, a->prefixes,
				  a->n_prefixes);
	count = r == XM_KX_REFUSED_CLAIM ? &c->st.lsa_bad_claim :
		&c->st.lsa_bad_sig;
	warned = r == XM_KX_REFUSED_CLAIM ? c->warned.lsa_bad_claim :
		 c->warned.lsa_bad_sig;
	/* The first since the last summary of refusals (core.c): one line
	 * with the reason per XM_WARN_MS, whatever a forger sends. */
	if (*count == warned)
		core_event(c, XM_EV_WARN, "advert of node %u (sequence %u) from node %u dropped: %s (%s)",
			   a->originator, a->seq, sender,
			   xm_kx_advert_refusal_name(r), why);
	(*count)++;
	return false;
}

/* ---- core.h (the rest is in core.c: entry points run the core) ---- */

bool xm_core_key_get(struct xm_core *c, uint32_t neigh, bool origin,
		     uint8_t key_id, uint8_t key_dir, uint8_t key[32])
{
	struct kx_key_slot *s = slot_find(c, neigh, origin, key_id, key_dir);

	if (!s)
		return false;
	memcpy(key, s->key, sizeof(s->key));
	return true;
}

void xm_core_key_done(struct xm_core *c, uint32_t neigh, bool origin,
		      uint8_t key_id, uint8_t key_dir)
{
	struct kx_key_slot *s = slot_find(c, neigh, origin, key_id, key_dir);

	if (s)
		slot_clear(s);
}

void kx_core_key_refused(struct xm_core *c, xm_time now, uint32_t neigh,
			 uint8_t key_id, uint8_t key_dir)
{
	struct xm_core_neigh *n = neigh_by_id(c, neigh);

	xm_core_key_done(c, neigh, false, key_id, key_dir);
	if (!n || !n->kx)
		return;
	xm_kx_peer_key_refused(n->kx, now, key_id, key_dir);
	drain(c, now, n);
}

void kx_core_key_counter(struct xm_core *c, xm_time now, uint32_t neigh,
			 uint8_t key_id, uint64_t counter)
{
	struct xm_core_neigh *n = neigh_by_id(c, neigh);

	if (!n || !n->kx)
		return;
	xm_kx_peer_tx_counter(n->kx, now, key_id, counter);
	drain(c, now, n);
}

void kx_core_recheck(struct xm_core *c, xm_time now, bool restart)
{
	size_t i;

	for (i = 0; i < c->n_neigh; i++) {
		if (!c->neigh[i]->kx)
			continue;
		if (restart)
			xm_kx_peer_restart(c->neigh[i]->kx, now);
		else
			xm_kx_peer_recheck(c->neigh[i]->kx, now,
					   unix_now(c, now));
		drain(c, now, c->neigh[i]);
	}
}
