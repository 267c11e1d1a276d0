// SPDX-License-Identifier: GPL-2.0
/*
 * Host routes follow the prefixes: a prefix of another node gets
 * "PREFIX dev XMESH proto xmesh" so applications reach it as they are;
 * deleting the prefix, or giving it to this node, removes the route.
 */
#include "tool.h"

#include <stdlib.h>
#include <string.h>

int hostroutes_sync(struct ctx *c, const struct xm_change *ch, size_t n);

static void report(const struct xmrt_op *op, const struct nlc_error *e,
		   void *data)
{
	char pfx[XM_ADDRSTRLEN], dev[IF_NAMESIZE];
	const char *msg = e->msg[0] ? e->msg : strerror(-e->err);
	size_t n = strlen(msg);

	/* Say which route before what the kernel said about it. */
	pr_err("host route %s dev %s: %s%s",
	       xm_prefix_str(&op->dst, op->len, pfx, sizeof(pfx)),
	       link_name(op->ifindex, dev), msg,
	       n && msg[n - 1] == '.' ? "" : ".");
	pr_failed_line(data, op->tag, op->tag);
}

static int apply_ops(struct ctx *c, struct xmrt_op *ops, size_t *n)
{
	struct xmrt *rt;
	int err;

	if (!*n)
		return 0;
	rt = ctx_rt(c);
	err = rt ? xmrt_apply(rt, ops, *n, report, c) : -1;
	*n = 0;
	return err ? -1 : 0;
}

int hostroutes_sync(struct ctx *c, const struct xm_change *ch, size_t n)
{
	struct xmrt_op *ops = calloc(n ? n : 1, sizeof(*ops));
	const struct xm_devinfo *di;
	size_t i, n_ops = 0;
	int ret = 0;

	if (!ops)
		return -1;
	for (i = 0; i < n; i++) {
		const struct xm_change *x = &ch[i];
		const struct xm_prefix *p = &x->e.prefix;
		struct xmrt_op *op = &ops[n_ops];
		bool ours;

		if (x->err || (x->cmd != XMESH_CMD_PREFIX_NEW &&
			       x->cmd != XMESH_CMD_PREFIX_DEL))
			continue;
		di = ctx_devinfo(c, x->ifname);
		if (!di) {
			pr_failed_line(c, x->tag, x->tag);
			ret = -1;
			continue;
		}
		if (x->flush) {
			/* Routes queued before the flush go in first. */
			struct xmrt *rt;

			if (apply_ops(c, ops, &n_ops))
				ret = -1;
			rt = ctx_rt(c);
			if (!rt || xmrt_flush(rt, di->ifindex, report, c))
				ret = -1;
			continue;
		}
		memset(op, 0, sizeof(*op));
		op->ifindex = di->ifindex;
		op->dst = p->addr;
		op->len = p->len;
		op->tag = x->tag;
		ours = di->node_id && p->node == di->node_id;
		if (x->cmd == XMESH_CMD_PREFIX_DEL)
			op->del = true;
		else if (ours)
			/* Replaced to be ours: a route it had must go. */
			op->del = true;
		if (x->cmd == XMESH_CMD_PREFIX_NEW && ours &&
		    !x->replace)
			continue;
		n_ops++;
	}
	if (apply_ops(c, ops, &n_ops))
		ret = -1;
	free(ops);
	return ret;
}
