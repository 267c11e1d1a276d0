// SPDX-License-Identifier: GPL-2.0
/*
 * /metrics in Prometheus text (metrics.h, Documentation/prometheus.md).
 * Each family is written whole, its samples for every site together,
 * since the format wants one # TYPE and contiguous samples per family.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "agent_auth.h"
#include "grow.h"
#include "metrics.h"
#include "remediation.h"
#include "store.h"
#include "telemetry.h"

/* ---- the controller's own ---- */

struct agents_count {
	uint64_t version;
	int64_t now;
	struct xm_metrics_agents *a;
};

static int agents_count_cb(void *arg, const struct xm_agent_rec *r)
{
	struct agents_count *c = arg;

	c->a->known++;
	if (c->version && r->policy_version == c->version)
		c->a->current++;
	c->a->health[xm_tele_health(r->last_seen, XM_TELE_INTERVAL,
				    c->now)]++;
	return 0;
}

int xm_metrics_agents(struct xm_store *s, uint64_t version, int64_t now,
		      struct xm_metrics_agents *a)
{
	struct agents_count c = { version, now, a };

	memset(a, 0, sizeof(*a));
	return xm_store_agent_list(s, agents_count_cb, &c) ? -1 : 0;
}

/*
 * The families, in the order written. Each part holds its samples of
 * every family in this order (part_begin()), the writer adds the
 * headers.
 */
enum family {
	/* the controller's own (struct xm_metrics_ctl) */
	F_REQUESTS, F_AUTH, F_CONNS, F_CONNS_REFUSED, F_BODY_BYTES,
	F_BODIES_REFUSED, F_HOOKS_BUSY,
	/* the site's controller figures */
	F_AGENTS, F_AGENTS_CURRENT, F_AGENTS_WAITING, F_POLICY_VERSION,
	F_REPORTS, F_TELE_DROPPED, F_STREAMS, F_REMEDY, F_REMEDY_BUDGET, F_REMEDY_LEADER,
	F_REMEDY_LEADER_CHANGES, F_REMEDY_TARGETS, F_REMEDY_TARGETS_REFUSED,
	F_STORE_ROWS, F_STORE_ROWS_SECONDS,
	/* the site's aggregates */
	F_SITE_NODES, F_SITE_AGENTS, F_SITE_LINKS, F_SITE_LOSSY, F_SITE_TX,
	F_SITE_RX, F_SITE_DROPS, F_SITE_RTT, F_SITE_LOSS, F_SITE_LOAD,
	F_SITE_AGE, F_OMITTED,
	/* per node */
	F_NODE_UP, F_NODE_LAST_SEEN, F_NODE_TX_BYTES, F_NODE_RX_BYTES,
	F_NODE_TX_PACKETS, F_NODE_RX_PACKETS, F_NODE_FWD_PACKETS,
	F_NODE_FWD_BYTES, F_NODE_LOAD, F_NODE_POLICY_VERSION, F_NODE_DROPS,
	F_NODE_LINKS, F_NODE_LOSS_MAX, F_NODE_CLASS_PACKETS,
	F_NODE_CLASS_BYTES, F_NODE_CLASS_DROPS,
	/* the troubled links */
	F_LINK_UP, F_LINK_LOSS, F_LINK_RTT,
	/* each link of the nodes with per-node series */
	F_LINK_TX_BYTES, F_LINK_RX_BYTES, F_LINK_UTILIZATION,
	FAMILIES
};

static const struct {
	const char *name, *type, *help;
} families[FAMILIES] = {
#define FAM(f, n, t, h)	[f] = { n, t, h }
	FAM(F_REQUESTS, "xmesh_controller_requests_total", "counter",
	    "Requests answered, by status."),
	FAM(F_AUTH, "xmesh_controller_agent_auth_total", "counter",
	    "Agent requests checked, by result."),
	FAM(F_CONNS, "xmesh_controller_connections", "gauge",
	    "Connections open."),
	FAM(F_CONNS_REFUSED, "xmesh_controller_connections_refused_total",
	    "counter", "Connections refused, by the limit reached (in all,"
	    " or one address's)."),
	FAM(F_BODY_BYTES, "xmesh_controller_body_bytes", "gauge",
	    "Bytes of request bodies being read (their lengths when"
	    " given)."),
	FAM(F_BODIES_REFUSED, "xmesh_controller_bodies_refused_total",
	    "counter", "Requests refused (503) as their bodies would pass"
	    " the bytes read at once, by the limit reached (in all, one"
	    " address's, one node's)."),
	FAM(F_HOOKS_BUSY, "xmesh_controller_remediation_hook_busy_total",
	    "counter", "Hook runs not started (failed \"busy\") as the most"
	    " that run at once were running."),
	FAM(F_AGENTS, "xmesh_controller_agents", "gauge", "Agents known."),
	FAM(F_AGENTS_CURRENT, "xmesh_controller_agents_current", "gauge",
	    "Agents that applied the current policy version."),
	FAM(F_AGENTS_WAITING, "xmesh_controller_agents_waiting", "gauge",
	    "Agents waiting in a long poll."),
	FAM(F_POLICY_VERSION, "xmesh_controller_policy_version", "gauge",
	    "The current policy version."),
	FAM(F_REPORTS, "xmesh_controller_telemetry_reports_total", "counter",
	    "Agents' reports, by result."),
	FAM(F_TELE_DROPPED, "xmesh_controller_telemetry_dropped_total",
	    "counter", "What agents' reports carried that was not kept:"
	    " link events past a report's cap, samples of links to peers"
	    " that are not nodes of the site, events the agents lost."),
	FAM(F_STREAMS, "xmesh_controller_event_streams", "gauge",
	    "Event streams open."),
	FAM(F_REMEDY, "xmesh_controller_remediation_total", "counter",
	    "Remediation decisions, by verdict."),
	FAM(F_REMEDY_BUDGET, "xmesh_controller_remediation_budget_used",
	    "gauge", "Actions in the last hour, of the policy's"
	    " budget_per_hour."),
	FAM(F_REMEDY_LEADER, "xmesh_controller_remediation_leader", "gauge",
	    "Whether this controller runs the site's remediation rules (of"
	    " the controllers on the store)."),
	FAM(F_REMEDY_LEADER_CHANGES,
	    "xmesh_controller_remediation_leader_changes_total", "counter",
	    "Times this controller took the site's rules over or lost them."),
	FAM(F_REMEDY_TARGETS, "xmesh_controller_remediation_targets",
	    "gauge", "Target states the remediation rules keep (a node or"
	    " link in trouble, a node known to an unreachable rule), of"
	    " --remedy-targets."),
	FAM(F_REMEDY_TARGETS_REFUSED,
	    "xmesh_controller_remediation_targets_refused_total", "counter",
	    "New targets the remediation rules did not take, as"
	    " --remedy-targets were kept."),
	FAM(F_STORE_ROWS, "xmesh_store_rows", "gauge", "Rows of the store's"
	    " tables that are the site's, counted every minute or less"
	    " often."),
	FAM(F_STORE_ROWS_SECONDS, "xmesh_store_rows_count_seconds", "gauge",
	    "How long the last count of the site's rows took."),
	FAM(F_SITE_NODES, "xmesh_site_nodes", "gauge", "Nodes reporting, by"
	    " health (up: within 3 of their intervals, stale: 10, down"
	    " after)."),
	FAM(F_SITE_AGENTS, "xmesh_site_agents", "gauge", "Agents the store"
	    " knows, by the health of their last request to any controller on"
	    " it (up: within 15 s, stale: 50 s, down after)."),
	FAM(F_SITE_LINKS, "xmesh_site_links", "gauge", "Links as their nodes"
	    " report them (each direction), by state."),
	FAM(F_SITE_LOSSY, "xmesh_site_links_lossy", "gauge", "Links up"
	    " losing more than 1 % of their probes."),
	FAM(F_SITE_TX, "xmesh_site_tx_bytes_per_second", "gauge", "The nodes"
	    " up: bytes sent by xmesh0, per second, summed."),
	FAM(F_SITE_RX, "xmesh_site_rx_bytes_per_second", "gauge", "The nodes"
	    " up: bytes received by xmesh0, per second, summed."),
	FAM(F_SITE_DROPS, "xmesh_site_drops_per_second", "gauge", "The nodes"
	    " up: packets dropped per second, summed."),
	FAM(F_SITE_RTT, "xmesh_site_link_rtt_seconds", "histogram",
	    "Round-trip times of the links up."),
	FAM(F_SITE_LOSS, "xmesh_site_link_loss_ratio", "histogram",
	    "Probe loss of the links up."),
	FAM(F_SITE_LOAD, "xmesh_site_node_load", "histogram",
	    "The nodes' load averages."),
	FAM(F_SITE_AGE, "xmesh_site_node_report_age_seconds", "histogram",
	    "Time since each node's last report."),
	FAM(F_OMITTED, "xmesh_metrics_omitted", "gauge", "Series left out by"
	    " the caps: nodes without per-node series (--metrics-nodes),"
	    " troubled links and nodes not listed (--metrics-troubled)."),
	FAM(F_NODE_UP, "xmesh_node_up", "gauge", "1 if the node reported"
	    " within 3 of its intervals."),
	FAM(F_NODE_LAST_SEEN, "xmesh_node_last_seen_seconds", "gauge",
	    "When the node last reported (unix time)."),
	FAM(F_NODE_TX_BYTES, "xmesh_node_tx_bytes_total", "counter",
	    "Bytes sent by xmesh0."),
	FAM(F_NODE_RX_BYTES, "xmesh_node_rx_bytes_total", "counter",
	    "Bytes received by xmesh0."),
	FAM(F_NODE_TX_PACKETS, "xmesh_node_tx_packets_total", "counter",
	    "Packets sent by xmesh0."),
	FAM(F_NODE_RX_PACKETS, "xmesh_node_rx_packets_total", "counter",
	    "Packets received by xmesh0."),
	FAM(F_NODE_FWD_PACKETS, "xmesh_node_forwarded_packets_total",
	    "counter", "Packets forwarded."),
	FAM(F_NODE_FWD_BYTES, "xmesh_node_forwarded_bytes_total", "counter",
	    "Bytes forwarded."),
	FAM(F_NODE_LOAD, "xmesh_node_load", "gauge", "Load average."),
	FAM(F_NODE_POLICY_VERSION, "xmesh_node_policy_version", "gauge",
	    "The policy version the node runs."),
	FAM(F_NODE_DROPS, "xmesh_node_drops_total", "counter", "Packets"
	    " dropped, by reason."),
	FAM(F_NODE_LINKS, "xmesh_node_links", "gauge", "The node's links, by"
	    " state."),
	FAM(F_NODE_LOSS_MAX, "xmesh_node_link_loss_ratio_max", "gauge",
	    "The highest probe loss of the node's links up."),
	FAM(F_NODE_CLASS_PACKETS, "xmesh_node_class_packets_total",
	    "counter", "Packets sent in the traffic class."),
	FAM(F_NODE_CLASS_BYTES, "xmesh_node_class_bytes_total", "counter",
	    "Bytes sent in the traffic class."),
	FAM(F_NODE_CLASS_DROPS, "xmesh_node_class_drops_total", "counter",
	    "Packets of the traffic class dropped by its rate cap."),
	FAM(F_LINK_UP, "xmesh_link_up", "gauge", "1 if the link is up"
	    " (listed: links down or lossy, the worst first)."),
	FAM(F_LINK_LOSS, "xmesh_link_loss_ratio", "gauge", "Probe loss"
	    " (listed: links down or lossy)."),
	FAM(F_LINK_RTT, "xmesh_link_rtt_seconds", "gauge", "Round-trip time"
	    " (listed: links down or lossy)."),
	FAM(F_LINK_TX_BYTES, "xmesh_link_tx_bytes_total", "counter",
	    "Bytes sent to the peer over the link (the nodes with per-node"
	    " series)."),
	FAM(F_LINK_RX_BYTES, "xmesh_link_rx_bytes_total", "counter",
	    "Bytes received from the peer over the link (the nodes with"
	    " per-node series)."),
	FAM(F_LINK_UTILIZATION, "xmesh_link_utilization", "gauge",
	    "The link's send rate over its bandwidth, between the node's"
	    " last two reports (the nodes with per-node series)."),
#undef FAM
};

struct xm_metrics_part {
	char *text;
	size_t len;
	size_t start[FAMILIES + 1];	/* family f: text[start[f]..[f + 1]) */
	FILE *f;			/* while rendered */
	size_t begun;			/* families started */
	bool bad;			/* a family out of order: a bug */
};

/* The stream for fam's samples. A part's families are rendered in the
 * order of enum family (test_metrics checks the text is valid). */
static FILE *part_begin(struct xm_metrics_part *p, enum family fam)
{
	long at = ftell(p->f);

	/* Samples of a family already closed would be filed under the
	 * next one's # TYPE: the part is refused rather than written so. */
	if (at < 0 || (size_t)fam + 1 < p->begun)
		p->bad = true;
	while (p->begun <= (size_t)fam)
		p->start[p->begun++] = at < 0 ? 0 : (size_t)at;
	return p->f;
}

static void header(FILE *f, enum family fam)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", families[fam].name,
		families[fam].help, families[fam].name, families[fam].type);
}

static void controller_metrics(FILE *f, const struct xm_metrics_ctl *m)
{
	static const char *const body_reasons[] = {
		"budget", "address", "node",
	};
	size_t i;

	header(f, F_REQUESTS);
	for (i = 0; i < m->n_statuses; i++)
		fprintf(f, "%s{code=\"%u\"} %llu\n", families[F_REQUESTS].name,
			m->statuses[i], (unsigned long long)m->requests[i]);
	header(f, F_AUTH);
	for (i = 0; i <= XM_AGENT_AUTH_MAX; i++)
		fprintf(f, "%s{result=\"%s\"} %llu\n", families[F_AUTH].name,
			xm_agent_auth_name(i), (unsigned long long)m->auth[i]);
	header(f, F_CONNS);
	fprintf(f, "%s %u\n", families[F_CONNS].name, m->connections);
	header(f, F_CONNS_REFUSED);
	fprintf(f, "%s{reason=\"total\"} %llu\n",
		families[F_CONNS_REFUSED].name,
		(unsigned long long)m->conns_refused[0]);
	fprintf(f, "%s{reason=\"per_address\"} %llu\n",
		families[F_CONNS_REFUSED].name,
		(unsigned long long)m->conns_refused[1]);
	header(f, F_BODY_BYTES);
	fprintf(f, "%s %llu\n", families[F_BODY_BYTES].name,
		(unsigned long long)m->body_bytes);
	header(f, F_BODIES_REFUSED);
	for (i = 0; i < 3; i++)
		fprintf(f, "%s{reason=\"%s\"} %llu\n",
			families[F_BODIES_REFUSED].name, body_reasons[i],
			(unsigned long long)m->bodies_refused[i]);
	header(f, F_HOOKS_BUSY);
	fprintf(f, "%s %llu\n", families[F_HOOKS_BUSY].name,
		(unsigned long long)m->hooks_busy);
}

/* ---- a site's aggregates ---- */

/* Histogram buckets (upper bounds; +Inf is implied). */
static const double rtt_le[] = {
	0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1,
};
static const double loss_le[] = { 0, 0.001, 0.01, 0.05, 0.1, 0.5 };
static const double load_le[] = { 0.25, 0.5, 1, 2, 4, 8, 16, 32 };
static const double age_le[] = { 5, 10, 15, 30, 60, 120, 300, 900, 3600 };
#define LE_MAX	16

struct hist {
	const double *le;
	size_t n;
	uint64_t below[LE_MAX];		/* cumulative */
	uint64_t count;
	double sum;
};

#define HIST(bounds) { .le = (bounds), \
		       .n = sizeof(bounds) / sizeof((bounds)[0]) }

static void hist_add(struct hist *h, double v)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (v <= h->le[i])
			h->below[i]++;
	h->count++;
	h->sum += v;
}

enum { LINK_TROUBLE_NODE, LINK_TROUBLE_DOWN, LINK_TROUBLE_LOSSY };

/* A troubled node (l NULL: not up) or link, listed by itself. */
struct trouble {
	const struct xm_tele_node *x;
	const struct xm_tele_link *l;
	int rank;			/* LINK_TROUBLE_*: the worst first */
};

struct site_state {
	const struct xm_metrics_site *site;
	struct xm_metrics_part *p;	/* rendered into */
	const char *label;		/* site="NAME" */
	bool per_node;			/* within limits.nodes */
	uint64_t health[XM_TELE_DOWN + 1];
	uint64_t links_up, links_down, links_lossy;
	double tx_bps, rx_bps, drops_per_s;
	struct hist rtt, loss, load, age;
	struct trouble *troubled;
	size_t n_troubled;		/* listed */
	size_t troubled_omitted;
};

static bool lossy(const struct xm_tele_link *l)
{
	return l->up && l->loss_ppm > XM_TELE_LOSS_PPM;
}

static int trouble_cmp(const void *a, const void *b)
{
	const struct trouble *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank - y->rank;
	if (x->rank == LINK_TROUBLE_LOSSY &&
	    x->l->loss_ppm != y->l->loss_ppm)
		return x->l->loss_ppm > y->l->loss_ppm ? -1 : 1;
	if (x->x->id != y->x->id)
		return x->x->id < y->x->id ? -1 : 1;
	if (x->l && y->l && x->l->peer != y->l->peer)
		return x->l->peer < y->l->peer ? -1 : 1;
	return 0;
}

static int trouble_add(struct site_state *s, size_t *cap,
		       const struct xm_tele_node *x,
		       const struct xm_tele_link *l, int rank)
{
	if (xm_ctl_grow((void **)&s->troubled, cap, s->n_troubled + 1,
			sizeof(*s->troubled)))
		return -1;
	s->troubled[s->n_troubled++] = (struct trouble){ x, l, rank };
	return 0;
}

/* One pass over the site's nodes and links: the aggregates, and the
 * troubled ones, sorted and cut at limit. */
static void site_scan(struct site_state *s, const struct xm_metrics_site *site,
		      unsigned int nodes_max, unsigned int limit, int64_t now)
{
	size_t i, k, n = xm_tele_count(site->tele), cap = 0;

	*s = (struct site_state){
		.site = site, .per_node = n <= nodes_max,
		.rtt = HIST(rtt_le), .loss = HIST(loss_le),
		.load = HIST(load_le), .age = HIST(age_le),
	};
	for (i = 0; i < n; i++) {
		const struct xm_tele_node *x = xm_tele_at(site->tele, i);
		enum xm_tele_health h = xm_tele_health(x->last_seen,
						       x->r.interval, now);

		s->health[h]++;
		hist_add(&s->age, (double)(now > x->last_seen ?
					   now - x->last_seen : 0));
		if (x->r.caps.have_load)
			hist_add(&s->load, x->r.caps.load);
		if (h != XM_TELE_UP) {
			if (!s->per_node)
				trouble_add(s, &cap, x, NULL,
					    LINK_TROUBLE_NODE);
		} else if (x->have_rates) {
			s->tx_bps += x->tx_bps;
			s->rx_bps += x->rx_bps;
			s->drops_per_s += x->drops_per_s;
		}
		for (k = 0; k < x->r.n_links; k++) {
			const struct xm_tele_link *l = &x->r.links[k];

			if (!l->up) {
				s->links_down++;
				trouble_add(s, &cap, x, l, LINK_TROUBLE_DOWN);
				continue;
			}
			s->links_up++;
			hist_add(&s->rtt, l->rtt_us / 1e6);
			hist_add(&s->loss, l->loss_ppm / 1e6);
			if (lossy(l)) {
				s->links_lossy++;
				trouble_add(s, &cap, x, l, LINK_TROUBLE_LOSSY);
			}
		}
	}
	/* Out of memory on the way: the list is shorter, said omitted. */
	if (s->n_troubled)
		qsort(s->troubled, s->n_troubled, sizeof(*s->troubled),
		      trouble_cmp);
	if (s->n_troubled > limit) {
		s->troubled_omitted = s->n_troubled - limit;
		s->n_troubled = limit;
	}
}

/* site="NAME", escaped as the format wants (malloc'd; NULL: no memory). */
static char *site_label(const char *name)
{
	char *l = malloc(2 * strlen(name) + 8), *p = l;

	if (!l)
		return NULL;
	p += sprintf(p, "site=\"");
	for (; *name; name++) {
		if (*name == '\\' || *name == '"')
			*p++ = '\\';
		if (*name == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else {
			*p++ = *name;
		}
	}
	strcpy(p, "\"");
	return l;
}

/* fam{site="S"[,extra]}, the value to follow. */
static FILE *sample(const struct site_state *st, enum family fam,
		    const char *extra)
{
	FILE *f = part_begin(st->p, fam);

	fprintf(f, "%s{%s%s%s}", families[fam].name, st->label,
		extra ? "," : "", extra ? extra : "");
	return f;
}

/* fam{site="S",what="name"} value, for each of n counters. */
static void labelled(const struct site_state *st, enum family fam,
		     const char *what, const char *const *names,
		     const uint64_t *values, size_t n)
{
	char l[96];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(l, sizeof(l), "%s=\"%s\"", what, names[i]);
		fprintf(sample(st, fam, l), " %llu\n",
			(unsigned long long)values[i]);
	}
}

static void site_controller(const struct site_state *st)
{
	const struct xm_metrics_site *m = st->site;
	const char *verdicts[XM_REMEDY_VERDICTS];
	size_t i;

	fprintf(sample(st, F_AGENTS, NULL), " %ld\n", m->agents.known);
	fprintf(sample(st, F_AGENTS_CURRENT, NULL), " %ld\n",
		m->agents.current);
	fprintf(sample(st, F_AGENTS_WAITING, NULL), " %u\n", m->waiting);
	fprintf(sample(st, F_POLICY_VERSION, NULL), " %llu\n",
		(unsigned long long)m->policy_version);
	if (m->reports)
		labelled(st, F_REPORTS, "result", m->report_results,
			 m->reports, m->n_report_results);
	if (m->drops)
		labelled(st, F_TELE_DROPPED, "what", m->drop_reasons,
			 m->drops, m->n_drop_reasons);
	fprintf(sample(st, F_STREAMS, NULL), " %u\n", m->streams);
	for (i = 0; i < XM_REMEDY_VERDICTS; i++)
		verdicts[i] = xm_remedy_verdict_name(i);
	if (m->remedy_decisions)
		labelled(st, F_REMEDY, "verdict", verdicts,
			 m->remedy_decisions, XM_REMEDY_VERDICTS);
	fprintf(sample(st, F_REMEDY_BUDGET, NULL), " %u\n",
		m->remedy_budget_used);
	fprintf(sample(st, F_REMEDY_LEADER, NULL), " %d\n", m->remedy_lead);
	fprintf(sample(st, F_REMEDY_LEADER_CHANGES, NULL), " %llu\n",
		(unsigned long long)m->remedy_lead_changes);
	fprintf(sample(st, F_REMEDY_TARGETS, NULL), " %zu\n",
		m->remedy_targets);
	fprintf(sample(st, F_REMEDY_TARGETS_REFUSED, NULL), " %llu\n",
		(unsigned long long)m->remedy_targets_refused);
	for (i = 0; m->store_rows && i < XM_STORE_TABLES; i++) {
		char l[64];

		if (m->store_rows[i] < 0)
			continue;
		snprintf(l, sizeof(l), "table=\"%s\"", xm_store_table_name(i));
		fprintf(sample(st, F_STORE_ROWS, l), " %ld\n",
			m->store_rows[i]);
	}
	if (m->store_rows && m->store_rows[0] >= 0)
		fprintf(sample(st, F_STORE_ROWS_SECONDS, NULL), " %g\n",
			m->store_rows_seconds);
}

static void hist_samples(const struct site_state *st, enum family fam,
			 const struct hist *h)
{
	FILE *f = part_begin(st->p, fam);
	const char *name = families[fam].name;
	size_t i;

	for (i = 0; i < h->n; i++)
		fprintf(f, "%s_bucket{%s,le=\"%g\"} %llu\n", name, st->label,
			h->le[i], (unsigned long long)h->below[i]);
	fprintf(f, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, st->label,
		(unsigned long long)h->count);
	fprintf(f, "%s_sum{%s} %g\n%s_count{%s} %llu\n", name, st->label,
		h->sum, name, st->label, (unsigned long long)h->count);
}

static void site_metrics(const struct site_state *st)
{
	static const char *const health[] = { "up", "stale", "down" };
	static const char *const states[] = { "up", "down" };
	uint64_t agents[XM_TELE_DOWN + 1], links[2], omitted[2];
	size_t i;

	labelled(st, F_SITE_NODES, "health", health, st->health,
		 XM_TELE_DOWN + 1);
	for (i = 0; i <= XM_TELE_DOWN; i++)
		agents[i] = (uint64_t)st->site->agents.health[i];
	labelled(st, F_SITE_AGENTS, "health", health, agents,
		 XM_TELE_DOWN + 1);
	links[0] = st->links_up;
	links[1] = st->links_down;
	labelled(st, F_SITE_LINKS, "state", states, links, 2);
	fprintf(sample(st, F_SITE_LOSSY, NULL), " %llu\n",
		(unsigned long long)st->links_lossy);
	fprintf(sample(st, F_SITE_TX, NULL), " %g\n", st->tx_bps / 8);
	fprintf(sample(st, F_SITE_RX, NULL), " %g\n", st->rx_bps / 8);
	fprintf(sample(st, F_SITE_DROPS, NULL), " %g\n", st->drops_per_s);
	hist_samples(st, F_SITE_RTT, &st->rtt);
	hist_samples(st, F_SITE_LOSS, &st->loss);
	hist_samples(st, F_SITE_LOAD, &st->load);
	hist_samples(st, F_SITE_AGE, &st->age);
	omitted[0] = st->per_node ? 0 : xm_tele_count(st->site->tele);
	omitted[1] = st->troubled_omitted;
	labelled(st, F_OMITTED, "kind", (const char *const[]){ "nodes",
		 "troubled" }, omitted, 2);
}

/* ---- per node, while a site has few enough ---- */

enum value_kind { U64, I64, DBL };

/* The families of one value of struct xm_tele_node each. */
static const struct {
	enum family fam;
	enum value_kind kind;
	size_t off;
} node_values[] = {
#define NODE_VALUE(fam, kind, member) \
	{ fam, kind, offsetof(struct xm_tele_node, member) }
	NODE_VALUE(F_NODE_LAST_SEEN, I64, last_seen),
	NODE_VALUE(F_NODE_TX_BYTES, U64, r.counters.tx_bytes),
	NODE_VALUE(F_NODE_RX_BYTES, U64, r.counters.rx_bytes),
	NODE_VALUE(F_NODE_TX_PACKETS, U64, r.counters.tx_packets),
	NODE_VALUE(F_NODE_RX_PACKETS, U64, r.counters.rx_packets),
	NODE_VALUE(F_NODE_FWD_PACKETS, U64, r.counters.forwarded_packets),
	NODE_VALUE(F_NODE_FWD_BYTES, U64, r.counters.forwarded_bytes),
	NODE_VALUE(F_NODE_LOAD, DBL, r.caps.load),
	NODE_VALUE(F_NODE_POLICY_VERSION, U64, r.policy_version),
#undef NODE_VALUE
};

/* fam{site="S",node="N",name="X"[,extra]}, the value to follow. */
static FILE *node_sample(const struct site_state *st, enum family fam,
			 const struct xm_tele_node *x, const char *extra)
{
	FILE *f = part_begin(st->p, fam);

	fprintf(f, "%s{%s,node=\"%u\",name=\"%s\"%s%s}", families[fam].name,
		st->label, x->id, x->r.name, extra ? "," : "",
		extra ? extra : "");
	return f;
}

static void node_value(FILE *f, const struct xm_tele_node *x, size_t j)
{
	const char *p = (const char *)x + node_values[j].off;

	if (node_values[j].kind == U64)
		fprintf(f, " %llu\n", (unsigned long long)
			*(const uint64_t *)(const void *)p);
	else if (node_values[j].kind == I64)
		fprintf(f, " %lld\n", (long long)*(const int64_t *)
			(const void *)p);
	else
		fprintf(f, " %g\n", *(const double *)(const void *)p);
}

static double loss_max(const struct xm_tele_node *x)
{
	uint64_t m = 0;
	size_t k;

	for (k = 0; k < x->r.n_links; k++)
		if (x->r.links[k].up && x->r.links[k].loss_ppm > m)
			m = x->r.links[k].loss_ppm;
	return m / 1e6;
}

/* A node's classes' counters of family fam, labelled by class. */
static void class_samples(const struct site_state *st, enum family fam,
			  const struct xm_tele_node *x)
{
	size_t k;

	for (k = 0; k < x->r.n_qos; k++) {
		const struct xm_tele_class *c = &x->r.qos[k];
		char label[64];

		snprintf(label, sizeof(label), "class=\"%s\"", c->name);
		fprintf(node_sample(st, fam, x, label), " %llu\n",
			(unsigned long long)(fam == F_NODE_CLASS_PACKETS ?
					     c->packets :
					     fam == F_NODE_CLASS_BYTES ?
					     c->bytes : c->drops));
	}
}

static void node_metrics(const struct site_state *st, int64_t now)
{
	const struct xm_tele *t = st->site->tele;
	size_t n = st->per_node ? xm_tele_count(t) : 0, i, k, j;

	/* Every node of a site within the cap; beyond, those not up. */
	for (i = 0; i < n; i++) {
		const struct xm_tele_node *x = xm_tele_at(t, i);

		fprintf(node_sample(st, F_NODE_UP, x, NULL), " %d\n",
			xm_tele_health(x->last_seen, x->r.interval, now) ==
			XM_TELE_UP);
	}
	for (i = 0; i < st->n_troubled; i++)
		if (!st->troubled[i].l)
			fputs(" 0\n", node_sample(st, F_NODE_UP,
						  st->troubled[i].x, NULL));
	for (j = 0; j < sizeof(node_values) / sizeof(node_values[0]); j++)
		for (i = 0; i < n; i++)
			node_value(node_sample(st, node_values[j].fam,
					       xm_tele_at(t, i), NULL),
				   xm_tele_at(t, i), j);
	for (i = 0; i < n; i++) {
		const struct xm_tele_counters *c = &xm_tele_at(t, i)->r.counters;

		for (k = 0; k < c->n_drops; k++) {
			char reason[64];

			snprintf(reason, sizeof(reason), "reason=\"%s\"",
				 c->drops[k].reason);
			fprintf(node_sample(st, F_NODE_DROPS, xm_tele_at(t, i),
					    reason), " %llu\n",
				(unsigned long long)c->drops[k].count);
		}
	}
	/* The node's links summed up: per-link series grow with the
	 * square of a dense mesh. */
	for (i = 0; i < n; i++) {
		const struct xm_tele_node *x = xm_tele_at(t, i);
		size_t up = 0;

		for (k = 0; k < x->r.n_links; k++)
			up += x->r.links[k].up;
		fprintf(node_sample(st, F_NODE_LINKS, x, "state=\"up\""),
			" %zu\n", up);
		fprintf(node_sample(st, F_NODE_LINKS, x, "state=\"down\""),
			" %zu\n", x->r.n_links - up);
	}
	for (i = 0; i < n; i++)
		fprintf(node_sample(st, F_NODE_LOSS_MAX, xm_tele_at(t, i),
				    NULL), " %g\n", loss_max(xm_tele_at(t, i)));
	for (j = F_NODE_CLASS_PACKETS; j <= F_NODE_CLASS_DROPS; j++)
		for (i = 0; i < n; i++)
			class_samples(st, j, xm_tele_at(t, i));
}

/* ---- the troubled links, by themselves ---- */

static void link_metrics(const struct site_state *st)
{
	size_t j, i;

	for (j = F_LINK_UP; j <= F_LINK_RTT; j++)
		for (i = 0; i < st->n_troubled; i++) {
			const struct trouble *t = &st->troubled[i];
			char peer[32];
			FILE *f;

			if (!t->l)
				continue;
			snprintf(peer, sizeof(peer), "peer=\"%u\"",
				 t->l->peer);
			f = node_sample(st, j, t->x, peer);
			if (j == F_LINK_UP)
				fprintf(f, " %d\n", t->l->up);
			else if (j == F_LINK_LOSS)
				fprintf(f, " %g\n", t->l->loss_ppm / 1e6);
			else
				fprintf(f, " %g\n", t->l->rtt_us / 1e6);
		}
}

/* ---- each link's traffic, for the nodes with per-node series ---- */

/* Counted against the node cap as the node's own series are: a link's
 * series are its node's, 2 or 3 a link (its utilization once two reports
 * had its counters and it has a bandwidth). */
static void link_traffic_metrics(const struct site_state *st)
{
	const struct xm_tele *t = st->site->tele;
	size_t n = st->per_node ? xm_tele_count(t) : 0, i, k, j;

	for (j = F_LINK_TX_BYTES; j <= F_LINK_UTILIZATION; j++)
		for (i = 0; i < n; i++) {
			const struct xm_tele_node *x = xm_tele_at(t, i);

			for (k = 0; k < x->r.n_links; k++) {
				const struct xm_tele_link *l = &x->r.links[k];
				double tx_bps, utilization;
				char peer[32];
				bool own;

				if (!l->have_counters)
					continue;
				if (j == F_LINK_UTILIZATION &&
				    (!l->bandwidth_kbps ||
				     !xm_tele_link_rate(x, l, &tx_bps,
							&utilization, &own)))
					continue;
				snprintf(peer, sizeof(peer), "peer=\"%u\"",
					 l->peer);
				if (j == F_LINK_UTILIZATION)
					fprintf(node_sample(st, j, x, peer),
						" %g\n", utilization);
				else
					fprintf(node_sample(st, j, x, peer),
						" %llu\n", (unsigned long long)
						(j == F_LINK_TX_BYTES ?
						 l->tx_bytes : l->rx_bytes));
			}
		}
}

static unsigned int limit_or(unsigned int v, unsigned int def)
{
	return v ? v : def;
}

struct xm_metrics_part *xm_metrics_part_new(const struct xm_metrics_site *site,
					    const struct xm_metrics_limits *lim,
					    int64_t now)
{
	struct xm_metrics_part *p = calloc(1, sizeof(*p));
	struct site_state st;
	bool failed;

	if (!p)
		return NULL;
	p->f = open_memstream(&p->text, &p->len);
	if (!p->f) {
		free(p);
		return NULL;
	}
	site_scan(&st, site, limit_or(lim ? lim->nodes : 0, XM_METRICS_NODES),
		  limit_or(lim ? lim->troubled : 0, XM_METRICS_TROUBLED), now);
	st.p = p;
	st.label = site_label(site->name);
	if (st.label) {
		site_controller(&st);
		site_metrics(&st);
		node_metrics(&st, now);
		link_metrics(&st);
		link_traffic_metrics(&st);
	}
	failed = !st.label || p->bad || ferror(p->f);
	if (fclose(p->f))
		failed = true;
	p->f = NULL;
	while (p->begun <= FAMILIES)
		p->start[p->begun++] = p->len;
	free((char *)st.label);
	free(st.troubled);
	if (failed) {
		xm_metrics_part_free(p);
		return NULL;
	}
	return p;
}

void xm_metrics_part_free(struct xm_metrics_part *p)
{
	if (!p)
		return;
	free(p->text);
	free(p);
}

void xm_metrics_write(FILE *f, const struct xm_metrics_ctl *ctl,
		      struct xm_metrics_part *const *parts, size_t n)
{
	size_t fam, i;

	controller_metrics(f, ctl);
	for (fam = F_AGENTS; fam < FAMILIES; fam++) {
		header(f, fam);
		for (i = 0; i < n; i++)
			if (parts[i])
				fwrite(parts[i]->text + parts[i]->start[fam], 1,
				       parts[i]->start[fam + 1] -
				       parts[i]->start[fam], f);
	}
}
