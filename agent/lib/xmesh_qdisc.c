// SPDX-License-Identifier: GPL-2.0
#include "xmesh_qdisc.h"

#include <errno.h>
#include <linux/pkt_sched.h>
#include <linux/xmesh_packet.h>
#include <netlink/netlink.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/prio.h>
#include <netlink/route/qdisc/tbf.h>
#include <stdio.h>
#include <string.h>

/* Band of each traffic class, control first; and the reverse. */
static const uint8_t band_tclass[XMQ_BANDS] = {
	XMESH_TC_NETWORK_CONTROL, XMESH_TC_REALTIME, XMESH_TC_INTERACTIVE,
	XMESH_TC_BULK,
};

void xmq_priomap(uint8_t map[16])
{
	int i;

	/* The priorities the module gives each class (qos.c); anything
	 * else, the host's other traffic included, is bulk. */
	for (i = 0; i < 16; i++)
		map[i] = 3;
	map[TC_PRIO_CONTROL] = 0;
	map[TC_PRIO_INTERACTIVE] = 1;
	map[TC_PRIO_INTERACTIVE_BULK] = 2;
}

static int nl_err(int nlerr, const char *what, char *msg, size_t len)
{
	if (msg && len)
		snprintf(msg, len, "%s: %s", what, nl_geterror(nlerr));
	switch (-nlerr) {
	case NLE_PERM:
		return -EPERM;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_INVAL:
	case NLE_RANGE:
		return -EINVAL;
	case NLE_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* The link's qdiscs and classes, read once per operation. */
struct view {
	struct nl_sock *sk;
	struct nl_cache *qdiscs, *classes;
	int ifindex;
};

static int view_open(struct view *v, uint32_t ifindex, char *msg, size_t len)
{
	int err;

	memset(v, 0, sizeof(*v));
	v->ifindex = (int)ifindex;
	v->sk = nl_socket_alloc();
	if (!v->sk)
		return -ENOMEM;
	err = nl_connect(v->sk, NETLINK_ROUTE);
	if (!err)
		err = rtnl_qdisc_alloc_cache(v->sk, &v->qdiscs);
	if (!err)
		err = rtnl_class_alloc_cache(v->sk, v->ifindex, &v->classes);
	return err ? nl_err(err, "reading qdiscs", msg, len) : 0;
}

static void view_close(struct view *v)
{
	if (v->classes)
		nl_cache_free(v->classes);
	if (v->qdiscs)
		nl_cache_free(v->qdiscs);
	if (v->sk)
		nl_socket_free(v->sk);
}

static bool kind_is(struct rtnl_qdisc *q, const char *kind)
{
	const char *k = q ? rtnl_tc_get_kind(TC_CAST(q)) : NULL;

	return k && !strcmp(k, kind);
}

static struct rtnl_qdisc *qdisc_new(int ifindex, uint32_t parent,
				    uint32_t handle, const char *kind)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (!q)
		return NULL;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), parent);
	if (handle)
		rtnl_tc_set_handle(TC_CAST(q), handle);
	if (rtnl_tc_set_kind(TC_CAST(q), kind)) {
		rtnl_qdisc_put(q);
		return NULL;
	}
	return q;
}

/* Add (or replace at its parent) qdisc q, then drop our reference. */
static int qdisc_commit(struct view *v, struct rtnl_qdisc *q,
			const char *what, char *msg, size_t len)
{
	int err;

	if (!q)
		return -ENOMEM;
	err = rtnl_qdisc_add(v->sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_qdisc_put(q);
	return err ? nl_err(err, what, msg, len) : 0;
}

/* The htb at the root (unless there: htb cannot be changed in place) and
 * its class at rate. */
static int htb_set(struct view *v, bool have_htb, uint64_t rate, char *msg,
		   size_t len)
{
	struct rtnl_qdisc *q;
	struct rtnl_class *cl;
	uint64_t burst;
	int err;

	if (!have_htb) {
		q = qdisc_new(v->ifindex, TC_H_ROOT, XMQ_HANDLE_SHAPER, "htb");
		if (q)
			rtnl_htb_set_defcls(q, 1);
		err = qdisc_commit(v, q, "adding the htb shaper", msg, len);
		if (err)
			return err;
	}
	cl = rtnl_class_alloc();
	if (!cl)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(cl), v->ifindex);
	rtnl_tc_set_parent(TC_CAST(cl), XMQ_HANDLE_SHAPER);
	rtnl_tc_set_handle(TC_CAST(cl), XMQ_HANDLE_SHAPER | 1);
	err = rtnl_tc_set_kind(TC_CAST(cl), "htb");
	if (!err)
		err = rtnl_htb_set_rate64(cl, rate);
	if (!err)
		err = rtnl_htb_set_ceil64(cl, rate);
	/* As tc's default: what the rate sends in a timer tick (10 ms at
	 * HZ 100, the coarsest) plus a packet, or htb falls short of it. */
	burst = rate / 100 + 1600;
	if (burst > UINT32_MAX)
		burst = UINT32_MAX;
	if (!err)
		err = rtnl_htb_set_rbuffer(cl, (uint32_t)burst);
	if (!err)
		err = rtnl_htb_set_cbuffer(cl, (uint32_t)burst);
	if (!err)
		err = rtnl_class_add(v->sk, cl, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_class_put(cl);
	return err ? nl_err(err, "setting the link rate", msg, len) : 0;
}

static uint64_t htb_rate(struct view *v)
{
	struct rtnl_class *cl;
	uint64_t rate = 0;

	cl = rtnl_class_get(v->classes, v->ifindex, XMQ_HANDLE_SHAPER | 1);
	if (cl) {
		if (rtnl_htb_get_rate64(cl, &rate))
			rate = 0;
		rtnl_class_put(cl);
	}
	return rate;
}

/* The prio at parent and its fq_codel leaves, added where missing. */
static int prio_set(struct view *v, uint32_t parent, char *msg, size_t len)
{
	struct rtnl_qdisc *q;
	uint8_t map[16];
	int b, err;

	q = rtnl_qdisc_get(v->qdiscs, v->ifindex, XMQ_HANDLE_PRIO);
	if (!q || rtnl_tc_get_parent(TC_CAST(q)) != parent ||
	    !kind_is(q, "prio")) {
		if (q)
			rtnl_qdisc_put(q);
		q = qdisc_new(v->ifindex, parent, XMQ_HANDLE_PRIO, "prio");
		if (q) {
			xmq_priomap(map);
			rtnl_qdisc_prio_set_bands(q, XMQ_BANDS);
			rtnl_qdisc_prio_set_priomap(q, map, sizeof(map));
		}
		err = qdisc_commit(v, q, "adding the prio qdisc", msg, len);
		if (err)
			return err;
		/* Its leaves are new: read them again. */
		nl_cache_refill(v->sk, v->qdiscs);
	} else {
		rtnl_qdisc_put(q);
	}
	for (b = 1; b <= XMQ_BANDS; b++) {
		q = rtnl_qdisc_get_by_parent(v->qdiscs, v->ifindex,
					     XMQ_HANDLE_PRIO | (uint32_t)b);
		if (kind_is(q, "fq_codel")) {
			rtnl_qdisc_put(q);
			continue;
		}
		if (q)
			rtnl_qdisc_put(q);
		err = qdisc_commit(v, qdisc_new(v->ifindex,
						XMQ_HANDLE_PRIO | (uint32_t)b,
						0, "fq_codel"),
				   "adding fq_codel", msg, len);
		if (err)
			return err;
	}
	return 0;
}

/*
 * A root qdisc the tree may replace: the kernel's defaults, or nothing
 * configured. Anyone else's (cake, an htb of the operator's...) is left
 * alone; a tbf or a netem keeps its place and the tree goes below it.
 */
static bool kind_default(struct rtnl_qdisc *q)
{
	static const char *const kinds[] = {
		"noqueue", "pfifo_fast", "fq_codel", "fq", "mq", "pfifo",
		"bfifo",
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kind_is(q, kinds[i]))
			return true;
	return false;
}

int xmq_install(uint32_t ifindex, uint64_t rate, char *msg, size_t len)
{
	uint32_t parent = TC_H_ROOT, root_handle = 0;
	bool root_tbf = false, root_htb = false;
	struct rtnl_qdisc *root;
	struct view v;
	int err;

	err = view_open(&v, ifindex, msg, len);
	if (err)
		goto out;
	root = rtnl_qdisc_get_by_parent(v.qdiscs, v.ifindex, TC_H_ROOT);
	if (root) {
		bool ours;

		root_handle = rtnl_tc_get_handle(TC_CAST(root));
		/* netem too: a single child, below its delay or loss. */
		root_tbf = kind_is(root, "tbf") || kind_is(root, "netem");
		root_htb = root_handle == XMQ_HANDLE_SHAPER &&
			   kind_is(root, "htb");
		ours = root_htb || root_handle == XMQ_HANDLE_PRIO;
		if (!ours && !root_tbf && !kind_default(root)) {
			if (msg)
				snprintf(msg, len, "the root qdisc is someone "
					 "else's %s: left as it is",
					 rtnl_tc_get_kind(TC_CAST(root)));
			rtnl_qdisc_put(root);
			err = -EBUSY;
			goto out;
		}
		rtnl_qdisc_put(root);
	}
	if (rate) {
		if (!root_htb || htb_rate(&v) != rate) {
			err = htb_set(&v, root_htb, rate, msg, len);
			if (err)
				goto out;
			nl_cache_refill(v.sk, v.qdiscs);
		}
		parent = XMQ_HANDLE_SHAPER | 1;
	} else if (root_tbf) {
		/* Someone else's shaper, e.g. the link's own rate limit: the
		 * classes go below it, where its queue is. */
		parent = TC_H_MAKE(root_handle, 1);
	}
	err = prio_set(&v, parent, msg, len);
out:
	view_close(&v);
	return err;
}

int xmq_remove(uint32_t ifindex, char *msg, size_t len)
{
	struct rtnl_qdisc *root, *prio;
	uint32_t root_handle = 0;
	struct view v;
	int err;

	err = view_open(&v, ifindex, msg, len);
	if (err)
		goto out;
	root = rtnl_qdisc_get_by_parent(v.qdiscs, v.ifindex, TC_H_ROOT);
	prio = rtnl_qdisc_get(v.qdiscs, v.ifindex, XMQ_HANDLE_PRIO);
	if (root)
		root_handle = rtnl_tc_get_handle(TC_CAST(root));
	if (root && (root_handle == XMQ_HANDLE_SHAPER ||
		     root_handle == XMQ_HANDLE_PRIO)) {
		err = rtnl_qdisc_delete(v.sk, root);
		if (err)
			err = nl_err(err, "deleting the tree", msg, len);
	} else if (prio) {
		/* Below a tbf: deleting would leave it noop (dropping all);
		 * it gets back the bfifo of its limit it had. */
		struct rtnl_qdisc *q = qdisc_new(v.ifindex,
						 rtnl_tc_get_parent(TC_CAST(prio)),
						 0, "bfifo");

		if (q && root && kind_is(root, "tbf"))
			rtnl_qdisc_fifo_set_limit(q,
						  rtnl_qdisc_tbf_get_limit(root));
		err = qdisc_commit(&v, q, "restoring the tbf's fifo", msg,
				   len);
	}
	if (root)
		rtnl_qdisc_put(root);
	if (prio)
		rtnl_qdisc_put(prio);
out:
	view_close(&v);
	return err;
}

int xmq_read(uint32_t ifindex, struct xmq_tree *tree)
{
	struct rtnl_qdisc *root, *prio, *q;
	struct view v;
	int b, err;

	memset(tree, 0, sizeof(*tree));
	for (b = 0; b < XMQ_BANDS; b++)
		tree->band[b].tclass = band_tclass[b];
	err = view_open(&v, ifindex, NULL, 0);
	if (err)
		goto out;
	prio = rtnl_qdisc_get(v.qdiscs, v.ifindex, XMQ_HANDLE_PRIO);
	if (!prio)
		goto out;
	tree->installed = true;
	root = rtnl_qdisc_get_by_parent(v.qdiscs, v.ifindex, TC_H_ROOT);
	if (root) {
		tree->shaped = rtnl_tc_get_handle(TC_CAST(root)) ==
			       XMQ_HANDLE_SHAPER;
		tree->under_tbf = kind_is(root, "tbf");
		rtnl_qdisc_put(root);
	}
	if (tree->shaped)
		tree->rate = htb_rate(&v);
	for (b = 0; b < XMQ_BANDS; b++) {
		struct xmq_band *s = &tree->band[b];

		q = rtnl_qdisc_get_by_parent(v.qdiscs, v.ifindex,
					     XMQ_HANDLE_PRIO | (uint32_t)(b + 1));
		if (!q)
			continue;
		s->packets = rtnl_tc_get_stat(TC_CAST(q), RTNL_TC_PACKETS);
		s->bytes = rtnl_tc_get_stat(TC_CAST(q), RTNL_TC_BYTES);
		s->drops = rtnl_tc_get_stat(TC_CAST(q), RTNL_TC_DROPS);
		s->overlimits = rtnl_tc_get_stat(TC_CAST(q),
						 RTNL_TC_OVERLIMITS);
		s->qlen = (uint32_t)rtnl_tc_get_stat(TC_CAST(q), RTNL_TC_QLEN);
		s->backlog = (uint32_t)rtnl_tc_get_stat(TC_CAST(q),
							RTNL_TC_BACKLOG);
		rtnl_qdisc_put(q);
	}
	rtnl_qdisc_put(prio);
out:
	view_close(&v);
	return err;
}
