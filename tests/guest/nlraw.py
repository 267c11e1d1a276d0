#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw generic-netlink client for the xmesh family, for guest tests.

It builds requests byte by byte, so it can send what no real client would:
wrong types and lengths, truncated attributes, nla_len past the end of the
message, unknown attribute types, nests without NLA_F_NESTED, deep garbage,
oversized binaries. Replies are decoded; an error's extack message
(NLMSGERR_ATTR_MSG) and offending offset (NLMSGERR_ATTR_OFFS) are returned.

Message notation (one request; `;;` separates requests sent in one
sendmsg()):

    COMMAND [+OPTION...] ATTR...

COMMAND is a name (dev-get, neigh-new, ...) or #N. Options: +dump
(NLM_F_DUMP), +noack, +flags=N (nlmsg_flags exactly), +version=N (genl
version), +reserved=N, +family=N (nlmsg_type), +len=N (nlmsg_len, a lie),
+trunc=N (send only the first N bytes, nlmsg_len N).

ATTR is `[*]KEY[~LEN][:TYPE][=VALUE]` or `[*]KEY[~LEN][:TYPE]{ ATTR... }[*N]`:
  KEY    an attribute name of the current set (ifname, neigh, id, ...) or #N
  *      mark: an error reply must point (NLMSGERR_ATTR_OFFS) at this one
  ~LEN   write LEN into nla_len instead of the real length
  TYPE   u8 u16 u32 u64 s32 be16 be32 str (NUL added) nstr (no NUL) hex ip
         flag nest nonest (a nest without NLA_F_NESTED); default: the
         attribute's own type
  VALUE  numbers (decimal, 0x..), @IFNAME (its ifindex), arithmetic on %i
         (the index of a `{...}*N` repetition); ip: ADDR or ADDR+EXPR;
         str/nstr/hex: X*N repeats X N times; hex: %i is the index as
         one byte
  {...}*N  the nest N times, %i counting from 0
  @raw=HEX  raw bytes appended as they are (no header, no padding)

Usage:
    nlraw.py send MESSAGE...      send one request, print the result as JSON
    nlraw.py batch                run check lines from stdin (see run_batch)
    nlraw.py fuzz [options]       random and mutated requests (see fuzz)
    nlraw.py fill DEV KIND COUNT [NEIGH]
                                  add COUNT routes (via neighbor NEIGH) or
                                  prefixes (KIND route or prefix) to DEV

Importable: Client, build(), decode_attrs().
"""

import errno
import ipaddress
import json
import os
import random
import re
import select
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
SO_SNDBUFFORCE = 32
SO_RCVBUFFORCE = 33

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_DUMP_INTR = 0x10
NLM_F_DUMP = 0x300
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200
NLA_F_NESTED = 0x8000
NLA_F_NET_BYTEORDER = 0x4000
NLA_TYPE_MASK = 0x3fff

NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2

GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2

# ------------------------------------------------------------- the family
# (uapi/linux/xmesh.h; an attribute's number is its place in the list)

COMMANDS = [None, "dev-get", "dev-set", "neigh-get", "neigh-new", "neigh-set",
            "neigh-del", "route-get", "route-new", "route-del", "prefix-get",
            "prefix-new", "prefix-del", "oam-send", "neigh-event",
            "route-event", "oam-event", "key-get", "key-new", "key-del"]
CMD = {name: i for i, name in enumerate(COMMANDS) if name}

U64S = "u64"
SETS = {
    "xmesh": [None, ("ifindex", "u32"), ("ifname", "str"),
              ("dev", "nest", "dev"), ("neigh", "nest", "neigh"),
              ("route", "nest", "route"), ("prefix", "nest", "prefix"),
              ("oam", "nest", "oam"), ("flush", "flag"),
              ("replace", "flag"), ("key", "nest", "key")],
    "dev": [None, ("node-id", "u32"), ("port", "u16"), ("family", "u16"),
            ("hop-limit", "u8"), ("counters", "nest", "counters"),
            ("drops", "nest", "drops"), ("neigh-count", "u32"),
            ("route-count", "u32"), ("prefix-count", "u32"),
            ("security", "u8"), ("key-count", "u32"), ("oam-rate", "u32"),
            ("mark-mask", "u32"), ("zone-default", "u8"),
            ("node-count", "u32"), ("zone-pair-count", "u32"),
            ("mroute-count", "u32"), ("origin", "u8")],
    "counters": [None, ("pad", "hex")] + [
        (n, U64S) for n in ("tx-packets", "tx-bytes", "rx-packets",
                            "rx-bytes", "fwd-packets", "fwd-bytes", "oam-rx",
                            "oam-tx", "reroutes", "neigh-limit-hits",
                            "route-limit-hits", "prefix-limit-hits",
                            "key-limit-hits")],
    "drops": [None, ("pad", "hex")] + [
        (n, U64S) for n in ("no-prefix", "no-route", "no-nexthop",
                            "hop-limit", "too-big", "truncated",
                            "bad-version", "bad-header", "bad-inner",
                            "unknown-neigh", "neigh-down", "not-running",
                            "nomem", "tx-error", "loop", "node-mismatch",
                            "no-key", "unauthenticated", "auth-failed",
                            "replayed", "unencrypted", "key-exhausted",
                            "spoofed-source", "rate-limited",
                            "oam-rate-limited", "zone-denied", "queue-full",
                            "no-mroute", "mcast-rpf",
                            "oam-event-rate-limited", "no-origin-key",
                            "origin-missing", "origin-no-key",
                            "origin-auth-failed", "origin-replayed")],
    "neigh": [None, ("pad", "hex"), ("id", "u32"), ("node", "u32"),
              ("link", "u32"), ("local", "ip"), ("remote", "ip"),
              ("port", "u16"), ("state", "u8"), ("carrier", "u8"),
              ("mtu", "u32"), ("tx-packets", U64S), ("tx-bytes", U64S),
              ("rx-packets", U64S), ("rx-bytes", U64S), ("drops", U64S)],
    "route": [None, ("pad", "hex"), ("dst", "u32"),
              ("nexthop", "nest", "nexthop"), ("tclass", "u8")],
    "nexthop": [None, ("neigh", "u32"), ("priority", "u8"),
                ("active", "flag")],
    "prefix": [None, ("family", "u16"), ("addr", "ip"), ("len", "u8"),
               ("node", "u32")],
    "oam": [None, ("pad", "hex"), ("dst", "u32"), ("ident", "u16"),
            ("seq", "u32"), ("hop-limit", "u8"), ("op", "u8"),
            ("reporter", "u32"), ("rtt-ns", U64S), ("neigh", "u32")],
    "key": [None, ("pad", "hex"), ("neigh", "u32"), ("id", "u8"),
            ("dir", "u8"), ("key", "hex"), ("counter", U64S),
            ("packets", U64S), ("bytes", U64S), ("replayed", U64S),
            ("auth-failed", U64S), ("node", "u32")],
}
# Attributes that may repeat: decoded as lists.
REPEATED = {("xmesh", "neigh"), ("xmesh", "route"), ("xmesh", "prefix"),
            ("xmesh", "key"), ("route", "nexthop")}
SET_BY_NAME = {s: {a[0]: (i, a) for i, a in enumerate(attrs) if a}
               for s, attrs in SETS.items()}
# The key of one entry of each table, for listing a dump.
ENTRY_KEYS = {"neigh": "id", "route": "dst", "dev": None}

INT_FMT = {"u8": "B", "u16": "H", "u32": "I", "u64": "Q", "s32": "i",
           "be16": ">H", "be32": ">I"}


def budget(count, seconds=None):
    """0, 1, 2...: @count of them, or as many as @seconds allow if given
    (a fuzzer's run, replayed with the count it reached)."""
    end = time.monotonic() + seconds if seconds else None
    i = 0
    while i < count if end is None else time.monotonic() < end:
        yield i
        i += 1


def errno_name(err):
    if err == 0:
        return "OK"
    if err == errno.EOPNOTSUPP:
        return "EOPNOTSUPP"     # rather than its alias ENOTSUP
    return errno.errorcode.get(err, str(err))


def errno_value(name):
    if name.isdigit():
        return int(name)
    return getattr(errno, name)


# --------------------------------------------------------------- building

class SpecError(Exception):
    pass


def _tokens(text):
    return re.findall(r"\{|\}(?:\*\d+)?|[^\s{}]+", text)


def _repeat(text):
    m = re.fullmatch(r"(.*)\*(\d+)", text, re.S)
    if m and m.group(1):
        return m.group(1), int(m.group(2))
    return text, 1


def _expr(text, idx):
    """A sum of products of numbers and %i (the repetition index)."""
    total = 0
    for term in text.split("+"):
        value = 1
        for factor in term.split("*"):
            factor = factor.strip()
            try:
                value *= idx if factor == "%i" else int(factor, 0)
            except ValueError:
                raise SpecError("bad number %r" % text) from None
        total += value
    return total


def _number(text, idx):
    if text.startswith("@"):
        return socket.if_nametoindex(text[1:])
    return _expr(text, idx)


def encode_value(typ, text, idx=0):
    """The payload of an attribute of type @typ written as @text."""
    if typ in INT_FMT:
        fmt = INT_FMT[typ]
        if not fmt.startswith(">"):
            fmt = "=" + fmt
        value = _number(text, idx)
        size = struct.calcsize(fmt)
        return (value & ((1 << (8 * size)) - 1)).to_bytes(
            size, "big" if fmt.startswith(">") else sys.byteorder)
    if typ == "ip":
        addr, _, off = text.partition("+")
        ip = ipaddress.ip_address(addr)
        if off:
            ip = ip + _expr(off, idx)
        return ip.packed
    if typ in ("str", "nstr"):
        unit, n = _repeat(text)
        data = (unit * n).encode()
        return data + b"\0" if typ == "str" else data
    if typ == "hex":
        unit, n = _repeat(text)
        return bytes.fromhex(unit.replace("%i", "%02x" % (idx & 0xff))) * n
    if typ == "flag":
        if text:
            raise SpecError("a flag has no value")
        return b""
    raise SpecError("unknown type %r" % typ)


def _pad(data):
    return data + b"\0" * (-len(data) % 4)


def _attr(atype, payload, nla_len=None):
    length = len(payload) + 4 if nla_len is None else nla_len
    return struct.pack("=HH", length & 0xffff, atype & 0xffff) + _pad(payload)


class _Builder:
    """Parse the attribute notation of one message into bytes."""

    def __init__(self, tokens):
        self.toks = tokens
        self.pos = 0
        self.marks = []         # offsets (from the attributes' start)

    def peek(self):
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def attrs(self, aset, base, idx, closing):
        out = b""
        while True:
            tok = self.peek()
            if tok is None:
                if closing:
                    raise SpecError("missing }")
                return out
            if tok.startswith("}"):
                if not closing:
                    raise SpecError("unexpected }")
                return out
            self.pos += 1
            out += self.one(tok, aset, base + len(out), idx)

    def one(self, tok, aset, off, idx):
        if tok.startswith("@raw="):
            return bytes.fromhex(tok[5:])
        m = re.fullmatch(r"(\*?)([#\w-]+?)(?:~(\d+))?(?::(\w+))?(?:=(.*))?",
                         tok, re.S)
        if not m:
            raise SpecError("bad attribute %r" % tok)
        mark, key, nla_len, typ, value = m.groups()
        sub = "any"
        if key.startswith("#"):
            atype = int(key[1:], 0)
            known = SETS.get(aset, [])
            info = known[atype] if 0 < atype < len(known) else None
        else:
            if key not in SET_BY_NAME.get(aset, {}):
                raise SpecError("no attribute %r in set %s" % (key, aset))
            atype, info = SET_BY_NAME[aset][key]
        if info:
            typ = typ or info[1]
            if info[1] == "nest":
                sub = info[2]
        nest = self.peek() == "{"
        if nest:
            typ = typ if typ in ("nest", "nonest") else "nest"
        elif typ is None:
            typ = "hex" if value is not None else "flag"
        nla_len = int(nla_len) if nla_len else None
        if not nest:
            if typ in ("nest", "nonest"):
                if value:
                    raise SpecError("a nest takes {...}")
                payload = b""
            else:
                payload = encode_value(typ, value or "", idx)
            if typ == "nest":
                atype |= NLA_F_NESTED
            if mark:
                self.marks.append(off)
            return _attr(atype, payload, nla_len)
        self.pos += 1                   # {
        start = self.pos
        # {...}*N: the nest N times, built once unless it uses %i.
        depth, end = 1, start
        while depth and end < len(self.toks):
            depth += self.toks[end] == "{"
            depth -= self.toks[end].startswith("}")
            end += 1
        close = self.toks[end - 1] if end > start else ""
        count = int(close[2:]) if len(close) > 1 else 1
        flags = NLA_F_NESTED if typ == "nest" else 0
        if count > 1 and not any("%i" in t for t in self.toks[start:end]):
            if mark:
                self.marks.append(off)
            body = self.attrs(sub, off + 4, idx, True)
            self.pos += 1               # }
            return _attr(atype | flags, body, nla_len) * count
        out = b""
        for rep in range(count):
            self.pos = start
            at = off + len(out)
            if mark:
                self.marks.append(at)
            body = self.attrs(sub, at + 4, rep if count > 1 else idx, True)
            out += _attr(atype | flags, body, nla_len)
        self.pos += 1                   # }
        return out


def build(text, family_id, seq, portid=0):
    """Bytes of the request(s) in @text, and for each request the offsets
    (from its nlmsghdr) of its attributes marked with `*`.

    Returns (bytes, [(seq, marks, is_dump, wants_ack)...]).
    """
    data = b""
    info = []
    for part in text.split(";;"):
        toks = _tokens(part)
        if not toks:
            raise SpecError("empty message")
        cmd_tok = toks[0]
        if cmd_tok.startswith("#"):
            cmd = int(cmd_tok[1:], 0)
        elif cmd_tok in CMD:
            cmd = CMD[cmd_tok]
        else:
            raise SpecError("unknown command %r" % cmd_tok)
        flags = NLM_F_REQUEST | NLM_F_ACK
        version, reserved, mtype = 1, 0, family_id
        length = trunc = None
        opts = [t for t in toks[1:] if t.startswith("+")]
        toks = [t for t in toks[1:] if not t.startswith("+")]
        for tok in opts:
            opt, _, val = tok[1:].partition("=")
            if opt == "dump":
                flags |= NLM_F_DUMP
            elif opt == "noack":
                flags &= ~NLM_F_ACK
            elif opt == "flags":
                flags = int(val, 0)
            elif opt == "version":
                version = int(val, 0)
            elif opt == "reserved":
                reserved = int(val, 0)
            elif opt == "family":
                mtype = int(val, 0)
            elif opt == "len":
                length = int(val, 0)
            elif opt == "trunc":
                trunc = int(val, 0)
            else:
                raise SpecError("unknown option +%s" % opt)
        b = _Builder(toks)
        body = b.attrs("xmesh", 20, 0, False)
        msg_len = 20 + len(body)
        if trunc is not None:
            msg_len = trunc
        if length is None:
            length = msg_len
        msg = struct.pack("=IHHII", length, mtype, flags, seq, portid)
        msg += struct.pack("=BBH", cmd, version, reserved) + body
        msg = msg[:msg_len]
        data += _pad(msg) if trunc is None else msg
        info.append((seq, list(b.marks), bool(flags & NLM_F_DUMP),
                     bool(flags & NLM_F_ACK)))
        seq += 1
    return data, info


# --------------------------------------------------------------- decoding

def iter_attrs(data):
    """(type, flags, payload) of each attribute in @data; stops at the
    first one that does not fit."""
    off = 0
    while off + 4 <= len(data):
        alen, atype = struct.unpack_from("=HH", data, off)
        if alen < 4 or off + alen > len(data):
            break
        yield atype & NLA_TYPE_MASK, atype & ~NLA_TYPE_MASK, \
            data[off + 4:off + alen]
        off += (alen + 3) & ~3


def decode_value(typ, payload):
    if typ in INT_FMT and len(payload) == struct.calcsize(
            INT_FMT[typ].lstrip(">")):
        fmt = INT_FMT[typ]
        return struct.unpack(fmt if fmt.startswith(">") else "=" + fmt,
                             payload)[0]
    if typ == "ip" and len(payload) in (4, 16):
        return str(ipaddress.ip_address(payload))
    if typ == "str":
        return payload.split(b"\0", 1)[0].decode(errors="replace")
    if typ == "flag":
        return True
    return payload.hex()


def decode_attrs(data, aset="xmesh"):
    """A dict of the attributes in @data, named after the set @aset."""
    out = {}
    attrs = SETS.get(aset, [])
    for atype, _, payload in iter_attrs(data):
        info = attrs[atype] if 0 < atype < len(attrs) else None
        if info is None:
            name, value = "#%d" % atype, payload.hex()
        elif info[1] == "nest":
            name, value = info[0], decode_attrs(payload, info[2])
        else:
            name, value = info[0], decode_value(info[1], payload)
        if (aset, name) in REPEATED:
            out.setdefault(name, []).append(value)
        else:
            out[name] = value
    return out


def entry_key(msg):
    """The key of the one table entry a reply or dump message holds."""
    for kind in ("neigh", "route", "prefix", "key"):
        if msg.get(kind):
            e = msg[kind][0]
            if kind == "prefix":
                return "%s/%s" % (e.get("addr"), e.get("len"))
            if kind == "key":
                # A neighbor's per-hop key, or node N's origin key (nN).
                owner = e.get("neigh") if "neigh" in e else \
                    "n%s" % e.get("node")
                return "%s/%s/%s" % (owner, e.get("dir"), e.get("id"))
            return e.get(ENTRY_KEYS[kind])
    return msg.get("ifname")


# ----------------------------------------------------------------- client

class Result:
    """What the kernel answered to one request."""

    def __init__(self):
        self.error = None       # positive errno, 0 for success
        self.msg = None         # extack message
        self.offs = None        # extack offending offset
        self.replies = []       # decoded reply messages
        self.intr = False       # a part carried NLM_F_DUMP_INTR
        self.timeout = False

    def as_dict(self):
        return {"error": errno_name(self.error) if self.error is not None
                else None, "msg": self.msg, "offs": self.offs,
                "intr": self.intr, "timeout": self.timeout,
                "replies": self.replies}


class Client:
    """A generic-netlink socket talking to the xmesh family."""

    def __init__(self, family="xmesh", timeout=10.0):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        for opt, forced, size in ((socket.SO_SNDBUF, SO_SNDBUFFORCE, 4 << 20),
                                  (socket.SO_RCVBUF, SO_RCVBUFFORCE, 4 << 20)):
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, forced, size)
            except PermissionError:
                self.sock.setsockopt(socket.SOL_SOCKET, opt, size)
        self.sock.bind((0, 0))
        self.portid = self.sock.getsockname()[0]
        self.timeout = timeout
        self.seq = int(time.time()) & 0xffff
        self.buf = bytearray(1 << 20)
        self.family_id = 0
        self.mcast = {}
        if family:
            self.resolve(family)

    def resolve(self, name):
        self.seq += 1
        body = _attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0")
        msg = struct.pack("=IHHII", 20 + len(body), GENL_ID_CTRL,
                          NLM_F_REQUEST | NLM_F_ACK, self.seq, 0)
        msg += struct.pack("=BBH", CTRL_CMD_GETFAMILY, 1, 0) + body
        res = self._exchange(msg, [(self.seq, [], False)], raw=True)[0]
        if res.error:
            raise OSError(res.error, "cannot resolve family %s: %s"
                          % (name, res.msg or os.strerror(res.error)))
        attrs = dict((t, p) for t, _, p in iter_attrs(res.replies[0]))
        self.family_id = struct.unpack("=H", attrs[CTRL_ATTR_FAMILY_ID])[0]
        for _, _, grp in iter_attrs(attrs.get(CTRL_ATTR_MCAST_GROUPS, b"")):
            g = dict((t, p) for t, _, p in iter_attrs(grp))
            gname = g[CTRL_ATTR_MCAST_GRP_NAME].split(b"\0")[0].decode()
            self.mcast[gname] = struct.unpack(
                "=I", g[CTRL_ATTR_MCAST_GRP_ID])[0]

    def subscribe(self, group):
        self.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
                             self.mcast[group])

    def request(self, text):
        """Send the request(s) in @text; a list of (Result, marks)."""
        self.seq += 1
        data, info = build(text, self.family_id, self.seq, 0)
        self.seq += len(info)
        results = self._exchange(data, info)
        return list(zip(results, [i[1] for i in info]))

    def send_raw(self, data, info):
        return self._exchange(data, info)

    def _exchange(self, data, info, raw=False):
        results = {i[0]: Result() for i in info}
        # What ends each request: its ack or error ("ack"), or for a do
        # sent without NLM_F_ACK, its reply ("reply").
        pending = {i[0]: "ack" if i[2] or len(i) < 4 or i[3] else "reply"
                   for i in info}
        try:
            self.sock.send(data)
        except OSError as e:
            for r in results.values():
                r.error = e.errno
                r.msg = "sendmsg: " + e.strerror
            return [results[i[0]] for i in info]
        deadline = time.monotonic() + self.timeout
        while pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                for s in pending:
                    results[s].timeout = True
                break
            try:
                n = self.sock.recv_into(self.buf)
            except OSError as e:
                if e.errno == errno.ENOBUFS:    # events overflowed
                    continue
                raise
            self._parse(memoryview(self.buf)[:n].tobytes(), results,
                        pending, raw)
        return [results[i[0]] for i in info]

    def _parse(self, data, results, pending, raw):
        off = 0
        while off + 16 <= len(data):
            mlen, mtype, mflags, mseq, _ = struct.unpack_from("=IHHII",
                                                              data, off)
            if mlen < 16:
                break
            body = data[off + 16:off + mlen]
            off += (mlen + 3) & ~3
            res = results.get(mseq)
            if res is None or mseq not in pending:
                continue        # an event, or a stale answer
            if mtype == NLMSG_ERROR or mtype == NLMSG_DONE:
                err = struct.unpack_from("=i", body, 0)[0] if body else 0
                res.error = -err
                tlv_off = 4
                if mtype == NLMSG_ERROR:
                    if mflags & NLM_F_CAPPED:
                        tlv_off += 16
                    elif len(body) >= 20:
                        tlv_off += struct.unpack_from("=I", body, 4)[0]
                if mflags & NLM_F_ACK_TLVS:
                    tlv_off = (tlv_off + 3) & ~3
                    for t, _, p in iter_attrs(body[tlv_off:]):
                        if t == NLMSGERR_ATTR_MSG:
                            res.msg = p.split(b"\0", 1)[0].decode(
                                errors="replace")
                        elif t == NLMSGERR_ATTR_OFFS and len(p) == 4:
                            res.offs = struct.unpack("=I", p)[0]
                # A dump ends with DONE (or an error); a do with the ack,
                # or with its reply if no ack was asked for.
                del pending[mseq]
                continue
            if mflags & NLM_F_DUMP_INTR:
                res.intr = True
            payload = body[4:]
            res.replies.append(payload if raw else decode_attrs(payload))
            if pending[mseq] == "reply":
                del pending[mseq]       # a do asked without an ack

    def drain(self):
        """Read and return whatever is queued (events), without waiting."""
        out = []
        while select.select([self.sock], [], [], 0)[0]:
            try:
                n = self.sock.recv_into(self.buf)
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    out.append(None)
                    continue
                raise
            data = memoryview(self.buf)[:n].tobytes()
            off = 0
            while off + 16 <= len(data):
                mlen, mtype, _, _, _ = struct.unpack_from("=IHHII", data, off)
                if mlen < 16:
                    break
                out.append((mtype, data[off + 16:off + mlen]))
                off += (mlen + 3) & ~3
        return out


# ---------------------------------------------------------------- checking

def _path(obj, path):
    for comp in path.split("."):
        if isinstance(obj, list):
            if comp.isdigit():
                obj = obj[int(comp)]
                continue
            obj = obj[0]
        obj = obj[comp]
    return obj


def check(result, marks, expect):
    """'' when @result meets @expect, else why not.

    @expect: `ok [CHECK...]` or `ERRNO [~ REGEX]`. Checks after ok:
    n=COUNT (reply messages), keys=K1,K2.. (the entries' keys, any order),
    PATH=VALUE (in the first reply, e.g. neigh.port=7700). An error must
    come with an extack message matching REGEX (case-insensitive; `~ -`
    accepts no message at all; no `~` accepts any message), pointing at
    the attribute marked with * in the request, if one is.
    """
    if result.timeout:
        return "no answer within the timeout"
    got = "%s%s" % (errno_name(result.error),
                    " \"%s\"" % result.msg if result.msg else " (no message)")
    if result.offs is not None:
        got += " at offset %d" % result.offs
    words = expect.split(None, 1)
    if not words:
        return "empty expectation"
    if words[0] == "ok":
        if result.error:
            return "want success, got " + got
        for chk in (words[1].split() if len(words) > 1 else []):
            key, _, want = chk.partition("=")
            if key == "n":
                have = str(len(result.replies))
            elif key == "keys":
                have = ",".join(sorted(str(entry_key(r))
                                       for r in result.replies))
                want = ",".join(sorted(want.split(","))) if want else ""
            else:
                try:
                    have = str(_path(result.replies[0], key))
                except (KeyError, IndexError, TypeError):
                    have = "(absent)"
            if have != want:
                return "want %s=%s, got %s" % (key, want, have[:300])
        if result.intr:
            return "dump marked NLM_F_DUMP_INTR"
        return ""
    want_err = errno_value(words[0])
    if result.error != want_err:
        return "want %s, got %s" % (words[0], got)
    rest = words[1].strip() if len(words) > 1 else ""
    if rest.startswith("~"):
        regex = rest[1:].strip()
        if regex != "-":
            if not result.msg:
                return "want an extack message matching /%s/, got %s" % (
                    regex, got)
            if not re.search(regex, result.msg, re.I):
                return "extack message does not match /%s/: %s" % (regex,
                                                                     got)
    elif not result.msg:
        return "want an extack message, got " + got
    if marks:
        if result.offs is None:
            return "want the offending offset %d, got %s" % (marks[0], got)
        if result.offs != marks[0]:
            return "want the offending offset %d, got %s" % (marks[0], got)
    return ""


def run_batch(client, lines, out=sys.stdout):
    """Run check lines `NAME | EXPECT | MESSAGE` (see check() for EXPECT).

    The separators are ` | `, with spaces, so that a regex in EXPECT may
    hold a bare |. `;;` in MESSAGE sends several requests in one
    sendmsg(), with as many `;;`-separated EXPECTs. Prints `ok<TAB>NAME`
    or `not ok<TAB>NAME<TAB>WHY` per line, and `# NAME: S s` for a slow
    one. Blank lines and lines starting with # are skipped; a trailing
    backslash continues a line.
    """
    failed = 0
    joined = []
    for line in lines:
        line = line.rstrip("\n")
        if joined and joined[-1].endswith("\\"):
            joined[-1] = joined[-1][:-1] + " " + line.strip()
        else:
            joined.append(line)
    for line in joined:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, rest = line.partition(" | ")
        expect, _, message = rest.rpartition(" | ")
        name, expect, message = name.strip(), expect.strip(), message.strip()
        if not (name and expect and message):
            print("not ok\t%s\tmalformed check line" % line[:60], file=out)
            failed += 1
            continue
        start = time.monotonic()
        try:
            answers = client.request(message)
        except (SpecError, ValueError, OSError) as e:
            print("not ok\t%s\tbad request: %s" % (name, e), file=out)
            failed += 1
            continue
        expects = [e.strip() for e in expect.split(";;")]
        why = ""
        if len(expects) != len(answers):
            why = "%d expectations for %d requests" % (len(expects),
                                                       len(answers))
        for i, ((res, marks), exp) in enumerate(zip(answers, expects)):
            w = check(res, marks, exp)
            if w:
                why = (why + "; " if why else "") + (
                    "request %d: %s" % (i + 1, w) if len(answers) > 1 else w)
        took = time.monotonic() - start
        if took > 2:
            print("# %s: %.1f s" % (name, took), file=out)
        if why:
            failed += 1
            print("not ok\t%s\t%s" % (name, why), file=out)
        else:
            print("ok\t%s" % name, file=out)
        out.flush()
    return failed


# ------------------------------------------------------------ table fill

BATCH_MAX = 4096        # XMESH_BATCH_MAX


def _aid(aset, name):
    return SET_BY_NAME[aset][name][0]


def fill_entry(kind, i, neigh):
    """Entry @i of a table fill, as nest bytes: route to node 100+i via
    neighbor @neigh, or prefix 10.0.0.0/24 + i*256 of node 5. (Built
    directly: the notation is too slow under emulation for 65536.)"""
    if kind == "route":
        nh = _attr(_aid("nexthop", "neigh"), struct.pack("=I", neigh))
        body = _attr(_aid("route", "dst"), struct.pack("=I", 100 + i)) + \
            _attr(_aid("route", "nexthop") | NLA_F_NESTED, nh)
        return _attr(_aid("xmesh", "route") | NLA_F_NESTED, body)
    body = _attr(_aid("prefix", "family"), struct.pack("=H", 2)) + \
        _attr(_aid("prefix", "addr"), struct.pack(">I", (10 << 24) + i * 256)) + \
        _attr(_aid("prefix", "len"), b"\x18") + \
        _attr(_aid("prefix", "node"), struct.pack("=I", 5))
    return _attr(_aid("xmesh", "prefix") | NLA_F_NESTED, body)


def fill(client, dev, kind, count, neigh, out=sys.stdout):
    """Add @count routes or prefixes to @dev, BATCH_MAX per request, one
    result line per request (as run_batch's). Returns the failures."""
    failed = 0
    start = time.monotonic()
    head = _attr(_aid("xmesh", "ifname"), dev.encode() + b"\0")
    for first in range(0, count, BATCH_MAX):
        n = min(BATCH_MAX, count - first)
        body = head + b"".join(fill_entry(kind, i, neigh)
                               for i in range(first, first + n))
        client.seq += 1
        msg = struct.pack("=IHHII", 20 + len(body), client.family_id,
                          NLM_F_REQUEST | NLM_F_ACK, client.seq, 0)
        msg += struct.pack("=BBH", CMD[kind + "-new"], 1, 0) + body
        res, = client.send_raw(msg, [(client.seq, [], False, True)])
        name = "%s-new of %s %d to %d" % (kind, kind + "s", first + 1,
                                          first + n)
        if res.error or res.timeout:
            failed += 1
            print("not ok\t%s\t%s" % (name, check(res, [], "ok")), file=out)
        else:
            print("ok\t%s" % name, file=out)
    print("# %d %s entries in %.1f s" % (count, kind,
                                         time.monotonic() - start), file=out)
    return failed


# -------------------------------------------------------------------- fuzz

ALLOWED_ERRNOS = {0, errno.EINVAL, errno.ERANGE, errno.ENOENT, errno.EEXIST,
                  errno.E2BIG, errno.ENOSPC, errno.EBUSY, errno.ENODEV,
                  errno.EOPNOTSUPP, errno.ENETDOWN, errno.EHOSTUNREACH,
                  errno.EADDRINUSE, errno.EMSGSIZE, errno.EIO,
                  errno.EPROTONOSUPPORT}      # a garbled genl version


class Fuzzer:
    """Random and mutated requests against the xmesh devices of the
    current network namespace, with valid changes and dumps in between,
    checking that every request is answered with a plausible errno and
    that the tables stay consistent."""

    def __init__(self, client, devs, links, seed):
        self.c = client
        self.devs = devs
        self.links = links
        self.rng = random.Random(seed)
        self.stats = {}
        self.no_msg = {}
        self.problems = []
        self.events = client_events(client)
        self.n_events = 0
        self.n_events_lost = 0

    # -- valid pieces
    def dev(self):
        r = self.rng
        d = r.choice(self.devs)
        if r.random() < 0.5:
            return "ifname=%s" % d
        return "ifindex=%d" % socket.if_nametoindex(d)

    def addr(self, v6=None):
        r = self.rng
        if v6 is None:
            v6 = r.random() < 0.3
        if v6:
            return "fe80::%x" % r.randint(1, 40)
        return "10.77.0.%d" % r.randint(1, 40)

    def neigh(self, full=True):
        r = self.rng
        parts = ["id=%d" % r.randint(1, 40)]
        if full:
            parts += ["node=%d" % r.randint(1, 12),
                      "link=@%s" % r.choice(self.links),
                      "remote=%s" % self.addr()]
            if r.random() < 0.3:
                parts.append("port=%d" % r.randint(1, 65535))
            if r.random() < 0.3:
                parts.append("state=%d" % r.randint(0, 1))
            if r.random() < 0.1:
                parts.append("local=%s" % self.addr())
        return "neigh{ %s }" % " ".join(parts)

    def route(self, full=True):
        r = self.rng
        text = "route{ dst=%d" % r.randint(1, 12)
        if full:
            for _ in range(r.choice([1, 1, 2, 3, 8, 9])):
                text += " nexthop{ neigh=%d" % r.randint(1, 40)
                if r.random() < 0.5:
                    text += " priority=%d" % r.randint(0, 3)
                text += " }"
        return text + " }"

    def prefix(self, full=True):
        r = self.rng
        if r.random() < 0.6:
            length = r.randint(0, 32)
            net = ipaddress.ip_network("10.%d.%d.0/%d" % (
                r.randint(0, 255), r.randint(0, 255), length), strict=False)
            fam = 2
        else:
            length = r.randint(0, 128)
            net = ipaddress.ip_network("fd00:%x::/%d" % (
                r.randint(0, 0xffff), length), strict=False)
            fam = 10
        text = "prefix{ family=%d addr=%s len=%d" % (fam, net.network_address,
                                                     length)
        if full:
            text += " node=%d" % r.randint(1, 12)
        return text + " }"

    def key(self, full=True):
        r = self.rng
        text = "key{ neigh=%d id=%d dir=%d" % (
            r.randint(1, 40), r.randint(1, 6), r.randint(1, 2))
        if full:
            text += " key=%064x" % r.getrandbits(256)
        return text + " }"

    def valid(self):
        r = self.rng
        kind = r.choice(["neigh-new", "neigh-new", "neigh-set", "neigh-del",
                         "route-new", "route-new", "route-del", "prefix-new",
                         "prefix-del", "dev-set", "oam-send", "oam-link",
                         "neigh-get", "route-get", "prefix-get", "dev-get",
                         "key-new", "key-new", "key-del", "key-get",
                         "dump"])
        dev = self.dev()
        n = r.choice([1, 1, 1, 2, 3, 5])
        if kind == "neigh-new":
            body = " ".join(self.neigh() for _ in range(n))
            if r.random() < 0.4:
                body += " replace"
        elif kind == "neigh-set":
            body = " ".join("neigh{ id=%d state=%d }" % (
                r.randint(1, 40), r.randint(0, 1)) for _ in range(n))
        elif kind == "neigh-del":
            body = "flush" if r.random() < 0.05 else \
                " ".join(self.neigh(False) for _ in range(n))
        elif kind == "route-new":
            body = " ".join(self.route() for _ in range(n))
            if r.random() < 0.4:
                body += " replace"
        elif kind == "route-del":
            body = "flush" if r.random() < 0.05 else \
                " ".join(self.route(False) for _ in range(n))
        elif kind == "prefix-new":
            body = " ".join(self.prefix() for _ in range(n))
            if r.random() < 0.4:
                body += " replace"
        elif kind == "prefix-del":
            body = "flush" if r.random() < 0.05 else \
                " ".join(self.prefix(False) for _ in range(n))
        elif kind == "key-new":
            body = " ".join(self.key() for _ in range(n))
            if r.random() < 0.4:
                body += " replace"
        elif kind == "key-del":
            body = "flush" if r.random() < 0.05 else \
                " ".join(self.key(False) for _ in range(n))
        elif kind == "key-get":
            body = self.key(False)
        elif kind == "dev-set":
            opts = []
            if r.random() < 0.3:
                opts.append("node-id=%d" % r.randint(1, 12))
            if r.random() < 0.2:
                opts.append("port=%d" % r.randint(7700, 7705))
            if r.random() < 0.1:
                opts.append("family=%d" % r.choice([2, 10]))
            if r.random() < 0.3:
                opts.append("hop-limit=%d" % r.randint(1, 255))
            if r.random() < 0.2:
                opts.append("security=%d" % r.randint(0, 2))
            body = "dev{ %s }" % " ".join(opts)
        elif kind == "oam-send":
            body = "oam{ dst=%d ident=%d seq=%d hop-limit=%d }" % (
                r.randint(1, 12), r.randint(0, 65535), r.randint(0, 99),
                r.randint(1, 16))
        elif kind == "oam-link":
            # A link probe; now and then with a dst, right or wrong.
            kind = "oam-send"
            body = "oam{ neigh=%d ident=%d seq=%d%s }" % (
                r.randint(1, 40), r.randint(0, 65535), r.randint(0, 99),
                " dst=%d" % r.randint(1, 12) if r.random() < 0.2 else "")
        elif kind == "neigh-get":
            body = self.neigh(False)
        elif kind == "route-get":
            body = self.route(False)
        elif kind == "prefix-get":
            body = self.prefix(False)
        elif kind == "dev-get":
            body = ""
        else:
            kind = r.choice(["neigh-get", "route-get", "prefix-get",
                             "key-get", "dev-get"])
            return "%s +dump %s" % (kind, dev)
        return "%s %s %s" % (kind, dev, body)

    # -- garbage
    def garbage_attrs(self, depth):
        r = self.rng
        out = b""
        for _ in range(r.randint(0, 4)):
            atype = r.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 17,
                              0x7fff, r.randint(0, 0xffff)])
            if depth > 0 and r.random() < 0.5:
                payload = self.garbage_attrs(depth - 1)
                atype |= NLA_F_NESTED if r.random() < 0.8 else 0
            elif r.random() < 0.02:     # oversized
                payload = bytes([r.randint(0, 255)]) * r.choice(
                    [256, 4096, 65000])
            else:
                payload = bytes(r.randint(0, 255) for _ in range(
                    r.choice([0, 1, 2, 4, 8, 16, 17, r.randint(0, 40)])))
            nla_len = None
            if r.random() < 0.05:
                nla_len = r.randint(0, 0xffff)
            out += _attr(atype, payload, nla_len)
        return out

    def garbage(self):
        r = self.rng
        body = b""
        if r.random() < 0.7:
            body += _attr(2, (r.choice(self.devs)).encode() + b"\0")
        body += self.garbage_attrs(r.choice([1, 2, 3, 8, 40]))
        cmd = r.choice([r.randint(0, 22)] + list(range(1, 14)) +
                       [17, 18, 19])
        flags = NLM_F_REQUEST | NLM_F_ACK
        if r.random() < 0.15:
            flags |= NLM_F_DUMP
        self.c.seq += 1
        msg = struct.pack("=IHHII", 20 + len(body), self.c.family_id, flags,
                          self.c.seq, 0)
        msg += struct.pack("=BBH", cmd, r.randint(0, 2), 0) + body
        return msg, [(self.c.seq, [], bool(flags & NLM_F_DUMP), True)]

    def mutate(self, data):
        r = self.rng
        b = bytearray(data)
        for _ in range(r.randint(1, 4)):
            op = r.randrange(8)
            if op == 0 and len(b) > 20:         # flip a bit past the header
                i = r.randrange(20, len(b))
                b[i] ^= 1 << r.randrange(8)
            elif op == 1 and len(b) > 20:       # a random byte
                b[r.randrange(20, len(b))] = r.randrange(256)
            elif op == 2 and len(b) > 24:       # cut the tail
                del b[r.randrange(20, len(b)):]
            elif op == 3:                       # random bytes at the end
                b += bytes(r.randrange(256) for _ in range(r.randint(1, 12)))
            elif op == 4 and len(b) > 24:       # a 16-bit field at random
                i = r.randrange(20, len(b) - 1) & ~1
                struct.pack_into("=H", b, i, r.choice(
                    [0, 1, 3, 4, 5, 8, 0x8000, 0xffff, r.randrange(65536)]))
            elif op == 5:                       # another command
                b[16] = r.randint(0, 22)
            elif op == 6 and len(b) > 24:       # duplicate a chunk
                i = r.randrange(20, len(b))
                j = min(len(b), i + r.choice([4, 8, 12, 24]))
                b[j:j] = b[i:j]
            elif op == 7 and len(b) > 24:       # the nested flag
                i = r.randrange(20, len(b) - 3) & ~3
                b[i + 3] ^= 0x80
        struct.pack_into("=I", b, 0, len(b))
        if r.random() < 0.03:   # lie about the length
            struct.pack_into("=I", b, 0, r.randint(0, len(b) + 8))
        return bytes(b)

    # -- running
    def send(self, data, info, what):
        for seq_info, res in zip(info, self.c.send_raw(data, info)):
            seq = seq_info[0]
            if res.timeout:
                self.problems.append("%s (seq %d): no answer" % (what, seq))
                continue
            self.stats[errno_name(res.error)] = \
                self.stats.get(errno_name(res.error), 0) + 1
            if res.error not in ALLOWED_ERRNOS:
                self.problems.append("%s: unexpected %s \"%s\": %s" % (
                    what, errno_name(res.error), res.msg, data.hex()[:400]))
            if res.error and not res.msg:
                cmd = data[16] if len(data) > 16 else -1
                key = "%s %s" % (COMMANDS[cmd] if 0 < cmd < len(COMMANDS)
                                 else "cmd %d" % cmd, errno_name(res.error))
                if key not in self.no_msg:
                    self.no_msg[key] = [0, data.hex()[:200]]
                self.no_msg[key][0] += 1
            if res.intr:
                self.problems.append("%s: NLM_F_DUMP_INTR with no "
                                     "concurrent change" % what)

    def consistency(self):
        """The dumps agree with the devices' counts and with each other."""
        for d in self.devs:
            (dev, _), = self.c.request("dev-get ifname=%s" % d)
            if dev.error:
                self.problems.append("dev-get %s: %s" % (d, errno_name(
                    dev.error)))
                continue
            info = dev.replies[0].get("dev", {})
            tables = {}
            for kind, count in (("neigh", "neigh-count"),
                                ("route", "route-count"),
                                ("prefix", "prefix-count"),
                                ("key", "key-count")):
                (res, _), = self.c.request("%s-get +dump ifname=%s" % (kind,
                                                                       d))
                if res.error or res.intr or res.timeout:
                    self.problems.append("%s dump of %s: %s%s" % (
                        kind, d, errno_name(res.error),
                        " (interrupted)" if res.intr else ""))
                    continue
                keys = [entry_key(m) for m in res.replies]
                tables[kind] = res.replies
                if len(keys) != info.get(count):
                    self.problems.append("%s: %s %s but the dump has %d" % (
                        d, count, info.get(count), len(keys)))
                if len(set(keys)) != len(keys):
                    self.problems.append("%s: duplicate %s entries: %s" % (
                        d, kind, keys))
            ids = {m["neigh"][0].get("id") for m in tables.get("neigh", [])}
            for m in tables.get("route", []):
                for nh in m["route"][0].get("nexthop", []):
                    if nh.get("neigh") not in ids:
                        self.problems.append(
                            "%s: route to %s via deleted neighbor %s" % (
                                d, m["route"][0].get("dst"), nh.get("neigh")))
                if len(m["route"][0].get("nexthop", [])) > 8:
                    self.problems.append("%s: route with > 8 next hops" % d)
            rx_keys = {}
            for m in tables.get("key", []):
                k = m["key"][0]
                if k.get("neigh") not in ids:
                    self.problems.append("%s: key of deleted neighbor %s" % (
                        d, k.get("neigh")))
                if "key" in k:
                    self.problems.append("%s: a dump shows key bytes" % d)
                if k.get("dir") == 2:
                    rx_keys[k.get("neigh")] = rx_keys.get(k.get("neigh"),
                                                          0) + 1
            if any(n > 4 for n in rx_keys.values()):
                self.problems.append("%s: more than 4 receive keys: %s" % (
                    d, rx_keys))

    def run(self, count, seconds=None):
        """@count requests, or as many as fit in @seconds if given (the
        same seed then replays them with that count). Returns how many."""
        r = self.rng
        done = 0
        for i in budget(count, seconds):
            done = i + 1
            what = "request %d" % i
            roll = r.random()
            if roll < 0.35:
                text = self.valid()
                try:
                    self.c.seq += 1
                    data, info = build(text, self.c.family_id, self.c.seq)
                    self.c.seq += len(info)
                except (SpecError, OSError, ValueError) as e:
                    self.problems.append("cannot build %r: %s" % (text, e))
                    continue
                self.send(data, info, what + " " + text[:60])
            elif roll < 0.80:
                text = self.valid()
                self.c.seq += 1
                data, info = build(text, self.c.family_id, self.c.seq)
                self.c.seq += len(info)
                mutated = self.mutate(data)
                length = struct.unpack_from("=I", mutated, 0)[0]
                if length < 16 or length > len(mutated):
                    # The kernel skips what is not a whole message header
                    # and answers nothing: send it, expect no answer.
                    self.c.sock.send(mutated)
                    continue
                self.send(mutated, info, what + " (mutated)")
            else:
                data, info = self.garbage()
                self.send(data, info, what + " (garbage)")
            if i % 10 == 0:
                self.check_events()
            if i % 250 == 249:
                self.consistency()
        self.consistency()
        self.check_events()
        return done

    def check_events(self):
        """Every notification is well formed: an event command, the
        device named, one entry of the right kind."""
        want = {CMD["neigh-event"]: "neigh", CMD["neigh-del"]: "neigh",
                CMD["route-event"]: "route", CMD["route-del"]: "route",
                CMD["oam-event"]: "oam"}
        for ev in self.events.drain():
            if ev is None:
                self.n_events_lost += 1
                continue
            mtype, body = ev
            if mtype != self.c.family_id or len(body) < 4:
                self.problems.append("event of type %d" % mtype)
                continue
            self.n_events += 1
            kind = want.get(body[0])
            attrs = decode_attrs(body[4:])
            if kind is None or kind not in attrs or "ifname" not in attrs \
                    or "ifindex" not in attrs:
                self.problems.append("malformed event (cmd %d): %s" % (
                    body[0], json.dumps(attrs)[:300]))


def client_events(client):
    """A second socket listening to every group of the family."""
    ev = Client(family=None)
    ev.family_id = client.family_id
    ev.mcast = client.mcast
    for g in client.mcast:
        ev.subscribe(g)
    return ev


# --------------------------------------------------------------------- CLI

def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help", "help"):
        print(__doc__)
        return 0 if len(argv) >= 2 else 2
    mode = argv[1]
    if mode == "send":
        client = Client()
        answers = client.request(" ".join(argv[2:]))
        json.dump([dict(res.as_dict(), marks=marks) for res, marks in answers],
                  sys.stdout, indent=1, default=str)
        print()
        return 1 if any(res.error for res, _ in answers) else 0
    if mode == "batch":
        # Dumps of thousands of entries take seconds under emulation.
        client = Client(timeout=60.0)
        return 1 if run_batch(client, sys.stdin) else 0
    if mode == "fill" and len(argv) in (5, 6):
        client = Client()
        return 1 if fill(client, argv[2], argv[3], int(argv[4]),
                         int(argv[5]) if len(argv) == 6 else 1) else 0
    if mode == "fuzz":
        import argparse
        ap = argparse.ArgumentParser(prog="nlraw.py fuzz")
        ap.add_argument("--seed", type=int, default=1)
        ap.add_argument("--count", type=int, default=2000)
        ap.add_argument("--seconds", type=float,
                        help="run this long instead of --count requests")
        ap.add_argument("--dev", action="append", required=True)
        ap.add_argument("--link", action="append", required=True)
        args = ap.parse_args(argv[2:])
        client = Client(timeout=5.0)
        fz = Fuzzer(client, args.dev, args.link, args.seed)
        start = time.monotonic()
        args.count = fz.run(args.count, args.seconds)
        took = time.monotonic() - start
        print("# %d requests in %.1f s, seed %d (replay: XMESH_FUZZ_SEED=%d "
              "XMESH_FUZZ_COUNT=%d); answers: %s" % (
                  args.count, took, args.seed, args.seed, args.count,
                  json.dumps(fz.stats, sort_keys=True)))
        print("# %d events checked, %d overflows of the event socket" % (
            fz.n_events, fz.n_events_lost))
        for key, (n, example) in sorted(fz.no_msg.items()):
            print("# error without extack message: %s (%d), e.g. %s" % (
                key, n, example))
        name = "fuzz: %d requests, every one answered plausibly and the " \
            "tables consistent" % args.count
        if fz.problems:
            print("not ok\t%s\t%s" % (name, " | ".join(fz.problems[:20])))
            return 1
        print("ok\t%s" % name)
        return 0
    print("unknown mode %s" % mode, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
