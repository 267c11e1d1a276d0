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
#include "xmesh_change.h"

/* One node's membership of one group. */
struct xm_mcast_member {
	uint32_t node;
	struct xm_addr group;
	uint8_t flags;			/* XM_MGROUP_* */
};

/* Whether a is an overlay group: 239.0.0.0/8, IPv6 scope 3 or wider. */
bool xm_mcast_group_valid(const struct xm_addr *a);
/* Why a node's groups (as in xm_core_config) are refused, or NULL. */
const char *xm_mgroups_check(const struct xm_mgroup *g, unsigned int n);

/*
 * The multicast routes (sorted by root, group; caller frees *out) of node
 * self: for every (sender, group) of m whose
 * tree passes through self (or is rooted there), self's branches, each a
 * child in the tree with a receiver below it, through the adjacency of
 * least metric to that child, and its upstream (the parent node). A
 * root's route lists its branches even when
 * empty (no receiver yet), so its packets are counted, not dropped as
 * unrouted. Members the graph does not reach are left out.
 * A shared group (xm_mcast_shared()) instead has one tree, the core's
 * shortest paths to every member (senders too): its nodes get the route
 * (core, group) with every tree neighbor as a branch and shared_root the
 * core, and a sender other than the core gets (itself, group) alike for
 * its own frames. 0 or -ENOMEM.
 */
int xm_mcast_compute(const struct xm_graph *g, uint32_t self,
		     const struct xm_local_adj *adj, size_t n_adj,
		     const struct xm_mcast_member *m, size_t n_m,
		     struct xm_fib_mroute **out, size_t *n_out);

/*
 * Shared trees: a group with at least this many senders is carried on one
 * tree, rooted at its core, the member of lowest node id, instead of one
 * tree per sender. Every agent counts the same senders in the same
 * database, so all choose alike, without a word on the wire.
 */
#define XM_MCAST_SHARED_SENDERS	4

/*
 * Whether group's members in m (those in the graph) make it a shared
 * tree; *core gets its core (the lowest member id; 0 without members).
 */
bool xm_mcast_shared(const struct xm_graph *g,
		     const struct xm_mcast_member *m, size_t n_m,
		     const struct xm_addr *group, uint32_t *core);

/* Order of entries by (root, group); memcmp-like. */
int xm_fib_mroute_cmp(const struct xm_fib_mroute *a,
			const struct xm_fib_mroute *b);
/* Same key and same branches. */
bool xm_fib_mroute_same(const struct xm_fib_mroute *a,
			  const struct xm_fib_mroute *b);

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

/* The shared tree of group from its core: as xm_mcast_tree(), to every
 * member, senders included. */
long xm_mcast_shared_tree(const struct xm_graph *g, const struct xm_spf *spf,
			  uint32_t core_idx, const struct xm_addr *group,
			  const struct xm_mcast_member *m, size_t n_m,
			  bool *on_tree, uint64_t *cost);

/*
 * The fib's multicast routes (fib.c calls these): the changes that bring
 * have's in line with want's, appended to *out after what xm_fib_diff()
 * put there (a route only names neighbors want has, which are in by
 * then; one naming a neighbor being deleted only loses its copies);
 * kernel dump entries (XMESH_A_MROUTE) into f; sorting; copying.
 */
int xm_mroutes_diff(const struct xm_fib *want, const struct xm_fib *have,
		    uint32_t ifindex, struct xm_change **out, size_t *n);
int xm_mroutes_from_kernel(const struct xm_entry *e, size_t n,
			   struct xm_fib *f);
void xm_mroutes_sort(struct xm_fib *f);
int xm_mroutes_copy(struct xm_fib *dst, const struct xm_fib *src);

#endif /* XM_MCAST_H */
