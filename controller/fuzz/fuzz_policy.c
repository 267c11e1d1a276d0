// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the policy parser and validator (policy.h): a
 * document comes from an operator over the API, and the controller must
 * refuse any bad one with a location and a reason, never crash. Whatever
 * parses is decided on, tested and turned into a node's drain settings,
 * and a refusal must say where and why.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xm_policy_error err;
	struct xm_site_policy *p;
	struct xm_filter_decision d;
	struct xm_policy policy;
	char *buf = malloc(size ? size : 1);	/* exact: ASan sees overruns */
	unsigned int i;

	memcpy(buf, data, size);
	p = xm_policy_parse(buf, size, &err);
	if (!p) {
		if (!err.location[0] || !err.reason[0])
			abort();	/* a refusal without where or why */
	} else {
		for (i = 0; i < p->filter.n_zones && i < 4; i++) {
			struct xm_filter_flow fl = {
				p->filter.zones[i].id, p->filter.zones[0].id,
				IPPROTO_TCP, (uint16_t)(i * 1000),
				(uint8_t)i,	/* best-effort, bulk... */
			};

			xm_filter_decide(&p->filter, &fl, &d);
		}
		memset(&policy, 0, sizeof(policy));
		for (i = 0; i < p->n_drain_nodes && i < 4; i++)
			xm_policy_metric_settings(p, p->drain_nodes[i],
						  &policy);
		if (xm_policy_run_tests(p, &err) &&
		    (!err.location[0] || !err.reason[0]))
			abort();
		xm_policy_free(p);
	}
	free(buf);
	return 0;
}
