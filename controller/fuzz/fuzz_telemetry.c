// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the controller's parser of agents' telemetry
 * reports (telemetry.h) and what follows one that is taken: bytes from
 * the network are refused with a location and a reason, or taken into
 * the site's state (events, samples, the path over its routes); never a
 * crash. Two reports in one input (split at the first NUL) exercise the
 * rates and the events between them.
 */
#include <stdlib.h>
#include <string.h>

#include "telemetry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void take(struct xm_tele *t, const char *text, size_t len,
		 int64_t now)
{
	static struct xm_tele_sample s[XM_TELE_SAMPLES_MAX];
	struct xm_tele_hop hops[XM_TELE_PATH_MAX];
	struct xm_tele_events ev = { 0 };
	struct xm_policy_error err;
	struct xm_tele_report r;
	char why[128];
	size_t n, i;

	if (xm_tele_report_parse(text, len, &r, &err)) {
		if (!err.location[0] || !err.reason[0])
			abort();
		xm_tele_report_free(&r);
		return;
	}
	if (xm_tele_ingest(t, 7, &r, now, &ev))
		abort();
	xm_tele_report_free(&r);
	for (i = 0; i < ev.n; i++)
		if (!xm_tele_event_name(ev.ev[i].kind))
			abort();
	xm_tele_events_free(&ev);
	n = xm_tele_samples(xm_tele_find(t, 7), s, sizeof(s) / sizeof(s[0]));
	if (n > sizeof(s) / sizeof(s[0]))
		abort();
	/* A class's series is keyed by its number, 1 to 4. */
	for (i = 0; i < n; i++)
		if (!xm_tele_metric_name(s[i].metric) ||
		    (xm_tele_metric_per_class(s[i].metric) &&
		     (s[i].peer < 1 || s[i].peer > 4)))
			abort();
	if (xm_tele_find(t, 7)->r.n_routes) {
		uint32_t to = xm_tele_find(t, 7)->r.routes[0].node;

		xm_tele_path(t, 7, to, hops, XM_TELE_PATH_MAX, &n, why,
			     sizeof(why));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	struct xm_tele *t = xm_tele_new();
	struct xm_tele_events ev = { 0 };

	if (!t)
		return 0;
	if (nul) {
		take(t, text, (size_t)(nul - text), 100);
		take(t, nul + 1, size - (size_t)(nul - text) - 1, 105);
	} else {
		take(t, text, size, 100);
	}
	xm_tele_tick(t, 1000, &ev);
	xm_tele_events_free(&ev);
	xm_tele_free(t);
	return 0;
}
