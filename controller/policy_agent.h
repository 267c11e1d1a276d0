/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's side of policy distribution, pure (no I/O, no clock): take
 * a version as the controller hands it (GET /api/v1/agent/policy, the
 * JSON of Documentation/controller.md) and decide whether it may be
 * applied, then what it sets in the agent's core.
 *
 * A version is accepted only if the policy certificate it carries is a
 * policy certificate of the agent's authority, valid now and not revoked;
 * the signature over (version, text) verifies with that certificate's
 * key; the version is above the one the agent has; and the document is a
 * valid policy whose tests pass. The same answer, kept on disk as is, is
 * the agent's cache: it is accepted again the same way at a start (with
 * the version it has as 0), so a damaged or altered cache is refused.
 */
#ifndef XM_POLICY_AGENT_H
#define XM_POLICY_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "core.h"	/* struct xm_policy (path policy), struct xm_timers */
#include "policy.h"

/* The largest answer: a document escaped in JSON (6 bytes a byte at
 * worst) and the rest. */
#define XM_POLICY_ANSWER_MAX	(6 * XM_POLICY_TEXT_MAX + 8192)

struct xm_policy_update {
	uint64_t version;
	struct xm_site_policy *policy;	/* xm_policy_update_free() */
	char *text;			/* the document, as signed */
	size_t text_len;
};

/*
 * Accept the controller's answer json[0..len) at now, the agent having
 * version have: 0 and *u filled, or -1 with where and why in err
 * (location "answer" or a member, "/version", "/signature",
 * "/certificate", "/policy"; for a refused document, its own location).
 */
int xm_policy_accept(const char *json, size_t len,
		     const struct xm_cert *authority,
		     const struct xm_crl *crl, uint64_t now, uint64_t have,
		     struct xm_policy_update *u, struct xm_policy_error *err);
void xm_policy_update_free(struct xm_policy_update *u);

/*
 * What a policy sets in the core: the path policy's max hops (the rest of
 * *path is left), and the timers the policy gives (the others left as
 * *timers has them: the agent's own configuration). The core checks the
 * timers together (xm_core_set_timers()); a combination it refuses
 * leaves the agent's.
 */
void xm_policy_core_settings(const struct xm_site_policy *p,
			     struct xm_policy *path,
			     struct xm_timers *timers);
/*
 * What drain and reweight set in the path policy of node self: whether
 * self is drained, and the metrics of its adjacencies to the other ends
 * of its drained and reweighted links (a link both drained and
 * reweighted is drained). Returns the number of self's links beyond
 * XM_METRIC_OVERRIDE_MAX, left out (0: all in).
 */
unsigned int xm_policy_metric_settings(const struct xm_site_policy *p,
				       uint32_t self, struct xm_policy *path);

#endif /* XM_POLICY_AGENT_H */
