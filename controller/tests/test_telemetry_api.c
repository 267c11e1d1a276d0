// SPDX-License-Identifier: GPL-2.0
/*
 * The telemetry API against the real server (server.h) on a loopback
 * port: agents' reports (and bad ones of every kind: malformed, wrong
 * types, unknown members, too many links, huge, unsigned, replayed),
 * the topology, a node, the path, the series, the events and their
 * stream (and its bound), node-down from missing reports on a clock the
 * test moves, /metrics per node and link.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent_auth.h"
#include "api_client.h"
#include "certs.h"
#include "json_path.h"
#include "server.h"
#include "store.h"
#include "stores.h"
#include "tap.h"
#include "telemetry.h"
#include "xmesh_http.h"

#define NODES	3	/* 7 - 8 - 9 */

static struct xm_ctl_config cfg;
static struct xm_ctl *ctl;
static uint8_t auth_sk[64], node_sk[NODES][64];
static struct xm_cert node_cert[NODES];
static char node_b64[NODES][TEST_CERT_B64_MAX];
static char tok_read[65], tok_op[65];
static char db[256], dir[64] = "/tmp/xmesh-tele.XXXXXX";
static volatile int64_t clock_offset;	/* the controller's clock ahead */
/* How old line_report() makes its reports (their own "time"). */
static int64_t report_age;

static int64_t fake_now(void)
{
	return (int64_t)time(NULL) + clock_offset;
}

#define BODY_EXPECT	(1024 * 1024)

static struct api_resp request(const char *method, const char *path,
			       const char *token, const char *body, size_t len,
			       struct curl_slist *hdrs)
{
	/* A body the server refuses on its length is not sent: it answers
	 * before "100 Continue", where sending it could meet a closed
	 * connection. */
	if (len > BODY_EXPECT)
		hdrs = curl_slist_append(hdrs, "Expect: 100-continue");
	return api_request(ctl, method, path, token, body, len, hdrs);
}

static struct api_resp get(const char *path)
{
	return request("GET", path, tok_read, NULL, 0, NULL);
}

static void refused(struct api_resp r, long status, const char *location,
		    const char *why, const char *name)
{
	bool pass = r.status == status &&
		    !strcmp(api_str(&r, "error.location"), location) &&
		    strstr(api_str(&r, "error.reason"), why);

	ok(pass, "%s: %ld", name, status);
	if (!pass)
		printf("#   got %ld %.300s\n", r.status,
		       r.body.data ? r.body.data : "");
	api_resp_free(&r);
}

static struct curl_slist *signed_headers(int i, const char *path,
					 const char *body, size_t len)
{
	return api_signed_headers(node_sk[i], node_b64[i], "POST", path, body,
				  len, fake_now());
}

#define REPORT_PATH	"/api/v1/agent/telemetry"

/* Node i's report, signed. */
static struct api_resp report_body(int i, const char *body, size_t len)
{
	return request("POST", REPORT_PATH, NULL, body, len,
		       signed_headers(i, REPORT_PATH, body, len));
}

static struct api_resp report_s(int i, const char *body)
{
	return report_body(i, body, strlen(body));
}

/* The points of a series answer (0 if it has none). */
static size_t points(struct api_resp *r)
{
	json_object *p = api_json(r, "points");

	return p ? json_object_array_length(p) : 0;
}

/* A report of node 7 + i in the line 7 - 8 - 9: link_up says whether
 * 8 - 9 is up (as 8 and 9 see it). */
static char *line_report(int i, uint64_t tx_bytes, bool link_up)
{
	static char buf[2048];
	uint32_t me = 7 + (uint32_t)i;
	char links[512] = "", routes[512] = "";
	uint32_t d;

	if (me != 7)
		snprintf(links, sizeof(links), "{\"peer\": %u, \"state\":"
			 " \"%s\", \"rtt_us\": 900, \"loss_ppm\": 0,"
			 " \"metric\": 100, \"bandwidth_kbps\": 1000}",
			 me - 1, me == 9 && !link_up ? "down" : "up");
	if (me != 9)
		snprintf(links + strlen(links), sizeof(links) - strlen(links),
			 "%s{\"peer\": %u, \"state\": \"%s\", \"rtt_us\": 800,"
			 " \"loss_ppm\": 0, \"metric\": 100,"
			 " \"bandwidth_kbps\": 1000}", *links ? ", " : "",
			 me + 1, me == 8 && !link_up ? "down" : "up");
	for (d = 7; d <= 9; d++) {
		uint32_t via = d < me ? me - 1 : me + 1;

		if (d == me || (!link_up && ((me == 8 && d == 9) ||
					     (me == 9 && d != 9) ||
					     (me == 7 && d == 9))))
			continue;
		snprintf(routes + strlen(routes),
			 sizeof(routes) - strlen(routes),
			 "%s{\"node\": %u, \"via\": %u, \"metric\": %u,"
			 " \"hops\": %u}", *routes ? ", " : "", d, via,
			 100 * (d > me ? d - me : me - d),
			 d > me ? d - me : me - d);
	}
	snprintf(buf, sizeof(buf), "{\"time\": %lld, \"interval\": 5,"
		 " \"name\": \"r%u\", \"zone\": \"web\", \"roles\": [],"
		 " \"caps\": {\"cores\": 2, \"load\": 0.25},"
		 " \"policy_version\": 0, \"links\": [%s], \"counters\":"
		 " {\"tx_bytes\": %llu, \"rx_bytes\": 0, \"drops\":"
		 " {\"no_route\": 1}}, \"routes\": [%s]}",
		 (long long)(fake_now() - report_age), me, links,
		 (unsigned long long)tx_bytes, routes);
	return buf;
}

static void setup(void)
{
	int64_t now = time(NULL);
	struct xm_store *s;
	int i;

	api_config(&cfg, dir, db, sizeof(db), auth_sk, NULL, now);
	for (i = 0; i < NODES; i++)
		test_cert(&node_cert[i], XM_CERT_NODE, (uint8_t)(3 + i),
			  (uint32_t)(7 + i), now, node_sk[i], auth_sk,
			  node_b64[i]);
	cfg.now = fake_now;
	s = api_store(db);
	api_token(s, tok_read, XM_ROLE_READ, "viewer");
	api_token(s, tok_op, XM_ROLE_OPERATOR, "ops");
	xm_store_close(s);
}

static void start(void)
{
	ctl = api_start(&cfg);
}

static void test_bad_reports(void)
{
	const char *good = line_report(0, 0, true);
	struct curl_slist *h, *again;
	struct api_resp r;
	char *big;
	size_t i, n;

	refused(report_s(0, "{\"time\": 1,"), 400, "line 1 column 12",
		"", "a malformed report");
	refused(report_s(0, "{\"time\": \"now\", \"links\": [], \"routes\":"
			 " [], \"counters\": {}}"), 400, "/time",
		"expected an integer", "a time that is a string");
	refused(report_s(0, "{\"time\": 1, \"links\": [], \"routes\": [],"
			 " \"counters\": {}, \"mood\": 1}"), 400, "body",
		"unknown member \"mood\"", "an unknown member");
	refused(report_s(0, "{\"time\": 1, \"links\": [{\"peer\": 8}],"
			 " \"routes\": [], \"counters\": {}}"), 400,
		"/links/0", "\"state\"", "a link without state");
	refused(report_s(0, "{\"time\": 1, \"links\": [], \"routes\":"
			 " [{\"node\": 9, \"via\": 8, \"metric\": -1}],"
			 " \"counters\": {}}"), 400, "/routes/0",
		"out of range", "a negative metric");

	n = 64 + (XM_TELE_LINKS_MAX + 1) * 32;
	big = malloc(n);
	strcpy(big, "{\"time\": 1, \"routes\": [], \"counters\": {},"
	       " \"links\": [");
	for (i = 0; i <= XM_TELE_LINKS_MAX; i++)
		sprintf(big + strlen(big), "%s{\"peer\": %zu, \"state\":"
			" \"up\"}", i ? "," : "", i + 1);
	strcat(big, "]}");
	refused(report_s(0, big), 400, "/links", "more than 1024 links",
		"1025 links");
	free(big);

	/* Refused on its Content-Length, before it is read. */
	n = XM_TELE_BODY_MAX + 1;
	big = calloc(1, n + 1);
	memset(big, ' ', n);
	refused(report_body(0, big, n), 413, "body", "larger than",
		"a body above 4 MiB");
	free(big);

	refused(request("POST", REPORT_PATH, NULL, good, strlen(good), NULL),
		401, "headers", "signed agent request", "an unsigned report");
	refused(request("POST", REPORT_PATH, tok_op, good, strlen(good),
			NULL), 401, "headers", "signed agent request",
		"an operator's token is no agent's signature");
	h = signed_headers(0, REPORT_PATH, good, strlen(good));
	/* Signed, then changed in flight. */
	refused(request("POST", REPORT_PATH, NULL, "{\"time\": 2}", 11,
			h), 401, "header " XM_AGENT_HDR_SIG, "does not verify",
		"a report changed after it was signed");
	h = signed_headers(0, REPORT_PATH, good, strlen(good));
	again = NULL;
	for (struct curl_slist *l = h; l; l = l->next)
		again = curl_slist_append(again, l->data);
	r = request("POST", REPORT_PATH, NULL, good, strlen(good), h);
	ok(r.status == 200 && api_int(&r, "node") == 7, "a signed report is"
	   " taken: node 7");
	api_resp_free(&r);
	refused(request("POST", REPORT_PATH, NULL, good, strlen(good),
			again), 401, "header " XM_AGENT_HDR_NONCE, "replayed",
		"the same report replayed");
	refused(request("GET", REPORT_PATH, NULL, NULL, 0, NULL), 405,
		"method", "allowed: POST", "GET on the report path");

	r = request("GET", "/metrics", NULL, NULL, 0, NULL);
	ok(r.status == 200 && r.body.data &&
	   strstr(r.body.data, "xmesh_controller_telemetry_reports_total"
		  "{site=\"default\",result=\"invalid\"} 6\n") &&
	   strstr(r.body.data, "xmesh_controller_telemetry_reports_total"
		  "{site=\"default\",result=\"ok\"} 1\n"), "refused reports are counted");
	api_resp_free(&r);
}

static void report_all(uint64_t tx, bool link_up)
{
	int i;

	for (i = 0; i < NODES; i++) {
		struct api_resp r = report_s(i, line_report(i, tx, link_up));

		if (r.status != 200)
			printf("# node %d: %ld %s\n", 7 + i, r.status,
			       r.body.data ? r.body.data : "");
		api_resp_free(&r);
	}
}

static void report_all_but_9(uint64_t tx)
{
	struct api_resp r = report_s(0, line_report(0, tx, false));

	api_resp_free(&r);
	r = report_s(1, line_report(1, tx, false));
	api_resp_free(&r);
}

/* Wait (generously) for an event of kind in /events after since. */
static bool wait_event(int64_t since, const char *kind, uint32_t node,
		       uint32_t peer)
{
	time_t end = time(NULL) + 30;
	char path[96];

	snprintf(path, sizeof(path), "/api/v1/events?since=%lld",
		 (long long)since);
	while (time(NULL) < end) {
		struct api_resp r = get(path);
		json_object *a = api_json(&r, "events");
		size_t i;

		for (i = 0; a && i < json_object_array_length(a); i++) {
			json_object *e = json_object_array_get_idx(a, i), *v;

			json_object_object_get_ex(e, "kind", &v);
			if (strcmp(json_object_get_string(v), kind))
				continue;
			json_object_object_get_ex(e, "node", &v);
			if (json_object_get_int64(v) != node)
				continue;
			json_object_object_get_ex(e, "peer", &v);
			if (json_object_get_int64(v) != peer)
				continue;
			api_resp_free(&r);
			return true;
		}
		api_resp_free(&r);
		usleep(100 * 1000);
	}
	return false;
}

/* A raw connection asking for the stream, held open: its fd. */
static int raw_stream(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char req[256];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_port = htons(xm_ctl_port(ctl));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(req, sizeof(req), "GET /api/v1/events/stream HTTP/1.1\r\n"
		 "Host: x\r\nAuthorization: Bearer %s\r\n\r\n", tok_read);
	if (write(fd, req, strlen(req)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void test_site(void)
{
	struct api_stream sa = { .ctl = ctl, .token = tok_read,
				.query = "since=0", .until = "event: link-down" };
	pthread_t th;
	struct api_resp r;
	int64_t last, t0;
	int fds[32], i, open_n = 0;
	char buf[64], path[160];

	report_all(1000, true);
	r = get("/api/v1/topology");
	ok(r.status == 200 && json_object_array_length(api_json(&r, "nodes")) == 3
	   && json_object_array_length(api_json(&r, "links")) == 4 &&
	   api_int(&r, "nodes.0.node") == 7 &&
	   !strcmp(api_str(&r, "nodes.0.health"), "up") &&
	   !strcmp(api_str(&r, "nodes.1.name"), "r8") &&
	   api_int(&r, "links.0.from") == 7 && api_int(&r, "links.0.to") == 8 &&
	   api_int(&r, "links.0.rtt_us") == 800 &&
	   !strcmp(api_str(&r, "links.0.state"), "up"),
	   "the topology: 3 nodes, 4 links, their health and members");
	api_resp_free(&r);
	refused(request("GET", "/api/v1/topology", NULL, NULL, 0, NULL), 401,
		"header Authorization", "token", "the topology needs a token");

	r = get("/api/v1/path?from=7&to=9");
	ok(r.status == 200 && api_json(&r, "complete") &&
	   json_object_get_boolean(api_json(&r, "complete")) &&
	   json_object_array_length(api_json(&r, "hops")) == 2 &&
	   api_int(&r, "hops.0.node") == 7 && api_int(&r, "hops.0.via") == 8 &&
	   api_int(&r, "hops.0.metric") == 200 &&
	   api_int(&r, "hops.0.link_metric") == 100 &&
	   api_int(&r, "hops.1.node") == 8 && api_int(&r, "hops.1.via") == 9,
	   "the path 7 -> 9 through 8");
	api_resp_free(&r);
	refused(get("/api/v1/path?from=7"), 400, "query to", "required",
		"a path without its end");
	refused(get("/api/v1/path?from=7&to=x"), 400, "query to",
		"expected an integer", "a path to a word");
	refused(get("/api/v1/path?from=7&to=9&via=8"), 400, "query",
		"unknown parameter", "an unknown parameter");

	r = get("/api/v1/nodes/8");
	ok(r.status == 200 && api_int(&r, "node") == 8 &&
	   json_object_array_length(api_json(&r, "report.routes")) == 2 &&
	   api_int(&r, "report.counters.drops.no_route") == 1 &&
	   api_int(&r, "caps.cores") == 2, "a node in full");
	api_resp_free(&r);
	refused(get("/api/v1/nodes/99"), 404, "path", "not reported",
		"a node that never reported");
	refused(get("/api/v1/nodes/7x"), 400, "path", "node id",
		"a node id that is no number");
	refused(get("/api/v1/nodes/"), 404, "path", "no such resource",
		"no node id: no such resource");

	/*
	 * Rates from the second report: node 7 reported before (its signed
	 * report above), so count only the points after t0.
	 */
	t0 = fake_now();
	sleep(1);
	report_all(3000, true);
	snprintf(path, sizeof(path), "/api/v1/telemetry/series?node=7"
		 "&metric=tx_bps&since=%lld", (long long)fake_now() - 7200);
	r = get(path);
	ok(r.status == 200 && api_int(&r, "step") == 60 && api_json(&r, "points"),
	   "since 2 hours ago: the minute tier");
	api_resp_free(&r);
	r = get("/api/v1/telemetry/series?node=7&metric=tx_bps&since=0");
	ok(r.status == 200 && api_int(&r, "step") == 3600,
	   "since long ago: the hour tier");
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/telemetry/series?node=7"
		 "&metric=tx_bps&since=%lld", (long long)t0 + 1);
	r = get(path);
	ok(r.status == 200 && api_int(&r, "step") == 0 &&
	   json_object_array_length(api_json(&r, "points")) == 1 &&
	   json_object_get_double(api_json(&r, "points.0.1")) > 0,
	   "a node's tx rate series: one raw point from the second report");
	api_resp_free(&r);
	/* One point: at 8's first report, 9 had made no request yet (no
	 * node of the site: test_unknown_peer()). */
	r = get("/api/v1/telemetry/series?node=8&peer=9&metric=rtt_us");
	ok(r.status == 200 && api_int(&r, "peer") == 9 &&
	   json_object_array_length(api_json(&r, "points")) == 1 &&
	   json_object_get_double(api_json(&r, "points.0.1")) == 800,
	   "a link's RTT series (from the report after its peer's first)");
	api_resp_free(&r);
	{
		/*
		 * The same report twice (its answer was lost, the agent sends
		 * it again), 30 s old (buffered through a failover): its
		 * samples stored once, at its own time, none at the
		 * controller's.
		 */
		int64_t t = fake_now() - 30;
		char *body, at[160], later[160];
		size_t before;

		report_age = 30;
		body = strdup(line_report(1, 5000, true));
		report_age = 0;
		snprintf(at, sizeof(at), "/api/v1/telemetry/series?node=8"
			 "&peer=9&metric=rtt_us&since=%lld&until=%lld",
			 (long long)t, (long long)t);
		snprintf(later, sizeof(later), "/api/v1/telemetry/series?node=8"
			 "&peer=9&metric=rtt_us&since=%lld&until=%lld",
			 (long long)t + 1, (long long)t + 3600);
		r = get(later);
		before = points(&r);
		api_resp_free(&r);
		r = report_s(1, body);
		api_resp_free(&r);
		sleep(1);	/* the controller's clock moved on */
		r = report_s(1, body);
		ok(r.status == 200, "the same report again: taken");
		api_resp_free(&r);
		free(body);
		r = get(at);
		ok(r.status == 200 && points(&r) == 1,
		   "its samples stored once, at its time (%zu points)",
		   points(&r));
		api_resp_free(&r);
		r = get(later);
		ok(r.status == 200 && points(&r) == before,
		   "none at the controller's time (%zu points, %zu before)",
		   points(&r), before);
		api_resp_free(&r);
	}
	refused(get("/api/v1/telemetry/series?node=8&metric=rtt_us"), 400,
		"query peer", "required", "a link's metric without peer");
	refused(get("/api/v1/telemetry/series?node=8&peer=9&metric=load"),
		400, "query peer", "no peer", "a node's metric with a peer");
	refused(get("/api/v1/telemetry/series?node=8&metric=temperature"),
		400, "query metric", "expected one of", "an unknown metric");
	refused(get("/api/v1/telemetry/series?node=8&metric=load&since=5"
		    "&until=4"), 400, "query until", "before",
		"until before since");

	/* A stream from the start, and the link 8 - 9 cut. */
	r = get("/api/v1/events");
	last = api_int(&r, "next");
	ok(r.status == 200 && last >= 3, "events: 3 node-up (next %lld)",
	   (long long)last);
	api_resp_free(&r);
	pthread_create(&th, NULL, api_stream_read, &sa);
	report_all(4000, false);
	ok(wait_event(last, "link-down", 8, 9) &&
	   wait_event(last, "link-down", 9, 8), "the cut: link-down from"
	   " both sides");
	pthread_join(th, NULL);
	ok(sa.status == 200 && strstr(sa.buf, "event: node-up\n") &&
	   strstr(sa.buf, "id: 1\n") &&
	   strstr(sa.buf, "event: link-down\ndata: {\"id\":"),
	   "the stream replays from since and carries the link-down");
	r = get("/api/v1/topology");
	ok(!strcmp(api_str(&r, "links.2.state"), "down") &&
	   api_int(&r, "links.2.from") == 8 && api_int(&r, "links.2.to") == 9,
	   "the topology shows it");
	api_resp_free(&r);
	r = get("/api/v1/path?from=7&to=9");
	ok(r.status == 200 && !json_object_get_boolean(api_json(&r, "complete"))
	   && strstr(api_str(&r, "reason"), "node 7 has no route to 9"),
	   "the path has none: %s", api_str(&r, "reason"));
	api_resp_free(&r);

	r = request("GET", "/metrics", NULL, NULL, 0, NULL);
#define SITE	"{site=\"default\","
	ok(r.status == 200 && r.body.data &&
	   strstr(r.body.data, "xmesh_node_up" SITE "node=\"7\",name=\"r7\"}"
		  " 1\n") &&
	   strstr(r.body.data, "xmesh_node_tx_bytes_total" SITE "node=\"8\","
		  "name=\"r8\"} 4000\n") &&
	   strstr(r.body.data, "xmesh_node_drops_total" SITE "node=\"9\","
		  "name=\"r9\",reason=\"no_route\"} 1\n") &&
	   strstr(r.body.data, "xmesh_site_nodes" SITE "health=\"up\"} 3\n") &&
	   strstr(r.body.data, "xmesh_site_links" SITE "state=\"down\"} 2\n"),
	   "/metrics: per node and per site");
	ok(r.body.data &&
	   strstr(r.body.data, "xmesh_link_up" SITE "node=\"8\",name=\"r8\","
		  "peer=\"9\"} 0\n") &&
	   !strstr(r.body.data, "xmesh_link_rtt_seconds" SITE "node=\"7\""),
	   "/metrics: the link down listed, not the links up");
#undef SITE
	api_resp_free(&r);

	/* A policy version is an event. */
	r = get("/api/v1/events");
	last = api_int(&r, "next");
	api_resp_free(&r);
	{
		FILE *f = fopen("examples/site-policy.json", "r");
		static char doc[256 * 1024];
		size_t n = f ? fread(doc, 1, sizeof(doc) - 1, f) : 0;

		if (f)
			fclose(f);
		r = request("PUT", "/api/v1/policy", tok_op, doc, n, NULL);
		ok(r.status == 200 && wait_event(last, "policy", 0, 0),
		   "a policy version is an event");
		api_resp_free(&r);
	}
	refused(get("/api/v1/events?limit=0"), 400, "query limit", "1 to",
		"limit 0");
	refused(get("/api/v1/events?since=-1"), 400, "query since",
		"expected an integer", "a negative since");

	/* 32 streams at once, no more. */
	for (i = 0; i < 32; i++) {
		fds[i] = raw_stream();
		open_n += fds[i] >= 0;
	}
	/* Wait until the server holds them all. */
	for (i = 0; i < 300; i++) {
		r = request("GET", "/metrics", NULL, NULL, 0, NULL);
		if (r.body.data && strstr(r.body.data,
					  "xmesh_controller_event_streams{site=\"default\"} 32\n"))
			i = 1000;
		api_resp_free(&r);
		usleep(50 * 1000);
	}
	refused(get("/api/v1/events/stream"), 503, "path", "32 event streams",
		"a 33rd stream");
	ok(open_n == 32 && read(fds[0], buf, sizeof(buf)) > 0 &&
	   !strncmp(buf, "HTTP/1.1 200", 12), "the others are open");
	for (i = 0; i < 32; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	refused(request("GET", "/api/v1/events/stream?token=00", NULL, NULL, 0,
			NULL), 401, "header Authorization", "64 hex digits",
		"a stream with a bad token");

	/* Node 9 stops reporting: down after 10 intervals. */
	r = get("/api/v1/events");
	last = api_int(&r, "next");
	api_resp_free(&r);
	clock_offset += 60;
	report_all_but_9(5000);
	ok(wait_event(last, "node-down", 9, 0), "a node without a report"
	   " for 10 intervals: node-down");
	r = get("/api/v1/topology");
	ok(!strcmp(api_str(&r, "nodes.2.health"), "down") &&
	   !strcmp(api_str(&r, "nodes.0.health"), "up"), "and its health");
	api_resp_free(&r);
	r = report_s(2, line_report(2, 5000, true));
	api_resp_free(&r);
	ok(wait_event(last, "node-up", 9, 0), "node-up when it reports"
	   " again");
}

/* Node 8's report with "routes_unchanged": true in place of its routes. */
static struct api_resp report_unchanged(void)
{
	char *text = line_report(1, 5000, true);
	char *at = strstr(text, "\"routes\": [");

	if (at)
		strcpy(at, "\"routes_unchanged\": true}");
	return report_s(1, text);
}

static size_t routes_of_8(void)
{
	struct api_resp r = get("/api/v1/nodes/8");
	json_object *a = api_json(&r, "report.routes");
	size_t n = a ? json_object_array_length(a) : 99;

	api_resp_free(&r);
	return n;
}

static void test_routes_unchanged(void)
{
	size_t before = routes_of_8();
	struct api_resp r;

	r = report_unchanged();
	ok(r.status == 200 && !api_json(&r, "routes_wanted"),
	   "routes unchanged: taken, none asked for");
	api_resp_free(&r);
	ok(routes_of_8() == before && before > 0,
	   "node 8's table kept (%zu routes)", before);
	/* A restart: the table is gone, so is the controller's word for
	 * "unchanged". */
	xm_ctl_stop(ctl);
	start();
	r = report_unchanged();
	ok(r.status == 200 && api_json(&r, "routes_wanted") &&
	   json_object_get_boolean(api_json(&r, "routes_wanted")),
	   "after a restart: taken, its routes asked for");
	api_resp_free(&r);
	ok(routes_of_8() == 0, "no table until then");
	r = report_s(1, line_report(1, 6000, true));
	ok(r.status == 200 && !api_json(&r, "routes_wanted"),
	   "a report with its routes: none asked for");
	api_resp_free(&r);
	ok(routes_of_8() == 2, "the table again");
}

/* One node's reports faster than its rate: refused, 429, counted. */
static void test_rate(void)
{
	int i, taken = 0, limited = 0;
	struct api_resp r;
	char line[160];

	for (i = 0; i < XM_TELE_RATE_BURST + 8; i++) {
		r = report_s(1, line_report(1, 1000 + (uint64_t)i, true));
		taken += r.status == 200;
		limited += r.status == 429;
		api_resp_free(&r);
	}
	ok(limited >= 1 && taken + limited == XM_TELE_RATE_BURST + 8 &&
	   taken <= XM_TELE_RATE_BURST + 2,
	   "%d reports of one node at once: %d taken, %d refused (429)",
	   XM_TELE_RATE_BURST + 8, taken, limited);
	snprintf(line, sizeof(line), "\nxmesh_controller_telemetry_reports"
		 "_total{site=\"default\",result=\"rate\"} %d\n", limited);
	r = get("/metrics");
	ok(r.body.data && strstr(r.body.data, line), "and counted");
	api_resp_free(&r);
	r = report_s(2, line_report(2, 5000, true));
	is_int(r.status, 200, "another node's report is taken");
	api_resp_free(&r);
}

/* The samples of links to peers that are no nodes of the site dropped,
 * counted: /metrics' value of what. */
static long long dropped(const char *what)
{
	struct api_resp r = get("/metrics");
	char key[160];
	const char *at;
	long long n = -1;

	snprintf(key, sizeof(key), "\nxmesh_controller_telemetry_dropped_total"
		 "{site=\"default\",what=\"%s\"} ", what);
	at = r.body.data ? strstr(r.body.data, key) : NULL;
	if (at)
		n = atoll(at + strlen(key));
	api_resp_free(&r);
	return n;
}

/* A link to a peer that no node of the site is: no series of it (one
 * a made-up peer, kept 90 days), its samples counted; the report taken
 * with its other links' as ever. */
static void test_unknown_peer(void)
{
	char body[4096], path[160];
	const char *report = line_report(0, 9000, true), *at;
	long long before = dropped("peer_samples");
	struct api_resp r;
	int64_t t0 = fake_now();

	at = strstr(report, "], \"counters\"");
	if (!at)
		return;
	snprintf(body, sizeof(body), "%.*s, {\"peer\": 4242, \"state\": \"up\","
		 " \"rtt_us\": 500, \"loss_ppm\": 0, \"metric\": 9,"
		 " \"bandwidth_kbps\": 1}%s", (int)(at - report), report, at);
	r = report_s(0, body);
	is_int(r.status, 200, "a report with a link to a peer that is no node"
	       " of the site: taken");
	api_resp_free(&r);
	ok(dropped("peer_samples") == before + 2 && before >= 0,
	   "its RTT and loss samples not kept, counted (%lld, %lld before)",
	   dropped("peer_samples"), before);
	sleep(1);	/* the samples' flush */
	snprintf(path, sizeof(path), "/api/v1/telemetry/series?node=7"
		 "&peer=4242&metric=rtt_us&since=%lld", (long long)t0);
	r = get(path);
	ok(r.status == 200 && api_int(&r, "step") == 0 && points(&r) == 0,
	   "no series of it (%zu)", points(&r));
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/telemetry/series?node=7&peer=8"
		 "&metric=rtt_us&since=%lld", (long long)t0);
	r = get(path);
	ok(r.status == 200 && points(&r) == 1,
	   "its link to a node of the site kept (%zu)", points(&r));
	api_resp_free(&r);
	ok(dropped("link_events") == 0, "no link events dropped");
}

/* Node 9's report at time t with links to 8 and 7 that carry their own
 * counters (tx8, tx7 bytes sent), the node's total, and QoS classes
 * (bulk sent a hundredth of tx8's bytes, in packets of 100 bytes). */
static char *counters_report(int64_t t, uint64_t tx8, uint64_t tx7)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "{\"time\": %lld, \"interval\": 5,"
		 " \"name\": \"r9\", \"links\": [{\"peer\": 8, \"state\":"
		 " \"up\", \"bandwidth_kbps\": 1000, \"tx_packets\": 10,"
		 " \"tx_bytes\": %llu, \"rx_packets\": 20, \"rx_bytes\": 3000},"
		 " {\"peer\": 7, \"state\": \"up\", \"bandwidth_kbps\": 1000,"
		 " \"tx_packets\": 30, \"tx_bytes\": %llu, \"rx_packets\": 40,"
		 " \"rx_bytes\": 4000}], \"counters\": {\"tx_bytes\": %llu},"
		 " \"qos\": [{\"class\": \"bulk\", \"packets\": %llu,"
		 " \"bytes\": %llu, \"drops\": 0}, {\"class\": \"realtime\","
		 " \"packets\": 9, \"bytes\": 900, \"drops\": 2, \"rate\":"
		 " 125000}], \"routes\": []}", (long long)t,
		 (unsigned long long)tx8, (unsigned long long)tx7,
		 (unsigned long long)(tx8 + tx7),
		 (unsigned long long)(tx8 / 10000),
		 (unsigned long long)(tx8 / 100));
	return buf;
}

/* /topology's link from -> to: path prefix "links.N" into at. */
static bool topo_link(struct api_resp *r, int from, int to, char at[32])
{
	json_object *a = api_json(r, "links");
	size_t i;

	for (i = 0; a && i < json_object_array_length(a); i++) {
		snprintf(at, 32, "links.%zu.from", i);
		if (api_int(r, at) != from)
			continue;
		snprintf(at, 32, "links.%zu.to", i);
		if (api_int(r, at) != to)
			continue;
		snprintf(at, 32, "links.%zu", i);
		return true;
	}
	return false;
}

static double topo_double(struct api_resp *r, const char *at,
			  const char *key)
{
	char p[64];

	snprintf(p, sizeof(p), "%s.%s", at, key);
	return api_json(r, p) ? json_object_get_double(api_json(r, p)) : -1;
}

/* Each link's utilization from its own counters (node 9's link to 8
 * carries 100 times the traffic of its link to 7); an agent without
 * them, the node's rate, marked so; the node's QoS classes; malformed
 * qos refused. */
static void test_link_counters(void)
{
	int64_t t = fake_now() + 1;
	char at8[32], at7[32], at78[32], p[64];
	struct api_resp r;
	bool found;

	r = report_s(2, counters_report(t, 1000, 1000));
	is_int(r.status, 200, "a report with link counters and qos: taken");
	api_resp_free(&r);
	r = report_s(2, counters_report(t + 10, 101000, 2000));
	is_int(r.status, 200, "and the next, 10 s later");
	api_resp_free(&r);
	r = get("/api/v1/topology");
	found = topo_link(&r, 9, 8, at8) && topo_link(&r, 9, 7, at7) &&
		topo_link(&r, 7, 8, at78);
	ok(found && topo_double(&r, at8, "tx_bps") == 80000 &&
	   topo_double(&r, at8, "utilization") == 0.08 &&
	   topo_double(&r, at8, "rx_bps") == 0 &&
	   !strcmp(api_str(&r, strcat(strcpy(p, at8), ".utilization_from")),
		   "link"),
	   "link 9 -> 8: its own rate over its bandwidth (%g)",
	   found ? topo_double(&r, at8, "utilization") : -1);
	ok(found && topo_double(&r, at7, "tx_bps") == 800 &&
	   topo_double(&r, at7, "utilization") == 0.0008,
	   "link 9 -> 7: its own, not the node's (%g)",
	   found ? topo_double(&r, at7, "utilization") : -1);
	ok(found && !strcmp(api_str(&r, strcat(strcpy(p, at78),
					       ".utilization_from")), "node"),
	   "node 7 sends no link counters: the node's rate, said so");
	api_resp_free(&r);
	r = get("/api/v1/nodes/9");
	ok(r.status == 200 &&
	   json_object_array_length(api_json(&r, "report.qos")) == 2 &&
	   !strcmp(api_str(&r, "report.qos.1.class"), "realtime") &&
	   api_int(&r, "report.qos.1.packets") == 9 &&
	   api_int(&r, "report.qos.1.bytes") == 900 &&
	   api_int(&r, "report.qos.1.drops") == 2 &&
	   api_int(&r, "report.qos.1.rate") == 125000 &&
	   api_int(&r, "report.links.0.tx_bytes") == 101000 &&
	   api_int(&r, "report.links.0.rx_packets") == 20,
	   "the node: its QoS classes and its links' counters");
	api_resp_free(&r);
	r = get("/api/v1/nodes/7");
	ok(r.status == 200 && !api_json(&r, "report.qos") &&
	   !api_json(&r, "report.links.0.tx_bytes"),
	   "a node that reported none: no qos, no link counters");
	api_resp_free(&r);
	refused(report_s(2, "{\"time\": 1, \"links\": [], \"routes\": [],"
			 " \"counters\": {}, \"qos\": [{\"class\": \"bulk\","
			 " \"packets\": 1, \"bytes\": \"many\", \"drops\":"
			 " 0}]}"), 400, "/qos/0", "\"bytes\": expected an"
		" integer", "a malformed qos class");
	refused(report_s(2, "{\"time\": 1, \"links\": [], \"routes\": [],"
			 " \"counters\": {}, \"qos\": {\"bulk\": 1}}"), 400,
		"/qos", "expected an array", "qos that is no array");
}

/* GET path: its one point's value, -1 if it has not exactly one. */
static double one_point(const char *path)
{
	struct api_resp r = get(path);
	double v = -1;

	if (r.status == 200 && points(&r) == 1)
		v = json_object_get_double(api_json(&r, "points.0.1"));
	else
		printf("#   %s: %ld %.300s\n", path, r.status,
		       r.body.data ? r.body.data : "");
	api_resp_free(&r);
	return v;
}

/* Node 9's series from test_link_counters()'s two reports: each link's
 * own rates and utilization, each class's rates (class=); the same in
 * /metrics as counters; a metric without its link or class refused. */
static void test_link_class_series(void)
{
	/* until: the reports' own times, ahead of the controller's. */
	static const char base[] = "/api/v1/telemetry/series?node=9&since=%lld"
				   "&until=%lld";
	long long since = (long long)fake_now() - 60;
	char path[160], q[200];
	struct api_resp r;

#define SERIES(extra) (snprintf(path, sizeof(path), base, since, \
				since + 3600), \
		       snprintf(q, sizeof(q), "%s&%s", path, extra), q)
	sleep(1);	/* the samples' flush */
	ok(one_point(SERIES("peer=8&metric=link_tx_bps")) == 80000 &&
	   one_point(SERIES("peer=7&metric=link_tx_bps")) == 800 &&
	   one_point(SERIES("peer=8&metric=link_rx_bps")) == 0,
	   "series: each link's own send and receive rates");
	ok(one_point(SERIES("peer=8&metric=utilization")) == 0.08 &&
	   one_point(SERIES("peer=7&metric=utilization")) == 0.0008,
	   "series: each link's utilization");
	ok(one_point(SERIES("class=bulk&metric=class_packets_per_s")) == 1 &&
	   one_point(SERIES("class=bulk&metric=class_bps")) == 800 &&
	   one_point(SERIES("class=realtime&metric=class_drops_per_s")) == 0,
	   "series: each class's packet, bit and drop rates");
	r = get(SERIES("class=rt&metric=class_bps"));
	ok(r.status == 200 && !strcmp(api_str(&r, "class"), "realtime") &&
	   !api_json(&r, "peer") && points(&r) == 1,
	   "a class by its short name; the answer names it");
	api_resp_free(&r);
	refused(get(SERIES("metric=class_bps")), 400, "query class",
		"is required", "a class's metric without class");
	refused(get(SERIES("class=gold&metric=class_bps")), 400,
		"query class", "is required", "a class that is none");
	refused(get(SERIES("class=bulk&peer=8&metric=class_bps")), 400,
		"query peer", "no peer", "a class's metric with a peer");
	refused(get(SERIES("class=bulk&metric=load")), 400, "query class",
		"no class", "a node's metric with a class");
	refused(get(SERIES("class=bulk&peer=8&metric=utilization")), 400,
		"query class", "no class", "a link's metric with a class");
	refused(get(SERIES("metric=link_rx_bps")), 400, "query peer",
		"required", "a link's rate without peer");
#undef SERIES

	r = request("GET", "/metrics", NULL, NULL, 0, NULL);
#define AT9	"{site=\"default\",node=\"9\",name=\"r9\","
	ok(r.status == 200 && r.body.data &&
	   strstr(r.body.data, "\nxmesh_link_tx_bytes_total" AT9 "peer=\"8\"}"
		  " 101000\n") &&
	   strstr(r.body.data, "\nxmesh_link_rx_bytes_total" AT9 "peer=\"7\"}"
		  " 4000\n") &&
	   strstr(r.body.data, "\nxmesh_link_utilization" AT9 "peer=\"8\"}"
		  " 0.08\n") &&
	   !strstr(r.body.data, "xmesh_link_tx_bytes_total{site=\"default\","
		   "node=\"8\""),
	   "/metrics: node 9's links' byte counters and utilization; none"
	   " for node 8, which sends no link counters");
	ok(r.body.data &&
	   strstr(r.body.data, "\nxmesh_node_class_bytes_total" AT9
		  "class=\"bulk\"} 1010\n") &&
	   strstr(r.body.data, "\nxmesh_node_class_packets_total" AT9
		  "class=\"bulk\"} 10\n") &&
	   strstr(r.body.data, "\nxmesh_node_class_drops_total" AT9
		  "class=\"realtime\"} 2\n"),
	   "/metrics: node 9's class counters");
#undef AT9
	api_resp_free(&r);
}

/* The agent's own events: stored as kind "agent", served by GET
 * /api/v1/events and on the stream; those it lost counted; a malformed
 * one refuses the report, located. */
static void test_agent_events(void)
{
	struct api_stream sa = { .ctl = ctl, .token = tok_read,
				.query = "since=0", .until = "event: agent" };
	const char *report = line_report(2, 100, true);
	long long before = dropped("agent_events");
	char body[4096], path[96];
	int64_t t0 = fake_now(), last;
	struct api_resp r;
	json_object *a;
	size_t i;
	bool seen = false;

	r = get("/api/v1/events?limit=1000");
	last = api_int(&r, "next");
	api_resp_free(&r);

	snprintf(body, sizeof(body), "{\"events\": [{\"time\": %lld,"
		 " \"level\": \"warn\", \"text\": \"link eth1: carrier"
		 " down\"}], \"events_lost\": 2, %s", (long long)t0,
		 report + 1);
	r = report_s(2, body);
	is_int(r.status, 200, "a report with the agent's events: taken");
	api_resp_free(&r);
	ok(wait_event(last, "agent", 9, 0), "its event stored, kind agent");
	snprintf(path, sizeof(path), "/api/v1/events?since=%lld",
		 (long long)last);
	r = get(path);
	a = api_json(&r, "events");
	for (i = 0; a && i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i), *v;

		seen |= json_object_object_get_ex(e, "detail", &v) &&
			!strcmp(json_object_get_string(v),
				"warn: link eth1: carrier down");
	}
	ok(seen, "GET /api/v1/events: its level and text in detail");
	api_resp_free(&r);
	api_stream_read(&sa);
	ok(strstr(sa.buf, "event: agent") &&
	   strstr(sa.buf, "warn: link eth1: carrier down"),
	   "on the events stream");
	ok(dropped("agent_events") == before + 2 && before >= 0,
	   "the events it lost counted (%lld, %lld before)",
	   dropped("agent_events"), before);
	snprintf(body, sizeof(body), "{\"events\": [{\"time\": 1,"
		 " \"level\": \"loud\", \"text\": \"x\"}], %s", report + 1);
	refused(report_s(2, body), 400, "/events/0", "\"level\"",
		"an agent event at an unknown level");
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setup();
	start();
	test_bad_reports();
	test_site();
	test_routes_unchanged();
	test_rate();
	test_unknown_peer();
	test_agent_events();
	test_link_counters();
	test_link_class_series();
	xm_ctl_stop(ctl);
	unlink(db);
	{
		char p[300];

		snprintf(p, sizeof(p), "%s-wal", db);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", db);
		unlink(p);
	}
	rmdir(dir);
	curl_global_cleanup();
	return tap_done();
}
