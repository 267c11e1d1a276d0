/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A signed request to xmesh-controller, as every agent request is signed
 * (Documentation/controller.md, "Agent requests"): shared by the policy
 * sync (policy_sync.c) and telemetry (telemetry.c), which each drive the
 * transfer their own way.
 */
#ifndef XMD_CONTROLLER_CLIENT_H
#define XMD_CONTROLLER_CLIENT_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "xmesh_http.h"

/* The certificate header's value: base64 of the binary. */
#define XMD_CERT_B64_MAX	(XM_CERT_MAX * 4 / 3 + 8)

/* cert's base64, for xmd_controller_easy(). */
void xmd_controller_cert_b64(const struct xm_cert *cert,
			     char out[XMD_CERT_B64_MAX]);

/*
 * An easy handle for METHOD url+path with body (NULL: none), signed now
 * with sk and the certificate cert_b64, its answer collected into out,
 * abandoned after timeout_s; *hdrs is the header list to free with
 * curl_slist_free_all() after the transfer. NULL if out of memory.
 */
CURL *xmd_controller_easy(const char *url, const uint8_t *sk,
			  const char *cert_b64, const char *method,
			  const char *path, const char *body,
			  long timeout_s, struct xm_http_body *out,
			  struct curl_slist **hdrs);

#endif /* XMD_CONTROLLER_CLIENT_H */
