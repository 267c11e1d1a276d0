/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Overlay multicast distribution trees (Documentation/multicast.md): pure
 * functions, no I/O, no clock.
 *
 * Every node advertises the groups it joined, as a receiver, a sender or
 * both. For each (sender, group) the tree is the sender-rooted
 * shortest-path tree over the link-state graph, pruned to the branches
 * that lead to a receiver. Every agent runs the same SPF from the same
 * root over the same graph, so each finds the same tree and installs only
 * its own part: the multicast route of (root, group), i.e. the neighbors
 * it copies to and whether it delivers.
 */
#ifndef XM_MCAST_H
#define XM_MCAST_H

#include <linux/xmesh.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"

#define XM_MCAST_RECV	0x1	/* deliver the group here */
#define XM_MCAST_SEND	0x2	/* this node sends to the group: a root */

/* One node's membership of one group. */
struct xm_mcast_member {
	uint32_t node;
	struct xm_addr group;
	uint8_t flags;			/* XM_MCAST_* */
};

/* This node's branches of the tree of (root, group). */
struct xm_mroute_entry {
	uint32_t root;
	struct xm_addr group;
	bool local;
	unsigned int n_neighs;
	uint32_t neigh[XMESH_MAX_MROUTE_NEIGHS];	/* kernel neighbor ids */
};

struct xm_mroute_set {
	size_t n;
	struct xm_mroute_entry *e;	/* sorted by (root, group); free() */
};

/* Whether a is an overlay group: 239.0.0.0/8, IPv6 scope 3 or wider. */
bool xm_mcast_group_valid(const struct xm_addr *a);

/*
 * The multicast routes of node self: for every (sender, group) of m whose
 * tree passes through self (or is rooted there), self's branches, each a
 * child in the tree with a receiver below it, through the adjacency of
 * least metric to that child. A root's route lists its branches even when
 * empty (no receiver yet), so its packets are counted, not dropped as
 * unrouted. Members the graph does not reach are left out. Fills out
 * (caller frees out->e). 0 or -ENOMEM.
 */
int xm_mcast_compute(const struct xm_graph *g, uint32_t self,
		     const struct xm_local_adj *adj, size_t n_adj,
		     const struct xm_mcast_member *m, size_t n_m,
		     struct xm_mroute_set *out);

void xm_mroute_set_free(struct xm_mroute_set *s);

/* Order of entries by (root, group); memcmp-like. */
int xm_mroute_entry_cmp(const struct xm_mroute_entry *a,
			const struct xm_mroute_entry *b);
/* Same key and same branches. */
bool xm_mroute_entry_same(const struct xm_mroute_entry *a,
			  const struct xm_mroute_entry *b);

/*
 * The tree of (root, group) as a whole, for tests and the simulator:
 * on_tree[i] set for every node index the tree reaches (the root, transit
 * nodes and receivers), parent[] the SPF parents. Returns the number of
 * edges of the tree (its size), or -ENOMEM; *cost gets the sum of their
 * metrics.
 */
long xm_mcast_tree(const struct xm_graph *g, const struct xm_spf *spf,
		   uint32_t root_idx, const struct xm_addr *group,
		   const struct xm_mcast_member *m, size_t n_m,
		   bool *on_tree, uint64_t *cost);

#endif /* XM_MCAST_H */
