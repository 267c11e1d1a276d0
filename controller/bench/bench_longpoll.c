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
#include <curl/curl.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "agent_auth.h"
#include "server.h"
#include "store.h"

struct agent {
	CURL *h;
	struct curl_slist *hdrs;
	uint8_t sk[64];
	char cert[1024];
	double done_at;
	long status;
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

static void put_policy(uint16_t port, const char *token, const char *doc)
{
	char url[128], auth[128];
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/v1/policy", port);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	h = curl_slist_append(h, auth);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, doc);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_perform(c);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
}

static unsigned int waiting(uint16_t port)
{
	char url[128];
	CURL *c = curl_easy_init();
	FILE *f = tmpfile();
	char line[256];
	unsigned int n = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_perform(c);
	curl_easy_cleanup(c);
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "xmesh_controller_agents_waiting %u", &n) == 1)
			break;
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, i, running, left;
	char dir[] = "/tmp/xmesh-bench.XXXXXX", db[512], token[65], err[256];
	const char *path = "/api/v1/agent/policy?since=1&wait=60";
	struct xm_ctl_config cfg = { 0 };
	uint8_t auth_sk[64], hash[32];
	struct xm_store *s;
	struct xm_ctl *ctl;
	struct agent *a;
	double t0, t_admit, *lat;
	CURLM *m;
	long rss0;

	if (n < 1 || sodium_init() < 0 || curl_global_init(CURL_GLOBAL_ALL) ||
	    !mkdtemp(dir))
		return 1;
	/* Thread stacks: 1000 connections, 1000 threads. */
	/* BENCH_STORE: an empty PostgreSQL database instead. */
	snprintf(db, sizeof(db), "%s/c.db", dir);
	if (getenv("BENCH_STORE"))
		snprintf(db, sizeof(db), "%s", getenv("BENCH_STORE"));
	cfg.db_path = db;
	cfg.longpoll_max_s = 60;
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
	s = xm_store_open(db, err, sizeof(err));
	xm_token_new(token, hash);
	xm_store_token_add(s, hash, XM_ROLE_OPERATOR, "bench", 0);
	xm_store_close(s);
	ctl = xm_ctl_start(&cfg, err, sizeof(err));
	if (!ctl) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	put_policy(xm_ctl_port(ctl), token, "{\"max_hops\": 1}");
	rss0 = rss_kb();

	a = calloc((size_t)n, sizeof(*a));
	lat = calloc((size_t)n, sizeof(*lat));
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	for (i = 0; i < n; i++) {
		struct xm_cert c = cfg.authority;
		uint8_t nonce[XM_AGENT_NONCE_LEN];
		char url[128], h[1200], ts[21], nh[33], sig[129];

		c.kind = XM_CERT_NODE;
		c.serial = 100 + (uint64_t)i;
		c.node_id = 1 + (uint32_t)i;
		crypto_sign_keypair(c.pubkey, a[i].sk);
		xm_cert_sign(&c, auth_sk);
		sodium_bin2base64(a[i].cert, sizeof(a[i].cert), c.raw, c.len,
				  sodium_base64_VARIANT_ORIGINAL);
		randombytes_buf(nonce, sizeof(nonce));
		xm_agent_auth_sign(a[i].sk, "GET", path, "", 0, time(NULL),
				   nonce, ts, nh, sig);
		snprintf(h, sizeof(h), XM_AGENT_HDR_CERT ": %s", a[i].cert);
		a[i].hdrs = curl_slist_append(NULL, h);
		snprintf(h, sizeof(h), XM_AGENT_HDR_TIME ": %s", ts);
		a[i].hdrs = curl_slist_append(a[i].hdrs, h);
		snprintf(h, sizeof(h), XM_AGENT_HDR_NONCE ": %s", nh);
		a[i].hdrs = curl_slist_append(a[i].hdrs, h);
		snprintf(h, sizeof(h), XM_AGENT_HDR_SIG ": %s", sig);
		a[i].hdrs = curl_slist_append(a[i].hdrs, h);
		snprintf(url, sizeof(url), "http://127.0.0.1:%u%s",
			 xm_ctl_port(ctl), path);
		a[i].h = curl_easy_init();
		curl_easy_setopt(a[i].h, CURLOPT_URL, url);
		curl_easy_setopt(a[i].h, CURLOPT_HTTPHEADER, a[i].hdrs);
		curl_easy_setopt(a[i].h, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(a[i].h, CURLOPT_PRIVATE, &a[i]);
		curl_easy_setopt(a[i].h, CURLOPT_TIMEOUT, 90L);
		curl_multi_add_handle(m, a[i].h);
	}
	/* Admit every poll: until the controller has them all waiting. */
	t0 = mono();
	do {
		curl_multi_perform(m, &running);
		curl_multi_poll(m, NULL, 0, 10, NULL);
	} while (waiting(xm_ctl_port(ctl)) < (unsigned int)n &&
		 mono() - t0 < 60);
	t_admit = mono() - t0;
	printf("agents %d: %u admitted in %.2f s, rss %ld -> %ld KiB", n,
	       waiting(xm_ctl_port(ctl)), t_admit, rss0, rss_kb());
	fflush(stdout);

	t0 = mono();
	put_policy(xm_ctl_port(ctl), token, "{\"max_hops\": 2}");
	left = n;
	while (left > 0 && mono() - t0 < 60) {
		CURLMsg *msg;
		int q;

		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &q))) {
			struct agent *ag;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&ag);
			curl_easy_getinfo(msg->easy_handle,
					  CURLINFO_RESPONSE_CODE, &ag->status);
			ag->done_at = mono() - t0;
			left--;
		}
		if (left)
			curl_multi_poll(m, NULL, 0, 10, NULL);
	}
	for (i = 0; i < n; i++)
		lat[i] = a[i].status == 200 ? a[i].done_at : 1e9;
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	printf("; new version to all: median %.3f s, max %.3f s (%d without"
	       " it)\n", lat[n / 2], lat[n - 1], left);
	for (i = 0; i < n; i++) {
		curl_multi_remove_handle(m, a[i].h);
		curl_easy_cleanup(a[i].h);
		curl_slist_free_all(a[i].hdrs);
	}
	curl_multi_cleanup(m);
	xm_ctl_stop(ctl);
	snprintf(db, sizeof(db), "rm -rf %s", dir);
	return system(db) ? 1 : 0;
}
