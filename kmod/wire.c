// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh wire header: building and validating struct xmesh_hdr.
 *
 * Validation is pure (no skb) so KUnit can drive it with any byte pattern;
 * the receive path calls it once the header has been pulled linear.
 */
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include "xmesh_priv.h"

static void __maybe_unused xmesh_wire_layout_check(void)
{
	/* The header is a fixed, versioned contract: never let it drift. */
	BUILD_BUG_ON(sizeof(struct xmesh_hdr) != 16);
	BUILD_BUG_ON(offsetof(struct xmesh_hdr, hop_limit) != 3);
	BUILD_BUG_ON(offsetof(struct xmesh_hdr, src_node) != 8);
	BUILD_BUG_ON(offsetof(struct xmesh_hdr, dst) != 12);
	BUILD_BUG_ON(sizeof(struct xmesh_oam) != 24);
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
	if (len < sizeof(*hdr))
		return XMESH_DROP_A_TRUNCATED;
	if (hdr->version != XMESH_WIRE_VERSION)
		return XMESH_DROP_A_BAD_VERSION;
	/* Version 1 defines no flags and no keys: a frame using either was
	 * made by a newer sender and cannot be processed safely.
	 */
	if ((hdr->flags & ~XMESH_HDR_F_KNOWN) || hdr->key_id)
		return XMESH_DROP_A_BAD_HEADER;
	if (!hdr->src_node || !hdr->dst)
		return XMESH_DROP_A_BAD_HEADER;

	switch (hdr->type) {
	case XMESH_PKT_DATA:
		/* The inner IP header itself is checked on delivery. */
		if (len == sizeof(*hdr))
			return XMESH_DROP_A_TRUNCATED;
		return 0;
	case XMESH_PKT_OAM:
		if (len < sizeof(*hdr) + sizeof(struct xmesh_oam))
			return XMESH_DROP_A_TRUNCATED;
		return 0;
	default:
		/* XMESH_PKT_MCAST is reserved until groups exist. */
		return XMESH_DROP_A_BAD_HEADER;
	}
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
	hdr->reserved = 0;
	hdr->src_node = cpu_to_be32(src);
	hdr->dst = cpu_to_be32(dst);
}
