// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for xmesh frame protection: sealing and unsealing frames
 * (encrypted and auth-only, linear and in page fragments), a change of any
 * authenticated byte making the frame fail, the auth-only tag against the
 * library's AEAD, replays, the modes a receiver accepts, the transmit
 * counter's limit, and the replay window at its edges and against a plain
 * model of it; origin seals (their round trip inside a per-hop seal, the
 * header fields they bind, replays and the window).
 *
 * Neighbors here are bare structures holding key slots: unsealing reads
 * nothing else of them.
 */
#include <kunit/test.h>
#include <crypto/chacha20poly1305.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <linux/vmalloc.h>
#include "../xmesh_priv.h"

static ulong crypto_seed = 0x786d657368435259ULL;
module_param(crypto_seed, ulong, 0444);
MODULE_PARM_DESC(crypto_seed, "KUnit: seed of the xmesh_crypto random tests");

#define HDR_LEN		sizeof(struct xmesh_hdr)
#define UDP_LEN		sizeof(struct udphdr)
#define SEAL_LEN	XMESH_SEAL_OVERHEAD
#define HEADROOM	64

static const u8 key_a[XMESH_KEY_LEN] = "xmesh kunit key A, 32 bytes long";
static const u8 key_b[XMESH_KEY_LEN] = "xmesh kunit key B, 32 bytes long";

static int res_init(struct kunit_resource *res, void *data)
{
	res->data = data;
	return 0;
}

static void key_res_free(struct kunit_resource *res)
{
	xmesh_key_free(res->data);
}

static struct xmesh_key *test_key(struct kunit *test, u8 id, u8 dir,
				  const u8 *bytes)
{
	struct xmesh_key *key = xmesh_key_alloc(1, false, id, dir, bytes);

	KUNIT_ASSERT_NOT_NULL(test, key);
	if (!kunit_alloc_resource(test, res_init, key_res_free, GFP_KERNEL,
				  key)) {
		xmesh_key_free(key);
		KUNIT_ASSERT_FAILURE(test, "out of memory");
	}
	return key;
}

/* A neighbor whose receive slots hold @keys (up to XMESH_MAX_RX_KEYS). */
static struct xmesh_neigh *test_neigh(struct kunit *test,
				      struct xmesh_key **keys, int n)
{
	struct xmesh_neigh *neigh = kunit_kzalloc(test, sizeof(*neigh),
						  GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, neigh);
	for (i = 0; i < n; i++)
		RCU_INIT_POINTER(neigh->keys.rx[i], keys[i]);
	return neigh;
}

static u8 pattern(unsigned int i)
{
	return i * 7 + 3;
}

/*
 * A data frame from node 1 to node 2 with @plen payload bytes (a pattern),
 * skb->data at the xmesh header; with @linear < HDR_LEN + @plen, the bytes
 * from @linear on are in page fragments of at most 1000 bytes.
 */
static struct sk_buff *test_frame(struct kunit *test, unsigned int plen,
				  unsigned int linear)
{
	unsigned int len = HDR_LEN + plen, i, off;
	struct sk_buff *skb;
	u8 *p;

	linear = min(linear, len);
	skb = alloc_skb(HEADROOM + linear, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, HEADROOM);
	p = skb_put(skb, linear);
	xmesh_hdr_init((struct xmesh_hdr *)p, XMESH_PKT_DATA, 16,
		       XMESH_TC_BEST_EFFORT, 1, 2);
	for (i = HDR_LEN; i < linear; i++)
		p[i] = pattern(i - HDR_LEN);
	for (off = linear; off < len; ) {
		unsigned int n = min(len - off, 1000U);
		struct page *page = alloc_page(GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, page);
		p = page_address(page);
		for (i = 0; i < n; i++)
			p[i] = pattern(off + i - HDR_LEN);
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, 0, n,
				PAGE_SIZE);
		off += n;
	}
	return skb;
}

/* Seal a frame per hop, or with its @origin seal, as the send path does. */
static int seal_layer(struct sk_buff *skb, struct xmesh_key *key,
		      bool auth_only, bool origin)
{
	int ret;

	local_bh_disable();
	ret = origin ? xmesh_origin_seal(skb, key, auth_only) :
		       xmesh_seal(skb, key, auth_only);
	local_bh_enable();
	return ret;
}

static int seal(struct sk_buff *skb, struct xmesh_key *key, bool auth_only)
{
	return seal_layer(skb, key, auth_only, false);
}

/*
 * Open a per-hop seal (with @owner's receive keys, a neighbor's) or an
 * @origin seal (with @owner's origin keys) as the receive path does:
 * behind a UDP header.
 */
static int open_layer(struct sk_buff *skb, struct xmesh_neigh *owner,
		      u8 security, bool origin)
{
	int ret;

	memset(skb_push(skb, UDP_LEN), 0, UDP_LEN);
	skb_reset_transport_header(skb);
	local_bh_disable();
	rcu_read_lock();
	ret = origin ? xmesh_origin_open(skb, &owner->keys, security) :
		       xmesh_unseal(skb, &owner->keys, security);
	rcu_read_unlock();
	local_bh_enable();
	return ret;
}

static int unseal(struct sk_buff *skb, struct xmesh_neigh *neigh,
		  u8 security)
{
	return open_layer(skb, neigh, security, false);
}

/* Whether bytes [@off, @off + @plen) of @skb are the payload pattern. */
static bool payload_is_clear(struct sk_buff *skb, unsigned int off,
			     unsigned int plen)
{
	u8 *buf = kmalloc(plen, GFP_KERNEL);
	bool same = true;
	unsigned int i;

	if (!buf || skb_copy_bits(skb, off, buf, plen)) {
		kfree(buf);
		return false;
	}
	for (i = 0; i < plen && same; i++)
		same = buf[i] == pattern(i);
	kfree(buf);
	return same;
}

static u64 key_stat(struct xmesh_key *key, enum xmesh_key_stat stat)
{
	u64 stats[XMESH_KSTAT_MAX];

	xmesh_key_stats_read(key, stats);
	return stats[stat];
}

/*
 * Sealed frames have the layout of the wire format and unseal back to the
 * frame they were, for every mode, length and way of lying in memory.
 */
static void xmesh_crypto_round_trip(struct kunit *test)
{
	static const unsigned int lens[] = {
		1, 15, 16, 17, 63, 64, 65, 100, 1400, 3000,
	};
	static const unsigned int linears[] = { 100000, HDR_LEN, 40 };
	struct xmesh_key *tx = test_key(test, 9, XMESH_KEY_TX, key_a);
	struct xmesh_key *rx = test_key(test, 9, XMESH_KEY_RX, key_a);
	struct xmesh_neigh *neigh = test_neigh(test, &rx, 1);
	u64 counter = 0, bytes = 0;
	int l, m, a;

	for (a = 0; a < 2; a++) {
		for (l = 0; l < ARRAY_SIZE(lens); l++) {
			for (m = 0; m < ARRAY_SIZE(linears); m++) {
				unsigned int plen = lens[l];
				struct sk_buff *skb = test_frame(test, plen,
								 linears[m]);
				const struct xmesh_hdr *hdr;
				u8 head[XMESH_SEAL_HLEN];

				KUNIT_ASSERT_EQ(test, seal(skb, tx, a), 0);
				KUNIT_EXPECT_EQ(test, skb->len,
						HDR_LEN + SEAL_LEN + plen);
				KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, head,
								    sizeof(head)), 0);
				hdr = (const struct xmesh_hdr *)head;
				KUNIT_EXPECT_EQ(test, hdr->key_id, 9);
				KUNIT_EXPECT_EQ(test, hdr->flags,
						a ? XMESH_HDR_F_AUTH_ONLY : 0);
				KUNIT_EXPECT_EQ(test, hdr->type, XMESH_PKT_DATA);
				KUNIT_EXPECT_EQ(test, be32_to_cpu(hdr->dst), 2);
				KUNIT_EXPECT_EQ(test,
						get_unaligned_be64(head + HDR_LEN),
						counter);
				/* Auth-only leaves the payload readable; a
				 * ciphertext of 8 bytes or more equal to it
				 * by chance is 2^-64 unlikely.
				 */
				if (a || plen >= 8)
					KUNIT_EXPECT_EQ_MSG(test,
						payload_is_clear(skb, XMESH_SEAL_HLEN, plen),
						!!a, "len %u", plen);

				KUNIT_EXPECT_EQ_MSG(test,
					unseal(skb, neigh, a ? XMESH_SECURITY_AUTH :
						XMESH_SECURITY_ENCRYPT), 0,
					"auth-only %d len %u linear %u", a, plen,
					linears[m]);
				KUNIT_EXPECT_EQ(test, skb->len,
						UDP_LEN + HDR_LEN + plen);
				KUNIT_EXPECT_TRUE(test, payload_is_clear(skb,
						  UDP_LEN + HDR_LEN, plen));
				KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, UDP_LEN,
								    head, HDR_LEN), 0);
				KUNIT_EXPECT_EQ(test, hdr->key_id, 9);
				KUNIT_EXPECT_EQ(test, be32_to_cpu(hdr->src_node), 1);
				KUNIT_EXPECT_EQ(test, skb_transport_offset(skb), 0);
				kfree_skb(skb);
				counter++;
				bytes += plen;
			}
		}
	}
	KUNIT_EXPECT_EQ(test, xmesh_key_counter(tx), counter);
	KUNIT_EXPECT_EQ(test, xmesh_key_counter(rx), counter);
	KUNIT_EXPECT_EQ(test, key_stat(tx, XMESH_KSTAT_PACKETS), counter);
	KUNIT_EXPECT_EQ(test, key_stat(rx, XMESH_KSTAT_PACKETS), counter);
	KUNIT_EXPECT_EQ(test, key_stat(tx, XMESH_KSTAT_BYTES), bytes);
	KUNIT_EXPECT_EQ(test, key_stat(rx, XMESH_KSTAT_BYTES), bytes);
	KUNIT_EXPECT_EQ(test, key_stat(rx, XMESH_KSTAT_AUTH_FAILED), 0);
	KUNIT_EXPECT_EQ(test, key_stat(rx, XMESH_KSTAT_REPLAYED), 0);
}

/*
 * One bit changed anywhere after the UDP header (xmesh header, counter,
 * payload, tag), or the frame cut short, and it no longer opens: the key
 * id byte names a key that is not there, any other change fails the tag.
 * The unchanged frame still opens afterwards: failures move no window.
 */
static void xmesh_crypto_tamper(struct kunit *test)
{
	struct xmesh_key *tx = test_key(test, 1, XMESH_KEY_TX, key_a);
	struct xmesh_key *rx = test_key(test, 1, XMESH_KEY_RX, key_a);
	struct xmesh_neigh *neigh = test_neigh(test, &rx, 1);
	u64 failed = 0;
	int a;

	for (a = 0; a < 2; a++) {
		struct sk_buff *orig = test_frame(test, 70, a ? 30 : 10000);
		unsigned int pos, bit, len;

		KUNIT_ASSERT_EQ(test, seal(orig, tx, a), 0);
		len = orig->len;
		for (pos = 0; pos < len; pos++) {
			for (bit = 0; bit < 8; bit += 3) {
				struct sk_buff *skb = skb_copy_expand(orig,
							HEADROOM, 0, GFP_KERNEL);
				int want = pos == offsetof(struct xmesh_hdr,
							   key_id) ?
					   XMESH_DROP_A_NO_KEY :
					   XMESH_DROP_A_AUTH_FAILED;

				KUNIT_ASSERT_NOT_NULL(test, skb);
				skb->data[pos] ^= BIT(bit);
				KUNIT_EXPECT_EQ_MSG(test,
					unseal(skb, neigh, XMESH_SECURITY_AUTH),
					want, "auth-only %d byte %u bit %u",
					a, pos, bit);
				failed += want == XMESH_DROP_A_AUTH_FAILED;
				kfree_skb(skb);
			}
		}
		/* One byte short: the tag is read from the wrong place. */
		{
			struct sk_buff *skb = skb_copy_expand(orig, HEADROOM,
							      0, GFP_KERNEL);

			KUNIT_ASSERT_NOT_NULL(test, skb);
			skb_trim(skb, skb->len - 1);
			KUNIT_EXPECT_EQ(test, unseal(skb, neigh,
						     XMESH_SECURITY_AUTH),
					XMESH_DROP_A_AUTH_FAILED);
			failed++;
			kfree_skb(skb);
		}
		KUNIT_EXPECT_EQ(test, unseal(orig, neigh, XMESH_SECURITY_AUTH),
				0);
		kfree_skb(orig);
	}
	KUNIT_EXPECT_EQ(test, key_stat(rx, XMESH_KSTAT_AUTH_FAILED), failed);
	KUNIT_EXPECT_EQ(test, key_stat(rx, XMESH_KSTAT_PACKETS), 2);
}

/*
 * The auth-only tag is the library's ChaCha20-Poly1305 tag of an empty
 * plaintext with the authenticated bytes as additional data, whether
 * those lie in one buffer or across page fragments.
 */
static void xmesh_crypto_auth_tag(struct kunit *test)
{
	struct rnd_state rnd;
	unsigned int len;
	u8 *ad, tag[XMESH_TAG_LEN], want[XMESH_TAG_LEN], none[1];
	int i;

	prandom_seed_state(&rnd, crypto_seed);
	ad = kunit_kmalloc(test, 3000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ad);
	for (len = 0; len < 3000; len = len < 80 ? len + 1 : len * 2 + 7) {
		for (i = 0; i < 2; i++) {
			struct sk_buff *skb = test_frame(test, len,
							 i ? HDR_LEN : 100000);
			u64 nonce = prandom_u32_state(&rnd) |
				    (u64)prandom_u32_state(&rnd) << 32;

			KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, ad,
							    HDR_LEN + len), 0);
			xmesh_auth_tag(skb, 0, HDR_LEN + len, NULL, 0, nonce,
				       key_b, tag);
			chacha20poly1305_encrypt(want, none, 0, ad,
						 HDR_LEN + len, nonce, key_b);
			KUNIT_EXPECT_EQ_MSG(test, memcmp(tag, want, sizeof(tag)),
					    0, "ad %u bytes, fragments %d",
					    HDR_LEN + len, i);
			/* A range inside the skb after bytes given apart
			 * works the same: the bytes around it play no part.
			 */
			if (len >= 12) {
				xmesh_auth_tag(skb, 5, HDR_LEN + len - 12, ad + 2,
					       3, nonce, key_b, tag);
				chacha20poly1305_encrypt(want, none, 0, ad + 2,
							 HDR_LEN + len - 9,
							 nonce, key_b);
				KUNIT_EXPECT_EQ_MSG(test,
					memcmp(tag, want, sizeof(tag)), 0,
					"ad 3 + %u bytes at 5, fragments %d",
					HDR_LEN + len - 12, i);
			}
			kfree_skb(skb);
		}
	}
}

static int origin_seal(struct sk_buff *skb, struct xmesh_key *key,
		       bool auth_only)
{
	return seal_layer(skb, key, auth_only, true);
}

/* Origin keys here are the slots of a bare neighbor too. */
static int origin_open(struct sk_buff *skb, struct xmesh_neigh *node,
		       u8 security)
{
	return open_layer(skb, node, security, true);
}

/* A private, linear copy of a sealed frame, to change or replay. */
static struct sk_buff *frame_copy(struct kunit *test, struct sk_buff *skb)
{
	struct sk_buff *copy = skb_copy_expand(skb, HEADROOM, 0, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, copy);
	return copy;
}

/*
 * The source origin-seals, every hop seals per hop (changing the hop
 * limit and class on the way), the destination opens both: the inner
 * packet comes out as it went in, encrypted or authenticated only by the
 * origin key, whatever the skb's shape.
 */
static void xmesh_origin_round_trip(struct kunit *test)
{
	static const unsigned int lens[] = { 1, 17, 64, 1400, 3000 };
	static const unsigned int linears[] = { 100000, HDR_LEN, 40 };
	struct xmesh_key *otx = test_key(test, 7, XMESH_KEY_TX, key_b);
	struct xmesh_key *orx = test_key(test, 7, XMESH_KEY_RX, key_b);
	struct xmesh_key *tx = test_key(test, 9, XMESH_KEY_TX, key_a);
	struct xmesh_key *rx = test_key(test, 9, XMESH_KEY_RX, key_a);
	struct xmesh_neigh *neigh = test_neigh(test, &rx, 1);
	struct xmesh_neigh *node = test_neigh(test, &orx, 1);
	u64 counter = 0;
	int l, m, a;

	for (a = 0; a < 2; a++) {
		u8 security = a ? XMESH_SECURITY_AUTH : XMESH_SECURITY_ENCRYPT;

		for (l = 0; l < ARRAY_SIZE(lens); l++) {
			for (m = 0; m < ARRAY_SIZE(linears); m++) {
				unsigned int plen = lens[l];
				struct sk_buff *skb = test_frame(test, plen,
								 linears[m]);
				struct xmesh_hdr *hdr;
				u8 head[XMESH_SEAL_HLEN];

				KUNIT_ASSERT_EQ(test, origin_seal(skb, otx, a), 0);
				KUNIT_EXPECT_EQ(test, skb->len,
						HDR_LEN + SEAL_LEN + plen);
				KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, head,
								    sizeof(head)), 0);
				hdr = (struct xmesh_hdr *)head;
				KUNIT_EXPECT_EQ(test, hdr->flags,
						XMESH_HDR_F_ORIGIN |
						(a ? XMESH_HDR_F_ORIGIN_AUTH_ONLY : 0));
				KUNIT_EXPECT_EQ(test, hdr->origin_key_id, 7);
				KUNIT_EXPECT_EQ(test, hdr->key_id, 0);
				KUNIT_EXPECT_EQ(test, hdr->reserved, 0);
				KUNIT_EXPECT_EQ(test,
						get_unaligned_be64(head + HDR_LEN),
						counter);
				if (a || plen >= 8)
					KUNIT_EXPECT_EQ(test,
						payload_is_clear(skb, XMESH_SEAL_HLEN, plen),
						!!a);

				/* A transit hop: other hop limit and class. */
				hdr = (struct xmesh_hdr *)skb->data;
				hdr->hop_limit = 3;
				hdr->tclass = XMESH_TC_BULK;
				KUNIT_ASSERT_EQ(test, seal(skb, tx, a), 0);
				KUNIT_EXPECT_EQ(test, skb->len,
						HDR_LEN + 2 * SEAL_LEN + plen);
				KUNIT_ASSERT_EQ(test, unseal(skb, neigh, security), 0);
				__skb_pull(skb, UDP_LEN);
				KUNIT_EXPECT_EQ_MSG(test,
					origin_open(skb, node, security), 0,
					"auth-only %d len %u linear %u", a, plen,
					linears[m]);
				KUNIT_EXPECT_EQ(test, skb->len,
						UDP_LEN + HDR_LEN + plen);
				KUNIT_EXPECT_TRUE(test, payload_is_clear(skb,
						  UDP_LEN + HDR_LEN, plen));
				kfree_skb(skb);
				counter++;
			}
		}
	}
	KUNIT_EXPECT_EQ(test, xmesh_key_counter(otx), counter);
	KUNIT_EXPECT_EQ(test, xmesh_key_counter(orx), counter);
	KUNIT_EXPECT_EQ(test, key_stat(orx, XMESH_KSTAT_PACKETS), counter);
	KUNIT_EXPECT_EQ(test, key_stat(orx, XMESH_KSTAT_AUTH_FAILED), 0);
}

/*
 * What the origin seal binds: the source and destination node ids, the
 * origin key id (even to a key of the same bytes), the origin flags and
 * the inner packet. What transits change (hop limit, class, the per-hop
 * key id and flag) it does not. Failures move no window.
 */
static void xmesh_origin_tamper(struct kunit *test)
{
	struct xmesh_key *otx = test_key(test, 7, XMESH_KEY_TX, key_b);
	struct xmesh_key *keys[] = {
		test_key(test, 7, XMESH_KEY_RX, key_b),
		test_key(test, 8, XMESH_KEY_RX, key_b),
	};
	struct xmesh_neigh *node = test_neigh(test, keys, 2);
	int a;

	for (a = 0; a < 2; a++) {
		u8 security = a ? XMESH_SECURITY_AUTH : XMESH_SECURITY_ENCRYPT;
		struct sk_buff *orig = test_frame(test, 60, 1000);
		struct sk_buff *skb;
		struct xmesh_hdr *hdr;
		static const struct {
			unsigned int off;
			u8 xor;
			int want;
		} change[] = {
			{ offsetof(struct xmesh_hdr, src_node) + 3, 1,
			  XMESH_DROP_A_ORIGIN_AUTH_FAILED },
			{ offsetof(struct xmesh_hdr, dst) + 3, 4,
			  XMESH_DROP_A_ORIGIN_AUTH_FAILED },
			{ offsetof(struct xmesh_hdr, origin_key_id), 7 ^ 8,
			  XMESH_DROP_A_ORIGIN_AUTH_FAILED },
			{ offsetof(struct xmesh_hdr, origin_key_id), 7 ^ 9,
			  XMESH_DROP_A_ORIGIN_NO_KEY },
			{ HDR_LEN + 2, 0x10, XMESH_DROP_A_ORIGIN_AUTH_FAILED },
			{ XMESH_SEAL_HLEN + 30, 0x80,
			  XMESH_DROP_A_ORIGIN_AUTH_FAILED },
			{ XMESH_SEAL_HLEN + 60 + 15, 1,
			  XMESH_DROP_A_ORIGIN_AUTH_FAILED },
		};
		int i;

		KUNIT_ASSERT_EQ(test, origin_seal(orig, otx, a), 0);
		for (i = 0; i < ARRAY_SIZE(change); i++) {
			skb = frame_copy(test, orig);
			skb->data[change[i].off] ^= change[i].xor;
			KUNIT_EXPECT_EQ_MSG(test, origin_open(skb, node, security),
					    change[i].want, "auth-only %d change %d",
					    a, i);
			kfree_skb(skb);
		}
		/* The origin auth-only flag flipped (read as auth-only). */
		if (!a) {
			skb = frame_copy(test, orig);
			skb->data[offsetof(struct xmesh_hdr, flags)] ^=
				XMESH_HDR_F_ORIGIN_AUTH_ONLY;
			KUNIT_EXPECT_EQ(test, origin_open(skb, node,
							  XMESH_SECURITY_AUTH),
					XMESH_DROP_A_ORIGIN_AUTH_FAILED);
			kfree_skb(skb);
		}
		/* What transits change: it still opens, once. */
		skb = frame_copy(test, orig);
		hdr = (struct xmesh_hdr *)skb->data;
		hdr->hop_limit ^= 0x7f;
		hdr->tclass = XMESH_TC_REALTIME;
		hdr->key_id = 200;
		hdr->flags |= XMESH_HDR_F_AUTH_ONLY;
		KUNIT_EXPECT_EQ(test, origin_open(skb, node, security), 0);
		kfree_skb(skb);
		skb = frame_copy(test, orig);
		KUNIT_EXPECT_EQ(test, origin_open(skb, node, security),
				XMESH_DROP_A_ORIGIN_REPLAYED);
		kfree_skb(skb);
		kfree_skb(orig);
	}
	KUNIT_EXPECT_EQ(test, key_stat(keys[0], XMESH_KSTAT_PACKETS), 2);
	KUNIT_EXPECT_EQ(test, key_stat(keys[0], XMESH_KSTAT_REPLAYED), 2);
	KUNIT_EXPECT_EQ(test, key_stat(keys[1], XMESH_KSTAT_PACKETS), 0);
}

/*
 * Origin counters: each accepted once, in any order within the window;
 * one older than the window is refused though never seen; an encrypting
 * receiver refuses an inner packet authenticated only.
 */
static void xmesh_origin_replay(struct kunit *test)
{
	struct xmesh_key *otx = test_key(test, 2, XMESH_KEY_TX, key_a);
	struct xmesh_key *orx = test_key(test, 2, XMESH_KEY_RX, key_a);
	struct xmesh_neigh *node = test_neigh(test, &orx, 1);
	static const int order[] = { 2, 0, 1, 1, 2 };
	static const int want[] = { 0, 0, 0, XMESH_DROP_A_ORIGIN_REPLAYED,
				    XMESH_DROP_A_ORIGIN_REPLAYED };
	struct sk_buff *frames[4], *skb;
	int i;

	for (i = 0; i < 4; i++) {
		frames[i] = test_frame(test, 40, 1000);
		KUNIT_ASSERT_EQ(test, origin_seal(frames[i], otx, false), 0);
	}
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		skb = frame_copy(test, frames[order[i]]);
		KUNIT_EXPECT_EQ_MSG(test, origin_open(skb, node,
						      XMESH_SECURITY_ENCRYPT),
				    want[i], "step %d: frame %d", i, order[i]);
		kfree_skb(skb);
	}
	/* Far ahead: frame 3 (counter 3, never opened) falls out. */
	atomic64_set(&otx->tx_counter, XMESH_REPLAY_WINDOW + 10);
	skb = test_frame(test, 40, 1000);
	KUNIT_ASSERT_EQ(test, origin_seal(skb, otx, false), 0);
	KUNIT_EXPECT_EQ(test, origin_open(skb, node, XMESH_SECURITY_ENCRYPT), 0);
	kfree_skb(skb);
	skb = frame_copy(test, frames[3]);
	KUNIT_EXPECT_EQ(test, origin_open(skb, node, XMESH_SECURITY_ENCRYPT),
			XMESH_DROP_A_ORIGIN_REPLAYED);
	kfree_skb(skb);
	for (i = 0; i < 4; i++)
		kfree_skb(frames[i]);

	skb = test_frame(test, 40, 1000);
	KUNIT_ASSERT_EQ(test, origin_seal(skb, otx, true), 0);
	KUNIT_EXPECT_EQ(test, origin_open(skb, node, XMESH_SECURITY_ENCRYPT),
			XMESH_DROP_A_UNENCRYPTED);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, key_stat(orx, XMESH_KSTAT_PACKETS), 4);
	KUNIT_EXPECT_EQ(test, key_stat(orx, XMESH_KSTAT_REPLAYED), 3);
}

/* A frame opens once; again, it is a replay, in any order. */
static void xmesh_crypto_replay(struct kunit *test)
{
	struct xmesh_key *tx = test_key(test, 3, XMESH_KEY_TX, key_a);
	struct xmesh_key *rx = test_key(test, 3, XMESH_KEY_RX, key_a);
	struct xmesh_neigh *neigh = test_neigh(test, &rx, 1);
	static const int order[] = { 2, 0, 1, 1, 0, 2 };
	static const int want[] = { 0, 0, 0, XMESH_DROP_A_REPLAYED,
				    XMESH_DROP_A_REPLAYED,
				    XMESH_DROP_A_REPLAYED };
	struct sk_buff *frames[3];
	int i;

	for (i = 0; i < 3; i++) {
		frames[i] = test_frame(test, 50, 1000);
		KUNIT_ASSERT_EQ(test, seal(frames[i], tx, false), 0);
	}
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		struct sk_buff *skb = skb_copy_expand(frames[order[i]],
						      HEADROOM, 0, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_EXPECT_EQ_MSG(test, unseal(skb, neigh,
						 XMESH_SECURITY_ENCRYPT),
				    want[i], "step %d: frame %d", i, order[i]);
		kfree_skb(skb);
	}
	for (i = 0; i < 3; i++)
		kfree_skb(frames[i]);
	KUNIT_EXPECT_EQ(test, key_stat(rx, XMESH_KSTAT_REPLAYED), 3);
	KUNIT_EXPECT_EQ(test, key_stat(rx, XMESH_KSTAT_PACKETS), 3);
	KUNIT_EXPECT_EQ(test, xmesh_key_counter(rx), 3);
}

/*
 * What a receiver accepts: encrypting, it refuses auth-only frames;
 * authenticating, it takes both; a key id it has no key for, or the right
 * id with other key bytes, fails. A receiver picks among its keys by id.
 */
static void xmesh_crypto_modes(struct kunit *test)
{
	struct xmesh_key *tx = test_key(test, 5, XMESH_KEY_TX, key_a);
	struct xmesh_key *keys[] = {
		test_key(test, 4, XMESH_KEY_RX, key_b),
		test_key(test, 5, XMESH_KEY_RX, key_a),
	};
	struct xmesh_key *wrong = test_key(test, 5, XMESH_KEY_RX, key_b);
	struct xmesh_neigh *both = test_neigh(test, keys, 2);
	struct xmesh_neigh *other = test_neigh(test, keys, 1);
	struct xmesh_neigh *bad = test_neigh(test, &wrong, 1);
	static const struct {
		bool auth_only;
		u8 security;
		int neigh;	/* 0 both, 1 other, 2 bad */
		int want;
	} cases[] = {
		{ false, XMESH_SECURITY_ENCRYPT, 0, 0 },
		{ false, XMESH_SECURITY_AUTH, 0, 0 },
		{ false, XMESH_SECURITY_NONE, 0, 0 },
		{ true, XMESH_SECURITY_ENCRYPT, 0, XMESH_DROP_A_UNENCRYPTED },
		{ true, XMESH_SECURITY_AUTH, 0, 0 },
		{ true, XMESH_SECURITY_NONE, 0, 0 },
		{ false, XMESH_SECURITY_ENCRYPT, 1, XMESH_DROP_A_NO_KEY },
		{ true, XMESH_SECURITY_AUTH, 1, XMESH_DROP_A_NO_KEY },
		{ false, XMESH_SECURITY_ENCRYPT, 2, XMESH_DROP_A_AUTH_FAILED },
		{ true, XMESH_SECURITY_AUTH, 2, XMESH_DROP_A_AUTH_FAILED },
	};
	struct xmesh_neigh *neighs[] = { both, other, bad };
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sk_buff *skb = test_frame(test, 60, 1000);

		KUNIT_ASSERT_EQ(test, seal(skb, tx, cases[i].auth_only), 0);
		KUNIT_EXPECT_EQ_MSG(test, unseal(skb, neighs[cases[i].neigh],
						 cases[i].security),
				    cases[i].want, "case %d", i);
		kfree_skb(skb);
	}
	KUNIT_EXPECT_EQ(test, key_stat(keys[0], XMESH_KSTAT_PACKETS), 0);
	KUNIT_EXPECT_EQ(test, key_stat(keys[1], XMESH_KSTAT_PACKETS), 5);
	KUNIT_EXPECT_EQ(test, key_stat(wrong, XMESH_KSTAT_AUTH_FAILED), 2);
}

/*
 * A transmit key seals up to the counter limit and then refuses, for
 * good, until it is replaced; the frame with the last counter opens.
 */
static void xmesh_crypto_counter_limit(struct kunit *test)
{
	struct xmesh_key *tx = test_key(test, 2, XMESH_KEY_TX, key_a);
	struct xmesh_key *rx = test_key(test, 2, XMESH_KEY_RX, key_a);
	struct xmesh_neigh *neigh = test_neigh(test, &rx, 1);
	struct sk_buff *skb;
	u8 head[XMESH_SEAL_HLEN];
	int i;

	atomic64_set(&tx->tx_counter, XMESH_KEY_COUNTER_LIMIT - 1);
	KUNIT_EXPECT_EQ(test, xmesh_key_counter(tx),
			XMESH_KEY_COUNTER_LIMIT - 1);
	skb = test_frame(test, 30, 1000);
	KUNIT_ASSERT_EQ(test, seal(skb, tx, false), 0);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, head, sizeof(head)), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_be64(head + HDR_LEN),
			XMESH_KEY_COUNTER_LIMIT - 1);
	KUNIT_EXPECT_EQ(test, unseal(skb, neigh, XMESH_SECURITY_ENCRYPT), 0);
	kfree_skb(skb);

	for (i = 0; i < 3; i++) {
		skb = test_frame(test, 30, 1000);
		KUNIT_EXPECT_EQ(test, seal(skb, tx, i & 1),
				XMESH_DROP_A_KEY_EXHAUSTED);
		kfree_skb(skb);
	}
	KUNIT_EXPECT_EQ(test, xmesh_key_counter(tx), XMESH_KEY_COUNTER_LIMIT);
	KUNIT_EXPECT_EQ(test, key_stat(tx, XMESH_KSTAT_PACKETS), 1);

	/* The receiver refuses counters from the limit on, even authentic. */
	KUNIT_EXPECT_TRUE(test, xmesh_replay_check(&rx->replay,
						   XMESH_KEY_COUNTER_LIMIT - 2));
	KUNIT_EXPECT_FALSE(test, xmesh_replay_check(&rx->replay,
						    XMESH_KEY_COUNTER_LIMIT));
	KUNIT_EXPECT_FALSE(test, xmesh_replay_check(&rx->replay, U64_MAX));
}

static struct xmesh_replay *test_replay(struct kunit *test)
{
	struct xmesh_replay *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	spin_lock_init(&r->lock);
	return r;
}

/* The window at its edges, written out. */
static void xmesh_replay_edges(struct kunit *test)
{
	const u64 w = XMESH_REPLAY_WINDOW;
	struct xmesh_replay *r = test_replay(test);
	u64 c, t;

	KUNIT_EXPECT_EQ(test, w, XMESH_REPLAY_BITS - BITS_PER_LONG);
	/* The first frame may be 0, and only once. */
	KUNIT_EXPECT_TRUE(test, xmesh_replay_check(r, 0));
	KUNIT_EXPECT_FALSE(test, xmesh_replay_check(r, 0));
	KUNIT_EXPECT_EQ(test, r->top, 1);

	/* In order, every counter once. */
	for (c = 1; c < 5 * XMESH_REPLAY_BITS; c++)
		KUNIT_ASSERT_TRUE_MSG(test, xmesh_replay_check(r, c),
				      "counter %llu", c);
	t = c - 1;
	for (c = t + 1 - w; c <= t; c++)
		KUNIT_ASSERT_FALSE_MSG(test, xmesh_replay_check(r, c),
				       "counter %llu again", c);
	/* Below the window: refused though never seen in this round. */
	KUNIT_EXPECT_FALSE(test, xmesh_replay_check(r, t - w));

	/* A jump leaves a gap that fills in, within the window only. */
	r = test_replay(test);
	t = 10000;
	KUNIT_EXPECT_TRUE(test, xmesh_replay_check(r, t));
	KUNIT_EXPECT_FALSE(test, xmesh_replay_check(r, t - w));
	KUNIT_EXPECT_TRUE(test, xmesh_replay_check(r, t - w + 1));
	KUNIT_EXPECT_FALSE(test, xmesh_replay_check(r, t - w + 1));
	KUNIT_EXPECT_TRUE(test, xmesh_replay_check(r, t - 1));
	KUNIT_EXPECT_TRUE(test, xmesh_replay_check(r, t + 1));
	KUNIT_EXPECT_FALSE(test, xmesh_replay_check(r, t));

	/* Counters a ring apart share a bit: moving the top up to the later
	 * one clears what the earlier one left there.
	 */
	r = test_replay(test);
	KUNIT_EXPECT_TRUE(test, xmesh_replay_check(r, 100));
	KUNIT_EXPECT_TRUE(test, xmesh_replay_check(r, 100 + XMESH_REPLAY_BITS));
	KUNIT_EXPECT_TRUE(test, xmesh_replay_check(r, 99 + XMESH_REPLAY_BITS));
	KUNIT_EXPECT_FALSE(test, xmesh_replay_check(r, 100));
	KUNIT_EXPECT_FALSE(test, xmesh_replay_check(r,
						    100 + XMESH_REPLAY_BITS));
	/* A jump past the whole ring clears it. */
	t += 100 * XMESH_REPLAY_BITS + 13;
	KUNIT_EXPECT_TRUE(test, xmesh_replay_check(r, t));
	for (c = t - w + 1; c < t; c += 61)
		KUNIT_EXPECT_TRUE_MSG(test, xmesh_replay_check(r, c),
				      "counter %llu", c);
	for (c = t - w + 1; c < t; c += 61)
		KUNIT_EXPECT_FALSE_MSG(test, xmesh_replay_check(r, c),
				       "counter %llu again", c);

	/* The limit. */
	r = test_replay(test);
	KUNIT_EXPECT_TRUE(test, xmesh_replay_check(r,
						   XMESH_KEY_COUNTER_LIMIT - 1));
	KUNIT_EXPECT_FALSE(test, xmesh_replay_check(r,
						    XMESH_KEY_COUNTER_LIMIT));
	KUNIT_EXPECT_TRUE(test, xmesh_replay_check(r,
						   XMESH_KEY_COUNTER_LIMIT - w));
	KUNIT_EXPECT_FALSE(test, xmesh_replay_check(r,
						    XMESH_KEY_COUNTER_LIMIT -
						    w - 1));
}

#define MODEL_SPAN	(1 << 22)
#define RANDOM_ROUNDS	300000

/*
 * Random counters, mostly near the top as reordering makes them, checked
 * against the plainest model: a bit per counter ever accepted and the
 * highest one.
 */
static void xmesh_replay_random(struct kunit *test)
{
	struct xmesh_replay *r = test_replay(test);
	unsigned long *seen;
	struct rnd_state rnd;
	u64 top = 0, c;		/* model: highest accepted + 1 */
	unsigned int round, accepted = 0, mismatches = 0;
	bool got, want;

	seen = vzalloc(BITS_TO_LONGS(MODEL_SPAN) * sizeof(long));
	KUNIT_ASSERT_NOT_NULL(test, seen);
	kunit_info(test, "seed %lu (xmesh.crypto_seed=N to change)\n",
		   crypto_seed);
	prandom_seed_state(&rnd, crypto_seed);
	for (round = 0; round < RANDOM_ROUNDS; round++) {
		u32 roll = prandom_u32_state(&rnd);
		s64 d;

		if (roll % 100 < 3)	/* far back or far ahead */
			d = (s64)(prandom_u32_state(&rnd) % 16000) - 15000;
		else			/* reordered around the top */
			d = (s64)(prandom_u32_state(&rnd) % 2400) - 2300;
		if ((s64)top + d < 0 || top + d >= MODEL_SPAN)
			continue;
		c = top + d;
		want = !test_bit(c, seen) &&
		       (c + 1 > top || top - (c + 1) < XMESH_REPLAY_WINDOW);
		got = xmesh_replay_check(r, c);
		if (got != want && mismatches++ < 10)
			KUNIT_FAIL(test, "round %u: counter %llu top %llu: %d, model %d",
				   round, c, top, got, want);
		if (want) {
			__set_bit(c, seen);
			top = max(top, c + 1);
			accepted++;
		}
		if (!(round % 4096))
			cond_resched();
	}
	vfree(seen);
	kunit_info(test, "%u rounds, %u accepted, top %llu\n", RANDOM_ROUNDS,
		   accepted, top);
	KUNIT_EXPECT_EQ(test, mismatches, 0);
	/* Both outcomes happened often, or the test proves little. */
	KUNIT_EXPECT_GT(test, accepted, RANDOM_ROUNDS / 10);
	KUNIT_EXPECT_LT(test, accepted, RANDOM_ROUNDS * 9 / 10);
}

static struct kunit_case xmesh_crypto_cases[] = {
	KUNIT_CASE(xmesh_crypto_round_trip),
	KUNIT_CASE(xmesh_crypto_tamper),
	KUNIT_CASE(xmesh_crypto_auth_tag),
	KUNIT_CASE(xmesh_crypto_replay),
	KUNIT_CASE(xmesh_crypto_modes),
	KUNIT_CASE(xmesh_crypto_counter_limit),
	KUNIT_CASE(xmesh_replay_edges),
	KUNIT_CASE(xmesh_replay_random),
	KUNIT_CASE(xmesh_origin_round_trip),
	KUNIT_CASE(xmesh_origin_tamper),
	KUNIT_CASE(xmesh_origin_replay),
	{}
};

static struct kunit_suite xmesh_crypto_suite = {
	.name = "xmesh_crypto",
	.test_cases = xmesh_crypto_cases,
};

kunit_test_suite(xmesh_crypto_suite);
