// SPDX-License-Identifier: GPL-2.0
/*
 * The remediation engine (remediation.h): for, staleness, max_per_hour,
 * the global budget, dry_run, escalation and recovery, policy changes,
 * and the policy edits of drain and reweight.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "remediation.h"
#include "tap.h"

#define MAXD	16

static const struct xm_remedy_config cfg = {
	.stale_s = 10, .settle_s = 30, .tries = 3,
};

static struct xm_site_policy *policy(const char *remediation)
{
	char text[2048];
	struct xm_policy_error err;
	struct xm_site_policy *p;

	snprintf(text, sizeof(text), "{\"remediation\": %s}", remediation);
	p = xm_policy_parse(text, strlen(text), &err);
	if (!p)
		printf("# %s: %s\n", err.location, err.reason);
	return p;
}

static struct xm_remedy *engine(const char *remediation)
{
	struct xm_remedy *e = xm_remedy_new(&cfg);
	struct xm_site_policy *p = policy(remediation);

	if (!p || xm_remedy_set_policy(e, p))
		printf("# the engine refused the policy\n");
	xm_policy_free(p);
	return e;
}

static struct xm_remedy_decision d[MAXD];

static size_t step(struct xm_remedy *e, int64_t now)
{
	size_t n = xm_remedy_step(e, now, d, MAXD), i;

	for (i = 0; i < n; i++)
		printf("# %lld %s %s %u-%u value %g tries %u\n",
		       (long long)now, d[i].rule,
		       xm_remedy_verdict_name(d[i].verdict), d[i].target.node,
		       d[i].target.peer, d[i].value, d[i].tries);
	return n;
}

#define UNREACHABLE(extra) "{\"budget_per_hour\": 100, \"rules\": [" \
	"{\"name\": \"restart\", \"when\": \"unreachable\", \"for\": 5," \
	" \"action\": \"hook\", \"hook\": \"restart\"" extra "}]}"

static void test_unreachable_for(void)
{
	struct xm_remedy *e = engine(UNREACHABLE(", \"max_per_hour\": 10"));

	xm_remedy_node_seen(e, 7, 100);
	xm_remedy_node_seen(e, 8, 100);
	xm_remedy_node_seen(e, 8, 90);	/* older: ignored */
	is_int((long long)step(e, 105), 0, "unreachable: heard 5 s ago is not");
	is_int((long long)step(e, 114), 0,
	       "unreachable: stale at 110, not yet for 5 s");
	xm_remedy_node_seen(e, 8, 113);
	ok(step(e, 115) == 1 && d[0].verdict == XM_REMEDY_ACT &&
	   d[0].target.node == 7 && d[0].target.peer == 0 &&
	   d[0].value == 15 && !strcmp(d[0].rule, "restart") &&
	   !strcmp(d[0].hook, "restart") && d[0].action == XM_REMEDY_HOOK &&
	   d[0].tries == 1,
	   "unreachable: node 7 stale for 5 s: act on it (not node 8)");
	is_int((long long)step(e, 116), 0, "unreachable: not again at once");
	xm_remedy_node_seen(e, 7, 117);
	ok(step(e, 117) == 1 && d[0].verdict == XM_REMEDY_RECOVERED &&
	   d[0].target.node == 7 && d[0].tries == 1,
	   "unreachable: heard again: recovered, after 1 try");
	is_int((long long)step(e, 118), 0, "recovered once");
	xm_remedy_node_forget(e, 8);
	is_int((long long)step(e, 1000), 1,
	       "a forgotten node is no target (only node 7 acts)");
	xm_remedy_free(e);
}

#define LOSS "{\"rules\": [{\"name\": \"lossy\", \"when\": \"link-loss\"," \
	" \"threshold\": 5, \"for\": 60, \"action\": \"drain\"," \
	" \"max_per_hour\": 10}]}"

static void test_metric_for(void)
{
	struct xm_remedy *e = engine(LOSS);
	struct xm_remedy_target l = { 3, 4 };

	xm_remedy_sample(e, XM_REMEDY_LINK_LOSS, l, 10, 0);
	xm_remedy_sample(e, XM_REMEDY_LINK_LOSS, l, 10, 5);
	is_int((long long)step(e, 5), 0, "link-loss: above for 5 s of 60");
	xm_remedy_sample(e, XM_REMEDY_LINK_LOSS, l, 2, 10);
	xm_remedy_sample(e, XM_REMEDY_LINK_LOSS, l, 20, 15);
	xm_remedy_sample(e, XM_REMEDY_LINK_LOSS, l, 20, 70);
	is_int((long long)step(e, 70), 0,
	       "link-loss: a sample below threshold restarts the count");
	xm_remedy_sample(e, XM_REMEDY_LINK_LOSS, l, 20, 75);
	ok(step(e, 75) == 1 && d[0].verdict == XM_REMEDY_ACT &&
	   d[0].target.node == 3 && d[0].target.peer == 4 &&
	   d[0].value == 20 && d[0].action == XM_REMEDY_DRAIN,
	   "link-loss: above 5%% for 60 s: drain the link");
	xm_remedy_sample(e, XM_REMEDY_LINK_LOSS, l, 5, 80);
	ok(step(e, 80) == 1 && d[0].verdict == XM_REMEDY_RECOVERED,
	   "link-loss: at the threshold is not above it: recovered");
	/* Samples that stop coming do not hold a condition true. */
	xm_remedy_sample(e, XM_REMEDY_LINK_LOSS, l, 50, 100);
	xm_remedy_sample(e, XM_REMEDY_LINK_LOSS, l, 50, 150);
	is_int((long long)step(e, 170), 0,
	       "link-loss: the last sample 20 s old (stale 10) holds nothing");
	xm_remedy_sample(e, XM_REMEDY_LINK_LOSS, l, 50, 171);
	ok(step(e, 171) == 1 && d[0].verdict == XM_REMEDY_ACT,
	   "link-loss: a fresh sample again");
	xm_remedy_sample(e, XM_REMEDY_UTILIZATION, l, 99, 172);
	is_int((long long)step(e, 172), 0, "another trigger's samples count"
	       " for no rule of this one");
	xm_remedy_free(e);
}

/* The targets' states are bounded: those in no trouble are dropped, and
 * beyond the cap new ones are refused, counted, the old ones kept. */
static void test_targets_bounded(void)
{
	struct xm_remedy_config small = cfg;
	struct xm_site_policy *p = policy(LOSS);
	struct xm_remedy *e;
	struct xm_remedy_target l;
	int refused = 0;
	uint32_t i;

	small.targets = 8;
	e = xm_remedy_new(&small);
	xm_remedy_set_policy(e, p);
	for (i = 1; i <= 20; i++) {
		l = (struct xm_remedy_target){ 1, i };
		refused += xm_remedy_sample(e, XM_REMEDY_LINK_LOSS, l, 10, 0)
			   < 0;
	}
	ok(xm_remedy_targets(e) == 8 && xm_remedy_targets_refused(e) == 12 &&
	   refused == 12,
	   "targets: 20 lossy links, 8 kept (the cap), 12 refused and counted"
	   " (%zu, %llu)", xm_remedy_targets(e),
	   (unsigned long long)xm_remedy_targets_refused(e));
	for (i = 1; i <= 8; i++) {
		l = (struct xm_remedy_target){ 1, i };
		xm_remedy_sample(e, XM_REMEDY_LINK_LOSS, l, i <= 4 ? 1 : 10,
				 5);
	}
	step(e, 6);
	is_int((long long)xm_remedy_targets(e), 4,
	       "targets: those whose loss went under are dropped at a step");
	l = (struct xm_remedy_target){ 2, 1 };
	xm_remedy_sample(e, XM_REMEDY_LINK_LOSS, l, 10, 10);
	xm_remedy_sample(e, XM_REMEDY_LINK_LOSS, l, 10, 70);
	ok(xm_remedy_targets(e) == 5 && step(e, 70) == 1 &&
	   d[0].verdict == XM_REMEDY_ACT && d[0].target.node == 2,
	   "targets: a new one taken in the room made, and acted on");
	/* Its samples stop: the episode's state stays until it recovers;
	 * the others, an hour after their last sample, go. */
	ok(step(e, 70 + 3700) == 1 && d[0].verdict == XM_REMEDY_RECOVERED &&
	   d[0].target.node == 2,
	   "targets: a target in an episode is kept until it recovers");
	step(e, 70 + 3701);
	is_int((long long)xm_remedy_targets(e), 0,
	       "targets: none left an hour after the last samples");
	xm_remedy_free(e);
	xm_policy_free(p);

	/* An unreachable rule: a state a node known, within the cap. */
	p = policy(UNREACHABLE(""));
	e = xm_remedy_new(&small);
	xm_remedy_set_policy(e, p);
	for (i = 1; i <= 10; i++)
		xm_remedy_node_seen(e, i, 100);
	step(e, 101);
	ok(xm_remedy_targets(e) == 8 && xm_remedy_targets_refused(e) == 2,
	   "targets: 10 nodes for an unreachable rule, 8 taken, 2 refused");
	xm_remedy_free(e);
	xm_policy_free(p);
}

static void test_max_per_hour(void)
{
	struct xm_remedy *e = engine(UNREACHABLE(", \"max_per_hour\": 2"));
	size_t n;

	xm_remedy_node_seen(e, 1, 0);
	xm_remedy_node_seen(e, 2, 0);
	xm_remedy_node_seen(e, 3, 0);
	n = step(e, 100);
	ok(n == 3 && d[0].verdict == XM_REMEDY_ACT &&
	   d[1].verdict == XM_REMEDY_ACT && d[2].verdict == XM_REMEDY_LIMITED &&
	   d[2].target.node == 3,
	   "max_per_hour 2: two act, the third is limited");
	is_int((long long)step(e, 101), 0, "limited is said once");
	/* Nodes 1 and 2 recover; node 3 waits for the hour. */
	xm_remedy_node_seen(e, 1, 200);
	xm_remedy_node_seen(e, 2, 200);
	is_int((long long)step(e, 200), 2, "two recovered");
	xm_remedy_node_seen(e, 1, 3695);
	xm_remedy_node_seen(e, 2, 3695);
	is_int((long long)step(e, 3699), 0, "still limited within the hour");
	ok(step(e, 3700) == 1 && d[0].verdict == XM_REMEDY_ACT &&
	   d[0].target.node == 3, "an hour after: node 3 acted on");
	xm_remedy_free(e);
}

static void test_budget_and_dry_run(void)
{
	struct xm_remedy *e = engine("{\"budget_per_hour\": 2, \"rules\": ["
		"{\"name\": \"dry\", \"when\": \"unreachable\", \"for\": 0,"
		" \"action\": \"notify\", \"dry_run\": true,"
		" \"max_per_hour\": 100},"
		"{\"name\": \"a\", \"when\": \"unreachable\", \"for\": 0,"
		" \"action\": \"hook\", \"hook\": \"h\", \"max_per_hour\": 100},"
		"{\"name\": \"b\", \"when\": \"error-rate\", \"threshold\": 1,"
		" \"for\": 0, \"action\": \"notify\", \"max_per_hour\": 100}]}");
	struct xm_remedy_target n5 = { 5, 0 };
	unsigned int i, act = 0, dry = 0, budget = 0;
	size_t n;

	for (i = 1; i <= 4; i++)
		xm_remedy_node_seen(e, i, 0);
	xm_remedy_sample(e, XM_REMEDY_ERROR_RATE, n5, 3, 50);
	n = step(e, 50);
	for (i = 0; i < n; i++) {
		act += d[i].verdict == XM_REMEDY_ACT;
		dry += d[i].verdict == XM_REMEDY_DRY_RUN &&
		       !strcmp(d[i].rule, "dry");
		budget += d[i].verdict == XM_REMEDY_BUDGET;
	}
	ok(n == 9 && dry == 4 && act == 2 && budget == 3,
	   "budget 2: 4 dry runs, 2 actions, 3 stopped by the budget (%zu:"
	   " %u %u %u)", n, dry, act, budget);
	is_int(xm_remedy_budget_used(e, 50), 2, "the budget counts the two"
	       " actions, not the dry runs");
	is_int((long long)step(e, 51), 0, "the budget's refusals said once");
	is_int(xm_remedy_budget_used(e, 3650), 0, "an hour later it is free");
	n = step(e, 3650);
	for (i = act = 0; i < n; i++)
		act += d[i].verdict == XM_REMEDY_ACT;
	ok(act == 2, "and two more act (%u)", act);
	xm_remedy_free(e);
}

static void test_escalation(void)
{
	struct xm_remedy *e = engine(UNREACHABLE(", \"max_per_hour\": 100"));
	int64_t t = 100;

	xm_remedy_node_seen(e, 9, 0);
	ok(step(e, t) == 1 && d[0].verdict == XM_REMEDY_ACT &&
	   d[0].tries == 1, "escalation: try 1");
	is_int((long long)step(e, t + 29), 0,
	       "escalation: no second try within the settle time");
	ok(step(e, t + 30) == 1 && d[0].verdict == XM_REMEDY_ACT &&
	   d[0].tries == 2, "escalation: still unreachable after it: try 2");
	ok(step(e, t + 60) == 1 && d[0].verdict == XM_REMEDY_ACT &&
	   d[0].tries == 3, "escalation: try 3");
	ok(step(e, t + 90) == 1 && d[0].verdict == XM_REMEDY_ESCALATE &&
	   d[0].tries == 3 && d[0].target.node == 9,
	   "escalation: 3 tries did not help: escalate");
	is_int((long long)step(e, t + 1000), 0,
	       "escalated: the rule leaves the node alone");
	xm_remedy_node_seen(e, 9, t + 2000);
	ok(step(e, t + 2000) == 1 && d[0].verdict == XM_REMEDY_RECOVERED,
	   "escalated, then recovered");
	ok(step(e, t + 3000) == 1 && d[0].verdict == XM_REMEDY_ACT &&
	   d[0].tries == 1, "a new episode starts from try 1");
	xm_remedy_free(e);
}

static void test_policy_change(void)
{
	struct xm_remedy *e = engine(UNREACHABLE(", \"max_per_hour\": 100"));
	struct xm_site_policy *p;

	xm_remedy_node_seen(e, 9, 0);
	is_int((long long)step(e, 100), 1, "acted");
	p = policy(UNREACHABLE(", \"max_per_hour\": 50"));
	ok(p && !xm_remedy_set_policy(e, p), "the same rule, another limit");
	xm_policy_free(p);
	is_int((long long)step(e, 101), 0,
	       "the rule kept its state: no new try within the settle time");
	p = policy("{\"rules\": [{\"name\": \"other\", \"when\":"
		   " \"unreachable\", \"for\": 0, \"action\": \"notify\"}]}");
	ok(p && !xm_remedy_set_policy(e, p), "another rule");
	xm_policy_free(p);
	ok(step(e, 102) == 1 && d[0].verdict == XM_REMEDY_ACT &&
	   !strcmp(d[0].rule, "other") && d[0].action == XM_REMEDY_NOTIFY,
	   "a new rule starts afresh");
	ok(!xm_remedy_set_policy(e, NULL) && step(e, 500) == 0,
	   "no policy: no rules");
	xm_remedy_free(e);
}

static void test_note_action(void)
{
	struct xm_remedy *e = engine("{\"budget_per_hour\": 2, \"rules\": ["
		"{\"name\": \"r\", \"when\": \"unreachable\", \"for\": 0,"
		" \"action\": \"notify\", \"max_per_hour\": 5}]}");

	xm_remedy_note_action(e, "r", 1000);
	xm_remedy_note_action(e, "gone", 1500);
	is_int(xm_remedy_budget_used(e, 2000), 2,
	       "actions before a restart count in the budget");
	xm_remedy_node_seen(e, 1, 1900);
	ok(step(e, 2000) == 1 && d[0].verdict == XM_REMEDY_BUDGET,
	   "and stop a new one");
	ok(step(e, 4601) == 1 && d[0].verdict == XM_REMEDY_ACT,
	   "until they are an hour old");
	xm_remedy_free(e);
}

static void test_max_decisions(void)
{
	struct xm_remedy *e = engine(UNREACHABLE(", \"max_per_hour\": 100"));
	struct xm_remedy_decision one[1];

	xm_remedy_node_seen(e, 1, 0);
	xm_remedy_node_seen(e, 2, 0);
	ok(xm_remedy_step(e, 100, one, 1) == 1 && one[0].target.node == 1,
	   "room for one decision: the first");
	ok(xm_remedy_step(e, 100, one, 1) == 1 && one[0].target.node == 2,
	   "the second at the next step, not lost");
	ok(xm_remedy_step(e, 100, one, 1) == 0, "then none");
	xm_remedy_free(e);
}

static void test_policy_edit(void)
{
	const char *doc = "{\"max_hops\": 3, \"drain\": {\"links\": [[4, 3]]}}";
	struct xm_remedy_target node = { 7, 0 }, link = { 3, 4 },
				link2 = { 1, 2 };
	struct xm_policy_error err;
	struct xm_site_policy *p;
	json_object *j, *v;
	bool changed;
	char *s, *s2;

	s = xm_remedy_policy_edit(doc, strlen(doc), XM_REMEDY_DRAIN, link, 0,
				  &changed);
	ok(s && !changed && !strcmp(s, doc),
	   "drain a link drained already (either order): unchanged");
	free(s);
	s = xm_remedy_policy_edit(doc, strlen(doc), XM_REMEDY_DRAIN, node, 0,
				  &changed);
	j = s ? json_tokener_parse(s) : NULL;
	ok(changed && j && json_object_object_get_ex(j, "drain", &v) &&
	   json_object_object_get_ex(v, "nodes", &v) &&
	   json_object_array_length(v) == 1 &&
	   json_object_get_int64(json_object_array_get_idx(v, 0)) == 7 &&
	   json_object_object_get_ex(j, "max_hops", &v) &&
	   json_object_get_int(v) == 3,
	   "drain a node: added to drain/nodes, the rest kept");
	json_object_put(j);
	s2 = s ? xm_remedy_policy_edit(s, strlen(s), XM_REMEDY_REWEIGHT,
				       link2, 900, &changed) : NULL;
	free(s);
	j = s2 ? json_tokener_parse(s2) : NULL;
	ok(changed && j && json_object_object_get_ex(j, "reweight", &v) &&
	   json_object_array_length(v) == 1,
	   "reweight a link: an entry in reweight");
	json_object_put(j);
	s = s2 ? xm_remedy_policy_edit(s2, strlen(s2), XM_REMEDY_REWEIGHT,
				       (struct xm_remedy_target){ 2, 1 },
				       900, &changed) : NULL;
	ok(s && !changed, "the same metric again: unchanged");
	free(s);
	s = s2 ? xm_remedy_policy_edit(s2, strlen(s2), XM_REMEDY_REWEIGHT,
				       link2, 1000, &changed) : NULL;
	j = s ? json_tokener_parse(s) : NULL;
	ok(changed && j && json_object_object_get_ex(j, "reweight", &v) &&
	   json_object_array_length(v) == 1 &&
	   strstr(s, "1000"), "another metric: the entry changed");
	json_object_put(j);
	free(s);
	free(s2);
	ok(!xm_remedy_policy_edit("[1]", 3, XM_REMEDY_DRAIN, node, 0,
				  &changed) &&
	   !xm_remedy_policy_edit("{\"drain\": 1}", 12, XM_REMEDY_DRAIN, node,
				  0, &changed) &&
	   !xm_remedy_policy_edit("{", 1, XM_REMEDY_DRAIN, node, 0,
				  &changed) &&
	   !xm_remedy_policy_edit("{}", 2, XM_REMEDY_REWEIGHT, node, 5,
				  &changed) &&
	   !xm_remedy_policy_edit("{}", 2, XM_REMEDY_NOTIFY, link, 0,
				  &changed),
	   "not an object, a drain not an object, bad JSON, a node's"
	   " reweight, notify: refused");
	/* The example policy, edited, stays a policy (but for the member
	 * this branch's policy.c may not know yet). */
	s = xm_remedy_policy_edit("{\"max_hops\": 2}", 15, XM_REMEDY_DRAIN,
				  node, 0, &changed);
	p = s ? xm_policy_parse(s, strlen(s), &err) : NULL;
	ok(s && (p || !strcmp(err.location, "/drain") ||
		 strstr(err.reason, "drain")),
	   "an edited document parses as JSON (policy: %s)",
	   p ? "accepted" : err.reason);
	xm_policy_free(p);
	free(s);
}

static void test_policy_lift(void)
{
	const char *doc = "{\"max_hops\": 3, \"drain\": {\"links\": [[4, 3]],"
			  " \"nodes\": [7, 8]}}";
	struct xm_remedy_target link = { 3, 4 }, node = { 7, 0 },
				other = { 1, 2 };
	json_object *j, *v;
	bool changed;
	char *s, *s2;

	s = xm_remedy_policy_lift(doc, strlen(doc), link, &changed);
	j = s ? json_tokener_parse(s) : NULL;
	ok(changed && j && json_object_object_get_ex(j, "drain", &v) &&
	   !json_object_object_get_ex(v, "links", NULL) &&
	   json_object_object_get_ex(v, "nodes", &v) &&
	   json_object_array_length(v) == 2 &&
	   json_object_object_get_ex(j, "max_hops", NULL),
	   "lift a link (either order): its list, left empty, gone; the"
	   " rest kept");
	json_object_put(j);
	s2 = s ? xm_remedy_policy_lift(s, strlen(s), node, &changed) : NULL;
	free(s);
	j = s2 ? json_tokener_parse(s2) : NULL;
	ok(changed && j && json_object_object_get_ex(j, "drain", &v) &&
	   json_object_object_get_ex(v, "nodes", &v) &&
	   json_object_array_length(v) == 1 &&
	   json_object_get_int64(json_object_array_get_idx(v, 0)) == 8,
	   "lift a node: the other stays drained");
	json_object_put(j);
	s = s2 ? xm_remedy_policy_lift(s2, strlen(s2),
				       (struct xm_remedy_target){ 8, 0 },
				       &changed) : NULL;
	free(s2);
	j = s ? json_tokener_parse(s) : NULL;
	ok(changed && j && !json_object_object_get_ex(j, "drain", NULL) &&
	   json_object_object_get_ex(j, "max_hops", NULL),
	   "the last one lifted: drain gone");
	json_object_put(j);
	free(s);
	s = xm_remedy_policy_lift(doc, strlen(doc), other, &changed);
	ok(s && !changed && !strcmp(s, doc), "not drained: unchanged");
	free(s);
	s = xm_remedy_policy_lift("{\"drain\": 1}", 12, node, &changed);
	ok(s && !changed, "drain not an object: nothing to lift");
	free(s);
	ok(!xm_remedy_policy_lift("[1]", 3, node, &changed) &&
	   !xm_remedy_policy_lift("{", 1, node, &changed),
	   "not an object, bad JSON: refused");
	/* A drain added then lifted: the document as it was. */
	s = xm_remedy_policy_edit("{\"max_hops\": 2}", 15, XM_REMEDY_DRAIN,
				  link, 0, &changed);
	s2 = s ? xm_remedy_policy_lift(s, strlen(s), link, &changed) : NULL;
	j = s2 ? json_tokener_parse(s2) : NULL;
	ok(changed && j && json_object_object_length(j) == 1 &&
	   json_object_object_get_ex(j, "max_hops", NULL),
	   "drained then lifted: the document as before");
	json_object_put(j);
	free(s);
	free(s2);
}

/* The metric of link a-b's entry of reweight in doc: -1 none, -2 no
 * reweight member. */
static int64_t reweight_of(const char *doc, uint32_t a, uint32_t b)
{
	json_object *j = doc ? json_tokener_parse(doc) : NULL, *r, *x, *l;
	int64_t m = -2, p, q;
	size_t i;

	if (j && json_object_object_get_ex(j, "reweight", &r)) {
		m = -1;
		for (i = 0; i < json_object_array_length(r); i++) {
			x = json_object_array_get_idx(r, i);
			if (!json_object_object_get_ex(x, "link", &l))
				continue;
			p = json_object_get_int64(json_object_array_get_idx(l, 0));
			q = json_object_get_int64(json_object_array_get_idx(l, 1));
			if (((p == a && q == b) || (p == b && q == a)) &&
			    json_object_object_get_ex(x, "metric", &l))
				m = json_object_get_int64(l);
		}
	}
	json_object_put(j);
	return m;
}

static void test_policy_unweight(void)
{
	const char *before = "{\"max_hops\": 3, \"reweight\": [{\"link\": [5, 6],"
			     " \"metric\": 40}]}";
	const char *plain = "{\"max_hops\": 3}";
	struct xm_remedy_target link = { 1, 2 }, other = { 5, 6 },
				node = { 1, 0 };
	bool changed;
	char *s, *s2, *s3;

	/* No entry before: the rule's entry goes, reweight with it. */
	s = xm_remedy_policy_edit(plain, strlen(plain), XM_REMEDY_REWEIGHT,
				  link, 900, &changed);
	ok(changed && reweight_of(s, 1, 2) == 900, "reweight 1-2 to 900");
	s2 = s ? xm_remedy_policy_unweight(s, strlen(s), plain, strlen(plain),
					   (struct xm_remedy_target){ 2, 1 },
					   900, &changed) : NULL;
	ok(changed && reweight_of(s2, 1, 2) == -2 && strstr(s2, "max_hops"),
	   "undone (either order): no entry before, so none now; reweight,"
	   " left empty, gone; the rest kept");
	free(s2);
	s2 = s ? xm_remedy_policy_unweight(s, strlen(s), NULL, 0, link, 900,
					   &changed) : NULL;
	ok(changed && reweight_of(s2, 1, 2) == -2,
	   "no version before: the entry goes");
	free(s2);
	free(s);
	/* Other links' entries stay; a metric before comes back. */
	s = xm_remedy_policy_edit(before, strlen(before), XM_REMEDY_REWEIGHT,
				  link, 900, &changed);
	s2 = s ? xm_remedy_policy_unweight(s, strlen(s), before,
					   strlen(before), link, 900,
					   &changed) : NULL;
	ok(changed && reweight_of(s2, 1, 2) == -1 &&
	   reweight_of(s2, 5, 6) == 40,
	   "undone: the other link's entry stays");
	free(s2);
	free(s);
	s = xm_remedy_policy_edit(before, strlen(before), XM_REMEDY_REWEIGHT,
				  other, 900, &changed);
	s2 = s ? xm_remedy_policy_unweight(s, strlen(s), before,
					   strlen(before), other, 900,
					   &changed) : NULL;
	ok(changed && reweight_of(s2, 5, 6) == 40,
	   "a metric of the link before the rule's: put back (40)");
	/* The operator changed it since: theirs. */
	s3 = s ? xm_remedy_policy_edit(s, strlen(s), XM_REMEDY_REWEIGHT,
				       other, 70, &changed) : NULL;
	free(s2);
	s2 = s3 ? xm_remedy_policy_unweight(s3, strlen(s3), before,
					    strlen(before), other, 900,
					    &changed) : NULL;
	ok(s2 && !changed && !strcmp(s2, s3),
	   "the operator set another metric since: left, unchanged");
	free(s2);
	free(s3);
	s2 = xm_remedy_policy_unweight(before, strlen(before), before,
				       strlen(before), link, 900, &changed);
	ok(s2 && !changed && !strcmp(s2, before),
	   "the entry gone since (the operator's): unchanged");
	free(s2);
	free(s);
	ok(!xm_remedy_policy_unweight("[1]", 3, NULL, 0, link, 9, &changed) &&
	   !xm_remedy_policy_unweight("{", 1, NULL, 0, link, 9, &changed) &&
	   !xm_remedy_policy_unweight(plain, strlen(plain), "[1]", 3, link,
				      9, &changed) &&
	   !xm_remedy_policy_unweight(plain, strlen(plain), NULL, 0, node, 9,
				      &changed),
	   "not an object, bad JSON, a version before not an object, a"
	   " node: refused");
}

int main(void)
{
	test_unreachable_for();
	test_metric_for();
	test_targets_bounded();
	test_max_per_hour();
	test_budget_and_dry_run();
	test_escalation();
	test_policy_change();
	test_note_action();
	test_max_decisions();
	test_policy_edit();
	test_policy_lift();
	test_policy_unweight();
	printf("1..%d\n", tap_n);
	return tap_done();
}
