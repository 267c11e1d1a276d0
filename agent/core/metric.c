// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of one adjacency and when a new measurement of it is worth
 * advertising (Documentation/xmeshd-metric.md has the reasoning and worked
 * examples).
 */
#include "graph.h"

#define LATENCY_MIN_US		10	/* one-way floor: a cost is never 0 */
#define BANDWIDTH_REF_MBPS	100000	/* 100 Gb/s costs 1 */
#define PPM			1000000u
/* Round-trip probe loss at which the ETX factor reaches its cap of 16. */
#define LOSS_DEADISH_PPM	(PPM - PPM / 16)

#define SIGNIFICANT_FLOOR	20	/* absolute change below: noise */

uint32_t xm_metric(uint32_t srtt_us, uint32_t loss_ppm,
		   uint32_t bandwidth_mbps)
{
	return xm_metric_weighted(srtt_us, loss_ppm, bandwidth_mbps, 100, 100);
}

uint32_t xm_metric_weighted(uint32_t srtt_us, uint32_t loss_ppm,
			    uint32_t bandwidth_mbps, unsigned int latency_pct,
			    unsigned int bandwidth_pct)
{
	uint64_t latency, bandwidth, factor, cost;

	/*
	 * A link that loses this much cannot carry traffic; saying so with
	 * one value lets xm_metric_significant() always report the change.
	 */
	if (loss_ppm >= LOSS_DEADISH_PPM)
		return XM_METRIC_MAX;
	latency = srtt_us / 2;
	if (latency < LATENCY_MIN_US)
		latency = LATENCY_MIN_US;
	bandwidth = BANDWIDTH_REF_MBPS / (bandwidth_mbps ? bandwidth_mbps : 1);
	if (!bandwidth)
		bandwidth = 1;
	/*
	 * loss_ppm is the round-trip probe loss q. With p the one-way loss
	 * of a symmetric link, (1 - p)^2 = 1 - q, so ETX = 1 / (1 - q);
	 * in 16.16 fixed point, at most 16 << 16 here.
	 */
	factor = ((uint64_t)PPM << 16) / (PPM - loss_ppm);
	/* At most 2^31 x 100 x 2 x 2^20: no overflow. */
	cost = (latency * latency_pct + bandwidth * bandwidth_pct) * factor /
	       100;
	cost = (cost + (1u << 15)) >> 16;
	if (!cost && (latency_pct || bandwidth_pct))
		cost = 1;
	return cost < XM_METRIC_MAX ? (uint32_t)cost : XM_METRIC_MAX - 1;
}

bool xm_metric_significant(uint32_t advertised, uint32_t fresh)
{
	uint32_t diff;

	if (advertised == fresh)
		return false;
	if (!advertised || advertised >= XM_METRIC_MAX ||
	    fresh >= XM_METRIC_MAX)
		return true;
	diff = advertised > fresh ? advertised - fresh : fresh - advertised;
	/* More than 25% of what the mesh believes, and not a trifle. */
	return diff > SIGNIFICANT_FLOOR && (uint64_t)diff * 4 > advertised;
}
