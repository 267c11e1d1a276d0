// SPDX-License-Identifier: GPL-2.0
#include "xmesh_rt.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

int xmrt_open(struct xmrt *r)
{
	return nlc_open(&r->sock, NETLINK_ROUTE);
}

void xmrt_close(struct xmrt *r)
{
	nlc_close(&r->sock);
}

int xmrt_msg_put(struct nlc_batch *b, const struct xmrt_op *op)
{
	size_t alen = xm_addr_len(op->dst.family), room;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (!alen)
		return -EAFNOSUPPORT;
	nlh = nlc_batch_begin(b, op->del ? RTM_DELROUTE : RTM_NEWROUTE,
			      NLM_F_ACK |
			      (op->del ? 0 : NLM_F_CREATE | NLM_F_EXCL));
	if (!nlh)
		return -EMSGSIZE;
	room = nlc_batch_room(b, nlh);
	if (room < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*rtm)))
		return -EMSGSIZE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)op->dst.family;
	rtm->rtm_dst_len = op->len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = XMESH_RTPROT;
	if (op->del) {
		/* Any scope and type: match by protocol, device and prefix. */
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
		rtm->rtm_type = RTN_UNSPEC;
	} else {
		/* A device route without gateway, as "ip route add" makes. */
		rtm->rtm_scope = op->dst.family == AF_INET ?
				 RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
		rtm->rtm_type = RTN_UNICAST;
	}
	if (!mnl_attr_put_check(nlh, room, RTA_DST, alen, op->dst.raw) ||
	    !mnl_attr_put_u32_check(nlh, room, RTA_OIF, op->ifindex))
		return -EMSGSIZE;
	nlc_batch_commit(b, nlh);
	return 0;
}

static bool ignorable(const struct xmrt_op *op, int err)
{
	return op->del ? err == -ESRCH || err == -ENOENT : err == -EEXIST;
}

int xmrt_apply(struct xmrt *r, struct xmrt_op *ops, size_t n, xmrt_cb cb,
	       void *data)
{
	struct nlc_result *res = calloc(NLC_BATCH_MSGS, sizeof(*res));
	struct nlc_batch b;
	size_t i = 0, k, m;
	int first = 0, err;

	err = nlc_batch_init(&b, NLC_BATCH_SIZE, NLC_BATCH_MSGS);
	if (err || !res) {
		free(res);
		nlc_batch_free(&b);
		return -ENOMEM;
	}
	while (i < n) {
		nlc_batch_reset(&b);
		for (k = i; k < n; k++)
			if (xmrt_msg_put(&b, &ops[k]))
				break;
		if (k == i) {
			/* Not even one fits: this op is unusable. */
			struct nlc_error e = { .err = -EINVAL };

			ops[i].err = e.err;
			first = first ? first : e.err;
			if (cb)
				cb(&ops[i], &e, data);
			i++;
			continue;
		}
		err = nlc_exchange(&r->sock, &b, res, NULL, NULL);
		for (m = 0; m < k - i; m++) {
			struct nlc_error e = res[m].e;
			struct xmrt_op *op = &ops[i + m];

			if (err)
				e.err = err;
			op->err = ignorable(op, e.err) ? 0 : e.err;
			if (!op->err)
				continue;
			e.err = op->err;
			first = first ? first : op->err;
			if (cb)
				cb(op, &e, data);
		}
		if (err)
			break;
		i = k;
	}
	nlc_batch_free(&b);
	free(res);
	return first;
}

int xmrt_route_parse(const struct nlmsghdr *nlh, uint32_t ifindex,
		     struct xmrt_op *op)
{
	const struct rtmsg *rtm;
	const struct nlattr *a;
	uint32_t table, oif = 0;
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return 0;
	if (mnl_nlmsg_get_payload_len(nlh) < MNL_ALIGN(sizeof(*rtm)))
		return -EINVAL;
	rtm = mnl_nlmsg_get_payload(nlh);
	alen = xm_addr_len(rtm->rtm_family);
	if (!alen || rtm->rtm_dst_len > alen * 8)
		return rtm->rtm_family == AF_INET ||
		       rtm->rtm_family == AF_INET6 ? -EINVAL : 0;
	memset(op, 0, sizeof(*op));
	op->del = true;
	op->dst.family = rtm->rtm_family;
	op->len = rtm->rtm_dst_len;
	table = rtm->rtm_table;
	nlc_attr_for_each(a, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_DST:
			if (mnl_attr_get_payload_len(a) != alen)
				return -EINVAL;
			memcpy(op->dst.raw, mnl_attr_get_payload(a), alen);
			break;
		case RTA_OIF:
			if (mnl_attr_get_payload_len(a) != sizeof(uint32_t))
				return -EINVAL;
			oif = mnl_attr_get_u32(a);
			break;
		case RTA_TABLE:
			if (mnl_attr_get_payload_len(a) != sizeof(uint32_t))
				return -EINVAL;
			table = mnl_attr_get_u32(a);
			break;
		}
	}
	op->ifindex = oif;
	return rtm->rtm_protocol == XMESH_RTPROT && table == RT_TABLE_MAIN &&
	       oif == ifindex;
}

struct list_ctx {
	uint32_t ifindex;
	struct xmrt_op *ops;
	size_t n, cap;
};

static int list_cb(const struct nlmsghdr *nlh, size_t idx, void *data)
{
	struct list_ctx *l = data;
	struct xmrt_op op;
	int ret;

	(void)idx;
	ret = xmrt_route_parse(nlh, l->ifindex, &op);
	if (ret <= 0)
		return ret;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct xmrt_op *v = realloc(l->ops, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->ops = v;
		l->cap = cap;
	}
	l->ops[l->n++] = op;
	return 0;
}

int xmrt_list(struct xmrt *r, uint32_t ifindex, struct xmrt_op **ops,
	      size_t *n)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	struct list_ctx l = { .ifindex = ifindex };
	struct nlc_result res;
	struct nlc_batch b;
	size_t f;
	int err;

	err = nlc_batch_init(&b, 4096, 1);
	if (err)
		return err;
	/* One dump at a time: a socket cannot run two at once (EBUSY). */
	for (f = 0; f < sizeof(families) && !err; f++) {
		struct nlmsghdr *nlh;
		struct rtmsg *rtm;

		nlc_batch_reset(&b);
		nlh = nlc_batch_begin(&b, RTM_GETROUTE, NLM_F_DUMP);
		rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = families[f];
		nlc_batch_commit(&b, nlh);
		err = nlc_exchange(&r->sock, &b, &res, list_cb, &l);
		if (!err)
			err = res.e.err ? res.e.err : res.cb_err;
	}
	nlc_batch_free(&b);
	if (err) {
		free(l.ops);
		return err;
	}
	*ops = l.ops;
	*n = l.n;
	return 0;
}

int xmrt_flush(struct xmrt *r, uint32_t ifindex, xmrt_cb cb, void *data)
{
	struct xmrt_op *ops = NULL;
	size_t n = 0;
	int err;

	err = xmrt_list(r, ifindex, &ops, &n);
	if (!err)
		err = xmrt_apply(r, ops, n, cb, data);
	free(ops);
	return err;
}
