/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xmeshd's Prometheus metrics (Documentation/prometheus.md, "Agents"): a
 * file in the text format for node_exporter's textfile collector, written
 * every metrics-interval from the main loop. No listening socket: an agent
 * runs on every node of the mesh, and a port open on each of them would be
 * attack surface on each; node_exporter is there already.
 *
 * Every family has the label node="ID", so that the files of many nodes
 * add up in one Prometheus. The series are bounded whatever the mesh: the
 * counters are fixed, the per-neighbor series cut at XMD_METRICS_NEIGHBORS
 * (the worst first), what is left out counted in xmeshd_metrics_omitted.
 */
#ifndef XMD_METRICS_H
#define XMD_METRICS_H

#include <net/if.h>
#include <stdint.h>
#include <stdio.h>

#include "core.h"
#include "ctl.h"
#include "stats.h"
#include "xmesh_obj.h"

#define XMD_METRICS_NEIGHBORS	256

/* What the metrics are made of: the tests give a made-up core. */
struct xmd_metrics_view {
	const struct xm_core *core;
	const struct xmd_ctl_ops *ops;	/* xmd_core_ops, or a test's */
	const char *version;
	const struct xmd_stats *stats;
	const struct xm_dev *dev;	/* its counters; NULL: not read */
	/* The name of the underlay link ifindex, "" if unknown. */
	void (*ifname)(void *arg, uint32_t ifindex, char name[IF_NAMESIZE]);
	void *arg;
};

/* The text format into f. Pure: writes nothing but f. */
void xmd_metrics_write(FILE *f, const struct xmd_metrics_view *v);

/*
 * Render into a new PATH.XXXXXX, then rename it over path: node_exporter
 * never reads half a file, and takes only names ending in .prom, so not
 * the temporary one. 0, or -errno (the temporary file removed).
 */
int xmd_metrics_file_write(const char *path, const struct xmd_metrics_view *v);

/* ---- xmeshd's side (struct xmd) ---- */

struct xmd;

/*
 * With "metrics-file" configured: the timer, every metrics-interval. 0, or
 * -1 after logging why (the agent runs on without the file).
 */
int xmd_metrics_start(struct xmd *d);
void xmd_metrics_stop(struct xmd *d);

#endif /* XMD_METRICS_H */
