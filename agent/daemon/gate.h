/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The XDP first gate (agent/bpf/gate.bpf.c, Documentation/xmeshd.md,
 * "First gate"): one program attached to each underlay link the agent
 * runs on, its neighbor map kept equal to the agent's neighbors. It
 * outlives the agent: left attached on exit, adopted (program, maps and
 * all) by the next agent, so a restart changes nothing on the links. The
 * agent works without it.
 */
#ifndef XMD_GATE_H
#define XMD_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xmesh_parse.h"

struct xmd_gate;

struct xmd_gate_conf {
	uint16_t data_port;		/* the xmesh device's */
	uint16_t agent_port;
	uint32_t hello_rate;		/* from unknown sources, per second */
	const char *pin_root;		/* bpffs directory; NULL: no pins */
};

/* A neighbor: frames from addr on ifindex pass. */
struct xmd_gate_neigh {
	uint32_t ifindex;
	struct xm_addr addr;
};

/*
 * Adopt the gate of this version a previous agent left in this network
 * namespace (pinned under pin_root/net-INODE/, or else found attached),
 * else load a new one; pin it; set it up. NULL with the reason in why.
 */
struct xmd_gate *xmd_gate_new(const struct xmd_gate_conf *c, char *why,
			      size_t whylen);
/* Whether xmd_gate_new() adopted a gate rather than loaded one. */
bool xmd_gate_adopted(const struct xmd_gate *g);
/* Where it is pinned, or NULL. */
const char *xmd_gate_pin_dir(const struct xmd_gate *g);
/*
 * Attach to ifindex (native XDP, else generic). Ours there already (an
 * adopted gate) is kept as it is; another gate (of another version) is
 * replaced in one step, without a moment with no program. 0 with the mode
 * in *mode ("native", "generic", then ", kept" or ", replaced"), or
 * -errno (-EBUSY: an XDP program that is no gate is there).
 */
int xmd_gate_attach(struct xmd_gate *g, uint32_t ifindex, const char **mode);
/* Detach from ifindex, if attached there. */
void xmd_gate_detach(struct xmd_gate *g, uint32_t ifindex);
/*
 * Detach whatever gate is on ifindex (one a previous agent left, when
 * this one runs with `gate off`): 1 if one went, 0 if none, -errno.
 */
int xmd_gate_remove(uint32_t ifindex);
/* Remove the pins of this namespace's gate under pin_root: 1 if there
 * were some, 0 if not, -errno. */
int xmd_gate_unpin(const char *pin_root);
/*
 * Make the neighbor map hold exactly v[0..n): the number of entries
 * added or removed, or -errno (the map may then be partly updated; the
 * next call completes it).
 */
int xmd_gate_neighs_set(struct xmd_gate *g, const struct xmd_gate_neigh *v,
			size_t n);
/* Let go of it: it stays attached where it is, for the next agent. */
void xmd_gate_free(struct xmd_gate *g);

#endif /* XMD_GATE_H */
