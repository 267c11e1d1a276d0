// SPDX-License-Identifier: GPL-2.0
#include "xmesh_obj.h"

#include <errno.h>
#include <linux/genetlink.h>
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

#define PUT(ok, call)	do { if (!(call)) ok = false; } while (0)

static int nest_end(struct nlmsghdr *nlh, struct nlattr *nest, bool ok)
{
	if (!ok) {
		mnl_attr_nest_cancel(nlh, nest);
		return -EMSGSIZE;
	}
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

int xm_dev_put(struct nlmsghdr *nlh, size_t room, const struct xm_dev *d)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, room, XMESH_A_DEV);
	bool ok = true;

	if (!nest)
		return -EMSGSIZE;
	if (XM_HAS(d, XMESH_DEV_A_NODE_ID))
		PUT(ok, mnl_attr_put_u32_check(nlh, room, XMESH_DEV_A_NODE_ID,
					       d->node_id));
	if (XM_HAS(d, XMESH_DEV_A_PORT))
		PUT(ok, mnl_attr_put_u16_check(nlh, room, XMESH_DEV_A_PORT,
					       d->port));
	if (XM_HAS(d, XMESH_DEV_A_FAMILY))
		PUT(ok, mnl_attr_put_u16_check(nlh, room, XMESH_DEV_A_FAMILY,
					       d->family));
	if (XM_HAS(d, XMESH_DEV_A_HOP_LIMIT))
		PUT(ok, mnl_attr_put_u8_check(nlh, room, XMESH_DEV_A_HOP_LIMIT,
					      d->hop_limit));
	if (XM_HAS(d, XMESH_DEV_A_SECURITY))
		PUT(ok, mnl_attr_put_u8_check(nlh, room, XMESH_DEV_A_SECURITY,
					      d->security));
	if (XM_HAS(d, XMESH_DEV_A_MARK_MASK))
		PUT(ok, mnl_attr_put_u32_check(nlh, room, XMESH_DEV_A_MARK_MASK,
					       d->mark_mask));
	if (XM_HAS(d, XMESH_DEV_A_ZONE_DEFAULT))
		PUT(ok, mnl_attr_put_u8_check(nlh, room,
					      XMESH_DEV_A_ZONE_DEFAULT,
					      d->zone_default));
	return nest_end(nlh, nest, ok);
}

static bool put_addr(struct nlmsghdr *nlh, size_t room, uint16_t type,
		     const struct xm_addr *a)
{
	size_t len = xm_addr_len(a->family);

	return len && mnl_attr_put_check(nlh, room, type, len, a->raw);
}

int xm_neigh_put(struct nlmsghdr *nlh, size_t room, const struct xm_neigh *n)
{
	struct nlattr *nest;
	bool ok = true;

	nest = mnl_attr_nest_start_check(nlh, room, XMESH_A_NEIGH);
	if (!nest)
		return -EMSGSIZE;
	if (XM_HAS(n, XMESH_NEIGH_A_ID))
		PUT(ok, mnl_attr_put_u32_check(nlh, room, XMESH_NEIGH_A_ID,
					       n->id));
	if (XM_HAS(n, XMESH_NEIGH_A_NODE))
		PUT(ok, mnl_attr_put_u32_check(nlh, room, XMESH_NEIGH_A_NODE,
					       n->node));
	if (XM_HAS(n, XMESH_NEIGH_A_LINK))
		PUT(ok, mnl_attr_put_u32_check(nlh, room, XMESH_NEIGH_A_LINK,
					       n->link));
	if (XM_HAS(n, XMESH_NEIGH_A_LOCAL))
		PUT(ok, put_addr(nlh, room, XMESH_NEIGH_A_LOCAL, &n->local));
	if (XM_HAS(n, XMESH_NEIGH_A_REMOTE))
		PUT(ok, put_addr(nlh, room, XMESH_NEIGH_A_REMOTE, &n->remote));
	if (XM_HAS(n, XMESH_NEIGH_A_PORT))
		PUT(ok, mnl_attr_put_u16_check(nlh, room, XMESH_NEIGH_A_PORT,
					       n->port));
	if (XM_HAS(n, XMESH_NEIGH_A_STATE))
		PUT(ok, mnl_attr_put_u8_check(nlh, room, XMESH_NEIGH_A_STATE,
					      n->state));
	return nest_end(nlh, nest, ok);
}

int xm_route_put(struct nlmsghdr *nlh, size_t room, const struct xm_route *r)
{
	struct nlattr *nest, *nh;
	bool ok = true;
	unsigned int i;

	nest = mnl_attr_nest_start_check(nlh, room, XMESH_A_ROUTE);
	if (!nest)
		return -EMSGSIZE;
	if (XM_HAS(r, XMESH_ROUTE_A_DST))
		PUT(ok, mnl_attr_put_u32_check(nlh, room, XMESH_ROUTE_A_DST,
					       r->dst));
	for (i = 0; ok && i < r->n_nexthops && i < XMESH_MAX_NEXTHOPS; i++) {
		const struct xm_nexthop *x = &r->nexthop[i];

		nh = mnl_attr_nest_start_check(nlh, room,
					       XMESH_ROUTE_A_NEXTHOP);
		if (!nh) {
			ok = false;
			break;
		}
		if (XM_HAS(x, XMESH_NEXTHOP_A_NEIGH))
			PUT(ok, mnl_attr_put_u32_check(nlh, room,
						       XMESH_NEXTHOP_A_NEIGH,
						       x->neigh));
		if (XM_HAS(x, XMESH_NEXTHOP_A_PRIORITY))
			PUT(ok, mnl_attr_put_u8_check(nlh, room,
						      XMESH_NEXTHOP_A_PRIORITY,
						      x->priority));
		if (ok)
			mnl_attr_nest_end(nlh, nh);
	}
	return nest_end(nlh, nest, ok);
}

int xm_prefix_put(struct nlmsghdr *nlh, size_t room,
		  const struct xm_prefix *p)
{
	struct nlattr *nest;
	bool ok = true;

	nest = mnl_attr_nest_start_check(nlh, room, XMESH_A_PREFIX);
	if (!nest)
		return -EMSGSIZE;
	if (XM_HAS(p, XMESH_PREFIX_A_ADDR)) {
		PUT(ok, mnl_attr_put_u16_check(nlh, room, XMESH_PREFIX_A_FAMILY,
					       p->addr.family));
		PUT(ok, put_addr(nlh, room, XMESH_PREFIX_A_ADDR, &p->addr));
	}
	if (XM_HAS(p, XMESH_PREFIX_A_LEN))
		PUT(ok, mnl_attr_put_u8_check(nlh, room, XMESH_PREFIX_A_LEN,
					      p->len));
	if (XM_HAS(p, XMESH_PREFIX_A_NODE))
		PUT(ok, mnl_attr_put_u32_check(nlh, room, XMESH_PREFIX_A_NODE,
					       p->node));
	return nest_end(nlh, nest, ok);
}

int xm_oam_put(struct nlmsghdr *nlh, size_t room, const struct xm_oam *o)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, room, XMESH_A_OAM);
	bool ok = true;

	if (!nest)
		return -EMSGSIZE;
	if (XM_HAS(o, XMESH_OAM_A_DST))
		PUT(ok, mnl_attr_put_u32_check(nlh, room, XMESH_OAM_A_DST,
					       o->dst));
	if (XM_HAS(o, XMESH_OAM_A_IDENT))
		PUT(ok, mnl_attr_put_u16_check(nlh, room, XMESH_OAM_A_IDENT,
					       o->ident));
	if (XM_HAS(o, XMESH_OAM_A_SEQ))
		PUT(ok, mnl_attr_put_u32_check(nlh, room, XMESH_OAM_A_SEQ,
					       o->seq));
	if (XM_HAS(o, XMESH_OAM_A_HOP_LIMIT))
		PUT(ok, mnl_attr_put_u8_check(nlh, room, XMESH_OAM_A_HOP_LIMIT,
					      o->hop_limit));
	if (XM_HAS(o, XMESH_OAM_A_NEIGH))
		PUT(ok, mnl_attr_put_u32_check(nlh, room, XMESH_OAM_A_NEIGH,
					       o->neigh));
	return nest_end(nlh, nest, ok);
}

int xm_key_put(struct nlmsghdr *nlh, size_t room, const struct xm_key *k)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, room, XMESH_A_KEY);
	bool ok = true;

	if (!nest)
		return -EMSGSIZE;
	if (XM_HAS(k, XMESH_KEY_A_NEIGH))
		PUT(ok, mnl_attr_put_u32_check(nlh, room, XMESH_KEY_A_NEIGH,
					       k->neigh));
	if (XM_HAS(k, XMESH_KEY_A_ID))
		PUT(ok, mnl_attr_put_u8_check(nlh, room, XMESH_KEY_A_ID, k->id));
	if (XM_HAS(k, XMESH_KEY_A_DIR))
		PUT(ok, mnl_attr_put_u8_check(nlh, room, XMESH_KEY_A_DIR,
					      k->dir));
	if (XM_HAS(k, XMESH_KEY_A_KEY))
		PUT(ok, mnl_attr_put_check(nlh, room, XMESH_KEY_A_KEY,
					   sizeof(k->key), k->key));
	return nest_end(nlh, nest, ok);
}

static int tclass_put(struct nlmsghdr *nlh, size_t room,
		      const struct xm_tclass *t)
{
	struct nlattr *nest;
	bool ok = true;

	nest = mnl_attr_nest_start_check(nlh, room, XMESH_QOS_A_TCLASS);
	if (!nest)
		return -EMSGSIZE;
	PUT(ok, mnl_attr_put_u8_check(nlh, room, XMESH_TCLASS_A_ID, t->id));
	if (XM_HAS(t, XMESH_TCLASS_A_RATE))
		PUT(ok, mnl_attr_put_u64_check(nlh, room, XMESH_TCLASS_A_RATE,
					       t->rate));
	if (XM_HAS(t, XMESH_TCLASS_A_BURST))
		PUT(ok, mnl_attr_put_u32_check(nlh, room, XMESH_TCLASS_A_BURST,
					       t->burst));
	return nest_end(nlh, nest, ok);
}

int xm_qos_put(struct nlmsghdr *nlh, size_t room, const struct xm_qos *q)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, room, XMESH_A_QOS);
	unsigned int i;
	bool ok = true;

	if (!nest)
		return -EMSGSIZE;
	if (XM_HAS(q, XMESH_QOS_A_DSCP_MAP))
		PUT(ok, mnl_attr_put_check(nlh, room, XMESH_QOS_A_DSCP_MAP,
					   sizeof(q->dscp_map), q->dscp_map));
	if (XM_HAS(q, XMESH_QOS_A_PRIO_MAP))
		PUT(ok, mnl_attr_put_check(nlh, room, XMESH_QOS_A_PRIO_MAP,
					   sizeof(q->prio_map), q->prio_map));
	for (i = 0; ok && i < q->n_tclass && i < XM_TCLASS_COUNT; i++)
		PUT(ok, !tclass_put(nlh, room, &q->tclass[i]));
	return nest_end(nlh, nest, ok);
}

int xm_qos_rule_put(struct nlmsghdr *nlh, size_t room,
		    const struct xm_qos_rule *r)
{
	struct nlattr *nest;
	bool ok = true;

	nest = mnl_attr_nest_start_check(nlh, room, XMESH_A_QOS_RULE);
	if (!nest)
		return -EMSGSIZE;
	PUT(ok, mnl_attr_put_u32_check(nlh, room, XMESH_QOS_RULE_A_ID, r->id));
	if (XM_HAS(r, XMESH_QOS_RULE_A_TCLASS))
		PUT(ok, mnl_attr_put_u8_check(nlh, room, XMESH_QOS_RULE_A_TCLASS,
					      r->tclass));
	if (XM_HAS(r, XMESH_QOS_RULE_A_FAMILY)) {
		PUT(ok, mnl_attr_put_u16_check(nlh, room,
					       XMESH_QOS_RULE_A_FAMILY,
					       r->addr.family));
		PUT(ok, put_addr(nlh, room, XMESH_QOS_RULE_A_ADDR, &r->addr));
		PUT(ok, mnl_attr_put_u8_check(nlh, room, XMESH_QOS_RULE_A_LEN,
					      r->len));
	}
	if (XM_HAS(r, XMESH_QOS_RULE_A_PROTOCOL))
		PUT(ok, mnl_attr_put_u8_check(nlh, room,
					      XMESH_QOS_RULE_A_PROTOCOL,
					      r->protocol));
	if (XM_HAS(r, XMESH_QOS_RULE_A_PORT_MIN))
		PUT(ok, mnl_attr_put_u16_check(nlh, room,
					       XMESH_QOS_RULE_A_PORT_MIN,
					       r->port_min));
	if (XM_HAS(r, XMESH_QOS_RULE_A_PORT_MAX))
		PUT(ok, mnl_attr_put_u16_check(nlh, room,
					       XMESH_QOS_RULE_A_PORT_MAX,
					       r->port_max));
	if (XM_HAS(r, XMESH_QOS_RULE_A_SPORT_MIN))
		PUT(ok, mnl_attr_put_u16_check(nlh, room,
					       XMESH_QOS_RULE_A_SPORT_MIN,
					       r->sport_min));
	if (XM_HAS(r, XMESH_QOS_RULE_A_SPORT_MAX))
		PUT(ok, mnl_attr_put_u16_check(nlh, room,
					       XMESH_QOS_RULE_A_SPORT_MAX,
					       r->sport_max));
	return nest_end(nlh, nest, ok);
}

int xm_node_put(struct nlmsghdr *nlh, size_t room, const struct xm_node *n)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, room, XMESH_A_NODE);
	bool ok = true;

	if (!nest)
		return -EMSGSIZE;
	if (XM_HAS(n, XMESH_NODE_A_ID))
		PUT(ok, mnl_attr_put_u32_check(nlh, room, XMESH_NODE_A_ID,
					       n->id));
	if (XM_HAS(n, XMESH_NODE_A_ZONE))
		PUT(ok, mnl_attr_put_u16_check(nlh, room, XMESH_NODE_A_ZONE,
					       n->zone));
	if (XM_HAS(n, XMESH_NODE_A_ROLES))
		PUT(ok, mnl_attr_put_u16_check(nlh, room, XMESH_NODE_A_ROLES,
					       n->roles));
	return nest_end(nlh, nest, ok);
}

int xm_zone_pair_put(struct nlmsghdr *nlh, size_t room,
		     const struct xm_zone_pair *z)
{
	struct nlattr *nest;
	bool ok = true;

	nest = mnl_attr_nest_start_check(nlh, room, XMESH_A_ZONE_PAIR);
	if (!nest)
		return -EMSGSIZE;
	if (XM_HAS(z, XMESH_ZONE_PAIR_A_FROM))
		PUT(ok, mnl_attr_put_u16_check(nlh, room,
					       XMESH_ZONE_PAIR_A_FROM, z->from));
	if (XM_HAS(z, XMESH_ZONE_PAIR_A_TO))
		PUT(ok, mnl_attr_put_u16_check(nlh, room, XMESH_ZONE_PAIR_A_TO,
					       z->to));
	if (XM_HAS(z, XMESH_ZONE_PAIR_A_ACTION))
		PUT(ok, mnl_attr_put_u8_check(nlh, room,
					      XMESH_ZONE_PAIR_A_ACTION,
					      z->action));
	return nest_end(nlh, nest, ok);
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
	}
	return -EINVAL;
}

/* ---- parse -------------------------------------------------------- */

/* Unknown attributes are skipped: newer modules may add some. */

static int parse_stats(const struct nlattr *nest, uint64_t *v, int max,
		       uint32_t *present)
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

int xm_dev_parse(const struct nlattr *nest, struct xm_dev *d)
{
	const struct nlattr *a;
	bool ok;

	mnl_attr_for_each_nested(a, nest) {
		int type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_DEV_A_NODE_ID:
			ok = get_u32(a, &d->node_id);
			break;
		case XMESH_DEV_A_PORT:
			ok = get_u16(a, &d->port);
			break;
		case XMESH_DEV_A_FAMILY:
			ok = get_u16(a, &d->family);
			break;
		case XMESH_DEV_A_HOP_LIMIT:
			ok = get_u8(a, &d->hop_limit);
			break;
		case XMESH_DEV_A_NEIGH_COUNT:
			ok = get_u32(a, &d->neigh_count);
			break;
		case XMESH_DEV_A_ROUTE_COUNT:
			ok = get_u32(a, &d->route_count);
			break;
		case XMESH_DEV_A_PREFIX_COUNT:
			ok = get_u32(a, &d->prefix_count);
			break;
		case XMESH_DEV_A_SECURITY:
			ok = get_u8(a, &d->security);
			break;
		case XMESH_DEV_A_KEY_COUNT:
			ok = get_u32(a, &d->key_count);
			break;
		case XMESH_DEV_A_MARK_MASK:
			ok = get_u32(a, &d->mark_mask);
			break;
		case XMESH_DEV_A_ZONE_DEFAULT:
			ok = get_u8(a, &d->zone_default);
			break;
		case XMESH_DEV_A_NODE_COUNT:
			ok = get_u32(a, &d->node_count);
			break;
		case XMESH_DEV_A_ZONE_PAIR_COUNT:
			ok = get_u32(a, &d->zone_pair_count);
			break;
		case XMESH_DEV_A_COUNTERS:
			ok = !parse_stats(a, d->counters, XMESH_COUNTER_A_MAX,
					  &d->counters_present);
			break;
		case XMESH_DEV_A_DROPS:
			ok = !parse_stats(a, d->drops, XMESH_DROP_A_MAX,
					  &d->drops_present);
			break;
		default:
			continue;
		}
		if (!ok)
			return -EINVAL;
		XM_SET(d, type);
	}
	return 0;
}

int xm_neigh_parse(const struct nlattr *nest, struct xm_neigh *n)
{
	const struct nlattr *a;
	bool ok;

	memset(n, 0, sizeof(*n));
	mnl_attr_for_each_nested(a, nest) {
		int type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_NEIGH_A_ID:
			ok = get_u32(a, &n->id);
			break;
		case XMESH_NEIGH_A_NODE:
			ok = get_u32(a, &n->node);
			break;
		case XMESH_NEIGH_A_LINK:
			ok = get_u32(a, &n->link);
			break;
		case XMESH_NEIGH_A_LOCAL:
			ok = get_addr(a, &n->local);
			break;
		case XMESH_NEIGH_A_REMOTE:
			ok = get_addr(a, &n->remote);
			break;
		case XMESH_NEIGH_A_PORT:
			ok = get_u16(a, &n->port);
			break;
		case XMESH_NEIGH_A_STATE:
			ok = get_u8(a, &n->state);
			break;
		case XMESH_NEIGH_A_CARRIER:
			ok = get_u8(a, &n->carrier);
			break;
		case XMESH_NEIGH_A_MTU:
			ok = get_u32(a, &n->mtu);
			break;
		case XMESH_NEIGH_A_TX_PACKETS:
			ok = get_u64(a, &n->tx_packets);
			break;
		case XMESH_NEIGH_A_TX_BYTES:
			ok = get_u64(a, &n->tx_bytes);
			break;
		case XMESH_NEIGH_A_RX_PACKETS:
			ok = get_u64(a, &n->rx_packets);
			break;
		case XMESH_NEIGH_A_RX_BYTES:
			ok = get_u64(a, &n->rx_bytes);
			break;
		case XMESH_NEIGH_A_DROPS:
			ok = get_u64(a, &n->drops);
			break;
		default:
			continue;
		}
		if (!ok)
			return -EINVAL;
		XM_SET(n, type);
	}
	return 0;
}

static int nexthop_parse(const struct nlattr *nest, struct xm_nexthop *x)
{
	const struct nlattr *a;
	bool ok;

	memset(x, 0, sizeof(*x));
	mnl_attr_for_each_nested(a, nest) {
		int type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_NEXTHOP_A_NEIGH:
			ok = get_u32(a, &x->neigh);
			break;
		case XMESH_NEXTHOP_A_PRIORITY:
			ok = get_u8(a, &x->priority);
			break;
		case XMESH_NEXTHOP_A_ACTIVE:
			ok = x->active = get_flag(a);
			break;
		default:
			continue;
		}
		if (!ok)
			return -EINVAL;
		XM_SET(x, type);
	}
	return 0;
}

int xm_route_parse(const struct nlattr *nest, struct xm_route *r)
{
	const struct nlattr *a;
	bool ok;

	memset(r, 0, sizeof(*r));
	mnl_attr_for_each_nested(a, nest) {
		int type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_ROUTE_A_DST:
			ok = get_u32(a, &r->dst);
			break;
		case XMESH_ROUTE_A_NEXTHOP:
			ok = r->n_nexthops < XMESH_MAX_NEXTHOPS &&
			     !nexthop_parse(a, &r->nexthop[r->n_nexthops]);
			if (ok)
				r->n_nexthops++;
			break;
		default:
			continue;
		}
		if (!ok)
			return -EINVAL;
		XM_SET(r, type);
	}
	return 0;
}

int xm_prefix_parse(const struct nlattr *nest, struct xm_prefix *p)
{
	uint16_t family = 0;
	const struct nlattr *a;
	bool ok;

	memset(p, 0, sizeof(*p));
	mnl_attr_for_each_nested(a, nest) {
		int type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_PREFIX_A_FAMILY:
			ok = get_u16(a, &family);
			break;
		case XMESH_PREFIX_A_ADDR:
			ok = get_addr(a, &p->addr);
			break;
		case XMESH_PREFIX_A_LEN:
			ok = get_u8(a, &p->len);
			break;
		case XMESH_PREFIX_A_NODE:
			ok = get_u32(a, &p->node);
			break;
		default:
			continue;
		}
		if (!ok)
			return -EINVAL;
		XM_SET(p, type);
	}
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
	const struct nlattr *a;
	bool ok;

	memset(o, 0, sizeof(*o));
	mnl_attr_for_each_nested(a, nest) {
		int type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_OAM_A_DST:
			ok = get_u32(a, &o->dst);
			break;
		case XMESH_OAM_A_IDENT:
			ok = get_u16(a, &o->ident);
			break;
		case XMESH_OAM_A_SEQ:
			ok = get_u32(a, &o->seq);
			break;
		case XMESH_OAM_A_HOP_LIMIT:
			ok = get_u8(a, &o->hop_limit);
			break;
		case XMESH_OAM_A_OP:
			ok = get_u8(a, &o->op);
			break;
		case XMESH_OAM_A_REPORTER:
			ok = get_u32(a, &o->reporter);
			break;
		case XMESH_OAM_A_RTT_NS:
			ok = get_u64(a, &o->rtt_ns);
			break;
		case XMESH_OAM_A_NEIGH:
			ok = get_u32(a, &o->neigh);
			break;
		default:
			continue;
		}
		if (!ok)
			return -EINVAL;
		XM_SET(o, type);
	}
	return 0;
}

/* A reply never carries the key bytes: XMESH_KEY_A_KEY is skipped. */
int xm_key_parse(const struct nlattr *nest, struct xm_key *k)
{
	const struct nlattr *a;
	bool ok;

	memset(k, 0, sizeof(*k));
	mnl_attr_for_each_nested(a, nest) {
		int type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_KEY_A_NEIGH:
			ok = get_u32(a, &k->neigh);
			break;
		case XMESH_KEY_A_ID:
			ok = get_u8(a, &k->id);
			break;
		case XMESH_KEY_A_DIR:
			ok = get_u8(a, &k->dir);
			break;
		case XMESH_KEY_A_COUNTER:
			ok = get_u64(a, &k->counter);
			break;
		case XMESH_KEY_A_PACKETS:
			ok = get_u64(a, &k->packets);
			break;
		case XMESH_KEY_A_BYTES:
			ok = get_u64(a, &k->bytes);
			break;
		case XMESH_KEY_A_REPLAYED:
			ok = get_u64(a, &k->replayed);
			break;
		case XMESH_KEY_A_AUTH_FAILED:
			ok = get_u64(a, &k->auth_failed);
			break;
		default:
			continue;
		}
		if (!ok)
			return -EINVAL;
		XM_SET(k, type);
	}
	return 0;
}

static int tclass_parse(const struct nlattr *nest, struct xm_tclass *t)
{
	const struct nlattr *a;
	bool ok;

	memset(t, 0, sizeof(*t));
	mnl_attr_for_each_nested(a, nest) {
		int type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_TCLASS_A_ID:
			ok = get_u8(a, &t->id);
			break;
		case XMESH_TCLASS_A_RATE:
			ok = get_u64(a, &t->rate);
			break;
		case XMESH_TCLASS_A_BURST:
			ok = get_u32(a, &t->burst);
			break;
		case XMESH_TCLASS_A_DSCP:
			ok = get_u8(a, &t->dscp);
			break;
		case XMESH_TCLASS_A_PRIORITY:
			ok = get_u32(a, &t->priority);
			break;
		case XMESH_TCLASS_A_PACKETS:
			ok = get_u64(a, &t->packets);
			break;
		case XMESH_TCLASS_A_BYTES:
			ok = get_u64(a, &t->bytes);
			break;
		case XMESH_TCLASS_A_DROPS:
			ok = get_u64(a, &t->drops);
			break;
		default:
			continue;
		}
		if (!ok)
			return -EINVAL;
		XM_SET(t, type);
	}
	return XM_HAS(t, XMESH_TCLASS_A_ID) ? 0 : -EINVAL;
}

int xm_qos_parse(const struct nlattr *nest, struct xm_qos *q)
{
	const struct nlattr *a;
	bool ok;

	memset(q, 0, sizeof(*q));
	mnl_attr_for_each_nested(a, nest) {
		int type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_QOS_A_DSCP_MAP:
			ok = get_bytes(a, q->dscp_map, sizeof(q->dscp_map));
			break;
		case XMESH_QOS_A_PRIO_MAP:
			ok = get_bytes(a, q->prio_map, sizeof(q->prio_map));
			break;
		case XMESH_QOS_A_TCLASS:
			ok = q->n_tclass < XM_TCLASS_COUNT &&
			     !tclass_parse(a, &q->tclass[q->n_tclass]);
			if (ok)
				q->n_tclass++;
			break;
		default:
			continue;
		}
		if (!ok)
			return -EINVAL;
		XM_SET(q, type);
	}
	return 0;
}

int xm_qos_rule_parse(const struct nlattr *nest, struct xm_qos_rule *r)
{
	uint16_t family = 0;
	const struct nlattr *a;
	bool ok;

	memset(r, 0, sizeof(*r));
	mnl_attr_for_each_nested(a, nest) {
		int type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_QOS_RULE_A_ID:
			ok = get_u32(a, &r->id);
			break;
		case XMESH_QOS_RULE_A_TCLASS:
			ok = get_u8(a, &r->tclass);
			break;
		case XMESH_QOS_RULE_A_FAMILY:
			ok = get_u16(a, &family);
			break;
		case XMESH_QOS_RULE_A_ADDR:
			ok = get_addr(a, &r->addr);
			break;
		case XMESH_QOS_RULE_A_LEN:
			ok = get_u8(a, &r->len);
			break;
		case XMESH_QOS_RULE_A_PROTOCOL:
			ok = get_u8(a, &r->protocol);
			break;
		case XMESH_QOS_RULE_A_PORT_MIN:
			ok = get_u16(a, &r->port_min);
			break;
		case XMESH_QOS_RULE_A_PORT_MAX:
			ok = get_u16(a, &r->port_max);
			break;
		case XMESH_QOS_RULE_A_SPORT_MIN:
			ok = get_u16(a, &r->sport_min);
			break;
		case XMESH_QOS_RULE_A_SPORT_MAX:
			ok = get_u16(a, &r->sport_max);
			break;
		default:
			continue;
		}
		if (!ok)
			return -EINVAL;
		XM_SET(r, type);
	}
	/* A family comes with an address of that family. */
	if (XM_HAS(r, XMESH_QOS_RULE_A_FAMILY) &&
	    (!XM_HAS(r, XMESH_QOS_RULE_A_ADDR) || family != r->addr.family))
		return -EINVAL;
	return XM_HAS(r, XMESH_QOS_RULE_A_ID) ? 0 : -EINVAL;
}

int xm_node_parse(const struct nlattr *nest, struct xm_node *n)
{
	const struct nlattr *a;
	bool ok;

	memset(n, 0, sizeof(*n));
	mnl_attr_for_each_nested(a, nest) {
		int type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_NODE_A_ID:
			ok = get_u32(a, &n->id);
			break;
		case XMESH_NODE_A_ZONE:
			ok = get_u16(a, &n->zone);
			break;
		case XMESH_NODE_A_ROLES:
			ok = get_u16(a, &n->roles);
			break;
		default:
			continue;
		}
		if (!ok)
			return -EINVAL;
		XM_SET(n, type);
	}
	return 0;
}

int xm_zone_pair_parse(const struct nlattr *nest, struct xm_zone_pair *z)
{
	const struct nlattr *a;
	bool ok;

	memset(z, 0, sizeof(*z));
	mnl_attr_for_each_nested(a, nest) {
		int type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_ZONE_PAIR_A_FROM:
			ok = get_u16(a, &z->from);
			break;
		case XMESH_ZONE_PAIR_A_TO:
			ok = get_u16(a, &z->to);
			break;
		case XMESH_ZONE_PAIR_A_ACTION:
			ok = get_u8(a, &z->action);
			break;
		default:
			continue;
		}
		if (!ok)
			return -EINVAL;
		XM_SET(z, type);
	}
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
