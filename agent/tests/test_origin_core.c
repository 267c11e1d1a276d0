// SPDX-License-Identifier: GPL-2.0
/*
 * Origin keys in the core (core/origin_core.c, Documentation/protocol.md
 * "Origin keys"): on a chain 1 - 2 - 3 of certified cores with origin
 * seals on, every node's transmit key for another equals that node's
 * receive key for it, under the same id; a rotation gives the receivers
 * the new receive key before the sender seals with it, and keeps the one
 * before; a node gone loses its keys; with origin off nothing is
 * installed. The generation's TLV survives the wire.
 */
#include <sodium.h>

#include "cert_fixtures.h"
#include "kx.h"
#include "msg.h"
#include "origin.h"
#include "tap.h"
#include "test_core_net.h"

#define NOW		UINT64_C(1800000000)	/* unix seconds */
#define REKEY_MS	20000
#define KEYS_MAX	64

static struct test_key auth, other_auth, keys[3];
static struct xm_cert auth_cert, other_cert, certs[3];
static struct xm_kx_params params;
static bool origin;

/* The origin keys in each node's kernel, as the actions left them. */
static struct kernel_key {
	bool used;
	uint32_t node;			/* the remote node */
	uint8_t id, dir;
	uint8_t key[32];
} kernel[3][KEYS_MAX];

static struct kernel_key *kernel_find(int at, uint32_t node, uint8_t id,
				      uint8_t dir)
{
	int i;

	for (i = 0; i < KEYS_MAX; i++)
		if (kernel[at][i].used && kernel[at][i].node == node &&
		    kernel[at][i].id == id && kernel[at][i].dir == dir)
			return &kernel[at][i];
	return NULL;
}

/* The transmit key of at for node (one at most: the kernel replaces). */
static struct kernel_key *kernel_tx(int at, uint32_t node)
{
	int i;

	for (i = 0; i < KEYS_MAX; i++)
		if (kernel[at][i].used && kernel[at][i].node == node &&
		    kernel[at][i].dir == XM_KX_TX)
			return &kernel[at][i];
	return NULL;
}

static int kernel_count(int at, uint32_t node, uint8_t dir)
{
	int i, n = 0;

	for (i = 0; i < KEYS_MAX; i++)
		n += kernel[at][i].used && kernel[at][i].node == node &&
		     kernel[at][i].dir == dir;
	return n;
}

static bool key_hook(struct net *net, int i, const struct xm_action *a)
{
	struct kernel_key *k;
	int j;

	if (!a->key_origin)
		return false;
	k = a->key_dir == XM_KX_TX ? kernel_tx(i, a->neigh) :
	    kernel_find(i, a->neigh, a->key_id, a->key_dir);
	if (a->key_del) {
		if (k && k->id == a->key_id)
			memset(k, 0, sizeof(*k));
		return true;
	}
	for (j = 0; !k && j < KEYS_MAX; j++)
		if (!kernel[i][j].used)
			k = &kernel[i][j];
	if (!k)
		abort();
	*k = (struct kernel_key){ .used = true, .node = a->neigh,
				  .id = a->key_id, .dir = a->key_dir };
	if (!xm_core_key_get(net->node[i].c, a->neigh, true, a->key_id,
			     a->key_dir, k->key))
		abort();
	xm_core_key_done(net->node[i].c, a->neigh, true, a->key_id,
			 a->key_dir);
	return true;
}

static void cfg_hook(struct net *net, int i, struct xm_core_config *cfg)
{
	(void)net;
	test_cert_caps(&cfg->caps, i);
	cfg->origin = origin;
	cfg->origin_rekey_ms = REKEY_MS;
}

static struct xm_core_origin status(struct net *net, int i)
{
	struct xm_core_origin s;

	xm_core_origin_status(net->node[i].c, &s);
	return s;
}

/* Does a's transmit key for b open at b, under the same id? */
static bool pair_ok(int a, int b)
{
	const struct kernel_key *tx = kernel_tx(a, (uint32_t)b + 1);
	const struct kernel_key *rx;

	if (!tx)
		return false;
	rx = kernel_find(b, (uint32_t)a + 1, tx->id, XM_KX_RX);
	return rx && !memcmp(rx->key, tx->key, sizeof(tx->key));
}

static bool all_pairs_ok(void)
{
	int a, b;

	for (a = 0; a < 3; a++)
		for (b = 0; b < 3; b++)
			if (a != b && !pair_ok(a, b))
				return false;
	return true;
}

static bool rotating(struct net *net, const void *arg)
{
	struct xm_core_origin s = status(net, 0);

	(void)arg;
	return s.advertised != s.sealing;
}

static bool sealing_new(struct net *net, const void *arg)
{
	struct xm_core_origin s = status(net, 0);

	(void)arg;
	return s.advertised == s.sealing;
}

static bool no_keys_of_3(struct net *net, const void *arg)
{
	(void)net;
	(void)arg;
	return !kernel_count(0, 3, XM_KX_TX) && !kernel_count(0, 3, XM_KX_RX);
}

static void chain(struct net *net, struct xm_kx *kx[3], bool on)
{
	int w01[2] = { 0, 1 }, w12[2] = { 1, 2 };
	int i;

	memset(kernel, 0, sizeof(kernel));
	origin = on;
	for (i = 0; i < 3; i++) {
		kx[i] = test_kx_make((uint32_t)i + 1, &keys[i], &certs[i],
				     &auth_cert, NULL, &params, NOW);
		if (!kx[i])
			abort();
	}
	net_init(net);
	net->unix_s = NOW;
	net->cfg_hook = cfg_hook;
	net->key_hook = key_hook;
	memcpy(net->kx, kx, sizeof(net->kx[0]) * 3);
	for (i = 0; i < 3; i++)
		net_add_node(net, 1 + (uint64_t)i);
	net_add_wire(net, 2, w01);
	net_add_wire(net, 2, w12);
}

static void chain_free(struct net *net, struct xm_kx *kx[3])
{
	int i;

	net_free(net);
	for (i = 0; i < 3; i++)
		xm_kx_free(kx[i]);
}

static void test_keys(void)
{
	static struct net net;
	struct xm_kx *kx[3];
	struct xm_core_origin s0, s2;
	const struct kernel_key *tx;
	uint8_t old_id, new_id;

	chain(&net, kx, true);
	ok(net_until(&net, 10000, net_converged, NULL),
	   "keys: the chain converges with signed adverts");
	net_run(&net, 500);
	ok(all_pairs_ok(),
	   "keys: each node's transmit key for another is that node's receive key, same id");
	s0 = status(&net, 0);
	ok(s0.nodes == 2 && s0.advertised == UINT64_C(1) << 32 &&
	   s0.sealing == s0.advertised,
	   "keys: status: keys for 2 nodes, generation of boot 1 (%#llx)",
	   (unsigned long long)s0.advertised);
	ok(kernel_count(0, 3, XM_KX_RX) == 1 && kernel_count(0, 3, XM_KX_TX) == 1,
	   "keys: one receive and one transmit key per node at first");
	tx = kernel_tx(0, 3);
	ok(tx && tx->id == xm_origin_key_id(s0.sealing) &&
	   kernel_find(2, 1, tx->id, XM_KX_RX),
	   "keys: the id is the generation's (%u)", tx ? tx->id : 0);

	/* Rotation: node 1 advertises a new generation, seals with it 5 s
	 * later; node 3 has the new receive key before. */
	ok(net_until(&net, REKEY_MS + 1000, rotating, NULL),
	   "rotation: node 1 advertises a new generation");
	old_id = xm_origin_key_id(status(&net, 0).sealing);
	new_id = xm_origin_key_id(status(&net, 0).advertised);
	net_run(&net, 1000);
	tx = kernel_tx(0, 3);
	ok(tx && tx->id == old_id && kernel_find(2, 1, new_id, XM_KX_RX) &&
	   kernel_find(2, 1, old_id, XM_KX_RX),
	   "rotation: node 3 has the new receive key (id %u) while node 1 still seals with id %u",
	   new_id, old_id);
	ok(net_until(&net, XM_ORIGIN_SWITCH_MS + 1000, sealing_new, NULL),
	   "rotation: node 1 switches to it");
	net_run(&net, 10);
	tx = kernel_tx(0, 3);
	ok(tx && tx->id == new_id && pair_ok(0, 2) &&
	   kernel_find(2, 1, old_id, XM_KX_RX),
	   "rotation: node 1 seals with id %u, node 3 opens it and keeps the previous (frames in flight)",
	   new_id);
	s2 = status(&net, 2);
	ok(status(&net, 0).rotations >= 1 && s2.nodes == 2,
	   "rotation: counted (%llu)",
	   (unsigned long long)status(&net, 0).rotations);
	/* A second rotation: the one before the previous goes. */
	net_run(&net, REKEY_MS + XM_ORIGIN_SWITCH_MS);
	ok(all_pairs_ok() && kernel_count(2, 1, XM_KX_RX) == 2 &&
	   !kernel_find(2, 1, old_id, XM_KX_RX),
	   "rotation: later ones keep two receive keys per node, the oldest deleted");

	/* Node 3 cut off: purged, its keys go. */
	net.wire[1].cut = true;
	ok(net_until(&net, 30000, no_keys_of_3, NULL),
	   "node gone: node 1 deletes its keys for node 3");
	ok(status(&net, 0).nodes == 1 && pair_ok(0, 1) && pair_ok(1, 0),
	   "node gone: node 2's keys stay");
	chain_free(&net, kx);
}

static void test_off(void)
{
	static struct net net;
	struct xm_kx *kx[3];
	struct xm_core_origin s;
	int i, n = 0;

	chain(&net, kx, false);
	ok(net_until(&net, 10000, net_converged, NULL), "off: the chain converges");
	net_run(&net, 1000);
	for (i = 0; i < 3; i++)
		n += kernel_count(i, 1, XM_KX_RX) + kernel_count(i, 2, XM_KX_RX) +
		     kernel_count(i, 3, XM_KX_RX) + kernel_count(i, 1, XM_KX_TX) +
		     kernel_count(i, 2, XM_KX_TX) + kernel_count(i, 3, XM_KX_TX);
	ok(!n && !xm_core_origin_status(net.node[0].c, &s) && !s.nodes,
	   "off: no origin key installed, status off");
	chain_free(&net, kx);
}

/* The generation through an LSU and back; its absence too. */
static void test_wire(void)
{
	static uint8_t buf[XM_PDU_MAX];
	struct xm_advert *a = xm_advert_alloc(1), *b = xm_advert_alloc(1);
	struct xm_msg_writer w;
	struct xm_msg m;
	size_t off = 0;
	int len;

	a->originator = 7;
	a->seq = 3;
	a->has_origin_gen = true;
	a->origin_gen = UINT64_C(0x1122334455667788);
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 7, 1);
	len = xm_lsu_put(&w, a, 0) ? -1 : xm_msg_finish(&w, net_key);
	ok(len > 0 && !xm_msg_open(buf, (size_t)len, net_key, &m) &&
	   xm_lsu_next(&m, &off, b) == 1 && b->has_origin_gen &&
	   b->origin_gen == a->origin_gen && !b->n_unknown,
	   "wire: the ORIGIN_GEN TLV round-trips");
	free(a);
	free(b);
}

int main(void)
{
	static const char *const zones[] = { "rack-a", "rack-b", "rack-c" };
	uint32_t i;

	if (sodium_init() < 0)
		return 1;
	xm_kx_params_default(&params);
	test_sites_make(&auth, &auth_cert, &other_auth, &other_cert, NOW);
	for (i = 0; i < 3; i++) {
		test_key_make(&keys[i], (uint8_t)(3 + i));
		test_node_cert_make(&certs[i], &auth, "edge1", &keys[i], i + 1,
				    301 + i, zones[i], NOW - FIXTURE_DAY,
				    NOW + FIXTURE_DAY);
	}
	test_wire();
	test_keys();
	test_off();
	return tap_done();
}
