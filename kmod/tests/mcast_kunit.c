// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for xmesh multicast routes: which addresses are overlay
 * groups, key validation, the replication decision (one copy per branch,
 * none back upstream, none twice, the hop limit, local delivery) and the
 * table (insert, replace keeping the counters, remove, limits).
 *
 * The table cases use a bare struct xmesh_dev: the table touches nothing
 * else of it but its lock.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include "../xmesh_priv.h"

static struct xmesh_mroute_key v4_key(u32 root, u32 group)
{
	struct xmesh_mroute_key k;

	memset(&k, 0, sizeof(k));
	k.family = AF_INET;
	k.root = root;
	k.group.v4 = htonl(group);
	return k;
}

static void xmesh_mcast_group_ranges(struct kunit *test)
{
	union xmesh_addr a = { };

	a.v4 = htonl(0xef010203);		/* 239.1.2.3 */
	KUNIT_EXPECT_TRUE(test, xmesh_mcast_group(AF_INET, &a));
	a.v4 = htonl(0xe0000016);		/* 224.0.0.22: link-local */
	KUNIT_EXPECT_FALSE(test, xmesh_mcast_group(AF_INET, &a));
	a.v4 = htonl(0x0a000101);		/* unicast */
	KUNIT_EXPECT_FALSE(test, xmesh_mcast_group(AF_INET, &a));

	memset(&a, 0, sizeof(a));
	a.v6.s6_addr[0] = 0xff;
	a.v6.s6_addr[1] = 0x05;			/* ff05::, site-local */
	a.v6.s6_addr[15] = 1;
	KUNIT_EXPECT_TRUE(test, xmesh_mcast_group(AF_INET6, &a));
	a.v6.s6_addr[1] = 0x1e;			/* ff1e::, global, transient */
	KUNIT_EXPECT_TRUE(test, xmesh_mcast_group(AF_INET6, &a));
	a.v6.s6_addr[1] = 0x02;			/* ff02::, link-local */
	KUNIT_EXPECT_FALSE(test, xmesh_mcast_group(AF_INET6, &a));
	a.v6.s6_addr[0] = 0xfd;			/* unicast */
	a.v6.s6_addr[1] = 0x05;
	KUNIT_EXPECT_FALSE(test, xmesh_mcast_group(AF_INET6, &a));
}

static void xmesh_mcast_key_valid(struct kunit *test)
{
	struct xmesh_mroute_key k = v4_key(1, 0xef000001);

	KUNIT_EXPECT_TRUE(test, xmesh_mroute_key_valid(&k));
	k.root = 0;
	KUNIT_EXPECT_FALSE(test, xmesh_mroute_key_valid(&k));
	k = v4_key(1, 0x0a000001);
	KUNIT_EXPECT_FALSE(test, xmesh_mroute_key_valid(&k));
	k = v4_key(1, 0xef000001);
	k.group.v6.s6_addr[8] = 1;		/* junk past an IPv4 group */
	KUNIT_EXPECT_FALSE(test, xmesh_mroute_key_valid(&k));
	k = v4_key(1, 0xef000001);
	k.family = AF_PACKET;
	KUNIT_EXPECT_FALSE(test, xmesh_mroute_key_valid(&k));
}

static void xmesh_mcast_targets_transit(struct kunit *test)
{
	struct xmesh_mroute_branches br = {
		.local = true, .n_neighs = 4, .neigh = { 3, 5, 3, 7 },
	};
	u32 out[XMESH_MAX_MROUTE_NEIGHS];
	unsigned int n, drops;
	bool local;

	/* From 5: copies to 3 and 7, once each, none back to 5. */
	n = xmesh_mcast_targets(&br, 5, 0, 16, false, out, &local, &drops);
	KUNIT_ASSERT_EQ(test, n, 2U);
	KUNIT_EXPECT_EQ(test, out[0], 3U);
	KUNIT_EXPECT_EQ(test, out[1], 7U);
	KUNIT_EXPECT_TRUE(test, local);
	KUNIT_EXPECT_EQ(test, drops, 0U);

	/* Hop limit 1 on arrival: delivered, not forwarded. */
	n = xmesh_mcast_targets(&br, 5, 0, 1, false, out, &local, &drops);
	KUNIT_EXPECT_EQ(test, n, 0U);
	KUNIT_EXPECT_TRUE(test, local);
	KUNIT_EXPECT_EQ(test, drops, 2U);
	n = xmesh_mcast_targets(&br, 5, 0, 2, false, out, &local, &drops);
	KUNIT_EXPECT_EQ(test, n, 2U);
}

static void xmesh_mcast_targets_origin(struct kunit *test)
{
	struct xmesh_mroute_branches br = {
		.local = true, .n_neighs = 3, .neigh = { 2, 4, 6 },
	};
	u32 out[XMESH_MAX_MROUTE_NEIGHS];
	unsigned int n, drops;
	bool local;

	/* The root sends on every branch whatever its hop limit, and does
	 * not deliver its own packet.
	 */
	n = xmesh_mcast_targets(&br, 0, 0, 1, true, out, &local, &drops);
	KUNIT_EXPECT_EQ(test, n, 3U);
	KUNIT_EXPECT_FALSE(test, local);
	KUNIT_EXPECT_EQ(test, drops, 0U);

	/* A leaf: delivery only. */
	br.n_neighs = 0;
	n = xmesh_mcast_targets(&br, 9, 0, 16, false, out, &local, &drops);
	KUNIT_EXPECT_EQ(test, n, 0U);
	KUNIT_EXPECT_TRUE(test, local);
}

/* The reverse-path check: only the upstream node's frames, if one is set. */
static void xmesh_mcast_rpf_source(struct kunit *test)
{
	struct xmesh_mroute_branches br = {
		.upstream = 4, .n_neighs = 2, .neigh = { 11, 12 },
		.neigh_node = { 6, 7 },
	};

	/* Accepted: no copy back to the neighbor it came from. */
	KUNIT_EXPECT_EQ(test, xmesh_mcast_rpf(&br, 4, 21), 21U);
	KUNIT_EXPECT_EQ(test, xmesh_mcast_rpf(&br, 5, 22), 0U);
	/* A branch's node sending up the tree is off it as well. */
	KUNIT_EXPECT_EQ(test, xmesh_mcast_rpf(&br, 6, 11), 0U);
	/* No upstream (the root's route, an older agent's): not checked. */
	br.upstream = 0;
	KUNIT_EXPECT_EQ(test, xmesh_mcast_rpf(&br, 5, 22), 22U);
}

/*
 * A shared tree: frames from any branch's node, none back to that node
 * (over whichever link of it they came), none from elsewhere.
 */
static void xmesh_mcast_rpf_shared(struct kunit *test)
{
	struct xmesh_mroute_branches br = {
		.shared_root = 3, .n_neighs = 3, .neigh = { 11, 12, 13 },
		.neigh_node = { 6, 7, 8 },
	};
	u32 out[XMESH_MAX_MROUTE_NEIGHS];
	unsigned int n, drops;
	bool local;

	KUNIT_EXPECT_EQ(test, xmesh_mcast_rpf(&br, 7, 12), 12U);
	/* Another link to node 7: the branch to 7 is still the one back. */
	KUNIT_EXPECT_EQ(test, xmesh_mcast_rpf(&br, 7, 40), 12U);
	KUNIT_EXPECT_EQ(test, xmesh_mcast_rpf(&br, 9, 41), 0U);
	n = xmesh_mcast_targets(&br, xmesh_mcast_rpf(&br, 7, 40), 7, 16,
				false, out, &local, &drops);
	KUNIT_ASSERT_EQ(test, n, 2U);
	KUNIT_EXPECT_EQ(test, out[0], 11U);
	KUNIT_EXPECT_EQ(test, out[1], 13U);

	/*
	 * Neighbor 13 replaced onto node 7 (xmesh_mroutes_neigh_moved): two
	 * branches to node 7 until the agent writes the tree again; a frame
	 * from node 7 goes back over neither.
	 */
	br.neigh_node[2] = 7;
	n = xmesh_mcast_targets(&br, xmesh_mcast_rpf(&br, 7, 12), 7, 16,
				false, out, &local, &drops);
	KUNIT_ASSERT_EQ(test, n, 1U);
	KUNIT_EXPECT_EQ(test, out[0], 11U);
}

static int mcast_dev_init(struct kunit *test, struct xmesh_dev **out)
{
	struct xmesh_dev *xdev = kunit_kzalloc(test, sizeof(*xdev),
					       GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, xdev);
	mutex_init(&xdev->lock);
	*out = xdev;
	return xmesh_mroutes_init(xdev);
}

static void xmesh_mcast_table(struct kunit *test)
{
	struct xmesh_mroute_branches br = { .n_neighs = 1, .neigh = { 2 } };
	struct xmesh_mroute_key k1 = v4_key(1, 0xef000001);
	struct xmesh_mroute_key k2 = v4_key(2, 0xef000001);
	const struct xmesh_mroute_branches *cur;
	struct xmesh_mroute *mr, *a;
	u64 stats[XMESH_MSTAT_MAX];
	struct xmesh_dev *xdev;

	KUNIT_ASSERT_EQ(test, mcast_dev_init(test, &xdev), 0);
	mutex_lock(&xdev->lock);

	a = xmesh_mroute_alloc(&k1, &br);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, xmesh_mroute_insert(xdev, a, false), 0);
	mr = xmesh_mroute_alloc(&k2, &br);
	KUNIT_ASSERT_NOT_NULL(test, mr);
	KUNIT_EXPECT_EQ(test, xmesh_mroute_insert(xdev, mr, false), 0);
	KUNIT_EXPECT_EQ(test, xdev->mroutes.count, 2U);
	/* Same group, other root: another tree. */
	KUNIT_EXPECT_PTR_EQ(test, xmesh_mroute_lookup(xdev, &k1), a);
	KUNIT_EXPECT_PTR_EQ(test, xmesh_mroute_lookup(xdev, &k2), mr);

	local_bh_disable();
	xmesh_mroute_count(a, XMESH_MSTAT_TX_PACKETS, 100);
	local_bh_enable();

	/* Without replace, a second (root, group) is refused. */
	mr = xmesh_mroute_alloc(&k1, &br);
	KUNIT_ASSERT_NOT_NULL(test, mr);
	KUNIT_EXPECT_EQ(test, xmesh_mroute_insert(xdev, mr, false), -EEXIST);
	/* With it, the branches change and the counters stay. */
	br.local = true;
	br.n_neighs = 2;
	br.neigh[1] = 4;
	xmesh_mroute_free(mr);
	mr = xmesh_mroute_alloc(&k1, &br);
	KUNIT_ASSERT_NOT_NULL(test, mr);
	KUNIT_EXPECT_EQ(test, xmesh_mroute_insert(xdev, mr, true), 0);
	KUNIT_EXPECT_EQ(test, xdev->mroutes.count, 2U);
	KUNIT_EXPECT_PTR_EQ(test, xmesh_mroute_lookup(xdev, &k1), a);
	cur = rcu_dereference_protected(a->branches, true);
	KUNIT_EXPECT_TRUE(test, cur->local);
	KUNIT_EXPECT_EQ(test, cur->n_neighs, 2);
	xmesh_mroute_stats_read(a, stats);
	KUNIT_EXPECT_EQ(test, stats[XMESH_MSTAT_TX_PACKETS], 1ULL);
	KUNIT_EXPECT_EQ(test, stats[XMESH_MSTAT_TX_BYTES], 100ULL);

	xmesh_mroute_remove(xdev, a);
	KUNIT_EXPECT_NULL(test, xmesh_mroute_lookup(xdev, &k1));
	KUNIT_EXPECT_EQ(test, xdev->mroutes.count, 1U);
	mutex_unlock(&xdev->lock);

	mutex_lock(&xdev->lock);
	xmesh_mroutes_uninit(xdev);
	KUNIT_EXPECT_EQ(test, xdev->mroutes.count, 0U);
	mutex_unlock(&xdev->lock);
	rcu_barrier();
}

static struct kunit_case xmesh_mcast_cases[] = {
	KUNIT_CASE(xmesh_mcast_group_ranges),
	KUNIT_CASE(xmesh_mcast_key_valid),
	KUNIT_CASE(xmesh_mcast_targets_transit),
	KUNIT_CASE(xmesh_mcast_targets_origin),
	KUNIT_CASE(xmesh_mcast_rpf_source),
	KUNIT_CASE(xmesh_mcast_rpf_shared),
	KUNIT_CASE(xmesh_mcast_table),
	{}
};

static struct kunit_suite xmesh_mcast_suite = {
	.name = "xmesh_mcast",
	.test_cases = xmesh_mcast_cases,
};

kunit_test_suite(xmesh_mcast_suite);
