#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the guest (scripts/bench.sh runs it): the failover benchmark.
#
# Every configuration gets its own diamond of four namespaces, built once
# and side by side; a stream goes from a to b over r1 or r2:
#
#              +--ul1-- r1 --ul2--+
#              a                  b        ul3 and ul4 with a 2 ms delay
#              +--ul3-- r2 --ul4--+        each way (xmesh's metric then
#                                          prefers r1; babel and batman-adv
#                                          ignore delay, and get a higher
#                                          cost on ul3 and ul4 instead:
#                                          rxcost 160 instead of 96, hop
#                                          penalty 60 instead of 15)
#
#   xmesh        xmeshd on every node, default timers (probes every 50 ms,
#                3 lost: down); overlay 10.99.0.N
#   xmesh-fast   xmeshd with "profile fast" (probes every 10 ms)
#   babeld       babeld at its defaults (hellos every 4 s); 10.98.0.N on lo
#   babeld-fast  babeld with -h 0.1 -H 0.1 (hellos every 0.1 s)
#   batman       batman-adv (B.A.T.M.A.N. IV) at its default originator
#                interval, 1 s; 10.97.0.N on bat0
#   batman-fast  batman-adv with a 100 ms originator interval
#
# A sample: a 1000 packets/s UDP stream a -> b (tests/guest/udpgap.c); after
# a second, the link carrying it (a's next hop at that moment) is cut,
# in one of four ways:
#   silent-sender   a's end of a-r*, every packet dropped both ways,
#                   carrier up (netem loss 100% + an ingress drop filter)
#   silent-middle   r*'s end of r*-b, the same
#   carrier-sender  a's end of a-r* set down (r* sees carrier loss)
#   carrier-middle  r*'s end of r*-b set down
# The outage is the longest gap in the stream: the longest span between the
# send times of two consecutive packets that arrived (1 ms when nothing is
# lost), which includes the sender's own stalls (the guest is emulated and
# shares the host; the report says how long they were); also reported, the
# longest run of lost packets plus one, times the 1 ms interval. The
# link is restored after the stream has flowed again for 2 s; the next
# sample of that configuration waits until its protocol sees both paths
# again and sends over r1's. Per round, every configuration is measured
# with every cut, cut by cut, configurations in an order rotated each round.
#
# Environment: XMESH_BENCH_FAILOVER_ROUNDS (10), XMESH_BENCH_FAILOVER_CONFIGS
# (all of the above), XMESH_BENCH_FAILOVER_CUTS (all four),
# XMESH_BENCH_FAILOVER_MAX (60: seconds a sample may wait for recovery).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../tests/guest/lib.sh
. "$top/tests/guest/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/mesh.sh
. "$top/tests/guest/mesh.sh"
# shellcheck source-path=SCRIPTDIR source=../tests/guest/agentnet.sh
. "$top/tests/guest/agentnet.sh"

ROUNDS=${XMESH_BENCH_FAILOVER_ROUNDS:-10}
MAX_S=${XMESH_BENCH_FAILOVER_MAX:-60}
read -r -a CONFIGS <<<"${XMESH_BENCH_FAILOVER_CONFIGS:-xmesh xmesh-fast babeld babeld-fast batman batman-fast}"
read -r -a CUTS <<<"${XMESH_BENCH_FAILOVER_CUTS:-silent-sender silent-middle carrier-sender carrier-middle}"
SLOW_MS=2

WORK=/tmp/xmesh-bench-failover
rm -rf "$WORK"
mkdir -p "$WORK"
SAMPLES=$WORK/samples.tsv
: >"$SAMPLES"

declare -A SRC DST ORIG UNREADY

log() { printf '# %s %s\n' "$(date +%T)" "$*"; }

# diamond CFG: namespaces xm-CFG-a, -r1, -r2, -b and the four links.
diamond() {
	local c=$1
	ns_add "$c-a" "$c-r1" "$c-r2" "$c-b"
	mesh_link 1 "$c-a" "$c-r1"
	mesh_link 2 "$c-r1" "$c-b"
	mesh_link 3 "$c-a" "$c-r2"
	mesh_link 4 "$c-r2" "$c-b"
	an_delay 3 "$c-a" "$c-r2" "$SLOW_MS"
	an_delay 4 "$c-r2" "$c-b" "$SLOW_MS"
}

# The links' delays, to put back after a silent cut: ul3 and ul4.
link_delay() {
	case $1 in
	ul3 | ul4) echo "$SLOW_MS" ;;
	*) echo 0 ;;
	esac
}

# ------------------------------------------------------------ xmesh

setup_xmesh() {
	local c=$1 x i=1 extra=()
	[[ $c == *-fast ]] && extra=("profile fast")
	modprobe xmesh
	diamond "$c"
	for x in a r1 r2 b; do
		AN_ID[$c-$x]=$i
		an_config "$c-$x" "${extra[@]}"
		an_start "$c-$x"
		i=$((i + 1))
	done
	SRC[$c]=10.99.0.1
	DST[$c]=10.99.0.4
}

# Healthy: every agent has its two neighbors up, and a's route to b has
# two next hops (the primary and the backup).
healthy_xmesh() {
	local c=$1 x
	for x in a r1 r2 b; do
		jq_true 'length == 2 and all(.[]; .agent.state == "up")' \
			x "$c-$x" -j neigh show || return 1
	done
	jq_true '.[0].nexthops | length == 2' \
		n "$c-a" "$XM" -j route show node 4
}

# The router a's traffic to b goes through now (r1, r2).
active_xmesh() {
	local c=$1 nb
	nb=$(n "$c-a" "$XM" -j route show node 4 |
		jq -er '[.[0].nexthops[] | select(.active)][0].neigh') || return 1
	n "$c-a" "$XM" -j neigh show | jq -er --argjson nb "$nb" \
		'.[] | select(.id == $nb) | {"2": "r1", "3": "r2"}[.node | tostring]'
}

# ------------------------------------------------------------ babeld

setup_babeld() {
	local c=$1 x i=1 opts=() ifs slow
	[[ $c == *-fast ]] && opts=(-h 0.1 -H 0.1)
	diamond "$c"
	for x in a r1 r2 b; do
		# The links of r2's path cost more than the default 96, so
		# that the routes are not a tie (babeld ignores delay).
		case $x in
		a) ifs="ul1" slow="ul3" ;;
		r1) ifs="ul1 ul2" slow="" ;;
		r2) ifs="" slow="ul3 ul4" ;;
		b) ifs="ul2" slow="ul4" ;;
		esac
		local cf=()
		for dev in $slow; do
			cf+=(-C "interface $dev rxcost 160")
		done
		ip -n "xm-$c-$x" addr add "10.98.0.$i/32" dev lo
		n "$c-$x" sysctl -qw net.ipv4.ip_forward=1
		# shellcheck disable=SC2086 # ifs: a list of interfaces
		ip netns exec "xm-$c-$x" babeld "${opts[@]}" "${cf[@]}" \
			-I "$WORK/$c-$x.babeld.pid" -S "$WORK/$c-$x.babeld.state" \
			-g "$WORK/$c-$x.babeld.sock" -L "$WORK/$c-$x.babeld.events" \
			$ifs >>"$WORK/$c-$x.babeld.log" 2>&1 &
		at_exit "kill $!"
		i=$((i + 1))
	done
	SRC[$c]=10.98.0.1
	DST[$c]=10.98.0.4
}

# babel_dump NS: babeld's tables (its local interface's dump).
babel_dump() {
	printf 'dump\nquit\n' |
		socat -t 2 - "UNIX-CONNECT:$WORK/$1.babeld.sock" 2>/dev/null
}

# Healthy: a has a finite route to b's address through each of its links.
healthy_babeld() {
	babel_dump "$1-a" | awk '
		$1 == "add" && $2 == "route" {
			for (i = 3; i < NF; i++) f[$i] = $(i + 1)
			if (f["prefix"] == "10.98.0.4/32" && f["metric"] + 0 < 65535)
				via[f["if"]] = 1
		}
		END { exit !(("ul1" in via) && ("ul3" in via)) }'
}

# by_dev DEV: the router behind a's link DEV.
by_dev() {
	case $1 in
	ul1) echo r1 ;;
	ul3) echo r2 ;;
	*) return 1 ;;
	esac
}

active_babeld() {
	by_dev "$(ip -n "xm-$1-a" -o route get "${DST[$1]}" |
		sed -n 's/.* dev \([^ ]*\).*/\1/p')"
}

# ------------------------------------------------------------ batman-adv

setup_batman() {
	local c=$1 x i=1 interval=1000 dev
	[[ $c == *-fast ]] && interval=100
	modprobe batman-adv
	diamond "$c"
	for x in a r1 r2 b; do
		ip -n "xm-$c-$x" link add bat0 type batadv
		for dev in $(ip -n "xm-$c-$x" -o link show type veth |
			awk -F'[:@ ]+' '{ print $2 }'); do
			ip -n "xm-$c-$x" link set "$dev" master bat0
		done
		printf '%s\n' "link set bat0 mtu 1476" "link set bat0 up" \
			"addr add 10.97.0.$i/24 dev bat0" | ip -n "xm-$c-$x" -batch -
		n "$c-$x" batctl meshif bat0 orig_interval "$interval" >/dev/null
		# r2's path costs more (batman-adv ignores delay): no tie.
		for dev in ul3 ul4; do
			ip -n "xm-$c-$x" link show "$dev" >/dev/null 2>&1 || continue
			n "$c-$x" batctl hardif "$dev" hop_penalty 60 >/dev/null
		done
		i=$((i + 1))
	done
	SRC[$c]=10.97.0.1
	DST[$c]=10.97.0.4
}

# Healthy: a knows b's originator through both of its links.
healthy_batman() {
	local c=$1 orig
	orig=$(batman_orig "$c")
	[[ -n $orig ]] || return 1
	ORIG[$c]=$orig
	n "$c-a" batctl meshif bat0 originators 2>/dev/null | awk -v o="$orig" '
		{ sub(/^ *\* */, ""); sub(/^ */, "") }
		$1 == o { for (i = 2; i <= NF; i++) if ($i ~ /^\[/) {
			d = $i; if (d == "[") d = $(i + 1); gsub(/[][ ]/, "", d); via[d] = 1 } }
		END { exit !(("ul1" in via) && ("ul3" in via)) }'
}

# b's originator address (its primary interface's MAC).
batman_orig() {
	n "$1-b" batctl meshif bat0 originators 2>/dev/null |
		sed -n 's|.*MainIF/MAC: [^/]*/\([0-9a-f:]*\).*|\1|p'
}

active_batman() {
	local c=$1
	by_dev "$(n "$c-a" batctl meshif bat0 originators 2>/dev/null |
		awk -v o="${ORIG[$c]}" '$1 == "*" && $2 == o {
			for (i = 3; i <= NF; i++) if ($i ~ /^\[/) {
				d = $i; if (d == "[") d = $(i + 1)
				gsub(/[][ ]/, "", d); print d; exit } }')"
}

# ------------------------------------------------------------ measuring

# ready CFG: the protocol sees both paths and sends over the better one,
# r1's (after a cut, babeld and batman-adv take their time to go back).
ready() {
	"healthy_${1%-fast}" "$1" && [[ $("active_${1%-fast}" "$1") == r1 ]]
}

# sample ROUND CFG CUT VIA REPORT: one line of the samples file.
sample() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$SAMPLES"
}

# measure ROUND CFG CUT: one failover sample.
measure() {
	local r=$1 c=$2 cut=$3 how=${3%%-*} where=${3#*-} s1 s2 via ns dev rep
	local kind=${c%-fast}
	# A configuration that could not get ready twice in a row is given
	# up on: its samples are skipped without waiting.
	if ((${UNREADY[$c]:-0} >= 2)) || ! wait_for 120 ready "$c"; then
		UNREADY[$c]=$((${UNREADY[$c]:-0} + 1))
		log "$c: not ready (both paths seen, over r1) after 120 s; sample $r $cut skipped"
		sample "$r" "$c" "$cut" none '{}'
		return 0
	fi
	UNREADY[$c]=0
	# The routers' own traffic (hellos, probes: hundreds of packets a
	# second with the fast profiles) is measured first and taken off.
	local b1 b2 t0 t1
	b1=$(rx_packets "$c-r1" ul1) b2=$(rx_packets "$c-r2" ul3) t0=${EPOCHREALTIME/[.,]/}
	sleep 0.5
	s1=$(rx_packets "$c-r1" ul1) s2=$(rx_packets "$c-r2" ul3) t1=${EPOCHREALTIME/[.,]/}
	b1=$((s1 - b1)) b2=$((s2 - b2)) t0=$((t1 - t0))
	stream_start "$c-a" "$c-b" "${DST[$c]}" "${SRC[$c]}" -- \
		-t "$MAX_S" -H 2000 -g 50 || {
		log "$c: the stream did not start"
		return 0
	}
	sleep 1
	s1=$(($(rx_packets "$c-r1" ul1) - s1)) s2=$(($(rx_packets "$c-r2" ul3) - s2))
	t1=$((${EPOCHREALTIME/[.,]/} - t1))
	# (At least 0: the routers' traffic varies.)
	s1=$((s1 - b1 * t1 / t0)) s2=$((s2 - b2 * t1 / t0))
	s1=$((s1 < 0 ? 0 : s1)) s2=$((s2 < 0 ? 0 : s2))
	# The path now, from a's forwarding state: the protocols that
	# switch between the two paths by themselves (the tuned ones do,
	# when the loaded guest delays their hellos) get cut where the
	# stream goes at the moment of the cut.
	via=$("active_${kind}" "$c") || via=""
	if ((s1 + s2 < 200)) || [[ -z $via ]]; then
		log "$c: no stream, or no path (r1 $s1, r2 $s2 packets; via '$via')"
		stream_stop >/dev/null
		sample "$r" "$c" "$cut" none '{}'
		return 0
	fi
	((s1 > 4 * s2 || s2 > 4 * s1)) ||
		log "$c: the stream went over both paths (r1 $s1, r2 $s2 packets)"
	if [[ $where == sender ]]; then
		ns=$c-a
		dev=$([[ $via == r1 ]] && echo ul1 || echo ul3)
	else
		ns=$c-$via
		dev=$([[ $via == r1 ]] && echo ul2 || echo ul4)
	fi
	stream_mark
	link_cut "$ns" "$dev" "$how"
	rep=$(stream_end $((MAX_S + 10)))
	link_restore "$ns" "$dev" "$how" "$(link_delay "$dev")"
	sample "$r" "$c" "$cut" "$via" "$rep"
	log "$c $cut via $via: $rep"
}

# ------------------------------------------------------------ main

udpgap_build
[[ " ${CONFIGS[*]} " != *" xmesh"* ]] || an_require
log "guest kernel $(uname -r), $(nproc) CPUs; rounds $ROUNDS; configs ${CONFIGS[*]}; cuts ${CUTS[*]}"
for c in "${CONFIGS[@]}"; do
	log "setting up $c"
	"setup_${c%-fast}" "$c"
done
for c in "${CONFIGS[@]}"; do
	wait_for 120 n "$c-a" ping -c 1 -W 1 -I "${SRC[$c]}" "${DST[$c]}" ||
		log "$c: no connectivity a -> b yet"
	if wait_for 120 ready "$c"; then
		log "$c ready: ${SRC[$c]} -> ${DST[$c]}"
	else
		log "$c: not ready after 120 s"
		UNREADY[$c]=1
	fi
done

start=$SECONDS
for ((r = 1; r <= ROUNDS; r++)); do
	for cut in "${CUTS[@]}"; do
		for ((k = 0; k < ${#CONFIGS[@]}; k++)); do
			c=${CONFIGS[(k + r - 1) % ${#CONFIGS[@]}]}
			measure "$r" "$c" "$cut"
		done
	done
	log "round $r/$ROUNDS done ($((SECONDS - start)) s): $(awk -F'\t' -v r="$r" '
		$1 == r { if (match($5, /"max_gap_ms":[0-9.]+/))
			printf "%s/%s %.0f  ", $2, $3, substr($5, RSTART + 13, RLENGTH - 13) }' "$SAMPLES")"
done

echo "----- BEGIN XMESH FAILOVER REPORT -----"
echo "Guest: kernel $(uname -r), $(nproc) vCPUs, qemu TCG; $(babeld -V 2>&1 | head -n1);" \
	"batman-adv $(cat /sys/module/batman_adv/version 2>/dev/null || echo '?')."
echo
python3 - "$SAMPLES" "$ROUNDS" "${CONFIGS[*]}" "${CUTS[*]}" <<'PY'
import json
import statistics as st
import sys

path, rounds, configs, cuts = sys.argv[1:5]
configs, cuts = configs.split(), cuts.split()
data = {}     # (config, cut) -> [outage ms: send times]
gaps = {}     # (config, cut) -> [outage ms: lost packets]
lost = {}     # (config, cut) -> samples not recovered in time
paths = {}    # (config, cut) -> {via: n}
pauses = []
skipped = {}
for line in open(path):
    r, c, cut, via, rep = line.rstrip("\n").split("\t", 4)
    try:
        j = json.loads(rep)
    except ValueError:
        j = {}
    if via == "none" or "max_lost_ms" not in j:
        skipped[(c, cut)] = skipped.get((c, cut), 0) + 1
        continue
    data.setdefault((c, cut), []).append(j["max_gap_ms"])
    gaps.setdefault((c, cut), []).append(j["max_lost_ms"])
    paths.setdefault((c, cut), {}).setdefault(via, 0)
    paths[(c, cut)][via] += 1
    if not j.get("recovered", True):
        lost[(c, cut)] = lost.get((c, cut), 0) + 1
    if "max_send_pause_ms" in j:
        pauses.append(j["max_send_pause_ms"])


def p90(v):
    v = sorted(v)
    return v[min(len(v) - 1, int(0.9 * len(v) + 0.5) - 1)] if v else None


def med(c, cut):
    v = data.get((c, cut))
    return st.median(v) if v else None


def fmt(x):
    if x is None:
        return "n/a"
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}"


refs = [r for r in ("xmesh", "xmesh-fast") if r in configs]
print("| cut | config | outage median ms | p90 ms | min–max ms | "
      + " | ".join(f"×{r}" for r in refs)
      + " | lost × 1 ms median | p90 ms | samples |")
print("|" + "---|" * (5 + len(refs) + 3))
for cut in cuts:
    for c in configs:
        v = sorted(data.get((c, cut), []))
        m = med(c, cut)
        ratios = []
        for ref in refs:
            rm = med(ref, cut)
            ratios.append("n/a" if m is None or not rm else f"{m / rm:.1f}")
        extra = []
        if lost.get((c, cut)):
            extra.append(f"{lost[(c, cut)]} not recovered in time")
        if skipped.get((c, cut)):
            extra.append(f"{skipped[(c, cut)]} skipped")
        n = f"{len(v)}" + (f" ({'; '.join(extra)})" if extra else "")
        rng = f"{fmt(v[0])}–{fmt(v[-1])}" if v else "n/a"
        g = gaps.get((c, cut), [])
        gm = st.median(g) if g else None
        print(f"| {cut} | {c} | {fmt(m)} | {fmt(p90(v))} | {rng} | "
              + " | ".join(ratios)
              + f" | {fmt(gm)} | {fmt(p90(g))} | {n} |")
print()
print(f"{rounds} rounds. Outage: the longest gap in a 1000 packets/s "
      "stream, between the send times of two consecutive packets received "
      "(1 ms when nothing is lost); it counts the sender's own stalls too. "
      "Lost × 1 ms: the longest run of lost packets plus one, times the "
      "interval, blind to the sender's stalls but short where the sender "
      "fell behind its pace. Ratios are of the outage medians.  ")
if pauses:
    print(f"Sender stalls (the longest pause between two sends of a sample, "
          f"which shows as a gap too): median {st.median(pauses):.1f} ms, "
          f"p90 {p90(pauses):.1f} ms, max {max(pauses):.1f} ms.  ")
via = "; ".join(f"{c}: " + ", ".join(f"{k} {n}" for k, n in sorted(
    {k: sum(paths.get((c, cut), {}).get(k, 0) for cut in cuts)
     for k in ("r1", "r2")}.items())) for c in configs)
print(f"Path carrying the stream when cut (samples): {via}.")


def target(c, cut, limit):
    m = med(c, cut)
    if m is None:
        return "n/a"
    return f"{fmt(m)} ms ({'met' if m < limit else 'NOT met'})"


if "xmesh" in configs or "xmesh-fast" in configs:
    t = []
    for c, limit in (("xmesh", 200), ("xmesh-fast", 60)):
        if c in configs:
            for cut in ("silent-sender", "silent-middle"):
                if cut in cuts:
                    t.append(f"{c} {cut} < {limit} ms: {target(c, cut, limit)}")
    for c in ("xmesh", "xmesh-fast"):
        if c in configs and "carrier-sender" in cuts:
            t.append(f"{c} carrier-sender < 20 ms: {target(c, 'carrier-sender', 20)}")
    print()
    print("Targets (medians): " + "; ".join(t) + ".")

print()
print("<details><summary>All samples (outage/lost × 1 ms, per round in "
      "round order; * = not recovered in time)</summary>")
print()
print("```")
rows = {}
for line in open(path):
    r, c, cut, via, rep = line.rstrip("\n").split("\t", 4)
    try:
        j = json.loads(rep)
    except ValueError:
        j = {}
    v = "NA" if "max_lost_ms" not in j else \
        fmt(j["max_gap_ms"]) + "/" + fmt(j["max_lost_ms"]) + \
        ("" if j.get("recovered", True) else "*")
    rows.setdefault((cut, c), []).append(v)
for cut in cuts:
    for c in configs:
        print(f"{cut:15s} {c:12s} " + " ".join(rows.get((cut, c), [])))
print("```")
print()
print("</details>")
PY
echo "----- END XMESH FAILOVER REPORT -----"
