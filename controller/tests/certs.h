/* SPDX-License-Identifier: GPL-2.0 */
/* The certificates the controller's tests sign for themselves. */
#ifndef XM_TEST_CERTS_H
#define XM_TEST_CERTS_H

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

#define TEST_CERT_B64_MAX	1024

/*
 * A new key pair in sk and its certificate in c: kind, serial, site
 * "edge1", valid from now - 1 h to now + 1 day, signed by by (by its own
 * key when NULL: an authority); a node's has node_id and zone "web". With
 * b64 (TEST_CERT_B64_MAX bytes), its binary in base64, as agents send it.
 */
static inline void test_cert(struct xm_cert *c, enum xm_cert_kind kind,
			     uint64_t serial, uint32_t node_id, int64_t now,
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
	crypto_sign_keypair(c->pubkey, sk);
	if (kind == XM_CERT_NODE) {
		c->node_id = node_id;
		strcpy(c->zone, "web");
	}
	c->not_before = (uint64_t)now - 3600;
	c->not_after = (uint64_t)now + 86400;
	if (xm_cert_sign(c, by ? signer : sk))
		exit(1);
	if (b64)
		sodium_bin2base64(b64, TEST_CERT_B64_MAX, c->raw, c->len,
				  sodium_base64_VARIANT_ORIGINAL);
}

#endif /* XM_TEST_CERTS_H */
