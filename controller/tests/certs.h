/* SPDX-License-Identifier: GPL-2.0 */
/* The certificates the controller's tests and fuzz targets sign for
 * themselves. */
#ifndef XM_TEST_CERTS_H
#define XM_TEST_CERTS_H

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

#define TEST_CERT_B64_MAX	1024

/*
 * A key pair in sk (from seed, or random when seed is NULL) and its
 * certificate in c: kind, serial, site "edge1", valid from now - 1 h to
 * now + 1 day, signed by by (by its own key when NULL: an authority); a
 * node's has node_id and zone "web". With b64 (TEST_CERT_B64_MAX bytes),
 * its binary in base64, as agents send it.
 */
static inline void test_cert_seed(struct xm_cert *c, enum xm_cert_kind kind,
				  uint64_t serial, uint32_t node_id,
				  int64_t now, const uint8_t *seed,
				  uint8_t sk[XM_SECKEY_LEN], const uint8_t *by,
				  char *b64)
{
	uint8_t signer[XM_SECKEY_LEN];

	/* by may be sk itself, about to be replaced. */
	if (by)
		memcpy(signer, by, sizeof(signer));
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->serial = serial;
	strcpy(c->site, "edge1");
	if (seed)
		crypto_sign_seed_keypair(c->pubkey, sk, seed);
	else
		crypto_sign_keypair(c->pubkey, sk);
	if (kind == XM_CERT_NODE) {
		c->node_id = node_id;
		strcpy(c->zone, "web");
	}
	c->not_before = (uint64_t)now - 3600;
	c->not_after = (uint64_t)now + 86400;
	if (xm_cert_sign(c, by ? signer : sk))
		abort();
	if (b64)
		sodium_bin2base64(b64, TEST_CERT_B64_MAX, c->raw, c->len,
				  sodium_base64_VARIANT_ORIGINAL);
}

/* The same with a random key pair. */
static inline void test_cert(struct xm_cert *c, enum xm_cert_kind kind,
			     uint64_t serial, uint32_t node_id, int64_t now,
			     uint8_t sk[XM_SECKEY_LEN], const uint8_t *by,
			     char *b64)
{
	test_cert_seed(c, kind, serial, node_id, now, NULL, sk, by, b64);
}

/* libsodium ready and the fuzz targets' authority: the same at every
 * run (its key in sk), so that a corpus stays meaningful. */
static inline void test_fuzz_authority(struct xm_cert *c,
				       uint8_t sk[XM_SECKEY_LEN], int64_t now)
{
	static const uint8_t seed[32] = "fuzzing authority, not secret..";

	if (sodium_init() < 0)
		abort();
	test_cert_seed(c, XM_CERT_AUTHORITY, 1, 0, now, seed, sk, NULL, NULL);
}

#endif /* XM_TEST_CERTS_H */
