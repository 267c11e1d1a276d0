/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * xmesh: the generic-netlink family between xmesh.ko and userspace.
 *
 * Documentation/netlink/specs/xmesh.yaml describes every command and
 * attribute; Documentation/xmesh.rst explains the objects. Keep all three
 * in step: this header is the contract.
 *
 * Every request names one xmesh device with exactly one of XMESH_A_IFINDEX
 * or XMESH_A_IFNAME. Object commands carry one or more nested entries
 * (XMESH_A_NEIGH, XMESH_A_ROUTE, XMESH_A_PREFIX may repeat): a message is
 * validated whole before anything changes, so a batch is applied entirely
 * or not at all, and the extack error points at the offending entry.
 *
 * *_NEW creates; an existing entry is an error (-EEXIST) unless the request
 * has XMESH_A_REPLACE, which replaces it in place (traffic never sees a
 * gap).
 * XMESH_CMD_NEIGH_SET changes the state of existing neighbors (the fast
 * path for "this adjacency is down"). *_DEL deletes the named entries, or
 * all of them with XMESH_A_FLUSH. A table diff is therefore one sendmsg
 * holding a NEW with XMESH_A_REPLACE and a DEL message: one round trip. *_GET
 * of neighbors, routes and prefixes returns the entry named (by neighbor
 * id, destination node, or prefix), or dumps one device's table.
 *
 * Errors: -EINVAL (bad or missing attribute; -ERANGE when a value is out
 * of the range its policy allows), -ENOENT (no such entry),
 * -EEXIST, -ENOSPC (a table limit below would be exceeded; counted in
 * XMESH_COUNTER_A_*_LIMIT_HITS), -E2BIG (more
 * than XMESH_MAX_NEXTHOPS next hops, or more than XMESH_BATCH_MAX entries
 * in one request), -EBUSY (a device change that needs the tables empty).
 * Only running out of memory midway can leave a batch applied in part; the
 * extack message says so.
 *
 * Versions: a request's genlmsghdr.version is the XMESH_GENL_VERSION its
 * tool was built with (0, as generic tools send, counts as 1). The version
 * goes up only when an older module would misread a newer tool's request;
 * new attributes alone do not raise it (a module refuses attributes it
 * does not know). A module refuses a request of a version above its own
 * with -EPROTONOSUPPORT and says so in the extack message; requests of its
 * own version or older are always served. A tool reads the module's
 * version from the controller (CTRL_ATTR_VERSION) before it asks anything.
 *
 * Events on XMESH_MCGRP_EVENTS: XMESH_CMD_NEIGH_EVENT (a neighbor added or
 * changed), XMESH_CMD_NEIGH_DEL (deleted), XMESH_CMD_ROUTE_EVENT (a route
 * added, replaced, or its active next hops changed), XMESH_CMD_ROUTE_DEL.
 *
 * Keys (XMESH_CMD_KEY_*) belong to a neighbor (per-hop keys,
 * XMESH_KEY_A_NEIGH) or to a remote node (origin keys, XMESH_KEY_A_NODE):
 * at most one transmit key and XMESH_MAX_RX_KEYS receive keys each. Their
 * bytes are write-only: no reply or event ever carries them.
 */
#ifndef _UAPI_LINUX_XMESH_H
#define _UAPI_LINUX_XMESH_H

#include <linux/types.h>

#define XMESH_GENL_NAME		"xmesh"
#define XMESH_GENL_VERSION	1
#define XMESH_MCGRP_EVENTS	"events"	/* neighbor and route changes */
#define XMESH_MCGRP_OAM		"oam"		/* answers to OAM probes */

#define XMESH_DEFAULT_PORT	7600
#define XMESH_DEFAULT_HOP_LIMIT	16
/*
 * OAM answers (echo replies, time exceeded, unreachable, link replies) a
 * device sends per second at most, by default; XMESH_DEV_A_OAM_RATE.
 */
#define XMESH_DEFAULT_OAM_RATE	5000

/* Table limits: a request that would exceed one fails with -ENOSPC. */
#define XMESH_MAX_NEIGHS	4096
#define XMESH_MAX_ROUTES	65536
#define XMESH_MAX_PREFIXES	65536
#define XMESH_MAX_NEXTHOPS	8	/* per route */
#define XMESH_BATCH_MAX		4096	/* entries of one kind per request */

/* Keys: see enum xmesh_key_a and Documentation/wire-format.rst. */
#define XMESH_KEY_LEN		32	/* ChaCha20-Poly1305 key bytes */
#define XMESH_MAX_RX_KEYS	4	/* receive keys per neighbor */
/* Per-hop keys of every neighbor and origin keys of as many nodes. */
#define XMESH_MAX_KEYS		(2 * XMESH_MAX_NEIGHS * (1 + XMESH_MAX_RX_KEYS))
/*
 * A transmit key sends at most this many frames (its counter, the AEAD
 * nonce, never reaches it), and a receiver refuses counters from it on:
 * userspace rotates keys long before.
 */
#define XMESH_KEY_COUNTER_LIMIT	(1ULL << 60)

enum xmesh_cmd {
	XMESH_CMD_UNSPEC,
	XMESH_CMD_DEV_GET,	/* do: one device; dump: every xmesh device */
	XMESH_CMD_DEV_SET,
	XMESH_CMD_NEIGH_GET,	/* do: the neighbor of the id given; dump */
	XMESH_CMD_NEIGH_NEW,
	XMESH_CMD_NEIGH_SET,
	XMESH_CMD_NEIGH_DEL,
	XMESH_CMD_ROUTE_GET,
	XMESH_CMD_ROUTE_NEW,
	XMESH_CMD_ROUTE_DEL,
	XMESH_CMD_PREFIX_GET,
	XMESH_CMD_PREFIX_NEW,
	XMESH_CMD_PREFIX_DEL,
	XMESH_CMD_OAM_SEND,	/* send one mesh ping/trace probe */
	XMESH_CMD_NEIGH_EVENT,	/* notification: neighbor state changed */
	XMESH_CMD_ROUTE_EVENT,	/* notification: route's active next hops */
	XMESH_CMD_OAM_EVENT,	/* notification: a probe's answer arrived */
	XMESH_CMD_KEY_GET,	/* do: the key named; dump: every key */
	XMESH_CMD_KEY_NEW,
	XMESH_CMD_KEY_DEL,
	XMESH_CMD_QOS_GET,	/* do: the device's QoS settings, counters */
	XMESH_CMD_QOS_SET,
	XMESH_CMD_QOS_RULE_GET,	/* do: the rule of the id given; dump */
	XMESH_CMD_QOS_RULE_NEW,
	XMESH_CMD_QOS_RULE_DEL,
	XMESH_CMD_NODE_GET,	/* do: the node of the id given; dump */
	XMESH_CMD_NODE_NEW,
	XMESH_CMD_NODE_DEL,
	XMESH_CMD_ZONE_PAIR_GET,	/* do: the pair given; dump */
	XMESH_CMD_ZONE_PAIR_NEW,
	XMESH_CMD_ZONE_PAIR_DEL,
	XMESH_CMD_MROUTE_GET,	/* do: the (root, group) given; dump */
	XMESH_CMD_MROUTE_NEW,
	XMESH_CMD_MROUTE_DEL,

	__XMESH_CMD_MAX,
	XMESH_CMD_MAX = __XMESH_CMD_MAX - 1
};

enum xmesh_a {
	XMESH_A_UNSPEC,
	XMESH_A_IFINDEX,	/* u32 */
	XMESH_A_IFNAME,		/* string */
	XMESH_A_DEV,		/* nest, enum xmesh_dev_a */
	XMESH_A_NEIGH,		/* nest, enum xmesh_neigh_a; repeats */
	XMESH_A_ROUTE,		/* nest, enum xmesh_route_a; repeats */
	XMESH_A_PREFIX,		/* nest, enum xmesh_prefix_a; repeats */
	XMESH_A_OAM,		/* nest, enum xmesh_oam_a */
	XMESH_A_FLUSH,		/* flag: *_DEL removes every entry */
	XMESH_A_REPLACE,	/* flag: *_NEW replaces existing entries */
	XMESH_A_KEY,		/* nest, enum xmesh_key_a; repeats */
	XMESH_A_QOS,		/* nest, enum xmesh_qos_a */
	XMESH_A_QOS_RULE,	/* nest, enum xmesh_qos_rule_a; repeats */
	XMESH_A_NODE,		/* nest, enum xmesh_node_a; repeats */
	XMESH_A_ZONE_PAIR,	/* nest, enum xmesh_zone_pair_a; repeats */
	XMESH_A_MROUTE,		/* nest, enum xmesh_mroute_a; repeats */

	__XMESH_A_MAX,
	XMESH_A_MAX = __XMESH_A_MAX - 1
};

enum xmesh_dev_a {
	XMESH_DEV_A_UNSPEC,
	XMESH_DEV_A_NODE_ID,	/* u32, this node's id, not 0 */
	XMESH_DEV_A_PORT,	/* u16, UDP port of the underlay socket */
	XMESH_DEV_A_FAMILY,	/* u16, AF_INET or AF_INET6 underlay */
	XMESH_DEV_A_HOP_LIMIT,	/* u8, hop limit of locally sent packets */
	XMESH_DEV_A_COUNTERS,	/* nest, enum xmesh_counter_a; read-only */
	XMESH_DEV_A_DROPS,	/* nest, enum xmesh_drop_a; read-only */
	XMESH_DEV_A_NEIGH_COUNT,	/* u32, read-only */
	XMESH_DEV_A_ROUTE_COUNT,	/* u32, read-only */
	XMESH_DEV_A_PREFIX_COUNT,	/* u32, read-only */
	XMESH_DEV_A_SECURITY,	/* u8, enum xmesh_security */
	XMESH_DEV_A_KEY_COUNT,	/* u32, read-only */
	XMESH_DEV_A_OAM_RATE,	/* u32, OAM answers per second at most;
				 * 0: no limit
				 */
	XMESH_DEV_A_MARK_MASK,	/* u32, bits of skb->mark that delivered
				 * packets get their source's zone and
				 * roles in (XMESH_MARK_*); 0: untouched
				 */
	XMESH_DEV_A_ZONE_DEFAULT,	/* u8, enum xmesh_zone_action of zone
					 * pairs not in the table
					 */
	XMESH_DEV_A_NODE_COUNT,	/* u32, read-only */
	XMESH_DEV_A_ZONE_PAIR_COUNT,	/* u32, read-only */
	XMESH_DEV_A_MROUTE_COUNT,	/* u32, read-only */
	XMESH_DEV_A_ORIGIN,	/* u8, 1: DATA frames sent from here carry
				 * origin seals, those delivered here must
				 * (Documentation/wire-format.rst); 0: off
				 */

	__XMESH_DEV_A_MAX,
	XMESH_DEV_A_MAX = __XMESH_DEV_A_MAX - 1
};

/* Per-device traffic counters, u64 each. */
enum xmesh_counter_a {
	XMESH_COUNTER_A_UNSPEC,
	XMESH_COUNTER_A_PAD,
	XMESH_COUNTER_A_TX_PACKETS,	/* sent from this node into the mesh */
	XMESH_COUNTER_A_TX_BYTES,
	XMESH_COUNTER_A_RX_PACKETS,	/* delivered to this node */
	XMESH_COUNTER_A_RX_BYTES,
	XMESH_COUNTER_A_FWD_PACKETS,	/* forwarded in transit */
	XMESH_COUNTER_A_FWD_BYTES,
	XMESH_COUNTER_A_OAM_RX,		/* OAM messages handled */
	XMESH_COUNTER_A_OAM_TX,
	XMESH_COUNTER_A_REROUTES,	/* fast reroutes to other next hops */
	/* Requests refused with -ENOSPC: the table would exceed its limit. */
	XMESH_COUNTER_A_NEIGH_LIMIT_HITS,
	XMESH_COUNTER_A_ROUTE_LIMIT_HITS,
	XMESH_COUNTER_A_PREFIX_LIMIT_HITS,
	XMESH_COUNTER_A_KEY_LIMIT_HITS,
	XMESH_COUNTER_A_QOS_RULE_LIMIT_HITS,
	XMESH_COUNTER_A_NODE_LIMIT_HITS,
	XMESH_COUNTER_A_ZONE_PAIR_LIMIT_HITS,
	XMESH_COUNTER_A_MROUTE_LIMIT_HITS,

	__XMESH_COUNTER_A_MAX,
	XMESH_COUNTER_A_MAX = __XMESH_COUNTER_A_MAX - 1
};

/* One counter, u64 each, for every reason xmesh drops a packet. */
enum xmesh_drop_a {
	XMESH_DROP_A_UNSPEC,
	XMESH_DROP_A_PAD,
	XMESH_DROP_A_NO_PREFIX,		/* tx: no prefix covers the dst */
	XMESH_DROP_A_NO_ROUTE,		/* no route to the dst node */
	XMESH_DROP_A_NO_NEXTHOP,	/* route exists, every next hop down */
	XMESH_DROP_A_HOP_LIMIT,		/* hop limit reached 0 in transit */
	XMESH_DROP_A_TOO_BIG,		/* larger than the path MTU */
	XMESH_DROP_A_TRUNCATED,		/* rx: shorter than its headers */
	XMESH_DROP_A_BAD_VERSION,	/* rx: unknown wire version */
	XMESH_DROP_A_BAD_HEADER,	/* rx: unknown type, flags, key or OAM
					 * op; node id 0
					 */
	XMESH_DROP_A_BAD_INNER,		/* not IPv4/IPv6 inside */
	XMESH_DROP_A_UNKNOWN_NEIGH,	/* rx: from no configured neighbor */
	XMESH_DROP_A_NEIGH_DOWN,	/* rx: data from an unusable neighbor */
	XMESH_DROP_A_NOT_RUNNING,	/* the device has no node id yet */
	XMESH_DROP_A_NOMEM,
	XMESH_DROP_A_TX_ERROR,		/* underlay route or send failed */
	XMESH_DROP_A_LOOP,		/* rx: claims our node id as source;
					 * tx: the prefix is this node's own
					 */
	XMESH_DROP_A_NODE_MISMATCH,	/* rx: a link probe or reply whose
					 * node ids are not its neighbor's
					 * and this node's
					 */
	XMESH_DROP_A_NO_KEY,		/* tx: the next hop has no transmit
					 * key; rx: no receive key of the
					 * frame's key id
					 */
	XMESH_DROP_A_UNAUTHENTICATED,	/* rx: key id 0 while security is on */
	XMESH_DROP_A_AUTH_FAILED,	/* rx: the tag does not verify */
	XMESH_DROP_A_REPLAYED,		/* rx: counter seen before or too old */
	XMESH_DROP_A_UNENCRYPTED,	/* rx: auth-only while encrypting */
	XMESH_DROP_A_KEY_EXHAUSTED,	/* tx: the transmit key's counter
					 * reached XMESH_KEY_COUNTER_LIMIT
					 */
	XMESH_DROP_A_SPOOFED_SOURCE,	/* rx: an authenticated packet whose
					 * inner source is not its source
					 * node's
					 */
	XMESH_DROP_A_RATE_LIMITED,	/* tx: over its traffic class's rate
					 * cap
					 */
	XMESH_DROP_A_OAM_RATE_LIMITED,	/* an OAM answer over the device's
					 * XMESH_DEV_A_OAM_RATE
					 */
	XMESH_DROP_A_ZONE_DENIED,	/* rx: delivered or forwarded data
					 * whose (source zone, destination
					 * zone) pair is denied
					 */
	XMESH_DROP_A_QUEUE_FULL,	/* tx or rx: a crypto queue was full
					 * (the CPUs seal or open slower than
					 * frames come)
					 */
	XMESH_DROP_A_NO_MROUTE,		/* a multicast packet (sent, or a
					 * replica received) with no
					 * multicast route for its (root,
					 * group)
					 */
	XMESH_DROP_A_MCAST_RPF,		/* rx: a multicast frame from a
					 * neighbor other than its route's
					 * upstream (the reverse-path check)
					 */
	XMESH_DROP_A_OAM_EVENT_RATE_LIMITED,	/* rx: an echo reply,
						 * time exceeded or
						 * unreachable not handed
						 * to userspace, over the
						 * device's
						 * XMESH_DEV_A_OAM_RATE
						 */
	XMESH_DROP_A_NO_ORIGIN_KEY,	/* tx: origin on and no transmit
					 * origin key for the destination
					 * node
					 */
	XMESH_DROP_A_ORIGIN_MISSING,	/* rx: origin on and a DATA frame
					 * for this node without an origin
					 * seal
					 */
	XMESH_DROP_A_ORIGIN_NO_KEY,	/* rx: no receive origin key of
					 * (source node, origin key id)
					 */
	XMESH_DROP_A_ORIGIN_AUTH_FAILED,	/* rx: the origin tag does
						 * not verify
						 */
	XMESH_DROP_A_ORIGIN_REPLAYED,	/* rx: origin counter seen before
					 * or too old
					 */

	__XMESH_DROP_A_MAX,
	XMESH_DROP_A_MAX = __XMESH_DROP_A_MAX - 1
};

/*
 * What the device does to the frames it sends, and demands of the ones it
 * receives (Documentation/wire-format.rst, "Keys").
 */
enum xmesh_security {
	XMESH_SECURITY_NONE,	/* sent with key id 0; key id 0 accepted */
	XMESH_SECURITY_AUTH,	/* authenticated, payload in clear */
	XMESH_SECURITY_ENCRYPT,	/* authenticated and encrypted */
};

enum xmesh_neigh_state {
	XMESH_NEIGH_DOWN,
	XMESH_NEIGH_UP,
};

enum xmesh_neigh_a {
	XMESH_NEIGH_A_UNSPEC,
	XMESH_NEIGH_A_PAD,
	XMESH_NEIGH_A_ID,	/* u32, the adjacency's handle, not 0 */
	XMESH_NEIGH_A_NODE,	/* u32, the peer's node id */
	XMESH_NEIGH_A_LINK,	/* u32, ifindex of the underlay interface */
	XMESH_NEIGH_A_LOCAL,	/* binary, 4 or 16 bytes, local address */
	XMESH_NEIGH_A_REMOTE,	/* binary, 4 or 16 bytes, peer's address */
	XMESH_NEIGH_A_PORT,	/* u16, peer's UDP port */
	XMESH_NEIGH_A_STATE,	/* u8, enum xmesh_neigh_state, as set */
	XMESH_NEIGH_A_CARRIER,	/* u8, underlay carrier; read-only */
	XMESH_NEIGH_A_MTU,	/* u32, inner MTU over this link; read-only */
	XMESH_NEIGH_A_TX_PACKETS,	/* u64 counters, read-only */
	XMESH_NEIGH_A_TX_BYTES,
	XMESH_NEIGH_A_RX_PACKETS,
	XMESH_NEIGH_A_RX_BYTES,
	XMESH_NEIGH_A_DROPS,

	__XMESH_NEIGH_A_MAX,
	XMESH_NEIGH_A_MAX = __XMESH_NEIGH_A_MAX - 1
};

enum xmesh_route_a {
	XMESH_ROUTE_A_UNSPEC,
	XMESH_ROUTE_A_PAD,
	XMESH_ROUTE_A_DST,	/* u32, destination node id */
	XMESH_ROUTE_A_NEXTHOP,	/* nest, enum xmesh_nexthop_a; repeats */
	XMESH_ROUTE_A_TCLASS,	/* u8, enum xmesh_tclass, bulk and up: the
				 * route is that class's; absent: default
				 */

	__XMESH_ROUTE_A_MAX,
	XMESH_ROUTE_A_MAX = __XMESH_ROUTE_A_MAX - 1
};

/*
 * A route's active next hops are the up ones with the lowest priority
 * value present: several of them share the load per flow (ECMP), the rest
 * are ordered backups taken over at once when the active ones go down.
 */
enum xmesh_nexthop_a {
	XMESH_NEXTHOP_A_UNSPEC,
	XMESH_NEXTHOP_A_NEIGH,		/* u32, neighbor id */
	XMESH_NEXTHOP_A_PRIORITY,	/* u8, lower is preferred; default 0 */
	XMESH_NEXTHOP_A_ACTIVE,		/* flag, read-only: carries traffic */

	__XMESH_NEXTHOP_A_MAX,
	XMESH_NEXTHOP_A_MAX = __XMESH_NEXTHOP_A_MAX - 1
};

enum xmesh_prefix_a {
	XMESH_PREFIX_A_UNSPEC,
	XMESH_PREFIX_A_FAMILY,	/* u16, AF_INET or AF_INET6 */
	XMESH_PREFIX_A_ADDR,	/* binary, 4 or 16 bytes; host bits zero */
	XMESH_PREFIX_A_LEN,	/* u8, prefix length */
	XMESH_PREFIX_A_NODE,	/* u32, node owning the prefix */

	__XMESH_PREFIX_A_MAX,
	XMESH_PREFIX_A_MAX = __XMESH_PREFIX_A_MAX - 1
};

enum xmesh_oam_op {
	XMESH_OAM_ECHO_REQUEST = 1,
	XMESH_OAM_ECHO_REPLY,
	XMESH_OAM_TIME_EXCEEDED,	/* hop limit ran out at the reporter */
	XMESH_OAM_UNREACHABLE,		/* the reporter has no route onwards */
	XMESH_OAM_LINK_REQUEST,		/* probe of one adjacency, one hop */
	XMESH_OAM_LINK_REPLY,		/* the neighbor's answer to it */
};

enum xmesh_oam_a {
	XMESH_OAM_A_UNSPEC,
	XMESH_OAM_A_PAD,
	XMESH_OAM_A_DST,	/* u32, node probed */
	XMESH_OAM_A_IDENT,	/* u16, chosen by the sender; default 0 */
	XMESH_OAM_A_SEQ,	/* u32, default 0 */
	XMESH_OAM_A_HOP_LIMIT,	/* u8, of the probe; in events: on arrival */
	XMESH_OAM_A_OP,		/* u8, enum xmesh_oam_op; in events */
	XMESH_OAM_A_REPORTER,	/* u32, node that answered; in events */
	XMESH_OAM_A_RTT_NS,	/* u64, in events */
	XMESH_OAM_A_NEIGH,	/* u32, neighbor id: the adjacency a link
				 * probe is sent over; in link-reply events,
				 * the one it arrived over
				 */

	__XMESH_OAM_A_MAX,
	XMESH_OAM_A_MAX = __XMESH_OAM_A_MAX - 1
};

enum xmesh_key_dir {
	XMESH_KEY_TX = 1,	/* seals the frames sent to the neighbor
				 * (an origin key: those originated here
				 * for the node)
				 */
	XMESH_KEY_RX,		/* opens the frames received from it */
};

/* A key is named by (neigh or node, id, dir): exactly one of the two. */
enum xmesh_key_a {
	XMESH_KEY_A_UNSPEC,
	XMESH_KEY_A_PAD,
	XMESH_KEY_A_NEIGH,	/* u32, neighbor id: a per-hop key */
	XMESH_KEY_A_ID,		/* u8, key id carried in the header, 1..255 */
	XMESH_KEY_A_DIR,	/* u8, enum xmesh_key_dir */
	XMESH_KEY_A_KEY,	/* binary, XMESH_KEY_LEN bytes; write-only */
	XMESH_KEY_A_COUNTER,	/* u64, read-only: tx, the next frame's
				 * counter; rx, one more than the highest
				 * accepted (0: none yet)
				 */
	XMESH_KEY_A_PACKETS,	/* u64 counters, read-only: sealed (tx) or */
	XMESH_KEY_A_BYTES,	/* opened and accepted (rx), payload bytes */
	XMESH_KEY_A_REPLAYED,	/* rx: refused as replayed */
	XMESH_KEY_A_AUTH_FAILED,	/* rx: tag did not verify */
	XMESH_KEY_A_NODE,	/* u32, remote node id: an origin key */

	__XMESH_KEY_A_MAX,
	XMESH_KEY_A_MAX = __XMESH_KEY_A_MAX - 1
};

/*
 * QoS (Documentation/qos.md). Every frame a node sends, its own or in
 * transit, is in one traffic class (enum xmesh_tclass of
 * linux/xmesh_packet.h: bulk, interactive, realtime or network-control),
 * carried in the xmesh header. The originating node classifies: by the
 * first matching rule (XMESH_CMD_QOS_RULE_*), else by the packet's
 * skb->priority (XMESH_QOS_A_PRIO_MAP), else by its DSCP
 * (XMESH_QOS_A_DSCP_MAP). Transit nodes keep the carried class, except
 * that best-effort (sent by nodes older than QoS) and unassigned values
 * count as bulk. The class sets the outer DS field and skb->priority, and
 * each class may have a rate cap, policed per device.
 */
#define XMESH_MAX_QOS_RULES	256
#define XMESH_QOS_DSCP_COUNT	64	/* entries of the DSCP map */
#define XMESH_QOS_PRIO_COUNT	16	/* of the priority map: TC_PRIO_* */
#define XMESH_QOS_PRIO_NONE	0xff	/* priority map: use the DSCP map */

enum xmesh_qos_a {
	XMESH_QOS_A_UNSPEC,
	XMESH_QOS_A_PAD,
	XMESH_QOS_A_DSCP_MAP,	/* binary, XMESH_QOS_DSCP_COUNT bytes: the
				 * class of each DSCP value
				 */
	XMESH_QOS_A_PRIO_MAP,	/* binary, XMESH_QOS_PRIO_COUNT bytes: the
				 * class of each skb->priority 0..15, or
				 * XMESH_QOS_PRIO_NONE
				 */
	XMESH_QOS_A_TCLASS,	/* nest, enum xmesh_tclass_a; repeats */

	__XMESH_QOS_A_MAX,
	XMESH_QOS_A_MAX = __XMESH_QOS_A_MAX - 1
};

/* One traffic class's settings and counters. */
enum xmesh_tclass_a {
	XMESH_TCLASS_A_UNSPEC,
	XMESH_TCLASS_A_PAD,
	XMESH_TCLASS_A_ID,	/* u8, enum xmesh_tclass, bulk and up */
	XMESH_TCLASS_A_RATE,	/* u64, cap in bytes/s of inner packets;
				 * 0: none
				 */
	XMESH_TCLASS_A_BURST,	/* u32, bytes the cap lets through at once;
				 * 0: the default (50 ms at the rate, at
				 * least 3000 bytes)
				 */
	XMESH_TCLASS_A_DSCP,	/* u8, read-only: outer DSCP */
	XMESH_TCLASS_A_PRIORITY,	/* u32, read-only: skb->priority */
	XMESH_TCLASS_A_PACKETS,	/* u64 counters, read-only: sent, local */
	XMESH_TCLASS_A_BYTES,	/* and transit, inner bytes */
	XMESH_TCLASS_A_DROPS,	/* over the rate cap */

	__XMESH_TCLASS_A_MAX,
	XMESH_TCLASS_A_MAX = __XMESH_TCLASS_A_MAX - 1
};

/*
 * A classifier rule: packets this node sends into the mesh whose inner
 * destination is in the prefix, of the protocol, to a destination port in
 * the range and from a source port in the range, are of the rule's class.
 * Absent fields match anything; rules are tried by increasing id and the
 * first match wins.
 */
enum xmesh_qos_rule_a {
	XMESH_QOS_RULE_A_UNSPEC,
	XMESH_QOS_RULE_A_PAD,
	XMESH_QOS_RULE_A_ID,		/* u32, not 0; lower ids first */
	XMESH_QOS_RULE_A_TCLASS,	/* u8, enum xmesh_tclass, bulk and up */
	XMESH_QOS_RULE_A_FAMILY,	/* u16, AF_INET or AF_INET6 */
	XMESH_QOS_RULE_A_ADDR,		/* binary, 4 or 16 bytes; host bits
					 * zero; with FAMILY and LEN
					 */
	XMESH_QOS_RULE_A_LEN,		/* u8, prefix length */
	XMESH_QOS_RULE_A_PROTOCOL,	/* u8, IP protocol; 0: any */
	XMESH_QOS_RULE_A_PORT_MIN,	/* u16, destination ports, inclusive; */
	XMESH_QOS_RULE_A_PORT_MAX,	/* TCP, UDP, UDP-Lite, SCTP, DCCP */
	XMESH_QOS_RULE_A_SPORT_MIN,	/* u16, source ports, inclusive; */
	XMESH_QOS_RULE_A_SPORT_MAX,	/* the same protocols */

	__XMESH_QOS_RULE_A_MAX,
	XMESH_QOS_RULE_A_MAX = __XMESH_QOS_RULE_A_MAX - 1
};

/*
 * Zones (Documentation/filter.md). The node table gives each node of the
 * mesh a zone (u16; 0: none) and roles (u16, a bitmask), which userspace
 * takes from the nodes' certificates. A data frame's source node is only
 * believed when the frame is authenticated (a key id other than 0); an
 * unauthenticated one comes from zone 0 with no roles.
 *
 * Delivered packets carry their source's zone and roles in skb->mark, for
 * nftables: the value (zone << XMESH_MARK_ZONE_SHIFT) | roles, of which
 * only the bits of XMESH_DEV_A_MARK_MASK are written (the others keep what
 * they had); a mask of 0, the default, leaves skb->mark alone.
 *
 * The zone pair table gives an action to (source zone, destination zone):
 * a frame delivered here goes from its source's zone to this node's zone
 * (the node table's entry of this node's id), a frame forwarded from its
 * source's zone to its destination node's zone. Pairs not in the table get
 * XMESH_DEV_A_ZONE_DEFAULT, allow by default. Denied frames are dropped
 * and counted in XMESH_DROP_A_ZONE_DENIED.
 */
#define XMESH_MAX_NODES		65536
#define XMESH_MAX_ZONE_PAIRS	4096
#define XMESH_MARK_ZONE_SHIFT	16
#define XMESH_MARK_ROLES_MASK	0xffffU

enum xmesh_zone_action {
	XMESH_ZONE_ALLOW,
	XMESH_ZONE_DENY,
};

enum xmesh_node_a {
	XMESH_NODE_A_UNSPEC,
	XMESH_NODE_A_ID,	/* u32, node id, not 0 */
	XMESH_NODE_A_ZONE,	/* u16, 0: none; default 0 */
	XMESH_NODE_A_ROLES,	/* u16, bitmask; default 0 */

	__XMESH_NODE_A_MAX,
	XMESH_NODE_A_MAX = __XMESH_NODE_A_MAX - 1
};

/* A zone pair is named by (from, to). */
enum xmesh_zone_pair_a {
	XMESH_ZONE_PAIR_A_UNSPEC,
	XMESH_ZONE_PAIR_A_FROM,		/* u16, source node's zone */
	XMESH_ZONE_PAIR_A_TO,		/* u16, destination node's zone */
	XMESH_ZONE_PAIR_A_ACTION,	/* u8, enum xmesh_zone_action */

	__XMESH_ZONE_PAIR_A_MAX,
	XMESH_ZONE_PAIR_A_MAX = __XMESH_ZONE_PAIR_A_MAX - 1
};

/*
 * Multicast routes (Documentation/multicast.md). Packets to an overlay
 * multicast group (IPv4 239.0.0.0/8, IPv6 ff00::/8 but for the
 * link-local scopes) travel down a distribution tree rooted at their
 * source node: an XMESH_PKT_MCAST frame whose header carries the root
 * (Documentation/wire-format.rst). Each node of the tree holds the
 * multicast route of (root, group): the neighbors the frame is copied to
 * (the tree's branches at this node, at most one copy per neighbor) and
 * whether it is delivered here (a member). The root's own route sends its
 * packets; a transit node's forwards replicas with the hop limit
 * decremented, and each delivery passes the zone-pair check as a unicast
 * delivery does. The agent computes the trees and installs the routes.
 */
#define XMESH_MAX_MROUTES		16384
#define XMESH_MAX_MROUTE_NEIGHS		16	/* branches per route */

enum xmesh_mroute_a {
	XMESH_MROUTE_A_UNSPEC,
	XMESH_MROUTE_A_PAD,
	XMESH_MROUTE_A_ROOT,	/* u32, the tree's root: the source node */
	XMESH_MROUTE_A_FAMILY,	/* u16, AF_INET or AF_INET6 */
	XMESH_MROUTE_A_GROUP,	/* binary, 4 or 16 bytes, a group address */
	XMESH_MROUTE_A_NEIGH,	/* u32, a neighbor id to copy to; repeats */
	XMESH_MROUTE_A_LOCAL,	/* flag: deliver on this node's xmesh0 */
	XMESH_MROUTE_A_TX_PACKETS,	/* u64 counters, read-only: copies */
	XMESH_MROUTE_A_TX_BYTES,	/* sent down the branches, */
	XMESH_MROUTE_A_RX_PACKETS,	/* delivered here, */
	XMESH_MROUTE_A_RX_BYTES,
	XMESH_MROUTE_A_DROPS,		/* copies dropped (any reason) */
	XMESH_MROUTE_A_UPSTREAM,	/* u32, the node frames of the tree
					 * come from here (the parent in the
					 * tree); from any other neighbor
					 * they are dropped (mcast_rpf).
					 * Absent or 0: not checked (the
					 * root's route, or an older agent)
					 */
	XMESH_MROUTE_A_SHARED_ROOT,	/* u32: a shared (bidirectional)
					 * tree's route, of the tree rooted
					 * at this core node: frames are
					 * taken from any branch's node and
					 * copied to every other branch; on
					 * a sender, its own (root = this
					 * node) route's frames name the
					 * core as their tree's root
					 */

	__XMESH_MROUTE_A_MAX,
	XMESH_MROUTE_A_MAX = __XMESH_MROUTE_A_MAX - 1
};

#endif /* _UAPI_LINUX_XMESH_H */
