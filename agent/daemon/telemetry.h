/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Telemetry, xmeshd's side (Documentation/controller.md, "Telemetry";
 * Documentation/xmeshd.md, "Controller"). With a controller configured,
 * the main loop snapshots a report every interval (the core's neighbors
 * and routes, this node's capabilities, the kernel device's counters and
 * drops by reason) as JSON and hands it to a sender thread of its own
 * through a one-report slot behind a mutex; the thread POSTs it signed
 * (POST /api/v1/agent/telemetry). The main loop never waits on the
 * network: a report the thread has not taken when the next comes, or one
 * the controller did not take, is dropped and counted.
 */
#ifndef XMD_TELEMETRY_H
#define XMD_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "core.h"
#include "xmesh_obj.h"

#define XMD_TELEMETRY_INTERVAL_S	5
#define XMD_TELEMETRY_TIMEOUT_S		10	/* one POST at most */
#define XMD_TELEMETRY_LINKS_MAX		1024	/* what the controller takes */
#define XMD_TELEMETRY_ROUTES_MAX	65536

struct xmd_telemetry_counters {
	uint64_t sent;			/* reports the controller took */
	uint64_t dropped;		/* superseded, unreachable, refused */
	uint64_t errors;		/* POSTs that failed or were refused */
	uint64_t routes_elided;		/* taken as "routes_unchanged" */
};

/*
 * The report (the controller's TelemetryReport) from the core, the
 * device dev (NULL: no counters) and bandwidth_mbps(arg, ifindex) for the
 * links: a malloc'd NUL-terminated JSON text, or NULL out of memory.
 * Pure: time (unix seconds) passed in.
 */
char *xmd_telemetry_report(const struct xm_core *core,
			   const struct xm_dev *dev,
			   uint32_t (*bandwidth_mbps)(void *arg,
						      uint32_t ifindex,
						      char ifname[16]),
			   void *arg, int64_t time, uint32_t interval,
			   uint64_t policy_version);

struct xmd_telemetry_sender;

struct xmd_telemetry_sender *xmd_telemetry_sender_new(const char *url,
						      const struct xm_cert *cert,
						      const uint8_t *sk,
						      char *err, size_t errlen);
/* Hand a report over (taken: freed by the sender): never blocks. */
void xmd_telemetry_submit(struct xmd_telemetry_sender *s, char *report);
void xmd_telemetry_counters(struct xmd_telemetry_sender *s,
			    struct xmd_telemetry_counters *c);
/* Stop the thread (a POST under way is abandoned), free everything. */
void xmd_telemetry_sender_free(struct xmd_telemetry_sender *s);

/* ---- xmeshd's side (struct xmd) ---- */

struct xmd;

/* With "controller" configured: the timer and the sender started. 0, or
 * -1 after logging why (the agent runs on without telemetry). */
int xmd_telemetry_start(struct xmd *d);
void xmd_telemetry_stop(struct xmd *d);

#endif /* XMD_TELEMETRY_H */
