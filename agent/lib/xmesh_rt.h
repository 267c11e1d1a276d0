/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host routes for overlay prefixes of other nodes: "PREFIX dev xmesh0
 * proto xmesh" in the main table, so that applications reach them with
 * nothing special. Added with NLM_F_EXCL and deleted by protocol and
 * device, so a route someone else owns is never touched.
 */
#ifndef XMESH_RT_H
#define XMESH_RT_H

#include "nl_core.h"
#include "xmesh_parse.h"

/*
 * The rtnetlink protocol of the routes xmesh installs: 88 is 'X' and is
 * neither a kernel RTPROT_* value nor in iproute2's rt_protos (name it by
 * adding "88 xmesh" to /etc/iproute2/rt_protos.d/xmesh.conf).
 */
#define XMESH_RTPROT		88
#define XMESH_RTPROT_NAME	"xmesh"

struct xmrt {
	struct nlc_sock sock;
};

struct xmrt_op {
	bool del;		/* delete, else add */
	uint32_t ifindex;	/* the xmesh device */
	struct xm_addr dst;
	uint8_t len;
	unsigned long tag;	/* the caller's */
	int err;		/* out: 0 or -errno */
};

typedef void (*xmrt_cb)(const struct xmrt_op *op, const struct nlc_error *e,
			void *data);

int xmrt_open(struct xmrt *r);
void xmrt_close(struct xmrt *r);

/* Build op's RTM_NEWROUTE or RTM_DELROUTE into b; -EMSGSIZE if full. */
int xmrt_msg_put(struct nlc_batch *b, const struct xmrt_op *op);

/*
 * Apply ops, NLC_BATCH_MSGS per round trip. An add that finds the route
 * there (EEXIST) and a delete that finds none (ESRCH, ENOENT) succeed.
 * Sets each op->err, calls cb for failures; returns the first error.
 */
int xmrt_apply(struct xmrt *r, struct xmrt_op *ops, size_t n, xmrt_cb cb,
	       void *data);

/* The xmesh routes via ifindex, as delete ops (free *ops). */
int xmrt_list(struct xmrt *r, uint32_t ifindex, struct xmrt_op **ops,
	      size_t *n);
/* Delete every xmesh route via ifindex. */
int xmrt_flush(struct xmrt *r, uint32_t ifindex, xmrt_cb cb, void *data);

/* Parse a route message: 1 if it is an xmesh route via ifindex (op is
 * filled as its delete), 0 if not, -EINVAL if malformed. */
int xmrt_route_parse(const struct nlmsghdr *nlh, uint32_t ifindex,
		     struct xmrt_op *op);

#endif /* XMESH_RT_H */
