// SPDX-License-Identifier: GPL-2.0
/* Telemetry, xmeshd's side: the report, its sender thread, and the
 * main loop's timer (telemetry.h). */
#include "telemetry.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "controller_client.h"
#include "keys.h"
#include "kx.h"
#include "xmesh_file.h"
#include "xmesh_names.h"
#include "xmesh_nl.h"
#include "xmesh_qos.h"
#include "xmeshd.h"

/* ---- the report ---- */

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* This node's name, zone, roles and capabilities, from its own entry in
 * the link-state database (what it advertises). */
static void self_json(const struct xm_core *core, json_object *j)
{
	uint32_t self = xm_core_node_id(core);
	struct xm_node_status n;
	json_object *roles, *caps;
	unsigned int k;
	size_t i;

	for (i = 0; xm_core_node(core, i, &n); i++) {
		if (n.node != self)
			continue;
		json_object_object_add(j, "name",
				       json_object_new_string(n.caps.name));
		json_object_object_add(j, "zone",
				       json_object_new_string(n.caps.zone));
		roles = json_object_new_array();
		for (k = 0; k < n.caps.n_roles && k < XM_ROLE_MAX; k++)
			json_object_array_add(roles, json_object_new_string(
				n.caps.roles[k]));
		json_object_object_add(j, "roles", roles);
		caps = json_object_new_object();
		add_u64(caps, "cores", n.caps.cpu_cores);
		json_object_object_add(caps, "load", json_object_new_double(
			n.caps.cpu_load / 100.0));
		add_u64(caps, "mem_total", (uint64_t)n.caps.mem_total_mb << 20);
		add_u64(caps, "mem_free", (uint64_t)n.caps.mem_free_mb << 20);
		add_u64(caps, "storage_free",
			(uint64_t)n.caps.disk_free_gb << 30);
		json_object_object_add(j, "caps", caps);
		return;
	}
}

/* The kernel's traffic counters of adjacency id (kn[0..n_kn)) into l:
 * nothing if the kernel has none for it (an old module, or not read). */
static void link_counters(json_object *l, uint32_t id,
			  const struct xm_neigh *kn, size_t n_kn)
{
	size_t i;

	for (i = 0; i < n_kn && kn[i].id != id; i++)
		;
	if (i == n_kn || !XM_HAS(&kn[i], XMESH_NEIGH_A_TX_BYTES) ||
	    !XM_HAS(&kn[i], XMESH_NEIGH_A_RX_BYTES))
		return;
	add_u64(l, "tx_packets", kn[i].tx_packets);
	add_u64(l, "tx_bytes", kn[i].tx_bytes);
	add_u64(l, "rx_packets", kn[i].rx_packets);
	add_u64(l, "rx_bytes", kn[i].rx_bytes);
}

/* One link per peer node: of several adjacencies to it, the one up with
 * the lowest metric (the controller takes a peer once), with that
 * adjacency's own traffic counters from the kernel (kn), so that its
 * utilization is its own bytes over its own bandwidth. */
static json_object *links_json(const struct xm_core *core,
			       uint32_t (*bw)(void *, uint32_t, char[16]),
			       void *arg, const struct xm_neigh *kn,
			       size_t n_kn)
{
	struct xm_neigh_status *best, ns;
	size_t i, k, n = 0, cap = 16;
	json_object *a = json_object_new_array();

	best = malloc(cap * sizeof(*best));
	for (i = 0; best && xm_core_neigh(core, i, &ns); i++) {
		bool up = ns.state == XM_NEIGH_UP;

		for (k = 0; k < n && best[k].node != ns.node; k++)
			;
		if (k < n) {
			bool kup = best[k].state == XM_NEIGH_UP;

			if ((up && !kup) ||
			    (up == kup && ns.metric < best[k].metric))
				best[k] = ns;
			continue;
		}
		if (n == XMD_TELEMETRY_LINKS_MAX)
			continue;
		if (n == cap) {
			struct xm_neigh_status *b = realloc(best, 2 * cap *
							    sizeof(*b));

			if (!b)
				break;
			best = b;
			cap *= 2;
		}
		best[n++] = ns;
	}
	for (k = 0; best && k < n; k++) {
		json_object *l = json_object_new_object();
		char ifname[16] = "";
		uint32_t mbps = bw ? bw(arg, best[k].ifindex, ifname) : 0;

		add_u64(l, "peer", best[k].node);
		if (ifname[0])
			json_object_object_add(l, "ifname",
					       json_object_new_string(ifname));
		json_object_object_add(l, "state", json_object_new_string(
			best[k].state == XM_NEIGH_UP ? "up" : "down"));
		add_u64(l, "rtt_us", best[k].srtt_us);
		add_u64(l, "jitter_us", best[k].rttvar_us);
		add_u64(l, "loss_ppm", best[k].loss_ppm > 1000000 ? 1000000 :
			best[k].loss_ppm);
		add_u64(l, "metric", best[k].metric);
		add_u64(l, "bandwidth_kbps", (uint64_t)mbps * 1000);
		link_counters(l, best[k].id, kn, n_kn);
		json_object_array_add(a, l);
	}
	free(best);
	return a;
}

/* The route to each reachable node: the first hop of the path the core
 * computed (what `xmesh path show` shows), its cost and hop count. */
static json_object *routes_json(const struct xm_core *core)
{
	uint32_t self = xm_core_node_id(core);
	json_object *a = json_object_new_array();
	struct xm_node_status n;
	struct xm_path p;
	size_t i, count = 0;

	for (i = 0; xm_core_node(core, i, &n); i++) {
		json_object *r;

		if (n.node == self || !n.reachable ||
		    !xm_core_path(core, n.node, &p) || !p.n_hops ||
		    count == XMD_TELEMETRY_ROUTES_MAX)
			continue;
		r = json_object_new_object();
		add_u64(r, "node", n.node);
		add_u64(r, "via", p.node[1]);
		add_u64(r, "metric", p.cost[p.n_hops]);
		add_u64(r, "hops", p.n_hops);
		json_object_array_add(a, r);
		count++;
	}
	return a;
}

static json_object *counters_json(const struct xm_dev *dev)
{
	static const struct {
		const char *key;
		int attr;
	} map[] = {
		{ "tx_packets", XMESH_COUNTER_A_TX_PACKETS },
		{ "tx_bytes", XMESH_COUNTER_A_TX_BYTES },
		{ "rx_packets", XMESH_COUNTER_A_RX_PACKETS },
		{ "rx_bytes", XMESH_COUNTER_A_RX_BYTES },
		{ "forwarded_packets", XMESH_COUNTER_A_FWD_PACKETS },
		{ "forwarded_bytes", XMESH_COUNTER_A_FWD_BYTES },
	};
	json_object *c = json_object_new_object(), *drops;
	size_t i;
	int t;

	if (!dev)
		return c;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		add_u64(c, map[i].key, dev->counters[map[i].attr]);
	drops = json_object_new_object();
	for (t = 0; t <= XMESH_DROP_A_MAX; t++) {
		const char *key = xm_drop_key(t);

		if ((dev->drops_present & XM_BIT(t)) && key)
			add_u64(drops, key, dev->drops[t]);
	}
	json_object_object_add(c, "drops", drops);
	return c;
}

/* The traffic classes the kernel counts (`xmesh qos show`): sent
 * packets and bytes, drops over the rate cap, the cap; at most
 * XM_TCLASS_COUNT, in the kernel's order. */
static json_object *qos_json(const struct xm_qos *q)
{
	json_object *a = json_object_new_array();
	unsigned int i;

	for (i = 0; i < q->n_tclass && i < XM_TCLASS_COUNT; i++) {
		const struct xm_tclass *t = &q->tclass[i];
		const char *name = xm_tclass_name(t->id);
		json_object *o;

		if (!name || !XM_HAS(t, XMESH_TCLASS_A_PACKETS))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "class",
				       json_object_new_string(name));
		add_u64(o, "packets", t->packets);
		add_u64(o, "bytes", t->bytes);
		add_u64(o, "drops", t->drops);
		add_u64(o, "rate", t->rate);
		json_object_array_add(a, o);
	}
	return a;
}

char *xmd_telemetry_report(const struct xm_core *core,
			   const struct xm_dev *dev,
			   const struct xm_neigh *kneigh, size_t n_kneigh,
			   const struct xm_qos *qos,
			   uint32_t (*bandwidth_mbps)(void *arg,
						      uint32_t ifindex,
						      char ifname[16]),
			   void *arg, int64_t time, uint32_t interval,
			   uint64_t policy_version)
{
	json_object *j = json_object_new_object();
	char *text;

	json_object_object_add(j, "time", json_object_new_int64(time));
	add_u64(j, "interval", interval);
	self_json(core, j);
	add_u64(j, "policy_version", policy_version);
	json_object_object_add(j, "links",
			       links_json(core, bandwidth_mbps, arg, kneigh,
					  n_kneigh));
	json_object_object_add(j, "counters", counters_json(dev));
	if (qos)
		json_object_object_add(j, "qos", qos_json(qos));
	/* Last: routes_elide() cuts them off the end. */
	json_object_object_add(j, "routes", routes_json(core));
	text = strdup(json_object_to_json_string_ext(j,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	return text;
}

/* ---- the agent's events ---- */

void xmd_tele_events_add(struct xmd_tele_events *e, int64_t time,
			 enum xmd_log_level level, const char *text)
{
	struct xmd_tele_event *x;
	size_t i;

	if (e->n == XMD_TELE_EVENTS_MAX) {
		e->head = (e->head + 1) % XMD_TELE_EVENTS_MAX;
		e->n--;
	}
	x = &e->ev[(e->head + e->n) % XMD_TELE_EVENTS_MAX];
	e->n++;
	x->seq = ++e->last;
	x->time = time;
	x->level = level;
	for (i = 0; text[i] && i < sizeof(x->text) - 1; i++)
		x->text[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
	x->text[i] = '\0';
}

uint64_t xmd_tele_events_lost(const struct xmd_tele_events *e)
{
	/* The seqs before the oldest kept that no controller took. */
	uint64_t before = e->last - e->n;

	return before > e->taken ? before - e->taken : 0;
}

char *xmd_tele_events_splice(const struct xmd_tele_events *e,
			     const char *report, uint64_t *upto)
{
	uint64_t lost = xmd_tele_events_lost(e);
	json_object *a = json_object_new_array();
	const char *members;
	char *text = NULL;
	unsigned int i;
	size_t len;

	/* The lost ones are reported with these: taken with them. */
	*upto = lost ? e->last - e->n : e->taken;
	for (i = 0; a && i < e->n; i++) {
		const struct xmd_tele_event *x =
			&e->ev[(e->head + i) % XMD_TELE_EVENTS_MAX];
		json_object *o;

		if (x->seq <= e->taken)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "time",
				       json_object_new_int64(x->time));
		json_object_object_add(o, "level", json_object_new_string(
			xmd_log_level_name(x->level)));
		json_object_object_add(o, "text",
				       json_object_new_string(x->text));
		json_object_array_add(a, o);
		*upto = x->seq;
	}
	if (!a || report[0] != '{' ||
	    (!json_object_array_length(a) && !lost)) {
		json_object_put(a);
		return strdup(report);
	}
	members = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE);
	/* First: the routes stay the last member (routes_elide()). */
	len = strlen(members) + strlen(report) + 64;
	text = malloc(len);
	if (text && lost)
		snprintf(text, len, "{\"events\":%s,\"events_lost\":%" PRIu64
			 ",%s", members, lost, report + 1);
	else if (text)
		snprintf(text, len, "{\"events\":%s,%s", members, report + 1);
	json_object_put(a);
	return text;
}

void xmd_tele_events_taken(struct xmd_tele_events *e, uint64_t upto)
{
	if (upto > e->taken)
		e->taken = upto;
}

bool xmd_tele_events_on(const struct xmd_tele_events *e, int64_t now)
{
	return now >= e->off_until;
}

void xmd_tele_events_off(struct xmd_tele_events *e, int64_t now)
{
	e->off_until = now + XMD_TELE_EVENTS_RETRY_S;
}

/* ---- the sender ---- */

/* ---- the buffer ---- */

void xmd_tele_buffer_push(struct xmd_tele_buffer *b, char *report,
			  int64_t time)
{
	unsigned int at;

	if (b->n == XMD_TELEMETRY_BUFFER_MAX) {
		free(b->report[b->head]);
		b->head = (b->head + 1) % XMD_TELEMETRY_BUFFER_MAX;
		b->n--;
		b->dropped_full++;
	}
	at = (b->head + b->n) % XMD_TELEMETRY_BUFFER_MAX;
	b->report[at] = report;
	b->time[at] = time;
	b->n++;
}

char *xmd_tele_buffer_take(struct xmd_tele_buffer *b, int64_t now,
			   int64_t *time)
{
	char *r;

	while (b->n && now - b->time[b->head] > XMD_TELEMETRY_BUFFER_AGE_S) {
		free(b->report[b->head]);
		b->head = (b->head + 1) % XMD_TELEMETRY_BUFFER_MAX;
		b->n--;
		b->dropped_old++;
	}
	if (!b->n)
		return NULL;
	r = b->report[b->head];
	*time = b->time[b->head];
	b->head = (b->head + 1) % XMD_TELEMETRY_BUFFER_MAX;
	b->n--;
	return r;
}

void xmd_tele_buffer_put_back(struct xmd_tele_buffer *b, char *report,
			      int64_t time)
{
	if (b->n == XMD_TELEMETRY_BUFFER_MAX) {
		free(report);	/* the oldest of all */
		b->dropped_full++;
		return;
	}
	b->head = (b->head + XMD_TELEMETRY_BUFFER_MAX - 1) %
		  XMD_TELEMETRY_BUFFER_MAX;
	b->report[b->head] = report;
	b->time[b->head] = time;
	b->n++;
}

void xmd_tele_buffer_clear(struct xmd_tele_buffer *b)
{
	while (b->n) {
		free(b->report[b->head]);
		b->head = (b->head + 1) % XMD_TELEMETRY_BUFFER_MAX;
		b->n--;
	}
}

/* ---- the sender ---- */

struct xmd_telemetry_sender {
	struct xmd_controllers ctls;	/* the thread's only */
	uint8_t *sk;			/* XM_SECKEY_LEN, xmd_secret_dup() */
	char cert_b64[XMD_CERT_B64_MAX];
	pthread_t thread;
	bool started;
	/* Behind lock: shared with the main loop. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	struct xmd_tele_buffer buf;	/* the reports to send */
	struct xmd_tele_events events;	/* to go with them */
	struct xmd_telemetry_counters c;
	/* The sender thread's own: the digest of the routes of the last
	 * report the controller (of index routes_at) took with its routes,
	 * while it keeps them (routes_elide()). */
	uint8_t routes_taken[16];
	bool routes_taken_valid;
	unsigned int routes_at;
	bool routes_elide_off;		/* a controller that refused it */
};

/*
 * A report's routes are its last member (xmd_telemetry_report(), plain
 * JSON): `"routes":[...]}`. The same as in the last report the
 * controller took (their digest), they are sent as
 * `"routes_unchanged":true` (Documentation/controller.md, "Telemetry"):
 * at 1000 nodes they are most of a report. report is cut in place; the
 * routes' digest into digest; whether they were elided.
 */
static bool routes_elide(struct xmd_telemetry_sender *s, char *report,
			 uint8_t digest[16])
{
	static const char key[] = "\"routes\":[", unchanged[] =
		"\"routes_unchanged\":true}";
	char *at = NULL, *p = report;
	size_t len;

	memset(digest, 0, 16);
	/* The last one: a key cannot be inside a string (its quote would
	 * be escaped). */
	while ((p = strstr(p, key)))
		at = p++;
	len = strlen(report);
	if (!at || len < 2 || report[len - 1] != '}')
		return false;
	len -= (size_t)(at - report);
	crypto_generichash(digest, 16, (const uint8_t *)at, len, NULL, 0);
	/* A table shorter than the word for it is sent as it is. */
	if (!s->routes_taken_valid || s->routes_elide_off ||
	    len < sizeof(unchanged) ||
	    sodium_memcmp(digest, s->routes_taken, 16))
		return false;
	memcpy(at, unchanged, sizeof(unchanged));
	return true;
}

/* Whether the controller's answer asks for the routes (it has no table
 * to keep: it restarted). */
static bool routes_wanted(const struct xm_http_body *b)
{
	json_object *j, *v;
	bool want = false;

	if (!b->data)
		return false;
	j = json_tokener_parse(b->data);
	if (j && json_object_object_get_ex(j, "routes_wanted", &v))
		want = json_object_get_boolean(v);
	json_object_put(j);
	return want;
}

void xmd_tele_events_refused(const char *answer, bool *unknown, bool *bad)
{
	json_object *j, *e, *loc, *why;

	*unknown = *bad = false;
	j = answer ? json_tokener_parse(answer) : NULL;
	if (j && json_object_object_get_ex(j, "error", &e) &&
	    json_object_object_get_ex(e, "location", &loc) &&
	    json_object_object_get_ex(e, "reason", &why)) {
		*unknown = !strcmp(json_object_get_string(why),
				   "unknown member \"events\"");
		*bad = !strncmp(json_object_get_string(loc), "/events", 7);
	}
	json_object_put(j);
}

static int abandon(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
		   curl_off_t d)
{
	struct xmd_telemetry_sender *s = arg;
	bool stop;

	(void)a;
	(void)b;
	(void)c;
	(void)d;
	pthread_mutex_lock(&s->lock);
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

/* Wait until stopped or a report is there, not before not_before (0:
 * no pause). Under s->lock. */
static void sender_wait(struct xmd_telemetry_sender *s, time_t not_before)
{
	struct timespec t = { .tv_sec = not_before };

	while (!s->stop && (!s->buf.n || (not_before &&
					  time(NULL) < not_before))) {
		if (not_before && s->buf.n)
			pthread_cond_timedwait(&s->cond, &s->lock, &t);
		else
			pthread_cond_wait(&s->cond, &s->lock);
	}
}

/* The buffer's counters into s->c. Under s->lock. */
static void sender_count(struct xmd_telemetry_sender *s)
{
	s->c.dropped_full = s->buf.dropped_full;
	s->c.dropped_old = s->buf.dropped_old;
	s->c.dropped = s->c.dropped_full + s->c.dropped_old + s->c.refused;
	s->c.buffered = s->buf.n;
}

static void *sender_thread(void *arg)
{
	struct xmd_telemetry_sender *s = arg;
	time_t not_before = 0;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct xm_http_body b = { .max = 16384 };
		struct curl_slist *hdrs = NULL;
		long status = -1;
		uint8_t digest[16];
		int64_t made = 0;
		char *report, *sent;
		uint64_t events_upto = 0;
		bool elided, unknown, bad, with_events;
		const char *url;
		CURL *e;

		sender_wait(s, not_before);
		if (s->stop)
			break;
		not_before = 0;
		report = xmd_tele_buffer_take(&s->buf, (int64_t)time(NULL),
					      &made);
		sender_count(s);
		if (!report)
			continue;
		/* Cut in a copy: the report may go to another one yet. */
		with_events = xmd_tele_events_on(&s->events,
						 (int64_t)time(NULL));
		sent = with_events ? xmd_tele_events_splice(&s->events, report,
							    &events_upto) :
		       strdup(report);
		pthread_mutex_unlock(&s->lock);
		url = xmd_controllers_url(&s->ctls, (int64_t)time(NULL));
		/* Another controller has not the routes of the last. */
		if (s->routes_at != s->ctls.cur)
			s->routes_taken_valid = false;
		s->routes_at = s->ctls.cur;
		elided = sent && routes_elide(s, sent, digest);
		e = sent ? xmd_controller_easy(url, s->sk, s->cert_b64, "POST",
					       "/api/v1/agent/telemetry", sent,
					       XMD_TELEMETRY_TIMEOUT_S, &b,
					       &hdrs) : NULL;
		if (e) {
			curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
			curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, abandon);
			curl_easy_setopt(e, CURLOPT_XFERINFODATA, s);
			if (curl_easy_perform(e) == CURLE_OK)
				curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE,
						  &status);
			curl_easy_cleanup(e);
		}
		curl_slist_free_all(hdrs);
		free(sent);
		xmd_tele_events_refused(b.data, &unknown, &bad);
		/* Taken with its routes: those are the controller's now.
		 * Not known to be taken: they may be or not, so the next
		 * report carries them. */
		if (status >= 200 && status < 300 && !routes_wanted(&b)) {
			if (!elided)
				memcpy(s->routes_taken, digest, 16);
			s->routes_taken_valid = true;
		} else if (!elided || status >= 200) {
			s->routes_taken_valid = false;
			/* A controller before routes_unchanged: 400. */
			if (elided && status == 400 && !unknown)
				s->routes_elide_off = true;
		}
		xm_http_body_free(&b);
		if (xmd_controller_unavailable(status)) {
			/* Kept for the next controller; a pause once every
			 * one failed in a row. */
			if (xmd_controllers_failed(&s->ctls,
						   (int64_t)time(NULL)))
				not_before = time(NULL) +
					     XMD_TELEMETRY_INTERVAL_S;
		} else {
			xmd_controllers_ok(&s->ctls);
		}
		pthread_mutex_lock(&s->lock);
		s->c.failovers = s->ctls.failovers;
		if (status >= 200 && status < 300) {
			s->c.sent++;
			s->c.routes_elided += elided;
			xmd_tele_events_taken(&s->events, events_upto);
			free(report);
		} else if (xmd_controller_unavailable(status) ||
			   (unknown && with_events)) {
			/* A controller before events: the report again at
			 * once, without them (they stay untaken). */
			if (unknown)
				xmd_tele_events_off(&s->events,
						    (int64_t)time(NULL));
			s->c.errors++;
			xmd_tele_buffer_put_back(&s->buf, report, made);
		} else {
			/* Refused: sending it again would not help. Events
			 * refused would be again with every report. */
			s->c.errors++;
			s->c.refused++;
			if (bad)
				xmd_tele_events_taken(&s->events, events_upto);
			free(report);
		}
		sender_count(s);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct xmd_telemetry_sender *xmd_telemetry_sender_new(const char *url,
						      const struct xm_cert *cert,
						      const uint8_t *sk,
						      char *err, size_t errlen)
{
	struct xmd_telemetry_sender *s = calloc(1, sizeof(*s));
	int ret;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (xmd_controllers_parse(&s->ctls, url)) {
		free(s);
		snprintf(err, errlen, "controller: 1 to %d URLs of at most %d"
			 " characters", XMD_CONTROLLERS_MAX,
			 XMD_CONTROLLER_URL_MAX - 1);
		return NULL;
	}
	s->sk = xmd_secret_dup(sk, XM_SECKEY_LEN);
	if (!s->sk) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	xmd_controller_cert_b64(cert, s->cert_b64);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	ret = pthread_create(&s->thread, NULL, sender_thread, s);
	if (ret) {
		snprintf(err, errlen, "%s", strerror(ret));
		xmd_telemetry_sender_free(s);
		return NULL;
	}
	s->started = true;
	return s;
}

void xmd_telemetry_sender_event(struct xmd_telemetry_sender *s,
				int64_t time, enum xmd_log_level level,
				const char *text)
{
	pthread_mutex_lock(&s->lock);
	xmd_tele_events_add(&s->events, time, level, text);
	pthread_mutex_unlock(&s->lock);
}

void xmd_telemetry_submit(struct xmd_telemetry_sender *s, char *report)
{
	pthread_mutex_lock(&s->lock);
	xmd_tele_buffer_push(&s->buf, report, (int64_t)time(NULL));
	sender_count(s);
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void xmd_telemetry_counters(struct xmd_telemetry_sender *s,
			    struct xmd_telemetry_counters *c)
{
	pthread_mutex_lock(&s->lock);
	*c = s->c;
	pthread_mutex_unlock(&s->lock);
}

void xmd_telemetry_sender_free(struct xmd_telemetry_sender *s)
{
	if (!s)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	xmd_secret_free(s->sk);
	xmd_tele_buffer_clear(&s->buf);
	free(s);
}

/* ---- xmeshd's side: everything here runs in the main loop ---- */

struct xmd_telemetry {
	struct xmd_watch w;		/* a periodic timerfd */
	struct xmd *d;
	struct xmd_telemetry_sender *sender;
};

static uint32_t link_bandwidth(void *arg, uint32_t ifindex, char ifname[16])
{
	struct xmd *d = arg;
	struct xmd_link *l = xmd_links_find(&d->links, ifindex);

	if (!l)
		return 0;
	snprintf(ifname, 16, "%s", l->given.ifname);
	return l->given.bandwidth_mbps;
}

void xmd_telemetry_stats_set(struct xmd_stats *st,
			     const struct xmd_telemetry_counters *c)
{
	st->telemetry_reports = c->sent;
	st->telemetry_dropped = c->dropped;
	st->telemetry_dropped_full = c->dropped_full;
	st->telemetry_dropped_old = c->dropped_old;
	st->telemetry_refused = c->refused;
	st->telemetry_errors = c->errors;
	st->telemetry_routes_elided = c->routes_elided;
	st->telemetry_failovers = c->failovers;
	st->telemetry_buffered = c->buffered;
}

/* The kernel's adjacencies (their traffic counters) into *out (malloc'd,
 * *n of them; NULL if none could be read: the links go without). */
static struct xm_neigh *kernel_neighs(struct xmd *d, size_t *n)
{
	struct xm_list l = { 0 };
	struct xm_neigh *v = NULL;
	struct nlc_error err;
	size_t i;

	*n = 0;
	if (!xmnl_dump(&d->k.nl, XMESH_CMD_NEIGH_GET, d->ifindex, NULL, &l,
		       &err) && l.n)
		v = malloc(l.n * sizeof(*v));
	for (i = 0; v && i < l.n; i++)
		if (l.v[i].type == XMESH_A_NEIGH)
			v[(*n)++] = l.v[i].neigh;
	xm_list_free(&l);
	return v;
}

static void telemetry_event(struct xmd_watch *w, uint32_t events)
{
	struct xmd_telemetry *t = (struct xmd_telemetry *)w;
	struct xmd_telemetry_counters c;
	struct xm_neigh *kn = NULL;
	struct xmd *d = t->d;
	struct nlc_error err;
	bool have_dev, have_qos = false;
	struct xm_qos qos;
	struct xm_dev dev;
	uint64_t ticks;
	size_t n_kn = 0;
	char *report;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) < 0)
		return;
	have_dev = d->k_open && !xmnl_dev_get(&d->k.nl, d->ifindex, NULL,
					      &dev, &err);
	if (have_dev) {
		kn = kernel_neighs(d, &n_kn);
		/* A module without QoS: no qos section. */
		have_qos = !xmnl_qos_get(&d->k.nl, d->ifindex, NULL, &qos,
					 &err);
	}
	report = xmd_telemetry_report(d->core, have_dev ? &dev : NULL, kn,
				      n_kn, have_qos ? &qos : NULL,
				      link_bandwidth, d, (int64_t)time(NULL),
				      XMD_TELEMETRY_INTERVAL_S,
				      d->stats.policy_version);
	free(kn);
	if (report)
		xmd_telemetry_submit(t->sender, report);
	xmd_telemetry_counters(t->sender, &c);
	xmd_telemetry_stats_set(&d->stats, &c);
}

int xmd_telemetry_start(struct xmd *d)
{
	const struct xmd_config *c = &d->cfg;
	struct itimerspec its = {
		.it_value = { .tv_sec = 1 },
		.it_interval = { .tv_sec = XMD_TELEMETRY_INTERVAL_S },
	};
	char path[XMD_PATH_MAX + 32], err[256];
	uint8_t sk[XM_SECKEY_LEN];
	struct xmd_telemetry *t;
	bool loose;
	int ret;

	if (!c->controller[0] || !d->kx)
		return 0;	/* the policy sync says why */
	snprintf(path, sizeof(path), "%s/%s", c->state_dir, XMD_NODE_KEY_FILE);
	ret = xm_seckey_read(path, sk, NULL, &loose, true);
	if (ret) {
		xmd_err("telemetry: node key %s: %s", path, strerror(-ret));
		return -1;
	}
	t = calloc(1, sizeof(*t));
	if (t)
		t->sender = xmd_telemetry_sender_new(c->controller,
						     xm_kx_cert(d->kx), sk,
						     err, sizeof(err));
	sodium_memzero(sk, sizeof(sk));
	if (!t || !t->sender) {
		xmd_err("telemetry: %s", t ? err : "out of memory");
		free(t);
		return -1;
	}
	t->d = d;
	t->w.fn = telemetry_event;
	t->w.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->w.fd < 0 || timerfd_settime(t->w.fd, 0, &its, NULL) ||
	    xmd_watch_add(d->epfd, &t->w, EPOLLIN)) {
		xmd_err("telemetry: timer: %s", strerror(errno));
		if (t->w.fd >= 0)
			close(t->w.fd);
		xmd_telemetry_sender_free(t->sender);
		free(t);
		return -1;
	}
	d->telemetry = t;
	xmd_info("telemetry to controller %s every %d s", c->controller,
		 XMD_TELEMETRY_INTERVAL_S);
	return 0;
}

void xmd_telemetry_event(struct xmd *d, enum xmd_log_level level,
			 const char *text)
{
	if (d->telemetry && level <= XMD_LOG_INFO)
		xmd_telemetry_sender_event(d->telemetry->sender,
					   (int64_t)time(NULL), level, text);
}

void xmd_telemetry_stop(struct xmd *d)
{
	struct xmd_telemetry *t = d->telemetry;

	if (!t)
		return;
	if (d->epfd >= 0)
		xmd_watch_del(d->epfd, &t->w);
	close(t->w.fd);
	xmd_telemetry_sender_free(t->sender);
	free(t);
	d->telemetry = NULL;
}
