/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Agents' signed requests to the controller (Documentation/controller.md,
 * "Agent requests"). An agent signs each request with its node key:
 * Ed25519 over
 *
 *   "xmesh-agent-v1" NUL || METHOD NUL || PATH (with the query) NUL ||
 *   BLAKE2b-256(body) || time (8 bytes, big-endian, unix seconds) ||
 *   nonce (16 bytes)
 *
 * and sends its node certificate with it. The controller takes a request
 * only with a certificate the site authority signed for a node, valid now
 * and not revoked, a signature by that certificate's key, a time within
 * XM_AGENT_AUTH_WINDOW of its own, and a nonce it has not seen from that
 * node within the window (replay protection: a nonce is remembered until
 * the request's time is out of the window, so a replayed request is
 * refused either as seen or as too old). Each node may hold at most a
 * quota of the cache's nonces, so that one agent (a compromised node, a
 * runaway loop) cannot fill it for all.
 *
 * Pure code: no I/O, no clock. libsodium must have been initialised.
 */
#ifndef XM_AGENT_AUTH_H
#define XM_AGENT_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"

#define XM_AGENT_AUTH_WINDOW	60		/* seconds either way */
#define XM_AGENT_NONCE_LEN	16
#define XM_AGENT_NONCES		(1 << 16)	/* the server's: ~4 MB */
/* The server's quota per node: ~8 requests/s over the 2 windows a nonce
 * may be remembered for. */
#define XM_AGENT_NONCES_PER_NODE	1024

/* The request headers. */
#define XM_AGENT_HDR_CERT	"X-Xmesh-Certificate"	/* base64 of the binary */
#define XM_AGENT_HDR_TIME	"X-Xmesh-Time"		/* decimal */
#define XM_AGENT_HDR_NONCE	"X-Xmesh-Nonce"		/* 32 hex digits */
#define XM_AGENT_HDR_SIG	"X-Xmesh-Signature"	/* 128 hex digits */

enum xm_agent_auth {
	XM_AGENT_AUTH_OK = 0,
	XM_AGENT_AUTH_MISSING,		/* a header is missing */
	XM_AGENT_AUTH_MALFORMED,	/* a header is not of its format */
	XM_AGENT_AUTH_CERT,		/* the certificate does not verify */
	XM_AGENT_AUTH_TIME,		/* the time is outside the window */
	XM_AGENT_AUTH_SIGNATURE,	/* the signature does not verify */
	XM_AGENT_AUTH_REPLAY,		/* the nonce was seen */
	XM_AGENT_AUTH_BUSY,		/* too many nonces to remember */
	XM_AGENT_AUTH_QUOTA,		/* this node has its quota of them */
	XM_AGENT_AUTH_EARLY,		/* signed before the cache was made */
	XM_AGENT_AUTH_MAX = XM_AGENT_AUTH_EARLY,
};

struct xm_agent_nonce {
	uint32_t node_id;		/* 0: free */
	int64_t expires;
	uint8_t nonce[XM_AGENT_NONCE_LEN];
};

/*
 * A node's nonces remembered, counted by when they expire: bucket i holds
 * those expiring in [epoch[i], epoch[i] + 1) * XM_AGENT_BUCKET_S; a
 * bucket is live while its end is not past. Expiries fall within
 * 2 * XM_AGENT_AUTH_WINDOW of now: the buckets cover that and one more.
 */
#define XM_AGENT_BUCKET_S	16
#define XM_AGENT_BUCKETS	(2 * XM_AGENT_AUTH_WINDOW / XM_AGENT_BUCKET_S + 2)

struct xm_agent_node {
	uint32_t node_id;		/* 0: free */
	uint32_t count[XM_AGENT_BUCKETS];
	int64_t epoch[XM_AGENT_BUCKETS];
};

/* The nonces seen: open addressing, expired entries reused; and the
 * nodes that have some, with their counts. */
struct xm_agent_nonces {
	uint8_t key[16];		/* the hash's random key */
	int64_t created;
	size_t size, per_node;
	size_t n_nodes;
	struct xm_agent_node *node;	/* n_nodes of them */
	struct xm_agent_nonce slot[];
};

/* A signed request as the headers carry it (NUL-terminated strings). */
struct xm_agent_request {
	const char *method, *path;	/* path with its query */
	const void *body;
	size_t body_len;
	const char *cert, *time, *nonce, *sig;	/* the headers, or NULL */
};

/* "ok", "missing", "malformed", ... for logs and metrics. */
const char *xm_agent_auth_name(enum xm_agent_auth r);

/*
 * A cache of size nonces, at most per_node of them from one node, hashed
 * with key, made at now (xm_agent_nonces_free() it); NULL. It refuses
 * requests signed before now (XM_AGENT_AUTH_EARLY): it cannot know their
 * nonces, so they could be replays of requests a cache before it (the
 * controller before a restart) took.
 */
struct xm_agent_nonces *xm_agent_nonces_new(size_t size, size_t per_node,
					    const uint8_t key[16],
					    int64_t now);
void xm_agent_nonces_free(struct xm_agent_nonces *n);

/* A verified request's nonce, to remember. */
struct xm_agent_seen {
	uint32_t node_id;
	int64_t expires;
	uint8_t nonce[XM_AGENT_NONCE_LEN];
};

/*
 * A request whose headers verified (xm_agent_auth_headers()): what its
 * body's signature is checked against once the body is in.
 */
struct xm_agent_signed {
	struct xm_cert cert;		/* verified */
	int64_t time;			/* the request's */
	uint8_t nonce[XM_AGENT_NONCE_LEN];
	uint8_t sig[64];
};

/*
 * The headers' part of verifying a request at now, before its body is
 * read: the headers' formats, the certificate (the authority's, for a
 * node, valid at now, not revoked) and the time window. XM_AGENT_AUTH_OK
 * and *s filled, or why not (*cert_reason set for XM_AGENT_AUTH_CERT).
 * Only the signature needs the body (it covers a hash of it): whoever
 * holds no certificate of the site is refused before sending any.
 */
enum xm_agent_auth xm_agent_auth_headers(const struct xm_agent_request *req,
					 const struct xm_cert *authority,
					 const struct xm_crl *crl, int64_t now,
					 struct xm_agent_signed *s,
					 enum xm_cert_reason *cert_reason);
/*
 * Then the body's part at now: the time window again (the body may have
 * taken long to come) and the signature over req's method, path and body.
 * XM_AGENT_AUTH_OK and the nonce to remember in *seen, or why not.
 */
enum xm_agent_auth xm_agent_auth_body(const struct xm_agent_request *req,
				      const struct xm_agent_signed *s,
				      int64_t now, struct xm_agent_seen *seen);

/*
 * Verify a request at now, all but its nonce (both parts above): XM_AGENT_AUTH_OK, the
 * verified certificate in *cert and the nonce in *seen; or why not
 * (*cert_reason set for XM_AGENT_AUTH_CERT). Needs no shared state: a
 * server runs it outside its locks.
 */
enum xm_agent_auth xm_agent_auth_verify(const struct xm_agent_request *req,
					const struct xm_cert *authority,
					const struct xm_crl *crl, int64_t now,
					struct xm_cert *cert,
					enum xm_cert_reason *cert_reason,
					struct xm_agent_seen *seen);
/* Then remember its nonce: XM_AGENT_AUTH_OK, _REPLAY, _EARLY, _QUOTA
 * or _BUSY. */
enum xm_agent_auth xm_agent_auth_remember(struct xm_agent_nonces *nonces,
					  const struct xm_agent_seen *seen,
					  int64_t now);

/*
 * Whether the nonce of a request whose headers passed is remembered
 * already (XM_AGENT_AUTH_REPLAY, else _OK), nothing changed: a replayed
 * header set is refused before its body is read (the signature, which
 * needs the body, decides the rest).
 */
enum xm_agent_auth xm_agent_auth_held(struct xm_agent_nonces *nonces,
				      const struct xm_agent_signed *s,
				      int64_t now);

/*
 * Both: XM_AGENT_AUTH_OK and the verified certificate in *cert, or why
 * not. The nonce is remembered only for a request that passes every
 * other check.
 */
enum xm_agent_auth xm_agent_auth_check(const struct xm_agent_request *req,
				       const struct xm_cert *authority,
				       const struct xm_crl *crl,
				       struct xm_agent_nonces *nonces,
				       int64_t now, struct xm_cert *cert,
				       enum xm_cert_reason *cert_reason);

/*
 * The agent's side: sign a request at time t with nonce, into the header
 * values time (21 bytes), nonce_hex (33) and sig_hex (129).
 */
void xm_agent_auth_sign(const uint8_t sk[XM_SECKEY_LEN], const char *method,
			const char *path, const void *body, size_t body_len,
			int64_t t, const uint8_t nonce[XM_AGENT_NONCE_LEN],
			char time[21], char nonce_hex[33], char sig_hex[129]);

#endif /* XM_AGENT_AUTH_H */
