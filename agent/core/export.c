// SPDX-License-Identifier: GPL-2.0
/*
 * The pure state machine of probed route exports and the receivers'
 * order of advertisers (export.h, Documentation/exports.md).
 */
#include <stdlib.h>
#include <string.h>

#include "export.h"

void xm_export_cfg_default(struct xm_export_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->check = XM_CHECK_ICMP;
	cfg->priority = XM_EXPORT_PRIO_DEFAULT;
	cfg->interval_ms = XM_EXPORT_INTERVAL_MS;
	cfg->fall = XM_EXPORT_FALL;
	cfg->rise = XM_EXPORT_RISE;
	cfg->hold_s = XM_EXPORT_HOLD_S;
}

const char *xm_export_cfg_check(const struct xm_export_cfg *cfg)
{
	const struct xm_prefix4or6 *p = &cfg->prefix;

	if (!xm_addr_len(p->addr.family))
		return "an export's prefix is of no address family";
	if (p->len > xm_addr_bits(p->addr.family))
		return "an export's prefix length is longer than its address";
	if (xm_addr_has_host_bits(&p->addr, p->len))
		return "an export's prefix has host bits set";
	if (!xm_addr_len(cfg->target.family))
		return "an export has no target address";
	if (cfg->check != XM_CHECK_ICMP && !cfg->port)
		return "a tcp or udp check needs a port";
	if (!cfg->priority)
		return "an export's priority must be 1 to 65535";
	if (cfg->interval_ms < 100 || cfg->interval_ms > 60000)
		return "an export's interval must be 100 to 60000 ms";
	if (!cfg->fall || !cfg->rise || cfg->fall > 100 || cfg->rise > 100)
		return "an export's fall and rise must be 1 to 100";
	if (cfg->hold_s > 86400)
		return "an export's hold must be at most 86400 s";
	return NULL;
}

void xm_export_init(struct xm_export *e, const struct xm_export_cfg *cfg,
		    xm_time now)
{
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	e->since = now;
}

static xm_time hold_end(const struct xm_export *e)
{
	/* The first rise after start advertises at once: nothing to
	 * flap back from yet. */
	return e->failed_once ? e->since + (xm_time)e->cfg.hold_s * 1000 :
				e->since;
}

bool xm_export_tick(struct xm_export *e, xm_time now)
{
	bool want = e->healthy && now >= hold_end(e);

	if (want == e->advertised)
		return false;
	e->advertised = want;
	return true;
}

bool xm_export_result(struct xm_export *e, xm_time now, bool ok)
{
	e->checks++;
	e->failures += !ok;
	e->has_result = true;
	e->last_ok = ok;
	e->last = now;
	if (ok == e->healthy) {
		e->run = 0;	/* the run against the state is broken */
	} else if (++e->run >= (ok ? e->cfg.rise : e->cfg.fall)) {
		e->healthy = ok;
		e->failed_once |= !ok;
		e->since = now;
		e->run = 0;
	}
	return xm_export_tick(e, now);
}

xm_time xm_export_next(const struct xm_export *e)
{
	return e->healthy && !e->advertised ? hold_end(e) : XM_NEVER;
}

const char *xm_export_check_name(enum xm_export_check c)
{
	switch (c) {
	case XM_CHECK_ICMP:
		return "icmp";
	case XM_CHECK_TCP:
		return "tcp";
	case XM_CHECK_UDP:
		return "udp";
	}
	return "?";
}

int xm_advertiser_cmp(const struct xm_advertiser *a,
		      const struct xm_advertiser *b)
{
	if (a->reachable != b->reachable)
		return a->reachable ? -1 : 1;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	if (a->cost != b->cost)
		return a->cost < b->cost ? -1 : 1;
	return a->node < b->node ? -1 : a->node > b->node;
}

static int advertiser_qcmp(const void *a, const void *b)
{
	return xm_advertiser_cmp(a, b);
}

size_t xm_core_advertisers(const struct xm_core *c, xm_core_node_fn *node,
			   const struct xm_prefix4or6 *p,
			   struct xm_advertiser *out, size_t max)
{
	struct xm_node_status st;
	size_t i, n = 0;
	unsigned int j;

	if (!node)
		node = xm_core_node;
	for (i = 0; node(c, i, &st); i++)
		for (j = 0; j < st.n_prefixes; j++) {
			if (!xm_prefix_eq(&st.prefixes[j].addr,
					  st.prefixes[j].len, &p->addr, p->len))
				continue;
			if (n < max)
				out[n] = (struct xm_advertiser){
					.node = st.node,
					.priority = st.prefix_prio[j],
					.cost = st.cost,
					.reachable = st.reachable,
				};
			n++;
			break;
		}
	if (n)
		qsort(out, n < max ? n : max, sizeof(*out), advertiser_qcmp);
	return n;
}

const struct xm_advertiser *xm_advertiser_chosen(
	const struct xm_advertiser *out, size_t n, uint32_t self)
{
	size_t i;

	/* A node's own prefix is never routed elsewhere (core.c). */
	for (i = 0; i < n; i++)
		if (out[i].node == self)
			return &out[i];
	for (i = 0; i < n; i++)
		if (out[i].reachable)
			return &out[i];
	return NULL;
}
