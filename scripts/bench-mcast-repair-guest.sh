#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the guest (scripts/bench-mcast-guest.sh runs it): how long a
# receiver of a multicast tree built by xmeshd goes without datagrams when
# a link of its branch fails (Documentation/multicast.md, "Repair").
#
# agentnet.sh's seven nodes, xmeshd on each at its defaults:
#
#          +--ul1-- r1 [2] --ul2-- r2 [3] --ul3--+
#          |                        |            |
#        a [1]                     ul7         b [6]
#          |                        |            |
#          +--ul4-- r3 [4] --ul5-- r4 [5] --ul6--+     c [7] on ul7
#
# a joins 239.1.2.5 as a sender, r1, r2, b and c as receivers (`xmesh
# group join`). a's tree: a -> r1 -> r2 -> b and c. A sample: a sends a
# 1000 datagrams/s stream to the group (udpgap.c, agentnet.sh's stream
# helpers); c receives it; once a second of it has reached c, ul2 (r1-r2)
# is cut at r1's end, and the agents must route the tree around it,
# through r3, r4 and b. The repair time is the longest gap in the stream
# at c (udpgap's max_gap_ms, on the send times; max_lost_ms, the longest
# run of lost datagrams). Two cuts, as in the failover benchmark (agentnet.sh's link_cut):
#   carrier  r1's end set down: both ends see carrier loss at once
#   silent   every packet dropped both ways, carrier up: the agents learn
#            it from their lost probes
# For comparison, the same cut under a unicast stream a -> c (the route's
# own failover). The link is restored 2 s after the stream has flowed
# again, and the next sample waits until the tree and the route go over
# ul2 again. Figures only: it fails only when it could not run.
#
#   bench-mcast-repair-guest.sh OUT    the summary (markdown) into OUT,
#                                      the progress on stdout
# Environment: XMESH_BENCH_MCAST_ROUNDS (3). A sample waits up to MAX_S
# (60) seconds for the stream to come back.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/guest/lib.sh
. "$top/tests/guest/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/mesh.sh
. "$top/tests/guest/mesh.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/agentnet.sh
. "$top/tests/guest/agentnet.sh"

OUT=${1:?usage: bench-mcast-repair-guest.sh OUT}
ROUNDS=${XMESH_BENCH_MCAST_ROUNDS:-3}
MAX_S=60
G=239.1.2.5
RECEIVERS=(r1 r2 b c)
CUT_NS=r1
CUT_DEV=ul2
SAMPLES=$AN_DIR/repair.tsv
: >"$SAMPLES"

log() { printf '# %s %s\n' "$(date +%T)" "$*"; }

an_require
modprobe xmesh
udpgap_build
# shellcheck disable=SC2119 # every agent at its defaults: no extra lines
an_two_paths
others=$((${#AN_TWO_PATHS[@]} - 1))
an_wait_routes 120 "$others" "${AN_TWO_PATHS[@]}" || {
	log "the agents did not converge in 120 s"
	an_logs a
	exit 1
}
for name in "${AN_TWO_PATHS[@]}"; do
	# The group goes to xmesh0, which the agent made.
	printf '%s\n' "link set xmesh0 multicast on" \
		"route replace 239.0.0.0/8 dev xmesh0" | ip -n "xm-$name" -batch -
done
x a group join "$G" send >/dev/null
for name in "${RECEIVERS[@]}"; do
	x "$name" group join "$G" >/dev/null
done

# mroute_has NAME FILTER: NAME's route of (a, G) satisfies the jq FILTER.
mroute_has() {
	jq_true ".[0] | $2" n "$1" "$XM" -j mroute show root 1 group "$G"
}

# ready: the tree goes over ul2 again (r1 branches, to r2) and every
# receiver delivers; a's unicast path to c is a r1 r2 c again.
# shellcheck disable=SC2317 # called through wait_for
ready() {
	local name
	mroute_has r1 '.neighs | length >= 1' || return 1
	for name in "${RECEIVERS[@]}"; do
		mroute_has "$name" '.local' || return 1
	done
	an_path_is a c r1 r2
}

# c_received COUNT: c's xmesh0 has received COUNT packets.
# shellcheck disable=SC2317 # called through wait_for
c_received() {
	(($(rx_packets c xmesh0) >= $1))
}

# measure ROUND MODE CUT: one sample into $SAMPLES.
measure() {
	local r=$1 mode=$2 how=$3 dst=$G rep rx0 opts=()
	if ! wait_for 120 ready; then
		log "not ready (tree and path over ul2) after 120 s; sample $r $mode $how skipped"
		printf '%s\t%s\t%s\t{}\n' "$r" "$mode" "$how" >>"$SAMPLES"
		return 0
	fi
	if [[ $mode == multicast ]]; then
		opts=(-B "$G" -J "$(an_addr c)")
	else
		dst=$(an_addr c)
	fi
	rx0=$(rx_packets c xmesh0)
	stream_start a c "$dst" "$(an_addr a)" -- "${opts[@]}" \
		-t "$MAX_S" -H 2000 -g 50 || {
		log "the stream did not start"
		return 1
	}
	# Cut only once the stream reaches c (a second of it on c's xmesh0):
	# in the loaded guest its first datagrams may come late, and a cut
	# before them would measure nothing.
	if ! wait_for 30 c_received $((rx0 + 1000)); then
		log "the stream does not reach c; sample $r $mode $how skipped"
		stream_stop >/dev/null
		printf '%s\t%s\t%s\t{}\n' "$r" "$mode" "$how" >>"$SAMPLES"
		return 0
	fi
	stream_mark
	link_cut "$CUT_NS" "$CUT_DEV" "$how"
	rep=$(stream_end $((MAX_S + 10)))
	link_restore "$CUT_NS" "$CUT_DEV" "$how"
	printf '%s\t%s\t%s\t%s\n' "$r" "$mode" "$how" "$rep" >>"$SAMPLES"
	log "$mode $how round $r: $rep"
}

if wait_for 120 ready; then
	log "tree of (a, $G) over ul2, receivers ${RECEIVERS[*]} deliver"
else
	log "the tree is not over ul2 after 120 s"
	for name in "${AN_TWO_PATHS[@]}"; do
		echo "$name:"
		n "$name" "$XM" mroute show
	done
	exit 1
fi
for ((r = 1; r <= ROUNDS; r++)); do
	for how in carrier silent; do
		for mode in multicast unicast; do
			measure "$r" "$mode" "$how"
		done
	done
done

python3 - "$SAMPLES" "$ROUNDS" >"$OUT" <<'PY'
import json
import statistics as st
import sys

path, rounds = sys.argv[1:3]
gap, lost, bad = {}, {}, {}
for line in open(path):
    r, mode, how, rep = line.rstrip("\n").split("\t", 3)
    j = json.loads(rep or "{}")
    key = (how, mode)
    # (Under 500 received: the stream hardly ran, nothing to measure.)
    if "max_gap_ms" not in j or j.get("received", 0) < 500 or not j.get("recovered"):
        bad[key] = bad.get(key, 0) + 1
        continue
    gap.setdefault(key, []).append(j["max_gap_ms"])
    lost.setdefault(key, []).append(j["max_lost_ms"])


def fig(v):
    return f"{st.median(v):.0f} | {max(v):.0f}" if v else "n/a | n/a"


print("| cut of ul2 at r1 | stream a -> c | repair median ms | max ms "
      "| lost × 1 ms median | max | samples |")
print("|---|---|---|---|---|---|---|")
for how in ("carrier", "silent"):
    for mode in ("multicast", "unicast"):
        k = (how, mode)
        n = f"{len(gap.get(k, []))}"
        if bad.get(k):
            n += f" ({bad[k]} not recovered or no stream)"
        print(f"| {how} | {mode} | {fig(gap.get(k, []))} "
              f"| {fig(lost.get(k, []))} | {n} |")
print()
print(f"{rounds} rounds. Repair: the longest gap at c in a 1000 datagrams/s "
      "stream, between the send times of two consecutive datagrams received "
      "(1 ms when nothing is lost; the sender's own stalls count too). "
      "Lost × 1 ms: the longest run of lost datagrams plus one, times the "
      "interval. Multicast: the tree rooted at a (to r1, r2, b, c), "
      "repaired by the agents' recomputation; unicast: a's route to c.")
PY
