// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh underlay socket: the one UDP socket a device sends and receives
 * its frames on, and the send to a neighbor.
 *
 * The UDP source port of a frame carries its flow's hash (as vxlan's does)
 * so the underlay and transit nodes spread flows; the destination port is
 * the neighbor's. Routes to neighbors are cached
 * per neighbor (dst_cache) and bound to the neighbor's underlay interface,
 * which is what keeps two parallel links to one peer apart.
 */
#include <linux/udp.h>
#include <net/ip6_route.h>
#include <net/ipv6_stubs.h>
#include <net/route.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>
#include "xmesh_priv.h"

static struct sock *xmesh_socket_create(struct xmesh_dev *xdev, __be16 port,
					u16 family)
{
	struct udp_tunnel_sock_cfg tunnel_cfg = {
		.sk_user_data = xdev,
		.encap_type = 1,
		.encap_rcv = xmesh_udp_recv,
	};
	struct udp_port_cfg port_cfg = {
		.family = family,
		.local_udp_port = port,
		.ipv6_v6only = 1,
		/* IPv4 frames go without a UDP checksum, as vxlan's do by
		 * default: the inner packets carry their own. IPv6 requires
		 * one.
		 */
		.use_udp6_tx_checksums = 1,
		.use_udp6_rx_checksums = 1,
	};
	struct net *net = dev_net(xdev->dev);
	struct socket *sock;
	int err;

	err = udp_sock_create(net, &port_cfg, &sock);
	if (err)
		return ERR_PTR(err);
	setup_udp_tunnel_sock(net, sock, &tunnel_cfg);
	return sock->sk;
}

static void xmesh_socket_release(struct sock *sk)
{
	if (!sk)
		return;
	udp_tunnel_sock_release(sk->sk_socket);
	/* Frames already in the receive hook may still use the device. */
	synchronize_net();
}

/**
 * xmesh_socket_open - bind the device's socket to a port and family
 * @xdev: the device, its lock held
 * @port: UDP port, network order
 * @family: AF_INET or AF_INET6
 *
 * The new socket is bound before the old one is closed, so a failure
 * (port in use) leaves the device as it was.
 */
int xmesh_socket_open(struct xmesh_dev *xdev, __be16 port, u16 family)
{
	struct sock *sk, *old;

	lockdep_assert_held(&xdev->lock);

	sk = xmesh_socket_create(xdev, port, family);
	if (IS_ERR(sk))
		return PTR_ERR(sk);
	old = rcu_replace_pointer(xdev->sock, sk,
				  lockdep_is_held(&xdev->lock));
	xmesh_socket_release(old);
	return 0;
}

void xmesh_socket_close(struct xmesh_dev *xdev)
{
	lockdep_assert_held(&xdev->lock);

	xmesh_socket_release(rcu_replace_pointer(xdev->sock, NULL,
				lockdep_is_held(&xdev->lock)));
}

static int xmesh_send4(struct xmesh_dev *xdev, struct sock *sk,
		       struct xmesh_neigh *neigh, struct sk_buff *skb,
		       __be16 sport, u8 tos)
{
	struct flowi4 fl = {
		.saddr = neigh->local.v4,
		.daddr = neigh->key.addr.v4,
		.flowi4_oif = neigh->key.link,
		.flowi4_proto = IPPROTO_UDP,
		.fl4_sport = sport,
		.fl4_dport = neigh->port,
	};
	struct rtable *rt;

	rt = dst_cache_get_ip4(&neigh->dst_cache, &fl.saddr);
	if (!rt) {
		rt = ip_route_output_key(sock_net(sk), &fl);
		if (IS_ERR(rt))
			return PTR_ERR(rt);
		dst_cache_set_ip4(&neigh->dst_cache, &rt->dst, fl.saddr);
	}

	skb->ignore_df = 1;
	udp_tunnel_xmit_skb(rt, sk, skb, fl.saddr, fl.daddr, tos,
			    ip4_dst_hoplimit(&rt->dst), 0, fl.fl4_sport,
			    fl.fl4_dport, false, true);
	return 0;
}

static int xmesh_send6(struct xmesh_dev *xdev, struct sock *sk,
		       struct xmesh_neigh *neigh, struct sk_buff *skb,
		       __be16 sport, u8 tos)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct flowi6 fl = {
		.saddr = neigh->local.v6,
		.daddr = neigh->key.addr.v6,
		.flowi6_oif = neigh->key.link,
		.flowi6_proto = IPPROTO_UDP,
		.fl6_sport = sport,
		.fl6_dport = neigh->port,
	};
	struct dst_entry *dst;

	dst = dst_cache_get_ip6(&neigh->dst_cache, &fl.saddr);
	if (!dst) {
		dst = ipv6_stub->ipv6_dst_lookup_flow(sock_net(sk), sk, &fl,
						      NULL);
		if (IS_ERR(dst))
			return PTR_ERR(dst);
		dst_cache_set_ip6(&neigh->dst_cache, dst, &fl.saddr);
	}

	skb->ignore_df = 1;
	/*
	 * Unlike iptunnel_xmit() on the IPv4 side, udp_tunnel6_xmit_skb()
	 * sets the new dst without releasing the one a local packet still
	 * carries (the overlay route through xmesh0): drop it here, or it
	 * leaks.
	 */
	skb_dst_drop(skb);
	udp_tunnel6_xmit_skb(dst, sk, skb, skb->dev, &fl.saddr, &fl.daddr,
			     tos, ip6_dst_hoplimit(dst), 0, fl.fl6_sport,
			     fl.fl6_dport, false);
	return 0;
#else
	return -EAFNOSUPPORT;
#endif
}

/**
 * xmesh_socket_send - send a frame, xmesh header in front, to a neighbor
 * @xdev: the device
 * @neigh: the neighbor
 * @skb: the frame; consumed in every case. skb->dev is the xmesh device
 *	 for packets this host sends, whose tunnel statistics it then
 *	 counts (`ip -s link`), and NULL for forwarded and OAM frames.
 * @sport: UDP source port, the flow's entropy
 * @tos: DS field of the outer header
 *
 * Context: RCU read side, BHs disabled.
 * Return: 0 when handed to the underlay, else a negative errno (the caller
 * counts the drop).
 */
int xmesh_socket_send(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
		      struct sk_buff *skb, __be16 sport, u8 tos)
{
	struct sock *sk = rcu_dereference(xdev->sock);
	unsigned int len = skb->len;
	int err;

	if (unlikely(!sk)) {
		err = -ENETDOWN;
		goto err;
	}

	if (neigh->key.family == AF_INET)
		err = xmesh_send4(xdev, sk, neigh, skb, sport, tos);
	else
		err = xmesh_send6(xdev, sk, neigh, skb, sport, tos);
	if (err)
		goto err;
	xmesh_neigh_count(neigh, XMESH_NSTAT_TX_PACKETS, len);
	return 0;

err:
	xmesh_neigh_count(neigh, XMESH_NSTAT_DROPS, 0);
	kfree_skb(skb);
	return err;
}
