#!/bin/bash
# End-to-end origin seals on three nodes in a line, 1 - 2 - 3 (as
# 13-crypto.sh: per-hop keys on both links from the tool, security
# encrypt), with origin keys between nodes 1 and 3 and `origin on` at both:
#   ping 1 -> 3 through node 2 with origin seals (the origin key counters,
#     frames on both links flagged ORIGIN with the origin key id), the MTU
#     24 bytes smaller again, OAM still answered;
#   node 2, a member with its per-hop keys, sends node 3 frames that claim
#     node 1 and node 1's inner address, sealed per hop with a key of its
#     own (udpsend.py, xmframes.py): without an origin seal origin_missing,
#     with a made-up one origin_auth_failed, an unknown origin key id
#     origin_no_key, a frame of node 1's that node 2 opened and sealed again
#     origin_replayed; none delivered;
#   node 2's own pings to node 3 (no origin keys between them) are refused
#     (origin_missing), node 1's to node 2 never leave (no_origin_key);
#   with `origin off` at node 3 the same forged frame is delivered: the
#     check is what stops it; node 3 still opens the seals node 1 sends,
#     and node 1 (origin on) refuses node 3's unsealed replies.
# Run it with
#   XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/18-origin.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"

# Outer IPv4, UDP and xmesh header; each seal adds a counter and a tag.
BASE=44
SEAL=24

tmp=$(mktemp -d)
at_exit "rm -rf '$tmp'"

# origin_keys A B ID: origin keys of id ID between nodes A and B, one per
# direction: A's tx and B's rx with one, B's tx and A's rx with another.
# shellcheck disable=SC2317 # called through check
origin_keys() {
	local a=$1 b=$2 id=$3
	xm "$b" key add node "$a" id "$id" dir rx key "$(kh "o-$a-$b-$id")" &&
		xm "$a" key add node "$b" id "$id" dir tx key "$(kh "o-$a-$b-$id")" &&
		xm "$a" key add node "$b" id "$id" dir rx key "$(kh "o-$b-$a-$id")" &&
		xm "$b" key add node "$a" id "$id" dir tx key "$(kh "o-$b-$a-$id")"
}

# okey_counter NODE PEER DIR NAME: a counter of NODE's origin key for PEER.
okey_counter() {
	xm "$1" -j key show node "$2" dir "$3" | jq -er --arg k "$4" '.[0][$k]'
}

# frames_at_least FILE FILTER MIN: at least MIN frames of capture FILE
# pass the jq FILTER; prints them all.
# shellcheck disable=SC2317 # called through check
frames_at_least() {
	local got
	python3 "$here/xmframes.py" list "$1"
	got=$(python3 "$here/xmframes.py" list "$1" |
		jq -s "[.[] | select($2)] | length")
	echo "$got frames match $2"
	((got >= $3))
}

modprobe xmesh
check "three nodes in a line with per-hop keys on both links" line_up inet
for i in 1 2 3; do
	xm "$i" dev set security encrypt
done
check "origin keys between nodes 1 and 3" origin_keys 1 3 1
check "key show lists origin keys by node" \
	test "$(xm 1 -j key show node 3 | jq -c '[.[].dir] | sort')" = '["rx","tx"]'
check "origin on needs a per-hop seal around it" \
	fails_with 'need security' xm 2 dev set security none origin on
check "origin on at nodes 1 and 3" \
	eval 'xm 1 dev set origin on && xm 3 dev set origin on'
check "dev show says origin on" says 'origin on' xm 1 dev show
check "the device MTU shrank by another 24 bytes" \
	test "$(n 1 cat /sys/class/net/xmesh0/mtu)" = $((1500 - BASE - 2 * SEAL))

# ------------------------------------------------- honest traffic 1 <-> 3
o1=$(okey_counter 1 3 tx packets)
o3=$(okey_counter 3 1 rx packets)
r3=$(okey_counter 3 1 tx packets)
f2=$(counter 2 fwd_packets)
capture xm-2 ul2 "$tmp/origin.pcap" "udp port 7600"
check "ping 10.0.3.1 from 10.0.1.1 with origin seals" \
	n 1 ping -c 10 -i 0.05 -W 5 -I 10.0.1.1 10.0.3.1
capture_end
expect_delta "node 1's origin key for node 3 sealed the requests" \
	"$o1" "$(okey_counter 1 3 tx packets)" 10
expect_delta "node 3 opened them with its origin key for node 1" \
	"$o3" "$(okey_counter 3 1 rx packets)" 10
expect_delta "node 3 sealed the replies for node 1" \
	"$r3" "$(okey_counter 3 1 tx packets)" 10
expect_delta "node 2 forwarded both ways, untouched inside" \
	"$f2" "$(counter 2 fwd_packets)" 20
check "frames between nodes 2 and 3 carry the origin flag and key id" \
	frames_at_least "$tmp/origin.pcap" \
	'.key_id == 1 and .flags == 2 and .origin_key_id == 1' 20
check "ping -6 fd00:3::1 from fd00:1::1 with origin seals" \
	n 1 ping -6 -c 3 -i 0.05 -W 5 -I fd00:1::1 fd00:3::1
n 3 iperf3 -s -D -B 10.0.3.1 -1
wait_for 10 n 3 ss -ltn 'sport = :5201'
check "iperf3 TCP 1 -> 3 with origin seals (GSO segments sealed one by one)" \
	n 1 iperf3 -c 10.0.3.1 -B 10.0.1.1 -t 2 -i 0
check "xmesh ping 3 (OAM carries no origin seal)" xm 1 ping 3 -c 2 -i 0.2
for d in origin_missing origin_no_key origin_auth_failed origin_replayed \
	no_origin_key spoofed_source; do
	check "no $d drop anywhere" \
		test "$(counter 1 "$d")$(counter 2 "$d")$(counter 3 "$d")" = 000
done

# ------------------------------------------- node 2 without origin keys
m=$(counter 3 origin_missing)
check "node 2's own pings to node 3 carry no origin seal: refused" \
	fails n 2 ping -c 3 -i 0.1 -W 1 -I 10.0.2.1 10.0.3.1
expect_delta "node 3 counted them as origin_missing" \
	"$m" "$(counter 3 origin_missing)" 3
k=$(counter 1 no_origin_key)
check "node 1 has no origin key for node 2: nothing leaves" \
	fails n 1 ping -c 3 -i 0.1 -W 1 -I 10.0.1.1 10.0.2.1
expect_delta "node 1 counted no_origin_key" "$k" "$(counter 1 no_origin_key)" 3

# ----------------------- node 2 forging node 1's frames, sealed per hop
# A receive key of id 9 at node 3 for frames from node 2: node 2's per-hop
# key, whose bytes this test seals with (the real ones keep their windows).
K9=$(kh member-9)
xm 3 key add neigh 2 id 9 dir rx key "$K9"
# A frame node 1 sent node 3, as node 2 received it on ul1.
capture xm-2 ul1 "$tmp/replay.pcap" "udp dst port 7600 and src 10.99.1.1"
n 1 ping -c 1 -W 5 -I 10.0.1.1 10.0.3.1 >/dev/null || true
capture_end
hdr="src=1 dst=3 isrc=10.0.1.1 idst=10.0.3.1 key=9 seal=$K9"
cases() {
	python3 "$here/udpsend.py" cases --from-ns xm-2 --src 10.99.2.1 \
		--to 10.99.2.2 --ns xm-3 2>&1
}
out=$(cases <<-EOF
	claims node 1 without an origin seal | origin-missing=+1 | $hdr ctr=1
	claims node 1 with a made-up origin seal | origin-auth-failed=+1 | $hdr ctr=2 oseal=forged octr=5
	an origin seal under another node's key | origin-auth-failed=+1 | $hdr ctr=3 oseal=$(kh o-2-3-1) octr=6
	an origin key id node 3 does not have | origin-no-key=+1 | $hdr ctr=4 okey=7 oseal=forged
	node 1's frame opened and sealed again by node 2 | origin-replayed=+1 | pcap=$tmp/replay.pcap open=$(kh 1-1-1) key=9 seal=$K9 ctr=5
	EOF
) || true
tap_lines udpsend.py <<<"$out"

check "origin off at node 3" xm 3 dev set origin off
out=$(cases <<-EOF
	the same forged frame with origin off: delivered | rx-packets=+1 rx-bytes=+76 | $hdr ctr=10
	EOF
) || true
tap_lines udpsend.py <<<"$out"
check "node 2's own pings to node 3 pass again" \
	n 2 ping -c 2 -i 0.1 -W 5 -I 10.0.2.1 10.0.3.1
o3=$(okey_counter 3 1 rx packets)
m=$(counter 1 origin_missing)
check "node 1's pings with origin on at node 1 only: no answer" \
	fails n 1 ping -c 2 -i 0.1 -W 1 -I 10.0.1.1 10.0.3.1
expect_delta "node 3 still opened their origin seals" \
	"$o3" "$(okey_counter 3 1 rx packets)" 2
expect_delta "node 1 refused node 3's unsealed replies (origin_missing)" \
	"$m" "$(counter 1 origin_missing)" 2
check "deleting node 3's origin keys for node 1" \
	eval 'xm 3 key del node 1 id 1 dir rx && xm 3 key del node 1 id 1 dir tx'
n3=$(counter 3 origin_no_key)
check "an origin-sealed frame with no key to open it is refused" \
	fails n 1 ping -c 2 -i 0.1 -W 1 -I 10.0.1.1 10.0.3.1
expect_delta "node 3 counted origin_no_key" "$n3" "$(counter 3 origin_no_key)" 2
check "origin off at node 1: traffic as before" \
	eval 'xm 1 dev set origin off && n 1 ping -c 2 -i 0.1 -W 5 -I 10.0.1.1 10.0.3.1'
check "the MTU is back to one seal's" \
	test "$(n 1 cat /sys/class/net/xmesh0/mtu)" = $((1500 - BASE - SEAL))

tap_done
