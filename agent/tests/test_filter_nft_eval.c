// SPDX-License-Identifier: GPL-2.0
/*
 * The nftables program xm_nft_build() writes decides as the rules file
 * says, first match wins: random rule sets (runs of rules that differ
 * only in their source zone, their source or destination prefix, among
 * others), each built into a batch, and random packets decided twice:
 *
 *   - by the rules, as Documentation/filter.md defines them (model());
 *   - by the batch: its sets, maps and rules, read back with libnftnl and
 *     run by a small interpreter of the expressions the builder uses, on
 *     the packet's bytes (nft_eval()), as the kernel would.
 *
 * Both must give the same verdict and the same line (the rule whose
 * counter counts the packet; 0: the policy). Runs merged into one set
 * or verdict map lookup are where a mistake would show; the nodes'
 * prefixes nest (node 6 holds 10.0.0.0/16), so a destination address
 * may be in two zones.
 */

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/xmesh.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tap.h"
#include "xmesh_filter_nft.h"
#include "xmesh_qos.h"

/* ---- a deterministic generator -------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned int rnd(unsigned int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng % n);
}

#define PICK(a) ((a)[rnd(sizeof(a) / sizeof((a)[0]))])

/* ---- the batch, read back -------------------------------------------- */

#define MAX_SETS	256
#define MAX_ELEMS	64
#define MAX_RULES	512

struct elem {
	uint8_t key[16];
	bool end;
	uint32_t verdict;
	unsigned int line;
};

struct set {
	char name[NFT_SET_MAXNAMELEN];
	uint32_t flags, key_len;
	struct elem e[MAX_ELEMS];
	size_t n;
};

struct prog {
	struct set sets[MAX_SETS];
	size_t n_sets;
	struct nftnl_rule *rules[3][MAX_RULES];	/* in, out, fwd */
	size_t n_rules[3];
	unsigned int zone_maps, dst_maps, prefix_sets;	/* runs merged */
};

static struct set *set_find(struct prog *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_sets; i++)
		if (!strcmp(p->sets[i].name, name))
			return &p->sets[i];
	return NULL;
}

static int udata_comment(const struct nftnl_udata *attr, void *data)
{
	const char **c = data;

	/* The rule's and an element's comment are both type 0. */
	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT)
		*c = nftnl_udata_get(attr);
	return 0;
}

static unsigned int comment_line(const void *ud, uint32_t len)
{
	const char *c = NULL;
	unsigned int line;

	if (!ud)
		return 0;
	nftnl_udata_parse(ud, len, udata_comment, &c);
	if (c && sscanf(c, "xmesh line %u", &line) == 1)
		return line;
	return 0;
}

/* Attribute nest a's attributes by type, up to max. */
static void nest_parse(const struct nlattr *a, const struct nlattr **tb,
		       int max)
{
	const struct nlattr *x;

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	mnl_attr_for_each_nested(x, a)
		if (mnl_attr_get_type(x) <= max)
			tb[mnl_attr_get_type(x)] = x;
}

/*
 * A NEWSETELEM message's elements, read with libmnl (libnftnl 1.2.4's
 * nftnl_set_elems_nlmsg_parse() refuses the messages it builds itself).
 */
static void elems_read(struct prog *p, const struct nlmsghdr *nlh)
{
	const struct nlattr *a, *el, *tb[NFTA_SET_ELEM_MAX + 1];
	const struct nlattr *d[NFTA_DATA_MAX + 1], *vd[NFTA_VERDICT_MAX + 1];
	struct set *set = NULL;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
			set = set_find(p, mnl_attr_get_str(a));
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (!set || mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a) {
			struct elem *x;

			if (set->n == MAX_ELEMS)
				return;
			x = &set->e[set->n++];
			nest_parse(el, tb, NFTA_SET_ELEM_MAX);
			if (tb[NFTA_SET_ELEM_KEY]) {
				nest_parse(tb[NFTA_SET_ELEM_KEY], d,
					   NFTA_DATA_MAX);
				if (d[NFTA_DATA_VALUE])
					memcpy(x->key,
					       mnl_attr_get_payload(d[NFTA_DATA_VALUE]),
					       mnl_attr_get_payload_len(d[NFTA_DATA_VALUE]));
			}
			x->end = tb[NFTA_SET_ELEM_FLAGS] &&
				 (ntohl(mnl_attr_get_u32(tb[NFTA_SET_ELEM_FLAGS])) &
				  NFT_SET_ELEM_INTERVAL_END);
			if (tb[NFTA_SET_ELEM_DATA]) {
				nest_parse(tb[NFTA_SET_ELEM_DATA], d,
					   NFTA_DATA_MAX);
				if (d[NFTA_DATA_VERDICT]) {
					nest_parse(d[NFTA_DATA_VERDICT], vd,
						   NFTA_VERDICT_MAX);
					if (vd[NFTA_VERDICT_CODE])
						x->verdict = ntohl(mnl_attr_get_u32(vd[NFTA_VERDICT_CODE]));
				}
			}
			if (tb[NFTA_SET_ELEM_USERDATA])
				x->line = comment_line(
					mnl_attr_get_payload(tb[NFTA_SET_ELEM_USERDATA]),
					mnl_attr_get_payload_len(tb[NFTA_SET_ELEM_USERDATA]));
		}
	}
}

static void prog_read(struct prog *p, const struct xm_nft_batch *b)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)b->buf;
	int left = (int)b->len;

	memset(p, 0, sizeof(*p));
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		uint16_t type = nlh->nlmsg_type & 0xff;

		if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN ||
		    nlh->nlmsg_type == NFNL_MSG_BATCH_END)
			continue;
		if (type == NFT_MSG_NEWSET && p->n_sets < MAX_SETS) {
			struct nftnl_set *s = nftnl_set_alloc();
			struct set *x = &p->sets[p->n_sets++];

			nftnl_set_nlmsg_parse(nlh, s);
			snprintf(x->name, sizeof(x->name), "%s",
				 nftnl_set_get_str(s, NFTNL_SET_NAME));
			x->flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
			x->key_len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
			if ((x->flags & NFT_SET_MAP) &&
			    (x->flags & NFT_SET_INTERVAL))
				p->dst_maps++;
			else if (x->flags & NFT_SET_MAP)
				p->zone_maps++;
			else if (!strncmp(x->name, "in_", 3) ||
				 !strncmp(x->name, "out_", 4) ||
				 !strncmp(x->name, "fwd_", 4))
				p->prefix_sets++;
			nftnl_set_free(s);
		} else if (type == NFT_MSG_NEWSETELEM) {
			elems_read(p, nlh);
		} else if (type == NFT_MSG_NEWRULE) {
			struct nftnl_rule *r = nftnl_rule_alloc();
			const char *ch;
			int c;

			nftnl_rule_nlmsg_parse(nlh, r);
			ch = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
			c = !strcmp(ch, "out") ? 1 : !strcmp(ch, "fwd") ? 2 : 0;
			if (p->n_rules[c] < MAX_RULES)
				p->rules[c][p->n_rules[c]++] = r;
			else
				nftnl_rule_free(r);
		}
	}
}

static void prog_free(struct prog *p)
{
	size_t c, i;

	for (c = 0; c < 3; c++)
		for (i = 0; i < p->n_rules[c]; i++)
			nftnl_rule_free(p->rules[c][i]);
}

/* ---- packets ----------------------------------------------------------- */

struct pkt {
	int ch;				/* 0 in, 1 out, 2 fwd */
	uint16_t family;
	uint32_t mark;
	struct xm_addr src, dst;
	uint8_t tclass;			/* in, fwd: as the sender chose */
	uint32_t priority;		/* skb->priority: tclass's in, fwd */
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t net[40], th[4];		/* the headers' bytes looked at */
};

static void pkt_bytes(struct pkt *p)
{
	size_t len = xm_addr_len(p->family);

	memset(p->net, 0, sizeof(p->net));
	memcpy(p->net + (p->family == AF_INET ? 12 : 8), p->src.raw, len);
	memcpy(p->net + (p->family == AF_INET ? 16 : 24), p->dst.raw, len);
	p->th[0] = (uint8_t)(p->sport >> 8);
	p->th[1] = (uint8_t)p->sport;
	p->th[2] = (uint8_t)(p->dport >> 8);
	p->th[3] = (uint8_t)p->dport;
}

/* ---- the interpreter --------------------------------------------------- */

/* Outcomes of a rule besides nftables' verdicts (all above -6). */
#define NO_MATCH	(-100)
#define UNKNOWN		(-101)	/* an expression it does not know */

/* Find key in set s: the element, or NULL. */
static const struct elem *set_lookup(const struct set *s, const uint8_t *key)
{
	const struct elem *best = NULL;
	size_t i;

	if (!(s->flags & NFT_SET_INTERVAL)) {
		for (i = 0; i < s->n; i++)
			if (!memcmp(s->e[i].key, key, s->key_len))
				return &s->e[i];
		return NULL;
	}
	/*
	 * The greatest bound at or below key: an interval's start, or an
	 * end; a start and an end at the same key (adjacent intervals): the
	 * start, as the kernel's rbtree finds it.
	 */
	for (i = 0; i < s->n; i++)
		if (memcmp(s->e[i].key, key, s->key_len) <= 0 &&
		    (!best || memcmp(s->e[i].key, best->key, s->key_len) > 0 ||
		     (!memcmp(s->e[i].key, best->key, s->key_len) &&
		      !s->e[i].end)))
			best = &s->e[i];
	return best && !best->end ? best : NULL;
}

/*
 * Rule r on packet p: NO_MATCH, NFT_CONTINUE (matched, no verdict) or
 * the verdict; *line the counter's line (0: none or the policy).
 */
static int rule_eval(struct prog *prog, struct nftnl_rule *r,
		     const struct pkt *p, const char *dev, int *line)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	uint8_t reg[16] = { 0 };
	unsigned int elem_line = 0;
	int ret = NFT_CONTINUE;
	uint32_t len;

	while ((e = nftnl_expr_iter_next(it))) {
		const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

		if (!strcmp(name, "meta")) {
			uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);

			memset(reg, 0, sizeof(reg));
			if (key == NFT_META_MARK)
				memcpy(reg, &p->mark, 4);
			else if (key == NFT_META_NFPROTO)
				reg[0] = p->family == AF_INET ? NFPROTO_IPV4 :
								NFPROTO_IPV6;
			else if (key == NFT_META_L4PROTO)
				reg[0] = p->proto;
			else if (key == NFT_META_PRIORITY)
				memcpy(reg, &p->priority, 4);
			else if (key == NFT_META_IIFNAME)
				snprintf((char *)reg, IFNAMSIZ, "%s",
					 p->ch == 1 ? "lo" : dev);
			else if (key == NFT_META_OIFNAME)
				snprintf((char *)reg, IFNAMSIZ, "%s",
					 p->ch == 0 ? "lo" :
					 p->ch == 1 ? dev : "eth0");
			else
				ret = UNKNOWN;
		} else if (!strcmp(name, "cmp")) {
			const void *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA,
						       &len);
			uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
			bool eq = !memcmp(reg, d, len);

			if (op == NFT_CMP_EQ ? !eq : eq) {
				ret = NO_MATCH;
				break;
			}
		} else if (!strcmp(name, "bitwise")) {
			const uint8_t *m = nftnl_expr_get(e,
					NFTNL_EXPR_BITWISE_MASK, &len);
			uint32_t i;

			for (i = 0; i < len; i++)
				reg[i] &= m[i];
		} else if (!strcmp(name, "payload")) {
			uint32_t base = nftnl_expr_get_u32(e,
						NFTNL_EXPR_PAYLOAD_BASE);
			uint32_t off = nftnl_expr_get_u32(e,
						NFTNL_EXPR_PAYLOAD_OFFSET);

			len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
			memset(reg, 0, sizeof(reg));
			memcpy(reg, (base == NFT_PAYLOAD_NETWORK_HEADER ?
				     p->net : p->th) + off, len);
		} else if (!strcmp(name, "range")) {
			uint32_t l2;
			const void *lo = nftnl_expr_get(e,
					NFTNL_EXPR_RANGE_FROM_DATA, &len);
			const void *hi = nftnl_expr_get(e,
					NFTNL_EXPR_RANGE_TO_DATA, &l2);

			if (memcmp(reg, lo, len) < 0 || memcmp(reg, hi, l2) > 0) {
				ret = NO_MATCH;
				break;
			}
		} else if (!strcmp(name, "lookup")) {
			struct set *s = set_find(prog, nftnl_expr_get_str(e,
						NFTNL_EXPR_LOOKUP_SET));
			const struct elem *x = s ? set_lookup(s, reg) : NULL;

			if (!x) {
				ret = s ? NO_MATCH : UNKNOWN;
				break;
			}
			elem_line = x->line;
			if (s->flags & NFT_SET_MAP) {
				ret = (int)x->verdict;
				break;
			}
		} else if (!strcmp(name, "ct")) {
			uint32_t st = NF_CT_STATE_BIT(IP_CT_NEW);

			memcpy(reg, &st, 4);
		} else if (!strcmp(name, "counter")) {
			const void *ud = nftnl_rule_get_data(r,
					NFTNL_RULE_USERDATA, &len);
			const char *c = NULL;

			if (ud)
				nftnl_udata_parse(ud, len, udata_comment, &c);
			*line = elem_line ? (int)elem_line :
				c && !strcmp(c, "xmesh policy") ? 0 :
				(int)comment_line(ud, len);
		} else if (!strcmp(name, "immediate")) {
			ret = (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
			break;
		} else if (strcmp(name, "limit") && strcmp(name, "log")) {
			ret = UNKNOWN;
			break;
		}
	}
	nftnl_expr_iter_destroy(it);
	/* A run's rule has no counter: its element counts. */
	if (ret != NO_MATCH && elem_line)
		*line = (int)elem_line;
	return ret;
}

/* The chain's verdict on p (NF_ACCEPT for what it returns) and line. */
static int nft_eval(struct prog *prog, const struct pkt *p, const char *dev,
		    int *line)
{
	size_t i;
	int v;

	for (i = 0; i < prog->n_rules[p->ch]; i++) {
		*line = -1;
		v = rule_eval(prog, prog->rules[p->ch][i], p, dev, line);
		if (v == NO_MATCH || v == NFT_CONTINUE)
			continue;
		if (v == NFT_RETURN) {
			*line = -1;
			return NF_ACCEPT;
		}
		return v;
	}
	*line = -1;
	return NF_ACCEPT;	/* the chain's policy */
}

/* ---- the model: the rules as filter.md says ---------------------------- */

static const uint8_t ch_dir[3] = { XM_DIR_IN, XM_DIR_OUT, XM_DIR_FORWARD };

static bool in_prefix(const struct xm_addr *a, const struct xm_addr *p,
		      uint8_t len)
{
	struct xm_addr m = *a;

	if (a->family != p->family)
		return false;
	xm_addr_mask(&m, len);
	return !memcmp(m.raw, p->raw, xm_addr_len(a->family));
}

static const struct xm_nft_node *node_of(const struct xm_nft_view *v,
					 uint32_t id)
{
	size_t i;

	for (i = 0; i < v->n_nodes; i++)
		if (v->nodes[i].id == id)
			return &v->nodes[i];
	return NULL;
}

static bool mesh_sel(const struct xm_filter_sel *s, uint16_t zone,
		     uint16_t roles)
{
	return s->kind == XM_SEL_ZONE ? zone == s->zone :
				       (roles >> s->role) & 1;
}

static bool sel_match(const struct xm_filter_sel *s, bool from,
		      const struct pkt *p, const struct xm_nft_view *v)
{
	const struct xm_nft_node *self = node_of(v, v->self);
	size_t i;

	switch (s->kind) {
	case XM_SEL_ANY:
		return true;
	case XM_SEL_PREFIX:
		return in_prefix(from ? &p->src : &p->dst, &s->addr, s->len);
	}
	/* This node's own, when it is the source (out) or destination (in). */
	if ((from && p->ch == 1) || (!from && p->ch == 0))
		return mesh_sel(s, self ? self->zone : 0,
				self ? self->roles : 0);
	if (from)
		return mesh_sel(s, (uint16_t)(p->mark >> 16),
				(uint16_t)p->mark);
	/* A destination: an address of a node of the zone or role. */
	for (i = 0; i < v->n_prefixes; i++) {
		const struct xm_nft_node *n = node_of(v, v->prefixes[i].node);

		if (in_prefix(&p->dst, &v->prefixes[i].addr,
			      v->prefixes[i].len) &&
		    mesh_sel(s, n ? n->zone : 0, n ? n->roles : 0))
			return true;
	}
	return false;
}

static bool ports_in(uint16_t port, uint16_t min, uint16_t max)
{
	return !max || (port >= min && port <= max);
}

static int model(const struct xm_filter *f, const struct pkt *p,
		 const struct xm_nft_view *v, int *line)
{
	unsigned int i;

	for (i = 0; i < f->n_rules; i++) {
		const struct xm_filter_rule *r = &f->rules[i];

		if (!(r->dir & ch_dir[p->ch]) ||
		    !sel_match(&r->from, true, p, v) ||
		    !sel_match(&r->to, false, p, v) ||
		    (r->tclass && r->tclass != xm_tclass_sent(p->tclass)) ||
		    (r->proto && r->proto != p->proto) ||
		    !ports_in(p->sport, r->sport_min, r->sport_max) ||
		    !ports_in(p->dport, r->dport_min, r->dport_max))
			continue;
		*line = (int)r->line;
		return r->verdict == XM_FILTER_ALLOW ? NF_ACCEPT : NF_DROP;
	}
	*line = 0;
	return f->policy == XMESH_ZONE_DENY ? NF_DROP : NF_ACCEPT;
}

/* ---- random rule sets ---------------------------------------------------- */

static const char *const zones[] = { "a", "b", "c", "d", "e" };
static const char *const roles[] = { "r0", "r1", "r2", "r3" };
static const char *const prefixes_pool[] = {
	"10.0.1.0/24", "10.0.2.0/24", "10.0.1.7/32", "10.0.0.0/16",
	"10.0.3.5/32", "fd00:1::/64", "fd00:2::1/128", "10.200.0.0/24",
};
static const char *const hosts[] = {
	"10.200.0.1/32", "10.200.0.2/32", "10.200.0.3/32", "10.200.0.4/32",
	"10.200.0.5/32", "10.200.0.6/32", "10.0.1.7/32", "10.0.2.0/25",
};
static const char *const addrs[] = {
	"10.0.1.7", "10.0.1.9", "10.0.2.3", "10.0.3.5", "10.0.5.1",
	"10.200.0.1", "10.200.0.3", "10.200.0.6", "192.168.0.1",
	"fd00:1::5", "fd00:2::1", "fd00:3::1", "fd00:6::9",
};
static const uint16_t ports_pool[] = { 1, 9, 80, 443, 1000, 5432 };

struct tmpl {
	const char *verdict, *dir, *tclass, *proto, *sport, *dport, *log;
	char from[48], to[48];
};

static void sel_rand(char *buf, size_t len)
{
	switch (rnd(4)) {
	case 0:
		buf[0] = '\0';
		break;
	case 1:
		snprintf(buf, len, "zone %s", PICK(zones));
		break;
	case 2:
		snprintf(buf, len, "role %s", PICK(roles));
		break;
	default:
		snprintf(buf, len, "%s", PICK(prefixes_pool));
	}
}

static void tmpl_rand(struct tmpl *t)
{
	static const char *const dirs[] = { "", "dir in", "dir out",
					    "dir forward" };
	static const char *const protos[] = { "", "proto tcp", "proto udp",
					      "proto icmp" };
	static const char *const ports[] = { "", "", "9", "80", "80-443",
					     "1000-2000", "1-100" };
	static const char *const classes[] = { "", "", "", "class bulk",
					       "class realtime",
					       "class interactive" };

	t->verdict = rnd(2) ? "allow" : "deny";
	t->dir = PICK(dirs);
	t->tclass = PICK(classes);
	t->proto = PICK(protos);
	t->sport = t->dport = "";
	if (!strcmp(t->proto, "proto tcp") || !strcmp(t->proto, "proto udp")) {
		t->sport = rnd(4) ? "" : PICK(ports);
		t->dport = PICK(ports);
	}
	t->log = rnd(8) ? "" : "log";
	sel_rand(t->from, sizeof(t->from));
	sel_rand(t->to, sizeof(t->to));
}

/* The rules file wants a rule's prefixes of one family. */
static void tmpl_fix(struct tmpl *t)
{
	bool f6 = strchr(t->from, ':'), t6 = strchr(t->to, ':');
	bool fp = strchr(t->from, '/'), tp = strchr(t->to, '/');

	if (fp && tp && f6 != t6)
		t->to[0] = '\0';
	if (!strcmp(t->dir, "dir out"))	/* no class known out */
		t->tclass = "";
}

static int tmpl_put(char *buf, size_t len, const struct tmpl *t)
{
	return snprintf(buf, len, "%s %s %s%s %s%s %s %s %s%s %s%s %s\n",
			t->verdict, t->dir, t->from[0] ? "from " : "", t->from,
			t->to[0] ? "to " : "", t->to, t->tclass, t->proto,
			t->sport[0] ? "sport " : "", t->sport,
			t->dport[0] ? "dport " : "", t->dport, t->log);
}

/* A rules file: templates, each repeated varying one thing (runs). */
static void rules_rand(char *buf, size_t len)
{
	size_t off = 0;
	unsigned int i, k, n = 1 + rnd(12);
	struct tmpl t;

	off += (size_t)snprintf(buf + off, len - off,
		"zone a 10\nzone b 20\nzone c 30\nzone d 40\nzone e 50\n"
		"role r0 0\nrole r1 1\nrole r2 2\nrole r3 3\npolicy %s\n",
		rnd(2) ? "allow" : "deny");
	for (i = 0; i < n && off < len - 512; i++) {
		unsigned int kind = rnd(5), reps = 1 + rnd(6);

		tmpl_rand(&t);
		for (k = 0; k < reps && off < len - 512; k++) {
			if (kind == 0) {	/* source zones, any verdict */
				snprintf(t.from, sizeof(t.from), "zone %s",
					 PICK(zones));
				t.verdict = rnd(2) ? "allow" : "deny";
			} else if (kind == 1) {	/* source prefixes */
				snprintf(t.from, sizeof(t.from), "%s",
					 PICK(hosts));
			} else if (kind == 2) {	/* destination prefixes */
				snprintf(t.to, sizeof(t.to), "%s",
					 PICK(hosts));
			} else if (kind == 3) {	/* destination zones */
				snprintf(t.to, sizeof(t.to), "zone %s",
					 PICK(zones));
				t.verdict = rnd(2) ? "allow" : "deny";
			}
			if (kind < 4 && rnd(5))
				t.log = "";
			tmpl_fix(&t);
			off += (size_t)tmpl_put(buf + off, len - off, &t);
		}
	}
}

/* Nodes 1 (this one) to 6, random zones and roles; node 6 is 10.0.0.0/16. */
static struct xm_nft_node nodes[6];
static struct xm_nft_prefix prefixes[11];

static void view_rand(struct xm_nft_view *v)
{
	static const uint16_t zone_ids[] = { 0, 10, 20, 30, 40, 50 };
	char s[32];
	size_t i, n = 0;

	for (i = 0; i < 6; i++)
		nodes[i] = (struct xm_nft_node){ (uint32_t)i + 1,
						 PICK(zone_ids),
						 (uint16_t)rnd(16) };
	for (i = 0; i < 5; i++) {
		snprintf(s, sizeof(s), "10.0.%zu.0/24", i + 1);
		xm_parse_prefix(s, &prefixes[n].addr, &prefixes[n].len);
		prefixes[n++].node = (uint32_t)i + 1;
		snprintf(s, sizeof(s), "fd00:%zu::/64", i + 1);
		xm_parse_prefix(s, &prefixes[n].addr, &prefixes[n].len);
		prefixes[n++].node = (uint32_t)i + 1;
	}
	xm_parse_prefix("10.0.0.0/16", &prefixes[n].addr, &prefixes[n].len);
	prefixes[n++].node = 6;
	*v = (struct xm_nft_view){ .ifname = "xmesh0", .self = 1,
				   .nodes = nodes, .n_nodes = 6,
				   .prefixes = prefixes, .n_prefixes = n };
}

static void pkt_rand(struct pkt *p)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP,
					  IPPROTO_ICMP };
	static const uint16_t zone_ids[] = { 0, 10, 20, 30, 40, 50, 60 };

	memset(p, 0, sizeof(*p));
	p->ch = (int)rnd(3);
	p->family = rnd(2) ? AF_INET : AF_INET6;
	do
		xm_parse_addr(PICK(addrs), &p->src, NULL);
	while (p->src.family != p->family);
	do
		xm_parse_addr(PICK(addrs), &p->dst, NULL);
	while (p->dst.family != p->family);
	p->mark = (uint32_t)PICK(zone_ids) << XMESH_MARK_ZONE_SHIFT | rnd(16);
	/* Out, the application's priority; in and fwd, the class's. */
	p->tclass = (uint8_t)rnd(XMESH_TC_NETWORK_CONTROL + 1);
	p->priority = p->ch == 1 ? rnd(8) : xm_tclass_priority(p->tclass);
	p->proto = PICK(protos);
	p->sport = PICK(ports_pool);
	p->dport = PICK(ports_pool);
	pkt_bytes(p);
}

static void differential(void)
{
	static char text[16384];
	unsigned int sets, pkts = 0, wrong = 0, unknown = 0;
	unsigned int zone_maps = 0, dst_maps = 0, prefix_sets = 0, merged = 0;
	static struct prog prog;

	for (sets = 0; sets < 400; sets++) {
		struct xm_filter f;
		struct xm_nft_view v;
		struct xm_nft_batch b;
		char err[160], ps[2][INET6_ADDRSTRLEN];
		unsigned int k;

		rules_rand(text, sizeof(text));
		view_rand(&v);
		if (xm_filter_parse(text, &f, err, sizeof(err))) {
			ok(false, "random rules parse: %s\n%s", err, text);
			xm_filter_free(&f);
			return;
		}
		if (xm_nft_build(&f, &v, 1, &b)) {
			ok(false, "random rules build");
			xm_filter_free(&f);
			return;
		}
		prog_read(&prog, &b);
		zone_maps += prog.zone_maps;
		dst_maps += prog.dst_maps;
		prefix_sets += prog.prefix_sets;
		merged += prog.zone_maps || prog.dst_maps || prog.prefix_sets;
		for (k = 0; k < 300; k++) {
			struct pkt p;
			int want_line, got_line;
			int want, got;

			pkt_rand(&p);
			want = model(&f, &p, &v, &want_line);
			got = nft_eval(&prog, &p, "xmesh0", &got_line);
			pkts++;
			if (got < 0) {
				unknown++;
				continue;
			}
			if (got == want && got_line == want_line)
				continue;
			if (!wrong++) {
				inet_ntop(p.family, p.src.raw, ps[0],
					  sizeof(ps[0]));
				inet_ntop(p.family, p.dst.raw, ps[1],
					  sizeof(ps[1]));
				ok(false, "first difference: chain %d %s -> %s mark 0x%08x proto %u %u -> %u: rules %s line %d, nftables %s line %d\n%s",
				   p.ch, ps[0], ps[1], p.mark, p.proto, p.sport,
				   p.dport, want == NF_ACCEPT ? "accept" : "drop",
				   want_line, got == NF_ACCEPT ? "accept" :
				   got == NF_DROP ? "drop" : "?", got_line,
				   text);
			}
		}
		prog_free(&prog);
		xm_nft_batch_free(&b);
		xm_filter_free(&f);
	}
	is_int(unknown, 0, "the interpreter knows every expression built");
	ok(wrong == 0, "%u packets on 400 random rule sets: nftables decides as the rules, same verdict and line (%u differ)",
	   pkts, wrong);
	ok(zone_maps > 100, "source zone runs became verdict maps (%u)",
	   zone_maps);
	ok(dst_maps > 100, "destination zone runs became interval maps (%u)",
	   dst_maps);
	ok(prefix_sets > 50, "prefix runs became sets (%u)", prefix_sets);
	ok(merged > 200, "rule sets with a merged run: %u of 400", merged);
}

/*
 * A run of source zones, by hand: one map for lines 5-9 in chain in,
 * zone b twice (line 8 shadowed by line 6), two verdicts.
 */
static const char zone_rules[] =
	"zone a 10\nzone b 20\nzone c 30\nzone d 40\n"	/* 1-4 */
	"deny dir in from zone a proto udp dport 9\n"	/* 5 */
	"allow dir in from zone b proto udp dport 9\n"
	"deny dir in from zone c proto udp dport 9\n"
	"deny dir in from zone b proto udp dport 9\n"	/* shadowed */
	"allow dir in from zone d proto udp dport 9\n"
	"deny dir in proto udp dport 9\n";		/* 10 */

static void zone_map(void)
{
	struct xm_nft_view v = { .ifname = "xmesh0", .self = 1 };
	struct xm_nft_batch b;
	struct xm_filter f;
	static struct prog prog;
	struct set *s;
	char err[160];
	struct pkt p = { .ch = 0, .family = AF_INET, .proto = IPPROTO_UDP,
			 .dport = 9 };
	int line, v1;

	xm_parse_addr("10.0.0.1", &p.src, NULL);
	xm_parse_addr("10.0.0.2", &p.dst, NULL);
	pkt_bytes(&p);
	is_int(xm_filter_parse(zone_rules, &f, err, sizeof(err)), 0,
	       "zones: parse");
	xm_nft_build(&f, &v, 1, &b);
	prog_read(&prog, &b);
	s = set_find(&prog, "in_5");
	ok(s && (s->flags & NFT_SET_MAP) && s->n == 4,
	   "zones: lines 5-9 are map in_5 of 4 zones (b once)");
	/* in: iifname, ct, the map's rule, line 10, policy */
	is_int(prog.n_rules[0], 5, "zones: one rule for the run in chain in");
	p.mark = 20u << 16;
	v1 = nft_eval(&prog, &p, "xmesh0", &line);
	ok(v1 == NF_ACCEPT && line == 6, "zones: b is allowed by line 6");
	p.mark = 30u << 16 | 0xf;
	v1 = nft_eval(&prog, &p, "xmesh0", &line);
	ok(v1 == NF_DROP && line == 7, "zones: c (any roles) denied by line 7");
	p.mark = 50u << 16;
	v1 = nft_eval(&prog, &p, "xmesh0", &line);
	ok(v1 == NF_DROP && line == 10,
	   "zones: another zone goes on past the map to line 10");
	prog_free(&prog);
	xm_nft_batch_free(&b);
	xm_filter_free(&f);
}

int main(void)
{
	zone_map();
	differential();
	return tap_done();
}
