// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end origin keys (core/origin.c): both ends derive the same key of
 * a direction, and no one else does; each direction, pair and generation
 * has its own; a key that is no usable point is refused; generations
 * rotate, are advertised before they seal, and never repeat after a
 * restart.
 */
#include <sodium.h>
#include <string.h>

#include "../core/origin.h"
#include "tap.h"

struct node {
	uint8_t pk[XM_PUBKEY_LEN], sk[XM_SECKEY_LEN];
};

static struct node a, b, c;

static void test_derive(void)
{
	uint8_t ab[XM_ORIGIN_KEY_LEN], ab_at_b[XM_ORIGIN_KEY_LEN];
	uint8_t ba[XM_ORIGIN_KEY_LEN], k[XM_ORIGIN_KEY_LEN];
	uint8_t small[XM_PUBKEY_LEN] = { 1 };	/* the identity point */
	uint8_t bad[XM_PUBKEY_LEN];

	ok(!xm_origin_key(ab, a.sk, b.pk, 1, 2, 7) &&
	   !xm_origin_key(ab_at_b, b.sk, a.pk, 1, 2, 7) &&
	   !memcmp(ab, ab_at_b, sizeof(ab)),
	   "a -> b: the same key at a and at b");
	xm_origin_key(ba, b.sk, a.pk, 2, 1, 7);
	ok(memcmp(ab, ba, sizeof(ab)), "b -> a: another key");
	xm_origin_key(k, a.sk, b.pk, 1, 2, 8);
	ok(memcmp(ab, k, sizeof(ab)), "the next generation: another key");
	xm_origin_key(k, a.sk, b.pk, 1, 3, 7);
	ok(memcmp(ab, k, sizeof(ab)), "another destination id: another key");
	/* c claims to be a, with a's id: without a's key it gets another. */
	xm_origin_key(k, c.sk, b.pk, 1, 2, 7);
	ok(memcmp(ab, k, sizeof(ab)),
	   "another node naming itself a: not a's key");
	ok(xm_origin_key(k, a.sk, small, 1, 2, 7) == -1,
	   "a key of small order refused (its secret is known)");
	memset(bad, 0xff, sizeof(bad));
	ok(xm_origin_key(k, a.sk, bad, 1, 2, 7) == -1,
	   "bytes that are no point refused");
}

static void test_key_id(void)
{
	uint64_t g;
	bool all = true;

	for (g = (3ull << 32) - 300; g < (3ull << 32) + 300; g++)
		all &= xm_origin_key_id(g) >= 1 &&
		       xm_origin_key_id(g) != xm_origin_key_id(g + 1);
	ok(all, "key ids 1..255, consecutive generations differ");
}

static void test_generations(void)
{
	struct xm_origin_gen g, h;
	xm_time next = 0;
	unsigned int news;

	xm_origin_start(&g, 5, 1000, 60000);
	ok(g.advertised == 5ull << 32 && g.sealing == g.advertised,
	   "the first generation of boot 5: advertised and sealing");
	news = xm_origin_tick(&g, 2000, 60000, 5000, &next);
	ok(!news && next == 61000, "nothing before the rotation (next %llu)",
	   (unsigned long long)next);
	next = 0;
	news = xm_origin_tick(&g, 61000, 60000, 5000, &next);
	ok(news == XM_ORIGIN_ADVERTISE && g.advertised == g.sealing + 1 &&
	   next == 66000, "a rotation: the new generation advertised, still"
	   " sealing with the old one for 5 s");
	next = 0;
	news = xm_origin_tick(&g, 65999, 60000, 5000, &next);
	ok(!news && g.sealing != g.advertised, "not sealing with it before");
	news = xm_origin_tick(&g, 66000, 60000, 5000, &next);
	ok(news == XM_ORIGIN_SEAL && g.sealing == g.advertised,
	   "then sealing with it");
	/* A late tick: the switch first, the next rotation after it. */
	news = xm_origin_tick(&g, 500000, 60000, 5000, &next);
	ok(news == (XM_ORIGIN_ADVERTISE) && g.advertised == (5ull << 32) + 2,
	   "a late tick: one rotation, not one per missed period");
	news = xm_origin_tick(&g, 600000, 60000, 5000, &next);
	ok(news == (XM_ORIGIN_SEAL | XM_ORIGIN_ADVERTISE) &&
	   g.sealing == (5ull << 32) + 2 && g.advertised == g.sealing + 1,
	   "a switch due and a rotation due: switched, then rotated");
	xm_origin_start(&h, 6, 0, 60000);
	ok(h.advertised > g.advertised,
	   "a restart (next boot id): beyond every generation before");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(a.pk, a.sk);
	crypto_sign_keypair(b.pk, b.sk);
	crypto_sign_keypair(c.pk, c.sk);
	test_derive();
	test_key_id();
	test_generations();
	return tap_done();
}
