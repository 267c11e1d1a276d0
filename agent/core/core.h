/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xmeshd protocol core: discovery, neighbor health, link-state
 * database, metric and paths, as pure code.
 *
 * It does no I/O and reads no clock. Its user (the daemon's epoll shell,
 * the simulator, the unit tests) feeds it events with the time they
 * happened (now, in milliseconds of a monotonic clock), calls
 * xm_core_timer() when xm_core_next_timer() says, and carries out the
 * actions it queues (xm_core_action()): send these bytes, probe this
 * neighbor, program these neighbors and routes into the kernel.
 *
 * Everything the kernel needs is the core's "desired tables"
 * (xm_core_fib()): whenever they change, an XM_ACT_FIB action says so and
 * the user brings the kernel in line with one batched diff (fib.h).
 *
 * Documentation/protocol.md describes the messages and the rules;
 * Documentation/xmeshd.md the metric, the timers and their defaults.
 */
#ifndef XM_CORE_H
#define XM_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xmesh_parse.h"	/* struct xm_addr */

#define XM_ROLE_MAX		8	/* roles per node */
#define XM_NAME_MAX		32	/* a role, a zone or a node name, with NUL */
#define XM_LINK_MAX		16	/* underlay links per node */
#define XM_PREFIX_MAX		16	/* overlay prefixes a node advertises */
#define XM_MGROUP_MAX		8	/* multicast groups a node joins */
#define XM_SITE_KEY_LEN		32	/* bytes of the site's shared key */
#define XM_PUBKEY_LEN		32	/* a node's Ed25519 public key */

typedef uint64_t xm_time;		/* ms of a monotonic clock */
#define XM_NEVER		UINT64_MAX

/* What a node advertises about itself (hello and link-state advert). */
struct xm_caps {
	char name[XM_NAME_MAX];		/* hostname, informational */
	char zone[XM_NAME_MAX];		/* "" = the default zone */
	unsigned int n_roles;
	char roles[XM_ROLE_MAX][XM_NAME_MAX];
	uint16_t cpu_cores;
	uint16_t cpu_load;		/* 1-min load average x 100 */
	uint32_t mem_total_mb, mem_free_mb;
	uint32_t disk_total_gb, disk_free_gb;
};

struct xm_prefix4or6 {
	struct xm_addr addr;
	uint8_t len;
};

/* A multicast group a node takes part in (Documentation/multicast.md). */
#define XM_MGROUP_RECV		0x1	/* deliver the group here */
#define XM_MGROUP_SEND		0x2	/* send to it: root a tree */
#define XM_MGROUP_FLAGS		(XM_MGROUP_RECV | XM_MGROUP_SEND)

struct xm_mgroup {
	struct xm_addr group;
	uint8_t flags;			/* XM_MGROUP_*, not 0 */
};

/* Health-check timing (Documentation/xmeshd.md lists the profiles). */
struct xm_timers {
	uint32_t hello_ms;		/* 1000 */
	uint32_t dead_ms;		/* no hello for this long: down; 3500 */
	uint32_t probe_ms;		/* 50 */
	uint32_t probe_miss;		/* consecutive losses: down; 3 */
	uint32_t holddown_ms;		/* a returning neighbor waits; 2000 */
	uint32_t holddown_max_ms;	/* doubled per flap up to this; 30000 */
	/* SPF back-off (RFC 8405's initial, short, long delays): 0 / 50 /
	 * 5000 */
	uint32_t spf_initial_ms;
	uint32_t spf_hold_ms;
	uint32_t spf_max_ms;
	uint32_t lsa_min_ms;		/* at most one origination per; 100 */
	uint32_t lsa_refresh_s;		/* re-originate unchanged; 1800 */
	uint32_t lsa_max_age_s;		/* forget an unrefreshed one; 3600 */
	uint32_t rexmit_ms;		/* unacked advert resent; 500 */
	uint32_t purge_after_s;		/* unreachable originator; 60 */
	uint32_t sync_hold_ms;		/* after the last link added at start,
					 * before programming; 4000 */
	uint32_t lsa_max_ms;		/* origination backoff up to; 5000
					 * (0 or below lsa_min_ms: none) */
};

/* The metric this node advertises for its adjacencies to a node. */
struct xm_metric_override {
	uint32_t node;			/* the neighbor node */
	uint32_t metric;		/* 1 .. XM_METRIC_MAX (drained) */
};

#define XM_METRIC_OVERRIDE_MAX	64

/*
 * The paths of one traffic class (Documentation/classes.md): the metric
 * its routes minimize, a hop limit and the zones it may cross. A class
 * whose settings are all the default's uses the default routes; any other
 * gets a table of its own (core/classes.h).
 */
enum xm_class_metric {
	XM_CLASS_METRIC_DEFAULT,	/* the adjacencies' advertised cost */
	XM_CLASS_METRIC_LATENCY,	/* one-way delay x loss */
	XM_CLASS_METRIC_BANDWIDTH,	/* 100000 / Mb/s x loss */
	XM_CLASS_METRIC_MIX,		/* latency_weight % of the one */
};
/* Their names, in the configuration, the policy and the tool. */
#define XM_CLASS_METRIC_NAMES { "default", "latency", "bandwidth", "mix" }

#define XM_CLASS_ZONES_MAX	8
#define XM_CLASSES		4	/* bulk .. network-control */

struct xm_class_path {
	uint8_t metric;			/* enum xm_class_metric */
	uint8_t latency_weight;		/* MIX: 0-100, the rest bandwidth */
	uint8_t max_hops;		/* 0: the policy's */
	unsigned int n_zones;		/* 0: any (but excluded zones) */
	char zones[XM_CLASS_ZONES_MAX][XM_NAME_MAX];	/* may transit */
};

/* Path policy (the configuration's, and the controller's over it). */
struct xm_policy {
	uint8_t max_hops;		/* 0: no limit */
	unsigned int n_excluded_zones;	/* never transit these zones */
	char excluded_zones[8][XM_NAME_MAX];
	/*
	 * Drain and reweight (Documentation/policy.md): a drained node
	 * advertises every adjacency at XM_METRIC_MAX, so that it carries
	 * transit traffic only when no other path exists; an override sets
	 * the metric of its adjacencies to one neighbor node (a drained link
	 * is one at XM_METRIC_MAX). Measured metrics and their hysteresis
	 * go on underneath, and come back when an override goes.
	 */
	bool drained;
	unsigned int n_overrides;
	struct xm_metric_override overrides[XM_METRIC_OVERRIDE_MAX];
	/* Per traffic class, index tclass - 1 (bulk first). */
	struct xm_class_path classes[XM_CLASSES];
};

/* The metric of an adjacency to node measured at measured, under p. */
uint32_t xm_policy_adj_metric(const struct xm_policy *p, uint32_t node,
			      uint32_t measured);

struct xm_core_config {
	uint32_t node_id;		/* not 0; also the kernel's node id */
	uint8_t site_key[XM_SITE_KEY_LEN];
	uint8_t pubkey[XM_PUBKEY_LEN];	/* advertised; identity in issue 5 */
	uint16_t data_port;		/* the kernel's UDP port (7600) */
	struct xm_caps caps;
	unsigned int n_prefixes;
	struct xm_prefix4or6 prefixes[XM_PREFIX_MAX];
	/* Per prefix: 0 a plain one, else a probed export's priority (lower
	 * preferred; export.h). */
	uint16_t prefix_prio[XM_PREFIX_MAX];
	unsigned int n_mgroups;
	struct xm_mgroup mgroups[XM_MGROUP_MAX];
	struct xm_timers timers;
	struct xm_policy policy;
	uint64_t boot_id;		/* seeds message sequence numbers so a
					 * restarted agent's are larger:
					 * e.g. wall-clock seconds at start;
					 * below 2^32 (sequence: boot_id << 32) */
	/*
	 * With certificates (issue 5): the key exchange (kx.h), created and
	 * freed by the user, and the wall-clock seconds at xm_core_new()'s
	 * now (certificate validity). NULL: neighbors are authenticated by
	 * the site key alone and no kernel keys are installed.
	 */
	struct xm_kx *kx;
	uint64_t unix_s;
	/* End-to-end origin seals (origin.h), with kx only: origin keys for
	 * every node with a certificate, a new generation every
	 * origin_rekey_ms. */
	bool origin;
	uint32_t origin_rekey_ms;
};

/* The defaults of Documentation/xmeshd.md. */
void xm_timers_default(struct xm_timers *t);

/*
 * The first rule of the core's a configuration breaks, in words (e.g.
 * "dead_ms must be greater than hello_ms"), or NULL if it breaks none:
 * xm_core_new() fails with EINVAL exactly when this is not NULL.
 */
const char *xm_timers_check(const struct xm_timers *t);
const char *xm_prefixes_check(const struct xm_prefix4or6 *p, unsigned int n);
const char *xm_core_config_check(const struct xm_core_config *cfg);

/* An underlay interface the agent runs on. */
struct xm_link_info {
	uint32_t ifindex;
	char ifname[16];
	struct xm_addr local;		/* the address hellos go from */
	uint32_t bandwidth_mbps;	/* configured, else ethtool, else 1000 */
	bool carrier;
};

/* ---- results the user reads ---- */

enum xm_neigh_state {
	XM_NEIGH_INIT,		/* heard, it has not heard us yet */
	XM_NEIGH_TWOWAY,	/* both hear each other; probing */
	XM_NEIGH_UP,		/* probes answered: carries traffic */
	XM_NEIGH_HOLDDOWN,	/* went down; waits before it may come up */
};

/* One neighbor on one link, as `xmesh neigh show` shows it. */
struct xm_neigh_status {
	uint32_t id;			/* kernel neighbor id (not 0) */
	uint32_t node;
	uint32_t ifindex;
	struct xm_addr local, remote;
	uint16_t port;			/* its data port */
	enum xm_neigh_state state;
	uint32_t srtt_us, rttvar_us;	/* smoothed RTT and jitter */
	uint32_t loss_ppm;		/* probes lost, per million, recent */
	uint32_t metric;		/* advertised cost of this adjacency */
	xm_time last_hello, last_probe_reply;
	uint32_t flaps;
	bool authenticated;		/* by its certificate, or none in use */
};

/* A node in the link-state database. */
struct xm_node_status {
	uint32_t node;
	struct xm_caps caps;
	uint32_t lsa_seq;
	uint16_t lsa_age_s;
	bool reachable;
	uint32_t cost;			/* from this node; UINT32_MAX if not */
	uint8_t hops;
	unsigned int n_prefixes;
	struct xm_prefix4or6 prefixes[XM_PREFIX_MAX];
	uint16_t prefix_prio[XM_PREFIX_MAX];	/* as xm_core_config's */
	unsigned int n_mgroups;
	struct xm_mgroup mgroups[XM_MGROUP_MAX];
};

/* One directed adjacency as advertised by its originator. */
struct xm_edge {
	uint32_t from, to;
	uint32_t metric;
	uint32_t rtt_us, loss_ppm, bandwidth_mbps;
};

#define XM_PATH_MAX	64
struct xm_path {
	unsigned int n_hops;		/* 0: unreachable (or the node itself) */
	uint32_t node[XM_PATH_MAX + 1];	/* node[0] is this node */
	uint32_t cost[XM_PATH_MAX + 1];	/* cumulative cost at node[i] */
};

/* The kernel tables the core wants (fib.h diffs them against the kernel). */
struct xm_fib_neigh {
	uint32_t id, node, ifindex;
	struct xm_addr local, remote;
	uint16_t port;
	bool up;
};

struct xm_fib_nexthop {
	uint32_t neigh;
	uint8_t priority;		/* 0: primary (ECMP), 1..: backups */
};

struct xm_fib_route {
	uint32_t dst;
	uint8_t tclass;			/* a class's table; 0: the default */
	unsigned int n_nexthops;
	struct xm_fib_nexthop nexthop[8];	/* XMESH_MAX_NEXTHOPS */
};

struct xm_fib_prefix {
	struct xm_prefix4or6 prefix;
	uint32_t node;
};

/* This node's part of the multicast tree of (root, group). */
struct xm_fib_mroute {
	uint32_t root;
	struct xm_addr group;
	bool local;
	uint32_t upstream;		/* parent node in the tree; 0 at the root */
	uint32_t shared_root;		/* a shared tree's core; 0: source tree */
	unsigned int n_neighs;
	uint32_t neigh[16];		/* XMESH_MAX_MROUTE_NEIGHS */
	/* Children left out past the 16 (not installed; not compared). */
	unsigned int n_cut;
};

struct xm_fib {
	size_t n_neighs, n_routes, n_prefixes;
	struct xm_fib_neigh *neighs;	/* sorted by id */
	struct xm_fib_route *routes;	/* sorted by dst, then tclass */
	struct xm_fib_prefix *prefixes;	/* sorted by family, addr, len */
	size_t n_mroutes;
	struct xm_fib_mroute *mroutes;	/* sorted by root, group */
};

/* ---- actions the user carries out ---- */

enum xm_action_type {
	XM_ACT_SEND,		/* send msg on link to dst (multicast or unicast) */
	XM_ACT_PROBE,		/* kernel link probe through neighbor `neigh` */
	XM_ACT_FIB,		/* the desired tables changed: sync the kernel */
	XM_ACT_NEIGH_DOWN,	/* urgent: mark kernel neighbor down now,
				 * before any recomputation */
	XM_ACT_EVENT,		/* something for logs and `xmesh monitor` */
	XM_ACT_KEY,		/* install (key_del: delete) the kernel key
				 * (neigh, key_id, key_dir); the bytes of an
				 * install from xm_core_key_get() */
};

#define XM_PDU_MAX	1400	/* bytes of one message on the wire */

/* How much an EVENT matters; 0 (a zeroed action) is INFO. */
enum xm_event_level {
	XM_EV_INFO = 0,		/* state changes: neighbor up/down, node
				 * reachable/unreachable, tables ready */
	XM_EV_DEBUG,		/* routine: SPF runs, periodic refreshes */
	XM_EV_WARN,		/* refusals: limits hit, bad tags, replays */
	XM_EV_ERROR,
};

struct xm_action {
	enum xm_action_type type;
	enum xm_event_level level;	/* EVENT */
	uint32_t ifindex;		/* SEND: the link */
	struct xm_addr dst;		/* SEND: family 0 = the link's group */
	uint16_t len;			/* SEND */
	uint8_t key_id, key_dir;	/* KEY: key_dir enum xmesh_key_dir */
	bool key_del;			/* KEY */
	bool key_origin;		/* KEY: an origin key; neigh is its
					 * remote node */
	uint8_t msg[XM_PDU_MAX];	/* SEND */
	uint32_t neigh;			/* PROBE, NEIGH_DOWN */
	uint32_t seq;			/* PROBE: echoed in the result */
	char text[160];			/* EVENT: one line, no newline */
};

/* Counters of everything the core refused or noticed. */
struct xm_core_stats {
	uint64_t rx_msgs, tx_msgs;
	uint64_t rx_bad_auth;		/* tag did not verify: forged/altered */
	uint64_t rx_replayed;		/* sequence seen or too old */
	uint64_t rx_malformed;		/* bad header or TLV */
	uint64_t rx_bad_version;
	uint64_t rx_own;		/* our own node id: a loop or a clone */
	uint64_t rx_unknown_link;
	uint64_t rx_no_neigh;		/* LSU/LSACK from no live neighbor,
					 * hello on a link without carrier */
	uint64_t lsa_rx, lsa_tx, lsa_acked, lsa_rexmit, lsa_stale;
	uint64_t lsa_originated, lsa_purged;
	uint64_t lsa_bad_sig;		/* with certificates: an advert without
					 * a valid certificate of its
					 * originator and its signature */
	uint64_t lsa_bad_claim;		/* ... signed, claiming a zone or roles
					 * its certificate does not give */
	uint64_t spf_runs;
	uint64_t neigh_up, neigh_down, probes_tx, probes_lost, probes_unsent;
	uint64_t probes_late;		/* answered after being counted lost */
	uint64_t probes_stalled;	/* due while the agent was not run */
	uint64_t probes_unheard;	/* probe_miss lost while no neighbor
					 * answered: not taken down (neigh.c) */
	uint64_t neigh_down_undone;	/* probes taken for lost answered late:
					 * the holddown lifted (neigh.c) */
	uint64_t limit_hits;		/* every refusal for lack of room: the
					 * sum of limit_neighbors .. nomem */
	uint64_t limit_neighbors;	/* neighbor table or a link's full, or
					 * every kernel neighbor id in use */
	uint64_t limit_lsdb;		/* an originator refused: database full */
	uint64_t lsdb_evicted;		/* ... or, in its place, the originator
					 * unreachable the longest forgotten */
	uint64_t replay_evicted;	/* the least recent replay window sender
					 * forgotten for a new one */
	uint64_t limit_actions;		/* an action dropped: queue full */
	uint64_t adj_cut;		/* our advert: adjacencies left out */
	uint64_t limit_kx_keys;		/* a key not installed: slots full */
	uint64_t limit_links;		/* a link refused: XM_LINK_MAX */
	uint64_t limit_seq;		/* our advert sequence exhausted */
	uint64_t limit_advert;		/* an advert too big to send, dropped */
	uint64_t nomem;			/* an allocation failed */
	uint64_t events_dropped;	/* events past their half of the action
					 * queue (XM_EVENTS_MAX) */
};

struct xm_core;

struct xm_core *xm_core_new(const struct xm_core_config *cfg, xm_time now);
void xm_core_free(struct xm_core *c);

/* ---- events ---- */

/* Links: add (or update its address, bandwidth), carrier, remove. */
int xm_core_link_set(struct xm_core *c, xm_time now,
		     const struct xm_link_info *link);
void xm_core_link_carrier(struct xm_core *c, xm_time now, uint32_t ifindex,
			  bool up);
void xm_core_link_del(struct xm_core *c, xm_time now, uint32_t ifindex);

/* A datagram that arrived on ifindex from `from` (port included in nothing:
 * messages carry the sender's data port). Bad input is counted, never
 * trusted. */
void xm_core_recv(struct xm_core *c, xm_time now, uint32_t ifindex,
		  const struct xm_addr *from, const void *buf, size_t len);

/* The answer to XM_ACT_PROBE (neigh, seq), with the kernel-measured RTT.
 * A probe with no answer is never reported: the core times it out. */
void xm_core_probe_reply(struct xm_core *c, xm_time now, uint32_t neigh,
			 uint32_t seq, uint32_t rtt_us);

/* XM_ACT_PROBE (neigh, seq) could not be sent (the kernel does not have
 * the neighbor yet): forgotten, not counted as lost. */
void xm_core_probe_unsent(struct xm_core *c, xm_time now, uint32_t neigh,
			  uint32_t seq);

/* Capabilities (load, free memory...) changed; re-advertised rate-limited. */
void xm_core_set_caps(struct xm_core *c, xm_time now,
		      const struct xm_caps *caps);
/* A new path policy: recompute. */
void xm_core_set_policy(struct xm_core *c, xm_time now,
			const struct xm_policy *p);
/*
 * New timers, live (a reload): the next hello goes at once when the hello
 * or dead interval changed, so that neighbors learn the new dead interval
 * before the old one runs out. -EINVAL (nothing changed) if
 * xm_timers_check() refuses them.
 */
int xm_core_set_timers(struct xm_core *c, xm_time now,
		       const struct xm_timers *t);
/* New overlay prefixes to advertise (as in xm_core_config), live: -EINVAL
 * (nothing changed) if xm_prefixes_check() refuses them. */
int xm_core_set_prefixes(struct xm_core *c, xm_time now,
			 const struct xm_prefix4or6 *p, unsigned int n);
/* The same with each prefix's priority (prio NULL: all 0, plain); a
 * withdrawal goes out at once, as every bad news. */
int xm_core_set_prefixes_prio(struct xm_core *c, xm_time now,
			      const struct xm_prefix4or6 *p,
			      const uint16_t *prio, unsigned int n);
/* The multicast groups to advertise, live: -EINVAL (nothing changed) if
 * xm_mgroups_check() refuses them. */
int xm_core_set_mgroups(struct xm_core *c, xm_time now,
			const struct xm_mgroup *g, unsigned int n);

/*
 * After a restart: the neighbors the kernel still has, so that the same
 * (node, link, remote) keeps its kernel id and forwarding is not
 * disturbed while the core relearns the mesh (sync_hold_ms).
 */
void xm_core_adopt_neigh(struct xm_core *c, const struct xm_fib_neigh *n);

/*
 * XM_ACT_KEY's bytes, copied into key (the caller's locked memory, which
 * it wipes): false if there are none (deleted meanwhile). Kept until
 * xm_core_key_done(), so that an install the kernel refused for now (its
 * neighbor not there yet) can be tried again.
 */
bool xm_core_key_get(struct xm_core *c, uint32_t neigh, bool origin,
		     uint8_t key_id, uint8_t key_dir, uint8_t key[32]);
void xm_core_key_done(struct xm_core *c, uint32_t neigh, bool origin,
		      uint8_t key_id, uint8_t key_dir);

/* Origin seals (origin.h): this node's generations, and how many nodes
 * have a transmit key. False (all 0) when off. */
struct xm_core_origin {
	uint64_t advertised, sealing, rotations;
	uint32_t nodes;
};

bool xm_core_origin_status(const struct xm_core *c,
			   struct xm_core_origin *s);
/* ... or the kernel refused it for good: done too, and the neighbor's
 * session, short of a key, is replaced (xm_kx_peer_key_refused()). */
void xm_core_key_refused(struct xm_core *c, xm_time now, uint32_t neigh,
			 uint8_t key_id, uint8_t key_dir);
/* The kernel's counter of transmit key key_id of neigh: rotated at the
 * volume limit (kx.h). */
void xm_core_key_counter(struct xm_core *c, xm_time now, uint32_t neigh,
			 uint8_t key_id, uint64_t counter);
/* The revocation list changed (xm_kx_set_crl()): check every neighbor's
 * certificate again. */
void xm_core_kx_recheck(struct xm_core *c, xm_time now);
/* This node's security mode changed (xm_kx_set_security()): a new key
 * exchange with every neighbor. */
void xm_core_kx_restart(struct xm_core *c, xm_time now);

/* Run due timers. Call when now >= xm_core_next_timer(). */
void xm_core_timer(struct xm_core *c, xm_time now);
xm_time xm_core_next_timer(const struct xm_core *c);

/* Take the next queued action into *a; false when there is none. */
bool xm_core_action(struct xm_core *c, struct xm_action *a);

/* ---- state, read-only ---- */

const struct xm_fib *xm_core_fib(const struct xm_core *c);
/* false while the initial sync hold lasts: do not program the kernel. */
bool xm_core_fib_ready(const struct xm_core *c, xm_time now);
const struct xm_core_stats *xm_core_stats(const struct xm_core *c);
uint32_t xm_core_node_id(const struct xm_core *c);

/* Iterate: fill *out for index i; false past the end. */
bool xm_core_neigh(const struct xm_core *c, size_t i,
		   struct xm_neigh_status *out);
bool xm_core_node(const struct xm_core *c, size_t i,
		  struct xm_node_status *out);
bool xm_core_edge(const struct xm_core *c, size_t i, struct xm_edge *out);
/* The current path to node; false if unknown or unreachable. */
bool xm_core_path(const struct xm_core *c, uint32_t node, struct xm_path *out);
/*
 * The graph the last SPF ran on (graph.h: an edge where both ends list
 * each other, excluded zones no-transit), to compute distances from other
 * nodes than this one; NULL before the first SPF. Valid until the core is
 * next called.
 */
struct xm_graph;
const struct xm_graph *xm_core_graph(const struct xm_core *c);
/* The path policy in force (the configuration's or the controller's). */
const struct xm_policy *xm_core_policy(const struct xm_core *c);

#endif /* XM_CORE_H */
