/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal to core/: the state of one xmeshd protocol core and the calls
 * between its parts. core.c glues (config, links, receive dispatch, SPF
 * throttle, desired tables, actions), neigh.c runs the neighbor state
 * machine and its probes, lsdb.c the link-state database and flooding.
 *
 * Every entry point of core.h does its work and then calls core_run(),
 * which carries out whatever has come due (timers, origination, flooding,
 * SPF, the desired tables) and recomputes the next timer: the pieces only
 * mark what needs doing.
 */
#ifndef XM_CORE_PRIV_H
#define XM_CORE_PRIV_H

#include <string.h>

#include "core.h"
#include "graph.h"
#include "msg.h"
#include "origin.h"
#include "replay.h"

/*
 * Limits (Documentation/protocol.md lists them): neighbor entries on all
 * links, remembered kernel neighbor ids, originators in the database,
 * senders in the replay window, actions queued and not yet taken; of
 * those, events (log lines) may take half, so that a burst of them (one
 * per node in an SPF run) never crowds out a send, a neighbor-down or a
 * key. The last slot is the FIB sync's: at most one is ever queued.
 */
#define XM_NEIGH_MAX		512
#define XM_IDENT_MAX		1024
#define XM_LSDB_MAX		4096
#define XM_REPLAY_MAX		(XM_LSDB_MAX + XM_NEIGH_MAX)
#define XM_ACTION_MAX		4096
#define XM_EVENTS_MAX		(XM_ACTION_MAX / 2)

/* A refusal for lack of room: its own counter and limit_hits, their sum. */
#define core_limit(c, counter)				\
	do {						\
		(c)->st.counter++;			\
		(c)->st.limit_hits++;			\
	} while (0)

/* Consecutive probe replies for UP; probes the loss rate is taken over. */
#define XM_UP_REPLIES		3
#define XM_LOSS_WINDOW		100
#define XM_PROBE_OUTSTANDING	16	/* awaiting their reply */
#define XM_PROBE_LATE		1024	/* probes back a late answer measures */
#define XM_STALL_MS		5	/* a timer this late: the agent stalled */
#define XM_RESTART_GRACE	3	/* dead intervals, its kernel answering */
/* Load and free space re-advertised at most every; acks gathered for. */
#define XM_CAPS_MIN_MS		10000
#define XM_ACK_DELAY_MS		20
/* At equal sequence numbers, a lower age is newer by more than this. */
#define XM_AGE_DIFF_S		900
/* A peer's advertised dead interval, clamped. */
#define XM_DEAD_MIN_MS		10
#define XM_DEAD_MAX_MS		600000
/*
 * Hellos carry the capabilities and the public key only in the first
 * XM_HELLO_FULL after news on their link (a neighbor heard anew, carrier
 * back, the zone, roles or name changed), and every XM_HELLO_FULL_EVERY-th:
 * the adverts carry the capabilities too, and the control traffic stays
 * small.
 */
#define XM_HELLO_FULL		3
#define XM_HELLO_FULL_EVERY	30
/* Refusals (bad tags, replays, limits hit...) reported at most every. */
#define XM_WARN_MS		10000

struct xm_link {
	bool used;
	struct xm_link_info info;
	xm_time next_hello;		/* XM_NEVER without carrier */
	xm_time last_hello_tx;
	unsigned int full_hellos;	/* still to send full (XM_HELLO_FULL) */
	unsigned int short_hellos;	/* sent since the last full one */
};

/* A kernel neighbor id bound to (node, link, remote), with its history. */
struct xm_ident {
	bool used;
	bool in_use;			/* a neighbor entry holds it */
	bool adopted;			/* from the kernel, not up yet */
	uint32_t id, node, ifindex;
	struct xm_addr remote;
	xm_time last_used;
	xm_time hold_until;		/* no UP before (holddown) */
	uint32_t hold_ms;		/* the last holddown given */
	uint32_t hold_ms_before;	/* the one before (an undone flap's) */
	uint32_t flaps;
	xm_time undone_at;		/* a flap last undone (neigh.c) */
};

/* An advert a neighbor has not acknowledged yet. */
struct xm_rexmit {
	uint32_t originator, seq;
	xm_time sent;			/* XM_NEVER: not sent yet */
};

struct xm_probe {
	uint32_t seq;
	xm_time sent;
	xm_time deadline;		/* lost if not answered by then */
	bool stalled;			/* given more time once (see neigh.c) */
};

struct xm_core_neigh {
	uint32_t ident;			/* index into c->ident */
	uint32_t id, node, ifindex;
	struct xm_addr local, remote;
	uint16_t port;
	enum xm_neigh_state state;
	bool alive;			/* hellos fresh, link up */
	bool twoway;			/* its last hello lists us */
	bool in_fib;			/* was two-way: kernel knows it */
	bool db_end_rx;			/* it has sent us its database */
	bool dbx;			/* our database exchange unacked */
	uint32_t peer_dead_ms;
	uint64_t boot;			/* its sequence >> 32: grows on restart */
	xm_time last_hello, last_probe_reply, up_since;
	bool hello_grace;		/* kept past the dead interval (said) */
	uint8_t pubkey[XM_PUBKEY_LEN];
	/* Key exchange (kx_core.c): authenticated by its certificate (or
	 * no certificates in use); only then UP and flooding. */
	struct xm_kx_peer *kx;
	bool auth;

	/* Probing. */
	xm_time next_probe;		/* XM_NEVER when not probing */
	uint32_t probe_seq;
	unsigned int n_out;
	struct xm_probe out[XM_PROBE_OUTSTANDING];	/* oldest first */
	uint32_t good_run, lost_run;	/* consecutive replies, losses */
	/* When the probes of the current runs were sent: the first lost,
	 * the one judged by (the last lost while kept up), the first
	 * answered, the last answered (silence_is_own()). */
	xm_time lost_first, lost_since, good_since, answered_sent;
	uint32_t lost_seq;		/* the run's first probe */
	bool down_by_loss;		/* held down for probes lost */
	bool unheard;			/* the run outlasted probe_miss while
					 * no neighbor answered (neigh.c) */
	bool replied;			/* ever: losses count from then */
	uint8_t loss_ring[XM_LOSS_WINDOW];
	unsigned int loss_n, loss_pos, loss_sum;
	uint32_t srtt_us, rttvar_us;
	/*
	 * The cost SPF uses is the one in our advert in force, as every
	 * other node uses it: a route of ours on a cost the mesh does not
	 * know yet loops through a neighbor that routes on the old one.
	 * A significant new measurement waits in metric_new until the
	 * advert carrying it is originated (neigh_metrics_commit()).
	 */
	uint32_t metric;		/* as advertised */
	uint32_t metric_new;		/* to advertise next */

	/* Flooding. */
	struct xm_rexmit *rexmit;	/* sorted by originator */
	size_t n_rexmit, cap_rexmit;
	xm_time rexmit_due;		/* something to (re)send then */
	struct xm_ack *acks;		/* to send */
	size_t n_acks, cap_acks;
	xm_time ack_due;		/* send them then */
};

/* One originator's advert in the database. */
struct xm_lsa {
	struct xm_advert *adv;		/* adj sorted by node */
	xm_time rx_time;		/* installed (own: originated) */
	uint16_t rx_age;		/* its age then */
	/* From the last SPF. */
	bool reachable;			/* under the policy */
	uint32_t cost;
	uint8_t hops;
	xm_time unreach_since;		/* cut off since, or XM_NEVER */
	size_t edge_base;		/* xm_core_edge() index of adj[0] */
};

struct xm_core {
	struct xm_core_config cfg;
	/*
	 * The policy's drain and metric overrides as our advert in force
	 * carries them (set with the metrics, neigh_metrics_commit()): SPF
	 * routes on what the mesh knows, as for measured metrics.
	 */
	struct xm_policy adv_policy;
	xm_time start;
	/*
	 * The sync hold counts from the last link taken on before the
	 * tables were ready: an agent slow to set its links up (seconds,
	 * under load) otherwise ended the hold before any neighbor could
	 * answer, and wrote empty tables over the kernel's. Nothing holds
	 * them past XM_HOLD_MAX_MS from the start.
	 */
	xm_time hold_from;
#define XM_HOLD_MAX_MS		60000
	xm_time now;			/* of the latest call */
	xm_time neigh_down_at;		/* a neighbor last taken down */
	uint64_t rng;
	uint64_t msg_seq;
	struct xm_core_stats st;

	struct xm_link link[XM_LINK_MAX];

	struct xm_core_neigh **neigh;	/* sorted by id */
	size_t n_neigh;
	struct xm_ident ident[XM_IDENT_MAX];
	unsigned int n_adopted;		/* idents still adopted */
	/*
	 * Restarted with the kernel's neighbors adopted, until the tables are
	 * ready: hellos list them, our advert is not sent (the mesh keeps
	 * the one from before the restart), so nothing changes anywhere.
	 */
	bool restarting;
	/* Our advert from before the restart: its metrics still hold. */
	struct xm_advert *prev_own;
	struct xm_replay replay;

	/* Link-state database. */
	struct xm_lsa **lsa;		/* sorted by originator */
	size_t n_lsa, n_edges;
	bool edges_dirty;		/* edge_base to renumber */
	xm_time lsa_deadline;		/* earliest age-out or purge */
	uint32_t own_seq;
	xm_time own_last;		/* last origination */
	xm_time own_due;		/* scheduled origination, or XM_NEVER */
	xm_time own_news;		/* last adjacency news scheduled */
	uint32_t own_hold_ms;		/* origination backoff's hold */
	bool own_force;			/* even if unchanged */
	xm_time caps_due;		/* changed load etc. to advertise */

	/* SPF throttle and results. */
	xm_time spf_due;
	xm_time spf_news;		/* last adjacency news scheduled */
	/* RFC 8405's back-off for the rest (core_spf_schedule()). */
	enum { XM_SPF_QUIET, XM_SPF_SHORT_WAIT, XM_SPF_LONG_WAIT } spf_state;
	xm_time spf_learn_end;		/* SHORT_WAIT turns LONG_WAIT then */
	xm_time spf_quiet_at;		/* no news until then: QUIET */
	struct xm_graph graph;		/* of the last SPF */
	struct xm_spf spf;
	bool spf_valid;

	struct xm_fib fib;
	bool ready;

	/* Actions: a FIFO; q_events of them are XM_ACT_EVENT. */
	struct xm_action *q;
	size_t q_head, q_len, q_cap, q_events;
	bool fib_queued;
	bool fib_owed;		/* queued, but no memory for it: given when
				 * the queue is empty (a sync is never lost) */

	/* Refusals: counters as last reported, and when. */
	struct xm_core_stats warned;
	xm_time warn_last;

	xm_time next_timer;
	struct xm_advert *scratch;	/* XM_ADVERT_ADJ_MAX */

	/* Key exchange (kx_core.c): kernel keys not yet installed. */
	struct kx_key_slot *kx_keys;	/* sodium_malloc()ed */
	xm_time kx_recheck_at;

	/* Origin keys (origin_core.c). */
	struct xm_origin_gen origin_gen;
	xm_time origin_due;
	uint64_t origin_rotations;
	struct origin_node *origin_nodes;
	size_t n_origin_nodes;
	struct xm_cert *origin_cert;	/* scratch: a decoded certificate */
};

/* core.c */
uint32_t core_rand(struct xm_core *c, uint32_t below);
struct xm_link *core_link(struct xm_core *c, uint32_t ifindex);
struct xm_action *core_action_new(struct xm_core *c, enum xm_action_type t);
__attribute__((format(printf, 3, 4)))
void core_event(struct xm_core *c, enum xm_event_level level,
		const char *fmt, ...);
/* A message ready to fill: xm_msg_begin() done with the next sequence. */
struct xm_action *core_send_begin(struct xm_core *c, struct xm_msg_writer *w,
				  enum xm_msg_type type, uint32_t ifindex,
				  const struct xm_addr *dst);
/* Sign and keep it (dropped if it cannot be). */
void core_send_finish(struct xm_core *c, struct xm_action *a,
		      struct xm_msg_writer *w);
/* Drop it: nothing went into it. Nothing may be queued in between. */
void core_send_cancel(struct xm_core *c);
/* What changed in the topology, for the SPF throttle. */
enum xm_spf_news {
	XM_SPF_CHANGE,		/* metrics, prefixes, zones: throttled */
	XM_SPF_ADJACENCY,	/* an adjacency came or went: at once */
};
void core_spf_schedule(struct xm_core *c, xm_time now, enum xm_spf_news news);

/* neigh.c */
void neigh_hello_rx(struct xm_core *c, xm_time now, struct xm_link *l,
		    const struct xm_addr *from, const struct xm_msg_hdr *hdr,
		    const struct xm_hello *h);
void neigh_probe_reply(struct xm_core *c, xm_time now, uint32_t id,
		       uint32_t seq, uint32_t rtt_us);
void neigh_probe_unsent(struct xm_core *c, uint32_t id, uint32_t seq);
void neigh_link_down(struct xm_core *c, xm_time now, uint32_t ifindex,
		     const char *why);
void neigh_hello_trigger(struct xm_core *c, xm_time now, struct xm_link *l);
void neigh_hello_news(struct xm_core *c, xm_time now, struct xm_link *l);
void neigh_run(struct xm_core *c, xm_time now, bool expire);
void neigh_timers_changed(struct xm_core *c, xm_time now);
void neigh_gc(struct xm_core *c);
xm_time neigh_next_timer(const struct xm_core *c);
void neigh_adopt(struct xm_core *c, const struct xm_fib_neigh *n);
void neigh_free_all(struct xm_core *c);
struct xm_core_neigh *neigh_find(const struct xm_core *c, uint32_t ifindex,
			    uint32_t node, const struct xm_addr *remote);
struct xm_core_neigh *neigh_by_id(const struct xm_core *c, uint32_t id);
bool neigh_floods(const struct xm_core_neigh *n);
bool neigh_adopted_pending(const struct xm_core *c);
void neigh_refused(struct xm_core *c, struct xm_core_neigh *n);
uint32_t neigh_loss_ppm(const struct xm_core_neigh *n);
void neigh_metric_keep(struct xm_core *c, struct xm_core_neigh *n);
/* Our advert is being originated: the new metrics go into it, and SPF. */
void neigh_metrics_commit(struct xm_core *c);
const char *neigh_state_name(enum xm_neigh_state s);

/* lsdb.c */
int lsdb_init(struct xm_core *c, xm_time now);
void lsdb_free(struct xm_core *c);
/* -EBADMSG if the LSU is malformed (nothing of it used). */
int lsdb_lsu_rx(struct xm_core *c, xm_time now, struct xm_core_neigh *n,
		const struct xm_msg *m);
void lsdb_ack_rx(struct xm_core *c, struct xm_core_neigh *n,
		 const struct xm_ack *acks, int n_acks);
void lsdb_neigh_start(struct xm_core *c, struct xm_core_neigh *n);
void lsdb_neigh_stop(struct xm_core *c, struct xm_core_neigh *n);
void lsdb_local_changed(struct xm_core *c, xm_time now);
/* An adjacency lost or gained: advertised at once (news after news spaced). */
void lsdb_local_adjacency(struct xm_core *c, xm_time now);
void lsdb_caps_changed(struct xm_core *c, xm_time now, bool identity);
void lsdb_run(struct xm_core *c, xm_time now);
void lsdb_spf_done(struct xm_core *c, xm_time now);
/* The restart is over: send our advert, freshly originated. */
void lsdb_restart_done(struct xm_core *c, xm_time now);
xm_time lsdb_next_timer(const struct xm_core *c);
/* At the end of a call: what the readers need, brought up to date. */
void lsdb_tidy(struct xm_core *c);
struct xm_lsa *lsdb_find(const struct xm_core *c, uint32_t node);
bool lsdb_lists(const struct xm_lsa *l, uint32_t node);
uint16_t lsdb_age(const struct xm_core *c, const struct xm_lsa *l,
		  xm_time now);

/* kx_core.c: the key exchange with each neighbor (kx.h). */
int kx_core_init(struct xm_core *c);
/* A kernel key (key NULL: its deletion) queued as an XM_ACT_KEY. */
void core_key_queue(struct xm_core *c, uint32_t owner, bool origin,
		    uint8_t id, uint8_t dir, const uint8_t *key);

/* origin_core.c */
void origin_core_init(struct xm_core *c, xm_time now);
void origin_core_free(struct xm_core *c);
void origin_core_advert(struct xm_core *c, struct xm_advert *a);
void origin_core_run(struct xm_core *c, xm_time now);
xm_time origin_core_next_timer(const struct xm_core *c);
void kx_core_free(struct xm_core *c);
void kx_core_recv(struct xm_core *c, xm_time now, struct xm_link *l,
		  const struct xm_addr *from, const struct xm_msg *m);
void kx_core_neigh_free(struct xm_core *c, struct xm_core_neigh *n);
void kx_core_run(struct xm_core *c, xm_time now);
xm_time kx_core_next_timer(const struct xm_core *c);
void kx_core_key_counter(struct xm_core *c, xm_time now, uint32_t neigh,
			 uint8_t key_id, uint64_t counter);
void kx_core_key_refused(struct xm_core *c, xm_time now, uint32_t neigh,
			 uint8_t key_id, uint8_t key_dir);
/* Each neighbor's certificate checked again; restart: a new session with
 * each instead (this node's security mode changed). */
void kx_core_recheck(struct xm_core *c, xm_time now, bool restart);
/* May node claim these zone and roles, and advertise these prefixes as
 * its own (its certificate's: xm_kx_claims_match())? If not, its
 * adjacencies are refused (counted, logged). */
bool kx_core_claims_ok(struct xm_core *c, uint32_t node,
		       const struct xm_caps *caps,
		       const struct xm_prefix4or6 *prefixes,
		       unsigned int n_prefixes);
/*
 * Signed adverts, with certificates (nothing without): this node's
 * certificate into its advert before it is fitted, its signature once it
 * is final (false: it cannot be signed); and may a, from node sender, be
 * installed and flooded (if not: counted, the first of a burst logged
 * with the reason)?
 */
void kx_core_advert_cert(struct xm_core *c, struct xm_advert *a);
bool kx_core_advert_sign(struct xm_core *c, struct xm_advert *a);
bool kx_core_advert_ok(struct xm_core *c, xm_time now, uint32_t sender,
		       const struct xm_advert *a);
/* neigh.c: n's authentication came or went (kx_core.c sets n->auth). */
void neigh_auth_changed(struct xm_core *c, xm_time now,
			struct xm_core_neigh *n);

static inline xm_time xm_min(xm_time a, xm_time b)
{
	return a < b ? a : b;
}

static inline xm_time xm_max(xm_time a, xm_time b)
{
	return a > b ? a : b;
}

static inline bool xm_addr_eq(const struct xm_addr *a, const struct xm_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->raw, b->raw, xm_addr_len(a->family));
}

#endif /* XM_CORE_PRIV_H */
