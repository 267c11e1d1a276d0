// SPDX-License-Identifier: GPL-2.0
/* Control socket requests: parse one JSON line, answer with one. */
#include "ctl.h"

#include <errno.h>
#include <json-c/json.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classes.h"
#include "graph.h"
#include "kx.h"
#include "log.h"
#include "mcast.h"
#include "origin.h"
#include "query.h"
#include "util.h"
#include "xmesh_qos.h"

const struct xmd_ctl_ops xmd_core_ops = {
	.node_id = xm_core_node_id,
	.stats = xm_core_stats,
	.neigh = xm_core_neigh,
	.node = xm_core_node,
	.edge = xm_core_edge,
	.path = xm_core_path,
	.graph = xm_core_graph,
	.origin = xm_core_origin_status,
};

#define S(f) { .key = #f, .off = offsetof(struct xmd_stats, f) }
#define G(f) { .key = #f, .off = offsetof(struct xmd_stats, f), .gauge = true }
const struct xmd_stat_name xmd_stat_names[] = {
	S(udp_rx), S(udp_tx), S(udp_rx_errors), S(udp_tx_errors),
	S(udp_rx_ttl), S(udp_rx_truncated),
	S(fib_syncs), S(fib_changes), S(fib_errors), S(fib_dumps),
	S(hostroute_changes), S(hostroute_errors),
	S(neigh_down_sent), S(neigh_down_errors),
	S(key_changes), S(key_errors), S(keys_stale_evicted),
	S(probes_sent), S(probe_errors), S(probe_replies), S(oam_overruns),
	S(probes_deferred),
	S(link_events), S(rtnl_overruns), S(caps_updates),
	S(ctl_requests), S(ctl_bad_requests), S(ctl_clients_refused),
	S(ctl_accept_errors), S(ctl_events_dropped),
	G(policy_version), S(policy_applied), S(policy_fetch_errors),
	S(policy_refused), S(policy_reports), S(policy_failovers),
	S(telemetry_reports), S(telemetry_dropped), S(telemetry_dropped_full),
	S(telemetry_dropped_old), S(telemetry_refused), S(telemetry_errors),
	S(telemetry_routes_elided), S(telemetry_failovers),
	G(telemetry_buffered),
	S(mroute_refusals), G(mroute_children_cut), G(mroutes_cut),
	S(metrics_writes), S(metrics_errors),
};
#undef G
#undef S
const size_t xmd_n_stat_names = sizeof(xmd_stat_names) /
				sizeof(xmd_stat_names[0]);
_Static_assert(sizeof(xmd_stat_names) / sizeof(xmd_stat_names[0]) ==
	       sizeof(struct xmd_stats) / sizeof(uint64_t),
	       "every counter has a name");

#define C(f) { .key = #f, .off = offsetof(struct xm_core_stats, f) }
const struct xmd_stat_name xmd_core_stat_names[] = {
	C(rx_msgs), C(tx_msgs), C(rx_bad_auth), C(rx_replayed),
	C(rx_malformed), C(rx_bad_version), C(rx_own), C(rx_unknown_link),
	C(rx_no_neigh),
	C(lsa_rx), C(lsa_tx), C(lsa_acked), C(lsa_rexmit), C(lsa_stale),
	C(lsa_originated), C(lsa_purged), C(lsa_bad_sig), C(lsa_bad_claim),
	C(spf_runs),
	C(neigh_up), C(neigh_down), C(probes_tx), C(probes_lost),
	C(probes_unsent), C(probes_late), C(probes_stalled), C(probes_unheard),
	C(neigh_down_undone), C(limit_hits), C(limit_neighbors),
	C(limit_lsdb), C(lsdb_evicted), C(replay_evicted), C(limit_actions), C(adj_cut),
	C(limit_kx_keys), C(limit_links), C(limit_seq), C(limit_advert),
	C(nomem), C(events_dropped),
};
#undef C
const size_t xmd_n_core_stat_names = sizeof(xmd_core_stat_names) /
				     sizeof(xmd_core_stat_names[0]);
_Static_assert(sizeof(xmd_core_stat_names) / sizeof(xmd_core_stat_names[0]) ==
	       sizeof(struct xm_core_stats) / sizeof(uint64_t),
	       "every core counter has a name");

static const char *const neigh_states[] = {
	[XM_NEIGH_INIT] = "init",
	[XM_NEIGH_TWOWAY] = "two-way",
	[XM_NEIGH_UP] = "up",
	[XM_NEIGH_HOLDDOWN] = "holddown",
};

const char *xmd_neigh_state_name(enum xm_neigh_state s)
{
	return (size_t)s < sizeof(neigh_states) / sizeof(neigh_states[0]) ?
	       neigh_states[s] : "?";
}

/* ---- JSON building ---- */

static json_object *j_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* A number with fixed decimals, printed as written. */
static json_object *j_fixed(double v, int decimals)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(v, buf);
}

static void put(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static json_object *j_addr(const struct xm_addr *a)
{
	char buf[XM_ADDRSTRLEN];

	return json_object_new_string(xm_addr_str(a, buf, sizeof(buf)));
}

static json_object *j_prefix(const struct xm_prefix4or6 *p)
{
	char buf[XM_ADDRSTRLEN];

	return json_object_new_string(xm_prefix_str(&p->addr, p->len, buf,
						    sizeof(buf)));
}

/* An age in ms since t, or null when t never happened. */
static json_object *j_age(xm_time now, xm_time t)
{
	if (!t || t == XM_NEVER)
		return NULL;
	return j_u64(now >= t ? now - t : 0);
}

static json_object *counters_json(const void *base,
				  const struct xmd_stat_name *names, size_t n)
{
	json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < n; i++)
		put(o, names[i].key,
		    j_u64(*(const uint64_t *)((const char *)base +
					      names[i].off)));
	return o;
}

/* The key exchange's counters, a "refused_REASON" for each refusal. */
static json_object *kx_json(const struct xm_kx_stats *s)
{
	json_object *o = json_object_new_object();
	char key[48];
	unsigned int r;

	put(o, "handshakes", j_u64(s->handshakes));
	put(o, "rekeys", j_u64(s->rekeys));
	put(o, "timeouts", j_u64(s->timeouts));
	put(o, "collisions", j_u64(s->collisions));
	put(o, "bad_msg", j_u64(s->bad_msg));
	put(o, "unexpected", j_u64(s->unexpected));
	put(o, "cut", j_u64(s->cut));
	put(o, "init_limited", j_u64(s->init_limited));
	put(o, "key_refused", j_u64(s->key_refused));
	for (r = 1; r < XM_KX_REFUSED_COUNT; r++) {
		snprintf(key, sizeof(key), "refused_%s", xm_kx_refusal_name(r));
		put(o, key, j_u64(s->refused[r]));
	}
	return o;
}

static json_object *node_json(const struct xmd_view *v,
			      const struct xm_node_status *n)
{
	const struct xm_caps *c = &n->caps;
	json_object *o = json_object_new_object(), *a;
	unsigned int i;

	put(o, "node", j_u64(n->node));
	put(o, "self", json_object_new_boolean(v->core &&
					       n->node == v->ops->node_id(v->core)));
	put(o, "name", json_object_new_string(c->name));
	put(o, "zone", json_object_new_string(c->zone));
	a = json_object_new_array();
	for (i = 0; i < c->n_roles && i < XM_ROLE_MAX; i++)
		json_object_array_add(a, json_object_new_string(c->roles[i]));
	put(o, "roles", a);
	put(o, "cores", j_u64(c->cpu_cores));
	put(o, "load", j_fixed(c->cpu_load / 100.0, 2));
	put(o, "free_cores", j_fixed(xm_caps_free_centicores(c) / 100.0, 2));
	put(o, "mem_total_mb", j_u64(c->mem_total_mb));
	put(o, "mem_free_mb", j_u64(c->mem_free_mb));
	put(o, "disk_total_gb", j_u64(c->disk_total_gb));
	put(o, "disk_free_gb", j_u64(c->disk_free_gb));
	put(o, "reachable", json_object_new_boolean(n->reachable));
	put(o, "cost", n->reachable && n->cost != UINT32_MAX ?
		       j_u64(n->cost) : NULL);
	put(o, "hops", n->reachable ? j_u64(n->hops) : NULL);
	a = json_object_new_array();
	for (i = 0; i < n->n_prefixes && i < XM_PREFIX_MAX; i++)
		json_object_array_add(a, j_prefix(&n->prefixes[i]));
	put(o, "prefixes", a);
	a = json_object_new_array();
	for (i = 0; i < n->n_mgroups && i < XM_MGROUP_MAX; i++) {
		const struct xm_mgroup *g = &n->mgroups[i];
		json_object *e = json_object_new_object();
		char buf[XM_ADDRSTRLEN];

		put(e, "group", json_object_new_string(
			xm_addr_str(&g->group, buf, sizeof(buf))));
		put(e, "receive", json_object_new_boolean(
			g->flags & XM_MGROUP_RECV));
		put(e, "send", json_object_new_boolean(g->flags & XM_MGROUP_SEND));
		json_object_array_add(a, e);
	}
	put(o, "groups", a);
	put(o, "lsa_seq", j_u64(n->lsa_seq));
	put(o, "lsa_age_s", j_u64(n->lsa_age_s));
	return o;
}

static json_object *neigh_json(const struct xmd_view *v,
			       const struct xm_neigh_status *n)
{
	json_object *o = json_object_new_object();
	char name[IF_NAMESIZE];
	xm_time seen = n->last_hello;

	if (n->last_probe_reply != XM_NEVER &&
	    (seen == XM_NEVER || n->last_probe_reply > seen))
		seen = n->last_probe_reply;
	if (!if_indextoname(n->ifindex, name))
		snprintf(name, sizeof(name), "if%u", n->ifindex);
	put(o, "id", j_u64(n->id));
	put(o, "node", j_u64(n->node));
	put(o, "link", json_object_new_string(name));
	put(o, "local", j_addr(&n->local));
	put(o, "remote", j_addr(&n->remote));
	put(o, "port", j_u64(n->port));
	put(o, "state", json_object_new_string(
		xmd_neigh_state_name(n->state)));
	put(o, "rtt_ms", j_fixed(n->srtt_us / 1000.0, 3));
	put(o, "jitter_ms", j_fixed(n->rttvar_us / 1000.0, 3));
	put(o, "loss_pct", j_fixed(n->loss_ppm / 10000.0, 2));
	put(o, "metric", j_u64(n->metric));
	put(o, "last_seen_ms", j_age(v->now, seen));
	put(o, "last_hello_ms", j_age(v->now, n->last_hello));
	put(o, "last_probe_ms", j_age(v->now, n->last_probe_reply));
	put(o, "flaps", j_u64(n->flaps));
	put(o, "authenticated", json_object_new_boolean(n->authenticated));
	return o;
}

static json_object *edge_json(const struct xm_edge *e)
{
	json_object *o = json_object_new_object();

	put(o, "from", j_u64(e->from));
	put(o, "to", j_u64(e->to));
	put(o, "metric", j_u64(e->metric));
	put(o, "rtt_ms", j_fixed(e->rtt_us / 1000.0, 3));
	put(o, "loss_pct", j_fixed(e->loss_ppm / 10000.0, 2));
	put(o, "bandwidth_mbps", j_u64(e->bandwidth_mbps));
	return o;
}

/* ---- requests ---- */

struct req {
	const struct xmd_view *v;
	json_object *in;	/* the request */
	json_object *out;	/* the reply */
	char err[160];
	bool monitor;
	int monitor_level;
};

__attribute__((format(printf, 2, 3)))
static int bad(struct req *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The request's keys must all be among allowed (NULL-terminated). */
static int check_keys(struct req *r, const char *const *allowed)
{
	json_object_object_foreach(r->in, key, val) {
		const char *const *a;

		(void)val;
		if (!strcmp(key, "cmd"))
			continue;
		for (a = allowed; *a && strcmp(*a, key); a++)
			;
		if (!*a)
			return bad(r, "unknown key \"%s\"", key);
	}
	return 0;
}

/* An optional unsigned integer argument; 1 if given, 0 if not. */
static int arg_uint(struct req *r, const char *key, uint64_t min,
		    uint64_t max, uint64_t *out)
{
	json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(r->in, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return bad(r, "\"%s\" must be an integer", key);
	errno = 0;
	x = json_object_get_int64(v);
	/* json-c clamps what does not fit in int64; take it as too big. */
	if (x < 0 || (uint64_t)x < min || (uint64_t)x > max ||
	    (errno == ERANGE))
		return bad(r, "\"%s\" must be %llu to %llu", key,
			   (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)x;
	return 1;
}

static int arg_str(struct req *r, const char *key, const char **out)
{
	json_object *v;

	if (!json_object_object_get_ex(r->in, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return bad(r, "\"%s\" must be a string", key);
	*out = json_object_get_string(v);
	if (strlen(*out) >= XM_NAME_MAX)
		return bad(r, "\"%s\" is too long", key);
	return 1;
}

static int need_core(struct req *r)
{
	if (!r->v->core)
		return bad(r, "the agent is starting");
	return 0;
}

/* {"file": F, "policy_version": V, "rules": N}: where the rules in force
 * come from (the policy's when V is not 0). */
static json_object *filter_json(const struct xmd_view *v)
{
	json_object *o = json_object_new_object();

	put(o, "file", json_object_new_string(v->filter_file ?
					      v->filter_file : ""));
	put(o, "policy_version", j_u64(v->filter_policy));
	put(o, "rules", j_u64(v->filter_rules));
	return o;
}

/* {"generation": G, "sealing": S, "key_id": I, "rotations": R, "nodes":
 * N}: origin seals on, the generation advertised and the one sealing
 * (its origin key id), and how many nodes have keys. */
static json_object *origin_json(const struct xm_core_origin *og)
{
	json_object *o = json_object_new_object();

	put(o, "generation", j_u64(og->advertised));
	put(o, "sealing", j_u64(og->sealing));
	put(o, "key_id", j_u64(xm_origin_key_id(og->sealing)));
	put(o, "rotations", j_u64(og->rotations));
	put(o, "nodes", j_u64(og->nodes));
	return o;
}

static int cmd_status(struct req *r)
{
	const struct xmd_view *v = r->v;
	const struct xm_core_stats *cs = v->core ? v->ops->stats(v->core) :
					 NULL;
	json_object *o = r->out;
	struct xm_neigh_status ns;
	struct xm_node_status nn;
	struct xm_core_origin og;
	size_t i, n_up = 0, n_nodes = 0, n_reach = 0;
	static const char *const none[] = { NULL };

	if (check_keys(r, none))
		return -EINVAL;
	put(o, "node", v->core ? j_u64(v->ops->node_id(v->core)) : NULL);
	put(o, "name", json_object_new_string(v->name ? v->name : ""));
	put(o, "version", json_object_new_string(XMD_VERSION));
	put(o, "device", json_object_new_string(v->device ? v->device : ""));
	put(o, "ifindex", j_u64(v->ifindex));
	put(o, "uptime_ms", j_u64(v->now - v->started));
	put(o, "fib_ready", json_object_new_boolean(v->fib_ready));
	if (v->security)
		put(o, "security", json_object_new_string(v->security));
	if (v->core && v->ops->origin && v->ops->origin(v->core, &og))
		put(o, "origin", origin_json(&og));
	for (i = 0; v->core && v->ops->neigh(v->core, i, &ns); i++)
		n_up += ns.state == XM_NEIGH_UP;
	put(o, "neighbors", j_u64(i));
	put(o, "neighbors_up", j_u64(n_up));
	for (i = 0; v->core && v->ops->node(v->core, i, &nn); i++, n_nodes++)
		n_reach += nn.reachable;
	put(o, "nodes", j_u64(n_nodes));
	put(o, "nodes_reachable", j_u64(n_reach));
	if (cs)
		put(o, "stats", counters_json(cs, xmd_core_stat_names,
					      xmd_n_core_stat_names));
	if (v->stats)
		put(o, "agent", counters_json(v->stats, xmd_stat_names,
					      xmd_n_stat_names));
	if (v->kx)
		put(o, "kx", kx_json(v->kx));
	put(o, "filter", filter_json(v));
	return 0;
}

static int cmd_nodes(struct req *r)
{
	static const char *const keys[] = { "role", "zone", "node", NULL };
	const struct xmd_view *v = r->v;
	const char *role = NULL, *zone = NULL;
	struct xm_node_status n;
	json_object *a;
	uint64_t only = 0;
	size_t i;

	if (check_keys(r, keys) || arg_str(r, "role", &role) < 0 ||
	    arg_str(r, "zone", &zone) < 0 ||
	    arg_uint(r, "node", 1, UINT32_MAX, &only) < 0 || need_core(r))
		return -EINVAL;
	a = json_object_new_array();
	put(r->out, "nodes", a);
	for (i = 0; v->ops->node(v->core, i, &n); i++) {
		if ((role && !xm_caps_has_role(&n.caps, role)) ||
		    (zone && strncmp(n.caps.zone, zone, XM_NAME_MAX)) ||
		    (only && n.node != only))
			continue;
		json_object_array_add(a, node_json(v, &n));
	}
	return 0;
}

static int cmd_neighbors(struct req *r)
{
	static const char *const keys[] = { "node", NULL };
	const struct xmd_view *v = r->v;
	struct xm_neigh_status n;
	uint64_t only = 0;
	json_object *a;
	size_t i;

	if (check_keys(r, keys) ||
	    arg_uint(r, "node", 1, UINT32_MAX, &only) < 0 || need_core(r))
		return -EINVAL;
	a = json_object_new_array();
	put(r->out, "neighbors", a);
	for (i = 0; v->ops->neigh(v->core, i, &n); i++)
		if (!only || n.node == only)
			json_object_array_add(a, neigh_json(v, &n));
	return 0;
}

static int cmd_topology(struct req *r)
{
	static const char *const none[] = { NULL };
	const struct xmd_view *v = r->v;
	struct xm_node_status n;
	struct xm_edge e;
	json_object *a;
	size_t i;

	if (check_keys(r, none) || need_core(r))
		return -EINVAL;
	put(r->out, "node", j_u64(v->ops->node_id(v->core)));
	a = json_object_new_array();
	put(r->out, "nodes", a);
	for (i = 0; v->ops->node(v->core, i, &n); i++)
		json_object_array_add(a, node_json(v, &n));
	a = json_object_new_array();
	put(r->out, "edges", a);
	for (i = 0; v->ops->edge(v->core, i, &e); i++)
		json_object_array_add(a, edge_json(&e));
	return 0;
}

/* A node's advertised name into name, "" if unknown. */
static const char *node_name(const struct xmd_view *v, uint32_t id,
			     char name[XM_NAME_MAX])
{
	struct xm_node_status n;
	size_t i;

	name[0] = '\0';
	for (i = 0; v->ops->node(v->core, i, &n); i++)
		if (n.node == id) {
			memcpy(name, n.caps.name, XM_NAME_MAX);
			name[XM_NAME_MAX - 1] = '\0';
			break;
		}
	return name;
}

/*
 * The path of class tc (1 bulk .. 4) to node, when the class has paths of
 * its own: 1 and *p filled, 0 when it takes the default routes, or an
 * error replied.
 */
static int class_path(struct req *r, int tc, uint32_t node, struct xm_path *p)
{
	const struct xmd_view *v = r->v;
	const struct xm_class_path *cp;
	const struct xm_class_source src = {
		.graph = v->ops->graph, .node = v->ops->node,
		.edge = v->ops->edge,
	};
	struct xm_class_topo t;
	int err;

	cp = v->policy ? &v->policy->classes[tc - 1] : NULL;
	put(r->out, "tclass", json_object_new_string(xm_tclass_name(
					(uint8_t)tc)));
	if (!cp || !xm_class_path_own(cp)) {
		put(r->out, "table", json_object_new_string("default"));
		return 0;
	}
	put(r->out, "table", json_object_new_string("class"));
	put(r->out, "metric", json_object_new_string(
			xm_class_metric_name(cp->metric) ?: "?"));
	err = xm_class_topo_init(&t, v->core, &src, v->ops->node_id(v->core),
				 v->policy->max_hops);
	if (!err) {
		err = xm_class_path_to(&t, cp, node, p);
		xm_class_topo_free(&t);
	}
	if (err == -ENOMEM)
		return -ENOMEM;
	if (err)
		memset(p, 0, sizeof(*p));
	return 1;
}

static int cmd_path(struct req *r)
{
	static const char *const keys[] = { "node", "tclass", NULL };
	const struct xmd_view *v = r->v;
	char name[XM_NAME_MAX];
	const char *tcname = NULL;
	struct xm_path p;
	json_object *a, *h;
	uint64_t node;
	unsigned int i;
	int ret, tc = 0;

	if (check_keys(r, keys) || need_core(r))
		return -EINVAL;
	ret = arg_uint(r, "node", 1, UINT32_MAX, &node);
	if (ret < 0)
		return ret;
	if (!ret)
		return bad(r, "path needs \"node\"");
	ret = arg_str(r, "tclass", &tcname);
	if (ret < 0)
		return ret;
	if (ret) {
		tc = xm_tclass_parse(tcname);
		if (tc < 0)
			return bad(r, "\"tclass\" must be bulk, interactive, realtime or network-control");
	}
	put(r->out, "node", j_u64(node));
	memset(&p, 0, sizeof(p));
	ret = tc ? class_path(r, tc, (uint32_t)node, &p) : 0;
	if (ret < 0)
		return ret;
	if (node == v->ops->node_id(v->core)) {
		/* The path to this node is this node alone. */
		memset(&p, 0, sizeof(p));
		p.node[0] = (uint32_t)node;
	} else if ((!ret && !v->ops->path(v->core, (uint32_t)node, &p)) ||
		   !p.n_hops || p.n_hops > XM_PATH_MAX) {
		put(r->out, "reachable", json_object_new_boolean(false));
		put(r->out, "cost", NULL);
		put(r->out, "hops", json_object_new_array());
		return 0;
	}
	put(r->out, "reachable", json_object_new_boolean(true));
	put(r->out, "cost", j_u64(p.cost[p.n_hops]));
	a = json_object_new_array();
	for (i = 0; i <= p.n_hops; i++) {
		h = json_object_new_object();
		put(h, "node", j_u64(p.node[i]));
		put(h, "name", json_object_new_string(node_name(v, p.node[i],
								name)));
		put(h, "cost", j_u64(p.cost[i]));
		put(h, "hop_cost", j_u64(i ? p.cost[i] - p.cost[i - 1] : 0));
		json_object_array_add(a, h);
	}
	put(r->out, "hops", a);
	return 0;
}

/* ---- find: the nearest reachable node that fits ---- */

/* Distances from node `near` over the core's graph: xm_spf_free(spf). */
static int distances_from(const struct xmd_view *v, uint32_t near,
			  struct xm_spf *spf)
{
	const struct xm_graph *g = v->ops->graph(v->core);
	long root = g ? xm_graph_find(g, near) : -1;

	memset(spf, 0, sizeof(*spf));
	return root < 0 ? -ENOENT : xm_spf_run(g, (uint32_t)root, 0, spf);
}

static bool node_known(const struct xmd_view *v, uint32_t id)
{
	struct xm_node_status n;
	size_t i;

	for (i = 0; v->ops->node(v->core, i, &n); i++)
		if (n.node == id)
			return true;
	return false;
}

/* A count of hundredths, given as a number (1.5 is 150). */
static int arg_centi(struct req *r, const char *key, uint32_t max,
		     uint32_t *out)
{
	json_object *v;
	double x;

	if (!json_object_object_get_ex(r->in, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return bad(r, "\"%s\" must be a number", key);
	x = json_object_get_double(v);
	if (!(x >= 0 && x <= max))
		return bad(r, "\"%s\" must be 0 to %u", key, max);
	*out = (uint32_t)(x * 100 + 0.5);
	return 1;
}

/* Every node the core knows: malloc'd into *out, their number. */
static ssize_t all_nodes(const struct xmd_view *v, struct xm_node_status **out)
{
	struct xm_node_status *a = NULL, *b;
	size_t n = 0, cap = 0;

	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			b = realloc(a, cap * sizeof(*a));
			if (!b) {
				free(a);
				return -ENOMEM;
			}
			a = b;
		}
		if (!v->ops->node(v->core, n, &a[n]))
			break;
		n++;
	}
	*out = a;
	return (ssize_t)n;
}

/* The nearest nodes that fit (core/query.h): "nodes", and "node" the
 * first of them, for the clients that ask for one. */
static int cmd_find(struct req *r)
{
	static const char *const keys[] = {
		"role", "zone", "min_cores", "near", "count", "min_free_cores",
		"min_free_mem_mb", "min_free_disk_gb", NULL };
	const struct xmd_view *v = r->v;
	struct xm_query q = { .count = 1 };
	uint64_t min_cores = 0, near = 0, count = 1, mem = 0, disk = 0;
	struct xm_query_candidate *cand = NULL;
	struct xm_node_status *nodes = NULL;
	const struct xm_node_status *ns;
	const struct xm_graph *g;
	struct xm_spf spf;
	json_object *a, *o;
	ssize_t n;
	size_t i, k;
	int ret;

	if (check_keys(r, keys) || arg_str(r, "role", &q.role) < 0 ||
	    arg_str(r, "zone", &q.zone) < 0 ||
	    arg_uint(r, "min_cores", 0, UINT16_MAX, &min_cores) < 0 ||
	    arg_uint(r, "near", 1, UINT32_MAX, &near) < 0 ||
	    arg_uint(r, "count", 1, XM_QUERY_COUNT_MAX, &count) < 0 ||
	    arg_centi(r, "min_free_cores", UINT16_MAX,
		      &q.min_free_centicores) < 0 ||
	    arg_uint(r, "min_free_mem_mb", 0, UINT32_MAX, &mem) < 0 ||
	    arg_uint(r, "min_free_disk_gb", 0, UINT32_MAX, &disk) < 0 ||
	    need_core(r))
		return -EINVAL;
	q.count = (unsigned int)count;
	q.min_cores = (uint32_t)min_cores;
	q.min_free_mem_mb = (uint32_t)mem;
	q.min_free_disk_gb = (uint32_t)disk;
	memset(&spf, 0, sizeof(spf));
	if (near && !node_known(v, (uint32_t)near))
		return bad(r, "node %llu is not in the topology",
			   (unsigned long long)near);
	if (near && near != v->ops->node_id(v->core)) {
		ret = distances_from(v, (uint32_t)near, &spf);
		if (ret) {
			snprintf(r->err, sizeof(r->err),
				 "cannot compute distances from node %llu: %s",
				 (unsigned long long)near, strerror(-ret));
			goto out;
		}
	} else {
		near = 0;
	}
	n = all_nodes(v, &nodes);
	cand = n < 0 ? NULL : calloc((size_t)n + 1, sizeof(*cand));
	if (!cand) {
		ret = -ENOMEM;
		goto out;
	}
	g = v->ops->graph(v->core);
	for (i = 0; i < (size_t)n; i++) {
		long x = near ? xm_graph_find(g, nodes[i].node) : -1;

		cand[i].node = nodes[i].node;
		cand[i].caps = &nodes[i].caps;
		/* From this node, or from near: reachable from both. */
		cand[i].cost = !nodes[i].reachable ? UINT32_MAX :
			       !near ? nodes[i].cost :
			       x < 0 || (uint32_t)x >= spf.n ? UINT32_MAX :
			       spf.cost[x];
	}
	k = xm_query_select(&q, cand, (size_t)n);
	a = json_object_new_array();
	for (i = 0; i < k; i++) {
		ns = (const struct xm_node_status *)(const void *)
		     ((const char *)cand[i].caps -
		      offsetof(struct xm_node_status, caps));
		o = node_json(v, ns);
		put(o, "distance", j_u64(cand[i].cost));
		json_object_array_add(a, o);
	}
	put(r->out, "node", k ? json_object_get(json_object_array_get_idx(a, 0)) :
			   NULL);
	put(r->out, "nodes", a);
	ret = 0;
out:
	free(cand);
	free(nodes);
	xm_spf_free(&spf);
	return ret;
}

/* Events up to "level" (default info: routine debug events stay out). */
static int cmd_monitor(struct req *r)
{
	static const char *const keys[] = { "level", NULL };
	json_object *v;
	int level = XMD_LOG_INFO;

	if (check_keys(r, keys))
		return -EINVAL;
	if (json_object_object_get_ex(r->in, "level", &v)) {
		level = json_object_is_type(v, json_type_string) ?
			xmd_log_level_parse(json_object_get_string(v)) : -1;
		if (level < 0)
			return bad(r, "\"level\" must be error, warn, info or debug");
	}
	put(r->out, "monitor", json_object_new_boolean(true));
	put(r->out, "level", json_object_new_string(xmd_log_level_name(level)));
	r->monitor = true;
	r->monitor_level = level;
	return 0;
}

static int cmd_exports(struct req *r)
{
	static const char *const none[] = { NULL };
	const struct xmd_view *v = r->v;
	json_object *o;

	if (check_keys(r, none) || need_core(r))
		return -EINVAL;
	o = xmd_exports_json(v->exports, v->core, v->ops->node,
			     v->ops->node_id(v->core), v->now);
	json_object_object_foreach(o, key, val)
		put(r->out, key, json_object_get(val));
	json_object_put(o);
	return 0;
}

static json_object *mgroups_json(const struct xm_mgroup *g, unsigned int n)
{
	json_object *a = json_object_new_array();
	char buf[XM_ADDRSTRLEN];
	unsigned int i;

	for (i = 0; i < n; i++) {
		json_object *e = json_object_new_object();

		put(e, "group", json_object_new_string(
			xm_addr_str(&g[i].group, buf, sizeof(buf))));
		put(e, "send", json_object_new_boolean(
			g[i].flags & XM_MGROUP_SEND));
		put(e, "receive", json_object_new_boolean(
			g[i].flags & XM_MGROUP_RECV));
		json_object_array_add(a, e);
	}
	return a;
}

static int arg_bool(struct req *r, const char *key, bool *out)
{
	json_object *v;

	if (!json_object_object_get_ex(r->in, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return bad(r, "\"%s\" must be true or false", key);
	*out = json_object_get_boolean(v);
	return 1;
}

/*
 * group-join {"group": G[, "send": b][, "receive": b]} (receive when
 * neither is true; joining again sets the roles) and group-leave
 * {"group": G}: live, as the config's "group" lines after a SIGHUP, and
 * until the next reload or restart (the config is the durable place).
 */
static int group_change(struct req *r, bool join)
{
	static const char *const join_keys[] = { "group", "send", "receive",
						 NULL };
	static const char *const leave_keys[] = { "group", NULL };
	const struct xmd_view *v = r->v;
	struct xm_mgroup g[XM_MGROUP_MAX + 1];
	bool send = false, recv = false;
	unsigned int n = v->n_mgroups, i;
	struct xm_addr a;
	const char *s = NULL;

	if (check_keys(r, join ? join_keys : leave_keys) || need_core(r))
		return -EINVAL;
	if (!v->mgroups_set)
		return bad(r, "groups cannot be changed here");
	if (arg_str(r, "group", &s) < 0 ||
	    (join && (arg_bool(r, "send", &send) < 0 ||
		      arg_bool(r, "receive", &recv) < 0)))
		return -EINVAL;
	if (!s)
		return bad(r, "\"group\" is missing");
	if (xm_parse_addr(s, &a, NULL) || !xm_mcast_group_valid(&a))
		return bad(r, "group \"%s\" is not in 239.0.0.0/8 or IPv6 multicast of scope 3 or wider",
			   s);
	if (n > XM_MGROUP_MAX || !v->mgroups)
		n = v->mgroups ? XM_MGROUP_MAX : 0;
	if (n)
		memcpy(g, v->mgroups, n * sizeof(*g));
	for (i = 0; i < n && !xm_addr_eq(&g[i].group, &a); i++)
		;
	if (!join) {
		if (i == n)
			return bad(r, "not in group %s", s);
		memmove(&g[i], &g[i + 1], (n - i - 1) * sizeof(*g));
		n--;
	} else {
		if (i == n && n == XM_MGROUP_MAX)
			return bad(r, "more than %d groups", XM_MGROUP_MAX);
		g[i].group = a;
		g[i].flags = (uint8_t)((send ? XM_MGROUP_SEND : 0) |
				       (recv ? XM_MGROUP_RECV : 0));
		if (!g[i].flags)
			g[i].flags = XM_MGROUP_RECV;
		n += i == n;
	}
	if (v->mgroups_set(v->arg, g, n))
		return bad(r, "the agent refused the groups");
	put(r->out, "groups", mgroups_json(g, n));
	return 0;
}

static int cmd_group_join(struct req *r)
{
	return group_change(r, true);
}

static int cmd_group_leave(struct req *r)
{
	return group_change(r, false);
}

/*
 * filter-reload {}: the rules file read again and installed whole, as a
 * SIGHUP does; for the tool's edits of that file (`xmesh filter add`).
 * Refused while the policy's filter is in force: the file is not used.
 */
static int cmd_filter_reload(struct req *r)
{
	static const char *const none[] = { NULL };
	const struct xmd_view *v = r->v;
	struct xmd_view now = *v;
	char why[320];

	if (check_keys(r, none))
		return -EINVAL;
	if (!v->filter_reload)
		return bad(r, "the filter cannot be reloaded here");
	if (v->filter_policy)
		return bad(r, "the filter of policy version %llu is in force, not the file's: change the site policy",
			   (unsigned long long)v->filter_policy);
	if (!v->filter_file || !v->filter_file[0])
		return bad(r, "no filter file is configured (the filter line of xmeshd.conf)");
	if (v->filter_reload(v->arg, &now.filter_rules, why, sizeof(why)))
		return bad(r, "%s", why);
	put(r->out, "filter", filter_json(&now));
	return 0;
}

static const struct {
	const char *name;
	int (*run)(struct req *r);
} commands[] = {
	{ "status", cmd_status },
	{ "nodes", cmd_nodes },
	{ "neighbors", cmd_neighbors },
	{ "topology", cmd_topology },
	{ "path", cmd_path },
	{ "find", cmd_find },
	{ "monitor", cmd_monitor },
	{ "exports", cmd_exports },
	{ "group-join", cmd_group_join },
	{ "group-leave", cmd_group_leave },
	{ "filter-reload", cmd_filter_reload },
};

static char *to_line(json_object *o, size_t *len)
{
	const char *s = json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen(s);
	char *line = malloc(n + 2);

	if (!line)
		return NULL;
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}

char *xmd_ctl_error_line(const char *msg, size_t *len)
{
	json_object *o = json_object_new_object();
	char *line;

	put(o, "error", json_object_new_string(msg));
	line = to_line(o, len);
	json_object_put(o);
	return line;
}

char *xmd_ctl_event_line(xm_time now, const char *level, const char *text,
			 size_t *len)
{
	json_object *o = json_object_new_object();
	char *line;

	put(o, "event", json_object_new_string("agent"));
	put(o, "time_ms", j_u64(now));
	put(o, "level", json_object_new_string(level));
	put(o, "text", json_object_new_string(text));
	line = to_line(o, len);
	json_object_put(o);
	return line;
}

/* Parse line into r->in: a JSON object, or a bare command word. */
static int parse_request(struct req *r, const char *line, size_t len)
{
	struct json_tokener *tok;
	size_t i, start = 0;
	char word[32];

	while (start < len && (line[start] == ' ' || line[start] == '\t' ||
			       line[start] == '\r'))
		start++;
	while (len > start && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
			       line[len - 1] == '\r'))
		len--;
	if (start == len)
		return bad(r, "empty request");
	if (memchr(line + start, '\0', len - start))
		return bad(r, "request has a NUL byte");
	if (line[start] != '{') {
		/* "status" typed by hand, e.g. with socat. */
		if (len - start >= sizeof(word))
			return bad(r, "not a JSON object");
		for (i = start; i < len; i++)
			if ((line[i] < 'a' || line[i] > 'z') && line[i] != '-')
				return bad(r, "not a JSON object");
		memcpy(word, line + start, len - start);
		word[len - start] = '\0';
		r->in = json_object_new_object();
		put(r->in, "cmd", json_object_new_string(word));
		return 0;
	}
	tok = json_tokener_new_ex(16);
	if (!tok)
		return -ENOMEM;
	r->in = json_tokener_parse_ex(tok, line + start, (int)(len - start));
	if (!r->in || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len - start) {
		json_object_put(r->in);
		r->in = NULL;
		json_tokener_free(tok);
		return bad(r, "not a JSON object");
	}
	json_tokener_free(tok);
	if (!json_object_is_type(r->in, json_type_object))
		return bad(r, "not a JSON object");
	return 0;
}

int xmd_ctl_handle(const struct xmd_view *v, const char *line, size_t len,
		   struct xmd_reply *reply)
{
	struct req r = { .v = v };
	json_object *cmd;
	const char *name;
	size_t i;
	int ret;

	memset(reply, 0, sizeof(*reply));
	r.out = json_object_new_object();
	if (!r.out)
		return -ENOMEM;
	ret = parse_request(&r, line, len);
	if (!ret) {
		if (!json_object_object_get_ex(r.in, "cmd", &cmd) ||
		    !json_object_is_type(cmd, json_type_string)) {
			ret = bad(&r, "a request needs \"cmd\"");
		} else {
			name = json_object_get_string(cmd);
			for (i = 0; i < sizeof(commands) / sizeof(commands[0]);
			     i++)
				if (!strcmp(name, commands[i].name))
					break;
			if (i == sizeof(commands) / sizeof(commands[0]))
				ret = bad(&r, "unknown command \"%.40s\"", name);
			else
				ret = commands[i].run(&r);
		}
	}
	if (ret == -ENOMEM) {
		json_object_put(r.in);
		json_object_put(r.out);
		return ret;
	}
	if (ret) {
		/* What the handler had built is dropped: only the error. */
		json_object_put(r.out);
		r.out = json_object_new_object();
		put(r.out, "error", json_object_new_string(r.err[0] ? r.err :
							   strerror(-ret)));
		reply->bad = ret == -EINVAL;
	}
	reply->monitor = !ret && r.monitor;
	reply->monitor_level = r.monitor_level;
	reply->text = to_line(r.out, &reply->len);
	json_object_put(r.in);
	json_object_put(r.out);
	return reply->text ? 0 : -ENOMEM;
}
