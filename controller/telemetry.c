// SPDX-License-Identifier: GPL-2.0
/* Central telemetry, the controller's pure part (telemetry.h). */
#include "telemetry.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "wire.h"	/* xm_wire_name_valid() */
#include "xmesh_qos.h"	/* xm_tclass_name() */

#define JSON_DEPTH	6

/* ---- parsing ---- */

/* A name on the wire without quotes or backslashes: it goes into
 * Prometheus labels and JSON as is. */
static bool name_ok(const char *s, bool may_be_empty)
{
	return xm_wire_name_valid(s, may_be_empty) && !strpbrk(s, "\"'\\");
}

static int uint_member(json_object *o, const char *key, const char *where,
		       uint64_t max, bool required, uint64_t *out,
		       struct xm_policy_error *err)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v)) {
		if (required)
			return xm_policy_error_set(err, where, "\"%s\" is"
						   " required", key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return xm_policy_error_set(err, where, "\"%s\": expected an"
					   " integer", key);
	errno = 0;
	n = json_object_get_int64(v);
	if (errno || n < 0 || (uint64_t)n > max) {
		/* json-c keeps integers above INT64_MAX as uint64. */
		uint64_t u = json_object_get_uint64(v);

		if (n >= 0 || u > max || u <= INT64_MAX)
			return xm_policy_error_set(err, where, "\"%s\": out of"
						   " range 0 to %" PRIu64, key,
						   max);
		*out = u;
		return 0;
	}
	*out = (uint64_t)n;
	return 0;
}

static int name_member(json_object *o, const char *key, const char *where,
		       char out[XM_TELE_NAME_MAX],
		       struct xm_policy_error *err)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) >= XM_TELE_NAME_MAX ||
	    !name_ok(json_object_get_string(v), true))
		return xm_policy_error_set(err, where, "\"%s\": expected a"
					   " name of at most %d printable"
					   " characters without blanks", key,
					   XM_TELE_NAME_MAX - 1);
	snprintf(out, XM_TELE_NAME_MAX, "%s", json_object_get_string(v));
	return 0;
}

/* Members of o other than allowed (NULL-terminated): -1. */
static int only(json_object *o, const char *where,
		const char *const *allowed, struct xm_policy_error *err)
{
	json_object_object_foreach(o, key, val) {
		const char *const *a;

		(void)val;
		for (a = allowed; *a && strcmp(*a, key); a++)
			;
		if (!*a)
			return xm_policy_error_set(err, where, "unknown member"
						   " \"%.40s\"", key);
	}
	return 0;
}

static json_object *typed(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

static bool present(json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

static int parse_caps(json_object *o, struct xm_tele_caps *c,
		      struct xm_policy_error *err)
{
	static const char *const members[] = {
		"cores", "load", "mem_total", "mem_free", "storage_free", NULL,
	};
	json_object *v;

	if (!json_object_is_type(o, json_type_object))
		return xm_policy_error_set(err, "/caps", "expected an object");
	if (only(o, "/caps", members, err))
		return -1;
#define CAP(m) \
	if (present(o, #m)) { \
		if (uint_member(o, #m, "/caps", UINT64_MAX, true, &c->m, err)) \
			return -1; \
		c->have_##m = true; \
	}
	CAP(cores)
	CAP(mem_total)
	CAP(mem_free)
	CAP(storage_free)
#undef CAP
	if (json_object_object_get_ex(o, "load", &v)) {
		if (!json_object_is_type(v, json_type_double) &&
		    !json_object_is_type(v, json_type_int))
			return xm_policy_error_set(err, "/caps/load",
						   "expected a number");
		c->load = json_object_get_double(v);
		if (!(c->load >= 0 && c->load < 1e9))
			return xm_policy_error_set(err, "/caps/load",
						   "out of range 0 to 1e9");
		c->have_load = true;
	}
	return 0;
}

static int parse_link(json_object *o, size_t i, struct xm_tele_link *l,
		      struct xm_policy_error *err)
{
	static const char *const members[] = {
		"peer", "ifname", "state", "rtt_us", "jitter_us", "loss_ppm",
		"metric", "bandwidth_kbps", "tx_packets", "tx_bytes",
		"rx_packets", "rx_bytes", NULL,
	};
	char where[48];
	uint64_t peer = 0;
	json_object *v;
	const char *s;

	snprintf(where, sizeof(where), "/links/%zu", i);
	if (!json_object_is_type(o, json_type_object))
		return xm_policy_error_set(err, where, "expected an object");
	if (only(o, where, members, err) ||
	    uint_member(o, "peer", where, UINT32_MAX, true, &peer, err) ||
	    uint_member(o, "rtt_us", where, UINT32_MAX, false, &l->rtt_us,
			err) ||
	    uint_member(o, "jitter_us", where, UINT32_MAX, false,
			&l->jitter_us, err) ||
	    uint_member(o, "loss_ppm", where, 1000000, false, &l->loss_ppm,
			err) ||
	    uint_member(o, "metric", where, UINT32_MAX, false, &l->metric,
			err) ||
	    uint_member(o, "bandwidth_kbps", where, UINT64_MAX / 1000, false,
			&l->bandwidth_kbps, err))
		return -1;
	if (!peer)
		return xm_policy_error_set(err, where, "\"peer\": a node id"
					   " is 1 to 4294967295");
	l->peer = (uint32_t)peer;
	v = typed(o, "state", json_type_string);
	s = v ? json_object_get_string(v) : "";
	if (strcmp(s, "up") && strcmp(s, "down"))
		return xm_policy_error_set(err, where, "\"state\": expected"
					   " \"up\" or \"down\"");
	l->up = !strcmp(s, "up");
	/* The traffic counters: all four or none (an older agent). */
	l->have_counters = present(o, "tx_bytes") || present(o, "rx_bytes") ||
			   present(o, "tx_packets") || present(o, "rx_packets");
	if (l->have_counters &&
	    (uint_member(o, "tx_packets", where, UINT64_MAX, true,
			 &l->tx_packets, err) ||
	     uint_member(o, "tx_bytes", where, UINT64_MAX, true, &l->tx_bytes,
			 err) ||
	     uint_member(o, "rx_packets", where, UINT64_MAX, true,
			 &l->rx_packets, err) ||
	     uint_member(o, "rx_bytes", where, UINT64_MAX, true, &l->rx_bytes,
			 err)))
		return -1;
	if (present(o, "ifname")) {
		v = typed(o, "ifname", json_type_string);
		if (!v || json_object_get_string_len(v) >= (int)sizeof(l->ifname)
		    || !name_ok(json_object_get_string(v), true))
			return xm_policy_error_set(err, where, "\"ifname\":"
						   " expected an interface"
						   " name");
		snprintf(l->ifname, sizeof(l->ifname), "%s",
			 json_object_get_string(v));
	}
	return 0;
}

static int parse_route(json_object *o, size_t i, struct xm_tele_route *r,
		       struct xm_policy_error *err)
{
	static const char *const members[] = {
		"node", "via", "metric", "hops", NULL,
	};
	uint64_t node = 0, via = 0, hops = 0;
	char where[48];

	snprintf(where, sizeof(where), "/routes/%zu", i);
	if (!json_object_is_type(o, json_type_object))
		return xm_policy_error_set(err, where, "expected an object");
	if (only(o, where, members, err) ||
	    uint_member(o, "node", where, UINT32_MAX, true, &node, err) ||
	    uint_member(o, "via", where, UINT32_MAX, true, &via, err) ||
	    uint_member(o, "metric", where, UINT32_MAX, true, &r->metric,
			err) ||
	    uint_member(o, "hops", where, 255, false, &hops, err))
		return -1;
	if (!node || !via)
		return xm_policy_error_set(err, where, "a node id is 1 to"
					   " 4294967295");
	r->node = (uint32_t)node;
	r->via = (uint32_t)via;
	r->hops = (uint32_t)hops;
	return 0;
}

static int parse_counters(json_object *o, struct xm_tele_counters *c,
			  struct xm_policy_error *err)
{
	static const char *const members[] = {
		"tx_packets", "tx_bytes", "rx_packets", "rx_bytes",
		"forwarded_packets", "forwarded_bytes", "drops", NULL,
	};
	json_object *d;

	if (!json_object_is_type(o, json_type_object))
		return xm_policy_error_set(err, "/counters",
					   "expected an object");
	if (only(o, "/counters", members, err))
		return -1;
#define CNT(m) \
	if (uint_member(o, #m, "/counters", UINT64_MAX, false, &c->m, err)) \
		return -1;
	CNT(tx_packets)
	CNT(tx_bytes)
	CNT(rx_packets)
	CNT(rx_bytes)
	CNT(forwarded_packets)
	CNT(forwarded_bytes)
#undef CNT
	if (!json_object_object_get_ex(o, "drops", &d))
		return 0;
	if (!json_object_is_type(d, json_type_object))
		return xm_policy_error_set(err, "/counters/drops",
					   "expected an object");
	if (json_object_object_length(d) > XM_TELE_DROPS_MAX)
		return xm_policy_error_set(err, "/counters/drops", "more than"
					   " %d reasons", XM_TELE_DROPS_MAX);
	json_object_object_foreach(d, key, val) {
		struct xm_tele_drop *x = &c->drops[c->n_drops];

		(void)val;
		if (strlen(key) >= XM_TELE_NAME_MAX ||
		    !name_ok(key, false))
			return xm_policy_error_set(err, "/counters/drops",
						   "\"%.40s\": not a drop"
						   " reason name", key);
		snprintf(x->reason, sizeof(x->reason), "%s", key);
		if (uint_member(d, key, "/counters/drops", UINT64_MAX, true,
				&x->count, err))
			return -1;
		c->n_drops++;
	}
	return 0;
}

static int parse_class(json_object *o, size_t i, struct xm_tele_class *c,
		       struct xm_policy_error *err)
{
	static const char *const members[] = {
		"class", "packets", "bytes", "drops", "rate", NULL,
	};
	char where[48];
	json_object *v;

	snprintf(where, sizeof(where), "/qos/%zu", i);
	if (!json_object_is_type(o, json_type_object))
		return xm_policy_error_set(err, where, "expected an object");
	if (only(o, where, members, err))
		return -1;
	v = typed(o, "class", json_type_string);
	if (!v || !json_object_get_string_len(v) ||
	    json_object_get_string_len(v) >= XM_TELE_NAME_MAX ||
	    !name_ok(json_object_get_string(v), false))
		return xm_policy_error_set(err, where, "\"class\": expected a"
					   " class name of at most %d"
					   " printable characters without"
					   " blanks", XM_TELE_NAME_MAX - 1);
	snprintf(c->name, sizeof(c->name), "%s", json_object_get_string(v));
	if (uint_member(o, "packets", where, UINT64_MAX, true, &c->packets,
			err) ||
	    uint_member(o, "bytes", where, UINT64_MAX, true, &c->bytes, err) ||
	    uint_member(o, "drops", where, UINT64_MAX, true, &c->drops, err) ||
	    uint_member(o, "rate", where, UINT64_MAX, false, &c->rate, err))
		return -1;
	return 0;
}

/* "qos": an array of at most XM_TELE_QOS_MAX classes, each once. */
static int parse_qos(json_object *a, struct xm_tele_report *r,
		     struct xm_policy_error *err)
{
	size_t i, k, n;

	if (!json_object_is_type(a, json_type_array))
		return xm_policy_error_set(err, "/qos", "expected an array");
	n = json_object_array_length(a);
	if (n > XM_TELE_QOS_MAX)
		return xm_policy_error_set(err, "/qos", "more than %d classes",
					   XM_TELE_QOS_MAX);
	for (i = 0; i < n; i++) {
		if (parse_class(json_object_array_get_idx(a, i), i,
				&r->qos[i], err))
			return -1;
		for (k = 0; k < i; k++)
			if (!strcmp(r->qos[k].name, r->qos[i].name))
				return xm_policy_error_set(err, "/qos",
					"class %zu: \"%s\" twice", i,
					r->qos[i].name);
		r->n_qos = i + 1;
	}
	r->have_qos = true;
	return 0;
}

/* Array a of at most max items (what, "links") at where: room for its
 * items (calloc'd, size each; at least one), their number in *n; NULL
 * with err set. */
static void *array_room(json_object *a, const char *where, const char *what,
			size_t max, size_t size, size_t *n,
			struct xm_policy_error *err)
{
	void *v;

	if (!json_object_is_type(a, json_type_array)) {
		xm_policy_error_set(err, where, "expected an array");
		return NULL;
	}
	*n = json_object_array_length(a);
	if (*n > max) {
		xm_policy_error_set(err, where, "more than %zu %s", max, what);
		return NULL;
	}
	v = calloc(*n ? *n : 1, size);
	if (!v)
		xm_policy_error_set(err, where, "out of memory");
	return v;
}

static const char *const agent_levels[] = { "error", "warn", "info" };

static int parse_agent_event(json_object *o, size_t i,
			     struct xm_tele_agent_event *e,
			     struct xm_policy_error *err)
{
	static const char *const members[] = {
		"time", "level", "text", NULL,
	};
	uint64_t time = 0;
	const char *s;
	json_object *v;
	char where[48];
	size_t k;

	snprintf(where, sizeof(where), "/events/%zu", i);
	if (!json_object_is_type(o, json_type_object))
		return xm_policy_error_set(err, where, "expected an object");
	if (only(o, where, members, err) ||
	    uint_member(o, "time", where, INT64_MAX, true, &time, err))
		return -1;
	e->time = (int64_t)time;
	v = typed(o, "level", json_type_string);
	s = v ? json_object_get_string(v) : "";
	for (k = 0; k < sizeof(agent_levels) / sizeof(agent_levels[0]) &&
	     strcmp(s, agent_levels[k]); k++)
		;
	if (k == sizeof(agent_levels) / sizeof(agent_levels[0]))
		return xm_policy_error_set(err, where, "\"level\": expected"
					   " \"error\", \"warn\" or \"info\"");
	e->level = agent_levels[k];
	v = typed(o, "text", json_type_string);
	s = v ? json_object_get_string(v) : "";
	for (k = 0; s[k] >= 0x20 && s[k] < 0x7f; k++)
		;
	if (!v || !k || s[k] || k >= XM_TELE_AGENT_TEXT_MAX)
		return xm_policy_error_set(err, where, "\"text\": expected 1"
					   " to %d printable ASCII characters",
					   XM_TELE_AGENT_TEXT_MAX - 1);
	memcpy(e->text, s, k + 1);
	return 0;
}

/* "events": the agent's own, at most XM_TELE_AGENT_EVENTS_MAX (its ring:
 * more is no agent's); "events_lost". */
static int parse_agent_events(json_object *j, struct xm_tele_report *r,
			      struct xm_policy_error *err)
{
	json_object *a;
	size_t i, n;

	if (uint_member(j, "events_lost", "/events_lost", UINT32_MAX, false,
			&r->events_lost, err))
		return -1;
	if (!json_object_object_get_ex(j, "events", &a))
		return 0;
	r->events = array_room(a, "/events", "events",
			       XM_TELE_AGENT_EVENTS_MAX, sizeof(*r->events), &n,
			       err);
	if (!r->events)
		return -1;
	for (i = 0; i < n; i++) {
		if (parse_agent_event(json_object_array_get_idx(a, i), i,
				      &r->events[i], err))
			return -1;
		r->n_events = i + 1;
	}
	return 0;
}

static int route_cmp(const void *a, const void *b)
{
	const struct xm_tele_route *x = a, *y = b;

	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	if (x->metric != y->metric)
		return x->metric < y->metric ? -1 : 1;
	return x->via < y->via ? -1 : x->via > y->via;
}

static int parse_report(json_object *j, struct xm_tele_report *r,
			struct xm_policy_error *err)
{
	static const char *const members[] = {
		"time", "interval", "name", "zone", "roles", "caps",
		"policy_version", "links", "counters", "qos", "routes",
		"routes_unchanged", "events", "events_lost", NULL,
	};
	uint64_t time = 0, interval = XM_TELE_INTERVAL;
	json_object *a, *v;
	size_t i, n;

	if (!json_object_is_type(j, json_type_object))
		return xm_policy_error_set(err, "body", "a JSON object is"
					   " expected");
	if (only(j, "body", members, err) ||
	    uint_member(j, "time", "/time", INT64_MAX, true, &time, err) ||
	    uint_member(j, "interval", "/interval", XM_TELE_INTERVAL_MAX,
			false, &interval, err) ||
	    uint_member(j, "policy_version", "/policy_version", UINT32_MAX,
			false, &r->policy_version, err) ||
	    name_member(j, "name", "/name", r->name, err) ||
	    name_member(j, "zone", "/zone", r->zone, err))
		return -1;
	if (!interval)
		return xm_policy_error_set(err, "/interval", "out of range 1"
					   " to %d", XM_TELE_INTERVAL_MAX);
	r->time = (int64_t)time;
	r->interval = (uint32_t)interval;
	if (present(j, "roles")) {
		a = typed(j, "roles", json_type_array);
		if (!a)
			return xm_policy_error_set(err, "/roles",
						   "expected an array");
		n = json_object_array_length(a);
		if (n > XM_TELE_ROLES_MAX)
			return xm_policy_error_set(err, "/roles", "more than"
						   " %d roles",
						   XM_TELE_ROLES_MAX);
		for (i = 0; i < n; i++) {
			v = json_object_array_get_idx(a, i);
			if (!json_object_is_type(v, json_type_string) ||
			    json_object_get_string_len(v) >= XM_TELE_NAME_MAX ||
			    !name_ok(json_object_get_string(v), false))
				return xm_policy_error_set(err, "/roles",
							   "role %zu: expected"
							   " a name", i);
			snprintf(r->roles[i], XM_TELE_NAME_MAX, "%s",
				 json_object_get_string(v));
		}
		r->n_roles = n;
	}
	if (json_object_object_get_ex(j, "caps", &v) &&
	    parse_caps(v, &r->caps, err))
		return -1;
	v = NULL;
	if (!json_object_object_get_ex(j, "counters", &v))
		return xm_policy_error_set(err, "/counters", "required");
	if (parse_counters(v, &r->counters, err))
		return -1;
	if (json_object_object_get_ex(j, "qos", &v) && parse_qos(v, r, err))
		return -1;
	if (parse_agent_events(j, r, err))
		return -1;

	if (!json_object_object_get_ex(j, "links", &a))
		return xm_policy_error_set(err, "/links", "required");
	r->links = array_room(a, "/links", "links", XM_TELE_LINKS_MAX,
			      sizeof(*r->links), &n, err);
	if (!r->links)
		return -1;
	for (i = 0; i < n; i++) {
		size_t k;

		if (parse_link(json_object_array_get_idx(a, i), i,
			       &r->links[i], err))
			return -1;
		for (k = 0; k < i; k++)
			if (r->links[k].peer == r->links[i].peer)
				return xm_policy_error_set(err, "/links",
					"link %zu: peer %u twice", i,
					r->links[i].peer);
		r->n_links = i + 1;
	}

	/* Routes the same as in the last report the controller took: the
	 * table it keeps stands (xm_tele_ingest()). */
	if (json_object_object_get_ex(j, "routes_unchanged", &v)) {
		if (!json_object_is_type(v, json_type_boolean) ||
		    !json_object_get_boolean(v))
			return xm_policy_error_set(err, "/routes_unchanged",
						   "expected true");
		if (json_object_object_get_ex(j, "routes", NULL))
			return xm_policy_error_set(err, "/routes_unchanged",
						   "not with routes");
		r->routes_unchanged = true;
		return 0;
	}
	if (!json_object_object_get_ex(j, "routes", &a))
		return xm_policy_error_set(err, "/routes", "required");
	r->routes = array_room(a, "/routes", "routes", XM_TELE_ROUTES_MAX,
			       sizeof(*r->routes), &n, err);
	if (!r->routes)
		return -1;
	for (i = 0; i < n; i++) {
		if (parse_route(json_object_array_get_idx(a, i), i,
				&r->routes[i], err))
			return -1;
		r->n_routes = i + 1;
	}
	qsort(r->routes, r->n_routes, sizeof(*r->routes), route_cmp);
	return 0;
}

int xm_tele_report_parse(const char *text, size_t len,
			 struct xm_tele_report *r, struct xm_policy_error *err)
{
	json_object *j;
	int ret;

	memset(r, 0, sizeof(*r));
	if (len > XM_TELE_BODY_MAX)
		return xm_policy_error_set(err, "body", "larger than %d bytes",
					   XM_TELE_BODY_MAX);
	j = xm_json_parse_strict(text, len, JSON_DEPTH, err);
	if (!j)
		return -1;
	ret = parse_report(j, r, err);
	json_object_put(j);
	return ret;
}

void xm_tele_report_free(struct xm_tele_report *r)
{
	free(r->links);
	free(r->routes);
	free(r->events);
	r->links = NULL;
	r->routes = NULL;
	r->events = NULL;
	r->n_links = r->n_routes = r->n_events = 0;
}

/* ---- state ---- */

static const char *const health_names[] = {
	[XM_TELE_UP] = "up", [XM_TELE_STALE] = "stale",
	[XM_TELE_DOWN] = "down",
};

const char *xm_tele_health_name(enum xm_tele_health h)
{
	return h <= XM_TELE_DOWN ? health_names[h] : "down";
}

enum xm_tele_health xm_tele_health(int64_t last_seen, uint32_t interval,
				   int64_t now)
{
	int64_t age = now - last_seen;

	if (!interval)
		interval = XM_TELE_INTERVAL;
	if (age <= (int64_t)XM_TELE_UP_INTERVALS * interval)
		return XM_TELE_UP;
	if (age <= (int64_t)XM_TELE_STALE_INTERVALS * interval)
		return XM_TELE_STALE;
	return XM_TELE_DOWN;
}

double xm_tele_rate(uint64_t prev, uint64_t cur, double dt)
{
	if (!(dt > 0))
		return 0;
	return (double)(cur >= prev ? cur - prev : cur) / dt;
}

/* Each link of cur with counters: its rates from the same peer's link
 * in prev, dt seconds before, if that had counters too. */
static void link_rates(const struct xm_tele_report *prev,
		       struct xm_tele_report *cur, double dt)
{
	size_t i, k;

	for (i = 0; i < cur->n_links; i++) {
		struct xm_tele_link *l = &cur->links[i];

		for (k = 0; k < prev->n_links &&
		     prev->links[k].peer != l->peer; k++)
			;
		if (!l->have_counters || k == prev->n_links ||
		    !prev->links[k].have_counters)
			continue;
		l->tx_bps = 8 * xm_tele_rate(prev->links[k].tx_bytes,
					     l->tx_bytes, dt);
		l->rx_bps = 8 * xm_tele_rate(prev->links[k].rx_bytes,
					     l->rx_bytes, dt);
		l->have_rates = true;
	}
}

/* Each class of cur: its rates from the same class in prev, dt seconds
 * before, if prev had it. */
static void class_rates(const struct xm_tele_report *prev,
			struct xm_tele_report *cur, double dt)
{
	size_t i, k;

	for (i = 0; i < cur->n_qos; i++) {
		struct xm_tele_class *c = &cur->qos[i];

		for (k = 0; k < prev->n_qos &&
		     strcmp(prev->qos[k].name, c->name); k++)
			;
		if (k == prev->n_qos)
			continue;
		c->packets_per_s = xm_tele_rate(prev->qos[k].packets,
						c->packets, dt);
		c->bps = 8 * xm_tele_rate(prev->qos[k].bytes, c->bytes, dt);
		c->drops_per_s = xm_tele_rate(prev->qos[k].drops, c->drops,
					      dt);
		c->have_rates = true;
	}
}

bool xm_tele_link_rate(const struct xm_tele_node *x,
		       const struct xm_tele_link *l, double *tx_bps,
		       double *utilization, bool *own)
{
	double bps = (double)l->bandwidth_kbps * 1000;

	*own = l->have_counters;
	*tx_bps = 0;
	*utilization = 0;
	if (l->have_counters) {
		if (!l->have_rates)
			return false;
		*tx_bps = l->tx_bps;
	} else {
		/* An agent before per-link counters: the node's send rate
		 * over every one of its links, the old estimate (too high
		 * on a node with several links). */
		if (!x->have_rates)
			return false;
		*tx_bps = x->tx_bps;
	}
	if (bps > 0)
		*utilization = *tx_bps / bps;
	return true;
}

static const char *const event_names[] = {
	[XM_TELE_EV_NODE_DOWN] = "node-down",
	[XM_TELE_EV_NODE_UP] = "node-up",
	[XM_TELE_EV_LINK_DOWN] = "link-down",
	[XM_TELE_EV_LINK_UP] = "link-up",
	[XM_TELE_EV_LINK_LOSS] = "link-loss",
	[XM_TELE_EV_POLICY] = "policy",
	[XM_TELE_EV_AGENT] = "agent",
	[XM_TELE_EV_UNKNOWN] = "unknown",
};

const char *xm_tele_event_name(enum xm_tele_event_kind k)
{
	return k <= XM_TELE_EV_MAX ? event_names[k] : NULL;
}

void xm_tele_events_free(struct xm_tele_events *e)
{
	free(e->ev);
	memset(e, 0, sizeof(*e));
}

static int event_vadd(struct xm_tele_events *e, int64_t now,
		      enum xm_tele_event_kind kind, uint32_t node,
		      uint32_t peer, const char *fmt, va_list ap)
{
	struct xm_tele_event *x;

	if (xm_ctl_grow((void **)&e->ev, &e->cap, e->n + 1, sizeof(*x)))
		return -1;
	x = &e->ev[e->n++];
	x->time = now;
	x->kind = kind;
	x->node = node;
	x->peer = peer;
	vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
	return 0;
}

__attribute__((format(printf, 6, 7)))
static int event_add(struct xm_tele_events *e, int64_t now,
		     enum xm_tele_event_kind kind, uint32_t node,
		     uint32_t peer, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = event_vadd(e, now, kind, node, peer, fmt, ap);
	va_end(ap);
	return rc;
}

/* A node's reports' rate (xm_tele_rate_take()): the tokens left at
 * at. Kept apart from the nodes ingested, as a report is counted before
 * it is parsed: one per node id that sent a signed report (at most the
 * agents the store knows). */
struct tele_rate {
	uint32_t id;
	double tokens;
	int64_t at;
};

struct xm_tele {
	struct xm_tele_node **nodes;	/* by id */
	size_t n, cap;
	struct tele_rate *rates;	/* by id */
	size_t n_rates, cap_rates;
};

struct xm_tele *xm_tele_new(void)
{
	return calloc(1, sizeof(struct xm_tele));
}

void xm_tele_free(struct xm_tele *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		xm_tele_report_free(&t->nodes[i]->r);
		free(t->nodes[i]);
	}
	free(t->nodes);
	free(t->rates);
	free(t);
}

/* The index of node, or where it goes (*found false). */
static size_t node_index(const struct xm_tele *t, uint32_t node, bool *found)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->nodes[mid]->id < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->n && t->nodes[lo]->id == node;
	return lo;
}

size_t xm_tele_count(const struct xm_tele *t)
{
	return t->n;
}

const struct xm_tele_node *xm_tele_at(const struct xm_tele *t, size_t i)
{
	return i < t->n ? t->nodes[i] : NULL;
}

const struct xm_tele_node *xm_tele_find(const struct xm_tele *t,
					uint32_t node)
{
	bool found;
	size_t i = node_index(t, node, &found);

	return found ? t->nodes[i] : NULL;
}

const struct xm_tele_link *xm_tele_link(const struct xm_tele_node *n,
					uint32_t peer)
{
	size_t i;

	for (i = 0; i < n->r.n_links; i++)
		if (n->r.links[i].peer == peer)
			return &n->r.links[i];
	return NULL;
}

const struct xm_tele_route *xm_tele_route(const struct xm_tele_node *n,
					  uint32_t dest)
{
	size_t lo = 0, hi = n->r.n_routes;

	/* The first of dest's: sorted by node, then metric and via. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (n->r.routes[mid].node < dest)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n->r.n_routes && n->r.routes[lo].node == dest)
		return &n->r.routes[lo];
	return NULL;
}

static double drops_rate(const struct xm_tele_counters *prev,
			 const struct xm_tele_counters *cur, double dt)
{
	double sum = 0;
	size_t i, k;

	for (i = 0; i < cur->n_drops; i++) {
		uint64_t p = 0;

		for (k = 0; k < prev->n_drops; k++)
			if (!strcmp(prev->drops[k].reason,
				    cur->drops[i].reason))
				p = prev->drops[k].count;
		sum += xm_tele_rate(p, cur->drops[i].count, dt);
	}
	return sum;
}

/* A link event of a report (ev held base before its first): as
 * event_add(), but past XM_TELE_LINK_EVENTS_MAX of them only counted. */
__attribute__((format(printf, 7, 8)))
static int link_event(struct xm_tele_events *ev, size_t base, int64_t now,
		      enum xm_tele_event_kind kind, uint32_t node,
		      uint32_t peer, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (ev->n - base >= XM_TELE_LINK_EVENTS_MAX) {
		ev->dropped++;
		return 0;
	}
	va_start(ap, fmt);
	rc = event_vadd(ev, now, kind, node, peer, fmt, ap);
	va_end(ap);
	return rc;
}

/* The agent's own events of r, at their own time if near now. */
static int agent_events(const struct xm_tele_report *r, uint32_t node,
			int64_t now, struct xm_tele_events *ev)
{
	size_t i;

	for (i = 0; i < r->n_events; i++) {
		const struct xm_tele_agent_event *a = &r->events[i];
		bool near = a->time <= now + XM_TELE_AGENT_AHEAD_S &&
			    a->time + XM_TELE_AGENT_BEHIND_S >= now;

		if (event_add(ev, near ? a->time : now, XM_TELE_EV_AGENT, node,
			      0, "%s: %s", a->level, a->text))
			return -1;
	}
	ev->agent_lost += r->events_lost;
	return 0;
}

static int link_events(const struct xm_tele_report *old,
		       const struct xm_tele_report *cur, uint32_t node,
		       int64_t now, struct xm_tele_events *ev)
{
	size_t i, k, base = ev->n;

	for (i = 0; i < cur->n_links; i++) {
		const struct xm_tele_link *l = &cur->links[i], *o = NULL;

		for (k = 0; k < old->n_links; k++)
			if (old->links[k].peer == l->peer)
				o = &old->links[k];
		if (o && o->up && !l->up &&
		    link_event(ev, base, now, XM_TELE_EV_LINK_DOWN, node,
			       l->peer, "link %u -> %u down", node, l->peer))
			return -1;
		if ((!o || !o->up) && l->up && o &&
		    link_event(ev, base, now, XM_TELE_EV_LINK_UP, node,
			       l->peer, "link %u -> %u up", node, l->peer))
			return -1;
		if (l->up && l->loss_ppm > XM_TELE_LOSS_PPM &&
		    (!o || o->loss_ppm <= XM_TELE_LOSS_PPM) &&
		    link_event(ev, base, now, XM_TELE_EV_LINK_LOSS, node,
			       l->peer, "loss %.2f %% above %.2f %%",
			       l->loss_ppm / 1e4, XM_TELE_LOSS_PPM / 1e4))
			return -1;
		if (o && o->loss_ppm > XM_TELE_LOSS_PPM &&
		    l->loss_ppm <= XM_TELE_LOSS_PPM &&
		    link_event(ev, base, now, XM_TELE_EV_LINK_LOSS, node,
			       l->peer, "loss %.2f %%, back under %.2f %%",
			       l->loss_ppm / 1e4, XM_TELE_LOSS_PPM / 1e4))
			return -1;
	}
	for (k = 0; k < old->n_links; k++) {
		const struct xm_tele_link *o = &old->links[k];
		bool still = false;

		for (i = 0; i < cur->n_links; i++)
			still |= cur->links[i].peer == o->peer;
		if (!still && o->up &&
		    link_event(ev, base, now, XM_TELE_EV_LINK_DOWN, node,
			       o->peer, "link %u -> %u no longer reported",
			       node, o->peer))
			return -1;
	}
	return 0;
}

bool xm_tele_routes_known(const struct xm_tele *t, uint32_t node)
{
	const struct xm_tele_node *x = xm_tele_find(t, node);

	return x && x->routes_known;
}

/* node's rate entry, made (a full bucket) if it has none: NULL if there
 * is no memory for it. */
static struct tele_rate *rate_of(struct xm_tele *t, uint32_t node)
{
	size_t lo = 0, hi = t->n_rates;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->rates[mid].id < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->n_rates && t->rates[lo].id == node)
		return &t->rates[lo];
	if (xm_ctl_grow((void **)&t->rates, &t->cap_rates, t->n_rates + 1,
			sizeof(*t->rates)))
		return NULL;
	memmove(&t->rates[lo + 1], &t->rates[lo],
		(t->n_rates - lo) * sizeof(*t->rates));
	t->n_rates++;
	t->rates[lo] = (struct tele_rate){ node, XM_TELE_RATE_BURST, 0 };
	return &t->rates[lo];
}

bool xm_tele_rate_take(struct xm_tele *t, uint32_t node, int64_t now)
{
	const struct xm_tele_node *x = xm_tele_find(t, node);
	struct tele_rate *e = rate_of(t, node);
	uint32_t every;

	if (!e)
		return false;
	every = (x && x->r.interval ? x->r.interval : XM_TELE_INTERVAL) / 2;
	if (every < 1)
		every = 1;
	/* A clock that went back: a full bucket, as a new one. */
	e->tokens = now < e->at ? XM_TELE_RATE_BURST :
		    e->tokens + (double)(now - e->at) / every;
	if (e->tokens > XM_TELE_RATE_BURST)
		e->tokens = XM_TELE_RATE_BURST;
	e->at = now;
	if (e->tokens < 1)
		return false;
	e->tokens -= 1;
	return true;
}

int xm_tele_ingest(struct xm_tele *t, uint32_t node,
		   struct xm_tele_report *r, int64_t now,
		   struct xm_tele_events *ev)
{
	size_t n_ev = ev->n, dropped = ev->dropped;
	uint64_t agent_lost = ev->agent_lost;
	struct xm_tele_node *x;
	bool found;
	size_t i = node_index(t, node, &found);

	if (!found) {
		if (xm_ctl_grow((void **)&t->nodes, &t->cap, t->n + 1,
				sizeof(*t->nodes)))
			return -1;
		x = calloc(1, sizeof(*x));
		if (!x)
			return -1;
		x->id = node;
		x->down = true;		/* unknown until now */
	} else {
		x = t->nodes[i];
	}
	if ((x->down && event_add(ev, now, XM_TELE_EV_NODE_UP, node, 0,
				  "%s reporting%s", r->name[0] ? r->name :
				  "node", found ? " again" : "")) ||
	    (found && link_events(&x->r, r, node, now, ev)) ||
	    agent_events(r, node, now, ev)) {
		ev->n = n_ev;
		ev->dropped = dropped;
		ev->agent_lost = agent_lost;
		if (!found)
			free(x);
		return -1;
	}
	if (!found) {
		memmove(&t->nodes[i + 1], &t->nodes[i],
			(t->n - i) * sizeof(*t->nodes));
		t->nodes[i] = x;
		t->n++;
	}
	x->have_rates = false;
	if (found && r->time > x->r.time) {
		double dt = (double)(r->time - x->r.time);
		const struct xm_tele_counters *p = &x->r.counters,
					      *c = &r->counters;

		x->tx_bps = 8 * xm_tele_rate(p->tx_bytes, c->tx_bytes, dt);
		x->rx_bps = 8 * xm_tele_rate(p->rx_bytes, c->rx_bytes, dt);
		x->drops_per_s = drops_rate(p, c, dt);
		x->have_rates = true;
		link_rates(&x->r, r, dt);
		class_rates(&x->r, r, dt);
	}
	if (r->routes_unchanged) {
		/* The table of the report before (none: an empty one; the
		 * caller asks for the routes, xm_tele_routes_known()). */
		r->routes = x->r.routes;
		r->n_routes = x->r.n_routes;
		x->r.routes = NULL;
		x->r.n_routes = 0;
		r->routes_unchanged = false;
		x->routes_known = found && x->routes_known;
	} else {
		x->routes_known = true;
	}
	/* Its events are made: not kept with the node. */
	free(r->events);
	r->events = NULL;
	r->n_events = 0;
	xm_tele_report_free(&x->r);
	x->r = *r;
	memset(r, 0, sizeof(*r));
	x->last_seen = now;
	x->down = false;
	return 0;
}

int xm_tele_tick(struct xm_tele *t, int64_t now, struct xm_tele_events *ev)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct xm_tele_node *x = t->nodes[i];

		if (x->down || xm_tele_health(x->last_seen, x->r.interval,
					      now) != XM_TELE_DOWN)
			continue;
		if (event_add(ev, now, XM_TELE_EV_NODE_DOWN, x->id, 0,
			      "%s: no report for %" PRId64 " s",
			      x->r.name[0] ? x->r.name : "node",
			      now - x->last_seen))
			return -1;
		x->down = true;
	}
	return 0;
}

bool xm_tele_path(const struct xm_tele *t, uint32_t from, uint32_t to,
		  struct xm_tele_hop *hops, size_t max, size_t *n,
		  char *reason, size_t reason_len)
{
	uint32_t cur = from;
	size_t k;

	*n = 0;
	while (cur != to) {
		const struct xm_tele_node *x = xm_tele_find(t, cur);
		const struct xm_tele_route *r;
		const struct xm_tele_link *l;

		for (k = 0; k < *n; k++)
			if (hops[k].node == cur) {
				snprintf(reason, reason_len, "a loop: node %u"
					 " again", cur);
				return false;
			}
		if (!x) {
			snprintf(reason, reason_len, "node %u has not"
				 " reported", cur);
			return false;
		}
		r = xm_tele_route(x, to);
		if (!r) {
			snprintf(reason, reason_len, "node %u has no route to"
				 " %u", cur, to);
			return false;
		}
		if (*n == max) {
			snprintf(reason, reason_len, "more than %zu hops", max);
			return false;
		}
		l = xm_tele_link(x, r->via);
		hops[*n] = (struct xm_tele_hop){
			.node = cur, .via = r->via, .metric = r->metric,
			.link_metric = l ? l->metric : 0,
		};
		(*n)++;
		cur = r->via;
	}
	if (reason_len)
		reason[0] = '\0';
	return true;
}

/* ---- series ---- */

static const char *const metric_names[] = {
	[XM_TELE_M_RTT_US] = "rtt_us",
	[XM_TELE_M_LOSS_PPM] = "loss_ppm",
	[XM_TELE_M_TX_BPS] = "tx_bps",
	[XM_TELE_M_RX_BPS] = "rx_bps",
	[XM_TELE_M_DROPS_PER_S] = "drops_per_s",
	[XM_TELE_M_LOAD] = "load",
	[XM_TELE_M_LINK_TX_BPS] = "link_tx_bps",
	[XM_TELE_M_LINK_RX_BPS] = "link_rx_bps",
	[XM_TELE_M_UTILIZATION] = "utilization",
	[XM_TELE_M_CLASS_PACKETS_PER_S] = "class_packets_per_s",
	[XM_TELE_M_CLASS_BPS] = "class_bps",
	[XM_TELE_M_CLASS_DROPS_PER_S] = "class_drops_per_s",
};

const char *xm_tele_metric_name(enum xm_tele_metric m)
{
	return m <= XM_TELE_M_MAX ? metric_names[m] : NULL;
}

int xm_tele_metric_parse(const char *s, enum xm_tele_metric *m)
{
	unsigned int i;

	for (i = 0; i <= XM_TELE_M_MAX; i++)
		if (!strcmp(s, metric_names[i])) {
			*m = i;
			return 0;
		}
	return -1;
}

bool xm_tele_metric_per_link(enum xm_tele_metric m)
{
	return m == XM_TELE_M_RTT_US || m == XM_TELE_M_LOSS_PPM ||
	       m == XM_TELE_M_LINK_TX_BPS || m == XM_TELE_M_LINK_RX_BPS ||
	       m == XM_TELE_M_UTILIZATION;
}

bool xm_tele_metric_per_class(enum xm_tele_metric m)
{
	return m == XM_TELE_M_CLASS_PACKETS_PER_S || m == XM_TELE_M_CLASS_BPS ||
	       m == XM_TELE_M_CLASS_DROPS_PER_S;
}

unsigned int xm_tele_class_id(const char *name)
{
	unsigned int id;

	for (id = XMESH_TC_BULK; id <= XMESH_TC_NETWORK_CONTROL; id++)
		if (!strcmp(xm_tclass_name((uint8_t)id), name))
			return id;
	return 0;
}

static size_t sample_put(struct xm_tele_sample *out, size_t max, size_t n,
			 uint32_t node, uint32_t peer, enum xm_tele_metric m,
			 double v)
{
	if (n < max)
		out[n] = (struct xm_tele_sample){ node, peer, m, v, 0 };
	return n + 1;
}

/* Each link's own rates and utilization: not the node's estimate for an
 * agent without per-link counters, which a link's series would show as
 * the link's own. */
static size_t link_samples(const struct xm_tele_node *x,
			   struct xm_tele_sample *out, size_t max, size_t n)
{
	size_t i;

	for (i = 0; i < x->r.n_links; i++) {
		const struct xm_tele_link *l = &x->r.links[i];
		double tx_bps, utilization;
		bool own;

		if (!l->up || !xm_tele_link_rate(x, l, &tx_bps, &utilization,
						 &own) || !own)
			continue;
		n = sample_put(out, max, n, x->id, l->peer,
			       XM_TELE_M_LINK_TX_BPS, tx_bps);
		n = sample_put(out, max, n, x->id, l->peer,
			       XM_TELE_M_LINK_RX_BPS, l->rx_bps);
		if (l->bandwidth_kbps)	/* else unknown, not 0 */
			n = sample_put(out, max, n, x->id, l->peer,
				       XM_TELE_M_UTILIZATION, utilization);
	}
	return n;
}

size_t xm_tele_samples(const struct xm_tele_node *x,
		       struct xm_tele_sample *out, size_t max)
{
	size_t n = 0, i;

	if (x->have_rates) {
		n = sample_put(out, max, n, x->id, 0, XM_TELE_M_TX_BPS,
			       x->tx_bps);
		n = sample_put(out, max, n, x->id, 0, XM_TELE_M_RX_BPS,
			       x->rx_bps);
		n = sample_put(out, max, n, x->id, 0, XM_TELE_M_DROPS_PER_S,
			       x->drops_per_s);
	}
	if (x->r.caps.have_load)
		n = sample_put(out, max, n, x->id, 0, XM_TELE_M_LOAD,
			       x->r.caps.load);
	for (i = 0; i < x->r.n_links; i++) {
		const struct xm_tele_link *l = &x->r.links[i];

		if (!l->up)
			continue;
		n = sample_put(out, max, n, x->id, l->peer, XM_TELE_M_RTT_US,
			       (double)l->rtt_us);
		n = sample_put(out, max, n, x->id, l->peer,
			       XM_TELE_M_LOSS_PPM, (double)l->loss_ppm);
	}
	n = link_samples(x, out, max, n);
	for (i = 0; i < x->r.n_qos; i++) {
		const struct xm_tele_class *c = &x->r.qos[i];
		unsigned int id = xm_tele_class_id(c->name);

		if (!c->have_rates || !id)
			continue;
		n = sample_put(out, max, n, x->id, id,
			       XM_TELE_M_CLASS_PACKETS_PER_S, c->packets_per_s);
		n = sample_put(out, max, n, x->id, id, XM_TELE_M_CLASS_BPS,
			       c->bps);
		n = sample_put(out, max, n, x->id, id,
			       XM_TELE_M_CLASS_DROPS_PER_S, c->drops_per_s);
	}
	return n < max ? n : max;
}

void xm_tele_retention_default(struct xm_tele_retention *r)
{
	if (!r->raw_s)
		r->raw_s = XM_TELE_RAW_S;
	if (!r->minute_s)
		r->minute_s = XM_TELE_MINUTE_S;
	if (!r->hour_s)
		r->hour_s = XM_TELE_HOUR_S;
}

int64_t xm_tele_tier_step(unsigned int tier)
{
	static const int64_t steps[XM_TELE_TIERS] = { 0, 60, 3600 };

	return tier < XM_TELE_TIERS ? steps[tier] : 0;
}

int64_t xm_tele_tier_keep(const struct xm_tele_retention *r,
			  unsigned int tier)
{
	switch (tier) {
	case 0:
		return r->raw_s;
	case 1:
		return r->minute_s;
	default:
		return r->hour_s;
	}
}

unsigned int xm_tele_series_tier(const struct xm_tele_retention *r,
				 int64_t since, int64_t now)
{
	unsigned int tier;

	for (tier = 0; tier < XM_TELE_TIERS - 1; tier++)
		if (since >= now - xm_tele_tier_keep(r, tier))
			return tier;
	return XM_TELE_TIERS - 1;
}

bool xm_tele_downsample_due(const struct xm_tele_retention *r,
			    unsigned int tier, int64_t oldest, int64_t now,
			    int64_t *until)
{
	int64_t cutoff = now - xm_tele_tier_keep(r, tier);
	int64_t step = tier + 1 < XM_TELE_TIERS ?
		       xm_tele_tier_step(tier + 1) : 1;
	int64_t span = step > XM_TELE_DOWNSAMPLE_SPAN ? step :
		       XM_TELE_DOWNSAMPLE_SPAN;
	int64_t end;

	if (tier >= XM_TELE_TIERS || oldest >= cutoff)
		return false;
	/* Whole buckets of the next tier only: none is averaged twice. */
	end = cutoff < oldest + span ? cutoff : oldest + span;
	end -= ((end % step) + step) % step;
	if (end <= oldest)
		return false;
	*until = end;
	return true;
}
