// SPDX-License-Identifier: GPL-2.0
/* Policy distribution, xmeshd's side: the long-polling thread and its
 * hand-over to the main loop (policy_sync.h). */
#include "policy_sync.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "agent_auth.h"
#include "controller_client.h"
#include "keys.h"
#include "kx.h"
#include "xmesh_file.h"
#include "xmesh_http.h"
#include "xmesh_qos.h"
#include "xmeshd.h"

struct xmd_policy_sync {
	struct xmd_controllers ctls;	/* the thread's only */
	bool all_failed;		/* every one, in a row: back off */
	char *cache_path;
	struct xm_cert authority, cert;
	struct xm_crl crl;
	bool have_crl;
	uint8_t *sk;			/* XM_SECKEY_LEN, xmd_secret_dup() */
	char cert_b64[XMD_CERT_B64_MAX];
	unsigned int wait_s;
	uint32_t backoff_ms, backoff_max_ms;
	int efd;
	CURLM *multi;

	pthread_t thread;
	bool started;
	/* Behind lock: shared with the main loop. */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* stop or a report to send */
	bool stop;
	uint64_t have;			/* the newest version accepted */
	bool slot_full;
	struct xm_policy_update slot;	/* waiting for the main loop */
	uint64_t report;		/* applied, to report (0: none) */
	char report_error[384];		/* why a version was not; "" */
	struct xmd_policy_counters c;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static bool curl_ok;

static void curl_init(void)
{
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

/* ---- the hand-over ---- */

static void wake_main(struct xmd_policy_sync *s)
{
	uint64_t one = 1;

	if (write(s->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;	/* the counter is full: it is readable anyway */
}

static void count(struct xmd_policy_sync *s, uint64_t *field)
{
	pthread_mutex_lock(&s->lock);
	(*field)++;
	pthread_mutex_unlock(&s->lock);
	wake_main(s);	/* the counters are shown from the main loop */
}

int xmd_policy_sync_answer(struct xmd_policy_sync *s, const char *json,
			   size_t len, uint64_t now,
			   struct xm_policy_error *err)
{
	struct xm_policy_update u;
	uint64_t have;
	int ret;

	pthread_mutex_lock(&s->lock);
	have = s->have;
	pthread_mutex_unlock(&s->lock);
	if (xm_policy_accept(json, len, &s->authority,
			     s->have_crl ? &s->crl : NULL, now, have, &u,
			     err)) {
		count(s, &s->c.refused);
		return -1;
	}
	/* The answer itself is the cache: accepted again at a start. */
	ret = xm_file_write(s->cache_path, json, len, 0644, true);
	pthread_mutex_lock(&s->lock);
	if (ret)
		s->c.cache_errors++;
	if (s->slot_full)
		xm_policy_update_free(&s->slot);	/* superseded */
	s->slot = u;
	s->slot_full = true;
	s->have = u.version;
	s->c.fetched++;
	pthread_mutex_unlock(&s->lock);
	wake_main(s);
	return 0;
}

bool xmd_policy_sync_take(struct xmd_policy_sync *s,
			  struct xm_policy_update *u)
{
	uint64_t n;
	bool full;

	if (read(s->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return false;
	pthread_mutex_lock(&s->lock);
	full = s->slot_full;
	if (full) {
		*u = s->slot;
		memset(&s->slot, 0, sizeof(s->slot));
		s->slot_full = false;
	}
	pthread_mutex_unlock(&s->lock);
	return full;
}

void xmd_policy_sync_applied(struct xmd_policy_sync *s, uint64_t version)
{
	pthread_mutex_lock(&s->lock);
	s->report = version;
	s->report_error[0] = '\0';
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	/* A long poll under way gives way to the report. */
	curl_multi_wakeup(s->multi);
}

void xmd_policy_sync_failed(struct xmd_policy_sync *s, uint64_t have,
			    uint64_t version, const char *why)
{
	pthread_mutex_lock(&s->lock);
	/* Reported with the version in force; 0 is none yet, not a version:
	 * the report still says why. */
	s->report = have ? have : UINT64_MAX;
	snprintf(s->report_error, sizeof(s->report_error),
		 "version %" PRIu64 " not applied: %s", version, why);
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	curl_multi_wakeup(s->multi);
}

void xmd_policy_sync_counters(struct xmd_policy_sync *s,
			      struct xmd_policy_counters *c)
{
	pthread_mutex_lock(&s->lock);
	*c = s->c;
	pthread_mutex_unlock(&s->lock);
}

uint64_t xmd_policy_sync_have(struct xmd_policy_sync *s)
{
	uint64_t v;

	pthread_mutex_lock(&s->lock);
	v = s->have;
	pthread_mutex_unlock(&s->lock);
	return v;
}

int xmd_policy_sync_load_cache(struct xmd_policy_sync *s, uint64_t now,
			       struct xm_policy_update *u,
			       struct xm_policy_error *err)
{
	char *buf = malloc(XM_POLICY_ANSWER_MAX);
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	n = xm_file_read(s->cache_path, buf, XM_POLICY_ANSWER_MAX, true,
			 NULL);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	if (xm_policy_accept(buf, (size_t)n, &s->authority,
			     s->have_crl ? &s->crl : NULL, now, 0, u, err)) {
		free(buf);
		count(s, &s->c.refused);
		return -EBADMSG;
	}
	free(buf);
	pthread_mutex_lock(&s->lock);
	if (u->version > s->have)
		s->have = u->version;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* ---- HTTP ---- */

static bool pause_ms(struct xmd_policy_sync *s, uint32_t ms);
static uint32_t backoff_next(struct xmd_policy_sync *s, uint32_t *cur);

static bool stopping(struct xmd_policy_sync *s, bool or_report)
{
	bool r;

	pthread_mutex_lock(&s->lock);
	r = s->stop || (or_report && s->report);
	pthread_mutex_unlock(&s->lock);
	return r;
}

/*
 * One signed request, body (NULL for a GET): its HTTP status, or -1 when
 * it failed, -2 when it gave way (stop, or with yield a report to send).
 */
static long request(struct xmd_policy_sync *s, const char *method,
		    const char *path, const char *body, long timeout_s,
		    bool yield, struct xm_http_body *out)
{
	struct curl_slist *hdrs;
	const char *url = xmd_controllers_url(&s->ctls, (int64_t)time(NULL));
	CURL *e = xmd_controller_easy(url, s->sk, s->cert_b64, method,
				      path, body, timeout_s, out, &hdrs);
	long status = -1;
	int running = 1, left;
	CURLMsg *m;
	CURLcode res = CURLE_OK;

	if (!e)
		return -1;
	curl_multi_add_handle(s->multi, e);
	while (running) {
		if (curl_multi_perform(s->multi, &running) != CURLM_OK)
			break;
		if (!running)
			break;
		if (stopping(s, yield)) {
			status = -2;
			break;
		}
		curl_multi_poll(s->multi, NULL, 0, 1000, NULL);
	}
	while ((m = curl_multi_info_read(s->multi, &left)))
		if (m->msg == CURLMSG_DONE && m->easy_handle == e)
			res = m->data.result;
	if (status != -2 && !running && res == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(s->multi, e);
	curl_easy_cleanup(e);
	curl_slist_free_all(hdrs);
	/* Not serving: the next controller, at once unless all failed. */
	if (xmd_controller_unavailable(status))
		s->all_failed = xmd_controllers_failed(&s->ctls,
						       (int64_t)time(NULL));
	else if (status > 0)
		xmd_controllers_ok(&s->ctls);
	if (status != -2) {
		pthread_mutex_lock(&s->lock);
		s->c.failovers = s->ctls.failovers;
		pthread_mutex_unlock(&s->lock);
	}
	return status;
}

/* After a controller did not serve: a pause if every one failed in a
 * row, else none (the next one is asked at once). False once stopped. */
static bool retry_pause(struct xmd_policy_sync *s, uint32_t *backoff)
{
	if (!s->all_failed)
		return !stopping(s, false);
	return pause_ms(s, backoff_next(s, backoff));
}

/* Wait ms, or less if stopped or a report is due: false once stopped. */
static bool pause_ms(struct xmd_policy_sync *s, uint32_t ms)
{
	struct timespec ts;
	bool stop;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->stop &&
	       pthread_cond_timedwait(&s->cond, &s->lock, &ts) != ETIMEDOUT)
		;
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return !stop;
}

/* The next wait after a failure: doubled up to the bound, jittered down
 * to half of it so that agents do not come back all at once. */
static uint32_t backoff_next(struct xmd_policy_sync *s, uint32_t *cur)
{
	*cur = *cur ? *cur * 2 : s->backoff_ms;
	if (*cur > s->backoff_max_ms)
		*cur = s->backoff_max_ms;
	return *cur / 2 + randombytes_uniform(*cur / 2 + 1);
}

/* The report's HTTP status, or -1 when the controller was not reached. */
static long send_report(struct xmd_policy_sync *s, uint64_t version)
{
	struct xm_http_body b = { .max = 16384 };
	char body[1024], error[384];
	json_object *why;
	long st;

	pthread_mutex_lock(&s->lock);
	snprintf(error, sizeof(error), "%s", s->report_error);
	pthread_mutex_unlock(&s->lock);
	if (version == UINT64_MAX)
		version = 0;
	if (error[0]) {
		/* {"policy_version": V, "error": "..."}, escaped by json-c */
		why = json_object_new_string(error);
		snprintf(body, sizeof(body), "{\"policy_version\": %" PRIu64
			 ", \"error\": %s}", version,
			 why ? json_object_to_json_string(why) : "\"?\"");
		json_object_put(why);
	} else {
		snprintf(body, sizeof(body), "{\"policy_version\": %" PRIu64
			 "}", version);
	}
	st = request(s, "POST", "/api/v1/agent/report", body, 30, false, &b);
	xm_http_body_free(&b);
	return st;
}

static void *sync_thread(void *arg)
{
	struct xmd_policy_sync *s = arg;
	uint32_t backoff = 0;
	char path[128];

	while (!stopping(s, false)) {
		struct xm_http_body b = { .max = XM_POLICY_ANSWER_MAX };
		struct xm_policy_error err;
		uint64_t report, have;
		long st;

		pthread_mutex_lock(&s->lock);
		report = s->report;
		have = s->have;
		pthread_mutex_unlock(&s->lock);
		if (report) {
			st = send_report(s, report);
			if (st < 200 || st >= 300) {
				count(s, &s->c.fetch_errors);
				/* Unreachable, or busy: again after a while.
				 * Refused: sending it again would not help,
				 * and the policy must still be followed. */
				if (xmd_controller_unavailable(st) &&
				    !retry_pause(s, &backoff))
					break;
				if (st < 0 || st >= 500)
					continue;
			}
			pthread_mutex_lock(&s->lock);
			if (s->report == report)
				s->report = 0;
			if (st >= 200 && st < 300)
				s->c.reports++;
			pthread_mutex_unlock(&s->lock);
			wake_main(s);
		}
		snprintf(path, sizeof(path),
			 "/api/v1/agent/policy?since=%" PRIu64 "&wait=%u",
			 have, s->wait_s);
		st = request(s, "GET", path, NULL, (long)s->wait_s + 30, true,
			     &b);
		if (st == 200 && b.data) {
			backoff = 0;
			/* Refused: asking again at once would get it again. */
			if (xmd_policy_sync_answer(s, b.data, b.len,
						   (uint64_t)time(NULL),
						   &err) &&
			    !pause_ms(s, backoff_next(s, &backoff)))
				break;
		} else if (st == 204 || st == -2) {
			backoff = 0;
		} else {
			count(s, &s->c.fetch_errors);
			xm_http_body_free(&b);
			if (xmd_controller_unavailable(st) ?
			    !retry_pause(s, &backoff) :
			    !pause_ms(s, backoff_next(s, &backoff)))
				break;
			continue;
		}
		xm_http_body_free(&b);
	}
	return NULL;
}

/* ---- life ---- */

struct xmd_policy_sync *xmd_policy_sync_new(
	const struct xmd_policy_sync_conf *conf, char *err, size_t errlen)
{
	struct xmd_policy_sync *s;
	pthread_condattr_t ca;

	pthread_once(&curl_once, curl_init);
	if (!curl_ok) {
		snprintf(err, errlen, "libcurl failed to initialise");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (xmd_controllers_parse(&s->ctls, conf->url)) {
		snprintf(err, errlen, "controller: 1 to %d URLs of at most %d"
			 " characters", XMD_CONTROLLERS_MAX,
			 XMD_CONTROLLER_URL_MAX - 1);
		free(s);
		return NULL;
	}
	s->efd = -1;
	s->cache_path = strdup(conf->cache_path);
	s->authority = *conf->authority;
	s->cert = *conf->cert;
	if (conf->crl) {
		s->crl = *conf->crl;
		s->have_crl = true;
	}
	s->sk = xmd_secret_dup(conf->sk, XM_SECKEY_LEN);
	xmd_controller_cert_b64(&s->cert, s->cert_b64);
	s->wait_s = conf->wait_s ? conf->wait_s : XMD_POLICY_WAIT_S;
	s->backoff_ms = conf->backoff_ms ? conf->backoff_ms :
			XMD_POLICY_BACKOFF_MS;
	s->backoff_max_ms = conf->backoff_max_ms ? conf->backoff_max_ms :
			    XMD_POLICY_BACKOFF_MAX_MS;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->multi = curl_multi_init();
	if (!s->cache_path || !s->sk || s->efd < 0 || !s->multi) {
		snprintf(err, errlen, "cannot set up the controller's client: %s",
			 s->efd < 0 ? strerror(errno) : "out of memory");
		xmd_policy_sync_free(s);
		return NULL;
	}
	return s;
}

int xmd_policy_sync_start(struct xmd_policy_sync *s)
{
	int err = pthread_create(&s->thread, NULL, sync_thread, s);

	if (err)
		return -err;
	s->started = true;
	return 0;
}

int xmd_policy_sync_fd(const struct xmd_policy_sync *s)
{
	return s->efd;
}

void xmd_policy_sync_free(struct xmd_policy_sync *s)
{
	if (!s)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		curl_multi_wakeup(s->multi);
		pthread_join(s->thread, NULL);
	}
	if (s->slot_full)
		xm_policy_update_free(&s->slot);
	if (s->multi)
		curl_multi_cleanup(s->multi);
	if (s->efd >= 0)
		close(s->efd);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	xmd_secret_free(s->sk);
	free(s->cache_path);
	free(s);
}

void xmd_policy_settings(const struct xm_site_policy *p,
			 const struct xm_policy *conf_path,
			 const struct xm_timers *conf_timers,
			 struct xm_policy *path, struct xm_timers *timers)
{
	*path = *conf_path;
	*timers = *conf_timers;
	if (p)
		xm_policy_core_settings(p, path, timers);
}

uint8_t xmd_policy_security(const struct xm_site_policy *p, uint8_t local)
{
	return p && p->has_security ? p->security : local;
}

/* ---- xmeshd's side: everything here runs in the main loop ---- */

struct xmd_policy {
	struct xmd_watch w;		/* the sync's eventfd */
	struct xmd *d;
	struct xmd_policy_sync *sync;
	struct xm_site_policy *site;	/* applied; NULL: none yet */
	uint64_t version;
	bool filter_from_policy;	/* d->filter is the policy's */
	void (*run)(struct xmd *d, xm_time now);
};

/*
 * The site's security mode, when the policy sets one, over the node's own
 * line (one that differs is warned about: the site's wins). A mode this
 * node cannot use (none with certificates, auth or encrypt without) is
 * refused and the running one stays.
 */
static void security_apply(struct xmd *d, const struct xm_site_policy *p,
			   uint64_t version, xm_time now)
{
	uint8_t local = xmd_security_local(d);
	uint8_t mode = xmd_policy_security(p, local);
	char why[128];

	if (mode != local && d->cfg.security >= 0)
		xmd_event(d, XMD_LOG_WARN, "policy version %" PRIu64 ": security %s here, the site's is %s: the site's is in force",
			  version, xmd_security_name(local),
			  xmd_security_name(mode));
	if (xmd_security_set(d, now, mode, why, sizeof(why)))
		xmd_event(d, XMD_LOG_ERR, "policy version %" PRIu64 ": its security is refused (%s); security %s stays",
			  version, why, xmd_security_name(d->security));
}

/* The policy's settings over the configuration's, into the core. */
static void settings_apply(struct xmd *d, const struct xm_site_policy *p,
			   uint64_t version, xm_time now)
{
	struct xm_policy path;
	struct xm_timers t;
	const char *why;

	xmd_policy_settings(p, &d->cfg.policy, &d->cfg.timers, &path, &t);
	if (p && xm_policy_metric_settings(p, d->cfg.node_id, &path))
		xmd_event(d, XMD_LOG_WARN, "policy version %" PRIu64 ": more than %d drained or reweighted links of this node; the others are left out",
			  version, XM_METRIC_OVERRIDE_MAX);
	why = xm_timers_check(&t);
	if (why || xm_core_set_timers(d->core, now, &t))
		xmd_event(d, XMD_LOG_WARN, "policy version %" PRIu64 ": its timers are refused (%s); the running ones stay",
			  version, why ? why : "by the core");
	xm_core_set_policy(d->core, now, &path);
	security_apply(d, p, version, now);
}

/* Where the kernel's tables are, NULL before they are programmed. */
static const struct xmd_filter_dev *filter_dev(struct xmd *d,
					       struct xmd_filter_dev *fd)
{
	xm_time now = xmd_now();

	if (!d->k.ifindex || !xm_core_fib_ready(d->core, now) ||
	    !xm_core_fib(d->core))
		return NULL;
	*fd = (struct xmd_filter_dev){
		.ifindex = d->k.ifindex, .ifname = d->cfg.device,
		.self = d->k.self, .fib = xm_core_fib(d->core),
	};
	return fd;
}

/*
 * The filter a policy calls for in place of d->filter: the policy's when
 * it has one, else the local file's (or none). *changed: whether it
 * differs from the one in use. 0, or -1 with why.
 */
static int filter_next(struct xmd *d, const struct xm_site_policy *site,
		       struct xmd_filter **next, bool *changed, char *why,
		       size_t len)
{
	struct xmd_policy *p = d->policy;

	*next = NULL;
	*changed = false;
	if (site->filter_text) {
		*next = xmd_filter_parse_text(site->filter_text, why, len);
		*changed = true;
		return *next ? 0 : -1;
	}
	if (!p->filter_from_policy)
		return 0;		/* the file's stays */
	*changed = true;
	if (!d->cfg.filter[0])
		return 0;
	*next = xmd_filter_new(d->cfg.filter, why, len);
	return *next ? 0 : -1;
}

/* The policy's class rates (the others' left): the previous into old. */
static int qos_apply(struct xmd *d, const struct xm_site_policy *site,
		     struct xm_qos *old, char *why, size_t len)
{
	struct nlc_error e;
	struct xm_qos q;
	unsigned int i;

	memset(old, 0, sizeof(*old));
	if (!site->has_qos)
		return 0;
	memset(&q, 0, sizeof(q));
	if (xmnl_qos_get(&d->k.nl, d->k.ifindex, NULL, old, &e))
		goto fail;
	for (i = 0; i < XM_POLICY_TCLASSES; i++) {
		struct xm_tclass *t = &q.tclass[q.n_tclass++];

		t->id = (uint8_t)(XMESH_TC_BULK + i);
		t->rate = site->qos_rate[i];
		t->burst = site->qos_burst[i];
		t->present = XM_BIT(XMESH_TCLASS_A_ID) |
			     XM_BIT(XMESH_TCLASS_A_RATE) |
			     (t->burst ? XM_BIT(XMESH_TCLASS_A_BURST) : 0);
	}
	if (!xmnl_qos_set(&d->k.nl, d->k.ifindex, NULL, &q, &e))
		return 0;
fail:
	snprintf(why, len, "QoS: %s", e.msg[0] ? e.msg : strerror(-e.err));
	old->n_tclass = 0;
	return -1;
}

/* Put back the rates qos_apply() found. */
static void qos_restore(struct xmd *d, const struct xm_qos *old)
{
	struct nlc_error e;
	struct xm_qos q;
	unsigned int i;

	if (!old->n_tclass)
		return;
	memset(&q, 0, sizeof(q));
	for (i = 0; i < old->n_tclass; i++) {
		q.tclass[q.n_tclass] = (struct xm_tclass){
			.id = old->tclass[i].id, .rate = old->tclass[i].rate,
			.burst = old->tclass[i].burst,
			.present = XM_BIT(XMESH_TCLASS_A_ID) |
				   XM_BIT(XMESH_TCLASS_A_RATE) |
				   XM_BIT(XMESH_TCLASS_A_BURST),
		};
		q.n_tclass++;
	}
	if (xmnl_qos_set(&d->k.nl, d->k.ifindex, NULL, &q, &e))
		xmd_warn("policy: QoS rates could not be put back: %s",
			 e.msg[0] ? e.msg : strerror(-e.err));
}

/*
 * The kernel's part of a policy, all or nothing: the QoS rates, then the
 * filter (zone tables and table inet xmesh); when one fails the other is
 * put back. 0, or -1 with why (the previous state kept).
 */
static int kernel_apply(struct xmd *d, const struct xm_site_policy *site,
			uint64_t version, char *why, size_t len)
{
	struct xmd_policy *p = d->policy;
	struct xmd_filter *next;
	struct xmd_filter_dev fd;
	struct xm_qos old;
	bool changed;

	if (filter_next(d, site, &next, &changed, why, len))
		return -1;
	if (qos_apply(d, site, &old, why, len)) {
		xmd_filter_free(next);
		return -1;
	}
	if (!changed)
		return 0;
	if (xmd_filter_install(d->filter, next, d->core, &d->k.nl,
			       filter_dev(d, &fd), why, len)) {
		xmd_filter_free(next);
		qos_restore(d, &old);
		return -1;
	}
	xmd_filter_free(d->filter);
	d->filter = next;
	d->fib_dirty = true;	/* the node table follows the LSDB */
	p->filter_from_policy = site->filter_text != NULL;
	if (site->filter_text)
		xmd_event(d, XMD_LOG_INFO, "policy version %" PRIu64 ": its filter is in force%s%s (%u rules)",
			  version, d->cfg.filter[0] ? " in place of " : "",
			  d->cfg.filter, next->rules.n_rules);
	else
		xmd_event(d, XMD_LOG_INFO, "policy version %" PRIu64 " has no filter: %s%s",
			  version, d->cfg.filter[0] ? "back to " : "no filter",
			  d->cfg.filter);
	return 0;
}

static void apply(struct xmd *d, struct xm_policy_update *u,
		  const char *from)
{
	struct xmd_policy *p = d->policy;
	char why[320];

	if (kernel_apply(d, u->policy, u->version, why, sizeof(why))) {
		xmd_event(d, XMD_LOG_ERR, "policy version %" PRIu64 " (%s) cannot be applied: %s; version %" PRIu64 " stays",
			  u->version, from, why, p->version);
		xmd_policy_sync_failed(p->sync, p->version, u->version, why);
		return;
	}
	settings_apply(d, u->policy, u->version, xmd_now());
	xm_policy_free(p->site);
	p->site = u->policy;
	u->policy = NULL;
	p->version = u->version;
	d->stats.policy_version = u->version;
	d->stats.policy_applied++;
	xmd_policy_sync_applied(p->sync, u->version);
	xmd_event(d, XMD_LOG_INFO, "policy version %" PRIu64 " applied (%s): max hops %u",
		  u->version, from, (unsigned int)p->site->max_hops);
}

void xmd_policy_stats_set(struct xmd_stats *st,
			  const struct xmd_policy_counters *c)
{
	st->policy_fetch_errors = c->fetch_errors;
	st->policy_refused = c->refused;
	st->policy_reports = c->reports;
	st->policy_failovers = c->failovers;
}

static void counters_copy(struct xmd *d)
{
	struct xmd_policy_counters c;

	xmd_policy_sync_counters(d->policy->sync, &c);
	xmd_policy_stats_set(&d->stats, &c);
}

static void policy_event(struct xmd_watch *w, uint32_t events)
{
	struct xmd_policy *p = (struct xmd_policy *)w;
	struct xm_policy_update u;
	struct xmd *d = p->d;

	(void)events;
	while (xmd_policy_sync_take(p->sync, &u)) {
		apply(d, &u, "from the controller");
		xm_policy_update_free(&u);
	}
	counters_copy(d);
	p->run(d, xmd_now());
}

/* The authority's certificate, as the configuration names it. */
static int authority_load(const char *path, struct xm_cert *c, char *err,
			  size_t errlen)
{
	char buf[4096];
	enum xm_cert_reason r;
	ssize_t n = xm_file_read(path, buf, sizeof(buf) - 1, false, NULL);

	if (n < 0) {
		snprintf(err, errlen, "authority %s: %s", path,
			 strerror((int)-n));
		return -1;
	}
	buf[n] = '\0';
	r = xm_cert_decode_text(c, buf, (size_t)n);
	if (r) {
		snprintf(err, errlen, "authority %s: %s", path,
			 xm_cert_reason_text(r));
		return -1;
	}
	return 0;
}

int xmd_policy_start(struct xmd *d,
		     void (*run)(struct xmd *d, xm_time now))
{
	const struct xmd_config *c = &d->cfg;
	struct xmd_policy_sync_conf sc = { .url = c->controller };
	uint8_t sk[XM_SECKEY_LEN];
	char cache[XMD_PATH_MAX + 32], err[1024];
	struct xm_policy_update u;
	struct xm_policy_error perr;
	struct xm_cert authority;
	struct xm_crl *crl = NULL;
	struct xmd_policy *p;
	int ret;

	if (!c->controller[0])
		return 0;
	if (!d->kx) {
		xmd_err("controller %s: the agent needs its certificate to be known to it",
			c->controller);
		return -1;
	}
	if (authority_load(c->authority, &authority, err, sizeof(err))) {
		xmd_err("%s", err);
		return -1;
	}
	if (c->crl[0]) {
		crl = calloc(1, sizeof(*crl));
		if (!crl || xmd_crl_load(c->crl, crl, err, sizeof(err))) {
			xmd_err("%s", crl ? err : "out of memory");
			free(crl);
			return -1;
		}
	}
	if (xmd_node_key_read(c->state_dir, sk, err, sizeof(err))) {
		xmd_err("%s", err);
		free(crl);
		return -1;
	}
	snprintf(cache, sizeof(cache), "%s/%s", c->state_dir,
		 XMD_POLICY_CACHE_FILE);
	sc.cache_path = cache;
	sc.authority = &authority;
	sc.crl = crl;
	sc.cert = xm_kx_cert(d->kx);
	sc.sk = sk;
	p = calloc(1, sizeof(*p));
	if (p)
		p->sync = xmd_policy_sync_new(&sc, err, sizeof(err));
	sodium_memzero(sk, sizeof(sk));
	free(crl);
	if (!p || !p->sync) {
		xmd_err("controller %s: %s", c->controller,
			p ? err : "out of memory");
		free(p);
		return -1;
	}
	p->d = d;
	p->run = run;
	p->w.fd = -1;
	d->policy = p;
	/* The cache first: enforced whether the controller answers or not. */
	ret = xmd_policy_sync_load_cache(p->sync, (uint64_t)time(NULL), &u,
					 &perr);
	if (!ret) {
		apply(d, &u, "from the cache");
		xm_policy_update_free(&u);
	} else if (ret == -EBADMSG) {
		xmd_event(d, XMD_LOG_ERR, "policy cache %s refused: %s: %s; waiting for the controller",
			  cache, perr.location, perr.reason);
	} else if (ret != -ENOENT) {
		xmd_event(d, XMD_LOG_ERR, "policy cache %s: %s; waiting for the controller",
			  cache, strerror(-ret));
	}
	counters_copy(d);
	p->w.fd = xmd_policy_sync_fd(p->sync);
	p->w.fn = policy_event;
	ret = xmd_watch_add(d->epfd, &p->w, EPOLLIN);
	if (!ret)
		ret = xmd_policy_sync_start(p->sync);
	if (ret) {
		xmd_err("controller %s: %s", c->controller, strerror(-ret));
		return -1;
	}
	xmd_info("policy from controller %s, above version %" PRIu64,
		 c->controller, p->version);
	return 0;
}

int xmd_filter_reload(struct xmd *d, char *why, size_t len)
{
	struct xmd_policy *p = d->policy;
	struct xmd_filter *next = NULL;
	struct xmd_filter_dev fd;
	char err[320];

	if (p && p->filter_from_policy) {
		snprintf(why, len, "the filter of policy version %" PRIu64
			 " is in force", p->version);
		if (d->cfg.filter[0])
			xmd_event(d, XMD_LOG_INFO, "reload: filter %s not read: policy version %" PRIu64 "'s is in force",
				  d->cfg.filter, p->version);
		return 1;
	}
	if (!d->cfg.filter[0] && !d->filter) {
		snprintf(why, len, "no filter file is configured");
		return 1;
	}
	if (d->cfg.filter[0]) {
		next = xmd_filter_new(d->cfg.filter, err, sizeof(err));
		if (!next) {
			xmd_event(d, XMD_LOG_ERR, "reload: filter %s: %s; keeping the rules in use",
				  d->cfg.filter, err);
			snprintf(why, len, "%s", err);
			return -1;
		}
	}
	if (xmd_filter_install(d->filter, next, d->core, &d->k.nl,
			       filter_dev(d, &fd), err, sizeof(err))) {
		xmd_event(d, XMD_LOG_ERR, "reload: filter %s cannot be installed: %s; keeping the rules in use",
			  d->cfg.filter, err);
		snprintf(why, len, "%s cannot be installed: %s", d->cfg.filter,
			 err);
		xmd_filter_free(next);
		return -1;
	}
	xmd_filter_free(d->filter);
	d->filter = next;
	d->fib_dirty = true;
	xmd_event(d, XMD_LOG_INFO, "reload: filter %s%s, %u rules", next ? "" :
		  "none", d->cfg.filter, next ? next->rules.n_rules : 0);
	return 0;
}

uint64_t xmd_policy_filter_version(const struct xmd *d)
{
	return d->policy && d->policy->filter_from_policy ?
	       d->policy->version : 0;
}

void xmd_policy_reapply(struct xmd *d)
{
	struct xmd_policy *p = d->policy;
	char why[320];

	/* SIGHUP: the file again, unless the policy's filter is in force. */
	xmd_filter_reload(d, why, sizeof(why));
	if (p && p->site)
		settings_apply(d, p->site, p->version, xmd_now());
}

void xmd_policy_stop(struct xmd *d)
{
	struct xmd_policy *p = d->policy;

	if (!p)
		return;
	if (d->epfd >= 0 && p->w.fd >= 0)
		xmd_watch_del(d->epfd, &p->w);
	xmd_policy_sync_free(p->sync);	/* the thread first */
	xm_policy_free(p->site);
	free(p);
	d->policy = NULL;
}
