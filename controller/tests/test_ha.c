// SPDX-License-Identifier: GPL-2.0
/*
 * Two controllers on one PostgreSQL database (Documentation/controller.md,
 * "Two controllers"), each with its own connection as two processes
 * would have: an agent long-polling one learns of a version applied
 * through the other; versions applied through both at once are numbered
 * once each, without a gap; one controller at a time runs the
 * remediation rules, and when it stops (its session ends, releasing the
 * lock) the other takes them over without acting again on what was
 * acted on, and acts on what is new. On SQLite (one controller per
 * file) there is nothing to test: skipped.
 */
#include <curl/curl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent_auth.h"
#include "api_client.h"
#include "certs.h"
#include "hooks.h"
#include "server.h"
#include "store.h"
#include "stores.h"
#include "tap.h"
#include "xmesh_http.h"

#define PUTS_EACH	10

static struct xm_ctl_config cfg;
static uint8_t auth_sk[64], node_sk[64];
static struct xm_cert node;
static char node_b64[TEST_CERT_B64_MAX];
static char tok_op[65];
static char db[256], out[256], dir[64] = "/tmp/xmesh-ha.XXXXXX";
/* Every controller's hooks, freed at the end. */
static struct xm_hooks *hooks[4];
static int n_hooks;

static struct api_resp request(struct xm_ctl *ctl, const char *method,
			       const char *path, const char *token,
			       const char *body, struct curl_slist *hdrs)
{
	return api_request(ctl, method, path, token, body,
			   body ? strlen(body) : 0, hdrs);
}

/* A signed agent request of node 7. */
static struct api_resp agent(struct xm_ctl *ctl, const char *method,
			     const char *path, const char *body)
{
	size_t len = body ? strlen(body) : 0;

	return request(ctl, method, path, NULL, body,
		       api_signed_headers(node_sk, node_b64, method, path, body,
					  len, time(NULL)));
}

static struct xm_ctl *start(void)
{
	struct xm_ctl_config c = cfg;
	char spec[512];

	/* Hooks of its own, as another process would have. */
	c.hooks = hooks[n_hooks++] = xm_hooks_new(10);
	snprintf(spec, sizeof(spec), "restart command echo $XMESH_NODE_ID"
		 " >> %s; echo restarted $XMESH_NODE_ID", out);
	api_hook(c.hooks, spec);
	return api_start(&c);
}

static void setup(void)
{
	int64_t now = time(NULL);
	struct xm_store *s;

	api_config(&cfg, dir, db, sizeof(db), auth_sk, NULL, now);
	snprintf(out, sizeof(out), "%s/restarted", dir);
	test_cert(&node, XM_CERT_NODE, 3, 7, now, node_sk, auth_sk, node_b64);
	cfg.longpoll_max_s = 30;
	api_remedy_quick(&cfg);
	s = api_store(db);
	api_token(s, tok_op, XM_ROLE_OPERATOR, "ops");
	xm_store_close(s);
}

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* ---- versions ---- */

struct poll_arg {
	struct xm_ctl *ctl;
	long status;
	int64_t version;
	double answered;
};

static void *long_poll(void *arg)
{
	struct poll_arg *a = arg;
	struct api_resp r = agent(a->ctl, "GET",
				  "/api/v1/agent/policy?since=0&wait=20", NULL);

	a->answered = mono();
	a->status = r.status;
	a->version = api_int(&r, "version");
	api_resp_free(&r);
	return NULL;
}

static void test_long_poll(struct xm_ctl *a, struct xm_ctl *b)
{
	struct poll_arg p = { .ctl = b };
	struct api_resp r;
	pthread_t t;
	double put;

	pthread_create(&t, NULL, long_poll, &p);
	usleep(500000);		/* waiting at b by then, or soon */
	put = mono();
	r = request(a, "PUT", "/api/v1/policy", tok_op, "{\"max_hops\": 3}",
		    NULL);
	ok(r.status == 200 && api_int(&r, "version") == 1,
	   "version 1 applied through the first controller");
	api_resp_free(&r);
	pthread_join(t, NULL);
	ok(p.status == 200 && p.version == 1,
	   "an agent long-polling the second is answered with it (%ld, "
	   "version %lld)", p.status, (long long)p.version);
	printf("# woken %.0f ms after the PUT (store polled every %u ms)\n",
	       (p.answered - put) * 1000, XM_CTL_VERSION_POLL_MS);
	r = agent(b, "GET", "/api/v1/agent/policy?since=1&wait=1", NULL);
	ok(r.status == 204, "since 1 at the second: nothing newer (%ld)",
	   r.status);
	api_resp_free(&r);
}

struct put_arg {
	struct xm_ctl *ctl;
	int first;
	int64_t versions[PUTS_EACH];
};

static void *puts_thread(void *arg)
{
	struct put_arg *a = arg;
	char text[128];
	int i;

	for (i = 0; i < PUTS_EACH; i++) {
		struct api_resp r;

		snprintf(text, sizeof(text), "{\"max_hops\": 3, \"remediation\":"
			 " {\"budget_per_hour\": %d, \"rules\": []}}",
			 a->first + i);
		r = request(a->ctl, "PUT", "/api/v1/policy", tok_op, text,
			    NULL);
		a->versions[i] = r.status == 200 ? api_int(&r, "version") :
			-r.status;
		api_resp_free(&r);
	}
	return NULL;
}

static void test_order(struct xm_ctl *a, struct xm_ctl *b)
{
	struct put_arg pa = { .ctl = a, .first = 100 };
	struct put_arg pb = { .ctl = b, .first = 200 };
	bool seen[2 * PUTS_EACH + 2] = { false };
	bool all = true, once = true;
	pthread_t ta, tb;
	struct api_resp r;
	int i;

	pthread_create(&ta, NULL, puts_thread, &pa);
	pthread_create(&tb, NULL, puts_thread, &pb);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	for (i = 0; i < 2 * PUTS_EACH; i++) {
		int64_t v = i < PUTS_EACH ? pa.versions[i] :
			    pb.versions[i - PUTS_EACH];

		if (v < 2 || v > 2 * PUTS_EACH + 1) {
			all = false;
			printf("#   a PUT answered %lld\n", (long long)v);
			continue;
		}
		once &= !seen[v];
		seen[v] = true;
	}
	ok(all && once, "%d versions applied through both at once: each"
	   " numbered once, 2 to %d", 2 * PUTS_EACH, 2 * PUTS_EACH + 1);
	for (i = 1; i < PUTS_EACH; i++)
		if (pa.versions[i] <= pa.versions[i - 1] ||
		    pb.versions[i] <= pb.versions[i - 1])
			break;
	ok(i == PUTS_EACH, "each controller's versions ascend");
	r = agent(a, "GET", "/api/v1/agent/policy?since=0&wait=1", NULL);
	ok(r.status == 200 && api_int(&r, "version") == 2 * PUTS_EACH + 1,
	   "the first serves the newest (%lld)",
	   (long long)api_int(&r, "version"));
	api_resp_free(&r);
	r = agent(b, "GET", "/api/v1/agent/policy?since=0&wait=1", NULL);
	ok(r.status == 200 && api_int(&r, "version") == 2 * PUTS_EACH + 1,
	   "and so does the second (%lld)",
	   (long long)api_int(&r, "version"));
	api_resp_free(&r);
}

/* ---- remediation ---- */

static const char policy[] =
	"{\"remediation\": {\"budget_per_hour\": 10, \"rules\": ["
	"{\"name\": \"restart\", \"when\": \"unreachable\", \"for\": 0,"
	" \"action\": \"hook\", \"hook\": \"restart\", \"max_per_hour\": 10}"
	"]}}";

/* 1 if ctl runs the rules, 0 if not, -1 if /metrics does not say. */
static int leads(struct xm_ctl *ctl)
{
	struct api_resp r = request(ctl, "GET", "/metrics", NULL, NULL, NULL);
	const char *k = "\nxmesh_controller_remediation_leader{site=\"default\"} ";
	const char *at = r.body.data ? strstr(r.body.data, k) : NULL;
	int v = at ? at[strlen(k)] - '0' : -1;

	api_resp_free(&r);
	return v;
}

/* How often the hook ran for node: lines "node" in out. */
static int runs(uint32_t node)
{
	char line[64];
	int n = 0;
	FILE *f = fopen(out, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += (uint32_t)strtoul(line, NULL, 10) == node;
	fclose(f);
	return n;
}

/* The actions of the log (through ctl: the same store). */
static int acts(struct xm_ctl *ctl, uint32_t node)
{
	struct api_resp r = request(ctl, "GET",
				    "/api/v1/remediation/log?limit=1000", tok_op,
				    NULL, NULL);
	json_object *a;
	size_t i;
	int n = 0;

	if (r.status == 200 &&
	    json_object_object_get_ex(r.json, "entries", &a))
		for (i = 0; i < json_object_array_length(a); i++) {
			json_object *e = json_object_array_get_idx(a, i), *v;

			if (api_json_int(e, "node") == node &&
			    json_object_object_get_ex(e, "verdict", &v) &&
			    !strcmp(json_object_get_string(v), "act"))
				n++;
		}
	api_resp_free(&r);
	return n;
}

static void silent(uint32_t node)
{
	struct xm_store *s;
	char err[256];

	s = xm_store_open(db, err, sizeof(err));
	if (!s) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	xm_store_agent_seen(s, node, time(NULL) - 100, 0);
	xm_store_close(s);
}

static void test_remediation(struct xm_ctl **a, struct xm_ctl **b)
{
	struct xm_ctl *lead, *other;
	double t0;
	struct api_resp r;
	int i, la = -1, lb = -1;

	r = request(*a, "PUT", "/api/v1/policy", tok_op, policy, NULL);
	ok(r.status == 200, "a policy with a restart rule");
	api_resp_free(&r);
	silent(8);
	silent(9);
	for (i = 0; i < 300 && (runs(8) < 1 || runs(9) < 1); i++)
		usleep(100000);
	usleep(1000000);	/* more ticks of both: none acts again */
	ok(runs(8) == 1 && runs(9) == 1 && acts(*a, 8) == 1 &&
	   acts(*b, 9) == 1, "nodes 8 and 9 restarted once each, logged once"
	   " (runs %d %d, log %d %d)", runs(8), runs(9), acts(*a, 8),
	   acts(*a, 9));
	la = leads(*a);
	lb = leads(*b);
	ok(la + lb == 1 && la >= 0 && lb >= 0,
	   "one controller runs the rules (%d, %d)", la, lb);
	lead = la == 1 ? *a : *b;
	other = lead == *a ? *b : *a;
	/* The holder ends: its session, and the lock, with it. */
	xm_ctl_stop(lead);
	t0 = mono();
	for (i = 0; i < 300 && leads(other) != 1; i++)
		usleep(100000);
	ok(leads(other) == 1, "the other takes the rules over");
	printf("# taken over %.0f ms after the holder stopped (tick %u ms)\n",
	       (mono() - t0) * 1000, cfg.remedy_tick_ms);
	usleep(1500000);	/* many ticks of the new engine */
	ok(runs(8) == 1 && runs(9) == 1 && acts(other, 8) == 1 &&
	   acts(other, 9) == 1, "it does not act again on 8 and 9 (runs %d"
	   " %d, log %d %d)", runs(8), runs(9), acts(other, 8),
	   acts(other, 9));
	silent(10);
	for (i = 0; i < 300 && runs(10) < 1; i++)
		usleep(100000);
	usleep(1000000);
	ok(runs(10) == 1 && acts(other, 10) == 1,
	   "it acts on a new silent node 10, once (runs %d, log %d)",
	   runs(10), acts(other, 10));
	/* The stopped one back: the rules stay where they are. */
	lead = start();
	usleep(1000000);
	ok(leads(lead) == 0 && leads(other) == 1,
	   "the one restarted waits: the other keeps the rules");
	*a = lead;
	*b = other;
}

int main(void)
{
	struct xm_ctl *a, *b;

	if (!test_pg()) {
		ok(true, "# SKIP two controllers share a PostgreSQL store only");
		return tap_done();
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setup();
	a = start();
	b = start();
	test_long_poll(a, b);
	test_order(a, b);
	test_remediation(&a, &b);
	xm_ctl_stop(a);
	xm_ctl_stop(b);
	while (n_hooks)
		xm_hooks_free(hooks[--n_hooks]);
	unlink(out);
	rmdir(dir);
	curl_global_cleanup();
	return tap_done();
}
