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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "xmesh_http.h"

/*
 * Several controllers on one store (Documentation/controller.md, "Two
 * controllers"): the configuration's `controller URL [URL...]`, in order
 * of preference. A thread talks to one at a time: the first at the
 * start; on a failure that says the controller is not serving
 * (xmd_controller_unavailable()) the next one, at once; after every one
 * failed in a row, the caller backs off before the next. After
 * XMD_CONTROLLER_RETURN_S on another one, the first is tried again (it
 * may be back), and left again at its first failure. Pure: time passed
 * in (unix seconds).
 */
#define XMD_CONTROLLERS_MAX	4
#define XMD_CONTROLLER_URL_MAX	256
#define XMD_CONTROLLER_RETURN_S	60

struct xmd_controllers {
	char url[XMD_CONTROLLERS_MAX][XMD_CONTROLLER_URL_MAX];
	unsigned int n, cur;
	int64_t since;			/* on cur since (0: not yet asked) */
	unsigned int failed;		/* failures in a row, any controller */
	uint64_t failovers;		/* moves to the next one */
	uint64_t returns;		/* back to the first, after a while */
};

/*
 * The URLs of list (separated by blanks; a trailing '/' dropped) into c,
 * the first one current: 0, or -1 if there is none, more than
 * XMD_CONTROLLERS_MAX, or one too long.
 */
int xmd_controllers_parse(struct xmd_controllers *c, const char *list);
/* The controller to ask at now (back to the first when it is time). */
const char *xmd_controllers_url(struct xmd_controllers *c, int64_t now);
/* The one asked did not serve: on to the next. True if every one has
 * failed in a row (the caller backs off). */
bool xmd_controllers_failed(struct xmd_controllers *c, int64_t now);
/* The one asked answered. */
void xmd_controllers_ok(struct xmd_controllers *c);
/* Whether an HTTP status (-1: no answer: refused, timed out) says the
 * controller is not serving: no answer, or 5xx. */
bool xmd_controller_unavailable(long status);

/*
 * The CA certificates (a PEM file) that an https:// controller's TLS
 * certificate is checked against, in place of the system's: a site's
 * own CA (`controller-ca` in xmeshd.conf). NULL: the system's. Set once
 * at start, before the threads that make requests; the path is copied.
 */
void xmd_controller_ca_set(const char *path);

/* The certificate header's value: base64 of the binary. */
#define XMD_CERT_B64_MAX	(XM_CERT_MAX * 4 / 3 + 8)

/* cert's base64, for xmd_controller_easy(). */
void xmd_controller_cert_b64(const struct xm_cert *cert,
			     char out[XMD_CERT_B64_MAX]);

/*
 * An easy handle for METHOD url+path with body (NULL: none), signed now
 * (a url ending in a site's API root, .../api/v1/sites/NAME: path's
 * /api/v1/X under it, as /api/v1/sites/NAME/X),
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
