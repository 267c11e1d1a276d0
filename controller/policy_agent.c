// SPDX-License-Identifier: GPL-2.0
/* The agent's side of policy distribution (policy_agent.h). */
#include <json-c/json.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"	/* XM_METRIC_MAX */
#include "policy_agent.h"

/* A string member without NUL bytes: NULL if absent or another type. */
static const char *str_member(json_object *o, const char *key, size_t *len)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	return strlen(s) == *len ? s : NULL;
}

int xm_policy_accept(const char *json, size_t len,
		     const struct xm_cert *authority,
		     const struct xm_crl *crl, uint64_t now, uint64_t have,
		     struct xm_policy_update *u, struct xm_policy_error *err)
{
	uint8_t sig[XM_POLICY_SIG_LEN];
	const char *text, *cert_text, *sig_hex;
	size_t text_len, cert_len, sig_len, n;
	enum xm_cert_reason r;
	struct xm_cert cert;
	json_object *root, *v;
	int64_t version;
	int ret = -1;

	memset(u, 0, sizeof(*u));
	memset(err, 0, sizeof(*err));
	if (len > XM_POLICY_ANSWER_MAX)
		return xm_policy_error_set(err, "answer",
					   "larger than %d bytes",
					   XM_POLICY_ANSWER_MAX);
	root = xm_json_parse_strict(json, len, 4, err);
	if (!root)
		return -1;
	if (!json_object_is_type(root, json_type_object)) {
		xm_policy_error_set(err, "answer", "not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(root, "version", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    (version = json_object_get_int64(v)) < 1) {
		xm_policy_error_set(err, "/version",
				    "a version number is expected");
		goto out;
	}
	if ((uint64_t)version <= have) {
		xm_policy_error_set(err, "/version", "version %lld is not"
				    " above %llu, the one applied",
				    (long long)version,
				    (unsigned long long)have);
		goto out;
	}
	cert_text = str_member(root, "certificate", &cert_len);
	if (!cert_text) {
		xm_policy_error_set(err, "/certificate",
				    "the policy certificate is missing");
		goto out;
	}
	r = xm_cert_check_text(&cert, cert_text, cert_len, XM_CERT_POLICY,
			       authority, crl, now);
	if (r) {
		xm_policy_error_set(err, "/certificate",
				    "the policy certificate is refused: %s",
				    xm_cert_reason_text(r));
		goto out;
	}
	sig_hex = str_member(root, "signature", &sig_len);
	if (!sig_hex || sig_len != 2 * XM_POLICY_SIG_LEN ||
	    sodium_hex2bin(sig, sizeof(sig), sig_hex, sig_len, NULL, &n,
			   NULL) || n != sizeof(sig)) {
		xm_policy_error_set(err, "/signature",
				    "expected %d hex digits",
				    2 * XM_POLICY_SIG_LEN);
		goto out;
	}
	text = str_member(root, "policy", &text_len);
	if (!text) {
		xm_policy_error_set(err, "/policy",
				    "the document is missing");
		goto out;
	}
	if (!xm_policy_verify(cert.pubkey, (uint64_t)version, text, text_len,
			      sig)) {
		xm_policy_error_set(err, "/signature", "the signature of"
				    " version %lld does not verify with the"
				    " policy key", (long long)version);
		goto out;
	}
	/* Signed, so the controller's: its checks again all the same, as a
	 * newer agent may know rules an older controller did not. */
	u->policy = xm_policy_check(text, text_len, err);
	if (!u->policy)
		goto out;
	u->text = malloc(text_len + 1);
	if (!u->text) {
		xm_policy_error_set(err, "answer", "out of memory");
		goto out;
	}
	memcpy(u->text, text, text_len);
	u->text[text_len] = '\0';
	u->text_len = text_len;
	u->version = (uint64_t)version;
	ret = 0;
out:
	if (ret)
		xm_policy_update_free(u);
	json_object_put(root);
	return ret;
}

void xm_policy_update_free(struct xm_policy_update *u)
{
	xm_policy_free(u->policy);
	free(u->text);
	memset(u, 0, sizeof(*u));
}

static uint32_t ms(double s)
{
	return (uint32_t)lround(s * 1000);
}

/* Self's adjacencies to the other end of l at metric: false if full. */
static bool override_add(struct xm_policy *path, uint32_t self,
			 const struct xm_policy_link *l, uint32_t metric)
{
	uint32_t other = l->a == self ? l->b : l->a;
	unsigned int i;

	if (l->a != self && l->b != self)
		return true;
	for (i = 0; i < path->n_overrides; i++)
		if (path->overrides[i].node == other)
			return true;	/* drained first: drain wins */
	if (path->n_overrides == XM_METRIC_OVERRIDE_MAX)
		return false;
	path->overrides[path->n_overrides++] =
		(struct xm_metric_override){ other, metric };
	return true;
}

unsigned int xm_policy_metric_settings(const struct xm_site_policy *p,
				       uint32_t self, struct xm_policy *path)
{
	unsigned int i, left_out = 0;

	path->drained = false;
	path->n_overrides = 0;
	for (i = 0; i < p->n_drain_nodes; i++)
		path->drained |= p->drain_nodes[i] == self;
	for (i = 0; i < p->n_drain_links; i++)
		left_out += !override_add(path, self, &p->drain_links[i],
					  XM_METRIC_MAX);
	for (i = 0; i < p->n_reweights; i++)
		left_out += !override_add(path, self, &p->reweights[i].link,
					  p->reweights[i].metric);
	return left_out;
}

void xm_policy_core_settings(const struct xm_site_policy *p,
			     struct xm_policy *path,
			     struct xm_timers *timers)
{
	path->max_hops = (uint8_t)p->max_hops;
	_Static_assert(sizeof(path->classes) == sizeof(p->class_path),
		       "one path per class");
	/* The policy's classes, like its rates, replace the node's. */
	if (p->has_qos)
		memcpy(path->classes, p->class_path, sizeof(path->classes));
	if (p->hello_interval)
		timers->hello_ms = ms(p->hello_interval);
	if (p->dead_interval)
		timers->dead_ms = ms(p->dead_interval);
	if (p->probe_interval)
		timers->probe_ms = ms(p->probe_interval);
	if (p->probe_miss)
		timers->probe_miss = p->probe_miss;
}
