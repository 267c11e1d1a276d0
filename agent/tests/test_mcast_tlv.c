// SPDX-License-Identifier: GPL-2.0
/*
 * Advert TLVs an agent does not know (a newer agent's: MGROUPS and
 * PREFIX_PRIO were once) are kept and flooded unchanged: decoded and
 * re-encoded, an advert with unknown TLVs before, between and after the
 * known ones comes out byte for byte; past the bounds the rest are
 * dropped but the advert is kept; a mandatory unknown TLV still refuses
 * the message; and over a line of cores A - B - C, C's advert carrying
 * unknown TLVs reaches A through B byte-exact (but for its age).
 */
#include <errno.h>

#include "msg.h"
#include "test_core_net.h"
#include "wire.h"

enum { A, B, C };

#define T_UNKNOWN1	0x0040
#define T_UNKNOWN2	0x0041

/* A TLV at p: its length in all. */
static size_t raw_tlv(uint8_t *p, uint16_t type, const void *val, uint16_t n)
{
	xm_put16(p, type);
	xm_put16(p + 2, n);
	if (n)
		memcpy(p + XM_TLV_HDR_LEN, val, n);
	return XM_TLV_HDR_LEN + n;
}

/*
 * The advert TLV at adv (adv_len bytes, as xm_lsu_put() wrote it) with
 * unknown TLVs added: one before its first TLV, one after its second,
 * one at its end. Into out: its new length.
 */
static size_t add_unknown(uint8_t *out, const uint8_t *adv, size_t adv_len)
{
	static const uint8_t v1[5] = { 1, 2, 3, 4, 5 }, v2[3] = { 9, 9, 9 };
	const size_t first = XM_TLV_HDR_LEN + XM_ADVERT_HDR_LEN;
	size_t in = first, len = first, second;

	memcpy(out, adv, first);
	len += raw_tlv(out + len, T_UNKNOWN1, v1, sizeof(v1));
	/* The first two known TLVs, then another unknown one. */
	second = in + XM_TLV_HDR_LEN + xm_get16(adv + in + 2);
	if (second < adv_len)
		second += XM_TLV_HDR_LEN + xm_get16(adv + second + 2);
	memcpy(out + len, adv + in, second - in);
	len += second - in;
	len += raw_tlv(out + len, T_UNKNOWN2, v2, sizeof(v2));
	memcpy(out + len, adv + second, adv_len - second);
	len += adv_len - second;
	len += raw_tlv(out + len, T_UNKNOWN1 + 2, NULL, 0);
	xm_put16(out + 2, (uint16_t)(len - XM_TLV_HDR_LEN));
	return len;
}

/* A message of hdr (XM_MSG_HDR_LEN bytes) and body, tagged: its length. */
static size_t seal(uint8_t *msg, const uint8_t *hdr, const uint8_t *body,
		   size_t body_len)
{
	size_t len = XM_MSG_HDR_LEN + body_len;

	memmove(msg + XM_MSG_HDR_LEN, body, body_len);
	memmove(msg, hdr, XM_MSG_HDR_LEN);
	xm_put16(msg + 6, (uint16_t)(len + XM_MSG_TAG_LEN));
	xm_msg_tag(msg + len, msg, len, net_key);
	return len + XM_MSG_TAG_LEN;
}

static struct xm_advert *sample(void)
{
	struct xm_advert *a = xm_advert_alloc(2);

	a->originator = 7;
	a->seq = 3;
	a->n_prefixes = 1;
	a->prefixes[0].addr.family = AF_INET;
	a->prefixes[0].addr.raw[0] = 10;
	a->prefixes[0].len = 8;
	a->n_adj = 2;
	a->adj[0] = (struct xm_adj){ .node = 1, .metric = 10 };
	a->adj[1] = (struct xm_adj){ .node = 2, .metric = 20 };
	return a;
}

/* Encode a, add the unknown TLVs, decode, encode again: the same bytes. */
static void round_trip(void)
{
	struct xm_advert *a = sample(), *d = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	static uint8_t buf[XM_PDU_MAX], msg[XM_PDU_MAX], again[XM_PDU_MAX];
	uint8_t adv[XM_PDU_MAX], hdr[XM_MSG_HDR_LEN];
	struct xm_msg_writer w;
	struct xm_msg m;
	size_t off = 0, adv_len, len;

	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 7, 1);
	ok(!xm_lsu_put(&w, a, 0), "round trip: the plain advert encodes");
	memcpy(hdr, buf, XM_MSG_HDR_LEN);
	adv_len = add_unknown(adv, buf + XM_MSG_HDR_LEN,
			      w.len - XM_MSG_HDR_LEN);
	len = seal(msg, hdr, adv, adv_len);
	ok(!xm_msg_open(msg, len, net_key, &m) &&
	   xm_lsu_next(&m, &off, d) == 1,
	   "round trip: the advert with 3 unknown TLVs decodes");
	is_int(d->n_unknown, 3, "round trip: 3 unknown TLVs kept");
	is_int(d->unknown_len, 4 + 5 + 4 + 3 + 4,
	       "round trip: with their headers");
	ok(d->n_prefixes == 1 && d->n_adj == 2 && !d->unknown_dropped,
	   "round trip: the known TLVs decoded as well");
	xm_msg_begin(&w, again, sizeof(again), XM_MSG_LSU, 0, 7, 1);
	ok(!xm_lsu_put(&w, d, d->age_s), "round trip: re-encoded");
	ok(w.len - XM_MSG_HDR_LEN == adv_len &&
	   !memcmp(again + XM_MSG_HDR_LEN, adv, adv_len),
	   "round trip: byte-exact (%zu bytes)", adv_len);
	ok(xm_advert_wire_len(d) == adv_len,
	   "round trip: xm_advert_wire_len() counts the unknown TLVs");

	/* A corrupt kept TLV (not from the decoder) is not written. */
	d->unknown_len = 3;
	xm_msg_begin(&w, again, sizeof(again), XM_MSG_LSU, 0, 7, 1);
	is_int(xm_lsu_put(&w, d, 0), -EINVAL,
	       "round trip: kept bytes that are not whole TLVs: -EINVAL");
	free(a);
	free(d);
}

/* More unknown TLVs than kept: the advert stays, marked. */
static void bounds(void)
{
	struct xm_advert *a = sample(), *d = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	static uint8_t buf[XM_PDU_MAX], body[XM_PDU_MAX], msg[XM_PDU_MAX];
	uint8_t big[200] = { 0 }, hdr[XM_MSG_HDR_LEN];
	struct xm_msg_writer w;
	struct xm_msg m;
	size_t off = 0, len, i;

	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_LSU, 0, 7, 1);
	xm_lsu_put(&w, a, 0);
	memcpy(hdr, buf, XM_MSG_HDR_LEN);
	len = w.len - XM_MSG_HDR_LEN;
	memcpy(body, buf + XM_MSG_HDR_LEN, len);
	/* 10 small ones, then one too big for the rest of the room. */
	for (i = 0; i < 10; i++)
		len += raw_tlv(body + len, (uint16_t)(T_UNKNOWN1 + i), big, 1);
	len += raw_tlv(body + len, T_UNKNOWN2 + 20, big, sizeof(big));
	xm_put16(body + 2, (uint16_t)(len - XM_TLV_HDR_LEN));
	len = seal(msg, hdr, body, len);
	ok(!xm_msg_open(msg, len, net_key, &m) &&
	   xm_lsu_next(&m, &off, d) == 1,
	   "bounds: an advert with 11 unknown TLVs is accepted");
	ok(d->n_unknown == XM_ADVERT_UNKNOWN_TLVS && d->unknown_dropped &&
	   d->unknown_len == XM_ADVERT_UNKNOWN_TLVS * (XM_TLV_HDR_LEN + 1),
	   "bounds: the first %d kept, the rest dropped and marked",
	   XM_ADVERT_UNKNOWN_TLVS);

	/* A mandatory unknown TLV refuses the advert, as before. */
	len = w.len - XM_MSG_HDR_LEN;
	memcpy(body, buf + XM_MSG_HDR_LEN, len);
	len += raw_tlv(body + len, XM_TLV_MANDATORY | T_UNKNOWN1, big, 1);
	xm_put16(body + 2, (uint16_t)(len - XM_TLV_HDR_LEN));
	len = seal(msg, hdr, body, len);
	off = 0;
	ok(!xm_msg_open(msg, len, net_key, &m) &&
	   xm_lsu_next(&m, &off, d) == -EBADMSG,
	   "bounds: a mandatory unknown TLV still refuses the advert");
	free(a);
	free(d);
}

/* ---- through a core ---- */

static uint8_t sent_adv[XM_PDU_MAX];	/* C's advert as forged */
static size_t sent_len;
static uint32_t sent_seq;
static bool got_exact, got_any;

/* The advert TLV of originator orig in LSU m: offset in m's body, len. */
static bool find_advert(const struct xm_msg *m, uint32_t orig, size_t *at,
			size_t *len)
{
	size_t off = 0;

	while (off + XM_TLV_HDR_LEN + 8 <= m->body_len) {
		const uint8_t *p = m->body + off;
		size_t n = XM_TLV_HDR_LEN + xm_get16(p + 2);

		if (n > m->body_len - off)
			return false;
		if (xm_get16(p) == XM_TLV_ADVERT &&
		    xm_get32(p + XM_TLV_HDR_LEN) == orig) {
			*at = off;
			*len = n;
			return true;
		}
		off += n;
	}
	return false;
}

static void tap(struct net *net, int to, uint32_t ifindex,
		const struct xm_addr *from, uint8_t *msg, uint16_t *len)
{
	static uint8_t body[XM_PDU_MAX], hdr[XM_MSG_HDR_LEN];
	size_t at, n, body_len, fl;
	struct xm_msg m;

	(void)net;
	(void)ifindex;
	(void)from;
	if (xm_msg_open(msg, *len, net_key, &m) || m.hdr.type != XM_MSG_LSU ||
	    !find_advert(&m, C + 1, &at, &n))
		return;
	if (to == B && m.hdr.sender == C + 1 && !sent_len &&
	    *len + 24 <= XM_PDU_MAX) {
		/* C's first advert to B gains 3 unknown TLVs. */
		memcpy(hdr, msg, XM_MSG_HDR_LEN);
		body_len = at;
		memcpy(body, m.body, at);
		fl = add_unknown(body + body_len, m.body + at, n);
		memcpy(sent_adv, body + body_len, fl);
		sent_len = fl;
		body_len += fl;
		memcpy(body + body_len, m.body + at + n, m.body_len - at - n);
		body_len += m.body_len - at - n;
		sent_seq = xm_get32(m.body + at + XM_TLV_HDR_LEN + 4);
		*len = (uint16_t)seal(msg, hdr, body, body_len);
		return;
	}
	if (to != A || m.hdr.sender != B + 1 || !sent_len ||
	    xm_get32(m.body + at + XM_TLV_HDR_LEN + 4) != sent_seq)
		return;
	got_any = true;
	/* Byte for byte, but for the age (bytes 8-9 of the header). */
	if (n == sent_len &&
	    !memcmp(m.body + at, sent_adv, XM_TLV_HDR_LEN + 8) &&
	    !memcmp(m.body + at + XM_TLV_HDR_LEN + 10,
		    sent_adv + XM_TLV_HDR_LEN + 10,
		    n - XM_TLV_HDR_LEN - 10))
		got_exact = true;
}

static void through_a_core(void)
{
	int ab[2] = { A, B }, bc[2] = { B, C };
	struct net net;

	net_init(&net);
	net_add_node(&net, 100);
	net_add_node(&net, 100);
	net_add_node(&net, 100);
	net_add_wire(&net, 2, ab);
	net_add_wire(&net, 2, bc);
	net.tap = tap;
	ok(net_until(&net, 3000, net_converged, NULL),
	   "core: the line A - B - C converges");
	ok(sent_len > 0, "core: C's advert got 3 unknown TLVs on its way to B");
	ok(got_any, "core: B flooded C's advert of that sequence to A");
	ok(got_exact, "core: byte-exact, the unknown TLVs in their places");
	net_free(&net);
}

/*
 * A mixed-version mesh: B, older, strips the MGROUPS TLV from A's advert
 * and floods what it kept; C hears the stripped copy first (its wire to A
 * is slow) and floods it on to A at A's sequence number. A takes it for
 * its own instead of outnumbering it with a new one, again and again.
 */
static void strip_mgroups(struct net *net, int to, uint32_t ifindex,
			  const struct xm_addr *from, uint8_t *msg,
			  uint16_t *len)
{
	static uint8_t body[XM_PDU_MAX], hdr[XM_MSG_HDR_LEN];
	size_t at, n, off, end;
	struct xm_msg m;

	(void)net;
	(void)ifindex;
	(void)from;
	if (to != B || xm_msg_open(msg, *len, net_key, &m) ||
	    m.hdr.type != XM_MSG_LSU || !find_advert(&m, A + 1, &at, &n))
		return;
	memcpy(hdr, msg, XM_MSG_HDR_LEN);
	memcpy(body, m.body, m.body_len);
	end = at + n;
	for (off = at + XM_TLV_HDR_LEN + XM_ADVERT_HDR_LEN;
	     off + XM_TLV_HDR_LEN <= end;) {
		size_t tl = XM_TLV_HDR_LEN + xm_get16(body + off + 2);

		if (tl > end - off)
			return;
		if (xm_get16(body + off) != XM_TLV_MGROUPS) {
			off += tl;
			continue;
		}
		memmove(body + off, body + off + tl, m.body_len - off - tl);
		m.body_len -= tl;
		end -= tl;
		xm_put16(body + at + 2, (uint16_t)(end - at - XM_TLV_HDR_LEN));
	}
	*len = (uint16_t)seal(msg, hdr, body, m.body_len);
}

static void a_joins(struct net *net, int i, struct xm_core_config *cfg)
{
	(void)net;
	if (i != A)
		return;
	cfg->n_mgroups = 1;
	cfg->mgroups[0].group.family = AF_INET;
	memcpy(cfg->mgroups[0].group.raw, (uint8_t[]){ 239, 1, 2, 3 }, 4);
	cfg->mgroups[0].flags = XM_MGROUP_RECV;
}

static void stripped_by_older(void)
{
	int ab[2] = { A, B }, bc[2] = { B, C }, ca[2] = { C, A };
	const struct xm_core_stats *st;
	struct net net;
	uint64_t made;
	int w;

	net_init(&net);
	net.cfg_hook = a_joins;
	net_add_node(&net, 100);
	net_add_node(&net, 100);
	net_add_node(&net, 100);
	net_add_wire(&net, 2, ab);
	net_add_wire(&net, 2, bc);
	w = net_add_wire(&net, 2, ca);
	net.wire[w].delay_ms = 20;
	net.tap = strip_mgroups;
	ok(net_until(&net, 5000, net_converged, NULL),
	   "older agent: the triangle converges");
	net_run(&net, 2000);
	st = xm_core_stats(net.node[A].c);
	made = st->lsa_originated;
	net_run(&net, 5000);
	ok(st->lsa_originated <= made + 1,
	   "older agent: A takes its stripped advert for its own (%llu"
	   " originated in 5 s)",
	   (unsigned long long)(st->lsa_originated - made));
	net_free(&net);
}

int main(void)
{
	round_trip();
	bounds();
	through_a_core();
	stripped_by_older();
	return tap_done();
}
