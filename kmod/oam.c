// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh OAM: mesh-level ping and traceroute.
 *
 * userspace asks (XMESH_CMD_OAM_SEND) for an echo request to a node; the
 * destination's module answers it, a transit node whose hop limit runs
 * out answers TIME_EXCEEDED, one without a route on answers UNREACHABLE.
 * Answers reach userspace as XMESH_CMD_OAM_EVENT on the "oam" group, with
 * the round trip measured here from the timestamp the request carried.
 * Only requests are ever answered, so answers cannot start a storm.
 */
#include <linux/udp.h>
#include <linux/timekeeping.h>
#include "xmesh_priv.h"

#define XMESH_OAM_LEN	(sizeof(struct xmesh_hdr) + sizeof(struct xmesh_oam))

static struct sk_buff *xmesh_oam_alloc(struct xmesh_dev *xdev, u32 dst,
				       u8 hop_limit, gfp_t gfp,
				       struct xmesh_oam **oam)
{
	unsigned int headroom = XMESH_OVERHEAD_V6 + LL_MAX_HEADER;
	struct xmesh_hdr *hdr;
	struct sk_buff *skb;

	skb = alloc_skb(headroom + XMESH_OAM_LEN, gfp);
	if (!skb)
		return NULL;
	skb_reserve(skb, headroom);
	hdr = skb_put(skb, sizeof(*hdr));
	xmesh_hdr_init(hdr, XMESH_PKT_OAM, hop_limit,
		       XMESH_TC_NETWORK_CONTROL, READ_ONCE(xdev->node_id), dst);
	*oam = skb_put_zero(skb, sizeof(**oam));
	return skb;
}

/* Send a frame built by xmesh_oam_alloc(); RCU read side, BHs off. */
static int xmesh_oam_xmit(struct xmesh_dev *xdev, struct sk_buff *skb,
			  u32 dst)
{
	struct xmesh_neigh *neigh;
	int reason;

	neigh = xmesh_next_hop(xdev, dst, dst, &reason);
	if (!neigh) {
		xmesh_count_drop(xdev, reason);
		kfree_skb(skb);
		return reason == XMESH_DROP_A_NO_ROUTE ? -ENOENT :
							 -EHOSTUNREACH;
	}
	if (xmesh_send_frame(xdev, neigh, skb, xdev->port))
		return -EIO;
	xmesh_count(xdev, XMESH_COUNTER_A_OAM_TX, 1);
	return 0;
}

/**
 * xmesh_oam_send - send an echo request
 * @xdev: the device
 * @dst: the node probed
 * @ident: chosen by the requester, echoed in the answer
 * @seq: likewise
 * @hop_limit: of the probe; a small one makes a traceroute step
 *
 * Context: process.
 * Return: 0, -ENOENT (no route), -EHOSTUNREACH (no usable next hop),
 * -ENOMEM or -EIO.
 */
int xmesh_oam_send(struct xmesh_dev *xdev, u32 dst, u16 ident, u32 seq,
		   u8 hop_limit)
{
	struct xmesh_oam *oam;
	struct sk_buff *skb;
	int err;

	skb = xmesh_oam_alloc(xdev, dst, hop_limit, GFP_KERNEL, &oam);
	if (!skb)
		return -ENOMEM;
	oam->op = XMESH_OAM_ECHO_REQUEST;
	oam->probe_hop_limit = hop_limit;
	oam->ident = htons(ident);
	oam->seq = htonl(seq);
	oam->timestamp = cpu_to_be64(ktime_get_ns());
	oam->probe_dst = htonl(dst);

	local_bh_disable();
	rcu_read_lock();
	err = xmesh_oam_xmit(xdev, skb, dst);
	rcu_read_unlock();
	local_bh_enable();
	return err;
}

/**
 * xmesh_oam_answer - answer an echo request in @skb with @op
 * @xdev: the device
 * @skb: the request, skb->data at the UDP header; not consumed
 * @op: XMESH_OAM_ECHO_REPLY, XMESH_OAM_TIME_EXCEEDED or _UNREACHABLE
 *
 * Context: softirq, RCU read side.
 */
void xmesh_oam_answer(struct xmesh_dev *xdev, struct sk_buff *skb, u8 op)
{
	const struct xmesh_hdr *hdr;
	const struct xmesh_oam *req;
	struct xmesh_oam *ans;
	struct sk_buff *nskb;
	u32 src;

	if (!pskb_may_pull(skb, sizeof(struct udphdr) + XMESH_OAM_LEN))
		return;
	hdr = (const struct xmesh_hdr *)(udp_hdr(skb) + 1);
	req = (const struct xmesh_oam *)(hdr + 1);
	if (req->op != XMESH_OAM_ECHO_REQUEST)
		return;

	src = be32_to_cpu(hdr->src_node);
	nskb = xmesh_oam_alloc(xdev, src, READ_ONCE(xdev->hop_limit),
			       GFP_ATOMIC, &ans);
	if (!nskb) {
		xmesh_count_drop(xdev, XMESH_DROP_A_NOMEM);
		return;
	}
	*ans = *req;
	ans->op = op;
	ans->reporter = htonl(READ_ONCE(xdev->node_id));
	xmesh_oam_xmit(xdev, nskb, src);
}

/**
 * xmesh_oam_recv - an OAM frame addressed to this node
 * @xdev: the device
 * @skb: the frame, skb->data at its UDP header
 *
 * Context: softirq, RCU read side.
 * Return: 0 with @skb consumed, or the drop reason with @skb untouched.
 */
int xmesh_oam_recv(struct xmesh_dev *xdev, struct sk_buff *skb)
{
	const struct xmesh_hdr *hdr;
	const struct xmesh_oam *oam;

	if (!pskb_may_pull(skb, sizeof(struct udphdr) + XMESH_OAM_LEN))
		return XMESH_DROP_A_TRUNCATED;
	hdr = (const struct xmesh_hdr *)(udp_hdr(skb) + 1);
	oam = (const struct xmesh_oam *)(hdr + 1);

	switch (oam->op) {
	case XMESH_OAM_ECHO_REQUEST:
		xmesh_oam_answer(xdev, skb, XMESH_OAM_ECHO_REPLY);
		break;
	case XMESH_OAM_ECHO_REPLY:
	case XMESH_OAM_TIME_EXCEEDED:
	case XMESH_OAM_UNREACHABLE:
		xmesh_genl_notify_oam(xdev, oam, hdr->hop_limit);
		break;
	default:
		return XMESH_DROP_A_BAD_HEADER;
	}
	xmesh_count(xdev, XMESH_COUNTER_A_OAM_RX, 1);
	consume_skb(skb);
	return 0;
}
