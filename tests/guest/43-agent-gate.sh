#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# xmeshd's XDP first gate (Documentation/xmeshd.md, "First gate"): nodes a
# and b run agents over ul1; r, a machine that is no neighbor, is on b's
# second link ul2. b's agent attaches the gate to both links and keeps its
# neighbor map equal to its neighbors. A flood from r to b's data port is
# dropped by the gate (counted), none of it reaching the module, while a
# and b keep talking, and so are IPv6 datagrams that put an extension
# header before UDP; a hello flood from r is rate-limited, yet once r runs
# an agent it is discovered, its address enters the map and its frames
# pass. The gate outlives b's agent: restarted (SIGTERM, then SIGKILL)
# under a stream a -> r through b, no packet is lost; while the agent is
# down the gate stays attached with its neighbors, and the next agent
# adopts it. `gate off` in the config removes a gate left behind, and so
# does `xmesh gate off`. Run it with
#   make -C agent && make -C kmod && XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/43-agent-gate.sh
# With XMESH_GATE_BENCH_SECONDS=N it measures too (scripts/bench.sh, part
# gate): the packet rate of an N-second pktgen flood b absorbs with and
# without the gate, XMESH_GATE_BENCH_ROUNDS times (3), printed as a report.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"	# mesh_link, counter
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"	# an_*, x, jq_true

BENCH_SECONDS=${XMESH_GATE_BENCH_SECONDS:-}
BENCH_ROUNDS=${XMESH_GATE_BENCH_ROUNDS:-3}
FLOOD_SECONDS=3

an_require
modprobe xmesh
check "udpgap builds" udpgap_build

# flood: a UDP sender as fast as one socket goes (sendmmsg of 64-byte
# datagrams), built here with gcc like udpgap. Each datagram is a valid
# xmesh data frame from node 99 to node 2, so that without the gate the
# module gets as far as looking the sender up (unknown_neigh).
FLOOD=/tmp/xmesh-flood/flood
flood_build() {
	[[ -x $FLOOD ]] && return 0
	mkdir -p "${FLOOD%/*}"
	gcc -O2 -Wall -Werror -x c -o "$FLOOD" - <<'EOF'
// SPDX-License-Identifier: GPL-2.0
/* flood SRC DST PORT SECONDS: print how many datagrams went. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	/* version 1, data, hop limit 16, node 99 -> node 2; then garbage */
	static char payload[64] = { 1, 1, 0, 16, 0, 0, 0, 0, 0, 0, 0, 99,
				    0, 0, 0, 2, 0x45 };
	struct mmsghdr m[64];
	struct iovec iov = { payload, sizeof(payload) };
	struct timespec t0, t;
	unsigned long sent = 0;
	int fd, i, n;

	if (argc != 5)
		return 2;
	inet_pton(AF_INET, argv[1], &src.sin_addr);
	inet_pton(AF_INET, argv[2], &dst.sin_addr);
	dst.sin_port = htons(atoi(argv[3]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (void *)&src, sizeof(src)) ||
	    connect(fd, (void *)&dst, sizeof(dst)))
		return perror("socket"), 1;
	memset(m, 0, sizeof(m));
	for (i = 0; i < 64; i++) {
		m[i].msg_hdr.msg_iov = &iov;
		m[i].msg_hdr.msg_iovlen = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		n = sendmmsg(fd, m, 64, 0);
		if (n > 0)
			sent += n;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < atoi(argv[4]));
	printf("%lu\n", sent);
	return 0;
}
EOF
}
flood_build

# gate NODE COUNTER: a counter of NODE's gate (e.g. data_dropped), all its
# links together, from `xmesh -j gate show`.
gate() {
	n "$1" "$XM" -j gate show | jq -er --arg k "$2" '.[0].counters[$k]'
}

# gate_neighbors_are NODE IFNAME COUNT: NODE's gate lets COUNT neighbors in
# on IFNAME (for wait_for).
# shellcheck disable=SC2317 # called through wait_for
gate_neighbors_are() {
	jq_true ".[0].links | any(.ifname == \"$2\" and .neighbors == $3)" \
		n "$1" "$XM" -j gate show
}

# softirq_jiffies: time all CPUs spent in softirq so far (/proc/stat).
softirq_jiffies() {
	awk '$1 == "cpu" { print $8 }' /proc/stat
}

an_node a 1
an_node b 2
an_node r 3
mesh_link 1 a b
mesh_link 2 r b
# The gate's pins: in a bpffs of the test's own, as `ip netns exec` hides
# /sys/fs/bpf (gate-pin-dir).
mkdir -p "$AN_DIR/bpf"
mount -t bpf bpf "$AN_DIR/bpf"
at_exit "umount -l '$AN_DIR/bpf'"
PIN_ROOT=$AN_DIR/bpf/xmesh

# gate_config NODE on|off: NODE's agent's configuration, with the gate so.
gate_config() {
	an_config "$1" "gate $2" "gate-pin-dir $PIN_ROOT"
}

# pin_dir NODE: where NODE's agent pins its gate.
pin_dir() {
	echo "$PIN_ROOT/net-$(n "$1" stat -L -c %i /proc/self/ns/net)"
}

gate_config a on
gate_config b on
gate_config r on
an_start a
an_start b

# ------------------------------------------------------------- attached
if wait_for 30 an_up a b; then
	tap_ok "agents a and b are up"
else
	tap_fail "agents a and b are up" "$(an_logs a)" "$(an_logs b)"
fi
if an_wait_routes 90 1 a b; then
	tap_ok "a and b have routes to each other"
else
	tap_fail "a and b have routes to each other" "$(an_logs b)"
fi
check_json "b: one gate, on ul1 and ul2" \
	'length == 1 and (.[0].links | map(.ifname) | sort) == ["ul1", "ul2"]' \
	n b "$XM" -j gate show
check_match "b's log says where it attached" 0 "link ul2: XDP gate attached" \
	cat "$AN_DIR/b.log"
check "b's gate is pinned in gate-pin-dir" test -e "$(pin_dir b)/xmesh_gate"
if wait_for 30 gate_neighbors_are b ul1 1; then
	tap_ok "b's gate on ul1 holds its one neighbor there (a)"
else
	tap_fail "b's gate on ul1 holds a" "$(n b "$XM" gate show 2>&1)"
fi
check "b's gate on ul2 holds no neighbor (r runs no agent yet)" \
	gate_neighbors_are b ul2 0

# ------------------------------------------- a flood from a non-neighbor
# r floods b's data port; a pings b over the overlay meanwhile.
drop0=$(gate b data_dropped)
pass0=$(gate b data_passed)
unk0=$(counter b unknown_neigh)
n r "$FLOOD" 10.99.2.1 10.99.2.2 7600 "$FLOOD_SECONDS" >"$AN_DIR/flood.out" &
flood_pid=$!
ping_out=$(n a ping -c 20 -i 0.1 -W 2 -I "$(an_addr a)" "$(an_addr b)" 2>&1) || true
wait "$flood_pid" || true
sent=$(cat "$AN_DIR/flood.out")
sleep 1
dropped=$(($(gate b data_dropped) - drop0))
passed=$(($(gate b data_passed) - pass0))
unk=$(($(counter b unknown_neigh) - unk0))
echo "# flood: $sent datagrams sent by r, $dropped dropped by b's gate," \
	"$unk reached b's module (unknown_neigh); $passed passed (from a)"
if ((dropped >= 1000 && dropped <= sent)); then
	tap_ok "the gate dropped the flood (counted: $dropped of $sent)"
else
	tap_fail "the gate dropped the flood" "$dropped counted, $sent sent"
fi
expect_delta "none of it reached b's module (unknown_neigh)" 0 "$unk" 0
replies=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$ping_out")
if ((${replies:-0} >= 16)); then
	tap_ok "a -> b overlay pings during the flood: $replies of 20 answered"
else
	tap_fail "a -> b overlay pings during the flood" "$ping_out"
fi
if ((passed >= 20)); then
	tap_ok "b's gate passed a's frames meanwhile ($passed)"
else
	tap_fail "b's gate passed a's frames" "$passed"
fi

# --------------------------------------------- a hello flood, rate-limited
hp0=$(gate b hello_passed)
hd0=$(gate b hello_dropped)
sent=$(n r "$FLOOD" 10.99.2.1 10.99.2.2 7601 2)
sleep 1
hp=$(($(gate b hello_passed) - hp0))
hd=$(($(gate b hello_dropped) - hd0))
echo "# hello flood: $sent sent, $hp passed, $hd dropped"
# 200/s by default (gate-hello-rate), a second's burst: well under 1000 in
# the flood's 2 s and the second after.
if ((hd > 0 && hp < 1000 && hp + hd <= sent)); then
	tap_ok "hellos from an unknown source are rate-limited ($hp passed, $hd dropped)"
else
	tap_fail "hellos from an unknown source are rate-limited" \
		"$hp passed, $hd dropped, $sent sent"
fi
check "b's agent still answers" an_up b
check_json "b's neighbor a is still up" '.state == "up"' an_neigh b a

# ------------------------- IPv6 with an extension header, from a non-neighbor
# A destination options header between IPv6 and UDP: a gate that looked
# at the first header only let these through to the UDP stack. (ul2's
# IPv6 addresses are mesh_link's.)
drop0=$(gate b data_dropped)
sent=$(n r python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("fd99:2::1", 0))
# IPV6_DSTOPTS (59): one header, 8 bytes, a PadN option filling it
s.setsockopt(socket.IPPROTO_IPV6, 59, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
n = 0
for _ in range(300):
	try:
		s.sendto(bytes(64), ("fd99:2::2", 7600))
		n += 1
	except OSError:
		pass
print(n)
' || echo 0)
sleep 1
dropped=$(($(gate b data_dropped) - drop0))
if ((sent >= 100 && dropped >= sent && dropped <= sent + 10)); then
	tap_ok "IPv6 with a destination options header: the gate dropped all $sent"
else
	tap_fail "IPv6 with a destination options header dropped by the gate" \
		"$dropped dropped, $sent sent"
fi

# ---------------------------------- r runs an agent: discovered, let in
an_start r
if wait_for 30 an_up r && an_wait_routes 90 2 b && an_wait_routes 90 2 r; then
	tap_ok "r is discovered through the gate: b and r have routes to all"
else
	tap_fail "r is discovered through the gate" "$(an_logs b)" "$(an_logs r)"
fi
if wait_for 30 gate_neighbors_are b ul2 1; then
	tap_ok "b's gate on ul2 now holds r"
else
	tap_fail "b's gate on ul2 now holds r" "$(n b "$XM" gate show 2>&1)"
fi
drop0=$(gate b data_dropped)
bad0=$(counter b bad_version)
n r python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.2.1", 0))
for _ in range(100):
    s.sendto(b"not an xmesh frame", ("10.99.2.2", 7600))'
# shellcheck disable=SC2317 # called through wait_for
bad_reached() { (($(counter b bad_version) - bad0 >= 100)); }
if wait_for 10 bad_reached; then
	tap_ok "frames from r, a neighbor now, pass the gate to the module"
else
	tap_fail "frames from r pass the gate" \
		"bad_version +$(($(counter b bad_version) - bad0)) (want +100)"
fi
expect_delta "the gate dropped none of them" "$drop0" "$(gate b data_dropped)" 0

# ------------------------------- the gate outlives b's agent, a transit
# gate_attached NODE: the XDP program on NODE's ul1 and ul2 (ip link).
# shellcheck disable=SC2317 # called through check
gate_attached() {
	local l
	for l in ul1 ul2; do
		ip -n "xm-$1" -d link show "$l" | grep "prog/xdp" >/dev/null || return 1
	done
}

# gate_drops_of NODE: NODE's gate's program id and data_dropped, or
# "none".
gate_drops_of() {
	n "$1" "$XM" -j gate show |
		jq -r '.[0] | if . then "\(.prog_id) \(.counters.data_dropped)" else "none" end'
}

# restart_under_stream SIGNAL: restart b's agent (stopped by SIGNAL) under
# a 200 packets/s stream from a to r, through b (udpgap, not at real-time
# priority as stream_start runs it: the emulated guest's two CPUs would
# starve the agents). The new agent adopts the gate, so it drops none of
# the stream, and the stream loses nothing. The old agent, which detached
# the gate on exit and attached a new one with an empty map at start, lost
# what came until it heard its neighbors again.
restart_under_stream() {
	local sig=$1 rep adopted0 drops0 rx tx out=$AN_DIR/restart.$1
	adopted0=$(grep -c "gate: adopted" "$AN_DIR/b.log" || true)
	drops0=$(gate_drops_of b)
	ip netns exec xm-r "$UDPGAP" recv -t 60 9200 >"$out.rx" 2>"$out.err" &
	rx=$!
	wait_for 20 grep -q receiving "$out.err"
	ip netns exec xm-a "$UDPGAP" send -B "$(an_addr a)" -r 200 \
		"$(an_addr r)" 9200 >"$out.tx" 2>&1 &
	tx=$!
	sleep 2
	an_stop b "$sig"
	an_start b
	if wait_for 30 jq_true '.fib_ready' x b -j agent show; then
		tap_ok "b's agent restarted ($sig) and past its sync hold"
	else
		tap_fail "b's agent restarted ($sig)" "$(an_logs b)"
	fi
	sleep 3
	kill -TERM "$tx" 2>/dev/null
	wait "$tx" 2>/dev/null || true
	wait_for 10 eval "! kill -0 $rx 2>/dev/null" || kill -TERM "$rx" 2>/dev/null
	wait "$rx" 2>/dev/null || true
	rep=$(jq -sc 'add // {}' "$out.rx" "$out.tx" 2>/dev/null || echo '{}')
	echo "# stream a -> r across b's restart ($sig): $rep"
	# The old agent lost about 10 (50 ms: its new gate's map was empty
	# until it heard a and r again), and its gate dropped them.
	if jq -e '.received > 500 and .lost == 0' <<<"$rep" >/dev/null; then
		tap_ok "restart of b's agent ($sig) with the gate on: the stream a -> r through b goes on ($(jq .lost <<<"$rep") lost)"
	else
		tap_fail "restart of b's agent ($sig) with the gate on: the stream a -> r through b goes on" \
			"report: $rep" "$(an_logs b)" "$(an_logs a)"
	fi
	if (($(grep -c "gate: adopted" "$AN_DIR/b.log" || true) > adopted0)); then
		tap_ok "b's new agent adopted the gate the old one left ($sig)"
	else
		tap_fail "b's new agent adopted the gate ($sig)" "$(an_logs b)"
	fi
	check_output "... the same program, which dropped none of the stream ($sig)" \
		0 "want: $drops0" _is_line "$drops0" gate_drops_of b
	check_json "... one gate still, on ul1 and ul2" \
		'length == 1 and (.[0].links | map(.ifname) | sort) == ["ul1", "ul2"]' \
		n b "$XM" -j gate show
}
# shellcheck disable=SC2317 # called through check_output
_is_line() { [[ $(cat) == "$1" ]]; }

# b's agent down: its gate stays, with its neighbors and pins.
an_stop b
check "b's agent stopped: its gate is still on ul1 and ul2" gate_attached b
check "... and still holds a on ul1" gate_neighbors_are b ul1 1
check "... and r on ul2" gate_neighbors_are b ul2 1
check "... and is still pinned" test -e "$(pin_dir b)/xmg_neighs"
an_start b
if wait_for 30 an_up b && an_wait_routes 90 2 a b r; then
	tap_ok "b's agent back: a, b and r route to each other"
else
	tap_fail "b's agent back" "$(an_logs b)"
fi

restart_under_stream TERM
restart_under_stream KILL

# ------------------------------------------------- an older gate pinned
# The pinned gate made to look like one of an older version (its
# xmg_conf's version field, the last 4 bytes): the next agent replaces it,
# in one step, with a new program of its own, neighbors and all.
an_stop b
old=$(gate_drops_of b)
conf=$(pin_dir b)/xmg_conf
value=$(bpftool -j map lookup pinned "$conf" key 0 0 0 0 |
	jq -r '.value[0:12] | join(" ")')
# shellcheck disable=SC2086 # $value: the 12 bytes, one word each
bpftool map update pinned "$conf" key 0 0 0 0 value $value 1 0 0 0
an_start b
if wait_for 30 an_up b && an_wait_routes 90 2 b; then
	tap_ok "b's agent, after an older gate: up, routes to all"
else
	tap_fail "b's agent, after an older gate" "$(an_logs b)"
fi
check_match "it replaced the older gate" 0 \
	"gate: replacing the pinned gate of version 1" cat "$AN_DIR/b.log"
check_match "... on ul1 in one step" 0 \
	"link ul1: XDP gate attached \(native, replaced\)" cat "$AN_DIR/b.log"
check_json "... with a program of its own, on ul1 and ul2" \
	"length == 1 and .[0].prog_id != ${old%% *} and (.[0].links | map(.ifname) | sort) == [\"ul1\", \"ul2\"]" \
	n b "$XM" -j gate show
if wait_for 30 gate_neighbors_are b ul1 1 && gate_neighbors_are b ul2 1; then
	tap_ok "... which holds a and r"
else
	tap_fail "... which holds a and r" "$(n b "$XM" gate show 2>&1)"
fi

# ------------------------------------------------------------- gate off
# With `gate off`, b's agent removes the gate the previous one left.
an_stop b
check "b's agent stopped: its gate stays" gate_attached b
gate_config b off
an_start b
if wait_for 30 an_up b && an_wait_routes 90 2 b; then
	tap_ok "with gate off, b's agent runs and routes"
else
	tap_fail "with gate off, b's agent runs" "$(an_logs b)"
fi
check_json "gate off: the gate left on b's links is gone" 'length == 0' \
	n b "$XM" -j gate show
check_no_match "gate off: no XDP program on ul1" "prog/xdp" \
	ip -n xm-b -d link show ul1
check_match "b's log says it removed the gate from ul2" 0 \
	"link ul2: XDP gate removed" cat "$AN_DIR/b.log"
check "gate off: and its pins" test ! -e "$(pin_dir b)"

# `xmesh gate off`, with the agent stopped: the gate goes.
an_stop b
gate_config b on
an_start b
wait_for 30 an_up b && an_wait_routes 90 2 b ||
	echo "# b's agent not ready (gate on)"
an_stop b
check "b's agent stopped: its gate stays" gate_attached b
check "... pinned" test -e "$(pin_dir b)/xmesh_gate"
check "xmesh gate off" n b "$XM" gate off pin-dir "$PIN_ROOT"
check "xmesh gate off: its pins are gone" test ! -e "$(pin_dir b)"
check_json "xmesh gate off: no gate on b's links" 'length == 0' \
	n b "$XM" -j gate show
check_no_match "xmesh gate off: no XDP program on ul1 or ul2" "prog/xdp" \
	ip -n xm-b -d link show
check "xmesh gate off again: nothing to do, no error" \
	n b "$XM" gate off pin-dir "$PIN_ROOT"

# ------------------------------------------------------------ benchmark
# pktgen_setup: r's pktgen (one kernel thread per CPU, each with its own
# device entry on ul2) sends 64-byte UDP frames to b's data port from
# 10.99.2.77, no neighbor, as fast as it goes: a flood that saturates b.
# The payload is pktgen's (magic 0xbe9be955...): without the gate the
# module drops it as bad_version.
pktgen_setup() {
	local t d mac
	modprobe pktgen
	mac=$(ip -n xm-b -j link show ul2 | jq -r '.[0].address')
	for ((t = 0; t < $(nproc); t++)); do
		d=/proc/net/pktgen/ul2@$t
		n r sh -c "echo rem_device_all >/proc/net/pktgen/kpktgend_$t &&
			echo add_device ul2@$t >/proc/net/pktgen/kpktgend_$t &&
			for c in 'count 0' 'clone_skb 0' 'pkt_size 64' 'delay 0' \
				'dst 10.99.2.2' 'src_min 10.99.2.77' \
				'src_max 10.99.2.77' 'dst_mac $mac' \
				'udp_src_min 9' 'udp_src_max 9' \
				'udp_dst_min 7600' 'udp_dst_max 7600'; do
				echo \"\$c\" >$d || exit 1
			done"
	done
}

# pktgen_total FIELD: FIELD (pkts-sofar: frames veth took, errors: frames
# it refused, its peer's XDP ring being full) summed over r's threads.
pktgen_total() {
	local t sum=0 v
	for ((t = 0; t < $(nproc); t++)); do
		v=$(n r cat "/proc/net/pktgen/ul2@$t" |
			sed -n "s/.*$1: *\([0-9]*\).*/\1/p" | head -1)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# bench_round GATE: one pktgen flood of BENCH_SECONDS from r to b's data
# port while a pings b over the overlay; prints "GATE offered/s
# into-b/s refused/s disposed/s softirq-% ping-replies/20": offered, what
# pktgen tried; into b, the frames b's ul2 took, all dropped (by the gate:
# its data_dropped; without: the module's bad_version, after the UDP
# stack); refused, those veth refused as b's XDP ring was full (dropped
# before b's stack or program, at no cost to it: a NIC's full RX ring).
bench_round() {
	local mode=$1 took refused into s0 s1 d0 hz pid out secs=$BENCH_SECONDS
	hz=$(getconf CLK_TCK)
	if [[ $mode == on ]]; then
		d0=$(gate b data_dropped)
	else
		d0=$(counter b bad_version)
	fi
	s0=$(softirq_jiffies)
	n r sh -c 'echo start >/proc/net/pktgen/pgctrl' &
	pid=$!
	out=$(n a ping -c 20 -i "$(awk -v s="$secs" 'BEGIN { print s / 25 }')" \
		-W 2 -I "$(an_addr a)" "$(an_addr b)" 2>&1) || true
	n r sh -c 'echo stop >/proc/net/pktgen/pgctrl'
	wait "$pid" || true
	s1=$(softirq_jiffies)
	sleep 1
	if [[ $mode == on ]]; then
		into=$(($(gate b data_dropped) - d0))
	else
		into=$(($(counter b bad_version) - d0))
	fi
	took=$(pktgen_total pkts-sofar)
	refused=$(pktgen_total errors)
	echo "$mode $(((took + refused) / secs)) $((into / secs))" \
		"$((refused / secs)) $(((into + refused) / secs))" \
		"$(((s1 - s0) * 100 / (hz * secs * $(nproc))))" \
		"$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")"
}

# median_of GATE FIELD FILE: the median of FIELD over FILE's GATE lines.
median_of() {
	awk -v m="$1" -v f="$2" '$1 == m { print $f }' "$3" | sort -n |
		awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'
}

if [[ -n $BENCH_SECONDS ]]; then
	n r ip addr add 10.99.2.77/24 dev ul2
	results=$AN_DIR/bench
	: >"$results"
	for ((i = 1; i <= BENCH_ROUNDS; i++)); do
		for mode in on off; do
			gate_config b "$mode"
			an_start b
			wait_for 30 an_up b && an_wait_routes 90 2 b ||
				echo "# bench: b's agent not ready (gate $mode)"
			pktgen_setup
			bench_round "$mode" | tee -a "$results"
			an_stop b
		done
	done
	echo "----- BEGIN XMESH GATE REPORT -----"
	echo "A pktgen flood (one thread per guest CPU: $(nproc)) of 64-byte UDP"
	echo "frames from node r to the data port (7600) of node b, from an"
	echo "address that is no neighbor, ${BENCH_SECONDS} s per sample, $BENCH_ROUNDS rounds,"
	echo "while node a pings b over the overlay (20 pings per sample)."
	echo "Offered: what pktgen tried to send. Into b: the frames b's ul2"
	echo "took and dropped (with the gate: its data_dropped, in XDP; without:"
	echo "the module's bad_version, after the UDP stack). Refused: frames veth"
	echo "refused because b's XDP ring (native XDP on veth) was full, dropped"
	echo "before b's stack or program (a NIC's full RX ring). Disposed of:"
	echo "into b + refused, the flood b shrugged off. Softirq: share of all"
	echo "CPUs' time in softirq, the sender's included (one guest). Medians"
	echo "over the rounds (by disposed of)."
	echo
	echo "| gate | offered/s | into b/s | refused/s | disposed of/s | softirq % | pings answered |"
	echo "|------|----------:|---------:|----------:|--------------:|----------:|---------------:|"
	for mode in on off; do
		awk -v m="$mode" '$1 == m' "$results" | sort -n -k5 |
			awk -v m="$mode" '{ r[NR] = $0 } END {
				split(r[int((NR + 1) / 2)], f, " ")
				printf "| %s | %d | %d | %d | %d | %d | %d/20 |\n", m, f[2], f[3], f[4], f[5], f[6], f[7] }'
	done
	on=$(median_of on 5 "$results")
	off=$(median_of off 5 "$results")
	((off > 0)) && awk -v a="$on" -v b="$off" \
		'BEGIN { printf "\nDisposed of with the gate / without: %.1f\n", a / b }'
	echo "----- END XMESH GATE REPORT -----"
fi

tap_done
