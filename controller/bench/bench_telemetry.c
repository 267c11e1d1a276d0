// SPDX-License-Identifier: GPL-2.0
/*
 * Telemetry load: N simulated agents (each its own node certificate and
 * key) POST a signed report every interval (5 s), spread evenly over it,
 * for a while; then as many reports as the controller takes with 64 in
 * flight. Prints the reports taken per second, their latency, the
 * controller's memory (RSS, the process's: client and server), and the
 * store's size. Each report has 4 links and a route to every other agent
 * (BENCH_ROUTES overrides), as in a mesh of N nodes; each goes on a new
 * connection, as xmeshd's sender does. As xmeshd, an agent whose report
 * was taken sends `"routes_unchanged": true` in place of its routes
 * (the routes of a settled mesh); BENCH_FULL=1: the routes every time.
 *
 *   build/bench_telemetry [AGENTS [SECONDS [INTERVAL]]]   (1000 30 5)
 *
 * The controller runs in the same process (its thread per connection).
 * Not a test (no pass or fail).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"

#define PATH		"/api/v1/agent/telemetry"
#define FLOOD_INFLIGHT	64
#define FLOOD_SECONDS	10

struct results {
	long ok, failed;
	struct bench_lat lat;
};

static void send_report(CURLM *m, struct bench_agent *a)
{
	bench_agent_request(a, "POST", PATH, a->taken && a->unchanged ?
			    a->unchanged : a->body, 60);
	curl_multi_add_handle(m, a->h);
}

static void report_done(struct bench_agent *a, void *arg)
{
	struct results *r = arg;

	if (a->status == 200) {
		r->ok++;
		a->taken = true;
	} else {
		r->failed++;
	}
	bench_lat_add(&r->lat, a->done_at - a->sent_at);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	double seconds = argc > 2 ? atof(argv[2]) : 30;
	double interval = argc > 3 ? atof(argv[3]) : 5;
	const char *re = getenv("BENCH_ROUTES");
	char dir[] = "/tmp/xmesh-bench.XXXXXX", db[512], err[256];
	struct xm_ctl_config cfg;
	struct results steady = { 0 }, flood = { 0 };
	uint8_t auth_sk[64];
	struct xm_ctl *ctl;
	struct bench_agent *a;
	double t0, t;
	int i, running, routes, inflight;
	bool full;
	long rss0, rss1;
	uint16_t port;
	size_t body_bytes = 0;
	struct stat st;
	CURLM *m;

	if (n < 2 || bench_config(&cfg, auth_sk, dir, db, sizeof(db)))
		return 1;
	routes = re ? atoi(re) : n - 1;
	full = getenv("BENCH_FULL") && atoi(getenv("BENCH_FULL"));
	ctl = xm_ctl_start(&cfg, err, sizeof(err));
	if (!ctl) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	port = xm_ctl_port(ctl);
	a = calloc((size_t)n, sizeof(*a));
	for (i = 0; i < n; i++) {
		bench_agent_init(&a[i], &cfg, auth_sk, 1 + (uint32_t)i);
		a[i].port = port;
		a[i].body = bench_report(i, n, routes);
		if (!full)
			a[i].unchanged = bench_report_unchanged(a[i].body);
		body_bytes += strlen(a[i].body);
	}
	rss0 = bench_rss_kb();
	m = curl_multi_init();

	/* Steady: each agent every interval, spread evenly. */
	t0 = bench_mono();
	for (i = 0; i < n; i++)
		a[i].next = t0 + interval * i / n;
	while ((t = bench_mono()) - t0 < seconds) {
		for (i = 0; i < n; i++)
			if (!a[i].busy && a[i].next <= t) {
				send_report(m, &a[i]);
				a[i].next += interval;
			}
		curl_multi_perform(m, &running);
		bench_multi_reap(m, report_done, &steady);
		curl_multi_poll(m, NULL, 0, 5, NULL);
	}
	bench_multi_drain(m, t0 + seconds + 60, report_done, &steady);
	rss1 = bench_rss_kb();
	printf("agents %d, %d routes each (report %zu bytes, %s), every"
	       " %.0f s for %.0f s: %ld taken (%.1f/s), %ld failed",
	       n, routes, body_bytes / (size_t)n, full ? "routes every time"
	       : a[0].unchanged ? "then routes_unchanged" : "?", interval,
	       seconds,
	       steady.ok, steady.ok / seconds, steady.failed);
	bench_lat_print(&steady.lat);
	printf("; rss %ld -> %ld KiB\n", rss0, rss1);
	fflush(stdout);

	/* Flood: FLOOD_INFLIGHT at once, as fast as they are answered. */
	t0 = bench_mono();
	inflight = 0;
	i = 0;
	while (bench_mono() - t0 < FLOOD_SECONDS) {
		while (inflight < FLOOD_INFLIGHT && inflight < n) {
			if (!a[i].busy) {
				send_report(m, &a[i]);
				inflight++;
			}
			i = (i + 1) % n;
		}
		curl_multi_perform(m, &running);
		inflight -= bench_multi_reap(m, report_done, &flood);
		curl_multi_poll(m, NULL, 0, 5, NULL);
	}
	t = bench_mono() - t0;
	bench_multi_drain(m, bench_mono() + 60, report_done, &flood);
	printf("flood, %d in flight: %ld taken in %.1f s (%.1f/s), %ld failed",
	       FLOOD_INFLIGHT, flood.ok, t, flood.ok / t, flood.failed);
	bench_lat_print(&flood.lat);
	printf("; rss %ld KiB", bench_rss_kb());
	if (!stat(db, &st))
		printf("; store %lld KiB", (long long)st.st_size / 1024);
	snprintf(db + strlen(db), sizeof(db) - strlen(db), "-wal");
	if (!stat(db, &st))
		printf(" + WAL %lld KiB", (long long)st.st_size / 1024);
	printf("\n");

	for (i = 0; i < n; i++)
		bench_agent_free(&a[i]);
	free(a);
	bench_lat_free(&steady.lat);
	bench_lat_free(&flood.lat);
	curl_multi_cleanup(m);
	xm_ctl_stop(ctl);
	bench_cleanup(dir);
	return 0;
}
