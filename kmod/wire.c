// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh wire header: building and validating struct xmesh_hdr.
 *
 * Validation is pure (no skb) so KUnit can drive it with any byte pattern;
 * the receive path calls it once the header has been pulled linear.
 */
#include <crypto/chacha20poly1305.h>
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include "xmesh_priv.h"

static void __maybe_unused xmesh_wire_layout_check(void)
{
	/* The header is a fixed, versioned contract: never let it drift. */
	BUILD_BUG_ON(sizeof(struct xmesh_hdr) != 16);
	BUILD_BUG_ON(offsetof(struct xmesh_hdr, hop_limit) != 3);
	BUILD_BUG_ON(offsetof(struct xmesh_hdr, key_id) != 5);
	BUILD_BUG_ON(offsetof(struct xmesh_hdr, origin_key_id) != 6);
	BUILD_BUG_ON(offsetof(struct xmesh_hdr, reserved) != 7);
	BUILD_BUG_ON(offsetof(struct xmesh_hdr, src_node) != 8);
	BUILD_BUG_ON(offsetof(struct xmesh_hdr, dst) != 12);
	BUILD_BUG_ON(sizeof(struct xmesh_oam) != 24);
	BUILD_BUG_ON(XMESH_SEAL_HLEN != 24);
	BUILD_BUG_ON(XMESH_TAG_LEN != CHACHA20POLY1305_AUTHTAG_SIZE);
	BUILD_BUG_ON(XMESH_KEY_LEN != CHACHA20POLY1305_KEY_SIZE);
	BUILD_BUG_ON(offsetof(struct xmesh_oam, timestamp) != 8);
}

/**
 * xmesh_hdr_validate - check an xmesh header and what follows it
 * @hdr: the header, linear in memory
 * @len: bytes from the start of @hdr to the end of the frame
 *
 * Return: 0 when the frame may be processed, otherwise the
 * XMESH_DROP_A_* reason to count.
 */
int xmesh_hdr_validate(const struct xmesh_hdr *hdr, unsigned int len)
{
	unsigned int seal;
	bool origin;

	if (len < sizeof(*hdr))
		return XMESH_DROP_A_TRUNCATED;
	if (hdr->version != XMESH_WIRE_VERSION)
		return XMESH_DROP_A_BAD_VERSION;
	/* A flag this node does not know was set by a newer sender: the
	 * frame cannot be processed safely. Auth-only means something
	 * only for a sealed frame; an origin seal rides only inside a
	 * per-hop seal, on DATA, with its key id.
	 */
	if ((hdr->flags & ~XMESH_HDR_F_KNOWN) ||
	    ((hdr->flags & XMESH_HDR_F_AUTH_ONLY) && !hdr->key_id))
		return XMESH_DROP_A_BAD_HEADER;
	origin = hdr->flags & XMESH_HDR_F_ORIGIN;
	if ((origin && (!hdr->key_id || !hdr->origin_key_id ||
			hdr->type != XMESH_PKT_DATA)) ||
	    (!origin && (hdr->flags & XMESH_HDR_F_ORIGIN_AUTH_ONLY)))
		return XMESH_DROP_A_BAD_HEADER;
	if (!hdr->src_node || !hdr->dst)
		return XMESH_DROP_A_BAD_HEADER;

	/* A sealed frame has a counter after the header and a tag at the
	 * end, around the same payload; an origin seal adds its own.
	 */
	seal = (hdr->key_id ? XMESH_SEAL_OVERHEAD : 0) +
	       (origin ? XMESH_SEAL_OVERHEAD : 0);
	switch (hdr->type) {
	case XMESH_PKT_MCAST:
		/* The destination is the tree's root: the source, or a
		 * shared tree's core (Documentation/multicast.md).
		 */
	case XMESH_PKT_DATA:
		/* The inner IP header itself is checked on delivery. */
		if (len <= sizeof(*hdr) + seal)
			return XMESH_DROP_A_TRUNCATED;
		return 0;
	case XMESH_PKT_OAM:
		if (len < sizeof(*hdr) + seal + sizeof(struct xmesh_oam))
			return XMESH_DROP_A_TRUNCATED;
		return 0;
	default:
		return XMESH_DROP_A_BAD_HEADER;
	}
}

/**
 * xmesh_oam_is_link - whether @op belongs to a link probe
 * @op: the op field of a struct xmesh_oam
 *
 * Link probes measure one adjacency: they are handled by the node they
 * arrive at and never forwarded.
 */
bool xmesh_oam_is_link(u8 op)
{
	return op == XMESH_OAM_LINK_REQUEST || op == XMESH_OAM_LINK_REPLY;
}

/**
 * xmesh_oam_link_validate - may a link probe or reply be handled here
 * @hdr: its header
 * @self: this node's id
 * @peer: node id of the neighbor it arrived from
 *
 * A link frame crosses exactly one adjacency: it must come from the
 * neighbor's node itself and be addressed to this node. Anything else
 * means the two ends disagree about who is at either end of the link.
 *
 * Return: 0, or XMESH_DROP_A_NODE_MISMATCH.
 */
int xmesh_oam_link_validate(const struct xmesh_hdr *hdr, u32 self, u32 peer)
{
	if (be32_to_cpu(hdr->src_node) != peer || be32_to_cpu(hdr->dst) != self)
		return XMESH_DROP_A_NODE_MISMATCH;
	return 0;
}

void xmesh_hdr_init(struct xmesh_hdr *hdr, u8 type, u8 hop_limit, u8 tclass,
		    u32 src, u32 dst)
{
	hdr->version = XMESH_WIRE_VERSION;
	hdr->type = type;
	hdr->flags = 0;
	hdr->hop_limit = hop_limit;
	hdr->tclass = tclass;
	hdr->key_id = 0;
	hdr->origin_key_id = 0;
	hdr->reserved = 0;
	hdr->src_node = cpu_to_be32(src);
	hdr->dst = cpu_to_be32(dst);
}
