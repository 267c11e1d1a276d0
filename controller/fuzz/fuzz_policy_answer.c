// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the agent's acceptance of a controller's answer
 * (policy_agent.h): bytes from the network that must be refused with a
 * location and a reason, never crash the agent. The signature stops most
 * mutations early, so the first byte chooses: even, the input is the
 * answer; odd, the rest is a document the target signs (as version 2,
 * with its own authority's policy key) into an answer, so that the
 * parser of the document is reached through the whole path.
 */
#include <json-c/json.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "policy_agent.h"
#include "tests/certs.h"

#define NOW	UINT64_C(1767225600)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static uint8_t auth_sk[64], policy_sk[64];
static struct xm_cert auth, policy_cert;
static char cert_text[XM_CERT_TEXT_MAX];

static void accept_answer(const char *json, size_t len)
{
	struct xm_policy_update u;
	struct xm_policy_error err;

	if (xm_policy_accept(json, len, &auth, NULL, NOW, 1, &u, &err)) {
		if (!err.location[0] || !err.reason[0])
			abort();
		return;
	}
	if (u.version <= 1 || !u.policy)
		abort();
	xm_policy_update_free(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;

	if (!size)
		return 0;
	if (!(data[0] & 1)) {
		buf = malloc(size - 1 ? size - 1 : 1);
		memcpy(buf, data + 1, size - 1);
		accept_answer(buf, size - 1);
	} else {
		uint8_t sig[XM_POLICY_SIG_LEN];
		char hex[2 * XM_POLICY_SIG_LEN + 1];
		json_object *j = json_object_new_object();
		const char *s;

		xm_policy_sign(policy_sk, 2, (const char *)data + 1, size - 1,
			       sig);
		sodium_bin2hex(hex, sizeof(hex), sig, sizeof(sig));
		json_object_object_add(j, "version", json_object_new_int(2));
		json_object_object_add(j, "signature",
				       json_object_new_string(hex));
		json_object_object_add(j, "certificate",
				       json_object_new_string(cert_text));
		json_object_object_add(j, "policy",
				       json_object_new_string_len(
					       (const char *)data + 1,
					       (int)(size - 1)));
		s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
		buf = strdup(s);
		accept_answer(buf, strlen(buf));
		json_object_put(j);
	}
	free(buf);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t pseed[32] = "fuzzing policy key, not secret.";

	(void)argc;
	(void)argv;
	test_fuzz_authority(&auth, auth_sk, NOW);
	test_cert_seed(&policy_cert, XM_CERT_POLICY, 2, 0, NOW, pseed,
		       policy_sk, auth_sk, NULL);
	if (!xm_cert_text(&policy_cert, cert_text, sizeof(cert_text)))
		abort();
	return 0;
}
