/* SPDX-License-Identifier: GPL-2.0 */
/* Hand-built kernel messages (replies, events, errors) for the tests. */
#ifndef XMESH_NLBUILD_H
#define XMESH_NLBUILD_H

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <string.h>

#define TEST_FAMILY	0x1f	/* a made-up family id */

/* A genl message header at buf, as the kernel would send it. */
__attribute__((unused))
static struct nlmsghdr *genl_msg(void *buf, uint16_t type, uint8_t cmd,
				 uint16_t flags, uint32_t seq, uint32_t portid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = portid;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

/* An NLMSG_ERROR for request req; with capped, only req's header. */
__attribute__((unused))
static struct nlmsghdr *err_msg(void *buf, const struct nlmsghdr *req,
				int error, bool capped, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;
	size_t extra = capped ? 0 : req->nlmsg_len - sizeof(*req);

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = flags | (capped ? NLM_F_CAPPED : 0);
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = req->nlmsg_pid;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e) + extra);
	e->error = error;
	memcpy(&e->msg, req, sizeof(*req) + extra);
	if (capped)
		e->msg.nlmsg_len = req->nlmsg_len;
	return nlh;
}

#endif /* XMESH_NLBUILD_H */
