/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent protocol's UDP sockets, one per underlay link: bound to the
 * link, in its multicast group, hellos to the group with TTL (hop limit)
 * 1 and no loopback, unicast with 255, and each datagram's arrival
 * interface, destination and TTL read back (IP_PKTINFO, IP_RECVTTL).
 * Documentation/protocol.md has the rules; Documentation/xmeshd.md the
 * addresses.
 */
#ifndef XMD_UDP_H
#define XMD_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "xmesh_parse.h"

#define XMD_GROUP4	"224.0.0.176"
#define XMD_GROUP6	"ff02::176"
#define XMD_TTL_UNICAST	255
#define XMD_TTL_GROUP	1

struct xmd_udp_rx {
	struct xm_addr from, to;	/* source, and header destination */
	uint16_t from_port;
	uint32_t ifindex;		/* arrival interface; 0 if unknown */
	int ttl;			/* -1 if unknown */
};

/* The group of family into a. */
void xmd_udp_group(uint16_t family, struct xm_addr *a);

/* A socket for link ifindex (named ifname); its fd, or -errno. */
int xmd_udp_open(uint16_t family, uint32_t ifindex, const char *ifname,
		 uint16_t port);
/* Send from src over ifindex to dst (family 0: the group). 0 or -errno. */
int xmd_udp_send(int fd, uint32_t ifindex, const struct xm_addr *src,
		 const struct xm_addr *dst, uint16_t port, const void *buf,
		 size_t len);
/* One datagram: its length; -EAGAIN when none waits; -EMSGSIZE when it
 * was larger than len (dropped). */
ssize_t xmd_udp_recv(int fd, void *buf, size_t len, struct xmd_udp_rx *rx);
/*
 * GTSM (RFC 5082): unicast must arrive with TTL 255, which only a sender
 * on the link can achieve; a group message cannot leave the link anyway.
 */
bool xmd_udp_ttl_ok(const struct xmd_udp_rx *rx);

#endif /* XMD_UDP_H */
