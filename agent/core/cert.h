/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Node certificates and the revocation list (Documentation/certificates.md).
 *
 * The site authority, an Ed25519 key pair kept offline, signs a
 * certificate for each node: its node id, public key, zone, roles, the
 * prefixes it may advertise as its own, and validity. It certifies itself (a self-signed authority certificate, the
 * trust anchor every agent is given) and the controller's policy-signing
 * key, and signs a revocation list of the serials it has withdrawn.
 *
 * Certificates and lists are one binary format: a header, TLVs, and an
 * Ed25519 signature over both; files carry it as armored text (base64
 * between BEGIN and END lines). Decoding is strict: every length checked,
 * sizes bounded, unknown mandatory fields, fields out of place and
 * trailing bytes refused.
 *
 * Pure code: no I/O, no clock (the time is passed in, in unix seconds).
 * libsodium must have been initialised (sodium_init()).
 *
 * Keys are libsodium's: a 64-byte secret key (seed, then public key), as
 * xmeshd's node.key holds it, and a 32-byte public key. The node's X25519
 * key for the key exchange is derived from the same pair
 * (crypto_sign_ed25519_pk_to_curve25519()): one key pair per node.
 */
#ifndef XM_CERT_H
#define XM_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core.h"	/* XM_NAME_MAX, XM_ROLE_MAX, XM_PUBKEY_LEN */

#define XM_CERT_MAGIC		0x5843	/* "XC" */
#define XM_CERT_VERSION		1
#define XM_CERT_HDR_LEN		6
#define XM_SIG_LEN		64	/* Ed25519 signature */
#define XM_SECKEY_LEN		64	/* Ed25519 secret key (seed, public) */
#define XM_KEY_ID_LEN		16	/* BLAKE2b-128 of a public key */

/*
 * A certificate, signature included, is at most XM_CERT_MAX bytes: the
 * largest one of this version is 696 (8 IPv6 prefixes), the rest is room
 * for later fields. Small enough to travel in a key exchange message
 * (msg.h, kx.h) and in every signed advert (msg.h, with 8 adjacencies
 * at least) within XM_PDU_MAX.
 */
#define XM_CERT_MAX		768
/* Prefixes one node certificate can give: covering prefixes, not each
 * address (a certificate travels in every advert of its node). */
#define XM_CERT_PREFIX_MAX	8
/* Serials one revocation list can hold, and its largest encoding. */
#define XM_CRL_SERIALS_MAX	4096
#define XM_CRL_MAX		(34 * 1024)

/* Bytes of the armored text of n bytes: BEGIN and END lines, base64 in
 * lines of 64 characters, NUL included. */
#define XM_ARMOR_LINE		64
#define XM_ARMOR_LEN(n)							\
	(2 * (sizeof("-----BEGIN -----\n") + 32) +			\
	 ((n) + 2) / 3 * 4 + ((n) + 2) / 3 * 4 / XM_ARMOR_LINE + 2)
#define XM_CERT_TEXT_MAX	XM_ARMOR_LEN(XM_CERT_MAX)
#define XM_CRL_TEXT_MAX		XM_ARMOR_LEN(XM_CRL_MAX)

#define XM_CERT_LABEL		"XMESH CERTIFICATE"
#define XM_CRL_LABEL		"XMESH REVOCATION LIST"

/* What a signed object is: the kind byte of its header. */
enum xm_cert_kind {
	XM_CERT_AUTHORITY = 1,	/* the site authority, self-signed */
	XM_CERT_NODE = 2,	/* a node of the site */
	XM_CERT_POLICY = 3,	/* the controller's policy-signing key */
	XM_CERT_CRL = 4,	/* not a certificate: a revocation list */
};

/*
 * Why a certificate (or list) is refused. Each has a name for logs,
 * counters and JSON (xm_cert_reason_name()); Documentation/certificates.md
 * says what each means.
 */
enum xm_cert_reason {
	XM_CERT_OK = 0,
	XM_CERT_MALFORMED,	/* not a valid encoding of this version */
	XM_CERT_BAD_VERSION,	/* a format version this code does not know */
	XM_CERT_WRONG_KIND,	/* a valid object, but not the kind wanted */
	XM_CERT_BAD_AUTHORITY,	/* the trust anchor given is not valid now */
	XM_CERT_WRONG_SITE,	/* of another site than the authority's */
	XM_CERT_UNKNOWN_ISSUER,	/* signed by another key than the authority */
	XM_CERT_BAD_SIGNATURE,	/* the signature does not match the bytes */
	XM_CERT_NOT_YET_VALID,	/* now is before not-before */
	XM_CERT_EXPIRED,	/* now is after not-after */
	XM_CERT_REVOKED,	/* its serial is in the revocation list */
	XM_CERT_BAD_CRL,	/* the revocation list given is not valid */
	XM_CERT_STALE,		/* a revocation list not newer than ours */
	XM_CERT_REASON_MAX = XM_CERT_STALE,
};

/*
 * A certificate. The fields are what raw says: xm_cert_decode() fills
 * both, xm_cert_sign() encodes the fields into raw. Verification checks
 * the signature over raw, so do not change the fields of a decoded one.
 */
struct xm_cert {
	enum xm_cert_kind kind;
	uint64_t serial;			/* not 0 */
	char site[XM_NAME_MAX];			/* 1..31 printable, no blanks */
	uint8_t issuer[XM_KEY_ID_LEN];		/* key id of the signer */
	uint8_t pubkey[XM_PUBKEY_LEN];		/* the subject's key */
	uint32_t node_id;			/* node: not 0; others: 0 */
	char zone[XM_NAME_MAX];			/* node only; "" default zone */
	unsigned int n_roles;			/* node only */
	char roles[XM_ROLE_MAX][XM_NAME_MAX];	/* distinct, not empty */
	/* node only: the prefixes it may advertise as its own, distinct,
	 * host bits zero; none: any (certificates from before prefixes) */
	unsigned int n_prefixes;
	struct xm_prefix4or6 prefixes[XM_CERT_PREFIX_MAX];
	uint64_t not_before, not_after;		/* unix seconds, inclusive */
	size_t len;				/* of raw */
	uint8_t raw[XM_CERT_MAX];		/* the signed encoding */
};

/*
 * A revocation list: the serials the authority withdrew, ascending. Its
 * version grows with each list the authority issues; an agent replaces
 * its list only by a newer one (xm_crl_accept()). About 66 KB: allocate
 * it, do not put it on the stack.
 */
struct xm_crl {
	uint64_t version;			/* not 0 */
	uint64_t issued;			/* unix seconds */
	char site[XM_NAME_MAX];
	uint8_t issuer[XM_KEY_ID_LEN];
	unsigned int n_serials;
	uint64_t serials[XM_CRL_SERIALS_MAX];	/* ascending, not 0 */
	size_t len;
	uint8_t raw[XM_CRL_MAX];
};

/* "ok", "malformed", ...; "unknown" out of range. */
const char *xm_cert_reason_name(enum xm_cert_reason r);
/* A sentence for people: "the certificate's validity has ended". */
const char *xm_cert_reason_text(enum xm_cert_reason r);
/* "authority", "node", "policy", "crl"; NULL if unknown. */
const char *xm_cert_kind_name(enum xm_cert_kind k);

/* The key id of a public key: BLAKE2b with 16 bytes of output. */
void xm_key_id(const uint8_t pubkey[XM_PUBKEY_LEN],
	       uint8_t id[XM_KEY_ID_LEN]);
/*
 * Is sk a whole secret key: does its public half belong to its seed?
 * (A damaged key file signs what no one can verify.) Fills pubkey.
 */
bool xm_seckey_check(const uint8_t sk[XM_SECKEY_LEN],
		     uint8_t pubkey[XM_PUBKEY_LEN]);

/*
 * Does c let its node advertise prefix p as its own: p lies inside one of
 * c's prefixes (same family, at least as long, same leading bits), or c
 * gives none (unrestricted)?
 */
bool xm_cert_gives_prefix(const struct xm_cert *c,
			  const struct xm_prefix4or6 *p);

/*
 * Encode c (kind, serial, site, pubkey, node_id, zone, roles, prefixes,
 * validity)
 * and sign it with the authority's secret key sk: sets issuer, raw and
 * len. An authority certificate must be for sk's own public key. 0, or
 * -EINVAL for fields the format cannot carry (the rules of
 * xm_cert_decode()).
 */
int xm_cert_sign(struct xm_cert *c, const uint8_t sk[XM_SECKEY_LEN]);

/*
 * Decode len bytes into c: XM_CERT_OK, XM_CERT_MALFORMED,
 * XM_CERT_BAD_VERSION, or XM_CERT_WRONG_KIND for a revocation list or a
 * kind this version does not know. The signature is not checked here.
 */
enum xm_cert_reason xm_cert_decode(struct xm_cert *c, const void *buf,
				   size_t len);

/*
 * May c be trusted at now_s, as a certificate of kind want (0: any kind)?
 * authority is the site's authority certificate (the trust anchor), crl
 * its revocation list or NULL. In order: the authority is checked
 * (XM_CERT_BAD_AUTHORITY: not a self-signed authority certificate valid
 * at now_s), the kind (an authority certificate is accepted only as the
 * authority itself), the site, the issuer, the signature, the validity,
 * then the list (XM_CERT_BAD_CRL if it is not the authority's, else
 * XM_CERT_REVOKED if it holds c's serial).
 */
enum xm_cert_reason xm_cert_verify(const struct xm_cert *c,
				   enum xm_cert_kind want,
				   const struct xm_cert *authority,
				   const struct xm_crl *crl, uint64_t now_s);

/*
 * Decode the certificate in text (armored, XM_CERT_LABEL) and verify it:
 * xm_cert_decode_text() then xm_cert_verify(). c holds what was decoded.
 */
enum xm_cert_reason xm_cert_check_text(struct xm_cert *c, const char *text,
				       size_t len, enum xm_cert_kind want,
				       const struct xm_cert *authority,
				       const struct xm_crl *crl,
				       uint64_t now_s);

/* ---- the revocation list ---- */

/* Add serial in order: 0, -EEXIST, -ENOSPC, or -EINVAL for 0. */
int xm_crl_add(struct xm_crl *l, uint64_t serial);
/* Is serial in the list (binary search)? */
bool xm_crl_has(const struct xm_crl *l, uint64_t serial);

/* Encode and sign l (as xm_cert_sign()): 0 or -EINVAL. */
int xm_crl_sign(struct xm_crl *l, const uint8_t sk[XM_SECKEY_LEN]);
/* As xm_cert_decode(); XM_CERT_WRONG_KIND for a certificate. */
enum xm_cert_reason xm_crl_decode(struct xm_crl *l, const void *buf,
				  size_t len);
/*
 * Is l the authority's list: XM_CERT_BAD_AUTHORITY, XM_CERT_WRONG_SITE,
 * XM_CERT_UNKNOWN_ISSUER, XM_CERT_BAD_SIGNATURE or XM_CERT_OK.
 */
enum xm_cert_reason xm_crl_verify(const struct xm_crl *l,
				  const struct xm_cert *authority,
				  uint64_t now_s);
/*
 * May next replace cur (NULL: no list yet)? next must verify, and its
 * version be above cur's (XM_CERT_STALE otherwise): an older list,
 * replayed or left in a file, never undoes a revocation.
 */
enum xm_cert_reason xm_crl_accept(const struct xm_crl *cur,
				  const struct xm_crl *next,
				  const struct xm_cert *authority,
				  uint64_t now_s);

/* ---- armored text ---- */

/*
 * "-----BEGIN label-----", base64 in lines of XM_ARMOR_LINE, "-----END
 * label-----", each line ending in '\n', NUL-terminated: the text's
 * length, or 0 if it does not fit in cap (XM_ARMOR_LEN(len)).
 */
size_t xm_armor(char *out, size_t cap, const char *label,
		const uint8_t *bin, size_t len);
/*
 * The bytes of armored text with this label: blanks and line breaks
 * (LF or CRLF) around and inside the base64 are allowed, anything else
 * refused. Length, -EBADMSG, or -EMSGSIZE if more than cap bytes.
 */
ssize_t xm_unarmor(const char *text, size_t len, const char *label,
		   uint8_t *out, size_t cap);

/* Decode armored text: as the binary decoders, XM_CERT_WRONG_KIND for a
 * list given as a certificate and the other way round. */
enum xm_cert_reason xm_cert_decode_text(struct xm_cert *c, const char *text,
					size_t len);
enum xm_cert_reason xm_crl_decode_text(struct xm_crl *l, const char *text,
				       size_t len);
/* The armored text of a signed certificate or list: length, or 0. */
size_t xm_cert_text(const struct xm_cert *c, char *out, size_t cap);
size_t xm_crl_text(const struct xm_crl *l, char *out, size_t cap);

#endif /* XM_CERT_H */
