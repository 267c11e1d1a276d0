/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Keys and certificates the certificate, key-exchange and signed-advert
 * tests (test_cert.c, test_kx.c, test_advert_sig.c) build: deterministic
 * keys from a seed byte, an authority valid from ten days before now for
 * ten years, node certificates with roles gpu and web, key exchanges.
 */
#ifndef XM_TEST_CERT_FIXTURES_H
#define XM_TEST_CERT_FIXTURES_H

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "kx.h"

#define FIXTURE_FN	static __attribute__((unused))
#define FIXTURE_DAY	UINT64_C(86400)

struct test_key {
	uint8_t sk[XM_SECKEY_LEN], pk[XM_PUBKEY_LEN], id[XM_KEY_ID_LEN];
};

/* The key pair of a seed of 32 seed_byte bytes, and its key id. */
FIXTURE_FN void test_key_make(struct test_key *k, uint8_t seed_byte)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	memset(seed, seed_byte, sizeof(seed));
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	xm_key_id(k->pk, k->id);
}

/* The self-signed authority certificate of k for site, at unix time now. */
FIXTURE_FN void test_authority_make(struct xm_cert *c,
				    const struct test_key *k,
				    const char *site, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	c->kind = XM_CERT_AUTHORITY;
	c->serial = 1000 + k->pk[0];
	snprintf(c->site, sizeof(c->site), "%s", site);
	memcpy(c->pubkey, k->pk, XM_PUBKEY_LEN);
	c->not_before = now - 10 * FIXTURE_DAY;
	c->not_after = now + 3650 * FIXTURE_DAY;
	if (xm_cert_sign(c, k->sk))
		abort();
}

/* The tests' two sites at now: edge1's authority (key of seed 1) and
 * another site's, edge2's (seed 2). */
FIXTURE_FN void test_sites_make(struct test_key *auth, struct xm_cert *cert,
				struct test_key *other,
				struct xm_cert *other_cert, uint64_t now)
{
	test_key_make(auth, 1);
	test_key_make(other, 2);
	test_authority_make(cert, auth, "edge1", now);
	test_authority_make(other_cert, other, "edge2", now);
}

/* The certificate of k for node in zone, roles gpu and web, signed by
 * signer for site, valid from not_before to not_after. */
FIXTURE_FN void test_node_cert_make(struct xm_cert *c,
				    const struct test_key *signer,
				    const char *site, const struct test_key *k,
				    uint32_t node, uint64_t serial,
				    const char *zone, uint64_t not_before,
				    uint64_t not_after)
{
	memset(c, 0, sizeof(*c));
	c->kind = XM_CERT_NODE;
	c->serial = serial;
	snprintf(c->site, sizeof(c->site), "%s", site);
	memcpy(c->pubkey, k->pk, XM_PUBKEY_LEN);
	c->node_id = node;
	snprintf(c->zone, sizeof(c->zone), "%s", zone);
	c->n_roles = 2;
	strcpy(c->roles[0], "gpu");
	strcpy(c->roles[1], "web");
	c->not_before = not_before;
	c->not_after = not_after;
	if (xm_cert_sign(c, signer->sk))
		abort();
}

/* The capabilities node certificates of test_node_cert_make() give node
 * index i: zone rack-a, rack-b..., roles gpu and web. */
FIXTURE_FN void test_cert_caps(struct xm_caps *caps, int i)
{
	snprintf(caps->zone, sizeof(caps->zone), "rack-%c", 'a' + i);
	caps->n_roles = 2;
	strcpy(caps->roles[0], "gpu");
	strcpy(caps->roles[1], "web");
}

/* The key exchange of node (key k, cert) at unix time now, or NULL with
 * the reason printed as a TAP comment. */
FIXTURE_FN struct xm_kx *test_kx_make(uint32_t node, const struct test_key *k,
				      const struct xm_cert *cert,
				      const struct xm_cert *authority,
				      const struct xm_crl *crl,
				      const struct xm_kx_params *params,
				      uint64_t now)
{
	unsigned int why;
	struct xm_kx *kx = xm_kx_new(node, k->sk, cert, authority, crl,
				     params, now, &why);

	if (!kx)
		printf("# xm_kx_new: %s\n", xm_kx_refusal_name(why));
	return kx;
}

#endif /* XM_TEST_CERT_FIXTURES_H */
