/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probed route exports (Documentation/exports.md): a node advertises an
 * overlay prefix (an exit, a subnet behind it) only while its health
 * checks of the prefix's target succeed, with a priority; receivers use
 * the best-priority reachable advertiser, then the nearest, then the
 * lowest node id.
 *
 * This is the pure part: the fall/rise/hold state machine of one export
 * (results and the time passed in), and the order of advertisers. The
 * daemon (daemon/export.c) sends the checks and feeds the results.
 */
#ifndef XM_EXPORT_H
#define XM_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"

#define XM_EXPORT_MAX		8	/* exports per node */
#define XM_EXPORT_PRIO_DEFAULT	100
#define XM_EXPORT_INTERVAL_MS	1000
#define XM_EXPORT_FALL		3
#define XM_EXPORT_RISE		3
#define XM_EXPORT_HOLD_S	30

enum xm_export_check {
	XM_CHECK_ICMP,		/* echo request, answered */
	XM_CHECK_TCP,		/* connect() to port completes */
	XM_CHECK_UDP,		/* a datagram to port, any answer */
};

struct xm_export_cfg {
	struct xm_prefix4or6 prefix;	/* what is advertised */
	struct xm_addr target;		/* what is checked */
	enum xm_export_check check;
	uint16_t port;			/* TCP, UDP */
	char dev[16];			/* checks leave by this interface;
					 * "": by the routing table */
	uint16_t priority;		/* lower is preferred; 1 .. 65535 */
	uint32_t interval_ms;		/* one check per; also its timeout */
	uint8_t fall, rise;		/* consecutive results to change */
	uint32_t hold_s;		/* healthy again this long: advertise */
};

/* The defaults of Documentation/exports.md (prefix and target unset). */
void xm_export_cfg_default(struct xm_export_cfg *cfg);
/* The first rule cfg breaks, in words, or NULL. */
const char *xm_export_cfg_check(const struct xm_export_cfg *cfg);

struct xm_export {
	struct xm_export_cfg cfg;
	bool healthy;		/* rise successes since the last fall */
	bool advertised;
	bool failed_once;	/* fell since start: returns wait hold_s */
	bool has_result;
	bool last_ok;		/* the last check's result */
	unsigned int run;	/* consecutive results against `healthy` */
	xm_time since;		/* healthy (or not) since */
	xm_time last;		/* the last result's time */
	uint64_t checks, failures;
};

/* Not healthy and not advertised at now, until rise successes. */
void xm_export_init(struct xm_export *e, const struct xm_export_cfg *cfg,
		    xm_time now);
/* One check's result at now: true if `advertised` changed. */
bool xm_export_result(struct xm_export *e, xm_time now, bool ok);
/* Time passed (the hold): true if `advertised` changed. */
bool xm_export_tick(struct xm_export *e, xm_time now);
/* When xm_export_tick() next may change something; XM_NEVER if not. */
xm_time xm_export_next(const struct xm_export *e);
const char *xm_export_check_name(enum xm_export_check c);

/* One advertiser of a prefix, as a receiver sees it. */
struct xm_advertiser {
	uint32_t node;
	uint16_t priority;	/* 0: a plain (unprobed) prefix */
	uint32_t cost;		/* path cost from this node */
	bool reachable;
};

/*
 * The receivers' order: reachable first, then the lowest priority value,
 * the lowest path cost, the lowest node id. The first is the one used.
 */
int xm_advertiser_cmp(const struct xm_advertiser *a,
		      const struct xm_advertiser *b);

/*
 * The advertisers of p in the core's link-state database (this node
 * included), in xm_advertiser_cmp() order, at most max into out; their
 * number (even past max). node: the core's reader (NULL: xm_core_node;
 * the control socket's tests give their own).
 */
typedef bool xm_core_node_fn(const struct xm_core *c, size_t i,
			     struct xm_node_status *out);
size_t xm_core_advertisers(const struct xm_core *c, xm_core_node_fn *node,
			   const struct xm_prefix4or6 *p,
			   struct xm_advertiser *out, size_t max);
/*
 * The one c uses of out[0..n) (xm_core_advertisers() order), self its
 * node id: itself if it advertises p, else the first reachable; NULL if
 * none.
 */
const struct xm_advertiser *xm_advertiser_chosen(
	const struct xm_advertiser *out, size_t n, uint32_t self);

#endif /* XM_EXPORT_H */
