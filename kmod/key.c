// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh keys: the session keys of a neighbor or of a node, and their
 * replay windows.
 *
 * Userspace installs keys per neighbor, WireGuard-like: one transmit key
 * seals every frame sent to the neighbor, up to XMESH_MAX_RX_KEYS receive
 * keys open the frames that arrive from it, picked by the key id in the
 * header. Origin keys (origin.c) follow the same rules per remote node:
 * the slots of a node's struct xmesh_origin instead of a neighbor's. A rotation loses nothing: the peer installs the new receive
 * key, this node then installs its new transmit key (the slot switches
 * atomically) and both delete the old one.
 *
 * A key's bytes never change: replacing one publishes a new key with a
 * new counter and window. Writers hold xdev->lock; the packet path reads
 * the slots under RCU. Removed keys are wiped (kfree_sensitive) after a
 * grace period.
 */
#include <linux/slab.h>
#include "xmesh_priv.h"

/**
 * xmesh_key_alloc - a new, unpublished key
 * @owner: the neighbor it belongs to, or the node for an origin key
 * @origin: an origin key
 * @id: its key id, 1..255
 * @dir: XMESH_KEY_TX or XMESH_KEY_RX
 * @bytes: the XMESH_KEY_LEN key bytes
 *
 * Return: the key, or NULL when out of memory.
 */
struct xmesh_key *xmesh_key_alloc(u32 owner, bool origin, u8 id, u8 dir,
				  const u8 bytes[XMESH_KEY_LEN])
{
	struct xmesh_key *key = kzalloc(sizeof(*key), GFP_KERNEL);

	if (!key)
		return NULL;
	key->stats = netdev_alloc_pcpu_stats(struct xmesh_key_pcpu_stats);
	if (!key->stats) {
		kfree(key);
		return NULL;
	}
	INIT_LIST_HEAD(&key->list);
	key->owner = owner;
	key->origin = origin;
	key->id = id;
	key->dir = dir;
	atomic64_set(&key->tx_counter, 0);
	spin_lock_init(&key->replay.lock);
	memcpy(key->key, bytes, XMESH_KEY_LEN);
	return key;
}

/* Free a key no reader can see (never published, or a grace period on). */
void xmesh_key_free(struct xmesh_key *key)
{
	free_percpu(key->stats);
	kfree_sensitive(key);
}

static void xmesh_key_free_rcu(struct rcu_head *rcu)
{
	xmesh_key_free(container_of(rcu, struct xmesh_key, rcu));
}

#define xmesh_key_deref(xdev, p) \
	rcu_dereference_protected(p, lockdep_is_held(&(xdev)->lock))

/**
 * xmesh_key_owner_slots - the key slots of a neighbor or an origin node
 * @xdev: the device, its lock held
 * @owner: neighbor id, or node id when @origin
 * @origin: origin keys
 *
 * Return: the slots, or NULL when there is no such neighbor, or the node
 * has no origin keys.
 */
struct xmesh_key_slots *xmesh_key_owner_slots(struct xmesh_dev *xdev,
					      u32 owner, bool origin)
{
	struct xmesh_origin *o;
	struct xmesh_neigh *n;

	if (origin) {
		o = xmesh_origin_lookup_locked(xdev, owner);
		return o ? &o->keys : NULL;
	}
	n = xmesh_neigh_lookup_id_locked(xdev, owner);
	return n ? &n->keys : NULL;
}

/**
 * xmesh_key_find - the key in @slots for @dir with id @id
 * @xdev: the device, its lock held
 * @slots: a neighbor's or an origin node's; NULL finds nothing
 * @dir: XMESH_KEY_TX or XMESH_KEY_RX
 * @id: the key id
 *
 * Return: the key, or NULL.
 */
struct xmesh_key *xmesh_key_find(struct xmesh_dev *xdev,
				 struct xmesh_key_slots *slots, u8 dir, u8 id)
{
	struct xmesh_key *key;
	int i;

	lockdep_assert_held(&xdev->lock);
	if (!slots)
		return NULL;
	if (dir == XMESH_KEY_TX) {
		key = xmesh_key_deref(xdev, slots->tx);
		return key && key->id == id ? key : NULL;
	}
	for (i = 0; i < XMESH_MAX_RX_KEYS; i++) {
		key = xmesh_key_deref(xdev, slots->rx[i]);
		if (key && key->id == id)
			return key;
	}
	return NULL;
}

/* The transmit key in @slots (NULL: none), whatever its id; lock held. */
struct xmesh_key *xmesh_key_tx(struct xmesh_dev *xdev,
			       struct xmesh_key_slots *slots)
{
	lockdep_assert_held(&xdev->lock);
	return slots ? xmesh_key_deref(xdev, slots->tx) : NULL;
}

/* How many receive keys @slots (NULL: none) hold; xdev->lock held. */
unsigned int xmesh_key_rx_count(struct xmesh_dev *xdev,
				struct xmesh_key_slots *slots)
{
	unsigned int i, n = 0;

	lockdep_assert_held(&xdev->lock);
	for (i = 0; slots && i < XMESH_MAX_RX_KEYS; i++)
		n += !!xmesh_key_deref(xdev, slots->rx[i]);
	return n;
}

/* The slot of @slots that @key goes into: the one holding the key it
 * replaces, else a free one (NULL if there is none).
 */
static struct xmesh_key __rcu **xmesh_key_slot(struct xmesh_dev *xdev,
					       struct xmesh_key_slots *slots,
					       const struct xmesh_key *key)
{
	struct xmesh_key __rcu **free = NULL;
	struct xmesh_key *k;
	int i;

	if (key->dir == XMESH_KEY_TX)
		return &slots->tx;
	for (i = 0; i < XMESH_MAX_RX_KEYS; i++) {
		k = xmesh_key_deref(xdev, slots->rx[i]);
		if (k && k->id == key->id)
			return &slots->rx[i];
		if (!k && !free)
			free = &slots->rx[i];
	}
	return free;
}

static void xmesh_key_unlink(struct xmesh_dev *xdev, struct xmesh_key *key)
{
	list_del(&key->list);
	xdev->n_keys--;
	call_rcu(&key->rcu, xmesh_key_free_rcu);
}

/**
 * xmesh_key_insert - publish a key in its neighbor's or node's slot
 * @xdev: the device, its lock held
 * @key: from xmesh_key_alloc(); the table owns it on success
 *
 * A transmit key takes the transmit slot whatever the id of the key
 * there: sending switches to it at once. A receive key replaces the
 * receive key of the same id, or takes a free slot. The key it replaces
 * is freed after a grace period. An origin key's node gets its slots
 * with its first key.
 *
 * Return: 0, -ENOENT (no such neighbor), -ENOMEM (no memory for a new
 * origin node) or -ENOSPC (no free receive slot; the caller checked).
 */
int xmesh_key_insert(struct xmesh_dev *xdev, struct xmesh_key *key)
{
	struct xmesh_origin *o = NULL;
	struct xmesh_key_slots *slots;
	struct xmesh_key __rcu **slot;
	struct xmesh_key *old;

	lockdep_assert_held(&xdev->lock);

	if (key->origin) {
		o = xmesh_origin_get(xdev, key->owner);
		if (!o)
			return -ENOMEM;
		slots = &o->keys;
	} else {
		slots = xmesh_key_owner_slots(xdev, key->owner, false);
		if (!slots)
			return -ENOENT;
	}
	slot = xmesh_key_slot(xdev, slots, key);
	if (!slot) {
		if (o)
			xmesh_origin_put(xdev, o);	/* if made just now */
		return -ENOSPC;
	}
	old = rcu_replace_pointer(*slot, key, lockdep_is_held(&xdev->lock));
	list_add_tail(&key->list, &xdev->key_list);
	xdev->n_keys++;
	if (old)
		xmesh_key_unlink(xdev, old);
	return 0;
}

/* Clear the slot of @slots that holds @key, if any. */
static void xmesh_key_clear_slot(struct xmesh_dev *xdev,
				 struct xmesh_key_slots *slots,
				 const struct xmesh_key *key)
{
	int i;

	if (xmesh_key_deref(xdev, slots->tx) == key)
		RCU_INIT_POINTER(slots->tx, NULL);
	for (i = 0; i < XMESH_MAX_RX_KEYS; i++)
		if (xmesh_key_deref(xdev, slots->rx[i]) == key)
			RCU_INIT_POINTER(slots->rx[i], NULL);
}

/**
 * xmesh_key_remove - delete a published key
 * @xdev: the device, its lock held
 * @key: the key; freed after a grace period (as its origin node, if it
 *	 was the node's last key)
 */
void xmesh_key_remove(struct xmesh_dev *xdev, struct xmesh_key *key)
{
	struct xmesh_key_slots *slots;

	lockdep_assert_held(&xdev->lock);

	slots = xmesh_key_owner_slots(xdev, key->owner, key->origin);
	if (!WARN_ON_ONCE(!slots)) {
		xmesh_key_clear_slot(xdev, slots, key);
		if (key->origin)
			xmesh_origin_put(xdev, container_of(slots,
							    struct xmesh_origin,
							    keys));
	}
	xmesh_key_unlink(xdev, key);
}

/**
 * xmesh_keys_neigh_gone - delete the keys of a neighbor being removed
 * @xdev: the device, its lock held
 * @neigh: the neighbor, already unpublished
 *
 * Readers that still hold @neigh may use its keys until the grace period
 * that frees them ends; the slots are left as they are for them.
 */
void xmesh_keys_neigh_gone(struct xmesh_dev *xdev, struct xmesh_neigh *neigh)
{
	struct xmesh_key *key;
	int i;

	lockdep_assert_held(&xdev->lock);

	key = xmesh_key_deref(xdev, neigh->keys.tx);
	if (key)
		xmesh_key_unlink(xdev, key);
	for (i = 0; i < XMESH_MAX_RX_KEYS; i++) {
		key = xmesh_key_deref(xdev, neigh->keys.rx[i]);
		if (key)
			xmesh_key_unlink(xdev, key);
	}
}

/**
 * xmesh_keys_neigh_moved - hand the keys of a replaced neighbor over
 * @xdev: the device, its lock held
 * @old: the neighbor replaced, still seen by readers for a grace period
 * @new: the neighbor replacing it
 *
 * Both then point at the same keys: frames in flight over @old keep being
 * sealed and opened with them, and their counters and windows carry on.
 */
void xmesh_keys_neigh_moved(struct xmesh_dev *xdev, struct xmesh_neigh *old,
			    struct xmesh_neigh *new)
{
	int i;

	lockdep_assert_held(&xdev->lock);

	rcu_assign_pointer(new->keys.tx, xmesh_key_deref(xdev, old->keys.tx));
	for (i = 0; i < XMESH_MAX_RX_KEYS; i++)
		rcu_assign_pointer(new->keys.rx[i],
				   xmesh_key_deref(xdev, old->keys.rx[i]));
}

/* Delete every key of the device; its lock held. */
void xmesh_keys_flush(struct xmesh_dev *xdev)
{
	struct xmesh_key *key, *tmp;

	lockdep_assert_held(&xdev->lock);
	list_for_each_entry_safe(key, tmp, &xdev->key_list, list)
		xmesh_key_remove(xdev, key);
}

void xmesh_key_stats_read(const struct xmesh_key *key,
			  u64 stats[XMESH_KSTAT_MAX])
{
	int cpu, i;

	memset(stats, 0, sizeof(u64) * XMESH_KSTAT_MAX);
	for_each_possible_cpu(cpu) {
		const struct xmesh_key_pcpu_stats *s =
			per_cpu_ptr(key->stats, cpu);
		u64 v[XMESH_KSTAT_MAX];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < XMESH_KSTAT_MAX; i++)
				v[i] = u64_stats_read(&s->stat[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < XMESH_KSTAT_MAX; i++)
			stats[i] += v[i];
	}
}

/*
 * XMESH_KEY_A_COUNTER: a transmit key's next counter (never past the
 * limit, though refused frames may have taken numbers beyond it), a
 * receive key's highest accepted counter + 1.
 */
u64 xmesh_key_counter(struct xmesh_key *key)
{
	u64 v;

	if (key->dir == XMESH_KEY_TX)
		return min_t(u64, atomic64_read(&key->tx_counter),
			     XMESH_KEY_COUNTER_LIMIT);
	spin_lock_bh(&key->replay.lock);
	v = key->replay.top;
	spin_unlock_bh(&key->replay.lock);
	return v;
}

/**
 * xmesh_replay_check - accept @counter once, if it is not too old
 * @r: the receive key's window
 * @counter: the counter of a frame whose tag verified
 *
 * Counters are accepted in any order within XMESH_REPLAY_WINDOW below the
 * highest one accepted, each at most once; older ones, and counters from
 * XMESH_KEY_COUNTER_LIMIT on, are refused. Call it only after the tag
 * verified: a forged counter must not move the window.
 *
 * Return: true when the frame is new.
 */
bool xmesh_replay_check(struct xmesh_replay *r, u64 counter)
{
	unsigned long index, index_top, n, i;
	bool fresh;

	if (unlikely(counter >= XMESH_KEY_COUNTER_LIMIT))
		return false;
	/* One-based, so that top 0 means nothing was accepted yet. */
	counter++;

	spin_lock_bh(&r->lock);
	if (counter > r->top) {
		/* Newer than all: clear the words between the old top and
		 * this one (all of them after a long jump).
		 */
		index_top = r->top / BITS_PER_LONG;
		index = counter / BITS_PER_LONG;
		n = min_t(unsigned long, index - index_top, XMESH_REPLAY_WORDS);
		for (i = 1; i <= n; i++)
			r->bitmap[(index_top + i) % XMESH_REPLAY_WORDS] = 0;
		r->top = counter;
	} else if (r->top - counter >= XMESH_REPLAY_WINDOW) {
		spin_unlock_bh(&r->lock);
		return false;
	}
	index = (counter / BITS_PER_LONG) % XMESH_REPLAY_WORDS;
	fresh = !__test_and_set_bit(counter % BITS_PER_LONG, &r->bitmap[index]);
	spin_unlock_bh(&r->lock);
	return fresh;
}
