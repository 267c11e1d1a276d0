// SPDX-License-Identifier: GPL-2.0
/*
 * The controller's API against the real server (server.h) on a loopback
 * port, through libcurl: operator tokens and roles, policy put, history
 * and rollback, bad input of every kind (malformed JSON, wrong types,
 * huge bodies, bad tokens), agents' signed requests (replays, stale,
 * forged, foreign certificates), the long poll, /metrics, and a restart
 * that loses nothing.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent_auth.h"
#include "api_client.h"
#include "certs.h"
#include "json_path.h"
#include "policy.h"
#include "policy_agent.h"
#include "server.h"
#include "store.h"
#include "stores.h"
#include "tap.h"
#include "xmesh_http.h"

#ifndef EXAMPLE
#define EXAMPLE "examples/site-policy.json"
#endif

#define PER_ADDRESS	16
#define BODY_BUDGET	(6 << 20)	/* an address's share: 4 MiB */
#define BODY_PER_NODE	(5 << 20)
#define BODY_DEADLINE	3		/* at the end, after a restart */
#define MiB		(1 << 20)

static struct xm_ctl_config cfg;
static struct xm_ctl *ctl;
static uint8_t auth_sk[64], policy_pk[32], node_sk[64], rogue_sk[64];
static uint8_t node2_sk[64];
static struct xm_cert node, node2, rogue_auth, rogue_node;
static char node_b64[TEST_CERT_B64_MAX], rogue_b64[TEST_CERT_B64_MAX];
static char node2_b64[TEST_CERT_B64_MAX];
static char policy_b64[TEST_CERT_B64_MAX];
static char tok_read[65], tok_op[65], tok_admin[65];
static char db[256], dir[64] = "/tmp/xmesh-api.XXXXXX";

static struct api_resp request(const char *method, const char *path,
			       const char *token, const char *body, size_t len,
			       struct curl_slist *hdrs)
{
	return api_request(ctl, method, path, token, body, len, hdrs);
}

static struct api_resp req_s(const char *method, const char *path,
			     const char *token, const char *body)
{
	return request(method, path, token, body, body ? strlen(body) : 0,
		       NULL);
}

/* A refusal: status, error.location, and a reason containing why. */
static void refused(struct api_resp r, long status, const char *location,
		    const char *why, const char *name)
{
	bool pass = r.status == status &&
		    !strcmp(api_str(&r, "error.location"), location) &&
		    strstr(api_str(&r, "error.reason"), why) &&
		    api_int(&r, "error") != -1;

	ok(pass, "%s: %ld", name, status);
	if (!pass)
		printf("#   got %ld %s\n", r.status, r.body.data ? r.body.data : "");
	api_resp_free(&r);
}

static uint64_t current_version(void)
{
	struct api_resp r = req_s("GET", "/api/v1/policy", tok_read, NULL);
	uint64_t v = r.status == 200 ? (uint64_t)api_int(&r, "version") : 0;

	api_resp_free(&r);
	return v;
}

/* ---- keys ---- */

static void setup(void)
{
	int64_t now = time(NULL);
	struct xm_store *s;

	api_config(&cfg, dir, db, sizeof(db), auth_sk, policy_b64, now);
	memcpy(policy_pk, cfg.policy_cert.pubkey, 32);
	test_cert(&node, XM_CERT_NODE, 3, 7, now, node_sk, auth_sk, node_b64);
	test_cert(&node2, XM_CERT_NODE, 4, 8, now, node2_sk, auth_sk,
		  node2_b64);
	/* The same node id and site, from another authority. */
	test_cert(&rogue_auth, XM_CERT_AUTHORITY, 1, 0, now, rogue_sk, NULL,
		  NULL);
	test_cert(&rogue_node, XM_CERT_NODE, 3, 7, now, rogue_sk, rogue_sk,
		  rogue_b64);
	cfg.longpoll_max_s = 30;
	cfg.per_address = PER_ADDRESS;
	cfg.body_budget = BODY_BUDGET;
	cfg.body_per_node = BODY_PER_NODE;
	cfg.rows_every_s = 1;
	s = api_store(db);
	api_token(s, tok_read, XM_ROLE_READ, "viewer");
	api_token(s, tok_op, XM_ROLE_OPERATOR, "ops");
	api_token(s, tok_admin, XM_ROLE_ADMIN, "root");
	xm_store_close(s);
}

static void start(void)
{
	ctl = api_start(&cfg);
}

/* ---- operators ---- */

static void test_tokens(void)
{
	char bad[80];
	struct api_resp r;

	refused(req_s("GET", "/api/v1/policy", NULL, NULL), 401,
		"header Authorization", "API token is required", "no token");
	refused(req_s("GET", "/api/v1/policy", "secret", NULL), 401,
		"header Authorization", "64 hex digits", "a malformed token");
	memset(bad, 'a', 64);
	bad[64] = '\0';
	refused(req_s("GET", "/api/v1/policy", bad, NULL), 401,
		"header Authorization", "unknown token", "an unknown token");
	bad[0] = 'G';
	refused(req_s("GET", "/api/v1/policy", bad, NULL), 401,
		"header Authorization", "64 hex digits", "a non-hex token");
	refused(req_s("GET", "/api/v1/policy", tok_read, NULL), 404, "policy",
		"no policy yet", "no policy at first");
	refused(req_s("PUT", "/api/v1/policy", tok_read, "{}"), 403,
		"header Authorization", "read-only; this needs operator",
		"a read-only token cannot put");
	refused(req_s("POST", "/api/v1/tokens", tok_op,
		      "{\"role\":\"admin\",\"name\":\"x\"}"), 403,
		"header Authorization", "needs admin",
		"an operator cannot make tokens");
	refused(req_s("POST", "/api/v1/tokens", tok_admin,
		      "{\"role\":\"god\",\"name\":\"x\"}"), 400, "/role",
		"read-only, operator or admin", "an unknown role");
	refused(req_s("POST", "/api/v1/tokens", tok_admin,
		      "{\"role\":\"operator\",\"name\":\"a b\"}"), 400,
		"/name", "expected a name", "a name with a blank");
	r = req_s("POST", "/api/v1/tokens", tok_admin,
		  "{\"role\":\"read-only\",\"name\":\"grafana\"}");
	ok(r.status == 201 && strlen(api_str(&r, "token")) == 64,
	   "an admin makes a token");
	if (r.status == 201) {
		struct api_resp g = req_s("GET", "/api/v1/agents",
					  api_str(&r, "token"), NULL);

		is_int(g.status, 200, "the new token reads");
		api_resp_free(&g);
	}
	api_resp_free(&r);
}

/* A chunked body that never ends: how much of it was read. */
static size_t endless(char *p, size_t size, size_t n, void *arg)
{
	size_t *sent = arg;

	memset(p, ' ', size * n);
	*sent += size * n;
	return size * n;
}

/*
 * A body above the limit is answered without reading it all: a client
 * streaming one without end (chunked, or declaring a length of 1 TB) must
 * not keep a connection (a thread) for as long as it likes.
 */
static void endless_body(const char *token, bool chunked, const char *name)
{
	struct curl_slist *hdrs = NULL;
	char url[128], auth[128];
	CURL *c = curl_easy_init();
	struct api_resp r = { 0 };
	size_t sent = 0;
	CURLcode rc;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/v1/policy",
		 xm_ctl_port(ctl));
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	if (token)
		hdrs = curl_slist_append(hdrs, auth);
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (chunked)
		hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
	else
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)1 << 40);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, endless);
	curl_easy_setopt(c, CURLOPT_READDATA, &sent);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, xm_http_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	/* A deadline only to end the test if the server never answers. */
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	/* Closed with unread data, the connection may be reset before the
	 * client reads the answer: what counts is that it ends, early. */
	ok(rc != CURLE_OPERATION_TIMEDOUT && sent < 64 << 20,
	   "%s is cut short (%s, %ld, %zu MB sent)", name,
	   curl_easy_strerror(rc), r.status, sent >> 20);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	api_resp_free(&r);
}

static void test_policy(void)
{
	struct xm_policy_error perr;
	struct xm_site_policy *p;
	struct api_resp r;
	size_t len, big = XM_POLICY_TEXT_MAX + 1;
	char *doc, *huge;
	FILE *f = fopen(EXAMPLE, "rb");
	struct curl_slist *chunked;
	uint8_t sig[XM_POLICY_SIG_LEN];
	struct xm_cert pc;
	size_t siglen;

	doc = calloc(1, XM_POLICY_TEXT_MAX + 1);
	len = fread(doc, 1, XM_POLICY_TEXT_MAX, f);
	fclose(f);

	r = request("PUT", "/api/v1/policy", tok_op, doc, len, NULL);
	ok(r.status == 200 && api_int(&r, "version") == 1 &&
	   !strcmp(api_str(&r, "changed"), "true"),
	   "an operator puts version 1");
	api_resp_free(&r);
	r = request("PUT", "/api/v1/policy", tok_op, doc, len, NULL);
	ok(r.status == 200 && api_int(&r, "version") == 1 &&
	   !strcmp(api_str(&r, "changed"), "false"),
	   "the same document again is no new version");
	api_resp_free(&r);

	refused(req_s("PUT", "/api/v1/policy", tok_op, "{\"zones\": [\"a\",]}"),
		400, "line 1 column 16", "unexpected", "malformed JSON");
	refused(req_s("PUT", "/api/v1/policy", tok_op, "{\"max_hops\": \"3\"}"),
		400, "/max_hops", "expected an integer, not a string",
		"a wrong type");
	refused(req_s("PUT", "/api/v1/policy", tok_op, ""), 400,
		"line 1 column 1", "ends too early", "an empty body");
	refused(req_s("PUT", "/api/v1/policy", tok_op,
		      "{\"filter\": [\"zone iot 1\", \"zone db 2\", \"policy allow\"],"
		      " \"tests\": [\"zone iot cannot reach zone db on tcp/5432\"]}"),
		400, "/tests/0", "the policy allows it",
		"a policy whose test fails");
	huge = malloc(big);
	memset(huge, ' ', big);
	huge[0] = '{';
	huge[big - 1] = '}';
	refused(request("PUT", "/api/v1/policy", tok_op, huge, big, NULL), 413,
		"body", "larger than", "a huge body (Content-Length)");
	refused(request("PUT", "/api/v1/policy", NULL, huge, big, NULL), 401,
		"header Authorization", "API token is required",
		"a huge body without a token: the token is checked first");
	refused(request("GET", "/api/v1/agents", tok_read, "{}", 2, NULL), 413,
		"body", "GET /api/v1/agents takes no body", "a GET with a body");
	chunked = curl_slist_append(NULL, "Transfer-Encoding: chunked");
	refused(request("PUT", "/api/v1/policy", tok_op, huge, big, chunked),
		413, "body", "larger than", "a huge body, chunked");
	refused(request("POST", "/api/v1/policy/rollback", tok_op, huge,
			(16 * 1024 + 1), NULL), 413, "body", "larger than",
		"a large body elsewhere");
	free(huge);
	endless_body(tok_op, true, "an endless chunked body");
	endless_body(tok_op, false, "a body of 1 TB");
	endless_body(NULL, false, "a body of 1 TB without a token");
	refused(req_s("PUT", "/api/v1/policy?expect=7", tok_op, doc), 409,
		"query expect", "the current version is 1",
		"a put expecting another version");
	refused(req_s("PUT", "/api/v1/policy?expect=x", tok_op, doc), 400,
		"query expect", "expected an integer", "a bad expect");
	refused(req_s("PUT", "/api/v1/policy?force=1", tok_op, doc), 400,
		"query", "unknown parameter \"force\"; this takes: expect",
		"an unknown query parameter");
	refused(req_s("GET", "/metrics?x", tok_read, NULL), 400,
		"query", "unknown parameter \"x\"; this takes: none",
		"a parameter where none is taken");
	is_int((long long)current_version(), 1,
	       "refused puts changed nothing");

	r = req_s("GET", "/api/v1/policy", tok_read, NULL);
	siglen = 0;
	if (r.status == 200)
		sodium_hex2bin(sig, sizeof(sig), api_str(&r, "signature"),
			       strlen(api_str(&r, "signature")), NULL, &siglen,
			       NULL);
	ok(r.status == 200 && !strcmp(api_str(&r, "policy"), doc) &&
	   !strcmp(api_str(&r, "author"), "ops"), "get: the text, its author");
	ok(siglen == sizeof(sig) &&
	   xm_policy_verify(policy_pk, 1, doc, len, sig),
	   "the version is signed by the policy key");
	ok(r.status == 200 &&
	   !xm_cert_check_text(&pc, api_str(&r, "certificate"),
			       strlen(api_str(&r, "certificate")), XM_CERT_POLICY,
			       &cfg.authority, NULL, (uint64_t)time(NULL)) &&
	   !memcmp(pc.pubkey, policy_pk, 32),
	   "with the policy certificate, which the authority signed");
	api_resp_free(&r);

	r = req_s("PUT", "/api/v1/policy", tok_op,
		  "{\"max_hops\": 3, \"filter\": [\"zone web 1\"]}");
	is_int(api_int(&r, "version"), 2, "version 2");
	api_resp_free(&r);
	r = req_s("GET", "/api/v1/policy/history", tok_read, NULL);
	ok(r.status == 200 && r.json &&
	   json_object_array_length(json_object_object_get(r.json,
							   "versions")) == 2,
	   "history: two versions");
	api_resp_free(&r);

	refused(req_s("POST", "/api/v1/policy/rollback", tok_op, "[]"), 400,
		"body", "a JSON object", "a rollback of an array");
	refused(req_s("POST", "/api/v1/policy/rollback", tok_op, "{\"version\""),
		400, "line 1 column 11", "ends too early",
		"a rollback of broken JSON");
	refused(req_s("POST", "/api/v1/policy/rollback", tok_op,
		      "{\"version\": \"1\"}"), 400, "/version",
		"expected an integer", "a version as a string");
	refused(req_s("POST", "/api/v1/policy/rollback", tok_op,
		      "{\"version\": -1}"), 400, "/version", "out of range",
		"a negative version");
	refused(req_s("POST", "/api/v1/policy/rollback", tok_op,
		      "{\"version\": 99}"), 404, "/version", "no such version",
		"a version that does not exist");
	refused(req_s("POST", "/api/v1/policy/rollback", tok_op,
		      "{\"version\": 1, \"force\": true}"), 400, "body",
		"unknown member", "an unknown member");
	refused(req_s("POST", "/api/v1/policy/rollback", tok_read,
		      "{\"version\": 1}"), 403, "header Authorization",
		"needs operator", "a read-only token cannot roll back");
	r = req_s("POST", "/api/v1/policy/rollback", tok_op, "{\"version\": 1}");
	is_int(api_int(&r, "version"), 3, "rollback to 1 makes version 3");
	api_resp_free(&r);
	r = req_s("GET", "/api/v1/policy", tok_read, NULL);
	ok(!strcmp(api_str(&r, "policy"), doc) && api_int(&r, "rollback_of") == 1,
	   "version 3 is version 1's text");
	api_resp_free(&r);
	r = req_s("GET", "/api/v1/policy?version=2", tok_read, NULL);
	p = xm_policy_parse(api_str(&r, "policy"), strlen(api_str(&r, "policy")),
			    &perr);
	ok(api_int(&r, "version") == 2 && p && p->max_hops == 3,
	   "an old version by number");
	xm_policy_free(p);
	api_resp_free(&r);

	refused(req_s("GET", "/api/v1/nothing", tok_read, NULL), 404, "path",
		"no such resource", "an unknown path");
	refused(req_s("DELETE", "/api/v1/policy", tok_op, NULL), 405,
		"method", "allowed: GET, PUT", "an unknown method");
	free(doc);
}

/* ---- agents ---- */

/* The headers of a request signed with sk at time t by cert's owner. */
static struct curl_slist *agent_headers(const uint8_t *sk, const char *cert,
					const char *method, const char *path,
					const char *body, int64_t t)
{
	return api_signed_headers(sk, cert, method, path, body, strlen(body),
				  t);
}

static struct curl_slist *copy_list(struct curl_slist *l)
{
	struct curl_slist *c = NULL;

	for (; l; l = l->next)
		c = curl_slist_append(c, l->data);
	return c;
}

static struct api_resp agent(const char *method, const char *path,
			     const char *body)
{
	return request(method, path, NULL, body, strlen(body),
		       agent_headers(node_sk, node_b64, method, path, body,
				     time(NULL)));
}

struct poll_arg {
	const char *path;
	struct api_resp r;
};

static void *poll_thread(void *arg)
{
	struct poll_arg *a = arg;

	a->r = agent("GET", a->path, "");
	return NULL;
}

static void test_agents(void)
{
	const char *p0 = "/api/v1/agent/policy?since=0";
	struct curl_slist *h, *again;
	struct poll_arg poll = { .path = "/api/v1/agent/policy?since=3&wait=30" };
	pthread_t th;
	struct api_resp r;
	int64_t now = time(NULL);
	bool waiting = false;
	int i;

	h = agent_headers(node_sk, node_b64, "GET", p0, "", now);
	again = copy_list(h);
	r = request("GET", p0, NULL, NULL, 0, h);
	ok(r.status == 200 && api_int(&r, "version") == 3,
	   "a signed agent gets the current version");
	api_resp_free(&r);
	refused(request("GET", p0, NULL, NULL, 0, again), 401,
		"header " XM_AGENT_HDR_NONCE, "replayed", "a replayed request");
	refused(request("GET", p0, NULL, NULL, 0,
			agent_headers(node_sk, node_b64, "GET", p0, "",
				      now - 3600)), 401,
		"header " XM_AGENT_HDR_TIME, "from the controller's clock",
		"a request an hour old");
	refused(request("GET", p0, NULL, NULL, 0,
			agent_headers(node_sk, node_b64, "GET",
				      "/api/v1/agent/policy?since=2", "", now)),
		401, "header " XM_AGENT_HDR_SIG, "does not verify",
		"a request signed for another query");
	refused(request("GET", p0, NULL, NULL, 0,
			agent_headers(rogue_sk, rogue_b64, "GET", p0, "", now)),
		401, "header " XM_AGENT_HDR_CERT, "another key than",
		"a node of another authority");
	refused(request("GET", p0, NULL, NULL, 0,
			agent_headers(cfg.policy_sk, policy_b64, "GET", p0, "",
				      now)),
		401, "header " XM_AGENT_HDR_CERT, "refused",
		"the policy key's certificate as a node's");
	refused(req_s("GET", p0, tok_admin, NULL), 401, "headers",
		"signed agent request", "an operator token is no agent");
	{
		char *big = calloc(1, 64 * 1024);

		refused(request("POST", "/api/v1/agent/report", NULL, big,
				64 * 1024, NULL), 401, "headers",
			"signed agent request", "an unsigned agent request is"
			" refused before its body is read (not 413)");
		free(big);
	}
	refused(agent("GET", "/api/v1/agent/policy?since=abc", ""), 400,
		"query since", "expected an integer", "a bad since");
	refused(agent("GET", "/api/v1/agent/policy?since=3&wait=99", ""), 400,
		"query wait", "0 to 30", "a wait beyond the maximum");
	refused(agent("GET", "/api/v1/agent/policy?since=9", ""), 409,
		"query since", "current version is 3",
		"an agent ahead of the controller is told at once");
	r = agent("GET", "/api/v1/agent/policy?since=3&wait=1", "");
	is_int(r.status, 204, "nothing newer within the wait: 204");
	api_resp_free(&r);

	/* The long poll: answered as soon as a new version is put. */
	pthread_create(&th, NULL, poll_thread, &poll);
	/* Until the controller has it waiting (generous: 20 s). */
	for (i = 0; i < 400 && !waiting; i++) {
		r = req_s("GET", "/metrics", NULL, NULL);
		waiting = r.body.data && strstr(r.body.data, "\nxmesh_controller_agents"
					   "_waiting{site=\"default\"} 1\n");
		api_resp_free(&r);
		if (!waiting)
			usleep(50 * 1000);
	}
	ok(waiting, "the controller counts the agent waiting");
	r = req_s("PUT", "/api/v1/policy", tok_op, "{\"max_hops\": 4}");
	is_int(api_int(&r, "version"), 4, "version 4 put during a long poll");
	api_resp_free(&r);
	pthread_join(th, NULL);
	ok(poll.r.status == 200 && api_int(&poll.r, "version") == 4,
	   "the waiting agent gets version 4 (got %ld)", poll.r.status);
	{
		struct xm_policy_update u;
		struct xm_policy_error err;

		ok(poll.r.body.data &&
		   !xm_policy_accept(poll.r.body.data, poll.r.body.len, &cfg.authority,
				     NULL, (uint64_t)time(NULL), 3, &u, &err) &&
		   u.version == 4 && u.policy->max_hops == 4,
		   "and accepts it: the policy key's certificate and the"
		   " signature verify");
		xm_policy_update_free(&u);
	}
	api_resp_free(&poll.r);

	r = agent("POST", "/api/v1/agent/report", "{\"policy_version\": 4}");
	ok(r.status == 200 && api_int(&r, "node") == 7, "an agent reports");
	api_resp_free(&r);
	refused(agent("POST", "/api/v1/agent/report",
		      "{\"policy_version\": \"4\"}"), 400, "/policy_version",
		"expected an integer", "a report with a string version");
	refused(agent("POST", "/api/v1/agent/report",
		      "{\"policy_version\": 40}"), 400, "/policy_version",
		"does not exist", "a report of a version not made");
	refused(agent("POST", "/api/v1/agent/report", "{\"policy_version\": 4"),
		400, "line 1 column 21", "ends too early",
		"a report of broken JSON");
	refused(agent("POST", "/api/v1/agent/report", "{}"), 400,
		"/policy_version", "required", "a report without a version");
	refused(agent("GET", "/api/v1/agent/report", ""), 405, "method",
		"allowed: POST", "a report by GET");
	r = agent("POST", "/api/v1/agent/report", "{\"policy_version\": 4,"
		  " \"error\": \"version 5 not applied: QoS: refused\"}");
	ok(r.status == 200, "a report with an error (a version not applied)");
	api_resp_free(&r);
	r = agent("POST", "/api/v1/agent/report", "{\"policy_version\": 4,"
		  " \"error\": \"version 5 not applied: QoS: refused\"}");
	ok(r.status == 200, "the same error in the next report");
	api_resp_free(&r);
	r = req_s("GET", "/api/v1/agents", tok_read, NULL);
	ok(r.status == 200 && r.body.data &&
	   strstr(r.body.data, "version 5 not applied: QoS: refused") &&
	   strstr(r.body.data, "\"error_time\""),
	   "agents: node 7's last error, and when");
	api_resp_free(&r);
	r = req_s("GET", "/api/v1/audit", tok_read, NULL);
	ok(r.status == 200 && r.body.data &&
	   strstr(r.body.data, "agent.policy_error") &&
	   strstr(r.body.data, "version 5 not applied: QoS: refused") &&
	   strstr(r.body.data, "node 7"),
	   "the error is in the audit log, the node's");
	{
		const char *e = r.body.data;
		int n = 0;

		while (e && (e = strstr(e, "agent.policy_error")))
			n++, e++;
		is_int(n, 1, "once: the same error again is not audited"
		       " again");
	}
	api_resp_free(&r);
	refused(agent("POST", "/api/v1/agent/report",
		      "{\"policy_version\": 4, \"error\": 3}"), 400, "/error",
		"expected a string", "a report whose error is not a string");
	r = req_s("GET", "/api/v1/agents", tok_read, NULL);
	ok(r.status == 200 && r.body.data &&
	   strstr(r.body.data, "version 5 not applied"),
	   "a refused report leaves the error as it was");
	api_resp_free(&r);
	r = agent("POST", "/api/v1/agent/report", "{\"policy_version\": 4}");
	ok(r.status == 200, "a report without an error (a version applied)");
	api_resp_free(&r);

	r = req_s("GET", "/api/v1/agents", tok_read, NULL);
	{
		json_object *a = NULL, *e = NULL, *v;

		if (r.json && json_object_object_get_ex(r.json, "agents", &a))
			e = json_object_array_get_idx(a, 0);
		ok(e && json_object_array_length(a) == 1 &&
		   json_object_object_get_ex(e, "policy_version", &v) &&
		   json_object_get_int(v) == 4 &&
		   json_object_object_get_ex(e, "current", &v) &&
		   json_object_get_boolean(v) &&
		   !json_object_object_get_ex(e, "error", NULL) &&
		   !json_object_object_get_ex(e, "error_time", NULL),
		   "agents: node 7 runs the current version 4, its error"
		   " cleared");
	}
	api_resp_free(&r);
}

static bool metrics_has(const char *line);
static bool metrics_reach(const char *line);

static void test_metrics(void)
{
	struct api_resp r = req_s("GET", "/metrics", NULL, NULL);

	ok(r.status == 200 && r.body.data &&
	   strstr(r.body.data, "\nxmesh_controller_agents{site=\"default\"} 1\n") &&
	   strstr(r.body.data, "\nxmesh_controller_agents_current{site=\"default\"} 1\n") &&
	   strstr(r.body.data, "\nxmesh_controller_policy_version{site=\"default\"} 4\n"),
	   "metrics: agents, the policy version");
	ok(r.body.data && strstr(r.body.data, "xmesh_controller_requests_total{code=\"413\"} 6\n") &&
	   strstr(r.body.data, "xmesh_controller_agent_auth_total{result=\"replay\"} 1\n"),
	   "metrics: requests by status, agent refusals by reason");
	api_resp_free(&r);
	/* Counted by their own thread, every second here: not at once. */
	if (!ok(metrics_reach("\nxmesh_store_rows{site=\"default\",table="
			      "\"policy\"} 4\n") &&
		metrics_has("\nxmesh_store_rows{site=\"default\",table="
			    "\"agent\"} 1\n") &&
		metrics_has("\nxmesh_store_rows{site=\"default\",table="
			    "\"token\"} 4\n") &&
		metrics_has("\nxmesh_store_rows_count_seconds{site="
			    "\"default\"} "),
		"metrics: the store's rows, table by table, and the count's"
		" time")) {
		r = req_s("GET", "/metrics", NULL, NULL);
		printf("# %.2000s\n", r.body.data && strstr(r.body.data,
		       "xmesh_store_rows{") ? strstr(r.body.data,
		       "xmesh_store_rows{") : "(none)");
		api_resp_free(&r);
	}
	refused(req_s("POST", "/metrics", NULL, "x"), 405, "method",
		"allowed: GET", "metrics by POST");
}

/* A connection of its own, with a request sent: answered, or closed
 * unanswered (-1 if it cannot even connect). */
static int raw_request(int *fd)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct pollfd p;
	char buf[16] = "";

	sa.sin_port = htons(xm_ctl_port(ctl));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	if (*fd < 0 || connect(*fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	if (write(*fd, req, sizeof(req) - 1) != sizeof(req) - 1)
		return 0;
	p = (struct pollfd){ .fd = *fd, .events = POLLIN };
	if (poll(&p, 1, 20000) != 1 || read(*fd, buf, sizeof(buf) - 1) <= 0)
		return 0;
	return !strncmp(buf, "HTTP/1.1 200", 12);
}

/*
 * An agent's request with headers h (freed here) declaring a body of len
 * bytes, of which none is sent, from 127.0.0.from: the status of the
 * answer that comes within wait_ms, or 0 if none does. Its connection in
 * *fd (close it).
 */
static int raw_agent_from(int *fd, unsigned int from, const char *path,
			  struct curl_slist *h, size_t len, int wait_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET }, src = sa;
	char req[4096], buf[32] = "";
	struct curl_slist *l;
	struct pollfd p;
	int n;

	n = snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: t\r\n"
		     "Content-Length: %zu\r\n", path, len);
	for (l = h; l; l = l->next)
		n += snprintf(req + n, sizeof(req) - n, "%s\r\n", l->data);
	n += snprintf(req + n, sizeof(req) - n, "\r\n");
	curl_slist_free_all(h);
	sa.sin_port = htons(xm_ctl_port(ctl));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	src.sin_addr.s_addr = htonl((INADDR_LOOPBACK & ~0xffu) | from);
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(*fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(*fd, req, n) != n)
		return -1;
	p = (struct pollfd){ .fd = *fd, .events = POLLIN };
	if (poll(&p, 1, wait_ms) != 1 || read(*fd, buf, sizeof(buf) - 1) <= 9)
		return 0;
	return atoi(buf + 9);
}

static int raw_agent(int *fd, const char *path, struct curl_slist *h,
		     size_t len, int wait_ms)
{
	return raw_agent_from(fd, 1, path, h, len, wait_ms);
}

/* Whether /metrics has line (a whole line, "\n" included). */
static bool metrics_has(const char *line)
{
	struct api_resp r = req_s("GET", "/metrics", NULL, NULL);
	bool has = r.body.data && strstr(r.body.data, line);

	api_resp_free(&r);
	return has;
}

/* Whether /metrics comes to have line within 10 s. */
static bool metrics_reach(const char *line)
{
	int i;

	for (i = 0; i < 200 && !metrics_has(line); i++)
		usleep(50 * 1000);
	return i < 200;
}

/* The bytes of bodies being read: /metrics' line. */
static const char *body_bytes(size_t n)
{
	static char line[64];

	snprintf(line, sizeof(line), "\nxmesh_controller_body_bytes %zu\n",
		 n);
	return line;
}

/* The bodies refused for why, n in all: whether /metrics says so. */
static bool bodies_refused(const char *why, int n)
{
	char line[96];

	snprintf(line, sizeof(line), "\nxmesh_controller_bodies_refused_total"
		 "{reason=\"%s\"} %d\n", why, n);
	return metrics_has(line);
}

/*
 * An agent's body is read only after its certificate is checked: one
 * without a certificate of the site is refused at its headers; and the
 * bodies read at once share a budget (BODY_BUDGET here), past which a
 * request is refused, 503, before its body is read.
 */
static void test_agent_bodies(void)
{
	const char *p = "/api/v1/agent/telemetry";
	struct curl_slist *h, *again;
	int64_t now = time(NULL);
	struct api_resp r;
	int fd[3], st;

	st = raw_agent(&fd[0], p, agent_headers(rogue_sk, rogue_b64, "POST",
						p, "", now),
		       XM_TELE_BODY_MAX, 10000);
	is_int(st, 401, "a 4 MiB report with a foreign certificate is refused"
	       " before any of its body is sent");
	close(fd[0]);
	st = raw_agent(&fd[0], p, agent_headers(node_sk, node_b64, "POST", p,
						"", now - 3600),
		       XM_TELE_BODY_MAX, 10000);
	is_int(st, 401, "and one signed an hour ago");
	close(fd[0]);
	/*
	 * The budget (6 MiB), an address's share of it (4 MiB) and a
	 * node's (5 MiB): whoever has seen one certificate (every request
	 * carries it) cannot take it all. A is held; then B (another
	 * address, the same node: past the node's share), C (another node:
	 * past the budget), D (A's address: past its share) are refused;
	 * E, within each, is read.
	 */
	st = raw_agent_from(&fd[0], 1, p, agent_headers(node_sk, node_b64,
							"POST", p, "", now),
			    4 * MiB, 300);
	is_int(st, 0, "a signed 4 MiB report waits for its body");
	ok(metrics_reach(body_bytes(4 * MiB)), "its length is taken of the"
	   " budget");
	st = raw_agent_from(&fd[1], 2, p, agent_headers(node_sk, node_b64,
							"POST", p, "", now),
			    2 * MiB, 10000);
	is_int(st, 503, "the same node from another address: past the"
	       " node's share");
	ok(bodies_refused("node", 1) && bodies_refused("budget", 0) &&
	   bodies_refused("address", 0), "counted: node");
	close(fd[1]);
	st = raw_agent_from(&fd[1], 2, p, agent_headers(node2_sk, node2_b64,
							"POST", p, "", now),
			    4 * MiB, 10000);
	is_int(st, 503, "another node's 4 MiB: past the budget");
	ok(bodies_refused("budget", 1) && bodies_refused("address", 0),
	   "counted: budget");
	close(fd[1]);
	st = raw_agent_from(&fd[1], 1, p, agent_headers(node2_sk, node2_b64,
							"POST", p, "", now),
			    1 * MiB, 10000);
	is_int(st, 503, "1 MiB more from the first address: past its share");
	ok(bodies_refused("address", 1) && metrics_has(body_bytes(4 * MiB)),
	   "counted: address; nothing taken of the budget");
	st = raw_agent_from(&fd[2], 2, p, agent_headers(node2_sk, node2_b64,
							"POST", p, "", now),
			    BODY_BUDGET - 4 * MiB, 300);
	is_int(st, 0, "another address and node, within the budget left, is"
	       " read");
	ok(metrics_reach(body_bytes(BODY_BUDGET)) &&
	   bodies_refused("budget", 1) && bodies_refused("address", 1) &&
	   bodies_refused("node", 1), "all of the budget taken, nothing"
	   " more refused");
	close(fd[0]);
	close(fd[1]);
	close(fd[2]);
	ok(metrics_reach(body_bytes(0)), "their room is given back when they"
	   " end");

	/* A header set seen already is refused before its body: a replay
	 * costs no body. */
	h = agent_headers(node_sk, node_b64, "POST", p, "x", now);
	again = copy_list(h);
	r = request("POST", p, NULL, "x", 1, h);
	is_int(r.status, 400, "a report signed, not valid: its nonce kept");
	api_resp_free(&r);
	st = raw_agent(&fd[0], p, again, 4 * MiB, 10000);
	is_int(st, 401, "its headers again, with a 4 MiB body: refused"
	       " before the body");
	close(fd[0]);
	ok(metrics_has("\nxmesh_controller_agent_auth_total{result=\"replay\"}"
		       " 2\n") && metrics_has(body_bytes(0)),
	   "counted a replay, nothing taken of the budget");
	/* test_per_address counts this address's connections. */
	ok(metrics_reach("\nxmesh_controller_connections 1\n"),
	   "their connections seen closed");
}

/*
 * A body has BODY_DEADLINE s (here) to arrive after its headers: one
 * that stalls, or comes a byte now and then, gives its room back.
 */
static void test_body_deadline(void)
{
	const char *p = "/api/v1/agent/telemetry";
	int64_t t0, now = time(NULL);
	char buf[32] = "";
	struct pollfd pf;
	bool gone, ended = false;
	int fd, st;
	ssize_t n = 0;

	st = raw_agent(&fd, p, agent_headers(node_sk, node_b64, "POST", p, "",
					     now), MiB, 300);
	is_int(st, 0, "deadline: a 1 MiB report waits for its body");
	ok(metrics_reach(body_bytes(MiB)), "deadline: its room is taken");
	t0 = time(NULL);
	gone = metrics_reach(body_bytes(0));
	ok(gone, "deadline: given back when nothing comes (after %lld s)",
	   (long long)(time(NULL) - t0));
	pf = (struct pollfd){ .fd = fd, .events = POLLIN };
	ok(poll(&pf, 1, 5000) == 1 && read(fd, buf, sizeof(buf)) <= 0,
	   "deadline: and its connection closed");
	close(fd);

	st = raw_agent(&fd, p, agent_headers(node_sk, node_b64, "POST", p, "",
					     time(NULL)), MiB, 300);
	ok(!st && metrics_reach(body_bytes(MiB)), "deadline: another one"
	   " waits");
	/* A byte every 0.5 s: the connection is never idle long. It ends
	 * at the first byte past the deadline: 408, or closed unanswered
	 * (libmicrohttpd 0.9.75 queues no answer in the middle of a
	 * body). */
	pf = (struct pollfd){ .fd = fd, .events = POLLIN };
	for (t0 = time(NULL); !ended && time(NULL) - t0 < 4 * BODY_DEADLINE; )
		ended = send(fd, " ", 1, MSG_NOSIGNAL) != 1 ||
			poll(&pf, 1, 500) == 1;
	t0 = time(NULL) - t0;
	if (ended && poll(&pf, 1, 5000) == 1)
		n = read(fd, buf, sizeof(buf) - 1);
	ok(ended && (n <= 0 || !strncmp(buf, "HTTP/1.1 408", 12)),
	   "deadline: a body sent a byte at a time is cut off (after %lld s,"
	   " %.12s)", (long long)t0, n > 0 ? buf : "closed");
	close(fd);
	ok(metrics_reach(body_bytes(0)) &&
	   metrics_has("\nxmesh_controller_requests_total{code=\"408\"} 1\n"),
	   "deadline: its room given back, the 408 counted");
}

/* One address cannot take every connection (each is a thread). */
static void test_per_address(void)
{
	int fd[PER_ADDRESS + 8], i, answered = 0, closed = 0, r;
	char line[128];

	for (i = 0; i < PER_ADDRESS + 8; i++) {
		r = raw_request(&fd[i]);
		answered += r == 1;
		closed += r == 0;
	}
	ok(answered >= 1 && answered <= PER_ADDRESS &&
	   answered + closed == PER_ADDRESS + 8,
	   "one address gets at most %d connections (%d answered, %d"
	   " closed)", PER_ADDRESS, answered, closed);
	for (i = 0; i < PER_ADDRESS + 8; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	/* Until the server has seen them closed, it refuses more. */
	for (i = 0, r = 0; i < 200 && r != 200; i++) {
		struct api_resp m = req_s("GET", "/metrics", NULL, NULL);

		r = (int)m.status;
		api_resp_free(&m);
		if (r != 200)
			usleep(50 * 1000);
	}
	is_int(r, 200, "and takes new ones once they are closed");
	/* The 8 and each /metrics refused before the 200 (i - 1). */
	snprintf(line, sizeof(line), "\nxmesh_controller_connections_refused"
		 "_total{reason=\"per_address\"} %d\n", 8 + i - 1);
	ok(metrics_has(line) &&
	   metrics_has("\nxmesh_controller_connections_refused_total"
		       "{reason=\"total\"} 0\n"),
	   "the connections refused are counted, by the limit reached");
	for (i = 0; i < 200 && !metrics_has("\nxmesh_controller_connections"
					    " 1\n"); i++)
		usleep(50 * 1000);
	ok(i < 200, "the connections open: /metrics' own");
}

static void test_restart(void)
{
	const char *p0 = "/api/v1/agent/policy?since=0";
	struct curl_slist *h, *again;
	struct api_resp r;

	/* The nonces the controller saw die with it: a request it took
	 * just before a restart must not pass again after it. */
	h = agent_headers(node_sk, node_b64, "GET", p0, "", time(NULL) - 1);
	again = copy_list(h);
	r = request("GET", p0, NULL, NULL, 0, h);
	is_int(r.status, 200, "an agent's request before a restart");
	api_resp_free(&r);
	xm_ctl_stop(ctl);
	start();
	refused(request("GET", p0, NULL, NULL, 0, again), 401,
		"header " XM_AGENT_HDR_TIME, "before the controller started",
		"replayed after the restart");
	r = agent("GET", p0, "");
	is_int(r.status, 200, "a request signed after it passes");
	api_resp_free(&r);
	is_int((long long)current_version(), 4,
	       "after a restart: the current version");
	r = req_s("GET", "/api/v1/policy/history", tok_read, NULL);
	ok(r.json && json_object_array_length(json_object_object_get(r.json,
							   "versions")) == 4,
	   "and the whole history");
	api_resp_free(&r);
	r = req_s("GET", "/api/v1/audit", tok_read, NULL);
	ok(r.status == 200 && r.body.data && strstr(r.body.data, "policy.rollback") &&
	   strstr(r.body.data, "token.add"), "the audit log");
	api_resp_free(&r);
}

int main(void)
{
	char cmd[128];

	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT))
		return 1;
	setup();
	start();
	test_tokens();
	test_policy();
	test_agents();
	test_metrics();
	test_agent_bodies();
	test_per_address();
	test_restart();
	xm_ctl_stop(ctl);
	cfg.body_deadline_s = BODY_DEADLINE;
	start();
	test_body_deadline();
	xm_ctl_stop(ctl);
	curl_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 1;
	return tap_done();
}
