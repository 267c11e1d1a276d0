// SPDX-License-Identifier: GPL-2.0
/*
 * Requests built into a buffer and read back with mnl_attr_parse
 * (attributes, nesting, what is left out), typed round trips, batching
 * of changes, reply and event parsing, attribute paths, rtnetlink.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "nlbuild.h"
#include "tap.h"
#include "xmesh_change.h"
#include "xmesh_names.h"
#include "xmesh_rt.h"

#define MAXT 32

static int table_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type < MAXT)
		tb[type] = a;
	return MNL_CB_OK;
}

/* The message's top-level attributes by type (the last of each). */
static void top(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	memset(tb, 0, MAXT * sizeof(*tb));
	mnl_attr_parse(nlh, GENL_HDRLEN, table_cb, tb);
}

static void nested(const struct nlattr *nest, const struct nlattr **tb)
{
	memset(tb, 0, MAXT * sizeof(*tb));
	mnl_attr_parse_nested(nest, table_cb, tb);
}

static struct nlmsghdr *start(struct nlc_batch *b, uint8_t cmd)
{
	nlc_batch_reset(b);
	return xmnl_msg_start(b, TEST_FAMILY, cmd, NLM_F_ACK);
}

static void neigh(struct nlc_batch *b)
{
	const struct nlattr *tb[MAXT], *nt[MAXT];
	struct xm_neigh n = { 0 }, back;
	struct nlmsghdr *nlh = start(b, XMESH_CMD_NEIGH_NEW);
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	n.id = 10;
	n.node = 2;
	n.link = 4;
	xm_parse_addr("10.99.1.2", &n.remote, NULL);
	n.port = 7601;
	n.state = XMESH_NEIGH_UP;
	n.carrier = 1;		/* read-only: must not be sent */
	n.mtu = 1400;
	XM_SET(&n, XMESH_NEIGH_A_ID);
	XM_SET(&n, XMESH_NEIGH_A_NODE);
	XM_SET(&n, XMESH_NEIGH_A_LINK);
	XM_SET(&n, XMESH_NEIGH_A_REMOTE);
	XM_SET(&n, XMESH_NEIGH_A_PORT);
	XM_SET(&n, XMESH_NEIGH_A_STATE);
	XM_SET(&n, XMESH_NEIGH_A_CARRIER);
	XM_SET(&n, XMESH_NEIGH_A_MTU);
	is_int(xm_devsel_put(nlh, b->cap, 0, "xmesh0"), 0, "neigh: devsel put");
	is_int(xm_neigh_put(nlh, b->cap, &n), 0, "neigh: nest put");

	is_int(nlh->nlmsg_type, TEST_FAMILY, "msg: type is the family id");
	is_int(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK,
	       "msg: request with ack");
	is_int(g->cmd, XMESH_CMD_NEIGH_NEW, "msg: genl command");
	is_int(g->version, XMESH_GENL_VERSION, "msg: genl version");
	top(nlh, tb);
	ok(tb[XMESH_A_IFNAME] &&
	   mnl_attr_validate(tb[XMESH_A_IFNAME], MNL_TYPE_NUL_STRING) == 0 &&
	   !strcmp(mnl_attr_get_str(tb[XMESH_A_IFNAME]), "xmesh0"),
	   "msg: ifname is a NUL-terminated string");
	ok(!tb[XMESH_A_IFINDEX], "msg: exactly one of ifindex and ifname");
	ok(tb[XMESH_A_NEIGH] && (tb[XMESH_A_NEIGH]->nla_type & NLA_F_NESTED),
	   "msg: neigh nest has NLA_F_NESTED");
	nested(tb[XMESH_A_NEIGH], nt);
	ok(nt[XMESH_NEIGH_A_ID] && mnl_attr_get_u32(nt[XMESH_NEIGH_A_ID]) == 10,
	   "neigh: id u32");
	ok(nt[XMESH_NEIGH_A_REMOTE] &&
	   mnl_attr_get_payload_len(nt[XMESH_NEIGH_A_REMOTE]) == 4,
	   "neigh: IPv4 remote is 4 bytes");
	ok(nt[XMESH_NEIGH_A_PORT] &&
	   mnl_attr_get_payload_len(nt[XMESH_NEIGH_A_PORT]) == 2 &&
	   mnl_attr_get_u16(nt[XMESH_NEIGH_A_PORT]) == 7601,
	   "neigh: port u16 in host order");
	ok(nt[XMESH_NEIGH_A_STATE] &&
	   mnl_attr_get_payload_len(nt[XMESH_NEIGH_A_STATE]) == 1,
	   "neigh: state u8");
	ok(!nt[XMESH_NEIGH_A_CARRIER] && !nt[XMESH_NEIGH_A_MTU],
	   "neigh: read-only attributes left out");
	ok(!nt[XMESH_NEIGH_A_LOCAL], "neigh: unset local left out");

	is_int(xm_neigh_parse(tb[XMESH_A_NEIGH], &back), 0,
	       "neigh: parses back");
	ok(back.id == 10 && back.node == 2 && back.link == 4 &&
	   back.port == 7601 && back.state == XMESH_NEIGH_UP &&
	   back.remote.family == AF_INET &&
	   !memcmp(back.remote.raw, n.remote.raw, 4),
	   "neigh: round trip keeps every field");
	is_int(back.present, n.present & ~(XM_BIT(XMESH_NEIGH_A_CARRIER) |
					   XM_BIT(XMESH_NEIGH_A_MTU)),
	       "neigh: round trip present mask");
	is_int(xm_neigh_put(nlh, nlh->nlmsg_len + 8, &n), -EMSGSIZE,
	       "neigh: no room is -EMSGSIZE");
	top(nlh, tb);
	is_int(mnl_attr_get_payload_len(tb[XMESH_A_NEIGH]) > 8, 1,
	       "neigh: a failed put leaves the message as it was");
}

static void route(struct nlc_batch *b)
{
	const struct nlattr *tb[MAXT], *rt[MAXT], *a;
	struct nlmsghdr *nlh = start(b, XMESH_CMD_ROUTE_NEW);
	struct xm_route r = { 0 }, back;
	int hops = 0;

	r.dst = 5;
	XM_SET(&r, XMESH_ROUTE_A_DST);
	r.n_nexthops = 2;
	r.nexthop[0].neigh = 10;
	XM_SET(&r.nexthop[0], XMESH_NEXTHOP_A_NEIGH);
	r.nexthop[1].neigh = 11;
	r.nexthop[1].priority = 1;
	r.nexthop[1].active = true;	/* read-only */
	XM_SET(&r.nexthop[1], XMESH_NEXTHOP_A_NEIGH);
	XM_SET(&r.nexthop[1], XMESH_NEXTHOP_A_PRIORITY);
	XM_SET(&r.nexthop[1], XMESH_NEXTHOP_A_ACTIVE);
	xm_devsel_put(nlh, b->cap, 7, "ignored");
	is_int(xm_route_put(nlh, b->cap, &r), 0, "route: nest put");
	top(nlh, tb);
	ok(tb[XMESH_A_IFINDEX] && !tb[XMESH_A_IFNAME] &&
	   mnl_attr_get_u32(tb[XMESH_A_IFINDEX]) == 7,
	   "route: ifindex wins over ifname");
	nested(tb[XMESH_A_ROUTE], rt);
	ok(rt[XMESH_ROUTE_A_DST] && mnl_attr_get_u32(rt[XMESH_ROUTE_A_DST]) == 5,
	   "route: dst");
	mnl_attr_for_each_nested(a, tb[XMESH_A_ROUTE]) {
		const struct nlattr *nt[MAXT];

		if (mnl_attr_get_type(a) != XMESH_ROUTE_A_NEXTHOP)
			continue;
		ok(a->nla_type & NLA_F_NESTED, "route: nexthop %d is a nest",
		   hops);
		nested(a, nt);
		ok(nt[XMESH_NEXTHOP_A_NEIGH] &&
		   mnl_attr_get_u32(nt[XMESH_NEXTHOP_A_NEIGH]) == (hops ? 11u : 10u),
		   "route: nexthop %d neigh", hops);
		ok(!nt[XMESH_NEXTHOP_A_ACTIVE],
		   "route: nexthop %d has no active flag", hops);
		ok(hops ? nt[XMESH_NEXTHOP_A_PRIORITY] != NULL :
			  nt[XMESH_NEXTHOP_A_PRIORITY] == NULL,
		   "route: nexthop %d priority only when set", hops);
		hops++;
	}
	is_int(hops, 2, "route: two nexthop nests");
	is_int(xm_route_parse(tb[XMESH_A_ROUTE], &back), 0, "route: parses back");
	ok(back.dst == 5 && back.n_nexthops == 2 &&
	   back.nexthop[1].neigh == 11 && back.nexthop[1].priority == 1 &&
	   !back.nexthop[1].active, "route: round trip");
}

/*
 * Put the OAM request o (its destination set) with ident and seq into a
 * new message of b; its top attributes into tb, its nest's into pt.
 */
static void oam_send(struct nlc_batch *b, struct xm_oam *o, uint16_t ident,
		     uint32_t seq, const char *name, const struct nlattr **tb,
		     const struct nlattr **pt)
{
	struct nlmsghdr *nlh = start(b, XMESH_CMD_OAM_SEND);

	o->ident = ident;
	o->seq = seq;
	XM_SET(o, XMESH_OAM_A_IDENT);
	XM_SET(o, XMESH_OAM_A_SEQ);
	is_int(xm_oam_put(nlh, b->cap, o), 0, name);
	top(nlh, tb);
	nested(tb[XMESH_A_OAM], pt);
}

static void prefix_dev_oam(struct nlc_batch *b)
{
	const struct nlattr *tb[MAXT], *pt[MAXT];
	struct nlmsghdr *nlh = start(b, XMESH_CMD_PREFIX_NEW);
	struct xm_prefix p = { 0 }, back;
	struct xm_dev d = { 0 };
	struct xm_oam o = { 0 };

	xm_parse_prefix("fd00:5::/64", &p.addr, &p.len);
	p.node = 5;
	XM_SET(&p, XMESH_PREFIX_A_ADDR);
	XM_SET(&p, XMESH_PREFIX_A_LEN);
	XM_SET(&p, XMESH_PREFIX_A_NODE);
	is_int(xm_prefix_put(nlh, b->cap, &p), 0, "prefix: nest put");
	top(nlh, tb);
	nested(tb[XMESH_A_PREFIX], pt);
	ok(pt[XMESH_PREFIX_A_FAMILY] &&
	   mnl_attr_get_u16(pt[XMESH_PREFIX_A_FAMILY]) == AF_INET6,
	   "prefix: family u16 AF_INET6");
	ok(pt[XMESH_PREFIX_A_ADDR] &&
	   mnl_attr_get_payload_len(pt[XMESH_PREFIX_A_ADDR]) == 16,
	   "prefix: 16-byte address");
	ok(pt[XMESH_PREFIX_A_LEN] && mnl_attr_get_u8(pt[XMESH_PREFIX_A_LEN]) == 64,
	   "prefix: length u8");
	is_int(xm_prefix_parse(tb[XMESH_A_PREFIX], &back), 0,
	       "prefix: parses back");
	ok(back.len == 64 && back.node == 5 && back.addr.family == AF_INET6 &&
	   !memcmp(back.addr.raw, p.addr.raw, 16), "prefix: round trip");

	nlh = start(b, XMESH_CMD_DEV_SET);
	d.hop_limit = 9;
	XM_SET(&d, XMESH_DEV_A_HOP_LIMIT);
	is_int(xm_dev_put(nlh, b->cap, &d), 0, "dev: nest put");
	top(nlh, tb);
	nested(tb[XMESH_A_DEV], pt);
	ok(pt[XMESH_DEV_A_HOP_LIMIT] && !pt[XMESH_DEV_A_NODE_ID] &&
	   !pt[XMESH_DEV_A_PORT] && !pt[XMESH_DEV_A_FAMILY],
	   "dev: only the settings given");

	o.dst = 5;
	XM_SET(&o, XMESH_OAM_A_DST);
	oam_send(b, &o, 0xbeef, 3, "oam: nest put", tb, pt);
	ok(pt[XMESH_OAM_A_IDENT] && mnl_attr_get_u16(pt[XMESH_OAM_A_IDENT]) == 0xbeef,
	   "oam: ident u16");
	ok(!pt[XMESH_OAM_A_HOP_LIMIT], "oam: no hop limit: the device's");
	ok(!pt[XMESH_OAM_A_NEIGH], "oam: no neighbor: a probe along the route");
}

/* A link probe names the adjacency; its answer names it too. */
static void oam_link(struct nlc_batch *b)
{
	const struct nlattr *tb[MAXT], *pt[MAXT];
	struct xm_oam o = { 0 }, back;
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	o.neigh = 70000;
	XM_SET(&o, XMESH_OAM_A_NEIGH);
	oam_send(b, &o, 7, 0xfffffffe, "oam link: nest put", tb, pt);
	ok(pt[XMESH_OAM_A_NEIGH] &&
	   mnl_attr_get_payload_len(pt[XMESH_OAM_A_NEIGH]) == 4 &&
	   mnl_attr_get_u32(pt[XMESH_OAM_A_NEIGH]) == 70000,
	   "oam link: neigh u32");
	ok(!pt[XMESH_OAM_A_DST] && !pt[XMESH_OAM_A_HOP_LIMIT],
	   "oam link: no dst, no hop limit");
	is_int(xm_oam_parse(tb[XMESH_A_OAM], &back), 0, "oam link: parses back");
	ok(back.neigh == 70000 && back.seq == 0xfffffffe && back.ident == 7 &&
	   XM_HAS(&back, XMESH_OAM_A_NEIGH) && !XM_HAS(&back, XMESH_OAM_A_DST),
	   "oam link: round trip");

	/* As the kernel reports a link reply. */
	nlh = start(b, XMESH_CMD_OAM_EVENT);
	nest = mnl_attr_nest_start(nlh, XMESH_A_OAM);
	mnl_attr_put_u32(nlh, XMESH_OAM_A_DST, 5);
	mnl_attr_put_u16(nlh, XMESH_OAM_A_IDENT, 7);
	mnl_attr_put_u32(nlh, XMESH_OAM_A_SEQ, 9);
	mnl_attr_put_u8(nlh, XMESH_OAM_A_HOP_LIMIT, 1);
	mnl_attr_put_u8(nlh, XMESH_OAM_A_OP, XMESH_OAM_LINK_REPLY);
	mnl_attr_put_u32(nlh, XMESH_OAM_A_REPORTER, 5);
	mnl_attr_put_u64(nlh, XMESH_OAM_A_RTT_NS, 123456);
	mnl_attr_put_u32(nlh, XMESH_OAM_A_NEIGH, 3);
	mnl_attr_nest_end(nlh, nest);
	top(nlh, tb);
	is_int(xm_oam_parse(tb[XMESH_A_OAM], &back), 0, "oam link: reply parses");
	ok(back.op == XMESH_OAM_LINK_REPLY && back.neigh == 3 &&
	   back.reporter == 5 && back.rtt_ns == 123456 && back.seq == 9,
	   "oam link: reply op, neigh, reporter, rtt");

	nlh = start(b, XMESH_CMD_OAM_EVENT);
	nest = mnl_attr_nest_start(nlh, XMESH_A_OAM);
	mnl_attr_put_u16(nlh, XMESH_OAM_A_NEIGH, 3);
	mnl_attr_nest_end(nlh, nest);
	top(nlh, tb);
	is_int(xm_oam_parse(tb[XMESH_A_OAM], &back), -EINVAL,
	       "oam link: a 2-byte neigh is malformed");
}

/* Every counter, drop reason and OAM op of the header has its names. */
static void names(void)
{
	bool all = true;
	int i;

	for (i = XMESH_COUNTER_A_PAD + 1; i <= XMESH_COUNTER_A_MAX; i++)
		all = all && xm_counter_name(i) && xm_counter_key(i);
	ok(all, "names: every counter");
	for (i = XMESH_DROP_A_PAD + 1; i <= XMESH_DROP_A_MAX; i++)
		all = all && xm_drop_name(i) && xm_drop_key(i);
	ok(all, "names: every drop reason");
	for (i = XMESH_OAM_ECHO_REQUEST; i <= XMESH_OAM_LINK_REPLY; i++)
		all = all && xm_oam_op_name((uint8_t)i);
	ok(all, "names: every OAM op");
	is_str(xm_oam_op_name(XMESH_OAM_LINK_REQUEST), "link-request",
	       "names: link-request");
	is_str(xm_oam_op_name(XMESH_OAM_LINK_REPLY), "link-reply",
	       "names: link-reply");
	ok(!xm_oam_op_name(XMESH_OAM_LINK_REPLY + 1), "names: no op 7");
	is_str(xm_counter_key(XMESH_COUNTER_A_ROUTE_LIMIT_HITS),
	       "route_limit_hits", "names: route_limit_hits key");
	is_str(xm_counter_name(XMESH_COUNTER_A_NEIGH_LIMIT_HITS),
	       "neigh-limit-hits", "names: neigh-limit-hits name");
	is_str(xm_drop_key(XMESH_DROP_A_NODE_MISMATCH), "node_mismatch",
	       "names: node_mismatch key");
	ok(!xm_counter_key(XMESH_COUNTER_A_MAX + 1) &&
	   !xm_drop_key(XMESH_DROP_A_MAX + 1), "names: none past the last");
}

static struct xm_change mk(uint8_t cmd, bool replace, const char *dev,
			   uint32_t id)
{
	struct xm_change c;

	memset(&c, 0, sizeof(c));
	c.cmd = cmd;
	c.replace = replace;
	snprintf(c.ifname, sizeof(c.ifname), "%s", dev);
	if (cmd == XMESH_CMD_ROUTE_NEW || cmd == XMESH_CMD_ROUTE_DEL) {
		c.e.type = XMESH_A_ROUTE;
		c.e.route.dst = id;
		XM_SET(&c.e.route, XMESH_ROUTE_A_DST);
		c.e.route.n_nexthops = 1;
		c.e.route.nexthop[0].neigh = 1;
		XM_SET(&c.e.route.nexthop[0], XMESH_NEXTHOP_A_NEIGH);
	} else {
		c.e.type = XMESH_A_NEIGH;
		c.e.neigh.id = id;
		XM_SET(&c.e.neigh, XMESH_NEIGH_A_ID);
	}
	return c;
}

static int count_type(const struct nlmsghdr *nlh, int type)
{
	const struct nlattr *a;
	int n = 0;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		n += mnl_attr_get_type(a) == type;
	return n;
}

static void batching(struct nlc_batch *b)
{
	struct xm_change c[9];
	static struct xm_change many[1000];
	const struct nlattr *tb[MAXT];
	ssize_t k;
	size_t i, total = 0;

	c[0] = mk(XMESH_CMD_NEIGH_NEW, false, "xmesh0", 1);
	c[1] = mk(XMESH_CMD_NEIGH_NEW, false, "xmesh0", 2);
	c[2] = mk(XMESH_CMD_NEIGH_NEW, false, "xmesh0", 3);
	c[3] = mk(XMESH_CMD_ROUTE_NEW, false, "xmesh0", 5);
	c[4] = mk(XMESH_CMD_ROUTE_NEW, false, "xmesh0", 6);
	c[5] = mk(XMESH_CMD_NEIGH_NEW, false, "xm1", 4);
	c[6] = mk(XMESH_CMD_NEIGH_DEL, false, "xmesh0", 0);
	c[6].flush = true;
	c[6].e.type = 0;
	c[7] = mk(XMESH_CMD_ROUTE_NEW, true, "xmesh0", 7);
	c[8] = mk(XMESH_CMD_ROUTE_NEW, false, "xmesh0", 8);

	k = xm_changes_build(b, TEST_FAMILY, c, 9, true, NLC_BATCH_MSGS);
	is_int(k, 9, "batch: every change built");
	is_int(b->n, 6, "batch: runs of one kind share a message");
	is_int(count_type(nlc_batch_msg(b, 0), XMESH_A_NEIGH), 3,
	       "batch: three neighbors in the first message");
	is_int(count_type(nlc_batch_msg(b, 1), XMESH_A_ROUTE), 2,
	       "batch: two routes in the second");
	top(nlc_batch_msg(b, 2), tb);
	ok(tb[XMESH_A_IFNAME] &&
	   !strcmp(mnl_attr_get_str(tb[XMESH_A_IFNAME]), "xm1"),
	   "batch: another device, another message");
	top(nlc_batch_msg(b, 3), tb);
	ok(tb[XMESH_A_FLUSH] && !tb[XMESH_A_NEIGH], "batch: flush alone");
	top(nlc_batch_msg(b, 4), tb);
	ok(tb[XMESH_A_REPLACE] != NULL, "batch: replace keeps its attribute");
	top(nlc_batch_msg(b, 5), tb);
	ok(!tb[XMESH_A_REPLACE], "batch: replace and add are not merged");
	ok(nlc_batch_msg(b, 1)->nlmsg_flags & NLM_F_ACK, "batch: each acked");
	is_int(c[4].msg, 1, "batch: change 4 in message 1");
	is_int(xm_change_at(c, 9, 1, c[4].off + 4), 4,
	       "batch: an offset inside a nest names its change");
	is_int(xm_change_at(c, 9, 1, 0), 9,
	       "batch: an offset outside every nest names none");
	is_int(xm_change_at(c, 9, 7, c[4].off + 4), 9,
	       "batch: offsets are per message");

	k = xm_changes_build(b, TEST_FAMILY, c, 9, false, NLC_BATCH_MSGS);
	is_int(b->n, 9, "batch: without merging, one message each");
	k = xm_changes_build(b, TEST_FAMILY, c, 9, true, 2);
	is_int(k, 5, "batch: message limit stops after whole runs");

	/* Routes with 8 next hops: more than one sendmsg can take. */
	for (i = 0; i < 1000; i++) {
		unsigned int h;

		many[i] = mk(XMESH_CMD_ROUTE_NEW, false, "xmesh0", (uint32_t)i + 1);
		many[i].e.route.n_nexthops = XMESH_MAX_NEXTHOPS;
		for (h = 0; h < XMESH_MAX_NEXTHOPS; h++) {
			many[i].e.route.nexthop[h].neigh = h + 1;
			XM_SET(&many[i].e.route.nexthop[h],
			       XMESH_NEXTHOP_A_NEIGH);
		}
	}
	k = xm_changes_build(b, TEST_FAMILY, many, 1000, true, NLC_BATCH_MSGS);
	ok(k > 0 && k < 1000, "batch: a full buffer takes a part (%zd)", k);
	ok(b->n > 1, "batch: merged run split over %zu messages", b->n);
	for (i = 0; i < b->n; i++) {
		ok(nlc_batch_msg(b, i)->nlmsg_len <= XM_MSG_MAX,
		   "batch: message %zu within XM_MSG_MAX", i);
		total += (size_t)count_type(nlc_batch_msg(b, i), XMESH_A_ROUTE);
	}
	is_int((long long)total, k, "batch: every change is in a message");
	ok(b->len <= b->cap, "batch: within the buffer");
	k = xm_changes_build(b, TEST_FAMILY, many + k, 1000 - (size_t)k, true,
			     NLC_BATCH_MSGS);
	ok(k > 0, "batch: the rest goes in the next one");
}

static int collect_cb(const struct xm_msg_info *info, const struct xm_entry *e,
		      void *data)
{
	struct xm_entry *out = data;

	(void)info;
	if (e->type == XMESH_A_DEV)
		out[0] = *e;
	else if (e->type == XMESH_A_NEIGH)
		out[1] = *e;
	return 0;
}

static void replies(void)
{
	char buf[512] __attribute__((aligned(4)));
	struct xm_entry got[2];
	struct xm_msg_info info;
	struct nlmsghdr *nlh;
	struct nlattr *nest, *c;

	/* The device nest first, ifindex and ifname after it. */
	nlh = genl_msg(buf, TEST_FAMILY, XMESH_CMD_DEV_GET, 0, 1, 1);
	nest = mnl_attr_nest_start(nlh, XMESH_A_DEV);
	mnl_attr_put_u32(nlh, XMESH_DEV_A_NODE_ID, 1);
	mnl_attr_put_u16(nlh, XMESH_DEV_A_PORT, 7600);
	c = mnl_attr_nest_start(nlh, XMESH_DEV_A_COUNTERS);
	mnl_attr_put_u64(nlh, XMESH_COUNTER_A_RX_PACKETS, 1ull << 40);
	mnl_attr_put_u64(nlh, 99, 1);	/* a counter from the future */
	mnl_attr_nest_end(nlh, c);
	mnl_attr_put_u32(nlh, 77, 1);	/* an attribute from the future */
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_u32(nlh, XMESH_A_IFINDEX, 9);
	mnl_attr_put_strz(nlh, XMESH_A_IFNAME, "xmesh0");
	memset(got, 0, sizeof(got));
	is_int(xm_msg_parse(nlh, &info, collect_cb, got), 0, "reply: parses");
	is_int(info.cmd, XMESH_CMD_DEV_GET, "reply: command");
	is_int(got[0].dev.ifindex, 9, "reply: device gets the ifindex after it");
	is_str(got[0].dev.ifname, "xmesh0", "reply: and the ifname");
	is_int(got[0].dev.counters[XMESH_COUNTER_A_RX_PACKETS], 1ll << 40,
	       "reply: 64-bit counter");
	ok(!XM_HAS(&got[0].dev, XMESH_DEV_A_HOP_LIMIT),
	   "reply: absent attribute not present");

	/* A malformed attribute fails the parse. */
	nlh = genl_msg(buf, TEST_FAMILY, XMESH_CMD_NEIGH_GET, 0, 1, 1);
	nest = mnl_attr_nest_start(nlh, XMESH_A_NEIGH);
	mnl_attr_put_u16(nlh, XMESH_NEIGH_A_ID, 1);	/* u32 expected */
	mnl_attr_nest_end(nlh, nest);
	is_int(xm_msg_parse(nlh, &info, collect_cb, got), -EINVAL,
	       "reply: wrong attribute size is -EINVAL");
	nlh = genl_msg(buf, TEST_FAMILY, XMESH_CMD_NEIGH_GET, 0, 1, 1);
	nest = mnl_attr_nest_start(nlh, XMESH_A_NEIGH);
	mnl_attr_put(nlh, XMESH_NEIGH_A_REMOTE, 5, "12345");
	mnl_attr_nest_end(nlh, nest);
	is_int(xm_msg_parse(nlh, &info, collect_cb, got), -EINVAL,
	       "reply: 5-byte address is -EINVAL");
	nlh = genl_msg(buf, TEST_FAMILY, XMESH_CMD_NEIGH_GET, 0, 1, 1);
	mnl_attr_put(nlh, XMESH_A_IFNAME, 3, "abc");	/* no NUL */
	is_int(xm_msg_parse(nlh, &info, collect_cb, got), -EINVAL,
	       "reply: unterminated ifname is -EINVAL");
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = TEST_FAMILY;
	is_int(xm_msg_parse(nlh, &info, collect_cb, got), -EINVAL,
	       "reply: no genl header is -EINVAL");
}

static int event_cb(const struct xm_msg_info *info, const struct xm_entry *e,
		    void *data)
{
	int *seen = data;

	if (info->cmd == XMESH_CMD_NEIGH_DEL && e->type == XMESH_A_NEIGH &&
	    e->neigh.id == 3)
		seen[0]++;
	if (info->cmd == XMESH_CMD_OAM_EVENT && e->type == XMESH_A_OAM &&
	    e->oam.rtt_ns == 412000 && info->ifindex == 9)
		seen[1]++;
	seen[2]++;
	return 0;
}

static void events(void)
{
	char buf[1024] __attribute__((aligned(4)));
	struct xmnl h = { .family = TEST_FAMILY };
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	size_t len;
	int seen[3] = { 0 };

	nlh = genl_msg(buf, TEST_FAMILY, XMESH_CMD_NEIGH_DEL, 0, 0, 0);
	mnl_attr_put_u32(nlh, XMESH_A_IFINDEX, 9);
	nest = mnl_attr_nest_start(nlh, XMESH_A_NEIGH);
	mnl_attr_put_u32(nlh, XMESH_NEIGH_A_ID, 3);
	mnl_attr_nest_end(nlh, nest);
	len = nlh->nlmsg_len;
	/* Another family's message in the same datagram is skipped. */
	nlh = genl_msg(buf + len, TEST_FAMILY + 1, XMESH_CMD_NEIGH_DEL, 0, 0, 0);
	len += nlh->nlmsg_len;
	nlh = genl_msg(buf + len, TEST_FAMILY, XMESH_CMD_OAM_EVENT, 0, 0, 0);
	mnl_attr_put_u32(nlh, XMESH_A_IFINDEX, 9);
	nest = mnl_attr_nest_start(nlh, XMESH_A_OAM);
	mnl_attr_put_u8(nlh, XMESH_OAM_A_OP, XMESH_OAM_ECHO_REPLY);
	mnl_attr_put_u64(nlh, XMESH_OAM_A_RTT_NS, 412000);
	mnl_attr_nest_end(nlh, nest);
	len += nlh->nlmsg_len;
	is_int(xmnl_events_datagram(&h, buf, len, event_cb, seen), 1,
	       "events: datagram handled");
	is_int(seen[0], 1, "events: neighbor deletion");
	is_int(seen[1], 1, "events: OAM answer with its rtt");
	is_int(seen[2], 2, "events: the other family's message skipped");
}

static void describe(struct nlc_batch *b)
{
	struct nlmsghdr *nlh = start(b, XMESH_CMD_ROUTE_NEW);
	struct xm_route r = { 0 };
	const struct nlattr *a, *route = NULL, *nh2 = NULL, *neigh2 = NULL;
	char buf[NLC_ATTRLEN];
	int i = 0;

	xm_devsel_put(nlh, b->cap, 0, "xmesh0");
	r.dst = 5;
	XM_SET(&r, XMESH_ROUTE_A_DST);
	r.n_nexthops = 2;
	r.nexthop[0].neigh = 1;
	r.nexthop[1].neigh = 2;
	XM_SET(&r.nexthop[0], XMESH_NEXTHOP_A_NEIGH);
	XM_SET(&r.nexthop[1], XMESH_NEXTHOP_A_NEIGH);
	xm_route_put(nlh, b->cap, &r);
	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == XMESH_A_ROUTE)
			route = a;
	mnl_attr_for_each_nested(a, route)
		if (mnl_attr_get_type(a) == XMESH_ROUTE_A_NEXTHOP && i++ == 1)
			nh2 = a;
	neigh2 = mnl_attr_get_payload(nh2);

#define OFF(a) ((uint32_t)((const char *)(a) - (const char *)nlh))
	is_str(xm_attr_describe(nlh, OFF(neigh2), -1, buf, sizeof(buf)),
	       "route.nexthop[1].neigh", "describe: attribute in a nested nest");
	is_str(xm_attr_describe(nlh, OFF(route), -1, buf, sizeof(buf)),
	       "route", "describe: an entry");
	is_str(xm_attr_describe(nlh, OFF(nh2), XMESH_NEXTHOP_A_NEIGH, buf,
				sizeof(buf)),
	       "route.nexthop[1].neigh", "describe: missing in a nest");
	is_str(xm_attr_describe(nlh, 0, XMESH_A_IFINDEX, buf, sizeof(buf)),
	       "ifindex", "describe: missing at the top level");
	ok(!xm_attr_describe(nlh, OFF(neigh2) + 1, -1, buf, sizeof(buf)),
	   "describe: an offset on no attribute");
	ok(!xm_attr_describe(nlh, 100000, -1, buf, sizeof(buf)),
	   "describe: an offset past the message");
}

static int data_cb(const struct nlmsghdr *nlh, size_t idx, void *data)
{
	int *calls = data;

	(void)nlh;
	calls[idx]++;
	return 0;
}

static void exchange(void)
{
	char req[256] __attribute__((aligned(4)));
	char buf[1024] __attribute__((aligned(4)));
	struct nlc_result res[3];
	int calls[3] = { 0 };
	struct nlc_rx rx = { .portid = 42, .seq0 = 100, .n = 3, .res = res,
			     .cb = data_cb, .data = calls, .pending = 3 };
	struct nlmsghdr *r = genl_msg(req, TEST_FAMILY, 1, NLM_F_REQUEST, 102, 42);
	struct nlmsghdr *nlh;
	size_t len = 0;
	int zero = 0;

	memset(res, 0, sizeof(res));
	nlh = genl_msg(buf, TEST_FAMILY, 1, NLM_F_MULTI | NLM_F_DUMP_INTR, 100, 42);
	len += nlh->nlmsg_len;
	nlh = mnl_nlmsg_put_header(buf + len);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_seq = 100;
	nlh->nlmsg_pid = 42;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(zero)), &zero, 4);
	len += nlh->nlmsg_len;
	r->nlmsg_seq = 101;
	len += err_msg(buf + len, r, 0, true, 0)->nlmsg_len;
	/* Another socket's answer and a stale sequence number are skipped. */
	r->nlmsg_seq = 102;
	r->nlmsg_pid = 43;
	len += err_msg(buf + len, r, -EPERM, true, 0)->nlmsg_len;
	r->nlmsg_seq = 99;
	r->nlmsg_pid = 42;
	len += err_msg(buf + len, r, -EPERM, true, 0)->nlmsg_len;
	r->nlmsg_seq = 102;
	len += err_msg(buf + len, r, -EEXIST, false, 0)->nlmsg_len;

	nlc_rx_datagram(&rx, buf, len);
	is_int(rx.pending, 0, "rx: every request done");
	is_int(calls[0], 1, "rx: one data message for the dump");
	ok(res[0].done && res[0].intr && !res[0].e.err,
	   "rx: dump done, marked interrupted");
	ok(res[1].done && !res[1].e.err, "rx: plain ack");
	is_int(res[2].e.err, -EEXIST, "rx: error of the right request");
}

static void rtnl(void)
{
	char buf[512] __attribute__((aligned(4)));
	struct xmrt_op op = { 0 }, back;
	const struct nlattr *tb[MAXT];
	struct nlc_batch b;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	nlc_batch_init(&b, 4096, 4);
	op.ifindex = 7;
	xm_parse_prefix("10.0.5.0/24", &op.dst, &op.len);
	is_int(xmrt_msg_put(&b, &op), 0, "rtnl: add built");
	op.del = true;
	xm_parse_prefix("fd00:5::/64", &op.dst, &op.len);
	is_int(xmrt_msg_put(&b, &op), 0, "rtnl: delete built");
	nlh = nlc_batch_msg(&b, 0);
	rtm = mnl_nlmsg_get_payload(nlh);
	is_int(nlh->nlmsg_type, RTM_NEWROUTE, "rtnl: RTM_NEWROUTE");
	is_int(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
	       NLM_F_EXCL, "rtnl: create, exclusive, acked");
	ok(rtm->rtm_protocol == XMESH_RTPROT && rtm->rtm_table == RT_TABLE_MAIN &&
	   rtm->rtm_scope == RT_SCOPE_LINK && rtm->rtm_type == RTN_UNICAST &&
	   rtm->rtm_dst_len == 24 && rtm->rtm_family == AF_INET,
	   "rtnl: proto xmesh, main table, scope link, unicast /24");
	memset(tb, 0, sizeof(tb));
	mnl_attr_parse(nlh, sizeof(*rtm), table_cb, tb);
	ok(tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) == 4 &&
	   tb[RTA_OIF] && mnl_attr_get_u32(tb[RTA_OIF]) == 7,
	   "rtnl: dst and oif");
	nlh = nlc_batch_msg(&b, 1);
	rtm = mnl_nlmsg_get_payload(nlh);
	ok(nlh->nlmsg_type == RTM_DELROUTE &&
	   rtm->rtm_scope == RT_SCOPE_NOWHERE && rtm->rtm_protocol == XMESH_RTPROT &&
	   rtm->rtm_family == AF_INET6 && !(nlh->nlmsg_flags & NLM_F_CREATE),
	   "rtnl: delete matches by protocol, any scope");

	/* A dumped route: ours only with our protocol, table and device. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 24;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = XMESH_RTPROT;
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	mnl_attr_put(nlh, RTA_DST, 4, "\x0a\x00\x05\x00");
	mnl_attr_put_u32(nlh, RTA_OIF, 7);
	is_int(xmrt_route_parse(nlh, 7, &back), 1, "rtnl: our route");
	ok(back.del && back.len == 24 && back.dst.raw[2] == 5,
	   "rtnl: parsed as its delete");
	is_int(xmrt_route_parse(nlh, 8, &back), 0, "rtnl: other device");
	rtm->rtm_protocol = RTPROT_BOOT;
	is_int(xmrt_route_parse(nlh, 7, &back), 0, "rtnl: other protocol");
	nlc_batch_free(&b);
}

static void family(void)
{
	char buf[512] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = genl_msg(buf, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY,
					0, 1, 1);
	struct nlattr *grps, *g;
	struct xmnl h;

	memset(&h, 0, sizeof(h));
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "xmesh");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, TEST_FAMILY);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	grps = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	g = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "events");
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 5);
	mnl_attr_nest_end(nlh, g);
	g = mnl_attr_nest_start(nlh, 2);
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 6);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "oam");
	mnl_attr_nest_end(nlh, g);
	mnl_attr_nest_end(nlh, grps);
	is_int(xmnl_parse_family(nlh, &h), 0, "family: reply parses");
	is_int(h.family, TEST_FAMILY, "family: id");
	is_int(h.n_groups, 2, "family: two groups");
	ok(!strcmp(h.groups[1].name, "oam") && h.groups[1].id == 6,
	   "family: group name and id, in either order");
	is_int(xmnl_version_check(&h), 0, "family: a module of our version");
	h.version = XMESH_GENL_VERSION + 1;
	is_int(xmnl_version_check(&h), 0,
	       "family: a newer module serves our requests");
	h.version = XMESH_GENL_VERSION - 1;
	is_int(xmnl_version_check(&h), -EPROTONOSUPPORT,
	       "family: an older module is refused before any request");
	ok(strstr(xmnl_strerror(-EPROTONOSUPPORT), "older") != NULL,
	   "family: the refusal says the module is older");
}

static void hops(void)
{
	is_int(xm_oam_hops(16, 16), 1, "hops: a neighbor is one hop");
	is_int(xm_oam_hops(16, 14), 3, "hops: two transit nodes, three hops");
	is_int(xm_oam_hops(16, 17), -1, "hops: more left than sent is nonsense");
	is_int(xm_oam_hops(0, 0), -1, "hops: unknown start");
}

int main(void)
{
	struct nlc_batch b;

	hops();
	nlc_batch_init(&b, NLC_BATCH_SIZE, NLC_BATCH_MSGS);
	neigh(&b);
	route(&b);
	prefix_dev_oam(&b);
	oam_link(&b);
	names();
	batching(&b);
	replies();
	events();
	describe(&b);
	exchange();
	rtnl();
	family();
	nlc_batch_free(&b);
	return tap_done();
}
