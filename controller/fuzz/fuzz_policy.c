// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the policy parser and validator (policy.h): a
 * document comes from an operator over the API, and the controller must
 * refuse any bad one with a location and a reason, never crash. Whatever
 * parses is decided on and tested, and a refusal must say where and why.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xm_policy_error err;
	struct xm_site_policy *p;
	enum xm_policy_action a;
	char *buf = malloc(size ? size : 1);	/* exact: ASan sees overruns */
	unsigned int i;

	memcpy(buf, data, size);
	p = xm_policy_parse(buf, size, &err);
	if (!p) {
		if (!err.location[0] || !err.reason[0])
			abort();	/* a refusal without where or why */
	} else {
		for (i = 0; i < p->n_zones && i < 4; i++)
			xm_policy_decide(p, (int)i, 0, IPPROTO_TCP,
					 (uint16_t)(i * 1000), &a);
		if (xm_policy_run_tests(p, &err) &&
		    (!err.location[0] || !err.reason[0]))
			abort();
		xm_policy_free(p);
	}
	free(buf);
	return 0;
}
