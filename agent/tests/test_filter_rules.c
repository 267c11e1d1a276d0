// SPDX-License-Identifier: GPL-2.0
/*
 * The filter rules file parser: a full file with every directive and rule
 * field, the defaults, zone and role lookups for the node table, and bad
 * lines refused with their line number and what is wrong.
 */
#include <errno.h>
#include <linux/xmesh.h>
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

int main(void)
{
	full_file();
	defaults();
	bad();
	return tap_done();
}
