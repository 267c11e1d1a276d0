// SPDX-License-Identifier: GPL-2.0
/*
 * Extended acks built by hand as the kernel sends them: capped and not,
 * message, offset, missing attribute, malformed ones; and the "Error:"
 * line the tool makes of them.
 */
#include <errno.h>

#include "nlbuild.h"
#include "tap.h"
#include "tool.h"
#include "xmesh_names.h"

static char req_buf[512] __attribute__((aligned(4)));
static char buf[1024] __attribute__((aligned(4)));

/* A route request with two next hops; *neigh2 is the second's neigh. */
static struct nlmsghdr *request(uint32_t *route_off, uint32_t *neigh2_off)
{
	struct nlmsghdr *nlh = genl_msg(req_buf, TEST_FAMILY,
					XMESH_CMD_ROUTE_NEW,
					NLM_F_REQUEST | NLM_F_ACK, 7, 42);
	struct nlattr *route, *nh;

	mnl_attr_put_strz(nlh, XMESH_A_IFNAME, "xmesh0");
	route = mnl_attr_nest_start(nlh, XMESH_A_ROUTE);
	*route_off = (uint32_t)((char *)route - (char *)nlh);
	mnl_attr_put_u32(nlh, XMESH_ROUTE_A_DST, 5);
	nh = mnl_attr_nest_start(nlh, XMESH_ROUTE_A_NEXTHOP);
	mnl_attr_put_u32(nlh, XMESH_NEXTHOP_A_NEIGH, 10);
	mnl_attr_nest_end(nlh, nh);
	nh = mnl_attr_nest_start(nlh, XMESH_ROUTE_A_NEXTHOP);
	*neigh2_off = (uint32_t)((char *)mnl_nlmsg_get_payload_tail(nlh) -
				 (char *)nlh);
	mnl_attr_put_u32(nlh, XMESH_NEXTHOP_A_NEIGH, 12);
	mnl_attr_nest_end(nlh, nh);
	mnl_attr_nest_end(nlh, route);
	return nlh;
}

static void parse(void)
{
	uint32_t route_off, neigh2_off;
	struct nlmsghdr *req = request(&route_off, &neigh2_off), *nlh;
	struct nlc_error e;
	int32_t code;

	nlh = err_msg(buf, req, 0, true, 0);
	is_int(nlc_parse_error(nlh, &e), 0, "ack: parses");
	is_int(e.err, 0, "ack: error 0");
	ok(!e.msg[0] && !e.has_offset, "ack: nothing else");

	nlh = err_msg(buf, req, -ENOENT, true, NLM_F_ACK_TLVS);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "no neighbor 12");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, neigh2_off);
	is_int(nlc_parse_error(nlh, &e), 0, "capped: parses");
	is_int(e.err, -ENOENT, "capped: error");
	is_str(e.msg, "no neighbor 12", "capped: message");
	ok(e.has_offset && e.offset == neigh2_off, "capped: offset");

	/* Without NETLINK_CAP_ACK the request comes back before the TLVs. */
	nlh = err_msg(buf, req, -EEXIST, false, NLM_F_ACK_TLVS);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "a route to node 5 exists");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, route_off);
	is_int(nlc_parse_error(nlh, &e), 0, "uncapped: parses");
	is_str(e.msg, "a route to node 5 exists",
	       "uncapped: message after the echoed request");
	ok(e.has_offset && e.offset == route_off, "uncapped: offset");

	nlh = err_msg(buf, req, -EINVAL, true, NLM_F_ACK_TLVS);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, XMESH_NEXTHOP_A_NEIGH);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_NEST, route_off);
	mnl_attr_put_u32(nlh, 99, 1);	/* a TLV from the future */
	is_int(nlc_parse_error(nlh, &e), 0, "missing: parses");
	ok(e.has_miss_type && e.miss_type == XMESH_NEXTHOP_A_NEIGH &&
	   e.has_miss_nest && e.miss_nest == route_off,
	   "missing: type and nest");

	nlh = err_msg(buf, req, -EINVAL, true, NLM_F_ACK_TLVS);
	mnl_attr_put(nlh, NLMSGERR_ATTR_MSG, 4, "oops");	/* no NUL */
	is_int(nlc_parse_error(nlh, &e), 0, "bad message: still parses");
	is_int(e.err, -EINVAL, "bad message: the error stands");
	is_str(e.msg, "", "bad message: unterminated text ignored");

	nlh = err_msg(buf, req, -EINVAL, true, 0);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	is_int(nlc_parse_error(nlh, &e), -EBADMSG, "short: -EBADMSG");
	is_int(e.err, -EBADMSG, "short: reported as -EBADMSG");

	/* An echoed request claiming to be longer than what follows. */
	nlh = err_msg(buf, req, -EINVAL, false, NLM_F_ACK_TLVS);
	((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->msg.nlmsg_len = 4000;
	is_int(nlc_parse_error(nlh, &e), -EBADMSG,
	       "uncapped: a lying echo length is -EBADMSG");
	nlh = err_msg(buf, req, -EINVAL, false, 0);
	((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->msg.nlmsg_len = 3;
	is_int(nlc_parse_error(nlh, &e), -EBADMSG,
	       "uncapped: an echo shorter than a header is -EBADMSG");

	/* A dump's end: an error code, extack after it. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI | NLM_F_ACK_TLVS;
	code = -ENODEV;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(code)), &code, 4);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "no such xmesh device");
	is_int(nlc_parse_error(nlh, &e), 0, "done: parses");
	is_int(e.err, -ENODEV, "done: error code");
	is_str(e.msg, "no such xmesh device", "done: message");
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_DONE;
	is_int(nlc_parse_error(nlh, &e), 0, "done: bare, as old kernels send");
	is_int(e.err, 0, "done: bare is success");
}

static const char *printed(const struct nlc_error *e)
{
	cap_begin();
	pr_nl_err(e);
	return cap_end();
}

static void report(void)
{
	uint32_t route_off, neigh2_off;
	struct nlmsghdr *req = request(&route_off, &neigh2_off);
	struct nlc_error e;

	memset(&e, 0, sizeof(e));
	e.err = -ENOENT;
	snprintf(e.msg, sizeof(e.msg), "no neighbor 12");
	e.has_offset = true;
	e.offset = neigh2_off;
	xmnl_describe(req, &e);
	is_str(e.attr, "route.nexthop[1].neigh", "report: attribute described");
	is_str(printed(&e), "Error: no neighbor 12 (attribute route.nexthop[1].neigh).\n",
	       "report: message and the field it is about");

	e.offset = route_off;
	snprintf(e.msg, sizeof(e.msg), "a route to node 5 exists.");
	xmnl_describe(req, &e);
	is_str(printed(&e), "Error: a route to node 5 exists.\n",
	       "report: an entry-level error needs no attribute");

	memset(&e, 0, sizeof(e));
	e.err = -EEXIST;
	is_str(printed(&e), "Error: File exists.\n",
	       "report: no extack: strerror");

	e.err = -EINVAL;
	e.has_miss_type = true;
	e.miss_type = XMESH_NEXTHOP_A_PRIORITY;
	e.has_miss_nest = true;
	e.miss_nest = neigh2_off - 4;	/* the second nexthop nest */
	xmnl_describe(req, &e);
	is_str(printed(&e), "Error: Invalid argument (missing route.nexthop[1].priority).\n",
	       "report: missing attribute named");
}

int main(void)
{
	parse();
	report();
	return tap_done();
}
