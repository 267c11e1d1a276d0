// SPDX-License-Identifier: GPL-2.0
/*
 * The remediation engine (remediation.h): pure, time passed in.
 *
 * Each rule keeps one state per target it has seen (a node for
 * unreachable and error-rate, a link for link-loss and utilization): since
 * when its condition holds, the actions taken in the current episode
 * (tries), the last one's time, whether it was escalated. An episode ends
 * when the condition stops holding; if anything was done in it, that is
 * a XM_REMEDY_RECOVERED decision. Rate limits are sliding hours: a ring
 * of the last N action times, N the limit, so that "at most N in any
 * hour" is exact (the oldest of the last N is more than an hour old).
 * Targets are kept in plain arrays, searched linearly: a site has some
 * hundreds of nodes and links, stepped once a second. What a target's
 * state holds matters only while its condition holds or its episode
 * runs: a metric rule's state of a target in neither (its last sample
 * at or below the threshold, or an hour old) is dropped at each step,
 * its next sample above the threshold starting it afresh, so the states
 * are the targets in trouble, and one per node known for each
 * unreachable rule. All rules' states together are at most cfg.targets:
 * beyond, a new target is refused (counted) rather than an old one
 * forgotten, as forgetting one in an episode would act on it again
 * from its first try, or never say it recovered (nor lift its drain).
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "remediation.h"

#define HOUR		3600
#define STALE_S		15
#define SETTLE_S	60
#define TRIES		3

/* The last cap event times, oldest at head. */
struct window {
	int64_t *at;
	unsigned int cap, head, n;
};

struct tstate {
	struct xm_remedy_target target;
	int64_t since;			/* metric: above threshold since */
	int64_t last_sample;
	double value;
	int64_t last_action;
	unsigned int tries;
	bool escalated;
	bool limited_told;		/* one LIMITED/BUDGET per wait */
	bool noted;			/* its episode set from the log */
};

struct rule {
	struct xm_policy_remedy r;
	struct tstate *t;
	size_t n, cap;
	struct window win;
};

struct node {
	uint32_t id;
	int64_t last_seen;
};

struct xm_remedy {
	struct xm_remedy_config cfg;
	struct rule *rules;
	size_t n_rules;
	struct window budget;
	struct node *nodes;
	size_t n_nodes, cap_nodes;
	uint64_t targets_refused;	/* at cfg.targets */
};

/* ---- names ---- */

static const char *const verdict_names[XM_REMEDY_VERDICTS] = {
	[XM_REMEDY_ACT] = "act",
	[XM_REMEDY_DRY_RUN] = "dry-run",
	[XM_REMEDY_LIMITED] = "limited",
	[XM_REMEDY_BUDGET] = "budget",
	[XM_REMEDY_ESCALATE] = "escalate",
	[XM_REMEDY_RECOVERED] = "recovered",
};

const char *xm_remedy_verdict_name(enum xm_remedy_verdict v)
{
	return (unsigned int)v < XM_REMEDY_VERDICTS ? verdict_names[v] : "?";
}

const char *xm_remedy_trigger_name(enum xm_remedy_trigger t)
{
	static const char *const names[] = {
		[XM_REMEDY_UNREACHABLE] = "unreachable",
		[XM_REMEDY_LINK_LOSS] = "link-loss",
		[XM_REMEDY_ERROR_RATE] = "error-rate",
		[XM_REMEDY_UTILIZATION] = "utilization",
	};

	return (unsigned int)t < 4 ? names[t] : "?";
}

const char *xm_remedy_action_name(enum xm_remedy_action a)
{
	static const char *const names[] = {
		[XM_REMEDY_HOOK] = "hook",
		[XM_REMEDY_DRAIN] = "drain",
		[XM_REMEDY_REWEIGHT] = "reweight",
		[XM_REMEDY_NOTIFY] = "notify",
	};

	return (unsigned int)a < 4 ? names[a] : "?";
}

/* ---- sliding hours ---- */

static int window_init(struct window *w, unsigned int cap)
{
	w->at = calloc(cap ? cap : 1, sizeof(*w->at));
	w->cap = cap;
	w->head = w->n = 0;
	return w->at ? 0 : -1;
}

static bool window_allows(const struct window *w, int64_t now)
{
	return w->n < w->cap || w->at[w->head] <= now - HOUR;
}

static void window_add(struct window *w, int64_t now)
{
	if (!w->cap)
		return;
	if (w->n < w->cap) {
		w->at[(w->head + w->n) % w->cap] = now;
		w->n++;
	} else {
		w->at[w->head] = now;
		w->head = (w->head + 1) % w->cap;
	}
}

static unsigned int window_count(const struct window *w, int64_t now)
{
	unsigned int i, k = 0;

	for (i = 0; i < w->n; i++)
		if (w->at[(w->head + i) % w->cap] > now - HOUR)
			k++;
	return k;
}

/* A new window of cap with w's newest entries: 0 or -1. */
static int window_copy(struct window *nw, const struct window *w,
		       unsigned int cap)
{
	unsigned int i, skip;

	if (window_init(nw, cap))
		return -1;
	skip = w->n > cap ? w->n - cap : 0;
	for (i = skip; i < w->n; i++)
		window_add(nw, w->at[(w->head + i) % w->cap]);
	return 0;
}

/* ---- life ---- */

struct xm_remedy *xm_remedy_new(const struct xm_remedy_config *cfg)
{
	struct xm_remedy *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	if (cfg)
		e->cfg = *cfg;
	if (!e->cfg.stale_s)
		e->cfg.stale_s = STALE_S;
	if (!e->cfg.settle_s)
		e->cfg.settle_s = SETTLE_S;
	if (!e->cfg.tries)
		e->cfg.tries = TRIES;
	if (!e->cfg.targets)
		e->cfg.targets = XM_REMEDY_TARGETS;
	if (window_init(&e->budget, 10)) {
		free(e);
		return NULL;
	}
	return e;
}

static void rules_free(struct rule *rules, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rules[i].t);
		free(rules[i].win.at);
	}
	free(rules);
}

void xm_remedy_free(struct xm_remedy *e)
{
	if (!e)
		return;
	rules_free(e->rules, e->n_rules);
	free(e->budget.at);
	free(e->nodes);
	free(e);
}

/* The old rule whose state a new rule r keeps, or NULL. */
static struct rule *same_rule(struct xm_remedy *e,
			      const struct xm_policy_remedy *r)
{
	size_t i;

	for (i = 0; i < e->n_rules; i++) {
		struct rule *o = &e->rules[i];

		if (!strcmp(o->r.name, r->name) &&
		    o->r.trigger == r->trigger &&
		    o->r.threshold == r->threshold)
			return o;
	}
	return NULL;
}

int xm_remedy_set_policy(struct xm_remedy *e, const struct xm_site_policy *p)
{
	size_t n = p ? p->n_remedies : 0, i;
	struct rule *rules = calloc(n ? n : 1, sizeof(*rules));
	struct window budget = { 0 };

	if (!rules)
		return -1;
	/* Every allocation first, so that a failure leaves all as it was. */
	if (window_copy(&budget, &e->budget, p ? p->remedy_budget : 10))
		goto fail;
	for (i = 0; i < n; i++) {
		const struct xm_policy_remedy *r = &p->remedies[i];
		struct rule *o = same_rule(e, r);

		rules[i].r = *r;
		if (o ? window_copy(&rules[i].win, &o->win, r->max_per_hour) :
		    window_init(&rules[i].win, r->max_per_hour))
			goto fail;
	}
	/* The targets' states move to the rules that keep them. */
	for (i = 0; i < n; i++) {
		struct rule *o = same_rule(e, &rules[i].r);

		if (!o)
			continue;
		rules[i].t = o->t;
		rules[i].n = o->n;
		rules[i].cap = o->cap;
		o->t = NULL;
		o->n = o->cap = 0;
	}
	rules_free(e->rules, e->n_rules);
	free(e->budget.at);
	e->budget = budget;
	e->rules = rules;
	e->n_rules = n;
	return 0;
fail:
	free(budget.at);
	rules_free(rules, n);
	return -1;
}

/* ---- observations ---- */

static struct node *find_node(struct xm_remedy *e, uint32_t id)
{
	size_t i;

	for (i = 0; i < e->n_nodes; i++)
		if (e->nodes[i].id == id)
			return &e->nodes[i];
	return NULL;
}

int xm_remedy_node_seen(struct xm_remedy *e, uint32_t node, int64_t last_seen)
{
	struct node *n = find_node(e, node);

	if (!n) {
		if (xm_ctl_grow((void **)&e->nodes, &e->cap_nodes,
				e->n_nodes + 1, sizeof(*e->nodes)))
			return -1;
		n = &e->nodes[e->n_nodes++];
		n->id = node;
		n->last_seen = last_seen;
	}
	if (last_seen > n->last_seen)
		n->last_seen = last_seen;
	return 0;
}

static bool involves(const struct xm_remedy_target *t, uint32_t node)
{
	return t->node == node || t->peer == node;
}

void xm_remedy_node_forget(struct xm_remedy *e, uint32_t node)
{
	struct node *n = find_node(e, node);
	size_t i, j, k;

	if (n)
		*n = e->nodes[--e->n_nodes];
	for (i = 0; i < e->n_rules; i++) {
		struct rule *r = &e->rules[i];

		for (j = k = 0; j < r->n; j++)
			if (!involves(&r->t[j].target, node))
				r->t[k++] = r->t[j];
		r->n = k;
	}
}

size_t xm_remedy_targets(const struct xm_remedy *e)
{
	size_t i, n = 0;

	for (i = 0; i < e->n_rules; i++)
		n += e->rules[i].n;
	return n;
}

uint64_t xm_remedy_targets_refused(const struct xm_remedy *e)
{
	return e->targets_refused;
}

/* Rule r's state of target t, made if create (and there is room: else
 * counted): NULL if none. */
static struct tstate *find_state(struct xm_remedy *e, struct rule *r,
				 struct xm_remedy_target t, bool create)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->t[i].target.node == t.node &&
		    r->t[i].target.peer == t.peer)
			return &r->t[i];
	if (!create)
		return NULL;
	if (xm_remedy_targets(e) >= e->cfg.targets) {
		e->targets_refused++;
		return NULL;
	}
	if (xm_ctl_grow((void **)&r->t, &r->cap, r->n + 1, sizeof(*r->t)))
		return NULL;
	memset(&r->t[r->n], 0, sizeof(r->t[r->n]));
	r->t[r->n].target = t;
	return &r->t[r->n++];
}

int xm_remedy_sample(struct xm_remedy *e, enum xm_remedy_trigger trigger,
		     struct xm_remedy_target target, double value, int64_t t)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < e->n_rules; i++) {
		struct rule *r = &e->rules[i];
		struct tstate *s;

		if (r->r.trigger != trigger)
			continue;
		s = find_state(e, r, target, value > r->r.threshold);
		if (!s) {
			/* Nothing held: nothing to remember. */
			if (value > r->r.threshold)
				rc = -1;
			continue;
		}
		if (t < s->last_sample)
			continue;	/* an older sample, late */
		s->last_sample = t;
		s->value = value;
		if (value > r->r.threshold) {
			if (!s->since)
				s->since = t;
		} else {
			s->since = 0;
		}
	}
	return rc;
}

/* ---- decisions ---- */

/*
 * Whether the condition of r holds for target state s at now (*holding),
 * and since when (*start; it is due once now - start >= for). The value
 * to report into *value.
 */
static bool holding(const struct xm_remedy *e, const struct rule *r,
		    const struct tstate *s, int64_t now, int64_t *start,
		    double *value)
{
	if (r->r.trigger == XM_REMEDY_UNREACHABLE) {
		const struct node *n = find_node((struct xm_remedy *)e,
						 s->target.node);

		if (!n)
			return false;
		*value = (double)(now - n->last_seen);
		*start = n->last_seen + e->cfg.stale_s;
		return now >= *start;
	}
	*value = s->value;
	*start = s->since;
	return s->since && now - s->last_sample <= (int64_t)e->cfg.stale_s;
}

static void decide(struct xm_remedy_decision *d, const struct rule *r,
		   const struct tstate *s, enum xm_remedy_verdict v,
		   int64_t now, double value)
{
	memset(d, 0, sizeof(*d));
	d->verdict = v;
	d->time = now;
	snprintf(d->rule, sizeof(d->rule), "%s", r->r.name);
	d->trigger = r->r.trigger;
	d->action = r->r.action;
	snprintf(d->hook, sizeof(d->hook), "%s", r->r.hook);
	d->metric = r->r.metric;
	d->target = s->target;
	d->value = value;
	d->tries = s->tries;
	d->dry_run = r->r.dry_run;
}

/* One target of one rule at now: a decision into d, or false. */
static bool step_target(struct xm_remedy *e, struct rule *r,
			struct tstate *s, int64_t now,
			struct xm_remedy_decision *d)
{
	int64_t start = 0;
	double value = 0;
	enum xm_remedy_verdict v;

	if (!holding(e, r, s, now, &start, &value)) {
		bool acted = s->tries || s->escalated;

		if (acted)
			decide(d, r, s, XM_REMEDY_RECOVERED, now, value);
		s->tries = 0;
		s->escalated = false;
		s->limited_told = false;
		return acted;
	}
	if (now - start < (int64_t)r->r.for_s || s->escalated)
		return false;
	if (s->tries && now - s->last_action < (int64_t)e->cfg.settle_s)
		return false;
	if (s->tries >= e->cfg.tries) {
		s->escalated = true;
		decide(d, r, s, XM_REMEDY_ESCALATE, now, value);
		return true;
	}
	v = r->r.dry_run ? XM_REMEDY_DRY_RUN : XM_REMEDY_ACT;
	if (!window_allows(&r->win, now))
		v = XM_REMEDY_LIMITED;
	else if (!r->r.dry_run && !window_allows(&e->budget, now))
		v = XM_REMEDY_BUDGET;
	if (v == XM_REMEDY_LIMITED || v == XM_REMEDY_BUDGET) {
		/* Said once; acted on as soon as the limit allows. */
		if (s->limited_told)
			return false;
		s->limited_told = true;
		decide(d, r, s, v, now, value);
		return true;
	}
	window_add(&r->win, now);
	if (v == XM_REMEDY_ACT)
		window_add(&e->budget, now);
	s->tries++;
	s->last_action = now;
	s->limited_told = false;
	decide(d, r, s, v, now, value);
	return true;
}

/*
 * A metric rule's states of targets in no episode (nothing acted on, not
 * escalated) whose last sample was at or below the threshold, or is more
 * than an hour old: dropped, in order. One whose samples only paused
 * (stale, still above) keeps its start, as before: its next sample above
 * continues the count.
 */
static void drop_idle(struct rule *r, int64_t now)
{
	size_t j, k;

	for (j = k = 0; j < r->n; j++) {
		const struct tstate *s = &r->t[j];

		if (s->tries || s->escalated ||
		    (s->since && now - s->last_sample <= HOUR))
			r->t[k++] = *s;
	}
	r->n = k;
}

size_t xm_remedy_step(struct xm_remedy *e, int64_t now,
		      struct xm_remedy_decision *out, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < e->n_rules && n < max; i++) {
		struct rule *r = &e->rules[i];

		/* Every node known is a target of an unreachable rule. */
		if (r->r.trigger == XM_REMEDY_UNREACHABLE)
			for (j = 0; j < e->n_nodes; j++) {
				struct xm_remedy_target t = {
					e->nodes[j].id, 0
				};

				find_state(e, r, t, true);
			}
		else
			drop_idle(r, now);
		for (j = 0; j < r->n && n < max; j++)
			if (step_target(e, r, &r->t[j], now, &out[n]))
				n++;
	}
	return n;
}

void xm_remedy_note_action(struct xm_remedy *e, const char *rule, int64_t t)
{
	size_t i;

	window_add(&e->budget, t);
	for (i = 0; i < e->n_rules; i++)
		if (!strcmp(e->rules[i].r.name, rule))
			window_add(&e->rules[i].win, t);
}

void xm_remedy_note_decision(struct xm_remedy *e, const char *rule,
			     struct xm_remedy_target target,
			     enum xm_remedy_verdict verdict,
			     unsigned int tries, double value, int64_t t,
			     int64_t now)
{
	struct tstate *s;
	size_t i;

	if (verdict == XM_REMEDY_LIMITED || verdict == XM_REMEDY_BUDGET)
		return;
	for (i = 0; i < e->n_rules && strcmp(e->rules[i].r.name, rule); i++)
		;
	if (i == e->n_rules)
		return;
	s = find_state(e, &e->rules[i], target, true);
	if (!s || s->noted)
		return;
	s->noted = true;
	if (verdict == XM_REMEDY_RECOVERED)
		return;
	s->tries = tries;
	s->escalated = verdict == XM_REMEDY_ESCALATE;
	if (!s->escalated)
		s->last_action = t;
	if (e->rules[i].r.trigger != XM_REMEDY_UNREACHABLE && !s->since) {
		s->since = t;
		s->last_sample = now;
		s->value = value;
	}
}

unsigned int xm_remedy_budget_used(const struct xm_remedy *e, int64_t now)
{
	return window_count(&e->budget, now);
}

/* ---- drain and reweight through the policy ---- */

static json_object *member(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v))
		return json_object_is_type(v, type) ? v : NULL;
	v = type == json_type_array ? json_object_new_array() :
	    json_object_new_object();
	json_object_object_add(o, key, v);
	return v;
}

/* Whether the pair a is [x, y] in either order. */
static bool same_link(json_object *a, uint32_t x, uint32_t y)
{
	int64_t p, q;

	if (!json_object_is_type(a, json_type_array) ||
	    json_object_array_length(a) != 2)
		return false;
	p = json_object_get_int64(json_object_array_get_idx(a, 0));
	q = json_object_get_int64(json_object_array_get_idx(a, 1));
	return (p == x && q == y) || (p == y && q == x);
}

static json_object *link_pair(struct xm_remedy_target t)
{
	json_object *a = json_object_new_array();

	json_object_array_add(a, json_object_new_int64(t.node));
	json_object_array_add(a, json_object_new_int64(t.peer));
	return a;
}

/* Add t to drain: 1 added, 0 there already, -1 does not fit. */
static int add_drain(json_object *root, struct xm_remedy_target t)
{
	json_object *d = member(root, "drain", json_type_object), *a;
	size_t i;

	if (!d)
		return -1;
	a = member(d, t.peer ? "links" : "nodes", json_type_array);
	if (!a)
		return -1;
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *x = json_object_array_get_idx(a, i);

		if (t.peer ? same_link(x, t.node, t.peer) :
		    json_object_get_int64(x) == t.node)
			return 0;
	}
	json_object_array_add(a, t.peer ? link_pair(t) :
			      json_object_new_int64(t.node));
	return 1;
}

/* Set t's metric in reweight: 1 changed, 0 so already, -1. */
static int set_reweight(json_object *root, struct xm_remedy_target t,
			uint32_t metric)
{
	json_object *a = member(root, "reweight", json_type_array), *x, *l;
	size_t i;

	if (!a || !t.peer)
		return -1;
	for (i = 0; i < json_object_array_length(a); i++) {
		x = json_object_array_get_idx(a, i);
		if (!json_object_object_get_ex(x, "link", &l) ||
		    !same_link(l, t.node, t.peer))
			continue;
		if (json_object_object_get_ex(x, "metric", &l) &&
		    json_object_get_int64(l) == metric)
			return 0;
		json_object_object_add(x, "metric",
				       json_object_new_int64(metric));
		return 1;
	}
	x = json_object_new_object();
	json_object_object_add(x, "link", link_pair(t));
	json_object_object_add(x, "metric", json_object_new_int64(metric));
	json_object_array_add(a, x);
	return 1;
}

/* Take t out of drain, and a list or drain left empty with it: 1
 * removed, 0 not there. */
static int lift_drain(json_object *root, struct xm_remedy_target t)
{
	json_object *d, *a;
	const char *key = t.peer ? "links" : "nodes";
	size_t i;

	if (!json_object_object_get_ex(root, "drain", &d) ||
	    !json_object_is_type(d, json_type_object) ||
	    !json_object_object_get_ex(d, key, &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *x = json_object_array_get_idx(a, i);

		if (t.peer ? same_link(x, t.node, t.peer) :
		    json_object_get_int64(x) == t.node)
			break;
	}
	if (i == json_object_array_length(a))
		return 0;
	json_object_array_del_idx(a, i, 1);
	if (!json_object_array_length(a))
		json_object_object_del(d, key);
	if (!json_object_object_length(d))
		json_object_object_del(root, "drain");
	return 1;
}

/* t's entry of reweight in root, and its index in *at; NULL if none. */
static json_object *find_reweight(json_object *root, struct xm_remedy_target t,
				  size_t *at)
{
	json_object *a, *x, *l;
	size_t i;

	if (!json_object_object_get_ex(root, "reweight", &a) ||
	    !json_object_is_type(a, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(a); i++) {
		x = json_object_array_get_idx(a, i);
		if (json_object_object_get_ex(x, "link", &l) &&
		    same_link(l, t.node, t.peer)) {
			*at = i;
			return x;
		}
	}
	return NULL;
}

/* An entry's metric, -1 if it has none. */
static int64_t entry_metric(json_object *x)
{
	json_object *m;

	if (!json_object_object_get_ex(x, "metric", &m) ||
	    !json_object_is_type(m, json_type_int))
		return -1;
	return json_object_get_int64(m);
}

/*
 * Put t's reweight back as it was in before (NULL: no entry) if it is
 * still metric, the rule's: 1 put back, 0 not the rule's any more.
 */
static int undo_reweight(json_object *root, json_object *before,
			 struct xm_remedy_target t, uint32_t metric)
{
	json_object *x, *old = NULL, *a;
	size_t i, j;
	int64_t m;

	x = find_reweight(root, t, &i);
	if (!x || entry_metric(x) != metric)
		return 0;
	if (before)
		old = find_reweight(before, t, &j);
	m = old ? entry_metric(old) : -1;
	if (m >= 0) {
		json_object_object_add(x, "metric", json_object_new_int64(m));
		return m == metric ? 0 : 1;
	}
	json_object_object_get_ex(root, "reweight", &a);
	json_object_array_del_idx(a, i, 1);
	if (!json_object_array_length(a))
		json_object_object_del(root, "reweight");
	return 1;
}

/*
 * The text of an edit's outcome rc (1 edited, 0 unchanged, -1 not an
 * object: NULL): root written out as the operators' files are, or text as
 * it was.
 */
static char *edited_text(int rc, json_object *root, const char *text,
			 size_t len, bool *changed)
{
	if (rc < 0)
		return NULL;
	if (!rc)
		return strndup(text, len);
	*changed = true;
	return strdup(json_object_to_json_string_ext(root,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB |
			JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Drain or reweight target in the document, or lift its drain. */
static char *policy_edit(const char *text, size_t len,
			 enum xm_remedy_action action, bool lift,
			 struct xm_remedy_target target, uint32_t metric,
			 bool *changed)
{
	struct xm_policy_error err;
	json_object *root;
	char *out = NULL;
	int rc = -1;

	*changed = false;
	root = xm_json_parse_strict(text, len, 16, &err);
	if (!root)
		return NULL;
	if (json_object_is_type(root, json_type_object)) {
		if (action == XM_REMEDY_DRAIN)
			rc = lift ? lift_drain(root, target) :
			     add_drain(root, target);
		else if (action == XM_REMEDY_REWEIGHT)
			rc = set_reweight(root, target, metric);
	}
	out = edited_text(rc, root, text, len, changed);
	json_object_put(root);
	return out;
}

char *xm_remedy_policy_edit(const char *text, size_t len,
			    enum xm_remedy_action action,
			    struct xm_remedy_target target, uint32_t metric,
			    bool *changed)
{
	return policy_edit(text, len, action, false, target, metric, changed);
}

char *xm_remedy_policy_lift(const char *text, size_t len,
			    struct xm_remedy_target target, bool *changed)
{
	return policy_edit(text, len, XM_REMEDY_DRAIN, true, target, 0,
			   changed);
}

char *xm_remedy_policy_unweight(const char *text, size_t len,
				const char *before, size_t before_len,
				struct xm_remedy_target target,
				uint32_t metric, bool *changed)
{
	struct xm_policy_error err;
	json_object *root, *prev = NULL;
	char *out = NULL;
	int rc = -1;

	*changed = false;
	if (!target.peer)
		return NULL;
	root = xm_json_parse_strict(text, len, 16, &err);
	if (!root)
		return NULL;
	if (before) {
		prev = xm_json_parse_strict(before, before_len, 16, &err);
		if (!prev || !json_object_is_type(prev, json_type_object))
			goto out;
	}
	if (json_object_is_type(root, json_type_object))
		rc = undo_reweight(root, prev, target, metric);
	out = edited_text(rc, root, text, len, changed);
out:
	json_object_put(prev);
	json_object_put(root);
	return out;
}
