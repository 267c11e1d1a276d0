#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""xmesh frames in captures, and sealed frames made here, for guest tests.

    xmframes.py list FILE [MARKER]   one JSON object per UDP frame of the
                                     capture FILE (tcpdump -w): length, key
                                     id, flags, counter, and whether MARKER
                                     (text) is in it

Importable: udp_payloads(path), seal(header, body, key, counter,
auth_only), forged(header, body, counter), open_sealed(frame, key),
origin_seal(header, inner, key, counter, auth_only).

Sealing follows Documentation/wire-format.rst ("Keys") and nothing of the
module: ChaCha20-Poly1305 (RFC 8439) with the 64-bit counter as nonce
(four zero bytes, then the counter little-endian), the 16-byte header and
the counter (big-endian) as additional data; an auth-only frame adds its
payload to the additional data and encrypts nothing. An origin seal
("Origin seals") is the same AEAD around the inner packet under the
origin key, its additional data version, type, the origin flags, the
origin key id, source and destination node ids and the origin counter. A
frame sealed here that the module accepts shows the two agree on the
format.
"""

import json
import struct
import sys

COUNTER_LEN = 8
TAG_LEN = 16
HDR_LEN = 16
F_AUTH_ONLY = 0x01
F_ORIGIN = 0x02
F_ORIGIN_AUTH_ONLY = 0x04

# Link types of pcap files: Ethernet, raw IP, Linux cooked v1 and v2.
LINKTYPE_HDR = {1: 14, 101: 0, 113: 16, 276: 20}


def _ip_udp_payload(pkt):
    """The UDP payload of an IPv4 or IPv6 packet, or None."""
    if not pkt:
        return None
    version = pkt[0] >> 4
    if version == 4 and len(pkt) >= 20 and pkt[9] == 17:
        ihl = (pkt[0] & 0xf) * 4
        total = struct.unpack_from("!H", pkt, 2)[0]
        return pkt[ihl + 8:total]
    if version == 6 and len(pkt) >= 48 and pkt[6] == 17:
        plen = struct.unpack_from("!H", pkt, 4)[0]
        return pkt[48:40 + plen]
    return None


def udp_payloads(path):
    """The UDP payloads of the packets of pcap file @path, in order."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack_from("<I", data, 0)[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    linktype = struct.unpack_from(endian + "I", data, 20)[0] & 0xffff
    skip = LINKTYPE_HDR.get(linktype)
    if skip is None:
        raise ValueError("%s: link type %d not handled" % (path, linktype))
    out = []
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack_from(endian + "I", data, off + 8)[0]
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        payload = _ip_udp_payload(pkt[skip:])
        if payload is not None:
            out.append(payload)
    return out


def _nonce(counter):
    return b"\0" * 4 + struct.pack("<Q", counter)


def seal(header, body, key, counter, auth_only=False):
    """A sealed frame: @header (16 bytes, key id and flags as they are to
    go out), @body the payload, @key 32 bytes."""
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    aead = ChaCha20Poly1305(key)
    ad = bytes(header) + struct.pack(">Q", counter)
    if auth_only:
        return ad + body + aead.encrypt(_nonce(counter), b"", ad + body)
    return ad + aead.encrypt(_nonce(counter), body, ad)


def open_sealed(frame, key):
    """The header (as received) and payload of per-hop sealed @frame
    opened with @key (32 bytes); raises if the tag does not verify."""
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    aead = ChaCha20Poly1305(key)
    ad = frame[:HDR_LEN + COUNTER_LEN]
    counter = struct.unpack_from("!Q", frame, HDR_LEN)[0]
    body = frame[HDR_LEN + COUNTER_LEN:]
    if frame[2] & F_AUTH_ONLY:
        aead.decrypt(_nonce(counter), body[-TAG_LEN:], ad + body[:-TAG_LEN])
        return bytes(frame[:HDR_LEN]), body[:-TAG_LEN]
    return bytes(frame[:HDR_LEN]), aead.decrypt(_nonce(counter), body, ad)


def origin_seal(header, inner, key, counter, auth_only=False):
    """The origin seal of @inner (the inner packet) under @key, as the
    source node makes it: origin counter | inner | origin tag. @header
    carries the origin flags and key id as they are to go out."""
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    aead = ChaCha20Poly1305(key)
    h = bytes(header)
    ad = bytes([h[0], h[1], h[2] & (F_ORIGIN | F_ORIGIN_AUTH_ONLY), h[6]]) + \
        h[8:16] + struct.pack(">Q", counter)
    ctr = struct.pack(">Q", counter)
    if auth_only:
        return ctr + inner + aead.encrypt(_nonce(counter), b"", ad + inner)
    return ctr + aead.encrypt(_nonce(counter), inner, ad)


def forged(header, body, counter):
    """A frame shaped like a sealed one whose tag cannot verify."""
    return bytes(header) + struct.pack(">Q", counter) + body + \
        b"\x5a" * TAG_LEN


def describe(frame, marker=None):
    d = {"len": len(frame)}
    if len(frame) >= HDR_LEN:
        d.update(version=frame[0], type=frame[1], flags=frame[2],
                 hop_limit=frame[3], key_id=frame[5],
                 origin_key_id=frame[6],
                 src=struct.unpack_from("!I", frame, 8)[0],
                 dst=struct.unpack_from("!I", frame, 12)[0])
        if frame[5] and len(frame) >= HDR_LEN + COUNTER_LEN:
            d["counter"] = struct.unpack_from("!Q", frame, HDR_LEN)[0]
    if marker is not None:
        d["marker"] = marker.encode() in frame
    return d


def main(argv):
    if len(argv) < 3 or argv[1] != "list":
        print(__doc__, file=sys.stderr)
        return 2
    marker = argv[3] if len(argv) > 3 else None
    for frame in udp_payloads(argv[2]):
        print(json.dumps(describe(frame, marker)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
