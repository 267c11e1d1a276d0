// SPDX-License-Identifier: GPL-2.0
/* Telemetry's pure part (telemetry.h) and its store (samples, events,
 * downsampling) on an in-memory SQLite store. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_impl.h"
#include "stores.h"
#include "tap.h"
#include "telemetry.h"

/* A report of node with links "peer:state:loss_ppm,..." and routes
 * "dest:via:metric,...". */
static char *report_text(int64_t time, uint64_t tx_bytes, uint64_t drops,
			 const char *links, const char *routes)
{
	static char buf[8192];
	char one[256];
	const char *p;
	size_t n;
	int first;

	n = (size_t)snprintf(buf, sizeof(buf),
		"{\"time\": %lld, \"interval\": 5, \"name\": \"r1\","
		" \"zone\": \"web\", \"roles\": [\"gpu\"],"
		" \"caps\": {\"cores\": 4, \"load\": 0.5},"
		" \"policy_version\": 3, \"counters\": {\"tx_bytes\": %llu,"
		" \"rx_bytes\": 10, \"drops\": {\"no_route\": %llu}},"
		" \"links\": [", (long long)time,
		(unsigned long long)tx_bytes, (unsigned long long)drops);
	for (p = links, first = 1; p && *p; first = 0) {
		unsigned int peer, loss;
		char state[8];
		int used = 0;

		if (sscanf(p, "%u:%7[a-z]:%u%n", &peer, state, &loss,
			   &used) != 3)
			break;
		snprintf(one, sizeof(one), "%s{\"peer\": %u, \"ifname\":"
			 " \"eth1\", \"state\": \"%s\", \"rtt_us\": 850,"
			 " \"loss_ppm\": %u, \"metric\": 120,"
			 " \"bandwidth_kbps\": 1000}", first ? "" : ", ",
			 peer, state, loss);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", one);
		p += used;
		if (*p == ',')
			p++;
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "], \"routes\": [");
	for (p = routes, first = 1; p && *p; first = 0) {
		unsigned int dest, via, metric;
		int used = 0;

		if (sscanf(p, "%u:%u:%u%n", &dest, &via, &metric, &used) != 3)
			break;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "%s{\"node\": %u, \"via\": %u,"
				      " \"metric\": %u, \"hops\": 1}",
				      first ? "" : ", ", dest, via, metric);
		p += used;
		if (*p == ',')
			p++;
	}
	snprintf(buf + n, sizeof(buf) - n, "]}");
	return buf;
}

static void refused(const char *text, const char *location,
		    const char *name)
{
	struct xm_tele_report r;
	struct xm_policy_error err;
	int rc = xm_tele_report_parse(text, strlen(text), &r, &err);

	ok(rc == -1 && !strcmp(err.location, location), "refused: %s (%s:"
	   " %s)", name, err.location, rc ? err.reason : "taken");
	xm_tele_report_free(&r);
}

static void test_parse(void)
{
	const char *good = report_text(100, 1000, 2, "12:up:0,13:down:5",
				       "12:12:120,13:12:240,13:13:300");
	struct xm_tele_report r;
	struct xm_policy_error err;
	char *big;
	size_t i, n;

	ok(!xm_tele_report_parse(good, strlen(good), &r, &err),
	   "a report is taken");
	ok(r.time == 100 && r.interval == 5 && !strcmp(r.name, "r1") &&
	   !strcmp(r.zone, "web") && r.n_roles == 1 &&
	   !strcmp(r.roles[0], "gpu") && r.caps.have_cores &&
	   r.caps.cores == 4 && r.caps.have_load && r.caps.load == 0.5 &&
	   !r.caps.have_mem_free && r.policy_version == 3,
	   "its node members");
	ok(r.n_links == 2 && r.links[0].peer == 12 && r.links[0].up &&
	   !r.links[1].up && r.links[1].loss_ppm == 5 &&
	   r.links[0].rtt_us == 850 && !strcmp(r.links[0].ifname, "eth1"),
	   "its links");
	ok(r.counters.tx_bytes == 1000 && r.counters.n_drops == 1 &&
	   !strcmp(r.counters.drops[0].reason, "no_route") &&
	   r.counters.drops[0].count == 2, "its counters");
	ok(r.n_routes == 3 && r.routes[0].node == 12 &&
	   r.routes[1].node == 13 && r.routes[1].metric == 240 &&
	   r.routes[2].metric == 300, "its routes, sorted by destination"
	   " and metric");
	xm_tele_report_free(&r);

	refused("{\"time\": 1,", "line 1 column 12", "malformed JSON");
	refused("[]", "body", "not an object");
	refused("{\"time\": \"1\", \"links\": [], \"routes\": [],"
		" \"counters\": {}}", "/time", "a time that is a string");
	refused("{\"links\": [], \"routes\": [], \"counters\": {}}", "/time",
		"no time");
	refused("{\"time\": 1, \"links\": [], \"routes\": [], \"counters\":"
		" {}, \"extra\": 1}", "body", "an unknown member");
	refused("{\"time\": 1, \"routes\": [], \"counters\": {}}", "/links",
		"no links");
	refused("{\"time\": 1, \"links\": {}, \"routes\": [], \"counters\":"
		" {}}", "/links", "links that are no array");
	refused("{\"time\": 1, \"links\": [{\"peer\": 0, \"state\": \"up\"}],"
		" \"routes\": [], \"counters\": {}}", "/links/0", "peer 0");
	refused("{\"time\": 1, \"links\": [{\"peer\": 4294967296, \"state\":"
		" \"up\"}], \"routes\": [], \"counters\": {}}", "/links/0",
		"a peer above 32 bits");
	refused("{\"time\": 1, \"links\": [{\"peer\": 2, \"state\": \"on\"}],"
		" \"routes\": [], \"counters\": {}}", "/links/0",
		"an unknown link state");
	refused("{\"time\": 1, \"links\": [{\"peer\": 2, \"state\": \"up\","
		" \"loss_ppm\": 1000001}], \"routes\": [], \"counters\": {}}",
		"/links/0", "a loss above 100 %");
	refused("{\"time\": 1, \"links\": [{\"peer\": 2, \"state\": \"up\"},"
		" {\"peer\": 2, \"state\": \"up\"}], \"routes\": [],"
		" \"counters\": {}}", "/links", "a peer twice");
	refused("{\"time\": 1, \"links\": [], \"routes\": [{\"node\": 2,"
		" \"via\": 3}], \"counters\": {}}", "/routes/0",
		"a route without metric");
	refused("{\"time\": 1, \"links\": [], \"routes\": [], \"counters\":"
		" {\"tx_bytes\": -1}}", "/counters", "a negative counter");
	refused("{\"time\": 1, \"links\": [], \"routes\": [], \"counters\":"
		" {\"drops\": {\"a b\": 1}}}", "/counters/drops",
		"a drop reason with a blank");
	refused("{\"time\": 1, \"name\": \"r\\\"1\", \"links\": [],"
		" \"routes\": [], \"counters\": {}}", "/name",
		"a name with a quote (it goes into labels)");
	refused("{\"time\": 1, \"interval\": 0, \"links\": [], \"routes\":"
		" [], \"counters\": {}}", "/interval", "interval 0");
	refused("{\"time\": 1, \"caps\": {\"load\": \"high\"}, \"links\": [],"
		" \"routes\": [], \"counters\": {}}", "/caps/load",
		"a load that is no number");
	refused("{\"time\": 1, \"links\": [], \"routes\": [], \"counters\":"
		" {}, \"roles\": [[[[[[[1]]]]]]]}", "line 1 column 70",
		"too deep");

	/* One link too many. */
	n = 32 + (XM_TELE_LINKS_MAX + 1) * 32;
	big = malloc(n);
	strcpy(big, "{\"time\": 1, \"routes\": [], \"counters\": {},"
	       " \"links\": [");
	for (i = 0; i <= XM_TELE_LINKS_MAX; i++)
		sprintf(big + strlen(big), "%s{\"peer\": %zu, \"state\":"
			" \"up\"}", i ? "," : "", i + 1);
	strcat(big, "]}");
	refused(big, "/links", "more than 1024 links");
	free(big);
}

static void test_state(void)
{
	struct xm_tele *t = xm_tele_new();
	struct xm_tele_events ev = { 0 };
	struct xm_tele_report r;
	struct xm_policy_error err;
	const struct xm_tele_node *x;
	struct xm_tele_sample s[16];
	const char *text;
	size_t n;

	ok(xm_tele_rate(100, 300, 2) == 100, "a rate");
	ok(xm_tele_rate(300, 50, 1) == 50, "a counter that went back counts"
	   " from 0");
	ok(xm_tele_rate(1, 2, 0) == 0, "no time, no rate");
	ok(xm_tele_health(100, 5, 115) == XM_TELE_UP &&
	   xm_tele_health(100, 5, 116) == XM_TELE_STALE &&
	   xm_tele_health(100, 5, 150) == XM_TELE_STALE &&
	   xm_tele_health(100, 5, 151) == XM_TELE_DOWN,
	   "health: up within 3 intervals, stale within 10, down after");

	text = report_text(1000, 1000, 0, "12:up:0,13:up:0", "");
	xm_tele_report_parse(text, strlen(text), &r, &err);
	ok(!xm_tele_ingest(t, 11, &r, 5000, &ev) && ev.n == 1 &&
	   ev.ev[0].kind == XM_TELE_EV_NODE_UP && ev.ev[0].node == 11,
	   "a new node: node-up");
	x = xm_tele_find(t, 11);
	ok(x && !x->have_rates && xm_tele_samples(x, s, 16) == 5,
	   "no rates from one report: load and two links' RTT and loss");
	ev.n = 0;

	/* 10 s later: 2000 bytes more, link 12 down, 13 lossy. */
	text = report_text(1010, 3000, 30, "12:down:0,13:up:20000", "");
	xm_tele_report_parse(text, strlen(text), &r, &err);
	ok(!xm_tele_ingest(t, 11, &r, 5010, &ev) && ev.n == 2 &&
	   ev.ev[0].kind == XM_TELE_EV_LINK_DOWN && ev.ev[0].peer == 12 &&
	   ev.ev[1].kind == XM_TELE_EV_LINK_LOSS && ev.ev[1].peer == 13,
	   "link-down and link-loss above 1 %%");
	x = xm_tele_find(t, 11);
	ok(x->have_rates && x->tx_bps == 1600 && x->drops_per_s == 3,
	   "rates from the counters of the report before (%g bit/s, %g"
	   " drops/s)", x->tx_bps, x->drops_per_s);
	n = xm_tele_samples(x, s, 16);
	ok(n == 6 && s[0].metric == XM_TELE_M_TX_BPS && s[0].value == 1600 &&
	   s[4].peer == 13 && s[5].metric == XM_TELE_M_LOSS_PPM &&
	   s[5].value == 20000, "samples: rates, load, the link up");
	ev.n = 0;

	text = report_text(1015, 3000, 30, "12:up:0", "");
	xm_tele_report_parse(text, strlen(text), &r, &err);
	ok(!xm_tele_ingest(t, 11, &r, 5015, &ev) && ev.n == 2 &&
	   ev.ev[0].kind == XM_TELE_EV_LINK_UP && ev.ev[0].peer == 12 &&
	   ev.ev[1].kind == XM_TELE_EV_LINK_DOWN && ev.ev[1].peer == 13,
	   "link-up, and a link no longer reported is down");
	ev.n = 0;

	ok(!xm_tele_tick(t, 5015 + 50, &ev) && ev.n == 0,
	   "10 intervals without a report: stale, no event");
	ok(!xm_tele_tick(t, 5015 + 51, &ev) && ev.n == 1 &&
	   ev.ev[0].kind == XM_TELE_EV_NODE_DOWN && ev.ev[0].node == 11,
	   "then node-down");
	ok(!xm_tele_tick(t, 5015 + 100, &ev) && ev.n == 1,
	   "once");
	ev.n = 0;
	text = report_text(1100, 3000, 30, "12:up:0", "");
	xm_tele_report_parse(text, strlen(text), &r, &err);
	ok(!xm_tele_ingest(t, 11, &r, 5200, &ev) && ev.n == 1 &&
	   ev.ev[0].kind == XM_TELE_EV_NODE_UP, "and node-up when it"
	   " reports again");
	xm_tele_events_free(&ev);
	xm_tele_free(t);
}

/* A report's link events are capped: the first XM_TELE_LINK_EVENTS_MAX
 * made, the others counted. */
static void test_link_events_capped(void)
{
	struct xm_tele *t = xm_tele_new();
	struct xm_tele_events ev = { 0 };
	struct xm_tele_report r;
	struct xm_policy_error err;
	char links[1024] = "";
	const char *text;
	uint32_t i;
	size_t n, kept = 0;

	for (i = 1; i <= 40; i++)
		snprintf(links + strlen(links), sizeof(links) - strlen(links),
			 "%s%u:up:0", i > 1 ? "," : "", i);
	text = report_text(1000, 0, 0, links, "");
	xm_tele_report_parse(text, strlen(text), &r, &err);
	xm_tele_ingest(t, 11, &r, 5000, &ev);
	xm_tele_report_free(&r);
	ev.n = 0;
	/* Links 1 to 40 gone (40 link-down), 41 to 80 new and lossy (40
	 * link-loss): 80 events, of 64. */
	links[0] = '\0';
	for (i = 41; i <= 80; i++)
		snprintf(links + strlen(links), sizeof(links) - strlen(links),
			 "%s%u:up:20000", i > 41 ? "," : "", i);
	text = report_text(1005, 0, 0, links, "");
	xm_tele_report_parse(text, strlen(text), &r, &err);
	ok(!xm_tele_ingest(t, 11, &r, 5005, &ev), "80 link events: taken");
	for (n = 0; n < ev.n; n++)
		kept += ev.ev[n].kind == XM_TELE_EV_LINK_LOSS ||
			ev.ev[n].kind == XM_TELE_EV_LINK_DOWN;
	ok(ev.n == XM_TELE_LINK_EVENTS_MAX && kept == ev.n &&
	   ev.dropped == 80 - XM_TELE_LINK_EVENTS_MAX,
	   "80 link events of one report: %d made, %d counted as dropped"
	   " (%zu, %zu)", XM_TELE_LINK_EVENTS_MAX,
	   80 - XM_TELE_LINK_EVENTS_MAX, ev.n, ev.dropped);
	ok(ev.ev[0].kind == XM_TELE_EV_LINK_LOSS && ev.ev[0].peer == 41 &&
	   xm_tele_find(t, 11)->r.n_links == 40,
	   "the first ones made, in order; the report taken whole");
	xm_tele_report_free(&r);
	xm_tele_events_free(&ev);
	xm_tele_free(t);
}

/* A report with the agent's own events ("events", "events_lost"). */
static const char *with_events(const char *events)
{
	static char buf[8192 + 2048];

	snprintf(buf, sizeof(buf), "{%s, %s", events,
		 report_text(1000, 0, 0, "12:up:0", "") + 1);
	return buf;
}

static void test_agent_events(void)
{
	struct xm_tele *t = xm_tele_new();
	struct xm_tele_events ev = { 0 };
	struct xm_tele_report r;
	struct xm_policy_error err;
	const char *text = with_events(
		"\"events\": [{\"time\": 4990, \"level\": \"warn\","
		" \"text\": \"link eth1: carrier down\"}, {\"time\": 1,"
		" \"level\": \"info\", \"text\": \"neighbor 12 up\"}],"
		" \"events_lost\": 3");
	char many[64 * 64 + 64], longer[200];
	size_t i;

	ok(!xm_tele_report_parse(text, strlen(text), &r, &err) &&
	   r.n_events == 2 && r.events_lost == 3 &&
	   !strcmp(r.events[0].level, "warn") && r.events[1].time == 1,
	   "a report with the agent's events is taken");
	ok(!xm_tele_ingest(t, 11, &r, 5000, &ev), "and ingested");
	ok(ev.n == 3 && ev.ev[0].kind == XM_TELE_EV_NODE_UP &&
	   ev.ev[1].kind == XM_TELE_EV_AGENT && ev.ev[1].node == 11 &&
	   !ev.ev[1].peer &&
	   !strcmp(ev.ev[1].detail, "warn: link eth1: carrier down") &&
	   !strcmp(ev.ev[2].detail, "info: neighbor 12 up"),
	   "its events made, in order, kind agent, \"level: text\"");
	ok(ev.ev[1].time == 4990 && ev.ev[2].time == 5000,
	   "at their own time when near the controller's, else at its");
	ok(ev.agent_lost == 3, "the events it lost counted");
	ok(!xm_tele_find(t, 11)->r.events, "the events not kept with the"
	   " node");
	is_str(xm_tele_event_name(XM_TELE_EV_AGENT), "agent", "its name");
	xm_tele_report_free(&r);
	xm_tele_events_free(&ev);
	xm_tele_free(t);

	refused(with_events("\"events\": {}"), "/events",
		"events that are no array");
	refused(with_events("\"events\": [{\"time\": 1, \"level\":"
			    " \"debug\", \"text\": \"x\"}]"), "/events/0",
		"an event at an unknown level");
	refused(with_events("\"events\": [{\"time\": 1, \"level\":"
			    " \"info\", \"text\": \"x\"}, {\"time\": 1,"
			    " \"level\": \"info\", \"text\": \"a\\u0001\"}]"),
		"/events/1", "an event text with a control character");
	refused(with_events("\"events\": [{\"time\": 1, \"level\":"
			    " \"info\", \"text\": \"\"}]"), "/events/0",
		"an empty event text");
	refused(with_events("\"events\": [{\"time\": 1, \"level\":"
			    " \"info\", \"text\": \"x\", \"node\": 2}]"),
		"/events/0", "an event with an unknown member");
	refused(with_events("\"events\": [{\"level\": \"info\","
			    " \"text\": \"x\"}]"), "/events/0",
		"an event without time");
	refused(with_events("\"events_lost\": -1"), "/events_lost",
		"a negative events_lost");
	memset(longer, 'x', sizeof(longer));
	snprintf(many, sizeof(many), "\"events\": [{\"time\": 1, \"level\":"
		 " \"info\", \"text\": \"%.*s\"}]", XM_TELE_AGENT_TEXT_MAX,
		 longer);
	refused(with_events(many), "/events/0", "an event text of 120"
		" characters");
	strcpy(many, "\"events\": [");
	for (i = 0; i <= XM_TELE_AGENT_EVENTS_MAX; i++)
		sprintf(many + strlen(many), "%s{\"time\": 1, \"level\":"
			" \"info\", \"text\": \"x\"}", i ? "," : "");
	strcat(many, "]");
	refused(with_events(many), "/events", "more than 64 events");
}

static void ingest(struct xm_tele *t, uint32_t node, const char *routes,
		   const char *links)
{
	struct xm_tele_events ev = { 0 };
	struct xm_tele_report r;
	struct xm_policy_error err;
	const char *text = report_text(1, 0, 0, links, routes);

	if (xm_tele_report_parse(text, strlen(text), &r, &err))
		printf("# %s: %s\n", err.location, err.reason);
	xm_tele_ingest(t, node, &r, 1, &ev);
	xm_tele_events_free(&ev);
}

static void test_path(void)
{
	struct xm_tele *t = xm_tele_new();
	struct xm_tele_hop h[8];
	char why[128];
	size_t n;

	/* 1 - 2 - 3 - 4, and 1 - 5 - 4 dearer. */
	ingest(t, 1, "4:5:900,4:2:360,3:2:240", "2:up:0,5:up:0");
	ingest(t, 2, "4:3:240,1:1:120", "1:up:0,3:up:0");
	ingest(t, 3, "4:4:120,1:2:240", "2:up:0,4:up:0");
	ok(xm_tele_path(t, 1, 4, h, 8, &n, why, sizeof(why)) && n == 3 &&
	   h[0].node == 1 && h[0].via == 2 && h[0].metric == 360 &&
	   h[0].link_metric == 120 && h[1].node == 2 && h[1].via == 3 &&
	   h[2].node == 3 && h[2].via == 4, "the path follows each node's"
	   " cheapest route");
	ok(xm_tele_path(t, 1, 1, h, 8, &n, why, sizeof(why)) && n == 0,
	   "to itself: no hop");
	ok(!xm_tele_path(t, 4, 1, h, 8, &n, why, sizeof(why)) && n == 0 &&
	   strstr(why, "node 4 has not reported"), "from a node that has"
	   " not reported: %s", why);
	ok(!xm_tele_path(t, 1, 9, h, 8, &n, why, sizeof(why)) &&
	   strstr(why, "node 1 has no route to 9"), "no route: %s", why);
	ok(!xm_tele_path(t, 1, 4, h, 2, &n, why, sizeof(why)) && n == 2,
	   "more hops than room: %s", why);
	/* 3 now sends 4's traffic back to 2. */
	ingest(t, 3, "4:2:120", "2:up:0");
	ok(!xm_tele_path(t, 1, 4, h, 8, &n, why, sizeof(why)) &&
	   strstr(why, "loop"), "a loop is found: %s", why);
	xm_tele_free(t);
}

/* Node's report without routes, "routes_unchanged": true. */
static int ingest_unchanged(struct xm_tele *t, uint32_t node)
{
	const char *text = "{\"time\": 2, \"links\": [], \"counters\": {},"
			   " \"routes_unchanged\": true}";
	struct xm_tele_events ev = { 0 };
	struct xm_tele_report r;
	struct xm_policy_error err;
	int rc = xm_tele_report_parse(text, strlen(text), &r, &err);

	if (!rc)
		rc = xm_tele_ingest(t, node, &r, 2, &ev);
	xm_tele_report_free(&r);
	xm_tele_events_free(&ev);
	return rc;
}

static void test_routes_unchanged(void)
{
	struct xm_tele *t = xm_tele_new();
	const struct xm_tele_node *x;

	refused("{\"time\": 1, \"links\": [], \"counters\": {},"
		" \"routes_unchanged\": false}", "/routes_unchanged",
		"expected true");
	refused("{\"time\": 1, \"links\": [], \"counters\": {},"
		" \"routes_unchanged\": 1}", "/routes_unchanged",
		"expected true");
	refused("{\"time\": 1, \"links\": [], \"counters\": {},"
		" \"routes\": [], \"routes_unchanged\": true}",
		"/routes_unchanged", "not with routes");
	ok(!xm_tele_routes_known(t, 1), "no table before a report");
	ok(!ingest_unchanged(t, 1) && !xm_tele_routes_known(t, 1) &&
	   (x = xm_tele_find(t, 1)) && x->r.n_routes == 0,
	   "unchanged from a table not kept: taken, an empty table, still"
	   " not known");
	ingest(t, 1, "4:5:900,3:2:240", "2:up:0,5:up:0");
	ok(xm_tele_routes_known(t, 1), "known from a report with routes");
	ok(!ingest_unchanged(t, 1) && xm_tele_routes_known(t, 1) &&
	   (x = xm_tele_find(t, 1)) && x->r.n_routes == 2 &&
	   x->r.time == 2 && xm_tele_route(x, 4) &&
	   xm_tele_route(x, 4)->via == 5,
	   "unchanged: the report taken, the table kept");
	ingest(t, 1, "", "2:up:0,5:up:0");
	ok((x = xm_tele_find(t, 1)) && x->r.n_routes == 0 &&
	   xm_tele_routes_known(t, 1), "an empty table is a table");
	xm_tele_free(t);
}

static void test_retention(void)
{
	struct xm_tele_retention r = { 0 };
	int64_t until = 0;

	xm_tele_retention_default(&r);
	ok(r.raw_s == 3600 && r.minute_s == 7 * 86400 &&
	   r.hour_s == 90 * 86400, "retention: 1 h, 7 days, 90 days");
	ok(xm_tele_series_tier(&r, 100000 - 3600, 100000) == 0 &&
	   xm_tele_series_tier(&r, 100000 - 3601, 100000) == 1 &&
	   xm_tele_series_tier(&r, 1000000 - 8 * 86400, 1000000) == 2,
	   "the finest tier that reaches back");
	ok(!xm_tele_downsample_due(&r, 0, 10000, 13600, &until),
	   "raw samples younger than an hour stay");
	ok(xm_tele_downsample_due(&r, 0, 10000, 13700, &until) &&
	   until == 10080, "older: whole minutes up to the cutoff (%lld)",
	   (long long)until);
	ok(xm_tele_downsample_due(&r, 0, 10000, 20000, &until) &&
	   until == 10560, "bounded: at most 10 minutes a run (%lld)",
	   (long long)until);
	ok(xm_tele_downsample_due(&r, 1, 0, 7 * 86400 + 7200, &until) &&
	   until == 3600, "minutes into whole hours (%lld)",
	   (long long)until);
	ok(xm_tele_downsample_due(&r, 2, 0, 90 * 86400 + 100, &until) &&
	   until == 100, "hours past 90 days are dropped (%lld)",
	   (long long)until);
}

struct pts {
	size_t n;
	int64_t t[8];
	double v[8];
};

static int pts_cb(void *arg, int64_t t, double v)
{
	struct pts *p = arg;

	if (p->n < 8) {
		p->t[p->n] = t;
		p->v[p->n] = v;
	}
	p->n++;
	return 0;
}

static int ev_cb(void *arg, int64_t id, const struct xm_tele_event *e)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%lld %s %u %u %s;",
		 (long long)id, xm_tele_event_name(e->kind), e->node, e->peer,
		 e->detail);
	return 0;
}

static void test_store(void)
{
	struct xm_tele_retention ret = { 0 };
	struct xm_tele_sample s = { 11, 12, XM_TELE_M_RTT_US, 0, 0 };
	struct xm_tele_event e = { .time = 5, .kind = XM_TELE_EV_LINK_DOWN,
				   .node = 11, .peer = 12 };
	char err[256], evs[256] = "", name[256];
	struct xm_store *st = xm_store_open(test_store_name(name, sizeof(name),
							    NULL, ":memory:"),
					    err, sizeof(err));
	struct pts p = { 0 };
	int64_t id = 0, t;

	xm_tele_retention_default(&ret);
	if (!ok(st != NULL, "an in-memory store"))
		return;
	/* 0..119 s: a sample each second of value t. */
	for (t = 0; t < 120; t++) {
		s.value = (double)t;
		xm_store_samples_add(st, t, &s, 1);
	}
	xm_store_series(st, 0, 11, 12, XM_TELE_M_RTT_US, 10, 12, 100,
			pts_cb, &p);
	ok(p.n == 3 && p.t[0] == 10 && p.v[2] == 12, "a raw series");
	ok(xm_store_downsample(st, &ret, 3600 + 60) == 60 &&
	   xm_store_sample_count(st, 0) == 60 &&
	   xm_store_sample_count(st, 1) == 1, "an hour on, the first minute"
	   " is averaged into tier 1");
	memset(&p, 0, sizeof(p));
	xm_store_series(st, 1, 11, 12, XM_TELE_M_RTT_US, 0, 10000, 100,
			pts_cb, &p);
	ok(p.n == 1 && p.t[0] == 0 && p.v[0] == 29.5, "its average (%g)",
	   p.v[0]);
	ok(xm_store_downsample(st, &ret, 3600 + 60) == 0,
	   "nothing more due");
	/* A report sent again (its answer lost): its samples stored once,
	 * and a batch with a new sample among old ones keeps the new one. */
	{
		struct xm_tele_sample two[2] = { s, s };
		long raw = xm_store_sample_count(st, 0);

		two[0].time = 100;
		two[1].time = 200;
		ok(!xm_store_samples_add(st, 0, &two[0], 1) &&
		   xm_store_sample_count(st, 0) == raw,
		   "a raw sample received twice: stored once");
		ok(!xm_store_samples_add(st, 0, two, 2) &&
		   xm_store_sample_count(st, 0) == raw + 1,
		   "a batch of an old and a new sample: the new one stored");
	}
	ok(!xm_store_event_add(st, &e, &id) && id == 1, "an event");
	e.kind = XM_TELE_EV_POLICY;
	snprintf(e.detail, sizeof(e.detail), "version 2");
	xm_store_event_add(st, &e, &id);
	xm_store_event_list(st, 0, 10, ev_cb, evs);
	is_str(evs, "1 link-down 11 12 ;2 policy 11 12 version 2;",
	       "events, oldest first");
	evs[0] = '\0';
	xm_store_event_list(st, 1, 10, ev_cb, evs);
	is_str(evs, "2 policy 11 12 version 2;", "after an id");
	ok(xm_store_event_last(st) == 2, "the newest event's id");
	{
		/* A report's events: in one transaction, the last id. */
		struct xm_tele_event three[3] = { e, e, e };

		id = 0;
		three[2].kind = XM_TELE_EV_LINK_UP;
		ok(!xm_store_events_add(st, three, 3, &id) && id == 5 &&
		   xm_store_event_last(st) == 5,
		   "three events at once: the last one's id");
		evs[0] = '\0';
		xm_store_event_list(st, 2, 10, ev_cb, evs);
		is_str(evs, "3 policy 11 12 version 2;4 policy 11 12 version 2;"
		       "5 link-up 11 12 version 2;", "all three, in order");
		ok(!xm_store_events_add(st, three, 0, &id) && id == 5,
		   "none: nothing stored, the id untouched");
	}
	ok(xm_store_event_kind("link-down") == XM_TELE_EV_LINK_DOWN &&
	   xm_store_event_kind("agent") == XM_TELE_EV_AGENT,
	   "stored kinds read back by name");
	ok(xm_store_event_kind("a-newer-kind") == XM_TELE_EV_UNKNOWN &&
	   xm_store_event_kind(NULL) == XM_TELE_EV_UNKNOWN &&
	   !strcmp(xm_tele_event_name(XM_TELE_EV_UNKNOWN), "unknown"),
	   "a kind a newer controller stored: served as \"unknown\"");
	xm_store_close(st);
}

/* A report of two links with their own counters (link 12: tx12 bytes
 * sent; link 13: tx13), or without (counters false: an older agent),
 * the node having sent node_tx, and qos members q (NULL: none). */
static char *counters_report(int64_t time, uint64_t node_tx, bool counters,
			     uint64_t tx12, uint64_t tx13, const char *q)
{
	static char buf[2048];
	char c12[160] = "", c13[160] = "";

	if (counters) {
		snprintf(c12, sizeof(c12), ", \"tx_packets\": 1, \"tx_bytes\":"
			 " %llu, \"rx_packets\": 2, \"rx_bytes\": 500",
			 (unsigned long long)tx12);
		snprintf(c13, sizeof(c13), ", \"tx_packets\": 3, \"tx_bytes\":"
			 " %llu, \"rx_packets\": 4, \"rx_bytes\": 600",
			 (unsigned long long)tx13);
	}
	snprintf(buf, sizeof(buf), "{\"time\": %lld, \"counters\":"
		 " {\"tx_bytes\": %llu}, \"links\": [{\"peer\": 12, \"state\":"
		 " \"up\", \"bandwidth_kbps\": 1000%s}, {\"peer\": 13,"
		 " \"state\": \"up\", \"bandwidth_kbps\": 1000%s}],%s%s"
		 " \"routes\": []}", (long long)time,
		 (unsigned long long)node_tx, c12, c13, q ? " \"qos\": " : "",
		 q ? q : "");
	return buf;
}

/* Each link's own counters and rate, the QoS classes; an older agent's
 * links fall back to the node's rate; malformed ones refused. */
static void test_link_counters(void)
{
	static const char qos[] = "[{\"class\": \"bulk\", \"packets\": 10,"
		" \"bytes\": 1500, \"drops\": 0}, {\"class\": \"realtime\","
		" \"packets\": 20, \"bytes\": 2600, \"drops\": 4,"
		" \"rate\": 125000}],";
	struct xm_tele *t = xm_tele_new();
	struct xm_tele_events ev = { 0 };
	struct xm_policy_error err;
	struct xm_tele_report r;
	const struct xm_tele_node *x;
	double bps, util;
	bool own = true;
	char *text;
	int rc;

	text = counters_report(1000, 0, true, 1000, 1000, qos);
	rc = xm_tele_report_parse(text, strlen(text), &r, &err);
	ok(!rc && r.n_links == 2 && r.links[0].have_counters &&
	   r.links[0].tx_bytes == 1000 && r.links[0].rx_bytes == 500 &&
	   r.links[1].tx_packets == 3 && r.links[1].rx_packets == 4,
	   "a report's links with their own counters (%s)",
	   rc ? err.reason : "taken");
	ok(!rc && r.have_qos && r.n_qos == 2 &&
	   !strcmp(r.qos[0].name, "bulk") && r.qos[0].bytes == 1500 &&
	   !r.qos[0].rate && !strcmp(r.qos[1].name, "realtime") &&
	   r.qos[1].packets == 20 && r.qos[1].drops == 4 &&
	   r.qos[1].rate == 125000, "its QoS classes");
	xm_tele_ingest(t, 11, &r, 5000, &ev);
	x = xm_tele_find(t, 11);
	ok(x && !xm_tele_link_rate(x, &x->r.links[0], &bps, &util, &own),
	   "one report: no link rate yet");
	/* 10 s later: 100000 bytes more over 12, 1000 over 13; the node
	 * sent both (101000). */
	text = counters_report(1010, 101000, true, 101000, 2000, qos);
	xm_tele_report_parse(text, strlen(text), &r, &err);
	xm_tele_ingest(t, 11, &r, 5010, &ev);
	x = xm_tele_find(t, 11);
	ok(x && xm_tele_link_rate(x, &x->r.links[0], &bps, &util, &own) &&
	   own && bps == 80000 && util == 0.08,
	   "link 12: its own rate over its bandwidth (%g bit/s, %g)", bps,
	   util);
	ok(x && xm_tele_link_rate(x, &x->r.links[1], &bps, &util, &own) &&
	   own && bps == 800 && util == 0.0008 && x->r.links[1].have_rates &&
	   x->r.links[1].rx_bps == 0,
	   "link 13: its own, not the node's (%g bit/s, %g)", bps, util);
	/* An older agent: no counters per link, the node's rate. */
	text = counters_report(1020, 201000, false, 0, 0, NULL);
	xm_tele_report_parse(text, strlen(text), &r, &err);
	xm_tele_ingest(t, 11, &r, 5020, &ev);
	x = xm_tele_find(t, 11);
	ok(x && !x->r.have_qos &&
	   xm_tele_link_rate(x, &x->r.links[1], &bps, &util, &own) && !own &&
	   bps == 80000 && util == 0.08,
	   "an agent without link counters: the node's rate (%g bit/s)", bps);
	xm_tele_events_free(&ev);
	xm_tele_free(t);

	refused(counters_report(1, 0, true, 1, 1, "{},"), "/qos",
		"qos that is no array");
	refused(counters_report(1, 0, true, 1, 1, "[1],"), "/qos/0",
		"a class that is no object");
	refused(counters_report(1, 0, true, 1, 1, "[{\"class\": \"bulk\","
				" \"packets\": 1, \"bytes\": 1}],"), "/qos/0",
		"a class without drops");
	refused(counters_report(1, 0, true, 1, 1, "[{\"class\": \"bulk\","
				" \"packets\": 1, \"bytes\": 1, \"drops\": 0,"
				" \"colour\": 1}],"), "/qos/0",
		"a class with an unknown member");
	refused(counters_report(1, 0, true, 1, 1, "[{\"class\": \"a b\","
				" \"packets\": 1, \"bytes\": 1, \"drops\":"
				" 0}],"), "/qos/0", "a class name with a blank");
	refused(counters_report(1, 0, true, 1, 1, "[{\"class\": \"bulk\","
				" \"packets\": -1, \"bytes\": 1, \"drops\":"
				" 0}],"), "/qos/0", "a negative packet count");
	refused(counters_report(1, 0, true, 1, 1, "[{\"class\": \"bulk\","
				" \"packets\": 1, \"bytes\": 1, \"drops\": 0},"
				" {\"class\": \"bulk\", \"packets\": 1,"
				" \"bytes\": 1, \"drops\": 0}],"), "/qos",
		"a class twice");
	{
		char many[1024] = "[";
		int i;

		for (i = 0; i <= XM_TELE_QOS_MAX; i++)
			snprintf(many + strlen(many),
				 sizeof(many) - strlen(many),
				 "%s{\"class\": \"c%d\", \"packets\": 0,"
				 " \"bytes\": 0, \"drops\": 0}", i ? ", " : "",
				 i);
		strcat(many, "],");
		refused(counters_report(1, 0, true, 1, 1, many), "/qos",
			"more than 8 classes");
	}
	refused("{\"time\": 1, \"links\": [{\"peer\": 2, \"state\": \"up\","
		" \"tx_bytes\": 5}], \"routes\": [], \"counters\": {}}",
		"/links/0", "a link with some of its counters only");
}

/* The value of node 11's sample (peer, m) in v[0..n): -1 if none. */
static double sample_of(const struct xm_tele_sample *v, size_t n,
			uint32_t peer, enum xm_tele_metric m)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].node == 11 && v[i].peer == peer && v[i].metric == m)
			return v[i].value;
	return -1;
}

/* Each link's own rates and utilization, each class's rates as series
 * (a class's number in the peer), stored and read back like the others. */
static void test_link_class_samples(void)
{
	static const char q1[] = "[{\"class\": \"bulk\", \"packets\": 10,"
		" \"bytes\": 1500, \"drops\": 0}, {\"class\": \"realtime\","
		" \"packets\": 20, \"bytes\": 2600, \"drops\": 4}, {\"class\":"
		" \"gold\", \"packets\": 1, \"bytes\": 1, \"drops\": 0}],";
	static const char q2[] = "[{\"class\": \"bulk\", \"packets\": 110,"
		" \"bytes\": 11500, \"drops\": 0}, {\"class\": \"realtime\","
		" \"packets\": 20, \"bytes\": 2600, \"drops\": 14},"
		" {\"class\": \"gold\", \"packets\": 9, \"bytes\": 9,"
		" \"drops\": 0}],";
	struct xm_tele_sample v[XM_TELE_SAMPLES_MAX];
	struct xm_tele *t = xm_tele_new();
	struct xm_tele_events ev = { 0 };
	struct xm_policy_error err;
	struct xm_tele_report r;
	const struct xm_tele_node *x;
	char err_s[256], name[256];
	struct xm_store *st;
	struct pts p = { 0 };
	enum xm_tele_metric m;
	size_t n;
	char *text;

	ok(xm_tele_class_id("bulk") == 1 && xm_tele_class_id("realtime") == 3
	   && xm_tele_class_id("network-control") == 4 &&
	   !xm_tele_class_id("gold") && !xm_tele_class_id("rt"),
	   "a class's number from its reported name, exactly");
	ok(!xm_tele_metric_parse("utilization", &m) &&
	   xm_tele_metric_per_link(m) && !xm_tele_metric_per_class(m) &&
	   !xm_tele_metric_parse("class_bps", &m) &&
	   xm_tele_metric_per_class(m) && !xm_tele_metric_per_link(m) &&
	   !strcmp(xm_tele_metric_name(XM_TELE_M_LINK_RX_BPS), "link_rx_bps"),
	   "the new metrics: a link's, a class's");
	text = counters_report(1000, 0, true, 1000, 1000, q1);
	xm_tele_report_parse(text, strlen(text), &r, &err);
	xm_tele_ingest(t, 11, &r, 5000, &ev);
	x = xm_tele_find(t, 11);
	n = xm_tele_samples(x, v, XM_TELE_SAMPLES_MAX);
	ok(n == 4 && sample_of(v, n, 12, XM_TELE_M_LINK_TX_BPS) < 0 &&
	   sample_of(v, n, 1, XM_TELE_M_CLASS_BPS) < 0,
	   "one report: RTT and loss only, no rates yet (%zu samples)", n);
	text = counters_report(1010, 101000, true, 101000, 2000, q2);
	xm_tele_report_parse(text, strlen(text), &r, &err);
	xm_tele_ingest(t, 11, &r, 5010, &ev);
	x = xm_tele_find(t, 11);
	n = xm_tele_samples(x, v, XM_TELE_SAMPLES_MAX);
	ok(sample_of(v, n, 12, XM_TELE_M_LINK_TX_BPS) == 80000 &&
	   sample_of(v, n, 12, XM_TELE_M_LINK_RX_BPS) == 0 &&
	   sample_of(v, n, 12, XM_TELE_M_UTILIZATION) == 0.08 &&
	   sample_of(v, n, 13, XM_TELE_M_LINK_TX_BPS) == 800 &&
	   sample_of(v, n, 13, XM_TELE_M_UTILIZATION) == 0.0008,
	   "each link's own rates and utilization");
	ok(sample_of(v, n, 1, XM_TELE_M_CLASS_PACKETS_PER_S) == 10 &&
	   sample_of(v, n, 1, XM_TELE_M_CLASS_BPS) == 8000 &&
	   sample_of(v, n, 1, XM_TELE_M_CLASS_DROPS_PER_S) == 0 &&
	   sample_of(v, n, 3, XM_TELE_M_CLASS_PACKETS_PER_S) == 0 &&
	   sample_of(v, n, 3, XM_TELE_M_CLASS_DROPS_PER_S) == 1,
	   "each class's rates, its number as the peer");
	/* node 3 + link 2 x 2 + own link 2 x 3 + class 2 x 3: gold has no
	 * number, no series. */
	ok(n == 19, "no series of a class without a number (%zu samples)", n);
	st = xm_store_open(test_store_name(name, sizeof(name), NULL,
					   ":memory:"), err_s, sizeof(err_s));
	if (ok(st != NULL, "a store")) {
		for (size_t i = 0; i < n; i++)
			v[i].time = 1010;
		xm_store_samples_add(st, 1010, v, n);
		xm_store_series(st, 0, 11, 3, XM_TELE_M_CLASS_DROPS_PER_S, 0,
				2000, 100, pts_cb, &p);
		ok(p.n == 1 && p.v[0] == 1, "a class's series read back");
		ok(xm_store_downsample(st, &(struct xm_tele_retention){
			1, 3600, 7200 }, 1200) == (long)n &&
		   xm_store_sample_count(st, 1) == (long)n,
		   "downsampled with the others");
		xm_store_close(st);
	}
	/* An older agent: the node's estimate is no link's series. */
	text = counters_report(1020, 201000, false, 0, 0, NULL);
	xm_tele_report_parse(text, strlen(text), &r, &err);
	xm_tele_ingest(t, 11, &r, 5020, &ev);
	n = xm_tele_samples(xm_tele_find(t, 11), v, XM_TELE_SAMPLES_MAX);
	ok(n == 7 && sample_of(v, n, 12, XM_TELE_M_UTILIZATION) < 0,
	   "no link counters: no link rate series (%zu samples)", n);
	xm_tele_events_free(&ev);
	xm_tele_free(t);
}

/* One node's reports: a burst, then one per half its interval. */
static void test_rate(void)
{
	struct xm_tele *t = xm_tele_new();
	struct xm_tele_events ev = { 0 };
	struct xm_policy_error err;
	struct xm_tele_report r;
	const char *text;
	int i, taken = 0;

	ok(xm_tele_rate_take(t, 11, 5000), "a node not known yet: taken");
	text = report_text(1000, 1000, 0, "", "");	/* interval 5 */
	xm_tele_report_parse(text, strlen(text), &r, &err);
	xm_tele_ingest(t, 11, &r, 5000, &ev);
	xm_tele_report_free(&r);
	for (i = 0; i < 100; i++)
		taken += xm_tele_rate_take(t, 11, 5000);
	is_int(taken, XM_TELE_RATE_BURST - 1, "a burst of 32 (the first"
	       " taken before it was ingested), then refused");
	ok(!xm_tele_rate_take(t, 11, 5001) && xm_tele_rate_take(t, 11, 5002) &&
	   !xm_tele_rate_take(t, 11, 5002),
	   "then one every half of its 5 s interval (2 s)");
	ok(xm_tele_rate_take(t, 12, 5002), "another node's own");
	for (i = 0, taken = 0; i < 100; i++)
		taken += xm_tele_rate_take(t, 11, 6000);
	is_int(taken, XM_TELE_RATE_BURST, "a full burst again after a while");
	/* A node none of whose reports is ingested (each fails to parse):
	 * limited all the same, one every half the default interval. */
	for (i = 0, taken = 0; i < 100; i++)
		taken += xm_tele_rate_take(t, 13, 7000);
	is_int(taken, XM_TELE_RATE_BURST, "a node never ingested: a burst of"
	       " 32, then refused");
	ok(!xm_tele_rate_take(t, 13, 7001) && xm_tele_rate_take(t, 13, 7002) &&
	   !xm_tele_rate_take(t, 13, 7002) && !xm_tele_find(t, 13),
	   "then one every 2 s (half of %d s), and still no node",
	   XM_TELE_INTERVAL);
	xm_tele_events_free(&ev);
	xm_tele_free(t);
}

int main(void)
{
	test_parse();
	test_state();
	test_link_events_capped();
	test_agent_events();
	test_rate();
	test_link_counters();
	test_link_class_samples();
	test_path();
	test_routes_unchanged();
	test_retention();
	test_store();
	return tap_done();
}
