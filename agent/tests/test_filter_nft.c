// SPDX-License-Identifier: GPL-2.0
/*
 * The nftables batch builder: the messages of a replacement (one
 * transaction: begin, create-delete-create the table, sets, chains,
 * rules, end; only the last change acked), which rules go in which chain
 * (this node's own zone decides; a destination zone out is a set lookup,
 * once per family), the sets' intervals; then, where the test may make a
 * network namespace (root), the batch committed for real and read back:
 * nft's listing of it, the counters per line, a second replace and the
 * delete.
 */

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/rule.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "xmesh_filter_nft.h"

static const char rules[] =
	"zone iot 10\n"			/* 1 */
	"zone compute 20\n"		/* 2 */
	"zone billing 30\n"		/* 3 */
	"role db 0\n"			/* 4 */
	"policy deny\n"			/* 5 */
	"allow from zone compute to zone billing proto tcp dport 5432\n"
	"deny dir in from zone iot log\n"	/* 7 */
	"allow dir out to 10.0.3.0/24 proto udp dport 1000-2000\n"
	"allow to role db\n"		/* 9 */
	"allow dir in from fd00:1::/64\n";	/* 10 */

/* Node 3 (this one) is billing and db; 4 compute; 5 billing. */
static const struct xm_nft_node nodes[] = {
	{ 3, 30, 0x1 }, { 4, 20, 0 }, { 5, 30, 0 },
};

static struct xm_nft_prefix prefixes[4];

static void view(struct xm_nft_view *v)
{
	xm_parse_prefix("10.0.3.0/24", &prefixes[0].addr, &prefixes[0].len);
	prefixes[0].node = 3;
	xm_parse_prefix("10.0.5.0/24", &prefixes[1].addr, &prefixes[1].len);
	prefixes[1].node = 5;
	xm_parse_prefix("10.0.4.0/24", &prefixes[2].addr, &prefixes[2].len);
	prefixes[2].node = 4;
	xm_parse_prefix("fd00:5::/64", &prefixes[3].addr, &prefixes[3].len);
	prefixes[3].node = 5;
	*v = (struct xm_nft_view){ .ifname = "xmesh0", .self = 3,
				   .nodes = nodes, .n_nodes = 3,
				   .prefixes = prefixes, .n_prefixes = 4 };
}

struct walk {
	unsigned int msgs, tables, deltables, sets, elems, chains, rules;
	unsigned int acked, rules_in[3];
};

static void walk(const struct xm_nft_batch *b, struct walk *w)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)b->buf;
	int left = (int)b->len;

	memset(w, 0, sizeof(*w));
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		uint16_t type = nlh->nlmsg_type & 0xff;

		w->msgs++;
		w->acked += !!(nlh->nlmsg_flags & NLM_F_ACK);
		if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN ||
		    nlh->nlmsg_type == NFNL_MSG_BATCH_END)
			continue;
		if (type == NFT_MSG_NEWTABLE)
			w->tables++;
		else if (type == NFT_MSG_DELTABLE)
			w->deltables++;
		else if (type == NFT_MSG_NEWSET)
			w->sets++;
		else if (type == NFT_MSG_NEWCHAIN)
			w->chains++;
		else if (type == NFT_MSG_NEWSETELEM)
			w->elems++;
		else if (type == NFT_MSG_NEWRULE) {
			struct nftnl_rule *r = nftnl_rule_alloc();
			const char *ch;

			w->rules++;
			if (!nftnl_rule_nlmsg_parse(nlh, r)) {
				ch = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
				w->rules_in[!strcmp(ch, "out") ? 1 :
					    !strcmp(ch, "fwd") ? 2 : 0]++;
			}
			nftnl_rule_free(r);
		}
	}
}

static void build(void)
{
	struct xm_filter f;
	struct xm_nft_view v;
	struct xm_nft_batch b;
	struct walk w;
	char err[160];

	view(&v);
	is_int(xm_filter_parse(rules, &f, err, sizeof(err)), 0, "rules parse");
	is_int(xm_nft_build(&f, &v, 100, &b), 0, "built");
	walk(&b, &w);
	is_int(w.tables, 2, "table created twice");
	is_int(w.deltables, 1, "and deleted in between: a replacement");
	is_int(w.chains, 3, "chains in, out, fwd");
	/* Sets: z30 (to zone billing) and r0 (to role db), each family. */
	is_int(w.sets, 4, "four sets");
	is_int(w.elems, 3, "elements for the three sets not empty (r0_6 is)");
	is_int(w.acked, 1, "one message acked");
	/*
	 * in: 2 + line 6 (self is billing: any family) + line 7 (log: 2)
	 *     + line 9 (self has db) + line 10 + policy = 8
	 * out: 2 + line 6 (self is not compute: left out) + line 8
	 *      + line 9 (a set per family: 2) + policy = 6
	 * fwd: 2 + line 6 (2 families) + line 9 (2) + policy = 7
	 */
	is_int(w.rules_in[0], 8, "rules in chain in");
	is_int(w.rules_in[1], 6, "rules in chain out");
	is_int(w.rules_in[2], 7, "rules in chain fwd");
	is_int(b.n_rules, 21, "rules counted");
	xm_nft_batch_free(&b);
	xm_filter_free(&f);
}

static bool listing_has(const char *what)
{
	char line[512];
	bool found = false;
	FILE *p = popen("nft list table inet xmesh 2>&1", "r");

	if (!p)
		return false;
	while (fgets(line, sizeof(line), p))
		found |= strstr(line, what) != NULL;
	pclose(p);
	return found;
}

static void live(void)
{
	struct xm_filter f;
	struct xm_nft_view v;
	struct xm_nft_batch b;
	struct xm_nft_count *c;
	char err[160];
	size_t n;

	if (unshare(CLONE_NEWNET)) {
		ok(true, "# SKIP live: no network namespace (%s)",
		   strerror(errno));
		return;
	}
	view(&v);
	xm_filter_parse(rules, &f, err, sizeof(err));
	xm_nft_build(&f, &v, 1, &b);
	is_int(xm_nft_commit(&b, err, sizeof(err)), 0, "committed");
	if (err[0])
		ok(false, "%s", err);
	xm_nft_batch_free(&b);
	if (getenv("XMESH_TEST_NFT_SHOW"))
		system("nft list table inet xmesh >&2");
	ok(listing_has("ct state established,related accept"),
	   "return traffic accepted first");
	ok(listing_has("meta mark 0x000a0000/16 counter packets 0 bytes 0 drop"),
	   "the iot zone matched in the mark");
	ok(listing_has("@z30_4"), "a destination zone is a set");
	ok(listing_has("10.0.3.0/24, 10.0.5.0/24"), "the set's prefixes");
	ok(listing_has("comment \"xmesh line 6\""), "rules name their line");
	ok(listing_has("limit rate 10/second"), "log rate-limited");

	is_int(xm_nft_counters(&c, &n), 0, "counters read");
	ok(n == 6 && c[0].line == 0 && c[1].line == 6 && c[5].line == 10,
	   "by line: the policy, 6, 7, 8, 9, 10");
	free(c);

	/* Replace again, with another node in billing: one transaction. */
	prefixes[2].node = 5;
	xm_nft_build(&f, &v, 1000, &b);
	is_int(xm_nft_commit(&b, err, sizeof(err)), 0, "replaced");
	xm_nft_batch_free(&b);
	ok(listing_has("10.0.3.0/24, 10.0.4.0/24, 10.0.5.0/24") ||
	   listing_has("10.0.3.0-10.0.5.255"), "the set follows the nodes");

	xm_nft_build_delete(1, &b);
	is_int(xm_nft_commit(&b, err, sizeof(err)), 0, "deleted");
	xm_nft_batch_free(&b);
	is_int(xm_nft_counters(&c, &n), -ENOENT, "no table, no counters");
	xm_nft_build_delete(1, &b);
	is_int(xm_nft_commit(&b, err, sizeof(err)), 0,
	       "deleting what is not there is fine");
	xm_nft_batch_free(&b);
	xm_filter_free(&f);
}

int main(void)
{
	build();
	live();
	return tap_done();
}
