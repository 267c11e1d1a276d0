// SPDX-License-Identifier: GPL-2.0
/*
 * Origin keys in the core (origin.h, Documentation/certificates.md, "End
 * to end"): with origin seals on, this node's advert carries its
 * generation, and for every other node whose advert carries a
 * certificate and a generation the core keeps in the kernel
 *   - the receive keys k(D -> self) of D's newest generation and of the
 *     one before (frames sealed before D switched are still in flight),
 *   - the transmit key k(self -> D) of this node's sealing generation,
 * as XM_ACT_KEY actions with key_origin. A node whose advert goes loses
 * its keys. The adverts are signed (kx.h): the certificate, hence the
 * public key the keys come from, is the originator's.
 */
#include <sodium.h>
#include <stdlib.h>

#include "core_priv.h"
#include "util.h"
#include "kx.h"
#include "origin.h"

/*
 * Nodes whose keys one run updates at most: each takes up to three key
 * slots (kx_core.c, KX_KEYS_MAX) until the daemon takes the keys after
 * the run; a rotation at a site of thousands of nodes goes on in the runs
 * that follow at once.
 */
#define ORIGIN_NODES_PER_RUN	64

/* What is in the kernel for one remote node. */
struct origin_node {
	uint32_t node;
	uint32_t seq;			/* of the advert last looked at */
	uint8_t pk[XM_PUBKEY_LEN];	/* its certificate's key */
	bool has_rx[2];			/* [0] its newest generation, [1] the
					 * one before */
	uint64_t rx_gen[2];
	bool has_tx;
	uint64_t tx_gen;
};

static bool origin_on(const struct xm_core *c)
{
	return c->cfg.origin && c->cfg.kx;
}

void origin_core_init(struct xm_core *c, xm_time now)
{
	if (origin_on(c))
		xm_origin_start(&c->origin_gen, c->cfg.boot_id, now,
				c->cfg.origin_rekey_ms);
}

void origin_core_free(struct xm_core *c)
{
	free(c->origin_nodes);
	free(c->origin_cert);
	c->origin_cert = NULL;
	c->origin_nodes = NULL;
	c->n_origin_nodes = 0;
}

void origin_core_advert(struct xm_core *c, struct xm_advert *a)
{
	if (!origin_on(c))
		return;
	a->has_origin_gen = true;
	a->origin_gen = c->origin_gen.advertised;
}

/* Queue the key of (o, dir, generation gen): installed, or deleted. */
static void key_set(struct xm_core *c, const struct origin_node *o,
		    uint8_t dir, uint64_t gen, bool del)
{
	uint8_t key[XM_KX_KEY_LEN];
	bool tx = dir == XM_KX_TX;

	if (!del && xm_kx_origin_key(c->cfg.kx, key, o->pk,
				     tx ? c->cfg.node_id : o->node,
				     tx ? o->node : c->cfg.node_id, gen)) {
		/* A signed advert's key is a curve point: not reached. */
		core_event(c, XM_EV_WARN, "node %u: no origin key from its certificate's key",
			   o->node);
		return;
	}
	core_key_queue(c, o->node, true, xm_origin_key_id(gen), dir,
		       del ? NULL : key);
	sodium_memzero(key, sizeof(key));
}

static void node_forget(struct xm_core *c, struct origin_node *o)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (o->has_rx[i])
			key_set(c, o, XM_KX_RX, o->rx_gen[i], true);
	if (o->has_tx)
		key_set(c, o, XM_KX_TX, o->tx_gen, true);
	memset(o->has_rx, 0, sizeof(o->has_rx));
	o->has_tx = false;
}

/* D's advert a, new: its receive keys follow its generation, the
 * transmit key its certificate's key. */
static void node_update(struct xm_core *c, struct origin_node *o,
			const struct xm_advert *a)
{
	struct xm_cert *cert = c->origin_cert;
	uint64_t gen = a->origin_gen;

	o->seq = a->seq;
	if (xm_cert_decode(cert, a->cert, a->cert_len) != XM_CERT_OK)
		return;		/* checked when it came: not reached */
	if (memcmp(o->pk, cert->pubkey, XM_PUBKEY_LEN)) {
		/* A new certificate key: nothing of the old one holds. */
		node_forget(c, o);
		memcpy(o->pk, cert->pubkey, XM_PUBKEY_LEN);
	}
	if (!o->has_rx[0] || o->rx_gen[0] != gen) {
		/* The one before the previous goes, unless the new one took
		 * its id (a restart's generation): replaced, then. */
		if (o->has_rx[1] && xm_origin_key_id(o->rx_gen[1]) !=
				    xm_origin_key_id(gen))
			key_set(c, o, XM_KX_RX, o->rx_gen[1], true);
		o->has_rx[1] = o->has_rx[0] && o->rx_gen[0] != gen &&
			       xm_origin_key_id(o->rx_gen[0]) !=
			       xm_origin_key_id(gen);
		o->rx_gen[1] = o->rx_gen[0];
		o->has_rx[0] = true;
		o->rx_gen[0] = gen;
		key_set(c, o, XM_KX_RX, gen, false);
	}
	if (!o->has_tx || o->tx_gen != c->origin_gen.sealing) {
		o->has_tx = true;
		o->tx_gen = c->origin_gen.sealing;
		key_set(c, o, XM_KX_TX, o->tx_gen, false);
	}
}

static struct origin_node *node_find(struct xm_core *c, uint32_t node)
{
	size_t i;

	for (i = 0; i < c->n_origin_nodes; i++)
		if (c->origin_nodes[i].node == node)
			return &c->origin_nodes[i];
	if (xm_grow_by_count((void **)&c->origin_nodes, c->n_origin_nodes,
			     sizeof(*c->origin_nodes))) {
		core_limit(c, nomem);
		return NULL;
	}
	c->origin_nodes[c->n_origin_nodes] = (struct origin_node){
		.node = node,
	};
	return &c->origin_nodes[c->n_origin_nodes++];
}

void origin_core_run(struct xm_core *c, xm_time now)
{
	unsigned int news, updated = 0;
	xm_time next = 0;
	size_t i;

	if (!origin_on(c))
		return;
	if (!c->origin_cert) {
		c->origin_cert = malloc(sizeof(*c->origin_cert));
		if (!c->origin_cert) {
			core_limit(c, nomem);
			return;
		}
	}
	news = xm_origin_tick(&c->origin_gen, now, c->cfg.origin_rekey_ms,
			      XM_ORIGIN_SWITCH_MS, &next);
	c->origin_due = next ? next : XM_NEVER;
	if (news & XM_ORIGIN_ADVERTISE) {
		c->origin_rotations++;
		lsdb_local_adjacency(c, now);	/* at once: the switch waits */
	}
	/* Nodes gone, or no longer with a generation: their keys go. */
	for (i = 0; i < c->n_origin_nodes;) {
		struct origin_node *o = &c->origin_nodes[i];
		struct xm_lsa *l = lsdb_find(c, o->node);

		if (l && l->adv->cert_len && l->adv->has_origin_gen) {
			i++;
			continue;
		}
		node_forget(c, o);
		*o = c->origin_nodes[--c->n_origin_nodes];
	}
	for (i = 0; i < c->n_lsa; i++) {
		const struct xm_advert *a = c->lsa[i]->adv;
		struct origin_node *o;

		if (a->originator == c->cfg.node_id || !a->cert_len ||
		    !a->has_origin_gen)
			continue;
		o = node_find(c, a->originator);
		if (!o || (o->seq == a->seq && o->has_tx &&
			   o->tx_gen == c->origin_gen.sealing))
			continue;
		if (updated++ == ORIGIN_NODES_PER_RUN) {
			c->origin_due = now;	/* the rest in the next run */
			break;
		}
		node_update(c, o, a);
	}
}

xm_time origin_core_next_timer(const struct xm_core *c)
{
	return origin_on(c) ? c->origin_due : XM_NEVER;
}

/* ---- core.h ---- */

bool xm_core_origin_status(const struct xm_core *c,
			   struct xm_core_origin *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	if (!origin_on(c))
		return false;
	s->advertised = c->origin_gen.advertised;
	s->sealing = c->origin_gen.sealing;
	s->rotations = c->origin_rotations;
	for (i = 0; i < c->n_origin_nodes; i++)
		if (c->origin_nodes[i].has_tx)
			s->nodes++;
	return true;
}
