/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xmesh-controller's /metrics (Documentation/prometheus.md): the
 * Prometheus text of the controller's own counters and of each site's
 * telemetry, with a bounded number of series whatever the mesh's size:
 *
 * - per site, always: the nodes by health, the links by state, the lossy
 *   links, histograms of the links' RTT and loss and of the nodes' load
 *   and report age, the site's summed rates;
 * - per node (labels site, node, name), only while the site has at most
 *   limits.nodes nodes: above, the site's aggregates stand for them;
 * - per link (site, node, name, peer), never for every link: only the
 *   troubled ones (down, or lossy above 1 %), and the nodes not up, at
 *   most limits.troubled of them per site, the worst first;
 * - each link's traffic and each class's counters (labels as a node's,
 *   and peer or class), as the node's own series: only while the site
 *   has at most limits.nodes nodes.
 *
 * How many were left out is itself a series, so that a capped site is
 * visible. Pure: writes into a FILE, the time passed in; the caller holds
 * the lock that keeps the telemetry state still.
 */
#ifndef XM_METRICS_H
#define XM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct xm_store;
struct xm_tele;

#define XM_METRICS_NODES	1000	/* per-node series up to this */
#define XM_METRICS_TROUBLED	100	/* troubled links and nodes shown */
#define XM_METRICS_MAX		1000000	/* either limit at most */

/* The caps (--metrics-nodes, --metrics-troubled); 0 members: the
 * defaults above. */
struct xm_metrics_limits {
	unsigned int nodes;
	unsigned int troubled;
};

/* The controller's own figures (the requests of every site, answered
 * and checked on the default site's), copied under its lock. */
struct xm_metrics_ctl {
	const unsigned int *statuses;		/* the HTTP statuses counted */
	const uint64_t *requests;		/* answered, by status */
	size_t n_statuses;
	const uint64_t *auth;			/* XM_AGENT_AUTH_MAX + 1 */
	/* Connections open, and refused by the limit reached:
	 * [0] the total, [1] one address's. */
	unsigned int connections;
	uint64_t conns_refused[2];
	/* Bytes of request bodies being read, and bodies refused by the
	 * limit reached: [0] the budget, [1] one address's share, [2] one
	 * node's. */
	uint64_t body_bytes;
	uint64_t bodies_refused[3];
	/* Hook runs refused: XM_HOOKS_RUNNING were running. */
	uint64_t hooks_busy;
};

/* A site's agents as the store knows them: shared by the controllers on
 * it, where each one's telemetry state has only the reports it took. */
struct xm_metrics_agents {
	long known, current;		/* current: at the policy version */
	long health[3];			/* by enum xm_tele_health of their
					 * last request to any controller */
};

/* A site as this controller sees it: its telemetry state and its own
 * figures, read under the site's lock. */
struct xm_metrics_site {
	const char *name;
	const struct xm_tele *tele;
	struct xm_metrics_agents agents;
	unsigned int waiting;			/* agents in a long poll */
	uint64_t policy_version;
	const char *const *report_results;	/* telemetry reports, */
	const uint64_t *reports;		/* by result */
	size_t n_report_results;
	const char *const *drop_reasons;	/* what reports carried */
	const uint64_t *drops;			/* that was not kept */
	size_t n_drop_reasons;
	unsigned int streams;			/* event streams open */
	const uint64_t *remedy_decisions;	/* XM_REMEDY_VERDICTS */
	unsigned int remedy_budget_used;
	bool remedy_lead;
	uint64_t remedy_lead_changes;
	/* The engine's target states kept, and new targets refused at its
	 * cap (remediation.h, xm_remedy_targets()). */
	size_t remedy_targets;
	uint64_t remedy_targets_refused;
	/* The rows of the store's tables for the site, by enum
	 * xm_store_table (-1: not counted yet; NULL: none), and how long
	 * their last count took. */
	const long *store_rows;
	double store_rows_seconds;
};

#define XM_METRICS_SITE_DEFAULT	"default"

/* The agents the store knows, those whose last report is version (0:
 * none is current), and their health at now (an agent checks in with a
 * report every XM_TELE_INTERVAL): 0, or -1 if the store could not be
 * read. */
int xm_metrics_agents(struct xm_store *s, uint64_t version, int64_t now,
		      struct xm_metrics_agents *a);

/*
 * One site's samples, family by family, rendered under the site's lock
 * and written out after with no lock held: so /metrics never holds two
 * sites' locks at once, and still writes each family once with the
 * samples of every site together, as the text format wants.
 */
struct xm_metrics_part;

/* site's samples at now; NULL out of memory. */
struct xm_metrics_part *xm_metrics_part_new(const struct xm_metrics_site *site,
					    const struct xm_metrics_limits *lim,
					    int64_t now);
void xm_metrics_part_free(struct xm_metrics_part *p);

/* The whole /metrics text into f: the controller's figures, then each
 * family with the samples of parts[0..n) (a NULL part: left out). */
void xm_metrics_write(FILE *f, const struct xm_metrics_ctl *ctl,
		      struct xm_metrics_part *const *parts, size_t n);

#endif /* XM_METRICS_H */
