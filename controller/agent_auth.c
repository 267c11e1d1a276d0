// SPDX-License-Identifier: GPL-2.0
/* Agents' signed requests (agent_auth.h). */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_auth.h"

#define DOMAIN		"xmesh-agent-v1"
#define PROBES		32	/* slots looked at per nonce */

static const char *const names[] = {
	[XM_AGENT_AUTH_OK] = "ok",
	[XM_AGENT_AUTH_MISSING] = "missing",
	[XM_AGENT_AUTH_MALFORMED] = "malformed",
	[XM_AGENT_AUTH_CERT] = "certificate",
	[XM_AGENT_AUTH_TIME] = "time",
	[XM_AGENT_AUTH_SIGNATURE] = "signature",
	[XM_AGENT_AUTH_REPLAY] = "replay",
	[XM_AGENT_AUTH_BUSY] = "busy",
	[XM_AGENT_AUTH_QUOTA] = "quota",
	[XM_AGENT_AUTH_EARLY] = "early",
};

const char *xm_agent_auth_name(enum xm_agent_auth r)
{
	return r <= XM_AGENT_AUTH_MAX ? names[r] : "unknown";
}

struct xm_agent_nonces *xm_agent_nonces_new(size_t size, size_t per_node,
					    const uint8_t key[16],
					    int64_t now)
{
	struct xm_agent_nonces *n;

	if (!size || !per_node || size > SIZE_MAX / 2 / sizeof(n->slot[0]))
		return NULL;
	n = calloc(1, sizeof(*n) + size * sizeof(n->slot[0]));
	if (!n)
		return NULL;
	/* A node with a nonce needs a place: a quarter of the nonces'
	 * count is room enough for nodes of one request each to fill the
	 * cache with the probes open addressing allows. */
	n->n_nodes = size / 4 > 16 ? size / 4 : 16;
	n->node = calloc(n->n_nodes, sizeof(n->node[0]));
	if (!n->node) {
		free(n);
		return NULL;
	}
	memcpy(n->key, key, sizeof(n->key));
	n->created = now;
	n->size = size;
	n->per_node = per_node;
	return n;
}

void xm_agent_nonces_free(struct xm_agent_nonces *n)
{
	if (n)
		free(n->node);
	free(n);
}

/* The signed message's digest: what Ed25519 signs. */
static void digest(const char *method, const char *path, const void *body,
		   size_t body_len, int64_t t,
		   const uint8_t nonce[XM_AGENT_NONCE_LEN], uint8_t out[32])
{
	crypto_generichash_state st;
	uint8_t body_hash[32], tb[8];
	int i;

	crypto_generichash(body_hash, sizeof(body_hash), body, body_len,
			   NULL, 0);
	for (i = 0; i < 8; i++)
		tb[i] = (uint8_t)((uint64_t)t >> (56 - 8 * i));
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)DOMAIN,
				  sizeof(DOMAIN));
	crypto_generichash_update(&st, (const uint8_t *)method,
				  strlen(method) + 1);
	crypto_generichash_update(&st, (const uint8_t *)path,
				  strlen(path) + 1);
	crypto_generichash_update(&st, body_hash, sizeof(body_hash));
	crypto_generichash_update(&st, tb, sizeof(tb));
	crypto_generichash_update(&st, nonce, XM_AGENT_NONCE_LEN);
	crypto_generichash_final(&st, out, 32);
}

void xm_agent_auth_sign(const uint8_t sk[XM_SECKEY_LEN], const char *method,
			const char *path, const void *body, size_t body_len,
			int64_t t, const uint8_t nonce[XM_AGENT_NONCE_LEN],
			char time[21], char nonce_hex[33], char sig_hex[129])
{
	uint8_t d[32], sig[64];

	digest(method, path, body, body_len, t, nonce, d);
	crypto_sign_detached(sig, NULL, d, sizeof(d), sk);
	snprintf(time, 21, "%lld", (long long)t);
	sodium_bin2hex(nonce_hex, 33, nonce, XM_AGENT_NONCE_LEN);
	sodium_bin2hex(sig_hex, 129, sig, sizeof(sig));
}

static bool hex_exact(const char *s, uint8_t *out, size_t len)
{
	size_t got;

	if (strlen(s) != 2 * len)
		return false;
	return !sodium_hex2bin(out, len, s, 2 * len, NULL, &got, NULL) &&
	       got == len;
}

static bool parse_time(const char *s, int64_t *t)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9' || strlen(s) > 19)
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*t = v;
	return true;
}

/* The keyed hash of node_id and len bytes of more, modulo size. */
static size_t hash_of(const struct xm_agent_nonces *n, uint32_t node_id,
		      const uint8_t *more, size_t len, size_t size)
{
	uint8_t in[4 + XM_AGENT_NONCE_LEN], h[8];
	uint64_t v;

	memcpy(in, &node_id, 4);
	if (len)
		memcpy(in + 4, more, len);
	crypto_shorthash(h, in, 4 + len, n->key);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v % size);
}

static bool bucket_live(const struct xm_agent_node *e, int i, int64_t now)
{
	return e->count[i] &&
	       (e->epoch[i] + 1) * XM_AGENT_BUCKET_S > now;
}

/* The nonces of a node still remembered at now. */
static size_t node_count(const struct xm_agent_node *e, int64_t now)
{
	size_t sum = 0;
	int i;

	for (i = 0; i < XM_AGENT_BUCKETS; i++)
		if (bucket_live(e, i, now))
			sum += e->count[i];
	return sum;
}

/* The counts of node_id: its entry, or a free one (reset) for it, or
 * NULL if there is no room near its place. */
static struct xm_agent_node *node_of(struct xm_agent_nonces *n,
				     uint32_t node_id, int64_t now)
{
	size_t i, h = hash_of(n, node_id, NULL, 0, n->n_nodes);
	struct xm_agent_node *free_node = NULL;

	for (i = 0; i < PROBES && i < n->n_nodes; i++) {
		struct xm_agent_node *e = &n->node[(h + i) % n->n_nodes];

		if (e->node_id == node_id)
			return e;
		if (!free_node && (!e->node_id || !node_count(e, now)))
			free_node = e;
	}
	if (free_node) {
		memset(free_node, 0, sizeof(*free_node));
		free_node->node_id = node_id;
	}
	return free_node;
}

/* Count a nonce of e's node that expires at expires. */
static void node_add(struct xm_agent_node *e, int64_t expires)
{
	int64_t epoch = expires / XM_AGENT_BUCKET_S;
	int i = (int)(epoch % XM_AGENT_BUCKETS);

	if (e->epoch[i] != epoch) {
		e->epoch[i] = epoch;
		e->count[i] = 0;
	}
	e->count[i]++;
}

/* Whether (node, nonce) is remembered, alive at now; the first slot
 * free near its place in *free_slot (if not NULL). */
static bool probe(struct xm_agent_nonces *n, uint32_t node_id,
		  const uint8_t nonce[XM_AGENT_NONCE_LEN], int64_t now,
		  struct xm_agent_nonce **free_slot)
{
	size_t i, s = hash_of(n, node_id, nonce, XM_AGENT_NONCE_LEN, n->size);

	for (i = 0; i < PROBES && i < n->size; i++) {
		struct xm_agent_nonce *e = &n->slot[(s + i) % n->size];
		bool live = e->node_id && e->expires >= now;

		if (live && e->node_id == node_id &&
		    !memcmp(e->nonce, nonce, XM_AGENT_NONCE_LEN))
			return true;
		if (!live && free_slot && !*free_slot)
			*free_slot = e;
	}
	return false;
}

/* Remember (node, nonce) until expires: EARLY if signed before the cache
 * was made, REPLAY if it is there, QUOTA if the node has its share of the
 * cache, BUSY if there is no room near its slot. */
static enum xm_agent_auth remember(struct xm_agent_nonces *n,
				   uint32_t node_id,
				   const uint8_t nonce[XM_AGENT_NONCE_LEN],
				   int64_t now, int64_t expires)
{
	struct xm_agent_nonce *free_slot = NULL;
	struct xm_agent_node *node;

	if (expires - XM_AGENT_AUTH_WINDOW < n->created)
		return XM_AGENT_AUTH_EARLY;
	if (probe(n, node_id, nonce, now, &free_slot))
		return XM_AGENT_AUTH_REPLAY;
	node = node_of(n, node_id, now);
	if (node && node_count(node, now) >= n->per_node)
		return XM_AGENT_AUTH_QUOTA;
	if (!free_slot || !node)
		return XM_AGENT_AUTH_BUSY;
	node_add(node, expires);
	free_slot->node_id = node_id;
	free_slot->expires = expires;
	memcpy(free_slot->nonce, nonce, XM_AGENT_NONCE_LEN);
	return XM_AGENT_AUTH_OK;
}

enum xm_agent_auth xm_agent_auth_headers(const struct xm_agent_request *req,
					 const struct xm_cert *authority,
					 const struct xm_crl *crl, int64_t now,
					 struct xm_agent_signed *s,
					 enum xm_cert_reason *cert_reason)
{
	uint8_t raw[XM_CERT_MAX];
	size_t raw_len;

	*cert_reason = XM_CERT_OK;
	if (!req->cert || !req->time || !req->nonce || !req->sig)
		return XM_AGENT_AUTH_MISSING;
	if (strlen(req->cert) > XM_CERT_MAX * 4 / 3 + 4 ||
	    sodium_base642bin(raw, sizeof(raw), req->cert, strlen(req->cert),
			      NULL, &raw_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    !parse_time(req->time, &s->time) ||
	    !hex_exact(req->nonce, s->nonce, sizeof(s->nonce)) ||
	    !hex_exact(req->sig, s->sig, sizeof(s->sig)))
		return XM_AGENT_AUTH_MALFORMED;
	*cert_reason = xm_cert_decode(&s->cert, raw, raw_len);
	if (*cert_reason)
		return XM_AGENT_AUTH_CERT;
	*cert_reason = xm_cert_verify(&s->cert, XM_CERT_NODE, authority, crl,
				      (uint64_t)now);
	if (*cert_reason)
		return XM_AGENT_AUTH_CERT;
	if (s->time < now - XM_AGENT_AUTH_WINDOW ||
	    s->time > now + XM_AGENT_AUTH_WINDOW)
		return XM_AGENT_AUTH_TIME;
	return XM_AGENT_AUTH_OK;
}

enum xm_agent_auth xm_agent_auth_body(const struct xm_agent_request *req,
				      const struct xm_agent_signed *s,
				      int64_t now, struct xm_agent_seen *seen)
{
	uint8_t d[32];

	if (s->time < now - XM_AGENT_AUTH_WINDOW ||
	    s->time > now + XM_AGENT_AUTH_WINDOW)
		return XM_AGENT_AUTH_TIME;
	digest(req->method, req->path, req->body, req->body_len, s->time,
	       s->nonce, d);
	if (crypto_sign_verify_detached(s->sig, d, sizeof(d), s->cert.pubkey))
		return XM_AGENT_AUTH_SIGNATURE;
	seen->node_id = s->cert.node_id;
	seen->expires = s->time + XM_AGENT_AUTH_WINDOW;
	memcpy(seen->nonce, s->nonce, sizeof(seen->nonce));
	return XM_AGENT_AUTH_OK;
}

enum xm_agent_auth xm_agent_auth_verify(const struct xm_agent_request *req,
					const struct xm_cert *authority,
					const struct xm_crl *crl, int64_t now,
					struct xm_cert *cert,
					enum xm_cert_reason *cert_reason,
					struct xm_agent_seen *seen)
{
	struct xm_agent_signed s;
	enum xm_agent_auth a;

	a = xm_agent_auth_headers(req, authority, crl, now, &s, cert_reason);
	if (a != XM_AGENT_AUTH_MISSING && a != XM_AGENT_AUTH_MALFORMED)
		*cert = s.cert;		/* decoded, as before the split */
	if (!a)
		a = xm_agent_auth_body(req, &s, now, seen);
	return a;
}

enum xm_agent_auth xm_agent_auth_remember(struct xm_agent_nonces *nonces,
					  const struct xm_agent_seen *seen,
					  int64_t now)
{
	return remember(nonces, seen->node_id, seen->nonce, now,
			seen->expires);
}

enum xm_agent_auth xm_agent_auth_held(struct xm_agent_nonces *nonces,
				      const struct xm_agent_signed *s,
				      int64_t now)
{
	return probe(nonces, s->cert.node_id, s->nonce, now, NULL) ?
	       XM_AGENT_AUTH_REPLAY : XM_AGENT_AUTH_OK;
}

enum xm_agent_auth xm_agent_auth_check(const struct xm_agent_request *req,
				       const struct xm_cert *authority,
				       const struct xm_crl *crl,
				       struct xm_agent_nonces *nonces,
				       int64_t now, struct xm_cert *cert,
				       enum xm_cert_reason *cert_reason)
{
	struct xm_agent_seen seen;
	enum xm_agent_auth a;

	a = xm_agent_auth_verify(req, authority, crl, now, cert, cert_reason,
				 &seen);
	return a ? a : xm_agent_auth_remember(nonces, &seen, now);
}
