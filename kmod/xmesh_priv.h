/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xmesh: internal types shared by the module's files.
 *
 * Locking rules
 * -------------
 * - xdev->lock (a mutex) serializes every writer of a device's tables and
 *   settings: netlink requests, the netdev notifier, ndo_open/ndo_stop and
 *   device teardown. When RTNL is needed too it is taken first (RTNL, then
 *   xdev->lock); nothing takes RTNL while holding xdev->lock.
 * - The packet path (ndo_start_xmit, the UDP encap receive hook) runs under
 *   the RCU read lock with BHs off and only reads: tables are RCU-protected
 *   rhashtables, routes are immutable and replaced whole
 *   (rcu_replace_pointer), neighbors are freed after a grace period, and
 *   scalar fields that writers change (state, carrier, node id, hop limit,
 *   security, OAM rate) are read with READ_ONCE.
 * - The packet path never takes xdev->lock (it cannot sleep, and must not
 *   wait behind a writer), nor do OAM sends from userspace: link probes
 *   come every few tens of ms per neighbor, so they find their neighbor
 *   under RCU alone (oam.c). Whatever needs the mutex goes elsewhere.
 * - Each lookup says its context: xmesh_neigh_lookup_*() and
 *   xmesh_route_lookup() for RCU readers, which hold the read lock already;
 *   the *_locked() variants for writers under xdev->lock, which keeps what
 *   they find alive (they take the RCU read lock only for the table walk).
 * - OAM answers, and OAM replies handed to userspace, take a token from
 *   the device's two buckets under oam_bucket_lock, a spinlock taken in
 *   softirq only.
 * - Keys hang off their neighbor as RCU pointers (one transmit slot, a few
 *   receive slots) and are immutable but for their counters: installing,
 *   replacing or deleting a key swaps a slot under xdev->lock, and the old
 *   key is wiped and freed after a grace period. A neighbor that replaces
 *   another takes over its key slots; the keys are freed only by removing
 *   them, never with a neighbor. A receive key's replay window has its own
 *   spinlock, taken in softirq only (xmesh_replay_check).
 * - Origin keys (origin.c) are keys as above in the slots of a per-node
 *   struct xmesh_origin, in an RCU rhashtable by node id: the entry comes
 *   with the node's first key and goes, after a grace period, with its
 *   last, both under xdev->lock.
 * - Counters are per-CPU and lockless; a transmit key's counter is one
 *   atomic64 shared by every CPU sending with it.
 * - Sealed frames may wait in the device's crypto queues (queue.c, which
 *   has their own rules): a queued frame holds only its neighbor's id,
 *   looked up again under RCU by each stage, and the queues are drained
 *   before the device's tables are torn down.
 */
#ifndef _XMESH_PRIV_H
#define _XMESH_PRIV_H

#include <linux/netdevice.h>
#include <linux/ptr_ring.h>
#include <linux/rhashtable.h>
#include <linux/u64_stats_sync.h>
#include <linux/in6.h>
#include <net/dst_cache.h>
#include <net/gro_cells.h>
#include <uapi/linux/xmesh.h>
#include <uapi/linux/xmesh_packet.h>

#define XMESH_DRV_NAME		"xmesh"

/* Outer headers added to an inner packet, without the link layer. */
#define XMESH_OVERHEAD_V4	(sizeof(struct iphdr) + sizeof(struct udphdr) + \
				 sizeof(struct xmesh_hdr))
#define XMESH_OVERHEAD_V6	(sizeof(struct ipv6hdr) + sizeof(struct udphdr) + \
				 sizeof(struct xmesh_hdr))
/* The largest of all: IPv6, sealed and origin-sealed. */
#define XMESH_OVERHEAD_MAX	(XMESH_OVERHEAD_V6 + 2 * XMESH_SEAL_OVERHEAD)
/* A sealed frame's header and counter: the AEAD's additional data. */
#define XMESH_SEAL_HLEN		(sizeof(struct xmesh_hdr) + XMESH_COUNTER_LEN)

union xmesh_addr {
	__be32 v4;
	struct in6_addr v6;
};

/* The traffic classes a frame is sent in (qos.c), and arrays by class. */
#define XMESH_TC_FIRST		XMESH_TC_BULK
#define XMESH_TC_LAST		XMESH_TC_NETWORK_CONTROL
#define XMESH_TC_COUNT		(XMESH_TC_LAST + 1)

enum xmesh_tclass_stat {
	XMESH_TSTAT_PACKETS,
	XMESH_TSTAT_BYTES,
	XMESH_TSTAT_DROPS,
	XMESH_TSTAT_MAX
};

/* Per-CPU device counters, indexed by the uapi attribute numbers. */
struct xmesh_pcpu_stats {
	u64_stats_t counter[XMESH_COUNTER_A_MAX + 1];
	u64_stats_t drop[XMESH_DROP_A_MAX + 1];
	u64_stats_t tclass[XMESH_TC_COUNT][XMESH_TSTAT_MAX];
	struct u64_stats_sync syncp;
};

enum xmesh_neigh_stat {
	XMESH_NSTAT_TX_PACKETS,
	XMESH_NSTAT_TX_BYTES,
	XMESH_NSTAT_RX_PACKETS,
	XMESH_NSTAT_RX_BYTES,
	XMESH_NSTAT_DROPS,
	XMESH_NSTAT_MAX
};

struct xmesh_neigh_pcpu_stats {
	u64_stats_t stat[XMESH_NSTAT_MAX];
	struct u64_stats_sync syncp;
};

/*
 * rx lookup key: who sent a frame, and over which underlay interface (an
 * IPv6 link-local address is only unique per link). The UDP source port
 * is not part of it: it carries the flow hash, as vxlan's does, so the
 * underlay and transit nodes can spread flows. Zeroed before filling: it
 * is hashed whole.
 */
struct xmesh_neigh_key {
	union xmesh_addr addr;
	u16 family;
	u16 pad;
	int link;
};

/*
 * Replay window of a receive key: the highest counter accepted and which
 * of the XMESH_REPLAY_WINDOW counters below it were. The bitmap is a ring
 * of words indexed by counter / BITS_PER_LONG; one word more than the
 * window is kept so that advancing only ever clears whole words.
 */
#define XMESH_REPLAY_BITS	2048
#define XMESH_REPLAY_WORDS	(XMESH_REPLAY_BITS / BITS_PER_LONG)
#define XMESH_REPLAY_WINDOW	(XMESH_REPLAY_BITS - BITS_PER_LONG)

struct xmesh_replay {
	spinlock_t lock;
	u64 top;		/* highest counter accepted + 1; 0: none yet */
	unsigned long bitmap[XMESH_REPLAY_WORDS];
};

enum xmesh_key_stat {
	XMESH_KSTAT_PACKETS,
	XMESH_KSTAT_BYTES,
	XMESH_KSTAT_REPLAYED,
	XMESH_KSTAT_AUTH_FAILED,
	XMESH_KSTAT_MAX
};

struct xmesh_key_pcpu_stats {
	u64_stats_t stat[XMESH_KSTAT_MAX];
	struct u64_stats_sync syncp;
};

/* One session key of a neighbor (per hop) or a node (origin), one way. */
struct xmesh_key {
	struct list_head list;		/* in xdev->key_list, under lock */
	u32 owner;			/* neighbor id, or node id if origin */
	bool origin;			/* an origin key (origin.c) */
	u8 id;				/* key id on the wire, 1..255 */
	u8 dir;				/* enum xmesh_key_dir */
	atomic64_t tx_counter;		/* tx: counter of the next frame */
	struct xmesh_replay replay;	/* rx */
	struct xmesh_key_pcpu_stats __percpu *stats;
	struct rcu_head rcu;
	u8 key[XMESH_KEY_LEN];
};

/* The key slots of a neighbor, or of a node for origin keys. */
struct xmesh_key_slots {
	struct xmesh_key __rcu *tx;
	struct xmesh_key __rcu *rx[XMESH_MAX_RX_KEYS];
};

/*
 * The origin keys of one remote node (origin.c): created with its first
 * key, freed after a grace period once it has none.
 */
struct xmesh_origin {
	struct rhash_head node;		/* in xdev->origins */
	u32 node_id;
	struct xmesh_key_slots keys;
	struct rcu_head rcu;
};

/* One adjacency: a peer reached over one underlay interface. */
struct xmesh_neigh {
	struct rhash_head id_node;	/* in xdev->neighs_by_id */
	struct rhash_head key_node;	/* in xdev->neighs_by_key */
	struct list_head list;		/* in xdev->neigh_list, under lock */
	struct xmesh_dev *xdev;
	u32 id;
	u32 node;
	struct xmesh_neigh_key key;	/* remote address and link */
	union xmesh_addr local;
	__be16 port;			/* remote UDP port */
	u8 state;			/* enum xmesh_neigh_state, as set */
	bool carrier;			/* underlay link is up */
	unsigned int link_mtu;		/* underlay MTU, from the notifier */
	struct dst_cache dst_cache;
	struct xmesh_neigh_pcpu_stats __percpu *stats;
	u64 stats_base[XMESH_NSTAT_MAX];		/* carried over from a replaced one */
	struct xmesh_key_slots keys;
	struct rcu_head rcu;
};

static inline bool xmesh_neigh_usable(const struct xmesh_neigh *n)
{
	return READ_ONCE(n->state) == XMESH_NEIGH_UP && READ_ONCE(n->carrier);
}

/*
 * @neigh is cleared in place (WRITE_ONCE) when its neighbor is deleted and
 * repointed when the neighbor is replaced; a reader sees the old neighbor,
 * which stays valid for a grace period, the new one, or NULL.
 */
struct xmesh_nexthop {
	struct xmesh_neigh *neigh;
	u8 priority;
};

/* Published whole and replaced whole; only next hop pointers change in
 * place (see struct xmesh_nexthop).
 */
struct xmesh_route {
	struct rhash_head node;		/* in xdev->routes */
	struct list_head list;		/* in xdev->route_list, under lock */
	/* The hash key, struct xmesh_route_key: dst, tclass and zeroes. */
	u32 dst;
	u8 tclass;			/* 0: the default table */
	u8 key_pad[3];
	u8 n_nexthops;
	struct xmesh_nexthop nexthop[XMESH_MAX_NEXTHOPS];
	struct rcu_head rcu;
};

/*
 * Overlay prefix table: longest-prefix match over IPv4 and IPv6 prefixes.
 * One hash of (family, length, masked address) plus, per family, a count
 * of the prefixes of each length: a lookup probes only the lengths that
 * exist, longest first, which on a mesh is a handful.
 */
struct xmesh_prefix_key {
	union xmesh_addr addr;		/* host bits zero */
	u16 family;
	u8 len;
	u8 pad;
};

struct xmesh_prefix {
	struct rhash_head node;
	struct list_head list;		/* in table->list, under the writer lock */
	struct xmesh_prefix_key key;
	u32 node_id;
	struct rcu_head rcu;
};

/* The prefix lengths present in one family, longest first. */
struct xmesh_prefix_lens {
	struct rcu_head rcu;
	u8 n;
	u8 len[129];
};

struct xmesh_prefix_table {
	struct rhashtable hash;
	struct list_head list;
	unsigned int count;
	unsigned int len_count[2][129];	/* [0]: IPv4, [1]: IPv6 */
	struct xmesh_prefix_lens __rcu *lens[2];
};

/*
 * A traffic class's rate cap: GCRA, the virtual-scheduling form of a token
 * bucket, on one atomic "theoretical arrival time", so every CPU polices
 * with one cmpxchg and no lock. Settings change under xdev->lock and are
 * read with READ_ONCE.
 */
#define XMESH_POLICER_SHIFT	16	/* fixed point of ns_per_byte */

struct xmesh_policer {
	atomic64_t tat;		/* ns; the bucket is full when <= now */
	u64 ns_per_byte;	/* << XMESH_POLICER_SHIFT; 0: no cap */
	u64 tau;		/* burst tolerance, ns */
	u64 rate;		/* as set, bytes/s */
	u32 burst;		/* as set, bytes; 0: the default */
};

/* A classifier rule; zero fields match anything (see enum xmesh_qos_rule_a). */
struct xmesh_qos_rule {
	struct list_head list;		/* in qos.rule_list by id, under lock */
	struct rcu_head rcu;
	u32 id;
	u8 tclass;
	u8 protocol;
	u16 port_min;			/* destination ports; */
	u16 port_max;			/* port_max 0: any */
	u16 sport_min;			/* source ports; */
	u16 sport_max;			/* sport_max 0: any */
	struct xmesh_prefix_key prefix;	/* family 0: any destination */
};

/* What the packet path reads: the rules by id, replaced whole. */
struct xmesh_qos_rules {
	struct rcu_head rcu;
	unsigned int n;
	struct xmesh_qos_rule *rule[];
};

/* The parts of an inner packet rules look at. */
struct xmesh_qos_flow {
	u16 family;
	u8 protocol;
	u16 sport;			/* 0 if none or unknown */
	u16 dport;
	union xmesh_addr daddr;
};

struct xmesh_qos {
	u8 dscp_map[XMESH_QOS_DSCP_COUNT];	/* READ_ONCE per entry */
	u8 prio_map[XMESH_QOS_PRIO_COUNT];
	struct xmesh_policer policer[XMESH_TC_COUNT];
	struct xmesh_qos_rules __rcu *rules;	/* NULL when there are none */
	struct list_head rule_list;
	unsigned int n_rules;
};

/*
 * A table of u32 -> u32 (filter.c): the node table (node id -> zone and
 * roles, as in skb->mark) and the zone pair table ((from << 16) | to ->
 * enum xmesh_zone_action). Entries are immutable, replaced whole.
 */
struct xmesh_attr {
	struct rhash_head node;
	struct list_head list;		/* in table->list, under xdev->lock */
	u32 key;
	u32 value;
	struct rcu_head rcu;
};

struct xmesh_attr_table {
	struct rhashtable hash;
	struct list_head list;
	unsigned int count;
};

struct xmesh_filter {
	struct xmesh_attr_table nodes;
	struct xmesh_attr_table zone_pairs;
	u32 mark_mask;			/* READ_ONCE */
	u8 zone_default;		/* enum xmesh_zone_action, READ_ONCE */
	/* Whether any of the above can change a packet: the fast path. */
	bool active;			/* READ_ONCE */
};

/*
 * Multicast routes (mcast.c): (root node, group) -> the neighbors a
 * packet of the group from that root is copied to, and whether it is
 * delivered here. The branches are replaced whole under xdev->lock (but
 * for their neighbors' nodes, see there); the route itself, and so its
 * counters, stays.
 */
struct xmesh_mroute_key {
	union xmesh_addr group;
	u32 root;
	u16 family;
	u16 pad;
};

struct xmesh_mroute_branches {
	struct rcu_head rcu;
	u32 upstream;			/* node copies come from; 0: any */
	u32 shared_root;		/* a shared tree's core; 0: none */
	bool local;
	u8 n_neighs;
	u32 neigh[XMESH_MAX_MROUTE_NEIGHS];	/* neighbor ids */
	/* Their nodes: kept current by xmesh_mroutes_neigh_moved(), the one
	 * field written after publication (WRITE_ONCE/READ_ONCE).
	 */
	u32 neigh_node[XMESH_MAX_MROUTE_NEIGHS];
};

enum xmesh_mroute_stat {
	XMESH_MSTAT_TX_PACKETS,
	XMESH_MSTAT_TX_BYTES,
	XMESH_MSTAT_RX_PACKETS,
	XMESH_MSTAT_RX_BYTES,
	XMESH_MSTAT_DROPS,
	XMESH_MSTAT_MAX
};

struct xmesh_mroute_pcpu_stats {
	u64_stats_t stat[XMESH_MSTAT_MAX];
	struct u64_stats_sync syncp;
};

struct xmesh_mroute {
	struct rhash_head node;		/* in xdev->mroutes.hash */
	struct list_head list;		/* in xdev->mroutes.list, under lock */
	struct xmesh_mroute_key key;
	struct xmesh_mroute_branches __rcu *branches;
	struct xmesh_mroute_pcpu_stats __percpu *stats;
	struct rcu_head rcu;
};

struct xmesh_mroute_table {
	struct rhashtable hash;
	struct list_head list;
	unsigned int count;
};

/*
 * Crypto queues (queue.c, where their RCU and locking rules are): frames
 * sealed and opened on every CPU, then sent or delivered in order.
 */
#define XMESH_QUEUE_LEN		1024	/* frames per queue, as WireGuard */

/* A queued frame's state and what its stages need, in skb->cb. */
struct xmesh_queue_cb {
	atomic_t state;			/* enum xmesh_queue_state */
	int reason;			/* XMESH_DROP_A_*, when dead */
	u32 neigh_id;			/* looked up again in each stage */
	unsigned int len;		/* tx: bytes counted once sent */
	__be16 sport;
	u8 security;
	u8 tclass;			/* tx */
	u8 counter;			/* tx: XMESH_COUNTER_A_*_PACKETS or 0 */
	bool origin;			/* tx: origin-seal it first */
};

static inline struct xmesh_queue_cb *xmesh_queue_cb(struct sk_buff *skb)
{
	return (struct xmesh_queue_cb *)skb->cb;
}

struct xmesh_dev;
struct xmesh_queue;
typedef int (*xmesh_queue_crypt_fn)(struct xmesh_dev *xdev,
				    struct sk_buff *skb,
				    const struct xmesh_queue_cb *cb);
typedef void (*xmesh_queue_finish_fn)(struct xmesh_dev *xdev,
				      struct sk_buff *skb,
				      const struct xmesh_queue_cb *cb);

struct xmesh_crypt_worker {
	struct work_struct work;
	struct xmesh_queue *queue;
};

struct xmesh_queue {
	struct ptr_ring ring;		/* frames waiting for their crypto */
	struct sk_buff_head ordered;	/* the same frames, in order */
	struct work_struct ordered_work;
	struct xmesh_crypt_worker __percpu *worker;
	struct workqueue_struct *wq;
	struct xmesh_dev *xdev;
	xmesh_queue_crypt_fn crypt;
	xmesh_queue_finish_fn finish;
	int last_cpu;			/* round robin of the crypto workers */
	bool running;			/* READ_ONCE; producers queue while set */
};

/* A token bucket (oam.c); 1 token = NSEC_PER_SEC units of @tokens. */
struct xmesh_bucket {
	u64 tokens;
	u64 last_ns;			/* when it was last filled */
};

struct xmesh_dev {
	struct net_device *dev;
	struct mutex lock;		/* see "Locking rules" above */

	u32 node_id;
	__be16 port;
	u16 family;			/* AF_INET or AF_INET6 underlay */
	u8 hop_limit;
	u8 security;			/* enum xmesh_security */
	bool origin;			/* origin seals, XMESH_DEV_A_ORIGIN */

	struct sock __rcu *sock;	/* underlay UDP socket while up */

	struct rhashtable neighs_by_id;
	struct rhashtable neighs_by_key;
	struct list_head neigh_list;
	unsigned int n_neighs;

	struct rhashtable routes;
	struct list_head route_list;
	unsigned int n_routes;
	unsigned int n_class_routes;	/* of them, in a class's table */

	struct xmesh_prefix_table prefixes;

	struct list_head key_list;	/* per-hop and origin keys */
	unsigned int n_keys;
	struct rhashtable origins;	/* struct xmesh_origin by node */

	struct xmesh_qos qos;
	struct xmesh_filter filter;
	struct xmesh_mroute_table mroutes;

	u32 generation;			/* bumped by every change, for dumps */

	u32 oam_rate;			/* OAM answers per second; 0: no limit */
	spinlock_t oam_bucket_lock;	/* softirq only */
	struct xmesh_bucket oam_bucket;
	struct xmesh_bucket oam_event_bucket;	/* replies to userspace */
	bool dead;			/* uninit ran; tables are gone */

	struct xmesh_pcpu_stats __percpu *stats;
	struct gro_cells gro_cells;

	struct workqueue_struct *crypt_wq;
	struct xmesh_queue tx_queue;
	struct xmesh_queue rx_queue;
};

/* main.c */
extern struct rtnl_link_ops xmesh_link_ops;

/* device.c */
int xmesh_device_init(void);
void xmesh_device_uninit(void);
struct xmesh_dev *xmesh_dev_get(struct net *net, int ifindex,
				const char *ifname);
int xmesh_dev_set_underlay(struct xmesh_dev *xdev, __be16 port, u16 family);
void xmesh_dev_set_security(struct xmesh_dev *xdev, u8 security, bool origin);
unsigned int xmesh_overhead(u16 family, u8 security, bool origin);

static inline void xmesh_count(struct xmesh_dev *xdev, int counter, u64 n)
{
	struct xmesh_pcpu_stats *s = this_cpu_ptr(xdev->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->counter[counter], n);
	u64_stats_update_end(&s->syncp);
}

/* Count one event from process context (the packet path has BHs off). */
static inline void xmesh_count_process(struct xmesh_dev *xdev, int counter)
{
	local_bh_disable();
	xmesh_count(xdev, counter, 1);
	local_bh_enable();
}

static inline void xmesh_count_drop(struct xmesh_dev *xdev, int reason)
{
	struct xmesh_pcpu_stats *s = this_cpu_ptr(xdev->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->drop[reason]);
	u64_stats_update_end(&s->syncp);
}

void xmesh_stats_read(struct xmesh_dev *xdev, u64 *counters, u64 *drops);

/* socket.c */
int xmesh_socket_open(struct xmesh_dev *xdev, __be16 port, u16 family);
void xmesh_socket_close(struct xmesh_dev *xdev);
int xmesh_socket_send(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
		      struct sk_buff *skb, __be16 sport, u8 tos);

/* neigh.c */
int xmesh_neighs_init(struct xmesh_dev *xdev);
void xmesh_neighs_uninit(struct xmesh_dev *xdev);
struct xmesh_neigh *xmesh_neigh_lookup_id(struct xmesh_dev *xdev, u32 id);
struct xmesh_neigh *xmesh_neigh_lookup_key(struct xmesh_dev *xdev,
					   const struct xmesh_neigh_key *key);
struct xmesh_neigh *xmesh_neigh_lookup_id_locked(struct xmesh_dev *xdev,
						 u32 id);
struct xmesh_neigh *
xmesh_neigh_lookup_key_locked(struct xmesh_dev *xdev,
			      const struct xmesh_neigh_key *key);
struct xmesh_neigh *xmesh_neigh_alloc(struct xmesh_dev *xdev, u32 id);
void xmesh_neigh_free(struct xmesh_neigh *neigh);
int xmesh_neigh_insert(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
		       bool replace);
void xmesh_neigh_remove(struct xmesh_dev *xdev, struct xmesh_neigh *neigh);
void xmesh_neigh_flush(struct xmesh_dev *xdev);
void xmesh_neigh_set_state(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
			   u8 state);
void xmesh_neighs_link_event(struct xmesh_dev *xdev,
			     struct net_device *lower, bool gone);
void xmesh_neigh_link_read(struct xmesh_neigh *neigh, struct net *net);
void xmesh_neigh_stats_read(const struct xmesh_neigh *neigh,
			    u64 stats[XMESH_NSTAT_MAX]);

/* Count one packet of @bytes on @neigh: @stat is a *_PACKETS or DROPS. */
static inline void xmesh_neigh_count(struct xmesh_neigh *neigh,
				     enum xmesh_neigh_stat stat,
				     unsigned int bytes)
{
	struct xmesh_neigh_pcpu_stats *s = this_cpu_ptr(neigh->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->stat[stat]);
	if (stat != XMESH_NSTAT_DROPS)
		u64_stats_add(&s->stat[stat + 1], bytes);
	u64_stats_update_end(&s->syncp);
}

/* key.c */
struct xmesh_key *xmesh_key_alloc(u32 owner, bool origin, u8 id, u8 dir,
				  const u8 bytes[XMESH_KEY_LEN]);
void xmesh_key_free(struct xmesh_key *key);
struct xmesh_key *xmesh_key_find(struct xmesh_dev *xdev,
				 struct xmesh_key_slots *slots, u8 dir, u8 id);
struct xmesh_key *xmesh_key_tx(struct xmesh_dev *xdev,
			       struct xmesh_key_slots *slots);
unsigned int xmesh_key_rx_count(struct xmesh_dev *xdev,
				struct xmesh_key_slots *slots);
struct xmesh_key_slots *xmesh_key_owner_slots(struct xmesh_dev *xdev,
					      u32 owner, bool origin);
int xmesh_key_insert(struct xmesh_dev *xdev, struct xmesh_key *key);
void xmesh_key_remove(struct xmesh_dev *xdev, struct xmesh_key *key);
void xmesh_keys_neigh_gone(struct xmesh_dev *xdev, struct xmesh_neigh *neigh);
void xmesh_keys_neigh_moved(struct xmesh_dev *xdev, struct xmesh_neigh *old,
			    struct xmesh_neigh *new);
void xmesh_keys_flush(struct xmesh_dev *xdev);
void xmesh_key_stats_read(const struct xmesh_key *key,
			  u64 stats[XMESH_KSTAT_MAX]);
u64 xmesh_key_counter(struct xmesh_key *key);
bool xmesh_replay_check(struct xmesh_replay *r, u64 counter);

/* The receive key of id @id in @slots, or NULL; RCU read side. */
static inline struct xmesh_key *
xmesh_key_rx(const struct xmesh_key_slots *slots, u8 id)
{
	struct xmesh_key *key;
	int i;

	for (i = 0; i < XMESH_MAX_RX_KEYS; i++) {
		key = rcu_dereference(slots->rx[i]);
		if (key && key->id == id)
			return key;
	}
	return NULL;
}

static inline void xmesh_key_count(struct xmesh_key *key,
				   enum xmesh_key_stat stat, unsigned int bytes)
{
	struct xmesh_key_pcpu_stats *s = this_cpu_ptr(key->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->stat[stat]);
	if (stat == XMESH_KSTAT_PACKETS)
		u64_stats_add(&s->stat[XMESH_KSTAT_BYTES], bytes);
	u64_stats_update_end(&s->syncp);
}

/* origin.c */
int xmesh_origins_init(struct xmesh_dev *xdev);
void xmesh_origins_uninit(struct xmesh_dev *xdev);
struct xmesh_origin *xmesh_origin_lookup(struct xmesh_dev *xdev, u32 node);
struct xmesh_origin *xmesh_origin_lookup_locked(struct xmesh_dev *xdev,
						u32 node);
struct xmesh_origin *xmesh_origin_get(struct xmesh_dev *xdev, u32 node);
void xmesh_origin_put(struct xmesh_dev *xdev, struct xmesh_origin *o);

/* crypto.c */
int xmesh_seal(struct sk_buff *skb, struct xmesh_key *key, bool auth_only);
int xmesh_unseal(struct sk_buff *skb, const struct xmesh_key_slots *slots,
		 u8 security);
int xmesh_origin_seal(struct sk_buff *skb, struct xmesh_key *key,
		      bool auth_only);
int xmesh_origin_open(struct sk_buff *skb, const struct xmesh_key_slots *slots,
		      u8 security);
void xmesh_auth_tag(struct sk_buff *skb, unsigned int off,
		    unsigned int ad_len, const void *pre,
		    unsigned int pre_len, u64 counter,
		    const u8 key[XMESH_KEY_LEN], u8 tag[XMESH_TAG_LEN]);

/* queue.c */
int xmesh_queues_init(struct xmesh_dev *xdev);
void xmesh_queues_uninit(struct xmesh_dev *xdev);
int xmesh_queue_init(struct xmesh_queue *q, struct xmesh_dev *xdev,
		     struct workqueue_struct *wq, xmesh_queue_crypt_fn crypt,
		     xmesh_queue_finish_fn finish);
void xmesh_queue_stop(struct xmesh_queue *q);
void xmesh_queue_uninit(struct xmesh_queue *q);
bool xmesh_queue_wanted(const struct xmesh_queue *q);
int xmesh_queue_add(struct xmesh_queue *q, struct sk_buff *skb);

/* route.c */
int xmesh_routes_init(struct xmesh_dev *xdev);
void xmesh_routes_uninit(struct xmesh_dev *xdev);
struct xmesh_route *xmesh_route_lookup(struct xmesh_dev *xdev, u32 dst,
				       u8 tclass);
struct xmesh_route *xmesh_route_lookup_locked(struct xmesh_dev *xdev, u32 dst,
					      u8 tclass);
struct xmesh_route *xmesh_route_alloc(u32 dst);
void xmesh_route_free(struct xmesh_route *rt);
int xmesh_route_insert(struct xmesh_dev *xdev, struct xmesh_route *rt,
		       bool replace);
void xmesh_route_remove(struct xmesh_dev *xdev, struct xmesh_route *rt);
void xmesh_routes_flush(struct xmesh_dev *xdev);
struct xmesh_neigh *xmesh_route_select(const struct xmesh_route *rt,
				       u32 hash);
unsigned long xmesh_route_active(const struct xmesh_route *rt);
void xmesh_routes_neigh_changing(struct xmesh_dev *xdev,
				 struct xmesh_neigh *neigh, bool usable);
void xmesh_routes_repoint_neigh(struct xmesh_dev *xdev,
				struct xmesh_neigh *old,
				struct xmesh_neigh *new);

/* prefix.c */
int xmesh_prefix_table_init(struct xmesh_prefix_table *t);
void xmesh_prefix_table_uninit(struct xmesh_prefix_table *t);
int xmesh_prefix_insert(struct xmesh_prefix_table *t,
			const struct xmesh_prefix_key *key, u32 node_id,
			bool replace);
int xmesh_prefix_remove(struct xmesh_prefix_table *t,
			const struct xmesh_prefix_key *key);
struct xmesh_prefix *xmesh_prefix_find(struct xmesh_prefix_table *t,
				       const struct xmesh_prefix_key *key);
void xmesh_prefix_delete(struct xmesh_prefix_table *t, struct xmesh_prefix *p);
void xmesh_prefix_flush(struct xmesh_prefix_table *t);
u32 xmesh_prefix_lookup(struct xmesh_prefix_table *t, u16 family,
			const union xmesh_addr *addr);
bool xmesh_prefix_key_valid(const struct xmesh_prefix_key *key);

/* wire.c */
int xmesh_hdr_validate(const struct xmesh_hdr *hdr, unsigned int len);
void xmesh_hdr_init(struct xmesh_hdr *hdr, u8 type, u8 hop_limit, u8 tclass,
		    u32 src, u32 dst);
bool xmesh_oam_is_link(u8 op);
int xmesh_oam_link_validate(const struct xmesh_hdr *hdr, u32 self, u32 peer);

/* send.c */
netdev_tx_t xmesh_xmit(struct sk_buff *skb, struct net_device *dev);
struct xmesh_neigh *xmesh_next_hop(struct xmesh_dev *xdev, u32 dst, u8 tclass,
				   u32 hash, int *drop_reason);
int xmesh_send_frame(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
		     struct sk_buff *skb, __be16 sport);
int __xmesh_send_frame(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
		       struct sk_buff *skb, __be16 sport, u8 security,
		       bool origin, int counter, unsigned int len);
int xmesh_send_crypt(struct xmesh_dev *xdev, struct sk_buff *skb,
		     const struct xmesh_queue_cb *cb);
void xmesh_send_finish(struct xmesh_dev *xdev, struct sk_buff *skb,
		       const struct xmesh_queue_cb *cb);

/* receive.c */
int xmesh_udp_recv(struct sock *sk, struct sk_buff *skb);
int xmesh_recv_crypt(struct xmesh_dev *xdev, struct sk_buff *skb,
		     const struct xmesh_queue_cb *cb);
void xmesh_recv_finish(struct xmesh_dev *xdev, struct sk_buff *skb,
		       const struct xmesh_queue_cb *cb);

/* oam.c */
int xmesh_oam_send(struct xmesh_dev *xdev, u32 dst, u16 ident, u32 seq,
		   u8 hop_limit);
int xmesh_oam_send_link(struct xmesh_dev *xdev, u32 neigh_id, u32 *node,
			u16 ident, u32 seq);
int xmesh_oam_recv(struct xmesh_dev *xdev, struct sk_buff *skb);
int xmesh_oam_link_recv(struct xmesh_dev *xdev, struct xmesh_neigh *neigh,
			struct sk_buff *skb);
void xmesh_oam_answer(struct xmesh_dev *xdev, struct sk_buff *skb, u8 op);
bool xmesh_bucket_take(struct xmesh_bucket *b, u32 rate, u32 burst, u64 now);
u32 xmesh_oam_burst(u32 rate);

/* qos.c */
void xmesh_qos_init(struct xmesh_dev *xdev);
void xmesh_qos_uninit(struct xmesh_dev *xdev);
extern const u8 xmesh_qos_dscp_map_default[XMESH_QOS_DSCP_COUNT];
bool xmesh_tclass_valid(u8 tclass);
u8 xmesh_tclass_sent(u8 tclass);
u8 xmesh_tclass_dscp(u8 tclass);
u32 xmesh_tclass_priority(u8 tclass);
u8 xmesh_qos_classify(struct xmesh_dev *xdev, struct sk_buff *skb,
		      u16 family, const union xmesh_addr *daddr);
bool xmesh_qos_rule_matches(const struct xmesh_qos_rule *rule,
			    const struct xmesh_qos_flow *flow);
bool xmesh_proto_has_ports(u8 protocol);
u8 xmesh_qos_rules_lookup(const struct xmesh_qos_rules *rules,
			  const struct xmesh_qos_flow *flow);
bool xmesh_gcra(u64 tat, u64 now, u64 cost, u64 tau, u64 *next);
u64 xmesh_policer_cost(u64 ns_per_byte, unsigned int len);
void xmesh_policer_config(u64 rate, u32 burst, u64 *ns_per_byte, u64 *tau);
void xmesh_qos_set_rate(struct xmesh_dev *xdev, u8 tclass, u64 rate,
			u32 burst);
u32 xmesh_qos_burst(const struct xmesh_policer *p);
int xmesh_qos_tx(struct xmesh_dev *xdev, struct sk_buff *skb, u8 tclass);
void xmesh_qos_stats_read(struct xmesh_dev *xdev,
			  u64 stats[XMESH_TC_COUNT][XMESH_TSTAT_MAX]);
struct xmesh_qos_rule *xmesh_qos_rule_find(struct xmesh_dev *xdev, u32 id);
int xmesh_qos_rule_insert(struct xmesh_dev *xdev, struct xmesh_qos_rule *rule,
			  bool replace);
void xmesh_qos_rule_remove(struct xmesh_dev *xdev,
			   struct xmesh_qos_rule *rule);
void xmesh_qos_rules_flush(struct xmesh_dev *xdev);

/* filter.c */
int xmesh_filter_init(struct xmesh_dev *xdev);
void xmesh_filter_uninit(struct xmesh_dev *xdev);
struct xmesh_attr *xmesh_attr_alloc(u32 key, u32 value);
struct xmesh_attr *xmesh_attr_find(struct xmesh_attr_table *t, u32 key);
int xmesh_attr_insert(struct xmesh_dev *xdev, struct xmesh_attr_table *t,
		      struct xmesh_attr *a, bool replace);
void xmesh_attr_remove(struct xmesh_dev *xdev, struct xmesh_attr_table *t,
		       struct xmesh_attr *a);
void xmesh_attr_flush(struct xmesh_dev *xdev, struct xmesh_attr_table *t);
void xmesh_filter_set(struct xmesh_dev *xdev, u32 mark_mask, u8 zone_default);
u32 xmesh_filter_mark(u32 mark, u32 mask, u32 attrs);
bool xmesh_zone_allowed(struct xmesh_dev *xdev, u16 from, u16 to);
int xmesh_filter_check(struct xmesh_dev *xdev, u32 src, u32 dst,
		       bool authenticated, u32 *src_attrs);

static inline u32 xmesh_node_attrs_value(u16 zone, u16 roles)
{
	return (u32)zone << XMESH_MARK_ZONE_SHIFT | roles;
}

static inline u32 xmesh_zone_pair_key(u16 from, u16 to)
{
	return (u32)from << 16 | to;
}

/* mcast.c */
int xmesh_mroutes_init(struct xmesh_dev *xdev);
void xmesh_mroutes_uninit(struct xmesh_dev *xdev);
bool xmesh_mcast_group(u16 family, const union xmesh_addr *addr);
bool xmesh_mroute_key_valid(const struct xmesh_mroute_key *key);
struct xmesh_mroute *xmesh_mroute_lookup(struct xmesh_dev *xdev,
					 const struct xmesh_mroute_key *key);
struct xmesh_mroute *xmesh_mroute_alloc(const struct xmesh_mroute_key *key,
					const struct xmesh_mroute_branches *br);
void xmesh_mroute_free(struct xmesh_mroute *mr);
int xmesh_mroute_insert(struct xmesh_dev *xdev, struct xmesh_mroute *mr,
			bool replace);
void xmesh_mroute_remove(struct xmesh_dev *xdev, struct xmesh_mroute *mr);
void xmesh_mroutes_neigh_moved(struct xmesh_dev *xdev,
			       const struct xmesh_neigh *old,
			       const struct xmesh_neigh *neigh);
void xmesh_mroutes_flush(struct xmesh_dev *xdev);
void xmesh_mroute_stats_read(const struct xmesh_mroute *mr,
			     u64 stats[XMESH_MSTAT_MAX]);
u32 xmesh_mcast_rpf(const struct xmesh_mroute_branches *br, u32 from_node,
		    u32 from_neigh);
struct sk_buff *xmesh_mcast_copy(struct xmesh_dev *xdev,
				 struct xmesh_mroute *mr, struct sk_buff **skb,
				 bool last);
unsigned int xmesh_mcast_targets(const struct xmesh_mroute_branches *br,
				 u32 from_neigh, u32 from_node, u8 hop_limit,
				 bool origin, u32 *neigh, bool *local,
				 unsigned int *hop_drops);
void xmesh_mroute_count(struct xmesh_mroute *mr, enum xmesh_mroute_stat stat,
			unsigned int bytes);

/* netlink.c */
int xmesh_genl_init(void);
void xmesh_genl_uninit(void);
void xmesh_genl_notify_neigh(struct xmesh_dev *xdev, struct xmesh_neigh *n,
			     bool deleted);
void xmesh_genl_notify_route(struct xmesh_dev *xdev, struct xmesh_route *rt,
			     unsigned long active, bool deleted);
void xmesh_genl_notify_oam(struct xmesh_dev *xdev, const struct xmesh_oam *oam,
			   u8 hop_limit, const struct xmesh_neigh *neigh);

#endif /* _XMESH_PRIV_H */
