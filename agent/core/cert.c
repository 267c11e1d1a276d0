// SPDX-License-Identifier: GPL-2.0
/*
 * Certificates and revocation lists (cert.h): encoding, strict decoding,
 * signatures, verification, armored text. Every read is bounds-checked
 * against the TLV it belongs to; a field is used only after the whole
 * object has decoded.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stddef.h>
#include <string.h>

#include "cert.h"
#include "wire.h"

/* TLV types; bit 15 set: a decoder that does not know it refuses all. */
#define TLV_MANDATORY	0x8000
#define TLV_HDR_LEN	4
enum {
	TLV_SERIAL = 1,		/* cert: u64, not 0 */
	TLV_SITE = 2,		/* cert, list: name, not empty */
	TLV_ISSUER = 3,		/* cert, list: key id of the signer */
	TLV_PUBKEY = 4,		/* cert: the subject's public key */
	TLV_NODE = 5,		/* node cert: u32, not 0 */
	TLV_ZONE = 6,		/* node cert: name, may be empty */
	TLV_ROLE = 7,		/* node cert: name, not empty; repeats */
	TLV_NOT_BEFORE = 8,	/* cert: u64 */
	TLV_NOT_AFTER = 9,	/* cert: u64, above not-before */
	TLV_CRL_VERSION = 10,	/* list: u64, not 0 */
	TLV_ISSUED = 11,	/* list: u64 */
	TLV_SERIALS = 12,	/* list: u64s, ascending, not 0 */
	TLV_PREFIX = 13,	/* node cert: family u8, length u8, address;
				 * repeats; written mandatory */
	TLV_KNOWN_MAX = TLV_PREFIX,
};
/* A PREFIX value: family (4 or 6) and length, then 4 or 16 bytes. */
#define PREFIX_HDR_LEN	2

#define BIT(t)		(1u << (t))
#define CERT_REQUIRED	(BIT(TLV_SERIAL) | BIT(TLV_SITE) | BIT(TLV_ISSUER) | \
			 BIT(TLV_PUBKEY) | BIT(TLV_NOT_BEFORE) |		\
			 BIT(TLV_NOT_AFTER))
#define NODE_ONLY	(BIT(TLV_NODE) | BIT(TLV_ZONE) | BIT(TLV_ROLE) | \
			 BIT(TLV_PREFIX))
#define CRL_REQUIRED	(BIT(TLV_SITE) | BIT(TLV_ISSUER) | \
			 BIT(TLV_CRL_VERSION) | BIT(TLV_ISSUED))
#define CRL_ALLOWED	(CRL_REQUIRED | BIT(TLV_SERIALS))

/* The largest certificate of this version, as cert.h promises. */
#define NAME_TLV_MAX	(TLV_HDR_LEN + XM_NAME_MAX - 1)
#define U64_TLV		(TLV_HDR_LEN + 8)
#define PREFIX_TLV_MAX	(TLV_HDR_LEN + PREFIX_HDR_LEN + 16)
_Static_assert(XM_CERT_HDR_LEN + 3 * U64_TLV + NAME_TLV_MAX +
	       TLV_HDR_LEN + XM_KEY_ID_LEN + TLV_HDR_LEN + XM_PUBKEY_LEN +
	       TLV_HDR_LEN + 4 + (1 + XM_ROLE_MAX) * NAME_TLV_MAX +
	       XM_CERT_PREFIX_MAX * PREFIX_TLV_MAX + XM_SIG_LEN == 696 &&
	       696 <= XM_CERT_MAX, "the largest certificate");
_Static_assert(XM_CERT_HDR_LEN + 2 * U64_TLV + NAME_TLV_MAX +
	       TLV_HDR_LEN + XM_KEY_ID_LEN + TLV_HDR_LEN +
	       8 * XM_CRL_SERIALS_MAX + XM_SIG_LEN <= XM_CRL_MAX &&
	       8 * XM_CRL_SERIALS_MAX <= UINT16_MAX &&
	       XM_CRL_MAX - XM_SIG_LEN <= UINT16_MAX,
	       "the largest list, and its lengths in 16 bits");
_Static_assert(crypto_sign_BYTES == XM_SIG_LEN &&
	       crypto_sign_SECRETKEYBYTES == XM_SECKEY_LEN &&
	       crypto_sign_PUBLICKEYBYTES == XM_PUBKEY_LEN &&
	       crypto_generichash_BYTES_MIN == XM_KEY_ID_LEN,
	       "libsodium's Ed25519 and BLAKE2b sizes");

/* ---- names ---- */

static const char *const reason_names[] = {
	[XM_CERT_OK] = "ok",
	[XM_CERT_MALFORMED] = "malformed",
	[XM_CERT_BAD_VERSION] = "bad_version",
	[XM_CERT_WRONG_KIND] = "wrong_kind",
	[XM_CERT_BAD_AUTHORITY] = "bad_authority",
	[XM_CERT_WRONG_SITE] = "wrong_site",
	[XM_CERT_UNKNOWN_ISSUER] = "unknown_issuer",
	[XM_CERT_BAD_SIGNATURE] = "bad_signature",
	[XM_CERT_NOT_YET_VALID] = "not_yet_valid",
	[XM_CERT_EXPIRED] = "expired",
	[XM_CERT_REVOKED] = "revoked",
	[XM_CERT_BAD_CRL] = "bad_crl",
	[XM_CERT_STALE] = "stale",
};

static const char *const reason_texts[] = {
	[XM_CERT_OK] = "valid",
	[XM_CERT_MALFORMED] = "not a well-formed certificate or list",
	[XM_CERT_BAD_VERSION] = "a format version this program does not know",
	[XM_CERT_WRONG_KIND] = "not the kind of certificate wanted here",
	[XM_CERT_BAD_AUTHORITY] = "the authority certificate is not a valid self-signed authority certificate now",
	[XM_CERT_WRONG_SITE] = "issued for another site",
	[XM_CERT_UNKNOWN_ISSUER] = "signed by another key than the site authority's",
	[XM_CERT_BAD_SIGNATURE] = "the signature does not match: altered or forged",
	[XM_CERT_NOT_YET_VALID] = "not valid yet (is the clock right?)",
	[XM_CERT_EXPIRED] = "expired",
	[XM_CERT_REVOKED] = "revoked by the authority",
	[XM_CERT_BAD_CRL] = "the revocation list is not the authority's",
	[XM_CERT_STALE] = "the revocation list is not newer than the one in use",
};

_Static_assert(sizeof(reason_names) / sizeof(reason_names[0]) ==
	       XM_CERT_REASON_MAX + 1 &&
	       sizeof(reason_texts) / sizeof(reason_texts[0]) ==
	       XM_CERT_REASON_MAX + 1, "a name and a text for every reason");

const char *xm_cert_reason_name(enum xm_cert_reason r)
{
	return (unsigned int)r <= XM_CERT_REASON_MAX ? reason_names[r] :
						       "unknown";
}

const char *xm_cert_reason_text(enum xm_cert_reason r)
{
	return (unsigned int)r <= XM_CERT_REASON_MAX ? reason_texts[r] :
						       "unknown reason";
}

const char *xm_cert_kind_name(enum xm_cert_kind k)
{
	switch (k) {
	case XM_CERT_AUTHORITY:
		return "authority";
	case XM_CERT_NODE:
		return "node";
	case XM_CERT_POLICY:
		return "policy";
	case XM_CERT_CRL:
		return "crl";
	}
	return NULL;
}

/* ---- keys and signatures ---- */

void xm_key_id(const uint8_t pubkey[XM_PUBKEY_LEN],
	       uint8_t id[XM_KEY_ID_LEN])
{
	crypto_generichash(id, XM_KEY_ID_LEN, pubkey, XM_PUBKEY_LEN, NULL, 0);
}

bool xm_seckey_check(const uint8_t sk[XM_SECKEY_LEN],
		     uint8_t pubkey[XM_PUBKEY_LEN])
{
	uint8_t pk[XM_PUBKEY_LEN], sk2[XM_SECKEY_LEN];
	bool good;

	/* libsodium's secret key is the seed, then the public key. */
	crypto_sign_seed_keypair(pk, sk2, sk);
	good = !sodium_memcmp(pk, sk + crypto_sign_SEEDBYTES, XM_PUBKEY_LEN);
	sodium_memzero(sk2, sizeof(sk2));
	memcpy(pubkey, pk, XM_PUBKEY_LEN);
	return good;
}

/* Does raw end in a signature by pubkey of the bytes before it? */
static bool signed_by(const uint8_t *raw, size_t len,
		      const uint8_t pubkey[XM_PUBKEY_LEN])
{
	if (len < XM_CERT_HDR_LEN + XM_SIG_LEN)
		return false;
	return !crypto_sign_verify_detached(raw + len - XM_SIG_LEN, raw,
					    len - XM_SIG_LEN, pubkey);
}

/* ---- bytes ---- */

/* A bounded writer: past cap it only notes the overflow. */
struct wr {
	uint8_t *p;
	size_t cap, len;
	bool over;
};

static uint8_t *wr_take(struct wr *w, size_t n)
{
	uint8_t *p;

	if (w->over || n > w->cap - w->len) {
		w->over = true;
		return NULL;
	}
	p = w->p + w->len;
	w->len += n;
	return p;
}

/* A TLV header and room for its n-byte value: the value, or NULL. */
static uint8_t *put_tlv_room(struct wr *w, uint16_t type, size_t n)
{
	uint8_t *p = wr_take(w, TLV_HDR_LEN + n);

	if (!p)
		return NULL;
	xm_put16(p, type);
	xm_put16(p + 2, (uint16_t)n);
	return p + TLV_HDR_LEN;
}

static void put_tlv(struct wr *w, uint16_t type, const void *v, size_t n)
{
	uint8_t *p = put_tlv_room(w, type, n);

	if (p)
		memcpy(p, v, n);
}

static void put_u64(struct wr *w, uint16_t type, uint64_t v)
{
	uint8_t b[8];

	xm_put64(b, v);
	put_tlv(w, type, b, 8);
}

static void put_name(struct wr *w, uint16_t type, const char *s)
{
	put_tlv(w, type, s, strlen(s));
}

/*
 * Mandatory: a decoder that predates prefixes refuses the certificate
 * rather than let its node advertise anything (certificates.md).
 */
static void put_prefix(struct wr *w, const struct xm_prefix4or6 *p)
{
	size_t alen = xm_addr_len(p->addr.family);
	uint8_t *v = put_tlv_room(w, TLV_MANDATORY | TLV_PREFIX,
				  PREFIX_HDR_LEN + alen);

	if (!v)
		return;
	v[0] = p->addr.family == AF_INET ? 4 : 6;
	v[1] = p->len;
	memcpy(v + PREFIX_HDR_LEN, p->addr.raw, alen);
}

/* Header of a signed object; the length is set by sign_object(). */
static void put_hdr(struct wr *w, enum xm_cert_kind kind)
{
	uint8_t *p = wr_take(w, XM_CERT_HDR_LEN);

	if (!p)
		return;
	xm_put16(p, XM_CERT_MAGIC);
	p[2] = XM_CERT_VERSION;
	p[3] = (uint8_t)kind;
}

/* Length field and signature: the object's length, 0 if it overflowed. */
static size_t sign_object(struct wr *w, const uint8_t sk[XM_SECKEY_LEN])
{
	size_t body = w->len;
	uint8_t *sig = wr_take(w, XM_SIG_LEN);

	if (!sig || body > UINT16_MAX)
		return 0;
	xm_put16(w->p + 4, (uint16_t)body);
	crypto_sign_detached(sig, NULL, w->p, body, sk);
	return w->len;
}

/* ---- decoding ---- */

/*
 * The framing of a signed object of at most max bytes: magic, version,
 * the length field equal to what is there. Its kind and TLVs.
 */
static enum xm_cert_reason open_object(const uint8_t *p, size_t len,
				       size_t max, uint8_t *kind,
				       const uint8_t **tlvs, size_t *tlv_len)
{
	if (len < XM_CERT_HDR_LEN + XM_SIG_LEN || len > max ||
	    xm_get16(p) != XM_CERT_MAGIC)
		return XM_CERT_MALFORMED;
	if (p[2] != XM_CERT_VERSION)
		return XM_CERT_BAD_VERSION;
	if (xm_get16(p + 4) != len - XM_SIG_LEN)
		return XM_CERT_MALFORMED;	/* truncated or trailing bytes */
	*kind = p[3];
	*tlvs = p + XM_CERT_HDR_LEN;
	*tlv_len = len - XM_SIG_LEN - XM_CERT_HDR_LEN;
	return XM_CERT_OK;
}

/* One known TLV into the object: false if its value is not acceptable. */
typedef bool (*field_fn)(void *obj, unsigned int type, const uint8_t *v,
			 size_t len);

/*
 * Walk the TLVs: known types must be in allowed (at most once, but
 * repeats), all of required present; unknown ones are skipped unless
 * mandatory.
 */
static enum xm_cert_reason walk(const uint8_t *p, size_t n, uint32_t allowed,
				uint32_t required, uint32_t repeats,
				field_fn fn, void *obj)
{
	uint32_t seen = 0;
	size_t off = 0;

	while (off < n) {
		unsigned int type, base;
		size_t vlen;

		if (n - off < TLV_HDR_LEN)
			return XM_CERT_MALFORMED;
		type = xm_get16(p + off);
		vlen = xm_get16(p + off + 2);
		off += TLV_HDR_LEN;
		if (vlen > n - off)
			return XM_CERT_MALFORMED;
		base = type & ~(unsigned int)TLV_MANDATORY;
		if (base >= 1 && base <= TLV_KNOWN_MAX) {
			if (!(allowed & BIT(base)) ||
			    (seen & BIT(base) & ~repeats) ||
			    !fn(obj, base, p + off, vlen))
				return XM_CERT_MALFORMED;
			seen |= BIT(base);
		} else if (type & TLV_MANDATORY) {
			return XM_CERT_MALFORMED;
		}
		off += vlen;
	}
	return (seen & required) == required ? XM_CERT_OK : XM_CERT_MALFORMED;
}

static bool get_name(char *out, const uint8_t *v, size_t len,
		     bool may_be_empty)
{
	size_t i;

	if (len >= XM_NAME_MAX || (!len && !may_be_empty))
		return false;
	for (i = 0; i < len; i++)
		if (!xm_wire_name_char_ok(v[i]))
			return false;
	memcpy(out, v, len);
	out[len] = '\0';
	return true;
}

static bool get_u64(uint64_t *out, const uint8_t *v, size_t len)
{
	if (len != 8)
		return false;
	*out = xm_get64(v);
	return true;
}

/*
 * Are n prefixes each valid (a known family, a length within it, host
 * bits zero) and distinct? The encoder's rule and the decoder's.
 */
static bool prefixes_valid(const struct xm_prefix4or6 *p, unsigned int n)
{
	unsigned int i, j;

	if (n > XM_CERT_PREFIX_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (!xm_addr_len(p[i].addr.family) ||
		    p[i].len > xm_addr_bits(p[i].addr.family) ||
		    xm_addr_has_host_bits(&p[i].addr, p[i].len))
			return false;
		for (j = 0; j < i; j++)
			if (xm_prefix_eq(&p[i].addr, p[i].len, &p[j].addr,
					 p[j].len))
				return false;
	}
	return true;
}

/* One PREFIX value, appended to c's prefixes if valid and new. */
static bool get_prefix(struct xm_cert *c, const uint8_t *v, size_t len)
{
	struct xm_prefix4or6 *p = &c->prefixes[c->n_prefixes];
	uint16_t family;

	if (c->n_prefixes == XM_CERT_PREFIX_MAX || len < PREFIX_HDR_LEN)
		return false;
	family = v[0] == 4 ? AF_INET : v[0] == 6 ? AF_INET6 : 0;
	if (!family || len != PREFIX_HDR_LEN + xm_addr_len(family))
		return false;
	memset(p, 0, sizeof(*p));
	p->addr.family = family;
	p->len = v[1];
	memcpy(p->addr.raw, v + PREFIX_HDR_LEN, xm_addr_len(family));
	if (!prefixes_valid(c->prefixes, c->n_prefixes + 1))
		return false;
	c->n_prefixes++;
	return true;
}

static bool cert_field(void *obj, unsigned int type, const uint8_t *v,
		       size_t len)
{
	struct xm_cert *c = obj;
	unsigned int i;

	switch (type) {
	case TLV_SERIAL:
		return get_u64(&c->serial, v, len) && c->serial;
	case TLV_SITE:
		return get_name(c->site, v, len, false);
	case TLV_ISSUER:
		if (len != XM_KEY_ID_LEN)
			return false;
		memcpy(c->issuer, v, len);
		return true;
	case TLV_PUBKEY:
		if (len != XM_PUBKEY_LEN)
			return false;
		memcpy(c->pubkey, v, len);
		return true;
	case TLV_NODE:
		if (len != 4)
			return false;
		c->node_id = xm_get32(v);
		return c->node_id;
	case TLV_ZONE:
		return get_name(c->zone, v, len, true);
	case TLV_ROLE:
		if (c->n_roles == XM_ROLE_MAX ||
		    !get_name(c->roles[c->n_roles], v, len, false))
			return false;
		for (i = 0; i < c->n_roles; i++)
			if (!strcmp(c->roles[i], c->roles[c->n_roles]))
				return false;
		c->n_roles++;
		return true;
	case TLV_PREFIX:
		return get_prefix(c, v, len);
	case TLV_NOT_BEFORE:
		return get_u64(&c->not_before, v, len);
	case TLV_NOT_AFTER:
		return get_u64(&c->not_after, v, len);
	}
	return false;
}

enum xm_cert_reason xm_cert_decode(struct xm_cert *c, const void *buf,
				   size_t len)
{
	uint32_t allowed = CERT_REQUIRED, required = CERT_REQUIRED;
	enum xm_cert_reason r;
	const uint8_t *tlvs;
	size_t tlv_len;
	uint8_t kind;

	/* buf may be c->raw: raw is written last. */
	memset(c, 0, offsetof(struct xm_cert, raw));
	r = open_object(buf, len, XM_CERT_MAX, &kind, &tlvs, &tlv_len);
	if (r)
		return r;
	if (kind != XM_CERT_AUTHORITY && kind != XM_CERT_NODE &&
	    kind != XM_CERT_POLICY)
		return XM_CERT_WRONG_KIND;
	c->kind = kind;
	if (kind == XM_CERT_NODE) {
		allowed |= NODE_ONLY;
		required |= BIT(TLV_NODE);
	}
	r = walk(tlvs, tlv_len, allowed, required,
		 BIT(TLV_ROLE) | BIT(TLV_PREFIX), cert_field, c);
	if (r)
		return r;
	if (c->not_before >= c->not_after)
		return XM_CERT_MALFORMED;
	c->len = len;
	memmove(c->raw, buf, len);	/* buf may be c->raw */
	return XM_CERT_OK;
}

static bool crl_field(void *obj, unsigned int type, const uint8_t *v,
		      size_t len)
{
	struct xm_crl *l = obj;
	uint64_t prev = 0;
	size_t i;

	switch (type) {
	case TLV_SITE:
		return get_name(l->site, v, len, false);
	case TLV_ISSUER:
		if (len != XM_KEY_ID_LEN)
			return false;
		memcpy(l->issuer, v, len);
		return true;
	case TLV_CRL_VERSION:
		return get_u64(&l->version, v, len) && l->version;
	case TLV_ISSUED:
		return get_u64(&l->issued, v, len);
	case TLV_SERIALS:
		if (len % 8 || len / 8 > XM_CRL_SERIALS_MAX)
			return false;
		for (i = 0; i < len / 8; i++) {
			l->serials[i] = xm_get64(v + 8 * i);
			if (l->serials[i] <= prev)	/* also refuses 0 */
				return false;
			prev = l->serials[i];
		}
		l->n_serials = (unsigned int)(len / 8);
		return true;
	}
	return false;
}

enum xm_cert_reason xm_crl_decode(struct xm_crl *l, const void *buf,
				  size_t len)
{
	enum xm_cert_reason r;
	const uint8_t *tlvs;
	size_t tlv_len;
	uint8_t kind;

	/* buf may be l->raw (xm_crl_decode_text()): raw is written last. */
	memset(l, 0, offsetof(struct xm_crl, raw));
	r = open_object(buf, len, XM_CRL_MAX, &kind, &tlvs, &tlv_len);
	if (r)
		return r;
	if (kind != XM_CERT_CRL)
		return XM_CERT_WRONG_KIND;
	r = walk(tlvs, tlv_len, CRL_ALLOWED, CRL_REQUIRED, 0, crl_field, l);
	if (r)
		return r;
	l->len = len;
	memmove(l->raw, buf, len);
	return XM_CERT_OK;
}

/* ---- encoding ---- */

static bool cert_fields_valid(const struct xm_cert *c)
{
	unsigned int i, j;

	if (c->kind != XM_CERT_AUTHORITY && c->kind != XM_CERT_NODE &&
	    c->kind != XM_CERT_POLICY)
		return false;
	if (!c->serial || !xm_wire_name_valid(c->site, false) ||
	    c->not_before >= c->not_after)
		return false;
	if (c->kind != XM_CERT_NODE)
		return !c->node_id && !c->zone[0] && !c->n_roles &&
		       !c->n_prefixes;
	if (!c->node_id || !xm_wire_name_valid(c->zone, true) ||
	    c->n_roles > XM_ROLE_MAX ||
	    !prefixes_valid(c->prefixes, c->n_prefixes))
		return false;
	for (i = 0; i < c->n_roles; i++) {
		if (!xm_wire_name_valid(c->roles[i], false))
			return false;
		for (j = 0; j < i; j++)
			if (!strcmp(c->roles[i], c->roles[j]))
				return false;
	}
	return true;
}

int xm_cert_sign(struct xm_cert *c, const uint8_t sk[XM_SECKEY_LEN])
{
	struct wr w = { .p = c->raw, .cap = sizeof(c->raw) };
	uint8_t pk[XM_PUBKEY_LEN], b[4];
	unsigned int i;

	if (!cert_fields_valid(c) || !xm_seckey_check(sk, pk) ||
	    (c->kind == XM_CERT_AUTHORITY &&
	     memcmp(pk, c->pubkey, XM_PUBKEY_LEN)))
		return -EINVAL;
	xm_key_id(pk, c->issuer);
	put_hdr(&w, c->kind);
	put_u64(&w, TLV_SERIAL, c->serial);
	put_name(&w, TLV_SITE, c->site);
	put_tlv(&w, TLV_ISSUER, c->issuer, XM_KEY_ID_LEN);
	put_tlv(&w, TLV_PUBKEY, c->pubkey, XM_PUBKEY_LEN);
	if (c->kind == XM_CERT_NODE) {
		xm_put32(b, c->node_id);
		put_tlv(&w, TLV_NODE, b, 4);
		if (c->zone[0])
			put_name(&w, TLV_ZONE, c->zone);
		for (i = 0; i < c->n_roles; i++)
			put_name(&w, TLV_ROLE, c->roles[i]);
		for (i = 0; i < c->n_prefixes; i++)
			put_prefix(&w, &c->prefixes[i]);
	}
	put_u64(&w, TLV_NOT_BEFORE, c->not_before);
	put_u64(&w, TLV_NOT_AFTER, c->not_after);
	c->len = sign_object(&w, sk);
	return c->len ? 0 : -EINVAL;
}

int xm_crl_sign(struct xm_crl *l, const uint8_t sk[XM_SECKEY_LEN])
{
	struct wr w = { .p = l->raw, .cap = sizeof(l->raw) };
	uint8_t pk[XM_PUBKEY_LEN], *p;
	unsigned int i;

	if (!l->version || !xm_wire_name_valid(l->site, false) ||
	    l->n_serials > XM_CRL_SERIALS_MAX || !xm_seckey_check(sk, pk))
		return -EINVAL;
	for (i = 0; i < l->n_serials; i++)
		if (l->serials[i] <= (i ? l->serials[i - 1] : 0))
			return -EINVAL;
	xm_key_id(pk, l->issuer);
	put_hdr(&w, XM_CERT_CRL);
	put_name(&w, TLV_SITE, l->site);
	put_tlv(&w, TLV_ISSUER, l->issuer, XM_KEY_ID_LEN);
	put_u64(&w, TLV_CRL_VERSION, l->version);
	put_u64(&w, TLV_ISSUED, l->issued);
	if (l->n_serials) {
		p = put_tlv_room(&w, TLV_SERIALS, 8 * (size_t)l->n_serials);
		for (i = 0; p && i < l->n_serials; i++)
			xm_put64(p + 8 * i, l->serials[i]);
	}
	l->len = sign_object(&w, sk);
	return l->len ? 0 : -EINVAL;
}

/* ---- verification ---- */

bool xm_cert_gives_prefix(const struct xm_cert *c,
			  const struct xm_prefix4or6 *p)
{
	struct xm_prefix4or6 masked;
	unsigned int i;

	if (!c->n_prefixes)
		return true;
	for (i = 0; i < c->n_prefixes; i++) {
		const struct xm_prefix4or6 *g = &c->prefixes[i];

		if (g->addr.family != p->addr.family || g->len > p->len)
			continue;
		/* p's address cut to g's length is g's. */
		masked = *p;
		xm_addr_mask(&masked.addr, g->len);
		if (!memcmp(masked.addr.raw, g->addr.raw,
			    xm_addr_len(g->addr.family)))
			return true;
	}
	return false;
}

/* A self-signed authority certificate, valid at now_s. */
static bool authority_valid(const struct xm_cert *a, uint64_t now_s)
{
	uint8_t id[XM_KEY_ID_LEN];

	if (a->kind != XM_CERT_AUTHORITY)
		return false;
	xm_key_id(a->pubkey, id);
	return !memcmp(id, a->issuer, XM_KEY_ID_LEN) &&
	       signed_by(a->raw, a->len, a->pubkey) &&
	       now_s >= a->not_before && now_s <= a->not_after;
}

/* Site, issuer and signature of an object the authority signed. */
static enum xm_cert_reason signed_by_authority(const char *site,
					       const uint8_t *issuer,
					       const uint8_t *raw, size_t len,
					       const struct xm_cert *a)
{
	if (strcmp(site, a->site))
		return XM_CERT_WRONG_SITE;
	/* The authority's own key id: authority_valid() checked it. */
	if (memcmp(issuer, a->issuer, XM_KEY_ID_LEN))
		return XM_CERT_UNKNOWN_ISSUER;
	if (!signed_by(raw, len, a->pubkey))
		return XM_CERT_BAD_SIGNATURE;
	return XM_CERT_OK;
}

enum xm_cert_reason xm_crl_verify(const struct xm_crl *l,
				  const struct xm_cert *authority,
				  uint64_t now_s)
{
	if (!authority_valid(authority, now_s))
		return XM_CERT_BAD_AUTHORITY;
	return signed_by_authority(l->site, l->issuer, l->raw, l->len,
				   authority);
}

enum xm_cert_reason xm_cert_verify(const struct xm_cert *c,
				   enum xm_cert_kind want,
				   const struct xm_cert *authority,
				   const struct xm_crl *crl, uint64_t now_s)
{
	enum xm_cert_reason r;

	if (!authority_valid(authority, now_s))
		return XM_CERT_BAD_AUTHORITY;
	if (want && c->kind != want)
		return XM_CERT_WRONG_KIND;
	/* No chains: the only authority is the trust anchor itself. */
	if (c->kind == XM_CERT_AUTHORITY &&
	    memcmp(c->pubkey, authority->pubkey, XM_PUBKEY_LEN))
		return XM_CERT_WRONG_KIND;
	r = signed_by_authority(c->site, c->issuer, c->raw, c->len, authority);
	if (r)
		return r;
	if (now_s < c->not_before)
		return XM_CERT_NOT_YET_VALID;
	if (now_s > c->not_after)
		return XM_CERT_EXPIRED;
	if (crl && xm_crl_verify(crl, authority, now_s))
		return XM_CERT_BAD_CRL;
	if (crl && xm_crl_has(crl, c->serial))
		return XM_CERT_REVOKED;
	return XM_CERT_OK;
}

enum xm_cert_reason xm_cert_check_text(struct xm_cert *c, const char *text,
				       size_t len, enum xm_cert_kind want,
				       const struct xm_cert *authority,
				       const struct xm_crl *crl,
				       uint64_t now_s)
{
	enum xm_cert_reason r = xm_cert_decode_text(c, text, len);

	return r ? r : xm_cert_verify(c, want, authority, crl, now_s);
}

/* ---- the revocation list ---- */

/* Where serial is, or would go. */
static unsigned int crl_find(const struct xm_crl *l, uint64_t serial)
{
	unsigned int lo = 0, hi = l->n_serials;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (l->serials[mid] < serial)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool xm_crl_has(const struct xm_crl *l, uint64_t serial)
{
	unsigned int i = crl_find(l, serial);

	return i < l->n_serials && l->serials[i] == serial;
}

int xm_crl_add(struct xm_crl *l, uint64_t serial)
{
	unsigned int i;

	if (!serial)
		return -EINVAL;
	i = crl_find(l, serial);
	if (i < l->n_serials && l->serials[i] == serial)
		return -EEXIST;
	if (l->n_serials == XM_CRL_SERIALS_MAX)
		return -ENOSPC;
	memmove(&l->serials[i + 1], &l->serials[i],
		(l->n_serials - i) * sizeof(l->serials[0]));
	l->serials[i] = serial;
	l->n_serials++;
	return 0;
}

enum xm_cert_reason xm_crl_accept(const struct xm_crl *cur,
				  const struct xm_crl *next,
				  const struct xm_cert *authority,
				  uint64_t now_s)
{
	enum xm_cert_reason r = xm_crl_verify(next, authority, now_s);

	if (r)
		return r;
	/* A list of another (former) authority does not count. */
	if (cur && !memcmp(cur->issuer, next->issuer, XM_KEY_ID_LEN) &&
	    next->version <= cur->version)
		return XM_CERT_STALE;
	return XM_CERT_OK;
}

/* ---- armored text ---- */

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static bool is_base64(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' || ch == '=';
}

/* "-----BEGIN label-----" or END: its length, 0 if label is too long. */
static size_t marker(char *buf, size_t cap, const char *what,
		     const char *label)
{
	int n = snprintf(buf, cap, "-----%s %s-----", what, label);

	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t xm_armor(char *out, size_t cap, const char *label,
		const uint8_t *bin, size_t len)
{
	const size_t chunk = XM_ARMOR_LINE / 4 * 3;	/* bytes per line */
	char begin[64], end[64];
	size_t nb = marker(begin, sizeof(begin), "BEGIN", label);
	size_t ne = marker(end, sizeof(end), "END", label);
	size_t b64 = (len + 2) / 3 * 4, lines = (len + chunk - 1) / chunk;
	size_t need = nb + 1 + b64 + lines + ne + 1 + 1, pos, i;

	if (!nb || !ne || need > cap)
		return 0;
	memcpy(out, begin, nb);
	out[nb] = '\n';
	pos = nb + 1;
	for (i = 0; i < len; i += chunk) {
		size_t n = len - i < chunk ? len - i : chunk;

		sodium_bin2base64(out + pos, cap - pos, bin + i, n,
				  sodium_base64_VARIANT_ORIGINAL);
		pos += strlen(out + pos);
		out[pos++] = '\n';
	}
	memcpy(out + pos, end, ne);
	pos += ne;
	out[pos++] = '\n';
	out[pos] = '\0';
	return pos;
}

/* Does text (after blanks) begin with the BEGIN line of label? */
static bool armor_begins(const char *text, size_t len, const char *label,
			 size_t *after)
{
	char begin[64];
	size_t nb = marker(begin, sizeof(begin), "BEGIN", label), i = 0;

	while (i < len && is_blank(text[i]))
		i++;
	if (!nb || len - i < nb || memcmp(text + i, begin, nb))
		return false;
	*after = i + nb;
	return true;
}

ssize_t xm_unarmor(const char *text, size_t len, const char *label,
		   uint8_t *out, size_t cap)
{
	char end[64];
	size_t ne = marker(end, sizeof(end), "END", label), i, b64, b64_len;
	size_t bin_len;
	const char *e, *stop;

	if (!ne || !armor_begins(text, len, label, &i))
		return -EBADMSG;
	/* The BEGIN line ends there; END starts a line of its own. */
	while (i < len && (text[i] == ' ' || text[i] == '\t' ||
			   text[i] == '\r'))
		i++;
	if (i == len || text[i] != '\n')
		return -EBADMSG;
	b64 = i;
	e = memmem(text + b64, len - b64, end, ne);
	if (!e)
		return -EBADMSG;
	b64_len = (size_t)(e - text) - b64;
	for (i = b64; i < b64 + b64_len; i++)
		if (!is_blank(text[i]) && !is_base64(text[i]))
			return -EBADMSG;
	if (text[b64 + b64_len - 1] != '\n')
		return -EBADMSG;
	for (i = b64 + b64_len + ne; i < len; i++)
		if (!is_blank(text[i]))
			return -EBADMSG;
	if (sodium_base642bin(out, cap, text + b64, b64_len, " \t\r\n",
			      &bin_len, &stop,
			      sodium_base64_VARIANT_ORIGINAL))
		return errno == ERANGE ? -EMSGSIZE : -EBADMSG;
	if (stop != text + b64 + b64_len)
		return -EBADMSG;
	return (ssize_t)bin_len;
}

/* Why text with the other label is refused: it is of the wrong kind. */
static enum xm_cert_reason unarmor_failed(const char *text, size_t len,
					  const char *other)
{
	size_t after;

	return armor_begins(text, len, other, &after) ? XM_CERT_WRONG_KIND :
							XM_CERT_MALFORMED;
}

enum xm_cert_reason xm_cert_decode_text(struct xm_cert *c, const char *text,
					size_t len)
{
	uint8_t buf[XM_CERT_MAX];
	ssize_t n = xm_unarmor(text, len, XM_CERT_LABEL, buf, sizeof(buf));

	if (n < 0) {
		memset(c, 0, offsetof(struct xm_cert, raw));
		return unarmor_failed(text, len, XM_CRL_LABEL);
	}
	return xm_cert_decode(c, buf, (size_t)n);
}

enum xm_cert_reason xm_crl_decode_text(struct xm_crl *l, const char *text,
				       size_t len)
{
	ssize_t n = xm_unarmor(text, len, XM_CRL_LABEL, l->raw,
			       sizeof(l->raw));

	if (n < 0) {
		memset(l, 0, offsetof(struct xm_crl, raw));
		return unarmor_failed(text, len, XM_CERT_LABEL);
	}
	return xm_crl_decode(l, l->raw, (size_t)n);
}

size_t xm_cert_text(const struct xm_cert *c, char *out, size_t cap)
{
	return xm_armor(out, cap, XM_CERT_LABEL, c->raw, c->len);
}

size_t xm_crl_text(const struct xm_crl *l, char *out, size_t cap)
{
	return xm_armor(out, cap, XM_CRL_LABEL, l->raw, l->len);
}
