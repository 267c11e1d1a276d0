// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh QoS: traffic classes, classification, rate caps.
 *
 * Every frame this node sends, its own or in transit, is in one traffic
 * class, carried in the xmesh header's tclass field. The originating node
 * classifies its packets once, before they are encapsulated: by the first
 * matching rule (destination prefix, protocol, destination ports: the
 * administrator's word), else by skb->priority through the priority map
 * (what the application or a tc/nft action asked for), else by the
 * inner DSCP through the DSCP map (the packet's own marking). Transit
 * nodes never look inside: they keep the carried class.
 *
 * Sending (xmesh_qos_tx(), from send.c's last step) polices the class's
 * rate cap, counts the class, and sets skb->priority, which the outer
 * packet keeps: the underlay's qdisc (the agent's prio/htb tree, or the
 * default pfifo_fast) queues by it. The outer DS field is the class's
 * DSCP, for underlay switches.
 *
 * Readers (the packet path) run under RCU: the rules are published as an
 * immutable array of pointers, replaced whole by writers under xdev->lock;
 * map entries and policer settings are single words read with READ_ONCE.
 */
#include <linux/inetdevice.h>
#include <linux/math64.h>
#include <linux/pkt_sched.h>
#include <linux/slab.h>
#include <net/dsfield.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include "xmesh_priv.h"

/* RFC 4594's service classes (DSCP names of RFC 2474, 2597, 3246). */
#define DSCP_CS(n)	((n) << 3)
#define DSCP_AF(c, d)	(((c) << 3) | ((d) << 1))
#define DSCP_EF		46
#define DSCP_VA		44	/* voice admit, RFC 5865 */

/*
 * The default DSCP map. Network control: CS6 (routing, the mesh's own
 * control) and CS7. Realtime: EF and voice admit (telephony, inelastic
 * and small), CS5 (signaling) and CS4 (real-time interactive video,
 * control loops): they need low delay and no loss and do not adapt to
 * congestion, so they are served first and policed instead. Interactive:
 * the AF classes 2 to 4 (low-latency data, multimedia streaming and
 * conferencing; they adapt, their drop precedences matter less than their
 * delay), CS3 (broadcast video) and CS2 (operations). Bulk: default, CS1
 * (lower effort), AF1x (high-throughput data), and every unassigned value:
 * unknown markings get no better than best effort.
 */
const u8 xmesh_qos_dscp_map_default[XMESH_QOS_DSCP_COUNT] = {
	[0 ... XMESH_QOS_DSCP_COUNT - 1] = XMESH_TC_BULK,
	[DSCP_CS(6)] = XMESH_TC_NETWORK_CONTROL,
	[DSCP_CS(7)] = XMESH_TC_NETWORK_CONTROL,
	[DSCP_EF] = XMESH_TC_REALTIME,
	[DSCP_VA] = XMESH_TC_REALTIME,
	[DSCP_CS(5)] = XMESH_TC_REALTIME,
	[DSCP_CS(4)] = XMESH_TC_REALTIME,
	[DSCP_AF(4, 1)] = XMESH_TC_INTERACTIVE,
	[DSCP_AF(4, 2)] = XMESH_TC_INTERACTIVE,
	[DSCP_AF(4, 3)] = XMESH_TC_INTERACTIVE,
	[DSCP_AF(3, 1)] = XMESH_TC_INTERACTIVE,
	[DSCP_AF(3, 2)] = XMESH_TC_INTERACTIVE,
	[DSCP_AF(3, 3)] = XMESH_TC_INTERACTIVE,
	[DSCP_AF(2, 1)] = XMESH_TC_INTERACTIVE,
	[DSCP_AF(2, 2)] = XMESH_TC_INTERACTIVE,
	[DSCP_AF(2, 3)] = XMESH_TC_INTERACTIVE,
	[DSCP_CS(3)] = XMESH_TC_INTERACTIVE,
	[DSCP_CS(2)] = XMESH_TC_INTERACTIVE,
};

/*
 * What each class is sent with. The priorities are the TC_PRIO_* values
 * pfifo_fast and prio's default priomap already put in their bands in
 * this order, so classes keep their order even without xmesh's qdiscs.
 */
static const struct {
	u8 dscp;
	u8 priority;
} xmesh_tclass_out[XMESH_TC_COUNT] = {
	[XMESH_TC_BULK] = { 0, TC_PRIO_BESTEFFORT },
	[XMESH_TC_INTERACTIVE] = { DSCP_AF(4, 1), TC_PRIO_INTERACTIVE_BULK },
	[XMESH_TC_REALTIME] = { DSCP_EF, TC_PRIO_INTERACTIVE },
	[XMESH_TC_NETWORK_CONTROL] = { DSCP_CS(6), TC_PRIO_CONTROL },
};

/* Whether @tclass is one a frame can be classified into. */
bool xmesh_tclass_valid(u8 tclass)
{
	return tclass >= XMESH_TC_FIRST && tclass <= XMESH_TC_LAST;
}

/*
 * The class a frame carrying @tclass is sent in: best-effort (from nodes
 * older than QoS) and unassigned values are bulk.
 */
u8 xmesh_tclass_sent(u8 tclass)
{
	return xmesh_tclass_valid(tclass) ? tclass : XMESH_TC_BULK;
}

u8 xmesh_tclass_dscp(u8 tclass)
{
	return xmesh_tclass_out[xmesh_tclass_sent(tclass)].dscp;
}

u32 xmesh_tclass_priority(u8 tclass)
{
	return xmesh_tclass_out[xmesh_tclass_sent(tclass)].priority;
}

void xmesh_qos_init(struct xmesh_dev *xdev)
{
	struct xmesh_qos *qos = &xdev->qos;

	memcpy(qos->dscp_map, xmesh_qos_dscp_map_default,
	       sizeof(qos->dscp_map));
	/* Only TC_PRIO_CONTROL means something by default: the stack derives
	 * the lower values from the TOS byte itself (rt_tos2priority), and
	 * the DSCP map reads that better; 7 takes CAP_NET_ADMIN to set.
	 */
	memset(qos->prio_map, XMESH_QOS_PRIO_NONE, sizeof(qos->prio_map));
	qos->prio_map[TC_PRIO_CONTROL] = XMESH_TC_NETWORK_CONTROL;
	INIT_LIST_HEAD(&qos->rule_list);
}

void xmesh_qos_uninit(struct xmesh_dev *xdev)
{
	lockdep_assert_held(&xdev->lock);
	xmesh_qos_rules_flush(xdev);
}

/* ------------------------------------------------------------------ */
/* Classification                                                     */

/* Whether a rule may name ports for this IP protocol. */
bool xmesh_proto_has_ports(u8 protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return true;
	default:
		return false;
	}
}

bool xmesh_qos_rule_matches(const struct xmesh_qos_rule *rule,
			    const struct xmesh_qos_flow *flow)
{
	const struct xmesh_prefix_key *p = &rule->prefix;

	if (p->family) {
		if (p->family != flow->family)
			return false;
		if (p->family == AF_INET) {
			if ((flow->daddr.v4 ^ p->addr.v4) &
			    inet_make_mask(p->len))
				return false;
		} else if (!ipv6_prefix_equal(&flow->daddr.v6, &p->addr.v6,
					      p->len)) {
			return false;
		}
	}
	if (rule->protocol && rule->protocol != flow->protocol)
		return false;
	if (rule->port_max &&
	    (flow->dport < rule->port_min || flow->dport > rule->port_max))
		return false;
	if (rule->sport_max &&
	    (flow->sport < rule->sport_min || flow->sport > rule->sport_max))
		return false;
	return true;
}

/* The class of the first rule @flow matches, or 0 when none does. */
u8 xmesh_qos_rules_lookup(const struct xmesh_qos_rules *rules,
			  const struct xmesh_qos_flow *flow)
{
	unsigned int i;

	for (i = 0; i < rules->n; i++)
		if (xmesh_qos_rule_matches(rules->rule[i], flow))
			return rules->rule[i]->tclass;
	return 0;
}

/* The inner packet's flow; skb's network header at the inner IP header,
 * which the caller pulled.
 */
static void xmesh_qos_flow_of(struct sk_buff *skb, u16 family,
			      const union xmesh_addr *daddr,
			      struct xmesh_qos_flow *flow)
{
	unsigned int off = skb_network_offset(skb);
	const __be16 *ports;
	__be16 buf[2];

	flow->family = family;
	flow->daddr = *daddr;
	flow->sport = 0;
	flow->dport = 0;
	if (family == AF_INET) {
		const struct iphdr *iph = ip_hdr(skb);

		flow->protocol = iph->protocol;
		/* Only a first fragment has the ports. */
		if (iph->frag_off & htons(IP_OFFSET))
			return;
		off += iph->ihl * 4;
	} else {
		u8 nexthdr = ipv6_hdr(skb)->nexthdr;
		__be16 frag_off;
		int toff;

		toff = ipv6_skip_exthdr(skb, off + sizeof(struct ipv6hdr),
					&nexthdr, &frag_off);
		flow->protocol = nexthdr;
		if (toff < 0 || (frag_off & htons(IP6_OFFSET)))
			return;
		off = toff;
	}
	if (!xmesh_proto_has_ports(flow->protocol))
		return;
	ports = skb_header_pointer(skb, off, sizeof(buf), buf);
	if (ports) {
		flow->sport = ntohs(ports[0]);
		flow->dport = ntohs(ports[1]);
	}
}

/**
 * xmesh_qos_classify - the traffic class of a packet this node sends
 * @xdev: the device
 * @skb: the inner packet, its IP header pulled
 * @family: AF_INET or AF_INET6
 * @daddr: its destination address
 *
 * Context: RCU read side.
 * Return: a class from XMESH_TC_FIRST to XMESH_TC_LAST.
 */
u8 xmesh_qos_classify(struct xmesh_dev *xdev, struct sk_buff *skb,
		      u16 family, const union xmesh_addr *daddr)
{
	const struct xmesh_qos_rules *rules = rcu_dereference(xdev->qos.rules);
	u8 tclass, dscp;

	if (rules) {
		struct xmesh_qos_flow flow;

		xmesh_qos_flow_of(skb, family, daddr, &flow);
		tclass = xmesh_qos_rules_lookup(rules, &flow);
		if (tclass)
			return tclass;
	}
	if (skb->priority < XMESH_QOS_PRIO_COUNT) {
		tclass = READ_ONCE(xdev->qos.prio_map[skb->priority]);
		if (tclass != XMESH_QOS_PRIO_NONE)
			return tclass;
	}
	dscp = (family == AF_INET ? ipv4_get_dsfield(ip_hdr(skb)) :
				    ipv6_get_dsfield(ipv6_hdr(skb))) >> 2;
	return READ_ONCE(xdev->qos.dscp_map[dscp]);
}

/* ------------------------------------------------------------------ */
/* Rate caps                                                          */

/**
 * xmesh_gcra - the generic cell rate algorithm's decision
 * @tat: theoretical arrival time: when the bucket is full again, in ns
 * @now: the time, in ns
 * @cost: the packet's length in ns at the cap's rate
 * @tau: burst tolerance in ns
 * @next: set to the new @tat when the packet conforms
 *
 * A packet conforms when the bucket has any credit left; it may then go
 * into debt by its own cost, which the next ones pay back, so the long-run
 * rate is the cap's whatever the packet sizes (a 64 KB GSO packet passes a
 * small burst) and a burst is @tau's worth of bytes plus one packet.
 *
 * Return: whether the packet conforms.
 */
bool xmesh_gcra(u64 tat, u64 now, u64 cost, u64 tau, u64 *next)
{
	if (tat > now + tau)
		return false;
	*next = max(tat, now) + cost;
	return true;
}

/* @len bytes in ns, at @ns_per_byte (fixed point). */
u64 xmesh_policer_cost(u64 ns_per_byte, unsigned int len)
{
	return mul_u64_u32_shr(ns_per_byte, len, XMESH_POLICER_SHIFT);
}

/*
 * The default burst: 50 ms at the rate, at least 3000 bytes. Senders are
 * bursty (pacing timers, scheduling): a packet train arriving after a gap
 * longer than the burst's worth of time finds the credit of the gap lost,
 * and the cap lets less than its rate through.
 */
static u32 xmesh_policer_default_burst(u64 rate)
{
	return clamp_t(u64, div_u64(rate, 20), 3000, U32_MAX);
}

/* A cap of @rate bytes/s (not 0) and @burst bytes (0: the default). */
void xmesh_policer_config(u64 rate, u32 burst, u64 *ns_per_byte, u64 *tau)
{
	*ns_per_byte = max_t(u64, div64_u64((u64)NSEC_PER_SEC << XMESH_POLICER_SHIFT,
					    rate), 1);
	if (!burst)
		burst = xmesh_policer_default_burst(rate);
	*tau = mul_u64_u64_shr(burst, *ns_per_byte, XMESH_POLICER_SHIFT);
}

/* The burst in effect for @p's cap, in bytes. */
u32 xmesh_qos_burst(const struct xmesh_policer *p)
{
	if (!p->rate || p->burst)
		return p->burst;
	return xmesh_policer_default_burst(p->rate);
}

/* Set @tclass's cap: @rate bytes/s (0: none), @burst bytes (0: default). */
void xmesh_qos_set_rate(struct xmesh_dev *xdev, u8 tclass, u64 rate,
			u32 burst)
{
	struct xmesh_policer *p = &xdev->qos.policer[tclass];
	u64 ns_per_byte = 0, tau = 0;

	lockdep_assert_held(&xdev->lock);
	if (rate)
		xmesh_policer_config(rate, burst, &ns_per_byte, &tau);
	p->rate = rate;
	p->burst = burst;
	WRITE_ONCE(p->tau, tau);
	WRITE_ONCE(p->ns_per_byte, ns_per_byte);
	/* A new cap starts with a full bucket. */
	atomic64_set(&p->tat, 0);
}

static bool xmesh_police(struct xmesh_policer *p, unsigned int len)
{
	u64 ns_per_byte = READ_ONCE(p->ns_per_byte);
	u64 cost, now, tau, next;
	s64 tat;

	if (!ns_per_byte)
		return true;
	tau = READ_ONCE(p->tau);
	cost = xmesh_policer_cost(ns_per_byte, len);
	now = ktime_get_ns();
	tat = atomic64_read(&p->tat);
	do {
		if (!xmesh_gcra(tat, now, cost, tau, &next))
			return false;
	} while (!atomic64_try_cmpxchg(&p->tat, &tat, next));
	return true;
}

static void xmesh_tclass_count(struct xmesh_dev *xdev, u8 tclass,
			       unsigned int packets, unsigned int bytes)
{
	struct xmesh_pcpu_stats *s = this_cpu_ptr(xdev->stats);

	u64_stats_update_begin(&s->syncp);
	if (packets) {
		u64_stats_add(&s->tclass[tclass][XMESH_TSTAT_PACKETS], packets);
		u64_stats_add(&s->tclass[tclass][XMESH_TSTAT_BYTES], bytes);
	} else {
		u64_stats_inc(&s->tclass[tclass][XMESH_TSTAT_DROPS]);
	}
	u64_stats_update_end(&s->syncp);
}

/**
 * xmesh_qos_tx - police and count a frame about to be sent, set its priority
 * @xdev: the device
 * @skb: the frame, skb->data at its xmesh header
 * @tclass: its class, as xmesh_tclass_sent() gives it
 *
 * Context: RCU read side, BHs disabled.
 * Return: 0, or XMESH_DROP_A_RATE_LIMITED (counted for the class; the
 * caller drops the frame).
 */
int xmesh_qos_tx(struct xmesh_dev *xdev, struct sk_buff *skb, u8 tclass)
{
	unsigned int len = skb->len - sizeof(struct xmesh_hdr);

	if (unlikely(!xmesh_police(&xdev->qos.policer[tclass], len))) {
		xmesh_tclass_count(xdev, tclass, 0, 0);
		return XMESH_DROP_A_RATE_LIMITED;
	}
	xmesh_tclass_count(xdev, tclass,
			   skb_is_gso(skb) ? skb_shinfo(skb)->gso_segs : 1,
			   len);
	skb->priority = xmesh_tclass_out[tclass].priority;
	return 0;
}

void xmesh_qos_stats_read(struct xmesh_dev *xdev,
			  u64 stats[XMESH_TC_COUNT][XMESH_TSTAT_MAX])
{
	int cpu, tc, i;

	memset(stats, 0, sizeof(u64) * XMESH_TC_COUNT * XMESH_TSTAT_MAX);
	for_each_possible_cpu(cpu) {
		const struct xmesh_pcpu_stats *s = per_cpu_ptr(xdev->stats, cpu);
		u64 v[XMESH_TC_COUNT][XMESH_TSTAT_MAX];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (tc = 0; tc < XMESH_TC_COUNT; tc++)
				for (i = 0; i < XMESH_TSTAT_MAX; i++)
					v[tc][i] = u64_stats_read(&s->tclass[tc][i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (tc = 0; tc < XMESH_TC_COUNT; tc++)
			for (i = 0; i < XMESH_TSTAT_MAX; i++)
				stats[tc][i] += v[tc][i];
	}
}

/* ------------------------------------------------------------------ */
/* The rule table                                                     */

struct xmesh_qos_rule *xmesh_qos_rule_find(struct xmesh_dev *xdev, u32 id)
{
	struct xmesh_qos_rule *rule;

	lockdep_assert_held(&xdev->lock);
	list_for_each_entry(rule, &xdev->qos.rule_list, list)
		if (rule->id == id)
			return rule;
	return NULL;
}

/*
 * Publish the rule list for readers. Removing needs no more than a page
 * (XMESH_MAX_QOS_RULES pointers) and may not fail: @gfp says so.
 */
static int xmesh_qos_rules_publish(struct xmesh_dev *xdev, gfp_t gfp)
{
	struct xmesh_qos_rules *new = NULL, *old;
	struct xmesh_qos_rule *rule;
	unsigned int i = 0;

	BUILD_BUG_ON(struct_size(new, rule, XMESH_MAX_QOS_RULES) > PAGE_SIZE);
	if (xdev->qos.n_rules) {
		new = kmalloc(struct_size(new, rule, xdev->qos.n_rules), gfp);
		if (!new)
			return -ENOMEM;
		list_for_each_entry(rule, &xdev->qos.rule_list, list)
			new->rule[i++] = rule;
		new->n = i;
	}
	old = rcu_replace_pointer(xdev->qos.rules, new,
				  lockdep_is_held(&xdev->lock));
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

/**
 * xmesh_qos_rule_insert - add a rule, or replace the one of its id
 * @xdev: the device, its lock held
 * @rule: the rule, kmalloc'ed; the table owns it on success
 * @replace: whether a rule of the same id may be replaced
 *
 * Return: 0, -EEXIST, -ENOSPC or -ENOMEM (nothing changed).
 */
int xmesh_qos_rule_insert(struct xmesh_dev *xdev, struct xmesh_qos_rule *rule,
			  bool replace)
{
	struct xmesh_qos_rule *old = xmesh_qos_rule_find(xdev, rule->id);
	struct xmesh_qos_rule *pos;
	int err;

	if (old && !replace)
		return -EEXIST;
	if (!old && xdev->qos.n_rules >= XMESH_MAX_QOS_RULES)
		return -ENOSPC;
	if (old) {
		list_replace(&old->list, &rule->list);
	} else {
		list_for_each_entry(pos, &xdev->qos.rule_list, list)
			if (pos->id > rule->id)
				break;
		list_add_tail(&rule->list, &pos->list);
		xdev->qos.n_rules++;
	}
	err = xmesh_qos_rules_publish(xdev, GFP_KERNEL);
	if (err) {
		if (old) {
			list_replace(&rule->list, &old->list);
		} else {
			list_del(&rule->list);
			xdev->qos.n_rules--;
		}
		return err;
	}
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

void xmesh_qos_rule_remove(struct xmesh_dev *xdev, struct xmesh_qos_rule *rule)
{
	list_del(&rule->list);
	xdev->qos.n_rules--;
	xmesh_qos_rules_publish(xdev, GFP_KERNEL | __GFP_NOFAIL);
	kfree_rcu(rule, rcu);
}

void xmesh_qos_rules_flush(struct xmesh_dev *xdev)
{
	struct xmesh_qos_rule *rule, *tmp;

	xdev->qos.n_rules = 0;
	xmesh_qos_rules_publish(xdev, GFP_KERNEL);	/* none: cannot fail */
	list_for_each_entry_safe(rule, tmp, &xdev->qos.rule_list, list) {
		list_del(&rule->list);
		kfree_rcu(rule, rcu);
	}
}
