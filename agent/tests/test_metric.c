// SPDX-License-Identifier: GPL-2.0
/*
 * The adjacency metric and its hysteresis: the worked examples of
 * Documentation/xmeshd-metric.md, the bounds, monotonicity, and that RTT
 * noise never triggers a re-advertisement while a real change does.
 */
#include "graph.h"
#include "tap.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static void examples(void)
{
	/* srtt us, loss ppm, bandwidth Mb/s -> cost; as in the document */
	static const struct { uint32_t rtt, loss, bw, cost; } ex[] = {
		{ 100, 0, 10000, 60 },		/* 10 GbE rack */
		{ 400, 0, 1000, 300 },		/* 1 GbE across rooms */
		{ 10000, 0, 100, 6000 },	/* 100 Mb/s, 10 ms */
		{ 20, 0, 25000, 14 },		/* 25 GbE, latency floor */
		{ 0, 0, 100000, 11 },		/* the least cost there is */
		{ 100, 100000, 10000, 67 },	/* 10% probe loss */
		{ 100, 500000, 10000, 120 },	/* 50%: ETX 2 */
		{ 100, 900000, 10000, 600 },	/* 90%: ETX 10 */
		{ 100, 937499, 10000, 960 },	/* just below the cap */
		{ 100, 937500, 10000, XM_METRIC_MAX },	/* dead-ish */
		{ 100, 1000000, 10000, XM_METRIC_MAX },
		{ 100, 0, 0, 100050 },		/* unknown bandwidth: 1 Mb/s */
		{ UINT32_MAX, 0, 1, XM_METRIC_MAX - 1 },	/* saturates */
	};
	unsigned int i;

	for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		char name[96];

		snprintf(name, sizeof(name),
			 "metric(srtt %u us, loss %u ppm, %u Mb/s) = %u",
			 ex[i].rtt, ex[i].loss, ex[i].bw, ex[i].cost);
		is_int(xm_metric(ex[i].rtt, ex[i].loss, ex[i].bw), ex[i].cost,
		       name);
	}
}

static void bounds_and_monotony(void)
{
	unsigned int i, zero = 0, above = 0, rtt_bad = 0, loss_bad = 0,
		     bw_bad = 0;

	for (i = 0; i < 200000; i++) {
		uint32_t rtt = rnd() % 4 ? rnd() % 100000 : rnd();
		uint32_t loss = rnd() % 3 ? rnd() % 1000001 : 0;
		uint32_t bw = rnd() % 4 ? rnd() % 400001 : rnd();
		uint32_t m = xm_metric(rtt, loss, bw);

		zero += m == 0;
		above += m > XM_METRIC_MAX;
		if (rtt < UINT32_MAX)
			rtt_bad += xm_metric(rtt + 1 + rnd() % 1000, loss, bw) < m;
		if (loss < 1000000)
			loss_bad += xm_metric(rtt, loss + 1 + rnd() % 1000,
					      bw) < m;
		if (bw < UINT32_MAX - 1000)
			bw_bad += xm_metric(rtt, loss, bw + 1 + rnd() % 1000) > m;
	}
	is_int(zero, 0, "the metric is never 0 (200000 random inputs)");
	is_int(above, 0, "the metric never exceeds XM_METRIC_MAX");
	is_int(rtt_bad, 0, "a longer RTT never costs less");
	is_int(loss_bad, 0, "more loss never costs less");
	is_int(bw_bad, 0, "more bandwidth never costs more");
	ok((uint64_t)XM_METRIC_MAX * 255 < XM_COST_INF,
	   "255 hops of the largest metric sum below XM_COST_INF");
}

static void hysteresis(void)
{
	static const uint32_t bws[] = { 100, 1000, 10000, 25000, 100000 };
	static const uint32_t losses[] = { 0, 10000, 100000, 500000 };
	unsigned int noise = 0, missed = 0, cases = 0, b, l;
	uint32_t rtt;
	int pct;

	/* RTT jitter of up to +-20% around the advertised measurement. */
	for (b = 0; b < 5; b++)
		for (l = 0; l < 4; l++)
			for (rtt = 10; rtt < 200000; rtt = rtt * 9 / 8 + 1)
				for (pct = -20; pct <= 20; pct++) {
					uint32_t a = xm_metric(rtt, losses[l],
							       bws[b]);
					uint32_t f = xm_metric(
						(uint32_t)((uint64_t)rtt *
							   (100 + pct) / 100),
						losses[l], bws[b]);

					noise += xm_metric_significant(a, f);
					cases++;
				}
	ok(noise == 0, "RTT noise of +-20%% never triggers (%u cases)", cases);

	/* A doubling of the RTT on a link where latency dominates does. */
	cases = 0;
	for (b = 0; b < 5; b++)
		for (rtt = 10; rtt < 200000; rtt = rtt * 9 / 8 + 1) {
			uint32_t a = xm_metric(rtt, 0, bws[b]);

			if (rtt / 2 < 100000 / bws[b] || a < 80)
				continue;
			missed += !xm_metric_significant(
				a, xm_metric(2 * rtt, 0, bws[b]));
			cases++;
		}
	ok(missed == 0 && cases > 50,
	   "a doubled RTT on a latency-bound link triggers (%u cases)", cases);

	ok(xm_metric_significant(300, 600), "300 -> 600 is significant");
	ok(xm_metric_significant(300, 150), "300 -> 150 is significant");
	ok(!xm_metric_significant(300, 375), "300 -> 375 (25%%) is not");
	ok(xm_metric_significant(300, 376), "300 -> 376 is");
	ok(!xm_metric_significant(300, 225), "300 -> 225 (25%%) is not");
	ok(!xm_metric_significant(11, 22),
	   "11 -> 22: double, but below the absolute floor");
	ok(!xm_metric_significant(60, 80), "60 -> 80: +33%%, but only 20");
	ok(xm_metric_significant(60, 81), "60 -> 81 is");
	ok(!xm_metric_significant(500, 500), "no change is not significant");
	ok(xm_metric_significant(0, 60), "nothing advertised yet: advertise");
	ok(xm_metric_significant(60, XM_METRIC_MAX),
	   "a link turning dead-ish always is");
	ok(xm_metric_significant(XM_METRIC_MAX, 61),
	   "a dead-ish link recovering always is");
	ok(!xm_metric_significant(XM_METRIC_MAX, XM_METRIC_MAX),
	   "dead-ish staying dead-ish is not");
}

int main(void)
{
	examples();
	bounds_and_monotony();
	hysteresis();
	return tap_done();
}
