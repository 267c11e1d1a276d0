// SPDX-License-Identifier: GPL-2.0
/*
 * xmeshd's Prometheus file (metrics.h): the text format, its atomic
 * replacement, and the main loop's timer. Each family is written whole,
 * since the format wants one # TYPE and contiguous samples per family.
 */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "xmesh_names.h"
#include "xmeshd.h"

/* ---- the text ---- */

static void header(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ,name="value" with the value escaped as the format wants: \\, \", \n. */
static void label(FILE *f, const char *name, const char *value)
{
	fprintf(f, ",%s=\"", name);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			fputc('\\', f);
		if (*value == '\n')
			fputs("\\n", f);
		else
			fputc(*value, f);
	}
	fputc('"', f);
}

static uint64_t stat_at(const void *base, const struct xmd_stat_name *s)
{
	return *(const uint64_t *)(const void *)((const char *)base + s->off);
}

/* One family per counter of a names table (stats.h): the table is the
 * list, so a new counter gets its series without a line here. */
static void stat_families(FILE *f, uint32_t node, const char *prefix,
			  const char *whose, const void *base,
			  const struct xmd_stat_name *names, size_t n)
{
	char name[96], help[160];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%s%s", prefix, names[i].key,
			 names[i].gauge ? "" : "_total");
		snprintf(help, sizeof(help), "%s %s (Documentation/xmeshd.md,"
			 " \"Counters\").", whose, names[i].key);
		header(f, name, names[i].gauge ? "gauge" : "counter", help);
		fprintf(f, "%s{node=\"%u\"} %llu\n", name, node,
			(unsigned long long)stat_at(base, &names[i]));
	}
}

/* A neighbor listed by itself. */
struct neigh_row {
	uint32_t id, node, ifindex;
	bool up;
	uint32_t srtt_us, loss_ppm;
	char ifname[IF_NAMESIZE];
};

/* The worst first: down, then the highest loss; then by peer and link,
 * so that a file is the same from one write to the next. */
static int neigh_cmp(const void *a, const void *b)
{
	const struct neigh_row *x = a, *y = b;

	if (x->up != y->up)
		return x->up ? 1 : -1;
	if (x->loss_ppm != y->loss_ppm)
		return x->loss_ppm > y->loss_ppm ? -1 : 1;
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

struct neighs {
	uint64_t by_state[XM_NEIGH_HOLDDOWN + 1];
	struct neigh_row *rows;
	size_t n;			/* listed */
	size_t omitted;
};

static void neighs_scan(struct neighs *ns, const struct xmd_metrics_view *v)
{
	struct xm_neigh_status s;
	size_t i, cap = 0, total = 0;

	memset(ns, 0, sizeof(*ns));
	for (i = 0; v->ops->neigh(v->core, i, &s); i++) {
		total++;
		if ((size_t)s.state <= XM_NEIGH_HOLDDOWN)
			ns->by_state[s.state]++;
		if (ns->n == cap) {
			size_t c = cap ? 2 * cap : 64;
			struct neigh_row *r = realloc(ns->rows, c * sizeof(*r));

			/* Out of memory: fewer listed, the rest said
			 * omitted. */
			if (!r)
				continue;
			ns->rows = r;
			cap = c;
		}
		ns->rows[ns->n++] = (struct neigh_row){
			.id = s.id, .node = s.node, .ifindex = s.ifindex,
			.up = s.state == XM_NEIGH_UP, .srtt_us = s.srtt_us,
			.loss_ppm = s.loss_ppm > 1000000 ? 1000000 :
				    s.loss_ppm,
		};
	}
	if (ns->n)
		qsort(ns->rows, ns->n, sizeof(*ns->rows), neigh_cmp);
	if (ns->n > XMD_METRICS_NEIGHBORS)
		ns->n = XMD_METRICS_NEIGHBORS;
	ns->omitted = total - ns->n;
	/* Names only for those listed. */
	for (i = 0; i < ns->n; i++) {
		struct neigh_row *r = &ns->rows[i];

		if (v->ifname)
			v->ifname(v->arg, r->ifindex, r->ifname);
		if (!r->ifname[0])
			snprintf(r->ifname, sizeof(r->ifname), "if%u",
				 r->ifindex);
	}
}

static void neigh_metrics(FILE *f, uint32_t node, const struct neighs *ns)
{
	static const struct {
		const char *name, *help;
	} fam[] = {
		{ "xmeshd_neighbor_up", "1 if the neighbor is up (listed: at"
		  " most 256, those down first, then the highest loss)." },
		{ "xmeshd_neighbor_rtt_seconds", "Smoothed round-trip time of"
		  " the neighbor's probes." },
		{ "xmeshd_neighbor_loss_ratio", "The neighbor's recent probe"
		  " loss." },
	};
	size_t i, j;
	int s;

	header(f, "xmeshd_neighbors", "gauge", "Neighbors (adjacencies, one"
	       " per peer and link), by state.");
	for (s = XM_NEIGH_INIT; s <= XM_NEIGH_HOLDDOWN; s++) {
		fprintf(f, "xmeshd_neighbors{node=\"%u\"", node);
		label(f, "state", xmd_neigh_state_name(s));
		fprintf(f, "} %llu\n", (unsigned long long)ns->by_state[s]);
	}
	for (j = 0; j < sizeof(fam) / sizeof(fam[0]); j++) {
		header(f, fam[j].name, "gauge", fam[j].help);
		for (i = 0; i < ns->n; i++) {
			const struct neigh_row *r = &ns->rows[i];

			/* id: a peer may be heard at two addresses on
			 * one link (readdressed, multi-homed). */
			fprintf(f, "%s{node=\"%u\",peer=\"%u\",id=\"%u\"",
				fam[j].name, node, r->node, r->id);
			label(f, "ifname", r->ifname);
			if (j == 0)
				fprintf(f, "} %d\n", r->up);
			else if (j == 1)
				fprintf(f, "} %g\n", r->srtt_us / 1e6);
			else
				fprintf(f, "} %g\n", r->loss_ppm / 1e6);
		}
	}
	header(f, "xmeshd_metrics_omitted", "gauge", "Series left out by the"
	       " caps: neighbors beyond the 256 listed.");
	fprintf(f, "xmeshd_metrics_omitted{node=\"%u\",kind=\"neighbors\"}"
		" %zu\n", node, ns->omitted);
}

/* The kernel device's counters, under the names `xmesh -j dev show`
 * gives them (xmesh_names.h): each one the module reports. */
static void dev_metrics(FILE *f, uint32_t node, const struct xm_dev *dev)
{
	char name[96], help[128];
	int t;

	for (t = 0; t <= XMESH_COUNTER_A_MAX; t++) {
		const char *key = xm_counter_key(t);

		if (!key || !(dev->counters_present & XM_BIT(t)))
			continue;
		snprintf(name, sizeof(name), "xmesh_dev_%s_total", key);
		snprintf(help, sizeof(help), "The xmesh device's %s.", key);
		header(f, name, "counter", help);
		fprintf(f, "%s{node=\"%u\"} %llu\n", name, node,
			(unsigned long long)dev->counters[t]);
	}
	if (!dev->drops_present)
		return;
	header(f, "xmesh_dev_drops_total", "counter", "Packets the xmesh"
	       " device dropped, by reason.");
	for (t = 0; t <= XMESH_DROP_A_MAX; t++) {
		const char *key = xm_drop_key(t);

		if (!key || !(dev->drops_present & XM_BIT(t)))
			continue;
		fprintf(f, "xmesh_dev_drops_total{node=\"%u\"", node);
		label(f, "reason", key);
		fprintf(f, "} %llu\n", (unsigned long long)dev->drops[t]);
	}
}

void xmd_metrics_write(FILE *f, const struct xmd_metrics_view *v)
{
	uint32_t node = v->ops->node_id(v->core);
	struct neighs ns;

	header(f, "xmeshd_info", "gauge", "The agent's version (always 1).");
	fprintf(f, "xmeshd_info{node=\"%u\"", node);
	label(f, "version", v->version ? v->version : "");
	fputs("} 1\n", f);
	if (v->stats)
		stat_families(f, node, "xmeshd_", "The agent's", v->stats,
			      xmd_stat_names, xmd_n_stat_names);
	stat_families(f, node, "xmeshd_core_", "The protocol core's",
		      v->ops->stats(v->core), xmd_core_stat_names,
		      xmd_n_core_stat_names);
	neighs_scan(&ns, v);
	neigh_metrics(f, node, &ns);
	free(ns.rows);
	if (v->dev)
		dev_metrics(f, node, v->dev);
}

int xmd_metrics_file_write(const char *path, const struct xmd_metrics_view *v)
{
	char tmp[XMD_PATH_MAX + 8];
	int fd, err = 0;
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp))
		return -ENAMETOOLONG;
	/* A new file of a name of its own (O_EXCL): a name fixed in a
	 * directory others may write to (node_exporter's user owns it,
	 * often) could be a link planted to a file of root's. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* 0644 whatever the umask (the unit's is 0077): node_exporter runs
	 * as a user of its own. Nothing in it is secret: the controller
	 * serves a site's figures on /metrics without a token. */
	f = fchmod(fd, 0644) ? NULL : fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	errno = 0;
	xmd_metrics_write(f, v);
	if (ferror(f))
		err = -EIO;
	/* The buffer's last bytes go now: a full disk says so here. */
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* ---- xmeshd's side: everything here runs in the main loop ---- */

struct xmd_metrics {
	struct xmd_watch w;		/* a periodic timerfd */
	struct xmd *d;
	int last_err;			/* of the last write; 0: it worked */
};

static void link_name(void *arg, uint32_t ifindex, char name[IF_NAMESIZE])
{
	struct xmd *d = arg;
	struct xmd_link *l = xmd_links_find(&d->links, ifindex);

	snprintf(name, IF_NAMESIZE, "%s", l ? l->ifname : "");
}

static void metrics_event(struct xmd_watch *w, uint32_t events)
{
	struct xmd_metrics *m = (struct xmd_metrics *)w;
	struct xmd *d = m->d;
	struct nlc_error nerr;
	struct xm_dev dev;
	uint64_t ticks;
	bool have_dev;
	int err;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) < 0)
		return;
	have_dev = d->k_open && !xmnl_dev_get(&d->k.nl, d->ifindex, NULL,
					      &dev, &nerr);
	err = xmd_metrics_file_write(d->cfg.metrics_file,
		&(struct xmd_metrics_view){
			.core = d->core, .ops = &xmd_core_ops,
			.version = XMD_VERSION, .stats = &d->stats,
			.dev = have_dev ? &dev : NULL,
			.ifname = link_name, .arg = d,
		});
	/* Said once per kind of failure, not every interval: a full disk
	 * would flood the log otherwise. The counter counts them all. */
	if (err) {
		d->stats.metrics_errors++;
		if (err != m->last_err)
			xmd_event(d, XMD_LOG_ERR, "metrics file %s: %s (said again when that changes)",
				  d->cfg.metrics_file, strerror(-err));
	} else {
		d->stats.metrics_writes++;
		if (m->last_err)
			xmd_event(d, XMD_LOG_INFO, "metrics file %s written again",
				  d->cfg.metrics_file);
	}
	m->last_err = err;
}

int xmd_metrics_start(struct xmd *d)
{
	uint32_t ms = d->cfg.metrics_interval_ms;
	struct itimerspec its = {
		.it_value = { .tv_sec = 1 },
		.it_interval = { .tv_sec = ms / 1000,
				 .tv_nsec = (long)(ms % 1000) * 1000000 },
	};
	struct xmd_metrics *m;
	int err;

	if (!d->cfg.metrics_file[0])
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m) {
		xmd_err("metrics: out of memory");
		return -1;
	}
	m->d = d;
	m->w.fn = metrics_event;
	m->w.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->w.fd < 0 || timerfd_settime(m->w.fd, 0, &its, NULL))
		err = -errno;
	else
		err = xmd_watch_add(d->epfd, &m->w, EPOLLIN);
	if (err) {
		xmd_err("metrics: timer: %s", strerror(-err));
		if (m->w.fd >= 0)
			close(m->w.fd);
		free(m);
		return -1;
	}
	d->metrics = m;
	xmd_info("metrics to %s every %u s", d->cfg.metrics_file, ms / 1000);
	return 0;
}

void xmd_metrics_stop(struct xmd *d)
{
	struct xmd_metrics *m = d->metrics;

	if (!m)
		return;
	if (d->epfd >= 0)
		xmd_watch_del(d->epfd, &m->w);
	close(m->w.fd);
	free(m);
	d->metrics = NULL;
}
