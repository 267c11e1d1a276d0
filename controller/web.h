/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The site dashboard's files (Documentation/dashboard.md): GET / is the
 * page, GET /static/PATH a file of the web directory (built by
 * `make -C controller web`). Only regular files under the directory,
 * by names of a safe alphabet: no "..", no hidden files, no links out.
 */
#ifndef XM_WEB_H
#define XM_WEB_H

#include <microhttpd.h>
#include <stdbool.h>

/* Whether url is the dashboard's ("/" or "/static/..."). */
bool xm_web_url(const char *url);

/*
 * Answer GET or HEAD of uri (as sent: escapes not decoded, a query
 * ignored; xm_web_url() of it decoded was true) from the directory dir:
 * 200 (the file), 304
 * (If-None-Match matched its ETag), 404, 405. The status answered goes
 * into *status (0 when the response could not be queued).
 */
enum MHD_Result xm_web_answer(struct MHD_Connection *conn, const char *dir,
			      const char *uri, const char *method,
			      unsigned int *status);

#endif /* XM_WEB_H */
