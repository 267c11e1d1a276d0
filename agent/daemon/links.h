/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interfaces of this network namespace as rtnetlink reports them, and
 * which of them are underlay links for the agent: the ones named by
 * "link" lines, or without any, every interface with an address of the
 * underlay family (never loopback or an xmesh device).
 */
#ifndef XMD_LINKS_H
#define XMD_LINKS_H

#include "config.h"
#include "rtnl.h"
#include "watch.h"

#define XMD_LINK_ADDRS	16	/* addresses kept per interface */

struct xmd_link {
	struct xmd_watch sock;		/* agent protocol socket; fd -1 */
	void *owner;			/* the daemon, for the handler */
	uint32_t ifindex;
	char ifname[IF_NAMESIZE];
	unsigned int flags;		/* IFF_* */
	bool is_xmesh;
	bool gone;			/* deleted: to be forgotten */
	unsigned int n_addrs;
	struct xmd_ifaddr addrs[XMD_LINK_ADDRS];	/* of the family */
	/* Read from sysfs when it joined or its carrier last came back. */
	uint32_t speed_mbps;
	/* What the core was told: */
	bool in_core;
	struct xm_link_info given;
};

struct xmd_links {
	uint16_t family;		/* of the underlay */
	size_t n, cap;
	struct xmd_link **v;		/* stable: sockets point into them */
};

struct xmd_link *xmd_links_find(const struct xmd_links *ls, uint32_t ifindex);
/* Record an interface (or its deletion: then gone is set). -ENOMEM. */
int xmd_links_update(struct xmd_links *ls, const struct xmd_ifinfo *i);
/* Record an address of an interface already known (others ignored). */
void xmd_links_addr(struct xmd_links *ls, const struct xmd_ifaddr *a);
/* Forget a link that is gone (its socket must be closed). */
void xmd_links_remove(struct xmd_links *ls, struct xmd_link *l);
void xmd_links_free(struct xmd_links *ls);

/* The configuration line for a link, or NULL. */
const struct xmd_link_conf *xmd_link_conf(const struct xmd_config *cfg,
					  const char *ifname);
/*
 * The address hellos go from: the configured one if the link has it,
 * else (IPv4) the first primary address or (IPv6) the first link-local
 * one, never a tentative or failed one. False if none fits.
 */
bool xmd_link_local(const struct xmd_link *l, uint16_t family,
		    const struct xmd_link_conf *conf, struct xm_addr *out);
/* Should the agent run on l (given the xmesh device's ifindex)? */
bool xmd_link_wanted(const struct xmd_link *l, const struct xmd_config *cfg,
		     uint32_t xmesh_ifindex);
bool xmd_link_carrier(const struct xmd_link *l);
/*
 * What the core is to be told of l, a wanted link: its name, address,
 * carrier and bandwidth: the configured one, else its speed, read from
 * sysfs_root when it joins the core or its carrier comes back (kept in
 * l->speed_mbps), else 1000.
 */
void xmd_link_info(struct xmd_link *l, const struct xmd_config *cfg,
		   const char *sysfs_root, struct xm_link_info *out);
/* Speed from sysfs_root/class/net/IF/speed in Mbit/s; 0 if unknown. */
uint32_t xmd_link_speed(const char *sysfs_root, const char *ifname);

#endif /* XMD_LINKS_H */
