// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh qos: traffic classes (rate caps, counters), the DSCP and priority
 * maps and the classifier rules of an xmesh device, and the queueing tree
 * on underlay links (lib/xmesh_qdisc.h; xmeshd keeps one on each link it
 * uses, "qos link" sets one by hand).
 */
#include "tool.h"

#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmesh_qdisc.h"
#include "xmesh_qos.h"

void usage_qos(FILE *fp)
{
	fputs("Usage: xmesh qos [ show ] [ dev DEV ]\n"
	      "       xmesh qos set [ dev DEV ] [ tclass CLASS [ rate RATE ] [ burst SIZE ] ]...\n"
	      "                     [ dscp DSCP CLASS ]... [ priority PRIO { CLASS | none } ]...\n"
	      "       xmesh qos rule [ show ] [ dev DEV ]\n"
	      "       xmesh qos rule { add | replace } id ID tclass CLASS [ to PREFIX ]\n"
	      "                      [ proto PROTO ] [ dport PORT[-PORT] ] [ sport PORT[-PORT] ]\n"
	      "                      [ dev DEV ]\n"
	      "       xmesh qos rule del id ID [ dev DEV ]\n"
	      "       xmesh qos rule flush [ dev DEV ]\n"
	      "       xmesh qos link LINK { on [ rate RATE ] | off }\n"
	      "CLASS := { network-control | realtime | interactive | bulk }\n"
	      "RATE := NUMBER[ kbit | mbit | gbit | bps | kbps | mbps ] (bits/s, or bytes/s\n"
	      "        with bps), 0 for no cap    SIZE := bytes[ k | m ]\n"
	      "DSCP := 0..63 or CS0..CS7, AF11..AF43, EF, VA    PRIO := 0..15\n"
	      "Rules are tried by increasing id; the first match wins, before the\n"
	      "priority and DSCP maps. With -s, show adds the class counters and the\n"
	      "queues of each underlay link with an xmesh tree.\n", fp);
}

/* ---- values ------------------------------------------------------- */

static int arg_rate(const char *s, uint64_t *out)
{
	if (!xm_parse_rate(s, out))
		return XM_EXIT_OK;
	pr_err("invalid rate \"%s\": expected e.g. 10mbit, 1gbit or 0.", s);
	return XM_EXIT_USAGE;
}

static int arg_size(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end != s && !errno && *s != '-') {
		if (!strcasecmp(end, "k") || !strcasecmp(end, "kb"))
			v *= 1024;
		else if (!strcasecmp(end, "m") || !strcasecmp(end, "mb"))
			v *= 1024 * 1024;
		else if (*end)
			v = UINT64_MAX;
		if (v <= UINT32_MAX) {
			*out = (uint32_t)v;
			return XM_EXIT_OK;
		}
	}
	pr_err("invalid size \"%s\": expected bytes, e.g. 30000 or 64k.", s);
	return XM_EXIT_USAGE;
}

int arg_tclass(const char *s, uint8_t *out)
{
	int tc = xm_tclass_parse(s);

	if (tc < 0) {
		pr_err("invalid traffic class \"%s\": expected network-control, realtime, interactive or bulk.",
		       s);
		return XM_EXIT_USAGE;
	}
	*out = (uint8_t)tc;
	return XM_EXIT_OK;
}

static int arg_dscp(const char *s, uint8_t *out)
{
	uint32_t v;

	if (!strcasecmp(s, "ef")) {
		*out = 46;
	} else if (!strcasecmp(s, "va")) {
		*out = 44;
	} else if (!strcasecmp(s, "default") || !strcasecmp(s, "df")) {
		*out = 0;
	} else if (!strncasecmp(s, "cs", 2) && s[2] >= '0' && s[2] <= '7' &&
		   !s[3]) {
		*out = (uint8_t)((s[2] - '0') << 3);
	} else if (!strncasecmp(s, "af", 2) && s[2] >= '1' && s[2] <= '4' &&
		   s[3] >= '1' && s[3] <= '3' && !s[4]) {
		*out = (uint8_t)(((s[2] - '0') << 3) | ((s[3] - '0') << 1));
	} else if (!xm_parse_u32(s, 0, 63, &v)) {
		*out = (uint8_t)v;
	} else {
		pr_err("invalid DSCP \"%s\": expected 0..63 or a name (EF, CS6, AF41...).",
		       s);
		return XM_EXIT_USAGE;
	}
	return XM_EXIT_OK;
}

static int arg_proto(const char *s, uint8_t *out)
{
	const struct protoent *p;
	uint32_t v;

	if (!xm_parse_u32(s, 1, 255, &v)) {
		*out = (uint8_t)v;
		return XM_EXIT_OK;
	}
	p = getprotobyname(s);
	if (p && p->p_proto > 0 && p->p_proto < 256) {
		*out = (uint8_t)p->p_proto;
		return XM_EXIT_OK;
	}
	pr_err("invalid protocol \"%s\": expected a name (udp, tcp...) or 1..255.",
	       s);
	return XM_EXIT_USAGE;
}

static int arg_ports(const char *s, uint16_t *lo, uint16_t *hi)
{
	char buf[16], *dash;
	int ret;

	if (strlen(s) >= sizeof(buf)) {
		pr_err("invalid port range \"%s\".", s);
		return XM_EXIT_USAGE;
	}
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	ret = arg_u16("port", buf, 1, UINT16_MAX, lo);
	if (!ret)
		ret = dash ? arg_u16("port", dash + 1, 1, UINT16_MAX, hi) :
			     (*hi = *lo, XM_EXIT_OK);
	if (!ret && *hi < *lo) {
		pr_err("invalid port range \"%s\": the last port is below the first.",
		       s);
		ret = XM_EXIT_USAGE;
	}
	return ret;
}

/* "10Mbit", as tc prints rates. */
static const char *rate_str(uint64_t bytes, char *buf, size_t len)
{
	double bits = (double)bytes * 8;

	if (bits >= 1e9)
		snprintf(buf, len, "%gGbit", bits / 1e9);
	else if (bits >= 1e6)
		snprintf(buf, len, "%gMbit", bits / 1e6);
	else if (bits >= 1e3)
		snprintf(buf, len, "%gKbit", bits / 1e3);
	else
		snprintf(buf, len, "%gbit", bits);
	return buf;
}

static int kernel_err(struct nlc_error *e)
{
	pr_nl_err(e);
	return XM_EXIT_FAIL;
}

/* ---- show --------------------------------------------------------- */

static void print_rate(struct out *o, const char *key, const char *label,
		       uint64_t rate)
{
	char buf[32];

	if (o->json)
		out_uint(o, key, NULL, rate);
	else if (rate)
		out_str(o, NULL, label, rate_str(rate, buf, sizeof(buf)));
}

static void print_tclass(struct out *o, const struct xm_tclass *t, bool stats)
{
	out_obj_begin(o, NULL);
	out_str(o, "tclass", "tclass", xm_tclass_name(t->id) ?: "?");
	out_uint(o, "dscp", "dscp", t->dscp);
	out_uint(o, "priority", "priority", t->priority);
	print_rate(o, "rate", "rate", t->rate);
	if (t->rate || o->json)
		out_uint(o, "burst", "burst", t->burst);
	if (stats) {
		out_uint(o, "packets", "packets", t->packets);
		out_uint(o, "bytes", "bytes", t->bytes);
		out_uint(o, "drops", "drops", t->drops);
	}
	out_obj_end(o);
	out_nl(o);
}

/* The map as "CLASS: DSCP DSCP ..." lines, or a JSON array of names. */
static void print_map(struct out *o, const char *key, const char *label,
		      const uint8_t *map, size_t n)
{
	size_t i;
	int tc;

	if (o->json) {
		out_arr_begin(o, key);
		for (i = 0; i < n; i++)
			out_str(o, NULL, "", xm_tclass_name(map[i]) ?: "none");
		out_arr_end(o);
		return;
	}
	for (tc = XMESH_TC_NETWORK_CONTROL; tc >= XMESH_TC_BULK; tc--) {
		if (!memchr(map, tc, n))
			continue;
		out_text(o, "%s %s:", label, xm_tclass_name((uint8_t)tc));
		for (i = 0; i < n; i++)
			if (map[i] == tc)
				out_text(o, " %zu", i);
		out_nl(o);
	}
}

/* "dport 5000-5009"; JSON dport_min and dport_max. Nothing if max is 0. */
static void print_ports(struct out *o, const char *what, uint16_t min,
			uint16_t max)
{
	char key[16];

	if (!max)
		return;
	if (o->json) {
		snprintf(key, sizeof(key), "%s_min", what);
		out_uint(o, key, NULL, min);
		snprintf(key, sizeof(key), "%s_max", what);
		out_uint(o, key, NULL, max);
	} else if (min == max) {
		out_uint(o, NULL, what, min);
	} else {
		out_text(o, " %s %u-%u", what, min, max);
	}
}

static void print_rule(struct out *o, const struct xm_qos_rule *r)
{
	const struct protoent *p;
	char buf[80];

	out_obj_begin(o, NULL);
	out_uint(o, "id", "rule", r->id);
	if (XM_HAS(r, XMESH_QOS_RULE_A_FAMILY))
		out_str(o, "to", "to",
			xm_prefix_str(&r->addr, r->len, buf, sizeof(buf)));
	if (r->protocol) {
		p = getprotobynumber(r->protocol);
		if (p)
			out_str(o, "proto", "proto", p->p_name);
		else
			out_uint(o, "proto", "proto", r->protocol);
	}
	print_ports(o, "dport", r->port_min, r->port_max);
	print_ports(o, "sport", r->sport_min, r->sport_max);
	out_str(o, "tclass", "tclass", xm_tclass_name(r->tclass) ?: "?");
	out_obj_end(o);
	out_nl(o);
}

static void print_tree(struct out *o, const char *link,
		       const struct xmq_tree *t, bool stats)
{
	int b;

	out_obj_begin(o, NULL);
	out_str(o, "link", "link", link);
	out_str(o, "tree", "tree", t->shaped ? "htb+prio" :
				   t->under_tbf ? "tbf+prio" : "prio");
	print_rate(o, "rate", "rate", t->rate);
	out_nl(o);
	if (stats) {
		out_arr_begin(o, "bands");
		for (b = 0; b < XMQ_BANDS; b++) {
			const struct xmq_band *s = &t->band[b];

			out_obj_begin(o, NULL);
			out_text(o, "  ");
			out_str(o, "tclass", "tclass",
				xm_tclass_name(s->tclass));
			out_uint(o, "qlen", "qlen", s->qlen);
			out_uint(o, "backlog", "backlog", s->backlog);
			out_uint(o, "packets", "packets", s->packets);
			out_uint(o, "bytes", "bytes", s->bytes);
			out_uint(o, "drops", "drops", s->drops);
			out_obj_end(o);
			out_nl(o);
		}
		out_arr_end(o);
	}
	out_obj_end(o);
}

/* The underlay links that carry an xmesh tree. */
static void print_trees(struct out *o, bool stats)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	struct xmq_tree t;

	out_arr_begin(o, "links");
	for (i = ifs; i && i->if_index; i++)
		if (!xmq_read(i->if_index, &t) && t.installed)
			print_tree(o, i->if_name, &t, stats);
	out_arr_end(o);
	if (ifs)
		if_freenameindex(ifs);
}

static int parse_dev_word(int *argc, char ***argv, const char **dev)
{
	if (!strcmp((*argv)[0], "dev"))
		return arg_dev(argc, argv, dev);
	return arg_unknown((*argv)[0], usage_qos);
}

/* A command that takes only "[ dev DEV ]": the device and the handle. */
static int dev_only(struct ctx *c, int argc, char **argv, const char **dev,
		    struct xmnl **nl)
{
	int ret;

	*dev = NULL;
	for (; argc > 0; argc--, argv++) {
		ret = parse_dev_word(&argc, &argv, dev);
		if (ret)
			return ret;
	}
	*dev = ctx_dev(c, *dev);
	*nl = ctx_nl(c);
	return *nl ? XM_EXIT_OK : XM_EXIT_FAIL;
}

static int qos_show(struct ctx *c, int argc, char **argv)
{
	struct xm_list rules = { 0 };
	const char *dev = NULL;
	struct nlc_error e;
	struct out *o = &c->out;
	struct xmnl *nl;
	struct xm_qos q;
	size_t i;
	int ret;

	ret = dev_only(c, argc, argv, &dev, &nl);
	if (ret)
		return ret;
	if (xmnl_qos_get(nl, 0, dev, &q, &e) ||
	    xmnl_qos_rules(nl, 0, dev, &rules, &e)) {
		xm_list_free(&rules);
		return kernel_err(&e);
	}

	out_list_begin(o);
	out_obj_begin(o, NULL);
	out_str(o, "dev", "dev", dev);
	out_nl(o);
	out_arr_begin(o, "tclasses");
	for (i = 0; i < q.n_tclass; i++)
		print_tclass(o, &q.tclass[i], c->stats);
	out_arr_end(o);
	print_map(o, "dscp_map", "dscp", q.dscp_map, sizeof(q.dscp_map));
	print_map(o, "prio_map", "priority", q.prio_map, sizeof(q.prio_map));
	out_arr_begin(o, "rules");
	for (i = 0; i < rules.n; i++)
		print_rule(o, &rules.v[i].qos_rule);
	out_arr_end(o);
	print_trees(o, c->stats);
	out_obj_end(o);
	out_list_end(o);
	xm_list_free(&rules);
	return XM_EXIT_OK;
}

/* ---- set ---------------------------------------------------------- */

static struct xm_tclass *tclass_slot(struct xm_qos *q, uint8_t id)
{
	unsigned int i;

	for (i = 0; i < q->n_tclass; i++)
		if (q->tclass[i].id == id)
			return NULL;	/* given twice */
	q->tclass[q->n_tclass].id = id;
	return &q->tclass[q->n_tclass++];
}

/*
 * The words of qos set into q; the maps start from the device's (cur), so
 * "dscp 46 bulk" changes one entry.
 */
static int parse_set(int argc, char **argv, const struct xm_qos *cur,
		     struct xm_qos *q, const char **dev)
{
	struct xm_tclass *t = NULL;
	uint8_t dscp, tc;
	uint32_t prio;
	int ret;

	memset(q, 0, sizeof(*q));
	memcpy(q->dscp_map, cur->dscp_map, sizeof(q->dscp_map));
	memcpy(q->prio_map, cur->prio_map, sizeof(q->prio_map));
	for (; argc > 0; argc--, argv++) {
		const char *kw = argv[0];

		if (!strcmp(kw, "tclass")) {
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			ret = arg_tclass(argv[0], &tc);
			if (ret)
				return ret;
			t = tclass_slot(q, tc);
			if (!t)
				return arg_dup(argv[0]);
		} else if (!strcmp(kw, "rate") || !strcmp(kw, "burst")) {
			if (!t) {
				pr_err("\"%s\" needs a \"tclass CLASS\" before it.",
				       kw);
				return XM_EXIT_USAGE;
			}
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			if (kw[0] == 'r') {
				ret = arg_rate(argv[0], &t->rate);
				XM_SET(t, XMESH_TCLASS_A_RATE);
			} else {
				ret = arg_size(argv[0], &t->burst);
				XM_SET(t, XMESH_TCLASS_A_BURST);
			}
			if (ret)
				return ret;
		} else if (!strcmp(kw, "dscp")) {
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			ret = arg_dscp(argv[0], &dscp);
			if (!ret && !next_arg(&argc, &argv))
				ret = XM_EXIT_USAGE;
			if (!ret)
				ret = arg_tclass(argv[0], &q->dscp_map[dscp]);
			if (ret)
				return ret;
			XM_SET(q, XMESH_QOS_A_DSCP_MAP);
		} else if (!strcmp(kw, "priority")) {
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			ret = arg_u32("priority", argv[0], 0, 15, &prio);
			if (!ret && !next_arg(&argc, &argv))
				ret = XM_EXIT_USAGE;
			if (ret)
				return ret;
			if (!strcmp(argv[0], "none"))
				q->prio_map[prio] = XMESH_QOS_PRIO_NONE;
			else if ((ret = arg_tclass(argv[0], &q->prio_map[prio])))
				return ret;
			XM_SET(q, XMESH_QOS_A_PRIO_MAP);
		} else {
			ret = parse_dev_word(&argc, &argv, dev);
			if (ret)
				return ret;
		}
	}
	if (!q->n_tclass && !q->present) {
		pr_err("qos set: nothing to set.");
		return XM_EXIT_USAGE;
	}
	return XM_EXIT_OK;
}

static int qos_set(struct ctx *c, int argc, char **argv)
{
	const char *dev = NULL;
	struct xm_qos cur, q;
	struct nlc_error e;
	struct xmnl *nl;
	int ret, i;

	/* The device first: the maps are edited from its current ones. */
	for (i = 0; i < argc - 1; i++)
		if (!strcmp(argv[i], "dev"))
			dev = argv[i + 1];
	dev = ctx_dev(c, dev);
	nl = ctx_nl(c);
	if (!nl)
		return XM_EXIT_FAIL;
	if (xmnl_qos_get(nl, 0, dev, &cur, &e))
		return kernel_err(&e);
	dev = NULL;
	ret = parse_set(argc, argv, &cur, &q, &dev);
	if (ret)
		return ret;
	if (xmnl_qos_set(nl, 0, ctx_dev(c, dev), &q, &e))
		return kernel_err(&e);
	return XM_EXIT_OK;
}

/* ---- rules -------------------------------------------------------- */

static int parse_rule(int argc, char **argv, bool need_class,
		      struct xm_qos_rule *r, const char **dev)
{
	int ret;

	memset(r, 0, sizeof(*r));
	for (; argc > 0; argc--, argv++) {
		const char *kw = argv[0];

		if (!strcmp(kw, "dev")) {
			ret = arg_dev(&argc, &argv, dev);
		} else if (!strcmp(kw, "id") || !strcmp(kw, "tclass") ||
			   !strcmp(kw, "to") || !strcmp(kw, "proto") ||
			   !strcmp(kw, "dport") || !strcmp(kw, "sport")) {
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
			if (kw[0] == 'i') {
				ret = arg_u32("rule id", argv[0], 1,
					      UINT32_MAX, &r->id);
				XM_SET(r, XMESH_QOS_RULE_A_ID);
			} else if (kw[0] == 't' && kw[1] == 'c') {
				ret = arg_tclass(argv[0], &r->tclass);
				XM_SET(r, XMESH_QOS_RULE_A_TCLASS);
			} else if (kw[0] == 't') {
				ret = arg_prefix(argv[0], &r->addr, &r->len);
				XM_SET(r, XMESH_QOS_RULE_A_FAMILY);
			} else if (kw[0] == 'p') {
				ret = arg_proto(argv[0], &r->protocol);
				XM_SET(r, XMESH_QOS_RULE_A_PROTOCOL);
			} else if (kw[0] == 'd') {
				ret = arg_ports(argv[0], &r->port_min,
						&r->port_max);
				XM_SET(r, XMESH_QOS_RULE_A_PORT_MIN);
				XM_SET(r, XMESH_QOS_RULE_A_PORT_MAX);
			} else {
				ret = arg_ports(argv[0], &r->sport_min,
						&r->sport_max);
				XM_SET(r, XMESH_QOS_RULE_A_SPORT_MIN);
				XM_SET(r, XMESH_QOS_RULE_A_SPORT_MAX);
			}
		} else {
			ret = arg_unknown(kw, usage_qos);
		}
		if (ret)
			return ret;
	}
	if (!XM_HAS(r, XMESH_QOS_RULE_A_ID)) {
		pr_err("a rule needs \"id ID\".");
		return XM_EXIT_USAGE;
	}
	if (need_class && !XM_HAS(r, XMESH_QOS_RULE_A_TCLASS)) {
		pr_err("a rule needs \"tclass CLASS\".");
		return XM_EXIT_USAGE;
	}
	return XM_EXIT_OK;
}

static int rule_show(struct ctx *c, int argc, char **argv)
{
	struct xm_list rules = { 0 };
	const char *dev = NULL;
	struct nlc_error e;
	struct xmnl *nl;
	size_t i;
	int ret;

	ret = dev_only(c, argc, argv, &dev, &nl);
	if (ret)
		return ret;
	if (xmnl_qos_rules(nl, 0, dev, &rules, &e)) {
		xm_list_free(&rules);
		return kernel_err(&e);
	}
	out_list_begin(&c->out);
	for (i = 0; i < rules.n; i++)
		print_rule(&c->out, &rules.v[i].qos_rule);
	out_list_end(&c->out);
	xm_list_free(&rules);
	return XM_EXIT_OK;
}

static int rule_change(struct ctx *c, uint8_t cmd, bool replace, int argc,
		       char **argv)
{
	const char *dev = NULL;
	struct xm_qos_rule r;
	struct nlc_error e;
	struct xmnl *nl;
	int ret;

	ret = parse_rule(argc, argv, cmd == XMESH_CMD_QOS_RULE_NEW, &r, &dev);
	if (ret)
		return ret;
	nl = ctx_nl(c);
	if (!nl)
		return XM_EXIT_FAIL;
	if (xmnl_qos_rule_change(nl, cmd, 0, ctx_dev(c, dev), &r, replace,
				 &e))
		return kernel_err(&e);
	return XM_EXIT_OK;
}

static int rule_add(struct ctx *c, int argc, char **argv)
{
	return rule_change(c, XMESH_CMD_QOS_RULE_NEW, false, argc, argv);
}

static int rule_replace(struct ctx *c, int argc, char **argv)
{
	return rule_change(c, XMESH_CMD_QOS_RULE_NEW, true, argc, argv);
}

static int rule_del(struct ctx *c, int argc, char **argv)
{
	return rule_change(c, XMESH_CMD_QOS_RULE_DEL, false, argc, argv);
}

static int rule_flush(struct ctx *c, int argc, char **argv)
{
	const char *dev = NULL;
	struct nlc_error e;
	struct xmnl *nl;
	int ret;

	ret = dev_only(c, argc, argv, &dev, &nl);
	if (ret)
		return ret;
	if (xmnl_qos_rule_change(nl, XMESH_CMD_QOS_RULE_DEL, 0, dev, NULL,
				 false, &e))
		return kernel_err(&e);
	return XM_EXIT_OK;
}

static const struct cmd rule_cmds[] = {
	{ "show", "list ls", rule_show, CMD_RUN },
	{ "add", NULL, rule_add, CMD_RUN },
	{ "replace", NULL, rule_replace, CMD_RUN },
	{ "del", "delete", rule_del, CMD_RUN },
	{ "flush", NULL, rule_flush, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

static int qos_rule(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, rule_cmds, "command", "show", usage_qos, argc,
			    argv);
}

/* ---- link trees --------------------------------------------------- */

static int qos_link(struct ctx *c, int argc, char **argv)
{
	uint32_t ifindex;
	uint64_t rate = 0;
	char msg[160] = "";
	bool on;
	int ret;

	(void)c;
	if (argc < 2) {
		usage_qos(stderr);
		return XM_EXIT_USAGE;
	}
	ret = arg_link(argv[0], &ifindex);
	if (ret)
		return ret;
	if (!strcmp(argv[1], "on")) {
		on = true;
	} else if (!strcmp(argv[1], "off")) {
		on = false;
	} else {
		return arg_unknown(argv[1], usage_qos);
	}
	for (argc -= 2, argv += 2; argc > 0; argc--, argv++) {
		if (!on || strcmp(argv[0], "rate"))
			return arg_unknown(argv[0], usage_qos);
		if (!next_arg(&argc, &argv))
			return XM_EXIT_USAGE;
		ret = arg_rate(argv[0], &rate);
		if (ret)
			return ret;
	}
	ret = on ? xmq_install(ifindex, rate, msg, sizeof(msg)) :
		   xmq_remove(ifindex, msg, sizeof(msg));
	if (ret) {
		pr_err("%s.", msg[0] ? msg : strerror(-ret));
		return XM_EXIT_FAIL;
	}
	return XM_EXIT_OK;
}

static const struct cmd qos_cmds[] = {
	{ "show", "list ls", qos_show, CMD_RUN },
	{ "set", NULL, qos_set, CMD_RUN },
	{ "rule", "rules", qos_rule, CMD_GROUP },
	{ "link", NULL, qos_link, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

int do_qos(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, qos_cmds, "command", "show", usage_qos, argc,
			    argv);
}
