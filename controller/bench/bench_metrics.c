// SPDX-License-Identifier: GPL-2.0
/*
 * /metrics at scale: N simulated agents each post one signed report (4
 * links, BENCH_ROUTES routes: 8), as a mesh of N nodes; then /metrics is
 * scraped BENCH_SCRAPES times (5): its size, its series (samples), and
 * how long a scrape takes (the controller holds its lock meanwhile, so
 * this is also how long reports wait). BENCH_METRICS_NODES sets
 * --metrics-nodes (the default: 1000); BENCH_METRICS_OUT names a file
 * the last scrape is written to.
 *
 *   build/bench_metrics [AGENTS]      (default 1000)
 *
 * The controller runs in the same process. Not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define PATH		"/api/v1/agent/telemetry"
#define INFLIGHT	64

static void report_done(struct bench_agent *a, void *arg)
{
	long *failed = arg;

	if (a->status != 200) {
		(*failed)++;
		fprintf(stderr, "bench: node %u: status %ld\n", a->node,
			a->status);
	}
}

/* Sample lines: neither comments nor empty. */
static size_t series(const char *text)
{
	size_t n = 0;
	const char *p;

	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 :
	     NULL)
		n += *p != '#' && *p != '\n';
	return n;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, i, running, inflight = 0;
	int scrapes = getenv("BENCH_SCRAPES") ? atoi(getenv("BENCH_SCRAPES"))
		      : 5;
	const char *re = getenv("BENCH_ROUTES");
	char dir[] = "/tmp/xmesh-bench.XXXXXX", db[512], err[256];
	struct xm_ctl_config cfg;
	struct bench_lat lat = { 0 };
	uint8_t auth_sk[64];
	struct xm_ctl *ctl;
	struct bench_agent *a;
	size_t len = 0, count = 0;
	long failed = 0;
	double t0, t_fill;
	uint16_t port;
	CURLM *m;

	if (n < 2 || scrapes < 1 ||
	    bench_config(&cfg, auth_sk, dir, db, sizeof(db)))
		return 1;
#ifdef XM_METRICS_NODES	/* since metrics.h */
	if (getenv("BENCH_METRICS_NODES"))
		cfg.metrics.nodes = (unsigned int)
				    atoi(getenv("BENCH_METRICS_NODES"));
#endif
	ctl = xm_ctl_start(&cfg, err, sizeof(err));
	if (!ctl) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	port = xm_ctl_port(ctl);
	a = calloc((size_t)n, sizeof(*a));
	m = curl_multi_init();
	t0 = bench_mono();
	for (i = 0; i < n; i++) {
		bench_agent_init(&a[i], &cfg, auth_sk, 1 + (uint32_t)i);
		a[i].port = port;
		a[i].body = bench_report(i, n, re ? atoi(re) : 8);
		while (inflight >= INFLIGHT) {
			curl_multi_perform(m, &running);
			inflight -= bench_multi_reap(m, report_done, &failed);
			if (inflight >= INFLIGHT)
				curl_multi_poll(m, NULL, 0, 5, NULL);
		}
		bench_agent_request(&a[i], "POST", PATH, a[i].body, 60);
		curl_multi_add_handle(m, a[i].h);
		inflight++;
	}
	bench_multi_drain(m, bench_mono() + 120, report_done, &failed);
	t_fill = bench_mono() - t0;
	for (i = 0; i < scrapes; i++) {
		double t = bench_mono();
		char *text = bench_get(port, "/metrics", NULL, &len);

		bench_lat_add(&lat, bench_mono() - t);
		count = series(text);
		if (text && i == scrapes - 1 && getenv("BENCH_METRICS_OUT")) {
			FILE *f = fopen(getenv("BENCH_METRICS_OUT"), "w");

			if (f) {
				fputs(text, f);
				fclose(f);
			}
		}
		free(text);
	}
	printf("nodes %d (%ld reports failed, filled in %.1f s): /metrics"
	       " %zu bytes, %zu series, scrape median %.1f ms, max %.1f ms;"
	       " rss %ld KiB\n", n, failed, t_fill, len, count,
	       1e3 * bench_lat_quantile(&lat, 0.5),
	       1e3 * bench_lat_quantile(&lat, 1), bench_rss_kb());
	for (i = 0; i < n; i++)
		bench_agent_free(&a[i]);
	free(a);
	bench_lat_free(&lat);
	curl_multi_cleanup(m);
	xm_ctl_stop(ctl);
	bench_cleanup(dir);
	return 0;
}
