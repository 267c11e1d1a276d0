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
 *   most limits.troubled of them per site, the worst first.
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

/* The controller's own figures, copied under its lock. */
struct xm_metrics_ctl {
	long agents, agents_current;
	unsigned int waiting;			/* agents in a long poll */
	uint64_t policy_version;
	const unsigned int *statuses;		/* the HTTP statuses counted */
	const uint64_t *requests;		/* answered, by status */
	size_t n_statuses;
	const uint64_t *auth;			/* XM_AGENT_AUTH_MAX + 1 */
	const char *const *report_results;	/* telemetry reports, */
	const uint64_t *reports;		/* by result */
	size_t n_report_results;
	unsigned int streams;			/* event streams open */
	const uint64_t *remedy_decisions;	/* XM_REMEDY_VERDICTS */
	unsigned int remedy_budget_used;
	bool remedy_lead;
	uint64_t remedy_lead_changes;
};

/* A site's agents as the store knows them: shared by the controllers on
 * it, where each one's telemetry state has only the reports it took. */
struct xm_metrics_agents {
	long known, current;		/* current: at the policy version */
	long health[3];			/* by enum xm_tele_health of their
					 * last request to any controller */
};

/* A site's telemetry state (the one site until sites come: "default"). */
struct xm_metrics_site {
	const char *name;
	const struct xm_tele *tele;
	struct xm_metrics_agents agents;
};

#define XM_METRICS_SITE_DEFAULT	"default"

/* The agents the store knows, those whose last report is version (0:
 * none is current), and their health at now (an agent checks in with a
 * report every XM_TELE_INTERVAL): 0, or -1 if the store could not be
 * read. */
int xm_metrics_agents(struct xm_store *s, uint64_t version, int64_t now,
		      struct xm_metrics_agents *a);

/* The whole /metrics text into f: the controller's figures, then each of
 * the n sites at now. */
void xm_metrics_write(FILE *f, const struct xm_metrics_ctl *ctl,
		      const struct xm_metrics_site *sites, size_t n,
		      const struct xm_metrics_limits *limits, int64_t now);

#endif /* XM_METRICS_H */
