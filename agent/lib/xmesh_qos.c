// SPDX-License-Identifier: GPL-2.0
#include "xmesh_qos.h"

#include <errno.h>
#include <linux/genetlink.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define XMQOS_BATCH	4096	/* one request, a few nests */

static const char *const tclass_names[] = {
	[XMESH_TC_BULK] = "bulk",
	[XMESH_TC_INTERACTIVE] = "interactive",
	[XMESH_TC_REALTIME] = "realtime",
	[XMESH_TC_NETWORK_CONTROL] = "network-control",
};

const char *xm_tclass_name(uint8_t tclass)
{
	if (tclass < XMESH_TC_BULK || tclass > XMESH_TC_NETWORK_CONTROL)
		return NULL;
	return tclass_names[tclass];
}

int xm_tclass_parse(const char *s)
{
	size_t len = strlen(s);
	int i, found = -1;

	if (!strcmp(s, "rt"))
		return XMESH_TC_REALTIME;
	if (!strcmp(s, "control"))
		return XMESH_TC_NETWORK_CONTROL;
	if (!len)
		return -1;
	for (i = XMESH_TC_BULK; i <= XMESH_TC_NETWORK_CONTROL; i++) {
		if (!strcmp(s, tclass_names[i]))
			return i;
		if (!strncmp(s, tclass_names[i], len)) {
			if (found >= 0)
				return -1;	/* ambiguous */
			found = i;
		}
	}
	return found;
}

int xm_parse_rate(const char *s, uint64_t *bytes)
{
	static const struct { const char *unit; double mult; } units[] = {
		{ "", 1.0 / 8 }, { "bit", 1.0 / 8 }, { "kbit", 1e3 / 8 },
		{ "mbit", 1e6 / 8 }, { "gbit", 1e9 / 8 }, { "tbit", 1e12 / 8 },
		{ "bps", 1 }, { "kbps", 1e3 }, { "mbps", 1e6 }, { "gbps", 1e9 },
	};
	char *end;
	double v;
	size_t i;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !(v >= 0) || !isfinite(v))
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].unit))
			continue;
		v *= units[i].mult;
		if (v >= 1.8e19)
			return -EINVAL;
		*bytes = (uint64_t)(v + 0.5);
		return 0;
	}
	return -EINVAL;
}

/* ---- attributes --------------------------------------------------- */

static bool len_is(const struct nlattr *a, size_t len)
{
	return mnl_attr_get_payload_len(a) == len;
}

static int nest_end(struct nlmsghdr *nlh, struct nlattr *nest, bool ok)
{
	if (!ok) {
		mnl_attr_nest_cancel(nlh, nest);
		return -EMSGSIZE;
	}
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

static int tclass_put(struct nlmsghdr *nlh, size_t room,
		      const struct xm_tclass *t)
{
	struct nlattr *nest;
	bool ok;

	nest = mnl_attr_nest_start_check(nlh, room, XMESH_QOS_A_TCLASS);
	if (!nest)
		return -EMSGSIZE;
	ok = mnl_attr_put_u8_check(nlh, room, XMESH_TCLASS_A_ID, t->id);
	if (ok && XM_HAS(t, XMESH_TCLASS_A_RATE))
		ok = mnl_attr_put_u64_check(nlh, room, XMESH_TCLASS_A_RATE,
					    t->rate);
	if (ok && XM_HAS(t, XMESH_TCLASS_A_BURST))
		ok = mnl_attr_put_u32_check(nlh, room, XMESH_TCLASS_A_BURST,
					    t->burst);
	return nest_end(nlh, nest, ok);
}

int xm_qos_put(struct nlmsghdr *nlh, size_t room, const struct xm_qos *q)
{
	struct nlattr *nest;
	unsigned int i;
	bool ok = true;

	nest = mnl_attr_nest_start_check(nlh, room, XMESH_A_QOS);
	if (!nest)
		return -EMSGSIZE;
	if (XM_HAS(q, XMESH_QOS_A_DSCP_MAP))
		ok = mnl_attr_put_check(nlh, room, XMESH_QOS_A_DSCP_MAP,
					sizeof(q->dscp_map), q->dscp_map);
	if (ok && XM_HAS(q, XMESH_QOS_A_PRIO_MAP))
		ok = mnl_attr_put_check(nlh, room, XMESH_QOS_A_PRIO_MAP,
					sizeof(q->prio_map), q->prio_map);
	for (i = 0; ok && i < q->n_tclass; i++)
		ok = !tclass_put(nlh, room, &q->tclass[i]);
	return nest_end(nlh, nest, ok);
}

static int tclass_parse(const struct nlattr *nest, struct xm_tclass *t)
{
	const struct nlattr *a;

	memset(t, 0, sizeof(*t));
	mnl_attr_for_each_nested(a, nest) {
		uint16_t type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_TCLASS_A_ID:
		case XMESH_TCLASS_A_DSCP:
			if (!len_is(a, 1))
				return -EINVAL;
			*(type == XMESH_TCLASS_A_ID ? &t->id : &t->dscp) =
				mnl_attr_get_u8(a);
			break;
		case XMESH_TCLASS_A_BURST:
		case XMESH_TCLASS_A_PRIORITY:
			if (!len_is(a, 4))
				return -EINVAL;
			*(type == XMESH_TCLASS_A_BURST ? &t->burst :
							 &t->priority) =
				mnl_attr_get_u32(a);
			break;
		case XMESH_TCLASS_A_RATE:
		case XMESH_TCLASS_A_PACKETS:
		case XMESH_TCLASS_A_BYTES:
		case XMESH_TCLASS_A_DROPS:
			if (!len_is(a, 8))
				return -EINVAL;
			*(type == XMESH_TCLASS_A_RATE ? &t->rate :
			  type == XMESH_TCLASS_A_PACKETS ? &t->packets :
			  type == XMESH_TCLASS_A_BYTES ? &t->bytes :
							 &t->drops) =
				mnl_attr_get_u64(a);
			break;
		default:
			continue;	/* newer kernels may say more */
		}
		XM_SET(t, type);
	}
	return XM_HAS(t, XMESH_TCLASS_A_ID) ? 0 : -EINVAL;
}

int xm_qos_parse(const struct nlattr *nest, struct xm_qos *q)
{
	const struct nlattr *a;
	int err;

	memset(q, 0, sizeof(*q));
	mnl_attr_for_each_nested(a, nest) {
		uint16_t type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_QOS_A_DSCP_MAP:
			if (!len_is(a, sizeof(q->dscp_map)))
				return -EINVAL;
			memcpy(q->dscp_map, mnl_attr_get_payload(a),
			       sizeof(q->dscp_map));
			break;
		case XMESH_QOS_A_PRIO_MAP:
			if (!len_is(a, sizeof(q->prio_map)))
				return -EINVAL;
			memcpy(q->prio_map, mnl_attr_get_payload(a),
			       sizeof(q->prio_map));
			break;
		case XMESH_QOS_A_TCLASS:
			if (q->n_tclass == XM_TCLASS_COUNT)
				return -EINVAL;
			err = tclass_parse(a, &q->tclass[q->n_tclass]);
			if (err)
				return err;
			q->n_tclass++;
			break;
		default:
			continue;
		}
		XM_SET(q, type);
	}
	return 0;
}

int xm_qos_rule_put(struct nlmsghdr *nlh, size_t room,
		    const struct xm_qos_rule *r)
{
	struct nlattr *nest;
	bool ok;

	nest = mnl_attr_nest_start_check(nlh, room, XMESH_A_QOS_RULE);
	if (!nest)
		return -EMSGSIZE;
	ok = mnl_attr_put_u32_check(nlh, room, XMESH_QOS_RULE_A_ID, r->id);
	if (ok && XM_HAS(r, XMESH_QOS_RULE_A_TCLASS))
		ok = mnl_attr_put_u8_check(nlh, room, XMESH_QOS_RULE_A_TCLASS,
					   r->tclass);
	if (ok && XM_HAS(r, XMESH_QOS_RULE_A_FAMILY))
		ok = mnl_attr_put_u16_check(nlh, room, XMESH_QOS_RULE_A_FAMILY,
					    r->addr.family) &&
		     mnl_attr_put_check(nlh, room, XMESH_QOS_RULE_A_ADDR,
					xm_addr_len(r->addr.family),
					r->addr.raw) &&
		     mnl_attr_put_u8_check(nlh, room, XMESH_QOS_RULE_A_LEN,
					   r->len);
	if (ok && XM_HAS(r, XMESH_QOS_RULE_A_PROTOCOL))
		ok = mnl_attr_put_u8_check(nlh, room, XMESH_QOS_RULE_A_PROTOCOL,
					   r->protocol);
	if (ok && XM_HAS(r, XMESH_QOS_RULE_A_PORT_MIN))
		ok = mnl_attr_put_u16_check(nlh, room, XMESH_QOS_RULE_A_PORT_MIN,
					    r->port_min);
	if (ok && XM_HAS(r, XMESH_QOS_RULE_A_PORT_MAX))
		ok = mnl_attr_put_u16_check(nlh, room, XMESH_QOS_RULE_A_PORT_MAX,
					    r->port_max);
	if (ok && XM_HAS(r, XMESH_QOS_RULE_A_SPORT_MIN))
		ok = mnl_attr_put_u16_check(nlh, room,
					    XMESH_QOS_RULE_A_SPORT_MIN,
					    r->sport_min);
	if (ok && XM_HAS(r, XMESH_QOS_RULE_A_SPORT_MAX))
		ok = mnl_attr_put_u16_check(nlh, room,
					    XMESH_QOS_RULE_A_SPORT_MAX,
					    r->sport_max);
	return nest_end(nlh, nest, ok);
}

int xm_qos_rule_parse(const struct nlattr *nest, struct xm_qos_rule *r)
{
	const struct nlattr *a;
	size_t len;

	memset(r, 0, sizeof(*r));
	mnl_attr_for_each_nested(a, nest) {
		uint16_t type = mnl_attr_get_type(a);

		switch (type) {
		case XMESH_QOS_RULE_A_ID:
			if (!len_is(a, 4))
				return -EINVAL;
			r->id = mnl_attr_get_u32(a);
			break;
		case XMESH_QOS_RULE_A_TCLASS:
		case XMESH_QOS_RULE_A_LEN:
		case XMESH_QOS_RULE_A_PROTOCOL:
			if (!len_is(a, 1))
				return -EINVAL;
			*(type == XMESH_QOS_RULE_A_TCLASS ? &r->tclass :
			  type == XMESH_QOS_RULE_A_LEN ? &r->len :
							 &r->protocol) =
				mnl_attr_get_u8(a);
			break;
		case XMESH_QOS_RULE_A_FAMILY:
		case XMESH_QOS_RULE_A_PORT_MIN:
		case XMESH_QOS_RULE_A_PORT_MAX:
		case XMESH_QOS_RULE_A_SPORT_MIN:
		case XMESH_QOS_RULE_A_SPORT_MAX:
			if (!len_is(a, 2))
				return -EINVAL;
			*(type == XMESH_QOS_RULE_A_FAMILY ? &r->addr.family :
			  type == XMESH_QOS_RULE_A_PORT_MIN ? &r->port_min :
			  type == XMESH_QOS_RULE_A_PORT_MAX ? &r->port_max :
			  type == XMESH_QOS_RULE_A_SPORT_MIN ? &r->sport_min :
							       &r->sport_max) =
				mnl_attr_get_u16(a);
			break;
		case XMESH_QOS_RULE_A_ADDR:
			len = mnl_attr_get_payload_len(a);
			if (len != 4 && len != 16)
				return -EINVAL;
			memcpy(r->addr.raw, mnl_attr_get_payload(a), len);
			break;
		default:
			continue;
		}
		XM_SET(r, type);
	}
	if (XM_HAS(r, XMESH_QOS_RULE_A_FAMILY) &&
	    (!XM_HAS(r, XMESH_QOS_RULE_A_ADDR) ||
	     !xm_addr_len(r->addr.family)))
		return -EINVAL;
	return XM_HAS(r, XMESH_QOS_RULE_A_ID) ? 0 : -EINVAL;
}

/* ---- requests ----------------------------------------------------- */

struct reply {
	uint16_t family;
	struct xm_qos *qos;
	struct xm_qos_rule *rules;
	size_t n, cap;
};

static int reply_cb(const struct nlmsghdr *nlh, size_t idx, void *data)
{
	struct reply *r = data;
	const struct nlattr *a;
	int err;

	(void)idx;
	if (nlh->nlmsg_type != r->family ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + GENL_HDRLEN)
		return 0;
	nlc_attr_for_each(a, nlh, GENL_HDRLEN) {
		uint16_t type = mnl_attr_get_type(a);

		if (type == XMESH_A_QOS && r->qos) {
			err = xm_qos_parse(a, r->qos);
			if (err)
				return err;
		} else if (type == XMESH_A_QOS_RULE) {
			if (r->n == r->cap) {
				size_t cap = r->cap ? 2 * r->cap : 16;
				void *v = realloc(r->rules,
						  cap * sizeof(*r->rules));

				if (!v)
					return -ENOMEM;
				r->rules = v;
				r->cap = cap;
			}
			err = xm_qos_rule_parse(a, &r->rules[r->n]);
			if (err)
				return err;
			r->n++;
		}
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

/* One request with at most one nest (qos or rule) and a flag. */
static int request(struct xmnl *h, uint8_t cmd, uint16_t flags,
		   uint32_t ifindex, const char *ifname,
		   const struct xm_qos *qos, const struct xm_qos_rule *rule,
		   uint16_t flag, struct reply *reply, struct nlc_error *err)
{
	struct nlc_result res;
	struct nlmsghdr *nlh;
	struct nlc_batch b;
	int ret;

	ret = nlc_batch_init(&b, XMQOS_BATCH, 1);
	if (ret)
		goto out;
	nlh = xmnl_msg_start(&b, h->family, cmd, NLM_F_ACK | flags);
	ret = nlh ? xm_devsel_put(nlh, b.cap, ifindex, ifname) : -EMSGSIZE;
	if (!ret && qos)
		ret = xm_qos_put(nlh, b.cap, qos);
	if (!ret && rule)
		ret = xm_qos_rule_put(nlh, b.cap, rule);
	if (!ret && flag && !mnl_attr_put_check(nlh, b.cap, flag, 0, NULL))
		ret = -EMSGSIZE;
	if (ret)
		goto out;
	nlc_batch_commit(&b, nlh);
	ret = nlc_exchange(&h->sock, &b, &res, reply ? reply_cb : NULL,
			   reply);
	if (ret)
		goto out;
	if (res.e.err) {
		xmnl_describe(nlh, &res.e);
		ret = res.e.err;
		set_err(err, &res.e, ret);
		nlc_batch_free(&b);
		return ret;
	}
	ret = res.cb_err;
	if (!ret && res.intr)
		ret = -EINTR;	/* a dump that changes cut: retried */
out:
	set_err(err, NULL, ret);
	nlc_batch_free(&b);
	return ret;
}

int xmnl_qos_get(struct xmnl *h, uint32_t ifindex, const char *ifname,
		 struct xm_qos *out, struct nlc_error *err)
{
	struct reply r = { .family = h->family, .qos = out };

	memset(out, 0, sizeof(*out));
	return request(h, XMESH_CMD_QOS_GET, 0, ifindex, ifname, NULL, NULL,
		       0, &r, err);
}

int xmnl_qos_set(struct xmnl *h, uint32_t ifindex, const char *ifname,
		 const struct xm_qos *q, struct nlc_error *err)
{
	return request(h, XMESH_CMD_QOS_SET, 0, ifindex, ifname, q, NULL, 0,
		       NULL, err);
}

int xmnl_qos_rules(struct xmnl *h, uint32_t ifindex, const char *ifname,
		   struct xm_qos_rule **v, size_t *n, struct nlc_error *err)
{
	struct reply r = { .family = h->family };
	int ret, tries;

	for (tries = 0; tries < XMNL_DUMP_TRIES; tries++) {
		r.n = 0;
		ret = request(h, XMESH_CMD_QOS_RULE_GET, NLM_F_DUMP, ifindex,
			      ifname, NULL, NULL, 0, &r, err);
		if (ret != -EINTR)
			break;
	}
	if (ret) {
		free(r.rules);
		return ret;
	}
	*v = r.rules;
	*n = r.n;
	return 0;
}

int xmnl_qos_rule_change(struct xmnl *h, uint8_t cmd, uint32_t ifindex,
			 const char *ifname, const struct xm_qos_rule *r,
			 bool replace, struct nlc_error *err)
{
	uint16_t flag = 0;

	if (!r)
		flag = XMESH_A_FLUSH;
	else if (replace)
		flag = XMESH_A_REPLACE;
	return request(h, cmd, 0, ifindex, ifname, NULL, r, flag, NULL, err);
}
