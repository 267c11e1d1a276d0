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

#define XM_WEB_NAME_MAX	255	/* of a file's path under the directory */

/* Whether url is the dashboard's ("/" or "/static/..."). */
bool xm_web_url(const char *url);

/*
 * The file a request's uri (as sent: escapes not decoded) names under the
 * directory, into rel: "index.html" for "/", PATH for "/static/PATH" (a
 * query ignored), if it is a name that may be served (the alphabet, no
 * empty, "." or ".." segment, no hidden file, a known type). Pure: the
 * fuzz target's (controller/fuzz/fuzz_web_file.c).
 */
bool xm_web_file(const char *uri, char rel[XM_WEB_NAME_MAX + 1]);

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
