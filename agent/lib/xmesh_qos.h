/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QoS of an xmesh device over the family (XMESH_CMD_QOS_*): traffic
 * classes with their rate caps and counters, the DSCP and priority maps,
 * and the classifier rules. The objects (struct xm_qos, xm_qos_rule) are
 * xmesh_obj.h's, entries like the others (XMESH_A_QOS, _QOS_RULE); these
 * are the names, the rates and the requests, on xmesh_nl.h's.
 */
#ifndef XMESH_QOS_H
#define XMESH_QOS_H

#include <linux/xmesh.h>
#include <linux/xmesh_packet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xmesh_nl.h"

/* "bulk", "interactive", "realtime", "network-control"; NULL if none. */
const char *xm_tclass_name(uint8_t tclass);
/* A class by name or unique prefix ("rt" and "control" too); -1 if none. */
int xm_tclass_parse(const char *s);
/* The class a packet carrying tclass is handled as: best-effort (nodes
 * older than QoS) and unassigned values are bulk (xmesh_tclass_sent()). */
uint8_t xm_tclass_sent(uint8_t tclass);
/*
 * The skb->priority a packet of tclass is sent with and delivered with
 * (xmesh.ko's xmesh_tclass_priority(), Documentation/qos.md): what
 * nftables sees as meta priority. Best-effort and unknown: bulk's.
 */
uint32_t xm_tclass_priority(uint8_t tclass);

/*
 * A rate as tc writes it: NUMBER[UNIT], bits/s (bit, kbit, mbit, gbit,
 * tbit; none: bit) or bytes/s (bps, kbps, mbps, gbps), into bytes/s.
 * -EINVAL if it is none of these.
 */
int xm_parse_rate(const char *s, uint64_t *bytes);

int xmnl_qos_get(struct xmnl *h, uint32_t ifindex, const char *ifname,
		 struct xm_qos *out, struct nlc_error *err);
int xmnl_qos_set(struct xmnl *h, uint32_t ifindex, const char *ifname,
		 const struct xm_qos *q, struct nlc_error *err);
/* Every rule, by id, appended to out as XMESH_A_QOS_RULE entries. */
int xmnl_qos_rules(struct xmnl *h, uint32_t ifindex, const char *ifname,
		   struct xm_list *out, struct nlc_error *err);
/*
 * XMESH_CMD_QOS_RULE_NEW (replace: XMESH_A_REPLACE) or _DEL of r, or with
 * r NULL a _DEL with XMESH_A_FLUSH.
 */
int xmnl_qos_rule_change(struct xmnl *h, uint8_t cmd, uint32_t ifindex,
			 const char *ifname, const struct xm_qos_rule *r,
			 bool replace, struct nlc_error *err);

#endif /* XMESH_QOS_H */
