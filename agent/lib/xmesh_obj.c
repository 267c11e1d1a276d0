// SPDX-License-Identifier: GPL-2.0
#include "xmesh_obj.h"

#include <errno.h>
#include <linux/genetlink.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "nl_core.h"

/* Exact payload sizes: a longer or shorter attribute is malformed. */
static bool attr_len_is(const struct nlattr *a, size_t len)
{
	return mnl_attr_get_payload_len(a) == len;
}

static bool get_u8(const struct nlattr *a, uint8_t *v)
{
	if (!attr_len_is(a, sizeof(*v)))
		return false;
	*v = mnl_attr_get_u8(a);
	return true;
}

static bool get_u16(const struct nlattr *a, uint16_t *v)
{
	if (!attr_len_is(a, sizeof(*v)))
		return false;
	*v = mnl_attr_get_u16(a);
	return true;
}

static bool get_u32(const struct nlattr *a, uint32_t *v)
{
	if (!attr_len_is(a, sizeof(*v)))
		return false;
	*v = mnl_attr_get_u32(a);
	return true;
}

static bool get_u64(const struct nlattr *a, uint64_t *v)
{
	if (!attr_len_is(a, sizeof(*v)))
		return false;
	*v = mnl_attr_get_u64(a);	/* memcpy: 64-bit attrs may be unaligned */
	return true;
}

static bool get_bytes(const struct nlattr *a, void *v, size_t len)
{
	if (!attr_len_is(a, len))
		return false;
	memcpy(v, mnl_attr_get_payload(a), len);
	return true;
}

static bool get_addr(const struct nlattr *a, struct xm_addr *addr)
{
	size_t len = mnl_attr_get_payload_len(a);

	memset(addr, 0, sizeof(*addr));
	if (len == 4)
		addr->family = AF_INET;
	else if (len == 16)
		addr->family = AF_INET6;
	else
		return false;
	memcpy(addr->raw, mnl_attr_get_payload(a), len);
	return true;
}

static bool get_flag(const struct nlattr *a)
{
	return attr_len_is(a, 0);
}

/* ---- the attributes of each nest, as tables ----------------------- */

/*
 * A nest's attributes: each one's type, where its member is in the
 * struct, how wide it is and what kind of value it holds. One parser and
 * one writer serve every nest; what a table cannot say (nests of nests,
 * checks across attributes) is the few lines around them.
 */
enum field_kind {
	K_U8, K_U16, K_U32, K_U64,
	K_BYTES,	/* exactly len bytes */
	K_ADDR,		/* struct xm_addr: 4 or 16 bytes */
	K_FAMILY,	/* the address family of the struct xm_addr member */
	K_FLAG,		/* bool: a flag attribute (no payload) */
	K_NEST,		/* parsed by the field's own function */
};

#define F_PUT		0x1	/* written into requests */
#define F_PARSE		0x2	/* read from replies */
#define F_ALWAYS	0x4	/* written whether present or not */
#define F_RW		(F_PUT | F_PARSE)

struct field {
	uint16_t attr;
	uint16_t cond;		/* F_PUT: written when this one is present */
	uint8_t kind;		/* enum field_kind */
	uint8_t flags;		/* F_* */
	uint16_t off, len;	/* the member */
	/* K_NEST: parse nest a into obj; K_FAMILY: ctx gets the family. */
	int (*parse)(const struct nlattr *a, void *obj);
};

#define MEMBER(st, m)	.off = offsetof(st, m), .len = sizeof(((st *)0)->m)
#define FIELD(st, a, k, m, fl) \
	{ .attr = a, .cond = a, .kind = k, .flags = fl, MEMBER(st, m) }
/* Written when attribute c is present (an address and its family). */
#define FIELD_IF(st, a, c, k, m, fl) \
	{ .attr = a, .cond = c, .kind = k, .flags = fl, MEMBER(st, m) }
#define NEST(a, fn)	{ .attr = a, .kind = K_NEST, .flags = F_PARSE, .parse = fn }

struct nest_desc {
	const struct field *f;
	size_t n;
};

#define DESC(t)		{ t, sizeof(t) / sizeof((t)[0]) }

/* Attribute a into field x of obj; *family: a K_FAMILY's value. */
static bool field_get(const struct nlattr *a, void *obj,
		      const struct field *x, uint16_t *family)
{
	void *m = (char *)obj + x->off;

	switch (x->kind) {
	case K_U8:
		return get_u8(a, m);
	case K_U16:
		return get_u16(a, m);
	case K_U32:
		return get_u32(a, m);
	case K_U64:
		return get_u64(a, m);
	case K_BYTES:
		return get_bytes(a, m, x->len);
	case K_ADDR:
		return get_addr(a, m);
	case K_FAMILY:
		return get_u16(a, family);
	case K_FLAG:
		return (*(bool *)m = get_flag(a));
	case K_NEST:
		return !x->parse(a, obj);
	}
	return false;
}

/*
 * The attributes of nest into obj, whose first member is its present
 * mask; *family gets a family attribute's value (checked by the caller).
 * Unknown attributes are skipped: newer modules may add some.
 */
static int nest_parse(const struct nlattr *nest, void *obj,
		      const struct nest_desc *d, uint16_t *family)
{
	uint32_t *present = obj;
	const struct nlattr *a;
	size_t i;

	mnl_attr_for_each_nested(a, nest) {
		int type = mnl_attr_get_type(a);

		for (i = 0; i < d->n; i++)
			if (d->f[i].attr == type && (d->f[i].flags & F_PARSE))
				break;
		if (i == d->n)
			continue;
		if (!field_get(a, obj, &d->f[i], family))
			return -EINVAL;
		*present |= XM_BIT(type);
	}
	return 0;
}

static bool put_addr(struct nlmsghdr *nlh, size_t room, uint16_t type,
		     const struct xm_addr *a)
{
	size_t len = xm_addr_len(a->family);

	return len && mnl_attr_put_check(nlh, room, type, len, a->raw);
}

static bool field_put(struct nlmsghdr *nlh, size_t room, const void *obj,
		      const struct field *x)
{
	const void *m = (const char *)obj + x->off;

	switch (x->kind) {
	case K_U8:
		return mnl_attr_put_u8_check(nlh, room, x->attr,
					     *(const uint8_t *)m);
	case K_U16:
		return mnl_attr_put_u16_check(nlh, room, x->attr,
					      *(const uint16_t *)m);
	case K_U32:
		return mnl_attr_put_u32_check(nlh, room, x->attr,
					      *(const uint32_t *)m);
	case K_U64:
		return mnl_attr_put_u64_check(nlh, room, x->attr,
					      *(const uint64_t *)m);
	case K_BYTES:
		return mnl_attr_put_check(nlh, room, x->attr, x->len, m);
	case K_ADDR:
		return put_addr(nlh, room, x->attr, m);
	case K_FAMILY:
		return mnl_attr_put_u16_check(nlh, room, x->attr,
				((const struct xm_addr *)m)->family);
	}
	return false;	/* flags and nests are never written */
}

/* The fields of obj (present mask first) that go into requests. */
static bool fields_put(struct nlmsghdr *nlh, size_t room, const void *obj,
		       const struct nest_desc *d)
{
	uint32_t present = *(const uint32_t *)obj;
	bool ok = true;
	size_t i;

	for (i = 0; ok && i < d->n; i++) {
		const struct field *x = &d->f[i];

		if ((x->flags & F_PUT) &&
		    ((x->flags & F_ALWAYS) || (present & XM_BIT(x->cond))))
			ok = field_put(nlh, room, obj, x);
	}
	return ok;
}

static int nest_end(struct nlmsghdr *nlh, struct nlattr *nest, bool ok)
{
	if (!ok) {
		mnl_attr_nest_cancel(nlh, nest);
		return -EMSGSIZE;
	}
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

/* Nest type with obj's fields; more (may be NULL) puts what follows. */
static int nest_put(struct nlmsghdr *nlh, size_t room, uint16_t type,
		    const void *obj, const struct nest_desc *d,
		    bool (*more)(struct nlmsghdr *nlh, size_t room,
				 const void *obj))
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, room, type);
	bool ok;

	if (!nest)
		return -EMSGSIZE;
	ok = fields_put(nlh, room, obj, d);
	if (ok && more)
		ok = more(nlh, room, obj);
	return nest_end(nlh, nest, ok);
}

/* ---- the nests ------------------------------------------------------ */

/* A present mask has a bit for each attribute of its nest. */
_Static_assert(XMESH_COUNTER_A_MAX < 64 && XMESH_DROP_A_MAX < 64,
	       "counters_present, drops_present: 64 bits");

static int stats_parse(const struct nlattr *nest, uint64_t *v, int max,
		       uint64_t *present)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		int type = mnl_attr_get_type(a);

		if (type <= 1 || type > max)	/* UNSPEC, PAD */
			continue;
		if (!get_u64(a, &v[type]))
			return -EINVAL;
		*present |= XM_BIT(type);
	}
	return 0;
}

static int dev_counters_parse(const struct nlattr *a, void *obj)
{
	struct xm_dev *d = obj;

	return stats_parse(a, d->counters, XMESH_COUNTER_A_MAX,
			   &d->counters_present);
}

static int dev_drops_parse(const struct nlattr *a, void *obj)
{
	struct xm_dev *d = obj;

	return stats_parse(a, d->drops, XMESH_DROP_A_MAX, &d->drops_present);
}

#define D(a, k, m, fl)	FIELD(struct xm_dev, XMESH_DEV_A_##a, k, m, fl)
static const struct field dev_fields[] = {
	D(NODE_ID, K_U32, node_id, F_RW),
	D(PORT, K_U16, port, F_RW),
	D(FAMILY, K_U16, family, F_RW),
	D(HOP_LIMIT, K_U8, hop_limit, F_RW),
	D(SECURITY, K_U8, security, F_RW),
	D(ORIGIN, K_U8, origin, F_RW),
	D(MARK_MASK, K_U32, mark_mask, F_RW),
	D(ZONE_DEFAULT, K_U8, zone_default, F_RW),
	D(NEIGH_COUNT, K_U32, neigh_count, F_PARSE),
	D(ROUTE_COUNT, K_U32, route_count, F_PARSE),
	D(PREFIX_COUNT, K_U32, prefix_count, F_PARSE),
	D(KEY_COUNT, K_U32, key_count, F_PARSE),
	D(NODE_COUNT, K_U32, node_count, F_PARSE),
	D(ZONE_PAIR_COUNT, K_U32, zone_pair_count, F_PARSE),
	NEST(XMESH_DEV_A_COUNTERS, dev_counters_parse),
	NEST(XMESH_DEV_A_DROPS, dev_drops_parse),
};
#undef D
static const struct nest_desc dev_desc = DESC(dev_fields);

#define N(a, k, m, fl)	FIELD(struct xm_neigh, XMESH_NEIGH_A_##a, k, m, fl)
static const struct field neigh_fields[] = {
	N(ID, K_U32, id, F_RW),
	N(NODE, K_U32, node, F_RW),
	N(LINK, K_U32, link, F_RW),
	N(LOCAL, K_ADDR, local, F_RW),
	N(REMOTE, K_ADDR, remote, F_RW),
	N(PORT, K_U16, port, F_RW),
	N(STATE, K_U8, state, F_RW),
	N(CARRIER, K_U8, carrier, F_PARSE),
	N(MTU, K_U32, mtu, F_PARSE),
	N(TX_PACKETS, K_U64, tx_packets, F_PARSE),
	N(TX_BYTES, K_U64, tx_bytes, F_PARSE),
	N(RX_PACKETS, K_U64, rx_packets, F_PARSE),
	N(RX_BYTES, K_U64, rx_bytes, F_PARSE),
	N(DROPS, K_U64, drops, F_PARSE),
};
#undef N
static const struct nest_desc neigh_desc = DESC(neigh_fields);

#define X(a, k, m, fl) FIELD(struct xm_nexthop, XMESH_NEXTHOP_A_##a, k, m, fl)
static const struct field nexthop_fields[] = {
	X(NEIGH, K_U32, neigh, F_RW),
	X(PRIORITY, K_U8, priority, F_RW),
	X(ACTIVE, K_FLAG, active, F_PARSE),
};
#undef X
static const struct nest_desc nexthop_desc = DESC(nexthop_fields);

static int nexthop_parse(const struct nlattr *a, void *obj)
{
	struct xm_route *r = obj;
	struct xm_nexthop *x = &r->nexthop[r->n_nexthops];

	if (r->n_nexthops >= XMESH_MAX_NEXTHOPS)
		return -EINVAL;
	memset(x, 0, sizeof(*x));
	if (nest_parse(a, x, &nexthop_desc, NULL))
		return -EINVAL;
	r->n_nexthops++;
	return 0;
}

static const struct field route_fields[] = {
	FIELD(struct xm_route, XMESH_ROUTE_A_DST, K_U32, dst, F_RW),
	NEST(XMESH_ROUTE_A_NEXTHOP, nexthop_parse),
	FIELD(struct xm_route, XMESH_ROUTE_A_TCLASS, K_U8, tclass, F_RW),
};
static const struct nest_desc route_desc = DESC(route_fields);

#define P(a, c, k, m, fl) \
	FIELD_IF(struct xm_prefix, XMESH_PREFIX_A_##a, XMESH_PREFIX_A_##c, k, \
		 m, fl)
static const struct field prefix_fields[] = {
	P(FAMILY, ADDR, K_FAMILY, addr, F_RW),
	P(ADDR, ADDR, K_ADDR, addr, F_RW),
	P(LEN, LEN, K_U8, len, F_RW),
	P(NODE, NODE, K_U32, node, F_RW),
};
#undef P
static const struct nest_desc prefix_desc = DESC(prefix_fields);

#define O(a, k, m, fl)	FIELD(struct xm_oam, XMESH_OAM_A_##a, k, m, fl)
static const struct field oam_fields[] = {
	O(DST, K_U32, dst, F_RW),
	O(IDENT, K_U16, ident, F_RW),
	O(SEQ, K_U32, seq, F_RW),
	O(HOP_LIMIT, K_U8, hop_limit, F_RW),
	O(NEIGH, K_U32, neigh, F_RW),
	O(OP, K_U8, op, F_PARSE),
	O(REPORTER, K_U32, reporter, F_PARSE),
	O(RTT_NS, K_U64, rtt_ns, F_PARSE),
};
#undef O
static const struct nest_desc oam_desc = DESC(oam_fields);

/* A reply never carries the key bytes: XMESH_KEY_A_KEY is not parsed. */
#define K(a, k, m, fl)	FIELD(struct xm_key, XMESH_KEY_A_##a, k, m, fl)
static const struct field key_fields[] = {
	K(NEIGH, K_U32, neigh, F_RW),
	K(NODE, K_U32, node, F_RW),
	K(ID, K_U8, id, F_RW),
	K(DIR, K_U8, dir, F_RW),
	K(KEY, K_BYTES, key, F_PUT),
	K(COUNTER, K_U64, counter, F_PARSE),
	K(PACKETS, K_U64, packets, F_PARSE),
	K(BYTES, K_U64, bytes, F_PARSE),
	K(REPLAYED, K_U64, replayed, F_PARSE),
	K(AUTH_FAILED, K_U64, auth_failed, F_PARSE),
};
#undef K
static const struct nest_desc key_desc = DESC(key_fields);

#define T(a, k, m, fl)	FIELD(struct xm_tclass, XMESH_TCLASS_A_##a, k, m, fl)
static const struct field tclass_fields[] = {
	T(ID, K_U8, id, F_RW | F_ALWAYS),
	T(RATE, K_U64, rate, F_RW),
	T(BURST, K_U32, burst, F_RW),
	T(DSCP, K_U8, dscp, F_PARSE),
	T(PRIORITY, K_U32, priority, F_PARSE),
	T(PACKETS, K_U64, packets, F_PARSE),
	T(BYTES, K_U64, bytes, F_PARSE),
	T(DROPS, K_U64, drops, F_PARSE),
};
#undef T
static const struct nest_desc tclass_desc = DESC(tclass_fields);

static int tclass_parse(const struct nlattr *a, void *obj)
{
	struct xm_qos *q = obj;
	struct xm_tclass *t = &q->tclass[q->n_tclass];

	if (q->n_tclass >= XM_TCLASS_COUNT)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	if (nest_parse(a, t, &tclass_desc, NULL) ||
	    !XM_HAS(t, XMESH_TCLASS_A_ID))
		return -EINVAL;
	q->n_tclass++;
	return 0;
}

static const struct field qos_fields[] = {
	FIELD(struct xm_qos, XMESH_QOS_A_DSCP_MAP, K_BYTES, dscp_map, F_RW),
	FIELD(struct xm_qos, XMESH_QOS_A_PRIO_MAP, K_BYTES, prio_map, F_RW),
	NEST(XMESH_QOS_A_TCLASS, tclass_parse),
};
static const struct nest_desc qos_desc = DESC(qos_fields);

/* An address with its family and length, or none of them. */
#define R(a, c, k, m, fl) \
	FIELD_IF(struct xm_qos_rule, XMESH_QOS_RULE_A_##a, \
		 XMESH_QOS_RULE_A_##c, k, m, fl)
static const struct field qos_rule_fields[] = {
	R(ID, ID, K_U32, id, F_RW | F_ALWAYS),
	R(TCLASS, TCLASS, K_U8, tclass, F_RW),
	R(FAMILY, FAMILY, K_FAMILY, addr, F_RW),
	R(ADDR, FAMILY, K_ADDR, addr, F_RW),
	R(LEN, FAMILY, K_U8, len, F_RW),
	R(PROTOCOL, PROTOCOL, K_U8, protocol, F_RW),
	R(PORT_MIN, PORT_MIN, K_U16, port_min, F_RW),
	R(PORT_MAX, PORT_MAX, K_U16, port_max, F_RW),
	R(SPORT_MIN, SPORT_MIN, K_U16, sport_min, F_RW),
	R(SPORT_MAX, SPORT_MAX, K_U16, sport_max, F_RW),
};
#undef R
static const struct nest_desc qos_rule_desc = DESC(qos_rule_fields);

static const struct field node_fields[] = {
	FIELD(struct xm_node, XMESH_NODE_A_ID, K_U32, id, F_RW),
	FIELD(struct xm_node, XMESH_NODE_A_ZONE, K_U16, zone, F_RW),
	FIELD(struct xm_node, XMESH_NODE_A_ROLES, K_U16, roles, F_RW),
};
static const struct nest_desc node_desc = DESC(node_fields);

#define Z(a, k, m)	FIELD(struct xm_zone_pair, XMESH_ZONE_PAIR_A_##a, k, m, F_RW)
static const struct field zone_pair_fields[] = {
	Z(FROM, K_U16, from),
	Z(TO, K_U16, to),
	Z(ACTION, K_U8, action),
};
#undef Z
static const struct nest_desc zone_pair_desc = DESC(zone_pair_fields);

static int mroute_neigh_parse(const struct nlattr *a, void *obj)
{
	struct xm_mroute *m = obj;

	if (m->n_neighs >= XMESH_MAX_MROUTE_NEIGHS ||
	    !get_u32(a, &m->neigh[m->n_neighs]))
		return -EINVAL;
	m->n_neighs++;
	return 0;
}

#define M(a, c, k, m, fl) \
	FIELD_IF(struct xm_mroute, XMESH_MROUTE_A_##a, XMESH_MROUTE_A_##c, k, \
		 m, fl)
static const struct field mroute_fields[] = {
	M(ROOT, ROOT, K_U32, root, F_RW),
	M(FAMILY, GROUP, K_FAMILY, group, F_RW),
	M(GROUP, GROUP, K_ADDR, group, F_RW),
	M(LOCAL, LOCAL, K_FLAG, local, F_PARSE),
	NEST(XMESH_MROUTE_A_NEIGH, mroute_neigh_parse),
	M(TX_PACKETS, TX_PACKETS, K_U64, tx_packets, F_PARSE),
	M(TX_BYTES, TX_BYTES, K_U64, tx_bytes, F_PARSE),
	M(RX_PACKETS, RX_PACKETS, K_U64, rx_packets, F_PARSE),
	M(RX_BYTES, RX_BYTES, K_U64, rx_bytes, F_PARSE),
	M(DROPS, DROPS, K_U64, drops, F_PARSE),
	M(UPSTREAM, UPSTREAM, K_U32, upstream, F_RW),
	M(SHARED_ROOT, SHARED_ROOT, K_U32, shared_root, F_RW),
};
#undef M
static const struct nest_desc mroute_desc = DESC(mroute_fields);

/* ---- put ---------------------------------------------------------- */

int xm_devsel_put(struct nlmsghdr *nlh, size_t room, uint32_t ifindex,
		  const char *ifname)
{
	if (ifindex)
		return mnl_attr_put_u32_check(nlh, room, XMESH_A_IFINDEX,
					      ifindex) ? 0 : -EMSGSIZE;
	if (ifname && *ifname)
		return mnl_attr_put_strz_check(nlh, room, XMESH_A_IFNAME,
					       ifname) ? 0 : -EMSGSIZE;
	return 0;
}

int xm_dev_put(struct nlmsghdr *nlh, size_t room, const struct xm_dev *d)
{
	return nest_put(nlh, room, XMESH_A_DEV, d, &dev_desc, NULL);
}

int xm_neigh_put(struct nlmsghdr *nlh, size_t room, const struct xm_neigh *n)
{
	return nest_put(nlh, room, XMESH_A_NEIGH, n, &neigh_desc, NULL);
}

static bool nexthops_put(struct nlmsghdr *nlh, size_t room, const void *obj)
{
	const struct xm_route *r = obj;
	struct nlattr *nh;
	unsigned int i;

	for (i = 0; i < r->n_nexthops && i < XMESH_MAX_NEXTHOPS; i++) {
		nh = mnl_attr_nest_start_check(nlh, room,
					       XMESH_ROUTE_A_NEXTHOP);
		if (!nh || !fields_put(nlh, room, &r->nexthop[i],
				       &nexthop_desc))
			return false;
		mnl_attr_nest_end(nlh, nh);
	}
	return true;
}

int xm_route_put(struct nlmsghdr *nlh, size_t room, const struct xm_route *r)
{
	return nest_put(nlh, room, XMESH_A_ROUTE, r, &route_desc,
			nexthops_put);
}

int xm_prefix_put(struct nlmsghdr *nlh, size_t room,
		  const struct xm_prefix *p)
{
	return nest_put(nlh, room, XMESH_A_PREFIX, p, &prefix_desc, NULL);
}

int xm_oam_put(struct nlmsghdr *nlh, size_t room, const struct xm_oam *o)
{
	return nest_put(nlh, room, XMESH_A_OAM, o, &oam_desc, NULL);
}

int xm_key_put(struct nlmsghdr *nlh, size_t room, const struct xm_key *k)
{
	return nest_put(nlh, room, XMESH_A_KEY, k, &key_desc, NULL);
}

static bool tclasses_put(struct nlmsghdr *nlh, size_t room, const void *obj)
{
	const struct xm_qos *q = obj;
	unsigned int i;

	for (i = 0; i < q->n_tclass && i < XM_TCLASS_COUNT; i++)
		if (nest_put(nlh, room, XMESH_QOS_A_TCLASS, &q->tclass[i],
			     &tclass_desc, NULL))
			return false;
	return true;
}

int xm_qos_put(struct nlmsghdr *nlh, size_t room, const struct xm_qos *q)
{
	return nest_put(nlh, room, XMESH_A_QOS, q, &qos_desc, tclasses_put);
}

int xm_qos_rule_put(struct nlmsghdr *nlh, size_t room,
		    const struct xm_qos_rule *r)
{
	return nest_put(nlh, room, XMESH_A_QOS_RULE, r, &qos_rule_desc, NULL);
}

int xm_node_put(struct nlmsghdr *nlh, size_t room, const struct xm_node *n)
{
	return nest_put(nlh, room, XMESH_A_NODE, n, &node_desc, NULL);
}

int xm_zone_pair_put(struct nlmsghdr *nlh, size_t room,
		     const struct xm_zone_pair *z)
{
	return nest_put(nlh, room, XMESH_A_ZONE_PAIR, z, &zone_pair_desc,
			NULL);
}

/* The local flag and the neighbors: what the field table cannot write. */
static bool mroute_more_put(struct nlmsghdr *nlh, size_t room,
			    const void *obj)
{
	const struct xm_mroute *m = obj;
	unsigned int i;

	if (m->local &&
	    !mnl_attr_put_check(nlh, room, XMESH_MROUTE_A_LOCAL, 0, NULL))
		return false;
	for (i = 0; i < m->n_neighs && i < XMESH_MAX_MROUTE_NEIGHS; i++)
		if (!mnl_attr_put_u32_check(nlh, room, XMESH_MROUTE_A_NEIGH,
					    m->neigh[i]))
			return false;
	return true;
}

int xm_mroute_put(struct nlmsghdr *nlh, size_t room,
		  const struct xm_mroute *m)
{
	return nest_put(nlh, room, XMESH_A_MROUTE, m, &mroute_desc,
			mroute_more_put);
}

void xm_key_wipe(struct xm_key *k)
{
	explicit_bzero(k->key, sizeof(k->key));
	k->present &= ~XM_BIT(XMESH_KEY_A_KEY);
}

int xm_entry_put(struct nlmsghdr *nlh, size_t room, const struct xm_entry *e)
{
	switch (e->type) {
	case XMESH_A_DEV:
		return xm_dev_put(nlh, room, &e->dev);
	case XMESH_A_NEIGH:
		return xm_neigh_put(nlh, room, &e->neigh);
	case XMESH_A_ROUTE:
		return xm_route_put(nlh, room, &e->route);
	case XMESH_A_PREFIX:
		return xm_prefix_put(nlh, room, &e->prefix);
	case XMESH_A_OAM:
		return xm_oam_put(nlh, room, &e->oam);
	case XMESH_A_KEY:
		return xm_key_put(nlh, room, &e->key);
	case XMESH_A_QOS:
		return xm_qos_put(nlh, room, &e->qos);
	case XMESH_A_QOS_RULE:
		return xm_qos_rule_put(nlh, room, &e->qos_rule);
	case XMESH_A_NODE:
		return xm_node_put(nlh, room, &e->node);
	case XMESH_A_ZONE_PAIR:
		return xm_zone_pair_put(nlh, room, &e->zone_pair);
	case XMESH_A_MROUTE:
		return xm_mroute_put(nlh, room, &e->mroute);
	}
	return -EINVAL;
}

/* ---- parse -------------------------------------------------------- */

/* xm_dev_parse() does not clear d: ifindex and ifname are the message's. */
int xm_dev_parse(const struct nlattr *nest, struct xm_dev *d)
{
	return nest_parse(nest, d, &dev_desc, NULL);
}

int xm_neigh_parse(const struct nlattr *nest, struct xm_neigh *n)
{
	memset(n, 0, sizeof(*n));
	return nest_parse(nest, n, &neigh_desc, NULL);
}

int xm_route_parse(const struct nlattr *nest, struct xm_route *r)
{
	memset(r, 0, sizeof(*r));
	return nest_parse(nest, r, &route_desc, NULL);
}

int xm_prefix_parse(const struct nlattr *nest, struct xm_prefix *p)
{
	uint16_t family = 0;

	memset(p, 0, sizeof(*p));
	if (nest_parse(nest, p, &prefix_desc, &family))
		return -EINVAL;
	/* The family must agree with the address and bound the length. */
	if (XM_HAS(p, XMESH_PREFIX_A_FAMILY) && XM_HAS(p, XMESH_PREFIX_A_ADDR) &&
	    family != p->addr.family)
		return -EINVAL;
	if (XM_HAS(p, XMESH_PREFIX_A_LEN) && XM_HAS(p, XMESH_PREFIX_A_ADDR) &&
	    p->len > xm_addr_bits(p->addr.family))
		return -EINVAL;
	return 0;
}

int xm_oam_parse(const struct nlattr *nest, struct xm_oam *o)
{
	memset(o, 0, sizeof(*o));
	return nest_parse(nest, o, &oam_desc, NULL);
}

int xm_key_parse(const struct nlattr *nest, struct xm_key *k)
{
	memset(k, 0, sizeof(*k));
	return nest_parse(nest, k, &key_desc, NULL);
}

int xm_qos_parse(const struct nlattr *nest, struct xm_qos *q)
{
	memset(q, 0, sizeof(*q));
	return nest_parse(nest, q, &qos_desc, NULL);
}

int xm_qos_rule_parse(const struct nlattr *nest, struct xm_qos_rule *r)
{
	uint16_t family = 0;

	memset(r, 0, sizeof(*r));
	if (nest_parse(nest, r, &qos_rule_desc, &family))
		return -EINVAL;
	/* A family comes with an address of that family. */
	if (XM_HAS(r, XMESH_QOS_RULE_A_FAMILY) &&
	    (!XM_HAS(r, XMESH_QOS_RULE_A_ADDR) || family != r->addr.family))
		return -EINVAL;
	return XM_HAS(r, XMESH_QOS_RULE_A_ID) ? 0 : -EINVAL;
}

int xm_node_parse(const struct nlattr *nest, struct xm_node *n)
{
	memset(n, 0, sizeof(*n));
	return nest_parse(nest, n, &node_desc, NULL);
}

int xm_zone_pair_parse(const struct nlattr *nest, struct xm_zone_pair *z)
{
	memset(z, 0, sizeof(*z));
	return nest_parse(nest, z, &zone_pair_desc, NULL);
}

int xm_mroute_parse(const struct nlattr *nest, struct xm_mroute *m)
{
	uint16_t family = 0;

	memset(m, 0, sizeof(*m));
	if (nest_parse(nest, m, &mroute_desc, &family))
		return -EINVAL;
	if (XM_HAS(m, XMESH_MROUTE_A_FAMILY) &&
	    (!XM_HAS(m, XMESH_MROUTE_A_GROUP) || family != m->group.family))
		return -EINVAL;
	return 0;
}

static int entry_parse(const struct nlattr *a, const struct xm_msg_info *info,
		       struct xm_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->type = mnl_attr_get_type(a);
	switch (e->type) {
	case XMESH_A_DEV:
		e->dev.ifindex = info->ifindex;
		memcpy(e->dev.ifname, info->ifname, sizeof(e->dev.ifname));
		return xm_dev_parse(a, &e->dev);
	case XMESH_A_NEIGH:
		return xm_neigh_parse(a, &e->neigh);
	case XMESH_A_ROUTE:
		return xm_route_parse(a, &e->route);
	case XMESH_A_PREFIX:
		return xm_prefix_parse(a, &e->prefix);
	case XMESH_A_OAM:
		return xm_oam_parse(a, &e->oam);
	case XMESH_A_KEY:
		return xm_key_parse(a, &e->key);
	case XMESH_A_QOS:
		return xm_qos_parse(a, &e->qos);
	case XMESH_A_QOS_RULE:
		return xm_qos_rule_parse(a, &e->qos_rule);
	case XMESH_A_NODE:
		return xm_node_parse(a, &e->node);
	case XMESH_A_ZONE_PAIR:
		return xm_zone_pair_parse(a, &e->zone_pair);
	case XMESH_A_MROUTE:
		return xm_mroute_parse(a, &e->mroute);
	}
	return 1;	/* not a nest we know */
}

int xm_msg_parse(const struct nlmsghdr *nlh, struct xm_msg_info *info,
		 xm_entry_cb cb, void *data)
{
	const struct genlmsghdr *genl;
	const struct nlattr *a;
	struct xm_entry e;
	int err;

	memset(info, 0, sizeof(*info));
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + GENL_HDRLEN)
		return -EINVAL;
	genl = mnl_nlmsg_get_payload(nlh);
	info->cmd = genl->cmd;
	/* First the message-wide attributes, wherever they are. */
	nlc_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case XMESH_A_IFINDEX:
			if (!get_u32(a, &info->ifindex))
				return -EINVAL;
			break;
		case XMESH_A_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 ||
			    mnl_attr_get_payload_len(a) > IF_NAMESIZE)
				return -EINVAL;
			strcpy(info->ifname, mnl_attr_get_str(a));
			break;
		case XMESH_A_FLUSH:
			info->flush = true;
			break;
		}
	}
	nlc_attr_for_each(a, nlh, GENL_HDRLEN) {
		err = entry_parse(a, info, &e);
		if (err > 0)
			continue;
		if (err < 0)
			return err;
		if (cb) {
			err = cb(info, &e, data);
			if (err < 0)
				return err;
		}
	}
	return 0;
}

int xm_oam_hops(uint8_t sent, uint8_t arrival)
{
	/*
	 * Transit nodes decrement the hop limit and the node a frame is for
	 * does not, so a neighbor is 1 hop away with nothing taken off.
	 */
	if (!sent || arrival > sent)
		return -1;
	return sent - arrival + 1;
}
