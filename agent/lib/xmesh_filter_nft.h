/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The filter rules (xmesh_filter.h) as an nftables table of xmesh's own,
 * "xmesh" of family inet, built with libnftnl and replaced whole in one
 * batch: one transaction, so packets see the old rules or the new ones,
 * never a mix nor none (Documentation/filter.md).
 *
 * What the rules need of the mesh comes from the module's tables: this
 * node's id, each node's zone and roles (the node table) and the overlay
 * prefixes of each node (the prefix table).
 */
#ifndef XMESH_FILTER_NFT_H
#define XMESH_FILTER_NFT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "xmesh_filter.h"

#define XM_NFT_TABLE	"xmesh"

struct xm_nft_node {
	uint32_t id;
	uint16_t zone, roles;
};

struct xm_nft_prefix {
	struct xm_addr addr;
	uint8_t len;
	uint32_t node;
};

struct xm_nft_view {
	const char *ifname;		/* the xmesh device */
	uint32_t self;			/* this node's id */
	const struct xm_nft_node *nodes;
	size_t n_nodes;
	const struct xm_nft_prefix *prefixes;
	size_t n_prefixes;
};

/* A built batch: messages for one sendmsg. */
struct xm_nft_batch {
	char *buf;
	size_t len, cap;
	uint32_t seq, last_seq;		/* last_seq: the one acked */
	unsigned int n_rules;		/* nftables rules in it */
};

/*
 * Build the batch that replaces table "xmesh" with f's rules, as of v.
 * seq: the first message's sequence number. 0 or -ENOMEM.
 */
int xm_nft_build(const struct xm_filter *f, const struct xm_nft_view *v,
		 uint32_t seq, struct xm_nft_batch *b);
/* A batch that deletes table "xmesh" (if it exists). */
int xm_nft_build_delete(uint32_t seq, struct xm_nft_batch *b);
void xm_nft_batch_free(struct xm_nft_batch *b);

/* Send the batch and wait for its outcome: 0, or -errno with err set. */
int xm_nft_commit(const struct xm_nft_batch *b, char *err, size_t err_len);

/* What a rule of the file has counted, summed over its nftables rules. */
struct xm_nft_count {
	unsigned int line;		/* 0: the policy */
	uint64_t packets, bytes;
};

/*
 * The counters of table "xmesh", by line of the file (sorted): *out
 * malloc'ed. -ENOENT when there is no such table.
 */
int xm_nft_counters(struct xm_nft_count **out, size_t *n);

#endif /* XMESH_FILTER_NFT_H */
