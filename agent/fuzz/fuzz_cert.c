// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the certificate and revocation list decoders
 * (core/cert.h). Certificates come from neighbors and lists from files an
 * operator copies around: neither may crash an agent. The signature would
 * stop most mutations before the verifier's later checks, so one mode
 * signs what it is given with the target's own authority key:
 *
 *   byte 0 % 4 == 0: the rest is a binary certificate: decoded, and
 *     verified against the authority (with and without its list);
 *   1: a binary revocation list: decoded, verified, accepted;
 *   2: armored text: decoded as a certificate and as a list;
 *   3: a body (header and TLVs, no signature) that the target signs
 *     (length field fixed up) with the authority key, then decodes and
 *     verifies as a certificate or list, by its kind byte.
 *
 * Whatever decodes must come back the same through the armored text, and
 * a certificate re-signed from its decoded fields must decode to the same
 * fields (prefixes included): a mismatch aborts (a decoder and encoder
 * that disagree); a certificate must give its own prefixes.
 *
 * XM_FUZZ_WRITE_SEEDS=DIR: write the seed corpus into DIR and exit.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

#define NOW	UINT64_C(1767225600)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static uint8_t auth_sk[XM_SECKEY_LEN];
static struct xm_cert auth;
static struct xm_crl *crl, *scratch_crl;
static char *text_buf;

static void check(bool cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_cert: %s\n", what);
		abort();
	}
}

static bool same_fields(const struct xm_cert *a, const struct xm_cert *b)
{
	unsigned int i;

	if (a->kind != b->kind || a->serial != b->serial ||
	    strcmp(a->site, b->site) ||
	    memcmp(a->pubkey, b->pubkey, XM_PUBKEY_LEN) ||
	    a->node_id != b->node_id || strcmp(a->zone, b->zone) ||
	    a->n_roles != b->n_roles || a->n_prefixes != b->n_prefixes ||
	    a->not_before != b->not_before || a->not_after != b->not_after)
		return false;
	for (i = 0; i < a->n_roles; i++)
		if (strcmp(a->roles[i], b->roles[i]))
			return false;
	for (i = 0; i < a->n_prefixes; i++)
		if (!xm_prefix_eq(&a->prefixes[i].addr, a->prefixes[i].len,
				  &b->prefixes[i].addr, b->prefixes[i].len))
			return false;
	return true;
}

static void cert_decoded(const struct xm_cert *c)
{
	static struct xm_cert d, e;
	size_t n;

	xm_cert_verify(c, 0, &auth, NULL, NOW);
	xm_cert_verify(c, XM_CERT_NODE, &auth, crl, NOW);
	xm_cert_verify(c, 0, c, NULL, c->not_before);
	n = xm_cert_text(c, text_buf, XM_CRL_TEXT_MAX);
	check(n && !xm_cert_decode_text(&d, text_buf, n) &&
	      d.len == c->len && !memcmp(d.raw, c->raw, c->len),
	      "a certificate does not come back from its text");
	/* The encoder must write what the decoder read. */
	e = *c;
	if (e.kind == XM_CERT_AUTHORITY)
		return;		/* self-signed: only for its own key */
	check(!xm_cert_sign(&e, auth_sk), "a decoded certificate cannot be signed");
	check(!xm_cert_decode(&d, e.raw, e.len) && same_fields(&d, c),
	      "a re-signed certificate decodes to other fields");
	/* And verify, when of the authority's site and time. */
	if (!strcmp(d.site, auth.site) && d.not_before >= auth.not_before &&
	    d.not_before <= auth.not_after)
		check(!xm_cert_verify(&d, 0, &auth, NULL, d.not_before),
		      "a certificate the authority signed does not verify");
}

static void crl_decoded(const struct xm_crl *l)
{
	size_t n;

	xm_crl_verify(l, &auth, NOW);
	xm_crl_accept(crl, l, &auth, NOW);
	xm_crl_accept(NULL, l, &auth, NOW);
	xm_crl_has(l, 77);
	n = xm_crl_text(l, text_buf, XM_CRL_TEXT_MAX);
	check(n && !xm_crl_decode_text(scratch_crl, text_buf, n) &&
	      scratch_crl->len == l->len &&
	      !memcmp(scratch_crl->raw, l->raw, l->len) &&
	      scratch_crl->n_serials == l->n_serials,
	      "a list does not come back from its text");
}

/* A certificate gives each of its own prefixes, and what they hold. */
static void prefixes_given(const struct xm_cert *c)
{
	struct xm_prefix4or6 p;
	unsigned int i;

	for (i = 0; i < c->n_prefixes; i++) {
		p = c->prefixes[i];
		check(xm_cert_gives_prefix(c, &p),
		      "a certificate does not give its own prefix");
		p.len = (uint8_t)(p.len + (p.len < xm_addr_bits(p.addr.family)));
		check(xm_cert_gives_prefix(c, &p),
		      "a certificate does not give a prefix inside its own");
	}
}

/* Exactly sized copies: ASan sees any read past the end. */
static void binary_cert(const uint8_t *data, size_t size)
{
	static struct xm_cert c;
	uint8_t *buf = malloc(size ? size : 1);

	memcpy(buf, data, size);
	if (!xm_cert_decode(&c, buf, size)) {
		cert_decoded(&c);
		prefixes_given(&c);
	}
	free(buf);
}

static void binary_crl(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);

	memcpy(buf, data, size);
	if (!xm_crl_decode(scratch_crl, buf, size)) {
		static struct xm_crl *l;

		if (!l)
			l = malloc(sizeof(*l));
		*l = *scratch_crl;
		crl_decoded(l);
	}
	free(buf);
}

static void text(const uint8_t *data, size_t size)
{
	static struct xm_cert c;
	char *buf = malloc(size ? size : 1);
	static struct xm_crl *l;

	if (!l)
		l = malloc(sizeof(*l));
	memcpy(buf, data, size);
	if (!xm_cert_decode_text(&c, buf, size))
		cert_decoded(&c);
	if (!xm_crl_decode_text(l, buf, size))
		crl_decoded(l);
	free(buf);
}

static void signed_body(const uint8_t *data, size_t size)
{
	uint8_t *buf;

	if (size < XM_CERT_HDR_LEN || size > XM_CRL_MAX - XM_SIG_LEN)
		return;
	buf = malloc(size + XM_SIG_LEN);
	memcpy(buf, data, size);
	buf[4] = (uint8_t)(size >> 8);
	buf[5] = (uint8_t)size;
	crypto_sign_detached(buf + size, NULL, buf, size, auth_sk);
	if (buf[3] == XM_CERT_CRL)
		binary_crl(buf, size + XM_SIG_LEN);
	else
		binary_cert(buf, size + XM_SIG_LEN);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 4) {
	case 0:
		binary_cert(data + 1, size - 1);
		break;
	case 1:
		binary_crl(data + 1, size - 1);
		break;
	case 2:
		text(data + 1, size - 1);
		break;
	default:
		signed_body(data + 1, size - 1);
		break;
	}
	return 0;
}

/* ---- the seed corpus ---- */

static void put_file(const char *dir, const char *name, uint8_t mode,
		     const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fputc(mode, f) == EOF || fwrite(p, 1, n, f) != n) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

static void write_seeds(const char *dir)
{
	static const uint8_t seed[crypto_sign_SEEDBYTES] = "a fuzzed node";
	static struct xm_cert c;
	uint8_t pk[XM_PUBKEY_LEN], sk[XM_SECKEY_LEN];
	size_t n;

	crypto_sign_seed_keypair(pk, sk, seed);
	memset(&c, 0, sizeof(c));
	c.kind = XM_CERT_NODE;
	c.serial = 77;
	strcpy(c.site, "fuzz");
	memcpy(c.pubkey, pk, sizeof(pk));
	c.node_id = 7;
	strcpy(c.zone, "rack-a");
	c.n_roles = 2;
	strcpy(c.roles[0], "gpu");
	strcpy(c.roles[1], "web");
	c.not_before = NOW - 86400;
	c.not_after = NOW + 86400;
	check(!xm_cert_sign(&c, auth_sk), "seed: sign");
	put_file(dir, "node", 0, c.raw, c.len);
	put_file(dir, "node-signed", 3, c.raw, c.len - XM_SIG_LEN);
	n = xm_cert_text(&c, text_buf, XM_CRL_TEXT_MAX);
	put_file(dir, "node-text", 2, text_buf, n);
	put_file(dir, "authority", 0, auth.raw, auth.len);
	c.n_prefixes = 3;
	check(!xm_parse_prefix("10.0.7.0/24", &c.prefixes[0].addr,
			       &c.prefixes[0].len) &&
	      !xm_parse_prefix("fd00:7::/64", &c.prefixes[1].addr,
			       &c.prefixes[1].len) &&
	      !xm_parse_prefix("0.0.0.0/0", &c.prefixes[2].addr,
			       &c.prefixes[2].len) &&
	      !xm_cert_sign(&c, auth_sk), "seed: sign with prefixes");
	put_file(dir, "node-prefixes", 0, c.raw, c.len);
	put_file(dir, "node-prefixes-signed", 3, c.raw, c.len - XM_SIG_LEN);
	c.n_prefixes = 0;
	c.kind = XM_CERT_POLICY;
	c.node_id = 0;
	c.zone[0] = '\0';
	c.n_roles = 0;
	check(!xm_cert_sign(&c, auth_sk), "seed: sign policy");
	put_file(dir, "policy-signed", 3, c.raw, c.len - XM_SIG_LEN);
	put_file(dir, "crl", 1, crl->raw, crl->len);
	put_file(dir, "crl-signed", 3, crl->raw, crl->len - XM_SIG_LEN);
	n = xm_crl_text(crl, text_buf, XM_CRL_TEXT_MAX);
	put_file(dir, "crl-text", 2, text_buf, n);
	sodium_memzero(sk, sizeof(sk));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t seed[crypto_sign_SEEDBYTES] =
		"fuzzing authority, not secret..";
	const char *dir = getenv("XM_FUZZ_WRITE_SEEDS");

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	text_buf = malloc(XM_CRL_TEXT_MAX);
	crl = calloc(1, sizeof(*crl));
	scratch_crl = calloc(1, sizeof(*scratch_crl));
	crypto_sign_seed_keypair(auth.pubkey, auth_sk, seed);
	auth.kind = XM_CERT_AUTHORITY;
	auth.serial = 1;
	strcpy(auth.site, "fuzz");
	auth.not_before = NOW - 86400;
	auth.not_after = NOW + 365 * 86400;
	check(!xm_cert_sign(&auth, auth_sk), "the authority");
	strcpy(crl->site, "fuzz");
	crl->version = 2;
	crl->issued = NOW;
	xm_crl_add(crl, 5);
	xm_crl_add(crl, 77);
	xm_crl_add(crl, 1000);
	check(!xm_crl_sign(crl, auth_sk), "the list");
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
