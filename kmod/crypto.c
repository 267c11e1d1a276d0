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

/**
 * xmesh_auth_tag - the tag of an auth-only frame
 * @skb: the frame
 * @off: where its xmesh header starts, from skb->data
 * @ad_len: bytes authenticated: header, counter and payload
 * @counter: the nonce
 * @key: the key
 * @tag: out, XMESH_TAG_LEN bytes
 *
 * ChaCha20-Poly1305 with an empty plaintext and the @ad_len bytes at @off
 * as additional data, read from the skb's fragments in place.
 */
void xmesh_auth_tag(struct sk_buff *skb, unsigned int off,
		    unsigned int ad_len, u64 counter,
		    const u8 key[XMESH_KEY_LEN], u8 tag[XMESH_TAG_LEN])
{
	static const u8 zeroes[POLY1305_BLOCK_SIZE];
	struct poly1305_desc_ctx poly;
	u32 state[CHACHA_STATE_WORDS];
	u32 k[CHACHA_KEY_SIZE / sizeof(u32)];
	struct skb_seq_state seq;
	unsigned int consumed = 0, n;
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

	/* skb_seq_read() hands out whole blocks: the last may run past. */
	skb_prepare_seq_read(skb, off, off + ad_len, &seq);
	while (consumed < ad_len &&
	       (n = skb_seq_read(consumed, &data, &seq))) {
		n = min(n, ad_len - consumed);
		poly1305_update(&poly, data, n);
		consumed += n;
	}
	skb_abort_seq_read(&seq);
	if (ad_len % POLY1305_BLOCK_SIZE)
		poly1305_update(&poly, zeroes,
				POLY1305_BLOCK_SIZE - ad_len % POLY1305_BLOCK_SIZE);
	b.lens[0] = cpu_to_le64(ad_len);
	b.lens[1] = 0;			/* no ciphertext */
	poly1305_update(&poly, (u8 *)b.lens, sizeof(b.lens));
	poly1305_final(&poly, tag);

	memzero_explicit(state, sizeof(state));
	memzero_explicit(k, sizeof(k));
	memzero_explicit(&b, sizeof(b));
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
	struct scatterlist sg[XMESH_MAX_SG];
	unsigned int plen = skb->len - sizeof(struct xmesh_hdr);
	struct sk_buff *trailer;
	struct xmesh_hdr *hdr;
	u8 *tag;
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
	hdr->key_id = key->id;
	if (auth_only)
		hdr->flags |= XMESH_HDR_F_AUTH_ONLY;
	else
		hdr->flags &= ~XMESH_HDR_F_AUTH_ONLY;
	put_unaligned_be64(counter, hdr + 1);

	if (auth_only) {
		xmesh_auth_tag(skb, 0, XMESH_SEAL_HLEN + plen, counter,
			       key->key, tag);
	} else {
		sg_init_table(sg, nsg);
		if (unlikely(skb_to_sgvec(skb, sg, XMESH_SEAL_HLEN,
					  plen + XMESH_TAG_LEN) <= 0))
			return XMESH_DROP_A_NOMEM;
		if (unlikely(!chacha20poly1305_encrypt_sg_inplace(sg, plen,
				(u8 *)hdr, XMESH_SEAL_HLEN, counter, key->key)))
			return XMESH_DROP_A_NOMEM;
	}
	xmesh_key_count(key, XMESH_KSTAT_PACKETS, plen);
	return 0;
}

/* Verify the frame at @off of @skb (header, counter, payload, tag of
 * @len bytes in all) and decrypt it in place unless it is auth-only.
 */
static bool xmesh_unseal_payload(struct sk_buff *skb, unsigned int off,
			       unsigned int len, const struct xmesh_key *key,
			       u64 counter, bool auth_only)
{
	struct scatterlist sg[XMESH_MAX_SG];
	u8 tag[XMESH_TAG_LEN], want[XMESH_TAG_LEN];
	struct sk_buff *trailer;
	int nsg;

	if (auth_only) {
		xmesh_auth_tag(skb, off, len - XMESH_TAG_LEN, counter, key->key,
			       tag);
		if (skb_copy_bits(skb, off + len - XMESH_TAG_LEN, want,
				  sizeof(want)))
			return false;
		return !crypto_memneq(tag, want, sizeof(tag));
	}
	nsg = skb_cow_data(skb, 0, &trailer);
	if (unlikely(nsg < 0 || nsg > ARRAY_SIZE(sg)))
		return false;
	sg_init_table(sg, nsg);
	if (unlikely(skb_to_sgvec(skb, sg, off + XMESH_SEAL_HLEN,
				  len - XMESH_SEAL_HLEN) <= 0))
		return false;
	return chacha20poly1305_decrypt_sg_inplace(sg, len - XMESH_SEAL_HLEN,
						   skb->data + off,
						   XMESH_SEAL_HLEN, counter,
						   key->key);
}

/**
 * xmesh_unseal - verify, decrypt and unwrap a sealed frame
 * @skb: the frame, skb->data at its UDP header, whose xmesh header passed
 *	 xmesh_hdr_validate() with a key id other than 0
 * @neigh: the neighbor it came from
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
int xmesh_unseal(struct sk_buff *skb, const struct xmesh_neigh *neigh,
	       u8 security)
{
	const unsigned int off = sizeof(struct udphdr);
	struct xmesh_hdr *hdr;
	struct xmesh_key *key;
	unsigned int len;
	bool auth_only;
	u64 counter;

	/* Validation found the bytes there: only memory can be short. */
	if (unlikely(!pskb_may_pull(skb, off + XMESH_SEAL_HLEN)))
		return XMESH_DROP_A_NOMEM;
	hdr = (struct xmesh_hdr *)(skb->data + off);
	auth_only = hdr->flags & XMESH_HDR_F_AUTH_ONLY;
	if (auth_only && security == XMESH_SECURITY_ENCRYPT)
		return XMESH_DROP_A_UNENCRYPTED;
	key = xmesh_key_rx(neigh, hdr->key_id);
	if (!key)
		return XMESH_DROP_A_NO_KEY;
	counter = get_unaligned_be64(hdr + 1);
	len = skb->len - off;

	if (!xmesh_unseal_payload(skb, off, len, key, counter, auth_only)) {
		xmesh_key_count(key, XMESH_KSTAT_AUTH_FAILED, 0);
		return XMESH_DROP_A_AUTH_FAILED;
	}
	if (!xmesh_replay_check(&key->replay, counter)) {
		xmesh_key_count(key, XMESH_KSTAT_REPLAYED, 0);
		return XMESH_DROP_A_REPLAYED;
	}
	xmesh_key_count(key, XMESH_KSTAT_PACKETS,
			len - XMESH_SEAL_HLEN - XMESH_TAG_LEN);

	/* Unwrap: drop the tag, then slide the UDP and xmesh headers over
	 * the counter.
	 */
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
