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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
	ok(!listing_has("10.0.4.0/24"), "not those of other zones");
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
	/* Node 4's prefix was in no set of billing before. */
	ok(listing_has("10.0.4.0/24"), "the set follows the nodes");

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

static const char runs_rules[] =
	"policy deny\n"				/* 1 */
	"deny dir in from 10.200.0.1/32 proto udp dport 9\n"
	"deny dir in from 10.200.0.6/32 proto udp dport 9\n"
	"deny dir in from 10.200.0.3/32 proto udp dport 9\n"
	"deny dir in from 10.200.0.4/32 proto udp dport 9\n"
	"deny dir in from 10.200.0.5/32 proto udp dport 9\n"
	"deny dir in from 10.200.0.2/32 proto udp dport 9\n"	/* 7 */
	"allow dir in proto udp dport 5201\n"		/* 8 */
	"deny dir in from 10.9.0.0/16\n"		/* 9: overlaps 10 */
	"deny dir in from 10.9.1.0/24\n"
	"deny dir in from 10.8.0.0/16\n"
	"deny dir in from 10.7.0.0/16\n"		/* 12 */
	"allow dir out\n";

/*
 * Runs: lines 2-7 differ only in their source: one set (in_2), one rule;
 * lines 9-12 too, but their prefixes overlap: four rules. Live, a packet
 * from 10.200.0.3 (on lo) counts for line 4 alone.
 */
static void runs(void)
{
	struct xm_nft_view v = { .ifname = "lo", .self = 1 };
	struct xm_nft_count *c;
	const struct xm_nft_count *k4 = NULL, *k6 = NULL;
	struct xm_nft_batch b;
	struct xm_filter f;
	struct walk w;
	char err[160];
	size_t n, i;

	is_int(xm_filter_parse(runs_rules, &f, err, sizeof(err)), 0,
	       "runs: parse");
	xm_nft_build(&f, &v, 1, &b);
	walk(&b, &w);
	is_int(w.sets, 1, "runs: one set, for lines 2-7");
	/* in: 2 + the run + line 8 + lines 9-12 + policy; out 4, fwd 3 */
	is_int(w.rules_in[0], 9, "runs: rules in chain in");
	is_int(b.n_rules, 16, "runs: rules counted");
	if (geteuid()) {
		ok(true, "# SKIP live runs: not root");
		xm_nft_batch_free(&b);
		xm_filter_free(&f);
		return;
	}
	is_int(xm_nft_commit(&b, err, sizeof(err)), 0, "runs: committed");
	xm_nft_batch_free(&b);
	ok(listing_has("ip saddr @in_2"), "runs: the rule looks the set up");
	if (system("ip link set lo up && ip addr add 10.200.0.3/32 dev lo && "
		   "ip addr add 10.200.0.4/32 dev lo"))
		ok(false, "runs: addresses on lo");
	else {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in from = { .sin_family = AF_INET };
		struct sockaddr_in to = { .sin_family = AF_INET,
					  .sin_port = htons(9) };

		inet_pton(AF_INET, "10.200.0.3", &from.sin_addr);
		inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
		bind(fd, (struct sockaddr *)&from, sizeof(from));
		for (i = 0; i < 3; i++)
			sendto(fd, "x", 1, 0, (struct sockaddr *)&to,
			       sizeof(to));
		close(fd);
	}
	is_int(xm_nft_counters(&c, &n), 0, "runs: counters read");
	is_int(n, 13, "runs: every line, and the policy");
	for (i = 0; i < n; i++) {
		if (c[i].line == 4)
			k4 = &c[i];
		if (c[i].line == 6)
			k6 = &c[i];
	}
	ok(k4 && k4->packets == 3, "runs: line 4's element counted 3 packets");
	ok(k6 && k6->packets == 0, "runs: line 6's none");
	free(c);
	xm_filter_free(&f);
}

static const char zone_rules[] =
	"zone a 10\nzone b 20\nzone c 30\n"		/* 1-3 */
	"policy allow\n"
	"deny dir in from zone a proto udp dport 9\n"	/* 5 */
	"allow dir in from zone b proto udp dport 9\n"
	"deny dir in from zone c proto udp dport 9\n"	/* 7 */
	"deny dir in proto udp dport 9\n";		/* 8 */

/* count packets to dst port 9 with mark (SO_MARK: root). */
static void send_marked(const char *dst, uint32_t mark, int count)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), i;
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(9) };

	inet_pton(AF_INET, dst, &to.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
	for (i = 0; i < count; i++)
		sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to));
	close(fd);
}

/*
 * The case what: text built as of v into sets (sets and maps) and rules
 * in chain ch, then, as root, committed and listed with listing in it.
 * Whether it went live, for the caller's packets.
 */
static bool map_case(const char *what, const char *text,
		     const struct xm_nft_view *v, unsigned int sets, int ch,
		     unsigned int rules, const char *listing)
{
	struct xm_nft_batch b;
	struct xm_filter f;
	struct walk w;
	char err[160];
	bool live = !geteuid();

	ok(!xm_filter_parse(text, &f, err, sizeof(err)), "%s: parse", what);
	xm_nft_build(&f, v, 1, &b);
	walk(&b, &w);
	ok(w.sets == sets, "%s: %u sets and maps (%u)", what, sets, w.sets);
	ok(w.rules_in[ch] == rules, "%s: %u rules in chain %d (%u)", what,
	   rules, ch, w.rules_in[ch]);
	if (!live)
		ok(true, "# SKIP live %s: not root", what);
	else if (!ok(!xm_nft_commit(&b, err, sizeof(err)), "%s: committed",
		     what))
		live = false;
	else
		ok(listing_has(listing), "%s: the listing has \"%s\"", what,
		   listing);
	xm_nft_batch_free(&b);
	xm_filter_free(&f);
	return live;
}

/* Lines line[0..k) counted want[0..k) packets. */
static void counted(const char *what, const unsigned int *line,
		    const uint64_t *want, size_t k)
{
	struct xm_nft_count *c;
	size_t n, i, j;
	bool same = true;

	if (!ok(!xm_nft_counters(&c, &n), "%s: counters read", what))
		return;
	for (i = 0; i < k; i++) {
		uint64_t got = UINT64_MAX;

		for (j = 0; j < n; j++)
			if (c[j].line == line[i])
				got = c[j].packets;
		if (got != want[i]) {
			ok(false, "%s: line %u counted %llu, not %llu", what,
			   line[i], (unsigned long long)got,
			   (unsigned long long)want[i]);
			same = false;
		}
	}
	if (same)
		ok(true, "%s: every line counted what it should", what);
	free(c);
}

/*
 * Lines 5-7 differ only in their source zone: one verdict map lookup on
 * the mark's zone bits (in_5). Live, on lo, with marks set by SO_MARK:
 * zone b's packets are counted by line 6, c's by line 7, and those of a
 * zone in no element go on to line 8. (test_filter_nft_eval proves the
 * decisions equal the rules' on random rule sets.)
 */
static void zones(void)
{
	static const unsigned int line[] = { 5, 6, 7, 8 };
	static const uint64_t want[] = { 0, 3, 2, 1 };
	struct xm_nft_view v = { .ifname = "lo", .self = 1 };

	/* in: 2 + the map's rule + line 8 + policy */
	if (!map_case("zones", zone_rules, &v, 1, 0, 5,
		      "meta mark & 0xffff0000 vmap @in_5"))
		return;
	send_marked("127.0.0.1", 20u << 16 | 0x3, 3);
	send_marked("127.0.0.1", 30u << 16, 2);
	send_marked("127.0.0.1", 50u << 16, 1);
	counted("zones", line, want, 4);
}

static const char dst_rules[] =
	"zone a 10\nzone b 20\nzone c 30\n"		/* 1-3 */
	"policy allow\n"
	"deny dir out to zone b proto udp dport 9\n"	/* 5 */
	"allow dir out to zone c proto udp dport 9\n"	/* 6 */
	"deny dir out proto udp dport 9\n";		/* 7 */

/*
 * Lines 5-6 differ only in their destination zone: one interval verdict
 * map (out_5_4, out_5_6). Node 3 (c) has 127.0.0.0/16, node 2 (b)
 * 127.0.2.0/24 inside it: an address there is in both zones, and line 5,
 * the first, decides. Live on lo: 127.0.2.1 counted by line 5,
 * 127.0.3.1 by line 6, 127.1.0.1 (no zone) by line 7.
 */
static void dst_zones(void)
{
	static const struct xm_nft_node nodes3[] = {
		{ 1, 10, 0 }, { 2, 20, 0 }, { 3, 30, 0 },
	};
	static const unsigned int line[] = { 5, 6, 7 };
	static const uint64_t want[] = { 3, 2, 1 };
	struct xm_nft_prefix p[2] = { { .node = 3 }, { .node = 2 } };
	struct xm_nft_view v = { .ifname = "lo", .self = 1, .nodes = nodes3,
				 .n_nodes = 3, .prefixes = p,
				 .n_prefixes = 2 };

	xm_parse_prefix("127.0.0.0/16", &p[0].addr, &p[0].len);
	xm_parse_prefix("127.0.2.0/24", &p[1].addr, &p[1].len);
	/*
	 * A map per family, and the sets of zones b and c per family; out:
	 * 2 + the map's rule per family + line 7 + policy.
	 */
	if (!map_case("destination zones", dst_rules, &v, 6, 1, 6,
		      "ip daddr vmap @out_5_4"))
		return;
	send_marked("127.0.2.1", 0, 3);
	send_marked("127.0.3.1", 0, 2);
	send_marked("127.1.0.1", 0, 1);
	counted("destination zones", line, want, 3);
}

int main(void)
{
	build();
	live();
	runs();
	zones();
	dst_zones();
	return tap_done();
}
