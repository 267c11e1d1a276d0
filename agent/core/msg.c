// SPDX-License-Identifier: GPL-2.0
/*
 * Encoding and decoding of the agent messages (msg.h): every read is
 * bounds-checked against the TLV it belongs to, every write against the
 * buffer, and the tag is verified before a single body byte is looked at.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "msg.h"
#include "mcast.h"
#include "wire.h"

/* A bounded read cursor over one TLV value (or the body). */
struct rd {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static const uint8_t *rd_take(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

static uint8_t rd8(struct rd *r)
{
	const uint8_t *p = rd_take(r, 1);

	return p ? p[0] : 0;
}

static uint16_t rd16(struct rd *r)
{
	const uint8_t *p = rd_take(r, 2);

	return p ? xm_get16(p) : 0;
}

static uint32_t rd32(struct rd *r)
{
	const uint8_t *p = rd_take(r, 4);

	return p ? xm_get32(p) : 0;
}

static size_t rd_left(const struct rd *r)
{
	return r->len - r->off;
}

/*
 * The next TLV of r: 1 and *type (mandatory bit kept), *val filled; 0 at
 * the end; -EBADMSG if a TLV header or value overruns.
 */
static int rd_tlv(struct rd *r, uint16_t *type, struct rd *val)
{
	const uint8_t *h, *v;
	uint16_t len;

	if (!rd_left(r))
		return 0;
	h = rd_take(r, XM_TLV_HDR_LEN);
	if (!h)
		return -EBADMSG;
	len = xm_get16(h + 2);
	v = rd_take(r, len);
	if (!v)
		return -EBADMSG;
	*type = xm_get16(h);
	*val = (struct rd){ .p = v, .len = len };
	return 1;
}

/* An unknown TLV: skipped, unless the sender marked it mandatory. */
static int unknown_tlv(uint16_t type)
{
	return type & XM_TLV_MANDATORY ? -EBADMSG : 0;
}

/* ---- capabilities ---- */

bool xm_caps_valid(const struct xm_caps *c)
{
	unsigned int i;

	if (!xm_wire_name_valid(c->name, true) || !xm_wire_name_valid(c->zone, true) ||
	    c->n_roles > XM_ROLE_MAX)
		return false;
	for (i = 0; i < c->n_roles; i++)
		if (!xm_wire_name_valid(c->roles[i], false))
			return false;
	return true;
}

static void name_sanitize(char *s)
{
	size_t i;

	s[XM_NAME_MAX - 1] = '\0';
	for (i = 0; s[i]; i++)
		if (!xm_wire_name_char_ok((uint8_t)s[i]))
			s[i] = '_';
	memset(s + i, 0, XM_NAME_MAX - i);
}

void xm_caps_sanitize(struct xm_caps *c)
{
	unsigned int i, n = 0;

	name_sanitize(c->name);
	name_sanitize(c->zone);
	if (c->n_roles > XM_ROLE_MAX)
		c->n_roles = XM_ROLE_MAX;
	for (i = 0; i < c->n_roles; i++) {
		name_sanitize(c->roles[i]);
		if (c->roles[i][0] && n != i)
			memcpy(c->roles[n], c->roles[i], XM_NAME_MAX);
		if (c->roles[i][0])
			n++;
	}
	for (i = n; i < XM_ROLE_MAX; i++)
		memset(c->roles[i], 0, XM_NAME_MAX);
	c->n_roles = n;
}

static bool rd_name(struct rd *r, char *out, bool may_be_empty)
{
	uint8_t n = rd8(r);
	const uint8_t *p;
	unsigned int i;

	memset(out, 0, XM_NAME_MAX);
	if (n >= XM_NAME_MAX || (!n && !may_be_empty))
		return false;
	p = rd_take(r, n);
	if (!p)
		return false;
	for (i = 0; i < n; i++)
		if (!xm_wire_name_char_ok(p[i]))
			return false;
	memcpy(out, p, n);
	return true;
}

static int caps_decode(struct rd *r, struct xm_caps *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->cpu_cores = rd16(r);
	c->cpu_load = rd16(r);
	c->mem_total_mb = rd32(r);
	c->mem_free_mb = rd32(r);
	c->disk_total_gb = rd32(r);
	c->disk_free_gb = rd32(r);
	if (!rd_name(r, c->name, true) || !rd_name(r, c->zone, true))
		return -EBADMSG;
	c->n_roles = rd8(r);
	if (r->bad || c->n_roles > XM_ROLE_MAX)
		return -EBADMSG;
	for (i = 0; i < c->n_roles; i++)
		if (!rd_name(r, c->roles[i], false))
			return -EBADMSG;
	/* Bytes past the fields known: a later version's, ignored. */
	return r->bad ? -EBADMSG : 0;
}

_Static_assert(XM_MSG_TAG_LEN == 16 &&
	       crypto_auth_hmacsha256_BYTES >= XM_MSG_TAG_LEN,
	       "the tag is compared with crypto_verify_16()");

void xm_msg_tag(uint8_t tag[XM_MSG_TAG_LEN], const void *p, size_t len,
		const uint8_t key[XM_SITE_KEY_LEN])
{
	uint8_t full[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256(full, p, len, key);
	memcpy(tag, full, XM_MSG_TAG_LEN);
}

/* ---- receiving ---- */

enum xm_msg_err xm_msg_open(const void *buf, size_t len,
			    const uint8_t key[XM_SITE_KEY_LEN],
			    struct xm_msg *m)
{
	const uint8_t *p = buf;
	uint8_t tag[XM_MSG_TAG_LEN];
	size_t signed_len;

	if (len < XM_MSG_MIN_LEN || len > XM_PDU_MAX ||
	    xm_get16(p) != XM_MSG_MAGIC)
		return XM_MSG_MALFORMED;
	/* A later version may authenticate otherwise: not a "bad tag". */
	if (p[2] != XM_MSG_VERSION)
		return XM_MSG_BAD_VERSION;
	signed_len = len - XM_MSG_TAG_LEN;
	xm_msg_tag(tag, p, signed_len, key);
	if (crypto_verify_16(tag, p + signed_len))
		return XM_MSG_BAD_AUTH;
	if (xm_get16(p + 6) != len)
		return XM_MSG_MALFORMED;
	m->hdr.version = p[2];
	m->hdr.type = p[3];
	m->hdr.flags = xm_get16(p + 4);
	m->hdr.len = (uint16_t)len;
	m->hdr.sender = xm_get32(p + 8);
	m->hdr.seq = xm_get64(p + 12);
	if (!m->hdr.sender)
		return XM_MSG_MALFORMED;
	m->body = p + XM_MSG_HDR_LEN;
	m->body_len = signed_len - XM_MSG_HDR_LEN;
	return XM_MSG_OK;
}

static struct rd body_rd(const struct xm_msg *m)
{
	return (struct rd){ .p = m->body, .len = m->body_len };
}

int xm_hello_decode(const struct xm_msg *m, struct xm_hello *h)
{
	struct rd r = body_rd(m), v;
	bool params = false;
	uint16_t type;
	int ret;

	memset(h, 0, sizeof(*h));
	if (m->hdr.type != XM_MSG_HELLO)
		return -EBADMSG;
	while ((ret = rd_tlv(&r, &type, &v)) > 0) {
		switch (type & ~XM_TLV_MANDATORY) {
		case XM_TLV_HELLO_PARAMS:
			if (params || v.len < XM_HELLO_PARAMS_LEN)
				return -EBADMSG;
			params = true;
			h->hello_ms = rd32(&v);
			h->dead_ms = rd32(&v);
			h->data_port = rd16(&v);
			if (!h->hello_ms || !h->dead_ms || !h->data_port)
				return -EBADMSG;
			break;
		case XM_TLV_HEARD:
			if (v.len % 4 ||
			    v.len / 4 > XM_HELLO_HEARD_MAX - h->n_heard)
				return -EBADMSG;
			while (rd_left(&v)) {
				uint32_t id = rd32(&v);

				if (!id)
					return -EBADMSG;
				h->heard[h->n_heard++] = id;
			}
			break;
		case XM_TLV_CAPS:
			if (h->has_caps || caps_decode(&v, &h->caps))
				return -EBADMSG;
			h->has_caps = true;
			break;
		case XM_TLV_PUBKEY:
			if (h->has_pubkey || v.len != XM_PUBKEY_LEN)
				return -EBADMSG;
			memcpy(h->pubkey, v.p, XM_PUBKEY_LEN);
			h->has_pubkey = true;
			break;
		default:
			if (unknown_tlv(type))
				return -EBADMSG;
		}
	}
	return ret < 0 || !params ? -EBADMSG : 0;
}

static int prefixes_decode(struct rd *v, struct xm_advert *a)
{
	while (rd_left(v)) {
		struct xm_prefix4or6 *p;
		uint8_t fam = rd8(v), len = rd8(v);
		const uint8_t *addr;
		size_t alen;

		if (a->n_prefixes == XM_PREFIX_MAX)
			return -EBADMSG;
		p = &a->prefixes[a->n_prefixes];
		memset(p, 0, sizeof(*p));
		p->addr.family = fam == 4 ? AF_INET : fam == 6 ? AF_INET6 : 0;
		alen = xm_addr_len(p->addr.family);
		addr = rd_take(v, alen);
		if (!alen || !addr || len > xm_addr_bits(p->addr.family))
			return -EBADMSG;
		memcpy(p->addr.raw, addr, alen);
		p->len = len;
		if (xm_addr_has_host_bits(&p->addr, len))
			return -EBADMSG;
		a->n_prefixes++;
	}
	return 0;
}

/*
 * PREFIX_PRIO: (family u8, len u8, priority u16, address) per probed
 * export; each names a prefix of the PREFIXES TLV, which an older agent
 * reads alone as plain prefixes. Decoded after all the advert's TLVs.
 */
static int prefix_prio_decode(struct rd *v, struct xm_advert *a)
{
	while (rd_left(v)) {
		struct xm_addr addr = { 0 };
		uint8_t fam = rd8(v), len = rd8(v);
		uint16_t prio = rd16(v);
		const uint8_t *raw;
		unsigned int i;

		addr.family = fam == 4 ? AF_INET : fam == 6 ? AF_INET6 : 0;
		raw = rd_take(v, xm_addr_len(addr.family));
		if (!addr.family || !raw || !prio)
			return -EBADMSG;
		memcpy(addr.raw, raw, xm_addr_len(addr.family));
		for (i = 0; i < a->n_prefixes; i++)
			if (xm_prefix_eq(&a->prefixes[i].addr,
					 a->prefixes[i].len, &addr, len))
				break;
		if (i == a->n_prefixes || a->prefix_prio[i])
			return -EBADMSG;	/* none, or twice */
		a->prefix_prio[i] = prio;
	}
	return 0;
}

/* Each group: flags u8, family u8 (4 or 6), the address. */
static int mgroups_decode(struct rd *v, struct xm_advert *a)
{
	while (rd_left(v)) {
		struct xm_mgroup *g;
		uint8_t flags = rd8(v), fam = rd8(v);
		const uint8_t *addr;
		size_t alen;

		if (a->n_mgroups == XM_MGROUP_MAX)
			return -EBADMSG;
		g = &a->mgroups[a->n_mgroups];
		memset(g, 0, sizeof(*g));
		g->flags = flags;
		g->group.family = fam == 4 ? AF_INET : fam == 6 ? AF_INET6 : 0;
		alen = xm_addr_len(g->group.family);
		addr = rd_take(v, alen);
		if (!alen || !addr)
			return -EBADMSG;
		memcpy(g->group.raw, addr, alen);
		a->n_mgroups++;
	}
	return xm_mgroups_check(a->mgroups, a->n_mgroups) ? -EBADMSG : 0;
}

static int adjs_decode(struct rd *v, struct xm_advert *a)
{
	if (v->len % XM_ADJ_LEN ||
	    v->len / XM_ADJ_LEN > XM_ADVERT_ADJ_MAX - a->n_adj)
		return -EBADMSG;
	while (rd_left(v)) {
		struct xm_adj *j = &a->adj[a->n_adj];

		j->node = rd32(v);
		j->metric = rd32(v);
		j->rtt_us = rd32(v);
		j->loss_ppm = rd32(v);
		j->bandwidth_mbps = rd32(v);
		if (!j->node || !j->metric || j->loss_ppm > 1000000 ||
		    j->node == a->originator)
			return -EBADMSG;
		a->n_adj++;
	}
	return 0;
}

/* Keep an unknown TLV (header h, value v) that was the advert's idx-th. */
static void unknown_keep(struct xm_advert *a, const uint8_t *h,
			 const struct rd *v, unsigned int idx)
{
	size_t n = XM_TLV_HDR_LEN + v->len;

	if (a->n_unknown == XM_ADVERT_UNKNOWN_TLVS ||
	    n > (size_t)XM_ADVERT_UNKNOWN_MAX - a->unknown_len || idx > UINT8_MAX) {
		a->unknown_dropped = true;
		return;
	}
	memcpy(a->unknown + a->unknown_len, h, n);
	a->unknown_len += (uint16_t)n;
	a->unknown_at[a->n_unknown++] = (uint8_t)idx;
}

static int advert_decode(struct rd *r, struct xm_advert *a)
{
	bool caps = false, prefixes = false, adjs = false, prio = false;
	bool mgroups = false;
	struct rd v, prio_v = { 0 };
	unsigned int idx;
	uint16_t type;
	int ret;

	memset(a, 0, sizeof(*a));
	a->originator = rd32(r);
	a->seq = rd32(r);
	a->age_s = rd16(r);
	rd16(r);		/* reserved */
	if (r->bad || !a->originator || !a->seq)
		return -EBADMSG;
	for (idx = 0; (ret = rd_tlv(r, &type, &v)) > 0; idx++) {
		switch (type & ~XM_TLV_MANDATORY) {
		case XM_TLV_CAPS:
			if (caps || caps_decode(&v, &a->caps))
				return -EBADMSG;
			caps = true;
			break;
		case XM_TLV_PREFIXES:
			if (prefixes || prefixes_decode(&v, a))
				return -EBADMSG;
			prefixes = true;
			break;
		case XM_TLV_ADJS:
			if (adjs || adjs_decode(&v, a))
				return -EBADMSG;
			adjs = true;
			break;
		case XM_TLV_PREFIX_PRIO:
			if (prio)
				return -EBADMSG;
			prio_v = v;
			prio = true;
			break;
		case XM_TLV_MGROUPS:
			if (mgroups || mgroups_decode(&v, a))
				return -EBADMSG;
			mgroups = true;
			break;
		case XM_TLV_ORIGIN_GEN:
			if (a->has_origin_gen || v.len != 8)
				return -EBADMSG;
			a->origin_gen = xm_get64(v.p);
			a->has_origin_gen = true;
			break;
		case XM_TLV_ADVERT_CERT:
			if (a->cert_len || !v.len || v.len > XM_CERT_MAX)
				return -EBADMSG;
			a->cert = v.p;
			a->cert_len = (uint16_t)v.len;
			break;
		case XM_TLV_ADVERT_SIG:
			/* The last TLV: what precedes it is what was signed. */
			if (v.len != XM_SIG_LEN || rd_left(r))
				return -EBADMSG;
			memcpy(a->sig, v.p, XM_SIG_LEN);
			a->has_sig = true;
			break;
		default:
			if (unknown_tlv(type))
				return -EBADMSG;
			unknown_keep(a, v.p - XM_TLV_HDR_LEN, &v, idx);
		}
	}
	if (ret < 0 || (prio && prefix_prio_decode(&prio_v, a)))
		return -EBADMSG;
	return 0;
}

int xm_lsu_next(const struct xm_msg *m, size_t *off, struct xm_advert *a)
{
	struct rd r = body_rd(m), v;
	uint16_t type;
	int ret;

	if (m->hdr.type != XM_MSG_LSU || *off > m->body_len)
		return -EBADMSG;
	r.off = *off;
	while ((ret = rd_tlv(&r, &type, &v)) > 0) {
		*off = r.off;
		if ((type & ~XM_TLV_MANDATORY) == XM_TLV_ADVERT)
			return advert_decode(&v, a) ? -EBADMSG : 1;
		if (unknown_tlv(type))
			return -EBADMSG;
	}
	return ret;
}

int xm_lsu_check(const struct xm_msg *m, struct xm_advert *scratch)
{
	size_t off = 0;
	int n = 0, ret;

	while ((ret = xm_lsu_next(m, &off, scratch)) > 0)
		n++;
	return ret < 0 ? ret : n;
}

int xm_lsack_decode(const struct xm_msg *m, struct xm_ack *acks)
{
	struct rd r = body_rd(m), v;
	uint16_t type;
	int n = 0, ret;

	if (m->hdr.type != XM_MSG_LSACK)
		return -EBADMSG;
	while ((ret = rd_tlv(&r, &type, &v)) > 0) {
		if ((type & ~XM_TLV_MANDATORY) != XM_TLV_ACKS) {
			if (unknown_tlv(type))
				return -EBADMSG;
			continue;
		}
		if (v.len % XM_ACK_LEN ||
		    v.len / XM_ACK_LEN > (size_t)(XM_LSACK_MAX - n))
			return -EBADMSG;
		while (rd_left(&v)) {
			acks[n].originator = rd32(&v);
			acks[n].seq = rd32(&v);
			if (!acks[n].originator || !acks[n].seq)
				return -EBADMSG;
			n++;
		}
	}
	return ret < 0 ? ret : n;
}

/* ---- sending ---- */

struct xm_advert *xm_advert_alloc(unsigned int n)
{
	return calloc(1, xm_advert_size(n));
}

size_t xm_advert_size(unsigned int n_adj)
{
	return sizeof(struct xm_advert) + (size_t)n_adj * sizeof(struct xm_adj);
}

struct xm_advert *xm_advert_dup(const struct xm_advert *a)
{
	size_t n = xm_advert_size(a->n_adj);
	struct xm_advert *copy = malloc(n + a->cert_len);
	uint8_t *cert = (uint8_t *)copy + n;

	if (!copy)
		return NULL;
	memcpy(copy, a, n);
	if (a->cert_len)
		memcpy(cert, a->cert, a->cert_len);
	copy->cert = a->cert_len ? cert : NULL;
	return copy;
}

void xm_msg_begin(struct xm_msg_writer *w, uint8_t *buf, size_t cap,
		  enum xm_msg_type type, uint16_t flags, uint32_t sender,
		  uint64_t seq)
{
	*w = (struct xm_msg_writer){ .buf = buf, .cap = cap };
	if (cap > XM_PDU_MAX)
		w->cap = XM_PDU_MAX;
	if (w->cap < XM_MSG_MIN_LEN) {
		w->cap = 0;	/* every put fails, finish says -EMSGSIZE */
		return;
	}
	xm_put16(buf, XM_MSG_MAGIC);
	buf[2] = XM_MSG_VERSION;
	buf[3] = (uint8_t)type;
	xm_put16(buf + 4, flags);
	xm_put16(buf + 6, 0);
	xm_put32(buf + 8, sender);
	xm_put64(buf + 12, seq);
	w->len = XM_MSG_HDR_LEN;
}

void xm_msg_set_flags(struct xm_msg_writer *w, uint16_t flags)
{
	if (w->cap)
		xm_put16(w->buf + 4, flags);
}

/* Room for n more bytes, keeping the tag's. */
static bool room(const struct xm_msg_writer *w, size_t n)
{
	return w->cap && w->len + n + XM_MSG_TAG_LEN <= w->cap;
}

int xm_msg_finish(struct xm_msg_writer *w, const uint8_t key[XM_SITE_KEY_LEN])
{
	if (!room(w, 0))
		return -EMSGSIZE;
	xm_put16(w->buf + 6, (uint16_t)(w->len + XM_MSG_TAG_LEN));
	xm_msg_tag(w->buf + w->len, w->buf, w->len, key);
	w->len += XM_MSG_TAG_LEN;
	return (int)w->len;
}

/* A TLV header at the end; the caller has checked the room. */
static uint8_t *put_tlv(struct xm_msg_writer *w, uint16_t type, size_t len)
{
	uint8_t *p = w->buf + w->len;

	xm_put16(p, type);
	xm_put16(p + 2, (uint16_t)len);
	w->len += XM_TLV_HDR_LEN + len;
	return p + XM_TLV_HDR_LEN;
}

static size_t caps_len(const struct xm_caps *c)
{
	size_t n = XM_CAPS_FIXED_LEN + 3;
	unsigned int i;

	n += strlen(c->name) + strlen(c->zone);
	for (i = 0; i < c->n_roles; i++)
		n += 1 + strlen(c->roles[i]);
	return n;
}

static uint8_t *put_name(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	*p++ = (uint8_t)n;
	memcpy(p, s, n);
	return p + n;
}

static void caps_put(uint8_t *p, const struct xm_caps *c)
{
	unsigned int i;

	xm_put16(p, c->cpu_cores);
	xm_put16(p + 2, c->cpu_load);
	xm_put32(p + 4, c->mem_total_mb);
	xm_put32(p + 8, c->mem_free_mb);
	xm_put32(p + 12, c->disk_total_gb);
	xm_put32(p + 16, c->disk_free_gb);
	p = put_name(p + XM_CAPS_FIXED_LEN, c->name);
	p = put_name(p, c->zone);
	*p++ = (uint8_t)c->n_roles;
	for (i = 0; i < c->n_roles; i++)
		p = put_name(p, c->roles[i]);
}

int xm_hello_put(struct xm_msg_writer *w, const struct xm_hello *h)
{
	size_t need, clen;
	uint8_t *p;
	unsigned int i;

	/* Valid before measured: the lengths trust the names and counts. */
	if (h->n_heard > XM_HELLO_HEARD_MAX || !xm_caps_valid(&h->caps) ||
	    !h->hello_ms || !h->dead_ms || !h->data_port)
		return -EINVAL;
	clen = caps_len(&h->caps);
	need = XM_TLV_HDR_LEN + XM_HELLO_PARAMS_LEN +
	       XM_TLV_HDR_LEN + 4 * h->n_heard +
	       (h->has_caps ? XM_TLV_HDR_LEN + clen : 0) +
	       (h->has_pubkey ? XM_TLV_HDR_LEN + XM_PUBKEY_LEN : 0);
	if (!room(w, need))
		return -EMSGSIZE;
	p = put_tlv(w, XM_TLV_HELLO_PARAMS, XM_HELLO_PARAMS_LEN);
	xm_put32(p, h->hello_ms);
	xm_put32(p + 4, h->dead_ms);
	xm_put16(p + 8, h->data_port);
	xm_put16(p + 10, 0);
	p = put_tlv(w, XM_TLV_HEARD, 4 * h->n_heard);
	for (i = 0; i < h->n_heard; i++)
		xm_put32(p + 4 * i, h->heard[i]);
	if (h->has_caps)
		caps_put(put_tlv(w, XM_TLV_CAPS, clen), &h->caps);
	if (h->has_pubkey)
		memcpy(put_tlv(w, XM_TLV_PUBKEY, XM_PUBKEY_LEN), h->pubkey,
		       XM_PUBKEY_LEN);
	return 0;
}

static size_t prefixes_len(const struct xm_advert *a)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < a->n_prefixes; i++)
		n += 2 + xm_addr_len(a->prefixes[i].addr.family);
	return n;
}

/* The PREFIX_PRIO TLV's value: 2 more bytes per export than PREFIXES. */
static size_t prefix_prio_len(const struct xm_advert *a)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < a->n_prefixes; i++)
		if (a->prefix_prio[i])
			n += 4 + xm_addr_len(a->prefixes[i].addr.family);
	return n;
}

static size_t mgroups_len(const struct xm_advert *a)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < a->n_mgroups; i++)
		n += 2 + xm_addr_len(a->mgroups[i].group.family);
	return n;
}

/* The advert's bytes, with its SIG TLV (if it has one) or without. */
static size_t advert_len(const struct xm_advert *a, bool sig)
{
	size_t prio = prefix_prio_len(a);

	return XM_TLV_HDR_LEN + XM_ADVERT_HDR_LEN +
	       XM_TLV_HDR_LEN + caps_len(&a->caps) +
	       (a->n_prefixes ? XM_TLV_HDR_LEN + prefixes_len(a) : 0) +
	       (prio ? XM_TLV_HDR_LEN + prio : 0) +
	       (a->n_mgroups ? XM_TLV_HDR_LEN + mgroups_len(a) : 0) +
	       (a->n_adj ? XM_TLV_HDR_LEN + (size_t)a->n_adj * XM_ADJ_LEN : 0) +
	       (a->has_origin_gen ? XM_TLV_HDR_LEN + 8 : 0) +
	       a->unknown_len +
	       (a->cert_len ? XM_TLV_HDR_LEN + a->cert_len : 0) +
	       (sig ? XM_TLV_HDR_LEN + XM_SIG_LEN : 0);
}

size_t xm_advert_wire_len(const struct xm_advert *a)
{
	return advert_len(a, a->has_sig);
}

/* Bytes of the kept unknown TLV at off in a->unknown (whole: checked). */
static size_t unknown_tlv_len(const struct xm_advert *a, size_t off)
{
	return XM_TLV_HDR_LEN + xm_get16(a->unknown + off + 2);
}

/* The kept unknown TLVs are a whole number of TLVs within the bounds. */
static bool unknown_valid(const struct xm_advert *a)
{
	size_t off = 0;
	unsigned int i;

	if (a->n_unknown > XM_ADVERT_UNKNOWN_TLVS ||
	    a->unknown_len > XM_ADVERT_UNKNOWN_MAX)
		return false;
	for (i = 0; i < a->n_unknown; i++) {
		if (a->unknown_len - off < XM_TLV_HDR_LEN ||
		    unknown_tlv_len(a, off) > a->unknown_len - off)
			return false;
		off += unknown_tlv_len(a, off);
	}
	return off == a->unknown_len;
}

/* Where re-encoding an advert stands: TLVs written, the next unknown. */
struct unknown_cursor {
	unsigned int written, i;
	size_t off;
};

/*
 * Writes the kept unknown TLVs that had no more TLVs before them than
 * are written now (all that are left if all), then counts the known TLV
 * the caller writes next (unless all).
 */
static void unknown_put(struct xm_msg_writer *w, const struct xm_advert *a,
			struct unknown_cursor *u, bool all)
{
	for (; u->i < a->n_unknown &&
	       (all || a->unknown_at[u->i] <= u->written); u->i++) {
		size_t n = unknown_tlv_len(a, u->off);

		memcpy(w->buf + w->len, a->unknown + u->off, n);
		w->len += n;
		u->off += n;
		u->written++;
	}
	u->written++;
}

static bool advert_valid(const struct xm_advert *a)
{
	unsigned int i;

	if (!a->originator || !a->seq || a->n_prefixes > XM_PREFIX_MAX ||
	    a->cert_len > XM_CERT_MAX || (a->cert_len && !a->cert) ||
	    a->n_adj > XM_ADVERT_ADJ_MAX || !xm_caps_valid(&a->caps) ||
	    xm_mgroups_check(a->mgroups, a->n_mgroups) || !unknown_valid(a))
		return false;
	for (i = 0; i < a->n_prefixes; i++) {
		const struct xm_prefix4or6 *p = &a->prefixes[i];

		if (!xm_addr_len(p->addr.family) ||
		    p->len > xm_addr_bits(p->addr.family) ||
		    xm_addr_has_host_bits(&p->addr, p->len))
			return false;
	}
	for (i = 0; i < a->n_adj; i++)
		if (!a->adj[i].node || !a->adj[i].metric ||
		    a->adj[i].loss_ppm > 1000000 ||
		    a->adj[i].node == a->originator)
			return false;
	return true;
}

/* xm_lsu_put(), with the SIG TLV (if the advert has one) or without. */
static int advert_put(struct xm_msg_writer *w, const struct xm_advert *a,
		      uint16_t age_s, bool sig)
{
	struct unknown_cursor u = { 0 };
	unsigned int i;
	size_t need;
	uint8_t *p;

	/* Valid before measured: the lengths trust the names and counts. */
	if (!advert_valid(a))
		return -EINVAL;
	need = advert_len(a, sig);
	if (!room(w, need))
		return -EMSGSIZE;
	p = put_tlv(w, XM_TLV_ADVERT, XM_ADVERT_HDR_LEN);
	/* The advert's own TLVs follow inside its value. */
	xm_put16(p - 2, (uint16_t)(need - XM_TLV_HDR_LEN));
	xm_put32(p, a->originator);
	xm_put32(p + 4, a->seq);
	xm_put16(p + 8, age_s);
	xm_put16(p + 10, 0);
	unknown_put(w, a, &u, false);
	caps_put(put_tlv(w, XM_TLV_CAPS, caps_len(&a->caps)), &a->caps);
	if (a->n_prefixes) {
		unknown_put(w, a, &u, false);
		p = put_tlv(w, XM_TLV_PREFIXES, prefixes_len(a));
		for (i = 0; i < a->n_prefixes; i++) {
			const struct xm_prefix4or6 *x = &a->prefixes[i];
			size_t alen = xm_addr_len(x->addr.family);

			*p++ = x->addr.family == AF_INET ? 4 : 6;
			*p++ = x->len;
			memcpy(p, x->addr.raw, alen);
			p += alen;
		}
	}
	if (prefix_prio_len(a)) {
		unknown_put(w, a, &u, false);
		p = put_tlv(w, XM_TLV_PREFIX_PRIO, prefix_prio_len(a));
		for (i = 0; i < a->n_prefixes; i++) {
			const struct xm_prefix4or6 *x = &a->prefixes[i];
			size_t alen = xm_addr_len(x->addr.family);

			if (!a->prefix_prio[i])
				continue;
			*p++ = x->addr.family == AF_INET ? 4 : 6;
			*p++ = x->len;
			xm_put16(p, a->prefix_prio[i]);
			memcpy(p + 2, x->addr.raw, alen);
			p += 2 + alen;
		}
	}
	if (a->n_mgroups) {
		unknown_put(w, a, &u, false);
		p = put_tlv(w, XM_TLV_MGROUPS, mgroups_len(a));
		for (i = 0; i < a->n_mgroups; i++) {
			const struct xm_mgroup *g = &a->mgroups[i];
			size_t alen = xm_addr_len(g->group.family);

			*p++ = g->flags;
			*p++ = g->group.family == AF_INET ? 4 : 6;
			memcpy(p, g->group.raw, alen);
			p += alen;
		}
	}
	if (a->n_adj) {
		unknown_put(w, a, &u, false);
		p = put_tlv(w, XM_TLV_ADJS, (size_t)a->n_adj * XM_ADJ_LEN);
		for (i = 0; i < a->n_adj; i++, p += XM_ADJ_LEN) {
			xm_put32(p, a->adj[i].node);
			xm_put32(p + 4, a->adj[i].metric);
			xm_put32(p + 8, a->adj[i].rtt_us);
			xm_put32(p + 12, a->adj[i].loss_ppm);
			xm_put32(p + 16, a->adj[i].bandwidth_mbps);
		}
	}
	if (a->has_origin_gen) {
		unknown_put(w, a, &u, false);
		xm_put64(put_tlv(w, XM_TLV_ORIGIN_GEN, 8), a->origin_gen);
	}
	unknown_put(w, a, &u, true);
	if (a->cert_len)
		memcpy(put_tlv(w, XM_TLV_ADVERT_CERT, a->cert_len), a->cert,
		       a->cert_len);
	if (sig)
		memcpy(put_tlv(w, XM_TLV_ADVERT_SIG, XM_SIG_LEN), a->sig,
		       XM_SIG_LEN);
	w->n_items++;
	return 0;
}

int xm_lsu_put(struct xm_msg_writer *w, const struct xm_advert *a,
	       uint16_t age_s)
{
	return advert_put(w, a, age_s, a->has_sig);
}

size_t xm_advert_sig_input(const struct xm_advert *a,
			   uint8_t out[XM_ADVERT_SIG_INPUT_MAX])
{
	const size_t ctx = sizeof(XM_ADVERT_SIG_CONTEXT);
	const size_t value = XM_MSG_HDR_LEN + XM_TLV_HDR_LEN;
	uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;
	size_t n;

	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 1, 1);
	if (advert_put(&w, a, 0, false))
		return 0;
	n = w.len - value;
	memcpy(out, XM_ADVERT_SIG_CONTEXT, ctx);
	memcpy(out + ctx, buf + value, n);
	return ctx + n;
}

int xm_lsack_put(struct xm_msg_writer *w, uint32_t originator, uint32_t seq)
{
	uint8_t *tlv;

	if (!originator || !seq)
		return -EINVAL;
	/* Pairs extend the open ACKS TLV; a new one only at the start. */
	if (!w->acks_tlv) {
		if (!room(w, XM_TLV_HDR_LEN + XM_ACK_LEN))
			return -EMSGSIZE;
		w->acks_tlv = w->len;
		put_tlv(w, XM_TLV_ACKS, 0);
	} else if (!room(w, XM_ACK_LEN)) {
		return -EMSGSIZE;
	}
	tlv = w->buf + w->acks_tlv;
	xm_put32(w->buf + w->len, originator);
	xm_put32(w->buf + w->len + 4, seq);
	w->len += XM_ACK_LEN;
	xm_put16(tlv + 2, (uint16_t)(xm_get16(tlv + 2) + XM_ACK_LEN));
	w->n_items++;
	return 0;
}

/* ---- the key exchange ---- */

bool xm_kx_msg_len_ok(uint8_t step, size_t len)
{
	const size_t payload_min = XM_KX_PAYLOAD_HDR + XM_KX_CERT_MIN +
				   XM_KX_AEAD_TAG;
	const size_t payload_max = XM_KX_PAYLOAD_MAX + XM_KX_AEAD_TAG;
	const size_t s = XM_KX_DH_LEN + XM_KX_AEAD_TAG;

	switch (step) {
	case XM_KX_INIT:
		return len == XM_KX_DH_LEN;
	case XM_KX_RESP:
		return len >= XM_KX_DH_LEN + s + payload_min &&
		       len <= XM_KX_DH_LEN + s + payload_max;
	case XM_KX_FINISH:
		return len >= s + payload_min && len <= s + payload_max;
	case XM_KX_CONFIRM:
		return len == XM_KX_AEAD_TAG;
	default:
		return false;
	}
}

int xm_kx_msg_decode(const struct xm_msg *m, struct xm_kx_msg *k)
{
	struct rd r = body_rd(m), v;
	bool seen = false;
	uint16_t type;
	int ret;

	memset(k, 0, sizeof(*k));
	if (m->hdr.type != XM_MSG_KX)
		return -EBADMSG;
	while ((ret = rd_tlv(&r, &type, &v)) > 0) {
		if ((type & ~XM_TLV_MANDATORY) != XM_TLV_KX) {
			if (unknown_tlv(type))
				return -EBADMSG;
			continue;
		}
		if (seen || v.len < XM_KX_HDR_LEN)
			return -EBADMSG;
		seen = true;
		k->step = rd8(&v);
		if (rd8(&v) || rd16(&v))
			return -EBADMSG;
		k->session = rd32(&v);
		k->len = (uint16_t)rd_left(&v);
		if (!k->session || !xm_kx_msg_len_ok(k->step, k->len))
			return -EBADMSG;
		memcpy(k->noise, rd_take(&v, k->len), k->len);
	}
	return ret < 0 || !seen ? -EBADMSG : 0;
}

int xm_kx_msg_put(struct xm_msg_writer *w, const struct xm_kx_msg *k)
{
	uint8_t *p;

	if (!k->session || !xm_kx_msg_len_ok(k->step, k->len))
		return -EINVAL;
	if (!room(w, XM_TLV_HDR_LEN + XM_KX_HDR_LEN + k->len))
		return -EMSGSIZE;
	p = put_tlv(w, XM_TLV_KX, XM_KX_HDR_LEN + k->len);
	p[0] = k->step;
	p[1] = 0;
	xm_put16(p + 2, 0);
	xm_put32(p + 4, k->session);
	memcpy(p + XM_KX_HDR_LEN, k->noise, k->len);
	return 0;
}
