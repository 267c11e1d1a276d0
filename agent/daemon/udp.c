// SPDX-License-Identifier: GPL-2.0
#include "udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/pkt_sched.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TOS_CONTROL	0xc0	/* CS6: network control */

void xmd_udp_group(uint16_t family, struct xm_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	inet_pton(family, family == AF_INET ? XMD_GROUP4 : XMD_GROUP6,
		  a->raw);
}

static int opt(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v)) ? -errno : 0;
}

static int setup4(int fd, uint32_t ifindex, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	struct ip_mreqn mr = { .imr_ifindex = (int)ifindex };
	struct xm_addr g;
	int err;

	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return -errno;
	xmd_udp_group(AF_INET, &g);
	mr.imr_multiaddr = g.v4;
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)))
		return -errno;
	mr.imr_multiaddr.s_addr = 0;
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)))
		return -errno;
	if ((err = opt(fd, IPPROTO_IP, IP_MULTICAST_TTL, XMD_TTL_GROUP)) ||
	    (err = opt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0)) ||
	    (err = opt(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0)) ||
	    (err = opt(fd, IPPROTO_IP, IP_TTL, XMD_TTL_UNICAST)) ||
	    (err = opt(fd, IPPROTO_IP, IP_PKTINFO, 1)) ||
	    (err = opt(fd, IPPROTO_IP, IP_RECVTTL, 1)))
		return err;
	opt(fd, IPPROTO_IP, IP_TOS, TOS_CONTROL);	/* best effort */
	return 0;
}

static int setup6(int fd, uint32_t ifindex, uint16_t port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(port) };
	struct ipv6_mreq mr = { .ipv6mr_interface = ifindex };
	struct xm_addr g;
	int err;

	if ((err = opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)))
		return err;
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)))
		return -errno;
	xmd_udp_group(AF_INET6, &g);
	mr.ipv6mr_multiaddr = g.v6;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)))
		return -errno;
	if ((err = opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, (int)ifindex)) ||
	    (err = opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS,
		       XMD_TTL_GROUP)) ||
	    (err = opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0)) ||
	    (err = opt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS,
		       XMD_TTL_UNICAST)) ||
	    (err = opt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)) ||
	    (err = opt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)))
		return err;
	opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0);	/* since 4.20 */
	opt(fd, IPPROTO_IPV6, IPV6_TCLASS, TOS_CONTROL);
	return 0;
}

int xmd_udp_open(uint16_t family, uint32_t ifindex, const char *ifname,
		 uint16_t port)
{
	int fd, err;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Bound to the link: one socket per link on the same port, and
	 * what arrives on a socket came in over its link. */
	if ((err = opt(fd, SOL_SOCKET, SO_REUSEADDR, 1)))
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
		       (socklen_t)strlen(ifname))) {
		err = -errno;
		goto fail;
	}
	err = family == AF_INET ? setup4(fd, ifindex, port) :
				  setup6(fd, ifindex, port);
	if (err)
		goto fail;
	/* After IP_TOS, which resets it: the underlay qdisc (qdisc.c) puts
	 * TC_PRIO_CONTROL first, with the module's network-control class.
	 * Best effort: it takes CAP_NET_ADMIN.
	 */
	opt(fd, SOL_SOCKET, SO_PRIORITY, TC_PRIO_CONTROL);
	return fd;
fail:
	close(fd);
	return err;
}

int xmd_udp_send(int fd, uint32_t ifindex, const struct xm_addr *src,
		 const struct xm_addr *dst, uint16_t port, const void *buf,
		 size_t len)
{
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} sa;
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_name = &sa, .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = cbuf };
	struct cmsghdr *cm = (struct cmsghdr *)cbuf;
	struct xm_addr to = *dst;
	ssize_t n;

	if (!to.family)
		xmd_udp_group(src->family, &to);
	if (to.family != src->family)
		return -EAFNOSUPPORT;
	memset(&sa, 0, sizeof(sa));
	/* The source address and link are set per message: the socket is
	 * unbound so that it receives the group's messages too. */
	if (to.family == AF_INET) {
		struct in_pktinfo pi = { .ipi_ifindex = (int)ifindex,
					 .ipi_spec_dst = src->v4 };

		sa.v4.sin_family = AF_INET;
		sa.v4.sin_port = htons(port);
		sa.v4.sin_addr = to.v4;
		m.msg_namelen = sizeof(sa.v4);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		m.msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = src->v6,
					  .ipi6_ifindex = ifindex };

		sa.v6.sin6_family = AF_INET6;
		sa.v6.sin6_port = htons(port);
		sa.v6.sin6_addr = to.v6;
		if (IN6_IS_ADDR_LINKLOCAL(&to.v6) ||
		    IN6_IS_ADDR_MC_LINKLOCAL(&to.v6))
			sa.v6.sin6_scope_id = ifindex;
		m.msg_namelen = sizeof(sa.v6);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		m.msg_controllen = CMSG_SPACE(sizeof(pi));
	}
	do {
		n = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

ssize_t xmd_udp_recv(int fd, void *buf, size_t len, struct xmd_udp_rx *rx)
{
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} sa;
	char cbuf[256];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_name = &sa, .msg_namelen = sizeof(sa),
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n;

	do {
		n = recvmsg(fd, &m, MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	memset(rx, 0, sizeof(*rx));
	rx->ttl = -1;
	if (m.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	if (sa.v4.sin_family == AF_INET && m.msg_namelen >= sizeof(sa.v4)) {
		rx->from.family = AF_INET;
		rx->from.v4 = sa.v4.sin_addr;
		rx->from_port = ntohs(sa.v4.sin_port);
	} else if (sa.v6.sin6_family == AF_INET6 &&
		   m.msg_namelen >= sizeof(sa.v6)) {
		rx->from.family = AF_INET6;
		rx->from.v6 = sa.v6.sin6_addr;
		rx->from_port = ntohs(sa.v6.sin6_port);
	}
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			rx->ifindex = (uint32_t)pi.ipi_ifindex;
			rx->to.family = AF_INET;
			rx->to.v4 = pi.ipi_addr;
		} else if (cm->cmsg_level == IPPROTO_IP &&
			   cm->cmsg_type == IP_TTL &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&rx->ttl, CMSG_DATA(cm), sizeof(int));
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
			   cm->cmsg_type == IPV6_PKTINFO &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			rx->ifindex = pi.ipi6_ifindex;
			rx->to.family = AF_INET6;
			rx->to.v6 = pi.ipi6_addr;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
			   cm->cmsg_type == IPV6_HOPLIMIT &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&rx->ttl, CMSG_DATA(cm), sizeof(int));
		}
	}
	return n;
}

bool xmd_udp_ttl_ok(const struct xmd_udp_rx *rx)
{
	struct xm_addr g;

	if (!rx->to.family)
		return false;
	xmd_udp_group(rx->to.family, &g);
	if (!memcmp(rx->to.raw, g.raw, xm_addr_len(g.family)))
		return true;
	return rx->ttl == XMD_TTL_UNICAST;
}
