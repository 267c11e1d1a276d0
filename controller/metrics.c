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

static void header(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void controller_metrics(FILE *f, const struct xm_metrics_ctl *m)
{
	size_t i;

	header(f, "xmesh_controller_agents", "gauge", "Agents known.");
	fprintf(f, "xmesh_controller_agents %ld\n", m->agents);
	header(f, "xmesh_controller_agents_current", "gauge",
	       "Agents that applied the current policy version.");
	fprintf(f, "xmesh_controller_agents_current %ld\n", m->agents_current);
	header(f, "xmesh_controller_agents_waiting", "gauge",
	       "Agents waiting in a long poll.");
	fprintf(f, "xmesh_controller_agents_waiting %u\n", m->waiting);
	header(f, "xmesh_controller_policy_version", "gauge",
	       "The current policy version.");
	fprintf(f, "xmesh_controller_policy_version %llu\n",
		(unsigned long long)m->policy_version);
	header(f, "xmesh_controller_requests_total", "counter",
	       "Requests answered, by status.");
	for (i = 0; i < m->n_statuses; i++)
		fprintf(f, "xmesh_controller_requests_total{code=\"%u\"}"
			" %llu\n", m->statuses[i],
			(unsigned long long)m->requests[i]);
	header(f, "xmesh_controller_agent_auth_total", "counter",
	       "Agent requests checked, by result.");
	for (i = 0; i <= XM_AGENT_AUTH_MAX; i++)
		fprintf(f, "xmesh_controller_agent_auth_total{result=\"%s\"}"
			" %llu\n", xm_agent_auth_name(i),
			(unsigned long long)m->auth[i]);
	header(f, "xmesh_controller_telemetry_reports_total", "counter",
	       "Agents' reports, by result.");
	for (i = 0; i < m->n_report_results; i++)
		fprintf(f, "xmesh_controller_telemetry_reports_total"
			"{result=\"%s\"} %llu\n", m->report_results[i],
			(unsigned long long)m->reports[i]);
	header(f, "xmesh_controller_event_streams", "gauge",
	       "Event streams open.");
	fprintf(f, "xmesh_controller_event_streams %u\n", m->streams);
	header(f, "xmesh_controller_remediation_total", "counter",
	       "Remediation decisions, by verdict.");
	for (i = 0; i < XM_REMEDY_VERDICTS; i++)
		fprintf(f, "xmesh_controller_remediation_total{verdict=\"%s\"}"
			" %llu\n", xm_remedy_verdict_name(i),
			(unsigned long long)m->remedy_decisions[i]);
	header(f, "xmesh_controller_remediation_budget_used", "gauge",
	       "Actions in the last hour, of the policy's budget_per_hour.");
	fprintf(f, "xmesh_controller_remediation_budget_used %u\n",
		m->remedy_budget_used);
	header(f, "xmesh_controller_remediation_leader", "gauge",
	       "Whether this controller runs the remediation rules (of the"
	       " controllers on the store).");
	fprintf(f, "xmesh_controller_remediation_leader %d\n", m->remedy_lead);
	header(f, "xmesh_controller_remediation_leader_changes_total",
	       "counter", "Times this controller took the rules over or lost"
	       " them.");
	fprintf(f, "xmesh_controller_remediation_leader_changes_total %llu\n",
		(unsigned long long)m->remedy_lead_changes);
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
	if (s->n_troubled == *cap) {
		size_t n = *cap ? 2 * *cap : 64;
		struct trouble *t = realloc(s->troubled, n * sizeof(*t));

		if (!t)
			return -1;
		s->troubled = t;
		*cap = n;
	}
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

/* name{site="S"[,extra]} */
static void sample_start(FILE *f, const char *name, const char *site,
			 const char *extra)
{
	fprintf(f, "%s{%s%s%s}", name, site, extra ? "," : "",
		extra ? extra : "");
}

static void hist_family(FILE *f, const char *name, const char *help,
			const struct site_state *st, size_t n,
			size_t member)
{
	char bucket[128], le[32];
	size_t s, i;

	header(f, name, "histogram", help);
	snprintf(bucket, sizeof(bucket), "%s_bucket", name);
	for (s = 0; s < n; s++) {
		const struct hist *h = (const struct hist *)
				       ((const char *)&st[s] + member);
		const char *site = st[s].label;

		for (i = 0; i < h->n; i++) {
			snprintf(le, sizeof(le), "le=\"%g\"", h->le[i]);
			sample_start(f, bucket, site, le);
			fprintf(f, " %llu\n", (unsigned long long)h->below[i]);
		}
		sample_start(f, bucket, site, "le=\"+Inf\"");
		fprintf(f, " %llu\n", (unsigned long long)h->count);
		fprintf(f, "%s_sum{%s} %g\n%s_count{%s} %llu\n", name, site,
			h->sum, name, site, (unsigned long long)h->count);
	}
}

static void site_metrics(FILE *f, const struct site_state *st, size_t n)
{
	static const char *const health[] = { "up", "stale", "down" };
	size_t s, i;

	header(f, "xmesh_site_nodes", "gauge", "Nodes reporting, by health"
	       " (up: within 3 of their intervals, stale: 10, down after).");
	for (s = 0; s < n; s++)
		for (i = 0; i <= XM_TELE_DOWN; i++) {
			char h[32];

			snprintf(h, sizeof(h), "health=\"%s\"", health[i]);
			sample_start(f, "xmesh_site_nodes", st[s].label, h);
			fprintf(f, " %llu\n",
				(unsigned long long)st[s].health[i]);
		}
	header(f, "xmesh_site_agents", "gauge", "Agents the store knows, by"
	       " the health of their last request to any controller on it"
	       " (up: within 15 s, stale: 50 s, down after).");
	for (s = 0; s < n; s++)
		for (i = 0; i <= XM_TELE_DOWN; i++) {
			char h[32];

			snprintf(h, sizeof(h), "health=\"%s\"", health[i]);
			sample_start(f, "xmesh_site_agents", st[s].label, h);
			fprintf(f, " %ld\n", st[s].site->agents.health[i]);
		}
	header(f, "xmesh_site_links", "gauge", "Links as their nodes report"
	       " them (each direction), by state.");
	for (s = 0; s < n; s++) {
		sample_start(f, "xmesh_site_links", st[s].label,
			     "state=\"up\"");
		fprintf(f, " %llu\n", (unsigned long long)st[s].links_up);
		sample_start(f, "xmesh_site_links", st[s].label,
			     "state=\"down\"");
		fprintf(f, " %llu\n", (unsigned long long)st[s].links_down);
	}
#define SITE_GAUGE(metric, help, fmt, val) \
	header(f, metric, "gauge", help); \
	for (s = 0; s < n; s++) { \
		sample_start(f, metric, st[s].label, NULL); \
		fprintf(f, " " fmt "\n", val); \
	}
	SITE_GAUGE("xmesh_site_links_lossy", "Links up losing more than 1 %"
		   " of their probes.", "%llu",
		   (unsigned long long)st[s].links_lossy)
	SITE_GAUGE("xmesh_site_tx_bytes_per_second", "The nodes up: bytes"
		   " sent by xmesh0, per second, summed.", "%g",
		   st[s].tx_bps / 8)
	SITE_GAUGE("xmesh_site_rx_bytes_per_second", "The nodes up: bytes"
		   " received by xmesh0, per second, summed.", "%g",
		   st[s].rx_bps / 8)
	SITE_GAUGE("xmesh_site_drops_per_second", "The nodes up: packets"
		   " dropped per second, summed.", "%g", st[s].drops_per_s)
#undef SITE_GAUGE
	hist_family(f, "xmesh_site_link_rtt_seconds", "Round-trip times of"
		    " the links up.", st, n, offsetof(struct site_state, rtt));
	hist_family(f, "xmesh_site_link_loss_ratio", "Probe loss of the"
		    " links up.", st, n, offsetof(struct site_state, loss));
	hist_family(f, "xmesh_site_node_load", "The nodes' load averages.",
		    st, n, offsetof(struct site_state, load));
	hist_family(f, "xmesh_site_node_report_age_seconds", "Time since"
		    " each node's last report.", st, n,
		    offsetof(struct site_state, age));
	header(f, "xmesh_metrics_omitted", "gauge", "Series left out by the"
	       " caps: nodes without per-node series (--metrics-nodes),"
	       " troubled links and nodes not listed (--metrics-troubled).");
	for (s = 0; s < n; s++) {
		sample_start(f, "xmesh_metrics_omitted", st[s].label,
			     "kind=\"nodes\"");
		fprintf(f, " %zu\n", st[s].per_node ? (size_t)0 :
			xm_tele_count(st[s].site->tele));
		sample_start(f, "xmesh_metrics_omitted", st[s].label,
			     "kind=\"troubled\"");
		fprintf(f, " %zu\n", st[s].troubled_omitted);
	}
}

/* ---- per node, while a site has few enough ---- */

enum value_kind { U64, I64, DBL };

struct node_family {
	const char *name, *type, *help;
	enum value_kind kind;
	size_t off;			/* in struct xm_tele_node */
};

#define NODE_U64(name, type, help, member) \
	{ name, type, help, U64, offsetof(struct xm_tele_node, member) }

static const struct node_family node_families[] = {
	{ "xmesh_node_last_seen_seconds", "gauge", "When the node last"
	  " reported (unix time).", I64,
	  offsetof(struct xm_tele_node, last_seen) },
	NODE_U64("xmesh_node_tx_bytes_total", "counter", "Bytes sent by"
		 " xmesh0.", r.counters.tx_bytes),
	NODE_U64("xmesh_node_rx_bytes_total", "counter", "Bytes received"
		 " by xmesh0.", r.counters.rx_bytes),
	NODE_U64("xmesh_node_tx_packets_total", "counter", "Packets sent by"
		 " xmesh0.", r.counters.tx_packets),
	NODE_U64("xmesh_node_rx_packets_total", "counter", "Packets"
		 " received by xmesh0.", r.counters.rx_packets),
	NODE_U64("xmesh_node_forwarded_packets_total", "counter", "Packets"
		 " forwarded.", r.counters.forwarded_packets),
	NODE_U64("xmesh_node_forwarded_bytes_total", "counter", "Bytes"
		 " forwarded.", r.counters.forwarded_bytes),
	{ "xmesh_node_load", "gauge", "Load average.", DBL,
	  offsetof(struct xm_tele_node, r.caps.load) },
	NODE_U64("xmesh_node_policy_version", "gauge", "The policy version"
		 " the node runs.", r.policy_version),
};

/* name{site="S",node="N",name="X"[,extra]} */
static void node_start(FILE *f, const char *metric, const char *site,
		       const struct xm_tele_node *x, const char *extra)
{
	fprintf(f, "%s{%s,node=\"%u\",name=\"%s\"%s%s}", metric, site, x->id,
		x->r.name, extra ? "," : "", extra ? extra : "");
}

static void node_value(FILE *f, const struct xm_tele_node *x,
		       const struct node_family *nf)
{
	const char *p = (const char *)x + nf->off;

	if (nf->kind == U64)
		fprintf(f, " %llu\n", (unsigned long long)
			*(const uint64_t *)(const void *)p);
	else if (nf->kind == I64)
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

static void node_metrics(FILE *f, const struct site_state *st, size_t n,
			 int64_t now)
{
	size_t s, i, k, j;

	/* Every node of a site within the cap; beyond, those not up. */
	header(f, "xmesh_node_up", "gauge", "1 if the node reported within"
	       " 3 of its intervals.");
	for (s = 0; s < n; s++) {
		const struct xm_tele *t = st[s].site->tele;

		for (i = 0; st[s].per_node && i < xm_tele_count(t); i++) {
			const struct xm_tele_node *x = xm_tele_at(t, i);

			node_start(f, "xmesh_node_up", st[s].label, x,
				   NULL);
			fprintf(f, " %d\n", xm_tele_health(x->last_seen,
							   x->r.interval,
							   now) == XM_TELE_UP);
		}
		for (i = 0; i < st[s].n_troubled; i++)
			if (!st[s].troubled[i].l) {
				node_start(f, "xmesh_node_up",
					   st[s].label,
					   st[s].troubled[i].x, NULL);
				fputs(" 0\n", f);
			}
	}
#define EACH_NODE \
	for (s = 0; s < n; s++) \
		for (i = 0; st[s].per_node && \
		     i < xm_tele_count(st[s].site->tele); i++)
#define X	xm_tele_at(st[s].site->tele, i)
	for (j = 0; j < sizeof(node_families) / sizeof(node_families[0]);
	     j++) {
		const struct node_family *nf = &node_families[j];

		header(f, nf->name, nf->type, nf->help);
		EACH_NODE {
			node_start(f, nf->name, st[s].label, X, NULL);
			node_value(f, X, nf);
		}
	}
	header(f, "xmesh_node_drops_total", "counter", "Packets dropped, by"
	       " reason.");
	EACH_NODE
		for (k = 0; k < X->r.counters.n_drops; k++) {
			char reason[64];

			snprintf(reason, sizeof(reason), "reason=\"%s\"",
				 X->r.counters.drops[k].reason);
			node_start(f, "xmesh_node_drops_total",
				   st[s].label, X, reason);
			fprintf(f, " %llu\n", (unsigned long long)
				X->r.counters.drops[k].count);
		}
	/* The node's links summed up: per-link series grow with the
	 * square of a dense mesh. */
	header(f, "xmesh_node_links", "gauge", "The node's links, by"
	       " state.");
	EACH_NODE {
		size_t up = 0;

		for (k = 0; k < X->r.n_links; k++)
			up += X->r.links[k].up;
		node_start(f, "xmesh_node_links", st[s].label, X,
			   "state=\"up\"");
		fprintf(f, " %zu\n", up);
		node_start(f, "xmesh_node_links", st[s].label, X,
			   "state=\"down\"");
		fprintf(f, " %zu\n", X->r.n_links - up);
	}
	header(f, "xmesh_node_link_loss_ratio_max", "gauge", "The highest"
	       " probe loss of the node's links up.");
	EACH_NODE {
		node_start(f, "xmesh_node_link_loss_ratio_max",
			   st[s].label, X, NULL);
		fprintf(f, " %g\n", loss_max(X));
	}
#undef X
#undef EACH_NODE
}

/* ---- the troubled links, by themselves ---- */

static void link_metrics(FILE *f, const struct site_state *st, size_t n)
{
	static const struct {
		const char *name, *help;
	} fam[] = {
		{ "xmesh_link_up", "1 if the link is up (listed: links down"
		  " or lossy, the worst first)." },
		{ "xmesh_link_loss_ratio", "Probe loss (listed: links down or"
		  " lossy)." },
		{ "xmesh_link_rtt_seconds", "Round-trip time (listed: links"
		  " down or lossy)." },
	};
	size_t j, s, i;

	for (j = 0; j < sizeof(fam) / sizeof(fam[0]); j++) {
		header(f, fam[j].name, "gauge", fam[j].help);
		for (s = 0; s < n; s++)
			for (i = 0; i < st[s].n_troubled; i++) {
				const struct trouble *t = &st[s].troubled[i];
				char peer[32];

				if (!t->l)
					continue;
				snprintf(peer, sizeof(peer), "peer=\"%u\"",
					 t->l->peer);
				node_start(f, fam[j].name, st[s].label,
					   t->x, peer);
				if (j == 0)
					fprintf(f, " %d\n", t->l->up);
				else if (j == 1)
					fprintf(f, " %g\n",
						t->l->loss_ppm / 1e6);
				else
					fprintf(f, " %g\n",
						t->l->rtt_us / 1e6);
			}
	}
}

static unsigned int limit_or(unsigned int v, unsigned int def)
{
	return v ? v : def;
}

void xm_metrics_write(FILE *f, const struct xm_metrics_ctl *ctl,
		      const struct xm_metrics_site *sites, size_t n,
		      const struct xm_metrics_limits *limits, int64_t now)
{
	struct site_state *st = calloc(n ? n : 1, sizeof(*st));
	unsigned int nodes_max = limit_or(limits ? limits->nodes : 0,
					  XM_METRICS_NODES);
	unsigned int troubled = limit_or(limits ? limits->troubled : 0,
					 XM_METRICS_TROUBLED);
	size_t s;

	controller_metrics(f, ctl);
	for (s = 0; st && s < n; s++) {
		char *label = site_label(sites[s].name);

		site_scan(&st[s], &sites[s], nodes_max, troubled, now);
		st[s].label = label;
		if (!label) {
			n = s + 1;
			goto out;
		}
	}
	if (st) {
		site_metrics(f, st, n);
		node_metrics(f, st, n, now);
		link_metrics(f, st, n);
	}
out:
	for (s = 0; st && s < n; s++) {
		free((char *)st[s].label);
		free(st[s].troubled);
	}
	free(st);
}
