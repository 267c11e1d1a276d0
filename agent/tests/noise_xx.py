#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The agent's key exchange is Noise_XX_25519_ChaChaPoly_BLAKE2b.

Replays a handshake of agent/core/kx.c (the transcript test_kx writes
to $XM_KX_TRANSCRIPT) with a Noise implementation of its own, written
from the Noise specification (revision 34) on Python's cryptography
(X25519, ChaCha20-Poly1305: OpenSSL) and hashlib (BLAKE2b), and prints
TAP: each of the three messages must be byte for byte what this side
writes from the same keys and payloads, and the session keys kx.c hands
the kernel must be this side's Split(). Another implementation agreeing
on every byte is what test vectors would show.

Usage: noise_xx.py [TEST_KX]   (default: $XM_TEST_KX, else the build's
                                san/tests/test_kx)
"""

import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PROTOCOL = b"Noise_XX_25519_ChaChaPoly_BLAKE2b"
HASHLEN = 64
DHLEN = 32
TAGLEN = 16


def blake2b(data):
    return hashlib.blake2b(data, digest_size=HASHLEN).digest()


def hkdf(ck, ikm, n):
    """Noise's HKDF with HMAC-BLAKE2b: n outputs of HASHLEN bytes."""
    temp = hmac.new(ck, ikm, hashlib.blake2b).digest()
    out, prev = [], b""
    for i in range(1, n + 1):
        prev = hmac.new(temp, prev + bytes([i]), hashlib.blake2b).digest()
        out.append(prev)
    return out


def public(sk):
    return X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)


def dh(sk, pk):
    return X25519PrivateKey.from_private_bytes(sk).exchange(
        X25519PublicKey.from_public_bytes(pk))


class CipherState:
    def __init__(self, k=None):
        self.k, self.n = k, 0

    def _nonce(self):
        return b"\0" * 4 + self.n.to_bytes(8, "little")

    def encrypt(self, ad, plaintext):
        if self.k is None:
            return plaintext
        ct = ChaCha20Poly1305(self.k).encrypt(self._nonce(), plaintext, ad)
        self.n += 1
        return ct

    def decrypt(self, ad, ciphertext):
        if self.k is None:
            return ciphertext
        pt = ChaCha20Poly1305(self.k).decrypt(self._nonce(), ciphertext, ad)
        self.n += 1
        return pt


class HandshakeState:
    """One side of XX: -> e; <- e, ee, s, es; -> s, se."""

    def __init__(self, initiator, s, e, prologue):
        self.initiator, self.s, self.e = initiator, s, e
        self.h = PROTOCOL.ljust(HASHLEN, b"\0")
        self.ck = self.h
        self.cs = CipherState()
        self.rs = self.re = None
        self.mix_hash(prologue)

    def mix_hash(self, data):
        self.h = blake2b(self.h + data)

    def mix_key(self, ikm):
        self.ck, k = hkdf(self.ck, ikm, 2)
        self.cs = CipherState(k[:32])

    def encrypt_and_hash(self, pt):
        ct = self.cs.encrypt(self.h, pt)
        self.mix_hash(ct)
        return ct

    def decrypt_and_hash(self, ct):
        pt = self.cs.decrypt(self.h, ct)
        self.mix_hash(ct)
        return pt

    def token_dh(self, token):
        mine, theirs = {
            "ee": (self.e, self.re),
            "es": (self.e, self.rs) if self.initiator else (self.s, self.re),
            "se": (self.s, self.re) if self.initiator else (self.e, self.rs),
        }[token]
        self.mix_key(dh(mine, theirs))

    def write(self, tokens, payload):
        out = b""
        for t in tokens:
            if t == "e":
                out += public(self.e)
                self.mix_hash(public(self.e))
            elif t == "s":
                out += self.encrypt_and_hash(public(self.s))
            else:
                self.token_dh(t)
        return out + self.encrypt_and_hash(payload)

    def read(self, tokens, msg):
        for t in tokens:
            if t == "e":
                self.re, msg = msg[:DHLEN], msg[DHLEN:]
                self.mix_hash(self.re)
            elif t == "s":
                n = DHLEN + (TAGLEN if self.cs.k else 0)
                self.rs = self.decrypt_and_hash(msg[:n])
                msg = msg[n:]
            else:
                self.token_dh(t)
        return self.decrypt_and_hash(msg)

    def split(self):
        k1, k2 = hkdf(self.ck, b"", 2)
        return k1[:32], k2[:32]


PATTERN = [["e"], ["e", "ee", "s", "es"], ["s", "se"]]


class Tap:
    def __init__(self):
        self.n = self.failed = 0

    def check(self, cond, name):
        self.n += 1
        self.failed += not cond
        print("%s %d - noise: %s" % ("ok" if cond else "not ok", self.n, name))

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


def replay(t, tap):
    x = {k: (bytes.fromhex(v) if k != "prologue" else v.encode())
         for k, v in t.items()}
    msgs = [x["msg1_from_A"], x["msg2_from_B"], x["msg3_from_A"]]
    # Whose ephemeral each 32-byte draw was: its public key is in the
    # clear at the start of messages 1 and 2.
    draws = [v for k, v in sorted(x.items()) if k.startswith("random")]
    eph = {public(d): d for d in draws}
    tap.check(msgs[0][:DHLEN] in eph and msgs[1][:DHLEN] in eph,
              "both ephemeral keys come from the recorded draws")
    if not (msgs[0][:DHLEN] in eph and msgs[1][:DHLEN] in eph):
        return
    init = HandshakeState(True, x["init_static"], eph[msgs[0][:DHLEN]],
                          x["prologue"])
    resp = HandshakeState(False, x["resp_static"], eph[msgs[1][:DHLEN]],
                          x["prologue"])
    writer, reader = init, resp
    for i, (tokens, msg) in enumerate(zip(PATTERN, msgs), 1):
        # The payload kx.c sent, read with this side's own state...
        try:
            payload = reader.read(tokens, msg)
        except Exception as e:  # noqa: BLE001 (the failure is the result)
            tap.check(False, "message %d opens (%s)" % (i, e))
            return
        tap.check(True, "message %d opens, %d-byte payload" %
                  (i, len(payload)))
        # ...written again from the same keys must be the same bytes.
        tap.check(writer.write(tokens, payload) == msg,
                  "message %d is byte for byte this side's" % i)
        writer, reader = reader, writer
    tap.check(init.h == resp.h, "both sides end on one handshake hash")
    k_init, k_resp = init.split()
    tap.check(x["init_tx_key"] == k_init,
              "the initiator's kernel transmit key is Split()'s first")
    tap.check(x["resp_tx_key"] == k_resp,
              "the responder's kernel transmit key is Split()'s second")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    test_kx = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        "XM_TEST_KX", os.path.join(here, "..", "build", "san", "tests",
                                   "test_kx"))
    tap = Tap()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "transcript.json")
        run = subprocess.run([test_kx], env=dict(os.environ,
                             XM_KX_TRANSCRIPT=path),
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, check=False)
        if not os.path.exists(path):
            tap.check(False, "%s wrote a transcript (exit %d: %s)" %
                      (test_kx, run.returncode, run.stderr[-300:]))
            return tap.done()
        with open(path) as f:
            replay(json.load(f), tap)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
