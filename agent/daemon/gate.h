/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The XDP first gate (agent/bpf/gate.bpf.c, Documentation/xmeshd.md,
 * "First gate"): loaded once, attached to each underlay link the agent
 * runs on, its neighbor map kept equal to the agent's neighbors, detached
 * on exit. The agent works without it.
 */
#ifndef XMD_GATE_H
#define XMD_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "xmesh_parse.h"

struct xmd_gate;

struct xmd_gate_conf {
	uint16_t data_port;		/* the xmesh device's */
	uint16_t agent_port;
	uint32_t hello_rate;		/* from unknown sources, per second */
};

/* A neighbor: frames from addr on ifindex pass. */
struct xmd_gate_neigh {
	uint32_t ifindex;
	struct xm_addr addr;
};

/* Load the program and set it up. NULL with the reason in why. */
struct xmd_gate *xmd_gate_new(const struct xmd_gate_conf *c, char *why,
			      size_t whylen);
/*
 * Attach to ifindex (native XDP, else generic), replacing a gate a
 * previous agent left there. 0 with the mode in *mode ("native" or
 * "generic"), or -errno.
 */
int xmd_gate_attach(struct xmd_gate *g, uint32_t ifindex, const char **mode);
/* Detach from ifindex, if attached there. */
void xmd_gate_detach(struct xmd_gate *g, uint32_t ifindex);
/*
 * Make the neighbor map hold exactly v[0..n): the number of entries
 * added or removed, or -errno (the map may then be partly updated; the
 * next call completes it).
 */
int xmd_gate_neighs_set(struct xmd_gate *g, const struct xmd_gate_neigh *v,
			size_t n);
/* Detach everywhere and unload. */
void xmd_gate_free(struct xmd_gate *g);

#endif /* XMD_GATE_H */
