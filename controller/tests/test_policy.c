// SPDX-License-Identifier: GPL-2.0
/* The policy parser, validator, tests and signature (policy.h). */
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "tap.h"

#ifndef EXAMPLE
#define EXAMPLE "examples/site-policy.json"
#endif

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(XM_POLICY_TEXT_MAX + 1);

	if (!f || !buf)
		exit(1);
	*len = fread(buf, 1, XM_POLICY_TEXT_MAX, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* A document must be refused at location, for a reason containing why. */
static void refused(const char *doc, const char *location, const char *why,
		    const char *name)
{
	struct xm_policy_error err;
	struct xm_site_policy *p = xm_policy_check(doc, strlen(doc), &err);
	bool pass = !p && !strcmp(err.location, location) &&
		    strstr(err.reason, why);

	ok(pass, "refused: %s", name);
	if (!pass)
		printf("#   got %s: \"%s\" at \"%s\"\n", p ? "accepted" : "refused",
		       err.reason, err.location);
	xm_policy_free(p);
}

static const struct {
	const char *doc, *location, *why, *name;
} bad[] = {
	{ "", "line 1 column 1", "ends too early", "an empty document" },
	{ "{\"max_hops\": 3,\n \"zones\": [\"a\",]}", "line 2 column 16", "",
	  "a syntax error, with its line and column" },
	{ "{} x", "line 1 column 4", "unexpected character", "trailing text" },
	{ "[1]", "document", "expected an object", "not an object" },
	{ "{\"max_hop\": 3}", "/max_hop", "unknown member",
	  "a misspelt member" },
	{ "{\"max_hops\": \"3\"}", "/max_hops", "expected an integer, not a string",
	  "a wrong type" },
	{ "{\"max_hops\": 256}", "/max_hops", "out of range", "max hops too high" },
	{ "{\"max_hops\": -1}", "/max_hops", "out of range", "negative hops" },
	{ "{\"max_hops\": 3.5}", "/max_hops", "expected an integer",
	  "a fractional hop count" },
	{ "{\"zones\": [\"a\", \"a\"]}", "/zones/1", "twice", "a zone twice" },
	{ "{\"zones\": [\"a b\"]}", "/zones/0", "not a name", "a blank in a zone" },
	{ "{\"zones\": [\"any\"]}", "/zones/0", "reserved", "the zone any" },
	{ "{\"zones\": [\"a\"], \"rules\": [\"allow from zone a to zone b\"]}",
	  "/rules/0", "word 7: \"b\" is not a zone", "a rule's unknown zone" },
	{ "{\"zones\": [\"a\"], \"rules\": [\"permit from zone a to zone a\"]}",
	  "/rules/0", "word 1", "a rule's unknown action" },
	{ "{\"zones\": [\"a\"], \"rules\": [\"allow from zone a to zone a tcp dport 0\"]}",
	  "/rules/0", "word 10", "port 0" },
	{ "{\"zones\": [\"a\"], \"rules\": [\"allow from zone a to zone a tcp dport 9-3\"]}",
	  "/rules/0", "word 10", "a reversed range" },
	{ "{\"zones\": [\"a\"], \"rules\": [\"allow from zone a to zone a icmp dport 3\"]}",
	  "/rules/0", "ports only with tcp or udp", "ports on icmp" },
	{ "{\"zones\": [\"a\"], \"rules\": [\"allow from zone a to\"]}",
	  "/rules/0", "\"zone\" is missing", "a rule cut short" },
	{ "{\"zones\": [\"a\"], \"rules\": [\"allow from zone a to zone a udp dport 53 x\"]}",
	  "/rules/0", "word 11", "a word after the rule" },
	{ "{\"zones\": [\"a\"], \"rules\": [3]}", "/rules/0", "expected a string",
	  "a rule that is not a string" },
	{ "{\"zones\": [\"a\"], \"tests\": [\"zone a may reach zone a on tcp/1\"]}",
	  "/tests/0", "word 3", "a test without can or cannot" },
	{ "{\"zones\": [\"a\"], \"tests\": [\"zone a can reach zone a on tcp\"]}",
	  "/tests/0", "tcp/PORT", "a test without a port" },
	{ "{\"zones\": [\"a\",\"b\"], \"default\": \"deny\", \"tests\": [\"zone a can reach zone b on udp/53\"]}",
	  "/tests/0", "no rule matches and the default denies it",
	  "a failing test, by the default" },
	{ "{\"zones\": [\"a\",\"b\"], \"rules\": [\"allow from zone any to zone b\"],"
	  " \"tests\": [\"zone a cannot reach zone b on tcp/22\"]}",
	  "/tests/0", "/rules/0 (\"allow from zone any to zone b\") allows it",
	  "a failing test names the rule" },
	{ "{\"default\": \"maybe\"}", "/default", "allow or deny", "a bad default" },
	{ "{\"timers\": {\"hello_interval\": 2, \"dead_interval\": 1}}",
	  "/timers/dead_interval", "above hello_interval", "dead below hello" },
	{ "{\"timers\": {\"hello_interval\": 0}}", "/timers/hello_interval",
	  "out of range", "a zero hello interval" },
	{ "{\"timers\": {\"probe_miss\": true}}", "/timers/probe_miss",
	  "expected an integer, not a boolean", "a boolean timer" },
	{ "{\"qos\": {\"gold\": {\"rate\": \"1mbit\"}}}", "/qos/gold",
	  "not a traffic class", "an unknown class" },
	{ "{\"qos\": {\"bulk\": {\"rate\": \"fast\"}}}", "/qos/bulk/rate",
	  "not a rate", "a bad rate" },
	{ "{\"qos\": {\"bulk\": {}}}", "/qos/bulk", "\"rate\" is missing",
	  "a class without a rate" },
	{ "{\"remediation\": {\"rules\": [{\"name\": \"r\", \"when\": \"unreachable\","
	  " \"for\": 5, \"action\": \"hook\"}]}}", "/remediation/rules/0",
	  "\"hook\" is missing", "a hook action without a hook" },
	{ "{\"remediation\": {\"rules\": [{\"name\": \"r\", \"when\": \"link-loss\","
	  " \"for\": 5, \"action\": \"drain\"}]}}", "/remediation/rules/0",
	  "\"threshold\" is missing", "a loss rule without a threshold" },
	{ "{\"remediation\": {\"rules\": [{\"name\": \"r\", \"when\": \"link-loss\","
	  " \"threshold\": 101, \"for\": 5, \"action\": \"drain\"}]}}",
	  "/remediation/rules/0/threshold", "out of range",
	  "a loss above 100%" },
	{ "{\"remediation\": {\"rules\": [{\"name\": \"r\", \"when\": \"unreachable\","
	  " \"for\": 5, \"action\": \"notify\"}, {\"name\": \"r\", \"when\": \"unreachable\","
	  " \"for\": 5, \"action\": \"notify\"}]}}", "/remediation/rules/1/name",
	  "twice", "a remediation rule twice" },
	{ "{\"remediation\": {\"rules\": [{\"name\": \"r\", \"when\": \"unreachable\","
	  " \"for\": 5, \"action\": \"notify\", \"metric\": 3}]}}",
	  "/remediation/rules/0/metric", "only a reweight", "a stray metric" },
	{ "{\"remediation\": {\"budget_per_hour\": 0}}",
	  "/remediation/budget_per_hour", "out of range", "a zero budget" },
};

static void test_refusals(void)
{
	char deep[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i].doc, bad[i].location, bad[i].why, bad[i].name);
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	refused(deep, "line 1 column 17", "nesting too deep",
		"nesting beyond 16 levels");
	{
		const char doc[] = "{\"zones\": [\"a\0b\"]}";
		struct xm_policy_error err;
		struct xm_site_policy *p = xm_policy_parse(doc, sizeof(doc) - 1,
							   &err);

		ok(!p && !strcmp(err.location, "line 1 column 14"),
		   "refused: a NUL byte, with its place");
		xm_policy_free(p);
	}
}

static void test_example(void)
{
	struct xm_policy_error err;
	struct xm_site_policy *p;
	enum xm_policy_action a;
	size_t len;
	char *text = read_all(EXAMPLE, &len);

	p = xm_policy_check(text, len, &err);
	if (!ok(p != NULL, "the example policy is valid and its tests pass")) {
		printf("#   %s: %s\n", err.location, err.reason);
		free(text);
		return;
	}
	is_int(p->max_hops, 6, "max hops");
	ok(p->hello_interval == 1 && p->dead_interval == 3.5 &&
	   p->probe_interval == 0.05 && p->probe_miss == 3, "timers");
	is_int(p->n_zones, 4, "zones");
	is_int(p->default_action, XM_POLICY_DENY, "default deny");
	is_int(p->n_rules, 5, "rules");
	ok(p->rules[0].action == XM_POLICY_ALLOW && p->rules[0].from == 0 &&
	   p->rules[0].to == 1 && p->rules[0].proto == IPPROTO_TCP &&
	   p->rules[0].port_min == 5432 && p->rules[0].port_max == 5432,
	   "a rule's fields");
	ok(p->rules[1].to == -1 && p->rules[1].proto == 0, "\"any\"");
	is_int((long long)p->qos_rate[2], 10000000 / 8, "realtime's rate");
	is_int((long long)p->qos_rate[0], 200000000 / 8, "bulk's rate");
	is_int(p->qos_burst[0], 65536, "bulk's burst");
	is_int((long long)p->qos_rate[1], 0, "interactive uncapped");
	is_int(p->n_remedies, 3, "remediation rules");
	ok(p->remedies[0].trigger == XM_REMEDY_UNREACHABLE &&
	   p->remedies[0].action == XM_REMEDY_HOOK &&
	   !strcmp(p->remedies[0].hook, "restart-instance") &&
	   p->remedies[0].max_per_hour == 2 && p->remedies[0].for_s == 30,
	   "a hook rule");
	ok(p->remedies[2].action == XM_REMEDY_REWEIGHT &&
	   p->remedies[2].metric == 500 && p->remedies[2].dry_run &&
	   p->remedies[1].max_per_hour == 1, "a dry-run reweight rule, a default rate");
	is_int(p->remedy_budget, 6, "the budget");
	is_int(p->n_tests, 5, "tests");

	is_int(xm_policy_decide(p, 2, 1, IPPROTO_TCP, 5432, &a), 3,
	       "iot to billing: the iot rule");
	is_int(a, XM_POLICY_DENY, "denies");
	is_int(xm_policy_decide(p, 0, 2, IPPROTO_UDP, 53, &a), -1,
	       "web to iot on udp: no rule");
	is_int(a, XM_POLICY_DENY, "the default denies");
	is_int(xm_policy_decide(p, 2, 0, IPPROTO_ICMP, 0, &a), 2,
	       "icmp from anywhere: its rule");
	xm_policy_free(p);

	/* Flip one test: the whole check fails, naming it. */
	{
		char *s = strstr(text, "zone iot can reach zone web on icmp");

		/* "can " -> "cannot " */
		memmove(s + 15, s + 12, strlen(s + 12) + 1);
		memcpy(s + 12, "not", 3);
		p = xm_policy_check(text, strlen(text), &err);
		ok(!p && !strcmp(err.location, "/tests/4") &&
		   strstr(err.reason, "/rules/2"),
		   "a contradicted test refuses the policy: %s", err.reason);
		xm_policy_free(p);
	}
	free(text);
}

static void test_signature(void)
{
	uint8_t pk[32], sk[64], sig[XM_POLICY_SIG_LEN];
	const char text[] = "{\"max_hops\": 3}";

	crypto_sign_keypair(pk, sk);
	xm_policy_sign(sk, 7, text, strlen(text), sig);
	ok(xm_policy_verify(pk, 7, text, strlen(text), sig),
	   "a signed version verifies");
	ok(!xm_policy_verify(pk, 8, text, strlen(text), sig),
	   "not as another version");
	ok(!xm_policy_verify(pk, 7, "{\"max_hops\": 4}", strlen(text), sig),
	   "not with another text");
	crypto_sign_keypair(pk, sk);
	ok(!xm_policy_verify(pk, 7, text, strlen(text), sig),
	   "not with another key");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_refusals();
	test_example();
	test_signature();
	return tap_done();
}
