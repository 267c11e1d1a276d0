#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed corpus of kmod/fuzz/fuzz_wire: one valid frame of each
kind (UDP payloads, Documentation/wire-format.rst), a few just invalid.

    python3 kmod/fuzz/seeds.py DIR

The tags and counters of sealed frames are not real: xmesh_hdr_validate()
judges only the header and the lengths.
"""

import os
import struct
import sys

F_AUTH_ONLY = 0x01
F_ORIGIN = 0x02
F_ORIGIN_AUTH_ONLY = 0x04
DATA, OAM, MCAST = 1, 2, 3
ECHO_REQ, ECHO_REPLY, TIME_EXCEEDED, UNREACHABLE, LINK_REQ, LINK_REPLY = \
    range(1, 7)


def hdr(typ, src=1, dst=2, key=0, flags=0, hop=16, tclass=0, version=1,
        okey=0):
    return struct.pack("!BBBBBBBBII", version, typ, flags, hop, tclass, key,
                       okey, 0, src, dst)


def oam(op, ident=7, seq=1, ts=123456789, reporter=0, probe_dst=2):
    return struct.pack("!BBHIQII", op, 16, ident, seq, ts, reporter,
                       probe_dst)


def ipv4(payload=b"ping"):
    total = 20 + len(payload)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0, 64, 1, 0,
                       bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + payload


def ipv6(payload=b"ping"):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), 17, 64,
                       bytes(15) + b"\1", bytes(15) + b"\2") + payload


def sealed(header, body, counter=1):
    return header + struct.pack("!Q", counter) + body + bytes(16)


SEEDS = {
    "data-v4": hdr(DATA) + ipv4(),
    "data-v6": hdr(DATA, tclass=3) + ipv6(),
    "data-sealed": sealed(hdr(DATA, key=1), ipv4()),
    "data-auth-only": sealed(hdr(DATA, key=2, flags=F_AUTH_ONLY), ipv6()),
    "data-origin": sealed(hdr(DATA, key=1, flags=F_ORIGIN, okey=3),
                          sealed(b"", ipv4())),
    "data-origin-auth-only": sealed(
        hdr(DATA, key=1, flags=F_ORIGIN | F_ORIGIN_AUTH_ONLY, okey=3),
        sealed(b"", ipv6())),
    "bad-origin-oam": sealed(hdr(OAM, key=1, flags=F_ORIGIN, okey=3),
                             oam(ECHO_REQ)),
    "truncated-origin": hdr(DATA, key=1, flags=F_ORIGIN, okey=3) + bytes(48),
    "mcast": hdr(MCAST, dst=1) + ipv4(),
    "mcast-sealed": sealed(hdr(MCAST, dst=9, key=1), ipv6()),
    "oam-echo-request": hdr(OAM) + oam(ECHO_REQ),
    "oam-echo-reply": hdr(OAM, 2, 1) + oam(ECHO_REPLY, reporter=2),
    "oam-time-exceeded": hdr(OAM, 3, 1) + oam(TIME_EXCEEDED, reporter=3),
    "oam-unreachable": hdr(OAM, 3, 1) + oam(UNREACHABLE, reporter=3),
    "oam-link-request": hdr(OAM, hop=1) + oam(LINK_REQ),
    "oam-link-reply": hdr(OAM, 2, 1, hop=1) + oam(LINK_REPLY, reporter=2),
    "oam-link-sealed": sealed(hdr(OAM, key=3, hop=1), oam(LINK_REQ)),
    "bad-version": hdr(DATA, version=2) + ipv4(),
    "bad-flags": hdr(DATA, flags=0x80) + ipv4(),
    "bad-type": hdr(9) + ipv4(),
    "bad-node": hdr(DATA, src=0) + ipv4(),
    "truncated-oam": (hdr(OAM) + oam(ECHO_REQ))[:-1],
    "truncated-sealed": hdr(DATA, key=1) + bytes(24),
    "short": hdr(DATA)[:15],
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, frame in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(frame)


if __name__ == "__main__":
    main()
