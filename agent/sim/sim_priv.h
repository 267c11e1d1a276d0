/* SPDX-License-Identifier: GPL-2.0 */
/* Internal to sim/: the simulator's state, shared by sim.c and check.c. */
#ifndef XM_SIM_PRIV_H
#define XM_SIM_PRIV_H

#include "graph.h"
#include "sim.h"

struct sim_end {
	uint32_t node;
	uint32_t ifindex;		/* at that node */
	struct xm_addr addr;
	uint64_t busy_until;		/* serialization: its queue drains */
};

struct sim_link {
	struct xm_sim_link_conf conf;
	bool carrier, silent;
	unsigned int n_ends;
	struct sim_end *end;
};

struct sim_port {
	uint32_t link, end;		/* ifindex = index in node + 2 */
};

struct sim_node {
	uint32_t id;
	char zone[XM_NAME_MAX];
	bool alive, agent;
	struct xm_core *core;
	struct xm_vkernel k;
	unsigned int n_ports;
	struct sim_port port[XM_LINK_MAX];
	uint64_t timer_at;		/* the queued timer event's time */
	uint32_t timer_gen;		/* its generation: older ones are void */
	uint32_t boot;			/* incarnation: stale events ignored */
	bool fib_dirty;
	uint64_t spf_runs;		/* of earlier agents */
};

struct sim_event {
	uint64_t t, seq;
	uint32_t node, boot;
	uint8_t type;
	uint32_t a, b, c;		/* by type */
	void *data;
};

struct xm_sim {
	struct xm_sim_conf conf;
	uint64_t now, seq, rng;
	uint8_t site_key[XM_SITE_KEY_LEN];
	struct sim_node *node;
	uint32_t n_nodes;
	size_t cap_nodes;
	struct sim_link *link;
	uint32_t n_links;
	size_t cap_links;
	struct sim_event *ev;		/* binary heap on (t, seq) */
	size_t n_ev, cap_ev;
	struct xm_sim_stats st;
	uint64_t topo_changes;		/* failures: the truth changed */
	bool started;
};

uint64_t sim_rand(struct xm_sim *s);
/* The node's usable kernel neighbor id leads to, or NULL: the end it
 * reaches, or NULL when the frame goes nowhere. */
const struct sim_end *sim_neigh_peer(const struct xm_sim *s,
				     const struct sim_node *n,
				     const struct xm_fib_neigh *kn,
				     const struct sim_link **link);
/* Whether the kernel of n takes data from the node at from on link. */
bool sim_kernel_accepts(const struct xm_sim *s, const struct sim_node *n,
			uint32_t ifindex, const struct xm_addr *from,
			uint32_t from_node, bool data);
/* The cost of sending over link from end a, as xm_metric() judges it. */
uint32_t sim_link_metric(const struct sim_link *l);
bool sim_node_excluded(const struct xm_sim *s, const struct sim_node *n);
/* The overlay prefix node id advertises. */
void sim_node_prefix(uint32_t id, struct xm_prefix4or6 *p);

#endif /* XM_SIM_PRIV_H */
