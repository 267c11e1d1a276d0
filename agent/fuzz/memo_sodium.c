// SPDX-License-Identifier: GPL-2.0
/*
 * Memoized public-key operations for fuzz_kx, linked in with
 * -Wl,--wrap (agent/Makefile): every input of fuzz_kx replays the same
 * deterministic handshake up to the state it targets, and those X25519
 * and Ed25519 operations cost most of its time. Each wrapped function is
 * pure (the same arguments give the same result: libsodium's Ed25519
 * signatures are deterministic), so a cache keyed by a hash of all of its
 * arguments changes no result, only the time: an input's own operations
 * are computed (and cached) as any other. Nothing here is built into
 * xmeshd or the tool.
 */
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The linker's names: __real_F is libsodium's F, __wrap_F ours. */
#define MEMO_WRAP(f, args)	int __real_##f args; int __wrap_##f args
MEMO_WRAP(crypto_scalarmult, (unsigned char *q, const unsigned char *n,
			      const unsigned char *p));
MEMO_WRAP(crypto_scalarmult_base, (unsigned char *q, const unsigned char *n));
MEMO_WRAP(crypto_sign_ed25519_pk_to_curve25519,
	  (unsigned char *x, const unsigned char *ed));
MEMO_WRAP(crypto_sign_detached,
	  (unsigned char *sig, unsigned long long *siglen,
	   const unsigned char *m, unsigned long long mlen,
	   const unsigned char *sk));
MEMO_WRAP(crypto_sign_verify_detached,
	  (const unsigned char *sig, const unsigned char *m,
	   unsigned long long mlen, const unsigned char *pk));

enum memo_op { MEMO_DH, MEMO_DH_BASE, MEMO_PK_X, MEMO_SIGN, MEMO_VERIFY };

#define MEMO_SLOTS	512	/* direct-mapped: a handshake uses a few dozen */
#define MEMO_OUT_MAX	crypto_sign_BYTES

struct memo {
	uint8_t key[crypto_generichash_BYTES];
	uint8_t out[MEMO_OUT_MAX];
	int ret;
	uint8_t used;
};

static struct memo memo[MEMO_SLOTS];

/*
 * The slot for op over its arguments (pairs of pointer and length);
 * *hit: it holds their result, else the caller computes it into the slot.
 */
static struct memo *memo_get(enum memo_op op, const void *a, size_t alen,
			     const void *b, size_t blen, const void *c,
			     size_t clen, bool *hit)
{
	uint8_t key[crypto_generichash_BYTES], o = (uint8_t)op;
	crypto_generichash_state st;
	struct memo *m;

	crypto_generichash_init(&st, NULL, 0, sizeof(key));
	crypto_generichash_update(&st, &o, 1);
	crypto_generichash_update(&st, a, alen);
	if (blen)
		crypto_generichash_update(&st, b, blen);
	if (clen)
		crypto_generichash_update(&st, c, clen);
	crypto_generichash_final(&st, key, sizeof(key));
	m = &memo[(key[0] | key[1] << 8) % MEMO_SLOTS];
	*hit = m->used && !memcmp(m->key, key, sizeof(key));
	memcpy(m->key, key, sizeof(key));
	m->used = 1;
	return m;
}

int __wrap_crypto_scalarmult(unsigned char *q, const unsigned char *n,
			     const unsigned char *p)
{
	bool hit;
	struct memo *m = memo_get(MEMO_DH, n, crypto_scalarmult_SCALARBYTES,
				  p, crypto_scalarmult_BYTES, NULL, 0, &hit);

	if (!hit)
		m->ret = __real_crypto_scalarmult(m->out, n, p);
	memcpy(q, m->out, crypto_scalarmult_BYTES);
	return m->ret;
}

int __wrap_crypto_scalarmult_base(unsigned char *q, const unsigned char *n)
{
	bool hit;
	struct memo *m = memo_get(MEMO_DH_BASE, n, crypto_scalarmult_SCALARBYTES,
				  NULL, 0, NULL, 0, &hit);

	if (!hit)
		m->ret = __real_crypto_scalarmult_base(m->out, n);
	memcpy(q, m->out, crypto_scalarmult_BYTES);
	return m->ret;
}

int __wrap_crypto_sign_ed25519_pk_to_curve25519(unsigned char *x,
						const unsigned char *ed)
{
	bool hit;
	struct memo *m = memo_get(MEMO_PK_X, ed, crypto_sign_PUBLICKEYBYTES,
				  NULL, 0, NULL, 0, &hit);

	if (!hit)
		m->ret = __real_crypto_sign_ed25519_pk_to_curve25519(m->out, ed);
	memcpy(x, m->out, crypto_scalarmult_curve25519_BYTES);
	return m->ret;
}

int __wrap_crypto_sign_detached(unsigned char *sig, unsigned long long *siglen,
				const unsigned char *msg,
				unsigned long long mlen,
				const unsigned char *sk)
{
	bool hit;
	struct memo *m = memo_get(MEMO_SIGN, msg, (size_t)mlen,
				  sk, crypto_sign_SECRETKEYBYTES, NULL, 0, &hit);

	if (!hit)
		m->ret = __real_crypto_sign_detached(m->out, NULL, msg, mlen, sk);
	memcpy(sig, m->out, crypto_sign_BYTES);
	if (siglen)
		*siglen = crypto_sign_BYTES;
	return m->ret;
}

int __wrap_crypto_sign_verify_detached(const unsigned char *sig,
				       const unsigned char *msg,
				       unsigned long long mlen,
				       const unsigned char *pk)
{
	bool hit;
	struct memo *m = memo_get(MEMO_VERIFY, sig, crypto_sign_BYTES,
				  msg, (size_t)mlen, pk,
				  crypto_sign_PUBLICKEYBYTES, &hit);

	if (!hit)
		m->ret = __real_crypto_sign_verify_detached(sig, msg, mlen, pk);
	return m->ret;
}
