/* SPDX-License-Identifier: GPL-2.0 */
/*
 * End-to-end origin keys (Documentation/certificates.md, "End to end"):
 * the kernel keys with which a node seals the frames it originates for
 * another node, and with which that node opens them and so knows their
 * origin (kmod/origin.c), whatever the transit nodes did.
 *
 * No message is exchanged for them: both ends compute the key of one
 * direction from their own node key and the other's certified public key
 * (as X25519 keys, like the key exchange's static keys), the two node ids
 * and the sender's generation:
 *
 *	k(a -> b, g) = BLAKE2b-256(key = X25519(a, b),
 *				   "xmesh origin 1" | a | b | g)
 *
 * so a node has the key of every other node whose certificate it has
 * (the signed adverts carry them). Static keys give no forward secrecy:
 * a node key stolen later opens what was recorded under it; the per-hop
 * keys (kx.h), fresh for each session, still protect every link.
 *
 * A generation is the sender's: its boot id << 32 | the rotations since
 * it started, so a key is never used twice across restarts (the kernel
 * starts each key's counter at 0). The sender advertises its newest
 * generation; receivers install the receive key of each generation they
 * learn and keep the one before; the sender seals with a new generation
 * only switch_ms after it advertised it (the flood takes less), so a
 * rotation loses nothing.
 *
 * Pure: no I/O, no clock (now in ms), libsodium initialised by the user.
 */
#ifndef XM_ORIGIN_H
#define XM_ORIGIN_H

#include <stdbool.h>
#include <stdint.h>

#include "cert.h"
#include "core.h"

#define XM_ORIGIN_KEY_LEN	32	/* a kernel key (XMESH_KEY_LEN) */

/*
 * The key of direction from -> to for the sender's generation gen, as
 * computed by either end: sk its own node key (secret, 64 bytes), peer_pk
 * the other end's public key. 0, or -1 when peer_pk is no usable key
 * (not a point, or one of small order: the shared secret would be known).
 */
int xm_origin_key(uint8_t out[XM_ORIGIN_KEY_LEN],
		  const uint8_t sk[XM_SECKEY_LEN],
		  const uint8_t peer_pk[XM_PUBKEY_LEN],
		  uint32_t from, uint32_t to, uint64_t gen);

/* The kernel key id of generation gen, 1..255 (consecutive generations
 * have different ids). */
uint8_t xm_origin_key_id(uint64_t gen);

/* A node's own generations. */
struct xm_origin_gen {
	uint64_t advertised;		/* the newest, in its advert */
	uint64_t sealing;		/* the transmit keys' */
	xm_time rotate_at;		/* the next rotation */
	xm_time switch_at;		/* sealing := advertised then; 0: no */
};

enum xm_origin_news {
	XM_ORIGIN_ADVERTISE = 1 << 0,	/* a new generation to advertise */
	XM_ORIGIN_SEAL = 1 << 1,	/* transmit keys of a new generation */
};

/* The agent's switch_ms: far more than a flood takes. */
#define XM_ORIGIN_SWITCH_MS	5000

/* The first generation of boot boot_id, advertised and sealing at once
 * (no one has a route to a node before its advert). */
void xm_origin_start(struct xm_origin_gen *g, uint64_t boot_id, xm_time now,
		     uint32_t rotate_ms);

/*
 * Time passed: a rotation every rotate_ms (a new generation advertised),
 * the transmit keys switched to it switch_ms later. enum xm_origin_news
 * bits of what to do; the next time to call in *next (kept if sooner).
 */
unsigned int xm_origin_tick(struct xm_origin_gen *g, xm_time now,
			    uint32_t rotate_ms, uint32_t switch_ms,
			    xm_time *next);

#endif /* XM_ORIGIN_H */
