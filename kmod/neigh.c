// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh neighbors: the adjacencies a node sends to and accepts frames from.
 *
 * A neighbor is found by id (netlink, routes) and by (remote address,
 * underlay link) on receive. It is usable when userspace set it up
 * and its underlay interface has carrier; the carrier half is kept by the
 * netdev notifier, so a cable pull moves traffic at once, before any agent
 * notices.
 *
 * Writers hold xdev->lock; the packet path reads under RCU. A replaced or
 * deleted neighbor is freed after a grace period.
 */
#include <linux/slab.h>
#include "xmesh_priv.h"

static const struct rhashtable_params xmesh_neigh_id_params = {
	.key_len = sizeof(u32),
	.key_offset = offsetof(struct xmesh_neigh, id),
	.head_offset = offsetof(struct xmesh_neigh, id_node),
	.automatic_shrinking = true,
};

static const struct rhashtable_params xmesh_neigh_key_params = {
	.key_len = sizeof(struct xmesh_neigh_key),
	.key_offset = offsetof(struct xmesh_neigh, key),
	.head_offset = offsetof(struct xmesh_neigh, key_node),
	.automatic_shrinking = true,
};

int xmesh_neighs_init(struct xmesh_dev *xdev)
{
	int err;

	INIT_LIST_HEAD(&xdev->neigh_list);
	xdev->n_neighs = 0;
	err = rhashtable_init(&xdev->neighs_by_id, &xmesh_neigh_id_params);
	if (err)
		return err;
	err = rhashtable_init(&xdev->neighs_by_key, &xmesh_neigh_key_params);
	if (err)
		rhashtable_destroy(&xdev->neighs_by_id);
	return err;
}

void xmesh_neighs_uninit(struct xmesh_dev *xdev)
{
	xmesh_neigh_flush(xdev);
	rhashtable_destroy(&xdev->neighs_by_key);
	rhashtable_destroy(&xdev->neighs_by_id);
}

/*
 * Lookups. The packet path holds the RCU read lock already and uses the
 * plain ones, which take nothing more. Writers hold xdev->lock, which
 * keeps what they find alive, and use the _locked ones: the table walk
 * itself still dereferences RCU pointers, and rhashtable_lookup_fast()
 * holds the RCU read lock for just that walk.
 */
struct xmesh_neigh *xmesh_neigh_lookup_id(struct xmesh_dev *xdev, u32 id)
{
	return rhashtable_lookup(&xdev->neighs_by_id, &id,
				 xmesh_neigh_id_params);
}

struct xmesh_neigh *xmesh_neigh_lookup_key(struct xmesh_dev *xdev,
					   const struct xmesh_neigh_key *key)
{
	return rhashtable_lookup(&xdev->neighs_by_key, key,
				 xmesh_neigh_key_params);
}

struct xmesh_neigh *xmesh_neigh_lookup_id_locked(struct xmesh_dev *xdev,
						 u32 id)
{
	lockdep_assert_held(&xdev->lock);
	return rhashtable_lookup_fast(&xdev->neighs_by_id, &id,
				      xmesh_neigh_id_params);
}

struct xmesh_neigh *
xmesh_neigh_lookup_key_locked(struct xmesh_dev *xdev,
			      const struct xmesh_neigh_key *key)
{
	lockdep_assert_held(&xdev->lock);
	return rhashtable_lookup_fast(&xdev->neighs_by_key, key,
				      xmesh_neigh_key_params);
}

struct xmesh_neigh *xmesh_neigh_alloc(struct xmesh_dev *xdev, u32 id)
{
	struct xmesh_neigh *neigh = kzalloc(sizeof(*neigh), GFP_KERNEL);

	if (!neigh)
		return NULL;
	neigh->stats = netdev_alloc_pcpu_stats(struct xmesh_neigh_pcpu_stats);
	if (!neigh->stats)
		goto err_free;
	if (dst_cache_init(&neigh->dst_cache, GFP_KERNEL))
		goto err_stats;
	neigh->xdev = xdev;
	neigh->id = id;
	return neigh;

err_stats:
	free_percpu(neigh->stats);
err_free:
	kfree(neigh);
	return NULL;
}

void xmesh_neigh_free(struct xmesh_neigh *neigh)
{
	dst_cache_destroy(&neigh->dst_cache);
	free_percpu(neigh->stats);
	kfree(neigh);
}

static void xmesh_neigh_free_rcu(struct rcu_head *rcu)
{
	xmesh_neigh_free(container_of(rcu, struct xmesh_neigh, rcu));
}

/* Take the underlay's carrier and MTU; called with RTNL or under RCU. */
void xmesh_neigh_link_read(struct xmesh_neigh *neigh, struct net *net)
{
	struct net_device *lower;

	rcu_read_lock();
	lower = dev_get_by_index_rcu(net, neigh->key.link);
	WRITE_ONCE(neigh->carrier, lower && netif_running(lower) &&
		   netif_carrier_ok(lower));
	WRITE_ONCE(neigh->link_mtu, lower ? READ_ONCE(lower->mtu) : 0);
	rcu_read_unlock();
}

void xmesh_neigh_stats_read(const struct xmesh_neigh *neigh,
			    u64 stats[XMESH_NSTAT_MAX])
{
	int cpu, i;

	memcpy(stats, neigh->stats_base, sizeof(neigh->stats_base));
	for_each_possible_cpu(cpu) {
		const struct xmesh_neigh_pcpu_stats *s =
			per_cpu_ptr(neigh->stats, cpu);
		u64 v[XMESH_NSTAT_MAX];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < XMESH_NSTAT_MAX; i++)
				v[i] = u64_stats_read(&s->stat[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < XMESH_NSTAT_MAX; i++)
			stats[i] += v[i];
	}
}

static void xmesh_neigh_unpublish(struct xmesh_dev *xdev,
				  struct xmesh_neigh *neigh)
{
	rhashtable_remove_fast(&xdev->neighs_by_id, &neigh->id_node,
			       xmesh_neigh_id_params);
	rhashtable_remove_fast(&xdev->neighs_by_key, &neigh->key_node,
			       xmesh_neigh_key_params);
}

/**
 * xmesh_neigh_insert - publish a neighbor, or replace the one with its id
 * @xdev: the device, its lock held
 * @neigh: from xmesh_neigh_alloc() and filled in; the table owns it on
 *	   success, the caller frees it on error
 * @replace: replace a neighbor with the same id instead of failing
 *
 * A replaced neighbor hands over its routes, keys and counters; traffic
 * that used it moves to the new one without a gap.
 *
 * Return: 0, -EEXIST (same id, or another neighbor has the same address
 * and link), -ENOSPC (table full) or -ENOMEM.
 */
int xmesh_neigh_insert(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
		       bool replace)
{
	struct xmesh_neigh *old, *clash;
	int err;

	lockdep_assert_held(&xdev->lock);

	old = xmesh_neigh_lookup_id_locked(xdev, neigh->id);
	if (old && !replace)
		return -EEXIST;
	clash = xmesh_neigh_lookup_key_locked(xdev, &neigh->key);
	if (clash && clash != old)
		return -EEXIST;
	if (!old && xdev->n_neighs >= XMESH_MAX_NEIGHS)
		return -ENOSPC;

	if (!old) {
		err = rhashtable_insert_fast(&xdev->neighs_by_id,
					     &neigh->id_node,
					     xmesh_neigh_id_params);
		if (err)
			return err;
		err = rhashtable_insert_fast(&xdev->neighs_by_key,
					     &neigh->key_node,
					     xmesh_neigh_key_params);
		if (err) {
			rhashtable_remove_fast(&xdev->neighs_by_id,
					       &neigh->id_node,
					       xmesh_neigh_id_params);
			return err;
		}
		list_add_tail(&neigh->list, &xdev->neigh_list);
		xdev->n_neighs++;
		xmesh_genl_notify_neigh(xdev, neigh, false);
		return 0;
	}

	/* The key hash may not hold two entries with one key, so the old one
	 * leaves it first; a frame arriving in between is counted as from an
	 * unknown neighbor, which is what it is for that instant.
	 */
	rhashtable_remove_fast(&xdev->neighs_by_key, &old->key_node,
			       xmesh_neigh_key_params);
	err = rhashtable_insert_fast(&xdev->neighs_by_key, &neigh->key_node,
				     xmesh_neigh_key_params);
	if (err)
		goto err_restore;
	err = rhashtable_replace_fast(&xdev->neighs_by_id, &old->id_node,
				      &neigh->id_node, xmesh_neigh_id_params);
	if (err) {
		rhashtable_remove_fast(&xdev->neighs_by_key, &neigh->key_node,
				       xmesh_neigh_key_params);
		goto err_restore;
	}

	if (xmesh_neigh_usable(old) != xmesh_neigh_usable(neigh))
		xmesh_routes_neigh_changing(xdev, old,
					    xmesh_neigh_usable(neigh));
	xmesh_routes_repoint_neigh(xdev, old, neigh);
	xmesh_keys_neigh_moved(xdev, old, neigh);
	xmesh_mroutes_neigh_moved(xdev, old, neigh);
	xmesh_neigh_stats_read(old, neigh->stats_base);
	list_replace(&old->list, &neigh->list);
	xmesh_genl_notify_neigh(xdev, neigh, false);
	call_rcu(&old->rcu, xmesh_neigh_free_rcu);
	return 0;

err_restore:
	/* Re-adding a key just removed only fails on memory pressure inside
	 * the table; the neighbor is then unreachable for rx until replaced.
	 */
	WARN_ON_ONCE(rhashtable_insert_fast(&xdev->neighs_by_key,
					    &old->key_node,
					    xmesh_neigh_key_params));
	return err;
}

void xmesh_neigh_remove(struct xmesh_dev *xdev, struct xmesh_neigh *neigh)
{
	lockdep_assert_held(&xdev->lock);

	if (xmesh_neigh_usable(neigh))
		xmesh_routes_neigh_changing(xdev, neigh, false);
	xmesh_routes_repoint_neigh(xdev, neigh, NULL);
	xmesh_neigh_unpublish(xdev, neigh);
	xmesh_keys_neigh_gone(xdev, neigh);
	list_del(&neigh->list);
	xdev->n_neighs--;
	xmesh_genl_notify_neigh(xdev, neigh, true);
	call_rcu(&neigh->rcu, xmesh_neigh_free_rcu);
}

void xmesh_neigh_flush(struct xmesh_dev *xdev)
{
	struct xmesh_neigh *neigh, *tmp;

	list_for_each_entry_safe(neigh, tmp, &xdev->neigh_list, list)
		xmesh_neigh_remove(xdev, neigh);
}

static void xmesh_neigh_change(struct xmesh_dev *xdev,
			       struct xmesh_neigh *neigh, u8 state,
			       bool carrier)
{
	bool was = xmesh_neigh_usable(neigh);
	bool will = state == XMESH_NEIGH_UP && carrier;

	if (neigh->state == state && neigh->carrier == carrier)
		return;
	if (was != will)
		xmesh_routes_neigh_changing(xdev, neigh, will);
	WRITE_ONCE(neigh->state, state);
	WRITE_ONCE(neigh->carrier, carrier);
	xmesh_genl_notify_neigh(xdev, neigh, false);
}

void xmesh_neigh_set_state(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
			   u8 state)
{
	lockdep_assert_held(&xdev->lock);
	xmesh_neigh_change(xdev, neigh, state, neigh->carrier);
}

/**
 * xmesh_neighs_link_event - an underlay interface changed
 * @xdev: the device, its lock held
 * @lower: the underlay interface
 * @gone: @lower is being unregistered
 *
 * Neighbors over @lower follow its carrier and MTU. A neighbor whose
 * interface is gone stays, down, until userspace replaces or deletes it.
 */
void xmesh_neighs_link_event(struct xmesh_dev *xdev,
			     struct net_device *lower, bool gone)
{
	bool carrier = !gone && netif_running(lower) &&
		       netif_carrier_ok(lower);
	struct xmesh_neigh *neigh;

	lockdep_assert_held(&xdev->lock);

	list_for_each_entry(neigh, &xdev->neigh_list, list) {
		if (neigh->key.link != lower->ifindex)
			continue;
		WRITE_ONCE(neigh->link_mtu, gone ? 0 : READ_ONCE(lower->mtu));
		xmesh_neigh_change(xdev, neigh, neigh->state, carrier);
	}
}
