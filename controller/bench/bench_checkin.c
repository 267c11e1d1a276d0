// SPDX-License-Identifier: GPL-2.0
/*
 * Agent check-in capacity and API throughput with one controller, then
 * with two on the same PostgreSQL database (Documentation/controller.md,
 * "Two controllers"), and the ratios: N simulated agents as xmeshd
 * behaves, agent i on controller i % K:
 *
 * - check-in: each posts a signed report every 5 s (its routes, BENCH_ROUTES
 *   of them (8), the first time; "routes_unchanged" after), for SECONDS,
 *   while P of them (BENCH_POLLERS: 1000, at most N) hold a long poll
 *   for the policy; then a version put through the first controller, and
 *   how long until every poller has it (through the store for the
 *   second controller's);
 * - capacity: reports with 64 in flight per controller for 10 s, as fast
 *   as they are taken;
 * - API: operators' GET /api/v1/agents?limit=100 and GET /api/v1/policy,
 *   32 in flight per controller, for 10 s.
 *
 *   build/bench_checkin [AGENTS [SECONDS]]       (1000 30)
 *
 * XMESH_TEST_PG (a PostgreSQL server's maintenance database, as
 * tests/pg.sh prints it): each run on a new database there, one and two
 * controllers; without it, one controller on a SQLite file. The
 * controllers run in this process, each with its own store connection,
 * as test_ha's do; on a 2-core machine they share the cores with the
 * agents, so the ratio is a lower bound of two machines'. Prints figures
 * and ratios; not a test (no pass or fail, no time asserted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "tests/stores.h"

#define REPORT_PATH	"/api/v1/agent/telemetry"
#define INTERVAL	5
#define FLOOD_SECONDS	10
#define FLOOD_INFLIGHT	64	/* per controller */
#define API_INFLIGHT	32	/* per controller */
#define MAX_CTL		2

struct run {
	int k;				/* controllers */
	struct xm_ctl *ctl[MAX_CTL];
	uint16_t port[MAX_CTL];
	char db[512], token[65];
	/* Figures. */
	double checkin_rate, flood_rate, api_rate, prop_median, prop_max;
};

struct tally {
	long ok, failed, last_failure;
	long refused;			/* failed with no answer */
	CURLcode last_error;
	struct bench_lat lat;
};

static void tally_done(struct bench_agent *a, void *arg)
{
	struct tally *t = arg;

	if (a->status == 200 || a->status == 204) {
		t->ok++;
		a->taken = true;
	} else {
		t->failed++;
		t->last_failure = a->status;
		if (a->error != CURLE_OK) {
			t->refused++;
			t->last_error = a->error;
		}
	}
	bench_lat_add(&t->lat, a->done_at - a->sent_at);
}

static void tally_print(const char *what, struct tally *t, double seconds)
{
	printf("  %s: %ld in %.1f s (%.1f/s), %ld failed", what, t->ok,
	       seconds, t->ok / seconds, t->failed);
	if (t->failed)
		printf(" (the last: %ld)", t->last_failure);
	if (t->refused)
		printf(", %ld of them without an answer (the last: %s)",
		       t->refused, curl_easy_strerror(t->last_error));
	bench_lat_print(&t->lat);
	printf("\n");
}

static void send_report(CURLM *m, struct bench_agent *a)
{
	bench_agent_request(a, "POST", REPORT_PATH, a->taken && a->unchanged ?
			    a->unchanged : a->body, 60);
	curl_multi_add_handle(m, a->h);
}

static void send_poll(CURLM *m, struct bench_agent *p, uint64_t since)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/agent/policy?since=%llu"
		 "&wait=60", (unsigned long long)since);
	bench_agent_request(p, "GET", path, NULL, 90);
	curl_multi_add_handle(m, p->h);
}

/* An operator's GET on a->h (a->port, the token). */
static void send_api(CURLM *m, struct bench_agent *a, const char *token,
		     bool agents)
{
	char url[256], auth[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/v1/%s", a->port,
		 agents ? "agents?limit=100" : "policy");
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	curl_slist_free_all(a->hdrs);
	a->hdrs = curl_slist_append(NULL, auth);
	if (a->h)
		curl_easy_reset(a->h);
	else
		a->h = curl_easy_init();
	curl_easy_setopt(a->h, CURLOPT_URL, url);
	curl_easy_setopt(a->h, CURLOPT_HTTPHEADER, a->hdrs);
	curl_easy_setopt(a->h, CURLOPT_WRITEFUNCTION, bench_sink);
	curl_easy_setopt(a->h, CURLOPT_PRIVATE, a);
	curl_easy_setopt(a->h, CURLOPT_TIMEOUT, 60L);
	a->sent_at = bench_mono();
	a->busy = true;
	curl_multi_add_handle(m, a->h);
}

/* The pollers' answers: a version (200) taken, a 204 polled again. */
struct polls {
	CURLM *m;
	uint64_t since;
	double t0;			/* the new version put; 0: not yet */
	long got;
	struct bench_lat lat;
};

static void poll_done(struct bench_agent *p, void *arg)
{
	struct polls *ps = arg;

	if (p->status == 200 && ps->t0) {
		ps->got++;
		bench_lat_add(&ps->lat, p->done_at - ps->t0);
		return;
	}
	if (!ps->t0)		/* a 204, or a failure: poll again */
		send_poll(ps->m, p, ps->since);
}

/* Both multi handles driven: reports in m, polls in ps->m. */
static void step(CURLM *m, struct tally *t, struct polls *ps)
{
	int running;

	curl_multi_perform(m, &running);
	bench_multi_reap(m, tally_done, t);
	curl_multi_perform(ps->m, &running);
	bench_multi_reap(ps->m, poll_done, ps);
	curl_multi_poll(m, NULL, 0, 2, NULL);
}

static int run(struct run *r, int k, struct xm_ctl_config *cfg,
	       const uint8_t auth_sk[64], const char *dir, int n,
	       double seconds)
{
	const char *re = getenv("BENCH_ROUTES");
	const char *pe = getenv("BENCH_POLLERS");
	int routes = re ? atoi(re) : 8, pollers = pe ? atoi(pe) : 1000;
	struct tally steady = { 0 }, flood = { 0 }, api = { 0 };
	struct polls ps = { 0 };
	struct bench_agent *a, *p;
	char err[256];
	double t0, t;
	int i, inflight;
	CURLM *m;

	if (pollers > n)
		pollers = n;
	r->k = k;
	test_store_name(r->db, sizeof(r->db), dir, k == 1 ? "one.db" :
			"two.db");
	cfg->db_path = r->db;
	if (bench_token(r->db, r->token))
		return -1;
	for (i = 0; i < k; i++) {
		r->ctl[i] = xm_ctl_start(cfg, err, sizeof(err));
		if (!r->ctl[i]) {
			fprintf(stderr, "bench: %s\n", err);
			return -1;
		}
		r->port[i] = xm_ctl_port(r->ctl[i]);
	}
	bench_put_policy(r->port[0], r->token, "{\"max_hops\": 1}");
	a = calloc((size_t)n, sizeof(*a));
	p = calloc((size_t)pollers, sizeof(*p));
	for (i = 0; i < n; i++) {
		bench_agent_init(&a[i], cfg, auth_sk, 1 + (uint32_t)i);
		a[i].port = r->port[i % k];
		a[i].body = bench_report(i, n, routes);
		a[i].unchanged = bench_report_unchanged(a[i].body);
	}
	m = curl_multi_init();
	ps.m = curl_multi_init();
	ps.since = 1;
	/* A poller is its agent's second connection. */
	for (i = 0; i < pollers; i++) {
		p[i].node = a[i].node;
		memcpy(p[i].sk, a[i].sk, sizeof(p[i].sk));
		memcpy(p[i].cert, a[i].cert, sizeof(p[i].cert));
		p[i].port = a[i].port;
		send_poll(ps.m, &p[i], ps.since);
	}

	/* Check-in: every agent each INTERVAL, spread evenly. */
	t0 = bench_mono();
	for (i = 0; i < n; i++)
		a[i].next = t0 + (double)INTERVAL * i / n;
	while ((t = bench_mono()) - t0 < seconds) {
		for (i = 0; i < n; i++)
			if (!a[i].busy && a[i].next <= t) {
				send_report(m, &a[i]);
				a[i].next += INTERVAL;
			}
		step(m, &steady, &ps);
	}
	while (bench_mono() - t0 < seconds + 60) {
		int running;

		step(m, &steady, &ps);
		curl_multi_perform(m, &running);
		if (!running)
			break;
	}
	printf("controllers %d (%s), agents %d, %d routes in a first"
	       " report, %d long-polling; rss %ld KiB\n", k,
	       test_pg() ? "PostgreSQL" : "SQLite", n, routes, pollers,
	       bench_rss_kb());
	printf("  (offered: %.0f reports)\n", (double)n * seconds / INTERVAL);
	tally_print("check-in, a report every 5 s", &steady, seconds);
	r->checkin_rate = steady.ok / seconds;

	/* The new version, through the first controller. */
	ps.t0 = bench_mono();
	bench_put_policy(r->port[0], r->token, "{\"max_hops\": 2}");
	bench_multi_drain(ps.m, ps.t0 + 60, poll_done, &ps);
	r->prop_median = bench_lat_quantile(&ps.lat, 0.5);
	r->prop_max = bench_lat_quantile(&ps.lat, 1);
	printf("  new version to the pollers: %ld of %d, median %.3f s, max"
	       " %.3f s\n", ps.got, pollers, r->prop_median, r->prop_max);

	/* Capacity: reports as fast as they are taken. */
	t0 = bench_mono();
	inflight = 0;
	i = 0;
	while (bench_mono() - t0 < FLOOD_SECONDS) {
		int running;

		while (inflight < FLOOD_INFLIGHT * k && inflight < n) {
			if (!a[i].busy) {
				send_report(m, &a[i]);
				inflight++;
			}
			i = (i + 1) % n;
		}
		curl_multi_perform(m, &running);
		inflight -= bench_multi_reap(m, tally_done, &flood);
		curl_multi_poll(m, NULL, 0, 5, NULL);
	}
	t = bench_mono() - t0;
	bench_multi_drain(m, bench_mono() + 60, tally_done, &flood);
	tally_print("capacity, reports", &flood, t);
	r->flood_rate = flood.ok / t;

	/* The operators' API: the agents' handles reused. */
	t0 = bench_mono();
	inflight = 0;
	i = 0;
	while (bench_mono() - t0 < FLOOD_SECONDS) {
		int running;

		while (inflight < API_INFLIGHT * k && inflight < n) {
			if (!a[i].busy) {
				send_api(m, &a[i], r->token, i % 2);
				inflight++;
			}
			i = (i + 1) % n;
		}
		curl_multi_perform(m, &running);
		inflight -= bench_multi_reap(m, tally_done, &api);
		curl_multi_poll(m, NULL, 0, 5, NULL);
	}
	t = bench_mono() - t0;
	bench_multi_drain(m, bench_mono() + 60, tally_done, &api);
	tally_print("API, agents pages and policy", &api, t);
	r->api_rate = api.ok / t;
	fflush(stdout);

	for (i = 0; i < n; i++)
		bench_agent_free(&a[i]);
	for (i = 0; i < pollers; i++) {
		if (p[i].busy)
			curl_multi_remove_handle(ps.m, p[i].h);
		bench_agent_free(&p[i]);
	}
	free(a);
	free(p);
	curl_multi_cleanup(m);
	curl_multi_cleanup(ps.m);
	bench_lat_free(&steady.lat);
	bench_lat_free(&flood.lat);
	bench_lat_free(&api.lat);
	bench_lat_free(&ps.lat);
	for (i = 0; i < k; i++)
		xm_ctl_stop(r->ctl[i]);
	return 0;
}

static double ratio(double two, double one)
{
	return one > 0 ? two / one : 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	double seconds = argc > 2 ? atof(argv[2]) : 30;
	char dir[] = "/tmp/xmesh-bench.XXXXXX", db[512];
	struct xm_ctl_config cfg;
	struct run one = { 0 }, two = { 0 };
	uint8_t auth_sk[64];

	if (n < 2 || seconds < 1 ||
	    bench_config(&cfg, auth_sk, dir, db, sizeof(db)))
		return 1;
	cfg.longpoll_max_s = 60;
	cfg.agents = (unsigned int)n;	/* as --agents N */
	if (run(&one, 1, &cfg, auth_sk, dir, n, seconds))
		return 1;
	if (test_pg()) {
		if (run(&two, 2, &cfg, auth_sk, dir, n, seconds))
			return 1;
		printf("two controllers vs one, agents %d: check-in x%.2f,"
		       " capacity x%.2f, API x%.2f, propagation median"
		       " %.3f s vs %.3f s\n", n,
		       ratio(two.checkin_rate, one.checkin_rate),
		       ratio(two.flood_rate, one.flood_rate),
		       ratio(two.api_rate, one.api_rate), two.prop_median,
		       one.prop_median);
	} else {
		printf("(two controllers: on PostgreSQL only; set"
		       " XMESH_TEST_PG, see scripts/bench-controller.sh)\n");
	}
	bench_cleanup(dir);
	return 0;
}
