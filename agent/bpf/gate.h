/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The XDP first gate (gate.bpf.c) and its users (daemon/gate.c loads it,
 * tool/gate.c reads its counters): the maps' layouts and names.
 *
 * On each underlay interface the agent runs on, before the UDP stack:
 * - a frame to the data port (the xmesh device's, 7600) from an address
 *   that is no current neighbor on that interface is dropped;
 * - a frame to the agent port (7601) from a neighbor passes; from another
 *   address (a hello from a node not yet a neighbor, or a flood) it passes
 *   while a token bucket allows, so new neighbors are still discovered;
 * - everything else passes untouched.
 * Each verdict is counted in a per-CPU array.
 */
#ifndef XMESH_GATE_H
#define XMESH_GATE_H

#include <linux/types.h>

#define XMG_PROG_NAME	"xmesh_gate"	/* the program, as the kernel names it */
#define XMG_STATS_NAME	"xmg_stats"	/* the maps, likewise */
#define XMG_NEIGHS_NAME	"xmg_neighs"
#define XMG_CONF_NAME	"xmg_conf"
#define XMG_MAX_NEIGHS	4096		/* XMESH_MAX_NEIGHS */
/*
 * The layout of the maps and the program's verdicts: a gate of this
 * version left attached by a previous agent is adopted with its maps, one
 * of another version is replaced (atomically) by a fresh one. Bump it on
 * any change of gate.bpf.c or of the structures below.
 */
#define XMG_VERSION	2

/* Counters, the index in xmg_stats. */
enum xmg_verdict {
	XMG_DATA_PASSED,	/* data port, from a neighbor */
	XMG_DATA_DROPPED,	/* data port, from no neighbor */
	XMG_AGENT_PASSED,	/* agent port, from a neighbor */
	XMG_HELLO_PASSED,	/* agent port, from no neighbor, within rate */
	XMG_HELLO_DROPPED,	/* agent port, from no neighbor, over rate */
	XMG_OTHER,		/* not for either port: passed */
	XMG_N_VERDICTS
};

/* A neighbor: its address (IPv4 in the first 4 bytes) and interface. */
struct xmg_neigh_key {
	__u32 ifindex;
	__u32 family;		/* AF_INET or AF_INET6 */
	__u8 addr[16];
};

/* Settings, the one entry of xmg_conf. Ports in network order. */
struct xmg_conf {
	__be16 data_port;
	__be16 agent_port;
	__u32 hello_rate;	/* per CPU per second; 0: no hello passes */
	__u32 hello_burst;	/* per CPU */
	__u32 version;		/* XMG_VERSION (version 1 had 0 here) */
};

/* The token bucket of hellos from unknown sources, per CPU. */
struct xmg_bucket {
	__u64 tokens;		/* 1 token = 1e9 */
	__u64 last_ns;
};

/* Take a token: the arithmetic of the kernel's xmesh_bucket_take(). */
static inline int xmg_bucket_take(struct xmg_bucket *b, __u32 rate,
				  __u32 burst, __u64 now)
{
	const __u64 one = 1000000000ULL;
	__u64 full = (__u64)burst * one;
	__u64 elapsed = now - b->last_ns;

	if (!rate || !burst)
		return 0;
	b->last_ns = now;
	if (elapsed >= (full + rate - 1) / rate)
		b->tokens = full;
	else if (b->tokens + elapsed * rate < full)
		b->tokens += elapsed * rate;
	else
		b->tokens = full;
	if (b->tokens < one)
		return 0;
	b->tokens -= one;
	return 1;
}

#endif /* XMESH_GATE_H */
