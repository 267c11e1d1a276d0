/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The controller's remediation hooks (Documentation/controller.md,
 * "Hooks"): named actions configured on the controller, not in the
 * policy (the policy names them; what they run stays with whoever runs
 * the controller):
 *
 *   hook NAME command COMMAND...	/bin/sh -c COMMAND
 *   hook NAME unit UNIT		systemctl restart UNIT
 *   hook NAME http URL			POST URL, the call as JSON
 *
 * Each run is asynchronous (a thread of its own) and bounded by a
 * timeout: a command still running then is killed (its process group).
 * The node id and name reach a command in its environment
 * (XMESH_NODE_ID, XMESH_NODE_NAME, XMESH_PEER_ID, XMESH_RULE,
 * XMESH_EVENT, XMESH_LOG_ID, XMESH_SITE), a unit name and a URL through {node},
 * {name}, {peer}, {rule} and {site} (URL-escaped in a URL).
 */
#ifndef XM_HOOKS_H
#define XM_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"	/* XM_NAME_MAX */

#define XM_HOOK_ARG_MAX		512
#define XM_HOOKS_MAX		64
#define XM_HOOK_TIMEOUT_S	30
#define XM_HOOK_OUTCOME_MAX	200
/* Runs at once (a thread and a process each): more are not started. */
#define XM_HOOKS_RUNNING	8

enum xm_hook_kind { XM_HOOK_COMMAND, XM_HOOK_UNIT, XM_HOOK_HTTP };

struct xm_hook {
	char name[XM_NAME_MAX];
	enum xm_hook_kind kind;
	char arg[XM_HOOK_ARG_MAX];
};

/* What a run is about. */
struct xm_hook_call {
	char event[16];			/* "hook", "notify", "escalate" */
	char rule[XM_NAME_MAX];
	uint32_t node, peer;
	char name[XM_NAME_MAX];		/* the node's, "" if unknown */
	int64_t log_id;			/* the decision in the log */
	char detail[256];
	char site[32];			/* the site's (XM_SITE_NAME_MAX) */
};

/*
 * Parse "NAME command|unit|http ARG" (the words after "hook" in a
 * configuration line): 0, or -1 with a reason in err.
 */
int xm_hook_parse(const char *spec, struct xm_hook *h, char *err,
		  size_t errlen);

/* Hooks, and the runs under way. */
struct xm_hooks;

struct xm_hooks *xm_hooks_new(unsigned int timeout_s);
/* Add a hook (its name must be new): 0, or -1 with a reason. */
int xm_hooks_add(struct xm_hooks *hs, const struct xm_hook *h, char *err,
		 size_t errlen);
const struct xm_hook *xm_hooks_find(const struct xm_hooks *hs,
				    const char *name);
size_t xm_hooks_count(const struct xm_hooks *hs);

/*
 * Read a configuration file: blank lines and lines from '#' are skipped;
 * "hook NAME KIND ARG" adds a hook, "hook-timeout S" sets the timeout.
 * 0, or -1 with "FILE:LINE: reason" in err.
 */
int xm_hooks_load(struct xm_hooks *hs, const char *path, char *err,
		  size_t errlen);

/*
 * The outcome of a run: ok, and a line for the log ("exit 0", "exit 3:
 * first line of output", "killed after 30 s", "HTTP 200"...).
 */
typedef void (*xm_hook_done_fn)(void *arg, const struct xm_hook_call *call,
				bool ok, const char *outcome);

/* Run h for call in a thread of its own; done() is called from it at
 * the end. 0; XM_HOOK_BUSY, not started, as XM_HOOKS_RUNNING are
 * running (counted: xm_hooks_busy()); or -1, not started. done() is not
 * called for a run not started. */
#define XM_HOOK_BUSY	1
int xm_hook_run(struct xm_hooks *hs, const struct xm_hook *h,
		const struct xm_hook_call *call, xm_hook_done_fn done,
		void *arg);
/* The runs not started for XM_HOOKS_RUNNING running. */
uint64_t xm_hooks_busy(struct xm_hooks *hs);

/* Wait for the runs under way (each ends by its timeout). */
void xm_hooks_wait(struct xm_hooks *hs);
/* xm_hooks_wait(), then free. */
void xm_hooks_free(struct xm_hooks *hs);

/* The text of s with {node}, {name}, {peer}, {rule}, {site} replaced
 * (URL-escaped when url): 0, or -1 if it does not fit in out. */
int xm_hook_expand(const char *s, const struct xm_hook_call *call, bool url,
		   char *out, size_t outlen);

#endif /* XM_HOOKS_H */
