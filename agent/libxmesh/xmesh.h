/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libxmesh: what an application asks the xmesh agent of its instance
 * (xmeshd, over its control socket): the nearest instances of the mesh
 * with a role and enough spare capacity, from the capabilities every
 * node advertises (CPU cores and load, memory, storage, roles, zone) and
 * the path costs the agent computed.
 *
 *	struct xmesh *x = xmesh_open(NULL);
 *	struct xmesh_query q = { .role = "gpu", .min_free_cores = 1.5 };
 *	struct xmesh_node n[4];
 *	int k = xmesh_find(x, &q, n, 4);
 *
 *	if (k < 0)
 *		fprintf(stderr, "%s\n", xmesh_error(x));
 *
 * Errors: a function returns a negative errno and xmesh_error() says
 * why in words. A handle is not thread-safe: one per thread.
 * Documentation/libxmesh.md and libxmesh(3) describe it all; build with
 * `pkg-config --cflags --libs xmesh`.
 */
#ifndef XMESH_H
#define XMESH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XMESH_VERSION_MAJOR	0
#define XMESH_VERSION_MINOR	1
#define XMESH_VERSION_PATCH	0
#define XMESH_VERSION		"0.1.0"
/* 0.1.0 is 100: for #if XMESH_VERSION_NUMBER >= ... */
#define XMESH_VERSION_NUMBER	(XMESH_VERSION_MAJOR * 10000 + \
				 XMESH_VERSION_MINOR * 100 + \
				 XMESH_VERSION_PATCH)

#define XMESH_NAME_MAX		32	/* a name, zone or role, with NUL */
#define XMESH_ROLE_MAX		8	/* roles per node */
#define XMESH_ADDR_MAX		46	/* an IPv4 or IPv6 address, with NUL */
#define XMESH_COUNT_MAX		64	/* nodes one query returns at most */

#if defined(__GNUC__)
#define XMESH_API		__attribute__((visibility("default")))
#else
#define XMESH_API
#endif

struct xmesh;

/* What the nodes must have; a zero field asks for nothing. */
struct xmesh_query {
	const char *role;		/* NULL: any role */
	const char *zone;		/* NULL: any zone */
	unsigned int count;		/* at most this many; 0: as many as
					 * xmesh_find()'s max */
	unsigned int min_cores;		/* CPUs, busy or not */
	double min_free_cores;		/* cores - load average (below) */
	uint32_t min_free_mem_mb;	/* available memory */
	uint32_t min_free_disk_gb;	/* the agent's state filesystem */
	uint32_t near;			/* distances from this node id; 0:
					 * from the local instance */
};

/*
 * A node that fits, as its agent last advertised it. free_cores = cores
 * x (1 - load per core) = cores - 1-minute load average, at least 0.
 */
struct xmesh_node {
	uint32_t id;
	char name[XMESH_NAME_MAX];
	char zone[XMESH_NAME_MAX];
	unsigned int n_roles;
	char roles[XMESH_ROLE_MAX][XMESH_NAME_MAX];
	unsigned int cores;
	double load;			/* 1-minute load average */
	double free_cores;
	uint32_t mem_total_mb, mem_free_mb;
	uint32_t disk_total_gb, disk_free_gb;
	uint32_t distance;		/* path cost (from query.near) */
	unsigned int hops;		/* from the local instance */
	bool self;			/* the local instance itself */
	char address[XMESH_ADDR_MAX];	/* its first overlay address, "" if
					 * it advertises none */
};

/* The library's version, XMESH_VERSION of the build (not the header). */
XMESH_API const char *xmesh_version(void);

/*
 * A handle on the agent at socket_path (NULL: $XMESH_SOCKET, else
 * /run/xmesh/xmeshd.sock). It connects at the first request and again
 * when the agent restarted. NULL with errno ENOMEM only.
 */
XMESH_API struct xmesh *xmesh_open(const char *socket_path);
XMESH_API void xmesh_close(struct xmesh *x);

/* How long a request waits for its reply (default 10000 ms). */
XMESH_API void xmesh_set_timeout(struct xmesh *x, int timeout_ms);

/* Why the last call on x failed, in words; "" if it did not. */
XMESH_API const char *xmesh_error(const struct xmesh *x);

/*
 * The nearest reachable nodes that fit q (the local instance included),
 * at most max (and q->count) of them into nodes[], nearest first; ties
 * go to the more free cores, then the lower id. Returns their number
 * (0: none fits), or -ENOENT / -ECONNREFUSED (no agent), -EINVAL (the
 * agent refused the query), -ETIMEDOUT, -EPROTO (a reply not understood),
 * -ENOMEM, another -errno.
 */
XMESH_API int xmesh_find(struct xmesh *x, const struct xmesh_query *q,
			 struct xmesh_node *nodes, size_t max);

/*
 * Any request of the control socket (one JSON object, without newline):
 * 0 and its reply line in *reply (malloc'd, for free()), or -errno. A
 * reply {"error": ...} is a reply too.
 */
XMESH_API int xmesh_request(struct xmesh *x, const char *request,
			    char **reply);

#ifdef __cplusplus
}
#endif

#endif /* XMESH_H */
