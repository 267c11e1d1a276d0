// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the key exchange: the KX message's decoder
 * (core/msg.h) and the handshake (core/kx.h) in each of its states.
 *
 * Two nodes with certificates of one site, A (node 1) and B (node 2),
 * and a deterministic source of randomness (reset for every input), so
 * that their handshake is the same every time and a recorded message of
 * it decrypts when the fuzzer replays it. Byte 0 of the input picks the
 * state (mod 5), the rest is the body (TLVs) of a KX message from the
 * other node, signed with a known site key, decoded, and given to:
 *
 *   0: B, fresh (an INIT, or anything out of turn)
 *   1: A, INIT sent (a RESP)
 *   2: B, RESP sent (a FINISH)
 *   3: A, FINISH sent (a CONFIRM)
 *   4: A, the session established (anything: a replay, a rotation)
 *
 * XM_FUZZ_WRITE_SEEDS=DIR: write the seed corpus (the real message of
 * each state) into DIR and exit. XM_FUZZ_VERBOSE=1: print the receiver's
 * counters after each input (to see what a seed reaches).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kx.h"
#include "msg.h"

#define NOW	UINT64_C(1800000000)

static const uint8_t site_key[XM_SITE_KEY_LEN] = "fuzzing site key, not secret..";
static uint8_t sk_auth[XM_SECKEY_LEN], sk_a[XM_SECKEY_LEN], sk_b[XM_SECKEY_LEN];
static struct xm_cert auth, cert_a, cert_b;
static uint64_t rnd_ctr;
static bool verbose;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void rnd(void *buf, size_t len)
{
	uint8_t c[8];
	int i;

	for (i = 0; i < 8; i++)
		c[i] = (uint8_t)(rnd_ctr >> (8 * i));
	rnd_ctr++;
	crypto_generichash(buf, len, c, sizeof(c), NULL, 0);
}

static void keypair(uint8_t sk[XM_SECKEY_LEN], uint8_t pk[XM_PUBKEY_LEN],
		    uint8_t seed_byte)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	memset(seed, seed_byte, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
}

static void certs(void)
{
	uint8_t pk[XM_PUBKEY_LEN];

	keypair(sk_auth, pk, 1);
	auth = (struct xm_cert){ .kind = XM_CERT_AUTHORITY, .serial = 1,
				 .not_before = NOW - 86400,
				 .not_after = NOW + 86400 };
	strcpy(auth.site, "fuzz");
	memcpy(auth.pubkey, pk, XM_PUBKEY_LEN);
	keypair(sk_a, pk, 2);
	cert_a = (struct xm_cert){ .kind = XM_CERT_NODE, .serial = 2,
				   .node_id = 1, .n_roles = 1,
				   .not_before = NOW - 86400,
				   .not_after = NOW + 86400 };
	strcpy(cert_a.site, "fuzz");
	strcpy(cert_a.zone, "a");
	strcpy(cert_a.roles[0], "r");
	memcpy(cert_a.pubkey, pk, XM_PUBKEY_LEN);
	cert_b = cert_a;
	keypair(sk_b, pk, 3);
	cert_b.serial = 3;
	cert_b.node_id = 2;
	memcpy(cert_b.pubkey, pk, XM_PUBKEY_LEN);
	if (xm_cert_sign(&auth, sk_auth) || xm_cert_sign(&cert_a, sk_auth) ||
	    xm_cert_sign(&cert_b, sk_auth))
		abort();
}

struct node {
	struct xm_kx *kx;
	struct xm_kx_peer *p;
	struct xm_kx_msg sent;	/* the last message it sent */
	bool has_sent;
};

/* Take n's actions, keeping the last message. */
static void drain(struct node *n)
{
	struct xm_kx_action a;

	while (xm_kx_peer_action(n->p, &a)) {
		if (a.type == XM_KX_ACT_SEND) {
			n->sent = a.msg;
			n->has_sent = true;
		}
		xm_kx_action_wipe(&a);
	}
}

/* Hand from's last message to to. */
static void pass(struct node *from, struct node *to)
{
	if (from->has_sent) {
		from->has_sent = false;
		xm_kx_peer_recv(to->p, 1000, NOW, &from->sent);
		drain(to);
	}
}

static bool pair(struct node *a, struct node *b)
{
	unsigned int why;

	rnd_ctr = 0;
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->kx = xm_kx_new(1, sk_a, &cert_a, &auth, NULL, NULL, NOW, &why);
	b->kx = xm_kx_new(2, sk_b, &cert_b, &auth, NULL, NULL, NOW, &why);
	if (!a->kx || !b->kx)
		abort();
	xm_kx_set_random(a->kx, rnd);
	xm_kx_set_random(b->kx, rnd);
	a->p = xm_kx_peer_new(a->kx, 2, 1);
	b->p = xm_kx_peer_new(b->kx, 1, 1);
	return a->p && b->p;
}

static void unpair(struct node *a, struct node *b)
{
	xm_kx_peer_free(a->p);
	xm_kx_peer_free(b->p);
	xm_kx_free(a->kx);
	xm_kx_free(b->kx);
}

/* Bring the pair to state s; the node that receives in it. */
static struct node *to_state(unsigned int s, struct node *a, struct node *b)
{
	if (s == 0)
		return b;
	xm_kx_peer_start(a->p, 1000);
	drain(a);
	if (s == 1)
		return a;
	pass(a, b);
	if (s == 2)
		return b;
	pass(b, a);
	if (s == 3)
		return a;
	pass(a, b);
	pass(b, a);
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;
	struct xm_kx_msg k;
	struct node a, b, *to;
	struct xm_msg m;
	int len;

	if (size < 1 || size - 1 > XM_PDU_MAX - XM_MSG_MIN_LEN)
		return 0;
	if (!pair(&a, &b))
		abort();
	to = to_state(data[0] % 5, &a, &b);
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_KX, 0, to == &a ? 2 : 1, 7);
	memcpy(buf + w.len, data + 1, size - 1);
	w.len += size - 1;
	len = xm_msg_finish(&w, site_key);
	if (len > 0 && xm_msg_open(buf, (size_t)len, site_key, &m) == XM_MSG_OK &&
	    !xm_kx_msg_decode(&m, &k)) {
		xm_kx_peer_recv(to->p, 1000, NOW, &k);
		drain(to);
		xm_kx_peer_timer(to->p, 100000, NOW);
		drain(to);
	}
	if (verbose) {
		const struct xm_kx_stats *st = xm_kx_stats(to->kx);

		fprintf(stderr, "state %u: handshakes %llu bad %llu unexpected %llu up %d\n",
			data[0] % 5, (unsigned long long)st->handshakes,
			(unsigned long long)st->bad_msg,
			(unsigned long long)st->unexpected,
			xm_kx_peer_up(to->p));
	}
	unpair(&a, &b);
	return 0;
}

/* The body (TLVs) of the message that state s expects. */
static size_t seed_body(unsigned int s, uint8_t *out)
{
	static uint8_t buf[XM_PDU_MAX];
	struct xm_msg_writer w;
	struct node a, b;
	struct xm_kx_msg k;

	pair(&a, &b);
	xm_kx_peer_start(a.p, 1000);
	drain(&a);
	k = a.sent;			/* 0: INIT */
	if (s >= 1) {
		pass(&a, &b);
		k = b.sent;		/* 1: RESP */
	}
	if (s >= 2) {
		pass(&b, &a);
		k = a.sent;		/* 2: FINISH */
	}
	if (s >= 3) {
		pass(&a, &b);
		k = b.sent;		/* 3: CONFIRM */
	}
	if (s >= 4) {
		pass(&b, &a);
		k = b.sent;		/* 4: the CONFIRM again: a replay */
	}
	unpair(&a, &b);
	xm_msg_begin(&w, buf, sizeof(buf), XM_MSG_KX, 0, 1, 1);
	if (xm_kx_msg_put(&w, &k))
		abort();
	memcpy(out, buf + XM_MSG_HDR_LEN, w.len - XM_MSG_HDR_LEN);
	return w.len - XM_MSG_HDR_LEN;
}

static void write_seeds(const char *dir)
{
	static const char *const names[5] = {
		"init", "resp", "finish", "confirm", "replay",
	};
	uint8_t file[XM_PDU_MAX];
	char path[512];
	unsigned int s;
	size_t n;
	FILE *f;

	for (s = 0; s < 5; s++) {
		file[0] = (uint8_t)s;
		n = 1 + seed_body(s, file + 1);
		snprintf(path, sizeof(path), "%s/%s", dir, names[s]);
		f = fopen(path, "wb");
		if (!f || fwrite(file, 1, n, f) != n || fclose(f))
			abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("XM_FUZZ_WRITE_SEEDS");
	const char *v = getenv("XM_FUZZ_VERBOSE");

	verbose = v && *v == '1';
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	certs();
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
