// SPDX-License-Identifier: GPL-2.0
/* What the controller's benchmarks share (common.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent_auth.h"
#include "common.h"
#include "store.h"
#include "xmesh_http.h"

double bench_mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

size_t bench_sink(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

long bench_rss_kb(void)
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

int bench_config(struct xm_ctl_config *cfg, uint8_t auth_sk[64],
		 char *dir, char *db, size_t db_len)
{
	const char *uri = getenv("BENCH_STORE");

	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_ALL) ||
	    !mkdtemp(dir))
		return -1;
	if (uri)
		snprintf(db, db_len, "%s", uri);
	else
		snprintf(db, db_len, "%s/c.db", dir);
	memset(cfg, 0, sizeof(*cfg));
	cfg->db_path = db;
	cfg->per_address = -1;		/* every agent is 127.0.0.1 */
	cfg->authority.kind = XM_CERT_AUTHORITY;
	cfg->authority.serial = 1;
	strcpy(cfg->authority.site, "bench");
	crypto_sign_keypair(cfg->authority.pubkey, auth_sk);
	cfg->authority.not_before = (uint64_t)time(NULL) - 3600;
	cfg->authority.not_after = (uint64_t)time(NULL) + 86400;
	xm_cert_sign(&cfg->authority, auth_sk);
	cfg->policy_cert = cfg->authority;
	cfg->policy_cert.kind = XM_CERT_POLICY;
	cfg->policy_cert.serial = 2;
	crypto_sign_keypair(cfg->policy_cert.pubkey, cfg->policy_sk);
	xm_cert_sign(&cfg->policy_cert, auth_sk);
	return 0;
}

void bench_cleanup(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "bench: %s failed\n", cmd);
}

int bench_token(const char *db, char token[65])
{
	uint8_t hash[32];
	char err[256];
	struct xm_store *s = xm_store_open(db, err, sizeof(err));
	int rc;

	if (!s) {
		fprintf(stderr, "bench: %s\n", err);
		return -1;
	}
	xm_token_new(token, hash);
	rc = xm_store_token_add(s, hash, XM_ROLE_OPERATOR, "bench", 0);
	xm_store_close(s);
	return rc;
}

void bench_agent_init(struct bench_agent *a, const struct xm_ctl_config *cfg,
		      const uint8_t auth_sk[64], uint32_t node)
{
	struct xm_cert c = cfg->authority;

	c.kind = XM_CERT_NODE;
	c.serial = 100 + (uint64_t)node;
	c.node_id = node;
	crypto_sign_keypair(c.pubkey, a->sk);
	xm_cert_sign(&c, auth_sk);
	sodium_bin2base64(a->cert, sizeof(a->cert), c.raw, c.len,
			  sodium_base64_VARIANT_ORIGINAL);
	a->node = node;
}

void bench_agent_request(struct bench_agent *a, const char *method,
			 const char *path, const char *body, long timeout_s)
{
	uint8_t nonce[XM_AGENT_NONCE_LEN];
	char url[1200], h[1200], ts[21], nh[33], sig[129];
	size_t len = body ? strlen(body) : 0;

	randombytes_buf(nonce, sizeof(nonce));
	xm_agent_auth_sign(a->sk, method, path, body ? body : "", len,
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
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", a->port, path);
	if (a->h)
		curl_easy_reset(a->h);
	else
		a->h = curl_easy_init();
	curl_easy_setopt(a->h, CURLOPT_URL, url);
	curl_easy_setopt(a->h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(a->h, CURLOPT_HTTPHEADER, a->hdrs);
	if (body)
		curl_easy_setopt(a->h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(a->h, CURLOPT_WRITEFUNCTION, bench_sink);
	curl_easy_setopt(a->h, CURLOPT_PRIVATE, a);
	curl_easy_setopt(a->h, CURLOPT_TIMEOUT, timeout_s);
	/* A new connection each, as xmeshd's sender makes. */
	curl_easy_setopt(a->h, CURLOPT_FORBID_REUSE, 1L);
	a->sent_at = bench_mono();
	a->busy = true;
}

void bench_agent_free(struct bench_agent *a)
{
	if (a->h)
		curl_easy_cleanup(a->h);
	curl_slist_free_all(a->hdrs);
	free(a->body);
	free(a->unchanged);
	memset(a, 0, sizeof(*a));
}

char *bench_report(int i, int n, int routes)
{
	size_t cap = 1024 + (size_t)routes * 64, len;
	char *b = malloc(cap);
	int k;

	if (!b)
		return NULL;
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
			" %d, \"jitter_us\": 40, \"loss_ppm\": %d, \"metric\":"
			" 120, \"bandwidth_kbps\": 1000000}", k > 1 ? ", " : "",
			(i + k) % n + 1 == i + 1 ? (i + k + 1) % n + 1 :
			(i + k) % n + 1, k, 800 + 50 * k,
			/* a lossy link now and then */
			k == 1 && i % 97 == 0 ? 20000 : 0);
	len += (size_t)snprintf(b + len, cap - len, "], \"routes\": [");
	for (k = 0; k < routes; k++)
		len += (size_t)snprintf(b + len, cap - len, "%s{\"node\": %d,"
			" \"via\": %d, \"metric\": %d, \"hops\": 2}",
			k ? ", " : "", (i + k + 1) % n + 1, (i + 1) % n + 1,
			240 + k);
	snprintf(b + len, cap - len, "]}");
	return b;
}

char *bench_report_unchanged(const char *report)
{
	const char *at = strstr(report, "\"routes\": [");
	size_t n = at ? (size_t)(at - report) : 0;
	char *b = at ? malloc(n + 32) : NULL;

	if (b)
		snprintf(b, n + 32, "%.*s\"routes_unchanged\": true}",
			 (int)n, report);
	return b;
}

/* One operator request, its body collected. */
static long operator_request(uint16_t port, const char *method,
			     const char *path, const char *token,
			     const char *body, struct xm_http_body *out)
{
	char url[1200], auth[128];
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	long status = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
			 token);
		h = curl_slist_append(h, auth);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	}
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (out) {
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, xm_http_collect);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	} else {
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bench_sink);
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return status;
}

long bench_put_policy(uint16_t port, const char *token, const char *doc)
{
	return operator_request(port, "PUT", "/api/v1/policy", token, doc,
				NULL);
}

char *bench_get(uint16_t port, const char *path, const char *token,
		size_t *len)
{
	struct xm_http_body b = { .max = (size_t)1 << 30 };

	if (operator_request(port, "GET", path, token, NULL, &b) != 200 ||
	    !b.data) {
		xm_http_body_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.data;
}

double bench_metric(uint16_t port, const char *name)
{
	size_t len, n = strlen(name);
	char *text = bench_get(port, "/metrics", NULL, &len), *p;
	double v = -1;

	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 :
	     NULL)
		if (!strncmp(p, name, n) && p[n] == ' ') {
			v = atof(p + n + 1);
			break;
		}
	free(text);
	return v;
}

void bench_lat_add(struct bench_lat *l, double v)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 4096;
		double *p = realloc(l->v, cap * sizeof(*p));

		if (!p)
			return;
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_lat_quantile(struct bench_lat *l, double q)
{
	if (!l->n)
		return 0;
	qsort(l->v, l->n, sizeof(*l->v), cmp_double);
	return l->v[(size_t)(q * (double)(l->n - 1) + 0.5)];
}

void bench_lat_print(struct bench_lat *l)
{
	if (!l->n)
		return;
	printf(", latency median %.1f ms, p99 %.1f ms, max %.1f ms",
	       1e3 * bench_lat_quantile(l, 0.5),
	       1e3 * bench_lat_quantile(l, 0.99),
	       1e3 * bench_lat_quantile(l, 1));
}

void bench_lat_free(struct bench_lat *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int bench_multi_reap(CURLM *m, void (*done)(struct bench_agent *a,
					      void *arg), void *arg)
{
	CURLMsg *msg;
	int q, n = 0;

	while ((msg = curl_multi_info_read(m, &q))) {
		struct bench_agent *a;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&a);
		a->status = 0;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
				  &a->status);
		a->error = msg->data.result;
		curl_multi_remove_handle(m, a->h);
		a->busy = false;
		a->done_at = bench_mono();
		if (done)
			done(a, arg);
		n++;
	}
	return n;
}

void bench_multi_drain(CURLM *m, double deadline,
		       void (*done)(struct bench_agent *a, void *arg),
		       void *arg)
{
	int running;

	do {
		curl_multi_perform(m, &running);
		bench_multi_reap(m, done, arg);
		if (running)
			curl_multi_poll(m, NULL, 0, 5, NULL);
	} while (running && bench_mono() < deadline);
}
