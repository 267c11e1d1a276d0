/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Central telemetry, the controller's pure part (Documentation/controller.md,
 * "Telemetry"): the agents' reports parsed and validated, the site's state
 * kept from them (the last report of each node, the rates derived from
 * its counters, its health), the events that state changes make
 * (node-down/up, link-down/up, link-loss) and those the agents report of
 * their own (agent), the path traffic takes through
 * the reported route tables, and the downsampling policy of the stored
 * series. No I/O, no clock: times are passed in; the server keeps the
 * state behind its lock and stores samples and events (store.h).
 */
#ifndef XM_TELEMETRY_H
#define XM_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"	/* struct xm_policy_error */

#define XM_TELE_BODY_MAX	(4 * 1024 * 1024)
#define XM_TELE_LINKS_MAX	1024
#define XM_TELE_ROUTES_MAX	65536
#define XM_TELE_DROPS_MAX	64
#define XM_TELE_ROLES_MAX	16
#define XM_TELE_NAME_MAX	32	/* names, zones, roles, drop reasons */
#define XM_TELE_INTERVAL	5	/* seconds, when a report says none */
#define XM_TELE_INTERVAL_MAX	300
#define XM_TELE_UP_INTERVALS	3	/* health up: reported within these */
#define XM_TELE_STALE_INTERVALS	10	/* stale within these, down after */
#define XM_TELE_LOSS_PPM	10000	/* link-loss above 1 % */
/* Link events one report may make (link-down/up, link-loss): beyond,
 * they are not made, and counted (struct xm_tele_events, dropped). A
 * node whose every link changed at once still makes this many. */
#define XM_TELE_LINK_EVENTS_MAX	64
#define XM_TELE_PATH_MAX	256	/* hops followed before a loop */
/* QoS classes in one report: the kernel has 4 (bulk, interactive,
 * realtime, network-control); room for a few more. */
#define XM_TELE_QOS_MAX		8
/* An agent's own events in one report ("events"): its ring holds 64
 * (agent/daemon/telemetry.h); a report with more is refused. A text is
 * printable ASCII of at most XM_TELE_AGENT_TEXT_MAX - 1 bytes. */
#define XM_TELE_AGENT_EVENTS_MAX	64
#define XM_TELE_AGENT_TEXT_MAX		120
/* An agent event's own time is taken when this near the controller's
 * (as a report's samples'), else the controller's. */
#define XM_TELE_AGENT_AHEAD_S		60
#define XM_TELE_AGENT_BEHIND_S		600

struct xm_tele_link {
	uint32_t peer;
	char ifname[16];
	bool up;
	uint64_t rtt_us, jitter_us, loss_ppm, metric, bandwidth_kbps;
	/* The adjacency's own traffic, from the kernel (an agent before
	 * these sends none: have_counters false). */
	bool have_counters;
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes;
	/* Derived by xm_tele_ingest() from the report before with
	 * counters for the same peer (bits/s). */
	bool have_rates;
	double tx_bps, rx_bps;
};

/* A traffic class's counters (the report's "qos"). */
struct xm_tele_class {
	char name[XM_TELE_NAME_MAX];
	uint64_t packets, bytes, drops;
	uint64_t rate;			/* cap, bytes/s; 0: none */
	/* Derived by xm_tele_ingest() from the report before with the
	 * same class (per second; bps: bits). */
	bool have_rates;
	double packets_per_s, bps, drops_per_s;
};

struct xm_tele_route {
	uint32_t node, via;
	uint64_t metric;
	uint32_t hops;
};

struct xm_tele_drop {
	char reason[XM_TELE_NAME_MAX];
	uint64_t count;
};

struct xm_tele_counters {
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes;
	uint64_t forwarded_packets, forwarded_bytes;
	struct xm_tele_drop drops[XM_TELE_DROPS_MAX];
	size_t n_drops;
};

/* An event of the agent's own (the report's "events"). */
struct xm_tele_agent_event {
	int64_t time;			/* the agent's clock */
	const char *level;		/* "error", "warn", "info" */
	char text[XM_TELE_AGENT_TEXT_MAX];
};

struct xm_tele_caps {
	bool have_cores, have_load, have_mem_total, have_mem_free,
	     have_storage_free;
	uint64_t cores, mem_total, mem_free, storage_free;
	double load;
};

/* One report as an agent sent it (POST /api/v1/agent/telemetry). */
struct xm_tele_report {
	int64_t time;			/* the agent's clock */
	uint32_t interval;		/* seconds */
	char name[XM_TELE_NAME_MAX], zone[XM_TELE_NAME_MAX];
	char roles[XM_TELE_ROLES_MAX][XM_TELE_NAME_MAX];
	size_t n_roles;
	struct xm_tele_caps caps;
	uint64_t policy_version;
	struct xm_tele_link *links;
	size_t n_links;
	struct xm_tele_counters counters;
	struct xm_tele_route *routes;	/* sorted by node, then metric */
	size_t n_routes;
	/* "routes_unchanged": true in place of routes: the same as the last
	 * report taken (Documentation/controller.md, "Telemetry"). */
	bool routes_unchanged;
	/* "qos": the traffic classes' counters; have_qos false if the
	 * report had none (an older agent, or a module without QoS). */
	bool have_qos;
	struct xm_tele_class qos[XM_TELE_QOS_MAX];
	size_t n_qos;
	/* "events": the agent's own since its last report taken (none from
	 * an older agent); "events_lost": those its ring lost before. Made
	 * events by xm_tele_ingest(), not kept. */
	struct xm_tele_agent_event *events;
	size_t n_events;
	uint64_t events_lost;
};

/*
 * Parse and validate a report (text[0..len), JSON): 0, or -1 with the
 * location (a JSON pointer, or "line L column C") and the reason in err.
 * xm_tele_report_free() releases it either way.
 */
int xm_tele_report_parse(const char *text, size_t len,
			 struct xm_tele_report *r, struct xm_policy_error *err);
void xm_tele_report_free(struct xm_tele_report *r);

/* ---- the site's state ---- */

enum xm_tele_health { XM_TELE_UP, XM_TELE_STALE, XM_TELE_DOWN };

const char *xm_tele_health_name(enum xm_tele_health h);
/* A node's health at now, heard from at last_seen, reporting every
 * interval seconds. */
enum xm_tele_health xm_tele_health(int64_t last_seen, uint32_t interval,
				   int64_t now);

/* The rate per second of a monotonic counter from prev to cur over dt
 * seconds; a counter that went back (the agent or module restarted)
 * counts from 0. 0 when dt <= 0. */
double xm_tele_rate(uint64_t prev, uint64_t cur, double dt);

struct xm_tele_node {
	uint32_t id;
	struct xm_tele_report r;	/* the last report */
	int64_t last_seen;		/* the controller's clock */
	bool down;			/* node-down announced */
	bool have_rates;
	bool routes_known;		/* r.routes: a report's, not empty
					 * for want of one */
	double tx_bps, rx_bps, drops_per_s;
};

/*
 * Reports taken from one node: a bucket of XM_TELE_RATE_BURST, refilled
 * one a second, or one every half of the interval its last report
 * declared if that is longer. A steady agent uses far less; the burst
 * holds what an agent buffered while no controller took its reports (24
 * at most, agent/daemon/telemetry.h). Beyond, the report is refused
 * (429): one agent cannot add events and samples as fast as it can sign.
 */
#define XM_TELE_RATE_BURST	32

enum xm_tele_event_kind {
	XM_TELE_EV_NODE_DOWN,
	XM_TELE_EV_NODE_UP,
	XM_TELE_EV_LINK_DOWN,
	XM_TELE_EV_LINK_UP,
	XM_TELE_EV_LINK_LOSS,
	XM_TELE_EV_POLICY,
	XM_TELE_EV_AGENT,		/* the agent's own, "level: text" */
	/* Stored by a newer controller sharing the store, with a kind this
	 * one has no name for: served as "unknown", never written. */
	XM_TELE_EV_UNKNOWN,
	XM_TELE_EV_MAX = XM_TELE_EV_UNKNOWN,
};

/* "node-down", ...; NULL if unknown. */
const char *xm_tele_event_name(enum xm_tele_event_kind k);

struct xm_tele_event {
	int64_t time;
	enum xm_tele_event_kind kind;
	uint32_t node, peer;		/* 0: none */
	char detail[128];
};

/* Events made by one call: the caller stores them, then frees. dropped:
 * link events a report would have made beyond XM_TELE_LINK_EVENTS_MAX;
 * agent_lost: events the agents said they lost ("events_lost"). */
struct xm_tele_events {
	struct xm_tele_event *ev;
	size_t n, cap;
	size_t dropped;
	uint64_t agent_lost;
};

void xm_tele_events_free(struct xm_tele_events *e);

struct xm_tele;

struct xm_tele *xm_tele_new(void);
void xm_tele_free(struct xm_tele *t);

/*
 * Whether node may have a report taken at now (a token of its bucket
 * taken if so). The bucket is the node's from its first report taken,
 * ingested or not (one whose reports never parse is limited too); false
 * if there is no memory for it.
 */
bool xm_tele_rate_take(struct xm_tele *t, uint32_t node, int64_t now);

/*
 * Take node's report r (moved: r is emptied) received at now: its rates
 * from the counters of the one before, its events appended to ev (a node
 * new or down before: node-up; a link's state or its loss across
 * XM_TELE_LOSS_PPM changed: at most XM_TELE_LINK_EVENTS_MAX of these, the
 * others counted in ev->dropped; each of the agent's own events, its
 * "events_lost" added to ev->agent_lost). 0, or -1 out of memory
 * (nothing changed).
 */
int xm_tele_ingest(struct xm_tele *t, uint32_t node,
		   struct xm_tele_report *r, int64_t now,
		   struct xm_tele_events *ev);

/* Whether the controller keeps node's route table: a report of
 * node with routes_unchanged keeps it (else the node's table is empty
 * until a report carries its routes). */
bool xm_tele_routes_known(const struct xm_tele *t, uint32_t node);

/* At now: node-down for each node that became down. 0 or -1. */
int xm_tele_tick(struct xm_tele *t, int64_t now, struct xm_tele_events *ev);

/* The nodes, ordered by id. */
size_t xm_tele_count(const struct xm_tele *t);
const struct xm_tele_node *xm_tele_at(const struct xm_tele *t, size_t i);
const struct xm_tele_node *xm_tele_find(const struct xm_tele *t,
					uint32_t node);
/*
 * The send rate (bits/s) over node x's link l and its utilization (that
 * rate over the link's bandwidth, 0 without one): the link's own rate
 * from its counters. A link of an agent that sends no counters (before
 * per-link counters) falls back to the node's send rate, an estimate
 * that is wrong for a node with several links; *own says which. False
 * if there is no rate yet (one report only).
 */
bool xm_tele_link_rate(const struct xm_tele_node *x,
		       const struct xm_tele_link *l, double *tx_bps,
		       double *utilization, bool *own);

/* node's link to peer as node reported it, NULL if none. */
const struct xm_tele_link *xm_tele_link(const struct xm_tele_node *n,
					uint32_t peer);
/* node's best route to dest (lowest metric, then lowest via). */
const struct xm_tele_route *xm_tele_route(const struct xm_tele_node *n,
					  uint32_t dest);

struct xm_tele_hop {
	uint32_t node, via;
	uint64_t metric, link_metric;
};

/*
 * The path from -> to followed through the reported routes, at most max
 * hops into hops (*n of them): true if it reaches to; false with why in
 * reason (a node has not reported, has no route, a loop).
 */
bool xm_tele_path(const struct xm_tele *t, uint32_t from, uint32_t to,
		  struct xm_tele_hop *hops, size_t max, size_t *n,
		  char *reason, size_t reason_len);

/* ---- series ---- */

enum xm_tele_metric {
	XM_TELE_M_RTT_US,
	XM_TELE_M_LOSS_PPM,
	XM_TELE_M_TX_BPS,
	XM_TELE_M_RX_BPS,
	XM_TELE_M_DROPS_PER_S,
	XM_TELE_M_LOAD,
	/* A link's own traffic (its counters; none for an agent that
	 * sends none) and its utilization, xm_tele_link_rate(). */
	XM_TELE_M_LINK_TX_BPS,
	XM_TELE_M_LINK_RX_BPS,
	XM_TELE_M_UTILIZATION,
	/* A traffic class's rates: the sample's peer is the class's
	 * number (enum xmesh_tclass, 1 bulk to 4 network-control). */
	XM_TELE_M_CLASS_PACKETS_PER_S,
	XM_TELE_M_CLASS_BPS,
	XM_TELE_M_CLASS_DROPS_PER_S,
	XM_TELE_M_MAX = XM_TELE_M_CLASS_DROPS_PER_S,
};

const char *xm_tele_metric_name(enum xm_tele_metric m);
/* The metric of a name: 0 and *m, or -1. */
int xm_tele_metric_parse(const char *s, enum xm_tele_metric *m);
/* rtt_us, loss_ppm, link_tx_bps, link_rx_bps and utilization are a
 * link's (a peer is needed). */
bool xm_tele_metric_per_link(enum xm_tele_metric m);
/* class_packets_per_s, class_bps and class_drops_per_s are a traffic
 * class's (a class is needed, kept in the sample's peer). */
bool xm_tele_metric_per_class(enum xm_tele_metric m);

/* A class's number (enum xmesh_tclass) from its name as the agents
 * report it (xm_tclass_name()): 1 to 4, or 0 if it has none. */
unsigned int xm_tele_class_id(const char *name);

struct xm_tele_sample {
	/* peer: the link's peer, the class's number (per-class metrics),
	 * or 0 (a node's metric). */
	uint32_t node, peer;
	enum xm_tele_metric metric;
	double value;
	int64_t time;			/* received; 0: when stored */
};

/* The most samples one node's state gives (xm_tele_samples()). */
#define XM_TELE_SAMPLES_MAX	(5 * XM_TELE_LINKS_MAX + \
				 3 * XM_TELE_QOS_MAX + 4)

/*
 * The samples a node's state gives (after xm_tele_ingest()): its rates
 * (once it has two reports), its load, each link's RTT and loss, each
 * link's own rates and utilization (once two reports had its counters),
 * each class's rates (once two reports had it; a class without a number,
 * xm_tele_class_id(), has none). At most max into out: the number
 * written.
 */
size_t xm_tele_samples(const struct xm_tele_node *n,
		       struct xm_tele_sample *out, size_t max);

/*
 * Retention (seconds): raw samples, then 1-minute averages, then 1-hour
 * averages; older ones are dropped.
 */
struct xm_tele_retention {
	int64_t raw_s, minute_s, hour_s;
};

#define XM_TELE_RAW_S		3600
#define XM_TELE_MINUTE_S	(7 * 86400)
#define XM_TELE_HOUR_S		(90 * 86400)
#define XM_TELE_TIERS		3
/* At most this many seconds of a tier are downsampled in one run, so a
 * run is bounded even after a long stop. */
#define XM_TELE_DOWNSAMPLE_SPAN	600

/* The retention with 0 members set to the defaults. */
void xm_tele_retention_default(struct xm_tele_retention *r);

/* The step of tier i (0, 60, 3600) and how long it is kept. */
int64_t xm_tele_tier_step(unsigned int tier);
int64_t xm_tele_tier_keep(const struct xm_tele_retention *r,
			  unsigned int tier);

/* The finest tier whose retention reaches back to since at now. */
unsigned int xm_tele_series_tier(const struct xm_tele_retention *r,
				 int64_t since, int64_t now);

/*
 * The next downsampling work of tier i at now, whose oldest sample is at
 * oldest: the rows with time in [oldest, *until) go up to tier i + 1 (or
 * away for the last tier): false if none are due. *until is a multiple of
 * the next tier's step and at most XM_TELE_DOWNSAMPLE_SPAN (or the next
 * step, if larger) past oldest.
 */
bool xm_tele_downsample_due(const struct xm_tele_retention *r,
			    unsigned int tier, int64_t oldest, int64_t now,
			    int64_t *until);

#endif /* XM_TELEMETRY_H */
