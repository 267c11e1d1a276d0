// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the controller's check of an agent's signed
 * request (agent_auth.h): headers from the network that must be refused
 * with a reason, never crash the controller nor let a request through
 * unsigned. The input is NUL-separated fields: a mode byte, then method,
 * path, body, certificate, time, nonce and signature (a field missing:
 * that header missing). Mode odd: the target signs the request itself
 * with a certified node key (the time as an offset from now), so that
 * the nonce cache (replays, quotas, a full cache) is reached.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "agent_auth.h"
#include "tests/certs.h"

#define NOW	INT64_C(1767225600)
#define FIELDS	7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static uint8_t auth_sk[64], node_sk[64];
static struct xm_cert auth, node;
static char node_b64[TEST_CERT_B64_MAX];
static struct xm_agent_nonces *nonces;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *f[FIELDS] = { NULL }, time_s[21], nonce_hex[33], sig[129];
	struct xm_agent_request r;
	enum xm_cert_reason why;
	struct xm_agent_signed hs;
	enum xm_agent_auth a;
	struct xm_cert got;
	size_t i, n = 0;
	bool held;
	char *p;

	if (!size)
		return 0;
	buf = malloc(size);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	for (p = buf; n < FIELDS && p <= buf + size - 1; n++) {
		f[n] = p;
		p += strlen(p) + 1;
	}
	r = (struct xm_agent_request){
		.method = f[0] ? f[0] : "GET", .path = f[1] ? f[1] : "/",
		.body = f[2] ? f[2] : "", .body_len = f[2] ? strlen(f[2]) : 0,
		.cert = f[3], .time = f[4], .nonce = f[5], .sig = f[6],
	};
	if (data[0] & 1) {
		uint8_t nonce[XM_AGENT_NONCE_LEN] = { 0 };
		int64_t t = NOW + (int8_t)(f[4] ? f[4][0] : 0);

		for (i = 0; f[5] && f[5][i] && i < sizeof(nonce); i++)
			nonce[i] = (uint8_t)f[5][i];
		xm_agent_auth_sign(node_sk, r.method, r.path, r.body,
				   r.body_len, t, nonce, time_s, nonce_hex,
				   sig);
		r.cert = node_b64;
		r.time = time_s;
		r.nonce = nonce_hex;
		r.sig = sig;
	}
	/* The check at the headers (the server's before the body): a
	 * nonce it says is held never passes, one that passed is held. */
	held = !xm_agent_auth_headers(&r, &auth, NULL, NOW, &hs, &why) &&
	       xm_agent_auth_held(nonces, &hs, NOW);
	a = xm_agent_auth_check(&r, &auth, NULL, nonces, NOW, &got, &why);
	if (a > XM_AGENT_AUTH_MAX || (!a && got.node_id != node.node_id) ||
	    (!a && !(data[0] & 1) && strcmp(r.cert, node_b64)) ||
	    (!a && (held || xm_agent_auth_held(nonces, &hs, NOW) !=
		    XM_AGENT_AUTH_REPLAY)))
		abort();
	free(buf);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t nseed[32] = "fuzzing node key, not secret...";
	static const uint8_t key[16] = "fuzzing nonces.";

	(void)argc;
	(void)argv;
	test_fuzz_authority(&auth, auth_sk, NOW);
	test_cert_seed(&node, XM_CERT_NODE, 2, 7, NOW, nseed, node_sk, auth_sk,
		       node_b64);
	/* Small, so that a run fills it and meets the quota. */
	nonces = xm_agent_nonces_new(64, 8, key, NOW - XM_AGENT_AUTH_WINDOW);
	return nonces ? 0 : -1;
}
