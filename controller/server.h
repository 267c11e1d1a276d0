/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xmesh-controller's HTTP server (Documentation/controller.md): the
 * operator API under /api/v1 (API tokens with roles), the agents' signed
 * requests under /api/v1/agent, and /metrics. One process, libmicrohttpd
 * with a thread per connection (an agent's long poll waits in its own
 * thread), the store behind one lock.
 */
#ifndef XM_SERVER_H
#define XM_SERVER_H

#include <stdint.h>

#include "cert.h"
#include "store.h"
#include "metrics.h"
#include "telemetry.h"
#include "remediation.h"

struct xm_hooks;

struct xm_ctl;

#define XM_CTL_CONNECTIONS	2048	/* a thread each */
#define XM_CTL_CONNECTIONS_MAX	65536	/* --connections at most */
#define XM_CTL_PER_ADDRESS	64	/* so that one host cannot take all */
/* The request bodies being read, of all connections together: beyond,
 * 503 (telemetry reports are up to 4 MiB each). */
#define XM_CTL_BODY_BUDGET	(64u << 20)
/* Of it, what the bodies of one client address, and of one agent's
 * certificate, may hold at once: so that whoever presents one node
 * certificate (not a secret: every request carries it) cannot take it
 * all. An address: an eighth of the budget, at least the largest body;
 * a node id: two of the largest bodies. */
#define XM_CTL_BODY_PER_NODE	(2u * XM_TELE_BODY_MAX)
/* Seconds a body may take to arrive after its headers: then 408 (or,
 * with nothing sent, the connection closed) and its room given back. */
#define XM_CTL_BODY_DEADLINE	30

/* Bodies refused (/metrics), by the limit reached. */
enum { XM_CTL_BODY_REFUSED_BUDGET, XM_CTL_BODY_REFUSED_ADDRESS,
       XM_CTL_BODY_REFUSED_NODE, XM_CTL_BODY_REFUSED };

/* Connections refused, by the limit reached (/metrics). */
enum { XM_CTL_REFUSED_TOTAL, XM_CTL_REFUSED_PER_ADDRESS,
       XM_CTL_CONN_REFUSED };
#define XM_CTL_SITES_MAX	64	/* besides the default site */

/*
 * A site besides the default one (Documentation/controller.md, "Sites"):
 * its name, its own authority (its agents' certificates chain to it) and
 * policy key. Its API is under /api/v1/sites/NAME/; its rows in the store
 * are its own.
 */
struct xm_ctl_site {
	char name[XM_SITE_NAME_MAX];
	struct xm_cert authority;
	const struct xm_crl *crl;		/* NULL: none */
	struct xm_cert policy_cert;
	uint8_t policy_sk[XM_SECKEY_LEN];
};

struct xm_ctl_config {
	const char *db_path;
	const char *address;		/* to listen on; NULL: 127.0.0.1 */
	uint16_t port;			/* 0: any (xm_ctl_port() says) */
	const char *tls_cert_pem, *tls_key_pem;	/* NULL: plain HTTP */
	/* The default site's credentials (XM_SITE_DEFAULT). */
	struct xm_cert authority;	/* the site's trust anchor */
	const struct xm_crl *crl;	/* NULL: none */
	struct xm_cert policy_cert;	/* the policy key's certificate */
	uint8_t policy_sk[XM_SECKEY_LEN];	/* the policy key */
	unsigned int longpoll_max_s;	/* 0: 60 */
	/* Connections at once from one address (of connections): 0:
	 * XM_CTL_PER_ADDRESS, -1: no limit. */
	int per_address;
	/* Connections at once in all: 0: XM_CTL_CONNECTIONS. */
	unsigned int connections;
	/* Bytes of request bodies read at once: 0: XM_CTL_BODY_BUDGET; of
	 * them, from one address (0: an eighth, at least XM_TELE_BODY_MAX)
	 * and for one node id (0: XM_CTL_BODY_PER_NODE). */
	size_t body_budget, body_per_address, body_per_node;
	/* Seconds a body may take after its headers: 0:
	 * XM_CTL_BODY_DEADLINE. */
	unsigned int body_deadline_s;
	/* Agents a site is sized for (its cache of recent request
	 * signatures); 0: XM_CTL_AGENTS. */
	unsigned int agents;
	const char *web_dir;		/* the dashboard's files; NULL: none */
	int64_t (*now)(void);		/* NULL: time() */
	/* How long telemetry samples are kept (0 members: the defaults,
	 * telemetry.h). */
	struct xm_tele_retention retention;
	/* Remediation (Documentation/controller.md, "Remediation"): the
	 * hooks the policy's rules may name (NULL: none; the controller
	 * does not free them), the engine's settings, how often it runs
	 * (0: every second). */
	struct xm_hooks *hooks;
	struct xm_remedy_config remedy;
	unsigned int remedy_tick_ms;
	/* On PostgreSQL, how often the store is asked for versions another
	 * controller made (Documentation/controller.md, "Two
	 * controllers"); 0: XM_CTL_VERSION_POLL_MS. */
	unsigned int version_poll_ms;
	/* The other sites (each name once, not XM_SITE_DEFAULT, each with
	 * an authority of its own), NULL: none. Copied at the start (the
	 * caller may wipe their keys). */
	const struct xm_ctl_site *sites;
	size_t n_sites;
	/* /metrics: the caps on its series (metrics.h). */
	struct xm_metrics_limits metrics;
	/* How often each site's rows are counted, at least (seconds; 0:
	 * XM_CTL_ROWS_EVERY_S): the store's row gauges of /metrics. */
	unsigned int rows_every_s;
};

/* The rows of a site's tables are counted this often, or 20 times as
 * long as the last count took if that is more: a count costs a scan. */
#define XM_CTL_ROWS_EVERY_S	60

#define XM_CTL_VERSION_POLL_MS	200
#define XM_CTL_AGENTS		2000
#define XM_CTL_AGENTS_MAX	100000

/* Start serving: NULL with a message in err. */
struct xm_ctl *xm_ctl_start(const struct xm_ctl_config *cfg, char *err,
			    size_t errlen);
uint16_t xm_ctl_port(const struct xm_ctl *c);
/* Stop: long polls are answered, connections closed, the store closed. */
void xm_ctl_stop(struct xm_ctl *c);

/*
 * A sample for the remediation rules (remediation.h, xm_remedy_sample()):
 * link loss and utilization of a link, the error rate of a node, taken
 * at t. Telemetry feeds it as reports arrive.
 */
void xm_ctl_remedy_sample(struct xm_ctl *c, enum xm_remedy_trigger trigger,
			  struct xm_remedy_target target, double value,
			  int64_t t);

/* A new random operator token (64 hex digits) and its hash. */
void xm_token_new(char token[65], uint8_t hash[32]);
/* The hash the store keeps of a token. */
void xm_token_hash(const char *token, uint8_t hash[32]);

#endif /* XM_SERVER_H */
