/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket's requests and replies (Documentation/xmeshd.md,
 * "Control socket"): one JSON object per line each way. The handler is
 * pure: it reads the state through struct xmd_view, so the tests can
 * give it a state of their own.
 */
#ifndef XMD_CTL_H
#define XMD_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "ctl_proto.h"
#include "exports.h"
#include "stats.h"

/* The core's read-only accessors; xmd_core_ops are the real ones. */
struct xmd_ctl_ops {
	uint32_t (*node_id)(const struct xm_core *c);
	const struct xm_core_stats *(*stats)(const struct xm_core *c);
	bool (*neigh)(const struct xm_core *c, size_t i,
		      struct xm_neigh_status *out);
	bool (*node)(const struct xm_core *c, size_t i,
		     struct xm_node_status *out);
	bool (*edge)(const struct xm_core *c, size_t i, struct xm_edge *out);
	bool (*path)(const struct xm_core *c, uint32_t node,
		     struct xm_path *out);
	const struct xm_graph *(*graph)(const struct xm_core *c);
	bool (*origin)(const struct xm_core *c, struct xm_core_origin *out);
};
extern const struct xmd_ctl_ops xmd_core_ops;

/* A neighbor's state as `xmesh neigh show` names it ("two-way"), "?" for
 * a state it does not know. */
const char *xmd_neigh_state_name(enum xm_neigh_state s);

/* Everything a request may read. */
struct xm_kx_stats;

struct xmd_view {
	const struct xm_core *core;
	const struct xmd_ctl_ops *ops;
	xm_time now, started;
	const char *name, *device;
	uint32_t ifindex;
	bool fib_ready;
	const struct xmd_stats *stats;
	const struct xm_kx_stats *kx;	/* with certificates */
	/* The frames' protection in force ("encrypt", "auth"), or what
	 * running without certificates means; NULL: not known. */
	const char *security;
	const struct xmd_exports *exports;	/* NULL: none */
	const struct xm_policy *policy;	/* its class paths; NULL: none */
	/* This node's multicast groups, and the way to change them live
	 * ("group-join", "group-leave"); NULL: read-only. */
	const struct xm_mgroup *mgroups;
	unsigned int n_mgroups;
	int (*mgroups_set)(void *arg, const struct xm_mgroup *g,
			   unsigned int n);
	/*
	 * The filter: the rules file xmeshd reads ("" or NULL: none), the
	 * policy version whose filter is in force instead (0: none), the
	 * rules in force; and the way to read the file again and install it
	 * ("filter-reload": 0 and the rules now in force, or 1 nothing
	 * read or -1, why as xmd_filter_reload()); NULL: read-only.
	 */
	const char *filter_file;
	uint64_t filter_policy;
	unsigned int filter_rules;
	int (*filter_reload)(void *arg, unsigned int *rules, char *why,
			     size_t len);
	void *arg;
};

struct xmd_reply {
	char *text;		/* one line, '\n' included; malloc'd */
	size_t len;
	bool bad;		/* an error reply to a bad request */
	bool monitor;		/* the client now gets events */
	int monitor_level;	/* up to this enum xmd_log_level: "level"
				 * in the request, else XMD_LOG_INFO */
};

/* Answer the request line[0..len) (no newline). 0, or -ENOMEM. */
int xmd_ctl_handle(const struct xmd_view *v, const char *line, size_t len,
		   struct xmd_reply *r);

/* The line of an event for monitors (malloc'd, '\n' included). */
char *xmd_ctl_event_line(xm_time now, const char *level, const char *text,
			 size_t *len);

/* An error reply line, e.g. for a request too long to parse. */
char *xmd_ctl_error_line(const char *msg, size_t *len);

#endif /* XMD_CTL_H */
