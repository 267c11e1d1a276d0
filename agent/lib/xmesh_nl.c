// SPDX-License-Identifier: GPL-2.0
#include "xmesh_nl.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "xmesh_names.h"

#define XMNL_BATCH	8192	/* single requests are small */

static int ctrl_group_parse(const struct nlattr *nest, struct xmnl *h)
{
	const struct nlattr *a;
	struct xmnl_group g = { .id = 0 };
	bool have_name = false, have_id = false;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_MCAST_GRP_NAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 ||
			    mnl_attr_get_payload_len(a) > GENL_NAMSIZ)
				return -EINVAL;
			strcpy(g.name, mnl_attr_get_str(a));
			have_name = true;
			break;
		case CTRL_ATTR_MCAST_GRP_ID:
			if (mnl_attr_get_payload_len(a) != sizeof(uint32_t))
				return -EINVAL;
			g.id = mnl_attr_get_u32(a);
			have_id = true;
			break;
		}
	}
	if (have_name && have_id && h->n_groups < XMNL_MAX_GROUPS)
		h->groups[h->n_groups++] = g;
	return 0;
}

int xmnl_parse_family(const struct nlmsghdr *nlh, struct xmnl *h)
{
	const struct nlattr *a, *g;
	bool have_id = false;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + GENL_HDRLEN)
		return -EINVAL;
	h->n_groups = 0;
	nlc_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_get_payload_len(a) != sizeof(uint16_t))
				return -EINVAL;
			h->family = mnl_attr_get_u16(a);
			have_id = true;
			break;
		case CTRL_ATTR_VERSION:
			if (mnl_attr_get_payload_len(a) != sizeof(uint32_t))
				return -EINVAL;
			h->version = mnl_attr_get_u32(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(g, a)
				if (ctrl_group_parse(g, h))
					return -EINVAL;
			break;
		}
	}
	return have_id ? 0 : -EINVAL;
}

static int family_cb(const struct nlmsghdr *nlh, size_t idx, void *data)
{
	(void)idx;
	return xmnl_parse_family(nlh, data);
}

int xmnl_open(struct xmnl *h)
{
	struct nlc_result res;
	struct nlc_batch b;
	struct nlmsghdr *nlh;
	int err;

	memset(h, 0, sizeof(*h));
	err = nlc_open(&h->sock, NETLINK_GENERIC);
	if (err)
		return err;
	err = nlc_batch_init(&b, XMNL_BATCH, 1);
	if (err)
		goto out;
	nlh = xmnl_msg_start(&b, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	if (!nlh) {
		err = -EMSGSIZE;
		nlc_batch_free(&b);
		goto out;
	}
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, XMESH_GENL_NAME);
	nlc_batch_commit(&b, nlh);
	err = nlc_exchange(&h->sock, &b, &res, family_cb, h);
	if (!err)
		err = res.e.err ? res.e.err : res.cb_err;
	if (!err && !h->family)
		err = -ENOENT;
	if (!err)
		err = xmnl_version_check(h);
	nlc_batch_free(&b);
out:
	if (err)
		xmnl_close(h);
	return err;
}

int xmnl_version_check(const struct xmnl *h)
{
	/* A module serves requests of its own version and older ones. */
	return h->version >= XMESH_GENL_VERSION ? 0 : -EPROTONOSUPPORT;
}

#define XMNL_STR(x) #x
#define XMNL_XSTR(x) XMNL_STR(x)

const char *xmnl_strerror(int err)
{
	if (err == -ENOENT)
		return "the xmesh kernel module is not loaded (modprobe xmesh)";
	if (err == -EPROTONOSUPPORT)
		return "the xmesh kernel module is older than this program "
		       "(its netlink version is below "
		       XMNL_XSTR(XMESH_GENL_VERSION) "): load the module "
		       "of the same release";
	return strerror(-err);
}

void xmnl_close(struct xmnl *h)
{
	nlc_close(&h->sock);
	memset(h, 0, sizeof(*h));
}

int xmnl_fd(const struct xmnl *h)
{
	return nlc_fd(&h->sock);
}

int xmnl_join(struct xmnl *h, const char *group)
{
	unsigned int i;

	for (i = 0; i < h->n_groups; i++) {
		if (strcmp(h->groups[i].name, group))
			continue;
		if (mnl_socket_setsockopt(h->sock.nl, NETLINK_ADD_MEMBERSHIP,
					  &h->groups[i].id,
					  sizeof(h->groups[i].id)) < 0)
			return -errno;
		return 0;
	}
	return -ENOENT;
}

struct nlmsghdr *xmnl_msg_start(struct nlc_batch *b, uint16_t family,
				uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = nlc_batch_begin(b, family, flags);
	struct genlmsghdr *genl;

	if (!nlh)
		return NULL;
	if (nlc_batch_room(b, nlh) < MNL_NLMSG_HDRLEN + GENL_HDRLEN)
		return NULL;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = family == GENL_ID_CTRL ? 1 : XMESH_GENL_VERSION;
	return nlh;
}

void xmnl_describe(const struct nlmsghdr *req, struct nlc_error *err)
{
	err->attr[0] = '\0';
	if (err->has_miss_type)
		xm_attr_describe(req, err->has_miss_nest ? err->miss_nest : 0,
				 (int)err->miss_type, err->attr,
				 sizeof(err->attr));
	else if (err->has_offset)
		xm_attr_describe(req, err->offset, -1, err->attr,
				 sizeof(err->attr));
}

int xm_list_add(struct xm_list *l, const struct xm_entry *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct xm_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return 0;
}

void xm_list_free(struct xm_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* The nest a GET command's replies carry. */
static uint16_t get_nest(uint8_t cmd)
{
	switch (cmd) {
	case XMESH_CMD_DEV_GET:
		return XMESH_A_DEV;
	case XMESH_CMD_NEIGH_GET:
		return XMESH_A_NEIGH;
	case XMESH_CMD_ROUTE_GET:
		return XMESH_A_ROUTE;
	case XMESH_CMD_PREFIX_GET:
		return XMESH_A_PREFIX;
	case XMESH_CMD_KEY_GET:
		return XMESH_A_KEY;
	case XMESH_CMD_QOS_GET:
		return XMESH_A_QOS;
	case XMESH_CMD_QOS_RULE_GET:
		return XMESH_A_QOS_RULE;
	case XMESH_CMD_NODE_GET:
		return XMESH_A_NODE;
	case XMESH_CMD_ZONE_PAIR_GET:
		return XMESH_A_ZONE_PAIR;
	case XMESH_CMD_MROUTE_GET:
		return XMESH_A_MROUTE;
	}
	return 0;
}

struct collect {
	uint16_t family, nest;
	xm_entry_cb cb;
	void *data;
	unsigned int found;		/* entries in the current message */
};

static int collect_entry(const struct xm_msg_info *info,
			 const struct xm_entry *e, void *data)
{
	struct collect *c = data;

	if (e->type != c->nest)
		return 0;
	c->found++;
	return c->cb(info, e, c->data);
}

static int collect_cb(const struct nlmsghdr *nlh, size_t idx, void *data)
{
	struct collect *c = data;
	struct xm_msg_info info;
	int err;

	(void)idx;
	if (nlh->nlmsg_type != c->family)
		return 0;
	c->found = 0;
	err = xm_msg_parse(nlh, &info, collect_entry, c);
	if (err)
		return err;
	/* A device with nothing to report still has a name and index. */
	if (c->nest == XMESH_A_DEV && !c->found) {
		struct xm_entry e = { .type = XMESH_A_DEV };

		e.dev.ifindex = info.ifindex;
		memcpy(e.dev.ifname, info.ifname, sizeof(e.dev.ifname));
		return c->cb(&info, &e, c->data);
	}
	return 0;
}

static void set_err(struct nlc_error *dst, const struct nlc_error *src,
		    int code)
{
	if (!dst)
		return;
	if (src)
		*dst = *src;
	else
		memset(dst, 0, sizeof(*dst));
	dst->err = code;
}

/*
 * Send one request (the device, a flag attribute unless 0, key's nest if
 * any) and pass its reply entries to cb; no retry.
 */
static int get_once(struct xmnl *h, uint8_t cmd, uint16_t flags,
		    uint16_t flag, uint32_t ifindex, const char *ifname,
		    const struct xm_entry *key, xm_entry_cb cb, void *data,
		    struct nlc_error *err, bool *intr)
{
	struct collect c = { .family = h->family, .nest = get_nest(cmd),
			     .cb = cb, .data = data };
	struct nlc_result res;
	struct nlmsghdr *nlh;
	struct nlc_batch b;
	int ret;

	ret = nlc_batch_init(&b, XMNL_BATCH, 1);
	if (ret)
		goto fail;
	nlh = xmnl_msg_start(&b, h->family, cmd, flags);
	ret = nlh ? xm_devsel_put(nlh, b.cap, ifindex, ifname) : -EMSGSIZE;
	if (!ret && flag && !mnl_attr_put_check(nlh, b.cap, flag, 0, NULL))
		ret = -EMSGSIZE;
	if (!ret && key)
		ret = xm_entry_put(nlh, b.cap, key);
	if (ret)
		goto fail;
	nlc_batch_commit(&b, nlh);
	ret = nlc_exchange(&h->sock, &b, &res, cb ? collect_cb : NULL, &c);
	if (ret)
		goto fail;
	*intr = res.intr;
	if (res.e.err) {
		xmnl_describe(nlh, &res.e);
		ret = res.e.err;
		set_err(err, &res.e, ret);
	} else if (res.cb_err) {
		ret = res.cb_err;
		set_err(err, NULL, ret);
	}
	nlc_batch_free(&b);
	return ret;
fail:
	set_err(err, NULL, ret);
	nlc_batch_free(&b);
	return ret;
}

int xmnl_dump_cb(struct xmnl *h, uint8_t cmd, uint32_t ifindex,
		 const char *ifname, xm_entry_cb cb, void (*restart)(void *),
		 void *data, struct nlc_error *err)
{
	int tries, ret;
	bool intr;

	for (tries = 0; tries < XMNL_DUMP_TRIES; tries++) {
		if (tries && restart)
			restart(data);
		intr = false;
		ret = get_once(h, cmd, NLM_F_DUMP | NLM_F_ACK, 0, ifindex,
			       ifname, NULL, cb, data, err, &intr);
		if (ret || !intr)
			return ret;
	}
	set_err(err, NULL, -EINTR);
	return -EINTR;
}

struct list_fill {
	struct xm_list *out;
	size_t start;			/* entries the list had before */
};

static int list_add_cb(const struct xm_msg_info *info,
		       const struct xm_entry *e, void *data)
{
	struct list_fill *f = data;

	(void)info;
	return xm_list_add(f->out, e);
}

static void list_restart(void *data)
{
	struct list_fill *f = data;

	f->out->n = f->start;
}

int xmnl_dump(struct xmnl *h, uint8_t cmd, uint32_t ifindex,
	      const char *ifname, struct xm_list *out, struct nlc_error *err)
{
	struct list_fill f = { .out = out, .start = out->n };
	int ret;

	ret = xmnl_dump_cb(h, cmd, ifindex, ifname, list_add_cb, list_restart,
			   &f, err);
	if (ret)
		out->n = f.start;
	return ret;
}

int xmnl_get(struct xmnl *h, uint8_t cmd, uint32_t ifindex,
	     const char *ifname, const struct xm_entry *key,
	     struct xm_list *out, struct nlc_error *err)
{
	struct list_fill f = { .out = out, .start = out->n };
	bool intr;

	return get_once(h, cmd, NLM_F_ACK, 0, ifindex, ifname, key,
			list_add_cb, &f, err, &intr);
}

int xmnl_dev_get(struct xmnl *h, uint32_t ifindex, const char *ifname,
		 struct xm_dev *dev, struct nlc_error *err)
{
	struct xm_list l = { 0 };
	int ret;

	ret = xmnl_get(h, XMESH_CMD_DEV_GET, ifindex, ifname, NULL, &l, err);
	if (!ret && !l.n) {
		ret = -ENODATA;
		set_err(err, NULL, ret);
	}
	if (!ret)
		*dev = l.v[0].dev;
	xm_list_free(&l);
	return ret;
}

int xmnl_request(struct xmnl *h, uint8_t cmd, uint16_t flags, uint16_t flag,
		 uint32_t ifindex, const char *ifname,
		 const struct xm_entry *e, struct nlc_error *err)
{
	bool intr;

	return get_once(h, cmd, NLM_F_ACK | flags, flag, ifindex, ifname, e,
			NULL, NULL, err, &intr);
}

struct event_ctx {
	xmnl_event_cb cb;
	void *data;
};

static int event_entry(const struct xm_msg_info *info,
		       const struct xm_entry *e, void *data)
{
	struct event_ctx *ec = data;

	return ec->cb(info, e, ec->data);
}

int xmnl_events_datagram(const struct xmnl *h, const void *buf, size_t len,
			 xmnl_event_cb cb, void *data)
{
	struct event_ctx ec = { .cb = cb, .data = data };
	const struct nlmsghdr *nlh;
	struct xm_msg_info info;
	size_t left;
	int err;

	nlc_msg_for_each(nlh, buf, len, left) {
		if (nlh->nlmsg_type != h->family)
			continue;
		err = xm_msg_parse(nlh, &info, event_entry, &ec);
		/* A malformed event is skipped; the callback's error is not. */
		if (err && err != -EINVAL)
			return err;
	}
	return 1;
}

int xmnl_events(struct xmnl *h, int timeout_ms, xmnl_event_cb cb, void *data)
{
	struct pollfd pfd = { .fd = xmnl_fd(h), .events = POLLIN };
	ssize_t n;
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return 0;
	n = mnl_socket_recvfrom(h->sock.nl, h->sock.rxbuf, h->sock.rxlen);
	if (n < 0)
		return -errno;
	return xmnl_events_datagram(h, h->sock.rxbuf, (size_t)n, cb, data);
}
