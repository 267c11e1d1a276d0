// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for xmesh QoS: the default DSCP map, what each class is sent
 * with, classification (rules before skb->priority before DSCP; rule
 * matching on prefix, protocol and ports; first match by id), and the
 * rate cap's arithmetic (GCRA: long-run rate, burst, debt).
 */
#include <kunit/test.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/math64.h>
#include <linux/pkt_sched.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/dsfield.h>
#include "../xmesh_priv.h"

static void xmesh_qos_dscp_default(struct kunit *test)
{
	static const struct {
		u8 dscp;
		u8 tclass;
	} cases[] = {
		{ 0, XMESH_TC_BULK },			/* default */
		{ 8, XMESH_TC_BULK },			/* CS1 */
		{ 10, XMESH_TC_BULK },			/* AF11 */
		{ 14, XMESH_TC_BULK },			/* AF13 */
		{ 1, XMESH_TC_BULK },			/* LE, unassigned */
		{ 16, XMESH_TC_INTERACTIVE },		/* CS2 */
		{ 18, XMESH_TC_INTERACTIVE },		/* AF21 */
		{ 24, XMESH_TC_INTERACTIVE },		/* CS3 */
		{ 30, XMESH_TC_INTERACTIVE },		/* AF33 */
		{ 34, XMESH_TC_INTERACTIVE },		/* AF41 */
		{ 38, XMESH_TC_INTERACTIVE },		/* AF43 */
		{ 32, XMESH_TC_REALTIME },		/* CS4 */
		{ 40, XMESH_TC_REALTIME },		/* CS5 */
		{ 44, XMESH_TC_REALTIME },		/* VA */
		{ 46, XMESH_TC_REALTIME },		/* EF */
		{ 48, XMESH_TC_NETWORK_CONTROL },	/* CS6 */
		{ 56, XMESH_TC_NETWORK_CONTROL },	/* CS7 */
		{ 63, XMESH_TC_BULK },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    xmesh_qos_dscp_map_default[cases[i].dscp],
				    cases[i].tclass, "DSCP %u", cases[i].dscp);
	for (i = 0; i < XMESH_QOS_DSCP_COUNT; i++)
		KUNIT_EXPECT_TRUE_MSG(test,
				      xmesh_tclass_valid(xmesh_qos_dscp_map_default[i]),
				      "DSCP %d", i);
}

static void xmesh_qos_tclass_out(struct kunit *test)
{
	/* Best-effort (older senders) and unassigned values are bulk. */
	KUNIT_EXPECT_EQ(test, xmesh_tclass_sent(XMESH_TC_BEST_EFFORT),
			XMESH_TC_BULK);
	KUNIT_EXPECT_EQ(test, xmesh_tclass_sent(5), XMESH_TC_BULK);
	KUNIT_EXPECT_EQ(test, xmesh_tclass_sent(XMESH_TC_MAX), XMESH_TC_BULK);
	KUNIT_EXPECT_EQ(test, xmesh_tclass_sent(XMESH_TC_REALTIME),
			XMESH_TC_REALTIME);

	KUNIT_EXPECT_EQ(test, xmesh_tclass_dscp(XMESH_TC_NETWORK_CONTROL), 48);
	KUNIT_EXPECT_EQ(test, xmesh_tclass_dscp(XMESH_TC_REALTIME), 46);
	KUNIT_EXPECT_EQ(test, xmesh_tclass_dscp(XMESH_TC_INTERACTIVE), 34);
	KUNIT_EXPECT_EQ(test, xmesh_tclass_dscp(XMESH_TC_BULK), 0);
	KUNIT_EXPECT_EQ(test, xmesh_tclass_priority(XMESH_TC_NETWORK_CONTROL),
			TC_PRIO_CONTROL);
	KUNIT_EXPECT_EQ(test, xmesh_tclass_priority(XMESH_TC_REALTIME),
			TC_PRIO_INTERACTIVE);
	KUNIT_EXPECT_EQ(test, xmesh_tclass_priority(XMESH_TC_INTERACTIVE),
			TC_PRIO_INTERACTIVE_BULK);
	KUNIT_EXPECT_EQ(test, xmesh_tclass_priority(XMESH_TC_BULK),
			TC_PRIO_BESTEFFORT);
	/* A valid class is one a frame can be classified into. */
	KUNIT_EXPECT_FALSE(test, xmesh_tclass_valid(XMESH_TC_BEST_EFFORT));
	KUNIT_EXPECT_FALSE(test, xmesh_tclass_valid(5));
	KUNIT_EXPECT_TRUE(test, xmesh_tclass_valid(XMESH_TC_BULK));
	KUNIT_EXPECT_TRUE(test, xmesh_tclass_valid(XMESH_TC_NETWORK_CONTROL));
}

static struct xmesh_qos_flow flow4(u32 daddr, u8 protocol, u16 dport)
{
	struct xmesh_qos_flow f = {
		.family = AF_INET,
		.protocol = protocol,
		.dport = dport,
	};

	f.daddr.v4 = htonl(daddr);
	return f;
}

static struct xmesh_qos_rule rule4(u32 id, u8 tclass, u32 addr, u8 len,
				   u8 protocol, u16 pmin, u16 pmax)
{
	struct xmesh_qos_rule r = {
		.id = id,
		.tclass = tclass,
		.protocol = protocol,
		.port_min = pmin,
		.port_max = pmax,
	};

	if (len || addr) {
		r.prefix.family = AF_INET;
		r.prefix.len = len;
		r.prefix.addr.v4 = htonl(addr);
	}
	return r;
}

static void xmesh_qos_rule_match(struct kunit *test)
{
	struct xmesh_qos_rule any = rule4(1, XMESH_TC_REALTIME, 0, 0, 0, 0, 0);
	struct xmesh_qos_rule net = rule4(2, XMESH_TC_REALTIME, 0x0a010000,
					  16, 0, 0, 0);
	struct xmesh_qos_rule udp = rule4(3, XMESH_TC_REALTIME, 0, 0,
					  IPPROTO_UDP, 5000, 5009);
	struct xmesh_qos_flow f;

	f = flow4(0x0a010203, IPPROTO_TCP, 80);
	KUNIT_EXPECT_TRUE(test, xmesh_qos_rule_matches(&any, &f));
	KUNIT_EXPECT_TRUE(test, xmesh_qos_rule_matches(&net, &f));
	KUNIT_EXPECT_FALSE(test, xmesh_qos_rule_matches(&udp, &f));
	f = flow4(0x0a020203, IPPROTO_UDP, 5000);
	KUNIT_EXPECT_FALSE(test, xmesh_qos_rule_matches(&net, &f));
	KUNIT_EXPECT_TRUE(test, xmesh_qos_rule_matches(&udp, &f));
	f.dport = 5009;
	KUNIT_EXPECT_TRUE(test, xmesh_qos_rule_matches(&udp, &f));
	f.dport = 5010;
	KUNIT_EXPECT_FALSE(test, xmesh_qos_rule_matches(&udp, &f));
	f.dport = 4999;
	KUNIT_EXPECT_FALSE(test, xmesh_qos_rule_matches(&udp, &f));
	/* No ports known (a later fragment): a port rule does not match. */
	f.dport = 0;
	KUNIT_EXPECT_FALSE(test, xmesh_qos_rule_matches(&udp, &f));

	/* Source ports: a server's replies. */
	udp.sport_min = 6000;
	udp.sport_max = 6000;
	f = flow4(0x0a020203, IPPROTO_UDP, 5000);
	f.sport = 6000;
	KUNIT_EXPECT_TRUE(test, xmesh_qos_rule_matches(&udp, &f));
	f.sport = 6001;
	KUNIT_EXPECT_FALSE(test, xmesh_qos_rule_matches(&udp, &f));

	/* An IPv4 prefix never matches IPv6. */
	f.family = AF_INET6;
	memset(&f.daddr, 0, sizeof(f.daddr));
	KUNIT_EXPECT_FALSE(test, xmesh_qos_rule_matches(&net, &f));
	KUNIT_EXPECT_TRUE(test, xmesh_qos_rule_matches(&any, &f));
}

static void xmesh_qos_rule_match_v6(struct kunit *test)
{
	struct xmesh_qos_rule r = {
		.id = 1,
		.tclass = XMESH_TC_INTERACTIVE,
		.prefix = { .family = AF_INET6, .len = 48 },
	};
	struct xmesh_qos_flow f = { .family = AF_INET6 };

	r.prefix.addr.v6.s6_addr[0] = 0xfd;
	r.prefix.addr.v6.s6_addr[5] = 0x01;
	f.daddr.v6 = r.prefix.addr.v6;
	f.daddr.v6.s6_addr[15] = 7;
	KUNIT_EXPECT_TRUE(test, xmesh_qos_rule_matches(&r, &f));
	f.daddr.v6.s6_addr[5] = 0x02;
	KUNIT_EXPECT_FALSE(test, xmesh_qos_rule_matches(&r, &f));
}

/* The first rule by id wins; no match is 0. */
static void xmesh_qos_rules_first_match(struct kunit *test)
{
	struct xmesh_qos_rule a = rule4(10, XMESH_TC_INTERACTIVE, 0x0a000000,
					8, 0, 0, 0);
	struct xmesh_qos_rule b = rule4(20, XMESH_TC_REALTIME, 0x0a010000,
					16, IPPROTO_UDP, 0, 0);
	struct xmesh_qos_rules *rules;
	struct xmesh_qos_flow f;

	rules = kunit_kzalloc(test, struct_size(rules, rule, 2), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rules);
	rules->n = 2;
	rules->rule[0] = &a;
	rules->rule[1] = &b;

	f = flow4(0x0a010101, IPPROTO_UDP, 1);
	KUNIT_EXPECT_EQ(test, xmesh_qos_rules_lookup(rules, &f),
			XMESH_TC_INTERACTIVE);
	rules->rule[0] = &b;
	rules->rule[1] = &a;
	KUNIT_EXPECT_EQ(test, xmesh_qos_rules_lookup(rules, &f),
			XMESH_TC_REALTIME);
	f = flow4(0x0b010101, IPPROTO_UDP, 1);
	KUNIT_EXPECT_EQ(test, xmesh_qos_rules_lookup(rules, &f), 0);
	rules->n = 0;
	f = flow4(0x0a010101, IPPROTO_UDP, 1);
	KUNIT_EXPECT_EQ(test, xmesh_qos_rules_lookup(rules, &f), 0);
}

/* A device with only what classification reads. */
static struct xmesh_dev *fake_xdev(struct kunit *test)
{
	struct xmesh_dev *xdev = kunit_kzalloc(test, sizeof(*xdev), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, xdev);
	mutex_init(&xdev->lock);
	xmesh_qos_init(xdev);
	return xdev;
}

static void skb_res_free(struct kunit_resource *res)
{
	kfree_skb(res->data);
}

static int res_init(struct kunit_resource *res, void *data)
{
	res->data = data;
	return 0;
}

/* An IPv4 UDP packet to @daddr:@dport with DS field @dsfield. */
static struct sk_buff *udp4(struct kunit *test, u32 daddr, u16 dport,
			    u8 dsfield)
{
	struct sk_buff *skb = alloc_skb(128, GFP_KERNEL);
	struct udphdr *uh;
	struct iphdr *iph;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	if (!kunit_alloc_resource(test, res_init, skb_res_free, GFP_KERNEL,
				  skb)) {
		kfree_skb(skb);
		KUNIT_ASSERT_FAILURE(test, "out of memory");
	}
	skb_reset_network_header(skb);
	iph = skb_put_zero(skb, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = dsfield;
	iph->protocol = IPPROTO_UDP;
	iph->daddr = htonl(daddr);
	iph->tot_len = htons(sizeof(*iph) + sizeof(*uh));
	uh = skb_put_zero(skb, sizeof(*uh));
	uh->dest = htons(dport);
	skb->protocol = htons(ETH_P_IP);
	return skb;
}

static struct udphdr *udp_hdr_of(struct sk_buff *skb)
{
	return (struct udphdr *)(skb->data + sizeof(struct iphdr));
}

static u8 classify(struct xmesh_dev *xdev, struct sk_buff *skb)
{
	union xmesh_addr daddr = { .v4 = ip_hdr(skb)->daddr };
	u8 tclass;

	rcu_read_lock();
	tclass = xmesh_qos_classify(xdev, skb, AF_INET, &daddr);
	rcu_read_unlock();
	return tclass;
}

static void xmesh_qos_classify_order(struct kunit *test)
{
	struct xmesh_dev *xdev = fake_xdev(test);
	struct xmesh_qos_rule *rule;
	struct sk_buff *skb;

	/* DSCP: EF is realtime, unmarked is bulk, the map is used. */
	skb = udp4(test, 0x0a010101, 5000, 46 << 2);
	KUNIT_EXPECT_EQ(test, classify(xdev, skb), XMESH_TC_REALTIME);
	skb = udp4(test, 0x0a010101, 5000, 0);
	KUNIT_EXPECT_EQ(test, classify(xdev, skb), XMESH_TC_BULK);
	xdev->qos.dscp_map[0] = XMESH_TC_INTERACTIVE;
	KUNIT_EXPECT_EQ(test, classify(xdev, skb), XMESH_TC_INTERACTIVE);
	xdev->qos.dscp_map[0] = XMESH_TC_BULK;

	/* skb->priority: TC_PRIO_CONTROL by default, others fall through. */
	skb->priority = TC_PRIO_CONTROL;
	KUNIT_EXPECT_EQ(test, classify(xdev, skb), XMESH_TC_NETWORK_CONTROL);
	skb->priority = TC_PRIO_INTERACTIVE;
	KUNIT_EXPECT_EQ(test, classify(xdev, skb), XMESH_TC_BULK);
	skb->priority = 0x10001;	/* a tc class id: not ours */
	KUNIT_EXPECT_EQ(test, classify(xdev, skb), XMESH_TC_BULK);
	skb->priority = TC_PRIO_CONTROL;

	/* Source ports come from the packet too. */
	rule = kzalloc(sizeof(*rule), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rule);
	*rule = rule4(3, XMESH_TC_INTERACTIVE, 0, 0, IPPROTO_UDP, 0, 0);
	rule->sport_min = 7000;
	rule->sport_max = 7010;
	mutex_lock(&xdev->lock);
	KUNIT_EXPECT_EQ(test, xmesh_qos_rule_insert(xdev, rule, false), 0);
	mutex_unlock(&xdev->lock);
	skb = udp4(test, 0x0a010101, 5000, 0);
	udp_hdr_of(skb)->source = htons(7005);
	skb->priority = 0;
	KUNIT_EXPECT_EQ(test, classify(xdev, skb), XMESH_TC_INTERACTIVE);
	udp_hdr_of(skb)->source = htons(7011);
	KUNIT_EXPECT_EQ(test, classify(xdev, skb), XMESH_TC_BULK);
	mutex_lock(&xdev->lock);
	xmesh_qos_rules_flush(xdev);
	mutex_unlock(&xdev->lock);
	skb->priority = TC_PRIO_CONTROL;

	/* A rule beats both; one on another port does not. */
	rule = kzalloc(sizeof(*rule), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rule);
	*rule = rule4(5, XMESH_TC_REALTIME, 0x0a010000, 16, IPPROTO_UDP,
		      5000, 5000);
	mutex_lock(&xdev->lock);
	KUNIT_EXPECT_EQ(test, xmesh_qos_rule_insert(xdev, rule, false), 0);
	mutex_unlock(&xdev->lock);
	KUNIT_EXPECT_EQ(test, classify(xdev, skb), XMESH_TC_REALTIME);
	skb = udp4(test, 0x0a010101, 5001, 0);
	KUNIT_EXPECT_EQ(test, classify(xdev, skb), XMESH_TC_BULK);

	mutex_lock(&xdev->lock);
	xmesh_qos_uninit(xdev);
	mutex_unlock(&xdev->lock);
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(xdev->qos.rules));
	rcu_barrier();
}

/* Rules stay sorted by id; replace and remove republish. */
static void xmesh_qos_rule_table(struct kunit *test)
{
	static const u32 ids[] = { 30, 10, 20 };
	struct xmesh_dev *xdev = fake_xdev(test);
	struct xmesh_qos_rules *rules;
	struct xmesh_qos_rule *r;
	int i;

	mutex_lock(&xdev->lock);
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		r = kzalloc(sizeof(*r), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, r);
		r->id = ids[i];
		r->tclass = XMESH_TC_BULK;
		KUNIT_EXPECT_EQ(test, xmesh_qos_rule_insert(xdev, r, false), 0);
	}
	rules = rcu_dereference_protected(xdev->qos.rules, true);
	KUNIT_ASSERT_EQ(test, rules->n, 3U);
	KUNIT_EXPECT_EQ(test, rules->rule[0]->id, 10U);
	KUNIT_EXPECT_EQ(test, rules->rule[1]->id, 20U);
	KUNIT_EXPECT_EQ(test, rules->rule[2]->id, 30U);

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->id = 20;
	r->tclass = XMESH_TC_REALTIME;
	KUNIT_EXPECT_EQ(test, xmesh_qos_rule_insert(xdev, r, false), -EEXIST);
	KUNIT_EXPECT_EQ(test, xmesh_qos_rule_insert(xdev, r, true), 0);
	rules = rcu_dereference_protected(xdev->qos.rules, true);
	KUNIT_EXPECT_EQ(test, rules->n, 3U);
	KUNIT_EXPECT_EQ(test, rules->rule[1]->tclass, XMESH_TC_REALTIME);

	xmesh_qos_rule_remove(xdev, xmesh_qos_rule_find(xdev, 10));
	rules = rcu_dereference_protected(xdev->qos.rules, true);
	KUNIT_EXPECT_EQ(test, rules->n, 2U);
	KUNIT_EXPECT_EQ(test, rules->rule[0]->id, 20U);
	KUNIT_EXPECT_NULL(test, xmesh_qos_rule_find(xdev, 10));
	KUNIT_EXPECT_EQ(test, xdev->qos.n_rules, 2U);
	xmesh_qos_rules_flush(xdev);
	KUNIT_EXPECT_EQ(test, xdev->qos.n_rules, 0U);
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(xdev->qos.rules));
	mutex_unlock(&xdev->lock);
	rcu_barrier();
}

static void xmesh_qos_gcra(struct kunit *test)
{
	u64 next = 0;

	/* An idle bucket takes a packet; tat moves to now + cost. */
	KUNIT_EXPECT_TRUE(test, xmesh_gcra(0, 1000, 100, 500, &next));
	KUNIT_EXPECT_EQ(test, next, 1100ULL);
	/* Credit left (tat within now + tau): conforms, goes into debt. */
	KUNIT_EXPECT_TRUE(test, xmesh_gcra(1500, 1000, 10000, 500, &next));
	KUNIT_EXPECT_EQ(test, next, 11500ULL);
	/* No credit: dropped, tat untouched by the caller. */
	next = 42;
	KUNIT_EXPECT_FALSE(test, xmesh_gcra(1501, 1000, 1, 500, &next));
	KUNIT_EXPECT_EQ(test, next, 42ULL);
}

/* Offered twice the cap for 10 s, 1000-byte packets: the cap goes through. */
static void xmesh_qos_policer_rate(struct kunit *test)
{
	const u64 rate = 1250000;	/* 10 Mbit/s */
	const unsigned int len = 1000;
	u64 ns_per_byte, tau, tat = 0, now, next, passed = 0;
	u64 step = div64_u64(len * NSEC_PER_SEC, 2 * rate);

	xmesh_policer_config(rate, 0, &ns_per_byte, &tau);
	/* 1 ms per 1250 bytes: 800 ns per byte. */
	KUNIT_EXPECT_EQ(test, xmesh_policer_cost(ns_per_byte, 1250), 1000000ULL);
	/* Default burst: 50 ms at the rate, here 62500 bytes. */
	KUNIT_EXPECT_EQ(test, tau, 50000000ULL);

	for (now = NSEC_PER_SEC; now < 11 * NSEC_PER_SEC; now += step) {
		if (xmesh_gcra(tat, now, xmesh_policer_cost(ns_per_byte, len),
			       tau, &next)) {
			tat = next;
			passed += len;
		}
	}
	/* 10 s at the cap, plus the burst and one packet at most. */
	KUNIT_EXPECT_GE(test, passed, 10 * rate);
	KUNIT_EXPECT_LE(test, passed, 10 * rate + 62500 + len);
}

/* A burst after idling: tau's worth of bytes, plus one packet. */
static void xmesh_qos_policer_burst(struct kunit *test)
{
	u64 ns_per_byte, tau, tat = 0, next, now = NSEC_PER_SEC, passed = 0;
	int i;

	xmesh_policer_config(1000000, 30000, &ns_per_byte, &tau);
	for (i = 0; i < 100; i++) {
		if (!xmesh_gcra(tat, now, xmesh_policer_cost(ns_per_byte, 1000),
				tau, &next))
			break;
		tat = next;
		passed += 1000;
	}
	KUNIT_EXPECT_EQ(test, passed, 31000ULL);
	/* The minimum default burst, for small rates. */
	xmesh_policer_config(1000, 0, &ns_per_byte, &tau);
	KUNIT_EXPECT_EQ(test, tau, 3ULL * NSEC_PER_SEC);
	/* Huge rates do not round to free packets. */
	xmesh_policer_config(100ULL << 30, 0, &ns_per_byte, &tau);
	KUNIT_EXPECT_GT(test, ns_per_byte, 0ULL);
	KUNIT_EXPECT_GT(test, xmesh_policer_cost(ns_per_byte, 1500), 0ULL);
}

static struct kunit_case xmesh_qos_cases[] = {
	KUNIT_CASE(xmesh_qos_dscp_default),
	KUNIT_CASE(xmesh_qos_tclass_out),
	KUNIT_CASE(xmesh_qos_rule_match),
	KUNIT_CASE(xmesh_qos_rule_match_v6),
	KUNIT_CASE(xmesh_qos_rules_first_match),
	KUNIT_CASE(xmesh_qos_classify_order),
	KUNIT_CASE(xmesh_qos_rule_table),
	KUNIT_CASE(xmesh_qos_gcra),
	KUNIT_CASE(xmesh_qos_policer_rate),
	KUNIT_CASE(xmesh_qos_policer_burst),
	{}
};

static struct kunit_suite xmesh_qos_suite = {
	.name = "xmesh_qos",
	.test_cases = xmesh_qos_cases,
};

kunit_test_suite(xmesh_qos_suite);
