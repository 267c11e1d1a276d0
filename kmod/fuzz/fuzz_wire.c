// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the module's wire header parsing (kmod/wire.c, built
 * unchanged against kmod/fuzz/shim/) on a UDP payload as it arrives.
 *
 * The input is the frame after the UDP header, the bytes
 * xmesh_udp_recv() hands to xmesh_hdr_validate(); libFuzzer's buffer is
 * exactly that long, so ASan sees any read past the frame. Beyond "no
 * crash", each verdict is checked against a plain model of the rules of
 * Documentation/wire-format.rst, a frame accepted really has the lengths
 * its header claims, a link probe's node check is exact, and a header
 * built by xmesh_hdr_init() from the input's fields reads back and
 * validates as the model says.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../xmesh_priv.h"

#define HDR_LEN		16u
#define OAM_LEN		24u
#define SEAL_LEN	(8u + 16u)	/* counter, tag */

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

static u32 get_be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

/* The rules, from the bytes alone (offsets as the format document's). */
static int model_validate(const u8 *p, size_t len)
{
	unsigned int seal, need;

	if (len < HDR_LEN)
		return XMESH_DROP_A_TRUNCATED;
	if (p[0] != 1)
		return XMESH_DROP_A_BAD_VERSION;
	if (p[2] & ~0x07u)	/* auth-only, origin, origin auth-only */
		return XMESH_DROP_A_BAD_HEADER;
	if ((p[2] & 0x01u) && !p[5])		/* auth-only needs a key */
		return XMESH_DROP_A_BAD_HEADER;
	/* origin: sealed data with an origin key id; its auth-only with it */
	if ((p[2] & 0x02u) && (!p[5] || !p[6] || p[1] != 1))
		return XMESH_DROP_A_BAD_HEADER;
	if ((p[2] & 0x04u) && !(p[2] & 0x02u))
		return XMESH_DROP_A_BAD_HEADER;
	if (!get_be32(p + 8) || !get_be32(p + 12))
		return XMESH_DROP_A_BAD_HEADER;
	seal = (p[5] ? SEAL_LEN : 0) + (p[2] & 0x02u ? SEAL_LEN : 0);
	switch (p[1]) {
	case 1:		/* data: at least one byte of inner packet */
	case 3:		/* multicast data */
		need = HDR_LEN + seal + 1;
		break;
	case 2:		/* OAM: its whole payload */
		need = HDR_LEN + seal + OAM_LEN;
		break;
	default:
		return XMESH_DROP_A_BAD_HEADER;
	}
	return len < need ? XMESH_DROP_A_TRUNCATED : 0;
}

static void check_frame(const u8 *data, size_t size)
{
	const struct xmesh_hdr *hdr = (const struct xmesh_hdr *)data;
	unsigned int len = size;
	int verdict;

	verdict = xmesh_hdr_validate(hdr, len);
	CHECK(verdict >= 0 && verdict <= XMESH_DROP_A_MAX);
	CHECK(verdict == model_validate(data, size));
	if (verdict)
		return;

	/* Accepted: the header is whole and what it announces is there. */
	CHECK(size >= sizeof(*hdr));
	CHECK(hdr->version == XMESH_WIRE_VERSION);
	CHECK(!(hdr->flags & ~XMESH_HDR_F_KNOWN));
	CHECK(hdr->src_node && hdr->dst);
	CHECK(size > sizeof(*hdr) + (hdr->key_id ? XMESH_SEAL_OVERHEAD : 0));
	if (hdr->type == XMESH_PKT_OAM) {
		const u8 *oam = data + sizeof(*hdr) +
				(hdr->key_id ? XMESH_COUNTER_LEN : 0);
		u32 src = be32_to_cpu(hdr->src_node);
		u32 dst = be32_to_cpu(hdr->dst);
		u8 op = ((const struct xmesh_oam *)oam)->op;

		CHECK(oam + sizeof(struct xmesh_oam) +
		      (hdr->key_id ? XMESH_TAG_LEN : 0) <= data + size);
		CHECK(xmesh_oam_is_link(op) == (op == 5 || op == 6));
		/* A link frame is handled only from its own source node,
		 * addressed to this one.
		 */
		CHECK(xmesh_oam_link_validate(hdr, dst, src) == 0);
		CHECK(xmesh_oam_link_validate(hdr, dst, src + 1) ==
		      XMESH_DROP_A_NODE_MISMATCH);
		CHECK(xmesh_oam_link_validate(hdr, dst + 1, src) ==
		      XMESH_DROP_A_NODE_MISMATCH);
		CHECK(xmesh_oam_link_validate(hdr, src, dst) ==
		      (src == dst ? 0 : XMESH_DROP_A_NODE_MISMATCH));
	}
}

/* A header built here from the input's fields, as the send path does. */
static void check_init(const u8 *data, size_t size)
{
	struct xmesh_hdr hdr;
	u8 raw[HDR_LEN + SEAL_LEN + OAM_LEN];
	unsigned int len;
	u32 src, dst;

	if (size < 13)
		return;
	src = get_be32(data + 4);
	dst = get_be32(data + 8);
	memset(&hdr, 0xa5, sizeof(hdr));
	xmesh_hdr_init(&hdr, data[0], data[1], data[2], src, dst);
	CHECK(hdr.version == XMESH_WIRE_VERSION && hdr.type == data[0] &&
	      hdr.flags == 0 && hdr.hop_limit == data[1] &&
	      hdr.tclass == data[2] && hdr.key_id == 0 &&
	      hdr.origin_key_id == 0 && hdr.reserved == 0);
	CHECK(be32_to_cpu(hdr.src_node) == src && be32_to_cpu(hdr.dst) == dst);

	/* Its verdict at any length is the model's. */
	len = data[12] % (sizeof(raw) + 1);
	memset(raw, 0, sizeof(raw));
	memcpy(raw, &hdr, sizeof(hdr));
	CHECK(xmesh_hdr_validate(&hdr, len) == model_validate(raw, len));
	if (len >= sizeof(hdr))
		CHECK(xmesh_hdr_validate((const struct xmesh_hdr *)raw, len) ==
		      model_validate(raw, len));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	check_frame(data, size);
	check_init(data, size);
	return 0;
}
