// SPDX-License-Identifier: GPL-2.0
/*
 * /metrics' text (metrics.h): its series stay under the caps whatever the
 * mesh's size, per-node series while a site is within --metrics-nodes,
 * the troubled links and nodes listed worst first, and the text is valid
 * exposition (one # TYPE per family, its samples together).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "agent_auth.h"
#include "remediation.h"
#include "store.h"
#include "stores.h"
#include "tap.h"
#include "telemetry.h"

#define NOW		100000
#define LINKS		8

static const unsigned int statuses[] = { 200, 400 };
static const uint64_t requests[] = { 5, 1 };
static const uint64_t auth[XM_AGENT_AUTH_MAX + 1];
static const char *const results[] = { "ok", "invalid", "store" };
static const uint64_t reports[] = { 7, 0, 0 };
static const uint64_t decisions[XM_REMEDY_VERDICTS];

static const struct xm_metrics_ctl ctl = {
	.statuses = statuses, .requests = requests, .n_statuses = 2,
	.auth = auth,
};

/* Each node's traffic classes in site(). */
#define CLASSES		2

/*
 * A site of n nodes, LINKS links each, with their own counters (link k of
 * node i sent 1000 * i + k bytes), and CLASSES classes (bulk sent 100 * i
 * bytes, realtime dropped i): node i's first link is down when
 * i % 50 == 0, lossy (i % 1000 ppm above 1 %) when i % 30 == 0; nodes
 * i % 1000 == 1 last reported long ago (down).
 */
static struct xm_tele *site(unsigned int n)
{
	struct xm_tele *t = xm_tele_new();
	struct xm_tele_events ev = { 0 };
	unsigned int i, k;

	for (i = 1; t && i <= n; i++) {
		struct xm_tele_report r = { 0 };

		r.interval = 5;
		snprintf(r.name, sizeof(r.name), "n%u", i);
		r.caps.have_load = true;
		r.caps.load = (i % 8) / 2.0;
		r.counters.tx_bytes = i;
		r.counters.n_drops = 1;
		strcpy(r.counters.drops[0].reason, "no_route");
		r.have_qos = true;
		r.n_qos = CLASSES;
		r.qos[0] = (struct xm_tele_class){ .name = "bulk",
						   .packets = i,
						   .bytes = 100 * i };
		r.qos[1] = (struct xm_tele_class){ .name = "realtime",
						   .drops = i };
		r.links = calloc(LINKS, sizeof(*r.links));
		r.n_links = LINKS;
		for (k = 0; k < LINKS; k++) {
			struct xm_tele_link *l = &r.links[k];

			l->peer = (i + k) % n + 1;
			l->up = !(k == 0 && i % 50 == 0);
			l->rtt_us = 300 + 100 * k;
			l->have_counters = true;
			l->tx_bytes = 1000 * i + k;
			l->rx_bytes = 500 * i + k;
			l->bandwidth_kbps = 1000;
			if (k == 0 && i % 30 == 0)
				l->loss_ppm = XM_TELE_LOSS_PPM + i % 1000;
		}
		if (xm_tele_ingest(t, i, &r, i % 1000 == 1 ? NOW - 1000 : NOW,
				   &ev))
			return NULL;
		xm_tele_report_free(&r);
	}
	xm_tele_events_free(&ev);
	return t;
}

/* The text of sites[0..n) at NOW. */
static char *text_of(const struct xm_metrics_site *sites, size_t n,
		     const struct xm_metrics_limits *lim, size_t *len)
{
	struct xm_metrics_part *parts[4];
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	size_t i;

	for (i = 0; i < n; i++)
		parts[i] = xm_metrics_part_new(&sites[i], lim, NOW);
	xm_metrics_write(f, &ctl, parts, n);
	fclose(f);
	for (i = 0; i < n; i++)
		xm_metrics_part_free(parts[i]);
	return text;
}

/* Samples whose line starts with prefix. */
static size_t count(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, prefix, len))
			n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

/*
 * Valid exposition: every sample belongs to the family of the last
 * # TYPE (a histogram's _bucket, _sum, _count too), no family is typed
 * twice. The number of samples in *samples.
 */
static bool valid(const char *text, size_t *samples)
{
	char family[128] = "", type[16] = "", **seen = NULL;
	size_t n_seen = 0, i;
	const char *p = text;
	bool good = true;

	*samples = 0;
	while (good && p && *p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char name[128];

		if (!strncmp(p, "# TYPE ", 7)) {
			if (sscanf(p + 7, "%127s %15s", family, type) != 2)
				good = false;
			for (i = 0; good && i < n_seen; i++)
				good = strcmp(seen[i], family) != 0;
			seen = realloc(seen, (n_seen + 1) * sizeof(*seen));
			seen[n_seen++] = strdup(family);
		} else if (*p != '#') {
			size_t fl = strlen(family), nl;

			nl = strcspn(p, "{ ");
			if (nl >= sizeof(name) || nl >= len)
				good = false;
			else {
				memcpy(name, p, nl);
				name[nl] = '\0';
			}
			if (good && strcmp(name, family) &&
			    !(!strcmp(type, "histogram") &&
			      !strncmp(name, family, fl) &&
			      (!strcmp(name + fl, "_bucket") ||
			       !strcmp(name + fl, "_sum") ||
			       !strcmp(name + fl, "_count"))))
				good = false;
			if (!good)
				printf("# %.*s: not of the family %s\n",
				       (int)len, p, family);
			(*samples)++;
		}
		p = end ? end + 1 : NULL;
	}
	for (i = 0; i < n_seen; i++)
		free(seen[i]);
	free(seen);
	return good;
}

static void test_large_site(void)
{
	struct xm_metrics_site s = {
		.name = "default", .tele = site(10000),
		.agents.health = { 9000, 600, 400 },
	};
	size_t len, samples;
	char *text = text_of(&s, 1, NULL, &len);
	/* The controller's (~50), a site's aggregates (~60), the troubled
	 * listed (3 series a link, 1 a node): not the 10000 nodes'. */
	size_t bound = 200 + 3 * XM_METRICS_TROUBLED;

	ok(text && valid(text, &samples), "10000 nodes: valid exposition");
	ok(samples < bound, "10000 nodes: %zu series, under %zu (%zu bytes)",
	   samples, bound, len);
	ok(!count(text, "xmesh_node_tx_bytes_total{") &&
	   strstr(text, "xmesh_metrics_omitted{site=\"default\","
		  "kind=\"nodes\"} 10000\n"),
	   "beyond --metrics-nodes: no per-node series, said omitted");
	is_int((long long)(count(text, "xmesh_link_up{") +
			   count(text, "xmesh_node_up{")),
	       XM_METRICS_TROUBLED, "the troubled listed: the cap");
	/* 10 nodes down, 200 links down, 267 lossy: the nodes, then the
	 * links down by node (the first 90), no lossy one. */
	ok(strstr(text, "xmesh_metrics_omitted{site=\"default\","
		  "kind=\"troubled\"} 377\n") &&
	   strstr(text, "xmesh_node_up{site=\"default\",node=\"1001\","
		  "name=\"n1001\"} 0\n") &&
	   strstr(text, "xmesh_link_up{site=\"default\",node=\"4500\","
		  "name=\"n4500\",peer=\"4501\"} 0\n") &&
	   !strstr(text, "xmesh_link_up{site=\"default\",node=\"4550\",") &&
	   !strstr(text, "xmesh_link_up{site=\"default\",node=\"30\","),
	   "the worst first: the nodes down, then the links down");
	ok(strstr(text, "xmesh_site_nodes{site=\"default\",health=\"down\"}"
		  " 10\n") &&
	   strstr(text, "xmesh_site_nodes{site=\"default\",health=\"up\"}"
		  " 9990\n") &&
	   strstr(text, "xmesh_site_links{site=\"default\",state=\"down\"}"
		  " 200\n") &&
	   strstr(text, "xmesh_site_links_lossy{site=\"default\"} 267\n"),
	   "the site's nodes by health, links by state, lossy links");
	ok(strstr(text, "xmesh_site_agents{site=\"default\",health=\"stale\"}"
		  " 600\n"), "the store's agents by health");
	ok(strstr(text, "xmesh_site_link_rtt_seconds_bucket{site=\"default\","
		  "le=\"0.0005\"} 29800\n") &&
	   strstr(text, "xmesh_site_link_rtt_seconds_bucket{site=\"default\","
		  "le=\"+Inf\"} 79800\n") &&
	   strstr(text, "xmesh_site_link_rtt_seconds_count{site=\"default\"}"
		  " 79800\n"),
	   "the RTT histogram: cumulative, over the links up");
	free(text);
	xm_tele_free((struct xm_tele *)s.tele);
}

static void test_small_site(void)
{
	struct xm_metrics_site s = { .name = "default", .tele = site(500) };
	struct xm_metrics_limits lim = { .nodes = 100 };
	size_t len, samples;
	char *text = text_of(&s, 1, NULL, &len);

	ok(text && valid(text, &samples), "500 nodes: valid exposition");
	is_int((long long)count(text, "xmesh_node_up{"), 500,
	       "within --metrics-nodes: every node's xmesh_node_up");
	ok(strstr(text, "xmesh_node_tx_bytes_total{site=\"default\","
		  "node=\"42\",name=\"n42\"} 42\n") &&
	   strstr(text, "xmesh_node_links{site=\"default\",node=\"50\","
		  "name=\"n50\",state=\"down\"} 1\n") &&
	   strstr(text, "xmesh_node_link_loss_ratio_max{site=\"default\","
		  "node=\"30\",name=\"n30\"} 0.01003\n") &&
	   strstr(text, "xmesh_link_loss_ratio{site=\"default\",node=\"30\","
		  "name=\"n30\",peer=\"31\"} 0.01003\n"),
	   "per node: counters, links by state, the worst loss; the lossy"
	   " link by itself");
	ok(strstr(text, "xmesh_link_tx_bytes_total{site=\"default\","
		  "node=\"42\",name=\"n42\",peer=\"44\"} 42001\n") &&
	   strstr(text, "xmesh_link_rx_bytes_total{site=\"default\","
		  "node=\"42\",name=\"n42\",peer=\"44\"} 21001\n") &&
	   count(text, "xmesh_link_tx_bytes_total{") == 500 * LINKS &&
	   count(text, "xmesh_link_rx_bytes_total{") == 500 * LINKS,
	   "each link's byte counters, of every node within the cap");
	ok(strstr(text, "xmesh_node_class_bytes_total{site=\"default\","
		  "node=\"42\",name=\"n42\",class=\"bulk\"} 4200\n") &&
	   strstr(text, "xmesh_node_class_packets_total{site=\"default\","
		  "node=\"42\",name=\"n42\",class=\"bulk\"} 42\n") &&
	   strstr(text, "xmesh_node_class_drops_total{site=\"default\","
		  "node=\"42\",name=\"n42\",class=\"realtime\"} 42\n") &&
	   count(text, "xmesh_node_class_drops_total{") == 500 * CLASSES,
	   "each class's counters, of every node within the cap");
	ok(!count(text, "xmesh_link_utilization{"),
	   "one report: no link utilization yet");
	/* Per node: 12 values and drops, 2 link states, 1 worst loss, 2
	 * counters a link, 3 a class. */
	ok(samples < 500 * (12 + 2 + 1 + 2 * LINKS + 3 * CLASSES) + 200 +
	   3 * XM_METRICS_TROUBLED,
	   "500 nodes: %zu series (%zu bytes)", samples, len);
	free(text);
	text = text_of(&s, 1, &lim, &len);
	ok(text && !count(text, "xmesh_node_tx_bytes_total{") &&
	   count(text, "xmesh_node_up{") == 1,
	   "--metrics-nodes 100: aggregated, the node down listed");
	ok(text && !count(text, "xmesh_link_tx_bytes_total{") &&
	   !count(text, "xmesh_node_class_bytes_total{"),
	   "--metrics-nodes 100: no link or class counters either");
	free(text);
	xm_tele_free((struct xm_tele *)s.tele);
}

static void test_two_sites(void)
{
	struct xm_metrics_site s[2] = {
		{ .name = "east", .tele = site(200), .agents.known = 3,
		  .policy_version = 4, .report_results = results,
		  .reports = reports, .n_report_results = 3,
		  .remedy_decisions = decisions, .remedy_lead = true,
		  .remedy_targets = 5, .remedy_targets_refused = 2 },
		{ .name = "we\"st", .tele = site(2000), .agents.known = 9,
		  .policy_version = 2 },
	};
	size_t len, samples;
	char *text = text_of(s, 2, NULL, &len);

	ok(text && valid(text, &samples), "two sites: valid exposition, each"
	   " family once");
	ok(strstr(text, "xmesh_site_nodes{site=\"east\",health=\"up\"} 199\n")
	   && strstr(text, "xmesh_site_nodes{site=\"we\\\"st\",health=\"up\"}"
		     " 1998\n"), "each site's own figures, its name escaped");
	ok(count(text, "xmesh_node_up{site=\"east\"") == 200 &&
	   count(text, "xmesh_node_up{site=\"we\\\"st\"") == 2,
	   "the cap per site: the small one per node, the large one not");
	ok(strstr(text, "\nxmesh_controller_agents{site=\"east\"} 3\n"
		  "xmesh_controller_agents{site=\"we\\\"st\"} 9\n") &&
	   strstr(text, "\nxmesh_controller_policy_version{site=\"east\"}"
		  " 4\nxmesh_controller_policy_version{site=\"we\\\"st\"}"
		  " 2\n") &&
	   strstr(text, "\nxmesh_controller_telemetry_reports_total{site="
		  "\"east\",result=\"ok\"} 7\n") &&
	   strstr(text, "\nxmesh_controller_remediation_leader{site=\"east\"}"
		  " 1\nxmesh_controller_remediation_leader{site=\"we\\\"st\"}"
		  " 0\n") &&
	   count(text, "xmesh_controller_requests_total{") == 2,
	   "each site's controller figures, the requests once");
	ok(strstr(text, "\nxmesh_controller_remediation_targets{site=\"east\"}"
		  " 5\nxmesh_controller_remediation_targets{site=\"we\\\"st\"}"
		  " 0\n") &&
	   strstr(text, "\nxmesh_controller_remediation_targets_refused_total"
		  "{site=\"east\"} 2\n"),
	   "each site's remediation targets kept and refused");
	free(text);
	xm_tele_free((struct xm_tele *)s[0].tele);
	xm_tele_free((struct xm_tele *)s[1].tele);
}

/* A link's utilization: its own send rate between two reports over its
 * bandwidth; none for a link without a bandwidth. */
static void test_link_utilization(void)
{
	struct xm_tele *t = xm_tele_new();
	struct xm_metrics_site s = { .name = "default", .tele = t };
	struct xm_tele_events ev = { 0 };
	size_t len, samples;
	char *text;
	int i;

	for (i = 0; i < 2; i++) {
		struct xm_tele_report r = { .time = 1000 + 10 * i,
					    .interval = 5 };

		r.links = calloc(2, sizeof(*r.links));
		r.n_links = 2;
		r.links[0] = (struct xm_tele_link){
			.peer = 2, .up = true, .bandwidth_kbps = 1000,
			.have_counters = true, .tx_bytes = 12500 * i };
		r.links[1] = (struct xm_tele_link){
			.peer = 3, .up = true, .have_counters = true };
		xm_tele_ingest(t, 1, &r, NOW - 10 + 10 * i, &ev);
		xm_tele_report_free(&r);
	}
	text = text_of(&s, 1, NULL, &len);
	ok(text && valid(text, &samples) &&
	   strstr(text, "\nxmesh_link_utilization{site=\"default\","
		  "node=\"1\",name=\"\",peer=\"2\"} 0.01\n") &&
	   count(text, "xmesh_link_utilization{") == 1,
	   "a link's utilization: 10 kbit/s of 1 Mbit/s; none without a"
	   " bandwidth");
	free(text);
	xm_tele_events_free(&ev);
	xm_tele_free(t);
}

/* The agents of a store: known, at the version, by the age of their
 * last request. */
static void test_store_agents(void)
{
	struct xm_metrics_agents a;
	char name[512], err[256];
	struct xm_store *st;
	uint32_t i;

	st = xm_store_open(test_store_name(name, sizeof(name), NULL,
					   ":memory:"), err, sizeof(err));
	if (!ok(st != NULL, "a store: %s", st ? "" : err))
		return;
	for (i = 1; i <= 10; i++)
		xm_store_agent_seen(st, i, NOW - (i <= 6 ? 5 : i <= 8 ? 30 :
						  600), i <= 3 ? 4 : 3);
	ok(!xm_metrics_agents(st, 4, NOW, &a) && a.known == 10 &&
	   a.current == 3 && a.health[XM_TELE_UP] == 6 &&
	   a.health[XM_TELE_STALE] == 2 && a.health[XM_TELE_DOWN] == 2,
	   "store agents: 10 known, 3 current, 6 up, 2 stale, 2 down");
	xm_store_close(st);
}

int main(void)
{
	test_store_agents();
	test_large_site();
	test_small_site();
	test_two_sites();
	test_link_utilization();
	return tap_done();
}
