// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for xmesh zones: the mark a delivered packet gets (only the
 * mask's bits change), the node and zone pair tables (insert, replace,
 * remove, flush), and the zone pair decision (table first, then the
 * device default; unauthenticated sources are zone 0; nothing is looked
 * at while the filter is inactive).
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include "../xmesh_priv.h"

static void xmesh_filter_mark_mask(struct kunit *test)
{
	u32 attrs = xmesh_node_attrs_value(7, 0x0005);

	KUNIT_EXPECT_EQ(test, attrs, 0x00070005U);
	/* The whole mark. */
	KUNIT_EXPECT_EQ(test, xmesh_filter_mark(0xdeadbeef, 0xffffffff, attrs),
			0x00070005U);
	/* Only the zone: the roles' bits keep what they had. */
	KUNIT_EXPECT_EQ(test, xmesh_filter_mark(0x1234abcd, 0xffff0000, attrs),
			0x0007abcdU);
	/* Only the roles. */
	KUNIT_EXPECT_EQ(test, xmesh_filter_mark(0x1234abcd, 0x0000ffff, attrs),
			0x12340005U);
	/* No mask, no change. */
	KUNIT_EXPECT_EQ(test, xmesh_filter_mark(0x1234abcd, 0, attrs),
			0x1234abcdU);
	/* An unknown source clears the bits: no stale mark passes for one. */
	KUNIT_EXPECT_EQ(test, xmesh_filter_mark(0xffffffff, 0x00ff00ff, 0),
			0xff00ff00U);
	KUNIT_EXPECT_EQ(test, xmesh_zone_pair_key(3, 4), 0x00030004U);
}

struct filter_fixture {
	struct xmesh_dev *xdev;
};

static int filter_init(struct kunit *test)
{
	struct filter_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->xdev = kunit_kzalloc(test, sizeof(*f->xdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->xdev);
	mutex_init(&f->xdev->lock);
	KUNIT_ASSERT_EQ(test, xmesh_filter_init(f->xdev), 0);
	test->priv = f;
	return 0;
}

static void filter_exit(struct kunit *test)
{
	struct filter_fixture *f = test->priv;

	mutex_lock(&f->xdev->lock);
	xmesh_filter_uninit(f->xdev);
	mutex_unlock(&f->xdev->lock);
	rcu_barrier();	/* the kfree_rcu()s before the fixture goes */
}

static void add(struct kunit *test, struct xmesh_dev *xdev,
		struct xmesh_attr_table *t, u32 key, u32 value, bool replace,
		int expect)
{
	struct xmesh_attr *a = xmesh_attr_alloc(key, value);
	int err;

	KUNIT_ASSERT_NOT_NULL(test, a);
	err = xmesh_attr_insert(xdev, t, a, replace);
	KUNIT_EXPECT_EQ(test, err, expect);
	if (err)
		kfree(a);
}

static void node(struct kunit *test, struct xmesh_dev *xdev, u32 id,
		 u16 zone, u16 roles)
{
	add(test, xdev, &xdev->filter.nodes, id,
	    xmesh_node_attrs_value(zone, roles), false, 0);
}

static void pair(struct kunit *test, struct xmesh_dev *xdev, u16 from, u16 to,
		 u8 action)
{
	add(test, xdev, &xdev->filter.zone_pairs,
	    xmesh_zone_pair_key(from, to), action, false, 0);
}

static int check(struct xmesh_dev *xdev, u32 src, u32 dst, bool auth,
		 u32 *attrs)
{
	int reason;

	rcu_read_lock();
	reason = xmesh_filter_check(xdev, src, dst, auth, attrs);
	rcu_read_unlock();
	return reason;
}

static void xmesh_filter_table(struct kunit *test)
{
	struct xmesh_dev *xdev = ((struct filter_fixture *)test->priv)->xdev;
	struct xmesh_attr_table *t = &xdev->filter.nodes;
	struct xmesh_attr *a;

	mutex_lock(&xdev->lock);
	node(test, xdev, 1, 10, 1);
	node(test, xdev, 2, 20, 2);
	KUNIT_EXPECT_EQ(test, t->count, 2U);
	/* A node is in the table once; replacing keeps the count. */
	add(test, xdev, t, 1, xmesh_node_attrs_value(11, 3), false, -EEXIST);
	add(test, xdev, t, 1, xmesh_node_attrs_value(11, 3), true, 0);
	KUNIT_EXPECT_EQ(test, t->count, 2U);
	a = xmesh_attr_find(t, 1);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, a->value, xmesh_node_attrs_value(11, 3));
	xmesh_attr_remove(xdev, t, xmesh_attr_find(t, 2));
	KUNIT_EXPECT_NULL(test, xmesh_attr_find(t, 2));
	KUNIT_EXPECT_EQ(test, t->count, 1U);
	xmesh_attr_flush(xdev, t);
	KUNIT_EXPECT_EQ(test, t->count, 0U);
	KUNIT_EXPECT_TRUE(test, list_empty(&t->list));
	mutex_unlock(&xdev->lock);
}

static void xmesh_filter_zone_pairs(struct kunit *test)
{
	struct xmesh_dev *xdev = ((struct filter_fixture *)test->priv)->xdev;
	u32 attrs;

	mutex_lock(&xdev->lock);
	node(test, xdev, 1, 10, 0x1);	/* iot */
	node(test, xdev, 2, 20, 0x2);	/* compute */
	node(test, xdev, 3, 30, 0x4);	/* billing */
	/* Inactive: nothing is looked up, nothing is denied. */
	KUNIT_EXPECT_FALSE(test, xdev->filter.active);
	KUNIT_EXPECT_EQ(test, check(xdev, 1, 3, true, &attrs), 0);
	KUNIT_EXPECT_EQ(test, attrs, 0U);

	pair(test, xdev, 10, 30, XMESH_ZONE_DENY);
	pair(test, xdev, 20, 30, XMESH_ZONE_ALLOW);
	KUNIT_EXPECT_TRUE(test, xdev->filter.active);
	mutex_unlock(&xdev->lock);

	/* The table first. */
	KUNIT_EXPECT_EQ(test, check(xdev, 1, 3, true, &attrs),
			XMESH_DROP_A_ZONE_DENIED);
	KUNIT_EXPECT_EQ(test, attrs, xmesh_node_attrs_value(10, 0x1));
	KUNIT_EXPECT_EQ(test, check(xdev, 2, 3, true, &attrs), 0);
	KUNIT_EXPECT_EQ(test, attrs, xmesh_node_attrs_value(20, 0x2));
	/* Pairs are directed: billing to iot is not in the table. */
	KUNIT_EXPECT_EQ(test, check(xdev, 3, 1, true, &attrs), 0);
	/* An unknown node, or an unauthenticated frame, is zone 0. */
	KUNIT_EXPECT_EQ(test, check(xdev, 99, 3, true, &attrs), 0);
	KUNIT_EXPECT_EQ(test, attrs, 0U);
	KUNIT_EXPECT_EQ(test, check(xdev, 2, 3, false, &attrs), 0);
	KUNIT_EXPECT_EQ(test, attrs, 0U);

	/* The default for pairs not in the table. */
	mutex_lock(&xdev->lock);
	xmesh_filter_set(xdev, 0, XMESH_ZONE_DENY);
	mutex_unlock(&xdev->lock);
	KUNIT_EXPECT_EQ(test, check(xdev, 3, 1, true, &attrs),
			XMESH_DROP_A_ZONE_DENIED);
	KUNIT_EXPECT_EQ(test, check(xdev, 2, 3, true, &attrs), 0);
	/* An unauthenticated compute frame is zone 0, not 20: denied. */
	KUNIT_EXPECT_EQ(test, check(xdev, 2, 3, false, &attrs),
			XMESH_DROP_A_ZONE_DENIED);
	/* Within a zone, too, the default applies unless a pair says. */
	KUNIT_EXPECT_EQ(test, check(xdev, 2, 2, true, &attrs),
			XMESH_DROP_A_ZONE_DENIED);

	/* Replacing a pair's action takes effect at once. */
	mutex_lock(&xdev->lock);
	add(test, xdev, &xdev->filter.zone_pairs, xmesh_zone_pair_key(10, 30),
	    XMESH_ZONE_ALLOW, true, 0);
	mutex_unlock(&xdev->lock);
	KUNIT_EXPECT_EQ(test, check(xdev, 1, 3, true, &attrs), 0);

	/* Back to the defaults: inactive again. */
	mutex_lock(&xdev->lock);
	xmesh_filter_set(xdev, 0, XMESH_ZONE_ALLOW);
	xmesh_attr_flush(xdev, &xdev->filter.zone_pairs);
	KUNIT_EXPECT_FALSE(test, xdev->filter.active);
	xmesh_filter_set(xdev, 0xffff0000, XMESH_ZONE_ALLOW);
	KUNIT_EXPECT_TRUE(test, xdev->filter.active);
	mutex_unlock(&xdev->lock);
	KUNIT_EXPECT_EQ(test, check(xdev, 3, 1, true, &attrs), 0);
	KUNIT_EXPECT_EQ(test, attrs, xmesh_node_attrs_value(30, 0x4));
}

static struct kunit_case xmesh_filter_cases[] = {
	KUNIT_CASE(xmesh_filter_mark_mask),
	KUNIT_CASE(xmesh_filter_table),
	KUNIT_CASE(xmesh_filter_zone_pairs),
	{}
};

static struct kunit_suite xmesh_filter_suite = {
	.name = "xmesh_filter",
	.init = filter_init,
	.exit = filter_exit,
	.test_cases = xmesh_filter_cases,
};

kunit_test_suite(xmesh_filter_suite);
