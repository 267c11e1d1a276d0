// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh generic netlink: the family "xmesh", the one contract between the
 * module and userspace (Documentation/netlink/specs/xmesh.yaml).
 *
 * Every request names a device (XMESH_A_IFINDEX or XMESH_A_IFNAME) and
 * carries one or more entries. A request is checked whole, entries
 * against the table and against each other, before the first change, so
 * a batch lands entirely or not at all and the extack error points at the
 * entry at fault. Each request runs under the device's lock.
 */
#include <crypto/algapi.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include "xmesh_priv.h"

#ifndef NL_SET_ERR_MSG_FMT
/*
 * Linux 6.1 has no formatted extack messages. Requests to a family without
 * parallel_ops run under genl_mutex until their ack is built, so one
 * static buffer serves every request of this family.
 */
static char xmesh_extack_buf[80];
#define NL_SET_ERR_MSG_FMT(extack, fmt, args...) do {			\
	struct netlink_ext_ack *__ea = (extack);			\
									\
	if (__ea) {							\
		snprintf(xmesh_extack_buf, sizeof(xmesh_extack_buf),	\
			 fmt, ##args);					\
		__ea->_msg = xmesh_extack_buf;				\
	}								\
} while (0)
#define NL_SET_ERR_MSG_ATTR_FMT(extack, attr, fmt, args...) do {	\
	NL_SET_BAD_ATTR(extack, attr);					\
	NL_SET_ERR_MSG_FMT(extack, fmt, ##args);			\
} while (0)
#endif

/* Attributes the kernel reports but a request may not set. */
#define XMESH_READ_ONLY { .type = NLA_REJECT,				\
			  .reject_message = "the attribute is read-only" }

static const struct nla_policy xmesh_dev_policy[XMESH_DEV_A_MAX + 1] = {
	[0] = { .strict_start_type = 1 },
	[XMESH_DEV_A_NODE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[XMESH_DEV_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[XMESH_DEV_A_FAMILY] = { .type = NLA_U16 },
	[XMESH_DEV_A_HOP_LIMIT] = NLA_POLICY_MIN(NLA_U8, 1),
	/* Nests, so that a dev-get reply sent back gets the message below
	 * rather than one about the nest flag; dev-set refuses them.
	 */
	[XMESH_DEV_A_COUNTERS] = { .type = NLA_NESTED },
	[XMESH_DEV_A_DROPS] = { .type = NLA_NESTED },
	[XMESH_DEV_A_NEIGH_COUNT] = XMESH_READ_ONLY,
	[XMESH_DEV_A_ROUTE_COUNT] = XMESH_READ_ONLY,
	[XMESH_DEV_A_PREFIX_COUNT] = XMESH_READ_ONLY,
	[XMESH_DEV_A_SECURITY] = NLA_POLICY_MAX(NLA_U8,
						XMESH_SECURITY_ENCRYPT),
	[XMESH_DEV_A_KEY_COUNT] = XMESH_READ_ONLY,
	[XMESH_DEV_A_OAM_RATE] = { .type = NLA_U32 },
	[XMESH_DEV_A_MARK_MASK] = { .type = NLA_U32 },
	[XMESH_DEV_A_ZONE_DEFAULT] = NLA_POLICY_MAX(NLA_U8, XMESH_ZONE_DENY),
	[XMESH_DEV_A_NODE_COUNT] = XMESH_READ_ONLY,
	[XMESH_DEV_A_ZONE_PAIR_COUNT] = XMESH_READ_ONLY,
	[XMESH_DEV_A_MROUTE_COUNT] = XMESH_READ_ONLY,
	[XMESH_DEV_A_ORIGIN] = NLA_POLICY_MAX(NLA_U8, 1),
};

static const struct nla_policy xmesh_neigh_policy[XMESH_NEIGH_A_MAX + 1] = {
	[0] = { .strict_start_type = 1 },
	[XMESH_NEIGH_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[XMESH_NEIGH_A_NODE] = NLA_POLICY_MIN(NLA_U32, 1),
	[XMESH_NEIGH_A_LINK] = NLA_POLICY_MIN(NLA_U32, 1),
	[XMESH_NEIGH_A_LOCAL] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[XMESH_NEIGH_A_REMOTE] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[XMESH_NEIGH_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[XMESH_NEIGH_A_STATE] = NLA_POLICY_MAX(NLA_U8, XMESH_NEIGH_UP),
	[XMESH_NEIGH_A_CARRIER] = XMESH_READ_ONLY,
	[XMESH_NEIGH_A_MTU] = XMESH_READ_ONLY,
	[XMESH_NEIGH_A_TX_PACKETS] = XMESH_READ_ONLY,
	[XMESH_NEIGH_A_TX_BYTES] = XMESH_READ_ONLY,
	[XMESH_NEIGH_A_RX_PACKETS] = XMESH_READ_ONLY,
	[XMESH_NEIGH_A_RX_BYTES] = XMESH_READ_ONLY,
	[XMESH_NEIGH_A_DROPS] = XMESH_READ_ONLY,
};

static const struct nla_policy xmesh_nexthop_policy[XMESH_NEXTHOP_A_MAX + 1] = {
	[0] = { .strict_start_type = 1 },
	[XMESH_NEXTHOP_A_NEIGH] = NLA_POLICY_MIN(NLA_U32, 1),
	[XMESH_NEXTHOP_A_PRIORITY] = { .type = NLA_U8 },
	[XMESH_NEXTHOP_A_ACTIVE] = XMESH_READ_ONLY,
};

static const struct nla_policy xmesh_route_policy[XMESH_ROUTE_A_MAX + 1] = {
	[0] = { .strict_start_type = 1 },
	[XMESH_ROUTE_A_DST] = NLA_POLICY_MIN(NLA_U32, 1),
	[XMESH_ROUTE_A_NEXTHOP] = NLA_POLICY_NESTED(xmesh_nexthop_policy),
	[XMESH_ROUTE_A_TCLASS] = NLA_POLICY_RANGE(NLA_U8, XMESH_TC_FIRST,
						  XMESH_TC_LAST),
};

static const struct nla_policy xmesh_prefix_policy[XMESH_PREFIX_A_MAX + 1] = {
	[0] = { .strict_start_type = 1 },
	[XMESH_PREFIX_A_FAMILY] = { .type = NLA_U16 },
	[XMESH_PREFIX_A_ADDR] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[XMESH_PREFIX_A_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[XMESH_PREFIX_A_NODE] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy xmesh_oam_policy[XMESH_OAM_A_MAX + 1] = {
	[0] = { .strict_start_type = 1 },
	[XMESH_OAM_A_DST] = NLA_POLICY_MIN(NLA_U32, 1),
	[XMESH_OAM_A_IDENT] = { .type = NLA_U16 },
	[XMESH_OAM_A_SEQ] = { .type = NLA_U32 },
	[XMESH_OAM_A_HOP_LIMIT] = NLA_POLICY_MIN(NLA_U8, 1),
	[XMESH_OAM_A_OP] = XMESH_READ_ONLY,
	[XMESH_OAM_A_REPORTER] = XMESH_READ_ONLY,
	[XMESH_OAM_A_RTT_NS] = XMESH_READ_ONLY,
	[XMESH_OAM_A_NEIGH] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy xmesh_key_policy[XMESH_KEY_A_MAX + 1] = {
	[0] = { .strict_start_type = 1 },
	[XMESH_KEY_A_NEIGH] = NLA_POLICY_MIN(NLA_U32, 1),
	[XMESH_KEY_A_NODE] = NLA_POLICY_MIN(NLA_U32, 1),
	[XMESH_KEY_A_ID] = NLA_POLICY_MIN(NLA_U8, 1),
	[XMESH_KEY_A_DIR] = NLA_POLICY_RANGE(NLA_U8, XMESH_KEY_TX, XMESH_KEY_RX),
	[XMESH_KEY_A_KEY] = NLA_POLICY_EXACT_LEN(XMESH_KEY_LEN),
	[XMESH_KEY_A_COUNTER] = XMESH_READ_ONLY,
	[XMESH_KEY_A_PACKETS] = XMESH_READ_ONLY,
	[XMESH_KEY_A_BYTES] = XMESH_READ_ONLY,
	[XMESH_KEY_A_REPLAYED] = XMESH_READ_ONLY,
	[XMESH_KEY_A_AUTH_FAILED] = XMESH_READ_ONLY,
};

static const struct nla_policy xmesh_tclass_policy[XMESH_TCLASS_A_MAX + 1] = {
	[0] = { .strict_start_type = 1 },
	[XMESH_TCLASS_A_ID] = NLA_POLICY_RANGE(NLA_U8, XMESH_TC_FIRST,
					       XMESH_TC_LAST),
	[XMESH_TCLASS_A_RATE] = { .type = NLA_U64 },
	[XMESH_TCLASS_A_BURST] = { .type = NLA_U32 },
	[XMESH_TCLASS_A_DSCP] = XMESH_READ_ONLY,
	[XMESH_TCLASS_A_PRIORITY] = XMESH_READ_ONLY,
	[XMESH_TCLASS_A_PACKETS] = XMESH_READ_ONLY,
	[XMESH_TCLASS_A_BYTES] = XMESH_READ_ONLY,
	[XMESH_TCLASS_A_DROPS] = XMESH_READ_ONLY,
};

static const struct nla_policy xmesh_qos_policy[XMESH_QOS_A_MAX + 1] = {
	[0] = { .strict_start_type = 1 },
	[XMESH_QOS_A_DSCP_MAP] = NLA_POLICY_EXACT_LEN(XMESH_QOS_DSCP_COUNT),
	[XMESH_QOS_A_PRIO_MAP] = NLA_POLICY_EXACT_LEN(XMESH_QOS_PRIO_COUNT),
	[XMESH_QOS_A_TCLASS] = NLA_POLICY_NESTED(xmesh_tclass_policy),
};

static const struct nla_policy xmesh_qos_rule_policy[XMESH_QOS_RULE_A_MAX + 1] = {
	[0] = { .strict_start_type = 1 },
	[XMESH_QOS_RULE_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[XMESH_QOS_RULE_A_TCLASS] = NLA_POLICY_RANGE(NLA_U8, XMESH_TC_FIRST,
						     XMESH_TC_LAST),
	[XMESH_QOS_RULE_A_FAMILY] = { .type = NLA_U16 },
	[XMESH_QOS_RULE_A_ADDR] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[XMESH_QOS_RULE_A_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[XMESH_QOS_RULE_A_PROTOCOL] = { .type = NLA_U8 },
	[XMESH_QOS_RULE_A_PORT_MIN] = NLA_POLICY_MIN(NLA_U16, 1),
	[XMESH_QOS_RULE_A_PORT_MAX] = NLA_POLICY_MIN(NLA_U16, 1),
	[XMESH_QOS_RULE_A_SPORT_MIN] = NLA_POLICY_MIN(NLA_U16, 1),
	[XMESH_QOS_RULE_A_SPORT_MAX] = NLA_POLICY_MIN(NLA_U16, 1),
};

static const struct nla_policy xmesh_node_policy[XMESH_NODE_A_MAX + 1] = {
	[XMESH_NODE_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[XMESH_NODE_A_ZONE] = { .type = NLA_U16 },
	[XMESH_NODE_A_ROLES] = { .type = NLA_U16 },
};

static const struct nla_policy
xmesh_zone_pair_policy[XMESH_ZONE_PAIR_A_MAX + 1] = {
	[XMESH_ZONE_PAIR_A_FROM] = { .type = NLA_U16 },
	[XMESH_ZONE_PAIR_A_TO] = { .type = NLA_U16 },
	[XMESH_ZONE_PAIR_A_ACTION] = NLA_POLICY_MAX(NLA_U8, XMESH_ZONE_DENY),
};

static const struct nla_policy xmesh_mroute_policy[XMESH_MROUTE_A_MAX + 1] = {
	[XMESH_MROUTE_A_ROOT] = NLA_POLICY_MIN(NLA_U32, 1),
	[XMESH_MROUTE_A_FAMILY] = { .type = NLA_U16 },
	[XMESH_MROUTE_A_GROUP] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[XMESH_MROUTE_A_NEIGH] = NLA_POLICY_MIN(NLA_U32, 1),
	[XMESH_MROUTE_A_LOCAL] = { .type = NLA_FLAG },
	[XMESH_MROUTE_A_UPSTREAM] = { .type = NLA_U32 },
	[XMESH_MROUTE_A_SHARED_ROOT] = { .type = NLA_U32 },
	[XMESH_MROUTE_A_TX_PACKETS] = XMESH_READ_ONLY,
	[XMESH_MROUTE_A_TX_BYTES] = XMESH_READ_ONLY,
	[XMESH_MROUTE_A_RX_PACKETS] = XMESH_READ_ONLY,
	[XMESH_MROUTE_A_RX_BYTES] = XMESH_READ_ONLY,
	[XMESH_MROUTE_A_DROPS] = XMESH_READ_ONLY,
};

static const struct nla_policy xmesh_policy[XMESH_A_MAX + 1] = {
	[0] = { .strict_start_type = 1 },
	[XMESH_A_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[XMESH_A_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[XMESH_A_DEV] = NLA_POLICY_NESTED(xmesh_dev_policy),
	[XMESH_A_NEIGH] = NLA_POLICY_NESTED(xmesh_neigh_policy),
	[XMESH_A_ROUTE] = NLA_POLICY_NESTED(xmesh_route_policy),
	[XMESH_A_PREFIX] = NLA_POLICY_NESTED(xmesh_prefix_policy),
	[XMESH_A_OAM] = NLA_POLICY_NESTED(xmesh_oam_policy),
	[XMESH_A_FLUSH] = { .type = NLA_FLAG },
	[XMESH_A_REPLACE] = { .type = NLA_FLAG },
	[XMESH_A_KEY] = NLA_POLICY_NESTED(xmesh_key_policy),
	[XMESH_A_QOS] = NLA_POLICY_NESTED(xmesh_qos_policy),
	[XMESH_A_QOS_RULE] = NLA_POLICY_NESTED(xmesh_qos_rule_policy),
	[XMESH_A_NODE] = NLA_POLICY_NESTED(xmesh_node_policy),
	[XMESH_A_ZONE_PAIR] = NLA_POLICY_NESTED(xmesh_zone_pair_policy),
	[XMESH_A_MROUTE] = NLA_POLICY_NESTED(xmesh_mroute_policy),
};

static struct genl_family xmesh_genl_family;

enum xmesh_mcgrp {
	XMESH_MCGRP_EVENTS_IDX,
	XMESH_MCGRP_OAM_IDX,
};

static const struct genl_multicast_group xmesh_mcgrps[] = {
	[XMESH_MCGRP_EVENTS_IDX] = { .name = XMESH_MCGRP_EVENTS },
	[XMESH_MCGRP_OAM_IDX] = { .name = XMESH_MCGRP_OAM },
};

/* ------------------------------------------------------------------ */
/* Versions (uapi/linux/xmesh.h): a newer tool's request is refused    */

static int xmesh_nl_version_check(const struct nlmsghdr *nlh,
				  struct netlink_ext_ack *extack)
{
	const struct genlmsghdr *genl = nlmsg_data(nlh);

	/* genetlink checked the header is there before calling us. */
	if (genl->version <= XMESH_GENL_VERSION)
		return 0;
	NL_SET_ERR_MSG_FMT(extack,
			   "request of xmesh netlink version %u; this module speaks %u: upgrade it",
			   genl->version, XMESH_GENL_VERSION);
	return -EPROTONOSUPPORT;
}

#ifdef XMESH_HAVE_GENL_SPLIT_OPS
static int xmesh_nl_pre_doit(const struct genl_split_ops *ops,
			     struct sk_buff *skb, struct genl_info *info)
#else
static int xmesh_nl_pre_doit(const struct genl_ops *ops,
			     struct sk_buff *skb, struct genl_info *info)
#endif
{
	return xmesh_nl_version_check(info->nlhdr, info->extack);
}

/* ------------------------------------------------------------------ */
/* Finding the device                                                 */

static struct xmesh_dev *xmesh_dev_from_attrs(struct net *net,
					      struct nlattr **attrs,
					      struct netlink_ext_ack *extack)
{
	struct xmesh_dev *xdev;

	if (!attrs[XMESH_A_IFINDEX] == !attrs[XMESH_A_IFNAME]) {
		NL_SET_ERR_MSG(extack,
			       "give exactly one of ifindex and ifname");
		return ERR_PTR(-EINVAL);
	}
	xdev = xmesh_dev_get(net,
			     attrs[XMESH_A_IFINDEX] ?
			     nla_get_u32(attrs[XMESH_A_IFINDEX]) : 0,
			     attrs[XMESH_A_IFNAME] ?
			     nla_data(attrs[XMESH_A_IFNAME]) : NULL);
	if (!xdev) {
		NL_SET_BAD_ATTR(extack, attrs[XMESH_A_IFINDEX] ?:
					attrs[XMESH_A_IFNAME]);
		NL_SET_ERR_MSG(extack, "no such xmesh device");
		return ERR_PTR(-ENODEV);
	}
	return xdev;
}

/* Get the device named in @info, held and locked; xmesh_unlock() it. */
static struct xmesh_dev *xmesh_lock(struct genl_info *info)
{
	struct xmesh_dev *xdev;

	xdev = xmesh_dev_from_attrs(genl_info_net(info), info->attrs,
				    info->extack);
	if (IS_ERR(xdev))
		return xdev;
	mutex_lock(&xdev->lock);
	if (xdev->dead) {
		mutex_unlock(&xdev->lock);
		dev_put(xdev->dev);
		NL_SET_ERR_MSG(info->extack, "the device is being removed");
		return ERR_PTR(-ENODEV);
	}
	return xdev;
}

static void xmesh_unlock(struct xmesh_dev *xdev)
{
	mutex_unlock(&xdev->lock);
	dev_put(xdev->dev);
}

/* ------------------------------------------------------------------ */
/* Filling messages                                                   */

static void *xmesh_msg_put(struct sk_buff *skb, u32 portid, u32 seq,
			   int flags, u8 cmd, struct xmesh_dev *xdev)
{
	void *hdr = genlmsg_put(skb, portid, seq, &xmesh_genl_family, flags,
				cmd);

	if (!hdr)
		return NULL;
	if (nla_put_u32(skb, XMESH_A_IFINDEX, xdev->dev->ifindex) ||
	    nla_put_string(skb, XMESH_A_IFNAME, xdev->dev->name)) {
		genlmsg_cancel(skb, hdr);
		return NULL;
	}
	return hdr;
}

static int xmesh_put_u64s(struct sk_buff *skb, int type, const u64 *v,
			  int max, int pad)
{
	struct nlattr *nest = nla_nest_start(skb, type);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = pad + 1; i <= max; i++)
		if (nla_put_u64_64bit(skb, i, v[i], pad))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int xmesh_fill_dev(struct sk_buff *skb, struct xmesh_dev *xdev)
{
	u64 counters[XMESH_COUNTER_A_MAX + 1], drops[XMESH_DROP_A_MAX + 1];
	struct nlattr *nest;

	nest = nla_nest_start(skb, XMESH_A_DEV);
	if (!nest)
		return -EMSGSIZE;
	xmesh_stats_read(xdev, counters, drops);
	if ((xdev->node_id &&
	     nla_put_u32(skb, XMESH_DEV_A_NODE_ID, xdev->node_id)) ||
	    nla_put_u16(skb, XMESH_DEV_A_PORT, ntohs(xdev->port)) ||
	    nla_put_u16(skb, XMESH_DEV_A_FAMILY, xdev->family) ||
	    nla_put_u8(skb, XMESH_DEV_A_HOP_LIMIT, xdev->hop_limit) ||
	    nla_put_u32(skb, XMESH_DEV_A_NEIGH_COUNT, xdev->n_neighs) ||
	    nla_put_u32(skb, XMESH_DEV_A_ROUTE_COUNT, xdev->n_routes) ||
	    nla_put_u32(skb, XMESH_DEV_A_PREFIX_COUNT,
			xdev->prefixes.count) ||
	    nla_put_u8(skb, XMESH_DEV_A_SECURITY, xdev->security) ||
	    nla_put_u8(skb, XMESH_DEV_A_ORIGIN, xdev->origin) ||
	    nla_put_u32(skb, XMESH_DEV_A_KEY_COUNT, xdev->n_keys) ||
	    nla_put_u32(skb, XMESH_DEV_A_OAM_RATE, xdev->oam_rate) ||
	    nla_put_u32(skb, XMESH_DEV_A_MARK_MASK, xdev->filter.mark_mask) ||
	    nla_put_u8(skb, XMESH_DEV_A_ZONE_DEFAULT,
		       xdev->filter.zone_default) ||
	    nla_put_u32(skb, XMESH_DEV_A_NODE_COUNT,
			xdev->filter.nodes.count) ||
	    nla_put_u32(skb, XMESH_DEV_A_ZONE_PAIR_COUNT,
			xdev->filter.zone_pairs.count) ||
	    nla_put_u32(skb, XMESH_DEV_A_MROUTE_COUNT, xdev->mroutes.count) ||
	    xmesh_put_u64s(skb, XMESH_DEV_A_COUNTERS, counters,
			   XMESH_COUNTER_A_MAX, XMESH_COUNTER_A_PAD) ||
	    xmesh_put_u64s(skb, XMESH_DEV_A_DROPS, drops, XMESH_DROP_A_MAX,
			   XMESH_DROP_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int xmesh_put_addr(struct sk_buff *skb, int type, u16 family,
			  const union xmesh_addr *addr)
{
	return family == AF_INET ? nla_put_in_addr(skb, type, addr->v4) :
				   nla_put_in6_addr(skb, type, &addr->v6);
}

static int xmesh_fill_neigh(struct sk_buff *skb, struct xmesh_neigh *neigh)
{
	u64 stats[XMESH_NSTAT_MAX];
	unsigned int mtu = READ_ONCE(neigh->link_mtu);
	static const union xmesh_addr any;
	unsigned int overhead;
	struct nlattr *nest;

	nest = nla_nest_start(skb, XMESH_A_NEIGH);
	if (!nest)
		return -EMSGSIZE;
	xmesh_neigh_stats_read(neigh, stats);
	overhead = xmesh_overhead(neigh->key.family,
				  READ_ONCE(neigh->xdev->security),
				  READ_ONCE(neigh->xdev->origin));
	mtu = mtu > overhead ? mtu - overhead : 0;
	if (nla_put_u32(skb, XMESH_NEIGH_A_ID, neigh->id) ||
	    nla_put_u32(skb, XMESH_NEIGH_A_NODE, neigh->node) ||
	    nla_put_u32(skb, XMESH_NEIGH_A_LINK, neigh->key.link) ||
	    xmesh_put_addr(skb, XMESH_NEIGH_A_REMOTE, neigh->key.family,
			   &neigh->key.addr) ||
	    (memcmp(&neigh->local, &any, sizeof(any)) &&
	     xmesh_put_addr(skb, XMESH_NEIGH_A_LOCAL, neigh->key.family,
			    &neigh->local)) ||
	    nla_put_u16(skb, XMESH_NEIGH_A_PORT, ntohs(neigh->port)) ||
	    nla_put_u8(skb, XMESH_NEIGH_A_STATE, READ_ONCE(neigh->state)) ||
	    nla_put_u8(skb, XMESH_NEIGH_A_CARRIER,
		       READ_ONCE(neigh->carrier)) ||
	    nla_put_u32(skb, XMESH_NEIGH_A_MTU, mtu) ||
	    nla_put_u64_64bit(skb, XMESH_NEIGH_A_TX_PACKETS,
			      stats[XMESH_NSTAT_TX_PACKETS], XMESH_NEIGH_A_PAD) ||
	    nla_put_u64_64bit(skb, XMESH_NEIGH_A_TX_BYTES,
			      stats[XMESH_NSTAT_TX_BYTES], XMESH_NEIGH_A_PAD) ||
	    nla_put_u64_64bit(skb, XMESH_NEIGH_A_RX_PACKETS,
			      stats[XMESH_NSTAT_RX_PACKETS], XMESH_NEIGH_A_PAD) ||
	    nla_put_u64_64bit(skb, XMESH_NEIGH_A_RX_BYTES,
			      stats[XMESH_NSTAT_RX_BYTES], XMESH_NEIGH_A_PAD) ||
	    nla_put_u64_64bit(skb, XMESH_NEIGH_A_DROPS,
			      stats[XMESH_NSTAT_DROPS], XMESH_NEIGH_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int xmesh_fill_route(struct sk_buff *skb, struct xmesh_route *rt,
			    unsigned long active)
{
	struct nlattr *nest, *nh;
	int i;

	nest = nla_nest_start(skb, XMESH_A_ROUTE);
	if (!nest || nla_put_u32(skb, XMESH_ROUTE_A_DST, rt->dst) ||
	    (rt->tclass && nla_put_u8(skb, XMESH_ROUTE_A_TCLASS, rt->tclass)))
		return -EMSGSIZE;
	for (i = 0; i < rt->n_nexthops; i++) {
		struct xmesh_neigh *neigh = rt->nexthop[i].neigh;

		if (!neigh)	/* its neighbor was deleted */
			continue;
		nh = nla_nest_start(skb, XMESH_ROUTE_A_NEXTHOP);
		if (!nh ||
		    nla_put_u32(skb, XMESH_NEXTHOP_A_NEIGH, neigh->id) ||
		    nla_put_u8(skb, XMESH_NEXTHOP_A_PRIORITY,
			       rt->nexthop[i].priority) ||
		    ((active & BIT(i)) &&
		     nla_put_flag(skb, XMESH_NEXTHOP_A_ACTIVE)))
			return -EMSGSIZE;
		nla_nest_end(skb, nh);
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int xmesh_fill_prefix_entry(struct sk_buff *skb,
				   struct xmesh_dev *xdev, void *entry)
{
	const struct xmesh_prefix *p = entry;
	struct nlattr *nest = nla_nest_start(skb, XMESH_A_PREFIX);

	if (!nest ||
	    nla_put_u16(skb, XMESH_PREFIX_A_FAMILY, p->key.family) ||
	    xmesh_put_addr(skb, XMESH_PREFIX_A_ADDR, p->key.family,
			   &p->key.addr) ||
	    nla_put_u8(skb, XMESH_PREFIX_A_LEN, p->key.len) ||
	    nla_put_u32(skb, XMESH_PREFIX_A_NODE, READ_ONCE(p->node_id)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* Never the key bytes: they go into the kernel and stay there. */
static int xmesh_fill_key_entry(struct sk_buff *skb, struct xmesh_dev *xdev,
				void *entry)
{
	struct xmesh_key *key = entry;
	struct nlattr *nest = nla_nest_start(skb, XMESH_A_KEY);
	u64 stats[XMESH_KSTAT_MAX];

	if (!nest)
		return -EMSGSIZE;
	xmesh_key_stats_read(key, stats);
	if (nla_put_u32(skb, key->origin ? XMESH_KEY_A_NODE : XMESH_KEY_A_NEIGH,
			key->owner) ||
	    nla_put_u8(skb, XMESH_KEY_A_ID, key->id) ||
	    nla_put_u8(skb, XMESH_KEY_A_DIR, key->dir) ||
	    nla_put_u64_64bit(skb, XMESH_KEY_A_COUNTER, xmesh_key_counter(key),
			      XMESH_KEY_A_PAD) ||
	    nla_put_u64_64bit(skb, XMESH_KEY_A_PACKETS,
			      stats[XMESH_KSTAT_PACKETS], XMESH_KEY_A_PAD) ||
	    nla_put_u64_64bit(skb, XMESH_KEY_A_BYTES,
			      stats[XMESH_KSTAT_BYTES], XMESH_KEY_A_PAD) ||
	    (key->dir == XMESH_KEY_RX &&
	     (nla_put_u64_64bit(skb, XMESH_KEY_A_REPLAYED,
				stats[XMESH_KSTAT_REPLAYED], XMESH_KEY_A_PAD) ||
	      nla_put_u64_64bit(skb, XMESH_KEY_A_AUTH_FAILED,
				stats[XMESH_KSTAT_AUTH_FAILED],
				XMESH_KEY_A_PAD))))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Notifications                                                      */

static struct sk_buff *xmesh_event_new(struct xmesh_dev *xdev, int group,
				       u8 cmd, gfp_t gfp, void **hdr)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&xmesh_genl_family, dev_net(xdev->dev),
				group))
		return NULL;
	skb = genlmsg_new(NLMSG_GOODSIZE, gfp);
	if (!skb)
		return NULL;
	*hdr = xmesh_msg_put(skb, 0, 0, 0, cmd, xdev);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static void xmesh_event_send(struct xmesh_dev *xdev, struct sk_buff *skb,
			     void *hdr, int group, int err, gfp_t gfp)
{
	if (err) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&xmesh_genl_family, dev_net(xdev->dev), skb,
				0, group, gfp);
}

void xmesh_genl_notify_neigh(struct xmesh_dev *xdev, struct xmesh_neigh *n,
			     bool deleted)
{
	struct sk_buff *skb;
	void *hdr;

	skb = xmesh_event_new(xdev, XMESH_MCGRP_EVENTS_IDX,
			      deleted ? XMESH_CMD_NEIGH_DEL :
					XMESH_CMD_NEIGH_EVENT,
			      GFP_KERNEL, &hdr);
	if (skb)
		xmesh_event_send(xdev, skb, hdr, XMESH_MCGRP_EVENTS_IDX,
				 xmesh_fill_neigh(skb, n), GFP_KERNEL);
}

void xmesh_genl_notify_route(struct xmesh_dev *xdev, struct xmesh_route *rt,
			     unsigned long active, bool deleted)
{
	struct sk_buff *skb;
	void *hdr;

	skb = xmesh_event_new(xdev, XMESH_MCGRP_EVENTS_IDX,
			      deleted ? XMESH_CMD_ROUTE_DEL :
					XMESH_CMD_ROUTE_EVENT,
			      GFP_KERNEL, &hdr);
	if (skb)
		xmesh_event_send(xdev, skb, hdr, XMESH_MCGRP_EVENTS_IDX,
				 xmesh_fill_route(skb, rt, active), GFP_KERNEL);
}

/* @neigh: for a link reply, the neighbor it arrived from, else NULL. */
void xmesh_genl_notify_oam(struct xmesh_dev *xdev, const struct xmesh_oam *oam,
			   u8 hop_limit, const struct xmesh_neigh *neigh)
{
	u64 rtt = ktime_get_ns() - be64_to_cpu(oam->timestamp);
	struct nlattr *nest;
	struct sk_buff *skb;
	void *hdr;
	int err;

	skb = xmesh_event_new(xdev, XMESH_MCGRP_OAM_IDX, XMESH_CMD_OAM_EVENT,
			      GFP_ATOMIC, &hdr);
	if (!skb)
		return;
	nest = nla_nest_start(skb, XMESH_A_OAM);
	err = !nest ||
	      nla_put_u32(skb, XMESH_OAM_A_DST, ntohl(oam->probe_dst)) ||
	      nla_put_u16(skb, XMESH_OAM_A_IDENT, ntohs(oam->ident)) ||
	      nla_put_u32(skb, XMESH_OAM_A_SEQ, ntohl(oam->seq)) ||
	      nla_put_u8(skb, XMESH_OAM_A_HOP_LIMIT, hop_limit) ||
	      nla_put_u8(skb, XMESH_OAM_A_OP, oam->op) ||
	      nla_put_u32(skb, XMESH_OAM_A_REPORTER, ntohl(oam->reporter)) ||
	      nla_put_u64_64bit(skb, XMESH_OAM_A_RTT_NS, rtt,
				XMESH_OAM_A_PAD) ||
	      (neigh && nla_put_u32(skb, XMESH_OAM_A_NEIGH, neigh->id));
	if (!err)
		nla_nest_end(skb, nest);
	xmesh_event_send(xdev, skb, hdr, XMESH_MCGRP_OAM_IDX, err, GFP_ATOMIC);
}

/* ------------------------------------------------------------------ */
/* Dumps: a cursor in cb->args, consistency from xdev->generation     */

struct xmesh_dump_ctx {
	int ifindex;		/* device being dumped */
	unsigned long skip;	/* entries already sent */
};

#define XMESH_DUMP_CTX(cb) ((struct xmesh_dump_ctx *)(cb)->args)

static struct nlattr **xmesh_dump_attrs(struct netlink_callback *cb)
{
#ifdef XMESH_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/* Put one table entry (under xdev->lock) into @skb. */
typedef int (*xmesh_dump_fill_t)(struct sk_buff *skb, struct xmesh_dev *xdev,
				 void *entry);

/*
 * Send the entries of the list at @list_offset in the device (under
 * xdev->lock), linked by their list_head at @entry_offset, from the cursor
 * on, one message each, until the skb is full.
 */
static int xmesh_dump_list(struct sk_buff *skb, struct netlink_callback *cb,
			   u8 cmd, size_t list_offset, size_t entry_offset,
			   xmesh_dump_fill_t fill)
{
	struct xmesh_dump_ctx *ctx = XMESH_DUMP_CTX(cb);
	struct net *net = sock_net(cb->skb->sk);
	struct list_head *list, *pos;
	struct xmesh_dev *xdev;
	unsigned long i = 0;

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->args));
	if (!ctx->ifindex) {
		/* The first part checks the version and finds the device: a
		 * .start callback gets no extack on 6.1, a dump part does.
		 */
		int err = xmesh_nl_version_check(cb->nlh, cb->extack);

		if (err)
			return err;
		xdev = xmesh_dev_from_attrs(net, xmesh_dump_attrs(cb),
					    cb->extack);
		if (IS_ERR(xdev))
			return PTR_ERR(xdev);
		ctx->ifindex = xdev->dev->ifindex;
	} else {
		xdev = xmesh_dev_get(net, ctx->ifindex, NULL);
		if (!xdev)
			return -ENODEV;
	}
	mutex_lock(&xdev->lock);
	if (xdev->dead)
		goto out;
	cb->seq = xdev->generation;
	list = (struct list_head *)((char *)xdev + list_offset);
	list_for_each(pos, list) {
		void *hdr;

		if (i++ < ctx->skip)
			continue;
		hdr = xmesh_msg_put(skb, NETLINK_CB(cb->skb).portid,
				    cb->nlh->nlmsg_seq, NLM_F_MULTI, cmd, xdev);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (fill(skb, xdev, (char *)pos - entry_offset)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		ctx->skip++;
	}
out:
	mutex_unlock(&xdev->lock);
	dev_put(xdev->dev);
	return skb->len;
}

/* Reply to a get with the one entry @entry, filled by @fill. */
static int xmesh_get_reply(struct genl_info *info, struct xmesh_dev *xdev,
			   u8 cmd, xmesh_dump_fill_t fill, void *entry)
{
	struct sk_buff *msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	void *hdr;

	if (!msg)
		return -ENOMEM;
	hdr = xmesh_msg_put(msg, info->snd_portid, info->snd_seq, 0, cmd,
			    xdev);
	if (!hdr || fill(msg, xdev, entry)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* ------------------------------------------------------------------ */
/* Walking the entries of a request                                   */

/* Count the entries of @type, refusing more than one request may hold. */
static int xmesh_count_entries(struct genl_info *info, int type,
			       const char *what, bool may_flush)
{
	const struct nlattr *attr;
	int rem, n = 0;

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem)
		if (nla_type(attr) == type)
			n++;
	if (n > XMESH_BATCH_MAX) {
		NL_SET_ERR_MSG_FMT(info->extack,
				   "more than %d %s entries in one request",
				   XMESH_BATCH_MAX, what);
		return -E2BIG;
	}
	if (!n && !(may_flush && info->attrs[XMESH_A_FLUSH])) {
		NL_SET_ERR_MSG_FMT(info->extack, "no %s entry given", what);
		return -EINVAL;
	}
	return n;
}

/* The request's nest @type, given, parsed into @tb; extack set if not. */
static int xmesh_parse_request(struct genl_info *info, int type,
			       const char *what, struct nlattr **tb,
			       int maxtype, const struct nla_policy *policy)
{
	if (!info->attrs[type]) {
		NL_SET_ERR_MSG_FMT(info->extack, "missing %s attributes", what);
		return -EINVAL;
	}
	return nla_parse_nested(tb, maxtype, info->attrs[type], policy,
				info->extack);
}

static bool xmesh_require(struct genl_info *info, const struct nlattr *nest,
			  struct nlattr **tb, int type, const char *name)
{
	if (tb[type])
		return true;
	NL_SET_ERR_MSG_ATTR_FMT(info->extack, nest, "missing %s", name);
	return false;
}

static int xmesh_parse_addr(struct genl_info *info, struct nlattr *attr,
			    u16 family, union xmesh_addr *addr)
{
	unsigned int len = family == AF_INET ? 4 : 16;

	if (nla_len(attr) != len) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, attr,
					"an %s address is %u bytes",
					family == AF_INET ? "IPv4" : "IPv6",
					len);
		return -EINVAL;
	}
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, nla_data(attr), len);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Device                                                             */

/* Answer a "get" of a device-wide object @cmd with what @fill puts. */
static int xmesh_nl_reply_dev(struct genl_info *info, u8 cmd,
			      int (*fill)(struct sk_buff *skb,
					  struct xmesh_dev *xdev))
{
	struct xmesh_dev *xdev;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	xdev = xmesh_lock(info);
	if (IS_ERR(xdev)) {
		nlmsg_free(msg);
		return PTR_ERR(xdev);
	}
	hdr = xmesh_msg_put(msg, info->snd_portid, info->snd_seq, 0, cmd,
			    xdev);
	err = hdr ? fill(msg, xdev) : -EMSGSIZE;
	xmesh_unlock(xdev);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int xmesh_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return xmesh_nl_reply_dev(info, XMESH_CMD_DEV_GET, xmesh_fill_dev);
}

static int xmesh_nl_dev_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	int i = 0, skip = cb->args[0], err;
	struct net_device *dev;

	err = xmesh_nl_version_check(cb->nlh, cb->extack);
	if (err)
		return err;
	rtnl_lock();
	for_each_netdev(net, dev) {
		struct xmesh_dev *xdev;
		void *hdr;

		if (dev->rtnl_link_ops != &xmesh_link_ops || i++ < skip)
			continue;
		xdev = netdev_priv(dev);
		hdr = xmesh_msg_put(skb, NETLINK_CB(cb->skb).portid,
				    cb->nlh->nlmsg_seq, NLM_F_MULTI,
				    XMESH_CMD_DEV_GET, xdev);
		if (!hdr)
			break;
		mutex_lock(&xdev->lock);
		err = xmesh_fill_dev(skb, xdev);
		mutex_unlock(&xdev->lock);
		if (err) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0]++;
	}
	rtnl_unlock();
	return skb->len;
}

static int xmesh_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[XMESH_DEV_A_MAX + 1];
	struct xmesh_dev *xdev;
	bool origin;
	u16 family;
	__be16 port;
	u8 security;
	int err;

	err = xmesh_parse_request(info, XMESH_A_DEV, "dev", tb, XMESH_DEV_A_MAX,
				  xmesh_dev_policy);
	if (err)
		return err;
	if (tb[XMESH_DEV_A_COUNTERS] || tb[XMESH_DEV_A_DROPS]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_DEV_A_COUNTERS] ?:
				    tb[XMESH_DEV_A_DROPS],
				    "counters are read-only");
		return -EINVAL;
	}

	rtnl_lock();	/* dev_set_mtu() on a family or security change */
	xdev = xmesh_lock(info);
	if (IS_ERR(xdev)) {
		rtnl_unlock();
		return PTR_ERR(xdev);
	}

	family = tb[XMESH_DEV_A_FAMILY] ?
		 nla_get_u16(tb[XMESH_DEV_A_FAMILY]) : xdev->family;
	port = tb[XMESH_DEV_A_PORT] ?
	       htons(nla_get_u16(tb[XMESH_DEV_A_PORT])) : xdev->port;
	security = tb[XMESH_DEV_A_SECURITY] ?
		   nla_get_u8(tb[XMESH_DEV_A_SECURITY]) : xdev->security;
	origin = tb[XMESH_DEV_A_ORIGIN] ?
		 nla_get_u8(tb[XMESH_DEV_A_ORIGIN]) : xdev->origin;
	err = -EINVAL;
	/* An origin seal rides inside a per-hop seal (wire-format.rst). */
	if (origin && security == XMESH_SECURITY_NONE) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_DEV_A_ORIGIN] ?:
				    tb[XMESH_DEV_A_SECURITY],
				    "origin seals need security auth or encrypt");
		goto out;
	}
	if (family != AF_INET && family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_DEV_A_FAMILY],
				    "family must be AF_INET or AF_INET6");
		goto out;
	}
	if (family != xdev->family && xdev->n_neighs) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_DEV_A_FAMILY],
				    "delete the neighbors before changing the underlay family");
		err = -EBUSY;
		goto out;
	}
	if (tb[XMESH_DEV_A_NODE_ID] && xdev->node_id &&
	    nla_get_u32(tb[XMESH_DEV_A_NODE_ID]) != xdev->node_id &&
	    (xdev->n_routes || xdev->prefixes.count)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_DEV_A_NODE_ID],
				    "flush routes and prefixes before changing the node id");
		err = -EBUSY;
		goto out;
	}

	/* The only step that can fail comes first. */
	err = xmesh_dev_set_underlay(xdev, port, family);
	if (err) {
		NL_SET_ERR_MSG_FMT(info->extack,
				   "cannot bind UDP port %u (error %d)",
				   ntohs(port), err);
		goto out;
	}
	if (tb[XMESH_DEV_A_NODE_ID])
		WRITE_ONCE(xdev->node_id, nla_get_u32(tb[XMESH_DEV_A_NODE_ID]));
	if (tb[XMESH_DEV_A_HOP_LIMIT])
		WRITE_ONCE(xdev->hop_limit,
			   nla_get_u8(tb[XMESH_DEV_A_HOP_LIMIT]));
	xmesh_dev_set_security(xdev, security, origin);
	if (tb[XMESH_DEV_A_OAM_RATE])
		WRITE_ONCE(xdev->oam_rate,
			   nla_get_u32(tb[XMESH_DEV_A_OAM_RATE]));
	if (tb[XMESH_DEV_A_MARK_MASK] || tb[XMESH_DEV_A_ZONE_DEFAULT])
		xmesh_filter_set(xdev, tb[XMESH_DEV_A_MARK_MASK] ?
				 nla_get_u32(tb[XMESH_DEV_A_MARK_MASK]) :
				 xdev->filter.mark_mask,
				 tb[XMESH_DEV_A_ZONE_DEFAULT] ?
				 nla_get_u8(tb[XMESH_DEV_A_ZONE_DEFAULT]) :
				 xdev->filter.zone_default);
	xdev->generation++;
out:
	xmesh_unlock(xdev);
	rtnl_unlock();
	return err;
}

/* ------------------------------------------------------------------ */
/* Tables: neighbors, routes, prefixes and keys, one set of handlers */

/*
 * What the generic get/dump/new/del handlers need to know of one kind of
 * table entry. A *_NEW or *_DEL request is applied in two passes: every
 * entry is parsed and checked, against the table and against the entries
 * before it, and only when all passed is anything changed.
 */
struct xmesh_table_ops {
	int type;		/* XMESH_A_NEIGH, XMESH_A_ROUTE, XMESH_A_PREFIX */
	const char *what;	/* for messages */
	u8 get_cmd;
	size_t list_offset;	/* of the entry list in struct xmesh_dev */
	size_t entry_offset;	/* of the list_head in an entry */
	size_t count_offset;	/* of the unsigned int entry count in xdev */
	unsigned int max;	/* table limit */
	int limit_hits;		/* XMESH_COUNTER_A_*_LIMIT_HITS */
	xmesh_dump_fill_t fill;

	/* The published entry @nest names, or an ERR_PTR, extack set. */
	void *(*find)(struct xmesh_dev *xdev, struct genl_info *info,
		      struct nlattr *nest);
	/* A new entry from @nest, not yet published, or an ERR_PTR. */
	void *(*parse)(struct xmesh_dev *xdev, struct genl_info *info,
		       struct nlattr *nest);
	/* The published entry @entry would replace (NULL if none), or an
	 * ERR_PTR when it exists and !@replace, or clashes with another.
	 */
	void *(*find_old)(struct xmesh_dev *xdev, struct genl_info *info,
			  struct nlattr *nest, void *entry, bool replace);
	bool (*same)(const void *a, const void *b);
	/* Optional: limits that depend on the whole batch; 0 or -errno,
	 * extack set.
	 */
	int (*check_batch)(struct xmesh_dev *xdev, struct genl_info *info,
			   void **batch, int n);
	/* Publish @entry, which the table then owns. */
	int (*insert)(struct xmesh_dev *xdev, void *entry, bool replace);
	void (*free)(void *entry);	/* NULL: kfree() */
	void (*remove)(struct xmesh_dev *xdev, void *entry);
	void (*flush)(struct xmesh_dev *xdev);
};

static int xmesh_table_dump(struct sk_buff *skb, struct netlink_callback *cb,
			    const struct xmesh_table_ops *ops)
{
	return xmesh_dump_list(skb, cb, ops->get_cmd, ops->list_offset,
			       ops->entry_offset, ops->fill);
}

static unsigned int xmesh_table_count(struct xmesh_dev *xdev,
				      const struct xmesh_table_ops *ops)
{
	return *(unsigned int *)((char *)xdev + ops->count_offset);
}

/* Free an entry that was never published. */
static void xmesh_table_free(const struct xmesh_table_ops *ops, void *entry)
{
	if (ops->free)
		ops->free(entry);
	else
		kfree(entry);
}

static int xmesh_table_get(struct genl_info *info,
			   const struct xmesh_table_ops *ops)
{
	struct xmesh_dev *xdev;
	void *entry;
	int err;

	if (!info->attrs[ops->type]) {
		NL_SET_ERR_MSG_FMT(info->extack, "missing the %s to get",
				   ops->what);
		return -EINVAL;
	}
	xdev = xmesh_lock(info);
	if (IS_ERR(xdev))
		return PTR_ERR(xdev);
	entry = ops->find(xdev, info, info->attrs[ops->type]);
	err = IS_ERR(entry) ? PTR_ERR(entry) :
	      xmesh_get_reply(info, xdev, ops->get_cmd, ops->fill, entry);
	xmesh_unlock(xdev);
	return err;
}

static int xmesh_table_new(struct genl_info *info,
			   const struct xmesh_table_ops *ops)
{
	bool replace = nla_get_flag(info->attrs[XMESH_A_REPLACE]);
	unsigned int n_new = 0;
	struct xmesh_dev *xdev;
	struct nlattr *attr;
	int n, i = 0, j, rem, err = 0;
	void **batch;

	n = xmesh_count_entries(info, ops->type, ops->what, false);
	if (n < 0)
		return n;
	batch = kvcalloc(n, sizeof(*batch), GFP_KERNEL);
	if (!batch)
		return -ENOMEM;
	xdev = xmesh_lock(info);
	if (IS_ERR(xdev)) {
		kvfree(batch);
		return PTR_ERR(xdev);
	}

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		void *entry, *old;

		if (nla_type(attr) != ops->type)
			continue;
		entry = ops->parse(xdev, info, attr);
		if (IS_ERR(entry)) {
			err = PTR_ERR(entry);
			goto out;
		}
		batch[i++] = entry;
		old = ops->find_old(xdev, info, attr, entry, replace);
		if (IS_ERR(old)) {
			err = PTR_ERR(old);
			goto out;
		}
		n_new += !old;
		for (j = 0; j < i - 1; j++) {
			if (ops->same(batch[j], entry)) {
				NL_SET_ERR_MSG_ATTR_FMT(info->extack, attr,
							"the same %s twice in the request",
							ops->what);
				err = -EINVAL;
				goto out;
			}
		}
	}
	if (xmesh_table_count(xdev, ops) + n_new > ops->max) {
		NL_SET_ERR_MSG_FMT(info->extack,
				   "the %s table holds at most %u entries",
				   ops->what, ops->max);
		err = -ENOSPC;
	} else if (ops->check_batch) {
		err = ops->check_batch(xdev, info, batch, n);
	}
	if (err) {
		if (err == -ENOSPC)
			xmesh_count_process(xdev, ops->limit_hits);
		goto out;
	}

	for (i = 0; i < n; i++) {
		err = ops->insert(xdev, batch[i], replace);
		if (err) {
			NL_SET_ERR_MSG(info->extack,
				       "out of memory: request applied in part");
			break;
		}
		batch[i] = NULL;
	}
	xdev->generation++;
out:
	for (j = 0; j < n; j++)
		if (batch[j])
			xmesh_table_free(ops, batch[j]);
	xmesh_unlock(xdev);
	kvfree(batch);
	return err;
}

static int xmesh_table_del(struct genl_info *info,
			   const struct xmesh_table_ops *ops)
{
	struct xmesh_dev *xdev;
	struct nlattr *attr;
	int n, i = 0, j, rem, err = 0;
	void **found;

	n = xmesh_count_entries(info, ops->type, ops->what, true);
	if (n < 0)
		return n;
	found = kvcalloc(n ?: 1, sizeof(*found), GFP_KERNEL);
	if (!found)
		return -ENOMEM;
	xdev = xmesh_lock(info);
	if (IS_ERR(xdev)) {
		kvfree(found);
		return PTR_ERR(xdev);
	}

	if (info->attrs[XMESH_A_FLUSH]) {
		ops->flush(xdev);
		goto done;
	}
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != ops->type)
			continue;
		found[i] = ops->find(xdev, info, attr);
		if (IS_ERR(found[i])) {
			err = PTR_ERR(found[i]);
			goto out;
		}
		for (j = 0; j < i; j++)
			if (found[j] == found[i])
				found[i] = NULL;	/* named twice */
		i++;
	}
	for (i = 0; i < n; i++)
		if (found[i])
			ops->remove(xdev, found[i]);
done:
	xdev->generation++;
out:
	xmesh_unlock(xdev);
	kvfree(found);
	return err;
}

/* The commands of the tables, by kind. */
#define XMESH_TABLE_HANDLERS(name)					\
static int xmesh_nl_##name##_get_doit(struct sk_buff *skb,		\
				      struct genl_info *info)		\
{									\
	return xmesh_table_get(info, &xmesh_##name##_ops);		\
}									\
static int xmesh_nl_##name##_get_dumpit(struct sk_buff *skb,		\
					struct netlink_callback *cb)	\
{									\
	return xmesh_table_dump(skb, cb, &xmesh_##name##_ops);		\
}									\
static int xmesh_nl_##name##_new_doit(struct sk_buff *skb,		\
				      struct genl_info *info)		\
{									\
	return xmesh_table_new(info, &xmesh_##name##_ops);		\
}									\
static int xmesh_nl_##name##_del_doit(struct sk_buff *skb,		\
				      struct genl_info *info)		\
{									\
	return xmesh_table_del(info, &xmesh_##name##_ops);		\
}

/*
 * The ops and the commands of the table @name of @entry_type entries, kept
 * in the device's @list_in_dev and counted in its @count_in_dev. Its
 * callbacks are named xmesh_fill_<name>_entry and xmesh_<name>_find_nest,
 * _parse, _find_old, _same, _insert_entry and _remove_entry; the other
 * fields (.what, .flush, optional .free and .check_batch) follow.
 */
#define XMESH_TABLE(name, NAME, entry_type, list_in_dev, count_in_dev,	\
		    max_entries, ...)					\
static const struct xmesh_table_ops xmesh_##name##_ops = {		\
	.type = XMESH_A_##NAME,						\
	.get_cmd = XMESH_CMD_##NAME##_GET,				\
	.list_offset = offsetof(struct xmesh_dev, list_in_dev),		\
	.entry_offset = offsetof(entry_type, list) +			\
		BUILD_BUG_ON_ZERO(!__same_type(((entry_type *)0)->list,	\
					       struct list_head)),	\
	.count_offset = offsetof(struct xmesh_dev, count_in_dev) +	\
		BUILD_BUG_ON_ZERO(!__same_type(				\
			((struct xmesh_dev *)0)->count_in_dev, unsigned int)), \
	.max = max_entries,						\
	.limit_hits = XMESH_COUNTER_A_##NAME##_LIMIT_HITS,		\
	.fill = xmesh_fill_##name##_entry,				\
	.find = xmesh_##name##_find_nest,				\
	.parse = xmesh_##name##_parse,					\
	.find_old = xmesh_##name##_find_old,				\
	.same = xmesh_##name##_same,					\
	.insert = xmesh_##name##_insert_entry,				\
	.remove = xmesh_##name##_remove_entry,				\
	__VA_ARGS__							\
};									\
XMESH_TABLE_HANDLERS(name)

/*
 * The insert and remove callbacks of a table whose xmesh_<name>_insert()
 * and xmesh_<name>_remove() only want the entry typed.
 */
#define XMESH_TABLE_TYPED_CALLS(name)					\
static int xmesh_##name##_insert_entry(struct xmesh_dev *xdev,		\
				       void *entry, bool replace)	\
{									\
	return xmesh_##name##_insert(xdev, entry, replace);		\
}									\
static void xmesh_##name##_remove_entry(struct xmesh_dev *xdev,	\
					void *entry)			\
{									\
	xmesh_##name##_remove(xdev, entry);				\
}

/* ------------------------------------------------------------------ */
/* Neighbors                                                          */

static int xmesh_fill_neigh_entry(struct sk_buff *skb, struct xmesh_dev *xdev,
				  void *entry)
{
	return xmesh_fill_neigh(skb, entry);
}

static void *xmesh_neigh_find_nest(struct xmesh_dev *xdev,
				   struct genl_info *info, struct nlattr *nest)
{
	struct nlattr *tb[XMESH_NEIGH_A_MAX + 1];
	struct xmesh_neigh *neigh;
	int err;

	err = nla_parse_nested(tb, XMESH_NEIGH_A_MAX, nest, xmesh_neigh_policy,
			       info->extack);
	if (err)
		return ERR_PTR(err);
	if (!xmesh_require(info, nest, tb, XMESH_NEIGH_A_ID, "neighbor id"))
		return ERR_PTR(-EINVAL);
	neigh = xmesh_neigh_lookup_id_locked(xdev,
					     nla_get_u32(tb[XMESH_NEIGH_A_ID]));
	if (!neigh) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nest, "no neighbor %u",
					nla_get_u32(tb[XMESH_NEIGH_A_ID]));
		return ERR_PTR(-ENOENT);
	}
	return neigh;
}

/* Parse and check one neighbor entry into a new, unpublished neighbor. */
static void *xmesh_neigh_parse(struct xmesh_dev *xdev, struct genl_info *info,
			       struct nlattr *nest)
{
	struct nlattr *tb[XMESH_NEIGH_A_MAX + 1];
	struct net *net = dev_net(xdev->dev);
	struct xmesh_neigh *neigh;
	struct net_device *lower;
	int err;

	err = nla_parse_nested(tb, XMESH_NEIGH_A_MAX, nest, xmesh_neigh_policy,
			       info->extack);
	if (err)
		return ERR_PTR(err);
	if (!xmesh_require(info, nest, tb, XMESH_NEIGH_A_ID, "neighbor id") ||
	    !xmesh_require(info, nest, tb, XMESH_NEIGH_A_NODE, "node id") ||
	    !xmesh_require(info, nest, tb, XMESH_NEIGH_A_LINK,
			   "underlay link") ||
	    !xmesh_require(info, nest, tb, XMESH_NEIGH_A_REMOTE,
			   "remote address"))
		return ERR_PTR(-EINVAL);
	if (nla_get_u32(tb[XMESH_NEIGH_A_NODE]) == xdev->node_id) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_NEIGH_A_NODE],
				    "a neighbor cannot have this node's id");
		return ERR_PTR(-EINVAL);
	}

	neigh = xmesh_neigh_alloc(xdev, nla_get_u32(tb[XMESH_NEIGH_A_ID]));
	if (!neigh)
		return ERR_PTR(-ENOMEM);
	neigh->node = nla_get_u32(tb[XMESH_NEIGH_A_NODE]);
	neigh->key.family = xdev->family;
	neigh->key.link = nla_get_u32(tb[XMESH_NEIGH_A_LINK]);
	err = xmesh_parse_addr(info, tb[XMESH_NEIGH_A_REMOTE], xdev->family,
			       &neigh->key.addr);
	if (!err && tb[XMESH_NEIGH_A_LOCAL])
		err = xmesh_parse_addr(info, tb[XMESH_NEIGH_A_LOCAL],
				       xdev->family, &neigh->local);
	if (err)
		goto err_free;
	neigh->port = htons(tb[XMESH_NEIGH_A_PORT] ?
			    nla_get_u16(tb[XMESH_NEIGH_A_PORT]) :
			    XMESH_DEFAULT_PORT);
	neigh->state = tb[XMESH_NEIGH_A_STATE] ?
		       nla_get_u8(tb[XMESH_NEIGH_A_STATE]) : XMESH_NEIGH_UP;

	rcu_read_lock();
	lower = dev_get_by_index_rcu(net, neigh->key.link);
	if (!lower || lower == xdev->dev) {
		rcu_read_unlock();
		if (lower)
			NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_NEIGH_A_LINK],
					    "the underlay cannot be the xmesh device itself");
		else
			NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_NEIGH_A_LINK],
					    "no such underlay interface");
		err = -ENODEV;
		goto err_free;
	}
	rcu_read_unlock();
	xmesh_neigh_link_read(neigh, net);
	return neigh;

err_free:
	xmesh_neigh_free(neigh);
	return ERR_PTR(err);
}

static void *xmesh_neigh_find_old(struct xmesh_dev *xdev,
				  struct genl_info *info, struct nlattr *nest,
				  void *entry, bool replace)
{
	struct xmesh_neigh *neigh = entry, *clash, *old;

	clash = xmesh_neigh_lookup_key_locked(xdev, &neigh->key);
	if (clash && clash->id != neigh->id) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nest,
					"neighbor %u has that address on that link",
					clash->id);
		return ERR_PTR(-EEXIST);
	}
	old = xmesh_neigh_lookup_id_locked(xdev, neigh->id);
	if (old && !replace) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nest,
					"neighbor %u exists", neigh->id);
		return ERR_PTR(-EEXIST);
	}
	return old;
}

static bool xmesh_neigh_same(const void *a, const void *b)
{
	const struct xmesh_neigh *x = a, *y = b;

	return x->id == y->id || !memcmp(&x->key, &y->key, sizeof(x->key));
}

static void xmesh_neigh_free_entry(void *entry)
{
	xmesh_neigh_free(entry);
}

XMESH_TABLE_TYPED_CALLS(neigh)
XMESH_TABLE(neigh, NEIGH, struct xmesh_neigh, neigh_list, n_neighs,
	    XMESH_MAX_NEIGHS, .what = "neighbor", .flush = xmesh_neigh_flush,
	    .free = xmesh_neigh_free_entry)

/* The new state of the neighbor @nest names; only the state may change. */
static int xmesh_neigh_parse_state(struct genl_info *info,
				   struct nlattr *nest, u8 *state)
{
	struct nlattr *tb[XMESH_NEIGH_A_MAX + 1];
	int type, err;

	err = nla_parse_nested(tb, XMESH_NEIGH_A_MAX, nest, xmesh_neigh_policy,
			       info->extack);
	if (err)
		return err;
	for (type = XMESH_NEIGH_A_NODE; type <= XMESH_NEIGH_A_MAX; type++) {
		if (tb[type] && type != XMESH_NEIGH_A_STATE) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[type],
					    "only the state can be set; replace the neighbor to change the rest");
			return -EOPNOTSUPP;
		}
	}
	if (!xmesh_require(info, nest, tb, XMESH_NEIGH_A_STATE, "state"))
		return -EINVAL;
	*state = nla_get_u8(tb[XMESH_NEIGH_A_STATE]);
	return 0;
}

static int xmesh_nl_neigh_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xmesh_neigh **found;
	struct xmesh_dev *xdev;
	struct nlattr *attr;
	int n, i = 0, rem, err = 0;
	u8 *states;

	n = xmesh_count_entries(info, XMESH_A_NEIGH, "neighbor", false);
	if (n < 0)
		return n;
	found = kvcalloc(n, sizeof(*found) + sizeof(*states), GFP_KERNEL);
	if (!found)
		return -ENOMEM;
	states = (u8 *)(found + n);
	xdev = xmesh_lock(info);
	if (IS_ERR(xdev)) {
		kvfree(found);
		return PTR_ERR(xdev);
	}

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != XMESH_A_NEIGH)
			continue;
		found[i] = xmesh_neigh_find_nest(xdev, info, attr);
		if (IS_ERR(found[i])) {
			err = PTR_ERR(found[i]);
			goto out;
		}
		err = xmesh_neigh_parse_state(info, attr, &states[i]);
		if (err)
			goto out;
		i++;
	}
	for (i = 0; i < n; i++)
		xmesh_neigh_set_state(xdev, found[i], states[i]);
	xdev->generation++;
out:
	xmesh_unlock(xdev);
	kvfree(found);
	return err;
}

/* ------------------------------------------------------------------ */
/* Routes                                                             */

static int xmesh_fill_route_entry(struct sk_buff *skb, struct xmesh_dev *xdev,
				  void *entry)
{
	return xmesh_fill_route(skb, entry, xmesh_route_active(entry));
}

/* A route's table: its class, or 0 for the default one. */
static u8 xmesh_route_tclass(struct nlattr **tb)
{
	return tb[XMESH_ROUTE_A_TCLASS] ?
	       nla_get_u8(tb[XMESH_ROUTE_A_TCLASS]) : 0;
}

static void *xmesh_route_find_nest(struct xmesh_dev *xdev,
				   struct genl_info *info, struct nlattr *nest)
{
	struct nlattr *tb[XMESH_ROUTE_A_MAX + 1];
	struct xmesh_route *rt;
	u8 tclass;
	int err;

	err = nla_parse_nested(tb, XMESH_ROUTE_A_MAX, nest, xmesh_route_policy,
			       info->extack);
	if (err)
		return ERR_PTR(err);
	if (!xmesh_require(info, nest, tb, XMESH_ROUTE_A_DST,
			   "destination node"))
		return ERR_PTR(-EINVAL);
	tclass = xmesh_route_tclass(tb);
	rt = xmesh_route_lookup_locked(xdev,
				       nla_get_u32(tb[XMESH_ROUTE_A_DST]),
				       tclass);
	if (!rt && tclass)
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nest,
					"no route to node %u in class %u",
					nla_get_u32(tb[XMESH_ROUTE_A_DST]),
					tclass);
	else if (!rt)
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nest,
					"no route to node %u",
					nla_get_u32(tb[XMESH_ROUTE_A_DST]));
	if (!rt)
		return ERR_PTR(-ENOENT);
	return rt;
}

/* One next hop of @nest into the next free slot of @rt. */
static int xmesh_nexthop_parse(struct xmesh_dev *xdev, struct genl_info *info,
			       struct nlattr *attr, struct xmesh_route *rt)
{
	struct nlattr *tb[XMESH_NEXTHOP_A_MAX + 1];
	struct xmesh_neigh *neigh;
	int i, err;

	if (rt->n_nexthops == XMESH_MAX_NEXTHOPS) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, attr,
					"more than %d next hops",
					XMESH_MAX_NEXTHOPS);
		return -E2BIG;
	}
	err = nla_parse_nested(tb, XMESH_NEXTHOP_A_MAX, attr,
			       xmesh_nexthop_policy, info->extack);
	if (err)
		return err;
	if (!xmesh_require(info, attr, tb, XMESH_NEXTHOP_A_NEIGH,
			   "next hop neighbor"))
		return -EINVAL;
	neigh = xmesh_neigh_lookup_id_locked(xdev,
				      nla_get_u32(tb[XMESH_NEXTHOP_A_NEIGH]));
	if (!neigh) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, attr, "no neighbor %u",
					nla_get_u32(tb[XMESH_NEXTHOP_A_NEIGH]));
		return -ENOENT;
	}
	for (i = 0; i < rt->n_nexthops; i++) {
		if (rt->nexthop[i].neigh == neigh) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "the same neighbor twice in one route");
			return -EINVAL;
		}
	}
	rt->nexthop[rt->n_nexthops].neigh = neigh;
	rt->nexthop[rt->n_nexthops].priority = tb[XMESH_NEXTHOP_A_PRIORITY] ?
		nla_get_u8(tb[XMESH_NEXTHOP_A_PRIORITY]) : 0;
	rt->n_nexthops++;
	return 0;
}

static void *xmesh_route_parse(struct xmesh_dev *xdev, struct genl_info *info,
			       struct nlattr *nest)
{
	struct nlattr *tb[XMESH_ROUTE_A_MAX + 1];
	struct xmesh_route *rt;
	struct nlattr *attr;
	int rem, err;

	err = nla_parse_nested(tb, XMESH_ROUTE_A_MAX, nest, xmesh_route_policy,
			       info->extack);
	if (err)
		return ERR_PTR(err);
	if (!xmesh_require(info, nest, tb, XMESH_ROUTE_A_DST,
			   "destination node") ||
	    !xmesh_require(info, nest, tb, XMESH_ROUTE_A_NEXTHOP, "next hop"))
		return ERR_PTR(-EINVAL);
	if (nla_get_u32(tb[XMESH_ROUTE_A_DST]) == xdev->node_id) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_ROUTE_A_DST],
				    "a route cannot lead to this node itself");
		return ERR_PTR(-EINVAL);
	}

	rt = xmesh_route_alloc(nla_get_u32(tb[XMESH_ROUTE_A_DST]));
	if (!rt)
		return ERR_PTR(-ENOMEM);
	rt->tclass = xmesh_route_tclass(tb);
	nla_for_each_nested(attr, nest, rem) {
		if (nla_type(attr) != XMESH_ROUTE_A_NEXTHOP)
			continue;
		err = xmesh_nexthop_parse(xdev, info, attr, rt);
		if (err) {
			xmesh_route_free(rt);
			return ERR_PTR(err);
		}
	}
	return rt;
}

static void *xmesh_route_find_old(struct xmesh_dev *xdev,
				  struct genl_info *info, struct nlattr *nest,
				  void *entry, bool replace)
{
	const struct xmesh_route *rt = entry;
	struct xmesh_route *old =
		xmesh_route_lookup_locked(xdev, rt->dst, rt->tclass);

	if (old && !replace) {
		if (rt->tclass)
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, nest,
						"a route to node %u in class %u exists",
						rt->dst, rt->tclass);
		else
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, nest,
						"a route to node %u exists",
						rt->dst);
		return ERR_PTR(-EEXIST);
	}
	return old;
}

static bool xmesh_route_same(const void *a, const void *b)
{
	const struct xmesh_route *x = a, *y = b;

	return x->dst == y->dst && x->tclass == y->tclass;
}

static int xmesh_route_insert_entry(struct xmesh_dev *xdev, void *entry,
				    bool replace)
{
	struct xmesh_route *rt = entry;
	int err;

	err = xmesh_route_insert(xdev, rt, replace);
	if (!err)
		xmesh_genl_notify_route(xdev, rt, xmesh_route_active(rt), false);
	return err;
}

static void xmesh_route_free_entry(void *entry)
{
	xmesh_route_free(entry);
}

static void xmesh_route_remove_entry(struct xmesh_dev *xdev, void *entry)
{
	xmesh_route_remove(xdev, entry);
}

XMESH_TABLE(route, ROUTE, struct xmesh_route, route_list, n_routes,
	    XMESH_MAX_ROUTES, .what = "route", .flush = xmesh_routes_flush,
	    .free = xmesh_route_free_entry)

/* ------------------------------------------------------------------ */
/* Prefixes                                                           */

/* A prefix from its family, address and length attributes, all given. */
static int xmesh_parse_prefix_key(struct genl_info *info,
				  struct nlattr *family, struct nlattr *addr,
				  struct nlattr *len,
				  struct xmesh_prefix_key *key)
{
	int err;

	memset(key, 0, sizeof(*key));
	key->family = nla_get_u16(family);
	key->len = nla_get_u8(len);
	if (key->family != AF_INET && key->family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(info->extack, family,
				    "family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	err = xmesh_parse_addr(info, addr, key->family, &key->addr);
	if (err)
		return err;
	if (key->family == AF_INET && key->len > 32) {
		NL_SET_ERR_MSG_ATTR(info->extack, len,
				    "an IPv4 prefix is at most 32 bits long");
		return -EINVAL;
	}
	if (!xmesh_prefix_key_valid(key)) {
		NL_SET_ERR_MSG_ATTR(info->extack, addr,
				    "the address has bits set beyond the prefix length");
		return -EINVAL;
	}
	return 0;
}

/* Parse @nest into @p: its key, and its node when @node is set. */
static int xmesh_prefix_from_attr(struct genl_info *info, struct nlattr *nest,
				  struct xmesh_prefix *p, bool node)
{
	struct nlattr *tb[XMESH_PREFIX_A_MAX + 1];
	struct xmesh_prefix_key *key = &p->key;
	int err;

	err = nla_parse_nested(tb, XMESH_PREFIX_A_MAX, nest,
			       xmesh_prefix_policy, info->extack);
	if (err)
		return err;
	if (!xmesh_require(info, nest, tb, XMESH_PREFIX_A_FAMILY, "family") ||
	    !xmesh_require(info, nest, tb, XMESH_PREFIX_A_ADDR, "address") ||
	    !xmesh_require(info, nest, tb, XMESH_PREFIX_A_LEN, "length") ||
	    (node && !xmesh_require(info, nest, tb, XMESH_PREFIX_A_NODE,
				    "node id")))
		return -EINVAL;

	err = xmesh_parse_prefix_key(info, tb[XMESH_PREFIX_A_FAMILY],
				     tb[XMESH_PREFIX_A_ADDR],
				     tb[XMESH_PREFIX_A_LEN], key);
	if (err)
		return err;
	if (node)
		p->node_id = nla_get_u32(tb[XMESH_PREFIX_A_NODE]);
	return 0;
}

static void *xmesh_prefix_find_nest(struct xmesh_dev *xdev,
				    struct genl_info *info,
				    struct nlattr *nest)
{
	struct xmesh_prefix key, *p;
	int err;

	err = xmesh_prefix_from_attr(info, nest, &key, false);
	if (err)
		return ERR_PTR(err);
	p = xmesh_prefix_find(&xdev->prefixes, &key.key);
	if (!p) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest, "no such prefix");
		return ERR_PTR(-ENOENT);
	}
	return p;
}

/* A request's prefix is a scratch copy: the table makes its own. */
static void *xmesh_prefix_parse(struct xmesh_dev *xdev,
				struct genl_info *info, struct nlattr *nest)
{
	struct xmesh_prefix *p = kzalloc(sizeof(*p), GFP_KERNEL);
	int err;

	if (!p)
		return ERR_PTR(-ENOMEM);
	err = xmesh_prefix_from_attr(info, nest, p, true);
	if (err) {
		kfree(p);
		return ERR_PTR(err);
	}
	return p;
}

static void *xmesh_prefix_find_old(struct xmesh_dev *xdev,
				   struct genl_info *info, struct nlattr *nest,
				   void *entry, bool replace)
{
	struct xmesh_prefix *old;

	old = xmesh_prefix_find(&xdev->prefixes,
				&((struct xmesh_prefix *)entry)->key);
	if (old && !replace) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest, "the prefix exists");
		return ERR_PTR(-EEXIST);
	}
	return old;
}

static bool xmesh_prefix_same(const void *a, const void *b)
{
	return !memcmp(&((const struct xmesh_prefix *)a)->key,
		       &((const struct xmesh_prefix *)b)->key,
		       sizeof(struct xmesh_prefix_key));
}

static int xmesh_prefix_insert_entry(struct xmesh_dev *xdev, void *entry,
				     bool replace)
{
	struct xmesh_prefix *p = entry;
	int err;

	err = xmesh_prefix_insert(&xdev->prefixes, &p->key, p->node_id,
				  replace);
	if (!err)
		kfree(p);
	return err;
}

static void xmesh_prefix_remove_entry(struct xmesh_dev *xdev, void *entry)
{
	xmesh_prefix_delete(&xdev->prefixes, entry);
}

static void xmesh_prefix_flush_all(struct xmesh_dev *xdev)
{
	xmesh_prefix_flush(&xdev->prefixes);
}

XMESH_TABLE(prefix, PREFIX, struct xmesh_prefix, prefixes.list,
	    prefixes.count, XMESH_MAX_PREFIXES, .what = "prefix",
	    .flush = xmesh_prefix_flush_all)

/* ------------------------------------------------------------------ */
/* Keys                                                               */

static const char *xmesh_key_dir_name(u8 dir)
{
	return dir == XMESH_KEY_TX ? "transmit" : "receive";
}

/* What a key request names: whose key (a neighbor's, or a node's origin
 * key) and its slots there (NULL: a node without origin keys yet).
 */
struct xmesh_key_owner {
	u32 id;
	bool origin;
	struct xmesh_key_slots *slots;
};

static const char *xmesh_key_owner_name(bool origin)
{
	return origin ? "node" : "neighbor";
}

static const char *xmesh_key_kind(bool origin)
{
	return origin ? " origin" : "";
}

/* Parse @nest into @tb and find its owner: a neighbor, which must exist,
 * or a node other than this one.
 */
static int xmesh_key_from_attr(struct xmesh_dev *xdev, struct genl_info *info,
			       struct nlattr *nest, struct nlattr **tb,
			       struct xmesh_key_owner *owner)
{
	int err;

	err = nla_parse_nested(tb, XMESH_KEY_A_MAX, nest, xmesh_key_policy,
			       info->extack);
	if (err)
		return err;
	if (!tb[XMESH_KEY_A_NEIGH] == !tb[XMESH_KEY_A_NODE]) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "a key belongs to a neighbor (per hop) or to a node (origin): give exactly one");
		return -EINVAL;
	}
	if (!xmesh_require(info, nest, tb, XMESH_KEY_A_ID, "key id") ||
	    !xmesh_require(info, nest, tb, XMESH_KEY_A_DIR, "direction"))
		return -EINVAL;
	owner->origin = tb[XMESH_KEY_A_NODE];
	owner->id = nla_get_u32(tb[owner->origin ? XMESH_KEY_A_NODE :
				   XMESH_KEY_A_NEIGH]);
	owner->slots = xmesh_key_owner_slots(xdev, owner->id, owner->origin);
	if (!owner->origin && !owner->slots) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, tb[XMESH_KEY_A_NEIGH],
					"no neighbor %u", owner->id);
		return -ENOENT;
	}
	if (owner->origin && owner->id == xdev->node_id) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, tb[XMESH_KEY_A_NODE],
					"node %u is this node: origin keys are for the others",
					owner->id);
		return -EINVAL;
	}
	return 0;
}

static void *xmesh_key_find_nest(struct xmesh_dev *xdev,
				 struct genl_info *info, struct nlattr *nest)
{
	struct nlattr *tb[XMESH_KEY_A_MAX + 1];
	struct xmesh_key_owner owner;
	struct xmesh_key *key;
	u8 id, dir;
	int err;

	err = xmesh_key_from_attr(xdev, info, nest, tb, &owner);
	if (err)
		return ERR_PTR(err);
	if (tb[XMESH_KEY_A_KEY]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_KEY_A_KEY],
				    "a key is named by neighbor or node, id and direction, not by its bytes");
		return ERR_PTR(-EINVAL);
	}
	id = nla_get_u8(tb[XMESH_KEY_A_ID]);
	dir = nla_get_u8(tb[XMESH_KEY_A_DIR]);
	key = xmesh_key_find(xdev, owner.slots, dir, id);
	if (!key) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nest,
					"%s %u has no %s%s key %u",
					xmesh_key_owner_name(owner.origin),
					owner.id, xmesh_key_dir_name(dir),
					xmesh_key_kind(owner.origin), id);
		return ERR_PTR(-ENOENT);
	}
	return key;
}

static void *xmesh_key_parse(struct xmesh_dev *xdev, struct genl_info *info,
			     struct nlattr *nest)
{
	struct nlattr *tb[XMESH_KEY_A_MAX + 1];
	struct xmesh_key_owner owner;
	struct xmesh_key *key;
	int err;

	err = xmesh_key_from_attr(xdev, info, nest, tb, &owner);
	if (err)
		return ERR_PTR(err);
	if (!xmesh_require(info, nest, tb, XMESH_KEY_A_KEY, "key bytes"))
		return ERR_PTR(-EINVAL);
	key = xmesh_key_alloc(owner.id, owner.origin,
			      nla_get_u8(tb[XMESH_KEY_A_ID]),
			      nla_get_u8(tb[XMESH_KEY_A_DIR]),
			      nla_data(tb[XMESH_KEY_A_KEY]));
	return key ?: ERR_PTR(-ENOMEM);
}

/*
 * The key @entry replaces: a transmit key replaces the transmit key of
 * its neighbor or node whatever its id (that switches sending), a receive
 * key the receive key of its id. The same id needs the replace flag. Key
 * bytes that the slot already holds would restart their counter: a
 * transmit key would reuse its nonces, a receive key accept replays.
 */
static void *xmesh_key_find_old(struct xmesh_dev *xdev,
				struct genl_info *info, struct nlattr *nest,
				void *entry, bool replace)
{
	struct xmesh_key *key = entry, *old;
	struct xmesh_key_slots *slots;

	slots = xmesh_key_owner_slots(xdev, key->owner, key->origin);
	old = key->dir == XMESH_KEY_TX ? xmesh_key_tx(xdev, slots) :
	      xmesh_key_find(xdev, slots, XMESH_KEY_RX, key->id);
	if (!old)
		return NULL;
	if (old->id == key->id && !replace) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nest,
					"%s %u has %s%s key %u",
					xmesh_key_owner_name(key->origin),
					key->owner, xmesh_key_dir_name(key->dir),
					xmesh_key_kind(key->origin), key->id);
		return ERR_PTR(-EEXIST);
	}
	if (!crypto_memneq(old->key, key->key, XMESH_KEY_LEN)) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "these key bytes are in use: a key is installed once, never again");
		return ERR_PTR(-EEXIST);
	}
	return old;
}

static bool xmesh_key_same(const void *a, const void *b)
{
	const struct xmesh_key *x = a, *y = b;

	return x->owner == y->owner && x->origin == y->origin &&
	       x->dir == y->dir && (x->dir == XMESH_KEY_TX || x->id == y->id);
}

/* No neighbor or node may end up with more than XMESH_MAX_RX_KEYS
 * receive keys.
 */
static int xmesh_key_check_batch(struct xmesh_dev *xdev,
				 struct genl_info *info, void **batch, int n)
{
	struct xmesh_key *key, *other;
	struct xmesh_key_slots *slots;
	unsigned int used;
	int i, j;

	for (i = 0; i < n; i++) {
		key = batch[i];
		if (key->dir != XMESH_KEY_RX)
			continue;
		slots = xmesh_key_owner_slots(xdev, key->owner, key->origin);
		if (xmesh_key_find(xdev, slots, XMESH_KEY_RX, key->id))
			continue;	/* replaced in its slot */
		used = xmesh_key_rx_count(xdev, slots);
		for (j = 0; j < i; j++) {
			other = batch[j];
			used += other->dir == XMESH_KEY_RX &&
				other->owner == key->owner &&
				other->origin == key->origin &&
				!xmesh_key_find(xdev, slots, XMESH_KEY_RX,
						other->id);
		}
		if (used >= XMESH_MAX_RX_KEYS) {
			NL_SET_ERR_MSG_FMT(info->extack,
					   "%s %u would have more than %d receive%s keys",
					   xmesh_key_owner_name(key->origin),
					   key->owner, XMESH_MAX_RX_KEYS,
					   xmesh_key_kind(key->origin));
			return -ENOSPC;
		}
	}
	return 0;
}

static int xmesh_key_insert_entry(struct xmesh_dev *xdev, void *entry,
				  bool replace)
{
	return xmesh_key_insert(xdev, entry);
}

static void xmesh_key_free_entry(void *entry)
{
	xmesh_key_free(entry);
}

static void xmesh_key_remove_entry(struct xmesh_dev *xdev, void *entry)
{
	xmesh_key_remove(xdev, entry);
}

XMESH_TABLE(key, KEY, struct xmesh_key, key_list, n_keys, XMESH_MAX_KEYS,
	    .what = "key", .flush = xmesh_keys_flush,
	    .free = xmesh_key_free_entry, .check_batch = xmesh_key_check_batch)


/* ------------------------------------------------------------------ */
/* QoS: settings and per-class counters; classifier rules             */

static int xmesh_fill_qos(struct sk_buff *skb, struct xmesh_dev *xdev)
{
	u64 stats[XMESH_TC_COUNT][XMESH_TSTAT_MAX];
	struct nlattr *nest, *tc_nest;
	u8 map[XMESH_QOS_DSCP_COUNT];
	int tc, i;

	nest = nla_nest_start(skb, XMESH_A_QOS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < XMESH_QOS_DSCP_COUNT; i++)
		map[i] = READ_ONCE(xdev->qos.dscp_map[i]);
	if (nla_put(skb, XMESH_QOS_A_DSCP_MAP, XMESH_QOS_DSCP_COUNT, map))
		return -EMSGSIZE;
	for (i = 0; i < XMESH_QOS_PRIO_COUNT; i++)
		map[i] = READ_ONCE(xdev->qos.prio_map[i]);
	if (nla_put(skb, XMESH_QOS_A_PRIO_MAP, XMESH_QOS_PRIO_COUNT, map))
		return -EMSGSIZE;
	xmesh_qos_stats_read(xdev, stats);
	for (tc = XMESH_TC_FIRST; tc <= XMESH_TC_LAST; tc++) {
		const struct xmesh_policer *p = &xdev->qos.policer[tc];

		tc_nest = nla_nest_start(skb, XMESH_QOS_A_TCLASS);
		if (!tc_nest ||
		    nla_put_u8(skb, XMESH_TCLASS_A_ID, tc) ||
		    nla_put_u64_64bit(skb, XMESH_TCLASS_A_RATE, p->rate,
				      XMESH_TCLASS_A_PAD) ||
		    nla_put_u32(skb, XMESH_TCLASS_A_BURST,
				xmesh_qos_burst(p)) ||
		    nla_put_u8(skb, XMESH_TCLASS_A_DSCP, xmesh_tclass_dscp(tc)) ||
		    nla_put_u32(skb, XMESH_TCLASS_A_PRIORITY,
				xmesh_tclass_priority(tc)) ||
		    nla_put_u64_64bit(skb, XMESH_TCLASS_A_PACKETS,
				      stats[tc][XMESH_TSTAT_PACKETS],
				      XMESH_TCLASS_A_PAD) ||
		    nla_put_u64_64bit(skb, XMESH_TCLASS_A_BYTES,
				      stats[tc][XMESH_TSTAT_BYTES],
				      XMESH_TCLASS_A_PAD) ||
		    nla_put_u64_64bit(skb, XMESH_TCLASS_A_DROPS,
				      stats[tc][XMESH_TSTAT_DROPS],
				      XMESH_TCLASS_A_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, tc_nest);
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int xmesh_nl_qos_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return xmesh_nl_reply_dev(info, XMESH_CMD_QOS_GET, xmesh_fill_qos);
}

/* Check that every entry of the map in @attr is a class (or @none). */
static int xmesh_qos_check_map(struct genl_info *info, struct nlattr *attr,
			       const char *what, int none)
{
	const u8 *map = nla_data(attr);
	int i;

	for (i = 0; i < nla_len(attr); i++) {
		if (xmesh_tclass_valid(map[i]) || map[i] == none)
			continue;
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, attr,
					"%s %d: %u is not a traffic class (%u to %u)",
					what, i, map[i], XMESH_TC_FIRST,
					XMESH_TC_LAST);
		return -EINVAL;
	}
	return 0;
}

/* The rate caps a qos-set asks for, checked whole before any is set. */
struct xmesh_qos_caps {
	bool set[XMESH_TC_COUNT];
	u64 rate[XMESH_TC_COUNT];
	u32 burst[XMESH_TC_COUNT];
};

static int xmesh_qos_parse_caps(struct xmesh_dev *xdev,
				struct genl_info *info, struct nlattr *qos,
				struct xmesh_qos_caps *caps)
{
	struct nlattr *tb[XMESH_TCLASS_A_MAX + 1];
	struct nlattr *attr;
	int rem, err;
	u8 tc;

	nla_for_each_nested(attr, qos, rem) {
		if (nla_type(attr) != XMESH_QOS_A_TCLASS)
			continue;
		err = nla_parse_nested(tb, XMESH_TCLASS_A_MAX, attr,
				       xmesh_tclass_policy, info->extack);
		if (err)
			return err;
		if (!xmesh_require(info, attr, tb, XMESH_TCLASS_A_ID,
				   "traffic class"))
			return -EINVAL;
		tc = nla_get_u8(tb[XMESH_TCLASS_A_ID]);
		if (caps->set[tc]) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, attr,
						"traffic class %u twice in the request",
						tc);
			return -EINVAL;
		}
		caps->set[tc] = true;
		caps->rate[tc] = tb[XMESH_TCLASS_A_RATE] ?
				 nla_get_u64(tb[XMESH_TCLASS_A_RATE]) :
				 xdev->qos.policer[tc].rate;
		/* Removing the cap removes its burst, unless one is given. */
		if (tb[XMESH_TCLASS_A_BURST])
			caps->burst[tc] = nla_get_u32(tb[XMESH_TCLASS_A_BURST]);
		else if (caps->rate[tc])
			caps->burst[tc] = xdev->qos.policer[tc].burst;
		if (caps->burst[tc] && !caps->rate[tc]) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack,
						tb[XMESH_TCLASS_A_BURST] ?: attr,
						"traffic class %u: a burst needs a rate",
						tc);
			return -EINVAL;
		}
	}
	return 0;
}

static int xmesh_nl_qos_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *qos = info->attrs[XMESH_A_QOS];
	struct nlattr *tb[XMESH_QOS_A_MAX + 1];
	struct xmesh_qos_caps caps = { };
	struct xmesh_dev *xdev;
	const u8 *map;
	int err, i;

	err = xmesh_parse_request(info, XMESH_A_QOS, "qos", tb, XMESH_QOS_A_MAX,
				  xmesh_qos_policy);
	if (err)
		return err;
	if (tb[XMESH_QOS_A_DSCP_MAP])
		err = xmesh_qos_check_map(info, tb[XMESH_QOS_A_DSCP_MAP],
					  "DSCP", -1);
	if (!err && tb[XMESH_QOS_A_PRIO_MAP])
		err = xmesh_qos_check_map(info, tb[XMESH_QOS_A_PRIO_MAP],
					  "priority", XMESH_QOS_PRIO_NONE);
	if (err)
		return err;

	xdev = xmesh_lock(info);
	if (IS_ERR(xdev))
		return PTR_ERR(xdev);
	err = xmesh_qos_parse_caps(xdev, info, qos, &caps);
	if (err)
		goto out;
	if (tb[XMESH_QOS_A_DSCP_MAP]) {
		map = nla_data(tb[XMESH_QOS_A_DSCP_MAP]);
		for (i = 0; i < XMESH_QOS_DSCP_COUNT; i++)
			WRITE_ONCE(xdev->qos.dscp_map[i], map[i]);
	}
	if (tb[XMESH_QOS_A_PRIO_MAP]) {
		map = nla_data(tb[XMESH_QOS_A_PRIO_MAP]);
		for (i = 0; i < XMESH_QOS_PRIO_COUNT; i++)
			WRITE_ONCE(xdev->qos.prio_map[i], map[i]);
	}
	for (i = XMESH_TC_FIRST; i <= XMESH_TC_LAST; i++)
		if (caps.set[i])
			xmesh_qos_set_rate(xdev, i, caps.rate[i], caps.burst[i]);
	xdev->generation++;
out:
	xmesh_unlock(xdev);
	return err;
}

static int xmesh_fill_qos_rule_entry(struct sk_buff *skb,
				     struct xmesh_dev *xdev, void *entry)
{
	const struct xmesh_qos_rule *rule = entry;
	const struct xmesh_prefix_key *p = &rule->prefix;
	struct nlattr *nest = nla_nest_start(skb, XMESH_A_QOS_RULE);

	if (!nest ||
	    nla_put_u32(skb, XMESH_QOS_RULE_A_ID, rule->id) ||
	    nla_put_u8(skb, XMESH_QOS_RULE_A_TCLASS, rule->tclass))
		return -EMSGSIZE;
	if (p->family &&
	    (nla_put_u16(skb, XMESH_QOS_RULE_A_FAMILY, p->family) ||
	     xmesh_put_addr(skb, XMESH_QOS_RULE_A_ADDR, p->family, &p->addr) ||
	     nla_put_u8(skb, XMESH_QOS_RULE_A_LEN, p->len)))
		return -EMSGSIZE;
	if (rule->protocol &&
	    nla_put_u8(skb, XMESH_QOS_RULE_A_PROTOCOL, rule->protocol))
		return -EMSGSIZE;
	if (rule->port_max &&
	    (nla_put_u16(skb, XMESH_QOS_RULE_A_PORT_MIN, rule->port_min) ||
	     nla_put_u16(skb, XMESH_QOS_RULE_A_PORT_MAX, rule->port_max)))
		return -EMSGSIZE;
	if (rule->sport_max &&
	    (nla_put_u16(skb, XMESH_QOS_RULE_A_SPORT_MIN, rule->sport_min) ||
	     nla_put_u16(skb, XMESH_QOS_RULE_A_SPORT_MAX, rule->sport_max)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static void *xmesh_qos_rule_find_nest(struct xmesh_dev *xdev,
				      struct genl_info *info,
				      struct nlattr *nest)
{
	struct nlattr *tb[XMESH_QOS_RULE_A_MAX + 1];
	struct xmesh_qos_rule *rule;
	int err;
	u32 id;

	err = nla_parse_nested(tb, XMESH_QOS_RULE_A_MAX, nest,
			       xmesh_qos_rule_policy, info->extack);
	if (err)
		return ERR_PTR(err);
	if (!xmesh_require(info, nest, tb, XMESH_QOS_RULE_A_ID, "rule id"))
		return ERR_PTR(-EINVAL);
	id = nla_get_u32(tb[XMESH_QOS_RULE_A_ID]);
	rule = xmesh_qos_rule_find(xdev, id);
	if (!rule) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nest, "no QoS rule %u",
					id);
		return ERR_PTR(-ENOENT);
	}
	return rule;
}

/* A port range from its first and last attributes (either may be absent). */
static int xmesh_qos_parse_ports(struct genl_info *info, struct nlattr *pmin,
				 struct nlattr *pmax, u8 protocol, u16 *min,
				 u16 *max)
{
	if (!pmin && !pmax)
		return 0;
	if (!pmin) {
		NL_SET_ERR_MSG_ATTR(info->extack, pmax,
				    "a port range needs its first port");
		return -EINVAL;
	}
	*min = nla_get_u16(pmin);
	*max = pmax ? nla_get_u16(pmax) : *min;
	if (*max < *min) {
		NL_SET_ERR_MSG_ATTR(info->extack, pmax,
				    "the last port is below the first");
		return -EINVAL;
	}
	if (xmesh_proto_has_ports(protocol))
		return 0;
	NL_SET_ERR_MSG_ATTR(info->extack, pmin,
			    "ports need a protocol that has them (TCP, UDP, UDP-Lite, SCTP, DCCP)");
	return -EINVAL;
}

static int xmesh_qos_rule_from_attrs(struct genl_info *info,
				     struct nlattr *nest, struct nlattr **tb,
				     struct xmesh_qos_rule *rule)
{
	int n_prefix, err;

	if (!xmesh_require(info, nest, tb, XMESH_QOS_RULE_A_ID, "rule id") ||
	    !xmesh_require(info, nest, tb, XMESH_QOS_RULE_A_TCLASS,
			   "traffic class"))
		return -EINVAL;
	rule->id = nla_get_u32(tb[XMESH_QOS_RULE_A_ID]);
	rule->tclass = nla_get_u8(tb[XMESH_QOS_RULE_A_TCLASS]);

	n_prefix = !!tb[XMESH_QOS_RULE_A_FAMILY] + !!tb[XMESH_QOS_RULE_A_ADDR] +
		   !!tb[XMESH_QOS_RULE_A_LEN];
	if (n_prefix && n_prefix != 3) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "a prefix needs its family, address and length");
		return -EINVAL;
	}
	if (n_prefix) {
		err = xmesh_parse_prefix_key(info, tb[XMESH_QOS_RULE_A_FAMILY],
					     tb[XMESH_QOS_RULE_A_ADDR],
					     tb[XMESH_QOS_RULE_A_LEN],
					     &rule->prefix);
		if (err)
			return err;
	}
	if (tb[XMESH_QOS_RULE_A_PROTOCOL])
		rule->protocol = nla_get_u8(tb[XMESH_QOS_RULE_A_PROTOCOL]);
	err = xmesh_qos_parse_ports(info, tb[XMESH_QOS_RULE_A_PORT_MIN],
				    tb[XMESH_QOS_RULE_A_PORT_MAX],
				    rule->protocol, &rule->port_min,
				    &rule->port_max);
	if (err)
		return err;
	return xmesh_qos_parse_ports(info, tb[XMESH_QOS_RULE_A_SPORT_MIN],
				     tb[XMESH_QOS_RULE_A_SPORT_MAX],
				     rule->protocol, &rule->sport_min,
				     &rule->sport_max);
}

static void *xmesh_qos_rule_parse(struct xmesh_dev *xdev,
				  struct genl_info *info, struct nlattr *nest)
{
	struct nlattr *tb[XMESH_QOS_RULE_A_MAX + 1];
	struct xmesh_qos_rule *rule;
	int err;

	err = nla_parse_nested(tb, XMESH_QOS_RULE_A_MAX, nest,
			       xmesh_qos_rule_policy, info->extack);
	if (err)
		return ERR_PTR(err);
	rule = kzalloc(sizeof(*rule), GFP_KERNEL);
	if (!rule)
		return ERR_PTR(-ENOMEM);
	err = xmesh_qos_rule_from_attrs(info, nest, tb, rule);
	if (err) {
		kfree(rule);
		return ERR_PTR(err);
	}
	return rule;
}

static void *xmesh_qos_rule_find_old(struct xmesh_dev *xdev,
				     struct genl_info *info,
				     struct nlattr *nest, void *entry,
				     bool replace)
{
	u32 id = ((struct xmesh_qos_rule *)entry)->id;
	struct xmesh_qos_rule *old = xmesh_qos_rule_find(xdev, id);

	if (old && !replace) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nest,
					"QoS rule %u exists", id);
		return ERR_PTR(-EEXIST);
	}
	return old;
}

static bool xmesh_qos_rule_same(const void *a, const void *b)
{
	return ((const struct xmesh_qos_rule *)a)->id ==
	       ((const struct xmesh_qos_rule *)b)->id;
}

XMESH_TABLE_TYPED_CALLS(qos_rule)
XMESH_TABLE(qos_rule, QOS_RULE, struct xmesh_qos_rule, qos.rule_list,
	    qos.n_rules, XMESH_MAX_QOS_RULES, .what = "QoS rule",
	    .flush = xmesh_qos_rules_flush)

/* ------------------------------------------------------------------ */
/* Zones: the node table and the zone pair table (filter.c)           */

/* The larger of the two nests' maxattr. */
#define XMESH_ATTR_NEST_MAX						\
	((int)XMESH_NODE_A_MAX > (int)XMESH_ZONE_PAIR_A_MAX ?		\
	 (int)XMESH_NODE_A_MAX : (int)XMESH_ZONE_PAIR_A_MAX)

/* What differs between the two tables of struct xmesh_attr entries. */
struct xmesh_attr_kind {
	const char *what;
	int type;			/* XMESH_A_NODE, XMESH_A_ZONE_PAIR */
	int maxattr;
	const struct nla_policy *policy;
	size_t table_offset;		/* in struct xmesh_dev */
	/* The entry's key from @tb, or -errno, extack set. */
	s64 (*key)(struct genl_info *info, struct nlattr *nest,
		   struct nlattr **tb);
	/* The entry's value from @tb, or -errno, extack set. */
	s64 (*value)(struct genl_info *info, struct nlattr *nest,
		     struct nlattr **tb);
	int (*fill)(struct sk_buff *skb, const struct xmesh_attr *a);
	const char *(*name)(u32 key, char *buf, size_t len);
};

static struct xmesh_attr_table *xmesh_attr_table_of(struct xmesh_dev *xdev,
						    const struct xmesh_attr_kind *k)
{
	return (struct xmesh_attr_table *)((char *)xdev + k->table_offset);
}

static struct xmesh_attr *xmesh_attr_nl_find(struct xmesh_dev *xdev,
					     struct genl_info *info,
					     struct nlattr *nest,
					     const struct xmesh_attr_kind *k)
{
	struct nlattr *tb[XMESH_ATTR_NEST_MAX + 1];
	struct xmesh_attr *a;
	char buf[24];
	s64 key;
	int err;

	err = nla_parse_nested(tb, k->maxattr, nest, k->policy, info->extack);
	if (err)
		return ERR_PTR(err);
	key = k->key(info, nest, tb);
	if (key < 0)
		return ERR_PTR(key);
	a = xmesh_attr_find(xmesh_attr_table_of(xdev, k), key);
	if (!a) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nest, "no %s %s", k->what,
					k->name(key, buf, sizeof(buf)));
		return ERR_PTR(-ENOENT);
	}
	return a;
}

static struct xmesh_attr *xmesh_attr_nl_parse(struct genl_info *info,
					      struct nlattr *nest,
					      const struct xmesh_attr_kind *k)
{
	struct nlattr *tb[XMESH_ATTR_NEST_MAX + 1];
	struct xmesh_attr *a;
	s64 key, value;
	int err;

	err = nla_parse_nested(tb, k->maxattr, nest, k->policy, info->extack);
	if (err)
		return ERR_PTR(err);
	key = k->key(info, nest, tb);
	if (key < 0)
		return ERR_PTR(key);
	value = k->value(info, nest, tb);
	if (value < 0)
		return ERR_PTR(value);
	a = xmesh_attr_alloc(key, value);
	return a ?: ERR_PTR(-ENOMEM);
}

static struct xmesh_attr *xmesh_attr_nl_find_old(struct xmesh_dev *xdev,
						 struct genl_info *info,
						 struct nlattr *nest,
						 struct xmesh_attr *a,
						 bool replace,
						 const struct xmesh_attr_kind *k)
{
	struct xmesh_attr *old = xmesh_attr_find(xmesh_attr_table_of(xdev, k),
						 a->key);
	char buf[24];

	if (old && !replace) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nest, "%s %s exists",
					k->what, k->name(a->key, buf,
							 sizeof(buf)));
		return ERR_PTR(-EEXIST);
	}
	return old;
}

static bool xmesh_attr_same(const void *a, const void *b)
{
	return ((const struct xmesh_attr *)a)->key ==
	       ((const struct xmesh_attr *)b)->key;
}

static s64 xmesh_node_key(struct genl_info *info, struct nlattr *nest,
			  struct nlattr **tb)
{
	if (!xmesh_require(info, nest, tb, XMESH_NODE_A_ID, "node id"))
		return -EINVAL;
	return nla_get_u32(tb[XMESH_NODE_A_ID]);
}

static s64 xmesh_node_value(struct genl_info *info, struct nlattr *nest,
			    struct nlattr **tb)
{
	u16 zone = 0, roles = 0;

	if (tb[XMESH_NODE_A_ZONE])
		zone = nla_get_u16(tb[XMESH_NODE_A_ZONE]);
	if (tb[XMESH_NODE_A_ROLES])
		roles = nla_get_u16(tb[XMESH_NODE_A_ROLES]);
	return xmesh_node_attrs_value(zone, roles);
}

static int xmesh_fill_node(struct sk_buff *skb, const struct xmesh_attr *a)
{
	struct nlattr *nest = nla_nest_start(skb, XMESH_A_NODE);

	if (!nest ||
	    nla_put_u32(skb, XMESH_NODE_A_ID, a->key) ||
	    nla_put_u16(skb, XMESH_NODE_A_ZONE,
			a->value >> XMESH_MARK_ZONE_SHIFT) ||
	    nla_put_u16(skb, XMESH_NODE_A_ROLES,
			a->value & XMESH_MARK_ROLES_MASK))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static const char *xmesh_node_name(u32 key, char *buf, size_t len)
{
	snprintf(buf, len, "%u", key);
	return buf;
}

static s64 xmesh_zone_pair_key_nl(struct genl_info *info,
				  struct nlattr *nest, struct nlattr **tb)
{
	if (!xmesh_require(info, nest, tb, XMESH_ZONE_PAIR_A_FROM,
			   "source zone") ||
	    !xmesh_require(info, nest, tb, XMESH_ZONE_PAIR_A_TO,
			   "destination zone"))
		return -EINVAL;
	return xmesh_zone_pair_key(nla_get_u16(tb[XMESH_ZONE_PAIR_A_FROM]),
				   nla_get_u16(tb[XMESH_ZONE_PAIR_A_TO]));
}

static s64 xmesh_zone_pair_value(struct genl_info *info, struct nlattr *nest,
				 struct nlattr **tb)
{
	if (!xmesh_require(info, nest, tb, XMESH_ZONE_PAIR_A_ACTION, "action"))
		return -EINVAL;
	return nla_get_u8(tb[XMESH_ZONE_PAIR_A_ACTION]);
}

static int xmesh_fill_zone_pair(struct sk_buff *skb,
				const struct xmesh_attr *a)
{
	struct nlattr *nest = nla_nest_start(skb, XMESH_A_ZONE_PAIR);

	if (!nest ||
	    nla_put_u16(skb, XMESH_ZONE_PAIR_A_FROM, a->key >> 16) ||
	    nla_put_u16(skb, XMESH_ZONE_PAIR_A_TO, a->key & 0xffff) ||
	    nla_put_u8(skb, XMESH_ZONE_PAIR_A_ACTION, a->value))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static const char *xmesh_zone_pair_name(u32 key, char *buf, size_t len)
{
	snprintf(buf, len, "%u to %u", key >> 16, key & 0xffff);
	return buf;
}

static const char xmesh_node_what[] = "node";
static const char xmesh_zone_pair_what[] = "zone pair";

static const struct xmesh_attr_kind xmesh_node_kind = {
	.what = xmesh_node_what,
	.type = XMESH_A_NODE,
	.maxattr = XMESH_NODE_A_MAX,
	.policy = xmesh_node_policy,
	.table_offset = offsetof(struct xmesh_dev, filter.nodes),
	.key = xmesh_node_key,
	.value = xmesh_node_value,
	.fill = xmesh_fill_node,
	.name = xmesh_node_name,
};

static const struct xmesh_attr_kind xmesh_zone_pair_kind = {
	.what = xmesh_zone_pair_what,
	.type = XMESH_A_ZONE_PAIR,
	.maxattr = XMESH_ZONE_PAIR_A_MAX,
	.policy = xmesh_zone_pair_policy,
	.table_offset = offsetof(struct xmesh_dev, filter.zone_pairs),
	.key = xmesh_zone_pair_key_nl,
	.value = xmesh_zone_pair_value,
	.fill = xmesh_fill_zone_pair,
	.name = xmesh_zone_pair_name,
};

/* The table callbacks of one kind of struct xmesh_attr entry. */
#define XMESH_ATTR_TABLE_OPS(name, NAME, max_entries)			\
static int xmesh_fill_##name##_entry(struct sk_buff *skb,		\
				     struct xmesh_dev *xdev, void *entry) \
{									\
	return xmesh_##name##_kind.fill(skb, entry);			\
}									\
static void *xmesh_##name##_find_nest(struct xmesh_dev *xdev,		\
				      struct genl_info *info,		\
				      struct nlattr *nest)		\
{									\
	return xmesh_attr_nl_find(xdev, info, nest,			\
				  &xmesh_##name##_kind);		\
}									\
static void *xmesh_##name##_parse(struct xmesh_dev *xdev,		\
				  struct genl_info *info,		\
				  struct nlattr *nest)			\
{									\
	return xmesh_attr_nl_parse(info, nest, &xmesh_##name##_kind);	\
}									\
static void *xmesh_##name##_find_old(struct xmesh_dev *xdev,		\
				     struct genl_info *info,		\
				     struct nlattr *nest, void *entry,	\
				     bool replace)			\
{									\
	return xmesh_attr_nl_find_old(xdev, info, nest, entry, replace,	\
				      &xmesh_##name##_kind);		\
}									\
static bool xmesh_##name##_same(const void *a, const void *b)		\
{									\
	return xmesh_attr_same(a, b);					\
}									\
static int xmesh_##name##_insert_entry(struct xmesh_dev *xdev,		\
				       void *entry, bool replace)	\
{									\
	return xmesh_attr_insert(xdev,					\
				 xmesh_attr_table_of(xdev,		\
						     &xmesh_##name##_kind), \
				 entry, replace);			\
}									\
static void xmesh_##name##_remove_entry(struct xmesh_dev *xdev,	\
					void *entry)			\
{									\
	xmesh_attr_remove(xdev,						\
			  xmesh_attr_table_of(xdev, &xmesh_##name##_kind), \
			  entry);					\
}									\
static void xmesh_##name##_flush_all(struct xmesh_dev *xdev)		\
{									\
	xmesh_attr_flush(xdev,						\
			 xmesh_attr_table_of(xdev, &xmesh_##name##_kind)); \
}									\
XMESH_TABLE(name, NAME, struct xmesh_attr, filter.name##s.list,	\
	    filter.name##s.count, max_entries,				\
	    .what = xmesh_##name##_what, .flush = xmesh_##name##_flush_all)

XMESH_ATTR_TABLE_OPS(node, NODE, XMESH_MAX_NODES)
XMESH_ATTR_TABLE_OPS(zone_pair, ZONE_PAIR, XMESH_MAX_ZONE_PAIRS)

/* ------------------------------------------------------------------ */
/* Multicast routes: (root, group) -> branches (mcast.c)              */

/* Under xdev->lock. */
static int xmesh_fill_mroute(struct sk_buff *skb, struct xmesh_dev *xdev,
			     struct xmesh_mroute *mr)
{
	const struct xmesh_mroute_branches *br;
	u64 stats[XMESH_MSTAT_MAX];
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, XMESH_A_MROUTE);
	if (!nest)
		return -EMSGSIZE;
	br = rcu_dereference_protected(mr->branches,
				       lockdep_is_held(&xdev->lock));
	xmesh_mroute_stats_read(mr, stats);
	if (nla_put_u32(skb, XMESH_MROUTE_A_ROOT, mr->key.root) ||
	    nla_put_u16(skb, XMESH_MROUTE_A_FAMILY, mr->key.family) ||
	    xmesh_put_addr(skb, XMESH_MROUTE_A_GROUP, mr->key.family,
			   &mr->key.group) ||
	    (br->local && nla_put_flag(skb, XMESH_MROUTE_A_LOCAL)) ||
	    (br->upstream &&
	     nla_put_u32(skb, XMESH_MROUTE_A_UPSTREAM, br->upstream)) ||
	    (br->shared_root &&
	     nla_put_u32(skb, XMESH_MROUTE_A_SHARED_ROOT, br->shared_root)))
		return -EMSGSIZE;
	for (i = 0; i < br->n_neighs; i++)
		if (nla_put_u32(skb, XMESH_MROUTE_A_NEIGH, br->neigh[i]))
			return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, XMESH_MROUTE_A_TX_PACKETS,
			      stats[XMESH_MSTAT_TX_PACKETS],
			      XMESH_MROUTE_A_PAD) ||
	    nla_put_u64_64bit(skb, XMESH_MROUTE_A_TX_BYTES,
			      stats[XMESH_MSTAT_TX_BYTES], XMESH_MROUTE_A_PAD) ||
	    nla_put_u64_64bit(skb, XMESH_MROUTE_A_RX_PACKETS,
			      stats[XMESH_MSTAT_RX_PACKETS],
			      XMESH_MROUTE_A_PAD) ||
	    nla_put_u64_64bit(skb, XMESH_MROUTE_A_RX_BYTES,
			      stats[XMESH_MSTAT_RX_BYTES], XMESH_MROUTE_A_PAD) ||
	    nla_put_u64_64bit(skb, XMESH_MROUTE_A_DROPS,
			      stats[XMESH_MSTAT_DROPS], XMESH_MROUTE_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int xmesh_fill_mroute_entry(struct sk_buff *skb, struct xmesh_dev *xdev,
				   void *entry)
{
	return xmesh_fill_mroute(skb, xdev, entry);
}

/* The key of @tb (root, family and group, all given) into @key. */
static int xmesh_mroute_parse_key(struct genl_info *info, struct nlattr *nest,
				  struct nlattr **tb,
				  struct xmesh_mroute_key *key)
{
	int err;

	if (!xmesh_require(info, nest, tb, XMESH_MROUTE_A_ROOT, "root") ||
	    !xmesh_require(info, nest, tb, XMESH_MROUTE_A_FAMILY, "family") ||
	    !xmesh_require(info, nest, tb, XMESH_MROUTE_A_GROUP, "group"))
		return -EINVAL;
	memset(key, 0, sizeof(*key));
	key->root = nla_get_u32(tb[XMESH_MROUTE_A_ROOT]);
	key->family = nla_get_u16(tb[XMESH_MROUTE_A_FAMILY]);
	if (key->family != AF_INET && key->family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_MROUTE_A_FAMILY],
				    "family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	err = xmesh_parse_addr(info, tb[XMESH_MROUTE_A_GROUP], key->family,
			       &key->group);
	if (err)
		return err;
	if (!xmesh_mroute_key_valid(key)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_MROUTE_A_GROUP],
				    "not an overlay group (239.0.0.0/8, or IPv6 multicast of scope 3 or wider)");
		return -EINVAL;
	}
	return 0;
}

static void *xmesh_mroute_find_nest(struct xmesh_dev *xdev,
				    struct genl_info *info,
				    struct nlattr *nest)
{
	struct nlattr *tb[XMESH_MROUTE_A_MAX + 1];
	struct xmesh_mroute_key key;
	struct xmesh_mroute *mr;
	int err;

	err = nla_parse_nested(tb, XMESH_MROUTE_A_MAX, nest,
			       xmesh_mroute_policy, info->extack);
	if (!err)
		err = xmesh_mroute_parse_key(info, nest, tb, &key);
	if (err)
		return ERR_PTR(err);
	mr = xmesh_mroute_lookup(xdev, &key);
	if (!mr) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "no such multicast route");
		return ERR_PTR(-ENOENT);
	}
	return mr;
}

/*
 * A new route from @nest: its key, neighbors (each existing, none twice,
 * at most XMESH_MAX_MROUTE_NEIGHS; their nodes noted for a shared tree's
 * reverse-path check), local flag, upstream node and shared tree's root.
 */
static void *xmesh_mroute_parse(struct xmesh_dev *xdev,
				struct genl_info *info, struct nlattr *nest)
{
	struct nlattr *tb[XMESH_MROUTE_A_MAX + 1];
	struct xmesh_mroute_branches br = { };
	struct xmesh_mroute_key key;
	struct xmesh_mroute *mr;
	struct nlattr *attr;
	int err, rem, i;

	err = nla_parse_nested(tb, XMESH_MROUTE_A_MAX, nest,
			       xmesh_mroute_policy, info->extack);
	if (!err)
		err = xmesh_mroute_parse_key(info, nest, tb, &key);
	if (err)
		return ERR_PTR(err);
	br.local = nla_get_flag(tb[XMESH_MROUTE_A_LOCAL]);
	if (tb[XMESH_MROUTE_A_UPSTREAM])
		br.upstream = nla_get_u32(tb[XMESH_MROUTE_A_UPSTREAM]);
	if (tb[XMESH_MROUTE_A_SHARED_ROOT])
		br.shared_root = nla_get_u32(tb[XMESH_MROUTE_A_SHARED_ROOT]);
	if (br.upstream && br.shared_root) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_MROUTE_A_UPSTREAM],
				    "a shared tree has no upstream: any branch is one");
		return ERR_PTR(-EINVAL);
	}
	if (br.upstream && br.upstream == xdev->node_id) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_MROUTE_A_UPSTREAM],
				    "the upstream is this node");
		return ERR_PTR(-EINVAL);
	}
	nla_for_each_nested(attr, nest, rem) {
		struct xmesh_neigh *neigh;
		u32 id;

		if (nla_type(attr) != XMESH_MROUTE_A_NEIGH)
			continue;
		id = nla_get_u32(attr);
		if (br.n_neighs == XMESH_MAX_MROUTE_NEIGHS) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, attr,
						"more than %d neighbors",
						XMESH_MAX_MROUTE_NEIGHS);
			return ERR_PTR(-E2BIG);
		}
		for (i = 0; i < br.n_neighs; i++) {
			if (br.neigh[i] == id) {
				NL_SET_ERR_MSG_ATTR(info->extack, attr,
						    "the same neighbor twice");
				return ERR_PTR(-EINVAL);
			}
		}
		neigh = xmesh_neigh_lookup_id_locked(xdev, id);
		if (!neigh) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, attr,
						"no neighbor %u", id);
			return ERR_PTR(-ENOENT);
		}
		/*
		 * One branch per node: a shared tree forwards to every branch
		 * but those of the node a frame came from.
		 */
		for (i = 0; br.shared_root && i < br.n_neighs; i++) {
			if (br.neigh_node[i] == neigh->node) {
				NL_SET_ERR_MSG_ATTR_FMT(info->extack, attr,
							"node %u named by two branches of a shared tree",
							neigh->node);
				return ERR_PTR(-EINVAL);
			}
		}
		br.neigh_node[br.n_neighs] = neigh->node;
		br.neigh[br.n_neighs++] = id;
	}
	mr = xmesh_mroute_alloc(&key, &br);
	return mr ?: ERR_PTR(-ENOMEM);
}

static void *xmesh_mroute_find_old(struct xmesh_dev *xdev,
				   struct genl_info *info, struct nlattr *nest,
				   void *entry, bool replace)
{
	struct xmesh_mroute *old;

	old = xmesh_mroute_lookup(xdev, &((struct xmesh_mroute *)entry)->key);
	if (old && !replace) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "the multicast route exists");
		return ERR_PTR(-EEXIST);
	}
	return old;
}

static bool xmesh_mroute_same(const void *a, const void *b)
{
	return !memcmp(&((const struct xmesh_mroute *)a)->key,
		       &((const struct xmesh_mroute *)b)->key,
		       sizeof(struct xmesh_mroute_key));
}

static void xmesh_mroute_free_entry(void *entry)
{
	xmesh_mroute_free(entry);
}

XMESH_TABLE_TYPED_CALLS(mroute)
XMESH_TABLE(mroute, MROUTE, struct xmesh_mroute, mroutes.list,
	    mroutes.count, XMESH_MAX_MROUTES, .what = "multicast route",
	    .flush = xmesh_mroutes_flush, .free = xmesh_mroute_free_entry)

/* ------------------------------------------------------------------ */
/* OAM                                                                */

/* A link probe over the neighbor of id @tb[XMESH_OAM_A_NEIGH]. */
static int xmesh_oam_send_link_nl(struct xmesh_dev *xdev,
				  struct genl_info *info, struct nlattr **tb,
				  u16 ident, u32 seq)
{
	u32 id = nla_get_u32(tb[XMESH_OAM_A_NEIGH]);
	u32 node = tb[XMESH_OAM_A_DST] ? nla_get_u32(tb[XMESH_OAM_A_DST]) : 0;
	int err;

	err = xmesh_oam_send_link(xdev, id, &node, ident, seq);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, tb[XMESH_OAM_A_NEIGH],
					"no neighbor %u", id);
	else if (err == -EINVAL)
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, tb[XMESH_OAM_A_DST],
					"neighbor %u is node %u", id, node);
	else if (err && err != -ENETDOWN)
		NL_SET_ERR_MSG_FMT(info->extack,
				   "the probe could not be sent to neighbor %u",
				   id);
	return err;
}

/* An echo request along the route to @tb[XMESH_OAM_A_DST]. */
static int xmesh_oam_send_path_nl(struct xmesh_dev *xdev,
				  struct genl_info *info, struct nlattr **tb,
				  u16 ident, u32 seq)
{
	u32 dst = nla_get_u32(tb[XMESH_OAM_A_DST]);
	u8 hop_limit;
	int err;

	if (dst == READ_ONCE(xdev->node_id)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_OAM_A_DST],
				    "that is this node");
		return -EINVAL;
	}
	hop_limit = tb[XMESH_OAM_A_HOP_LIMIT] ?
		    nla_get_u8(tb[XMESH_OAM_A_HOP_LIMIT]) :
		    READ_ONCE(xdev->hop_limit);
	err = xmesh_oam_send(xdev, dst, ident, seq, hop_limit);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_FMT(info->extack, "no route to node %u", dst);
	else if (err == -EHOSTUNREACH)
		NL_SET_ERR_MSG_FMT(info->extack,
				   "every next hop to node %u is down", dst);
	else if (err && err != -ENETDOWN)
		NL_SET_ERR_MSG(info->extack, "the probe could not be sent");
	return err;
}

static int xmesh_nl_oam_send_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[XMESH_OAM_A_MAX + 1];
	struct xmesh_dev *xdev;
	u16 ident;
	u32 seq;
	int err;

	err = xmesh_parse_request(info, XMESH_A_OAM, "oam", tb, XMESH_OAM_A_MAX,
				  xmesh_oam_policy);
	if (err)
		return err;
	if (!tb[XMESH_OAM_A_NEIGH] &&
	    !xmesh_require(info, info->attrs[XMESH_A_OAM], tb,
			   XMESH_OAM_A_DST, "destination node or neighbor"))
		return -EINVAL;
	if (tb[XMESH_OAM_A_NEIGH] && tb[XMESH_OAM_A_HOP_LIMIT]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[XMESH_OAM_A_HOP_LIMIT],
				    "a link probe goes one hop: no hop limit");
		return -EINVAL;
	}
	ident = tb[XMESH_OAM_A_IDENT] ? nla_get_u16(tb[XMESH_OAM_A_IDENT]) : 0;
	seq = tb[XMESH_OAM_A_SEQ] ? nla_get_u32(tb[XMESH_OAM_A_SEQ]) : 0;

	/* Held, not locked: OAM sends need only RCU (oam.c). */
	xdev = xmesh_dev_from_attrs(genl_info_net(info), info->attrs,
				    info->extack);
	if (IS_ERR(xdev))
		return PTR_ERR(xdev);
	if (tb[XMESH_OAM_A_NEIGH])
		err = xmesh_oam_send_link_nl(xdev, info, tb, ident, seq);
	else
		err = xmesh_oam_send_path_nl(xdev, info, tb, ident, seq);
	if (err == -ENETDOWN)
		NL_SET_ERR_MSG(info->extack,
			       "the device needs a node id and must be up");
	dev_put(xdev->dev);
	return err;
}

/* ------------------------------------------------------------------ */
/* The family                                                         */

static const struct genl_ops xmesh_genl_ops[] = {
	{
		.cmd = XMESH_CMD_DEV_GET,
		.doit = xmesh_nl_dev_get_doit,
		.dumpit = xmesh_nl_dev_get_dumpit,
	},
	{
		.cmd = XMESH_CMD_DEV_SET,
		.doit = xmesh_nl_dev_set_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_NEIGH_GET,
		.doit = xmesh_nl_neigh_get_doit,
		.dumpit = xmesh_nl_neigh_get_dumpit,
	},
	{
		.cmd = XMESH_CMD_NEIGH_NEW,
		.doit = xmesh_nl_neigh_new_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_NEIGH_SET,
		.doit = xmesh_nl_neigh_set_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_NEIGH_DEL,
		.doit = xmesh_nl_neigh_del_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_ROUTE_GET,
		.doit = xmesh_nl_route_get_doit,
		.dumpit = xmesh_nl_route_get_dumpit,
	},
	{
		.cmd = XMESH_CMD_ROUTE_NEW,
		.doit = xmesh_nl_route_new_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_ROUTE_DEL,
		.doit = xmesh_nl_route_del_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_PREFIX_GET,
		.doit = xmesh_nl_prefix_get_doit,
		.dumpit = xmesh_nl_prefix_get_dumpit,
	},
	{
		.cmd = XMESH_CMD_PREFIX_NEW,
		.doit = xmesh_nl_prefix_new_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_PREFIX_DEL,
		.doit = xmesh_nl_prefix_del_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_OAM_SEND,
		.doit = xmesh_nl_oam_send_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_KEY_GET,
		.doit = xmesh_nl_key_get_doit,
		.dumpit = xmesh_nl_key_get_dumpit,
	},
	{
		.cmd = XMESH_CMD_KEY_NEW,
		.doit = xmesh_nl_key_new_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_KEY_DEL,
		.doit = xmesh_nl_key_del_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_QOS_GET,
		.doit = xmesh_nl_qos_get_doit,
	},
	{
		.cmd = XMESH_CMD_QOS_SET,
		.doit = xmesh_nl_qos_set_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_QOS_RULE_GET,
		.doit = xmesh_nl_qos_rule_get_doit,
		.dumpit = xmesh_nl_qos_rule_get_dumpit,
	},
	{
		.cmd = XMESH_CMD_QOS_RULE_NEW,
		.doit = xmesh_nl_qos_rule_new_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_QOS_RULE_DEL,
		.doit = xmesh_nl_qos_rule_del_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_NODE_GET,
		.doit = xmesh_nl_node_get_doit,
		.dumpit = xmesh_nl_node_get_dumpit,
	},
	{
		.cmd = XMESH_CMD_NODE_NEW,
		.doit = xmesh_nl_node_new_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_NODE_DEL,
		.doit = xmesh_nl_node_del_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_ZONE_PAIR_GET,
		.doit = xmesh_nl_zone_pair_get_doit,
		.dumpit = xmesh_nl_zone_pair_get_dumpit,
	},
	{
		.cmd = XMESH_CMD_ZONE_PAIR_NEW,
		.doit = xmesh_nl_zone_pair_new_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_ZONE_PAIR_DEL,
		.doit = xmesh_nl_zone_pair_del_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_MROUTE_GET,
		.doit = xmesh_nl_mroute_get_doit,
		.dumpit = xmesh_nl_mroute_get_dumpit,
	},
	{
		.cmd = XMESH_CMD_MROUTE_NEW,
		.doit = xmesh_nl_mroute_new_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = XMESH_CMD_MROUTE_DEL,
		.doit = xmesh_nl_mroute_del_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family xmesh_genl_family __ro_after_init = {
	.name = XMESH_GENL_NAME,
	.version = XMESH_GENL_VERSION,
	.maxattr = XMESH_A_MAX,
	.policy = xmesh_policy,
	.netnsok = true,
	.pre_doit = xmesh_nl_pre_doit,
	.module = THIS_MODULE,
	.ops = xmesh_genl_ops,
	.n_ops = ARRAY_SIZE(xmesh_genl_ops),
	.mcgrps = xmesh_mcgrps,
	.n_mcgrps = ARRAY_SIZE(xmesh_mcgrps),
};

int __init xmesh_genl_init(void)
{
	return genl_register_family(&xmesh_genl_family);
}

void xmesh_genl_uninit(void)
{
	genl_unregister_family(&xmesh_genl_family);
}
