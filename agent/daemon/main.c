// SPDX-License-Identifier: GPL-2.0
/*
 * xmeshd - the xmesh agent (see xmeshd(8)): discovers the other nodes of
 * the site, measures its links and programs the xmesh device's tables.
 */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "xmeshd.h"

static void usage(FILE *fp)
{
	fputs("Usage: xmeshd [ -f ] [ -v ]... [ -c FILE ] [ -d DEV ] [ -S SOCKET ]\n"
	      "              [ -M FILE ]\n"
	      "       xmeshd [ -c FILE ] --check\n"
	      "       xmeshd --gen-site-key FILE\n"
	      "  -c, --config FILE   configuration (default " XMD_CONFIG_PATH ")\n"
	      "  -f, --foreground    stay in the foreground, log to stderr\n"
	      "  -d, --device DEV    the xmesh device (default xmesh0)\n"
	      "  -S, --socket PATH   the control socket\n"
	      "  -M, --metrics-file FILE\n"
	      "                      Prometheus text for node_exporter's textfile collector\n"
	      "  -v, --verbose       log at info, then debug level\n"
	      "  --check             read the configuration and the keys, then exit\n"
	      "  --gen-site-key FILE write a new random site key to FILE\n"
	      "  -V, --version       -h, --help\n"
	      "See xmeshd(8).\n", fp);
}

static int gen_site_key(const char *path)
{
	char err[512];

	if (sodium_init() < 0) {
		fprintf(stderr, "xmeshd: libsodium failed to initialise\n");
		return 1;
	}
	if (xmd_site_key_generate(path, err, sizeof(err))) {
		fprintf(stderr, "xmeshd: %s\n", err);
		return 1;
	}
	printf("wrote a new site key to %s: copy it to every node of the site\n",
	       path);
	return 0;
}

/* Detach from the terminal once everything is set up, so that start-up
 * errors still reach whoever started us. */
static int daemonize(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	if (chdir("/"))
		return -1;
	if (!freopen("/dev/null", "r", stdin) ||
	    !freopen("/dev/null", "w", stdout) ||
	    !freopen("/dev/null", "w", stderr))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "device", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 'S' },
		{ "metrics-file", required_argument, NULL, 'M' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check", no_argument, NULL, 'C' },
		{ "gen-site-key", required_argument, NULL, 'G' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool foreground = false, check = false;
	static struct xmd d;
	char err[512];
	int opt, verbose = 0, ret;
	unsigned int i;

	/* Before any key is read: a core dump would hold them. */
	ret = xmd_no_core_dumps();
	if (ret)
		fprintf(stderr, "xmeshd: warning: core dumps still possible: %s\n",
			strerror(-ret));
	d.config_path = XMD_CONFIG_PATH;
	d.config_missing_ok = true;
	d.cli.log_level = -1;
	while ((opt = getopt_long(argc, argv, "c:fd:S:M:vVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d.config_path = optarg;
			d.config_missing_ok = false;
			break;
		case 'f':
			foreground = true;
			break;
		case 'd':
			d.cli.device = optarg;
			break;
		case 'S':
			d.cli.socket = optarg;
			break;
		case 'M':
			d.cli.metrics_file = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'C':
			check = true;
			break;
		case 'G':
			return gen_site_key(optarg);
		case 'V':
			printf("xmeshd %s\n", XMD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xmeshd: unexpected argument \"%s\"\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if (verbose)
		d.cli.log_level = verbose > 1 ? XMD_LOG_DEBUG : XMD_LOG_INFO;
	if (xmd_overrides_check(&d.cli, err, sizeof(err))) {
		fprintf(stderr, "xmeshd: %s\n", err);
		return 2;
	}

	xmd_config_default(&d.cfg);
	if (d.config_missing_ok && access(d.config_path, F_OK))
		/* No file at the default path: the defaults it documents,
		 * checked as an empty file is (no certificate: refused). */
		ret = xmd_config_parse(&d.cfg, XMD_CONFIG_PATH " (missing)", "",
				       err, sizeof(err));
	else
		ret = xmd_config_load(&d.cfg, d.config_path, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "xmeshd: %s\n", err);
		return 1;
	}
	xmd_overrides_apply(&d.cfg, &d.cli);
	if (check) {
		uint8_t key[XM_SITE_KEY_LEN];

		if (sodium_init() < 0 ||
		    xmd_site_key_load(d.cfg.site_key, key, err, sizeof(err)) < 0) {
			fprintf(stderr, "xmeshd: %s\n", err);
			return 1;
		}
		if (err[0])
			fprintf(stderr, "xmeshd: warning: %s\n", err);
		sodium_memzero(key, sizeof(key));
		for (i = 0; i < d.cfg.n_links; i++)
			if (!if_nametoindex(d.cfg.links[i].ifname))
				fprintf(stderr, "xmeshd: warning: link %s: no such interface here\n",
					d.cfg.links[i].ifname);
		printf("%s: configuration and site key are fine\n",
		       d.config_path);
		return 0;
	}

	xmd_log_init(d.cfg.log_level, foreground);
	ret = xmd_start(&d);
	if (!ret && !foreground && daemonize()) {
		xmd_err("cannot detach: %s", strerror(errno));
		ret = -1;
	}
	if (!ret) {
		xmd_notify("READY=1");
		ret = xmd_run(&d);
		xmd_notify("STOPPING=1");
	}
	xmd_stop(&d);
	return ret ? 1 : 0;
}
