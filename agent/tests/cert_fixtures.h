/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Keys and authority certificates the certificate and key-exchange tests
 * (test_cert.c, test_kx.c) both build: deterministic keys from a seed
 * byte, and an authority valid from ten days before now for ten years.
 */
#ifndef XM_TEST_CERT_FIXTURES_H
#define XM_TEST_CERT_FIXTURES_H

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

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

#endif /* XM_TEST_CERT_FIXTURES_H */
