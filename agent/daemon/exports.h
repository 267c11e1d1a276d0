/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xmeshd's probed route exports (Documentation/exports.md): the checks
 * of each export's target on the epoll loop (ICMP echo, TCP connect, a
 * UDP datagram answered), never blocking, their results fed to the pure
 * state machine (core/export.h). When an export is advertised or
 * withdrawn, `changed` gives the core its prefixes again.
 */
#ifndef XMD_EXPORTS_H
#define XMD_EXPORTS_H

#include "config.h"
#include "export.h"
#include "watch.h"

struct xmd_exports;

struct xmd_export_probe {
	struct xmd_watch w;		/* the check's socket; fd -1: none */
	struct xmd_exports *set;
	struct xm_export e;
	xm_time next_check;		/* and the open one's deadline */
	uint16_t id, seq;		/* ICMP echo */
	bool raw;			/* a raw ICMP socket (no ping socket) */
	int last_errno;			/* why the last check failed; 0 */
};

struct xmd_exports {
	int epfd;
	unsigned int n;
	struct xmd_export_probe x[XM_EXPORT_MAX];
	void (*changed)(void *arg, xm_time now, const struct xm_export *e);
	void *arg;
};

/* The exports of cfg, first checks at now; those of old (a reload) with
 * the same configuration keep their state. */
void xmd_exports_start(struct xmd_exports *s, int epfd,
		       const struct xmd_config *cfg, xm_time now,
		       const struct xmd_exports *old);
void xmd_exports_stop(struct xmd_exports *s);
/* Send the checks due, time out the late ones, run the holds. */
void xmd_exports_timer(struct xmd_exports *s, xm_time now);
xm_time xmd_exports_next(const struct xmd_exports *s);
/*
 * Append the advertised exports to p and prio (room for max, n used):
 * the new count.
 */
unsigned int xmd_exports_prefixes(const struct xmd_exports *s,
				  struct xm_prefix4or6 *p, uint16_t *prio,
				  unsigned int n, unsigned int max);

/*
 * `xmesh export show`'s answer (Documentation/exports.md): "exports",
 * this node's (s may be NULL: none), and "prefixes", every prefix some
 * node advertises with a priority (this node's exports too, advertised
 * or not) with its advertisers and the one chosen. The core is read
 * through node and node_id.
 */
struct json_object;
struct json_object *xmd_exports_json(const struct xmd_exports *s,
				     const struct xm_core *c,
				     xm_core_node_fn *node, uint32_t self,
				     xm_time now);

#endif /* XMD_EXPORTS_H */
