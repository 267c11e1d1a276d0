/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's own counters (the core counts the protocol's in struct
 * xm_core_stats): what the I/O shell did and what went wrong there.
 * Documentation/xmeshd.md explains each.
 */
#ifndef XMD_STATS_H
#define XMD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xmd_stats {
	/* Agent protocol datagrams. */
	uint64_t udp_rx, udp_tx;
	uint64_t udp_rx_errors, udp_tx_errors;
	uint64_t udp_rx_ttl;		/* unicast not sent from the link */
	uint64_t udp_rx_truncated;	/* larger than a message can be */
	/* Kernel tables. */
	uint64_t fib_syncs;		/* diffs applied */
	uint64_t fib_changes;		/* entries changed by them */
	uint64_t fib_errors;		/* changes the kernel refused */
	uint64_t fib_dumps;		/* tables read back from the kernel */
	uint64_t hostroute_changes, hostroute_errors;
	uint64_t neigh_down_sent, neigh_down_errors;
	uint64_t key_changes, key_errors;	/* kernel keys (kx) */
	uint64_t keys_stale_evicted;	/* a previous run's, for room */
	/* Link probes through the kernel. */
	uint64_t probes_sent, probe_errors, probe_replies;
	uint64_t oam_overruns;		/* probe replies lost: socket full */
	uint64_t probes_deferred;	/* neighbor not in the kernel yet */
	/* Underlay links. */
	uint64_t link_events, rtnl_overruns;
	uint64_t caps_updates;
	/* Control socket. */
	uint64_t ctl_requests, ctl_bad_requests;
	uint64_t ctl_clients_refused;	/* max-clients reached */
	uint64_t ctl_accept_errors;	/* out of file descriptors */
	uint64_t ctl_events_dropped;	/* a monitor read too slowly */
	/* The controller's policy (policy_sync.h). */
	uint64_t policy_version;	/* applied; 0: none */
	uint64_t policy_applied;	/* versions applied */
	uint64_t policy_fetch_errors, policy_refused, policy_reports;
	uint64_t policy_failovers;	/* moves to the next controller */
	/* Telemetry to the controller (telemetry.h). */
	uint64_t telemetry_reports, telemetry_dropped, telemetry_errors;
	/* telemetry_dropped by why: the buffer full, too old, refused. */
	uint64_t telemetry_dropped_full, telemetry_dropped_old;
	uint64_t telemetry_refused;
	uint64_t telemetry_routes_elided;
	uint64_t telemetry_failovers;	/* moves to the next controller */
	uint64_t telemetry_buffered;	/* reports waiting: a gauge */
	/* Multicast routes an older module refused; tree children past
	 * the kernel's branches per route, and routes with any (gauges). */
	uint64_t mroute_refusals, mroute_children_cut, mroutes_cut;
	/* The Prometheus file (metrics.h). */
	uint64_t metrics_writes, metrics_errors;
};

/* Names (JSON keys) and offsets, in the order above; gauge: a value now,
 * not a count (Prometheus types it so: metrics.c). */
struct xmd_stat_name {
	const char *key;
	size_t off;
	bool gauge;
};
extern const struct xmd_stat_name xmd_stat_names[];
extern const size_t xmd_n_stat_names;
/* The same for the core's struct xm_core_stats (all counts). */
extern const struct xmd_stat_name xmd_core_stat_names[];
extern const size_t xmd_n_core_stat_names;

#endif /* XMD_STATS_H */
