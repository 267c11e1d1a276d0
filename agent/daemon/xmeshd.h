/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xmeshd: the I/O shell around the protocol core (core.h). One epoll
 * loop feeds the core what happens (agent datagrams, probe answers,
 * carrier and address changes, time) and carries out what it asks (send,
 * probe, program the kernel), and answers the control socket.
 */
#ifndef XMESHD_H
#define XMESHD_H

#include "caps.h"
#include "config.h"
#include "core.h"
#include "ctlsock.h"
#include "exports.h"
#include "filter.h"
#include "gate.h"
#include "kernel.h"
#include "links.h"
#include "log.h"
#include "stats.h"
#include "watch.h"

#define XMD_FIB_RETRY_MS	1000	/* first retry after a failed sync */
#define XMD_FIB_RETRY_MAX_MS	30000
#define XMD_RESYNC_MS		60000	/* read the kernel's tables again */
#define XMD_KEY_COUNTERS_MS	10000	/* read the transmit keys' counters */
#define XMD_STALE_KEYS_MS	30000	/* a previous run's keys deleted */
#define XMD_UDP_BURST		64	/* datagrams read per wakeup */

struct xmd {
	struct xmd_config cfg;
	struct xmd_overrides cli;	/* over the file's, reloads too */
	const char *config_path;
	bool config_missing_ok;		/* the default path may not exist */

	struct xm_core *core;
	struct xm_core_config core_cfg;
	struct xm_kx *kx;		/* with certificates, else NULL */
	uint8_t security;		/* enum xmesh_security, in force */
	xm_time next_key_counters;
	uint32_t ifindex;		/* the xmesh device */
	xm_time started;

	int epfd;
	struct xmd_watch timer, signals, rtnl_w, oam_w, probe_w;
	struct nlc_sock rtnl;		/* requests */
	struct nlc_sock rtnl_ev;	/* link and address events */
	bool rtnl_open, rtnl_ev_open;
	struct xmd_kernel k;
	bool k_open;
	struct xmd_links links;
	struct xmd_ctl ctl;
	bool ctl_open;
	struct xmd_stats stats;
	struct xmd_gate *gate;		/* NULL: without the XDP gate */
	struct xmd_filter *filter;	/* NULL: no zones (no filter file) */
	struct xmd_policy *policy;	/* NULL: without a controller */
	struct xmd_telemetry *telemetry;	/* NULL: without a controller */
	struct xmd_metrics *metrics;	/* NULL: no metrics-file */
	struct xmd_exports exports;	/* probed route exports */

	bool running;
	bool fib_dirty;
	xm_time fib_retry_at, next_resync, next_caps;
	uint32_t fib_backoff_ms;
	struct xmd_caps_paths caps_paths;
	const char *sysfs;		/* "/sys" */
};

/* Milliseconds of CLOCK_MONOTONIC. */
xm_time xmd_now(void);

/* Set up everything from d->cfg (read by the caller): keys, device,
 * sockets, core. 0, or -1 after logging why. */
int xmd_start(struct xmd *d);
/* The loop, until SIGTERM or SIGINT. */
int xmd_run(struct xmd *d);
/* Close everything; the kernel's tables stay as they are. */
void xmd_stop(struct xmd *d);

/*
 * Read the configuration again (SIGHUP) and apply what changed: what only
 * a restart can change stays, refused addresses or timers leave the
 * running ones.
 */
void xmd_reload(struct xmd *d);
/*
 * The device's addresses from o's to n's: the new ones first, then the
 * old ones go. All or nothing: when an add fails, those this call added
 * are removed again and -1 returned (after logging why).
 */
int xmd_addresses_update(struct xmd *d, const struct xmd_config *o,
			 const struct xmd_config *n);

/*
 * The security mode (enum xmesh_security) of the node's own configuration:
 * its security line, else encrypt with certificates and none without.
 */
uint8_t xmd_security_local(const struct xmd *d);
/* "none", "auth", "encrypt". */
const char *xmd_security_name(uint8_t mode);
/*
 * Put mode in force (the site's): the device's, the one stated in the key
 * exchange, and a new key exchange with every neighbor. 0, or -1 with why
 * (the running mode stays).
 */
int xmd_security_set(struct xmd *d, xm_time now, uint8_t mode, char *why,
		     size_t len);

/* Log a line and send it to every monitor of the control socket. */
void xmd_event(struct xmd *d, enum xmd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The log level of a core event. */
enum xmd_log_level xmd_event_level(enum xm_event_level level);

/* systemd's notification ("READY=1"), when NOTIFY_SOCKET is set. */
void xmd_notify(const char *state);

#endif /* XMESHD_H */
