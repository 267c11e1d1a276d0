// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh frame protection: sealing a frame with a neighbor's transmit key
 * and opening it with the receiver's matching receive key.
 *
 * A sealed frame (Documentation/wire-format.rst, "Keys") is
 *
 *	xmesh header (key id != 0) | counter (be64) | payload | tag (16)
 *
 * with ChaCha20-Poly1305 (RFC 8439) under the key, the counter as the
 * 64-bit nonce, and as additional data the header and counter. Encrypted
 * frames carry the payload as ciphertext. Auth-only frames
 * (XMESH_HDR_F_AUTH_ONLY) carry it in clear and authenticate it as
 * additional data too, with an empty plaintext: the same AEAD, so the tag
 * is what chacha20poly1305_encrypt() gives for (ad = header, counter,
 * payload; no plaintext), computed here over the skb as it lies.
 *
 * An origin seal (origin.c) is the same construction one layer in, made
 * by the source node for the destination node before the per-hop seal:
 *
 *	xmesh header (F_ORIGIN, origin key id) | origin counter | inner |
 *	origin tag
 *
 * its additional data the header fields no transit node changes (struct
 * xmesh_origin_ad) and the origin counter; the per-hop seal then covers
 * all of it as its payload.
 *
 * Encryption runs in place over the skb's scatterlist, as WireGuard's
 * does: skb_cow_data() first makes the data writable and room for the tag.
 * That copies a frame whose data sits in pages shared with a socket (a
 * segment of a local TCP send); the pages are not this module's to
 * overwrite, and one copy of one MTU is cheap beside the cipher. An
 * auth-only frame is only read on receive, never copied.
 */
#include <crypto/algapi.h>
#include <crypto/chacha.h>
#include <crypto/chacha20poly1305.h>
#include <crypto/poly1305.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#ifdef XMESH_HAVE_LINUX_UNALIGNED
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif
#include "xmesh_priv.h"

/* As WireGuard: enough for any frame skb_cow_data() leaves us. */
#define XMESH_MAX_SG	(MAX_SKB_FRAGS + 8)

/*
 * The additional data of an origin seal: what the source node fixes of
 * the header (not the hop limit or class, which transits change, nor the
 * per-hop key id and flag), and the origin counter.
 */
struct xmesh_origin_ad {
	u8 version;
	u8 type;
	u8 flags;		/* XMESH_HDR_F_ORIGIN, F_ORIGIN_AUTH_ONLY */
	u8 origin_key_id;
	__be32 src_node;
	__be32 dst;
	__be64 counter;
} __packed;

/* Additional data of either seal, copied out of the skb. */
union xmesh_seal_ad {
	u8 hop[XMESH_SEAL_HLEN];	/* header and counter, as sent */
	struct xmesh_origin_ad origin;
};

static void __maybe_unused xmesh_crypto_layout_check(void)
{
	BUILD_BUG_ON(sizeof(struct xmesh_origin_ad) != 20);
	BUILD_BUG_ON(offsetof(struct xmesh_hdr, origin_key_id) != 6);
}

/* The additional data of the seal (@origin or per hop) of the frame
 * whose header and counter are at @hdr; its length.
 */
static unsigned int xmesh_seal_ad(const struct xmesh_hdr *hdr, bool origin,
				  union xmesh_seal_ad *ad)
{
	if (!origin) {
		memcpy(ad->hop, hdr, XMESH_SEAL_HLEN);
		return XMESH_SEAL_HLEN;
	}
	ad->origin.version = hdr->version;
	ad->origin.type = hdr->type;
	ad->origin.flags = hdr->flags & (XMESH_HDR_F_ORIGIN |
					 XMESH_HDR_F_ORIGIN_AUTH_ONLY);
	ad->origin.origin_key_id = hdr->origin_key_id;
	ad->origin.src_node = hdr->src_node;
	ad->origin.dst = hdr->dst;
	memcpy(&ad->origin.counter, hdr + 1, XMESH_COUNTER_LEN);
	return sizeof(ad->origin);
}

/**
 * xmesh_auth_tag - the tag of an auth-only frame
 * @skb: the frame
 * @off: where the payload authenticated after @pre starts, from skb->data
 * @ad_len: its length
 * @pre: additional data before it (the header and counter)
 * @pre_len: its length
 * @counter: the nonce
 * @key: the key
 * @tag: out, XMESH_TAG_LEN bytes
 *
 * ChaCha20-Poly1305 with an empty plaintext and as additional data @pre
 * followed by the @ad_len bytes at @off, read from the skb's fragments in
 * place.
 */
void xmesh_auth_tag(struct sk_buff *skb, unsigned int off,
		    unsigned int ad_len, const void *pre,
		    unsigned int pre_len, u64 counter,
		    const u8 key[XMESH_KEY_LEN], u8 tag[XMESH_TAG_LEN])
{
	static const u8 zeroes[POLY1305_BLOCK_SIZE];
	struct poly1305_desc_ctx poly;
	u32 state[CHACHA_STATE_WORDS];
	u32 k[CHACHA_KEY_SIZE / sizeof(u32)];
	struct skb_seq_state seq;
	unsigned int consumed = 0, n, total = pre_len + ad_len;
	union {
		u8 block0[POLY1305_KEY_SIZE];
		__le64 iv[2];
		__le64 lens[2];
	} b;
	const u8 *data;
	int i;

	for (i = 0; i < ARRAY_SIZE(k); i++)
		k[i] = get_unaligned_le32(key + i * sizeof(u32));
	b.iv[0] = 0;
	b.iv[1] = cpu_to_le64(counter);
	chacha_init(state, k, (u8 *)b.iv);
	/* The one-time Poly1305 key: the first 32 bytes of keystream. */
	memset(b.block0, 0, sizeof(b.block0));
	chacha20_crypt(state, b.block0, b.block0, sizeof(b.block0));
	poly1305_init(&poly, b.block0);

	if (pre_len)
		poly1305_update(&poly, pre, pre_len);
	/* skb_seq_read() hands out whole blocks: the last may run past. */
	skb_prepare_seq_read(skb, off, off + ad_len, &seq);
	while (consumed < ad_len &&
	       (n = skb_seq_read(consumed, &data, &seq))) {
		n = min(n, ad_len - consumed);
		poly1305_update(&poly, data, n);
		consumed += n;
	}
	skb_abort_seq_read(&seq);
	if (total % POLY1305_BLOCK_SIZE)
		poly1305_update(&poly, zeroes,
				POLY1305_BLOCK_SIZE - total % POLY1305_BLOCK_SIZE);
	b.lens[0] = cpu_to_le64(total);
	b.lens[1] = 0;			/* no ciphertext */
	poly1305_update(&poly, (u8 *)b.lens, sizeof(b.lens));
	poly1305_final(&poly, tag);

	memzero_explicit(state, sizeof(state));
	memzero_explicit(k, sizeof(k));
	memzero_explicit(&b, sizeof(b));
}

/*
 * Seal the frame at skb->data (its xmesh header) with @key: per hop, or
 * its origin seal when @origin. Both put a counter after the header and
 * a tag at the end; they differ in the header fields they set and in
 * their additional data.
 */
static int xmesh_seal_frame(struct sk_buff *skb, struct xmesh_key *key,
			    bool auth_only, bool origin)
{
	struct scatterlist sg[XMESH_MAX_SG];
	unsigned int plen = skb->len - sizeof(struct xmesh_hdr);
	union xmesh_seal_ad ad;
	unsigned int ad_len;
	struct sk_buff *trailer;
	struct xmesh_hdr *hdr;
	u8 *tag, flag;
	u64 counter;
	int nsg;

	/* The checksum is inside what the tag covers: it cannot be left to
	 * an offload after sealing.
	 */
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		return XMESH_DROP_A_NOMEM;
	nsg = skb_cow_data(skb, XMESH_TAG_LEN, &trailer);
	if (unlikely(nsg < 0 || nsg > ARRAY_SIZE(sg)))
		return XMESH_DROP_A_NOMEM;
	if (unlikely(skb_headroom(skb) < XMESH_COUNTER_LEN &&
		     pskb_expand_head(skb, XMESH_COUNTER_LEN, 0, GFP_ATOMIC)))
		return XMESH_DROP_A_NOMEM;

	/* Refused frames may take numbers past the limit; none is sent. */
	if (unlikely(atomic64_read(&key->tx_counter) >= XMESH_KEY_COUNTER_LIMIT))
		return XMESH_DROP_A_KEY_EXHAUSTED;
	counter = atomic64_inc_return(&key->tx_counter) - 1;
	if (unlikely(counter >= XMESH_KEY_COUNTER_LIMIT))
		return XMESH_DROP_A_KEY_EXHAUSTED;

	tag = pskb_put(skb, trailer, XMESH_TAG_LEN);
	/* The counter goes between the header and the payload. */
	__skb_push(skb, XMESH_COUNTER_LEN);
	hdr = memmove(skb->data, skb->data + XMESH_COUNTER_LEN, sizeof(*hdr));
	if (origin) {
		hdr->origin_key_id = key->id;
		hdr->flags |= XMESH_HDR_F_ORIGIN;
		flag = XMESH_HDR_F_ORIGIN_AUTH_ONLY;
	} else {
		hdr->key_id = key->id;
		flag = XMESH_HDR_F_AUTH_ONLY;
	}
	if (auth_only)
		hdr->flags |= flag;
	else
		hdr->flags &= ~flag;
	put_unaligned_be64(counter, hdr + 1);
	ad_len = xmesh_seal_ad(hdr, origin, &ad);

	if (auth_only) {
		xmesh_auth_tag(skb, XMESH_SEAL_HLEN, plen, &ad, ad_len, counter,
			       key->key, tag);
	} else {
		sg_init_table(sg, nsg);
		if (unlikely(skb_to_sgvec(skb, sg, XMESH_SEAL_HLEN,
					  plen + XMESH_TAG_LEN) <= 0))
			return XMESH_DROP_A_NOMEM;
		if (unlikely(!chacha20poly1305_encrypt_sg_inplace(sg, plen,
				(u8 *)&ad, ad_len, counter, key->key)))
			return XMESH_DROP_A_NOMEM;
	}
	xmesh_key_count(key, XMESH_KSTAT_PACKETS, plen);
	return 0;
}

/**
 * xmesh_seal - seal a frame with a transmit key
 * @skb: the frame, skb->data at its xmesh header, not GSO; on success it
 *	 holds the sealed frame
 * @key: the neighbor's transmit key
 * @auth_only: authenticate only, leave the payload in clear
 *
 * Context: RCU read side (which keeps @key alive), BHs disabled.
 * Return: 0, or the XMESH_DROP_A_* reason (the caller counts and frees).
 */
int xmesh_seal(struct sk_buff *skb, struct xmesh_key *key, bool auth_only)
{
	return xmesh_seal_frame(skb, key, auth_only, false);
}

/**
 * xmesh_origin_seal - origin-seal a DATA frame this node originates
 * @skb: the frame, skb->data at its xmesh header, the inner packet after
 *	 it, not GSO; on success the inner packet is wrapped in the origin
 *	 counter and tag, ready for the per-hop seal
 * @key: the transmit origin key of the frame's destination node
 * @auth_only: authenticate only, leave the inner packet in clear
 *
 * Context: RCU read side (which keeps @key alive), BHs disabled.
 * Return: 0, or the XMESH_DROP_A_* reason (the caller counts and frees).
 */
int xmesh_origin_seal(struct sk_buff *skb, struct xmesh_key *key,
		      bool auth_only)
{
	return xmesh_seal_frame(skb, key, auth_only, true);
}

/* Verify the payload of @len bytes at @off of @skb, its tag after it,
 * against @ad and decrypt it in place unless it is auth-only.
 */
static bool xmesh_open_payload(struct sk_buff *skb, unsigned int off,
			       unsigned int len, const union xmesh_seal_ad *ad,
			       unsigned int ad_len,
			       const struct xmesh_key *key, u64 counter,
			       bool auth_only)
{
	struct scatterlist sg[XMESH_MAX_SG];
	u8 tag[XMESH_TAG_LEN], want[XMESH_TAG_LEN];
	struct sk_buff *trailer;
	int nsg;

	if (auth_only) {
		xmesh_auth_tag(skb, off, len, ad, ad_len, counter, key->key,
			       tag);
		if (skb_copy_bits(skb, off + len, want, sizeof(want)))
			return false;
		return !crypto_memneq(tag, want, sizeof(tag));
	}
	nsg = skb_cow_data(skb, 0, &trailer);
	if (unlikely(nsg < 0 || nsg > ARRAY_SIZE(sg)))
		return false;
	sg_init_table(sg, nsg);
	if (unlikely(skb_to_sgvec(skb, sg, off, len + XMESH_TAG_LEN) <= 0))
		return false;
	return chacha20poly1305_decrypt_sg_inplace(sg, len + XMESH_TAG_LEN,
						   (const u8 *)ad, ad_len,
						   counter, key->key);
}

/*
 * Take the counter and tag of an opened seal off the frame at skb->data,
 * its xmesh header at @off: drop the tag, then slide the headers before
 * the counter over it.
 */
static int xmesh_unwrap(struct sk_buff *skb, unsigned int off)
{
	if (unlikely(pskb_trim(skb, skb->len - XMESH_TAG_LEN) ||
		     skb_ensure_writable(skb, off + XMESH_SEAL_HLEN)))
		return XMESH_DROP_A_NOMEM;
	memmove(skb->data + XMESH_COUNTER_LEN, skb->data,
		off + sizeof(struct xmesh_hdr));
	__skb_pull(skb, XMESH_COUNTER_LEN);
	skb_reset_transport_header(skb);
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->csum_level = SKB_MAX_CSUM_LEVEL;
	return 0;
}

/*
 * Open the seal (per hop, or its @origin seal) of the frame at skb->data
 * (its UDP header) with its key in @slots, and unwrap it. The two layers
 * differ in their auth-only flag, key id and drop reasons.
 */
static int xmesh_open_frame(struct sk_buff *skb,
			    const struct xmesh_key_slots *slots, u8 security,
			    bool origin)
{
	const unsigned int off = sizeof(struct udphdr);
	const struct xmesh_hdr *hdr;
	union xmesh_seal_ad ad;
	unsigned int ad_len, len;
	struct xmesh_key *key;
	bool auth_only;
	u64 counter;

	/* Validation found the bytes there: only memory can be short. */
	if (unlikely(!pskb_may_pull(skb, off + XMESH_SEAL_HLEN)))
		return XMESH_DROP_A_NOMEM;
	hdr = (struct xmesh_hdr *)(skb->data + off);
	auth_only = hdr->flags & (origin ? XMESH_HDR_F_ORIGIN_AUTH_ONLY :
					   XMESH_HDR_F_AUTH_ONLY);
	if (auth_only && security == XMESH_SECURITY_ENCRYPT)
		return XMESH_DROP_A_UNENCRYPTED;
	key = slots ? xmesh_key_rx(slots, origin ? hdr->origin_key_id :
						   hdr->key_id) : NULL;
	if (!key)
		return origin ? XMESH_DROP_A_ORIGIN_NO_KEY : XMESH_DROP_A_NO_KEY;
	counter = get_unaligned_be64(hdr + 1);
	len = skb->len - off - XMESH_SEAL_HLEN - XMESH_TAG_LEN;
	ad_len = xmesh_seal_ad(hdr, origin, &ad);

	if (!xmesh_open_payload(skb, off + XMESH_SEAL_HLEN, len, &ad, ad_len,
				key, counter, auth_only)) {
		xmesh_key_count(key, XMESH_KSTAT_AUTH_FAILED, 0);
		return origin ? XMESH_DROP_A_ORIGIN_AUTH_FAILED :
				XMESH_DROP_A_AUTH_FAILED;
	}
	if (!xmesh_replay_check(&key->replay, counter)) {
		xmesh_key_count(key, XMESH_KSTAT_REPLAYED, 0);
		return origin ? XMESH_DROP_A_ORIGIN_REPLAYED :
				XMESH_DROP_A_REPLAYED;
	}
	xmesh_key_count(key, XMESH_KSTAT_PACKETS, len);
	return xmesh_unwrap(skb, off);
}

/**
 * xmesh_unseal - verify, decrypt and unwrap a sealed frame
 * @skb: the frame, skb->data at its UDP header, whose xmesh header passed
 *	 xmesh_hdr_validate() with a key id other than 0
 * @slots: the receive keys of the neighbor it came from
 * @security: the device's enum xmesh_security
 *
 * On success the counter and tag are gone and the payload is in clear:
 * @skb looks like an unsealed frame (UDP header, xmesh header, payload),
 * its transport header reset, the key id still set. The tag vouches for
 * the inner packet's checksums as well, as it does in WireGuard.
 *
 * Context: softirq, RCU read side.
 * Return: 0, or the XMESH_DROP_A_* reason with @skb to be freed.
 */
int xmesh_unseal(struct sk_buff *skb, const struct xmesh_key_slots *slots,
		 u8 security)
{
	return xmesh_open_frame(skb, slots, security, false);
}

/**
 * xmesh_origin_open - verify, decrypt and unwrap an origin seal
 * @skb: an opened frame (see xmesh_unseal()) with XMESH_HDR_F_ORIGIN,
 *	 skb->data at its UDP header
 * @slots: the origin keys of the header's source node; NULL: none
 * @security: the device's enum xmesh_security
 *
 * On success @skb holds the inner packet in clear after the xmesh
 * header, as if it had never been origin-sealed: the source node in the
 * header, the inner packet, the destination and the counter are the
 * source node's, once.
 *
 * Context: softirq or a crypto worker, RCU read side, BHs disabled.
 * Return: 0, or the XMESH_DROP_A_* reason with @skb to be freed.
 */
int xmesh_origin_open(struct sk_buff *skb, const struct xmesh_key_slots *slots,
		      u8 security)
{
	return xmesh_open_frame(skb, slots, security, true);
}
