// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the agent messages (core/msg.h) and the core's
 * receive path. The tag would stop every mutation at the door, so the
 * target signs what it is given with a known site key:
 *
 *   byte 0 even: the rest is one message without its tag; it is signed
 *     (length field fixed up) and run through xm_msg_open() and every
 *     decoder.
 *   byte 0 odd: a session against a fresh core (node 1, one link): up
 *     to 16 chunks "kind u8, advance u8 (x 10 ms), len u16, bytes", kind 0
 *     a message signed as above, 1 raw bytes (unsigned), 2 a probe reply
 *     (neigh u32, seq u32, rtt u32); the core's timers run and its
 *     actions are taken between chunks, so hellos build neighbors and
 *     LSUs reach the database.
 *
 * XM_FUZZ_WRITE_SEEDS=DIR: write the seed corpus (valid messages and
 * sessions) into DIR and exit. XM_FUZZ_VERBOSE=1: print the core's
 * counters after each session (to see what a seed reaches).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "msg.h"
#include "wire.h"

static const uint8_t key[XM_SITE_KEY_LEN] = "fuzzing site key, not secret..";
static bool verbose;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Fix the length field and append the tag: the message's new length. */
static size_t sign(uint8_t *buf, size_t len)
{
	size_t total = len + XM_MSG_TAG_LEN;

	if (len >= 8) {
		buf[6] = (uint8_t)(total >> 8);
		buf[7] = (uint8_t)total;
	}
	xm_msg_tag(buf + len, buf, len, key);
	return total;
}

static void decode_all(const uint8_t *buf, size_t len)
{
	static struct xm_advert *a;
	static struct xm_ack acks[XM_LSACK_MAX];
	struct xm_hello h;
	struct xm_msg m;
	size_t off = 0;

	if (!a)
		a = xm_advert_alloc(XM_ADVERT_ADJ_MAX);
	if (xm_msg_open(buf, len, key, &m))
		return;
	xm_hello_decode(&m, &h);
	xm_lsu_check(&m, a);
	while (xm_lsu_next(&m, &off, a) > 0)
		;
	xm_lsack_decode(&m, acks);
}

static void one_message(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	size_t len;

	if (size > XM_PDU_MAX - XM_MSG_TAG_LEN)
		size = XM_PDU_MAX - XM_MSG_TAG_LEN;
	/* Exactly sized: ASan sees any read past the end. */
	buf = malloc(size + XM_MSG_TAG_LEN);
	memcpy(buf, data, size);
	len = sign(buf, size);
	decode_all(buf, len);
	free(buf);
}

static void take_actions(struct xm_core *c)
{
	static struct xm_action a;

	while (xm_core_action(c, &a))
		if (a.type == XM_ACT_SEND)
			decode_all(a.msg, a.len);	/* ours must decode */
}

static void session(const uint8_t *data, size_t size)
{
	struct xm_core_config cfg = {
		.node_id = 1, .data_port = 7600,
		.caps = { .name = "fuzz" }, .boot_id = 1,
	};
	struct xm_link_info l = {
		.ifindex = 5, .ifname = "eth5", .bandwidth_mbps = 1000,
		.carrier = true,
	};
	struct xm_addr from = { .family = AF_INET };
	xm_time now = 1000;
	struct xm_core *c;
	int chunks = 0;

	memcpy(cfg.site_key, key, sizeof(key));
	xm_timers_default(&cfg.timers);
	cfg.timers.sync_hold_ms = 100;
	c = xm_core_new(&cfg, now);
	if (!c)
		abort();
	l.local.family = AF_INET;
	l.local.raw[0] = 10;
	l.local.raw[3] = 1;
	xm_core_link_set(c, now, &l);
	take_actions(c);
	while (size >= 4 && chunks++ < 16) {
		uint8_t kind = data[0] % 3, adv = data[1];
		size_t len = (size_t)data[2] << 8 | data[3];
		uint8_t *buf;

		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		if (len > XM_PDU_MAX - XM_MSG_TAG_LEN)
			len = XM_PDU_MAX - XM_MSG_TAG_LEN;
		buf = malloc(len + XM_MSG_TAG_LEN);
		memcpy(buf, data, len);
		from.raw[3] = (uint8_t)(len ? data[len - 1] % 4 + 2 : 2);
		if (kind == 0)
			xm_core_recv(c, now, 5, &from, buf, sign(buf, len));
		else if (kind == 1)
			xm_core_recv(c, now, 5, &from, buf, len);
		else if (len >= 12)
			xm_core_probe_reply(c, now, xm_get32(buf), xm_get32(buf + 4),
					    xm_get32(buf + 8));
		free(buf);
		data += len;
		size -= len;
		take_actions(c);
		/* Time passes: timers run, up to 2.55 s a chunk, 10 s all. */
		if (now < 11000)
			now += (xm_time)adv * 10;
		while (xm_core_next_timer(c) <= now) {
			xm_core_timer(c, xm_core_next_timer(c));
			take_actions(c);
		}
	}
	if (verbose) {
		const struct xm_core_stats *s = xm_core_stats(c);

		fprintf(stderr, "rx %llu tx %llu bad_auth %llu replayed %llu "
			"malformed %llu lsa_rx %llu lsa_acked %llu "
			"neigh_up %llu spf %llu\n",
			(unsigned long long)s->rx_msgs,
			(unsigned long long)s->tx_msgs,
			(unsigned long long)s->rx_bad_auth,
			(unsigned long long)s->rx_replayed,
			(unsigned long long)s->rx_malformed,
			(unsigned long long)s->lsa_rx,
			(unsigned long long)s->lsa_acked,
			(unsigned long long)s->neigh_up,
			(unsigned long long)s->spf_runs);
	}
	xm_core_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] % 2 == 0)
		one_message(data + 1, size - 1);
	else
		session(data + 1, size - 1);
	return 0;
}

/* ---- the seed corpus ---- */

static void put_file(const char *dir, const char *name, const uint8_t *p,
		     size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

/* A message without its tag (the target adds it). */
static size_t seed_hello(uint8_t *buf, uint32_t sender, uint64_t seq,
			 bool hears_us)
{
	struct xm_hello h = {
		.hello_ms = 1000, .dead_ms = 3500, .data_port = 7600,
		.n_heard = hears_us ? 2 : 0, .heard = { 1, 9 },
		.has_caps = true, .has_pubkey = true,
		.caps = { .name = "peer", .zone = "z1", .n_roles = 1,
			  .roles = { "web" }, .cpu_cores = 8 },
	};
	struct xm_msg_writer w;

	xm_msg_begin(&w, buf, XM_PDU_MAX, XM_MSG_HELLO, 0, sender, seq);
	xm_hello_put(&w, &h);
	return w.len;
}

static size_t seed_lsu(uint8_t *buf, uint32_t sender, uint64_t seq)
{
	struct xm_advert *a = xm_advert_alloc(4);
	struct xm_msg_writer w;
	uint32_t o;

	xm_msg_begin(&w, buf, XM_PDU_MAX, XM_MSG_LSU, XM_MSG_F_DB_END,
		     sender, seq);
	for (o = 2; o < 5; o++) {
		memset(a, 0, xm_advert_size(4));
		a->originator = o;
		a->seq = 7;
		a->age_s = 3;
		strcpy(a->caps.name, "n");
		a->n_prefixes = 2;
		a->prefixes[0].addr.family = AF_INET;
		a->prefixes[0].addr.raw[0] = 10;
		a->prefixes[0].addr.raw[1] = (uint8_t)o;
		a->prefixes[0].len = 16;
		a->prefixes[1].addr.family = AF_INET6;
		a->prefixes[1].addr.raw[0] = 0xfd;
		a->prefixes[1].addr.raw[1] = (uint8_t)o;
		a->prefixes[1].len = 64;
		a->prefix_prio[1] = 20;	/* a probed export (PREFIX_PRIO) */
		a->n_adj = 2;
		a->adj[0] = (struct xm_adj){ o == 2 ? 1 : 2, 100, 300, 0,
					     1000 };
		a->adj[1] = (struct xm_adj){ o == 4 ? 3 : o + 1, 150, 400, 5,
					     1000 };
		xm_lsu_put(&w, a, a->age_s);
	}
	free(a);
	return w.len;
}

/*
 * An advert signed as with certificates (protocol.md, "Signed adverts"):
 * a node certificate of a throwaway authority, and the signature of its
 * key, both from fixed seeds.
 */
static size_t seed_lsu_signed(uint8_t *buf, uint32_t sender, uint64_t seq)
{
	uint8_t auth_pk[XM_PUBKEY_LEN], auth_sk[XM_SECKEY_LEN];
	uint8_t pk[XM_PUBKEY_LEN], sk[XM_SECKEY_LEN];
	uint8_t seed[crypto_sign_SEEDBYTES], in[XM_ADVERT_SIG_INPUT_MAX];
	struct xm_advert *a = xm_advert_alloc(1);
	struct xm_cert c = {
		.kind = XM_CERT_NODE, .serial = 7, .site = "fuzz",
		.node_id = sender, .zone = "z1", .n_roles = 1,
		.roles = { "web" }, .not_before = 1, .not_after = 4000000000u,
	};
	struct xm_msg_writer w;

	memset(seed, 1, sizeof(seed));
	crypto_sign_seed_keypair(auth_pk, auth_sk, seed);
	memset(seed, 2, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	memcpy(c.pubkey, pk, sizeof(pk));
	if (!a || xm_cert_sign(&c, auth_sk))
		abort();
	a->originator = sender;
	a->seq = 9;
	a->caps = (struct xm_caps){ .zone = "z1", .n_roles = 1,
				    .roles = { "web" } };
	a->n_adj = 1;
	a->adj[0] = (struct xm_adj){ 1, 100, 300, 0, 1000 };
	a->has_origin_gen = true;	/* origin yes: ORIGIN_GEN, signed too */
	a->origin_gen = UINT64_C(1800000000) << 32 | 3;
	a->cert = c.raw;
	a->cert_len = (uint16_t)c.len;
	a->has_sig = true;
	crypto_sign_ed25519_detached(a->sig, NULL, in,
				     xm_advert_sig_input(a, in), sk);
	xm_msg_begin(&w, buf, XM_PDU_MAX, XM_MSG_LSU, 0, sender, seq);
	xm_lsu_put(&w, a, 4);
	free(a);
	return w.len;
}

static size_t seed_lsack(uint8_t *buf, uint32_t sender, uint64_t seq)
{
	struct xm_msg_writer w;

	xm_msg_begin(&w, buf, XM_PDU_MAX, XM_MSG_LSACK, 0, sender, seq);
	xm_lsack_put(&w, 1, 2);
	xm_lsack_put(&w, 3, 7);
	return w.len;
}

/* A session chunk: kind, advance, len, bytes. */
static size_t chunk(uint8_t *out, uint8_t kind, uint8_t adv,
		    const uint8_t *p, size_t n)
{
	out[0] = kind;
	out[1] = adv;
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	memcpy(out + 4, p, n);
	return 4 + n;
}

static void write_seeds(const char *dir)
{
	static uint8_t file[16384], msg[XM_PDU_MAX];
	size_t n, len;
	int i;
	uint64_t seq = 100;

	file[0] = 0;
	n = seed_hello(file + 1, 2, 1, true);
	put_file(dir, "hello", file, n + 1);
	n = seed_lsu(file + 1, 2, 2);
	put_file(dir, "lsu", file, n + 1);
	n = seed_lsack(file + 1, 2, 3);
	put_file(dir, "lsack", file, n + 1);
	n = seed_lsu_signed(file + 1, 2, 4);
	put_file(dir, "lsu-signed", file, n + 1);

	/* Neighbor 2 comes up, sends its database, acks, goes quiet. */
	file[0] = 1;
	n = 1;
	len = seed_hello(msg, 2, seq++, false);
	n += chunk(file + n, 0, 1, msg, len);
	len = seed_hello(msg, 2, seq++, true);
	n += chunk(file + n, 0, 0, msg, len);
	for (i = 1; i <= 3; i++) {
		/* The reply to probe i of neighbor 1, 250 us. */
		uint8_t reply[12] = { 0, 0, 0, 1, 0, 0, 0, (uint8_t)i,
				      0, 0, 0, 250 };

		n += chunk(file + n, 2, 5, reply, sizeof(reply));
	}
	len = seed_lsu(msg, 2, seq++);
	n += chunk(file + n, 0, 10, msg, len);
	len = seed_lsack(msg, 2, seq++);
	n += chunk(file + n, 0, 10, msg, len);
	len = seed_hello(msg, 2, seq++, true);
	n += chunk(file + n, 1, 255, msg, len);		/* unsigned */
	put_file(dir, "session", file, n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("XM_FUZZ_WRITE_SEEDS");
	const char *v = getenv("XM_FUZZ_VERBOSE");

	(void)argc;
	(void)argv;
	verbose = v && *v == '1';
	if (sodium_init() < 0)
		abort();
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
