/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Telemetry, xmeshd's side (Documentation/controller.md, "Telemetry";
 * Documentation/xmeshd.md, "Controller"). With a controller configured,
 * the main loop snapshots a report every interval (the core's neighbors
 * and routes, this node's capabilities, the kernel device's counters and
 * drops by reason; the agent's own events go in at sending, below) as
 * JSON and hands it to a sender thread of its own through a small
 * buffer behind a mutex; the thread POSTs them signed
 * (POST /api/v1/agent/telemetry), oldest first. The main loop never waits
 * on the network. A report no controller took (none answered, or 5xx)
 * stays in the buffer, and the thread moves to the next controller
 * (controller_client.h): so no report is lost over a short failover. The
 * buffer is bounded in reports and in age; what falls out, and what a
 * controller refused, is dropped and counted.
 */
#ifndef XMD_TELEMETRY_H
#define XMD_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "core.h"
#include "log.h"
#include "xmesh_obj.h"

#define XMD_TELEMETRY_INTERVAL_S	5
#define XMD_TELEMETRY_TIMEOUT_S		10	/* one POST at most */
#define XMD_TELEMETRY_LINKS_MAX		1024	/* what the controller takes */
#define XMD_TELEMETRY_ROUTES_MAX	65536

/* The reports kept while no controller takes them: 2 minutes' worth. */
#define XMD_TELEMETRY_BUFFER_MAX	24
#define XMD_TELEMETRY_BUFFER_AGE_S	120

struct xmd_telemetry_counters {
	uint64_t sent;			/* reports the controller took */
	uint64_t dropped;		/* all of the three below */
	uint64_t dropped_full;		/* the oldest, for a new one */
	uint64_t dropped_old;		/* older than the age limit */
	uint64_t refused;		/* a controller said 4xx */
	uint64_t failovers;		/* moves to the next controller */
	uint64_t buffered;		/* in the buffer now */
	uint64_t errors;		/* POSTs that failed or were refused */
	uint64_t routes_elided;		/* taken as "routes_unchanged" */
};

/*
 * The agent's own events (xmd_event() at info, warn and error; debug
 * ones are routine), carried by the reports (Documentation/xmeshd.md,
 * "Controller"): a ring of the newest XMD_TELE_EVENTS_MAX, each text cut
 * at XMD_TELE_EVENT_TEXT_MAX - 1 bytes (the controller keeps "level:
 * text" in 128). Each has a sequence number; the events after the last
 * one a controller took go with the next report sent, so a report that
 * failed is followed by one with its events again. Those that fell out
 * of the ring before any controller took them are counted in the next
 * report ("events_lost"). Pure; the caller serialises calls.
 */
#define XMD_TELE_EVENTS_MAX	64
#define XMD_TELE_EVENT_TEXT_MAX	120
/* After a controller before events refused them: reports go without for
 * this long, then one tries again (the controller may be upgraded). */
#define XMD_TELE_EVENTS_RETRY_S	600

struct xmd_tele_event {
	uint64_t seq;
	int64_t time;			/* unix s */
	enum xmd_log_level level;
	char text[XMD_TELE_EVENT_TEXT_MAX];
};

struct xmd_tele_events {
	struct xmd_tele_event ev[XMD_TELE_EVENTS_MAX];
	unsigned int head, n;
	uint64_t last;			/* the newest's seq; 0: none yet */
	uint64_t taken;			/* the last seq a controller took */
	int64_t off_until;		/* unix s; none sent before */
};

/* The newest event (the oldest dropped if full): bytes of text outside
 * printable ASCII become '?' (the controller takes those only). */
void xmd_tele_events_add(struct xmd_tele_events *e, int64_t time,
			 enum xmd_log_level level, const char *text);
/* How many events fell out before a controller took them. */
uint64_t xmd_tele_events_lost(const struct xmd_tele_events *e);
/*
 * report (a JSON object's text) with the events not taken yet as its
 * first members "events" and, if any were lost, "events_lost": a
 * malloc'd text (NULL out of memory), the seq of the last event in it
 * in *upto (for xmd_tele_events_taken()). Without events, a copy.
 */
char *xmd_tele_events_splice(const struct xmd_tele_events *e,
			     const char *report, uint64_t *upto);
/* A controller took the report of those up to upto (and the lost ones
 * before them). */
void xmd_tele_events_taken(struct xmd_tele_events *e, uint64_t upto);
/*
 * A refused report's answer (the controller's {"error": {"location",
 * "reason"}}, NULL if none): *unknown, a controller before agents'
 * events, which knows no "events" member (the report goes again without
 * them); *bad, events it refused (location "/events..."), which would be
 * refused again with every report.
 */
void xmd_tele_events_refused(const char *answer, bool *unknown, bool *bad);
/* Do reports sent at now carry events? Not for XMD_TELE_EVENTS_RETRY_S
 * after xmd_tele_events_off(now) (a controller before events). */
bool xmd_tele_events_on(const struct xmd_tele_events *e, int64_t now);
void xmd_tele_events_off(struct xmd_tele_events *e, int64_t now);

/*
 * The report (the controller's TelemetryReport) from the core, the
 * device dev (NULL: no counters), the kernel's adjacencies
 * kneigh[0..n_kneigh) (each link's traffic counters: a link whose
 * adjacency is not there goes without), its QoS classes qos (NULL: no
 * "qos" section) and bandwidth_mbps(arg, ifindex) for the links: a
 * malloc'd NUL-terminated JSON text, or NULL out of memory. Pure: time
 * (unix seconds) passed in. At most XMD_TELEMETRY_LINKS_MAX links and
 * XM_TCLASS_COUNT classes.
 */
char *xmd_telemetry_report(const struct xm_core *core,
			   const struct xm_dev *dev,
			   const struct xm_neigh *kneigh, size_t n_kneigh,
			   const struct xm_qos *qos,
			   uint32_t (*bandwidth_mbps)(void *arg,
						      uint32_t ifindex,
						      char ifname[16]),
			   void *arg, int64_t time, uint32_t interval,
			   uint64_t policy_version);

/*
 * The buffer: reports in the order made, with their time (unix s). Pure;
 * the caller serialises calls.
 */
struct xmd_tele_buffer {
	char *report[XMD_TELEMETRY_BUFFER_MAX];
	int64_t time[XMD_TELEMETRY_BUFFER_MAX];
	unsigned int head, n;
	uint64_t dropped_full, dropped_old;
};

/* Add the newest (taken: freed by the buffer), the oldest dropped if
 * full. */
void xmd_tele_buffer_push(struct xmd_tele_buffer *b, char *report,
			  int64_t time);
/* The oldest, taken out (the caller's), after dropping those older than
 * XMD_TELEMETRY_BUFFER_AGE_S at now; NULL if none. Its time in *time. */
char *xmd_tele_buffer_take(struct xmd_tele_buffer *b, int64_t now,
			   int64_t *time);
/* A report taken, not sent after all: back as the oldest (dropped if the
 * buffer filled meanwhile). */
void xmd_tele_buffer_put_back(struct xmd_tele_buffer *b, char *report,
			      int64_t time);
void xmd_tele_buffer_clear(struct xmd_tele_buffer *b);

struct xmd_telemetry_sender;

/* url: the controllers, as in xmd_controllers_parse(). */
struct xmd_telemetry_sender *xmd_telemetry_sender_new(const char *url,
						      const struct xm_cert *cert,
						      const uint8_t *sk,
						      char *err, size_t errlen);
/* An event for the next report (xmd_tele_events_add()): never blocks. */
void xmd_telemetry_sender_event(struct xmd_telemetry_sender *s,
				int64_t time, enum xmd_log_level level,
				const char *text);
/* Hand a report over (taken: freed by the sender): never blocks. */
void xmd_telemetry_submit(struct xmd_telemetry_sender *s, char *report);
void xmd_telemetry_counters(struct xmd_telemetry_sender *s,
			    struct xmd_telemetry_counters *c);
/* Stop the thread (a POST under way is abandoned), free everything. */
void xmd_telemetry_sender_free(struct xmd_telemetry_sender *s);

/* ---- xmeshd's side (struct xmd) ---- */

struct xmd;
struct xmd_stats;

/* Copies the sender's counters into xmeshd's (stats.h). */
void xmd_telemetry_stats_set(struct xmd_stats *st,
			     const struct xmd_telemetry_counters *c);

/* With "controller" configured: the timer and the sender started. 0, or
 * -1 after logging why (the agent runs on without telemetry). */
int xmd_telemetry_start(struct xmd *d);
/* An event of xmd_event(): kept for the controller at info, warn and
 * error; nothing without telemetry. */
void xmd_telemetry_event(struct xmd *d, enum xmd_log_level level,
			 const char *text);
void xmd_telemetry_stop(struct xmd *d);

#endif /* XMD_TELEMETRY_H */
