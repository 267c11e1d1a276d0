// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the xmesh wire header: xmesh_hdr_validate() on good,
 * short and malformed headers, xmesh_hdr_init() field by field, the node
 * ids a link probe must carry, and a fuzz loop checked against a plain
 * model of the rules.
 */
#include <kunit/test.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include "../xmesh_priv.h"

static ulong wire_seed = 0x786d657368574952ULL;
module_param(wire_seed, ulong, 0444);
MODULE_PARM_DESC(wire_seed, "KUnit: seed of the xmesh_wire fuzz test");

#define HDR_LEN		sizeof(struct xmesh_hdr)
#define OAM_LEN		(HDR_LEN + sizeof(struct xmesh_oam))

/* A header that passes: version 1, no flags, nodes 1 -> 2. */
static void good_hdr(struct xmesh_hdr *hdr, u8 type)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->version = XMESH_WIRE_VERSION;
	hdr->type = type;
	hdr->hop_limit = 16;
	hdr->src_node = cpu_to_be32(1);
	hdr->dst = cpu_to_be32(2);
}

static void xmesh_wire_good(struct kunit *test)
{
	struct xmesh_hdr hdr;
	u8 tc;

	good_hdr(&hdr, XMESH_PKT_DATA);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, HDR_LEN + 1), 0);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, HDR_LEN + 20), 0);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 65535), 0);

	good_hdr(&hdr, XMESH_PKT_OAM);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, OAM_LEN), 0);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, OAM_LEN + 100), 0);

	/* Fields the receiver does not judge: any value passes. */
	good_hdr(&hdr, XMESH_PKT_DATA);
	hdr.hop_limit = 0;
	hdr.reserved = 0xff;
	hdr.src_node = cpu_to_be32(0xffffffff);
	hdr.dst = cpu_to_be32(0x80000000);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, HDR_LEN + 40), 0);
	hdr.hop_limit = 255;
	for (tc = 0; tc < 255; tc++) {
		hdr.tclass = tc;
		KUNIT_ASSERT_EQ_MSG(test, xmesh_hdr_validate(&hdr, HDR_LEN + 40),
				    0, "tclass %u", tc);
	}
}

static void xmesh_wire_truncated(struct kunit *test)
{
	struct xmesh_hdr hdr;
	unsigned int len;

	good_hdr(&hdr, XMESH_PKT_DATA);
	for (len = 0; len < HDR_LEN; len++)
		KUNIT_EXPECT_EQ_MSG(test, xmesh_hdr_validate(&hdr, len),
				    XMESH_DROP_A_TRUNCATED, "len %u", len);
	/* A data frame with no payload at all. */
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, HDR_LEN),
			XMESH_DROP_A_TRUNCATED);

	good_hdr(&hdr, XMESH_PKT_OAM);
	for (len = 0; len < OAM_LEN; len++)
		KUNIT_EXPECT_EQ_MSG(test, xmesh_hdr_validate(&hdr, len),
				    XMESH_DROP_A_TRUNCATED, "len %u", len);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, OAM_LEN), 0);

	/* Shorter than a header: nothing of it may be trusted. */
	memset(&hdr, 0xff, sizeof(hdr));
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, HDR_LEN - 1),
			XMESH_DROP_A_TRUNCATED);
}

static void xmesh_wire_version(struct kunit *test)
{
	struct xmesh_hdr hdr;
	unsigned int v;

	for (v = 0; v < 256; v++) {
		if (v == XMESH_WIRE_VERSION)
			continue;
		good_hdr(&hdr, XMESH_PKT_DATA);
		hdr.version = v;
		KUNIT_EXPECT_EQ_MSG(test, xmesh_hdr_validate(&hdr, 100),
				    XMESH_DROP_A_BAD_VERSION, "version %u", v);
	}

	/*
	 * Another version may define types, flags and lengths differently:
	 * it is judged by its version alone, never as a bad version 1 header.
	 */
	memset(&hdr, 0, sizeof(hdr));
	hdr.version = XMESH_WIRE_VERSION + 1;
	hdr.type = 0xff;
	hdr.flags = 0xff;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, HDR_LEN),
			XMESH_DROP_A_BAD_VERSION);
}

static void xmesh_wire_type(struct kunit *test)
{
	static const u8 bad[] = { 0, 4, 0x7f, 0x80, 255 };
	struct xmesh_hdr hdr;
	int i;

	/* XMESH_PKT_MCAST (3): the destination is the tree's root, its
	 * source or a shared tree's core.
	 */
	KUNIT_EXPECT_EQ(test, XMESH_PKT_MCAST, 3);
	good_hdr(&hdr, XMESH_PKT_MCAST);
	hdr.dst = hdr.src_node;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, OAM_LEN + 64), 0);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, HDR_LEN),
			XMESH_DROP_A_TRUNCATED);
	hdr.dst = htonl(ntohl(hdr.src_node) + 1);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, OAM_LEN + 64), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		good_hdr(&hdr, bad[i]);
		KUNIT_EXPECT_EQ_MSG(test, xmesh_hdr_validate(&hdr, OAM_LEN + 64),
				    XMESH_DROP_A_BAD_HEADER, "type %u", bad[i]);
	}
}

static void xmesh_wire_flags(struct kunit *test)
{
	struct xmesh_hdr hdr;
	unsigned int bit;

	for (bit = 0; bit < 8; bit++) {
		if (XMESH_HDR_F_KNOWN & BIT(bit))
			continue;
		good_hdr(&hdr, XMESH_PKT_DATA);
		hdr.flags = BIT(bit);
		KUNIT_EXPECT_EQ_MSG(test, xmesh_hdr_validate(&hdr, 100),
				    XMESH_DROP_A_BAD_HEADER, "flag bit %u", bit);
		good_hdr(&hdr, XMESH_PKT_OAM);
		hdr.flags = BIT(bit);
		KUNIT_EXPECT_EQ_MSG(test, xmesh_hdr_validate(&hdr, 100),
				    XMESH_DROP_A_BAD_HEADER, "flag bit %u", bit);
	}
	good_hdr(&hdr, XMESH_PKT_DATA);
	hdr.flags = 0xff & ~XMESH_HDR_F_KNOWN;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 100),
			XMESH_DROP_A_BAD_HEADER);
	hdr.key_id = 1;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 100),
			XMESH_DROP_A_BAD_HEADER);

	/* Auth-only is a property of a sealed frame: alone it is wrong. */
	KUNIT_EXPECT_EQ(test, XMESH_HDR_F_AUTH_ONLY, 0x01);
	good_hdr(&hdr, XMESH_PKT_DATA);
	hdr.flags = XMESH_HDR_F_AUTH_ONLY;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 100),
			XMESH_DROP_A_BAD_HEADER);
	hdr.key_id = 7;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 100), 0);
	hdr.flags |= 0x08;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 100),
			XMESH_DROP_A_BAD_HEADER);
}

/*
 * An origin seal: only on a sealed DATA frame with an origin key id, and
 * its own counter and tag inside the per-hop ones; origin auth-only only
 * with it.
 */
static void xmesh_wire_origin(struct kunit *test)
{
	const unsigned int two = HDR_LEN + 2 * XMESH_SEAL_OVERHEAD;
	struct xmesh_hdr hdr;

	KUNIT_EXPECT_EQ(test, XMESH_HDR_F_ORIGIN, 0x02);
	KUNIT_EXPECT_EQ(test, XMESH_HDR_F_ORIGIN_AUTH_ONLY, 0x04);
	good_hdr(&hdr, XMESH_PKT_DATA);
	hdr.flags = XMESH_HDR_F_ORIGIN;
	hdr.origin_key_id = 3;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 200),
			XMESH_DROP_A_BAD_HEADER);	/* not sealed */
	hdr.key_id = 1;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, two + 1), 0);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, two),
			XMESH_DROP_A_TRUNCATED);
	hdr.flags |= XMESH_HDR_F_ORIGIN_AUTH_ONLY | XMESH_HDR_F_AUTH_ONLY;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, two + 1), 0);
	hdr.origin_key_id = 0;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 200),
			XMESH_DROP_A_BAD_HEADER);
	hdr.origin_key_id = 3;
	hdr.type = XMESH_PKT_MCAST;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 200),
			XMESH_DROP_A_BAD_HEADER);
	hdr.type = XMESH_PKT_OAM;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 200),
			XMESH_DROP_A_BAD_HEADER);
	good_hdr(&hdr, XMESH_PKT_DATA);
	hdr.key_id = 1;
	hdr.flags = XMESH_HDR_F_ORIGIN_AUTH_ONLY;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 200),
			XMESH_DROP_A_BAD_HEADER);
}

/*
 * A key id other than 0 makes the frame sealed: it needs room for the
 * counter and the tag around its payload, or it is truncated.
 */
static void xmesh_wire_key_id(struct kunit *test)
{
	const unsigned int seal = XMESH_SEAL_OVERHEAD;
	struct xmesh_hdr hdr;
	unsigned int k;

	KUNIT_EXPECT_EQ(test, seal, 24);
	for (k = 1; k < 256; k++) {
		good_hdr(&hdr, XMESH_PKT_DATA);
		hdr.key_id = k;
		KUNIT_ASSERT_EQ_MSG(test, xmesh_hdr_validate(&hdr, HDR_LEN + seal),
				    XMESH_DROP_A_TRUNCATED, "key id %u", k);
		KUNIT_ASSERT_EQ_MSG(test,
				    xmesh_hdr_validate(&hdr, HDR_LEN + seal + 1),
				    0, "key id %u", k);
		good_hdr(&hdr, XMESH_PKT_OAM);
		hdr.key_id = k;
		KUNIT_ASSERT_EQ_MSG(test, xmesh_hdr_validate(&hdr, OAM_LEN + seal - 1),
				    XMESH_DROP_A_TRUNCATED, "key id %u", k);
		KUNIT_ASSERT_EQ_MSG(test, xmesh_hdr_validate(&hdr, OAM_LEN + seal),
				    0, "key id %u", k);
	}
	/* Key id 0: no counter, no tag. */
	good_hdr(&hdr, XMESH_PKT_DATA);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, HDR_LEN + 1), 0);
	good_hdr(&hdr, XMESH_PKT_OAM);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, OAM_LEN), 0);
}

static void xmesh_wire_node_zero(struct kunit *test)
{
	struct xmesh_hdr hdr;

	good_hdr(&hdr, XMESH_PKT_DATA);
	hdr.src_node = 0;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 100),
			XMESH_DROP_A_BAD_HEADER);

	good_hdr(&hdr, XMESH_PKT_DATA);
	hdr.dst = 0;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 100),
			XMESH_DROP_A_BAD_HEADER);

	good_hdr(&hdr, XMESH_PKT_OAM);
	hdr.src_node = 0;
	hdr.dst = 0;
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 100),
			XMESH_DROP_A_BAD_HEADER);

	/* Only all-zero is node 0: a single bit in any byte is a node. */
	good_hdr(&hdr, XMESH_PKT_DATA);
	hdr.src_node = cpu_to_be32(0x01000000);
	hdr.dst = cpu_to_be32(0x00000100);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, 100), 0);
}

static void xmesh_wire_init(struct kunit *test)
{
	static const u8 expect[HDR_LEN] = {
		XMESH_WIRE_VERSION, XMESH_PKT_OAM, 0x00, 0x21,
		0x03, 0x00, 0x00, 0x00,
		0x12, 0x34, 0x56, 0x78,
		0xfe, 0xdc, 0xba, 0x98,
	};
	struct xmesh_hdr hdr;

	memset(&hdr, 0xa5, sizeof(hdr));
	xmesh_hdr_init(&hdr, XMESH_PKT_OAM, 0x21, XMESH_TC_REALTIME,
		       0x12345678, 0xfedcba98);
	KUNIT_EXPECT_EQ(test, memcmp(&hdr, expect, sizeof(expect)), 0);
	KUNIT_EXPECT_EQ(test, hdr.version, XMESH_WIRE_VERSION);
	KUNIT_EXPECT_EQ(test, hdr.type, XMESH_PKT_OAM);
	KUNIT_EXPECT_EQ(test, hdr.flags, 0);
	KUNIT_EXPECT_EQ(test, hdr.hop_limit, 0x21);
	KUNIT_EXPECT_EQ(test, hdr.tclass, XMESH_TC_REALTIME);
	KUNIT_EXPECT_EQ(test, hdr.key_id, 0);
	KUNIT_EXPECT_EQ(test, hdr.origin_key_id, 0);
	KUNIT_EXPECT_EQ(test, hdr.reserved, 0);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(hdr.src_node), 0x12345678);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(hdr.dst), 0xfedcba98);

	/* What init builds, validate accepts. */
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, OAM_LEN), 0);
	xmesh_hdr_init(&hdr, XMESH_PKT_DATA, 1, 0, 7, 9);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, HDR_LEN + 20), 0);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(hdr.src_node), 7);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(hdr.dst), 9);

	/* ... but node 0 is still refused. */
	xmesh_hdr_init(&hdr, XMESH_PKT_DATA, 1, 0, 0, 9);
	KUNIT_EXPECT_EQ(test, xmesh_hdr_validate(&hdr, HDR_LEN + 20),
			XMESH_DROP_A_BAD_HEADER);
}

/* Which ops are link probes: the ones never forwarded. */
static void xmesh_wire_oam_link_ops(struct kunit *test)
{
	unsigned int op;

	KUNIT_EXPECT_EQ(test, XMESH_OAM_LINK_REQUEST, 5);
	KUNIT_EXPECT_EQ(test, XMESH_OAM_LINK_REPLY, 6);
	for (op = 0; op < 256; op++)
		KUNIT_EXPECT_EQ_MSG(test, xmesh_oam_is_link(op),
				    op == XMESH_OAM_LINK_REQUEST ||
				    op == XMESH_OAM_LINK_REPLY, "op %u", op);
}

/*
 * A link frame is handled only between the two ends of its adjacency:
 * from the neighbor's own node, to this node. Node 1 here receives from
 * neighbor node 2.
 */
static void xmesh_wire_oam_link_nodes(struct kunit *test)
{
	static const struct {
		u32 src, dst;
		int want;
	} cases[] = {
		{ 2, 1, 0 },
		{ 3, 1, XMESH_DROP_A_NODE_MISMATCH },	/* relayed for node 3 */
		{ 2, 3, XMESH_DROP_A_NODE_MISMATCH },	/* for node 3 */
		{ 3, 4, XMESH_DROP_A_NODE_MISMATCH },	/* in transit */
		{ 1, 1, XMESH_DROP_A_NODE_MISMATCH },	/* claims to be us */
		{ 0x02000000, 1, XMESH_DROP_A_NODE_MISMATCH },	/* byte order */
		{ 2, 0x01000000, XMESH_DROP_A_NODE_MISMATCH },
	};
	struct xmesh_hdr hdr;
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		xmesh_hdr_init(&hdr, XMESH_PKT_OAM, 1, XMESH_TC_NETWORK_CONTROL,
			       cases[i].src, cases[i].dst);
		KUNIT_EXPECT_EQ_MSG(test, xmesh_oam_link_validate(&hdr, 1, 2),
				    cases[i].want, "src %u dst %u",
				    cases[i].src, cases[i].dst);
	}
	/* The hop limit plays no part: the frame goes one hop anyway. */
	xmesh_hdr_init(&hdr, XMESH_PKT_OAM, 0, 0, 2, 1);
	KUNIT_EXPECT_EQ(test, xmesh_oam_link_validate(&hdr, 1, 2), 0);
	xmesh_hdr_init(&hdr, XMESH_PKT_OAM, 255, 0, 2, 1);
	KUNIT_EXPECT_EQ(test, xmesh_oam_link_validate(&hdr, 1, 2), 0);
	/* Node ids are full 32-bit values. */
	xmesh_hdr_init(&hdr, XMESH_PKT_OAM, 1, 0, 0xfffffffe, 0xffffffff);
	KUNIT_EXPECT_EQ(test, xmesh_oam_link_validate(&hdr, 0xffffffff,
						      0xfffffffe), 0);
}

/*
 * The rules of Documentation/wire-format.rst, written plainly, in the
 * module's order of checks: length of the fixed header, version, flags
 * and key id, node ids, then type and the length its payload needs.
 */
static int model_validate(const u8 *b, unsigned int len)
{
	unsigned int seal;

	if (len < 16)
		return XMESH_DROP_A_TRUNCATED;
	/* A sealed frame (key id, b[5], not 0) has 8 + 16 bytes more, and
	 * as many again with an origin seal (flag 2).
	 */
	seal = (b[5] ? 24 : 0) + (b[2] & 2 ? 24 : 0);
	if (b[0] != 1)
		return XMESH_DROP_A_BAD_VERSION;
	if (b[2] > 7 || (b[2] & 1 && !b[5]))	/* flags: auth-only, sealed */
		return XMESH_DROP_A_BAD_HEADER;
	/* origin: sealed, data, an origin key id; origin auth-only with it */
	if (b[2] & 2 && (!b[5] || !b[6] || b[1] != 1))
		return XMESH_DROP_A_BAD_HEADER;
	if (b[2] & 4 && !(b[2] & 2))
		return XMESH_DROP_A_BAD_HEADER;
	if (!(b[8] | b[9] | b[10] | b[11]) || !(b[12] | b[13] | b[14] | b[15]))
		return XMESH_DROP_A_BAD_HEADER;
	if (b[1] == 1 || b[1] == 3)	/* data, multicast data */
		return len > 16 + seal ? 0 : XMESH_DROP_A_TRUNCATED;
	if (b[1] == 2)
		return len >= 40 + seal ? 0 : XMESH_DROP_A_TRUNCATED;
	return XMESH_DROP_A_BAD_HEADER;
}

#define FUZZ_ROUNDS	200000
#define FUZZ_MAX_LEN	96

static void xmesh_wire_fuzz(struct kunit *test)
{
	unsigned int round, len, i, mismatches = 0;
	unsigned int seen[XMESH_DROP_A_MAX + 1] = { };
	struct rnd_state rnd;
	u8 *buf;
	int ret;

	kunit_info(test, "seed %lu (xmesh.wire_seed=N to change)\n", wire_seed);
	prandom_seed_state(&rnd, wire_seed);

	for (round = 0; round < FUZZ_ROUNDS; round++) {
		u32 shape = prandom_u32_state(&rnd);

		/* Mostly short frames, where the boundaries are. */
		len = shape & 1 ? prandom_u32_state(&rnd) % (OAM_LEN + 26) :
				  prandom_u32_state(&rnd) % (FUZZ_MAX_LEN + 1);
		/* Exactly @len bytes, so an overread hits the allocator's red
		 * zone when the kernel checks for that.
		 */
		buf = kmalloc(len ?: 1, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, buf);
		for (i = 0; i < len; i++)
			buf[i] = prandom_u32_state(&rnd);

		/*
		 * Random bytes rarely get past the version: most rounds fix
		 * some fields to valid values so the later checks are reached.
		 */
		if (len >= 16 && (shape & 0x6)) {
			buf[0] = shape & 0x100 ? buf[0] : XMESH_WIRE_VERSION;
			buf[1] = shape & 0x200 ? buf[1] & 3 : buf[1] % 5;
			if (shape & 0x400) {
				buf[2] = shape & 0x2000 ? 1 : 0;
				buf[5] = shape & 0x4000 ? buf[5] : 0;
			}
			if (shape & 0x800)
				memset(&buf[8], 0, 4);
			if (shape & 0x1000)
				memset(&buf[12], 0, 4);
		}

		ret = xmesh_hdr_validate((const struct xmesh_hdr *)buf, len);
		if (ret < 0 || ret > XMESH_DROP_A_MAX) {
			KUNIT_FAIL(test, "round %u len %u: %d is no drop reason",
				   round, len, ret);
			kfree(buf);
			return;
		}
		seen[ret]++;
		if (ret != model_validate(buf, len) && mismatches++ < 10)
			KUNIT_FAIL(test, "round %u len %u: %d, model says %d (%*ph)",
				   round, len, ret, model_validate(buf, len),
				   min(len, 16U), buf);
		kfree(buf);
		if (!(round % 4096))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, mismatches, 0);

	kunit_info(test, "%u rounds: ok %u truncated %u bad_version %u bad_header %u\n",
		   FUZZ_ROUNDS, seen[0], seen[XMESH_DROP_A_TRUNCATED],
		   seen[XMESH_DROP_A_BAD_VERSION], seen[XMESH_DROP_A_BAD_HEADER]);
	/* The fuzz reached every outcome, or it proves little. */
	KUNIT_EXPECT_GT(test, seen[0], 0);
	KUNIT_EXPECT_GT(test, seen[XMESH_DROP_A_TRUNCATED], 0);
	KUNIT_EXPECT_GT(test, seen[XMESH_DROP_A_BAD_VERSION], 0);
	KUNIT_EXPECT_GT(test, seen[XMESH_DROP_A_BAD_HEADER], 0);
	/* Nothing else is a header verdict. */
	for (i = 1; i <= XMESH_DROP_A_MAX; i++)
		if (i != XMESH_DROP_A_TRUNCATED && i != XMESH_DROP_A_BAD_VERSION &&
		    i != XMESH_DROP_A_BAD_HEADER)
			KUNIT_EXPECT_EQ_MSG(test, seen[i], 0, "reason %u", i);
}

static struct kunit_case xmesh_wire_cases[] = {
	KUNIT_CASE(xmesh_wire_good),
	KUNIT_CASE(xmesh_wire_truncated),
	KUNIT_CASE(xmesh_wire_version),
	KUNIT_CASE(xmesh_wire_type),
	KUNIT_CASE(xmesh_wire_flags),
	KUNIT_CASE(xmesh_wire_origin),
	KUNIT_CASE(xmesh_wire_key_id),
	KUNIT_CASE(xmesh_wire_node_zero),
	KUNIT_CASE(xmesh_wire_init),
	KUNIT_CASE(xmesh_wire_oam_link_ops),
	KUNIT_CASE(xmesh_wire_oam_link_nodes),
	KUNIT_CASE(xmesh_wire_fuzz),
	{}
};

static struct kunit_suite xmesh_wire_suite = {
	.name = "xmesh_wire",
	.test_cases = xmesh_wire_cases,
};

kunit_test_suite(xmesh_wire_suite);
