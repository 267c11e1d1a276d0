// SPDX-License-Identifier: GPL-2.0
/*
 * Policy propagation through the long poll: N simulated agents (each its
 * own node certificate and key, signed requests) wait on the controller;
 * a new version is put; how long until each has it. Also how long the N
 * signed polls take to be admitted, and the controller's memory (RSS).
 *
 *   build/bench_longpoll [AGENTS]      (default 1000)
 *
 * One client thread drives every agent with libcurl's multi interface;
 * the controller runs in the same process (its thread per connection).
 * Prints one line of figures; not a test (no pass or fail).
 */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

#define PATH	"/api/v1/agent/policy?since=1&wait=60"
#define WAITING	"xmesh_controller_agents_waiting{site=\"default\"}"

struct propagation {
	int left;
	double t0;
	struct bench_lat lat;
};

static void got_version(struct bench_agent *a, void *arg)
{
	struct propagation *p = arg;

	p->left--;
	if (a->status == 200)
		bench_lat_add(&p->lat, a->done_at - p->t0);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, i, running;
	char dir[] = "/tmp/xmesh-bench.XXXXXX", db[512], token[65], err[256];
	struct xm_ctl_config cfg;
	struct propagation p = { 0 };
	uint8_t auth_sk[64];
	struct xm_ctl *ctl;
	struct bench_agent *a;
	double t0, t_admit;
	uint16_t port;
	CURLM *m;
	long rss0;

	if (n < 1 || bench_config(&cfg, auth_sk, dir, db, sizeof(db)))
		return 1;
	cfg.longpoll_max_s = 60;
	if (bench_token(db, token))
		return 1;
	ctl = xm_ctl_start(&cfg, err, sizeof(err));
	if (!ctl) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	port = xm_ctl_port(ctl);
	bench_put_policy(port, token, "{\"max_hops\": 1}");
	rss0 = bench_rss_kb();

	a = calloc((size_t)n, sizeof(*a));
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	for (i = 0; i < n; i++) {
		bench_agent_init(&a[i], &cfg, auth_sk, 1 + (uint32_t)i);
		a[i].port = port;
		bench_agent_request(&a[i], "GET", PATH, NULL, 90);
		curl_multi_add_handle(m, a[i].h);
	}
	/* Admit every poll: until the controller has them all waiting. */
	t0 = bench_mono();
	do {
		curl_multi_perform(m, &running);
		curl_multi_poll(m, NULL, 0, 10, NULL);
	} while (bench_metric(port, WAITING) < n &&
		 bench_mono() - t0 < 60);
	t_admit = bench_mono() - t0;
	printf("agents %d: %.0f admitted in %.2f s, rss %ld -> %ld KiB", n,
	       bench_metric(port, WAITING), t_admit,
	       rss0, bench_rss_kb());
	fflush(stdout);

	p.left = n;
	p.t0 = bench_mono();
	bench_put_policy(port, token, "{\"max_hops\": 2}");
	bench_multi_drain(m, p.t0 + 60, got_version, &p);
	printf("; new version to all: median %.3f s, max %.3f s (%d without"
	       " it)\n", bench_lat_quantile(&p.lat, 0.5),
	       bench_lat_quantile(&p.lat, 1), n - (int)p.lat.n);
	for (i = 0; i < n; i++) {
		if (a[i].busy)
			curl_multi_remove_handle(m, a[i].h);
		bench_agent_free(&a[i]);
	}
	free(a);
	bench_lat_free(&p.lat);
	curl_multi_cleanup(m);
	xm_ctl_stop(ctl);
	bench_cleanup(dir);
	return 0;
}
