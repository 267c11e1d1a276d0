// SPDX-License-Identifier: GPL-2.0
#include "nl_core.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Room for many queued acks and dump parts before the kernel drops any. */
#define NLC_RCVBUF	(1024 * 1024)
#define NLC_RXBUF	(64 * 1024)

static void nlc_parse_tlv(const struct nlattr *attr, struct nlc_error *e)
{
	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(e->msg, sizeof(e->msg), "%s",
				 mnl_attr_get_str(attr));
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
			e->has_offset = true;
			e->offset = mnl_attr_get_u32(attr);
		}
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
			e->has_miss_type = true;
			e->miss_type = mnl_attr_get_u32(attr);
		}
		break;
	case NLMSGERR_ATTR_MISS_NEST:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
			e->has_miss_nest = true;
			e->miss_nest = mnl_attr_get_u32(attr);
		}
		break;
	}
}

int nlc_parse_error(const struct nlmsghdr *nlh, struct nlc_error *e)
{
	size_t plen = mnl_nlmsg_get_payload_len(nlh), off;
	const struct nlattr *attr;
	int32_t err;

	memset(e, 0, sizeof(*e));
	if (nlh->nlmsg_len < NLMSG_HDRLEN)
		goto bad;
	if (nlh->nlmsg_type == NLMSG_DONE) {
		/* Older kernels end a dump with no error code at all. */
		if (plen < sizeof(err))
			return 0;
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		off = sizeof(err);
	} else if (nlh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr me;

		if (plen < sizeof(me))
			goto bad;
		memcpy(&me, mnl_nlmsg_get_payload(nlh), sizeof(me));
		err = me.error;
		off = sizeof(me);
		/* Uncapped errors echo the request's payload before the TLVs. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (me.msg.nlmsg_len < NLMSG_HDRLEN)
				goto bad;
			off += me.msg.nlmsg_len - NLMSG_HDRLEN;
		}
	} else {
		goto bad;
	}
	e->err = err > 0 ? -err : err;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	if (MNL_ALIGN(off) > plen)
		goto bad;
	nlc_attr_for_each(attr, nlh, off)
		nlc_parse_tlv(attr, e);
	return 0;
bad:
	memset(e, 0, sizeof(*e));
	e->err = -EBADMSG;
	return -EBADMSG;
}

int nlc_open(struct nlc_sock *s, int bus)
{
	int one = 1, rcvbuf = NLC_RCVBUF, err;

	memset(s, 0, sizeof(*s));
	s->nl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!s->nl)
		return -errno;
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	/* Best effort: without them errors are plain errnos. */
	mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	/* FORCE works as root; otherwise take what rmem_max allows. */
	if (setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = 1;
	s->rxlen = NLC_RXBUF;
	s->rxbuf = malloc(s->rxlen);
	if (!s->rxbuf) {
		errno = ENOMEM;
		goto fail;
	}
	return 0;
fail:
	err = -errno;
	mnl_socket_close(s->nl);
	s->nl = NULL;
	return err;
}

void nlc_close(struct nlc_sock *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s->rxbuf);
	memset(s, 0, sizeof(*s));
}

int nlc_fd(const struct nlc_sock *s)
{
	return mnl_socket_get_fd(s->nl);
}

int nlc_batch_init(struct nlc_batch *b, size_t cap, size_t max_msgs)
{
	memset(b, 0, sizeof(*b));
	b->buf = calloc(1, cap);
	b->off = calloc(max_msgs, sizeof(*b->off));
	if (!b->buf || !b->off) {
		nlc_batch_free(b);
		return -ENOMEM;
	}
	b->cap = cap;
	b->max = max_msgs;
	return 0;
}

void nlc_batch_free(struct nlc_batch *b)
{
	free(b->buf);
	free(b->off);
	memset(b, 0, sizeof(*b));
}

void nlc_batch_reset(struct nlc_batch *b)
{
	b->len = 0;
	b->n = 0;
}

struct nlmsghdr *nlc_batch_begin(struct nlc_batch *b, uint16_t type,
				 uint16_t flags)
{
	struct nlmsghdr *nlh;

	if (b->n >= b->max || b->cap - b->len < MNL_NLMSG_HDRLEN)
		return NULL;
	nlh = mnl_nlmsg_put_header(b->buf + b->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	return nlh;
}

size_t nlc_batch_room(const struct nlc_batch *b, const struct nlmsghdr *nlh)
{
	return b->cap - (size_t)((const char *)nlh - b->buf);
}

void nlc_batch_commit(struct nlc_batch *b, struct nlmsghdr *nlh)
{
	b->off[b->n++] = (size_t)((char *)nlh - b->buf);
	b->len += MNL_ALIGN(nlh->nlmsg_len);
}

void nlc_batch_cancel(struct nlc_batch *b, struct nlmsghdr *nlh)
{
	/* Nothing was counted yet: the next begin() writes over it. */
	(void)b;
	(void)nlh;
}

struct nlmsghdr *nlc_batch_msg(const struct nlc_batch *b, size_t i)
{
	return (struct nlmsghdr *)(b->buf + b->off[i]);
}

void nlc_rx_datagram(struct nlc_rx *rx, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh;
	size_t left;

	nlc_msg_for_each(nlh, buf, len, left) {
		struct nlc_result *r;
		uint32_t idx;
		int err;

		/* Not ours, or left over from an earlier exchange. */
		if (nlh->nlmsg_pid != rx->portid)
			continue;
		idx = nlh->nlmsg_seq - rx->seq0;
		if (idx >= rx->n || rx->res[idx].done)
			continue;
		r = &rx->res[idx];
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			r->intr = true;
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
		case NLMSG_OVERRUN:
			break;
		case NLMSG_ERROR:
		case NLMSG_DONE:
			nlc_parse_error(nlh, &r->e);
			r->done = true;
			rx->pending--;
			break;
		default:
			if (!rx->cb)
				break;
			err = rx->cb(nlh, idx, rx->data);
			if (err < 0 && !r->cb_err)
				r->cb_err = err;
			break;
		}
	}
}

int nlc_exchange(struct nlc_sock *s, struct nlc_batch *b,
		 struct nlc_result *res, nlc_data_cb cb, void *data)
{
	struct nlc_rx rx = {
		.portid = s->portid, .seq0 = s->seq, .n = b->n, .res = res,
		.cb = cb, .data = data, .pending = b->n,
	};
	size_t i;

	if (!b->n)
		return 0;
	memset(res, 0, b->n * sizeof(*res));
	for (i = 0; i < b->n; i++) {
		struct nlmsghdr *nlh = nlc_batch_msg(b, i);

		nlh->nlmsg_seq = s->seq++;
		nlh->nlmsg_pid = 0;
	}
	if (s->fake)
		return s->fake(s, b, res, s->fake_priv);
	if (mnl_socket_sendto(s->nl, b->buf, b->len) < 0)
		return -errno;
	while (rx.pending) {
		ssize_t n = mnl_socket_recvfrom(s->nl, s->rxbuf, s->rxlen);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		nlc_rx_datagram(&rx, s->rxbuf, (size_t)n);
	}
	return 0;
}
