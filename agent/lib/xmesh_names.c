// SPDX-License-Identifier: GPL-2.0
#include "xmesh_names.h"

#include <linux/genetlink.h>
#include <linux/xmesh.h>
#include <stdio.h>
#include <string.h>

#include "nl_core.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *tbl, size_t n, long i)
{
	return i >= 0 && (size_t)i < n ? tbl[i] : NULL;
}

#define NAME(tbl, i)	name_of(tbl, ARRAY_SIZE(tbl), (long)(i))

static const char *const counter_names[] = {
	[XMESH_COUNTER_A_TX_PACKETS] = "tx-packets",
	[XMESH_COUNTER_A_TX_BYTES] = "tx-bytes",
	[XMESH_COUNTER_A_RX_PACKETS] = "rx-packets",
	[XMESH_COUNTER_A_RX_BYTES] = "rx-bytes",
	[XMESH_COUNTER_A_FWD_PACKETS] = "fwd-packets",
	[XMESH_COUNTER_A_FWD_BYTES] = "fwd-bytes",
	[XMESH_COUNTER_A_OAM_RX] = "oam-rx",
	[XMESH_COUNTER_A_OAM_TX] = "oam-tx",
	[XMESH_COUNTER_A_REROUTES] = "reroutes",
	[XMESH_COUNTER_A_NEIGH_LIMIT_HITS] = "neigh-limit-hits",
	[XMESH_COUNTER_A_ROUTE_LIMIT_HITS] = "route-limit-hits",
	[XMESH_COUNTER_A_PREFIX_LIMIT_HITS] = "prefix-limit-hits",
	[XMESH_COUNTER_A_KEY_LIMIT_HITS] = "key-limit-hits",
	[XMESH_COUNTER_A_QOS_RULE_LIMIT_HITS] = "qos-rule-limit-hits",
	[XMESH_COUNTER_A_NODE_LIMIT_HITS] = "node-limit-hits",
	[XMESH_COUNTER_A_ZONE_PAIR_LIMIT_HITS] = "zone-pair-limit-hits",
	[XMESH_COUNTER_A_MROUTE_LIMIT_HITS] = "mroute-limit-hits",
};

static const char *const counter_keys[] = {
	[XMESH_COUNTER_A_TX_PACKETS] = "tx_packets",
	[XMESH_COUNTER_A_TX_BYTES] = "tx_bytes",
	[XMESH_COUNTER_A_RX_PACKETS] = "rx_packets",
	[XMESH_COUNTER_A_RX_BYTES] = "rx_bytes",
	[XMESH_COUNTER_A_FWD_PACKETS] = "fwd_packets",
	[XMESH_COUNTER_A_FWD_BYTES] = "fwd_bytes",
	[XMESH_COUNTER_A_OAM_RX] = "oam_rx",
	[XMESH_COUNTER_A_OAM_TX] = "oam_tx",
	[XMESH_COUNTER_A_REROUTES] = "reroutes",
	[XMESH_COUNTER_A_NEIGH_LIMIT_HITS] = "neigh_limit_hits",
	[XMESH_COUNTER_A_ROUTE_LIMIT_HITS] = "route_limit_hits",
	[XMESH_COUNTER_A_PREFIX_LIMIT_HITS] = "prefix_limit_hits",
	[XMESH_COUNTER_A_KEY_LIMIT_HITS] = "key_limit_hits",
	[XMESH_COUNTER_A_QOS_RULE_LIMIT_HITS] = "qos_rule_limit_hits",
	[XMESH_COUNTER_A_NODE_LIMIT_HITS] = "node_limit_hits",
	[XMESH_COUNTER_A_ZONE_PAIR_LIMIT_HITS] = "zone_pair_limit_hits",
	[XMESH_COUNTER_A_MROUTE_LIMIT_HITS] = "mroute_limit_hits",
};

static const char *const drop_names[] = {
	[XMESH_DROP_A_NO_PREFIX] = "no-prefix",
	[XMESH_DROP_A_NO_ROUTE] = "no-route",
	[XMESH_DROP_A_NO_NEXTHOP] = "no-nexthop",
	[XMESH_DROP_A_HOP_LIMIT] = "hop-limit",
	[XMESH_DROP_A_TOO_BIG] = "too-big",
	[XMESH_DROP_A_TRUNCATED] = "truncated",
	[XMESH_DROP_A_BAD_VERSION] = "bad-version",
	[XMESH_DROP_A_BAD_HEADER] = "bad-header",
	[XMESH_DROP_A_BAD_INNER] = "bad-inner",
	[XMESH_DROP_A_UNKNOWN_NEIGH] = "unknown-neigh",
	[XMESH_DROP_A_NEIGH_DOWN] = "neigh-down",
	[XMESH_DROP_A_NOT_RUNNING] = "not-running",
	[XMESH_DROP_A_NOMEM] = "nomem",
	[XMESH_DROP_A_TX_ERROR] = "tx-error",
	[XMESH_DROP_A_LOOP] = "loop",
	[XMESH_DROP_A_NODE_MISMATCH] = "node-mismatch",
	[XMESH_DROP_A_NO_KEY] = "no-key",
	[XMESH_DROP_A_UNAUTHENTICATED] = "unauthenticated",
	[XMESH_DROP_A_AUTH_FAILED] = "auth-failed",
	[XMESH_DROP_A_REPLAYED] = "replayed",
	[XMESH_DROP_A_UNENCRYPTED] = "unencrypted",
	[XMESH_DROP_A_KEY_EXHAUSTED] = "key-exhausted",
	[XMESH_DROP_A_SPOOFED_SOURCE] = "spoofed-source",
	[XMESH_DROP_A_RATE_LIMITED] = "rate-limited",
	[XMESH_DROP_A_OAM_RATE_LIMITED] = "oam-rate-limited",
	[XMESH_DROP_A_ZONE_DENIED] = "zone-denied",
	[XMESH_DROP_A_QUEUE_FULL] = "queue-full",
	[XMESH_DROP_A_NO_MROUTE] = "no-mroute",
	[XMESH_DROP_A_MCAST_RPF] = "mcast-rpf",
	[XMESH_DROP_A_OAM_EVENT_RATE_LIMITED] = "oam-event-rate-limited",
	[XMESH_DROP_A_NO_ORIGIN_KEY] = "no-origin-key",
	[XMESH_DROP_A_ORIGIN_MISSING] = "origin-missing",
	[XMESH_DROP_A_ORIGIN_NO_KEY] = "origin-no-key",
	[XMESH_DROP_A_ORIGIN_AUTH_FAILED] = "origin-auth-failed",
	[XMESH_DROP_A_ORIGIN_REPLAYED] = "origin-replayed",
};

static const char *const drop_keys[] = {
	[XMESH_DROP_A_NO_PREFIX] = "no_prefix",
	[XMESH_DROP_A_NO_ROUTE] = "no_route",
	[XMESH_DROP_A_NO_NEXTHOP] = "no_nexthop",
	[XMESH_DROP_A_HOP_LIMIT] = "hop_limit",
	[XMESH_DROP_A_TOO_BIG] = "too_big",
	[XMESH_DROP_A_TRUNCATED] = "truncated",
	[XMESH_DROP_A_BAD_VERSION] = "bad_version",
	[XMESH_DROP_A_BAD_HEADER] = "bad_header",
	[XMESH_DROP_A_BAD_INNER] = "bad_inner",
	[XMESH_DROP_A_UNKNOWN_NEIGH] = "unknown_neigh",
	[XMESH_DROP_A_NEIGH_DOWN] = "neigh_down",
	[XMESH_DROP_A_NOT_RUNNING] = "not_running",
	[XMESH_DROP_A_NOMEM] = "nomem",
	[XMESH_DROP_A_TX_ERROR] = "tx_error",
	[XMESH_DROP_A_LOOP] = "loop",
	[XMESH_DROP_A_NODE_MISMATCH] = "node_mismatch",
	[XMESH_DROP_A_NO_KEY] = "no_key",
	[XMESH_DROP_A_UNAUTHENTICATED] = "unauthenticated",
	[XMESH_DROP_A_AUTH_FAILED] = "auth_failed",
	[XMESH_DROP_A_REPLAYED] = "replayed",
	[XMESH_DROP_A_UNENCRYPTED] = "unencrypted",
	[XMESH_DROP_A_KEY_EXHAUSTED] = "key_exhausted",
	[XMESH_DROP_A_SPOOFED_SOURCE] = "spoofed_source",
	[XMESH_DROP_A_RATE_LIMITED] = "rate_limited",
	[XMESH_DROP_A_OAM_RATE_LIMITED] = "oam_rate_limited",
	[XMESH_DROP_A_ZONE_DENIED] = "zone_denied",
	[XMESH_DROP_A_QUEUE_FULL] = "queue_full",
	[XMESH_DROP_A_NO_MROUTE] = "no_mroute",
	[XMESH_DROP_A_MCAST_RPF] = "mcast_rpf",
	[XMESH_DROP_A_OAM_EVENT_RATE_LIMITED] = "oam_event_rate_limited",
	[XMESH_DROP_A_NO_ORIGIN_KEY] = "no_origin_key",
	[XMESH_DROP_A_ORIGIN_MISSING] = "origin_missing",
	[XMESH_DROP_A_ORIGIN_NO_KEY] = "origin_no_key",
	[XMESH_DROP_A_ORIGIN_AUTH_FAILED] = "origin_auth_failed",
	[XMESH_DROP_A_ORIGIN_REPLAYED] = "origin_replayed",
};

static const char *const oam_op_names[] = {
	[XMESH_OAM_ECHO_REQUEST] = "echo-request",
	[XMESH_OAM_ECHO_REPLY] = "echo-reply",
	[XMESH_OAM_TIME_EXCEEDED] = "time-exceeded",
	[XMESH_OAM_UNREACHABLE] = "unreachable",
	[XMESH_OAM_LINK_REQUEST] = "link-request",
	[XMESH_OAM_LINK_REPLY] = "link-reply",
};

static const char *const state_names[] = {
	[XMESH_NEIGH_DOWN] = "down",
	[XMESH_NEIGH_UP] = "up",
};

static const char *const cmd_names[] = {
	[XMESH_CMD_DEV_GET] = "dev-get",
	[XMESH_CMD_DEV_SET] = "dev-set",
	[XMESH_CMD_NEIGH_GET] = "neigh-get",
	[XMESH_CMD_NEIGH_NEW] = "neigh-new",
	[XMESH_CMD_NEIGH_SET] = "neigh-set",
	[XMESH_CMD_NEIGH_DEL] = "neigh-del",
	[XMESH_CMD_ROUTE_GET] = "route-get",
	[XMESH_CMD_ROUTE_NEW] = "route-new",
	[XMESH_CMD_ROUTE_DEL] = "route-del",
	[XMESH_CMD_PREFIX_GET] = "prefix-get",
	[XMESH_CMD_PREFIX_NEW] = "prefix-new",
	[XMESH_CMD_PREFIX_DEL] = "prefix-del",
	[XMESH_CMD_OAM_SEND] = "oam-send",
	[XMESH_CMD_NEIGH_EVENT] = "neigh-event",
	[XMESH_CMD_ROUTE_EVENT] = "route-event",
	[XMESH_CMD_OAM_EVENT] = "oam-event",
	[XMESH_CMD_KEY_GET] = "key-get",
	[XMESH_CMD_KEY_NEW] = "key-new",
	[XMESH_CMD_KEY_DEL] = "key-del",
	[XMESH_CMD_QOS_GET] = "qos-get",
	[XMESH_CMD_QOS_SET] = "qos-set",
	[XMESH_CMD_QOS_RULE_GET] = "qos-rule-get",
	[XMESH_CMD_QOS_RULE_NEW] = "qos-rule-new",
	[XMESH_CMD_QOS_RULE_DEL] = "qos-rule-del",
	[XMESH_CMD_NODE_GET] = "node-get",
	[XMESH_CMD_NODE_NEW] = "node-new",
	[XMESH_CMD_NODE_DEL] = "node-del",
	[XMESH_CMD_ZONE_PAIR_GET] = "zone-pair-get",
	[XMESH_CMD_ZONE_PAIR_NEW] = "zone-pair-new",
	[XMESH_CMD_ZONE_PAIR_DEL] = "zone-pair-del",
	[XMESH_CMD_MROUTE_GET] = "mroute-get",
	[XMESH_CMD_MROUTE_NEW] = "mroute-new",
	[XMESH_CMD_MROUTE_DEL] = "mroute-del",
};

static const char *const zone_action_names[] = {
	[XMESH_ZONE_ALLOW] = "allow",
	[XMESH_ZONE_DENY] = "deny",
};

static const char *const security_names[] = {
	[XMESH_SECURITY_NONE] = "none",
	[XMESH_SECURITY_AUTH] = "auth",
	[XMESH_SECURITY_ENCRYPT] = "encrypt",
};

static const char *const key_dir_names[] = {
	[XMESH_KEY_TX] = "tx",
	[XMESH_KEY_RX] = "rx",
};

const char *xm_counter_name(int type) { return NAME(counter_names, type); }
const char *xm_counter_key(int type) { return NAME(counter_keys, type); }
const char *xm_drop_name(int type) { return NAME(drop_names, type); }
const char *xm_drop_key(int type) { return NAME(drop_keys, type); }
const char *xm_oam_op_name(uint8_t op) { return NAME(oam_op_names, op); }
const char *xm_neigh_state_name(uint8_t s) { return NAME(state_names, s); }
const char *xm_cmd_name(uint8_t cmd) { return NAME(cmd_names, cmd); }
const char *xm_security_name(uint8_t s) { return NAME(security_names, s); }
const char *xm_key_dir_name(uint8_t dir) { return NAME(key_dir_names, dir); }
const char *xm_zone_action_name(uint8_t a)
{
	return NAME(zone_action_names, a);
}

/* The value whose name in tbl is s, or -1. */
static int value_of(const char *const *tbl, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tbl[i] && !strcmp(tbl[i], s))
			return (int)i;
	return -1;
}

int xm_security_parse(const char *s)
{
	return value_of(security_names, ARRAY_SIZE(security_names), s);
}

int xm_key_dir_parse(const char *s)
{
	return value_of(key_dir_names, ARRAY_SIZE(key_dir_names), s);
}

int xm_zone_action_parse(const char *s)
{
	return value_of(zone_action_names, ARRAY_SIZE(zone_action_names), s);
}

/* An attribute space: the names of its attributes and what nests hold. */
struct space {
	const char *const *names;
	size_t n;
	const struct space *const *nested;	/* by type, or NULL */
	size_t n_nested;
	int repeats;	/* type that may repeat, indexed as name[i] */
};

#define SPACE(names, rep) { names, ARRAY_SIZE(names), NULL, 0, rep }
#define SPACE_NESTED(names, nested, rep) \
	{ names, ARRAY_SIZE(names), nested, ARRAY_SIZE(nested), rep }

static const char *const nexthop_attrs[] = {
	[XMESH_NEXTHOP_A_NEIGH] = "neigh",
	[XMESH_NEXTHOP_A_PRIORITY] = "priority",
	[XMESH_NEXTHOP_A_ACTIVE] = "active",
};
static const struct space nexthop_space = SPACE(nexthop_attrs, -1);

static const char *const route_attrs[] = {
	[XMESH_ROUTE_A_PAD] = "pad",
	[XMESH_ROUTE_A_DST] = "dst",
	[XMESH_ROUTE_A_NEXTHOP] = "nexthop",
	[XMESH_ROUTE_A_TCLASS] = "tclass",
};
static const struct space *const route_nested[] = {
	[XMESH_ROUTE_A_NEXTHOP] = &nexthop_space,
};
static const struct space route_space =
	SPACE_NESTED(route_attrs, route_nested, XMESH_ROUTE_A_NEXTHOP);

static const char *const neigh_attrs[] = {
	[XMESH_NEIGH_A_PAD] = "pad",
	[XMESH_NEIGH_A_ID] = "id",
	[XMESH_NEIGH_A_NODE] = "node",
	[XMESH_NEIGH_A_LINK] = "link",
	[XMESH_NEIGH_A_LOCAL] = "local",
	[XMESH_NEIGH_A_REMOTE] = "remote",
	[XMESH_NEIGH_A_PORT] = "port",
	[XMESH_NEIGH_A_STATE] = "state",
	[XMESH_NEIGH_A_CARRIER] = "carrier",
	[XMESH_NEIGH_A_MTU] = "mtu",
	[XMESH_NEIGH_A_TX_PACKETS] = "tx-packets",
	[XMESH_NEIGH_A_TX_BYTES] = "tx-bytes",
	[XMESH_NEIGH_A_RX_PACKETS] = "rx-packets",
	[XMESH_NEIGH_A_RX_BYTES] = "rx-bytes",
	[XMESH_NEIGH_A_DROPS] = "drops",
};
static const struct space neigh_space = SPACE(neigh_attrs, -1);

static const char *const prefix_attrs[] = {
	[XMESH_PREFIX_A_FAMILY] = "family",
	[XMESH_PREFIX_A_ADDR] = "addr",
	[XMESH_PREFIX_A_LEN] = "len",
	[XMESH_PREFIX_A_NODE] = "node",
};
static const struct space prefix_space = SPACE(prefix_attrs, -1);

static const char *const oam_attrs[] = {
	[XMESH_OAM_A_PAD] = "pad",
	[XMESH_OAM_A_DST] = "dst",
	[XMESH_OAM_A_IDENT] = "ident",
	[XMESH_OAM_A_SEQ] = "seq",
	[XMESH_OAM_A_HOP_LIMIT] = "hop-limit",
	[XMESH_OAM_A_OP] = "op",
	[XMESH_OAM_A_REPORTER] = "reporter",
	[XMESH_OAM_A_RTT_NS] = "rtt-ns",
	[XMESH_OAM_A_NEIGH] = "neigh",
};
static const struct space oam_space = SPACE(oam_attrs, -1);

static const char *const key_attrs[] = {
	[XMESH_KEY_A_PAD] = "pad",
	[XMESH_KEY_A_NEIGH] = "neigh",
	[XMESH_KEY_A_ID] = "id",
	[XMESH_KEY_A_DIR] = "dir",
	[XMESH_KEY_A_KEY] = "key",
	[XMESH_KEY_A_COUNTER] = "counter",
	[XMESH_KEY_A_PACKETS] = "packets",
	[XMESH_KEY_A_BYTES] = "bytes",
	[XMESH_KEY_A_REPLAYED] = "replayed",
	[XMESH_KEY_A_AUTH_FAILED] = "auth-failed",
	[XMESH_KEY_A_NODE] = "node",
};
static const struct space key_space = SPACE(key_attrs, -1);

static const char *const node_attrs[] = {
	[XMESH_NODE_A_ID] = "id",
	[XMESH_NODE_A_ZONE] = "zone",
	[XMESH_NODE_A_ROLES] = "roles",
};
static const struct space node_space = SPACE(node_attrs, -1);

static const char *const zone_pair_attrs[] = {
	[XMESH_ZONE_PAIR_A_FROM] = "from",
	[XMESH_ZONE_PAIR_A_TO] = "to",
	[XMESH_ZONE_PAIR_A_ACTION] = "action",
};
static const struct space zone_pair_space = SPACE(zone_pair_attrs, -1);

static const char *const mroute_attrs[] = {
	[XMESH_MROUTE_A_ROOT] = "root",
	[XMESH_MROUTE_A_FAMILY] = "family",
	[XMESH_MROUTE_A_GROUP] = "group",
	[XMESH_MROUTE_A_NEIGH] = "neigh",
	[XMESH_MROUTE_A_LOCAL] = "local",
	[XMESH_MROUTE_A_UPSTREAM] = "upstream",
	[XMESH_MROUTE_A_SHARED_ROOT] = "shared-root",
};
static const struct space mroute_space = SPACE(mroute_attrs,
					       XMESH_MROUTE_A_NEIGH);

static const char *const dev_attrs[] = {
	[XMESH_DEV_A_NODE_ID] = "node-id",
	[XMESH_DEV_A_PORT] = "port",
	[XMESH_DEV_A_FAMILY] = "family",
	[XMESH_DEV_A_HOP_LIMIT] = "hop-limit",
	[XMESH_DEV_A_COUNTERS] = "counters",
	[XMESH_DEV_A_DROPS] = "drops",
	[XMESH_DEV_A_NEIGH_COUNT] = "neigh-count",
	[XMESH_DEV_A_ROUTE_COUNT] = "route-count",
	[XMESH_DEV_A_PREFIX_COUNT] = "prefix-count",
	[XMESH_DEV_A_SECURITY] = "security",
	[XMESH_DEV_A_KEY_COUNT] = "key-count",
	[XMESH_DEV_A_MARK_MASK] = "mark-mask",
	[XMESH_DEV_A_ZONE_DEFAULT] = "zone-default",
	[XMESH_DEV_A_NODE_COUNT] = "node-count",
	[XMESH_DEV_A_ZONE_PAIR_COUNT] = "zone-pair-count",
	[XMESH_DEV_A_MROUTE_COUNT] = "mroute-count",
	[XMESH_DEV_A_ORIGIN] = "origin",
};
static const struct space dev_space = SPACE(dev_attrs, -1);

static const char *const top_attrs[] = {
	[XMESH_A_IFINDEX] = "ifindex",
	[XMESH_A_IFNAME] = "ifname",
	[XMESH_A_DEV] = "dev",
	[XMESH_A_NEIGH] = "neigh",
	[XMESH_A_ROUTE] = "route",
	[XMESH_A_PREFIX] = "prefix",
	[XMESH_A_OAM] = "oam",
	[XMESH_A_FLUSH] = "flush",
	[XMESH_A_REPLACE] = "replace",
	[XMESH_A_KEY] = "key",
	[XMESH_A_NODE] = "node",
	[XMESH_A_ZONE_PAIR] = "zone-pair",
	[XMESH_A_MROUTE] = "mroute",
};
static const struct space *const top_nested[] = {
	[XMESH_A_DEV] = &dev_space,
	[XMESH_A_NEIGH] = &neigh_space,
	[XMESH_A_ROUTE] = &route_space,
	[XMESH_A_PREFIX] = &prefix_space,
	[XMESH_A_OAM] = &oam_space,
	[XMESH_A_KEY] = &key_space,
	[XMESH_A_NODE] = &node_space,
	[XMESH_A_ZONE_PAIR] = &zone_pair_space,
	[XMESH_A_MROUTE] = &mroute_space,
};
static const struct space top_space = SPACE_NESTED(top_attrs, top_nested, -1);

static const struct space *space_nested(const struct space *s, int type)
{
	if (!s || type < 0 || (size_t)type >= s->n_nested)
		return NULL;
	return s->nested[type];
}

/* Append one path element: "name", "name[i]" or "#type" if unnamed. */
static void path_add(char *buf, size_t len, const struct space *s, int type,
		     int index)
{
	const char *name = s ? name_of(s->names, s->n, type) : NULL;
	size_t used = strlen(buf);
	const char *sep = used ? "." : "";

	if (used >= len)
		return;
	if (!name)
		snprintf(buf + used, len - used, "%s#%d", sep, type);
	else if (index >= 0)
		snprintf(buf + used, len - used, "%s%s[%d]", sep, name, index);
	else
		snprintf(buf + used, len - used, "%s%s", sep, name);
}

/*
 * Walk the attributes in [start, end) to the one at offset target from
 * base, appending each step to buf; *found gets the space of its nest
 * (to name an attribute missing from it). False if none starts there.
 */
static bool walk(const char *base, const struct nlattr *start,
		 const char *end, uint32_t target, const struct space *s,
		 char *buf, size_t len, const struct space **found, int depth)
{
	const struct nlattr *a = start;
	int repeats = 0;

	/* The family nests three deep; anything deeper is not a request. */
	if (depth > 4)
		return false;

	for (; mnl_attr_ok(a, (int)(end - (const char *)a));
	     a = mnl_attr_next(a)) {
		uint32_t off = (uint32_t)((const char *)a - base);
		uint32_t a_end = off + a->nla_len;
		int type = mnl_attr_get_type(a);
		int index = -1;

		if (s && type == s->repeats)
			index = repeats++;
		if (target < off || target >= a_end)
			continue;
		path_add(buf, len, s, type, index);
		if (target == off) {
			*found = space_nested(s, type);
			return true;
		}
		/* Inside this attribute: only a nest has anything there. */
		return walk(base, mnl_attr_get_payload(a),
			    (const char *)a + a->nla_len, target,
			    space_nested(s, type), buf, len, found, depth + 1);
	}
	return false;
}

const char *xm_attr_describe(const struct nlmsghdr *nlh, uint32_t off,
			     int miss_type, char *buf, size_t len)
{
	const char *base = (const char *)nlh;
	const struct space *found = &top_space;
	uint32_t first = MNL_NLMSG_HDRLEN + GENL_HDRLEN;

	if (!len)
		return NULL;
	buf[0] = '\0';
	if (nlh->nlmsg_len < first)
		return NULL;
	/* A missing attribute at the top level has no nest offset. */
	if (!(miss_type >= 0 && off == 0) &&
	    !walk(base, (const struct nlattr *)(base + first),
		  base + nlh->nlmsg_len, off, &top_space, buf, len, &found, 0))
		return NULL;
	if (miss_type >= 0)
		path_add(buf, len, found, miss_type, -1);
	return buf;
}
