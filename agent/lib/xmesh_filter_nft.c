// SPDX-License-Identifier: GPL-2.0
/*
 * The table (Documentation/filter.md):
 *
 *   chain in      hook input   iifname != DEV return
 *   chain out     hook output  oifname != DEV return
 *   chain fwd     hook forward iifname != DEV oifname != DEV return
 *   each:         ct state established,related accept   (return traffic)
 *                 the rules of the file, in order, in the chains of their
 *                 direction: [limit log] then counter verdict
 *                 counter POLICY
 *
 * The source's zone and roles of a packet from the mesh are in its mark
 * (the module put them there, authenticated); this node's own zone and
 * roles are known here, so a rule on them is kept or left out of a
 * chain; a destination zone or role out into the mesh is a set of the
 * prefixes of its nodes (interval sets z<ID>_4, z<ID>_6, r<BIT>_4...).
 * Runs of consecutive rules that differ in one thing are one lookup: in a
 * set of their prefixes, in a verdict map of their source zones, or in
 * an interval verdict map of their destination zones' addresses (sets
 * and maps <chain>_<line>[_<family>]).
 */
#include "xmesh_filter_nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <linux/xmesh.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "xmesh_qos.h"

#define COMMENT_PREFIX	"xmesh line "
#define POLICY_COMMENT	"xmesh policy"
#define LOG_RATE	10	/* log lines per second per rule */
#define LOG_BURST	5
#define TYPE_IPADDR	7	/* nftables' datatypes, for listing */
#define TYPE_IP6ADDR	8

enum chain_id { CH_IN, CH_OUT, CH_FWD, CH_COUNT };

static const struct {
	const char *name;
	uint32_t hook;
	uint8_t dir;
} chains[CH_COUNT] = {
	[CH_IN] = { "in", NF_INET_LOCAL_IN, XM_DIR_IN },
	[CH_OUT] = { "out", NF_INET_LOCAL_OUT, XM_DIR_OUT },
	[CH_FWD] = { "fwd", NF_INET_FORWARD, XM_DIR_FORWARD },
};

/* ---- the batch buffer --------------------------------------------- */

static struct nlmsghdr *batch_room(struct xm_nft_batch *b, size_t need)
{
	char *nb;
	size_t cap;

	if (b->len + need > b->cap) {
		cap = b->cap ? b->cap : 65536;
		while (cap < b->len + need)
			cap *= 2;
		nb = realloc(b->buf, cap);
		if (!nb)
			return NULL;
		memset(nb + b->cap, 0, cap - b->cap);
		b->buf = nb;
		b->cap = cap;
	}
	return (struct nlmsghdr *)(b->buf + b->len);
}

static void batch_done(struct xm_nft_batch *b, struct nlmsghdr *nlh)
{
	b->last_seq = nlh->nlmsg_seq;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Room for any one message but a rule's or a set's elements. */
#define MSG_ROOM	4096

void xm_nft_batch_free(struct xm_nft_batch *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

static int put_table(struct xm_nft_batch *b, uint16_t type, uint16_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh = batch_room(b, MSG_ROOM);

	if (!t || !nlh) {
		if (t)
			nftnl_table_free(t);
		return -ENOMEM;
	}
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, XM_NFT_TABLE);
	nlh = nftnl_table_nlmsg_build_hdr((char *)nlh, type, NFPROTO_INET,
					  flags, b->seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	batch_done(b, nlh);
	return 0;
}

static int batch_start(struct xm_nft_batch *b, uint32_t seq)
{
	struct nlmsghdr *nlh;

	memset(b, 0, sizeof(*b));
	b->seq = seq;
	nlh = batch_room(b, MSG_ROOM);
	if (!nlh)
		return -ENOMEM;
	nlh = nftnl_batch_begin((char *)nlh, b->seq++);
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return 0;
}

static int batch_end(struct xm_nft_batch *b)
{
	struct nlmsghdr *nlh = batch_room(b, MSG_ROOM), *last;

	if (!nlh)
		return -ENOMEM;
	/* The last change is acked: its ack says the batch went in. */
	for (last = (struct nlmsghdr *)b->buf;
	     (char *)last + NLMSG_ALIGN(last->nlmsg_len) < (char *)nlh;
	     last = (struct nlmsghdr *)((char *)last +
					NLMSG_ALIGN(last->nlmsg_len)))
		;
	last->nlmsg_flags |= NLM_F_ACK;
	b->last_seq = last->nlmsg_seq;
	nlh = nftnl_batch_end((char *)nlh, b->seq++);
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return 0;
}

int xm_nft_build_delete(uint32_t seq, struct xm_nft_batch *b)
{
	/* Create it first so that the delete cannot fail. */
	if (batch_start(b, seq) ||
	    put_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE) ||
	    put_table(b, NFT_MSG_DELTABLE, 0) || batch_end(b)) {
		xm_nft_batch_free(b);
		return -ENOMEM;
	}
	return 0;
}

/* ---- expressions -------------------------------------------------- */

/* A rule being built; ok turns false on the first allocation failure. */
struct rb {
	struct nftnl_rule *r;
	bool ok;
};

static struct nftnl_expr *expr(struct rb *rb, const char *name)
{
	struct nftnl_expr *e = rb->ok ? nftnl_expr_alloc(name) : NULL;

	if (!e)
		rb->ok = false;
	else
		nftnl_rule_add_expr(rb->r, e);
	return e;
}

static void meta(struct rb *rb, uint32_t key)
{
	struct nftnl_expr *e = expr(rb, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

static void cmp(struct rb *rb, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr(rb, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void bitwise(struct rb *rb, const void *mask, uint32_t len)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e = expr(rb, "bitwise");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
}

static void payload(struct rb *rb, uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = expr(rb, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
}

static void ifname(struct rb *rb, uint32_t key, const char *name)
{
	char buf[IFNAMSIZ] = { 0 };

	snprintf(buf, sizeof(buf), "%s", name);
	meta(rb, key);
	cmp(rb, NFT_CMP_NEQ, buf, sizeof(buf));
}

static void counter(struct rb *rb)
{
	expr(rb, "counter");
}

static void verdict(struct rb *rb, int v)
{
	struct nftnl_expr *e = expr(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, v);
}

static void limit_log(struct rb *rb, unsigned int line)
{
	struct nftnl_expr *e = expr(rb, "limit");
	char prefix[40];

	if (!e)
		return;
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, LOG_RATE);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, LOG_BURST);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	e = expr(rb, "log");
	if (!e)
		return;
	snprintf(prefix, sizeof(prefix), "xmesh rule %u: ", line);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, prefix);
}

static void ct_established(struct rb *rb)
{
	uint32_t mask = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
			NF_CT_STATE_BIT(IP_CT_RELATED), zero = 0;
	struct nftnl_expr *e = expr(rb, "ct");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	bitwise(rb, &mask, sizeof(mask));
	cmp(rb, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* ---- rules -------------------------------------------------------- */

static struct nftnl_rule *rule_new(const char *chain, const char *comment)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_udata_buf *ud;

	if (!r)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, XM_NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	if (comment) {
		ud = nftnl_udata_buf_alloc(256);
		if (!ud || !nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT,
						 comment)) {
			nftnl_udata_buf_free(ud);
			nftnl_rule_free(r);
			return NULL;
		}
		nftnl_rule_set_data(r, NFTNL_RULE_USERDATA,
				    nftnl_udata_buf_data(ud),
				    nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	return r;
}

static int rule_put(struct xm_nft_batch *b, struct rb *rb)
{
	struct nlmsghdr *nlh = batch_room(b, 16384);

	if (!rb->ok || !nlh) {
		if (rb->r)
			nftnl_rule_free(rb->r);
		return -ENOMEM;
	}
	nlh = nftnl_rule_nlmsg_build_hdr((char *)nlh, NFT_MSG_NEWRULE,
					 NFPROTO_INET,
					 NLM_F_CREATE | NLM_F_APPEND, b->seq++);
	nftnl_rule_nlmsg_build_payload(nlh, rb->r);
	nftnl_rule_free(rb->r);
	batch_done(b, nlh);
	b->n_rules++;
	return 0;
}

/* What this node is: for rules about its own zone and roles. */
static bool self_matches(const struct xm_nft_view *v,
			 const struct xm_filter_sel *s)
{
	size_t i;

	for (i = 0; i < v->n_nodes; i++) {
		if (v->nodes[i].id != v->self)
			continue;
		if (s->kind == XM_SEL_ZONE)
			return v->nodes[i].zone == s->zone;
		return v->nodes[i].roles & (1u << s->role);
	}
	return s->kind == XM_SEL_ZONE && s->zone == 0;
}

/* Offsets of the addresses in the network header. */
static uint32_t addr_off(uint16_t family, bool src)
{
	if (family == AF_INET)
		return src ? 12 : 16;
	return src ? 8 : 24;
}

static void match_prefix(struct rb *rb, const struct xm_filter_sel *s,
			 bool src)
{
	struct xm_addr mask = { .family = s->addr.family };
	uint32_t len = (uint32_t)xm_addr_len(s->addr.family);

	memset(mask.raw, 0xff, len);
	xm_addr_mask(&mask, s->len);
	payload(rb, NFT_PAYLOAD_NETWORK_HEADER, addr_off(s->addr.family, src),
		len);
	if (s->len < len * 8)
		bitwise(rb, mask.raw, len);
	cmp(rb, NFT_CMP_EQ, s->addr.raw, len);
}

/* The source's zone or role from the mark the module set. */
static void match_mark(struct rb *rb, const struct xm_filter_sel *s)
{
	uint32_t mask, want;

	if (s->kind == XM_SEL_ZONE) {
		mask = 0xffff0000;
		want = (uint32_t)s->zone << XMESH_MARK_ZONE_SHIFT;
	} else {
		mask = want = 1u << s->role;
	}
	meta(rb, NFT_META_MARK);
	bitwise(rb, &mask, sizeof(mask));
	cmp(rb, NFT_CMP_EQ, &want, sizeof(want));
}

static void set_name(const struct xm_filter_sel *s, uint16_t family,
		     char *buf, size_t len)
{
	snprintf(buf, len, "%c%u_%c", s->kind == XM_SEL_ZONE ? 'z' : 'r',
		 s->kind == XM_SEL_ZONE ? s->zone : s->role,
		 family == AF_INET ? '4' : '6');
}

/* The set ids of this batch: the hash of a name is enough, as unique. */
static uint32_t set_id(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h | 1;
}

/* Register 1 looked up in set name; a map's data into register dreg. */
static void lookup(struct rb *rb, const char *name, bool map, uint32_t dreg)
{
	struct nftnl_expr *e = expr(rb, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	if (map)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, name);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id(name));
}

static void match_set(struct rb *rb, const struct xm_filter_sel *s,
		      uint16_t family)
{
	char name[16];

	set_name(s, family, name, sizeof(name));
	payload(rb, NFT_PAYLOAD_NETWORK_HEADER, addr_off(family, false),
		(uint32_t)xm_addr_len(family));
	lookup(rb, name, false, 0);
}

static void match_ports(struct rb *rb, uint32_t off, uint16_t min,
			uint16_t max)
{
	uint16_t lo = htons(min), hi = htons(max);
	struct nftnl_expr *e;

	payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, off, 2);
	if (min == max) {
		cmp(rb, NFT_CMP_EQ, &lo, sizeof(lo));
		return;
	}
	e = expr(rb, "range");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, &lo, sizeof(lo));
	nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, &hi, sizeof(hi));
}

static bool sel_is_mesh(const struct xm_filter_sel *s)
{
	return s->kind == XM_SEL_ZONE || s->kind == XM_SEL_ROLE;
}

/*
 * The matches of rule r in chain ch for family (0: any). The mark holds
 * the source of packets from the mesh (in, forward); out, the source is
 * this node, checked before (rule_chains).
 */
static void matches(struct rb *rb, const struct xm_filter_rule *r, int ch,
		    uint16_t family)
{
	uint8_t nfproto = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;

	if (family) {
		meta(rb, NFT_META_NFPROTO);
		cmp(rb, NFT_CMP_EQ, &nfproto, sizeof(nfproto));
	}
	if (r->from.kind == XM_SEL_PREFIX)
		match_prefix(rb, &r->from, true);
	else if (sel_is_mesh(&r->from) && ch != CH_OUT)
		match_mark(rb, &r->from);
	if (r->to.kind == XM_SEL_PREFIX)
		match_prefix(rb, &r->to, false);
	else if (sel_is_mesh(&r->to) && ch != CH_IN)
		match_set(rb, &r->to, family);
	if (r->tclass) {
		/* The module delivers with the sender's class as priority. */
		uint32_t priority = xm_tclass_priority(r->tclass);

		meta(rb, NFT_META_PRIORITY);
		cmp(rb, NFT_CMP_EQ, &priority, sizeof(priority));
	}
	if (r->proto) {
		meta(rb, NFT_META_L4PROTO);
		cmp(rb, NFT_CMP_EQ, &r->proto, sizeof(r->proto));
	}
	if (r->sport_max)
		match_ports(rb, 0, r->sport_min, r->sport_max);
	if (r->dport_max)
		match_ports(rb, 2, r->dport_min, r->dport_max);
}

static int put_rule(struct xm_nft_batch *b, const struct xm_filter_rule *r,
		    int ch, uint16_t family)
{
	char comment[32];
	struct rb rb;
	int err;

	snprintf(comment, sizeof(comment), COMMENT_PREFIX "%u", r->line);
	if (r->log) {
		rb.r = rule_new(chains[ch].name, comment);
		rb.ok = rb.r != NULL;
		matches(&rb, r, ch, family);
		limit_log(&rb, r->line);
		err = rule_put(b, &rb);
		if (err)
			return err;
	}
	rb.r = rule_new(chains[ch].name, comment);
	rb.ok = rb.r != NULL;
	matches(&rb, r, ch, family);
	counter(&rb);
	verdict(&rb, r->verdict == XM_FILTER_ALLOW ? NF_ACCEPT : NF_DROP);
	return rule_put(b, &rb);
}

/* Whether rule r is in chain ch at all. */
static bool in_chain(const struct xm_filter_rule *r, int ch,
		     const struct xm_nft_view *v)
{
	if (!(r->dir & chains[ch].dir))
		return false;
	/* This node's own zone and roles are known now. */
	if (ch == CH_OUT && sel_is_mesh(&r->from) && !self_matches(v, &r->from))
		return false;
	if (ch == CH_IN && sel_is_mesh(&r->to) && !self_matches(v, &r->to))
		return false;
	return true;
}

/* Rule r in chain ch: left out, once for any family, or once for each. */
static int rule_chain(struct xm_nft_batch *b, const struct xm_filter_rule *r,
		      int ch, const struct xm_nft_view *v)
{
	int err;

	if (!in_chain(r, ch, v))
		return 0;
	if (r->from.kind == XM_SEL_PREFIX)
		return put_rule(b, r, ch, r->from.addr.family);
	if (r->to.kind == XM_SEL_PREFIX)
		return put_rule(b, r, ch, r->to.addr.family);
	if (ch != CH_IN && sel_is_mesh(&r->to)) {
		err = put_rule(b, r, ch, AF_INET);
		return err ? err : put_rule(b, r, ch, AF_INET6);
	}
	return put_rule(b, r, ch, 0);
}

static int put_chain(struct xm_nft_batch *b, int ch, const char *dev)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh = batch_room(b, MSG_ROOM);
	struct rb rb;
	int err;

	if (!c || !nlh) {
		if (c)
			nftnl_chain_free(c);
		return -ENOMEM;
	}
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, XM_NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chains[ch].name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, chains[ch].hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nlh = nftnl_chain_nlmsg_build_hdr((char *)nlh, NFT_MSG_NEWCHAIN,
					  NFPROTO_INET, NLM_F_CREATE,
					  b->seq++);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	batch_done(b, nlh);

	/* Only the mesh's traffic. */
	rb.r = rule_new(chains[ch].name, NULL);
	rb.ok = rb.r != NULL;
	if (ch != CH_OUT)
		ifname(&rb, NFT_META_IIFNAME, dev);
	if (ch != CH_IN)
		ifname(&rb, NFT_META_OIFNAME, dev);
	verdict(&rb, NFT_RETURN);
	err = rule_put(b, &rb);
	if (err)
		return err;
	/* Return traffic of the flows allowed. */
	rb.r = rule_new(chains[ch].name, NULL);
	rb.ok = rb.r != NULL;
	ct_established(&rb);
	verdict(&rb, NF_ACCEPT);
	return rule_put(b, &rb);
}

static int put_policy(struct xm_nft_batch *b, int ch, uint8_t policy)
{
	struct rb rb;

	rb.r = rule_new(chains[ch].name, POLICY_COMMENT);
	rb.ok = rb.r != NULL;
	counter(&rb);
	verdict(&rb, policy == XMESH_ZONE_DENY ? NF_DROP : NF_ACCEPT);
	return rule_put(b, &rb);
}

/* ---- sets of the nodes of a zone or role -------------------------- */

static bool node_in(const struct xm_nft_view *v, uint32_t node,
		    const struct xm_filter_sel *s)
{
	size_t i;

	for (i = 0; i < v->n_nodes; i++)
		if (v->nodes[i].id == node)
			return s->kind == XM_SEL_ZONE ?
			       v->nodes[i].zone == s->zone :
			       (v->nodes[i].roles >> s->role) & 1;
	return s->kind == XM_SEL_ZONE && s->zone == 0;
}

static int prefix_cmp(const void *a, const void *b)
{
	const struct xm_nft_prefix *x = a, *y = b;
	int c = memcmp(x->addr.raw, y->addr.raw, sizeof(x->addr.raw));

	return c ? c : (int)x->len - (int)y->len;
}

/* The first address after prefix p, false when there is none. */
static bool prefix_end(const struct xm_nft_prefix *p, uint8_t *out)
{
	size_t len = xm_addr_len(p->addr.family);
	unsigned int bit = p->len, carry;
	int i;

	memcpy(out, p->addr.raw, len);
	if (!bit)
		return false;
	/* Add 1 at the prefix's last bit. */
	i = (int)(bit - 1) / 8;
	carry = 1u << (7 - (bit - 1) % 8);
	for (; i >= 0 && carry; i--) {
		unsigned int s = out[i] + carry;

		out[i] = (uint8_t)s;
		carry = s >> 8;
	}
	return !carry;
}

/*
 * Element key of s: an interval's end, or with line its comment; with
 * verdict (may be NULL) a verdict map's.
 */
static int elem_put(struct nftnl_set *s, const uint8_t *key, size_t len,
		    bool end, unsigned int line, const uint32_t *verdict)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	struct nftnl_udata_buf *ud;
	char comment[32];

	if (!e)
		return -ENOMEM;
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, (uint32_t)len);
	if (end)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS,
				       NFT_SET_ELEM_INTERVAL_END);
	if (verdict)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, *verdict);
	if (line) {
		ud = nftnl_udata_buf_alloc(64);
		snprintf(comment, sizeof(comment), COMMENT_PREFIX "%u", line);
		if (!ud || !nftnl_udata_put_strz(ud,
						 NFTNL_UDATA_SET_ELEM_COMMENT,
						 comment)) {
			nftnl_udata_buf_free(ud);
			nftnl_set_elem_free(e);
			return -ENOMEM;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA,
				   nftnl_udata_buf_data(ud),
				   nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	nftnl_set_elem_add(s, e);
	return 0;
}

/* Set s and its n elements into the batch. */
static int set_send(struct xm_nft_batch *b, struct nftnl_set *s, size_t n)
{
	struct nlmsghdr *nlh = batch_room(b, MSG_ROOM);

	if (!nlh)
		return -ENOMEM;
	nlh = nftnl_set_nlmsg_build_hdr((char *)nlh, NFT_MSG_NEWSET,
					NFPROTO_INET, NLM_F_CREATE, b->seq++);
	nftnl_set_nlmsg_build_payload(nlh, s);
	batch_done(b, nlh);
	if (!n)
		return 0;
	nlh = batch_room(b, 160 * (n + 2) + MSG_ROOM);
	if (!nlh)
		return -ENOMEM;
	nlh = nftnl_set_elem_nlmsg_build_hdr((char *)nlh, NFT_MSG_NEWSETELEM,
					     NFPROTO_INET, NLM_F_CREATE,
					     b->seq++);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	batch_done(b, nlh);
	return 0;
}

/* A set of table xmesh named name, its id set, key of len bytes. */
static struct nftnl_set *set_new(const char *name, uint32_t key_len,
				 uint32_t key_type, uint32_t flags,
				 bool counters)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_expr *ctr;

	if (!s)
		return NULL;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, XM_NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_ID, set_id(name));
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	if (counters) {
		ctr = nftnl_expr_alloc("counter");
		if (!ctr) {
			nftnl_set_free(s);
			return NULL;
		}
		nftnl_set_add_expr(s, ctr);	/* every element counts */
	}
	return s;
}

/*
 * Put interval set name of the prefixes p[0..n) of family, sorted by
 * address: each one [start, end) (open at the top of the address space).
 * With lines, element i carries line[i] and every element its own counter,
 * and a prefix inside another is an error (-EEXIST, nothing put);
 * without, it is left out: the set is the same.
 */
static int interval_set_put(struct xm_nft_batch *b, const char *name,
			    uint16_t family, const struct xm_nft_prefix *p,
			    const unsigned int *line, size_t n)
{
	size_t len = xm_addr_len(family), i;
	struct nftnl_set *s = set_new(name, (uint32_t)len,
				      family == AF_INET ? TYPE_IPADDR :
							  TYPE_IP6ADDR,
				      NFT_SET_INTERVAL, line != NULL);
	uint8_t end[16];
	bool open = false;	/* the last one reaches the top */
	int err = -ENOMEM;

	if (!s)
		goto out;
	for (i = 0; i < n; i++) {
		/* Prefixes are nested or apart: before the last end is in. */
		if (open || (i && memcmp(p[i].addr.raw, end, len) < 0)) {
			if (line) {
				err = -EEXIST;
				goto out;
			}
			continue;
		}
		if (elem_put(s, p[i].addr.raw, len, false, line ? line[i] : 0,
			     NULL))
			goto out;
		open = !prefix_end(&p[i], end);
		if (!open && elem_put(s, end, len, true, 0, NULL))
			goto out;
	}
	err = set_send(b, s, n);
out:
	if (s)
		nftnl_set_free(s);
	return err;
}

/* One set: the prefixes of family of the nodes sel names. */
static int put_set(struct xm_nft_batch *b, const struct xm_filter_sel *sel,
		   uint16_t family, const struct xm_nft_view *v)
{
	struct xm_nft_prefix *p = calloc(v->n_prefixes + 1, sizeof(*p));
	size_t n = 0, i;
	char name[16];
	int err;

	if (!p)
		return -ENOMEM;
	for (i = 0; i < v->n_prefixes; i++)
		if (v->prefixes[i].addr.family == family &&
		    node_in(v, v->prefixes[i].node, sel))
			p[n++] = v->prefixes[i];
	qsort(p, n, sizeof(*p), prefix_cmp);
	set_name(sel, family, name, sizeof(name));
	err = interval_set_put(b, name, family, p, NULL, n);
	free(p);
	return err;
}

/* The sets the rules look up: each zone and role named as a destination. */
static int put_sets(struct xm_nft_batch *b, const struct xm_filter *f,
		    const struct xm_nft_view *v)
{
	unsigned int i, j;
	int err;

	for (i = 0; i < f->n_rules; i++) {
		const struct xm_filter_sel *s = &f->rules[i].to;
		bool seen = false;

		if (!sel_is_mesh(s) || !(f->rules[i].dir & ~XM_DIR_IN))
			continue;
		for (j = 0; j < i && !seen; j++) {
			const struct xm_filter_sel *t = &f->rules[j].to;

			seen = (f->rules[j].dir & ~XM_DIR_IN) &&
			       t->kind == s->kind &&
			       (s->kind == XM_SEL_ZONE ? t->zone == s->zone :
							 t->role == s->role);
		}
		if (seen)
			continue;
		err = put_set(b, s, AF_INET, v);
		if (!err)
			err = put_set(b, s, AF_INET6, v);
		if (err)
			return err;
	}
	return 0;
}

/* ---- runs of rules that differ in one prefix ---------------------- */

/*
 * Consecutive rules of a chain that differ only in their source prefix
 * (or only in their destination prefix) are one rule with a lookup in a
 * set of those prefixes: first match wins, and they all say the same, so
 * the union is the same filter at the cost of one lookup. Each element
 * keeps its line in its comment and counts in its own counter.
 */
#define RUN_MIN		4	/* shorter runs stay rules */

static bool sel_eq(const struct xm_filter_sel *a, const struct xm_filter_sel *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case XM_SEL_ZONE:
		return a->zone == b->zone;
	case XM_SEL_ROLE:
		return a->role == b->role;
	case XM_SEL_PREFIX:
		return xm_prefix_eq(&a->addr, a->len, &b->addr, b->len);
	}
	return true;
}

/* The same class, protocol and ports. */
static bool same_l4(const struct xm_filter_rule *a,
		    const struct xm_filter_rule *b)
{
	return a->tclass == b->tclass && a->proto == b->proto &&
	       a->sport_min == b->sport_min &&
	       a->sport_max == b->sport_max && a->dport_min == b->dport_min &&
	       a->dport_max == b->dport_max;
}

/* The prefix of r that varies in a run: its source (from) or its destination. */
static const struct xm_filter_sel *run_sel(const struct xm_filter_rule *r,
					   bool from)
{
	return from ? &r->from : &r->to;
}

static bool run_joins(const struct xm_filter_rule *a,
		      const struct xm_filter_rule *b, bool from)
{
	const struct xm_filter_sel *pa = run_sel(a, from), *pb = run_sel(b, from);

	return !a->log && !b->log && a->verdict == b->verdict &&
	       same_l4(a, b) && pb->kind == XM_SEL_PREFIX &&
	       pb->addr.family == pa->addr.family &&
	       sel_eq(run_sel(a, !from), run_sel(b, !from));
}

static int run_cmp(const void *x, const void *y)
{
	const struct xm_filter_sel *a = *(const struct xm_filter_sel *const *)x;
	const struct xm_filter_sel *b = *(const struct xm_filter_sel *const *)y;
	int c = memcmp(a->addr.raw, b->addr.raw, sizeof(a->addr.raw));

	return c ? c : (int)a->len - (int)b->len;
}

/* The set of a run: the prefixes sel[0..n), sorted, with their lines. */
static int run_set(struct xm_nft_batch *b, const char *name,
		   const struct xm_filter_sel **sel, const unsigned int *line,
		   size_t n)
{
	struct xm_nft_prefix *p = calloc(n, sizeof(*p));
	size_t i;
	int err;

	if (!p)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		p[i].addr = sel[i]->addr;
		p[i].len = sel[i]->len;
	}
	err = interval_set_put(b, name, sel[0]->addr.family, p, line, n);
	free(p);
	return err;
}

/* The run's rule: r's matches with the lookup for the prefix that varies. */
static int run_rule(struct xm_nft_batch *b, const struct xm_filter_rule *r,
		    int ch, bool from, const char *name)
{
	struct xm_filter_rule copy = *r;
	uint16_t family = run_sel(r, from)->addr.family;
	struct rb rb;

	*(from ? &copy.from : &copy.to) = (struct xm_filter_sel){ 0 };
	rb.r = rule_new(chains[ch].name, "xmesh run");
	rb.ok = rb.r != NULL;
	matches(&rb, &copy, ch, family);
	payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, addr_off(family, from),
		(uint32_t)xm_addr_len(family));
	lookup(&rb, name, false, 0);
	verdict(&rb, r->verdict == XM_FILTER_ALLOW ? NF_ACCEPT : NF_DROP);
	return rule_put(b, &rb);
}

/* ---- runs of rules that differ in the source zone ----------------- */

/*
 * Consecutive rules of chain in or fwd that differ only in their source
 * zone, their verdicts included, are one lookup in a verdict map keyed on
 * the zone bits of the mark (mark & 0xffff0000 -> accept or drop):
 *   - a packet's mark holds one zone, so at most one rule of the run can
 *     match it; a zone that comes twice matches at its first (the later
 *     one can never match first: left out of the map);
 *   - a zone of none of them finds no element: the rule does not match
 *     and the packet goes on to the rules after the run, as it would have
 *     past each of them.
 * So the map decides as the rules did, in one hash lookup. Out, a source
 * zone is this node's own, known when the table is built: no run there.
 * Each element keeps its line in its comment and counts in its counter.
 */
#define ZONE_RUN_MIN	2	/* shorter runs stay rules */
#define TYPE_MARK	19	/* nftables' datatype, for listing */

/*
 * The run of chain ch from rule i of f: i, if in the chain and joins()
 * takes it with itself, and the rules of the chain after it that joins()
 * accepts (rules of other chains in between are not in its way), in *run
 * (malloc'ed, *n of them), *last the index of the last. 1 when there is
 * none or it is shorter than ZONE_RUN_MIN, -ENOMEM.
 */
static int map_run(const struct xm_filter *f, unsigned int i, int ch,
		   const struct xm_nft_view *v,
		   bool (*joins)(const struct xm_filter_rule *a,
				 const struct xm_filter_rule *b),
		   const struct xm_filter_rule ***run, unsigned int *n,
		   unsigned int *last)
{
	unsigned int j;

	*n = 0;
	*last = i;
	if (!in_chain(&f->rules[i], ch, v) || !joins(&f->rules[i], &f->rules[i]))
		return 1;	/* no run starts with it */
	for (j = i; j < f->n_rules; j++) {
		if (!in_chain(&f->rules[j], ch, v))
			continue;
		if (!joins(&f->rules[i], &f->rules[j]))
			break;
		(*n)++;
		*last = j;
	}
	if (*n < ZONE_RUN_MIN)
		return 1;
	*run = calloc(*n, sizeof(**run));
	if (!*run)
		return -ENOMEM;
	for (j = i, *n = 0; j <= *last; j++)
		if (in_chain(&f->rules[j], ch, v))
			(*run)[(*n)++] = &f->rules[j];
	return 0;
}

static bool zone_run_joins(const struct xm_filter_rule *a,
			   const struct xm_filter_rule *b)
{
	return !a->log && !b->log && b->from.kind == XM_SEL_ZONE &&
	       same_l4(a, b) && sel_eq(&a->to, &b->to);
}

/* Map name: the first zone of each rule of run[0..n) with its verdict. */
static int zone_map_put(struct xm_nft_batch *b, const char *name,
			const struct xm_filter_rule *const *run, size_t n)
{
	struct nftnl_set *s = set_new(name, sizeof(uint32_t), TYPE_MARK,
				      NFT_SET_MAP, true);
	size_t i, j;
	int err = -ENOMEM;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 16);
	for (i = 0; i < n; i++) {
		uint32_t key = (uint32_t)run[i]->from.zone <<
			       XMESH_MARK_ZONE_SHIFT;
		uint32_t v = run[i]->verdict == XM_FILTER_ALLOW ? NF_ACCEPT :
								  NF_DROP;
		bool shadowed = false;

		for (j = 0; j < i && !shadowed; j++)
			shadowed = run[j]->from.zone == run[i]->from.zone;
		if (shadowed)
			continue;
		if (elem_put(s, (const uint8_t *)&key, sizeof(key), false,
			     run[i]->line, &v))
			goto out;
	}
	err = set_send(b, s, n);
out:
	nftnl_set_free(s);
	return err;
}

/* The run's rule for family (0: any): r's matches but its zone, the map. */
static int zone_run_rule(struct xm_nft_batch *b, const struct xm_filter_rule *r,
			 int ch, uint16_t family, const char *name)
{
	struct xm_filter_rule copy = *r;
	uint32_t mask = 0xffff0000;
	struct rb rb;

	copy.from = (struct xm_filter_sel){ 0 };
	rb.r = rule_new(chains[ch].name, "xmesh run");
	rb.ok = rb.r != NULL;
	matches(&rb, &copy, ch, family);
	meta(&rb, NFT_META_MARK);
	bitwise(&rb, &mask, sizeof(mask));
	lookup(&rb, name, true, NFT_REG_VERDICT);
	return rule_put(b, &rb);
}

/*
 * From rule *i of f in chain ch: a run of source zones, as one map and
 * its rule (once per family if its destination is a zone or role), *i
 * past it; 1 when there is none here.
 */
static int zone_run(struct xm_nft_batch *b, const struct xm_filter *f,
		    unsigned int *i, int ch, const struct xm_nft_view *v)
{
	const struct xm_filter_rule *r = &f->rules[*i], **run;
	unsigned int n, last;
	char name[24];
	int err;

	if (ch == CH_OUT)
		return 1;
	err = map_run(f, *i, ch, v, zone_run_joins, &run, &n, &last);
	if (err)
		return err;
	snprintf(name, sizeof(name), "%s_%u", chains[ch].name, r->line);
	err = zone_map_put(b, name, run, n);
	free(run);
	if (err)
		return err;
	if (r->to.kind == XM_SEL_PREFIX)
		err = zone_run_rule(b, r, ch, r->to.addr.family, name);
	else if (ch != CH_IN && sel_is_mesh(&r->to)) {
		err = zone_run_rule(b, r, ch, AF_INET, name);
		if (!err)
			err = zone_run_rule(b, r, ch, AF_INET6, name);
	} else
		err = zone_run_rule(b, r, ch, 0, name);
	*i = last + 1;
	return err;
}

/* ---- runs of rules that differ in the destination zone ------------ */

/*
 * Out and forward, consecutive rules that differ only in their
 * destination zone, their verdicts included, are one lookup of the
 * destination address in an interval verdict map. A node's prefixes may
 * nest in another's (and so belong to two zones), so the map is cut at
 * every bound of the prefixes of the run's zones: in each piece every
 * address belongs to the same zones, and the piece gets the verdict and
 * line of the first rule of the run whose zone holds it; a piece no rule
 * holds is not in the map, and the packet goes on past the run.
 */
struct bound {
	uint8_t a[16];
};

static int bound_cmp(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct bound));
}

/* Whether addr (of family) is in a prefix of a node of zone. */
static bool zone_holds(const struct xm_nft_view *v, uint16_t zone,
		       uint16_t family, const uint8_t *addr)
{
	const struct xm_filter_sel sel = { .kind = XM_SEL_ZONE, .zone = zone };
	size_t i, len = xm_addr_len(family);

	for (i = 0; i < v->n_prefixes; i++) {
		struct xm_addr m = { .family = family };

		if (v->prefixes[i].addr.family != family ||
		    !node_in(v, v->prefixes[i].node, &sel))
			continue;
		memcpy(m.raw, addr, len);
		xm_addr_mask(&m, v->prefixes[i].len);
		if (!memcmp(m.raw, v->prefixes[i].addr.raw, len))
			return true;
	}
	return false;
}

/* The first rule of run[0..n) whose destination zone holds addr. */
static const struct xm_filter_rule *
dst_first(const struct xm_filter_rule *const *run, size_t n,
	  const struct xm_nft_view *v, uint16_t family, const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (zone_holds(v, run[i]->to.zone, family, addr))
			return run[i];
	return NULL;
}

/* The bounds of the prefixes of family of the run's zones, sorted. */
static size_t dst_bounds(const struct xm_filter_rule *const *run, size_t n,
			 const struct xm_nft_view *v, uint16_t family,
			 struct bound *b)
{
	size_t i, j, k = 0, len = xm_addr_len(family);

	for (i = 0; i < v->n_prefixes; i++) {
		const struct xm_nft_prefix *p = &v->prefixes[i];
		bool in = false;

		if (p->addr.family != family)
			continue;
		for (j = 0; j < n && !in; j++) {
			const struct xm_filter_sel sel = {
				.kind = XM_SEL_ZONE, .zone = run[j]->to.zone };

			in = node_in(v, p->node, &sel);
		}
		if (!in)
			continue;
		memset(&b[k], 0, sizeof(b[k]));
		memcpy(b[k++].a, p->addr.raw, len);
		memset(&b[k], 0, sizeof(b[k]));
		if (prefix_end(p, b[k].a))
			k++;
	}
	qsort(b, k, sizeof(*b), bound_cmp);
	for (i = j = 0; i < k; i++)	/* unique */
		if (!j || bound_cmp(&b[j - 1], &b[i]))
			b[j++] = b[i];
	return j;
}

static int dst_map_put(struct xm_nft_batch *b, const char *name,
		       const struct xm_filter_rule *const *run, size_t n,
		       const struct xm_nft_view *v, uint16_t family)
{
	size_t len = xm_addr_len(family), nb, i, elems = 0;
	struct bound *bd = calloc(2 * v->n_prefixes + 1, sizeof(*bd));
	struct nftnl_set *s = set_new(name, (uint32_t)len,
				      family == AF_INET ? TYPE_IPADDR :
							  TYPE_IP6ADDR,
				      NFT_SET_INTERVAL | NFT_SET_MAP, true);
	int err = -ENOMEM;

	if (!bd || !s)
		goto out;
	nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 16);
	nb = dst_bounds(run, n, v, family, bd);
	for (i = 0; i < nb; i++) {
		const struct xm_filter_rule *r = dst_first(run, n, v, family,
							   bd[i].a);
		uint32_t verdict;

		if (!r)
			continue;	/* a gap between prefixes */
		verdict = r->verdict == XM_FILTER_ALLOW ? NF_ACCEPT : NF_DROP;
		if (elem_put(s, bd[i].a, len, false, r->line, &verdict))
			goto out;
		/* Up to the next bound, or the top of the address space. */
		if (i + 1 < nb && elem_put(s, bd[i + 1].a, len, true, 0, NULL))
			goto out;
		elems += 2;
	}
	err = set_send(b, s, elems);
out:
	free(bd);
	if (s)
		nftnl_set_free(s);
	return err;
}

static bool dst_run_joins(const struct xm_filter_rule *a,
			  const struct xm_filter_rule *b)
{
	return !a->log && !b->log && b->to.kind == XM_SEL_ZONE &&
	       same_l4(a, b) && sel_eq(&a->from, &b->from);
}

/* The run's rule for family: r's matches but its zone, the map. */
static int dst_run_rule(struct xm_nft_batch *b, const struct xm_filter_rule *r,
			int ch, uint16_t family, const char *name)
{
	struct xm_filter_rule copy = *r;
	struct rb rb;

	copy.to = (struct xm_filter_sel){ 0 };
	rb.r = rule_new(chains[ch].name, "xmesh run");
	rb.ok = rb.r != NULL;
	matches(&rb, &copy, ch, family);
	payload(&rb, NFT_PAYLOAD_NETWORK_HEADER, addr_off(family, false),
		(uint32_t)xm_addr_len(family));
	lookup(&rb, name, true, NFT_REG_VERDICT);
	return rule_put(b, &rb);
}

/*
 * From rule *i of f in chain ch: a run of destination zones, as a map and
 * its rule for each family (one if the source is a prefix), *i past it;
 * 1 when there is none here.
 */
static int dst_run(struct xm_nft_batch *b, const struct xm_filter *f,
		   unsigned int *i, int ch, const struct xm_nft_view *v)
{
	static const uint16_t families[] = { AF_INET, AF_INET6 };
	const struct xm_filter_rule *r = &f->rules[*i], **run;
	unsigned int n, last, k;
	char name[24];
	int err;

	if (ch == CH_IN)
		return 1;
	err = map_run(f, *i, ch, v, dst_run_joins, &run, &n, &last);
	if (err)
		return err;
	for (k = 0; !err && k < 2; k++) {
		uint16_t family = families[k];

		if (r->from.kind == XM_SEL_PREFIX &&
		    r->from.addr.family != family)
			continue;
		snprintf(name, sizeof(name), "%s_%u_%c", chains[ch].name,
			 r->line, family == AF_INET ? '4' : '6');
		err = dst_map_put(b, name, run, n, v, family);
		if (!err)
			err = dst_run_rule(b, r, ch, family, name);
	}
	free(run);
	*i = last + 1;
	return err;
}

/*
 * From rule *i of f on in chain ch: a run, as one set and one rule, or
 * the rule alone; *i moves past what was put.
 */
static int run_or_rule(struct xm_nft_batch *b, const struct xm_filter *f,
		       unsigned int *i, int ch, const struct xm_nft_view *v)
{
	const struct xm_filter_rule *r = &f->rules[*i];
	const struct xm_filter_sel **sel;
	unsigned int j, n = 0, *line, last = *i;
	char name[24];
	bool from;
	int err;

	err = zone_run(b, f, i, ch, v);
	if (err <= 0)
		return err;
	err = dst_run(b, f, i, ch, v);
	if (err <= 0)
		return err;
	if (!in_chain(r, ch, v) || r->log ||
	    (r->from.kind != XM_SEL_PREFIX && r->to.kind != XM_SEL_PREFIX))
		goto single;
	from = r->from.kind == XM_SEL_PREFIX;
	/* Rules of other chains in between are not in this one's way. */
	for (j = *i; j < f->n_rules; j++) {
		if (!in_chain(&f->rules[j], ch, v))
			continue;
		if (!run_joins(r, &f->rules[j], from))
			break;
		n++;
		last = j;
	}
	if (n < RUN_MIN)
		goto single;
	sel = calloc(n, sizeof(*sel));
	line = calloc(n, sizeof(*line));
	if (!sel || !line) {
		free(sel);
		free(line);
		return -ENOMEM;
	}
	for (j = *i, n = 0; j <= last; j++)
		if (in_chain(&f->rules[j], ch, v))
			sel[n++] = run_sel(&f->rules[j], from);
	qsort(sel, n, sizeof(*sel), run_cmp);
	/* The lines, in the sorted order. */
	for (j = 0; j < n; j++)
		line[j] = f->rules[((const char *)sel[j] -
				    (const char *)(from ? &f->rules[0].from :
							  &f->rules[0].to)) /
				   sizeof(f->rules[0])].line;
	snprintf(name, sizeof(name), "%s_%u", chains[ch].name, r->line);
	err = run_set(b, name, sel, line, n);
	free(sel);
	free(line);
	if (err == -EEXIST)
		goto single;	/* overlapping prefixes: rules after all */
	if (err)
		return err;
	err = run_rule(b, r, ch, from, name);
	*i = last + 1;
	return err;
single:
	err = rule_chain(b, r, ch, v);
	(*i)++;
	return err;
}

int xm_nft_build(const struct xm_filter *f, const struct xm_nft_view *v,
		 uint32_t seq, struct xm_nft_batch *b)
{
	unsigned int i;
	int ch, err;

	/* Create, delete, create: whatever was there goes, atomically. */
	err = batch_start(b, seq);
	if (!err)
		err = put_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	if (!err)
		err = put_table(b, NFT_MSG_DELTABLE, 0);
	if (!err)
		err = put_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	if (!err)
		err = put_sets(b, f, v);
	for (ch = 0; !err && ch < CH_COUNT; ch++) {
		err = put_chain(b, ch, v->ifname);
		for (i = 0; !err && i < f->n_rules; )
			err = run_or_rule(b, f, &i, ch, v);
		if (!err)
			err = put_policy(b, ch, f->policy);
	}
	if (!err)
		err = batch_end(b);
	if (err)
		xm_nft_batch_free(b);
	return err;
}

/* ---- talking to nftables ------------------------------------------ */

static struct mnl_socket *nft_open(size_t sndbuf)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct timeval tv = { .tv_sec = 10 };
	int size = (int)sndbuf;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	/* A batch goes in one sendmsg: the socket must take it whole. */
	if (sndbuf)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE,
			   &size, sizeof(size));
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	return nl;
}

int xm_nft_commit(const struct xm_nft_batch *b, char *err, size_t err_len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = nft_open(b->len + 65536);
	ssize_t got;
	int ret = 0, n;

	if (!nl) {
		snprintf(err, err_len, "nftables: %s", strerror(errno));
		return -errno;
	}
	if (mnl_socket_sendto(nl, b->buf, b->len) < 0) {
		ret = -errno;
		snprintf(err, err_len, "nftables: sending %zu bytes: %s",
			 b->len, strerror(errno));
		goto out;
	}
	/* Errors of any message, then the last one's ack. */
	for (;;) {
		const struct nlmsghdr *nlh;

		got = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		n = (int)got;
		if (got < 0) {
			ret = -errno;
			snprintf(err, err_len, "nftables: no answer: %s",
				 strerror(errno));
			goto out;
		}
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, n);
		     nlh = mnl_nlmsg_next(nlh, &n)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error) {
				ret = e->error;
				snprintf(err, err_len,
					 "nftables refused the rules (message %u): %s",
					 nlh->nlmsg_seq, strerror(-e->error));
				goto out;
			}
			if (nlh->nlmsg_seq == b->last_seq)
				goto out;
		}
	}
out:
	mnl_socket_close(nl);
	return ret;
}

/* ---- counters ----------------------------------------------------- */

struct counters {
	struct xm_nft_count *v;
	size_t n, cap;
	int err;
};

static int expr_counter(struct nftnl_expr *e, void *data)
{
	uint64_t *pb = data;

	if (!strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "counter")) {
		pb[0] += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		pb[1] += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	}
	return 0;
}

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	const char **comment = data;

	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT)
		*comment = nftnl_udata_get(attr);
	return 0;
}

static int add_count(struct counters *c, unsigned int line,
		     const uint64_t pb[2])
{
	struct xm_nft_count *nv;
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (c->v[i].line == line) {
			c->v[i].packets += pb[0];
			c->v[i].bytes += pb[1];
			return 0;
		}
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		nv = realloc(c->v, c->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		c->v = nv;
	}
	c->v[c->n++] = (struct xm_nft_count){ line, pb[0], pb[1] };
	return 0;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct counters *c = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	const char *comment = NULL;
	uint64_t pb[2] = { 0, 0 };
	const void *ud;
	uint32_t ud_len;
	unsigned int line;

	if (!r)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0)
		goto done;
	if (strcmp(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), XM_NFT_TABLE))
		goto done;
	ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &ud_len);
	if (ud)
		nftnl_udata_parse(ud, ud_len, comment_cb, &comment);
	if (!comment)
		goto done;
	if (!strcmp(comment, POLICY_COMMENT))
		line = 0;
	else if (sscanf(comment, COMMENT_PREFIX "%u", &line) != 1)
		goto done;
	nftnl_expr_foreach(r, expr_counter, pb);
	if (add_count(c, line, pb))
		c->err = -ENOMEM;
done:
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static int count_cmp(const void *a, const void *b)
{
	const struct xm_nft_count *x = a, *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

/* Send a dump request and pass every answer to cb. 0 or -errno. */
static int dump(struct mnl_socket *nl, struct nlmsghdr *nlh,
		mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t portid = mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
	ssize_t len;
	int ret = 0;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while ((len = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, (size_t)len, seq, portid, cb, data);
		if (ret <= 0)
			break;
	}
	if (len < 0 || ret < 0)
		return -errno;
	return 0;
}

/* The names of the sets of runs ("in_12"...). */
struct set_names {
	char (*v)[NFT_SET_MAXNAMELEN];
	size_t n, cap;
};

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct set_names *sn = data;
	struct nftnl_set *s = nftnl_set_alloc();
	const char *name;
	void *nv;

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_nlmsg_parse(nlh, s) >= 0 &&
	    !strcmp(nftnl_set_get_str(s, NFTNL_SET_TABLE), XM_NFT_TABLE)) {
		name = nftnl_set_get_str(s, NFTNL_SET_NAME);
		if (name && (!strncmp(name, "in_", 3) ||
			     !strncmp(name, "out_", 4) ||
			     !strncmp(name, "fwd_", 4))) {
			if (sn->n == sn->cap) {
				sn->cap = sn->cap ? sn->cap * 2 : 8;
				nv = realloc(sn->v, sn->cap * sizeof(*sn->v));
				if (!nv) {
					nftnl_set_free(s);
					return MNL_CB_ERROR;
				}
				sn->v = nv;
			}
			snprintf(sn->v[sn->n++], sizeof(*sn->v), "%s", name);
		}
	}
	nftnl_set_free(s);
	return MNL_CB_OK;
}

static int elem_comment_cb(const struct nftnl_udata *attr, void *data)
{
	const char **comment = data;

	if (nftnl_udata_type(attr) == NFTNL_UDATA_SET_ELEM_COMMENT)
		*comment = nftnl_udata_get(attr);
	return 0;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	struct counters *c = data;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
		goto done;
	it = nftnl_set_elems_iter_create(s);
	if (!it)
		goto done;
	while ((e = nftnl_set_elems_iter_next(it))) {
		const char *comment = NULL;
		uint64_t pb[2] = { 0, 0 };
		unsigned int line;
		const void *ud;
		uint32_t ud_len;

		ud = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &ud_len);
		if (ud)
			nftnl_udata_parse(ud, ud_len, elem_comment_cb, &comment);
		if (!comment ||
		    sscanf(comment, COMMENT_PREFIX "%u", &line) != 1)
			continue;
		nftnl_set_elem_expr_foreach(e, expr_counter, pb);
		if (add_count(c, line, pb))
			c->err = -ENOMEM;
	}
	nftnl_set_elems_iter_destroy(it);
done:
	nftnl_set_free(s);
	return MNL_CB_OK;
}

int xm_nft_counters(struct xm_nft_count **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct counters c = { 0 };
	struct set_names sn = { 0 };
	struct mnl_socket *nl = nft_open(0);
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_set *s = nftnl_set_alloc();
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;
	size_t i;
	int ret = -ENOMEM;

	*out = NULL;
	*n = 0;
	if (!nl || !r || !s)
		goto out;
	nlh = nftnl_rule_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET,
					 NLM_F_DUMP, seq++);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, XM_NFT_TABLE);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	ret = dump(nl, nlh, rule_cb, &c);
	if (ret)
		goto out;
	nlh = nftnl_set_nlmsg_build_hdr(buf, NFT_MSG_GETSET, NFPROTO_INET,
					NLM_F_DUMP, seq++);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, XM_NFT_TABLE);
	nftnl_set_nlmsg_build_payload(nlh, s);
	ret = dump(nl, nlh, set_cb, &sn);
	for (i = 0; !ret && i < sn.n; i++) {
		nftnl_set_set_str(s, NFTNL_SET_NAME, sn.v[i]);
		nlh = nftnl_set_elem_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM,
						     NFPROTO_INET, NLM_F_DUMP,
						     seq++);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		ret = dump(nl, nlh, elems_cb, &c);
	}
	if (ret)
		goto out;
	ret = c.err;
	if (!ret && !c.n)
		ret = -ENOENT;
	if (!ret) {
		qsort(c.v, c.n, sizeof(*c.v), count_cmp);
		*out = c.v;
		*n = c.n;
		c.v = NULL;
	}
out:
	free(c.v);
	free(sn.v);
	if (r)
		nftnl_rule_free(r);
	if (s)
		nftnl_set_free(s);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}
