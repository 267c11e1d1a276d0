// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for xmesh routes: next-hop selection (the active set is the
 * usable next hops of the lowest priority), ECMP spreading by flow hash,
 * backups, deleted next hops; the route table and its per-class tables;
 * the reroute accounting of a neighbor change.
 *
 * Neighbors here are bare structures with a state and a carrier: selection
 * reads nothing else. The table cases give their routes a device that is
 * never registered, so notifications find no listener and send nothing.
 */
#include <kunit/test.h>
#include <linux/etherdevice.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include "../xmesh_priv.h"

static ulong route_seed = 0x786d657368525445ULL;
module_param(route_seed, ulong, 0444);
MODULE_PARM_DESC(route_seed, "KUnit: seed of the xmesh_route hash tests");

static struct xmesh_neigh *fake_neigh(struct kunit *test, u32 id, bool up,
				      bool carrier)
{
	struct xmesh_neigh *n = kunit_kzalloc(test, sizeof(*n), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, n);
	n->id = id;
	n->node = 100 + id;
	n->state = up ? XMESH_NEIGH_UP : XMESH_NEIGH_DOWN;
	n->carrier = carrier;
	return n;
}

static int res_init(struct kunit_resource *res, void *data)
{
	res->data = data;
	return 0;
}

static void route_res_free(struct kunit_resource *res)
{
	xmesh_route_free(res->data);
}

/* A route to @dst whose next hops are @neighs with @prios. */
static struct xmesh_route *fake_route(struct kunit *test, u32 dst,
				      struct xmesh_neigh **neighs,
				      const u8 *prios, int n)
{
	struct xmesh_route *rt = xmesh_route_alloc(dst);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, rt);
	if (!kunit_alloc_resource(test, res_init, route_res_free, GFP_KERNEL,
				  rt)) {
		xmesh_route_free(rt);
		KUNIT_ASSERT_FAILURE(test, "out of memory");
	}
	KUNIT_ASSERT_LE(test, n, XMESH_MAX_NEXTHOPS);
	KUNIT_EXPECT_EQ(test, rt->dst, dst);
	KUNIT_EXPECT_EQ(test, rt->n_nexthops, 0);
	for (i = 0; i < n; i++) {
		rt->nexthop[i].neigh = neighs[i];
		rt->nexthop[i].priority = prios[i];
	}
	rt->n_nexthops = n;
	return rt;
}

static void set_usable(struct xmesh_neigh *n, bool up, bool carrier)
{
	n->state = up ? XMESH_NEIGH_UP : XMESH_NEIGH_DOWN;
	n->carrier = carrier;
}

/* Index of @n among @rt's next hops, -1 when it is none of them. */
static int nh_index(const struct xmesh_route *rt, const struct xmesh_neigh *n)
{
	int i;

	for (i = 0; i < rt->n_nexthops; i++)
		if (n && rt->nexthop[i].neigh == n)
			return i;
	return -1;
}

/*
 * Select for @rounds random hashes: every answer must be a next hop in
 * @expect_mask, selecting again with the same hash must give the same
 * answer, and every member of the mask must get a fair share.
 */
static void check_spread(struct kunit *test, const struct xmesh_route *rt,
			 unsigned long expect_mask, struct rnd_state *rnd,
			 unsigned int rounds)
{
	unsigned int hits[XMESH_MAX_NEXTHOPS] = { };
	unsigned int r, members = hweight_long(expect_mask);
	int i;

	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), expect_mask);
	for (r = 0; r < rounds; r++) {
		u32 hash = prandom_u32_state(rnd);
		struct xmesh_neigh *n = xmesh_route_select(rt, hash);

		i = nh_index(rt, n);
		if (i < 0 || !(expect_mask & BIT(i))) {
			KUNIT_FAIL(test, "hash %#x selected next hop %d, active %#lx",
				   hash, i, expect_mask);
			return;
		}
		hits[i]++;
		KUNIT_ASSERT_PTR_EQ(test, xmesh_route_select(rt, hash), n);
	}
	for (i = 0; i < XMESH_MAX_NEXTHOPS; i++) {
		if (!(expect_mask & BIT(i))) {
			KUNIT_EXPECT_EQ(test, hits[i], 0);
			continue;
		}
		/* Uniform hashes: each member near rounds / members. */
		KUNIT_EXPECT_GT_MSG(test, hits[i], rounds / members * 3 / 4,
				    "next hop %d of %u", i, members);
		KUNIT_EXPECT_LT_MSG(test, hits[i], rounds / members * 5 / 4,
				    "next hop %d of %u", i, members);
	}
}

static void xmesh_route_single(struct kunit *test)
{
	struct xmesh_neigh *a = fake_neigh(test, 1, true, true);
	static const u8 prio[] = { 0 };
	struct xmesh_route *rt = fake_route(test, 42, &a, prio, 1);
	u32 hash;

	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), 1UL);
	for (hash = 0; hash < 1000; hash++)
		KUNIT_EXPECT_PTR_EQ(test, xmesh_route_select(rt, hash * 4294967), a);
	KUNIT_EXPECT_PTR_EQ(test, xmesh_route_select(rt, 0), a);
	KUNIT_EXPECT_PTR_EQ(test, xmesh_route_select(rt, U32_MAX), a);

	/* State down, carrier down, both: no next hop. */
	set_usable(a, false, true);
	KUNIT_EXPECT_NULL(test, xmesh_route_select(rt, 7));
	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), 0UL);
	set_usable(a, true, false);
	KUNIT_EXPECT_NULL(test, xmesh_route_select(rt, 7));
	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), 0UL);
	set_usable(a, false, false);
	KUNIT_EXPECT_NULL(test, xmesh_route_select(rt, 7));
	/* A state that is not XMESH_NEIGH_UP is not up. */
	a->carrier = true;
	a->state = XMESH_NEIGH_UP + 1;
	KUNIT_EXPECT_NULL(test, xmesh_route_select(rt, 7));

	set_usable(a, true, true);
	KUNIT_EXPECT_PTR_EQ(test, xmesh_route_select(rt, 7), a);
}

static void xmesh_route_empty(struct kunit *test)
{
	struct xmesh_route *rt = fake_route(test, 1, NULL, NULL, 0);

	KUNIT_EXPECT_NULL(test, xmesh_route_select(rt, 0));
	KUNIT_EXPECT_NULL(test, xmesh_route_select(rt, U32_MAX));
	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), 0UL);
}

static void xmesh_route_ecmp(struct kunit *test)
{
	struct xmesh_neigh *nh[XMESH_MAX_NEXTHOPS];
	u8 prio[XMESH_MAX_NEXTHOPS] = { };
	struct xmesh_route *rt;
	struct rnd_state rnd;
	int n, i;

	kunit_info(test, "seed %lu (xmesh.route_seed=N to change)\n", route_seed);
	prandom_seed_state(&rnd, route_seed);

	/* Every ECMP width, all next hops up. */
	for (n = 1; n <= XMESH_MAX_NEXTHOPS; n++) {
		for (i = 0; i < n; i++)
			nh[i] = fake_neigh(test, i + 1, true, true);
		rt = fake_route(test, 7, nh, prio, n);
		check_spread(test, rt, GENMASK(n - 1, 0), &rnd, 20000);
	}

	/* Members drop out and come back: the survivors share the load. */
	for (i = 0; i < XMESH_MAX_NEXTHOPS; i++)
		nh[i] = fake_neigh(test, i + 1, true, true);
	rt = fake_route(test, 8, nh, prio, XMESH_MAX_NEXTHOPS);
	set_usable(nh[0], false, true);
	set_usable(nh[5], true, false);
	check_spread(test, rt, 0xde, &rnd, 20000);
	set_usable(nh[0], true, true);
	check_spread(test, rt, 0xdf, &rnd, 20000);
	for (i = 0; i < XMESH_MAX_NEXTHOPS - 1; i++)
		set_usable(nh[i], false, false);
	check_spread(test, rt, 0x80, &rnd, 1000);
}

/* The same hash picks the same next hop, also across route objects. */
static void xmesh_route_deterministic(struct kunit *test)
{
	struct xmesh_neigh *nh[4];
	static const u8 prio[4] = { 1, 1, 1, 1 };
	struct xmesh_route *rt1, *rt2;
	struct rnd_state rnd;
	int i, r;

	prandom_seed_state(&rnd, route_seed + 1);
	for (i = 0; i < 4; i++)
		nh[i] = fake_neigh(test, i + 1, true, true);
	rt1 = fake_route(test, 9, nh, prio, 4);
	rt2 = fake_route(test, 10, nh, prio, 4);
	for (r = 0; r < 5000; r++) {
		u32 hash = prandom_u32_state(&rnd);
		struct xmesh_neigh *n = xmesh_route_select(rt1, hash);

		KUNIT_ASSERT_NOT_NULL(test, n);
		KUNIT_ASSERT_PTR_EQ(test, xmesh_route_select(rt1, hash), n);
		KUNIT_ASSERT_PTR_EQ(test, xmesh_route_select(rt2, hash), n);
	}
}

static void xmesh_route_backup(struct kunit *test)
{
	struct xmesh_neigh *nh[4];
	static const u8 prio[4] = { 0, 0, 1, 2 };
	struct xmesh_route *rt;
	struct rnd_state rnd;
	int i;

	prandom_seed_state(&rnd, route_seed + 2);
	for (i = 0; i < 4; i++)
		nh[i] = fake_neigh(test, i + 1, true, true);
	rt = fake_route(test, 11, nh, prio, 4);

	/* Backups idle while any primary is usable. */
	check_spread(test, rt, 0x3, &rnd, 10000);
	set_usable(nh[0], false, true);
	check_spread(test, rt, 0x2, &rnd, 2000);
	set_usable(nh[0], true, true);
	set_usable(nh[1], true, false);
	check_spread(test, rt, 0x1, &rnd, 2000);

	/* Every primary unusable (one down, one without carrier). */
	set_usable(nh[0], false, true);
	check_spread(test, rt, 0x4, &rnd, 2000);
	/* The first backup too: the next priority. */
	set_usable(nh[2], false, false);
	check_spread(test, rt, 0x8, &rnd, 2000);
	/* Nothing left. */
	set_usable(nh[3], true, false);
	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), 0UL);
	KUNIT_EXPECT_NULL(test, xmesh_route_select(rt, 0));
	KUNIT_EXPECT_NULL(test, xmesh_route_select(rt, 0x80000000));

	/* Recovery is immediate, in priority order. */
	set_usable(nh[2], true, true);
	check_spread(test, rt, 0x4, &rnd, 2000);
	set_usable(nh[1], true, true);
	check_spread(test, rt, 0x2, &rnd, 2000);
}

/* Priorities are values, not positions: the array order does not matter. */
static void xmesh_route_priority_order(struct kunit *test)
{
	struct xmesh_neigh *nh[6];
	static const u8 prio[6] = { 5, 3, 7, 3, 255, 5 };
	struct xmesh_route *rt;
	struct rnd_state rnd;
	int i;

	prandom_seed_state(&rnd, route_seed + 3);
	for (i = 0; i < 6; i++)
		nh[i] = fake_neigh(test, i + 1, true, true);
	rt = fake_route(test, 12, nh, prio, 6);

	check_spread(test, rt, BIT(1) | BIT(3), &rnd, 10000);
	set_usable(nh[3], false, false);
	check_spread(test, rt, BIT(1), &rnd, 1000);
	set_usable(nh[1], false, true);
	check_spread(test, rt, BIT(0) | BIT(5), &rnd, 10000);
	set_usable(nh[5], true, false);
	check_spread(test, rt, BIT(0), &rnd, 1000);
	set_usable(nh[0], false, true);
	check_spread(test, rt, BIT(2), &rnd, 1000);
	set_usable(nh[2], false, true);
	check_spread(test, rt, BIT(4), &rnd, 1000);
	/* A lower priority coming back takes over from 255 at once. */
	set_usable(nh[5], true, true);
	check_spread(test, rt, BIT(5), &rnd, 1000);
	set_usable(nh[3], true, true);
	check_spread(test, rt, BIT(3), &rnd, 1000);
}

/* A deleted neighbor leaves a NULL next hop behind until the route goes. */
static void xmesh_route_deleted_nexthop(struct kunit *test)
{
	struct xmesh_neigh *nh[4];
	static const u8 prio[4] = { 0, 0, 0, 1 };
	struct xmesh_route *rt;
	struct rnd_state rnd;
	int i;

	prandom_seed_state(&rnd, route_seed + 4);
	for (i = 0; i < 4; i++)
		nh[i] = fake_neigh(test, i + 1, true, true);
	rt = fake_route(test, 13, nh, prio, 4);

	WRITE_ONCE(rt->nexthop[1].neigh, NULL);
	check_spread(test, rt, BIT(0) | BIT(2), &rnd, 10000);
	WRITE_ONCE(rt->nexthop[0].neigh, NULL);
	check_spread(test, rt, BIT(2), &rnd, 1000);
	/* The deleted ones do not hold the backup back. */
	WRITE_ONCE(rt->nexthop[2].neigh, NULL);
	check_spread(test, rt, BIT(3), &rnd, 1000);
	WRITE_ONCE(rt->nexthop[3].neigh, NULL);
	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), 0UL);
	KUNIT_EXPECT_NULL(test, xmesh_route_select(rt, 12345));

	/* Repointed to a new neighbor (replace): used again. */
	WRITE_ONCE(rt->nexthop[1].neigh, nh[1]);
	check_spread(test, rt, BIT(1), &rnd, 1000);
}

/* xmesh_route_active(): the mask, bit i for next hop i. */
static void xmesh_route_active_mask(struct kunit *test)
{
	struct xmesh_neigh *nh[XMESH_MAX_NEXTHOPS];
	static const u8 prio[XMESH_MAX_NEXTHOPS] = { 2, 1, 2, 1, 0, 1, 0, 3 };
	struct xmesh_route *rt;
	int i;

	for (i = 0; i < XMESH_MAX_NEXTHOPS; i++)
		nh[i] = fake_neigh(test, i + 1, true, true);
	rt = fake_route(test, 14, nh, prio, XMESH_MAX_NEXTHOPS);

	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), BIT(4) | BIT(6));
	set_usable(nh[4], false, true);
	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), BIT(6));
	set_usable(nh[6], true, false);
	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), BIT(1) | BIT(3) | BIT(5));
	set_usable(nh[1], false, false);
	set_usable(nh[3], false, false);
	set_usable(nh[5], false, false);
	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), BIT(0) | BIT(2));
	set_usable(nh[0], false, false);
	set_usable(nh[2], false, false);
	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), BIT(7));
	set_usable(nh[7], false, false);
	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), 0UL);

	/* Next hops past n_nexthops are not part of the route. */
	for (i = 0; i < XMESH_MAX_NEXTHOPS; i++)
		set_usable(nh[i], true, true);
	rt->n_nexthops = 4;
	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), BIT(1) | BIT(3));
	rt->n_nexthops = 0;
	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt), 0UL);
}

/*
 * A device for the table functions: an xmesh_dev in an unregistered
 * net_device, with its lock, counters and route table. Notifications find
 * no listener in its namespace and send nothing.
 */
struct xdev_ctx {
	struct xmesh_dev *xdev;
	bool routes_init;
};

static void xdev_res_free(struct kunit_resource *res)
{
	struct xdev_ctx *ctx = res->data;
	struct xmesh_dev *xdev = ctx->xdev;

	if (ctx->routes_init) {
		mutex_lock(&xdev->lock);
		xmesh_routes_uninit(xdev);
		mutex_unlock(&xdev->lock);
		/* The routes are freed after a grace period. */
		rcu_barrier();
	}
	free_percpu(xdev->stats);
	free_netdev(xdev->dev);
}

static struct xmesh_dev *fake_xdev(struct kunit *test)
{
	struct xdev_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	struct net_device *dev;
	struct xmesh_dev *xdev;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	dev = alloc_netdev(sizeof(*xdev), "xmt%d", NET_NAME_UNKNOWN,
			   ether_setup);
	KUNIT_ASSERT_NOT_NULL(test, dev);
	xdev = netdev_priv(dev);
	xdev->dev = dev;
	mutex_init(&xdev->lock);
	xdev->stats = alloc_percpu(struct xmesh_pcpu_stats);
	ctx->xdev = xdev;
	if (!kunit_alloc_resource(test, res_init, xdev_res_free, GFP_KERNEL,
				  ctx)) {
		free_percpu(xdev->stats);
		free_netdev(dev);
		KUNIT_ASSERT_FAILURE(test, "out of memory");
	}
	KUNIT_ASSERT_NOT_NULL(test, xdev->stats);
	KUNIT_ASSERT_EQ(test, xmesh_routes_init(xdev), 0);
	ctx->routes_init = true;
	return xdev;
}

static struct xmesh_route *lookup_class(struct xmesh_dev *xdev, u32 dst,
					u8 tclass)
{
	struct xmesh_route *rt;

	rcu_read_lock();
	rt = xmesh_route_lookup(xdev, dst, tclass);
	rcu_read_unlock();
	return rt;
}

static struct xmesh_route *lookup(struct xmesh_dev *xdev, u32 dst)
{
	return lookup_class(xdev, dst, 0);
}

/* Insert, -EEXIST, replace, remove: the table keeps one route per dst. */
static void xmesh_route_table(struct kunit *test)
{
	struct xmesh_dev *xdev = fake_xdev(test);
	struct xmesh_neigh *a = fake_neigh(test, 1, true, true);
	struct xmesh_neigh *b = fake_neigh(test, 2, true, true);
	struct xmesh_route *rt1, *rt1b, *rt2;

	rt1 = xmesh_route_alloc(1);
	rt1b = xmesh_route_alloc(1);
	rt2 = xmesh_route_alloc(2);
	if (!rt1 || !rt1b || !rt2) {
		xmesh_route_free(rt1);
		xmesh_route_free(rt1b);
		xmesh_route_free(rt2);
		KUNIT_ASSERT_FAILURE(test, "out of memory");
	}
	rt1->nexthop[0].neigh = a;
	rt1->n_nexthops = 1;
	rt1b->nexthop[0].neigh = b;
	rt1b->n_nexthops = 1;
	rt2->nexthop[0].neigh = b;
	rt2->n_nexthops = 1;

	mutex_lock(&xdev->lock);
	KUNIT_EXPECT_EQ(test, xmesh_route_insert(xdev, rt1, false), 0);
	KUNIT_EXPECT_EQ(test, xmesh_route_insert(xdev, rt2, true), 0);
	KUNIT_EXPECT_EQ(test, xdev->n_routes, 2U);
	KUNIT_EXPECT_EQ(test, xmesh_route_insert(xdev, rt1b, false), -EEXIST);
	KUNIT_EXPECT_EQ(test, xdev->n_routes, 2U);
	mutex_unlock(&xdev->lock);
	KUNIT_EXPECT_PTR_EQ(test, lookup(xdev, 1), rt1);
	KUNIT_EXPECT_PTR_EQ(test, lookup(xdev, 2), rt2);
	KUNIT_EXPECT_NULL(test, lookup(xdev, 3));
	KUNIT_EXPECT_NULL(test, lookup(xdev, 0));

	/* Replace: the new route answers, the old one goes after a grace
	 * period, the count stays.
	 */
	mutex_lock(&xdev->lock);
	KUNIT_EXPECT_EQ(test, xmesh_route_insert(xdev, rt1b, true), 0);
	KUNIT_EXPECT_EQ(test, xdev->n_routes, 2U);
	mutex_unlock(&xdev->lock);
	KUNIT_EXPECT_PTR_EQ(test, lookup(xdev, 1), rt1b);
	KUNIT_EXPECT_PTR_EQ(test, xmesh_route_select(lookup(xdev, 1), 0), b);

	mutex_lock(&xdev->lock);
	xmesh_route_remove(xdev, rt2);
	KUNIT_EXPECT_EQ(test, xdev->n_routes, 1U);
	mutex_unlock(&xdev->lock);
	KUNIT_EXPECT_NULL(test, lookup(xdev, 2));
	KUNIT_EXPECT_PTR_EQ(test, lookup(xdev, 1), rt1b);
	/* rt1b is freed with the table. */
}

/* A route in @tclass's table (0: the default one) through @via. */
static struct xmesh_route *class_route(struct kunit *test, u32 dst, u8 tclass,
				       struct xmesh_neigh *via)
{
	struct xmesh_route *rt = xmesh_route_alloc(dst);

	KUNIT_ASSERT_NOT_NULL(test, rt);
	rt->tclass = tclass;
	rt->nexthop[0].neigh = via;
	rt->n_nexthops = 1;
	return rt;
}

/*
 * Per-class tables: (dst, class) first, then (dst, default); a class
 * route alone answers nothing for other classes or the default; keys of
 * one dst in several classes coexist, replace and go independently.
 */
static void xmesh_route_class_lookup(struct kunit *test)
{
	struct xmesh_dev *xdev = fake_xdev(test);
	struct xmesh_neigh *a = fake_neigh(test, 1, true, true);
	struct xmesh_neigh *b = fake_neigh(test, 2, true, true);
	struct xmesh_neigh *c = fake_neigh(test, 3, true, true);
	struct xmesh_route *def1, *bulk1, *rt1, *rt1b, *bulk2, *dup;

	def1 = class_route(test, 1, 0, a);
	bulk1 = class_route(test, 1, XMESH_TC_BULK, b);
	rt1 = class_route(test, 1, XMESH_TC_REALTIME, c);
	rt1b = class_route(test, 1, XMESH_TC_REALTIME, a);
	bulk2 = class_route(test, 2, XMESH_TC_BULK, b);
	dup = class_route(test, 1, XMESH_TC_BULK, c);

	mutex_lock(&xdev->lock);
	/* A class route alone: only its class finds it. */
	KUNIT_EXPECT_EQ(test, xmesh_route_insert(xdev, bulk2, false), 0);
	KUNIT_EXPECT_EQ(test, xdev->n_class_routes, 1U);
	mutex_unlock(&xdev->lock);
	KUNIT_EXPECT_PTR_EQ(test, lookup_class(xdev, 2, XMESH_TC_BULK), bulk2);
	KUNIT_EXPECT_NULL(test, lookup_class(xdev, 2, XMESH_TC_REALTIME));
	KUNIT_EXPECT_NULL(test, lookup(xdev, 2));

	/* Three tables for dst 1: each class its own, others the default. */
	mutex_lock(&xdev->lock);
	KUNIT_EXPECT_EQ(test, xmesh_route_insert(xdev, def1, false), 0);
	KUNIT_EXPECT_EQ(test, xmesh_route_insert(xdev, bulk1, false), 0);
	KUNIT_EXPECT_EQ(test, xmesh_route_insert(xdev, rt1, false), 0);
	KUNIT_EXPECT_EQ(test, xmesh_route_insert(xdev, dup, false), -EEXIST);
	KUNIT_EXPECT_EQ(test, xdev->n_routes, 4U);
	KUNIT_EXPECT_EQ(test, xdev->n_class_routes, 3U);
	KUNIT_EXPECT_PTR_EQ(test,
			    xmesh_route_lookup_locked(xdev, 1, XMESH_TC_BULK),
			    bulk1);
	KUNIT_EXPECT_NULL(test, xmesh_route_lookup_locked(xdev, 1,
							  XMESH_TC_INTERACTIVE));
	mutex_unlock(&xdev->lock);
	xmesh_route_free(dup);
	KUNIT_EXPECT_PTR_EQ(test, lookup(xdev, 1), def1);
	KUNIT_EXPECT_PTR_EQ(test, lookup_class(xdev, 1, XMESH_TC_BULK), bulk1);
	KUNIT_EXPECT_PTR_EQ(test, lookup_class(xdev, 1, XMESH_TC_REALTIME),
			    rt1);
	KUNIT_EXPECT_PTR_EQ(test, lookup_class(xdev, 1, XMESH_TC_INTERACTIVE),
			    def1);
	KUNIT_EXPECT_PTR_EQ(test,
			    lookup_class(xdev, 1, XMESH_TC_NETWORK_CONTROL),
			    def1);
	KUNIT_EXPECT_PTR_EQ(test, xmesh_route_select(lookup_class(xdev, 1,
					XMESH_TC_REALTIME), 7), c);

	/* Replacing the class route leaves the others. */
	mutex_lock(&xdev->lock);
	KUNIT_EXPECT_EQ(test, xmesh_route_insert(xdev, rt1b, true), 0);
	KUNIT_EXPECT_EQ(test, xdev->n_routes, 4U);
	KUNIT_EXPECT_EQ(test, xdev->n_class_routes, 3U);
	mutex_unlock(&xdev->lock);
	KUNIT_EXPECT_PTR_EQ(test, lookup_class(xdev, 1, XMESH_TC_REALTIME),
			    rt1b);
	KUNIT_EXPECT_PTR_EQ(test, lookup(xdev, 1), def1);

	/* Removing the default keeps the classes; removing a class falls
	 * back to nothing for that class now.
	 */
	mutex_lock(&xdev->lock);
	xmesh_route_remove(xdev, def1);
	KUNIT_EXPECT_EQ(test, xdev->n_class_routes, 3U);
	mutex_unlock(&xdev->lock);
	KUNIT_EXPECT_NULL(test, lookup(xdev, 1));
	KUNIT_EXPECT_NULL(test, lookup_class(xdev, 1, XMESH_TC_INTERACTIVE));
	KUNIT_EXPECT_PTR_EQ(test, lookup_class(xdev, 1, XMESH_TC_BULK), bulk1);
	mutex_lock(&xdev->lock);
	xmesh_route_remove(xdev, bulk1);
	xmesh_route_remove(xdev, rt1b);
	xmesh_route_remove(xdev, bulk2);
	KUNIT_EXPECT_EQ(test, xdev->n_class_routes, 0U);
	KUNIT_EXPECT_EQ(test, xdev->n_routes, 0U);
	mutex_unlock(&xdev->lock);
	KUNIT_EXPECT_NULL(test, lookup_class(xdev, 1, XMESH_TC_BULK));
}

/*
 * xmesh_routes_neigh_changing(): a reroute is counted when a route loses
 * an active next hop and still has one to move to; nothing is counted for
 * a next hop that was not active, or when the last one goes.
 */
static u64 reroutes(struct xmesh_dev *xdev)
{
	u64 counters[XMESH_COUNTER_A_MAX + 1], drops[XMESH_DROP_A_MAX + 1];

	xmesh_stats_read(xdev, counters, drops);
	return counters[XMESH_COUNTER_A_REROUTES];
}

/* Change @n's usability as neigh.c does: announce, then publish. */
static void neigh_change(struct xmesh_dev *xdev, struct xmesh_neigh *n,
			 bool usable)
{
	mutex_lock(&xdev->lock);
	if (xmesh_neigh_usable(n) != usable)
		xmesh_routes_neigh_changing(xdev, n, usable);
	set_usable(n, usable, true);
	mutex_unlock(&xdev->lock);
}

static void xmesh_route_reroute_count(struct kunit *test)
{
	struct xmesh_dev *xdev = fake_xdev(test);
	static const u8 prio[3] = { 0, 0, 1 };
	struct xmesh_route *rt1, *rt2;
	struct xmesh_neigh *nh[3];
	int i;

	for (i = 0; i < 3; i++)
		nh[i] = fake_neigh(test, i + 1, true, true);
	/* rt1: ECMP over nh0 and nh1, nh2 as backup; rt2: nh2 alone. */
	rt1 = xmesh_route_alloc(1);
	rt2 = xmesh_route_alloc(2);
	if (!rt1 || !rt2) {
		xmesh_route_free(rt1);
		xmesh_route_free(rt2);
		KUNIT_ASSERT_FAILURE(test, "out of memory");
	}
	for (i = 0; i < 3; i++) {
		rt1->nexthop[i].neigh = nh[i];
		rt1->nexthop[i].priority = prio[i];
	}
	rt1->n_nexthops = 3;
	rt2->nexthop[0].neigh = nh[2];
	rt2->n_nexthops = 1;
	mutex_lock(&xdev->lock);
	KUNIT_EXPECT_EQ(test, xmesh_route_insert(xdev, rt1, false), 0);
	KUNIT_EXPECT_EQ(test, xmesh_route_insert(xdev, rt2, false), 0);
	mutex_unlock(&xdev->lock);
	KUNIT_EXPECT_EQ(test, reroutes(xdev), 0ULL);

	/* The backup of rt1, sole next hop of rt2: not active in rt1, and
	 * rt2 has nowhere to go: no reroute.
	 */
	neigh_change(xdev, nh[2], false);
	KUNIT_EXPECT_EQ(test, reroutes(xdev), 0ULL);
	neigh_change(xdev, nh[2], true);
	KUNIT_EXPECT_EQ(test, reroutes(xdev), 0ULL);

	/* An ECMP member goes: rt1 moves to the other. */
	neigh_change(xdev, nh[0], false);
	KUNIT_EXPECT_EQ(test, reroutes(xdev), 1ULL);
	/* The last primary goes: rt1 moves to the backup. */
	neigh_change(xdev, nh[1], false);
	KUNIT_EXPECT_EQ(test, reroutes(xdev), 2ULL);
	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt1), BIT(2));
	/* The backup goes: rt1 and rt2 have nothing left, no reroute. */
	neigh_change(xdev, nh[2], false);
	KUNIT_EXPECT_EQ(test, reroutes(xdev), 2ULL);
	KUNIT_EXPECT_NULL(test, xmesh_route_select(rt1, 1));
	KUNIT_EXPECT_NULL(test, xmesh_route_select(rt2, 1));
	/* Coming back is no reroute either. */
	neigh_change(xdev, nh[2], true);
	neigh_change(xdev, nh[1], true);
	neigh_change(xdev, nh[0], true);
	KUNIT_EXPECT_EQ(test, reroutes(xdev), 2ULL);
	KUNIT_EXPECT_EQ(test, xmesh_route_active(rt1), BIT(0) | BIT(1));
}

static struct kunit_case xmesh_route_cases[] = {
	KUNIT_CASE(xmesh_route_single),
	KUNIT_CASE(xmesh_route_empty),
	KUNIT_CASE(xmesh_route_ecmp),
	KUNIT_CASE(xmesh_route_deterministic),
	KUNIT_CASE(xmesh_route_backup),
	KUNIT_CASE(xmesh_route_priority_order),
	KUNIT_CASE(xmesh_route_deleted_nexthop),
	KUNIT_CASE(xmesh_route_active_mask),
	KUNIT_CASE(xmesh_route_table),
	KUNIT_CASE(xmesh_route_class_lookup),
	KUNIT_CASE(xmesh_route_reroute_count),
	{}
};

static struct kunit_suite xmesh_route_suite = {
	.name = "xmesh_route",
	.test_cases = xmesh_route_cases,
};

kunit_test_suite(xmesh_route_suite);
