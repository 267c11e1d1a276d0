// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end origin keys: derivation and generations (origin.h).
 */
#include <sodium.h>
#include <string.h>

#include "origin.h"

static const char label[] = "xmesh origin 1";

int xm_origin_key(uint8_t out[XM_ORIGIN_KEY_LEN],
		  const uint8_t sk[XM_SECKEY_LEN],
		  const uint8_t peer_pk[XM_PUBKEY_LEN],
		  uint32_t from, uint32_t to, uint64_t gen)
{
	uint8_t own_x[crypto_scalarmult_SCALARBYTES];
	uint8_t peer_x[crypto_scalarmult_BYTES];
	uint8_t shared[crypto_scalarmult_BYTES];
	uint8_t msg[sizeof(label) - 1 + 4 + 4 + 8], *p = msg;
	crypto_generichash_state st;
	int i, ret = -1;

	memcpy(p, label, sizeof(label) - 1);
	p += sizeof(label) - 1;
	for (i = 3; i >= 0; i--)
		*p++ = (uint8_t)(from >> (8 * i));
	for (i = 3; i >= 0; i--)
		*p++ = (uint8_t)(to >> (8 * i));
	for (i = 7; i >= 0; i--)
		*p++ = (uint8_t)(gen >> (8 * i));
	/* crypto_scalarmult() refuses an all-zero result (a small-order
	 * point), whose secret anyone knows. */
	if (crypto_sign_ed25519_pk_to_curve25519(peer_x, peer_pk) ||
	    crypto_sign_ed25519_sk_to_curve25519(own_x, sk) ||
	    crypto_scalarmult(shared, own_x, peer_x))
		goto out;
	crypto_generichash_init(&st, shared, sizeof(shared),
				XM_ORIGIN_KEY_LEN);
	crypto_generichash_update(&st, msg, sizeof(msg));
	crypto_generichash_final(&st, out, XM_ORIGIN_KEY_LEN);
	sodium_memzero(&st, sizeof(st));
	ret = 0;
out:
	sodium_memzero(own_x, sizeof(own_x));
	sodium_memzero(shared, sizeof(shared));
	return ret;
}

uint8_t xm_origin_key_id(uint64_t gen)
{
	return (uint8_t)(1 + gen % 255);
}

void xm_origin_start(struct xm_origin_gen *g, uint64_t boot_id, xm_time now,
		     uint32_t rotate_ms)
{
	g->advertised = g->sealing = boot_id << 32;
	g->rotate_at = now + rotate_ms;
	g->switch_at = 0;
}

static void sooner(xm_time *next, xm_time t)
{
	if (t && (!*next || t < *next))
		*next = t;
}

unsigned int xm_origin_tick(struct xm_origin_gen *g, xm_time now,
			    uint32_t rotate_ms, uint32_t switch_ms,
			    xm_time *next)
{
	unsigned int news = 0;

	/* A switch still pending is done first: never two generations
	 * ahead of the one receivers may lack. */
	if (g->switch_at && now >= g->switch_at) {
		g->sealing = g->advertised;
		g->switch_at = 0;
		news |= XM_ORIGIN_SEAL;
	}
	if (now >= g->rotate_at && !g->switch_at) {
		g->advertised++;
		g->switch_at = now + switch_ms;
		g->rotate_at = now + rotate_ms;
		news |= XM_ORIGIN_ADVERTISE;
	}
	sooner(next, g->rotate_at);
	sooner(next, g->switch_at);
	return news;
}
