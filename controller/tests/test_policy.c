// SPDX-License-Identifier: GPL-2.0
/* The policy parser, validator, tests and signature (policy.h). */
#include <linux/xmesh.h>
#include <linux/xmesh_packet.h>
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
	{ "{\"zones\": [\"a\"]}", "/zones", "unknown member",
	  "the old zones member" },
	{ "{\"rules\": [\"allow from zone a to zone a\"]}", "/rules",
	  "unknown member", "the old rules member" },
	{ "{\"filter\": \"zone a 1\"}", "/filter", "expected an array",
	  "a filter not an array" },
	{ "{\"filter\": [\"zone a 1\", 3]}", "/filter/1", "expected a string",
	  "a filter line not a string" },
	{ "{\"filter\": [\"zone a 1\\nzone b 2\"]}", "/filter/0", "a newline",
	  "two lines in one string" },
	{ "{\"filter\": [\"zone a 1\", \"zone a 2\"]}", "/filter/1",
	  "zone a declared twice", "a zone twice, the filter parser's words" },
	{ "{\"filter\": [\"zone a 1\", \"allow from zone b\"]}", "/filter/1",
	  "zone \"b\" is not declared", "a rule's unknown zone" },
	{ "{\"filter\": [\"permit from zone a\"]}", "/filter/0",
	  "unknown directive \"permit\"", "an unknown action" },
	{ "{\"filter\": [\"# ok\", \"\", \"allow proto tcp dport 0\"]}",
	  "/filter/2", "invalid ports \"0\"", "port 0, after a comment and a blank" },
	{ "{\"filter\": [\"allow proto tcp dport 9-3\"]}", "/filter/0",
	  "the last is below the first", "a reversed range" },
	{ "{\"filter\": [\"allow proto icmp dport 3\"]}", "/filter/0",
	  "ports need proto", "ports on icmp" },
	{ "{\"filter\": [\"allow dprt 53\"]}", "/filter/0",
	  "unknown word \"dprt\"", "a misspelt word" },
	{ "{\"filter\": [\"zone a 1\"], \"tests\": [\"zone a may reach zone a on tcp/1\"]}",
	  "/tests/0", "word 3", "a test without can or cannot" },
	{ "{\"filter\": [\"zone a 1\"], \"tests\": [\"zone a can reach zone a on tcp\"]}",
	  "/tests/0", "tcp/PORT", "a test without a port" },
	{ "{\"filter\": [\"zone a 1\"], \"tests\": [\"zone a can reach zone b on icmp\"]}",
	  "/tests/0", "word 6: \"b\" is not a zone of /filter",
	  "a test's undeclared zone" },
	{ "{\"tests\": [\"zone a can reach zone a on icmp\"]}",
	  "/tests/0", "word 2: \"a\" is not a zone of /filter",
	  "a test without a filter" },
	{ "{\"filter\": [\"zone a 1\", \"zone b 2\", \"policy deny\"],"
	  " \"tests\": [\"zone a can reach zone b on udp/53\"]}",
	  "/tests/0", "no rule matches and the policy denies it",
	  "a failing test, by the policy" },
	{ "{\"filter\": [\"zone a 1\", \"zone b 2\", \"allow to zone b\"],"
	  " \"tests\": [\"zone a cannot reach zone b on tcp/22\"]}",
	  "/tests/0", "/filter/2 (\"allow to zone b\") allows it",
	  "a failing test names the rule" },
	{ "{\"filter\": [\"zone a 1\", \"zone b 2\", \"zone-pair a b deny\","
	  " \"allow\"], \"tests\": [\"zone a can reach zone b on tcp/22\"]}",
	  "/tests/0", "the zone pair of /filter/2 (\"zone-pair a b deny\") denies it",
	  "a failing test names the zone pair" },
	{ "{\"filter\": [\"zone a 1\", \"zone b 2\", \"zone-default deny\"],"
	  " \"tests\": [\"zone a can reach zone b on tcp/22\"]}",
	  "/tests/0", "zone-default denies it", "a failing test by zone-default" },
	{ "{\"filter\": [\"zone a 1\", \"zone b 2\", \"deny dir in to zone b proto udp\"],"
	  " \"tests\": [\"zone a can reach zone b on udp/53\"]}",
	  "/tests/0", "/filter/2", "the receiver's chain in denies" },
	{ "{\"filter\": [\"zone a 1\", \"zone b 2\", \"deny class realtime\", \"allow\"],"
	  " \"tests\": [\"zone a can reach zone b on udp/5004 class realtime\"]}",
	  "/tests/0", "/filter/2 (\"deny class realtime\") denies it",
	  "a failing test of a class names the class rule" },
	{ "{\"filter\": [\"zone a 1\"], \"tests\": [\"zone a can reach zone a on icmp class video\"]}",
	  "/tests/0", "word 10: expected a class", "a test's unknown class" },
	{ "{\"filter\": [\"zone a 1\"], \"tests\": [\"zone a can reach zone a on icmp please\"]}",
	  "/tests/0", "word 9: \"please\" after the end", "a word after a test" },
	{ "{\"filter\": [\"zone a 1\"], \"tests\": [\"zone a can reach zone a on icmp class bulk now\"]}",
	  "/tests/0", "word 11: \"now\" after the end", "a word after a test's class" },
	{ "{\"filter\": [\"deny dir out class bulk\"]}", "/filter/0",
	  "\"class\" matches packets from the mesh", "a class rule out" },
	{ "{\"drain\": {\"nodes\": [0]}}", "/drain/nodes/0", "out of range",
	  "node 0" },
	{ "{\"drain\": {\"nodes\": [3, 3]}}", "/drain/nodes/1", "twice",
	  "a node drained twice" },
	{ "{\"drain\": {\"links\": [[3, 4], [4, 3]]}}", "/drain/links/1",
	  "link 3 4 is listed twice", "a link twice, either order" },
	{ "{\"drain\": {\"links\": [[3, 3]]}}", "/drain/links/0",
	  "two different nodes", "a link to itself" },
	{ "{\"drain\": {\"links\": [[3]]}}", "/drain/links/0",
	  "two node ids", "a link of one node" },
	{ "{\"drain\": {\"link\": [[3, 4]]}}", "/drain/link", "unknown member",
	  "a misspelt drain member" },
	{ "{\"reweight\": [{\"link\": [1, 2]}]}", "/reweight/0",
	  "\"metric\" is missing", "a reweight without a metric" },
	{ "{\"reweight\": [{\"link\": [1, 2], \"metric\": 16777215}]}",
	  "/reweight/0/metric", "out of range", "a reweight to the drain metric" },
	{ "{\"reweight\": [{\"link\": [1, 2], \"metric\": 9},"
	  " {\"link\": [2, 1], \"metric\": 8}]}", "/reweight/1/link",
	  "reweighted twice", "a link reweighted twice" },
	{ "{\"timers\": {\"hello_interval\": 2, \"dead_interval\": 1}}",
	  "/timers/dead_interval", "above hello_interval", "dead below hello" },
	{ "{\"timers\": {\"hello_interval\": 0}}", "/timers/hello_interval",
	  "out of range", "a zero hello interval" },
	{ "{\"security\": \"encrypted\"}", "/security",
	  "want none, auth or encrypt, not \"encrypted\"", "an unknown mode" },
	{ "{\"security\": 2}", "/security", "expected a string",
	  "a mode as a number" },
	{ "{\"timers\": {\"probe_miss\": true}}", "/timers/probe_miss",
	  "expected an integer, not a boolean", "a boolean timer" },
	{ "{\"qos\": {\"gold\": {\"rate\": \"1mbit\"}}}", "/qos/gold",
	  "not a traffic class", "an unknown class" },
	{ "{\"qos\": {\"bulk\": {\"rate\": \"fast\"}}}", "/qos/bulk/rate",
	  "not a rate", "a bad rate" },
	{ "{\"qos\": {\"bulk\": {}}}", "/qos/bulk", "\"rate\" is missing",
	  "a class without a rate" },
	{ "{\"qos\": {\"bulk\": {\"rate\": \"0\", \"burst\": 3000}}}",
	  "/qos/bulk/burst", "a burst needs a rate", "a burst without a cap" },
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
		const char doc[] = "{\"filter\": [\"a\0b\"]}";
		struct xm_policy_error err;
		struct xm_site_policy *p = xm_policy_parse(doc, sizeof(doc) - 1,
							   &err);

		ok(!p && !strcmp(err.location, "line 1 column 15"),
		   "refused: a NUL byte, with its place");
		xm_policy_free(p);
	}
}

static void test_example(void)
{
	struct xm_policy_error err;
	struct xm_site_policy *p;
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
	is_int(p->filter.n_zones, 4, "zones");
	is_int(p->filter.n_roles, 1, "roles");
	is_int(p->filter.n_pairs, 1, "zone pairs");
	is_int(p->filter.policy, XMESH_ZONE_DENY, "policy deny");
	is_int(p->filter.n_rules, 6, "rules");
	ok(p->filter.rules[0].verdict == XM_FILTER_ALLOW &&
	   p->filter.rules[0].from.zone == 10 &&
	   p->filter.rules[0].to.zone == 30 &&
	   p->filter.rules[0].proto == IPPROTO_TCP &&
	   p->filter.rules[0].dport_min == 5432 &&
	   p->filter.rules[0].line == 8, "a rule's fields, its line");
	ok(strstr(p->filter_text, "zone ops 50\nrole db 0\n") != NULL,
	   "the filter's text, a line a string");
	is_int(p->n_drain_nodes, 1, "a drained node");
	ok(p->drain_nodes[0] == 7, "node 7");
	ok(p->n_drain_links == 1 && p->drain_links[0].a == 3 &&
	   p->drain_links[0].b == 4, "a drained link, its ends ordered");
	ok(p->n_reweights == 1 && p->reweights[0].link.a == 1 &&
	   p->reweights[0].link.b == 2 && p->reweights[0].metric == 5000,
	   "a reweighted link");
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

	{
		struct xm_filter_flow fl = { 40, 30, IPPROTO_TCP, 5432, 0 };
		struct xm_filter_decision d;

		is_int(xm_filter_decide(&p->filter, &fl, &d), XM_FILTER_DENY,
		       "iot to billing: denied");
		ok(d.by == XM_DECIDED_PAIR && d.line == 6, "by the zone pair");
		fl = (struct xm_filter_flow){ 40, 10, IPPROTO_TCP, 80, 0 };
		xm_filter_decide(&p->filter, &fl, &d);
		ok(d.verdict == XM_FILTER_DENY && d.by == XM_DECIDED_RULE &&
		   d.line == 11 && d.dir == XM_DIR_OUT,
		   "iot to web on tcp: the iot rule, in the sender's chain");
		fl = (struct xm_filter_flow){ 10, 40, IPPROTO_UDP, 53, 0 };
		xm_filter_decide(&p->filter, &fl, &d);
		ok(d.verdict == XM_FILTER_DENY && d.by == XM_DECIDED_POLICY,
		   "web to iot on udp: no rule, the policy denies");
		fl = (struct xm_filter_flow){ 40, 10, IPPROTO_ICMP, 0, 0 };
		xm_filter_decide(&p->filter, &fl, &d);
		ok(d.verdict == XM_FILTER_ALLOW && d.line == 10,
		   "icmp from anywhere: its rule");
		fl = (struct xm_filter_flow){ 10, 30, IPPROTO_TCP, 5433, 0 };
		xm_filter_decide(&p->filter, &fl, &d);
		ok(d.verdict == XM_FILTER_DENY && d.by == XM_DECIDED_POLICY,
		   "a role rule matches no zone flow");
	}
	xm_policy_free(p);

	/* Flip one test: the whole check fails, naming it. */
	{
		char *s = strstr(text, "zone iot can reach zone web on icmp");

		/* "can " -> "cannot " */
		memmove(s + 15, s + 12, strlen(s + 12) + 1);
		memcpy(s + 12, "not", 3);
		p = xm_policy_check(text, strlen(text), &err);
		ok(!p && !strcmp(err.location, "/tests/4") &&
		   strstr(err.reason, "/filter/9 (\"allow proto icmp\")"),
		   "a contradicted test refuses the policy: %s", err.reason);
		xm_policy_free(p);
	}
	free(text);
}

/* Tests of a traffic class: the class rule decides for its class only. */
/* The site's security mode: each one parsed, none without the member. */
static void test_security(void)
{
	static const char *const docs[] = {
		"{\"security\": \"none\"}", "{\"security\": \"auth\"}",
		"{\"security\": \"encrypt\"}",
	};
	struct xm_policy_error err;
	struct xm_site_policy *p;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		p = xm_policy_parse(docs[i], strlen(docs[i]), &err);
		ok(p && p->has_security && p->security == i,
		   "security: %s parsed as mode %u", docs[i], i);
		xm_policy_free(p);
	}
	p = xm_policy_parse("{}", 2, &err);
	ok(p && !p->has_security, "security: not set without the member");
	xm_policy_free(p);
}

static void test_class_tests(void)
{
	static const char text[] =
		"{\"filter\": [\"zone cam 1\", \"zone media 2\","
		" \"allow from zone cam class realtime proto udp dport 5004\","
		" \"deny class realtime\", \"allow\"],"
		" \"tests\": [\"zone cam can reach zone media on udp/5004 class realtime\","
		" \"zone cam cannot reach zone media on udp/5005 class rt\","
		" \"zone cam can reach zone media on udp/5005\","
		" \"zone media cannot reach zone cam on udp/5004 class realtime\"]}";
	struct xm_policy_error err;
	struct xm_site_policy *p = xm_policy_check(text, strlen(text), &err);

	ok(p != NULL, "class tests: a policy with per-class rules passes its tests (%s %s)",
	   p ? "" : err.location, p ? "" : err.reason);
	if (p)
		ok(p->n_tests == 4 && p->tests[0].flow.tclass == XMESH_TC_REALTIME &&
		   p->tests[1].flow.tclass == XMESH_TC_REALTIME &&
		   !p->tests[2].flow.tclass, "class tests: the classes read");
	xm_policy_free(p);
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
	test_security();
	test_class_tests();
	test_signature();
	return tap_done();
}
