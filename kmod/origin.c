// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh origin keys: the keys of end-to-end origin seals, per remote node.
 *
 * A per-hop seal (crypto.c) proves only which neighbor a frame came from:
 * a transit member can forward a frame that claims any source node. With
 * the device's origin switch on, the source node seals the inner packet
 * itself with a key it shares with the destination node only, and the
 * destination refuses DATA frames without a valid origin seal of their
 * header's source node (Documentation/wire-format.rst, "Origin seals").
 *
 * The keys are struct xmesh_key as a neighbor's, with the same rules
 * (key.c): one transmit key per node seals what this node originates for
 * it, up to XMESH_MAX_RX_KEYS receive keys open what it originated, picked
 * by the origin key id. Their slots hang off one struct xmesh_origin per
 * node, in a hash by node id: created under xdev->lock with the node's
 * first key, freed after a grace period with its last.
 */
#include <linux/slab.h>
#include "xmesh_priv.h"

static const struct rhashtable_params xmesh_origin_params = {
	.key_len = sizeof(u32),
	.key_offset = offsetof(struct xmesh_origin, node_id),
	.head_offset = offsetof(struct xmesh_origin, node),
	.automatic_shrinking = true,
};

int xmesh_origins_init(struct xmesh_dev *xdev)
{
	return rhashtable_init(&xdev->origins, &xmesh_origin_params);
}

/* Delete every origin key (and so every node entry); xdev->lock held. */
void xmesh_origins_uninit(struct xmesh_dev *xdev)
{
	struct xmesh_key *key, *tmp;

	list_for_each_entry_safe(key, tmp, &xdev->key_list, list)
		if (key->origin)
			xmesh_key_remove(xdev, key);
	rhashtable_destroy(&xdev->origins);
}

/* The origin keys of @node, or NULL; RCU read side. */
struct xmesh_origin *xmesh_origin_lookup(struct xmesh_dev *xdev, u32 node)
{
	return rhashtable_lookup(&xdev->origins, &node, xmesh_origin_params);
}

/* The origin keys of @node, or NULL; xdev->lock held. */
struct xmesh_origin *xmesh_origin_lookup_locked(struct xmesh_dev *xdev,
						u32 node)
{
	lockdep_assert_held(&xdev->lock);
	return rhashtable_lookup_fast(&xdev->origins, &node,
				      xmesh_origin_params);
}

/**
 * xmesh_origin_get - the origin entry of @node, created if it has none
 * @xdev: the device, its lock held
 * @node: the remote node
 *
 * Return: the entry, or NULL when out of memory.
 */
struct xmesh_origin *xmesh_origin_get(struct xmesh_dev *xdev, u32 node)
{
	struct xmesh_origin *o = xmesh_origin_lookup_locked(xdev, node);

	if (o)
		return o;
	o = kzalloc(sizeof(*o), GFP_KERNEL);
	if (!o)
		return NULL;
	o->node_id = node;
	if (rhashtable_insert_fast(&xdev->origins, &o->node,
				   xmesh_origin_params)) {
		kfree(o);
		return NULL;
	}
	return o;
}

/**
 * xmesh_origin_put - drop the entry of a node that has no key left
 * @xdev: the device, its lock held
 * @o: the entry; freed after a grace period when all its slots are empty
 */
void xmesh_origin_put(struct xmesh_dev *xdev, struct xmesh_origin *o)
{
	lockdep_assert_held(&xdev->lock);
	if (xmesh_key_tx(xdev, &o->keys) || xmesh_key_rx_count(xdev, &o->keys))
		return;
	rhashtable_remove_fast(&xdev->origins, &o->node, xmesh_origin_params);
	kfree_rcu(o, rcu);
}
