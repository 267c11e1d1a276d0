/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xmeshd and the kernel's xmesh tables: read them at start (a restarted
 * agent adopts what is there), bring them in line with the core's
 * desired tables in one batched diff, keep the host routes of other
 * nodes' prefixes in the main table, mark neighbors down at once, and
 * send link probes without waiting, their answers coming back on the
 * "oam" group.
 */
#ifndef XMD_KERNEL_H
#define XMD_KERNEL_H

#include "core.h"
#include "fib.h"
#include "stats.h"
#include "xmesh_change.h"
#include "xmesh_nl.h"
#include "xmesh_rt.h"

struct xmd_kernel {
	struct xmnl nl;			/* requests: dumps, changes */
	struct xmnl probe;		/* link probes, not waited for */
	struct xmnl oam;		/* the "oam" group: their answers */
	struct xmrt rt;			/* host routes */
	bool nl_open, probe_open, oam_open, rt_open;
	uint32_t ifindex;		/* the xmesh device */
	uint32_t self;			/* this node */
	uint16_t ident;			/* OAM ident of this agent's probes */
	struct xmd_stats *stats;

	/* The kernel's tables as last read or applied. */
	struct xm_fib have;
	bool have_ok;			/* false: read them again first */
	/* Host routes in the main table: the add ops last applied. */
	struct xmrt_op *routes;
	size_t n_routes;
	bool routes_ok;
	/*
	 * The module predates multicast routes (the family lacks the
	 * commands, or refuses them with EOPNOTSUPP), or predates the
	 * attributes this agent writes in them (an RPF upstream, a shared
	 * tree's root: refused as unknown, EINVAL): noticed once, warned
	 * once; no multicast route is written then (with older attributes,
	 * those the module has are deleted), the rest syncs
	 * (stats: mroute_refusals, mroute_children_cut, mroutes_cut). A
	 * module without the commands that gains them is seen at the next
	 * read of the tables; one with older attributes stays so until
	 * the agent restarts.
	 */
	bool no_mroutes;
	bool old_mroute_attrs;

	/* Probes queued since the last flush: one sendmsg for them all. */
	struct nlc_batch probes;
	uint64_t probes_warned;		/* errnos of refusals warned about */

	/* Key installs and deletions (XM_ACT_KEY), in order, not done yet. */
	struct xmd_key_op *key_ops;
	size_t n_key_ops, cap_key_ops;
	/* Keys found at start (previous runs'), each deleted at its time
	 * unless the key exchange replaced it by then; stale_at: the first. */
	struct xmd_stale_key *stale;
	size_t n_stale;
	xm_time stale_at;
};

/* A neighbor's stale keys live this long after its new session: kx
 * grace_ms, as a rotation keeps the old receive key. */
#define XMD_STALE_KEYS_GRACE_MS	10000

struct xmd_stale_key {
	uint32_t neigh;			/* or with origin: the remote node */
	uint8_t id, dir;
	xm_time del_at;
	bool origin;
};

struct xmd_key_op {
	uint32_t neigh;			/* or with origin: the remote node */
	bool origin;
	uint8_t id, dir;
	bool del;
};

/* Open the sockets (the module must be loaded). 0 or -errno. */
int xmd_kernel_open(struct xmd_kernel *k, uint32_t ifindex, uint32_t self,
		    uint16_t ident, struct xmd_stats *stats);
void xmd_kernel_close(struct xmd_kernel *k);

/* Read the device's neighbors, routes, prefixes and host routes. */
int xmd_kernel_load(struct xmd_kernel *k);
/*
 * Bring the kernel in line with want: one diff, applied in as few round
 * trips as it takes (XM_APPLY_MERGED), then the host routes. 0, or -errno
 * after a failure (the tables are read again before the next try).
 */
int xmd_kernel_sync(struct xmd_kernel *k, const struct xm_fib *want);
/* XMESH_CMD_NEIGH_SET state down for neighbor id, now. */
int xmd_kernel_neigh_down(struct xmd_kernel *k, uint32_t id);

/*
 * Queue a link probe through neighbor `neigh`; sent by _flush. -ENOENT
 * (counted in probes_deferred) if the kernel does not have that neighbor
 * yet: the probe is skipped rather than refused by the kernel.
 */
int xmd_kernel_probe(struct xmd_kernel *k, uint32_t neigh, uint32_t seq);
/* The kernel has neighbor id, as far as known (true when unknown). */
bool xmd_kernel_has_neigh(const struct xmd_kernel *k, uint32_t id);
void xmd_kernel_probe_flush(struct xmd_kernel *k);
/* Read what came back on the probe socket (errors only: no acks). */
void xmd_kernel_probe_drain(struct xmd_kernel *k);

/*
 * XM_ACT_KEY: queued, then applied in order by xmd_kernel_keys_apply()
 * once the tables are synced (a new neighbor's keys come right after the
 * neighbor). 0 or -ENOMEM.
 */
int xmd_kernel_key_queue(struct xmd_kernel *k, const struct xm_action *a);
/*
 * Install and delete the queued keys, in order, the bytes from the core
 * (xm_core_key_get()) through locked memory, wiped after. An install the
 * kernel refuses for want of its neighbor (-ENOENT: not synced yet) waits,
 * with everything after it, for the next call; other refusals are counted
 * (key_errors) and dropped.
 */
void xmd_kernel_keys_apply(struct xmd_kernel *k, struct xm_core *core,
			   xm_time now);
/*
 * At start, with certificates: the keys previous runs left in the kernel
 * keep the traffic going until the new key exchange replaces them. A
 * neighbor's are deleted XMD_STALE_KEYS_GRACE_MS after this run installed
 * its transmit key (the neighbor has its new session by then, as after a
 * rotation), at once if the kernel has no room for this run's receive key
 * (restarts in quick succession fill the neighbor's slots), and the rest
 * (a neighbor since refused or gone) after delay_ms, by
 * xmd_kernel_keys_stale(). 0 or -errno.
 */
int xmd_kernel_keys_load(struct xmd_kernel *k, xm_time now,
			 uint32_t delay_ms);
/* Delete the stale keys once their time has come; when that is. */
void xmd_kernel_keys_stale(struct xmd_kernel *k, xm_time now);

/*
 * Read the transmit keys' counters and hand them to the core (rotation on
 * volume). 0 or -errno.
 */
int xmd_kernel_key_counters(struct xmd_kernel *k, struct xm_core *core,
			    xm_time now);

/* An answer to one of this agent's link probes. */
struct xmd_probe_reply {
	uint32_t neigh, seq, rtt_us;
};
/* If e (an event of the "oam" group) answers one of our probes, fill r. */
bool xmd_kernel_probe_match(const struct xmd_kernel *k,
			    const struct xm_msg_info *info,
			    const struct xm_entry *e,
			    struct xmd_probe_reply *r);

/*
 * The host routes to apply so that the main table has exactly want's
 * prefixes of other nodes (via ifindex): deletes of have's that are not
 * wanted, adds of wanted ones not in have. *ops is malloc'd.
 */
int xmd_hostroutes_diff(const struct xm_fib *want, uint32_t self,
			uint32_t ifindex, const struct xmrt_op *have,
			size_t n_have, struct xmrt_op **ops, size_t *n);

/* A deep copy of a fib (free with xm_fib_free). */
int xmd_fib_copy(struct xm_fib *dst, const struct xm_fib *src);

#endif /* XMD_KERNEL_H */
