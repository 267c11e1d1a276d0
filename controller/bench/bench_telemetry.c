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
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent_auth.h"
#include "server.h"
#include "store.h"

#define PATH		"/api/v1/agent/telemetry"
#define FLOOD_INFLIGHT	64
#define FLOOD_SECONDS	10

struct agent {
	CURL *h;
	struct curl_slist *hdrs;
	uint8_t sk[64];
	char cert[1024];
	char *body;
	char *unchanged;		/* body, its routes unchanged; NULL */
	double next, sent_at;
	bool busy;
	bool taken;			/* a report was */
};

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* Agent i's report among n: 4 links, routes to the others. */
static char *report(int i, int n, int routes)
{
	size_t cap = 1024 + (size_t)routes * 64, len;
	char *b = malloc(cap);
	int k;

	len = (size_t)snprintf(b, cap, "{\"time\": %lld, \"interval\": 5,"
		" \"name\": \"n%d\", \"zone\": \"z%d\", \"roles\": [],"
		" \"caps\": {\"cores\": 4, \"load\": 0.5, \"mem_total\":"
		" 8000000000, \"mem_free\": 4000000000}, \"policy_version\": 0,"
		" \"counters\": {\"tx_packets\": %d, \"tx_bytes\": %d,"
		" \"rx_packets\": 1, \"rx_bytes\": 1, \"drops\": {\"no_route\":"
		" 1, \"zone_denied\": 0}}, \"links\": [",
		(long long)time(NULL), i + 1, i % 8, i, i * 1000);
	for (k = 1; k <= 4; k++)
		len += (size_t)snprintf(b + len, cap - len, "%s{\"peer\": %d,"
			" \"ifname\": \"eth%d\", \"state\": \"up\", \"rtt_us\":"
			" 850, \"jitter_us\": 40, \"loss_ppm\": 0, \"metric\":"
			" 120, \"bandwidth_kbps\": 1000000}", k > 1 ? ", " : "",
			(i + k) % n + 1 == i + 1 ? (i + k + 1) % n + 1 :
			(i + k) % n + 1, k);
	len += (size_t)snprintf(b + len, cap - len, "], \"routes\": [");
	for (k = 0; k < routes; k++)
		len += (size_t)snprintf(b + len, cap - len, "%s{\"node\": %d,"
			" \"via\": %d, \"metric\": %d, \"hops\": 2}",
			k ? ", " : "", (i + k + 1) % n + 1, (i + 1) % n + 1,
			240 + k);
	snprintf(b + len, cap - len, "]}");
	return b;
}

/* body with "routes_unchanged": true in place of its routes. */
static char *report_unchanged(const char *body)
{
	const char *at = strstr(body, "\"routes\": [");
	size_t n = at ? (size_t)(at - body) : 0;
	char *b = at ? malloc(n + 32) : NULL;

	if (b)
		snprintf(b, n + 32, "%.*s\"routes_unchanged\": true}",
			 (int)n, body);
	return b;
}

/* Agent a's next report, signed now, into the multi handle. */
static void send_report(CURLM *m, struct agent *a, uint16_t port)
{
	uint8_t nonce[XM_AGENT_NONCE_LEN];
	char url[128], h[1200], ts[21], nh[33], sig[129];
	const char *body = a->taken && a->unchanged ? a->unchanged : a->body;

	randombytes_buf(nonce, sizeof(nonce));
	xm_agent_auth_sign(a->sk, "POST", PATH, body, strlen(body),
			   time(NULL), nonce, ts, nh, sig);
	curl_slist_free_all(a->hdrs);
	snprintf(h, sizeof(h), XM_AGENT_HDR_CERT ": %s", a->cert);
	a->hdrs = curl_slist_append(NULL, h);
	snprintf(h, sizeof(h), XM_AGENT_HDR_TIME ": %s", ts);
	a->hdrs = curl_slist_append(a->hdrs, h);
	snprintf(h, sizeof(h), XM_AGENT_HDR_NONCE ": %s", nh);
	a->hdrs = curl_slist_append(a->hdrs, h);
	snprintf(h, sizeof(h), XM_AGENT_HDR_SIG ": %s", sig);
	a->hdrs = curl_slist_append(a->hdrs, h);
	a->hdrs = curl_slist_append(a->hdrs, "Expect:");
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, PATH);
	if (!a->h)
		a->h = curl_easy_init();
	curl_easy_setopt(a->h, CURLOPT_URL, url);
	curl_easy_setopt(a->h, CURLOPT_HTTPHEADER, a->hdrs);
	curl_easy_setopt(a->h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(a->h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(a->h, CURLOPT_PRIVATE, a);
	curl_easy_setopt(a->h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(a->h, CURLOPT_FORBID_REUSE, 1L);
	a->sent_at = mono();
	a->busy = true;
	curl_multi_add_handle(m, a->h);
}

struct results {
	long ok, failed;
	double *lat;
	size_t n_lat, cap;
};

/* Collect the finished transfers. */
static int reap(CURLM *m, struct results *r)
{
	CURLMsg *msg;
	int q, done = 0;

	while ((msg = curl_multi_info_read(m, &q))) {
		struct agent *a;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&a);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
				  &status);
		curl_multi_remove_handle(m, a->h);
		a->busy = false;
		if (status == 200) {
			r->ok++;
			a->taken = true;
		} else {
			r->failed++;
		}
		if (r->n_lat == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 4096;
			r->lat = realloc(r->lat, r->cap * sizeof(*r->lat));
		}
		r->lat[r->n_lat++] = mono() - a->sent_at;
		done++;
	}
	return done;
}

static void print_lat(struct results *r)
{
	if (!r->n_lat)
		return;
	qsort(r->lat, r->n_lat, sizeof(*r->lat), cmp);
	printf(", latency median %.1f ms, p99 %.1f ms, max %.1f ms",
	       1e3 * r->lat[r->n_lat / 2], 1e3 * r->lat[r->n_lat * 99 / 100],
	       1e3 * r->lat[r->n_lat - 1]);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	double seconds = argc > 2 ? atof(argv[2]) : 30;
	double interval = argc > 3 ? atof(argv[3]) : 5;
	const char *re = getenv("BENCH_ROUTES");
	char dir[] = "/tmp/xmesh-bench.XXXXXX", db[512], err[256];
	struct xm_ctl_config cfg = { 0 };
	struct results steady = { 0 }, flood = { 0 };
	uint8_t auth_sk[64];
	struct xm_ctl *ctl;
	struct agent *a;
	double t0, t;
	int i, running, routes, inflight;
	bool full;
	long rss0, rss1;
	uint16_t port;
	size_t body_bytes = 0;
	struct stat st;
	CURLM *m;

	if (n < 2 || sodium_init() < 0 || curl_global_init(CURL_GLOBAL_ALL) ||
	    !mkdtemp(dir))
		return 1;
	routes = re ? atoi(re) : n - 1;
	full = getenv("BENCH_FULL") && atoi(getenv("BENCH_FULL"));
	/* BENCH_STORE: an empty PostgreSQL database instead. */
	snprintf(db, sizeof(db), "%s/c.db", dir);
	if (getenv("BENCH_STORE"))
		snprintf(db, sizeof(db), "%s", getenv("BENCH_STORE"));
	cfg.db_path = db;
	cfg.per_address = -1;		/* every agent is 127.0.0.1 */
	cfg.authority.kind = XM_CERT_AUTHORITY;
	cfg.authority.serial = 1;
	strcpy(cfg.authority.site, "bench");
	crypto_sign_keypair(cfg.authority.pubkey, auth_sk);
	cfg.authority.not_before = (uint64_t)time(NULL) - 3600;
	cfg.authority.not_after = (uint64_t)time(NULL) + 86400;
	xm_cert_sign(&cfg.authority, auth_sk);
	cfg.policy_cert = cfg.authority;
	cfg.policy_cert.kind = XM_CERT_POLICY;
	cfg.policy_cert.serial = 2;
	crypto_sign_keypair(cfg.policy_cert.pubkey, cfg.policy_sk);
	xm_cert_sign(&cfg.policy_cert, auth_sk);
	ctl = xm_ctl_start(&cfg, err, sizeof(err));
	if (!ctl) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	port = xm_ctl_port(ctl);
	a = calloc((size_t)n, sizeof(*a));
	for (i = 0; i < n; i++) {
		struct xm_cert c = cfg.authority;

		c.kind = XM_CERT_NODE;
		c.serial = 100 + (uint64_t)i;
		c.node_id = 1 + (uint32_t)i;
		crypto_sign_keypair(c.pubkey, a[i].sk);
		xm_cert_sign(&c, auth_sk);
		sodium_bin2base64(a[i].cert, sizeof(a[i].cert), c.raw, c.len,
				  sodium_base64_VARIANT_ORIGINAL);
		a[i].body = report(i, n, routes);
		if (!full)
			a[i].unchanged = report_unchanged(a[i].body);
		body_bytes += strlen(a[i].body);
	}
	rss0 = rss_kb();
	m = curl_multi_init();

	/* Steady: each agent every interval, spread evenly. */
	t0 = mono();
	for (i = 0; i < n; i++)
		a[i].next = t0 + interval * i / n;
	while ((t = mono()) - t0 < seconds) {
		for (i = 0; i < n; i++)
			if (!a[i].busy && a[i].next <= t) {
				send_report(m, &a[i], port);
				a[i].next += interval;
			}
		curl_multi_perform(m, &running);
		reap(m, &steady);
		curl_multi_poll(m, NULL, 0, 5, NULL);
	}
	do {
		curl_multi_perform(m, &running);
		reap(m, &steady);
		if (running)
			curl_multi_poll(m, NULL, 0, 5, NULL);
	} while (running && mono() - t0 < seconds + 60);
	rss1 = rss_kb();
	printf("agents %d, %d routes each (report %zu bytes, %s), every"
	       " %.0f s for %.0f s: %ld taken (%.1f/s), %ld failed",
	       n, routes, body_bytes / (size_t)n, full ? "routes every time"
	       : a[0].unchanged ? "then routes_unchanged" : "?", interval,
	       seconds,
	       steady.ok, steady.ok / seconds, steady.failed);
	print_lat(&steady);
	printf("; rss %ld -> %ld KiB\n", rss0, rss1);
	fflush(stdout);

	/* Flood: FLOOD_INFLIGHT at once, as fast as they are answered. */
	t0 = mono();
	inflight = 0;
	i = 0;
	while (mono() - t0 < FLOOD_SECONDS) {
		while (inflight < FLOOD_INFLIGHT) {
			if (!a[i].busy) {
				send_report(m, &a[i], port);
				inflight++;
			}
			i = (i + 1) % n;
		}
		curl_multi_perform(m, &running);
		inflight -= reap(m, &flood);
		curl_multi_poll(m, NULL, 0, 5, NULL);
	}
	t = mono() - t0;
	do {
		curl_multi_perform(m, &running);
		reap(m, &flood);
		if (running)
			curl_multi_poll(m, NULL, 0, 5, NULL);
	} while (running);
	printf("flood, %d in flight: %ld taken in %.1f s (%.1f/s), %ld failed",
	       FLOOD_INFLIGHT, flood.ok, t, flood.ok / t, flood.failed);
	print_lat(&flood);
	printf("; rss %ld KiB", rss_kb());
	if (!stat(db, &st))
		printf("; store %lld KiB", (long long)st.st_size / 1024);
	snprintf(db + strlen(db), sizeof(db) - strlen(db), "-wal");
	if (!stat(db, &st))
		printf(" + WAL %lld KiB", (long long)st.st_size / 1024);
	printf("\n");

	for (i = 0; i < n; i++) {
		if (a[i].h)
			curl_easy_cleanup(a[i].h);
		curl_slist_free_all(a[i].hdrs);
		free(a[i].body);
		free(a[i].unchanged);
	}
	free(a);
	free(steady.lat);
	free(flood.lat);
	curl_multi_cleanup(m);
	xm_ctl_stop(ctl);
	snprintf(db, sizeof(db), "rm -rf %s", dir);
	return system(db) ? 1 : 0;
}
