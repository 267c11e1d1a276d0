// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the xmesh prefix table (prefix.c): hand-written cases
 * for longest-prefix match, the key rules and the table's bookkeeping,
 * then a randomized differential test against a deliberately simple
 * reference, an array scanned in full for the longest covering prefix.
 *
 * The table's writer lock belongs to its device; these tables have no
 * device and no concurrent writer, so the writer functions are called
 * bare. Lookups take rcu_read_lock() as the packet path does.
 */
#include <kunit/test.h>
#include <linux/inet.h>
#include <linux/inetdevice.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include "../xmesh_priv.h"

static ulong prefix_seed = 0x786d657368504658ULL;
module_param(prefix_seed, ulong, 0444);
MODULE_PARM_DESC(prefix_seed, "KUnit: seed of the xmesh_prefix random tests");

/* ------------------------------------------------------------ helpers */

static int res_init(struct kunit_resource *res, void *data)
{
	res->data = data;
	return 0;
}

static void table_res_free(struct kunit_resource *res)
{
	struct xmesh_prefix_table *t = res->data;

	xmesh_prefix_table_uninit(t);
	/* Entries and length lists go after a grace period. */
	rcu_barrier();
	kfree(t);
}

/* An empty table, torn down when the test ends. */
static struct xmesh_prefix_table *new_table(struct kunit *test)
{
	struct xmesh_prefix_table *t = kzalloc(sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	if (xmesh_prefix_table_init(t)) {
		kfree(t);
		KUNIT_ASSERT_FAILURE(test, "xmesh_prefix_table_init failed");
	}
	if (!kunit_alloc_resource(test, res_init, table_res_free, GFP_KERNEL,
				  t)) {
		xmesh_prefix_table_uninit(t);
		kfree(t);
		KUNIT_ASSERT_FAILURE(test, "out of memory");
	}
	KUNIT_EXPECT_EQ(test, t->count, 0U);
	return t;
}

/* Parse "a.b.c.d" or an IPv6 address into @addr, zeroing the rest. */
static u16 parse(struct kunit *test, const char *s, union xmesh_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (in4_pton(s, -1, (u8 *)&addr->v4, -1, NULL))
		return AF_INET;
	if (in6_pton(s, -1, addr->v6.s6_addr, -1, NULL))
		return AF_INET6;
	KUNIT_FAIL(test, "bad address in test: %s", s);
	return 0;
}

/* "10.1.0.0/16" or "2001:db8::/32" */
static struct xmesh_prefix_key pfx(struct kunit *test, const char *s)
{
	struct xmesh_prefix_key key = { };
	const char *slash = strchr(s, '/');
	char buf[INET6_ADDRSTRLEN];
	unsigned int len;

	if (!slash || slash - s >= sizeof(buf) || kstrtouint(slash + 1, 10, &len) ||
	    len > 255) {
		KUNIT_FAIL(test, "bad prefix in test: %s", s);
		return key;
	}
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	key.family = parse(test, buf, &key.addr);
	key.len = len;
	return key;
}

static int ins(struct kunit *test, struct xmesh_prefix_table *t,
	       const char *s, u32 node, bool replace)
{
	struct xmesh_prefix_key key = pfx(test, s);

	return xmesh_prefix_insert(t, &key, node, replace);
}

static int del(struct kunit *test, struct xmesh_prefix_table *t,
	       const char *s)
{
	struct xmesh_prefix_key key = pfx(test, s);

	return xmesh_prefix_remove(t, &key);
}

static bool has(struct kunit *test, struct xmesh_prefix_table *t,
		const char *s)
{
	struct xmesh_prefix_key key = pfx(test, s);

	return xmesh_prefix_find(t, &key);
}

static u32 lookup_addr(struct xmesh_prefix_table *t, u16 family,
		       const union xmesh_addr *addr)
{
	u32 node;

	rcu_read_lock();
	node = xmesh_prefix_lookup(t, family, addr);
	rcu_read_unlock();
	return node;
}

static u32 look(struct kunit *test, struct xmesh_prefix_table *t,
		const char *s)
{
	union xmesh_addr addr;
	u16 family = parse(test, s, &addr);

	return lookup_addr(t, family, &addr);
}

/* Expect the lookup of each address of @cases to give its node. */
struct lpm_case {
	const char *addr;
	u32 node;
};

static void expect_lookups(struct kunit *test, struct xmesh_prefix_table *t,
			   const struct lpm_case *cases, int n)
{
	int i;

	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, look(test, t, cases[i].addr),
				    cases[i].node, "lookup %s", cases[i].addr);
}

/* ------------------------------------------------------ hand-written */

static const char * const v4_nested[] = {
	"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32",
	"10.1.2.128/25", "10.1.2.0/31",
};

static const struct lpm_case v4_nested_cases[] = {
	{ "10.1.2.3", 4 },		/* host */
	{ "10.1.2.2", 3 },		/* /24, /31 is .0-.1 */
	{ "10.1.2.0", 6 },		/* /31, both ends */
	{ "10.1.2.1", 6 },
	{ "10.1.2.4", 3 },
	{ "10.1.2.127", 3 },		/* last of the /24's lower half */
	{ "10.1.2.128", 5 },		/* /25 */
	{ "10.1.2.255", 5 },
	{ "10.1.1.255", 2 },		/* just below the /24 */
	{ "10.1.3.0", 2 },		/* just above it */
	{ "10.1.255.255", 2 },
	{ "10.0.255.255", 1 },		/* just below the /16 */
	{ "10.2.0.0", 1 },
	{ "10.0.0.0", 1 },
	{ "10.255.255.255", 1 },
	{ "9.255.255.255", 0 },		/* outside the /8 */
	{ "11.0.0.0", 0 },
	{ "0.0.0.0", 0 },
	{ "255.255.255.255", 0 },
};

/*
 * The @n nested @prefixes (node i + 1 for the i-th), inserted in both
 * orders into two tables: each answers @cases. The first table.
 */
static struct xmesh_prefix_table *
nested_both_orders(struct kunit *test, const char * const *prefixes, int n,
		   const struct lpm_case *cases, int n_cases)
{
	struct xmesh_prefix_table *t = new_table(test);
	struct xmesh_prefix_table *r = new_table(test);
	int i;

	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, ins(test, t, prefixes[i], i + 1, false),
				    0, "%s", prefixes[i]);
	KUNIT_EXPECT_EQ(test, t->count, n);
	expect_lookups(test, t, cases, n_cases);

	/* The order of insertion does not matter. */
	for (i = n - 1; i >= 0; i--)
		KUNIT_EXPECT_EQ_MSG(test, ins(test, r, prefixes[i], i + 1, false),
				    0, "%s", prefixes[i]);
	expect_lookups(test, r, cases, n_cases);
	return t;
}

static void xmesh_prefix_v4_longest(struct kunit *test)
{
	nested_both_orders(test, v4_nested, ARRAY_SIZE(v4_nested),
			   v4_nested_cases, ARRAY_SIZE(v4_nested_cases));
}

static void xmesh_prefix_v4_default(struct kunit *test)
{
	static const struct lpm_case with_half[] = {
		{ "0.0.0.0", 9 }, { "255.255.255.255", 3 }, { "10.0.0.1", 9 },
		{ "192.168.1.1", 2 }, { "192.168.1.0", 2 },
		{ "192.168.0.255", 3 }, { "192.168.1.255", 2 },
		{ "192.168.2.0", 3 }, { "128.0.0.0", 3 },
		{ "127.255.255.255", 9 }, { "255.255.255.254", 4 },
	};
	static const struct lpm_case without_half[] = {
		{ "0.0.0.0", 9 }, { "255.255.255.255", 9 }, { "10.0.0.1", 9 },
		{ "192.168.1.1", 2 }, { "192.168.0.255", 9 },
		{ "192.168.2.0", 9 }, { "128.0.0.0", 9 },
		{ "127.255.255.255", 9 }, { "255.255.255.254", 4 },
	};
	struct xmesh_prefix_table *t = new_table(test);

	/* No default yet: nothing matches. */
	KUNIT_EXPECT_EQ(test, look(test, t, "1.2.3.4"), 0U);
	KUNIT_EXPECT_EQ(test, ins(test, t, "0.0.0.0/0", 9, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "192.168.1.0/24", 2, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "255.255.255.254/32", 4, false), 0);
	expect_lookups(test, t, without_half, ARRAY_SIZE(without_half));
	/* The upper half of the space, /1: between the default and the rest. */
	KUNIT_EXPECT_EQ(test, ins(test, t, "128.0.0.0/1", 3, false), 0);
	expect_lookups(test, t, with_half, ARRAY_SIZE(with_half));
	KUNIT_EXPECT_EQ(test, del(test, t, "128.0.0.0/1"), 0);
	expect_lookups(test, t, without_half, ARRAY_SIZE(without_half));

	/* A default in one family does not answer for the other. */
	KUNIT_EXPECT_EQ(test, look(test, t, "::"), 0U);
	KUNIT_EXPECT_EQ(test, look(test, t, "2001:db8::1"), 0U);
	KUNIT_EXPECT_EQ(test, look(test, t, "::ffff:10.0.0.1"), 0U);

	KUNIT_EXPECT_EQ(test, del(test, t, "0.0.0.0/0"), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.0.0.1"), 0U);
	KUNIT_EXPECT_EQ(test, look(test, t, "192.168.1.1"), 2U);
}

static const char * const v6_nested[] = {
	"2001:db8::/32", "2001:db8:1::/48", "2001:db8:1:2::/64",
	"2001:db8:1:2::5/128", "::/0", "2001:db8:1:2::/63",
	"2001:db8:1:2::4/127", "2001:db8:1:2:8000::/65", "8000::/1",
};

static const struct lpm_case v6_nested_cases[] = {
	{ "2001:db8:1:2::5", 4 },			/* host */
	{ "2001:db8:1:2::4", 7 },			/* /127, both ends */
	{ "2001:db8:1:2::6", 3 },
	{ "2001:db8:1:2::3", 3 },
	{ "2001:db8:1:2::", 3 },			/* first of the /64 */
	{ "2001:db8:1:2:7fff:ffff:ffff:ffff", 3 },	/* last below the /65 */
	{ "2001:db8:1:2:8000::", 8 },			/* the /65 */
	{ "2001:db8:1:2:ffff:ffff:ffff:ffff", 8 },
	{ "2001:db8:1:3::", 6 },			/* the /63's other /64 */
	{ "2001:db8:1:3:ffff:ffff:ffff:ffff", 6 },
	{ "2001:db8:1:1:ffff:ffff:ffff:ffff", 2 },	/* just below the /63 */
	{ "2001:db8:1:4::", 2 },			/* just above it */
	{ "2001:db8:1:ffff:ffff:ffff:ffff:ffff", 2 },
	{ "2001:db8:2::", 1 },
	{ "2001:db8:0:ffff::", 1 },
	{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 5 },	/* outside */
	{ "2001:db9::", 5 },
	{ "::", 5 },
	{ "::1", 5 },
	{ "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 5 },
	{ "8000::", 9 },				/* the /1 */
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 9 },
};

static void xmesh_prefix_v6_longest(struct kunit *test)
{
	struct xmesh_prefix_table *t;

	t = nested_both_orders(test, v6_nested, ARRAY_SIZE(v6_nested),
			       v6_nested_cases, ARRAY_SIZE(v6_nested_cases));
	/* An IPv6 default does not answer IPv4 lookups. */
	KUNIT_EXPECT_EQ(test, look(test, t, "10.0.0.1"), 0U);
}

/* Every length of each family, in one chain of nested prefixes. */
static void xmesh_prefix_all_lengths(struct kunit *test)
{
	struct xmesh_prefix_table *t = new_table(test);
	struct xmesh_prefix_key key;
	union xmesh_addr addr, probe;
	int len, i;

	/* 0xa5a5a5a5 and a5a5:...: every length masks a different value. */
	memset(&addr, 0xa5, sizeof(addr));
	for (len = 0; len <= 32; len++) {
		memset(&key, 0, sizeof(key));
		key.family = AF_INET;
		key.len = len;
		key.addr.v4 = addr.v4 & inet_make_mask(len);
		KUNIT_ASSERT_EQ(test, xmesh_prefix_insert(t, &key, 1000 + len,
							  false), 0);
	}
	for (len = 0; len <= 128; len++) {
		memset(&key, 0, sizeof(key));
		key.family = AF_INET6;
		key.len = len;
		ipv6_addr_prefix(&key.addr.v6, &addr.v6, len);
		KUNIT_ASSERT_EQ(test, xmesh_prefix_insert(t, &key, 2000 + len,
							  false), 0);
	}
	KUNIT_EXPECT_EQ(test, t->count, 33U + 129U);

	/* Flipping bit i of the address leaves prefixes up to /i matching. */
	for (i = 0; i < 32; i++) {
		probe = addr;
		probe.v4 ^= htonl(BIT(31 - i));
		KUNIT_EXPECT_EQ_MSG(test, lookup_addr(t, AF_INET, &probe),
				    1000U + i, "bit %d", i);
	}
	KUNIT_EXPECT_EQ(test, lookup_addr(t, AF_INET, &addr), 1032U);
	for (i = 0; i < 128; i++) {
		probe = addr;
		probe.v6.s6_addr[i / 8] ^= 0x80 >> (i % 8);
		KUNIT_EXPECT_EQ_MSG(test, lookup_addr(t, AF_INET6, &probe),
				    2000U + i, "bit %d", i);
	}
	KUNIT_EXPECT_EQ(test, lookup_addr(t, AF_INET6, &addr), 2128U);

	/* Removing from the longest down: each removal exposes the next. */
	for (len = 32; len > 0; len--) {
		memset(&key, 0, sizeof(key));
		key.family = AF_INET;
		key.len = len;
		key.addr.v4 = addr.v4 & inet_make_mask(len);
		KUNIT_EXPECT_EQ(test, xmesh_prefix_remove(t, &key), 0);
		KUNIT_EXPECT_EQ(test, lookup_addr(t, AF_INET, &addr),
				1000U + len - 1);
	}
	for (len = 128; len > 0; len--) {
		memset(&key, 0, sizeof(key));
		key.family = AF_INET6;
		key.len = len;
		ipv6_addr_prefix(&key.addr.v6, &addr.v6, len);
		KUNIT_EXPECT_EQ(test, xmesh_prefix_remove(t, &key), 0);
		KUNIT_EXPECT_EQ(test, lookup_addr(t, AF_INET6, &addr),
				2000U + len - 1);
	}
	KUNIT_EXPECT_EQ(test, t->count, 2U);
}

/* The same address bytes and length in both families: two entries. */
static void xmesh_prefix_families_apart(struct kunit *test)
{
	struct xmesh_prefix_table *t = new_table(test);

	KUNIT_EXPECT_EQ(test, ins(test, t, "10.0.0.0/8", 1, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "a00::/8", 2, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "0.0.0.0/0", 3, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "::/0", 4, false), 0);
	KUNIT_EXPECT_EQ(test, t->count, 4U);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.2.3"), 1U);
	KUNIT_EXPECT_EQ(test, look(test, t, "a01:203::"), 2U);
	KUNIT_EXPECT_EQ(test, look(test, t, "11.0.0.0"), 3U);
	KUNIT_EXPECT_EQ(test, look(test, t, "b00::"), 4U);

	KUNIT_EXPECT_EQ(test, del(test, t, "a00::/8"), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.2.3"), 1U);
	KUNIT_EXPECT_EQ(test, look(test, t, "a01:203::"), 4U);
	KUNIT_EXPECT_EQ(test, del(test, t, "a00::/8"), -ENOENT);
	KUNIT_EXPECT_EQ(test, del(test, t, "0.0.0.0/0"), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "11.0.0.0"), 0U);
	KUNIT_EXPECT_EQ(test, look(test, t, "b00::"), 4U);
	KUNIT_EXPECT_TRUE(test, has(test, t, "10.0.0.0/8"));
	KUNIT_EXPECT_FALSE(test, has(test, t, "a00::/8"));
	KUNIT_EXPECT_TRUE(test, has(test, t, "::/0"));
	KUNIT_EXPECT_FALSE(test, has(test, t, "0.0.0.0/0"));
}

static void xmesh_prefix_remove_fallback(struct kunit *test)
{
	struct xmesh_prefix_table *t = new_table(test);

	KUNIT_EXPECT_EQ(test, ins(test, t, "0.0.0.0/0", 1, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.0.0.0/8", 2, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.1.0.0/16", 3, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.1.2.0/24", 4, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.1.2.3/32", 5, false), 0);
	/* A sibling of the same length keeps that length in use. */
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.9.9.0/24", 6, false), 0);

	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.2.3"), 5U);
	KUNIT_EXPECT_EQ(test, del(test, t, "10.1.2.3/32"), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.2.3"), 4U);
	KUNIT_EXPECT_EQ(test, del(test, t, "10.1.2.0/24"), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.2.3"), 3U);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.9.9.9"), 6U);
	KUNIT_EXPECT_EQ(test, del(test, t, "10.1.0.0/16"), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.2.3"), 2U);
	KUNIT_EXPECT_EQ(test, del(test, t, "10.0.0.0/8"), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.2.3"), 1U);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.9.9.9"), 6U);
	KUNIT_EXPECT_EQ(test, del(test, t, "0.0.0.0/0"), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.2.3"), 0U);
	KUNIT_EXPECT_EQ(test, del(test, t, "10.9.9.0/24"), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.9.9.9"), 0U);
	KUNIT_EXPECT_EQ(test, t->count, 0U);

	/* IPv6, removing the middle of the chain first. */
	KUNIT_EXPECT_EQ(test, ins(test, t, "2001:db8::/32", 7, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "2001:db8:1::/48", 8, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "2001:db8:1::1/128", 9, false), 0);
	KUNIT_EXPECT_EQ(test, del(test, t, "2001:db8:1::/48"), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "2001:db8:1::1"), 9U);
	KUNIT_EXPECT_EQ(test, look(test, t, "2001:db8:1::2"), 7U);
	KUNIT_EXPECT_EQ(test, del(test, t, "2001:db8:1::1/128"), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "2001:db8:1::1"), 7U);
	KUNIT_EXPECT_EQ(test, del(test, t, "2001:db8::/32"), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "2001:db8:1::1"), 0U);
	KUNIT_EXPECT_EQ(test, t->count, 0U);
}

static void xmesh_prefix_replace(struct kunit *test)
{
	struct xmesh_prefix_table *t = new_table(test);

	KUNIT_EXPECT_EQ(test, ins(test, t, "10.1.0.0/16", 1, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.1.0.0/16", 2, false), -EEXIST);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.2.3"), 1U);
	KUNIT_EXPECT_EQ(test, t->count, 1U);

	KUNIT_EXPECT_EQ(test, ins(test, t, "10.1.0.0/16", 2, true), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.2.3"), 2U);
	KUNIT_EXPECT_EQ(test, t->count, 1U);
	/* Replacing with the same node is fine too. */
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.1.0.0/16", 2, true), 0);
	KUNIT_EXPECT_EQ(test, t->count, 1U);

	/* Replace of a prefix that does not exist adds it. */
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.1.2.0/24", 3, true), 0);
	KUNIT_EXPECT_EQ(test, t->count, 2U);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.2.3"), 3U);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.3.3"), 2U);

	/* Same address, other length: another prefix, no conflict. */
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.1.0.0/17", 4, false), 0);
	KUNIT_EXPECT_EQ(test, t->count, 3U);

	KUNIT_EXPECT_EQ(test, ins(test, t, "2001:db8::/32", 5, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "2001:db8::/32", 6, false), -EEXIST);
	KUNIT_EXPECT_EQ(test, look(test, t, "2001:db8::1"), 5U);
	KUNIT_EXPECT_EQ(test, ins(test, t, "2001:db8::/32", 6, true), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "2001:db8::1"), 6U);
	KUNIT_EXPECT_EQ(test, t->count, 4U);

	/* A replaced prefix is still removed once. */
	KUNIT_EXPECT_EQ(test, del(test, t, "10.1.0.0/16"), 0);
	KUNIT_EXPECT_EQ(test, del(test, t, "10.1.0.0/16"), -ENOENT);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.200.1"), 0U);
	KUNIT_EXPECT_EQ(test, t->count, 3U);
}

static void xmesh_prefix_invalid(struct kunit *test)
{
	static const char * const bad[] = {
		"10.1.2.3/24",		/* host bits */
		"10.0.0.1/31",
		"11.0.0.0/7",		/* the last bit of 11 is set */
		"1.0.0.0/0",
		"0.0.0.0/33",		/* too long */
		"10.0.0.0/255",
		"2001:db8::1/64",
		"2001:db8::/28",	/* 0xdb8 has low bits set */
		"::1/127",
		"8000::/0",
		"::/129",
		"2001:db8::/200",
	};
	struct xmesh_prefix_table *t = new_table(test);
	struct xmesh_prefix_key key;
	int i;

	KUNIT_EXPECT_EQ(test, ins(test, t, "10.0.0.0/8", 1, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "2001:db8::/32", 2, false), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		key = pfx(test, bad[i]);
		KUNIT_EXPECT_FALSE_MSG(test, xmesh_prefix_key_valid(&key),
				       "%s", bad[i]);
		KUNIT_EXPECT_EQ_MSG(test, xmesh_prefix_insert(t, &key, 3, false),
				    -EINVAL, "%s", bad[i]);
		KUNIT_EXPECT_EQ_MSG(test, xmesh_prefix_insert(t, &key, 3, true),
				    -EINVAL, "%s", bad[i]);
		KUNIT_EXPECT_EQ_MSG(test, xmesh_prefix_remove(t, &key), -EINVAL,
				    "%s", bad[i]);
	}

	/* Families other than AF_INET and AF_INET6. */
	for (i = 0; i < 4; i++) {
		static const u16 fam[] = { AF_UNSPEC, AF_UNIX, AF_PACKET, 0xffff };

		key = pfx(test, "10.0.0.0/8");
		key.family = fam[i];
		KUNIT_EXPECT_FALSE(test, xmesh_prefix_key_valid(&key));
		KUNIT_EXPECT_EQ_MSG(test, xmesh_prefix_insert(t, &key, 3, false),
				    -EINVAL, "family %u", fam[i]);
		KUNIT_EXPECT_EQ_MSG(test, xmesh_prefix_remove(t, &key), -EINVAL,
				    "family %u", fam[i]);
	}

	/* Padding must be zero. */
	key = pfx(test, "10.0.0.0/8");
	key.pad = 1;
	KUNIT_EXPECT_EQ(test, xmesh_prefix_insert(t, &key, 3, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, xmesh_prefix_remove(t, &key), -EINVAL);

	/* IPv4: the bytes of the union past the IPv4 address must be zero. */
	key = pfx(test, "10.0.0.0/8");
	key.addr.v6.s6_addr[15] = 1;
	KUNIT_EXPECT_EQ(test, xmesh_prefix_insert(t, &key, 3, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, xmesh_prefix_remove(t, &key), -EINVAL);

	/* Valid ones, for contrast. */
	key = pfx(test, "10.0.0.0/8");
	KUNIT_EXPECT_TRUE(test, xmesh_prefix_key_valid(&key));
	key = pfx(test, "255.255.255.255/32");
	KUNIT_EXPECT_TRUE(test, xmesh_prefix_key_valid(&key));
	key = pfx(test, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	KUNIT_EXPECT_TRUE(test, xmesh_prefix_key_valid(&key));
	key = pfx(test, "::/0");
	KUNIT_EXPECT_TRUE(test, xmesh_prefix_key_valid(&key));

	/* Nothing changed. */
	KUNIT_EXPECT_EQ(test, t->count, 2U);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.2.3"), 1U);
	KUNIT_EXPECT_EQ(test, look(test, t, "2001:db8::1"), 2U);
	KUNIT_EXPECT_EQ(test, look(test, t, "11.0.0.0"), 0U);
}

/* xmesh_prefix_find() gives the entry itself; delete takes it out. */
static void xmesh_prefix_find_delete(struct kunit *test)
{
	struct xmesh_prefix_table *t = new_table(test);
	struct xmesh_prefix_key key;
	struct xmesh_prefix *p;

	KUNIT_EXPECT_EQ(test, ins(test, t, "10.0.0.0/8", 1, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.1.0.0/16", 2, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "2001:db8::/32", 3, false), 0);

	key = pfx(test, "10.1.0.0/16");
	p = xmesh_prefix_find(t, &key);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, memcmp(&p->key, &key, sizeof(key)), 0);
	KUNIT_EXPECT_EQ(test, p->node_id, 2U);
	/* A replace changes the entry in place. */
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.1.0.0/16", 4, true), 0);
	KUNIT_EXPECT_PTR_EQ(test, xmesh_prefix_find(t, &key), p);
	KUNIT_EXPECT_EQ(test, p->node_id, 4U);

	xmesh_prefix_delete(t, p);
	KUNIT_EXPECT_NULL(test, xmesh_prefix_find(t, &key));
	KUNIT_EXPECT_EQ(test, t->count, 2U);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.2.3"), 1U);
	KUNIT_EXPECT_EQ(test, del(test, t, "10.1.0.0/16"), -ENOENT);

	/* Not found: other length, other family, never stored. */
	key = pfx(test, "10.0.0.0/9");
	KUNIT_EXPECT_NULL(test, xmesh_prefix_find(t, &key));
	key = pfx(test, "a00::/8");
	KUNIT_EXPECT_NULL(test, xmesh_prefix_find(t, &key));
	key = pfx(test, "2001:db8::/32");
	p = xmesh_prefix_find(t, &key);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, p->node_id, 3U);
	/* The last of its length and family: lookups stop seeing it. */
	xmesh_prefix_delete(t, p);
	KUNIT_EXPECT_EQ(test, look(test, t, "2001:db8::1"), 0U);
	KUNIT_EXPECT_EQ(test, t->count, 1U);
}

static void xmesh_prefix_remove_missing(struct kunit *test)
{
	struct xmesh_prefix_table *t = new_table(test);

	KUNIT_EXPECT_EQ(test, del(test, t, "10.0.0.0/8"), -ENOENT);
	KUNIT_EXPECT_EQ(test, del(test, t, "::/0"), -ENOENT);
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.0.0.0/8", 1, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "2001:db8::/32", 2, false), 0);
	/* Other length, other address, other family. */
	KUNIT_EXPECT_EQ(test, del(test, t, "10.0.0.0/9"), -ENOENT);
	KUNIT_EXPECT_EQ(test, del(test, t, "10.0.0.0/16"), -ENOENT);
	KUNIT_EXPECT_EQ(test, del(test, t, "11.0.0.0/8"), -ENOENT);
	KUNIT_EXPECT_EQ(test, del(test, t, "a00::/8"), -ENOENT);
	KUNIT_EXPECT_EQ(test, del(test, t, "2001:db8::/33"), -ENOENT);
	KUNIT_EXPECT_EQ(test, del(test, t, "2001:db9::/32"), -ENOENT);
	KUNIT_EXPECT_EQ(test, t->count, 2U);
	KUNIT_EXPECT_EQ(test, del(test, t, "10.0.0.0/8"), 0);
	KUNIT_EXPECT_EQ(test, del(test, t, "10.0.0.0/8"), -ENOENT);
	KUNIT_EXPECT_EQ(test, t->count, 1U);
	KUNIT_EXPECT_EQ(test, look(test, t, "2001:db8::1"), 2U);
}

static void xmesh_prefix_flush_count(struct kunit *test)
{
	struct xmesh_prefix_table *t = new_table(test);
	struct xmesh_prefix_key key = { .family = AF_INET, .len = 24 };
	unsigned int i;

	for (i = 0; i < 300; i++) {
		key.addr.v4 = htonl(0x0a000000 | i << 8);
		KUNIT_EXPECT_EQ(test, xmesh_prefix_insert(t, &key, i + 1, false), 0);
		KUNIT_EXPECT_EQ(test, t->count, i + 1);
	}
	KUNIT_EXPECT_EQ(test, ins(test, t, "2001:db8::/32", 1000, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "::/0", 1001, false), 0);
	KUNIT_EXPECT_EQ(test, t->count, 302U);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.0.42.7"), 43U);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.43.7"), 300U);

	xmesh_prefix_flush(t);
	KUNIT_EXPECT_EQ(test, t->count, 0U);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.0.42.7"), 0U);
	KUNIT_EXPECT_EQ(test, look(test, t, "2001:db8::1"), 0U);
	KUNIT_EXPECT_EQ(test, look(test, t, "::1"), 0U);
	KUNIT_EXPECT_FALSE(test, has(test, t, "2001:db8::/32"));
	KUNIT_EXPECT_EQ(test, del(test, t, "::/0"), -ENOENT);
	for (i = 0; i <= 32; i++)
		KUNIT_EXPECT_EQ(test, t->len_count[0][i], 0U);
	for (i = 0; i <= 128; i++)
		KUNIT_EXPECT_EQ(test, t->len_count[1][i], 0U);

	/* Usable again after a flush; flushing an empty table is fine. */
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.0.0.0/8", 7, false), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.0.42.7"), 7U);
	KUNIT_EXPECT_EQ(test, t->count, 1U);
	xmesh_prefix_flush(t);
	xmesh_prefix_flush(t);
	KUNIT_EXPECT_EQ(test, t->count, 0U);
}

/* Lookups take any address: host bits, junk past an IPv4 address. */
static void xmesh_prefix_lookup_addr(struct kunit *test)
{
	struct xmesh_prefix_table *t = new_table(test);
	union xmesh_addr addr;

	KUNIT_EXPECT_EQ(test, ins(test, t, "10.1.0.0/16", 1, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "2001:db8::/32", 2, false), 0);

	memset(&addr, 0xee, sizeof(addr));
	addr.v4 = htonl(0x0a01ffff);
	KUNIT_EXPECT_EQ(test, lookup_addr(t, AF_INET, &addr), 1U);
	addr.v4 = htonl(0x0a02ffff);
	KUNIT_EXPECT_EQ(test, lookup_addr(t, AF_INET, &addr), 0U);

	/* An unknown family matches nothing. */
	parse(test, "10.1.2.3", &addr);
	KUNIT_EXPECT_EQ(test, lookup_addr(t, AF_UNSPEC, &addr), 0U);
	KUNIT_EXPECT_EQ(test, lookup_addr(t, AF_PACKET, &addr), 0U);
	parse(test, "2001:db8::1", &addr);
	KUNIT_EXPECT_EQ(test, lookup_addr(t, AF_UNSPEC, &addr), 0U);
	KUNIT_EXPECT_EQ(test, lookup_addr(t, AF_INET6, &addr), 2U);
	/* An IPv6 address's first four bytes are no IPv4 address. */
	KUNIT_EXPECT_EQ(test, ins(test, t, "32.1.13.184/32", 3, false), 0);
	KUNIT_EXPECT_EQ(test, lookup_addr(t, AF_INET, &addr), 3U);
	KUNIT_EXPECT_EQ(test, lookup_addr(t, AF_INET6, &addr), 2U);
}

/* XMESH_MAX_PREFIXES entries fit; one more is -ENOSPC. */
static void xmesh_prefix_full(struct kunit *test)
{
	struct xmesh_prefix_table *t = new_table(test);
	struct xmesh_prefix_key key = { .family = AF_INET, .len = 32 };
	unsigned int i;
	int err;

	for (i = 0; i < XMESH_MAX_PREFIXES; i++) {
		key.addr.v4 = htonl(0x0a000000 + i);
		err = xmesh_prefix_insert(t, &key, i + 1, false);
		if (err) {
			KUNIT_FAIL(test, "insert %u of %u: %d", i,
				   XMESH_MAX_PREFIXES, err);
			return;
		}
		if (!(i % 4096))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, t->count, XMESH_MAX_PREFIXES);
	KUNIT_EXPECT_EQ(test, ins(test, t, "11.0.0.0/8", 1, false), -ENOSPC);
	KUNIT_EXPECT_EQ(test, ins(test, t, "11.0.0.0/8", 1, true), -ENOSPC);
	KUNIT_EXPECT_EQ(test, ins(test, t, "2001:db8::/32", 1, false), -ENOSPC);
	/* Changing an existing one still works. */
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.0.0.5/32", 77, true), 0);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.0.0.5"), 77U);
	KUNIT_EXPECT_EQ(test, ins(test, t, "10.0.0.5/32", 77, false), -EEXIST);
	/* Room after a removal. */
	KUNIT_EXPECT_EQ(test, del(test, t, "10.0.0.5/32"), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "2001:db8::/32", 1, false), 0);
	KUNIT_EXPECT_EQ(test, ins(test, t, "11.0.0.0/8", 1, false), -ENOSPC);
	KUNIT_EXPECT_EQ(test, t->count, XMESH_MAX_PREFIXES);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.0.255.255"), 65536U);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.1.0.0"), 0U);
	KUNIT_EXPECT_EQ(test, look(test, t, "10.0.0.5"), 0U);
}

/* ------------------------------------------------------- differential */

/*
 * The reference: every prefix in an array, a lookup scans all of them and
 * keeps the longest that covers the address, comparing the prefix's whole
 * bytes and then its remaining bits one by one. No masks, no hashing.
 */
struct ref_entry {
	u16 family;
	u8 len;
	u8 bytes[16];
	u32 node;
};

struct ref_table {
	struct ref_entry *e;
	unsigned int n, cap;
};

static unsigned int fam_bits(u16 family)
{
	return family == AF_INET ? 32 : 128;
}

static u8 *addr_bytes(u16 family, union xmesh_addr *addr)
{
	return family == AF_INET ? (u8 *)&addr->v4 : addr->v6.s6_addr;
}

static bool bit_at(const u8 *b, unsigned int i)
{
	return b[i / 8] & (0x80 >> (i % 8));
}

static bool ref_covers(const struct ref_entry *e, const u8 *addr)
{
	unsigned int i;

	/* Whole bytes at once, only for speed; then bit by bit. */
	if (memcmp(e->bytes, addr, e->len / 8))
		return false;
	for (i = e->len / 8 * 8; i < e->len; i++)
		if (bit_at(e->bytes, i) != bit_at(addr, i))
			return false;
	return true;
}

static const struct ref_entry *ref_lookup(const struct ref_table *r,
					  u16 family, const u8 *addr)
{
	const struct ref_entry *best = NULL;
	unsigned int i;

	for (i = 0; i < r->n; i++) {
		const struct ref_entry *e = &r->e[i];

		if (e->family == family && (!best || e->len > best->len) &&
		    ref_covers(e, addr))
			best = e;
	}
	return best;
}

static struct ref_entry *ref_find(struct ref_table *r, u16 family, u8 len,
				  const u8 *bytes)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (r->e[i].family == family && r->e[i].len == len &&
		    !memcmp(r->e[i].bytes, bytes, fam_bits(family) / 8))
			return &r->e[i];
	return NULL;
}

/* The table's key for a reference entry. */
static void ref_key(const struct ref_entry *e, struct xmesh_prefix_key *key)
{
	memset(key, 0, sizeof(*key));
	key->family = e->family;
	key->len = e->len;
	memcpy(addr_bytes(e->family, &key->addr), e->bytes,
	       fam_bits(e->family) / 8);
}

/* What the random run did, by kind of operation. */
enum {
	OP_ADD, OP_ADD_DUP, OP_REPLACE, OP_DEL, OP_DEL_MISSING, OP_BAD,
	OP_LOOKUP, OP_FLUSH,
};

struct rnd_ctx {
	struct kunit *test;
	struct rnd_state rnd;
	struct xmesh_prefix_table *t;
	struct ref_table ref;
	/* Cluster centres: prefixes are cut from these, so they nest. */
	u8 base[2][8][16];
	u32 next_node;
	unsigned int lookups, hits, mismatches, ops[OP_FLUSH + 1];
};

static u32 rnd32(struct rnd_ctx *c)
{
	return prandom_u32_state(&c->rnd);
}

static u32 rnd_below(struct rnd_ctx *c, u32 n)
{
	return prandom_u32_state(&c->rnd) % n;
}

/* Clear the bits of @b from bit @len on. */
static void clear_from(u8 *b, unsigned int len, unsigned int bits)
{
	unsigned int i;

	for (i = len; i < bits; i++)
		b[i / 8] &= ~(0x80 >> (i % 8));
}

/*
 * An address near one of the family's cluster centres: its first @keep
 * bits, random after that. @keep is biased to the lengths a mesh uses.
 */
static void rnd_addr(struct rnd_ctx *c, u16 family, u8 *b)
{
	static const u8 keep4[] = { 0, 8, 12, 16, 20, 24, 28, 30, 32 };
	static const u8 keep6[] = { 0, 16, 32, 40, 48, 56, 64, 96, 120, 128 };
	unsigned int bits = fam_bits(family), keep, i;
	const u8 *base = c->base[family == AF_INET6][rnd_below(c, 8)];

	if (rnd_below(c, 4))
		keep = family == AF_INET ? keep4[rnd_below(c, sizeof(keep4))] :
					   keep6[rnd_below(c, sizeof(keep6))];
	else
		keep = rnd_below(c, bits + 1);
	for (i = 0; i < bits / 8; i++)
		b[i] = rnd32(c);
	for (i = 0; i < keep; i++) {
		u8 m = 0x80 >> (i % 8);

		b[i / 8] = (b[i / 8] & ~m) | (base[i / 8] & m);
	}
}

/*
 * Any length, the usual ones more often. Short prefixes (/0 to /7 in IPv4,
 * /0 to /15 in IPv6) are rare: a few of them cover most of the space, and
 * lookups that match nothing should stay common.
 */
static unsigned int rnd_len(struct rnd_ctx *c, u16 family)
{
	static const u8 len4[] = { 8, 16, 24, 32, 32 };
	static const u8 len6[] = { 32, 48, 64, 128, 128 };
	unsigned int bits = fam_bits(family), min = bits / 4;

	if (!rnd_below(c, 100))
		return rnd_below(c, min);
	if (rnd_below(c, 3))
		return min + rnd_below(c, bits - min + 1);
	return family == AF_INET ? len4[rnd_below(c, sizeof(len4))] :
				   len6[rnd_below(c, sizeof(len6))];
}

static u16 rnd_family(struct rnd_ctx *c, unsigned int families)
{
	if (families == 3)
		return rnd32(c) & 1 ? AF_INET6 : AF_INET;
	return families == 1 ? AF_INET : AF_INET6;
}

/* Compare one lookup; report the first mismatches in detail. */
static void check_lookup(struct rnd_ctx *c, u16 family, const u8 *b)
{
	const struct ref_entry *want = ref_lookup(&c->ref, family, b);
	union xmesh_addr addr;
	u32 got;

	memset(&addr, 0, sizeof(addr));
	memcpy(addr_bytes(family, &addr), b, fam_bits(family) / 8);
	got = lookup_addr(c->t, family, &addr);
	c->lookups++;
	if (want)
		c->hits++;
	if (got == (want ? want->node : 0))
		return;
	if (c->mismatches++ < 10) {
		if (family == AF_INET)
			KUNIT_FAIL(c->test, "lookup %pI4: node %u, reference %u (/%u)",
				   b, got, want ? want->node : 0,
				   want ? want->len : 0);
		else
			KUNIT_FAIL(c->test, "lookup %pI6c: node %u, reference %u (/%u)",
				   b, got, want ? want->node : 0,
				   want ? want->len : 0);
	}
}

/* Add 1 (or subtract 1) to a big-endian number of @n bytes, wrapping. */
static void step(u8 *b, unsigned int n, bool up)
{
	while (n--) {
		if (up ? ++b[n] != 0 : b[n]-- != 0)
			return;
	}
}

/*
 * Addresses in and around a stored prefix: a random one inside, its first
 * and last address, and the addresses just before and after it.
 */
static void check_around(struct rnd_ctx *c, const struct ref_entry *e)
{
	unsigned int bits = fam_bits(e->family), i;
	u8 b[16];

	memcpy(b, e->bytes, 16);
	check_lookup(c, e->family, b);		/* first */
	step(b, bits / 8, false);
	check_lookup(c, e->family, b);		/* just before */
	memcpy(b, e->bytes, 16);
	for (i = e->len; i < bits; i++)
		b[i / 8] |= 0x80 >> (i % 8);
	check_lookup(c, e->family, b);		/* last */
	step(b, bits / 8, true);
	check_lookup(c, e->family, b);		/* just after */
	memcpy(b, e->bytes, 16);
	for (i = e->len; i < bits; i++)
		if (rnd32(c) & 1)
			b[i / 8] |= 0x80 >> (i % 8);
	check_lookup(c, e->family, b);		/* inside */
}

static void check_batch(struct rnd_ctx *c, unsigned int families, int n)
{
	unsigned int j;
	u8 b[16];
	u16 family;
	int i;

	for (i = 0; i < n; i++) {
		family = rnd_family(c, families);
		switch (rnd_below(c, 3)) {
		case 0:		/* anywhere */
			for (j = 0; j < sizeof(b); j++)
				b[j] = rnd32(c);
			check_lookup(c, family, b);
			break;
		case 1:		/* in a cluster */
			memset(b, 0, sizeof(b));
			rnd_addr(c, family, b);
			check_lookup(c, family, b);
			break;
		default:	/* at a stored prefix */
			if (c->ref.n)
				check_around(c, &c->ref.e[rnd_below(c, c->ref.n)]);
			break;
		}
	}
}

/* Insert a random prefix, new or (replace or not) existing. */
static void op_insert(struct rnd_ctx *c, struct ref_entry *e, bool replace)
{
	struct ref_entry *old = ref_find(&c->ref, e->family, e->len, e->bytes);
	struct xmesh_prefix_key key;
	int err, want;

	ref_key(e, &key);
	e->node = ++c->next_node;
	err = xmesh_prefix_insert(c->t, &key, e->node, replace);
	want = old && !replace ? -EEXIST : 0;
	c->ops[old ? (replace ? OP_REPLACE : OP_ADD_DUP) : OP_ADD]++;
	if (err != want && c->mismatches++ < 10)
		KUNIT_FAIL(c->test, "insert family %u /%u replace %d: %d, want %d",
			   e->family, e->len, replace, err, want);
	if (err)
		return;
	if (old) {
		if (replace)
			old->node = e->node;
		return;
	}
	if (c->ref.n == c->ref.cap) {
		struct ref_entry *n = krealloc_array(c->ref.e, c->ref.cap * 2,
						     sizeof(*n), GFP_KERNEL);

		if (!n) {
			KUNIT_FAIL(c->test, "out of memory");
			return;
		}
		c->ref.e = n;
		c->ref.cap *= 2;
	}
	c->ref.e[c->ref.n++] = *e;
}

/* Remove by key, or (@by_entry) find the entry and delete that. */
static void op_remove(struct rnd_ctx *c, struct ref_entry *e, bool by_entry)
{
	struct ref_entry *old = ref_find(&c->ref, e->family, e->len, e->bytes);
	struct xmesh_prefix_key key;
	int err, want = old ? 0 : -ENOENT;

	ref_key(e, &key);
	if (by_entry) {
		struct xmesh_prefix *p = xmesh_prefix_find(c->t, &key);

		err = p ? 0 : -ENOENT;
		if (p)
			xmesh_prefix_delete(c->t, p);
	} else {
		err = xmesh_prefix_remove(c->t, &key);
	}
	c->ops[old ? OP_DEL : OP_DEL_MISSING]++;
	if (err != want && c->mismatches++ < 10)
		KUNIT_FAIL(c->test, "remove family %u /%u: %d, want %d",
			   e->family, e->len, err, want);
	if (old)
		*old = c->ref.e[--c->ref.n];
}

static void rnd_prefix(struct rnd_ctx *c, u16 family, struct ref_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->family = family;
	e->len = rnd_len(c, family);
	rnd_addr(c, family, e->bytes);
	clear_from(e->bytes, e->len, fam_bits(family));
}

static void ref_res_free(struct kunit_resource *res)
{
	struct rnd_ctx *c = res->data;

	kfree(c->ref.e);
}

static void random_run(struct kunit *test, unsigned int families, u64 seed,
		       unsigned int n_ops)
{
	struct rnd_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct xmesh_prefix_key key;
	struct xmesh_prefix *p;
	struct ref_entry e;
	unsigned int op, i, max_n = 0;
	u16 family;

	KUNIT_ASSERT_NOT_NULL(test, c);
	kunit_info(test, "seed %llu (xmesh.prefix_seed=N to change)\n", seed);
	prandom_seed_state(&c->rnd, seed);
	c->test = test;
	c->t = new_table(test);
	c->ref.cap = 256;
	c->ref.e = kmalloc_array(c->ref.cap, sizeof(*c->ref.e), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->ref.e);
	/* The array grows with krealloc(): freed with the context. */
	if (!kunit_alloc_resource(test, res_init, ref_res_free, GFP_KERNEL, c)) {
		kfree(c->ref.e);
		KUNIT_ASSERT_FAILURE(test, "out of memory");
	}
	for (i = 0; i < sizeof(c->base); i++)
		((u8 *)c->base)[i] = rnd32(c);
	/* Two IPv6 centres in 2001:db8::/32, as a real mesh would. */
	for (i = 0; i < 2; i++) {
		c->base[1][i][0] = 0x20;
		c->base[1][i][1] = 0x01;
		c->base[1][i][2] = 0x0d;
		c->base[1][i][3] = 0xb8;
	}

	for (op = 0; op < n_ops && c->mismatches < 10; op++) {
		u32 r = rnd_below(c, 100);

		family = rnd_family(c, families);
		if (r < 50) {
			rnd_prefix(c, family, &e);
			op_insert(c, &e, rnd32(c) & 1);
		} else if (r < 62 && c->ref.n) {
			e = c->ref.e[rnd_below(c, c->ref.n)];
			op_insert(c, &e, rnd32(c) & 1);
		} else if (r < 77 && c->ref.n) {
			e = c->ref.e[rnd_below(c, c->ref.n)];
			op_remove(c, &e, rnd32(c) & 1);
		} else if (r < 82) {
			rnd_prefix(c, family, &e);
			op_remove(c, &e, rnd32(c) & 1);
		} else if (r < 87) {
			/* A host bit set, or a length past the family's. */
			rnd_prefix(c, family, &e);
			ref_key(&e, &key);
			if (e.len < fam_bits(family)) {
				i = e.len + rnd_below(c, fam_bits(family) - e.len);
				addr_bytes(family, &key.addr)[i / 8] |= 0x80 >> (i % 8);
			} else {
				key.len = fam_bits(family) + 1 + rnd_below(c, 100);
			}
			c->ops[OP_BAD]++;
			KUNIT_EXPECT_EQ(test, xmesh_prefix_insert(c->t, &key, 1,
								  rnd32(c) & 1),
					-EINVAL);
			KUNIT_EXPECT_EQ(test, xmesh_prefix_remove(c->t, &key),
					-EINVAL);
		} else if (r < 99 || c->ref.n < 2000) {
			c->ops[OP_LOOKUP]++;
			check_batch(c, families, 32);
		} else {
			/* Now and then start over, when the table is big. */
			c->ops[OP_FLUSH]++;
			check_batch(c, families, 64);
			xmesh_prefix_flush(c->t);
			c->ref.n = 0;
		}
		if (c->t->count != c->ref.n && c->mismatches++ < 10)
			KUNIT_FAIL(test, "op %u: count %u, reference %u", op,
				   c->t->count, c->ref.n);
		max_n = max(max_n, c->ref.n);
		if (!(op % 256))
			cond_resched();
	}

	/* Everything stored is found, exactly, and around its edges. */
	for (i = 0; i < c->ref.n && c->mismatches < 10; i++) {
		ref_key(&c->ref.e[i], &key);
		p = xmesh_prefix_find(c->t, &key);
		if (!p || p->node_id != c->ref.e[i].node ||
		    memcmp(&p->key, &key, sizeof(key))) {
			KUNIT_FAIL(test, "stored prefix %u of %u: %s", i,
				   c->ref.n, p ? "wrong entry" : "not found");
			c->mismatches++;
		}
		check_around(c, &c->ref.e[i]);
	}

	kunit_info(test, "%u ops: add %u dup %u replace %u del %u del-missing %u bad %u flush %u; up to %u prefixes, %u at the end\n",
		   op, c->ops[OP_ADD], c->ops[OP_ADD_DUP], c->ops[OP_REPLACE],
		   c->ops[OP_DEL], c->ops[OP_DEL_MISSING], c->ops[OP_BAD],
		   c->ops[OP_FLUSH], max_n, c->ref.n);
	kunit_info(test, "%u lookups compared, %u matched a prefix\n",
		   c->lookups, c->hits);
	KUNIT_EXPECT_EQ(test, c->mismatches, 0U);
	/* The run exercised what it is meant to. */
	KUNIT_EXPECT_GT(test, max_n, 1000U);
	KUNIT_EXPECT_GT(test, c->ops[OP_ADD_DUP], 0U);
	KUNIT_EXPECT_GT(test, c->ops[OP_DEL_MISSING], 0U);
	KUNIT_EXPECT_GT(test, c->hits, c->lookups / 4);
	/* ... and some lookups that match nothing. */
	KUNIT_EXPECT_LT(test, c->hits, c->lookups - c->lookups / 100);
}

static void xmesh_prefix_random_v4(struct kunit *test)
{
	random_run(test, 1, prefix_seed, 8000);
}

static void xmesh_prefix_random_v6(struct kunit *test)
{
	random_run(test, 2, prefix_seed + 1, 8000);
}

static void xmesh_prefix_random_mixed(struct kunit *test)
{
	random_run(test, 3, prefix_seed + 2, 12000);
}

static struct kunit_case xmesh_prefix_cases[] = {
	KUNIT_CASE(xmesh_prefix_v4_longest),
	KUNIT_CASE(xmesh_prefix_v4_default),
	KUNIT_CASE(xmesh_prefix_v6_longest),
	KUNIT_CASE(xmesh_prefix_all_lengths),
	KUNIT_CASE(xmesh_prefix_families_apart),
	KUNIT_CASE(xmesh_prefix_remove_fallback),
	KUNIT_CASE(xmesh_prefix_replace),
	KUNIT_CASE(xmesh_prefix_invalid),
	KUNIT_CASE(xmesh_prefix_find_delete),
	KUNIT_CASE(xmesh_prefix_remove_missing),
	KUNIT_CASE(xmesh_prefix_flush_count),
	KUNIT_CASE(xmesh_prefix_lookup_addr),
	KUNIT_CASE(xmesh_prefix_full),
	KUNIT_CASE(xmesh_prefix_random_v4),
	KUNIT_CASE(xmesh_prefix_random_v6),
	KUNIT_CASE(xmesh_prefix_random_mixed),
	{}
};

static struct kunit_suite xmesh_prefix_suite = {
	.name = "xmesh_prefix",
	.test_cases = xmesh_prefix_cases,
};

kunit_test_suite(xmesh_prefix_suite);
