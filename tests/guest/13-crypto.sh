#!/bin/bash
# Per-hop frame protection on three nodes in a line, 1 - 2 - 3 (node i in
# namespace xm-i, links ul1 and ul2, neighbor ids named after the links),
# with a key pair per link and direction installed by the tool:
#   security encrypt: ping and TCP end to end with exact counters, the
#     MTU 24 bytes smaller, no inner plaintext on the underlay (a marker
#     sent by ping never shows in a capture), the key counters;
#   security auth: the marker in clear on the underlay, frames flagged
#     auth-only; an encrypting receiver refuses them (unencrypted);
#   hand-made frames to node 2 from node 1's address (udpsend.py; over
#     IPv6 from node 1's link-local address on ul1): key id 0, forged tags, a wrong key, an unknown key id, a
#     captured frame replayed, frames sealed by xmframes.py from the wire
#     format alone (forwarded, then refused as replays) -- each counted
#     under its reason at node 2 and none reaching node 3;
#   a member (node 2) sending with another node's inner source address:
#     dropped at node 3 (spoofed_source);
#   key rotation on both links, both directions, under a running ping:
#     no reply lost; a missing transmit key (no_key);
#   back to security none: traffic as before.
# Run it with
#   XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/13-crypto.sh [inet|inet6]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"

UNDERLAY=${1:-inet}
# Outer IP, UDP and xmesh header; sealing adds a counter and a tag.
if [[ $UNDERLAY == inet ]]; then BASE=44; else BASE=64; fi
SEAL=24
MARKER='XMESH-SECRET-42!'
MARKER_HEX=$(printf '%s' "$MARKER" | od -An -tx1 | tr -d ' \n')

tmp=$(mktemp -d)
at_exit "rm -rf '$tmp'"

# security MODE: set every node's security.
# shellcheck disable=SC2317 # called through check
security() {
	local i
	for i in 1 2 3; do
		xm "$i" dev set security "$1" || return 1
	done
}

# key_counter NODE NEIGH DIR ID NAME: a counter of a key, from key show -j.
key_counter() {
	xm "$1" -j key show neigh "$2" dir "$3" |
		jq -er --argjson id "$4" --arg k "$5" '.[] | select(.id == $id) | .[$k]'
}

# frames FILE: the xmesh frames of a capture, one JSON object each.
# shellcheck disable=SC2317 # called through check
frames() {
	python3 "$here/xmframes.py" list "$1" "$MARKER"
}

# frames_at_least FILE FILTER MIN: true when at least MIN frames of the
# capture FILE pass the jq FILTER (e.g. .key_id == 1); prints them all.
# shellcheck disable=SC2317 # called through check
frames_at_least() {
	local got
	frames "$1"
	got=$(frames "$1" | jq -s "[.[] | select($2)] | length")
	echo "$got frames of $(frames "$1" | wc -l) match $2"
	((got >= $3))
}

# marker_ping: 8 pings from node 1 to node 3 that carry the marker (8, not
# 5: the frame checks below want 10 frames and tolerate a lost round trip).
# shellcheck disable=SC2317 # called through check
marker_ping() {
	n 1 ping -c 8 -i 0.1 -W 5 -p "$MARKER_HEX" -I 10.0.1.1 10.0.3.1
}

modprobe xmesh
check "three nodes in a line with keys on both links ($UNDERLAY underlay)" \
	line_up "$UNDERLAY"
check "node 2 has a tx and an rx key per neighbor" \
	test "$(xm 2 -j key show | jq length)" = 4
check "key show never shows key bytes" \
	fails grep_out "$(kh 1-1-1)" xm 2 -j key show
check "the device counts its keys" \
	test "$(xm 2 -j dev show xmesh0 | jq '.[0].keys')" = 4
check "security none: traffic in clear still flows" \
	n 1 ping -c 2 -i 0.1 -W 5 -I 10.0.1.1 10.0.3.1

# ------------------------------------------------------------- encrypt
check "security encrypt on every node" security encrypt
check "the device MTU shrank by the 24 bytes of sealing" \
	test "$(n 1 cat /sys/class/net/xmesh0/mtu)" = $((1500 - BASE - SEAL))
check "so did the MTU each neighbor reports" \
	test "$(xm 2 -j neigh show id 2 | jq '.[0].mtu')" = $((1500 - BASE - SEAL))

declare -A b a
# snap ARRAY: the counters this part checks, into associative ARRAY.
# shellcheck disable=SC2034 # ARRAY is the caller's, by reference
snap() {
	local -n into=$1
	into["tx1"]=$(counter 1 tx_packets)
	into["rx3"]=$(counter 3 rx_packets)
	into["tx3"]=$(counter 3 tx_packets)
	into["rx1"]=$(counter 1 rx_packets)
	into["fwd2"]=$(counter 2 fwd_packets)
	into["k1tx"]=$(key_counter 1 1 tx 1 packets)
	into["k2rx"]=$(key_counter 2 1 rx 1 packets)
	into["k2tx"]=$(key_counter 2 2 tx 1 packets)
	into["k3rx"]=$(key_counter 3 2 rx 1 packets)
	into["k1ctr"]=$(key_counter 1 1 tx 1 counter)
}
snap b
check "ping 10.0.3.1 from 10.0.1.1, sealed on each hop" \
	n 1 ping -c 10 -i 0.05 -W 5 -I 10.0.1.1 10.0.3.1
snap a
expect_delta "node 1 sent" "${b[tx1]}" "${a[tx1]}" 10
expect_delta "node 3 received" "${b[rx3]}" "${a[rx3]}" 10
expect_delta "node 3 answered" "${b[tx3]}" "${a[tx3]}" 10
expect_delta "node 1 received the answers" "${b[rx1]}" "${a[rx1]}" 10
expect_delta "node 2 forwarded both ways" "${b[fwd2]}" "${a[fwd2]}" 20
expect_delta "node 1's tx key sealed the requests" "${b[k1tx]}" "${a[k1tx]}" 10
expect_delta "node 2 opened them with its rx key" "${b[k2rx]}" "${a[k2rx]}" 10
expect_delta "node 2 sealed them again for node 3" "${b[k2tx]}" "${a[k2tx]}" 10
expect_delta "node 3 opened them" "${b[k3rx]}" "${a[k3rx]}" 10
expect_delta "the tx key's counter moved as much" "${b[k1ctr]}" "${a[k1ctr]}" 10
check "ping -6 fd00:3::1 from fd00:1::1" \
	n 1 ping -6 -c 5 -i 0.05 -W 5 -I fd00:1::1 fd00:3::1
check "xmesh ping 3 (OAM is sealed too)" xm 1 ping 3 -c 2 -i 0.2
check "xmesh trace 3 shows node 2 then 3" says 'node 3' xm 1 trace 3

n 3 iperf3 -s -D -B 10.0.3.1 -1
wait_for 10 n 3 ss -ltn 'sport = :5201'
check "iperf3 TCP 1 -> 3, sealed (GSO segments sealed one by one)" \
	n 1 iperf3 -c 10.0.3.1 -B 10.0.1.1 -t 2 -i 0
n 3 iperf3 -s -D -B fd00:3::1 -1
wait_for 10 n 3 ss -ltn 'sport = :5201'
check "iperf3 TCP 1 -> 3 over IPv6, sealed" \
	n 1 iperf3 -c fd00:3::1 -B fd00:1::1 -t 2 -i 0

for d in auth_failed replayed no_key unauthenticated unencrypted spoofed_source; do
	check "no $d drop anywhere" \
		test "$(counter 1 "$d")$(counter 2 "$d")$(counter 3 "$d")" = 000
done

capture xm-2 ul1 "$tmp/enc.pcap" "udp port 7600"
check "pings carrying a marker, encrypted" marker_ping
capture_end
check "the underlay capture holds the sealed frames" \
	frames_at_least "$tmp/enc.pcap" '.key_id == 1 and .flags == 0' 10
check "no frame on the underlay holds the marker" \
	fails frames_at_least "$tmp/enc.pcap" '.marker' 1

# ---------------------------------------------------------------- auth
check "security auth on every node" security auth
capture xm-2 ul1 "$tmp/auth.pcap" "udp port 7600"
check "pings carrying a marker, authenticated only" marker_ping
capture_end
check "auth-only frames on the underlay (flag 0x01, key id 1)" \
	frames_at_least "$tmp/auth.pcap" '.key_id == 1 and .flags == 1' 10
check "the marker is on the underlay in clear" \
	frames_at_least "$tmp/auth.pcap" '.marker' 5
xm 3 dev set security encrypt
u=$(counter 3 unencrypted)
check "an encrypting node 3 refuses node 2's auth-only frames" \
	fails n 1 ping -c 3 -i 0.1 -W 1 -I 10.0.1.1 10.0.3.1
check "and counts them as unencrypted" test $(($(counter 3 unencrypted) - u)) -ge 3
check "security encrypt on every node again" security encrypt

# ------------------------------------------- hand-made frames to node 2
# From node 1's underlay address on ul1 (the one node 2 knows it by) to
# node 2's.
if [[ $UNDERLAY == inet ]]; then
	from1=10.99.1.1 to2=10.99.1.2 zone=""
else
	from1=$(link_local 1 ul1) to2=$(link_local 2 ul1) zone=%ul1
fi
if [[ -n $from1 && -n $to2 ]]; then
	# A frame node 1 really sent to node 2, to replay.
	capture xm-2 ul1 "$tmp/replay.pcap" "udp dst port 7600 and src $from1"
	n 1 ping -c 1 -W 5 -I 10.0.1.1 10.0.3.1 >/dev/null || true
	capture_end
	# A receive key of id 9 at node 2 for frames from node 1, whose bytes
	# this test seals with (node 1's own keys keep their windows).
	K9=$(kh extra-9)
	xm 2 key add neigh 1 id 9 dir rx key "$K9"
	hdr="dst=3 idst=10.0.3.1 isrc=10.0.1.1"
	out=$(python3 "$here/udpsend.py" cases --from-ns xm-1 --src "$from1$zone" \
		--to "$to2$zone" --ns xm-2 --peer-ns xm-3 2>&1 <<-EOF
		key id 0 while node 2 encrypts | unauthenticated=+1 @peer:rx-packets=+0 | $hdr
		a forged tag under key id 1 | auth-failed=+1 @peer:rx-packets=+0 | key=1 seal=forged ctr=5 $hdr
		a forged tag under key id 9 | auth-failed=+1 @peer:rx-packets=+0 | key=9 seal=forged ctr=5 $hdr
		sealed with a key node 2 does not have | auth-failed=+1 @peer:rx-packets=+0 | key=9 seal=$(kh wrong) ctr=6 $hdr
		an unknown key id | no-key=+1 @peer:rx-packets=+0 | key=77 seal=forged $hdr
		auth-only while node 2 encrypts | unencrypted=+1 @peer:rx-packets=+0 | key=9 flags=1 seal=$K9 ctr=7 $hdr
		a frame node 1 sent, replayed | replayed=+1 @peer:rx-packets=+0 | pcap=$tmp/replay.pcap
		sealed here from the wire format: forwarded, delivered, answered | fwd-packets=+2 fwd-bytes=+184 @peer:rx-packets=+1 | key=9 seal=$K9 ctr=100 $hdr
		the same frame again: a replay | replayed=+1 @peer:rx-packets=+0 | key=9 seal=$K9 ctr=100 $hdr
		an older counter not seen yet | fwd-packets=+2 fwd-bytes=+184 @peer:rx-packets=+1 | key=9 seal=$K9 ctr=50 $hdr
		a counter far ahead | fwd-packets=+2 fwd-bytes=+184 @peer:rx-packets=+1 | key=9 seal=$K9 ctr=3000 $hdr
		counter 1000, now below the replay window | replayed=+1 @peer:rx-packets=+0 | key=9 seal=$K9 ctr=1000 $hdr
		counter 1017, the window's lowest | fwd-packets=+2 fwd-bytes=+184 @peer:rx-packets=+1 | key=9 seal=$K9 ctr=1017 $hdr
		counter 1016, just below it | replayed=+1 @peer:rx-packets=+0 | key=9 seal=$K9 ctr=1016 $hdr
		one bit of the hop limit changed | auth-failed=+1 @peer:rx-packets=+0 | key=9 seal=$K9 ctr=3001 $hdr flip=3
		one bit of the counter changed | auth-failed=+1 @peer:rx-packets=+0 | key=9 seal=$K9 ctr=3002 $hdr flip=23
		one bit of the payload changed | auth-failed=+1 @peer:rx-packets=+0 | key=9 seal=$K9 ctr=3003 $hdr flip=40
		one bit of the tag changed | auth-failed=+1 @peer:rx-packets=+0 | key=9 seal=$K9 ctr=3004 $hdr flip=-1
		node 2's inner source claimed by node 1: spoofed at node 3 | fwd-packets=+1 fwd-bytes=+92 @peer:spoofed-source=+1 @peer:rx-packets=+0 | key=9 seal=$K9 ctr=3010 dst=3 idst=10.0.3.1 isrc=10.0.2.7
		an inner source of no prefix: spoofed at node 3 | fwd-packets=+1 fwd-bytes=+92 @peer:spoofed-source=+1 @peer:rx-packets=+0 | key=9 seal=$K9 ctr=3011 dst=3 idst=10.0.3.1 isrc=192.168.77.1
		EOF
	) || true
	tap_lines udpsend.py <<<"$out"
	check "node 2's key 9 counted its refusals" \
		test "$(key_counter 2 1 rx 9 auth_failed)/$(key_counter 2 1 rx 9 replayed)" = 6/3
	xm 2 key del neigh 1 id 9 dir rx
else
	tap_fail "hand-made frames to node 2" "no ul1 address: node 1 '$from1', node 2 '$to2'"
fi

# ---------------------------------------------- a member spoofing sources
ip -n xm-2 addr add 10.0.1.99/32 dev xmesh0
ip -n xm-2 addr add 192.168.77.2/32 dev xmesh0
sp=$(counter 3 spoofed_source)
r=$(counter 3 rx_packets)
check "node 2 pings node 3 from its own address" \
	n 2 ping -c 2 -i 0.1 -W 5 -I 10.0.2.1 10.0.3.1
check "node 2 pings node 3 from node 1's address: refused" \
	fails n 2 ping -c 3 -i 0.1 -W 1 -I 10.0.1.99 10.0.3.1
check "node 2 pings node 3 from an address of no prefix: refused" \
	fails n 2 ping -c 3 -i 0.1 -W 1 -I 192.168.77.2 10.0.3.1
expect_delta "node 3 counted the spoofed sources" "$sp" "$(counter 3 spoofed_source)" 6
expect_delta "node 3 delivered only the honest pings" "$r" "$(counter 3 rx_packets)" 2
ip -n xm-2 addr del 10.0.1.99/32 dev xmesh0
ip -n xm-2 addr del 192.168.77.2/32 dev xmesh0

# ----------------------------------------------- rotation under traffic
# drops NAME: NAME's drop counters of the three nodes, side by side.
drops() {
	echo "$(counter 1 "$1") $(counter 2 "$1") $(counter 3 "$1")"
}
declare -A before_rot
for d in auth_failed replayed no_key; do
	before_rot[$d]=$(drops "$d")
done
n 1 ping -c 200 -i 0.05 -W 5 -I 10.0.1.1 10.0.3.1 >"$tmp/ping.out" 2>&1 &
pinger=$!
sleep 1
# rotate K A B: keys of id 2 on link K, then the old receive keys go once
# frames sealed with them have arrived.
# shellcheck disable=SC2317 # called through check
rotate() {
	link_keys "$1" "$2" "$3" 2 &&
		sleep 1 &&
		xm "$2" key del neigh "$1" id 1 dir rx &&
		xm "$3" key del neigh "$1" id 1 dir rx
}
check "keys of link 1 rotated under a running ping" rotate 1 1 2
check "keys of link 2 rotated under a running ping" rotate 2 2 3
wait "$pinger" || true
check "the ping lost no reply" grep -q '200 packets transmitted, 200 received' "$tmp/ping.out"
check "only keys of id 2 are left" \
	test "$(xm 2 -j key show | jq -c '[.[].id] | unique')" = "[2]"
check "the new keys carried traffic" \
	test "$(key_counter 2 1 rx 2 packets)" -gt 0
for d in auth_failed replayed no_key; do
	check "no $d drop during the rotation" \
		test "$(drops "$d")" = "${before_rot[$d]}"
done

# ------------------------------------------------ a missing transmit key
check "re-installing the key in use is refused" \
	fails_with 'in use' xm 1 key replace neigh 1 id 2 dir tx key "$(kh 1-1-2)"
xm 1 key del neigh 1 id 2 dir tx
k=$(counter 1 no_key)
check "without a tx key node 1 sends nothing" \
	fails n 1 ping -c 3 -i 0.1 -W 1 -I 10.0.1.1 10.0.3.1
expect_delta "node 1 counted no_key" "$k" "$(counter 1 no_key)" 3
check "a new key of id 3 brings the link back" \
	xm 2 key add neigh 1 id 3 dir rx key "$(kh 1-1-3)"
xm 1 key add neigh 1 id 3 dir tx key "$(kh 1-1-3)"
check "traffic flows again" n 1 ping -c 2 -i 0.1 -W 5 -I 10.0.1.1 10.0.3.1

# ------------------------------------------------------- back to none
check "security none on every node" security none
check "the MTU is back to the unsealed one" \
	test "$(n 1 cat /sys/class/net/xmesh0/mtu)" = $((1500 - BASE))
capture xm-2 ul1 "$tmp/none.pcap" "udp port 7600"
check "pings in clear" marker_ping
capture_end
check "frames in clear carry key id 0" \
	frames_at_least "$tmp/none.pcap" '.key_id == 0 and .marker' 5
check "deleting a neighbor deletes its keys" xm 2 neigh del id 1
check "node 2 keeps the keys of neighbor 2 only" \
	test "$(xm 2 -j key show | jq -c '[.[].neigh] | unique')" = "[2]"

tap_done
