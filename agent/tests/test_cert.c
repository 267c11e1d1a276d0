// SPDX-License-Identifier: GPL-2.0
/*
 * Certificates and revocation lists (core/cert.h): the byte layout of
 * Documentation/certificates.md (built here by hand, independently of the
 * encoder), round trips, every refusal reason, every byte tampered, every
 * truncation, the strict decoding rules, the list's order and versions,
 * the armored text, and the xmesh cert tool.
 */
#include <errno.h>
#include <sodium.h>

#include "cert.h"
#include "cert_fixtures.h"
#include "tap.h"
#include "wire.h"

#define NOW	UINT64_C(1767225600)	/* 2026-01-01T00:00:00Z */
#define DAY	UINT64_C(86400)

/* The TLV types of the format, as the documentation numbers them. */
enum {
	T_SERIAL = 1, T_SITE, T_ISSUER, T_PUBKEY, T_NODE, T_ZONE, T_ROLE,
	T_NOT_BEFORE, T_NOT_AFTER, T_CRL_VERSION, T_ISSUED, T_SERIALS,
	T_PREFIX,
};
#define T_MANDATORY	0x8000

/* auth: the site authority of "edge1"; other: another site's ("edge2");
 * rogue: a second authority calling itself "edge1"; node, node2: nodes. */
static struct test_key auth, other, rogue, node, node2;
static struct xm_cert auth_cert, other_cert, rogue_cert;
static struct xm_crl *crl, *crl2;

/* The node certificate of the tests, unsigned. */
static void node_fields(struct xm_cert *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = XM_CERT_NODE;
	c->serial = 77;
	strcpy(c->site, "edge1");
	memcpy(c->pubkey, node.pk, XM_PUBKEY_LEN);
	c->node_id = 7;
	strcpy(c->zone, "rack-a");
	c->n_roles = 2;
	strcpy(c->roles[0], "gpu");
	strcpy(c->roles[1], "web");
	c->not_before = NOW - DAY;
	c->not_after = NOW + 365 * DAY;
}

static void node_cert(struct xm_cert *c, const struct test_key *signer)
{
	node_fields(c);
	if (xm_cert_sign(c, signer->sk))
		abort();
}

static bool cert_fields_eq(const struct xm_cert *a, const struct xm_cert *b)
{
	unsigned int i;

	if (a->kind != b->kind || a->serial != b->serial ||
	    strcmp(a->site, b->site) ||
	    memcmp(a->issuer, b->issuer, XM_KEY_ID_LEN) ||
	    memcmp(a->pubkey, b->pubkey, XM_PUBKEY_LEN) ||
	    a->node_id != b->node_id || strcmp(a->zone, b->zone) ||
	    a->n_roles != b->n_roles || a->n_prefixes != b->n_prefixes ||
	    a->not_before != b->not_before ||
	    a->not_after != b->not_after || a->len != b->len ||
	    memcmp(a->raw, b->raw, a->len))
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

/* "ADDR/LEN" into p (the test's own prefixes are valid). */
static void prefix_of(struct xm_prefix4or6 *p, const char *s)
{
	memset(p, 0, sizeof(*p));
	if (xm_parse_prefix(s, &p->addr, &p->len))
		abort();
}

static bool is_reason(enum xm_cert_reason got, enum xm_cert_reason want,
		      const char *name)
{
	bool pass = got == want;

	ok(pass, "%s", name);
	if (!pass)
		printf("#   got %s, want %s\n", xm_cert_reason_name(got),
		       xm_cert_reason_name(want));
	return pass;
}

/* ---- an encoder written from the documentation ---- */

struct field {
	uint16_t type;
	uint16_t len;
	uint8_t v[XM_CERT_MAX];
};

struct fields {
	uint8_t version, kind;
	int n;
	struct field f[32];
};

static void fs_add(struct fields *fs, uint16_t type, const void *v,
		   size_t len)
{
	struct field *f = &fs->f[fs->n++];

	f->type = type;
	f->len = (uint16_t)len;
	memcpy(f->v, v, len);
}

static void fs_u64(struct fields *fs, uint16_t type, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	fs_add(fs, type, b, 8);
}

static void fs_u32(struct fields *fs, uint16_t type, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	fs_add(fs, type, b, 4);
}

static void fs_str(struct fields *fs, uint16_t type, const char *s)
{
	fs_add(fs, type, s, strlen(s));
}

/* Remove every field of a type (mandatory bit ignored). */
static void fs_del(struct fields *fs, uint16_t type)
{
	int i, n = 0;

	for (i = 0; i < fs->n; i++)
		if ((fs->f[i].type & ~T_MANDATORY) != type)
			fs->f[n++] = fs->f[i];
	fs->n = n;
}

static struct field *fs_get(struct fields *fs, uint16_t type)
{
	int i;

	for (i = 0; i < fs->n; i++)
		if (fs->f[i].type == type)
			return &fs->f[i];
	return NULL;
}

/* Header, TLVs, then the signature by sk: the length. */
static size_t fs_encode(const struct fields *fs, const struct test_key *k,
			uint8_t *out)
{
	size_t n = 6;
	int i;

	out[0] = 0x58;
	out[1] = 0x43;
	out[2] = fs->version;
	out[3] = fs->kind;
	for (i = 0; i < fs->n; i++) {
		const struct field *f = &fs->f[i];

		out[n] = (uint8_t)(f->type >> 8);
		out[n + 1] = (uint8_t)f->type;
		out[n + 2] = (uint8_t)(f->len >> 8);
		out[n + 3] = (uint8_t)f->len;
		memcpy(out + n + 4, f->v, f->len);
		n += 4 + f->len;
	}
	out[4] = (uint8_t)(n >> 8);
	out[5] = (uint8_t)n;
	crypto_sign_detached(out + n, NULL, out, n, k->sk);
	return n + 64;
}

/* The test node certificate, field by field, as the encoder orders it. */
static void fs_node(struct fields *fs, const struct test_key *issuer)
{
	memset(fs, 0, sizeof(*fs));
	fs->version = 1;
	fs->kind = XM_CERT_NODE;
	fs_u64(fs, T_SERIAL, 77);
	fs_str(fs, T_SITE, "edge1");
	fs_add(fs, T_ISSUER, issuer->id, XM_KEY_ID_LEN);
	fs_add(fs, T_PUBKEY, node.pk, XM_PUBKEY_LEN);
	fs_u32(fs, T_NODE, 7);
	fs_str(fs, T_ZONE, "rack-a");
	fs_str(fs, T_ROLE, "gpu");
	fs_str(fs, T_ROLE, "web");
	fs_u64(fs, T_NOT_BEFORE, NOW - DAY);
	fs_u64(fs, T_NOT_AFTER, NOW + 365 * DAY);
}

static void fs_crl(struct fields *fs, uint64_t version,
		   const uint64_t *serials, size_t n)
{
	uint8_t b[8 * 32];
	size_t i;
	int j;

	memset(fs, 0, sizeof(*fs));
	fs->version = 1;
	fs->kind = XM_CERT_CRL;
	fs_str(fs, T_SITE, "edge1");
	fs_add(fs, T_ISSUER, auth.id, XM_KEY_ID_LEN);
	fs_u64(fs, T_CRL_VERSION, version);
	fs_u64(fs, T_ISSUED, NOW);
	for (i = 0; i < n; i++) {
		uint64_t v = serials[i];

		for (j = 7; j >= 0; j--, v >>= 8)
			b[8 * i + (size_t)j] = (uint8_t)v;
	}
	if (n)
		fs_add(fs, T_SERIALS, b, 8 * n);
}

static uint8_t wire[XM_CRL_MAX + 1024];

/* Set the length field of the body in wire and sign it by auth. */
static size_t resign(size_t body)
{
	wire[4] = (uint8_t)(body >> 8);
	wire[5] = (uint8_t)body;
	crypto_sign_detached(wire + body, NULL, wire, body, auth.sk);
	return body + 64;
}

/* Decode the node certificate fs describes (signed by auth). */
static enum xm_cert_reason fs_decode(const struct fields *fs,
				     struct xm_cert *c)
{
	size_t n = fs_encode(fs, &auth, wire);

	return xm_cert_decode(c, wire, n);
}

static enum xm_cert_reason fs_decode_crl(const struct fields *fs,
					 struct xm_crl *l)
{
	size_t n = fs_encode(fs, &auth, wire);

	return xm_crl_decode(l, wire, n);
}

/* ---- the tests ---- */

static void names(void)
{
	bool distinct = true, all = true;
	int i, j;

	for (i = 0; i <= XM_CERT_REASON_MAX; i++) {
		const char *n = xm_cert_reason_name(i);

		all &= n && *n && strcmp(n, "unknown") &&
		       *xm_cert_reason_text(i) &&
		       strcmp(xm_cert_reason_text(i), "unknown reason");
		for (j = 0; j < i; j++)
			distinct &= strcmp(n, xm_cert_reason_name(j)) != 0;
	}
	ok(all, "names: every reason has a name and a text");
	ok(distinct, "names: the reason names are distinct");
	is_str(xm_cert_reason_name(XM_CERT_OK), "ok", "names: ok");
	is_str(xm_cert_reason_name(XM_CERT_NOT_YET_VALID), "not_yet_valid",
	       "names: not_yet_valid");
	is_str(xm_cert_reason_name(XM_CERT_REASON_MAX + 1), "unknown",
	       "names: out of range is unknown");
	is_str(xm_cert_kind_name(XM_CERT_POLICY), "policy", "names: kind");
	ok(!xm_cert_kind_name(0) && !xm_cert_kind_name(5),
	   "names: unknown kinds have none");
}

static void keys(void)
{
	uint8_t id[XM_KEY_ID_LEN], pk[XM_PUBKEY_LEN], sk[XM_SECKEY_LEN];

	xm_key_id(auth.pk, id);
	ok(!memcmp(id, auth.id, sizeof(id)), "key id: the same key, the same id");
	ok(memcmp(auth.id, rogue.id, XM_KEY_ID_LEN),
	   "key id: another key, another id");
	crypto_generichash(id, sizeof(id), node.pk, XM_PUBKEY_LEN, NULL, 0);
	ok(!memcmp(id, node.id, sizeof(id)), "key id: BLAKE2b-128 of the key");
	ok(xm_seckey_check(node.sk, pk) && !memcmp(pk, node.pk, sizeof(pk)),
	   "secret key: a whole key passes, with its public key");
	memcpy(sk, node.sk, sizeof(sk));
	sk[40] ^= 1;
	ok(!xm_seckey_check(sk, pk), "secret key: a damaged public half fails");
	memcpy(sk, node.sk, sizeof(sk));
	sk[3] ^= 1;
	ok(!xm_seckey_check(sk, pk), "secret key: a damaged seed fails");
	ok(xm_wire_name_valid("edge-1.a_b", false) &&
	   xm_wire_name_valid("", true) && !xm_wire_name_valid("", false) &&
	   !xm_wire_name_valid("a b", true) &&
	   !xm_wire_name_valid("0123456789012345678901234567890x", true) &&
	   xm_wire_name_valid("0123456789012345678901234567890", true),
	   "names: printable, no blanks, 31 bytes at most");
}

static void layout(void)
{
	struct xm_cert c, d;
	struct fields fs;
	size_t n;
	int i;

	node_cert(&c, &auth);
	fs_node(&fs, &auth);
	n = fs_encode(&fs, &auth, wire);
	ok(n == c.len && !memcmp(wire, c.raw, n),
	   "layout: the encoder writes the documented bytes (%zu)", n);
	is_int(c.raw[0] << 8 | c.raw[1], 0x5843, "layout: magic \"XC\"");
	is_int(c.raw[4] << 8 | c.raw[5], (long long)c.len - 64,
	       "layout: the length field excludes the signature");
	ok(!crypto_sign_verify_detached(c.raw + c.len - 64, c.raw, c.len - 64,
					auth.pk),
	   "layout: Ed25519 over the bytes before the signature");

	/* The largest certificate this version can make. */
	node_fields(&d);
	memset(d.site, 'S', 31);
	memset(d.zone, 'Z', 31);
	d.n_roles = XM_ROLE_MAX;
	for (i = 0; i < XM_ROLE_MAX; i++) {
		memset(d.roles[i], 'r', 31);
		d.roles[i][0] = (char)('a' + i);
	}
	d.n_prefixes = XM_CERT_PREFIX_MAX;
	for (i = 0; i < XM_CERT_PREFIX_MAX; i++) {
		prefix_of(&d.prefixes[i], "fd00::/128");
		d.prefixes[i].addr.raw[15] = (uint8_t)i;
	}
	is_int(xm_cert_sign(&d, auth.sk), 0, "layout: the largest signs");
	is_int(d.len, 696, "layout: the largest is 696 bytes");
	is_reason(xm_cert_decode(&c, d.raw, d.len), XM_CERT_OK,
		  "layout: and decodes");
	ok(XM_ARMOR_LEN(XM_CERT_MAX) <= XM_CERT_TEXT_MAX &&
	   xm_cert_text(&d, (char *)wire, XM_CERT_TEXT_MAX) > 0,
	   "layout: its text fits XM_CERT_TEXT_MAX");
}

/*
 * Sign c, decode it: every field (prefixes in order) comes back, and it
 * verifies as its kind. what: the tests' prefix.
 */
static void sign_round_trip(struct xm_cert *c, const char *what)
{
	char name[64];
	struct xm_cert d;

	ok(!xm_cert_sign(c, auth.sk), "%s: signs", what);
	ok(xm_cert_decode(&d, c->raw, c->len) == XM_CERT_OK &&
	   cert_fields_eq(c, &d), "%s: decodes, every field comes back", what);
	snprintf(name, sizeof(name), "%s: verifies", what);
	is_reason(xm_cert_verify(&d, c->kind, &auth_cert, NULL, NOW),
		  XM_CERT_OK, name);
}

static void round_trips(void)
{
	struct xm_cert c, d;
	char text[XM_CERT_TEXT_MAX];
	size_t n;

	is_reason(xm_cert_decode(&d, auth_cert.raw, auth_cert.len), XM_CERT_OK,
		  "authority: decodes");
	ok(cert_fields_eq(&auth_cert, &d), "authority: every field comes back");
	ok(!memcmp(d.issuer, auth.id, XM_KEY_ID_LEN),
	   "authority: its issuer is its own key id");
	is_reason(xm_cert_verify(&d, XM_CERT_AUTHORITY, &auth_cert, NULL, NOW),
		  XM_CERT_OK, "authority: verifies as itself");

	node_cert(&c, &auth);
	is_reason(xm_cert_decode(&d, c.raw, c.len), XM_CERT_OK,
		  "node: decodes");
	ok(cert_fields_eq(&c, &d), "node: every field comes back");
	is_str(d.roles[1], "web", "node: roles in order");
	n = xm_cert_text(&c, text, sizeof(text));
	ok(n > 0 && n == strlen(text), "node: armored text");
	ok(!strncmp(text, "-----BEGIN XMESH CERTIFICATE-----\n", 34) &&
	   strstr(text, "\n-----END XMESH CERTIFICATE-----\n"),
	   "node: BEGIN and END lines");
	is_reason(xm_cert_decode_text(&d, text, n), XM_CERT_OK,
		  "node: text decodes");
	ok(cert_fields_eq(&c, &d), "node: the same from text");
	is_reason(xm_cert_check_text(&d, text, n, XM_CERT_NODE, &auth_cert,
				     NULL, NOW),
		  XM_CERT_OK, "node: check_text decodes and verifies");
	ok(!xm_cert_text(&c, text, n), "node: no text into too small a buffer");

	node_fields(&c);
	c.kind = XM_CERT_POLICY;
	c.node_id = 0;
	c.zone[0] = '\0';
	c.n_roles = 0;
	sign_round_trip(&c, "policy");

	node_fields(&c);
	c.zone[0] = '\0';
	c.n_roles = 0;
	is_int(xm_cert_sign(&c, auth.sk), 0, "node: no zone, no roles");
	is_reason(xm_cert_decode(&d, c.raw, c.len), XM_CERT_OK,
		  "node: the default zone decodes");
	ok(!d.zone[0] && !d.n_roles, "node: default zone, no roles");
}

/* Make the test node certificate unsignable in the i-th way: what. */
static const char *unsignable(struct xm_cert *c, int i, uint8_t *sk)
{
	node_fields(c);
	memcpy(sk, auth.sk, XM_SECKEY_LEN);
	switch (i) {
	case 0:
		c->kind = 0;
		return "sign: kind 0";
	case 1:
		c->kind = XM_CERT_CRL;
		return "sign: kind crl";
	case 2:
		c->serial = 0;
		return "sign: serial 0";
	case 3:
		c->site[0] = '\0';
		return "sign: an empty site";
	case 4:
		strcpy(c->site, "ed ge");
		return "sign: a site with a blank";
	case 5:
		memset(c->site, 'x', 32);
		return "sign: a site of 32 bytes";
	case 6:
		c->node_id = 0;
		return "sign: node id 0";
	case 7:
		strcpy(c->zone, "a\tb");
		return "sign: a zone with a tab";
	case 8:
		c->roles[1][0] = '\0';
		return "sign: an empty role";
	case 9:
		c->n_roles = 9;
		return "sign: 9 roles";
	case 10:
		strcpy(c->roles[1], "gpu");
		return "sign: a role twice";
	case 11:
		c->not_before = c->not_after;
		return "sign: not-before = not-after";
	case 12:
		c->not_before = c->not_after + 1;
		return "sign: not-before > not-after";
	case 13:
		c->kind = XM_CERT_POLICY;
		c->zone[0] = '\0';
		c->n_roles = 0;
		return "sign: a policy certificate with a node id";
	case 14:
		c->kind = XM_CERT_POLICY;
		c->node_id = 0;
		c->n_roles = 0;
		return "sign: a policy certificate with a zone";
	case 15:
		c->kind = XM_CERT_AUTHORITY;
		c->node_id = 0;
		c->zone[0] = '\0';
		memcpy(c->pubkey, auth.pk, XM_PUBKEY_LEN);
		return "sign: an authority certificate with roles";
	case 16:
		c->kind = XM_CERT_AUTHORITY;
		c->node_id = 0;
		c->zone[0] = '\0';
		c->n_roles = 0;
		return "sign: an authority certificate for another key";
	case 17:
		sk[50] ^= 0x10;
		return "sign: a damaged secret key";
	}
	return NULL;
}

static void sign_refusals(void)
{
	uint8_t sk[XM_SECKEY_LEN];
	struct xm_cert c;
	const char *what;
	int i;

	for (i = 0; (what = unsignable(&c, i, sk)); i++)
		is_int(xm_cert_sign(&c, sk), -EINVAL, what);
	node_fields(&c);
	is_int(xm_cert_sign(&c, auth.sk), 0, "sign: (and unchanged, it signs)");
}

static void reasons(void)
{
	struct xm_cert c, d, bad_auth;
	struct fields fs;
	size_t n;

	node_cert(&c, &auth);
	is_reason(xm_cert_verify(&c, XM_CERT_NODE, &auth_cert, NULL, NOW),
		  XM_CERT_OK, "verify: a node certificate is ok");
	is_reason(xm_cert_verify(&c, 0, &auth_cert, NULL, NOW), XM_CERT_OK,
		  "verify: any kind");
	is_reason(xm_cert_verify(&c, XM_CERT_POLICY, &auth_cert, NULL, NOW),
		  XM_CERT_WRONG_KIND, "wrong_kind: a node's where a policy key's is wanted");
	is_reason(xm_cert_verify(&auth_cert, XM_CERT_NODE, &auth_cert, NULL,
				 NOW),
		  XM_CERT_WRONG_KIND, "wrong_kind: the authority's as a node's");
	is_reason(xm_cert_verify(&rogue_cert, 0, &auth_cert, NULL, NOW),
		  XM_CERT_WRONG_KIND,
		  "wrong_kind: another authority certificate (no chains)");
	is_reason(xm_cert_decode(&d, crl->raw, crl->len), XM_CERT_WRONG_KIND,
		  "wrong_kind: a revocation list decoded as a certificate");

	node_cert(&d, &other);
	strcpy(d.site, "edge2");
	is_int(xm_cert_sign(&d, other.sk), 0, "(another site's node)");
	is_reason(xm_cert_verify(&d, XM_CERT_NODE, &auth_cert, NULL, NOW),
		  XM_CERT_WRONG_SITE, "wrong_site: another site's certificate");
	is_reason(xm_cert_verify(&other_cert, 0, &auth_cert, NULL, NOW),
		  XM_CERT_WRONG_KIND,
		  "wrong_kind before wrong_site: another site's authority");

	node_cert(&d, &rogue);
	is_reason(xm_cert_verify(&d, XM_CERT_NODE, &auth_cert, NULL, NOW),
		  XM_CERT_UNKNOWN_ISSUER,
		  "unknown_issuer: the same site name, another authority");

	/* Forged: claims the authority's key id, signed by the rogue. */
	fs_node(&fs, &auth);
	n = fs_encode(&fs, &rogue, wire);
	is_reason(xm_cert_decode(&d, wire, n), XM_CERT_OK, "(forged decodes)");
	is_reason(xm_cert_verify(&d, XM_CERT_NODE, &auth_cert, NULL, NOW),
		  XM_CERT_BAD_SIGNATURE, "bad_signature: forged");
	/* Altered: another node id in the authority's certificate. */
	d = c;
	d.raw[6 + 12 + 9 + 20 + 36 + 7] ^= 0x02;	/* NODE's last byte */
	is_reason(xm_cert_decode(&d, d.raw, d.len), XM_CERT_OK,
		  "(altered decodes)");
	is_int(d.node_id, 5, "(altered: node 5)");
	is_reason(xm_cert_verify(&d, XM_CERT_NODE, &auth_cert, NULL, NOW),
		  XM_CERT_BAD_SIGNATURE, "bad_signature: altered node id");

	is_reason(xm_cert_verify(&c, XM_CERT_NODE, &auth_cert, NULL,
				 c.not_before - 1),
		  XM_CERT_NOT_YET_VALID, "not_yet_valid: a second early");
	is_reason(xm_cert_verify(&c, XM_CERT_NODE, &auth_cert, NULL,
				 c.not_before),
		  XM_CERT_OK, "validity: not-before is included");
	is_reason(xm_cert_verify(&c, XM_CERT_NODE, &auth_cert, NULL,
				 c.not_after),
		  XM_CERT_OK, "validity: not-after is included");
	is_reason(xm_cert_verify(&c, XM_CERT_NODE, &auth_cert, NULL,
				 c.not_after + 1),
		  XM_CERT_EXPIRED, "expired: a second late");

	is_reason(xm_cert_verify(&c, XM_CERT_NODE, &auth_cert, crl, NOW),
		  XM_CERT_REVOKED, "revoked: serial 77 is in the list");
	is_reason(xm_cert_verify(&c, XM_CERT_NODE, &auth_cert, crl2, NOW),
		  XM_CERT_OK, "revocation: a list without it");
	is_reason(xm_cert_verify(&c, XM_CERT_NODE, &auth_cert, NULL,
				 c.not_after + 1),
		  XM_CERT_EXPIRED, "expired is told before revoked");

	/* The trust anchor itself. */
	is_reason(xm_cert_verify(&c, XM_CERT_NODE, &c, NULL, NOW),
		  XM_CERT_BAD_AUTHORITY, "bad_authority: a node certificate");
	is_reason(xm_cert_verify(&c, XM_CERT_NODE, &auth_cert, NULL,
				 auth_cert.not_before - 1),
		  XM_CERT_BAD_AUTHORITY, "bad_authority: not valid yet");
	is_reason(xm_cert_verify(&c, XM_CERT_NODE, &auth_cert, NULL,
				 auth_cert.not_after + 1),
		  XM_CERT_BAD_AUTHORITY, "bad_authority: expired");
	bad_auth = auth_cert;
	bad_auth.raw[bad_auth.len - 1] ^= 0x40;
	is_reason(xm_cert_verify(&c, XM_CERT_NODE, &bad_auth, NULL, NOW),
		  XM_CERT_BAD_AUTHORITY, "bad_authority: a bad self-signature");
	/* An authority certificate for the rogue's key, by the authority. */
	memset(&fs, 0, sizeof(fs));
	fs.version = 1;
	fs.kind = XM_CERT_AUTHORITY;
	fs_u64(&fs, T_SERIAL, 9);
	fs_str(&fs, T_SITE, "edge1");
	fs_add(&fs, T_ISSUER, auth.id, XM_KEY_ID_LEN);
	fs_add(&fs, T_PUBKEY, rogue.pk, XM_PUBKEY_LEN);
	fs_u64(&fs, T_NOT_BEFORE, NOW - DAY);
	fs_u64(&fs, T_NOT_AFTER, NOW + DAY);
	is_reason(fs_decode(&fs, &bad_auth), XM_CERT_OK, "(not self-signed)");
	is_reason(xm_cert_verify(&c, XM_CERT_NODE, &bad_auth, NULL, NOW),
		  XM_CERT_BAD_AUTHORITY, "bad_authority: not self-signed");
	is_reason(xm_cert_verify(&bad_auth, 0, &auth_cert, NULL, NOW),
		  XM_CERT_WRONG_KIND,
		  "wrong_kind: an authority certificate for another key");

	/* The list. */
	{
		struct xm_crl *l = malloc(sizeof(*l));

		*l = *crl;
		l->raw[l->len - 3] ^= 1;
		is_reason(xm_cert_verify(&c, XM_CERT_NODE, &auth_cert, l, NOW),
			  XM_CERT_BAD_CRL, "bad_crl: a list altered");
		l->n_serials = 0;
		strcpy(l->site, "edge1");
		l->version = 1;
		is_int(xm_crl_sign(l, rogue.sk), 0, "(the rogue's list)");
		is_reason(xm_cert_verify(&c, XM_CERT_NODE, &auth_cert, l, NOW),
			  XM_CERT_BAD_CRL, "bad_crl: another authority's list");
		is_reason(xm_crl_verify(l, &auth_cert, NOW),
			  XM_CERT_UNKNOWN_ISSUER, "crl verify: unknown_issuer");
		strcpy(l->site, "edge2");
		is_int(xm_crl_sign(l, other.sk), 0, "(another site's list)");
		is_reason(xm_crl_verify(l, &auth_cert, NOW),
			  XM_CERT_WRONG_SITE, "crl verify: wrong_site");
		is_reason(xm_crl_verify(crl, &c, NOW), XM_CERT_BAD_AUTHORITY,
			  "crl verify: bad_authority");
		is_reason(xm_crl_verify(crl, &auth_cert, NOW), XM_CERT_OK,
			  "crl verify: the authority's list");
		free(l);
	}

	is_reason(xm_cert_decode(&d, "garbage", 7), XM_CERT_MALFORMED,
		  "malformed: garbage");
	is_reason(xm_cert_decode(&d, "", 0), XM_CERT_MALFORMED,
		  "malformed: nothing");
	d = c;
	d.raw[2] = 2;
	is_reason(xm_cert_decode(&d, d.raw, d.len), XM_CERT_BAD_VERSION,
		  "bad_version: version 2");
	d.raw[0] = 'Y';
	is_reason(xm_cert_decode(&d, d.raw, d.len), XM_CERT_MALFORMED,
		  "malformed: bad magic, before the version");
}

/*
 * Flip bits in every byte of an object: decoding and verifying the
 * result must never give ok. Returns the positions that passed.
 */
static int tamper_cert(const struct xm_cert *orig, const struct xm_cert *anchor,
		       bool tamper_anchor)
{
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	struct xm_cert t, a;
	int passed = 0;
	size_t i, m;

	for (i = 0; i < (tamper_anchor ? anchor->len : orig->len); i++) {
		for (m = 0; m < sizeof(masks); m++) {
			enum xm_cert_reason r;

			t = *orig;
			a = *anchor;
			if (tamper_anchor) {
				a.raw[i] ^= masks[m];
				r = xm_cert_decode(&a, a.raw, a.len);
			} else {
				t.raw[i] ^= masks[m];
				r = xm_cert_decode(&t, t.raw, t.len);
			}
			if (!r)
				r = xm_cert_verify(&t, 0, &a, NULL, NOW);
			if (!r) {
				printf("#   byte %zu ^ 0x%02x passed\n", i,
				       masks[m]);
				passed++;
			}
		}
	}
	return passed;
}

static void tampering(void)
{
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	struct xm_crl *t = malloc(sizeof(*t));
	struct xm_cert c;
	int passed = 0;
	size_t i, m;

	node_cert(&c, &auth);
	is_int(tamper_cert(&c, &auth_cert, false), 0,
	       "tamper: no altered byte of a node certificate passes");
	is_int(tamper_cert(&auth_cert, &auth_cert, false), 0,
	       "tamper: no altered byte of the authority's passes as itself");
	is_int(tamper_cert(&c, &auth_cert, true), 0,
	       "tamper: no altered authority lets a certificate pass");
	for (i = 0; i < crl->len; i++) {
		for (m = 0; m < sizeof(masks); m++) {
			enum xm_cert_reason r;

			memcpy(t->raw, crl->raw, crl->len);
			t->raw[i] ^= masks[m];
			r = xm_crl_decode(t, t->raw, crl->len);
			if (!r)
				r = xm_crl_accept(NULL, t, &auth_cert, NOW);
			passed += r == XM_CERT_OK;
		}
	}
	is_int(passed, 0, "tamper: no altered byte of a list passes");
	free(t);
}

static void truncations(void)
{
	struct xm_crl *l = malloc(sizeof(*l));
	char text[XM_CERT_TEXT_MAX + 8];
	struct xm_cert c, d;
	int bad = 0, text_ok = 0;
	size_t i, n;

	node_cert(&c, &auth);
	for (i = 0; i < c.len; i++)
		bad += xm_cert_decode(&d, c.raw, i) != XM_CERT_MALFORMED;
	is_int(bad, 0, "truncated: every shorter certificate is malformed");
	memcpy(wire, c.raw, c.len);
	wire[c.len] = 0;
	is_reason(xm_cert_decode(&d, wire, c.len + 1), XM_CERT_MALFORMED,
		  "trailing: a byte more is malformed");
	bad = 0;
	for (i = 0; i < crl->len; i++)
		bad += xm_crl_decode(l, crl->raw, i) != XM_CERT_MALFORMED;
	is_int(bad, 0, "truncated: every shorter list is malformed");
	memcpy(wire, crl->raw, crl->len);
	is_reason(xm_crl_decode(l, wire, crl->len + 1), XM_CERT_MALFORMED,
		  "trailing: a list with a byte more is malformed");

	n = xm_cert_text(&c, text, sizeof(text));
	for (i = 0; i < n; i++)
		if (xm_cert_decode_text(&d, text, i) == XM_CERT_OK)
			text_ok++;
	/* Only the text without its last line break is whole. */
	is_int(text_ok, 1, "truncated: no shorter text but the last newline's");
	free(l);
}

static void text_rules(void)
{
	char text[XM_CERT_TEXT_MAX], buf[2 * XM_CERT_TEXT_MAX];
	struct xm_crl *l = malloc(sizeof(*l));
	struct xm_cert c, d;
	char *p, *q;
	size_t n, i, line;
	bool lines_ok = true;

	node_cert(&c, &auth);
	n = xm_cert_text(&c, text, sizeof(text));
	/* Lines of 64, the last one at most that. */
	for (p = strchr(text, '\n') + 1, line = 0; strncmp(p, "-----END", 8);
	     p = q + 1, line++) {
		size_t len;

		q = strchr(p, '\n');
		len = (size_t)(q - p);
		if (strncmp(q + 1, "-----END", 8) ? len != 64 :
						    !len || len > 64)
			lines_ok = false;
	}
	ok(lines_ok && line == (c.len + 47) / 48,
	   "text: base64 in lines of 64 characters");

	snprintf(buf, sizeof(buf), "\n  \n%s\n\n", text);
	is_reason(xm_cert_decode_text(&d, buf, strlen(buf)), XM_CERT_OK,
		  "text: blank lines around are fine");
	for (i = 0, q = buf; i < n; i++) {
		if (text[i] == '\n')
			*q++ = '\r';
		*q++ = text[i];
	}
	is_reason(xm_cert_decode_text(&d, buf, (size_t)(q - buf)), XM_CERT_OK,
		  "text: CRLF line ends are fine");
	ok(cert_fields_eq(&c, &d), "text: the same certificate from CRLF");

	snprintf(buf, sizeof(buf), "%sx\n", text);
	is_reason(xm_cert_decode_text(&d, buf, strlen(buf)), XM_CERT_MALFORMED,
		  "text: something after END is malformed");
	snprintf(buf, sizeof(buf), "# comment\n%s", text);
	is_reason(xm_cert_decode_text(&d, buf, strlen(buf)), XM_CERT_MALFORMED,
		  "text: something before BEGIN is malformed");
	snprintf(buf, sizeof(buf), "%s%s", text, text);
	is_reason(xm_cert_decode_text(&d, buf, strlen(buf)), XM_CERT_MALFORMED,
		  "text: two certificates in one are malformed");
	memcpy(buf, text, n + 1);
	buf[40] = '\0';
	is_reason(xm_cert_decode_text(&d, buf, n), XM_CERT_MALFORMED,
		  "text: a NUL inside is malformed");
	memcpy(buf, text, n + 1);
	buf[40] = '*';
	is_reason(xm_cert_decode_text(&d, buf, n), XM_CERT_MALFORMED,
		  "text: a character outside base64 is malformed");
	memcpy(buf, text, n + 1);
	buf[33] = ' ';	/* the BEGIN line's newline */
	is_reason(xm_cert_decode_text(&d, buf, n), XM_CERT_MALFORMED,
		  "text: base64 on the BEGIN line is malformed");
	memcpy(buf, text, n + 1);
	p = strstr(buf, "\n-----END");
	*p = ' ';
	is_reason(xm_cert_decode_text(&d, buf, n), XM_CERT_MALFORMED,
		  "text: END not at the start of a line is malformed");
	memcpy(buf, text, n + 1);
	p = strstr(buf, "=\n-----END");
	if (p) {
		memmove(p, p + 1, strlen(p));
		is_reason(xm_cert_decode_text(&d, buf, n - 1),
			  XM_CERT_MALFORMED, "text: missing padding is malformed");
	} else {
		ok(false, "text: the test certificate has padding");
	}
	memcpy(buf, text, n + 1);
	memcpy(buf + 11, "XMESH CERTIFICATF", 17);
	is_reason(xm_cert_decode_text(&d, buf, n), XM_CERT_MALFORMED,
		  "text: another label is malformed");
	is_reason(xm_crl_decode_text(l, text, n), XM_CERT_WRONG_KIND,
		  "text: a certificate given as a list is wrong_kind");
	n = xm_crl_text(crl, buf, sizeof(buf));
	ok(n > 0, "text: a list as text");
	is_reason(xm_cert_decode_text(&d, buf, n), XM_CERT_WRONG_KIND,
		  "text: a list given as a certificate is wrong_kind");
	is_int(xm_unarmor(text, strlen(text), XM_CERT_LABEL, (uint8_t *)buf,
			  10), -EMSGSIZE, "text: more bytes than room: -EMSGSIZE");
	is_int(xm_armor(buf, sizeof(buf), "L", (const uint8_t *)"", 0),
	       (long long)strlen("-----BEGIN L-----\n-----END L-----\n"),
	       "text: nothing armored is two lines");
	is_int(xm_unarmor(buf, strlen(buf), "L", (uint8_t *)text, 8), 0,
	       "text: and gives nothing back");
	free(l);
}

/* Decoding rules, one field at a time, on hand-built encodings. */
static void strictness(void)
{
	static const uint16_t required[] = {
		T_SERIAL, T_SITE, T_ISSUER, T_PUBKEY, T_NODE, T_NOT_BEFORE,
		T_NOT_AFTER,
	};
	/* The node baseline as another kind, without up to three fields. */
	static const struct {
		enum xm_cert_kind kind;
		uint16_t del[3];
		enum xm_cert_reason want;
		const char *name;
	} kinds[] = {
		{ XM_CERT_NODE, { T_ZONE, T_ROLE }, XM_CERT_OK,
		  "strict: zone and roles are optional" },
		{ XM_CERT_AUTHORITY, { T_ZONE, T_ROLE }, XM_CERT_MALFORMED,
		  "strict: a node id in an authority certificate" },
		{ XM_CERT_POLICY, { T_NODE, T_ROLE }, XM_CERT_MALFORMED,
		  "strict: a zone in a policy certificate" },
		{ XM_CERT_POLICY, { T_NODE, T_ZONE }, XM_CERT_MALFORMED,
		  "strict: roles in a policy certificate" },
		{ XM_CERT_POLICY, { T_NODE, T_ZONE, T_ROLE }, XM_CERT_OK,
		  "strict: the bare policy certificate decodes" },
	};
	/* A field of length len, or (zero_at not 0) with v[zero_at] = 0. */
	static const struct {
		uint16_t type;
		uint16_t len, zero_at;
		const char *name;
	} cut[] = {
		{ T_SERIAL, 0, 7, "strict: serial 0" },
		{ T_SERIAL, 7, 0, "strict: a serial of 7 bytes" },
		{ T_NODE, 0, 3, "strict: node id 0" },
		{ T_NODE, 3, 0, "strict: a node id of 3 bytes" },
		{ T_PUBKEY, 31, 0, "strict: a public key of 31 bytes" },
		{ T_ISSUER, 17, 0, "strict: a key id of 17 bytes" },
		{ T_SITE, 0, 0, "strict: empty site" },
	};
	struct fields fs, base;
	struct xm_cert c, ref;
	struct field *f;
	uint8_t pad[XM_CERT_MAX];
	size_t i, j;
	bool all;

	fs_node(&base, &auth);
	node_cert(&ref, &auth);
	fs = base;
	is_reason(fs_decode(&fs, &c), XM_CERT_OK, "strict: the baseline decodes");

	fs = base;
	fs_str(&fs, 100, "a later, optional field");
	is_reason(fs_decode(&fs, &c), XM_CERT_OK,
		  "strict: an unknown field is skipped");
	ok(c.node_id == 7 && c.n_roles == 2 && c.not_after == ref.not_after,
	   "strict: the fields around it are read");
	is_reason(xm_cert_verify(&c, XM_CERT_NODE, &auth_cert, NULL, NOW),
		  XM_CERT_OK, "strict: and it verifies (signed bytes kept)");
	fs = base;
	fs_str(&fs, T_MANDATORY | 100, "a later, mandatory field");
	is_reason(fs_decode(&fs, &c), XM_CERT_MALFORMED,
		  "strict: an unknown mandatory field is refused");
	fs = base;
	fs_get(&fs, T_SITE)->type |= T_MANDATORY;
	is_reason(fs_decode(&fs, &c), XM_CERT_OK,
		  "strict: a known field marked mandatory is fine");
	fs = base;
	fs_str(&fs, T_SITE, "edge1");
	is_reason(fs_decode(&fs, &c), XM_CERT_MALFORMED,
		  "strict: a field twice is refused");
	fs = base;
	fs_str(&fs, T_SITE | T_MANDATORY, "edge1");
	is_reason(fs_decode(&fs, &c), XM_CERT_MALFORMED,
		  "strict: twice, once marked mandatory, is refused");

	all = true;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		fs = base;
		fs_del(&fs, required[i]);
		all &= fs_decode(&fs, &c) == XM_CERT_MALFORMED;
	}
	ok(all, "strict: without any required field, malformed");
	/* Optional fields, and fields out of place. */
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		fs = base;
		fs.kind = kinds[i].kind;
		for (j = 0; j < 3 && kinds[i].del[j]; j++)
			fs_del(&fs, kinds[i].del[j]);
		is_reason(fs_decode(&fs, &c), kinds[i].want, kinds[i].name);
	}
	fs = base;
	fs_u64(&fs, T_CRL_VERSION, 1);
	is_reason(fs_decode(&fs, &c), XM_CERT_MALFORMED,
		  "strict: a list's field in a certificate");

	/* Values: a field cut short, or its last byte zeroed. */
	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		fs = base;
		f = fs_get(&fs, cut[i].type);
		if (cut[i].zero_at)
			f->v[cut[i].zero_at] = 0;
		else
			f->len = cut[i].len;
		is_reason(fs_decode(&fs, &c), XM_CERT_MALFORMED, cut[i].name);
	}
	fs = base;
	f = fs_get(&fs, T_SITE);
	memset(f->v, 's', 32);
	f->len = 32;
	is_reason(fs_decode(&fs, &c), XM_CERT_MALFORMED,
		  "strict: a site of 32 bytes");
	f->len = 31;
	is_reason(fs_decode(&fs, &c), XM_CERT_OK, "strict: a site of 31 bytes");
	f->v[3] = ' ';
	is_reason(fs_decode(&fs, &c), XM_CERT_MALFORMED,
		  "strict: a blank in the site");
	f->v[3] = 0;
	is_reason(fs_decode(&fs, &c), XM_CERT_MALFORMED,
		  "strict: a NUL in the site");
	f->v[3] = 0x7f;
	is_reason(fs_decode(&fs, &c), XM_CERT_MALFORMED,
		  "strict: DEL in the site");
	f->v[3] = (char)0xc3;
	is_reason(fs_decode(&fs, &c), XM_CERT_MALFORMED,
		  "strict: a non-ASCII byte in the site");
	fs = base;
	fs_get(&fs, T_ZONE)->len = 0;
	is_reason(fs_decode(&fs, &c), XM_CERT_OK,
		  "strict: an empty zone is the default zone");
	fs = base;
	fs_str(&fs, T_ROLE, "");
	is_reason(fs_decode(&fs, &c), XM_CERT_MALFORMED,
		  "strict: an empty role");
	fs = base;
	fs_str(&fs, T_ROLE, "gpu");
	is_reason(fs_decode(&fs, &c), XM_CERT_MALFORMED,
		  "strict: a role twice");
	fs = base;
	for (i = 2; i < XM_ROLE_MAX; i++) {
		char r[8];

		snprintf(r, sizeof(r), "r%zu", i);
		fs_str(&fs, T_ROLE, r);
	}
	is_reason(fs_decode(&fs, &c), XM_CERT_OK, "strict: 8 roles");
	fs_str(&fs, T_ROLE, "ninth");
	is_reason(fs_decode(&fs, &c), XM_CERT_MALFORMED, "strict: 9 roles");
	fs = base;
	memcpy(fs_get(&fs, T_NOT_AFTER)->v, fs_get(&fs, T_NOT_BEFORE)->v, 8);
	is_reason(fs_decode(&fs, &c), XM_CERT_MALFORMED,
		  "strict: not-after = not-before");

	/* Framing. */
	fs = base;
	for (i = 0; i < 256; i++) {
		uint8_t k = (uint8_t)i;

		fs.kind = k;
		if (k == XM_CERT_AUTHORITY || k == XM_CERT_NODE ||
		    k == XM_CERT_POLICY)
			continue;
		if (fs_decode(&fs, &c) != XM_CERT_WRONG_KIND)
			break;
	}
	is_int((long long)i, 256, "strict: every other kind is wrong_kind");
	fs = base;
	fs.version = 0;
	is_reason(fs_decode(&fs, &c), XM_CERT_BAD_VERSION, "strict: version 0");
	{
		size_t n = fs_encode(&base, &auth, wire);

		wire[5]++;
		is_reason(xm_cert_decode(&c, wire, n), XM_CERT_MALFORMED,
			  "strict: a length field one too long");
		wire[5] -= 2;
		is_reason(xm_cert_decode(&c, wire, n), XM_CERT_MALFORMED,
			  "strict: a length field one too short");
	}
	{
		size_t body = fs_encode(&base, &auth, wire) - 64;

		memcpy(wire + body, "\x00\x64\x00\x09xy", 6);
		is_reason(xm_cert_decode(&c, wire, resign(body + 6)),
			  XM_CERT_MALFORMED,
			  "strict: a TLV running past the body");
		is_reason(xm_cert_decode(&c, wire, resign(body + 2)),
			  XM_CERT_MALFORMED,
			  "strict: half a TLV header at the end");
		memcpy(wire + body, "\x00\x64\x00\x00", 4);
		is_reason(xm_cert_decode(&c, wire, resign(body + 4)),
			  XM_CERT_OK,
			  "strict: (an empty unknown TLV at the end is fine)");
	}
	/* Size bound: exactly XM_CERT_MAX decodes, one more does not. */
	fs = base;
	{
		size_t n = fs_encode(&fs, &auth, wire);

		memset(pad, 'p', sizeof(pad));
		fs_add(&fs, 100, pad, XM_CERT_MAX - n - 4);
		n = fs_encode(&fs, &auth, wire);
		is_int((long long)n, XM_CERT_MAX, "(padded to the bound)");
		is_reason(xm_cert_decode(&c, wire, n), XM_CERT_OK,
			  "strict: a certificate of XM_CERT_MAX bytes");
		fs.f[fs.n - 1].len++;
		n = fs_encode(&fs, &auth, wire);
		is_reason(xm_cert_decode(&c, wire, n), XM_CERT_MALFORMED,
			  "strict: one byte more is malformed");
	}
}

/* A PREFIX value as the documentation lays it out. */
static void fs_prefix(struct fields *fs, uint16_t type, uint8_t family,
		      uint8_t len, const char *addr)
{
	uint8_t v[2 + 16];
	struct xm_addr a;

	if (xm_parse_addr(addr, &a, NULL))
		abort();
	v[0] = family;
	v[1] = len;
	memcpy(v + 2, a.raw, xm_addr_len(a.family));
	fs_add(fs, type, v, 2 + xm_addr_len(a.family));
}

/* The test node certificate with PREFIX fields before NOT_BEFORE, where
 * the encoder puts them: the baseline without its validity. */
static void fs_node_prefixes(struct fields *fs)
{
	fs_node(fs, &auth);
	fs_del(fs, T_NOT_BEFORE);
	fs_del(fs, T_NOT_AFTER);
}

static void fs_validity(struct fields *fs)
{
	fs_u64(fs, T_NOT_BEFORE, NOW - DAY);
	fs_u64(fs, T_NOT_AFTER, NOW + 365 * DAY);
}

/* Does c give prefix s? */
static bool gives(const struct xm_cert *c, const char *s)
{
	struct xm_prefix4or6 p;

	prefix_of(&p, s);
	return xm_cert_gives_prefix(c, &p);
}

static void prefixes(void)
{
	/* A PREFIX value that is refused, and why. */
	static const struct {
		uint8_t family, len;
		const char *addr;
		int vlen;	/* 0: the family's */
		const char *name;
	} bad[] = {
		{ 4, 24, "10.0.7.1", 0, "prefix: host bits set (v4)" },
		{ 6, 64, "fd00:7::1", 0, "prefix: host bits set (v6)" },
		{ 4, 33, "10.0.7.0", 0, "prefix: length 33 for IPv4" },
		{ 6, 129, "fd00::", 0, "prefix: length 129 for IPv6" },
		{ 5, 24, "10.0.7.0", 0, "prefix: family 5" },
		{ 0, 0, "0.0.0.0", 0, "prefix: family 0" },
		{ 4, 24, "10.0.7.0", 18, "prefix: an IPv4 value of 18 bytes" },
		{ 6, 64, "fd00:7::", 6, "prefix: an IPv6 value of 6 bytes" },
		{ 4, 24, "10.0.7.0", 1, "prefix: a value of 1 byte" },
	};
	struct fields fs, base;
	struct xm_cert c, d;
	struct field *f;
	char r[16];
	size_t n, i;

	/* Round trip, in order; the encoder's bytes are the documented. */
	node_fields(&c);
	prefix_of(&c.prefixes[0], "10.0.7.0/24");
	prefix_of(&c.prefixes[1], "fd00:7::/64");
	prefix_of(&c.prefixes[2], "0.0.0.0/0");
	c.n_prefixes = 3;
	sign_round_trip(&c, "prefix");
	fs_node_prefixes(&base);
	fs_prefix(&base, T_MANDATORY | T_PREFIX, 4, 24, "10.0.7.0");
	fs_prefix(&base, T_MANDATORY | T_PREFIX, 6, 64, "fd00:7::");
	fs_prefix(&base, T_MANDATORY | T_PREFIX, 4, 0, "0.0.0.0");
	fs_validity(&base);
	n = fs_encode(&base, &auth, wire);
	ok(n == c.len && !memcmp(wire, c.raw, n),
	   "prefix: type 13 marked mandatory (0x800d), family, length, address");
	fs = base;
	for (i = 0; i < (size_t)fs.n; i++)
		fs.f[i].type &= (uint16_t)~T_MANDATORY;
	is_reason(fs_decode(&fs, &d), XM_CERT_OK,
		  "prefix: (without the mandatory bit, as every known type)");
	ok(d.n_prefixes == 3, "prefix: (three of them)");

	/* Strict values. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fs = base;
		fs_prefix(&fs, T_PREFIX, bad[i].family, bad[i].len,
			  bad[i].addr);
		if (bad[i].vlen)
			fs.f[fs.n - 1].len = (uint16_t)bad[i].vlen;
		is_reason(fs_decode(&fs, &d), XM_CERT_MALFORMED, bad[i].name);
	}
	fs = base;
	fs_prefix(&fs, T_PREFIX, 6, 64, "fd00:7::");
	is_reason(fs_decode(&fs, &d), XM_CERT_MALFORMED,
		  "prefix: the same prefix twice");
	fs = base;
	fs_prefix(&fs, T_PREFIX, 4, 25, "10.0.7.128");
	is_reason(fs_decode(&fs, &d), XM_CERT_OK,
		  "prefix: (one inside another is fine)");
	fs_node_prefixes(&fs);
	for (i = 0; i < XM_CERT_PREFIX_MAX; i++) {
		snprintf(r, sizeof(r), "10.%zu.0.0", i);
		fs_prefix(&fs, T_PREFIX, 4, 16, r);
	}
	fs_validity(&fs);
	is_reason(fs_decode(&fs, &d), XM_CERT_OK, "prefix: 8 decode");
	fs_prefix(&fs, T_PREFIX, 4, 16, "10.99.0.0");
	is_reason(fs_decode(&fs, &d), XM_CERT_MALFORMED,
		  "prefix: 9 are too many");
	fs = base;
	fs.kind = XM_CERT_POLICY;
	fs_del(&fs, T_NODE);
	fs_del(&fs, T_ZONE);
	fs_del(&fs, T_ROLE);
	is_reason(fs_decode(&fs, &d), XM_CERT_MALFORMED,
		  "prefix: refused in a policy certificate");
	fs = base;
	f = fs_get(&fs, T_MANDATORY | T_PREFIX);
	f->v[0] = 6;
	is_reason(fs_decode(&fs, &d), XM_CERT_MALFORMED,
		  "prefix: an IPv4 value called IPv6");

	/* The encoder refuses what the decoder would. */
	node_fields(&c);
	prefix_of(&c.prefixes[0], "10.0.7.0/24");
	c.prefixes[0].addr.raw[3] = 1;
	c.n_prefixes = 1;
	is_int(xm_cert_sign(&c, auth.sk), -EINVAL, "prefix: sign: host bits");
	prefix_of(&c.prefixes[0], "10.0.7.0/24");
	c.prefixes[1] = c.prefixes[0];
	c.n_prefixes = 2;
	is_int(xm_cert_sign(&c, auth.sk), -EINVAL, "prefix: sign: twice");
	c.n_prefixes = XM_CERT_PREFIX_MAX + 1;
	is_int(xm_cert_sign(&c, auth.sk), -EINVAL, "prefix: sign: 17");
	c.n_prefixes = 1;
	c.prefixes[0].len = 33;
	is_int(xm_cert_sign(&c, auth.sk), -EINVAL, "prefix: sign: length 33");
	c.prefixes[0].len = 24;
	c.prefixes[0].addr.family = 0;
	is_int(xm_cert_sign(&c, auth.sk), -EINVAL, "prefix: sign: no family");
	node_fields(&c);
	c.kind = XM_CERT_POLICY;
	c.node_id = 0;
	c.zone[0] = '\0';
	c.n_roles = 0;
	prefix_of(&c.prefixes[0], "10.0.7.0/24");
	c.n_prefixes = 1;
	is_int(xm_cert_sign(&c, auth.sk), -EINVAL,
	       "prefix: sign: not in a policy certificate");

	/* What a certificate gives. */
	node_fields(&c);
	ok(gives(&c, "10.0.1.0/24") && gives(&c, "::/0"),
	   "gives: none listed, any (unrestricted)");
	prefix_of(&c.prefixes[0], "10.0.3.0/24");
	prefix_of(&c.prefixes[1], "fd00:3::/64");
	c.n_prefixes = 2;
	ok(gives(&c, "10.0.3.0/24") && gives(&c, "10.0.3.128/25") &&
	   gives(&c, "10.0.3.7/32") && gives(&c, "fd00:3::/64") &&
	   gives(&c, "fd00:3::1/128"),
	   "gives: its prefixes and what lies inside them");
	ok(!gives(&c, "10.0.1.0/24") && !gives(&c, "10.0.0.0/16") &&
	   !gives(&c, "10.0.2.255/32") && !gives(&c, "0.0.0.0/0") &&
	   !gives(&c, "fd00:4::/64") && !gives(&c, "fd00::/16"),
	   "gives: not another prefix, nor a shorter one around its own");
	prefix_of(&c.prefixes[0], "0.0.0.0/0");
	c.n_prefixes = 1;
	ok(gives(&c, "0.0.0.0/0") && gives(&c, "192.168.1.0/24") &&
	   !gives(&c, "::/0") && !gives(&c, "fd00:3::/64"),
	   "gives: 0.0.0.0/0 all of IPv4, none of IPv6");
	prefix_of(&c.prefixes[0], "10.0.3.0/24");
	c.prefixes[0].addr.family = AF_INET6;
	ok(!gives(&c, "10.0.3.0/24"), "gives: the family counts");
}

static void crl_rules(void)
{
	static const uint64_t sorted[] = { 5, 77, 1000 };
	static const uint64_t unsorted[] = { 5, 1000, 77 };
	static const uint64_t dup[] = { 5, 77, 77 };
	static const uint64_t zero[] = { 0, 77 };
	struct xm_crl *l = calloc(1, sizeof(*l)), *m = calloc(1, sizeof(*m));
	struct fields fs;
	size_t i, n;
	bool all;

	fs_crl(&fs, 3, sorted, 3);
	n = fs_encode(&fs, &auth, wire);
	ok(n == crl->len && !memcmp(wire, crl->raw, n),
	   "crl: the encoder writes the documented bytes");
	is_reason(xm_crl_decode(l, wire, n), XM_CERT_OK, "crl: decodes");
	ok(l->version == 3 && l->issued == NOW && l->n_serials == 3 &&
	   l->serials[2] == 1000 && !strcmp(l->site, "edge1") &&
	   !memcmp(l->issuer, auth.id, XM_KEY_ID_LEN),
	   "crl: every field comes back");
	fs_crl(&fs, 3, unsorted, 3);
	is_reason(fs_decode_crl(&fs, l), XM_CERT_MALFORMED,
		  "crl: serials out of order are malformed");
	fs_crl(&fs, 3, dup, 3);
	is_reason(fs_decode_crl(&fs, l), XM_CERT_MALFORMED,
		  "crl: a serial twice is malformed");
	fs_crl(&fs, 3, zero, 2);
	is_reason(fs_decode_crl(&fs, l), XM_CERT_MALFORMED,
		  "crl: serial 0 is malformed");
	fs_crl(&fs, 3, sorted, 3);
	fs_get(&fs, T_SERIALS)->len = 20;
	is_reason(fs_decode_crl(&fs, l), XM_CERT_MALFORMED,
		  "crl: a serials field not a multiple of 8");
	fs_crl(&fs, 3, sorted, 3);
	fs_add(&fs, T_SERIALS, fs_get(&fs, T_SERIALS)->v, 8);
	is_reason(fs_decode_crl(&fs, l), XM_CERT_MALFORMED,
		  "crl: two serials fields");
	fs_crl(&fs, 0, sorted, 3);
	is_reason(fs_decode_crl(&fs, l), XM_CERT_MALFORMED, "crl: version 0");
	fs_crl(&fs, 3, NULL, 0);
	is_reason(fs_decode_crl(&fs, l), XM_CERT_OK, "crl: no serials is fine");
	fs_crl(&fs, 3, sorted, 3);
	fs_del(&fs, T_ISSUED);
	is_reason(fs_decode_crl(&fs, l), XM_CERT_MALFORMED,
		  "crl: without an issue time");
	fs_crl(&fs, 3, sorted, 3);
	fs_u64(&fs, T_SERIAL, 9);
	is_reason(fs_decode_crl(&fs, l), XM_CERT_MALFORMED,
		  "crl: a certificate's field");
	is_reason(xm_crl_decode(l, auth_cert.raw, auth_cert.len),
		  XM_CERT_WRONG_KIND, "crl: a certificate decoded as a list");

	/* The largest list, and one serial more. */
	memset(l, 0, sizeof(*l));
	for (i = 0; i < XM_CRL_SERIALS_MAX; i++)
		if (xm_crl_add(l, (uint64_t)(XM_CRL_SERIALS_MAX - i) * 3))
			break;
	is_int((long long)i, XM_CRL_SERIALS_MAX, "crl: add up to the limit");
	is_int(xm_crl_add(l, 1), -ENOSPC, "crl: -ENOSPC beyond it");
	all = true;
	for (i = 1; i < l->n_serials; i++)
		all &= l->serials[i - 1] < l->serials[i];
	ok(all && l->serials[0] == 3, "crl: added in reverse, kept ascending");
	strcpy(l->site, "edge1");
	l->version = 9;
	is_int(xm_crl_sign(l, auth.sk), 0, "crl: the largest signs");
	ok(l->len <= XM_CRL_MAX, "crl: within XM_CRL_MAX (%zu)", l->len);
	is_reason(xm_crl_decode(m, l->raw, l->len), XM_CERT_OK,
		  "crl: the largest decodes");
	{
		/* 4097 serials: the SERIALS TLV is last, one serial more. */
		size_t body = l->len - 64, k = body - 8 * XM_CRL_SERIALS_MAX - 2;
		uint64_t s = 3 * (XM_CRL_SERIALS_MAX + 1);

		memcpy(wire, l->raw, body);
		wire[k] = (uint8_t)((8 * (XM_CRL_SERIALS_MAX + 1)) >> 8);
		wire[k + 1] = (uint8_t)(8 * (XM_CRL_SERIALS_MAX + 1));
		for (i = 0; i < 8; i++)
			wire[body + i] = (uint8_t)(s >> (56 - 8 * i));
		is_reason(xm_crl_decode(m, wire, resign(body + 8)),
			  XM_CERT_MALFORMED, "crl: 4097 serials are malformed");
	}

	memset(l, 0, sizeof(*l));
	is_int(xm_crl_add(l, 0), -EINVAL, "crl: add refuses serial 0");
	is_int(xm_crl_add(l, 50), 0, "crl: add 50");
	is_int(xm_crl_add(l, 10), 0, "crl: add 10");
	is_int(xm_crl_add(l, 90), 0, "crl: add 90");
	is_int(xm_crl_add(l, 50), -EEXIST, "crl: add 50 again: -EEXIST");
	ok(l->n_serials == 3 && l->serials[0] == 10 && l->serials[1] == 50 &&
	   l->serials[2] == 90, "crl: 10 50 90");
	ok(xm_crl_has(l, 10) && xm_crl_has(l, 50) && xm_crl_has(l, 90) &&
	   !xm_crl_has(l, 9) && !xm_crl_has(l, 11) && !xm_crl_has(l, 91) &&
	   !xm_crl_has(l, 0), "crl: has the first, middle, last, no other");
	l->version = 0;
	strcpy(l->site, "edge1");
	is_int(xm_crl_sign(l, auth.sk), -EINVAL, "crl: sign refuses version 0");
	l->version = 1;
	l->serials[0] = 60;
	is_int(xm_crl_sign(l, auth.sk), -EINVAL,
	       "crl: sign refuses serials out of order");
	l->serials[0] = 10;
	l->site[0] = '\0';
	is_int(xm_crl_sign(l, auth.sk), -EINVAL, "crl: sign refuses no site");

	/* Versions: only a newer list replaces ours. */
	is_reason(xm_crl_accept(NULL, crl, &auth_cert, NOW), XM_CERT_OK,
		  "crl accept: a first list");
	is_reason(xm_crl_accept(crl2, crl, &auth_cert, NOW), XM_CERT_OK,
		  "crl accept: version 3 replaces version 2");
	is_reason(xm_crl_accept(crl, crl2, &auth_cert, NOW), XM_CERT_STALE,
		  "crl accept: version 2 never replaces version 3");
	is_reason(xm_crl_accept(crl, crl, &auth_cert, NOW), XM_CERT_STALE,
		  "crl accept: the same version does not replace it");
	*m = *crl;
	m->raw[10] ^= 4;
	is_reason(xm_crl_accept(NULL, m, &auth_cert, NOW),
		  XM_CERT_BAD_SIGNATURE, "crl accept: an altered list");
	/* A former authority's list: the new one's starts over. */
	memset(l, 0, sizeof(*l));
	strcpy(l->site, "edge1");
	l->version = 50;
	is_int(xm_crl_sign(l, rogue.sk), 0, "(a former authority's list)");
	is_reason(xm_crl_accept(l, crl2, &auth_cert, NOW), XM_CERT_OK,
		  "crl accept: replaces another authority's list");
	free(l);
	free(m);
}

/*
 * The tool: tool/cert.c is in the xmesh binary once agent/Makefile links
 * core/cert.o into it; until then it is not in the tree and its tests
 * are skipped.
 */
#include <json-c/json.h>
#include <sys/stat.h>
#include <time.h>

#include "tool.h"

static char dir[256], out_buf[8192], err_buf[4096];

/* "xmesh ARGS" with D replaced by the test directory; exit status. */
static int xmesh(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static int xmesh(const char *fmt, ...)
{
	char line[2048], cmd[2048], *argv[48], *p;
	int argc = 0, ret, saved, fd;
	FILE *f = tmpfile();
	struct ctx c;
	va_list ap;
	ssize_t n;
	size_t i, j;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	for (i = 0, j = snprintf(line, sizeof(line), "xmesh ");
	     cmd[i] && j < sizeof(line) - sizeof(dir); i++) {
		if (cmd[i] == 'D' && (cmd[i + 1] == '/' || !cmd[i + 1]))
			j += (size_t)snprintf(line + j, sizeof(line) - j, "%s",
					      dir);
		else
			line[j++] = cmd[i];
	}
	line[j] = '\0';
	for (p = strtok(line, " "); p && argc < 47; p = strtok(NULL, " "))
		argv[argc++] = p;
	argv[argc] = NULL;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = fileno(f);
	dup2(fd, STDOUT_FILENO);
	cap_begin();
	ctx_init(&c);
	ret = xm_main(&c, argc, argv);
	ctx_free(&c);
	snprintf(err_buf, sizeof(err_buf), "%s", cap_end());
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out_buf, sizeof(out_buf) - 1);
	out_buf[n > 0 ? n : 0] = '\0';
	fclose(f);
	return ret;
}

/* It exits with status and says want (stdout or stderr). */
static void expect(int status, const char *want, const char *name,
		   const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void expect(int status, const char *want, const char *name,
		   const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = xmesh("%s", cmd);
	if (!ok(ret == status && (strstr(out_buf, want) ||
				  strstr(err_buf, want)), "tool: %s", name))
		printf("#   xmesh %s: status %d (want %d)\n#   stdout: %s\n"
		       "#   stderr: %s\n#   want: %s\n", cmd, ret, status,
		       out_buf, err_buf, want);
}

/* A member of the JSON "xmesh -j ARGS" prints (a string), or "". */
static const char *json_member(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *json_member(const char *key, const char *fmt, ...)
{
	static char val[256];
	char cmd[2048];
	json_object *j, *v;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	val[0] = '\0';
	if (xmesh("-j %s", cmd))
		return val;
	j = json_tokener_parse(out_buf);
	if (j && json_object_object_get_ex(j, key, &v))
		snprintf(val, sizeof(val), "%s", json_object_get_string(v));
	json_object_put(j);
	return val;
}

static bool file_is(const char *name, size_t size, mode_t mode)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !stat(path, &st) && (size_t)st.st_size == size &&
	       (st.st_mode & 0777) == mode;
}

static void put(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static bool get(const char *name, void *buf, size_t len)
{
	char path[512];
	FILE *f;
	bool good;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return false;
	good = fread(buf, 1, len, f) == len;
	fclose(f);
	return good;
}

static void tool_args(void)
{
	/* cert sign's prefixes refused: what it says, why, the arguments. */
	static const struct {
		const char *want, *name, *args;
	} prefix_refusals[] = {
		{ "has host bits set; did you mean 10.0.7.0/24?",
		  "sign: a prefix with host bits", "node 3 prefix 10.0.7.1/24" },
		{ "invalid prefix length", "sign: prefix length 33",
		  "node 3 prefix 10.0.7.0/33" },
		{ "prefix fd00::/64 is given twice", "sign: a prefix twice",
		  "node 3 prefix fd00::/64 prefix fd00::/64" },
		{ "at most 8 prefixes", "sign: 9 prefixes",
		  "node 3 prefix 10.1.0.0/16 prefix 10.2.0.0/16 prefix 10.3.0.0/16 prefix 10.4.0.0/16 prefix 10.5.0.0/16 prefix 10.6.0.0/16 prefix 10.7.0.0/16 prefix 10.8.0.0/16 prefix 10.9.0.0/16" },
		{ "a policy certificate has no node, zone, role or prefix",
		  "sign: policy with a prefix", "kind policy prefix 10.0.0.0/8" },
	};
	const char *auth_ = "authority-key D/a.key authority D/a.cert";
	size_t i;

	expect(2, "Usage: xmesh cert", "no command: usage", "cert");
	expect(0, "xmesh cert revoke", "help", "cert help");
	expect(2, "unknown cert command \"frob\"", "unknown command",
	       "cert frob");
	expect(2, "\"s\" is ambiguous", "ambiguous prefix", "cert s x");
	expect(2, "cert authority create needs \"cert\"", "authority: needs cert",
	       "cert authority create name edge1 key D/a.key");
	expect(2, "needs \"name\"", "authority: needs name",
	       "cert authority create key D/a.key cert D/a.cert");
	expect(2, "invalid site name", "authority: a site of 32 bytes",
	       "cert authority create name 0123456789012345678901234567890x key D/a.key cert D/a.cert");
	expect(2, "invalid validity in days \"0\"", "authority: valid 0",
	       "cert authority create name e key D/a.key cert D/a.cert valid 0");
	expect(2, "expected a number from 1 to 36500", "authority: valid 36501",
	       "cert authority create name e key D/a.key cert D/a.cert valid 36501");
	expect(2, "\"name\" is given twice", "authority: name twice",
	       "cert authority create name e name f key D/a.key cert D/a.cert");
	expect(2, "\"valid\" needs a value", "authority: a keyword without value",
	       "cert authority create name e key D/a.key cert D/a.cert valid");
	expect(2, "unknown argument \"zone\"", "authority: no zone",
	       "cert authority create name e zone z key D/a.key cert D/a.cert");
	expect(2, "two files", "authority: key and cert the same file",
	       "cert authority create name e key D/a.key cert D/a.key");
	expect(2, "not to stdout", "authority: no key on stdout",
	       "cert authority create name e key - cert D/a.cert");
	expect(2, "cert key create needs a FILE", "key create: needs FILE",
	       "cert key create");
	expect(2, "unknown argument", "key create: one FILE",
	       "cert key create D/a D/b");
	expect(2, "needs \"node ID\"", "sign: a node needs its id",
	       "cert sign %s pubkey 00 out D/x", auth_);
	expect(2, "invalid node id \"0\"", "sign: node 0",
	       "cert sign %s pubkey 00 node 0 out D/x", auth_);
	expect(2, "a policy certificate has no node", "sign: policy with a node",
	       "cert sign %s pubkey 00 kind policy node 3 out D/x", auth_);
	expect(2, "\"cert authority create\"", "sign: no authority kind",
	       "cert sign %s pubkey 00 kind authority out D/x", auth_);
	expect(2, "invalid kind \"root\"", "sign: unknown kind",
	       "cert sign %s pubkey 00 kind root out D/x", auth_);
	expect(2, "role \"gpu\" is given twice", "sign: a role twice",
	       "cert sign %s pubkey 00 node 3 role gpu role gpu out D/x", auth_);
	expect(2, "at most 8 roles", "sign: 9 roles",
	       "cert sign %s pubkey 00 node 3 role a role b role c role d role e role f role g role h role i out D/x",
	       auth_);
	expect(2, "invalid role", "sign: a role of 32 bytes",
	       "cert sign %s pubkey 00 node 3 role 0123456789012345678901234567890x out D/x",
	       auth_);
	for (i = 0; i < sizeof(prefix_refusals) / sizeof(prefix_refusals[0]);
	     i++)
		expect(2, prefix_refusals[i].want, prefix_refusals[i].name,
		       "cert sign %s pubkey 00 %s out D/x", auth_,
		       prefix_refusals[i].args);
	expect(2, "needs \"out\"", "sign: needs out",
	       "cert sign %s pubkey 00 node 3", auth_);
	expect(2, "invalid public key \"abcd\"", "sign: short hex",
	       "cert sign %s pubkey abcd node 3 out D/x", auth_);
	expect(2, "needs \"authority\"", "verify: needs the authority",
	       "cert verify D/x");
	expect(2, "invalid serial \"0\"", "revoke: serial 0",
	       "cert revoke %s serial 0 crl D/c", auth_);
	expect(2, "invalid serial \"18446744073709551616\"",
	       "revoke: serial above 2^64-1",
	       "cert revoke %s serial 18446744073709551616 crl D/c", auth_);
	expect(2, "serial 5 is given twice", "revoke: a serial twice",
	       "cert revoke %s serial 5 serial 5 crl D/c", auth_);
	expect(2, "needs \"serial\"", "revoke: needs a serial",
	       "cert revoke %s crl D/c", auth_);
	expect(2, "is an option", "an option after the object",
	       "cert show -j D/x");
}

static void tool_flow(void)
{
	const char *auth_ = "authority-key D/a.key authority D/a.cert";
	char pk[80], serial[32], serial2[32], line[512];
	uint8_t sk[XM_SECKEY_LEN];
	char text[XM_CERT_TEXT_MAX];
	struct xm_cert e;
	json_object *j, *v;

	expect(0, "", "authority create",
	       "cert authority create name edge1 key D/a.key cert D/a.cert");
	ok(file_is("a.key", 64, 0600), "tool: the authority key, 64 bytes, 0600");
	expect(1, "exists; not overwriting it", "authority create: no overwrite",
	       "cert authority create name edge1 key D/a.key cert D/b.cert");
	ok(!access(strcat(strcpy(line, dir), "/a.key"), F_OK) &&
	   access(strcat(strcpy(line, dir), "/b.cert"), F_OK),
	   "tool: nothing written when refused");
	expect(0, "certificate authority site edge1", "show the authority",
	       "cert show D/a.cert");
	ok(strstr(out_buf, "(self-signed)") != NULL, "tool: self-signed");
	expect(0, "a.cert: ok (authority of site edge1",
	       "the authority verifies as itself",
	       "cert verify D/a.cert authority D/a.cert");
	expect(0, "", "another site's authority",
	       "cert authority create name edge2 key D/b.key cert D/b.cert valid 30");

	expect(0, "key ", "key create", "cert key create D/n.key");
	ok(file_is("n.key", 64, 0600), "tool: the node key, 64 bytes, 0600");
	snprintf(pk, sizeof(pk), "%s", json_member("pubkey",
						   "cert key show D/n.key"));
	ok(strlen(pk) == 64 && strstr(out_buf, pk),
	   "tool: key show gives its public key");
	expect(1, "exists", "key create: no overwrite", "cert key create D/n.key");
	expect(1, "is not a secret key", "key show: a certificate is no key",
	       "cert key show D/a.cert");
	expect(1, "No such file", "key show: no file", "cert key show D/none");

	expect(1, "is not the key of authority", "sign: the wrong authority key",
	       "cert sign authority-key D/b.key authority D/a.cert pubkey %s node 7 out D/n.cert",
	       pk);
	expect(1, "the authority's own key", "sign: not the authority's key",
	       "cert sign %s pubkey %s node 7 out D/n.cert", auth_,
	       json_member("pubkey", "cert key show D/a.key"));
	expect(1, "malformed", "sign: a key file is no authority certificate",
	       "cert sign %s pubkey %s node 7 out D/n.cert",
	       "authority-key D/a.key authority D/n.key", pk);
	expect(0, "Note: no prefix given: node 7 may advertise any address",
	       "sign a node certificate (no prefix: a note)",
	       "cert sign %s pubkey %s node 7 zone rack-a role gpu role web out D/n.cert",
	       auth_, pk);
	expect(0, "prefixes any (unrestricted)", "show: no prefix, any",
	       "cert show D/n.cert");
	expect(0, "", "sign with prefixes",
	       "cert sign %s pubkey %s node 7 prefix 10.0.7.0/24 prefix fd00:7::/64 prefix 0.0.0.0/0 out D/np.cert",
	       auth_, pk);
	ok(!strstr(err_buf, "Note: no prefix"), "tool: no note with prefixes");
	expect(0, "prefixes 10.0.7.0/24 fd00:7::/64 0.0.0.0/0",
	       "show: the prefixes", "cert show D/np.cert");
	xmesh("-j cert show D/np.cert");
	j = json_tokener_parse(out_buf);
	ok(j && json_object_object_get_ex(j, "prefixes", &v) &&
	   json_object_array_length(v) == 3 &&
	   !strcmp(json_object_get_string(json_object_array_get_idx(v, 1)),
		   "fd00:7::/64"),
	   "tool: -j show: prefixes");
	json_object_put(j);
	expect(0, "np.cert: ok", "verify: with prefixes",
	       "cert verify D/np.cert authority D/a.cert");
	expect(1, "exists; not overwriting it", "sign: no overwrite",
	       "cert sign %s pubkey %s node 7 out D/n.cert", auth_, pk);
	expect(0, "certificate node 7 site edge1", "show a node certificate",
	       "cert show D/n.cert");
	ok(strstr(out_buf, "zone rack-a roles gpu,web") != NULL,
	   "tool: show: zone and roles");
	xmesh("-j cert show D/n.cert");
	j = json_tokener_parse(out_buf);
	ok(j && json_object_object_get_ex(j, "roles", &v) &&
	   json_object_array_length(v) == 2 &&
	   !strcmp(json_object_get_string(json_object_array_get_idx(v, 1)),
		   "web") &&
	   json_object_object_get_ex(j, "node", &v) &&
	   json_object_get_int64(v) == 7 &&
	   json_object_object_get_ex(j, "pubkey", &v) &&
	   !strcmp(json_object_get_string(v), pk) &&
	   json_object_object_get_ex(j, "not_after", &v) &&
	   json_object_get_int64(v) - (int64_t)time(NULL) > 364 * 86400,
	   "tool: -j show: roles, node, key, a year of validity");
	json_object_put(j);
	snprintf(serial, sizeof(serial), "%s",
		 json_member("serial", "cert show D/n.cert"));

	/* The public key from a file: its hex, or a certificate. */
	put("n.pub", pk);
	expect(0, "", "sign: pubkey from a file of hex",
	       "cert sign %s pubkey D/n.pub kind policy valid 10 out D/p.cert",
	       auth_);
	xmesh("cert key show D/n.key");
	put("n.show", out_buf);
	expect(0, "", "sign: pubkey from what key show prints",
	       "cert sign %s pubkey D/n.show node 7 out D/n3.cert", auth_);
	ok(!strcmp(json_member("pubkey", "cert show D/n3.cert"), pk),
	   "tool: the same key from key show's output");
	expect(0, "", "sign: pubkey from a certificate (renewal)",
	       "cert sign %s pubkey D/n.cert node 7 out D/n2.cert", auth_);
	ok(!strcmp(json_member("pubkey", "cert show D/n2.cert"), pk),
	   "tool: the renewed certificate has the same key");
	snprintf(serial2, sizeof(serial2), "%s",
		 json_member("serial", "cert show D/n2.cert"));
	ok(strcmp(serial, serial2), "tool: and another serial");
	expect(1, "holds no public key", "sign: a secret key is no public key",
	       "cert sign %s pubkey D/n.key node 7 out D/x.cert", auth_);
	expect(0, "valid only until", "sign: not past the authority's end",
	       "cert sign authority-key D/b.key authority D/b.cert pubkey %s node 7 out D/short.cert",
	       pk);

	expect(0, "n.cert: ok (node 7 of site edge1", "verify: ok",
	       "cert verify D/n.cert authority D/a.cert");
	ok(!strcmp(json_member("result",
			       "cert verify D/n.cert authority D/a.cert kind node"),
		   "ok"), "tool: -j verify: result ok");
	expect(0, "p.cert: ok (policy of site edge1", "verify: a policy key",
	       "cert verify D/p.cert authority D/a.cert kind policy");
	expect(1, "wrong_kind", "verify: wrong_kind",
	       "cert verify D/n.cert authority D/a.cert kind policy");
	expect(1, "wrong_site", "verify: wrong_site",
	       "cert verify D/n.cert authority D/b.cert");
	expect(1, "not an authority certificate", "verify: a node as authority",
	       "cert verify D/n.cert authority D/n.cert");

	expect(0, "", "revoke: creates the list",
	       "cert revoke %s serial %s crl D/crl", auth_, serial);
	expect(0, "revocation list site edge1 version 1", "show the list",
	       "cert show D/crl");
	ok(strstr(out_buf, serial) != NULL, "tool: the list has the serial");
	expect(1, "n.cert: revoked", "verify: revoked",
	       "cert verify D/n.cert authority D/a.cert crl D/crl");
	expect(0, "n2.cert: ok", "verify: the renewed one is not",
	       "cert verify D/n2.cert authority D/a.cert crl D/crl");
	expect(1, "revoked already", "revoke: twice",
	       "cert revoke %s serial %s crl D/crl", auth_, serial);
	ok(!strcmp(json_member("version", "cert show D/crl"), "1"),
	   "tool: a refused revocation changes nothing");
	expect(0, "", "revoke: two more",
	       "cert revoke %s serial 99 serial 5 crl D/crl", auth_);
	xmesh("-j cert show D/crl");
	j = json_tokener_parse(out_buf);
	ok(j && json_object_object_get_ex(j, "version", &v) &&
	   json_object_get_int64(v) == 2 &&
	   json_object_object_get_ex(j, "serials", &v) &&
	   json_object_array_length(v) == 3 &&
	   json_object_get_int64(json_object_array_get_idx(v, 0)) == 5 &&
	   json_object_get_int64(json_object_array_get_idx(v, 1)) == 99,
	   "tool: version 2, serials ascending");
	json_object_put(j);
	expect(1, "authority's own certificate", "revoke: not the authority",
	       "cert revoke %s serial %s crl D/crl", auth_,
	       json_member("serial", "cert show D/a.cert"));
	expect(1, "not this authority's list", "revoke: another authority's list",
	       "cert revoke authority-key D/b.key authority D/b.cert serial 3 crl D/crl");
	expect(1, "not an authority certificate", "sign: a node's as authority",
	       "cert sign authority-key D/a.key authority D/n.cert pubkey %s node 8 out D/y.cert",
	       pk);
	ok(!strcmp(json_member("not_after", "cert show D/short.cert"),
		   json_member("not_after", "cert show D/b.cert")),
	   "tool: it ends with the authority");
	expect(1, "wrong_kind", "verify: a certificate given as the list",
	       "cert verify D/n.cert authority D/a.cert crl D/n2.cert");

	/* An expired certificate, signed with the authority's key file. */
	ok(get("a.key", sk, sizeof(sk)), "tool: read the authority key");
	memset(&e, 0, sizeof(e));
	e.kind = XM_CERT_NODE;
	e.serial = 42;
	strcpy(e.site, "edge1");
	memcpy(e.pubkey, node2.pk, XM_PUBKEY_LEN);
	e.node_id = 9;
	e.not_before = (uint64_t)time(NULL) - 10 * DAY;
	e.not_after = (uint64_t)time(NULL) - DAY;
	ok(!xm_cert_sign(&e, sk) && xm_cert_text(&e, text, sizeof(text)),
	   "tool: an expired certificate");
	put("old.cert", text);
	expect(1, "old.cert: expired", "verify: expired",
	       "cert verify D/old.cert authority D/a.cert");
	sodium_memzero(sk, sizeof(sk));
	put("junk", "not a certificate\n");
	expect(1, "malformed", "show: junk", "cert show D/junk");
	expect(1, "No such file", "show: no file", "cert show D/none");
	expect(1, "malformed", "verify: junk", "cert verify D/junk authority D/a.cert");
}

static void tool(void)
{
	char cmd[600];

	snprintf(dir, sizeof(dir), "%s/xmesh-cert-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		ok(false, "tool: a temporary directory");
		return;
	}
	tool_args();
	tool_flow();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
}

int main(void)
{
	static const uint64_t revoked[] = { 5, 77, 1000 };
	static const uint64_t revoked2[] = { 5, 1000 };
	unsigned int i;

	if (sodium_init() < 0)
		return 1;
	test_key_make(&auth, 1);
	test_key_make(&other, 2);
	test_key_make(&rogue, 3);
	test_key_make(&node, 4);
	test_key_make(&node2, 5);
	test_authority_make(&auth_cert, &auth, "edge1", NOW);
	test_authority_make(&other_cert, &other, "edge2", NOW);
	test_authority_make(&rogue_cert, &rogue, "edge1", NOW);
	crl = calloc(1, sizeof(*crl));
	crl2 = calloc(1, sizeof(*crl2));
	strcpy(crl->site, "edge1");
	crl->version = 3;
	crl->issued = NOW;
	for (i = 0; i < 3; i++)
		xm_crl_add(crl, revoked[i]);
	strcpy(crl2->site, "edge1");
	crl2->version = 2;
	crl2->issued = NOW - DAY;
	for (i = 0; i < 2; i++)
		xm_crl_add(crl2, revoked2[i]);
	if (xm_crl_sign(crl, auth.sk) || xm_crl_sign(crl2, auth.sk))
		abort();

	names();
	keys();
	layout();
	round_trips();
	sign_refusals();
	reasons();
	tampering();
	truncations();
	text_rules();
	strictness();
	prefixes();
	crl_rules();
	tool();
	free(crl);
	free(crl2);
	printf("1..%d\n", tap_n);
	return tap_done();
}
