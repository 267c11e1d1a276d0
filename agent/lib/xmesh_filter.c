// SPDX-License-Identifier: GPL-2.0
#include "xmesh_filter.h"

#include <ctype.h>
#include <errno.h>
#include <linux/xmesh.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmesh_qos.h"

#define MAX_WORDS	32
#define LINE_MAX_LEN	1024

struct parser {
	struct xm_filter *f;
	unsigned int line;
	char *err;
	size_t err_len;
};

static int fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	int used = snprintf(p->err, p->err_len, "line %u: ", p->line);
	va_list ap;

	if (used >= 0 && (size_t)used < p->err_len) {
		va_start(ap, fmt);
		vsnprintf(p->err + used, p->err_len - used, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const struct xm_filter_zone *zone_find(const struct xm_filter *f,
					      const char *name)
{
	unsigned int i;

	for (i = 0; i < f->n_zones; i++)
		if (!strcmp(f->zones[i].name, name))
			return &f->zones[i];
	return NULL;
}

static const struct xm_filter_role *role_find(const struct xm_filter *f,
					      const char *name)
{
	unsigned int i;

	for (i = 0; i < f->n_roles; i++)
		if (!strcmp(f->roles[i].name, name))
			return &f->roles[i];
	return NULL;
}

uint16_t xm_filter_zone_id(const struct xm_filter *f, const char *name)
{
	const struct xm_filter_zone *z = zone_find(f, name);

	return z ? z->id : 0;
}

uint16_t xm_filter_role_bits(const struct xm_filter *f,
			     const char (*names)[XM_FILTER_NAME_MAX],
			     unsigned int n)
{
	const struct xm_filter_role *r;
	uint16_t bits = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		r = role_find(f, names[i]);
		if (r)
			bits |= 1u << r->bit;
	}
	return bits;
}

/* A zone by name, or "none" for zone 0. */
static int zone_ref(struct parser *p, const char *name, uint16_t *id)
{
	const struct xm_filter_zone *z;

	if (!strcmp(name, "none")) {
		*id = 0;
		return 0;
	}
	z = zone_find(p->f, name);
	if (!z)
		return fail(p, "zone \"%s\" is not declared (\"zone %s ID\" first)",
			    name, name);
	*id = z->id;
	return 0;
}

static int action_of(struct parser *p, const char *s, uint8_t *out)
{
	if (!strcmp(s, "allow"))
		*out = XMESH_ZONE_ALLOW;
	else if (!strcmp(s, "deny"))
		*out = XMESH_ZONE_DENY;
	else
		return fail(p, "\"%s\": expected allow or deny", s);
	return 0;
}

static int need(struct parser *p, int argc, int want, const char *usage)
{
	if (argc != want)
		return fail(p, "expected \"%s\"", usage);
	return 0;
}

/* zone NAME ID */
static int d_zone(struct parser *p, int argc, char **argv)
{
	struct xm_filter *f = p->f;
	struct xm_filter_zone *z;
	uint16_t id;
	unsigned int i;

	if (need(p, argc, 3, "zone NAME ID"))
		return -EINVAL;
	if (!xm_name_valid(argv[1], XM_FILTER_NAME_MAX) ||
	    !strcmp(argv[1], "none"))
		return fail(p, "invalid zone name \"%s\"", argv[1]);
	if (xm_parse_u16(argv[2], 1, UINT16_MAX, &id))
		return fail(p, "invalid zone id \"%s\": expected 1 to 65535",
			    argv[2]);
	for (i = 0; i < f->n_zones; i++) {
		if (!strcmp(f->zones[i].name, argv[1]))
			return fail(p, "zone %s declared twice", argv[1]);
		if (f->zones[i].id == id)
			return fail(p, "zone id %u is zone %s already", id,
				    f->zones[i].name);
	}
	if (f->n_zones == XM_FILTER_MAX_ZONES)
		return fail(p, "more than %d zones", XM_FILTER_MAX_ZONES);
	z = &f->zones[f->n_zones++];
	snprintf(z->name, sizeof(z->name), "%s", argv[1]);
	z->id = id;
	return 0;
}

/* role NAME BIT */
static int d_role(struct parser *p, int argc, char **argv)
{
	struct xm_filter *f = p->f;
	struct xm_filter_role *r;
	unsigned int i;
	uint8_t bit;

	if (need(p, argc, 3, "role NAME BIT"))
		return -EINVAL;
	if (!xm_name_valid(argv[1], XM_FILTER_NAME_MAX))
		return fail(p, "invalid role name \"%s\"", argv[1]);
	if (xm_parse_u8(argv[2], 0, XM_FILTER_ROLE_BITS - 1, &bit))
		return fail(p, "invalid role bit \"%s\": expected 0 to %d",
			    argv[2], XM_FILTER_ROLE_BITS - 1);
	for (i = 0; i < f->n_roles; i++) {
		if (!strcmp(f->roles[i].name, argv[1]))
			return fail(p, "role %s declared twice", argv[1]);
		if (f->roles[i].bit == bit)
			return fail(p, "role bit %u is role %s already", bit,
				    f->roles[i].name);
	}
	r = &f->roles[f->n_roles++];
	snprintf(r->name, sizeof(r->name), "%s", argv[1]);
	r->bit = bit;
	return 0;
}

/* zone-pair FROM TO { allow | deny } */
static int d_zone_pair(struct parser *p, int argc, char **argv)
{
	struct xm_filter *f = p->f;
	struct xm_filter_pair pair = { .line = p->line }, *v;
	unsigned int i;

	if (need(p, argc, 4, "zone-pair FROM TO { allow | deny }") ||
	    zone_ref(p, argv[1], &pair.from) || zone_ref(p, argv[2], &pair.to) ||
	    action_of(p, argv[3], &pair.action))
		return -EINVAL;
	for (i = 0; i < f->n_pairs; i++)
		if (f->pairs[i].from == pair.from && f->pairs[i].to == pair.to)
			return fail(p, "zone pair %s %s given on line %u already",
				    argv[1], argv[2], f->pairs[i].line);
	if (f->n_pairs == XM_FILTER_MAX_PAIRS)
		return fail(p, "more than %d zone pairs", XM_FILTER_MAX_PAIRS);
	v = realloc(f->pairs, (f->n_pairs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	f->pairs = v;
	f->pairs[f->n_pairs++] = pair;
	return 0;
}

static int d_zone_default(struct parser *p, int argc, char **argv)
{
	if (need(p, argc, 2, "zone-default { allow | deny }"))
		return -EINVAL;
	return action_of(p, argv[1], &p->f->zone_default);
}

static int d_policy(struct parser *p, int argc, char **argv)
{
	if (need(p, argc, 2, "policy { allow | deny }"))
		return -EINVAL;
	return action_of(p, argv[1], &p->f->policy);
}

static int d_mark_mask(struct parser *p, int argc, char **argv)
{
	unsigned long v;
	char *end;

	if (need(p, argc, 2, "mark-mask MASK"))
		return -EINVAL;
	errno = 0;
	v = strtoul(argv[1], &end, 0);
	if (!isdigit((unsigned char)argv[1][0]) || *end || errno ||
	    v > UINT32_MAX)
		return fail(p, "invalid mark mask \"%s\"", argv[1]);
	p->f->mark_mask = (uint32_t)v;
	return 0;
}

/* ---- rules -------------------------------------------------------- */

static int sel_parse(struct parser *p, int *argc, char ***argv,
		     struct xm_filter_sel *s)
{
	const char *what = (*argv)[0];
	const struct xm_filter_role *r;

	if (s->kind != XM_SEL_ANY)
		return fail(p, "\"%s\" given twice", what);
	if (*argc < 2)
		return fail(p, "\"%s\" needs zone NAME, role NAME or a prefix",
			    what);
	(*argc)--, (*argv)++;
	if (!strcmp((*argv)[0], "zone") || !strcmp((*argv)[0], "role")) {
		bool zone = (*argv)[0][0] == 'z';

		if (*argc < 2)
			return fail(p, "\"%s %s\" needs a name", what,
				    (*argv)[0]);
		(*argc)--, (*argv)++;
		if (zone) {
			s->kind = XM_SEL_ZONE;
			return zone_ref(p, (*argv)[0], &s->zone);
		}
		r = role_find(p->f, (*argv)[0]);
		if (!r)
			return fail(p, "role \"%s\" is not declared (\"role %s BIT\" first)",
				    (*argv)[0], (*argv)[0]);
		s->kind = XM_SEL_ROLE;
		s->role = r->bit;
		return 0;
	}
	if (xm_parse_prefix((*argv)[0], &s->addr, &s->len))
		return fail(p, "\"%s\": expected zone NAME, role NAME or a prefix (host bits zero)",
			    (*argv)[0]);
	s->kind = XM_SEL_PREFIX;
	return 0;
}

static int proto_parse(struct parser *p, const char *s, uint8_t *out)
{
	static const struct { const char *name; uint8_t proto; } names[] = {
		{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
		{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
		{ "sctp", IPPROTO_SCTP }, { "udplite", IPPROTO_UDPLITE },
		{ "dccp", IPPROTO_DCCP },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*out = names[i].proto;
			return 0;
		}
	}
	if (!xm_parse_u8(s, 1, 255, out))
		return 0;
	return fail(p, "unknown protocol \"%s\"", s);
}

static bool proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE ||
	       proto == IPPROTO_DCCP;
}

/* PORT or PORT-PORT */
static int ports_parse(struct parser *p, const char *s, uint16_t *min,
		       uint16_t *max)
{
	char buf[16], *dash;

	if (*max)
		return fail(p, "a port range given twice");
	snprintf(buf, sizeof(buf), "%s", s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (xm_parse_u16(buf, 1, UINT16_MAX, min) ||
	    (dash && xm_parse_u16(dash + 1, 1, UINT16_MAX, max)))
		return fail(p, "invalid ports \"%s\": expected PORT or PORT-PORT, 1 to 65535",
			    s);
	if (!dash)
		*max = *min;
	if (*max < *min)
		return fail(p, "invalid ports \"%s\": the last is below the first",
			    s);
	return 0;
}

static int class_parse(struct parser *p, const char *s, uint8_t *tclass)
{
	int tc;

	if (*tclass)
		return fail(p, "\"class\" given twice");
	tc = xm_tclass_parse(s);
	if (tc < 0)
		return fail(p, "invalid class \"%s\": expected bulk, interactive, realtime or network-control",
			    s);
	*tclass = (uint8_t)tc;
	return 0;
}

static int dir_parse(struct parser *p, const char *s, uint8_t *dir)
{
	if (!strcmp(s, "in"))
		*dir = XM_DIR_IN;
	else if (!strcmp(s, "out"))
		*dir = XM_DIR_OUT;
	else if (!strcmp(s, "forward"))
		*dir = XM_DIR_FORWARD;
	else
		return fail(p, "invalid direction \"%s\": expected in, out or forward",
			    s);
	return 0;
}

/*
 * { allow | deny } [ dir { in | out | forward } ] [ from SEL ] [ to SEL ]
 *                  [ class CLASS ] [ proto PROTO ] [ sport PORTS ]
 *                  [ dport PORTS ] [ log ]
 */
static int d_rule(struct parser *p, int argc, char **argv)
{
	struct xm_filter *f = p->f;
	struct xm_filter_rule r = { .line = p->line, .dir = 0 }, *v;
	int err;

	r.verdict = !strcmp(argv[0], "allow") ? XM_FILTER_ALLOW :
						 XM_FILTER_DENY;
	for (argc--, argv++; argc > 0; argc--, argv++) {
		const char *kw = argv[0];

		if (!strcmp(kw, "log")) {
			r.log = true;
			continue;
		}
		if (!strcmp(kw, "from") || !strcmp(kw, "to")) {
			err = sel_parse(p, &argc, &argv,
					kw[0] == 'f' ? &r.from : &r.to);
			if (err)
				return err;
			continue;
		}
		if (strcmp(kw, "dir") && strcmp(kw, "class") &&
		    strcmp(kw, "proto") && strcmp(kw, "sport") &&
		    strcmp(kw, "dport"))
			return fail(p, "unknown word \"%s\"", kw);
		if (argc < 2)
			return fail(p, "\"%s\" needs a value", kw);
		argc--, argv++;
		if (!strcmp(kw, "dir")) {
			if (r.dir)
				return fail(p, "\"dir\" given twice");
			err = dir_parse(p, argv[0], &r.dir);
		} else if (!strcmp(kw, "class")) {
			err = class_parse(p, argv[0], &r.tclass);
		} else if (!strcmp(kw, "proto")) {
			if (r.proto)
				return fail(p, "\"proto\" given twice");
			err = proto_parse(p, argv[0], &r.proto);
		} else if (!strcmp(kw, "sport")) {
			err = ports_parse(p, argv[0], &r.sport_min,
					  &r.sport_max);
		} else {
			err = ports_parse(p, argv[0], &r.dport_min,
					  &r.dport_max);
		}
		if (err)
			return err;
	}
	if ((r.sport_max || r.dport_max) && !proto_has_ports(r.proto))
		return fail(p, "ports need proto tcp, udp, sctp, udplite or dccp");
	if (r.from.kind == XM_SEL_PREFIX && r.to.kind == XM_SEL_PREFIX &&
	    r.from.addr.family != r.to.addr.family)
		return fail(p, "from and to prefixes of different families");
	/* The sender classifies a packet as it enters xmesh0, after its
	 * out chain: the class is known to packets from the mesh only. */
	if (r.tclass && r.dir == XM_DIR_OUT)
		return fail(p, "\"class\" matches packets from the mesh: dir in or forward, not out");
	if (!r.dir)
		r.dir = r.tclass ? XM_DIR_IN | XM_DIR_FORWARD : XM_DIR_ALL;
	if (f->n_rules == XM_FILTER_MAX_RULES)
		return fail(p, "more than %d rules", XM_FILTER_MAX_RULES);
	v = realloc(f->rules, (f->n_rules + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	f->rules = v;
	f->rules[f->n_rules++] = r;
	return 0;
}

static const struct {
	const char *word;
	int (*parse)(struct parser *p, int argc, char **argv);
} directives[] = {
	{ "zone", d_zone },
	{ "role", d_role },
	{ "zone-pair", d_zone_pair },
	{ "zone-default", d_zone_default },
	{ "mark-mask", d_mark_mask },
	{ "policy", d_policy },
	{ "allow", d_rule },
	{ "deny", d_rule },
};

/* Split line (modified) into words; '#' starts a comment. */
static int split(struct parser *p, char *line, char **argv)
{
	int argc = 0;
	char *s = line;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s || *s == '#')
			return argc;
		if (argc == MAX_WORDS)
			return fail(p, "more than %d words", MAX_WORDS);
		argv[argc++] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\r' &&
		       *s != '#')
			s++;
		if (*s == '#') {
			*s = '\0';
			return argc;
		}
		if (*s)
			*s++ = '\0';
	}
}

int xm_filter_parse(const char *text, struct xm_filter *f, char *err,
		    size_t err_len)
{
	struct parser p = { .f = f, .err = err, .err_len = err_len };
	char line[LINE_MAX_LEN + 1], *argv[MAX_WORDS];
	const char *s = text, *nl;
	int argc, ret;
	size_t len, i;

	memset(f, 0, sizeof(*f));
	f->mark_mask = 0xffffffff;
	if (err_len)
		err[0] = '\0';
	for (; *s; s = nl ? nl + 1 : s + len) {
		p.line++;
		nl = strchr(s, '\n');
		len = nl ? (size_t)(nl - s) : strlen(s);
		if (len > LINE_MAX_LEN)
			return fail(&p, "longer than %d bytes", LINE_MAX_LEN);
		memcpy(line, s, len);
		line[len] = '\0';
		argc = split(&p, line, argv);
		if (argc <= 0) {
			if (argc < 0)
				return argc;
			if (!nl)
				break;
			continue;
		}
		for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++)
			if (!strcmp(argv[0], directives[i].word))
				break;
		if (i == sizeof(directives) / sizeof(directives[0]))
			return fail(&p, "unknown directive \"%s\"", argv[0]);
		ret = directives[i].parse(&p, argc, argv);
		if (ret)
			return ret;
		if (!nl)
			break;
	}
	return 0;
}

void xm_filter_free(struct xm_filter *f)
{
	free(f->pairs);
	free(f->rules);
	f->pairs = NULL;
	f->rules = NULL;
	f->n_pairs = 0;
	f->n_rules = 0;
}

/* ---- decisions ---------------------------------------------------- */

static bool sel_matches(const struct xm_filter_sel *s, uint16_t zone)
{
	return s->kind == XM_SEL_ANY || (s->kind == XM_SEL_ZONE &&
					 s->zone == zone);
}

static bool rule_matches(const struct xm_filter_rule *r, uint8_t dir,
			 const struct xm_filter_flow *fl)
{
	if (!(r->dir & dir) || !sel_matches(&r->from, fl->from_zone) ||
	    !sel_matches(&r->to, fl->to_zone) || r->sport_max)
		return false;
	if (r->tclass && r->tclass != xm_tclass_sent(fl->tclass))
		return false;
	if (r->proto && r->proto != fl->proto)
		return false;
	return !r->dport_max ||
	       (fl->dport >= r->dport_min && fl->dport <= r->dport_max);
}

static void chain_decide(const struct xm_filter *f, uint8_t dir,
			 const struct xm_filter_flow *fl,
			 struct xm_filter_decision *d)
{
	unsigned int i;

	d->dir = dir;
	for (i = 0; i < f->n_rules; i++) {
		if (rule_matches(&f->rules[i], dir, fl)) {
			d->verdict = f->rules[i].verdict;
			d->by = XM_DECIDED_RULE;
			d->line = f->rules[i].line;
			return;
		}
	}
	d->verdict = f->policy == XMESH_ZONE_DENY ? XM_FILTER_DENY :
						    XM_FILTER_ALLOW;
	d->by = XM_DECIDED_POLICY;
	d->line = 0;
}

uint8_t xm_filter_decide(const struct xm_filter *f,
			 const struct xm_filter_flow *flow,
			 struct xm_filter_decision *d)
{
	unsigned int i;

	for (i = 0; i < f->n_pairs; i++) {
		if (f->pairs[i].from == flow->from_zone &&
		    f->pairs[i].to == flow->to_zone)
			break;
	}
	if (i < f->n_pairs ? f->pairs[i].action == XMESH_ZONE_DENY :
			     f->zone_default == XMESH_ZONE_DENY) {
		*d = (struct xm_filter_decision){
			.verdict = XM_FILTER_DENY,
			.by = i < f->n_pairs ? XM_DECIDED_PAIR :
					       XM_DECIDED_ZONE_DEFAULT,
			.line = i < f->n_pairs ? f->pairs[i].line : 0,
		};
		return d->verdict;
	}
	chain_decide(f, XM_DIR_OUT, flow, d);
	if (d->verdict == XM_FILTER_DENY)
		return d->verdict;
	chain_decide(f, XM_DIR_IN, flow, d);
	return d->verdict;
}
