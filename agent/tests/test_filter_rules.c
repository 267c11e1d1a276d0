// SPDX-License-Identifier: GPL-2.0
/*
 * The filter rules file parser: a full file with every directive and rule
 * field, the defaults, zone and role lookups for the node table, and bad
 * lines refused with their line number and what is wrong.
 */
#include <errno.h>
#include <linux/xmesh.h>
#include <linux/xmesh_packet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "xmesh_filter.h"

static const char good[] =
	"# a site\n"
	"zone iot 10\n"
	"zone compute 20   # the workers\n"
	"zone billing 30\n"
	"role db 0\n"
	"role web 3\n"
	"\n"
	"zone-default allow\n"
	"zone-pair iot billing deny\n"
	"zone-pair none billing deny\n"
	"mark-mask 0xffff0000\n"
	"policy deny\n"
	"allow from zone compute to zone billing proto tcp dport 5432\n"
	"allow dir out to 10.0.3.0/24 proto udp sport 1000-2000 dport 53 log\n"
	"deny from role web to fd00:3::/64 log\n"
	"allow\n";

static struct xm_filter *parse(const char *text, int want, char *err,
			       size_t len)
{
	struct xm_filter *f = malloc(sizeof(*f));
	int ret = xm_filter_parse(text, f, err, len);

	if (ret != want)
		ok(false, "parse returned %d, want %d (%s)", ret, want, err);
	return f;
}

static void full_file(void)
{
	const char roles[3][XM_FILTER_NAME_MAX] = { "web", "nope", "db" };
	const struct xm_filter_rule *r;
	struct xm_filter *f;
	char err[160];

	f = parse(good, 0, err, sizeof(err));
	is_str(err, "", "no error");
	is_int(f->n_zones, 3, "three zones");
	is_int(f->n_roles, 2, "two roles");
	is_int(f->zone_default, XMESH_ZONE_ALLOW, "zone default");
	is_int(f->mark_mask, 0xffff0000, "mark mask");
	is_int(f->policy, XMESH_ZONE_DENY, "policy");
	is_int(f->n_pairs, 2, "two pairs");
	ok(f->pairs[0].from == 10 && f->pairs[0].to == 30 &&
	   f->pairs[0].action == XMESH_ZONE_DENY, "iot -> billing deny");
	ok(f->pairs[1].from == 0 && f->pairs[1].line == 10,
	   "none is zone 0; the line is kept");
	is_int(f->n_rules, 4, "four rules");

	r = &f->rules[0];
	ok(r->verdict == XM_FILTER_ALLOW && r->dir == XM_DIR_ALL &&
	   r->from.kind == XM_SEL_ZONE && r->from.zone == 20 &&
	   r->to.kind == XM_SEL_ZONE && r->to.zone == 30 &&
	   r->proto == IPPROTO_TCP && r->dport_min == 5432 &&
	   r->dport_max == 5432 && !r->sport_max && !r->log && r->line == 13,
	   "rule 1: zones, tcp, one port");
	r = &f->rules[1];
	ok(r->dir == XM_DIR_OUT && r->from.kind == XM_SEL_ANY &&
	   r->to.kind == XM_SEL_PREFIX && r->to.len == 24 &&
	   r->to.addr.family == AF_INET && r->proto == IPPROTO_UDP &&
	   r->sport_min == 1000 && r->sport_max == 2000 && r->log,
	   "rule 2: direction, prefix, port range, log");
	r = &f->rules[2];
	ok(r->verdict == XM_FILTER_DENY && r->from.kind == XM_SEL_ROLE &&
	   r->from.role == 3 && r->to.addr.family == AF_INET6 &&
	   r->to.len == 64, "rule 3: role, IPv6 prefix");
	r = &f->rules[3];
	ok(r->from.kind == XM_SEL_ANY && r->to.kind == XM_SEL_ANY &&
	   !r->proto && r->dir == XM_DIR_ALL, "rule 4: matches everything");

	is_int(xm_filter_zone_id(f, "billing"), 30, "zone id by name");
	is_int(xm_filter_zone_id(f, ""), 0, "the default zone is 0");
	is_int(xm_filter_zone_id(f, "dmz"), 0, "an undeclared zone is 0");
	is_int(xm_filter_role_bits(f, roles, 3), 0x9,
	       "role bits: web and db, nope left out");
	xm_filter_free(f);
	free(f);
}

static void defaults(void)
{
	struct xm_filter *f;
	char err[160];

	f = parse("", 0, err, sizeof(err));
	ok(f->mark_mask == 0xffffffff && f->zone_default == XMESH_ZONE_ALLOW &&
	   f->policy == XMESH_ZONE_ALLOW && !f->n_rules && !f->n_pairs,
	   "an empty file: everything allowed, the whole mark");
	xm_filter_free(f);
	free(f);
	f = parse("zone a 1", 0, err, sizeof(err));
	is_int(f->n_zones, 1, "a last line without newline");
	xm_filter_free(f);
	free(f);
}

static void bad(void)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "zone a 1\nzone b 0\n", "line 2: invalid zone id \"0\": expected 1 to 65535" },
		{ "zone a 1\nzone b 1\n", "line 2: zone id 1 is zone a already" },
		{ "zone a 1\nzone a 2\n", "line 2: zone a declared twice" },
		{ "zone none 3\n", "line 1: invalid zone name \"none\"" },
		{ "role r 16\n", "line 1: invalid role bit \"16\": expected 0 to 15" },
		{ "zone-pair x y deny\n", "line 1: zone \"x\" is not declared (\"zone x ID\" first)" },
		{ "zone a 1\nzone-pair a a maybe\n", "line 2: \"maybe\": expected allow or deny" },
		{ "zone a 1\nzone-pair a a deny\nzone-pair a a allow\n",
		  "line 3: zone pair a a given on line 2 already" },
		{ "mark-mask -1\n", "line 1: invalid mark mask \"-1\"" },
		{ "allow proto tcp dport 80-20\n", "line 1: invalid ports \"80-20\": the last is below the first" },
		{ "allow dport 80\n", "line 1: ports need proto tcp, udp, sctp, udplite or dccp" },
		{ "allow proto icmp dport 80\n", "line 1: ports need proto tcp, udp, sctp, udplite or dccp" },
		{ "\n\n# x\ndeny from role db\n", "line 4: role \"db\" is not declared (\"role db BIT\" first)" },
		{ "allow from 10.0.0.1/8\n", "line 1: \"10.0.0.1/8\": expected zone NAME, role NAME or a prefix (host bits zero)" },
		{ "allow from 10.0.0.0/8 from 10.1.0.0/16\n", "line 1: \"from\" given twice" },
		{ "allow from 10.0.0.0/8 to fd00::/8\n", "line 1: from and to prefixes of different families" },
		{ "allow dir sideways\n", "line 1: invalid direction \"sideways\": expected in, out or forward" },
		{ "allow proto gre7\n", "line 1: unknown protocol \"gre7\"" },
		{ "allow to\n", "line 1: \"to\" needs zone NAME, role NAME or a prefix" },
		{ "allow sport\n", "line 1: \"sport\" needs a value" },
		{ "permit all\n", "line 1: unknown directive \"permit\"" },
		{ "allow from zone\n", "line 1: \"from zone\" needs a name" },
		{ "allow quickly\n", "line 1: unknown word \"quickly\"" },
		{ "deny class video\n", "line 1: invalid class \"video\": expected bulk, interactive, realtime or network-control" },
		{ "deny class rt class bulk\n", "line 1: \"class\" given twice" },
		{ "deny dir out class realtime\n", "line 1: \"class\" matches packets from the mesh: dir in or forward, not out" },
	};
	struct xm_filter *f;
	char err[160];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f = parse(cases[i].text, -EINVAL, err, sizeof(err));
		is_str(err, cases[i].err, cases[i].err);
		xm_filter_free(f);
		free(f);
	}
}

/* xm_filter_decide(): what the kernels at a zone flow's ends would do. */
static void decide(void)
{
	static const char text[] =
		"zone iot 10\nzone compute 20\nzone billing 30\n"
		"role db 0\n"
		"zone-pair iot billing deny\n"		/* line 5 */
		"policy deny\n"
		"allow from role db\n"			/* 7: no zone flow */
		"allow from 10.0.0.0/8\n"		/* 8: nor a prefix */
		"allow proto tcp sport 1-2\n"		/* 9: nor sport */
		"deny dir in from zone compute proto udp\n"	/* 10 */
		"allow from zone compute proto udp dport 53\n"	/* 11 */
		"allow from zone compute to zone billing proto tcp dport 5432\n"
		"allow dir out\n";			/* 13 */
	struct xm_filter_decision d;
	struct xm_filter_flow fl;
	struct xm_filter *f;
	char err[160];

	f = parse(text, 0, err, sizeof(err));
	fl = (struct xm_filter_flow){ 10, 30, IPPROTO_TCP, 5432, 0 };
	is_int(xm_filter_decide(f, &fl, &d), XM_FILTER_DENY,
	       "decide: a denied zone pair");
	ok(d.by == XM_DECIDED_PAIR && d.line == 5, "decide: by its line");
	fl = (struct xm_filter_flow){ 20, 30, IPPROTO_TCP, 5432, 0 };
	xm_filter_decide(f, &fl, &d);
	ok(d.verdict == XM_FILTER_ALLOW && d.by == XM_DECIDED_RULE &&
	   d.line == 12 && d.dir == XM_DIR_IN,
	   "decide: the first matching rule, role, prefix, sport skipped");
	fl.dport = 5433;
	xm_filter_decide(f, &fl, &d);
	ok(d.verdict == XM_FILTER_DENY && d.by == XM_DECIDED_POLICY &&
	   d.dir == XM_DIR_IN, "decide: out by line 13, in by the policy");
	fl = (struct xm_filter_flow){ 20, 10, IPPROTO_UDP, 53, 0 };
	xm_filter_decide(f, &fl, &d);
	ok(d.verdict == XM_FILTER_DENY && d.line == 10 && d.dir == XM_DIR_IN,
	   "decide: a dir in rule first in the receiver's chain only");
	fl = (struct xm_filter_flow){ 20, 20, IPPROTO_ICMP, 0, 0 };
	xm_filter_decide(f, &fl, &d);
	ok(d.verdict == XM_FILTER_DENY && d.by == XM_DECIDED_POLICY,
	   "decide: nothing in: the policy");
	xm_filter_free(f);
	free(f);
	f = parse("zone a 1\nzone b 2\nzone-default deny\nzone-pair a b allow\n",
		  0, err, sizeof(err));
	fl = (struct xm_filter_flow){ 2, 1, IPPROTO_TCP, 1, 0 };
	xm_filter_decide(f, &fl, &d);
	ok(d.verdict == XM_FILTER_DENY && d.by == XM_DECIDED_ZONE_DEFAULT,
	   "decide: zone-default deny for a pair not listed");
	fl = (struct xm_filter_flow){ 1, 2, IPPROTO_TCP, 1, 0 };
	xm_filter_decide(f, &fl, &d);
	ok(d.verdict == XM_FILTER_ALLOW && d.by == XM_DECIDED_POLICY,
	   "decide: an allowed pair, no rules: the default policy allows");
	xm_filter_free(f);
	free(f);
}

/*
 * A class is the sender's choice, known to packets from the mesh: a rule
 * with one is in the in and forward chains (by default), and matches a
 * flow of that class; best-effort is bulk.
 */
static void decide_classes(void)
{
	static const char text[] =
		"zone iot 10\nzone compute 20\n"
		"policy deny\n"
		"allow from zone iot class realtime proto udp dport 5004\n"
		"deny class realtime\n"			/* 5 */
		"allow class rt dir forward\n"
		"allow proto udp\n";			/* 7 */
	struct xm_filter_decision d;
	struct xm_filter_flow fl;
	struct xm_filter *f;
	char err[160];

	f = parse(text, 0, err, sizeof(err));
	is_str(err, "", "classes: parsed");
	ok(f->rules[0].tclass == XMESH_TC_REALTIME &&
	   f->rules[0].dir == (XM_DIR_IN | XM_DIR_FORWARD) &&
	   f->rules[2].tclass == XMESH_TC_REALTIME &&
	   f->rules[2].dir == XM_DIR_FORWARD && !f->rules[3].tclass &&
	   f->rules[3].dir == XM_DIR_ALL,
	   "classes: a class rule is in and forward unless it says; rt is realtime");
	fl = (struct xm_filter_flow){ 10, 20, IPPROTO_UDP, 5004,
				      XMESH_TC_REALTIME };
	xm_filter_decide(f, &fl, &d);
	ok(d.verdict == XM_FILTER_ALLOW && d.line == 4,
	   "classes: realtime from iot to its port: allowed by line 4");
	fl.dport = 5005;
	xm_filter_decide(f, &fl, &d);
	ok(d.verdict == XM_FILTER_DENY && d.line == 5 && d.dir == XM_DIR_IN,
	   "classes: realtime elsewhere: denied by line 5, in");
	fl.tclass = XMESH_TC_BULK;
	xm_filter_decide(f, &fl, &d);
	ok(d.verdict == XM_FILTER_ALLOW && d.line == 7,
	   "classes: bulk to the same port: line 7");
	fl.tclass = 0;
	xm_filter_decide(f, &fl, &d);
	ok(d.verdict == XM_FILTER_ALLOW && d.line == 7,
	   "classes: best-effort is bulk");
	xm_filter_free(f);
	free(f);
}

int main(void)
{
	full_file();
	defaults();
	bad();
	decide();
	decide_classes();
	return tap_done();
}
