#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hostile agent messages for tests/guest/42-agent-failover.sh and
19-agent-signed.sh.

  agentforge.py forge --local A --dst D [--ttl T] [--sender ID] [--count N]
      N hellos (Documentation/protocol.md) from node ID with a random
      authentication tag, from local address A to D (the group 224.0.0.176
      or a neighbor's address) on UDP port 7601
  agentforge.py raw --local A --dst D [--ttl T] KIND
      one datagram: KIND "short" (too short to be a message), "version"
      (a version 2 header, well formed otherwise)
  agentforge.py capture --dev DEV --src S [--timeout T] FILE
      wait for one agent message from S on DEV (AF_PACKET) and write its
      UDP payload to FILE
  agentforge.py replay --local A --dst D [--ttl T] FILE
      send FILE's bytes as they are (a captured message, replayed)
  agentforge.py advert --local A --dst D --ttl 255 --site-key K
          --captured FILE --originator ID --zone Z [--cert C] KIND
      a member's forgery: one LSU, with the site key K (hex), as the
      sender of the captured message FILE (its sequence number + 32: in
      the window, ahead of the sender's next), carrying an advert of node
      ID (zone Z, role web, an adjacency to the sender, the sender's
      address as its prefix) with sequence number 2^32 - 1 (Documentation/
      protocol.md, "Signed adverts"); KIND "unsigned" (no certificate, no
      signature) or "badsig" (certificate C, armored, and a random
      signature)
Prints one line of JSON: what it sent.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import time

PORT = 7601
MAGIC = 0x584D
HELLO, LSU = 1, 2
HELLO_PARAMS, CAPS, ADVERT, PREFIXES, ADJS = 1, 3, 5, 7, 8
ADVERT_CERT, ADVERT_SIG = 12, 13
TAG_LEN = 16


def message(sender, seq, version=1, tag=None):
    params = struct.pack("!IIHH", 1000, 3500, 7600, 0)
    tlv = struct.pack("!HH", HELLO_PARAMS, len(params)) + params
    length = 20 + len(tlv) + TAG_LEN
    head = struct.pack("!HBBHHIQ", MAGIC, version, HELLO, 0, length, sender,
                       seq)
    return head + tlv + (tag if tag is not None else os.urandom(TAG_LEN))


def tlv(kind, value):
    return struct.pack("!HH", kind, len(value)) + value


def name(s):
    return bytes([len(s)]) + s.encode()


def forged_lsu(a, sender, seq, site_key):
    """An LSU of sender with an advert of a.originator (see the usage)."""
    caps = struct.pack("!HHIIII", 4, 0, 0, 0, 0, 0) + name("forged") + \
        name(a.zone) + b"\x01" + name("web")
    body = tlv(CAPS, caps)
    body += tlv(PREFIXES, bytes([4, 32]) + socket.inet_aton(a.local))
    body += tlv(ADJS, struct.pack("!IIIII", sender, 1, 100, 0, 10000))
    if a.arg == "badsig":
        with open(a.cert) as f:
            armor = "".join(line.strip() for line in f
                            if not line.startswith("-----"))
        body += tlv(ADVERT_CERT, base64.b64decode(armor))
        body += tlv(ADVERT_SIG, os.urandom(64))
    advert = struct.pack("!IIHH", a.originator, 0xFFFFFFFF, 0, 0) + body
    msg = tlv(ADVERT, advert)
    length = 20 + len(msg) + TAG_LEN
    head = struct.pack("!HBBHHIQ", MAGIC, 1, LSU, 0, length, sender, seq)
    tag = hmac.new(site_key, head + msg, hashlib.sha256).digest()[:TAG_LEN]
    return head + msg + tag


def sock(local, dst, ttl):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((local, 0))
    if socket.inet_aton(dst)[0] & 0xF0 == 0xE0:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                     socket.inet_aton(local))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    else:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    return s


def capture(dev, src, timeout, path):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                      socket.htons(0x0800))
    s.bind((dev, 0))
    s.settimeout(1)
    want = socket.inet_aton(src)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            pkt = s.recv(65535)
        except socket.timeout:
            continue
        ihl = (pkt[0] & 0x0F) * 4
        if pkt[9] != 17 or pkt[12:16] != want:
            continue
        dport = struct.unpack("!H", pkt[ihl + 2:ihl + 4])[0]
        payload = pkt[ihl + 8:]
        if dport == PORT and payload[:2] == struct.pack("!H", MAGIC):
            with open(path, "wb") as f:
                f.write(payload)
            return {"captured": len(payload)}
    return {"captured": 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["forge", "raw", "capture", "replay",
                                    "advert"])
    ap.add_argument("arg", nargs="?")
    ap.add_argument("--local")
    ap.add_argument("--dst")
    ap.add_argument("--ttl", type=int, default=1)
    ap.add_argument("--sender", type=int, default=2)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--dev")
    ap.add_argument("--src")
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--site-key")
    ap.add_argument("--captured")
    ap.add_argument("--originator", type=int)
    ap.add_argument("--zone", default="")
    ap.add_argument("--cert")
    a = ap.parse_intermixed_args()
    if a.cmd == "capture":
        out = capture(a.dev, a.src, a.timeout, a.arg)
        print(json.dumps(out))
        return 0 if out["captured"] else 1
    s = sock(a.local, a.dst, a.ttl)
    if a.cmd == "forge":
        # Sequence numbers far ahead: were the tag ever accepted, the
        # replay window would move and the real sender's be refused.
        for i in range(a.count):
            s.sendto(message(a.sender, (1 << 62) + i), (a.dst, PORT))
        print(json.dumps({"forged": a.count}))
    elif a.cmd == "raw":
        data = {"short": b"xmesh?",
                "version": message(a.sender, 1 << 62, version=2)}[a.arg]
        s.sendto(data, (a.dst, PORT))
        print(json.dumps({"raw": a.arg, "len": len(data)}))
    elif a.cmd == "advert":
        with open(a.site_key) as f:
            site_key = bytes.fromhex(f.read().strip())
        with open(a.captured, "rb") as f:
            sender, seq = struct.unpack("!IQ", f.read()[8:20])
        data = forged_lsu(a, sender, seq + 32, site_key)
        s.sendto(data, (a.dst, PORT))
        print(json.dumps({"advert": a.arg, "originator": a.originator,
                          "sender": sender, "len": len(data)}))
    else:
        with open(a.arg, "rb") as f:
            data = f.read()
        s.sendto(data, (a.dst, PORT))
        print(json.dumps({"replayed": len(data)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
