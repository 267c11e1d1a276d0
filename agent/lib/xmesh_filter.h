/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The filter rules file (Documentation/filter.md): zone and role numbers,
 * the module's zone pairs and settings, and the fine-grained rules. Pure
 * code: text in, a struct xm_filter out, or an error naming the line.
 */
#ifndef XMESH_FILTER_H
#define XMESH_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xmesh_parse.h"

#define XM_FILTER_NAME_MAX	32	/* a zone or role name, with NUL */
#define XM_FILTER_ROLE_BITS	16
#define XM_FILTER_MAX_ZONES	1024
#define XM_FILTER_MAX_PAIRS	4096	/* XMESH_MAX_ZONE_PAIRS */
#define XM_FILTER_MAX_RULES	10000

struct xm_filter_zone {
	char name[XM_FILTER_NAME_MAX];
	uint16_t id;			/* 1..65535 */
};

struct xm_filter_role {
	char name[XM_FILTER_NAME_MAX];
	uint8_t bit;			/* 0..15 */
};

struct xm_filter_pair {
	uint16_t from, to;		/* zone ids; 0: no zone */
	uint8_t action;			/* enum xmesh_zone_action */
	unsigned int line;
};

/* What a rule's "from" or "to" names. */
enum xm_filter_sel_kind {
	XM_SEL_ANY,
	XM_SEL_ZONE,
	XM_SEL_ROLE,
	XM_SEL_PREFIX,
};

struct xm_filter_sel {
	uint8_t kind;			/* enum xm_filter_sel_kind */
	uint16_t zone;			/* XM_SEL_ZONE: its id */
	uint8_t role;			/* XM_SEL_ROLE: its bit */
	struct xm_addr addr;		/* XM_SEL_PREFIX */
	uint8_t len;
};

/* Directions, as bits: which hooks of the device a rule is in. */
#define XM_DIR_IN	0x1		/* to this node, from xmesh0 */
#define XM_DIR_OUT	0x2		/* from this node, into xmesh0 */
#define XM_DIR_FORWARD	0x4		/* routed through this node */
#define XM_DIR_ALL	(XM_DIR_IN | XM_DIR_OUT | XM_DIR_FORWARD)

enum xm_filter_verdict {
	XM_FILTER_ALLOW,
	XM_FILTER_DENY,
};

struct xm_filter_rule {
	unsigned int line;		/* in the file, for messages */
	uint8_t verdict;		/* enum xm_filter_verdict */
	bool log;			/* logged, rate-limited */
	uint8_t dir;			/* XM_DIR_*; default all */
	struct xm_filter_sel from, to;
	uint8_t tclass;			/* traffic class (XMESH_TC_*); 0: any */
	uint8_t proto;			/* IP protocol; 0: any */
	uint16_t sport_min, sport_max;	/* sport_max 0: any */
	uint16_t dport_min, dport_max;
};

struct xm_filter {
	struct xm_filter_zone zones[XM_FILTER_MAX_ZONES];
	unsigned int n_zones;
	struct xm_filter_role roles[XM_FILTER_ROLE_BITS];
	unsigned int n_roles;
	uint8_t zone_default;		/* enum xmesh_zone_action; allow */
	uint32_t mark_mask;		/* default 0xffffffff */
	uint8_t policy;			/* new flows no rule matched */
	struct xm_filter_pair *pairs;
	unsigned int n_pairs;
	struct xm_filter_rule *rules;
	unsigned int n_rules;
};

/*
 * Parse the text of a rules file into f (initialized here; free it with
 * xm_filter_free, also after a failure). Returns 0, or -EINVAL with
 * "line N: what is wrong" in err, or -ENOMEM.
 */
int xm_filter_parse(const char *text, struct xm_filter *f, char *err,
		    size_t err_len);
void xm_filter_free(struct xm_filter *f);

/* The id of zone name, 0 if it is "" or not declared. */
uint16_t xm_filter_zone_id(const struct xm_filter *f, const char *name);
/* The role bits of the names (undeclared ones are left out). */
uint16_t xm_filter_role_bits(const struct xm_filter *f,
			     const char (*names)[XM_FILTER_NAME_MAX],
			     unsigned int n);

/* A new flow from a node of one zone to a node of another. */
struct xm_filter_flow {
	uint16_t from_zone, to_zone;	/* ids; 0: no zone */
	uint8_t proto;			/* IP protocol */
	uint16_t dport;			/* with tcp, udp...; else 0 */
	uint8_t tclass;			/* XMESH_TC_*; 0 (best-effort): bulk */
};

/* What decided a flow. */
enum xm_filter_decider {
	XM_DECIDED_PAIR,		/* a zone pair (the module) */
	XM_DECIDED_ZONE_DEFAULT,	/* zone-default deny (the module) */
	XM_DECIDED_RULE,		/* the first rule that matched */
	XM_DECIDED_POLICY,		/* no rule: the policy */
};

struct xm_filter_decision {
	uint8_t verdict;		/* enum xm_filter_verdict */
	uint8_t by;			/* enum xm_filter_decider */
	uint8_t dir;			/* XM_DIR_OUT or _IN: whose chain */
	unsigned int line;		/* the pair's or rule's; else 0 */
};

/*
 * What f does to flow, as the kernels of its two ends would (pure, for
 * policy tests): the module's zone pair (its action, else zone-default)
 * drops it when denied; then the sender's chain out and the receiver's
 * chain in each take the first rule of their direction that matches (a
 * rule naming a role, a prefix or source ports matches no zone flow; one
 * naming a class is in no out chain: the sender classifies after it),
 * else the policy; the flow passes only if both allow it. A deny names
 * what denied it; an allow, the in chain's decider.
 */
uint8_t xm_filter_decide(const struct xm_filter *f,
			 const struct xm_filter_flow *flow,
			 struct xm_filter_decision *d);

#endif /* XMESH_FILTER_H */
