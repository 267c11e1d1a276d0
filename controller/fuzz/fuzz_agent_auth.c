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

#define NOW	INT64_C(1767225600)
#define FIELDS	7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static uint8_t auth_sk[64], node_sk[64];
static struct xm_cert auth, node;
static char node_b64[1024];
static struct xm_agent_nonces *nonces;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *f[FIELDS] = { NULL }, time_s[21], nonce_hex[33], sig[129];
	struct xm_agent_request r;
	enum xm_cert_reason why;
	enum xm_agent_auth a;
	struct xm_cert got;
	size_t i, n = 0;
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
	a = xm_agent_auth_check(&r, &auth, NULL, nonces, NOW, &got, &why);
	if (a > XM_AGENT_AUTH_MAX || (!a && got.node_id != node.node_id) ||
	    (!a && !(data[0] & 1) && strcmp(r.cert, node_b64)))
		abort();
	free(buf);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t seed[32] = "fuzzing authority, not secret..";
	static const uint8_t nseed[32] = "fuzzing node key, not secret...";
	static const uint8_t key[16] = "fuzzing nonces.";

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	crypto_sign_seed_keypair(auth.pubkey, auth_sk, seed);
	auth.kind = XM_CERT_AUTHORITY;
	auth.serial = 1;
	strcpy(auth.site, "fuzz");
	auth.not_before = NOW - 86400;
	auth.not_after = NOW + 86400;
	if (xm_cert_sign(&auth, auth_sk))
		abort();
	node = auth;
	crypto_sign_seed_keypair(node.pubkey, node_sk, nseed);
	node.kind = XM_CERT_NODE;
	node.serial = 2;
	node.node_id = 7;
	if (xm_cert_sign(&node, auth_sk))
		abort();
	sodium_bin2base64(node_b64, sizeof(node_b64), node.raw, node.len,
			  sodium_base64_VARIANT_ORIGINAL);
	/* Small, so that a run fills it and meets the quota. */
	nonces = xm_agent_nonces_new(64, 8, key, NOW - XM_AGENT_AUTH_WINDOW);
	return nonces ? 0 : -1;
}
