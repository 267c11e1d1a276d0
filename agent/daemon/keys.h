/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The site key (shared by every node of the site: it authenticates the
 * agent protocol) and this node's Ed25519 key pair (its identity).
 */
#ifndef XMD_KEYS_H
#define XMD_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "core.h"

#define XMD_NODE_KEY_FILE	"node.key"
#define XMD_BOOT_ID_FILE	"boot-id"

/*
 * Read a site key: XM_SITE_KEY_LEN raw bytes, or that many bytes in hex
 * (blanks around it ignored). -1 with the reason in err.
 */
int xmd_site_key_load(const char *path, uint8_t key[XM_SITE_KEY_LEN],
		      char *err, size_t errlen);
/* Parse a site key file's contents (exposed for the tests). */
int xmd_site_key_parse(const void *buf, size_t len,
		       uint8_t key[XM_SITE_KEY_LEN]);
/* Write a new random key, in hex, mode 0600; never over an existing file. */
int xmd_site_key_generate(const char *path, char *err, size_t errlen);

/*
 * This node's key pair, in state_dir/node.key (mode 0600), created on
 * first use. *created tells whether it was. -1 with the reason in err.
 */
int xmd_node_key_load(const char *state_dir, uint8_t pubkey[XM_PUBKEY_LEN],
		      bool *created, char *err, size_t errlen);
/*
 * This node's secret key (state_dir/node.key, XM_SECKEY_LEN bytes) into
 * sk: 0, or -errno of xm_seckey_read() with the reason in err ("node key
 * PATH: ..."), sk wiped. The one reader of the file, for every user.
 */
int xmd_node_key_read(const char *state_dir, uint8_t sk[XM_SECKEY_LEN],
		      char *err, size_t errlen);

/*
 * A copy of a secret (a node key) in memory of its own: locked against
 * swapping, left out of core dumps, between guard pages
 * (sodium_malloc()). NULL if out of memory. xmd_secret_free() wipes and
 * frees it (NULL is fine).
 */
void *xmd_secret_dup(const void *src, size_t len);
void xmd_secret_free(void *p);

/*
 * Keep this process's memory, keys included, out of core dumps and away
 * from other processes of its user: no core file (RLIMIT_CORE 0) and not
 * dumpable (PR_SET_DUMPABLE 0, which also refuses ptrace and /proc/PID/mem
 * to processes without CAP_SYS_PTRACE). 0, or -errno.
 */
int xmd_no_core_dumps(void);

struct xm_kx;
struct xm_crl;
struct xm_cert;

/*
 * With certificates: the key exchange (kx.h) of this node, from its secret
 * key (state_dir/node.key), its certificate, the site authority's and the
 * revocation list (crl_path "": none), all checked at unix_s; rekey_s and
 * rekey_packets 0 for the defaults. NULL with the reason in err.
 */
struct xm_kx *xmd_kx_load(const char *state_dir, const char *cert_path,
			  const char *authority_path, const char *crl_path,
			  uint32_t rekey_s, uint64_t rekey_packets,
			  uint64_t unix_s, char *err, size_t errlen);
/* A revocation list file into l (allocated by the caller): 0, or -1 with
 * the reason in err. */
int xmd_crl_load(const char *path, struct xm_crl *l, char *err,
		 size_t errlen);

/* The zone and roles of caps from a node certificate. */
void xmd_caps_from_cert(struct xm_caps *caps, const struct xm_cert *cert);

/* The node id a public key stands for: never 0. */
uint32_t xmd_node_id_from_key(const uint8_t pubkey[XM_PUBKEY_LEN]);

/*
 * The boot id of this start (xm_core_config.boot_id): max(now_s, the last
 * one + 1), kept in state_dir/boot-id (written to a temporary file, then
 * renamed over it), so that an agent restarted within the same second
 * still numbers its messages above its last run's and its neighbors do
 * not take them for replays. If the file cannot be read or written: the
 * best it can do, with the reason in err (a warning); else err is "".
 */
uint64_t xmd_boot_id_next(const char *state_dir, uint64_t now_s, char *err,
			  size_t errlen);

#endif /* XMD_KEYS_H */
