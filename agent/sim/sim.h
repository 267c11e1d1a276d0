/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The protocol simulator: many xm_cores (core.h) on virtual links, in
 * virtual time, deterministic for a seed.
 *
 * An event queue of (time, node, event) drives them: datagrams the cores
 * send arrive after the link's delay (serialized at its bandwidth, lost
 * with its loss probability); link probes are answered the way xmesh.ko
 * answers them (by the peer's kernel, whether its agent runs or not);
 * each node has a model of its kernel tables (vkernel.h) that the core's
 * desired tables are synced into with the real diff (fib.h), as xmeshd
 * does. Failures: a link down (carrier lost at both ends) or silent
 * (carrier up, nothing passes), a node crash, an agent restart, a delay
 * change. The checks follow the kernel tables hop by hop, as packets
 * would, and compare with the true topology.
 *
 * Times are in microseconds of virtual time; the cores see milliseconds.
 */
#ifndef XM_SIM_H
#define XM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "vkernel.h"

#define XM_SIM_MS	1000ull			/* us */
#define XM_SIM_S	(1000 * XM_SIM_MS)

struct xm_sim_link_conf {
	uint32_t delay_us;		/* one way */
	uint32_t jitter_us;		/* per probe: + uniform 0..jitter */
	uint32_t bandwidth_mbps;	/* also what the cores are told */
	uint32_t loss_ppm;		/* per packet, each way */
};

struct xm_sim_conf {
	uint64_t seed;
	struct xm_timers timers;	/* all 0: xm_timers_default() */
	struct xm_policy policy;
	struct xm_sim_link_conf link;	/* default for the topologies */
	bool serialize;			/* packets queue at the bandwidth */
	bool verbose;			/* core events to stderr */
};

struct xm_sim;

struct xm_sim *xm_sim_new(const struct xm_sim_conf *conf);
void xm_sim_free(struct xm_sim *s);

/* Node index i has node id i + 1. Returns the index, or -errno. */
long xm_sim_add_node(struct xm_sim *s, const char *zone);
/*
 * A link segment between nodes (2: point to point; more: every one hears
 * every other's multicast). Returns the link index, or -errno (a node
 * with XM_LINK_MAX links already: -ENOSPC).
 */
long xm_sim_add_link(struct xm_sim *s, const uint32_t *nodes, size_t n,
		     const struct xm_sim_link_conf *conf);
/*
 * "line:N", "ring:N", "grid:WxH", "rgg:N" (random geometric graph in the
 * unit square, connected, delays from the distances). 0 or -EINVAL.
 */
int xm_sim_topo(struct xm_sim *s, const char *spec);

/* Start every node's agent: 0, or -errno of the core that cannot be created. */
int xm_sim_start(struct xm_sim *s);

/*
 * The true graph: up, non-silent links between live nodes, each way,
 * costed as their probes would see them (what SPF sees once every advert
 * is in). xm_graph_free(g). 0 or -ENOMEM.
 */
struct xm_graph;
int xm_sim_true_graph(const struct xm_sim *s, struct xm_graph *g);
/* Run every event up to and including time t. */
void xm_sim_run(struct xm_sim *s, uint64_t t);
uint64_t xm_sim_now(const struct xm_sim *s);

/* ---- failures ---- */
void xm_sim_link_carrier(struct xm_sim *s, uint32_t link, bool up);
void xm_sim_link_silent(struct xm_sim *s, uint32_t link, bool silent);
void xm_sim_link_delay(struct xm_sim *s, uint32_t link, uint32_t delay_us);
/* The node and its kernel are gone; boot brings it back empty. */
void xm_sim_node_crash(struct xm_sim *s, uint32_t node);
void xm_sim_node_boot(struct xm_sim *s, uint32_t node);
/* The agent alone stops; its kernel forwards and answers probes on. */
void xm_sim_agent_stop(struct xm_sim *s, uint32_t node);
/* A new agent, adopting the kernel's neighbors. */
int xm_sim_agent_start(struct xm_sim *s, uint32_t node);

/* ---- state ---- */
uint32_t xm_sim_n_nodes(const struct xm_sim *s);
uint32_t xm_sim_n_links(const struct xm_sim *s);
/* A link's ends (up to max); returns their number. */
unsigned int xm_sim_link_ends(const struct xm_sim *s, uint32_t link,
			      uint32_t *nodes, unsigned int max);
struct xm_core *xm_sim_core(const struct xm_sim *s, uint32_t node);
const struct xm_vkernel *xm_sim_kernel(const struct xm_sim *s, uint32_t node);

struct xm_sim_stats {
	uint64_t events;
	uint64_t msgs, bytes;		/* datagrams the cores sent */
	uint64_t msgs_lost;		/* dropped on the way */
	uint64_t probes, probes_answered;
	uint64_t probes_unresolved;	/* no such kernel neighbor */
	uint64_t spf_runs, spf_runs_max;	/* all nodes; the busiest */
	uint64_t fib_syncs, fib_changes;	/* kernel table changes */
	uint64_t fib_refused;		/* runs the kernel model refused */
	uint64_t fib_dangling;		/* a route named a missing neighbor */
	uint64_t last_change;		/* of the last forwarding change
					 * (xm_vkernel.fwd_changes) */
};
void xm_sim_stats(const struct xm_sim *s, struct xm_sim_stats *st);

/* ---- properties (check.c) ---- */

struct xm_sim_check {
	uint64_t pairs;			/* connected (src, dst) under policy */
	uint64_t delivered;		/* ... reached along the kernel tables */
	uint64_t unrouted;		/* a node on the way had no route */
	uint64_t blackholes;		/* a next hop leading nowhere */
	uint64_t loops;
	uint64_t transit;		/* through an excluded zone */
	uint64_t suboptimal;		/* costlier than hysteresis allows */
	uint64_t prefixes_missing;	/* a reachable node's prefix */
	char first[200];		/* the first problem found */
};

/*
 * Follow the kernel tables from every live node to every other node it
 * is connected to in the true graph (up links, live nodes, the policy):
 * every ECMP branch must arrive without a loop, at a cost within the
 * hysteresis tolerance of the true least cost. True when all hold;
 * with cost false, the costs are not judged.
 */
bool xm_sim_check(struct xm_sim *s, struct xm_sim_check *r, bool cost);

struct xm_sim_convergence {
	uint64_t repaired_at;		/* all delivered, no loop */
	uint64_t converged_at;		/* and at the least cost */
	uint64_t settled_at;		/* the last forwarding change */
	uint64_t checks;
	struct xm_sim_check last;	/* the last check's findings */
};

/*
 * Run until the properties hold and the kernel tables have not changed
 * for quiet_us, at most until deadline. The times are those of the kernel
 * change after which the properties held for good, or of the call if they
 * held all along; settled_at is that of the last change. 0 or -ETIMEDOUT.
 */
int xm_sim_converge(struct xm_sim *s, uint64_t deadline, uint64_t quiet_us,
		    uint64_t check_us, struct xm_sim_convergence *c);

#endif /* XM_SIM_H */
