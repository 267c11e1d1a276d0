// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh receive: frames arriving on the underlay UDP socket.
 *
 * validate -> identify the neighbor -> open a sealed frame with the
 * neighbor's receive key (crypto.c), and a DATA frame for this node's
 * origin seal with its source node's origin key -> for this node: decapsulate and
 * deliver on xmesh0 through GRO; for another node: decrement the hop
 * limit and send on to the next hop (sealed again for it), all inside the
 * kernel, without the inner packet ever entering this host's IP stack. OAM
 * frames go to oam.c; link probes there whatever their destination, as
 * they are never forwarded.
 */
#include <linux/hash.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/ip_tunnels.h>
#include <net/udp_tunnel.h>
#include "xmesh_priv.h"

#define XMESH_HLEN	(sizeof(struct udphdr) + sizeof(struct xmesh_hdr))

static void xmesh_neigh_key_from_skb(struct xmesh_neigh_key *key,
				     struct sk_buff *skb)
{
	memset(key, 0, sizeof(*key));
	key->link = skb->skb_iif;
	if (ip_hdr(skb)->version == 4) {
		key->family = AF_INET;
		key->addr.v4 = ip_hdr(skb)->saddr;
	} else {
		key->family = AF_INET6;
		key->addr.v6 = ipv6_hdr(skb)->saddr;
	}
}

/*
 * The protocol of the packet after the xmesh header, from its version
 * nibble, once its IP header is known to be whole and its length sane;
 * the frame is trimmed to that length. 0 when it is not IPv4 or IPv6.
 */
static __be16 xmesh_inner_protocol(struct sk_buff *skb, unsigned int off)
{
	unsigned int len;

	if (!pskb_may_pull(skb, off + 1))
		return 0;
	switch (skb->data[off] >> 4) {
	case 4: {
		const struct iphdr *iph;

		if (!pskb_may_pull(skb, off + sizeof(*iph)))
			return 0;
		iph = (const struct iphdr *)(skb->data + off);
		len = ntohs(iph->tot_len);
		if (iph->ihl < 5 || len < iph->ihl * 4 || off + len > skb->len)
			return 0;
		if (pskb_trim_rcsum(skb, off + len))
			return 0;
		return htons(ETH_P_IP);
	}
	case 6: {
		const struct ipv6hdr *ip6h;

		if (!pskb_may_pull(skb, off + sizeof(*ip6h)))
			return 0;
		ip6h = (const struct ipv6hdr *)(skb->data + off);
		len = sizeof(*ip6h) + ntohs(ip6h->payload_len);
		/* A jumbogram (payload_len 0) is not something we carry. */
		if (!ip6h->payload_len || off + len > skb->len)
			return 0;
		if (pskb_trim_rcsum(skb, off + len))
			return 0;
		return htons(ETH_P_IPV6);
	}
	default:
		return 0;
	}
}

/*
 * Whether the inner packet at @off (whole, its protocol @proto) comes from
 * an address of node @src: the longest prefix covering its source address
 * must be one of @src's, as WireGuard's allowed IPs. Only an authenticated
 * frame's source node means anything.
 */
static bool xmesh_inner_source_ok(struct xmesh_dev *xdev,
				  const struct sk_buff *skb, unsigned int off,
				  __be16 proto, u32 src)
{
	union xmesh_addr saddr = { };
	u16 family;

	if (proto == htons(ETH_P_IP)) {
		family = AF_INET;
		saddr.v4 = ((const struct iphdr *)(skb->data + off))->saddr;
	} else {
		family = AF_INET6;
		saddr.v6 = ((const struct ipv6hdr *)(skb->data + off))->saddr;
	}
	return xmesh_prefix_lookup(&xdev->prefixes, family, &saddr) == src;
}

/* Decapsulate a data frame addressed to this node and deliver it. */
static int xmesh_deliver(struct xmesh_dev *xdev, struct sk_buff *skb,
			 u32 src, u32 self, bool sealed)
{
	struct net_device *dev = xdev->dev;
	u32 src_attrs, mask, priority;
	__be16 proto;
	int reason;

	/* skb->data at the UDP header: the class, read before both go. */
	priority = xmesh_tclass_priority(((struct xmesh_hdr *)
					  (udp_hdr(skb) + 1))->tclass);
	proto = xmesh_inner_protocol(skb, XMESH_HLEN);
	if (unlikely(!proto))
		return XMESH_DROP_A_BAD_INNER;
	if (sealed && unlikely(!xmesh_inner_source_ok(xdev, skb, XMESH_HLEN,
						      proto, src)))
		return XMESH_DROP_A_SPOOFED_SOURCE;
	reason = xmesh_filter_check(xdev, src, self, sealed, &src_attrs);
	if (unlikely(reason))
		return reason;
	/* The socket and the device share a netns (the device cannot move). */
	if (unlikely(iptunnel_pull_header(skb, XMESH_HLEN, proto, false)))
		return XMESH_DROP_A_NOMEM;

	skb_reset_network_header(skb);
	skb_reset_mac_header(skb);
	skb->dev = dev;
	skb->pkt_type = PACKET_HOST;
	mask = READ_ONCE(xdev->filter.mark_mask);
	if (mask)
		skb->mark = xmesh_filter_mark(skb->mark, mask, src_attrs);
	/* The class the sender chose, for filter rules (meta priority) and
	 * the qdiscs of a route onwards: as it was sent with.
	 */
	skb->priority = priority;

	xmesh_count(xdev, XMESH_COUNTER_A_RX_PACKETS, 1);
	xmesh_count(xdev, XMESH_COUNTER_A_RX_BYTES, skb->len);
	dev_sw_netstats_rx_add(dev, skb->len);
	gro_cells_receive(&xdev->gro_cells, skb);
	return 0;
}

/*
 * Prepare a frame in transit (skb->data at its UDP header) for the next
 * hop: the hop limit decremented, this host's state dropped. Return: 0 or
 * XMESH_DROP_A_NOMEM, skb->data at the xmesh header.
 */
static int xmesh_forward_prepare(struct sk_buff *skb)
{
	struct xmesh_hdr *hdr;

	__skb_pull(skb, sizeof(struct udphdr));
	if (unlikely(skb_ensure_writable(skb, sizeof(*hdr))))
		return XMESH_DROP_A_NOMEM;
	hdr = (struct xmesh_hdr *)skb->data;
	hdr->hop_limit--;

	skb_dst_drop(skb);
	nf_reset_ct(skb);
	skb->dev = NULL;	/* not this host's traffic: see xmesh_socket_send */
	if (skb->ip_summed != CHECKSUM_PARTIAL)
		skb->ip_summed = CHECKSUM_NONE;
	return 0;
}

/* Send a frame for another node on, inside the kernel. */
static int xmesh_forward(struct xmesh_dev *xdev, struct sk_buff *skb,
			 u32 src, u32 dst, bool sealed)
{
	__be16 sport = udp_hdr(skb)->source;
	struct xmesh_neigh *neigh;
	struct xmesh_hdr *hdr;
	u32 src_attrs;
	int reason;

	hdr = (struct xmesh_hdr *)(udp_hdr(skb) + 1);
	if (hdr->type == XMESH_PKT_DATA) {
		/* An origin-sealed packet is its source's and destination's:
		 * passed on untouched, checked where it is delivered.
		 */
		if (!(hdr->flags & XMESH_HDR_F_ORIGIN)) {
			skb->protocol = xmesh_inner_protocol(skb, XMESH_HLEN);
			if (unlikely(!skb->protocol))
				return XMESH_DROP_A_BAD_INNER;
		}
		reason = xmesh_filter_check(xdev, src, dst, sealed,
					    &src_attrs);
		if (unlikely(reason))
			return reason;
		hdr = (struct xmesh_hdr *)(udp_hdr(skb) + 1);
	}

	if (unlikely(hdr->hop_limit <= 1)) {
		if (hdr->type == XMESH_PKT_OAM)
			xmesh_oam_answer(xdev, skb, XMESH_OAM_TIME_EXCEEDED);
		return XMESH_DROP_A_HOP_LIMIT;
	}

	/* The incoming source port carries the flow hash: keep the flow on
	 * one path here too.
	 */
	neigh = xmesh_next_hop(xdev, dst, hdr->tclass,
			       hash_32(ntohs(sport), 32), &reason);
	if (unlikely(!neigh)) {
		if (hdr->type == XMESH_PKT_OAM)
			xmesh_oam_answer(xdev, skb, XMESH_OAM_UNREACHABLE);
		return reason;
	}

	reason = xmesh_forward_prepare(skb);
	if (unlikely(reason))
		return reason;

	/* The frame is gone either way: its drop, if any, is counted. */
	__xmesh_send_frame(xdev, neigh, skb, sport, READ_ONCE(xdev->security),
			   false, XMESH_COUNTER_A_FWD_PACKETS, skb->len);
	return 0;
}

/* Send one copy of a multicast frame in transit to neighbor @id. */
static void xmesh_mcast_forward_one(struct xmesh_dev *xdev,
				    struct xmesh_mroute *mr,
				    struct sk_buff *skb, u32 id, __be16 sport)
{
	struct xmesh_neigh *neigh = xmesh_neigh_lookup_id(xdev, id);
	unsigned int len;
	int reason;

	if (unlikely(!neigh || !xmesh_neigh_usable(neigh))) {
		reason = XMESH_DROP_A_NO_NEXTHOP;
		goto drop;
	}
	reason = xmesh_forward_prepare(skb);
	if (unlikely(reason))
		goto drop;
	/* The frame is the sender's once handed over: its length first. */
	len = skb->len;
	if (__xmesh_send_frame(xdev, neigh, skb, sport,
			       READ_ONCE(xdev->security), false,
			       XMESH_COUNTER_A_FWD_PACKETS, len))
		xmesh_mroute_count(mr, XMESH_MSTAT_DROPS, 0);
	else
		xmesh_mroute_count(mr, XMESH_MSTAT_TX_PACKETS,
				   len - sizeof(struct xmesh_hdr));
	return;
drop:
	xmesh_mroute_count(mr, XMESH_MSTAT_DROPS, 0);
	xmesh_count_drop(xdev, reason);
	kfree_skb(skb);
}

/*
 * A multicast frame sent by @src down the tree of @root (the header's
 * destination: @src itself on a source tree, the core of a shared one),
 * from neighbor @from: a copy to each branch here but the one it came
 * from, then delivered if this node is a member.
 * Return: 0 when consumed, or the XMESH_DROP_A_* reason to drop it for.
 */
static int xmesh_mcast_recv(struct xmesh_dev *xdev, struct xmesh_neigh *from,
			    struct sk_buff *skb, u32 src, u32 root, u32 self,
			    bool sealed)
{
	__be16 sport = udp_hdr(skb)->source;
	const struct xmesh_mroute_branches *br;
	struct xmesh_mroute_key key = { .root = root };
	u32 ids[XMESH_MAX_MROUTE_NEIGHS];
	unsigned int i, n, hop_drops;
	struct xmesh_mroute *mr;
	u32 back;
	struct sk_buff *copy;
	unsigned int len;
	__be16 proto;
	bool local;
	u8 hop_limit;
	int reason;

	proto = xmesh_inner_protocol(skb, XMESH_HLEN);
	if (unlikely(!proto))
		return XMESH_DROP_A_BAD_INNER;
	if (proto == htons(ETH_P_IP)) {
		key.family = AF_INET;
		key.group.v4 = ((struct iphdr *)(skb->data + XMESH_HLEN))->daddr;
	} else {
		key.family = AF_INET6;
		key.group.v6 = ((struct ipv6hdr *)(skb->data +
						   XMESH_HLEN))->daddr;
	}
	if (unlikely(!xmesh_mcast_group(key.family, &key.group)))
		return XMESH_DROP_A_BAD_INNER;
	/* Checked once for every copy: all of them claim the same source. */
	if (sealed && unlikely(!xmesh_inner_source_ok(xdev, skb, XMESH_HLEN,
						      proto, src)))
		return XMESH_DROP_A_SPOOFED_SOURCE;
	mr = xmesh_mroute_lookup(xdev, &key);
	if (unlikely(!mr))
		return XMESH_DROP_A_NO_MROUTE;

	skb->protocol = proto;
	br = rcu_dereference(mr->branches);
	/*
	 * A source tree carries its root's own frames; a shared tree, its
	 * members' frames sent down from its core, which the header names.
	 */
	if (unlikely(br->shared_root ? br->shared_root != root : root != src)) {
		xmesh_mroute_count(mr, XMESH_MSTAT_DROPS, 0);
		return XMESH_DROP_A_BAD_HEADER;
	}
	back = xmesh_mcast_rpf(br, from->node, from->id);
	if (unlikely(!back)) {
		xmesh_mroute_count(mr, XMESH_MSTAT_DROPS, 0);
		return XMESH_DROP_A_MCAST_RPF;
	}
	hop_limit = ((struct xmesh_hdr *)(udp_hdr(skb) + 1))->hop_limit;
	n = xmesh_mcast_targets(br, back, from->node, hop_limit, false, ids,
				&local, &hop_drops);
	for (i = 0; i < hop_drops; i++) {
		xmesh_mroute_count(mr, XMESH_MSTAT_DROPS, 0);
		xmesh_count_drop(xdev, XMESH_DROP_A_HOP_LIMIT);
	}
	for (i = 0; i < n; i++) {
		/* The frame itself goes last, unless it is delivered here. */
		copy = xmesh_mcast_copy(xdev, mr, &skb, i == n - 1 && !local);
		if (copy)
			xmesh_mcast_forward_one(xdev, mr, copy, ids[i], sport);
	}
	if (!skb)
		return 0;
	if (!local) {
		/* Every copy dropped and counted, or none due here. */
		kfree_skb(skb);
		return 0;
	}
	len = skb->len - XMESH_HLEN;
	reason = xmesh_deliver(xdev, skb, src, self, sealed);
	xmesh_mroute_count(mr, reason ? XMESH_MSTAT_DROPS :
			   XMESH_MSTAT_RX_PACKETS, len);
	return reason;
}

/* Count a dropped frame (on @neigh too, if known) and free it. */
static void xmesh_recv_drop(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
			    struct sk_buff *skb, int reason)
{
	if (neigh)
		xmesh_neigh_count(neigh, XMESH_NSTAT_DROPS, 0);
	xmesh_count_drop(xdev, reason);
	DEV_STATS_INC(xdev->dev, rx_dropped);
	kfree_skb(skb);
}

/*
 * What follows authentication: a frame from @neigh, opened if it was
 * @sealed (or unsealed and accepted so), skb->data at its UDP header.
 * Consumes it.
 */
static void xmesh_recv_opened(struct xmesh_dev *xdev,
			      struct xmesh_neigh *neigh, struct sk_buff *skb,
			      bool sealed)
{
	struct xmesh_hdr *hdr = (struct xmesh_hdr *)(udp_hdr(skb) + 1);
	u32 self, src, dst;
	int reason;

	/* The OAM payload, which validation found there, is read below. */
	if (hdr->type == XMESH_PKT_OAM) {
		if (unlikely(!pskb_may_pull(skb, XMESH_HLEN +
					    sizeof(struct xmesh_oam)))) {
			reason = XMESH_DROP_A_NOMEM;
			goto drop;
		}
		hdr = (struct xmesh_hdr *)(udp_hdr(skb) + 1);
	}
	/* A neighbor marked down carries no data; OAM still passes, so
	 * userspace can probe it back up.
	 */
	if (unlikely(!xmesh_neigh_usable(neigh) &&
		     hdr->type != XMESH_PKT_OAM)) {
		xmesh_recv_drop(xdev, neigh, skb, XMESH_DROP_A_NEIGH_DOWN);
		return;
	}
	xmesh_neigh_count(neigh, XMESH_NSTAT_RX_PACKETS,
			  skb->len - sizeof(struct udphdr));

	self = READ_ONCE(xdev->node_id);
	src = be32_to_cpu(hdr->src_node);
	dst = be32_to_cpu(hdr->dst);
	if (unlikely(!self)) {
		reason = XMESH_DROP_A_NOT_RUNNING;
		goto drop;
	}
	if (unlikely(src == self)) {
		reason = XMESH_DROP_A_LOOP;
		goto drop;
	}

	/* Link probes concern the one adjacency they cross: never forwarded. */
	if (hdr->type == XMESH_PKT_OAM &&
	    xmesh_oam_is_link(((const struct xmesh_oam *)(hdr + 1))->op))
		reason = xmesh_oam_link_recv(xdev, neigh, skb);
	else if (hdr->type == XMESH_PKT_MCAST)
		reason = xmesh_mcast_recv(xdev, neigh, skb, src, dst, self,
					  sealed);
	else if (dst != self)
		reason = xmesh_forward(xdev, skb, src, dst, sealed);
	else if (hdr->type == XMESH_PKT_DATA)
		reason = xmesh_deliver(xdev, skb, src, self, sealed);
	else
		reason = xmesh_oam_recv(xdev, skb);
	if (likely(!reason))
		return;
drop:
	xmesh_recv_drop(xdev, NULL, skb, reason);
}

/*
 * The origin step of an opened frame (skb->data at its UDP header): a
 * DATA frame for this node has its origin seal opened with the origin key
 * of its header's source node; without one, it passes only while the
 * origin switch is off. Frames in transit are left as they are.
 */
static int xmesh_origin_recv(struct xmesh_dev *xdev, struct sk_buff *skb,
			     u8 security)
{
	const struct xmesh_hdr *hdr = (struct xmesh_hdr *)(udp_hdr(skb) + 1);
	struct xmesh_origin *o;

	if (hdr->type != XMESH_PKT_DATA ||
	    be32_to_cpu(hdr->dst) != READ_ONCE(xdev->node_id))
		return 0;
	if (!(hdr->flags & XMESH_HDR_F_ORIGIN))
		return READ_ONCE(xdev->origin) ? XMESH_DROP_A_ORIGIN_MISSING : 0;
	o = xmesh_origin_lookup(xdev, be32_to_cpu(hdr->src_node));
	return xmesh_origin_open(skb, o ? &o->keys : NULL, security);
}

/*
 * Authenticity first, before anything else is believed or counted: open
 * a frame from @neigh (@sealed: its key id is not 0), then its origin
 * seal. A sealed frame is opened whatever the device's security (a node
 * with keys accepts them while it still sends in clear); key id 0 passes
 * only while security is none. Return: 0 or the XMESH_DROP_A_* reason.
 */
static int xmesh_open(struct xmesh_dev *xdev, const struct xmesh_neigh *neigh,
		      struct sk_buff *skb, u8 security, bool sealed)
{
	int reason;

	if (sealed) {
		reason = xmesh_unseal(skb, &neigh->keys, security);
		if (unlikely(reason))
			return reason;
	} else if (unlikely(security != XMESH_SECURITY_NONE)) {
		return XMESH_DROP_A_UNAUTHENTICATED;
	}
	return xmesh_origin_recv(xdev, skb, security);
}

/**
 * xmesh_recv_crypt - open a queued frame (the receive queue's crypto)
 * @xdev: the device
 * @skb: the frame, as xmesh_udp_recv() queued it
 * @cb: its queue state
 *
 * Context: a crypto worker, RCU read side, BHs disabled.
 * Return: 0, or the XMESH_DROP_A_* reason xmesh_recv_finish() counts.
 */
int xmesh_recv_crypt(struct xmesh_dev *xdev, struct sk_buff *skb,
		     const struct xmesh_queue_cb *cb)
{
	struct xmesh_neigh *neigh = xmesh_neigh_lookup_id(xdev, cb->neigh_id);

	if (unlikely(!neigh))
		return XMESH_DROP_A_UNKNOWN_NEIGH;	/* deleted meanwhile */
	return xmesh_open(xdev, neigh, skb, cb->security, true);
}

/**
 * xmesh_recv_finish - deliver or forward an opened frame, in queue order
 * @xdev: the device
 * @skb: the frame; consumed
 * @cb: its queue state, the drop reason if it did not open
 *
 * Context: the ordered worker, RCU read side, BHs disabled.
 */
void xmesh_recv_finish(struct xmesh_dev *xdev, struct sk_buff *skb,
		       const struct xmesh_queue_cb *cb)
{
	struct xmesh_neigh *neigh = xmesh_neigh_lookup_id(xdev, cb->neigh_id);
	int reason = cb->reason;

	if (!reason && unlikely(!neigh))
		reason = XMESH_DROP_A_UNKNOWN_NEIGH;
	if (unlikely(reason)) {
		xmesh_recv_drop(xdev, neigh, skb, reason);
		return;
	}
	xmesh_recv_opened(xdev, neigh, skb, true);
}

/* Queue a sealed frame from @neigh to be opened on any CPU. */
static int xmesh_recv_queue(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
			    struct sk_buff *skb, u8 security)
{
	struct xmesh_queue_cb *cb = xmesh_queue_cb(skb);

	cb->neigh_id = neigh->id;
	cb->security = security;
	/* The underlay device may go while the frame waits; this one not. */
	skb->dev = xdev->dev;
	return xmesh_queue_add(&xdev->rx_queue, skb);
}

/**
 * xmesh_udp_recv - the underlay socket's encap_rcv hook
 * @sk: the device's UDP socket
 * @skb: a frame, skb->data at its UDP header, checksum verified
 *
 * Context: softirq, RCU read side.
 * Return: 0, the frame is always consumed.
 */
int xmesh_udp_recv(struct sock *sk, struct sk_buff *skb)
{
	struct xmesh_dev *xdev = rcu_dereference_sk_user_data(sk);
	struct xmesh_neigh_key key;
	struct xmesh_neigh *neigh;
	struct xmesh_hdr *hdr;
	u8 security;
	bool sealed;
	int reason;

	if (unlikely(!xdev)) {
		kfree_skb(skb);
		return 0;
	}

	if (unlikely(!pskb_may_pull(skb, XMESH_HLEN))) {
		reason = XMESH_DROP_A_TRUNCATED;
		goto drop;
	}
	hdr = (struct xmesh_hdr *)(udp_hdr(skb) + 1);
	reason = xmesh_hdr_validate(hdr, skb->len - sizeof(struct udphdr));
	if (unlikely(reason))
		goto drop;

	xmesh_neigh_key_from_skb(&key, skb);
	neigh = xmesh_neigh_lookup_key(xdev, &key);
	if (unlikely(!neigh)) {
		reason = XMESH_DROP_A_UNKNOWN_NEIGH;
		goto drop;
	}
	sealed = hdr->key_id;
	security = READ_ONCE(xdev->security);
	/* OAM is opened here, never queued, as it is sealed (send.c). Its
	 * type is authenticated only once opened, but it only chooses where
	 * the frame is opened: a forged one gains nothing.
	 */
	if (sealed && hdr->type != XMESH_PKT_OAM &&
	    xmesh_queue_wanted(&xdev->rx_queue)) {
		reason = xmesh_recv_queue(xdev, neigh, skb, security);
		if (unlikely(reason))
			goto drop_neigh;
		return 0;
	}
	reason = xmesh_open(xdev, neigh, skb, security, sealed);
	if (unlikely(reason))
		goto drop_neigh;
	xmesh_recv_opened(xdev, neigh, skb, sealed);
	return 0;

drop_neigh:
	xmesh_recv_drop(xdev, neigh, skb, reason);
	return 0;
drop:
	xmesh_recv_drop(xdev, NULL, skb, reason);
	return 0;
}
