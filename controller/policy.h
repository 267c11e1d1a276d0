/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The site policy (Documentation/policy.md): a JSON document the operator
 * keeps in git, parsed and validated here, its tests run, and its
 * signature by the controller's policy key made and checked.
 *
 * Pure code: no I/O, no clock. Every refusal says where (a location: "line
 * L column C" for a syntax error, a JSON pointer such as "/rules/2" for a
 * value) and why. libsodium must have been initialised.
 */
#ifndef XM_POLICY_H
#define XM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"	/* XM_NAME_MAX */
#include "xmesh_filter.h"

#define XM_POLICY_TEXT_MAX	(256 * 1024)	/* bytes of a document */
#define XM_POLICY_FILTER_MAX	4096		/* lines of the filter */
#define XM_POLICY_DRAIN_MAX	64		/* drained nodes */
#define XM_POLICY_LINKS_MAX	256		/* drained, reweighted links */
#define XM_POLICY_TESTS_MAX	256
#define XM_POLICY_REMEDY_MAX	64
#define XM_POLICY_TEXT_LEN	160		/* a rule or test as written */
#define XM_POLICY_HOPS_MAX	255
#define XM_POLICY_SIG_LEN	64		/* Ed25519 */
#define XM_POLICY_TCLASSES	4		/* bulk .. network-control */

struct xm_policy_error {
	char location[64];
	char reason[256];
};

/* "zone A can|cannot reach zone B on PROTO[/PORT]" */
struct xm_policy_test {
	uint8_t expect;			/* enum xm_filter_verdict */
	struct xm_filter_flow flow;
	char text[XM_POLICY_TEXT_LEN];
};

/* A link, by its ends' node ids (a < b). */
struct xm_policy_link {
	uint32_t a, b;
};

struct xm_policy_reweight {
	struct xm_policy_link link;
	uint32_t metric;		/* 1 .. XM_METRIC_MAX - 1 */
};

enum xm_remedy_trigger {
	XM_REMEDY_UNREACHABLE,		/* a node unreachable for T */
	XM_REMEDY_LINK_LOSS,		/* a link's loss above X% for T */
	XM_REMEDY_ERROR_RATE,		/* errors per second above X for T */
	XM_REMEDY_UTILIZATION,		/* a link's utilization above X% for T */
};

enum xm_remedy_action {
	XM_REMEDY_HOOK,			/* run the named hook (restart...) */
	XM_REMEDY_DRAIN,		/* take the link or node out of paths */
	XM_REMEDY_REWEIGHT,		/* raise its metric */
	XM_REMEDY_NOTIFY,		/* only tell */
};

struct xm_policy_remedy {
	char name[XM_NAME_MAX];
	enum xm_remedy_trigger trigger;
	double threshold;		/* unused for unreachable */
	double for_s;			/* how long it must hold */
	enum xm_remedy_action action;
	char hook[XM_NAME_MAX];		/* hook actions: a configured hook */
	uint32_t metric;		/* reweight: the metric to set */
	uint32_t max_per_hour;		/* the rule's rate limit, not 0 */
	bool dry_run;
};

struct xm_site_policy {
	uint32_t max_hops;		/* 0: no limit */
	/* Agent timers, seconds; 0: not set (the agent keeps its own). */
	double hello_interval, dead_interval, probe_interval;
	uint32_t probe_miss;
	/*
	 * The filter (Documentation/filter.md), its lines joined by newlines
	 * as a rules file: NULL without one. filter is parsed from it.
	 */
	char *filter_text;
	struct xm_filter filter;
	unsigned int n_tests, n_remedies;
	struct xm_policy_test *tests;
	/* Drain and reweight: what the links' ends advertise. */
	unsigned int n_drain_nodes, n_drain_links, n_reweights;
	uint32_t *drain_nodes;
	struct xm_policy_link *drain_links;
	struct xm_policy_reweight *reweights;
	struct xm_policy_remedy *remedies;
	/* Per class, index tclass - 1 (bulk first): bytes/s, 0 no cap;
	 * has_qos: the policy sets them (else the nodes' own stay). */
	bool has_qos;
	uint64_t qos_rate[XM_POLICY_TCLASSES];
	uint32_t qos_burst[XM_POLICY_TCLASSES];
	/* And their paths (Documentation/classes.md); all 0: the default. */
	struct xm_class_path class_path[XM_POLICY_TCLASSES];
	uint32_t remedy_budget;		/* actions per hour, all rules */
	/* The site's security mode (enum xmesh_security); has_security: the
	 * policy sets it (else each node's own stays). */
	bool has_security;
	uint8_t security;
};

/*
 * Parse and validate the document text[0..len): a policy to free with
 * xm_policy_free(), or NULL with err filled. Does not run the tests.
 */
struct xm_site_policy *xm_policy_parse(const char *text, size_t len,
				  struct xm_policy_error *err);
void xm_policy_free(struct xm_site_policy *p);

/* Fill err with location and the formatted reason: -1. */
int xm_policy_error_set(struct xm_policy_error *err, const char *location,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Parse text[0..len) as one JSON value, strictly (RFC 8259), at most depth
 * levels deep: the value, or NULL with err filled ("line L column C" and
 * the reason). Also for the controller's API bodies.
 */
struct json_object;
struct json_object *xm_json_parse_strict(const char *text, size_t len,
					 int depth,
					 struct xm_policy_error *err);

/* Run the policy's tests: 0, or -1 with the first failure in err. */
int xm_policy_run_tests(const struct xm_site_policy *p,
			struct xm_policy_error *err);

/* Parse, validate and run the tests: what must pass before an apply. */
struct xm_site_policy *xm_policy_check(const char *text, size_t len,
				  struct xm_policy_error *err);

/*
 * The signature of a version of the document: Ed25519 by the policy key
 * over "xmesh-policy-v1", a NUL, the version (8 bytes, big-endian) and the
 * BLAKE2b-256 of the text, so that a version cannot be passed off as
 * another.
 */
void xm_policy_sign(const uint8_t sk[64], uint64_t version,
		    const char *text, size_t len,
		    uint8_t sig[XM_POLICY_SIG_LEN]);
bool xm_policy_verify(const uint8_t pk[32], uint64_t version,
		      const char *text, size_t len,
		      const uint8_t sig[XM_POLICY_SIG_LEN]);

#endif /* XM_POLICY_H */
