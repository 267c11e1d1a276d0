#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Multicast sender and receiver for guest tests and the demo.

    mcastio.py recv GROUP PORT IFADDR OUT    join GROUP on the interface of
        IFADDR, count datagrams until an END datagram (from --senders K
        senders, default 1; or --deadline seconds, or until the file
        --stop names exists), then write "total distinct" to OUT; the
        file OUT.joined appears once the socket has joined
    mcastio.py send GROUP PORT IFADDR N     send N numbered datagrams from
        IFADDR (--rate per second, default 200, 0: at once; --size
        bytes; --duration S: for S seconds instead, as fast as it can;
        --unicast A,B,...: each datagram to each of these addresses
        instead of the group), then END; prints the datagrams sent
    recv --unicast: bind the port on every address, join nothing

IPv4 or IPv6 by the group's form; IFADDR names the interface (xmesh0's
address). A datagram is "SEQ <padding>"; duplicates count in total, not in
distinct (a datagram is its sender and SEQ), so total == distinct == N
means every datagram exactly once.
"""
import argparse
import os
import socket
import struct
import sys
import time


def ifindex_of(addr):
    """The interface that holds addr (from /proc), for IPv6 joins."""
    import subprocess
    out = subprocess.run(["ip", "-o", "addr", "show"], capture_output=True,
                         text=True, check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if f[3].split("/")[0] == addr:
            return socket.if_nametoindex(f[1])
    sys.exit(f"no interface has {addr}")


def recv(a):
    v6 = ":" in a.group
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                      socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.unicast:
        s.bind(("", a.port))
    elif v6:
        s.bind(("", a.port))
        mreq = socket.inet_pton(socket.AF_INET6, a.group) + \
            struct.pack("@I", ifindex_of(a.ifaddr))
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    else:
        s.bind((a.group, a.port))
        mreq = socket.inet_aton(a.group) + socket.inet_aton(a.ifaddr)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    open(a.out + ".joined", "w").close()
    seen, ended, total = set(), set(), 0
    end = time.monotonic() + a.deadline
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        if a.stop and os.path.exists(a.stop):
            break
        s.settimeout(min(left, 0.5))
        try:
            data, src = s.recvfrom(65535)
        except socket.timeout:
            continue
        word = data.split(b" ", 1)[0]
        if word == b"END":
            ended.add(src[0])
            if len(ended) >= a.senders:
                break
            continue
        total += 1
        seen.add((src[0], word))
        if a.progress:
            with open(a.out + ".progress", "w") as f:
                f.write(f"{total} {len(seen)}\n")
    with open(a.out, "w") as f:
        f.write(f"{total} {len(seen)}\n")


def send(a):
    v6 = ":" in a.group
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                      socket.SOCK_DGRAM)
    if v6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF,
                     ifindex_of(a.ifaddr))
        s.bind((a.ifaddr, 0))
    else:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                     socket.inet_aton(a.ifaddr))
        s.bind((a.ifaddr, 0))
    pad = b"x" * max(0, a.size - 12)
    gap = 1.0 / a.rate if a.rate and not a.duration else 0
    dsts = [(d, a.port) for d in a.unicast.split(",")] if a.unicast \
        else [(a.group, a.port)]
    end = time.monotonic() + a.duration if a.duration else None
    i = 0
    while (i < a.n) if end is None else (time.monotonic() < end):
        for d in dsts:
            try:
                s.sendto(b"%d " % i + pad, d)
            except OSError:
                pass        # a full queue: that datagram is lost
        i += 1
        if gap:
            time.sleep(gap)
    for _ in range(3):
        time.sleep(0.2)
        for d in dsts:
            s.sendto(b"END", d)
    print(i)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("recv")
    r.add_argument("group")
    r.add_argument("port", type=int)
    r.add_argument("ifaddr")
    r.add_argument("out")
    r.add_argument("--deadline", type=float, default=60)
    r.add_argument("--senders", type=int, default=1,
                   help="ENDs from this many senders end it")
    r.add_argument("--progress", action="store_true")
    r.add_argument("--stop", help="stop once this file exists")
    r.add_argument("--unicast", action="store_true")
    t = sub.add_parser("send")
    t.add_argument("group")
    t.add_argument("port", type=int)
    t.add_argument("ifaddr")
    t.add_argument("n", type=int)
    t.add_argument("--rate", type=float, default=200)
    t.add_argument("--size", type=int, default=100)
    t.add_argument("--duration", type=float, default=0)
    t.add_argument("--unicast", default="")
    a = p.parse_args()
    recv(a) if a.cmd == "recv" else send(a)


if __name__ == "__main__":
    main()
