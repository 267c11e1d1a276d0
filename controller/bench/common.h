/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the controller's benchmarks share (bench_*.c): a controller's
 * configuration with a fresh authority and policy key, simulated agents
 * (a node certificate and key each, signed requests as xmeshd makes
 * them, telemetry reports of a mesh of n nodes), a libcurl multi loop,
 * latencies and the process's memory. Not tests: they print figures.
 */
#ifndef XM_BENCH_COMMON_H
#define XM_BENCH_COMMON_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server.h"

/* A simulated agent: its identity and its transfer in flight. */
struct bench_agent {
	uint32_t node;
	uint8_t sk[64];
	char cert[1024];		/* its certificate, base64 */
	CURL *h;
	struct curl_slist *hdrs;
	char *body;			/* its report (bench_report()) */
	char *unchanged;		/* the same, routes unchanged */
	bool busy;			/* a transfer in flight */
	bool taken;			/* a report was */
	long status;			/* of the last transfer */
	CURLcode error;			/* its transport's: CURLE_OK */
	double sent_at, done_at, next;
	uint16_t port;			/* the controller it talks to */
};

double bench_mono(void);
/* A curl write callback that drops the body. */
size_t bench_sink(char *p, size_t size, size_t n, void *arg);
/* The process's resident memory, KiB (-1: unknown). */
long bench_rss_kb(void);

/*
 * cfg for a controller on db (a file, or BENCH_STORE's URI if set: an
 * empty PostgreSQL database): a new authority (its secret key in
 * auth_sk) and policy key, any number of connections from 127.0.0.1.
 * dir: a new scratch directory (for the SQLite file), removed by
 * bench_cleanup(). 0, or -1.
 */
int bench_config(struct xm_ctl_config *cfg, uint8_t auth_sk[64],
		 char *dir, char *db, size_t db_len);
void bench_cleanup(const char *dir);
/* An operator token of the store at db (made there). */
int bench_token(const char *db, char token[65]);

/* Agent a as node, its certificate signed by the authority. */
void bench_agent_init(struct bench_agent *a, const struct xm_ctl_config *cfg,
		      const uint8_t auth_sk[64], uint32_t node);
/* a's request (method, path, body) signed now, on a->h, not yet added to
 * a multi handle; its answer dropped. */
void bench_agent_request(struct bench_agent *a, const char *method,
			 const char *path, const char *body, long timeout_s);
void bench_agent_free(struct bench_agent *a);

/* Agent i's telemetry report among n nodes: 4 links, routes to routes
 * others (malloc'd); the same with "routes_unchanged": true. */
char *bench_report(int i, int n, int routes);
char *bench_report_unchanged(const char *report);

/* PUT a policy document through the operator API: the HTTP status. */
long bench_put_policy(uint16_t port, const char *token, const char *doc);
/* GET path (no token): the body (malloc'd, NUL-terminated; NULL on
 * failure), its length in *len. */
char *bench_get(uint16_t port, const char *path, const char *token,
		size_t *len);
/* A gauge or counter without labels from /metrics: -1 if absent. */
double bench_metric(uint16_t port, const char *name);

/* Latencies, for medians and tails. */
struct bench_lat {
	double *v;
	size_t n, cap;
};

void bench_lat_add(struct bench_lat *l, double v);
/* The q quantile (0 to 1) of l (sorted by it); 0 if l is empty. */
double bench_lat_quantile(struct bench_lat *l, double q);
/* ", latency median X ms, p99 Y ms, max Z ms" (sorts l). */
void bench_lat_print(struct bench_lat *l);
void bench_lat_free(struct bench_lat *l);

/* Run m until no transfer is running or deadline (bench_mono()),
 * calling done for each finished one (its bench_agent in a). */
void bench_multi_drain(CURLM *m, double deadline,
		       void (*done)(struct bench_agent *a, void *arg),
		       void *arg);
/* Reap the finished transfers of m: done for each; their count. */
int bench_multi_reap(CURLM *m, void (*done)(struct bench_agent *a,
					      void *arg), void *arg);

#endif /* XM_BENCH_COMMON_H */
