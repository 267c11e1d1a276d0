// SPDX-License-Identifier: GPL-2.0
#include "xmesh_qos.h"

#include <errno.h>
#include <linux/pkt_sched.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const tclass_names[] = {
	[XMESH_TC_BULK] = "bulk",
	[XMESH_TC_INTERACTIVE] = "interactive",
	[XMESH_TC_REALTIME] = "realtime",
	[XMESH_TC_NETWORK_CONTROL] = "network-control",
};

uint8_t xm_tclass_sent(uint8_t tclass)
{
	return tclass >= XMESH_TC_BULK && tclass <= XMESH_TC_NETWORK_CONTROL ?
	       tclass : XMESH_TC_BULK;
}

uint32_t xm_tclass_priority(uint8_t tclass)
{
	static const uint32_t priority[] = {
		[XMESH_TC_BULK] = TC_PRIO_BESTEFFORT,
		[XMESH_TC_INTERACTIVE] = TC_PRIO_INTERACTIVE_BULK,
		[XMESH_TC_REALTIME] = TC_PRIO_INTERACTIVE,
		[XMESH_TC_NETWORK_CONTROL] = TC_PRIO_CONTROL,
	};

	return priority[xm_tclass_sent(tclass)];
}

const char *xm_tclass_name(uint8_t tclass)
{
	if (tclass < XMESH_TC_BULK || tclass > XMESH_TC_NETWORK_CONTROL)
		return NULL;
	return tclass_names[tclass];
}

int xm_tclass_parse(const char *s)
{
	size_t len = strlen(s);
	int i, found = -1;

	if (!strcmp(s, "rt"))
		return XMESH_TC_REALTIME;
	if (!strcmp(s, "control"))
		return XMESH_TC_NETWORK_CONTROL;
	if (!len)
		return -1;
	for (i = XMESH_TC_BULK; i <= XMESH_TC_NETWORK_CONTROL; i++) {
		if (!strcmp(s, tclass_names[i]))
			return i;
		if (!strncmp(s, tclass_names[i], len)) {
			if (found >= 0)
				return -1;	/* ambiguous */
			found = i;
		}
	}
	return found;
}

int xm_parse_rate(const char *s, uint64_t *bytes)
{
	static const struct { const char *unit; double mult; } units[] = {
		{ "", 1.0 / 8 }, { "bit", 1.0 / 8 }, { "kbit", 1e3 / 8 },
		{ "mbit", 1e6 / 8 }, { "gbit", 1e9 / 8 }, { "tbit", 1e12 / 8 },
		{ "bps", 1 }, { "kbps", 1e3 }, { "mbps", 1e6 }, { "gbps", 1e9 },
	};
	char *end;
	double v;
	size_t i;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !(v >= 0) || !isfinite(v))
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].unit))
			continue;
		v *= units[i].mult;
		if (v >= 1.8e19)
			return -EINVAL;
		*bytes = (uint64_t)(v + 0.5);
		return 0;
	}
	return -EINVAL;
}

/* ---- requests ----------------------------------------------------- */

int xmnl_qos_get(struct xmnl *h, uint32_t ifindex, const char *ifname,
		 struct xm_qos *out, struct nlc_error *err)
{
	struct xm_list l = { 0 };
	int ret;

	memset(out, 0, sizeof(*out));
	ret = xmnl_get(h, XMESH_CMD_QOS_GET, ifindex, ifname, NULL, &l, err);
	if (!ret && l.n)
		*out = l.v[0].qos;
	xm_list_free(&l);
	return ret;
}

int xmnl_qos_set(struct xmnl *h, uint32_t ifindex, const char *ifname,
		 const struct xm_qos *q, struct nlc_error *err)
{
	struct xm_entry e = { .type = XMESH_A_QOS, .qos = *q };

	return xmnl_request(h, XMESH_CMD_QOS_SET, 0, 0, ifindex, ifname, &e,
			    err);
}

int xmnl_qos_rules(struct xmnl *h, uint32_t ifindex, const char *ifname,
		   struct xm_list *out, struct nlc_error *err)
{
	return xmnl_dump(h, XMESH_CMD_QOS_RULE_GET, ifindex, ifname, out, err);
}

int xmnl_qos_rule_change(struct xmnl *h, uint8_t cmd, uint32_t ifindex,
			 const char *ifname, const struct xm_qos_rule *r,
			 bool replace, struct nlc_error *err)
{
	struct xm_entry e = { .type = XMESH_A_QOS_RULE };

	if (!r)
		return xmnl_request(h, cmd, 0, XMESH_A_FLUSH, ifindex, ifname,
				    NULL, err);
	e.qos_rule = *r;
	return xmnl_request(h, cmd, 0, replace ? XMESH_A_REPLACE : 0, ifindex,
			    ifname, &e, err);
}
