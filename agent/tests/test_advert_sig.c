// SPDX-License-Identifier: GPL-2.0
/*
 * Signed adverts (core/kx.h, Documentation/protocol.md "Signed adverts"):
 * the CERT and SIG TLVs on the wire; xm_kx_advert_check() takes a valid
 * one whatever its age, and refuses one unsigned, forged by another node,
 * signed with another key, altered after signing, of a revoked or another
 * site's certificate, or claiming a zone its certificate does not give;
 * then in the protocol core (test_core_net.h), a chain 1 - 2 - 3 where
 * node 1 floods forged adverts of node 3: node 2 drops, counts and logs
 * them, never installs them, never floods them on to node 3.
 */
#include <errno.h>
#include <sodium.h>

#include "cert_fixtures.h"
#include "kx.h"
#include "msg.h"
#include "tap.h"
#include "test_core_net.h"

#define NOW		UINT64_C(1800000000)	/* unix seconds */

static struct test_key auth, other_auth, k1, k2, k3;
static struct xm_cert auth_cert, other_cert, cert1, cert2, cert3, other3;
static struct xm_kx_params params;

/* Node certificates of a day, roles gpu and web. */
static void node_cert(struct xm_cert *c, const struct test_key *signer,
		      const char *site, const struct test_key *k, uint32_t node,
		      uint64_t serial, const char *zone)
{
	test_node_cert_make(c, signer, site, k, node, serial, zone,
			    NOW - FIXTURE_DAY, NOW + FIXTURE_DAY);
}

static struct xm_kx *kx_of(uint32_t node, const struct test_key *k,
			   const struct xm_cert *cert,
			   const struct xm_cert *authority,
			   const struct xm_crl *crl)
{
	struct xm_kx *kx = test_kx_make(node, k, cert, authority, crl,
					&params, NOW);

	if (!kx)
		abort();
	return kx;
}

/* An advert of node 3 in zone rack-c, roles gpu and web: its certificate's. */
static void advert3(struct xm_advert *a, uint32_t seq)
{
	memset(a, 0, xm_advert_size(XM_ADVERT_ADJ_MAX));
	a->originator = 3;
	a->seq = seq;
	a->age_s = 5;
	snprintf(a->caps.zone, sizeof(a->caps.zone), "rack-c");
	a->caps.n_roles = 2;
	strcpy(a->caps.roles[0], "gpu");
	strcpy(a->caps.roles[1], "web");
	a->n_prefixes = 1;
	a->prefixes[0].addr.family = AF_INET;
	a->prefixes[0].addr.raw[0] = 10;
	a->prefixes[0].addr.raw[2] = 3;
	a->prefixes[0].len = 24;
	a->n_adj = 1;
	a->adj[0] = (struct xm_adj){ .node = 2, .metric = 10 };
}

/* a through an LSU and back, aged by the way; out's certificate points
 * into the message, kept until the next call. */
static int wire_trip(const struct xm_advert *a, uint16_t age,
		     struct xm_advert *out, size_t *wire_len)
{
	static uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;
	struct xm_msg m;
	size_t off = 0;
	int len;

	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 2, 1);
	if (xm_lsu_put(&w, a, age))
		return -1;
	len = xm_msg_finish(&w, net_key);
	if (wire_len)
		*wire_len = (size_t)len;
	if (len < 0 || xm_msg_open(buf, (size_t)len, net_key, &m) ||
	    xm_lsu_next(&m, &off, out) != 1)
		return -1;
	return 0;
}

static void check(struct xm_kx *kx, const struct xm_advert *a,
		  unsigned int want, const char *what)
{
	char why[XM_KX_WHY_MAX];
	unsigned int r = xm_kx_advert_check(kx, a, NOW, why, sizeof(why));

	ok(r == want, "check: %s: %s (%s)", what,
	   xm_kx_advert_refusal_name(want), xm_kx_advert_refusal_name(r));
}

static void checks(void)
{
	struct xm_advert *a = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	struct xm_advert *b = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	struct xm_kx *v = kx_of(1, &k1, &cert1, &auth_cert, NULL);
	struct xm_kx *s1 = kx_of(1, &k1, &cert1, &auth_cert, NULL);
	struct xm_kx *s3 = kx_of(3, &k3, &cert3, &auth_cert, NULL);
	struct xm_kx *foreign = kx_of(3, &k3, &other3, &other_cert, NULL);
	struct xm_crl *crl = calloc(1, sizeof(*crl));
	uint8_t in[XM_ADVERT_SIG_INPUT_MAX];
	struct xm_kx *revoking;
	size_t n, wire_len = 0;

	if (!a || !b || !crl)
		abort();
	crl->version = 1;
	crl->issued = NOW;
	strcpy(crl->site, "edge1");
	if (xm_crl_add(crl, cert3.serial) || xm_crl_sign(crl, auth.sk))
		abort();
	revoking = kx_of(1, &k1, &cert1, &auth_cert, crl);

	advert3(a, 7);
	check(v, a, XM_KX_ADVERT_UNSIGNED, "without certificate and signature");
	ok(!xm_kx_advert_sign(s3, a) && a->has_sig &&
	   a->cert_len == cert3.len, "sign: certificate and signature set");
	check(v, a, XM_CERT_OK, "its originator's");
	ok(!wire_trip(a, 1234, b, &wire_len) && b->has_sig &&
	   b->cert_len == a->cert_len && b->age_s == 1234 &&
	   !memcmp(b->sig, a->sig, XM_SIG_LEN),
	   "wire: certificate and signature round trip");
	check(v, b, XM_CERT_OK, "aged in flight (age not signed)");
	printf("# a signed advert: %zu bytes in its message, %u of them its certificate\n",
	       wire_len, (unsigned int)a->cert_len);

	memcpy(b, a, xm_advert_size(a->n_adj));
	b->cert_len = 0;
	check(v, b, XM_KX_ADVERT_UNSIGNED, "its certificate stripped");
	memcpy(b, a, xm_advert_size(a->n_adj));
	b->adj[0].metric = 1;
	check(v, b, XM_KX_ADVERT_BAD_SIG, "a metric altered after signing");
	memcpy(b, a, xm_advert_size(a->n_adj));
	b->seq = UINT32_MAX;
	check(v, b, XM_KX_ADVERT_BAD_SIG,
	      "its sequence number raised after signing");

	/* Node 1 forges node 3's advert: signs it itself ... */
	advert3(b, UINT32_MAX);
	ok(!xm_kx_advert_sign(s1, b), "forged: node 1 signs node 3's advert");
	check(v, b, XM_KX_REFUSED_NODE, "forged by another node");
	/* ... or puts node 3's certificate in, with its own signature. */
	b->cert = cert3.raw;
	b->cert_len = (uint16_t)cert3.len;
	n = xm_advert_sig_input(b, in);
	crypto_sign_ed25519_detached(b->sig, NULL, in, n, k1.sk);
	check(v, b, XM_KX_ADVERT_BAD_SIG,
	      "node 3's certificate, signed with node 1's key");

	check(revoking, a, XM_CERT_REVOKED, "its certificate revoked");
	advert3(b, 7);
	ok(!xm_kx_advert_sign(foreign, b), "foreign: signed");
	check(v, b, XM_CERT_WRONG_SITE, "certificate of another site");
	advert3(b, 8);
	strcpy(b->caps.zone, "rack-a");
	ok(!xm_kx_advert_sign(s3, b), "claim: signed");
	check(v, b, XM_KX_REFUSED_CLAIM,
	      "signed, claiming a zone its certificate does not give");

	free(a);
	free(b);
	free(crl);
	xm_kx_free(v);
	xm_kx_free(s1);
	xm_kx_free(s3);
	xm_kx_free(foreign);
	xm_kx_free(revoking);
}

/* The TLVs' decoding rules: one certificate, the signature last. */
static void codec(void)
{
	struct xm_advert *a = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	struct xm_advert *b = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;
	struct xm_msg m;
	size_t off = 0;
	uint8_t *tlv;
	int len;

	if (!a || !b)
		abort();
	advert3(a, 9);
	a->cert = cert3.raw;
	a->cert_len = (uint16_t)cert3.len;
	a->has_sig = true;
	memset(a->sig, 0xab, XM_SIG_LEN);
	/* An unknown TLV after the signature: nothing may follow it. */
	a->n_unknown = 0;
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 2, 1);
	ok(!xm_lsu_put(&w, a, 0), "codec: a signed advert encodes");
	tlv = buf + w.len;
	xm_put16(tlv, 99);
	xm_put16(tlv + 2, 0);
	w.len += XM_TLV_HDR_LEN;
	/* The ADVERT TLV's length covers it. */
	xm_put16(buf + XM_MSG_HDR_LEN + 2,
		 (uint16_t)(xm_get16(buf + XM_MSG_HDR_LEN + 2) +
			    XM_TLV_HDR_LEN));
	len = xm_msg_finish(&w, net_key);
	ok(len > 0 && !xm_msg_open(buf, (size_t)len, net_key, &m) &&
	   xm_lsu_next(&m, &off, b) == -EBADMSG,
	   "codec: a TLV after the signature is malformed");

	a->has_sig = false;
	off = 0;
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 2, 1);
	ok(!xm_lsu_put(&w, a, 0), "codec: a certificate alone encodes");
	/* Twice: the second CERT TLV where the first ends. */
	tlv = buf + w.len;
	xm_put16(tlv, XM_TLV_ADVERT_CERT);
	xm_put16(tlv + 2, 1);
	tlv[4] = 0;
	w.len += XM_TLV_HDR_LEN + 1;
	xm_put16(buf + XM_MSG_HDR_LEN + 2,
		 (uint16_t)(xm_get16(buf + XM_MSG_HDR_LEN + 2) +
			    XM_TLV_HDR_LEN + 1));
	len = xm_msg_finish(&w, net_key);
	ok(len > 0 && !xm_msg_open(buf, (size_t)len, net_key, &m) &&
	   xm_lsu_next(&m, &off, b) == -EBADMSG,
	   "codec: two certificates are malformed");
	free(a);
	free(b);
}

/* ---- in the core: a chain 1 - 2 - 3, node 1 forging ---- */

static struct xm_kx *core_kx[3];
static int forge_mode;		/* 0: none, else which forgery */
static unsigned int forged;	/* LSUs rewritten */

enum { FORGE_SIGNED_BY_1 = 1, FORGE_UNSIGNED, FORGE_ALTERED,
       FORGE_FALSE_CLAIM };

/* Node 1's LSUs to node 2 carry a forged advert of node 3 instead. */
static void forge_tap(struct net *net, int to, uint32_t ifindex,
		      const struct xm_addr *from, uint8_t *msg, uint16_t *len)
{
	struct xm_advert *a = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	struct xm_msg_writer w;
	struct xm_msg m;
	int n;

	(void)net;
	(void)ifindex;
	(void)from;
	if (!a)
		abort();
	if (!forge_mode || to != 1 ||
	    xm_msg_open(msg, *len, net_key, &m) || m.hdr.sender != 1 ||
	    m.hdr.type != XM_MSG_LSU)
		goto out;
	advert3(a, UINT32_MAX);
	/* Unsigned, in node 3's name, a zone its certificate does not give:
	 * must not get node 3, an honest neighbor, refused. */
	if (forge_mode == FORGE_FALSE_CLAIM)
		strcpy(a->caps.zone, "rack-a");
	if (forge_mode == FORGE_SIGNED_BY_1) {
		xm_kx_advert_sign(core_kx[0], a);
	} else if (forge_mode == FORGE_ALTERED) {
		/* Node 3's real advert, signed: its sequence raised. */
		a->seq = 3;
		xm_kx_advert_sign(core_kx[2], a);
		a->seq = UINT32_MAX;
	}
	xm_msg_begin(&w, msg, XM_PDU_MAX, XM_MSG_LSU, m.hdr.flags, 1,
		     m.hdr.seq);
	if (xm_lsu_put(&w, a, 1))
		abort();
	n = xm_msg_finish(&w, net_key);
	if (n < 0)
		abort();
	*len = (uint16_t)n;
	forged++;
out:
	free(a);
}

/* Zones and roles of the certificates, as xmeshd takes them. */
static void cert_caps(struct net *net, int i, struct xm_core_config *cfg)
{
	(void)net;
	test_cert_caps(&cfg->caps, i);
}

static bool has_all(struct net *net, const void *arg)
{
	struct xm_node_status st;
	int i, count = 0;
	size_t k;

	(void)arg;
	for (i = 0; i < 3; i++)
		for (k = 0; xm_core_node(net->node[i].c, k, &st); k++)
			count++;
	return count == 9;
}

/* The sequence number of node's advert in node i's database, or 0. */
static uint32_t seq_at(struct net *net, int i, uint32_t node)
{
	struct xm_node_status st;
	size_t k;

	for (k = 0; xm_core_node(net->node[i].c, k, &st); k++)
		if (st.node == node)
			return st.lsa_seq;
	return 0;
}

static void core_forgery(int mode, const char *name, const char *reason)
{
	static struct net net;
	const struct xm_core_stats *st2;
	int w01[2] = { 0, 1 }, w12[2] = { 1, 2 };
	uint64_t bad3;

	core_kx[0] = kx_of(1, &k1, &cert1, &auth_cert, NULL);
	core_kx[1] = kx_of(2, &k2, &cert2, &auth_cert, NULL);
	core_kx[2] = kx_of(3, &k3, &cert3, &auth_cert, NULL);
	net_init(&net);
	net.unix_s = NOW;
	net.cfg_hook = cert_caps;
	memcpy(net.kx, core_kx, sizeof(core_kx));
	net_add_node(&net, 1);
	net_add_node(&net, 1);
	net_add_node(&net, 1);
	net_add_wire(&net, 2, w01);
	net_add_wire(&net, 2, w12);
	ok(net_until(&net, 10000, has_all, NULL),
	   "core %s: signed adverts of all three installed everywhere", name);
	st2 = xm_core_stats(net.node[1].c);
	ok(st2->lsa_bad_sig == 0 && st2->lsa_bad_claim == 0,
	   "core %s: none refused", name);
	bad3 = xm_core_stats(net.node[2].c)->lsa_bad_sig;
	forge_mode = mode;
	forged = 0;
	net.tap = forge_tap;
	/* Node 1's next LSU (its refresh, or any) carries the forgery. */
	xm_core_set_caps(net.node[0].c, net.now, &(struct xm_caps){
		.zone = "rack-a", .n_roles = 2, .roles = { "gpu", "web" },
		.cpu_cores = 8 });
	net_run(&net, 3000);
	forge_mode = 0;
	ok(forged > 0 && st2->lsa_bad_sig >= 1,
	   "core %s: node 2 drops it, counted (%u sent, %llu counted)", name,
	   forged, (unsigned long long)st2->lsa_bad_sig);
	ok(strstr(net.node[1].log.last_warn, reason) != NULL,
	   "core %s: logged with the reason (%s)", name,
	   net.node[1].log.last_warn);
	ok(seq_at(&net, 1, 3) < UINT32_MAX && seq_at(&net, 1, 3) > 0,
	   "core %s: never installed at node 2 (node 3's sequence %u)", name,
	   seq_at(&net, 1, 3));
	/* Had it come to node 3, node 3 would outnumber it: no sequence
	 * number is left above it. */
	ok(seq_at(&net, 2, 3) < UINT32_MAX &&
	   xm_core_stats(net.node[2].c)->lsa_bad_sig == bad3 &&
	   xm_core_stats(net.node[2].c)->limit_seq == 0,
	   "core %s: never flooded on to node 3 (its sequence %u, not exhausted)",
	   name, seq_at(&net, 2, 3));
	ok(net_neigh_state(&net, 1, 2, NULL) == XM_NEIGH_UP &&
	   !xm_kx_stats(core_kx[1])->refused[XM_KX_REFUSED_CLAIM],
	   "core %s: node 3 stays UP at node 2, not refused for the forger's claims",
	   name);
	net_free(&net);
	xm_kx_free(core_kx[0]);
	xm_kx_free(core_kx[1]);
	xm_kx_free(core_kx[2]);
}

int main(void)
{
	static const char *const zones[] = { "rack-a", "rack-b", "rack-c" };
	struct test_key *k[] = { &k1, &k2, &k3 };
	struct xm_cert *c[] = { &cert1, &cert2, &cert3 };
	uint32_t i;

	if (sodium_init() < 0)
		return 1;
	xm_kx_params_default(&params);
	test_sites_make(&auth, &auth_cert, &other_auth, &other_cert, NOW);
	for (i = 0; i < 3; i++) {
		test_key_make(k[i], (uint8_t)(3 + i));
		node_cert(c[i], &auth, "edge1", k[i], i + 1, 301 + i, zones[i]);
	}
	node_cert(&other3, &other_auth, "edge2", &k3, 3, 304, "rack-c");

	checks();
	codec();
	core_forgery(FORGE_SIGNED_BY_1, "signed by node 1", "node_mismatch");
	core_forgery(FORGE_UNSIGNED, "unsigned", "unsigned");
	core_forgery(FORGE_ALTERED, "altered", "bad_advert_signature");
	core_forgery(FORGE_FALSE_CLAIM, "unsigned, a false claim", "unsigned");
	return tap_done();
}
