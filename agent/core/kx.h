/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The authenticated key exchange with each neighbor (Documentation/
 * protocol.md, "Key exchange"; Documentation/certificates.md).
 *
 * Per adjacency (a kernel neighbor: a node on a link), the agents run
 * Noise_XX_25519_ChaChaPoly_BLAKE2b over the KX agent messages (msg.h):
 *
 *	INIT	-> e
 *	RESP	<- e, ee, s, es, payload
 *	FINISH	-> s, se, payload
 *	CONFIRM	<- tag
 *
 * The static keys are the nodes' Ed25519 keys as X25519 keys
 * (crypto_sign_ed25519_*_to_curve25519); each payload carries the key id
 * its sender wants to receive with and its certificate, which must verify
 * against the site authority (and the revocation list), name the node id
 * the messages come from, and certify the static key the handshake proved.
 * From the handshake come the two kernel keys (one per direction) and a
 * confirmation key: the responder installs its receive key, then its
 * transmit key, and confirms; the initiator installed its receive key
 * before it sent FINISH and switches its transmit key on CONFIRM. So a
 * key is never used to send before the other end can receive with it,
 * and the previous receive key stays for a grace period: a rotation loses
 * no packet.
 *
 * A session is rotated (a new handshake, certificates checked again) when
 * it is rekey_ms old or its transmit key sealed rekey_packets frames.
 *
 * Pure code: no I/O, no clock (now in ms of a monotonic clock, unix_s for
 * certificate validity), randomness from libsodium (replaceable for
 * tests). Secrets live in sodium_malloc()ed memory (locked, guarded) and
 * are wiped when done; they are never logged. The user carries out the
 * actions (xm_kx_peer_action()): send a message, install or delete a
 * kernel key, the adjacency is authenticated or no longer is.
 */
#ifndef XM_KX_H
#define XM_KX_H

#include <stdbool.h>
#include <stdint.h>

#include "cert.h"
#include "core.h"
#include "msg.h"

#define XM_KX_KEY_LEN		32	/* a kernel key (XMESH_KEY_LEN) */

/* Timing and limits (Documentation/xmeshd.md has the defaults). */
struct xm_kx_params {
	uint32_t rekey_ms;		/* rotate a session this old: 120000 */
	uint64_t rekey_packets;		/* ... or whose transmit key sealed
					 * this many frames: 2^32 */
	uint32_t retry_ms;		/* resend an unanswered step: 1000;
					 * answer a peer's new session at most
					 * this often */
	uint32_t tries;			/* sends of a step before giving up: 5 */
	uint32_t grace_ms;		/* an old receive key stays: 10000;
					 * more than tries * retry_ms */
	uint32_t refused_ms;		/* after a refusal, try again: 30000 */
};

void xm_kx_params_default(struct xm_kx_params *p);
/* The first rule p breaks, in words, or NULL. */
const char *xm_kx_params_check(const struct xm_kx_params *p);

/*
 * Why a neighbor was refused: the certificate's reasons (enum
 * xm_cert_reason, 1..XM_CERT_REASON_MAX) and these.
 */
enum xm_kx_refusal {
	XM_KX_REFUSED_NODE = XM_CERT_REASON_MAX + 1,	/* certifies another
							 * node id */
	XM_KX_REFUSED_KEY,	/* certifies another key than the one proved */
	XM_KX_REFUSED_CLAIM,	/* claims a zone, roles or prefixes its
				 * certificate does not give (counted by
				 * the core) */
	XM_KX_REFUSED_SECURITY,	/* states another security mode than this
				 * node's, or none */
	XM_KX_REFUSED_COUNT,
};

/* "expired", "node_mismatch", ...: the counters' names. */
const char *xm_kx_refusal_name(unsigned int r);

struct xm_kx_stats {
	uint64_t handshakes;		/* sessions established */
	uint64_t rekeys;		/* ... of them replacing a session */
	uint64_t timeouts;		/* handshakes given up */
	uint64_t collisions;		/* both ends initiated at once */
	uint64_t bad_msg;		/* did not decrypt: altered or forged */
	uint64_t unexpected;		/* a step out of turn, another session */
	uint64_t cut;			/* sessions ended by a refusal */
	uint64_t init_limited;		/* INITs of a new session not answered:
					 * one per peer per retry_ms */
	uint64_t key_refused;		/* keys the kernel did not install */
	uint64_t refused[XM_KX_REFUSED_COUNT];	/* by reason; [0] unused */
};

/* What the user does for a peer. */
enum xm_kx_action_type {
	XM_KX_ACT_SEND,		/* send msg to the peer (a KX message) */
	XM_KX_ACT_KEY_ADD,	/* install key (id, dir) for the neighbor */
	XM_KX_ACT_KEY_DEL,	/* delete key (id, dir) */
	XM_KX_ACT_UP,		/* authenticated: it may carry traffic */
	XM_KX_ACT_DOWN,		/* no longer: take the adjacency down */
	XM_KX_ACT_REFUSED,	/* refused: no session before refused_ms */
	XM_KX_ACT_EVENT,	/* for the log (a refusal, a timeout...) */
};

/*
 * The security mode a node states in its payload: enum xmesh_security's
 * values (never none: the key exchange means certificates). 0: not
 * stated (agents before the mode was stated), refused like another mode.
 */
#define XM_KX_SECURITY_AUTH	1
#define XM_KX_SECURITY_ENCRYPT	2

/* Key directions: enum xmesh_key_dir's values. */
#define XM_KX_TX		1
#define XM_KX_RX		2

struct xm_kx_action {
	enum xm_kx_action_type type;
	struct xm_kx_msg msg;		/* SEND */
	uint8_t key_id, dir;		/* KEY_ADD, KEY_DEL */
	uint8_t key[XM_KX_KEY_LEN];	/* KEY_ADD: secret, wipe after use */
	enum xm_event_level level;	/* EVENT */
	char text[160];			/* EVENT */
};

/* Wipe an action's secret (xm_kx_peer_action() fills it). */
void xm_kx_action_wipe(struct xm_kx_action *a);

/* ---- this node ---- */

struct xm_kx;

/*
 * This node's side: its Ed25519 secret key sk, its certificate, the site
 * authority's, and the revocation list (NULL: none), all copied. The
 * certificate must verify at unix_s and be for sk's key: NULL otherwise,
 * with the reason in *why (XM_KX_REFUSED_KEY: not sk's key), or NULL
 * with *why XM_CERT_OK for lack of memory. libsodium must be initialised.
 */
struct xm_kx *xm_kx_new(uint32_t node_id, const uint8_t sk[XM_SECKEY_LEN],
			const struct xm_cert *cert,
			const struct xm_cert *authority,
			const struct xm_crl *crl,
			const struct xm_kx_params *params, uint64_t unix_s,
			unsigned int *why);
void xm_kx_free(struct xm_kx *kx);

/*
 * A newer revocation list (xm_crl_accept()): XM_CERT_OK and taken, or the
 * reason. Then xm_kx_peer_recheck() each peer.
 */
enum xm_cert_reason xm_kx_set_crl(struct xm_kx *kx, const struct xm_crl *crl,
				  uint64_t unix_s);

/*
 * The security mode this node states and wants of every neighbor
 * (XM_KX_SECURITY_*; xm_kx_new() sets encrypt). A change applies to the
 * next handshakes: xm_kx_peer_restart() each peer. Tests may set 0 to
 * play an agent that states none.
 */
void xm_kx_set_security(struct xm_kx *kx, uint8_t mode);
/* "auth", "encrypt", "not stated" (0), "unknown". */
const char *xm_kx_security_name(uint8_t mode);

const struct xm_kx_stats *xm_kx_stats(const struct xm_kx *kx);
/* This node's certificate (its node id, zone and roles). */
const struct xm_cert *xm_kx_cert(const struct xm_kx *kx);
/* Tests: a deterministic source instead of randombytes_buf(). */
void xm_kx_set_random(struct xm_kx *kx, void (*fn)(void *buf, size_t len));

/*
 * What a node claims: its zone and roles (hellos and adverts carry them)
 * and the prefixes it advertises as its own (an advert's PREFIXES, the
 * exports of PREFIX_PRIO among them; none in a hello).
 */
struct xm_kx_claims {
	const struct xm_caps *caps;
	const struct xm_prefix4or6 *prefixes;
	unsigned int n_prefixes;
};

/*
 * Does certificate c give what a node claims: exactly its zone and roles
 * (in any order), and every prefix inside one of its prefixes
 * (xm_cert_gives_prefix(): a certificate without prefixes gives any)? If
 * not, false, and why in words for the log ("claims 10.0.1.0/24; its
 * certificate gives 10.0.3.0/24"; the caller names the node first). The
 * one check of claims: of a neighbor (kx_core.c), of an advert's
 * originator.
 */
#define XM_KX_WHY_MAX		160	/* why: as long as an event's text */
bool xm_kx_claims_match(const struct xm_cert *c,
			const struct xm_kx_claims *claims, char *why,
			size_t why_len);

/* ---- signed adverts (Documentation/protocol.md, "Signed adverts") ---- */

/* Why an advert is refused besides the certificate's reasons,
 * XM_KX_REFUSED_NODE and XM_KX_REFUSED_CLAIM. */
enum xm_kx_advert_refusal {
	XM_KX_ADVERT_UNSIGNED = XM_KX_REFUSED_COUNT,	/* no certificate or
							 * no signature */
	XM_KX_ADVERT_BAD_SIG,	/* the signature is not its certificate's
				 * key's over these bytes */
};

/* This node's certificate into a, its own advert, with room for the
 * signature: before the advert is fitted into a message. */
void xm_kx_advert_cert(const struct xm_kx *kx, struct xm_advert *a);

/* The origin key (origin.h) of direction from -> to, this node one of
 * the two, the other's public key peer_pk: 0, or -1 (no usable key). */
int xm_kx_origin_key(const struct xm_kx *kx, uint8_t out[XM_KX_KEY_LEN],
		     const uint8_t peer_pk[XM_PUBKEY_LEN], uint32_t from,
		     uint32_t to, uint64_t gen);
/* Sign a, final (sequence number set): 0, or -EINVAL (not encodable). */
int xm_kx_advert_sign(const struct xm_kx *kx, struct xm_advert *a);
/*
 * May any node install a: its certificate verifies at unix_s (authority,
 * validity, revocation list), is its originator's, its key signed a,
 * and it gives the zone, roles and prefixes a claims? XM_CERT_OK, or the
 * reason and why in words ("it claims 10.0.1.0/24; its certificate gives
 * 10.0.3.0/24").
 */
unsigned int xm_kx_advert_check(const struct xm_kx *kx,
				const struct xm_advert *a, uint64_t unix_s,
				char *why, size_t why_len);
/* "unsigned", "bad_advert_signature", or xm_kx_refusal_name()'s. */
const char *xm_kx_advert_refusal_name(unsigned int r);

/* ---- a peer: one adjacency ---- */

struct xm_kx_peer;

/* The adjacency with node over kernel neighbor neigh; NULL: no memory. */
struct xm_kx_peer *xm_kx_peer_new(struct xm_kx *kx, uint32_t node,
				  uint32_t neigh);
/* Forget it (its kernel keys go with the kernel neighbor). */
void xm_kx_peer_free(struct xm_kx_peer *p);

/*
 * The adjacency formed (two-way): the node with the lower id initiates at
 * once, the other if nothing came after two retry intervals.
 */
void xm_kx_peer_start(struct xm_kx_peer *p, xm_time now);
/* A KX message from the peer (authenticated by the site key, decoded). */
void xm_kx_peer_recv(struct xm_kx_peer *p, xm_time now, uint64_t unix_s,
		     const struct xm_kx_msg *m);
void xm_kx_peer_timer(struct xm_kx_peer *p, xm_time now, uint64_t unix_s);
xm_time xm_kx_peer_next_timer(const struct xm_kx_peer *p);
/*
 * The kernel's counter of the transmit key key_id (the frames it sealed):
 * a rotation when it reaches rekey_packets.
 */
void xm_kx_peer_tx_counter(struct xm_kx_peer *p, xm_time now, uint8_t key_id,
			   uint64_t counter);
/*
 * Check the peer's certificate again (the list changed, time passed):
 * refused, the session ends (its keys deleted, DOWN).
 */
void xm_kx_peer_recheck(struct xm_kx_peer *p, xm_time now, uint64_t unix_s);

/*
 * This node's security mode changed: a new session now, in which both
 * ends state their modes again (a neighbor with the old one is refused).
 * A refused peer is tried again at once instead of after refused_ms.
 */
void xm_kx_peer_restart(struct xm_kx_peer *p, xm_time now);

/*
 * The user refuses the peer (XM_KX_REFUSED_CLAIM: it claims a zone,
 * roles or prefixes its certificate does not give): counted, logged, its session cut
 * as for a certificate refused; tried again after refused_ms.
 */
void xm_kx_peer_refuse(struct xm_kx_peer *p, xm_time now, unsigned int why);

/*
 * The kernel did not install key key_id (dir) of this peer's current or
 * coming session: a session missing a key carries nothing, so a new one
 * starts after retry_ms (a key since replaced is let be).
 */
void xm_kx_peer_key_refused(struct xm_kx_peer *p, xm_time now, uint8_t key_id,
			    uint8_t dir);

/* Is a session established (keys installed both ways)? */
bool xm_kx_peer_up(const struct xm_kx_peer *p);
/* The peer's certificate while up, else NULL. */
const struct xm_cert *xm_kx_peer_cert(const struct xm_kx_peer *p);
/* The current transmit key id (0: none): for xm_kx_peer_tx_counter(). */
uint8_t xm_kx_peer_tx_id(const struct xm_kx_peer *p);

/* Take the next action into *a (wipe it after use); false: none. */
bool xm_kx_peer_action(struct xm_kx_peer *p, struct xm_kx_action *a);

#endif /* XM_KX_H */
