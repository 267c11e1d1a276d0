// SPDX-License-Identifier: GPL-2.0
/*
 * xmesh cert: the site authority, node keys, certificates and the
 * revocation list (Documentation/certificates.md). Files only: no kernel,
 * no agent. The formats and the checks are core/cert.c's; this is the
 * command line and the files around them.
 */
#include "tool.h"

#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "wire.h"
#include "xmesh_file.h"

/* Validity in days: defaults, and at most a century. */
#define AUTHORITY_DAYS	3650
#define CERT_DAYS	365
#define DAYS_MAX	36500
/* New certificates start an hour back: clocks a little behind accept them. */
#define BACKDATE_S	3600
/* Serials up to 2^53 survive JSON readers that use doubles. */
#define SERIAL_MASK	((UINT64_C(1) << 53) - 1)
/* Revocations in one command. */
#define REVOKE_MAX	64

void usage_cert(FILE *fp)
{
	fputs("Usage: xmesh cert authority create name SITE key FILE cert FILE\n"
	      "                                   [ valid DAYS ]\n"
	      "       xmesh cert key { create | show } FILE\n"
	      "       xmesh cert sign authority-key FILE authority CERT\n"
	      "                       pubkey { FILE | HEX } [ kind { node | policy } ]\n"
	      "                       [ node ID ] [ zone ZONE ] [ role ROLE ]...\n"
	      "                       [ prefix PREFIX ]... [ valid DAYS ]\n"
	      "                       out { FILE | - }\n"
	      "       xmesh cert show FILE\n"
	      "       xmesh cert verify FILE authority CERT [ crl FILE ]\n"
	      "                         [ kind { node | policy | authority } ]\n"
	      "       xmesh cert revoke authority-key FILE authority CERT\n"
	      "                         serial SERIAL [ serial SERIAL ]... crl FILE\n"
	      "SITE, ZONE, ROLE := 1 to 31 printable characters, no blanks (ZONE may be \"\")\n"
	      "ID := 1..4294967295   DAYS := 1..36500 (authority 3650, others 365)\n"
	      "PREFIX := ADDRESS/LENGTH the node may advertise as its own (at most 16;\n"
	      "          none: any)\n"
	      "Keys are secret: key files are written mode 0600, and no command\n"
	      "overwrites a file but the revocation list it updates.\n", fp);
}

/* ---- the command line ---- */

enum kw {
	KW_NAME, KW_KEY, KW_CERT, KW_AUTH_KEY, KW_AUTH, KW_PUBKEY, KW_KIND,
	KW_NODE, KW_ZONE, KW_ROLE, KW_PREFIX, KW_VALID, KW_OUT, KW_CRL,
	KW_SERIAL,
	KW_FILE,	/* the positional FILE */
	KW_COUNT,
};

static const char *const kw_names[KW_COUNT] = {
	[KW_NAME] = "name", [KW_KEY] = "key", [KW_CERT] = "cert",
	[KW_AUTH_KEY] = "authority-key", [KW_AUTH] = "authority",
	[KW_PUBKEY] = "pubkey", [KW_KIND] = "kind", [KW_NODE] = "node",
	[KW_ZONE] = "zone", [KW_ROLE] = "role", [KW_PREFIX] = "prefix",
	[KW_VALID] = "valid",
	[KW_OUT] = "out", [KW_CRL] = "crl", [KW_SERIAL] = "serial",
	[KW_FILE] = "FILE",
};

#define KW(k)	(1u << (k))

struct cert_args {
	const char *verb;		/* "cert sign"...: for messages */
	unsigned int given;		/* KW() bits */
	const char *path[KW_COUNT];	/* file arguments */
	const char *name, *zone;
	const char *roles[XM_ROLE_MAX];
	unsigned int n_roles;
	struct xm_prefix4or6 prefixes[XM_CERT_PREFIX_MAX];
	unsigned int n_prefixes;
	enum xm_cert_kind kind;
	uint32_t node, days;
	uint64_t serials[REVOKE_MAX];
	unsigned int n_serials;
};

/* Decimal, the whole string, 1..UINT64_MAX. */
static int arg_serial(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			break;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s || *p || !v) {
		pr_err("invalid serial \"%s\": expected a number from 1 to %llu.",
		       s, (unsigned long long)UINT64_MAX);
		return XM_EXIT_USAGE;
	}
	*out = v;
	return XM_EXIT_OK;
}

static int arg_name(const char *what, const char *s, bool may_be_empty)
{
	if (xm_wire_name_valid(s, may_be_empty))
		return XM_EXIT_OK;
	pr_err("invalid %s \"%s\": %s31 printable characters, no blanks.",
	       what, s, may_be_empty ? "up to " : "1 to ");
	return XM_EXIT_USAGE;
}

static int arg_kind(const char *s, enum xm_cert_kind *out)
{
	if (!strcmp(s, "node"))
		*out = XM_CERT_NODE;
	else if (!strcmp(s, "policy"))
		*out = XM_CERT_POLICY;
	else if (!strcmp(s, "authority"))
		*out = XM_CERT_AUTHORITY;
	else {
		pr_err("invalid kind \"%s\": expected node, policy or authority.",
		       s);
		return XM_EXIT_USAGE;
	}
	return XM_EXIT_OK;
}

/* One more prefix: valid, not given yet, within the bound. */
static int arg_cert_prefix(struct cert_args *a, const char *v)
{
	struct xm_prefix4or6 *p = &a->prefixes[a->n_prefixes];
	unsigned int i;

	if (a->n_prefixes == XM_CERT_PREFIX_MAX) {
		pr_err("at most %d prefixes.", XM_CERT_PREFIX_MAX);
		return XM_EXIT_USAGE;
	}
	memset(p, 0, sizeof(*p));
	if (arg_prefix(v, &p->addr, &p->len))
		return XM_EXIT_USAGE;
	for (i = 0; i < a->n_prefixes; i++)
		if (xm_prefix_eq(&a->prefixes[i].addr, a->prefixes[i].len,
				 &p->addr, p->len)) {
			pr_err("prefix %s is given twice.", v);
			return XM_EXIT_USAGE;
		}
	a->n_prefixes++;
	return XM_EXIT_OK;
}

/* One keyword's value into a. */
static int take(struct cert_args *a, enum kw k, const char *v)
{
	unsigned int i;
	int ret;

	switch (k) {
	case KW_NAME:
		a->name = v;
		return arg_name("site name", v, false);
	case KW_ZONE:
		a->zone = v;
		return arg_name("zone", v, true);
	case KW_ROLE:
		ret = arg_name("role", v, false);
		if (ret)
			return ret;
		for (i = 0; i < a->n_roles; i++)
			if (!strcmp(a->roles[i], v)) {
				pr_err("role \"%s\" is given twice.", v);
				return XM_EXIT_USAGE;
			}
		if (a->n_roles == XM_ROLE_MAX) {
			pr_err("at most %d roles.", XM_ROLE_MAX);
			return XM_EXIT_USAGE;
		}
		a->roles[a->n_roles++] = v;
		return XM_EXIT_OK;
	case KW_PREFIX:
		return arg_cert_prefix(a, v);
	case KW_KIND:
		return arg_kind(v, &a->kind);
	case KW_NODE:
		return arg_u32("node id", v, 1, UINT32_MAX, &a->node);
	case KW_VALID:
		return arg_u32("validity in days", v, 1, DAYS_MAX, &a->days);
	case KW_SERIAL:
		if (a->n_serials == REVOKE_MAX) {
			pr_err("at most %d serials at a time.", REVOKE_MAX);
			return XM_EXIT_USAGE;
		}
		ret = arg_serial(v, &a->serials[a->n_serials]);
		if (ret)
			return ret;
		for (i = 0; i < a->n_serials; i++)
			if (a->serials[i] == a->serials[a->n_serials]) {
				pr_err("serial %s is given twice.", v);
				return XM_EXIT_USAGE;
			}
		a->n_serials++;
		return XM_EXIT_OK;
	default:
		if (!*v) {
			pr_err("\"%s\" needs a file name.", kw_names[k]);
			return XM_EXIT_USAGE;
		}
		a->path[k] = v;
		return XM_EXIT_OK;
	}
}

/*
 * The arguments of a command: keywords of allowed (each at most once but
 * role, prefix and serial), the positional FILE if allowed, all of
 * required.
 */
static int parse_cert_args(const char *verb, unsigned int allowed,
			   unsigned int required, int argc, char **argv,
			   struct cert_args *a)
{
	unsigned int k;
	int ret;

	memset(a, 0, sizeof(*a));
	a->verb = verb;
	for (; argc > 0; argc--, argv++) {
		const char *word = argv[0];

		for (k = 0; k < KW_FILE; k++)
			if ((allowed & KW(k)) && !strcmp(word, kw_names[k]))
				break;
		if (k == KW_FILE) {
			/* "-j" after the object is a misplaced option. */
			if (is_help(word) || !(allowed & KW(KW_FILE)) ||
			    (a->given & KW(KW_FILE)) ||
			    (word[0] == '-' && word[1]))
				return arg_unknown(word, usage_cert);
		} else {
			if ((a->given & KW(k)) && k != KW_ROLE &&
			    k != KW_PREFIX && k != KW_SERIAL)
				return arg_dup(word);
			if (!next_arg(&argc, &argv))
				return XM_EXIT_USAGE;
		}
		ret = take(a, k, argv[0]);
		if (ret)
			return ret;
		a->given |= KW(k);
	}
	for (k = 0; k < KW_COUNT; k++) {
		if (!(required & KW(k)) || (a->given & KW(k)))
			continue;
		if (k == KW_FILE)
			pr_err("%s needs a FILE.", verb);
		else
			pr_err("%s needs \"%s\".", verb, kw_names[k]);
		return XM_EXIT_USAGE;
	}
	return XM_EXIT_OK;
}

/* ---- files ---- */

/*
 * A whole file of at most max bytes into a new buffer (NUL-terminated);
 * NULL after printing why. *mode gets its mode.
 */
static char *read_file(const char *what, const char *path, size_t max,
		       size_t *len, mode_t *mode)
{
	char *buf = malloc(max + 1);
	ssize_t n;

	if (!buf)
		return NULL;
	n = xm_file_read(path, buf, max, false, mode);
	if (n < 0) {
		if (n == -EFBIG)
			pr_err("%s %s is too large (more than %zu bytes).",
			       what, path, max);
		else if (n == -EINVAL)
			pr_err("%s %s is not a regular file.", what, path);
		else
			pr_err("%s %s: %s.", what, path, strerror((int)-n));
		sodium_memzero(buf, max + 1);
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	buf[n] = '\0';
	return buf;
}

/* What xm_file_write()'s err means for what at path: exit status. */
static int write_status(const char *what, const char *path, int err)
{
	if (err == -EEXIST)
		pr_err("%s %s exists; not overwriting it.", what, path);
	else if (err == -ENAMETOOLONG)
		pr_err("%s %s: the name is too long.", what, path);
	else if (err)
		pr_err("%s %s: %s.", what, path, strerror(-err));
	return !err ? XM_EXIT_OK :
	       err == -ENAMETOOLONG ? XM_EXIT_USAGE : XM_EXIT_FAIL;
}

/*
 * Write len bytes to path (xm_file_write()), "-" to stdout. Exit status.
 */
static int write_file(const char *what, const char *path, const void *buf,
		      size_t len, mode_t mode, bool replace)
{
	int err;

	if (!strcmp(path, "-")) {
		fwrite(buf, 1, len, stdout);
		return fflush(stdout) ? XM_EXIT_FAIL : XM_EXIT_OK;
	}
	err = xm_file_write(path, buf, len, mode, replace);
	return write_status(what, path, err);
}

/* Refuse early, before any work, to write over a file. */
static int check_new(const char *what, const char *path)
{
	if (strcmp(path, "-") && !access(path, F_OK)) {
		pr_err("%s %s exists; not overwriting it.", what, path);
		return XM_EXIT_FAIL;
	}
	return XM_EXIT_OK;
}

/* A secret key file (64 bytes, as "key create" and xmeshd write them). */
static int read_seckey(const char *path, uint8_t sk[XM_SECKEY_LEN],
		       uint8_t pk[XM_PUBKEY_LEN])
{
	bool loose = false;
	int err = xm_seckey_read(path, sk, pk, &loose, false);

	if (err == -EBADMSG)
		pr_err("key %s is not a secret key (%d bytes, as \"xmesh cert key create\" writes).",
		       path, XM_SECKEY_LEN);
	else if (err == -EKEYREJECTED)
		pr_err("key %s is damaged: its public half is not its seed's.",
		       path);
	else if (err)
		pr_err("key %s: %s.", path, strerror(-err));
	else if (loose)
		fprintf(stderr, "Warning: key %s is readable by group or others (chmod 600).\n",
			path);
	return err ? XM_EXIT_FAIL : XM_EXIT_OK;
}

/* A certificate file; with want (not 0), of that kind. */
static int read_cert(const char *what, const char *path,
		     enum xm_cert_kind want, struct xm_cert *c)
{
	size_t len;
	char *buf = read_file(what, path, XM_CERT_TEXT_MAX, &len, NULL);
	enum xm_cert_reason r;

	if (!buf)
		return XM_EXIT_FAIL;
	r = xm_cert_decode_text(c, buf, len);
	free(buf);
	if (!r && want && c->kind != want)
		r = XM_CERT_WRONG_KIND;
	if (r) {
		pr_err("%s %s: %s (%s).", what, path, xm_cert_reason_name(r),
		       r == XM_CERT_WRONG_KIND && want == XM_CERT_AUTHORITY ?
		       "not an authority certificate" :
		       xm_cert_reason_text(r));
		return XM_EXIT_FAIL;
	}
	return XM_EXIT_OK;
}

/* A revocation list file; *exists false (and l empty) if there is none. */
static int read_crl(const char *path, bool may_be_missing,
		    struct xm_crl *l, bool *exists)
{
	size_t len;
	char *buf;
	enum xm_cert_reason r;

	*exists = !(may_be_missing && access(path, F_OK) && errno == ENOENT);
	if (!*exists) {
		memset(l, 0, sizeof(*l));
		return XM_EXIT_OK;
	}
	buf = read_file("revocation list", path, XM_CRL_TEXT_MAX, &len, NULL);
	if (!buf)
		return XM_EXIT_FAIL;
	r = xm_crl_decode_text(l, buf, len);
	free(buf);
	if (r) {
		pr_err("revocation list %s: %s (%s).", path,
		       xm_cert_reason_name(r), xm_cert_reason_text(r));
		return XM_EXIT_FAIL;
	}
	return XM_EXIT_OK;
}

/*
 * The key as HEX, or from a file: the hex, what "key show" prints ("key
 * HEX id ID"), or a certificate (renewing it for the same key).
 */
static int read_pubkey(const char *arg, uint8_t pk[XM_PUBKEY_LEN])
{
	char *buf, *s;
	size_t len, used;
	const char *end;
	struct xm_cert *c;
	int ret = XM_EXIT_OK;

	if (strlen(arg) == 2 * XM_PUBKEY_LEN &&
	    !sodium_hex2bin(pk, XM_PUBKEY_LEN, arg, strlen(arg), NULL, &used,
			    &end) && used == XM_PUBKEY_LEN && !*end)
		return XM_EXIT_OK;
	/* Hex of the wrong length is a typo more likely than a file name. */
	if (strspn(arg, "0123456789abcdefABCDEF") == strlen(arg) &&
	    access(arg, F_OK)) {
		pr_err("invalid public key \"%s\": expected %d hex digits.",
		       arg, 2 * XM_PUBKEY_LEN);
		return XM_EXIT_USAGE;
	}
	buf = read_file("public key", arg, XM_CERT_TEXT_MAX, &len, NULL);
	if (!buf)
		return XM_EXIT_FAIL;
	c = malloc(sizeof(*c));
	s = buf + strspn(buf, " \t\r\n");
	if (!strncmp(s, "key ", 4))
		s += 4;
	if (c && !xm_cert_decode_text(c, buf, len)) {
		memcpy(pk, c->pubkey, XM_PUBKEY_LEN);	/* renewing it */
	} else if (sodium_hex2bin(pk, XM_PUBKEY_LEN, s, strlen(s), NULL,
				  &used, &end) || used != XM_PUBKEY_LEN ||
		   (strspn(end, " \t\r\n") != strlen(end) &&
		    strncmp(end, " id ", 4)) || len != strlen(buf)) {
		pr_err("%s holds no public key: want %d hex digits or a certificate (\"xmesh cert key show KEYFILE\" prints them).",
		       arg, 2 * XM_PUBKEY_LEN);
		ret = XM_EXIT_FAIL;
	}
	free(c);
	sodium_memzero(buf, len);
	free(buf);
	return ret;
}

/* ---- output ---- */

static const char *hex(const uint8_t *p, size_t n, char *buf, size_t cap)
{
	return sodium_bin2hex(buf, cap, p, n);
}

/* "2026-01-01T00:00:00Z", or the number if the calendar cannot say. */
static const char *utc(uint64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((uint64_t)tt != t || !gmtime_r(&tt, &tm) ||
	    !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, cap, "%llu", (unsigned long long)t);
	return buf;
}

static void print_pubkey(struct out *o, const uint8_t pk[XM_PUBKEY_LEN])
{
	char h[2 * XM_PUBKEY_LEN + 1];
	uint8_t id[XM_KEY_ID_LEN];

	xm_key_id(pk, id);
	out_str(o, "pubkey", "key", hex(pk, XM_PUBKEY_LEN, h, sizeof(h)));
	out_str(o, "key_id", "id", hex(id, XM_KEY_ID_LEN, h, sizeof(h)));
}

/* A node's prefixes, or that it has none: it may advertise any. */
static void print_prefixes(struct out *o, const struct xm_cert *c)
{
	char buf[XM_ADDRSTRLEN];
	unsigned int i;

	out_text(o, "    prefixes");
	if (!c->n_prefixes)
		out_text(o, " any (unrestricted)");
	out_arr_begin(o, "prefixes");
	for (i = 0; i < c->n_prefixes; i++)
		out_str(o, NULL, "",
			xm_prefix_str(&c->prefixes[i].addr,
				      c->prefixes[i].len, buf, sizeof(buf)));
	out_arr_end(o);
	out_nl(o);
}

static void print_cert(struct out *o, const struct xm_cert *c)
{
	char h[2 * XM_KEY_ID_LEN + 1], t[32], roles[XM_ROLE_MAX * XM_NAME_MAX];
	uint8_t id[XM_KEY_ID_LEN];
	unsigned int i;

	out_obj_begin(o, NULL);
	out_str(o, "kind", "certificate", xm_cert_kind_name(c->kind));
	if (c->kind == XM_CERT_NODE)
		out_uint(o, "node", "", c->node_id);
	out_str(o, "site", "site", c->site);
	out_uint(o, "serial", "serial", c->serial);
	out_nl(o);
	if (c->kind == XM_CERT_NODE) {
		out_text(o, "    ");
		out_str(o, "zone", "zone", c->zone[0] ? c->zone : "");
		if (!c->zone[0])
			out_text(o, "(default)");
		roles[0] = '\0';
		for (i = 0; i < c->n_roles; i++) {
			strcat(roles, i ? "," : "");
			strcat(roles, c->roles[i]);
		}
		if (c->n_roles)
			out_str(o, NULL, "roles", roles);
		out_arr_begin(o, "roles");
		for (i = 0; i < c->n_roles; i++)
			out_str(o, NULL, NULL, c->roles[i]);
		out_arr_end(o);
		out_nl(o);
		print_prefixes(o, c);
	}
	out_text(o, "    ");
	print_pubkey(o, c->pubkey);
	out_nl(o);
	out_text(o, "    ");
	out_str(o, "issuer", "issuer",
		hex(c->issuer, XM_KEY_ID_LEN, h, sizeof(h)));
	xm_key_id(c->pubkey, id);
	if (!memcmp(id, c->issuer, XM_KEY_ID_LEN))
		out_text(o, " (self-signed)");
	out_nl(o);
	out_text(o, "    ");
	out_uint(o, "not_before", NULL, c->not_before);
	out_uint(o, "not_after", NULL, c->not_after);
	out_str(o, NULL, "valid from", utc(c->not_before, t, sizeof(t)));
	out_str(o, NULL, "until", utc(c->not_after, t, sizeof(t)));
	out_nl(o);
	out_obj_end(o);
}

static void print_crl(struct out *o, const struct xm_crl *l)
{
	char h[2 * XM_KEY_ID_LEN + 1], t[32];
	unsigned int i;

	out_obj_begin(o, NULL);
	out_str(o, "kind", NULL, xm_cert_kind_name(XM_CERT_CRL));
	out_text(o, "revocation list");
	out_str(o, "site", "site", l->site);
	out_uint(o, "version", "version", l->version);
	out_uint(o, "issued", NULL, l->issued);
	out_str(o, NULL, "issued", utc(l->issued, t, sizeof(t)));
	out_nl(o);
	out_text(o, "    ");
	out_str(o, "issuer", "issuer",
		hex(l->issuer, XM_KEY_ID_LEN, h, sizeof(h)));
	out_uint(o, NULL, "serials", l->n_serials);
	out_arr_begin(o, "serials");
	for (i = 0; i < l->n_serials; i++) {
		if (i % 6 == 0) {
			out_nl(o);
			out_text(o, "       ");
		}
		out_uint(o, NULL, "", l->serials[i]);
	}
	out_arr_end(o);
	out_nl(o);
	out_obj_end(o);
}

/* ---- the commands ---- */

static uint64_t now_s(void)
{
	return (uint64_t)time(NULL);
}

static uint64_t random_serial(void)
{
	uint64_t s;

	do {
		randombytes_buf(&s, sizeof(s));
		s &= SERIAL_MASK;
	} while (!s);
	return s;
}

static void validity(struct xm_cert *c, uint64_t now, uint32_t days)
{
	c->not_before = now - BACKDATE_S;
	c->not_after = now + (uint64_t)days * 86400;
}

static int cert_authority_create(struct ctx *ctx, int argc, char **argv)
{
	struct cert_args a;
	uint8_t sk[XM_SECKEY_LEN];
	char text[XM_CERT_TEXT_MAX];
	struct xm_cert c = { .kind = XM_CERT_AUTHORITY };
	int ret;

	(void)ctx;
	ret = parse_cert_args("cert authority create",
			      KW(KW_NAME) | KW(KW_KEY) | KW(KW_CERT) |
			      KW(KW_VALID),
			      KW(KW_NAME) | KW(KW_KEY) | KW(KW_CERT), argc, argv,
			      &a);
	if (ret)
		return xm_status(ret);
	if (!strcmp(a.path[KW_KEY], "-")) {
		pr_err("the authority key goes to a file, not to stdout.");
		return XM_EXIT_USAGE;
	}
	if (!strcmp(a.path[KW_KEY], a.path[KW_CERT])) {
		pr_err("key and cert must be two files.");
		return XM_EXIT_USAGE;
	}
	ret = check_new("key", a.path[KW_KEY]);
	if (!ret)
		ret = check_new("certificate", a.path[KW_CERT]);
	if (ret)
		return ret;
	crypto_sign_keypair(c.pubkey, sk);
	c.serial = random_serial();
	snprintf(c.site, sizeof(c.site), "%s", a.name);
	validity(&c, now_s(), a.days ? a.days : AUTHORITY_DAYS);
	if (xm_cert_sign(&c, sk) || !xm_cert_text(&c, text, sizeof(text))) {
		pr_err("cannot sign the authority certificate.");
		ret = XM_EXIT_FAIL;
	}
	if (!ret)
		ret = write_file("key", a.path[KW_KEY], sk, sizeof(sk), 0600,
				 false);
	sodium_memzero(sk, sizeof(sk));
	if (ret)
		return ret;
	ret = write_file("certificate", a.path[KW_CERT], text, strlen(text),
			 0644, false);
	if (ret)
		unlink(a.path[KW_KEY]);	/* all or nothing */
	return ret;
}

static const struct cmd authority_cmds[] = {
	{ "create", NULL, cert_authority_create, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

static int cert_authority(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, authority_cmds, "cert authority command", NULL,
			    usage_cert, argc, argv);
}

/* What "key create" and "key show" print: the public key. */
static int key_print(struct ctx *ctx, const uint8_t pk[XM_PUBKEY_LEN])
{
	out_obj_begin(&ctx->out, NULL);
	print_pubkey(&ctx->out, pk);
	out_nl(&ctx->out);
	out_obj_end(&ctx->out);
	return XM_EXIT_OK;
}

static int cert_key_create(struct ctx *ctx, int argc, char **argv)
{
	uint8_t pk[XM_PUBKEY_LEN];
	struct cert_args a;
	int ret;

	ret = parse_cert_args("cert key create", KW(KW_FILE), KW(KW_FILE),
			      argc, argv, &a);
	if (ret)
		return xm_status(ret);
	if (!strcmp(a.path[KW_FILE], "-")) {
		pr_err("a secret key goes to a file, not to stdout.");
		return XM_EXIT_USAGE;
	}
	ret = write_status("key", a.path[KW_FILE],
			   xm_seckey_create(a.path[KW_FILE], pk));
	return ret ? ret : key_print(ctx, pk);
}

static int cert_key_show(struct ctx *ctx, int argc, char **argv)
{
	uint8_t sk[XM_SECKEY_LEN], pk[XM_PUBKEY_LEN];
	struct cert_args a;
	int ret;

	ret = parse_cert_args("cert key show", KW(KW_FILE), KW(KW_FILE), argc,
			      argv, &a);
	if (ret)
		return xm_status(ret);
	ret = read_seckey(a.path[KW_FILE], sk, pk);
	sodium_memzero(sk, sizeof(sk));
	return ret ? ret : key_print(ctx, pk);
}

static const struct cmd key_cmds[] = {
	{ "create", NULL, cert_key_create, CMD_RUN },
	{ "show", NULL, cert_key_show, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

static int cert_key(struct ctx *c, int argc, char **argv)
{
	return cmd_dispatch(c, key_cmds, "cert key command", NULL, usage_cert,
			    argc, argv);
}

/*
 * The authority certificate, its secret key, and that the two belong
 * together and the authority is valid now: what signing needs.
 */
static int open_authority(const struct cert_args *a, struct xm_cert *auth,
			  uint8_t sk[XM_SECKEY_LEN], uint64_t now)
{
	uint8_t pk[XM_PUBKEY_LEN];
	enum xm_cert_reason r;
	int ret;

	ret = read_cert("authority", a->path[KW_AUTH], XM_CERT_AUTHORITY, auth);
	if (ret)
		return ret;
	r = xm_cert_verify(auth, XM_CERT_AUTHORITY, auth, NULL, now);
	if (r) {
		pr_err("authority %s: %s (%s).", a->path[KW_AUTH],
		       xm_cert_reason_name(r),
		       r == XM_CERT_BAD_AUTHORITY ?
		       "not self-signed, or not valid now" :
		       xm_cert_reason_text(r));
		return XM_EXIT_FAIL;
	}
	ret = read_seckey(a->path[KW_AUTH_KEY], sk, pk);
	if (ret)
		return ret;
	if (memcmp(pk, auth->pubkey, XM_PUBKEY_LEN)) {
		sodium_memzero(sk, XM_SECKEY_LEN);
		pr_err("key %s is not the key of authority %s.",
		       a->path[KW_AUTH_KEY], a->path[KW_AUTH]);
		return XM_EXIT_FAIL;
	}
	return XM_EXIT_OK;
}

static int cert_sign(struct ctx *ctx, int argc, char **argv)
{
	uint8_t sk[XM_SECKEY_LEN];
	struct xm_cert auth, c = { 0 };
	char text[XM_CERT_TEXT_MAX], t[32];
	uint64_t now = now_s();
	struct cert_args a;
	unsigned int i;
	int ret;

	(void)ctx;
	ret = parse_cert_args("cert sign",
			      KW(KW_AUTH_KEY) | KW(KW_AUTH) | KW(KW_PUBKEY) |
			      KW(KW_KIND) | KW(KW_NODE) | KW(KW_ZONE) |
			      KW(KW_ROLE) | KW(KW_PREFIX) | KW(KW_VALID) |
			      KW(KW_OUT),
			      KW(KW_AUTH_KEY) | KW(KW_AUTH) | KW(KW_PUBKEY) |
			      KW(KW_OUT), argc, argv, &a);
	if (ret)
		return xm_status(ret);
	c.kind = a.kind ? a.kind : XM_CERT_NODE;
	if (c.kind == XM_CERT_AUTHORITY) {
		pr_err("cert sign makes node and policy certificates; the authority's own is made by \"cert authority create\".");
		return XM_EXIT_USAGE;
	}
	if (c.kind == XM_CERT_NODE && !a.node) {
		pr_err("cert sign needs \"node ID\" for a node certificate.");
		return XM_EXIT_USAGE;
	}
	if (c.kind == XM_CERT_POLICY &&
	    (a.given & (KW(KW_NODE) | KW(KW_ZONE) | KW(KW_ROLE) |
			KW(KW_PREFIX)))) {
		pr_err("a policy certificate has no node, zone, role or prefix.");
		return XM_EXIT_USAGE;
	}
	ret = read_pubkey(a.path[KW_PUBKEY], c.pubkey);
	if (!ret)
		ret = check_new("certificate", a.path[KW_OUT]);
	if (!ret)
		ret = open_authority(&a, &auth, sk, now);
	if (ret)
		return ret;
	if (!memcmp(c.pubkey, auth.pubkey, XM_PUBKEY_LEN)) {
		sodium_memzero(sk, sizeof(sk));
		pr_err("that is the authority's own key: give each node a key of its own (\"xmesh cert key create\").");
		return XM_EXIT_FAIL;
	}
	c.serial = random_serial();
	memcpy(c.site, auth.site, sizeof(c.site));
	c.node_id = a.node;
	snprintf(c.zone, sizeof(c.zone), "%s", a.zone ? a.zone : "");
	c.n_roles = a.n_roles;
	for (i = 0; i < a.n_roles; i++)
		snprintf(c.roles[i], XM_NAME_MAX, "%s", a.roles[i]);
	c.n_prefixes = a.n_prefixes;
	memcpy(c.prefixes, a.prefixes, sizeof(c.prefixes));
	if (c.kind == XM_CERT_NODE && !c.n_prefixes)
		fprintf(stderr, "Note: no prefix given: node %u may advertise any address as its own.\n",
			c.node_id);
	validity(&c, now, a.days ? a.days : CERT_DAYS);
	/* Past the authority's end, no one could verify it anyway. */
	if (c.not_after > auth.not_after) {
		c.not_after = auth.not_after;
		fprintf(stderr, "Note: valid only until %s, when the authority expires.\n",
			utc(c.not_after, t, sizeof(t)));
	}
	ret = xm_cert_sign(&c, sk);
	sodium_memzero(sk, sizeof(sk));
	if (ret || !xm_cert_text(&c, text, sizeof(text))) {
		pr_err("cannot sign the certificate.");
		return XM_EXIT_FAIL;
	}
	return write_file("certificate", a.path[KW_OUT], text, strlen(text),
			  0644, false);
}

static int cert_show(struct ctx *ctx, int argc, char **argv)
{
	struct cert_args a;
	struct xm_crl *l;
	struct xm_cert c;
	enum xm_cert_reason r;
	size_t len;
	char *buf;
	int ret;

	ret = parse_cert_args("cert show", KW(KW_FILE), KW(KW_FILE), argc,
			      argv, &a);
	if (ret)
		return xm_status(ret);
	buf = read_file("file", a.path[KW_FILE], XM_CRL_TEXT_MAX, &len, NULL);
	l = malloc(sizeof(*l));
	if (!buf || !l) {
		free(buf);
		free(l);
		return XM_EXIT_FAIL;
	}
	r = xm_cert_decode_text(&c, buf, len);
	if (!r) {
		print_cert(&ctx->out, &c);
	} else if (r == XM_CERT_WRONG_KIND) {
		r = xm_crl_decode_text(l, buf, len);
		if (!r)
			print_crl(&ctx->out, l);
	}
	if (r)
		pr_err("%s: %s (%s).", a.path[KW_FILE], xm_cert_reason_name(r),
		       r == XM_CERT_MALFORMED ?
		       "not an xmesh certificate or revocation list" :
		       xm_cert_reason_text(r));
	free(buf);
	free(l);
	return r ? XM_EXIT_FAIL : XM_EXIT_OK;
}

static int cert_verify(struct ctx *ctx, int argc, char **argv)
{
	struct xm_cert auth, c;
	struct xm_crl *l = NULL;
	enum xm_cert_reason r;
	struct cert_args a;
	struct out *o = &ctx->out;
	char t[32];
	bool exists;
	int ret;

	ret = parse_cert_args("cert verify",
			      KW(KW_FILE) | KW(KW_AUTH) | KW(KW_CRL) |
			      KW(KW_KIND),
			      KW(KW_FILE) | KW(KW_AUTH), argc, argv, &a);
	if (ret)
		return xm_status(ret);
	ret = read_cert("authority", a.path[KW_AUTH], XM_CERT_AUTHORITY, &auth);
	if (ret)
		return ret;
	if (a.path[KW_CRL]) {
		l = malloc(sizeof(*l));
		ret = l ? read_crl(a.path[KW_CRL], false, l, &exists) :
			  XM_EXIT_FAIL;
		if (ret) {
			free(l);
			return ret;
		}
	}
	ret = read_cert("certificate", a.path[KW_FILE], 0, &c);
	if (ret) {
		free(l);
		return ret;
	}
	r = xm_cert_verify(&c, a.kind, &auth, l, now_s());
	free(l);
	out_obj_begin(o, NULL);
	out_str(o, "file", "", a.path[KW_FILE]);
	out_text(o, ":");
	out_str(o, "result", "", xm_cert_reason_name(r));
	out_bool(o, "valid", NULL, !r);
	if (r)
		out_text(o, " (%s)", xm_cert_reason_text(r));
	else if (c.kind == XM_CERT_NODE)
		out_text(o, " (node %u of site %s, until %s)", c.node_id,
			 c.site, utc(c.not_after, t, sizeof(t)));
	else
		out_text(o, " (%s of site %s, until %s)",
			 xm_cert_kind_name(c.kind), c.site,
			 utc(c.not_after, t, sizeof(t)));
	out_nl(o);
	out_obj_end(o);
	return r ? XM_EXIT_FAIL : XM_EXIT_OK;
}

static int cert_revoke(struct ctx *ctx, int argc, char **argv)
{
	uint8_t sk[XM_SECKEY_LEN];
	char *text = NULL;
	uint64_t now = now_s();
	struct xm_crl *l;
	struct xm_cert auth;
	enum xm_cert_reason r;
	struct cert_args a;
	unsigned int i;
	bool exists;
	int ret, err;

	(void)ctx;
	ret = parse_cert_args("cert revoke",
			      KW(KW_AUTH_KEY) | KW(KW_AUTH) | KW(KW_SERIAL) |
			      KW(KW_CRL),
			      KW(KW_AUTH_KEY) | KW(KW_AUTH) | KW(KW_SERIAL) |
			      KW(KW_CRL), argc, argv, &a);
	if (ret)
		return xm_status(ret);
	if (!strcmp(a.path[KW_CRL], "-")) {
		pr_err("the revocation list is a file: it is read and updated.");
		return XM_EXIT_USAGE;
	}
	l = malloc(sizeof(*l));
	if (!l)
		return XM_EXIT_FAIL;
	ret = open_authority(&a, &auth, sk, now);
	if (!ret)
		ret = read_crl(a.path[KW_CRL], true, l, &exists);
	if (ret)
		goto out;
	r = exists ? xm_crl_verify(l, &auth, now) : XM_CERT_OK;
	if (r) {
		pr_err("revocation list %s: %s (%s): not this authority's list.",
		       a.path[KW_CRL], xm_cert_reason_name(r),
		       xm_cert_reason_text(r));
		ret = XM_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < a.n_serials; i++) {
		if (a.serials[i] == auth.serial) {
			pr_err("serial %llu is the authority's own certificate: create a new authority instead.",
			       (unsigned long long)a.serials[i]);
			ret = XM_EXIT_FAIL;
			goto out;
		}
		err = xm_crl_add(l, a.serials[i]);
		if (err) {
			if (err == -EEXIST)
				pr_err("serial %llu is revoked already.",
				       (unsigned long long)a.serials[i]);
			else
				pr_err("the list is full (%d serials).",
				       XM_CRL_SERIALS_MAX);
			ret = XM_EXIT_FAIL;
			goto out;
		}
	}
	/* Each list the authority issues is newer than the last. */
	l->version++;
	l->issued = now;
	memcpy(l->site, auth.site, sizeof(l->site));
	text = malloc(XM_CRL_TEXT_MAX);
	if (!text || xm_crl_sign(l, sk) ||
	    !xm_crl_text(l, text, XM_CRL_TEXT_MAX)) {
		pr_err("cannot sign the revocation list.");
		ret = XM_EXIT_FAIL;
		goto out;
	}
	ret = write_file("revocation list", a.path[KW_CRL], text, strlen(text),
			 0644, true);
out:
	sodium_memzero(sk, sizeof(sk));
	free(text);
	free(l);
	return ret;
}

static const struct cmd cert_cmds[] = {
	{ "authority", NULL, cert_authority, CMD_GROUP },
	{ "key", NULL, cert_key, CMD_GROUP },
	{ "sign", NULL, cert_sign, CMD_RUN },
	{ "show", "list ls", cert_show, CMD_RUN },
	{ "verify", NULL, cert_verify, CMD_RUN },
	{ "revoke", NULL, cert_revoke, CMD_RUN },
	{ NULL, NULL, NULL, CMD_RUN },
};

int do_cert(struct ctx *c, int argc, char **argv)
{
	if (sodium_init() < 0) {
		pr_err("libsodium failed to initialise.");
		return XM_EXIT_FAIL;
	}
	return cmd_dispatch(c, cert_cmds, "cert command", NULL, usage_cert,
			    argc, argv);
}
