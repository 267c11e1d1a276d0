#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# xmeshd's XDP first gate (Documentation/xmeshd.md, "First gate"): nodes a
# and b run agents over ul1; r, a machine that is no neighbor, is on b's
# second link ul2. b's agent attaches the gate to both links and keeps its
# neighbor map equal to its neighbors. A flood from r to b's data port is
# dropped by the gate (counted), none of it reaching the module, while a
# and b keep talking; a hello flood from r is rate-limited, yet once r runs
# an agent it is discovered, its address enters the map and its frames
# pass. b's agent detaches the gate when it stops, and runs without it
# with `gate off`. Run it with
#   make -C agent && make -C kmod && XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/43-agent-gate.sh
# With XMESH_GATE_BENCH_SECONDS=N it measures too (scripts/bench.sh, part
# gate): the packet rate of an N-second flood b absorbs with and without
# the gate, XMESH_GATE_BENCH_ROUNDS times (3), printed as a report.
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
an_config a "gate on"
an_config b "gate on"
an_config r "gate on"
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

# --------------------------------------------- detached on exit; gate off
an_stop b
check_json "b's agent stopped: no gate left on its links" 'length == 0' \
	n b "$XM" -j gate show
check_no_match "no XDP program on ul1" "prog/xdp" ip -n xm-b -d link show ul1

# bench_round GATE: one flood of BENCH_SECONDS from r to b's data port,
# from an address that is no neighbor (10.99.2.77); prints "GATE sent/s
# absorbed/s softirq-% ping-replies/20".
bench_round() {
	local mode=$1 sent absorbed s0 s1 d0 u0 out hz pid
	hz=$(getconf CLK_TCK)
	d0=$(gate b data_dropped 2>/dev/null || echo 0)
	u0=$(counter b unknown_neigh)
	s0=$(softirq_jiffies)
	n r "$FLOOD" 10.99.2.77 10.99.2.2 7600 "$BENCH_SECONDS" >"$AN_DIR/flood.out" &
	pid=$!
	out=$(n a ping -c 20 -i "$(awk -v s="$BENCH_SECONDS" 'BEGIN { print s / 25 }')" \
		-W 2 -I "$(an_addr a)" "$(an_addr b)" 2>&1) || true
	wait "$pid" || true
	s1=$(softirq_jiffies)
	sleep 1
	if [[ $mode == on ]]; then
		absorbed=$(($(gate b data_dropped) - d0))
	else
		absorbed=$(($(counter b unknown_neigh) - u0))
	fi
	sent=$(cat "$AN_DIR/flood.out")
	echo "$mode $((sent / BENCH_SECONDS)) $((absorbed / BENCH_SECONDS))" \
		"$(((s1 - s0) * 100 / (hz * BENCH_SECONDS * $(nproc))))" \
		"$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")"
}

if [[ -n $BENCH_SECONDS ]]; then
	n r ip addr add 10.99.2.77/24 dev ul2
	results=$AN_DIR/bench
	: >"$results"
	for ((i = 1; i <= BENCH_ROUNDS; i++)); do
		for mode in on off; do
			an_config b "gate $mode"
			an_start b
			wait_for 30 an_up b && an_wait_routes 90 2 b ||
				echo "# bench: b's agent not ready (gate $mode)"
			bench_round "$mode" | tee -a "$results"
			an_stop b
		done
	done
	echo "----- BEGIN XMESH GATE REPORT -----"
	echo "A flood of 64-byte UDP datagrams to the data port (7600) of node b"
	echo "from an address that is no neighbor, ${BENCH_SECONDS} s per sample,"
	echo "$BENCH_ROUNDS rounds, while node a pings b over the overlay (20 pings"
	echo "per sample). Absorbed: frames b disposed of per second (with the"
	echo "gate: its data_dropped; without: the module's unknown_neigh, after"
	echo "the UDP stack). Softirq: share of all CPUs' time in softirq, the"
	echo "sender's included (one guest). Medians over the rounds."
	echo
	echo "| gate | sent/s | absorbed/s | softirq % | pings answered |"
	echo "|------|-------:|-----------:|----------:|---------------:|"
	for mode in on off; do
		awk -v m="$mode" '$1 == m' "$results" | sort -n -k3 |
			awk -v m="$mode" '{ r[NR] = $0 } END {
				split(r[int((NR + 1) / 2)], f, " ")
				printf "| %s | %d | %d | %d | %d/20 |\n", m, f[2], f[3], f[4], f[5] }'
	done
	echo "----- END XMESH GATE REPORT -----"
fi

an_config b "gate off"
an_start b
if wait_for 30 an_up b && an_wait_routes 90 2 b; then
	tap_ok "with gate off, b's agent runs and routes without it"
else
	tap_fail "with gate off, b's agent runs" "$(an_logs b)"
fi
check_json "gate off: no gate on b's links" 'length == 0' n b "$XM" -j gate show

tap_done
