/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xmeshd's zones (Documentation/filter.md): the rules file's zone and
 * role numbers turn each node's certified zone and roles (the link-state
 * database's) into the module's node table; its zone pairs, default and
 * mark mask go into the module as they are.
 */
#ifndef XMD_FILTER_H
#define XMD_FILTER_H

#include <stddef.h>

#include <net/if.h>

#include "core.h"
#include "xmesh_change.h"
#include "xmesh_filter.h"
#include "xmesh_filter_nft.h"

struct xmd_filter {
	struct xm_filter rules;
	bool settings_done;		/* pairs, default, mask installed */
	struct xm_node *installed;	/* the node table, by id */
	size_t n_installed;
	bool installed_ok;		/* false: replace it whole */
	/* The nftables table as last installed, and what it was built of. */
	bool nft_ok;
	struct xm_nft_node *nft_nodes;
	size_t n_nft_nodes;
	struct xm_nft_prefix *nft_prefixes;
	size_t n_nft_prefixes;
	char why[320];			/* the last failure, for reports */
};

/* Where the kernel's tables are: the device, this node, its prefixes. */
struct xmd_filter_dev {
	uint32_t ifindex;
	const char *ifname;
	uint32_t self;
	const struct xm_fib *fib;	/* the prefixes of every node */
};

/* Read and parse path: NULL with why in err (the line of a bad rule). */
struct xmd_filter *xmd_filter_new(const char *path, char *err, size_t len);
/* The same from the text of a rules file (a policy's filter). */
struct xmd_filter *xmd_filter_parse_text(const char *text, char *err,
					 size_t len);
void xmd_filter_free(struct xmd_filter *f);

/*
 * The node table the kernel should have: every node core knows, with its
 * zone and roles numbered by the rules, sorted by id. *out is malloc'ed.
 */
int xmd_filter_nodes(const struct xmd_filter *f, const struct xm_core *core,
		     struct xm_node **out, size_t *n);
/*
 * The changes from have to want (both sorted by id): node-new with
 * replace for new and changed entries, node-del for gone ones, on ifindex.
 * *out is malloc'ed (NULL when nothing changes).
 */
int xmd_filter_node_diff(const struct xm_node *want, size_t n_want,
			 const struct xm_node *have, size_t n_have,
			 uint32_t ifindex, struct xm_change **out, size_t *n);
/*
 * Bring the kernel in line: settings once, then the node table, then,
 * when the file has rules, table inet xmesh (again whenever the nodes'
 * zones, roles or prefixes changed).
 */
int xmd_filter_sync(struct xmd_filter *f, const struct xm_core *core,
		    struct xmnl *nl, const struct xmd_filter_dev *dev);
/*
 * Put next in the kernel in place of cur, whole and at once: its zone
 * pairs, default and mark mask, the node table, and table inet xmesh
 * (deleted when next has no rules). NULL is no filter: no zone pairs,
 * default allow, no mark, no table. When any of it fails, cur is put
 * back and the error returned with why in err: the caller keeps cur.
 * With dev NULL (the tables are not programmed yet) nothing is sent:
 * the next sync installs next.
 */
int xmd_filter_install(struct xmd_filter *cur, struct xmd_filter *next,
		       const struct xm_core *core, struct xmnl *nl,
		       const struct xmd_filter_dev *dev, char *err,
		       size_t len);

#endif /* XMD_FILTER_H */
