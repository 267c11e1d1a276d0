// SPDX-License-Identifier: GPL-2.0
/* Agents' signed requests (agent_auth.h): the pure checks. */
#include <sodium.h>
#include <string.h>

#include "agent_auth.h"
#include "certs.h"
#include "tap.h"

#define NOW	INT64_C(1767225600)

static uint8_t auth_sk[64], node_sk[64], other_sk[64];
static struct xm_cert auth, node, policy;
static char node_b64[TEST_CERT_B64_MAX], policy_b64[TEST_CERT_B64_MAX];

struct signed_req {
	struct xm_agent_request r;
	char time[21], nonce[33], sig[129];
};

static void sign(struct signed_req *s, const uint8_t *sk, const char *cert,
		 const char *method, const char *path, const char *body,
		 int64_t t, uint8_t nonce_byte)
{
	uint8_t nonce[XM_AGENT_NONCE_LEN];

	memset(nonce, nonce_byte, sizeof(nonce));
	xm_agent_auth_sign(sk, method, path, body, strlen(body), t, nonce,
			   s->time, s->nonce, s->sig);
	s->r = (struct xm_agent_request){
		.method = method, .path = path, .body = body,
		.body_len = strlen(body), .cert = cert, .time = s->time,
		.nonce = s->nonce, .sig = s->sig,
	};
}

/* Nonce number i from a node, at NOW: checked. */
static enum xm_agent_auth numbered(struct signed_req *s, const uint8_t *sk,
				   const char *b64, int i,
				   struct xm_agent_nonces *nonces)
{
	uint8_t nonce[XM_AGENT_NONCE_LEN] = { 0xab };
	enum xm_cert_reason why;
	struct xm_cert got;

	memcpy(nonce + 1, &i, sizeof(i));
	xm_agent_auth_sign(sk, "GET", "/x", "", 0, NOW, nonce, s->time,
			   s->nonce, s->sig);
	s->r = (struct xm_agent_request){ .method = "GET", .path = "/x",
		.body = "", .cert = b64, .time = s->time, .nonce = s->nonce,
		.sig = s->sig };
	return xm_agent_auth_check(&s->r, &auth, NULL, nonces, NOW, &got,
				   &why);
}

int main(void)
{
	static const uint8_t key[16] = "nonces! nonces!";
	struct xm_agent_nonces *nonces;
	struct signed_req s;
	enum xm_cert_reason why;
	struct xm_cert got, node8;
	uint8_t node8_sk[64];
	char node8_b64[TEST_CERT_B64_MAX];
	enum xm_agent_auth a;
	int i, n;

	if (sodium_init() < 0)
		return 1;
	test_cert(&auth, XM_CERT_AUTHORITY, 1, 0, NOW, auth_sk, NULL, NULL);
	test_cert(&node, XM_CERT_NODE, 2, 7, NOW, node_sk, auth_sk, node_b64);
	test_cert(&policy, XM_CERT_POLICY, 3, 0, NOW, other_sk, auth_sk,
		  policy_b64);
	/* Small: filling it must stay quick. */
	nonces = xm_agent_nonces_new(256, 16, key, NOW);
	if (!nonces)
		return 1;

	sign(&s, node_sk, node_b64, "GET", "/api/v1/agent/policy?since=3", "",
	     NOW, 1);
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW, &got, &why),
	       XM_AGENT_AUTH_OK, "a signed request passes");
	is_int(got.node_id, 7, "from node 7");
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW + 5, &got,
				   &why),
	       XM_AGENT_AUTH_REPLAY, "the same request again is a replay");
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces,
				   NOW + XM_AGENT_AUTH_WINDOW + 1, &got, &why),
	       XM_AGENT_AUTH_TIME, "once the nonce is forgotten, too old");

	sign(&s, node_sk, node_b64, "GET", "/api/v1/agent/policy?since=3", "",
	     NOW - 1, 10);
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW, &got, &why),
	       XM_AGENT_AUTH_EARLY, "a request signed before the cache was"
	       " made (a replay across a restart?)");
	sign(&s, node_sk, node_b64, "POST", "/api/v1/agent/report",
	     "{\"policy_version\":3}", NOW - XM_AGENT_AUTH_WINDOW - 1, 2);
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW, &got, &why),
	       XM_AGENT_AUTH_TIME, "a request from before the window");
	sign(&s, node_sk, node_b64, "POST", "/api/v1/agent/report",
	     "{\"policy_version\":3}", NOW, 3);
	s.r.body = "{\"policy_version\":4}";
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW, &got, &why),
	       XM_AGENT_AUTH_SIGNATURE, "another body: the signature fails");
	s.r.body = "{\"policy_version\":3}";
	s.r.path = "/api/v1/agent/policy";
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW, &got, &why),
	       XM_AGENT_AUTH_SIGNATURE, "another path: the signature fails");
	s.r.path = "/api/v1/agent/report";
	s.r.method = "PUT";
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW, &got, &why),
	       XM_AGENT_AUTH_SIGNATURE, "another method: the signature fails");
	s.r.method = "POST";
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW, &got, &why),
	       XM_AGENT_AUTH_OK,
	       "the nonce of a refused request is not burnt");

	sign(&s, other_sk, node_b64, "GET", "/x", "", NOW, 4);
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW, &got, &why),
	       XM_AGENT_AUTH_SIGNATURE, "signed by another key than the"
	       " certificate's");
	sign(&s, other_sk, policy_b64, "GET", "/x", "", NOW, 5);
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW, &got, &why),
	       XM_AGENT_AUTH_CERT, "a policy certificate is no node's");
	is_int(why, XM_CERT_WRONG_KIND, "wrong kind");
	sign(&s, node_sk, node_b64, "GET", "/x", "", NOW + 2 * 86400, 6);
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW + 2 * 86400,
				   &got, &why),
	       XM_AGENT_AUTH_CERT, "an expired certificate");
	sign(&s, node_sk, node_b64, "GET", "/x", "", NOW, 7);
	s.r.nonce = "00";
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW, &got, &why),
	       XM_AGENT_AUTH_MALFORMED, "a short nonce");
	s.r.nonce = s.nonce;
	s.r.time = "12x";
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW, &got, &why),
	       XM_AGENT_AUTH_MALFORMED, "a time that is no number");
	s.r.time = s.time;
	s.r.cert = "!!!";
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW, &got, &why),
	       XM_AGENT_AUTH_MALFORMED, "a certificate that is no base64");
	s.r.cert = NULL;
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces, NOW, &got, &why),
	       XM_AGENT_AUTH_MISSING, "no certificate");

	/* One node: refused at its quota, the others are not. */
	for (i = 0; i < 100; i++) {
		a = numbered(&s, node_sk, node_b64, i, nonces);
		if (a != XM_AGENT_AUTH_OK)
			break;
	}
	is_int(a, XM_AGENT_AUTH_QUOTA, "one node is refused at its quota");
	ok(i <= 16, "of 16 nonces (%d more taken)", i);
	test_cert(&node8, XM_CERT_NODE, 4, 8, NOW, node8_sk, auth_sk,
		  node8_b64);
	is_int(numbered(&s, node8_sk, node8_b64, 0, nonces), XM_AGENT_AUTH_OK,
	       "another node's request still passes");

	/* Fill the cache: refusals (busy), never a forgotten live nonce. */
	a = XM_AGENT_AUTH_OK;
	for (n = 0; n < 40 && a != XM_AGENT_AUTH_BUSY; n++) {
		test_cert(&node8, XM_CERT_NODE, 10 + n, 100 + n, NOW, node8_sk,
			  auth_sk, node8_b64);
		for (i = 0; i < 15 && a != XM_AGENT_AUTH_BUSY; i++)
			a = numbered(&s, node8_sk, node8_b64, i, nonces);
	}
	ok(a == XM_AGENT_AUTH_BUSY, "a full cache refuses (busy) rather than"
	   " forget (%s after %d nodes)", xm_agent_auth_name(a), n);
	is_int(numbered(&s, node_sk, node_b64, 0, nonces),
	       XM_AGENT_AUTH_REPLAY, "full, it still knows a nonce it took");
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces,
				   NOW + XM_AGENT_AUTH_WINDOW + 1, &got, &why),
	       XM_AGENT_AUTH_TIME, "and it is too old later");
	sign(&s, node_sk, node_b64, "GET", "/x", "", NOW + 2 * XM_AGENT_AUTH_WINDOW, 9);
	is_int(xm_agent_auth_check(&s.r, &auth, NULL, nonces,
				   NOW + 2 * XM_AGENT_AUTH_WINDOW, &got, &why),
	       XM_AGENT_AUTH_OK, "expired nonces make room again");
	xm_agent_nonces_free(nonces);

	/* The headers' part needs no body; the body's checks what it
	 * signs. */
	{
		struct xm_agent_signed hs;
		struct xm_agent_seen seen;
		struct xm_agent_request nobody;

		sign(&s, node_sk, node_b64, "POST", "/t", "the body", NOW, 9);
		nobody = s.r;
		nobody.body = NULL;
		nobody.body_len = 0;
		is_int(xm_agent_auth_headers(&nobody, &auth, NULL, NOW, &hs,
					     &why), XM_AGENT_AUTH_OK,
		       "the headers verify without the body");
		ok(hs.cert.node_id == 7 && hs.time == NOW,
		   "its certificate and time");
		is_int(xm_agent_auth_body(&s.r, &hs, NOW + 1, &seen),
		       XM_AGENT_AUTH_OK, "then the body's signature");
		ok(seen.node_id == 7 && seen.expires == NOW +
		   XM_AGENT_AUTH_WINDOW, "the nonce to remember");
		/* A replayed header set is told at the headers. */
		nonces = xm_agent_nonces_new(256, 16, key, NOW);
		if (!nonces)
			return 1;
		is_int(xm_agent_auth_held(nonces, &hs, NOW + 1),
		       XM_AGENT_AUTH_OK, "its nonce is not held yet");
		is_int(xm_agent_auth_remember(nonces, &seen, NOW + 1),
		       XM_AGENT_AUTH_OK, "remembered");
		is_int(xm_agent_auth_held(nonces, &hs, NOW + 2),
		       XM_AGENT_AUTH_REPLAY, "then its headers again are a"
		       " replay, before any body");
		is_int(xm_agent_auth_held(nonces, &hs, NOW + XM_AGENT_AUTH_WINDOW
					  + 1), XM_AGENT_AUTH_OK,
		       "not once it expired (the time refuses it then)");
		xm_agent_nonces_free(nonces);
		s.r.body = "another body";
		s.r.body_len = strlen(s.r.body);
		is_int(xm_agent_auth_body(&s.r, &hs, NOW, &seen),
		       XM_AGENT_AUTH_SIGNATURE, "another body: refused");
		is_int(xm_agent_auth_body(&s.r, &hs, NOW + XM_AGENT_AUTH_WINDOW
					  + 1, &seen), XM_AGENT_AUTH_TIME,
		       "a body that came after the window: refused");
		sign(&s, other_sk, policy_b64, "POST", "/t", "", NOW, 9);
		is_int(xm_agent_auth_headers(&s.r, &auth, NULL, NOW, &hs,
					     &why), XM_AGENT_AUTH_CERT,
		       "the headers of a certificate not a node's: refused");
		sign(&s, node_sk, node_b64, "POST", "/t", "", NOW - 61, 9);
		is_int(xm_agent_auth_headers(&s.r, &auth, NULL, NOW, &hs,
					     &why), XM_AGENT_AUTH_TIME,
		       "and of a time out of the window");
	}
	return tap_done();
}
