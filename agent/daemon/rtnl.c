// SPDX-License-Identifier: GPL-2.0
#include "rtnl.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

int xmd_rtnl_parse_link(const struct nlmsghdr *nlh, struct xmd_ifinfo *out)
{
	const struct ifinfomsg *ifi;
	const struct nlattr *a, *b;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return 0;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*ifi))
		return -EINVAL;
	ifi = mnl_nlmsg_get_payload(nlh);
	memset(out, 0, sizeof(*out));
	out->deleted = nlh->nlmsg_type == RTM_DELLINK;
	out->ifindex = (uint32_t)ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	nlc_attr_for_each(a, nlh, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) ||
			    mnl_attr_get_payload_len(a) > IF_NAMESIZE)
				return -EINVAL;
			memcpy(out->ifname, mnl_attr_get_str(a),
			       mnl_attr_get_payload_len(a));
			break;
		case IFLA_LINKINFO:
			if (mnl_attr_validate(a, MNL_TYPE_NESTED))
				return -EINVAL;
			mnl_attr_for_each_nested(b, a) {
				if (mnl_attr_get_type(b) != IFLA_INFO_KIND)
					continue;
				if (mnl_attr_validate(b, MNL_TYPE_STRING))
					return -EINVAL;
				out->is_xmesh =
					mnl_attr_get_payload_len(b) >= 5 &&
					!strncmp(mnl_attr_get_payload(b),
						 "xmesh", 5) &&
					(mnl_attr_get_payload_len(b) == 5 ||
					 ((const char *)
					  mnl_attr_get_payload(b))[5] == '\0');
			}
			break;
		}
	}
	if (!out->ifindex)
		return -EINVAL;
	return 1;
}

int xmd_rtnl_parse_addr(const struct nlmsghdr *nlh, struct xmd_ifaddr *out)
{
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;
	const struct nlattr *local = NULL, *address = NULL;
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR)
		return 0;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*ifa))
		return -EINVAL;
	ifa = mnl_nlmsg_get_payload(nlh);
	memset(out, 0, sizeof(*out));
	out->deleted = nlh->nlmsg_type == RTM_DELADDR;
	out->ifindex = ifa->ifa_index;
	out->len = ifa->ifa_prefixlen;
	out->scope = ifa->ifa_scope;
	out->flags = ifa->ifa_flags;
	alen = xm_addr_len(ifa->ifa_family);
	if (!alen)
		return 0;	/* not an IP address */
	nlc_attr_for_each(a, nlh, sizeof(*ifa)) {
		switch (mnl_attr_get_type(a)) {
		case IFA_LOCAL:
			local = a;
			break;
		case IFA_ADDRESS:
			address = a;
			break;
		case IFA_FLAGS:
			if (mnl_attr_validate(a, MNL_TYPE_U32))
				return -EINVAL;
			out->flags = mnl_attr_get_u32(a);
			break;
		}
	}
	/* IFA_LOCAL is this end's address (IFA_ADDRESS the peer's, on a
	 * point-to-point link); IPv6 usually has IFA_ADDRESS only. */
	a = local ? local : address;
	if (!a || mnl_attr_get_payload_len(a) != alen)
		return -EINVAL;
	out->addr.family = ifa->ifa_family;
	memcpy(out->addr.raw, mnl_attr_get_payload(a), alen);
	if (out->len > xm_addr_bits(ifa->ifa_family))
		return -EINVAL;
	return 1;
}

void xmd_rtnl_datagram(const void *buf, size_t len,
		       const struct xmd_rtnl_cb *cb)
{
	const struct nlmsghdr *nlh;
	struct xmd_ifinfo i;
	struct xmd_ifaddr a;
	size_t left;

	nlc_msg_for_each(nlh, buf, len, left) {
		if (xmd_rtnl_parse_link(nlh, &i) == 1)
			cb->link(cb->data, &i);
		else if (xmd_rtnl_parse_addr(nlh, &a) == 1)
			cb->addr(cb->data, &a);
	}
}

static int dump_cb(const struct nlmsghdr *nlh, size_t idx, void *data)
{
	const struct xmd_rtnl_cb *cb = data;
	struct xmd_ifinfo i;
	struct xmd_ifaddr a;

	(void)idx;
	if (xmd_rtnl_parse_link(nlh, &i) == 1)
		cb->link(cb->data, &i);
	else if (xmd_rtnl_parse_addr(nlh, &a) == 1)
		cb->addr(cb->data, &a);
	return 0;
}

static int dump_one(struct nlc_sock *s, uint16_t type, uint8_t family,
		    const struct xmd_rtnl_cb *cb)
{
	struct nlc_result res;
	struct nlc_batch b;
	struct nlmsghdr *nlh;
	int err;

	err = nlc_batch_init(&b, 256, 1);
	if (err)
		return err;
	nlh = nlc_batch_begin(&b, type, NLM_F_DUMP);
	if (type == RTM_GETLINK) {
		struct ifinfomsg *ifi;

		ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
		ifi->ifi_family = AF_UNSPEC;
	} else {
		struct ifaddrmsg *ifa;

		ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
		ifa->ifa_family = family;
	}
	nlc_batch_commit(&b, nlh);
	err = nlc_exchange(s, &b, &res, dump_cb, (void *)cb);
	if (!err)
		err = res.e.err ? res.e.err : res.intr ? -EINTR : 0;
	nlc_batch_free(&b);
	return err;
}

int xmd_rtnl_dump(struct nlc_sock *s, uint16_t family,
		  const struct xmd_rtnl_cb *cb)
{
	int err = dump_one(s, RTM_GETLINK, AF_UNSPEC, cb);

	return err ? err : dump_one(s, RTM_GETADDR, (uint8_t)family, cb);
}

int xmd_rtnl_events_open(struct nlc_sock *s, uint16_t family)
{
	unsigned int groups[] = {
		RTNLGRP_LINK,
		family == AF_INET6 ? RTNLGRP_IPV6_IFADDR : RTNLGRP_IPV4_IFADDR,
	};
	size_t i;
	int err = nlc_open(s, NETLINK_ROUTE);

	if (err)
		return err;
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (mnl_socket_setsockopt(s->nl, NETLINK_ADD_MEMBERSHIP,
					  &groups[i], sizeof(groups[i])) < 0) {
			err = -errno;
			nlc_close(s);
			return err;
		}
	return 0;
}

int xmd_rtnl_events_read(struct nlc_sock *s, const struct xmd_rtnl_cb *cb)
{
	ssize_t n = recv(nlc_fd(s), s->rxbuf, s->rxlen, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	xmd_rtnl_datagram(s->rxbuf, (size_t)n, cb);
	return 1;
}

/* One acked request built by fill(). */
static int request(struct nlc_sock *s, uint16_t type, uint16_t flags,
		   int (*fill)(struct nlmsghdr *nlh, size_t room,
			       const void *arg),
		   const void *arg, struct nlc_error *e)
{
	struct nlc_result res;
	struct nlc_batch b;
	struct nlmsghdr *nlh;
	int err;

	memset(e, 0, sizeof(*e));
	err = nlc_batch_init(&b, 1024, 1);
	if (err)
		return err;
	nlh = nlc_batch_begin(&b, type, NLM_F_ACK | flags);
	err = fill(nlh, nlc_batch_room(&b, nlh), arg);
	if (!err) {
		nlc_batch_commit(&b, nlh);
		err = nlc_exchange(s, &b, &res, NULL, NULL);
		if (!err) {
			*e = res.e;
			err = res.e.err;
		}
	}
	nlc_batch_free(&b);
	if (err && !e->err)
		e->err = err;
	return err;
}

static int fill_create(struct nlmsghdr *nlh, size_t room, const void *arg)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *li;

	ifi->ifi_family = AF_UNSPEC;
	if (!mnl_attr_put_strz_check(nlh, room, IFLA_IFNAME, arg))
		return -EMSGSIZE;
	li = mnl_attr_nest_start_check(nlh, room, IFLA_LINKINFO);
	if (!li || !mnl_attr_put_strz_check(nlh, room, IFLA_INFO_KIND,
					    "xmesh"))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, li);
	return 0;
}

int xmd_rtnl_create_xmesh(struct nlc_sock *s, const char *name,
			  struct nlc_error *e)
{
	return request(s, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, fill_create,
		       name, e);
}

static int fill_up(struct nlmsghdr *nlh, size_t room, const void *arg)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	(void)room;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)*(const uint32_t *)arg;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return 0;
}

int xmd_rtnl_set_up(struct nlc_sock *s, uint32_t ifindex,
		    struct nlc_error *e)
{
	return request(s, RTM_NEWLINK, 0, fill_up, &ifindex, e);
}

struct addr_arg {
	uint32_t ifindex;
	const struct xm_addr *a;
	uint8_t len;
};

static int fill_addr(struct nlmsghdr *nlh, size_t room, const void *arg)
{
	const struct addr_arg *x = arg;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	size_t alen = xm_addr_len(x->a->family);

	ifa->ifa_family = (uint8_t)x->a->family;
	ifa->ifa_prefixlen = x->len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = x->ifindex;
	/* An overlay address is unique by construction: no DAD wait. */
	if (x->a->family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	if (!mnl_attr_put_check(nlh, room, IFA_LOCAL, alen, x->a->raw) ||
	    !mnl_attr_put_check(nlh, room, IFA_ADDRESS, alen, x->a->raw))
		return -EMSGSIZE;
	if (x->a->family == AF_INET6 &&
	    !mnl_attr_put_u32_check(nlh, room, IFA_FLAGS, IFA_F_NODAD))
		return -EMSGSIZE;
	return 0;
}

int xmd_rtnl_addr_add(struct nlc_sock *s, uint32_t ifindex,
		      const struct xm_addr *a, uint8_t len,
		      struct nlc_error *e)
{
	struct addr_arg x = { .ifindex = ifindex, .a = a, .len = len };

	/* REPLACE: an address already there is no error on a restart. */
	return request(s, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE,
		       fill_addr, &x, e);
}

int xmd_rtnl_addr_del(struct nlc_sock *s, uint32_t ifindex,
		      const struct xm_addr *a, uint8_t len,
		      struct nlc_error *e)
{
	struct addr_arg x = { .ifindex = ifindex, .a = a, .len = len };

	return request(s, RTM_DELADDR, 0, fill_addr, &x, e);
}
