// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh zones: the node table (node id -> zone and roles), the zone pair
 * table ((source zone, destination zone) -> allow or deny), and what the
 * packet path does with them (Documentation/filter.md).
 *
 * Every data frame delivered to this node or forwarded by it is checked
 * against the zone pair of its source node and its destination node (this
 * node when delivered); a delivered packet also carries its source's zone
 * and roles in skb->mark, under the device's mark mask, so nftables rules
 * can match them. The source node is only believed when the frame is
 * authenticated (and, delivered, its inner source is one of that node's
 * addresses: receive.c checks it first); otherwise it is zone 0, no roles.
 *
 * Locking: both tables are rhashtables of immutable entries (struct
 * xmesh_attr), replaced whole, plus a list for dumps. Writers hold
 * xdev->lock (netlink requests, device teardown); the packet path reads
 * under RCU, and reads the scalar settings (mark mask, default action,
 * the "active" shortcut) with READ_ONCE. A replaced or removed entry is
 * freed after a grace period.
 */
#include <linux/slab.h>
#include "xmesh_priv.h"

static const struct rhashtable_params xmesh_attr_params = {
	.key_len = sizeof(u32),
	.key_offset = offsetof(struct xmesh_attr, key),
	.head_offset = offsetof(struct xmesh_attr, node),
	.automatic_shrinking = true,
};

static int xmesh_attr_table_init(struct xmesh_attr_table *t)
{
	INIT_LIST_HEAD(&t->list);
	t->count = 0;
	return rhashtable_init(&t->hash, &xmesh_attr_params);
}

int xmesh_filter_init(struct xmesh_dev *xdev)
{
	int err;

	err = xmesh_attr_table_init(&xdev->filter.nodes);
	if (err)
		return err;
	err = xmesh_attr_table_init(&xdev->filter.zone_pairs);
	if (err)
		rhashtable_destroy(&xdev->filter.nodes.hash);
	return err;
}

void xmesh_filter_uninit(struct xmesh_dev *xdev)
{
	xmesh_attr_flush(xdev, &xdev->filter.nodes);
	xmesh_attr_flush(xdev, &xdev->filter.zone_pairs);
	rhashtable_destroy(&xdev->filter.nodes.hash);
	rhashtable_destroy(&xdev->filter.zone_pairs.hash);
}

/* Whether the filter can change or drop a packet; under xdev->lock. */
static void xmesh_filter_update_active(struct xmesh_dev *xdev)
{
	struct xmesh_filter *f = &xdev->filter;

	WRITE_ONCE(f->active, f->mark_mask || f->zone_pairs.count ||
			      f->zone_default != XMESH_ZONE_ALLOW);
}

void xmesh_filter_set(struct xmesh_dev *xdev, u32 mark_mask, u8 zone_default)
{
	lockdep_assert_held(&xdev->lock);
	WRITE_ONCE(xdev->filter.mark_mask, mark_mask);
	WRITE_ONCE(xdev->filter.zone_default, zone_default);
	xmesh_filter_update_active(xdev);
}

struct xmesh_attr *xmesh_attr_alloc(u32 key, u32 value)
{
	struct xmesh_attr *a = kzalloc(sizeof(*a), GFP_KERNEL);

	if (a) {
		a->key = key;
		a->value = value;
	}
	return a;
}

/* Context: RCU read side, or xdev->lock held (writers). */
struct xmesh_attr *xmesh_attr_find(struct xmesh_attr_table *t, u32 key)
{
	return rhashtable_lookup_fast(&t->hash, &key, xmesh_attr_params);
}

/**
 * xmesh_attr_insert - publish an entry
 * @xdev: the device, its lock held
 * @t: one of its tables
 * @a: an entry from xmesh_attr_alloc(), owned by the table on success
 * @replace: replace the entry of the same key instead of failing
 *
 * The caller checks the table's limit.
 *
 * Return: 0, -EEXIST or -ENOMEM.
 */
int xmesh_attr_insert(struct xmesh_dev *xdev, struct xmesh_attr_table *t,
		      struct xmesh_attr *a, bool replace)
{
	struct xmesh_attr *old;
	int err;

	lockdep_assert_held(&xdev->lock);
	old = xmesh_attr_find(t, a->key);
	if (old) {
		if (!replace)
			return -EEXIST;
		err = rhashtable_replace_fast(&t->hash, &old->node, &a->node,
					      xmesh_attr_params);
		if (err)
			return err;
		list_replace(&old->list, &a->list);
		kfree_rcu(old, rcu);
		return 0;
	}
	err = rhashtable_insert_fast(&t->hash, &a->node, xmesh_attr_params);
	if (err)
		return err;
	list_add_tail(&a->list, &t->list);
	WRITE_ONCE(t->count, t->count + 1);	/* read locklessly */
	xmesh_filter_update_active(xdev);
	return 0;
}

void xmesh_attr_remove(struct xmesh_dev *xdev, struct xmesh_attr_table *t,
		       struct xmesh_attr *a)
{
	lockdep_assert_held(&xdev->lock);
	rhashtable_remove_fast(&t->hash, &a->node, xmesh_attr_params);
	list_del(&a->list);
	WRITE_ONCE(t->count, t->count - 1);
	xmesh_filter_update_active(xdev);
	kfree_rcu(a, rcu);
}

void xmesh_attr_flush(struct xmesh_dev *xdev, struct xmesh_attr_table *t)
{
	struct xmesh_attr *a, *tmp;

	list_for_each_entry_safe(a, tmp, &t->list, list)
		xmesh_attr_remove(xdev, t, a);
}

/**
 * xmesh_filter_mark - skb->mark of a delivered packet
 * @mark: the packet's mark so far
 * @mask: the device's mark mask
 * @attrs: its source's zone and roles, xmesh_node_attrs_value()
 *
 * Return: @mark with the bits of @mask replaced by those of @attrs.
 */
u32 xmesh_filter_mark(u32 mark, u32 mask, u32 attrs)
{
	return (mark & ~mask) | (attrs & mask);
}

/* The zone and roles of @node, xmesh_node_attrs_value(); RCU read side. */
static u32 xmesh_node_attrs(struct xmesh_dev *xdev, u32 node)
{
	struct xmesh_attr *a = xmesh_attr_find(&xdev->filter.nodes, node);

	return a ? a->value : 0;
}

static u16 xmesh_attrs_zone(u32 attrs)
{
	return attrs >> XMESH_MARK_ZONE_SHIFT;
}

/* Whether frames may go from zone @from to zone @to; RCU read side. */
bool xmesh_zone_allowed(struct xmesh_dev *xdev, u16 from, u16 to)
{
	struct xmesh_attr *a = NULL;
	u8 action;

	if (READ_ONCE(xdev->filter.zone_pairs.count))
		a = xmesh_attr_find(&xdev->filter.zone_pairs,
				    xmesh_zone_pair_key(from, to));
	action = a ? a->value : READ_ONCE(xdev->filter.zone_default);
	return action == XMESH_ZONE_ALLOW;
}

/**
 * xmesh_filter_check - the zone pair decision on a data frame
 * @xdev: the device
 * @src: the frame's source node
 * @dst: its destination node (this node's id when delivered)
 * @authenticated: whether @src can be believed (the frame was sealed)
 * @src_attrs: set to the source's zone and roles (0 when unknown)
 *
 * Context: RCU read side (the packet path).
 * Return: 0, or XMESH_DROP_A_ZONE_DENIED.
 */
int xmesh_filter_check(struct xmesh_dev *xdev, u32 src, u32 dst,
		       bool authenticated, u32 *src_attrs)
{
	u32 attrs;

	*src_attrs = 0;
	if (likely(!READ_ONCE(xdev->filter.active)))
		return 0;
	attrs = authenticated ? xmesh_node_attrs(xdev, src) : 0;
	*src_attrs = attrs;
	if (!xmesh_zone_allowed(xdev, xmesh_attrs_zone(attrs),
				xmesh_attrs_zone(xmesh_node_attrs(xdev, dst))))
		return XMESH_DROP_A_ZONE_DENIED;
	return 0;
}
