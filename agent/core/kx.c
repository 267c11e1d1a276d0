// SPDX-License-Identifier: GPL-2.0
/*
 * The per-neighbor key exchange (kx.h): Noise_XX_25519_ChaChaPoly_BLAKE2b
 * (the Noise Protocol Framework, revision 34), certificates in the
 * payloads, kernel keys from the final chaining key, make-before-break
 * rotation.
 */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kx.h"
#include "origin.h"

/* A handshake message with the largest certificate is one message. */
_Static_assert(XM_MSG_MIN_LEN + XM_TLV_HDR_LEN + XM_KX_HDR_LEN +
	       XM_KX_NOISE_MAX <= XM_PDU_MAX,
	       "a certificate travels in one handshake message");

#define HASHLEN		64	/* BLAKE2b */
#define BLOCKLEN	128
#define DHLEN		32
#define PROTOCOL	"Noise_XX_25519_ChaChaPoly_BLAKE2b"
#define PROLOGUE	"xmesh kx 1"
#define QUEUE_MAX	8
#define KX_WARN_MS	10000	/* one warning per peer per 10 s at most */
#define KX_WARN_SILENT	(~0U)	/* the warning of a peer that does not answer */

void xm_kx_params_default(struct xm_kx_params *p)
{
	*p = (struct xm_kx_params){
		.rekey_ms = 120000,
		.rekey_packets = UINT64_C(1) << 32,
		.retry_ms = 1000,
		.tries = 5,
		.grace_ms = 10000,
		.refused_ms = 30000,
	};
}

const char *xm_kx_params_check(const struct xm_kx_params *p)
{
	if (!p->retry_ms || !p->tries || p->tries > 100)
		return "kx retry must be above 0 and tries 1 to 100";
	if ((uint64_t)p->grace_ms <= (uint64_t)p->tries * p->retry_ms)
		return "kx grace must be longer than tries x retry";
	if (p->rekey_ms <= p->grace_ms)
		return "kx rekey interval must be longer than the grace period";
	if (!p->rekey_packets || !p->refused_ms)
		return "kx rekey packets and refusal backoff must be above 0";
	return NULL;
}

static const char *const refusal_names[XM_KX_REFUSED_COUNT] = {
	[XM_KX_REFUSED_NODE] = "node_mismatch",
	[XM_KX_REFUSED_KEY] = "key_mismatch",
	[XM_KX_REFUSED_CLAIM] = "claim_mismatch",
	[XM_KX_REFUSED_SECURITY] = "security_mismatch",
};

const char *xm_kx_refusal_name(unsigned int r)
{
	if (r && r <= XM_CERT_REASON_MAX)
		return xm_cert_reason_name((enum xm_cert_reason)r);
	if (r < XM_KX_REFUSED_COUNT && refusal_names[r])
		return refusal_names[r];
	return "unknown";
}

static const char *refusal_text(unsigned int r)
{
	if (r && r <= XM_CERT_REASON_MAX)
		return xm_cert_reason_text((enum xm_cert_reason)r);
	switch (r) {
	case XM_KX_REFUSED_NODE:
		return "its certificate is for another node id";
	case XM_KX_REFUSED_KEY:
		return "its certificate is for another key than the one it holds";
	case XM_KX_REFUSED_CLAIM:
		return "it claims a zone, roles or prefixes its certificate does not give";
	case XM_KX_REFUSED_SECURITY:
		return "it states another security mode";
	}
	return "unknown";
}

/* ---- Noise ---- */

struct noise {
	uint8_t ck[HASHLEN], h[HASHLEN];
	uint8_t k[32];
	bool has_k;
	uint64_t n;
};

static void hash_update2(uint8_t out[HASHLEN], const void *a, size_t alen,
			 const void *b, size_t blen)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, HASHLEN);
	crypto_generichash_update(&st, a, alen);
	crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, out, HASHLEN);
	sodium_memzero(&st, sizeof(st));
}

/* HMAC-BLAKE2b (RFC 2104) of d1 || d2 with a key of at most 64 bytes. */
static void hmac(uint8_t out[HASHLEN], const uint8_t *key, size_t klen,
		 const void *d1, size_t l1, const void *d2, size_t l2)
{
	uint8_t pad[BLOCKLEN], inner[HASHLEN];
	crypto_generichash_state st;
	size_t i;

	memset(pad, 0x36, sizeof(pad));
	for (i = 0; i < klen; i++)
		pad[i] ^= key[i];
	crypto_generichash_init(&st, NULL, 0, HASHLEN);
	crypto_generichash_update(&st, pad, sizeof(pad));
	crypto_generichash_update(&st, d1, l1);
	crypto_generichash_update(&st, d2, l2);
	crypto_generichash_final(&st, inner, HASHLEN);
	memset(pad, 0x5c, sizeof(pad));
	for (i = 0; i < klen; i++)
		pad[i] ^= key[i];
	hash_update2(out, pad, sizeof(pad), inner, sizeof(inner));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	sodium_memzero(&st, sizeof(st));
}

/* Noise's HKDF: two or three outputs (o3 may be NULL). */
static void hkdf(const uint8_t ck[HASHLEN], const void *ikm, size_t ilen,
		 uint8_t o1[HASHLEN], uint8_t o2[HASHLEN], uint8_t *o3)
{
	uint8_t tk[HASHLEN], b;

	hmac(tk, ck, HASHLEN, ikm, ilen, NULL, 0);
	b = 1;
	hmac(o1, tk, HASHLEN, &b, 1, NULL, 0);
	b = 2;
	hmac(o2, tk, HASHLEN, o1, HASHLEN, &b, 1);
	if (o3) {
		b = 3;
		hmac(o3, tk, HASHLEN, o2, HASHLEN, &b, 1);
	}
	sodium_memzero(tk, sizeof(tk));
}

static void mix_hash(struct noise *ns, const void *data, size_t len)
{
	hash_update2(ns->h, ns->h, HASHLEN, data, len);
}

static void mix_key(struct noise *ns, const uint8_t ikm[DHLEN])
{
	uint8_t o1[HASHLEN], o2[HASHLEN];

	hkdf(ns->ck, ikm, DHLEN, o1, o2, NULL);
	memcpy(ns->ck, o1, HASHLEN);
	memcpy(ns->k, o2, sizeof(ns->k));
	ns->has_k = true;
	ns->n = 0;
	sodium_memzero(o1, sizeof(o1));
	sodium_memzero(o2, sizeof(o2));
}

/* ChaChaPoly's nonce: 32 bits of zeros, then n little-endian. */
static void nonce_of(uint8_t nonce[12], uint64_t n)
{
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

/* Into out (room for len + 16): the bytes written. */
static size_t encrypt_and_hash(struct noise *ns, uint8_t *out,
			       const uint8_t *p, size_t len)
{
	unsigned long long clen = len;
	uint8_t nonce[12];

	if (ns->has_k) {
		nonce_of(nonce, ns->n++);
		crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, p, len,
							  ns->h, HASHLEN, NULL,
							  nonce, ns->k);
	} else if (len) {
		memmove(out, p, len);
	}
	mix_hash(ns, out, (size_t)clen);
	return (size_t)clen;
}

/* c of clen bytes into out (room for clen): -1 if it does not verify. */
static int decrypt_and_hash(struct noise *ns, uint8_t *out, const uint8_t *c,
			    size_t clen)
{
	unsigned long long plen;
	uint8_t nonce[12];

	if (ns->has_k) {
		if (clen < XM_KX_AEAD_TAG)
			return -1;
		nonce_of(nonce, ns->n);
		if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &plen, NULL,
							      c, clen, ns->h,
							      HASHLEN, nonce,
							      ns->k))
			return -1;
		ns->n++;
	} else if (clen) {
		memmove(out, c, clen);
	}
	mix_hash(ns, c, clen);
	return 0;
}

/* X25519; -1 for a low-order point (an all-zero result). */
static int dh(uint8_t out[DHLEN], const uint8_t sk[DHLEN],
	      const uint8_t pk[DHLEN])
{
	return crypto_scalarmult(out, sk, pk) ? -1 : 0;
}

static int mix_dh(struct noise *ns, const uint8_t sk[DHLEN],
		  const uint8_t pk[DHLEN])
{
	uint8_t shared[DHLEN];
	int ret = dh(shared, sk, pk);

	if (!ret)
		mix_key(ns, shared);
	sodium_memzero(shared, sizeof(shared));
	return ret;
}

/*
 * Who talks to whom is the certificates' business (each end checks that
 * the other's names the node it expects), so that a mismatch is refused
 * with its reason rather than as an undecryptable message.
 */
static void noise_init(struct noise *ns)
{
	_Static_assert(sizeof(PROTOCOL) - 1 <= HASHLEN, "name fits h");
	memset(ns, 0, sizeof(*ns));
	memcpy(ns->h, PROTOCOL, sizeof(PROTOCOL) - 1);
	memcpy(ns->ck, ns->h, HASHLEN);
	mix_hash(ns, PROLOGUE, sizeof(PROLOGUE) - 1);
}

/* ---- state ---- */

struct xm_kx {
	uint32_t node_id;
	uint8_t ed_sk[XM_SECKEY_LEN];
	uint8_t s_sk[DHLEN], s_pk[DHLEN];	/* X25519 of ed_sk */
	struct xm_cert cert, authority;
	struct xm_crl *crl;			/* NULL: none */
	struct xm_kx_params params;
	uint8_t security;			/* XM_KX_SECURITY_* */
	struct xm_kx_stats st;
	void (*random)(void *buf, size_t len);
};

enum hs_state {
	HS_NONE,
	HS_WAIT_RESP,		/* initiator: INIT sent */
	HS_WAIT_FINISH,		/* responder: RESP sent */
	HS_WAIT_CONFIRM,	/* initiator: FINISH sent, rx key installed */
};

/* One handshake in progress. */
struct handshake {
	enum hs_state state;
	uint32_t session;
	struct noise ns;
	uint8_t e_sk[DHLEN], e_pk[DHLEN], re[DHLEN], rs[DHLEN];
	uint8_t rx_id;			/* ours: the peer sends with it */
	uint8_t tx_id;			/* the peer's: we send with it */
	uint8_t k_tx[XM_KX_KEY_LEN], k_rx[XM_KX_KEY_LEN];
	uint8_t k_confirm[XM_KX_KEY_LEN];
	struct xm_cert peer_cert;
	uint8_t peer_security;		/* the mode its payload states */
	struct xm_kx_msg last;		/* resent on retries / duplicates */
	unsigned int sent;
	xm_time retry_at, deadline;
};

struct xm_kx_peer {
	struct xm_kx *kx;
	uint32_t node, neigh;
	bool up;
	uint8_t tx_id, rx_id;		/* the session's */
	uint8_t old_rx_id;		/* 0: none */
	xm_time old_rx_del_at;
	xm_time since;			/* the session's start */
	xm_time next_start;		/* XM_NEVER: none planned */
	bool rekey_asked;		/* by volume */
	uint8_t next_id;		/* the last receive key id chosen */
	xm_time warned_at;		/* the last warning event, or XM_NEVER */
	unsigned int warned_why;	/* its refusal reason, KX_WARN_SILENT */
	unsigned int unwarned;		/* warnings like it held back since */
	struct xm_cert cert;		/* the peer's, while up */
	/* The last completed handshake as responder: a duplicate FINISH
	 * (our CONFIRM lost) gets the CONFIRM again. */
	uint32_t done_session;
	struct xm_kx_msg done_confirm;
	xm_time init_at;		/* the last new session we answered */
	struct handshake hs;
	unsigned int q_head, q_len;
	struct xm_kx_action q[QUEUE_MAX];
};

static void random_default(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

void xm_kx_action_wipe(struct xm_kx_action *a)
{
	sodium_memzero(a->key, sizeof(a->key));
}

struct xm_kx *xm_kx_new(uint32_t node_id, const uint8_t sk[XM_SECKEY_LEN],
			const struct xm_cert *cert,
			const struct xm_cert *authority,
			const struct xm_crl *crl,
			const struct xm_kx_params *params, uint64_t unix_s,
			unsigned int *why)
{
	uint8_t pk[XM_PUBKEY_LEN];
	struct xm_kx *kx;
	unsigned int r;

	*why = XM_CERT_OK;
	r = xm_cert_verify(cert, XM_CERT_NODE, authority, crl, unix_s);
	if (r == XM_CERT_OK && cert->node_id != node_id)
		r = XM_KX_REFUSED_NODE;
	if (r == XM_CERT_OK && (!xm_seckey_check(sk, pk) ||
				memcmp(pk, cert->pubkey, XM_PUBKEY_LEN)))
		r = XM_KX_REFUSED_KEY;
	if (r == XM_CERT_OK && params && xm_kx_params_check(params))
		r = XM_CERT_MALFORMED;
	if (r != XM_CERT_OK) {
		*why = r;
		return NULL;
	}
	kx = sodium_malloc(sizeof(*kx));
	if (!kx)
		return NULL;
	memset(kx, 0, sizeof(*kx));
	if (crl) {
		kx->crl = sodium_malloc(sizeof(*kx->crl));
		if (!kx->crl) {
			sodium_free(kx);
			return NULL;
		}
		*kx->crl = *crl;
	}
	kx->node_id = node_id;
	memcpy(kx->ed_sk, sk, XM_SECKEY_LEN);
	if (crypto_sign_ed25519_sk_to_curve25519(kx->s_sk, sk) ||
	    crypto_sign_ed25519_pk_to_curve25519(kx->s_pk, pk)) {
		xm_kx_free(kx);
		*why = XM_KX_REFUSED_KEY;
		return NULL;
	}
	kx->cert = *cert;
	kx->authority = *authority;
	if (params)
		kx->params = *params;
	else
		xm_kx_params_default(&kx->params);
	kx->random = random_default;
	kx->security = XM_KX_SECURITY_ENCRYPT;
	return kx;
}

void xm_kx_free(struct xm_kx *kx)
{
	if (!kx)
		return;
	if (kx->crl)
		sodium_free(kx->crl);
	sodium_free(kx);	/* wipes */
}

enum xm_cert_reason xm_kx_set_crl(struct xm_kx *kx, const struct xm_crl *crl,
				  uint64_t unix_s)
{
	enum xm_cert_reason r = xm_crl_accept(kx->crl, crl, &kx->authority,
					      unix_s);

	if (r != XM_CERT_OK)
		return r;
	if (!kx->crl) {
		kx->crl = sodium_malloc(sizeof(*kx->crl));
		if (!kx->crl)
			return XM_CERT_BAD_CRL;
	}
	*kx->crl = *crl;
	return XM_CERT_OK;
}

void xm_kx_set_security(struct xm_kx *kx, uint8_t mode)
{
	kx->security = mode;
}

const char *xm_kx_security_name(uint8_t mode)
{
	switch (mode) {
	case 0:
		return "not stated";
	case XM_KX_SECURITY_AUTH:
		return "auth";
	case XM_KX_SECURITY_ENCRYPT:
		return "encrypt";
	}
	return "unknown";
}

const struct xm_kx_stats *xm_kx_stats(const struct xm_kx *kx)
{
	return &kx->st;
}

const struct xm_cert *xm_kx_cert(const struct xm_kx *kx)
{
	return &kx->cert;
}

void xm_kx_set_random(struct xm_kx *kx, void (*fn)(void *buf, size_t len))
{
	kx->random = fn ? fn : random_default;
}

/* Are the zone and roles caps claims c's (roles in any order)? */
static bool caps_match(const struct xm_cert *c, const struct xm_caps *caps)
{
	unsigned int i, j;

	if (strcmp(c->zone, caps->zone) || c->n_roles != caps->n_roles)
		return false;
	/* Certificate roles are distinct: each claimed one found once. */
	for (i = 0; i < caps->n_roles; i++) {
		for (j = 0; j < c->n_roles; j++)
			if (!strcmp(caps->roles[i], c->roles[j]))
				break;
		if (j == c->n_roles)
			return false;
	}
	for (i = 0; i < caps->n_roles; i++)
		for (j = i + 1; j < caps->n_roles; j++)
			if (!strcmp(caps->roles[i], caps->roles[j]))
				return false;
	return true;
}

/* "claims P; its certificate gives P1, P2" into why. */
static void prefix_refused(const struct xm_cert *c,
			   const struct xm_prefix4or6 *p, char *why,
			   size_t why_len)
{
	char buf[XM_ADDRSTRLEN];
	unsigned int i;
	size_t n;

	snprintf(why, why_len, "claims %s; its certificate gives",
		 xm_prefix_str(&p->addr, p->len, buf, sizeof(buf)));
	for (i = 0; i < c->n_prefixes; i++) {
		n = strlen(why);
		snprintf(why + n, why_len - n, "%s %s", i ? "," : "",
			 xm_prefix_str(&c->prefixes[i].addr, c->prefixes[i].len,
				       buf, sizeof(buf)));
	}
}

bool xm_kx_claims_match(const struct xm_cert *c,
			const struct xm_kx_claims *claims, char *why,
			size_t why_len)
{
	const struct xm_caps *caps = claims->caps;
	unsigned int i;

	if (!caps_match(c, caps)) {
		snprintf(why, why_len, "claims zone \"%s\" and %u roles; its certificate gives zone \"%s\" and %u roles",
			 caps->zone, caps->n_roles, c->zone, c->n_roles);
		return false;
	}
	for (i = 0; i < claims->n_prefixes; i++)
		if (!xm_cert_gives_prefix(c, &claims->prefixes[i])) {
			prefix_refused(c, &claims->prefixes[i], why, why_len);
			return false;
		}
	return true;
}

/* ---- signed adverts ---- */

void xm_kx_advert_cert(const struct xm_kx *kx, struct xm_advert *a)
{
	a->cert = kx->cert.raw;
	a->cert_len = (uint16_t)kx->cert.len;
	a->has_sig = true;
}

int xm_kx_origin_key(const struct xm_kx *kx, uint8_t out[XM_KX_KEY_LEN],
		     const uint8_t peer_pk[XM_PUBKEY_LEN], uint32_t from,
		     uint32_t to, uint64_t gen)
{
	return xm_origin_key(out, kx->ed_sk, peer_pk, from, to, gen);
}

int xm_kx_advert_sign(const struct xm_kx *kx, struct xm_advert *a)
{
	uint8_t in[XM_ADVERT_SIG_INPUT_MAX];
	size_t n;

	xm_kx_advert_cert(kx, a);
	n = xm_advert_sig_input(a, in);
	if (!n)
		return -EINVAL;
	crypto_sign_ed25519_detached(a->sig, NULL, in, n, kx->ed_sk);
	return 0;
}

static const char *advert_refusal_text(unsigned int r)
{
	if (r == XM_KX_ADVERT_UNSIGNED)
		return "it carries no certificate or no signature";
	if (r == XM_KX_ADVERT_BAD_SIG)
		return "its signature is not its certificate's key's over its bytes";
	return refusal_text(r);
}

static unsigned int advert_check(const struct xm_kx *kx,
				 const struct xm_advert *a, uint64_t unix_s,
				 char *why, size_t why_len)
{
	const struct xm_kx_claims claims = {
		.caps = &a->caps, .prefixes = a->prefixes,
		.n_prefixes = a->n_prefixes,
	};
	uint8_t in[XM_ADVERT_SIG_INPUT_MAX];
	struct xm_cert cert;
	unsigned int r;
	size_t n;

	if (!a->cert_len || !a->has_sig)
		return XM_KX_ADVERT_UNSIGNED;
	r = xm_cert_decode(&cert, a->cert, a->cert_len);
	if (r == XM_CERT_OK)
		r = xm_cert_verify(&cert, XM_CERT_NODE, &kx->authority,
				   kx->crl, unix_s);
	if (r != XM_CERT_OK)
		return r;
	if (cert.node_id != a->originator)
		return XM_KX_REFUSED_NODE;
	n = xm_advert_sig_input(a, in);
	if (!n || crypto_sign_ed25519_verify_detached(a->sig, in, n,
						      cert.pubkey))
		return XM_KX_ADVERT_BAD_SIG;
	/* Signed by its owner, the claims still must be its certificate's. */
	if (!xm_kx_claims_match(&cert, &claims, why, why_len))
		return XM_KX_REFUSED_CLAIM;
	return XM_CERT_OK;
}

unsigned int xm_kx_advert_check(const struct xm_kx *kx,
				const struct xm_advert *a, uint64_t unix_s,
				char *why, size_t why_len)
{
	char claims_why[XM_KX_WHY_MAX];
	unsigned int r = advert_check(kx, a, unix_s, claims_why,
				      sizeof(claims_why));

	if (r == XM_KX_REFUSED_CLAIM)
		snprintf(why, why_len, "it %s", claims_why);
	else if (r != XM_CERT_OK)
		snprintf(why, why_len, "%s", advert_refusal_text(r));
	return r;
}

const char *xm_kx_advert_refusal_name(unsigned int r)
{
	if (r == XM_CERT_OK)
		return "ok";
	if (r == XM_KX_ADVERT_UNSIGNED)
		return "unsigned";
	if (r == XM_KX_ADVERT_BAD_SIG)
		return "bad_advert_signature";
	return xm_kx_refusal_name(r);
}


/* ---- peers ---- */

struct xm_kx_peer *xm_kx_peer_new(struct xm_kx *kx, uint32_t node,
				  uint32_t neigh)
{
	struct xm_kx_peer *p = sodium_malloc(sizeof(*p));

	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->kx = kx;
	p->node = node;
	p->neigh = neigh;
	p->next_start = XM_NEVER;
	p->old_rx_del_at = XM_NEVER;
	p->warned_at = XM_NEVER;
	p->init_at = XM_NEVER;
	/* Ids from a random start: a restarted agent rarely takes the ids
	 * its previous run's keys still hold in the kernel. */
	kx->random(&p->next_id, sizeof(p->next_id));
	return p;
}

void xm_kx_peer_free(struct xm_kx_peer *p)
{
	if (p)
		sodium_free(p);
}

static struct xm_kx_action *push(struct xm_kx_peer *p,
				 enum xm_kx_action_type type)
{
	struct xm_kx_action *a;

	/* Never full in practice (a step queues at most 5); if it were,
	 * the oldest goes: the retries make up for a lost send. */
	if (p->q_len == QUEUE_MAX) {
		xm_kx_action_wipe(&p->q[p->q_head]);
		p->q_head = (p->q_head + 1) % QUEUE_MAX;
		p->q_len--;
	}
	a = &p->q[(p->q_head + p->q_len++) % QUEUE_MAX];
	memset(a, 0, sizeof(*a));
	a->type = type;
	return a;
}

/* Whether an action of this type waits in p's queue. */
static bool queued(const struct xm_kx_peer *p, enum xm_kx_action_type type)
{
	unsigned int i;

	for (i = 0; i < p->q_len; i++)
		if (p->q[(p->q_head + i) % QUEUE_MAX].type == type)
			return true;
	return false;
}

bool xm_kx_peer_action(struct xm_kx_peer *p, struct xm_kx_action *a)
{
	if (!p->q_len)
		return false;
	*a = p->q[p->q_head];
	xm_kx_action_wipe(&p->q[p->q_head]);
	p->q_head = (p->q_head + 1) % QUEUE_MAX;
	p->q_len--;
	return true;
}

__attribute__((format(printf, 3, 4)))
static void event(struct xm_kx_peer *p, enum xm_event_level level,
		  const char *fmt, ...)
{
	struct xm_kx_action *a = push(p, XM_KX_ACT_EVENT);
	va_list ap;

	a->level = level;
	va_start(ap, fmt);
	vsnprintf(a->text, sizeof(a->text), fmt, ap);
	va_end(ap);
}

/* A warning about what the peer sends (why: its refusal reason, or
 * KX_WARN_SILENT): the same one once per KX_WARN_MS per peer at most (the
 * counters have them all), so a peer that keeps sending bad handshakes
 * cannot flood the log; a new reason is told at once.
 */
static void warn(struct xm_kx_peer *p, xm_time now, unsigned int why,
		 const char *fmt, ...)
{
	char text[sizeof(((struct xm_kx_action *)0)->text)];
	va_list ap;

	if (p->warned_at != XM_NEVER && why == p->warned_why &&
	    now < p->warned_at + KX_WARN_MS) {
		p->unwarned++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (p->unwarned && why == p->warned_why)
		event(p, XM_EV_WARN, "%s (and %u times more since the last warning)",
		      text, p->unwarned);
	else if (p->unwarned)
		event(p, XM_EV_WARN, "%s (%u held back before it)", text,
		      p->unwarned);
	else
		event(p, XM_EV_WARN, "%s", text);
	p->warned_at = now;
	p->warned_why = why;
	p->unwarned = 0;
}

static void send_msg(struct xm_kx_peer *p, const struct xm_kx_msg *m)
{
	push(p, XM_KX_ACT_SEND)->msg = *m;
}

static void key_add(struct xm_kx_peer *p, uint8_t id, uint8_t dir,
		    const uint8_t key[XM_KX_KEY_LEN])
{
	struct xm_kx_action *a = push(p, XM_KX_ACT_KEY_ADD);

	a->key_id = id;
	a->dir = dir;
	memcpy(a->key, key, XM_KX_KEY_LEN);
}

static void key_del(struct xm_kx_peer *p, uint8_t id, uint8_t dir)
{
	struct xm_kx_action *a = push(p, XM_KX_ACT_KEY_DEL);

	a->key_id = id;
	a->dir = dir;
}

/* A receive key id in use by none of the peer's receive keys. */
static uint8_t new_rx_id(struct xm_kx_peer *p)
{
	uint8_t id = p->next_id;

	do
		id = (uint8_t)(id % 255 + 1);
	while (id == p->rx_id || id == p->old_rx_id ||
	       (p->hs.state != HS_NONE && id == p->hs.rx_id));
	p->next_id = id;
	return id;
}

/* Drop the handshake; an installed receive key of it goes too. */
static void hs_abort(struct xm_kx_peer *p)
{
	if (p->hs.state == HS_WAIT_CONFIRM)
		key_del(p, p->hs.rx_id, XM_KX_RX);
	sodium_memzero(&p->hs, sizeof(p->hs));
	p->hs.state = HS_NONE;
}

static void hs_sent(struct xm_kx_peer *p, xm_time now,
		    const struct xm_kx_msg *m)
{
	p->hs.last = *m;
	p->hs.sent = 1;
	p->hs.retry_at = now + p->kx->params.retry_ms;
	send_msg(p, m);
}

static void random_nonzero32(struct xm_kx *kx, uint32_t *v)
{
	do
		kx->random(v, sizeof(*v));
	while (!*v);
}

static void gen_ephemeral(struct xm_kx *kx, struct handshake *hs)
{
	kx->random(hs->e_sk, sizeof(hs->e_sk));
	crypto_scalarmult_base(hs->e_pk, hs->e_sk);
}

static void initiate(struct xm_kx_peer *p, xm_time now)
{
	struct xm_kx *kx = p->kx;
	struct handshake *hs = &p->hs;
	struct xm_kx_msg m = { .step = XM_KX_INIT };

	hs_abort(p);
	random_nonzero32(kx, &hs->session);
	noise_init(&hs->ns);
	gen_ephemeral(kx, hs);
	memcpy(m.noise, hs->e_pk, DHLEN);
	mix_hash(&hs->ns, hs->e_pk, DHLEN);
	m.len = DHLEN + (uint16_t)encrypt_and_hash(&hs->ns, m.noise + DHLEN,
						   NULL, 0);
	m.session = hs->session;
	hs->state = HS_WAIT_RESP;
	hs->deadline = XM_NEVER;
	p->next_start = XM_NEVER;
	p->rekey_asked = false;
	hs_sent(p, now, &m);
}

/* Our payload: our receive key id, our security mode, our certificate. */
static size_t payload_put(struct xm_kx_peer *p, uint8_t *out)
{
	out[0] = p->hs.rx_id;
	out[1] = p->kx->security;
	memcpy(out + XM_KX_PAYLOAD_HDR, p->kx->cert.raw, p->kx->cert.len);
	return XM_KX_PAYLOAD_HDR + p->kx->cert.len;
}

/*
 * The peer's payload: its receive key id, a certificate that verifies,
 * names the peer and certifies the static key rs it proved, and our
 * security mode (compared last: a certificate refused says more). 0, or
 * the refusal (-1: malformed payload).
 */
static int payload_check(struct xm_kx_peer *p, const uint8_t *pl, size_t len,
			 uint64_t unix_s)
{
	struct xm_kx *kx = p->kx;
	struct handshake *hs = &p->hs;
	uint8_t x_pk[DHLEN];
	unsigned int r;

	if (len < XM_KX_PAYLOAD_HDR || !pl[0])
		return -1;
	hs->tx_id = pl[0];
	hs->peer_security = pl[1];
	r = xm_cert_decode(&hs->peer_cert, pl + XM_KX_PAYLOAD_HDR,
			   len - XM_KX_PAYLOAD_HDR);
	if (r == XM_CERT_OK)
		r = xm_cert_verify(&hs->peer_cert, XM_CERT_NODE,
				   &kx->authority, kx->crl, unix_s);
	if (r == XM_CERT_OK && hs->peer_cert.node_id != p->node)
		r = XM_KX_REFUSED_NODE;
	if (r == XM_CERT_OK &&
	    (crypto_sign_ed25519_pk_to_curve25519(x_pk,
						  hs->peer_cert.pubkey) ||
	     sodium_memcmp(x_pk, hs->rs, DHLEN)))
		r = XM_KX_REFUSED_KEY;
	/* Not stated (0) is refused too: see XM_KX_SECURITY_AUTH. */
	if (r == XM_CERT_OK && hs->peer_security != kx->security)
		r = XM_KX_REFUSED_SECURITY;
	return (int)r;
}

/*
 * Our static key, its DH with the peer's ephemeral and our payload (with
 * a new receive key id), at out->noise + off: the end of RESP and FINISH.
 * 0, or -1 for a low-order point.
 */
static int static_and_payload_put(struct xm_kx_peer *p, struct xm_kx_msg *out,
				  size_t off)
{
	struct handshake *hs = &p->hs;
	uint8_t payload[XM_KX_PAYLOAD_MAX];
	size_t n = off, pl;

	n += encrypt_and_hash(&hs->ns, out->noise + n, p->kx->s_pk, DHLEN);
	if (mix_dh(&hs->ns, p->kx->s_sk, hs->re))
		return -1;
	hs->rx_id = new_rx_id(p);
	pl = payload_put(p, payload);
	n += encrypt_and_hash(&hs->ns, out->noise + n, payload, pl);
	out->len = (uint16_t)n;
	return 0;
}

/*
 * The end of RESP and FINISH: mix es (or se), decrypt the peer's payload
 * at m->noise + off and check it. 0, the refusal, or -1 if malformed.
 */
static int payload_read(struct xm_kx_peer *p, const struct xm_kx_msg *m,
			size_t off, uint64_t unix_s)
{
	struct handshake *hs = &p->hs;
	uint8_t payload[XM_KX_PAYLOAD_MAX + XM_KX_AEAD_TAG];
	int r = -1;

	if (!mix_dh(&hs->ns, hs->e_sk, hs->rs) &&
	    !decrypt_and_hash(&hs->ns, payload, m->noise + off, m->len - off))
		r = payload_check(p, payload, m->len - off - XM_KX_AEAD_TAG,
				  unix_s);
	sodium_memzero(payload, sizeof(payload));
	return r;
}

/* The peer is refused: counted, logged, the session (if any) cut. */
static void refuse(struct xm_kx_peer *p, xm_time now, unsigned int r)
{
	struct xm_kx *kx = p->kx;
	char modes[48];

	kx->st.refused[r]++;
	/* A mode mismatch says both modes: the one to change is plain. */
	if (r == XM_KX_REFUSED_SECURITY)
		snprintf(modes, sizeof(modes), "it %s, here %s",
			 xm_kx_security_name(p->hs.peer_security),
			 xm_kx_security_name(kx->security));
	warn(p, now, r, "kx: node %u refused on neighbor %u: %s (%s)", p->node,
	     p->neigh, xm_kx_refusal_name(r),
	     r == XM_KX_REFUSED_SECURITY ? modes : refusal_text(r));
	hs_abort(p);
	if (p->up) {
		kx->st.cut++;
		key_del(p, p->tx_id, XM_KX_TX);
		key_del(p, p->rx_id, XM_KX_RX);
		if (p->old_rx_id)
			key_del(p, p->old_rx_id, XM_KX_RX);
		push(p, XM_KX_ACT_DOWN);
		p->up = false;
		p->tx_id = p->rx_id = p->old_rx_id = 0;
		p->old_rx_del_at = XM_NEVER;
	}
	if (!queued(p, XM_KX_ACT_REFUSED))	/* a storm: told once */
		push(p, XM_KX_ACT_REFUSED);
	p->next_start = now + kx->params.refused_ms;
}

/* Kernel keys and the confirmation key from the final chaining key. */
static void split(struct handshake *hs, bool initiator)
{
	uint8_t o1[HASHLEN], o2[HASHLEN], o3[HASHLEN];

	hkdf(hs->ns.ck, NULL, 0, o1, o2, o3);
	/* o1 seals initiator -> responder, o2 the other way. */
	memcpy(initiator ? hs->k_tx : hs->k_rx, o1, XM_KX_KEY_LEN);
	memcpy(initiator ? hs->k_rx : hs->k_tx, o2, XM_KX_KEY_LEN);
	memcpy(hs->k_confirm, o3, XM_KX_KEY_LEN);
	sodium_memzero(o1, sizeof(o1));
	sodium_memzero(o2, sizeof(o2));
	sodium_memzero(o3, sizeof(o3));
}

/* The handshake's session replaces the current one (both directions
 * installed by now). */
static void established(struct xm_kx_peer *p, xm_time now)
{
	struct xm_kx *kx = p->kx;
	bool rekey = p->up;

	if (p->old_rx_id)	/* a rotation within the grace period */
		key_del(p, p->old_rx_id, XM_KX_RX);
	p->old_rx_id = p->up ? p->rx_id : 0;
	p->old_rx_del_at = p->old_rx_id ? now + kx->params.grace_ms : XM_NEVER;
	p->rx_id = p->hs.rx_id;
	p->tx_id = p->hs.tx_id;
	p->cert = p->hs.peer_cert;
	p->since = now;
	p->rekey_asked = false;
	kx->st.handshakes++;
	if (rekey) {
		kx->st.rekeys++;
		event(p, XM_EV_DEBUG, "kx: node %u on neighbor %u: keys rotated (tx %u, rx %u)",
		      p->node, p->neigh, p->tx_id, p->rx_id);
	} else {
		p->up = true;
		push(p, XM_KX_ACT_UP);
		event(p, XM_EV_INFO, "kx: node %u on neighbor %u authenticated (zone \"%s\", %u roles, serial %llu)",
		      p->node, p->neigh, p->cert.zone, p->cert.n_roles,
		      (unsigned long long)p->cert.serial);
	}
	/* The lower id rotates first; the other later, as a fallback. */
	p->next_start = now + kx->params.rekey_ms +
			(kx->node_id < p->node ? 0 : 3 * kx->params.retry_ms);
	sodium_memzero(&p->hs, sizeof(p->hs));
	p->hs.state = HS_NONE;
}

static void confirm_tag(const struct handshake *hs, uint8_t tag[16])
{
	uint8_t nonce[12];
	unsigned long long len;

	nonce_of(nonce, 0);
	crypto_aead_chacha20poly1305_ietf_encrypt(tag, &len, NULL, 0, hs->ns.h,
						  HASHLEN, NULL, nonce,
						  hs->k_confirm);
}

static void on_init(struct xm_kx_peer *p, xm_time now,
		    const struct xm_kx_msg *m)
{
	struct xm_kx *kx = p->kx;
	struct handshake *hs = &p->hs;
	struct xm_kx_msg out = { .step = XM_KX_RESP, .session = m->session };
	uint8_t empty[1];	/* INIT's payload is empty */

	if (hs->state == HS_WAIT_FINISH && hs->session == m->session &&
	    !sodium_memcmp(hs->re, m->noise, DHLEN)) {
		/* Our RESP was lost: the same again. (Another e under the
		 * same session: the first was altered; answer this one.) */
		send_msg(p, &hs->last);
		return;
	}
	if (m->session == p->done_session) {
		kx->st.unexpected++;	/* a late copy of a finished one */
		return;
	}
	if (hs->state == HS_WAIT_RESP || hs->state == HS_WAIT_CONFIRM) {
		kx->st.collisions++;
		if (kx->node_id < p->node)
			return;		/* ours wins: it will answer it */
	}
	/*
	 * A new session costs a key pair and a DH: one per peer per
	 * retry_ms. An honest initiator's next INIT is a resend of this
	 * one (answered above), or a new session tries * retry_ms later;
	 * one refused here is sent again retry_ms later. A flood of new
	 * sessions costs one key pair and DH per interval.
	 */
	if (p->init_at != XM_NEVER && now < p->init_at + kx->params.retry_ms) {
		kx->st.init_limited++;
		return;
	}
	p->init_at = now;
	hs_abort(p);
	hs->session = m->session;
	noise_init(&hs->ns);
	memcpy(hs->re, m->noise, DHLEN);
	mix_hash(&hs->ns, hs->re, DHLEN);
	decrypt_and_hash(&hs->ns, empty, m->noise + DHLEN, 0);
	gen_ephemeral(kx, hs);
	memcpy(out.noise, hs->e_pk, DHLEN);
	mix_hash(&hs->ns, hs->e_pk, DHLEN);
	if (mix_dh(&hs->ns, hs->e_sk, hs->re) ||
	    static_and_payload_put(p, &out, DHLEN))
		goto bad;
	hs->state = HS_WAIT_FINISH;
	hs_sent(p, now, &out);
	hs->retry_at = XM_NEVER;	/* the initiator resends, not us */
	hs->deadline = now + (xm_time)kx->params.tries * kx->params.retry_ms;
	return;
bad:
	kx->st.bad_msg++;	/* a low-order point */
	hs_abort(p);
}

static void on_resp(struct xm_kx_peer *p, xm_time now, uint64_t unix_s,
		    const struct xm_kx_msg *m)
{
	struct xm_kx *kx = p->kx;
	struct handshake *hs = &p->hs;
	struct xm_kx_msg out = { .step = XM_KX_FINISH, .session = m->session };
	struct noise saved;
	size_t n;
	int r;

	if (hs->state != HS_WAIT_RESP || hs->session != m->session) {
		kx->st.unexpected++;
		return;
	}
	saved = hs->ns;		/* a forged RESP must not spoil ours */
	memcpy(hs->re, m->noise, DHLEN);
	mix_hash(&hs->ns, hs->re, DHLEN);
	n = DHLEN;
	if (mix_dh(&hs->ns, hs->e_sk, hs->re) ||
	    decrypt_and_hash(&hs->ns, hs->rs, m->noise + n,
			     DHLEN + XM_KX_AEAD_TAG))
		goto bad;
	n += DHLEN + XM_KX_AEAD_TAG;
	r = payload_read(p, m, n, unix_s);
	if (r < 0)
		goto bad;
	if (r) {
		refuse(p, now, (unsigned int)r);
		goto out;
	}
	if (static_and_payload_put(p, &out, 0))
		goto bad;
	split(hs, true);
	/* Receive before the peer can send: it sends on our FINISH. */
	key_add(p, hs->rx_id, XM_KX_RX, hs->k_rx);
	sodium_memzero(hs->k_rx, sizeof(hs->k_rx));
	hs->state = HS_WAIT_CONFIRM;
	hs_sent(p, now, &out);
	goto out;
bad:
	kx->st.bad_msg++;
	hs->ns = saved;
out:
	sodium_memzero(&saved, sizeof(saved));
}

static void on_finish(struct xm_kx_peer *p, xm_time now, uint64_t unix_s,
		      const struct xm_kx_msg *m)
{
	struct xm_kx *kx = p->kx;
	struct handshake *hs = &p->hs;
	struct xm_kx_msg out = { .step = XM_KX_CONFIRM, .session = m->session,
				 .len = XM_KX_AEAD_TAG };
	struct noise saved;
	int r;

	if (hs->state == HS_NONE && p->done_session == m->session &&
	    m->session) {
		send_msg(p, &p->done_confirm);	/* our CONFIRM was lost */
		return;
	}
	if (hs->state != HS_WAIT_FINISH || hs->session != m->session) {
		kx->st.unexpected++;
		return;
	}
	saved = hs->ns;
	if (decrypt_and_hash(&hs->ns, hs->rs, m->noise, DHLEN + XM_KX_AEAD_TAG))
		goto bad;
	r = payload_read(p, m, DHLEN + XM_KX_AEAD_TAG, unix_s);
	if (r < 0)
		goto bad;
	if (r) {
		refuse(p, now, (unsigned int)r);
		goto out;
	}
	split(hs, false);
	/* Receive first, then send: the initiator receives already. */
	key_add(p, hs->rx_id, XM_KX_RX, hs->k_rx);
	key_add(p, hs->tx_id, XM_KX_TX, hs->k_tx);
	confirm_tag(hs, out.noise);
	send_msg(p, &out);
	p->done_session = m->session;
	p->done_confirm = out;
	established(p, now);
	goto out;
bad:
	kx->st.bad_msg++;
	hs->ns = saved;
out:
	sodium_memzero(&saved, sizeof(saved));
}

static void on_confirm(struct xm_kx_peer *p, xm_time now,
		       const struct xm_kx_msg *m)
{
	struct xm_kx *kx = p->kx;
	struct handshake *hs = &p->hs;
	uint8_t tag[XM_KX_AEAD_TAG];

	if (hs->state != HS_WAIT_CONFIRM || hs->session != m->session) {
		kx->st.unexpected++;
		return;
	}
	confirm_tag(hs, tag);
	if (sodium_memcmp(tag, m->noise, sizeof(tag))) {
		kx->st.bad_msg++;
		return;
	}
	/* The responder receives with it now: switch. */
	key_add(p, hs->tx_id, XM_KX_TX, hs->k_tx);
	established(p, now);
}

void xm_kx_peer_start(struct xm_kx_peer *p, xm_time now)
{
	if (p->up || p->hs.state != HS_NONE)
		return;
	if (p->kx->node_id < p->node)
		initiate(p, now);
	else if (p->next_start == XM_NEVER)
		p->next_start = now + 2 * (xm_time)p->kx->params.retry_ms;
}

void xm_kx_peer_recv(struct xm_kx_peer *p, xm_time now, uint64_t unix_s,
		     const struct xm_kx_msg *m)
{
	if (!xm_kx_msg_len_ok(m->step, m->len) || !m->session) {
		p->kx->st.unexpected++;
		return;
	}
	switch (m->step) {
	case XM_KX_INIT:
		on_init(p, now, m);
		break;
	case XM_KX_RESP:
		on_resp(p, now, unix_s, m);
		break;
	case XM_KX_FINISH:
		on_finish(p, now, unix_s, m);
		break;
	case XM_KX_CONFIRM:
		on_confirm(p, now, m);
		break;
	default:
		p->kx->st.unexpected++;
	}
}

void xm_kx_peer_timer(struct xm_kx_peer *p, xm_time now, uint64_t unix_s)
{
	struct xm_kx *kx = p->kx;
	struct handshake *hs = &p->hs;

	(void)unix_s;
	if (p->old_rx_del_at <= now) {
		key_del(p, p->old_rx_id, XM_KX_RX);
		p->old_rx_id = 0;
		p->old_rx_del_at = XM_NEVER;
	}
	if (hs->state != HS_NONE && hs->deadline <= now) {
		kx->st.timeouts++;
		hs_abort(p);
		if (p->next_start == XM_NEVER || p->next_start < now)
			p->next_start = now + kx->params.retry_ms;
	}
	if (hs->state != HS_NONE && hs->retry_at <= now) {
		if (hs->sent >= kx->params.tries) {
			kx->st.timeouts++;
			warn(p, now, KX_WARN_SILENT,
			     "kx: node %u on neighbor %u does not answer the key exchange",
			     p->node, p->neigh);
			hs_abort(p);
			p->next_start = now + kx->params.retry_ms;
		} else {
			hs->sent++;
			hs->retry_at = now + kx->params.retry_ms;
			send_msg(p, &hs->last);
		}
	}
	if (hs->state == HS_NONE && p->next_start <= now)
		initiate(p, now);
}

xm_time xm_kx_peer_next_timer(const struct xm_kx_peer *p)
{
	xm_time t = p->old_rx_del_at;

	if (p->hs.state != HS_NONE) {
		if (p->hs.retry_at < t)
			t = p->hs.retry_at;
		if (p->hs.deadline < t)
			t = p->hs.deadline;
	} else if (p->next_start < t) {
		t = p->next_start;
	}
	return t;
}

void xm_kx_peer_tx_counter(struct xm_kx_peer *p, xm_time now, uint8_t key_id,
			   uint64_t counter)
{
	if (!p->up || key_id != p->tx_id || p->rekey_asked ||
	    counter < p->kx->params.rekey_packets)
		return;
	p->rekey_asked = true;
	if (p->hs.state == HS_NONE)
		initiate(p, now);
}

void xm_kx_peer_recheck(struct xm_kx_peer *p, xm_time now, uint64_t unix_s)
{
	struct xm_kx *kx = p->kx;
	enum xm_cert_reason r;

	if (!p->up)
		return;
	r = xm_cert_verify(&p->cert, XM_CERT_NODE, &kx->authority, kx->crl,
			   unix_s);
	if (r != XM_CERT_OK)
		refuse(p, now, r);
}

void xm_kx_peer_key_refused(struct xm_kx_peer *p, xm_time now, uint8_t key_id,
			    uint8_t dir)
{
	struct xm_kx *kx = p->kx;
	uint8_t cur = dir == XM_KX_TX ? p->tx_id : p->rx_id;
	uint8_t next = dir == XM_KX_TX ? p->hs.tx_id : p->hs.rx_id;
	bool in_hs = p->hs.state == HS_WAIT_CONFIRM && key_id == next;

	kx->st.key_refused++;
	if (!in_hs && !(p->up && key_id == cur))
		return;
	event(p, XM_EV_WARN, "kx: node %u on neighbor %u: the kernel did not install %s key %u: a new session in %u ms",
	      p->node, p->neigh, dir == XM_KX_TX ? "transmit" : "receive",
	      key_id, kx->params.retry_ms);
	if (in_hs)
		hs_abort(p);
	if (p->hs.state == HS_NONE)
		p->next_start = now + kx->params.retry_ms;
}

void xm_kx_peer_restart(struct xm_kx_peer *p, xm_time now)
{
	initiate(p, now);	/* both ends may: a collision, the lower wins */
}

void xm_kx_peer_refuse(struct xm_kx_peer *p, xm_time now, unsigned int why)
{
	if (why && why < XM_KX_REFUSED_COUNT)
		refuse(p, now, why);
}

bool xm_kx_peer_up(const struct xm_kx_peer *p)
{
	return p->up;
}

const struct xm_cert *xm_kx_peer_cert(const struct xm_kx_peer *p)
{
	return p->up ? &p->cert : NULL;
}

uint8_t xm_kx_peer_tx_id(const struct xm_kx_peer *p)
{
	return p->up ? p->tx_id : 0;
}
