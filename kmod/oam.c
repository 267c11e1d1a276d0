// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh OAM: mesh-level ping and traceroute, and link probes.
 *
 * userspace asks (XMESH_CMD_OAM_SEND) for an echo request to a node; the
 * destination's module answers it, a transit node whose hop limit runs
 * out answers TIME_EXCEEDED, one without a route on answers UNREACHABLE.
 *
 * A link request (XMESH_OAM_A_NEIGH) measures one adjacency instead: it is
 * sent to the neighbor directly, whatever the neighbor's state and the
 * routes say, and the neighbor's module answers it with a link reply over
 * the same adjacency. Neither is ever forwarded, and both are answered by
 * modules, not agents, so a busy or restarting agent does not make its
 * node look dead.
 *
 * Answers reach userspace as XMESH_CMD_OAM_EVENT on the "oam" group, with
 * the round trip measured here from the timestamp the request carried.
 * Only requests are ever answered, so answers cannot start a storm, and
 * at most XMESH_DEV_A_OAM_RATE of them a second (a token bucket per
 * device, as icmp_global_allow()), so that whoever can send requests, or
 * spoof a neighbor's address, cannot make a node answer at line rate.
 *
 * Sending takes no mutex, only the RCU read lock: link probes come every
 * few tens of milliseconds per neighbor and must not wait behind a large
 * table change (see "Locking rules" in xmesh_priv.h).
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

/* A tenth of a second's worth of answers may go at once. */
u32 xmesh_oam_burst(u32 rate)
{
	return max(rate / 10, 1U);
}

/**
 * xmesh_bucket_take - take a token from a token bucket, if it has one
 * @b: the bucket; all zero is a full one
 * @rate: tokens added per second, not 0
 * @burst: tokens the bucket holds at most, not 0
 * @now: the time in ns, monotonic
 *
 * Pure arithmetic, for KUnit: the caller serializes and reads the clock.
 * Tokens are counted in 1/NSEC_PER_SEC parts, so every elapsed
 * nanosecond adds @rate parts and nothing is lost to rounding.
 *
 * Return: true when a token was taken.
 */
bool xmesh_bucket_take(struct xmesh_bucket *b, u32 rate, u32 burst, u64 now)
{
	u64 full = (u64)burst * NSEC_PER_SEC;
	u64 elapsed = now - b->last_ns;

	b->last_ns = now;
	/* Time enough to fill it from empty? Comparing first keeps
	 * elapsed * rate from overflowing: below that time it is less than
	 * full + rate.
	 */
	if (elapsed >= div_u64(full + rate - 1, rate))
		b->tokens = full;
	else
		b->tokens = min(b->tokens + elapsed * rate, full);
	if (b->tokens < NSEC_PER_SEC)
		return false;
	b->tokens -= NSEC_PER_SEC;
	return true;
}

/*
 * Whether a token of @bucket (one of @xdev's, at its oam-rate) may be
 * taken now; counts the @reason of the ones that may not.
 */
static bool xmesh_oam_take(struct xmesh_dev *xdev, struct xmesh_bucket *bucket,
			   int reason)
{
	u32 rate = READ_ONCE(xdev->oam_rate);
	bool ok;

	if (!rate)
		return true;
	spin_lock(&xdev->oam_bucket_lock);
	ok = xmesh_bucket_take(bucket, rate, xmesh_oam_burst(rate),
			       ktime_get_ns());
	spin_unlock(&xdev->oam_bucket_lock);
	if (!ok)
		xmesh_count_drop(xdev, reason);
	return ok;
}

/* Whether another answer may go now. */
static bool xmesh_oam_may_answer(struct xmesh_dev *xdev)
{
	return xmesh_oam_take(xdev, &xdev->oam_bucket,
			      XMESH_DROP_A_OAM_RATE_LIMITED);
}

/*
 * Whether another echo reply, time exceeded or unreachable may go to
 * userspace now: each costs an atomic allocation and a multicast, and
 * whoever can send to the port (with security none, from anywhere) could
 * otherwise flood the agent's OAM socket. Link replies do not take from
 * this bucket: a flood of the others must not crowd out the answers to
 * the agent's link probes, which decide whether neighbors are up.
 */
static bool xmesh_oam_may_notify(struct xmesh_dev *xdev)
{
	return xmesh_oam_take(xdev, &xdev->oam_event_bucket,
			      XMESH_DROP_A_OAM_EVENT_RATE_LIMITED);
}

/*
 * Whether @xdev can send OAM; RCU read side. A device's tables are freed
 * (ndo_uninit) only a grace period after it leaves the registered state,
 * so what the caller finds in them stays valid until rcu_read_unlock().
 */
static bool xmesh_oam_dev_ready(struct xmesh_dev *xdev)
{
	return xdev->dev->reg_state == NETREG_REGISTERED &&
	       netif_running(xdev->dev) && READ_ONCE(xdev->node_id);
}

/* A request of @op to @dst, stamped with this node's clock. */
static struct sk_buff *xmesh_oam_request(struct xmesh_dev *xdev, u8 op,
					 u32 dst, u16 ident, u32 seq,
					 u8 hop_limit)
{
	struct xmesh_oam *oam;
	struct sk_buff *skb;

	skb = xmesh_oam_alloc(xdev, dst, hop_limit, GFP_KERNEL, &oam);
	if (!skb)
		return NULL;
	oam->op = op;
	oam->probe_hop_limit = hop_limit;
	oam->ident = htons(ident);
	oam->seq = htonl(seq);
	oam->timestamp = cpu_to_be64(ktime_get_ns());
	oam->probe_dst = htonl(dst);
	return skb;
}

/* Send a frame built by xmesh_oam_alloc() to @neigh; RCU, BHs off. */
static int xmesh_oam_xmit_neigh(struct xmesh_dev *xdev,
				struct xmesh_neigh *neigh, struct sk_buff *skb)
{
	if (xmesh_send_frame(xdev, neigh, skb, xdev->port))
		return -EIO;
	xmesh_count(xdev, XMESH_COUNTER_A_OAM_TX, 1);
	return 0;
}

/* Send a frame built by xmesh_oam_alloc() along the route to its
 * destination; RCU read side, BHs off.
 */
static int xmesh_oam_xmit(struct xmesh_dev *xdev, struct sk_buff *skb)
{
	const struct xmesh_hdr *hdr = (const struct xmesh_hdr *)skb->data;
	u32 dst = be32_to_cpu(hdr->dst);
	struct xmesh_neigh *neigh;
	int reason;

	neigh = xmesh_next_hop(xdev, dst, hdr->tclass, dst, &reason);
	if (!neigh) {
		xmesh_count_drop(xdev, reason);
		kfree_skb(skb);
		return reason == XMESH_DROP_A_NO_ROUTE ? -ENOENT :
							 -EHOSTUNREACH;
	}
	return xmesh_oam_xmit_neigh(xdev, neigh, skb);
}

/**
 * xmesh_oam_send - send an echo request
 * @xdev: the device, held (not locked)
 * @dst: the node probed
 * @ident: chosen by the requester, echoed in the answer
 * @seq: likewise
 * @hop_limit: of the probe; a small one makes a traceroute step
 *
 * Context: process; takes the RCU read lock.
 * Return: 0, -ENETDOWN (the device is down, has no node id or is going
 * away), -ENOENT (no route), -EHOSTUNREACH (no usable next hop), -ENOMEM
 * or -EIO.
 */
int xmesh_oam_send(struct xmesh_dev *xdev, u32 dst, u16 ident, u32 seq,
		   u8 hop_limit)
{
	struct sk_buff *skb;
	int err;

	skb = xmesh_oam_request(xdev, XMESH_OAM_ECHO_REQUEST, dst, ident, seq,
				hop_limit);
	if (!skb)
		return -ENOMEM;
	local_bh_disable();
	rcu_read_lock();
	if (xmesh_oam_dev_ready(xdev)) {
		err = xmesh_oam_xmit(xdev, skb);
	} else {
		kfree_skb(skb);
		err = -ENETDOWN;
	}
	rcu_read_unlock();
	local_bh_enable();
	return err;
}

/**
 * xmesh_oam_send_link - send a link request over one adjacency
 * @xdev: the device, held (not locked)
 * @neigh_id: the adjacency measured; sent to whatever its state, so that
 *	      a neighbor that is down can be seen to recover
 * @node: in, the node expected at its far end or 0 for any; out, the
 *	  node that is (when the neighbor exists)
 * @ident: chosen by the requester, echoed in the answer
 * @seq: likewise
 *
 * Context: process; takes the RCU read lock, never xdev->lock.
 * Return: 0, -ENETDOWN (see xmesh_oam_send), -ENOENT (no such neighbor),
 * -EINVAL (the neighbor is another node), -ENOMEM or -EIO (the underlay
 * could not send it).
 */
int xmesh_oam_send_link(struct xmesh_dev *xdev, u32 neigh_id, u32 *node,
			u16 ident, u32 seq)
{
	struct xmesh_neigh *neigh;
	struct xmesh_oam *oam;
	struct sk_buff *skb;
	int err;

	/* Addressed below, once the neighbor is known. */
	skb = xmesh_oam_request(xdev, XMESH_OAM_LINK_REQUEST, 0, ident, seq,
				1);
	if (!skb)
		return -ENOMEM;
	oam = (struct xmesh_oam *)(skb->data + sizeof(struct xmesh_hdr));

	local_bh_disable();
	rcu_read_lock();
	err = -ENETDOWN;
	if (!xmesh_oam_dev_ready(xdev))
		goto free;
	neigh = xmesh_neigh_lookup_id(xdev, neigh_id);
	err = -ENOENT;
	if (!neigh)
		goto free;
	err = -EINVAL;
	if (*node && *node != neigh->node) {
		*node = neigh->node;
		goto free;
	}
	*node = neigh->node;
	((struct xmesh_hdr *)skb->data)->dst = htonl(neigh->node);
	oam->probe_dst = htonl(neigh->node);
	err = xmesh_oam_xmit_neigh(xdev, neigh, skb);
	goto out;
free:
	kfree_skb(skb);
out:
	rcu_read_unlock();
	local_bh_enable();
	return err;
}

/*
 * The answer @op to the request of op @req_op in @skb, from this node
 * back to the request's source: the request's payload with op and
 * reporter replaced. NULL if @skb is not such a request.
 */
static struct sk_buff *xmesh_oam_reply(struct xmesh_dev *xdev,
				       struct sk_buff *skb, u8 req_op, u8 op,
				       u8 hop_limit)
{
	const struct xmesh_hdr *hdr;
	const struct xmesh_oam *req;
	struct xmesh_oam *ans;
	struct sk_buff *nskb;

	if (!pskb_may_pull(skb, sizeof(struct udphdr) + XMESH_OAM_LEN))
		return NULL;
	hdr = (const struct xmesh_hdr *)(udp_hdr(skb) + 1);
	req = (const struct xmesh_oam *)(hdr + 1);
	if (req->op != req_op || !xmesh_oam_may_answer(xdev))
		return NULL;

	nskb = xmesh_oam_alloc(xdev, be32_to_cpu(hdr->src_node), hop_limit,
			       GFP_ATOMIC, &ans);
	if (!nskb) {
		xmesh_count_drop(xdev, XMESH_DROP_A_NOMEM);
		return NULL;
	}
	*ans = *req;
	ans->op = op;
	ans->reporter = htonl(READ_ONCE(xdev->node_id));
	return nskb;
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
	struct sk_buff *nskb;

	nskb = xmesh_oam_reply(xdev, skb, XMESH_OAM_ECHO_REQUEST, op,
			       READ_ONCE(xdev->hop_limit));
	if (nskb)
		xmesh_oam_xmit(xdev, nskb);
}

/**
 * xmesh_oam_recv - an OAM frame addressed to this node, not a link one
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
		if (!xmesh_oam_may_notify(xdev))
			break;
		xmesh_genl_notify_oam(xdev, oam, hdr->hop_limit, NULL);
		break;
	default:
		return XMESH_DROP_A_BAD_HEADER;
	}
	xmesh_count(xdev, XMESH_COUNTER_A_OAM_RX, 1);
	consume_skb(skb);
	return 0;
}

/**
 * xmesh_oam_link_recv - a link request or reply from @neigh
 * @xdev: the device
 * @neigh: the neighbor it arrived from, in whatever state
 * @skb: the frame, skb->data at its UDP header, its OAM payload linear
 *
 * A request is answered over the adjacency it arrived on, a reply goes
 * to userspace naming that adjacency; neither is forwarded.
 *
 * Context: softirq, RCU read side.
 * Return: 0 with @skb consumed, or the drop reason with @skb untouched.
 */
int xmesh_oam_link_recv(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
			struct sk_buff *skb)
{
	const struct xmesh_hdr *hdr;
	const struct xmesh_oam *oam;
	struct sk_buff *nskb;
	int reason;

	hdr = (const struct xmesh_hdr *)(udp_hdr(skb) + 1);
	oam = (const struct xmesh_oam *)(hdr + 1);
	reason = xmesh_oam_link_validate(hdr, READ_ONCE(xdev->node_id),
					 neigh->node);
	if (reason)
		return reason;

	if (oam->op == XMESH_OAM_LINK_REQUEST) {
		nskb = xmesh_oam_reply(xdev, skb, XMESH_OAM_LINK_REQUEST,
				       XMESH_OAM_LINK_REPLY, 1);
		if (nskb)
			xmesh_oam_xmit_neigh(xdev, neigh, nskb);
	} else {
		xmesh_genl_notify_oam(xdev, oam, hdr->hop_limit, neigh);
	}
	xmesh_count(xdev, XMESH_COUNTER_A_OAM_RX, 1);
	consume_skb(skb);
	return 0;
}

#if IS_ENABLED(CONFIG_XMESH_KUNIT_TEST)
#include "tests/oam_kunit.c"
#endif
