/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent-to-agent messages (Documentation/protocol.md): a fixed header,
 * TLVs, and an HMAC-SHA256-128 tag over both with the site key.
 *
 * Receiving: xm_msg_open() checks the framing and the tag (constant time)
 * and yields the header; the caller checks the sender's sequence number
 * for replays (replay.h) and only then decodes the body with the decoder
 * of its type. Every decoder checks every length; it fills its output only
 * from bytes it has bounds-checked and returns -EBADMSG on anything it
 * cannot accept.
 *
 * Sending: xm_msg_begin(), the TLVs of the type, xm_msg_finish() (which
 * writes the length and the tag).
 */
#ifndef XM_MSG_H
#define XM_MSG_H

#include "cert.h"	/* XM_CERT_MAX: certificates travel in KX and adverts */
#include "core.h"

#define XM_MSG_MAGIC		0x584d	/* "XM" */
#define XM_MSG_VERSION		1
#define XM_MSG_HDR_LEN		20
/* HMAC-SHA256 truncated to 128 bits (as RFC 4868's): enough against
 * forgery, half the bytes on every hello. */
#define XM_MSG_TAG_LEN		16
#define XM_MSG_MIN_LEN		(XM_MSG_HDR_LEN + XM_MSG_TAG_LEN)
#define XM_AGENT_PORT		7601	/* UDP port of the messages */

enum xm_msg_type {
	XM_MSG_HELLO = 1,
	XM_MSG_LSU = 2,
	XM_MSG_LSACK = 3,
	XM_MSG_KX = 4,		/* key exchange, unicast (kx.h) */
};

/* Header flags. */
/* LSU: with this message the sender has sent its whole database. */
#define XM_MSG_F_DB_END		0x0001

/* TLV types; bit 15 set: a receiver that does not know it drops the message. */
#define XM_TLV_MANDATORY	0x8000
enum xm_tlv_type {
	XM_TLV_HELLO_PARAMS = 1,	/* hello */
	XM_TLV_HEARD = 2,		/* hello */
	XM_TLV_CAPS = 3,		/* hello, advert */
	XM_TLV_PUBKEY = 4,		/* hello */
	XM_TLV_ADVERT = 5,		/* LSU, repeats */
	XM_TLV_ACKS = 6,		/* LSACK, repeats */
	XM_TLV_PREFIXES = 7,		/* advert */
	XM_TLV_ADJS = 8,		/* advert */
	XM_TLV_KX = 9,			/* KX: one handshake message */
	XM_TLV_PREFIX_PRIO = 10,	/* advert: exports' priorities */
	XM_TLV_MGROUPS = 11,		/* advert: multicast groups joined */
	XM_TLV_ADVERT_CERT = 12,	/* advert: the originator's certificate */
	XM_TLV_ADVERT_SIG = 13,		/* advert: its signature, the last TLV */
	XM_TLV_ORIGIN_GEN = 14,		/* advert: its origin key generation */
};

#define XM_TLV_HDR_LEN		4
#define XM_HELLO_PARAMS_LEN	12
#define XM_ADVERT_HDR_LEN	12
#define XM_ADJ_LEN		20
#define XM_ACK_LEN		8
#define XM_CAPS_FIXED_LEN	20

/* Node ids a hello lists as heard (also the neighbors per link). */
#define XM_HELLO_HEARD_MAX	64
/* The CAPS TLV of a node without name, zone or roles. */
#define XM_CAPS_MIN_TLV_LEN	(XM_TLV_HDR_LEN + XM_CAPS_FIXED_LEN + 3)
/* Adjacencies one advert can carry: what fits into one message. */
#define XM_ADVERT_ADJ_MAX						\
	((XM_PDU_MAX - XM_MSG_MIN_LEN - XM_TLV_HDR_LEN - XM_ADVERT_HDR_LEN \
	  - XM_CAPS_MIN_TLV_LEN - XM_TLV_HDR_LEN) / XM_ADJ_LEN)
/*
 * With certificates, an advert carries the certificate and signature too:
 * with the largest certificate, the smallest capabilities and 16 IPv6
 * prefixes there is still room for 8 adjacencies. Exports' priorities,
 * groups and long names take from them (own_fit() cuts the costliest;
 * an advert that fits no message is counted as limit_advert).
 */
_Static_assert(XM_MSG_MIN_LEN + XM_TLV_HDR_LEN + XM_ADVERT_HDR_LEN +
	       XM_CAPS_MIN_TLV_LEN + XM_TLV_HDR_LEN + 16 * (2 + 16) +
	       XM_TLV_HDR_LEN + XM_CERT_MAX + XM_TLV_HDR_LEN + XM_SIG_LEN +
	       XM_TLV_HDR_LEN + 8 * XM_ADJ_LEN <= XM_PDU_MAX,
	       "a signed advert leaves room for adjacencies");
/* (originator, sequence) pairs of one LSACK. */
#define XM_LSACK_MAX							\
	((XM_PDU_MAX - XM_MSG_MIN_LEN - XM_TLV_HDR_LEN) / XM_ACK_LEN)

struct xm_msg_hdr {
	uint8_t version, type;
	uint16_t flags;
	uint16_t len;			/* all of it, tag included */
	uint32_t sender;
	uint64_t seq;
};

/* An authenticated message: its header and its TLVs. */
struct xm_msg {
	struct xm_msg_hdr hdr;
	const uint8_t *body;		/* the TLVs */
	size_t body_len;
};

enum xm_msg_err {
	XM_MSG_OK = 0,
	XM_MSG_MALFORMED,		/* too short, bad magic or length */
	XM_MSG_BAD_VERSION,
	XM_MSG_BAD_AUTH,
};

struct xm_hello {
	uint32_t hello_ms, dead_ms;
	uint16_t data_port;
	unsigned int n_heard;
	uint32_t heard[XM_HELLO_HEARD_MAX];
	bool has_caps, has_pubkey;
	struct xm_caps caps;
	uint8_t pubkey[XM_PUBKEY_LEN];
};

/* One adjacency of an advert. */
struct xm_adj {
	uint32_t node;			/* the neighbor node */
	uint32_t metric;
	uint32_t rtt_us, loss_ppm, bandwidth_mbps;
};

/*
 * TLVs of an advert that this agent does not know (a newer agent's) are
 * kept as received and flooded on unchanged, as OSPF floods opaque LSAs:
 * a mixed-version mesh keeps them. Bounded: past these, the rest of them
 * are dropped (the advert itself is still accepted).
 */
#define XM_ADVERT_UNKNOWN_MAX	256	/* bytes, TLV headers included */
#define XM_ADVERT_UNKNOWN_TLVS	8

/*
 * A link-state advert. adj is a flexible array: decoding needs room for
 * XM_ADVERT_ADJ_MAX (xm_advert_alloc()).
 */
struct xm_advert {
	uint32_t originator;
	uint32_t seq;
	uint16_t age_s;
	struct xm_caps caps;
	unsigned int n_prefixes;
	struct xm_prefix4or6 prefixes[XM_PREFIX_MAX];
	uint16_t prefix_prio[XM_PREFIX_MAX];	/* 0: plain (no PREFIX_PRIO) */
	unsigned int n_mgroups;
	struct xm_mgroup mgroups[XM_MGROUP_MAX];
	/*
	 * The unknown TLVs, back to back, and where each was: how many of
	 * the advert's TLVs came before it (re-encoding puts it back there,
	 * so an advert from an agent of the same TLV order floods byte-exact).
	 */
	uint16_t unknown_len;
	uint8_t n_unknown;
	bool unknown_dropped;		/* some did not fit the bounds */
	uint8_t unknown_at[XM_ADVERT_UNKNOWN_TLVS];
	uint8_t unknown[XM_ADVERT_UNKNOWN_MAX];
	/*
	 * With certificates (keys on), the originator's certificate and its
	 * Ed25519 signature over xm_advert_sig_input(): every node checks
	 * both before it installs or floods the advert (kx.h). The
	 * certificate's bytes are not in the struct (most are, without
	 * certificates, an advert's whole size): a decoded advert's point
	 * into its message, a copy's (xm_advert_dup()) follow its
	 * adjacencies in the same allocation.
	 */
	uint16_t cert_len;		/* 0: none */
	const uint8_t *cert;
	/* With origin seals on (origin.h): the generation whose origin keys
	 * the originator seals with now or soon. */
	bool has_origin_gen;
	uint64_t origin_gen;
	bool has_sig;
	uint8_t sig[XM_SIG_LEN];
	unsigned int n_adj;
	struct xm_adj adj[];
};

struct xm_ack {
	uint32_t originator, seq;
};

/* calloc'd with room for n adjacencies (XM_ADVERT_ADJ_MAX to decode). */
struct xm_advert *xm_advert_alloc(unsigned int n);
size_t xm_advert_size(unsigned int n_adj);
/* A copy of a that owns its certificate's bytes (free()), or NULL. */
struct xm_advert *xm_advert_dup(const struct xm_advert *a);

/* The tag of len bytes at p (the message before its tag). */
void xm_msg_tag(uint8_t tag[XM_MSG_TAG_LEN], const void *p, size_t len,
		const uint8_t key[XM_SITE_KEY_LEN]);

/* ---- receiving ---- */

/*
 * Framing, version, then the tag over everything before it with key.
 * Fills m (pointing into buf) only when the result is XM_MSG_OK.
 */
enum xm_msg_err xm_msg_open(const void *buf, size_t len,
			    const uint8_t key[XM_SITE_KEY_LEN],
			    struct xm_msg *m);

/* 0 or -EBADMSG. The body must be of a hello. */
int xm_hello_decode(const struct xm_msg *m, struct xm_hello *h);

/*
 * The LSU's adverts one by one: *off starts at 0. 1 and *a filled, 0 at
 * the end, -EBADMSG. a needs room for XM_ADVERT_ADJ_MAX adjacencies.
 * Adverts decoded before an -EBADMSG were valid, but the caller should
 * check the whole message first (xm_lsu_check()).
 */
int xm_lsu_next(const struct xm_msg *m, size_t *off, struct xm_advert *a);
/* Number of adverts if the whole LSU is valid, else -EBADMSG. */
int xm_lsu_check(const struct xm_msg *m, struct xm_advert *scratch);

/* The LSACK's pairs into acks (room for XM_LSACK_MAX): count or -EBADMSG. */
int xm_lsack_decode(const struct xm_msg *m, struct xm_ack *acks);

/* ---- sending ---- */

struct xm_msg_writer {
	uint8_t *buf;
	size_t cap, len;
	size_t acks_tlv;		/* offset of the open ACKS TLV, or 0 */
	unsigned int n_items;		/* adverts or acks written */
};

void xm_msg_begin(struct xm_msg_writer *w, uint8_t *buf, size_t cap,
		  enum xm_msg_type type, uint16_t flags, uint32_t sender,
		  uint64_t seq);
/* Set header flags after the fact (XM_MSG_F_DB_END). */
void xm_msg_set_flags(struct xm_msg_writer *w, uint16_t flags);
/* Length and tag: the message's length, or -EMSGSIZE. */
int xm_msg_finish(struct xm_msg_writer *w, const uint8_t key[XM_SITE_KEY_LEN]);

/*
 * Each: 0, or -EMSGSIZE with nothing written (start another message),
 * -EINVAL for a value the wire cannot carry. An advert goes with age_s as
 * its age, whatever a->age_s says (what it had when it came in).
 */
int xm_hello_put(struct xm_msg_writer *w, const struct xm_hello *h);
int xm_lsu_put(struct xm_msg_writer *w, const struct xm_advert *a,
	       uint16_t age_s);
int xm_lsack_put(struct xm_msg_writer *w, uint32_t originator, uint32_t seq);

/* ---- the key exchange's messages (kx.h) ---- */

/*
 * One step of a handshake (Documentation/protocol.md, "Key exchange"):
 * the KX TLV's value is step u8, flags u8 (0), reserved u16 (0), the
 * initiator's session id u32 (not 0), then the Noise message of the step,
 * whose length the step bounds.
 */
enum xm_kx_step {
	XM_KX_INIT = 1,		/* -> e */
	XM_KX_RESP = 2,		/* <- e, ee, s, es, payload (cert) */
	XM_KX_FINISH = 3,	/* -> s, se, payload (cert) */
	XM_KX_CONFIRM = 4,	/* <- a tag: the responder installed its keys */
};

#define XM_KX_HDR_LEN		8
#define XM_KX_DH_LEN		32	/* an X25519 public key */
#define XM_KX_AEAD_TAG		16	/* ChaCha20-Poly1305 */
/* The handshake payload: rx key id u8, security mode u8, a certificate. */
#define XM_KX_PAYLOAD_HDR	2
#define XM_KX_CERT_MIN		(XM_CERT_HDR_LEN + XM_SIG_LEN)
#define XM_KX_PAYLOAD_MAX	(XM_KX_PAYLOAD_HDR + XM_CERT_MAX)
#define XM_KX_NOISE_MAX							\
	(2 * XM_KX_DH_LEN + 2 * XM_KX_AEAD_TAG + XM_KX_PAYLOAD_MAX)

struct xm_kx_msg {
	uint8_t step;			/* enum xm_kx_step */
	uint32_t session;
	uint16_t len;
	uint8_t noise[XM_KX_NOISE_MAX];
};

/*
 * The KX message's one step: 0, or -EBADMSG for anything but exactly one
 * KX TLV of a known step, flags and reserved 0, session not 0, and a
 * Noise message of the step's length (INIT 32, CONFIRM 16; RESP and
 * FINISH within their bounds). Unknown TLVs: as for every type.
 */
int xm_kx_msg_decode(const struct xm_msg *m, struct xm_kx_msg *k);
/* Is len a valid Noise message length for step (enum xm_kx_step)? */
bool xm_kx_msg_len_ok(uint8_t step, size_t len);
/* 0, -EMSGSIZE, -EINVAL (what xm_kx_msg_decode() would refuse). */
int xm_kx_msg_put(struct xm_msg_writer *w, const struct xm_kx_msg *k);

/* Bytes xm_lsu_put() needs for a, a valid advert (xm_lsu_put checks). */
size_t xm_advert_wire_len(const struct xm_advert *a);

/*
 * What the originator of a signs (Documentation/protocol.md, "Signed
 * adverts"): XM_ADVERT_SIG_CONTEXT, then the ADVERT TLV's value as
 * xm_lsu_put() writes it with age 0 and without the SIG TLV. The age is
 * left out because every hop changes it; the rest is what a node
 * installs. Re-encoding a decoded advert gives the bytes its originator
 * signed as long as it decodes whole (unknown TLVs within their bounds).
 * Its length, or 0 for an advert xm_lsu_put() would refuse.
 */
#define XM_ADVERT_SIG_CONTEXT	"xmesh advert 1"
#define XM_ADVERT_SIG_INPUT_MAX	(sizeof(XM_ADVERT_SIG_CONTEXT) + XM_PDU_MAX)
size_t xm_advert_sig_input(const struct xm_advert *a,
			   uint8_t out[XM_ADVERT_SIG_INPUT_MAX]);

/*
 * Capabilities as the wire carries them: names printable ASCII without
 * blanks, at most XM_NAME_MAX - 1 bytes, roles not empty. xm_caps_valid()
 * checks; xm_caps_sanitize() makes any struct valid (replacing what is
 * not with '_', dropping empty roles).
 */
bool xm_caps_valid(const struct xm_caps *c);
void xm_caps_sanitize(struct xm_caps *c);

#endif /* XM_MSG_H */
