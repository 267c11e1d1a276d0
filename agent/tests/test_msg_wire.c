// SPDX-License-Identifier: GPL-2.0
/*
 * The agent messages on the wire (core/msg.h): round trips of every type,
 * the tag (tampering anywhere, a wrong key), truncation at every length,
 * unknown and mandatory TLVs, malformed values behind a valid tag, the
 * and the size limits (the replay window: test_replay.c).
 */
#include <errno.h>
#include <sodium.h>
#include <sys/socket.h>

#include "msg.h"
#include "tap.h"

static const uint8_t key[XM_SITE_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const uint8_t other_key[XM_SITE_KEY_LEN] = "another site's key, 32 bytes..";

static void caps_fill(struct xm_caps *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->name, "edge-7.site");
	strcpy(c->zone, "rack-2");
	c->n_roles = 2;
	strcpy(c->roles[0], "gpu");
	strcpy(c->roles[1], "storage");
	c->cpu_cores = 64;
	c->cpu_load = 1234;
	c->mem_total_mb = 262144;
	c->mem_free_mb = 100000;
	c->disk_total_gb = 8000;
	c->disk_free_gb = 5000;
}

static bool caps_same(const struct xm_caps *a, const struct xm_caps *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static int hello_build(uint8_t *buf, uint64_t seq, const uint8_t *k)
{
	struct xm_hello h = {
		.hello_ms = 1000, .dead_ms = 3500, .data_port = 7600,
		.n_heard = 3, .heard = { 2, 3, 70000 },
		.has_caps = true, .has_pubkey = true,
	};
	struct xm_msg_writer w;

	caps_fill(&h.caps);
	memset(h.pubkey, 0xab, sizeof(h.pubkey));
	xm_msg_begin(&w, buf, XM_PDU_MAX, XM_MSG_HELLO, 0, 1, seq);
	if (xm_hello_put(&w, &h))
		return -1;
	return xm_msg_finish(&w, k);
}

static void hello_round_trip(void)
{
	uint8_t buf[XM_PDU_MAX];
	struct xm_caps want;
	struct xm_hello h;
	struct xm_msg m;
	int len = hello_build(buf, 0x1234567890ull, key);

	caps_fill(&want);
	ok(len > XM_MSG_MIN_LEN, "hello: encoded (%d bytes)", len);
	is_int(xm_msg_open(buf, (size_t)len, key, &m), XM_MSG_OK,
	       "hello: tag verifies");
	is_int(m.hdr.type, XM_MSG_HELLO, "hello: type");
	is_int(m.hdr.sender, 1, "hello: sender");
	ok(m.hdr.seq == 0x1234567890ull, "hello: 64-bit sequence");
	is_int(m.hdr.len, len, "hello: length");
	is_int(xm_hello_decode(&m, &h), 0, "hello: decodes");
	ok(h.hello_ms == 1000 && h.dead_ms == 3500 && h.data_port == 7600,
	   "hello: parameters");
	ok(h.n_heard == 3 && h.heard[0] == 2 && h.heard[2] == 70000,
	   "hello: heard list");
	ok(h.has_caps && caps_same(&h.caps, &want), "hello: capabilities");
	ok(h.has_pubkey && h.pubkey[0] == 0xab && h.pubkey[31] == 0xab,
	   "hello: public key");
	is_int(xm_lsu_check(&m, NULL), -EBADMSG,
	       "hello: not decoded as an LSU");
}

static struct xm_advert *advert_make(uint32_t orig, uint32_t seq,
				     unsigned int n_adj)
{
	struct xm_advert *a = xm_advert_alloc(n_adj);
	unsigned int i;

	a->originator = orig;
	a->seq = seq;
	a->age_s = 17;
	caps_fill(&a->caps);
	a->n_prefixes = 2;
	xm_parse_prefix("10.7.0.0/16", &a->prefixes[0].addr,
			&a->prefixes[0].len);
	xm_parse_prefix("fd00:7::/64", &a->prefixes[1].addr,
			&a->prefixes[1].len);
	a->n_adj = n_adj;
	for (i = 0; i < n_adj; i++)
		a->adj[i] = (struct xm_adj){
			.node = orig + 1 + i, .metric = 100 + i,
			.rtt_us = 250, .loss_ppm = 10000 * i,
			.bandwidth_mbps = 25000,
		};
	return a;
}

static bool advert_same(const struct xm_advert *a, const struct xm_advert *b)
{
	return a->originator == b->originator && a->seq == b->seq &&
	       a->age_s == b->age_s && caps_same(&a->caps, &b->caps) &&
	       a->n_prefixes == b->n_prefixes &&
	       !memcmp(a->prefixes, b->prefixes,
		       a->n_prefixes * sizeof(a->prefixes[0])) &&
	       a->n_adj == b->n_adj &&
	       !memcmp(a->adj, b->adj, a->n_adj * sizeof(a->adj[0]));
}

static void lsu_round_trip(void)
{
	struct xm_advert *a[3], *got = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;
	struct xm_msg m;
	size_t off = 0;
	int len, i, n = 0;
	bool same = true;

	a[0] = advert_make(10, 1, 3);
	a[1] = advert_make(20, 0xfffffff0, 0);
	a[2] = advert_make(30, 5, 7);
	a[1]->n_prefixes = 0;
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 9, 77);
	for (i = 0; i < 3; i++)
		n += !xm_lsu_put(&w, a[i], a[i]->age_s);
	is_int(n, 3, "lsu: three adverts fit");
	n = 0;
	xm_msg_set_flags(&w, XM_MSG_F_DB_END);
	len = xm_msg_finish(&w, key);
	is_int(xm_msg_open(buf, (size_t)len, key, &m), XM_MSG_OK,
	       "lsu: tag verifies");
	is_int(m.hdr.flags, XM_MSG_F_DB_END, "lsu: flags");
	is_int(xm_lsu_check(&m, got), 3, "lsu: three adverts, all valid");
	while (xm_lsu_next(&m, &off, got) > 0)
		same &= n < 3 && advert_same(got, a[n++]);
	ok(same && n == 3, "lsu: every advert decodes as encoded");
	for (i = 0; i < 3; i++)
		free(a[i]);
	free(got);
}

static void lsack_round_trip(void)
{
	struct xm_ack acks[XM_LSACK_MAX];
	uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;
	struct xm_msg m;
	unsigned int i = 0;
	bool same = true;
	int len, n;

	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSACK, 0, 9, 78);
	while (!xm_lsack_put(&w, 1000 + i, 2 * i + 1))
		i++;
	is_int(i, XM_LSACK_MAX, "lsack: XM_LSACK_MAX pairs fit one message");
	len = xm_msg_finish(&w, key);
	ok(len > 0 && len <= XM_PDU_MAX, "lsack: within XM_PDU_MAX (%d)", len);
	is_int(xm_msg_open(buf, (size_t)len, key, &m), XM_MSG_OK,
	       "lsack: tag verifies");
	n = xm_lsack_decode(&m, acks);
	is_int(n, XM_LSACK_MAX, "lsack: every pair decoded");
	for (i = 0; i < (unsigned int)(n > 0 ? n : 0); i++)
		same &= acks[i].originator == 1000 + i &&
			acks[i].seq == 2 * i + 1;
	ok(same, "lsack: pairs as encoded");
	is_int(xm_lsack_put(&w, 0, 1), -EINVAL, "lsack: originator 0 refused");
}

/* Any change anywhere is caught; the framing bytes say what they are. */
static void tampering(void)
{
	uint8_t buf[XM_PDU_MAX], copy[XM_PDU_MAX];
	int len = hello_build(buf, 5, key), i, wrong = 0;
	struct xm_msg m;

	for (i = 0; i < len; i++) {
		enum xm_msg_err want = i < 2 ? XM_MSG_MALFORMED :
				       i == 2 ? XM_MSG_BAD_VERSION :
						XM_MSG_BAD_AUTH;

		memcpy(copy, buf, (size_t)len);
		copy[i] ^= 0x01;
		wrong += xm_msg_open(copy, (size_t)len, key, &m) != want;
	}
	is_int(wrong, 0, "tag: a flipped bit at each of the bytes is refused");
	is_int(xm_msg_open(buf, (size_t)len, other_key, &m), XM_MSG_BAD_AUTH,
	       "tag: another site's key does not verify");
	len = hello_build(buf, 5, other_key);
	is_int(xm_msg_open(buf, (size_t)len, key, &m), XM_MSG_BAD_AUTH,
	       "tag: signed with another key");
}

static void truncation(void)
{
	uint8_t buf[XM_PDU_MAX], *copy;
	int len = hello_build(buf, 5, key), i, accepted = 0;
	struct xm_msg m;

	for (i = 0; i < len; i++) {
		/* Exactly i bytes, so that ASan sees any read past them. */
		copy = malloc((size_t)i + 1);
		memcpy(copy, buf, (size_t)i);
		accepted += xm_msg_open(copy, (size_t)i, key, &m) == XM_MSG_OK;
		free(copy);
	}
	is_int(accepted, 0, "truncated at every length: never accepted");
	buf[len] = 0;
	is_int(xm_msg_open(buf, (size_t)len + 1, key, &m), XM_MSG_BAD_AUTH,
	       "a byte appended: refused");
}

/* Re-sign a message edited by hand: the header length and the tag. */
static size_t resign(uint8_t *buf, size_t len_without_tag)
{
	size_t len = len_without_tag + XM_MSG_TAG_LEN;

	buf[6] = (uint8_t)(len >> 8);
	buf[7] = (uint8_t)len;
	xm_msg_tag(buf + len_without_tag, buf, len_without_tag, key);
	return len;
}

/* A hello with one raw TLV appended after the real ones. */
static int hello_with_tlv(uint16_t type, const void *val, uint16_t vlen)
{
	uint8_t buf[XM_PDU_MAX];
	size_t body = (size_t)hello_build(buf, 5, key) - XM_MSG_TAG_LEN;
	struct xm_hello h;
	struct xm_msg m;

	buf[body] = (uint8_t)(type >> 8);
	buf[body + 1] = (uint8_t)type;
	buf[body + 2] = (uint8_t)(vlen >> 8);
	buf[body + 3] = (uint8_t)vlen;
	memcpy(buf + body + 4, val, vlen);
	if (xm_msg_open(buf, resign(buf, body + 4 + vlen), key, &m))
		return -100;
	return xm_hello_decode(&m, &h);
}

static void unknown_tlvs(void)
{
	uint8_t v[8] = { 0 }, heard0[4] = { 0 }, heard5[5] = { 0, 0, 0, 1 };
	uint8_t pub[31] = { 0 };

	is_int(hello_with_tlv(0x0777, v, sizeof(v)), 0,
	       "tlv: unknown type skipped");
	is_int(hello_with_tlv(0x0777, v, 0), 0, "tlv: unknown, empty, skipped");
	is_int(hello_with_tlv(0x8777, v, sizeof(v)), -EBADMSG,
	       "tlv: unknown mandatory type refused");
	is_int(hello_with_tlv(XM_TLV_HEARD, heard0, 4), -EBADMSG,
	       "tlv: node id 0 in the heard list refused");
	is_int(hello_with_tlv(XM_TLV_HEARD, heard5, 5), -EBADMSG,
	       "tlv: heard list not a multiple of 4");
	is_int(hello_with_tlv(XM_TLV_PUBKEY, pub, sizeof(pub)), -EBADMSG,
	       "tlv: a second (and short) public key refused");
	is_int(hello_with_tlv(XM_TLV_HELLO_PARAMS, v, 8), -EBADMSG,
	       "tlv: duplicate parameters refused");
}

/* A signed LSU holding one advert TLV of raw bytes. */
static int lsu_raw(const uint8_t *adv, uint16_t alen)
{
	struct xm_advert *a = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;
	struct xm_msg m;
	int ret;

	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 9, 1);
	buf[20] = 0;
	buf[21] = XM_TLV_ADVERT;
	buf[22] = (uint8_t)(alen >> 8);
	buf[23] = (uint8_t)alen;
	memcpy(buf + 24, adv, alen);
	ret = xm_msg_open(buf, resign(buf, 24 + alen), key, &m) ? -100 :
	      xm_lsu_check(&m, a);
	free(a);
	return ret;
}

static void malformed_adverts(void)
{
	/* originator 5, seq 1, age 0, then one TLV. */
	uint8_t a[64] = { 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0 };
	static const uint8_t v4_host[] = { 0, 7, 0, 6, 4, 24, 10, 0, 0, 1 };
	static const uint8_t v4_33[] = { 0, 7, 0, 6, 4, 33, 10, 0, 0, 0 };
	static const uint8_t bad_family[] = { 0, 7, 0, 6, 5, 8, 10, 0, 0, 0 };
	static const uint8_t adj_zero[] = { 0, 8, 0, 20, 0, 0, 0, 6, 0, 0, 0, 0,
					    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t adj_self[] = { 0, 8, 0, 20, 0, 0, 0, 5, 0, 0, 0, 1,
					    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t adj_ok[] = { 0, 8, 0, 20, 0, 0, 0, 6, 0, 0, 0, 1,
					  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t caps_ctl[] = { 0, 3, 0, 25,
		0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		2, 'a', '\n', 0, 0 };
	static const uint8_t overrun[] = { 0, 8, 0, 40, 0, 0, 0, 6 };
#define TLV(t)	t, sizeof(t)
	/* The header and one TLV: adverts in the LSU, or the error. */
	static const struct {
		const uint8_t *tlv;
		size_t len;
		int want;
		const char *name;
	} tlvs[] = {
		{ TLV(adj_ok), 1, "advert: one adjacency" },
		{ TLV(v4_host), -EBADMSG, "advert: prefix with host bits refused" },
		{ TLV(v4_33), -EBADMSG, "advert: IPv4 /33 refused" },
		{ TLV(bad_family), -EBADMSG, "advert: prefix family 5 refused" },
		{ TLV(adj_zero), -EBADMSG, "advert: metric 0 refused" },
		{ TLV(adj_self), -EBADMSG,
		  "advert: adjacency to itself refused" },
		{ TLV(caps_ctl), -EBADMSG,
		  "advert: control character in a name refused" },
		{ TLV(overrun), -EBADMSG,
		  "advert: TLV longer than its advert refused" },
	};
#undef TLV
	size_t i;

	is_int(lsu_raw(a, 12), 1, "advert: bare header is one advert");
	for (i = 0; i < sizeof(tlvs) / sizeof(tlvs[0]); i++) {
		memcpy(a + 12, tlvs[i].tlv, tlvs[i].len);
		is_int(lsu_raw(a, 12 + tlvs[i].len), tlvs[i].want,
		       tlvs[i].name);
	}
	is_int(lsu_raw(a, 11), -EBADMSG, "advert: short header refused");
	a[7] = 0;
	is_int(lsu_raw(a, 12), -EBADMSG, "advert: sequence 0 refused");
}

static void limits(void)
{
	struct xm_advert *a = advert_make(10, 1, XM_ADVERT_ADJ_MAX);
	uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;
	struct xm_caps *caps = &a->caps;
	size_t before;
	unsigned int i;

	/* The largest advert: bare capabilities, no prefixes. */
	memset(caps, 0, sizeof(*caps));
	a->n_prefixes = 0;
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 9, 1);
	ok(!xm_lsu_put(&w, a, a->age_s),
	   "limit: XM_ADVERT_ADJ_MAX (%d) adjacencies fit one message",
	   XM_ADVERT_ADJ_MAX);
	ok(xm_msg_finish(&w, key) <= XM_PDU_MAX, "limit: within XM_PDU_MAX");
	caps_fill(caps);
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 9, 1);
	before = w.len;
	is_int(xm_lsu_put(&w, a, a->age_s), -EMSGSIZE,
	       "limit: with capabilities it does not fit");
	ok(w.len == before && w.n_items == 0, "limit: nothing written");
	a->n_adj = 3;
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 9, 1);
	for (i = 0; !xm_lsu_put(&w, a, a->age_s); i++)
		;
	ok(i > 1 && xm_msg_finish(&w, key) > 0,
	   "limit: %u adverts packed into one LSU", i);
	strcpy(caps->roles[0], "bad role");
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 9, 1);
	is_int(xm_lsu_put(&w, a, a->age_s), -EINVAL, "encode: a blank in a role refused");
	xm_caps_sanitize(caps);
	is_str(caps->roles[0], "bad_role", "caps: sanitized");
	ok(xm_caps_valid(caps), "caps: valid after sanitizing");
	xm_msg_begin(&w, buf, 10, XM_MSG_LSU, 0, 9, 1);
	is_int(xm_msg_finish(&w, key), -EMSGSIZE, "encode: tiny buffer");
	free(a);
}

/*
 * Encoders check before they measure: an invalid struct (names without
 * their NUL, a role count past the array) is refused, never read past.
 */
static void encode_invalid(void)
{
	struct xm_hello *h = calloc(1, sizeof(*h));
	struct xm_advert *a = advert_make(10, 1, 2);
	struct xm_msg *m = calloc(1, sizeof(*m));
	struct xm_advert *got = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;
	size_t off = 0;
	int len;

	h->hello_ms = 100;
	h->dead_ms = 350;
	h->data_port = 7600;
	h->has_caps = true;
	memset(h->caps.name, 'x', sizeof(h->caps.name));
	h->caps.n_roles = 1000000;
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_HELLO, 0, 9, 1);
	is_int(xm_hello_put(&w, h), -EINVAL,
	       "encode: hello with a million roles refused, not measured");
	a->caps.n_roles = 1000000;
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 9, 1);
	is_int(xm_lsu_put(&w, a, 1), -EINVAL,
	       "encode: advert with a million roles refused, not measured");
	ok(w.n_items == 0, "encode: nothing written");

	/* The age sent is the one given, not the stored advert's. */
	caps_fill(&a->caps);
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 9, 1);
	ok(!xm_lsu_put(&w, a, 18), "encode: advert with its transit age");
	len = xm_msg_finish(&w, key);
	ok(len > 0 && xm_msg_open(buf, (size_t)len, key, m) == XM_MSG_OK &&
	   xm_lsu_next(m, &off, got) > 0 && got->age_s == 18 &&
	   a->age_s == 17, "encode: age 18 on the wire, 17 kept (%u)",
	   got->age_s);
	free(got);
	free(m);
	free(a);
	free(h);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	hello_round_trip();
	lsu_round_trip();
	lsack_round_trip();
	tampering();
	truncation();
	unknown_tlvs();
	malformed_adverts();
	limits();
	encode_invalid();
	return tap_done();
}
