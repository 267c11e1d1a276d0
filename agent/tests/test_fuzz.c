// SPDX-License-Identifier: GPL-2.0
/*
 * Random bytes, and valid messages with random damage, through every
 * parser of received netlink data: they must never crash nor read out
 * of bounds (each input sits in a buffer of its exact size, so ASan sees
 * any overread). Entries that parse are printed, as text and JSON, to
 * /dev/null. Deterministic: a fixed seed, overridable with XMESH_FUZZ_SEED
 * (and XMESH_FUZZ_ITER for the iteration count).
 */
#include <errno.h>
#include <linux/rtnetlink.h>

#include "nlbuild.h"
#include "tap.h"
#include "tool.h"
#include "xmesh_names.h"

static uint64_t seed = 0x5eed0fa11c0ffee1ull;

static uint64_t rnd(void)
{
	/* xorshift64*: small, fast, good enough to pick bytes. */
	seed ^= seed >> 12;
	seed ^= seed << 25;
	seed ^= seed >> 27;
	return seed * 2685821657736338717ull;
}

#define NT 10
static char tmpl[NT][1024] __attribute__((aligned(4)));
static size_t tmpl_len[NT];
static int nt;

static void add_template(struct nlmsghdr *nlh)
{
	tmpl_len[nt++] = nlh->nlmsg_len;
}

static void templates(void)
{
	struct nlmsghdr *nlh, *req;
	struct nlattr *n, *m;
	char reqbuf[256] __attribute__((aligned(4)));
	struct rtmsg *rtm;
	int i;

	nlh = genl_msg(tmpl[nt], TEST_FAMILY, XMESH_CMD_NEIGH_GET, NLM_F_MULTI, 1, 42);
	mnl_attr_put_u32(nlh, XMESH_A_IFINDEX, 1);
	mnl_attr_put_strz(nlh, XMESH_A_IFNAME, "xmesh0");
	n = mnl_attr_nest_start(nlh, XMESH_A_NEIGH);
	mnl_attr_put_u32(nlh, XMESH_NEIGH_A_ID, 10);
	mnl_attr_put_u32(nlh, XMESH_NEIGH_A_NODE, 2);
	mnl_attr_put_u32(nlh, XMESH_NEIGH_A_LINK, 1);
	mnl_attr_put(nlh, XMESH_NEIGH_A_REMOTE, 16, "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x02");
	mnl_attr_put_u16(nlh, XMESH_NEIGH_A_PORT, 7600);
	mnl_attr_put_u8(nlh, XMESH_NEIGH_A_STATE, 1);
	mnl_attr_put_u8(nlh, XMESH_NEIGH_A_CARRIER, 1);
	mnl_attr_put_u32(nlh, XMESH_NEIGH_A_MTU, 1436);
	mnl_attr_put_u64(nlh, XMESH_NEIGH_A_TX_BYTES, 99);
	mnl_attr_nest_end(nlh, n);
	add_template(nlh);

	nlh = genl_msg(tmpl[nt], TEST_FAMILY, XMESH_CMD_ROUTE_EVENT, 0, 0, 0);
	mnl_attr_put_u32(nlh, XMESH_A_IFINDEX, 1);
	n = mnl_attr_nest_start(nlh, XMESH_A_ROUTE);
	mnl_attr_put_u32(nlh, XMESH_ROUTE_A_DST, 5);
	for (i = 0; i < 3; i++) {
		m = mnl_attr_nest_start(nlh, XMESH_ROUTE_A_NEXTHOP);
		mnl_attr_put_u32(nlh, XMESH_NEXTHOP_A_NEIGH, 10 + i);
		mnl_attr_put_u8(nlh, XMESH_NEXTHOP_A_PRIORITY, i);
		if (!i)
			mnl_attr_put(nlh, XMESH_NEXTHOP_A_ACTIVE, 0, NULL);
		mnl_attr_nest_end(nlh, m);
	}
	mnl_attr_nest_end(nlh, n);
	add_template(nlh);

	nlh = genl_msg(tmpl[nt], TEST_FAMILY, XMESH_CMD_PREFIX_GET, NLM_F_MULTI, 1, 42);
	n = mnl_attr_nest_start(nlh, XMESH_A_PREFIX);
	mnl_attr_put_u16(nlh, XMESH_PREFIX_A_FAMILY, AF_INET);
	mnl_attr_put(nlh, XMESH_PREFIX_A_ADDR, 4, "\x0a\0\x05\0");
	mnl_attr_put_u8(nlh, XMESH_PREFIX_A_LEN, 24);
	mnl_attr_put_u32(nlh, XMESH_PREFIX_A_NODE, 5);
	mnl_attr_nest_end(nlh, n);
	add_template(nlh);

	nlh = genl_msg(tmpl[nt], TEST_FAMILY, XMESH_CMD_DEV_GET, 0, 1, 42);
	mnl_attr_put_u32(nlh, XMESH_A_IFINDEX, 1);
	mnl_attr_put_strz(nlh, XMESH_A_IFNAME, "xmesh0");
	n = mnl_attr_nest_start(nlh, XMESH_A_DEV);
	mnl_attr_put_u32(nlh, XMESH_DEV_A_NODE_ID, 1);
	mnl_attr_put_u16(nlh, XMESH_DEV_A_FAMILY, AF_INET6);
	mnl_attr_put_u8(nlh, XMESH_DEV_A_HOP_LIMIT, 16);
	m = mnl_attr_nest_start(nlh, XMESH_DEV_A_COUNTERS);
	for (i = 2; i <= XMESH_COUNTER_A_MAX; i++)
		mnl_attr_put_u64(nlh, (uint16_t)i, (uint64_t)i);
	mnl_attr_nest_end(nlh, m);
	m = mnl_attr_nest_start(nlh, XMESH_DEV_A_DROPS);
	for (i = 2; i <= XMESH_DROP_A_MAX; i++)
		mnl_attr_put_u64(nlh, (uint16_t)i, (uint64_t)i);
	mnl_attr_nest_end(nlh, m);
	mnl_attr_nest_end(nlh, n);
	add_template(nlh);

	nlh = genl_msg(tmpl[nt], TEST_FAMILY, XMESH_CMD_OAM_EVENT, 0, 0, 0);
	mnl_attr_put_u32(nlh, XMESH_A_IFINDEX, 1);
	n = mnl_attr_nest_start(nlh, XMESH_A_OAM);
	mnl_attr_put_u32(nlh, XMESH_OAM_A_DST, 5);
	mnl_attr_put_u16(nlh, XMESH_OAM_A_IDENT, 77);
	mnl_attr_put_u32(nlh, XMESH_OAM_A_SEQ, 1);
	mnl_attr_put_u8(nlh, XMESH_OAM_A_HOP_LIMIT, 14);
	mnl_attr_put_u8(nlh, XMESH_OAM_A_OP, XMESH_OAM_ECHO_REPLY);
	mnl_attr_put_u32(nlh, XMESH_OAM_A_REPORTER, 5);
	mnl_attr_put_u64(nlh, XMESH_OAM_A_RTT_NS, 412000);
	mnl_attr_nest_end(nlh, n);
	add_template(nlh);

	nlh = genl_msg(tmpl[nt], GENL_ID_CTRL, CTRL_CMD_NEWFAMILY, 0, 1, 42);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, TEST_FAMILY);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	n = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	m = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "events");
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 5);
	mnl_attr_nest_end(nlh, m);
	mnl_attr_nest_end(nlh, n);
	add_template(nlh);

	req = genl_msg(reqbuf, TEST_FAMILY, XMESH_CMD_ROUTE_NEW,
		       NLM_F_REQUEST | NLM_F_ACK, 2, 42);
	mnl_attr_put_strz(req, XMESH_A_IFNAME, "xmesh0");
	nlh = err_msg(tmpl[nt], req, -EINVAL, false, NLM_F_ACK_TLVS);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "bad");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 20);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, 2);
	add_template(nlh);

	nlh = mnl_nlmsg_put_header(tmpl[nt]);
	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = 64;
	rtm->rtm_protocol = 88;
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	mnl_attr_put(nlh, RTA_DST, 16, "\xfd\0\0\x05\0\0\0\0\0\0\0\0\0\0\0\0");
	mnl_attr_put_u32(nlh, RTA_OIF, 1);
	add_template(nlh);
}

static FILE *null;

static int print_cb(const struct xm_msg_info *info, const struct xm_entry *e,
		    void *data)
{
	struct out o;
	int json;

	(void)info, (void)data;
	for (json = 0; json < 2; json++) {
		out_init(&o, null, json, json);
		out_list_begin(&o);
		switch (e->type) {
		case XMESH_A_DEV:
			print_dev(&o, &e->dev, true);
			break;
		case XMESH_A_NEIGH:
			print_neigh(&o, &e->neigh, true);
			break;
		case XMESH_A_ROUTE:
			print_route(&o, &e->route);
			break;
		case XMESH_A_PREFIX:
			print_prefix(&o, &e->prefix);
			break;
		case XMESH_A_OAM:
			out_obj_begin(&o, NULL);
			print_oam_fields(&o, &e->oam);
			out_obj_end(&o);
			break;
		}
		out_list_end(&o);
	}
	return 0;
}

static int data_cb(const struct nlmsghdr *nlh, size_t idx, void *data)
{
	struct xm_msg_info info;

	(void)idx, (void)data;
	return xm_msg_parse(nlh, &info, print_cb, NULL);
}

static unsigned long parsed;

/* Everything that reads a received datagram, as the tool uses it. */
static void feed(const void *buf, size_t len)
{
	struct xmnl h = { .family = TEST_FAMILY };
	const struct nlmsghdr *nlh;
	struct nlc_result res[4];
	struct nlc_rx rx = { .portid = 42, .seq0 = 1, .n = 4, .res = res,
			     .cb = data_cb, .pending = 4 };
	size_t left;

	memset(res, 0, sizeof(res));
	nlc_rx_datagram(&rx, buf, len);
	xmnl_events_datagram(&h, buf, len, print_cb, NULL);
	nlc_msg_for_each(nlh, buf, len, left) {
		struct xm_msg_info info;
		struct xmrt_op op;
		struct nlc_error e;
		char path[NLC_ATTRLEN];

		nlc_parse_error(nlh, &e);
		if (!xm_msg_parse(nlh, &info, print_cb, NULL))
			parsed++;
		xmnl_parse_family(nlh, &h);
		xmrt_route_parse(nlh, 1, &op);
		xm_attr_describe(nlh, (uint32_t)(rnd() % (nlh->nlmsg_len + 8)),
				 rnd() % 4 ? -1 : (int)(rnd() % 40), path,
				 sizeof(path));
		e.has_offset = true;
		e.offset = (uint32_t)rnd();
		xmnl_describe(nlh, &e);
	}
}

/* Damage a copy of a template, or make noise; return its length. */
static size_t make_input(char *dst, size_t cap)
{
	size_t len, i, k;
	int t = (int)(rnd() % nt);

	switch (rnd() % 5) {
	case 0:		/* noise */
		len = rnd() % 256;
		for (i = 0; i < len; i++)
			dst[i] = (char)rnd();
		if (len >= 4 && rnd() % 2) {	/* a plausible nlmsg_len */
			uint32_t l = (uint32_t)len;

			memcpy(dst, &l, 4);
		} else if (len >= 4 && rnd() % 2) {
			/* a huge one: libmnl's own checks let it through */
			uint32_t l = 0x80000000u | (uint32_t)rnd();

			memcpy(dst, &l, 4);
		}
		return len;
	case 1:		/* flip some bytes */
		len = tmpl_len[t];
		memcpy(dst, tmpl[t], len);
		for (k = rnd() % 8 + 1; k; k--)
			dst[rnd() % len] = (char)rnd();
		return len;
	case 2:		/* cut short, header kept truthful or not */
		len = rnd() % (tmpl_len[t] + 1);
		memcpy(dst, tmpl[t], len);
		if (len >= 4 && rnd() % 2) {
			uint32_t l = (uint32_t)len;

			memcpy(dst, &l, 4);
		}
		return len;
	case 3:		/* rewrite a 16-bit length somewhere (nla_len) */
		len = tmpl_len[t];
		memcpy(dst, tmpl[t], len);
		i = (rnd() % (len / 2)) * 2;
		k = rnd() % 3 ? rnd() % 64 : rnd() % 65536;
		dst[i] = (char)(k & 0xff);
		dst[i + 1] = (char)(k >> 8);
		return len;
	default:	/* two messages back to back, the second damaged */
		len = tmpl_len[t];
		memcpy(dst, tmpl[t], len);
		k = tmpl_len[(t + 1) % nt];
		if (len + k > cap)
			return len;
		memcpy(dst + len, tmpl[(t + 1) % nt], k);
		dst[len + rnd() % k] = (char)rnd();
		return len + k;
	}
}

int main(void)
{
	static char scratch[4096] __attribute__((aligned(4)));
	unsigned long iters = 100000, i;
	const char *env;

	env = getenv("XMESH_FUZZ_SEED");
	if (env)
		seed = strtoull(env, NULL, 0) | 1;
	env = getenv("XMESH_FUZZ_ITER");
	if (env)
		iters = strtoul(env, NULL, 0);
	printf("# seed 0x%llx, %lu iterations\n", (unsigned long long)seed,
	       iters);
	null = fopen("/dev/null", "w");
	templates();

	for (i = 0; i < (unsigned long)nt; i++)
		feed(tmpl[i], tmpl_len[i]);
	ok(parsed >= 5, "fuzz: the templates themselves parse (%lu)", parsed);

	for (i = 0; i < iters; i++) {
		size_t len = make_input(scratch, sizeof(scratch));
		/* Exactly len bytes, so reading one more is caught. */
		char *exact = malloc(len ? len : 1);

		memcpy(exact, scratch, len);
		feed(exact, len);
		free(exact);
	}
	ok(true, "fuzz: %lu damaged or random datagrams, no crash", iters);
	ok(parsed > iters / 20,
	   "fuzz: many inputs still parsed (%lu): damage is not all rejected early",
	   parsed);
	fclose(null);
	return tap_done();
}
