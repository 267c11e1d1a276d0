// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh multicast routes: (root node, group) -> the neighbors a packet of
 * the group sent by the root is copied to, and whether this node delivers
 * it (Documentation/multicast.md).
 *
 * The agent computes one source-rooted shortest-path tree per (root,
 * group), or one shared tree per group rooted at a core node for many
 * senders, and installs, on every node of the tree, that node's branches:
 * the packet path here only looks up one entry and copies the frame once
 * per branch. Branches hold neighbor ids, looked up under RCU for each
 * copy, so deleting or replacing a neighbor needs nothing here: a copy to
 * a neighbor that is gone or down is dropped and counted (no_nexthop).
 *
 * Writers hold xdev->lock; the packet path reads under RCU. An entry's
 * branches are immutable and replaced whole; the entry, and so its
 * counters, lives until it is deleted.
 */
#include <linux/slab.h>
#include <net/ipv6.h>
#include "xmesh_priv.h"

static const struct rhashtable_params xmesh_mroute_params = {
	.key_len = sizeof(struct xmesh_mroute_key),
	.key_offset = offsetof(struct xmesh_mroute, key),
	.head_offset = offsetof(struct xmesh_mroute, node),
	.automatic_shrinking = true,
};

/**
 * xmesh_mcast_group - whether @addr is an overlay multicast group
 * @family: AF_INET or AF_INET6
 * @addr: the inner destination
 *
 * IPv4 239.0.0.0/8 (administratively scoped) and IPv6 multicast of scope
 * 3 (realm) and wider. Link-local groups (224.0.0.0/24, ff02::/16) belong
 * to xmesh0's own link, which has no other end: they are not carried.
 */
bool xmesh_mcast_group(u16 family, const union xmesh_addr *addr)
{
	if (family == AF_INET)
		return (ntohl(addr->v4) >> 24) == 239;
	return addr->v6.s6_addr[0] == 0xff &&
	       (addr->v6.s6_addr[1] & 0x0f) >= 3;
}

bool xmesh_mroute_key_valid(const struct xmesh_mroute_key *key)
{
	if (key->family != AF_INET && key->family != AF_INET6)
		return false;
	if (key->family == AF_INET &&
	    memchr_inv(&key->group.v6.s6_addr[4], 0, 12))
		return false;
	return key->root && !key->pad &&
	       xmesh_mcast_group(key->family, &key->group);
}

int xmesh_mroutes_init(struct xmesh_dev *xdev)
{
	/* Hashed and compared as bytes: no hole, the pad zeroed by users. */
	BUILD_BUG_ON(sizeof(struct xmesh_mroute_key) !=
		     sizeof(union xmesh_addr) + 8);
	INIT_LIST_HEAD(&xdev->mroutes.list);
	xdev->mroutes.count = 0;
	return rhashtable_init(&xdev->mroutes.hash, &xmesh_mroute_params);
}

void xmesh_mroutes_flush(struct xmesh_dev *xdev)
{
	struct xmesh_mroute *mr, *tmp;

	list_for_each_entry_safe(mr, tmp, &xdev->mroutes.list, list)
		xmesh_mroute_remove(xdev, mr);
}

void xmesh_mroutes_uninit(struct xmesh_dev *xdev)
{
	xmesh_mroutes_flush(xdev);
	rhashtable_destroy(&xdev->mroutes.hash);
}

/* Context: RCU read side, or xdev->lock held. */
struct xmesh_mroute *xmesh_mroute_lookup(struct xmesh_dev *xdev,
					 const struct xmesh_mroute_key *key)
{
	return rhashtable_lookup_fast(&xdev->mroutes.hash, key,
				      xmesh_mroute_params);
}

/**
 * xmesh_mroute_alloc - a new, unpublished multicast route
 * @key: its (root, group), valid
 * @br: its branches, copied
 *
 * Return: the route, or NULL when out of memory.
 */
struct xmesh_mroute *xmesh_mroute_alloc(const struct xmesh_mroute_key *key,
					const struct xmesh_mroute_branches *br)
{
	struct xmesh_mroute_branches *b;
	struct xmesh_mroute *mr;

	mr = kzalloc(sizeof(*mr), GFP_KERNEL);
	if (!mr)
		return NULL;
	b = kmemdup(br, sizeof(*br), GFP_KERNEL);
	mr->stats = netdev_alloc_pcpu_stats(struct xmesh_mroute_pcpu_stats);
	if (!b || !mr->stats) {
		kfree(b);
		free_percpu(mr->stats);
		kfree(mr);
		return NULL;
	}
	mr->key = *key;
	RCU_INIT_POINTER(mr->branches, b);
	return mr;
}

/* Free a route never published, or after a grace period. */
void xmesh_mroute_free(struct xmesh_mroute *mr)
{
	kfree(rcu_dereference_protected(mr->branches, true));
	free_percpu(mr->stats);
	kfree(mr);
}

static void xmesh_mroute_free_rcu(struct rcu_head *head)
{
	xmesh_mroute_free(container_of(head, struct xmesh_mroute, rcu));
}

/**
 * xmesh_mroute_insert - publish a multicast route
 * @xdev: the device, its lock held
 * @mr: from xmesh_mroute_alloc(); owned by the table on success (on
 *	replace, its branches move to the existing route and it is freed)
 * @replace: replace the branches of an existing route of the same key
 *
 * Return: 0, -EEXIST, -ENOSPC or -ENOMEM.
 */
int xmesh_mroute_insert(struct xmesh_dev *xdev, struct xmesh_mroute *mr,
			bool replace)
{
	struct xmesh_mroute_branches *old;
	struct xmesh_mroute *cur;
	int err;

	lockdep_assert_held(&xdev->lock);
	cur = xmesh_mroute_lookup(xdev, &mr->key);
	if (cur) {
		if (!replace)
			return -EEXIST;
		old = rcu_replace_pointer(cur->branches,
					  rcu_dereference_protected(mr->branches,
								    true),
					  lockdep_is_held(&xdev->lock));
		RCU_INIT_POINTER(mr->branches, NULL);
		xmesh_mroute_free(mr);
		kfree_rcu(old, rcu);
		return 0;
	}
	if (xdev->mroutes.count >= XMESH_MAX_MROUTES)
		return -ENOSPC;
	err = rhashtable_insert_fast(&xdev->mroutes.hash, &mr->node,
				     xmesh_mroute_params);
	if (err)
		return err;
	list_add_tail(&mr->list, &xdev->mroutes.list);
	xdev->mroutes.count++;
	return 0;
}

void xmesh_mroute_remove(struct xmesh_dev *xdev, struct xmesh_mroute *mr)
{
	lockdep_assert_held(&xdev->lock);
	rhashtable_remove_fast(&xdev->mroutes.hash, &mr->node,
			       xmesh_mroute_params);
	list_del(&mr->list);
	xdev->mroutes.count--;
	call_rcu(&mr->rcu, xmesh_mroute_free_rcu);
}

/**
 * xmesh_mroutes_neigh_moved - a replaced neighbor names another node now
 * @xdev: the device, its lock held
 * @old: the neighbor replaced
 * @neigh: the one replacing it, the same id
 *
 * A shared tree's branches keep the node of each neighbor: its reverse-path
 * check matches a frame by the node it came from. A neighbor replaced onto
 * another node would leave them naming the old one until the route is
 * written again, and an agent writes it again only when its neighbor ids
 * change. So the node is updated where the id is named: in place, the one
 * field of the branches that changes after publication (a word, read with
 * READ_ONCE: a frame meanwhile is matched against the old node or the new),
 * so that nothing here can fail.
 */
void xmesh_mroutes_neigh_moved(struct xmesh_dev *xdev,
			       const struct xmesh_neigh *old,
			       const struct xmesh_neigh *neigh)
{
	struct xmesh_mroute *mr;

	lockdep_assert_held(&xdev->lock);
	if (old->node == neigh->node)
		return;
	list_for_each_entry(mr, &xdev->mroutes.list, list) {
		struct xmesh_mroute_branches *br;
		unsigned int i;

		br = rcu_dereference_protected(mr->branches,
					       lockdep_is_held(&xdev->lock));
		for (i = 0; br->shared_root && i < br->n_neighs; i++)
			if (br->neigh[i] == neigh->id)
				WRITE_ONCE(br->neigh_node[i], neigh->node);
	}
}

void xmesh_mroute_count(struct xmesh_mroute *mr, enum xmesh_mroute_stat stat,
			unsigned int bytes)
{
	struct xmesh_mroute_pcpu_stats *s = this_cpu_ptr(mr->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->stat[stat]);
	if (stat == XMESH_MSTAT_TX_PACKETS || stat == XMESH_MSTAT_RX_PACKETS)
		u64_stats_add(&s->stat[stat + 1], bytes);
	u64_stats_update_end(&s->syncp);
}

void xmesh_mroute_stats_read(const struct xmesh_mroute *mr,
			     u64 stats[XMESH_MSTAT_MAX])
{
	int cpu, i;

	memset(stats, 0, sizeof(u64) * XMESH_MSTAT_MAX);
	for_each_possible_cpu(cpu) {
		const struct xmesh_mroute_pcpu_stats *s =
			per_cpu_ptr(mr->stats, cpu);
		u64 v[XMESH_MSTAT_MAX];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < XMESH_MSTAT_MAX; i++)
				v[i] = u64_stats_read(&s->stat[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < XMESH_MSTAT_MAX; i++)
			stats[i] += v[i];
	}
}

/**
 * xmesh_mcast_rpf - the reverse-path check of a received frame
 * @br: the multicast route's branches
 * @from_node: the node of the neighbor the frame arrived from
 * @from_neigh: that neighbor's id
 *
 * A source tree's frames reach a node only from its parent in the tree,
 * the route's upstream; a shared tree's from any of its tree neighbors,
 * its branches. A copy from elsewhere is off the tree (two nodes' trees
 * disagree while they converge, or an agent in the path predates the
 * groups) and forwarding it could loop it until the hop limit. An
 * upstream of 0 is not checked: the root's route, or an older agent's.
 *
 * Return: the neighbor id no copy goes back to (@from_neigh, or on a
 * shared tree the branch to @from_node), or 0: drop the frame.
 */
u32 xmesh_mcast_rpf(const struct xmesh_mroute_branches *br, u32 from_node,
		    u32 from_neigh)
{
	unsigned int i;

	if (!br->shared_root)
		return !br->upstream || br->upstream == from_node ?
		       from_neigh : 0;
	for (i = 0; i < br->n_neighs && i < XMESH_MAX_MROUTE_NEIGHS; i++)
		if (READ_ONCE(br->neigh_node[i]) == from_node)
			return br->neigh[i];
	return 0;
}

/**
 * xmesh_mcast_copy - the frame to hand to one branch
 * @xdev: the device
 * @mr: the multicast route, its drops counted on failure
 * @skb: the frame; set to NULL when it is handed over itself
 * @last: the frame is not needed after this copy: no clone
 *
 * The send and the receive path replicate alike: a clone per branch but
 * the last, which takes the frame itself (unless it is delivered here).
 *
 * Context: RCU read side.
 * Return: the frame to send, or NULL (out of memory, counted).
 */
struct sk_buff *xmesh_mcast_copy(struct xmesh_dev *xdev,
				 struct xmesh_mroute *mr, struct sk_buff **skb,
				 bool last)
{
	struct sk_buff *copy;

	if (last) {
		copy = *skb;
		*skb = NULL;
		return copy;
	}
	copy = skb_clone(*skb, GFP_ATOMIC);
	if (unlikely(!copy)) {
		xmesh_mroute_count(mr, XMESH_MSTAT_DROPS, 0);
		xmesh_count_drop(xdev, XMESH_DROP_A_NOMEM);
	}
	return copy;
}

/**
 * xmesh_mcast_targets - where copies of one multicast frame go
 * @br: the multicast route's branches
 * @from_neigh: the neighbor id the frame arrived from; 0 at the root
 * @from_node: that neighbor's node; 0 at the root
 * @hop_limit: the frame's hop limit on arrival
 * @origin: this node is the root, sending its own packet
 * @neigh: filled with the neighbor ids to send a copy to
 *	   (XMESH_MAX_MROUTE_NEIGHS room)
 * @local: set when the frame is to be delivered here
 * @hop_drops: set to the copies not sent because the hop limit ran out
 *
 * One copy per branch, never two onto one neighbor, never back to the
 * neighbor or the node it came from (a tree has no such branch; a table
 * changing under traffic may briefly, and a neighbor replaced onto another
 * node may leave a shared tree two branches to one node until its agent
 * writes the tree again). The root does not deliver its own packet: its
 * host already looped it back. Delivery ignores the hop limit, as a
 * unicast destination does.
 *
 * Return: the number of ids in @neigh.
 */
unsigned int xmesh_mcast_targets(const struct xmesh_mroute_branches *br,
				 u32 from_neigh, u32 from_node, u8 hop_limit,
				 bool origin, u32 *neigh, bool *local,
				 unsigned int *hop_drops)
{
	unsigned int i, j, n = 0;

	*local = br->local && !origin;
	*hop_drops = 0;
	for (i = 0; i < br->n_neighs && i < XMESH_MAX_MROUTE_NEIGHS; i++) {
		u32 id = br->neigh[i];

		if (!id || id == from_neigh ||
		    (from_node && READ_ONCE(br->neigh_node[i]) == from_node))
			continue;
		for (j = 0; j < i; j++)
			if (br->neigh[j] == id)
				break;
		if (j < i)
			continue;	/* a neighbor named twice: one copy */
		if (!origin && hop_limit <= 1) {
			(*hop_drops)++;
			continue;
		}
		neigh[n++] = id;
	}
	return n;
}
