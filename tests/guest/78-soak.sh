#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Faults and soak (issue 11; Documentation/soak.md): a ring of six nodes
# run by xmeshd, reporting to a controller, a UDP stream n1 -> n4 (1000
# packets/s; two paths of three hops), and random faults one after another
# for XMESH_SOAK_SECONDS (60; `make soak` runs 1800), drawn from
# XMESH_SOAK_SEED (printed, for a replay), of the kinds in
# XMESH_SOAK_FAULTS (all four):
#
#   n1 --ul1-- n2 --ul2-- n3 --ul3-- n4 --ul4-- n5 --ul5-- n6 --ul6-- n1
#
#   link     a ring link cut at one end, silently or by carrier loss
#   instance a transit node (n2, n3, n5, n6) dies: agent killed, links down
#   agent    an agent stopped (SIGTERM or SIGKILL) and started again
#            (not n1's: one agent must live through the whole run for
#            its RSS to show a slow leak)
#   ctl      the controller killed and started again
#
# Each fault has one TAP line: the stream, marked as the fault happens,
# flows again and its outage (the longest run of lost packets) is within
# XMESH_SOAK_BOUND_MS (3000: detection by 10 lost probes of 100 ms, the
# new path, and the emulated guest's stalls); "flows again" is no gap
# over XMESH_SOAK_GAP_MS (50; a debug kernel stalls longer) for 1.5 s.
# An agent or the controller restarted must cost the stream no packet at
# all: the kernel forwards on with what it has (xmeshd.md, "Restarts do
# not disturb forwarding"); XMESH_SOAK_RESTART_LOST (0; 20 on the debug
# kernel, which drops a few under load whatever the fault) allows some.
# After each fault the mesh is
# made whole again and must settle (every node routes to the five others
# over both its neighbors) before the next. At the end:
#   - the same neighbors (node, link) and routes in every kernel as at
#     the start, and the controller's topology whole, every agent at the
#     policy's version: no lost state;
#   - the module's counters never went backwards (sampled after each fault);
#   - the guest's unreclaimable slab (the module's allocations are there)
#     flat: within XMESH_SOAK_SLAB_KB (4096) of its value after the first
#     fault;
#   - every agent process's RSS flat over its life: within
#     XMESH_SOAK_RSS_KB (2048) from when it first settled (after the
#     first fault, or after its restart) to its end (before it is killed,
#     or the end of the run); n1's agent lives through the whole run.
#
# Run it with
#   make -C agent && make -C controller && make -C kmod && \
#       XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/78-soak.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"	# mesh_link
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"	# an_*, x, jq_true, stream_*, link_*
CTL_PORT=7684
# shellcheck source-path=SCRIPTDIR source=ctlnet.sh
. "$here/ctlnet.sh"	# ctl_*

SOAK_SECONDS=${XMESH_SOAK_SECONDS:-60}
SEED=${XMESH_SOAK_SEED:-$((${EPOCHREALTIME/[.,]/} % 32768))}
BOUND_MS=${XMESH_SOAK_BOUND_MS:-3000}
SLAB_KB=${XMESH_SOAK_SLAB_KB:-4096}
RSS_KB=${XMESH_SOAK_RSS_KB:-2048}
GAP_MS=${XMESH_SOAK_GAP_MS:-50}
RESTART_LOST=${XMESH_SOAK_RESTART_LOST:-0}
FAULTS=${XMESH_SOAK_FAULTS:-link instance agent ctl}
[[ $FAULTS =~ ^\ *((link|instance|agent|ctl)\ *)+$ ]] || {
	echo "Bail out! XMESH_SOAK_FAULTS: some of link instance agent ctl, not '$FAULTS'"
	exit 1
}
RANDOM=$SEED
echo "# soak: $SOAK_SECONDS s of faults, seed $SEED (XMESH_SOAK_SEED=$SEED replays them)"

an_require
ctl_require
udpgap_build
NODES=(n1 n2 n3 n4 n5 n6)
TRANSIT=(n2 n3 n5 n6)
A=$AN_DIR
SRC=10.99.0.1
DST=10.99.0.4

modprobe xmesh
# ------------------------------------------------------------ the ring
for i in 1 2 3 4 5 6; do
	an_node "n$i" "$i"
done
for k in 1 2 3 4 5 6; do
	mesh_link "$k" "n$k" "n$((k % 6 + 1))"
done
# links_of NAME: the ring links of node NAME (nI has ulI and ul(I-1)).
links_of() {
	local i=${AN_ID[$1]}
	echo "ul$i ul$(((i + 4) % 6 + 1))"
}

# ends_of K: the two nodes of link ulK.
ends_of() {
	echo "n$1 n$(($1 % 6 + 1))"
}

ctl_site "${NODES[@]}"
XMESH_TOKEN=$(ctl_token operator soak)
export XMESH_TOKEN
ctl_start
check "the controller starts" ctl_wait
# The emulated guest stalls for hundreds of ms under load: lenient timers,
# as the other agent tests have them.
cat >"$A/policy.json" <<EOF
{
	"max_hops": 0,
	"timers": { "hello_interval": 1, "dead_interval": 10,
		    "probe_interval": 0.1, "probe_miss": 10 }
}
EOF
check_json "the site policy is applied (version 1)" '.[0].version == 1' \
	"$XM" -j policy apply "$A/policy.json"
common=("hello-interval 1" "dead-interval 10" "sync-hold 3"
	"probe-interval 0.1" "probe-miss 10"
	"authority $A/authority.cert")
for name in "${NODES[@]}"; do
	read -r l1 l2 <<<"$(links_of "$name")"
	an_config "$name" "${common[@]}" "certificate $A/$name.cert" \
		"link $l1" "link $l2" "controller $(ctl_agent_url "$name")"
	an_start "$name"
done

# whole: every node routes to the five others, with both its neighbors up
# in its kernel.
# shellcheck disable=SC2317 # called through wait_for
whole() {
	local name
	for name in "${NODES[@]}"; do
		an_routes_to "$name" 5 || return 1
		jq_true '[.[] | select(.state == "up")] | length == 2' \
			n "$name" "$XM" -j neigh show || return 1
	done
}

# state NAME: NAME's kernel neighbors (node and link) and routed nodes,
# which faults must not change once the mesh is whole again.
state() {
	n "$1" "$XM" -j neigh show | jq -c 'map({node, link, state}) | sort'
	n "$1" "$XM" -j route show | jq -c 'map(.node) | sort'
}

# all_state: state of every node.
all_state() {
	local name
	for name in "${NODES[@]}"; do
		echo "$name $(state "$name" | tr '\n' ' ')"
	done
}

# ctl_whole: the controller's topology has six nodes up and their twelve
# links (each end reports its own), every agent current at version 1.
# shellcheck disable=SC2317 # called through wait_for
ctl_whole() {
	jq_true '(.nodes | length) == 6 and all(.nodes[]; .health == "up")
		and ([.links[] | select(.state == "up")] | length) == 12' \
		ctl_api topology &&
		jq_true '(.agents | length) == 6 and
			all(.agents[]; .policy_version == 1 and .current)' \
			ctl_api agents
}

if wait_for 180 whole; then
	tap_ok "the ring converges: every node routes to the five others"
else
	tap_fail "the ring converges" "$(ctl_all_logs)"
fi
if wait_for 120 ctl_whole; then
	tap_ok "the controller sees the whole ring, every agent at version 1"
else
	tap_fail "the controller sees the whole ring" "$(ctl_api topology)" \
		"$(ctl_api agents)" "$(ctl_all_logs)"
fi
start_state=$(all_state)

# ------------------------------------------------------------ sampling
# The module's counters (xmesh -s dev show) of every node, as one JSON
# object per node; the previous sample, to check none went backwards.
declare -A PREV_STATS
backwards=()
n_samples=0

# sample_counters: compare every node's counters with its last sample.
sample_counters() {
	local name cur bad
	for name in "${NODES[@]}"; do
		cur=$(n "$name" "$XM" -j -s dev show xmesh0 | jq -c '.[0].stats')
		if [[ -n ${PREV_STATS[$name]:-} ]]; then
			# Every number, the drop reasons (stats.drops) too.
			bad=$(jq -nr --argjson a "${PREV_STATS[$name]}" \
				--argjson b "$cur" \
				'[$a | paths(numbers) as $p
				  | select(($b | getpath($p) // 0) < ($a | getpath($p)))
				  | "\($p | join(".")) \($a | getpath($p)) -> \($b | getpath($p))"]
				 | join(", ")')
			[[ -z $bad ]] || backwards+=("$name: $bad")
		fi
		PREV_STATS[$name]=$cur
	done
	n_samples=$((n_samples + 1))
}

# unreclaimable_kb: the guest's unreclaimable slab, after dropping what
# can be dropped (kmalloc, where the module allocates, is counted there).
unreclaimable_kb() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo
}

# rss_kb NAME: the resident set of NAME's agent.
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/${AN_PID[$1]}/status"
}

# Each agent process's RSS when it first settled (RSS0), by node, and the
# process it was of (RSS_PID); checked when the process ends (rss_end).
declare -A RSS0 RSS_PID
rss_lives=()	# "NAME PID: FROM->TO (SECONDS s)" of every process checked
rss_grew=()
declare -A RSS_AT

# rss_begin NAME: take NAME's agent's RSS now as its process's baseline.
rss_begin() {
	RSS0[$1]=$(rss_kb "$1")
	RSS_PID[$1]=${AN_PID[$1]}
	RSS_AT[$1]=${EPOCHREALTIME%[.,]*}
}

# rss_end NAME: before NAME's agent process ends (or at the end of the
# run): its growth since rss_begin, if that was taken of this process.
rss_end() {
	local r life
	[[ -n ${RSS0[$1]:-} && ${RSS_PID[$1]} == "${AN_PID[$1]}" ]] || return 0
	r=$(rss_kb "$1")
	life="$1 ${RSS_PID[$1]}: ${RSS0[$1]}->$r ($((${EPOCHREALTIME%[.,]*} - RSS_AT[$1])) s)"
	rss_lives+=("$life")
	((r - RSS0[$1] <= RSS_KB)) || rss_grew+=("$life")
	unset "RSS0[$1]"
}

# ------------------------------------------------------------ faults
# stream_begin: a stream n1 -> n4, marked as the fault happens; the
# fault then says when it is in place (stream_armed): on a slow guest
# making it can take longer than the receiver's hold, which would judge
# the stream recovered before the fault.
stream_begin() {
	stream_start n1 n4 "$DST" "$SRC" -- -A -t 90 -H 1500 -g "$GAP_MS" ||
		return 1
	sleep 0.3
	stream_mark
}

# drops_since: every node's module drop reasons that grew since its
# last sample (where a lost packet went).
drops_since() {
	local name cur
	for name in "${NODES[@]}"; do
		cur=$(n "$name" "$XM" -j -s dev show xmesh0 | jq -c '.[0].stats')
		echo "$name: $(jq -nr --argjson a "${PREV_STATS[$name]}" \
			--argjson b "$cur" '[$b.drops // {} | to_entries[]
			| select(.value > ($a.drops[.key] // 0))
			| "\(.key)+\(.value - ($a.drops[.key] // 0))"] | join(" ")')"
	done
}

# fault_done WHAT REPORT [lossless]: the fault's TAP line from the
# stream's report. A lossless fault (an agent or the controller
# restarted: the kernel forwards on as it was) must lose no packet
# (RESTART_LOST).
fault_done() {
	local what=$1 rep=$2 ms lost
	ms=$(jq -r '.max_lost_ms // "none"' <<<"$rep")
	lost=$(jq -r '.lost_after_mark // "none"' <<<"$rep")
	echo "# the stream: $rep"
	if [[ ${3:-} == lossless ]]; then
		[[ $lost == 0 ]] ||
			{ drops_since || true; } | sed 's/^/# drops since the last sample: /'
		if jq -e ".recovered and (.lost_after_mark | type) == \"number\"
			and .lost_after_mark <= $RESTART_LOST" <<<"$rep" >/dev/null; then
			if [[ $lost == 0 ]]; then
				tap_ok "fault $n_faults: $what: the stream loses nothing"
			else
				tap_ok "fault $n_faults: $what: the stream loses $lost packets (allowed $RESTART_LOST)"
			fi
		else
			tap_fail "fault $n_faults: $what: the stream loses at most $RESTART_LOST packets ($lost lost, outage $ms ms)" \
				"report: $rep" "$(x n1 path show 4 2>&1)" "$(ctl_all_logs 15)"
		fi
	elif jq -e ".recovered and .max_lost_ms <= $BOUND_MS" <<<"$rep" >/dev/null; then
		tap_ok "fault $n_faults: $what: the stream flows again, outage $ms ms (bound $BOUND_MS)"
	else
		tap_fail "fault $n_faults: $what: the stream flows again within $BOUND_MS ms" \
			"report: $rep" "$(x n1 path show 4 2>&1)" "$(ctl_all_logs 15)"
	fi
}

# settle WHAT [NAME]: the mesh whole again before the next fault; then
# NAME's (restarted) agent's RSS baseline.
settle() {
	if ! wait_for 120 whole; then
		tap_fail "after fault $n_faults ($1): the ring whole again" \
			"$(all_state)" "$(ctl_all_logs 15)"
		return 1
	fi
	[[ -z ${2:-} ]] || rss_begin "$2"
}

# fault_begin: the stream started and marked, or a failed TAP line.
fault_begin() {
	stream_begin && return 0
	tap_fail "fault $n_faults: the stream n1 -> n4 starts" \
		"$(cat "$STREAM_OUT.err" 2>/dev/null)" "$(all_state)"
	return 1
}

# path_links: K of each ring link ulK the stream's path crosses now.
path_links() {
	x n1 -j path show 4 | jq -r '.hops | map(.node) | . as $n
		| range(1; length) | [$n[. - 1], $n[.]]
		| if .[1] == .[0] % 6 + 1 then .[0] else .[1] end'
}

# A link of the stream's path (one time in two: a cut elsewhere costs the
# stream nothing) or any.
fault_link() {
	local k=$((RANDOM % 6 + 1)) how ends at rep on
	how=$([[ $((RANDOM % 2)) == 0 ]] && echo silent || echo carrier)
	read -ra on <<<"$(path_links | tr '\n' ' ')"
	if ((RANDOM % 2 && ${#on[@]})); then
		k=${on[RANDOM % ${#on[@]}]}
	fi
	read -ra ends <<<"$(ends_of "$k")"
	at=${ends[RANDOM % 2]}
	echo "# n1 -> n4 over ring links ${on[*]:-?}; cutting ul$k"
	fault_begin || return 1
	if ! link_cut "$at" "ul$k" "$how"; then
		tap_fail "fault $n_faults: ul$k cut ($how) at $at"
		return 1
	fi
	stream_armed
	rep=$(stream_end 90)
	link_restore "$at" "ul$k" "$how"
	fault_done "ul$k cut ($how) at $at" "$rep"
	settle "ul$k"
}

fault_instance() {
	local name=${TRANSIT[RANDOM % 4]} l rep
	fault_begin || return 1
	rss_end "$name"
	an_stop "$name" KILL
	for l in $(links_of "$name"); do
		ip -n "xm-$name" link set "$l" down
	done
	stream_armed
	rep=$(stream_end 90)
	for l in $(links_of "$name"); do
		ip -n "xm-$name" link set "$l" up
	done
	an_start "$name"
	fault_done "instance $name died and came back" "$rep"
	settle "$name" "$name"
}

fault_agent() {
	local name=${NODES[RANDOM % 5 + 1]} sig rep
	sig=$([[ $((RANDOM % 2)) == 0 ]] && echo TERM || echo KILL)
	fault_begin || return 1
	rss_end "$name"
	an_stop "$name" "$sig"
	an_start "$name"
	wait_for 30 an_up "$name" || true
	stream_armed
	rep=$(stream_end 90)
	fault_done "agent $name restarted (SIG$sig)" "$rep" lossless
	settle "$name's agent" "$name"
}

fault_ctl() {
	local rep
	fault_begin || return 1
	kill -KILL "$CTL_PID"
	wait "$CTL_PID" 2>/dev/null || true
	ctl_start
	ctl_wait || true
	stream_armed
	rep=$(stream_end 90)
	fault_done "controller killed and restarted" "$rep" lossless
}

n_faults=0
sample_counters
deadline=$((${EPOCHREALTIME/[.,]/} + SOAK_SECONDS * 1000000))
while ((${EPOCHREALTIME/[.,]/} < deadline)) || ((n_faults == 0)); do
	# A fault whose stream did not start or after which the mesh did
	# not settle has its failed TAP line: the end's checks say the rest.
	case $((RANDOM % 10)) in
	0 | 1 | 2 | 3) fault="link" ;;
	4 | 5) fault=instance ;;
	6 | 7 | 8) fault=agent ;;
	9) fault=ctl ;;
	esac
	[[ " $FAULTS " == *" $fault "* ]] || continue
	n_faults=$((n_faults + 1))
	case $fault in
	link) fault_link ;;
	instance) fault_instance ;;
	agent) fault_agent ;;
	ctl) fault_ctl ;;
	esac || {
		echo "# no more faults after fault $n_faults failed"
		break
	}
	sample_counters
	if ((n_faults == 1)); then
		slab0=$(unreclaimable_kb)
		for name in "${NODES[@]}"; do
			rss_begin "$name"
		done
		N1_LIFE="n1 ${AN_PID[n1]}:"
	fi
done
echo "# $n_faults faults in $SOAK_SECONDS s"

# ------------------------------------------------------------ the end
if wait_for 120 whole; then
	tap_ok "after the faults every node routes to the five others"
else
	tap_fail "after the faults every node routes to the five others" \
		"$(all_state)"
fi
end_state=$(all_state)
if [[ $end_state == "$start_state" ]]; then
	tap_ok "every kernel has the neighbors and routes it had at the start"
else
	tap_fail "every kernel has the neighbors and routes it had at the start" \
		"$(diff <(echo "$start_state") <(echo "$end_state"))"
fi
if wait_for 120 ctl_whole; then
	tap_ok "the controller sees the whole ring, every agent at version 1"
else
	tap_fail "after the faults the controller sees the whole ring" \
		"$(ctl_api topology)" "$(ctl_api agents)"
fi
if ((${#backwards[@]} == 0)); then
	tap_ok "the module's counters never went backwards ($n_samples samples of six nodes)"
else
	tap_fail "the module's counters never went backwards" "${backwards[@]}"
fi
slab1=$(unreclaimable_kb)
echo "# unreclaimable slab: $slab0 kB after the first fault, $slab1 kB at the end"
if ((slab1 - slab0 <= SLAB_KB)); then
	tap_ok "unreclaimable slab flat: $((slab1 - slab0)) kB more over $n_faults faults (limit $SLAB_KB)"
else
	tap_fail "unreclaimable slab flat: $((slab1 - slab0)) kB more over $n_faults faults (limit $SLAB_KB)" \
		"$(grep -E 'Slab|SUnreclaim' /proc/meminfo)"
fi
for name in "${NODES[@]}"; do
	rss_end "$name"
done
echo "# agents' RSS (kB, from settled to the end of each process): ${rss_lives[*]}"
if [[ " ${rss_lives[*]} " != *" $N1_LIFE "* ]]; then
	tap_fail "n1's agent's RSS checked over the whole run" "${rss_lives[@]}"
elif ((${#rss_grew[@]} == 0)); then
	tap_ok "every agent's RSS flat over its life (within $RSS_KB kB; ${#rss_lives[@]} processes)"
else
	tap_fail "every agent's RSS flat over its life (within $RSS_KB kB)" "${rss_grew[@]}"
fi
tap_done
