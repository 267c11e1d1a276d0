#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hand-made xmesh frames to a node's underlay UDP port, for guest tests.

Frames are sent from one network namespace (bound to a chosen underlay
address) to another's xmesh port, and the receiving device's counters are
read over netlink (nlraw.py) before and after each, so that a check can
say exactly which counter a frame moved, and that nothing else moved.

    udpsend.py cases [options] <CASES    one result line per case
    udpsend.py fuzz [options]            random frames, then accounting
                                         (--seal-key HEX: some sealed)

Options: --from-ns NS (namespace to send from, e.g. xm-1), --src ADDR
(its address to send from), --to ADDR (the receiver's underlay address),
IPv4 or IPv6 (a link-local one with its zone as seen from the sending
namespace, fe80::1%ul1; names resolved there),
--port N (7600), --ns NS (the receiver's namespace), --dev NAME (xmesh0),
--peer-ns NS (a second namespace whose device counters a case may check,
as @peer:NAME).

A case line is `NAME | EXPECT | FRAME` (separators ` | `):

EXPECT: space-separated COUNTER=+N (a counter or drop reason of the
receiver, by the names of nlraw.py: rx-packets, oam-rx, truncated,
bad-header, unknown-neigh, ...; @peer:COUNTER for the peer's). Every other
receive-side counter of the receiver must stay as it was (transmit-side
ones, which background traffic may move, only when named).

FRAME: space-separated KEY=VALUE:
  bytes=HEX            the whole UDP payload, nothing else
  ver type flags hl tc key res src dst   xmesh header fields (defaults:
                       1 1 0 16 0 0 0 1 2)
  inner=icmp4|icmp6|none|HEX   what follows the header (default icmp4:
                       an echo request isrc -> idst, 10.0.1.1 -> 10.0.2.1
                       or fd00:1::1 -> fd00:2::1)
  isrc idst            inner addresses
  totlen=N ihl=N       override the inner IPv4 total length / IHL
  plen=N               override the inner IPv6 payload length
  oam=OP               an OAM body (op OP, probe_dst = dst) instead of
                       inner; type=2 is implied
  seal=HEX             seal the frame with this 32-byte key (xmframes.py):
                       key id from key=, counter ctr=N (default 0),
                       auth-only when flags has bit 0
  seal=forged          a counter and a tag that cannot verify around the
                       payload, as a sealed frame has
  oseal=HEX|forged     first an origin seal around the inner packet with
                       this key (or a tag that cannot verify): flag
                       ORIGIN (and ORIGIN_AUTH_ONLY when flags has bit 2),
                       origin key id okey=N (default 1), counter octr=N
  pcap=FILE[:N]        the UDP payload of packet N (default 0) of a
                       capture, nothing else; with open=HEX, its per-hop
                       seal opened with that key and the frame sealed
                       again as seal=, key= and ctr= say
  len=N                cut the payload to N bytes
  pad=N                N zero bytes after everything
  flip=N               flip the lowest bit of byte N (from the end if
                       negative) of the result
  from=ADDR            send from ADDR instead of --src

A line `!REQUEST` sends a netlink request (nlraw.py notation) to the
receiver's namespace and must succeed.
"""

import ctypes
import ipaddress
import os
import random
import re
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nlraw  # noqa: E402 pylint: disable=wrong-import-position
import xmframes  # noqa: E402 pylint: disable=wrong-import-position

CLONE_NEWNET = 0x40000000
# Counters that traffic the test does not send (router solicitations,
# MLD reports, answers) may move: checked only when a case names them.
TX_SIDE = {"tx-packets", "tx-bytes", "oam-tx", "no-prefix", "too-big",
           "tx-error", "reroutes"}

_libc = ctypes.CDLL(None, use_errno=True)


def setns(name):
    """Move this thread into network namespace @name (/run/netns/NAME)."""
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "setns %s: %s" % (name, os.strerror(err)))
    finally:
        os.close(fd)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def icmp4(src, dst, totlen=None, ihl=None, ident=0x7878, seq=1):
    payload = b"xmesh-udp-input!" * 3
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    length = 20 + len(icmp)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, 0x1234, 0, 64, 1, 0,
                      ipaddress.IPv4Address(src).packed,
                      ipaddress.IPv4Address(dst).packed)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    if totlen is not None or ihl is not None:
        # A lie about the lengths, with a checksum to match.
        hdr = bytes([0x40 | (ihl if ihl is not None else 5)]) + hdr[1:2] + \
            struct.pack("!H", totlen if totlen is not None else length) + \
            hdr[4:10] + b"\0\0" + hdr[12:]
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + icmp


def icmp6(src, dst, plen=None, ident=0x7878, seq=1):
    s = ipaddress.IPv6Address(src).packed
    d = ipaddress.IPv6Address(dst).packed
    payload = b"xmesh-udp-input!" * 3
    icmp = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + payload
    pseudo = s + d + struct.pack("!I3xB", len(icmp), 58)
    icmp = icmp[:2] + struct.pack("!H", csum(pseudo + icmp)) + icmp[4:]
    length = len(icmp) if plen is None else plen
    hdr = struct.pack("!IHBB", 6 << 28, length, 58, 64) + s + d
    return hdr + icmp


def build_frame(spec, defaults):
    """The UDP payload and source address a FRAME spec describes."""
    f = dict(defaults)
    given = set()
    for word in spec.split():
        key, _, value = word.partition("=")
        f[key] = value
        given.add(key)
    src = f.pop("from", None)
    if "bytes" in f:
        return bytes.fromhex(f["bytes"]), src
    num = {k: int(f[k], 0) for k in ("ver", "type", "flags", "hl", "tc",
                                     "key", "res", "src", "dst")}
    if "pcap" in f:
        path, _, index = f["pcap"].partition(":")
        data = xmframes.udp_payloads(path)[int(index or "0")]
        if "open" not in f:
            return data, src
        got, body = xmframes.open_sealed(data, bytes.fromhex(f["open"]))
        num["flags"] = got[2] & ~xmframes.F_AUTH_ONLY
        hdr = bytearray(got)
        hdr[5] = num["key"]
        hdr[2] = num["flags"]
        return finish_frame(f, num, bytes(hdr), body), src
    if "oam" in f:
        if "type" not in given:
            num["type"] = 2
        body = struct.pack("!BBHIQII", int(f["oam"], 0), num["hl"], 0x4242,
                           7, time.monotonic_ns(), 0, num["dst"])
    else:
        inner = f.get("inner", "icmp4")
        opt = {k: int(f[k], 0) for k in ("totlen", "ihl", "plen") if k in f}
        if inner == "icmp4":
            body = icmp4(f.get("isrc", "10.0.1.1"), f.get("idst", "10.0.2.1"),
                         opt.get("totlen"), opt.get("ihl"))
        elif inner == "icmp6":
            body = icmp6(f.get("isrc", "fd00:1::1"),
                         f.get("idst", "fd00:2::1"), opt.get("plen"))
        elif inner == "none":
            body = b""
        else:
            body = bytes.fromhex(inner)
    if "oseal" in f:
        num["flags"] |= xmframes.F_ORIGIN
        num["res"] = int(f.get("okey", "1"), 0) << 8 | (num["res"] & 0xff)
    hdr = struct.pack("!BBBBBBHII", num["ver"], num["type"], num["flags"],
                      num["hl"], num["tc"], num["key"], num["res"],
                      num["src"], num["dst"])
    octr = int(f.get("octr", "0"), 0)
    if f.get("oseal") == "forged":
        body = struct.pack(">Q", octr) + body + b"\x5a" * xmframes.TAG_LEN
    elif "oseal" in f:
        body = xmframes.origin_seal(hdr, body, bytes.fromhex(f["oseal"]),
                                    octr, num["flags"] & 4)
    return finish_frame(f, num, hdr, body), src


def finish_frame(f, num, hdr, body):
    """The frame of @hdr and @body sealed, cut, padded and flipped as the
    spec @f says."""
    if f.get("seal") == "forged":
        data = xmframes.forged(hdr, body, int(f.get("ctr", "0"), 0))
    elif "seal" in f:
        data = xmframes.seal(hdr, body, bytes.fromhex(f["seal"]),
                             int(f.get("ctr", "0"), 0), num["flags"] & 1)
    else:
        data = hdr + body
    if "len" in f:
        data = data[:int(f["len"], 0)]
    data += b"\0" * int(f.get("pad", "0"), 0)
    if "flip" in f:
        data = bytearray(data)
        data[int(f["flip"], 0)] ^= 1
        data = bytes(data)
    return data


def sockaddr(addr, port):
    """(family, numeric socket address) of @addr (IPv4, or IPv6 with an
    optional %ZONE, resolved in the current namespace), port @port."""
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    (_, _, _, _, sa), = socket.getaddrinfo(
        addr, port, family, socket.SOCK_DGRAM, 0,
        socket.AI_NUMERICHOST)[:1]
    if family == socket.AF_INET6:
        if "%" in addr and not sa[3]:
            raise ValueError("%s: no such zone here" % addr)
        # The zone as a number: a name would be looked up again at
        # sendto(), in whatever namespace the thread is in by then.
        sa = (sa[0].split("%")[0], sa[1], sa[2], sa[3])
    return family, sa


class Bench:
    """The sockets: senders in one namespace, counters in others."""

    def __init__(self, args):
        self.args = args
        setns(args.from_ns)
        self.family, self.to = sockaddr(args.to, args.port)
        self.senders = {}
        self.sender(args.src)
        self.peer = None
        if args.peer_ns:
            setns(args.peer_ns)
            self.peer = nlraw.Client()
        setns(args.ns)
        self.nl = nlraw.Client()

    def sender(self, addr):
        if addr not in self.senders:
            here = os.open("/proc/self/ns/net", os.O_RDONLY)
            try:
                setns(self.args.from_ns)
                family, sa = sockaddr(addr, 0)
                if family != self.family:
                    raise ValueError("%s and %s: two families" %
                                     (addr, self.args.to))
                s = socket.socket(family, socket.SOCK_DGRAM)
                s.bind(sa)
                self.senders[addr] = s
            finally:
                _libc.setns(here, CLONE_NEWNET)
                os.close(here)
        return self.senders[addr]

    def counters(self, client=None):
        (res, _), = (client or self.nl).request(
            "dev-get ifname=%s" % self.args.dev)
        if res.error:
            raise OSError(res.error, "dev-get: %s" % res.msg)
        dev = res.replies[0]["dev"]
        out = dict(dev.get("counters", {}))
        out.update(dev.get("drops", {}))
        out.pop("pad", None)
        return out

    def snapshot(self):
        snap = {k: v for k, v in self.counters().items()}
        if self.peer:
            snap.update({"@peer:" + k: v
                         for k, v in self.counters(self.peer).items()})
        return snap

    def send(self, data, src=None):
        self.sender(src or self.args.src).sendto(data, self.to)


def delta(before, after):
    return {k: after[k] - before.get(k, 0) for k in after
            if after[k] != before.get(k, 0)}


def judge(want, got):
    """'' when the deltas @got are what @want says, else why not."""
    bad = []
    for k, v in want.items():
        if got.get(k, 0) != v:
            bad.append("%s %+d (want %+d)" % (k, got.get(k, 0), v))
    for k, v in got.items():
        name = k.split(":")[-1]
        if k in want or k.startswith("@peer:") or name in TX_SIDE:
            continue
        bad.append("%s %+d (want +0)" % (k, v))
    return ", ".join(bad)


def parse_expect(text):
    want = {}
    for word in text.split():
        key, _, value = word.partition("=")
        want[key] = int(value, 0)
    return want


def run_cases(bench, lines, out=sys.stdout):
    defaults = {"ver": "1", "type": "1", "flags": "0", "hl": "16", "tc": "0",
                "key": "0", "res": "0", "src": "1", "dst": "2"}
    failed = 0
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("!"):
            (res, _), = bench.nl.request(line[1:])
            if res.error:
                print("not ok\t%s\t%s %s" % (line[1:60], nlraw.errno_name(
                    res.error), res.msg), file=out)
                failed += 1
            continue
        parts = re.split(r"\s+\|(?:\s+|$)", line)
        if len(parts) != 3:
            print("not ok\t%s\tmalformed case line" % line[:60], file=out)
            failed += 1
            continue
        name, expect, spec = parts
        try:
            want = parse_expect(expect)
            data, src = build_frame(spec, defaults)
        except (ValueError, KeyError) as e:
            print("not ok\t%s\tbad case: %s" % (name, e), file=out)
            failed += 1
            continue
        before = bench.snapshot()
        bench.send(data, src)
        # Wait for what is expected (or 3 s), then a little more for
        # anything that is not.
        deadline = time.monotonic() + 3
        while True:
            got = delta(before, bench.snapshot())
            if all(got.get(k, 0) >= v for k, v in want.items()) or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.05)
        time.sleep(0.3)
        got = delta(before, bench.snapshot())
        why = judge(want, got)
        if why:
            failed += 1
            print("not ok\t%s\t%s (frame %s)" % (name, why, data.hex()[:120]),
                  file=out)
        else:
            print("ok\t%s" % name, file=out)
        out.flush()
    return failed


RX_SIDE_ALL = ("rx-packets", "fwd-packets", "oam-rx", "no-route",
               "no-nexthop", "hop-limit", "truncated", "bad-version",
               "bad-header", "bad-inner", "unknown-neigh", "neigh-down",
               "not-running", "nomem", "tx-error", "loop", "too-big",
               "node-mismatch", "no-key", "unauthenticated", "auth-failed",
               "replayed", "unencrypted", "spoofed-source",
               "origin-missing", "origin-no-key", "origin-auth-failed",
               "origin-replayed")


FUZZ_SPECS = ("", "inner=icmp6", "oam=1", "oam=2", "dst=4", "dst=4 hl=1",
              "oam=1 dst=4 hl=1", "dst=77", "inner=none pad=40", "src=2",
              "oam=5 hl=1", "oam=6 hl=1", "oam=5 dst=4", "oam=5 src=3")
FUZZ_DEFAULTS = {"ver": "1", "type": "1", "flags": "0", "hl": "16", "tc": "0",
                 "key": "0", "res": "0", "src": "1", "dst": "2"}


def fuzz(bench, count, seed, other_src, seconds=None, out=sys.stdout,
         seal_key=None):
    """@count random frames (or as many as @seconds allow); each must be
    counted once at the receiver (delivered, forwarded, OAM handled, or
    dropped for a reason). With @seal_key (hex, the receiver's key of id 1
    for the sender), some frames are sealed with it, now and then replayed
    or auth-only, and mutated like the others."""
    rng = random.Random(seed)
    templates = [build_frame(s, FUZZ_DEFAULTS)[0] for s in FUZZ_SPECS]
    sealed_sent = []
    counter = rng.randrange(1 << 20)

    def sealed():
        """A frame sealed with @seal_key: new, or one sent before."""
        nonlocal counter
        if sealed_sent and rng.random() < 0.2:
            return rng.choice(sealed_sent)
        counter += rng.choice([1, 1, 1, 2, 50, 3000])
        spec = "%s key=1 seal=%s ctr=%d%s" % (
            rng.choice(FUZZ_SPECS), seal_key, counter,
            " flags=1" if rng.random() < 0.3 else "")
        data = build_frame(spec, FUZZ_DEFAULTS)[0]
        sealed_sent.append(data)
        del sealed_sent[:-20]
        return data
    before = bench.snapshot()
    answers = 0
    sent = 0
    for i in nlraw.budget(count, seconds):
        sent = i + 1
        roll = rng.random()
        if roll < 0.25:
            data = bytes(rng.randrange(256) for _ in range(rng.choice(
                [0, 1, 8, 15, 16, 17, 30, 40, 64, rng.randrange(200)])))
        elif seal_key and roll < 0.35:
            data = sealed()
        else:
            b = bytearray(sealed() if seal_key and roll < 0.45 else
                          rng.choice(templates))
            for _ in range(rng.randint(1, 3)):
                op = rng.randrange(5)
                if op == 0 and b:
                    b[rng.randrange(len(b))] = rng.randrange(256)
                elif op == 1 and b:
                    del b[rng.randrange(len(b)):]
                elif op == 2:
                    b += bytes(rng.randrange(256)
                               for _ in range(rng.randint(1, 20)))
                elif op == 3 and len(b) >= 16:
                    # a header byte from its interesting values
                    i_ = rng.choice([0, 1, 2, 3, 4, 5])
                    b[i_] = rng.choice([0, 1, 2, 3, 255, rng.randrange(256)])
                elif op == 4 and len(b) >= 16:
                    struct.pack_into("!I", b, rng.choice([8, 12]), rng.choice(
                        [0, 1, 2, 3, 4, 5, 77, 0xffffffff]))
            data = bytes(b)
        # An echo request may make the receiver answer, which can come
        # back through it: allow one more count for each.
        if len(data) >= 17 and data[1] == 2 and data[16] == 1:
            answers += 1
        if len(data) >= 16 and data[1] == 1:
            answers += 1    # an inner packet may be answered too
        bench.send(data, other_src if rng.random() < 0.1 else None)
        if i % 50 == 49:
            time.sleep(0.02)
    count = sent
    time.sleep(1.0)
    got = delta(before, bench.snapshot())
    counted = sum(got.get(k, 0) for k in RX_SIDE_ALL)
    summary = ", ".join("%s %+d" % (k, v) for k, v in sorted(got.items())
                        if not k.startswith("@"))
    print("# %d random frames (seed %d; replay: XMESH_FUZZ_SEED=%d "
          "XMESH_FUZZ_COUNT=%d): %s" % (count, seed, seed, count, summary),
          file=out)
    name = "fuzz: %d random frames each counted at the receiver" % count
    if counted < count or counted > count + answers:
        print("not ok\t%s\tcounted %d, want %d to %d" % (
            name, counted, count, count + answers), file=out)
        return 1
    print("ok\t%s" % name, file=out)
    return 0


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["cases", "fuzz"])
    ap.add_argument("--from-ns", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--other-src")
    ap.add_argument("--to", required=True)
    ap.add_argument("--port", type=int, default=7600)
    ap.add_argument("--ns", required=True)
    ap.add_argument("--dev", default="xmesh0")
    ap.add_argument("--peer-ns")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=31)
    ap.add_argument("--seconds", type=float,
                    help="fuzz: run this long instead of --count frames")
    ap.add_argument("--seal-key",
                    help="fuzz: seal some frames with this key (hex), id 1")
    args = ap.parse_args(argv[1:])
    bench = Bench(args)
    if args.mode == "cases":
        return 1 if run_cases(bench, sys.stdin) else 0
    if args.other_src:
        bench.sender(args.other_src)
    return fuzz(bench, args.count, args.seed, args.other_src or args.src,
                args.seconds, seal_key=args.seal_key)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
