// SPDX-License-Identifier: GPL-2.0
/*
 * Two sites served by one controller (server.h, Documentation/
 * controller.md, "Sites") on a loopback port: the default site, at the
 * present paths, and site "beta", with an authority and a policy key of
 * its own, under /api/v1/sites/beta/. Their policies, agents, telemetry
 * and tokens are apart; an agent of one is refused by the other; a token
 * of every site reaches both; GET /api/v1/sites lists what a token
 * reaches.
 */
#include <curl/curl.h>
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
#include "json_path.h"
#include "../../agent/daemon/controller_client.h"
#include "policy_agent.h"
#include "server.h"
#include "store.h"
#include "stores.h"
#include "tap.h"
#include "xmesh_http.h"

#define BETA	"/api/v1/sites/beta"

static struct xm_ctl *ctl;
static struct xm_ctl_site beta;
/* The agents: node 7 of the default site, node 7 of beta too. */
static uint8_t def_node_sk[64], beta_node_sk[64];
static char def_node_b64[TEST_CERT_B64_MAX], beta_node_b64[TEST_CERT_B64_MAX];
static char tok_def[65], tok_beta[65], tok_all[65];

/* METHOD path with a token (or NULL) and a body (or NULL), or signed as
 * the agent of key sk and certificate b64 when sk is not NULL. */
static struct api_resp call(const char *method, const char *path,
			    const char *token, const char *body,
			    const uint8_t *sk, const char *b64)
{
	size_t len = body ? strlen(body) : 0;
	struct curl_slist *hdrs = NULL;

	if (sk)
		hdrs = api_signed_headers(sk, b64, method, path,
					  body ? body : "", len, time(NULL));
	return api_request(ctl, method, path, token, body, len, hdrs);
}

/* A member of the answer by a path of keys and indices ("sites.0.name"),
 * as text ("(none)" if there is none). */
static const char *member(struct api_resp *a, const char *path)
{
	static char out[256];

	snprintf(out, sizeof(out), "%s", api_str(a, path));
	return out;
}

/* The status of a call, and whether its reason holds why (NULL: any). */
static bool status_is(struct api_resp a, long status, const char *why)
{
	bool pass = a.status == status &&
		    (!why || strstr(member(&a, "error.reason"), why));

	if (!pass)
		printf("#   got %ld %.300s\n", a.status,
		       a.body.data ? a.body.data : "");
	api_resp_free(&a);
	return pass;
}

static void test_policies(void)
{
	struct api_resp a;

	ok(status_is(call("PUT", "/api/v1/policy", tok_def, "{\"max_hops\":"
			  " 3}", NULL, NULL), 200, NULL) &&
	   status_is(call("PUT", BETA "/policy", tok_beta, "{\"max_hops\":"
			  " 4}", NULL, NULL), 200, NULL) &&
	   status_is(call("PUT", BETA "/policy", tok_beta, "{\"max_hops\":"
			  " 5}", NULL, NULL), 200, NULL),
	   "a version on the default site, two on beta");
	a = call("GET", "/api/v1/policy", tok_all, NULL, NULL, NULL);
	ok(a.status == 200 && !strcmp(member(&a, "version"), "1") &&
	   strstr(member(&a, "policy"), "3"),
	   "the default site's policy: version 1, its own text");
	api_resp_free(&a);
	a = call("GET", BETA "/policy", tok_all, NULL, NULL, NULL);
	ok(a.status == 200 && !strcmp(member(&a, "version"), "2") &&
	   strstr(member(&a, "policy"), "5"),
	   "beta's: version 2, its own text");
	api_resp_free(&a);
	a = call("GET", BETA "/policy/history", tok_beta, NULL, NULL, NULL);
	ok(a.status == 200 && !strcmp(member(&a, "versions.1.version"), "1")
	   && !strcmp(member(&a, "versions.2"), "(none)"),
	   "beta's history: its two versions only");
	api_resp_free(&a);
	ok(status_is(call("GET", "/api/v1/policy", tok_beta, NULL, NULL,
			  NULL), 401, "unknown token"),
	   "beta's token is unknown on the default site");
	ok(status_is(call("PUT", BETA "/policy", tok_def, "{}", NULL, NULL),
		     401, "unknown token on this site"),
	   "the default site's token is unknown on beta");
	ok(status_is(call("GET", "/api/v1/sites/default/policy", tok_def,
			  NULL, NULL, NULL), 200, NULL),
	   "the default site by its name too");
	ok(status_is(call("GET", "/api/v1/sites/gamma/policy", tok_all, NULL,
			  NULL, NULL), 404, "no such site"),
	   "a site that is not configured: 404");
}

static void test_sites_list(void)
{
	struct api_resp a = call("GET", "/api/v1/sites", tok_all, NULL, NULL,
				 NULL);

	ok(a.status == 200 && !strcmp(member(&a, "sites.0.name"), "default")
	   && !strcmp(member(&a, "sites.0.default"), "true") &&
	   !strcmp(member(&a, "sites.1.name"), "beta") &&
	   !strcmp(member(&a, "sites.1.version"), "2") &&
	   !strcmp(member(&a, "sites.1.role"), "admin"),
	   "the sites of a token of every site: default and beta, their"
	   " versions");
	api_resp_free(&a);
	a = call("GET", "/api/v1/sites", tok_beta, NULL, NULL, NULL);
	ok(a.status == 200 && !strcmp(member(&a, "sites.0.name"), "beta") &&
	   !strcmp(member(&a, "sites.1"), "(none)"),
	   "beta's token sees beta only");
	api_resp_free(&a);
	ok(status_is(call("GET", "/api/v1/sites", NULL, NULL, NULL, NULL),
		     401, "required"), "no token: 401");
}

static const char report[] =
	"{\"time\": %lld, \"interval\": 5, \"name\": \"%s\", \"zone\":"
	" \"web\", \"roles\": [], \"caps\": {\"cores\": 2, \"load\": 0.5},"
	" \"policy_version\": 0, \"links\": [], \"counters\": {\"tx_bytes\":"
	" 1, \"rx_bytes\": 1, \"drops\": {}}, \"routes\": []}";

static void test_agents(void)
{
	struct xm_policy_update u = { 0 };
	struct xm_policy_error err = { "", "" };
	struct api_resp a;
	char body[512];

	a = call("GET", BETA "/agent/policy?since=0", NULL, NULL,
		 beta_node_sk, beta_node_b64);
	ok(a.status == 200 && a.body.data &&
	   !xm_policy_accept(a.body.data, a.body.len, &beta.authority, NULL,
			     (uint64_t)time(NULL), 0, &u, &err) &&
	   u.version == 2,
	   "beta's agent gets beta's version 2, signed by beta's key");
	xm_policy_update_free(&u);
	api_resp_free(&a);
	ok(status_is(call("GET", BETA "/agent/policy?since=0", NULL, NULL,
			  def_node_sk, def_node_b64), 401, "site beta"),
	   "the default site's agent is refused beta's policy");
	ok(status_is(call("GET", "/api/v1/agent/policy?since=0", NULL, NULL,
			  beta_node_sk, beta_node_b64), 401, "site default"),
	   "beta's agent is refused the default site's");

	/* As xmeshd asks, its controller URL naming the site. */
	{
		struct xm_http_body out = { 0 };
		struct curl_slist *hdrs;
		char url[128];
		long status = 0;
		CURL *e;

		snprintf(url, sizeof(url), "http://127.0.0.1:%u" BETA,
			 xm_ctl_port(ctl));
		e = xmd_controller_easy(url, beta_node_sk, beta_node_b64,
					"GET", "/api/v1/agent/policy?since=1",
					NULL, 30, &out, &hdrs);
		if (e && curl_easy_perform(e) == CURLE_OK)
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		ok(status == 200 && out.data && strstr(out.data,
						       "\"version\":2"),
		   "xmeshd's request to a URL naming site beta: beta's"
		   " version 2 (%ld)", status);
		curl_easy_cleanup(e);
		curl_slist_free_all(hdrs);
		xm_http_body_free(&out);
	}

	snprintf(body, sizeof(body), report, (long long)time(NULL), "b7");
	ok(status_is(call("POST", BETA "/agent/telemetry", NULL, body,
			  beta_node_sk, beta_node_b64), 200, NULL),
	   "beta's agent reports to beta");
	ok(status_is(call("POST", "/api/v1/agent/telemetry", NULL, body,
			  beta_node_sk, beta_node_b64), 401, "refused"),
	   "and is refused by the default site");
	snprintf(body, sizeof(body), report, (long long)time(NULL), "d7");
	ok(status_is(call("POST", BETA "/agent/telemetry", NULL, body,
			  def_node_sk, def_node_b64), 401, "refused"),
	   "the default site's agent cannot report for beta");
	ok(status_is(call("POST", "/api/v1/agent/telemetry", NULL, body,
			  def_node_sk, def_node_b64), 200, NULL),
	   "it reports to its own");

	a = call("GET", "/metrics", NULL, NULL, NULL, NULL);
	ok(a.status == 200 && a.body.data && strstr(a.body.data,
	   "xmesh_controller_agent_auth_total{result=\"certificate\"} 4"),
	   "the four refusals are counted, beta's with the default site's");
	ok(a.status == 200 && a.body.data && strstr(a.body.data,
	   "\nxmesh_controller_telemetry_reports_total{site=\"beta\","
	   "result=\"ok\"} 1\n") && strstr(a.body.data,
	   "\nxmesh_site_nodes{site=\"beta\",health=\"up\"} 1\n") &&
	   strstr(a.body.data, "\nxmesh_site_nodes{site=\"default\","
	   "health=\"up\"} 1\n"),
	   "/metrics has every site's series, each with its site label");
	api_resp_free(&a);

	a = call("GET", BETA "/topology", tok_beta, NULL, NULL, NULL);
	ok(a.status == 200 && !strcmp(member(&a, "nodes.0.name"), "b7") &&
	   !strcmp(member(&a, "nodes.1"), "(none)"),
	   "beta's topology: its node only");
	api_resp_free(&a);
	a = call("GET", "/api/v1/topology", tok_def, NULL, NULL, NULL);
	ok(a.status == 200 && !strcmp(member(&a, "nodes.0.name"), "d7") &&
	   !strcmp(member(&a, "nodes.1"), "(none)"),
	   "the default site's: its own");
	api_resp_free(&a);
	a = call("GET", BETA "/agents", tok_beta, NULL, NULL, NULL);
	ok(a.status == 200 && !strcmp(member(&a, "agents.0.node"), "7") &&
	   !strcmp(member(&a, "agents.0.policy_version"), "0") &&
	   !strcmp(member(&a, "agents.1"), "(none)"),
	   "beta's agents: its node 7, of no version yet");
	api_resp_free(&a);
}

int main(void)
{
	char dir[] = "/tmp/xmesh-sites-api.XXXXXX", db[256], err[256];
	uint8_t def_auth_sk[64], beta_auth_sk[64], hash[32];
	struct xm_ctl_config cfg = { 0 };
	int64_t now = time(NULL);
	struct xm_cert node;
	struct xm_store *s;

	if (sodium_init() < 0 || !mkdtemp(dir))
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_cert(&cfg.authority, XM_CERT_AUTHORITY, 1, 0, now, def_auth_sk,
		  NULL, NULL);
	test_cert(&cfg.policy_cert, XM_CERT_POLICY, 2, 0, now, cfg.policy_sk,
		  def_auth_sk, NULL);
	test_cert(&node, XM_CERT_NODE, 3, 7, now, def_node_sk, def_auth_sk,
		  def_node_b64);
	snprintf(beta.name, sizeof(beta.name), "beta");
	test_cert(&beta.authority, XM_CERT_AUTHORITY, 1, 0, now, beta_auth_sk,
		  NULL, NULL);
	test_cert(&beta.policy_cert, XM_CERT_POLICY, 2, 0, now,
		  beta.policy_sk, beta_auth_sk, NULL);
	test_cert(&node, XM_CERT_NODE, 3, 7, now, beta_node_sk, beta_auth_sk,
		  beta_node_b64);
	cfg.db_path = test_store_name(db, sizeof(db), dir, "controller.db");
	cfg.sites = &beta;
	cfg.n_sites = 1;

	s = xm_store_open(db, err, sizeof(err));
	xm_token_new(tok_def, hash);
	xm_store_token_add(s, hash, XM_ROLE_OPERATOR, "ops", 0);
	xm_store_close(s);
	s = xm_store_open_site(db, "beta", err, sizeof(err));
	xm_token_new(tok_beta, hash);
	xm_store_token_add(s, hash, XM_ROLE_OPERATOR, "ops", 0);
	xm_store_close(s);
	s = xm_store_open_site(db, XM_SITE_ALL, err, sizeof(err));
	xm_token_new(tok_all, hash);
	xm_store_token_add(s, hash, XM_ROLE_ADMIN, "root", 0);
	xm_store_close(s);

	/* A site with the default site's authority: refused. */
	beta.authority = cfg.authority;
	ctl = xm_ctl_start(&cfg, err, sizeof(err));
	ok(!ctl && strstr(err, "authority of another site"),
	   "a site with another site's authority is refused: %s", err);
	xm_ctl_stop(ctl);
	test_cert(&beta.authority, XM_CERT_AUTHORITY, 1, 0, now, beta_auth_sk,
		  NULL, NULL);
	test_cert(&beta.policy_cert, XM_CERT_POLICY, 2, 0, now,
		  beta.policy_sk, beta_auth_sk, NULL);
	test_cert(&node, XM_CERT_NODE, 3, 7, now, beta_node_sk, beta_auth_sk,
		  beta_node_b64);

	ctl = xm_ctl_start(&cfg, err, sizeof(err));
	if (!ok(ctl != NULL, "a controller of two sites starts%s%s",
		ctl ? "" : ": ", ctl ? "" : err))
		return tap_done();
	test_policies();
	test_sites_list();
	test_agents();
	xm_ctl_stop(ctl);
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	if (system(err))
		return 1;
	curl_global_cleanup();
	return tap_done();
}
