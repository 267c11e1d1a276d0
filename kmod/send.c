// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh transmit: packets the host routes into xmesh0, and the shared
 * last step of every frame that leaves this node (local, forwarded, OAM).
 *
 * Local send: inner destination -> prefix (LPM) -> node -> route -> next
 * hop -> xmesh header -> UDP. Unsealed, GSO packets stay whole: the xmesh
 * and UDP headers are marked as a UDP tunnel so segmentation happens only
 * where the frame leaves the mesh host, or not at all over veth. Sealed
 * frames are segmented first (crypto.c), as WireGuard's are.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>
#include "xmesh_priv.h"

/**
 * xmesh_next_hop - the neighbor a frame for @dst leaves through
 * @xdev: the device
 * @dst: destination node
 * @tclass: the frame's traffic class (its header's): picks the class's
 *	route when it has one
 * @hash: the frame's flow hash
 * @drop_reason: set to the XMESH_DROP_A_* reason when NULL is returned
 *
 * Context: RCU read side.
 */
struct xmesh_neigh *xmesh_next_hop(struct xmesh_dev *xdev, u32 dst, u8 tclass,
				   u32 hash, int *drop_reason)
{
	struct xmesh_route *rt =
		xmesh_route_lookup(xdev, dst, xmesh_tclass_sent(tclass));
	struct xmesh_neigh *neigh;

	if (unlikely(!rt)) {
		*drop_reason = XMESH_DROP_A_NO_ROUTE;
		return NULL;
	}
	neigh = xmesh_route_select(rt, hash);
	if (unlikely(!neigh))
		*drop_reason = XMESH_DROP_A_NO_NEXTHOP;
	return neigh;
}

/*
 * Origin-seal a DATA frame this node originates (skb->data at its xmesh
 * header) with the transmit origin key of its destination node: the
 * inner packet encrypted too when the device encrypts.
 */
static int xmesh_originate(struct xmesh_dev *xdev, struct sk_buff *skb,
			   u8 security)
{
	struct xmesh_hdr *hdr = (struct xmesh_hdr *)skb->data;
	struct xmesh_origin *o = xmesh_origin_lookup(xdev,
						     be32_to_cpu(hdr->dst));
	struct xmesh_key *key = o ? rcu_dereference(o->keys.tx) : NULL;

	if (unlikely(!key))
		return XMESH_DROP_A_NO_ORIGIN_KEY;
	return xmesh_origin_seal(skb, key, security != XMESH_SECURITY_ENCRYPT);
}

/*
 * Seal a frame (skb->data at its xmesh header) for @neigh as the device's
 * security says, or mark it unsealed; origin-seal it first if @origin.
 * The key id and auth-only flag it arrived with, if it is forwarded, are
 * this hop's to set; its origin seal, the source node's, is left as is.
 */
static int xmesh_protect(struct xmesh_neigh *neigh, struct sk_buff *skb,
			 u8 security, bool origin)
{
	struct xmesh_hdr *hdr;
	struct xmesh_key *key;
	int reason;

	if (origin) {
		reason = xmesh_originate(neigh->xdev, skb, security);
		if (unlikely(reason))
			return reason;
	}
	hdr = (struct xmesh_hdr *)skb->data;
	if (security == XMESH_SECURITY_NONE) {
		/* An origin seal rides only inside a per-hop one. */
		if (unlikely(hdr->flags & XMESH_HDR_F_ORIGIN))
			return XMESH_DROP_A_NO_KEY;
		hdr->key_id = 0;
		hdr->flags &= ~XMESH_HDR_F_AUTH_ONLY;
		return 0;
	}
	key = rcu_dereference(neigh->keys.tx);
	if (unlikely(!key))
		return XMESH_DROP_A_NO_KEY;
	return xmesh_seal(skb, key, security == XMESH_SECURITY_AUTH);
}

/*
 * The last step of a frame, sealed or marked unsealed: offloads, then the
 * underlay socket; once it is handed over, @len bytes counted in
 * @counter (an XMESH_COUNTER_A_*_PACKETS, its _BYTES next), if not 0.
 */
static int xmesh_send_out(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
			  struct sk_buff *skb, __be16 sport, u8 tclass,
			  int counter, unsigned int len)
{
	skb->encapsulation = 0;
	if (unlikely(udp_tunnel_handle_offloads(skb,
						neigh->key.family == AF_INET6))) {
		xmesh_neigh_count(neigh, XMESH_NSTAT_DROPS, 0);
		xmesh_count_drop(xdev, XMESH_DROP_A_NOMEM);
		kfree_skb(skb);
		return XMESH_DROP_A_NOMEM;
	}

	if (unlikely(xmesh_socket_send(xdev, neigh, skb, sport,
				       xmesh_tclass_dscp(tclass) << 2))) {
		xmesh_count_drop(xdev, XMESH_DROP_A_TX_ERROR);
		return XMESH_DROP_A_TX_ERROR;
	}
	if (counter) {
		xmesh_count(xdev, counter, 1);
		xmesh_count(xdev, counter + 1, len);
	}
	return 0;
}

/* Hand a frame to the transmit queue, to be sealed on any CPU and sent
 * in order by xmesh_send_finish().
 */
static int xmesh_send_queue(struct xmesh_dev *xdev,
			    struct xmesh_neigh *neigh, struct sk_buff *skb,
			    __be16 sport, u8 security, bool origin, u8 tclass,
			    int counter, unsigned int len)
{
	struct xmesh_queue_cb *cb = xmesh_queue_cb(skb);

	cb->neigh_id = neigh->id;
	cb->sport = sport;
	cb->security = security;
	cb->origin = origin;
	cb->tclass = tclass;
	cb->counter = counter;
	cb->len = len;
	return xmesh_queue_add(&xdev->tx_queue, skb);
}

/**
 * __xmesh_send_frame - xmesh_send_frame() with what the caller knows
 * @xdev: the device
 * @neigh: the next hop
 * @skb: the frame, as xmesh_send_frame() takes it; consumed
 * @sport: UDP source port
 * @security: the device's security as the caller read it: a GSO packet
 *	      comes only with XMESH_SECURITY_NONE (xmesh_xmit() segmented it
 *	      for anything else, whatever the setting is by now)
 * @origin: origin-seal the frame (a DATA frame this node originates, the
 *	    device's origin switch on)
 * @counter: the XMESH_COUNTER_A_*_PACKETS to count the frame in once it is
 *	     sent (its _BYTES with @len), or 0
 * @len: the bytes to count
 *
 * Context: RCU read side, BHs disabled.
 * Return: 0 when sent or queued to be sealed, or the XMESH_DROP_A_*
 * reason counted.
 */
int __xmesh_send_frame(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
		       struct sk_buff *skb, __be16 sport, u8 security,
		       bool origin, int counter, unsigned int len)
{
	int headroom = xmesh_overhead(neigh->key.family, security, origin) -
		       sizeof(struct xmesh_hdr) + LL_MAX_HEADER;
	struct xmesh_hdr *hdr;
	int reason;
	u8 tclass;
	u8 type;

	if (unlikely(skb_cow_head(skb, headroom))) {
		reason = XMESH_DROP_A_NOMEM;
		goto drop;
	}
	hdr = (struct xmesh_hdr *)skb->data;
	type = hdr->type;
	/* Policed before it costs a seal; transit keeps the carried class. */
	tclass = xmesh_tclass_sent(hdr->tclass);
	hdr->tclass = tclass;
	reason = xmesh_qos_tx(xdev, skb, tclass);
	if (unlikely(reason))
		goto drop;
	/* OAM (link probes, pings, their answers) is sealed here, never
	 * queued: its round trips are the link metric and must not carry
	 * the queue's wait (see "Crypto queues" in Documentation/xmesh.rst).
	 */
	if (security != XMESH_SECURITY_NONE && type != XMESH_PKT_OAM &&
	    xmesh_queue_wanted(&xdev->tx_queue)) {
		reason = xmesh_send_queue(xdev, neigh, skb, sport, security,
					  origin, tclass, counter, len);
		if (unlikely(reason))
			goto drop;
		return 0;
	}
	reason = xmesh_protect(neigh, skb, security, origin);
	if (unlikely(reason))
		goto drop;

	if (security == XMESH_SECURITY_NONE) {
		/* Inner headers start after the xmesh header. */
		__skb_pull(skb, sizeof(struct xmesh_hdr));
		skb_reset_network_header(skb);
		skb_reset_mac_header(skb);
		if (skb->ip_summed == CHECKSUM_PARTIAL)
			skb_set_transport_header(skb,
						 skb_checksum_start_offset(skb));
		if (type != XMESH_PKT_OAM)
			skb_set_inner_protocol(skb, skb->protocol);
		__skb_push(skb, sizeof(struct xmesh_hdr));
	}
	return xmesh_send_out(xdev, neigh, skb, sport, tclass, counter, len);

drop:
	xmesh_neigh_count(neigh, XMESH_NSTAT_DROPS, 0);
	xmesh_count_drop(xdev, reason);
	kfree_skb(skb);
	return reason;
}

/**
 * xmesh_send_crypt - seal a queued frame (the transmit queue's crypto)
 * @xdev: the device
 * @skb: the frame, as __xmesh_send_frame() queued it
 * @cb: its queue state
 *
 * Context: a crypto worker, RCU read side, BHs disabled.
 * Return: 0, or the XMESH_DROP_A_* reason xmesh_send_finish() counts.
 */
int xmesh_send_crypt(struct xmesh_dev *xdev, struct sk_buff *skb,
		     const struct xmesh_queue_cb *cb)
{
	struct xmesh_neigh *neigh = xmesh_neigh_lookup_id(xdev, cb->neigh_id);

	if (unlikely(!neigh))
		return XMESH_DROP_A_NO_NEXTHOP;	/* deleted meanwhile */
	return xmesh_protect(neigh, skb, cb->security, cb->origin);
}

/**
 * xmesh_send_finish - send a sealed frame, in queue order
 * @xdev: the device
 * @skb: the frame; consumed
 * @cb: its queue state, the drop reason if its sealing failed
 *
 * Context: the ordered worker, RCU read side, BHs disabled.
 */
void xmesh_send_finish(struct xmesh_dev *xdev, struct sk_buff *skb,
		       const struct xmesh_queue_cb *cb)
{
	struct xmesh_neigh *neigh = xmesh_neigh_lookup_id(xdev, cb->neigh_id);
	int reason = cb->reason;

	if (!reason && unlikely(!neigh))
		reason = XMESH_DROP_A_NO_NEXTHOP;
	if (unlikely(reason)) {
		if (neigh)
			xmesh_neigh_count(neigh, XMESH_NSTAT_DROPS, 0);
		xmesh_count_drop(xdev, reason);
		kfree_skb(skb);
		return;
	}
	xmesh_send_out(xdev, neigh, skb, cb->sport, cb->tclass, cb->counter,
		       cb->len);
}

/**
 * xmesh_send_frame - send a frame that starts with its xmesh header
 * @xdev: the device
 * @neigh: the next hop
 * @skb: the frame, skb->data at the xmesh header and skb->protocol the
 *	 inner packet's, not GSO; consumed
 * @sport: UDP source port (the flow's entropy)
 *
 * Seals the frame with the neighbor's transmit key when the device's
 * security asks for it. An unsealed frame's payload is marked as the
 * tunnelled packet, so checksum offload works on the inner packet; then
 * the frame goes to the underlay socket.
 *
 * Return: 0, or the XMESH_DROP_A_* reason counted.
 */
int xmesh_send_frame(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
		     struct sk_buff *skb, __be16 sport)
{
	return __xmesh_send_frame(xdev, neigh, skb, sport,
				  READ_ONCE(xdev->security), false, 0, 0);
}

static bool xmesh_inner_daddr(struct sk_buff *skb, u16 *family,
			      union xmesh_addr *daddr)
{
	memset(daddr, 0, sizeof(*daddr));
	switch (skb->protocol) {
	case htons(ETH_P_IP):
		if (!pskb_network_may_pull(skb, sizeof(struct iphdr)))
			return false;
		*family = AF_INET;
		daddr->v4 = ip_hdr(skb)->daddr;
		return true;
	case htons(ETH_P_IPV6):
		if (!pskb_network_may_pull(skb, sizeof(struct ipv6hdr)))
			return false;
		*family = AF_INET6;
		daddr->v6 = ipv6_hdr(skb)->daddr;
		return true;
	default:
		return false;
	}
}

/* Tell the sender why its packet went nowhere, as a router would. */
static void xmesh_icmp_unreachable(struct sk_buff *skb, u16 family)
{
	if (family == AF_INET)
		icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
	else
		icmpv6_ndo_send(skb, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH,
				0);
}

/*
 * Whether @skb fits the next hop's link. An IPv4 packet without DF may be
 * fragmented by the underlay; anything else too big is answered with
 * frag-needed / packet-too-big carrying the MTU that fits.
 */
static bool xmesh_fits(struct sk_buff *skb, u16 family,
		       const struct xmesh_neigh *neigh, u8 security,
		       bool origin)
{
	unsigned int overhead = xmesh_overhead(neigh->key.family, security,
					       origin);
	unsigned int link_mtu = READ_ONCE(neigh->link_mtu);
	unsigned int mtu;

	if (link_mtu <= overhead)
		return true;	/* unknown: let the underlay decide */
	mtu = link_mtu - overhead;

	if (skb_is_gso(skb) ? skb_gso_validate_network_len(skb, mtu) :
			      skb->len <= mtu)
		return true;
	/* A local sender learns the path MTU from its route at once, as
	 * with other tunnels; the ICMP error tells everyone else.
	 */
	if (skb_dst(skb))
		skb_dst_update_pmtu_no_confirm(skb, mtu);
	if (family == AF_INET) {
		if (!(ip_hdr(skb)->frag_off & htons(IP_DF)))
			return true;
		icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
			      htonl(mtu));
	} else {
		icmpv6_ndo_send(skb, ICMPV6_PKT_TOOBIG, 0,
				max_t(unsigned int, mtu, IPV6_MIN_MTU));
	}
	return false;
}

/*
 * Put an xmesh header of @type on one packet for @node (for a multicast
 * frame: the tree's root, this node) and send it to @neigh.
 * Return: 0, or the XMESH_DROP_A_* reason counted.
 */
static int xmesh_xmit_one(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
			  struct sk_buff *skb, u8 type, u32 self, u32 node,
			  __be16 sport, u8 security, bool origin, u8 tclass)
{
	unsigned int len = skb->len;
	struct xmesh_hdr *hdr;

	if (unlikely(skb_cow_head(skb, sizeof(*hdr)))) {
		xmesh_count_drop(xdev, XMESH_DROP_A_NOMEM);
		DEV_STATS_INC(xdev->dev, tx_dropped);
		kfree_skb(skb);
		return XMESH_DROP_A_NOMEM;
	}
	hdr = skb_push(skb, sizeof(*hdr));
	xmesh_hdr_init(hdr, type, READ_ONCE(xdev->hop_limit), tclass, self,
		       node);

	/* The tunnel core counts the device's own statistics. */
	return __xmesh_send_frame(xdev, neigh, skb, sport, security, origin,
				  XMESH_COUNTER_A_TX_PACKETS, len);
}

/*
 * Send one packet of this node's own down its tree: a copy to each branch
 * of the multicast route of (this node, group). Consumes @skb.
 */
static void xmesh_mcast_xmit_one(struct xmesh_dev *xdev,
				 struct xmesh_mroute *mr, struct sk_buff *skb,
				 u32 self, __be16 sport, u8 security,
				 u8 tclass)
{
	const struct xmesh_mroute_branches *br = rcu_dereference(mr->branches);
	/* The tree's root, which the frames name: a shared tree's core. */
	u32 root = br->shared_root ?: self;
	u32 ids[XMESH_MAX_MROUTE_NEIGHS];
	unsigned int i, n, unused;
	struct xmesh_neigh *neigh;
	struct sk_buff *copy;
	unsigned int len;
	bool local;

	n = xmesh_mcast_targets(br, 0, 0, 0, true, ids, &local, &unused);
	for (i = 0; i < n; i++) {
		len = skb->len;
		neigh = xmesh_neigh_lookup_id(xdev, ids[i]);
		if (unlikely(!neigh || !xmesh_neigh_usable(neigh))) {
			xmesh_mroute_count(mr, XMESH_MSTAT_DROPS, 0);
			xmesh_count_drop(xdev, XMESH_DROP_A_NO_NEXTHOP);
			continue;
		}
		/* The last copy is the packet itself. */
		copy = xmesh_mcast_copy(xdev, mr, &skb, i == n - 1);
		if (!copy)
			continue;
		/* Multicast carries no origin seal: one frame, many
		 * destinations.
		 */
		if (xmesh_xmit_one(xdev, neigh, copy, XMESH_PKT_MCAST, self,
				   root, sport, security, false, tclass))
			xmesh_mroute_count(mr, XMESH_MSTAT_DROPS, 0);
		else
			xmesh_mroute_count(mr, XMESH_MSTAT_TX_PACKETS, len);
	}
	/* No branch, or the last one's neighbor was down (counted). */
	kfree_skb(skb);
}

/*
 * A packet to an overlay multicast group: down this node's own tree of
 * the group (the multicast route rooted here). Consumes @skb.
 */
static void xmesh_mcast_xmit(struct xmesh_dev *xdev, struct sk_buff *skb,
			     u16 family, const union xmesh_addr *group,
			     u32 self)
{
	struct xmesh_mroute_key key = { .group = *group, .family = family,
					.root = self };
	struct sk_buff *segs, *next;
	struct xmesh_mroute *mr;
	__be16 sport;
	u8 security;
	u8 tclass;

	mr = xmesh_mroute_lookup(xdev, &key);
	if (unlikely(!mr)) {
		xmesh_count_drop(xdev, XMESH_DROP_A_NO_MROUTE);
		DEV_STATS_INC(xdev->dev, tx_dropped);
		kfree_skb(skb);
		return;
	}
	sport = udp_flow_src_port(dev_net(xdev->dev), skb, 0, 0, true);
	tclass = xmesh_qos_classify(xdev, skb, family, group);
	security = READ_ONCE(xdev->security);
	if (security == XMESH_SECURITY_NONE || !skb_is_gso(skb)) {
		xmesh_mcast_xmit_one(xdev, mr, skb, self, sport, security,
				     tclass);
		return;
	}
	segs = skb_gso_segment(skb, 0);
	if (IS_ERR_OR_NULL(segs)) {
		xmesh_count_drop(xdev, XMESH_DROP_A_NOMEM);
		kfree_skb(skb);
		return;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, skb, next) {
		skb_mark_not_on_list(skb);
		xmesh_mcast_xmit_one(xdev, mr, skb, self, sport, security,
				     tclass);
	}
}

netdev_tx_t xmesh_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct xmesh_dev *xdev = netdev_priv(dev);
	struct sk_buff *segs, *next;
	struct xmesh_neigh *neigh;
	union xmesh_addr daddr;
	u32 self, node;
	__be16 sport;
	int reason;
	bool origin;
	u16 family;
	u8 security;
	u8 tclass;

	rcu_read_lock();
	if (unlikely(!xmesh_inner_daddr(skb, &family, &daddr))) {
		reason = XMESH_DROP_A_BAD_INNER;
		goto drop;
	}

	self = READ_ONCE(xdev->node_id);
	if (xmesh_mcast_group(family, &daddr) && likely(self)) {
		xmesh_mcast_xmit(xdev, skb, family, &daddr, self);
		rcu_read_unlock();
		return NETDEV_TX_OK;
	}
	node = xmesh_prefix_lookup(&xdev->prefixes, family, &daddr);
	if (unlikely(!node || !self)) {
		reason = self ? XMESH_DROP_A_NO_PREFIX :
				XMESH_DROP_A_NOT_RUNNING;
		xmesh_icmp_unreachable(skb, family);
		goto drop;
	}
	if (unlikely(node == self)) {
		/* Our own prefix belongs on a local route, not on xmesh0. */
		reason = XMESH_DROP_A_LOOP;
		goto drop;
	}

	/* Classified first: the class picks the route. */
	tclass = xmesh_qos_classify(xdev, skb, family, &daddr);
	neigh = xmesh_next_hop(xdev, node, tclass, skb_get_hash(skb), &reason);
	if (unlikely(!neigh)) {
		xmesh_icmp_unreachable(skb, family);
		goto drop;
	}
	security = READ_ONCE(xdev->security);
	origin = READ_ONCE(xdev->origin);
	if (unlikely(!xmesh_fits(skb, family, neigh, security, origin))) {
		reason = XMESH_DROP_A_TOO_BIG;
		goto drop;
	}
	sport = udp_flow_src_port(dev_net(dev), skb, 0, 0, true);

	/* A GSO packet is sealed segment by segment: each is one frame. */
	if ((security == XMESH_SECURITY_NONE && !origin) || !skb_is_gso(skb)) {
		xmesh_xmit_one(xdev, neigh, skb, XMESH_PKT_DATA, self, node,
			       sport, security, origin, tclass);
		rcu_read_unlock();
		return NETDEV_TX_OK;
	}
	segs = skb_gso_segment(skb, 0);
	if (IS_ERR_OR_NULL(segs)) {
		reason = XMESH_DROP_A_NOMEM;
		goto drop;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, skb, next) {
		skb_mark_not_on_list(skb);
		xmesh_xmit_one(xdev, neigh, skb, XMESH_PKT_DATA, self, node,
			       sport, security, origin, tclass);
	}
	rcu_read_unlock();
	return NETDEV_TX_OK;

drop:
	xmesh_count_drop(xdev, reason);
	DEV_STATS_INC(dev, tx_dropped);
	rcu_read_unlock();
	kfree_skb(skb);
	return NETDEV_TX_OK;
}
