/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Automated remediation (Documentation/controller.md, "Remediation"): the
 * policy's remediation rules (policy.h, xm_policy_remedy) over what the
 * controller observes, decisions out.
 *
 * Pure code: no I/O, no clock (time is passed in, unix seconds). The
 * controller feeds it observations (when each node was last heard from;
 * link loss, error rate and utilization samples), calls
 * xm_remedy_step() about once a second, carries out the decisions and
 * logs them. The engine honours each rule's `for`, its `max_per_hour`,
 * the policy's `budget_per_hour` (all rules together, a sliding hour),
 * `dry_run`, and escalation: an action after which the condition still
 * holds a settle time later is tried again at most `tries` times in all;
 * then the target is escalated (one XM_REMEDY_ESCALATE decision) and the
 * rule leaves it alone until its condition ends.
 *
 * Not thread-safe: the caller serialises calls.
 */
#ifndef XM_REMEDIATION_H
#define XM_REMEDIATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* A node (peer 0), or the link node -> peer as node reports it. */
struct xm_remedy_target {
	uint32_t node;
	uint32_t peer;
};

struct xm_remedy_config {
	/* A node not heard from for this long is unreachable; a rule's
	 * `for` counts from then. A metric sample older than this no
	 * longer holds a condition true. 0: 15 s. */
	unsigned int stale_s;
	/* After an action, how long the condition may still hold before
	 * the action is deemed not to have helped. 0: 60 s. */
	unsigned int settle_s;
	/* Actions on one target in one episode before escalating. 0: 3. */
	unsigned int tries;
	/* Target states kept, of all rules together: a metric rule's
	 * state of a target in no episode whose last sample was at or
	 * below the threshold, or is an hour old, is dropped at each step;
	 * beyond this many, a new target is not taken (counted) until
	 * there is room. 0: XM_REMEDY_TARGETS. */
	unsigned int targets;
};

#define XM_REMEDY_TARGETS	16384
#define XM_REMEDY_TARGETS_MAX	1000000	/* --remedy-targets at most */

enum xm_remedy_verdict {
	XM_REMEDY_ACT,		/* carry out the action */
	XM_REMEDY_DRY_RUN,	/* would act: the rule is dry_run */
	XM_REMEDY_LIMITED,	/* would act: the rule's max_per_hour is used */
	XM_REMEDY_BUDGET,	/* would act: the global budget is used */
	XM_REMEDY_ESCALATE,	/* acting did not help: tell a human */
	XM_REMEDY_RECOVERED,	/* the condition ended after an action */
};
#define XM_REMEDY_VERDICTS	6

struct xm_remedy_decision {
	enum xm_remedy_verdict verdict;
	int64_t time;
	char rule[XM_NAME_MAX];
	enum xm_remedy_trigger trigger;
	enum xm_remedy_action action;
	char hook[XM_NAME_MAX];		/* XM_REMEDY_HOOK */
	uint32_t metric;		/* XM_REMEDY_REWEIGHT */
	struct xm_remedy_target target;
	double value;			/* the last sample; unreachable: s */
	unsigned int tries;		/* actions so far in this episode */
	bool dry_run;			/* the rule's */
};

struct xm_remedy;

struct xm_remedy *xm_remedy_new(const struct xm_remedy_config *cfg);
void xm_remedy_free(struct xm_remedy *e);

/*
 * Take the remediation rules of p (NULL: none). A rule of the same name
 * and trigger as before keeps its state (targets in an episode, its rate
 * window); the others start afresh. The budget window is kept. 0, or -1
 * (out of memory: the old rules stay).
 */
int xm_remedy_set_policy(struct xm_remedy *e, const struct xm_site_policy *p);

/* A node was last heard from at last_seen. */
int xm_remedy_node_seen(struct xm_remedy *e, uint32_t node, int64_t last_seen);
/* A node is gone (removed): its state is dropped. */
void xm_remedy_node_forget(struct xm_remedy *e, uint32_t node);
/* A sample of a metric trigger (link-loss and utilization: a link,
 * percent; error-rate: a node, per second) taken at t. */
int xm_remedy_sample(struct xm_remedy *e, enum xm_remedy_trigger trigger,
		     struct xm_remedy_target target, double value, int64_t t);

/*
 * Evaluate every rule at now: up to max decisions into out, their number
 * returned. Decisions beyond max are taken at the next step (nothing is
 * lost: their state did not move).
 */
size_t xm_remedy_step(struct xm_remedy *e, int64_t now,
		      struct xm_remedy_decision *out, size_t max);

/*
 * An action of rule taken at t, before this engine (a controller
 * restarted): counted in the budget and the rule's max_per_hour, so that
 * a restart does not reset them. Oldest first.
 */
void xm_remedy_note_action(struct xm_remedy *e, const char *rule, int64_t t);

/*
 * A decision of rule on target at t, from the log of an engine before
 * this one (another controller ran the rules, or this one restarted),
 * newest first: the first one given for a rule and target sets its
 * episode (acted on tries times, the last at t; escalated; or over,
 * recovered), the older ones are ignored, so that the new engine neither
 * acts again at once nor reports a recovery from nothing. A metric rule's
 * condition is taken to hold from t until samples say otherwise (or none
 * come for stale_s after now). LIMITED and BUDGET decisions say nothing
 * of the episode. Rules unknown to the engine are skipped.
 */
void xm_remedy_note_decision(struct xm_remedy *e, const char *rule,
			     struct xm_remedy_target target,
			     enum xm_remedy_verdict verdict,
			     unsigned int tries, double value, int64_t t,
			     int64_t now);

/* Actions taken (not dry run) in the hour before now, all rules. */
unsigned int xm_remedy_budget_used(const struct xm_remedy *e, int64_t now);

/* The target states kept now (of at most the config's targets), and the
 * new targets not taken as there were that many, since the engine was
 * made. */
size_t xm_remedy_targets(const struct xm_remedy *e);
uint64_t xm_remedy_targets_refused(const struct xm_remedy *e);

/* "act", "dry-run", "limited", "budget", "escalate", "recovered". */
const char *xm_remedy_verdict_name(enum xm_remedy_verdict v);
/* "unreachable", "link-loss"...; "hook", "drain"... */
const char *xm_remedy_trigger_name(enum xm_remedy_trigger t);
const char *xm_remedy_action_name(enum xm_remedy_action a);

/*
 * The policy document text[0..len) with target drained or reweighted,
 * in the policy's own members (Documentation/policy.md, "drain and
 * reweight"): drain adds a node to drain/nodes or a link to drain/links
 * ([A, B]); reweight sets a link's entry of reweight ({"link": [A, B],
 * "metric": M}; nodes have no metric of their own: NULL). A new document
 * (free() it), or NULL if text is not a JSON object or the target does
 * not fit. Already so: the text unchanged, *changed false.
 */
char *xm_remedy_policy_edit(const char *text, size_t len,
			    enum xm_remedy_action action,
			    struct xm_remedy_target target, uint32_t metric,
			    bool *changed);

/*
 * The policy document with target's drain lifted: the undoing of a
 * drain, for a rule whose drain ended its condition (the target leaves
 * drain/nodes or drain/links; a list, or drain, left empty goes too).
 * As xm_remedy_policy_edit(): not drained, the text unchanged.
 */
char *xm_remedy_policy_lift(const char *text, size_t len,
			    struct xm_remedy_target target, bool *changed);

/*
 * The policy document with target's reweight undone: for a reweight rule
 * whose target recovered, the link's entry of reweight put back as it
 * was in before, the version the rule's reweight was made from (its
 * metric there; no entry there, or before NULL: the entry goes, and
 * reweight too if left empty). Only an entry whose metric is still
 * metric, the rule's, is touched: one the operator changed or removed
 * since is theirs (the text unchanged, *changed false). NULL if text or
 * before is not a JSON object, or target is not a link.
 */
char *xm_remedy_policy_unweight(const char *text, size_t len,
				const char *before, size_t before_len,
				struct xm_remedy_target target,
				uint32_t metric, bool *changed);

#endif /* XM_REMEDIATION_H */
