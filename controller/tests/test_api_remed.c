// SPDX-License-Identifier: GPL-2.0
/*
 * Remediation, token revocation and bounded lists through the real
 * server on a loopback port: a policy's rules fire on agents not heard
 * from, run a command hook with the node in its environment, stop at the
 * budget, decide without acting in dry run, drain through the policy,
 * a reweight undone when its link recovers, log every decision and outcome (GET /api/v1/remediation/log)
 * and put both on the event stream as they come; a
 * revoked token is refused at once; list pages by limit and cursor; bad
 * input of every kind.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <json-c/json.h>
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

static struct xm_ctl_config cfg;
static struct xm_ctl *ctl;
static uint8_t auth_sk[64], node_sk[64];
static struct xm_cert node;
static char node_b64[TEST_CERT_B64_MAX];
static char tok_read[65], tok_op[65], tok_admin[65];
static char db[256], out[256], dir[64] = "/tmp/xmesh-api-remed.XXXXXX";

static struct api_resp request(const char *method, const char *path,
			       const char *token, const char *body,
			       struct curl_slist *hdrs)
{
	return api_request(ctl, method, path, token, body,
			   body ? strlen(body) : 0, hdrs);
}

static struct api_resp get(const char *path, const char *token)
{
	return request("GET", path, token, NULL, NULL);
}

static void refused(struct api_resp r, long status, const char *location,
		    const char *name)
{
	bool pass = r.status == status &&
		    !strcmp(api_str(&r, "error.location"), location);

	ok(pass, "%s: %ld", name, status);
	if (!pass)
		printf("#   got %ld %s\n", r.status,
		       r.body.data ? r.body.data : "");
	api_resp_free(&r);
}

/* A signed agent request of node 7. */
static struct api_resp agent(const char *method, const char *path,
			     const char *body)
{
	return request(method, path, NULL, body,
		       api_signed_headers(node_sk, node_b64, method, path, body,
					  strlen(body), time(NULL)));
}

static void setup(void)
{
	int64_t now = time(NULL);
	struct xm_store *s;
	char spec[512];

	api_config(&cfg, dir, db, sizeof(db), auth_sk, NULL, now);
	snprintf(out, sizeof(out), "%s/restarted", dir);
	test_cert(&node, XM_CERT_NODE, 3, 7, now, node_sk, auth_sk, node_b64);
	cfg.longpoll_max_s = 30;
	api_remedy_quick(&cfg);
	cfg.hooks = xm_hooks_new(10);
	snprintf(spec, sizeof(spec), "restart command echo $XMESH_NODE_ID"
		 " $XMESH_RULE >> %s; echo restarted $XMESH_NODE_ID", out);
	api_hook(cfg.hooks, spec);
	s = api_store(db);
	api_token(s, tok_read, XM_ROLE_READ, "viewer");
	api_token(s, tok_op, XM_ROLE_OPERATOR, "ops");
	api_token(s, tok_admin, XM_ROLE_ADMIN, "root");
	/* Two agents long silent. */
	xm_store_agent_seen(s, 8, now - 100, 0);
	xm_store_agent_seen(s, 9, now - 100, 0);
	xm_store_close(s);
}

static void start(void)
{
	ctl = api_start(&cfg);
}

/* ---- tokens ---- */

static void test_revoke(void)
{
	char tok[65], path[128];
	struct api_resp r;

	r = request("POST", "/api/v1/tokens", tok_admin,
		    "{\"role\": \"operator\", \"name\": \"temp\"}", NULL);
	snprintf(tok, sizeof(tok), "%s", api_str(&r, "token"));
	ok(r.status == 201 && strlen(tok) == 64, "a token made");
	api_resp_free(&r);
	r = get("/api/v1/policy/history", tok);
	ok(r.status == 200, "it works");
	api_resp_free(&r);
	refused(request("DELETE", "/api/v1/tokens/temp", tok_op, NULL, NULL),
		403, "header Authorization", "an operator cannot revoke");
	refused(request("DELETE", "/api/v1/tokens/temp", NULL, NULL, NULL),
		401, "header Authorization", "no token cannot revoke");
	refused(request("GET", "/api/v1/tokens/temp", tok_admin, NULL, NULL),
		405, "method", "GET a token: not allowed");
	refused(request("DELETE", "/api/v1/tokens/temp", tok_admin, "{}",
			NULL), 413, "body", "a body with DELETE");
	r = request("DELETE", "/api/v1/tokens/temp", tok_admin, NULL, NULL);
	ok(r.status == 200 && api_int(&r, "revoked") == 1 &&
	   !strcmp(api_str(&r, "name"), "temp"), "the admin revokes it");
	api_resp_free(&r);
	refused(get("/api/v1/policy/history", tok), 401,
		"header Authorization", "the revoked token is refused at once");
	refused(request("DELETE", "/api/v1/tokens/temp", tok_admin, NULL,
			NULL), 404, "path", "revoked again: no such token");
	refused(request("DELETE", "/api/v1/tokens/", tok_admin, NULL, NULL),
		404, "path", "no name: no such resource");
	refused(request("DELETE", "/api/v1/tokens/a/b", tok_admin, NULL,
			NULL), 404, "path", "a name with a slash: none");
	refused(request("DELETE", "/api/v1/tokens/a%20b", tok_admin, NULL,
			NULL), 400, "path", "a name with a blank: 400");
	memset(path, 0, sizeof(path));
	snprintf(path, sizeof(path), "/api/v1/tokens/%040d", 1);
	refused(request("DELETE", path, tok_admin, NULL, NULL), 400, "path",
		"a name too long: 400");
	r = get("/api/v1/audit?limit=1", tok_read);
	ok(r.status == 200 && r.body.data &&
	   strstr(r.body.data, "\"action\":\"token.revoke\"") &&
	   strstr(r.body.data, "\"actor\":\"root\""),
	   "the revocation is the newest audit entry, by root");
	api_resp_free(&r);
}

/* ---- pages ---- */

static size_t count(const struct api_resp *r, const char *key)
{
	json_object *a;

	if (!r->json || !json_object_object_get_ex(r->json, key, &a))
		return 0;
	return json_object_array_length(a);
}

static void test_pages(void)
{
	char path[128];
	int64_t seen[64], next;
	size_t n = 0, i, pages = 0;
	bool repeat = false;
	struct api_resp r;

	refused(get("/api/v1/audit?limit=0", tok_read), 400, "query limit",
		"limit 0");
	refused(get("/api/v1/audit?limit=1001", tok_read), 400, "query limit",
		"limit above 1000");
	refused(get("/api/v1/audit?limit=x", tok_read), 400, "query limit",
		"limit not a number");
	refused(get("/api/v1/audit?limit=-1", tok_read), 400, "query limit",
		"limit negative");
	refused(get("/api/v1/audit?before=1e3", tok_read), 400,
		"query before", "before not an integer");
	refused(get("/api/v1/audit?after=1", tok_read), 400, "query",
		"after on a newest-first list");
	refused(get("/api/v1/agents?before=1", tok_read), 400, "query",
		"before on the agents");
	refused(get("/api/v1/remediation/log?since=1", tok_read), 400,
		"query", "an unknown parameter");
	refused(get("/api/v1/remediation/log", NULL), 401,
		"header Authorization", "the log needs a token");
	refused(request("POST", "/api/v1/remediation/log", tok_admin, "{}",
			NULL), 405, "method", "the log is read only");
	/* The audit log, 1 at a time, to its end. */
	snprintf(path, sizeof(path), "/api/v1/audit?limit=1");
	for (;;) {
		json_object *a;

		r = get(path, tok_read);
		if (r.status != 200 || count(&r, "entries") != 1)
			break;
		pages++;
		json_object_object_get_ex(r.json, "entries", &a);
		for (i = 0; i < json_object_array_length(a) && n < 64; i++) {
			int64_t id = api_json_int(json_object_array_get_idx(a, i),
					  "id");
			size_t k;

			for (k = 0; k < n; k++)
				repeat |= seen[k] == id;
			seen[n++] = id;
		}
		next = api_int(&r, "next");
		api_resp_free(&r);
		if (next < 0)
			break;
		snprintf(path, sizeof(path), "/api/v1/audit?limit=1&before=%lld",
			 (long long)next);
	}
	api_resp_free(&r);
	ok(n == 2 && !repeat && pages == n,
	   "the audit log by pages of 1: %zu entries in %zu pages, none"
	   " twice", n, pages);
	for (i = 1; i < n; i++)
		if (seen[i] >= seen[i - 1])
			break;
	ok(i == n, "ids descending across pages");
	r = get("/api/v1/agents?limit=1", tok_read);
	ok(r.status == 200 && count(&r, "agents") == 1 &&
	   api_int(&r, "next") == 8, "agents by 1: node 8, next after 8");
	api_resp_free(&r);
	r = get("/api/v1/agents?limit=1&after=8", tok_read);
	ok(r.status == 200 && count(&r, "agents") == 1 &&
	   api_int(&r, "next") == -1 && strstr(r.body.data, "\"node\":9"),
	   "then node 9, the last page: without next");
	api_resp_free(&r);
	r = get("/api/v1/agents?after=9", tok_read);
	ok(r.status == 200 && count(&r, "agents") == 0 &&
	   api_int(&r, "next") == -1, "after 9: none");
	api_resp_free(&r);
}

/* ---- remediation ---- */

static const char policy[] =
	"{\"remediation\": {\"budget_per_hour\": 3, \"rules\": ["
	"{\"name\": \"restart\", \"when\": \"unreachable\", \"for\": 0,"
	" \"action\": \"hook\", \"hook\": \"restart\", \"max_per_hour\": 10},"
	"{\"name\": \"watch\", \"when\": \"unreachable\", \"for\": 0,"
	" \"action\": \"notify\", \"dry_run\": true, \"max_per_hour\": 10},"
	"{\"name\": \"errors\", \"when\": \"error-rate\", \"threshold\": 5,"
	" \"for\": 0, \"action\": \"drain\", \"max_per_hour\": 10}]}}";

struct tally {
	int act_ok, dry, budget, drain, recovered, pending;
	bool drain_outcome_ok;
	char drain_outcome[256], recovered_outcome[256];
};

/* The log, read whole: what it holds. */
static struct tally tally(void)
{
	struct tally t = { 0 };
	json_object *a;
	struct api_resp r = get("/api/v1/remediation/log?limit=1000", tok_read);
	size_t i;

	if (r.status != 200 ||
	    !json_object_object_get_ex(r.json, "entries", &a)) {
		api_resp_free(&r);
		return t;
	}
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		const char *v = api_json_str(e, "verdict"), *rule = api_json_str(e, "rule");
		const char *o = api_json_str(e, "outcome");

		if (!strcmp(rule, "restart") && !strcmp(v, "act")) {
			if (!strncmp(o, "ok: exit 0: restarted", 21))
				t.act_ok++;
			else if (!*o)
				t.pending++;
		}
		t.dry += !strcmp(v, "dry-run") && !strcmp(rule, "watch") &&
			 !strcmp(o, "none: dry run");
		t.budget += !strcmp(v, "budget");
		if (!strcmp(rule, "errors") && !strcmp(v, "act")) {
			t.drain++;
			snprintf(t.drain_outcome, sizeof(t.drain_outcome),
				 "%s", o);
		}
		if (!strcmp(v, "recovered") && !strcmp(rule, "errors")) {
			t.recovered++;
			snprintf(t.recovered_outcome,
				 sizeof(t.recovered_outcome), "%s", o);
		}
	}
	api_resp_free(&r);
	return t;
}

/* The remediation log entries a stream carried ("event: remediation"),
 * in order, into entries. */
static void stream_entries(const char *buf, json_object *entries)
{
	static const char head[] = "event: remediation\ndata: ";
	const char *p;

	for (p = buf; (p = strstr(p, head)); ) {
		const char *end = strchr(p += strlen(head), '\n');
		json_object *e = end ? json_tokener_parse(
			strndupa(p, (size_t)(end - p))) : NULL;

		if (e)
			json_object_array_add(entries, e);
	}
}

/* A hook's decision on the stream as it is logged (its id, verdict act,
 * outcome pending), then again with the hook's outcome: as the log has
 * it. */
static void check_stream(const struct api_stream *sa)
{
	json_object *seen = json_object_new_array();
	int64_t pending[2] = { 0 }, id = 0;
	const char *done = NULL;
	struct api_resp r;
	char path[96];
	size_t i, n = 0, k;

	stream_entries(sa->buf, seen);
	for (i = 0; i < json_object_array_length(seen); i++) {
		json_object *e = json_object_array_get_idx(seen, i);
		const char *o = api_json_str(e, "outcome");

		if (n < 2 && !strcmp(api_json_str(e, "rule"), "restart") &&
		    !strcmp(api_json_str(e, "verdict"), "act") && !*o)
			pending[n++] = api_json_int(e, "id");
		for (k = 0; k < n && !done; k++)
			if (api_json_int(e, "id") == pending[k] &&
			    !strncmp(o, "ok: exit 0: restarted", 21)) {
				id = pending[k];
				done = o;
			}
	}
	ok(sa->status == 200 && n == 2 && pending[0] > 0, "the stream: the"
	   " hook's decisions as they are logged, their ids (%lld, %lld),"
	   " verdict act, outcome pending",
	   (long long)pending[0], (long long)pending[1]);
	snprintf(path, sizeof(path), "/api/v1/remediation/log?before=%lld"
		 "&limit=1", (long long)id + 1);
	r = get(path, tok_read);
	ok(done && api_int(&r, "entries.0.id") == id &&
	   !strcmp(api_str(&r, "entries.0.outcome"), done),
	   "the stream: its outcome when the hook ended, as the log has"
	   " it: %s", done ? done : "(none)");
	api_resp_free(&r);
	json_object_put(seen);
}

static void test_remediation(void)
{
	struct api_stream sa = { .ctl = ctl, .token = tok_read, .query = "",
				 .until = "\"outcome\":\"ok: exit 0: restarted" };
	pthread_t th;
	struct xm_remedy_target n7 = { 7, 0 };
	struct tally t;
	struct api_resp r;
	char text[256] = "";
	FILE *f;
	int i;

	/* Nodes 8 and 9, silent since before the start, are so from the
	 * start; node 7 is heard from a second later. */
	sleep(1);
	r = agent("POST", "/api/v1/agent/report", "{\"policy_version\": 0}");
	ok(r.status == 400 || r.status == 200, "node 7 is heard from");
	api_resp_free(&r);
	/* A stream open (its first comment read) before the rules are. */
	pthread_create(&th, NULL, api_stream_read, &sa);
	for (i = 0; i < 100 && !__atomic_load_n(&sa.len, __ATOMIC_ACQUIRE);
	     i++)
		usleep(50000);
	r = request("PUT", "/api/v1/policy", tok_op, policy, NULL);
	ok(r.status == 200, "a policy with remediation rules");
	api_resp_free(&r);
	xm_ctl_remedy_sample(ctl, XM_REMEDY_ERROR_RATE, n7, 50, time(NULL));
	/* Nodes 8 and 9 two seconds after the start, node 7 two seconds
	 * after its report. */
	for (i = 0; i < 300; i++) {
		t = tally();
		if (t.act_ok == 2 && t.budget >= 1 && t.dry == 3 && t.drain)
			break;
		usleep(100000);
	}
	ok(t.act_ok == 2 && !t.pending,
	   "the hook restarted the two silent nodes (%d)", t.act_ok);
	pthread_join(th, NULL);
	check_stream(&sa);
	ok(t.drain == 1, "the error rate of node 7 drained it: %s",
	   t.drain_outcome);
	ok(!strncmp(t.drain_outcome, "ok: policy version ", 19) ||
	   !strncmp(t.drain_outcome, "failed: the policy refuses it: /drain",
		    37) ||
	   strstr(t.drain_outcome, "\"drain\""),
	   "through a new policy version (or refused by a policy format"
	   " without drain)");
	ok(t.budget >= 1, "node 7's restart: over the budget of 3 (%d)",
	   t.budget);
	ok(t.dry == 3, "the dry-run rule decided on all three, did nothing"
	   " (%d)", t.dry);
	f = fopen(out, "r");
	if (f) {
		size_t n = fread(text, 1, sizeof(text) - 1, f);

		text[n] = '\0';
		fclose(f);
	}
	ok(strstr(text, "8 restart\n") && strstr(text, "9 restart\n") &&
	   !strstr(text, "7 "), "the hook ran for nodes 8 and 9 only, with"
	   " the node in its environment");
	xm_ctl_remedy_sample(ctl, XM_REMEDY_ERROR_RATE, n7, 1, time(NULL));
	for (i = 0; i < 100 && !t.recovered; i++) {
		usleep(100000);
		t = tally();
	}
	ok(t.recovered == 1, "the error rate back down: recovered");
	/* The rule drained node 7 itself: its drain lifted with it. */
	ok(strstr(t.recovered_outcome, "; drain lifted: policy version ") ||
	   !strncmp(t.drain_outcome, "failed", 6),
	   "the rule's own drain lifted on recovery: %s",
	   t.recovered_outcome);
	r = get("/api/v1/policy", tok_read);
	ok(r.status == 200 && r.body.data &&
	   !strstr(r.body.data, "\"drain\"") &&
	   strstr(r.body.data, "remediation"),
	   "the version in force has no drain, by remediation");
	api_resp_free(&r);
	r = get("/api/v1/audit?limit=1000", tok_read);
	ok(r.body.data && strstr(r.body.data, "remediation.act") &&
	   strstr(r.body.data, "remediation.outcome") &&
	   strstr(r.body.data, "remediation.budget"),
	   "decisions and outcomes in the audit log");
	api_resp_free(&r);
	r = get("/api/v1/remediation/log?limit=1", tok_read);
	ok(r.status == 200 && count(&r, "entries") == 1 &&
	   api_int(&r, "next") > 0, "the log by pages");
	api_resp_free(&r);
	r = get("/metrics", NULL);
	ok(r.body.data && strstr(r.body.data,
		"xmesh_controller_remediation_total{site=\"default\",verdict=\"act\"}") &&
	   strstr(r.body.data, "xmesh_controller_remediation_budget_used{site=\"default\"} 3\n") &&
	   strstr(r.body.data, "xmesh_controller_remediation_targets{site=\"default\"} ") &&
	   strstr(r.body.data, "xmesh_controller_remediation_targets_refused_total{site=\"default\"} 0\n"),
	   "/metrics: decisions, the budget used, the targets kept");
	api_resp_free(&r);
}

static void test_restart(void)
{
	struct api_resp r;

	xm_ctl_stop(ctl);
	start();
	r = get("/api/v1/remediation/log?limit=1000", tok_read);
	ok(r.status == 200 && count(&r, "entries") >= 8,
	   "a restart keeps the log (%zu)", count(&r, "entries"));
	api_resp_free(&r);
	/* The engine starts afresh, but not its budget. */
	usleep(500000);
	r = get("/metrics", NULL);
	ok(r.body.data && strstr(r.body.data,
		"xmesh_controller_remediation_budget_used{site=\"default\"} 3\n"),
	   "the budget used survives the restart (from the log)");
	api_resp_free(&r);
}

/* ---- a reweight undone ---- */

static const char policy_rw[] =
	"{\"reweight\": [{\"link\": [5, 6], \"metric\": 40}],"
	" \"remediation\": {\"budget_per_hour\": 100, \"rules\": ["
	"{\"name\": \"lossy\", \"when\": \"link-loss\", \"threshold\": 10,"
	" \"for\": 0, \"action\": \"reweight\", \"metric\": 5000,"
	" \"max_per_hour\": 10}]}}";

/* The outcome of rule lossy's newest decision VERDICT on link node-peer
 * in the log, "" if none (or still running). */
static void lossy_outcome(uint32_t node, uint32_t peer, const char *verdict,
			  char *o, size_t len)
{
	struct api_resp r = get("/api/v1/remediation/log?limit=1000", tok_read);
	json_object *a, *e, *v;
	size_t i;

	*o = '\0';
	if (r.status == 200 &&
	    json_object_object_get_ex(r.json, "entries", &a))
		for (i = 0; i < json_object_array_length(a) && !*o; i++) {
			e = json_object_array_get_idx(a, i);
			if (strcmp(api_json_str(e, "rule"), "lossy") ||
			    strcmp(api_json_str(e, "verdict"), verdict) ||
			    !json_object_object_get_ex(e, "node", &v) ||
			    json_object_get_int64(v) != node ||
			    !json_object_object_get_ex(e, "peer", &v) ||
			    json_object_get_int64(v) != peer)
				continue;
			snprintf(o, len, "%s", api_json_str(e, "outcome"));
		}
	api_resp_free(&r);
}

/* Link a-b's metric in the policy in force: -1 no entry, -2 no
 * reweight, -3 no policy. */
static int64_t reweight_in_force(uint32_t a, uint32_t b)
{
	struct api_resp r = get("/api/v1/policy", tok_read);
	json_object *doc = NULL, *rw, *x, *l;
	int64_t m = -3, p, q;
	size_t i;

	if (r.status == 200 && r.body.data)
		doc = json_tokener_parse(api_str(&r, "policy"));
	if (doc)
		m = json_object_object_get_ex(doc, "reweight", &rw) ? -1 : -2;
	for (i = 0; m == -1 && i < json_object_array_length(rw); i++) {
		x = json_object_array_get_idx(rw, i);
		json_object_object_get_ex(x, "link", &l);
		p = json_object_get_int64(json_object_array_get_idx(l, 0));
		q = json_object_get_int64(json_object_array_get_idx(l, 1));
		if (((p == a && q == b) || (p == b && q == a)) &&
		    json_object_object_get_ex(x, "metric", &l))
			m = json_object_get_int64(l);
	}
	json_object_put(doc);
	api_resp_free(&r);
	return m;
}

/*
 * A reweight rule on two links: 7-8 with no entry before the rule's,
 * 5-6 with the operator's metric 40. Each recovers: 7-8's entry goes,
 * 5-6's metric is 40 again.
 */
static void test_reweight_undone(void)
{
	struct xm_remedy_target l78 = { 7, 8 }, l56 = { 5, 6 };
	char o78[256] = "", o56[256] = "";
	struct api_resp r;
	int i;

	r = request("PUT", "/api/v1/policy", tok_op, policy_rw, NULL);
	ok(r.status == 200, "a policy with a reweight rule, 5-6 at 40");
	api_resp_free(&r);
	for (i = 0; i < 100 && (!*o78 || !*o56); i++) {
		xm_ctl_remedy_sample(ctl, XM_REMEDY_LINK_LOSS, l78, 50,
				     time(NULL));
		xm_ctl_remedy_sample(ctl, XM_REMEDY_LINK_LOSS, l56, 50,
				     time(NULL));
		usleep(100000);
		lossy_outcome(7, 8, "act", o78, sizeof(o78));
		lossy_outcome(5, 6, "act", o56, sizeof(o56));
	}
	ok(!strncmp(o78, "ok: policy version ", 19) &&
	   !strncmp(o56, "ok: policy version ", 19),
	   "both lossy links reweighted: %s; %s", o78, o56);
	ok(reweight_in_force(7, 8) == 5000 && reweight_in_force(5, 6) == 5000,
	   "both at 5000 in the version in force");
	*o78 = *o56 = '\0';
	for (i = 0; i < 100 && (!*o78 || !*o56); i++) {
		xm_ctl_remedy_sample(ctl, XM_REMEDY_LINK_LOSS, l78, 1,
				     time(NULL));
		xm_ctl_remedy_sample(ctl, XM_REMEDY_LINK_LOSS, l56, 1,
				     time(NULL));
		usleep(100000);
		lossy_outcome(7, 8, "recovered", o78, sizeof(o78));
		lossy_outcome(5, 6, "recovered", o56, sizeof(o56));
	}
	ok(strstr(o78, "; reweight undone: policy version ") &&
	   strstr(o56, "; reweight undone: policy version "),
	   "both recovered, their reweights undone: %s; %s", o78, o56);
	ok(reweight_in_force(7, 8) == -1,
	   "7-8 has no entry again (it had none before the rule's)");
	ok(reweight_in_force(5, 6) == 40,
	   "5-6 is at the operator's 40 again");
	r = get("/api/v1/policy", tok_read);
	ok(r.status == 200 && !strcmp(api_str(&r, "author"), "remediation"),
	   "the version in force is remediation's");
	api_resp_free(&r);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setup();
	start();
	test_revoke();
	test_pages();
	test_remediation();
	test_restart();
	test_reweight_undone();
	xm_ctl_stop(ctl);
	xm_hooks_free(cfg.hooks);
	curl_global_cleanup();
	printf("1..%d\n", tap_n);
	return tap_done();
}
