// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh route table: destination node -> next hops.
 *
 * A route's active next hops are its usable ones (neighbor state up and
 * carrier up) with the lowest priority value present. The choice is made
 * per packet from the neighbors' current state, so when a neighbor goes
 * down its traffic moves to the remaining active next hops, or to the
 * next priority, at once, without waiting for userspace: fast reroute.
 *
 * A route is in the default table (tclass 0) or in one traffic class's
 * (Documentation/qos.md, "Traffic classes and their paths"): a packet of
 * class C takes the route to (dst, C) when there is one, else the
 * default route to dst, at its source and at every transit node.
 *
 * Writers hold xdev->lock; the packet path reads under RCU.
 */
#include <linux/slab.h>
#include "xmesh_priv.h"

/* The hash key: how struct xmesh_route lays out dst, tclass, key_pad. */
struct xmesh_route_key {
	u32 dst;
	u8 tclass;
	u8 pad[3];
};

static const struct rhashtable_params xmesh_route_params = {
	.key_len = sizeof(struct xmesh_route_key),
	.key_offset = offsetof(struct xmesh_route, dst),
	.head_offset = offsetof(struct xmesh_route, node),
	.automatic_shrinking = true,
};

int xmesh_routes_init(struct xmesh_dev *xdev)
{
	BUILD_BUG_ON(offsetof(struct xmesh_route, tclass) !=
		     offsetof(struct xmesh_route, dst) +
		     offsetof(struct xmesh_route_key, tclass));
	BUILD_BUG_ON(offsetof(struct xmesh_route, n_nexthops) !=
		     offsetof(struct xmesh_route, dst) +
		     sizeof(struct xmesh_route_key));
	INIT_LIST_HEAD(&xdev->route_list);
	xdev->n_routes = 0;
	xdev->n_class_routes = 0;
	return rhashtable_init(&xdev->routes, &xmesh_route_params);
}

void xmesh_routes_flush(struct xmesh_dev *xdev)
{
	struct xmesh_route *rt, *tmp;

	list_for_each_entry_safe(rt, tmp, &xdev->route_list, list)
		xmesh_route_remove(xdev, rt);
}

void xmesh_routes_uninit(struct xmesh_dev *xdev)
{
	xmesh_routes_flush(xdev);
	rhashtable_destroy(&xdev->routes);
}

/**
 * xmesh_route_lookup - the route a packet of class @tclass to @dst takes
 * @xdev: the device
 * @dst: destination node
 * @tclass: the packet's class as sent (xmesh_tclass_sent()); 0: none
 *
 * The class's route, else the default one. Without class routes on the
 * device (the common case) one lookup, as before classes.
 *
 * Context: RCU read side (the packet path).
 */
struct xmesh_route *xmesh_route_lookup(struct xmesh_dev *xdev, u32 dst,
				       u8 tclass)
{
	struct xmesh_route_key key = { .dst = dst, .tclass = tclass };
	struct xmesh_route *rt;

	if (tclass && READ_ONCE(xdev->n_class_routes)) {
		rt = rhashtable_lookup(&xdev->routes, &key,
				       xmesh_route_params);
		if (rt)
			return rt;
	}
	key.tclass = 0;
	return rhashtable_lookup(&xdev->routes, &key, xmesh_route_params);
}

/*
 * The route of exactly (@dst, @tclass), no fallback.
 * Context: xdev->lock held (see xmesh_neigh_lookup_id_locked).
 */
struct xmesh_route *xmesh_route_lookup_locked(struct xmesh_dev *xdev, u32 dst,
					      u8 tclass)
{
	struct xmesh_route_key key = { .dst = dst, .tclass = tclass };

	lockdep_assert_held(&xdev->lock);
	return rhashtable_lookup_fast(&xdev->routes, &key, xmesh_route_params);
}

struct xmesh_route *xmesh_route_alloc(u32 dst)
{
	struct xmesh_route *rt = kzalloc(sizeof(*rt), GFP_KERNEL);

	if (rt)
		rt->dst = dst;
	return rt;
}

void xmesh_route_free(struct xmesh_route *rt)
{
	kfree(rt);
}

/**
 * xmesh_route_insert - publish a route
 * @xdev: the device, its lock held
 * @rt: a route from xmesh_route_alloc(), owned by the table on success
 * @replace: replace a route to the same destination and class instead of
 *	failing
 *
 * Return: 0, -EEXIST, -ENOSPC (table full) or -ENOMEM.
 */
int xmesh_route_insert(struct xmesh_dev *xdev, struct xmesh_route *rt,
		       bool replace)
{
	struct xmesh_route *old;
	int err;

	lockdep_assert_held(&xdev->lock);

	old = xmesh_route_lookup_locked(xdev, rt->dst, rt->tclass);
	if (old) {
		if (!replace)
			return -EEXIST;
		err = rhashtable_replace_fast(&xdev->routes, &old->node,
					      &rt->node, xmesh_route_params);
		if (err)
			return err;
		list_replace(&old->list, &rt->list);
		kfree_rcu(old, rcu);
		return 0;
	}

	if (xdev->n_routes >= XMESH_MAX_ROUTES)
		return -ENOSPC;
	err = rhashtable_insert_fast(&xdev->routes, &rt->node,
				     xmesh_route_params);
	if (err)
		return err;
	list_add_tail(&rt->list, &xdev->route_list);
	xdev->n_routes++;
	if (rt->tclass)
		WRITE_ONCE(xdev->n_class_routes, xdev->n_class_routes + 1);
	return 0;
}

void xmesh_route_remove(struct xmesh_dev *xdev, struct xmesh_route *rt)
{
	lockdep_assert_held(&xdev->lock);

	rhashtable_remove_fast(&xdev->routes, &rt->node, xmesh_route_params);
	list_del(&rt->list);
	xdev->n_routes--;
	if (rt->tclass)
		WRITE_ONCE(xdev->n_class_routes, xdev->n_class_routes - 1);
	xmesh_genl_notify_route(xdev, rt, 0, true);
	kfree_rcu(rt, rcu);
}

/*
 * Bit i set: next hop i is active. @changed, if not NULL, is judged as if
 * its usability were @changed_usable, so a writer can compare a route's
 * active set before and after a neighbor changes state.
 */
static unsigned long xmesh_route_active_mask(const struct xmesh_route *rt,
					     const struct xmesh_neigh *changed,
					     bool changed_usable)
{
	unsigned long mask = 0;
	unsigned int best = UINT_MAX;
	int i;

	for (i = 0; i < rt->n_nexthops; i++) {
		const struct xmesh_nexthop *nh = &rt->nexthop[i];
		struct xmesh_neigh *n = READ_ONCE(nh->neigh);
		bool usable;

		if (!n)
			continue;
		usable = n == changed ? changed_usable : xmesh_neigh_usable(n);
		if (!usable || nh->priority > best)
			continue;
		if (nh->priority < best) {
			best = nh->priority;
			mask = 0;
		}
		mask |= BIT(i);
	}
	return mask;
}

/**
 * xmesh_route_select - the next hop for one packet
 * @rt: the route
 * @hash: the packet's flow hash, so a flow keeps to one path
 *
 * Each next hop is read once, so a neighbor deleted or replaced meanwhile
 * is either seen whole or not at all.
 *
 * Context: RCU read side.
 * Return: the neighbor to send to, or NULL when no next hop is usable.
 */
struct xmesh_neigh *xmesh_route_select(const struct xmesh_route *rt,
				       u32 hash)
{
	struct xmesh_neigh *active[XMESH_MAX_NEXTHOPS];
	unsigned int best = UINT_MAX, n = 0;
	int i;

	for (i = 0; i < rt->n_nexthops; i++) {
		struct xmesh_neigh *neigh = READ_ONCE(rt->nexthop[i].neigh);
		unsigned int priority = rt->nexthop[i].priority;

		if (!neigh || priority > best || !xmesh_neigh_usable(neigh))
			continue;
		if (priority < best) {
			best = priority;
			n = 0;
		}
		active[n++] = neigh;
	}
	return n ? active[reciprocal_scale(hash, n)] : NULL;
}

static bool xmesh_route_uses(const struct xmesh_route *rt,
			     const struct xmesh_neigh *neigh)
{
	int i;

	for (i = 0; i < rt->n_nexthops; i++)
		if (rt->nexthop[i].neigh == neigh)
			return true;
	return false;
}

/**
 * xmesh_routes_neigh_changing - account for a neighbor's usability change
 * @xdev: the device, its lock held
 * @neigh: the neighbor about to change
 * @usable: whether it will be usable
 *
 * Called before the change is published: notifies every route whose
 * active next hops change and counts the reroutes (a route that loses an
 * active next hop and still has another).
 */
void xmesh_routes_neigh_changing(struct xmesh_dev *xdev,
				 struct xmesh_neigh *neigh, bool usable)
{
	struct xmesh_route *rt;

	lockdep_assert_held(&xdev->lock);

	list_for_each_entry(rt, &xdev->route_list, list) {
		unsigned long before, after;

		if (!xmesh_route_uses(rt, neigh))
			continue;
		before = xmesh_route_active_mask(rt, neigh, !usable);
		after = xmesh_route_active_mask(rt, neigh, usable);
		if (before == after)
			continue;
		if (!usable && after)
			xmesh_count_process(xdev, XMESH_COUNTER_A_REROUTES);
		xmesh_genl_notify_route(xdev, rt, after, false);
	}
}

/* Point every next hop at @old to @new (NULL when @old is deleted). */
void xmesh_routes_repoint_neigh(struct xmesh_dev *xdev,
				struct xmesh_neigh *old,
				struct xmesh_neigh *new)
{
	struct xmesh_route *rt;
	int i;

	lockdep_assert_held(&xdev->lock);

	list_for_each_entry(rt, &xdev->route_list, list)
		for (i = 0; i < rt->n_nexthops; i++)
			if (rt->nexthop[i].neigh == old)
				WRITE_ONCE(rt->nexthop[i].neigh, new);
}

unsigned long xmesh_route_active(const struct xmesh_route *rt)
{
	return xmesh_route_active_mask(rt, NULL, false);
}
