/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Typed xmesh objects: what the family's nests hold, as C structs, with
 * the functions that put them into a request and parse them out of a
 * reply or an event. Users of this never touch an attribute.
 *
 * Each struct has a "present" mask with bit N set when attribute N of its
 * nest is set (XM_HAS/XM_SET): a reply says what the kernel reported, a
 * request carries only what is set. Read-only attributes (counters,
 * carrier, mtu, active) are parsed but never put.
 */
#ifndef XMESH_OBJ_H
#define XMESH_OBJ_H

#include <libmnl/libmnl.h>
#include <linux/xmesh.h>
#include <linux/xmesh_packet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "xmesh_parse.h"

#define XM_BIT(attr)		(UINT64_C(1) << (attr))
#define XM_HAS(obj, attr)	(((obj)->present & XM_BIT(attr)) != 0)
#define XM_SET(obj, attr)	((obj)->present |= XM_BIT(attr))

struct xm_dev {
	uint32_t present;		/* XMESH_DEV_A_* */
	uint32_t ifindex;		/* from XMESH_A_IFINDEX, 0 if none */
	char ifname[IF_NAMESIZE];	/* from XMESH_A_IFNAME, "" if none */
	uint32_t node_id;
	uint16_t port;
	uint16_t family;
	uint8_t hop_limit;
	uint8_t security;		/* enum xmesh_security */
	uint8_t origin;			/* origin seals on (1) or off */
	uint32_t neigh_count, route_count, prefix_count, key_count;
	uint32_t mark_mask;		/* zones: skb->mark bits to tag */
	uint8_t zone_default;		/* enum xmesh_zone_action */
	uint32_t node_count, zone_pair_count;
	uint64_t counters_present;	/* XMESH_COUNTER_A_* */
	uint64_t counters[XMESH_COUNTER_A_MAX + 1];
	/* One bit per reason: more than 32 since origin seals. */
	uint64_t drops_present;		/* XMESH_DROP_A_* */
	uint64_t drops[XMESH_DROP_A_MAX + 1];
};

struct xm_neigh {
	uint32_t present;		/* XMESH_NEIGH_A_* */
	uint32_t id;
	uint32_t node;
	uint32_t link;			/* underlay ifindex */
	struct xm_addr local, remote;
	uint16_t port;
	uint8_t state;			/* enum xmesh_neigh_state */
	uint8_t carrier;
	uint32_t mtu;
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes, drops;
};

struct xm_nexthop {
	uint32_t present;		/* XMESH_NEXTHOP_A_* */
	uint32_t neigh;
	uint8_t priority;
	bool active;
};

struct xm_route {
	uint32_t present;		/* XMESH_ROUTE_A_* */
	uint32_t dst;			/* destination node */
	uint8_t tclass;			/* its class's table; absent: default */
	unsigned int n_nexthops;
	struct xm_nexthop nexthop[XMESH_MAX_NEXTHOPS];
};

struct xm_prefix {
	uint32_t present;		/* XMESH_PREFIX_A_* */
	struct xm_addr addr;		/* family: XMESH_PREFIX_A_FAMILY */
	uint8_t len;
	uint32_t node;
};

struct xm_oam {
	uint32_t present;		/* XMESH_OAM_A_* */
	uint32_t dst;
	uint16_t ident;
	uint32_t seq;
	uint8_t hop_limit;
	uint8_t op;			/* enum xmesh_oam_op */
	uint32_t reporter;
	uint64_t rtt_ns;
	uint32_t neigh;			/* link probes: the adjacency */
};

/*
 * A session key of a neighbor. key is write-only: put into requests,
 * never found in a reply. Whoever fills it wipes it when done
 * (xm_key_wipe).
 */
struct xm_key {
	uint32_t present;		/* XMESH_KEY_A_* */
	uint32_t neigh;			/* a per-hop key's neighbor, or */
	uint32_t node;			/* an origin key's node */
	uint8_t id;
	uint8_t dir;			/* enum xmesh_key_dir */
	uint8_t key[XMESH_KEY_LEN];
	uint64_t counter, packets, bytes, replayed, auth_failed;
};

/* QoS: traffic classes with their caps and counters, the maps, rules. */
#define XM_TCLASS_COUNT	(XMESH_TC_NETWORK_CONTROL - XMESH_TC_BULK + 1)

struct xm_tclass {
	uint32_t present;		/* XMESH_TCLASS_A_* */
	uint8_t id;			/* enum xmesh_tclass */
	uint64_t rate;			/* bytes/s, 0: no cap */
	uint32_t burst;			/* bytes */
	uint8_t dscp;
	uint32_t priority;
	uint64_t packets, bytes, drops;
};

struct xm_qos {
	uint32_t present;		/* XMESH_QOS_A_* */
	uint8_t dscp_map[XMESH_QOS_DSCP_COUNT];
	uint8_t prio_map[XMESH_QOS_PRIO_COUNT];
	unsigned int n_tclass;
	struct xm_tclass tclass[XM_TCLASS_COUNT];
};

struct xm_qos_rule {
	uint32_t present;		/* XMESH_QOS_RULE_A_* */
	uint32_t id;
	uint8_t tclass;
	struct xm_addr addr;		/* family: XMESH_QOS_RULE_A_FAMILY */
	uint8_t len;
	uint8_t protocol;
	uint16_t port_min, port_max;	/* destination ports */
	uint16_t sport_min, sport_max;	/* source ports */
};

/* A node's zone and roles (the node table). */
struct xm_node {
	uint32_t present;		/* XMESH_NODE_A_* */
	uint32_t id;
	uint16_t zone;			/* 0: none */
	uint16_t roles;			/* bitmask */
};

/* What frames from one zone to another get (the zone pair table). */
struct xm_zone_pair {
	uint32_t present;		/* XMESH_ZONE_PAIR_A_* */
	uint16_t from, to;
	uint8_t action;			/* enum xmesh_zone_action */
};

/* A multicast route: the branches here of the tree of (root, group). */
struct xm_mroute {
	uint32_t present;		/* XMESH_MROUTE_A_* */
	uint32_t root;
	struct xm_addr group;		/* family: XMESH_MROUTE_A_FAMILY */
	bool local;
	uint32_t upstream;		/* the parent node; 0: not checked */
	uint32_t shared_root;		/* a shared tree's core; 0: none */
	unsigned int n_neighs;
	uint32_t neigh[XMESH_MAX_MROUTE_NEIGHS];
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes, drops;
};

/* One nest of a message: type is its XMESH_A_* attribute. */
struct xm_entry {
	uint16_t type;			/* XMESH_A_DEV, _NEIGH, ... or 0 */
	union {
		struct xm_dev dev;
		struct xm_neigh neigh;
		struct xm_route route;
		struct xm_prefix prefix;
		struct xm_oam oam;
		struct xm_key key;
		struct xm_qos qos;
		struct xm_qos_rule qos_rule;
		struct xm_node node;
		struct xm_zone_pair zone_pair;
		struct xm_mroute mroute;
	};
};

/*
 * Put one nest (XMESH_A_DEV, _NEIGH, ...) at the end of nlh, which has
 * room bytes from its start. On -EMSGSIZE nlh is left as it was, so the
 * caller can close the message and put the nest into the next one.
 */
int xm_dev_put(struct nlmsghdr *nlh, size_t room, const struct xm_dev *d);
int xm_neigh_put(struct nlmsghdr *nlh, size_t room, const struct xm_neigh *n);
int xm_route_put(struct nlmsghdr *nlh, size_t room, const struct xm_route *r);
int xm_prefix_put(struct nlmsghdr *nlh, size_t room,
		  const struct xm_prefix *p);
int xm_oam_put(struct nlmsghdr *nlh, size_t room, const struct xm_oam *o);
int xm_key_put(struct nlmsghdr *nlh, size_t room, const struct xm_key *k);
int xm_qos_put(struct nlmsghdr *nlh, size_t room, const struct xm_qos *q);
int xm_qos_rule_put(struct nlmsghdr *nlh, size_t room,
		    const struct xm_qos_rule *r);
int xm_node_put(struct nlmsghdr *nlh, size_t room, const struct xm_node *n);
int xm_zone_pair_put(struct nlmsghdr *nlh, size_t room,
		     const struct xm_zone_pair *z);
int xm_mroute_put(struct nlmsghdr *nlh, size_t room,
		  const struct xm_mroute *m);
int xm_entry_put(struct nlmsghdr *nlh, size_t room, const struct xm_entry *e);

/* The device a request is for: ifindex if not 0, else ifname. */
int xm_devsel_put(struct nlmsghdr *nlh, size_t room, uint32_t ifindex,
		  const char *ifname);

/*
 * Parse one nest's payload. -EINVAL when an attribute is malformed.
 * xm_dev_parse() does not clear d: ifindex and ifname come from the
 * message around the nest (xm_msg_parse() sets them).
 */
int xm_dev_parse(const struct nlattr *nest, struct xm_dev *d);
int xm_neigh_parse(const struct nlattr *nest, struct xm_neigh *n);
int xm_route_parse(const struct nlattr *nest, struct xm_route *r);
int xm_prefix_parse(const struct nlattr *nest, struct xm_prefix *p);
int xm_oam_parse(const struct nlattr *nest, struct xm_oam *o);
int xm_key_parse(const struct nlattr *nest, struct xm_key *k);
int xm_qos_parse(const struct nlattr *nest, struct xm_qos *q);
int xm_qos_rule_parse(const struct nlattr *nest, struct xm_qos_rule *r);
int xm_node_parse(const struct nlattr *nest, struct xm_node *n);
int xm_zone_pair_parse(const struct nlattr *nest, struct xm_zone_pair *z);
int xm_mroute_parse(const struct nlattr *nest, struct xm_mroute *m);

/* Forget a key's bytes (explicit_bzero: the compiler may not skip it). */
void xm_key_wipe(struct xm_key *k);

/* What a family message carries besides its nests. */
struct xm_msg_info {
	uint8_t cmd;
	uint32_t ifindex;		/* XMESH_A_IFINDEX, 0 if absent */
	char ifname[IF_NAMESIZE];	/* XMESH_A_IFNAME, "" if absent */
	bool flush;			/* XMESH_A_FLUSH */
};

typedef int (*xm_entry_cb)(const struct xm_msg_info *info,
			   const struct xm_entry *e, void *data);

/*
 * Parse a family message (genl header, then attributes): fills info and
 * calls cb for every nest, in order. A device nest gets the message's
 * ifindex and ifname. Returns 0, -EINVAL if malformed (entries before the
 * bad one were passed to cb), or cb's negative return.
 */
int xm_msg_parse(const struct nlmsghdr *nlh, struct xm_msg_info *info,
		 xm_entry_cb cb, void *data);

/*
 * Hops between this node and an OAM answer's reporter: the answer leaves
 * with the reporter's device hop limit (taken to be sent, this node's),
 * each transit node takes one off, and XMESH_OAM_A_HOP_LIMIT is what is
 * left on arrival. -1 if the numbers do not fit.
 */
int xm_oam_hops(uint8_t sent, uint8_t arrival);

#endif /* XMESH_OBJ_H */
