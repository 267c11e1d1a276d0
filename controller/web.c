// SPDX-License-Identifier: GPL-2.0
/*
 * The site dashboard's files (web.h, Documentation/dashboard.md).
 *
 * The names are checked before anything is opened (a safe alphabet, no
 * empty, "." or ".." segment, no hidden file), then the path is walked
 * one directory at a time with O_NOFOLLOW: a symbolic link planted in the
 * directory cannot lead out of it. Every answer says no-cache with an
 * ETag, so that a browser revalidates (304) and never runs yesterday's
 * script against today's API; the page's Content-Security-Policy allows
 * scripts from this origin only (no CDN, no inline script, no eval), since
 * the page holds an API token. Inline styles are allowed: the map library
 * sets them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web.h"

#define STATIC_PREFIX	"/static/"
#define INDEX		"index.html"

static const char csp[] =
	"default-src 'self'; script-src 'self';"
	" style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
	" connect-src 'self'; frame-ancestors 'none'; base-uri 'none';"
	" form-action 'none'";

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".map", "application/json" },
};

bool xm_web_url(const char *url)
{
	return !strcmp(url, "/") ||
	       !strncmp(url, STATIC_PREFIX, strlen(STATIC_PREFIX));
}

static const char *content_type(const char *name)
{
	size_t n = strlen(name), i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);

		if (n > e && !strcmp(name + n - e, types[i].ext))
			return types[i].type;
	}
	return NULL;
}

/* Whether rel ("a/b.js") is a name the dashboard may serve. */
static bool name_ok(const char *rel)
{
	const char *s = rel;
	bool seg_start = true;

	if (!*rel || strlen(rel) > XM_WEB_NAME_MAX)
		return false;
	for (; *s; s++) {
		if (*s == '/') {
			if (seg_start)
				return false;	/* empty segment */
			seg_start = true;
			continue;
		}
		if (seg_start && *s == '.')
			return false;		/* ".", "..", hidden */
		seg_start = false;
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' ||
		      *s == '_'))
			return false;
	}
	return !seg_start;
}

/* Open rel under dir without following a link: a descriptor or -1. */
static int open_beneath(const char *dir, const char *rel)
{
	char seg[XM_WEB_NAME_MAX + 1];
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), next;
	const char *s = rel, *slash;

	while (fd >= 0 && (slash = strchr(s, '/'))) {
		snprintf(seg, sizeof(seg), "%.*s", (int)(slash - s), s);
		next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			      O_CLOEXEC);
		close(fd);
		fd = next;
		s = slash + 1;
	}
	if (fd < 0)
		return -1;
	/* O_NONBLOCK: a FIFO planted there does not hang the thread (it is
	 * refused as not a regular file). */
	next = openat(fd, s, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(fd);
	return next;
}

static enum MHD_Result queue(struct MHD_Connection *conn,
			     struct MHD_Response *r, unsigned int status,
			     unsigned int *answered)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	if (ret == MHD_YES)
		*answered = status;
	return ret;
}

static enum MHD_Result refuse(struct MHD_Connection *conn,
			      unsigned int status, const char *text,
			      unsigned int *answered)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; charset=utf-8");
	if (status == 405)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	return queue(conn, r, status, answered);
}

bool xm_web_file(const char *uri, char rel[XM_WEB_NAME_MAX + 1])
{
	const char *name;
	size_t len;

	if (!strcmp(uri, "/") || !strncmp(uri, "/?", 2))
		name = INDEX;
	else if (!strncmp(uri, STATIC_PREFIX, strlen(STATIC_PREFIX)))
		name = uri + strlen(STATIC_PREFIX);
	else
		return false;
	/* The query is not part of the name. */
	len = strcspn(name, "?");
	if (len > XM_WEB_NAME_MAX)
		return false;
	memcpy(rel, name, len);
	rel[len] = '\0';
	return name_ok(rel) && content_type(rel);
}

enum MHD_Result xm_web_answer(struct MHD_Connection *conn, const char *dir,
			      const char *uri, const char *method,
			      unsigned int *status)
{
	char rel[XM_WEB_NAME_MAX + 1];
	const char *type, *match;
	struct MHD_Response *r;
	char etag[64];
	struct stat st;
	int fd;

	*status = 0;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return refuse(conn, 405, "GET or HEAD\n", status);
	if (!dir || !xm_web_file(uri, rel))
		return refuse(conn, 404, "no such file\n", status);
	type = content_type(rel);
	fd = open_beneath(dir, rel);
	if (fd < 0)
		return refuse(conn, 404, errno == ENOENT && !strcmp(rel, INDEX) ?
			      "the dashboard is not installed (make -C"
			      " controller web; --web DIR)\n" :
			      "no such file\n", status);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return refuse(conn, 404, "no such file\n", status);
	}
	snprintf(etag, sizeof(etag), "\"%" PRIx64 "-%" PRIx64 "-%lx\"",
		 (uint64_t)st.st_size, (uint64_t)st.st_mtim.tv_sec,
		 (unsigned long)st.st_mtim.tv_nsec);
	match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					    MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (match && !strcmp(match, etag)) {
		close(fd);
		r = MHD_create_response_from_buffer(0, NULL,
						    MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
					"no-cache");
		return queue(conn, r, 304, status);
	}
	/* The response owns fd from here. */
	r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (!strcmp(rel, INDEX)) {
		MHD_add_response_header(r, "Content-Security-Policy", csp);
		MHD_add_response_header(r, "X-Frame-Options", "DENY");
	}
	return queue(conn, r, 200, status);
}
