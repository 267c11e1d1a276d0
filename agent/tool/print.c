// SPDX-License-Identifier: GPL-2.0
/* Devices, neighbors, routes, prefixes and OAM answers as text or JSON. */
#include "tool.h"

#include <net/if.h>
#include <stdio.h>

#include "xmesh_names.h"
#include "xmesh_qos.h"

const char *link_name(uint32_t ifindex, char *buf)
{
	/* An interface that is gone still has a number. */
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	return buf;
}

static void print_family(struct out *o, const char *key, const char *label,
			 uint16_t family)
{
	const char *name = xm_family_name(family);
	char buf[16];

	if (name) {
		out_str(o, key, label, name);
	} else {
		snprintf(buf, sizeof(buf), "%u", family);
		out_str(o, key, label, buf);
	}
}

static void print_counter(struct out *o, const struct xm_dev *d, int type,
			  const char *label)
{
	if (d->counters_present & XM_BIT(type))
		out_uint(o, xm_counter_key(type), label, d->counters[type]);
}

static void print_dev_stats(struct out *o, const struct xm_dev *d)
{
	int type, on_line = 0;
	char key[24], name[24];

	out_obj_begin(o, "stats");
	out_text(o, "    ");
	print_counter(o, d, XMESH_COUNTER_A_TX_PACKETS, "tx packets");
	print_counter(o, d, XMESH_COUNTER_A_TX_BYTES, "bytes");
	print_counter(o, d, XMESH_COUNTER_A_RX_PACKETS, "rx packets");
	print_counter(o, d, XMESH_COUNTER_A_RX_BYTES, "bytes");
	out_nl(o);
	out_text(o, "    ");
	print_counter(o, d, XMESH_COUNTER_A_FWD_PACKETS, "fwd packets");
	print_counter(o, d, XMESH_COUNTER_A_FWD_BYTES, "bytes");
	print_counter(o, d, XMESH_COUNTER_A_OAM_RX, "oam rx");
	print_counter(o, d, XMESH_COUNTER_A_OAM_TX, "tx");
	print_counter(o, d, XMESH_COUNTER_A_REROUTES, "reroutes");
	out_nl(o);
	/* Requests refused at a table limit; absent from older modules. */
	if (d->counters_present & XM_BIT(XMESH_COUNTER_A_NEIGH_LIMIT_HITS)) {
		out_text(o, "    limit hits:");
		print_counter(o, d, XMESH_COUNTER_A_NEIGH_LIMIT_HITS, "neighs");
		print_counter(o, d, XMESH_COUNTER_A_ROUTE_LIMIT_HITS, "routes");
		print_counter(o, d, XMESH_COUNTER_A_PREFIX_LIMIT_HITS,
			      "prefixes");
		print_counter(o, d, XMESH_COUNTER_A_KEY_LIMIT_HITS, "keys");
		out_nl(o);
	}

	out_obj_begin(o, "drops");
	out_text(o, "    drops:");
	for (type = XMESH_DROP_A_PAD + 1; type <= XMESH_DROP_A_MAX; type++) {
		if (!(d->drops_present & XM_BIT(type)))
			continue;
		if (on_line == 5) {
			out_nl(o);
			out_text(o, "        ");
			on_line = 0;
		}
		/* A reason newer than this tool still shows, by number. */
		snprintf(key, sizeof(key), "%s", xm_drop_key(type) ?
			 xm_drop_key(type) : "");
		snprintf(name, sizeof(name), "%s", xm_drop_name(type) ?
			 xm_drop_name(type) : "");
		if (!key[0]) {
			snprintf(key, sizeof(key), "drop_%d", type);
			snprintf(name, sizeof(name), "drop-%d", type);
		}
		out_uint(o, key, name, d->drops[type]);
		on_line++;
	}
	out_nl(o);
	out_obj_end(o);
	out_obj_end(o);
}

void print_dev(struct out *o, const struct xm_dev *d, bool stats)
{
	out_obj_begin(o, NULL);
	out_uint(o, "ifindex", NULL, d->ifindex);
	out_str(o, "ifname", NULL, d->ifname);
	out_text(o, "%s:", d->ifname[0] ? d->ifname : "?");
	if (XM_HAS(d, XMESH_DEV_A_NODE_ID))
		out_uint(o, "node", "node", d->node_id);
	else
		out_null(o, "node", "node", "none");
	if (XM_HAS(d, XMESH_DEV_A_PORT))
		out_uint(o, "port", "port", d->port);
	if (XM_HAS(d, XMESH_DEV_A_FAMILY))
		print_family(o, "family", "family", d->family);
	if (XM_HAS(d, XMESH_DEV_A_HOP_LIMIT))
		out_uint(o, "hop_limit", "hop-limit", d->hop_limit);
	if (XM_HAS(d, XMESH_DEV_A_SECURITY))
		out_str(o, "security", "security",
			xm_security_name(d->security) ?
			xm_security_name(d->security) : "?");
	if (XM_HAS(d, XMESH_DEV_A_ORIGIN))
		out_str(o, "origin", "origin", d->origin ? "on" : "off");
	out_nl(o);
	out_text(o, "    ");
	if (XM_HAS(d, XMESH_DEV_A_NEIGH_COUNT))
		out_uint(o, "neighs", "neighs", d->neigh_count);
	if (XM_HAS(d, XMESH_DEV_A_ROUTE_COUNT))
		out_uint(o, "routes", "routes", d->route_count);
	if (XM_HAS(d, XMESH_DEV_A_PREFIX_COUNT))
		out_uint(o, "prefixes", "prefixes", d->prefix_count);
	if (XM_HAS(d, XMESH_DEV_A_KEY_COUNT))
		out_uint(o, "keys", "keys", d->key_count);
	out_nl(o);
	if (stats)
		print_dev_stats(o, d);
	out_obj_end(o);
}

static void print_addr(struct out *o, const char *key,
		       const struct xm_addr *a)
{
	char buf[XM_ADDRSTRLEN];

	out_str(o, key, key, xm_addr_str(a, buf, sizeof(buf)));
}

void print_neigh_fields(struct out *o, const struct xm_neigh *n)
{
	char name[IF_NAMESIZE], buf[16];
	const char *state;

	if (XM_HAS(n, XMESH_NEIGH_A_ID))
		out_uint(o, "id", "id", n->id);
	if (XM_HAS(n, XMESH_NEIGH_A_NODE))
		out_uint(o, "node", "node", n->node);
	if (XM_HAS(n, XMESH_NEIGH_A_LINK))
		out_str(o, "link", "link", link_name(n->link, name));
	if (XM_HAS(n, XMESH_NEIGH_A_REMOTE))
		print_addr(o, "remote", &n->remote);
	if (XM_HAS(n, XMESH_NEIGH_A_PORT))
		out_uint(o, "port", "port", n->port);
	if (XM_HAS(n, XMESH_NEIGH_A_LOCAL))
		print_addr(o, "local", &n->local);
	if (XM_HAS(n, XMESH_NEIGH_A_STATE)) {
		state = xm_neigh_state_name(n->state);
		if (!state) {
			snprintf(buf, sizeof(buf), "%u", n->state);
			state = buf;
		}
		out_str(o, "state", "state", state);
	}
	if (XM_HAS(n, XMESH_NEIGH_A_CARRIER))
		out_str(o, "carrier", "carrier", n->carrier ? "up" : "down");
	if (XM_HAS(n, XMESH_NEIGH_A_MTU))
		out_uint(o, "mtu", "mtu", n->mtu);
}

/* The agent's view of a neighbor: a line of its own, an "agent" object. */
static void print_neigh_view(struct out *o, json_object *a)
{
	static const struct {
		const char *key, *label, *unit;
	} fields[] = {
		{ "state", "state", "" }, { "rtt_ms", "rtt", " ms" },
		{ "jitter_ms", "jitter", " ms" }, { "loss_pct", "loss", "%" },
		{ "metric", "metric", "" }, { "flaps", "flaps", "" },
	};
	json_object *v;
	size_t i;

	if (o->json) {
		out_json(o, "agent", a);
		return;
	}
	out_text(o, "    agent");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (json_object_object_get_ex(a, fields[i].key, &v) && v)
			out_text(o, " %s %s%s", fields[i].label,
				 json_object_get_string(v), fields[i].unit);
	if (json_object_object_get_ex(a, "last_seen_ms", &v) && v)
		out_text(o, " seen %s ms ago", json_object_get_string(v));
	out_nl(o);
}

void print_neigh(struct out *o, const struct xm_neigh *n, bool stats)
{
	print_neigh_agent(o, n, stats, NULL);
}

void print_neigh_agent(struct out *o, const struct xm_neigh *n, bool stats,
		       json_object *agent)
{
	out_obj_begin(o, NULL);
	print_neigh_fields(o, n);
	out_nl(o);
	if (agent)
		print_neigh_view(o, agent);
	if (stats) {
		out_obj_begin(o, "stats");
		out_text(o, "    ");
		out_uint(o, "tx_packets", "tx packets", n->tx_packets);
		out_uint(o, "tx_bytes", "bytes", n->tx_bytes);
		out_uint(o, "rx_packets", "rx packets", n->rx_packets);
		out_uint(o, "rx_bytes", "bytes", n->rx_bytes);
		out_uint(o, "drops", "drops", n->drops);
		out_nl(o);
		out_obj_end(o);
	}
	out_obj_end(o);
}

void print_route_fields(struct out *o, const struct xm_route *r)
{
	unsigned int i;

	if (XM_HAS(r, XMESH_ROUTE_A_DST))
		out_uint(o, "node", "node", r->dst);
	if (XM_HAS(r, XMESH_ROUTE_A_TCLASS))
		out_str(o, "tclass", "class",
			xm_tclass_name(r->tclass) ?: "?");
	out_arr_begin(o, "nexthops");
	for (i = 0; i < r->n_nexthops; i++) {
		const struct xm_nexthop *x = &r->nexthop[i];

		out_obj_begin(o, NULL);
		out_text(o, "%snexthop", o->line_start ? "" : " ");
		if (XM_HAS(x, XMESH_NEXTHOP_A_NEIGH))
			out_uint(o, "neigh", "neigh", x->neigh);
		out_uint(o, "priority", "priority",
			 XM_HAS(x, XMESH_NEXTHOP_A_PRIORITY) ? x->priority : 0);
		out_bool(o, "active", "active", x->active);
		out_obj_end(o);
	}
	out_arr_end(o);
}

void print_route(struct out *o, const struct xm_route *r)
{
	out_obj_begin(o, NULL);
	print_route_fields(o, r);
	out_nl(o);
	out_obj_end(o);
}

void print_prefix_fields(struct out *o, const struct xm_prefix *p)
{
	char buf[XM_ADDRSTRLEN];

	out_str(o, "prefix", "",
		xm_prefix_str(&p->addr, p->len, buf, sizeof(buf)));
	print_family(o, "family", NULL, p->addr.family);
	if (XM_HAS(p, XMESH_PREFIX_A_NODE))
		out_uint(o, "node", "node", p->node);
}

void print_prefix(struct out *o, const struct xm_prefix *p)
{
	out_obj_begin(o, NULL);
	print_prefix_fields(o, p);
	out_nl(o);
	out_obj_end(o);
}

void print_oam_fields(struct out *o, const struct xm_oam *m)
{
	const char *op = xm_oam_op_name(m->op);
	char buf[16];

	if (!op) {
		snprintf(buf, sizeof(buf), "op-%u", m->op);
		op = buf;
	}
	out_str(o, "op", "", op);
	if (XM_HAS(m, XMESH_OAM_A_NEIGH))
		out_uint(o, "neigh", "neigh", m->neigh);
	if (XM_HAS(m, XMESH_OAM_A_DST))
		out_uint(o, "dst", "dst", m->dst);
	if (XM_HAS(m, XMESH_OAM_A_IDENT))
		out_uint(o, "ident", "ident", m->ident);
	if (XM_HAS(m, XMESH_OAM_A_SEQ))
		out_uint(o, "seq", "seq", m->seq);
	if (XM_HAS(m, XMESH_OAM_A_REPORTER))
		out_uint(o, "reporter", "reporter", m->reporter);
	if (XM_HAS(m, XMESH_OAM_A_HOP_LIMIT))
		out_uint(o, "hop_limit", "hop-limit", m->hop_limit);
	if (XM_HAS(m, XMESH_OAM_A_RTT_NS))
		out_ms(o, "rtt_ms", "rtt", (double)m->rtt_ns / 1e6);
}
