// SPDX-License-Identifier: GPL-2.0
#include "keys.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert.h"
#include "kx.h"
#include "xmesh_file.h"

/* Read a whole small file of the state directory; -errno, -EFBIG past max. */
static ssize_t read_small(const char *path, void *buf, size_t max,
			  mode_t *mode)
{
	return xm_file_read(path, buf, max, true, mode);
}

/* xm_file_write()'s ret (not 0) for path, said in err. */
static void write_err(const char *path, int ret, char *err, size_t errlen)
{
	if (ret == -EEXIST)
		snprintf(err, errlen, "%s exists; not overwriting it", path);
	else
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
}

/* Write a file (xm_file_write(), mode 0600); -1 with the reason in err. */
static int write_file(const char *path, const void *buf, size_t len,
		      bool replace, char *err, size_t errlen)
{
	int ret = xm_file_write(path, buf, len, 0600, replace);

	if (ret)
		write_err(path, ret, err, errlen);
	return ret ? -1 : 0;
}

int xmd_site_key_parse(const void *buf, size_t len,
		       uint8_t key[XM_SITE_KEY_LEN])
{
	const char *s = buf;
	size_t start = 0, end = len, used;

	if (len == XM_SITE_KEY_LEN) {
		memcpy(key, buf, XM_SITE_KEY_LEN);
		return 0;
	}
	while (start < end && isspace((unsigned char)s[start]))
		start++;
	while (end > start && isspace((unsigned char)s[end - 1]))
		end--;
	if (end - start != 2 * XM_SITE_KEY_LEN)
		return -1;
	if (sodium_hex2bin(key, XM_SITE_KEY_LEN, s + start, end - start, NULL,
			   &used, NULL) || used != XM_SITE_KEY_LEN)
		return -1;
	return 0;
}

int xmd_site_key_load(const char *path, uint8_t key[XM_SITE_KEY_LEN],
		      char *err, size_t errlen)
{
	char buf[256];
	mode_t mode;
	ssize_t n = read_small(path, buf, sizeof(buf), &mode);

	if (n == -ENOENT) {
		snprintf(err, errlen,
			 "no site key at %s: create one with \"xmeshd --gen-site-key %s\" and copy it to every node of the site",
			 path, path);
		return -1;
	}
	if (n < 0) {
		snprintf(err, errlen, "site key %s: %s", path,
			 n == -EFBIG ? "too large" : strerror((int)-n));
		return -1;
	}
	if (xmd_site_key_parse(buf, (size_t)n, key)) {
		sodium_memzero(buf, sizeof(buf));
		snprintf(err, errlen,
			 "site key %s: want %d raw bytes or %d hex digits",
			 path, XM_SITE_KEY_LEN, 2 * XM_SITE_KEY_LEN);
		return -1;
	}
	sodium_memzero(buf, sizeof(buf));
	if (mode & (S_IRWXG | S_IRWXO))
		snprintf(err, errlen,
			 "site key %s is readable by group or others (chmod 600)",
			 path);
	else if (errlen)
		err[0] = '\0';
	return 0;
}

int xmd_site_key_generate(const char *path, char *err, size_t errlen)
{
	uint8_t key[XM_SITE_KEY_LEN];
	char hex[2 * XM_SITE_KEY_LEN + 2];
	int ret;

	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	strcat(hex, "\n");
	ret = write_file(path, hex, strlen(hex), false, err, errlen);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	return ret;
}

int xmd_node_key_read(const char *state_dir, uint8_t sk[XM_SECKEY_LEN],
		      char *err, size_t errlen)
{
	char path[512];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", state_dir, XMD_NODE_KEY_FILE);
	ret = xm_seckey_read(path, sk, NULL, NULL, true);
	if (ret)
		snprintf(err, errlen, "node key %s: %s", path,
			 ret == -EBADMSG ? "not an Ed25519 secret key" :
			 ret == -EKEYREJECTED ? "damaged" : strerror(-ret));
	return ret;
}

int xmd_node_key_load(const char *state_dir, uint8_t pubkey[XM_PUBKEY_LEN],
		      bool *created, char *err, size_t errlen)
{
	uint8_t sk[XM_SECKEY_LEN];
	char path[512];
	size_t len;
	int ret;

	*created = false;
	if (mkdir(state_dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "state directory %s: %s", state_dir,
			 strerror(errno));
		return -1;
	}
	ret = xmd_node_key_read(state_dir, sk, err, errlen);
	/* An Ed25519 secret key is the seed, then the public key. */
	if (!ret)
		memcpy(pubkey, sk + XM_SECKEY_LEN - XM_PUBKEY_LEN,
		       XM_PUBKEY_LEN);
	sodium_memzero(sk, sizeof(sk));
	if (ret == -ENOENT) {
		snprintf(path, sizeof(path), "%s/%s", state_dir,
			 XMD_NODE_KEY_FILE);
		ret = xm_seckey_create(path, pubkey);
		if (ret) {
			write_err(path, ret, err, errlen);
			return -1;
		}
		*created = true;
	} else if (ret) {
		len = strlen(err);
		snprintf(err + len, errlen - len,
			 " (move it away to make a new one)");
		return -1;
	}
	return 0;
}

void *xmd_secret_dup(const void *src, size_t len)
{
	void *p;

	if (sodium_init() < 0)	/* sodium_malloc() needs it; once is enough */
		return NULL;
	p = sodium_malloc(len);
	if (p)
		memcpy(p, src, len);
	return p;
}

void xmd_secret_free(void *p)
{
	sodium_free(p);		/* wipes */
}

int xmd_no_core_dumps(void)
{
	const struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return -errno;
	return 0;
}

uint32_t xmd_node_id_from_key(const uint8_t pubkey[XM_PUBKEY_LEN])
{
	uint8_t h[crypto_generichash_BYTES_MIN];
	uint32_t id;

	crypto_generichash(h, sizeof(h), pubkey, XM_PUBKEY_LEN, NULL, 0);
	id = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	     (uint32_t)h[2] << 8 | h[3];
	return id ? id : 1;
}

uint64_t xmd_boot_id_next(const char *state_dir, uint64_t now_s, char *err,
			  size_t errlen)
{
	char path[512], buf[32], werr[1300], *end;
	uint64_t last = 0, id = now_s;
	mode_t mode;
	ssize_t n;

	err[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", state_dir, XMD_BOOT_ID_FILE);
	n = read_small(path, buf, sizeof(buf) - 1, &mode);
	if (n >= 0) {
		buf[n] = '\0';
		errno = 0;
		last = strtoull(buf, &end, 10);
		while (*end && isspace((unsigned char)*end))
			end++;
		/* Sequence numbers are boot id << 32, in 64 bits. */
		if (errno || !isdigit((unsigned char)buf[0]) || *end ||
		    last >= UINT32_MAX) {
			snprintf(err, errlen, "boot id %s: not a number; starting from the clock",
				 path);
			last = 0;
		}
	} else if (n != -ENOENT) {
		snprintf(err, errlen, "boot id %s: %s", path,
			 strerror((int)-n));
	}
	if (last && last >= id)
		id = last + 1;
	snprintf(buf, sizeof(buf), "%" PRIu64 "\n", id);
	if (write_file(path, buf, strlen(buf), true, werr, sizeof(werr)) &&
	    !err[0])
		snprintf(err, errlen, "boot id: %s", werr);
	return id;
}

/* An armored file of at most max bytes, NUL-terminated, in a new buffer. */
static char *read_text(const char *what, const char *path, size_t max,
		       size_t *len, char *err, size_t errlen)
{
	char *buf = malloc(max + 1);
	ssize_t n;

	if (!buf) {
		snprintf(err, errlen, "%s %s: out of memory", what, path);
		return NULL;
	}
	n = xm_file_read(path, buf, max, false, NULL);
	if (n < 0) {
		snprintf(err, errlen, "%s %s: %s", what, path,
			 n == -EFBIG ? "too large" : strerror((int)-n));
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static int cert_load(const char *what, const char *path, struct xm_cert *c,
		     char *err, size_t errlen)
{
	enum xm_cert_reason r;
	size_t len;
	char *text = read_text(what, path, XM_CERT_TEXT_MAX, &len, err, errlen);

	if (!text)
		return -1;
	r = xm_cert_decode_text(c, text, len);
	free(text);
	if (r != XM_CERT_OK) {
		snprintf(err, errlen, "%s %s: %s (%s)", what, path,
			 xm_cert_reason_name(r), xm_cert_reason_text(r));
		return -1;
	}
	return 0;
}

int xmd_crl_load(const char *path, struct xm_crl *l, char *err, size_t errlen)
{
	enum xm_cert_reason r;
	size_t len;
	char *text = read_text("revocation list", path, XM_CRL_TEXT_MAX, &len,
			       err, errlen);

	if (!text)
		return -1;
	r = xm_crl_decode_text(l, text, len);
	free(text);
	if (r != XM_CERT_OK) {
		snprintf(err, errlen, "revocation list %s: %s (%s)", path,
			 xm_cert_reason_name(r), xm_cert_reason_text(r));
		return -1;
	}
	return 0;
}

struct xm_kx *xmd_kx_load(const char *state_dir, const char *cert_path,
			  const char *authority_path, const char *crl_path,
			  uint32_t rekey_s, uint64_t rekey_packets,
			  uint64_t unix_s, char *err, size_t errlen)
{
	struct xm_cert *cert = calloc(2, sizeof(*cert)), *auth = cert + 1;
	struct xm_crl *crl = crl_path[0] ? calloc(1, sizeof(*crl)) : NULL;
	uint8_t *sk = sodium_malloc(XM_SECKEY_LEN);
	struct xm_kx_params params;
	struct xm_kx *kx = NULL;
	unsigned int why;

	if (!cert || !sk || (crl_path[0] && !crl)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (xmd_node_key_read(state_dir, sk, err, errlen))
		goto out;
	if (cert_load("certificate", cert_path, cert, err, errlen) ||
	    cert_load("authority certificate", authority_path, auth, err,
		      errlen) ||
	    (crl && xmd_crl_load(crl_path, crl, err, errlen)))
		goto out;
	if (crl && xm_crl_verify(crl, auth, unix_s) != XM_CERT_OK) {
		why = xm_crl_verify(crl, auth, unix_s);
		snprintf(err, errlen, "revocation list %s: %s (%s)", crl_path,
			 xm_cert_reason_name(why), xm_cert_reason_text(why));
		goto out;
	}
	xm_kx_params_default(&params);
	if (rekey_s)
		params.rekey_ms = rekey_s * 1000;
	if (rekey_packets)
		params.rekey_packets = rekey_packets;
	kx = xm_kx_new(cert->node_id, sk, cert, auth, crl, &params, unix_s,
		       &why);
	if (!kx)
		snprintf(err, errlen, "certificate %s: %s (%s)", cert_path,
			 why ? xm_kx_refusal_name(why) : "out of memory",
			 why == XM_KX_REFUSED_KEY ?
			 "it is not for this node's key" :
			 why <= XM_CERT_REASON_MAX ?
			 xm_cert_reason_text((enum xm_cert_reason)why) :
			 "refused");
out:
	if (sk)
		sodium_free(sk);
	free(cert);
	free(crl);
	return kx;
}

void xmd_caps_from_cert(struct xm_caps *caps, const struct xm_cert *cert)
{
	unsigned int i;

	memcpy(caps->zone, cert->zone, sizeof(caps->zone));
	caps->n_roles = cert->n_roles;
	for (i = 0; i < cert->n_roles; i++)
		memcpy(caps->roles[i], cert->roles[i], sizeof(caps->roles[i]));
}
