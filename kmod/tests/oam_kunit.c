// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the token bucket that limits OAM answers: a full bucket
 * gives its burst at once, then tokens come at the rate to the
 * nanosecond, never more than the burst after a long pause, and the
 * long-run count is exact. The clock is passed in.
 *
 * Included by oam.c when CONFIG_XMESH_KUNIT_TEST is set, as ext4's
 * mballoc-test.c is, so that the suite needs no build rule of its own.
 */
#include <kunit/test.h>

#define T0	(5 * NSEC_PER_SEC)	/* any start: an idle bucket is full */

/* Take tokens at @now until one is refused; how many were taken. */
static unsigned int drain(struct xmesh_bucket *b, u32 rate, u32 burst,
			  u64 now)
{
	unsigned int n = 0;

	while (xmesh_bucket_take(b, rate, burst, now))
		if (++n > burst + 1)
			break;
	return n;
}

static void xmesh_bucket_burst(struct kunit *test)
{
	struct xmesh_bucket b = { };

	KUNIT_EXPECT_EQ(test, drain(&b, 100, 10, T0), 10);
	/* Empty now: nothing more at the same instant. */
	KUNIT_EXPECT_FALSE(test, xmesh_bucket_take(&b, 100, 10, T0));
}

static void xmesh_bucket_refill(struct kunit *test)
{
	u64 period = NSEC_PER_SEC / 100;	/* one token at 100/s */
	struct xmesh_bucket b = { };

	drain(&b, 100, 10, T0);
	/* One nanosecond short of a token, then exactly one. */
	KUNIT_EXPECT_FALSE(test, xmesh_bucket_take(&b, 100, 10,
						   T0 + period - 1));
	KUNIT_EXPECT_TRUE(test, xmesh_bucket_take(&b, 100, 10, T0 + period));
	KUNIT_EXPECT_FALSE(test, xmesh_bucket_take(&b, 100, 10, T0 + period));
	/* Three periods later, three tokens. */
	KUNIT_EXPECT_EQ(test, drain(&b, 100, 10, T0 + 4 * period), 3);
}

static void xmesh_bucket_cap(struct kunit *test)
{
	struct xmesh_bucket b = { };

	drain(&b, 100, 10, T0);
	/* A day idle still gives one burst, not a day's worth. */
	KUNIT_EXPECT_EQ(test, drain(&b, 100, 10, T0 + 86400 * NSEC_PER_SEC),
			10);
	/* A huge rate and a clock far on neither overflow nor wrap. */
	b = (struct xmesh_bucket){ };
	KUNIT_EXPECT_EQ(test, drain(&b, U32_MAX, 3, U64_MAX / 2), 3);
	KUNIT_EXPECT_TRUE(test, xmesh_bucket_take(&b, U32_MAX, 3,
						  U64_MAX / 2 + 1));
	/* A smaller burst (the rate was lowered) caps what was saved. */
	b = (struct xmesh_bucket){ };
	xmesh_bucket_take(&b, 100, 10, T0);	/* 9 left */
	KUNIT_EXPECT_EQ(test, drain(&b, 100, 2, T0 + 1), 2);
}

/* Offered ten times the rate for 10 s: burst + 10 s of rate, exactly. */
static void xmesh_bucket_long_run(struct kunit *test)
{
	const u32 rate = 5000, burst = xmesh_oam_burst(rate);
	struct xmesh_bucket b = { };
	unsigned int taken = 0;
	u64 t;

	KUNIT_EXPECT_EQ(test, burst, 500);
	for (t = 0; t <= 10 * NSEC_PER_SEC; t += NSEC_PER_SEC / 50000)
		taken += xmesh_bucket_take(&b, rate, burst, T0 + t);
	KUNIT_EXPECT_EQ(test, taken, burst + 10 * rate);
}

static void xmesh_bucket_oam_burst(struct kunit *test)
{
	/* Never 0, which would refuse everything. */
	KUNIT_EXPECT_EQ(test, xmesh_oam_burst(1), 1);
	KUNIT_EXPECT_EQ(test, xmesh_oam_burst(9), 1);
	KUNIT_EXPECT_EQ(test, xmesh_oam_burst(XMESH_DEFAULT_OAM_RATE),
			XMESH_DEFAULT_OAM_RATE / 10);
}

static struct kunit_case xmesh_bucket_cases[] = {
	KUNIT_CASE(xmesh_bucket_burst),
	KUNIT_CASE(xmesh_bucket_refill),
	KUNIT_CASE(xmesh_bucket_cap),
	KUNIT_CASE(xmesh_bucket_long_run),
	KUNIT_CASE(xmesh_bucket_oam_burst),
	{}
};

static struct kunit_suite xmesh_bucket_suite = {
	.name = "xmesh_bucket",
	.test_cases = xmesh_bucket_cases,
};

kunit_test_suite(xmesh_bucket_suite);
