/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QoS of an xmesh device over the family (XMESH_CMD_QOS_*): traffic
 * classes with their rate caps and counters, the DSCP and priority maps,
 * and the classifier rules. Typed as xmesh_obj.h's objects are: a
 * "present" mask says which attributes a struct carries.
 */
#ifndef XMESH_QOS_H
#define XMESH_QOS_H

#include <linux/xmesh.h>
#include <linux/xmesh_packet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xmesh_nl.h"

#define XM_TCLASS_COUNT	(XMESH_TC_NETWORK_CONTROL - XMESH_TC_BULK + 1)

struct xm_tclass {
	uint32_t present;		/* XMESH_TCLASS_A_* */
	uint8_t id;			/* enum xmesh_tclass */
	uint64_t rate;			/* bytes/s, 0: no cap */
	uint32_t burst;			/* bytes */
	uint8_t dscp;
	uint32_t priority;
	uint64_t packets, bytes, drops;
};

struct xm_qos {
	uint32_t present;		/* XMESH_QOS_A_* */
	uint8_t dscp_map[XMESH_QOS_DSCP_COUNT];
	uint8_t prio_map[XMESH_QOS_PRIO_COUNT];
	unsigned int n_tclass;
	struct xm_tclass tclass[XM_TCLASS_COUNT];
};

struct xm_qos_rule {
	uint32_t present;		/* XMESH_QOS_RULE_A_* */
	uint32_t id;
	uint8_t tclass;
	struct xm_addr addr;		/* family: XMESH_QOS_RULE_A_FAMILY */
	uint8_t len;
	uint8_t protocol;
	uint16_t port_min, port_max;	/* destination ports */
	uint16_t sport_min, sport_max;	/* source ports */
};

/* "bulk", "interactive", "realtime", "network-control"; NULL if none. */
const char *xm_tclass_name(uint8_t tclass);
/* A class by name or unique prefix ("rt" and "control" too); -1 if none. */
int xm_tclass_parse(const char *s);

/*
 * A rate as tc writes it: NUMBER[UNIT], bits/s (bit, kbit, mbit, gbit,
 * tbit; none: bit) or bytes/s (bps, kbps, mbps, gbps), into bytes/s.
 * -EINVAL if it is none of these.
 */
int xm_parse_rate(const char *s, uint64_t *bytes);

int xm_qos_put(struct nlmsghdr *nlh, size_t room, const struct xm_qos *q);
int xm_qos_parse(const struct nlattr *nest, struct xm_qos *q);
int xm_qos_rule_put(struct nlmsghdr *nlh, size_t room,
		    const struct xm_qos_rule *r);
int xm_qos_rule_parse(const struct nlattr *nest, struct xm_qos_rule *r);

int xmnl_qos_get(struct xmnl *h, uint32_t ifindex, const char *ifname,
		 struct xm_qos *out, struct nlc_error *err);
int xmnl_qos_set(struct xmnl *h, uint32_t ifindex, const char *ifname,
		 const struct xm_qos *q, struct nlc_error *err);
/* Every rule, by id: *v (free() it) holds *n of them. */
int xmnl_qos_rules(struct xmnl *h, uint32_t ifindex, const char *ifname,
		   struct xm_qos_rule **v, size_t *n, struct nlc_error *err);
/*
 * XMESH_CMD_QOS_RULE_NEW (replace: XMESH_A_REPLACE) or _DEL of r, or with
 * r NULL a _DEL with XMESH_A_FLUSH.
 */
int xmnl_qos_rule_change(struct xmnl *h, uint8_t cmd, uint32_t ifindex,
			 const char *ifname, const struct xm_qos_rule *r,
			 bool replace, struct nlc_error *err);

#endif /* XMESH_QOS_H */
