#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hostile agent messages for tests/guest/42-agent-failover.sh.

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
Prints one line of JSON: what it sent.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

PORT = 7601
MAGIC = 0x584D
HELLO, HELLO_PARAMS = 1, 1
TAG_LEN = 16


def message(sender, seq, version=1, tag=None):
    params = struct.pack("!IIHH", 1000, 3500, 7600, 0)
    tlv = struct.pack("!HH", HELLO_PARAMS, len(params)) + params
    length = 20 + len(tlv) + TAG_LEN
    head = struct.pack("!HBBHHIQ", MAGIC, version, HELLO, 0, length, sender,
                       seq)
    return head + tlv + (tag if tag is not None else os.urandom(TAG_LEN))


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
    ap.add_argument("cmd", choices=["forge", "raw", "capture", "replay"])
    ap.add_argument("arg", nargs="?")
    ap.add_argument("--local")
    ap.add_argument("--dst")
    ap.add_argument("--ttl", type=int, default=1)
    ap.add_argument("--sender", type=int, default=2)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--dev")
    ap.add_argument("--src")
    ap.add_argument("--timeout", type=float, default=10)
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
    else:
        with open(a.arg, "rb") as f:
            data = f.read()
        s.sendto(data, (a.dst, PORT))
        print(json.dumps({"replayed": len(data)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
