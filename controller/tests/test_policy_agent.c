// SPDX-License-Identifier: GPL-2.0
/* The agent's side of distribution (policy_agent.h): what it accepts. */
#include <json-c/json.h>
#include <sodium.h>
#include <string.h>

#include "certs.h"
#include "graph.h"
#include "policy_agent.h"
#include "tap.h"

#define NOW	UINT64_C(1767225600)

static uint8_t auth_sk[64], policy_sk[64], node_sk[64], rogue_sk[64];
static uint8_t rogue_policy_sk[64];
static struct xm_cert auth, rogue, policy_cert, node_cert, rogue_policy;
static char text_buf[XM_CERT_TEXT_MAX];

/* An answer as the controller writes it, signed for sig_version. */
static char *answer(uint64_t version, uint64_t sig_version, const char *doc,
		    const struct xm_cert *cert, const uint8_t *sk)
{
	json_object *j = json_object_new_object();
	uint8_t sig[XM_POLICY_SIG_LEN];
	char hex[2 * XM_POLICY_SIG_LEN + 1], *out;

	xm_policy_sign(sk, sig_version, doc, strlen(doc), sig);
	sodium_bin2hex(hex, sizeof(hex), sig, sizeof(sig));
	xm_cert_text(cert, text_buf, sizeof(text_buf));
	json_object_object_add(j, "version", json_object_new_uint64(version));
	json_object_object_add(j, "author", json_object_new_string("ops"));
	json_object_object_add(j, "signature", json_object_new_string(hex));
	json_object_object_add(j, "certificate",
			       json_object_new_string(text_buf));
	json_object_object_add(j, "policy", json_object_new_string(doc));
	out = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	return out;
}

static void refused(char *json, uint64_t now, uint64_t have,
		    const struct xm_crl *crl, const char *location,
		    const char *why, const char *name)
{
	struct xm_policy_update u;
	struct xm_policy_error err;
	int rc = xm_policy_accept(json, strlen(json), &auth, crl, now, have,
				  &u, &err);
	bool pass = rc == -1 && !strcmp(err.location, location) &&
		    strstr(err.reason, why) && !u.policy && !u.text;

	ok(pass, "refused: %s", name);
	if (!pass)
		printf("#   got %d: %s: %s\n", rc, err.location, err.reason);
	xm_policy_update_free(&u);
	free(json);
}

/* Drain and reweight: what node self's core gets. */
static void metric_settings(void)
{
	static const char doc[] = "{\"drain\": {\"nodes\": [7], \"links\":"
		" [[3, 4], [5, 3]]}, \"reweight\": [{\"link\": [4, 3],"
		" \"metric\": 900}, {\"link\": [3, 6], \"metric\": 800}]}";
	struct xm_policy_error err;
	struct xm_site_policy *p = xm_policy_check(doc, strlen(doc), &err);
	struct xm_policy path = { .max_hops = 2, .drained = true,
				  .n_overrides = 1,
				  .overrides = { { 9, 9 } } };

	if (!ok(p != NULL, "drain and reweight: valid"))
		return;
	is_int(xm_policy_metric_settings(p, 3, &path), 0, "node 3: all in");
	ok(!path.drained && path.max_hops == 2 && path.n_overrides == 3 &&
	   path.overrides[0].node == 4 &&
	   path.overrides[0].metric == XM_METRIC_MAX &&
	   path.overrides[1].node == 5 &&
	   path.overrides[1].metric == XM_METRIC_MAX &&
	   path.overrides[2].node == 6 && path.overrides[2].metric == 800,
	   "node 3: its drained links at the maximum (drain over reweight),"
	   " its reweighted one, the old ones gone");
	xm_policy_metric_settings(p, 7, &path);
	ok(path.drained && path.n_overrides == 0, "node 7: drained, no links");
	xm_policy_metric_settings(p, 8, &path);
	ok(!path.drained && path.n_overrides == 0, "node 8: nothing");
	xm_policy_free(p);
}

int main(void)
{
	const char *doc = "{\"max_hops\": 5, \"timers\": {\"hello_interval\":"
			  " 0.5, \"dead_interval\": 2}, \"filter\": [\"zone a 1\"]}";
	struct xm_timers t = { .hello_ms = 1000, .dead_ms = 3500,
			       .probe_ms = 50, .probe_miss = 3 };
	struct xm_policy path = { .max_hops = 0, .n_excluded_zones = 1 };
	struct xm_policy_error err;
	struct xm_policy_update u;
	struct xm_crl *crl;
	char *json, *p;

	if (sodium_init() < 0)
		return 1;
	test_cert(&auth, XM_CERT_AUTHORITY, 1, 0, NOW, auth_sk, NULL, NULL);
	test_cert(&policy_cert, XM_CERT_POLICY, 2, 0, NOW, policy_sk, auth_sk,
		  NULL);
	test_cert(&node_cert, XM_CERT_NODE, 3, 9, NOW, node_sk, auth_sk, NULL);
	test_cert(&rogue, XM_CERT_AUTHORITY, 1, 0, NOW, rogue_sk, NULL, NULL);
	test_cert(&rogue_policy, XM_CERT_POLICY, 2, 0, NOW, rogue_policy_sk,
		  rogue_sk, NULL);

	json = answer(4, 4, doc, &policy_cert, policy_sk);
	if (!ok(!xm_policy_accept(json, strlen(json), &auth, NULL, NOW, 3, &u,
				  &err), "a signed version above ours is accepted"))
		printf("#   %s: %s\n", err.location, err.reason);
	is_int((long long)u.version, 4, "its version");
	ok(u.text && !strcmp(u.text, doc), "its text, as signed");
	ok(u.policy && u.policy->max_hops == 5, "parsed");
	xm_policy_core_settings(u.policy, &path, &t);
	ok(path.max_hops == 5 && path.n_excluded_zones == 1,
	   "it sets the path policy's max hops, nothing else of it");
	ok(t.hello_ms == 500 && t.dead_ms == 2000 && t.probe_ms == 50 &&
	   t.probe_miss == 3, "and the timers it gives, not the others");
	xm_policy_update_free(&u);
	ok(!xm_policy_accept(json, strlen(json), &auth, NULL, NOW, 0, &u, &err),
	   "the same answer from the cache at a start (have 0)");
	xm_policy_update_free(&u);
	refused(strdup(json), NOW, 4, NULL, "/version", "not above 4",
		"the version we have");
	refused(strdup(json), NOW, 9, NULL, "/version", "not above 9",
		"an older version (a replay)");
	p = strstr(json, "5, ");
	if (p)
		*p = '7';
	refused(json, NOW, 3, NULL, "/signature", "does not verify",
		"an altered document");
	refused(answer(5, 4, doc, &policy_cert, policy_sk), NOW, 3, NULL,
		"/signature", "version 5 does not verify",
		"version 4's signature passed off as version 5");
	refused(answer(4, 4, doc, &rogue_policy, rogue_policy_sk), NOW, 3, NULL,
		"/certificate", "refused", "a policy key of another authority");
	refused(answer(4, 4, doc, &node_cert, node_sk), NOW, 3, NULL,
		"/certificate", "refused", "a node's certificate and key");
	refused(answer(4, 4, doc, &policy_cert, policy_sk), NOW + 2 * 86400, 3,
		NULL, "/certificate", "refused", "an expired policy certificate");
	crl = calloc(1, sizeof(*crl));
	strcpy(crl->site, "edge1");
	crl->version = 1;
	crl->issued = NOW;
	xm_crl_add(crl, 2);
	xm_crl_sign(crl, auth_sk);
	refused(answer(4, 4, doc, &policy_cert, policy_sk), NOW, 3, crl,
		"/certificate", "refused", "a revoked policy certificate");
	free(crl);
	refused(answer(4, 4, "{\"filter\": [\"zone a 1\"], \"tests\": [\"zone a cannot"
		       " reach zone a on tcp/1\"]}", &policy_cert, policy_sk),
		NOW, 3, NULL, "/tests/0", "fails",
		"a signed document whose test fails");
	refused(strdup("{\"version\": 4"), NOW, 3, NULL, "line 1 column 14",
		"ends too early", "a truncated answer");
	refused(strdup("[4]"), NOW, 3, NULL, "answer", "not a JSON object",
		"an array");
	refused(strdup("{\"version\": \"4\"}"), NOW, 3, NULL, "/version",
		"expected", "a version as a string");
	refused(strdup("{\"version\": 4}"), NOW, 3, NULL, "/certificate",
		"missing", "no certificate");
	json = answer(4, 4, doc, &policy_cert, policy_sk);
	p = strstr(json, "\"signature\":\"");
	p[13] = 'x';
	refused(json, NOW, 3, NULL, "/signature", "hex digits",
		"a signature that is no hex");
	metric_settings();
	return tap_done();
}
