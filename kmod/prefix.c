// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh overlay prefix table: longest-prefix match from an overlay address
 * to the node that owns it.
 *
 * A mesh carries a handful of distinct prefix lengths (/24 per node, /32
 * host routes, a default), so instead of a trie we keep one hash of
 * (family, length, masked address) and, per family, the list of lengths in
 * use, longest first. A lookup masks the address once per length present
 * and stops at the first hit: O(lengths present) hash probes, no pointer
 * chasing through a tree, and updates are a single hash insert.
 *
 * Writers hold the device's writer lock; lookups run under RCU.
 */
#include <linux/inetdevice.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include "xmesh_priv.h"

static const struct rhashtable_params xmesh_prefix_params = {
	.key_len = sizeof(struct xmesh_prefix_key),
	.key_offset = offsetof(struct xmesh_prefix, key),
	.head_offset = offsetof(struct xmesh_prefix, node),
	.automatic_shrinking = true,
};

static int family_index(u16 family)
{
	return family == AF_INET6;
}

static unsigned int family_max_len(u16 family)
{
	return family == AF_INET6 ? 128 : 32;
}

/* Copy @addr with every bit past @len cleared. */
static void xmesh_prefix_mask(union xmesh_addr *out, u16 family,
			      const union xmesh_addr *addr, u8 len)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET)
		out->v4 = addr->v4 & inet_make_mask(len);
	else
		ipv6_addr_prefix(&out->v6, &addr->v6, len);
}

bool xmesh_prefix_key_valid(const struct xmesh_prefix_key *key)
{
	union xmesh_addr masked;

	if (key->family != AF_INET && key->family != AF_INET6)
		return false;
	if (key->len > family_max_len(key->family) || key->pad)
		return false;
	xmesh_prefix_mask(&masked, key->family, &key->addr, key->len);
	return !memcmp(&masked, &key->addr, sizeof(masked));
}

int xmesh_prefix_table_init(struct xmesh_prefix_table *t)
{
	memset(t, 0, sizeof(*t));
	INIT_LIST_HEAD(&t->list);
	return rhashtable_init(&t->hash, &xmesh_prefix_params);
}

/*
 * Publish the lengths in use for @family. When memory is short the old
 * list stays: it is a superset or a subset by one length, which costs a
 * wasted probe or, on insert, the caller's -ENOMEM before anything changed.
 */
static int xmesh_prefix_lens_update(struct xmesh_prefix_table *t, u16 family,
				    const unsigned int *counts)
{
	int fi = family_index(family);
	struct xmesh_prefix_lens *lens, *old;
	int len;

	lens = kmalloc(sizeof(*lens), GFP_KERNEL);
	if (!lens)
		return -ENOMEM;
	lens->n = 0;
	for (len = family_max_len(family); len >= 0; len--)
		if (counts[len])
			lens->len[lens->n++] = len;

	old = rcu_replace_pointer(t->lens[fi], lens, true);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

int xmesh_prefix_insert(struct xmesh_prefix_table *t,
			const struct xmesh_prefix_key *key, u32 node_id,
			bool replace)
{
	int fi = family_index(key->family);
	struct xmesh_prefix *p;
	int err;

	if (!xmesh_prefix_key_valid(key))
		return -EINVAL;

	p = rhashtable_lookup_fast(&t->hash, key, xmesh_prefix_params);
	if (p) {
		if (!replace)
			return -EEXIST;
		WRITE_ONCE(p->node_id, node_id);
		return 0;
	}
	if (t->count >= XMESH_MAX_PREFIXES)
		return -ENOSPC;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->key = *key;
	p->node_id = node_id;

	if (!t->len_count[fi][key->len]) {
		unsigned int counts[129];

		memcpy(counts, t->len_count[fi], sizeof(counts));
		counts[key->len] = 1;
		err = xmesh_prefix_lens_update(t, key->family, counts);
		if (err)
			goto err_free;
	}
	err = rhashtable_insert_fast(&t->hash, &p->node, xmesh_prefix_params);
	if (err)
		goto err_lens;

	list_add_tail(&p->list, &t->list);
	t->len_count[fi][key->len]++;
	t->count++;
	return 0;

err_lens:
	/* Put back the lengths that really exist; failing again only costs
	 * lookups a probe of a length that has no entries.
	 */
	if (!t->len_count[fi][key->len])
		xmesh_prefix_lens_update(t, key->family, t->len_count[fi]);
err_free:
	kfree(p);
	return err;
}

void xmesh_prefix_delete(struct xmesh_prefix_table *t, struct xmesh_prefix *p)
{
	int fi = family_index(p->key.family);

	rhashtable_remove_fast(&t->hash, &p->node, xmesh_prefix_params);
	list_del(&p->list);
	t->count--;
	if (!--t->len_count[fi][p->key.len])
		xmesh_prefix_lens_update(t, p->key.family, t->len_count[fi]);
	kfree_rcu(p, rcu);
}

int xmesh_prefix_remove(struct xmesh_prefix_table *t,
			const struct xmesh_prefix_key *key)
{
	struct xmesh_prefix *p;

	if (!xmesh_prefix_key_valid(key))
		return -EINVAL;
	p = rhashtable_lookup_fast(&t->hash, key, xmesh_prefix_params);
	if (!p)
		return -ENOENT;
	xmesh_prefix_delete(t, p);
	return 0;
}

struct xmesh_prefix *xmesh_prefix_find(struct xmesh_prefix_table *t,
				       const struct xmesh_prefix_key *key)
{
	return rhashtable_lookup_fast(&t->hash, key, xmesh_prefix_params);
}

void xmesh_prefix_flush(struct xmesh_prefix_table *t)
{
	struct xmesh_prefix *p, *tmp;

	list_for_each_entry_safe(p, tmp, &t->list, list)
		xmesh_prefix_delete(t, p);
}

void xmesh_prefix_table_uninit(struct xmesh_prefix_table *t)
{
	struct xmesh_prefix_lens *lens;
	int fi;

	xmesh_prefix_flush(t);
	rhashtable_destroy(&t->hash);
	for (fi = 0; fi < 2; fi++) {
		lens = rcu_replace_pointer(t->lens[fi], NULL, true);
		if (lens)
			kfree_rcu(lens, rcu);
	}
}

/**
 * xmesh_prefix_lookup - longest-prefix match
 * @t: the table
 * @family: AF_INET or AF_INET6
 * @addr: the address to match
 *
 * Context: RCU read side.
 * Return: the owning node id, or 0 when no prefix covers @addr.
 */
u32 xmesh_prefix_lookup(struct xmesh_prefix_table *t, u16 family,
			const union xmesh_addr *addr)
{
	const struct xmesh_prefix_lens *lens;
	struct xmesh_prefix_key key;
	struct xmesh_prefix *p;
	unsigned int i;

	lens = rcu_dereference(t->lens[family_index(family)]);
	if (!lens)
		return 0;

	key.family = family;
	key.pad = 0;
	for (i = 0; i < lens->n; i++) {
		key.len = lens->len[i];
		xmesh_prefix_mask(&key.addr, family, addr, key.len);
		p = rhashtable_lookup(&t->hash, &key, xmesh_prefix_params);
		if (p)
			return READ_ONCE(p->node_id);
	}
	return 0;
}
