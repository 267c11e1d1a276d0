#!/bin/bash
# Hand-made frames to the underlay UDP port (7600) of node 2 of the
# five-node mesh (tests/guest/mesh.sh), sent by tests/guest/udpsend.py from
# node 1's namespace, from its address on ul1 (neighbor 1 of node 2) or
# from another address there (no neighbor): truncated frames, unknown
# versions, types, flags and keys, node id 0, short OAM, bad inner packets,
# hop limit, loops, and valid frames; sealed frames (key id not 0) to a
# node without keys (tests/guest/13-crypto.sh has the rest). Each must
# move exactly the counter
# (drop reason) it should and no other receive-side counter of node 2.
# Then random frames, each counted once, and the mesh must still work.
# Run it with
#   XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/31-udp-input.sh
# The random part: XMESH_FUZZ_SEED (default 31) and XMESH_FUZZ_COUNT frames
# (default 2000), or as many as XMESH_FUZZ_SECONDS allow if that is set
# (scripts/fuzz-kernel.sh); the seed and count are printed for a replay.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"

FUZZ_SEED=${XMESH_FUZZ_SEED:-31}
FUZZ_COUNT=${XMESH_FUZZ_COUNT:-2000}
FUZZ_SECONDS=${XMESH_FUZZ_SECONDS:-}

# udpsend MODE ARGS...: udpsend.py from node 1 (10.99.1.1, neighbor 1 of
# node 2; 10.99.1.77 is no neighbor) to node 2's 10.99.1.2:7600, counters
# of node 2 and (as @peer:NAME) of node 1.
udpsend() {
	local out
	out=$(python3 "$here/udpsend.py" "$@" --from-ns xm-1 --src 10.99.1.1 \
		--to 10.99.1.2 --ns xm-2 --peer-ns xm-1 2>&1) || true
	tap_lines udpsend.py <<<"$out"
}

modprobe xmesh
check "mesh of five nodes configured" mesh_up inet
ip -n xm-1 addr add 10.99.1.77/24 dev ul1
check "xmesh ping 2 from 1" xm 1 ping 2 -c 1 -W 5

cases=$(mktemp)
at_exit "rm -f '$cases'"
# The frame's fields default to a valid data frame from node 1 to node 2
# holding an ICMP echo request 10.0.1.1 -> 10.0.2.1 (76 bytes).
{
	echo "a 0-byte payload | truncated=+1 | bytes="
	for k in {1..15}; do
		echo "a $k-byte payload (a header cut short) | truncated=+1 | len=$k"
	done
	cat <<'EOF'
a data header with nothing after it | truncated=+1 | inner=none
version 0 | bad-version=+1 | ver=0
version 2 | bad-version=+1 | ver=2
version 255 | bad-version=+1 | ver=255
type 0 | bad-header=+1 | type=0
type 3 (multicast) holding a unicast packet | bad-inner=+1 | type=3
type 200 | bad-header=+1 | type=200
flags 0x01 | bad-header=+1 | flags=0x01
flags 0x80 | bad-header=+1 | flags=0x80
key id 1 (sealed, but node 2 has no key) | no-key=+1 | key=1
key id 255 (sealed, but node 2 has no key) | no-key=+1 | key=255
auth-only flag with key id 3 | no-key=+1 | flags=0x01 key=3
auth-only flag with key id 0 | bad-header=+1 | flags=0x01
origin flag without a key id | bad-header=+1 | flags=0x02 res=0x0100
origin flag with origin key id 0 | bad-header=+1 | flags=0x02 key=1
origin flag on OAM | bad-header=+1 | flags=0x02 key=1 res=0x0100 oam=1 pad=24
origin flag on multicast | bad-header=+1 | flags=0x02 key=1 res=0x0100 type=3
origin auth-only flag alone | bad-header=+1 | flags=0x04 key=1
origin flags with keys: node 2 has no per-hop key | no-key=+1 | flags=0x06 key=1 res=0x0100 pad=24
an origin-sealed data frame too short for both seals | truncated=+1 | flags=0x02 key=1 res=0x0100 len=64
a sealed data frame too short for counter, tag and payload | truncated=+1 | key=1 len=40
a sealed OAM frame one byte short | truncated=+1 | key=1 oam=1 pad=23
source node 0 | bad-header=+1 | src=0
destination node 0 | bad-header=+1 | dst=0
an OAM header with nothing after it | truncated=+1 | type=2 inner=none
OAM one byte short | truncated=+1 | oam=1 len=39
OAM with op 0 | bad-header=+1 | oam=0
OAM with op 7 (the first after the link ops) | bad-header=+1 | oam=7
OAM with op 9 | bad-header=+1 | oam=9
data: garbage inner packet (version nibble 5) | bad-inner=+1 | inner=5500001400000000
data: version nibble 0 | bad-inner=+1 | inner=00000000000000000000000000000000
data: one byte of an IPv4 header | bad-inner=+1 | inner=45
data: an IPv4 header cut at 10 bytes | bad-inner=+1 | len=26
data: inner IPv4 total length beyond the frame | bad-inner=+1 | totlen=200
data: inner IPv4 total length below its header | bad-inner=+1 | totlen=12
data: inner IPv4 IHL 4 | bad-inner=+1 | ihl=4
data: inner IPv6 payload length beyond the frame | bad-inner=+1 | inner=icmp6 plen=400
data: inner IPv6 jumbogram (payload length 0) | bad-inner=+1 | inner=icmp6 plen=0
data: an IPv6 header cut at 40 bytes | bad-inner=+1 | inner=icmp6 len=40
from an address that is no neighbor | unknown-neigh=+1 | from=10.99.1.77
OAM from an address that is no neighbor | unknown-neigh=+1 | from=10.99.1.77 oam=1
a bad version from no neighbor (checked first) | bad-version=+1 | from=10.99.1.77 ver=2
hop limit 1, for node 4 | hop-limit=+1 | dst=4 hl=1 idst=10.0.4.1
hop limit 0, for node 4 | hop-limit=+1 | dst=4 hl=0 idst=10.0.4.1
node 2's own id as source | loop=+1 | src=2
node 2's own id as source, for node 4 | loop=+1 | src=2 dst=4 idst=10.0.4.1
for a node without route | no-route=+1 | dst=77
!neigh-set ifname=xmesh0 neigh{ id=1 state=0 }
data from a neighbor marked down | neigh-down=+1 |
OAM echo from a neighbor marked down: handled, its answer has no next hop | oam-rx=+1 no-nexthop=+1 | oam=1
!neigh-set ifname=xmesh0 neigh{ id=1 state=1 }
a valid IPv4 data frame is delivered (and answered) | rx-packets=+1 rx-bytes=+76 tx-packets=+1 @peer:rx-packets=+1 |
a valid IPv6 data frame is delivered (and answered) | rx-packets=+1 rx-bytes=+96 tx-packets=+1 @peer:rx-packets=+1 | inner=icmp6
bytes after the inner packet are cut off | rx-packets=+1 rx-bytes=+76 tx-packets=+1 @peer:rx-packets=+1 | pad=20
the reserved field is ignored | rx-packets=+1 rx-bytes=+76 tx-packets=+1 @peer:rx-packets=+1 | res=0xffff
an OAM echo request is answered | oam-rx=+1 oam-tx=+1 @peer:oam-rx=+1 | oam=1
an OAM echo request for node 4 with hop limit 1 gets time exceeded | hop-limit=+1 oam-tx=+1 @peer:oam-rx=+1 | oam=1 dst=4 hl=1
an OAM echo reply is handed to userspace | oam-rx=+1 | oam=2
a link request for node 4 is not forwarded (12-link-probe.sh has more) | node-mismatch=+1 | oam=5 dst=4
a valid frame for node 4 is forwarded, and its answer back | fwd-packets=+2 fwd-bytes=+184 @peer:rx-packets=+1 | dst=4 idst=10.0.4.1
EOF
} >"$cases"
udpsend cases <"$cases"

# Receive keys at node 2 for frames from node 1 (whose own frames stay
# unsealed: its security is none): the fuzz seals some of its frames with
# the one of id 1 and mutates them, so the sealed paths see hostile input
# too. Key 2 only is a key id node 1 never uses.
K1=$(printf '%064x' 31)
check "node 2: a receive key of id 1 for neighbor 1" \
	xm 2 key add neigh 1 id 1 dir rx key "$K1"
check "node 2: a receive key of id 2 for neighbor 1" \
	xm 2 key add neigh 1 id 2 dir rx key "$(printf '%064x' 32)"
fuzz_len=${FUZZ_SECONDS:+$FUZZ_SECONDS s}
echo "# fuzz: seed $FUZZ_SEED, ${fuzz_len:-$FUZZ_COUNT frames}"
udpsend fuzz --count "$FUZZ_COUNT" --seed "$FUZZ_SEED" --other-src 10.99.1.77 \
	--seal-key "$K1" ${FUZZ_SECONDS:+--seconds "$FUZZ_SECONDS"}

# --- OAM answers, and OAM replies handed to userspace, are rate limited:
# node 2 at 10/s (a burst of 1) gets a flood of echo requests from neighbor
# 1, then one of echo replies. Each is received; each request is either
# answered or counted as oam_rate_limited, each reply either delivered (to
# a listener of the oam group) or counted as oam_event_rate_limited, and no
# more go than 1 + 10/s over the flood's duration (plus a second's slack).
FLOOD=2000
check "node 2: oam-rate 10 over netlink" n 2 python3 "$here/nlraw.py" send \
	dev-set ifname=xmesh0 'dev{' oam-rate=10 '}'
check_match "node 2: dev-get shows oam-rate 10" 0 '"oam-rate": 10([^0-9]|$)' \
	n 2 python3 "$here/nlraw.py" send dev-get ifname=xmesh0

# oam_events FILE: in node 2, count the OAM events it multicasts until 3 s
# pass without one (or 60 s in all); "listening" on FILE.err once joined,
# the count on FILE.
oam_events() {
	n 2 python3 - "$here" >"$1" 2>"$1.err" <<'EOF'
import select, sys, time
sys.path.insert(0, sys.argv[1])
import nlraw
c = nlraw.Client()
c.subscribe("oam")
print("listening", file=sys.stderr, flush=True)
n = 0
start = last = time.monotonic()
while time.monotonic() - start < 60:
    if select.select([c.sock], [], [], 0.5)[0]:
        n += sum(1 for e in c.drain() if e is not None)
        last = time.monotonic()
    elif n and time.monotonic() - last > 3:
        break
print(n)
EOF
}

# oam_flood OP WHAT LIMITED: FLOOD OAM frames of op OP (WHAT, for the test
# names) from node 1 to node 2; the ones node 2 answered (requests) or
# delivered (replies), and the ones counted as LIMITED, must add up to what
# it received.
oam_flood() {
	local op=$1 what=$2 limited=$3 rx0 tx0 lim0 t0 secs rx tx lim ev="" pid
	rx0=$(counter 2 oam_rx)
	tx0=$(counter 2 oam_tx)
	lim0=$(counter 2 "$limited")
	if ((op != 1)); then
		ev=$(mktemp)
		at_exit "rm -f '$ev' '$ev.err'"
		oam_events "$ev" &
		pid=$!
		wait_for 20 grep -q listening "$ev.err"
	fi
	t0=$(date +%s)
	n 1 python3 - "$here" "$FLOOD" "$op" <<'EOF'
import socket, sys
sys.path.insert(0, sys.argv[1])
import udpsend
frame, _ = udpsend.build_frame("oam=" + sys.argv[3], {"ver": "1",
    "type": "1", "flags": "0", "hl": "16", "tc": "0", "key": "0", "res": "0",
    "src": "1", "dst": "2"})
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.1.1", 0))
for _ in range(int(sys.argv[2])):
    s.sendto(frame, ("10.99.1.2", 7600))
EOF
	# shellcheck disable=SC2317 # called through wait_for
	flood_rx() { (($(counter 2 oam_rx) - rx0 >= FLOOD)); }
	# The receive backlog may overflow under the flood: most must arrive.
	wait_for 30 flood_rx || sleep 2
	secs=$(($(date +%s) - t0 + 1))
	rx=$(($(counter 2 oam_rx) - rx0))
	if ((rx >= FLOOD / 2)); then
		tap_ok "node 2 received $rx of the $FLOOD $what"
	else
		tap_fail "node 2 received most of the $FLOOD $what" "$rx"
	fi
	lim=$(($(counter 2 "$limited") - lim0))
	if [[ -n $ev ]]; then
		wait "$pid"
		tx=$(cat "$ev")
	else
		tx=$(($(counter 2 oam_tx) - tx0))
	fi
	echo "# flood: $rx $what in about $secs s: $tx let through, $lim rate-limited"
	expect_delta "every one of the $what let through or counted as $limited" \
		0 $((tx + lim)) "$rx"
	if ((tx >= 1 && tx <= 1 + 10 * secs)); then
		tap_ok "$what let through within 1 + 10/s x $secs s ($tx)"
	else
		tap_fail "$what let through within 1 + 10/s x $secs s" "$tx"
	fi
}
oam_flood 1 "echo requests" oam_rate_limited
oam_flood 2 "echo replies" oam_event_rate_limited
check "node 2: oam-rate back to the default" n 2 python3 "$here/nlraw.py" \
	send dev-set ifname=xmesh0 'dev{' oam-rate=5000 '}'

# --- the mesh still works
check "xmesh ping 4 from 1" xm 1 ping 4 -c 2 -i 0.2 -W 5
check "ping 10.0.4.1 from 10.0.1.1 across three hops" \
	n 1 ping -c 3 -i 0.1 -W 5 -I 10.0.1.1 10.0.4.1
check "node 2's neighbor 1 still up" neigh_is 2 1 state up

tap_done
