/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Policy distribution, xmeshd's side (Documentation/controller.md, "The
 * agent's side"; Documentation/xmeshd.md, "Controller").
 *
 * A worker thread long-polls the controller (GET /api/v1/agent/policy,
 * signed with the node key), accepts an answer only as
 * xm_policy_accept() does, keeps it as the cache file (written atomically
 * in the state directory) and hands the verified version to the main loop
 * through a slot behind a mutex, waking it with an eventfd. The main loop
 * applies it to the core and tells the thread, which reports the version
 * (POST /api/v1/agent/report). The thread does nothing else: everything
 * the core sees is set in the main loop. While the controller is
 * unreachable the thread backs off (bounded, jittered) and the policy
 * applied stays. With several controllers it moves to the next one on a
 * failure and asks above the version it has (controller_client.h).
 */
#ifndef XMD_POLICY_SYNC_H
#define XMD_POLICY_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "core.h"
#include "policy_agent.h"

#define XMD_POLICY_CACHE_FILE	"policy.json"
#define XMD_POLICY_WAIT_S	60	/* a long poll's wait at the server */
#define XMD_POLICY_BACKOFF_MS	1000	/* first wait after a failure */
#define XMD_POLICY_BACKOFF_MAX_MS 30000
#define XMD_POLICY_REPORT_WAIT_MS 5000	/* for the main loop to apply */

struct xmd_policy_sync_conf {
	/* The controllers: http(s)://host[:port], separated by blanks, in
	 * order of preference (controller_client.h, xmd_controllers). */
	const char *url;
	const char *cache_path;		/* the cache file */
	const struct xm_cert *authority;	/* copied */
	const struct xm_crl *crl;	/* copied; NULL: none */
	const struct xm_cert *cert;	/* this node's; copied */
	const uint8_t *sk;		/* its key (XM_SECKEY_LEN); copied */
	unsigned int wait_s;		/* 0: XMD_POLICY_WAIT_S */
	uint32_t backoff_ms, backoff_max_ms;	/* 0: the defaults */
};

/* What the thread did; the main loop adds what it applied. */
struct xmd_policy_counters {
	uint64_t fetched;		/* versions accepted from the controller */
	uint64_t fetch_errors;		/* requests that failed or were refused
					 * by the controller */
	uint64_t refused;		/* answers (or a cache) not accepted */
	uint64_t reports;		/* applied versions reported */
	uint64_t cache_errors;		/* the cache could not be written */
	uint64_t failovers;		/* moves to the next controller */
};

struct xmd_policy_sync;

/* A new sync (its thread not started): NULL with why in err. */
struct xmd_policy_sync *xmd_policy_sync_new(
	const struct xmd_policy_sync_conf *conf, char *err, size_t errlen);
/* Stop the thread (an ongoing request is abandoned), free everything. */
void xmd_policy_sync_free(struct xmd_policy_sync *s);

/*
 * The cache, accepted again as an answer (as version 0 would) at unix
 * time now: 0 and *u, -ENOENT without one, -EBADMSG if refused (why in
 * *err; counted), other -errno if unreadable. The thread then asks only
 * for versions above it.
 */
int xmd_policy_sync_load_cache(struct xmd_policy_sync *s, uint64_t now,
			       struct xm_policy_update *u,
			       struct xm_policy_error *err);

/* Start the worker thread: 0 or -errno. */
int xmd_policy_sync_start(struct xmd_policy_sync *s);

/* The eventfd that becomes readable when a version is waiting. */
int xmd_policy_sync_fd(const struct xmd_policy_sync *s);

/*
 * The verified version waiting, if any (the eventfd drained): true and
 * *u, which the caller frees.
 */
bool xmd_policy_sync_take(struct xmd_policy_sync *s,
			  struct xm_policy_update *u);

/* The main loop applied version: the thread reports it. */
void xmd_policy_sync_applied(struct xmd_policy_sync *s, uint64_t version);

/*
 * One answer of the controller, as the thread handles it: accepted
 * (cached, put in the slot, 0) or refused (-1, counted, why in *err).
 * Exposed for the tests.
 */
int xmd_policy_sync_answer(struct xmd_policy_sync *s, const char *json,
			   size_t len, uint64_t now,
			   struct xm_policy_error *err);

void xmd_policy_sync_counters(struct xmd_policy_sync *s,
			      struct xmd_policy_counters *c);

/* The version the thread asks above. */
uint64_t xmd_policy_sync_have(struct xmd_policy_sync *s);

/*
 * The core's settings under a policy: the configuration's path policy
 * and timers, with what p sets over them (NULL: the configuration's).
 */
void xmd_policy_settings(const struct xm_site_policy *p,
			 const struct xm_policy *conf_path,
			 const struct xm_timers *conf_timers,
			 struct xm_policy *path, struct xm_timers *timers);
/*
 * The security mode (enum xmesh_security) in force under a policy: the
 * site's when p sets one, else the node's own, local (p NULL: local).
 */
uint8_t xmd_policy_security(const struct xm_site_policy *p, uint8_t local);

/*
 * Version could not be applied (why): the report says so, with the
 * version still applied (have), so the controller shows it.
 */
void xmd_policy_sync_failed(struct xmd_policy_sync *s, uint64_t have,
			    uint64_t version, const char *why);

/* ---- xmeshd's side (struct xmd) ---- */

struct xmd;
struct xmd_stats;

/* Copies the thread's counters into xmeshd's (stats.h). */
void xmd_policy_stats_set(struct xmd_stats *st,
			  const struct xmd_policy_counters *c);

/*
 * With "controller" configured: the cache checked and applied first, then
 * the thread started; run carries out what the core asks after a
 * version is applied. 0 (a cache or a controller that fails is logged,
 * the agent runs on), or -1 if the configuration cannot work.
 */
int xmd_policy_start(struct xmd *d,
		     void (*run)(struct xmd *d, xm_time now));
/* After a reload: the policy's settings over the new configuration. */
void xmd_policy_reapply(struct xmd *d);
/*
 * The filter file read again and installed whole (rules and the module's
 * zone lines), unless the policy's filter is in force: 0, 1 if nothing
 * was read (why says so), -1 if the file does not parse or install (why;
 * the rules in use stay). Logged either way.
 */
int xmd_filter_reload(struct xmd *d, char *why, size_t len);
/* The version whose filter is in force instead of the file; 0: none. */
uint64_t xmd_policy_filter_version(const struct xmd *d);
void xmd_policy_stop(struct xmd *d);

#endif /* XMD_POLICY_SYNC_H */
