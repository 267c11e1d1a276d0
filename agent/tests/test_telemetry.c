// SPDX-License-Identifier: GPL-2.0
/*
 * xmeshd's telemetry (daemon/telemetry.c): the reports of three converged
 * cores in a line (test_core_net.h), sent signed by the sender thread to
 * the real controller binary on a loopback port; the controller's
 * topology and path reflect them (the path as the core computes it, as
 * `xmesh path show` shows it); with the controller down reports are
 * dropped and counted, and the main loop's hand-over never waits.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../daemon/policy_sync.h"
#include "../daemon/stats.h"
#include "../daemon/telemetry.h"
#include "controller_run.h"
#include "test_core_net.h"
#include "xmesh_file.h"
#include "xmesh_http.h"
#include "xmesh_names.h"

#define DEADLINE_MS	30000
#define N		3

static struct xm_cert authority, node_cert[N];
static uint8_t node_sk[N][XM_SECKEY_LEN];

static void setup(void)
{
	uint8_t auth_sk[XM_SECKEY_LEN];
	int i;

	ctl_setup("/tmp/xmesh-tele.XXXXXX", "read-only", &authority, auth_sk);
	for (i = 0; i < N; i++)
		cert_make(&node_cert[i], XM_CERT_NODE, 3 + (uint64_t)i,
			  (uint32_t)i + 1, NULL, node_sk[i], auth_sk);
}

/* GET path with the read-only token: its JSON, NULL if none. */
static json_object *op_get(const char *path)
{
	struct resp r = op("GET", path, NULL);
	json_object *j = NULL;

	if (r.status == 200 && r.body.data)
		j = json_tokener_parse(r.body.data);
	xm_http_body_free(&r.body);
	return j;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o)
		json_object_object_get_ex(o, key, &v);
	return v;
}

static int64_t member_int(json_object *o, const char *key)
{
	json_object *v = member(o, key);

	return v ? json_object_get_int64(v) : -1;
}

static uint32_t bandwidth(void *arg, uint32_t ifindex, char ifname[16])
{
	(void)arg;
	snprintf(ifname, 16, "eth%u", ifindex);
	return 10000;
}

static int drop_type;	/* a drop reason the kernel has */

/* The kernel's side of node i's report: each adjacency of its core
 * with traffic counters (tx_bytes 5000 + its peer, rx_bytes 7000 + its
 * peer), and two QoS classes of which realtime is capped and dropped
 * some. kernel false: as from a module that gave neither (no counters
 * per link, no qos section). */
static char *report_with(struct net *net, int i, bool kernel)
{
	struct xm_neigh kn[8];
	struct xm_neigh_status ns;
	struct xm_qos q;
	struct xm_dev dev;
	size_t k, n = 0;

	memset(&dev, 0, sizeof(dev));
	dev.counters[XMESH_COUNTER_A_TX_BYTES] = 1000 * ((uint64_t)i + 1);
	dev.drops_present = XM_BIT(drop_type);
	dev.drops[drop_type] = 3;
	memset(kn, 0, sizeof(kn));
	for (k = 0; n < 8 && xm_core_neigh(net->node[i].c, k, &ns); k++) {
		kn[n].present = XM_BIT(XMESH_NEIGH_A_ID) |
				XM_BIT(XMESH_NEIGH_A_TX_PACKETS) |
				XM_BIT(XMESH_NEIGH_A_TX_BYTES) |
				XM_BIT(XMESH_NEIGH_A_RX_PACKETS) |
				XM_BIT(XMESH_NEIGH_A_RX_BYTES);
		kn[n].id = ns.id;
		kn[n].node = ns.node;
		kn[n].tx_packets = 50 + ns.node;
		kn[n].tx_bytes = 5000 + ns.node;
		kn[n].rx_packets = 70 + ns.node;
		kn[n].rx_bytes = 7000 + ns.node;
		n++;
	}
	memset(&q, 0, sizeof(q));
	q.n_tclass = 2;
	q.tclass[0] = (struct xm_tclass){
		.present = XM_BIT(XMESH_TCLASS_A_ID) |
			   XM_BIT(XMESH_TCLASS_A_PACKETS) |
			   XM_BIT(XMESH_TCLASS_A_BYTES) |
			   XM_BIT(XMESH_TCLASS_A_DROPS),
		.id = XMESH_TC_BULK, .packets = 10, .bytes = 1500,
	};
	q.tclass[1] = q.tclass[0];
	q.tclass[1].id = XMESH_TC_REALTIME;
	q.tclass[1].present |= XM_BIT(XMESH_TCLASS_A_RATE);
	q.tclass[1].rate = 125000;
	q.tclass[1].packets = 20;
	q.tclass[1].bytes = 2600;
	q.tclass[1].drops = 4;
	return xmd_telemetry_report(net->node[i].c, &dev, kernel ? kn : NULL,
				    kernel ? n : 0, kernel ? &q : NULL,
				    bandwidth, NULL, (int64_t)time(NULL), 5,
				    0);
}

static char *report_of(struct net *net, int i)
{
	return report_with(net, i, true);
}

static bool wait_sent(struct xmd_telemetry_sender *s, uint64_t sent,
		      uint64_t errors)
{
	struct xmd_telemetry_counters c;
	int waited;

	for (waited = 0; waited < DEADLINE_MS; waited += 20) {
		xmd_telemetry_counters(s, &c);
		if (c.sent >= sent && c.errors >= errors)
			return c.sent == sent && c.errors == errors;
		usleep(20 * 1000);
	}
	return false;
}

static uint64_t routes_elided(struct xmd_telemetry_sender *s)
{
	struct xmd_telemetry_counters c;

	xmd_telemetry_counters(s, &c);
	return c.routes_elided;
}

static void test_report(struct net *net)
{
	char *text = report_of(net, 0);
	json_object *j = text ? json_tokener_parse(text) : NULL;
	json_object *links = member(j, "links"), *routes = member(j, "routes");
	json_object *l, *r = NULL;
	size_t k;

	ok(j && member_int(j, "interval") == 5 &&
	   !strcmp(json_object_get_string(member(j, "name")), "node1") &&
	   member_int(member(j, "caps"), "cores") == 4,
	   "a report: this node's name and capabilities");
	l = links ? json_object_array_get_idx(links, 0) : NULL;
	ok(links && json_object_array_length(links) == 1 &&
	   member_int(l, "peer") == 2 &&
	   !strcmp(json_object_get_string(member(l, "state")), "up") &&
	   member_int(l, "bandwidth_kbps") == 10000000 &&
	   member_int(l, "metric") > 0,
	   "its link: to node 2, up, with metric and bandwidth");
	for (k = 0; routes && k < json_object_array_length(routes); k++)
		if (member_int(json_object_array_get_idx(routes, k), "node")
		    == 3)
			r = json_object_array_get_idx(routes, k);
	ok(routes && json_object_array_length(routes) == 2 && r &&
	   member_int(r, "via") == 2 && member_int(r, "hops") == 2,
	   "its routes: node 3 via node 2, 2 hops");
	ok(member_int(member(member(j, "counters"), "drops"),
		      xm_drop_key(drop_type)) == 3 &&
	   member_int(member(j, "counters"), "tx_bytes") == 1000,
	   "the device's counters and drops by reason");
	ok(member_int(l, "tx_bytes") == 5002 &&
	   member_int(l, "rx_bytes") == 7002 &&
	   member_int(l, "tx_packets") == 52 &&
	   member_int(l, "rx_packets") == 72,
	   "its link carries its adjacency's own traffic counters");
	{
		json_object *q = member(j, "qos"), *c0, *c1;

		c0 = q ? json_object_array_get_idx(q, 0) : NULL;
		c1 = q ? json_object_array_get_idx(q, 1) : NULL;
		ok(q && json_object_array_length(q) == 2 &&
		   !strcmp(json_object_get_string(member(c0, "class")),
			   "bulk") &&
		   member_int(c0, "packets") == 10 &&
		   member_int(c0, "bytes") == 1500 &&
		   member_int(c0, "drops") == 0 &&
		   !strcmp(json_object_get_string(member(c1, "class")),
			   "realtime") &&
		   member_int(c1, "drops") == 4 &&
		   member_int(c1, "rate") == 125000,
		   "a qos section: per class packets, bytes, drops, cap");
	}
	ok(text && strstr(text, "\"qos\":") &&
	   strstr(text, "\"qos\":") < strstr(text, "\"routes\":"),
	   "routes stay the report's last member (they may be elided)");
	json_object_put(j);
	free(text);
	text = report_with(net, 0, false);
	j = text ? json_tokener_parse(text) : NULL;
	l = json_object_array_get_idx(member(j, "links"), 0);
	ok(j && l && !member(l, "tx_bytes") && !member(j, "qos"),
	   "without the kernel's counters: no link counters, no qos");
	json_object_put(j);
	free(text);
}

/* How many events of the controller's are node's of kind "agent" with
 * detail. */
static int agent_events(uint32_t node, const char *detail)
{
	json_object *j = op_get("/api/v1/events?limit=1000");
	json_object *a = member(j, "events");
	int n = 0;
	size_t i;

	for (i = 0; a && i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);

		n += !strcmp(json_object_get_string(member(e, "kind")),
			     "agent") && member_int(e, "node") == node &&
		     !strcmp(json_object_get_string(member(e, "detail")),
			     detail);
	}
	json_object_put(j);
	return n;
}

/* The agent's own events reach the controller with its reports: one
 * that failed is followed by one with its events, each stored once. */
static void test_agent_events(struct net *net,
			      struct xmd_telemetry_sender *s)
{
	struct xmd_telemetry_counters c;

	xmd_telemetry_counters(s, &c);
	xmd_telemetry_sender_event(s, (int64_t)time(NULL), XMD_LOG_WARN,
				   "link eth1: carrier down");
	xmd_telemetry_submit(s, report_of(net, 0));
	ok(wait_sent(s, c.sent + 1, c.errors) &&
	   agent_events(1, "warn: link eth1: carrier down") == 1,
	   "an agent event: stored by the controller with the report");
	ctl_stop();
	xmd_telemetry_sender_event(s, (int64_t)time(NULL), XMD_LOG_ERR,
				   "no controller");
	xmd_telemetry_submit(s, report_of(net, 0));
	ok(wait_sent(s, c.sent + 1, c.errors + 1),
	   "the controller down: the report with the event fails");
	ctl_start(ctl_port);
	xmd_telemetry_submit(s, report_of(net, 0));
	ok(wait_sent(s, c.sent + 3, c.errors + 1) &&
	   agent_events(1, "error: no controller") == 1 &&
	   agent_events(1, "warn: link eth1: carrier down") == 1,
	   "the controller back: the event sent again, each stored once");
}

static void test_sent(struct net *net)
{
	struct xmd_telemetry_sender *s[N];
	struct xm_path p;
	json_object *j, *hops;
	char err[256], *text, *at;
	bool all = true;
	int i;

	for (i = 0; i < N; i++) {
		s[i] = xmd_telemetry_sender_new(base, &node_cert[i],
						node_sk[i], err, sizeof(err));
		if (!s[i]) {
			printf("Bail out! %s\n", err);
			exit(1);
		}
		xmd_telemetry_submit(s[i], report_of(net, i));
	}
	for (i = 0; i < N; i++)
		all &= wait_sent(s[i], 1, 0);
	ok(all, "each agent's report is taken by the controller");
	j = op_get("/api/v1/topology");
	ok(j && json_object_array_length(member(j, "nodes")) == 3 &&
	   json_object_array_length(member(j, "links")) == 4 &&
	   !strcmp(json_object_get_string(member(json_object_array_get_idx(
		member(j, "nodes"), 1), "name")), "node2") &&
	   !strcmp(json_object_get_string(member(json_object_array_get_idx(
		member(j, "nodes"), 1), "health")), "up"),
	   "/api/v1/topology reflects them: 3 nodes, 4 links");
	json_object_put(j);
	j = op_get("/api/v1/path?from=1&to=3");
	hops = member(j, "hops");
	ok(xm_core_path(net->node[0].c, 3, &p) && hops &&
	   json_object_get_boolean(member(j, "complete")) &&
	   json_object_array_length(hops) == p.n_hops &&
	   member_int(json_object_array_get_idx(hops, 0), "node") ==
	   p.node[0] &&
	   member_int(json_object_array_get_idx(hops, 0), "via") ==
	   p.node[1] &&
	   member_int(json_object_array_get_idx(hops, 1), "via") ==
	   p.node[2] &&
	   member_int(json_object_array_get_idx(hops, 0), "metric") ==
	   p.cost[p.n_hops], "the controller's path 1 -> 3 is the core's");
	json_object_put(j);

	/* The same routes again: sent as "routes_unchanged", and the
	 * controller keeps the table it had; other routes are sent. */
	xmd_telemetry_submit(s[0], report_of(net, 0));
	ok(wait_sent(s[0], 2, 0) && routes_elided(s[0]) == 1,
	   "the same routes again: elided");
	j = op_get("/api/v1/path?from=1&to=3");
	ok(j && json_object_get_boolean(member(j, "complete")) &&
	   json_object_array_length(member(j, "hops")) == p.n_hops,
	   "the controller kept node 1's routes");
	json_object_put(j);
	text = report_of(net, 0);
	at = text ? strstr(text, "\"hops\":2") : NULL;
	if (at)
		at[7] = '3';
	xmd_telemetry_submit(s[0], text);
	ok(at && wait_sent(s[0], 3, 0) && routes_elided(s[0]) == 1,
	   "changed routes: sent in full");

	/* The controller down: kept, the main loop's hand-over returns at
	 * once; sent, oldest first, when it is back. */
	ctl_stop();
	xmd_telemetry_submit(s[0], report_of(net, 0));
	ok(wait_sent(s[0], 3, 1), "the controller down: the report fails");
	xmd_telemetry_submit(s[0], report_of(net, 0));
	{
		struct xmd_telemetry_counters c;

		xmd_telemetry_counters(s[0], &c);
		ok(c.dropped == 0 && c.errors == 1 && c.buffered == 2,
		   "both kept, none dropped (buffered %" PRIu64 ", dropped %"
		   PRIu64 ")", c.buffered, c.dropped);
	}
	ctl_start(ctl_port);	/* on the same port */
	{
		struct xmd_telemetry_counters c;
		int waited;

		for (waited = 0; waited < DEADLINE_MS; waited += 20) {
			xmd_telemetry_counters(s[0], &c);
			if (c.sent >= 5)
				break;
			usleep(20 * 1000);
		}
		ok(c.sent == 5 && c.buffered == 0 && c.dropped == 0,
		   "the controller back: both sent (sent %" PRIu64 ")",
		   c.sent);
	}
	test_agent_events(net, s[0]);
	for (i = 0; i < N; i++)
		xmd_telemetry_sender_free(s[i]);
}

/* A counter of xmeshd's by its name in `xmesh agent stats` (ctl.c). */
static bool stat_of(const struct xmd_stats *st, const char *key,
		    uint64_t *v)
{
	size_t i;

	for (i = 0; i < xmd_n_stat_names; i++) {
		if (!strcmp(xmd_stat_names[i].key, key)) {
			memcpy(v, (const char *)st + xmd_stat_names[i].off,
			       sizeof(*v));
			return true;
		}
	}
	return false;
}

/* The failover counters reach xmeshd's stats under their names. */
static void test_failover_stats(const struct xmd_telemetry_counters *c)
{
	struct xmd_policy_counters pc = { .failovers = 3, .reports = 2 };
	struct xmd_stats st = { 0 };
	uint64_t v = 99, b = 99, p = 99, r = 99;
	bool has_v, has_b, has_p, has_r;

	xmd_telemetry_stats_set(&st, c);
	has_v = stat_of(&st, "telemetry_failovers", &v);
	has_b = stat_of(&st, "telemetry_buffered", &b);
	ok(has_v && v == c->failovers && v == 1,
	   "telemetry_failovers in the stats (%" PRIu64 ")", v);
	ok(has_b && b == c->buffered && b == 0,
	   "telemetry_buffered in the stats (%" PRIu64 ")", b);
	xmd_policy_stats_set(&st, &pc);
	has_p = stat_of(&st, "policy_failovers", &p);
	has_r = stat_of(&st, "policy_reports", &r);
	ok(has_p && p == 3 && has_r && r == 2,
	   "policy_failovers in the stats (%" PRIu64 ")", p);
	has_v = stat_of(&st, "telemetry_failovers", &v);
	ok(has_v && v == 1,
	   "the policy's copy leaves the telemetry's");
}

/* Reports dropped reach the stats split by why, and their sum. */
static void test_dropped_stats(void)
{
	static const char *const key[] = {
		"telemetry_dropped", "telemetry_dropped_full",
		"telemetry_dropped_old", "telemetry_refused",
	};
	const struct xmd_telemetry_counters c = {
		.dropped = 15, .dropped_full = 4, .dropped_old = 5, .refused = 6,
	};
	const uint64_t want[] = { 15, 4, 5, 6 };
	struct xmd_stats st = { 0 };
	size_t i;

	xmd_telemetry_stats_set(&st, &c);
	for (i = 0; i < sizeof(key) / sizeof(key[0]); i++) {
		uint64_t v = 99;
		bool has = stat_of(&st, key[i], &v);

		ok(has && v == want[i], "%s in the stats (%" PRIu64 ")",
		   key[i], v);
	}
}

/* Two controllers, the first not answering: the report goes to the
 * second at once. */
static void test_failover(struct net *net)
{
	struct xmd_telemetry_sender *s;
	struct xmd_telemetry_counters c;
	char err[256], urls[600];
	int waited;

	/* Port 1: nobody listens there (connection refused). */
	snprintf(urls, sizeof(urls), "http://127.0.0.1:1 %s", base);
	s = xmd_telemetry_sender_new(urls, &node_cert[1], node_sk[1], err,
				     sizeof(err));
	ok(s != NULL, "a sender with two controllers");
	if (!s)
		return;
	xmd_telemetry_submit(s, report_of(net, 1));
	for (waited = 0; waited < DEADLINE_MS; waited += 20) {
		xmd_telemetry_counters(s, &c);
		if (c.sent)
			break;
		usleep(20 * 1000);
	}
	ok(c.sent == 1 && c.errors == 1 && c.failovers == 1 && !c.dropped,
	   "the first refused: sent to the second (sent %" PRIu64 ", errors %"
	   PRIu64 ", failovers %" PRIu64 ")", c.sent, c.errors, c.failovers);
	test_failover_stats(&c);
	test_dropped_stats();
	xmd_telemetry_sender_free(s);
}

int main(void)
{
	struct net net;
	int i, ends[2];

	for (drop_type = 1; drop_type <= XMESH_DROP_A_MAX &&
	     !xm_drop_key(drop_type); drop_type++)
		;
	setup();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	net_init(&net);
	for (i = 0; i < N; i++)
		net_add_node(&net, 1);
	for (i = 0; i + 1 < N; i++) {
		ends[0] = i;
		ends[1] = i + 1;
		net_add_wire(&net, 2, ends);
	}
	ok(net_until(&net, 60000, net_converged, NULL), "3 cores in a line"
	   " converge");
	net_run(&net, 2000);
	test_report(&net);
	ctl_start(0);
	test_sent(&net);
	test_failover(&net);
	ctl_stop();
	net_free(&net);
	ctl_cleanup();
	curl_global_cleanup();
	return tap_done();
}
