// SPDX-License-Identifier: GPL-2.0
/*
 * The site policy: parser, validator, tests and signature (policy.h,
 * Documentation/policy.md). JSON through json-c in strict mode; every
 * member of every object is known or refused (a misspelt key must not be
 * silently ignored), every value type- and range-checked.
 */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"	/* XM_METRIC_MAX */
#include "wire.h"	/* xm_wire_name_valid(): the names of the site */
#include "policy.h"
#include "xmesh_qos.h"	/* xm_parse_rate(), xm_tclass_name() */
#include <linux/xmesh.h>	/* enum xmesh_security */

#define JSON_DEPTH	16
#define WORDS_MAX	12

static int verror(struct xm_policy_error *err, const char *location,
		  const char *fmt, va_list ap)
{
	snprintf(err->location, sizeof(err->location), "%s", location);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	return -1;
}

int xm_policy_error_set(struct xm_policy_error *err, const char *location,
			const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(err, location, fmt, ap);
	va_end(ap);
	return -1;
}

/* The same, for this file's many refusals. */
__attribute__((format(printf, 3, 4)))
static int fail(struct xm_policy_error *err, const char *location,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(err, location, fmt, ap);
	va_end(ap);
	return -1;
}

/* s made safe to quote in a message: printable ASCII, at most 40. */
static const char *quote(const char *s, char buf[48])
{
	size_t i;

	for (i = 0; s[i] && i < 40; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	if (s[i])
		strcpy(buf + 37, "...");
	return buf;
}

/* A JSON pointer below base: base "/" key or index. */
static void child(char *out, size_t size, const char *base, const char *key)
{
	char q[48];

	snprintf(out, size, "%s/%s", base, quote(key, q));
}

static void child_i(char *out, size_t size, const char *base, size_t i)
{
	snprintf(out, size, "%s/%zu", base, i);
}

/* ---- typed members ---- */

/* Refuse members of obj not in allowed (NULL-terminated). */
static int only_members(json_object *obj, const char *ptr,
			const char *const *allowed,
			struct xm_policy_error *err)
{
	json_object_object_foreach(obj, key, val) {
		const char *const *a;
		char loc[64];

		(void)val;
		for (a = allowed; *a && strcmp(*a, key); a++)
			;
		if (!*a) {
			child(loc, sizeof(loc), ptr, key);
			return fail(err, loc, "unknown member");
		}
	}
	return 0;
}

static const char *type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a number with a fraction";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "?";
}

static int want_type(json_object *v, json_type t, const char *ptr,
		     const char *what, struct xm_policy_error *err)
{
	if (json_object_is_type(v, t))
		return 0;
	return fail(err, ptr, "expected %s, not %s", what, type_name(v));
}

static int get_uint(json_object *v, const char *ptr, int64_t min,
		    int64_t max, uint32_t *out, struct xm_policy_error *err)
{
	int64_t n;

	if (want_type(v, json_type_int, ptr, "an integer", err))
		return -1;
	errno = 0;
	n = json_object_get_int64(v);
	if (errno || n < min || n > max)
		return fail(err, ptr, "%s is out of range %lld to %lld",
			    json_object_get_string(v), (long long)min,
			    (long long)max);
	*out = (uint32_t)n;
	return 0;
}

static int get_num(json_object *v, const char *ptr, double min, double max,
		   double *out, struct xm_policy_error *err)
{
	double d;

	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return fail(err, ptr, "expected a number, not %s",
			    type_name(v));
	d = json_object_get_double(v);
	if (!isfinite(d) || d < min || d > max)
		return fail(err, ptr, "%s is out of range %g to %g",
			    json_object_get_string(v), min, max);
	*out = d;
	return 0;
}

/* A string without NUL bytes, of at most max bytes. */
static int get_str(json_object *v, const char *ptr, size_t max,
		   const char **out, struct xm_policy_error *err)
{
	const char *s;
	int len;

	if (want_type(v, json_type_string, ptr, "a string", err))
		return -1;
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if ((size_t)len != strlen(s))
		return fail(err, ptr, "a string with a NUL character");
	if ((size_t)len > max)
		return fail(err, ptr, "longer than %zu characters", max);
	*out = s;
	return 0;
}

/* A name of the site (zone, hook, rule): the certificates' rule. */
static int get_name(json_object *v, const char *ptr, char out[XM_NAME_MAX],
		    struct xm_policy_error *err)
{
	const char *s;
	char q[48];

	if (get_str(v, ptr, XM_NAME_MAX - 1, &s, err))
		return -1;
	if (!xm_wire_name_valid(s, false))
		return fail(err, ptr, "\"%s\" is not a name: 1 to %d printable"
			    " characters without blanks", quote(s, q),
			    XM_NAME_MAX - 1);
	strcpy(out, s);
	return 0;
}

/* One of names[0..n) (NULL entries skipped): its index, or -1. */
static int get_enum(json_object *v, const char *ptr,
		    const char *const *names, int n, const char *what,
		    struct xm_policy_error *err)
{
	const char *s;
	char q[48];
	int i;

	if (get_str(v, ptr, 64, &s, err))
		return -1;
	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return i;
	fail(err, ptr, "\"%s\" is not %s", quote(s, q), what);
	return -1;
}

/* ---- the filter and the tests ---- */

/* A test's words. */
struct words {
	char buf[XM_POLICY_TEXT_LEN];
	char *w[WORDS_MAX];
	int n;
};

/*
 * Split text (of at most XM_POLICY_TEXT_LEN - 1 bytes) into w, keeping
 * it whole in keep too (what the test says, for messages): the number of
 * words, or -1 after failing.
 */
static int split(const char *text, char keep[XM_POLICY_TEXT_LEN],
		 struct words *w, const char *ptr,
		 struct xm_policy_error *err)
{
	char *save, *word;

	snprintf(keep, XM_POLICY_TEXT_LEN, "%s", text);
	snprintf(w->buf, sizeof(w->buf), "%s", text);
	w->n = 0;
	for (word = strtok_r(w->buf, " \t", &save); word;
	     word = strtok_r(NULL, " \t", &save)) {
		if (w->n == WORDS_MAX)
			return fail(err, ptr, "more than %d words", WORDS_MAX);
		w->w[w->n++] = word;
	}
	return w->n;
}

/* The zone named by words[i]: one the filter declares. */
static int word_zone(const struct xm_site_policy *p, char **words, int n,
		     int i, const char *ptr, uint16_t *zone,
		     struct xm_policy_error *err)
{
	char q[48];

	if (i >= n)
		return fail(err, ptr, "a zone name is missing after \"%s\"",
			    quote(words[i - 1], q));
	*zone = xm_filter_zone_id(&p->filter, words[i]);
	if (!*zone)
		return fail(err, ptr, "word %d: \"%s\" is not a zone of"
			    " /filter", i + 1, quote(words[i], q));
	return 0;
}

static int expect_word(char **words, int n, int i, const char *want,
		       const char *ptr, struct xm_policy_error *err)
{
	char q[48];

	if (i >= n)
		return fail(err, ptr, "\"%s\" is missing after \"%s\"", want,
			    quote(words[i - 1], q));
	if (strcmp(words[i], want))
		return fail(err, ptr, "word %d: expected \"%s\", not \"%s\"",
			    i + 1, want, quote(words[i], q));
	return 0;
}

static int port_parse(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* "zone A can|cannot reach zone B on tcp/PORT|udp/PORT|icmp [class C]" */
static int parse_test(const struct xm_site_policy *p, const char *text,
		      const char *ptr, void *out, struct xm_policy_error *err)
{
	struct xm_policy_test *t = out;
	struct xm_filter_flow *fl = &t->flow;
	struct words w;
	char **words = w.w, *slash, q[48];
	int n = split(text, t->text, &w, ptr, err);

	if (n < 0)
		return -1;
	if (!n)
		return fail(err, ptr, "an empty test");
	if (expect_word(words, n, 0, "zone", ptr, err) ||
	    word_zone(p, words, n, 1, ptr, &fl->from_zone, err))
		return -1;
	if (n < 3 || (strcmp(words[2], "can") && strcmp(words[2], "cannot")))
		return fail(err, ptr, "word 3: expected \"can\" or \"cannot\"");
	t->expect = strcmp(words[2], "can") ? XM_FILTER_DENY : XM_FILTER_ALLOW;
	if (expect_word(words, n, 3, "reach", ptr, err) ||
	    expect_word(words, n, 4, "zone", ptr, err) ||
	    word_zone(p, words, n, 5, ptr, &fl->to_zone, err) ||
	    expect_word(words, n, 6, "on", ptr, err))
		return -1;
	if (n < 8)
		return fail(err, ptr, "a protocol is missing after \"on\"");
	fl->tclass = 0;
	if (n > 8 && strcmp(words[8], "class"))
		return fail(err, ptr, "word 9: \"%s\" after the end of the"
			    " test (\"class C\" or nothing)", quote(words[8], q));
	if (n > 8) {
		int tc = n > 9 ? xm_tclass_parse(words[9]) : -1;

		if (tc < 0)
			return fail(err, ptr, "word 10: expected a class: bulk,"
				    " interactive, realtime or network-control");
		fl->tclass = (uint8_t)tc;
	}
	if (n > 10)
		return fail(err, ptr, "word 11: \"%s\" after the end of the"
			    " test", quote(words[10], q));
	slash = strchr(words[7], '/');
	if (slash)
		*slash++ = '\0';
	fl->dport = 0;
	if (!strcmp(words[7], "icmp") && !slash)
		fl->proto = IPPROTO_ICMP;
	else if (!strcmp(words[7], "tcp") && slash &&
		 !port_parse(slash, &fl->dport))
		fl->proto = IPPROTO_TCP;
	else if (!strcmp(words[7], "udp") && slash &&
		 !port_parse(slash, &fl->dport))
		fl->proto = IPPROTO_UDP;
	else
		return fail(err, ptr, "word 8: expected tcp/PORT, udp/PORT or"
			    " icmp");
	return 0;
}

/* An array of at most max strings, each parsed by fn into (*out)[i]. */
static int string_list(json_object *arr, const char *ptr, size_t max,
		       struct xm_site_policy *p, void **out, size_t elem,
		       int (*fn)(const struct xm_site_policy *p, const char *s,
				 const char *ptr, void *out,
				 struct xm_policy_error *err),
		       unsigned int *count, struct xm_policy_error *err)
{
	size_t i, n;

	if (want_type(arr, json_type_array, ptr, "an array", err))
		return -1;
	n = json_object_array_length(arr);
	if (n > max)
		return fail(err, ptr, "more than %zu entries", max);
	*out = calloc(n ? n : 1, elem);
	if (!*out)
		return fail(err, ptr, "out of memory");
	for (i = 0; i < n; i++) {
		char loc[64];
		const char *s;

		child_i(loc, sizeof(loc), ptr, i);
		if (get_str(json_object_array_get_idx(arr, i), loc,
			    XM_POLICY_TEXT_LEN - 1, &s, err) ||
		    fn(p, s, loc, (char *)*out + i * elem, err))
			return -1;
	}
	*count = (unsigned int)n;
	return 0;
}

/*
 * The filter: its lines joined into a rules file and parsed by the
 * agents' parser, so that the controller accepts what they do. Its
 * "line N: why" becomes /filter/N-1 and why.
 */
static int parse_filter(json_object *arr, struct xm_site_policy *p,
			struct xm_policy_error *err)
{
	size_t i, n, len = 0, at = 0;
	char loc[64], why[256];
	unsigned int line;
	int used, ret;

	if (want_type(arr, json_type_array, "/filter", "an array", err))
		return -1;
	n = json_object_array_length(arr);
	if (n > XM_POLICY_FILTER_MAX)
		return fail(err, "/filter", "more than %d lines",
			    XM_POLICY_FILTER_MAX);
	for (i = 0; i < n; i++) {
		const char *s;

		child_i(loc, sizeof(loc), "/filter", i);
		if (get_str(json_object_array_get_idx(arr, i), loc, 1024, &s,
			    err))
			return -1;
		if (strchr(s, '\n'))
			return fail(err, loc, "a newline: one string, one"
				    " line");
		len += strlen(s) + 1;
	}
	p->filter_text = malloc(len + 1);
	if (!p->filter_text)
		return fail(err, "/filter", "out of memory");
	for (i = 0; i < n; i++) {
		const char *s = json_object_get_string(
			json_object_array_get_idx(arr, i));
		size_t l = strlen(s);

		memcpy(p->filter_text + at, s, l);
		at += l;
		p->filter_text[at++] = '\n';
	}
	p->filter_text[at] = '\0';
	ret = xm_filter_parse(p->filter_text, &p->filter, why, sizeof(why));
	if (ret == -ENOMEM)
		return fail(err, "/filter", "out of memory");
	if (!ret)
		return 0;
	if (sscanf(why, "line %u: %n", &line, &used) == 1 && line >= 1 &&
	    used > 0) {
		child_i(loc, sizeof(loc), "/filter", line - 1);
		return fail(err, loc, "%s", why + used);
	}
	return fail(err, "/filter", "%s", why);
}

/* A line of the filter (from 1), for messages: at most 80 bytes. */
static const char *filter_line(const struct xm_site_policy *p,
			       unsigned int line, char buf[84])
{
	const char *s = p->filter_text ? p->filter_text : "", *nl;
	size_t len;

	for (; line > 1 && (nl = strchr(s, '\n')); line--)
		s = nl + 1;
	nl = strchr(s, '\n');
	len = nl ? (size_t)(nl - s) : strlen(s);
	snprintf(buf, 84, "%.*s%s", (int)(len > 80 ? 77 : len), s,
		 len > 80 ? "..." : "");
	return buf;
}

/* ---- drain and reweight ---- */

static int get_node(json_object *v, const char *ptr, uint32_t *id,
		    struct xm_policy_error *err)
{
	return get_uint(v, ptr, 1, UINT32_MAX, id, err);
}

/* "[A, B]": a link, its ends ordered. */
static int get_link(json_object *v, const char *ptr,
		    struct xm_policy_link *l, struct xm_policy_error *err)
{
	char loc[80];
	uint32_t a, b;

	if (want_type(v, json_type_array, ptr, "an array [A, B]", err))
		return -1;
	if (json_object_array_length(v) != 2)
		return fail(err, ptr, "expected two node ids [A, B]");
	snprintf(loc, sizeof(loc), "%s/0", ptr);
	if (get_node(json_object_array_get_idx(v, 0), loc, &a, err))
		return -1;
	snprintf(loc, sizeof(loc), "%s/1", ptr);
	if (get_node(json_object_array_get_idx(v, 1), loc, &b, err))
		return -1;
	if (a == b)
		return fail(err, ptr, "a link joins two different nodes");
	l->a = a < b ? a : b;
	l->b = a < b ? b : a;
	return 0;
}

static bool same_link(const struct xm_policy_link *x,
		      const struct xm_policy_link *y)
{
	return x->a == y->a && x->b == y->b;
}

/* An array of at most max entries: room for them (and one more, zeroed)
 * of size bytes each, their number in *n; NULL after failing. */
static void *array_new(json_object *v, const char *ptr, size_t max,
		       size_t size, long *n, struct xm_policy_error *err)
{
	void *a;

	if (want_type(v, json_type_array, ptr, "an array", err))
		return NULL;
	*n = (long)json_object_array_length(v);
	if ((size_t)*n > max) {
		fail(err, ptr, "more than %zu entries", max);
		return NULL;
	}
	a = calloc(*n + 1, size);
	if (!a)
		fail(err, ptr, "out of memory");
	return a;
}

/* Each of the n entries of array v (at ptr) through entry(). */
static int each_entry(json_object *v, const char *ptr, long n,
		      int (*entry)(json_object *e, const char *loc, long i,
				   struct xm_site_policy *p,
				   struct xm_policy_error *err),
		      struct xm_site_policy *p, struct xm_policy_error *err)
{
	char loc[64];
	long i;

	for (i = 0; i < n; i++) {
		child_i(loc, sizeof(loc), ptr, i);
		if (entry(json_object_array_get_idx(v, i), loc, i, p, err))
			return -1;
	}
	return 0;
}

static int drain_node(json_object *e, const char *loc, long i,
		      struct xm_site_policy *p, struct xm_policy_error *err)
{
	uint32_t *nodes = p->drain_nodes;
	long j;

	if (get_node(e, loc, &nodes[i], err))
		return -1;
	for (j = 0; j < i; j++)
		if (nodes[j] == nodes[i])
			return fail(err, loc, "node %u is listed twice",
				    nodes[i]);
	p->n_drain_nodes++;
	return 0;
}

static int drain_link(json_object *e, const char *loc, long i,
		      struct xm_site_policy *p, struct xm_policy_error *err)
{
	struct xm_policy_link *links = p->drain_links;
	long j;

	if (get_link(e, loc, &links[i], err))
		return -1;
	for (j = 0; j < i; j++)
		if (same_link(&links[j], &links[i]))
			return fail(err, loc, "link %u %u is listed twice",
				    links[i].a, links[i].b);
	p->n_drain_links++;
	return 0;
}

static int parse_drain(json_object *obj, struct xm_site_policy *p,
		       struct xm_policy_error *err)
{
	static const char *const members[] = { "nodes", "links", NULL };
	json_object *v;
	long n;

	if (want_type(obj, json_type_object, "/drain", "an object", err) ||
	    only_members(obj, "/drain", members, err))
		return -1;
	if (json_object_object_get_ex(obj, "nodes", &v)) {
		p->drain_nodes = array_new(v, "/drain/nodes",
					   XM_POLICY_DRAIN_MAX,
					   sizeof(*p->drain_nodes), &n, err);
		if (!p->drain_nodes ||
		    each_entry(v, "/drain/nodes", n, drain_node, p, err))
			return -1;
	}
	if (json_object_object_get_ex(obj, "links", &v)) {
		p->drain_links = array_new(v, "/drain/links",
					   XM_POLICY_LINKS_MAX,
					   sizeof(*p->drain_links), &n, err);
		if (!p->drain_links ||
		    each_entry(v, "/drain/links", n, drain_link, p, err))
			return -1;
	}
	return 0;
}

static int parse_reweight(json_object *arr, struct xm_site_policy *p,
			  struct xm_policy_error *err)
{
	static const char *const members[] = { "link", "metric", NULL };
	long n, i, j;

	p->reweights = array_new(arr, "/reweight", XM_POLICY_LINKS_MAX,
				 sizeof(*p->reweights), &n, err);
	if (!p->reweights)
		return -1;
	for (i = 0; i < n; i++) {
		struct xm_policy_reweight *r = &p->reweights[i];
		json_object *o = json_object_array_get_idx(arr, i), *v;
		char loc[64], loc2[80];

		child_i(loc, sizeof(loc), "/reweight", i);
		if (want_type(o, json_type_object, loc, "an object", err) ||
		    only_members(o, loc, members, err))
			return -1;
		snprintf(loc2, sizeof(loc2), "%s/link", loc);
		if (!json_object_object_get_ex(o, "link", &v))
			return fail(err, loc, "\"link\" is missing");
		if (get_link(v, loc2, &r->link, err))
			return -1;
		for (j = 0; j < i; j++)
			if (same_link(&p->reweights[j].link, &r->link))
				return fail(err, loc2, "link %u %u is"
					    " reweighted twice", r->link.a,
					    r->link.b);
		snprintf(loc2, sizeof(loc2), "%s/metric", loc);
		if (!json_object_object_get_ex(o, "metric", &v))
			return fail(err, loc, "\"metric\" is missing");
		if (get_uint(v, loc2, 1, XM_METRIC_MAX - 1, &r->metric, err))
			return -1;
		p->n_reweights++;
	}
	return 0;
}

/* ---- timers, QoS, remediation ---- */

static int parse_timers(json_object *obj, struct xm_site_policy *p,
			struct xm_policy_error *err)
{
	static const char *const members[] = {
		"hello_interval", "dead_interval", "probe_interval",
		"probe_miss", NULL
	};
	json_object *v;

	if (want_type(obj, json_type_object, "/timers", "an object", err) ||
	    only_members(obj, "/timers", members, err))
		return -1;
	if (json_object_object_get_ex(obj, "hello_interval", &v) &&
	    get_num(v, "/timers/hello_interval", 0.01, 60,
		    &p->hello_interval, err))
		return -1;
	if (json_object_object_get_ex(obj, "dead_interval", &v) &&
	    get_num(v, "/timers/dead_interval", 0.03, 600,
		    &p->dead_interval, err))
		return -1;
	if (json_object_object_get_ex(obj, "probe_interval", &v) &&
	    get_num(v, "/timers/probe_interval", 0.001, 10,
		    &p->probe_interval, err))
		return -1;
	if (json_object_object_get_ex(obj, "probe_miss", &v) &&
	    get_uint(v, "/timers/probe_miss", 1, 100, &p->probe_miss, err))
		return -1;
	if (p->hello_interval && p->dead_interval &&
	    p->dead_interval <= p->hello_interval)
		return fail(err, "/timers/dead_interval", "must be above"
			    " hello_interval (%g)", p->hello_interval);
	return 0;
}

/* A class's "path": {metric, latency_weight, max_hops, zones}. */
static int parse_class_path(json_object *obj, const char *loc,
			    struct xm_class_path *cp,
			    struct xm_policy_error *err)
{
	static const char *const members[] = {
		"metric", "latency_weight", "max_hops", "zones", NULL
	};
	static const char *const metrics[] = XM_CLASS_METRIC_NAMES;
	char ptr[96], zptr[128];
	json_object *v;
	uint32_t n;
	size_t i;
	int m;

	if (want_type(obj, json_type_object, loc, "an object", err) ||
	    only_members(obj, loc, members, err))
		return -1;
	snprintf(ptr, sizeof(ptr), "%s/metric", loc);
	if (json_object_object_get_ex(obj, "metric", &v)) {
		m = get_enum(v, ptr, metrics, 4,
			     "default, latency, bandwidth or mix", err);
		if (m < 0)
			return -1;
		cp->metric = (uint8_t)m;
	}
	snprintf(ptr, sizeof(ptr), "%s/latency_weight", loc);
	if (json_object_object_get_ex(obj, "latency_weight", &v)) {
		if (cp->metric != XM_CLASS_METRIC_MIX)
			return fail(err, ptr, "goes with the metric mix");
		if (get_uint(v, ptr, 0, 100, &n, err))
			return -1;
		cp->latency_weight = (uint8_t)n;
	} else if (cp->metric == XM_CLASS_METRIC_MIX) {
		cp->latency_weight = 50;
	}
	snprintf(ptr, sizeof(ptr), "%s/max_hops", loc);
	if (json_object_object_get_ex(obj, "max_hops", &v)) {
		if (get_uint(v, ptr, 1, 255, &n, err))
			return -1;
		cp->max_hops = (uint8_t)n;
	}
	snprintf(ptr, sizeof(ptr), "%s/zones", loc);
	if (json_object_object_get_ex(obj, "zones", &v)) {
		if (want_type(v, json_type_array, ptr, "an array", err))
			return -1;
		if (json_object_array_length(v) > XM_CLASS_ZONES_MAX)
			return fail(err, ptr, "more than %d zones",
				    XM_CLASS_ZONES_MAX);
		for (i = 0; i < json_object_array_length(v); i++) {
			child_i(zptr, sizeof(zptr), ptr, i);
			if (get_name(json_object_array_get_idx(v, i), zptr,
				     cp->zones[i], err))
				return -1;
		}
		cp->n_zones = (unsigned int)i;
	}
	return 0;
}

static int parse_qos(json_object *obj, struct xm_site_policy *p,
		     struct xm_policy_error *err)
{
	static const char *const class_members[] = {
		"rate", "burst", "path", NULL
	};

	if (want_type(obj, json_type_object, "/qos", "an object", err))
		return -1;
	p->has_qos = true;
	json_object_object_foreach(obj, key, val) {
		char loc[64], loc2[80], q[48];
		const char *rate;
		json_object *v;
		int tc;

		child(loc, sizeof(loc), "/qos", key);
		for (tc = XMESH_TC_BULK; tc <= XMESH_TC_NETWORK_CONTROL; tc++)
			if (!strcmp(xm_tclass_name((uint8_t)tc), key))
				break;
		if (tc > XMESH_TC_NETWORK_CONTROL)
			return fail(err, loc, "not a traffic class: bulk,"
				    " interactive, realtime or"
				    " network-control");
		if (want_type(val, json_type_object, loc, "an object", err) ||
		    only_members(val, loc, class_members, err))
			return -1;
		if (json_object_object_get_ex(val, "path", &v)) {
			snprintf(loc2, sizeof(loc2), "%s/path", loc);
			if (parse_class_path(v, loc2,
					     &p->class_path[tc - XMESH_TC_BULK],
					     err))
				return -1;
		}
		snprintf(loc2, sizeof(loc2), "%s/rate", loc);
		/* A class given only its path keeps no cap. */
		if (!json_object_object_get_ex(val, "rate", &v) &&
		    json_object_object_get_ex(val, "path", NULL))
			rate = "0";
		else if (!json_object_object_get_ex(val, "rate", &v))
			return fail(err, loc, "\"rate\" is missing");
		else if (get_str(v, loc2, 32, &rate, err))
			return -1;
		if (xm_parse_rate(rate, &p->qos_rate[tc - XMESH_TC_BULK]))
			return fail(err, loc2, "\"%s\" is not a rate: e.g."
				    " 10mbit, 1gbit, or 0 for no cap",
				    quote(rate, q));
		snprintf(loc2, sizeof(loc2), "%s/burst", loc);
		if (json_object_object_get_ex(val, "burst", &v) &&
		    get_uint(v, loc2, 1500, 64 << 20,
			     &p->qos_burst[tc - XMESH_TC_BULK], err))
			return -1;
		/* The module refuses it: a node would fail to apply it. */
		if (p->qos_burst[tc - XMESH_TC_BULK] &&
		    !p->qos_rate[tc - XMESH_TC_BULK])
			return fail(err, loc2, "a burst needs a rate (not 0)");
	}
	return 0;
}

static const char *const trigger_names[] = {
	[XM_REMEDY_UNREACHABLE] = "unreachable",
	[XM_REMEDY_LINK_LOSS] = "link-loss",
	[XM_REMEDY_ERROR_RATE] = "error-rate",
	[XM_REMEDY_UTILIZATION] = "utilization",
};

static const char *const action_names[] = {
	[XM_REMEDY_HOOK] = "hook",
	[XM_REMEDY_DRAIN] = "drain",
	[XM_REMEDY_REWEIGHT] = "reweight",
	[XM_REMEDY_NOTIFY] = "notify",
};

static int parse_remedy(json_object *obj, const char *ptr,
			const struct xm_site_policy *p,
			struct xm_policy_remedy *r,
			struct xm_policy_error *err)
{
	static const char *const members[] = {
		"name", "when", "threshold", "for", "action", "hook",
		"metric", "max_per_hour", "dry_run", NULL
	};
	json_object *v;
	char loc[96];
	unsigned int i;
	int e;

#define MEMBER(key) (snprintf(loc, sizeof(loc), "%s/%s", ptr, key), \
		     json_object_object_get_ex(obj, key, &v))
#define REQUIRED(key) do { if (!MEMBER(key)) \
	return fail(err, ptr, "\"%s\" is missing", key); } while (0)

	if (want_type(obj, json_type_object, ptr, "an object", err) ||
	    only_members(obj, ptr, members, err))
		return -1;
	REQUIRED("name");
	if (get_name(v, loc, r->name, err))
		return -1;
	for (i = 0; i < p->n_remedies; i++)
		if (!strcmp(p->remedies[i].name, r->name))
			return fail(err, loc, "rule \"%s\" is defined twice",
				    r->name);
	REQUIRED("when");
	e = get_enum(v, loc, trigger_names, 4, "a trigger: unreachable,"
		     " link-loss, error-rate or utilization", err);
	if (e < 0)
		return -1;
	r->trigger = e;
	if (r->trigger == XM_REMEDY_UNREACHABLE) {
		if (MEMBER("threshold"))
			return fail(err, loc, "unreachable takes no"
				    " threshold");
	} else {
		REQUIRED("threshold");
		if (get_num(v, loc, 0, r->trigger == XM_REMEDY_ERROR_RATE ?
			    1e9 : 100, &r->threshold, err))
			return -1;
	}
	REQUIRED("for");
	if (get_num(v, loc, 0, 86400, &r->for_s, err))
		return -1;
	REQUIRED("action");
	e = get_enum(v, loc, action_names, 4, "an action: hook, drain,"
		     " reweight or notify", err);
	if (e < 0)
		return -1;
	r->action = e;
	if (MEMBER("hook") != (r->action == XM_REMEDY_HOOK))
		return fail(err, r->action == XM_REMEDY_HOOK ? ptr : loc,
			    r->action == XM_REMEDY_HOOK ? "\"hook\" is missing" :
			    "only a hook action names a hook");
	if (r->action == XM_REMEDY_HOOK && get_name(v, loc, r->hook, err))
		return -1;
	if (MEMBER("metric") != (r->action == XM_REMEDY_REWEIGHT))
		return fail(err, r->action == XM_REMEDY_REWEIGHT ? ptr : loc,
			    r->action == XM_REMEDY_REWEIGHT ?
			    "\"metric\" is missing" :
			    "only a reweight action sets a metric");
	if (r->action == XM_REMEDY_REWEIGHT &&
	    get_uint(v, loc, 1, 65535, &r->metric, err))
		return -1;
	r->max_per_hour = 1;
	if (MEMBER("max_per_hour") &&
	    get_uint(v, loc, 1, 3600, &r->max_per_hour, err))
		return -1;
	if (MEMBER("dry_run")) {
		if (want_type(v, json_type_boolean, loc, "true or false", err))
			return -1;
		r->dry_run = json_object_get_boolean(v);
	}
	return 0;
#undef MEMBER
#undef REQUIRED
}

static int parse_remediation(json_object *obj, struct xm_site_policy *p,
			     struct xm_policy_error *err)
{
	static const char *const members[] = { "budget_per_hour", "rules",
					       NULL };
	json_object *v;
	size_t i, n;

	if (want_type(obj, json_type_object, "/remediation", "an object",
		      err) ||
	    only_members(obj, "/remediation", members, err))
		return -1;
	p->remedy_budget = 10;
	if (json_object_object_get_ex(obj, "budget_per_hour", &v) &&
	    get_uint(v, "/remediation/budget_per_hour", 1, 3600,
		     &p->remedy_budget, err))
		return -1;
	if (!json_object_object_get_ex(obj, "rules", &v))
		return 0;
	if (want_type(v, json_type_array, "/remediation/rules", "an array",
		      err))
		return -1;
	n = json_object_array_length(v);
	if (n > XM_POLICY_REMEDY_MAX)
		return fail(err, "/remediation/rules", "more than %d rules",
			    XM_POLICY_REMEDY_MAX);
	p->remedies = calloc(n ? n : 1, sizeof(*p->remedies));
	if (!p->remedies)
		return fail(err, "/remediation/rules", "out of memory");
	for (i = 0; i < n; i++) {
		char loc[64];

		child_i(loc, sizeof(loc), "/remediation/rules", i);
		if (parse_remedy(json_object_array_get_idx(v, i), loc, p,
				 &p->remedies[i], err))
			return -1;
		p->n_remedies++;
	}
	return 0;
}

/* ---- the document ---- */

/* "line L column C" of offset off in text. */
static void text_location(const char *text, size_t off, char *out,
			  size_t size)
{
	unsigned int line = 1, col = 1;
	size_t i;

	for (i = 0; i < off; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(out, size, "line %u column %u", line, col);
}

json_object *xm_json_parse_strict(const char *text, size_t len, int depth,
				  struct xm_policy_error *err)
{
	struct json_tokener *tok;
	enum json_tokener_error e;
	json_object *root;
	size_t end;
	char loc[64];

	if (memchr(text, '\0', len)) {
		size_t nul = (size_t)((const char *)memchr(text, '\0', len) -
				      text);

		text_location(text, nul, loc, sizeof(loc));
		fail(err, loc, "a NUL byte in the document");
		return NULL;
	}
	tok = json_tokener_new_ex(depth);
	if (!tok) {
		fail(err, "document", "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || e != json_tokener_success) {
		json_object_put(root);
		text_location(text, end > len ? len : end, loc, sizeof(loc));
		fail(err, loc, "%s", e == json_tokener_continue ?
		     "the document ends too early" :
		     e == json_tokener_success ? "not a JSON document" :
		     json_tokener_error_desc(e));
		return NULL;
	}
	for (; end < len; end++) {
		if (!strchr(" \t\r\n", text[end])) {
			json_object_put(root);
			text_location(text, end, loc, sizeof(loc));
			fail(err, loc, "text after the end of the document");
			return NULL;
		}
	}
	return root;
}

/* "security": one mode for every node (xmeshd.conf's security line). */
static int parse_security(json_object *v, struct xm_site_policy *p,
			  struct xm_policy_error *err)
{
	static const char *const modes[] = {
		[XMESH_SECURITY_NONE] = "none",
		[XMESH_SECURITY_AUTH] = "auth",
		[XMESH_SECURITY_ENCRYPT] = "encrypt",
	};
	const char *s;
	char q[48];
	uint8_t i;

	if (get_str(v, "/security", 64, &s, err))
		return -1;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!strcmp(s, modes[i])) {
			p->has_security = true;
			p->security = i;
			return 0;
		}
	}
	return fail(err, "/security", "want none, auth or encrypt, not \"%s\"",
		    quote(s, q));
}

struct xm_site_policy *xm_policy_parse(const char *text, size_t len,
				  struct xm_policy_error *err)
{
	static const char *const members[] = {
		"max_hops", "timers", "filter", "qos", "drain", "reweight",
		"remediation", "tests", "security", NULL
	};
	json_object *root, *v;
	struct xm_site_policy *p;

	memset(err, 0, sizeof(*err));
	if (len > XM_POLICY_TEXT_MAX) {
		fail(err, "document", "larger than %d bytes",
		     XM_POLICY_TEXT_MAX);
		return NULL;
	}
	root = xm_json_parse_strict(text, len, JSON_DEPTH, err);
	if (!root)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		fail(err, "document", "out of memory");
		goto out;
	}
	p->remedy_budget = 10;
	if (want_type(root, json_type_object, "document", "an object", err) ||
	    only_members(root, "", members, err))
		goto bad;
	if (json_object_object_get_ex(root, "max_hops", &v) &&
	    get_uint(v, "/max_hops", 0, XM_POLICY_HOPS_MAX, &p->max_hops, err))
		goto bad;
	if (json_object_object_get_ex(root, "timers", &v) &&
	    parse_timers(v, p, err))
		goto bad;
	if (json_object_object_get_ex(root, "security", &v) &&
	    parse_security(v, p, err))
		goto bad;
	if (json_object_object_get_ex(root, "filter", &v) &&
	    parse_filter(v, p, err))
		goto bad;
	if (json_object_object_get_ex(root, "qos", &v) && parse_qos(v, p, err))
		goto bad;
	if (json_object_object_get_ex(root, "drain", &v) &&
	    parse_drain(v, p, err))
		goto bad;
	if (json_object_object_get_ex(root, "reweight", &v) &&
	    parse_reweight(v, p, err))
		goto bad;
	if (json_object_object_get_ex(root, "remediation", &v) &&
	    parse_remediation(v, p, err))
		goto bad;
	if (json_object_object_get_ex(root, "tests", &v) &&
	    string_list(v, "/tests", XM_POLICY_TESTS_MAX, p, (void **)&p->tests,
			sizeof(*p->tests), parse_test, &p->n_tests, err))
		goto bad;
	goto out;
bad:
	xm_policy_free(p);
	p = NULL;
out:
	json_object_put(root);
	return p;
}

void xm_policy_free(struct xm_site_policy *p)
{
	if (!p)
		return;
	xm_filter_free(&p->filter);
	free(p->filter_text);
	free(p->tests);
	free(p->remedies);
	free(p->drain_nodes);
	free(p->drain_links);
	free(p->reweights);
	free(p);
}

int xm_policy_run_tests(const struct xm_site_policy *p,
			struct xm_policy_error *err)
{
	struct xm_filter_decision d;
	const char *verb;
	char loc[64], line[84];
	unsigned int i;

	for (i = 0; i < p->n_tests; i++) {
		const struct xm_policy_test *t = &p->tests[i];

		if (xm_filter_decide(&p->filter, &t->flow, &d) == t->expect)
			continue;
		child_i(loc, sizeof(loc), "/tests", i);
		verb = d.verdict == XM_FILTER_ALLOW ? "allows" : "denies";
		switch (d.by) {
		case XM_DECIDED_PAIR:
			return fail(err, loc, "test \"%s\" fails: the zone"
				    " pair of /filter/%u (\"%s\") denies it",
				    t->text, d.line - 1,
				    filter_line(p, d.line, line));
		case XM_DECIDED_ZONE_DEFAULT:
			return fail(err, loc, "test \"%s\" fails: no zone pair"
				    " and zone-default denies it", t->text);
		case XM_DECIDED_RULE:
			return fail(err, loc, "test \"%s\" fails: /filter/%u"
				    " (\"%s\") %s it", t->text, d.line - 1,
				    filter_line(p, d.line, line), verb);
		default:
			return fail(err, loc, "test \"%s\" fails: no rule"
				    " matches and the policy %s it", t->text,
				    verb);
		}
	}
	return 0;
}

struct xm_site_policy *xm_policy_check(const char *text, size_t len,
				  struct xm_policy_error *err)
{
	struct xm_site_policy *p = xm_policy_parse(text, len, err);

	if (p && xm_policy_run_tests(p, err)) {
		xm_policy_free(p);
		return NULL;
	}
	return p;
}

/* ---- signature ---- */

#define SIG_DOMAIN	"xmesh-policy-v1"

static void sig_message(uint64_t version, const char *text, size_t len,
			uint8_t msg[sizeof(SIG_DOMAIN) + 8 + 32])
{
	int i;

	memcpy(msg, SIG_DOMAIN, sizeof(SIG_DOMAIN));	/* with its NUL */
	for (i = 0; i < 8; i++)
		msg[sizeof(SIG_DOMAIN) + i] = (uint8_t)(version >> (56 - 8 * i));
	crypto_generichash(msg + sizeof(SIG_DOMAIN) + 8, 32,
			   (const uint8_t *)text, len, NULL, 0);
}

void xm_policy_sign(const uint8_t sk[64], uint64_t version,
		    const char *text, size_t len,
		    uint8_t sig[XM_POLICY_SIG_LEN])
{
	uint8_t msg[sizeof(SIG_DOMAIN) + 8 + 32];

	sig_message(version, text, len, msg);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
}

bool xm_policy_verify(const uint8_t pk[32], uint64_t version,
		      const char *text, size_t len,
		      const uint8_t sig[XM_POLICY_SIG_LEN])
{
	uint8_t msg[sizeof(SIG_DOMAIN) + 8 + 32];

	sig_message(version, text, len, msg);
	return !crypto_sign_verify_detached(sig, msg, sizeof(msg), pk);
}
