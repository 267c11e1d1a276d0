// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh-controller: the site's policy server (Documentation/controller.md).
 *
 *   xmesh-controller [--db STORE] token add ROLE NAME [SITE]
 *   xmesh-controller [--db STORE] token revoke NAME [SITE]
 *   xmesh-controller [--db STORE] --authority FILE --policy-key FILE
 *	--policy-cert FILE [--crl FILE] [--listen ADDR] [--port P]
 *	[--site NAME:AUTHORITY:POLICY_KEY:POLICY_CERT[:CRL]]...
 *	[--tls-cert FILE --tls-key FILE] [--connections N] [--per-address N]
 *	[--body-deadline S] [--config FILE] [--hook "NAME KIND ARG"]...
 *	[--remedy-stale S] [--remedy-settle S] [--remedy-tries N]
 *	[--remedy-targets N] [--web DIR] [--metrics-nodes N]
 *	[--metrics-troubled N] [--agents N]
 *
 * STORE: a SQLite file, or a PostgreSQL URI (postgresql://...).
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#include "hooks.h"
#include "server.h"
#include "store.h"
#include "xmesh_file.h"
#include "wire.h"	/* xm_wire_name_valid(): token names */

#define DEFAULT_DB	"/var/lib/xmesh/controller.db"
#define DEFAULT_PORT	7680
#define PEM_MAX		(64 * 1024)
/* The dashboard's files (make -C controller install puts them there). */
#ifndef XM_WEB_DIR
#define XM_WEB_DIR	"/usr/local/share/xmesh/web"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xmesh-controller [--db STORE] token add ROLE NAME"
		" [SITE]\n"
		"       xmesh-controller [--db STORE] token revoke NAME"
		" [SITE]\n"
		"       xmesh-controller [--db STORE] --authority FILE"
		" --policy-key FILE --policy-cert FILE\n"
		"                        [--site NAME:AUTHORITY:POLICY_KEY:"
		"POLICY_CERT[:CRL]]...\n"
		"                        [--crl FILE] [--listen ADDR]"
		" [--port PORT] [--tls-cert FILE --tls-key FILE]\n"
		"                        [--connections N] [--per-address N]"
		" [--body-deadline S] [--config FILE]\n"
		"                        [--hook 'NAME command|unit|http ARG']...\n"
		"                        [--remedy-stale S] [--remedy-settle S]"
		" [--remedy-tries N]\n"
		"                        [--remedy-targets N] [--web DIR]\n"
		"                        [--metrics-nodes N]"
		" [--metrics-troubled N] [--agents N]\n"
		"ROLE := read-only | operator | admin\n"
		"SITE := NAME (default: " XM_SITE_DEFAULT ") | '" XM_SITE_ALL
		"' (every site)\n"
		"STORE := FILE (SQLite) | postgresql://[USER@][HOST][:PORT]"
		"/DATABASE[?PARAMS] (PostgreSQL)\n"
		"Defaults: --db " DEFAULT_DB ", --listen 127.0.0.1,"
		" --port %d, --connections %d (connections at once, a thread"
		" each), --per-address %d (of them, from one"
		" address; 0: no limit), --body-deadline %d (seconds a"
		" request's body may take after its headers), --web "
		XM_WEB_DIR ","
		" --metrics-nodes %d (per-node series while a site has at"
		" most N nodes), --metrics-troubled %d (links down or lossy"
		" and nodes down listed by themselves, per site), --agents %d"
		" (agents a site is sized for), --remedy-targets %d (targets"
		" the remediation rules of a site keep at once)\n",
		DEFAULT_PORT, XM_CTL_CONNECTIONS, XM_CTL_PER_ADDRESS,
		XM_CTL_BODY_DEADLINE,
		XM_METRICS_NODES,
		XM_METRICS_TROUBLED, XM_CTL_AGENTS, XM_REMEDY_TARGETS);
}

/*
 * Room for a descriptor a connection, and some for the store, the
 * listening socket and the hooks: the soft limit of open files raised
 * toward the hard one if it is below (systemd gives services 1024).
 * A warning if even the hard one is.
 */
#define FD_SPARE	64

static void fd_limit(unsigned int connections)
{
	rlim_t need = (rlim_t)connections + FD_SPARE;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < need)
		fprintf(stderr, "xmesh-controller: warning: %llu open files"
			" at most, below --connections %u and %d more: raise"
			" the limit (LimitNOFILE=)\n",
			(unsigned long long)rl.rlim_cur, connections,
			FD_SPARE);
}

/* A whole text file, NUL-terminated (free() it), its mode in *mode (if
 * not NULL): NULL after a message. */
static char *read_text(const char *path, size_t *len, mode_t *mode)
{
	char *buf = malloc(PEM_MAX + 1);
	ssize_t n;

	if (!buf)
		return NULL;
	n = xm_file_read(path, buf, PEM_MAX, false, mode);
	if (n < 0) {
		fprintf(stderr, "xmesh-controller: %s: %s\n", path,
			strerror((int)-n));
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	return buf;
}

/* The store on site (a token's reach): NULL after a message. */
static struct xm_store *open_site(const char *db, const char *site)
{
	struct xm_store *s;
	char err[256];

	s = xm_store_open_site(db, site, err, sizeof(err));
	if (!s)
		fprintf(stderr, "xmesh-controller: %s\n", err);
	return s;
}

static int token_add(const char *db, const char *role_s, const char *name,
		     const char *site)
{
	enum xm_role role = xm_role_parse(role_s);
	struct xm_store *s;
	char token[65], detail[128];
	uint8_t hash[32];
	int rc;

	if (role == XM_ROLE_NONE) {
		fprintf(stderr, "xmesh-controller: \"%s\": the role is"
			" read-only, operator or admin\n", role_s);
		return 2;
	}
	if (!xm_wire_name_valid(name, false)) {
		fprintf(stderr, "xmesh-controller: \"%s\": a name is 1 to 31"
			" printable characters without blanks\n", name);
		return 2;
	}
	s = open_site(db, site);
	if (!s)
		return 1;
	xm_token_new(token, hash);
	snprintf(detail, sizeof(detail), "%s %s", role_s, name);
	rc = xm_store_token_add(s, hash, role, name, time(NULL)) ||
	     xm_store_audit_add(s, time(NULL), "local", "token.add", detail);
	xm_store_close(s);
	if (rc) {
		fprintf(stderr, "xmesh-controller: cannot store the token\n");
		return 1;
	}
	/* Shown once: only its hash is kept. */
	printf("%s\n", token);
	return 0;
}

/* Revoke the tokens named name: 0, or an exit status after a message. */
static int token_revoke(const char *db, const char *name, const char *site)
{
	struct xm_store *s;
	int n;

	s = open_site(db, site);
	if (!s)
		return 1;
	n = xm_store_token_revoke(s, name, "local", time(NULL));
	xm_store_close(s);
	if (n < 0)
		fprintf(stderr, "xmesh-controller: cannot revoke the token\n");
	else if (!n)
		fprintf(stderr, "xmesh-controller: no token named \"%s\"\n",
			name);
	return n > 0 ? 0 : 1;
}

/* A site's credentials from the files: 0, or 1 after a message. */
static int load_keys(struct xm_ctl_site *cfg, const char *authority,
		     const char *policy_key, const char *policy_cert,
		     const char *crl_path, struct xm_crl **crl)
{
	uint64_t now = (uint64_t)time(NULL);
	enum xm_cert_reason r;
	uint8_t pk[32];
	bool loose;
	char *text;
	size_t len;
	int e;

	text = read_text(authority, &len, NULL);
	if (!text)
		return 1;
	r = xm_cert_decode_text(&cfg->authority, text, len);
	free(text);
	if (!r)
		r = xm_cert_verify(&cfg->authority, XM_CERT_AUTHORITY,
				   &cfg->authority, NULL, now);
	if (r) {
		fprintf(stderr, "xmesh-controller: %s: %s\n", authority,
			xm_cert_reason_text(r));
		return 1;
	}
	if (crl_path) {
		*crl = calloc(1, sizeof(**crl));
		text = read_text(crl_path, &len, NULL);
		if (!*crl || !text) {
			free(text);
			return 1;
		}
		r = xm_crl_decode_text(*crl, text, len);
		free(text);
		if (!r)
			r = xm_crl_verify(*crl, &cfg->authority, now);
		if (r) {
			fprintf(stderr, "xmesh-controller: %s: %s\n", crl_path,
				xm_cert_reason_text(r));
			return 1;
		}
		cfg->crl = *crl;
	}
	text = read_text(policy_cert, &len, NULL);
	if (!text)
		return 1;
	r = xm_cert_check_text(&cfg->policy_cert, text, len, XM_CERT_POLICY,
			       &cfg->authority, cfg->crl, now);
	free(text);
	if (r) {
		fprintf(stderr, "xmesh-controller: %s: %s\n", policy_cert,
			xm_cert_reason_text(r));
		return 1;
	}
	e = xm_seckey_read(policy_key, cfg->policy_sk, pk, &loose, false);
	if (e) {
		fprintf(stderr, "xmesh-controller: %s: %s\n", policy_key,
			e == -EBADMSG ? "not a 64-byte secret key" :
			e == -EKEYREJECTED ? "a damaged key" : strerror(-e));
		return 1;
	}
	if (loose)
		fprintf(stderr, "xmesh-controller: warning: %s is readable by"
			" group or others\n", policy_key);
	if (memcmp(pk, cfg->policy_cert.pubkey, sizeof(pk))) {
		fprintf(stderr, "xmesh-controller: %s is not the key of %s\n",
			policy_key, policy_cert);
		return 1;
	}
	return 0;
}

/*
 * --site NAME:AUTHORITY:POLICY_KEY:POLICY_CERT[:CRL] (the files' paths
 * without ':') into s, its revocation list in *crl: 0, or 2 after a
 * message (a usage error), 1 (a file refused).
 */
static int site_arg(const char *arg, struct xm_ctl_site *s,
		    struct xm_crl **crl)
{
	char buf[4096], *f[5] = { buf };
	int n = 1;
	char *p;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (p = buf; (p = strchr(p, ':')) && n < 5; f[n++] = p)
		*p++ = '\0';
	if (p || n < 4 || !xm_site_name_valid(f[0])) {
		fprintf(stderr, "xmesh-controller: --site \"%s\": NAME:"
			"AUTHORITY:POLICY_KEY:POLICY_CERT[:CRL], the name 1 to"
			" 31 of a-z 0-9 - _\n", arg);
		return 2;
	}
	snprintf(s->name, sizeof(s->name), "%.31s", f[0]);
	return load_keys(s, f[1], f[2], f[3], n == 5 ? f[4] : NULL, crl);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "authority", required_argument, NULL, 'a' },
		{ "policy-key", required_argument, NULL, 'k' },
		{ "policy-cert", required_argument, NULL, 'c' },
		{ "crl", required_argument, NULL, 'r' },
		{ "tls-cert", required_argument, NULL, 'T' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "connections", required_argument, NULL, 'M' },
		{ "per-address", required_argument, NULL, 'P' },
		{ "body-deadline", required_argument, NULL, 'B' },
		{ "agents", required_argument, NULL, 'A' },
		{ "config", required_argument, NULL, 'C' },
		{ "hook", required_argument, NULL, 'H' },
		{ "remedy-stale", required_argument, NULL, 'S' },
		{ "remedy-settle", required_argument, NULL, 'E' },
		{ "remedy-tries", required_argument, NULL, 'R' },
		{ "remedy-targets", required_argument, NULL, 'G' },
		{ "web", required_argument, NULL, 'w' },
		{ "site", required_argument, NULL, 's' },
		{ "metrics-nodes", required_argument, NULL, 'N' },
		{ "metrics-troubled", required_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *authority = NULL, *policy_key = NULL, *policy_cert = NULL;
	const char *crl_path = NULL, *tls_cert = NULL, *tls_key = NULL;
	struct xm_ctl_config cfg = { .db_path = DEFAULT_DB,
				     .port = DEFAULT_PORT,
				     .web_dir = XM_WEB_DIR };
	struct xm_crl *crl = NULL, *crls[XM_CTL_SITES_MAX] = { NULL };
	struct xm_ctl_site *sites = calloc(XM_CTL_SITES_MAX, sizeof(*sites));
	struct xm_ctl_site def = { .name = XM_SITE_DEFAULT };
	char *tls_key_pem = NULL;
	size_t tls_key_len = 0;
	mode_t mode = 0;
	struct xm_ctl *ctl;
	char err[256], *end;
	sigset_t sigs;
	int o, sig, rc = 1;
	unsigned long port, n;
	struct xm_hooks *hooks = NULL;
	struct xm_hook hook;

	/* Before any key is read (the policy key, TLS's, the store's
	 * secrets): no core file, not dumpable, no ptrace by other processes
	 * of its user. */
	if (setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 }) ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		fprintf(stderr, "xmesh-controller: warning: core dumps still possible: %s\n",
			strerror(errno));
	if (sodium_init() < 0 || !sites)
		return 1;
	hooks = xm_hooks_new(0);
	if (!hooks)
		return 1;
	cfg.hooks = hooks;
	while ((o = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			cfg.db_path = optarg;
			/* Any user may read a command line. */
			if (xm_store_name_secret(optarg))
				fprintf(stderr, "xmesh-controller: warning:"
					" the --db URI holds a password, which"
					" other users can read: keep it in a"
					" password file (~/.pgpass,"
					" PGPASSFILE)\n");
			break;
		case 'l': cfg.address = optarg; break;
		case 'p':
			port = strtoul(optarg, &end, 10);
			if (*end || !*optarg || port > 65535) {
				fprintf(stderr, "xmesh-controller: \"%s\" is"
					" not a port\n", optarg);
				return 2;
			}
			cfg.port = (uint16_t)port;
			break;
		case 'a': authority = optarg; break;
		case 'k': policy_key = optarg; break;
		case 'c': policy_cert = optarg; break;
		case 'r': crl_path = optarg; break;
		case 'P':
			n = strtoul(optarg, &end, 10);
			if (*end || *optarg < '0' || *optarg > '9' ||
			    n > XM_CTL_CONNECTIONS_MAX) {
				fprintf(stderr, "xmesh-controller: \"%s\": the"
					" connections per address are 0 (no"
					" limit) to %d\n", optarg,
					XM_CTL_CONNECTIONS_MAX);
				return 2;
			}
			cfg.per_address = n ? (int)n : -1;
			break;
		case 'M':
		case 'G':
			n = strtoul(optarg, &end, 10);
			if (*end || *optarg < '1' || *optarg > '9' ||
			    n > (o == 'M' ? XM_CTL_CONNECTIONS_MAX :
				 XM_REMEDY_TARGETS_MAX)) {
				fprintf(stderr, "xmesh-controller: \"%s\": %s"
					" are 1 to %d\n", optarg, o == 'M' ?
					"the connections" : "the remediation"
					" targets", o == 'M' ?
					XM_CTL_CONNECTIONS_MAX :
					XM_REMEDY_TARGETS_MAX);
				return 2;
			}
			if (o == 'M')
				cfg.connections = (unsigned int)n;
			else
				cfg.remedy.targets = (unsigned int)n;
			break;
		case 'A':
			n = strtoul(optarg, &end, 10);
			if (*end || *optarg < '1' || *optarg > '9' ||
			    n > XM_CTL_AGENTS_MAX) {
				fprintf(stderr, "xmesh-controller: \"%s\": the"
					" agents of a site are 1 to %d\n",
					optarg, XM_CTL_AGENTS_MAX);
				return 2;
			}
			cfg.agents = (unsigned int)n;
			break;
		case 'C':
			if (xm_hooks_load(hooks, optarg, err, sizeof(err))) {
				fprintf(stderr, "xmesh-controller: %s\n", err);
				return 2;
			}
			break;
		case 'H':
			if (xm_hook_parse(optarg, &hook, err, sizeof(err)) ||
			    xm_hooks_add(hooks, &hook, err, sizeof(err))) {
				fprintf(stderr, "xmesh-controller: --hook %s:"
					" %s\n", optarg, err);
				return 2;
			}
			break;
		case 'S':
		case 'E':
		case 'B':
		case 'R':
			n = strtoul(optarg, &end, 10);
			if (*end || *optarg < '1' || *optarg > '9' ||
			    n > (o == 'R' ? 100 : 86400)) {
				fprintf(stderr, "xmesh-controller: \"%s\": %s\n",
					optarg, o == 'R' ? "the tries are 1 to 100"
					: "seconds are 1 to 86400");
				return 2;
			}
			if (o == 'S')
				cfg.remedy.stale_s = (unsigned int)n;
			else if (o == 'B')
				cfg.body_deadline_s = (unsigned int)n;
			else if (o == 'E')
				cfg.remedy.settle_s = (unsigned int)n;
			else
				cfg.remedy.tries = (unsigned int)n;
			break;
		case 'N':
		case 'X':
			n = strtoul(optarg, &end, 10);
			if (*end || *optarg < '1' || *optarg > '9' ||
			    n > XM_METRICS_MAX) {
				fprintf(stderr, "xmesh-controller: \"%s\": the"
					" series' caps are 1 to %d\n", optarg,
					XM_METRICS_MAX);
				return 2;
			}
			if (o == 'N')
				cfg.metrics.nodes = (unsigned int)n;
			else
				cfg.metrics.troubled = (unsigned int)n;
			break;
		case 'T': tls_cert = optarg; break;
		case 'K': tls_key = optarg; break;
		case 'w': cfg.web_dir = optarg; break;
		case 's':
			if (cfg.n_sites == XM_CTL_SITES_MAX) {
				fprintf(stderr, "xmesh-controller: at most %d"
					" sites besides the default\n",
					XM_CTL_SITES_MAX);
				return 2;
			}
			rc = site_arg(optarg, &sites[cfg.n_sites],
				      &crls[cfg.n_sites]);
			cfg.n_sites++;
			if (rc)
				goto out;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		const char *site = XM_SITE_DEFAULT;

		if ((argc - optind == 5 || argc - optind == 4) &&
		    !strcmp(argv[optind], "token") &&
		    !strcmp(argv[optind + 1], "add")) {
			if (argc - optind == 5)
				site = argv[optind + 4];
			return token_add(cfg.db_path, argv[optind + 2],
					 argv[optind + 3], site);
		}
		if ((argc - optind == 4 || argc - optind == 3) &&
		    !strcmp(argv[optind], "token") &&
		    !strcmp(argv[optind + 1], "revoke")) {
			if (argc - optind == 4)
				site = argv[optind + 3];
			return token_revoke(cfg.db_path, argv[optind + 2],
					    site);
		}
		usage(stderr);
		return 2;
	}
	if (!authority || !policy_key || !policy_cert ||
	    !tls_cert != !tls_key) {
		usage(stderr);
		return 2;
	}
	if (load_keys(&def, authority, policy_key, policy_cert, crl_path,
		      &crl))
		goto out;
	cfg.authority = def.authority;
	cfg.crl = def.crl;
	cfg.policy_cert = def.policy_cert;
	memcpy(cfg.policy_sk, def.policy_sk, sizeof(cfg.policy_sk));
	sodium_memzero(def.policy_sk, sizeof(def.policy_sk));
	cfg.sites = sites;
	if (tls_cert && (!(cfg.tls_cert_pem = read_text(tls_cert, NULL, NULL)) ||
			 !(tls_key_pem = read_text(tls_key, &tls_key_len,
						   &mode))))
		goto out;
	cfg.tls_key_pem = tls_key_pem;
	if (tls_key_pem && mode & 077)
		fprintf(stderr, "xmesh-controller: warning: %s is readable by"
			" group or others\n", tls_key);
	/* Blocked in every thread: the main thread waits for them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Before any thread: http hooks. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	fd_limit(cfg.connections ? cfg.connections : XM_CTL_CONNECTIONS);
	ctl = xm_ctl_start(&cfg, err, sizeof(err));
	sodium_memzero(cfg.policy_sk, sizeof(cfg.policy_sk));
	sodium_memzero(sites, XM_CTL_SITES_MAX * sizeof(*sites));
	if (!ctl) {
		fprintf(stderr, "xmesh-controller: %s\n", err);
		goto out;
	}
	fprintf(stderr, "xmesh-controller: listening on %s:%u%s\n",
		cfg.address ? cfg.address : "127.0.0.1", xm_ctl_port(ctl),
		tls_cert ? " (TLS)" : "");
	/* Operators' tokens would cross the network in the clear. */
	if (!tls_cert && cfg.address && strncmp(cfg.address, "127.", 4))
		fprintf(stderr, "xmesh-controller: warning: plain HTTP on %s:"
			" API tokens can be read on the way (--tls-cert,"
			" --tls-key)\n", cfg.address);
	sigwait(&sigs, &sig);
	xm_ctl_stop(ctl);
	rc = 0;
out:
	xm_hooks_free(hooks);
	sodium_memzero(cfg.policy_sk, sizeof(cfg.policy_sk));
	free((char *)cfg.tls_cert_pem);
	if (tls_key_pem)
		sodium_memzero(tls_key_pem, tls_key_len);
	free(tls_key_pem);
	free(crl);
	sodium_memzero(sites, XM_CTL_SITES_MAX * sizeof(*sites));
	free(sites);
	for (o = 0; o < XM_CTL_SITES_MAX; o++)
		free(crls[o]);
	return rc;
}
