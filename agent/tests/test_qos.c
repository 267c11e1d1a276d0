// SPDX-License-Identifier: GPL-2.0
/*
 * lib/xmesh_qos.c: class names, tc's rate syntax, and the qos and rule
 * nests (lib/xmesh_obj.c): what is put comes back parsed, malformed nests
 * are refused, a message's nests come out as xm_entry values.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <string.h>

#include "tap.h"
#include "xmesh_qos.h"

static char buf[4096];

static struct nlmsghdr *msg(void)
{
	memset(buf, 0, sizeof(buf));
	return mnl_nlmsg_put_header(buf);
}

/* The first attribute of the message: the nest just put. */
static const struct nlattr *first(const struct nlmsghdr *nlh)
{
	return mnl_nlmsg_get_payload(nlh);
}

static void names(void)
{
	is_str(xm_tclass_name(XMESH_TC_BULK), "bulk", "name: bulk");
	is_str(xm_tclass_name(XMESH_TC_NETWORK_CONTROL), "network-control",
	       "name: network-control");
	ok(!xm_tclass_name(XMESH_TC_BEST_EFFORT), "name: best-effort is none");
	ok(!xm_tclass_name(5), "name: 5 is none");
	is_int(xm_tclass_parse("realtime"), XMESH_TC_REALTIME, "parse: realtime");
	is_int(xm_tclass_parse("rt"), XMESH_TC_REALTIME, "parse: rt");
	is_int(xm_tclass_parse("control"), XMESH_TC_NETWORK_CONTROL,
	       "parse: control");
	is_int(xm_tclass_parse("inter"), XMESH_TC_INTERACTIVE,
	       "parse: a unique prefix");
	is_int(xm_tclass_parse("b"), XMESH_TC_BULK, "parse: b");
	is_int(xm_tclass_parse("urgent"), -1, "parse: unknown");
	is_int(xm_tclass_parse(""), -1, "parse: empty");
	is_int(xm_tclass_parse("best-effort"), -1,
	       "parse: best-effort is no class to give");
}

static void rates(void)
{
	uint64_t r = 0;

	ok(!xm_parse_rate("10mbit", &r) && r == 1250000, "rate: 10mbit");
	ok(!xm_parse_rate("1Gbit", &r) && r == 125000000, "rate: 1Gbit");
	ok(!xm_parse_rate("8000", &r) && r == 1000, "rate: bare bits/s");
	ok(!xm_parse_rate("1.5mbps", &r) && r == 1500000, "rate: bytes/s");
	ok(!xm_parse_rate("0", &r) && r == 0, "rate: 0");
	is_int(xm_parse_rate("fast", &r), -EINVAL, "rate: a word");
	is_int(xm_parse_rate("-1mbit", &r), -EINVAL, "rate: negative");
	is_int(xm_parse_rate("10 mbit", &r), -EINVAL, "rate: a space");
	is_int(xm_parse_rate("10furlongs", &r), -EINVAL, "rate: a bad unit");
	is_int(xm_parse_rate("1e30bps", &r), -EINVAL, "rate: too large");
}

static void qos_nest(void)
{
	struct xm_qos q = { 0 }, back;
	struct nlmsghdr *nlh = msg();
	int i;

	for (i = 0; i < XMESH_QOS_DSCP_COUNT; i++)
		q.dscp_map[i] = (uint8_t)(1 + i % 4);
	q.prio_map[7] = XMESH_TC_NETWORK_CONTROL;
	q.present = XM_BIT(XMESH_QOS_A_DSCP_MAP) | XM_BIT(XMESH_QOS_A_PRIO_MAP);
	q.n_tclass = 2;
	q.tclass[0].id = XMESH_TC_REALTIME;
	q.tclass[0].rate = 1000000;
	q.tclass[0].burst = 30000;
	q.tclass[0].present = XM_BIT(XMESH_TCLASS_A_RATE) |
			      XM_BIT(XMESH_TCLASS_A_BURST);
	q.tclass[1].id = XMESH_TC_BULK;
	q.tclass[1].present = XM_BIT(XMESH_TCLASS_A_RATE);
	is_int(xm_qos_put(nlh, sizeof(buf), &q), 0, "qos: put");
	is_int(xm_qos_parse(first(nlh), &back), 0, "qos: parse");
	ok(!memcmp(back.dscp_map, q.dscp_map, sizeof(q.dscp_map)),
	   "qos: DSCP map back");
	is_int(back.prio_map[7], XMESH_TC_NETWORK_CONTROL, "qos: prio map back");
	is_int(back.n_tclass, 2, "qos: two classes");
	is_int(back.tclass[0].id, XMESH_TC_REALTIME, "qos: class id");
	ok(back.tclass[0].rate == 1000000 && back.tclass[0].burst == 30000,
	   "qos: rate and burst");
	ok(XM_HAS(&back.tclass[1], XMESH_TCLASS_A_RATE) &&
	   !XM_HAS(&back.tclass[1], XMESH_TCLASS_A_BURST) &&
	   back.tclass[1].rate == 0, "qos: rate 0 is put, burst not");

	/* A class without an id; a map of the wrong size. */
	nlh = msg();
	{
		struct nlattr *n = mnl_attr_nest_start(nlh, XMESH_A_QOS);
		struct nlattr *t = mnl_attr_nest_start(nlh, XMESH_QOS_A_TCLASS);

		mnl_attr_put_u64(nlh, XMESH_TCLASS_A_RATE, 5);
		mnl_attr_nest_end(nlh, t);
		mnl_attr_nest_end(nlh, n);
	}
	is_int(xm_qos_parse(first(nlh), &back), -EINVAL,
	       "qos: a class without id is malformed");
	nlh = msg();
	{
		struct nlattr *n = mnl_attr_nest_start(nlh, XMESH_A_QOS);

		mnl_attr_put(nlh, XMESH_QOS_A_DSCP_MAP, 63, buf + 2048);
		mnl_attr_nest_end(nlh, n);
	}
	is_int(xm_qos_parse(first(nlh), &back), -EINVAL,
	       "qos: a 63-byte DSCP map is malformed");
}

static void rule_nest(void)
{
	struct xm_qos_rule r = { 0 }, back;
	struct nlmsghdr *nlh = msg();

	r.id = 10;
	r.tclass = XMESH_TC_INTERACTIVE;
	r.addr.family = AF_INET6;
	r.addr.raw[0] = 0xfd;
	r.len = 16;
	r.protocol = 17;
	r.port_min = 5000;
	r.port_max = 5009;
	r.sport_min = 7000;
	r.sport_max = 7000;
	r.present = XM_BIT(XMESH_QOS_RULE_A_SPORT_MIN) |
		    XM_BIT(XMESH_QOS_RULE_A_SPORT_MAX) |
		    XM_BIT(XMESH_QOS_RULE_A_TCLASS) |
		    XM_BIT(XMESH_QOS_RULE_A_FAMILY) |
		    XM_BIT(XMESH_QOS_RULE_A_PROTOCOL) |
		    XM_BIT(XMESH_QOS_RULE_A_PORT_MIN) |
		    XM_BIT(XMESH_QOS_RULE_A_PORT_MAX);
	is_int(xm_qos_rule_put(nlh, sizeof(buf), &r), 0, "rule: put");
	is_int(xm_qos_rule_parse(first(nlh), &back), 0, "rule: parse");
	ok(back.id == 10 && back.tclass == XMESH_TC_INTERACTIVE &&
	   back.addr.family == AF_INET6 && back.addr.raw[0] == 0xfd &&
	   back.len == 16 && back.protocol == 17 && back.port_min == 5000 &&
	   back.port_max == 5009 && back.sport_min == 7000 &&
	   back.sport_max == 7000, "rule: every field back");

	/* Just an id (a del): nothing else put. */
	nlh = msg();
	memset(&r, 0, sizeof(r));
	r.id = 3;
	is_int(xm_qos_rule_put(nlh, sizeof(buf), &r), 0, "rule: id only");
	is_int(xm_qos_rule_parse(first(nlh), &back), 0, "rule: id only back");
	is_int(back.present, XM_BIT(XMESH_QOS_RULE_A_ID), "rule: only the id");

	/* A family without an address. */
	nlh = msg();
	{
		struct nlattr *n = mnl_attr_nest_start(nlh, XMESH_A_QOS_RULE);

		mnl_attr_put_u32(nlh, XMESH_QOS_RULE_A_ID, 1);
		mnl_attr_put_u16(nlh, XMESH_QOS_RULE_A_FAMILY, AF_INET);
		mnl_attr_nest_end(nlh, n);
	}
	is_int(xm_qos_rule_parse(first(nlh), &back), -EINVAL,
	       "rule: a family without an address is malformed");
	/* A family that is not the address's. */
	nlh = msg();
	{
		struct nlattr *n = mnl_attr_nest_start(nlh, XMESH_A_QOS_RULE);
		uint8_t v6[16] = { 0xfd };

		mnl_attr_put_u32(nlh, XMESH_QOS_RULE_A_ID, 1);
		mnl_attr_put_u16(nlh, XMESH_QOS_RULE_A_FAMILY, AF_INET);
		mnl_attr_put(nlh, XMESH_QOS_RULE_A_ADDR, sizeof(v6), v6);
		mnl_attr_nest_end(nlh, n);
	}
	is_int(xm_qos_rule_parse(first(nlh), &back), -EINVAL,
	       "rule: an IPv4 family with an IPv6 address is malformed");
	/* Too small a buffer: nothing left behind. */
	nlh = msg();
	r.present = 0;
	is_int(xm_qos_rule_put(nlh, MNL_NLMSG_HDRLEN + 8, &r), -EMSGSIZE,
	       "rule: no room");
	is_int(nlh->nlmsg_len, MNL_NLMSG_HDRLEN, "rule: no room, nothing put");
}

/* What xm_msg_parse() passed on: the type and the object of each nest. */
static struct {
	unsigned int n;
	struct xm_entry e[4];
} seen;

static int seen_cb(const struct xm_msg_info *info, const struct xm_entry *e,
		   void *data)
{
	(void)info, (void)data;
	if (seen.n < 4)
		seen.e[seen.n] = *e;
	seen.n++;
	return 0;
}

/* A reply of both nests goes through the path every object shares. */
static void entries(void)
{
	struct xm_entry q = { .type = XMESH_A_QOS };
	struct xm_entry r = { .type = XMESH_A_QOS_RULE };
	struct nlmsghdr *nlh = msg();
	struct xm_msg_info info;
	struct genlmsghdr *g;

	nlh->nlmsg_type = 0x1f;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = XMESH_CMD_QOS_RULE_GET;
	q.qos.n_tclass = 1;
	q.qos.tclass[0].id = XMESH_TC_INTERACTIVE;
	q.qos.tclass[0].rate = 4000;
	q.qos.tclass[0].present = XM_BIT(XMESH_TCLASS_A_RATE);
	r.qos_rule.id = 9;
	r.qos_rule.protocol = 6;
	r.qos_rule.present = XM_BIT(XMESH_QOS_RULE_A_PROTOCOL);
	is_int(xm_entry_put(nlh, sizeof(buf), &q), 0, "entry: qos put");
	is_int(xm_entry_put(nlh, sizeof(buf), &r), 0, "entry: rule put");
	memset(&seen, 0, sizeof(seen));
	is_int(xm_msg_parse(nlh, &info, seen_cb, NULL), 0, "entry: parsed");
	is_int(seen.n, 2, "entry: two nests");
	ok(seen.e[0].type == XMESH_A_QOS && seen.e[0].qos.n_tclass == 1 &&
	   seen.e[0].qos.tclass[0].id == XMESH_TC_INTERACTIVE &&
	   seen.e[0].qos.tclass[0].rate == 4000, "entry: the qos object");
	ok(seen.e[1].type == XMESH_A_QOS_RULE && seen.e[1].qos_rule.id == 9 &&
	   seen.e[1].qos_rule.protocol == 6, "entry: the rule object");
}

/* What the fake kernel saw of the one request, and what it answers. */
static struct {
	uint8_t cmd;
	bool flush, replace, has_qos, has_rule;
	struct xm_qos qos;
	struct xm_qos_rule rule;
	int answer;
} kern;

static int fake(struct nlc_sock *s, struct nlc_batch *b,
		struct nlc_result *res, void *priv)
{
	const struct nlmsghdr *nlh = nlc_batch_msg(b, 0);
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	(void)s, (void)priv;
	kern.cmd = g->cmd;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case XMESH_A_FLUSH:
			kern.flush = true;
			break;
		case XMESH_A_REPLACE:
			kern.replace = true;
			break;
		case XMESH_A_QOS:
			kern.has_qos = !xm_qos_parse(a, &kern.qos);
			break;
		case XMESH_A_QOS_RULE:
			kern.has_rule = !xm_qos_rule_parse(a, &kern.rule);
			break;
		}
	}
	res[0].done = true;
	res[0].e.err = kern.answer;
	if (kern.answer)
		snprintf(res[0].e.msg, sizeof(res[0].e.msg),
			 "traffic class 3: a burst needs a rate");
	return 0;
}

static void requests(void)
{
	struct xm_qos q = { 0 };
	struct xm_qos_rule r = { 0 };
	struct nlc_error e;
	struct xmnl h;

	memset(&h, 0, sizeof(h));
	h.family = 0x1f;
	h.sock.fake = fake;

	memset(&kern, 0, sizeof(kern));
	q.n_tclass = 1;
	q.tclass[0].id = XMESH_TC_REALTIME;
	q.tclass[0].burst = 3000;
	q.tclass[0].present = XM_BIT(XMESH_TCLASS_A_BURST);
	kern.answer = -EINVAL;
	is_int(xmnl_qos_set(&h, 0, "xmesh0", &q, &e), -EINVAL,
	       "qos-set: the kernel's error");
	is_str(e.msg, "traffic class 3: a burst needs a rate",
	       "qos-set: its message");
	ok(kern.cmd == XMESH_CMD_QOS_SET && kern.has_qos &&
	   kern.qos.n_tclass == 1 && kern.qos.tclass[0].burst == 3000,
	   "qos-set: the class went out");

	memset(&kern, 0, sizeof(kern));
	r.id = 4;
	r.tclass = XMESH_TC_BULK;
	r.present = XM_BIT(XMESH_QOS_RULE_A_TCLASS);
	is_int(xmnl_qos_rule_change(&h, XMESH_CMD_QOS_RULE_NEW, 0, "xmesh0",
				    &r, true, &e), 0, "rule-new: acked");
	ok(kern.cmd == XMESH_CMD_QOS_RULE_NEW && kern.replace &&
	   !kern.flush && kern.has_rule && kern.rule.id == 4,
	   "rule-new: the rule, with replace");
	memset(&kern, 0, sizeof(kern));
	is_int(xmnl_qos_rule_change(&h, XMESH_CMD_QOS_RULE_DEL, 0, "xmesh0",
				    NULL, false, &e), 0, "rule-del: acked");
	ok(kern.cmd == XMESH_CMD_QOS_RULE_DEL && kern.flush &&
	   !kern.has_rule, "rule-del without a rule: flush");
}

int main(void)
{
	names();
	rates();
	qos_nest();
	rule_nest();
	entries();
	requests();
	return tap_done();
}
