/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtnetlink for xmeshd: the interfaces and addresses of the underlay
 * (dumped at start, then followed through the link and address groups),
 * and setting up the xmesh device (create, up, addresses).
 */
#ifndef XMD_RTNL_H
#define XMD_RTNL_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "nl_core.h"
#include "xmesh_parse.h"

/* An interface, from RTM_NEWLINK / RTM_DELLINK. */
struct xmd_ifinfo {
	bool deleted;
	uint32_t ifindex;
	char ifname[IF_NAMESIZE];
	unsigned int flags;		/* IFF_* */
	bool is_xmesh;			/* IFLA_INFO_KIND "xmesh" */
};

/* An address, from RTM_NEWADDR / RTM_DELADDR. */
struct xmd_ifaddr {
	bool deleted;
	uint32_t ifindex;
	struct xm_addr addr;
	uint8_t len;
	uint8_t scope;
	uint32_t flags;			/* IFA_F_*, from IFA_FLAGS if given */
};

/* Parse one message: 1 if it is of the kind, 0 if another kind, -EINVAL
 * if malformed. */
int xmd_rtnl_parse_link(const struct nlmsghdr *nlh, struct xmd_ifinfo *out);
int xmd_rtnl_parse_addr(const struct nlmsghdr *nlh, struct xmd_ifaddr *out);

/* Called for each interface and address (dump or event). */
struct xmd_rtnl_cb {
	void (*link)(void *data, const struct xmd_ifinfo *i);
	void (*addr)(void *data, const struct xmd_ifaddr *a);
	void *data;
};

/* Dump every interface, then every address of family (AF_INET or
 * AF_INET6), through cb. 0 or -errno. */
int xmd_rtnl_dump(struct nlc_sock *s, uint16_t family,
		  const struct xmd_rtnl_cb *cb);
/* A socket in the link group and family's address group. */
int xmd_rtnl_events_open(struct nlc_sock *s, uint16_t family);
/* Read one datagram of events into cb: 1, 0 when none is waiting, or
 * -ENOBUFS when events were lost (dump again), another -errno. */
int xmd_rtnl_events_read(struct nlc_sock *s, const struct xmd_rtnl_cb *cb);
/* Pass every link and address message of one datagram to cb. */
void xmd_rtnl_datagram(const void *buf, size_t len,
		       const struct xmd_rtnl_cb *cb);

/* The xmesh device: create it (type xmesh), bring it up, give it an
 * address (with its prefix length; IPv6 without DAD). 0 or -errno, the
 * kernel's message in e. */
int xmd_rtnl_create_xmesh(struct nlc_sock *s, const char *name,
			  struct nlc_error *e);
int xmd_rtnl_set_up(struct nlc_sock *s, uint32_t ifindex,
		    struct nlc_error *e);
int xmd_rtnl_addr_add(struct nlc_sock *s, uint32_t ifindex,
		      const struct xm_addr *a, uint8_t len,
		      struct nlc_error *e);
/* Remove it (a reload dropped it from the configuration). */
int xmd_rtnl_addr_del(struct nlc_sock *s, uint32_t ifindex,
		      const struct xm_addr *a, uint8_t len,
		      struct nlc_error *e);

#endif /* XMD_RTNL_H */
