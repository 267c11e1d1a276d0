#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Link probes (oam-send with neigh) and their answers, for guest tests.

    linkprobe.py [--dev DEV] --neigh ID [--dst NODE] [--count N]
                 [--ident I] [--wait S]

Listens on the "oam" group of the xmesh family, sends N link probes
(oam-send, oam{ neigh=ID ident=I seq=1..N }) over neighbor ID of DEV in
the current network namespace, then waits up to S seconds (default 3)
for their answers. Prints one JSON object:

    {"sent": N, "errors": [...], "replies": [...], "others": [...]}

errors: the requests the kernel refused ({"seq", "error", "msg"});
replies: oam-event nests with this ident (dst, ident, seq, hop-limit, op,
reporter, rtt-ns, neigh), in arrival order; others: oam-event nests of
other idents (someone else's probes). Exit status 0 when every request
was accepted, 1 otherwise.
"""

import argparse
import json
import os
import select
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nlraw  # noqa: E402 pylint: disable=wrong-import-position


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dev", default="xmesh0")
    ap.add_argument("--neigh", required=True)
    ap.add_argument("--dst")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--ident", type=int, default=os.getpid() & 0xffff)
    ap.add_argument("--wait", type=float, default=3.0)
    ap.add_argument("--extra", default="",
                    help="more attributes of the oam nest, nlraw notation")
    args = ap.parse_args(argv[1:])

    client = nlraw.Client()
    events = nlraw.client_events(client)
    out = {"sent": args.count, "errors": [], "replies": [], "others": []}
    for seq in range(1, args.count + 1):
        text = "oam-send ifname=%s oam{ neigh=%s ident=%d seq=%d %s %s }" % (
            args.dev, args.neigh, args.ident, seq,
            "dst=%s" % args.dst if args.dst else "", args.extra)
        (res, _), = client.request(text)
        if res.error or res.timeout:
            out["errors"].append({"seq": seq, "msg": res.msg,
                                  "error": "timeout" if res.timeout else
                                  nlraw.errno_name(res.error)})

    want = args.count - len(out["errors"])
    deadline = time.monotonic() + args.wait
    done = False
    while True:
        for ev in events.drain():
            if ev is None:
                continue
            mtype, body = ev
            if mtype != client.family_id or body[0] != nlraw.CMD["oam-event"]:
                continue
            oam = nlraw.decode_attrs(body[4:]).get("oam", {})
            if oam.get("ident") == args.ident:
                out["replies"].append(oam)
            else:
                out["others"].append(oam)
        now = time.monotonic()
        if len(out["replies"]) >= want and not done:
            # All there: a little longer, to see one answered twice.
            done = True
            deadline = min(deadline, now + 0.5)
        if now >= deadline:
            break
        select.select([events.sock], [], [], deadline - now)
    json.dump(out, sys.stdout, sort_keys=True)
    print()
    return 1 if out["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
