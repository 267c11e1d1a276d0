/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xmeshd's configuration file (xmeshd(8), CONFIGURATION; etc/xmeshd.conf): one
 * directive per line, "#" starts a comment. Errors name the file and the
 * line.
 */
#ifndef XMD_CONFIG_H
#define XMD_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "core.h"
#include "export.h"

#define XMD_CONFIG_PATH		"/etc/xmesh/xmeshd.conf"
#define XMD_SITE_KEY_PATH	"/etc/xmesh/site.key"
#define XMD_STATE_DIR		"/var/lib/xmesh"
#define XMD_PATH_MAX		256
/* A control socket's path, its NUL included, fits a sockaddr_un. */
#define XMD_SOCKET_PATH_MAX	sizeof(((struct sockaddr_un *)0)->sun_path)
#define XMD_CAPS_INTERVAL_MS	5000
#define XMD_METRICS_INTERVAL_MS	15000	/* the Prometheus file (metrics.h) */
#define XMD_MAX_CLIENTS		16
#define XMD_GATE_HELLO_RATE	200	/* hellos/s from unknown sources */
#define XMD_GATE_PIN_DIR	"/sys/fs/bpf/xmesh"	/* on a bpffs */

/* An underlay link named by a "link" line. */
struct xmd_link_conf {
	char ifname[IF_NAMESIZE];
	uint32_t bandwidth_mbps;	/* 0: from the interface, else 1000 */
	struct xm_addr local;		/* family 0: chosen from the link */
	uint64_t qos_rate;		/* bytes/s the QoS queues shape to;
					 * 0: not shaped */
};

struct xmd_config {
	uint32_t node_id;		/* 0: derived from the node key */
	char name[XM_NAME_MAX];		/* "": the hostname */
	char device[IF_NAMESIZE];
	uint16_t family;		/* underlay: AF_INET or AF_INET6 */
	uint16_t data_port;		/* the device's UDP port */
	uint16_t agent_port;
	char site_key[XMD_PATH_MAX];
	/* Certificates (issue 5): this node's, the site authority's, the
	 * revocation list ("": none). With a certificate, neighbors must
	 * show theirs and the kernel's keys come from the key exchange. */
	char certificate[XMD_PATH_MAX];
	char authority[XMD_PATH_MAX];
	char crl[XMD_PATH_MAX];
	int security;			/* enum xmesh_security; -1: encrypt
					 * with a certificate, else none */
	/* "insecure-no-certificates yes": the operator's consent to run
	 * without certificates (security none, anyone on the underlay
	 * joins); without it and without a certificate xmeshd refuses to
	 * start. */
	bool insecure_no_certificates;
	uint32_t rekey_s;		/* kx rotation: 0 the default */
	/* "origin yes": end-to-end origin seals (origin.h), with a new
	 * generation of origin keys every origin_rekey_s. */
	bool origin;
	uint32_t origin_rekey_s;
	uint64_t rekey_packets;
	char state_dir[XMD_PATH_MAX];
	char socket[XMD_PATH_MAX];
	char filter[XMD_PATH_MAX];	/* zones and rules file; "": none */

	/* "address": on the device and advertised as host prefixes. */
	unsigned int n_addresses;
	struct xm_prefix4or6 addresses[XM_PREFIX_MAX];
	/* "prefix": subnets behind this node, advertised. */
	unsigned int n_prefixes;
	struct xm_prefix4or6 prefixes[XM_PREFIX_MAX];
	/* "export": prefixes advertised while their target answers
	 * (Documentation/exports.md); they count against XM_PREFIX_MAX. */
	unsigned int n_exports;
	struct xm_export_cfg exports[XM_EXPORT_MAX];
	/* "group": multicast groups joined (Documentation/multicast.md). */
	unsigned int n_mgroups;
	struct xm_mgroup mgroups[XM_MGROUP_MAX];
	/* "link": none means every interface with an address. */
	unsigned int n_links;
	struct xmd_link_conf links[XM_LINK_MAX];

	char zone[XM_NAME_MAX];
	unsigned int n_roles;
	char roles[XM_ROLE_MAX][XM_NAME_MAX];
	struct xm_timers timers;
	struct xm_policy policy;

	uint32_t caps_interval_ms;
	int log_level;			/* enum xmd_log_level */
	unsigned int max_clients;	/* control socket */
	bool qos;			/* QoS queues on the links (qdisc.c) */
	bool gate;			/* the XDP first gate, if it loads */
	uint32_t gate_hello_rate;	/* its hellos/s from unknown sources */
	char controller[XMD_PATH_MAX];	/* its URL; "": no controller */
	char controller_ca[XMD_PATH_MAX];	/* PEM CAs for https; "": the
						 * system's */
	char gate_pin_dir[XMD_PATH_MAX];	/* where it is pinned */
	/* Prometheus text for node_exporter's textfile collector, written
	 * every metrics_interval_ms; "": none (metrics.h). */
	char metrics_file[XMD_PATH_MAX];
	uint32_t metrics_interval_ms;
};

/* The defaults (everything the example file shows commented out). */
void xmd_config_default(struct xmd_config *cfg);

/*
 * Read path into cfg (which should hold the defaults). On error returns
 * -1 with "PATH:LINE: what" (or "PATH: why" when it cannot be read) in
 * err, and cfg in an unspecified state.
 */
int xmd_config_load(struct xmd_config *cfg, const char *path, char *err,
		    size_t errlen);
/* The same from a string (tests); name stands for the path in errors. */
int xmd_config_parse(struct xmd_config *cfg, const char *name,
		     const char *text, char *err, size_t errlen);

/* The timer profiles ("profile fast"): 0, or -1 if name is unknown. */
int xmd_timers_profile(struct xm_timers *t, const char *name);

/*
 * What the command line sets over the file (-d, -S, -M, -v), at start and
 * at every reload alike.
 */
struct xmd_overrides {
	const char *device;		/* NULL: the file's */
	const char *socket;
	const char *metrics_file;
	int log_level;			/* -1: the file's; else at least this
					 * verbose (enum xmd_log_level) */
};

/*
 * Check o (a device name, a socket path that fits a sockaddr_un, an
 * absolute metrics file path that fits XMD_PATH_MAX): 0, or -1 with why in
 * err.
 */
int xmd_overrides_check(const struct xmd_overrides *o, char *err,
			size_t errlen);
/* Apply o (checked) to cfg. */
void xmd_overrides_apply(struct xmd_config *cfg, const struct xmd_overrides *o);

#endif /* XMD_CONFIG_H */
